/*
 * plugins/rss.c - kmem:rss_stat: a per-mm RSS counter's new value.
 *
 * The event carries the counter's new value, not the change, so the last
 * value of each (mm_id, member) is kept here to tell "rises" from "falls";
 * that direction, seen in the faulting task's own mm (curr=1) while a fault
 * is held, is the classifier's main evidence.  The first value of a counter
 * has no previous one: ANON/FILE/SHMEM then count as rising (inside a fault
 * a counter almost always grows), SWAPENTS as "moved" (swap-in only when
 * ANONPAGES rises with it).
 *
 * The change itself (new value minus the last one) is what places pages:
 * inside a held fault it is added to the fault (a THP fault's +2 MiB),
 * inside a held memory syscall to the syscall (mlock's, munmap's pages),
 * and every event says what the task was doing (struct mm_rss.during), so
 * that a change no fault or syscall explains is the kernel's own.
 *
 * Before Linux 6.2 a task's counter changes in a fault were kept in the
 * task and added to the mm every 64 faults (SPLIT_RSS_COUNTING), so
 * rss_stat came in batches, inside some later fault: there it is no
 * evidence about the fault it falls in (faults.c ignores it), but swap-outs
 * were added at once, so a counter of swap entries at zero still says no
 * fault of that mm can be a swap-in.
 */
#include <event-parse.h>

#include "plugin.h"

const char *mm_rss_member_name(enum mm_rss_member m)
{
	static const char *const names[MM_RSS_NR] = {
		[MM_RSS_FILE] = "file", [MM_RSS_ANON] = "anon",
		[MM_RSS_SWAPENTS] = "swap", [MM_RSS_SHMEM] = "shmem",
	};
	return (unsigned)m < MM_RSS_NR ? names[m] : "?";
}

enum { F_MM_ID, F_CURR, F_MEMBER, F_SIZE };

struct mm_last {
	int64_t value[MM_RSS_NR];
	uint8_t known;           /* bit per member */
	bool seen;               /* the entry exists (the table zeroes new ones) */
	bool fresh;              /* made while we watched: counters start at 0 */
};

/* Is T in one of the calls NRS (MM_SYS_*)? */
static bool in_call(const struct mm_decoder *d, const struct mm_task *t,
		    const uint8_t *nrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t->sys_held && mm_plugin_at((struct mm_decoder *)d, t->sys_seq)->sys.nr == nrs[i])
			return true;
		if (t->in_sys && t->cur_sys == d->raw_nr[nrs[i]] && t->cur_sys >= 0)
			return true;
	}
	return false;
}

static const uint8_t fork_calls[] = { MM_SYS_CLONE, MM_SYS_CLONE3, MM_SYS_FORK, MM_SYS_VFORK };

/*
 * An mm first seen, not being the task's own (curr=0), while its task is
 * in execve (the new program's mm: get_arg_page fills its stack before the
 * switch) or in a fork-type call (the child's copy is counted in the
 * parent) was made while we watched, so each counter's first value is its
 * change from 0.  Any other mm was there before the trace (attach, the
 * held child's copy of memmon): its first values are levels, not changes.
 */
static bool making_mm(const struct mm_decoder *d, const struct mm_task *t)
{
	static const uint8_t exec[] = { MM_SYS_EXECVE };
	return in_call(d, t, exec, 1) || in_call(d, t, fork_calls, sizeof(fork_calls));
}

static void note(struct mm_fault_evidence *e, uint8_t member, int dir, int64_t delta)
{
	if (delta > 0)
		e->up[member] = mm_sat_add64(e->up[member], delta);
	else if (delta > INT64_MIN)
		e->down[member] = mm_sat_add64(e->down[member], -delta);
	switch (member) {
	case MM_RSS_ANON:     e->anon_up |= dir >= 0; break;
	case MM_RSS_FILE:     e->file_up |= dir >= 0; e->file_down |= dir < 0; break;
	case MM_RSS_SHMEM:    e->shmem_up |= dir >= 0; break;
	case MM_RSS_SWAPENTS: e->swap_down |= dir < 0; e->swap_moved |= dir == 0; break;
	}
}

/* Direction of the change: 1 up, -1 down, 0 unknown; 2 when unchanged.
 * *DELTA: the change in bytes (0 when unknown). */
static int update(struct mm_decoder *d, uint32_t mm_id, uint8_t member, int64_t bytes,
		  bool fresh, int64_t *delta)
{
	struct mm_last *m = mm_idmap_get(&d->mms, mm_id);
	int dir = 0;
	if (!m->seen) {
		m->seen = true;
		m->fresh = fresh;
	}
	if (!(m->known & (1u << member)) && m->fresh) {
		m->value[member] = 0;
		m->known |= 1u << member;
	}
	if (m->known & (1u << member)) {
		dir = bytes > m->value[member] ? 1 : bytes < m->value[member] ? -1 : 2;
		int64_t d;
		*delta = __builtin_sub_overflow(bytes, m->value[member], &d) ? 0 : d;
	}
	m->value[member] = bytes;
	m->known |= 1u << member;
	return dir;
}

static int on_rss(struct mm_decoder *d, const struct mm_plugin_slot *s,
		  const uint8_t *data, uint32_t size, struct mm_task *t,
		  struct mm_event *ev)
{
	(void)size;
	int64_t member = mm_plugin_s64(d, data, s->f[F_MEMBER]);
	if (member < 0 || member >= MM_RSS_NR)
		return MM_PLUGIN_DROP;
	ev->kind = MM_EV_RSS;
	ev->rss.mm_id = (uint32_t)mm_plugin_u64(d, data, s->f[F_MM_ID]);
	ev->rss.curr = mm_plugin_u64(d, data, s->f[F_CURR]) != 0;
	ev->rss.member = (uint8_t)member;
	ev->rss.bytes = mm_plugin_s64(d, data, s->f[F_SIZE]);
	mm_idmap_reserve(&d->mms, 1);
	int64_t delta = 0;
	int dir = update(d, ev->rss.mm_id, ev->rss.member, ev->rss.bytes,
			 !ev->rss.curr && making_mm(d, t), &delta);
	ev->rss.delta = delta;
	ev->rss.during = mm_plugin_during(d, t, &ev->rss.sys);
	ev->rss.carried = false;
	ev->rss.batched = d->rss_batched;
	if (!ev->rss.curr && !d->rss_batched && in_call(d, t, fork_calls, sizeof(fork_calls))) {
		t->child_rss[ev->rss.member] = ev->rss.bytes;   /* the copy's */
		t->child_rss_seen = true;
	}
	if (ev->rss.curr) {
		t->mm_id = ev->rss.mm_id;
		t->mm_known = true;
	}
	if (ev->rss.member == MM_RSS_SWAPENTS && ev->rss.bytes > 0)
		d->any_swapents = true;
	if (ev->rss.curr && dir != 2) {
		struct mm_event *sys = t->sys_held ? mm_plugin_at(d, t->sys_seq) : NULL;
		/* execve switches mms half-way: its changes are not one mm's.
		 * The old one dies with it, the new one's start is in its EXEC
		 * snapshot: they are the exec's, carried by no number. */
		bool exec = sys && sys->sys.nr == MM_SYS_EXECVE;
		if (exec)
			sys = NULL;
		ev->rss.carried = t->fault_held || sys || exec;
		if (t->fault_held)
			note(&t->ev, ev->rss.member, dir, d->rss_batched ? 0 : delta);
		/* the fault mapped its page: its allocations are over (frames.c) */
		if (t->fault_held && !d->rss_batched)
			t->ev.frames_closed = true;
		else if (sys && !d->rss_batched)
			sys->sys.rss[ev->rss.member] = mm_sat_add32(sys->sys.rss[ev->rss.member],
								    delta / (int64_t)d->page_size);
	}
	return MM_PLUGIN_EMIT;
}

bool mm_plugin_rss_may_swap(const struct mm_decoder *d, const struct mm_task *t)
{
	const struct mm_last *m = t->mm_known ? mm_idmap_find(&d->mms, t->mm_id) : NULL;
	if (!m || !(m->known & (1u << MM_RSS_SWAPENTS)))
		return d->any_swapents;
	return m->value[MM_RSS_SWAPENTS] > 0;
}

int mm_plugin_rss_init(struct mm_decoder *d)
{
	mm_idmap_init(&d->mms, sizeof(struct mm_last));
	struct tep_event *e = tep_find_event_by_name(d->tep, "kmem", "rss_stat");
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_rss);
	if (!s) {
		mm_plugin_missing(d, "kmem", "rss_stat");
		return 0;
	}
	mm_plugin_field(s, e, "mm_id", &s->f[F_MM_ID]);
	mm_plugin_field(s, e, "curr", &s->f[F_CURR]);
	mm_plugin_field(s, e, "member", &s->f[F_MEMBER]);
	mm_plugin_field(s, e, "size", &s->f[F_SIZE]);
	return 0;
}
