/*
 * report/view.h - what a report view (event log, regions, findings,
 * timeline, context) looks like to cmd-report.
 *
 * cmd-report opens the file, builds one decoder and feeds every decoded
 * event to each active view in time order (perf's tool-callbacks model): a
 * view never reads the file's bytes itself.  Views get the mm_file for
 * MACHINE values and snapshots.  finish() prints the view's text, JSON or
 * CSV to OUT according to opts->output.
 */
#ifndef MM_REPORT_VIEW_H
#define MM_REPORT_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "plugins/event.h"

struct mm_file;

enum mm_output { MM_OUT_TEXT, MM_OUT_JSON, MM_OUT_CSV };

struct mm_report_opts {
	enum mm_output output;
	const int32_t *pids;      /* filter (NULL = all) */
	size_t nr_pids;
	const char *sort;         /* --sort KEY (view-defined) or NULL */
	uint64_t at_ns;           /* --maps-at, trace clock ns; 0 = end */
	uint64_t interval_ns;     /* --timeline interval, 0 = automatic */
};

struct mm_view {
	const char *name;
	void *(*create)(struct mm_file *file, const struct mm_report_opts *opts);
	void (*event)(void *state, const struct mm_event *ev);
	/* Print the result; returns 0 or -1 with mm_error() set. */
	int (*finish)(void *state, FILE *out);
	void (*destroy)(void *state);
};

#endif
