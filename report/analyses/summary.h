/*
 * report/analyses/summary.h - the counts of the closing summary of
 * `memmon report` (design.md): events by kind, faults by class and by
 * access, lost and missing events, the classifier.  Counted from the
 * events the log was given, so a --pid filter applies to it as well.  The
 * text form is written by report/views/log-summary.c, the JSON one by
 * report/views/log-json.c.
 */
#ifndef MM_REPORT_ANALYSES_SUMMARY_H
#define MM_REPORT_ANALYSES_SUMMARY_H

#include <stdint.h>

#include "format/heapops.h"
#include "plugins/event.h"
#include "report/model/symbols.h"

struct mm_summary {
	uint64_t by_kind[MM_EV_NR];
	uint64_t faults[MM_FAULT_NR][MM_ACCESS_NR];
	uint64_t heap_lost;              /* record --malloc: records lost (LOST) */
	struct mm_stack_counts stacks;   /* the memory calls' stacks (--sites'
	                                  * calls; none without the model) */
};

/* What the summary says besides the counts. */
struct mm_summary_info {
	uint64_t records;            /* raw trace records in the file (what
	                              * memmon info counts: a syscall is two) */
	uint64_t lost;               /* events the kernel dropped */
	uint64_t malformed;          /* records too short for their event */
	const char *missing;         /* "sys:name,..." or "" */
	const char *classifier;      /* "tracepoint" or "kprobe" */
	bool heap;                   /* the trace has record --malloc's records */
	uint64_t foreign_markers;    /* trace_marker writes of processes not in
	                              * the trace (copy_trace_marker): left out */
	/* events of record's child before it exec'd CMD (a copy of memmon):
	 * left out of everything else (NULL: none counted) */
	const struct mm_summary *held;
	/* another tool's file (trace-cmd's): what it lacks, NULL for memmon's */
	const char *lacks;
	/* why record took no stacks of the memory calls (MM_KEY_STACKS after
	 * "off: "), NULL when it took them or the file does not say */
	const char *stacks_off;
};

static inline void mm_summary_add(struct mm_summary *s, const struct mm_event *ev)
{
	s->by_kind[ev->kind]++;
	if (ev->kind == MM_EV_FAULT)
		s->faults[ev->fault.class][ev->fault.access]++;
	else if (ev->kind == MM_EV_HEAP && ev->heap.op == MM_OP_LOST)
		s->heap_lost += ev->heap.size;
}

/* What both summaries (text, JSON) print, derived from the counts. */
struct mm_summary_totals {
	uint64_t events;
	uint64_t process;                  /* fork + exec + exit + rename + signal */
	uint64_t by_class[MM_FAULT_NR];
	uint64_t by_access[MM_ACCESS_NR];
};

static inline void mm_summary_totals(const struct mm_summary *s, struct mm_summary_totals *t)
{
	const uint64_t *k = s->by_kind;

	*t = (struct mm_summary_totals){
		.process = k[MM_EV_FORK] + k[MM_EV_EXEC] + k[MM_EV_EXIT] + k[MM_EV_RENAME] +
			   k[MM_EV_SIGNAL],
	};
	for (int i = 0; i < MM_EV_NR; i++)
		t->events += k[i];
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++) {
			t->by_class[c] += s->faults[c][a];
			t->by_access[a] += s->faults[c][a];
		}
}


#endif
