/*
 * format/tracecmd-ring.c - the records of a trace-cmd file, read by
 * memmon from the ring pages that libtracecmd found at the open.
 *
 * libtracecmd opens the file (headers, formats, options, the first page
 * of each CPU); reading the rest through it is what this replaces:
 * libtracecmd 3.1.6 keeps every compressed chunk it decompresses until
 * the file is closed (its free_zpage compares a page's address the wrong
 * way round and never finds the chunk), so a report of a 24 MB file held
 * its 190 MB of ring data, and it finds each page's chunk in a list of
 * all the chunks read so far, a cost that grows with the square of the
 * file.  Here each CPU holds one page, or one chunk decompressed, at a
 * time, within a budget for all of them (MAX_HELD); each page is checked
 * (tracecmd-pages.c) just before it is walked, with subbuf.h's bounded
 * walker, and a bad one ends the stream with a message naming its CPU
 * and offset.
 *
 * The records come as libtracecmd would give them: every CPU of every
 * buffer (the top one, then the instances in file order) merged by time,
 * ties to the earlier CPU; the time stamps converted as its
 * timestamp_calc does (TSC2NSEC's mult and shift, then the DATE and
 * OFFSET options' offset); the lost-events count of a page on its first
 * record.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <event-parse.h>

#include "memmon.h"
#include "file.h"
#include "subbuf.h"
#include "tracecmd.h"
#include "tracecmd-walk.h"

#define MAX_HELD (256u << 20)    /* decompressed chunks held by all CPUs at once */

struct ring {                    /* one CPU of one buffer */
	const struct mm_tc_src *src;
	struct mm_tc_clock clock;
	unsigned char *page;     /* uncompressed: the page read */
	unsigned char *raw;      /* compressed: the chunk decompressed */
	size_t raw_cap;
	uint64_t raw_len, raw_pos;   /* its bytes, the next page's offset in it */
	uint64_t raw_off;        /* its header's file offset */
	uint64_t next;           /* the next page's (or chunk header's) file offset */
	uint64_t page_off;       /* the page being walked, for the record */
	uint64_t chunks_left;
	bool started, in_page;
	struct mm_subbuf sb;
	long long pending_missed;
	struct tep_record rec;
};

struct mm_tc_stream {
	struct mm_file *f;
	const struct mm_tc_layout *lay;
	struct ring *r;
	size_t nr;
	struct mm_merge merge;
	unsigned char *z;        /* the compressed chunk being read */
	size_t zcap;
	ZSTD_DCtx *dctx;
	uint64_t held;           /* raw_cap of all rings */
	int last;                /* the ring handed out last, -1 before */
	bool primed, failed;
	uint64_t missed, missed_marks;
};

static uint64_t num(const struct mm_tc_layout *l, const unsigned char *p, int bytes)
{
	uint64_t r = 0;

	for (int i = 0; i < bytes; i++)
		r |= (uint64_t)p[l->big ? bytes - 1 - i : i] << (8 * i);
	return r;
}

static int ring_error(const struct mm_tc_stream *s, const struct ring *r, const char *why)
{
	const char *buffer = s->lay->buffers[r->src->buf];

	return mm_error("'%s': corrupt trace-cmd file at offset %llu (CPU %llu's ring data%s%s%s: "
			"%s)", s->f->path, (unsigned long long)r->next, (unsigned long long)r->src->cpu,
			*buffer ? " in buffer '" : "", buffer, *buffer ? "'" : "", why);
}

/* The next chunk of a compressed ring decompressed into R->raw: 1, 0
 * after its last, -1. */
static int next_chunk(struct mm_tc_stream *s, struct ring *r)
{
	const struct mm_tc_src *c = r->src;
	unsigned char h[8];
	uint64_t zlen, len;

	if (!r->started) {
		r->started = true;
		if (mm_file_pread(s->f, h, 4, c->off) < 0)
			return -1;
		r->chunks_left = num(s->lay, h, 4);
		r->next = c->off + 4;
	}
	if (!r->chunks_left)
		return 0;
	if (r->next > c->end || c->end - r->next < 8)
		return ring_error(s, r, "a compressed chunk past its data");
	if (mm_file_pread(s->f, h, 8, r->next) < 0)
		return -1;
	zlen = num(s->lay, h, 4);
	len = num(s->lay, h + 4, 4);
	if (mm_tc_chunk_fits(zlen, len, c->end - r->next - 8) < 0)
		return ring_error(s, r, "a compressed chunk larger than its data or memmon's limit");
	if (len > r->raw_cap) {
		if (s->held - r->raw_cap + len > MAX_HELD)
			return ring_error(s, r, "compressed chunks larger than memmon holds at once");
		s->held = s->held - r->raw_cap + len;
		r->raw = mm_realloc(r->raw, len);
		r->raw_cap = len;
	}
	if (zlen > s->zcap)
		s->z = mm_realloc(s->z, s->zcap = zlen);
	if (mm_file_pread(s->f, s->z, zlen, r->next + 8) < 0)
		return -1;
	if (mm_tc_inflate(s->dctx, r->raw, len, s->z, zlen) < 0)
		return ring_error(s, r, "a compressed chunk that does not decompress to its size");
	r->raw_len = len;
	r->raw_pos = 0;
	r->raw_off = r->next;
	r->next += 8 + zlen;
	r->chunks_left--;
	return 1;
}

/* The next page of R checked and loaded into R->sb: 1, 0 after the
 * last, -1. */
static int next_page(struct mm_tc_stream *s, struct ring *r)
{
	const struct mm_tc_layout *l = s->lay;
	const struct mm_tc_src *c = r->src;
	const unsigned char *p;
	uint64_t avail, at, off, chunk_at = UINT64_MAX;
	const char *why;

	if (!c->compressed) {
		if (!r->started) {
			r->started = true;
			r->next = c->off;
			r->page = mm_malloc(l->page);
		}
		if (r->next >= c->off + c->len)
			return 0;
		avail = c->off + c->len - r->next < l->page ? c->off + c->len - r->next : l->page;
		if (mm_file_pread(s->f, r->page, avail, r->next) < 0)
			return -1;
		p = r->page;
		off = r->page_off = r->next;
		r->next += l->page;
	} else {
		while (!r->started || r->raw_pos >= r->raw_len) {
			int n = next_chunk(s, r);
			if (n <= 0)
				return n;
		}
		avail = r->raw_len - r->raw_pos < l->page ? r->raw_len - r->raw_pos : l->page;
		p = r->raw + r->raw_pos;
		off = r->page_off = r->raw_off;
		chunk_at = r->raw_pos;
		r->raw_pos += l->page;
	}
	if ((why = mm_tc_page_check(p, avail, l->long_size, l->big, &at)))
		return mm_tc_page_error(s->f->path, l, c, chunk_at == UINT64_MAX ? off + at : off,
					chunk_at, at, why);
	if (mm_subbuf_load(&r->sb, p, (uint32_t)avail, l->long_size, l->big, &r->pending_missed) < 0)
		return ring_error(s, r, "a commit length past the page");   /* checked: cannot be */
	r->in_page = true;
	return 1;
}

static uint64_t convert(const struct mm_tc_clock *c, uint64_t ts)
{
	if (c->mult)
		ts = (uint64_t)(((unsigned __int128)ts * c->mult) >> c->shift);
	return ts + (uint64_t)c->offset;
}

/* Ring I's next record into its rec and the merge, or I dropped. */
static int advance(struct mm_tc_stream *s, size_t i)
{
	struct ring *r = &s->r[i];

	for (;;) {
		const unsigned char *data;
		uint32_t len;
		uint64_t ts;
		int n;

		if (r->in_page) {
			n = mm_subbuf_next(&r->sb, &data, &len, &ts);
			if (n < 0)
				return ring_error(s, r, "an event past its page's commit");
			if (n > 0) {
				r->rec.ts = convert(&r->clock, ts);
				r->rec.data = (void *)data;
				r->rec.size = (int)len;
				r->rec.record_size = (int)len + 4;
				r->rec.cpu = (int)r->src->cpu;
				r->rec.offset = r->page_off;
				r->rec.missed_events = r->pending_missed;
				r->rec.ref_count = 1;
				r->pending_missed = 0;
				mm_merge_set(&s->merge, (uint32_t)i, r->rec.ts);
				return 0;
			}
			r->in_page = false;
		}
		n = next_page(s, r);
		if (n < 0)
			return -1;
		if (!n) {
			mm_merge_drop(&s->merge, (uint32_t)i);
			return 0;
		}
	}
}

struct mm_tc_stream *mm_tc_stream_open(struct mm_file *f)
{
	struct mm_tc_stream *s = mm_calloc(1, sizeof(*s));
	const struct mm_tc_layout *l = mm_tracecmd_layout(f);

	s->f = f;
	s->lay = l;
	s->last = -1;
	s->nr = l->nr_src;
	s->r = mm_calloc(s->nr ? s->nr : 1, sizeof(*s->r));
	for (size_t i = 0; i < s->nr; i++) {
		const struct mm_tc_clock *top = &l->clocks[0], *own = &l->clocks[l->src[i].buf];
		s->r[i].src = &l->src[i];
		/* an instance starts from the top buffer's clock (libtracecmd
		 * copies the top handle), its own options add to it */
		s->r[i].clock = l->src[i].buf ? (struct mm_tc_clock){
			own->mult ? own->mult : top->mult, own->mult ? own->shift : top->shift,
			(int64_t)((uint64_t)top->offset + (uint64_t)own->offset) } : *top;
	}
	s->dctx = ZSTD_createDCtx();    /* NULL: mm_tc_inflate makes one a call */
	mm_merge_init(&s->merge, (uint32_t)s->nr);
	return s;
}

int mm_tc_stream_next(struct mm_tc_stream *s, struct tep_record **rec)
{
	int top;

	if (s->failed)
		return -1;
	if (!s->primed) {
		s->primed = true;
		for (size_t i = 0; i < s->nr; i++)
			if (advance(s, i) < 0)
				goto fail;
	} else if (s->last >= 0 && advance(s, (size_t)s->last) < 0) {
		goto fail;
	}
	top = mm_merge_top(&s->merge);
	s->last = top;
	if (top < 0)
		return 0;
	*rec = &s->r[top].rec;
	if ((*rec)->missed_events) {
		s->missed_marks++;
		if ((*rec)->missed_events > 0)
			s->missed += (uint64_t)(*rec)->missed_events;
	}
	return 1;
fail:
	s->failed = true;
	return -1;
}

uint64_t mm_tc_stream_missed(const struct mm_tc_stream *s)
{
	return s->missed;
}

uint64_t mm_tc_stream_missed_marks(const struct mm_tc_stream *s)
{
	return s->missed_marks;
}

void mm_tc_stream_close(struct mm_tc_stream *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr; i++) {
		free(s->r[i].page);
		free(s->r[i].raw);
	}
	free(s->r);
	free(s->z);
	ZSTD_freeDCtx(s->dctx);
	mm_merge_free(&s->merge);
	free(s);
}
