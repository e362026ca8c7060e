/*
 * format/stream.c - the events of a trace file, all CPUs merged in time
 * order (see reader.h).
 *
 * Each CPU has a cursor holding one decompressed chunk and a position in
 * it; the stream repeatedly hands out the earliest cursor's record
 * (merge.c) and advances only that cursor.  Memory is one chunk per CPU
 * however long the trace; the per-event path does no allocation and no
 * system call (a chunk costs one pread and one ZSTD_decompressDCtx into
 * buffers reused for the whole stream).
 *
 * Chunk CRCs are checked here, when the bytes are read anyway; the frame's
 * declared content size must equal the indexed raw length before anything
 * is decompressed, and every sub-buffer's commit and every event length is
 * bounds-checked by subbuf.h, so a hostile file gives an error naming the
 * chunk's offset, never a crash or a hang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <event-parse.h>

#include "memmon.h"
#include "file.h"
#include "subbuf.h"

/* The walker may peek up to 8 bytes past a sub-buffer's end (the stored
 * lost-event count, an event header); zeroed slack keeps that in bounds. */
#define RAW_SLACK 64

struct cursor {
	const struct mm_cpu_index *idx;
	size_t next_chunk;
	const struct mm_chunk_ref *chunk;   /* loaded chunk */
	unsigned char *raw;
	size_t raw_cap;
	uint32_t next_sub;
	bool in_sub;                        /* sb holds a loaded sub-buffer */
	struct mm_subbuf sb;
	long long pending_missed;           /* for the next record */
	struct tep_record rec;
};

struct mm_stream {
	struct mm_file *f;
	ZSTD_DCtx *dctx;
	unsigned char *zbuf;                /* compressed payload, reused */
	size_t zcap;
	struct cursor *c;
	uint32_t nr;
	struct mm_merge merge;
	int last;                           /* cursor handed out last, or -1 */
	bool primed, failed;
	uint64_t missed, missed_marks;
};

static int chunk_error(const struct mm_stream *s, const struct mm_chunk_ref *ch,
		       const char *why)
{
	return mm_error("'%s': corrupt section at offset %llu (%s)", s->f->path,
			(unsigned long long)ch->off, why);
}

static void *grow(void *buf, size_t *cap, size_t need, size_t slack)
{
	if (need <= *cap)
		return buf;
	free(buf);
	*cap = need;
	return mm_calloc(1, need + slack);	/* the slack is never written: readable, zero */
}

/* Read, check and decompress the cursor's next chunk. */
static int load_chunk(struct mm_stream *s, struct cursor *c)
{
	const struct mm_chunk_ref *ch = &c->idx->chunks[c->next_chunk++];
	struct mm_chunk_header h;
	size_t flen = ch->len - sizeof(h), r;

	s->zbuf = grow(s->zbuf, &s->zcap, ch->len, 0);
	if (mm_file_pread(s->f, s->zbuf, ch->len, ch->off + MM_SECTION_HEADER_SIZE) < 0)
		return -1;
	if (mm_crc32(0, s->zbuf, ch->len) != ch->crc)
		return chunk_error(s, ch, "crc mismatch");
	memcpy(&h, s->zbuf, sizeof(h));
	if (h.nr_subbufs != ch->nr_subbufs || h.raw_len != ch->raw_len)
		return mm_error("'%s' changed while being read (offset %llu)", s->f->path,
				(unsigned long long)ch->off);
	if (ZSTD_getFrameContentSize(s->zbuf + sizeof(h), flen) != ch->raw_len)
		return chunk_error(s, ch, "zstd frame size does not match the chunk");
	c->raw = grow(c->raw, &c->raw_cap, ch->raw_len, RAW_SLACK);
	r = ZSTD_decompressDCtx(s->dctx, c->raw, ch->raw_len, s->zbuf + sizeof(h), flen);
	if (ZSTD_isError(r) || r != ch->raw_len)
		return chunk_error(s, ch, ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short zstd frame");
	c->chunk = ch;
	c->next_sub = 0;
	return 0;
}

static int load_subbuf(struct mm_stream *s, struct cursor *c)
{
	const struct mm_file *f = s->f;
	const unsigned char *page = c->raw + (size_t)c->next_sub++ * f->subbuf_size;
	long long missed;

	if (mm_subbuf_load(&c->sb, page, f->subbuf_size, f->commit_size, f->big_endian,
			   &missed) < 0)
		return chunk_error(s, c->chunk, "sub-buffer commit larger than the sub-buffer");
	if (missed) {
		s->missed_marks++;
		if (missed > 0)
			s->missed += missed;
		c->pending_missed = missed;
	}
	c->in_sub = true;
	return 0;
}

/* Step cursor C to its next event: 1, 0 at its end, -1 on corruption. */
static int cursor_next(struct mm_stream *s, struct cursor *c, int cpu)
{
	const unsigned char *data;
	uint32_t len;
	uint64_t ts;

	for (;;) {
		if (c->in_sub) {
			int r = mm_subbuf_next(&c->sb, &data, &len, &ts);
			if (r > 0)
				break;
			if (r < 0)
				return chunk_error(s, c->chunk, "event runs past its sub-buffer");
			c->in_sub = false;
		}
		if (c->chunk && c->next_sub < c->chunk->nr_subbufs) {
			if (load_subbuf(s, c) < 0)
				return -1;
		} else if (c->next_chunk < c->idx->nr) {
			if (load_chunk(s, c) < 0)
				return -1;
		} else {
			return 0;
		}
	}
	c->rec.ts = ts;
	c->rec.data = (void *)data;
	c->rec.size = len;
	c->rec.record_size = len + 4;
	c->rec.cpu = cpu;
	c->rec.offset = c->chunk->off;
	c->rec.missed_events = c->pending_missed;
	c->pending_missed = 0;
	return 1;
}

struct mm_stream *mm_stream_open(struct mm_file *f)
{
	struct mm_stream *s = mm_calloc(1, sizeof(*s));

	s->f = f;
	s->last = -1;
	s->nr = f->nr_cpus;
	s->c = mm_calloc(s->nr, sizeof(*s->c));
	for (uint32_t i = 0; i < s->nr; i++) {
		s->c[i].idx = &f->cpus[i];
		s->c[i].rec.ref_count = 1;
		s->c[i].rec.locked = 1;	/* ours: tep must never free it */
	}
	mm_merge_init(&s->merge, s->nr);
	s->dctx = ZSTD_createDCtx();
	if (!s->dctx) {
		mm_stream_close(s);
		mm_error("cannot allocate a zstd context: out of memory");
		return NULL;
	}
	return s;
}

/* Advance cursor I and put it back in the merge (or drop it at its end). */
static int advance(struct mm_stream *s, uint32_t i)
{
	int r = cursor_next(s, &s->c[i], i);

	if (r < 0)
		return -1;
	if (r > 0)
		mm_merge_set(&s->merge, i, s->c[i].rec.ts);
	else
		mm_merge_drop(&s->merge, i);
	return 0;
}

int mm_stream_next(struct mm_stream *s, struct tep_record **rec)
{
	int top;

	if (s->failed)
		return -1;
	if (!s->primed) {
		s->primed = true;
		for (uint32_t i = 0; i < s->nr; i++)
			if (advance(s, i) < 0)
				goto fail;
	} else if (s->last >= 0 && advance(s, s->last) < 0) {
		goto fail;
	}
	top = mm_merge_top(&s->merge);
	s->last = top;
	if (top < 0)
		return 0;
	*rec = &s->c[top].rec;
	return 1;
fail:
	s->failed = true;
	return -1;
}

uint64_t mm_stream_missed(const struct mm_stream *s)
{
	return s->missed;
}

uint64_t mm_stream_missed_marks(const struct mm_stream *s)
{
	return s->missed_marks;
}

void mm_stream_close(struct mm_stream *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nr; i++)
		free(s->c[i].raw);
	free(s->c);
	mm_merge_free(&s->merge);
	ZSTD_freeDCtx(s->dctx);
	free(s->zbuf);
	free(s);
}
