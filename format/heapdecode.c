/*
 * format/heapdecode.c - the heap codec's decoder (heapcodec.h; the rule is
 * in Documentation/memmon-format.5): the streams of a HEAP_CHUNK back into
 * records, and a record as the memmon:malloc event it stands for.  It runs
 * on hostile files: each varint read is bounds-checked, every table index
 * is checked against what the chunk defined so far, and the records are
 * counted into sub-buffers by the same mm_heap_pages rule the encoder
 * counted with, so a chunk that disagrees with its own header is an
 * error, never a guess.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "heapcodec.h"
#include "heapcodec-int.h"
#include "heapops.h"

/* ---- decoder ---- */

struct cur {
	const unsigned char *p, *end;
};

static inline bool get_u8(struct cur *c, unsigned *v)
{
	if (c->p >= c->end)
		return false;
	*v = *c->p++;
	return true;
}

static inline bool get_var(struct cur *c, uint64_t *v)
{
	uint64_t x = 0;

	if (c->p < c->end && *c->p < 0x80) {     /* one byte: most of them */
		*v = *c->p++;
		return true;
	}

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (c->p >= c->end)
			return false;
		unsigned b = *c->p++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

static void *reserve(void *arr, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return arr;
	uint32_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	*cap = n;
	return mm_realloc(arr, (size_t)n * elem);
}

void mm_heap_dec_release(struct mm_heap_dec *d)
{
	free(d->thr);
	free(d->thr_last);
	free(d->sites);
	free(d->allocs);
	memset(d, 0, sizeof(*d));
}

static inline void st16(unsigned char *p, uint16_t v, bool swap)
{
	if (swap)
		v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}

static inline void st32(unsigned char *p, uint32_t v, bool swap)
{
	if (swap)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static inline void st64(unsigned char *p, uint64_t v, bool swap)
{
	if (swap)
		v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

void mm_heap_rec_event(const struct mm_heap_rec *r, uint16_t id, bool swap,
		       unsigned char out[MM_HEAP_EV_LEN])
{
	memset(out, 0, MM_HEAP_EV_LEN);
	st16(out, id, swap);
	st32(out + 4, (uint32_t)r->tid, swap);
	out[MM_HEAP_EV_OP] = r->op;
	out[MM_HEAP_EV_AUX] = r->aux;
	st32(out + MM_HEAP_EV_TGID, (uint32_t)r->tgid, swap);
	st64(out + MM_HEAP_EV_SITE, r->site, swap);
	st64(out + MM_HEAP_EV_SIZE, r->size, swap);
	st64(out + MM_HEAP_EV_PTR, r->ptr, swap);
	st64(out + MM_HEAP_EV_OLD, r->old, swap);
	st32(out + MM_HEAP_EV_DUR, r->dur, swap);
}

#define BAD(msg) do { *why = (msg); return -1; } while (0)

static inline int get_block(struct mm_heap_dec *d, struct cur *ref, struct cur *raw, uint64_t last,
		     uint32_t nr_allocs, uint64_t *ptr, const char **why)
{
	uint64_t v;

	if (!get_var(ref, &v))
		BAD("heap chunk: REF stream too short");
	if (v == 0) {
		*ptr = 0;
	} else if (v == 1) {
		if (!get_var(raw, &v))
			BAD("heap chunk: RAW stream too short");
		*ptr = last + (uint64_t)unzig(v);
	} else {
		if (v - 2 >= nr_allocs)
			BAD("heap chunk: a block referred to before any allocation made it");
		*ptr = d->allocs[nr_allocs - 1 - (v - 2)];
	}
	return 0;
}

/* The decoder's candidate rings: entry SEQ (1-based) at [(SEQ - 1) % W]. */
static inline void ring_put(uint64_t *ring, uint32_t *nr, uint64_t addr)
{
	if (addr > DEAD_PTR)
		ring[(*nr)++ % MM_HEAP_WINDOW] = addr;
}

static inline int get_result(struct mm_heap_dec *d, struct cur *ptr, struct cur *raw, uint64_t last,
		      uint32_t nr_fr, uint32_t nr_en, uint64_t *out, const char **why)
{
	uint64_t v, k;

	if (!get_var(ptr, &v))
		BAD("heap chunk: PTR stream too short");
	if (v == 0) {
		*out = 0;
	} else if (v == 1) {
		if (!get_var(raw, &v))
			BAD("heap chunk: RAW stream too short");
		*out = last + (uint64_t)unzig(v);
	} else if (v - 2 < MM_HEAP_WINDOW) {
		k = v - 2;
		if (k >= nr_fr)
			BAD("heap chunk: a result names a block not freed yet");
		*out = d->fr[(nr_fr - 1 - k) % MM_HEAP_WINDOW];
	} else if (v - 2 - MM_HEAP_WINDOW < MM_HEAP_WINDOW) {
		k = v - 2 - MM_HEAP_WINDOW;
		if (k >= nr_en)
			BAD("heap chunk: a result names a block not allocated yet");
		*out = d->en[(nr_en - 1 - k) % MM_HEAP_WINDOW];
	} else {
		BAD("heap chunk: bad PTR code");
	}
	return 0;
}

int mm_heap_decode(struct mm_heap_dec *d, const struct mm_delta_layout *l,
		   const struct mm_heap_piece in[MM_HEAP_STREAMS], uint32_t nr_records,
		   unsigned qshift, uint64_t base_ts, struct mm_heap_rec *out,
		   uint32_t nr_pages, const char **why)
{
	struct cur c[MM_HEAP_STREAMS];
	struct mm_heap_pages pages;
	uint32_t nr_thr = 0, nr_sites = 0, nr_allocs = 0, nr_fr = 0, nr_en = 0;
	uint64_t ts = base_ts, last_site = 0;

	if (qshift > MM_HEAP_MAX_QSHIFT)
		BAD("heap chunk: bad time quantum");

	if (l->subbuf_size < 8 + (uint32_t)l->commit_size + EVENT_BYTES + EXTEND_BYTES)
		BAD("heap chunk: sub-buffers too small for its events");
	mm_heap_pages_init(&pages, l->subbuf_size, l->commit_size);
	/* before any table is sized by it: a record takes an event's bytes */
	if ((uint64_t)nr_records > (uint64_t)nr_pages * (pages.room / EVENT_BYTES))
		BAD("heap chunk: more records than its sub-buffers hold");
	for (int i = 0; i < MM_HEAP_STREAMS; i++)
		c[i] = (struct cur){ in[i].p, in[i].p + in[i].len };
	/* every table grows by at most one entry per record */
	d->allocs = reserve(d->allocs, &d->alloc_cap, nr_records + 1, sizeof(*d->allocs));
	for (uint32_t n = 0; n < nr_records; n++) {
		struct mm_heap_rec r;
		unsigned op, u;

		memset(&r, 0, sizeof(r));
		uint64_t v;
		int np;

		if (!get_u8(&c[MM_HEAP_S_OP], &op))
			BAD("heap chunk: OP stream too short");
		r.op = (uint8_t)op;
		if (!get_var(&c[MM_HEAP_S_TID], &v) || v > nr_thr)
			BAD("heap chunk: bad thread index");
		if (v == nr_thr) {
			uint64_t tid, tgid;

			d->thr = reserve(d->thr, &d->thr_cap, nr_thr + 1, sizeof(*d->thr));
			d->thr_last = mm_realloc(d->thr_last, (size_t)d->thr_cap * sizeof(*d->thr_last));
			if (!get_var(&c[MM_HEAP_S_THREADS], &tid) ||
			    !get_var(&c[MM_HEAP_S_THREADS], &tgid))
				BAD("heap chunk: THREADS stream too short");
			d->thr[nr_thr][0] = (int32_t)unzig(tid);
			d->thr[nr_thr][1] = (int32_t)unzig(tgid);
			d->thr_last[nr_thr] = 0;
			nr_thr++;
		}
		uint32_t t = (uint32_t)v;
		r.tid = d->thr[t][0];
		r.tgid = d->thr[t][1];
		if (!get_var(&c[MM_HEAP_S_TS], &v) || v > (UINT64_MAX - ts) >> qshift)
			BAD("heap chunk: bad time");
		ts += v << qshift;
		r.ts = ts;
		if (op == MM_OP_HELLO) {
			if (!get_u8(&c[MM_HEAP_S_AUX], &u))
				BAD("heap chunk: AUX stream too short");
			r.aux = (uint8_t)u;
		} else if (op == MM_OP_LOST) {
			if (!get_var(&c[MM_HEAP_S_SIZE], &r.size))
				BAD("heap chunk: SIZE stream too short");
		} else if (MM_OP_IS_FREE(op) || MM_OP_IS_ALLOC(op) || MM_OP_IS_REALLOC(op)) {
			if (!get_var(&c[MM_HEAP_S_SITE], &v) || v > nr_sites)
				BAD("heap chunk: bad site index");
			if (v == nr_sites) {
				uint64_t z;

				d->sites = reserve(d->sites, &d->site_cap, nr_sites + 1, sizeof(*d->sites));
				if (!get_var(&c[MM_HEAP_S_SITES], &z))
					BAD("heap chunk: SITES stream too short");
				last_site += (uint64_t)unzig(z);
				d->sites[nr_sites++] = last_site;
			}
			r.site = d->sites[v];
			if (MM_OP_IS_FREE(op)) {
				if (get_block(d, &c[MM_HEAP_S_REF], &c[MM_HEAP_S_RAW], d->thr_last[t],
					      nr_allocs, &r.ptr, why) < 0)
					return -1;
				ring_put(d->fr, &nr_fr, r.ptr);
			} else {
				if (!get_u8(&c[MM_HEAP_S_AUX], &u))
					BAD("heap chunk: AUX stream too short");
				r.aux = (uint8_t)u;
				if (!get_var(&c[MM_HEAP_S_DUR], &v) || v > UINT32_MAX)
					BAD("heap chunk: bad duration");
				v <<= qshift;
				r.dur = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
				if (!get_var(&c[MM_HEAP_S_SIZE], &r.size))
					BAD("heap chunk: SIZE stream too short");
				if (MM_OP_IS_REALLOC(op) &&
				    get_block(d, &c[MM_HEAP_S_REF], &c[MM_HEAP_S_RAW], d->thr_last[t],
					      nr_allocs, &r.old, why) < 0)
					return -1;
				if (get_result(d, &c[MM_HEAP_S_PTR], &c[MM_HEAP_S_RAW], d->thr_last[t],
					       nr_fr, nr_en, &r.ptr, why) < 0)
					return -1;
				if (r.ptr) {
					d->thr_last[t] = r.ptr;
					d->allocs[nr_allocs++] = r.ptr;
					ring_put(d->en, &nr_en, r.ptr + mm_heap_chunk_size(r.size));
				}
				if (MM_OP_IS_REALLOC(op) && r.ptr && r.old != r.ptr)
					ring_put(d->fr, &nr_fr, r.old);
			}
		} else {
			BAD("heap chunk: unknown operation");
		}
		/* where the record's event would lie: the header's count must agree */
		heap_pages_add(&pages, r.ts, &np);
		if (pages.nr > nr_pages)
			BAD("heap chunk: more records than its sub-buffers hold");
		out[n] = r;
	}
	if (pages.nr != nr_pages)
		BAD("heap chunk: fewer records than its sub-buffers");
	for (int i = 0; i < MM_HEAP_STREAMS; i++)
		if (c[i].p != c[i].end)
			BAD("heap chunk: a stream has bytes left over");
	return 0;
}
