/*
 * plugins/faults.c - exceptions:page_fault_user / page_fault_kernel and the
 * tracepoint-mode fault classifier.
 *
 * The tracepoint fires before the kernel handles the fault, so the class is
 * told by what the same task does next: rss_stat and filemap events inside
 * the fault are collected as evidence on the task (rss.c, filemap.c), and
 * the task's next fault, syscall or process event (or a kprobe classifier
 * event, or the hold timeout) settles it.  The rules are design.md's
 * "Fault classifier"; they are applied here in one place.  The same
 * evidence says how many pages the fault mapped (a THP fault 512, a
 * fault-around the pages of its window), which the fault carries.
 *
 * Kernel-mode faults are the kernel touching user memory for the task
 * (copy_to_user in read(), clear_user of a new program's bss, futex
 * words): classified by the same rules, tagged with the syscall the task
 * is in (insys.c keeps it).  Those on kernel addresses are not the
 * program's memory and are dropped.
 */
#include <event-parse.h>

#include "plugin.h"

enum { F_ADDRESS, F_IP, F_ERROR_CODE };
enum { SUB_USER, SUB_KERNEL };

static const char *const class_names[MM_FAULT_NR] = {
	[MM_FAULT_ANON] = "anon", [MM_FAULT_FILE] = "file", [MM_FAULT_SWAP] = "swap",
	[MM_FAULT_COW] = "cow", [MM_FAULT_OTHER] = "other", [MM_FAULT_UNKNOWN] = "unknown",
};

const char *mm_fault_class_name(enum mm_fault_class c)
{
	return (unsigned)c < MM_FAULT_NR ? class_names[c] : "?";
}

static uint8_t access_of(uint32_t error_code)
{
	if (error_code & MM_PF_INSTR)
		return MM_ACCESS_X;
	return error_code & MM_PF_WRITE ? MM_ACCESS_W : MM_ACCESS_R;
}

/* design.md's rules, in their order. */
static uint8_t classify(const struct mm_fault_evidence *e, uint32_t error_code, bool forked)
{
	if (e->swap_down || (e->swap_moved && e->anon_up))
		return MM_FAULT_SWAP;
	if (e->anon_up && (e->filemap || e->file_down))
		return MM_FAULT_COW;
	if (e->anon_up)
		return MM_FAULT_ANON;
	if (e->file_up || e->shmem_up || e->filemap)
		return MM_FAULT_FILE;
	/* No counter moved: a read of never-touched anon memory maps the
	 * shared zero page; a write to a present page after fork copies an
	 * anon page without changing ANONPAGES. */
	if (!(error_code & MM_PF_PROT))
		return MM_FAULT_ANON;
	if ((error_code & MM_PF_WRITE) && forked)
		return MM_FAULT_COW;
	return MM_FAULT_OTHER;
}

/* Kernels with batched rss_stat (< 6.2): a filemap event is the only
 * per-fault evidence; the rest is left to the address-space model
 * (report/model/classify.c), which knows the region's backing. */
static uint8_t classify_batched(const struct mm_fault_evidence *e, uint32_t error_code)
{
	if (e->filemap && !(error_code & MM_PF_WRITE))
		return MM_FAULT_FILE;
	return MM_FAULT_UNKNOWN;
}

static void settle(struct mm_decoder *d, struct mm_task *t, uint8_t class)
{
	struct mm_fault *f = &mm_plugin_at(d, t->fault_seq)->fault;
	f->class = class;
	for (int m = 0; m < MM_RSS_NR; m++) {
		f->rss_up[m] = mm_sat32(t->ev.up[m] / (int64_t)d->page_size);
		f->rss_down[m] = mm_sat32(t->ev.down[m] / (int64_t)d->page_size);
	}
	f->around = t->ev.around;
	f->around_first = t->ev.around_first;
	f->around_last = t->ev.around_last;
	mm_plugin_frames_settle(d, t);
	f->have_frame = t->ev.have_frame;
	f->frame_order = t->ev.frame_order;
	f->nr_frames = t->ev.nr_frames;
	f->pfn = t->ev.pfn;
	mm_plugin_release(d, t->fault_seq);
	t->fault_held = false;
}

void mm_plugin_fault_resolve(struct mm_decoder *d, struct mm_task *t)
{
	if (!t->fault_held)
		return;
	const struct mm_event *ev = mm_plugin_at(d, t->fault_seq);
	int32_t key = t->tgid ? t->tgid : ev->pid;
	/* find, not get: this may run outside a feed's reservation */
	const struct mm_task *proc = mm_idmap_find(&d->tasks, (uint32_t)key);
	if (d->kprobe) {
		/* a THP write fault that fell back to a small page allocates it
		 * zeroed (vma_alloc_folio with __GFP_ZERO); the huge one is
		 * cleared by hand: no zeroed event.  Without that probe: unknown
		 * size, the faulting page only */
		unsigned kp = t->ev.kp;
		if ((kp & MM_KP_HUGE_ANON) && !(kp & MM_KP_ZEROED) && (d->kp_avail & MM_KP_ZEROED) &&
		    (ev->fault.error_code & MM_PF_WRITE))
			mm_plugin_at(d, t->fault_seq)->fault.flags |= MM_FAULT_F_HUGE;
		settle(d, t, mm_kprobe_classify(kp, d->kp_avail, ev->fault.error_code));
	}
	else if (d->rss_batched) {
		if (mm_plugin_rss_may_swap(d, t))
			mm_plugin_at(d, t->fault_seq)->fault.flags |= MM_FAULT_F_SWAPPED;
		settle(d, t, classify_batched(&t->ev, ev->fault.error_code));
	} else
		settle(d, t, classify(&t->ev, ev->fault.error_code, proc && proc->forked));
}

void mm_plugin_fault_set_class(struct mm_decoder *d, struct mm_task *t, uint8_t class)
{
	if (t->fault_held)
		settle(d, t, class);
}

static int on_fault(struct mm_decoder *d, const struct mm_plugin_slot *s,
		    const uint8_t *data, uint32_t size, struct mm_task *t,
		    struct mm_event *ev)
{
	(void)size;
	uint64_t addr = mm_plugin_u64(d, data, s->f[F_ADDRESS]);
	bool kernel = s->sub == SUB_KERNEL;
	/* The upper half is the kernel's own (x86_64, and every 64-bit arch
	 * memmon knows); 32-bit recordings have long_size 4 and no such. */
	if (kernel && (tep_get_long_size(d->tep) == 8 ? (addr >> 63) != 0 : addr >= 0xc0000000ull))
		return MM_PLUGIN_DROP;
	/* Nor is the NULL page, which no program has mapped: the kernel
	 * reading it is a probe the fixup table catches (perf walking a user
	 * stack down to frame pointer 0 in the task's context), no fault the
	 * kernel counts for the task (rusage) and no page. */
	if (kernel && addr < 4096)
		return MM_PLUGIN_DROP;
	if (!kernel)
		t->in_sys = false;          /* back in user mode: no syscall */
	memset(&ev->fault, 0, sizeof(ev->fault));
	ev->kind = MM_EV_FAULT;
	ev->fault.addr = addr;
	ev->fault.ip = mm_plugin_u64(d, data, s->f[F_IP]);
	ev->fault.error_code = (uint32_t)mm_plugin_u64(d, data, s->f[F_ERROR_CODE]);
	ev->fault.access = access_of(ev->fault.error_code);
	ev->fault.class = MM_FAULT_OTHER;
	ev->fault.signo = ev->fault.si_code = 0;    /* signal.c may set them */
	ev->fault.kernel = kernel;
	ev->fault.sys = kernel && t->in_sys ? t->cur_sys : MM_SYSCALL_NONE;
	ev->fault.flags = 0;
	t->fault_held = true;
	t->fault_seq = d->tail;
	t->ev = (struct mm_fault_evidence){ 0 };
	return MM_PLUGIN_HOLD;
}

static void bind(struct mm_decoder *d, const char *name, uint8_t sub)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, "exceptions", name);
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_fault);
	if (!s) {
		mm_plugin_missing(d, "exceptions", name);
		return;
	}
	s->settles = true;
	s->sub = sub;
	mm_plugin_field(s, e, "address", &s->f[F_ADDRESS]);
	mm_plugin_field(s, e, "ip", &s->f[F_IP]);
	mm_plugin_field(s, e, "error_code", &s->f[F_ERROR_CODE]);
}

int mm_plugin_faults_init(struct mm_decoder *d)
{
	bind(d, "page_fault_user", SUB_USER);
	bind(d, "page_fault_kernel", SUB_KERNEL);
	return 0;
}
