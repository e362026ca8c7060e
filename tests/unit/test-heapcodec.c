/*
 * tests/unit/test-heapcodec.c - the heap chunk codec (format/heapcodec.h):
 * records encoded as record --malloc does and decoded must be the same
 * records (times rounded to the quantum) in the same order, and each one's
 * memmon:malloc event must carry its fields; a chunk whose streams are cut
 * or whose header lies about its sub-buffers is refused, never misread.
 */
#include <stdbool.h>
#include <zstd.h>

#include "harness.h"
#include "memmon.h"
#include "format/endian.h"
#include "format/heapcodec.h"
#include "format/heapops.h"

#define SUBBUF 4096
#define QSHIFT 4

struct chunk {
	unsigned char *buf;
	size_t len, cap;
	uint32_t pages;
};

/* A malloc/free workload like peerbench's: a ring of live blocks on 3 threads. */
static uint32_t make_records(struct mm_heap_rec *r, uint32_t n)
{
	uint64_t ring[3][64] = { { 0 } }, ts = 1000000, next = 0x55550000a000ull;
	uint32_t k = 0;

	while (k < n) {
		unsigned t = (unsigned)(t_rng() % 3), slot = (unsigned)(t_rng() % 64);
		ts += 16 + t_rng() % 4000;
		if (ring[t][slot] && k < n) {
			r[k++] = (struct mm_heap_rec){ .ts = ts, .site = 0x401000 + 16 * (t_rng() % 9),
				.ptr = ring[t][slot], .tid = 100 + (int32_t)t, .tgid = 100, .op = MM_OP_FREE };
			ring[t][slot] = 0;
			ts += 16;
		}
		if (k >= n)
			break;
		uint64_t size = 16 + t_rng() % 5000;
		bool re = t_rng() % 8 == 0 && ring[t][(slot + 1) % 64];
		uint64_t old = re ? ring[t][(slot + 1) % 64] : 0;
		next += (size + 31) & ~15ull;
		r[k++] = (struct mm_heap_rec){ .ts = ts, .site = 0x402000 + 16 * (t_rng() % 17),
			.size = size, .ptr = t_rng() % 50 ? next : 0, .old = old, .tid = 100 + (int32_t)t,
			.tgid = 100, .op = re ? MM_OP_REALLOC : MM_OP_MALLOC };
		if (re)
			ring[t][(slot + 1) % 64] = 0;
		ring[t][slot] = r[k - 1].ptr;
	}
	return k;
}

static void encode(const struct mm_heap_rec *r, uint32_t n, struct chunk *c)
{
	struct mm_heap_enc e;
	ZSTD_CCtx *z = ZSTD_createCCtx();

	mm_heap_enc_init(&e, SUBBUF, 8, QSHIFT);
	for (uint32_t i = 0; i < n; i++)
		mm_heap_enc_add(&e, &r[i]);
	c->len = mm_heap_enc_finish(&e, z, 77, &c->buf, &c->cap);
	c->pages = e.pages.nr;
	mm_heap_enc_release(&e);
	ZSTD_freeCCtx(z);
}

/* Decode C (its streams inflated) into OUT, the header claiming PAGES
 * sub-buffers; 0 or -1 with *WHY. */
static int decode(const struct chunk *c, struct mm_heap_rec *out, uint32_t pages, const char **why)
{
	const unsigned char *z = c->buf;
	struct mm_heap_piece in[MM_HEAP_STREAMS];
	unsigned char *raw[MM_HEAP_STREAMS] = { 0 };
	struct mm_delta_layout l = { SUBBUF, 8, false };
	struct mm_heap_dec d = { 0 };
	size_t off = MM_HEAP_CHUNK_HEAD;
	int ret;

	for (int i = 0; i < MM_HEAP_STREAMS; i++) {
		uint32_t rl = mm_le32_load(z + 16 + 4 * i), sl = mm_le32_load(z + 16 + 4 * (MM_HEAP_STREAMS + i));
		raw[i] = mm_malloc(rl + 1);
		if (sl && ZSTD_decompress(raw[i], rl, z + off, sl) != rl)
			return *why = "a stream did not inflate", -1;
		in[i] = (struct mm_heap_piece){ raw[i], rl };
		off += sl;
	}
	ret = mm_heap_decode(&d, &l, in, mm_le32_load(z), z[7], mm_le64_load(z + 8), out, pages, why);
	for (int i = 0; i < MM_HEAP_STREAMS; i++)
		free(raw[i]);
	mm_heap_dec_release(&d);
	return ret;
}

TEST(test_heapcodec_roundtrip)
{
	enum { N = 20000 };
	struct mm_heap_rec *r = mm_calloc(N, sizeof(*r));
	uint32_t n = make_records(r, N), got = 0;
	struct chunk c = { 0 };
	const char *why = NULL;

	encode(r, n, &c);
	CHECK(c.len > 0);
	struct mm_heap_rec *back = mm_calloc(n + 1, sizeof(*back));
	if (decode(&c, back, c.pages, &why) < 0)
		FAILF("decode: %s", why);
	for (; got < n; got++) {
		const struct mm_heap_rec *w = &r[got], *g = &back[got];
		unsigned char data[MM_HEAP_EV_LEN];
		uint64_t v;
		int32_t tid;

		CHECK_EQ(g->op, w->op);
		CHECK_EQ(g->ts, w->ts >> QSHIFT << QSHIFT);
		CHECK_EQ(g->site, w->site);
		CHECK_EQ(g->ptr, w->ptr);
		CHECK_EQ(g->tid, w->tid);
		CHECK_EQ(g->tgid, w->tgid);
		if (!MM_OP_IS_FREE(w->op))
			CHECK_EQ(g->size, w->size);
		if (MM_OP_IS_REALLOC(w->op))
			CHECK_EQ(g->old, w->old);
		/* the event it stands for */
		mm_heap_rec_event(g, 77, false, data);
		CHECK_EQ(data[0] | data[1] << 8, 77);
		CHECK_EQ(data[MM_HEAP_EV_OP], w->op);
		memcpy(&v, data + MM_HEAP_EV_SITE, 8);
		CHECK_EQ(v, w->site);
		memcpy(&v, data + MM_HEAP_EV_PTR, 8);
		CHECK_EQ(v, w->ptr);
		memcpy(&v, data + MM_HEAP_EV_SIZE, 8);
		CHECK_EQ(v, g->size);
		memcpy(&v, data + MM_HEAP_EV_OLD, 8);
		CHECK_EQ(v, g->old);
		memcpy(&tid, data + 4, 4);
		CHECK_EQ(tid, w->tid);
		memcpy(&tid, data + MM_HEAP_EV_TGID, 4);
		CHECK_EQ(tid, w->tgid);
	}
	CHECK_EQ(got, n);
	/* random sizes, sites and threads: still far below the 60-byte event */
	if (c.len >= (size_t)n * 12)
		FAILF("%zu bytes for %u records", c.len, n);
	free(back);
	free(c.buf);
	free(r);
}

TEST(test_heapcodec_hostile)
{
	enum { N = 3000 };
	struct mm_heap_rec *r = mm_calloc(N, sizeof(*r));
	uint32_t n = make_records(r, N);
	struct chunk c = { 0 };
	const char *why = NULL;

	encode(r, n, &c);
	struct mm_heap_rec *pages = mm_calloc(n + 2, sizeof(*pages));
	/* a header that claims one sub-buffer more or fewer */
	CHECK(decode(&c, pages, c.pages + 1, &why) < 0 && why);
	CHECK(decode(&c, pages, c.pages - 1, &why) < 0 && why);
	/* more records than the streams hold */
	mm_le32_store(c.buf, n + 1);
	CHECK(decode(&c, pages, c.pages, &why) < 0 && why);
	mm_le32_store(c.buf, n);
	CHECK(decode(&c, pages, c.pages, &why) == 0);
	free(pages);
	free(c.buf);
	free(r);
}

int main(void)
{
	RUN(test_heapcodec_roundtrip);
	RUN(test_heapcodec_hostile);
	return t_done();
}
