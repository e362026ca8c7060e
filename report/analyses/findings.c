/*
 * report/analyses/findings.c - the malloc-findings engine: per-process
 * state, event dispatch and the list of findings.
 *
 * Every event first goes to the address-space model (report/model/;
 * the caller feeds it), whose fault hook tells us which region a fault hit
 * and whether the page was touched for the first time; then the syscall
 * goes to each group of findings (heap, mmap, enomem).  The groups never
 * print: they append struct mm_finding records here, which the views
 * format.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/heapops.h"
#include "report/model/heap.h"
#include "report/analyses/findings-int.h"
#include "report/model/symbols.h"

static struct fproc *proc_get(struct mm_findings *fs, int32_t tgid)
{
	for (size_t i = 0; i < fs->nr_procs; i++)
		if (fs->procs[i]->tgid == tgid)
			return fs->procs[i];
	MM_GROW(fs->procs, fs->nr_procs, fs->cap_procs, 8);
	struct fproc *p = mm_calloc(1, sizeof(*p));
	p->tgid = tgid;
	p->mm.threshold = MM_GLIBC_MMAP_THRESHOLD;
	fs->procs[fs->nr_procs++] = p;
	return p;
}

/* The model's fault hook: the heap and mmap groups need the region and
 * whether the page is new. */
static void on_fault(void *ctx, struct mm_as_proc *ap, struct mm_region *r,
		     const struct mm_event *ev, bool first)
{
	struct mm_findings *fs = ctx;
	struct fproc *p = proc_get(fs, ap->tgid);
	fheap_fault(fs, p, r, ev);
	fmmap_fault(fs, p, ev, first);
}

struct mm_findings *mm_findings_new(struct mm_as *as)
{
	struct mm_findings *fs = mm_calloc(1, sizeof(*fs));
	static const struct mm_as_hooks hooks = { .fault = on_fault };
	fs->as = as;
	fs->name_sites = true;
	fs->page_size = mm_as_page_size(as);
	mm_as_add_hooks(as, &hooks, fs);
	return fs;
}

void mm_findings_name_sites(struct mm_findings *fs, bool on)
{
	fs->name_sites = on;
}

void fnd_site(const struct mm_findings *fs, const struct mm_find_ev *e, char *buf, size_t n)
{
	const struct mm_stack *st = fs->name_sites && e->code ? mm_as_stack(fs->as, e->code) : NULL;

	if (!mm_stack_top_format(st, buf, n))
		snprintf(buf, n, "%" PRIx64, e->args[2]);
}

void mm_findings_free(struct mm_findings *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->nr_procs; i++) {
		fheap_free(fs->procs[i]);
		fmmap_free(fs->procs[i]);
		free(fs->procs[i]);
	}
	free(fs->procs);
	free(fs->list);
	mm_heap_free(fs->heap);
	free(fs);
}

uint64_t mm_findings_t0(const struct mm_findings *fs) { return mm_as_t0(fs->as); }

/* With record --malloc's calls, the heap model ties syscalls to them
 * (report/model/heap.h): it sees every event but faults from the first
 * call on (no syscall before it is a call's). */
static const struct mm_heap_note *tie(struct mm_findings *fs, const struct mm_event *ev,
				      struct mm_heap_note *note)
{
	if (ev->kind == MM_EV_HEAP && !fs->heap)
		fs->heap = mm_heap_new();
	if (!fs->heap || ev->kind == MM_EV_FAULT)
		return NULL;
	mm_heap_event(fs->heap, ev, note);
	return note;
}

void mm_findings_event(struct mm_findings *fs, const struct mm_event *ev)
{
	struct mm_heap_note nb;
	if (fs->finished)
		return;
	const struct mm_heap_note *note = tie(fs, ev, &nb);
	if (ev->kind != MM_EV_SYSCALL && ev->kind != MM_EV_HEAP)  /* faults: on_fault() */
		return;
	int32_t tgid = ev->tgid ? ev->tgid : mm_as_tgid_of(fs->as, ev->pid);
	struct fproc *p = proc_get(fs, tgid);
	if (ev->kind == MM_EV_HEAP) {
		fmmap_call(fs, p, ev, note);
		return;
	}
	struct mm_find_ev fr;
	if (note && note->by_free) {
		fr = (struct mm_find_ev){ .ts = note->free_ts, .pid = ev->pid, .kind = MM_EV_HEAP,
					  .nr = note->free_op,
					  .args = { note->free_ptr, 0, note->free_site } };
		if (note->free_site)     /* its call site as a frame, as fnd_ev_from's */
			fr.code = mm_as_stack_intern(fs->as, mm_as_memory_of(fs->as, ev->pid),
						     &note->free_site, 1);
	}
	fheap_syscall(fs, p, ev);
	fmmap_syscall(fs, p, ev, note && note->by_free ? &fr : NULL);
	fenomem_syscall(fs, p, ev);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct mm_find_ev *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

void mm_findings_finish(struct mm_findings *fs)
{
	if (fs->finished)
		return;
	for (size_t i = 0; i < fs->nr_procs; i++) {
		fheap_finish(fs, fs->procs[i]);
		fmmap_finish(fs, fs->procs[i]);
		fenomem_finish(fs, fs->procs[i]);
	}
	for (size_t i = 0; i < fs->nr; i++)        /* evidence reads in time order */
		if (fs->list[i].nr_ev > 1)
			qsort(fs->list[i].ev, fs->list[i].nr_ev, sizeof(fs->list[i].ev[0]), ev_cmp);
	fs->finished = true;
}

size_t mm_findings_count(const struct mm_findings *fs) { return fs->nr; }

const struct mm_finding *mm_findings_at(const struct mm_findings *fs, size_t i)
{
	return i < fs->nr ? &fs->list[i] : NULL;
}

const struct mm_finding *mm_findings_find(const struct mm_findings *fs,
					  const char *id, int32_t pid)
{
	for (size_t i = 0; i < fs->nr; i++)
		if (!strcmp(fs->list[i].id, id) && (!pid || fs->list[i].pid == pid))
			return &fs->list[i];
	return NULL;
}

uint64_t mm_finding_num(const struct mm_finding *f, const char *name)
{
	for (unsigned i = 0; i < f->nr_num; i++)
		if (!strcmp(f->num[i].name, name))
			return f->num[i].value;
	return UINT64_MAX;
}

/* Helpers for the groups. */

struct mm_finding *fnd_add(struct mm_findings *fs, const char *id,
			   enum mm_find_sev sev, int32_t pid)
{
	MM_GROW(fs->list, fs->nr, fs->cap, 16);
	struct mm_finding *f = &fs->list[fs->nr++];
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->sev = sev;
	f->pid = pid;
	return f;
}

void fnd_num(struct mm_finding *f, const char *name, const char *unit, uint64_t v)
{
	if (f->nr_num < MM_FIND_NUMS)
		f->num[f->nr_num++] = (struct mm_find_num){ name, unit, v };
}

/* Keep the first MM_FIND_EVS events; count them all. */
void fnd_ev(struct mm_finding *f, const struct mm_find_ev *e)
{
	f->ev_total++;
	if (f->nr_ev < MM_FIND_EVS)
		f->ev[f->nr_ev++] = *e;
}

void fnd_ev_from(const struct mm_findings *fs, struct mm_find_ev *e, const struct mm_event *ev)
{
	memset(e, 0, sizeof(*e));
	e->ts = ev->ts;
	e->pid = ev->pid;
	e->kind = ev->kind;
	if (ev->kind == MM_EV_HEAP) {
		e->nr = ev->heap.op;
		e->args[0] = MM_OP_IS_FREE(ev->heap.op) ? ev->heap.ptr : ev->heap.size;
		e->args[1] = MM_OP_IS_FREE(ev->heap.op) ? 0 : ev->heap.ptr;
		e->args[2] = ev->heap.site;
		/* the call site (a return address in the caller) as a frame */
		if (ev->heap.site)
			e->code = mm_as_stack_intern(fs->as, mm_as_memory_of(fs->as, ev->pid),
						     &ev->heap.site, 1);
		return;
	}
	if (ev->kind == MM_EV_FAULT) {
		e->nr = ev->fault.class;
		e->access = ev->fault.access;
		e->args[0] = ev->fault.addr;
		/* the faulting instruction as a stack of one frame */
		if (!ev->fault.kernel)
			e->code = mm_as_stack_intern(fs->as, mm_as_memory_of(fs->as, ev->pid),
						     &ev->fault.ip, 1);
	} else if (ev->kind == MM_EV_SYSCALL) {
		e->nr = ev->sys.nr;
		e->has_ret = ev->sys.has_ret;
		e->ret = ev->sys.ret;
		memcpy(e->args, ev->sys.args, sizeof(e->args));
		e->code = mm_as_current_stack(fs->as);
	}
}

uint64_t fnd_page_up(const struct mm_findings *fs, uint64_t v)
{
	uint64_t m = fs->page_size - 1;
	return v > UINT64_MAX - m ? v & ~m : (v + m) & ~m;
}

/* A syscall that returned an error (negative errno). */
bool fnd_failed(const struct mm_syscall *s)
{
	return s->has_ret && s->ret < 0 && s->ret >= -4095;
}
