/*
 * format/stream.c - the events of a trace file, all CPUs merged in time
 * order (see reader.h).
 *
 * Each CPU that has chunks has a cursor walking one decoded chunk; the
 * stream repeatedly hands out the earliest cursor's record (merge.c) and
 * advances only that cursor.  Turning a chunk into events is two jobs of
 * about equal cost: getting the chunk (pread, CRC, zstd, column merge,
 * delta decoding) and walking it.  A loader thread does the first for each
 * CPU's next chunk while the caller's thread walks the current one, so
 * report uses a second core.  Each CPU has two chunk buffers (walked,
 * loading), reused for the whole stream; the per-event path does no
 * allocation, no locking and no system call (a lock is taken once per
 * chunk, to swap buffers).
 *
 * Memory is a bounded window, whatever the file declares: the decoded
 * chunks held at once (every CPU's current one, and the next ones loaded
 * ahead) may not pass MM_MAX_WINDOW, and chunks are loaded ahead only
 * while the window is under a quarter of that.  A decoded chunk keeps only
 * what it holds: one whose sub-buffers are mostly empty (a chunk of zeros
 * can claim 64 MiB from a few bytes of zstd) is compacted to its events
 * right after decoding, and a chunk whose events are more than
 * MM_MAX_EVENT_RATIO times its stored size is refused: real ring data does
 * not compress a tenth as well.  So a file costs memory in proportion to
 * what it really holds, up to the window, plus the one chunk being decoded.
 *
 * Chunk CRCs are checked here, when the bytes are read anyway; the frame's
 * declared content size must equal the indexed raw length before anything
 * is decompressed, and every sub-buffer's commit and every event length is
 * bounds-checked by subbuf.h (and delta.c), so a hostile file gives an
 * error naming the chunk's offset, never a crash or a hang.  The loader
 * reports an error through the slot it failed to fill; the caller sees it
 * when it reaches that chunk, in order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <event-parse.h>

#include "memmon.h"
#include "columns.h"
#include "delta.h"
#include "endian.h"
#include "file.h"
#include "heapcodec.h"
#include "subbuf.h"
#include "tracecmd.h"
#include "zframe.h"

/* The walker may peek up to 8 bytes past a sub-buffer's end (the stored
 * lost-event count, an event header); zeroed slack keeps that in bounds. */
#define RAW_SLACK 64

/* IDLE: free; QUEUED: the loader's; READY/FAILED: loaded; DEFERRED: a
 * chunk loaded ahead found the window full: the cursor asks again when it
 * needs it. */
enum slot_state { SLOT_IDLE, SLOT_QUEUED, SLOT_READY, SLOT_FAILED, SLOT_DEFERRED };

/* One chunk buffer of a CPU.  Each CPU has two: the one being walked and
 * the next chunk, which the loader fills meanwhile.  Buffers are kept and
 * reused (fresh multi-MiB buffers cost a page fault per 4 KiB on every
 * chunk), except that a compacted chunk's buffer is shrunk to its events. */
struct slot {
	unsigned char *raw;
	size_t raw_cap;                     /* counted in mm_stream.window */
	const struct mm_chunk_ref *chunk;
	enum slot_state state;              /* under loader.mu */
	bool ahead;                         /* loaded ahead: may be deferred */
	uint32_t nr_pages;                  /* sub-buffers to walk */
	uint32_t *lens;                     /* compacted: each one's length */
	uint32_t nr_recs;                   /* HEAP_CHUNK: raw holds its records */
	uint16_t heap_id;                   /* ... and their event id */
	char err[1024];                     /* SLOT_FAILED: the loader's message */
};

struct cursor {
	const struct mm_cpu_index *idx;
	uint32_t cpu;
	size_t next_req;                    /* next chunk to hand the loader */
	size_t taken;                       /* chunks walked or being walked */
	struct slot slot[2];
	int cur;                            /* slot being walked, -1 before */
	const struct mm_chunk_ref *chunk;   /* = slot[cur].chunk */
	const unsigned char *raw;           /* = slot[cur].raw */
	const uint32_t *lens;               /* = slot[cur].lens */
	uint32_t next_sub, nr_pages;
	size_t page_off;                    /* compacted: next page's offset */
	bool in_sub;                        /* sb holds a loaded sub-buffer */
	struct mm_subbuf sb;
	long long pending_missed;           /* for the next record */
	struct tep_record rec;
	/* the malloc stream (HEAP_CHUNK): records, not sub-buffers */
	bool heap;
	struct mm_heap_rec *recs;           /* = slot[cur].raw */
	uint32_t nr_recs, next_rec;
	uint16_t heap_id;
	struct mm_heap_rec *hrec;           /* the record handed out, ts in ns */
	unsigned char ev[MM_HEAP_EV_LEN];   /* ... as its event (mm_stream_next) */
};

/* The loader thread: reads, CRC-checks, decompresses and delta-decodes
 * the requested chunks in request order, so the main thread only walks
 * events.  Requests: a ring of (cursor, slot) with room for every slot. */
struct loader {
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	uint32_t *queue;                    /* cursor * 2 + slot */
	uint32_t cap, head, len;
	ZSTD_DCtx *dctx;
	struct mm_delta *delta;
	struct mm_col_typemap *colmap;      /* columns codec scratch */
	struct mm_heap_dec heap;            /* heap codec scratch */
	unsigned char *zbuf;                /* compressed payload, reused */
	size_t zcap;
	unsigned char *cols;                /* columns codec: the streams, reused */
	size_t cols_cap;
};

struct mm_stream {
	struct mm_file *f;
	struct loader ld;
	struct cursor *c;                   /* the CPUs that have chunks */
	uint32_t nr;
	struct mm_merge merge;
	int last;                           /* cursor handed out last, or -1 */
	int runner;                         /* the top but for LAST (merge.c), or -1 */
	bool primed, failed;
	uint64_t missed, missed_marks;
	size_t window;                      /* bytes of all slot buffers, under ld.mu */
	struct mm_tc_stream *tc;            /* a trace-cmd file: libtracecmd's records */
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

/* Codec 2: the stream table, a frame per stream, the merge (columns.h). */
static int load_columns(struct mm_stream *s, struct slot *sl, const struct mm_chunk_ref *ch,
			const unsigned char *z, size_t zlen, const char **why)
{
	struct loader *ld = &s->ld;
	struct mm_delta_layout l = { s->f->subbuf_size, s->f->commit_size, s->f->big_endian };
	struct mm_col_piece in[MM_COL_NR];
	uint32_t raw[MM_COL_NR], stored[MM_COL_NR];
	size_t tab = 8 * MM_COL_NR, raw_total = 0, z_total = 0, ro = 0, zo = tab;

	*why = "bad column stream table";
	if (zlen < tab)
		return -1;
	for (int i = 0; i < MM_COL_NR; i++) {
		raw[i] = mm_le32_load(z + 4 * i);
		stored[i] = mm_le32_load(z + 4 * (MM_COL_NR + i));
		if (!stored[i] != !raw[i])
			return -1;
		raw_total += raw[i];
		z_total += stored[i];
	}
	if (z_total != zlen - tab || raw_total > mm_columns_bound(ch->nr_subbufs, l.subbuf_size))
		return -1;
	ld->cols = grow(ld->cols, &ld->cols_cap, raw_total + 1, 0);
	for (int i = 0; i < MM_COL_NR; i++) {
		if (stored[i] &&
		    mm_zframe_inflate(ld->dctx, ld->cols + ro, raw[i], z + zo, stored[i], why) < 0)
			return -1;
		in[i] = (struct mm_col_piece){ ld->cols + ro, raw[i] };
		ro += raw[i];
		zo += stored[i];
	}
	return mm_columns_merge(ld->colmap, &l, in, sl->raw, ch->nr_subbufs, why);
}

/* Codec 3 (HEAP_CHUNK): the header, a frame per stream, the records
 * (heapcodec.h), which take less room than the sub-buffers the chunk's
 * index declares (a record's event is larger than the record). */
static int load_heap(struct mm_stream *s, struct slot *sl, const struct mm_chunk_ref *ch,
		     const unsigned char *z, size_t zlen, const char **why)
{
	struct loader *ld = &s->ld;
	struct mm_delta_layout l = { s->f->subbuf_size, s->f->commit_size, s->f->big_endian };
	struct mm_heap_piece in[MM_HEAP_STREAMS];
	uint32_t raw[MM_HEAP_STREAMS], stored[MM_HEAP_STREAMS], nr;
	size_t raw_total = 0, z_total = 0, ro = 0, zo = MM_HEAP_CHUNK_HEAD;
	uint16_t id;

	*why = "bad heap chunk header";
	if (zlen < MM_HEAP_CHUNK_HEAD || z[6] != MM_HEAP_STREAMS)
		return -1;
	nr = mm_le32_load(z);
	id = (uint16_t)(z[4] | z[5] << 8);
	for (int i = 0; i < MM_HEAP_STREAMS; i++) {
		raw[i] = mm_le32_load(z + 16 + 4 * i);
		stored[i] = mm_le32_load(z + 16 + 4 * (MM_HEAP_STREAMS + i));
		if (!stored[i] != !raw[i])
			return -1;
		raw_total += raw[i];
		z_total += stored[i];
	}
	/* no record codes into more than 128 bytes of streams */
	if (z_total != zlen - MM_HEAP_CHUNK_HEAD || raw_total > 128ull * nr + 64)
		return -1;
	ld->cols = grow(ld->cols, &ld->cols_cap, raw_total + 1, 0);
	for (int i = 0; i < MM_HEAP_STREAMS; i++) {
		if (stored[i] &&
		    mm_zframe_inflate(ld->dctx, ld->cols + ro, raw[i], z + zo, stored[i], why) < 0)
			return -1;
		in[i] = (struct mm_heap_piece){ ld->cols + ro, raw[i] };
		ro += raw[i];
		zo += stored[i];
	}
	_Static_assert(sizeof(struct mm_heap_rec) <= MM_HEAP_EV_LEN + 4, "a record outgrew its event");
	if ((uint64_t)nr * sizeof(struct mm_heap_rec) > ch->raw_len) {
		*why = "heap chunk: more records than its sub-buffers hold";
		return -1;
	}
	sl->nr_recs = nr;
	sl->heap_id = id;
	struct mm_heap_rec *r = (struct mm_heap_rec *)sl->raw;
	if (mm_heap_decode(&ld->heap, &l, in, nr, z[7], mm_le64_load(z + 8), r, ch->nr_subbufs,
			   why) < 0)
		return -1;
	for (uint32_t i = 0; i < nr; i++)	/* times in ns here, not on the walk */
		r[i].ts = mm_file_ns(s->f, r[i].ts);
	return 0;
}

/* Account a slot buffer going from OLD to NEW bytes: false, and nothing
 * changed, when growing would take the window past its limit. */
static bool window_resize(struct mm_stream *s, size_t old, size_t new)
{
	bool ok;

	pthread_mutex_lock(&s->ld.mu);
	ok = new <= old || s->window - old + new <= MM_MAX_WINDOW;
	if (ok)
		s->window = s->window - old + new;
	pthread_mutex_unlock(&s->ld.mu);
	return ok;
}

static void slot_release(struct mm_stream *s, struct slot *sl)
{
	window_resize(s, sl->raw_cap, 0);
	free(sl->raw);
	free(sl->lens);
	sl->raw = NULL;
	sl->lens = NULL;
	sl->raw_cap = 0;
}

/* After decoding: refuse a chunk that claims more than it can hold, and
 * compact one that is mostly empty (compact.c), shrinking its buffer. */
static int settle(struct mm_stream *s, struct slot *sl, const struct mm_chunk_ref *ch)
{
	char why[128];
	size_t used;
	int r = mm_chunk_compact(s->f, sl->raw, ch->nr_subbufs, ch->len, &sl->lens, &sl->nr_pages,
				 &used, why, sizeof(why));

	if (r < 0)
		return chunk_error(s, ch, why);
	if (!sl->lens)
		return 0;	/* mostly full: walked where it lies */
	unsigned char *p = realloc(sl->raw, used + RAW_SLACK);
	if (p)
		sl->raw = p;
	memset(sl->raw + used, 0, RAW_SLACK);
	window_resize(s, sl->raw_cap, used + RAW_SLACK);
	sl->raw_cap = used + RAW_SLACK;
	return 0;
}

#define LOAD_DEFERRED 1

/* Loader thread: read, check, decompress and decode chunk CH into SL;
 * 0, -1 on error, LOAD_DEFERRED for a chunk loaded ahead that does not
 * fit in the window now. */
static int load_chunk(struct mm_stream *s, struct slot *sl, const struct mm_chunk_ref *ch,
		      bool ahead)
{
	struct loader *ld = &s->ld;
	struct mm_chunk_header h;
	size_t flen = ch->len - sizeof(h), need = ch->raw_len + RAW_SLACK;
	const unsigned char *frame;
	const char *why = NULL;
	char msg[160];
	int r;

	if (need > sl->raw_cap) {
		if (!window_resize(s, sl->raw_cap, need)) {
			if (ahead)
				return LOAD_DEFERRED;
			snprintf(msg, sizeof(msg), "decoding it needs more than the %u MiB memmon "
				 "holds at once (the chunks of %u CPUs overlap)",
				 MM_MAX_WINDOW >> 20, s->nr);
			return chunk_error(s, ch, msg);
		}
		free(sl->raw);
		sl->raw = mm_calloc(1, need);	/* the slack is never written: readable, zero */
		sl->raw_cap = need;
	}
	ld->zbuf = grow(ld->zbuf, &ld->zcap, ch->len, 0);
	if (mm_file_pread(s->f, ld->zbuf, ch->len, ch->off + MM_SECTION_HEADER_SIZE) < 0)
		return -1;
	if (mm_crc32(0, ld->zbuf, ch->len) != ch->crc)
		return chunk_error(s, ch, "crc mismatch");
	memcpy(&h, ld->zbuf, sizeof(h));
	if (h.nr_subbufs != ch->nr_subbufs || h.raw_len != ch->raw_len || h.codec != ch->codec)
		return mm_error("'%s' changed while being read (offset %llu)", s->f->path,
				(unsigned long long)ch->off);
	frame = ld->zbuf + sizeof(h);
	if (ch->codec == MM_CODEC_COLUMNS)
		r = load_columns(s, sl, ch, frame, flen, &why);
	else if (ch->codec == MM_CODEC_HEAP)
		r = load_heap(s, sl, ch, frame, flen, &why);
	else
		r = mm_zframe_inflate(ld->dctx, sl->raw, ch->raw_len, frame, flen, &why);
	if (r < 0)
		return chunk_error(s, ch, why);
	if (ch->codec == MM_CODEC_HEAP)
		return 0;                       /* records: nothing to compact */
	if (ch->codec != MM_CODEC_RAW) {
		struct mm_delta_layout l = {
			s->f->subbuf_size, s->f->commit_size, s->f->big_endian,
		};
		int e = mm_delta_decode(ld->delta, &l, sl->raw, ch->nr_subbufs);
		if (e == MM_DELTA_BAD_COMMIT)
			return chunk_error(s, ch, "sub-buffer commit larger than the sub-buffer");
		if (e < 0)
			return chunk_error(s, ch, "event runs past its sub-buffer");
	}
	return settle(s, sl, ch);
}

static void *loader_main(void *arg)
{
	struct mm_stream *s = arg;
	struct loader *ld = &s->ld;

	pthread_mutex_lock(&ld->mu);
	for (;;) {
		while (!ld->len && !ld->stop)
			pthread_cond_wait(&ld->work, &ld->mu);
		if (ld->stop)
			break;
		uint32_t q = ld->queue[ld->head];
		ld->head = (ld->head + 1) % ld->cap;
		ld->len--;
		struct slot *sl = &s->c[q / 2].slot[q % 2];
		bool ahead = sl->ahead;
		pthread_mutex_unlock(&ld->mu);
		int r = load_chunk(s, sl, sl->chunk, ahead);	/* the slot is ours while queued */
		if (r < 0) {
			snprintf(sl->err, sizeof(sl->err), "%s", mm_error_msg());
			slot_release(s, sl);	/* a refused chunk holds nothing */
		}
		pthread_mutex_lock(&ld->mu);
		sl->state = r < 0 ? SLOT_FAILED : r == LOAD_DEFERRED ? SLOT_DEFERRED : SLOT_READY;
		pthread_cond_broadcast(&ld->done);
	}
	pthread_mutex_unlock(&ld->mu);
	return NULL;
}

/* Hand slot K of cursor I (its chunk set) to the loader; under ld.mu. */
static void enqueue(struct mm_stream *s, uint32_t i, int k, bool ahead)
{
	struct loader *ld = &s->ld;

	s->c[i].slot[k].state = SLOT_QUEUED;
	s->c[i].slot[k].ahead = ahead;
	ld->queue[(ld->head + ld->len++) % ld->cap] = i * 2 + k;
	pthread_cond_signal(&ld->work);
}

/* Queue cursor I's next chunk into its slot K (which nobody uses now):
 * always when the cursor needs it (AHEAD false), else only while the
 * window is under a quarter full, so loading ahead never crowds out the
 * chunks the merge needs.  False when not queued. */
static bool request(struct mm_stream *s, uint32_t i, int k, bool ahead)
{
	struct cursor *c = &s->c[i];
	struct loader *ld = &s->ld;
	const struct mm_chunk_ref *ch = &c->idx->chunks[c->next_req];
	bool go;

	pthread_mutex_lock(&ld->mu);
	go = !ahead || s->window + ch->raw_len <= MM_MAX_WINDOW / 4;
	if (go) {
		c->slot[k].chunk = ch;
		c->next_req++;
		enqueue(s, i, k, ahead);
	}
	pthread_mutex_unlock(&ld->mu);
	return go;
}

/* Move cursor I to its next chunk (loaded meanwhile, or wait for it) and
 * hand the buffer it leaves to the loader for the chunk after, or free it. */
static int next_chunk(struct mm_stream *s, uint32_t i)
{
	struct cursor *c = &s->c[i];
	struct loader *ld = &s->ld;
	int k = c->cur < 0 ? 0 : 1 - c->cur, old = c->cur;
	struct slot *sl = &c->slot[k];

	pthread_mutex_lock(&ld->mu);
	if (sl->state == SLOT_IDLE) {	/* not loaded ahead: needed now */
		sl->chunk = &c->idx->chunks[c->next_req++];
		enqueue(s, i, k, false);
	}
	for (;;) {
		if (sl->state == SLOT_DEFERRED)
			enqueue(s, i, k, false);
		if (sl->state != SLOT_QUEUED)
			break;
		pthread_cond_wait(&ld->done, &ld->mu);
	}
	enum slot_state st = sl->state;
	pthread_mutex_unlock(&ld->mu);
	if (st == SLOT_FAILED)
		return mm_error("%s", sl->err);
	c->cur = k;
	c->chunk = sl->chunk;
	c->raw = sl->raw;
	c->lens = sl->lens;
	c->nr_pages = sl->nr_pages;
	c->page_off = 0;
	c->next_sub = 0;
	c->recs = (struct mm_heap_rec *)sl->raw;
	c->nr_recs = sl->nr_recs;
	c->next_rec = 0;
	c->heap_id = sl->heap_id;
	c->taken++;
	if (old >= 0) {
		pthread_mutex_lock(&ld->mu);
		c->slot[old].state = SLOT_IDLE;
		pthread_mutex_unlock(&ld->mu);
		if (c->next_req >= c->idx->nr || !request(s, i, old, true))
			slot_release(s, &c->slot[old]);
	}
	return 0;
}

static int load_subbuf(struct mm_stream *s, struct cursor *c)
{
	const struct mm_file *f = s->f;
	const unsigned char *page;
	long long missed;

	if (c->lens) {
		page = c->raw + c->page_off;
		c->page_off += c->lens[c->next_sub++];
	} else {
		page = c->raw + (size_t)c->next_sub++ * f->subbuf_size;
	}
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

/* The malloc stream's next record. */
static int heap_next(struct mm_stream *s, uint32_t i)
{
	struct cursor *c = &s->c[i];

	while (!c->chunk || c->next_rec == c->nr_recs) {
		if (c->taken < c->idx->nr) {
			if (next_chunk(s, i) < 0)
				return -1;
			continue;
		}
		if (c->cur >= 0)
			slot_release(s, &c->slot[c->cur]);
		c->recs = NULL;
		return 0;
	}
	c->hrec = &c->recs[c->next_rec++];
	c->rec.ts = c->hrec->ts;
	c->rec.cpu = c->cpu;
	c->rec.missed_events = 0;
	return 1;
}

/* Step cursor I to its next event: 1, 0 at its end, -1 on corruption. */
static int cursor_next(struct mm_stream *s, uint32_t i)
{
	struct cursor *c = &s->c[i];
	const unsigned char *data;
	uint32_t len;
	uint64_t ts;

	if (c->heap)
		return heap_next(s, i);
	for (;;) {
		if (c->in_sub) {
			int r = mm_subbuf_next(&c->sb, &data, &len, &ts);
			if (r > 0)
				break;
			if (r < 0)
				return chunk_error(s, c->chunk, "event runs past its sub-buffer");
			c->in_sub = false;
		}
		if (c->chunk && c->next_sub < c->nr_pages) {
			if (load_subbuf(s, c) < 0)
				return -1;
		} else if (c->taken < c->idx->nr) {
			if (next_chunk(s, i) < 0)
				return -1;
		} else {
			if (c->cur >= 0)	/* done with this CPU */
				slot_release(s, &c->slot[c->cur]);
			c->raw = NULL;
			return 0;
		}
	}
	c->rec.ts = mm_file_ns(s->f, ts);
	c->rec.data = (void *)data;
	c->rec.size = len;
	c->rec.record_size = len + 4;
	c->rec.cpu = c->cpu;
	c->rec.offset = c->chunk->off;
	c->rec.missed_events = c->pending_missed;
	c->pending_missed = 0;
	return 1;
}

struct mm_stream *mm_stream_open(struct mm_file *f)
{
	struct mm_stream *s = mm_calloc(1, sizeof(*s));
	struct loader *ld = &s->ld;
	uint32_t n = 0;

	s->f = f;
	s->last = -1;
	s->runner = -1;
	if (f->tc) {
		s->tc = mm_tc_stream_open(f);
		return s;
	}
	/* cursors for the rings with data only: the declared count is not a
	 * cost.  The CPUs' rings, their stacks rings ("CPU" nr_cpus + N), and
	 * the malloc stream (HEAP_CHUNK), "CPU" nr_rings */
	for (uint32_t cpu = 0; cpu < f->nr_rings; cpu++)
		s->nr += f->cpus[cpu].nr > 0;
	s->nr += f->heap.nr > 0;
	s->c = mm_calloc(s->nr ? s->nr : 1, sizeof(*s->c));
	for (uint32_t cpu = 0; cpu <= f->nr_rings; cpu++) {
		const struct mm_cpu_index *idx = cpu < f->nr_rings ? &f->cpus[cpu] : &f->heap;

		if (!idx->nr)
			continue;
		s->c[n].idx = idx;
		s->c[n].cpu = cpu;
		s->c[n].heap = cpu == f->nr_rings;
		s->c[n].cur = -1;
		s->c[n].rec.ref_count = 1;
		s->c[n].rec.locked = 1;	/* ours: tep must never free it */
		n++;
	}
	mm_merge_init(&s->merge, s->nr);
	ld->cap = 2 * (s->nr ? s->nr : 1);
	ld->queue = mm_calloc(ld->cap, sizeof(*ld->queue));
	ld->delta = mm_calloc(1, sizeof(*ld->delta));
	ld->colmap = mm_calloc(1, sizeof(*ld->colmap));
	ld->dctx = ZSTD_createDCtx();
	pthread_mutex_init(&ld->mu, NULL);
	pthread_cond_init(&ld->work, NULL);
	pthread_cond_init(&ld->done, NULL);
	if (!ld->dctx) {
		mm_stream_close(s);
		mm_error("cannot allocate a zstd context: out of memory");
		return NULL;
	}
	int e = pthread_create(&ld->thread, NULL, loader_main, s);
	if (e) {
		mm_stream_close(s);
		errno = e;
		mm_error_errno("cannot start the chunk loader thread");
		return NULL;
	}
	ld->started = true;
	/* every CPU's first chunk (the merge needs all of them before it can
	 * hand out the first event), then second chunks while there is room */
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < s->nr; i++)
			if (s->c[i].next_req < s->c[i].idx->nr)
				request(s, i, k, k > 0);
	return s;
}

/* Advance cursor I and put it back in the merge (or drop it at its end). */
static int advance(struct mm_stream *s, uint32_t i)
{
	int r = cursor_next(s, i);

	if (r < 0)
		return -1;
	if (r > 0)
		mm_merge_set(&s->merge, i, s->c[i].rec.ts);
	else
		mm_merge_drop(&s->merge, i);
	return 0;
}

int mm_stream_next_any(struct mm_stream *s, struct tep_record **rec,
		       const struct mm_heap_rec **heap, uint16_t *heap_id)
{
	int top;

	if (s->tc)
		return mm_tc_stream_next(s->tc, rec);
	if (s->failed)
		return -1;
	if (!s->primed) {
		s->primed = true;
		for (uint32_t i = 0; i < s->nr; i++)
			if (advance(s, i) < 0)
				goto fail;
	} else if (s->last >= 0) {
		/* a run of the malloc stream's records (most of a record
		 * --malloc trace): the next one of its decoded chunk while it
		 * stays before the runner, without a step of the merge (the
		 * linear one: its key is all there is to keep) */
		struct cursor *c = &s->c[s->last];
		int run = s->runner;
		if (c->heap && c->recs && c->next_rec < c->nr_recs && !s->merge.use_heap && run >= 0 &&
		    s->merge.live[run]) {
			struct mm_heap_rec *h = &c->recs[c->next_rec];
			if (h->ts < s->merge.key[run] || (h->ts == s->merge.key[run] && s->last < run)) {
				c->next_rec++;
				c->hrec = h;
				c->rec.ts = h->ts;
				s->merge.key[s->last] = h->ts;
				*rec = &c->rec;
				*heap = h;
				*heap_id = c->heap_id;
				return MM_STREAM_HEAP;
			}
		}
		if (advance(s, s->last) < 0)
			goto fail;
		/* a run of one cursor (the malloc stream's, mostly): it stays
		 * the top while it stays before the runner, whose key did not
		 * move: no scan of the others */
		int l = s->last, r = s->runner;
		const struct mm_merge *m = &s->merge;
		if (r >= 0 && m->live[l] && m->live[r] &&
		    (m->key[l] < m->key[r] || (m->key[l] == m->key[r] && l < r)))
			goto have_top;
	}
	top = mm_merge_top_runner(&s->merge, &s->runner);
	s->last = top;
	if (top < 0)
		return 0;
have_top:;
	struct cursor *c = &s->c[s->last];
	*rec = &c->rec;
	if (!c->heap)
		return MM_STREAM_EVENT;
	*heap = c->hrec;
	*heap_id = c->heap_id;
	return MM_STREAM_HEAP;
fail:
	s->failed = true;
	return -1;
}

int mm_stream_next(struct mm_stream *s, struct tep_record **rec)
{
	const struct mm_heap_rec *h;
	uint16_t id;
	int r = mm_stream_next_any(s, rec, &h, &id);

	if (r != MM_STREAM_HEAP)
		return r;
	/* the record as the event it stands for */
	struct cursor *c = &s->c[s->last];
	mm_heap_rec_event(h, id, s->f->big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__), c->ev);
	c->rec.data = c->ev;
	c->rec.size = MM_HEAP_EV_LEN;
	c->rec.record_size = MM_HEAP_EV_LEN + 4;
	c->rec.cpu = c->cpu;
	c->rec.offset = c->chunk->off;
	c->rec.missed_events = 0;
	return 1;
}

uint64_t mm_stream_missed(const struct mm_stream *s)
{
	return s->tc ? mm_tc_stream_missed(s->tc) : s->missed;
}

uint64_t mm_stream_missed_marks(const struct mm_stream *s)
{
	return s->tc ? mm_tc_stream_missed_marks(s->tc) : s->missed_marks;
}

size_t mm_stream_window(const struct mm_stream *s)
{
	return s->window;
}

void mm_stream_close(struct mm_stream *s)
{
	struct loader *ld;

	if (!s)
		return;
	if (s->tc) {
		mm_tc_stream_close(s->tc);
		free(s);
		return;
	}
	ld = &s->ld;
	if (ld->started) {
		pthread_mutex_lock(&ld->mu);
		ld->stop = true;
		pthread_cond_signal(&ld->work);
		pthread_mutex_unlock(&ld->mu);
		pthread_join(ld->thread, NULL);
	}
	pthread_mutex_destroy(&ld->mu);
	pthread_cond_destroy(&ld->work);
	pthread_cond_destroy(&ld->done);
	for (uint32_t i = 0; i < s->nr; i++)
		for (int k = 0; k < 2; k++) {
			free(s->c[i].slot[k].raw);
			free(s->c[i].slot[k].lens);
		}
	free(s->c);
	mm_merge_free(&s->merge);
	ZSTD_freeDCtx(ld->dctx);
	free(ld->delta);
	free(ld->colmap);
	mm_heap_dec_release(&ld->heap);
	free(ld->cols);
	free(ld->zbuf);
	free(ld->queue);
	free(s);
}
