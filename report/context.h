/*
 * report/context.h - memory context (`memmon report --context`): the
 * /proc snapshots taken at start and end, side by side: zones (spanned,
 * present, managed, free pages), buddy free blocks per order, meminfo, and
 * the Vm* lines of each process's status at start, exec and end.
 *
 * The parsers treat snapshot text as hostile: lines are cut at a fixed
 * length, names truncated, numbers that do not parse are "unknown"
 * (MM_CTX_NONE) rather than guessed, and tables stop at fixed sizes.
 */
#ifndef MM_REPORT_CONTEXT_H
#define MM_REPORT_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "report/view.h"

#define MM_CTX_NONE UINT64_MAX       /* value missing from the snapshot */
#define MM_CTX_ORDERS 16             /* buddy orders kept (11 on x86-64) */
#define MM_CTX_MAX_ZONES 32
#define MM_CTX_MAX_MEMINFO 128

/* The status lines shown, in this order (kB). */
enum mm_ctx_vm {
	MM_VM_PEAK, MM_VM_SIZE, MM_VM_LCK, MM_VM_HWM, MM_VM_RSS, MM_VM_DATA,
	MM_VM_STK, MM_VM_EXE, MM_VM_LIB, MM_VM_PTE, MM_VM_SWAP, MM_VM_NR
};
extern const char *const mm_ctx_vm_names[MM_VM_NR];   /* "VmPeak", ... */

struct mm_ctx_kv {
	char name[32];
	uint64_t value;              /* kB when the line says kB */
};

struct mm_ctx_zone {
	int node;
	char name[16];
	uint64_t free, spanned, present, managed;   /* pages, MM_CTX_NONE if absent */
};

struct mm_ctx_buddy {
	int node;
	char zone[16];
	uint64_t count[MM_CTX_ORDERS];
	unsigned nr_orders;
};

/* Fill VM[] from /proc/PID/status text (MM_CTX_NONE where absent);
 * returns how many were found. */
unsigned mm_ctx_parse_status(const char *text, uint64_t vm[MM_VM_NR]);
/* Parse up to MAX entries; return how many. */
size_t mm_ctx_parse_meminfo(const char *text, struct mm_ctx_kv *out, size_t max);
size_t mm_ctx_parse_zoneinfo(const char *text, struct mm_ctx_zone *out, size_t max);
size_t mm_ctx_parse_buddyinfo(const char *text, struct mm_ctx_buddy *out, size_t max);

/* --context: text, JSON or CSV (see context.c for the field names). */
extern const struct mm_view mm_view_context;

#endif
