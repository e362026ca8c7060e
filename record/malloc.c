/*
 * record/malloc.c - record's side of `record --malloc` with the interposer:
 * the shared rings (record/interposer/ring.h) and the thread that turns
 * them into the trace's malloc stream.
 *
 * The area is a memfd record creates, maps and hands to CMD at exec
 * (MM_RING_ENV names its fd, which stays open across exec at a high
 * number a program's own fds rarely reach).  The drain thread sleeps on a
 * futex in the area (a writer wakes it when its ring is half full) or for
 * PASS_MS, then in one pass looks at every ring's head and moves every
 * record older than the pass's watermark into the heap codec's encoder, in
 * time order across rings (a heap merge that reads the records where the
 * writers put them: no copy), freeing ring space as it goes.  The
 * encoder's chunks go to the file through the writer (format/heapcodec.h),
 * beside the kernel drain's chunks; the reader merges both by time.
 *
 * The watermark: a record is final once no ring can still produce an
 * earlier one.  A writer raises busy before it reads the clock and clears
 * it after the commit, so at a pass taken at time R a ring that is not busy
 * can only produce records from R on, and a busy one none before the
 * previous pass's watermark (it was not busy then, or that watermark
 * waited for it).  SLACK covers a store that is not visible yet when the
 * ring is looked at.  A ring busy at the same head for STUCK_MS (a writer
 * stopped, or killed, inside a record) stops holding the watermark back;
 * anything that arrives after its time has passed is clamped forward and
 * counted as late.
 *
 * Rings are freed (FREE) once read up to their head and their writer is
 * gone: the thread exited (tgkill says ESRCH), or the process exec'd
 * (ORPHANED, by the new image's interposer).
 *
 * Everything in the area may have been written by a buggy or hostile
 * program: every position, length and op is checked, each record is read
 * once into a local copy, and a ring whose words make no sense is skipped
 * up to its head and counted as bad.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "memmon.h"
#include "format/heapcodec.h"
#include "record/interposer/ring.h"
#include "record/record.h"

#define PASS_MS        20              /* longest a record waits in a ring */
#define SLACK_US       20              /* see the watermark, above: a store in flight,
                                        * the TSCs of two CPUs */
#define STUCK_MS       50
#define CHUNK_RECORDS  65536           /* per chunk */
#define CHUNK_MS       1000            /* a chunk is written at least this often */
#define DEAD_CHECK_MS  200             /* idle rings: is their thread still there? */
#define AREA_FD_MIN    700             /* the fd CMD inherits: above shells' own */
#define TAIL_EVERY     1024            /* records merged between tail stores */
#define AHEAD_WORDS    32              /* words ahead of tail whose codec slots are fetched */

/* LOST records, which no ring carries: a small FIFO. */
struct queue {
	struct mm_heap_rec *v;
	size_t head, n, cap;             /* v[head .. head + n) mod cap, a power of 2 */
};

struct ring_state {
	bool known;                      /* we have seen this claim */
	int32_t pid, tid;
	uint64_t tail;                   /* words merged (stored to the ring's tail) */
	uint64_t head;                   /* the writer's head, as read this pass */
	bool has_cur;                    /* cur is the record at tail */
	unsigned cur_words;
	struct mm_heap_rec cur;
	uint64_t last_ts;                /* of the last record taken from this ring */
	uint64_t lost_seen;
	uint64_t idle_since;             /* mono ns of the last new words */
	uint64_t checked;                /* mono ns of the last liveness check */
	uint64_t busy_head, busy_since;  /* busy at this head since then */
	uint64_t pf;                     /* records up to here had their codec slots fetched */
	bool gone;                       /* its thread is gone */
};

struct mm_malloc {
	int fd;
	struct mm_ring_area *area;
	size_t size;
	unsigned clock;
	uint64_t ticks_per_ms;           /* of the area's clock */
	struct ring_state *rs;
	uint32_t nr_rings, ring_words;
	size_t first, data_off;          /* our own copies: the area's are writable */
	struct queue lost;               /* LOST records waiting for their time */

	pthread_t thread;
	bool started;
	volatile int stop;
	struct mm_heapw *hw;             /* the chunks (heapwriter.c) */
	struct mm_heap_enc *enc;         /* the encoder being filled */
	uint64_t chunk_start;            /* mono ns the chunk's first record came */

	uint64_t watermark;
	uint32_t *heap;                  /* merge: sources (rings, nr_rings: lost), min ts first */
	uint32_t heap_n;
	uint64_t no_ring_seen;
	struct mm_malloc_totals tot;
	bool failed;
	char err[1024];
};

/* ---- clock ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t mm_malloc_clock(unsigned clock)
{
#if defined(__x86_64__)
	if (clock == MM_RING_CLOCK_TSC) {
		uint32_t lo, hi;
		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		return (uint64_t)hi << 32 | lo;
	}
#endif
	return mono_ns();
}

/* ---- the area ---- */

struct mm_malloc *mm_malloc_create(unsigned nr_rings, unsigned ring_kb, unsigned clock,
				   uint64_t ticks_per_ms)
{
	struct mm_malloc *m = mm_calloc(1, sizeof(*m));
	size_t words = (size_t)ring_kb * 1024 / 8, first = 4096, data_off;
	int fd;

	m->fd = -1;
	if (words < 1024 || (words & (words - 1)) || nr_rings > 4096) {
		mm_error("the malloc ring size must be a power of two of at least 8 KB");
		goto fail;
	}
	data_off = (first + (size_t)nr_rings * sizeof(struct mm_ring) + 4095) & ~4095ul;
	m->size = data_off + 8 * words * nr_rings;
	m->clock = clock;
	m->ticks_per_ms = ticks_per_ms ? ticks_per_ms : 1000000;
	m->nr_rings = nr_rings;
	m->ring_words = (uint32_t)words;
	m->first = first;
	m->data_off = data_off;
	fd = memfd_create("memmon-malloc", MFD_CLOEXEC);
	if (fd < 0) {
		mm_error_errno("cannot create the malloc rings (memfd_create)");
		goto fail;
	}
	/* inheritable, at a number programs rarely use themselves */
	m->fd = fcntl(fd, F_DUPFD, AREA_FD_MIN);
	close(fd);
	if (m->fd < 0) {
		mm_error_errno("cannot give the malloc rings a file descriptor");
		goto fail;
	}
	if (ftruncate(m->fd, (off_t)m->size) < 0) {
		mm_error_errno("cannot size the malloc rings (%zu bytes)", m->size);
		goto fail;
	}
	m->area = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->area == MAP_FAILED) {
		m->area = NULL;
		mm_error_errno("cannot map the malloc rings");
		goto fail;
	}
	m->area->version = MM_RING_VERSION;
	m->area->clock = clock;
	m->area->nr_rings = nr_rings;
	m->area->ring_words = (uint32_t)words;
	m->area->first_ring = first;
	m->area->data_off = data_off;
	m->area->recorder = getpid();
	__atomic_store_n(&m->area->magic, MM_RING_MAGIC, __ATOMIC_RELEASE);
	m->rs = mm_calloc(nr_rings, sizeof(*m->rs));
	m->heap = mm_calloc(nr_rings + 1, sizeof(*m->heap));
	return m;
fail:
	mm_malloc_free(m);
	return NULL;
}

int mm_malloc_fd(const struct mm_malloc *m)
{
	return m->fd;
}

static inline struct mm_ring *ring_at(const struct mm_malloc *m, uint32_t i)
{
	return (struct mm_ring *)((unsigned char *)m->area + m->first + (size_t)i * sizeof(struct mm_ring));
}

static inline const uint64_t *data_at(const struct mm_malloc *m, uint32_t i)
{
	return (const uint64_t *)((unsigned char *)m->area + m->data_off + (size_t)i * 8 * m->ring_words);
}

/* ---- the LOST queue ---- */

static void q_push(struct queue *q, const struct mm_heap_rec *r)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		struct mm_heap_rec *v = mm_malloc(cap * sizeof(*v));

		for (size_t i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) & (q->cap - 1)];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->v[(q->head + q->n++) & (q->cap - 1)] = *r;
}

/* N records lost by thread TID of PID (0: calls that had no ring), noted
 * at TS. */
static void note_lost(struct mm_malloc *m, int32_t pid, int32_t tid, uint64_t n, uint64_t ts)
{
	struct mm_heap_rec r = { .ts = ts, .op = MM_OP_LOST, .size = n, .tid = tid, .tgid = pid };

	if (m->lost.n && ts < m->lost.v[(m->lost.head + m->lost.n - 1) & (m->lost.cap - 1)].ts)
		r.ts = m->lost.v[(m->lost.head + m->lost.n - 1) & (m->lost.cap - 1)].ts;
	q_push(&m->lost, &r);
	m->tot.lost += n;
}

/* ---- reading a ring ---- */

/* Parse the record at S's tail into S->cur; false when there is none (a
 * ring whose words make no sense is skipped to its head). */
static bool parse_cur(struct mm_malloc *m, uint32_t i, struct ring_state *s)
{
	const uint64_t *d = data_at(m, i);
	uint64_t mask = m->ring_words - 1, at = s->tail, w1;
	struct mm_heap_rec *c = &s->cur;
	unsigned op, n;

	s->has_cur = false;
	if (at >= s->head)
		return false;
	w1 = d[(at + 1) & mask];
	op = (unsigned)(w1 >> 56);
	n = mm_ring_record_words(op);
	if (!n || s->head - at < n) {
		m->tot.bad++;
		s->tail = s->head;
		return false;
	}
	*c = (struct mm_heap_rec){ .tid = s->tid, .tgid = s->pid, .op = (uint8_t)op,
				   .aux = (uint8_t)(w1 >> 48) };
	c->ts = d[at & mask];
	if (op != MM_OP_HELLO) {
		c->site = w1 & MM_SITE_MASK;
		if (MM_OP_IS_FREE(op)) {
			c->ptr = d[(at + 2) & mask];
			c->aux = 0;
		} else {
			c->size = d[(at + 2) & mask];
			c->ptr = d[(at + 3) & mask];
			if (MM_OP_IS_REALLOC(op)) {
				c->old = d[(at + 4) & mask];
				c->aux = 0;
			}
		}
	}
	if (c->ts < s->last_ts)
		c->ts = s->last_ts;      /* a signal handler's record, reserved first */
	s->cur_words = n;
	s->has_cur = true;
	return true;
}

/* Ask for the codec's table slots of the records just ahead of S's tail
 * (the merge takes them soon): the slots are the encoder's cache misses. */
static void fetch_ahead(struct mm_malloc *m, uint32_t i, struct ring_state *s)
{
	const uint64_t *d = data_at(m, i);
	uint64_t mask = m->ring_words - 1;

	if (s->pf < s->tail)
		s->pf = s->tail;
	while (s->pf < s->head && s->pf < s->tail + AHEAD_WORDS) {
		uint64_t w1 = d[(s->pf + 1) & mask];
		unsigned op = (unsigned)(w1 >> 56), n = mm_ring_record_words(op);
		struct mm_heap_rec h = { .op = (uint8_t)op };

		if (!n || s->head - s->pf < n)
			break;   /* parse_cur will say so */
		if (MM_OP_IS_FREE(op)) {
			h.ptr = d[(s->pf + 2) & mask];
		} else if (op != MM_OP_HELLO) {
			h.size = d[(s->pf + 2) & mask];
			h.ptr = d[(s->pf + 3) & mask];
			if (MM_OP_IS_REALLOC(op))
				h.old = d[(s->pf + 4) & mask];
		}
		mm_heap_enc_prefetch(m->enc, &h);
		s->pf += n;
	}
}

static bool thread_gone(const struct ring_state *s)
{
	return s->tid > 0 && syscall(SYS_tgkill, s->pid, s->tid, 0) < 0 && errno == ESRCH;
}

/* One ring: read its head; free it when its writer is gone and it is
 * read; lower *BOUND to what it may still produce. */
static void look_at_ring(struct mm_malloc *m, uint32_t i, uint64_t now, uint64_t *bound)
{
	struct mm_ring *r = ring_at(m, i);
	struct ring_state *s = &m->rs[i];
	uint32_t state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
	uint32_t busy;
	uint64_t head, lost;

	if (state != MM_RING_ACTIVE && state != MM_RING_ORPHANED)
		return;
	if (!s->known) {
		*s = (struct ring_state){ .known = true, .pid = r->pid, .tid = r->tid,
					  .idle_since = now, .checked = now };
		s->tail = s->head = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		m->tot.rings++;
	}
	/* busy before head: a record committed after we look at busy is seen
	 * in head (ring.h) */
	busy = __atomic_load_n(&r->busy, __ATOMIC_ACQUIRE);
	head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	if (head - s->tail > m->ring_words || head < s->head) {
		m->tot.bad++;            /* not a position the protocol allows */
		s->tail = s->head = head;
		s->has_cur = false;
		__atomic_store_n(&r->tail, s->tail, __ATOMIC_RELEASE);
	} else if (head != s->head) {
		s->head = head;
		s->idle_since = now;
	}
	if (!s->has_cur)
		parse_cur(m, i, s);
	lost = __atomic_load_n(&r->lost, __ATOMIC_RELAXED);
	if (lost > s->lost_seen) {
		note_lost(m, s->pid, s->tid, lost - s->lost_seen, s->last_ts > m->watermark ?
			  s->last_ts : m->watermark);
		s->lost_seen = lost;
	}
	if (state == MM_RING_ACTIVE && !s->gone && now - s->idle_since > DEAD_CHECK_MS * 1000000ull &&
	    now - s->checked > DEAD_CHECK_MS * 1000000ull) {
		s->checked = now;
		s->gone = thread_gone(s);
	}
	if (busy && state == MM_RING_ACTIVE && !s->gone) {
		if (s->busy_head != head || !s->busy_since) {
			s->busy_head = head;
			s->busy_since = now;
		}
		if (now - s->busy_since < STUCK_MS * 1000000ull && m->watermark < *bound)
			*bound = m->watermark;
	} else {
		s->busy_since = 0;
	}
	if ((state == MM_RING_ORPHANED || s->gone) && !s->has_cur && s->tail == head) {
		/* nothing more will come: give the ring back */
		s->known = false;
		r->busy = 0;
		__atomic_store_n(&r->state, MM_RING_FREE, __ATOMIC_RELEASE);
	}
}

/* ---- the merge into the encoder ---- */

static inline const struct mm_heap_rec *source(const struct mm_malloc *m, uint32_t i)
{
	return i < m->nr_rings ? &m->rs[i].cur : &m->lost.v[m->lost.head];
}

static inline uint64_t source_ts(const struct mm_malloc *m, uint32_t i)
{
	return source(m, i)->ts;
}

static void sift_down(struct mm_malloc *m, uint32_t k)
{
	uint32_t v = m->heap[k];
	uint64_t vts = source_ts(m, v);

	for (;;) {
		uint32_t c = 2 * k + 1;
		if (c >= m->heap_n)
			break;
		if (c + 1 < m->heap_n && source_ts(m, m->heap[c + 1]) < source_ts(m, m->heap[c]))
			c++;
		if (source_ts(m, m->heap[c]) >= vts)
			break;
		m->heap[k] = m->heap[c];
		k = c;
	}
	m->heap[k] = v;
}

static int flush_chunk(struct mm_malloc *m)
{
	int ret = mm_heapw_flush(m->hw);

	m->enc = mm_heapw_enc(m->hw);
	return ret;
}

/* Source I's next record after its current one went to the encoder; false
 * when it has none now. */
static bool advance(struct mm_malloc *m, uint32_t i, unsigned *since_tail)
{
	if (i == m->nr_rings) {
		m->lost.head = (m->lost.head + 1) & (m->lost.cap - 1);
		return --m->lost.n > 0;
	}
	struct ring_state *s = &m->rs[i];
	struct mm_ring *r = ring_at(m, i);

	s->last_ts = s->cur.ts;
	s->tail += s->cur_words;
	if (++*since_tail >= TAIL_EVERY || s->tail == s->head) {
		__atomic_store_n(&r->tail, s->tail, __ATOMIC_RELEASE);
		*since_tail = 0;
	}
	if (!parse_cur(m, i, s))
		return false;
	fetch_ahead(m, i, s);
	return true;
}

/* Every record up to UPTO, in time order, into the encoder. */
static int merge_upto(struct mm_malloc *m, uint64_t upto)
{
	unsigned since_tail = 0;

	m->heap_n = 0;
	for (uint32_t i = 0; i < m->nr_rings; i++)
		if (m->rs[i].known && m->rs[i].has_cur)
			m->heap[m->heap_n++] = i;
	if (m->lost.n)
		m->heap[m->heap_n++] = m->nr_rings;
	for (uint32_t k = m->heap_n / 2; k-- > 0;)
		sift_down(m, k);
	while (m->heap_n) {
		uint32_t i = m->heap[0];
		const struct mm_heap_rec *r = source(m, i);

		if (r->ts > upto)
			break;
		if (!m->enc->nr_records)
			m->chunk_start = mono_ns();
		if (r->ts < m->enc->last_ts)
			m->tot.late++;
		mm_heap_enc_add(m->enc, r);
		m->tot.records += r->op != MM_OP_HELLO && r->op != MM_OP_LOST;
		if (m->enc->nr_records >= CHUNK_RECORDS && flush_chunk(m) < 0)
			return -1;
		if (advance(m, i, &since_tail))
			sift_down(m, 0);
		else if (--m->heap_n)
			m->heap[0] = m->heap[m->heap_n], sift_down(m, 0);
	}
	for (uint32_t i = 0; i < m->nr_rings; i++)
		if (m->rs[i].known)
			__atomic_store_n(&ring_at(m, i)->tail, m->rs[i].tail, __ATOMIC_RELEASE);
	return 0;
}

/* One pass over every ring; FINAL: take everything, the writers are done.
 * Returns the records taken, or -1. */
static long pass(struct mm_malloc *m, bool final)
{
	uint64_t before = m->tot.records;
	uint64_t now = mono_ns(), r = mm_malloc_clock(m->clock);
	uint64_t slack = SLACK_US * m->ticks_per_ms / 1000;
	uint64_t bound = r > slack ? r - slack : 0, no_ring;

	for (uint32_t i = 0; i < m->nr_rings; i++)
		look_at_ring(m, i, now, &bound);
	no_ring = __atomic_load_n(&m->area->no_ring, __ATOMIC_RELAXED);
	if (no_ring > m->no_ring_seen) {
		note_lost(m, 0, 0, no_ring - m->no_ring_seen, m->watermark);
		m->tot.no_ring += no_ring - m->no_ring_seen;
		m->no_ring_seen = no_ring;
	}
	if (bound > m->watermark)
		m->watermark = bound;
	if (merge_upto(m, final ? UINT64_MAX : m->watermark) < 0)
		return -1;
	__atomic_add_fetch(&m->area->passes, 1, __ATOMIC_RELEASE);
	if (!final && m->enc->nr_records && mono_ns() - m->chunk_start > CHUNK_MS * 1000000ull &&
	    flush_chunk(m) < 0)
		return -1;
	return (long)(m->tot.records - before);
}

static void *drain_main(void *arg)
{
	struct mm_malloc *m = arg;

	while (!m->stop) {
		uint32_t seq = __atomic_load_n(&m->area->wake, __ATOMIC_ACQUIRE);
		struct timespec ts = { 0, PASS_MS * 1000000l };

		if (pass(m, false) < 0)
			goto fail;
		__atomic_store_n(&m->area->sleeping, 1, __ATOMIC_RELEASE);
		if (!m->stop && __atomic_load_n(&m->area->wake, __ATOMIC_ACQUIRE) == seq)
			syscall(SYS_futex, &m->area->wake, FUTEX_WAIT, seq, &ts, NULL, 0);
		__atomic_store_n(&m->area->sleeping, 0, __ATOMIC_RELEASE);
	}
	return NULL;
fail:
	snprintf(m->err, sizeof(m->err), "%s", mm_error_msg());
	m->failed = true;
	return NULL;
}

int mm_malloc_start(struct mm_malloc *m, struct mm_out *out, uint16_t event_id, int level,
		    uint32_t subbuf_size)
{
	/* times to 32 TSC ticks or 16 ns (heapcodec.h) */
	m->hw = mm_heapw_start(out, event_id, level, subbuf_size,
			       m->clock == MM_RING_CLOCK_TSC ? 5 : 4);
	if (!m->hw)
		return -1;
	m->enc = mm_heapw_enc(m->hw);
	errno = pthread_create(&m->thread, NULL, drain_main, m);
	if (errno)
		return mm_error_errno("cannot start the malloc drain thread");
	m->started = true;
	return 0;
}

bool mm_malloc_failed(const struct mm_malloc *m)
{
	return m && m->failed;
}

/* Writers still in a call when the recording ends finish it: a few µs. */
#define FINAL_WAIT_MS 50

int mm_malloc_stop(struct mm_malloc *m, struct mm_malloc_totals *t)
{
	uint64_t end;

	if (!m || !m->started)
		return 0;
	__atomic_store_n(&m->area->closed, 1, __ATOMIC_RELEASE);
	m->stop = 1;
	__atomic_add_fetch(&m->area->wake, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &m->area->wake, FUTEX_WAKE, 1, NULL, NULL, 0);
	pthread_join(m->thread, NULL);
	m->started = false;
	if (m->failed)
		return mm_error("%s", m->err);
	/* let calls in flight commit, then take everything */
	end = mono_ns() + FINAL_WAIT_MS * 1000000ull;
	for (uint32_t i = 0; i < m->nr_rings; i++) {
		struct mm_ring *r = ring_at(m, i);
		while (__atomic_load_n(&r->busy, __ATOMIC_ACQUIRE) && mono_ns() < end)
			sched_yield();
	}
	if (pass(m, true) < 0 || mm_heapw_stop(m->hw, &m->tot.chunks) < 0)
		return -1;
	for (uint32_t i = 0; i < m->nr_rings; i++)
		if (m->rs[i].known)
			m->tot.waits += __atomic_load_n(&ring_at(m, i)->waits, __ATOMIC_RELAXED);
	*t = m->tot;
	return 0;
}

void mm_malloc_free(struct mm_malloc *m)
{
	if (!m)
		return;
	if (m->started) {
		m->stop = 1;
		if (m->area) {
			__atomic_store_n(&m->area->closed, 1, __ATOMIC_RELEASE);
			__atomic_add_fetch(&m->area->wake, 1, __ATOMIC_RELEASE);
			syscall(SYS_futex, &m->area->wake, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
		pthread_join(m->thread, NULL);
	}
	if (m->area) {
		__atomic_store_n(&m->area->closed, 1, __ATOMIC_RELEASE);
		munmap(m->area, m->size);
	}
	if (m->fd >= 0)
		close(m->fd);
	free(m->lost.v);
	free(m->rs);
	free(m->heap);
	mm_heapw_free(m->hw);
	free(m);
}
