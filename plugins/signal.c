/*
 * plugins/signal.c - signal:signal_generate and signal:signal_deliver.
 *
 * A crash must read as one: the access that raised SIGSEGV or SIGBUS is a
 * page fault the kernel answered with a signal instead of a page.  The
 * kernel generates that signal inside the fault, in the faulting task, so
 * a signal_generate of SIGSEGV/SIGBUS with a fault's si_code, sent by a
 * task to itself while its fault is still held, marks that fault (signo,
 * si_code, class "other") and is not emitted on its own.
 *
 * signal_deliver comes from the task taking the signal (the event's task
 * is the receiver); signal_generate from the sender, so with the pid
 * filter it is recorded only when a watched task sends (kill, a child's
 * SIGCHLD at exit, a fault).  Neither settles a held fault: a signal
 * gives no page.
 *
 * A signal the task ignores (SIG_IGN, or a default action of "ignore")
 * reaches signal_deliver only because record ptraces the task (the kernel
 * discards it when it is generated otherwise): such deliveries are
 * record's doing and have no effect, and are dropped.
 */
#include <signal.h>
#include <string.h>
#include <event-parse.h>

#include "plugin.h"

enum { F_SIG, F_CODE, F_PID, F_GROUP, F_RESULT, F_HANDLER };

/* si_code values of a fault's signal are small positive numbers; the
 * kernel's own (SI_KERNEL 0x80) and user ones (SI_USER 0, negative) are
 * not faults. */
static bool fault_code(int32_t code)
{
	return code > 0 && code < 0x80;
}

const char *mm_signal_default(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
	case SIGFPE: case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return "core";
	case SIGCHLD: case SIGURG: case SIGWINCH:
		return "ignore";
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return "stop";
	case SIGCONT:
		return "continue";
	default:                         /* the others and the realtime ones */
		return "terminate";
	}
}

bool mm_signal_is_fatal(int sig, uint64_t handler)
{
	const char *what = mm_signal_default(sig);
	/* SIGKILL cannot be caught: its recorded handler is whatever was set */
	if (sig == SIGKILL)
		return true;
	return handler == 0 && (!strcmp(what, "core") || !strcmp(what, "terminate"));
}

static int on_generate(struct mm_decoder *d, const struct mm_plugin_slot *s,
		       const uint8_t *data, uint32_t size, struct mm_task *t,
		       struct mm_event *ev)
{
	(void)size;
	ev->kind = MM_EV_SIGNAL;
	ev->signal.deliver = false;
	ev->signal.sig = (uint8_t)mm_plugin_u64(d, data, s->f[F_SIG]);
	ev->signal.code = (int32_t)mm_plugin_s64(d, data, s->f[F_CODE]);
	ev->signal.target = (int32_t)mm_plugin_s64(d, data, s->f[F_PID]);
	ev->signal.group = mm_plugin_u64(d, data, s->f[F_GROUP]) != 0;
	ev->signal.result = (int32_t)mm_plugin_s64(d, data, s->f[F_RESULT]);
	ev->signal.handler = 0;
	if ((ev->signal.sig == SIGSEGV || ev->signal.sig == SIGBUS) &&
	    fault_code(ev->signal.code) && ev->signal.target == ev->pid && t->fault_held) {
		struct mm_fault *f = &mm_plugin_at(d, t->fault_seq)->fault;
		f->signo = ev->signal.sig;
		f->si_code = (uint8_t)ev->signal.code;
		mm_plugin_fault_set_class(d, t, MM_FAULT_OTHER);
		return MM_PLUGIN_DROP;
	}
	return MM_PLUGIN_EMIT;
}

static int on_deliver(struct mm_decoder *d, const struct mm_plugin_slot *s,
		      const uint8_t *data, uint32_t size, struct mm_task *t,
		      struct mm_event *ev)
{
	(void)size;
	(void)t;
	ev->kind = MM_EV_SIGNAL;
	ev->signal.deliver = true;
	ev->signal.sig = (uint8_t)mm_plugin_u64(d, data, s->f[F_SIG]);
	ev->signal.code = (int32_t)mm_plugin_s64(d, data, s->f[F_CODE]);
	ev->signal.target = ev->pid;
	ev->signal.group = false;
	ev->signal.result = 0;
	ev->signal.handler = mm_plugin_u64(d, data, s->f[F_HANDLER]);
	if (ev->signal.sig != SIGKILL && (ev->signal.handler == 1 ||
	    (ev->signal.handler == 0 && !strcmp(mm_signal_default(ev->signal.sig), "ignore"))))
		return MM_PLUGIN_DROP;
	return MM_PLUGIN_EMIT;
}

int mm_plugin_signal_init(struct mm_decoder *d)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, "signal", "signal_generate");
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_generate);
	if (s) {
		mm_plugin_field(s, e, "sig", &s->f[F_SIG]);
		mm_plugin_field(s, e, "code", &s->f[F_CODE]);
		mm_plugin_field(s, e, "pid", &s->f[F_PID]);
		mm_plugin_field(s, e, "group", &s->f[F_GROUP]);
		mm_plugin_field(s, e, "result", &s->f[F_RESULT]);
	} else {
		mm_plugin_missing(d, "signal", "signal_generate");
	}
	e = tep_find_event_by_name(d->tep, "signal", "signal_deliver");
	s = mm_plugin_bind(d, e, on_deliver);
	if (s) {
		mm_plugin_field(s, e, "sig", &s->f[F_SIG]);
		mm_plugin_field(s, e, "code", &s->f[F_CODE]);
		mm_plugin_field(s, e, "sa_handler", &s->f[F_HANDLER]);
	} else {
		mm_plugin_missing(d, "signal", "signal_deliver");
	}
	return 0;
}
