/*
 * tests/unit/test-holes.c - the bytes no field covers (format/holes.c):
 * which they are for the kernel's own format texts, texts not to trust,
 * and a file written with stale bytes there reads back with them zeroed
 * and every field (and a dynamic string past the fields) as it was.
 *
 * `test-holes FILE` checks a recorded file instead (t-anon.sh): every
 * event's uncovered bytes, found from libtraceevent's parse of the file's
 * own formats (not from holes.c), must be 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>

#include "harness.h"
#include "minifile.h"
#include "format/holes.h"
#include "format/reader.h"
#include "format/subbuf.h"

enum { SUBBUF = 4096, DATA_OFF = 16 };

static char *format_text(const char *rel, size_t *len)
{
	const char *top = getenv("MEMMON_TOP");
	char path[512];

	snprintf(path, sizeof(path), "%s/tests/data/formats/%s", top ? top : ".", rel);
	return mm_read_file(path, len);
}

static unsigned add(struct mm_holes *h, const char *rel)
{
	size_t len;
	char *t = format_text(rel, &len);
	unsigned n;

	if (!t)
		FAILF("no tests/data/formats/%s (MEMMON_TOP?)", rel);
	n = mm_holes_add_format(h, t, len);
	free(t);
	return n;
}

/* The holes of ID as "a-b c-d" (byte ranges, b exclusive): what
 * mm_holes_copy() zeroes in a payload of all ones of MM_HOLES_SPAN bytes. */
static const char *holes_of(const struct mm_holes *h, uint16_t id)
{
	static char out[256];
	unsigned char ones[MM_HOLES_SPAN], got[MM_HOLES_SPAN];
	const uint64_t *mask = mm_holes_of(h, id);
	size_t o = 0;

	out[0] = 0;
	if (!mask)
		return "none";
	memset(ones, 0xff, sizeof(ones));
	mm_holes_copy(mask, got, ones, MM_HOLES_SPAN);
	for (unsigned i = 0; i < MM_HOLES_SPAN; ) {
		unsigned from;
		for (; i < MM_HOLES_SPAN && got[i]; i++)
			;
		for (from = i; i < MM_HOLES_SPAN && !got[i]; i++)
			;
		if (i > from)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u-%u", o ? " " : "", from, i);
	}
	return out;
}

TEST(holes_of_kernel_formats)
{
	static struct mm_holes h;

	/* after the 4-byte __syscall_nr, and after the last field */
	CHECK_EQ(add(&h, "syscalls/sys_enter_brk"), 4 + MM_HOLES_SPAN - 24);
	CHECK_STR(holes_of(&h, 695), "12-16 24-256");
	/* rss_stat: after member (int at 16, size at 24) */
	add(&h, "kmem/rss_stat");
	CHECK_STR(holes_of(&h, 646), "20-24 32-256");
	/* no gap between its fields: only the end */
	add(&h, "exceptions/page_fault_user");
	CHECK_STR(holes_of(&h, 190), "32-256");
	/* a __data_loc string lives past the fields: nothing to zero there */
	CHECK_EQ(add(&h, "sched/sched_process_exec"), 0);
	CHECK_STR(holes_of(&h, 365), "none");
	/* the same ID again changes nothing */
	CHECK_EQ(add(&h, "kmem/rss_stat"), 0);
	CHECK_EQ(h.nr, 3);
	/* a payload not a multiple of 8: its last 4 bytes by the mask too */
	unsigned char src[28], dst[28];
	memset(src, 0xee, sizeof(src));
	mm_holes_copy(mm_holes_of(&h, 695), dst, src, 20);
	CHECK_EQ(dst[11], 0xee);
	CHECK_EQ(dst[12] | dst[15], 0);
	CHECK_EQ(dst[16] & dst[19], 0xee);
}

/* Texts not to trust give no holes, never a wrong one. */
TEST(holes_distrusted)
{
	static struct mm_holes h;
	static const char *bad[] = {
		"name: x\nformat:\n\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n",   /* no ID */
		"ID: 0\n\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n",
		"ID: 70000\n\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n",
		"ID: 12x\n\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n",
		"ID: 13\nformat:\n",                                                 /* no field */
		"ID: 14\n\tfield:int a;\toffset:8;\tsigned:1;\n",                     /* no size */
		"ID: 15\n\tfield:int a;\toffset:-8;\tsize:4;\tsigned:1;\n",
		"ID: 16\n\tfield:int a;\toffset:8;\tsize:999999;\tsigned:1;\n",
		"ID: 17\n\tfield:int a;\toffset:8x;\tsize:4;\tsigned:1;\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mm_holes_add_format(&h, bad[i], strlen(bad[i])))
			FAILF("text %zu gave holes", i);
	CHECK_EQ(h.nr, 0);
	/* a field line too long to read whole: distrusted too */
	char *long_line = malloc(2048);
	int n = snprintf(long_line, 2048, "ID: 18\n\tfield:int %0900d;\toffset:8;\tsize:4;\n", 0);
	CHECK_EQ(mm_holes_add_format(&h, long_line, n), 0);
	free(long_line);
	/* no trailing newline, the text not NUL-terminated past LEN */
	const char *t = "ID: 19\n\tfield:int a;\toffset:0;\tsize:4;\n\tfield:int b;\toffset:8;\tsize:4;XXXX";
	CHECK(mm_holes_add_format(&h, t, strlen(t) - 4) > 0);
	CHECK_STR(holes_of(&h, 19), "4-8 12-256");
	/* fields one byte apart: every other byte a hole */
	char many[4096];
	size_t m = (size_t)snprintf(many, sizeof(many), "ID: 20\n");
	for (int k = 0; k < 12; k++)
		m += (size_t)snprintf(many + m, sizeof(many) - m,
				      "\tfield:char f%d;\toffset:%d;\tsize:1;\n", k, 2 * k);
	CHECK(mm_holes_add_format(&h, many, m) > 0);
	CHECK_STR(holes_of(&h, 20), "1-2 3-4 5-6 7-8 9-10 11-12 13-14 15-16 17-18 19-20 21-22 23-256");
}

/* ---- a file written with stale bytes in the holes ---- */

struct ev { uint16_t type; unsigned char p[64]; uint32_t len; };

static void put_event(unsigned char *page, uint32_t *pos, uint32_t td, const struct ev *e)
{
	uint32_t h = e->len / 4 | td << 5;

	memcpy(page + DATA_OFF + *pos, &h, 4);
	memcpy(page + DATA_OFF + *pos + 4, e->p, e->len);
	*pos += 4 + e->len;
}

static void fill(struct ev *e, uint16_t type, uint32_t len, uint64_t seed)
{
	e->type = type;
	e->len = len;
	for (uint32_t i = 0; i < len; i++)
		e->p[i] = (unsigned char)(seed * 131 + i * 7 + 0xa5);	/* stale everywhere */
	memcpy(e->p, &type, 2);
}

TEST(holes_zeroed_in_file)
{
	char path[] = "/tmp/memmon-holes-XXXXXX";
	int fd = mkstemp(path);
	struct mm_writer *w;
	static struct ev evs[300];
	static unsigned char raw[2 * SUBBUF];
	static const char *fmts[][2] = {
		{ "syscalls", "sys_enter_brk" }, { "kmem", "rss_stat" },
		{ "sched", "sched_process_exec" },
	};
	int nev = 0;

	CHECK(fd >= 0);
	close(fd);
	w = t_minimal_writer(path, "1", NULL);
	for (size_t i = 0; i < 3; i++) {
		size_t len;
		char rel[64], *t;

		snprintf(rel, sizeof(rel), "%s/%s", fmts[i][0], fmts[i][1]);
		t = format_text(rel, &len);
		CHECK(t && mm_writer_event_format(w, fmts[i][0], t, len) == 0);
		free(t);
	}
	for (int pg = 0; pg < 2; pg++) {
		unsigned char *page = raw + pg * SUBBUF;
		uint64_t ts = 1000000 + pg * 1000, commit;
		uint32_t pos = 0;

		memcpy(page, &ts, 8);
		for (int k = 0; k < 100; k++, nev++) {
			struct ev *e = &evs[nev];
			if (k % 3 == 0)
				fill(e, 695, 24, nev);
			else if (k % 3 == 1)
				fill(e, 646, 32, nev);
			else {	/* exec: filename "/bin/x" at 20, its loc at 8 */
				fill(e, 365, 28, nev);
				uint32_t loc = 20 | 7u << 16;
				memcpy(e->p + 8, &loc, 4);
				memcpy(e->p + 20, "/bin/x", 7);
			}
			put_event(page, &pos, 10 + k, e);
		}
		commit = pos;
		memcpy(page + 8, &commit, 8);
	}
	CHECK_EQ(mm_writer_chunk(w, 0, raw, 2, SUBBUF), 0);
	CHECK_EQ(mm_writer_close(w), 0);

	struct mm_file *f = mm_file_open(path);
	CHECK(f);
	struct mm_stream *s = mm_stream_open(f);
	struct tep_record *rec;
	int got = 0;
	while (mm_stream_next(s, &rec) > 0) {
		const struct ev *e = &evs[got];
		unsigned char want[64];

		CHECK(got < nev);
		CHECK((uint32_t)rec->size >= e->len);
		memcpy(want, e->p, e->len);
		if (e->type == 695) {		/* __syscall_nr | hole | brk */
			memset(want + 12, 0, 4);
		} else if (e->type == 646) {	/* mm_id curr member | hole | size */
			memset(want + 20, 0, 4);
		}
		if (memcmp(rec->data, want, e->len))
			FAILF("event %d (type %u) reads back other bytes", got, e->type);
		if (e->type == 695) {	/* and libtraceevent reads the field */
			struct tep_event *te = tep_find_event(mm_file_tep(f), 695);
			unsigned long long v = 0, brk;
			memcpy(&brk, e->p + 16, 8);
			CHECK(te && tep_get_field_val(NULL, te, "brk", rec, &v, 0) == 0);
			CHECK(v == brk);
		}
		got++;
	}
	CHECK_EQ(got, nev);
	mm_stream_close(s);
	mm_file_close(f);
	unlink(path);
}

/* ---- test-holes FILE ---- */

/* The bytes of E no field covers, as libtraceevent parsed its format:
 * covered[i] 0 for a gap; *END past the last field; *DYN with dynamic data. */
static void coverage(struct tep_event *e, unsigned char *covered, unsigned span, unsigned *end,
		     bool *dyn)
{
	struct tep_format_field *lists[2] = { e->format.common_fields, e->format.fields };

	memset(covered, 0, span);
	*end = 0;
	*dyn = false;
	for (int k = 0; k < 2; k++)
		for (struct tep_format_field *fl = lists[k]; fl; fl = fl->next) {
			if ((fl->flags & (TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_RELATIVE)) || !fl->size)
				*dyn = true;
			for (unsigned i = fl->offset; i < (unsigned)(fl->offset + fl->size) && i < span; i++)
				covered[i] = 1;
			if ((unsigned)(fl->offset + fl->size) > *end)
				*end = fl->offset + fl->size;
		}
}

static int check_file(const char *path)
{
	struct mm_file *f = mm_file_open(path);
	struct mm_stream *s;
	struct tep_record *rec;
	unsigned long checked = 0, stale = 0, types = 0;
	static unsigned char seen[65536];

	if (!f) {
		printf("FAIL holes-file: cannot open %s: %s\n", path, mm_error_msg());
		return 1;
	}
	s = mm_stream_open(f);
	while (mm_stream_next(s, &rec) > 0) {
		int type = tep_data_type(mm_file_tep(f), rec);
		struct tep_event *e = tep_find_event(mm_file_tep(f), type);
		unsigned char covered[MM_HOLES_SPAN];
		unsigned end, span = rec->size < MM_HOLES_SPAN ? (unsigned)rec->size : MM_HOLES_SPAN;
		bool dyn, gaps = false, bad = false;

		if (!e || rec->size > MM_HOLES_SPAN)
			continue;
		coverage(e, covered, span, &end, &dyn);
		for (unsigned i = 0; i < span; i++) {
			if (covered[i] || (dyn && i >= end))
				continue;
			gaps = true;
			bad |= ((unsigned char *)rec->data)[i] != 0;
		}
		if (!gaps)
			continue;
		checked++;
		if (!seen[type]) {
			seen[type] = 1;
			types++;
		}
		if (bad && stale++ < 3)
			printf("# %s:%s at %llu: stale bytes in its gaps\n", e->system, e->name,
			       (unsigned long long)rec->ts);
	}
	printf("# %lu events of %lu types with gaps, %lu with stale bytes there\n", checked, types,
	       stale);
	printf("holes-checked=%lu holes-stale=%lu\n", checked, stale);
	mm_stream_close(s);
	mm_file_close(f);
	return stale ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return check_file(argv[1]);
	RUN(holes_of_kernel_formats);
	RUN(holes_distrusted);
	RUN(holes_zeroed_in_file);
	return t_done();
}
