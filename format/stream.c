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
 *
 * The loader's side (reading, checking, decoding a chunk) is stream-load.c;
 * this file keeps the cursors, their requests to it and the merge.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <event-parse.h>

#include "memmon.h"
#include "stream-int.h"

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
			mm_stream_slot_release(s, &c->slot[old]);
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
		return mm_stream_chunk_error(s, c->chunk, "sub-buffer commit larger than the sub-buffer");
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
			mm_stream_slot_release(s, &c->slot[c->cur]);
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
				return mm_stream_chunk_error(s, c->chunk, "event runs past its sub-buffer");
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
				mm_stream_slot_release(s, &c->slot[c->cur]);
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
	int e = pthread_create(&ld->thread, NULL, mm_stream_loader_main, s);
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
