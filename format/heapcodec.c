/*
 * format/heapcodec.c - the "heap" chunk codec (heapcodec.h says what and
 * why; Documentation/memmon-format.5 states the rule).
 *
 * The encoder runs on record's malloc drain thread for every record, so its
 * tables are open-addressed hashes sized once and cleared per chunk, and
 * every stream append is one capacity check.  The decoder runs on hostile
 * files: each varint read is bounds-checked, every table index is checked
 * against what the chunk defined so far, and the sub-buffers it writes are
 * laid out by the same mm_heap_pages rule the encoder counted with, so a
 * chunk that disagrees with its own header is an error, never a guess.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "memmon.h"
#include "endian.h"
#include "heapcodec.h"
#include "heapops.h"
#include "heapcodec-int.h"


size_t mm_heap_format(char *buf, size_t len, unsigned id)
{
	int n = snprintf(buf, len,
		"name: " MM_HEAP_EVENT "\n"
		"ID: %u\n"
		"format:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
		"\n"
		"\tfield:unsigned char op;\toffset:%d;\tsize:1;\tsigned:0;\n"
		"\tfield:unsigned char aux;\toffset:%d;\tsize:1;\tsigned:0;\n"
		"\tfield:int tgid;\toffset:%d;\tsize:4;\tsigned:1;\n"
		"\tfield:unsigned long site;\toffset:%d;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned long size;\toffset:%d;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned long ptr;\toffset:%d;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned long old;\toffset:%d;\tsize:8;\tsigned:0;\n"
		"\tfield:unsigned int dur;\toffset:%d;\tsize:4;\tsigned:0;\n"
		"\n"
		"print fmt: \"op=%%u size=%%lu ptr=%%lx\", REC->op, REC->size, REC->ptr\n",
		id, MM_HEAP_EV_OP, MM_HEAP_EV_AUX, MM_HEAP_EV_TGID, MM_HEAP_EV_SITE,
		MM_HEAP_EV_SIZE, MM_HEAP_EV_PTR, MM_HEAP_EV_OLD, MM_HEAP_EV_DUR);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/* ---- the sub-buffer layout ---- */

void mm_heap_pages_init(struct mm_heap_pages *p, uint32_t subbuf_size, int commit_size)
{
	*p = (struct mm_heap_pages){
		.subbuf = subbuf_size,
		.room = subbuf_size - 8 - (uint32_t)commit_size,
	};
}

uint32_t mm_heap_pages_add(struct mm_heap_pages *p, uint64_t ts, int *new_page)
{
	return heap_pages_add(p, ts, new_page);
}

/* ---- varints ---- */

static void grow(struct mm_col_buf2 *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;

	while (cap < b->len + n)
		cap *= 2;
	b->p = mm_realloc(b->p, cap);
	b->cap = cap;
}

static inline void put_u8(struct mm_col_buf2 *b, unsigned v)
{
	if (b->len + 1 > b->cap)
		grow(b, 1);
	b->p[b->len++] = (unsigned char)v;
}

static inline void put_var(struct mm_col_buf2 *b, uint64_t v)
{
	if (b->len + 10 > b->cap)
		grow(b, 10);
	while (v >= 0x80) {
		b->p[b->len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b->p[b->len++] = (unsigned char)v;
}


/* ---- encoder tables ---- */

static inline uint32_t hash64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

/*
 * The encoder's address tables are direct-mapped caches: a slot per hash,
 * the newest entry wins.  A collision only costs the coding (a block coded
 * raw), never correctness: the decoder keeps no table of its own, it
 * follows the codes.  Entries carry sequence numbers that run on across
 * chunks, so a chunk starts with every table forgotten without clearing
 * one: an entry counts only if its number is the current chunk's.
 */
#define SLOTS (1u << 14)           /* 512 KiB: 4x MM_HEAP_WINDOW */

void mm_heap_enc_init(struct mm_heap_enc *e, uint32_t subbuf_size, int commit_size,
		      unsigned qshift)
{
	memset(e, 0, sizeof(*e));
	e->qshift = qshift > MM_HEAP_MAX_QSHIFT ? MM_HEAP_MAX_QSHIFT : qshift;
	e->slots = mm_calloc(SLOTS, sizeof(*e->slots));
	mm_heap_pages_init(&e->pages, subbuf_size, commit_size);
	e->thr_cap = 64;
	e->thr = mm_calloc(e->thr_cap, sizeof(*e->thr));
	e->thr_last = mm_calloc(e->thr_cap, sizeof(*e->thr_last));
	e->site_cap = 1024;
	e->sites = mm_calloc(e->site_cap, sizeof(*e->sites));
	for (uint32_t i = 0; i < e->thr_cap; i++)
		e->thr[i].tid = -1;
	e->last_thr = UINT32_MAX;
}

void mm_heap_enc_reset(struct mm_heap_enc *e)
{
	for (int i = 0; i < MM_HEAP_STREAMS; i++)
		e->s[i].len = 0;
	mm_heap_pages_init(&e->pages, e->pages.subbuf, (int)(e->pages.subbuf - e->pages.room - 8));
	e->nr_records = 0;
	e->base_ts = e->last_ts = 0;
	if (e->nr_thr)
		for (uint32_t i = 0; i < e->thr_cap; i++)
			e->thr[i].tid = -1;
	e->nr_thr = 0;
	e->last_thr = UINT32_MAX;
	if (e->nr_sites)
		memset(e->sites, 0, e->site_cap * sizeof(*e->sites));
	e->nr_sites = 0;
	e->last_site = 0;
	/* the tables' entries of this chunk are now the old chunk's */
	e->alloc_base = e->alloc_seq;
	e->fr_base = e->fr_seq;
	e->en_base = e->en_seq;
}

void mm_heap_enc_release(struct mm_heap_enc *e)
{
	for (int i = 0; i < MM_HEAP_STREAMS; i++)
		free(e->s[i].p);
	free(e->thr);
	free(e->thr_last);
	free(e->sites);
	free(e->slots);
	memset(e, 0, sizeof(*e));
}

/* Index of TID (a new one is added and coded into THREADS). */
static uint32_t thread_index(struct mm_heap_enc *e, int32_t tid, int32_t tgid, bool *fresh)
{
	uint32_t mask = e->thr_cap - 1, i;

	if (e->last_thr != UINT32_MAX && e->last_tid == tid) {
		*fresh = false;
		return e->last_thr;
	}
	i = hash64((uint64_t)(uint32_t)tid) & mask;
	while (e->thr[i].tid != -1) {
		if (e->thr[i].tid == tid) {
			*fresh = false;
			e->last_tid = tid;
			return e->last_thr = e->thr[i].idx;
		}
		i = (i + 1) & mask;
	}
	if (2 * (e->nr_thr + 1) > e->thr_cap) {
		uint32_t old = e->thr_cap;
		__typeof__(e->thr) t = e->thr;

		e->thr_cap *= 2;
		e->thr = mm_calloc(e->thr_cap, sizeof(*e->thr));
		e->thr_last = mm_realloc(e->thr_last, e->thr_cap * sizeof(*e->thr_last));
		for (uint32_t k = 0; k < e->thr_cap; k++)
			e->thr[k].tid = -1;
		mask = e->thr_cap - 1;
		for (uint32_t k = 0; k < old; k++) {
			if (t[k].tid == -1)
				continue;
			uint32_t j = hash64((uint64_t)(uint32_t)t[k].tid) & mask;
			while (e->thr[j].tid != -1)
				j = (j + 1) & mask;
			e->thr[j] = t[k];
		}
		free(t);
		i = hash64((uint64_t)(uint32_t)tid) & mask;
		while (e->thr[i].tid != -1)
			i = (i + 1) & mask;
	}
	e->thr[i].tid = tid;
	e->thr[i].idx = e->nr_thr;
	e->thr_last[e->nr_thr] = 0;
	*fresh = true;
	put_var(&e->s[MM_HEAP_S_THREADS], zig(tid));
	put_var(&e->s[MM_HEAP_S_THREADS], zig(tgid));
	e->last_tid = tid;
	return e->last_thr = e->nr_thr++;
}

static uint32_t site_index(struct mm_heap_enc *e, uint64_t site, bool *fresh)
{
	uint32_t mask = e->site_cap - 1, i = hash64(site) & mask;

	/* entries are idx+1 so that 0 is empty */
	while (e->sites[i].idx) {
		if (e->sites[i].site == site) {
			*fresh = false;
			return e->sites[i].idx - 1;
		}
		i = (i + 1) & mask;
	}
	if (2 * (e->nr_sites + 1) > e->site_cap) {
		uint32_t old = e->site_cap;
		__typeof__(e->sites) t = e->sites;

		e->site_cap *= 2;
		e->sites = mm_calloc(e->site_cap, sizeof(*e->sites));
		mask = e->site_cap - 1;
		for (uint32_t k = 0; k < old; k++) {
			if (!t[k].idx)
				continue;
			uint32_t j = hash64(t[k].site) & mask;
			while (e->sites[j].idx)
				j = (j + 1) & mask;
			e->sites[j] = t[k];
		}
		free(t);
		i = hash64(site) & mask;
		while (e->sites[i].idx)
			i = (i + 1) & mask;
	}
	e->sites[i].site = site;
	e->sites[i].idx = ++e->nr_sites;
	*fresh = true;
	put_var(&e->s[MM_HEAP_S_SITES], zig((int64_t)(site - e->last_site)));
	e->last_site = site;
	return e->nr_sites - 1;
}

static inline struct mm_heap_slot *slot_of(struct mm_heap_enc *e, uint64_t addr)
{
	return &e->slots[hash64(addr) & (SLOTS - 1)];
}

/* ADDR's slot, taken over from whatever address had it. */
static inline struct mm_heap_slot *slot_claim(struct mm_heap_enc *e, uint64_t addr)
{
	struct mm_heap_slot *s = slot_of(e, addr);

	if (s->addr != addr)
		*s = (struct mm_heap_slot){ .addr = addr };
	return s;
}

/* How many allocations back (0: the latest) the block at PTR was made in
 * this chunk, and forget it; -1 when the table does not know it. */
static int64_t block_take(struct mm_heap_enc *e, uint64_t ptr)
{
	struct mm_heap_slot *s = slot_of(e, ptr);
	uint64_t seq = s->alloc;

	if (ptr <= DEAD_PTR || s->addr != ptr || seq <= e->alloc_base)
		return -1;
	s->alloc = 0;
	return (int64_t)(e->alloc_seq - seq);
}

/* REF (and RAW) for block PTR freed or passed to realloc by thread T. */
static void put_ref(struct mm_heap_enc *e, uint32_t t, uint64_t ptr)
{
	int64_t k;

	if (!ptr) {
		put_var(&e->s[MM_HEAP_S_REF], 0);
		return;
	}
	k = block_take(e, ptr);
	if (k >= 0) {
		put_var(&e->s[MM_HEAP_S_REF], (uint64_t)k + 2);
		return;
	}
	put_var(&e->s[MM_HEAP_S_REF], 1);
	put_var(&e->s[MM_HEAP_S_RAW], zig((int64_t)(ptr - e->thr_last[t])));
}

/* How many entries back SEQ (counting from 1) is from NR (0: the latest),
 * or -1 when it is not among the chunk's (from BASE) last MM_HEAP_WINDOW. */
static inline int64_t cand_back(uint64_t seq, uint64_t nr, uint64_t base)
{
	return seq > base && nr - seq < MM_HEAP_WINDOW ? (int64_t)(nr - seq) : -1;
}

static void freed(struct mm_heap_enc *e, uint64_t ptr)
{
	if (ptr > DEAD_PTR)
		slot_claim(e, ptr)->fr = ++e->fr_seq;
}

/* PTR (or RAW) for the result PTR of a request of SIZE by thread T. */
static void put_result(struct mm_heap_enc *e, uint32_t t, uint64_t ptr, uint64_t size)
{
	uint64_t end = ptr + mm_heap_chunk_size(size);
	int64_t k, j;

	if (!ptr) {
		put_var(&e->s[MM_HEAP_S_PTR], 0);
		return;
	}
	struct mm_heap_slot *sl = ptr > DEAD_PTR ? slot_claim(e, ptr) : NULL;

	k = sl ? cand_back(sl->fr, e->fr_seq, e->fr_base) : -1;
	j = sl ? cand_back(sl->en, e->en_seq, e->en_base) : -1;
	if (k >= 0 && (j < 0 || k <= j)) {
		put_var(&e->s[MM_HEAP_S_PTR], 2 + (uint64_t)k);
	} else if (j >= 0) {
		put_var(&e->s[MM_HEAP_S_PTR], 2 + MM_HEAP_WINDOW + (uint64_t)j);
	} else {
		put_var(&e->s[MM_HEAP_S_PTR], 1);
		put_var(&e->s[MM_HEAP_S_RAW], zig((int64_t)(ptr - e->thr_last[t])));
	}
	e->thr_last[t] = ptr;
	++e->alloc_seq;
	if (sl)
		sl->alloc = e->alloc_seq;
	if (end > DEAD_PTR)
		slot_claim(e, end)->en = ++e->en_seq;
}

void mm_heap_enc_prefetch(struct mm_heap_enc *e, const struct mm_heap_rec *r)
{
	__builtin_prefetch(slot_of(e, r->ptr), 1);
	if (MM_OP_IS_ALLOC(r->op) || MM_OP_IS_REALLOC(r->op))
		__builtin_prefetch(slot_of(e, r->ptr + mm_heap_chunk_size(r->size)), 1);
	if (MM_OP_IS_REALLOC(r->op))
		__builtin_prefetch(slot_of(e, r->old), 1);
}

void mm_heap_enc_add(struct mm_heap_enc *e, const struct mm_heap_rec *r)
{
	unsigned op = r->op;
	uint64_t ts = r->ts;
	bool fresh;
	uint32_t t;
	int np;

	ts = ts >> e->qshift << e->qshift;
	if (!e->nr_records)
		e->base_ts = e->last_ts = ts;
	if (ts < e->last_ts)
		ts = e->last_ts;     /* the stream only moves forward */
	mm_heap_pages_add(&e->pages, ts, &np);
	put_u8(&e->s[MM_HEAP_S_OP], op);
	t = thread_index(e, r->tid, r->tgid, &fresh);
	put_var(&e->s[MM_HEAP_S_TID], t);
	put_var(&e->s[MM_HEAP_S_TS], (ts - e->last_ts) >> e->qshift);
	e->last_ts = ts;
	e->nr_records++;
	if (op == MM_OP_HELLO) {
		put_u8(&e->s[MM_HEAP_S_AUX], r->aux);
		return;
	}
	if (op == MM_OP_LOST) {
		put_var(&e->s[MM_HEAP_S_SIZE], r->size);
		return;
	}
	put_var(&e->s[MM_HEAP_S_SITE], site_index(e, r->site, &fresh));
	if (MM_OP_IS_FREE(op)) {
		put_ref(e, t, r->ptr);
		freed(e, r->ptr);
		return;
	}
	/* alloc and realloc families (anything else is refused by record) */
	put_u8(&e->s[MM_HEAP_S_AUX], r->aux);
	put_var(&e->s[MM_HEAP_S_DUR], r->dur < (MM_HEAP_SHORT << e->qshift) ? 0 :
		((uint64_t)r->dur + (1u << e->qshift) - 1) >> e->qshift);
	put_var(&e->s[MM_HEAP_S_SIZE], r->size);
	if (MM_OP_IS_REALLOC(op))
		put_ref(e, t, r->old);
	put_result(e, t, r->ptr, r->size);
	if (MM_OP_IS_REALLOC(op) && r->ptr && r->old != r->ptr)
		freed(e, r->old);
}

size_t mm_heap_enc_finish(struct mm_heap_enc *e, void *cctx, uint16_t event_id,
			  unsigned char **out, size_t *cap)
{
	size_t need = MM_HEAP_CHUNK_HEAD, off = MM_HEAP_CHUNK_HEAD;
	unsigned char *p;

	for (int i = 0; i < MM_HEAP_STREAMS; i++)
		need += ZSTD_compressBound(e->s[i].len);
	if (need > *cap) {
		free(*out);
		*out = mm_malloc(need);
		*cap = need;
	}
	p = *out;
	mm_le32_store(p, e->nr_records);
	p[4] = (unsigned char)event_id;
	p[5] = (unsigned char)(event_id >> 8);
	p[6] = MM_HEAP_STREAMS;
	p[7] = (unsigned char)e->qshift;
	mm_le64_store(p + 8, e->base_ts);
	for (int i = 0; i < MM_HEAP_STREAMS; i++) {
		size_t z = 0;

		if (e->s[i].len) {
			z = ZSTD_compress2(cctx, p + off, need - off, e->s[i].p, e->s[i].len);
			if (ZSTD_isError(z))
				return 0;
		}
		mm_le32_store(p + 16 + 4 * i, (uint32_t)e->s[i].len);
		mm_le32_store(p + 16 + 4 * (MM_HEAP_STREAMS + i), (uint32_t)z);
		off += z;
	}
	return off;
}
