/*
 * record/watch.c - the live watch list of a recording (the seed's
 * /proc/memmon/watch-pids): which processes the kernel's pid filter lets
 * through, changed while the recording runs by `memmon watch` (its
 * requests come through record/control.c).
 *
 * The filter is two lists of the instance, of tasks, not processes: a
 * process joins with all its threads and leaves with all of them.
 * set_event_pid lets tasks in, set_event_notrace_pid keeps tasks out (it
 * wins); the kernel adds what their tasks fork to each (event-fork) and
 * drops tasks that exit from both, so "in the first, not in the second"
 * is always the truth of who is watched now.  A process joins by an append
 * to set_event_pid and leaves by an append to the notrace list: an append
 * changes the filter in one step (~25 ms of RCU in the kernel, but the old
 * list holds until the new one does).  Rewriting a list empties it first
 * (~40 ms): an empty set_event_pid would let every task of the machine
 * in.  So the lists only grow, and the one rewrite, taking a process that
 * left out of the notrace list when it joins again, is done with tracing
 * off: that moment of the others' events is missing, and the join says
 * for how long (mm_watch_header.pause_us).
 *
 * Every change is in the trace (a WATCH section, dated with the trace
 * clock): a join is dated before the filter lets the process in, a leave
 * after it is out, so none of its events falls outside its intervals.  A
 * joining process gets START snapshots (maps, status, smaps) first, so the
 * report knows its map; a leaving one END snapshots.
 *
 * A process that joins gets what one watched from the start has: the
 * kernel's mapping records (mapnames.c: the names of the files it maps
 * from then on, opened before its START snapshot so no mapping falls
 * between the two) and the user stacks of its memory calls (the stacks
 * instance, whose pid filter follows the main one's: let in first and
 * kept out last, so every call the main ring has of it has its stack).
 * At its leave both stop.
 *
 * record --frames' page allocator events are events of the same instance:
 * the same filter lets them in and out, with nothing to change for them.
 *
 * Removing a process rewrites set_event_pid whole (the kernel has no
 * "remove one"): a task that a watched task forks in the microseconds
 * between the read and the write is not in the new list.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "record/record.h"

struct mm_watch {
	pthread_mutex_t lock;
	struct tracefs_instance *inst;
	struct tracefs_instance *stacks;  /* the stacks instance, or NULL */
	struct mm_mapnames *names;        /* the mapping records, or NULL */
	struct mm_out *o;
	pid_t *pids;          /* processes joined (start, watch) and not left */
	size_t nr, cap;
	bool emptied;         /* the last change left the list empty */
};

/* The filter as the kernel has it now. */
struct lists {
	pid_t *in, *out;      /* set_event_pid, set_event_notrace_pid */
	size_t nin, nout;
};

static bool has(const pid_t *v, size_t n, pid_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Tell the user why a request was refused; 1, the refusal. */
static int refuse(char *reply, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(char *reply, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reply, len, fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- the filter ---- */

static int lists_read(struct mm_watch *w, struct lists *l)
{
	memset(l, 0, sizeof(*l));
	if (mm_tracing_get_pids(w->inst, false, &l->in, &l->nin) < 0 ||
	    mm_tracing_get_pids(w->inst, true, &l->out, &l->nout) < 0)
		return -1;
	return 0;
}

static void lists_free(struct lists *l)
{
	free(l->in);
	free(l->out);
}

/* Both instances' lists: the stacks one before the main one lets tasks
 * in (JOIN), after it keeps them out. */
static int filter_write(struct mm_watch *w, bool notrace, const pid_t *t, size_t n, bool append,
			bool join)
{
	struct tracefs_instance *order[2] = { join ? w->stacks : w->inst, join ? w->inst : w->stacks };

	for (int i = 0; i < 2; i++)
		if (order[i] && mm_tracing_write_pids(order[i], notrace, t, n, append) < 0)
			return -1;
	return 0;
}

static int filter_tracing_on(struct mm_watch *w, bool on)
{
	int ret = mm_tracing_on(w->inst, on);

	if (w->stacks && mm_tracing_on(w->stacks, on) < 0)
		ret = -1;
	return ret;
}

static bool tid_watched(const struct lists *l, pid_t tid)
{
	return has(l->in, l->nin, tid) && !has(l->out, l->nout, tid);
}

/* The process of task TID when it is watched (and still there), else 0. */
static pid_t watched_process(const struct lists *l, pid_t tid)
{
	struct mm_proc_status st;

	if (!tid_watched(l, tid) || mm_proc_status(tid, &st) < 0)
		return 0;
	return st.tgid;
}

/* Does a process that PID forked stay watched after LEAVE[NL] leave (the
 * lists as they were before)?  Its mapping records are copies of PID's
 * (inherited), which end with them. */
static bool forked_stay(const struct lists *l, pid_t pid, const pid_t *leave, size_t nl)
{
	for (size_t i = 0; i < l->nin; i++) {
		pid_t tgid = watched_process(l, l->in[i]);
		if (tgid && !has(leave, nl, tgid) && mm_proc_descends(tgid, pid))
			return true;
	}
	return false;
}

/* Is a task of process PID (its tasks T[N]) watched? */
static bool proc_watched(const struct lists *l, pid_t pid, const pid_t *t, size_t n)
{
	bool ret = tid_watched(l, pid);

	for (size_t i = 0; !ret && i < n; i++)
		ret = tid_watched(l, t[i]);
	return ret;
}

/* ---- the trace ---- */

/* A WATCH section: OP of process PID with its tasks TIDS[N] at TS (0:
 * now), PAUSE_US the time tracing was off for it. */
static int record_change(struct mm_watch *w, pid_t pid, unsigned op, unsigned reason,
			 const pid_t *tids, size_t n, uint64_t ts, uint32_t pause_us)
{
	struct mm_watch_header h = { .pid = (uint32_t)pid, .op = (uint16_t)op,
				     .reason = (uint16_t)reason, .nr_tids = (uint32_t)n,
				     .pause_us = pause_us };
	uint32_t *t = mm_malloc((n + 1) * sizeof(*t));
	int ret;

	for (size_t i = 0; i < n; i++)
		t[i] = (uint32_t)tids[i];
	if (!ts && mm_tracing_now(w->o->clock_fd, &ts) < 0) {
		free(t);
		return -1;
	}
	h.ts = ts;
	pthread_mutex_lock(&w->o->lock);
	ret = mm_writer_section(w->o->w, MM_SECTION_WATCH, &h, sizeof(h), t, n * sizeof(*t));
	pthread_mutex_unlock(&w->o->lock);
	free(t);
	return ret;
}

static void set_add(struct mm_watch *w, pid_t pid)
{
	if (has(w->pids, w->nr, pid))
		return;
	MM_GROW(w->pids, w->nr, w->cap, 8);
	w->pids[w->nr++] = pid;
}

static void set_del(struct mm_watch *w, pid_t pid)
{
	for (size_t i = 0; i < w->nr; i++)
		if (w->pids[i] == pid) {
			w->pids[i] = w->pids[--w->nr];
			return;
		}
}

struct mm_watch *mm_watch_new(struct tracefs_instance *inst, struct tracefs_instance *stacks,
			      struct mm_mapnames *names, struct mm_out *o, const pid_t *pids,
			      size_t n, uint64_t start_ts)
{
	struct mm_watch *w = mm_calloc(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	w->inst = inst;
	w->stacks = stacks;
	w->names = names;
	w->o = o;
	for (size_t i = 0; i < n; i++) {
		size_t nt;
		pid_t *t = mm_proc_threads(pids[i], &nt);
		int ret = 0;
		set_add(w, pids[i]);
		/* record -p: the trace says who was watched from the start,
		 * dated before tracing went on (not now: the first events of
		 * PIDS would fall before their join) */
		if (start_ts)
			ret = record_change(w, pids[i], MM_WATCH_JOIN, MM_WATCH_BY_START, t, nt,
					    start_ts, 0);
		free(t);
		if (ret < 0) {
			mm_watch_free(w);
			return NULL;
		}
	}
	return w;
}

void mm_watch_free(struct mm_watch *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w->pids);
	free(w);
}

/* ---- the requests ---- */

/* Let process PID's tasks T[N] in.  A process that left before is still
 * in the notrace list: out of it, with tracing off meanwhile (in both
 * instances: their lists stay the same). */
static int join(struct mm_watch *w, pid_t pid, const pid_t *t, size_t n, const struct lists *l)
{
	bool rejoin = false;
	pid_t *keep = mm_malloc((l->nout + 1) * sizeof(*keep));
	size_t nk = 0;
	uint64_t ts, t0;
	int ret = -1;

	for (size_t i = 0; i < l->nout; i++) {
		if (has(t, n, l->out[i]) || l->out[i] == pid)
			rejoin = true;
		else
			keep[nk++] = l->out[i];
	}
	/* its map before its first event; the join before the filter lets it in */
	if (mm_snapshot_process(w->o, pid, MM_PHASE_START) < 0)
		goto out;
	if (!rejoin) {
		ret = record_change(w, pid, MM_WATCH_JOIN, MM_WATCH_BY_WATCH, t, n, 0, 0) < 0 ||
		      filter_write(w, false, t, n, true, true) < 0 ? -1 : 0;
		goto out;
	}
	/* in set_event_pid first: the notrace list keeps it out until the end */
	if (filter_write(w, false, t, n, true, true) < 0 ||
	    mm_tracing_now(w->o->clock_fd, &ts) < 0)
		goto out;
	t0 = mm_mono_ns();
	if (filter_tracing_on(w, false) < 0)
		goto out;
	ret = filter_write(w, true, keep, nk, false, true);
	if (filter_tracing_on(w, true) < 0)
		ret = -1;
	if (!ret)
		ret = record_change(w, pid, MM_WATCH_JOIN, MM_WATCH_BY_WATCH, t, n, ts,
				    (uint32_t)((mm_mono_ns() - t0 + 999) / 1000));
out:
	free(keep);
	return ret;
}

/* The ends of add() and remove_one(): the error as the reply (1: refused,
 * the list as it was), then the lists and the task list freed. */
static int failed(char *reply, size_t len)
{
	snprintf(reply, len, "%s\n", mm_error_msg());
	return 1;
}

static int change_done(struct lists *l, pid_t *t, int ret)
{
	lists_free(l);
	free(t);
	return ret;
}

static int add(struct mm_watch *w, pid_t pid, char *reply, size_t len)
{
	struct mm_proc_status st;
	struct lists l = { 0 };
	pid_t *t = NULL;
	size_t nt = 0;
	char unnamed[512] = "";
	int ret = 1;

	if (pid == getpid())
		return refuse(reply, len, "%d is this recording (memmon record itself)\n", (int)pid);
	if (mm_proc_status(pid, &st) < 0)
		return refuse(reply, len, "no process with pid %d\n", (int)pid);
	if (st.tgid != pid)
		return refuse(reply, len, "%d is a thread of process %d: watch the process\n",
			      (int)pid, (int)st.tgid);
	if (!st.user)
		return refuse(reply, len, "%d (%s) is a kernel thread: it has no user memory\n",
			      (int)pid, st.comm);
	t = mm_proc_threads(pid, &nt);
	if (lists_read(w, &l) < 0)
		goto fail;
	if (proc_watched(&l, pid, t, nt)) {
		snprintf(reply, len, "%d (%s) is already watched\n", (int)pid, st.comm);
		goto out;
	}
	/* the names of what it maps from now on, before its map's snapshot;
	 * without them (perf refused) it is watched all the same */
	if (w->names && mm_mapnames_join(w->names, pid) < 0)
		snprintf(unnamed, sizeof(unnamed), "; %s: its files mapped and unmapped "
			 "from now on will be named 'fd N'", mm_error_msg());
	if (join(w, pid, t, nt, &l) < 0) {
		if (w->names)
			mm_mapnames_leave(w->names, pid);
		goto fail;
	}
	w->emptied = false;
	set_add(w, pid);
	snprintf(reply, len, "watching %d (%s), %zu task%s%s\n", (int)pid, st.comm, nt,
		 nt == 1 ? "" : "s", unnamed);
	ret = 0;
	goto out;
fail:
	ret = failed(reply, len);
out:
	return change_done(&l, t, ret);
}

/* Keep the processes LEAVE[NL] out (their tasks into the notrace list),
 * then date their leaves, snapshot them and close their mapping records
 * (kept while a process one of them forked stays: its records are theirs). */
static int leave(struct mm_watch *w, const pid_t *leave, size_t nl, const struct lists *l)
{
	size_t n;
	pid_t *out = mm_proc_threads_all(leave, nl, &n);
	bool left_some = false;

	if (n && filter_write(w, true, out, n, true, false) < 0) {
		free(out);
		return -1;
	}
	free(out);
	for (size_t i = 0; i < nl; i++) {
		size_t nt;
		pid_t *t = mm_proc_threads(leave[i], &nt);
		int ret = record_change(w, leave[i], MM_WATCH_LEAVE, MM_WATCH_BY_WATCH, t, nt, 0, 0);
		free(t);
		if (ret < 0 || mm_snapshot_process(w->o, leave[i], MM_PHASE_END) < 0)
			return -1;
		if (w->names && !forked_stay(l, leave[i], leave, nl))
			mm_mapnames_leave(w->names, leave[i]);
		set_del(w, leave[i]);
	}
	/* anyone left in? (the lists as they were, less those who left) */
	for (size_t i = 0; i < l->nin && !left_some; i++) {
		pid_t tgid = watched_process(l, l->in[i]);
		left_some = tgid && !has(leave, nl, tgid);
	}
	w->emptied = !left_some;
	return 0;
}

static int remove_one(struct mm_watch *w, pid_t pid, char *reply, size_t len)
{
	struct mm_proc_status st;
	struct lists l = { 0 };
	pid_t *t = NULL;
	size_t nt = 0;
	int ret = 1;

	if (mm_proc_status(pid, &st) < 0)
		return refuse(reply, len, "no process with pid %d\n", (int)pid);
	if (st.tgid != pid)
		return refuse(reply, len, "%d is a thread of process %d: the list holds processes\n",
			      (int)pid, (int)st.tgid);
	t = mm_proc_threads(pid, &nt);
	if (lists_read(w, &l) < 0)
		goto fail;
	if (!proc_watched(&l, pid, t, nt)) {
		snprintf(reply, len, "%d (%s) is not watched\n", (int)pid, st.comm);
		goto out;
	}
	if (leave(w, &pid, 1, &l) < 0)
		goto fail;
	snprintf(reply, len, "%d (%s) no longer watched%s\n", (int)pid, st.comm,
		 w->emptied ? "; the list is empty (the recording goes on)" : "");
	ret = 0;
	goto out;
fail:
	ret = failed(reply, len);
out:
	return change_done(&l, t, ret);
}

/* The processes watched now, in pid order (malloc'd, *NP of them). */
static pid_t *processes_of(const struct lists *l, size_t *np)
{
	pid_t *p = mm_malloc((l->nin + 1) * sizeof(*p));

	*np = 0;
	for (size_t i = 0; i < l->nin; i++) {
		pid_t tgid = watched_process(l, l->in[i]);
		if (tgid && !has(p, *np, tgid))   /* (0: out, or gone meanwhile) */
			p[(*np)++] = tgid;
	}
	for (size_t i = 1; i < *np; i++)
		for (size_t k = i; k > 0 && p[k - 1] > p[k]; k--) {
			pid_t x = p[k];
			p[k] = p[k - 1];
			p[k - 1] = x;
		}
	return p;
}

static int clear(struct mm_watch *w, char *reply, size_t len)
{
	struct lists l = { 0 };
	pid_t *procs = NULL;
	size_t np = 0;
	int ret = 1;

	if (lists_read(w, &l) < 0)
		goto fail;
	procs = processes_of(&l, &np);
	if (leave(w, procs, np, &l) < 0)
		goto fail;
	w->emptied = true;
	snprintf(reply, len, "watch list cleared (%zu process%s left it; the recording goes on)\n",
		 np, np == 1 ? "" : "es");
	ret = 0;
	goto out;
fail:
	snprintf(reply, len, "%s\n", mm_error_msg());
out:
	lists_free(&l);
	free(procs);
	return ret;
}

/* "PID COMM N tasks" per watched process, in pid order. */
static int list(struct mm_watch *w, char *reply, size_t len)
{
	struct lists l = { 0 };
	pid_t *procs;
	size_t np, at = 0;

	if (lists_read(w, &l) < 0) {
		lists_free(&l);
		snprintf(reply, len, "%s\n", mm_error_msg());
		return 1;
	}
	procs = processes_of(&l, &np);
	reply[0] = '\0';
	for (size_t i = 0; i < np && at < len; i++) {
		struct mm_proc_status st = { .comm = "" };
		size_t tasks = 0;
		for (size_t k = 0; k < l.nin; k++)
			tasks += watched_process(&l, l.in[k]) == procs[i];
		mm_proc_status(procs[i], &st);
		at += snprintf(reply + at, len - at, "%d %s %zu task%s\n", (int)procs[i], st.comm,
			       tasks, tasks == 1 ? "" : "s");
	}
	if (!np)
		snprintf(reply, len, "no process is watched\n");
	lists_free(&l);
	free(procs);
	return 0;
}

int mm_watch_request(struct mm_watch *w, const char *req, char *reply, size_t len)
{
	char word[16] = "";
	long pid = 0;
	int ret;

	if (sscanf(req, "%15s %ld", word, &pid) < 1) {
		snprintf(reply, len, "empty request\n");
		return 1;
	}
	pthread_mutex_lock(&w->lock);
	if (!strcmp(word, "add") && pid > 0 && pid <= 0x3fffffff)
		ret = add(w, (pid_t)pid, reply, len);
	else if (!strcmp(word, "remove") && pid > 0 && pid <= 0x3fffffff)
		ret = remove_one(w, (pid_t)pid, reply, len);
	else if (!strcmp(word, "clear"))
		ret = clear(w, reply, len);
	else if (!strcmp(word, "list"))
		ret = list(w, reply, len);
	else
		ret = refuse(reply, len, "unknown request '%.64s'\n", req);
	pthread_mutex_unlock(&w->lock);
	return ret;
}

size_t mm_watch_pids(struct mm_watch *w, pid_t **pids)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->nr;
	*pids = mm_malloc((n + 1) * sizeof(**pids));
	memcpy(*pids, w->pids, n * sizeof(**pids));
	pthread_mutex_unlock(&w->lock);
	return n;
}

bool mm_watch_going_on(struct mm_watch *w)
{
	bool ret;

	pthread_mutex_lock(&w->lock);
	ret = w->emptied;
	for (size_t i = 0; !ret && i < w->nr; i++)
		ret = kill(w->pids[i], 0) == 0 || errno == EPERM;
	pthread_mutex_unlock(&w->lock);
	return ret;
}
