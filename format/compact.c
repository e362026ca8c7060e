/*
 * format/compact.c - a decoded chunk made to cost what it holds.
 *
 * A zstd frame of a few bytes can claim 64 MiB of sub-buffers.  When they
 * are empty (commit 0, no lost-event mark) the walker would find nothing
 * in them, and when they hold events those events must have been coded in
 * the chunk's stored bytes.  So right after a chunk is decoded the stream
 * (stream.c) has it measured here: a chunk whose events take more than
 * MM_MAX_EVENT_RATIO times its stored bytes is refused (real ring data,
 * the most regular the recorder sees, codes at about 35 to 1), and one
 * whose sub-buffers are less than half used is compacted in place to the
 * bytes the walker reads of each (its header, its commit's events and the
 * stored lost-event count), empty ones left out.  A used sub-buffer never
 * moves up (its new place is at most its old one), so memmove in order is
 * safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "file.h"
#include "subbuf.h"

/* Bytes of PAGE the walker reads: 0 for a sub-buffer with no events and
 * no lost-event mark; all of it when its commit is bad (the walker says
 * so when it gets there, after the events before it). */
static uint32_t page_used(const struct mm_file *f, const unsigned char *page)
{
	uint32_t hs = 8 + f->commit_size, room = f->subbuf_size - hs;
	struct mm_subbuf sb;
	long long missed;

	if (mm_subbuf_load(&sb, page, f->subbuf_size, f->commit_size, f->big_endian, &missed) < 0)
		return f->subbuf_size;
	if (!sb.size && !missed)
		return 0;
	return hs + sb.size + (room - sb.size >= (uint32_t)f->commit_size ? f->commit_size : 0);
}

int mm_chunk_compact(const struct mm_file *f, unsigned char *raw, uint32_t nr, uint64_t stored,
		     uint32_t **lens, uint32_t *nr_pages, size_t *used_len, char *why, size_t n)
{
	uint64_t used = 0;
	uint32_t kept = 0, k = 0;
	size_t off = 0;

	for (uint32_t i = 0; i < nr; i++) {
		uint32_t u = page_used(f, raw + (size_t)i * f->subbuf_size);
		used += u;
		kept += u > 0;
	}
	if (used > (uint64_t)MM_MAX_EVENT_RATIO * stored) {
		snprintf(why, n, "%llu bytes of events from %llu stored: more than ring data "
			 "compresses", (unsigned long long)used, (unsigned long long)stored);
		return -1;
	}
	free(*lens);
	*lens = NULL;
	*nr_pages = nr;
	*used_len = (size_t)nr * f->subbuf_size;
	if (used * 2 > *used_len)
		return 0;
	*lens = mm_malloc((kept ? kept : 1) * sizeof(**lens));
	for (uint32_t i = 0; i < nr; i++) {
		unsigned char *page = raw + (size_t)i * f->subbuf_size;
		uint32_t u = page_used(f, page);
		if (!u)
			continue;
		memmove(raw + off, page, u);
		(*lens)[k++] = u;
		off += u;
	}
	*nr_pages = kept;
	*used_len = off;
	return 0;
}
