/*
 * report/model/events.c - mm_as_event(): each memmon event, in time order,
 * into the model (snapshots due replayed first, syscalls decoded into the
 * operations of operations.c, process events into fork/exec/exit), and
 * mm_as_finish() at the end of the stream.
 */
#include <stdio.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "report/model/as-int.h"
#include "report/model/symbols.h"

static bool sys_ok(const struct mm_syscall *s)
{
	return s->has_ret && !(s->ret < 0 && s->ret >= -4095);
}

static bool changes_map(unsigned nr)
{
	return nr == MM_SYS_BRK || nr == MM_SYS_MMAP || nr == MM_SYS_MUNMAP ||
	       nr == MM_SYS_MREMAP || nr == MM_SYS_MPROTECT || nr == MM_SYS_SHMAT ||
	       nr == MM_SYS_SHMDT || nr == MM_SYS_PKEY_MPROTECT ||
	       nr == MM_SYS_REMAP_FILE_PAGES;
}

static void apply_syscall(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev)
{
	const struct mm_syscall *s = &ev->sys;
	const uint64_t *a = s->args;
	struct mm_region_event by = { .ts = ev->ts, .pid = ev->pid,
				      .how = MM_HOW_SYSCALL, .sys = s->nr };
	uint64_t r = (uint64_t)s->ret;
	int rc = 0;

	/* where it was called from, in the map before the call */
	as->stacks.current = mm_as_stack_intern(as, p, s->frames, s->nr_frames);
	if (!sys_ok(s)) {
		if (!s->has_ret && changes_map(s->nr))
			p->nr_skipped++;        /* a change we cannot know */
		return;
	}
	switch (s->nr) {
	case MM_SYS_BRK: rc = mm_as_brk(as, p, &by, r); break;
	case MM_SYS_MMAP:
		rc = mm_as_mmap(as, p, &by, r, a[1], (unsigned)a[2], (unsigned)a[3],
				(int)a[4], a[5]);
		break;
	case MM_SYS_MUNMAP: rc = mm_as_munmap(as, p, &by, a[0], a[1]); break;
	case MM_SYS_MREMAP:
		rc = mm_as_mremap(as, p, &by, a[0], a[1], a[2], (unsigned)a[3], r);
		break;
	case MM_SYS_MPROTECT:
	case MM_SYS_PKEY_MPROTECT:
		rc = mm_as_mprotect(as, p, &by, a[0], a[1], (unsigned)a[2]);
		break;
	case MM_SYS_MADVISE:
		/* MADV_FREE drops nothing until memory is short, PAGEOUT of anon
		 * memory nothing without swap: the counters say what left */
		if (as_syscall_dropped(as, s))
			rc = mm_as_madvise(as, p, &by, a[0], a[1], (int)a[2]);
		break;
	case MM_SYS_REMAP_FILE_PAGES:
		rc = mm_as_remap_file_pages(as, p, &by, a[0], a[1], a[3]);
		break;
	case MM_SYS_SHMGET: as_note_shmget(as, (int)s->ret, a[0], a[1]); break;
	case MM_SYS_SHMAT: rc = mm_as_shmat(as, p, &by, (int)a[0], r, 0, (int)a[2]); break;
	case MM_SYS_SHMDT: rc = mm_as_shmdt(as, p, &by, a[0]); break;
	default: break;
	}
	if (rc < 0)
		p->nr_skipped++;
	as_syscall_pages(as, p, ev);
}

void as_flush_deferred(struct mm_as *as, struct mm_as_proc *p)
{
	size_t n = p->nr_deferred;
	p->execve_end = 0;
	p->nr_deferred = 0;
	for (size_t i = 0; i < n; i++)
		mm_as_fault(as, p, &p->deferred[i]);
}

/* A kernel-mode fault inside a successful execve, before the new map. */
static bool defer_fault(struct mm_as_proc *p, const struct mm_event *ev)
{
	if (!p->execve_end)
		return false;
	if (ev->ts > p->execve_end)
		return false;
	if (!ev->fault.kernel)
		return false;
	MM_GROW(p->deferred, p->nr_deferred, p->cap_deferred, 8);
	p->deferred[p->nr_deferred++] = *ev;
	return true;
}

/* A vfork (or posix_spawn) child: a process of its own that runs in its
 * parent's memory until it execs. */
static void vfork_child(struct mm_as *as, struct mm_as_proc *parent, const struct mm_event *ev)
{
	struct mm_as_proc *c = mm_as_proc_find(as, ev->proc.child_pid);
	if (!c || c->exited || c->nr_map || c->nr_dead)
		c = as_proc_new(as, ev->proc.child_pid);
	c->parent = parent->tgid;
	c->first_ts = ev->ts;
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	memcpy(c->exe, parent->exe, sizeof(c->exe));
	c->shares_mm = true;
	c->mm_of = parent->shares_mm ? parent->mm_of : parent->tgid;
}

static void apply_proc_event(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev)
{
	struct mm_region_event by = { .ts = ev->ts, .pid = ev->pid };

	switch (ev->kind) {
	case MM_EV_FORK:
		if (ev->proc.is_thread) {
			as_imap_put(&as->tid_tgid, ev->proc.child_pid, (uint32_t)p->tgid);
		} else if (ev->proc.shares_mm) {
			vfork_child(as, p, ev);
			if (mm_as_proc_find(as, ev->proc.child_pid))
				as_watch_fork(mm_as_proc_find(as, ev->proc.child_pid), ev->ts);
		} else {
			by.how = MM_HOW_FORK;
			mm_as_fork(as, p, ev->proc.child_pid, &by);
			struct mm_as_proc *c = mm_as_proc_find(as, ev->proc.child_pid);
			if (c) {
				as_fork_pages(as, c, &ev->proc);
				as_watch_fork(c, ev->ts);
			}
		}
		break;
	case MM_EV_EXEC:
		by.how = MM_HOW_EXEC;
		p->shares_mm = false;       /* its own memory from now on */
		mm_as_exec(as, p, &by);
		snprintf(p->exe, sizeof(p->exe), "%s", ev->proc.path);
		memcpy(p->comm, ev->proc.comm, sizeof(p->comm));
		break;
	case MM_EV_SIGNAL:
		/* the first fatal one ends it; an exit_group's SIGKILLs to the
		 * other threads, or a group exit's, come after */
		if (ev->signal.deliver && !p->killed_by && !p->have_exit_code &&
		    mm_signal_is_fatal(ev->signal.sig, ev->signal.handler))
			p->killed_by = ev->signal.sig;
		break;
	case MM_EV_EXIT:
		if (ev->pid == p->tgid)
			mm_as_exit(as, p, ev->ts);
		break;
	case MM_EV_RENAME:
		if (ev->pid == p->tgid)
			memcpy(p->comm, ev->proc.comm, sizeof(p->comm));
		break;
	default:
		break;
	}
}

/* (not inlined: mm_as_event()'s quick path needs no registers saved) */
__attribute__((noinline)) static void as_event(struct mm_as *as, const struct mm_event *ev)
{
	if (!as->have_t0) {
		as->have_t0 = true;
		as->t0 = ev->ts;
		if (as->cutoff_rel != MM_AS_NO_CUTOFF)
			as->cutoff_abs = ev->ts + as->cutoff_rel;
	}
	if (ev->ts > as->cutoff_abs) {
		as->frozen = true;
		return;
	}
	if (ev->ts > as->last_ts)
		as->last_ts = ev->ts;
	as->stacks.current = 0;
	if (as->snap_next < as->nr_snaps &&
	    (!as->snaps_sorted || as->snaps[as->snap_next].ts <= ev->ts))
		as_replay_snapshots(as, ev->ts);
	if (ev->kind == MM_EV_HEAP) {          /* a row of malloc calls starts */
		as->heap_last_pid = ev->pid;
		as->heap_last_tgid = ev->tgid;
		as->heap_until = as->cutoff_abs;
		if (as->snap_next < as->nr_snaps)
			as->heap_until = !as->snaps_sorted ? 0 :
				as->snaps[as->snap_next].ts - 1 < as->heap_until ?
				as->snaps[as->snap_next].ts - 1 : as->heap_until;
	} else {
		as->heap_last_pid = 0;
	}

	int32_t tgid = ev->tgid ? ev->tgid : mm_as_tgid_of(as, ev->pid);
	if (ev->tgid && ev->tgid != ev->pid)
		as_imap_put(&as->tid_tgid, ev->pid, (uint32_t)ev->tgid);
	if (ev->kind == MM_EV_FILEMAP)
		return;
	struct mm_as_proc *p = mm_as_proc_get(as, tgid);
	if (p->execve_end && ev->ts > p->execve_end)
		as_flush_deferred(as, p);       /* no EXEC snapshot came */
	if (ev->kind == MM_EV_RSS) {
		struct mm_as_proc *mp = p->shares_mm ? mm_as_proc_find(as, p->mm_of) : p;
		as_rss_event(as, mp ? mp : p, ev);
		return;
	}
	if (!p->first_ts)
		p->first_ts = ev->ts;
	as_watch_event(p, ev);
	/* the memory the task works on: a vfork child's is its parent's */
	struct mm_as_proc *mp = p->shares_mm ? mm_as_proc_find(as, p->mm_of) : p;
	if (!mp)
		mp = p;
	if (ev->kind == MM_EV_FAULT) {
		if (!defer_fault(p, ev))        /* execve's: the task's new map */
			mm_as_fault(as, mp, ev);
	}
	else if (ev->kind == MM_EV_SYSCALL) {
		if (ev->sys.nr < MM_SYS_NR)
			p->nr_syscalls[ev->sys.nr]++;
		if (ev->sys.nr == MM_SYS_EXIT_GROUP && !p->have_exit_code && !p->killed_by) {
			p->have_exit_code = true;
			p->exit_code = (int32_t)(ev->sys.args[0] & 0xff);   /* the status wait() sees */
		}
		if (ev->sys.nr == MM_SYS_EXECVE && sys_ok(&ev->sys))
			p->execve_end = ev->sys.exit_ts;   /* its kernel faults: the new map's */
		/* its pages go (exit_mm) before sched_process_exit says so */
		if (ev->sys.nr == MM_SYS_EXIT_GROUP && !p->shares_mm && !p->exiting_ts)
			p->exiting_ts = ev->ts;
		apply_syscall(as, mp, ev);
	} else
		apply_proc_event(as, p, ev);
}

/* A malloc call changes no map: after a task's first in a row, what
 * as_event() does for it (its process, its tgid, its watched interval
 * opened, stacks.current reset) is done until another event comes or a
 * snapshot or the cutoff is due.  record --malloc's millions of calls
 * cost a few compares each here. */
void mm_as_event(struct mm_as *as, const struct mm_event *ev)
{
	if (ev->kind == MM_EV_HEAP && as->heap_last_pid && ev->pid == as->heap_last_pid &&
	    ev->tgid == as->heap_last_tgid && ev->ts <= as->heap_until) {
		if (ev->ts > as->last_ts)
			as->last_ts = ev->ts;
		return;
	}
	as_event(as, ev);
}

void mm_as_finish(struct mm_as *as)
{
	as_replay_snapshots(as, as->frozen ? as->cutoff_abs : UINT64_MAX);
	for (size_t i = 0; i < as->nr_procs; i++)
		if (as->procs[i]->nr_deferred)
			as_flush_deferred(as, as->procs[i]);
	as_learn_from_later(as);
	as_share_fork_names(as);
}
