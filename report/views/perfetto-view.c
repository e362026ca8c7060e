/*
 * report/views/perfetto-view.c - `--perfetto FILE`: the trace as the
 * Chrome/Perfetto JSON trace format ("Trace Event Format"), for
 * ui.perfetto.dev, chrome://tracing and anything else that reads it.
 *
 *   { "traceEvents": [ EVENT, ... ], "displayTimeUnit": "ms",
 *     "otherData": { "producer": "memmon", "trace": FILE, "lost_events" } }
 * with, per watched process (pid = tgid) and task (tid = the task's id):
 *   ph "M"  process_name (the last comm), thread_name (a thread's at its clone)
 *   ph "X"  one slice per memory syscall (cat "syscall", dur to its exit;
 *           args: the log line, ret, error)
 *   ph "i"  faults (cat "fault", name "<class> fault"; args: addr, access,
 *           class, kernel, syscall, pages, the log line), forks, execs,
 *           exits, signals (cat "process"), lost events (cat "lost",
 *           global) and the malloc findings (cat "finding", at the first
 *           event of their evidence)
 *   ph "C"  the kernel's resident counters (rss_stat: anon, file, shmem,
 *           swap, bytes) and VSZ (the model's map, bytes), per process
 * Times are microseconds since the trace's first event (3 decimals, i.e.
 * nanoseconds), addresses hex strings as in every memmon JSON view.
 *
 * Like the JSON log it streams: each event is written when it comes, so
 * memory does not grow with the trace; only a small per-process table
 * (last counters, VSZ) is kept.  It writes its own file (the
 * caller opened it: opts->perfetto), never stdout, so it combines with any
 * other view.  --pid filters it as it filters the log.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "plugins/symbolic.h"
#include "report/analyses/findings.h"
#include "report/model/addrspace.h"
#include "report/views/json.h"
#include "report/views/log.h"
#include "report/views/view.h"

/* What was last said about one process: counters only when they change. */
struct pproc {
	int32_t tgid;               /* 0: free slot */
	int64_t rss[MM_RSS_NR];
	uint64_t vsz;
};

struct pview {
	const struct mm_report_opts *o;
	FILE *out;
	bool have_t0;
	uint64_t t0;
	uint64_t written;            /* trace events written */
	size_t next_mark;
	struct mm_findings *fs;      /* watching the shared model */
	struct pproc *procs;         /* open addressing by tgid */
	size_t cap, nr;
};

static struct pproc *proc_of(struct pview *v, int32_t tgid)
{
	if (v->nr * 2 >= v->cap) {   /* grow: at most half full */
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct pproc *n = mm_calloc(cap, sizeof(*n));
		for (size_t i = 0; i < v->cap; i++) {
			if (!v->procs[i].tgid)
				continue;
			size_t h = (uint32_t)v->procs[i].tgid * 2654435761u % cap;
			while (n[h].tgid)
				h = (h + 1) % cap;
			n[h] = v->procs[i];
		}
		free(v->procs);
		v->procs = n;
		v->cap = cap;
	}
	size_t h = (uint32_t)tgid * 2654435761u % v->cap;
	while (v->procs[h].tgid && v->procs[h].tgid != tgid)
		h = (h + 1) % v->cap;
	if (!v->procs[h].tgid) {
		v->procs[h].tgid = tgid;
		v->nr++;
	}
	return &v->procs[h];
}

/* "ts" in µs since the first event, exact to the nanosecond */
static void put_ts(struct pview *v, const char *key, uint64_t ts)
{
	uint64_t d = ts > v->t0 ? ts - v->t0 : 0;
	fprintf(v->out, ",\"%s\":%" PRIu64 ".%03u", key, d / 1000, (unsigned)(d % 1000));
}

/* The start of an event object: {"ph":PH,"name":NAME,"cat":CAT,"pid","tid","ts" */
static void begin(struct pview *v, const char *ph, const char *name, const char *cat,
		  int32_t pid, int32_t tid, uint64_t ts)
{
	fputs(v->written++ ? ",\n{" : "\n{", v->out);
	fprintf(v->out, "\"ph\":\"%s\",\"name\":", ph);
	mm_json_write_string(v->out, name);
	if (cat)
		fprintf(v->out, ",\"cat\":\"%s\"", cat);
	fprintf(v->out, ",\"pid\":%d,\"tid\":%d", (int)pid, (int)tid);
	put_ts(v, "ts", ts);
}

static void key_str(FILE *out, const char *key, const char *val)
{
	fprintf(out, ",\"%s\":", key);
	mm_json_write_string(out, val);
}

static void name_meta(struct pview *v, const char *what, int32_t pid, int32_t tid,
		      uint64_t ts, const char *name)
{
	begin(v, "M", what, NULL, pid, tid, ts);
	fputs(",\"args\":{\"name\":", v->out);
	mm_json_write_string(v->out, name);
	fputs("}}", v->out);
}

static int32_t tgid_of(const struct pview *v, const struct mm_event *ev)
{
	if (ev->tgid)
		return ev->tgid;
	int32_t t = v->o->as ? mm_as_tgid_of(v->o->as, ev->pid) : 0;
	return t ? t : ev->pid;
}

/* Every process's name, from the model at the end (its last comm: a held
 * child's is the program's, not memmon's); metadata may stand anywhere in
 * the file. */
static void name_processes(struct pview *v)
{
	for (size_t i = 0; i < mm_as_nr_procs(v->o->as); i++) {
		const struct mm_as_proc *p = mm_as_proc_at(v->o->as, i);
		if (!mm_proc_wanted(v->o->pids, v->o->nr_pids, v->o->as, p->tgid))
			continue;
		name_meta(v, "process_name", p->tgid, p->tgid, v->t0, p->comm[0] ? p->comm : "?");
	}
}

static void counters(struct pview *v, const struct mm_event *ev, int32_t tgid)
{
	struct pproc *p = proc_of(v, tgid);
	if (ev->kind == MM_EV_RSS && ev->rss.curr && ev->rss.member < MM_RSS_NR &&
	    p->rss[ev->rss.member] != ev->rss.bytes) {
		p->rss[ev->rss.member] = ev->rss.bytes;
		begin(v, "C", "rss", NULL, tgid, tgid, ev->ts);
		fprintf(v->out, ",\"args\":{\"anon\":%" PRId64 ",\"file\":%" PRId64
			",\"shmem\":%" PRId64 ",\"swap\":%" PRId64 "}}",
			p->rss[MM_RSS_ANON], p->rss[MM_RSS_FILE], p->rss[MM_RSS_SHMEM],
			p->rss[MM_RSS_SWAPENTS]);
	}
	const struct mm_as_proc *ap = v->o->as ? mm_as_proc_find(v->o->as, tgid) : NULL;
	if (ap && ap->map_bytes != p->vsz) {
		p->vsz = ap->map_bytes;
		begin(v, "C", "vsz", NULL, tgid, tgid, ev->ts);
		fprintf(v->out, ",\"args\":{\"bytes\":%" PRIu64 "}}", p->vsz);
	}
}

static void text_arg(struct pview *v, const struct mm_event *ev)
{
	char line[MM_LOG_LINE];
	*mm_log_format_named(v->o->as, line, ev) = '\0';
	key_str(v->out, "text", line);
}

static void fault(struct pview *v, const struct mm_event *ev, int32_t tgid)
{
	static const char *const access[MM_ACCESS_NR] = { "R", "W", "X" };
	const struct mm_fault *f = &ev->fault;
	char name[48];
	snprintf(name, sizeof(name), "%s fault", mm_fault_class_name(f->class));
	begin(v, "i", name, "fault", tgid, ev->pid, ev->ts);
	fputs(",\"s\":\"t\",\"args\":{", v->out);
	fprintf(v->out, "\"addr\":\"%" PRIx64 "\"", f->addr);
	key_str(v->out, "access", f->access < MM_ACCESS_NR ? access[f->access] : "?");
	key_str(v->out, "class", mm_fault_class_name(f->class));
	fprintf(v->out, ",\"kernel\":%s", f->kernel ? "true" : "false");
	const char *sys = f->kernel ? mm_syscall_raw_name(f->sys) : NULL;
	if (sys)
		key_str(v->out, "syscall", sys);
	int64_t pages = 0;
	for (int m = 0; m < MM_RSS_NR; m++)
		if (m != MM_RSS_SWAPENTS)
			pages += f->rss_up[m];
	fprintf(v->out, ",\"pages\":%" PRId64, pages);
	text_arg(v, ev);
	fputs("}}", v->out);
}

static void syscall(struct pview *v, const struct mm_event *ev, int32_t tgid)
{
	const struct mm_syscall *s = &ev->sys;
	begin(v, "X", mm_syscall_name(s->nr), "syscall", tgid, ev->pid, ev->ts);
	uint64_t end = s->has_ret && s->exit_ts > ev->ts ? s->exit_ts : ev->ts;
	fprintf(v->out, ",\"dur\":%" PRIu64 ".%03u", (end - ev->ts) / 1000,
		(unsigned)((end - ev->ts) % 1000));
	fputs(",\"args\":{", v->out);
	if (s->has_ret) {
		fprintf(v->out, "\"ret\":%" PRId64, s->ret);
		if (mm_sym_is_err(s->ret)) {
			char err[32];
			*mm_sym_errno(err, s->ret) = '\0';
			key_str(v->out, "error", err[0] == '-' ? err + 1 : err);
		}
	} else {
		fputs("\"ret\":null", v->out);
	}
	text_arg(v, ev);
	fputs("}}", v->out);
}

static void process(struct pview *v, const struct mm_event *ev, int32_t tgid)
{
	static const char *const names[MM_EV_NR] = {
		[MM_EV_FORK] = "fork", [MM_EV_EXEC] = "exec", [MM_EV_EXIT] = "exit",
		[MM_EV_SIGNAL] = "signal", [MM_EV_RENAME] = "rename", [MM_EV_MARKER] = "marker",
		[MM_EV_WATCH] = "watch",
	};
	begin(v, "i", names[ev->kind], "process", tgid, ev->pid, ev->ts);
	fputs(",\"s\":\"t\",\"args\":{\"pid\":", v->out);
	fprintf(v->out, "%d", (int)ev->pid);
	text_arg(v, ev);
	fputs("}}", v->out);
	if (ev->kind == MM_EV_FORK && ev->proc.is_thread)
		name_meta(v, "thread_name", tgid, ev->proc.child_pid, ev->ts,
			  ev->proc.comm[0] ? ev->proc.comm : "?");
}

static void lost_marks(struct pview *v, uint64_t ts)
{
	const struct mm_lost_mark *m;
	while (v->o->trace && (m = mm_trace_mark_before(v->o->trace, &v->next_mark, ts))) {
		begin(v, "i", "lost events", "lost", 0, 0, m->ts);
		fprintf(v->out, ",\"s\":\"g\",\"args\":{\"cpu\":%u,\"events\":", m->cpu);
		if (m->count >= 0)
			fprintf(v->out, "%lld}}", m->count);
		else
			fputs("null}}", v->out);
	}
}

static void *create(struct mm_file *file, const struct mm_report_opts *o)
{
	(void)file;
	struct pview *v = mm_calloc(1, sizeof(*v));
	v->o = o;
	v->out = o->perfetto;
	if (o->as) {
		v->fs = mm_findings_new(o->as);
		mm_findings_name_sites(v->fs, !o->no_symbols);
	}
	fputs("{\"traceEvents\":[", v->out);
	return v;
}

static void event(void *state, const struct mm_event *ev)
{
	struct pview *v = state;
	if (!v->have_t0) {
		v->t0 = ev->ts;
		v->have_t0 = true;
	}
	if (v->fs)
		mm_findings_event(v->fs, ev);
	lost_marks(v, ev->ts);
	if (!mm_event_wanted(v->o->pids, v->o->nr_pids, ev))
		return;
	int32_t tgid = tgid_of(v, ev);
	switch (ev->kind) {
	case MM_EV_FAULT: fault(v, ev, tgid); break;
	case MM_EV_SYSCALL: syscall(v, ev, tgid); break;
	case MM_EV_FORK: case MM_EV_EXEC: case MM_EV_EXIT: case MM_EV_RENAME: case MM_EV_SIGNAL:
	case MM_EV_MARKER: case MM_EV_WATCH:
		process(v, ev, tgid);
		break;
	default: break;
	}
	counters(v, ev, tgid);
}

static void findings(struct pview *v)
{
	mm_findings_finish(v->fs);
	for (size_t i = 0; i < mm_findings_count(v->fs); i++) {
		const struct mm_finding *f = mm_findings_at(v->fs, i);
		if (!mm_proc_wanted(v->o->pids, v->o->nr_pids, v->o->as, f->pid))
			continue;
		begin(v, "i", f->id, "finding", f->pid, f->pid, f->nr_ev ? f->ev[0].ts : v->t0);
		fputs(",\"s\":\"p\",\"args\":{", v->out);
		fprintf(v->out, "\"severity\":\"%s\"", f->sev == MM_FIND_WARN ? "warn" : "info");
		key_str(v->out, "summary", f->summary);
		fputs("}}", v->out);
	}
}

static int finish(void *state, FILE *stdout_unused)
{
	struct pview *v = state;
	(void)stdout_unused;
	lost_marks(v, UINT64_MAX);
	if (v->fs)
		findings(v);
	if (v->o->as)
		name_processes(v);
	fprintf(v->out, "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"memmon\""
		",\"version\":\"%s\",\"lost_events\":%" PRIu64 "}}\n", MEMMON_VERSION,
		v->o->trace ? v->o->trace->lost_events : 0);
	return mm_view_out_status(v->out, "Perfetto trace");
}

static void destroy(void *state)
{
	struct pview *v = state;
	mm_findings_free(v->fs);
	free(v->procs);
	free(v);
}

const struct mm_view mm_view_perfetto = {
	.name = "perfetto", .uses_model = mm_view_uses_model, .create = create,
	.event = event, .finish = finish, .destroy = destroy, .own_file = true,
};
