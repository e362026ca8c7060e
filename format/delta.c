/*
 * format/delta.c - the "delta" chunk codec (see delta.h for the why, and
 * Documentation/memmon-format.5 for the rule).
 *
 * The encoder runs on record's drain thread for every event, so it is one
 * pass over the chunk with no allocation: each type's previous original
 * payload is kept in a fixed slot (the transform swaps it in word by word,
 * so it costs no extra copy), found by a tiny open-addressed table whose
 * entries are invalidated per chunk by a generation number instead of a
 * memset.  The decoder needs no copies: the previous payload of a type is
 * already decoded in the buffer, so its slot keeps only an offset.
 */
#include <string.h>

#include "delta.h"
#include "endian.h"
#include "subbuf.h"


/* A new chunk: forget every type (gen 0 never matches a live slot). */
static void reset(struct mm_delta *d)
{
	if (++d->gen == 0) {
		memset(d->slot, 0, sizeof(d->slot));
		d->gen = 1;
	}
}

/* The slot of TYPE: its own, or a free one claimed for it; NULL when the
 * table is full.  Same inputs, same answer, on both sides of the codec. */
static inline struct mm_delta_slot *lookup(struct mm_delta *d, uint16_t type, bool *fresh)
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

_Static_assert((MM_DELTA_SLOTS & (MM_DELTA_SLOTS - 1)) == 0, "power of two");
_Static_assert(MM_DELTA_MAX_PAYLOAD < 65536, "slot len is u16");

/* Encode one payload P of LEN bytes against the slot's previous payload,
 * and make P's original the new previous. */
/* The slot of payload P (LEN bytes) if it takes part in the code, else
 * NULL: too short or long, or no slot left for its type. */
static inline struct mm_delta_slot *slot_of(struct mm_delta *d, const unsigned char *p,
					    uint32_t len, uint16_t *type, bool *fresh)
{
	if (len < 4 || len > MM_DELTA_MAX_PAYLOAD)
		return NULL;
	memcpy(type, p, 2);
	return lookup(d, *type, fresh);
}

static inline void encode_event(struct mm_delta *d, unsigned char *p, uint32_t len)
{
	uint16_t type;
	bool fresh;
	struct mm_delta_slot *s = slot_of(d, p, len, &type, &fresh);

	if (!s)
		return;
	unsigned char *prev = d->prev[s - d->slot];
	if (fresh || s->len != len) {
		memcpy(prev, p, len);
		s->len = len;
		return;
	}
	uint32_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t cur = mm_le64_load(p + i);
		mm_le64_store(p + i, cur - mm_le64_load(prev + i));
		mm_le64_store(prev + i, cur);
	}
	for (; i < len; i++) {
		unsigned char c = p[i];
		p[i] ^= prev[i];
		prev[i] = c;
	}
	/* the difference's first two bytes are 0 (same type): keep the type */
	memcpy(p, &type, 2);
}

static inline void decode_event(struct mm_delta *d, unsigned char *buf,
				unsigned char *p, uint32_t len)
{
	uint16_t type;
	bool fresh;
	struct mm_delta_slot *s = slot_of(d, p, len, &type, &fresh);

	if (!s)
		return;
	if (!fresh && s->len == len) {
		const unsigned char *prev = buf + s->off;
		uint32_t i = 0;
		memset(p, 0, 2);	/* the encoder's difference had 0 here */
		for (; i + 8 <= len; i += 8)
			mm_le64_store(p + i, mm_le64_load(p + i) + mm_le64_load(prev + i));
		for (; i < len; i++)
			p[i] ^= prev[i];
	}
	s->len = len;
	s->off = p - buf;
}

/*
 * Apply the code to the NR sub-buffers at BUF, in place.  The encoder runs
 * on the kernel's own pages: one its walker refuses stays as it is.  The
 * decoder runs on a file's: a page or event it cannot walk is an error.
 */
static int walk(struct mm_delta *d, const struct mm_delta_layout *l,
		unsigned char *buf, uint32_t nr, bool decode)
{
	reset(d);
	for (uint32_t i = 0; i < nr; i++) {
		struct mm_subbuf sb;
		const unsigned char *data;
		uint32_t len;
		uint64_t ts;
		long long missed;
		int r;

		if (mm_subbuf_load(&sb, buf + (size_t)i * l->subbuf_size, l->subbuf_size,
				   l->commit_size, l->big, &missed) < 0) {
			if (decode)
				return MM_DELTA_BAD_COMMIT;
			continue;
		}
		while ((r = mm_subbuf_next(&sb, &data, &len, &ts)) > 0) {
			if (decode)
				decode_event(d, buf, (unsigned char *)data, len);
			else
				encode_event(d, (unsigned char *)data, len);
		}
		if (r < 0 && decode)
			return MM_DELTA_BAD_EVENT;
	}
	return 0;
}

void mm_delta_encode(struct mm_delta *d, const struct mm_delta_layout *l,
		     unsigned char *buf, uint32_t nr)
{
	walk(d, l, buf, nr, false);
}

int mm_delta_decode(struct mm_delta *d, const struct mm_delta_layout *l,
		    unsigned char *buf, uint32_t nr)
{
	return walk(d, l, buf, nr, true);
}
