/*
 * report/model/pageset.c - page sets: sorted {base, mask} blocks of 64
 * pages (see pageset.h for why this shape).
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/pageset.h"

/* Index of the first block with base >= BASE.  The last block first:
 * pages are mostly touched in ascending order, each fault then lands in
 * the last block or just past it (a binary search per fault was a tenth
 * of report --log's time on a first-touch loop). */
static uint32_t ps_lower(const struct mm_pageset *s, uint64_t base)
{
	if (!s->n || s->b[s->n - 1].base < base)
		return s->n;
	if (s->b[s->n - 1].base == base)      /* bases are sorted and unique */
		return s->n - 1;
	return (uint32_t)MM_PARTITION_POINT(s->n, i, s->b[i].base < base);
}

/* Make an empty block at BASE the I-th (I: ps_lower's answer for BASE). */
static void ps_insert(struct mm_pageset *s, uint32_t i, uint64_t base)
{
	MM_GROW(s->b, s->n, s->cap, 4);
	memmove(s->b + i + 1, s->b + i, (s->n - i) * sizeof(*s->b));
	s->b[i].base = base;
	s->b[i].mask = 0;
	s->n++;
}

/* Pages in MASK.  Debian builds for the x86-64 baseline, which has no
 * popcnt instruction, and gcc's __builtin_popcountll then calls libgcc's
 * table walk (measured: 6% of report --regions on a fault storm); this is
 * the same count in a few ALU operations, and popcnt where the build has it. */
static inline uint64_t bits(uint64_t m)
{
#ifdef __POPCNT__
	return (uint64_t)__builtin_popcountll(m);
#else
	m = m - ((m >> 1) & 0x5555555555555555ull);
	m = (m & 0x3333333333333333ull) + ((m >> 2) & 0x3333333333333333ull);
	m = (m + (m >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (m * 0x0101010101010101ull) >> 56;
#endif
}

/* OR MASK into the block at BASE; returns the pages that were new. */
static uint64_t ps_or(struct mm_pageset *s, uint64_t base, uint64_t mask)
{
	if (!mask)
		return 0;
	uint32_t i = ps_lower(s, base);
	if (i == s->n || s->b[i].base != base)
		ps_insert(s, i, base);
	uint64_t added = mask & ~s->b[i].mask;
	s->b[i].mask |= mask;
	s->count += bits(added);
	return added;
}

bool mm_pageset_add(struct mm_pageset *s, uint64_t vpn)
{
	return ps_or(s, vpn & ~63ull, 1ull << (vpn & 63)) != 0;
}

bool mm_pageset_has(const struct mm_pageset *s, uint64_t vpn)
{
	uint32_t i = ps_lower(s, vpn & ~63ull);
	return i < s->n && s->b[i].base == (vpn & ~63ull) &&
	       (s->b[i].mask >> (vpn & 63) & 1);
}

/* Bits of the block at BASE that fall in [lo, hi). */
static uint64_t range_mask(uint64_t base, uint64_t lo, uint64_t hi)
{
	uint64_t from = lo > base ? lo - base : 0;
	uint64_t to = hi - base < 64 ? hi - base : 64;
	if (hi <= base || from >= 64 || from >= to)
		return 0;
	uint64_t m = to == 64 ? ~0ull : (1ull << to) - 1;
	return m & ~((1ull << from) - 1);
}

uint64_t mm_pageset_count_range(const struct mm_pageset *s, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;
	for (uint32_t i = ps_lower(s, lo & ~63ull); i < s->n && s->b[i].base < hi; i++)
		n += bits(s->b[i].mask & range_mask(s->b[i].base, lo, hi));
	return n;
}

uint64_t mm_pageset_remove(struct mm_pageset *s, uint64_t lo, uint64_t hi)
{
	uint32_t i = ps_lower(s, lo & ~63ull), out = i;
	uint64_t removed = 0;

	for (; i < s->n; i++) {
		struct mm_pageblock b = s->b[i];
		uint64_t m = b.mask & range_mask(b.base, lo, hi);
		removed += bits(m);
		b.mask &= ~m;
		if (b.mask)                 /* compact: empty blocks go */
			s->b[out++] = b;
	}
	s->n = out;
	s->count -= removed;
	return removed;
}

/* The N lowest set bits of M. */
static uint64_t lowest_bits(uint64_t m, uint64_t n)
{
	if (bits(m) <= n)
		return m;
	uint64_t out = 0;
	for (; m && n; n--, m &= m - 1)
		out |= m & -m;
	return out;
}

/* One walk over the blocks from LO's on, in step with the bases, not a
 * search per block: two threads of one mm share its counters, so the
 * model places pages ahead of a thread and each later fault's fill
 * crosses the full blocks up to that frontier (storm x30: 7.4M fills
 * over 64M blocks; --regions 4.9 -> 3.7 s with the walk). */
uint64_t mm_pageset_fill(struct mm_pageset *s, uint64_t lo, uint64_t hi, uint64_t n,
			 uint64_t max_blocks)
{
	uint64_t added = 0;
	uint32_t i = ps_lower(s, lo & ~63ull);
	for (uint64_t base = lo & ~63ull; base < hi && added < n && max_blocks--; base += 64) {
		bool here = i < s->n && s->b[i].base == base;
		uint64_t m = lowest_bits(range_mask(base, lo, hi) & ~(here ? s->b[i].mask : 0),
					 n - added);
		if (m) {
			if (!here)
				ps_insert(s, i, base);
			uint64_t k = bits(m);
			s->b[i].mask |= m;
			s->count += k;
			added += k;
		}
		if (here || m)
			i++;                    /* the block after BASE's */
		if (base + 64 < base)
			break;                  /* the top of the address space */
	}
	return added;
}

/* Clear up to N set bits of the blocks [I, END) within [LO, HI), above
 * FROM in the first; *SCAN counts down the blocks looked at. */
static uint64_t ps_clear(struct mm_pageset *s, uint32_t i, uint64_t lo, uint64_t hi,
			 uint64_t stop, uint64_t n, uint64_t *scan)
{
	uint64_t removed = 0;
	for (; i < s->n && s->b[i].base < stop && removed < n && *scan; i++, (*scan)--) {
		uint64_t m = lowest_bits(s->b[i].mask & range_mask(s->b[i].base, lo, hi), n - removed);
		s->b[i].mask &= ~m;
		removed += bits(m);
	}
	return removed;
}

uint64_t mm_pageset_drain(struct mm_pageset *s, uint64_t lo, uint64_t hi, uint64_t from,
			  uint64_t n, uint64_t max_blocks)
{
	if (from < lo || from >= hi)
		from = lo;
	uint64_t removed = ps_clear(s, ps_lower(s, from & ~63ull), from, hi, hi, n, &max_blocks);
	if (removed < n && from > lo)
		removed += ps_clear(s, ps_lower(s, lo & ~63ull), lo, from, from, n - removed,
				    &max_blocks);
	uint32_t out = 0;
	for (uint32_t i = 0; i < s->n; i++)     /* empty blocks go */
		if (s->b[i].mask)
			s->b[out++] = s->b[i];
	s->n = out;
	s->count -= removed;
	return removed;
}

void mm_pageset_move(struct mm_pageset *dst, struct mm_pageset *src,
		     uint64_t lo, uint64_t hi, int64_t delta)
{
	for (uint32_t i = ps_lower(src, lo & ~63ull); i < src->n && src->b[i].base < hi; i++) {
		uint64_t base = src->b[i].base;
		uint64_t m = src->b[i].mask & range_mask(base, lo, hi);
		if (delta % 64 == 0) {          /* block-aligned: whole words */
			ps_or(dst, base + (uint64_t)delta, m);
			continue;
		}
		for (; m; m &= m - 1)
			mm_pageset_add(dst, base + (uint64_t)__builtin_ctzll(m) + (uint64_t)delta);
	}
	mm_pageset_remove(src, lo, hi);
}

void mm_pageset_copy(struct mm_pageset *dst, const struct mm_pageset *src)
{
	*dst = *src;
	dst->cap = src->n;
	dst->b = src->n ? mm_malloc(src->n * sizeof(*src->b)) : NULL;
	if (src->n)
		memcpy(dst->b, src->b, src->n * sizeof(*src->b));
}

void mm_pageset_free(struct mm_pageset *s)
{
	free(s->b);
	memset(s, 0, sizeof(*s));
}
