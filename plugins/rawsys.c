/*
 * plugins/rawsys.c - raw_syscalls:sys_enter: which syscall a task is in.
 *
 * Kernel-mode faults ("read() faulted in 9,843 pages of [heap]") and rss
 * changes inside syscalls need the call the task is in, whatever it is;
 * memmon's syscall tracepoints cover only the memory calls.  The raw
 * entry event gives the number of every call.  It is the cheapest way
 * found on 6.18 (bench/RESULTS.md notes): one recorded event per call.
 * Triggers that record only the exit of calls that faulted cost as much
 * per call on the syscall path, and a kernel stack per fault (stacktrace
 * trigger) ten times more per fault.
 *
 * The task is in that call until its exit (seen for the memory calls) or
 * its next user-mode fault; the record itself is not emitted.  Without
 * the raw event (older traces) the memory calls still set it.
 */
#include <event-parse.h>

#include "plugin.h"

enum { F_ID };

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

int mm_plugin_rawsys_init(struct mm_decoder *d)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, "raw_syscalls", "sys_enter");
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_raw_enter);
	if (!s) {
		mm_plugin_missing(d, "raw_syscalls", "sys_enter");
		return 0;
	}
	s->settles = true;
	mm_plugin_field(s, e, "id", &s->f[F_ID]);
	return 0;
}
