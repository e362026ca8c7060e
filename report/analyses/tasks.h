/*
 * report/analyses/tasks.h - which processes and tasks a trace has, as the
 * events name them: what `report --pid` may ask for, and the words of its
 * error when it asks for one the trace does not have.
 */
#ifndef MM_REPORT_ANALYSES_TASKS_H
#define MM_REPORT_ANALYSES_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"

struct mm_tasks {
	struct mm_task_seen {
		int32_t pid;
		bool process;            /* a process (tgid), not only a thread */
		char comm[16];           /* its latest name, "" unknown */
	} *v;
	size_t n, cap;
	int32_t last;                /* the entry of the last lookup (a cache) */
	size_t last_i;
	int32_t same_pid, same_tgid; /* the last event's, when it named nothing */
	bool have_time;
	uint64_t first_ts, last_ts;  /* the events' span */
};

/* Note what EV says: its task, its process, a fork's child, a name. */
void mm_tasks_add(struct mm_tasks *t, const struct mm_event *ev);
/* The same for a malloc call (it names nothing), inline for the run of
 * one task's calls that makes most of a record --malloc trace. */
static inline void mm_tasks_add_call(struct mm_tasks *t, const struct mm_event *ev)
{
	if (!t->have_time || ev->pid <= 0 || ev->pid != t->same_pid || ev->tgid != t->same_tgid) {
		mm_tasks_add(t, ev);
		return;
	}
	if (ev->ts < t->first_ts)
		t->first_ts = ev->ts;
	if (ev->ts > t->last_ts)
		t->last_ts = ev->ts;
}
/* Is PID a task or a process of the trace? */
bool mm_tasks_has(const struct mm_tasks *t, int32_t pid);
/* "7087 (gcc), 7090 (cc1) and 3 more" into BUF: the trace's processes in
 * pid order, at most MAX named; "none" when there is none. */
void mm_tasks_describe(const struct mm_tasks *t, size_t max, char *buf, size_t len);
void mm_tasks_free(struct mm_tasks *t);

#endif
