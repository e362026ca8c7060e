/*
 * report/summary.h - the closing summary of `memmon report` (design.md):
 * events by kind, faults by class and by access, lost and missing events,
 * the classifier.  Counted from the events the log was given, so a --pid
 * filter applies to it as well.
 */
#ifndef MM_REPORT_SUMMARY_H
#define MM_REPORT_SUMMARY_H

#include <stdint.h>

#include "plugins/event.h"

struct mm_log;

struct mm_summary {
	uint64_t by_kind[MM_EV_NR];
	uint64_t faults[MM_FAULT_NR][MM_ACCESS_NR];
};

/* What the summary says besides the counts. */
struct mm_summary_info {
	uint64_t records;            /* raw trace records in the file (what
	                              * memmon info counts: a syscall is two) */
	uint64_t lost;               /* events the kernel dropped */
	uint64_t malformed;          /* records too short for their event */
	const char *missing;         /* "sys:name,..." or "" */
	const char *classifier;      /* "tracepoint" or "kprobe" */
};

static inline void mm_summary_add(struct mm_summary *s, const struct mm_event *ev)
{
	s->by_kind[ev->kind]++;
	if (ev->kind == MM_EV_FAULT)
		s->faults[ev->fault.class][ev->fault.access]++;
}

/* Append the "# summary" block to L. */
void mm_summary_write(const struct mm_summary *s, const struct mm_summary_info *info,
		      struct mm_log *l);

#endif
