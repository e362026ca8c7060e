/*
 * report/model/names.c - file names.  mmap only tells the fd: a region
 * mapped by fd is named "fd N" until an END maps snapshot shows a path for
 * the same range and file offset; dead regions then take the name of what
 * replaced them when they ended (same fd) or of a named piece of the same
 * mapping, and a fork copy and its parent's region name each other.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "report/model/as-int.h"
#include "report/model/mapsfile.h"

static bool name_unknown(const struct mm_region *r)
{
	return r->backing == MM_BACK_FILE && r->fd >= 0 && r->name && !strncmp(r->name, "fd ", 3);
}

const char *mm_region_path(const struct mm_region *r)
{
	return r->backing == MM_BACK_FILE && r->name && !name_unknown(r) ? r->name : NULL;
}

static void take_name(struct mm_region *r, const char *name, const struct mm_region *from,
		      const struct mm_maps_entry *e)
{
	r->name = name;
	r->ino = from ? from->ino : e->ino;
	r->dev_major = from ? from->dev_major : e->dev_major;
	r->dev_minor = from ? from->dev_minor : e->dev_minor;
}

/* Regions mapped from a file by fd get the path maps shows for the same
 * range at the same file offset. */
void as_learn_names(struct mm_as *as, struct mm_as_proc *p, const struct mm_maps *m)
{
	for (size_t i = 0, k = 0; i < p->nr_map; i++) {
		struct mm_region *r = p->map[i];
		if (!name_unknown(r))
			continue;
		while (k < m->n && m->e[k].end <= r->start)
			k++;
		if (k < m->n && m->e[k].start <= r->start && m->e[k].name[0] == '/' &&
		    m->e[k].offset + (r->start - m->e[k].start) == r->offset)
			take_name(r, as_intern(as, m->e[k].name), NULL, &m->e[k]);
	}
}

static int cmp_created(const void *a, const void *b)
{
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	return x->created.ts < y->created.ts ? -1 : x->created.ts > y->created.ts;
}

static int cmp_origin(const void *a, const void *b)
{
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	return x->origin_id < y->origin_id ? -1 : x->origin_id > y->origin_id;
}

/* A named region made at ts by the same fd (the mmap that replaced R, or a
 * piece cut from it), or NULL. */
static const struct mm_region *named_successor(struct mm_region **v, size_t n,
					       const struct mm_region *r)
{
	size_t lo = MM_PARTITION_POINT(n, i, v[i]->created.ts < r->ended.ts);

	for (; lo < n && v[lo]->created.ts == r->ended.ts; lo++)
		if (v[lo]->fd == r->fd && v[lo] != r && !name_unknown(v[lo]) &&
		    v[lo]->backing == MM_BACK_FILE)
			return v[lo];
	return NULL;
}

/* Dead regions mapped by fd learn their path from what replaced them at
 * the moment they ended (the loader maps a library whole, then maps its
 * segments over it with MAP_FIXED): latest deaths first, so names flow
 * back along the chain. */
void as_propagate_names(struct mm_as_proc *p)
{
	size_t n = p->nr_map + p->nr_dead;
	struct mm_region **v = mm_malloc((n ? n : 1) * sizeof(*v));

	if (p->nr_map)          /* memcpy from NULL is undefined even for 0 */
		memcpy(v, p->map, p->nr_map * sizeof(*v));
	if (p->nr_dead)
		memcpy(v + p->nr_map, p->dead, p->nr_dead * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_created);
	for (size_t i = p->nr_dead; i-- > 0;) {
		struct mm_region *r = p->dead[i];
		const struct mm_region *s;
		if (name_unknown(r) && (s = named_successor(v, n, r)))
			take_name(r, s->name, s, NULL);
	}
	/* pieces of one mapping share its file */
	qsort(v, n, sizeof(*v), cmp_origin);
	for (size_t i = 0, k; i < n; i = k) {
		const struct mm_region *named = NULL;
		for (k = i; k < n && v[k]->origin_id == v[i]->origin_id; k++)
			if (v[k]->backing == MM_BACK_FILE && v[k]->fd >= 0 && !name_unknown(v[k]))
				named = v[k];
		for (size_t j = i; named && j < k; j++)
			if (name_unknown(v[j]) && v[j]->fd == named->fd)
				take_name(v[j], named->name, named, NULL);
	}
	free(v);
}

/* A model frozen by a cutoff still takes file names from the END
 * snapshots after it (names only: nothing is checked or changed). */
void as_learn_from_later(struct mm_as *as)
{
	for (size_t i = as->snap_next; i < as->nr_snaps; i++) {
		const struct snap *s = &as->snaps[i];
		struct mm_as_proc *p = mm_as_proc_find(as, s->pid);
		struct mm_maps m;
		if (s->phase != MM_PHASE_END || !p || mm_maps_parse(s->text, strlen(s->text), &m) < 0)
			continue;
		as_learn_names(as, p, &m);
		as_propagate_names(p);
		mm_maps_free(&m);
	}
}

/* A fork copy maps the same file as its parent's region: whichever of
 * the two a snapshot named names the other (a child that unmaps the copy
 * before its END snapshot never sees it named otherwise).  Parents come
 * before their children in the process list, so a forward pass carries
 * names down and a backward pass carries them up. */
void as_share_fork_names(struct mm_as *as)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t n = 0; n < as->nr_procs; n++) {
			struct mm_as_proc *p = as->procs[pass ? as->nr_procs - 1 - n : n];
			for (size_t k = 0; k < p->nr_map + p->nr_dead; k++) {
				struct mm_region *r = k < p->nr_map ? p->map[k] : p->dead[k - p->nr_map];
				struct mm_region *s = r->fork_src;
				if (!s)
					continue;
				if (name_unknown(r) && !name_unknown(s) && s->backing == MM_BACK_FILE)
					take_name(r, s->name, s, NULL);
				else if (name_unknown(s) && !name_unknown(r) && r->backing == MM_BACK_FILE)
					take_name(s, r->name, r, NULL);
			}
		}
	}
}

