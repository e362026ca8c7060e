/*
 * report/views/log.c - the event-log formatter (design.md's line formats).
 *
 * This is report's fast path: every event of a trace passes here, and the
 * target is several million lines a second on one core (trace-cmd report
 * manages 0.66M).  So there is no printf per event: numbers are converted
 * by hand (plugins/symbolic.h), each line is built in place in a 64 KiB buffer
 * whose room is checked once per line, and the buffer goes out with one
 * write(2) when full.  A failed write is remembered and reported once, at
 * flush, by the command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "format/heapops.h"
#include "format/layout.h"
#include "report/model/addrspace.h"
#include "report/model/heap.h"
#include "report/model/symbols.h"
#include "report/views/log.h"
#include "report/views/view.h"
#include "plugins/symbolic.h"

struct mm_log *mm_log_new(int fd, unsigned flags)
{
	struct mm_log *l = mm_malloc(sizeof(*l));
	l->fd = fd;
	l->flags = flags;
	l->have_t0 = false;
	l->t0 = 0;
	l->write_errno = 0;
	l->len = 0;
	l->page_size = 4096;
	l->heap = NULL;
	l->as = NULL;
	return l;
}

int mm_log_flush(struct mm_log *l)
{
	size_t off = 0;
	while (off < l->len && !l->write_errno) {
		ssize_t n = write(l->fd, l->buf + off, l->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			l->write_errno = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	l->len = 0;
	if (!l->write_errno)
		return 0;
	errno = l->write_errno;
	return mm_error_errno("cannot write the report");
}

void mm_log_discard(struct mm_log *l)
{
	l->len = 0;
}

int mm_log_close(struct mm_log *l)
{
	int ret = mm_log_flush(l);
	mm_heap_free(l->heap);
	free(l);
	return ret;
}

static inline void room(struct mm_log *l, size_t n)
{
	if (l->len + n > sizeof(l->buf))
		mm_log_flush(l);
}

void mm_log_puts(struct mm_log *l, const char *s)
{
	while (*s) {
		room(l, MM_LOG_LINE);
		size_t n = strnlen(s, MM_LOG_LINE);
		memcpy(l->buf + l->len, s, n);
		l->len += n;
		s += n;
	}
}

/* " in read", " in syscall 999"; nothing when not known. */
static char *in_syscall(char *p, int16_t sys)
{
	const char *name = mm_syscall_raw_name(sys);
	if (sys == MM_SYSCALL_NONE)
		return p;
	if (name)
		return mm_sym_str(mm_sym_str(p, " in "), name);
	return mm_sym_dec(mm_sym_str(p, " in syscall "), sys);
}

/* Pages of RSS[] but swap entries (which are not in memory). */
static int64_t gained(const int32_t rss[MM_RSS_NR])
{
	int64_t n = 0;
	for (int m = 0; m < MM_RSS_NR; m++)
		if (m != MM_RSS_SWAPENTS && rss[m] > 0)
			n += rss[m];
	return n;
}

/* "anon page @ADDR (W)", "(W, kernel in read)", "(W, 512 pages)",
 * "(R, 3 reclaimed)": pages the kernel took back while handling it; an
 * access the kernel answered with a signal: "SIGSEGV @ADDR (W) at IP
 * (SEGV_MAPERR)". */
static char *fmt_fault(char *p, const struct mm_fault *f)
{
	static const char access[] = "RWX";
	int64_t pages = gained(f->rss_up), lost = gained(f->rss_down);
	if (f->class == MM_FAULT_COW && lost > 0)
		lost--;                  /* the file page the copy replaced */
	if (f->signo) {
		p = mm_sym_str(mm_sym_signal(p, f->signo), " @");
	} else {
		p = mm_sym_str(p, mm_fault_class_name(f->class));
		p = mm_sym_str(p, " page @");
	}
	p = mm_sym_hex(p, f->addr);
	p = mm_sym_str(p, " (");
	*p++ = f->access < MM_ACCESS_NR ? access[f->access] : '?';
	if (f->kernel)
		p = in_syscall(mm_sym_str(p, ", kernel"), f->sys);
	if (pages > 1)
		p = mm_sym_str(mm_sym_dec(mm_sym_str(p, ", "), pages), " pages");
	if (lost > 0)
		p = mm_sym_str(mm_sym_dec(mm_sym_str(p, ", "), lost), " reclaimed");
	*p++ = ')';
	if (f->signo) {
		p = mm_sym_hex(mm_sym_str(p, " at "), f->ip);
		p = mm_sym_str(p, " (");
		p = mm_sym_si_code(p, f->signo, f->si_code);
		*p++ = ')';
	}
	return p;
}

/* "send SIGUSR1 to 1234" (a watched task sent it; "kernel sends" when the
 * kernel raised it, si_code SI_KERNEL) or "signal SIGTERM ->
 * handler 55d0c0a2a120 | killed | killed (core) | default (stop|continue)"
 * (the task takes it; ignored ones are not in the stream). */
static char *fmt_signal(char *p, const struct mm_signal *s)
{
	static const char *const results[] = {
		"", " (ignored)", " (already pending)", " (queue full)", " (info lost)",
	};
	if (!s->deliver) {
		/* SI_KERNEL: a timer, a pipe, the kernel's own: the event's task
		 * is only whoever ran when it was raised */
		p = mm_sym_str(p, s->code == 0x80 ? "kernel sends " : "send ");
		p = mm_sym_signal(p, s->sig);
		p = mm_sym_dec(mm_sym_str(p, " to "), s->target);
		if (s->result > 0 && s->result < (int32_t)(sizeof(results) / sizeof(results[0])))
			p = mm_sym_str(p, results[s->result]);
		return p;
	}
	p = mm_sym_signal(mm_sym_str(p, "signal "), s->sig);
	p = mm_sym_str(p, " -> ");
	if (s->handler > 1 && s->sig != 9)
		return mm_sym_hex(mm_sym_str(p, "handler "), s->handler);
	const char *what = mm_signal_default(s->sig);
	if (mm_signal_is_fatal(s->sig, s->handler))
		return mm_sym_str(p, strcmp(what, "core") ? "killed" : "killed (core)");
	p = mm_sym_str(p, "default (");
	p = mm_sym_str(p, what);
	*p++ = ')';
	return p;
}

/* "+32 pages" / "-1 page" */
static char *pages_text(char *p, int64_t n)
{
	if (n >= 0)
		*p++ = '+';
	p = mm_sym_dec(p, n);
	return mm_sym_str(p, n == 1 || n == -1 ? " page" : " pages");
}

/* The line after a memory syscall that mapped or dropped pages
 * ("  resident +32 pages[, swap +4 pages]"), or NULL. */
static char *fmt_syscall_rss(char *p, const struct mm_syscall *s)
{
	int64_t net = 0;
	for (int m = 0; m < MM_RSS_NR; m++)
		if (m != MM_RSS_SWAPENTS)
			net += s->rss[m];
	if (!net && !s->rss[MM_RSS_SWAPENTS])
		return NULL;
	p = pages_text(mm_sym_str(p, "  resident "), net);
	if (s->rss[MM_RSS_SWAPENTS])
		p = pages_text(mm_sym_str(p, ", swap "), s->rss[MM_RSS_SWAPENTS]);
	return p;
}

/* An rss change no fault or memory syscall carries: "resident -3 pages
 * (anon, kernel)" - the kernel's own - or "(anon, kernel in futex)". */
static char *fmt_rss_alone(char *p, const struct mm_rss *r, uint64_t page_size)
{
	p = pages_text(mm_sym_str(p, "resident "), r->delta / (int64_t)page_size);
	p = mm_sym_str(mm_sym_str(p, " ("), mm_rss_member_name(r->member));
	p = mm_sym_str(p, ", kernel");
	if (r->during == MM_DURING_SYSCALL)
		p = in_syscall(p, r->sys);
	*p++ = ')';
	return p;
}

bool mm_log_rss_alone(const struct mm_rss *r)
{
	return r->curr && !r->carried && !r->batched && r->delta && r->member != MM_RSS_SWAPENTS;
}

static char *pid_head(char *p, const struct mm_event *ev)
{
	p = mm_sym_dec(p, ev->pid);
	*p++ = ':';
	*p++ = ' ';
	return p;
}

char *mm_log_resident_line(char *p, const struct mm_event *ev)
{
	return ev->kind == MM_EV_SYSCALL ? fmt_syscall_rss(pid_head(p, ev), &ev->sys) : NULL;
}

char *mm_log_rss_alone_line(char *p, const struct mm_event *ev, uint64_t page_size)
{
	return fmt_rss_alone(pid_head(p, ev), &ev->rss, page_size);
}

static char *fmt_proc(char *p, const struct mm_event *ev)
{
	switch (ev->kind) {
	case MM_EV_FORK:
		p = mm_sym_str(p, ev->proc.is_thread ? "thread " : ev->proc.vfork ? "vfork child " :
			       "fork child ");
		p = mm_sym_dec(p, ev->proc.child_pid);
		if (ev->proc.shares_mm && !ev->proc.vfork)
			p = mm_sym_str(p, " (shares memory)");
		return p;
	case MM_EV_EXEC:
		return mm_sym_str(mm_sym_str(p, "exec "), ev->proc.path);
	case MM_EV_EXIT:
		return mm_sym_str(p, "exit");
	default:
		p = mm_sym_str(mm_sym_str(p, "comm "), ev->proc.old_comm);
		return mm_sym_str(mm_sym_str(p, " -> "), ev->proc.comm);
	}
}

static char *fmt_rss(char *p, const struct mm_rss *r)
{
	p = mm_sym_str(p, "rss ");
	p = mm_sym_str(p, mm_rss_member_name(r->member));
	*p++ = ' ';
	return mm_sym_dec(p, r->bytes);
}

/* dev_t in the kernel's encoding: major in the top 12 bits, minor 20. */
static char *fmt_filemap(char *p, const struct mm_filemap *f)
{
	p = mm_sym_str(p, f->map_pages ? "filemap map_pages dev " : "filemap fault dev ");
	p = mm_sym_udec(p, f->dev >> 20);
	*p++ = ':';
	p = mm_sym_udec(p, f->dev & ((1u << 20) - 1));
	p = mm_sym_udec(mm_sym_str(p, " ino "), f->ino);
	p = mm_sym_udec(mm_sym_str(p, " index "), f->index);
	if (f->map_pages) {
		*p++ = '-';
		p = mm_sym_udec(p, f->last_index);
	}
	return p;
}

/* 'marker "phase three"': what the program wrote to trace_marker, quoted
 * as execve's path is (at most 4 bytes a character: the line's room). */
static char *fmt_marker(char *p, const struct mm_marker *m)
{
	p = mm_sym_quoted(mm_sym_str(p, "marker "), m->text, sizeof(m->text));
	return m->truncated ? mm_sym_str(p, " (cut)") : p;
}

/* "joins the watch list (watch)", "leaves the watch list (watch)", a
 * second join "(watch; tracing was off 38 ms for it: ...)". */
static char *fmt_watch(char *p, const struct mm_watch_ev *w)
{
	p = mm_sym_str(p, w->op == MM_WATCH_JOIN ? "joins the watch list (" : "leaves the watch list (");
	p = mm_sym_str(p, w->reason == MM_WATCH_BY_START ? "start" : "watch");
	if (w->pause_us) {
		/* a process that had left: out of the kernel's notrace list */
		p = mm_sym_str(p, "; tracing was off ");
		p = mm_sym_udec(p, (w->pause_us + 999) / 1000);
		p = mm_sym_str(p, " ms for it: every event then is missing");
	}
	*p++ = ')';
	return p;
}

const char *mm_log_mapped_file(struct mm_as *as, const struct mm_event *ev)
{
	const struct mm_syscall *s = &ev->sys;
	const struct mm_as_proc *p;
	const struct mm_region *r;

	if (!as || ev->kind != MM_EV_SYSCALL || s->nr != MM_SYS_MMAP || (int32_t)s->args[4] < 0 ||
	    !s->has_ret || mm_sym_is_err(s->ret))
		return NULL;
	p = mm_as_memory_of(as, ev->tgid ? ev->tgid : ev->pid);
	r = p ? mm_as_lookup(p, (uint64_t)s->ret) : NULL;
	return r && r->fd == (int32_t)s->args[4] ? mm_region_path(r) : NULL;
}

/* EV's line, the file an mmap maps named from AS (NULL: fds alone). */
static char *format_in(struct mm_as *as, char *p, const struct mm_event *ev)
{
	p = pid_head(p, ev);
	switch (ev->kind) {
	case MM_EV_FAULT:   return fmt_fault(p, &ev->fault);
	case MM_EV_SYSCALL: return mm_log_syscall(p, &ev->sys, mm_log_mapped_file(as, ev));
	case MM_EV_RSS:     return fmt_rss(p, &ev->rss);
	case MM_EV_FILEMAP: return fmt_filemap(p, &ev->filemap);
	case MM_EV_SIGNAL:  return fmt_signal(p, &ev->signal);
	case MM_EV_HEAP:    return mm_log_heap(p, &ev->heap, NULL);
	case MM_EV_MARKER:  return fmt_marker(p, &ev->marker);
	case MM_EV_WATCH:   return fmt_watch(p, &ev->watch);
	case MM_EV_FRAME:   return mm_log_frame(p, &ev->frame, NULL, 0);
	default:            return fmt_proc(p, ev);
	}
}

char *mm_log_format(char *p, const struct mm_event *ev)
{
	return format_in(NULL, p, ev);
}

/* "%.6f " of the seconds since the first event, rounded like printf. */
static char *fmt_time(char *p, uint64_t ns)
{
	uint64_t us = (ns + 500) / 1000;
	p = mm_sym_udec(p, us / 1000000);
	*p++ = '.';
	uint32_t frac = (uint32_t)(us % 1000000);
	for (int i = 5; i >= 0; i--, frac /= 10)
		p[i] = (char)('0' + frac % 10);
	p[6] = ' ';
	return p + 7;
}

/* "TIME " with -t */
static char *time_head(const struct mm_log *l, char *p, const struct mm_event *ev)
{
	if (l->flags & MM_LOG_TIMESTAMPS)
		p = fmt_time(p, ev->ts >= l->t0 ? ev->ts - l->t0 : 0);
	return p;
}

/* The code address of EV a reader wants named: a user-mode fault's
 * instruction, a signal handler; 0 for none. */
static uint64_t code_of(const struct mm_event *ev)
{
	if (ev->kind == MM_EV_FAULT && !ev->fault.kernel)
		return ev->fault.ip;
	if (ev->kind == MM_EV_HEAP && ev->heap.op != MM_OP_HELLO && ev->heap.op != MM_OP_LOST)
		return ev->heap.site;
	if (ev->kind == MM_EV_SIGNAL && ev->signal.deliver && ev->signal.handler > 1 &&
	    ev->signal.sig != 9)
		return ev->signal.handler;
	return 0;
}

bool mm_log_code_of(struct mm_as *as, const struct mm_event *ev, struct mm_code *c,
		    uint64_t *addr)
{
	*addr = as ? code_of(ev) : 0;
	return *addr && mm_as_code(as, mm_as_memory_of(as, ev->tgid ? ev->tgid : ev->pid), *addr, c);
}

char *mm_log_code(struct mm_as *as, char *p, const struct mm_event *ev)
{
	struct mm_code c;
	uint64_t addr;
	char buf[512];

	if (!mm_log_code_of(as, ev, &c, &addr))
		return p;
	mm_code_format(&c, addr, buf, sizeof(buf));
	return mm_sym_str(mm_sym_str(p, " in "), buf);
}

char *mm_log_format_named(struct mm_as *as, char *p, const struct mm_event *ev)
{
	struct mm_code c;
	uint64_t addr;
	char buf[512];

	if (ev->kind != MM_EV_HEAP)
		return mm_log_code(as, format_in(as, p, ev), ev);
	if (!mm_log_code_of(as, ev, &c, &addr))
		return mm_log_format(p, ev);
	mm_code_format(&c, addr, buf, sizeof(buf));
	return mm_log_heap(pid_head(p, ev), &ev->heap, buf);
}

void mm_log_event(struct mm_log *l, const struct mm_event *ev)
{
	if (!l->have_t0) {
		l->t0 = ev->ts;
		l->have_t0 = true;
	}
	struct mm_heap_note note;
	if (l->heap)
		mm_heap_event(l->heap, ev, &note);
	bool raw = l->flags & MM_LOG_RAW;
	if (ev->kind == MM_EV_FILEMAP && !raw)
		return;
	if (ev->kind == MM_EV_RSS && !raw && !mm_log_rss_alone(&ev->rss))
		return;
	if (ev->kind == MM_EV_HEAP && (l->flags & MM_LOG_NO_HEAP))
		return;
	/* a fault's own frame is on the fault's line */
	if (ev->kind == MM_EV_FRAME &&
	    (!(l->flags & MM_LOG_FRAMES) || ev->frame.use == MM_FRAME_FAULTED))
		return;
	room(l, MM_LOG_LINE);
	char *start = l->buf + l->len, *p = time_head(l, start, ev), *q;
	if (ev->kind == MM_EV_RSS && !raw)
		p = mm_log_rss_alone_line(p, ev, l->page_size);
	else if (l->flags & MM_LOG_FRAMES)
		p = mm_log_format_frames(l->as, p, ev, l->zones, l->pmd_order);
	else
		p = mm_log_format_named(l->as, p, ev);
	if (l->heap)
		p = mm_log_heap_note(p, &note, l->as, ev->tgid ? ev->tgid : ev->pid);
	*p++ = '\n';
	if ((q = mm_log_resident_line(time_head(l, p, ev), ev))) {
		*q++ = '\n';
		p = q;
	}
	if (l->heap && (q = mm_log_heap_line(time_head(l, p, ev), ev, &note))) {
		*q++ = '\n';
		p = q;
	}
	l->len += (size_t)(p - start);
}

void mm_log_lost_line(char *buf, size_t n, const struct mm_lost_mark *m)
{
	if (m->count > 0)
		snprintf(buf, n, "# lost %lld events of cpu %u here (its ring buffer was full)",
			 m->count, m->cpu);
	else
		snprintf(buf, n, "# lost events of cpu %u here, how many unknown (its ring buffer "
			 "was full)", m->cpu);
}
