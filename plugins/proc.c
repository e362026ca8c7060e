/*
 * plugins/proc.c - process life: sched_process_fork/exec/exit, task_rename.
 *
 * Besides the events themselves this keeps the per-task facts the other
 * plugins need: the tgid of a task (learned from fork, when the clone flags
 * say thread or process, and from exec), and the per-process
 * "took part in a fork" flag that lets the classifier call a silent write
 * fault on a present page cow.  A fork also completes the parent's held
 * clone/fork/vfork syscall (its result is the child's pid): a vfork parent
 * sleeps until the child execs or exits, and holding its syscall that long
 * would hold back every event behind it.
 */
#include <stdio.h>
#include <string.h>
#include <event-parse.h>

#include "plugin.h"

#define CLONE_VM_FLAG     0x00000100ull
#define CLONE_VFORK_FLAG  0x00004000ull
#define CLONE_THREAD_FLAG 0x00010000ull

enum { F_FORK_PARENT, F_FORK_COMM, F_FORK_CHILD };
enum { F_EXEC_FILENAME, F_EXEC_PID, F_EXEC_OLD_PID };
enum { F_EXIT_PID };
enum { F_RENAME_PID, F_RENAME_OLD, F_RENAME_NEW };
enum { F_NEWTASK_PID, F_NEWTASK_FLAGS };

struct mm_task *mm_plugin_process(struct mm_decoder *d, int32_t pid, struct mm_task *t)
{
	return mm_idmap_get(&d->tasks, (uint32_t)(t->tgid ? t->tgid : pid));
}

static bool is_fork_syscall(uint8_t nr)
{
	return nr == MM_SYS_CLONE || nr == MM_SYS_CLONE3 || nr == MM_SYS_FORK ||
	       nr == MM_SYS_VFORK;
}

/*
 * The clone flags of the parent's held fork-type syscall, which this fork
 * event completes (0: a plain fork, or no syscall seen).  Only a fallback
 * for traces without task_newtask: clone3 passes its flags in memory the
 * tracepoint does not show; glibc uses it for pthread_create and
 * posix_spawn, both of which share the mm, so it counts as a thread.
 */
static uint64_t complete_parent_syscall(struct mm_decoder *d, struct mm_task *t,
					int32_t child, uint64_t ts, const struct mm_task *c)
{
	if (!t->sys_held)
		return 0;
	struct mm_event *e = mm_plugin_at(d, t->sys_seq);
	if (!is_fork_syscall(e->sys.nr))
		return 0;
	e->sys.ret = child;
	e->sys.has_ret = true;
	e->sys.exit_ts = ts;
	if (e->sys.nr == MM_SYS_CLONE3 && c->have_clone_flags) {
		e->sys.have_clone_flags = true;
		e->sys.clone_flags = c->clone_flags;
	}
	mm_plugin_release(d, t->sys_seq);
	t->sys_held = false;
	switch (e->sys.nr) {
	case MM_SYS_CLONE:  return e->sys.args[0];
	case MM_SYS_CLONE3: return CLONE_VM_FLAG | CLONE_THREAD_FLAG;
	case MM_SYS_VFORK:  return CLONE_VM_FLAG | CLONE_VFORK_FLAG;
	default:            return 0;
	}
}

/* A tid seen again is a new task: settle what the old one left held. */
static void reset_task(struct mm_decoder *d, struct mm_task *c)
{
	mm_plugin_fault_resolve(d, c);
	mm_plugin_syscall_abandon(d, c);
	memset(c, 0, sizeof(*c));
}

static int on_fork(struct mm_decoder *d, const struct mm_plugin_slot *s,
		   const uint8_t *data, uint32_t size, struct mm_task *t,
		   struct mm_event *ev)
{
	int32_t child = (int32_t)mm_plugin_s64(d, data, s->f[F_FORK_CHILD]);
	if (s->f[F_FORK_PARENT].size)
		ev->pid = (int32_t)mm_plugin_s64(d, data, s->f[F_FORK_PARENT]);
	ev->kind = MM_EV_FORK;
	ev->proc.child_pid = child;
	struct mm_task *c = mm_idmap_get(&d->tasks, (uint32_t)child);
	uint64_t flags = complete_parent_syscall(d, t, child, ev->ts, c);
	if (c->have_clone_flags)        /* task_newtask: the kernel's own word */
		flags = c->clone_flags;
	/* CLONE_THREAD makes a thread; CLONE_VM alone (vfork, posix_spawn)
	 * a process that runs in the parent's memory until it execs */
	ev->proc.is_thread = (flags & CLONE_THREAD_FLAG) != 0;
	ev->proc.shares_mm = (flags & CLONE_VM_FLAG) && !ev->proc.is_thread;
	ev->proc.vfork = (flags & CLONE_VFORK_FLAG) != 0;
	mm_plugin_str(d, data, size, s->f[F_FORK_COMM], s->f[F_FORK_COMM].data_loc,
		      ev->proc.comm, sizeof(ev->proc.comm));
	ev->proc.old_comm[0] = ev->proc.path[0] = '\0';
	/* the counters copy_mm gave the child (rss.c saw them in this call) */
	ev->proc.have_child_rss = t->child_rss_seen && !(flags & CLONE_VM_FLAG);
	memcpy(ev->proc.child_rss, t->child_rss, sizeof(ev->proc.child_rss));
	t->child_rss_seen = false;
	memset(t->child_rss, 0, sizeof(t->child_rss));

	int32_t parent_tgid = t->tgid ? t->tgid : ev->pid;
	reset_task(d, c);
	/* The child comes to life returning from its parent's clone: what the
	 * kernel writes for it then (CLONE_CHILD_SETTID's tid) is in that call. */
	if (t->in_sys)
		mm_plugin_enter_syscall(c, t->cur_sys);
	c->tgid = flags & CLONE_THREAD_FLAG ? parent_tgid : child;
	if (!(flags & CLONE_VM_FLAG)) {  /* a copy of the mm: pages now shared */
		c->forked = true;
		struct mm_task *parent = mm_idmap_get(&d->tasks, (uint32_t)parent_tgid);
		parent->forked = true;
	}
	return MM_PLUGIN_EMIT;
}

/*
 * task_newtask comes just before sched_process_fork, in the parent, and
 * carries the clone flags even for clone3: keep them on the child's entry
 * for on_fork.  Not emitted.
 */
static int on_newtask(struct mm_decoder *d, const struct mm_plugin_slot *s,
		      const uint8_t *data, uint32_t size, struct mm_task *t,
		      struct mm_event *ev)
{
	(void)size; (void)t; (void)ev;
	int32_t child = (int32_t)mm_plugin_s64(d, data, s->f[F_NEWTASK_PID]);
	struct mm_task *c = mm_idmap_get(&d->tasks, (uint32_t)child);
	c->clone_flags = mm_plugin_u64(d, data, s->f[F_NEWTASK_FLAGS]);
	c->have_clone_flags = s->f[F_NEWTASK_FLAGS].size != 0;
	return MM_PLUGIN_DROP;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* T's execve in progress (held until its exit), or NULL. */
static struct mm_event *held_execve(struct mm_decoder *d, struct mm_task *t)
{
	if (!t->sys_held)
		return NULL;
	struct mm_event *e = mm_plugin_at(d, t->sys_seq);
	return e->sys.nr == MM_SYS_EXECVE ? e : NULL;
}

static int on_exec(struct mm_decoder *d, const struct mm_plugin_slot *s,
		   const uint8_t *data, uint32_t size, struct mm_task *t,
		   struct mm_event *ev)
{
	if (s->f[F_EXEC_PID].size)
		ev->pid = (int32_t)mm_plugin_s64(d, data, s->f[F_EXEC_PID]);
	ev->kind = MM_EV_EXEC;
	mm_plugin_str(d, data, size, s->f[F_EXEC_FILENAME], true, ev->proc.path, sizeof(ev->proc.path));
	/* the kernel's comm after exec: the file's base name, truncated */
	const char *base = base_name(ev->proc.path);
	size_t n = strnlen(base, sizeof(ev->proc.comm) - 1);
	memcpy(ev->proc.comm, base, n);
	ev->proc.comm[n] = '\0';
	ev->proc.old_comm[0] = '\0';
	ev->proc.child_pid = 0;
	ev->proc.is_thread = ev->proc.shares_mm = ev->proc.vfork = false;
	/* the execve in progress succeeded: this is the program it ran */
	struct mm_event *sys = held_execve(d, t);
	if (sys && !sys->sys.path[0])
		snprintf(sys->sys.path, sizeof(sys->sys.path), "%s", ev->proc.path);
	/* A new mm: nothing is shared with a fork partner any more, and the
	 * exec'ing task now leads its thread group. */
	mm_plugin_process(d, ev->pid, t)->forked = false;
	t->tgid = ev->pid;
	ev->tgid = ev->pid;
	return MM_PLUGIN_EMIT;
}

static int on_exit(struct mm_decoder *d, const struct mm_plugin_slot *s,
		   const uint8_t *data, uint32_t size, struct mm_task *t,
		   struct mm_event *ev)
{
	(void)size;
	if (s->f[F_EXIT_PID].size)
		ev->pid = (int32_t)mm_plugin_s64(d, data, s->f[F_EXIT_PID]);
	mm_plugin_syscall_abandon(d, t);
	ev->kind = MM_EV_EXIT;
	ev->proc.child_pid = 0;
	ev->proc.is_thread = ev->proc.shares_mm = ev->proc.vfork = false;
	ev->proc.comm[0] = ev->proc.old_comm[0] = ev->proc.path[0] = '\0';
	return MM_PLUGIN_EMIT;
}

static int on_rename(struct mm_decoder *d, const struct mm_plugin_slot *s,
		     const uint8_t *data, uint32_t size, struct mm_task *t,
		     struct mm_event *ev)
{
	if (s->f[F_RENAME_PID].size)
		ev->pid = (int32_t)mm_plugin_s64(d, data, s->f[F_RENAME_PID]);
	/* exec names the task after its program: the exec event says so */
	if (held_execve(d, t))
		return MM_PLUGIN_DROP;
	ev->kind = MM_EV_RENAME;
	mm_plugin_str(d, data, size, s->f[F_RENAME_OLD], false, ev->proc.old_comm, sizeof(ev->proc.old_comm));
	mm_plugin_str(d, data, size, s->f[F_RENAME_NEW], false, ev->proc.comm, sizeof(ev->proc.comm));
	ev->proc.path[0] = '\0';
	ev->proc.child_pid = 0;
	ev->proc.is_thread = ev->proc.shares_mm = ev->proc.vfork = false;
	return MM_PLUGIN_EMIT;
}

struct proc_desc {
	const char *system, *name;
	mm_plugin_fn fn;
	const char *fields[3];
};

static const struct proc_desc descs[] = {
	{ "sched", "sched_process_fork", on_fork, { "parent_pid", "child_comm", "child_pid" } },
	{ "sched", "sched_process_exec", on_exec, { "filename", "pid", "old_pid" } },
	{ "sched", "sched_process_exit", on_exit, { "pid" } },
	{ "task",  "task_rename",        on_rename, { "pid", "oldcomm", "newcomm" } },
	{ "task",  "task_newtask",       on_newtask, { "pid", "clone_flags" } },
};

int mm_plugin_proc_init(struct mm_decoder *d)
{
	for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
		const struct proc_desc *pd = &descs[i];
		struct tep_event *e = tep_find_event_by_name(d->tep, pd->system, pd->name);
		struct mm_plugin_slot *s = mm_plugin_bind(d, e, pd->fn);
		if (!s) {
			mm_plugin_missing(d, pd->system, pd->name);
			continue;
		}
		s->settles = true;
		for (int j = 0; j < 3 && pd->fields[j]; j++)
			mm_plugin_field(s, e, pd->fields[j], &s->f[j]);
	}
	return 0;
}
