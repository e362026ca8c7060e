/*
 * report/analyses/findings-heap.c - findings about the brk heap: growth
 * in top-pad steps with few pages touched (brk-top-pad), trimming
 * (heap-trim) and trim/grow oscillation (trim-oscillation).
 *
 * brk's contract decides how a call reads: brk(0) only asks for the break;
 * brk(X) returns X on success and the old break on failure (it never returns
 * an errno), so "result != argument" is a failed grow (findings-enomem.c
 * reports it).  Steps are measured between page-rounded breaks, as the
 * kernel maps whole pages.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/findings-int.h"

static const char explain_pad[] =
	"glibc's malloc grows the heap by more than it was asked for: the request "
	"plus M_TOP_PAD (128 KiB), page-rounded, so that the next small requests "
	"need no syscall. The kernel gives a page memory only when it is first "
	"touched, so the pad costs address space, not memory, until it is used; "
	"the first write to fresh heap is usually malloc's own chunk header.";
static const char tune_pad[] =
	"nothing to do unless address space matters; the pad is M_TOP_PAD "
	"(mallopt or GLIBC_TUNABLES=glibc.malloc.top_pad=BYTES)";
static const char explain_trim[] =
	"free() hands the top of the heap back to the kernel by lowering the break "
	"when the free space there exceeds M_TRIM_THRESHOLD (128 KiB, or twice the "
	"mmap threshold once glibc has raised that). Trimmed pages must be faulted "
	"in again if the heap grows back.";
static const char explain_osc[] =
	"The heap was trimmed and grown back again and again: each round costs two "
	"brk calls and a fault for every page touched again, for memory the "
	"program keeps needing.";
static const char tune_osc[] =
	"raise M_TRIM_THRESHOLD above the size that goes back and forth "
	"(mallopt(M_TRIM_THRESHOLD, ...) or GLIBC_TUNABLES=glibc.malloc.trim_threshold=BYTES), "
	"raise M_TOP_PAD, or keep the memory in a pool";

static void keep_ev(const struct mm_findings *fs, struct mm_find_ev *arr, unsigned *n,
		    const struct mm_event *ev)
{
	if (*n < 4)
		fnd_ev_from(fs, &arr[(*n)++], ev);
}

static void on_grow(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		    uint64_t newbrk)
{
	struct fheap *h = &p->heap;
	uint64_t step = fnd_page_up(fs, newbrk) - fnd_page_up(fs, h->cur);
	if (!step)
		return;
	if (!h->grows || step < h->min_step)
		h->min_step = step;
	if (step > h->max_step)
		h->max_step = step;
	h->grows++;
	h->grow_bytes += step;
	if (h->last_shrink)
		h->cycles++;
	h->last_shrink = false;
	keep_ev(fs, h->grow_ev, &h->nr_grow_ev, ev);
	fmmap_heap_grew(fs, p, ev, step);
}

static void on_shrink(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		      uint64_t newbrk)
{
	struct fheap *h = &p->heap;
	uint64_t step = fnd_page_up(fs, h->cur) - fnd_page_up(fs, newbrk);
	if (!step)
		return;
	h->shrinks++;
	h->shrink_bytes += step;
	h->last_shrink = true;
	keep_ev(fs, h->shrink_ev, &h->nr_shrink_ev, ev);
}

void fheap_syscall(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev)
{
	const struct mm_syscall *s = &ev->sys;
	struct fheap *h = &p->heap;
	if (s->nr != MM_SYS_BRK || !s->has_ret || fnd_failed(s))
		return;
	uint64_t want = s->args[0], got = (uint64_t)s->ret;
	if (!h->known || !want || got != want) {
		/* learn the break: first sight, brk(0), or a failed grow */
		if (!h->known)
			h->start = h->max = got;
		h->known = true;
		h->cur = got;
		return;
	}
	if (got > h->cur)
		on_grow(fs, p, ev, got);
	else if (got < h->cur)
		on_shrink(fs, p, ev, got);
	h->cur = got;
	if (got > h->max)
		h->max = got;
}

void fheap_fault(struct mm_findings *fs, struct fproc *p, const struct mm_region *r,
		 const struct mm_event *ev)
{
	struct fheap *h = &p->heap;
	if (!r || r->backing != MM_BACK_HEAP)
		return;
	if (!mm_pageset_add(&h->pages, ev->fault.addr / fs->page_size))
		h->refaults++;
	if (!h->have_first_fault) {
		h->have_first_fault = true;
		fnd_ev_from(fs, &h->first_fault, ev);
	}
}

static void finding_pad(struct mm_findings *fs, struct fproc *p)
{
	struct fheap *h = &p->heap;
	uint64_t pages = (fnd_page_up(fs, h->max) - fnd_page_up(fs, h->start)) / fs->page_size;
	uint64_t touched = h->pages.count;
	if (!h->grows || h->min_step < MM_GLIBC_TOP_PAD || !pages ||
	    touched * 100 > pages * MM_FIND_PAD_TOUCHED_PCT ||
	    touched * fs->page_size > MM_GLIBC_TOP_PAD / 4)
		return;
	struct mm_finding *f = fnd_add(fs, "brk-top-pad", MM_FIND_INFO, p->tgid);
	snprintf(f->summary, sizeof(f->summary),
		 "heap grown by brk %" PRIu64 " time%s (%" PRIu64 " KiB, steps of %" PRIu64
		 "-%" PRIu64 " KiB) but only %" PRIu64 " of its %" PRIu64 " pages were touched",
		 h->grows, h->grows == 1 ? "" : "s", h->grow_bytes >> 10, h->min_step >> 10,
		 h->max_step >> 10, touched, pages);
	f->explain = explain_pad;
	f->tune = tune_pad;
	fnd_num(f, "brk_grows", "count", h->grows);
	fnd_num(f, "grown_bytes", "bytes", h->grow_bytes);
	fnd_num(f, "min_step", "bytes", h->min_step);
	fnd_num(f, "max_step", "bytes", h->max_step);
	fnd_num(f, "heap_pages", "pages", pages);
	fnd_num(f, "pages_touched", "pages", touched);
	for (unsigned i = 0; i < h->nr_grow_ev; i++)
		fnd_ev(f, &h->grow_ev[i]);
	f->ev_total = h->grows;
	if (h->have_first_fault) {
		fnd_ev(f, &h->first_fault);
		f->ev_total++;
	}
}

static void finding_trim(struct mm_findings *fs, struct fproc *p)
{
	struct fheap *h = &p->heap;
	if (!h->shrinks)
		return;
	struct mm_finding *f = fnd_add(fs, "heap-trim", MM_FIND_INFO, p->tgid);
	snprintf(f->summary, sizeof(f->summary),
		 "heap trimmed %" PRIu64 " time%s (%" PRIu64 " KiB given back by lowering "
		 "brk), grown again after a trim %" PRIu64 " time%s",
		 h->shrinks, h->shrinks == 1 ? "" : "s", h->shrink_bytes >> 10,
		 h->cycles, h->cycles == 1 ? "" : "s");
	f->explain = explain_trim;
	fnd_num(f, "trims", "count", h->shrinks);
	fnd_num(f, "trimmed_bytes", "bytes", h->shrink_bytes);
	fnd_num(f, "regrows", "count", h->cycles);
	for (unsigned i = 0; i < h->nr_shrink_ev; i++)
		fnd_ev(f, &h->shrink_ev[i]);
	f->ev_total = h->shrinks;
}

static void finding_oscillation(struct mm_findings *fs, struct fproc *p)
{
	struct fheap *h = &p->heap;
	if (h->cycles < MM_FIND_OSC_CYCLES)
		return;
	struct mm_finding *f = fnd_add(fs, "trim-oscillation", MM_FIND_WARN, p->tgid);
	snprintf(f->summary, sizeof(f->summary),
		 "heap trimmed and grown back %" PRIu64 " times: %" PRIu64 " brk calls, %"
		 PRIu64 " faults on heap pages touched before",
		 h->cycles, h->grows + h->shrinks, h->refaults);
	f->explain = explain_osc;
	f->tune = tune_osc;
	fnd_num(f, "cycles", "count", h->cycles);
	fnd_num(f, "brk_grows", "count", h->grows);
	fnd_num(f, "trims", "count", h->shrinks);
	fnd_num(f, "syscalls", "count", h->grows + h->shrinks);
	fnd_num(f, "refaults", "count", h->refaults);
	fnd_num(f, "trimmed_bytes", "bytes", h->shrink_bytes);
	for (unsigned i = 0; i < h->nr_shrink_ev && i < 2; i++)
		fnd_ev(f, &h->shrink_ev[i]);
	for (unsigned i = 0; i < h->nr_grow_ev; i++)
		fnd_ev(f, &h->grow_ev[i]);
	f->ev_total = h->grows + h->shrinks;
}

void fheap_finish(struct mm_findings *fs, struct fproc *p)
{
	finding_pad(fs, p);
	finding_trim(fs, p);
	finding_oscillation(fs, p);
}

void fheap_free(struct fproc *p)
{
	mm_pageset_free(&p->heap.pages);
}
