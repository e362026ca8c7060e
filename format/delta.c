/*
 * format/delta.c - the "delta" chunk codec (see delta.h for the why, and
 * Documentation/memmon-format.5 for the rule).
 *
 * The encoder (delta.h's mm_delta_encode_payload, which the columns codec
 * also runs inside its own walk) allocates nothing: each type's previous
 * original payload is kept in a fixed slot (the transform swaps it in word
 * by word, so it costs no extra copy), found by a tiny open-addressed table whose
 * entries are invalidated per chunk by a generation number instead of a
 * memset.  The decoder needs no copies: the previous payload of a type is
 * already decoded in the buffer, so its slot keeps only an offset.
 */
#include <string.h>

#include "delta.h"
#include "endian.h"
#include "subbuf.h"


_Static_assert((MM_DELTA_SLOTS & (MM_DELTA_SLOTS - 1)) == 0, "power of two");
_Static_assert(MM_DELTA_MAX_PAYLOAD < 65536, "slot len is u16");

/* The slot of payload P (LEN bytes) if it takes part in the code, else
 * NULL: too short or long, or no slot left for its type. */
static inline struct mm_delta_slot *slot_of(struct mm_delta *d, const unsigned char *p,
					    uint32_t len, uint16_t *type, bool *fresh)
{
	if (len < 4 || len > MM_DELTA_MAX_PAYLOAD)
		return NULL;
	memcpy(type, p, 2);
	return mm_delta_lookup(d, *type, fresh);
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
	mm_delta_reset(d);
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
			else if (len >= 4 && len <= MM_DELTA_MAX_PAYLOAD)
				mm_delta_encode_payload(d, data, len, (unsigned char *)data);
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
