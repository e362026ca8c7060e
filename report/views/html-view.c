/*
 * report/views/html-view.c - `--html FILE`: one self-contained page to look
 * at instead of read: each process's address space over time (regions as
 * bars, faults as marks coloured by class), RSS by kind and VSZ over time,
 * the findings; zoom, pan, hover, a process selector.
 *
 * The page is report/views/html/page.html (its CSS and JavaScript inline,
 * no network fetch: a Content-Security-Policy forbids any), built into the
 * binary (html-asset.S); this view fills in its data, one JSON document
 * in a <script type="application/json"> element:
 *   { "version", "span" (s), "classes": [ "anon", ... ], "faults" (in
 *     all), "marks_drawn", "regions_left_out", "lost_events",
 *     "procs": [ { "pid", "comm", "exe", "start", "end", "ending",
 *       "regions": [ [ id, start (hex), size, made (s), ended (s, -1:
 *                      live), backing, label, perms, faults, touched ] ],
 *       "marks": [ [ time, region id (0: none), class, access ] ],
 *       "series": [ [ time, vsz KiB, anon, file, shmem, swap KiB ] ],
 *       "findings": [ [ id, severity, summary, time ] ] } ] }
 *
 * Large traces stay small: the faults drawn are a uniform sample of at
 * most MARKS_MAX of them (reservoir sampling; the regions' counts stay
 * exact), at most REGIONS_MAX regions are drawn, the series has about
 * SERIES_ROWS rows per process (the timeline engine's rows); the page
 * says what was left out.  Memory is bounded the same way.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/findings.h"
#include "report/analyses/regions.h"
#include "report/analyses/timeline.h"
#include "report/model/addrspace.h"
#include "report/views/json.h"
#include "report/views/view.h"

#define MARKS_MAX   20000       /* SVG marks a browser draws briskly */
#define REGIONS_MAX 50000
#define SERIES_ROWS 800

/* The page (html-asset.S); its data goes where its MEMMON_DATA comment stands. */
extern const char mm_html_page[], mm_html_page_end[];

struct mark {
	uint64_t ts;
	int32_t tgid;
	uint32_t region;             /* mm_region id, 0: outside every region */
	uint8_t class, access;
};

struct hview {
	const struct mm_report_opts *o;
	struct mm_timeline *tl;
	struct mm_findings *fs;
	struct mark *marks;
	size_t nr_marks;
	uint64_t faults;             /* seen, wanted */
	uint64_t rng;
	size_t regions_left_out;
};

static void *create(struct mm_file *file, const struct mm_report_opts *o)
{
	(void)file;
	struct hview *v = mm_calloc(1, sizeof(*v));
	v->o = o;
	v->tl = mm_timeline_new(o->as, 0);
	mm_timeline_set_rows(v->tl, SERIES_ROWS);
	v->fs = mm_findings_new(o->as);
	mm_findings_name_sites(v->fs, !o->no_symbols);
	v->rng = 0x9e3779b97f4a7c15ull;   /* fixed: the same trace, the same page */
	return v;
}

static uint64_t next_random(struct hview *v)
{
	v->rng ^= v->rng << 13;
	v->rng ^= v->rng >> 7;
	v->rng ^= v->rng << 17;
	return v->rng;
}

static void event(void *state, const struct mm_event *ev)
{
	struct hview *v = state;
	mm_timeline_event(v->tl, ev);
	mm_findings_event(v->fs, ev);
	if (ev->kind != MM_EV_FAULT || !mm_event_wanted(v->o->pids, v->o->nr_pids, ev))
		return;
	int32_t tgid = ev->tgid ? ev->tgid : mm_as_tgid_of(v->o->as, ev->pid);
	const struct mm_as_proc *p = mm_as_proc_find(v->o->as, tgid);
	const struct mm_region *r = p ? mm_as_lookup(p, ev->fault.addr) : NULL;
	struct mark m = { ev->ts, tgid, r ? r->id : 0, ev->fault.class, ev->fault.access };
	/* reservoir sampling (Algorithm R): each fault drawn with the same
	 * chance, whatever the trace's length */
	v->faults++;
	if (v->nr_marks < MARKS_MAX) {
		if (!v->marks)
			v->marks = mm_calloc(MARKS_MAX, sizeof(*v->marks));
		v->marks[v->nr_marks++] = m;
	} else {
		uint64_t k = next_random(v) % v->faults;
		if (k < MARKS_MAX)
			v->marks[k] = m;
	}
}

static int cmp_marks(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* ---- the data document ---- */

struct emit {
	struct hview *v;
	struct mm_json *j;
	size_t *drawn;               /* regions written so far */
};

static int emit_region(void *ctx, struct mm_region *r)
{
	struct emit *e = ctx;
	const struct mm_as *as = e->v->o->as;
	if (*e->drawn >= REGIONS_MAX) {
		e->v->regions_left_out++;
		return 0;
	}
	(*e->drawn)++;
	char perms[5];
	mm_region_perms(r, perms);
	mm_json_array_begin(e->j, NULL);
	mm_json_u64(e->j, NULL, r->id);
	mm_json_hex(e->j, NULL, r->start);
	mm_json_u64(e->j, NULL, mm_region_size(r));
	mm_json_fixed(e->j, NULL, mm_as_rel_s(as, r->created.ts), 6);
	if (mm_region_live(r))
		mm_json_i64(e->j, NULL, -1);
	else
		mm_json_fixed(e->j, NULL, mm_as_rel_s(as, r->ended.ts), 6);
	mm_json_str(e->j, NULL, mm_backing_name(r->backing));
	mm_json_str(e->j, NULL, mm_region_label(r));
	mm_json_str(e->j, NULL, perms);
	mm_json_u64(e->j, NULL, r->nr_faults);
	mm_json_u64(e->j, NULL, mm_region_pages_touched(r));
	mm_json_array_end(e->j);
	return 0;
}

static void emit_marks(struct hview *v, struct mm_json *j, int32_t tgid, size_t *next)
{
	mm_json_array_begin(j, "marks");
	while (*next < v->nr_marks && v->marks[*next].tgid < tgid)
		(*next)++;
	for (; *next < v->nr_marks && v->marks[*next].tgid == tgid; (*next)++) {
		const struct mark *m = &v->marks[*next];
		mm_json_array_begin(j, NULL);
		mm_json_fixed(j, NULL, mm_as_rel_s(v->o->as, m->ts), 6);
		mm_json_u64(j, NULL, m->region);
		mm_json_u64(j, NULL, m->class);
		mm_json_u64(j, NULL, m->access);
		mm_json_array_end(j);
	}
	mm_json_array_end(j);
}

static void emit_series(struct hview *v, struct mm_json *j, int32_t tgid)
{
	mm_json_array_begin(j, "series");
	for (size_t i = 0; i < mm_timeline_nr_procs(v->tl); i++) {
		const struct mm_tl_proc *t = mm_timeline_proc(v->tl, i);
		if (t->tgid != tgid)
			continue;
		double step = (double)mm_timeline_interval(v->tl) / 1e9;
		double base = mm_as_rel_s(v->o->as, mm_timeline_t0(v->tl));
		for (size_t k = 0; k < t->nr; k++) {
			const struct mm_tl_row *r = &t->rows[k];
			mm_json_array_begin(j, NULL);
			mm_json_fixed(j, NULL, base + (double)(r->k + 1) * step, 6);
			mm_json_u64(j, NULL, r->vsz_max / 1024);
			mm_json_i64(j, NULL, r->rss[MM_RSS_ANON] / 1024);
			mm_json_i64(j, NULL, r->rss[MM_RSS_FILE] / 1024);
			mm_json_i64(j, NULL, r->rss[MM_RSS_SHMEM] / 1024);
			mm_json_i64(j, NULL, r->rss[MM_RSS_SWAPENTS] / 1024);
			mm_json_array_end(j);
		}
	}
	mm_json_array_end(j);
}

static void emit_findings(struct hview *v, struct mm_json *j, int32_t tgid)
{
	mm_json_array_begin(j, "findings");
	for (size_t i = 0; i < mm_findings_count(v->fs); i++) {
		const struct mm_finding *f = mm_findings_at(v->fs, i);
		if (f->pid != tgid)
			continue;
		mm_json_array_begin(j, NULL);
		mm_json_str(j, NULL, f->id);
		mm_json_str(j, NULL, f->sev == MM_FIND_WARN ? "warn" : "info");
		mm_json_str(j, NULL, f->summary);
		mm_json_fixed(j, NULL, f->nr_ev ? mm_as_rel_s(v->o->as, f->ev[0].ts) : 0.0, 6);
		mm_json_array_end(j);
	}
	mm_json_array_end(j);
}

static void emit_data(struct hview *v, FILE *out)
{
	const struct mm_as *as = v->o->as;
	struct mm_json j;
	size_t drawn = 0, next = 0;
	mm_json_init(&j, out);
	j.compact = true;
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "version", MEMMON_VERSION);
	mm_json_fixed(&j, "span", mm_as_rel_s(as, mm_as_end(as)), 6);
	mm_json_array_begin(&j, "classes");
	for (int c = 0; c < MM_FAULT_NR; c++)
		mm_json_str(&j, NULL, mm_fault_class_name(c));
	mm_json_array_end(&j);
	mm_json_u64(&j, "faults", v->faults);
	mm_json_u64(&j, "marks_drawn", v->nr_marks);
	mm_json_u64(&j, "lost_events", v->o->trace ? v->o->trace->lost_events : 0);
	mm_json_array_begin(&j, "procs");
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		const struct mm_as_proc *p = mm_as_proc_at(as, i);
		if (!mm_proc_wanted(v->o->pids, v->o->nr_pids, as, p->tgid))
			continue;
		char ending[64];
		mm_proc_ending(p, ending, sizeof(ending));
		mm_json_object_begin(&j, NULL);
		mm_json_i64(&j, "pid", p->tgid);
		mm_json_str(&j, "comm", p->comm);
		mm_json_str(&j, "exe", p->exe);
		mm_json_fixed(&j, "start", mm_as_rel_s(as, p->first_ts), 6);
		mm_json_fixed(&j, "end", p->exited ? mm_as_rel_s(as, p->exit_ts) :
			      mm_as_rel_s(as, mm_as_end(as)), 6);
		mm_json_str(&j, "ending", ending);
		mm_json_array_begin(&j, "regions");
		struct emit e = { v, &j, &drawn };
		mm_as_foreach_region(p, emit_region, &e);
		mm_json_array_end(&j);
		emit_marks(v, &j, p->tgid, &next);
		emit_series(v, &j, p->tgid);
		emit_findings(v, &j, p->tgid);
		mm_json_object_end(&j);
	}
	mm_json_array_end(&j);
	mm_json_u64(&j, "regions_left_out", v->regions_left_out);
	mm_json_finish(&j);
}

/* Write TEXT[0, LEN) into a <script> element: "<" only ever stands in
 * JSON strings there, and as \u003c it cannot end the element. */
static void put_script_safe(FILE *out, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '<')
			fputs("\\u003c", out);
		else
			fputc(text[i], out);
	}
}

static int finish(void *state, FILE *stdout_unused)
{
	struct hview *v = state;
	(void)stdout_unused;
	mm_timeline_finish(v->tl);
	mm_findings_finish(v->fs);
	if (v->nr_marks)
		qsort(v->marks, v->nr_marks, sizeof(*v->marks), cmp_marks);

	char *data = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&data, &len);
	if (!mem)
		return mm_error_errno("cannot build the HTML page");
	emit_data(v, mem);
	if (fclose(mem)) {
		free(data);
		return mm_error_errno("cannot build the HTML page");
	}
	static const char marker[] = "/*MEMMON_DATA*/";
	size_t page_len = (size_t)(mm_html_page_end - mm_html_page);
	const char *at = memmem(mm_html_page, page_len, marker, sizeof(marker) - 1);
	if (!at) {
		free(data);
		return mm_error("the HTML page template has no data marker");
	}
	FILE *out = v->o->html;
	fwrite(mm_html_page, 1, (size_t)(at - mm_html_page), out);
	put_script_safe(out, data, len);
	fwrite(at + sizeof(marker) - 1, 1, page_len - (size_t)(at - mm_html_page) -
	       (sizeof(marker) - 1), out);
	free(data);
	return mm_view_out_status(out, "HTML page");
}

static void destroy(void *state)
{
	struct hview *v = state;
	mm_findings_free(v->fs);
	mm_timeline_free(v->tl);
	free(v->marks);
	free(v);
}

const struct mm_view mm_view_html = {
	.name = "html", .uses_model = mm_view_uses_model, .create = create,
	.event = event, .finish = finish, .destroy = destroy, .own_file = true,
};
