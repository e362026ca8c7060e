/*
 * report/views/log-summary.c - the closing summary block.
 *
 * Runs once per report, so plain snprintf is fine here.  The first four
 * lines are design.md's (tests read them); "trace records" counts the
 * file's raw records, as memmon info does (entry and exit of a syscall are
 * two records, one event); "missing events" and
 * "classifier" say how far the counts can be trusted, "malformed
 * records" appears only when a hostile or damaged file had some, and
 * "markers of other processes" only when trace_marker writes of
 * processes outside the trace came in (and were left out), "left out" only when record's child (a copy of memmon until it execs
 * the command) had events before its exec.
 *
 *   # summary
 *   events: 1234 (faults 1000, syscalls 200, process 4, rss 30, filemap 0)
 *           (record --malloc adds ", malloc N": its records, calls and notes;
 *           a trace with trace_marker writes ", markers N", one whose
 *           watch list changed ", watch N")
 *   faults: 1000 anon 800 file 150 swap 0 cow 10 other 40
 *   faults by access: R 300 W 690 X 10
 *   lost events: 0
 *   lost malloc records: 0      (record --malloc traces only)
 *   trace records: 1434
 *   missing events: none
 *   classifier: tracepoint
 *   stacks: 36 memory calls with a stack, 36 shallow because frame pointers
 *           are missing in libc.so.6 (...)    (traces with stacks only)
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "report/views/code.h"
#include "report/views/log.h"
#include "report/analyses/summary.h"

static void line(struct mm_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct mm_log *l, const char *fmt, ...)
{
	char buf[MM_LOG_LINE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mm_log_puts(l, buf);
}

void mm_summary_write(const struct mm_summary *s, const struct mm_summary_info *info,
		      struct mm_log *l)
{
	const uint64_t *k = s->by_kind;
	struct mm_summary_totals t;

	mm_summary_totals(s, &t);
	char heap[40] = "", markers[40] = "", watch[40] = "", frames[40] = "";
	if (info->heap)
		snprintf(heap, sizeof(heap), ", malloc %" PRIu64, k[MM_EV_HEAP]);
	if (k[MM_EV_MARKER])
		snprintf(markers, sizeof(markers), ", markers %" PRIu64, k[MM_EV_MARKER]);
	if (k[MM_EV_WATCH])
		snprintf(watch, sizeof(watch), ", watch %" PRIu64, k[MM_EV_WATCH]);
	if (k[MM_EV_FRAME])
		snprintf(frames, sizeof(frames), ", frames %" PRIu64, k[MM_EV_FRAME]);
	line(l, "# summary\n");
	line(l, "events: %" PRIu64 " (faults %" PRIu64 ", syscalls %" PRIu64 ", process %"
	     PRIu64 ", rss %" PRIu64 ", filemap %" PRIu64 "%s%s%s%s)\n",
	     t.events, k[MM_EV_FAULT], k[MM_EV_SYSCALL], t.process,
	     k[MM_EV_RSS], k[MM_EV_FILEMAP], heap, markers, watch, frames);
	char unknown[40] = "";    /* only where a trace could not tell (before 6.2) */
	if (t.by_class[MM_FAULT_UNKNOWN])
		snprintf(unknown, sizeof(unknown), " unknown %" PRIu64, t.by_class[MM_FAULT_UNKNOWN]);
	line(l, "faults: %" PRIu64 " anon %" PRIu64 " file %" PRIu64 " swap %" PRIu64
	     " cow %" PRIu64 " other %" PRIu64 "%s\n", k[MM_EV_FAULT],
	     t.by_class[MM_FAULT_ANON], t.by_class[MM_FAULT_FILE], t.by_class[MM_FAULT_SWAP],
	     t.by_class[MM_FAULT_COW], t.by_class[MM_FAULT_OTHER], unknown);
	line(l, "faults by access: R %" PRIu64 " W %" PRIu64 " X %" PRIu64 "\n",
	     t.by_access[MM_ACCESS_R], t.by_access[MM_ACCESS_W], t.by_access[MM_ACCESS_X]);
	line(l, "lost events: %" PRIu64 "\n", info->lost);
	if (info->heap)
		line(l, "lost malloc records: %" PRIu64 "\n", s->heap_lost);
	line(l, "trace records: %" PRIu64 "\n", info->records);
	/* puts, not line(): the list may outgrow a line buffer */
	mm_log_puts(l, "missing events: ");
	mm_log_puts(l, info->missing && *info->missing ? info->missing : "none");
	mm_log_puts(l, "\n");
	line(l, "classifier: %s\n", info->classifier);
	if (s->stacks.with_stack) {
		char fp[600];
		mm_view_shallow_text(&s->stacks, fp, sizeof(fp));
		line(l, "stacks: %" PRIu64 " memory calls with a stack, %s%s\n", s->stacks.with_stack,
		     *fp ? fp : "none shallow", *fp ? " (--sites marks the missing callers '?')" : "");
	} else if (info->stacks_off) {   /* puts: record's reason has a path */
		mm_log_puts(l, "stacks: none: ");
		mm_log_puts(l, info->stacks_off);
		mm_log_puts(l, "\n");
	}
	if (info->lacks) {               /* puts: longer than a line buffer */
		mm_log_puts(l, "recorded by: ");
		mm_log_puts(l, info->lacks);
		mm_log_puts(l, "\n");
	}
	if (info->malformed)
		line(l, "malformed records: %" PRIu64 "\n", info->malformed);
	if (info->foreign_markers)
		line(l, "markers of other processes: %" PRIu64 " (left out)\n", info->foreign_markers);
	if (info->held) {
		const uint64_t *h = info->held->by_kind;
		struct mm_summary_totals ht;
		mm_summary_totals(info->held, &ht);
		if (ht.events)
			line(l, "left out: %" PRIu64 " (faults %" PRIu64 ", syscalls %" PRIu64
			     ", process %" PRIu64 ", rss %" PRIu64 ", filemap %" PRIu64
			     ") of record's child before it ran the command\n", ht.events,
			     h[MM_EV_FAULT], h[MM_EV_SYSCALL], ht.process, h[MM_EV_RSS],
			     h[MM_EV_FILEMAP]);
	}
}
