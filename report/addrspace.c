/*
 * report/addrspace.c - the address-space model (see addrspace.h for the
 * design: sorted live map per process, lineage on split, sparse page sets).
 *
 * The file reads top-down: page sets and access patterns (the per-region
 * bookkeeping), then the process table, then the map primitives (find,
 * insert, cut, bury, merge) and the operations built from them (mmap,
 * munmap, mprotect, mremap, brk, madvise, shmat/shmdt, fork, exec, exit),
 * then loading and checking maps snapshots, then mm_as_event(), which
 * decodes the syscalls into operations and replays snapshots in time order.
 *
 * Why the operations follow the kernel closely: at the end the rebuilt map
 * must equal /proc/PID/maps region by region (mm_as_check), so the rounding
 * (lengths up to pages), the replacement done by MAP_FIXED and mremap's
 * target, and stack growth on faults are all modelled; what we cannot see
 * (VMA merges of unrelated neighbours, flags maps does not show) is
 * normalised away in the check instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "report/addrspace.h"
#include "report/mapsfile.h"

/* mmap(2), mremap(2), madvise(2), shmat(2) constants: the recording
 * machine's (x86_64) values, not this host's headers'. */
#define X_MAP_SHARED     0x01
#define X_MAP_TYPE       0x0f
#define X_MAP_ANONYMOUS  0x20
#define X_MAP_GROWSDOWN  0x100
#define X_MREMAP_DONTUNMAP 4
#define X_MADV_DONTNEED  4
#define X_MADV_FREE      8
#define X_MADV_REMOVE    9
#define X_MADV_PAGEOUT   21
#define X_MADV_DONTNEED_LOCKED 24
#define X_SHM_RDONLY     010000
#define X_SHM_EXEC       0100000

/* How far below [stack] a fault still grows it (the kernel allows up to
 * RLIMIT_STACK, 8 MiB by default; be generous, the gap check is what
 * keeps it honest). */
#define STACK_GROW_MAX   (256ull << 20)

struct snap {
	int32_t pid;
	int phase;
	uint64_t ts;
	const char *text;
};

struct shm_seg {
	int id;
	uint64_t key, size;
};

/* One observer of the model (mm_as_add_hooks). */
struct hook_slot {
	struct mm_as_hooks h;
	void *ctx;
};

/* Open-addressing int map (pid -> value); 0 is never a valid key. */
struct imap {
	int32_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

struct mm_as {
	uint64_t page_size;
	unsigned page_shift;
	uint64_t cutoff_rel, cutoff_abs;
	bool have_t0, frozen;
	uint64_t t0;
	uint32_t next_id;

	struct mm_as_proc **procs;
	size_t nr_procs, cap_procs;
	struct imap proc_idx;       /* tgid -> index in procs (latest) */
	struct imap tid_tgid;       /* thread -> its process */

	struct snap *snaps;
	size_t nr_snaps, cap_snaps, snap_next;
	bool snaps_sorted;

	struct shm_seg *shm;
	size_t nr_shm, cap_shm;

	char **names;               /* interned strings (open addressing) */
	size_t cap_names, nr_names;

	struct hook_slot *hooks;    /* observers, in the order added */
	size_t nr_hooks, cap_hooks;
};

/* ================================================================
 * Page sets: sorted {base, mask} blocks of 64 pages.
 * ================================================================ */

/* Index of the first block with base >= BASE. */
static uint32_t ps_lower(const struct mm_pageset *s, uint64_t base)
{
	return (uint32_t)MM_PARTITION_POINT(s->n, i, s->b[i].base < base);
}

/* OR MASK into the block at BASE; returns the pages that were new. */
static uint64_t ps_or(struct mm_pageset *s, uint64_t base, uint64_t mask)
{
	uint32_t i = ps_lower(s, base);
	if (!mask)
		return 0;
	if (i == s->n || s->b[i].base != base) {
		MM_GROW(s->b, s->n, s->cap, 4);
		memmove(s->b + i + 1, s->b + i, (s->n - i) * sizeof(*s->b));
		s->b[i].base = base;
		s->b[i].mask = 0;
		s->n++;
	}
	uint64_t added = mask & ~s->b[i].mask;
	s->b[i].mask |= mask;
	s->count += (uint64_t)__builtin_popcountll(added);
	return added;
}

bool mm_pageset_add(struct mm_pageset *s, uint64_t vpn)
{
	return ps_or(s, vpn & ~63ull, 1ull << (vpn & 63)) != 0;
}

bool mm_pageset_has(const struct mm_pageset *s, uint64_t vpn)
{
	uint32_t i = ps_lower(s, vpn & ~63ull);
	return i < s->n && s->b[i].base == (vpn & ~63ull) &&
	       (s->b[i].mask >> (vpn & 63) & 1);
}

/* Bits of the block at BASE that fall in [lo, hi). */
static uint64_t range_mask(uint64_t base, uint64_t lo, uint64_t hi)
{
	uint64_t from = lo > base ? lo - base : 0;
	uint64_t to = hi - base < 64 ? hi - base : 64;
	if (hi <= base || from >= 64 || from >= to)
		return 0;
	uint64_t m = to == 64 ? ~0ull : (1ull << to) - 1;
	return m & ~((1ull << from) - 1);
}

uint64_t mm_pageset_count_range(const struct mm_pageset *s, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;
	for (uint32_t i = ps_lower(s, lo & ~63ull); i < s->n && s->b[i].base < hi; i++)
		n += (uint64_t)__builtin_popcountll(s->b[i].mask & range_mask(s->b[i].base, lo, hi));
	return n;
}

uint64_t mm_pageset_remove(struct mm_pageset *s, uint64_t lo, uint64_t hi)
{
	uint32_t i = ps_lower(s, lo & ~63ull), out = i;
	uint64_t removed = 0;

	for (; i < s->n; i++) {
		struct mm_pageblock b = s->b[i];
		uint64_t m = b.mask & range_mask(b.base, lo, hi);
		removed += (uint64_t)__builtin_popcountll(m);
		b.mask &= ~m;
		if (b.mask)                 /* compact: empty blocks go */
			s->b[out++] = b;
	}
	s->n = out;
	s->count -= removed;
	return removed;
}

void mm_pageset_move(struct mm_pageset *dst, struct mm_pageset *src,
		     uint64_t lo, uint64_t hi, int64_t delta)
{
	for (uint32_t i = ps_lower(src, lo & ~63ull); i < src->n && src->b[i].base < hi; i++) {
		uint64_t base = src->b[i].base;
		uint64_t m = src->b[i].mask & range_mask(base, lo, hi);
		if (delta % 64 == 0) {          /* block-aligned: whole words */
			ps_or(dst, base + (uint64_t)delta, m);
			continue;
		}
		for (; m; m &= m - 1)
			mm_pageset_add(dst, base + (uint64_t)__builtin_ctzll(m) + (uint64_t)delta);
	}
	mm_pageset_remove(src, lo, hi);
}

static void ps_copy(struct mm_pageset *dst, const struct mm_pageset *src)
{
	*dst = *src;
	dst->cap = src->n;
	dst->b = src->n ? mm_malloc(src->n * sizeof(*src->b)) : NULL;
	if (src->n)
		memcpy(dst->b, src->b, src->n * sizeof(*src->b));
}

void mm_pageset_free(struct mm_pageset *s)
{
	free(s->b);
	memset(s, 0, sizeof(*s));
}

/* ================================================================
 * Access patterns: steps between successive first touches.
 * ================================================================ */

static void pattern_touch(struct mm_pattern_state *st, uint64_t vpn, bool very_first)
{
	if (!very_first) {
		int64_t step = (int64_t)(vpn - st->last_vpn);
		st->steps++;
		if (step == 1 || step == -1)
			st->seq++;
		else if (step == st->last_step) {
			st->same++;
			st->stride = step;
		}
		st->last_step = step;
	}
	st->last_vpn = vpn;
}

enum mm_pattern mm_region_pattern(const struct mm_region *r, uint64_t page_size,
				  int64_t *stride)
{
	const struct mm_pattern_state *st = &r->pat;
	uint64_t pages = mm_region_size(r) / (page_size ? page_size : 4096);
	bool few = r->nr_touched * 8 < pages;

	if (stride)
		*stride = 0;
	if (r->nr_touched == 0)
		return MM_PAT_NONE;
	/* three quarters of the steps decide; a lone step proves little */
	if (st->steps && st->seq * 4 >= st->steps * 3)
		return MM_PAT_SEQUENTIAL;
	if (st->steps >= 2 && (st->same + 1) * 4 >= st->steps * 3) {
		if (stride)
			*stride = st->stride;
		return MM_PAT_STRIDED;
	}
	/* a handful of pages: adjacent ones (or one) read as sequential,
	 * scattered ones as sparse, never as "random" */
	if (r->nr_touched < 4 && !few && st->seq == st->steps)
		return MM_PAT_SEQUENTIAL;
	if (few || r->nr_touched < 4)
		return MM_PAT_SPARSE;
	return st->steps ? MM_PAT_RANDOM : MM_PAT_SEQUENTIAL;
}

const char *mm_pattern_name(enum mm_pattern p)
{
	static const char *const names[MM_PAT_NR] = {
		"-", "sequential", "strided", "sparse", "random",
	};
	return (unsigned)p < MM_PAT_NR ? names[p] : "?";
}

const char *mm_backing_name(enum mm_backing b)
{
	static const char *const names[MM_BACK_NR] = {
		"anon", "file", "heap", "stack", "vdso", "vvar", "shm", "special",
	};
	return (unsigned)b < MM_BACK_NR ? names[b] : "?";
}

const char *mm_region_label(const struct mm_region *r)
{
	if (r->name)
		return r->name;
	switch (r->backing) {
	case MM_BACK_HEAP: return "[heap]";
	case MM_BACK_STACK: return "[stack]";
	case MM_BACK_VDSO: return "[vdso]";
	case MM_BACK_VVAR: return "[vvar]";
	default: return "";
	}
}

const char *mm_region_how_name(const struct mm_region_event *e)
{
	static const char *const names[MM_HOW_NR] = {
		"live", "start", "exec", "syscall", "fork", "fault", "exit", "merge",
	};
	if (e->how == MM_HOW_SYSCALL)
		return mm_syscall_name(e->sys);
	return e->how < MM_HOW_NR ? names[e->how] : "?";
}

void mm_region_perms(const struct mm_region *r, char buf[5])
{
	buf[0] = r->prot & MM_PROT_R ? 'r' : '-';
	buf[1] = r->prot & MM_PROT_W ? 'w' : '-';
	buf[2] = r->prot & MM_PROT_X ? 'x' : '-';
	buf[3] = r->flags & MM_REG_SHARED ? 's' : 'p';
	buf[4] = '\0';
}

/* ================================================================
 * Small tables: int map, interned names, process table.
 * ================================================================ */

static size_t imap_slot(const struct imap *m, int32_t key)
{
	size_t i = ((uint32_t)key * 2654435761u) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void imap_put(struct imap *m, int32_t key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct imap old = *m;
		m->cap = old.cap ? old.cap * 2 : 64;
		m->keys = mm_calloc(m->cap, sizeof(*m->keys));
		m->vals = mm_calloc(m->cap, sizeof(*m->vals));
		m->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.keys[i])
				imap_put(m, old.keys[i], old.vals[i]);
		free(old.keys);
		free(old.vals);
	}
	size_t i = imap_slot(m, key);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

static bool imap_get(const struct imap *m, int32_t key, uint32_t *val)
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
static const char *intern(struct mm_as *as, const char *s)
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

static struct mm_as_proc *proc_new(struct mm_as *as, int32_t tgid)
{
	struct mm_as_proc *p = mm_calloc(1, sizeof(*p));
	p->tgid = tgid;
	MM_GROW(as->procs, as->nr_procs, as->cap_procs, 16);
	as->procs[as->nr_procs] = p;
	imap_put(&as->proc_idx, tgid, (uint32_t)as->nr_procs);
	as->nr_procs++;
	return p;
}

struct mm_as_proc *mm_as_proc_find(const struct mm_as *as, int32_t tgid)
{
	uint32_t i;
	return imap_get(&as->proc_idx, tgid, &i) ? as->procs[i] : NULL;
}

struct mm_as_proc *mm_as_proc_get(struct mm_as *as, int32_t tgid)
{
	struct mm_as_proc *p = mm_as_proc_find(as, tgid);
	return p ? p : proc_new(as, tgid);
}

size_t mm_as_nr_procs(const struct mm_as *as) { return as->nr_procs; }
struct mm_as_proc *mm_as_proc_at(const struct mm_as *as, size_t i)
{
	return i < as->nr_procs ? as->procs[i] : NULL;
}

int32_t mm_as_tgid_of(const struct mm_as *as, int32_t pid)
{
	uint32_t tgid;
	return imap_get(&as->tid_tgid, pid, &tgid) ? (int32_t)tgid : pid;
}

uint64_t mm_as_page_size(const struct mm_as *as) { return as->page_size; }
uint64_t mm_as_t0(const struct mm_as *as) { return as->t0; }

void mm_as_add_hooks(struct mm_as *as, const struct mm_as_hooks *h, void *ctx)
{
	MM_GROW(as->hooks, as->nr_hooks, as->cap_hooks, 4);
	as->hooks[as->nr_hooks++] = (struct hook_slot){ *h, ctx };
}

/* Tell every observer that has hook NAME (a member of struct mm_as_hooks). */
#define NOTIFY(as, name, ...) do {						\
	for (size_t h_ = 0; h_ < (as)->nr_hooks; h_++)				\
		if ((as)->hooks[h_].h.name)					\
			(as)->hooks[h_].h.name((as)->hooks[h_].ctx, __VA_ARGS__); \
} while (0)

/* ================================================================
 * Map primitives.
 * ================================================================ */

static uint64_t page_up(const struct mm_as *as, uint64_t v)
{
	return (v + as->page_size - 1) & ~(as->page_size - 1);
}

static uint64_t vpn(const struct mm_as *as, uint64_t addr) { return addr >> as->page_shift; }

/* First index whose region ends above ADDR. */
static size_t find_idx(const struct mm_as_proc *p, uint64_t addr)
{
	return MM_PARTITION_POINT(p->nr_map, i, p->map[i]->end <= addr);
}

struct mm_region *mm_as_lookup(const struct mm_as_proc *p, uint64_t addr)
{
	size_t i = find_idx(p, addr);
	return i < p->nr_map && p->map[i]->start <= addr ? p->map[i] : NULL;
}

static void map_insert(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r)
{
	size_t i = find_idx(p, r->start);
	MM_GROW(p->map, p->nr_map, p->cap_map, 32);
	memmove(p->map + i + 1, p->map + i, (p->nr_map - i) * sizeof(*p->map));
	p->map[i] = r;
	p->nr_map++;
	p->map_bytes += mm_region_size(r);
	NOTIFY(as, region_new, p, r);
}

static void map_remove_at(struct mm_as_proc *p, size_t i)
{
	p->map_bytes -= mm_region_size(p->map[i]);
	memmove(p->map + i, p->map + i + 1, (p->nr_map - i - 1) * sizeof(*p->map));
	p->nr_map--;
}

static struct mm_region *region_new(struct mm_as *as, uint64_t start, uint64_t end,
				    const struct mm_region_event *by)
{
	struct mm_region *r = mm_calloc(1, sizeof(*r));
	r->start = start;
	r->end = end;
	r->fd = -1;
	r->id = ++as->next_id;
	r->origin_id = r->id;
	r->origin = r->created = *by;
	return r;
}

/* A new region over [start, end) with T's attributes: a piece of T. */
static struct mm_region *region_piece(struct mm_as *as, const struct mm_region *t,
				      uint64_t start, uint64_t end,
				      const struct mm_region_event *by)
{
	struct mm_region *r = region_new(as, start, end, by);
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
	r->fork_src = t->fork_src;
	return r;
}

/* Move R (already out of the map) to the history: keep its counts, free
 * its page sets so a dead region costs a fixed size. */
static void bury(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r,
		 const struct mm_region_event *by)
{
	r->ended = *by;
	if (r->ended.how == MM_HOW_NONE)
		r->ended.how = MM_HOW_SYSCALL;
	NOTIFY(as, region_end, p, r);
	r->nr_touched = r->touched.count;
	if (!r->nr_resident)    /* cut() and merges count before moving pages */
		r->nr_resident = r->resident.count;
	mm_pageset_free(&r->touched);
	mm_pageset_free(&r->resident);
	mm_pageset_free(&r->dirty);
	MM_GROW(p->dead, p->nr_dead, p->cap_dead, 32);
	p->dead[p->nr_dead++] = r;
}

/* Move resident/dirty pages of [lo, hi) from SRC to DST, shifted by DELTA bytes. */
static void move_pages(struct mm_as *as, struct mm_region *dst, struct mm_region *src,
		       uint64_t lo, uint64_t hi, int64_t delta)
{
	int64_t dp = delta / (int64_t)as->page_size;
	mm_pageset_move(&dst->resident, &src->resident, vpn(as, lo), vpn(as, hi), dp);
	mm_pageset_move(&dst->dirty, &src->dirty, vpn(as, lo), vpn(as, hi), dp);
}

/*
 * Take the region at index I out of the map and put back its parts outside
 * [lo, hi) as new regions (pieces, with their resident pages).  Returns the
 * old region, still holding the pages of [lo, hi), for the caller to use
 * and then bury().
 */
static struct mm_region *cut(struct mm_as *as, struct mm_as_proc *p, size_t i,
			     uint64_t lo, uint64_t hi, const struct mm_region_event *by)
{
	struct mm_region *old = p->map[i];
	map_remove_at(p, i);
	old->nr_resident = old->resident.count;
	if (old->start < lo) {
		struct mm_region *l = region_piece(as, old, old->start, lo, by);
		move_pages(as, l, old, l->start, l->end, 0);
		map_insert(as, p, l);
	}
	if (hi < old->end) {
		struct mm_region *r = region_piece(as, old, hi, old->end, by);
		move_pages(as, r, old, r->start, r->end, 0);
		map_insert(as, p, r);
	}
	return old;
}

/* Remove [lo, hi) from the map: what the kernel's do_munmap does. */
static void unmap_range(struct mm_as *as, struct mm_as_proc *p, uint64_t lo, uint64_t hi,
			const struct mm_region_event *by)
{
	size_t i = find_idx(p, lo);
	while (i < p->nr_map && p->map[i]->start < hi) {
		bool left = p->map[i]->start < lo;
		bury(as, p, cut(as, p, i, lo, hi, by), by);
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
static void merge_around(struct mm_as *as, struct mm_as_proc *p, uint64_t lo, uint64_t hi,
			 uint64_t ts)
{
	size_t i = find_idx(p, lo);
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
		move_pages(as, a, b, b->start, b->end, 0);
		p->map_bytes += mm_region_size(b);     /* a grows; b's removal */
		a->end = b->end;                        /* takes it off again */
		map_remove_at(p, i + 1);
		bury(as, p, b, &by);
	}
}

/* ================================================================
 * Operations.
 * ================================================================ */

int mm_as_mmap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
	       uint64_t addr, uint64_t len, unsigned prot, unsigned mapflags,
	       int fd, uint64_t off)
{
	uint64_t end = addr + page_up(as, len);
	if (!len || end <= addr || (addr & (as->page_size - 1)))
		return -1;
	unmap_range(as, p, addr, end, by);      /* MAP_FIXED replaces */
	struct mm_region *r = region_new(as, addr, end, by);
	r->prot = prot & 7;
	if ((mapflags & X_MAP_TYPE) == X_MAP_SHARED || (mapflags & X_MAP_TYPE) == 3)
		r->flags |= MM_REG_SHARED;
	if (mapflags & X_MAP_GROWSDOWN)
		r->flags |= MM_REG_GROWSDOWN;
	if (mapflags & X_MAP_ANONYMOUS) {
		r->backing = MM_BACK_ANON;
	} else {
		char buf[32];
		r->backing = MM_BACK_FILE;
		r->fd = fd;
		r->offset = off;
		snprintf(buf, sizeof(buf), "fd %d", fd);
		r->name = intern(as, buf);      /* until a snapshot names it */
	}
	map_insert(as, p, r);
	return 0;
}

int mm_as_munmap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		 uint64_t addr, uint64_t len)
{
	if (!len || (addr & (as->page_size - 1)))
		return -1;
	unmap_range(as, p, addr, addr + page_up(as, len), by);
	return 0;
}

int mm_as_mprotect(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		   uint64_t addr, uint64_t len, unsigned prot)
{
	uint64_t lo = addr, hi = addr + page_up(as, len);
	size_t i = find_idx(p, lo);

	prot &= 7;
	if (addr & (as->page_size - 1))
		return -1;
	while (i < p->nr_map && p->map[i]->start < hi) {
		struct mm_region *r = p->map[i];
		if (r->prot == prot || (r->start >= lo && r->end <= hi)) {
			r->prot = (uint8_t)prot;    /* whole region: no split */
			i++;
			continue;
		}
		uint64_t mlo = r->start > lo ? r->start : lo;
		uint64_t mhi = r->end < hi ? r->end : hi;
		struct mm_region *old = cut(as, p, i, lo, hi, by);
		struct mm_region *mid = region_piece(as, old, mlo, mhi, by);
		mid->prot = (uint8_t)prot;
		move_pages(as, mid, old, mlo, mhi, 0);
		bury(as, p, old, by);
		map_insert(as, p, mid);
		i = find_idx(p, mhi);
	}
	merge_around(as, p, lo, hi, by->ts);
	return 0;
}

/* Grow or shrink the region ending at END in place to NEW_END. */
static int resize_in_place(struct mm_as *as, struct mm_as_proc *p, uint64_t end,
			   uint64_t new_end, const struct mm_region_event *by)
{
	size_t i = find_idx(p, end - 1);
	if (i >= p->nr_map || p->map[i]->end != end || p->map[i]->start >= new_end)
		return -1;
	struct mm_region *r = p->map[i];
	if (new_end > end) {
		unmap_range(as, p, end, new_end, by);  /* nothing there, normally */
	} else {
		mm_pageset_remove(&r->resident, vpn(as, new_end), vpn(as, end));
		mm_pageset_remove(&r->dirty, vpn(as, new_end), vpn(as, end));
		mm_pageset_remove(&r->touched, vpn(as, new_end), vpn(as, end));
		r->nr_touched = r->touched.count;
	}
	p->map_bytes = p->map_bytes - mm_region_size(r) + (new_end - r->start);
	r->end = new_end;
	return 0;
}

static void mremap_move(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
			size_t i, uint64_t old, uint64_t old_len, uint64_t new_len,
			unsigned flags, uint64_t result)
{
	struct mm_region *t = p->map[i];
	uint64_t lo = old, hi = old + old_len < t->end ? old + old_len : t->end;
	struct mm_region *n;

	if (old_len == 0) {             /* a second mapping of shared memory */
		n = region_piece(as, t, lo, lo + new_len, by);
		n->start = result;
		n->end = result + new_len;
		unmap_range(as, p, result, result + new_len, by);
		map_insert(as, p, n);
		return;
	}
	struct mm_region *was = cut(as, p, i, lo, hi, by);
	n = region_piece(as, was, lo, lo + new_len, by);
	move_pages(as, n, was, lo, hi, (int64_t)(result - lo));
	n->start = result;
	n->end = result + new_len;
	if (flags & X_MREMAP_DONTUNMAP)         /* old range stays, empty */
		map_insert(as, p, region_piece(as, was, lo, hi, by));
	bury(as, p, was, by);
	unmap_range(as, p, result, result + new_len, by);
	map_insert(as, p, n);
	/* pages past the new length went away with the move */
	mm_pageset_remove(&n->resident, vpn(as, n->end), UINT64_MAX);
	mm_pageset_remove(&n->dirty, vpn(as, n->end), UINT64_MAX);
}

int mm_as_mremap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		 uint64_t old, uint64_t old_len, uint64_t new_len, unsigned flags,
		 uint64_t result)
{
	old_len = page_up(as, old_len);
	new_len = page_up(as, new_len);
	if (!new_len || (old & (as->page_size - 1)))
		return -1;
	if (result == old) {
		if (new_len == old_len)
			return 0;
		if (resize_in_place(as, p, old + old_len, old + new_len, by) == 0)
			return 0;
		if (new_len < old_len) {
			unmap_range(as, p, old + new_len, old + old_len, by);
			return 0;
		}
		return -1;
	}
	size_t i = find_idx(p, old);
	if (i >= p->nr_map || p->map[i]->start > old)
		return -1;
	mremap_move(as, p, by, i, old, old_len, new_len, flags, result);
	return 0;
}

static struct mm_region *find_heap(const struct mm_as_proc *p)
{
	for (size_t i = 0; i < p->nr_map; i++)
		if (p->map[i]->backing == MM_BACK_HEAP)
			return p->map[i];
	return NULL;
}

int mm_as_brk(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
	      uint64_t result)
{
	struct mm_region *heap = find_heap(p);

	if (!p->brk_start) {            /* first sight: learn where it starts */
		p->brk_start = heap ? heap->start : result;
		p->brk_cur = heap ? heap->end : result;
	}
	uint64_t start = page_up(as, p->brk_start);
	uint64_t old_end = heap ? heap->end : start, new_end = page_up(as, result);
	p->brk_cur = result;
	if (new_end == old_end || result < p->brk_start)
		return 0;
	if (heap && new_end <= heap->start) {       /* trimmed to nothing */
		unmap_range(as, p, heap->start, heap->end, by);
		return 0;
	}
	if (heap)
		return resize_in_place(as, p, old_end, new_end, by);
	unmap_range(as, p, start, new_end, by);
	heap = region_new(as, start, new_end, by);
	heap->prot = MM_PROT_R | MM_PROT_W;
	heap->backing = MM_BACK_HEAP;
	heap->name = intern(as, "[heap]");
	map_insert(as, p, heap);
	return 0;
}

int mm_as_madvise(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		  uint64_t addr, uint64_t len, int advice)
{
	uint64_t hi = addr + page_up(as, len);
	(void)by;
	if (advice != X_MADV_DONTNEED && advice != X_MADV_FREE && advice != X_MADV_REMOVE &&
	    advice != X_MADV_PAGEOUT && advice != X_MADV_DONTNEED_LOCKED)
		return 0;               /* hints that free nothing */
	for (size_t i = find_idx(p, addr); i < p->nr_map && p->map[i]->start < hi; i++) {
		mm_pageset_remove(&p->map[i]->resident, vpn(as, addr), vpn(as, hi));
		mm_pageset_remove(&p->map[i]->dirty, vpn(as, addr), vpn(as, hi));
	}
	return 0;
}

int mm_as_shmat(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		int shmid, uint64_t addr, uint64_t size, int shmflg)
{
	char name[48];
	uint64_t key = 0;

	for (size_t i = 0; i < as->nr_shm; i++)
		if (as->shm[i].id == shmid) {
			key = as->shm[i].key;
			if (!size)
				size = as->shm[i].size;
		}
	if (!size)
		return -1;              /* shmget not seen: size unknown */
	uint64_t end = addr + page_up(as, size);
	unmap_range(as, p, addr, end, by);
	struct mm_region *r = region_new(as, addr, end, by);
	r->prot = (shmflg & X_SHM_RDONLY) ? MM_PROT_R : MM_PROT_R | MM_PROT_W;
	if (shmflg & X_SHM_EXEC)
		r->prot |= MM_PROT_X;
	r->flags = MM_REG_SHARED;
	r->backing = MM_BACK_SHM;
	r->ino = (uint64_t)shmid;
	snprintf(name, sizeof(name), "/SYSV%08llx (deleted)", (unsigned long long)key);
	r->name = intern(as, name);
	map_insert(as, p, r);
	return 0;
}

int mm_as_shmdt(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		uint64_t addr)
{
	struct mm_region *r = mm_as_lookup(p, addr);
	if (!r || r->backing != MM_BACK_SHM || r->start != addr)
		return -1;
	uint32_t origin = r->origin_id;
	uint64_t end = r->end;
	/* an mprotect may have split the segment: take all its pieces */
	for (struct mm_region *n; (n = mm_as_lookup(p, end)) && n->origin_id == origin;)
		end = n->end;
	unmap_range(as, p, addr, end, by);
	return 0;
}

static void note_shmget(struct mm_as *as, int id, uint64_t key, uint64_t size)
{
	MM_GROW(as->shm, as->nr_shm, as->cap_shm, 8);
	as->shm[as->nr_shm++] = (struct shm_seg){ .id = id, .key = key, .size = size };
}

/* A fault just below a grows-down region (the stack) extends it. */
static struct mm_region *grow_stack(struct mm_as *as, struct mm_as_proc *p, uint64_t addr)
{
	size_t i = find_idx(p, addr);
	if (i >= p->nr_map || !(p->map[i]->flags & MM_REG_GROWSDOWN))
		return NULL;
	struct mm_region *s = p->map[i];
	uint64_t floor = i > 0 ? p->map[i - 1]->end : 0;
	if (s->start - addr > STACK_GROW_MAX || addr < floor)
		return NULL;
	p->map_bytes += s->start - (addr & ~(as->page_size - 1));
	s->start = addr & ~(as->page_size - 1);
	return s;
}

struct mm_region *mm_as_fault(struct mm_as *as, struct mm_as_proc *p,
			      const struct mm_event *ev)
{
	const struct mm_fault *f = &ev->fault;
	struct mm_region *r = mm_as_lookup(p, f->addr);
	unsigned cls = f->class < MM_FAULT_NR ? f->class : MM_FAULT_OTHER;
	unsigned acc = f->access < MM_ACCESS_NR ? f->access : MM_ACCESS_R;
	bool first = false;

	if (!r)
		r = grow_stack(as, p, f->addr);
	if (!r) {
		p->unknown_faults[cls][acc]++;
		if (!p->nr_unknown++)
			p->unknown_first_addr = f->addr;
		p->unknown_last_addr = f->addr;
	} else {
		uint64_t v = vpn(as, f->addr);
		r->faults[cls][acc]++;
		r->nr_faults++;
		first = mm_pageset_add(&r->touched, v);
		if (first)
			pattern_touch(&r->pat, v, r->touched.count == 1);
		r->nr_touched = r->touched.count;
		mm_pageset_add(&r->resident, v);
		if (acc == MM_ACCESS_W || cls == MM_FAULT_COW)
			mm_pageset_add(&r->dirty, v);
	}
	NOTIFY(as, fault, p, r, ev, first);
	return r;
}

/* End every region of P's map (exec, or a snapshot replacing it). */
static void drop_map(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by)
{
	while (p->nr_map) {
		struct mm_region *r = p->map[--p->nr_map];
		bury(as, p, r, by);
	}
	p->map_bytes = 0;
	p->brk_start = p->brk_cur = 0;
	p->have_map = false;
}

void mm_as_fork(struct mm_as *as, struct mm_as_proc *parent, int32_t child_tgid,
		const struct mm_region_event *by)
{
	struct mm_as_proc *c = mm_as_proc_find(as, child_tgid);
	if (!c || c->exited || c->nr_map || c->nr_dead)
		c = proc_new(as, child_tgid);   /* pid reuse: a new process */
	c->parent = parent->tgid;
	c->first_ts = by->ts;
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	memcpy(c->exe, parent->exe, sizeof(c->exe));
	c->brk_start = parent->brk_start;
	c->brk_cur = parent->brk_cur;
	c->have_map = parent->have_map;
	for (size_t i = 0; i < parent->nr_map; i++) {
		const struct mm_region *t = parent->map[i];
		struct mm_region *r = region_piece(as, t, t->start, t->end, by);
		r->parent_id = 0;               /* lineage is within a process */
		r->origin = *by;
		r->origin_id = r->id;
		r->fork_src = (struct mm_region *)t;
		ps_copy(&r->resident, &t->resident);    /* shared until cow */
		ps_copy(&r->dirty, &t->dirty);
		map_insert(as, c, r);
	}
}

void mm_as_exit(struct mm_as *as, struct mm_as_proc *p, uint64_t ts)
{
	if (p->exited)
		return;
	p->exited = true;
	p->exit_ts = ts;
	/* the map stays as the process's final map; its regions are ended */
	for (size_t i = 0; i < p->nr_map; i++) {
		struct mm_region *r = p->map[i];
		r->ended = (struct mm_region_event){ .ts = ts, .pid = p->tgid, .how = MM_HOW_EXIT };
		r->nr_resident = r->resident.count;
		NOTIFY(as, region_end, p, r);
	}
}

void mm_as_exec(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by)
{
	struct mm_region_event e = *by;
	e.how = MM_HOW_EXEC;
	drop_map(as, p, &e);
}

/* ================================================================
 * Maps snapshots: load and check.
 * ================================================================ */

static void backing_from_name(struct mm_as *as, struct mm_region *r, const char *name)
{
	static const struct { const char *name; enum mm_backing b; } special[] = {
		{ "[heap]", MM_BACK_HEAP }, { "[stack]", MM_BACK_STACK },
		{ "[vdso]", MM_BACK_VDSO }, { "[vvar]", MM_BACK_VVAR },
		{ "[vvar_vclock]", MM_BACK_VVAR },
	};
	r->name = name[0] ? intern(as, name) : NULL;
	if (!name[0] || !strncmp(name, "[anon:", 6) ||
	    ((r->flags & MM_REG_SHARED) && !strcmp(name, "/dev/zero (deleted)"))) {
		r->backing = MM_BACK_ANON;
		return;
	}
	if (!strncmp(name, "/SYSV", 5)) {
		r->backing = MM_BACK_SHM;
		return;
	}
	if (name[0] != '[') {
		r->backing = MM_BACK_FILE;
		return;
	}
	r->backing = MM_BACK_SPECIAL;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(name, special[i].name))
			r->backing = special[i].b;
	if (r->backing == MM_BACK_STACK)
		r->flags |= MM_REG_GROWSDOWN;
}

static struct mm_region *region_from_entry(struct mm_as *as, const struct mm_maps_entry *e,
					   const struct mm_region_event *by)
{
	struct mm_region *r = region_new(as, e->start, e->end, by);
	r->prot = e->prot;
	r->flags = e->shared ? MM_REG_SHARED : 0;
	r->offset = e->offset;
	r->ino = e->ino;
	r->dev_major = e->dev_major;
	r->dev_minor = e->dev_minor;
	backing_from_name(as, r, e->name);
	if (r->backing != MM_BACK_FILE && r->backing != MM_BACK_SHM)
		r->offset = 0;
	return r;
}

int mm_as_load_maps(struct mm_as *as, struct mm_as_proc *p, const char *text,
		    const struct mm_region_event *by)
{
	struct mm_maps m;
	if (mm_maps_parse(text, strlen(text), &m) < 0)
		return -1;
	drop_map(as, p, by);
	for (size_t i = 0; i < m.n; i++) {
		struct mm_region *r = region_from_entry(as, &m.e[i], by);
		if (r->start >= r->end || mm_as_lookup(p, r->start)) {
			free(r);                /* malformed or overlapping line */
			continue;
		}
		if (r->backing == MM_BACK_HEAP) {
			p->brk_start = r->start;
			p->brk_cur = r->end;
		}
		map_insert(as, p, r);
	}
	p->have_map = true;
	mm_maps_free(&m);
	return 0;
}

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

static bool name_unknown(const struct mm_region *r)
{
	return r->backing == MM_BACK_FILE && r->fd >= 0 && r->name && !strncmp(r->name, "fd ", 3);
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
static void learn_names(struct mm_as *as, struct mm_as_proc *p, const struct mm_maps *m)
{
	for (size_t i = 0, k = 0; i < p->nr_map; i++) {
		struct mm_region *r = p->map[i];
		if (!name_unknown(r))
			continue;
		while (k < m->n && m->e[k].end <= r->start)
			k++;
		if (k < m->n && m->e[k].start <= r->start && m->e[k].name[0] == '/' &&
		    m->e[k].offset + (r->start - m->e[k].start) == r->offset)
			take_name(r, intern(as, m->e[k].name), NULL, &m->e[k]);
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
static void propagate_names(struct mm_as_proc *p)
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
	learn_names(as, p, &m);
	propagate_names(p);
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

/* ================================================================
 * Iteration.
 * ================================================================ */

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

/* ================================================================
 * Life cycle and the event feed.
 * ================================================================ */

struct mm_as *mm_as_new(uint64_t page_size, uint64_t cutoff_ns)
{
	struct mm_as *as = mm_calloc(1, sizeof(*as));
	if (!page_size || (page_size & (page_size - 1)))
		page_size = 4096;
	as->page_size = page_size;
	as->page_shift = (unsigned)__builtin_ctzll(page_size);
	as->cutoff_rel = cutoff_ns;
	as->cutoff_abs = UINT64_MAX;
	return as;
}

void mm_as_set_page_size(struct mm_as *as, uint64_t page_size)
{
	if (page_size && !(page_size & (page_size - 1))) {
		as->page_size = page_size;
		as->page_shift = (unsigned)__builtin_ctzll(page_size);
	}
}

void mm_as_add_snapshot(struct mm_as *as, int32_t pid, int phase, uint64_t ts,
			const char *text)
{
	MM_GROW(as->snaps, as->nr_snaps, as->cap_snaps, 16);
	as->snaps[as->nr_snaps++] = (struct snap){ pid, phase, ts, text };
	as->snaps_sorted = false;
}

static int snap_cmp(const void *a, const void *b)
{
	const struct snap *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->phase - y->phase;     /* START, EXEC, END at one instant */
}

static void apply_snapshot(struct mm_as *as, const struct snap *s)
{
	struct mm_as_proc *p = mm_as_proc_get(as, s->pid);
	struct mm_region_event by = { .ts = s->ts,
		.how = s->phase == MM_PHASE_EXEC ? MM_HOW_EXEC : MM_HOW_START };

	if (!p->first_ts)
		p->first_ts = s->ts;
	if (s->phase == MM_PHASE_END)
		mm_as_check(as, p, s->text);
	else if (mm_as_load_maps(as, p, s->text, &by) < 0)
		p->nr_skipped++;
}

/* Replay queued snapshots taken at or before TS (and not past the cutoff). */
static void replay_snapshots(struct mm_as *as, uint64_t ts)
{
	if (!as->snaps_sorted && as->nr_snaps) {
		qsort(as->snaps + as->snap_next, as->nr_snaps - as->snap_next,
		      sizeof(*as->snaps), snap_cmp);
		as->snaps_sorted = true;
	}
	if (ts > as->cutoff_abs)
		ts = as->cutoff_abs;
	while (as->snap_next < as->nr_snaps && as->snaps[as->snap_next].ts <= ts)
		apply_snapshot(as, &as->snaps[as->snap_next++]);
}

static bool sys_ok(const struct mm_syscall *s)
{
	return s->has_ret && !(s->ret < 0 && s->ret >= -4095);
}

static bool changes_map(unsigned nr)
{
	return nr == MM_SYS_BRK || nr == MM_SYS_MMAP || nr == MM_SYS_MUNMAP ||
	       nr == MM_SYS_MREMAP || nr == MM_SYS_MPROTECT || nr == MM_SYS_SHMAT ||
	       nr == MM_SYS_SHMDT;
}

static void apply_syscall(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev)
{
	const struct mm_syscall *s = &ev->sys;
	const uint64_t *a = s->args;
	struct mm_region_event by = { .ts = ev->ts, .pid = ev->pid,
				      .how = MM_HOW_SYSCALL, .sys = s->nr };
	uint64_t r = (uint64_t)s->ret;
	int rc = 0;

	if (!sys_ok(s)) {
		if (!s->has_ret && changes_map(s->nr))
			p->nr_skipped++;        /* a change we cannot know */
		return;
	}
	switch (s->nr) {
	case MM_SYS_BRK: rc = mm_as_brk(as, p, &by, r); break;
	case MM_SYS_MMAP:
		rc = mm_as_mmap(as, p, &by, r, a[1], (unsigned)a[2], (unsigned)a[3],
				(int)a[4], a[5]);
		break;
	case MM_SYS_MUNMAP: rc = mm_as_munmap(as, p, &by, a[0], a[1]); break;
	case MM_SYS_MREMAP:
		rc = mm_as_mremap(as, p, &by, a[0], a[1], a[2], (unsigned)a[3], r);
		break;
	case MM_SYS_MPROTECT: rc = mm_as_mprotect(as, p, &by, a[0], a[1], (unsigned)a[2]); break;
	case MM_SYS_MADVISE: rc = mm_as_madvise(as, p, &by, a[0], a[1], (int)a[2]); break;
	case MM_SYS_SHMGET: note_shmget(as, (int)s->ret, a[0], a[1]); break;
	case MM_SYS_SHMAT: rc = mm_as_shmat(as, p, &by, (int)a[0], r, 0, (int)a[2]); break;
	case MM_SYS_SHMDT: rc = mm_as_shmdt(as, p, &by, a[0]); break;
	default: break;
	}
	if (rc < 0)
		p->nr_skipped++;
}

static void apply_proc_event(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev)
{
	struct mm_region_event by = { .ts = ev->ts, .pid = ev->pid };

	switch (ev->kind) {
	case MM_EV_FORK:
		if (ev->proc.is_thread) {
			imap_put(&as->tid_tgid, ev->proc.child_pid, (uint32_t)p->tgid);
		} else {
			by.how = MM_HOW_FORK;
			mm_as_fork(as, p, ev->proc.child_pid, &by);
		}
		break;
	case MM_EV_EXEC:
		by.how = MM_HOW_EXEC;
		mm_as_exec(as, p, &by);
		snprintf(p->exe, sizeof(p->exe), "%s", ev->proc.path);
		memcpy(p->comm, ev->proc.comm, sizeof(p->comm));
		break;
	case MM_EV_EXIT:
		if (ev->pid == p->tgid)
			mm_as_exit(as, p, ev->ts);
		break;
	case MM_EV_RENAME:
		if (ev->pid == p->tgid)
			memcpy(p->comm, ev->proc.comm, sizeof(p->comm));
		break;
	default:
		break;
	}
}

void mm_as_event(struct mm_as *as, const struct mm_event *ev)
{
	if (!as->have_t0) {
		as->have_t0 = true;
		as->t0 = ev->ts;
		if (as->cutoff_rel != MM_AS_NO_CUTOFF)
			as->cutoff_abs = ev->ts + as->cutoff_rel;
	}
	if (ev->ts > as->cutoff_abs) {
		as->frozen = true;
		return;
	}
	replay_snapshots(as, ev->ts);

	int32_t tgid = ev->tgid ? ev->tgid : mm_as_tgid_of(as, ev->pid);
	if (ev->tgid && ev->tgid != ev->pid)
		imap_put(&as->tid_tgid, ev->pid, (uint32_t)ev->tgid);
	if (ev->kind == MM_EV_RSS || ev->kind == MM_EV_FILEMAP)
		return;
	struct mm_as_proc *p = mm_as_proc_get(as, tgid);
	if (!p->first_ts)
		p->first_ts = ev->ts;
	if (ev->kind == MM_EV_FAULT)
		mm_as_fault(as, p, ev);
	else if (ev->kind == MM_EV_SYSCALL) {
		if (ev->sys.nr < MM_SYS_NR)
			p->nr_syscalls[ev->sys.nr]++;
		apply_syscall(as, p, ev);
	} else
		apply_proc_event(as, p, ev);
}

/* A model frozen by a cutoff still takes file names from the END
 * snapshots after it (names only: nothing is checked or changed). */
static void learn_from_later(struct mm_as *as)
{
	for (size_t i = as->snap_next; i < as->nr_snaps; i++) {
		const struct snap *s = &as->snaps[i];
		struct mm_as_proc *p = mm_as_proc_find(as, s->pid);
		struct mm_maps m;
		if (s->phase != MM_PHASE_END || !p || mm_maps_parse(s->text, strlen(s->text), &m) < 0)
			continue;
		learn_names(as, p, &m);
		propagate_names(p);
		mm_maps_free(&m);
	}
}

/* A fork copy maps the same file as its parent's region: whichever of
 * the two a snapshot named names the other (a child that unmaps the copy
 * before its END snapshot never sees it named otherwise).  Parents come
 * before their children in the process list, so a forward pass carries
 * names down and a backward pass carries them up. */
static void share_fork_names(struct mm_as *as)
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

void mm_as_finish(struct mm_as *as)
{
	replay_snapshots(as, as->frozen ? as->cutoff_abs : UINT64_MAX);
	learn_from_later(as);
	share_fork_names(as);
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
		free(p);
	}
	for (size_t i = 0; i < as->cap_names; i++)
		free(as->names[i]);
	free(as->names);
	free(as->procs);
	free(as->proc_idx.keys);
	free(as->proc_idx.vals);
	free(as->tid_tgid.keys);
	free(as->tid_tgid.vals);
	free(as->snaps);
	free(as->shm);
	free(as->hooks);
	free(as);
}
