/*
 * report/analyses/window.c - the stretch between two phase markers
 * (window.h): parsing --between, opening and closing as markers come,
 * and the per-region counts of the faults taken inside.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/window.h"
#include "report/model/addrspace.h"

/* One end: "start"/"0", "end", a number, or a marker's text. */
static int parse_end(struct mm_window_spec *s, const char *arg, size_t len, bool first)
{
	char *end;
	unsigned long long v;

	if (!len)
		return mm_error("--between: an empty marker (a number, a marker's text, "
				"'start' or 'end')");
	if ((len == 5 && !strncmp(arg, "start", 5)) || (len == 1 && arg[0] == '0')) {
		s->kind = MM_WIN_START;
	} else if (len == 3 && !strncmp(arg, "end", 3)) {
		s->kind = MM_WIN_END;
	} else if (arg[0] >= '1' && arg[0] <= '9' &&
		   (v = strtoull(arg, &end, 10), (size_t)(end - arg) == len)) {
		s->kind = MM_WIN_NUMBER;
		s->number = v;
	} else {
		if (len >= sizeof(s->text))
			return mm_error("--between: marker text '%.*s...' is longer than a marker "
					"(%zu bytes)", 20, arg, sizeof(s->text) - 1);
		s->kind = MM_WIN_TEXT;
		memcpy(s->text, arg, len);
		s->text[len] = '\0';
	}
	if (first && s->kind == MM_WIN_END)
		return mm_error("--between end,...: the window cannot start at the end");
	if (!first && s->kind == MM_WIN_START)
		return mm_error("--between ...,start: the window cannot end at the start");
	return 0;
}

int mm_window_parse(struct mm_window *w, const char *arg)
{
	const char *comma = strchr(arg, ',');

	memset(w, 0, sizeof(*w));
	if (!comma || strchr(comma + 1, ','))
		return mm_error("--between %s: two markers, M,N (numbers like 1,2, texts, "
				"'start' or 'end')", arg);
	if (parse_end(&w->from, arg, (size_t)(comma - arg), true) < 0 ||
	    parse_end(&w->to, comma + 1, strlen(comma + 1), false) < 0)
		return -1;
	if (w->from.kind == MM_WIN_NUMBER && w->to.kind == MM_WIN_NUMBER &&
	    w->to.number < w->from.number)
		return mm_error("--between %s: marker %llu comes before marker %llu", arg,
				(unsigned long long)w->to.number,
				(unsigned long long)w->from.number);
	w->active = true;
	return 0;
}

void mm_window_marker_text(const struct mm_event *ev, char *buf, size_t len)
{
	if (ev->kind == MM_EV_MARKER)
		snprintf(buf, len, "%s", ev->marker.text);
	else
		snprintf(buf, len, "%s(%d)", mm_syscall_name(ev->sys.nr), (int)ev->sys.args[0]);
}

static bool matches(const struct mm_window_spec *s, uint64_t no, const char *text)
{
	return (s->kind == MM_WIN_NUMBER && s->number == no) ||
	       (s->kind == MM_WIN_TEXT && !strcmp(s->text, text));
}

static void open_at(struct mm_window *w, uint64_t ts, uint64_t no, const char *text)
{
	w->open = w->opened = true;
	w->from_ts = ts;
	w->from_no = no;
	snprintf(w->from_text, sizeof(w->from_text), "%s", text);
}

void mm_window_before(struct mm_window *w, const struct mm_event *ev)
{
	char text[MM_MARKER_TEXT + 16];

	if (!w->active)
		return;
	w->last_ts = ev->ts;
	if (!w->opened && w->from.kind == MM_WIN_START)
		open_at(w, ev->ts, 0, "start");
	if (!mm_event_is_marker(ev))
		return;
	w->markers++;
	if (w->opened || w->closed)
		return;
	mm_window_marker_text(ev, text, sizeof(text));
	if (matches(&w->from, w->markers, text))
		open_at(w, ev->ts, w->markers, text);
}

void mm_window_after(struct mm_window *w, const struct mm_event *ev)
{
	char text[MM_MARKER_TEXT + 16];

	if (!w->active || !w->open || !mm_event_is_marker(ev))
		return;
	mm_window_marker_text(ev, text, sizeof(text));
	/* the first marker from M on that is N (--between 2,2: marker 2 alone) */
	if (!matches(&w->to, w->markers, text))
		return;
	w->open = false;
	w->closed = true;
	w->to_ts = ev->ts;
	w->to_no = w->markers;
	snprintf(w->to_text, sizeof(w->to_text), "%s", text);
}

static const char *spec_text(const struct mm_window_spec *s, char *buf, size_t len)
{
	if (s->kind == MM_WIN_NUMBER)
		snprintf(buf, len, "marker %llu", (unsigned long long)s->number);
	else
		snprintf(buf, len, "marker \"%s\"", s->text);
	return buf;
}

int mm_window_finish(struct mm_window *w)
{
	char what[MM_MARKER_TEXT + 32];

	if (!w->active)
		return 0;
	if (!w->opened)
		return mm_error("--between: no %s in the trace (it has %llu marker%s)",
				spec_text(&w->from, what, sizeof(what)),
				(unsigned long long)w->markers, w->markers == 1 ? "" : "s");
	if (w->open && w->to.kind == MM_WIN_END) {
		w->open = false;
		w->closed = true;
		w->to_ts = w->last_ts;
		snprintf(w->to_text, sizeof(w->to_text), "end");
		return 0;
	}
	if (!w->closed)
		return mm_error("--between: no %s after %s %llu in the trace (it has %llu marker%s)",
				spec_text(&w->to, what, sizeof(what)),
				w->from_no ? "marker" : "the start", (unsigned long long)w->from_no,
				(unsigned long long)w->markers, w->markers == 1 ? "" : "s");
	return 0;
}

/* ---- per-region counts ---- */

static struct mm_window_counts *counts_of(struct mm_window *w, uint32_t id)
{
	size_t i = MM_PARTITION_POINT(w->nr, k, w->c[k].region_id < id);
	if (i < w->nr && w->c[i].region_id == id)
		return &w->c[i];
	MM_GROW(w->c, w->nr, w->cap, 64);
	memmove(w->c + i + 1, w->c + i, (w->nr - i) * sizeof(*w->c));
	memset(&w->c[i], 0, sizeof(w->c[i]));
	w->c[i].region_id = id;
	w->nr++;
	return &w->c[i];
}

static void on_fault(void *ctx, struct mm_as_proc *p, struct mm_region *r,
		     const struct mm_event *ev, bool first)
{
	struct mm_window *w = ctx;
	(void)p;
	if (!w->open)
		return;
	if (!r) {
		w->outside_faults++;
		return;
	}
	struct mm_window_counts *c = counts_of(w, r->id);
	unsigned cls = ev->fault.class < MM_FAULT_NR ? ev->fault.class : MM_FAULT_OTHER;
	unsigned acc = ev->fault.access < MM_ACCESS_NR ? ev->fault.access : MM_ACCESS_R;
	c->faults[cls][acc]++;
	c->nr_faults++;
	c->kernel_faults += ev->fault.kernel;
	c->touched += first;
}

void mm_window_watch_model(struct mm_window *w, struct mm_as *as)
{
	static const struct mm_as_hooks hooks = { .fault = on_fault };
	if (w->active && as)
		mm_as_add_hooks(as, &hooks, w);
}

const struct mm_window_counts *mm_window_region(const struct mm_window *w,
						const struct mm_region *r)
{
	static const struct mm_window_counts none;
	size_t i = MM_PARTITION_POINT(w->nr, k, w->c[k].region_id < r->id);
	return i < w->nr && w->c[i].region_id == r->id ? &w->c[i] : &none;
}

bool mm_window_overlaps(const struct mm_window *w, const struct mm_region *r)
{
	/* snapshots' regions are dated by the snapshot: before the events */
	return r->created.ts <= w->to_ts &&
	       (r->ended.how == MM_HOW_NONE || r->ended.ts >= w->from_ts);
}

void mm_window_free(struct mm_window *w)
{
	free(w->c);
	w->c = NULL;
	w->nr = w->cap = 0;
}
