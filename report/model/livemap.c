/*
 * report/model/livemap.c - the sorted live map of a process and its
 * primitives: find, insert, remove, cut a range out of a region (the
 * pieces outside it become new regions of the same lineage), bury a region
 * into the history, merge pieces back; and the iteration over a process's
 * regions.  The operations (operations.c) are built from these.
 */
#include <string.h>

#include "memmon.h"
#include "report/model/as-int.h"

struct mm_region *mm_as_lookup(const struct mm_as_proc *p, uint64_t addr)
{
	size_t i = as_find_idx(p, addr);
	return i < p->nr_map && p->map[i]->start <= addr ? p->map[i] : NULL;
}

void as_map_insert(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r)
{
	size_t i = as_find_idx(p, r->start);
	MM_GROW(p->map, p->nr_map, p->cap_map, 32);
	memmove(p->map + i + 1, p->map + i, (p->nr_map - i) * sizeof(*p->map));
	p->map[i] = r;
	p->nr_map++;
	p->map_bytes += mm_region_size(r);
	NOTIFY(as, region_new, p, r);
}

void as_map_remove_at(struct mm_as_proc *p, size_t i)
{
	p->map_bytes -= mm_region_size(p->map[i]);
	memmove(p->map + i, p->map + i + 1, (p->nr_map - i - 1) * sizeof(*p->map));
	p->nr_map--;
}

struct mm_region *as_region_new(struct mm_as *as, uint64_t start, uint64_t end,
				const struct mm_region_event *by)
{
	struct mm_region *r = mm_calloc(1, sizeof(*r));
	r->start = start;
	r->end = end;
	r->fd = -1;
	r->id = ++as->next_id;
	r->origin_id = r->id;
	r->origin = r->created = *by;
	r->origin_stack = r->created_stack = as->stacks.current;
	return r;
}

/* A new region over [start, end) with T's attributes: a piece of T. */
struct mm_region *as_region_piece(struct mm_as *as, const struct mm_region *t,
				  uint64_t start, uint64_t end,
				  const struct mm_region_event *by)
{
	struct mm_region *r = as_region_new(as, start, end, by);
	r->prot = t->prot;
	r->flags = t->flags;
	r->backing = t->backing;
	r->fd = t->fd;
	r->name = t->name;
	r->ino = t->ino;
	r->dev_major = t->dev_major;
	r->dev_minor = t->dev_minor;
	r->offset = t->backing == MM_BACK_FILE || t->backing == MM_BACK_SHM ?
		    t->offset + (start - t->start) : 0;
	r->parent_id = t->id;
	r->origin_id = t->origin_id;
	r->origin = t->origin;
	r->origin_stack = t->origin_stack;
	r->fork_src = t->fork_src;
	return r;
}

/* Move R (already out of the map) to the history: keep its counts, free
 * its page sets so a dead region costs a fixed size. */
void as_bury(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r,
	     const struct mm_region_event *by)
{
	r->ended = *by;
	if (r->ended.how == MM_HOW_NONE)
		r->ended.how = MM_HOW_SYSCALL;
	NOTIFY(as, region_end, p, r);
	r->nr_touched = r->touched.count;
	if (!r->nr_resident)    /* as_cut() and merges count before moving pages */
		r->nr_resident = r->resident.count;
	mm_pageset_free(&r->touched);
	mm_pageset_free(&r->resident);
	mm_pageset_free(&r->dirty);
	MM_GROW(p->dead, p->nr_dead, p->cap_dead, 32);
	p->dead[p->nr_dead++] = r;
}

/* Move resident/dirty pages of [lo, hi) from SRC to DST, shifted by DELTA bytes. */
void as_move_pages(struct mm_as *as, struct mm_region *dst, struct mm_region *src,
		   uint64_t lo, uint64_t hi, int64_t delta)
{
	int64_t dp = delta / (int64_t)as->page_size;
	mm_pageset_move(&dst->resident, &src->resident, as_vpn(as, lo), as_vpn(as, hi), dp);
	mm_pageset_move(&dst->dirty, &src->dirty, as_vpn(as, lo), as_vpn(as, hi), dp);
}

/*
 * Take the region at index I out of the map and put back its parts outside
 * [lo, hi) as new regions (pieces, with their resident pages).  Returns the
 * old region, still holding the pages of [lo, hi), for the caller to use
 * and then as_bury().
 */
struct mm_region *as_cut(struct mm_as *as, struct mm_as_proc *p, size_t i,
			 uint64_t lo, uint64_t hi, const struct mm_region_event *by)
{
	struct mm_region *old = p->map[i];
	as_map_remove_at(p, i);
	old->nr_resident = old->resident.count;
	if (old->start < lo) {
		struct mm_region *l = as_region_piece(as, old, old->start, lo, by);
		as_move_pages(as, l, old, l->start, l->end, 0);
		as_map_insert(as, p, l);
	}
	if (hi < old->end) {
		struct mm_region *r = as_region_piece(as, old, hi, old->end, by);
		as_move_pages(as, r, old, r->start, r->end, 0);
		as_map_insert(as, p, r);
	}
	return old;
}

/* Remove [lo, hi) from the map: what the kernel's do_munmap does. */
void as_unmap_range(struct mm_as *as, struct mm_as_proc *p, uint64_t lo, uint64_t hi,
		    const struct mm_region_event *by)
{
	size_t i = as_find_idx(p, lo);
	while (i < p->nr_map && p->map[i]->start < hi) {
		bool left = p->map[i]->start < lo;
		as_bury(as, p, as_cut(as, p, i, lo, hi, by), by);
		if (left)
			i++;
	}
}

static bool mergeable(const struct mm_region *a, const struct mm_region *b)
{
	return a->end == b->start && a->origin_id == b->origin_id &&
	       a->prot == b->prot && a->flags == b->flags && a->backing == b->backing &&
	       a->name == b->name && a->fd == b->fd &&
	       (a->backing != MM_BACK_FILE || a->offset + mm_region_size(a) == b->offset);
}

/* Re-merge pieces of one mapping around [lo, hi] whose attributes meet
 * again (mprotect back), as the kernel's vma_merge does for them. */
void as_merge_around(struct mm_as *as, struct mm_as_proc *p, uint64_t lo, uint64_t hi,
		     uint64_t ts)
{
	size_t i = as_find_idx(p, lo);
	struct mm_region_event by = { .ts = ts, .how = MM_HOW_MERGE };

	if (i > 0)
		i--;
	while (i + 1 < p->nr_map && p->map[i]->start <= hi) {
		struct mm_region *a = p->map[i], *b = p->map[i + 1];
		if (!mergeable(a, b)) {
			i++;
			continue;
		}
		b->nr_resident = b->resident.count;
		as_move_pages(as, a, b, b->start, b->end, 0);
		p->map_bytes += mm_region_size(b);     /* a grows; b's removal */
		a->end = b->end;                        /* takes it off again */
		as_map_remove_at(p, i + 1);
		as_bury(as, p, b, &by);
	}
}


/* End every region of P's map (exec, or a snapshot replacing it). */
void as_drop_map(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by)
{
	while (p->nr_map) {
		struct mm_region *r = p->map[--p->nr_map];
		as_bury(as, p, r, by);
	}
	p->map_bytes = 0;
	p->brk_start = p->brk_cur = 0;
	p->have_map = false;
}

int mm_as_foreach_region(const struct mm_as_proc *p, mm_region_fn fn, void *ctx)
{
	for (size_t i = 0; i < p->nr_map; i++)
		if (fn(ctx, p->map[i]))
			return 1;
	for (size_t i = 0; i < p->nr_dead; i++)
		if (fn(ctx, p->dead[i]))
			return 1;
	return 0;
}

int mm_as_foreach_alive_at(const struct mm_as_proc *p, uint64_t ts,
			   mm_region_fn fn, void *ctx)
{
	for (size_t pass = 0; pass < 2; pass++) {
		struct mm_region **v = pass ? p->dead : p->map;
		size_t n = pass ? p->nr_dead : p->nr_map;
		for (size_t i = 0; i < n; i++) {
			struct mm_region *r = v[i];
			if (r->created.ts <= ts && (mm_region_live(r) || r->ended.ts > ts) &&
			    fn(ctx, r))
				return 1;
		}
	}
	return 0;
}
