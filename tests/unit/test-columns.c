/*
 * tests/unit/test-columns.c - the columns chunk codec (format/columns.c):
 * split then merge gives every sub-buffer back byte for byte, whatever it
 * holds (real-shaped events, more types than sections, random bytes, both
 * byte orders), and merge survives hostile streams.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "format/columns.h"
#include "format/subbuf.h"

enum { SUBBUF = 4096, DATA_OFF = 16 };


/* The streams of C as the reader has them: PAY's sections in one buffer. */
struct streams {
	struct mm_col_piece in[MM_COL_NR];
	unsigned char *pay;
};

static void collect(const struct mm_columns *c, struct streams *st)
{
	static struct mm_col_piece p[MM_COL_MAX_TYPES];
	size_t total = 0, n;

	for (int i = 0; i < MM_COL_NR; i++) {
		n = mm_columns_pieces(c, i, p);
		if (i != MM_COL_PAY) {
			st->in[i] = p[0];
			continue;
		}
		for (size_t k = 0; k < n; k++)
			total += p[k].len;
		st->pay = malloc(total + 1);
		total = 0;
		for (size_t k = 0; k < n; k++) {
			memcpy(st->pay + total, p[k].p, p[k].len);
			total += p[k].len;
		}
		st->in[i] = (struct mm_col_piece){ st->pay, total };
	}
}

/* Split BUF (NR sub-buffers, layout L), merge into a buffer of exactly
 * its size, compare.  Returns the merge's result. */
static int round_trip(const struct mm_delta_layout *l, const unsigned char *buf, uint32_t nr,
		      struct mm_columns *c, struct streams *st)
{
	static struct mm_col_typemap map;
	size_t size = (size_t)nr * l->subbuf_size;
	unsigned char *out = malloc(size);
	const char *why = NULL;
	int r;

	mm_columns_split(c, NULL, l, buf, nr);
	collect(c, st);
	r = mm_columns_merge(&map, l, st->in, out, nr, &why);
	if (r == 0 && memcmp(out, buf, size))
		r = 1;
	if (r < 0)
		printf("# merge: %s\n", why ? why : "?");
	free(out);
	return r;
}

static void put32(unsigned char *page, uint32_t *pos, uint32_t v)
{
	memcpy(page + DATA_OFF + *pos, &v, 4);
	*pos += 4;
}

/* One page of real-shaped events: page faults of 3 types, a long (type 0)
 * event, payloads over the codec's maximum, a padding, a time extend, and
 * a lost-events count stored after the data. */
static void real_page(unsigned char *page, int i, int types)
{
	uint32_t pos = 0;
	uint64_t ts = 1000 + i * 100000ull, commit;

	memset(page, 0, SUBBUF);
	memcpy(page, &ts, 8);
	for (int k = 0; k < 40; k++) {
		unsigned char p[300] = { 0 };
		uint16_t type = 10 + (k % types);
		uint64_t addr = 0x7f0000000000ull + (i * 40 + k) * 4096;
		uint32_t len = k % 7 == 0 ? 4 : k % 11 == 0 ? 300 : k % 13 == 0 ? 140 : 36;

		memcpy(p, &type, 2);
		memcpy(p + 8, &addr, 8);
		p[200] = k;
		if (k == 20) {	/* padding: header, length word, 8 bytes of body */
			put32(page, &pos, 29 | 3 << 5);
			put32(page, &pos, 12);
			memset(page + DATA_OFF + pos, 0xab, 8);
			pos += 8;
		}
		if (k == 30) {	/* time extend */
			put32(page, &pos, 30 | 5 << 5);
			put32(page, &pos, 2);
		}
		if (len <= 112) {
			put32(page, &pos, len / 4 | (uint32_t)(k * 77 % 4000) << 5);
		} else {
			put32(page, &pos, (uint32_t)(k * 77) << 5);
			put32(page, &pos, len + 4);
		}
		memcpy(page + DATA_OFF + pos, p, len);
		pos += len;
	}
	commit = pos | MM_SUBBUF_MISSED | MM_SUBBUF_MISSED_STORED;
	uint64_t missed = 17;
	memcpy(page + DATA_OFF + pos, &missed, 8);
	memcpy(page + 8, &commit, 8);
}

TEST(test_columns_real_pages)
{
	enum { NR = 8 };
	static struct mm_columns c;
	struct streams st = { 0 };
	struct mm_delta_layout l = { SUBBUF, 8, false };
	unsigned char *buf = malloc(NR * SUBBUF);

	for (int i = 0; i < NR; i++)
		real_page(buf + i * SUBBUF, i, 3);
	CHECK_EQ(round_trip(&l, buf, NR, &c, &st), 0);
	/* the streams are what columns.h says: one TYPE byte per header
	 * (40 events + padding + time extend), one KIND per typed payload, a
	 * PAY section per type */
	CHECK_EQ(st.in[MM_COL_TYPE].len, NR * 42);
	CHECK_EQ(st.in[MM_COL_TD3].len, NR * 42);
	CHECK_EQ(st.in[MM_COL_HEAD].len, NR * 16);
	CHECK_EQ(st.in[MM_COL_TYPES].len, 3 * 8);
	int typed = 0;
	for (int k = 0; k < 40; k++)
		typed += !(k % 11 == 0 && k % 7 != 0);
	CHECK_EQ(st.in[MM_COL_KIND].len, NR * typed * 2);
	free(st.pay);
	free(buf);
	mm_columns_release(&c);
}

/* More types than sections: the rest go to PAGE, and come back. */
TEST(test_columns_many_types)
{
	enum { NR = 8 };
	static struct mm_columns c;
	struct streams st = { 0 };
	struct mm_delta_layout l = { SUBBUF, 8, false };
	unsigned char *buf = malloc(NR * SUBBUF);

	for (int i = 0; i < NR; i++) {
		real_page(buf + i * SUBBUF, i, 1);
		/* renumber: each event of each page its own type */
		struct mm_subbuf sb;
		const unsigned char *d;
		uint32_t len;
		uint64_t ts;
		long long missed;
		uint16_t t = 100 + i * 40;
		CHECK_EQ(mm_subbuf_load(&sb, buf + i * SUBBUF, SUBBUF, 8, false, &missed), 0);
		while (mm_subbuf_next(&sb, &d, &len, &ts) > 0) {
			memcpy((unsigned char *)d, &t, 2);
			t++;
		}
	}
	CHECK_EQ(round_trip(&l, buf, NR, &c, &st), 0);
	CHECK_EQ(st.in[MM_COL_TYPES].len, MM_COL_MAX_TYPES * 8);
	free(st.pay);
	free(buf);
	mm_columns_release(&c);
}

/* Anything the kernel could hand over comes back as it was: random bytes
 * under plausible, stray and oversized commits, both byte orders, both
 * commit sizes, several sub-buffer sizes. */
TEST(test_columns_random_pages)
{
	static struct mm_columns c;

	for (int iter = 0; iter < 3000; iter++) {
		uint32_t sz = iter % 3 == 0 ? 256 : iter % 3 == 1 ? 512 : 4096, nr = 1 + t_rng() % 4;
		struct mm_delta_layout l = { sz, iter % 2 ? 8 : 4, iter % 5 == 0 };
		unsigned char *buf = malloc((size_t)nr * sz);
		struct streams st = { 0 };

		for (size_t i = 0; i < (size_t)nr * sz; i++)
			buf[i] = iter % 4 == 0 ? t_rng() % 4 : t_rng();	/* some mostly-zero */
		for (uint32_t i = 0; i < nr; i++) {
			uint64_t commit = t_rng() % (iter % 7 ? sz - 8 - l.commit_size + 1 : 1u << 28);
			if (t_rng() % 4 == 0)
				commit |= MM_SUBBUF_MISSED | (t_rng() % 2 ? MM_SUBBUF_MISSED_STORED : 0);
			if (l.big)
				commit = l.commit_size == 8 ? __builtin_bswap64(commit)
							    : __builtin_bswap32(commit);
			memcpy(buf + (size_t)i * sz + 8, &commit, l.commit_size);
			if (t_rng() % 3 == 0)	/* a zero tail after the commit */
				memset(buf + (size_t)i * sz + sz / 2, 0, sz / 2);
		}
		int r = round_trip(&l, buf, nr, &c, &st);
		free(st.pay);
		free(buf);
		if (r)
			FAILF("iteration %d (subbuf %u, commit %d, big %d): %s", iter, sz,
			      l.commit_size, l.big, r > 0 ? "bytes differ" : "merge failed");
	}
	mm_columns_release(&c);
}

/* True if the streams of A and B are byte for byte the same. */
static bool same_streams(const struct mm_columns *a, const struct mm_columns *b)
{
	static struct mm_col_piece pa[MM_COL_MAX_TYPES], pb[MM_COL_MAX_TYPES];

	for (int i = 0; i < MM_COL_NR; i++) {
		size_t na = mm_columns_pieces(a, i, pa), nb = mm_columns_pieces(b, i, pb);
		if (na != nb)
			return false;
		for (size_t k = 0; k < na; k++)
			if (pa[k].len != pb[k].len || (pa[k].len && memcmp(pa[k].p, pb[k].p, pa[k].len)))
				return false;
	}
	return true;
}

/* record's one-pass encoder (split with the delta state) writes exactly the
 * streams of the two passes it replaced (mm_delta_encode, then split), and
 * leaves its input as it was.  CASE 0: real-shaped pages; 1: those with a
 * padding shorter than its length word before more events (the delta
 * walker steps over it, the split stops: the tail must still be coded);
 * 2: random bytes. */
static bool one_pass_equals_two(int kase, int iter)
{
	static struct mm_columns one, two;
	static struct mm_delta d1, d2;
	uint32_t sz = kase == 2 ? (iter % 2 ? 512 : 4096) : SUBBUF, nr = 1 + iter % 5;
	struct mm_delta_layout l = { sz, kase == 2 && iter % 3 ? 4 : 8, kase == 2 && iter % 4 == 0 };
	size_t size = (size_t)nr * sz;
	unsigned char *buf = malloc(size), *coded = malloc(size);
	bool ok;

	for (uint32_t i = 0; i < nr; i++) {
		unsigned char *page = buf + (size_t)i * sz;
		if (kase == 2) {
			for (uint32_t k = 0; k < sz; k++)
				page[k] = iter % 3 == 0 ? t_rng() % 4 : t_rng();
			uint64_t commit = t_rng() % (sz - 8 - l.commit_size + 1);
			if (l.big)
				commit = l.commit_size == 8 ? __builtin_bswap64(commit)
							    : __builtin_bswap32(commit);
			memcpy(page + 8, &commit, l.commit_size);
			continue;
		}
		real_page(page, i + iter, 1 + iter % 4);
		if (kase == 1) {
			/* event 20's padding (td 3) says 0 bytes, and its body
			 * starts with 8: the delta walker goes on with a type-0
			 * event of 4 bytes there, and on over the rest */
			uint32_t h = 29 | 3 << 5, zero = 0, eight = 8, pos = 0;
			for (; pos + 12 < sz - DATA_OFF; pos += 4)
				if (!memcmp(page + DATA_OFF + pos, &h, 4))
					break;
			memcpy(page + DATA_OFF + pos + 4, &zero, 4);
			memcpy(page + DATA_OFF + pos + 8, &eight, 4);
		}
	}
	memcpy(coded, buf, size);
	mm_delta_encode(&d2, &l, coded, nr);
	mm_columns_split(&two, NULL, &l, coded, nr);
	memcpy(coded, buf, size);
	mm_columns_split(&one, &d1, &l, coded, nr);
	ok = same_streams(&one, &two) && !memcmp(coded, buf, size);
	free(buf);
	free(coded);
	return ok;
}

TEST(test_columns_one_pass)
{
	static const char *what[] = { "real-shaped", "short padding", "random" };

	for (int kase = 0; kase < 3; kase++)
		for (int iter = 0; iter < (kase == 2 ? 2000 : 50); iter++)
			if (!one_pass_equals_two(kase, iter)) {
				FAILF("%s pages, iteration %d: the one-pass streams differ", what[kase],
				      iter);
				return;
			}
}

/* Hostile streams: cut short, grown, or with bytes flipped; merge into a
 * buffer of exactly the chunk's size returns 0 or -1, never reads or
 * writes outside (ASan), and a stream cut short is always an error. */
TEST(test_columns_hostile)
{
	enum { NR = 4 };
	static struct mm_columns c;
	static struct mm_col_typemap map;
	struct streams st = { 0 };
	struct mm_delta_layout l = { SUBBUF, 8, false };
	unsigned char *buf = malloc(NR * SUBBUF);
	int errors = 0;

	for (int i = 0; i < NR; i++)
		real_page(buf + i * SUBBUF, i, 3);
	CHECK_EQ(round_trip(&l, buf, NR, &c, &st), 0);
	for (int iter = 0; iter < 4000; iter++) {
		struct mm_col_piece in[MM_COL_NR];
		unsigned char *copies[MM_COL_NR];
		unsigned char *out = malloc(NR * SUBBUF);
		const char *why = NULL;
		int victim = iter % MM_COL_NR, how = iter / MM_COL_NR % 3;

		for (int i = 0; i < MM_COL_NR; i++) {
			size_t len = st.in[i].len + (i == victim && how == 1 ? 1 + t_rng() % 9 : 0);
			copies[i] = malloc(len ? len : 1);
			memset(copies[i], (int)t_rng(), len);
			memcpy(copies[i], st.in[i].p, st.in[i].len);
			in[i] = (struct mm_col_piece){ copies[i], len };
		}
		if (how == 0 && in[victim].len)		/* cut short */
			in[victim].len = t_rng() % in[victim].len;
		if (how == 2)				/* flipped bytes */
			for (int k = 0; k < 3 && in[victim].len; k++)
				copies[victim][t_rng() % in[victim].len] ^= 1 << t_rng() % 8;
		int r = mm_columns_merge(&map, &l, in, out, NR, &why);
		CHECK(r == 0 || r == -1);
		CHECK(r == 0 || why);
		if (how == 1 || (how == 0 && st.in[victim].len))
			CHECK_EQ(r, -1);	/* every byte of every stream is used */
		errors += r < 0;
		for (int i = 0; i < MM_COL_NR; i++)
			free(copies[i]);
		free(out);
	}
	CHECK(errors > 0);
	free(st.pay);
	free(buf);
	mm_columns_release(&c);
}

int main(void)
{
	RUN(test_columns_real_pages);
	RUN(test_columns_many_types);
	RUN(test_columns_random_pages);
	RUN(test_columns_one_pass);
	RUN(test_columns_hostile);
	return t_done();
}
