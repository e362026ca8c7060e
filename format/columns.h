/*
 * format/columns.h - the "columns" chunk codec (codec 2): the delta-coded
 * sub-buffers of a chunk, taken apart into streams of like bytes that zstd
 * compresses separately.
 *
 * Why: after the delta codec (delta.h) a chunk is mostly event headers and
 * small payload differences, interleaved.  zstd -1 finds few matches in that
 * mix, and its entropy stage sees one distribution for everything.  Taken
 * apart, each stream is uniform: the low bytes of the time deltas are noise
 * that Huffman codes in ~7 bits, their high bytes are nearly constant, the
 * header types repeat in a short cycle, and the payloads of one event type
 * line up field by field.  On the bench workloads that is 20-40% smaller
 * than the delta codec alone, and faster to compress (less for the match
 * finder to try).
 *
 * The streams (enum mm_col_stream) hold, per sub-buffer in chunk order:
 *   PAGE   its form (walked or verbatim); verbatim: the whole sub-buffer;
 *          walked: the bodies of padding events and the payloads the other
 *          streams do not take, then the tail (u32 length + the bytes from
 *          where the walk ended to the last non-zero byte of the page)
 *   HEAD   walked: u64 time stamp minus the previous sub-buffer's, and the
 *          commit word as stored
 *   TYPE   one byte per event header: type_len, or MM_COL_STOP where the
 *          walk ended before the commit (the rest is in the tail)
 *   TD0-3  the header's 27-bit time delta, one byte per stream, low first
 *   ARG    the u32 after a header of type_len 0, 29, 30 or 31, as stored
 *   KIND   the first two payload bytes (common_type) of every payload of
 *          4..MM_DELTA_MAX_PAYLOAD bytes
 *   TYPES  one entry per event type with a PAY section, in order of first
 *          appearance: u16 type as stored, u16 0, u32 section bytes
 *   PAY    the sections: the rest of each such payload, grouped by type
 * A walked sub-buffer is rebuilt byte for byte, whatever it holds: the walk
 * follows subbuf.h's rules and stops (MM_COL_STOP) where they would not go
 * on; a sub-buffer whose commit exceeds it is stored verbatim.
 * Documentation/memmon-format.5 states the same rule.
 */
#ifndef MM_FORMAT_COLUMNS_H
#define MM_FORMAT_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "delta.h"
#include "holes.h"
#include "layout.h"

enum mm_col_stream {
	MM_COL_PAGE, MM_COL_HEAD, MM_COL_TYPE,
	MM_COL_TD0, MM_COL_TD1, MM_COL_TD2, MM_COL_TD3,
	MM_COL_ARG, MM_COL_KIND, MM_COL_TYPES, MM_COL_PAY,
	MM_COL_NR
};

_Static_assert(MM_COL_NR == MM_COLUMNS_STREAMS, "layout.h states the stream count");

#define MM_COL_STOP       32     /* TYPE: no more events in this sub-buffer */
#define MM_COL_MAX_TYPES  128    /* PAY sections per chunk; other types go to PAGE */

enum { MM_COL_WALKED = 0, MM_COL_VERBATIM = 1 };   /* PAGE: form byte */

struct mm_col_buf {
	unsigned char *p;
	size_t len, cap;
};

/* A stream as the writer compresses it or the reader hands it back. */
struct mm_col_piece {
	const unsigned char *p;
	size_t len;
};

/* Event type (common_type as stored) -> PAY section, for one chunk; both
 * sides keep one from chunk to chunk and forget it by bumping gen. */
struct mm_col_typemap {
	uint32_t gen;
	uint32_t slot[65536];                     /* gen << 8 | section */
};

/* Encoder state: the streams of the last split, reused chunk to chunk. */
struct mm_columns {
	struct mm_col_buf s[MM_COL_NR];           /* PAY: see pay[] */
	struct mm_col_buf pay[MM_COL_MAX_TYPES];  /* PAY sections, table order */
	uint32_t nr_types;
	struct mm_col_typemap map;
	unsigned char *scratch;                   /* a page, for a rare walk */
	size_t scratch_cap;
	const struct mm_holes *holes;             /* zeroed in payloads; NULL: none */
};

/*
 * Split NR sub-buffers at BUF (layout L) into C's streams, delta-coding
 * them on the way with D (its state reset first), or with D NULL taking
 * them as already coded (mm_delta_encode): the same streams either way.
 * BUF is not changed; with C->holes set, the streams hold its payloads with
 * their holes zeroed (holes.h), as merge then rebuilds them.  Never fails (memory: mm_malloc exits).  Then mm_columns_pieces(c, i, ...)
 * gives stream I as pieces to compress one after another: one piece, or
 * for PAY one per section.  Returns the number of pieces.
 */
void mm_columns_split(struct mm_columns *c, struct mm_delta *d,
		      const struct mm_delta_layout *l, const unsigned char *buf, uint32_t nr);
size_t mm_columns_pieces(const struct mm_columns *c, enum mm_col_stream i,
			 struct mm_col_piece out[MM_COL_MAX_TYPES]);
/* Bytes in stream I after a split (PAY: all its sections). */
size_t mm_columns_len(const struct mm_columns *c, enum mm_col_stream i);
/* Frees the buffers, not C itself. */
void mm_columns_release(struct mm_columns *c);

/* No valid set of streams of NR sub-buffers of SUBBUF bytes is longer in
 * all than this: every page byte goes to one stream, a 4-byte event header
 * (8 bytes of page at least) becomes 5, and a page adds at most 9 bytes of
 * form, stop and tail length.  Readers refuse more before allocating. */
static inline uint64_t mm_columns_bound(uint32_t nr, uint32_t subbuf)
{
	return (uint64_t)nr * (subbuf + subbuf / 8 + 16) + 8 * MM_COL_MAX_TYPES;
}

/*
 * Rebuild NR sub-buffers of layout L into OUT (NR * subbuf_size bytes)
 * from the MM_COL_NR streams IN; they then still need mm_delta_decode().
 * Hostile input: every read is bounds-checked, and every stream must be
 * used up exactly; 0, or -1 with *WHY set.
 */
int mm_columns_merge(struct mm_col_typemap *map, const struct mm_delta_layout *l,
		     const struct mm_col_piece in[MM_COL_NR], unsigned char *out, uint32_t nr,
		     const char **why);

#endif
