/*
 * format/tracecmd-pages.c - the ring pages of a trace-cmd file, checked
 * before anything parses them: the CPU data at the open
 * (mm_tc_check_cpu, from tracecmd-check.c's walk) and each page as the
 * ring reader reaches it (mm_tc_page_check, from tracecmd-ring.c).
 *
 * libtraceevent's kbuffer, which libtracecmd hands each page to, trusts
 * it: it reads the lost-events count at the offset the commit word says,
 * and walks the events by the lengths in their headers before anyone
 * checks the commit against the page, with 32-bit arithmetic that lets
 * a padding or data length send the walk backwards (a loop that never
 * ends) or past the page (reads of memory that is not the page's).
 * libtracecmd parses one page of each CPU at the open (its first); every
 * later page is read by memmon's own ring reader, which walks it with
 * subbuf.h.  Either way a page is refused unless every read of kbuffer's
 * walk of it stays inside its commit: the commit inside the page, each
 * event header, time extend, padding and data length inside the commit,
 * lengths aligned as the kernel writes them.  A walk advances at least 4
 * bytes a step, so a page costs at most page size / 4 steps.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "file.h"
#include "layout.h"
#include "subbuf.h"
#include <zstd.h>
#include "tracecmd-walk.h"

enum { TYPE_DATA = 0, TYPE_PADDING = 29, TYPE_TIME_EXTEND = 30 };

/* The layout is subbuf.h's; its walker is not what checks the events
 * because it reads as memmon's stream does (a padding with no time delta
 * ends the page), while kbuffer goes on past every padding by its
 * length, so each one must be checked. */
const char *mm_tc_page_check(const unsigned char *p, uint64_t avail, int long_size, bool big,
			     uint64_t *at)
{
	uint64_t hdr = 8 + (uint64_t)long_size, flags;
	struct mm_subbuf sb;
	long long missed;

	*at = 0;
	if (avail < hdr)
		return "a page shorter than its header";
	*at = 8;
	if (mm_subbuf_load(&sb, p, (uint32_t)avail, long_size, big, &missed) < 0)
		return "a commit length past the page";
	flags = mm_subbuf_long(&sb, p + 8, long_size);
	if ((flags & MM_SUBBUF_MISSED) && (flags & MM_SUBBUF_MISSED_STORED) &&
	    (uint64_t)long_size > avail - hdr - sb.size)
		return "a lost-events count past the page";
	for (uint64_t curr = 0, size = sb.size; curr < size;) {
		uint32_t word;
		unsigned type;
		uint64_t a0 = 0, next;

		*at = hdr + curr;
		if (size - curr < 4)
			return "an event header cut by the commit";
		word = mm_subbuf_u32(&sb, sb.data + curr);
		type = big ? word >> 27 : word & 31;
		if (type == TYPE_PADDING || type == TYPE_DATA || type >= TYPE_TIME_EXTEND) {
			if (size - curr < 8)
				return "an event's length or time extend cut by the commit";
			a0 = mm_subbuf_u32(&sb, sb.data + curr + 4);
		}
		if (type == TYPE_PADDING)
			next = curr + 4 + a0;
		else if (type >= TYPE_TIME_EXTEND)
			next = curr + 8;
		else if (type == TYPE_DATA && a0 < 4)
			return "an event length shorter than its own field";
		else if (type == TYPE_DATA)
			next = curr + 8 + ((a0 - 4 + 3) & ~3ull);
		else
			next = curr + 4 + 4ull * type;
		if (a0 & 3 && type == TYPE_PADDING)
			return "a padding length the kernel does not write (not a multiple of 4)";
		if (next > size)
			return type == TYPE_PADDING ? "padding past the commit" :
			       "an event past the commit";
		curr = next;
	}
	return NULL;
}

int mm_tc_page_error(const char *path, const struct mm_tc_layout *l, const struct mm_tc_src *c,
		     uint64_t off, uint64_t chunk_at, uint64_t at, const char *why)
{
	const char *buffer = c->buf < l->nr_bufs ? l->buffers[c->buf] : "";
	char where[80] = "";

	if (chunk_at != UINT64_MAX)
		snprintf(where, sizeof(where), ", at byte %" PRIu64 " of the compressed chunk there",
			 chunk_at);
	return mm_error("'%s': corrupt trace-cmd file at offset %" PRIu64 " (CPU %" PRIu64
			"'s ring page%s%s%s%s, byte %" PRIu64 " of the page: %s)", path, off, c->cpu,
			*buffer ? " in buffer '" : "", buffer, *buffer ? "'" : "", where, at, why);
}

/* The first page of an uncompressed CPU, the one libtracecmd parses at
 * its open. */
static int plain_first(struct walk *w, const struct mm_tc_src *c)
{
	uint64_t avail = c->len < w->page ? c->len : w->page, at;
	unsigned char *page = mm_malloc(w->page);
	const char *why;
	int r = 0;

	if (c->off % w->page)
		r = mm_tc_page_error(w->f->path, w->lay, c, c->off, UINT64_MAX, 0,
				     "ring data not on a page boundary");
	else if (mm_file_pread(w->f, page, avail, c->off) < 0)
		r = -1;
	else if ((why = mm_tc_page_check(page, avail, w->long_size, w->big, &at)))
		r = mm_tc_page_error(w->f->path, w->lay, c, c->off + at, UINT64_MAX, at, why);
	free(page);
	return r;
}

/* A compressed CPU's chunk table: every chunk inside the data and within
 * memmon's limits; the first one decompressed (libtracecmd does at its
 * open, and its error path there crashes) and its first page checked. */
static int chunks_first(struct walk *w, const struct mm_tc_src *c)
{
	uint64_t n;

	w->off = c->off;
	if (mm_tcw_get_u(w, 4, &n) < 0)
		return -1;
	if (n > (c->end - w->off) / 8)
		return mm_tcw_bad(w, "more compressed chunks than the data holds");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t zlen, len, zoff = w->off;

		if (mm_tcw_get_u(w, 4, &zlen) < 0 || mm_tcw_get_u(w, 4, &len) < 0)
			return -1;
		if (mm_tc_chunk_fits(zlen, len, c->end - w->off) < 0)
			return mm_tcw_bad(w, "a compressed chunk larger than its data or memmon's limit");
		if (!i) {
			unsigned char *z = mm_malloc(zlen + 1), *raw = mm_malloc(len + 1);
			const char *why = NULL;
			uint64_t at;
			int r = mm_tcw_get(w, z, zlen);

			if (!r && mm_tc_inflate(NULL, raw, len, z, zlen) < 0) {
				w->off = zoff;
				r = mm_tcw_bad(w, "a compressed chunk that does not decompress to its size");
			} else if (!r && (why = mm_tc_page_check(raw, len < w->page ? len : w->page,
								 w->long_size, w->big, &at))) {
				r = mm_tc_page_error(w->f->path, w->lay, c, zoff, 0, at, why);
			}
			free(z);
			free(raw);
			if (r < 0)
				return -1;
			w->off = zoff + 8;
		}
		w->off += zlen;
	}
	return 0;
}

int mm_tc_inflate(ZSTD_DCtx *dctx, void *dst, uint64_t len, const void *z, uint64_t zlen)
{
	/* trace-cmd's frames do not state their size (zframe.c wants it):
	 * the output must be exactly LEN, and zstd writes no more than that */
	size_t r = dctx ? ZSTD_decompressDCtx(dctx, dst, len, z, zlen) : ZSTD_decompress(dst, len, z, zlen);

	return ZSTD_isError(r) || r != len ? -1 : 0;
}

int mm_tc_chunk_fits(uint64_t zlen, uint64_t len, uint64_t room)
{
	/* a chunk decodes to at most MM_MAX_EVENT_RATIO times its bytes, as
	 * memmon's own chunks (stream.c): a few bytes of zstd can claim 64
	 * MiB, libtracecmd allocates what they claim */
	return zlen > room || len > MM_MAX_CHUNK_RAW || len > (zlen + 64) * MM_MAX_EVENT_RATIO ?
	       -1 : 0;
}

int mm_tc_check_cpu(struct walk *w, const struct mm_tc_src *c)
{
	struct mm_tc_layout *l = w->lay;

	if (!c->len)
		return 0;        /* libtracecmd reads no page of an empty CPU */
	if ((c->compressed ? chunks_first(w, c) : plain_first(w, c)) < 0)
		return -1;
	MM_GROW(l->src, l->nr_src, l->cap_src, 16);
	l->src[l->nr_src++] = *c;
	return 0;
}

void mm_tc_layout_free(struct mm_tc_layout *l)
{
	for (uint32_t i = 0; i < l->nr_bufs; i++)
		free(l->buffers[i]);
	free(l->buffers);
	free(l->clocks);
	free(l->src);
	memset(l, 0, sizeof(*l));
}
