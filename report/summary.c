/*
 * report/summary.c - the closing summary block.
 *
 * Runs once per report, so plain snprintf is fine here.  The first four
 * lines are design.md's (tests read them); "trace records" counts the
 * file's raw records, as memmon info does (entry and exit of a syscall are
 * two records, one event); "missing events" and
 * "classifier" say how far the counts can be trusted, and "malformed
 * records" appears only when a hostile or damaged file had some.
 *
 *   # summary
 *   events: 1234 (faults 1000, syscalls 200, process 4, rss 30, filemap 0)
 *   faults: 1000 anon 800 file 150 swap 0 cow 10 other 40
 *   faults by access: R 300 W 690 X 10
 *   lost events: 0
 *   trace records: 1434
 *   missing events: none
 *   classifier: tracepoint
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "report/log.h"
#include "report/summary.h"

static uint64_t sum(const uint64_t *v, int n)
{
	uint64_t t = 0;
	for (int i = 0; i < n; i++)
		t += v[i];
	return t;
}

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
	uint64_t process = k[MM_EV_FORK] + k[MM_EV_EXEC] + k[MM_EV_EXIT] + k[MM_EV_RENAME];
	uint64_t by_class[MM_FAULT_NR], by_access[MM_ACCESS_NR] = { 0 };
	for (int c = 0; c < MM_FAULT_NR; c++) {
		by_class[c] = sum(s->faults[c], MM_ACCESS_NR);
		for (int a = 0; a < MM_ACCESS_NR; a++)
			by_access[a] += s->faults[c][a];
	}
	line(l, "# summary\n");
	line(l, "events: %" PRIu64 " (faults %" PRIu64 ", syscalls %" PRIu64 ", process %"
	     PRIu64 ", rss %" PRIu64 ", filemap %" PRIu64 ")\n",
	     sum(k, MM_EV_NR), k[MM_EV_FAULT], k[MM_EV_SYSCALL], process,
	     k[MM_EV_RSS], k[MM_EV_FILEMAP]);
	line(l, "faults: %" PRIu64 " anon %" PRIu64 " file %" PRIu64 " swap %" PRIu64
	     " cow %" PRIu64 " other %" PRIu64 "\n", k[MM_EV_FAULT],
	     by_class[MM_FAULT_ANON], by_class[MM_FAULT_FILE], by_class[MM_FAULT_SWAP],
	     by_class[MM_FAULT_COW], by_class[MM_FAULT_OTHER]);
	line(l, "faults by access: R %" PRIu64 " W %" PRIu64 " X %" PRIu64 "\n",
	     by_access[MM_ACCESS_R], by_access[MM_ACCESS_W], by_access[MM_ACCESS_X]);
	line(l, "lost events: %" PRIu64 "\n", info->lost);
	line(l, "trace records: %" PRIu64 "\n", info->records);
	/* puts, not line(): the list may outgrow a line buffer */
	mm_log_puts(l, "missing events: ");
	mm_log_puts(l, info->missing && *info->missing ? info->missing : "none");
	mm_log_puts(l, "\n");
	line(l, "classifier: %s\n", info->classifier);
	if (info->malformed)
		line(l, "malformed records: %" PRIu64 "\n", info->malformed);
}
