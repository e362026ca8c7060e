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
 *
 * Processes recorded by uprobes instead (-p, static programs: uprobes.c)
 * are read in the same pass: their records wait in a queue sorted by time
 * (one more source of the merge) until the watermark passes them, and the
 * watermark stays UPROBE_SLACK behind the moment their buffers were read:
 * a sample is written by the trap that takes its time stamp.
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
#include "record/malloc-int.h"

#define PASS_MS        20              /* longest a record waits in a ring */
#define SLACK_US       20              /* see the watermark, above: a store in flight,
                                        * the TSCs of two CPUs */
#define STUCK_MS       50
#define CHUNK_MS       1000            /* a chunk is written at least this often */
#define DEAD_CHECK_MS  200             /* idle rings: is their thread still there? */
#define AREA_FD_MIN    700             /* the fd CMD inherits: above shells' own */
#define AHEAD_WORDS    32              /* words ahead of tail whose codec slots are fetched */
#define UPROBE_PASS_MS  5              /* their buffers hold ~20 ms of calls */

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
	m->heap = mm_calloc(nr_rings + 2, sizeof(*m->heap));
	pthread_mutex_init(&m->ups_lock, NULL);
	return m;
fail:
	mm_malloc_free(m);
	return NULL;
}

int mm_malloc_fd(const struct mm_malloc *m)
{
	return m->fd;
}

void mm_malloc_set_frames(struct mm_malloc *m, unsigned n)
{
	m->frames = n < MM_RING_MAX_FRAMES ? n : MM_RING_MAX_FRAMES;
	m->area->frames = m->frames;
	if (m->frames && !m->stacks)
		m->stacks = mm_heap_stacks_new();
}

/* Words of the record of OP at AT, its frames included (ring.h), with
 * AVAIL words committed from AT on; 0 when they make no sense.  *NF: the
 * frames' count, which follow its words at AT + *BASE + 1. */
static unsigned record_words(const struct mm_malloc *m, const uint64_t *d, uint64_t at,
			     uint64_t avail, unsigned op, unsigned *base, unsigned *nf)
{
	unsigned n = mm_ring_record_words(op);
	uint64_t k;

	*base = n;
	*nf = 0;
	if (!n || avail < n)
		return 0;
	if (!m->frames || !mm_ring_op_has_frames(op))
		return n;
	if (avail < n + 1u || (k = d[(at + n) & (m->ring_words - 1)]) > m->frames ||
	    avail < n + 1u + k)
		return 0;
	*nf = (unsigned)k;
	return n + 1 + (unsigned)k;
}

/* ---- reading a ring ---- */

/* Parse the record at S's tail into S->cur; false when there is none (a
 * ring whose words make no sense is skipped to its head). */
bool mm_ring_parse_cur(struct mm_malloc *m, uint32_t i, struct ring_state *s)
{
	const uint64_t *d = mm_ring_data(m, i);
	uint64_t mask = m->ring_words - 1, at = s->tail, w1;
	struct mm_heap_rec *c = &s->cur;
	unsigned op, n, base, nf;

	s->has_cur = false;
	if (at >= s->head)
		return false;
	w1 = d[(at + 1) & mask];
	op = (unsigned)(w1 >> 56);
	n = record_words(m, d, at, s->head - at, op, &base, &nf);
	if (!n) {
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
	if (nf) {                /* the site and its callers: a stack's id */
		uint64_t f[MM_RING_MAX_FRAMES];
		uint32_t id;
		for (unsigned k = 0; k < nf; k++)
			f[k] = d[(at + base + 1 + k) & mask];
		if (c->site && (id = mm_heap_stacks_intern(m->stacks, c->site, f, nf)))
			c->site = MM_HEAP_STACK_BIT | id;
	}
	if (c->ts < s->last_ts)
		c->ts = s->last_ts;      /* a signal handler's record, reserved first */
	s->cur_words = n;
	s->has_cur = true;
	return true;
}

/* Ask for the codec's table slots of the records just ahead of S's tail
 * (the merge takes them soon): the slots are the encoder's cache misses. */
void mm_ring_fetch_ahead(struct mm_malloc *m, uint32_t i, struct ring_state *s)
{
	const uint64_t *d = mm_ring_data(m, i);
	uint64_t mask = m->ring_words - 1;

	if (s->pf < s->tail)
		s->pf = s->tail;
	while (s->pf < s->head && s->pf < s->tail + AHEAD_WORDS) {
		uint64_t w1 = d[(s->pf + 1) & mask];
		unsigned op = (unsigned)(w1 >> 56), base, nf;
		unsigned n = record_words(m, d, s->pf, s->head - s->pf, op, &base, &nf);
		struct mm_heap_rec h = { .op = (uint8_t)op };

		if (!n)
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
	struct mm_ring *r = mm_ring_at(m, i);
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
		mm_ring_parse_cur(m, i, s);
	lost = __atomic_load_n(&r->lost, __ATOMIC_RELAXED);
	if (lost > s->lost_seen) {
		mm_malloc_note_lost(m, s->pid, s->tid, lost - s->lost_seen, s->last_ts > m->watermark ?
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
	mm_malloc_take_uprobes(m, &bound);
	no_ring = __atomic_load_n(&m->area->no_ring, __ATOMIC_RELAXED);
	if (no_ring > m->no_ring_seen) {
		mm_malloc_note_lost(m, 0, 0, no_ring - m->no_ring_seen, m->watermark);
		m->tot.no_ring += no_ring - m->no_ring_seen;
		m->no_ring_seen = no_ring;
	}
	if (bound > m->watermark)
		m->watermark = bound;
	if (mm_malloc_merge_upto(m, final ? UINT64_MAX : m->watermark) < 0 ||
	    (m->stacks && mm_heap_stacks_flush(m->stacks, m->out) < 0))
		return -1;
	__atomic_add_fetch(&m->area->passes, 1, __ATOMIC_RELEASE);
	if (!final && m->enc->nr_records && mono_ns() - m->chunk_start > CHUNK_MS * 1000000ull &&
	    mm_malloc_flush_chunk(m) < 0)
		return -1;
	return (long)(m->tot.records - before);
}

static void *drain_main(void *arg)
{
	struct mm_malloc *m = arg;

	while (!m->stop) {
		uint32_t seq = __atomic_load_n(&m->area->wake, __ATOMIC_ACQUIRE);
		/* uprobes write into buffers that do not wake us: a shorter pass */
		struct timespec ts = { 0, (__atomic_load_n(&m->nr_ups, __ATOMIC_RELAXED) ?
					   UPROBE_PASS_MS : PASS_MS) * 1000000l };

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
	m->out = out;
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
		struct mm_ring *r = mm_ring_at(m, i);
		while (__atomic_load_n(&r->busy, __ATOMIC_ACQUIRE) && mono_ns() < end)
			sched_yield();
	}
	if (pass(m, true) < 0 || mm_heapw_stop(m->hw, &m->tot.chunks) < 0)
		return -1;
	mm_malloc_close_uprobes(m);            /* the process traps no more */
	for (uint32_t i = 0; i < m->nr_rings; i++)
		if (m->rs[i].known)
			m->tot.waits += __atomic_load_n(&mm_ring_at(m, i)->waits, __ATOMIC_RELAXED);
	m->tot.stacks = mm_heap_stacks_count(m->stacks, &m->tot.stacks_full);
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
	mm_malloc_close_uprobes(m);
	pthread_mutex_destroy(&m->ups_lock);
	free(m->ups);
	free(m->uq);
	free(m->uq_tmp);
	free(m->lost.v);
	free(m->rs);
	free(m->heap);
	mm_heapw_free(m->hw);
	mm_heap_stacks_free(m->stacks);
	free(m);
}
