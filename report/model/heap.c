/*
 * report/model/heap.c - the malloc-level model (heap.h says what it
 * holds and the rules that tie the allocator to the kernel's events).
 *
 * The live blocks are indexed by start and by extent (heap-blocks.c): a
 * free finds its block and a fault the block holding its address, and a
 * new block where a stale one starts (a free the trace lost, a hostile
 * file) replaces it.  Each process also links its blocks in a list, so
 * an image's end finds its leaks without a search.  Sites, processes and
 * threads are open-addressing tables (heap-tables.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/heapops.h"
#include "report/model/heap-int.h"

/* ---- live bytes and the peak ---- */

static void touch(struct mm_heap *h, struct procx *p, uint32_t si)
{
	struct mm_heap_site *s = &h->sites[si];

	if (s->dirty)
		return;
	s->dirty = true;
	MM_GROW(p->pub.dirty, p->pub.nr_dirty, p->pub.cap_dirty, 16);
	p->pub.dirty[p->pub.nr_dirty++] = si;
}

/* The process is at a new peak the sites were not copied at: copy. */
static void copy_peak(struct mm_heap *h, struct procx *p)
{
	if (!p->pub.peak_pending)
		return;
	for (uint32_t i = 0; i < p->pub.nr_dirty; i++) {
		struct mm_heap_site *s = &h->sites[p->pub.dirty[i]];
		s->at_peak = s->live;
		s->dirty = false;
	}
	p->pub.nr_dirty = 0;
	p->pub.peak_pending = false;
}

static void grow_live(struct mm_heap *h, struct procx *p, uint32_t si, uint64_t n, uint64_t ts)
{
	struct mm_heap_site *s = &h->sites[si];

	touch(h, p, si);
	s->live += n;
	s->live_blocks++;
	if (s->live > s->peak_live)
		s->peak_live = s->live;
	p->pub.live += n;
	if (p->pub.live > p->pub.peak) {
		p->pub.peak = p->pub.live;
		p->pub.peak_ts = ts;
		p->pub.peak_pending = true;
	}
}

static void shrink_live(struct mm_heap *h, struct procx *p, uint32_t si, uint64_t n)
{
	struct mm_heap_site *s = &h->sites[si];

	copy_peak(h, p);
	touch(h, p, si);
	s->live = s->live >= n ? s->live - n : 0;
	if (s->live_blocks)
		s->live_blocks--;
	p->pub.live = p->pub.live >= n ? p->pub.live - n : 0;
}

/* ---- blocks ---- */

static void unlink_block(struct mm_heap *h, struct procx *p, uint32_t i)
{
	struct blk *b = &h->b.blks[i];

	if (b->prev)
		h->b.blks[b->prev].next = b->next;
	else
		p->blocks = b->next;
	if (b->next)
		h->b.blks[b->next].prev = b->prev;
	heap_blk_remove(&h->b, i);
}

/* Block I ends (freed, or its image ended). */
static void drop(struct mm_heap *h, struct procx *p, uint32_t i)
{
	shrink_live(h, p, h->b.blks[i].site, h->b.blks[i].size);
	unlink_block(h, p, i);
}

static void add_block(struct mm_heap *h, struct procx *p, struct thr *t, uint32_t si,
		      uint64_t ptr, uint64_t size, uint64_t ts)
{
	uint32_t stale, i = heap_blk_add(&h->b, p->pub.tgid, ptr, size, &stale);
	if (stale) {
		/* a block already there is stale (its free was never seen): it goes */
		h->t.unknown_frees++;
		drop(h, p, stale);
		i = heap_blk_add(&h->b, p->pub.tgid, ptr, size, &stale);
	}
	if (!i) {
		h->t.untracked++;
		return;
	}
	struct blk *b = &h->b.blks[i];
	b->tid = t ? t->tid : 0;
	b->seq = ++h->seq;
	b->site = si;
	b->proc = (uint32_t)(p - h->procs);
	b->next = p->blocks;
	if (p->blocks)
		h->b.blks[p->blocks].prev = i;
	p->blocks = i;
	if (t)
		t->last_seq = b->seq;
	grow_live(h, p, si, size, ts);
}

/* The end of P's current image: its live blocks are its leaks. */
static void end_image(struct mm_heap *h, struct procx *p, struct mm_heap_note *note)
{
	copy_peak(h, p);
	/* oldest first (the list is newest first): a site keeps its first leaks */
	uint32_t i = p->blocks;
	while (i && h->b.blks[i].next)
		i = h->b.blks[i].next;
	while (i) {
		const struct blk *b = &h->b.blks[i];
		uint32_t prev = b->prev;
		struct mm_heap_site *s = &h->sites[b->site];

		if (s->leaks < MM_HEAP_FIRST)
			s->first[s->leaks] = b->start;
		s->leaks++;
		s->leaked += b->size;
		unlink_block(h, p, i);
		i = prev;
	}
	/* the image's live figures are over; its peak stays */
	for (uint32_t i = 0; i < p->pub.nr_dirty; i++)
		h->sites[p->pub.dirty[i]].dirty = false;
	p->pub.nr_dirty = 0;
	p->pub.live = 0;
	if (p->pub.exec_pending) {
		p->pub.not_recorded = true;
		if (note)
			note->not_recorded = true;
	}
	p->pub.exec_pending = false;
}

/* ---- events ---- */

static void on_call(struct mm_heap *h, const struct mm_event *ev, struct mm_heap_note *note)
{
	const struct mm_heap_call *c = &ev->heap;
	int32_t tgid = ev->tgid > 0 ? ev->tgid : ev->pid;
	struct procx *p = heap_proc(h, tgid);
	struct thr *t = heap_thread(h, ev->pid, true);
	unsigned op = c->op;

	if (t)
		t->tgid = tgid;
	if (op == MM_OP_LOST) {
		h->t.lost += c->size;
		return;
	}
	if (!p)
		return;
	if (op == MM_OP_HELLO) {
		p->pub.hello = true;
		p->pub.exec_pending = false;
		if (c->aux & MM_HELLO_NOT_OURS)
			p->pub.not_ours = true;
		return;
	}
	bool free_family = MM_OP_IS_FREE(op);
	uint64_t old = free_family ? c->ptr : MM_OP_IS_REALLOC(op) ? c->old : 0;
	bool moved_or_freed = MM_OP_IS_REALLOC(op) ? (c->ptr || !c->size) && old : old != 0;
	unsigned nr_pend = t ? t->nr_pend : 0;

	if (t) {
		t->nr_pend = 0;
		t->free_valid = false;
	}
	if (free_family) {
		p->pub.frees++;
		h->t.frees++;
		if (t && c->ptr) {
			t->free_valid = true;
			t->free_ptr = c->ptr;
			t->free_site = c->site;
			t->free_ts = ev->ts;
			t->free_op = (uint8_t)op;
			t->free_si = UINT32_MAX;
		}
	}
	/* the block given back */
	if (moved_or_freed) {
		uint32_t bi = heap_blk_find(&h->b, tgid, old);
		if (bi) {
			const struct blk *b = &h->b.blks[bi];
			struct thr *bt = t && b->tid == t->tid ? t : heap_thread(h, b->tid, false);
			if (free_family && bt && bt->last_seq == b->seq) {
				h->sites[b->site].temporaries++;
				h->t.temporaries++;
				if (note)
					note->temporary = true;
			}
			if (free_family && t && t->free_valid)
				t->free_si = b->site;
			drop(h, p, bi);
		} else {
			h->t.unknown_frees++;
		}
	}
	if (free_family)
		return;
	/* the block asked for */
	p->pub.calls++;
	h->t.calls++;
	if (MM_OP_IS_REALLOC(op))
		h->t.reallocs++;
	uint32_t si = heap_site_index(h, p, c, (uint8_t)op);
	if (si == UINT32_MAX) {
		h->t.untracked++;
		return;
	}
	struct mm_heap_site *s = &h->sites[si];
	s->calls++;
	s->bytes += c->size;
	s->hist[mm_heap_size_class(c->size)]++;
	if (!c->ptr) {
		if (c->size) {
			s->failed++;
			h->t.failed++;
		}
		return;
	}
	/* what the thread's syscalls since its previous call mapped for it */
	for (unsigned i = 0; i < nr_pend && t; i++) {
		uint8_t nr = t->pend[i].nr;
		uint64_t a = t->pend[i].addr, l = t->pend[i].len;
		if (nr != MM_SYS_BRK && !(c->ptr >= a && c->ptr - a < l))
			continue;
		if (nr == MM_SYS_BRK)
			s->brks++;
		else
			s->mmaps++;
		if (note && note->nr_caused < MM_HEAP_CAUSED) {
			note->caused[note->nr_caused].nr = nr;
			note->caused[note->nr_caused].addr = a;
			note->caused[note->nr_caused++].len = l;
		}
	}
	add_block(h, p, t, si, c->ptr, c->size, ev->ts);
}

static void on_syscall(struct mm_heap *h, struct thr *t, struct procx *p,
		       const struct mm_syscall *s, struct mm_heap_note *note)
{
	if (!s->has_ret || s->ret < 0)
		return;
	uint64_t ret = (uint64_t)s->ret;
	bool by_free = false;

	if (t && t->free_valid) {
		uint64_t ptr = t->free_ptr;
		switch (s->nr) {
		case MM_SYS_MUNMAP:
			by_free = ptr >= s->args[0] && ptr - s->args[0] < s->args[1];
			break;
		case MM_SYS_BRK:
			by_free = p && p->brk && ret < p->brk;
			break;
		case MM_SYS_MADVISE:
			by_free = true;
			break;
		default:
			break;
		}
	}
	if (by_free) {
		if (t->free_si != UINT32_MAX)
			h->sites[t->free_si].unmaps++;
		if (note) {
			note->by_free = true;
			note->free_ptr = t->free_ptr;
			note->free_site = t->free_site;
			note->free_ts = t->free_ts;
			note->free_op = t->free_op;
		}
	} else if (t && (s->nr == MM_SYS_BRK || s->nr == MM_SYS_MMAP ||
			 s->nr == MM_SYS_MPROTECT || s->nr == MM_SYS_MREMAP)) {
		uint64_t a = s->nr == MM_SYS_BRK ? ret : s->nr == MM_SYS_MMAP ? ret :
			     s->nr == MM_SYS_MREMAP ? ret : s->args[0];
		uint64_t l = s->nr == MM_SYS_BRK ? 0 : s->nr == MM_SYS_MREMAP ? s->args[2] : s->args[1];
		if (t->nr_pend == PEND) {
			memmove(t->pend, t->pend + 1, sizeof(t->pend[0]) * (PEND - 1));
			t->nr_pend--;
		}
		t->pend[t->nr_pend].nr = s->nr;
		t->pend[t->nr_pend].addr = a;
		t->pend[t->nr_pend++].len = l;
	}
	if (s->nr == MM_SYS_BRK && p)
		p->brk = ret;
}

void mm_heap_event(struct mm_heap *h, const struct mm_event *ev, struct mm_heap_note *note)
{
	if (note)
		memset(note, 0, sizeof(*note));
	if (ev->kind == MM_EV_HEAP) {
		on_call(h, ev, note);
		return;
	}
	struct thr *t = heap_thread(h, ev->pid, false);
	int32_t tgid = ev->tgid > 0 ? ev->tgid : t && t->tgid ? t->tgid : ev->pid;
	struct procx *p;

	switch (ev->kind) {
	case MM_EV_FAULT: {
		uint32_t bi = heap_blk_at(&h->b, tgid, ev->fault.addr);
		if (!bi)
			return;
		const struct blk *b = &h->b.blks[bi];
		h->sites[b->site].faults++;
		if (note) {
			note->in_block = true;
			note->block = b->start;
			note->block_size = b->size;
			note->block_site = h->sites[b->site].site;
			note->block_code = h->sites[b->site].code;
			note->block_op = h->sites[b->site].op;
		}
		return;
	}
	case MM_EV_SYSCALL:
		on_syscall(h, t, heap_proc(h, tgid), &ev->sys, note);
		return;
	case MM_EV_FORK:
		if (ev->proc.is_thread) {
			struct thr *c = heap_thread(h, ev->proc.child_pid, true);
			if (c)
				c->tgid = tgid;
		}
		return;
	case MM_EV_EXEC:
		if (!(p = heap_proc(h, tgid)))
			return;
		end_image(h, p, NULL);
		p->pub.image++;
		p->pub.hello = false;
		p->pub.exec_pending = true;
		snprintf(p->pub.exe, sizeof(p->pub.exe), "%s", ev->proc.path);
		return;
	case MM_EV_EXIT:
		if (ev->pid != tgid || !(p = heap_proc(h, tgid)) || p->pub.ended)
			return;
		end_image(h, p, note);
		p->pub.ended = true;
		return;
	default:
		return;
	}
}

void mm_heap_finish(struct mm_heap *h)
{
	for (uint32_t i = 0; i < h->nr_procs; i++)
		if (!h->procs[i].pub.ended)
			end_image(h, &h->procs[i], NULL);
}

const struct mm_heap_totals *mm_heap_totals(const struct mm_heap *h)
{
	return &h->t;
}

struct mm_heap_site *mm_heap_sites(const struct mm_heap *h, uint32_t *nr)
{
	*nr = h->nr_sites;
	return h->sites;
}

uint32_t mm_heap_nr_procs(const struct mm_heap *h)
{
	return h->nr_procs;
}

const struct mm_heap_proc *mm_heap_proc_at(const struct mm_heap *h, uint32_t i)
{
	return &h->procs[i].pub;
}

unsigned mm_heap_size_class(uint64_t size)
{
	unsigned c = size ? 63 - (unsigned)__builtin_clzll(size) : 0;

	return c < MM_HEAP_HIST ? c : MM_HEAP_HIST - 1;
}

