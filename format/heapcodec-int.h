/*
 * format/heapcodec-int.h - what the heap codec's encoder (heapcodec.c) and
 * decoder (heapdecode.c) share: the sub-buffer event sizes and the number
 * codings.
 */
#ifndef MM_FORMAT_HEAPCODEC_INT_H
#define MM_FORMAT_HEAPCODEC_INT_H

#include <stdint.h>

#include "heapcodec.h"

#define TD_BITS 27
#define TD_MAX  ((1u << TD_BITS) - 1)
#define EVENT_BYTES (4 + MM_HEAP_EV_LEN)
#define EXTEND_BYTES 8
#define DEAD_PTR  1                /* neither NULL nor 1 is ever a block */

static inline uint64_t zig(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzig(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* mm_heap_pages_add() (heapcodec.h), inline for the decoder's loop. */
static inline uint32_t heap_pages_add(struct mm_heap_pages *p, uint64_t ts, int *new_page)
{
	uint32_t ext = 0;

	if (p->nr && p->used + EVENT_BYTES <= p->room) {
		if (ts - p->last_ts > TD_MAX)
			ext = EXTEND_BYTES;
		if (p->used + ext + EVENT_BYTES <= p->room) {
			p->used += ext + EVENT_BYTES;
			p->last_ts = ts;
			*new_page = 0;
			return ext;
		}
	}
	/* a new sub-buffer: its time stamp is the record's, delta 0 */
	p->nr++;
	p->used = EVENT_BYTES;
	p->last_ts = ts;
	*new_page = 1;
	return 0;
}

#endif
