/*
 * record/malloc-stacks.c - the stacks of record --malloc's allocations
 * (the interposer's frames, record/interposer/ring.h), each kept once:
 * a record names its stack by id in its site field (format/layout.h:
 * MM_HEAP_STACK_BIT), and the stacks go to the file in HEAP_STACKS
 * sections, the new ones after each drain pass.
 *
 * Why ids: a program allocates from a few thousand places, millions of
 * times; eight addresses a call would be most of the file.  The heap
 * codec then codes an id like any site, as an index into its table.
 *
 * The table is bounded (MM_MAX_HEAP_STACKS, what a reader accepts):
 * past it a new stack's calls keep their site only, counted in "full".
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/writer.h"
#include "record/malloc-int.h"

struct mm_heap_stacks {
	struct mm_heap_stack *v;
	uint32_t n, cap;
	uint32_t *tab;           /* open addressing: id, 0 empty */
	uint32_t mask;
	uint32_t written;        /* stacks [0, written) are in the file */
	uint64_t full;
};

static uint64_t hash(const struct mm_heap_stack *s)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ s->nr;

	for (unsigned i = 0; i < s->nr; i++) {
		h ^= s->pc[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static bool same(const struct mm_heap_stack *a, const struct mm_heap_stack *b)
{
	return a->nr == b->nr && !memcmp(a->pc, b->pc, a->nr * sizeof(a->pc[0]));
}

struct mm_heap_stacks *mm_heap_stacks_new(void)
{
	struct mm_heap_stacks *t = mm_calloc(1, sizeof(*t));

	t->mask = 1023;
	t->tab = mm_calloc(t->mask + 1, sizeof(*t->tab));
	return t;
}

static void grow(struct mm_heap_stacks *t)
{
	free(t->tab);
	t->mask = t->mask * 2 + 1;
	t->tab = mm_calloc(t->mask + 1, sizeof(*t->tab));
	for (uint32_t k = 0; k < t->n; k++) {
		uint32_t j = (uint32_t)hash(&t->v[k]) & t->mask;
		while (t->tab[j])
			j = (j + 1) & t->mask;
		t->tab[j] = k + 1;
	}
}

uint32_t mm_heap_stacks_intern(struct mm_heap_stacks *t, uint64_t site, const uint64_t *f,
			       unsigned nf)
{
	struct mm_heap_stack s = { .nr = (uint8_t)(1 + nf) };
	uint32_t i;

	s.pc[0] = site;
	memcpy(s.pc + 1, f, nf * sizeof(*f));
	for (i = (uint32_t)hash(&s) & t->mask; t->tab[i]; i = (i + 1) & t->mask)
		if (same(&t->v[t->tab[i] - 1], &s))
			return t->tab[i];
	if (t->n >= MM_MAX_HEAP_STACKS) {
		t->full++;
		return 0;
	}
	MM_GROW(t->v, t->n, t->cap, 256);
	t->v[t->n] = s;
	t->tab[i] = ++t->n;
	if (2 * t->n > t->mask)
		grow(t);
	return t->n;
}

int mm_heap_stacks_flush(struct mm_heap_stacks *t, struct mm_out *o)
{
	int ret;

	if (t->written == t->n)
		return 0;
	pthread_mutex_lock(&o->lock);
	ret = mm_writer_heap_stacks(o->w, t->written + 1, t->v + t->written, t->n - t->written);
	pthread_mutex_unlock(&o->lock);
	if (ret == 0)
		t->written = t->n;
	return ret;
}

uint32_t mm_heap_stacks_count(const struct mm_heap_stacks *t, uint64_t *full)
{
	*full = t ? t->full : 0;
	return t ? t->n : 0;
}

void mm_heap_stacks_free(struct mm_heap_stacks *t)
{
	if (!t)
		return;
	free(t->v);
	free(t->tab);
	free(t);
}
