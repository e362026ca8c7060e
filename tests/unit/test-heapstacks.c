/*
 * tests/unit/test-heapstacks.c - HEAP_STACKS sections (format/heapstacks.c):
 * the stacks of record --malloc's allocations as the writer stores them
 * and the reader gives them back (ids continuing over sections), and the
 * hostile ones the reader refuses with a message naming the section.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "minifile.h"
#include "memmon.h"
#include "format/endian.h"
#include "format/reader.h"
#include "format/writer.h"

static char path[128];

/* A file with MACHINE, header_page, then sections of stacks: the I-th
 * holds N[I] of V from ids FIRST[I]; RAW (if any) one more, as it is. */
static void write_file(const struct mm_heap_stack *v, const uint32_t *first, const uint32_t *n,
		       size_t nr, const void *raw, size_t raw_len)
{
	struct mm_writer *w = t_minimal_writer(path, "1", "local");
	size_t used = 0;

	for (size_t i = 0; i < nr; used += n[i++])
		if (mm_writer_heap_stacks(w, first[i], v + used, n[i]) < 0)
			abort();
	if (raw && mm_writer_section(w, MM_SECTION_HEAP_STACKS, NULL, 0, raw, raw_len) < 0)
		abort();
	if (mm_writer_close(w) < 0)
		abort();
}

TEST(stacks_kept_by_id_over_sections)
{
	struct mm_heap_stack v[3] = {
		{ .nr = 3, .pc = { 0x401234, 0x401300, 0x401400 } },
		{ .nr = 1, .pc = { 0x7f0000001000 } },
		{ .nr = 8, .pc = { 1, 2, 3, 4, 5, 6, 7, 0xffffffffffffull } },
	};
	uint32_t first[] = { 1, 3 }, n[] = { 2, 1 }, got;
	write_file(v, first, n, 2, NULL, 0);
	struct mm_file *f = mm_file_open(path);
	CHECK(f);
	if (!f)
		return;
	const struct mm_heap_stack *s = mm_file_heap_stacks(f, &got);
	CHECK_EQ(got, 3);
	CHECK_EQ(s[0].nr, 3);
	CHECK_EQ(s[0].pc[2], 0x401400);
	CHECK_EQ(s[1].nr, 1);
	CHECK_EQ(s[1].pc[0], 0x7f0000001000ull);
	CHECK_EQ(s[2].nr, 8);
	CHECK_EQ(s[2].pc[7], 0xffffffffffffull);
	mm_file_close(f);
}

/* One section's payload RAW: refused, saying WHY. */
static void refused(const void *raw, size_t len, const char *why)
{
	char want[512];
	write_file(NULL, NULL, NULL, 0, raw, len);
	CHECK(mm_file_open(path) == NULL);
	snprintf(want, sizeof(want), "(%s)", why);
	if (!strstr(mm_error_msg(), want) || !strstr(mm_error_msg(), "corrupt section at offset"))
		FAILF("message '%s', expected one ending in '%s'", mm_error_msg(), want);
}

TEST(stacks_hostile)
{
	unsigned char b[8 + 2 * (1 + 8 * 8) + 8];
	memset(b, 0, sizeof(b));
	mm_le32_store(b, 1);
	mm_le32_store(b + 4, 2);
	b[8] = 1;                          /* stack 1: one frame */
	b[8 + 9] = 2;                      /* stack 2: two frames */
	size_t good = 8 + 9 + 17;
	refused(b, 7, "heap stacks: shorter than their header");
	mm_le32_store(b, 2);
	refused(b, good, "heap stacks: ids that do not continue the table");
	mm_le32_store(b, 1);
	mm_le32_store(b + 4, 0);
	refused(b, good, "heap stacks: ids that do not continue the table");
	mm_le32_store(b + 4, 0xffffffffu);
	refused(b, good, "heap stacks: more than the format allows");
	mm_le32_store(b + 4, 3);
	refused(b, good, "heap stacks: a stack's length is out of range");
	mm_le32_store(b + 4, 2);
	b[8] = 0;
	refused(b, good, "heap stacks: a stack's length is out of range");
	b[8] = 9;
	refused(b, good, "heap stacks: a stack's length is out of range");
	b[8] = 1;
	refused(b, good - 1, "heap stacks: a stack's length is out of range");
	refused(b, good + 1, "heap stacks: bytes after the last stack");
	write_file(NULL, NULL, NULL, 0, b, good);
	struct mm_file *f = mm_file_open(path);
	uint32_t got = 0;
	CHECK(f);
	if (f) {
		mm_file_heap_stacks(f, &got);
		CHECK_EQ(got, 2);
		mm_file_close(f);
	}
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/memmon-test-heapstacks.%d.dat", (int)getpid());
	RUN(stacks_kept_by_id_over_sections);
	RUN(stacks_hostile);
	unlink(path);
	return t_failed_total ? 1 : 0;
}
