/*
 * report/model/stacks.c - the stacks the memory syscalls were made from,
 * resolved and interned (symbols.h: mm_as_stack_intern).
 *
 * A frame is resolved in the calling process's map at the moment of the
 * call (a library unloaded later still names its frames).  Return
 * addresses (every frame after the first) are looked up one byte back, at
 * the call instruction: a call that ends a function returns past it.
 * The walk follows frame pointers, and a value that is no frame pointer
 * (in code that keeps none) leads to garbage: the stack is cut at the
 * first frame outside executable code.  Identical resolved stacks are
 * one: an id per distinct stack, whichever process made it.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/as-int.h"
#include "report/model/symbols.h"

static uint64_t hash_stack(const struct mm_stack *s)
{
	uint64_t h = 1469598103934665603ull;

	for (unsigned i = 0; i < s->nr; i++) {
		const struct mm_code *c = &s->code[i];
		uint64_t parts[4] = { (uintptr_t)c->module, (uintptr_t)c->func, c->off,
				      (uintptr_t)c->special };
		for (int k = 0; k < 4; k++)
			h = (h ^ parts[k]) * 1099511628211ull;
	}
	return h ^ s->nr;
}

static bool same_code(const struct mm_code *a, const struct mm_code *b)
{
	return a->module == b->module && a->func == b->func && a->off == b->off &&
	       a->special == b->special && a->in_object == b->in_object;
}

static bool same_stack(const struct mm_stack *a, const struct mm_stack *b)
{
	if (a->nr != b->nr)
		return false;
	for (unsigned i = 0; i < a->nr; i++)
		if (!same_code(&a->code[i], &b->code[i]))
			return false;
	return true;
}

static void rehash(struct as_stacks *t)
{
	size_t cap = t->hcap ? 2 * t->hcap : 256;

	free(t->hash);
	t->hash = mm_calloc(cap, sizeof(*t->hash));
	t->hcap = cap;
	for (size_t i = 0; i < t->n; i++) {
		size_t h = hash_stack(t->v[i]) & (cap - 1);
		while (t->hash[h])
			h = (h + 1) & (cap - 1);
		t->hash[h] = t->v[i]->id;
	}
}

/*
 * The functions a thread's stack starts in (glibc's): the walk ends at
 * them, and that they keep no frame pointer loses nothing anyone asks
 * for (their caller is _start or clone), so the outermost frame in one
 * is no gap and makes no stack shallow.
 */
static bool thread_entry(const char *func)
{
	static const char *const entries[] = {
		"__libc_start_call_main", "__libc_start_main", "__libc_start_main_impl",
		"start_thread", "clone", "clone3", "_start",
	};

	for (size_t i = 0; func && i < sizeof(entries) / sizeof(entries[0]); i++)
		if (!strcmp(func, entries[i]))
			return true;
	return false;
}

/* Is the code at ADDR executable (a frame can be there)? */
static bool code_at(const struct mm_as_proc *p, uint64_t addr)
{
	const struct mm_region *r = mm_as_lookup(p, addr);
	return r && (r->prot & MM_PROT_X);
}

uint32_t mm_as_stack_intern(struct mm_as *as, const struct mm_as_proc *p,
			    const uint64_t *frames, unsigned n)
{
	struct as_stacks *t = &as->stacks;
	struct mm_stack s = { 0 };

	if (n > MM_MAX_FRAMES)
		n = MM_MAX_FRAMES;
	for (unsigned i = 0; i < n; i++) {
		uint64_t at = i ? frames[i] - 1 : frames[i];
		if (!p || !code_at(p, at))
			break;
		mm_as_code(as, p, at, &s.code[s.nr]);
		if (i)
			s.code[s.nr].off++;          /* shown as the return address */
		s.pc[s.nr++] = frames[i];
	}
	if (!s.nr)
		return 0;
	if (s.nr > 1 && thread_entry(s.code[s.nr - 1].func))
		s.code[s.nr - 1].no_fp = false;
	for (unsigned i = 0; i < s.nr; i++)
		s.shallow |= s.code[i].no_fp;
	if ((t->n + 1) * 2 > t->hcap)
		rehash(t);
	size_t h = hash_stack(&s) & (t->hcap - 1);
	for (; t->hash[h]; h = (h + 1) & (t->hcap - 1))
		if (same_stack(t->v[t->hash[h] - 1], &s))
			return t->hash[h];
	MM_GROW(t->v, t->n, t->cap, 64);
	s.id = (uint32_t)t->n + 1;
	t->v[t->n] = mm_malloc(sizeof(s));
	*t->v[t->n++] = s;
	t->hash[h] = s.id;
	return s.id;
}

void mm_stack_count(struct mm_stack_counts *c, const struct mm_stack *st)
{
	if (!st)
		return;
	c->with_stack++;
	if (!st->shallow)
		return;
	c->shallow++;
	for (unsigned i = 0; i < st->nr; i++) {
		const char *m = st->code[i].module;
		unsigned k = 0;
		if (!st->code[i].no_fp || !m)
			continue;
		while (k < c->nr_no_fp && c->no_fp[k] != m)
			k++;
		if (k == c->nr_no_fp && k < MM_STACK_NOFP_MAX)
			c->no_fp[c->nr_no_fp++] = m;
	}
}

const struct mm_stack *mm_as_stack(const struct mm_as *as, uint32_t id)
{
	return id && id <= as->stacks.n ? as->stacks.v[id - 1] : NULL;
}

uint32_t mm_as_current_stack(const struct mm_as *as)
{
	return as->stacks.current;
}

void as_stacks_free(struct mm_as *as)
{
	for (size_t i = 0; i < as->stacks.n; i++)
		free(as->stacks.v[i]);
	free(as->stacks.v);
	free(as->stacks.hash);
}
