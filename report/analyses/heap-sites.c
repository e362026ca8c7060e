/*
 * report/analyses/heap-sites.c - a process's malloc call sites as the
 * rows --leaks and --allocations print (heap-sites.h says what a site
 * is and how the rows are merged and ordered).
 *
 * Built once per process at the end, from copies of its sites: sorted by
 * name to merge and to sum each function's total, then into the order
 * printed.  Nothing here depends on pointer order, so the output is the
 * same run after run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/heap-sites.h"
#include "report/model/symbols.h"

static bool by_leaks;            /* qsort's comparators' key (one report, one view at a time) */

static uint64_t key(const struct mm_heap_row *r)
{
	return by_leaks ? r->s->leaked : r->s->bytes;
}

/* The function a row is in, or NULL (a group of its own). */
static const char *func_of(const struct mm_heap_row *r)
{
	return r->name && r->name->nr ? r->name->code[0].func : NULL;
}

static const char *module_of(const struct mm_heap_row *r)
{
	return r->name && r->name->nr ? r->name->code[0].module : NULL;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Same image, same name together (unnamed: by address). */
static int by_name(const void *a, const void *b)
{
	const struct mm_heap_row *x = a, *y = b;
	int c = cmp_u64(x->s->image, y->s->image);

	if (!c)
		c = cmp_u64(x->s->code, y->s->code);
	return c ? c : cmp_u64(x->s->site, y->s->site);
}

/* The rows of one function together (by its module's and its name). */
static int by_function(const void *a, const void *b)
{
	const struct mm_heap_row *x = a, *y = b;
	int c = (func_of(x) != NULL) - (func_of(y) != NULL);

	if (!c && func_of(x)) {
		c = cmp_str(module_of(x), module_of(y));
		if (!c)
			c = cmp_str(func_of(x), func_of(y));
	}
	return c ? c : cmp_u64(x->s->site, y->s->site);
}

static bool same_function(const struct mm_heap_row *x, const struct mm_heap_row *y)
{
	return func_of(x) && func_of(y) && !cmp_str(func_of(x), func_of(y)) &&
	       !cmp_str(module_of(x), module_of(y));
}

/* The printed order: functions most first, then their sites. */
static int by_total(const void *a, const void *b)
{
	const struct mm_heap_row *x = a, *y = b;

	if (x->group != y->group)
		return x->group > y->group ? -1 : 1;
	if (x->group_first != y->group_first)
		return cmp_u64(x->group_first, y->group_first);
	if (key(x) != key(y))
		return key(x) > key(y) ? -1 : 1;
	return cmp_u64(x->s->site, y->s->site);
}

/* Y's counters into X (the same call instruction at two addresses). */
static void merge(struct mm_heap_site *x, const struct mm_heap_site *y)
{
	for (uint64_t k = 0; k < y->leaks && x->leaks + k < MM_HEAP_FIRST; k++)
		x->first[x->leaks + k] = y->first[k];
	x->calls += y->calls;
	x->failed += y->failed;
	x->bytes += y->bytes;
	x->live += y->live;
	x->live_blocks += y->live_blocks;
	if (y->peak_live > x->peak_live)
		x->peak_live = y->peak_live;
	x->at_peak += y->at_peak;
	x->temporaries += y->temporaries;
	x->leaks += y->leaks;
	x->leaked += y->leaked;
	x->mmaps += y->mmaps;
	x->brks += y->brks;
	x->unmaps += y->unmaps;
	x->faults += y->faults;
	for (unsigned k = 0; k < MM_HEAP_HIST; k++)
		x->hist[k] += y->hist[k];
	if (y->site < x->site)
		x->site = y->site;
}

void mm_heap_rows_of(struct mm_heap_rows *r, const struct mm_heap *h, struct mm_as *as,
		     int32_t tgid, bool leaks)
{
	uint32_t nr, n = 0;
	const struct mm_heap_site *s = mm_heap_sites(h, &nr);

	for (uint32_t i = 0; i < r->nr; i++)
		free(r->v[i].sum);
	r->nr = 0;
	for (uint32_t i = 0; i < nr; i++) {
		if (s[i].tgid != tgid || !(leaks ? s[i].leaks : s[i].calls))
			continue;
		MM_GROW(r->v, r->nr, r->cap, 64);
		r->v[r->nr++] = (struct mm_heap_row){
			.s = &s[i], .name = as ? mm_as_stack(as, s[i].code) : NULL,
		};
	}
	by_leaks = leaks;
	qsort(r->v, r->nr, sizeof(*r->v), by_name);
	for (uint32_t i = 0; i < r->nr; i++) {
		struct mm_heap_row *last = n ? &r->v[n - 1] : NULL;
		if (last && r->v[i].name && last->name == r->v[i].name &&
		    last->s->image == r->v[i].s->image) {
			if (!last->sum) {
				last->sum = mm_malloc(sizeof(*last->sum));
				*last->sum = *last->s;
				last->s = last->sum;
			}
			merge(last->sum, r->v[i].s);
		} else
			r->v[n++] = r->v[i];
	}
	r->nr = n;
	qsort(r->v, r->nr, sizeof(*r->v), by_function);
	for (uint32_t i = 0, j; i < r->nr; i = j) {
		uint64_t total = 0;
		for (j = i; j < r->nr && (j == i || same_function(&r->v[i], &r->v[j])); j++)
			total += key(&r->v[j]);
		for (uint32_t k = i; k < j; k++) {
			r->v[k].group = total;
			r->v[k].group_first = r->v[i].s->site;  /* (by_function: the lowest) */
		}
	}
	qsort(r->v, r->nr, sizeof(*r->v), by_total);
}

void mm_heap_rows_free(struct mm_heap_rows *r)
{
	for (uint32_t i = 0; i < r->nr; i++)
		free(r->v[i].sum);
	free(r->v);
	*r = (struct mm_heap_rows){ 0 };
}

void mm_heap_row_site(const struct mm_heap_row *row, char *buf, size_t n)
{
	if (!mm_stack_top_format(row->name, buf, n))
		snprintf(buf, n, "%llx", (unsigned long long)row->s->site);
}
