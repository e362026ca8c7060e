/*
 * report/model/heap-int.h - the state heap.c (events, blocks, peaks) and
 * heap-tables.c (the thread, process and site tables) share.
 */
#ifndef MM_REPORT_MODEL_HEAP_INT_H
#define MM_REPORT_MODEL_HEAP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "report/model/heap.h"

/* A live block (heap-blocks.c), in a slab: indexes, 0 for none.  One
 * cache line. */
struct blk {
	uint64_t start;
	uint64_t size;
	uint64_t seq;            /* allocation order */
	int32_t tgid, tid;
	uint32_t site;           /* index into h->sites */
	uint32_t proc;
	uint32_t prev, next;     /* the process's blocks; next: the slab's free list */
	uint32_t bprev, bnext;   /* its bin's blocks */
	uint32_t bin;            /* its bin, 0 while pending */
	uint32_t pend;           /* pending: its place in the pending array */
};

/* A block's extent: the size asked for, at least 1. */
static inline uint64_t heap_blk_len(const struct blk *b)
{
	return b->size ? b->size : 1;
}

struct heap_slot {               /* the exact index: idx 0 is empty */
	uint64_t start;
	int32_t tgid;
	uint32_t idx;
};

#define HEAP_LEVELS 15
struct heap_bin {
	uint64_t gran;           /* start >> the level's shift */
	int32_t tgid;
	uint8_t level;
	bool in_tab;             /* in bin_tab (else on the free list) */
	uint32_t head, count;
	uint32_t next_free;
};

struct heap_blocks {
	struct blk *blks;        /* the slab, [0] unused */
	uint32_t nr_slab, cap_slab, free_list, nr;
	struct heap_slot *slots;
	uint32_t mask;
	unsigned shift;          /* 64 - log2(slots) */
	/* the blocks not binned yet, as arrays a fault scans: each one's
	 * start, length and index */
	uint64_t *pend_start, *pend_len;
	uint32_t *pend_idx;
	uint32_t nr_pend;
	struct heap_bin *bins;   /* [0] unused */
	uint32_t nr_bins, cap_bins, bin_free;
	uint32_t *bin_tab, bin_mask;
	uint32_t binned, empty_bins;
	uint32_t levels;         /* levels with binned blocks */
	bool no_extent;          /* no containment index: nothing asks what
	                          * block holds an address (mm_heap_skip_faults) */
	uint32_t level_blocks[HEAP_LEVELS];
};

/* The exact index's home slot for (TGID, START): multiplicative hashing,
 * its top bits (block starts differ in their middle bits). */
static inline uint32_t heap_blk_home(const struct heap_blocks *b, int32_t tgid, uint64_t start)
{
	uint64_t x = (start ^ (uint64_t)(uint32_t)tgid << 48) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(x >> b->shift);
}

/* The block starting at START in TGID, or 0. */
static inline uint32_t heap_blk_find(const struct heap_blocks *b, int32_t tgid, uint64_t start)
{
	if (!b->slots)
		return 0;
	for (uint32_t i = heap_blk_home(b, tgid, start);; i = (i + 1) & b->mask) {
		const struct heap_slot *s = &b->slots[i];
		if (!s->idx)
			return 0;
		if (s->start == start && s->tgid == tgid)
			return s->idx;
	}
}
/* A block of TGID holding ADDR, or 0. */
uint32_t heap_blk_at(struct heap_blocks *b, int32_t tgid, uint64_t addr);
/* A new block: its index, its fields but tgid/start/size/len zero; 0
 * beyond MM_HEAP_MAX_BLOCKS, or with *STALE the block that starts at
 * START in TGID already (the caller drops it and asks again).  The slab
 * may move. */
uint32_t heap_blk_add(struct heap_blocks *b, int32_t tgid, uint64_t start, uint64_t size,
		      uint32_t *stale);
void heap_blk_remove(struct heap_blocks *b, uint32_t i);
void heap_blocks_free(struct heap_blocks *b);

#define PEND 4
struct thr {
	int32_t tid, tgid;
	uint64_t last_seq;       /* its latest allocation (temporaries) */
	bool free_valid;         /* a free was its latest allocator call */
	uint64_t free_ptr, free_site, free_ts;
	uint8_t free_op;
	uint32_t free_si;        /* the freed block's site, UINT32_MAX unknown */
	unsigned nr_pend;        /* memory syscalls since its latest call */
	struct { uint8_t nr; uint64_t addr, len; } pend[PEND];
};

struct procx {
	uint32_t blocks;         /* its live blocks, newest first */
	uint64_t brk;            /* its latest brk result */
	struct mm_heap_proc pub; /* (after: its counters share their line) */
};

struct mm_heap {
	struct heap_blocks b;
	uint64_t seq;
	struct mm_heap_site *sites;
	uint32_t nr_sites, cap_sites;
	uint32_t *site_tab;      /* index + 1, 0 empty */
	uint32_t site_mask;
	uint32_t site_last, proc_last;   /* the latest lookups' answers */
	struct thr *thr_last;
	struct procx *procs;
	uint32_t nr_procs, cap_procs;
	struct thr *thr;         /* tid 0: empty */
	uint32_t thr_mask, nr_thr;
	struct mm_heap_totals t;
	struct mm_as *as;        /* names the sites (mm_heap_name_sites), or NULL */
	int32_t ptab_keys[MM_HEAP_MAX_PROCS * 2];
	uint32_t ptab_vals[MM_HEAP_MAX_PROCS * 2];
};


struct thr *heap_thread_find(struct mm_heap *h, int32_t tid, bool make);
struct procx *heap_proc_find(struct mm_heap *h, int32_t tgid);

/* The thread TID (created when MAKE), or NULL: the last one's again
 * inline (most calls are the last call's thread's). */
static inline struct thr *heap_thread(struct mm_heap *h, int32_t tid, bool make)
{
	if (tid > 0 && h->thr_last && h->thr_last->tid == tid)
		return h->thr_last;
	return heap_thread_find(h, tid, make);
}

/* The process of TGID (created), or NULL beyond MM_HEAP_MAX_PROCS; the
 * last one's again inline. */
static inline struct procx *heap_proc(struct mm_heap *h, int32_t tgid)
{
	if (tgid > 0 && h->nr_procs && h->procs[h->proc_last].pub.tgid == tgid)
		return &h->procs[h->proc_last];
	return heap_proc_find(h, tgid);
}
/* The index of SITE in P's current image (created), UINT32_MAX beyond
 * MM_HEAP_MAX_SITES. */
uint32_t heap_site_index(struct mm_heap *h, const struct procx *p, const struct mm_heap_call *c,
			 uint8_t op);

#endif
