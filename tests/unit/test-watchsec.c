/*
 * tests/unit/test-watchsec.c - WATCH sections (format/watchread.c): what
 * the reader keeps of them (time order, tids, the pause), and the hostile
 * ones it refuses with a message naming the section.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "minifile.h"
#include "memmon.h"
#include "format/reader.h"
#include "format/writer.h"

static char path[128];

/* A file with MACHINE, header_page, then the changes (H[i], tids T[i]). */
static void write_file(const struct mm_watch_header *h, uint32_t *const *t, size_t n,
		       const void *raw, size_t raw_len)
{
	struct mm_writer *w = t_minimal_writer(path, "1", "local");
	for (size_t i = 0; i < n; i++)
		if (mm_writer_section(w, MM_SECTION_WATCH, &h[i], sizeof(h[i]), t[i],
				      4ull * h[i].nr_tids) < 0)
			abort();
	if (raw && mm_writer_section(w, MM_SECTION_WATCH, NULL, 0, raw, raw_len) < 0)
		abort();
	if (mm_writer_close(w) < 0)
		abort();
}

TEST(watch_changes_in_time_order)
{
	uint32_t a[] = { 100, 101 }, b[] = { 200 }, c[] = { 100, 101, 102 };
	uint32_t *t[] = { a, b, c };
	const struct mm_watch_header h[] = {
		{ .ts = 5000, .pid = 100, .op = MM_WATCH_JOIN, .reason = MM_WATCH_BY_START, .nr_tids = 2 },
		{ .ts = 9000, .pid = 200, .op = MM_WATCH_JOIN, .reason = MM_WATCH_BY_WATCH, .nr_tids = 1,
		  .pause_us = 38000 },
		{ .ts = 7000, .pid = 100, .op = MM_WATCH_LEAVE, .reason = MM_WATCH_BY_WATCH, .nr_tids = 3 },
	};
	write_file(h, t, 3, NULL, 0);
	struct mm_file *f = mm_file_open(path);
	CHECK(f);
	CHECK_EQ(mm_file_nr_watch(f), 3);
	const struct mm_watch_change *x = mm_file_watch(f, 1);
	CHECK_EQ(mm_file_watch(f, 0)->ts, 5000);
	CHECK_EQ(x->ts, 7000);
	CHECK_EQ(x->op, MM_WATCH_LEAVE);
	CHECK_EQ(x->nr_tids, 3);
	CHECK_EQ(x->tids[2], 102);
	CHECK_EQ(mm_file_watch(f, 2)->pid, 200);
	CHECK_EQ(mm_file_watch(f, 2)->pause_us, 38000);
	CHECK(mm_file_watch(f, 3) == NULL);
	mm_file_close(f);
}

/* ONE section's payload RAW: refused, saying WHY. */
static void refused(const void *raw, size_t len, const char *why)
{
	char want[512];
	write_file(NULL, NULL, 0, raw, len);
	CHECK(mm_file_open(path) == NULL);
	/* MACHINE and header_page come first; the message names the offset */
	snprintf(want, sizeof(want), "(%s)", why);
	if (!strstr(mm_error_msg(), want) || !strstr(mm_error_msg(), "corrupt section at offset"))
		FAILF("message '%s', expected one ending in '%s'", mm_error_msg(), want);
}

TEST(watch_hostile)
{
	struct { struct mm_watch_header h; uint32_t t[2]; } __attribute__((packed)) r = {
		{ .ts = 1, .pid = 5, .op = MM_WATCH_JOIN, .reason = MM_WATCH_BY_WATCH, .nr_tids = 2 },
		{ 5, 6 },
	};
	refused(&r, sizeof(r.h) - 1, "watch change shorter than its header");
	r.h.nr_tids = 3;
	refused(&r, sizeof(r), "watch change length does not match its tids");
	r.h.nr_tids = 0xffffffffu;
	refused(&r, sizeof(r), "watch change length does not match its tids");
	r.h.nr_tids = 2;
	r.h.op = 3;
	refused(&r, sizeof(r), "unknown watch change");
	r.h.op = MM_WATCH_LEAVE;
	r.h.reason = 9;
	refused(&r, sizeof(r), "unknown watch change");
	r.h.reason = MM_WATCH_BY_START;
	r.h.pid = 0;
	refused(&r, sizeof(r), "unknown watch change");
	r.h.pid = 5;
	write_file(NULL, NULL, 0, &r, sizeof(r));
	struct mm_file *f = mm_file_open(path);
	CHECK(f);
	CHECK_EQ(mm_file_nr_watch(f), 1);
	mm_file_close(f);
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/memmon-test-watchsec.%d.dat", (int)getpid());
	RUN(watch_changes_in_time_order);
	RUN(watch_hostile);
	unlink(path);
	return t_failed_total ? 1 : 0;
}
