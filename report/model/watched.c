/*
 * report/model/watched.c - when each process was watched: the stretches
 * of time its events are in the trace (addrspace.h, struct
 * mm_watch_span), from the WATCH changes (record -p's start, memmon
 * watch) and the process's own life (its first event, its fork, its
 * exit).  Outside them the trace says nothing about it: a gap is not an
 * idle process.
 */
#include <stdlib.h>

#include "memmon.h"
#include "format/layout.h"
#include "report/model/as-int.h"

const char *mm_watch_why_name(unsigned why)
{
	static const char *const names[] = { "start", "fork", "watch", "exit", "end" };
	return why < sizeof(names) / sizeof(names[0]) ? names[why] : "?";
}

static struct mm_watch_span *open_span(struct mm_as_proc *p)
{
	struct mm_watch_span *s = p->nr_watched ? &p->watched[p->nr_watched - 1] : NULL;
	return s && s->left == MM_WHY_END ? s : NULL;
}

static void join(struct mm_as_proc *p, uint64_t ts, unsigned why, uint32_t pause_us)
{
	if (open_span(p))
		return;
	MM_GROW(p->watched, p->nr_watched, p->cap_watched, 4);
	p->watched[p->nr_watched++] = (struct mm_watch_span){
		.from = ts, .joined = (uint8_t)why, .left = MM_WHY_END, .pause_us = pause_us,
	};
}

static void leave(struct mm_as_proc *p, uint64_t ts, unsigned why)
{
	struct mm_watch_span *s = open_span(p);
	if (!s)
		return;
	s->to = ts;
	s->left = (uint8_t)why;
}

void as_watch_fork(struct mm_as_proc *c, uint64_t ts)
{
	join(c, ts, MM_WHY_FORK, 0);
}

void as_watch_event(struct mm_as_proc *p, const struct mm_event *ev)
{
	if (ev->kind == MM_EV_WATCH) {
		bool by_watch = ev->watch.reason == MM_WATCH_BY_WATCH;
		p->watch_changed |= by_watch;
		if (ev->watch.op == MM_WATCH_JOIN)
			join(p, ev->ts, by_watch ? MM_WHY_WATCH : MM_WHY_START, ev->watch.pause_us);
		else
			leave(p, ev->ts, MM_WHY_WATCH);
		return;
	}
	/* watched from the start: its first event opens it (a START join
	 * record -p wrote comes just after the first ones) */
	if (!p->nr_watched)
		join(p, ev->ts, MM_WHY_START, 0);
	if (ev->kind == MM_EV_EXIT && ev->pid == p->tgid)
		leave(p, ev->ts, MM_WHY_EXIT);
}
