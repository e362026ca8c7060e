/*
 * report/analyses/profile.c - a trace summed up per process for `memmon
 * diff` (profile.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/findings.h"
#include "report/analyses/profile.h"
#include "report/analyses/timeline.h"
#include "report/model/addrspace.h"

static int cmp_regions(const void *a, const void *b)
{
	return strcmp(((const struct mm_profile_regions *)a)->key,
		      ((const struct mm_profile_regions *)b)->key);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The group of region R in P (P's groups are unsorted while built). */
static struct mm_profile_regions *group_of(struct mm_profile_proc *p, size_t *cap,
					   const struct mm_region *r)
{
	const char *label = mm_region_label(r);
	char key[4200];
	snprintf(key, sizeof(key), "%s%s%s", mm_backing_name(r->backing), label[0] ? " " : "",
		 label);
	for (size_t i = 0; i < p->nr_regions; i++)
		if (!strcmp(p->regions[i].key, key))
			return &p->regions[i];
	MM_GROW(p->regions, p->nr_regions, *cap, 8);
	p->regions[p->nr_regions] = (struct mm_profile_regions){ .key = mm_strdup(key) };
	return &p->regions[p->nr_regions++];
}

struct walk {
	struct mm_profile_proc *p;
	size_t cap;
};

static int add_region(void *ctx, struct mm_region *r)
{
	struct walk *w = ctx;
	struct mm_profile_regions *g = group_of(w->p, &w->cap, r);
	if (r->id == r->origin_id) {   /* the first piece of a lineage */
		g->made++;
		g->bytes += mm_region_size(r);
	}
	if (mm_region_live(r) || r->ended.how == MM_HOW_EXIT)
		g->end_bytes += mm_region_size(r);
	g->faults += r->nr_faults;
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			w->p->faults[c][a] += r->faults[c][a];
	w->p->kernel_faults += r->kernel_faults;
	return 0;
}

/* The peaks of the process's last program image: rows that began after
 * its last exec, and the end values of the row the exec fell in (before
 * it the counters are the old image's: for `record -- CMD`, memmon's own
 * held copy, megabytes under ASan). */
static void peaks(struct mm_profile_proc *pp, const struct mm_timeline *tl, uint64_t exec_ts)
{
	for (size_t i = 0; tl && i < mm_timeline_nr_procs(tl); i++) {
		const struct mm_tl_proc *t = mm_timeline_proc(tl, i);
		if (t->tgid != pp->tgid)
			continue;
		uint64_t step = mm_timeline_interval(tl), t0 = mm_timeline_t0(tl);
		for (size_t k = 0; k < t->nr; k++) {
			const struct mm_tl_row *r = &t->rows[k];
			bool before = exec_ts && t0 + r->k * step < exec_ts;
			int64_t rss = before ? mm_tl_rss(r) : r->rss_max;
			uint64_t vsz = before ? r->vsz : r->vsz_max;
			if (before && t0 + (r->k + 1) * step <= exec_ts)
				continue;          /* wholly before the exec */
			if (rss > 0 && (uint64_t)rss > pp->peak_rss)
				pp->peak_rss = (uint64_t)rss;
			if (vsz > pp->peak_vsz)
				pp->peak_vsz = vsz;
		}
	}
}

static void findings(struct mm_profile_proc *pp, const struct mm_findings *fs)
{
	size_t cap = 0;
	for (size_t i = 0; fs && i < mm_findings_count(fs); i++) {
		const struct mm_finding *f = mm_findings_at(fs, i);
		bool seen = false;
		for (size_t k = 0; k < pp->nr_findings && !seen; k++)
			seen = !strcmp(pp->findings[k], f->id);
		if (f->pid != pp->tgid || seen)
			continue;
		MM_GROW(pp->findings, pp->nr_findings, cap, 4);
		pp->findings[pp->nr_findings++] = mm_strdup(f->id);
	}
	if (pp->nr_findings)
		qsort(pp->findings, pp->nr_findings, sizeof(*pp->findings), cmp_str);
}

void mm_profile_build(struct mm_profile *pr, const struct mm_as *as,
		      const struct mm_timeline *tl, const struct mm_findings *fs)
{
	*pr = (struct mm_profile){ 0 };
	size_t n = mm_as_nr_procs(as);
	pr->procs = n ? mm_calloc(n, sizeof(*pr->procs)) : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct mm_as_proc *p = mm_as_proc_at(as, i);
		struct mm_profile_proc *pp = &pr->procs[pr->nr++];
		pp->tgid = p->tgid;
		memcpy(pp->comm, p->comm, sizeof(pp->comm));
		pp->exe = mm_strdup(p->exe);
		memcpy(pp->syscalls, p->nr_syscalls, sizeof(pp->syscalls));
		for (int c = 0; c < MM_FAULT_NR; c++)
			for (int a = 0; a < MM_ACCESS_NR; a++)
				pp->faults[c][a] = p->unknown_faults[c][a];
		struct walk w = { .p = pp };
		mm_as_foreach_region(p, add_region, &w);
		if (pp->nr_regions)
			qsort(pp->regions, pp->nr_regions, sizeof(*pp->regions), cmp_regions);
		peaks(pp, tl, p->exec_ts);
		findings(pp, fs);
	}
}

void mm_profile_free(struct mm_profile *pr)
{
	for (size_t i = 0; i < pr->nr; i++) {
		struct mm_profile_proc *p = &pr->procs[i];
		for (size_t k = 0; k < p->nr_regions; k++)
			free(p->regions[k].key);
		for (size_t k = 0; k < p->nr_findings; k++)
			free(p->findings[k]);
		free(p->regions);
		free(p->findings);
		free(p->exe);
	}
	free(pr->procs);
	*pr = (struct mm_profile){ 0 };
}

uint64_t mm_profile_faults(const struct mm_profile_proc *p)
{
	uint64_t n = 0;
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			n += p->faults[c][a];
	return n;
}
