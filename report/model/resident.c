/*
 * report/model/resident.c - which pages are resident, from what the
 * kernel itself reports.
 *
 * A fault carries the change of its process's rss counters (rss_stat,
 * plugins/rss.c): 1 page for a first touch, 512 for a THP fault, the pages
 * of its window for a fault-around (the window is the file range
 * mm_filemap_map_pages gave), 0 for a read that mapped the zero page or a
 * protection upgrade.  Those pages are placed: the faulting page first,
 * then the huge page it lies in or the window around it.  A memory syscall
 * carries its own change: what MAP_POPULATE, mlock, mlockall or
 * MADV_POPULATE_* mapped is placed in the call's range, in address order;
 * what MADV_DONTNEED/PAGEOUT or munmap dropped leaves with the range.  A
 * change the model cannot place (inside another syscall, or with no
 * syscall at all: the kernel reclaiming) is kept as a count on the
 * process, so that its total stays the kernel's.
 *
 * A trace without per-change counters (an old kernel, rss_stat missing)
 * falls back to "the faulting page is resident".  The START and EXEC
 * smaps snapshots seed what was resident before the first event (the new
 * program's stack, the pages the ELF loader touched).
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "report/model/as-int.h"
#include "report/model/smapsfile.h"

/* madvise(2) values (x86_64, as the recording machine had them) */
#define X_MADV_POPULATE_WRITE 23

/* The process's counts only ever add what an event claims: saturate
 * rather than overflow on a hostile trace. */
static void unplaced_add(struct mm_as_proc *p, int64_t v)
{
	if (__builtin_add_overflow(p->pages_unplaced, v, &p->pages_unplaced))
		p->pages_unplaced = v > 0 ? INT64_MAX : INT64_MIN;
}

static void count_add(uint64_t *c, uint64_t v)
{
	if (__builtin_add_overflow(*c, v, c))
		*c = UINT64_MAX;
}

static int64_t pos(int32_t v) { return v > 0 ? v : 0; }
static int64_t neg(int32_t v) { return v < 0 ? -(int64_t)v : 0; }

/* Pages the kernel's counters gained / lost (swap entries are not pages in
 * memory: SWAPENTS does not count). */
static int64_t gained_of(const int32_t rss[MM_RSS_NR])
{
	return pos(rss[MM_RSS_ANON]) + pos(rss[MM_RSS_FILE]) + pos(rss[MM_RSS_SHMEM]);
}

static int64_t lost_of(const int32_t rss[MM_RSS_NR])
{
	return neg(rss[MM_RSS_ANON]) + neg(rss[MM_RSS_FILE]) + neg(rss[MM_RSS_SHMEM]);
}

static bool any_rss(const int32_t rss[MM_RSS_NR])
{
	for (int m = 0; m < MM_RSS_NR; m++)
		if (rss[m])
			return true;
	return false;
}

/* Add VPN (inside R) to its resident set, and to dirty; true when new. */
static bool place(struct mm_region *r, uint64_t vpn, bool dirty)
{
	bool added = mm_pageset_add(&r->resident, vpn);
	if (dirty)
		mm_pageset_add(&r->dirty, vpn);
	return added;
}

/*
 * Bounds for a hostile trace: an event may claim any number of pages, so
 * placing them is limited to MM_AS_PLACE_BUDGET pages in the whole model
 * (the page sets' memory: 16 bytes per 64 pages), to looking at N/64 +
 * SCAN_SLACK blocks per event, and walks over many regions to
 * MM_AS_WALK_BUDGET visits (the time); what does not fit is counted,
 * unplaced.  A real process needs neither: 2^26 pages is 256 GiB.
 */
#define SCAN_SLACK  4096

/* One more region visited by a walk that may cover many; false when the
 * model has walked enough. */
static bool walk(struct mm_as *as)
{
	if (!as->walk_budget)
		return false;
	as->walk_budget--;
	return true;
}

/* Place up to N pages of R's [lo, hi) (vpns) in address order. */
static int64_t place_in_order(struct mm_as *as, struct mm_region *r, uint64_t lo, uint64_t hi,
			      int64_t n, bool dirty)
{
	if (n <= 0 || lo >= hi)
		return 0;
	uint64_t want = (uint64_t)n < as->place_budget ? (uint64_t)n : as->place_budget;
	uint64_t scan = want / 64 + SCAN_SLACK;
	uint64_t done = mm_pageset_fill(&r->resident, lo, hi, want, scan);
	if (dirty)
		mm_pageset_fill(&r->dirty, lo, hi, done, scan);
	as->place_budget -= done;
	return (int64_t)done;
}

/* Place up to N more pages of R's [lo, hi) (vpns): those after AROUND
 * first, then from the start; returns how many were new. */
static int64_t place_near(struct mm_as *as, struct mm_region *r, uint64_t lo, uint64_t hi,
			  uint64_t around, int64_t n, bool dirty)
{
	if (around < lo || around >= hi)
		return place_in_order(as, r, lo, hi, n, dirty);
	int64_t done = place_in_order(as, r, around + 1, hi, n, dirty);
	return done + place_in_order(as, r, lo, around, n - done, dirty);
}

/* Does region R hold pages the counter MEMBER counts? */
static bool counts_in(const struct mm_region *r, int member)
{
	bool shared = r->flags & MM_REG_SHARED;
	switch (member) {
	case MM_RSS_FILE:  return r->backing == MM_BACK_FILE;
	case MM_RSS_SHMEM: return r->backing == MM_BACK_SHM || (shared && r->backing == MM_BACK_ANON);
	default:           return !shared && r->backing != MM_BACK_SPECIAL &&
				  r->backing != MM_BACK_VDSO && r->backing != MM_BACK_VVAR;
	}
}

/* Take N resident pages out of R, from the page after VPN on, wrapping
 * (which ones the kernel took no event says; the count is what matters:
 * the region's total and the process's stay the kernel's). */
static int64_t unplace(struct mm_as *as, struct mm_region *r, uint64_t vpn, int64_t n)
{
	uint64_t lo = as_vpn(as, r->start), hi = as_vpn(as, r->end);
	if (n <= 0)
		return 0;
	uint64_t scan = (uint64_t)n / 64 + SCAN_SLACK;
	uint64_t done = mm_pageset_drain(&r->resident, lo, hi, vpn + 1, (uint64_t)n, scan);
	mm_pageset_drain(&r->dirty, lo, hi, vpn + 1, done, scan);
	return (int64_t)done;
}

/* The kernel reclaimed N pages counted by MEMBER in P's mm: out of R
 * first (the region that was faulting, where a scan's old pages are),
 * then out of P's other regions of that kind; what cannot be found is
 * taken off the process's total. */
static void reclaim(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r,
		    uint64_t vpn, int member, int64_t n)
{
	count_add(&p->pages_reclaimed, (uint64_t)n);
	if (r && counts_in(r, member))
		n -= unplace(as, r, vpn, n);
	for (size_t i = 0; i < p->nr_map && n > 0 && walk(as); i++)
		if (p->map[i] != r && counts_in(p->map[i], member))
			n -= unplace(as, p->map[i], as_vpn(as, p->map[i]->start) - 1, n);
	unplaced_add(p, -(n));
}

uint64_t as_fault_pages(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r,
			const struct mm_fault *f)
{
	bool dirty = f->access == MM_ACCESS_W || f->class == MM_FAULT_COW;
	bool told = any_rss(f->rss_up) || any_rss(f->rss_down);
	uint64_t v = as_vpn(as, f->addr);

	int64_t n;

	if (told)
		as->rss_faults++;
	if (!told && !as->rss_faults) {         /* the trace cannot say: old rule */
		if (!(f->flags & MM_FAULT_F_HUGE))
			return r && place(r, v, dirty) ? 1 : 0;
		/* but the kprobes saw a THP fault: a PMD's pages (2 MiB) */
		n = (int64_t)((2u << 20) >> as->page_shift);
	} else {
		/* what fell that the fault does not explain (a cow replacing
		 * the file page it copied does) is the kernel reclaiming to
		 * make room */
		for (int m = 0; m < MM_RSS_NR; m++) {
			int64_t down = f->rss_down[m];
			if (m == MM_RSS_FILE && f->class == MM_FAULT_COW && down > 0)
				down--;
			if (m != MM_RSS_SWAPENTS && down > 0)
				reclaim(as, p, r, v, m, down);
		}
		n = gained_of(f->rss_up);
	}
	if (!r) {                               /* outside every region we know */
		unplaced_add(p, n);
		return 0;
	}
	if (n <= 0)
		return 0;                       /* zero page, upgrade, already there */
	uint64_t lo = as_vpn(as, r->start), hi = as_vpn(as, r->end);
	/* the faulting page is one of them: new, or the page a cow replaced.
	 * Else the model's page there was a guess (fault-around maps only
	 * the window's cached pages) and all N are elsewhere. */
	int64_t done = 0, want = n;
	bool file = r->backing == MM_BACK_FILE || r->backing == MM_BACK_SHM;
	uint64_t off = file ? r->offset >> as->page_shift : 0;
	bool replaced = f->class == MM_FAULT_COW || f->rss_down[MM_RSS_FILE] > 0;
	if (place(r, v, dirty)) {
		done++;
		want--;
	} else if (replaced) {
		want--;
	}
	if (want > 0 && f->around && file) {
		/* the fault-around window, in file pages: where they sit here */
		uint64_t wlo = f->around_first > off ? lo + (f->around_first - off) : lo;
		uint64_t whi = f->around_last + 1 > off ? lo + (f->around_last + 1 - off) : lo;
		int64_t got = place_near(as, r, wlo, whi < hi ? whi : hi, v, want, false);
		want -= got;
		done += got;
	}
	if (want > 0) {
		/* a huge page or a large folio: the naturally aligned block of
		 * that many pages around the fault (file folios are aligned in
		 * the file, anonymous ones in memory).  A large file folio is
		 * mapped whole, beyond the window map_pages reports. */
		uint64_t span = 1;
		while (span < (uint64_t)n)
			span <<= 1;
		uint64_t blo;
		if (file) {
			uint64_t fi = off + (v - lo), fb = fi & ~(span - 1);
			blo = fb >= off ? lo + (fb - off) : lo;
		} else {
			blo = v & ~(span - 1);
		}
		uint64_t bhi = blo + span;
		int64_t got = place_near(as, r, blo > lo ? blo : lo, bhi < hi ? bhi : hi, v, want,
					 dirty && !file);
		want -= got;
		done += got;
	}
	if (want > 0) {                         /* anywhere else: nearest first */
		int64_t got = place_near(as, r, lo, hi, v, want, false);
		want -= got;
		done += got;
	}
	if (want > 0)                          /* more than the region could hold */
		unplaced_add(p, want);
	return (uint64_t)done;
}

/* Place N pages in [lo, hi) (addresses) of P's map, region by region in
 * address order; returns how many could not be. */
static int64_t place_range(struct mm_as *as, struct mm_as_proc *p, uint64_t lo, uint64_t hi,
			   int64_t n, bool dirty)
{
	for (size_t i = as_find_idx(p, lo); i < p->nr_map && p->map[i]->start < hi && n > 0 &&
	     walk(as); i++) {
		struct mm_region *r = p->map[i];
		uint64_t a = r->start > lo ? r->start : lo, b = r->end < hi ? r->end : hi;
		/* what populating skips: no access (guard pages), the kernel's
		 * own mappings ([vdso], [vvar]: VM_IO|VM_PFNMAP) */
		if (!r->prot || r->backing == MM_BACK_VDSO || r->backing == MM_BACK_VVAR ||
		    r->backing == MM_BACK_SPECIAL)
			continue;
		int64_t done = place_in_order(as, r, as_vpn(as, a), as_vpn(as, b), n, dirty);
		count_add(&p->pages_populated, (uint64_t)done);
		n -= done;
	}
	return n;
}

static uint64_t page_up(const struct mm_as *as, uint64_t v)
{
	return (v + as->page_size - 1) & ~(as->page_size - 1);
}

void as_syscall_pages(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev)
{
	const struct mm_syscall *s = &ev->sys;
	const uint64_t *a = s->args;
	int64_t n = gained_of(s->rss), left = n;
	uint64_t ret = (uint64_t)s->ret;

	if (!any_rss(s->rss))
		return;
	as->rss_faults++;                       /* the trace has per-change counters */
	if (n > 0) {
		switch (s->nr) {
		case MM_SYS_MMAP:               /* MAP_POPULATE, MAP_LOCKED, MCL_FUTURE */
			left = place_range(as, p, ret, ret + page_up(as, a[1]), n, false);
			break;
		case MM_SYS_MLOCK: case MM_SYS_MLOCK2: case MM_SYS_REMAP_FILE_PAGES:
			left = place_range(as, p, a[0] & ~(as->page_size - 1), a[0] + page_up(as, a[1]),
					   n, false);
			break;
		case MM_SYS_MADVISE:            /* MADV_POPULATE_READ/WRITE */
			left = place_range(as, p, a[0], a[0] + page_up(as, a[1]), n,
					   a[2] == X_MADV_POPULATE_WRITE);
			break;
		case MM_SYS_MREMAP:             /* the grown part of a locked mapping */
			left = place_range(as, p, ret + page_up(as, a[1]), ret + page_up(as, a[2]),
					   n, false);
			break;
		case MM_SYS_BRK: {              /* a heap grown under MCL_FUTURE */
			struct mm_region *h = mm_as_lookup(p, ret ? ret - 1 : 0);
			left = h ? place_range(as, p, h->start, h->end, n, false) : n;
			break;
		}
		case MM_SYS_MLOCKALL:           /* every mapping, in address order */
			left = place_range(as, p, 0, UINT64_MAX, n, false);
			break;
		default:
			break;
		}
		if (left > 0)
			unplaced_add(p, left);
	}
	/* drops with a range leave with it (munmap buries the region, madvise
	 * clears the range: events.c); process_madvise's ranges are in user
	 * memory the trace does not have */
	if (s->nr == MM_SYS_PROCESS_MADVISE)
		unplaced_add(p, -(lost_of(s->rss)));
}

/* Did the call drop pages?  False also when the trace cannot say. */
bool as_syscall_dropped(const struct mm_as *as, const struct mm_syscall *s)
{
	return !as->rss_faults || lost_of(s->rss) > 0;
}

void as_rss_event(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev)
{
	const struct mm_rss *r = &ev->rss;
	if (!r->curr || r->member >= MM_RSS_NR)
		return;                         /* another mm (exec's new one, a fork's) */
	p->have_rss = true;
	p->rss_bytes[r->member] = r->bytes;
	if (r->batched || r->carried || r->member == MM_RSS_SWAPENTS || !r->delta)
		return;                         /* a fault or a syscall carries it */
	/* inside another syscall (futex, O_DIRECT I/O) or none at all (the
	 * kernel reclaiming in the task's context): which pages, no range says */
	int64_t pages = r->delta / (int64_t)as->page_size;
	if (pages > INT32_MAX || pages < -(int64_t)INT32_MAX)
		pages = pages > 0 ? INT32_MAX : -(int64_t)INT32_MAX;
	if (pages < 0 && r->during == MM_DURING_NONE)
		reclaim(as, p, NULL, 0, r->member, -pages);
	else
		unplaced_add(p, pages);
}

void as_kernel_fault_count(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r,
			   const struct mm_fault *f, uint64_t pages)
{
	uint32_t origin = r ? r->origin_id : 0;
	struct mm_kernel_faults *k = NULL;

	p->kernel_faults++;
	if (r)
		r->kernel_faults++;
	for (size_t i = 0; i < p->nr_kfaults && !k; i++)
		if (p->kfaults[i].sys == f->sys && p->kfaults[i].origin_id == origin)
			k = &p->kfaults[i];
	if (!k) {
		MM_GROW(p->kfaults, p->nr_kfaults, p->cap_kfaults, 8);
		k = &p->kfaults[p->nr_kfaults++];
		*k = (struct mm_kernel_faults){ .sys = f->sys, .origin_id = origin,
			.label = r ? as_intern(as, mm_region_label(r)) : NULL };
	}
	k->faults++;
	k->pages += pages;
}

/* ---- fork ---- */

void as_fork_pages(struct mm_as *as, struct mm_as_proc *c, const struct mm_proc *f)
{
	/* fork copies the page tables of the private mappings that have
	 * anonymous pages (anon, heap, stack, a file mapping written to),
	 * not those of shared mappings or of file mappings only read: the
	 * child faults those in again (mm/memory.c, vma_needs_copy) */
	uint64_t copied = 0;
	for (size_t i = 0; i < c->nr_map; i++) {
		struct mm_region *r = c->map[i];
		bool anon = r->backing == MM_BACK_ANON || r->backing == MM_BACK_HEAP ||
			    r->backing == MM_BACK_STACK;
		if ((r->flags & MM_REG_SHARED) || (!anon && !r->dirty.count)) {
			mm_pageset_free(&r->resident);
			mm_pageset_free(&r->dirty);
		}
		count_add(&copied, r->resident.count);
	}
	if (!f->have_child_rss)
		return;
	/* the kernel's counters of the copy settle the number */
	int64_t kernel = 0;
	for (int m = 0; m < MM_RSS_NR; m++) {
		c->rss_bytes[m] = f->child_rss[m];
		if (m != MM_RSS_SWAPENTS && f->child_rss[m] > 0)
			kernel += f->child_rss[m] / (int64_t)as->page_size;
	}
	c->have_rss = true;
	c->pages_unplaced = kernel - (int64_t)(copied < INT64_MAX ? copied : INT64_MAX);
}

/* ---- smaps snapshots ---- */

void as_seed_from_smaps(struct mm_as *as, struct mm_as_proc *p, const char *text)
{
	struct mm_smaps s;
	if (mm_smaps_parse(text, strlen(text), &s) < 0)
		return;
	for (size_t i = 0; i < s.n; i++) {
		const struct mm_smaps_entry *e = &s.e[i];
		uint64_t lo = e->map.start, hi = e->map.end;
		int64_t want = (int64_t)((e->kb[MM_SMAPS_RSS] << 10) >> as->page_shift);
		want -= (int64_t)mm_as_resident_range(as, p, lo, hi);
		for (size_t k = as_find_idx(p, lo); want > 0 && k < p->nr_map && p->map[k]->start < hi &&
		     walk(as); k++) {
			struct mm_region *r = p->map[k];
			if (r->backing == MM_BACK_VDSO || r->backing == MM_BACK_VVAR ||
			    r->backing == MM_BACK_SPECIAL)
				continue;       /* smaps counts them, the rss counters not */
			uint64_t a = as_vpn(as, r->start > lo ? r->start : lo);
			uint64_t b = as_vpn(as, r->end < hi ? r->end : hi);
			if (r->flags & MM_REG_GROWSDOWN) {      /* a stack fills from the top */
				uint64_t top = b - a > (uint64_t)want ? b - (uint64_t)want : a;
				want -= place_in_order(as, r, top, b, want, true);
			}
			want -= place_in_order(as, r, a, b, want, false);
		}
	}
	mm_smaps_free(&s);
}

void as_keep_smaps_end(struct mm_as_proc *p, const char *text)
{
	struct mm_smaps *s = mm_calloc(1, sizeof(*s));
	if (mm_smaps_parse(text, strlen(text), s) < 0) {
		free(s);
		return;
	}
	if (p->smaps_end) {
		mm_smaps_free(p->smaps_end);
		free(p->smaps_end);
	}
	p->smaps_end = s;
}

void as_keep_status_end(struct mm_as_proc *p, const char *text)
{
	const char *v = strstr(text, "\nVmRSS:");
	if (v || !strncmp(text, "VmRSS:", 6))
		p->vmrss_end_kb = strtoll((v ? v + 1 : text) + 6, NULL, 10);
}

/* ---- totals ---- */

uint64_t mm_as_resident_range(const struct mm_as *as, const struct mm_as_proc *p,
			      uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;
	for (size_t i = as_find_idx(p, lo); i < p->nr_map && p->map[i]->start < hi; i++)
		n += mm_pageset_count_range(&p->map[i]->resident, as_vpn(as, lo), as_vpn(as, hi));
	return n;
}

uint64_t mm_as_resident_pages(const struct mm_as_proc *p)
{
	uint64_t placed = 0;
	for (size_t i = 0; i < p->nr_map; i++)
		count_add(&placed, p->map[i]->resident.count);
	if (p->pages_unplaced >= 0) {
		count_add(&placed, (uint64_t)p->pages_unplaced);
		return placed;
	}
	uint64_t taken = (uint64_t)-(p->pages_unplaced + 1) + 1;
	return placed > taken ? placed - taken : 0;
}
