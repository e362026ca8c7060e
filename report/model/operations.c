/*
 * report/model/operations.c - what each memory syscall, fault and process
 * event does to a process's map: mmap, munmap, mprotect, mremap, brk,
 * madvise, shmat/shmdt, a fault (attributed, counted, page sets updated),
 * fork, exit, exec.
 *
 * Why the operations follow the kernel closely: at the end the rebuilt map
 * must equal /proc/PID/maps region by region (mapscheck.c), so the rounding
 * (lengths up to pages), the replacement done by MAP_FIXED and mremap's
 * target, and stack growth on faults are all modelled; what we cannot see
 * (VMA merges of unrelated neighbours, flags maps does not show) is
 * normalised away in the check instead.
 */
#include <stdio.h>
#include <string.h>

#include "memmon.h"
#include "report/model/as-int.h"

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

int mm_as_mmap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
	       uint64_t addr, uint64_t len, unsigned prot, unsigned mapflags,
	       int fd, uint64_t off)
{
	uint64_t end = addr + as_page_up(as, len);
	if (!len || end <= addr || (addr & (as->page_size - 1)))
		return -1;
	as_unmap_range(as, p, addr, end, by);      /* MAP_FIXED replaces */
	struct mm_region *r = as_region_new(as, addr, end, by);
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
		if (!as_mapq_name(as, by->pid, r, prot)) {
			snprintf(buf, sizeof(buf), "fd %d", fd);
			r->name = as_intern(as, buf);  /* until a snapshot names it */
		}
	}
	as_map_insert(as, p, r);
	return 0;
}

int mm_as_munmap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		 uint64_t addr, uint64_t len)
{
	if (!len || (addr & (as->page_size - 1)))
		return -1;
	as_unmap_range(as, p, addr, addr + as_page_up(as, len), by);
	return 0;
}

int mm_as_mprotect(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		   uint64_t addr, uint64_t len, unsigned prot)
{
	uint64_t lo = addr, hi = addr + as_page_up(as, len);
	size_t i = as_find_idx(p, lo);

	prot &= 7;
	if (addr & (as->page_size - 1))
		return -1;
	as_mapq_mprotect(as, by->pid, lo, hi, prot);
	while (i < p->nr_map && p->map[i]->start < hi) {
		struct mm_region *r = p->map[i];
		if (r->prot == prot || (r->start >= lo && r->end <= hi)) {
			r->prot = (uint8_t)prot;    /* whole region: no split */
			i++;
			continue;
		}
		uint64_t mlo = r->start > lo ? r->start : lo;
		uint64_t mhi = r->end < hi ? r->end : hi;
		struct mm_region *old = as_cut(as, p, i, lo, hi, by);
		struct mm_region *mid = as_region_piece(as, old, mlo, mhi, by);
		mid->prot = (uint8_t)prot;
		as_move_pages(as, mid, old, mlo, mhi, 0);
		as_bury(as, p, old, by);
		as_map_insert(as, p, mid);
		i = as_find_idx(p, mhi);
	}
	as_merge_around(as, p, lo, hi, by->ts);
	return 0;
}

/* Grow or shrink the region ending at END in place to NEW_END. */
static int resize_in_place(struct mm_as *as, struct mm_as_proc *p, uint64_t end,
			   uint64_t new_end, const struct mm_region_event *by)
{
	size_t i = as_find_idx(p, end - 1);
	if (i >= p->nr_map || p->map[i]->end != end || p->map[i]->start >= new_end)
		return -1;
	struct mm_region *r = p->map[i];
	if (new_end > end) {
		as_unmap_range(as, p, end, new_end, by);  /* nothing there, normally */
	} else {
		mm_pageset_remove(&r->resident, as_vpn(as, new_end), as_vpn(as, end));
		mm_pageset_remove(&r->dirty, as_vpn(as, new_end), as_vpn(as, end));
		mm_pageset_remove(&r->touched, as_vpn(as, new_end), as_vpn(as, end));
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
		n = as_region_piece(as, t, lo, lo + new_len, by);
		n->start = result;
		n->end = result + new_len;
		as_unmap_range(as, p, result, result + new_len, by);
		as_map_insert(as, p, n);
		return;
	}
	struct mm_region *was = as_cut(as, p, i, lo, hi, by);
	n = as_region_piece(as, was, lo, lo + new_len, by);
	as_move_pages(as, n, was, lo, hi, (int64_t)(result - lo));
	n->start = result;
	n->end = result + new_len;
	if (flags & X_MREMAP_DONTUNMAP)         /* old range stays, empty */
		as_map_insert(as, p, as_region_piece(as, was, lo, hi, by));
	as_bury(as, p, was, by);
	as_unmap_range(as, p, result, result + new_len, by);
	as_map_insert(as, p, n);
	/* pages past the new length went away with the move */
	mm_pageset_remove(&n->resident, as_vpn(as, n->end), UINT64_MAX);
	mm_pageset_remove(&n->dirty, as_vpn(as, n->end), UINT64_MAX);
}

int mm_as_mremap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		 uint64_t old, uint64_t old_len, uint64_t new_len, unsigned flags,
		 uint64_t result)
{
	old_len = as_page_up(as, old_len);
	new_len = as_page_up(as, new_len);
	if (!new_len || (old & (as->page_size - 1)))
		return -1;
	if (result == old) {
		if (new_len == old_len)
			return 0;
		if (resize_in_place(as, p, old + old_len, old + new_len, by) == 0)
			return 0;
		if (new_len < old_len) {
			as_unmap_range(as, p, old + new_len, old + old_len, by);
			return 0;
		}
		return -1;
	}
	size_t i = as_find_idx(p, old);
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
	uint64_t start = as_page_up(as, p->brk_start);
	uint64_t old_end = heap ? heap->end : start, new_end = as_page_up(as, result);
	p->brk_cur = result;
	if (new_end == old_end || result < p->brk_start)
		return 0;
	if (heap && new_end <= heap->start) {       /* trimmed to nothing */
		as_unmap_range(as, p, heap->start, heap->end, by);
		return 0;
	}
	if (heap)
		return resize_in_place(as, p, old_end, new_end, by);
	as_unmap_range(as, p, start, new_end, by);
	heap = as_region_new(as, start, new_end, by);
	heap->prot = MM_PROT_R | MM_PROT_W;
	heap->backing = MM_BACK_HEAP;
	heap->name = as_intern(as, "[heap]");
	as_map_insert(as, p, heap);
	return 0;
}

int mm_as_madvise(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		  uint64_t addr, uint64_t len, int advice)
{
	uint64_t hi = addr + as_page_up(as, len);
	(void)by;
	if (advice != X_MADV_DONTNEED && advice != X_MADV_FREE && advice != X_MADV_REMOVE &&
	    advice != X_MADV_PAGEOUT && advice != X_MADV_DONTNEED_LOCKED)
		return 0;               /* hints that free nothing */
	for (size_t i = as_find_idx(p, addr); i < p->nr_map && p->map[i]->start < hi; i++) {
		mm_pageset_remove(&p->map[i]->resident, as_vpn(as, addr), as_vpn(as, hi));
		mm_pageset_remove(&p->map[i]->dirty, as_vpn(as, addr), as_vpn(as, hi));
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
	uint64_t end = addr + as_page_up(as, size);
	as_unmap_range(as, p, addr, end, by);
	struct mm_region *r = as_region_new(as, addr, end, by);
	r->prot = (shmflg & X_SHM_RDONLY) ? MM_PROT_R : MM_PROT_R | MM_PROT_W;
	if (shmflg & X_SHM_EXEC)
		r->prot |= MM_PROT_X;
	r->flags = MM_REG_SHARED;
	r->backing = MM_BACK_SHM;
	r->ino = (uint64_t)shmid;
	snprintf(name, sizeof(name), "/SYSV%08llx (deleted)", (unsigned long long)key);
	r->name = as_intern(as, name);
	as_map_insert(as, p, r);
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
	as_unmap_range(as, p, addr, end, by);
	return 0;
}

void as_note_shmget(struct mm_as *as, int id, uint64_t key, uint64_t size)
{
	MM_GROW(as->shm, as->nr_shm, as->cap_shm, 8);
	as->shm[as->nr_shm++] = (struct shm_seg){ .id = id, .key = key, .size = size };
}

/*
 * remap_file_pages(2) is emulated by the kernel since 4.0: the range of a
 * shared file mapping becomes a mapping of its own of the same file at file
 * page PGOFF (mm/mmap.c), populated.
 */
int mm_as_remap_file_pages(struct mm_as *as, struct mm_as_proc *p,
			   const struct mm_region_event *by, uint64_t start, uint64_t size,
			   uint64_t pgoff)
{
	start &= ~(as->page_size - 1);
	size &= ~(as->page_size - 1);
	struct mm_region *t = mm_as_lookup(p, start);
	if (!size || start + size <= start || !t || !(t->flags & MM_REG_SHARED) ||
	    t->backing != MM_BACK_FILE || start + size > t->end)
		return -1;
	struct mm_region *n = as_region_piece(as, t, start, start + size, by);
	n->offset = pgoff << as->page_shift;
	as_unmap_range(as, p, start, start + size, by);
	as_map_insert(as, p, n);
	return 0;
}

/* A fault just below a grows-down region (the stack) extends it. */
static struct mm_region *grow_stack(struct mm_as *as, struct mm_as_proc *p, uint64_t addr)
{
	size_t i = as_find_idx(p, addr);
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
	uint64_t pages = 0;

	if (!r)
		r = grow_stack(as, p, f->addr);
	if (!r) {
		p->unknown_faults[cls][acc]++;
		if (!p->nr_unknown++)
			p->unknown_first_addr = p->unknown_low_addr = p->unknown_high_addr = f->addr;
		p->unknown_last_addr = f->addr;
		if (f->addr < p->unknown_low_addr)
			p->unknown_low_addr = f->addr;
		if (f->addr > p->unknown_high_addr)
			p->unknown_high_addr = f->addr;
		as_fault_pages(as, p, NULL, f);
	} else {
		uint64_t v = as_vpn(as, f->addr);
		r->faults[cls][acc]++;
		r->nr_faults++;
		first = mm_pageset_add(&r->touched, v);
		if (first)
			as_pattern_touch(&r->pat, v, r->touched.count == 1);
		r->nr_touched = r->touched.count;
		pages = as_fault_pages(as, p, r, f);
	}
	if (f->kernel)
		as_kernel_fault_count(as, p, r, f, pages);
	NOTIFY(as, fault, p, r, ev, first);
	return r;
}
void mm_as_fork(struct mm_as *as, struct mm_as_proc *parent, int32_t child_tgid,
		const struct mm_region_event *by)
{
	struct mm_as_proc *c = mm_as_proc_find(as, child_tgid);
	if (!c || c->exited || c->nr_map || c->nr_dead)
		c = as_proc_new(as, child_tgid);   /* pid reuse: a new process */
	c->parent = parent->tgid;
	c->forked = parent->forked = true;
	c->first_ts = by->ts;
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	memcpy(c->exe, parent->exe, sizeof(c->exe));
	c->brk_start = parent->brk_start;
	c->brk_cur = parent->brk_cur;
	c->have_map = parent->have_map;
	for (size_t i = 0; i < parent->nr_map; i++) {
		const struct mm_region *t = parent->map[i];
		struct mm_region *r = as_region_piece(as, t, t->start, t->end, by);
		r->parent_id = 0;               /* lineage is within a process */
		r->origin = *by;
		r->origin_stack = 0;
		r->origin_id = r->id;
		r->fork_src = (struct mm_region *)t;
		mm_pageset_copy(&r->resident, &t->resident);    /* shared until cow */
		mm_pageset_copy(&r->dirty, &t->dirty);
		as_map_insert(as, c, r);
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
	p->pages_unplaced = 0;          /* a new mm: what was not placed went too */
	p->exec_ts = by->ts;
	as_drop_map(as, p, &e);
}
