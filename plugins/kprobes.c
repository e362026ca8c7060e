/*
 * plugins/kprobes.c - the kprobe fault classifier: its probe sets and the
 * decoding of their events.
 *
 * record defines one set of probes (the first whose required probes the
 * kernel accepts) in its group memmon_<pid>; each probe event that follows
 * a task's page fault adds evidence to that held fault, and the fault is
 * classified when it ends: at the task's next fault, syscall or process
 * event.  No kretprobes: on Debian 12's 6.1 one on handle_mm_fault (where
 * tasks sleep) crashed the kernel when it was removed while tasks were
 * inside (RIP 0 on their way back through the return trampoline, seen under
 * qemu); entry probes tell all the classes.
 * Events are recognised in any memmon_* group, whatever the recording pid.
 */
#include <stdio.h>
#include <string.h>
#include <event-parse.h>

#include "plugin.h"

#define GROUP_PREFIX "memmon_"

/* include/linux/gfp_types.h; the same bit since 4.x and in 6.x's enum */
#define GFP_ZERO 0x100u

/* Shared by both sets: they tell the same on every kernel that has them. */
#define SWAP_DEF { "swap", "do_swap_page", "", false, false, MM_KP_SWAP, \
		   "a swap entry's page brought back" }
#define COPY_DEF(opt) { "copy", "wp_page_copy", "", false, opt, MM_KP_COPY, \
		   "a write-protected page copied: cow (of the zero page: anon)" }
#define WP_DEF(opt) { "wp", "do_wp_page", "", false, opt, MM_KP_WP, \
		   "a write to a present write-protected page" }
#define ZEROED_DEF { "zeroed", "vma_alloc_folio", "gfp=%di:x32", false, true, MM_KP_ZEROED, \
		   "a zeroed page allocated: a copy of the zero page is anon, not cow" }
#define HUGE_DEF { "huge", "do_huge_pmd_anonymous_page", "", false, true, MM_KP_HUGE_ANON, \
		   "a huge anonymous page (THP)" }

/* Kernels whose fault handlers are functions of their own (not inlined). */
static const struct mm_kprobe_def handlers[] = {
	{ "anon", "do_anonymous_page", "", false, false, MM_KP_ANON_PAGE,
	  "first touch of anonymous memory" },
	SWAP_DEF,
	{ "file", "do_read_fault", "", false, false, MM_KP_FILE,
	  "a file page read in or mapped around (fault-around)" },
	{ "cow", "do_cow_fault", "", false, false, MM_KP_COW_FAULT,
	  "a private file page copied on write" },
	{ "shared", "do_shared_fault", "", false, false, MM_KP_FILE,
	  "a write to a shared file page" },
	WP_DEF(false), COPY_DEF(true), ZEROED_DEF, HUGE_DEF,
};

/* Kernels that inline them into handle_mm_fault (Debian 12's 6.1): the
 * rmap call that maps a new anon page and the file ->fault call stay. */
static const struct mm_kprobe_def rmap[] = {
	{ "new_anon", "page_add_new_anon_rmap folio_add_new_anon_rmap", "", false, false,
	  MM_KP_NEW_ANON, "a new anon page mapped: anon, or cow after a file fault" },
	{ "fault", "__do_fault", "", false, false, MM_KP_FILE,
	  "the mapping's ->fault: a file, shmem or special page" },
	{ "around", "filemap_map_pages", "", false, false, MM_KP_FILE,
	  "file pages mapped around the fault (fault-around)" },
	SWAP_DEF, COPY_DEF(false), WP_DEF(true), ZEROED_DEF, HUGE_DEF,
};

const struct mm_kprobe_set mm_kprobe_sets[] = {
	{ "handlers", "kernels with out-of-line fault handlers", handlers,
	  sizeof(handlers) / sizeof(handlers[0]) },
	{ "rmap", "kernels inlining do_anonymous_page and do_fault (Debian 12's 6.1)", rmap,
	  sizeof(rmap) / sizeof(rmap[0]) },
};
const size_t mm_kprobe_sets_len = sizeof(mm_kprobe_sets) / sizeof(mm_kprobe_sets[0]);

int mm_kprobe_definition(char *buf, size_t len, const char *group,
			 const struct mm_kprobe_def *def, const char *symbol)
{
	/* maxactive 64 for a kretprobe: its function may sleep */
	int n = snprintf(buf, len, "%s:%s/%s %s%s%s", def->ret ? "r64" : "p", group, def->event,
			 symbol, def->fetch[0] ? " " : "", def->fetch);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

enum mm_fault_class mm_kprobe_classify(unsigned seen, unsigned avail, uint32_t error_code)
{
	if (seen & MM_KP_SWAP)
		return MM_FAULT_SWAP;
	if (seen & MM_KP_COPY)   /* the zero page replaced by a zeroed page is first touch */
		return seen & MM_KP_ZEROED ? MM_FAULT_ANON : MM_FAULT_COW;
	if ((seen & MM_KP_COW_FAULT) || ((seen & MM_KP_FILE) && (seen & MM_KP_NEW_ANON)))
		return MM_FAULT_COW;
	if (seen & MM_KP_FILE)
		return MM_FAULT_FILE;
	if (seen & (MM_KP_ANON_PAGE | MM_KP_NEW_ANON | MM_KP_HUGE_ANON))
		return MM_FAULT_ANON;
	/* do_wp_page without a copy: the page was reused (or a shared page
	 * made writable); where no probe sees copies, a write-protect fault
	 * is the copy-on-write it nearly always is */
	if (seen & MM_KP_WP)
		return avail & MM_KP_COPY ? MM_FAULT_OTHER : MM_FAULT_COW;
	/* Nothing fired.  Where do_anonymous_page cannot be probed, its read
	 * path (the zero page mapped: no allocation, no rmap) is the one
	 * not-present fault that leaves no trace; file faults always pass
	 * ->fault or fault-around. */
	if (!(avail & MM_KP_ANON_PAGE) && !(error_code & MM_PF_PROT))
		return MM_FAULT_ANON;
	return MM_FAULT_OTHER;
}

static const struct mm_kprobe_def *def_of(const char *event)
{
	for (size_t i = 0; i < mm_kprobe_sets_len; i++)
		for (size_t j = 0; j < mm_kprobe_sets[i].len; j++)
			if (!strcmp(mm_kprobe_sets[i].defs[j].event, event))
				return &mm_kprobe_sets[i].defs[j];
	return NULL;
}

enum { F_ARG };

static int on_probe(struct mm_decoder *d, const struct mm_plugin_slot *s,
		    const uint8_t *data, uint32_t size, struct mm_task *t,
		    struct mm_event *ev)
{
	(void)size;
	(void)ev;
	unsigned bit = 1u << s->sub;
	if (!t->fault_held)
		return MM_PLUGIN_DROP;
	if (bit == MM_KP_ZEROED && !(mm_plugin_u64(d, data, s->f[F_ARG]) & GFP_ZERO))
		return MM_PLUGIN_DROP;
	t->ev.kp |= bit;
	return MM_PLUGIN_DROP;
}

int mm_plugin_kprobes_init(struct mm_decoder *d)
{
	int n = tep_get_events_count(d->tep);
	for (int i = 0; i < n; i++) {
		struct tep_event *e = tep_get_event(d->tep, i);
		if (!e || !e->system || strncmp(e->system, GROUP_PREFIX, strlen(GROUP_PREFIX)))
			continue;
		const struct mm_kprobe_def *def = def_of(e->name);
		struct mm_plugin_slot *s = def ? mm_plugin_bind(d, e, on_probe) : NULL;
		if (!s)
			continue;
		s->sub = (uint8_t)__builtin_ctz(def->evidence);
		if (def->evidence == MM_KP_ZEROED) {
			if (!mm_plugin_field(s, e, "gfp", &s->f[F_ARG])) {
				s->fn = NULL;      /* a probe without its argument tells nothing */
				continue;
			}
		}
		d->kprobe = true;
		d->kp_avail |= def->evidence;
	}
	return 0;
}

void mm_decoder_ignore_kprobes(struct mm_decoder *d)
{
	for (uint32_t i = 0; i < d->nr_slots; i++)
		if (d->slots[i].fn == on_probe)
			d->slots[i].fn = NULL;       /* an event no plugin decodes */
	d->kprobe = false;
	d->kp_avail = 0;
}
