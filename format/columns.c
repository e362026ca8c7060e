/*
 * format/columns.c - the "columns" chunk codec (see columns.h for the why
 * and the streams, Documentation/memmon-format.5 for the rule).
 *
 * split() runs on record's drain thread over every byte of ring data, so it
 * is one pass that also does the delta codec's work (one walk of the events
 * instead of two: 27% fewer instructions in this code, 13% fewer in all
 * with zstd, measured on real fault-storm pages), writes the per-header
 * streams through cursors reserved for the whole page, and finds a type's
 * section through a direct-mapped table that a generation number clears.  merge() runs on
 * hostile files: it takes every byte through a bounds-checked cursor, and
 * walks a sub-buffer by the same rules as split() (which are subbuf.h's),
 * so that a stream that does not fit them is an error, never a guess.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "columns.h"
#include "endian.h"
#include "subbuf.h"

#define TD_MASK ((1u << 27) - 1)

/* ---- the type -> section table, the same on both sides ---- */

static void map_reset(struct mm_col_typemap *m)
{
	if (++m->gen >= (1u << 24)) {	/* 24 bits of gen: clear once in 16M chunks */
		memset(m->slot, 0, sizeof(m->slot));
		m->gen = 1;
	}
}

/* Section of TYPE, or -1. */
static inline int map_get(const struct mm_col_typemap *m, uint16_t type)
{
	uint32_t v = m->slot[type];
	return v >> 8 == m->gen ? (int)(v & 0xff) : -1;
}

static inline void map_set(struct mm_col_typemap *m, uint16_t type, uint32_t section)
{
	m->slot[type] = m->gen << 8 | section;
}

/* ---- split ---- */

/*
 * Every stream's buffer has HEADROOM bytes before p: put_payload() codes a
 * payload straight into its section from 2 bytes before the section's end
 * (the type bytes, which go to KIND instead), so even an empty section
 * needs those bytes to be there.
 */
#define HEADROOM 8

static void grow(struct mm_col_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	unsigned char *base;

	while (cap < b->len + n)
		cap *= 2;
	base = mm_realloc(b->p ? b->p - HEADROOM : NULL, cap + HEADROOM);
	b->p = base + HEADROOM;
	b->cap = cap;
}

static inline void put(struct mm_col_buf *b, const void *src, size_t n)
{
	if (b->len + n > b->cap)
		grow(b, n);
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static inline void put1(struct mm_col_buf *b, unsigned v)
{
	unsigned char c = v;
	put(b, &c, 1);
}

/* Room for N more bytes in B, so that the puts after it need no check. */
static inline void reserve(struct mm_col_buf *b, size_t n)
{
	if (b->len + n > b->cap)
		grow(b, n);
}

/* The PAY section of TYPE, claimed on first sight; -1 when all are taken. */
static inline int section_of(struct mm_columns *c, const unsigned char *type)
{
	uint16_t t;
	int s;

	memcpy(&t, type, 2);
	s = map_get(&c->map, t);
	if (s >= 0 || c->nr_types == MM_COL_MAX_TYPES)
		return s;
	s = c->nr_types++;
	map_set(&c->map, t, s);
	c->pay[s].len = 0;
	unsigned char entry[8] = { type[0], type[1], 0, 0, 0, 0, 0, 0 };
	put(&c->s[MM_COL_TYPES], entry, 8);	/* length filled in at the end */
	return s;
}

/*
 * Where split_events() writes the per-header streams: cursors kept in
 * locals, not through c->s[], so that byte stores (which may alias
 * anything) do not make the compiler reload every stream's length.  The
 * streams were reserved for the whole page first (split_page()).
 */
struct hdr_out {
	unsigned char *type, *td[4], *arg, *kind;
};

static inline void put_header(struct hdr_out *o, uint32_t type_len, uint32_t td)
{
	*o->type++ = (unsigned char)type_len;
	*o->td[0]++ = (unsigned char)td;
	*o->td[1]++ = (unsigned char)(td >> 8);
	*o->td[2]++ = (unsigned char)(td >> 16);
	*o->td[3]++ = (unsigned char)(td >> 24);
}

/* A payload of N bytes: typed ones to KIND + their section, others to PAGE;
 * first, a copy without the stale bytes of its type's holes (holes.h).
 * With D, the typed ones are delta-coded on the way (delta.h): the same
 * bytes as mm_delta_encode() then a split, in one pass, and no copy: the
 * code is written into the section from 2 bytes before its end (HEADROOM),
 * and those 2 bytes, now the type, are moved to KIND and put back. */
static inline void put_payload(struct mm_columns *c, struct hdr_out *o, struct mm_delta *d,
			       const unsigned char *p, uint32_t n)
{
	struct mm_col_buf *b;
	unsigned char *at, keep[2], clean[MM_DELTA_MAX_PAYLOAD];
	int s;

	if (n < 4 || n > MM_DELTA_MAX_PAYLOAD) {
		put(&c->s[MM_COL_PAGE], p, n);
		return;
	}
	if (c->holes) {
		uint16_t type;
		const uint64_t *mask;

		memcpy(&type, p, 2);
		if ((mask = mm_holes_of(c->holes, type))) {
			mm_holes_copy(mask, clean, p, n);
			p = clean;
		}
	}
	s = section_of(c, p);
	b = s >= 0 ? &c->pay[s] : &c->s[MM_COL_PAGE];
	if (!d) {
		memcpy(o->kind, p, 2);
		o->kind += 2;
		put(b, p + 2, n - 2);
		return;
	}
	if (b->len + n - 2 > b->cap)
		grow(b, n - 2);
	at = b->p + b->len - 2;
	memcpy(keep, at, 2);
	mm_delta_encode_payload(d, p, n, at);
	memcpy(o->kind, at, 2);
	o->kind += 2;
	memcpy(at, keep, 2);
	b->len += n - 2;
}

/* The events of one loaded sub-buffer, up to where subbuf.h's rules stop;
 * returns where that is (bytes from the first event). */
static uint32_t split_events(struct mm_columns *c, struct mm_delta *d,
			     const struct mm_subbuf *sb)
{
	const unsigned char *ev = sb->data;
	uint32_t pos = 0, size = sb->size;
	struct hdr_out o = {
		.type = c->s[MM_COL_TYPE].p + c->s[MM_COL_TYPE].len,
		.arg = c->s[MM_COL_ARG].p + c->s[MM_COL_ARG].len,
		.kind = c->s[MM_COL_KIND].p + c->s[MM_COL_KIND].len,
	};

	for (int i = 0; i < 4; i++)
		o.td[i] = c->s[MM_COL_TD0 + i].p + c->s[MM_COL_TD0 + i].len;
	while (pos + 4 <= size) {
		uint32_t h = mm_subbuf_u32(sb, ev + pos);
		uint32_t type_len = sb->big ? h >> 27 : h & 31;
		uint32_t td = sb->big ? h & TD_MASK : h >> 5;
		uint32_t room = size - pos - 4, arg, n = 0;

		if (type_len >= 1 && type_len <= 28) {
			n = type_len * 4;
			if (n > room)
				break;
			put_header(&o, type_len, td);
			put_payload(c, &o, d, ev + pos + 4, n);
			pos += 4 + n;
			continue;
		}
		if (room < 4)
			break;
		arg = mm_subbuf_u32(sb, ev + pos + 4);
		if (type_len == 0) {
			n = arg < 4 ? ~0u : (arg - 4 + 3) & ~3u;
			if (n > room - 4)
				break;
		} else if (type_len == 29 && (!td || arg < 4 || arg > room)) {
			break;	/* the empty tail (or a padding we keep as bytes) */
		}
		put_header(&o, type_len, td);
		memcpy(o.arg, ev + pos + 4, 4);
		o.arg += 4;
		if (type_len == 0) {
			put_payload(c, &o, d, ev + pos + 8, n);
			pos += 8 + n;
		} else if (type_len == 29) {
			put(&c->s[MM_COL_PAGE], ev + pos + 8, arg - 4);
			pos += 4 + arg;
		} else {
			pos += 8;
		}
	}
	c->s[MM_COL_TYPE].len = o.type - c->s[MM_COL_TYPE].p;
	for (int i = 0; i < 4; i++)
		c->s[MM_COL_TD0 + i].len = o.td[i] - c->s[MM_COL_TD0 + i].p;
	c->s[MM_COL_ARG].len = o.arg - c->s[MM_COL_ARG].p;
	c->s[MM_COL_KIND].len = o.kind - c->s[MM_COL_KIND].p;
	if (pos + 4 <= size)
		put1(&c->s[MM_COL_TYPE], MM_COL_STOP);
	return pos;
}

/*
 * Where the split stopped before the commit's end, subbuf.h's walker (the
 * delta codec's) may still go on: a padding shorter than its header is one
 * it steps over.  Then what follows was delta-coded in place by the old
 * two-pass encoder, tail bytes included, so the same is done here on a
 * copy of the page before the tail is taken.  Kernels do not write such
 * pages; the fuzzer and test-columns do.
 */
static const unsigned char *code_rest(struct mm_columns *c, struct mm_delta *d,
				      const struct mm_delta_layout *l, const unsigned char *page,
				      struct mm_subbuf *sb, uint32_t pos)
{
	const unsigned char *data;
	long long missed;
	uint32_t len;
	uint64_t ts;

	if (c->scratch_cap < l->subbuf_size) {
		free(c->scratch);
		c->scratch = mm_malloc(l->subbuf_size);
		c->scratch_cap = l->subbuf_size;
	}
	memcpy(c->scratch, page, l->subbuf_size);
	mm_subbuf_load(sb, c->scratch, l->subbuf_size, l->commit_size, l->big, &missed);
	sb->pos = pos;
	while (mm_subbuf_next(sb, &data, &len, &ts) > 0)
		if (len >= 4 && len <= MM_DELTA_MAX_PAYLOAD)
			mm_delta_encode_payload(d, data, len, (unsigned char *)data);
	return sb->data;
}

static void split_page(struct mm_columns *c, struct mm_delta *d,
		       const struct mm_delta_layout *l, const unsigned char *page,
		       uint64_t *prev_ts)
{
	uint32_t hs = 8 + l->commit_size, end = l->subbuf_size - hs, pos;
	struct mm_col_buf *pg = &c->s[MM_COL_PAGE];
	const unsigned char *rest;
	unsigned char le[8];
	struct mm_subbuf sb;
	long long missed;

	if (mm_subbuf_load(&sb, page, l->subbuf_size, l->commit_size, l->big, &missed) < 0) {
		put1(pg, MM_COL_VERBATIM);
		put(pg, page, l->subbuf_size);
		return;
	}
	/* what split_events() writes unchecked: a header per 4 bytes at most
	 * (TYPE also its stop), an ARG and a KIND per 8 */
	for (int i = MM_COL_TYPE; i <= MM_COL_TD3; i++)
		reserve(&c->s[i], sb.size / 4 + 1);
	reserve(&c->s[MM_COL_ARG], sb.size / 2 + 4);
	reserve(&c->s[MM_COL_KIND], sb.size / 4 + 2);
	put1(pg, MM_COL_WALKED);
	mm_le64_store(le, sb.ts - *prev_ts);
	*prev_ts = sb.ts;
	put(&c->s[MM_COL_HEAD], le, 8);
	put(&c->s[MM_COL_HEAD], page + 8, l->commit_size);
	pos = split_events(c, d, &sb);
	rest = sb.data;
	if (d && pos + 4 <= sb.size)
		rest = code_rest(c, d, l, page, &sb, pos);
	/* the tail: what the walk did not take, without the page's zero end */
	while (end > pos && rest[end - 1] == 0)
		end--;
	mm_le32_store(le, end - pos);
	put(pg, le, 4);
	put(pg, rest + pos, end - pos);
}

void mm_columns_split(struct mm_columns *c, struct mm_delta *d,
		      const struct mm_delta_layout *l, const unsigned char *buf, uint32_t nr)
{
	uint64_t prev_ts = 0;

	for (int i = 0; i < MM_COL_NR; i++)
		c->s[i].len = 0;
	c->nr_types = 0;
	map_reset(&c->map);
	if (d)
		mm_delta_reset(d);
	for (uint32_t i = 0; i < nr; i++)
		split_page(c, d, l, buf + (size_t)i * l->subbuf_size, &prev_ts);
	for (uint32_t s = 0; s < c->nr_types; s++)
		mm_le32_store(c->s[MM_COL_TYPES].p + 8 * s + 4, c->pay[s].len);
}

size_t mm_columns_pieces(const struct mm_columns *c, enum mm_col_stream i,
			 struct mm_col_piece out[MM_COL_MAX_TYPES])
{
	if (i != MM_COL_PAY) {
		out[0] = (struct mm_col_piece){ c->s[i].p, c->s[i].len };
		return 1;
	}
	for (uint32_t s = 0; s < c->nr_types; s++)
		out[s] = (struct mm_col_piece){ c->pay[s].p, c->pay[s].len };
	return c->nr_types;
}

size_t mm_columns_len(const struct mm_columns *c, enum mm_col_stream i)
{
	size_t len = 0;

	if (i != MM_COL_PAY)
		return c->s[i].len;
	for (uint32_t s = 0; s < c->nr_types; s++)
		len += c->pay[s].len;
	return len;
}

void mm_columns_release(struct mm_columns *c)
{
	for (int i = 0; i < MM_COL_NR; i++)
		if (c->s[i].p)
			free(c->s[i].p - HEADROOM);
	for (int s = 0; s < MM_COL_MAX_TYPES; s++)
		if (c->pay[s].p)
			free(c->pay[s].p - HEADROOM);
	free(c->scratch);
}

/* ---- merge ---- */

struct cursor {
	const unsigned char *p;
	size_t len, pos;
};

struct merge {
	struct cursor s[MM_COL_NR];
	struct cursor sec[MM_COL_MAX_TYPES];
	uint32_t nr_sec;
	struct mm_col_typemap *map;
	const struct mm_delta_layout *l;
	bool swap;
	const char *why;
};

/* N bytes of stream C, or NULL (and the reason) if it has fewer left. */
static inline const unsigned char *take(struct merge *m, struct cursor *c, size_t n)
{
	static const unsigned char none[1];

	if (!n)
		return none;	/* a stream may be empty (NULL) */
	if (c->len - c->pos < n) {
		m->why = "a column stream ends early";
		return NULL;
	}
	c->pos += n;
	return c->p + c->pos - n;
}

static inline bool copy(struct merge *m, struct cursor *c, unsigned char *dst, size_t n)
{
	const unsigned char *src = take(m, c, n);

	if (!src)
		return false;
	memcpy(dst, src, n);
	return true;
}

static int fail(struct merge *m, const char *why)
{
	m->why = why;
	return -1;
}

/* TYPES -> one cursor per PAY section; their lengths must add up to PAY. */
static int load_sections(struct merge *m)
{
	struct cursor *t = &m->s[MM_COL_TYPES];
	size_t off = 0, n = t->len / 8;

	if (t->len % 8 || n > MM_COL_MAX_TYPES)
		return fail(m, "bad column type table");
	map_reset(m->map);
	for (size_t s = 0; s < n; s++) {
		uint16_t type;
		uint32_t len = mm_le32_load(t->p + 8 * s + 4);

		memcpy(&type, t->p + 8 * s, 2);
		if (len > m->s[MM_COL_PAY].len - off)
			return fail(m, "column type table longer than its payloads");
		if (map_get(m->map, type) < 0)
			map_set(m->map, type, s);
		m->sec[s] = (struct cursor){ m->s[MM_COL_PAY].p + off, len, 0 };
		off += len;
	}
	m->nr_sec = n;
	if (off != m->s[MM_COL_PAY].len)
		return fail(m, "column type table shorter than its payloads");
	t->pos = t->len;
	m->s[MM_COL_PAY].pos = off;
	return 0;
}

static inline bool merge_payload(struct merge *m, unsigned char *dst, uint32_t n)
{
	if (n < 4 || n > MM_DELTA_MAX_PAYLOAD)
		return copy(m, &m->s[MM_COL_PAGE], dst, n);
	if (!copy(m, &m->s[MM_COL_KIND], dst, 2))
		return false;
	uint16_t type;
	memcpy(&type, dst, 2);
	int s = map_get(m->map, type);
	return copy(m, s >= 0 ? &m->sec[s] : &m->s[MM_COL_PAGE], dst + 2, n - 2);
}

static inline uint32_t u32_as_stored(const struct merge *m, uint32_t v)
{
	return m->swap ? __builtin_bswap32(v) : v;
}

/* The next event header: type_len from TYPE, time delta from TD0-3, stored
 * at D as the recording machine lays it out.  The type_len; -1 at a stop,
 * -2 on an error. */
static inline int merge_header(struct merge *m, unsigned char *d, bool big, uint32_t *td)
{
	const unsigned char *t = take(m, &m->s[MM_COL_TYPE], 1), *b[4];
	uint32_t type_len, h;

	if (!t)
		return -2;
	type_len = *t;
	if (type_len == MM_COL_STOP)
		return -1;
	if (type_len > 31) {
		fail(m, "bad column header type");
		return -2;
	}
	for (int i = 0; i < 4; i++)
		if (!(b[i] = take(m, &m->s[MM_COL_TD0 + i], 1)))
			return -2;
	*td = *b[0] | (uint32_t)*b[1] << 8 | (uint32_t)*b[2] << 16 | (uint32_t)*b[3] << 24;
	if (*td > TD_MASK) {
		fail(m, "column time delta over 27 bits");
		return -2;
	}
	h = u32_as_stored(m, big ? type_len << 27 | *td : *td << 5 | type_len);
	memcpy(d, &h, 4);
	return (int)type_len;
}

/* Rebuild the events of a walked sub-buffer whose data (SIZE bytes of
 * commit, ROOM bytes of page) starts at D; returns where they end, or -1. */
static long merge_events(struct merge *m, unsigned char *d, uint32_t size, bool big)
{
	uint32_t pos = 0;

	while (pos + 4 <= size) {
		uint32_t td, room = size - pos - 4, arg, n;
		int type_len = merge_header(m, d + pos, big, &td);

		if (type_len == -1)
			break;
		if (type_len < 0)
			return -1;
		if (type_len >= 1 && type_len <= 28) {
			n = type_len * 4;
			if (n > room)
				return fail(m, "column event past the commit");
			if (!merge_payload(m, d + pos + 4, n))
				return -1;
			pos += 4 + n;
			continue;
		}
		if (room < 4)
			return fail(m, "column event past the commit");
		if (!copy(m, &m->s[MM_COL_ARG], d + pos + 4, 4))
			return -1;
		memcpy(&arg, d + pos + 4, 4);
		arg = u32_as_stored(m, arg);
		if (type_len == 0) {
			n = arg < 4 ? ~0u : (arg - 4 + 3) & ~3u;
			if (n > room - 4)
				return fail(m, "column event past the commit");
			if (!merge_payload(m, d + pos + 8, n))
				return -1;
			pos += 8 + n;
		} else if (type_len == 29) {
			if (!td || arg < 4 || arg > room)
				return fail(m, "bad column padding");
			if (!copy(m, &m->s[MM_COL_PAGE], d + pos + 8, arg - 4))
				return -1;
			pos += 4 + arg;
		} else {
			pos += 8;
		}
	}
	return pos;
}

static int merge_page(struct merge *m, unsigned char *page, uint64_t *prev_ts)
{
	const struct mm_delta_layout *l = m->l;
	uint32_t hs = 8 + l->commit_size, room = l->subbuf_size - hs, tail;
	const unsigned char *form = take(m, &m->s[MM_COL_PAGE], 1), *head;
	struct mm_subbuf sb;
	long long missed;
	long pos;

	if (!form)
		return -1;
	if (*form == MM_COL_VERBATIM)
		return copy(m, &m->s[MM_COL_PAGE], page, l->subbuf_size) ? 0 : -1;
	if (*form != MM_COL_WALKED)
		return fail(m, "bad column page form");
	if (!(head = take(m, &m->s[MM_COL_HEAD], 8)) ||
	    !copy(m, &m->s[MM_COL_HEAD], page + 8, l->commit_size))
		return -1;
	*prev_ts += mm_le64_load(head);
	uint64_t ts = m->swap ? __builtin_bswap64(*prev_ts) : *prev_ts;
	memcpy(page, &ts, 8);
	if (mm_subbuf_load(&sb, page, l->subbuf_size, l->commit_size, l->big, &missed) < 0)
		return fail(m, "sub-buffer commit larger than the sub-buffer");
	pos = merge_events(m, page + hs, sb.size, l->big);
	if (pos < 0)
		return -1;
	const unsigned char *t = take(m, &m->s[MM_COL_PAGE], 4);
	if (!t)
		return -1;
	tail = mm_le32_load(t);
	if (tail > room - pos)
		return fail(m, "column page tail past the page");
	if (!copy(m, &m->s[MM_COL_PAGE], page + hs + pos, tail))
		return -1;
	memset(page + hs + pos + tail, 0, room - pos - tail);
	return 0;
}

int mm_columns_merge(struct mm_col_typemap *map, const struct mm_delta_layout *l,
		     const struct mm_col_piece in[MM_COL_NR], unsigned char *out, uint32_t nr,
		     const char **why)
{
	struct merge m = {
		.map = map, .l = l,
		.swap = l->big != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__),
	};
	uint64_t prev_ts = 0;
	int ret = 0;

	for (int i = 0; i < MM_COL_NR; i++)
		m.s[i] = (struct cursor){ in[i].p, in[i].len, 0 };
	if (l->subbuf_size <= 8u + l->commit_size)
		ret = fail(&m, "sub-buffer smaller than its header");
	if (!ret)
		ret = load_sections(&m);
	for (uint32_t i = 0; !ret && i < nr; i++)
		ret = merge_page(&m, out + (size_t)i * l->subbuf_size, &prev_ts);
	for (int i = 0; !ret && i < MM_COL_NR; i++)
		if (m.s[i].pos != m.s[i].len)
			ret = fail(&m, "a column stream is longer than its sub-buffers");
	for (uint32_t s = 0; !ret && s < m.nr_sec; s++)
		if (m.sec[s].pos != m.sec[s].len)
			ret = fail(&m, "a column section is longer than its events");
	*why = m.why;
	return ret;
}
