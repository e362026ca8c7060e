/*
 * format/holes.h - the bytes of an event that no field of its format
 * covers, which record stores as 0.
 *
 * Why: the kernel fills an event's fields one by one and never the gaps
 * the C layout leaves between them (after a syscall event's 4-byte
 * __syscall_nr, after rss_stat's member) or after the last one, so those
 * bytes hold whatever the ring's page held before: bytes of earlier
 * events, different in every event.  They mean nothing, yet they are noise
 * that neither the delta codec nor zstd can shrink: on the bench's mallocs
 * a quarter of the file was rss_stat's and brk's gap bytes.  Zeroing them
 * loses nothing a reader could use (libtraceevent reads fields, never the
 * gaps) and keeps the stale bytes of other events out of the file.
 *
 * The table is built from the format texts record stores (the same text
 * the reader parses with libtraceevent); the columns codec applies it to
 * every payload it takes (columns.c).  Events whose layout the text does
 * not fully state are treated with care: with a dynamic field (__data_loc,
 * __rel_loc) or an array of size 0 the bytes past the last fixed field are
 * data, so only the gaps between fields are zeroed.
 */
#ifndef MM_FORMAT_HOLES_H
#define MM_FORMAT_HOLES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MM_HOLES_SPAN   256   /* bytes of a payload that can have holes (MM_DELTA_MAX_PAYLOAD) */
#define MM_HOLES_TYPES  255   /* event types with holes; others stay as they are */

/* Per type with holes, a mask of its first MM_HOLES_SPAN bytes: all ones
 * over a field, 0 over a hole, applied word by word on record's hot path. */
struct mm_holes {
	uint8_t of_type[65536];       /* common_type -> mask index + 1, 0: none */
	uint32_t nr;                  /* masks in use */
	uint64_t mask[MM_HOLES_TYPES][MM_HOLES_SPAN / 8];
};

/*
 * Learn the holes of the event whose format file text is TEXT (LEN bytes,
 * as tracefs gives it: "ID: N" and one "field:...; offset:N; size:N;" line
 * per field).  Returns the number of hole bytes in its first MM_HOLES_SPAN
 * (0 also when the text is not one to trust: no ID, no fields, a field it
 * cannot read or past 4 KiB); never fails.  An ID seen before is kept as
 * it was.
 */
unsigned mm_holes_add_format(struct mm_holes *h, const char *text, size_t len);

/* The mask of TYPE, or NULL when it has no holes. */
static inline const uint64_t *mm_holes_of(const struct mm_holes *h, uint16_t type)
{
	unsigned i = h->of_type[type];

	return i ? h->mask[i - 1] : NULL;
}

/* Copy payload SRC of N bytes (4..MM_HOLES_SPAN, a multiple of 4, as ring
 * events are) into DST with the holes of MASK zeroed. */
static inline void mm_holes_copy(const uint64_t *mask, unsigned char *dst,
				 const unsigned char *src, uint32_t n)
{
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, src + i, 8);
		w &= mask[i / 8];
		memcpy(dst + i, &w, 8);
	}
	if (i < n) {		/* the last 4 bytes */
		uint32_t w, m;
		memcpy(&w, src + i, 4);
		memcpy(&m, (const unsigned char *)mask + i, 4);
		w &= m;
		memcpy(dst + i, &w, 4);
	}
}

#endif
