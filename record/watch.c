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
 * record --frames' page allocator events are events of the same instance:
 * the same filter lets them in and out, with nothing to change for them.
 *
 * Removing a process rewrites set_event_pid whole (the kernel has no
 * "remove one"): a task that a watched task forks in the microseconds
 * between the read and the write is not in the new list.
 */
#include <dirent.h>
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

/* ---- what /proc says about a process ---- */

/* Its threads (at least PID itself), malloc'd. */
static pid_t *threads_of(pid_t pid, size_t *n)
{
	char path[64];
	struct dirent *de;
	size_t cap = 0;
	pid_t *t = NULL;
	DIR *d;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		MM_GROW(t, *n, cap, 8);
		t[(*n)++] = (pid_t)strtol(de->d_name, NULL, 10);
	}
	if (d)
		closedir(d);
	if (!*n) {
		t = mm_malloc(sizeof(*t));
		t[(*n)++] = pid;
	}
	return t;
}

/* /proc/PID/status's TGID and whether it has user memory (VmSize); -1
 * when there is no such process. */
static int status_of(pid_t pid, pid_t *tgid, bool *user, char comm[16])
{
	char path[64], *text, *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = mm_read_file(path, NULL);
	if (!text)
		return -1;
	p = strstr(text, "\nTgid:");
	*tgid = p ? (pid_t)strtol(p + 6, NULL, 10) : pid;
	*user = strstr(text, "\nVmSize:") != NULL;
	comm[0] = '\0';
	if (!strncmp(text, "Name:\t", 6))
		sscanf(text + 6, "%15[^\n]", comm);
	free(text);
	return 0;
}

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

static bool tid_watched(const struct lists *l, pid_t tid)
{
	return has(l->in, l->nin, tid) && !has(l->out, l->nout, tid);
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

struct mm_watch *mm_watch_new(struct tracefs_instance *inst, struct mm_out *o,
			      const pid_t *pids, size_t n, bool attached)
{
	struct mm_watch *w = mm_calloc(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	w->inst = inst;
	w->o = o;
	for (size_t i = 0; i < n; i++) {
		size_t nt;
		pid_t *t = threads_of(pids[i], &nt);
		int ret = 0;
		set_add(w, pids[i]);
		/* record -p: the trace says who was watched from the start */
		if (attached)
			ret = record_change(w, pids[i], MM_WATCH_JOIN, MM_WATCH_BY_START, t, nt, 0, 0);
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
 * in the notrace list: out of it, with tracing off meanwhile. */
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
		      mm_tracing_write_pids(w->inst, false, t, n, true) < 0 ? -1 : 0;
		goto out;
	}
	/* in set_event_pid first: the notrace list keeps it out until the end */
	if (mm_tracing_write_pids(w->inst, false, t, n, true) < 0 ||
	    mm_tracing_now(w->o->clock_fd, &ts) < 0)
		goto out;
	t0 = mm_mono_ns();
	if (mm_tracing_on(w->inst, false) < 0)
		goto out;
	ret = mm_tracing_write_pids(w->inst, true, keep, nk, false);
	if (mm_tracing_on(w->inst, true) < 0)
		ret = -1;
	if (!ret)
		ret = record_change(w, pid, MM_WATCH_JOIN, MM_WATCH_BY_WATCH, t, n, ts,
				    (uint32_t)((mm_mono_ns() - t0 + 999) / 1000));
out:
	free(keep);
	return ret;
}

static int add(struct mm_watch *w, pid_t pid, char *reply, size_t len)
{
	pid_t tgid, *t = NULL;
	struct lists l = { 0 };
	size_t nt = 0;
	char comm[16];
	bool user;
	int ret = 1;

	if (pid == getpid())
		return refuse(reply, len, "%d is this recording (memmon record itself)\n", (int)pid);
	if (status_of(pid, &tgid, &user, comm) < 0)
		return refuse(reply, len, "no process with pid %d\n", (int)pid);
	if (tgid != pid)
		return refuse(reply, len, "%d is a thread of process %d: watch the process\n",
			      (int)pid, (int)tgid);
	if (!user)
		return refuse(reply, len, "%d (%s) is a kernel thread: it has no user memory\n",
			      (int)pid, comm);
	t = threads_of(pid, &nt);
	if (lists_read(w, &l) < 0)
		goto fail;
	if (proc_watched(&l, pid, t, nt)) {
		snprintf(reply, len, "%d (%s) is already watched\n", (int)pid, comm);
		goto out;
	}
	if (join(w, pid, t, nt, &l) < 0)
		goto fail;
	w->emptied = false;
	set_add(w, pid);
	snprintf(reply, len, "watching %d (%s), %zu task%s\n", (int)pid, comm, nt, nt == 1 ? "" : "s");
	ret = 0;
	goto out;
fail:
	snprintf(reply, len, "%s\n", mm_error_msg());
out:
	lists_free(&l);
	free(t);
	return ret;
}

/* Keep the processes LEAVE[NL] out (their tasks into the notrace list),
 * then date their leaves and snapshot them. */
static int leave(struct mm_watch *w, const pid_t *leave, size_t nl, const struct lists *l)
{
	pid_t *out = NULL;
	size_t n = 0, cap = 0;
	bool left_some = false;

	for (size_t i = 0; i < nl; i++) {
		size_t nt;
		pid_t *t = threads_of(leave[i], &nt);
		for (size_t k = 0; k < nt; k++) {
			MM_GROW(out, n, cap, 16);
			out[n++] = t[k];
		}
		free(t);
	}
	if (n && mm_tracing_write_pids(w->inst, true, out, n, true) < 0) {
		free(out);
		return -1;
	}
	free(out);
	for (size_t i = 0; i < nl; i++) {
		size_t nt;
		pid_t *t = threads_of(leave[i], &nt);
		int ret = record_change(w, leave[i], MM_WATCH_LEAVE, MM_WATCH_BY_WATCH, t, nt, 0, 0);
		free(t);
		if (ret < 0 || mm_snapshot_process(w->o, leave[i], MM_PHASE_END) < 0)
			return -1;
		set_del(w, leave[i]);
	}
	/* anyone left in? (the lists as they were, less those who left) */
	for (size_t i = 0; i < l->nin && !left_some; i++) {
		pid_t tgid = l->in[i];
		bool user;
		char comm[16];
		if (!tid_watched(l, l->in[i]) || status_of(l->in[i], &tgid, &user, comm) < 0)
			continue;
		left_some = !has(leave, nl, tgid);
	}
	w->emptied = !left_some;
	return 0;
}

static int remove_one(struct mm_watch *w, pid_t pid, char *reply, size_t len)
{
	pid_t tgid, *t = NULL;
	struct lists l = { 0 };
	size_t nt = 0;
	char comm[16];
	bool user;
	int ret = 1;

	if (status_of(pid, &tgid, &user, comm) < 0)
		return refuse(reply, len, "no process with pid %d\n", (int)pid);
	if (tgid != pid)
		return refuse(reply, len, "%d is a thread of process %d: the list holds processes\n",
			      (int)pid, (int)tgid);
	t = threads_of(pid, &nt);
	if (lists_read(w, &l) < 0)
		goto fail;
	if (!proc_watched(&l, pid, t, nt)) {
		snprintf(reply, len, "%d (%s) is not watched\n", (int)pid, comm);
		goto out;
	}
	if (leave(w, &pid, 1, &l) < 0)
		goto fail;
	snprintf(reply, len, "%d (%s) no longer watched%s\n", (int)pid, comm,
		 w->emptied ? "; the list is empty (the recording goes on)" : "");
	ret = 0;
	goto out;
fail:
	snprintf(reply, len, "%s\n", mm_error_msg());
out:
	lists_free(&l);
	free(t);
	return ret;
}

/* The processes watched now, in pid order (malloc'd, *NP of them). */
static pid_t *processes_of(const struct lists *l, size_t *np)
{
	pid_t *p = mm_malloc((l->nin + 1) * sizeof(*p));

	*np = 0;
	for (size_t i = 0; i < l->nin; i++) {
		pid_t tgid = l->in[i];
		bool user;
		char comm[16];
		if (!tid_watched(l, l->in[i]) || status_of(l->in[i], &tgid, &user, comm) < 0)
			continue;             /* out, or gone meanwhile */
		if (!has(p, *np, tgid))
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
		size_t tasks = 0;
		pid_t tgid;
		bool user;
		char comm[16];
		for (size_t k = 0; k < l.nin; k++)
			if (tid_watched(&l, l.in[k]) && status_of(l.in[k], &tgid, &user, comm) == 0 &&
			    tgid == procs[i])
				tasks++;
		status_of(procs[i], &tgid, &user, comm);
		at += snprintf(reply + at, len - at, "%d %s %zu task%s\n", (int)procs[i], comm,
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
