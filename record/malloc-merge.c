/*
 * record/malloc-merge.c - record --malloc's merge (malloc.c says how the
 * drain works): the records of every source, in time order, into the heap
 * codec's encoder.  The sources are the rings (read where the writers put
 * them), the LOST queue (records lost, which no ring carries) and the
 * uprobes' queue (the records of processes recorded by uprobes, sorted by
 * time as they are read).
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "record/malloc-int.h"

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
void mm_malloc_note_lost(struct mm_malloc *m, int32_t pid, int32_t tid, uint64_t n, uint64_t ts)
{
	struct mm_heap_rec r = { .ts = ts, .op = MM_OP_LOST, .size = n, .tid = tid, .tgid = pid };

	if (m->lost.n && ts < m->lost.v[(m->lost.head + m->lost.n - 1) & (m->lost.cap - 1)].ts)
		r.ts = m->lost.v[(m->lost.head + m->lost.n - 1) & (m->lost.cap - 1)].ts;
	q_push(&m->lost, &r);
	m->tot.lost += n;
}

/* ---- the uprobes' queue ---- */

int mm_malloc_add_uprobes(struct mm_malloc *m, struct mm_uprobes *u)
{
	if (m->clock != MM_RING_CLOCK_MONO) {
		mm_uprobes_close(u);
		return mm_error("uprobes need the records' clock to be CLOCK_MONOTONIC");
	}
	pthread_mutex_lock(&m->ups_lock);
	MM_GROW(m->ups, m->nr_ups, m->cap_ups, 4);
	m->ups[m->nr_ups++] = u;
	pthread_mutex_unlock(&m->ups_lock);
	return 0;
}

static void uq_push(void *ctx, const struct mm_heap_rec *r)
{
	struct mm_malloc *m = ctx;

	if (m->uq_head && m->uq_n == m->uq_cap) {         /* reuse what was taken */
		memmove(m->uq, m->uq + m->uq_head, (m->uq_n - m->uq_head) * sizeof(*m->uq));
		m->uq_n -= m->uq_head;
		m->uq_head = 0;
	}
	MM_GROW(m->uq, m->uq_n, m->uq_cap, 1024);
	m->uq[m->uq_n++] = *r;
	if (r->op == MM_OP_LOST)
		m->tot.lost += r->size;
	else if (r->op != MM_OP_HELLO)
		m->tot.uprobes++;
}

/* Sort V[0, N) by time, keeping the order of equal times (a thread's
 * HELLO before its first call): a merge sort through TMP. */
static void sort_by_ts(struct mm_heap_rec *v, struct mm_heap_rec *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2, i = 0, j = h, k = 0;
	sort_by_ts(v, tmp, h);
	sort_by_ts(v + h, tmp, n - h);
	if (v[h - 1].ts <= v[h].ts)
		return;
	while (i < h && j < n)
		tmp[k++] = v[j].ts < v[i].ts ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	memcpy(v, tmp, k * sizeof(*v));
}

/* Read every process's uprobe buffers into the queue; lower *BOUND to
 * what they may still produce. */
void mm_malloc_take_uprobes(struct mm_malloc *m, uint64_t *bound)
{
	pthread_mutex_lock(&m->ups_lock);
	if (!m->nr_ups) {
		pthread_mutex_unlock(&m->ups_lock);
		return;
	}
	uint64_t read_at = mm_mono_ns(), slack = UPROBE_SLACK_US * 1000ull;
	for (size_t i = 0; i < m->nr_ups; i++)
		mm_uprobes_read(m->ups[i], uq_push, m);
	pthread_mutex_unlock(&m->ups_lock);
	size_t n = m->uq_n - m->uq_head;
	if (m->uq_tmp_cap < n) {
		free(m->uq_tmp);
		m->uq_tmp_cap = n;
		m->uq_tmp = mm_malloc(n * sizeof(*m->uq_tmp));
	}
	sort_by_ts(m->uq + m->uq_head, m->uq_tmp, n);
	if (read_at - slack < *bound)
		*bound = read_at > slack ? read_at - slack : 0;
}

void mm_malloc_close_uprobes(struct mm_malloc *m)
{
	pthread_mutex_lock(&m->ups_lock);
	for (size_t i = 0; i < m->nr_ups; i++)
		mm_uprobes_close(m->ups[i]);
	m->nr_ups = 0;
	pthread_mutex_unlock(&m->ups_lock);
}

/* ---- the merge into the encoder ---- */

/* Sources of the merge: the rings, then the LOST queue (nr_rings), then
 * the uprobes' queue (nr_rings + 1). */
static inline const struct mm_heap_rec *source(const struct mm_malloc *m, uint32_t i)
{
	return i < m->nr_rings ? &m->rs[i].cur : i == m->nr_rings ? &m->lost.v[m->lost.head] :
	       &m->uq[m->uq_head];
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

int mm_malloc_flush_chunk(struct mm_malloc *m)
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
	if (i == m->nr_rings + 1)
		return ++m->uq_head < m->uq_n;
	struct ring_state *s = &m->rs[i];
	struct mm_ring *r = mm_ring_at(m, i);

	s->last_ts = s->cur.ts;
	s->tail += s->cur_words;
	if (++*since_tail >= TAIL_EVERY || s->tail == s->head) {
		__atomic_store_n(&r->tail, s->tail, __ATOMIC_RELEASE);
		*since_tail = 0;
	}
	if (!mm_ring_parse_cur(m, i, s))
		return false;
	mm_ring_fetch_ahead(m, i, s);
	return true;
}

/* Every record up to UPTO, in time order, into the encoder. */
int mm_malloc_merge_upto(struct mm_malloc *m, uint64_t upto)
{
	unsigned since_tail = 0;

	m->heap_n = 0;
	for (uint32_t i = 0; i < m->nr_rings; i++)
		if (m->rs[i].known && m->rs[i].has_cur)
			m->heap[m->heap_n++] = i;
	if (m->lost.n)
		m->heap[m->heap_n++] = m->nr_rings;
	if (m->uq_head < m->uq_n)
		m->heap[m->heap_n++] = m->nr_rings + 1;
	for (uint32_t k = m->heap_n / 2; k-- > 0;)
		sift_down(m, k);
	while (m->heap_n) {
		uint32_t i = m->heap[0];
		const struct mm_heap_rec *r = source(m, i);

		if (r->ts > upto)
			break;
		if (!m->enc->nr_records)
			m->chunk_start = mm_mono_ns();
		if (r->ts < m->enc->last_ts)
			m->tot.late++;
		mm_heap_enc_add(m->enc, r);
		m->tot.records += r->op != MM_OP_HELLO && r->op != MM_OP_LOST;
		if (m->enc->nr_records >= CHUNK_RECORDS && mm_malloc_flush_chunk(m) < 0)
			return -1;
		if (advance(m, i, &since_tail))
			sift_down(m, 0);
		else if (--m->heap_n)
			m->heap[0] = m->heap[m->heap_n], sift_down(m, 0);
	}
	for (uint32_t i = 0; i < m->nr_rings; i++)
		if (m->rs[i].known)
			__atomic_store_n(&mm_ring_at(m, i)->tail, m->rs[i].tail, __ATOMIC_RELEASE);
	return 0;
}

