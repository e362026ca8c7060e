/*
 * report/views/log-json.c - `--log --json`: the event log as one JSON document.
 *
 * A view like the others, except that its events are written as they come
 * (through the shared JSON emitter onto stdout) instead of being kept for
 * finish(): the log of a long trace must not be held in memory.  Each event
 * carries its structured fields and, as "text", the exact line --log
 * prints, so a tool can use either.
 *
 *   { "view": "log", "events": [ EVENT ], "summary": { "events",
 *     "faults", "syscalls", "process", "rss", "filemap", "lost_events",
 *     "faults_by_class": { "anon", "file", "swap", "cow", "other" },
 *     "faults_by_access": { "r", "w", "x" }, "lost_events",
 *     "trace_records", "missing_events", "classifier",
 *     "malformed_records", "left_out" } }
 * The summary is the text summary's (the same counts, of every event the
 * --pid filter lets through, rss and filemap included whether printed or
 * not).
 *   EVENT = { "time" (s since the first event), "pid", "tgid", "kind",
 *             kind "fault":   "class", "access", "addr", "ip", "kernel",
 *                             "syscall" (kernel mode: the call, or null),
 *                             "pages" (what it made resident), "code"
 *                             (the instruction's FRAME, null: unknown)
 *             kind "syscall": "name", "args": [6 numbers], "ret" (null when
 *                             the exit was not seen), "error" ("ENOMEM"...),
 *                             "rss": { "file", "anon", "swap", "shmem" }
 *                             (pages each counter changed by in the call),
 *                             "stack" (its frames, null: none recorded),
 *                             mmap of an fd: "file" (the path the trace
 *                             names, null: unknown)
 *             kind "signal":  ... "handler_code" (the handler's FRAME)
 *             FRAME: report/views/code.h; none (nor "file") with
 *             --symbols=off
 *             kind "resident": "pages", "swap_pages" - the line after a
 *                             syscall that changed the resident set
 *             kind "fork":    "child", "thread"
 *             kind "exec":    "path";  "rename": "old", "new";  "exit"
 *             kind "rss":     "member", "bytes", "delta", "during";
 *             "filemap": "ino", "index"
 *             --frames: a fault served by a frame also "pfn" (null:
 *                             none), "frame_order", "frame_name" ("THP" or
 *                             null), "zone", "node" (null: in no zone),
 *                             "fault_frames" (the allocations its handling
 *                             made, its own included)
 *             kind "frame" (--frames): "op" ("alloc", "free"), "pfn",
 *                             "order", "frame_name", "zone", "node",
 *                             alloc: "use" ("faulted" is on the fault,
 *                             "page table", "user", "kernel"),
 *                             "migratetype", "gfp_flags"; "during"
 *                             ("fault", "syscall", "kernel"), "fault_addr"
 *                             (in a fault), "syscall"
 *             kind "lost":    "cpu", "events" (null: unknown): the kernel
 *                             dropped events here (no pid, tgid)
 *             "text" }
 * As in --log: filemap events appear only with --raw-events, rss events
 * then or when no fault or syscall explains them; each event's "text" is
 * its line of --log.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/heapops.h"
#include "format/reader.h"
#include "plugins/symbolic.h"
#include "report/analyses/frames.h"
#include "report/analyses/summary.h"
#include "report/model/heap.h"
#include "report/model/symbols.h"
#include "report/views/code.h"
#include "report/views/json.h"
#include "report/analyses/window.h"
#include "report/views/log.h"
#include "report/views/view.h"

struct jlog {
	struct mm_json j;
	const struct mm_report_opts *o;
	bool have_t0;
	uint64_t t0;
	size_t next_mark;
	uint64_t page_size;
	struct mm_heap *heap;    /* from the first record --malloc event on */
	struct mm_zones zones;   /* --frames: where frames are */
	unsigned pmd_order;
};

static const char *const kind_name[MM_EV_NR] = {
	"fault", "syscall", "fork", "exec", "exit", "rename", "rss", "filemap", "signal",
	"malloc", "marker", "watch", "frame",
};
static const char *const access_name[MM_ACCESS_NR] = { "R", "W", "X" };

static void *create(struct mm_file *f, const struct mm_report_opts *o)
{
	struct jlog *v = mm_calloc(1, sizeof(*v));
	const char *ps = mm_file_machine(f, MM_KEY_PAGE_SIZE);
	v->page_size = ps && strtoull(ps, NULL, 10) ? strtoull(ps, NULL, 10) : 4096;
	v->o = o;
	if (o->frames) {
		mm_zones_from_file(&v->zones, f);
		v->pmd_order = mm_frame_pmd_order(v->page_size);
	}
	mm_json_init(&v->j, stdout);
	mm_json_object_begin(&v->j, NULL);
	mm_json_str(&v->j, "view", "log");
	mm_json_array_begin(&v->j, "events");
	return v;
}

static void syscall_fields(struct mm_json *j, const struct mm_syscall *s)
{
	char err[32];
	mm_json_str(j, "name", mm_syscall_name(s->nr));
	mm_json_array_begin(j, "args");
	for (int i = 0; i < 6; i++)
		mm_json_u64(j, NULL, s->args[i]);
	mm_json_array_end(j);
	if (s->nr == MM_SYS_EXECVE && s->path[0])
		mm_json_str(j, "path", s->path);
	if (s->nr == MM_SYS_CLONE3 && s->have_clone_flags)
		mm_json_u64(j, "clone_flags", s->clone_flags);
	if (!s->has_ret) {
		mm_json_null(j, "ret");
		return;
	}
	mm_json_i64(j, "ret", s->ret);
	if (s->ret < 0 && s->ret > -4096) {
		*mm_sym_errno(err, s->ret) = '\0';
		mm_json_str(j, "error", err[0] == '-' ? err + 1 : err);
	}
	mm_json_object_begin(j, "rss");
	for (int m = 0; m < MM_RSS_NR; m++)
		mm_json_i64(j, mm_rss_member_name(m), s->rss[m]);
	mm_json_object_end(j);
}

static int64_t fault_pages(const struct mm_fault *f)
{
	int64_t n = 0;
	for (int m = 0; m < MM_RSS_NR; m++)
		if (m != MM_RSS_SWAPENTS)
			n += f->rss_up[m];
	return n;
}

static const char *during_name(uint8_t d)
{
	return d == MM_DURING_FAULT ? "fault" : d == MM_DURING_SYSCALL ? "syscall" : "kernel";
}

/* record --malloc: "call" the function's name, or "hello" / "lost". */
static void heap_fields(struct mm_json *j, const struct mm_heap_call *h)
{
	if (h->op == MM_OP_HELLO) {
		mm_json_str(j, "call", "hello");
		mm_json_bool(j, "fork", h->aux & MM_HELLO_FORK);
		mm_json_bool(j, "not_ours", h->aux & MM_HELLO_NOT_OURS);
		mm_json_bool(j, "uprobes", h->aux & MM_HELLO_UPROBES);
		return;
	}
	if (h->op == MM_OP_LOST) {
		mm_json_str(j, "call", "lost");
		mm_json_u64(j, "records", h->size);
		return;
	}
	mm_json_str(j, "call", mm_heap_op_name(h->op));
	if (!MM_OP_IS_FREE(h->op)) {
		mm_json_u64(j, "size", h->size);
		if (h->aux && h->aux != 255)
			mm_json_u64(j, "align", h->aux < 64 ? 1ull << h->aux : 0);
	}
	if (MM_OP_IS_REALLOC(h->op))
		mm_json_hex(j, "old", h->old);
	mm_json_hex(j, MM_OP_IS_FREE(h->op) ? "ptr" : "result", h->ptr);
	mm_json_hex(j, "site", h->site);
}

/* The symbol fields: the code a fault, a handler or a malloc call site
 * shows, a syscall's stack. */
static void code_fields(struct mm_json *j, const struct mm_report_opts *o,
			const struct mm_event *ev)
{
	struct mm_code c;
	uint64_t addr;
	const char *key;

	if (!o->as)
		return;
	if (ev->kind == MM_EV_SYSCALL) {
		mm_view_json_stack(j, "stack", mm_as_stack(o->as, mm_as_current_stack(o->as)));
		if (ev->sys.nr == MM_SYS_MMAP && (int32_t)ev->sys.args[4] >= 0) {
			const char *file = mm_log_mapped_file(o->as, ev);
			if (file)
				mm_json_str(j, "file", file);
			else
				mm_json_null(j, "file");
		}
		return;
	}
	if (ev->kind != MM_EV_FAULT && ev->kind != MM_EV_HEAP &&
	    !(ev->kind == MM_EV_SIGNAL && ev->signal.deliver))
		return;
	if (ev->kind == MM_EV_HEAP && (ev->heap.op == MM_OP_HELLO || ev->heap.op == MM_OP_LOST))
		return;
	key = ev->kind == MM_EV_SIGNAL ? "handler_code" : "code";
	if (mm_log_code_of(o->as, ev, &c, &addr))
		mm_view_json_code(j, key, &c, addr);
	else
		mm_json_null(j, key);
}

/* --frames: the zone of PFN ("zone", "node"; null: in none). */
static void zone_fields(struct mm_json *j, const struct jlog *v, uint64_t pfn)
{
	const struct mm_ctx_zone *z = mm_zones_find(&v->zones, pfn);
	mm_json_str(j, "zone", z ? z->name : NULL);
	if (z)
		mm_json_i64(j, "node", z->node);
	else
		mm_json_null(j, "node");
}

/* --frames: the frame that served a fault; a frame's own event. */
static void frame_fields(struct mm_json *j, const struct jlog *v, const struct mm_event *ev)
{
	if (ev->kind == MM_EV_FAULT) {
		if (!ev->fault.have_frame) {
			mm_json_null(j, "pfn");
			return;
		}
		mm_json_u64(j, "pfn", ev->fault.pfn);
		mm_json_u64(j, "frame_order", ev->fault.frame_order);
		mm_json_str(j, "frame_name", mm_frame_order_name(ev->fault.frame_order, v->pmd_order));
		zone_fields(j, v, ev->fault.pfn);
		mm_json_u64(j, "fault_frames", ev->fault.nr_frames);
		return;
	}
	const struct mm_frame *f = &ev->frame;
	mm_json_str(j, "op", f->free ? "free" : "alloc");
	mm_json_u64(j, "pfn", f->pfn);
	mm_json_u64(j, "order", f->order);
	mm_json_str(j, "frame_name", mm_frame_order_name(f->order, v->pmd_order));
	zone_fields(j, v, f->pfn);
	if (!f->free) {
		mm_json_str(j, "use", mm_frame_use_name(f->use));
		mm_json_i64(j, "migratetype", f->migratetype);
		mm_json_hex(j, "gfp_flags", f->gfp);
	}
	mm_json_str(j, "during", during_name(f->during));
	if (f->during == MM_DURING_FAULT)
		mm_json_hex(j, "fault_addr", f->fault_addr);
	mm_json_str(j, "syscall", f->during == MM_DURING_SYSCALL ? mm_syscall_raw_name(f->sys) : NULL);
}

static void kind_fields(struct mm_json *j, const struct mm_event *ev)
{
	char buf[64];
	switch (ev->kind) {
	case MM_EV_FAULT:
		mm_json_str(j, "class", mm_fault_class_name(ev->fault.class));
		mm_json_str(j, "access", ev->fault.access < MM_ACCESS_NR ? access_name[ev->fault.access] : "?");
		mm_json_hex(j, "addr", ev->fault.addr);
		mm_json_hex(j, "ip", ev->fault.ip);
		if (ev->fault.signo) {
			*mm_sym_signal(buf, ev->fault.signo) = '\0';
			mm_json_str(j, "signal", buf);
			*mm_sym_si_code(buf, ev->fault.signo, ev->fault.si_code) = '\0';
			mm_json_str(j, "si_code", buf);
		}
		mm_json_bool(j, "kernel", ev->fault.kernel);
		mm_json_str(j, "syscall", ev->fault.kernel ? mm_syscall_raw_name(ev->fault.sys) : NULL);
		mm_json_i64(j, "pages", fault_pages(&ev->fault));
		break;
	case MM_EV_SYSCALL:
		syscall_fields(j, &ev->sys);
		break;
	case MM_EV_FORK:
		mm_json_i64(j, "child", ev->proc.child_pid);
		mm_json_bool(j, "thread", ev->proc.is_thread);
		mm_json_bool(j, "shares_mm", ev->proc.shares_mm);
		mm_json_bool(j, "vfork", ev->proc.vfork);
		break;
	case MM_EV_EXEC:
		mm_json_str(j, "path", ev->proc.path);
		break;
	case MM_EV_RENAME:
		mm_json_str(j, "old", ev->proc.old_comm);
		mm_json_str(j, "new", ev->proc.comm);
		break;
	case MM_EV_RSS:
		mm_json_str(j, "member", mm_rss_member_name(ev->rss.member));
		mm_json_i64(j, "bytes", ev->rss.bytes);
		mm_json_i64(j, "delta", ev->rss.delta);
		mm_json_str(j, "during", during_name(ev->rss.during));
		break;
	case MM_EV_FILEMAP:
		mm_json_u64(j, "ino", ev->filemap.ino);
		mm_json_u64(j, "index", ev->filemap.index);
		break;
	case MM_EV_SIGNAL:
		*mm_sym_signal(buf, ev->signal.sig) = '\0';
		mm_json_str(j, "signal", buf);
		mm_json_bool(j, "deliver", ev->signal.deliver);
		if (ev->signal.deliver) {
			mm_json_hex(j, "handler", ev->signal.handler);
			mm_json_bool(j, "fatal", mm_signal_is_fatal(ev->signal.sig, ev->signal.handler));
		} else {
			mm_json_i64(j, "target", ev->signal.target);
			mm_json_i64(j, "result", ev->signal.result);
		}
		mm_json_i64(j, "code", ev->signal.code);
		break;
	case MM_EV_HEAP:
		heap_fields(j, &ev->heap);
		break;
	case MM_EV_MARKER:
		mm_json_str(j, "marker", ev->marker.text);
		mm_json_bool(j, "cut", ev->marker.truncated);
		break;
	case MM_EV_WATCH:
		mm_json_str(j, "op", ev->watch.op == MM_WATCH_JOIN ? "join" : "leave");
		mm_json_str(j, "reason", ev->watch.reason == MM_WATCH_BY_START ? "start" : "watch");
		mm_json_array_begin(j, "tasks");
		for (uint32_t i = 0; i < ev->watch.nr_tids; i++)
			mm_json_u64(j, NULL, ev->watch.tids[i]);
		mm_json_array_end(j);
		mm_json_u64(j, "pause_us", ev->watch.pause_us);
		break;
	}
}

/* The marks of dropped events up to TS, in the event stream. */
static void lost_marks(struct jlog *v, uint64_t ts)
{
	const struct mm_lost_mark *m;
	char line[MM_LOG_LINE];

	while ((m = mm_trace_mark_before(v->o->trace, &v->next_mark, ts))) {
		if (v->o->window && !mm_window_in(v->o->window))
			continue;        /* outside --between */
		mm_log_lost_line(line, sizeof(line), m);
		mm_json_object_begin(&v->j, NULL);
		mm_json_fixed(&v->j, "time", m->ts > v->t0 ? (double)(m->ts - v->t0) / 1e9 : 0, 9);
		mm_json_str(&v->j, "kind", "lost");
		mm_json_u64(&v->j, "cpu", m->cpu);
		if (m->count > 0)
			mm_json_i64(&v->j, "events", m->count);
		else
			mm_json_null(&v->j, "events");
		mm_json_str(&v->j, "text", line);
		mm_json_object_end(&v->j);
	}
}

static void head(struct jlog *v, const struct mm_event *ev, const char *kind)
{
	mm_json_object_begin(&v->j, NULL);
	mm_json_fixed(&v->j, "time", (double)(ev->ts - v->t0) / 1e9, 9);
	mm_json_i64(&v->j, "pid", ev->pid);
	mm_json_i64(&v->j, "tgid", ev->tgid);
	mm_json_str(&v->j, "kind", kind);
}

/* What ties the event to the other level (report/model/heap.h), as the
 * text log's brackets say it. */
/* SITE of PID (or, with a name given at its first call, stack CODE) as
 * a FRAME under KEY: nothing without a model, null when unnamed. */
static void site_code(struct mm_json *j, const char *key, struct mm_as *as, int32_t pid,
		      uint64_t site, uint32_t code)
{
	const struct mm_stack *st = as ? mm_as_stack(as, code) : NULL;
	struct mm_code c;

	if (!as)
		return;
	if (st && st->nr)
		mm_view_json_code(j, key, &st->code[0], st->pc[0]);
	else if (site && mm_as_code(as, mm_as_memory_of(as, pid), site, &c))
		mm_view_json_code(j, key, &c, site);
	else
		mm_json_null(j, key);
}

static void note_fields(struct mm_json *j, const struct mm_heap_note *n, struct mm_as *as,
			int32_t pid)
{
	if (n->nr_caused) {
		mm_json_array_begin(j, "caused");
		for (unsigned i = 0; i < n->nr_caused; i++) {
			mm_json_object_begin(j, NULL);
			mm_json_str(j, "call", mm_log_heap_sys_name(n->caused[i].nr));
			mm_json_hex(j, "addr", n->caused[i].addr);
			mm_json_u64(j, "len", n->caused[i].len);
			mm_json_object_end(j);
		}
		mm_json_array_end(j);
	}
	if (n->by_free) {
		mm_json_object_begin(j, "by_free");
		mm_json_hex(j, "ptr", n->free_ptr);
		mm_json_hex(j, "site", n->free_site);
		site_code(j, "code", as, pid, n->free_site, 0);
		mm_json_object_end(j);
	}
	if (n->in_block) {
		mm_json_object_begin(j, "block");
		mm_json_hex(j, "ptr", n->block);
		mm_json_u64(j, "size", n->block_size);
		mm_json_str(j, "call", mm_heap_op_name(n->block_op));
		mm_json_hex(j, "site", n->block_site);
		site_code(j, "code", as, pid, n->block_site, n->block_code);
		mm_json_object_end(j);
	}
	if (n->temporary)
		mm_json_bool(j, "temporary", true);
	if (n->not_recorded)
		mm_json_bool(j, "malloc_not_recorded", true);
}

static void event(void *state, const struct mm_event *ev)
{
	struct jlog *v = state;
	char line[MM_LOG_LINE];
	struct mm_heap_note note;
	if (!v->have_t0) {
		v->have_t0 = true;
		v->t0 = ev->ts;
	}
	lost_marks(v, ev->ts);
	if (ev->kind == MM_EV_HEAP && !v->heap) {
		v->heap = mm_heap_new();
		if (v->o->as)
			mm_heap_name_sites(v->heap, v->o->as);
	}
	if (v->heap)
		mm_heap_event(v->heap, ev, &note);
	if (ev->kind >= MM_EV_NR || !mm_event_wanted(v->o->pids, v->o->nr_pids, ev) ||
	    (v->o->window && !mm_window_in(v->o->window)))
		return;
	bool raw = v->o->raw_events;
	if (ev->kind == MM_EV_HEAP && v->o->no_heap)
		return;
	/* as in --log: a fault's own frame is on the fault */
	if (ev->kind == MM_EV_FRAME && (!v->o->frames || ev->frame.use == MM_FRAME_FAULTED))
		return;
	if (!raw && (ev->kind == MM_EV_FILEMAP ||
		     (ev->kind == MM_EV_RSS && !mm_log_rss_alone(&ev->rss))))
		return;
	if (!raw && ev->kind == MM_EV_RSS)
		*mm_log_rss_alone_line(line, ev, v->page_size) = '\0';
	else {
		char *p = v->o->frames ? mm_log_format_frames(v->o->as, line, ev, &v->zones,
							      v->pmd_order) :
			  mm_log_format_named(v->o->as, line, ev);
		*(v->heap ? mm_log_heap_note(p, &note, v->o->as, ev->tgid ? ev->tgid : ev->pid) :
		  p) = '\0';
	}
	head(v, ev, kind_name[ev->kind]);
	kind_fields(&v->j, ev);
	if (v->o->frames && (ev->kind == MM_EV_FAULT || ev->kind == MM_EV_FRAME))
		frame_fields(&v->j, v, ev);
	code_fields(&v->j, v->o, ev);
	if (v->heap)
		note_fields(&v->j, &note, v->o->as, ev->tgid ? ev->tgid : ev->pid);
	mm_json_str(&v->j, "text", line);
	mm_json_object_end(&v->j);
	char *end = mm_log_resident_line(line, ev);
	if (end) {                      /* --log's next line, an event of its own */
		*end = '\0';
		int64_t net = 0;
		for (int m = 0; m < MM_RSS_NR; m++)
			if (m != MM_RSS_SWAPENTS)
				net += ev->sys.rss[m];
		head(v, ev, "resident");
		mm_json_i64(&v->j, "pages", net);
		mm_json_i64(&v->j, "swap_pages", ev->sys.rss[MM_RSS_SWAPENTS]);
		mm_json_str(&v->j, "text", line);
		mm_json_object_end(&v->j);
	}
}

/* The text summary's facts (log-summary.c), under the same names. */
static void summary_json(struct mm_json *j, const struct mm_report_opts *o)
{
	const struct mm_summary *s = o->summary;
	const struct mm_summary_info *info = o->summary_info;
	const uint64_t *k = s->by_kind;
	struct mm_summary_totals t;

	mm_summary_totals(s, &t);
	mm_json_object_begin(j, "summary");
	mm_json_u64(j, "events", t.events);
	mm_json_u64(j, "faults", k[MM_EV_FAULT]);
	mm_json_u64(j, "syscalls", k[MM_EV_SYSCALL]);
	mm_json_u64(j, "process", t.process);
	mm_json_u64(j, "rss", k[MM_EV_RSS]);
	mm_json_u64(j, "filemap", k[MM_EV_FILEMAP]);
	mm_json_u64(j, "markers", k[MM_EV_MARKER]);
	mm_json_u64(j, "watch", k[MM_EV_WATCH]);
	mm_json_u64(j, "frames", k[MM_EV_FRAME]);
	if (info->heap) {
		mm_json_u64(j, "malloc", k[MM_EV_HEAP]);
		mm_json_u64(j, "lost_malloc_records", s->heap_lost);
	}
	mm_view_json_lost(j, o);
	mm_json_object_begin(j, "faults_by_class");
	for (int c = 0; c < MM_FAULT_NR; c++)
		mm_json_u64(j, mm_fault_class_name(c), t.by_class[c]);
	mm_json_object_end(j);
	mm_json_object_begin(j, "faults_by_access");
	for (int a = 0; a < MM_ACCESS_NR; a++)
		mm_json_u64(j, mm_access_key(a), t.by_access[a]);
	mm_json_object_end(j);
	mm_json_u64(j, "trace_records", info->records);
	mm_json_str(j, "missing_events", info->missing ? info->missing : "");
	mm_json_str(j, "classifier", info->classifier ? info->classifier : "");
	if (info->lacks)
		mm_json_str(j, "recorded_by", info->lacks);
	mm_json_u64(j, "malformed_records", info->malformed);
	mm_json_u64(j, "foreign_markers", info->foreign_markers);
	struct mm_summary_totals ht = { 0 };
	if (info->held)
		mm_summary_totals(info->held, &ht);
	mm_json_u64(j, "left_out", ht.events);
	mm_json_object_begin(j, "stacks");
	mm_json_u64(j, "with_stack", s->stacks.with_stack);
	mm_json_u64(j, "shallow", s->stacks.shallow);
	mm_view_json_no_fp(j, "without_frame_pointers", &s->stacks);
	if (info->stacks_off)
		mm_json_str(j, "off", info->stacks_off);
	mm_json_object_end(j);
	mm_json_object_end(j);
}

static int finish(void *state, FILE *out)
{
	struct jlog *v = state;
	lost_marks(v, UINT64_MAX);
	mm_json_array_end(&v->j);
	summary_json(&v->j, v->o);
	mm_json_object_end(&v->j);
	mm_json_finish(&v->j);
	return mm_view_out_status(out, "event log");
}

static void destroy(void *state)
{
	struct jlog *v = state;

	mm_heap_free(v->heap);
	free(v);
}

/* The model names the code (off with --symbols=off). */
static bool uses_model(const struct mm_report_opts *o)
{
	return !o->no_symbols;
}

const struct mm_view mm_view_log_json = {
	.name = "log", .uses_model = uses_model, .create = create, .event = event,
	.finish = finish, .destroy = destroy,
};
