/*
 * report/report-options.h - what `memmon report`'s command line asks for
 * (report-options.c reads it): the trace, the views in the order asked,
 * the log's flags and what the views are told.  cmd-report.c runs it.
 */
#ifndef MM_REPORT_OPTIONS_H
#define MM_REPORT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/views/view.h"

#define MM_REPORT_MAX_PIDS 256
#define MM_REPORT_MAX_VIEWS 8

/* mm_report_parse_options: --help was shown, exit 0 */
#define MM_REPORT_HELP_SHOWN (-1)

struct mm_window;

struct mm_report_request {
	const char *file;
	bool file_given;                 /* -i */
	unsigned log_flags;
	bool log, summary, quiet;
	bool tracepoint;                 /* --classifier=tracepoint: kprobe events ignored */
	bool overview;                   /* no view asked for: the default page */
	int32_t pids[MM_REPORT_MAX_PIDS];
	size_t nr_pids;
	const struct mm_view *views[MM_REPORT_MAX_VIEWS];
	size_t nr_views;
	const char *perfetto;            /* --perfetto FILE */
	const char *html;                /* --html FILE */
	struct mm_window *window;        /* --between M,N (inactive without) */
	struct mm_report_opts view;      /* what the views are told */
};

/* Read ARGV into O (whose file, summary and window the caller set to
 * their defaults); 0 to go on, MM_REPORT_HELP_SHOWN, or the exit status
 * to leave with (a usage error has been printed and exited 129). */
int mm_report_parse_options(int argc, char **argv, struct mm_report_request *o);

#endif
