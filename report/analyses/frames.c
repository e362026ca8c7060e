/*
 * report/analyses/frames.c - frames taken and given back, by zone, order
 * and region (frames.h says what is counted and how frames are placed).
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "format/reader.h"
#include "report/analyses/frames.h"
#include "report/model/addrspace.h"

#define EMPTY   0
#define REMOVED UINT32_MAX

void mm_zones_from_file(struct mm_zones *z, struct mm_file *f)
{
	const struct mm_snapshot *end = NULL;
	z->n = 0;
	for (size_t i = 0; i < mm_file_nr_snapshots(f); i++) {
		const struct mm_snapshot *s = mm_file_snapshot(f, i);
		if (s->kind != MM_SNAP_ZONEINFO)
			continue;
		if (s->phase != MM_PHASE_END) {
			z->n = mm_ctx_parse_zoneinfo(s->text, z->z, MM_CTX_MAX_ZONES);
			return;
		}
		end = s;
	}
	if (end)
		z->n = mm_ctx_parse_zoneinfo(end->text, z->z, MM_CTX_MAX_ZONES);
}

const struct mm_ctx_zone *mm_zones_find(const struct mm_zones *z, uint64_t pfn)
{
	for (size_t i = 0; i < z->n; i++) {
		const struct mm_ctx_zone *c = &z->z[i];
		if (c->start_pfn == MM_CTX_NONE || c->spanned == MM_CTX_NONE || !c->spanned)
			continue;
		if (pfn >= c->start_pfn && pfn - c->start_pfn < c->spanned)
			return c;
	}
	return NULL;
}

size_t mm_frames_zone_index(const struct mm_frames *fr, uint64_t pfn)
{
	const struct mm_ctx_zone *c = mm_zones_find(&fr->zones, pfn);
	return c ? (size_t)(c - fr->zones.z) : fr->zones.n;
}

void mm_frames_init(struct mm_frames *fr, struct mm_file *f)
{
	const char *ps = mm_file_machine(f, MM_KEY_PAGE_SIZE);
	memset(fr, 0, sizeof(*fr));
	mm_zones_from_file(&fr->zones, f);
	fr->pmd_order = mm_frame_pmd_order(ps ? strtoull(ps, NULL, 10) : 4096);
}

/* ---- u64 -> row maps: a frame's pfn, a region's (tgid, id) ---- */

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static void map_grow(struct mm_frames_map *m)
{
	/* as big again when half is in use, the same size to sweep removals */
	size_t cap = !m->cap ? 4096 : 2 * m->used + 2 > m->cap / 2 ? 2 * m->cap : m->cap;
	uint64_t *keys = mm_calloc(cap, sizeof(*keys));
	uint32_t *vals = mm_calloc(cap, sizeof(*vals));
	for (size_t i = 0; i < m->cap; i++) {
		if (m->vals[i] == EMPTY || m->vals[i] == REMOVED)
			continue;
		size_t j = slot_of(m->keys[i], cap);
		while (vals[j] != EMPTY)
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	m->removed = 0;
}

/* KEY's slot, or SIZE_MAX when it is not there. */
static size_t map_find(const struct mm_frames_map *m, uint64_t key)
{
	for (size_t j = m->cap ? slot_of(key, m->cap) : 0, n = 0; n < m->cap;
	     n++, j = (j + 1) & (m->cap - 1)) {
		if (m->vals[j] == EMPTY)
			return SIZE_MAX;
		if (m->vals[j] != REMOVED && m->keys[j] == key)
			return j;
	}
	return SIZE_MAX;
}

/* KEY -> ROW (replacing what it had); the table at most half full, with
 * removals counted (so a probe always ends at an empty slot). */
static void map_put(struct mm_frames_map *m, uint64_t key, uint32_t row)
{
	size_t j = map_find(m, key);
	if (j != SIZE_MAX) {
		m->vals[j] = row + 1;
		return;
	}
	if (2 * (m->used + m->removed + 1) > m->cap)
		map_grow(m);
	for (j = slot_of(key, m->cap); m->vals[j] != EMPTY && m->vals[j] != REMOVED; )
		j = (j + 1) & (m->cap - 1);
	if (m->vals[j] == REMOVED)
		m->removed--;
	m->keys[j] = key;
	m->vals[j] = row + 1;
	m->used++;
}

/* KEY's row, or -1; TAKE: forgotten too. */
static long map_get(struct mm_frames_map *m, uint64_t key, bool take)
{
	size_t j = map_find(m, key);
	if (j == SIZE_MAX)
		return -1;
	long row = (long)m->vals[j] - 1;
	if (take) {
		m->vals[j] = REMOVED;
		m->used--;
		m->removed++;
	}
	return row;
}

static void map_free(struct mm_frames_map *m)
{
	free(m->keys);
	free(m->vals);
}

static uint64_t region_key(uint32_t tgid, uint32_t id)
{
	return (uint64_t)tgid << 32 | id;
}

static struct mm_frames_region *row_get(struct mm_frames *fr, uint32_t tgid, uint32_t id,
					size_t *index)
{
	long row = map_get(&fr->by_region, region_key(tgid, id), false);
	if (row >= 0) {
		*index = (size_t)row;
		return &fr->regions[row];
	}
	MM_GROW(fr->regions, fr->nr_regions, fr->cap_regions, 64);
	struct mm_frames_region *r = &fr->regions[fr->nr_regions];
	memset(r, 0, sizeof(*r));
	r->tgid = tgid;
	r->region_id = id;
	*index = fr->nr_regions++;
	map_put(&fr->by_region, region_key(tgid, id), (uint32_t)*index);
	return r;
}

const struct mm_frames_region *mm_frames_region(const struct mm_frames *fr, uint32_t tgid,
						uint32_t region_id)
{
	size_t j = map_find(&fr->by_region, region_key(tgid, region_id));
	return j == SIZE_MAX ? NULL : &fr->regions[fr->by_region.vals[j] - 1];
}

/* A fault's frame: its region's row. */
static void region_taken(struct mm_frames *fr, struct mm_as *as, const struct mm_event *ev,
			 size_t zone)
{
	const struct mm_frame *f = &ev->frame;
	int32_t tgid = as ? mm_as_tgid_of(as, ev->pid) : 0;
	struct mm_as_proc *p = tgid ? mm_as_proc_find(as, tgid) : NULL;
	struct mm_region *reg = p ? mm_as_lookup(p, f->fault_addr) : NULL;
	size_t row;
	if (!reg)
		return;
	struct mm_frames_region *r = row_get(fr, (uint32_t)tgid, reg->id, &row);
	r->taken++;
	r->taken_pages += 1ull << f->order;
	r->zone_taken[zone]++;
	if (fr->by_pfn.used >= MM_FRAMES_MAX_TRACKED)
		fr->untracked++;
	else
		map_put(&fr->by_pfn, f->pfn, (uint32_t)row);
}

void mm_frames_event(struct mm_frames *fr, struct mm_as *as, const struct mm_event *ev)
{
	if (ev->kind != MM_EV_FRAME)
		return;
	const struct mm_frame *f = &ev->frame;
	unsigned order = f->order < MM_FRAMES_ORDERS ? f->order : MM_FRAMES_ORDERS - 1;
	uint64_t pages = 1ull << (f->order < 63 ? f->order : 63);
	size_t zone = mm_frames_zone_index(fr, f->pfn);
	struct mm_frames_count *c[2] = { &fr->zone[zone], &fr->total };
	fr->any = true;
	for (int i = 0; i < 2; i++) {
		if (f->free) {
			c[i]->given[order]++;
			c[i]->given_pages += pages;
		} else {
			c[i]->taken[order]++;
			c[i]->taken_pages += pages;
			c[i]->use[f->use < MM_FRAME_USE_NR ? f->use : MM_FRAME_KERNEL]++;
		}
	}
	if (!f->free && f->use == MM_FRAME_FAULTED) {
		region_taken(fr, as, ev, zone);
	} else if (f->free) {
		long row = map_get(&fr->by_pfn, f->pfn, true);
		if (row >= 0 && (size_t)row < fr->nr_regions) {
			fr->regions[row].given++;
			fr->regions[row].given_pages += pages;
		}
	}
}

void mm_frames_free(struct mm_frames *fr)
{
	free(fr->regions);
	map_free(&fr->by_pfn);
	map_free(&fr->by_region);
	memset(fr, 0, sizeof(*fr));
}
