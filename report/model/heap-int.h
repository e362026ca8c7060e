/*
 * report/model/heap-int.h - the state heap.c (events, blocks, peaks) and
 * heap-tables.c (the thread, process and site tables) share.
 */
#ifndef MM_REPORT_MODEL_HEAP_INT_H
#define MM_REPORT_MODEL_HEAP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "report/model/heap.h"

struct blk {
	int32_t tgid, tid;
	uint64_t start, len;     /* len: the size asked for, at least 1 */
	uint64_t size;
	uint64_t seq;            /* allocation order */
	uint32_t site;           /* index into h->sites */
	uint32_t proc;
	struct blk *prev, *next; /* the process's blocks */
};

#define PEND 4
struct thr {
	int32_t tid, tgid;
	uint64_t last_seq;       /* its latest allocation (temporaries) */
	bool free_valid;         /* a free was its latest allocator call */
	uint64_t free_ptr, free_site;
	uint32_t free_si;        /* the freed block's site, UINT32_MAX unknown */
	unsigned nr_pend;        /* memory syscalls since its latest call */
	struct { uint8_t nr; uint64_t addr, len; } pend[PEND];
};

struct procx {
	struct mm_heap_proc pub;
	struct blk *blocks;      /* its live blocks */
	uint64_t brk;            /* its latest brk result */
};

struct mm_heap {
	void *root;
	uint64_t nr_blocks, seq;
	struct blk *spare;       /* freed blocks for reuse (linked by next) */
	struct mm_heap_site *sites;
	uint32_t nr_sites, cap_sites;
	uint32_t *site_tab;      /* index + 1, 0 empty */
	uint32_t site_mask;
	struct procx *procs;
	uint32_t nr_procs, cap_procs;
	struct thr *thr;         /* tid 0: empty */
	uint32_t thr_mask, nr_thr;
	struct mm_heap_totals t;
	int32_t ptab_keys[MM_HEAP_MAX_PROCS * 2];
	uint32_t ptab_vals[MM_HEAP_MAX_PROCS * 2];
};


struct thr *heap_thread(struct mm_heap *h, int32_t tid, bool make);
/* The process of TGID (created), or NULL beyond MM_HEAP_MAX_PROCS. */
struct procx *heap_proc(struct mm_heap *h, int32_t tgid);
/* The index of SITE in P's current image (created), UINT32_MAX beyond
 * MM_HEAP_MAX_SITES. */
uint32_t heap_site_index(struct mm_heap *h, const struct procx *p, uint64_t site, uint8_t op);
/* The tree's order: by process, then address; overlapping blocks are equal. */
int heap_cmp(const void *a, const void *b);

#endif
