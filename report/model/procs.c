/*
 * report/model/procs.c - the model's tables and life cycle: an int map
 * (pid -> index, thread -> process), the interned names (regions compare
 * names by pointer), the process table, the observers, and mm_as_new() /
 * mm_as_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/as-int.h"
#include "report/model/smapsfile.h"

static size_t imap_slot(const struct imap *m, int32_t key)
{
	size_t i = ((uint32_t)key * 2654435761u) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void as_imap_put(struct imap *m, int32_t key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct imap old = *m;
		m->cap = old.cap ? old.cap * 2 : 64;
		m->keys = mm_calloc(m->cap, sizeof(*m->keys));
		m->vals = mm_calloc(m->cap, sizeof(*m->vals));
		m->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.keys[i])
				as_imap_put(m, old.keys[i], old.vals[i]);
		free(old.keys);
		free(old.vals);
	}
	size_t i = imap_slot(m, key);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

bool as_imap_get(const struct imap *m, int32_t key, uint32_t *val)
{
	if (!m->cap || !key)
		return false;
	size_t i = imap_slot(m, key);
	if (!m->keys[i])
		return false;
	*val = m->vals[i];
	return true;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;    /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The one copy of S owned by AS (names compare by pointer). */
const char *as_intern(struct mm_as *as, const char *s)
{
	if ((as->nr_names + 1) * 2 > as->cap_names) {
		char **old = as->names;
		size_t old_cap = as->cap_names;
		as->cap_names = old_cap ? old_cap * 2 : 64;
		as->names = mm_calloc(as->cap_names, sizeof(*as->names));
		for (size_t i = 0; i < old_cap; i++) {
			if (!old[i])
				continue;
			size_t j = str_hash(old[i]) & (as->cap_names - 1);
			while (as->names[j])
				j = (j + 1) & (as->cap_names - 1);
			as->names[j] = old[i];
		}
		free(old);
	}
	size_t j = str_hash(s) & (as->cap_names - 1);
	while (as->names[j] && strcmp(as->names[j], s))
		j = (j + 1) & (as->cap_names - 1);
	if (!as->names[j]) {
		as->names[j] = mm_strdup(s);
		as->nr_names++;
	}
	return as->names[j];
}

struct mm_as_proc *as_proc_new(struct mm_as *as, int32_t tgid)
{
	struct mm_as_proc *p = mm_calloc(1, sizeof(*p));
	p->vmrss_end_kb = -1;
	p->tgid = tgid;
	/* the process record attached to, not a later one with its pid */
	const struct mm_attached *a = mm_as_proc_find(as, tgid) ? NULL :
				      mm_origin_attached(&as->origin, tgid);
	if (a) {
		p->attached = true;
		p->have_age = a->have_age;
		p->age_s = a->age_s;
		memcpy(p->comm, a->comm, sizeof(p->comm));
		snprintf(p->exe, sizeof(p->exe), "%s", a->exe);
	}
	MM_GROW(as->procs, as->nr_procs, as->cap_procs, 16);
	as->procs[as->nr_procs] = p;
	as_imap_put(&as->proc_idx, tgid, (uint32_t)as->nr_procs);
	as->nr_procs++;
	return p;
}

struct mm_as_proc *mm_as_proc_find(const struct mm_as *as, int32_t tgid)
{
	uint32_t i;
	return as_imap_get(&as->proc_idx, tgid, &i) ? as->procs[i] : NULL;
}

struct mm_as_proc *mm_as_proc_get(struct mm_as *as, int32_t tgid)
{
	struct mm_as_proc *p = mm_as_proc_find(as, tgid);
	return p ? p : as_proc_new(as, tgid);
}

size_t mm_as_nr_procs(const struct mm_as *as) { return as->nr_procs; }
struct mm_as_proc *mm_as_proc_at(const struct mm_as *as, size_t i)
{
	return i < as->nr_procs ? as->procs[i] : NULL;
}

int32_t mm_as_tgid_of(const struct mm_as *as, int32_t pid)
{
	uint32_t tgid;
	return as_imap_get(&as->tid_tgid, pid, &tgid) ? (int32_t)tgid : pid;
}

uint64_t mm_as_page_size(const struct mm_as *as) { return as->page_size; }
uint64_t mm_as_t0(const struct mm_as *as) { return as->t0; }
const struct mm_origin *mm_as_origin(const struct mm_as *as) { return &as->origin; }

uint64_t mm_as_end(const struct mm_as *as)
{
	uint64_t end = as->origin.have_span ? as->origin.end_ts : 0;
	return as->last_ts > end ? as->last_ts : end;
}

void mm_as_add_hooks(struct mm_as *as, const struct mm_as_hooks *h, void *ctx)
{
	MM_GROW(as->hooks, as->nr_hooks, as->cap_hooks, 4);
	as->hooks[as->nr_hooks++] = (struct hook_slot){ *h, ctx };
}

struct mm_as *mm_as_new(uint64_t page_size, uint64_t cutoff_ns)
{
	struct mm_as *as = mm_calloc(1, sizeof(*as));
	if (!page_size || (page_size & (page_size - 1)))
		page_size = 4096;
	as->page_size = page_size;
	as->page_shift = (unsigned)__builtin_ctzll(page_size);
	as->cutoff_rel = cutoff_ns;
	as->cutoff_abs = UINT64_MAX;
	as->place_budget = MM_AS_PLACE_BUDGET;
	as->walk_budget = MM_AS_WALK_BUDGET;
	return as;
}

static void region_free(struct mm_region *r)
{
	mm_pageset_free(&r->touched);
	mm_pageset_free(&r->resident);
	mm_pageset_free(&r->dirty);
	free(r);
}

void mm_as_free(struct mm_as *as)
{
	if (!as)
		return;
	for (size_t i = 0; i < as->nr_procs; i++) {
		struct mm_as_proc *p = as->procs[i];
		for (size_t k = 0; k < p->nr_map; k++)
			region_free(p->map[k]);
		for (size_t k = 0; k < p->nr_dead; k++)
			region_free(p->dead[k]);
		free(p->map);
		free(p->dead);
		free(p->diffs);
		free(p->kfaults);
		free(p->watched);
		free(p->deferred);
		if (p->smaps_end) {
			mm_smaps_free(p->smaps_end);
			free(p->smaps_end);
		}
		free(p);
	}
	for (size_t i = 0; i < as->cap_names; i++)
		free(as->names[i]);
	as_demangle_free(as);
	free(as->names);
	free(as->procs);
	free(as->proc_idx.keys);
	free(as->proc_idx.vals);
	free(as->tid_tgid.keys);
	free(as->tid_tgid.vals);
	free(as->snaps);
	free(as->shm);
	free(as->hooks);
	as_syms_free(as);
	as_mapq_free(as);
	as_stacks_free(as);
	mm_origin_free(&as->origin);
	free(as);
}
