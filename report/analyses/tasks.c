/*
 * report/analyses/tasks.c - the processes and tasks of a trace (tasks.h).
 * A trace has few of them (a build has hundreds, not millions): a sorted
 * array with binary search, and a one-entry cache for the run of events of
 * one task that makes up most of a trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/tasks.h"

static struct mm_task_seen *get(struct mm_tasks *t, int32_t pid)
{
	if (t->n && t->last == pid && t->last_i < t->n && t->v[t->last_i].pid == pid)
		return &t->v[t->last_i];
	size_t i = MM_PARTITION_POINT(t->n, k, t->v[k].pid < pid);
	if (i == t->n || t->v[i].pid != pid) {
		MM_GROW(t->v, t->n, t->cap, 64);
		memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof(*t->v));
		t->v[i] = (struct mm_task_seen){ .pid = pid };
		t->n++;
	}
	t->last = pid;
	t->last_i = i;
	return &t->v[i];
}

void mm_tasks_add(struct mm_tasks *t, const struct mm_event *ev)
{
	if (!t->have_time || ev->ts < t->first_ts)
		t->first_ts = ev->ts;
	if (!t->have_time || ev->ts > t->last_ts)
		t->last_ts = ev->ts;
	t->have_time = true;
	if (ev->pid <= 0)
		return;
	bool names = ev->kind == MM_EV_EXEC || ev->kind == MM_EV_RENAME || ev->kind == MM_EV_FORK;
	/* the same task and process as the last event that named nothing:
	 * nothing new (most of a trace) */
	if (!names && ev->pid == t->same_pid && ev->tgid == t->same_tgid)
		return;
	t->same_pid = names ? 0 : ev->pid;
	t->same_tgid = ev->tgid;
	struct mm_task_seen *s = get(t, ev->pid);
	if (!ev->tgid || ev->tgid == ev->pid)
		s->process = true;
	if (ev->tgid > 0 && ev->tgid != ev->pid)
		get(t, ev->tgid)->process = true;
	s = get(t, ev->pid);
	if (ev->kind == MM_EV_EXEC || ev->kind == MM_EV_RENAME)
		memcpy(s->comm, ev->proc.comm, sizeof(s->comm));
	for (uint32_t i = 0; ev->kind == MM_EV_WATCH && i < ev->watch.nr_tids; i++)
		if (ev->watch.tids[i] > 0 && ev->watch.tids[i] <= INT32_MAX)
			get(t, (int32_t)ev->watch.tids[i]);
	if (ev->kind == MM_EV_FORK && ev->proc.child_pid > 0) {
		struct mm_task_seen *c = get(t, ev->proc.child_pid);
		c->process = !ev->proc.is_thread;
		memcpy(c->comm, ev->proc.comm, sizeof(c->comm));
	}
}

bool mm_tasks_has(const struct mm_tasks *t, int32_t pid)
{
	size_t i = MM_PARTITION_POINT(t->n, k, t->v[k].pid < pid);
	return i < t->n && t->v[i].pid == pid;
}

void mm_tasks_describe(const struct mm_tasks *t, size_t max, char *buf, size_t len)
{
	size_t shown = 0, procs = 0, n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		if (!t->v[i].process)
			continue;
		procs++;
		if (shown == max || n >= len)
			continue;
		n += snprintf(buf + n, len - n, "%s%d%s%s%s", shown ? ", " : "", (int)t->v[i].pid,
			      t->v[i].comm[0] ? " (" : "", t->v[i].comm, t->v[i].comm[0] ? ")" : "");
		shown++;
	}
	if (procs > shown && n < len)
		snprintf(buf + n, len - n, " and %zu more", procs - shown);
	if (!procs)
		snprintf(buf, len, "none");
}

void mm_tasks_free(struct mm_tasks *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
