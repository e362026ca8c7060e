/*
 * report/cmd-report.c - `memmon report`: the event log and its summary.
 *
 * The pipeline is the perf one: format/ hands over raw records in time
 * order (mm_stream_next), plugins/ turns them into memmon events in time
 * order (mm_decoder_feed), and a sink filters them, counts them for the
 * summary, formats them (report/views/log.c) and hands them to each view
 * the options chose (report/views/view.h: regions, maps-at, ...).  The
 * views that rebuild the address space share one model (report/model/),
 * which the sink feeds before the views (report/views/view.h says how).
 * This file holds the top-level steps only (the options are read in
 * report-options.c).  The log and summary go through the log's buffer,
 * which is flushed before the views print their tables on stdout;
 * notices go to stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event-parse.h>

#include "memmon.h"
#include "format/reader.h"
#include "plugins/decoder.h"
#include "report/model/addrspace.h"
#include "report/model/origin.h"
#include "report/model/symbols.h"
#include "report/analyses/regions.h"
#include "report/analyses/sites.h"
#include "report/analyses/summary.h"
#include "report/analyses/tasks.h"
#include "report/analyses/frames.h"
#include "report/analyses/window.h"
#include "report/report-options.h"
#include "report/views/log.h"
#include "report/views/view.h"

/* The decoder's sink: --pid filter, summary counts, log line, views. */
struct sink {
	const struct mm_report_request *o;
	struct mm_origin origin;         /* the held child's pre-exec life is left out */
	struct mm_summary held;          /* ... the events that was */
	struct mm_tasks tasks;           /* the trace's pids and span: --pid, --maps-at */
	struct mm_log *log;
	struct mm_summary summary;
	void *state[MM_REPORT_MAX_VIEWS]; /* per view of o->views */
	struct mm_trace_facts *trace;    /* = o->view.trace */
	size_t next_mark;                /* the text log's place in trace->marks */
	uint64_t foreign_markers;        /* trace_marker writes of other processes */
};

/* A trace_marker write is the trace's when its task is one of the
 * trace's: the kernel does not filter them by pid, and copy_trace_marker
 * brings in every process's top-level writes. */
static bool marker_ours(const struct sink *s, const struct mm_event *ev)
{
	return mm_tasks_has(&s->tasks, ev->pid) || (ev->tgid && mm_tasks_has(&s->tasks, ev->tgid)) ||
	       mm_origin_attached(&s->origin, ev->pid);
}

/* The text log's marks of dropped events up to TS (outside --between's
 * window: passed over). */
static void log_lost_marks(struct sink *s, uint64_t ts)
{
	const struct mm_lost_mark *m;
	char line[MM_LOG_LINE];

	while ((m = mm_trace_mark_before(s->trace, &s->next_mark, ts))) {
		if (!mm_window_in(s->o->window))
			continue;
		mm_log_lost_line(line, sizeof(line) - 1, m);
		strcat(line, "\n");
		mm_log_puts(s->log, line);
	}
}

/* A malloc call without a log and --between (the millions of a record
 * --malloc trace that --leaks and --allocations read): what sink_event()
 * does with one, without the calls that do nothing for it. */
static void sink_call(struct sink *s, const struct mm_event *ev)
{
	const struct mm_report_request *o = s->o;

	mm_tasks_add_call(&s->tasks, ev);
	if (o->view.as)
		mm_as_event(o->view.as, ev);
	for (size_t i = 0; i < o->nr_views; i++)
		if (o->views[i]->event)
			o->views[i]->event(s->state[i], ev);
	if (!o->nr_pids || mm_event_wanted(o->pids, o->nr_pids, ev))
		mm_summary_add(&s->summary, ev);
}

/* The model and the views see every event (a process's map needs its
 * parent's fork); views apply the --pid filter to what they print.  The
 * model goes first: views read it with the event applied. */
__attribute__((noinline)) static void sink_any(struct sink *s, const struct mm_event *ev)
{
	const struct mm_report_request *o = s->o;
	struct mm_event refined;
	if (o->view.as && ev->kind == MM_EV_FAULT && ev->fault.class == MM_FAULT_UNKNOWN) {
		refined = *ev;        /* what the trace could not tell, the region may */
		refined.fault.class = mm_as_fault_class(o->view.as, ev);
		ev = &refined;
	}
	if (!mm_origin_keep(&s->origin, ev)) {
		mm_summary_add(&s->held, ev);
		return;
	}
	if (ev->kind == MM_EV_MARKER && !marker_ours(s, ev)) {
		s->foreign_markers++;
		return;
	}
	mm_window_before(o->window, ev);
	mm_tasks_add(&s->tasks, ev);
	if (o->view.as)
		mm_as_event(o->view.as, ev);
	for (size_t i = 0; i < o->nr_views; i++)
		if (o->views[i]->event)
			o->views[i]->event(s->state[i], ev);
	if (s->o->log)
		log_lost_marks(s, ev->ts);
	if (mm_event_wanted(o->pids, o->nr_pids, ev) && mm_window_in(o->window)) {
		mm_summary_add(&s->summary, ev);
		mm_sites_count_stack(&s->summary.stacks, o->view.as, ev);
		if (s->o->log)
			mm_log_event(s->log, ev);
	}
	mm_window_after(o->window, ev);
}

/* (sink_any not inlined: a malloc call's path saves no registers and
 * reserves no event on the stack) */
static void sink_event(void *ctx, const struct mm_event *ev)
{
	struct sink *s = ctx;
	const struct mm_report_request *o = s->o;

	if (ev->kind == MM_EV_HEAP && !o->log && !o->window->active &&
	    (!s->origin.held || ev->pid != s->origin.spawned_pid))
		sink_call(s, ev);
	else
		sink_any(s, ev);
}

/* Events the kernel dropped: per-CPU stats and the sub-buffers' own
 * "missed" counts describe the same losses from two sides (and a truncated
 * file has no stats), so the larger of the two is the best figure. */
static uint64_t lost_events(const struct mm_file *f, const struct mm_stream *st)
{
	uint32_t n = 0;
	const struct mm_cpu_stats *cs = mm_file_stats(f, &n);
	uint64_t stats = 0;
	for (uint32_t i = 0; cs && i < n; i++)
		stats += cs[i].overrun + cs[i].dropped_events;
	uint64_t missed = mm_stream_missed(st);
	return stats > missed ? stats : missed;
}

static void truncation_warning(const struct mm_file *f, struct mm_log *log, bool quiet)
{
	struct mm_file_summary fs;
	char msg[128];
	mm_file_get_summary(f, &fs);
	if (!fs.truncated)
		return;
	snprintf(msg, sizeof(msg), "# warning: trace truncated at offset %" PRIu64
		 " (recording cut short)\n", fs.truncated_at);
	if (!quiet)
		fputs(msg, stderr);
	mm_log_puts(log, msg);
}

/* Stream every record through the decoder, the watch list's changes
 * (WATCH sections) in their places, noting where events were dropped; -1
 * on a corrupt chunk. */
static int decode_all(struct mm_file *f, struct mm_stream *st, struct mm_decoder *d,
		      struct mm_trace_facts *t)
{
	struct tep_record *rec;
	const struct mm_heap_rec *heap;
	size_t w = 0, nw = mm_file_nr_watch(f);
	uint16_t id;
	int r;
	while ((r = mm_stream_next_any(st, &rec, &heap, &id)) > 0) {
		/* (a malloc record's time is in *rec too) */
		while (w < nw && mm_file_watch(f, w)->ts <= rec->ts)
			mm_decoder_watch(d, mm_file_watch(f, w++));
		if (r == MM_STREAM_HEAP) {       /* record --malloc's calls */
			mm_decoder_feed_heap(d, heap, id, (uint16_t)rec->cpu);
			continue;
		}
		if (rec->missed_events) {
			MM_GROW(t->marks, t->nr_marks, t->cap_marks, 16);
			t->marks[t->nr_marks++] = (struct mm_lost_mark){
				rec->ts, (uint32_t)rec->cpu, rec->missed_events,
			};
		}
		mm_decoder_feed(d, rec);
	}
	while (r == 0 && w < nw)
		mm_decoder_watch(d, mm_file_watch(f, w++));
	mm_decoder_finish(d);
	return r < 0 ? -1 : 0;
}

/* What the summary says besides the counts: one derivation for the text
 * summary and the JSON log's (views/log-json.c reads it at finish). */
static void summary_info(const struct sink *s, const struct mm_file *f,
			 const struct mm_decoder *d, struct mm_summary_info *info)
{
	*info = (struct mm_summary_info){
		.records = mm_decoder_counts(d)->records,
		.lost = s->trace->lost_events,
		.malformed = mm_decoder_counts(d)->malformed,
		.missing = mm_decoder_missing(d),
		.classifier = mm_decoder_classifier(d),
		.heap = mm_decoder_has_heap(d),
		.foreign_markers = s->foreign_markers,
		.held = &s->held,
		.lacks = mm_file_lacks(f),
		.stacks_off = mm_report_stacks_off(f),
	};
}

/* What the options asked for must be in the trace: a --pid it has, a
 * --maps-at time inside it.  Checked before anything but the streamed
 * log is printed; -1 with mm_error() naming what the trace has. */
static int check_request(const struct mm_report_request *o, const struct sink *s)
{
	for (size_t i = 0; i < o->nr_pids; i++) {
		if (mm_tasks_has(&s->tasks, o->pids[i]))
			continue;
		char procs[512];
		mm_tasks_describe(&s->tasks, 8, procs, sizeof(procs));
		return mm_error("--pid %d: no process or task %d in '%s' (its processes: %s)",
				(int)o->pids[i], (int)o->pids[i], o->file, procs);
	}
	bool maps_at = false;
	for (size_t i = 0; i < o->nr_views; i++)
		maps_at |= o->views[i] == &mm_view_maps_at;
	if (maps_at && o->view.at_ns) {
		uint64_t end = s->tasks.last_ts;
		if (s->origin.have_span && s->origin.end_ts > end)
			end = s->origin.end_ts;
		double span = s->tasks.have_time && end > s->tasks.first_ts ?
			      (double)(end - s->tasks.first_ts) / 1e9 : 0.0;
		if ((double)o->view.at_ns / 1e9 > span + 0.5e-6)
			return mm_error("--maps-at %.6f: after the end of '%s' (it spans 0 to %.6f s "
					"from its first event; 'end' is its last moment)",
					(double)o->view.at_ns / 1e9, o->file, span);
	}
	return 0;
}

/*
 * Each view prints one document; with --json several views are wrapped
 * into one object keyed by view name, so the output stays one document.
 */
static int finish_views(struct sink *s, FILE *out)
{
	const struct mm_report_request *o = s->o;
	size_t nr_out = 0, n = 0;        /* the views that print on OUT */
	for (size_t i = 0; i < o->nr_views; i++)
		nr_out += !o->views[i]->own_file;
	bool wrap = o->view.output == MM_OUT_JSON && nr_out > 1;
	if (wrap)
		fputs("{\n", out);
	for (size_t i = 0; i < o->nr_views; i++) {
		if (o->views[i]->own_file)
			;
		else if (wrap)
			fprintf(out, "%s\"%s\": ", n++ ? ",\n" : "", o->views[i]->name);
		else if (n++ && o->view.output == MM_OUT_TEXT && !o->overview)
			fputc('\n', out);      /* the default page's blocks end
			                         * with their own blank line */
		if (o->views[i]->finish(s->state[i], out))
			return -1;
	}
	if (wrap)
		fputs("}\n", out);
	if (fflush(out) || ferror(out))
		return mm_error_errno("cannot write the report");
	return 0;
}

/* One model for every view that reads it, built when one of them does
 * (the text log names code from it too). */
static bool views_use_model(const struct mm_report_request *o)
{
	if (o->log && !o->view.no_symbols)
		return true;
	for (size_t i = 0; i < o->nr_views; i++)
		if (o->views[i]->uses_model && o->views[i]->uses_model(&o->view))
			return true;
	return false;
}

/* Views first: they may hold pointers into the model. */
static void destroy_views(struct sink *s)
{
	for (size_t i = 0; i < s->o->nr_views; i++)
		if (s->state[i])
			s->o->views[i]->destroy(s->state[i]);
	mm_as_free(s->o->view.as);
}

/* The views that write files of their own (--perfetto, --html): the
 * options' paths and the FILEs the views are given. */
struct own_file {
	const char *opt, *path, *what;
	FILE **fp;
};

static size_t own_files(struct mm_report_request *o, struct own_file f[2])
{
	size_t n = 0;
	if (o->perfetto)
		f[n++] = (struct own_file){ "--perfetto", o->perfetto,
					    "the Perfetto/Chrome JSON trace", &o->view.perfetto };
	if (o->html)
		f[n++] = (struct own_file){ "--html", o->html, "the HTML page", &o->view.html };
	return n;
}

static int open_files(struct mm_report_request *o)
{
	struct own_file f[2];
	for (size_t i = 0, n = own_files(o, f); i < n; i++)
		if (!(*f[i].fp = fopen(f[i].path, "w")))
			return mm_error_errno("%s %s: cannot write it", f[i].opt, f[i].path);
	return 0;
}

static int close_files(struct mm_report_request *o)
{
	struct own_file f[2];
	for (size_t i = 0, n = own_files(o, f); i < n; i++) {
		FILE *fp = *f[i].fp;
		*f[i].fp = NULL;
		if (fclose(fp))
			return mm_error_errno("%s %s: cannot write it", f[i].opt, f[i].path);
		if (!o->quiet)
			fprintf(stderr, "memmon report: wrote %s (%s)\n", f[i].path, f[i].what);
	}
	return 0;
}

/* After a failure: the files not closed yet are removed. */
static void drop_files(struct mm_report_request *o)
{
	struct own_file f[2];
	for (size_t i = 0, n = own_files(o, f); i < n; i++) {
		if (*f[i].fp) {
			fclose(*f[i].fp);
			*f[i].fp = NULL;
			unlink(f[i].path);
		}
	}
}

/* The default page's last lines: the other views (the malloc ones said
 * to need record --malloc when the trace has no malloc calls), the files
 * a browser and Perfetto open, diff. */
static void write_hint(struct mm_log *log, const struct mm_file *f)
{
	struct mm_file_summary sum;

	mm_file_get_summary(f, &sum);
	mm_log_puts(log, "\n# more: --log (every event), --regions, --maps-at TIME, --malloc-patterns,\n"
		    "#       --timeline, --context, --sites, --pages (--json and --csv forms);\n");
	mm_log_puts(log, sum.heap_chunks ? "#       --leaks, --allocations (its malloc calls);\n" :
		    "#       --leaks, --allocations (of a trace recorded with --malloc);\n");
	mm_log_puts(log, "#       --html FILE (a page for a browser), --perfetto FILE (ui.perfetto.dev);\n"
		    "#       'memmon diff A B' compares two runs; 'memmon report --help' for all\n");
}

int cmd_report(int argc, char **argv)
{
	struct mm_window window = { 0 };
	struct mm_report_request o = { .file = "trace.dat", .summary = true, .window = &window };
	int ret = mm_report_parse_options(argc, argv, &o);
	if (ret)
		return ret == MM_REPORT_HELP_SHOWN ? MM_EXIT_OK : ret;

	struct mm_trace_facts facts = { 0 };
	struct sink s = { .o = &o, .trace = &facts };
	struct mm_summary_info info = { 0 };
	o.view.trace = &facts;
	struct mm_file *f = NULL;
	struct mm_stream *st = NULL;
	struct mm_decoder *d = NULL;
	const struct mm_heap_stack *hs;      /* record --malloc's stacks */
	uint32_t nr_hs;
	s.log = mm_log_new(STDOUT_FILENO, o.log_flags);
	ret = MM_EXIT_FAIL;
	if (!(f = mm_file_open(o.file)) || !(st = mm_stream_open(f)) ||
	    !(d = mm_decoder_new(mm_file_tep(f), sink_event, &s)))
		goto out;
	mm_decoder_set_stack_ring(d, mm_file_nr_cpus(f));
	hs = mm_file_heap_stacks(f, &nr_hs);
	mm_decoder_set_heap_stacks(d, hs, nr_hs);
	mm_origin_read(f, &s.origin);
	if (!o.quiet && mm_file_lacks(f))        /* another tool's file */
		fprintf(stderr, "memmon report: notice: '%s' was recorded by %s\n", o.file,
			mm_file_lacks(f));
	if (!o.quiet && *mm_decoder_missing(d))
		fprintf(stderr, "memmon report: notice: not in the trace: %s\n",
			mm_decoder_missing(d));
	const char *ps = mm_file_machine(f, MM_KEY_PAGE_SIZE);
	if (ps && strtoull(ps, NULL, 10))
		s.log->page_size = strtoull(ps, NULL, 10);
	mm_decoder_set_kernel(d, mm_file_machine(f, MM_KEY_RELEASE));
	if (o.tracepoint)
		mm_decoder_ignore_kprobes(d);
	if (views_use_model(&o) || mm_decoder_needs_model(d))
		o.view.as = mm_as_from_file(f, MM_AS_NO_CUTOFF);
	mm_as_set_demangle(o.view.as, !o.view.no_demangle);
	mm_window_watch_model(o.window, o.view.as);
	if (o.log && !o.view.no_symbols)
		s.log->as = o.view.as;
	if (mm_decoder_has_heap(d))
		mm_log_heap_enable(s.log);
	struct mm_zones zones;
	if (o.log_flags & MM_LOG_FRAMES) {
		mm_zones_from_file(&zones, f);
		s.log->zones = &zones;
		s.log->pmd_order = mm_frame_pmd_order(s.log->page_size ? s.log->page_size : 4096);
	}
	o.view.summary = &s.summary;
	o.view.summary_info = &info;
	if (open_files(&o))
		goto out;
	for (size_t i = 0; i < o.nr_views; i++)
		s.state[i] = o.views[i]->create(f, &o.view);
	if (decode_all(f, st, d, &facts))
		goto out;
	facts.lost_events = lost_events(f, st);
	if (o.log)
		log_lost_marks(&s, UINT64_MAX);
	if (o.view.as)
		mm_as_finish(o.view.as);
	if (check_request(&o, &s) < 0 || mm_window_finish(o.window) < 0) {
		mm_log_discard(s.log);
		goto out;
	}
	truncation_warning(f, s.log, o.quiet || o.view.output != MM_OUT_TEXT);
	summary_info(&s, f, d, &info);
	if (o.log && o.summary)
		mm_summary_write(&s.summary, &info, s.log);
	if (mm_log_flush(s.log) || finish_views(&s, stdout))
		goto out;
	if (o.overview && o.view.output == MM_OUT_TEXT) {
		if (o.summary)
			mm_summary_write(&s.summary, &info, s.log);
		write_hint(s.log, f);
	}
	if (close_files(&o))
		goto out;
	ret = MM_EXIT_OK;
out:
	drop_files(&o);                  /* a failed report leaves no half file */
	if (mm_log_close(s.log) && !ret)
		ret = MM_EXIT_FAIL;
	if (ret)
		mm_error_print("report");
	destroy_views(&s);
	mm_origin_free(&s.origin);
	mm_tasks_free(&s.tasks);
	mm_decoder_free(d);
	if (st)
		mm_stream_close(st);
	if (f)
		mm_file_close(f);
	free(facts.marks);
	mm_window_free(&window);
	return ret;
}
