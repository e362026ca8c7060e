/*
 * report/model/heap-blocks.c - the malloc model's live blocks (heap-int.h):
 * a slab of blocks, an open-addressing hash from (process, address) to
 * the block that starts there, and containment bins for faults.
 *
 * Why two indexes: the allocator's calls name a block by its start (a
 * free, a realloc), which the hash finds in one probe or two; a fault
 * names any byte of a block, which needs the block whose extent holds it.
 * A balanced tree answers both, at a cost of O(log n) compares, a node
 * allocation and rebalancing on every call: 80% of report --leaks on the
 * bench's 4M calls.  So containment has its own index, built only as far
 * as faults need it:
 *
 *   - bins: a block [S, E] lies in the smallest granule of the ladder
 *     1 KiB, 16 KiB, 256 KiB, ... (2^(10+4L), level L) that holds all of
 *     it; the bin of (process, level, S >> shift) lists its blocks.  A
 *     byte A can only lie in the blocks of the one bin per level that
 *     holds A.  Live blocks are disjoint, so a bin above level 0 holds at
 *     most 15 (each crosses one of the 15 inner boundaries of the level
 *     below), one of level 0 at most 1024.
 *   - lazily: a new block waits in a pending array, which a fault scans
 *     (a compare of two words a block); only when more than MAX_PENDING
 *     wait are they all binned.  A program that keeps a few hundred blocks
 *     live and churns them (the bench's loop: 256) never touches a bin,
 *     one with many keeps its long-lived blocks binned and only the
 *     newest pending.
 *
 * Hostile traces: blocks may overlap there (a free the trace lost), so a
 * bin's walk stops after MAX_WALK entries: never wrong for disjoint
 * blocks, bounded for any.  Bins left empty stay in the table until they
 * outnumber the binned blocks, then the table is rebuilt without them.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/heap-int.h"

#define LEVEL0_SHIFT 10
#define LEVEL_STEP   4
#define MAX_WALK     1024
#define MAX_PENDING  1024
#define NO_EXTENT    UINT32_MAX   /* a block's bin without the extent index */

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t key_hash(int32_t tgid, uint64_t a)
{
	return mix(a ^ (uint64_t)(uint32_t)tgid << 40 ^ (uint64_t)(uint32_t)tgid);
}

/* ---- the exact index: (tgid, start) -> block ---- */

static void exact_grow(struct heap_blocks *b)
{
	struct heap_slot *old = b->slots;
	uint32_t n = b->mask + 1, cap = old ? n * 2 : 1024;

	b->slots = mm_calloc(cap, sizeof(*b->slots));
	b->mask = cap - 1;
	b->shift = (unsigned)__builtin_clz(cap) + 33;     /* 64 - log2(cap) */
	for (uint32_t k = 0; old && k < n; k++) {
		if (!old[k].idx)
			continue;
		uint32_t i = heap_blk_home(b, old[k].tgid, old[k].start);
		while (b->slots[i].idx)
			i = (i + 1) & b->mask;
		b->slots[i] = old[k];
	}
	free(old);
}

/* The slot of (TGID, START): the block's, or the empty one it would take. */
static uint32_t exact_slot(const struct heap_blocks *b, int32_t tgid, uint64_t start)
{
	uint32_t i = heap_blk_home(b, tgid, start);

	while (b->slots[i].idx && !(b->slots[i].start == start && b->slots[i].tgid == tgid))
		i = (i + 1) & b->mask;
	return i;
}

/* Linear probing's deletion: later entries of the run move back into the
 * hole when their home is at or before it, so no tombstones pile up. */
static void exact_del(struct heap_blocks *b, int32_t tgid, uint64_t start)
{
	uint32_t i = exact_slot(b, tgid, start);

	if (!b->slots[i].idx)
		return;
	for (uint32_t j = i;;) {
		j = (j + 1) & b->mask;
		if (!b->slots[j].idx)
			break;
		uint32_t h = heap_blk_home(b, b->slots[j].tgid, b->slots[j].start);
		/* J stays when its home lies cyclically in (I, J] */
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		b->slots[i] = b->slots[j];
		i = j;
	}
	b->slots[i].idx = 0;
}

/* ---- bins ---- */

static inline unsigned level_of(uint64_t start, uint64_t len)
{
	uint64_t end = start + len - 1 < start ? UINT64_MAX : start + len - 1;
	uint64_t x = start ^ end;

	if (x >> LEVEL0_SHIFT == 0)
		return 0;
	return (unsigned)(63 - __builtin_clzll(x) - LEVEL0_SHIFT) / LEVEL_STEP + 1;
}

static inline uint64_t gran_of(uint64_t a, unsigned level)
{
	unsigned shift = LEVEL0_SHIFT + LEVEL_STEP * level;

	return shift < 64 ? a >> shift : 0;
}

static inline uint64_t bin_hash(int32_t tgid, unsigned level, uint64_t gran)
{
	return key_hash(tgid, gran * 31 + level);
}

static void bins_rehash(struct heap_blocks *b, uint32_t cap)
{
	free(b->bin_tab);
	b->bin_tab = mm_calloc(cap, sizeof(*b->bin_tab));
	b->bin_mask = cap - 1;
	for (uint32_t k = 1; k < b->nr_bins; k++) {
		const struct heap_bin *n = &b->bins[k];
		if (!n->head && !n->in_tab)
			continue;
		uint32_t i = (uint32_t)bin_hash(n->tgid, n->level, n->gran) & b->bin_mask;
		while (b->bin_tab[i])
			i = (i + 1) & b->bin_mask;
		b->bin_tab[i] = k;
	}
}

/* Drop the empty bins (their slab entries go to the free list). */
static void bins_collect(struct heap_blocks *b)
{
	b->bin_free = 0;
	for (uint32_t k = 1; k < b->nr_bins; k++) {
		struct heap_bin *n = &b->bins[k];
		n->in_tab = n->head != 0;
		if (!n->in_tab) {
			n->next_free = b->bin_free;
			b->bin_free = k;
		}
	}
	b->empty_bins = 0;
	bins_rehash(b, b->bin_mask + 1);
}

static uint32_t bin_find(const struct heap_blocks *b, int32_t tgid, unsigned level, uint64_t gran)
{
	if (!b->bin_tab)
		return 0;
	for (uint32_t i = (uint32_t)bin_hash(tgid, level, gran) & b->bin_mask;;
	     i = (i + 1) & b->bin_mask) {
		uint32_t k = b->bin_tab[i];
		if (!k)
			return 0;
		const struct heap_bin *n = &b->bins[k];
		if (n->gran == gran && n->tgid == tgid && n->level == level)
			return k;
	}
}

static uint32_t bin_get(struct heap_blocks *b, int32_t tgid, unsigned level, uint64_t gran)
{
	uint32_t k = bin_find(b, tgid, level, gran);

	if (k)
		return k;
	if (!b->bin_tab)
		bins_rehash(b, 1024);
	if (b->empty_bins > 4096 && b->empty_bins > b->binned)
		bins_collect(b);
	if ((b->nr_bins + 1) * 2 > b->bin_mask + 1)
		bins_rehash(b, (b->bin_mask + 1) * 2);
	if (b->bin_free) {
		k = b->bin_free;
		b->bin_free = b->bins[k].next_free;
	} else {
		if (!b->nr_bins) {               /* [0] is none */
			MM_GROW(b->bins, b->nr_bins, b->cap_bins, 64);
			b->nr_bins = 1;
		}
		MM_GROW(b->bins, b->nr_bins, b->cap_bins, 64);
		k = b->nr_bins++;
	}
	b->bins[k] = (struct heap_bin){ .gran = gran, .tgid = tgid, .level = (uint8_t)level,
					.in_tab = true };
	b->empty_bins++;             /* until its first block */
	uint32_t i = (uint32_t)bin_hash(tgid, level, gran) & b->bin_mask;
	while (b->bin_tab[i])
		i = (i + 1) & b->bin_mask;
	b->bin_tab[i] = k;
	return k;
}

/* Take X out of its bin or the pending array. */
static void unlist(struct heap_blocks *b, struct blk *x)
{
	if (x->bin == NO_EXTENT)
		return;
	if (!x->bin) {
		uint32_t last = --b->nr_pend, at = x->pend;
		b->pend_start[at] = b->pend_start[last];
		b->pend_len[at] = b->pend_len[last];
		b->pend_idx[at] = b->pend_idx[last];
		b->blks[b->pend_idx[at]].pend = at;
		return;
	}
	struct heap_bin *n = &b->bins[x->bin];
	b->binned--;
	if (--n->count == 0)
		b->empty_bins++;
	if (--b->level_blocks[n->level] == 0)
		b->levels &= ~(1u << n->level);
	if (x->bprev)
		b->blks[x->bprev].bnext = x->bnext;
	else
		n->head = x->bnext;
	if (x->bnext)
		b->blks[x->bnext].bprev = x->bprev;
	x->bin = 0;
	x->bprev = x->bnext = 0;
}

/* Every pending block into its bin. */
static void flush(struct heap_blocks *b)
{
	for (uint32_t p = 0; p < b->nr_pend; p++) {
		uint32_t i = b->pend_idx[p];
		struct blk *x = &b->blks[i];
		unsigned level = level_of(x->start, heap_blk_len(x));
		uint32_t k = bin_get(b, x->tgid, level, gran_of(x->start, level));
		struct heap_bin *n = &b->bins[k];
		x->bprev = 0;
		x->bnext = n->head;
		if (n->head)
			b->blks[n->head].bprev = i;
		n->head = i;
		x->bin = k;
		if (n->count++ == 0)
			b->empty_bins--;
		b->binned++;
		if (b->level_blocks[level]++ == 0)
			b->levels |= 1u << level;
	}
	b->nr_pend = 0;
}

uint32_t heap_blk_at(struct heap_blocks *b, int32_t tgid, uint64_t addr)
{
	if (b->no_extent)
		return 0;
	/* in runs of 8 without a branch a block: a fault rarely hits one */
	const uint64_t *st = b->pend_start, *len = b->pend_len;
	for (uint32_t p = 0; p < b->nr_pend; p += 8) {
		uint32_t n = b->nr_pend - p < 8 ? b->nr_pend - p : 8;
		bool any = false;
		for (uint32_t k = 0; k < n; k++)
			any |= addr - st[p + k] < len[p + k];
		if (!any)
			continue;
		for (uint32_t k = 0; k < n; k++)
			if (addr - st[p + k] < len[p + k] && b->blks[b->pend_idx[p + k]].tgid == tgid)
				return b->pend_idx[p + k];
	}
	for (unsigned lv = 0; b->levels >> lv; lv++) {
		if (!(b->levels & 1u << lv))
			continue;
		uint32_t k = bin_find(b, tgid, lv, gran_of(addr, lv));
		unsigned walked = 0;
		for (uint32_t i = k ? b->bins[k].head : 0; i && walked < MAX_WALK;
		     i = b->blks[i].bnext, walked++) {
			const struct blk *x = &b->blks[i];
			if (x->start <= addr && addr - x->start < heap_blk_len(x))
				return i;
		}
	}
	return 0;
}

/* ---- the slab ---- */

uint32_t heap_blk_add(struct heap_blocks *b, int32_t tgid, uint64_t start, uint64_t size,
		      uint32_t *stale)
{
	uint32_t i;

	*stale = 0;
	if (!b->slots || (b->nr + 1) * 2 > b->mask + 1)
		exact_grow(b);
	uint32_t slot = exact_slot(b, tgid, start);
	if (b->slots[slot].idx) {
		*stale = b->slots[slot].idx;
		return 0;
	}
	if (b->nr >= MM_HEAP_MAX_BLOCKS)
		return 0;
	if (b->free_list) {
		i = b->free_list;
		b->free_list = b->blks[i].next;
	} else {
		if (!b->nr_slab) {               /* [0] is none */
			MM_GROW(b->blks, b->nr_slab, b->cap_slab, 1024);
			b->nr_slab = 1;
		}
		MM_GROW(b->blks, b->nr_slab, b->cap_slab, 1024);
		i = b->nr_slab++;
	}
	struct blk *x = &b->blks[i];
	memset(x, 0, sizeof(*x));
	x->tgid = tgid;
	x->start = start;
	x->size = size;
	b->slots[slot] = (struct heap_slot){ .start = start, .tgid = tgid, .idx = i };
	b->nr++;
	if (b->no_extent) {
		x->bin = NO_EXTENT;
		return i;
	}
	if (b->nr_pend == MAX_PENDING)
		flush(b);
	if (!b->pend_start) {
		b->pend_start = mm_malloc(MAX_PENDING * sizeof(*b->pend_start));
		b->pend_len = mm_malloc(MAX_PENDING * sizeof(*b->pend_len));
		b->pend_idx = mm_malloc(MAX_PENDING * sizeof(*b->pend_idx));
	}
	x->pend = b->nr_pend;
	b->pend_start[b->nr_pend] = start;
	b->pend_len[b->nr_pend] = heap_blk_len(x);
	b->pend_idx[b->nr_pend++] = i;
	return i;
}

void heap_blk_remove(struct heap_blocks *b, uint32_t i)
{
	struct blk *x = &b->blks[i];

	exact_del(b, x->tgid, x->start);
	unlist(b, x);
	b->nr--;
	x->next = b->free_list;
	b->free_list = i;
}

void heap_blocks_free(struct heap_blocks *b)
{
	free(b->blks);
	free(b->slots);
	free(b->bins);
	free(b->bin_tab);
	free(b->pend_start);
	free(b->pend_len);
	free(b->pend_idx);
	memset(b, 0, sizeof(*b));
}
