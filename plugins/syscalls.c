/*
 * plugins/syscalls.c - the memory syscalls: sys_enter_X / sys_exit_X pairs.
 *
 * An entry opens a syscall event that is held (keeping its place in time
 * order) until the same task's exit fills in the result; the event is then
 * complete, as the log prints it on one line.  Arguments are found by field
 * name, falling back to position when a kernel names one differently
 * (madvise's len_in, say), and kept raw: the log knows which are ints.
 * exit_group has no exit and is emitted at once; an entry whose exit never
 * comes is abandoned (no result) by the task's next entry, its exit or the
 * hold timeout.  fsync and fdatasync (phase markers, record
 * --markers=fsync) are decoded when present but their absence is not
 * reported: a recording may leave them out.
 */
#include <string.h>
#include <event-parse.h>

#include "eventset.h"
#include "plugin.h"

struct sys_desc {
	const char *name;
	const char *args[MM_PLUGIN_MAX_FIELDS];
};

static const struct sys_desc descs[MM_SYS_NR] = {
	[MM_SYS_BRK]          = { "brk", { "brk" } },
	[MM_SYS_MMAP]         = { "mmap", { "addr", "len", "prot", "flags", "fd", "off" } },
	[MM_SYS_MUNMAP]       = { "munmap", { "addr", "len" } },
	[MM_SYS_MREMAP]       = { "mremap", { "addr", "old_len", "new_len", "flags", "new_addr" } },
	[MM_SYS_MPROTECT]     = { "mprotect", { "start", "len", "prot" } },
	[MM_SYS_MADVISE]      = { "madvise", { "start", "len_in", "behavior" } },
	[MM_SYS_MLOCK]        = { "mlock", { "start", "len" } },
	[MM_SYS_MLOCK2]       = { "mlock2", { "start", "len", "flags" } },
	[MM_SYS_MUNLOCK]      = { "munlock", { "start", "len" } },
	[MM_SYS_MLOCKALL]     = { "mlockall", { "flags" } },
	[MM_SYS_MUNLOCKALL]   = { "munlockall", { NULL } },
	[MM_SYS_MSYNC]        = { "msync", { "start", "len", "flags" } },
	[MM_SYS_SHMGET]       = { "shmget", { "key", "size", "shmflg" } },
	[MM_SYS_SHMAT]        = { "shmat", { "shmid", "shmaddr", "shmflg" } },
	[MM_SYS_SHMDT]        = { "shmdt", { "shmaddr" } },
	[MM_SYS_SHMCTL]       = { "shmctl", { "shmid", "cmd", "buf" } },
	[MM_SYS_MEMFD_CREATE] = { "memfd_create", { "uname", "flags" } },
	[MM_SYS_EXECVE]       = { "execve", { "filename", "argv", "envp" } },
	[MM_SYS_EXIT_GROUP]   = { "exit_group", { "error_code" } },
	[MM_SYS_CLONE]        = { "clone", { "clone_flags", "newsp", "parent_tidptr",
					     "child_tidptr", "tls" } },
	[MM_SYS_CLONE3]       = { "clone3", { "uargs", "size" } },
	[MM_SYS_FORK]         = { "fork", { NULL } },
	[MM_SYS_VFORK]        = { "vfork", { NULL } },
	[MM_SYS_PKEY_MPROTECT] = { "pkey_mprotect", { "start", "len", "prot", "pkey" } },
	[MM_SYS_PROCESS_MADVISE] = { "process_madvise", { "pidfd", "vec", "vlen", "behavior",
							  "flags" } },
	[MM_SYS_MSEAL]        = { "mseal", { "start", "len", "flags" } },
	[MM_SYS_REMAP_FILE_PAGES] = { "remap_file_pages", { "start", "size", "prot", "pgoff",
							    "flags" } },
	[MM_SYS_FSYNC]        = { "fsync", { "fd" } },
	[MM_SYS_FDATASYNC]    = { "fdatasync", { "fd" } },
};

const char *mm_syscall_name(enum mm_syscall_nr nr)
{
	return (unsigned)nr < MM_SYS_NR ? descs[nr].name : "?";
}

void mm_plugin_syscall_abandon(struct mm_decoder *d, struct mm_task *t)
{
	if (!t->sys_held)
		return;
	mm_plugin_at(d, t->sys_seq)->sys.has_ret = false;
	mm_plugin_release(d, t->sys_seq);
	t->sys_held = false;
}

static int on_enter(struct mm_decoder *d, const struct mm_plugin_slot *s,
		    const uint8_t *data, uint32_t size, struct mm_task *t,
		    struct mm_event *ev)
{
	(void)size;
	mm_plugin_syscall_abandon(d, t);     /* its exit was lost */
	mm_plugin_enter_syscall(t, d->raw_nr[s->sub]);
	ev->kind = MM_EV_SYSCALL;
	ev->sys.nr = s->sub;
	ev->sys.has_ret = false;
	ev->sys.ret = 0;
	ev->sys.exit_ts = 0;
	ev->sys.have_clone_flags = false;
	ev->sys.clone_flags = 0;
	ev->sys.path[0] = '\0';
	if (s->sub == MM_SYS_EXECVE)
		mm_plugin_exec_note_take(d, ev->pid, ev->sys.path, sizeof(ev->sys.path));
	memset(ev->sys.rss, 0, sizeof(ev->sys.rss));
	ev->sys.nr_frames = 0;
	for (int i = 0; i < MM_PLUGIN_MAX_FIELDS; i++)
		ev->sys.args[i] = mm_plugin_u64(d, data, s->f[i]);
	if (s->sub == MM_SYS_EXIT_GROUP)
		return MM_PLUGIN_EMIT;
	t->sys_held = true;
	t->sys_seq = d->tail;
	return MM_PLUGIN_HOLD;
}

static int on_exit(struct mm_decoder *d, const struct mm_plugin_slot *s,
		   const uint8_t *data, uint32_t size, struct mm_task *t,
		   struct mm_event *ev)
{
	(void)size;
	t->in_sys = false;
	t->child_rss_seen = false;   /* a fork that failed after copy_mm */
	memset(t->child_rss, 0, sizeof(t->child_rss));
	if (!t->sys_held)            /* entry before the trace, or a clone child */
		return MM_PLUGIN_DROP;
	struct mm_event *e = mm_plugin_at(d, t->sys_seq);
	if (e->sys.nr != s->sub) {   /* not this entry's exit: both lost halves */
		mm_plugin_syscall_abandon(d, t);
		return MM_PLUGIN_DROP;
	}
	e->sys.ret = mm_plugin_s64(d, data, s->f[0]);
	e->sys.has_ret = true;
	e->sys.exit_ts = ev->ts;
	mm_plugin_ustack_attach(t, e, ev->ts);
	mm_plugin_release(d, t->sys_seq);
	t->sys_held = false;
	return MM_PLUGIN_DROP;
}

/* The I-th argument field after __syscall_nr, for kernels naming it otherwise. */
static struct tep_format_field *positional(struct tep_event *e, int i)
{
	struct tep_format_field *f = e->format.fields;
	if (f && !strcmp(f->name, "__syscall_nr"))
		f = f->next;
	while (f && i--)
		f = f->next;
	return f;
}

static void bind_args(struct mm_plugin_slot *s, struct tep_event *e, const struct sys_desc *sd)
{
	for (int i = 0; i < MM_PLUGIN_MAX_FIELDS && sd->args[i]; i++) {
		if (mm_plugin_field(s, e, sd->args[i], &s->f[i]))
			continue;
		struct tep_format_field *f = positional(e, i);
		if (f)
			mm_plugin_field(s, e, f->name, &s->f[i]);
	}
}

static bool bind_pair(struct mm_decoder *d, uint8_t nr)
{
	char name[64];
	snprintf(name, sizeof(name), "sys_enter_%s", descs[nr].name);
	struct tep_event *e = tep_find_event_by_name(d->tep, "syscalls", name);
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_enter);
	if (!s)
		return false;
	s->sub = nr;
	s->settles = true;
	s->enter = true;
	bind_args(s, e, &descs[nr]);
	if (nr == MM_SYS_EXIT_GROUP)
		return true;
	snprintf(name, sizeof(name), "sys_exit_%s", descs[nr].name);
	e = tep_find_event_by_name(d->tep, "syscalls", name);
	s = mm_plugin_bind(d, e, on_exit);
	if (!s)
		return false;
	s->sub = nr;
	s->settles = true;
	mm_plugin_field(s, e, "ret", &s->f[0]);
	return true;
}

static int nr_of(const char *name)
{
	for (int nr = 0; nr < MM_SYS_NR; nr++)
		if (!strcmp(descs[nr].name, name))
			return nr;
	return -1;
}

int mm_plugin_syscalls_init(struct mm_decoder *d)
{
	for (int nr = 0; nr < MM_SYS_NR; nr++)
		d->raw_nr[nr] = (int16_t)mm_syscall_raw_nr(descs[nr].name);
	for (size_t i = 0; i < mm_traced_syscalls_len; i++) {
		int nr = nr_of(mm_traced_syscalls[i]);
		if (nr < 0 || !bind_pair(d, (uint8_t)nr))
			mm_plugin_missing(d, "syscalls", mm_traced_syscalls[i]);
	}
	for (size_t i = 0; i < mm_marker_syscalls_len; i++) {
		int nr = nr_of(mm_marker_syscalls[i]);
		if (nr >= 0)
			bind_pair(d, (uint8_t)nr);
	}
	return 0;
}
