/*
 * report/model/demangle.c - C++ and Rust function names as their source
 * spells them.
 *
 * The trace stores symbols as the compiler mangled them
 * (_ZN4pool5Arena4growEm); report names them pool::Arena::grow(unsigned
 * long), as perf, gdb and heaptrack do (--no-demangle: as stored).
 * libiberty's demangler, binutils' and gdb's, knows the Itanium C++ ABI and
 * both Rust manglings (legacy, whose hash it drops, and v0): a hand-written
 * one would not keep up with either.
 *
 * Each name is demangled once, the first time code is found in it, and
 * kept for the model's life, keyed by the stored name's address (symbols
 * live as long as the file).  Names are hostile input like the rest of the
 * file: one longer than MAX_MANGLED, or that the demangler refuses, is
 * shown as stored; libiberty bounds its own recursion.
 */
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>

#include "memmon.h"
#include "report/model/as-int.h"

#define MAX_MANGLED 4096

static bool mangled(const char *s)
{
	return s[0] == '_' && (s[1] == 'Z' || s[1] == 'R') && s[2];
}

static size_t slot_of(const struct as_demangled *d, const char *key)
{
	uintptr_t h = (uintptr_t)key;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return (h >> 20) & (d->cap - 1);
}

static void grow(struct as_demangled *d)
{
	struct as_demangled n = { .cap = d->cap ? 2 * d->cap : 256, .off = d->off };

	n.key = mm_calloc(n.cap, sizeof(*n.key));
	n.val = mm_calloc(n.cap, sizeof(*n.val));
	for (size_t i = 0; i < d->cap; i++) {
		if (!d->key[i])
			continue;
		size_t j = slot_of(&n, d->key[i]);
		while (n.key[j])
			j = (j + 1) & (n.cap - 1);
		n.key[j] = d->key[i];
		n.val[j] = d->val[i];
	}
	n.n = d->n;
	free(d->key);
	free(d->val);
	*d = n;
}

const char *as_demangle(struct mm_as *as, const char *name)
{
	struct as_demangled *d = &as->demangled;
	size_t i;

	if (d->off || !name || !mangled(name))
		return name;
	if (2 * (d->n + 1) > d->cap)
		grow(d);
	for (i = slot_of(d, name); d->key[i]; i = (i + 1) & (d->cap - 1))
		if (d->key[i] == name)
			return d->val[i] ? d->val[i] : name;
	d->key[i] = name;
	d->val[i] = strnlen(name, MAX_MANGLED + 1) > MAX_MANGLED ? NULL :
		    cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
	d->n++;
	return d->val[i] ? d->val[i] : name;
}

void mm_as_set_demangle(struct mm_as *as, bool on)
{
	if (as)
		as->demangled.off = !on;
}

void as_demangle_free(struct mm_as *as)
{
	struct as_demangled *d = &as->demangled;

	for (size_t i = 0; i < d->cap; i++)
		free(d->val[i]);	/* libiberty's malloc() */
	free(d->key);
	free(d->val);
	memset(d, 0, sizeof(*d));
}
