/*
 * report/analyses/window.h - `report --between M,N`: the stretch of a
 * trace between two phase markers, and what happened to each region in it.
 *
 * Markers are the program's fsync(N)/fdatasync(N) calls and its writes to
 * trace_marker (record --markers), numbered 1, 2, ... in time order over
 * the whole trace (a --pid filter does not renumber them).  M and N name
 * a marker by number, by text (a trace_marker write's text, or "fsync(3)"
 * for a call), "start" (or 0) for the trace's first event and "end" for
 * its last.  The window holds the events from marker M to marker N, both
 * included.
 *
 * The stream is read once: the window opens when marker M comes and
 * closes after marker N, so the log and the views decide as events come.
 * While it is open the model's fault hook counts each region's faults
 * (class and access, kernel-mode ones) and its pages first touched, for
 * --regions; --timeline keeps its rows of the window's intervals.
 */
#ifndef MM_REPORT_ANALYSES_WINDOW_H
#define MM_REPORT_ANALYSES_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"

struct mm_as;
struct mm_region;

/* One end of the window. */
enum mm_window_end { MM_WIN_START, MM_WIN_END, MM_WIN_NUMBER, MM_WIN_TEXT };
struct mm_window_spec {
	enum mm_window_end kind;
	uint64_t number;             /* MM_WIN_NUMBER: 1, 2, ... */
	char text[MM_MARKER_TEXT];   /* MM_WIN_TEXT */
};

/* What a region did inside the window. */
struct mm_window_counts {
	uint32_t region_id;
	uint64_t faults[MM_FAULT_NR][MM_ACCESS_NR];
	uint64_t nr_faults, kernel_faults, touched;
};

struct mm_window {
	bool active;                 /* --between was given */
	struct mm_window_spec from, to;
	bool open, closed;           /* inside it now / past its end */
	bool opened;                 /* it opened at some point */
	uint64_t from_ts, to_ts;     /* trace clock of marker M and marker N */
	uint64_t from_no, to_no;     /* their numbers (0: start, or not seen) */
	uint64_t markers;            /* markers seen so far */
	char from_text[MM_MARKER_TEXT + 16], to_text[MM_MARKER_TEXT + 16];
	uint64_t last_ts;            /* the latest event: "end" */
	/* per region id, sorted (regions are few; a fault is a binary search) */
	struct mm_window_counts *c;
	size_t nr, cap;
	uint64_t outside_faults;     /* in the window, outside every region */
};

/* "M,N" into W (W->active set); -1 with mm_error() naming what is wrong. */
int mm_window_parse(struct mm_window *w, const char *arg);
/* The marker EV's text as --between matches it: a trace_marker write's
 * text, "fsync(3)", "fdatasync(3)". */
void mm_window_marker_text(const struct mm_event *ev, char *buf, size_t len);
/* Before an event is handed on: a marker may open the window. */
void mm_window_before(struct mm_window *w, const struct mm_event *ev);
/* After it was handed on: marker N closes the window. */
void mm_window_after(struct mm_window *w, const struct mm_event *ev);
/* Is the window open now (always true without --between)? */
static inline bool mm_window_in(const struct mm_window *w)
{
	return !w->active || w->open;
}
/* End of stream: a window to "end" closes at the last event.  -1 with
 * mm_error() when marker M or N never came (saying how many there were). */
int mm_window_finish(struct mm_window *w);
/* Count faults into W from model AS's fault hook (while W is open). */
void mm_window_watch_model(struct mm_window *w, struct mm_as *as);
/* Region R's counts in the window (zeroes when it took no fault there). */
const struct mm_window_counts *mm_window_region(const struct mm_window *w,
						const struct mm_region *r);
/* Did region R live at some moment of the window? */
bool mm_window_overlaps(const struct mm_window *w, const struct mm_region *r);
void mm_window_free(struct mm_window *w);

#endif
