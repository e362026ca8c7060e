/*
 * report/model/pageset.h - sets of pages, as the model keeps a region's
 * touched, resident and dirty pages.
 *
 * Pages touched are a sparse bitmap of 64-page blocks ({base, mask} pairs in
 * a sorted array): memory is 16 bytes per 64-page block that has a touched
 * page, so a 2 GiB mapping with 4 touched pages costs at most 64 bytes, a
 * fully touched one twice a flat bitmap, and a split is a partition of the
 * blocks.
 */
#ifndef MM_REPORT_MODEL_PAGESET_H
#define MM_REPORT_MODEL_PAGESET_H

#include <stdbool.h>
#include <stdint.h>

/* Pages as absolute virtual page numbers (addr / page size). */
struct mm_pageblock {
	uint64_t base;      /* first vpn of the block, a multiple of 64 */
	uint64_t mask;      /* bit i: vpn base + i */
};
struct mm_pageset {
	struct mm_pageblock *b;
	uint32_t n, cap;
	uint64_t count;     /* pages in the set */
};

bool mm_pageset_add(struct mm_pageset *s, uint64_t vpn);      /* true: new */
bool mm_pageset_has(const struct mm_pageset *s, uint64_t vpn);
/* Remove [lo, hi) vpns; returns how many were in the set. */
uint64_t mm_pageset_remove(struct mm_pageset *s, uint64_t lo, uint64_t hi);
uint64_t mm_pageset_count_range(const struct mm_pageset *s, uint64_t lo, uint64_t hi);
/* Add up to N pages of [LO, HI) that S lacks, lowest first, looking at
 * no more than MAX_BLOCKS 64-page blocks (a bound on the time a hostile
 * trace can cost); returns how many were added. */
uint64_t mm_pageset_fill(struct mm_pageset *s, uint64_t lo, uint64_t hi, uint64_t n,
			 uint64_t max_blocks);
/* Remove up to N pages of S in [LO, HI): those from FROM on first, then
 * from LO (wrapping round), looking at no more than MAX_BLOCKS of S's
 * blocks; returns how many were removed. */
uint64_t mm_pageset_drain(struct mm_pageset *s, uint64_t lo, uint64_t hi, uint64_t from,
			  uint64_t n, uint64_t max_blocks);
/* Move the pages of SRC in [lo, hi) into DST, shifted by DELTA pages. */
void mm_pageset_move(struct mm_pageset *dst, struct mm_pageset *src,
		     uint64_t lo, uint64_t hi, int64_t delta);
/* DST (uninitialised) becomes a copy of SRC. */
void mm_pageset_copy(struct mm_pageset *dst, const struct mm_pageset *src);
void mm_pageset_free(struct mm_pageset *s);

#endif
