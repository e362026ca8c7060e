/*
 * tests/fuzz/mutator.c - libFuzzer's custom mutator for memmon trace files.
 *
 * Byte flips alone almost never get past a section's CRC or a zstd frame,
 * so they test the first checks and nothing behind them.  This mutator
 * knows the container (format/layout.h): it takes an input apart into its
 * sections, changes one thing at the level a hostile or broken writer
 * would (a text's content, a sub-buffer's commit word or event headers, a
 * chunk's codec, header fields, the order and number of sections), then
 * puts the file back together the way the writer does: text re-compressed
 * when it was, chunks re-encoded with the delta and columns codecs of
 * format/ (or a codec picked at random), lengths and CRCs made right, so
 * the reader's deeper code sees the mutation.  A few mutations keep a
 * wrong CRC or length on purpose, and some inputs get plain byte mutation.
 *
 * Only the fuzz build links this file (it calls LLVMFuzzerMutate).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "memmon.h"
#include "format/columns.h"
#include "format/delta.h"
#include "format/endian.h"
#include "format/layout.h"
#include "format/reader.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

#define MAX_SECTIONS 4096
#define MAX_CONTENT  (4u << 20)   /* decoded section content we work on */

struct sec {
	uint16_t type, flags;
	uint32_t crc;
	const uint8_t *payload;      /* into the input */
	uint64_t len;
};

struct input {
	const uint8_t *hdr;          /* the 32-byte file header */
	struct sec s[MAX_SECTIONS];
	size_t n;
	const uint8_t *tail;         /* bytes after the last whole section */
	size_t tail_len;
	uint32_t subbuf_size;
	int commit_size;
	bool big;
};

/* xorshift: reproducible from libFuzzer's seed */
static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

static const char *machine_value(const struct input *in, const char *key, char *buf, size_t n)
{
	for (size_t i = 0; i < in->n; i++) {
		if (in->s[i].type != MM_SECTION_MACHINE || in->s[i].flags)
			continue;
		size_t klen = strlen(key);
		const char *p = (const char *)in->s[i].payload, *end = p + in->s[i].len;
		while (p < end) {
			const char *nl = memchr(p, '\n', end - p);
			if (!nl)
				nl = end;
			if ((size_t)(nl - p) > klen && !memcmp(p, key, klen) && p[klen] == '=') {
				size_t vl = nl - p - klen - 1;
				if (vl >= n)
					vl = n - 1;
				memcpy(buf, p + klen + 1, vl);
				buf[vl] = 0;
				return buf;
			}
			p = nl + 1;
		}
	}
	return NULL;
}

static bool parse(struct input *in, const uint8_t *d, size_t size)
{
	size_t off = MM_FILE_HEADER_SIZE;
	char v[32];

	if (size < MM_FILE_HEADER_SIZE || memcmp(d, MM_FILE_MAGIC, MM_FILE_MAGIC_LEN))
		return false;
	in->hdr = d;
	in->n = 0;
	while (size - off >= MM_SECTION_HEADER_SIZE && in->n < MAX_SECTIONS) {
		struct sec *s = &in->s[in->n];
		memcpy(&s->type, d + off, 2);
		memcpy(&s->flags, d + off + 2, 2);
		memcpy(&s->crc, d + off + 4, 4);
		memcpy(&s->len, d + off + 8, 8);
		if (s->len > size - off - MM_SECTION_HEADER_SIZE)
			break;
		s->payload = d + off + MM_SECTION_HEADER_SIZE;
		off += MM_SECTION_HEADER_SIZE + s->len;
		in->n++;
	}
	in->tail = d + off;
	in->tail_len = size - off;
	in->subbuf_size = machine_value(in, "subbuf_size", v, sizeof(v)) ? strtoul(v, NULL, 10) : 4096;
	in->commit_size = machine_value(in, "long_size", v, sizeof(v)) && atoi(v) == 4 ? 4 : 8;
	in->big = machine_value(in, "endian", v, sizeof(v)) && !strcmp(v, "big");
	return in->n > 0;
}

/* ---- output ---- */

struct out {
	uint8_t *p;
	size_t len, cap;
	bool full;
};

static void emit(struct out *o, const void *src, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, src, n);
	o->len += n;
}

static void emit_section(struct out *o, uint16_t type, uint16_t flags, const void *payload,
			 size_t len, bool keep_crc, uint32_t crc)
{
	uint8_t h[MM_SECTION_HEADER_SIZE];
	uint64_t l = len;

	if (!keep_crc)
		crc = mm_crc32(0, payload, len);
	memcpy(h, &type, 2);
	memcpy(h + 2, &flags, 2);
	memcpy(h + 4, &crc, 4);
	memcpy(h + 8, &l, 8);
	emit(o, h, sizeof(h));
	emit(o, payload, len);
}

/* ---- section contents, decoded and encoded ---- */

static uint8_t *zstd_inflate(const uint8_t *z, size_t zlen, size_t *len)
{
	unsigned long long n = ZSTD_getFrameContentSize(z, zlen);
	uint8_t *buf;

	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN || n > MAX_CONTENT)
		return NULL;
	buf = mm_malloc(n + 1);
	if (ZSTD_isError(ZSTD_decompress(buf, n, z, zlen))) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static uint8_t *zstd_deflate(const uint8_t *p, size_t len, size_t *zlen)
{
	size_t cap = ZSTD_compressBound(len);
	uint8_t *z = mm_malloc(cap);
	size_t r = ZSTD_compress(z, cap, p, len, 1);

	if (ZSTD_isError(r)) {
		free(z);
		return NULL;
	}
	*zlen = r;
	return z;
}

static struct mm_delta delta;
static struct mm_col_typemap colmap;
static struct mm_columns cols;

/* The raw sub-buffers of chunk S (codec undone), or NULL. */
static uint8_t *chunk_decode(const struct input *in, const struct sec *s,
			     struct mm_chunk_header *h, size_t *len)
{
	struct mm_delta_layout l = { in->subbuf_size, in->commit_size, in->big };
	const uint8_t *z = s->payload + sizeof(*h);
	size_t zlen;
	uint8_t *raw = NULL;

	if (s->len < sizeof(*h) || !l.subbuf_size || l.subbuf_size > MAX_CONTENT)
		return NULL;
	memcpy(h, s->payload, sizeof(*h));
	zlen = s->len - sizeof(*h);
	if (h->raw_len > MAX_CONTENT || h->raw_len != (uint64_t)h->nr_subbufs * l.subbuf_size ||
	    !h->nr_subbufs || l.subbuf_size <= 8u + l.commit_size)
		return NULL;
	if (h->codec == MM_CODEC_COLUMNS) {
		struct mm_col_piece p[MM_COL_NR];
		uint8_t *streams[MM_COL_NR] = { 0 };
		size_t off = 8 * MM_COL_NR;
		const char *why;
		bool ok = zlen >= off;

		for (int i = 0; ok && i < MM_COL_NR; i++) {
			uint32_t raw_n = mm_le32_load(z + 4 * i), st = mm_le32_load(z + 4 * (MM_COL_NR + i));
			size_t got = 0;
			p[i] = (struct mm_col_piece){ NULL, 0 };
			if (!st)
				continue;
			if (st > zlen - off || !(streams[i] = zstd_inflate(z + off, st, &got)) ||
			    got != raw_n) {
				ok = false;
				break;
			}
			p[i] = (struct mm_col_piece){ streams[i], got };
			off += st;
		}
		if (ok) {
			raw = mm_calloc(1, h->raw_len + 64);
			if (mm_columns_merge(&colmap, &l, p, raw, h->nr_subbufs, &why) < 0 ||
			    mm_delta_decode(&delta, &l, raw, h->nr_subbufs) < 0) {
				free(raw);
				raw = NULL;
			}
		}
		for (int i = 0; i < MM_COL_NR; i++)
			free(streams[i]);
	} else if (h->codec <= MM_CODEC_DELTA) {
		size_t got = 0;
		raw = zstd_inflate(z, zlen, &got);
		if (raw && (got != h->raw_len ||
			    (h->codec == MM_CODEC_DELTA &&
			     mm_delta_decode(&delta, &l, raw, h->nr_subbufs) < 0))) {
			free(raw);
			raw = NULL;
		}
	}
	*len = h->raw_len;
	return raw;
}

/* Encode RAW (clobbered) as the payload of a chunk section with codec C. */
static uint8_t *chunk_encode(const struct input *in, struct mm_chunk_header *h,
			     uint8_t *raw, size_t *plen)
{
	struct mm_delta_layout l = { in->subbuf_size, in->commit_size, in->big };
	size_t zlen = 0, cap;
	uint8_t *z, *out;

	if (h->codec == MM_CODEC_DELTA)	/* columns codes on its way */
		mm_delta_encode(&delta, &l, raw, h->nr_subbufs);
	if (h->codec == MM_CODEC_COLUMNS) {
		struct mm_col_piece pieces[MM_COL_MAX_TYPES];
		uint32_t table[2 * MM_COL_NR];
		size_t off = sizeof(table);

		mm_columns_split(&cols, &delta, &l, raw, h->nr_subbufs);
		cap = off;
		for (int i = 0; i < MM_COL_NR; i++)
			cap += ZSTD_compressBound(mm_columns_len(&cols, i));
		z = mm_malloc(cap);
		for (int i = 0; i < MM_COL_NR; i++) {
			size_t n = mm_columns_pieces(&cols, i, pieces), slen = 0, r = 0;
			uint8_t *joined;
			table[i] = mm_columns_len(&cols, i);
			if (table[i]) {
				joined = mm_malloc(table[i]);
				for (size_t k = 0; k < n; k++) {
					memcpy(joined + slen, pieces[k].p, pieces[k].len);
					slen += pieces[k].len;
				}
				r = ZSTD_compress(z + off, cap - off, joined, slen, 1);
				free(joined);
				if (ZSTD_isError(r)) {
					free(z);
					return NULL;
				}
			}
			table[MM_COL_NR + i] = r;
			off += r;
		}
		for (int i = 0; i < 2 * MM_COL_NR; i++)
			mm_le32_store(z + 4 * i, table[i]);
		zlen = off;
	} else {
		z = zstd_deflate(raw, h->raw_len, &zlen);
		if (!z)
			return NULL;
	}
	out = mm_malloc(sizeof(*h) + zlen);
	memcpy(out, h, sizeof(*h));
	memcpy(out + sizeof(*h), z, zlen);
	free(z);
	*plen = sizeof(*h) + zlen;
	return out;
}

/* ---- mutations of decoded contents ---- */

static const uint64_t interesting[] = {
	0, 1, 2, 3, 4, 7, 8, 15, 16, 28, 29, 30, 31, 32, 63, 64, 127, 128, 255, 256,
	4095, 4096, 4097, 65535, 65536, (1u << 27) - 1, 1u << 27, 1u << 30, 1u << 31,
	0x7fffffff, 0xffffffff, 1ull << 32, 1000000000000000ull, (1ull << 59) - 1,
	0x7fffffffffffffffull, ~0ull,
};

static uint64_t pick_interesting(void)
{
	uint64_t v = interesting[rnd(sizeof(interesting) / sizeof(interesting[0]))];
	return rnd(4) ? v : v + rnd(16) - 8;
}

static void put_word(uint8_t *p, int size, uint64_t v, bool big)
{
	if (size == 8) {
		if (big)
			v = __builtin_bswap64(v);
		memcpy(p, &v, 8);
	} else {
		uint32_t w = v;
		if (big)
			w = __builtin_bswap32(w);
		memcpy(p, &w, 4);
	}
}

/* One structured change in the sub-buffers RAW (N of them). */
static void mutate_subbufs(const struct input *in, uint8_t *raw, uint32_t n, size_t len)
{
	uint32_t sz = in->subbuf_size, hs = 8 + in->commit_size;
	uint8_t *page = raw + (size_t)rnd(n) * sz;
	uint64_t commit;

	switch (rnd(6)) {
	case 0:	/* the page time stamp: far apart, backwards, huge */
		put_word(page, 8, rnd(2) ? pick_interesting() : (uint64_t)rnd(1000000) * 1000000000ull,
			 in->big);
		break;
	case 1:	/* the commit word: size and lost-event flags */
		commit = rnd(2) ? pick_interesting() : rnd(sz);
		if (rnd(3) == 0)
			commit |= 1ull << 31 | (rnd(2) ? 1ull << 30 : 0);
		put_word(page + 8, in->commit_size, commit, in->big);
		break;
	case 2: {	/* an event header somewhere in the data: type_len, delta */
		uint32_t pos = hs + 4 * rnd((sz - hs) / 4);
		uint32_t h = rnd(32) | (uint32_t)pick_interesting() << 5;
		put_word(page + pos, 4, h, in->big);
		if (rnd(2) && pos + 8 <= sz)
			put_word(page + pos + 4, 4, pick_interesting(), in->big);
		break;
	}
	case 3: {	/* a payload word (field values: addresses, lengths, pids) */
		uint32_t pos = hs + 4 * rnd((sz - hs) / 4);
		if (pos + 8 <= sz)
			put_word(page + pos, 8, pick_interesting(), in->big);
		break;
	}
	case 4:	/* copy one page over another (same events twice, reordered) */
		memcpy(page, raw + (size_t)rnd(n) * sz, sz);
		break;
	default:
		LLVMFuzzerMutate(raw, len, len);
		break;
	}
}

static const char *const machine_keys[] = {
	"nr_cpus", "subbuf_size", "page_size", "long_size", "endian", "clock",
	"classifier", "missing_events", "pids", "command", "start_time", "stacks",
	"heap_frames",
};

/* MACHINE text with KEY set to a value worth trying. */
static uint8_t *mutate_machine(const uint8_t *p, size_t len, size_t *out_len)
{
	const char *key = machine_keys[rnd(sizeof(machine_keys) / sizeof(machine_keys[0]))];
	char val[64];
	size_t klen = strlen(key), o = 0;
	uint8_t *out = mm_malloc(len + 128);
	bool done = false;

	if (!strcmp(key, "endian"))
		snprintf(val, sizeof(val), "%s", rnd(2) ? "big" : "little");
	else
		snprintf(val, sizeof(val), "%llu", (unsigned long long)pick_interesting());
	for (size_t i = 0; i < len;) {
		const uint8_t *nl = memchr(p + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (p + i)) + 1 : len - i;
		if (!done && l > klen && !memcmp(p + i, key, klen) && p[i + klen] == '=') {
			o += sprintf((char *)out + o, "%s=%s\n", key, val);
			done = true;
		} else {
			memcpy(out + o, p + i, l);
			o += l;
		}
		i += l;
	}
	if (!done)
		o += sprintf((char *)out + o, "%s=%s\n", key, val);
	*out_len = o;
	return out;
}

/* ---- the mutator ---- */

/* Rebuild section I with new contents (re-encoded), into O. */
static void mutate_content(const struct input *in, size_t i, struct out *o)
{
	const struct sec *s = &in->s[i];
	uint8_t *content = NULL, *enc = NULL;
	size_t len = 0, elen = 0;
	uint16_t flags = s->flags;

	if (s->type == MM_SECTION_CHUNK || s->type == MM_SECTION_STACK_CHUNK) {
		struct mm_chunk_header h;
		content = chunk_decode(in, s, &h, &len);
		if (content) {
			mutate_subbufs(in, content, h.nr_subbufs, len);
			if (rnd(4) == 0)
				h.codec = rnd(3);
			enc = chunk_encode(in, &h, content, &elen);
		}
		if (!enc) {	/* undecodable: mutate the stored bytes */
			enc = mm_malloc(s->len + 64);
			memcpy(enc, s->payload, s->len);
			elen = LLVMFuzzerMutate(enc, s->len, s->len + 64);
		}
		emit_section(o, s->type, s->flags, enc, elen, false, 0);
		free(content);
		free(enc);
		return;
	}
	if (s->flags & MM_SECTION_F_ZSTD)
		content = zstd_inflate(s->payload, s->len, &len);
	if (!content) {
		len = s->len;
		content = mm_malloc(len + 1);
		memcpy(content, s->payload, len);
		flags &= ~MM_SECTION_F_ZSTD;
	}
	if (s->type == MM_SECTION_MACHINE && rnd(2)) {
		uint8_t *m = mutate_machine(content, len, &len);
		free(content);
		content = m;
	} else if ((s->type == MM_SECTION_ELF || s->type == MM_SECTION_MMAPS) && len >= 64 &&
		   rnd(2)) {
		/* a count or length of the object's header (ELF: nr_phdrs, nr_syms,
		 * path_len, names_len; MMAPS: an entry's path_len) set to an edge */
		static const uint32_t edge[] = { 0, 1, 255, 256, 257, 4096, 0x7fffffff, 0xffffffff };
		size_t at = s->type == MM_SECTION_ELF ? 44 + 4 * rnd(4) : 2;
		uint32_t v = edge[rnd(sizeof(edge) / sizeof(edge[0]))];
		if (s->type == MM_SECTION_MMAPS) {
			content[at] = (uint8_t)v;
			content[at + 1] = (uint8_t)(v >> 8);
		} else {
			mm_le32_store(content + at, v);
		}
	} else if (s->type == MM_SECTION_HEAP_STACKS && len >= 9 && rnd(2)) {
		/* first_id or nr set to an edge, or the first stack's frame
		 * count: past the 8 a stack holds, or past the section's end */
		static const uint32_t edge[] = { 0, 1, 7, 8, 9, 255, 1u << 18, 0xffffffff };
		uint32_t v = edge[rnd(sizeof(edge) / sizeof(edge[0]))];
		unsigned at = rnd(3);
		if (at < 2)
			mm_le32_store(content + 4 * at, v);
		else
			content[8] = (uint8_t)v;
	} else {
		size_t cap = len + 256;
		content = mm_realloc(content, cap);
		len = LLVMFuzzerMutate(content, len, cap);
	}
	if (rnd(8) == 0)
		flags ^= MM_SECTION_F_ZSTD;
	if (flags & MM_SECTION_F_ZSTD) {
		enc = zstd_deflate(content, len, &elen);
		if (enc)
			emit_section(o, s->type, flags, enc, elen, false, 0);
		else
			o->full = true;
	} else {
		emit_section(o, s->type, flags, content, len, false, 0);
	}
	free(content);
	free(enc);
}

/* A header field changed; the CRC fixed unless the change is the CRC. */
static void mutate_header(const struct input *in, size_t i, struct out *o)
{
	const struct sec *s = &in->s[i];
	uint8_t *p = mm_malloc(s->len + 1);
	uint16_t type = s->type, flags = s->flags;
	bool bad_crc = false;

	memcpy(p, s->payload, s->len);
	switch (rnd(5)) {
	case 0:
		type = rnd(MM_SECTION_HEAP_STACKS + 2);   /* every type, and one past */
		break;
	case 1:
		flags = rnd(4) ? flags ^ MM_SECTION_F_ZSTD : (uint16_t)rnd(65536);
		break;
	case 2:
		bad_crc = true;
		break;
	case 3: {	/* a snapshot's or chunk's own header */
		size_t n = s->len < 24 ? s->len : 24;
		if (n >= 4) {
			size_t at = 4 * rnd(n / 4);
			uint32_t v = pick_interesting();
			if (s->type == MM_SECTION_CHUNK && rnd(2))
				v = rnd(4);	/* a cpu or codec in range */
			memcpy(p + at, &v, 4);
		}
		break;
	}
	default: {	/* a length that lies: emit the header by hand */
		uint8_t h[MM_SECTION_HEADER_SIZE];
		uint64_t l = rnd(2) ? pick_interesting() : s->len + rnd(64) - 32;
		memcpy(h, &s->type, 2);
		memcpy(h + 2, &s->flags, 2);
		memcpy(h + 4, &s->crc, 4);
		memcpy(h + 8, &l, 8);
		emit(o, h, sizeof(h));
		emit(o, p, s->len);
		free(p);
		return;
	}
	}
	emit_section(o, type, flags, p, s->len, bad_crc, s->crc ^ 1);
	free(p);
}

static void emit_copy(const struct input *in, size_t i, struct out *o)
{
	const struct sec *s = &in->s[i];
	emit_section(o, s->type, s->flags, s->payload, s->len, true, s->crc);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static struct input in;
	struct out o = { mm_malloc(max_size), 0, max_size, false };
	uint32_t what;
	size_t target, other, n;

	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	what = rnd(100);
	if (what < 8 || !parse(&in, data, size)) {
		free(o.p);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	target = rnd(in.n);
	/* bias towards chunks and formats, where the decoding is */
	for (int tries = 0; tries < 3 && rnd(2); tries++) {
		size_t t = rnd(in.n);
		if (in.s[t].type == MM_SECTION_CHUNK || in.s[t].type == MM_SECTION_EVENT_FORMAT ||
		    in.s[t].type == MM_SECTION_EVENT_FORMATS) {
			target = t;
			break;
		}
	}
	other = rnd(in.n);
	emit(&o, in.hdr, MM_FILE_HEADER_SIZE);
	n = in.n;
	for (size_t i = 0; i < n; i++) {
		if (i != target) {
			emit_copy(&in, i, &o);
			continue;
		}
		if (what < 55) {
			mutate_content(&in, i, &o);
		} else if (what < 68) {
			mutate_header(&in, i, &o);
		} else if (what < 76) {
			emit_copy(&in, i, &o);		/* duplicate */
			emit_copy(&in, rnd(2) ? i : other, &o);
		} else if (what < 82) {
			/* delete */
		} else if (what < 88) {
			emit_copy(&in, other, &o);	/* swap */
			if (other != i) {
				for (size_t k = i + 1; k < n; k++)
					if (k != other)
						emit_copy(&in, k, &o);
				emit_copy(&in, i, &o);
				n = 0;
			}
		} else if (what < 94) {
			emit_copy(&in, i, &o);		/* cut the file short here */
			if (rnd(2))
				emit(&o, in.s[i].payload, rnd(in.s[i].len + 1));
			n = 0;
		} else {
			emit_copy(&in, i, &o);
			for (int k = rnd(64) + 1; k > 0; k--)	/* many copies */
				emit_copy(&in, i, &o);
		}
	}
	if (n)
		emit(&o, in.tail, in.tail_len);
	if (o.full || !o.len) {
		free(o.p);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data, o.p, o.len);
	free(o.p);
	return o.len;
}
