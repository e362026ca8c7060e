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

static bool sys_ok(const struct mm_syscall *s)
{
	return s->has_ret && !(s->ret < 0 && s->ret >= -4095);
}

static bool changes_map(unsigned nr)
{
	return nr == MM_SYS_BRK || nr == MM_SYS_MMAP || nr == MM_SYS_MUNMAP ||
	       nr == MM_SYS_MREMAP || nr == MM_SYS_MPROTECT || nr == MM_SYS_SHMAT ||
	       nr == MM_SYS_SHMDT;
}

static void apply_syscall(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev)
{
	const struct mm_syscall *s = &ev->sys;
	const uint64_t *a = s->args;
	struct mm_region_event by = { .ts = ev->ts, .pid = ev->pid,
				      .how = MM_HOW_SYSCALL, .sys = s->nr };
	uint64_t r = (uint64_t)s->ret;
	int rc = 0;

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
	case MM_SYS_MPROTECT: rc = mm_as_mprotect(as, p, &by, a[0], a[1], (unsigned)a[2]); break;
	case MM_SYS_MADVISE: rc = mm_as_madvise(as, p, &by, a[0], a[1], (int)a[2]); break;
	case MM_SYS_SHMGET: as_note_shmget(as, (int)s->ret, a[0], a[1]); break;
	case MM_SYS_SHMAT: rc = mm_as_shmat(as, p, &by, (int)a[0], r, 0, (int)a[2]); break;
	case MM_SYS_SHMDT: rc = mm_as_shmdt(as, p, &by, a[0]); break;
	default: break;
	}
	if (rc < 0)
		p->nr_skipped++;
}

static void apply_proc_event(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev)
{
	struct mm_region_event by = { .ts = ev->ts, .pid = ev->pid };

	switch (ev->kind) {
	case MM_EV_FORK:
		if (ev->proc.is_thread) {
			as_imap_put(&as->tid_tgid, ev->proc.child_pid, (uint32_t)p->tgid);
		} else {
			by.how = MM_HOW_FORK;
			mm_as_fork(as, p, ev->proc.child_pid, &by);
		}
		break;
	case MM_EV_EXEC:
		by.how = MM_HOW_EXEC;
		mm_as_exec(as, p, &by);
		snprintf(p->exe, sizeof(p->exe), "%s", ev->proc.path);
		memcpy(p->comm, ev->proc.comm, sizeof(p->comm));
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

void mm_as_event(struct mm_as *as, const struct mm_event *ev)
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
	as_replay_snapshots(as, ev->ts);

	int32_t tgid = ev->tgid ? ev->tgid : mm_as_tgid_of(as, ev->pid);
	if (ev->tgid && ev->tgid != ev->pid)
		as_imap_put(&as->tid_tgid, ev->pid, (uint32_t)ev->tgid);
	if (ev->kind == MM_EV_RSS || ev->kind == MM_EV_FILEMAP)
		return;
	struct mm_as_proc *p = mm_as_proc_get(as, tgid);
	if (!p->first_ts)
		p->first_ts = ev->ts;
	if (ev->kind == MM_EV_FAULT)
		mm_as_fault(as, p, ev);
	else if (ev->kind == MM_EV_SYSCALL) {
		if (ev->sys.nr < MM_SYS_NR)
			p->nr_syscalls[ev->sys.nr]++;
		apply_syscall(as, p, ev);
	} else
		apply_proc_event(as, p, ev);
}

void mm_as_finish(struct mm_as *as)
{
	as_replay_snapshots(as, as->frozen ? as->cutoff_abs : UINT64_MAX);
	as_learn_from_later(as);
	as_share_fork_names(as);
}
