/*
 * report/model/mapscheck.c - the END check: a process's rebuilt map
 * against the maps snapshot taken just before it exited, region by region.
 * Both sides are first normalised to what maps can show (neighbours maps
 * shows merged are joined, the names of anonymous memory made equal), so a
 * difference is a real one; each is kept in p->diffs for --check-maps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/as-int.h"
#include "report/model/mapsfile.h"

/* What the check compares: maps' view of a range, after merging the
 * neighbours maps would show merged or we keep apart. */
struct norm {
	uint64_t start, end, offset;
	uint8_t prot;
	bool shared, file;
	const char *label;
};

static const char *norm_label(const char *name, bool shared)
{
	/* unnamed, named anon, and shared anon all mean "anonymous" */
	if (!strncmp(name, "[anon:", 6) || !strncmp(name, "[anon_shmem:", 12) ||
	    (shared && !strcmp(name, "/dev/zero (deleted)")))
		return "";
	return name;
}

static bool norm_joins(const struct norm *a, const struct norm *b)
{
	return a->end == b->start && a->prot == b->prot && a->shared == b->shared &&
	       a->file == b->file && !strcmp(a->label, b->label) &&
	       (!a->file || a->offset + (a->end - a->start) == b->offset);
}

static bool norm_same(const struct norm *a, const struct norm *b)
{
	return a->prot == b->prot && a->shared == b->shared && a->file == b->file &&
	       !strcmp(a->label, b->label) && (!a->file || a->offset == b->offset);
}

static void norm_push(struct norm **v, size_t *n, size_t *cap, const struct norm *x)
{
	if (*n && norm_joins(&(*v)[*n - 1], x)) {
		(*v)[*n - 1].end = x->end;
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = mm_realloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = *x;
}

static void norm_text(const struct norm *x, char *buf, size_t len)
{
	snprintf(buf, len, "%llx-%llx %c%c%c%c %08llx %s",
		 (unsigned long long)x->start, (unsigned long long)x->end,
		 x->prot & MM_PROT_R ? 'r' : '-', x->prot & MM_PROT_W ? 'w' : '-',
		 x->prot & MM_PROT_X ? 'x' : '-', x->shared ? 's' : 'p',
		 (unsigned long long)(x->file ? x->offset : 0), x->label);
}

static void add_diff(struct mm_as_proc *p, enum mm_diff_kind kind,
		     const struct norm *want, const struct norm *got)
{
	MM_GROW(p->diffs, p->nr_diffs, p->cap_diffs, 16);
	struct mm_maps_diff *d = &p->diffs[p->nr_diffs++];
	const struct norm *x = want ? want : got;
	memset(d, 0, sizeof(*d));
	d->tgid = p->tgid;
	d->kind = (uint8_t)kind;
	d->start = x->start;
	d->end = x->end;
	if (want)
		norm_text(want, d->want, sizeof(d->want));
	if (got)
		norm_text(got, d->got, sizeof(d->got));
}

static void compare_norm(struct mm_as_proc *p, const struct norm *w, size_t nw,
			 const struct norm *g, size_t ng)
{
	size_t i = 0, k = 0;
	while (i < nw || k < ng) {
		if (k == ng || (i < nw && w[i].end <= g[k].start)) {
			add_diff(p, MM_DIFF_MISSING, &w[i++], NULL);
		} else if (i == nw || g[k].end <= w[i].start) {
			add_diff(p, MM_DIFF_EXTRA, NULL, &g[k++]);
		} else if (w[i].start == g[k].start && w[i].end == g[k].end) {
			if (!norm_same(&w[i], &g[k]))
				add_diff(p, MM_DIFF_ATTR, &w[i], &g[k]);
			i++, k++;
		} else if (w[i].end <= g[k].end) {      /* overlap, different bounds */
			add_diff(p, MM_DIFF_MISSING, &w[i++], NULL);
		} else {
			add_diff(p, MM_DIFF_EXTRA, NULL, &g[k++]);
		}
	}
}

int mm_as_check(struct mm_as *as, struct mm_as_proc *p, const char *text)
{
	struct mm_maps m;
	struct norm *w = NULL, *g = NULL;
	size_t nw = 0, cw = 0, ng = 0, cg = 0;

	if (mm_maps_parse(text, strlen(text), &m) < 0)
		return -1;
	as_learn_names(as, p, &m);
	as_propagate_names(p);
	for (size_t i = 0; i < m.n; i++) {
		const struct mm_maps_entry *e = &m.e[i];
		const char *label = norm_label(e->name, e->shared);
		struct norm x = { e->start, e->end, e->offset, e->prot, e->shared,
				  label[0] && label[0] != '[', label };
		norm_push(&w, &nw, &cw, &x);
	}
	for (size_t i = 0; i < p->nr_map; i++) {
		const struct mm_region *r = p->map[i];
		const char *label = norm_label(mm_region_label(r), r->flags & MM_REG_SHARED);
		struct norm x = { r->start, r->end, r->offset, r->prot,
				  r->flags & MM_REG_SHARED, label[0] && label[0] != '[', label };
		norm_push(&g, &ng, &cg, &x);
	}
	p->nr_diffs = 0;
	p->checked = true;
	p->nr_checked = nw;
	compare_norm(p, w, nw, g, ng);
	free(w);
	free(g);
	mm_maps_free(&m);
	return 0;
}

