/*
 * report/analyses/timeline.h - memory over time (`memmon report
 * --timeline[=INTERVAL]`): per process and per interval, VSZ from the
 * rebuilt address space (report/model/addrspace.h), RSS by kind (anon,
 * file, shmem, swap entries) from kmem:rss_stat, and the faults taken;
 * peaks marked.
 *
 * rss_stat counters belong to an mm, not a task: an event with curr=1 is
 * the counter of the running task's own mm, which tells us which process an
 * mm_id belongs to (an exec gives the process a new mm_id).  Events with
 * curr=0 (another task changed the counter: reclaim, exit teardown) update
 * the mm they name.
 *
 * The engine is usable without the view (unit tests feed it and its model
 * events); the view wraps it.  Interval 0 means automatic: rows are kept
 * at a fine step and regrouped at the end into about 40 rows of a 1-2-5
 * interval.
 */
#ifndef MM_REPORT_ANALYSES_TIMELINE_H
#define MM_REPORT_ANALYSES_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"

struct mm_as;

/* One interval of one process; values are those at the interval's end,
 * *_max the highest within it. */
struct mm_tl_row {
	uint64_t k;                  /* interval index: start = t0 + k * interval */
	uint64_t vsz, vsz_max;       /* bytes */
	int64_t rss[MM_RSS_NR];      /* bytes, by enum mm_rss_member */
	int64_t rss_max;             /* highest file+anon+shmem within */
	uint64_t faults;
};

struct mm_tl_proc {
	int32_t tgid;
	char comm[16];
	struct mm_tl_row *rows;      /* sparse: only intervals with events */
	size_t nr, cap;
	/* current values */
	uint64_t vsz;
	uint32_t mm_id;
	bool have_mm;
	bool exited;
};

struct mm_timeline;

/* VSZ comes from model AS, which the caller owns and feeds: each event goes
 * to mm_as_event(AS) first, then to mm_timeline_event().  INTERVAL_NS 0:
 * automatic. */
struct mm_timeline *mm_timeline_new(struct mm_as *as, uint64_t interval_ns);
void mm_timeline_free(struct mm_timeline *tl);
/* Automatic mode: about ROWS rows at the end instead of 40 (a picture
 * wants more); before the first event. */
void mm_timeline_set_rows(struct mm_timeline *tl, size_t rows);
void mm_timeline_event(struct mm_timeline *tl, const struct mm_event *ev);
/* --between: keep only the intervals from FROM_TS to TO_TS (trace clock);
 * the values carried into the first come from before it.  Before finish. */
void mm_timeline_cut(struct mm_timeline *tl, uint64_t from_ts, uint64_t to_ts);
/* Regroup (automatic interval) and freeze; after mm_as_finish(AS). */
void mm_timeline_finish(struct mm_timeline *tl);

uint64_t mm_timeline_interval(const struct mm_timeline *tl);
uint64_t mm_timeline_t0(const struct mm_timeline *tl);
size_t mm_timeline_nr_procs(const struct mm_timeline *tl);
const struct mm_tl_proc *mm_timeline_proc(const struct mm_timeline *tl, size_t i);
/* The peaks of P's rows: the index of the (first) row with the highest
 * vsz_max, rss_max and faults; any_*: some row's value is not 0. */
struct mm_tl_peaks {
	size_t vsz, rss, faults;
	bool any_vsz, any_rss, any_faults;
};
struct mm_tl_peaks mm_tl_peaks_of(const struct mm_tl_proc *p);
/* RSS of a row: file + anon + shmem. */
static inline int64_t mm_tl_rss(const struct mm_tl_row *r)
{
	return r->rss[MM_RSS_FILE] + r->rss[MM_RSS_ANON] + r->rss[MM_RSS_SHMEM];
}

#endif
