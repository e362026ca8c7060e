/*
 * report/cmd-diff.c - `memmon diff A B`: what changed between two runs.
 *
 * Each trace goes through report's pipeline (format/ → plugins/ → the
 * model, the timeline and findings engines) into a profile
 * (report/analyses/profile.h) that keeps only what the comparison needs,
 * so the first trace's model is freed before the second is read; the
 * view (report/views/diff-view.c) prints the two side by side.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event-parse.h>

#include "memmon.h"
#include "format/reader.h"
#include "plugins/decoder.h"
#include "report/analyses/findings.h"
#include "report/analyses/profile.h"
#include "report/analyses/timeline.h"
#include "report/model/addrspace.h"
#include "report/model/origin.h"
#include "report/views/diff-view.h"

static const char usage[] = "memmon diff [--json] [-q] A.dat B.dat";

/* The engines one trace feeds. */
struct engines {
	struct mm_origin origin;         /* the held child's pre-exec life is left out */
	struct mm_as *as;
	struct mm_timeline *tl;
	struct mm_findings *fs;
};

/* The order report's sink keeps: the class the region tells, the origin
 * filter, the model, then the engines that read it. */
static void feed(void *ctx, const struct mm_event *ev)
{
	struct engines *e = ctx;
	struct mm_event refined;
	if (ev->kind == MM_EV_FAULT && ev->fault.class == MM_FAULT_UNKNOWN) {
		refined = *ev;
		refined.fault.class = mm_as_fault_class(e->as, ev);
		ev = &refined;
	}
	if (!mm_origin_keep(&e->origin, ev))
		return;
	mm_as_event(e->as, ev);
	mm_timeline_event(e->tl, ev);
	mm_findings_event(e->fs, ev);
}

/* Read PATH into PR; -1 with mm_error() set when it cannot be read. */
static int profile_of(const char *path, bool quiet, struct mm_profile *pr)
{
	struct engines e = { 0 };
	struct mm_file *f = NULL;
	struct mm_stream *st = NULL;
	struct mm_decoder *d = NULL;
	struct tep_record *rec;
	int ret = -1, r;

	if (!(f = mm_file_open(path)) || !(st = mm_stream_open(f)) ||
	    !(d = mm_decoder_new(mm_file_tep(f), feed, &e)))
		goto out;
	mm_origin_read(f, &e.origin);
	mm_decoder_set_kernel(d, mm_file_machine(f, MM_KEY_RELEASE));
	e.as = mm_as_from_file(f, MM_AS_NO_CUTOFF);
	e.tl = mm_timeline_new(e.as, 0);
	e.fs = mm_findings_new(e.as);
	while ((r = mm_stream_next(st, &rec)) > 0)
		mm_decoder_feed(d, rec);
	mm_decoder_finish(d);
	if (r < 0)
		goto out;
	mm_as_finish(e.as);
	mm_timeline_finish(e.tl);
	mm_findings_finish(e.fs);
	mm_profile_build(pr, e.as, e.tl, e.fs);
	if (!quiet && mm_stream_missed(st))
		fprintf(stderr, "memmon diff: warning: %s lost events; its counts are low\n", path);
	ret = 0;
out:
	mm_findings_free(e.fs);         /* the engines watch the model: first */
	mm_timeline_free(e.tl);
	mm_as_free(e.as);
	mm_origin_free(&e.origin);
	mm_decoder_free(d);
	if (st)
		mm_stream_close(st);
	if (f)
		mm_file_close(f);
	return ret;
}

#define USAGE_ERROR(...) mm_usage_error("diff", usage, __VA_ARGS__)

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false, quiet = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'q': quiet = true; break;
		case 'h': return mm_show_help("diff", usage);
		default: mm_usage_bad_option("diff", usage, c, argv, longopts);
		}
	}
	if (argc - optind != 2)
		USAGE_ERROR("%s: two trace files to compare (A, then B)",
			    argc - optind < 2 ? "too few files" : "too many files");

	struct mm_profile a = { 0 }, b = { 0 };
	int ret = MM_EXIT_FAIL;
	if (profile_of(argv[optind], quiet, &a) == 0 &&
	    profile_of(argv[optind + 1], quiet, &b) == 0 &&
	    mm_diff_print(stdout, json, argv[optind], &a, argv[optind + 1], &b) == 0)
		ret = MM_EXIT_OK;
	if (ret)
		mm_error_print("diff");
	mm_profile_free(&a);
	mm_profile_free(&b);
	return ret;
}
