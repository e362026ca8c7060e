/*
 * report/views/view.h - what a report view (overview, regions, findings,
 * timeline, context) looks like to cmd-report, the catalogue of views, and
 * the helpers the views share (view.c).  It lives with the views, not with
 * the commands: it is the contract every file here implements, and a view
 * never includes anything above its own folder.
 *
 * cmd-report opens the file, builds one decoder and feeds every decoded
 * event to each active view in time order (perf's tool-callbacks model): a
 * view never reads the file's bytes itself.  Views get the mm_file for
 * MACHINE values and snapshots.  finish() prints the view's text, JSON or
 * CSV to OUT according to opts->output.
 *
 * One address-space model for all: rebuilding the address space is the
 * costly part of a report, and every view built on it wants the same one
 * (no cutoff, every MAPS snapshot).  So cmd-report builds a single model
 * (mm_as_from_file) when some chosen view's uses_model() says so, and:
 *   - passes it in opts->as to every view's create();
 *   - feeds it each event (mm_as_event) BEFORE the views' event(), so a
 *     view sees the model with the event already applied (its hooks,
 *     mm_as_add_hooks, have run too);
 *   - finishes it (mm_as_finish) once, after the last event and before
 *     the first finish();
 *   - frees it after every view's destroy().
 * A view never feeds, finishes or frees opts->as.  A view that needs some
 * other model (--maps-at T freezes one at T) builds and feeds its own.
 */
#ifndef MM_REPORT_VIEWS_VIEW_H
#define MM_REPORT_VIEWS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "plugins/event.h"

struct mm_file;
struct mm_as;
struct mm_summary;
struct mm_summary_info;
struct mm_window;

enum mm_output { MM_OUT_TEXT, MM_OUT_JSON, MM_OUT_CSV };

/* Where the kernel dropped events: the first event of a sub-buffer that
 * follows lost ones (its CPU, its time, the count or -1 when unknown). */
struct mm_lost_mark {
	uint64_t ts;
	uint32_t cpu;
	long long count;
};

/* What the trace says about itself, filled by cmd-report as it decodes
 * (the marks) and when the stream ends (the totals), before any finish():
 * every output form carries the lost count, the logs a marker where. */
struct mm_trace_facts {
	uint64_t lost_events;     /* the summary's figure */
	struct mm_lost_mark *marks;
	size_t nr_marks, cap_marks;
};

/* What the views are told.  It (and the pids array) outlives every view:
 * a view may keep a pointer to it or a copy. */
struct mm_report_opts {
	enum mm_output output;
	const int32_t *pids;      /* filter (NULL = all) */
	size_t nr_pids;
	const char *sort;         /* --sort KEY (view-defined) or NULL */
	uint64_t at_ns;           /* --maps-at, trace clock ns; 0 = end */
	bool pages_at_start;      /* --pages=start (default: end) */
	uint64_t interval_ns;     /* --timeline interval, 0 = automatic */
	bool raw_events;          /* --raw-events: rss and filemap in the log */
	bool no_heap;             /* --no-malloc: no record --malloc events in the log */
	bool no_symbols;          /* --symbols=off: code addresses stay raw */
	bool no_demangle;         /* --no-demangle: C++/Rust names as stored */
	bool frames;              /* --frames: record --frames' frames shown */
	struct mm_as *as;         /* the shared model (see above), or NULL when
	                           * no chosen view uses it */
	const struct mm_trace_facts *trace;   /* from cmd-report; NULL: none */
	/* The trace summary (the counts of every event the --pid filter lets
	 * through, and what is said besides): filled while events come and
	 * complete when finish() runs; the JSON log prints it as --log does. */
	const struct mm_summary *summary;
	const struct mm_summary_info *summary_info;
	FILE *perfetto;           /* --perfetto FILE, opened by cmd-report */
	FILE *html;               /* --html FILE, the same */
	/* --between M,N (report/analyses/window.h): updated as events come
	 * (open while an event inside is handed on); NULL without */
	const struct mm_window *window;
};

struct mm_view {
	const char *name;
	/* Does the view read opts->as with these options?  NULL: never. */
	bool (*uses_model)(const struct mm_report_opts *opts);
	void *(*create)(struct mm_file *file, const struct mm_report_opts *opts);
	/* NULL: the view needs no events (it reads the file's snapshots). */
	void (*event)(void *state, const struct mm_event *ev);
	/* Print the result; returns 0 or -1 with mm_error() set. */
	int (*finish)(void *state, FILE *out);
	void (*destroy)(void *state);
	/* The view writes a file of its own (the caller opened it), not a
	 * part of the report on stdout: finish() ignores OUT. */
	bool own_file;
};

/* ---- helpers for the views (view.c) ---- */

/* Why the trace has no stacks of the memory calls, as record wrote it
 * (MM_KEY_STACKS "off: WHY"): WHY, or NULL when it took them or the file
 * (an older one, trace-cmd's) does not say. */
const char *mm_report_stacks_off(const struct mm_file *f);

/* uses_model() of a view that always reads the shared model. */
bool mm_view_uses_model(const struct mm_report_opts *opts);

/* The next lost mark at or before TS (NEXT: the caller's position in the
 * marks, advanced), or NULL; TS UINT64_MAX takes the rest. */
const struct mm_lost_mark *mm_trace_mark_before(const struct mm_trace_facts *t, size_t *next,
						uint64_t ts);
/* "lost_events": N in a JSON object, and the lost_events column of a CSV
 * table, for views to write where their documents hold trace facts. */
struct mm_json;
struct mm_csv;
void mm_view_json_lost(struct mm_json *j, const struct mm_report_opts *o);
void mm_view_csv_lost(struct mm_csv *c, const struct mm_report_opts *o);

/* A view's three printers; CSV NULL: the JSON form (a view whose data is
 * no table).  CTX is the view's state. */
typedef void (*mm_view_print_fn)(const void *ctx, FILE *out);
struct mm_view_printers {
	mm_view_print_fn text, json, csv;
};

/* Print CTX in the form OUTPUT asks with P's printer, then flush and check
 * OUT: 0, or -1 with mm_error("cannot write the WHAT: <errno>"). */
int mm_view_print(FILE *out, enum mm_output output, const struct mm_view_printers *p,
		  const void *ctx, const char *what);
/* Flush and check OUT as mm_view_print() does. */
int mm_view_out_status(FILE *out, const char *what);

/* --between's title line (and a blank line) for a text table: which
 * markers, their texts and times (seconds from AS's first event). */
void mm_view_window_title(const struct mm_as *as, const struct mm_window *w, FILE *out);

/* "r", "w", "x": the access names in every view's JSON/CSV keys. */
const char *mm_access_key(enum mm_access a);

/* The --pid filter (PIDS[N]; N == 0: no filter) lets PID through. */
bool mm_pid_wanted(const int32_t *pids, size_t n, int32_t pid);
/* ... lets event EV through: its task or its process is listed. */
bool mm_event_wanted(const int32_t *pids, size_t n, const struct mm_event *ev);
/* ... lets process TGID of model AS through: a listed pid is TGID or, in
 * AS, one of its threads. */
bool mm_proc_wanted(const int32_t *pids, size_t n, const struct mm_as *as, int32_t tgid);

/* ---- the views (one file each in report/views/) ---- */

extern const struct mm_view mm_view_overview;        /* default-page.c: no view option */
extern const struct mm_view mm_view_regions;         /* regions-view.c: --regions */
extern const struct mm_view mm_view_maps_at;         /* maps-view.c: --maps-at TIME */
extern const struct mm_view mm_view_check_maps;      /* maps-view.c: --check-maps (tests) */
/* findings-view.c: --malloc-patterns, every finding in full (text, --json,
 * --csv); and the default page's section: one line per finding and a hint
 * ("# malloc findings"), or nothing at all when there is none.  Both honour
 * opts->pids (tgid or tid) and opts->output. */
extern const struct mm_view mm_view_findings;
extern const struct mm_view mm_view_findings_short;
extern const struct mm_view mm_view_timeline;        /* timeline-view.c: --timeline[=INTERVAL] */
extern const struct mm_view mm_view_context;         /* context-view.c: --context */
extern const struct mm_view mm_view_leaks;           /* heap-view.c: --leaks */
extern const struct mm_view mm_view_allocations;     /* heap-view.c: --allocations */
extern const struct mm_view mm_view_log_json;        /* log-json.c: --log --json */
extern const struct mm_view mm_view_perfetto;        /* perfetto-view.c: --perfetto FILE */
extern const struct mm_view mm_view_html;            /* html-view.c: --html FILE */
extern const struct mm_view mm_view_sites;           /* sites-view.c: --sites */
extern const struct mm_view mm_view_pages;           /* pages-view.c: --pages[=end|start] */

#endif
