/*
 * report/analyses/regions.c - region rows in order and process totals,
 * read off a finished model (regions.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "plugins/symbolic.h"
#include "report/analyses/regions.h"

int mm_regions_parse_sort(const char *key, enum mm_regions_sort *sort)
{
	if (!key || !strcmp(key, "addr") || !strcmp(key, "address"))
		*sort = MM_SORT_ADDR;
	else if (!strcmp(key, "size"))
		*sort = MM_SORT_SIZE;
	else if (!strcmp(key, "faults"))
		*sort = MM_SORT_FAULTS;
	else
		return mm_error("--sort %s: the sort key is size, faults or addr", key);
	return 0;
}

/* ---- a process's regions in order ---- */

static int collect(void *ctx, struct mm_region *r)
{
	struct mm_region_rows *s = ctx;
	MM_GROW(s->r, s->n, s->cap, 64);
	s->r[s->n++] = r;
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->created.ts != y->created.ts)
		return x->created.ts < y->created.ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_size(const void *a, const void *b)
{
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	if (mm_region_size(x) != mm_region_size(y))
		return mm_region_size(x) > mm_region_size(y) ? -1 : 1;
	return cmp_addr(a, b);
}

static int cmp_faults(const void *a, const void *b)
{
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	if (x->nr_faults != y->nr_faults)
		return x->nr_faults > y->nr_faults ? -1 : 1;
	return cmp_size(a, b);
}

void mm_region_rows(const struct mm_as_proc *p, enum mm_regions_sort sort,
		    struct mm_region_rows *s)
{
	memset(s, 0, sizeof(*s));
	mm_as_foreach_region(p, collect, s);
	if (s->n > 1)	/* s->r is NULL for a process without regions */
		qsort(s->r, s->n, sizeof(*s->r),
		      sort == MM_SORT_SIZE ? cmp_size : sort == MM_SORT_FAULTS ? cmp_faults : cmp_addr);
}

/* ---- a process's totals ---- */

static int add_region(void *ctx, struct mm_region *r)
{
	struct mm_proc_totals *t = ctx;
	t->regions++;
	t->nr_faults += r->nr_faults;
	t->touched += r->nr_touched;
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			t->faults[c] += r->faults[c][a];
	return 0;
}

void mm_proc_totals(const struct mm_as_proc *p, struct mm_proc_totals *t)
{
	memset(t, 0, sizeof(*t));
	mm_as_foreach_region(p, add_region, t);
	t->nr_faults += p->nr_unknown;
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			t->faults[c] += p->unknown_faults[c][a];
}

double mm_proc_lifetime_s(const struct mm_as *as, const struct mm_as_proc *p)
{
	uint64_t begin = p->first_ts > mm_as_t0(as) ? p->first_ts : mm_as_t0(as);
	uint64_t end = p->exited ? p->exit_ts : mm_as_end(as);
	return end > begin ? (double)(end - begin) / 1e9 : 0.0;
}

void mm_proc_ending(const struct mm_as_proc *p, char *buf, size_t len)
{
	if (p->killed_by) {
		char sig[32];
		*mm_sym_signal(sig, p->killed_by) = '\0';
		snprintf(buf, len, "killed by %s", sig);
	} else if (p->have_exit_code) {
		snprintf(buf, len, "exit status %d", (int)p->exit_code);
	} else {
		snprintf(buf, len, "%s", p->exited ? "exited" : "still running");
	}
}

size_t mm_proc_calls_by_count(const struct mm_as_proc *p, int order[MM_SYS_NR])
{
	const uint64_t *count = p->nr_syscalls;
	bool used[MM_SYS_NR] = { false };
	size_t n = 0;
	for (;;) {
		int best = -1;
		for (int i = 0; i < MM_SYS_NR; i++)
			if (!used[i] && count[i] && (best < 0 || count[i] > count[best]))
				best = i;
		if (best < 0)
			return n;
		used[best] = true;
		order[n++] = best;
	}
}
