/*
 * report/model/heap-tables.c - the malloc model's tables (heap.h): its
 * threads, processes and call sites as open-addressing hashes, and the
 * model's life cycle.  Each table is bounded (heap.h): what does not fit
 * is refused, and heap.c counts it.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/heapops.h"
#include "report/model/heap-int.h"
#include "report/model/symbols.h"

struct mm_heap *mm_heap_new(void)
{
	struct mm_heap *h = mm_calloc(1, sizeof(*h));

	h->site_mask = 1023;
	h->site_tab = mm_calloc(h->site_mask + 1, sizeof(uint32_t));
	h->thr_mask = 255;
	h->thr = mm_calloc(h->thr_mask + 1, sizeof(*h->thr));
	return h;
}

void mm_heap_free(struct mm_heap *h)
{
	if (!h)
		return;
	heap_blocks_free(&h->b);
	for (uint32_t i = 0; i < h->nr_procs; i++)
		free(h->procs[i].pub.dirty);
	free(h->procs);
	free(h->sites);
	free(h->site_tab);
	free(h->thr);
	free(h);
}

void mm_heap_skip_faults(struct mm_heap *h)
{
	h->b.no_extent = true;
}

void mm_heap_name_sites(struct mm_heap *h, struct mm_as *as)
{
	h->as = as;
}

/* ---- tables ---- */

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

struct thr *heap_thread_find(struct mm_heap *h, int32_t tid, bool make)
{
	if (tid <= 0)
		return NULL;
	if (h->thr_last && h->thr_last->tid == tid)
		return h->thr_last;              /* most calls are the last one's thread's */
	for (;;) {
		for (uint32_t i = (uint32_t)mix((uint64_t)tid) & h->thr_mask;; i = (i + 1) & h->thr_mask) {
			if (h->thr[i].tid == tid)
				return h->thr_last = &h->thr[i];
			if (h->thr[i].tid)
				continue;
			if (!make)
				return NULL;
			if ((h->nr_thr + 1) * 2 <= h->thr_mask + 1) {
				h->nr_thr++;
				memset(&h->thr[i], 0, sizeof(h->thr[i]));
				h->thr[i].tid = tid;
				return h->thr_last = &h->thr[i];
			}
			break;
		}
		/* grow (tids are bounded by the kernel's pid_max: 4M) */
		struct thr *old = h->thr;
		uint32_t n = h->thr_mask + 1;
		h->thr_last = NULL;
		h->thr_mask = n * 2 - 1;
		h->thr = mm_calloc(n * 2, sizeof(*h->thr));
		for (uint32_t k = 0; k < n; k++) {
			if (!old[k].tid)
				continue;
			uint32_t i = (uint32_t)mix((uint64_t)old[k].tid) & h->thr_mask;
			while (h->thr[i].tid)
				i = (i + 1) & h->thr_mask;
			h->thr[i] = old[k];
		}
		free(old);
	}
}

struct procx *heap_proc_find(struct mm_heap *h, int32_t tgid)
{
	uint32_t n = MM_HEAP_MAX_PROCS * 2;

	if (tgid <= 0)
		return NULL;
	if (h->nr_procs && h->procs[h->proc_last].pub.tgid == tgid)
		return &h->procs[h->proc_last];
	for (uint32_t i = (uint32_t)mix((uint64_t)tgid) % n;; i = (i + 1) % n) {
		if (h->ptab_keys[i] == tgid)
			return &h->procs[h->proc_last = h->ptab_vals[i]];
		if (h->ptab_keys[i])
			continue;
		if (h->nr_procs >= MM_HEAP_MAX_PROCS)
			return NULL;
		MM_GROW(h->procs, h->nr_procs, h->cap_procs, 16);
		struct procx *p = &h->procs[h->nr_procs];
		memset(p, 0, sizeof(*p));
		p->pub.tgid = tgid;
		h->ptab_keys[i] = tgid;
		h->ptab_vals[i] = h->nr_procs++;
		return p;
	}
}

static inline uint64_t site_key(uint64_t site, uint32_t stack, int32_t tgid, uint32_t image)
{
	return mix(site ^ (uint64_t)stack << 48 ^ mix((uint64_t)(uint32_t)tgid << 20 ^ image));
}

static inline bool same_site(const struct mm_heap_site *s, const struct mm_heap_call *c,
			     const struct procx *p)
{
	return s->site == c->site && s->stack == c->stack && s->tgid == p->pub.tgid &&
	       s->image == p->pub.image;
}

uint32_t heap_site_index(struct mm_heap *h, const struct procx *p, const struct mm_heap_call *c,
			 uint8_t op)
{
	if (h->nr_sites && same_site(&h->sites[h->site_last], c, p))
		return h->site_last;     /* a loop calls from one site */
	uint64_t key = site_key(c->site, c->stack, p->pub.tgid, p->pub.image);

	for (uint32_t i = (uint32_t)key & h->site_mask;; i = (i + 1) & h->site_mask) {
		uint32_t v = h->site_tab[i];
		if (v) {
			if (same_site(&h->sites[v - 1], c, p))
				return h->site_last = v - 1;
			continue;
		}
		if (h->nr_sites >= MM_HEAP_MAX_SITES)
			return UINT32_MAX;
		if ((h->nr_sites + 1) * 2 > h->site_mask + 1) {
			free(h->site_tab);
			h->site_mask = h->site_mask * 2 + 1;
			h->site_tab = mm_calloc(h->site_mask + 1, sizeof(uint32_t));
			for (uint32_t k = 0; k < h->nr_sites; k++) {
				struct mm_heap_site *s = &h->sites[k];
				uint32_t j = (uint32_t)site_key(s->site, s->stack, s->tgid, s->image) &
					     h->site_mask;
				while (h->site_tab[j])
					j = (j + 1) & h->site_mask;
				h->site_tab[j] = k + 1;
			}
			return heap_site_index(h, p, c, op);
		}
		MM_GROW(h->sites, h->nr_sites, h->cap_sites, 64);
		struct mm_heap_site *s = &h->sites[h->nr_sites];
		memset(s, 0, sizeof(*s));
		s->tgid = p->pub.tgid;
		s->image = p->pub.image;
		s->site = c->site;
		s->stack = c->stack;
		s->op = op;
		/* the site as a frame 0, its address as it is, then its callers
		 * (return addresses) when record took them */
		if (h->as)
			s->code = mm_as_stack_intern(h->as, mm_as_memory_of(h->as, p->pub.tgid),
						     c->nr_frames ? c->frames : &c->site,
						     c->nr_frames ? c->nr_frames : 1);
		h->site_tab[i] = ++h->nr_sites;
		return h->site_last = h->nr_sites - 1;
	}
}


const char *mm_heap_op_name(unsigned op)
{
	switch (op) {
	case MM_OP_FREE:            return "free";
	case MM_OP_DELETE:          return "delete";
	case MM_OP_DELETE_ARRAY:    return "delete[]";
	case MM_OP_MALLOC:          return "malloc";
	case MM_OP_CALLOC:          return "calloc";
	case MM_OP_VALLOC:          return "valloc";
	case MM_OP_PVALLOC:         return "pvalloc";
	case MM_OP_MEMALIGN:        return "memalign";
	case MM_OP_ALIGNED_ALLOC:   return "aligned_alloc";
	case MM_OP_POSIX_MEMALIGN:  return "posix_memalign";
	case MM_OP_NEW:             return "new";
	case MM_OP_NEW_ARRAY:       return "new[]";
	case MM_OP_REALLOC:         return "realloc";
	case MM_OP_REALLOCARRAY:    return "reallocarray";
	default:                    return "?";
	}
}
