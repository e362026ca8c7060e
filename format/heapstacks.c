/*
 * format/heapstacks.c - HEAP_STACKS sections (layout.h): the call stacks
 * of record --malloc's allocations, each stored once and named by its id
 * in the records' site field.  The writer's side encodes a run of new
 * stacks; the reader's side checks one and appends it to the file's
 * table (reader.h: mm_file_heap_stack).
 *
 * Why a section and not the heap chunk: a chunk's records are decoded in
 * place of the events they stand for, 60 bytes each, and may be read
 * while other chunks are decoded; a stack is 8 addresses and lives for
 * the whole trace.  The sections are read at open, so a record can name
 * a stack whatever order the two reach the file in.
 *
 * Hostile input: the ids must continue the table exactly, every count be
 * 1..MM_HEAP_STACK_DEPTH, the payload be used up exactly, and the table
 * stay within MM_MAX_HEAP_STACKS.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "endian.h"
#include "file.h"
#include "writer.h"

int mm_writer_heap_stacks(struct mm_writer *w, uint32_t first_id, const struct mm_heap_stack *v,
			  uint32_t n)
{
	size_t len = 8, off = 8;
	unsigned char *buf;
	int ret;

	if (!n)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		len += 1 + 8ull * v[i].nr;
	buf = mm_malloc(len);
	mm_le32_store(buf, first_id);
	mm_le32_store(buf + 4, n);
	for (uint32_t i = 0; i < n; i++) {
		buf[off++] = v[i].nr;
		for (unsigned k = 0; k < v[i].nr; k++, off += 8)
			mm_le64_store(buf + off, v[i].pc[k]);
	}
	ret = mm_writer_section(w, MM_SECTION_HEAP_STACKS, NULL, 0, buf, len);
	free(buf);
	return ret;
}

int mm_file_take_heap_stacks(struct mm_file *f, char *buf, size_t len, const char **why)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t off = 8, had = f->nr_heap_stacks;
	uint32_t first, n;

	*why = "heap stacks: shorter than their header";
	if (len < 8)
		goto bad;
	first = mm_le32_load(p);
	n = mm_le32_load(p + 4);
	*why = "heap stacks: ids that do not continue the table";
	if (first != had + 1 || !n)
		goto bad;
	*why = "heap stacks: more than the format allows";
	if (n > MM_MAX_HEAP_STACKS - had || n > len - 8)
		goto bad;
	if (f->cap_heap_stacks < had + n) {
		size_t cap = f->cap_heap_stacks ? f->cap_heap_stacks : 64;
		while (cap < had + n)
			cap *= 2;
		f->heap_stacks = mm_realloc(f->heap_stacks, cap * sizeof(*f->heap_stacks));
		f->cap_heap_stacks = cap;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct mm_heap_stack *s = &f->heap_stacks[had + i];
		*why = "heap stacks: a stack's length is out of range";
		if (off >= len || !p[off] || p[off] > MM_HEAP_STACK_DEPTH ||
		    len - off - 1 < 8ull * p[off])
			goto bad;
		memset(s, 0, sizeof(*s));
		s->nr = p[off++];
		for (unsigned k = 0; k < s->nr; k++, off += 8)
			s->pc[k] = mm_le64_load(p + off);
	}
	*why = "heap stacks: bytes after the last stack";
	if (off != len)
		goto bad;
	f->nr_heap_stacks = had + n;
	free(buf);
	return 0;
bad:
	free(buf);
	return -1;
}

const struct mm_heap_stack *mm_file_heap_stacks(const struct mm_file *f, uint32_t *n)
{
	*n = (uint32_t)f->nr_heap_stacks;
	return f->heap_stacks;
}
