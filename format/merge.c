/*
 * format/merge.c - pick the CPU whose next event is earliest.
 *
 * The stream merges one sorted run per CPU.  With the 2-8 CPUs of usual
 * machines a linear scan over a small key array beats any heap (no
 * branches mispredicted on sift, all keys in one cache line); a binary
 * heap takes over above MERGE_LINEAR_MAX so a 256-CPU trace costs log n,
 * not n, per event.  Ties go to the lower source index in both modes, so
 * the merged order is the same whichever mode runs.
 */
#include <stdlib.h>

#include "memmon.h"
#include "file.h"

#define MERGE_LINEAR_MAX 16

void mm_merge_init(struct mm_merge *m, uint32_t n)
{
	m->n = n;
	m->nr_live = 0;
	m->key = mm_calloc(n ? n : 1, sizeof(*m->key));
	m->live = mm_calloc(n ? n : 1, sizeof(*m->live));
	m->use_heap = n > MERGE_LINEAR_MAX;
	m->heap = m->use_heap ? mm_calloc(n, sizeof(*m->heap)) : NULL;
	m->pos = m->use_heap ? mm_calloc(n, sizeof(*m->pos)) : NULL;
}

void mm_merge_free(struct mm_merge *m)
{
	free(m->key);
	free(m->live);
	free(m->heap);
	free(m->pos);
}

static inline bool less(const struct mm_merge *m, uint32_t a, uint32_t b)
{
	return m->key[a] < m->key[b] || (m->key[a] == m->key[b] && a < b);
}

static void place(struct mm_merge *m, uint32_t slot, uint32_t src)
{
	m->heap[slot] = src;
	m->pos[src] = slot;
}

static void sift_up(struct mm_merge *m, uint32_t slot)
{
	uint32_t src = m->heap[slot];

	while (slot > 0) {
		uint32_t parent = (slot - 1) / 2;
		if (!less(m, src, m->heap[parent]))
			break;
		place(m, slot, m->heap[parent]);
		slot = parent;
	}
	place(m, slot, src);
}

static void sift_down(struct mm_merge *m, uint32_t slot)
{
	uint32_t src = m->heap[slot];

	for (;;) {
		uint32_t c = 2 * slot + 1;
		if (c >= m->nr_live)
			break;
		if (c + 1 < m->nr_live && less(m, m->heap[c + 1], m->heap[c]))
			c++;
		if (!less(m, m->heap[c], src))
			break;
		place(m, slot, m->heap[c]);
		slot = c;
	}
	place(m, slot, src);
}

void mm_merge_set(struct mm_merge *m, uint32_t i, uint64_t key)
{
	bool was_live = m->live[i];

	m->key[i] = key;
	m->live[i] = true;
	if (!m->use_heap) {
		m->nr_live += !was_live;
		return;
	}
	if (!was_live) {
		place(m, m->nr_live++, i);
		sift_up(m, m->pos[i]);
		return;
	}
	sift_up(m, m->pos[i]);
	sift_down(m, m->pos[i]);
}

void mm_merge_drop(struct mm_merge *m, uint32_t i)
{
	if (!m->live[i])
		return;
	m->live[i] = false;
	m->nr_live--;
	if (!m->use_heap)
		return;
	uint32_t slot = m->pos[i];
	if (slot == m->nr_live)
		return;
	uint32_t moved = m->heap[m->nr_live];
	place(m, slot, moved);
	sift_up(m, slot);
	sift_down(m, m->pos[moved]);
}

int mm_merge_top_runner(const struct mm_merge *m, int *runner)
{
	int best = -1, second = -1;

	*runner = -1;
	if (!m->nr_live || m->use_heap)
		return mm_merge_top(m);
	for (uint32_t i = 0; i < m->n; i++) {
		if (!m->live[i])
			continue;
		if (best < 0 || m->key[i] < m->key[best]) {
			second = best;
			best = i;
		} else if (second < 0 || m->key[i] < m->key[second]) {
			second = i;
		}
	}
	*runner = second;
	return best;
}

int mm_merge_top(const struct mm_merge *m)
{
	int best = -1;

	if (!m->nr_live)
		return -1;
	if (m->use_heap)
		return m->heap[0];
	for (uint32_t i = 0; i < m->n; i++)
		if (m->live[i] && (best < 0 || m->key[i] < m->key[best]))
			best = i;
	return best;
}
