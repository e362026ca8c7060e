/*
 * report/views/log-frames.c - the event log's words for record --frames
 * (report --log --frames): the frame that served a fault, on the fault's
 * line, and a line for every other frame a task took or gave back.
 *   1234: anon page @7f12b7d8f010 (W) -> pfn 1234567 (Normal)
 *   1234: anon page @7f12b7c00000 (W, 512 pages) -> pfn 1300480 (Normal, THP)
 *   1234: frame pfn 1234566 taken: page table (Normal), in fault @7f12b7d8f010
 *   1234: frame pfn 1234590 taken: kernel, order 2 (DMA32), in read
 *   1234: frame pfn 1234567 given back (Normal), in munmap
 * Zones are zoneinfo's names ("node N" added off node 0), "?" when no zone
 * of the snapshot holds the frame.  Orders above 0 are said, the PMD's
 * order as THP.
 */
#include "memmon.h"
#include "plugins/symbolic.h"
#include "report/analyses/frames.h"
#include "report/views/log.h"

/* "Normal", "Normal, node 1", "?" */
static char *zone_name(char *p, const struct mm_zones *z, uint64_t pfn)
{
	const struct mm_ctx_zone *c = z ? mm_zones_find(z, pfn) : NULL;
	if (!c)
		return mm_sym_str(p, "?");
	p = mm_sym_str(p, c->name);
	if (c->node)
		p = mm_sym_dec(mm_sym_str(p, ", node "), c->node);
	return p;
}

/* ", THP" or ", order 3"; nothing for order 0. */
static char *order_name(char *p, unsigned order, unsigned pmd_order)
{
	const char *name = mm_frame_order_name(order, pmd_order);
	if (name)
		return mm_sym_str(mm_sym_str(p, ", "), name);
	if (order)
		return mm_sym_udec(mm_sym_str(p, ", order "), order);
	return p;
}

char *mm_log_fault_frame(char *p, const struct mm_fault *f, const struct mm_zones *z,
			 unsigned pmd_order)
{
	if (!f->have_frame)
		return p;
	p = mm_sym_udec(mm_sym_str(p, " -> pfn "), f->pfn);
	p = zone_name(mm_sym_str(p, " ("), z, f->pfn);
	p = order_name(p, f->frame_order, pmd_order);
	*p++ = ')';
	return p;
}

char *mm_log_frame(char *p, const struct mm_frame *f, const struct mm_zones *z,
		   unsigned pmd_order)
{
	p = mm_sym_udec(mm_sym_str(p, "frame pfn "), f->pfn);
	p = mm_sym_str(p, f->free ? " given back" : " taken");
	const char *order = mm_frame_order_name(f->order, pmd_order);
	if (!f->free) {
		p = mm_sym_str(mm_sym_str(p, ": "), mm_frame_use_name(f->use));
		p = order_name(p, f->order, pmd_order);
	} else if (order) {
		p = mm_sym_str(mm_sym_str(p, ": "), order);
	} else if (f->order) {
		p = mm_sym_udec(mm_sym_str(p, ": order "), f->order);
	}
	p = zone_name(mm_sym_str(p, " ("), z, f->pfn);
	*p++ = ')';
	if (f->fault_addr && f->during == MM_DURING_FAULT)
		return mm_sym_hex(mm_sym_str(p, ", in fault @"), f->fault_addr);
	if (f->during == MM_DURING_SYSCALL && f->sys != MM_SYSCALL_NONE) {
		const char *name = mm_syscall_raw_name(f->sys);
		p = mm_sym_str(p, ", in ");
		return name ? mm_sym_str(p, name) : mm_sym_dec(mm_sym_str(p, "syscall "), f->sys);
	}
	return p;
}

char *mm_log_format_frames(struct mm_as *as, char *p, const struct mm_event *ev,
			   const struct mm_zones *z, unsigned pmd_order)
{
	if (ev->kind == MM_EV_FRAME)
		return mm_log_frame(mm_sym_str(mm_sym_dec(p, ev->pid), ": "), &ev->frame, z,
				    pmd_order);
	if (ev->kind != MM_EV_FAULT)
		return mm_log_format_named(as, p, ev);
	p = mm_log_fault_frame(mm_log_format(p, ev), &ev->fault, z, pmd_order);
	return mm_log_code(as, p, ev);
}
