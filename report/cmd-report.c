/*
 * report/cmd-report.c - `memmon report`: the event log and its summary.
 *
 * The pipeline is the perf one: format/ hands over raw records in time
 * order (mm_stream_next), plugins/ turns them into memmon events in time
 * order (mm_decoder_feed), and a sink filters them, counts them for the
 * summary and formats them (report/log.c).  This file holds the options
 * and the top-level steps only.  Everything on stdout goes through the
 * log's buffer; notices go to stderr.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "format/reader.h"
#include "plugins/decoder.h"
#include "report/log.h"
#include "report/summary.h"

static const char usage[] =
	"memmon report [-i FILE] [FILE] [--pid PID[,PID...]] [-t|--timestamps] "
	"[--raw-events] [--no-summary] [-q]";

#define MAX_PIDS 256

struct report_opts {
	const char *file;
	unsigned log_flags;
	bool summary, quiet;
	int32_t pids[MAX_PIDS];
	size_t nr_pids;
};

/* The decoder's sink: --pid filter, summary counts, log line. */
struct sink {
	const struct report_opts *o;
	struct mm_log *log;
	struct mm_summary summary;
};

static bool wanted(const struct report_opts *o, const struct mm_event *ev)
{
	for (size_t i = 0; i < o->nr_pids; i++)
		if (ev->pid == o->pids[i] || ev->tgid == o->pids[i])
			return true;
	return false;
}

static void sink_event(void *ctx, const struct mm_event *ev)
{
	struct sink *s = ctx;
	if (s->o->nr_pids && !wanted(s->o, ev))
		return;
	mm_summary_add(&s->summary, ev);
	mm_log_event(s->log, ev);
}

static int parse_pids(struct report_opts *o, const char *arg)
{
	const char *p = arg;
	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v <= 0 || v > INT32_MAX || (*end && *end != ','))
			return mm_error("invalid pid list '%s'", arg);
		if (o->nr_pids == MAX_PIDS)
			return mm_error("too many pids in '%s' (at most %d)", arg, MAX_PIDS);
		o->pids[o->nr_pids++] = (int32_t)v;
		p = *end ? end + 1 : end;
	}
	return o->nr_pids ? 0 : mm_error("invalid pid list '%s'", arg);
}

enum { OPT_PID = 256, OPT_RAW, OPT_NO_SUMMARY, OPT_HELP };
#define DONE_OK (-1)     /* parse_options: --help shown, exit 0 */

/* Returns 0 to go on, DONE_OK, or the exit status to leave with. */
static int parse_options(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "timestamps", no_argument, NULL, 't' },
		{ "raw-events", no_argument, NULL, OPT_RAW },
		{ "no-summary", no_argument, NULL, OPT_NO_SUMMARY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	opterr = 0;                      /* our own message, in memmon's form */
	while ((c = getopt_long(argc, argv, "+:i:tq", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->file = optarg; break;
		case 't': o->log_flags |= MM_LOG_TIMESTAMPS; break;
		case 'q': o->quiet = true; break;
		case OPT_RAW: o->log_flags |= MM_LOG_RAW; break;
		case OPT_NO_SUMMARY: o->summary = false; break;
		case OPT_PID:
			if (parse_pids(o, optarg)) {
				mm_error_print("report");
				return MM_EXIT_USAGE;
			}
			break;
		case OPT_HELP: return mm_show_help("report", usage) == MM_EXIT_OK ? DONE_OK : MM_EXIT_FAIL;
		case ':':
			mm_error("option '%s' needs a value", argv[optind - 1]);
			mm_error_print("report");
			mm_usage_exit("report", usage);
		default:
			mm_error("unknown option '%s'", argv[optind - 1]);
			mm_error_print("report");
			mm_usage_exit("report", usage);
		}
	}
	if (optind < argc)
		o->file = argv[optind++];
	if (optind < argc)
		mm_usage_exit("report", usage);
	return 0;
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

/* Stream every record through the decoder; -1 on a corrupt chunk. */
static int decode_all(struct mm_stream *st, struct mm_decoder *d)
{
	struct tep_record *rec;
	int r;
	while ((r = mm_stream_next(st, &rec)) > 0)
		mm_decoder_feed(d, rec);
	mm_decoder_finish(d);
	return r < 0 ? -1 : 0;
}

static void write_summary(struct sink *s, const struct mm_decoder *d,
			  const struct mm_file *f, const struct mm_stream *st)
{
	struct mm_summary_info info = {
		.records = mm_decoder_counts(d)->records,
		.lost = lost_events(f, st),
		.malformed = mm_decoder_counts(d)->malformed,
		.missing = mm_decoder_missing(d),
		.classifier = mm_decoder_classifier(d),
	};
	mm_summary_write(&s->summary, &info, s->log);
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o = { .file = "trace.dat", .summary = true };
	int ret = parse_options(argc, argv, &o);
	if (ret)
		return ret == DONE_OK ? MM_EXIT_OK : ret;

	struct sink s = { .o = &o };
	struct mm_file *f = NULL;
	struct mm_stream *st = NULL;
	struct mm_decoder *d = NULL;
	s.log = mm_log_new(STDOUT_FILENO, o.log_flags);
	ret = MM_EXIT_FAIL;
	if (!(f = mm_file_open(o.file)) || !(st = mm_stream_open(f)) ||
	    !(d = mm_decoder_new(mm_file_tep(f), sink_event, &s)))
		goto out;
	if (!o.quiet && *mm_decoder_missing(d))
		fprintf(stderr, "memmon report: notice: not in the trace: %s\n",
			mm_decoder_missing(d));
	if (decode_all(st, d))
		goto out;
	truncation_warning(f, s.log, o.quiet);
	if (o.summary)
		write_summary(&s, d, f, st);
	ret = MM_EXIT_OK;
out:
	if (mm_log_close(s.log))
		ret = MM_EXIT_FAIL;
	if (ret)
		mm_error_print("report");
	mm_decoder_free(d);
	if (st)
		mm_stream_close(st);
	if (f)
		mm_file_close(f);
	return ret;
}
