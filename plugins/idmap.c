/*
 * plugins/idmap.c - a u32-keyed open-addressing hash of small fixed-size
 * values (per-task decoder state by tid, last rss_stat values by mm_id).
 *
 * Linear probing over a power-of-two table kept at most half full: one or
 * two probes per lookup on the per-event path, no allocation per lookup,
 * no deletion (a trace has a bounded number of tasks; an exiting task's
 * entry is simply reset and reused if its tid comes back).
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "plugin.h"

#define IDMAP_MIN_CAP 64

static size_t slot_of(uint32_t key, size_t cap)
{
	/* Fibonacci hashing: tids are dense and sequential, mm_ids are not. */
	return (size_t)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static void alloc_table(struct mm_idmap *m, size_t cap)
{
	m->cap = cap;
	m->keys = mm_malloc(cap * sizeof(*m->keys));
	memset(m->keys, 0xff, cap * sizeof(*m->keys));   /* all MM_IDMAP_EMPTY */
	m->vals = mm_calloc(cap, m->val_size);
}

void mm_idmap_init(struct mm_idmap *m, size_t val_size)
{
	m->val_size = val_size;
	m->used = 0;
	alloc_table(m, IDMAP_MIN_CAP);
}

void mm_idmap_free(struct mm_idmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->used = 0;
}

static size_t probe(const struct mm_idmap *m, uint32_t key)
{
	size_t i = slot_of(key, m->cap);
	while (m->keys[i] != MM_IDMAP_EMPTY && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void grow(struct mm_idmap *m)
{
	struct mm_idmap old = *m;
	alloc_table(m, old.cap * 2);
	for (size_t i = 0; i < old.cap; i++) {
		if (old.keys[i] == MM_IDMAP_EMPTY)
			continue;
		size_t j = probe(m, (uint32_t)old.keys[i]);
		m->keys[j] = old.keys[i];
		memcpy(m->vals + j * m->val_size, old.vals + i * m->val_size, m->val_size);
	}
	free(old.keys);
	free(old.vals);
}

void mm_idmap_reserve(struct mm_idmap *m, size_t n)
{
	while ((m->used + n) * 2 > m->cap)
		grow(m);
}

void *mm_idmap_get(struct mm_idmap *m, uint32_t key)
{
	size_t i = probe(m, key);
	if (m->keys[i] == MM_IDMAP_EMPTY) {
		if ((m->used + 1) * 2 > m->cap) {
			/* Callers reserve first; growing here is only a safety net
			 * for a caller that did not (values may move). */
			grow(m);
			i = probe(m, key);
		}
		m->keys[i] = key;
		m->used++;
	}
	return m->vals + i * m->val_size;
}

void *mm_idmap_find(const struct mm_idmap *m, uint32_t key)
{
	size_t i = probe(m, key);
	return m->keys[i] == MM_IDMAP_EMPTY ? NULL : m->vals + i * m->val_size;
}
