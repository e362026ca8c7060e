/*
 * report/model/classify.c - the class of a fault the trace alone cannot
 * tell, from the region it hit.
 *
 * Kernels before 6.2 report rss_stat in per-task batches, and 6.1 has no
 * filemap events, so in tracepoint mode most faults reach report as
 * MM_FAULT_UNKNOWN (plugins/faults.c).  What the model knows is often
 * enough: the region's backing and sharing, the fault's error code, whether
 * the page was touched or written before in the region's life, whether a
 * fork partner still shares it, and whether its mm had swap entries then
 * (MM_FAULT_F_SWAPPED: swap-outs were counted at once even on those
 * kernels).  Where that cannot decide the class stays unknown: a file page
 * is never called anon.  design.md has the rules.
 */
#include "report/model/as-int.h"

/* Still holding its pages at NOW: neither exit_group called (the kernel
 * drops the mm before sched_process_exit) nor exited. */
static bool alive(const struct mm_as_proc *q, uint64_t now)
{
	return !(q->exiting_ts && q->exiting_ts <= now) && (!q->exited || q->exit_ts > now);
}

/*
 * Does a fork partner still share P's page at ADDR?  After a fork both
 * sides' private pages are write-protected; a write copies the page while
 * the other side still maps it and reuses it (no new page) once that side
 * exited, exec'd or wrote (copied) the page itself.  A child's regions are
 * made at the fork, so its touched set says what it copied since; the
 * parent's also hold what it touched before, so a parent counts as sharing.
 */
static bool shares_page(const struct mm_as *as, const struct mm_as_proc *p, uint64_t addr,
			uint64_t now)
{
	const struct mm_as_proc *pp = p->parent ? mm_as_proc_find(as, p->parent) : NULL;

	if (!p->forked)
		return false;
	if (pp && alive(pp, now) && pp->exec_ts <= p->first_ts && p->exec_ts <= p->first_ts)
		return true;
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		const struct mm_as_proc *c = mm_as_proc_at(as, i);
		const struct mm_region *r;

		if (c->parent != p->tgid || !alive(c, now) || c->exec_ts > c->first_ts ||
		    p->exec_ts > c->first_ts)
			continue;
		r = mm_as_lookup(c, addr);
		if (!r || !mm_pageset_has(&r->touched, as_vpn(as, addr)))
			return true;
	}
	return false;
}

static uint8_t private_anon(const struct mm_region *r, uint64_t vpn, uint32_t ec,
			    bool swapped, bool shared, bool forked)
{
	bool touched = mm_pageset_has(&r->touched, vpn);

	if (!(ec & MM_PF_PROT))   /* fresh memory, or a page swapped out (or dropped) */
		return swapped && touched ? MM_FAULT_UNKNOWN : MM_FAULT_ANON;
	if (!(ec & MM_PF_WRITE))
		return MM_FAULT_OTHER;
	if (shared)
		return MM_FAULT_COW;
	if (!touched || mm_pageset_has(&r->dirty, vpn))
		return MM_FAULT_OTHER;
	/* a page only read before maps the zero page: this write replaces it
	 * (anon); after a fork it may be an anon page the kernel now reuses
	 * (seen in 6.1: the kprobes said other), which the trace cannot tell */
	return forked ? MM_FAULT_UNKNOWN : MM_FAULT_ANON;
}

static uint8_t private_file(const struct mm_region *r, uint64_t vpn, uint32_t ec,
			    bool swapped, bool shared)
{
	bool copied = mm_pageset_has(&r->dirty, vpn);   /* an anon copy exists */

	if (!(ec & MM_PF_PROT)) {
		if (copied && swapped)   /* the copy swapped out, or dropped */
			return MM_FAULT_UNKNOWN;
		return ec & MM_PF_WRITE ? MM_FAULT_COW : MM_FAULT_FILE;
	}
	if (!(ec & MM_PF_WRITE))
		return MM_FAULT_OTHER;
	if (!copied)              /* the file's page, mapped read-only, copied */
		return MM_FAULT_COW;
	return shared ? MM_FAULT_COW : MM_FAULT_OTHER;
}

uint8_t mm_as_fault_class(const struct mm_as *as, const struct mm_event *ev)
{
	const struct mm_fault *f = &ev->fault;
	int32_t tgid = ev->tgid ? ev->tgid : mm_as_tgid_of(as, ev->pid);
	const struct mm_as_proc *p = mm_as_proc_find(as, tgid);
	if (p && p->shares_mm && mm_as_proc_find(as, p->mm_of))   /* vfork: the parent's map */
		p = mm_as_proc_find(as, p->mm_of);
	const struct mm_region *r = p ? mm_as_lookup(p, f->addr) : NULL;
	bool swapped = f->flags & MM_FAULT_F_SWAPPED;
	uint32_t ec = f->error_code;

	if (f->class != MM_FAULT_UNKNOWN)
		return f->class;
	if (!r && p) {            /* just below the stack: it grows (operations.c) */
		size_t i = as_find_idx(p, f->addr);
		if (i < p->nr_map && (p->map[i]->flags & MM_REG_GROWSDOWN))
			r = p->map[i];
	}
	if (!r)
		return MM_FAULT_UNKNOWN;
	/* shared memory, a shared file, the vdso: through the mapping's ->fault */
	if ((r->flags & MM_REG_SHARED) || r->backing == MM_BACK_SHM ||
	    r->backing == MM_BACK_VDSO || r->backing == MM_BACK_VVAR ||
	    r->backing == MM_BACK_SPECIAL)
		return ec & MM_PF_PROT ? MM_FAULT_OTHER : MM_FAULT_FILE;
	bool shared = (ec & MM_PF_PROT) && (ec & MM_PF_WRITE) && shares_page(as, p, f->addr, ev->ts);
	if (r->backing == MM_BACK_FILE)
		return private_file(r, as_vpn(as, f->addr), ec, swapped, shared);
	return private_anon(r, as_vpn(as, f->addr), ec, swapped, shared, p->forked);
}
