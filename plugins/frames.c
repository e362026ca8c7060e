/*
 * plugins/frames.c - kmem:mm_page_alloc / kmem:mm_page_free (record
 * --frames): the physical frames a watched task takes and gives back, and
 * the frame that served each of its faults.
 *
 * The tie of a fault to its frames.  page_fault_user/kernel fires before
 * the kernel handles the fault, in the faulting task; the allocations the
 * handler makes (a page table if the range had none, then the page it
 * maps) follow in that task, and once the page is mapped the kernel
 * counts it in the task's own mm: rss_stat, curr=1.  So a fault's frames
 * are the mm_page_alloc events of the same task (tid) after its fault
 * event and before the first of:
 *   - the task's first own rss_stat in the fault (6.2 on, where rss_stat
 *     comes per change; before 6.2 it comes in batches and ends nothing),
 *   - the task's next event that ends a held fault (its next fault, a
 *     memory syscall, a process event: plugins/decoder.c's "settles"),
 *   - the hold timeout (the decoder forces the fault out).
 * The CPU is not part of the rule: a fault that sleeps (reclaim, I/O)
 * may resume on another CPU, and the task's events are merged in time
 * order across CPUs.  The frame that served the fault is its first
 * movable allocation (user pages are GFP_HIGHUSER_MOVABLE; page tables and
 * the kernel's own are not): the anon page, the copy of a cow, the first
 * page cache page a file fault read (the rest of its readahead are
 * "user" frames of the same fault).  A fault that mapped the zero page or
 * upgraded a protection has none: from 6.2, where such a fault has no
 * rss_stat of its own, a movable frame before its end is not its own
 * (an untraced system call's, write() into the page cache, say) and is
 * named "user" instead.  Page tables are told by their gfp
 * flags: GFP_PGTABLE_USER (GFP_KERNEL_ACCOUNT | __GFP_ZERO, unmovable,
 * order 0), in a fault or not (a fork copying page tables, MAP_POPULATE).
 * Frames taken in an interrupt that came while the task ran (the pid
 * filter lets those through: they are the CPU's, not the task's) are
 * dropped and counted.
 *
 * Frees have only a pfn and an order: what was freed is the report's
 * business (it knows the pfns it saw allocated).
 */
#include <event-parse.h>

#include "plugin.h"

enum { F_PFN, F_ORDER, F_GFP, F_MIGRATE, F_FLAGS };
enum { SUB_ALLOC, SUB_FREE };

/* The kernel's bits, the same in 6.1 and 6.18 (include/linux/gfp_types.h;
 * both kernels' mm_page_alloc print formats name them so: __GFP_MOVABLE
 * 0x08, __GFP_ZERO 0x100, __GFP_ACCOUNT 0x400000) */
#define GFP_MOVABLE  (1ull << 3)
#define GFP_ZERO     (1ull << 8)
#define GFP_ACCOUNT  (1ull << 22)
#define MIGRATE_UNMOVABLE 0
#define MIGRATE_MOVABLE   1
/* common_flags: TRACE_FLAG_HARDIRQ, _SOFTIRQ, _NMI (kernel/trace/trace.h) */
#define IN_INTERRUPT 0x58u

const char *mm_frame_use_name(enum mm_frame_use u)
{
	static const char *const names[MM_FRAME_USE_NR] = {
		[MM_FRAME_FAULTED] = "faulted", [MM_FRAME_PAGETABLE] = "page table",
		[MM_FRAME_USER] = "user", [MM_FRAME_KERNEL] = "kernel",
		[MM_FRAME_FREED] = "freed",
	};
	return (unsigned)u < MM_FRAME_USE_NR ? names[u] : "?";
}

unsigned mm_frame_pmd_order(uint64_t page_size)
{
	if (page_size < 8 || (page_size & (page_size - 1)))
		return 0;
	return (unsigned)__builtin_ctzll(page_size) - 3;   /* page_size / 8 entries */
}

const char *mm_frame_order_name(unsigned order, unsigned pmd_order)
{
	return pmd_order && order == pmd_order ? "THP" : NULL;
}

static bool movable(int64_t migratetype, uint64_t gfp)
{
	return migratetype == MIGRATE_MOVABLE || (gfp & GFP_MOVABLE);
}

static bool pagetable(int64_t migratetype, uint64_t gfp, uint64_t order)
{
	return order == 0 && !movable(migratetype, gfp) &&
	       (gfp & (GFP_ZERO | GFP_ACCOUNT)) == (GFP_ZERO | GFP_ACCOUNT);
}

static int on_frame(struct mm_decoder *d, const struct mm_plugin_slot *s,
		    const uint8_t *data, uint32_t size, struct mm_task *t,
		    struct mm_event *ev)
{
	(void)size;
	if (mm_plugin_u64(d, data, s->f[F_FLAGS]) & IN_INTERRUPT) {
		d->counts.irq_frames++;
		return MM_PLUGIN_DROP;
	}
	struct mm_frame *f = &ev->frame;
	uint64_t order = mm_plugin_u64(d, data, s->f[F_ORDER]);
	memset(f, 0, sizeof(*f));
	ev->kind = MM_EV_FRAME;
	f->pfn = mm_plugin_u64(d, data, s->f[F_PFN]);
	f->order = order < 64 ? (uint8_t)order : 63;
	f->free = s->sub == SUB_FREE;
	f->migratetype = -1;
	f->during = mm_plugin_during(d, t, &f->sys);
	if (t->fault_held)
		f->fault_addr = mm_plugin_at(d, t->fault_seq)->fault.addr;
	if (f->free) {
		f->use = MM_FRAME_FREED;
		return MM_PLUGIN_EMIT;
	}
	int64_t mt = s->f[F_MIGRATE].size ? mm_plugin_s64(d, data, s->f[F_MIGRATE]) : -1;
	f->migratetype = mt >= -1 && mt < 16 ? (int8_t)mt : -1;
	f->gfp = mm_plugin_u64(d, data, s->f[F_GFP]);
	bool user = movable(mt, f->gfp);
	f->use = pagetable(mt, f->gfp, order) ? MM_FRAME_PAGETABLE :
		 user ? MM_FRAME_USER : MM_FRAME_KERNEL;
	if (!t->fault_held || t->ev.frames_closed) {
		f->fault_addr = 0;
		if (f->during == MM_DURING_FAULT)
			f->during = MM_DURING_NONE;   /* after the fault's page */
		return MM_PLUGIN_EMIT;
	}
	if (t->ev.nr_frames < UINT16_MAX)
		t->ev.nr_frames++;
	if (user && !t->ev.have_frame) {
		t->ev.have_frame = true;
		t->ev.pfn = f->pfn;
		t->ev.frame_order = f->order;
		t->ev.frame_seq = d->tail;
		f->use = MM_FRAME_FAULTED;
	}
	return MM_PLUGIN_EMIT;
}

void mm_plugin_frames_settle(struct mm_decoder *d, struct mm_task *t)
{
	/* From 6.2 a fault that mapped a page has its own rss_stat.  One that
	 * had none mapped no new page (the zero page, a protection upgrade):
	 * a movable frame taken before its end is an untraced system call's
	 * (write() into the page cache), not the fault's.  It is still in the
	 * hold queue, behind the held fault. */
	if (!t->ev.have_frame || t->ev.frames_closed || d->rss_batched)
		return;
	if (t->ev.frame_seq >= d->head && t->ev.frame_seq < d->tail) {
		struct mm_event *e = mm_plugin_at(d, t->ev.frame_seq);
		if (e->kind == MM_EV_FRAME && e->frame.use == MM_FRAME_FAULTED)
			e->frame.use = MM_FRAME_USER;
	}
	t->ev.have_frame = false;
}

static void bind(struct mm_decoder *d, const char *name, uint8_t sub)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, "kmem", name);
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_frame);
	if (!s)
		return;      /* not recorded (no --frames): nothing missing */
	s->sub = sub;
	mm_plugin_field(s, e, "pfn", &s->f[F_PFN]);
	mm_plugin_field(s, e, "order", &s->f[F_ORDER]);
	if (sub == SUB_ALLOC) {
		mm_plugin_field(s, e, "gfp_flags", &s->f[F_GFP]);
		mm_plugin_field(s, e, "migratetype", &s->f[F_MIGRATE]);
	}
	struct tep_format_field *fl = tep_find_common_field(e, "common_flags");
	if (fl && fl->offset >= 0 && fl->size == 1 && fl->offset < (int)s->min_size) {
		s->f[F_FLAGS].offset = (uint16_t)fl->offset;
		s->f[F_FLAGS].size = 1;
	}
}

int mm_plugin_frames_init(struct mm_decoder *d)
{
	bind(d, "mm_page_alloc", SUB_ALLOC);
	bind(d, "mm_page_free", SUB_FREE);
	return 0;
}
