/*
 * format/delta.h - the "delta" chunk codec: a reversible, in-place
 * transform of a chunk's sub-buffers that zstd compresses far better.
 *
 * Consecutive events of one type on one CPU differ in few bits (fault
 * addresses and rss sizes step by a page, pids and flags repeat), but their
 * raw bytes do not repeat, so zstd finds few matches.  Each event payload
 * whose previous same-type payload in the chunk has the same length is
 * replaced by its difference from it: u64 words subtracted (little-endian,
 * whatever the recording's byte order), a 4-byte tail XORed, and the first
 * two bytes (common_type) kept as they were so the decoder knows the type.
 * Event headers, padding, time extends and sub-buffer headers are left as
 * they are.  The state is reset at every chunk, so each chunk still decodes
 * alone.  Documentation/memmon-format.5 states the exact rule.
 *
 * Both directions walk the events with subbuf.h, so they agree on what an
 * event is; decoding runs on hostile data and stops with an error at the
 * first sub-buffer or event that does not fit, never reading past a
 * sub-buffer's commit.
 */
#ifndef MM_FORMAT_DELTA_H
#define MM_FORMAT_DELTA_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "endian.h"

/* Payloads longer than this are stored as they are (and do not become the
 * "previous" of their type): big events are rare and seldom alike. */
#define MM_DELTA_MAX_PAYLOAD 256
/* Distinct event types tracked per chunk; events of further types are
 * stored as they are. */
#define MM_DELTA_SLOTS 128

struct mm_delta_slot {
	uint32_t gen;            /* == mm_delta.gen: in use in this chunk */
	uint16_t type;           /* common_type bytes, as stored */
	uint16_t len;            /* previous payload's length */
	uint32_t off;            /* decode: previous payload's offset in the chunk */
};

/* Per-chunk state, reused from chunk to chunk without clearing (gen). */
struct mm_delta {
	uint32_t gen;
	struct mm_delta_slot slot[MM_DELTA_SLOTS];
	/* encode: the previous original payload of each slot's type */
	unsigned char prev[MM_DELTA_SLOTS][MM_DELTA_MAX_PAYLOAD];
};

/* A new chunk: forget every type (gen 0 never matches a live slot). */
static inline void mm_delta_reset(struct mm_delta *d)
{
	if (++d->gen == 0) {
		memset(d->slot, 0, sizeof(d->slot));
		d->gen = 1;
	}
}

/* The slot of TYPE: its own, or a free one claimed for it; NULL when the
 * table is full.  Same inputs, same answer, on both sides of the codec. */
static inline struct mm_delta_slot *mm_delta_lookup(struct mm_delta *d, uint16_t type,
						    bool *fresh)
{
	uint32_t i = (type ^ (type >> 7)) & (MM_DELTA_SLOTS - 1);

	for (uint32_t n = 0; n < MM_DELTA_SLOTS; n++, i = (i + 1) & (MM_DELTA_SLOTS - 1)) {
		struct mm_delta_slot *s = &d->slot[i];
		if (s->gen != d->gen) {
			s->gen = d->gen;
			s->type = type;
			s->len = 0;
			*fresh = true;
			return s;
		}
		if (s->type == type) {
			*fresh = false;
			return s;
		}
	}
	return NULL;
}

/*
 * Encode payload P of LEN bytes (4..MM_DELTA_MAX_PAYLOAD) into OUT (P
 * itself, or LEN bytes elsewhere) against its type's previous payload, and
 * make P's original the new previous.  P is read before OUT is written, word
 * by word, so OUT == P works.  The codec on record's path runs this inside
 * the columns split (columns.c) rather than as a pass of its own.
 */
static inline __attribute__((always_inline))
void mm_delta_encode_payload(struct mm_delta *d, const unsigned char *p, uint32_t len,
			     unsigned char *out)
{
	uint16_t type;
	bool fresh;
	struct mm_delta_slot *s;

	memcpy(&type, p, 2);
	s = mm_delta_lookup(d, type, &fresh);
	if (!s || fresh || s->len != len) {
		if (s) {
			memcpy(d->prev[s - d->slot], p, len);
			s->len = len;
		}
		if (out != p)
			memcpy(out, p, len);
		return;
	}
	unsigned char *prev = d->prev[s - d->slot];
	uint32_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t cur = mm_le64_load(p + i);
		mm_le64_store(out + i, cur - mm_le64_load(prev + i));
		mm_le64_store(prev + i, cur);
	}
	for (; i < len; i++) {
		unsigned char c = p[i];
		out[i] = c ^ prev[i];
		prev[i] = c;
	}
	/* the difference's first two bytes are 0 (same type): keep the type */
	memcpy(out, &type, 2);
}

/* The sub-buffer layout the codec needs. */
struct mm_delta_layout {
	uint32_t subbuf_size;
	int commit_size;         /* 4 or 8 */
	bool big;                /* recording machine is big-endian */
};

/*
 * Encode NR sub-buffers at BUF in place.  Never fails: a sub-buffer that
 * does not walk (commit past its end, an event past the commit) is encoded
 * up to that point and left as it is from there; the reader reports it as
 * corrupt as it would without the codec.
 */
void mm_delta_encode(struct mm_delta *d, const struct mm_delta_layout *l,
		     unsigned char *buf, uint32_t nr);

/* Decode in place.  0, or one of the errors below (BUF is then garbage). */
enum {
	MM_DELTA_BAD_COMMIT = -1,    /* a sub-buffer's commit exceeds it */
	MM_DELTA_BAD_EVENT = -2,     /* an event runs past its sub-buffer */
};
int mm_delta_decode(struct mm_delta *d, const struct mm_delta_layout *l,
		    unsigned char *buf, uint32_t nr);

#endif
