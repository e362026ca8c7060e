/*
 * report/analyses/context.h - memory context (`memmon report --context`): the
 * /proc snapshots taken at start and end, side by side: zones (spanned,
 * present, managed, free pages, the LRU lists), buddy free blocks per order, meminfo, and
 * the Vm* lines of each process's status at start, exec and end.
 *
 * The parsers treat snapshot text as hostile: lines are cut at a fixed
 * length, names truncated, numbers that do not parse are "unknown"
 * (MM_CTX_NONE) rather than guessed, and tables stop at fixed sizes.
 */
#ifndef MM_REPORT_ANALYSES_CONTEXT_H
#define MM_REPORT_ANALYSES_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mm_snapshot;

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

/* A zone's LRU lists and locked pages (zoneinfo's nr_zone_active_anon,
 * ..., nr_mlock), in this order. */
enum mm_ctx_lru {
	MM_LRU_ACTIVE_ANON, MM_LRU_INACTIVE_ANON, MM_LRU_ACTIVE_FILE, MM_LRU_INACTIVE_FILE,
	MM_LRU_UNEVICTABLE, MM_LRU_MLOCK, MM_LRU_NR
};
extern const char *const mm_ctx_lru_names[MM_LRU_NR];   /* "active_anon", ... */

struct mm_ctx_zone {
	int node;
	char name[16];
	uint64_t free, spanned, present, managed;   /* pages, MM_CTX_NONE if absent */
	uint64_t lru[MM_LRU_NR];                     /* pages, MM_CTX_NONE if absent */
	uint64_t start_pfn;          /* its first frame (spanned from there) */
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

/*
 * The context of one trace: the machine's tables at start and at end (the
 * first START snapshot, the last END one) and each process's Vm* lines at
 * each phase (start and exec: the first snapshot, end: the last).
 */
enum { MM_CTX_START, MM_CTX_END };   /* the two sides of the machine's tables */
#define MM_CTX_PHASES 3              /* process phases: start, exec, end */

struct mm_ctx_proc {
	int32_t pid;
	bool have[MM_CTX_PHASES];
	uint64_t vm[MM_CTX_PHASES][MM_VM_NR];
};

struct mm_context {
	bool have_zone[2], have_buddy[2], have_mem[2];
	struct mm_ctx_zone zone[2][MM_CTX_MAX_ZONES];
	size_t nz[2];
	struct mm_ctx_buddy buddy[2][MM_CTX_MAX_ZONES];
	size_t nb[2];
	struct mm_ctx_kv mem[2][MM_CTX_MAX_MEMINFO];
	size_t nm[2];
	struct mm_ctx_proc *procs;       /* in order of first snapshot */
	size_t nr_procs;
};

/* Take in one snapshot of the file (C zeroed before the first). */
void mm_context_add_snapshot(struct mm_context *c, const struct mm_snapshot *s);
void mm_context_free(struct mm_context *c);
/* The side that has the table: start, else end (-1: neither). */
int mm_ctx_base_side(const bool have[2]);
/* Z's (B's) zone on SIDE, matched by node and name; NULL when absent. */
const struct mm_ctx_zone *mm_ctx_zone_match(const struct mm_context *c, int side,
					    const struct mm_ctx_zone *z);
const struct mm_ctx_buddy *mm_ctx_buddy_match(const struct mm_context *c, int side,
					      const struct mm_ctx_buddy *b);
/* The meminfo value NAME on SIDE, MM_CTX_NONE when absent. */
uint64_t mm_ctx_mem_value(const struct mm_context *c, int side, const char *name);

#endif
