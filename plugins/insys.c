/*
 * plugins/insys.c - which syscall a task is in, for its kernel-mode faults
 * ("read() faulted in 9,843 pages of [heap]") and the rss changes no
 * memory syscall event carries.
 *
 * The memory calls say it with their own events (syscalls.c).  Besides
 * them record enables the entry and exit of the calls that fill user
 * memory in bulk (eventset.c's mm_io_syscalls: read, pread64, recvmsg,
 * ...): those are where a program's fresh buffers are first touched, by
 * the kernel.  Those records are only read here, never emitted.  Why not
 * every call (raw_syscalls:sys_enter: files recorded by commit 8520ce5
 * carry it, and it is still read): an event on every syscall made a
 * write() loop 4.7x slower under record against 1.1x without (design.md
 * has the measurements, and the triggers and stack traces tried too).  A
 * kernel-mode fault in any other call (futex, a struct stat) says
 * "kernel" without a name.
 *
 * The task is in a call from its entry to its exit (or its next user-mode
 * fault, for the raw entries, which have no exit).
 */
#include <stdio.h>
#include <string.h>
#include <event-parse.h>

#include "eventset.h"
#include "plugin.h"

enum { F_ID };
enum { SUB_ENTER, SUB_EXIT };

uint8_t mm_plugin_during(const struct mm_decoder *d, const struct mm_task *t, int16_t *sys)
{
	*sys = MM_SYSCALL_NONE;
	if (t->fault_held)
		return MM_DURING_FAULT;
	if (t->sys_held) {
		uint8_t nr = mm_plugin_at((struct mm_decoder *)d, t->sys_seq)->sys.nr;
		*sys = nr < MM_SYS_NR ? d->raw_nr[nr] : MM_SYSCALL_NONE;
		return MM_DURING_SYSCALL;
	}
	if (t->in_sys) {
		*sys = t->cur_sys;
		return MM_DURING_SYSCALL;
	}
	return MM_DURING_NONE;
}

static int on_raw_enter(struct mm_decoder *d, const struct mm_plugin_slot *s,
			const uint8_t *data, uint32_t size, struct mm_task *t,
			struct mm_event *ev)
{
	(void)size;
	(void)ev;
	mm_plugin_enter_syscall(t, (long)mm_plugin_s64(d, data, s->f[F_ID]));
	return MM_PLUGIN_DROP;
}

/* sys_enter_X / sys_exit_X of an I/O call: the slot's number is X's. */
static int on_io(struct mm_decoder *d, const struct mm_plugin_slot *s,
		 const uint8_t *data, uint32_t size, struct mm_task *t, struct mm_event *ev)
{
	(void)d;
	(void)data;
	(void)size;
	(void)ev;
	if (s->sub == SUB_EXIT)
		t->in_sys = false;
	else
		mm_plugin_enter_syscall(t, s->call);
	return MM_PLUGIN_DROP;
}

/* Binds CALL's entry and exit; false when the trace has neither. */
static bool bind_io(struct mm_decoder *d, const char *call)
{
	long nr = mm_syscall_raw_nr(call);
	char name[64];
	bool have = false;

	for (int dir = SUB_ENTER; dir <= SUB_EXIT; dir++) {
		snprintf(name, sizeof(name), "%s_%s", dir == SUB_ENTER ? "sys_enter" : "sys_exit", call);
		struct tep_event *e = tep_find_event_by_name(d->tep, "syscalls", name);
		struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_io);
		if (!s)
			continue;
		have = true;
		s->settles = true;
		s->sub = (uint8_t)dir;
		s->call = nr >= 0 && nr <= INT16_MAX ? (int16_t)nr : MM_SYSCALL_NONE;
	}
	return have;
}

int mm_plugin_insys_init(struct mm_decoder *d)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, "raw_syscalls", "sys_enter");
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_raw_enter);
	if (s) {                        /* files recorded with it: it says all */
		s->settles = true;
		mm_plugin_field(s, e, "id", &s->f[F_ID]);
	}
	for (size_t i = 0; i < mm_io_syscalls_len; i++)
		if (!bind_io(d, mm_io_syscalls[i]) && !s)
			mm_plugin_missing(d, "syscalls", mm_io_syscalls[i]);
	return 0;
}
