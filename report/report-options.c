/*
 * report/report-options.c - `memmon report`'s options: the usage string
 * (memmon-report(1)'s SYNOPSIS, t-docs checks), the option table, which
 * view each option adds, and what they add up to (the default page when no
 * view is asked for, the JSON log standing alone, what --between cuts).
 * Every inconsistency is a usage error here, before the trace is opened.
 */
#include <getopt.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/regions.h"
#include "report/analyses/window.h"
#include "report/report-args.h"
#include "report/report-options.h"
#include "report/views/log.h"

static const char usage[] =
	"memmon report [-i FILE] [FILE] [--log] [--regions] [--maps-at TIME] "
	"[--malloc-patterns] [--timeline[=INTERVAL]] [--context] [--leaks] [--allocations] "
	"[--sites] [--pages[=end|start]] [--sort size|faults|addr] [--json|--csv] [--pid PID[,PID...]] "
	"[--between M,N] [--perfetto FILE] [--html FILE] [-t|--timestamps] [--raw-events] "
	"[--no-malloc] [--frames] [--symbols=on|off] [--no-demangle] [--no-summary] "
	"[--classifier=tracepoint] [-q]";

static int add_view(struct mm_report_request *o, const struct mm_view *v)
{
	for (size_t i = 0; i < o->nr_views; i++)
		if (o->views[i] == v)
			return 0;
	if (o->nr_views == MM_REPORT_MAX_VIEWS)
		return mm_error("too many views (at most %d)", MM_REPORT_MAX_VIEWS);
	o->views[o->nr_views++] = v;
	return 0;
}

enum { OPT_PID = 256, OPT_RAW, OPT_NO_SUMMARY, OPT_HELP, OPT_LOG, OPT_REGIONS,
       OPT_MAPS_AT, OPT_CHECK_MAPS, OPT_SORT, OPT_JSON, OPT_CSV, OPT_FINDINGS,
       OPT_TIMELINE, OPT_CONTEXT, OPT_CLASSIFIER, OPT_PERFETTO, OPT_NO_MALLOC, OPT_LEAKS,
       OPT_ALLOCATIONS, OPT_HTML, OPT_BETWEEN, OPT_SYMBOLS, OPT_SITES, OPT_PAGES, OPT_FRAMES,
       OPT_NO_DEMANGLE };
#define USAGE_ERROR(...) mm_usage_error("report", usage, __VA_ARGS__)

/* --between cuts the log (text or JSON), --regions and --timeline. */
static int check_between(struct mm_report_request *o)
{
	if (!o->window->active)
		return 0;
	o->view.window = o->window;
	for (size_t i = 0; i < o->nr_views; i++) {
		const struct mm_view *v = o->views[i];
		if (v == &mm_view_overview || v == &mm_view_findings_short)
			USAGE_ERROR("--between cuts --log, --regions and --timeline: ask for one "
				    "of them");
		if (v != &mm_view_regions && v != &mm_view_timeline && v != &mm_view_log_json)
			USAGE_ERROR("--between cuts --log, --regions and --timeline, not --%s",
				    v->name);
	}
	return 0;
}

/* What the options add up to: no view and no --log means the default page
 * (overview, short findings, summary, a hint of the other views); the log
 * has a JSON form (a view that streams its events, so it stands alone) and
 * no CSV form. */
static int finish_options(struct mm_report_request *o)
{
	if (!o->nr_views && !o->log && o->view.output == MM_OUT_CSV)
		USAGE_ERROR("--csv: the default page has no table; add a view that has one "
			    "(--regions, --maps-at, --malloc-patterns, --timeline, --context, --sites) "
			    "or use --json");
	if (!o->nr_views && !o->log) {
		o->overview = true;
		add_view(o, &mm_view_overview);
		if (o->view.output == MM_OUT_TEXT)
			add_view(o, &mm_view_findings_short);
	}
	if (o->log && o->view.output == MM_OUT_CSV)
		USAGE_ERROR("--log --csv: the event log has no table form (--log --json has one "
			    "object per event)");
	/* the JSON log is a view: it joins the others' one document */
	if (o->log && o->view.output == MM_OUT_JSON) {
		for (size_t i = 0; i < o->nr_views; i++)
			if (!o->views[i]->own_file)
				USAGE_ERROR("--log --json with --%s: the JSON log streams its events, "
					    "so it stands alone; ask for the other views in another run",
					    o->views[i]->name);
		o->log = false;
		add_view(o, &mm_view_log_json);
		o->view.raw_events = o->log_flags & MM_LOG_RAW;
		o->view.no_heap = o->log_flags & MM_LOG_NO_HEAP;
	}
	/* the summary closes the log and the default page; views alone end
	 * with their own totals, and a JSON document must stay one */
	if ((!o->log && !o->overview) || o->view.output != MM_OUT_TEXT)
		o->summary = false;
	o->view.pids = o->nr_pids ? o->pids : NULL;
	o->view.nr_pids = o->nr_pids;
	return check_between(o);
}

int mm_report_parse_options(int argc, char **argv, struct mm_report_request *o)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "timestamps", no_argument, NULL, 't' },
		{ "raw-events", no_argument, NULL, OPT_RAW },
		{ "no-malloc", no_argument, NULL, OPT_NO_MALLOC },
		{ "leaks", no_argument, NULL, OPT_LEAKS },
		{ "allocations", no_argument, NULL, OPT_ALLOCATIONS },
		{ "no-summary", no_argument, NULL, OPT_NO_SUMMARY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "log", no_argument, NULL, OPT_LOG },
		{ "regions", no_argument, NULL, OPT_REGIONS },
		{ "maps-at", required_argument, NULL, OPT_MAPS_AT },
		{ "check-maps", no_argument, NULL, OPT_CHECK_MAPS },  /* for tests */
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "malloc-patterns", no_argument, NULL, OPT_FINDINGS },
		{ "timeline", optional_argument, NULL, OPT_TIMELINE },
		{ "context", no_argument, NULL, OPT_CONTEXT },
		{ "classifier", required_argument, NULL, OPT_CLASSIFIER },
		{ "perfetto", required_argument, NULL, OPT_PERFETTO },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "between", required_argument, NULL, OPT_BETWEEN },
		{ "symbols", required_argument, NULL, OPT_SYMBOLS },
		{ "no-demangle", no_argument, NULL, OPT_NO_DEMANGLE },
		{ "sites", no_argument, NULL, OPT_SITES },
		{ "pages", optional_argument, NULL, OPT_PAGES },
		{ "frames", no_argument, NULL, OPT_FRAMES },
		{ NULL, 0, NULL, 0 },
	};
	int c, err = 0;
	optind = 1;
	opterr = 0;                      /* our own message, in memmon's form */
	while (!err && (c = getopt_long(argc, argv, "+:i:tqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->file = optarg; o->file_given = true; break;
		case 't': o->log_flags |= MM_LOG_TIMESTAMPS; break;
		case 'q': o->quiet = true; break;
		case OPT_RAW: o->log_flags |= MM_LOG_RAW; break;
		case OPT_NO_MALLOC: o->log_flags |= MM_LOG_NO_HEAP; break;
		case OPT_FRAMES: o->log_flags |= MM_LOG_FRAMES; o->view.frames = true; break;
		case OPT_NO_SUMMARY: o->summary = false; break;
		case OPT_LOG: o->log = true; break;
		case OPT_JSON: o->view.output = MM_OUT_JSON; break;
		case OPT_CSV: o->view.output = MM_OUT_CSV; break;
		case OPT_REGIONS: err = add_view(o, &mm_view_regions); break;
		case OPT_CHECK_MAPS: err = add_view(o, &mm_view_check_maps); break;
		case OPT_FINDINGS: err = add_view(o, &mm_view_findings); break;
		case OPT_CONTEXT: err = add_view(o, &mm_view_context); break;
		case OPT_PERFETTO:
			o->perfetto = optarg;
			err = add_view(o, &mm_view_perfetto);
			break;
		case OPT_LEAKS: err = add_view(o, &mm_view_leaks); break;
		case OPT_ALLOCATIONS: err = add_view(o, &mm_view_allocations); break;
		case OPT_HTML:
			o->html = optarg;
			err = add_view(o, &mm_view_html);
			break;
		case OPT_CLASSIFIER:
			if (strcmp(optarg, "tracepoint"))
				err = mm_error("--classifier takes 'tracepoint' (the trace's own is the default)");
			o->tracepoint = true;
			break;
		case OPT_SITES: err = add_view(o, &mm_view_sites); break;
		case OPT_PAGES:
			err = (optarg ? mm_report_parse_pages_at(optarg, &o->view.pages_at_start) : 0) ?:
			      add_view(o, &mm_view_pages);
			break;
		case OPT_TIMELINE:
			err = (optarg ? mm_report_parse_interval(optarg, &o->view.interval_ns) : 0) ?:
			      add_view(o, &mm_view_timeline);
			break;
		case OPT_MAPS_AT:
			err = mm_report_parse_time(optarg, &o->view.at_ns) ?: add_view(o, &mm_view_maps_at);
			break;
		case OPT_SORT: {
			enum mm_regions_sort key;
			o->view.sort = optarg;
			err = mm_regions_parse_sort(optarg, &key);
			break;
		}
		case OPT_PID: err = mm_report_parse_pids(optarg, o->pids, &o->nr_pids, MM_REPORT_MAX_PIDS); break;
		case OPT_BETWEEN: err = mm_window_parse(o->window, optarg); break;
		case OPT_SYMBOLS:
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				err = mm_error("--symbols=%s: it is on or off", optarg);
			o->view.no_symbols = !strcmp(optarg, "off");
			break;
		case OPT_NO_DEMANGLE: o->view.no_demangle = true; break;
		case 'h': return mm_show_help("report", usage) == MM_EXIT_OK ? MM_REPORT_HELP_SHOWN : MM_EXIT_FAIL;
		default:
			mm_usage_bad_option("report", usage, c, argv, longopts);
		}
	}
	if (err)
		USAGE_ERROR("%s", mm_error_msg());
	if (optind < argc && o->file_given)
		USAGE_ERROR("-i %s and '%s': one trace file at a time", o->file, argv[optind]);
	if (optind < argc)
		o->file = argv[optind++];
	if (optind < argc)
		USAGE_ERROR("unexpected argument '%s' (one trace file at a time)", argv[optind]);
	return finish_options(o);
}
