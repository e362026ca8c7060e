/*
 * report/views/regions-view.c - --regions (pmap with history) in text,
 * JSON and CSV, and the three region views (--regions, --maps-at,
 * --check-maps; their printers for the last two are in maps-view.c) as
 * what the view tables (region-views.c) print.
 *
 * The views read the report's shared address-space model
 * (report/views/view.h, report/model/addrspace.h), except --maps-at T,
 * which needs the model frozen at T (touched and resident pages at T are
 * not in the history) and feeds one of its own; all the facts are the
 * model's (the row order: report/analyses/regions.c), this file only
 * chooses and prints them.  Times are seconds since the first event, as
 * the event log's -t prints them; sizes in the text tables are KiB as pmap
 * prints them; the JSON carries bytes and pages.
 *
 * JSON field names (stable; memmon-report(1) documents them):
 *
 *   --regions:  { "view": "regions", "page_size": N, "processes": [ PROC ] }
 *     PROC = { "pid", "comm", "exe", "parent", "exited", "exit_time",
 *              "skipped_syscalls", "regions": [ REGION ],
 *              "unknown_region": { "faults": FAULTS, "first_addr",
 *                                  "last_addr" (in time), "lowest_addr",
 *                                  "highest_addr" (the text row's range) } }
 *     REGION = { "id", "parent_id", "origin_id", "start", "end", "size",
 *                "perms", "backing", "name", "segment", "offset", "fd",
 *                "created": EVENT, "origin": EVENT, "ended": EVENT,
 *                "created_by": STACK,
 *                "live", "faults": FAULTS, "kernel_faults", "pages_mapped",
 *                "pages_touched", "pages_resident", "pattern",
 *                "stride_pages" }
 *     EVENT  = { "how", "time", "pid" }   how: a syscall name, "start",
 *              "exec", "fork", "fault", "exit", "merge", or "live" (ended
 *              only; time and pid are then null)
 *     FAULTS = { "total", "anon": RWX, "file": RWX, "swap": RWX, "cow": RWX,
 *                "other": RWX, "unknown": RWX }, RWX = { "r", "w", "x" }
 *     segment: the ELF segment a file region maps ("text", "rodata",
 *              "data", "relro", "bss") or null; STACK: the frames of the
 *              call that made the region (report/views/code.h), null when
 *              none was recorded
 * Addresses are hex strings without 0x; times are numbers (seconds).
 * CSV: one header row, then one row per region, the first column being the
 * pid; the columns are named as above with faults flattened to anon_r ...
 * other_x, unknown_r ... unknown_x.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/frames.h"
#include "report/analyses/regions.h"
#include "report/analyses/window.h"
#include "report/model/addrspace.h"
#include "report/model/symbols.h"
#include "report/views/code.h"
#include "report/views/frames-view.h"
#include "report/views/json.h"
#include "report/views/regions-view.h"

/* ---- shared helpers ---- */

static bool proc_wanted(const struct mm_as *as, const struct mm_as_proc *p,
			const struct mm_regions_opts *o)
{
	return mm_proc_wanted(o->pids, o->nr_pids, as, p->tgid);
}

static bool how_is_snapshot(const struct mm_region_event *e)
{
	return e->how == MM_HOW_START || (e->how == MM_HOW_EXEC && e->pid == 0);
}

/* "mmap@1.234567", "exec", "live". */
static void event_text(const struct mm_as *as, const struct mm_region_event *e,
		       char *buf, size_t len)
{
	if (e->how == MM_HOW_NONE || how_is_snapshot(e))
		snprintf(buf, len, "%s", mm_region_how_name(e));
	else
		snprintf(buf, len, "%s@%.6f", mm_region_how_name(e), mm_as_rel_s(as, e->ts));
}

static size_t row_limit(const struct mm_regions_opts *o, size_t n)
{
	return o->limit && o->limit < n ? o->limit : n;
}

/* What a row counts: the region's whole life, or --between's window. */
struct row_counts {
	const uint64_t (*faults)[MM_ACCESS_NR];
	uint64_t nr_faults, kernel_faults, touched;
};

static struct row_counts counts_of(const struct mm_regions_opts *o, const struct mm_region *r)
{
	if (o->window) {
		const struct mm_window_counts *c = mm_window_region(o->window, r);
		return (struct row_counts){ c->faults, c->nr_faults, c->kernel_faults, c->touched };
	}
	return (struct row_counts){ r->faults, r->nr_faults, r->kernel_faults,
				    mm_region_pages_touched(r) };
}

static int by_window_faults(const void *a, const void *b, void *ctx)
{
	const struct mm_window *w = ctx;
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	uint64_t fx = mm_window_region(w, x)->nr_faults, fy = mm_window_region(w, y)->nr_faults;
	if (fx != fy)
		return fx > fy ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->id > y->id) - (x->id < y->id);
}

/* P's rows in --sort order; with --between only those that lived in the
 * window, --sort faults by the window's faults. */
static void rows_of(const struct mm_as_proc *p, const struct mm_regions_opts *o,
		    struct mm_region_rows *s)
{
	mm_region_rows(p, o->sort, s);
	if (!o->window)
		return;
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		if (mm_window_overlaps(o->window, s->r[i]))
			s->r[n++] = s->r[i];
	s->n = n;
	if (o->sort == MM_SORT_FAULTS && n > 1)
		qsort_r(s->r, n, sizeof(*s->r), by_window_faults, (void *)o->window);
}

/* ---- --regions: text ---- */

/* F summed by class ("anon/file/swap/cow/other[/unknown]") or by access ("r/w/x"),
 * as "N/N/..." into BUF. */
static void fault_sums(const uint64_t f[MM_FAULT_NR][MM_ACCESS_NR], bool by_class,
		       char *buf, size_t len)
{
	uint64_t sum[MM_FAULT_NR + MM_ACCESS_NR] = { 0 };
	int n;
	size_t at = 0;
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			sum[by_class ? c : a] += f[c][a];
	/* a sixth number, unknown, only where a trace could not tell */
	n = !by_class ? MM_ACCESS_NR : sum[MM_FAULT_UNKNOWN] ? MM_FAULT_NR : MM_FAULT_UNKNOWN;
	buf[0] = '\0';
	for (int i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%llu", i ? "/" : "",
				       (unsigned long long)sum[i]);
}

static void proc_title(const struct mm_as *as, const struct mm_as_proc *p, FILE *out)
{
	fprintf(out, "# pid %d", p->tgid);
	if (p->comm[0])
		fprintf(out, " (%.16s)", p->comm);
	if (p->exe[0])
		fprintf(out, " %s", p->exe);
	if (p->exited)
		fprintf(out, ", exited at %.6f", mm_as_rel_s(as, p->exit_ts));
	if (!p->have_map)
		fputs(", no maps snapshot: regions made before tracing are unknown", out);
	fputc('\n', out);
}

static void region_row_text(struct mm_as *as, const struct mm_regions_opts *o,
			    const struct mm_as_proc *p, const struct mm_region *r, FILE *out)
{
	char perms[5], made[48], ended[48], cls[64], acc[48], pages[48], name[4200], by[1300];
	struct row_counts n = counts_of(o, r);
	uint64_t ps = mm_as_page_size(as);
	int64_t stride;
	enum mm_pattern pat = mm_region_pattern(r, ps, &stride);

	mm_region_perms(r, perms);
	event_text(as, &r->created, made, sizeof(made));
	event_text(as, &r->ended, ended, sizeof(ended));
	fault_sums(n.faults, true, cls, sizeof(cls));
	fault_sums(n.faults, false, acc, sizeof(acc));
	snprintf(pages, sizeof(pages), "%llu/%llu", (unsigned long long)n.touched,
		 (unsigned long long)(mm_region_size(r) / ps));
	fprintf(out, "%12llx-%-12llx %9lluK %s %-7s %-18s %-18s %7llu %-15s %-11s %13s %s",
		(unsigned long long)r->start, (unsigned long long)r->end,
		(unsigned long long)(mm_region_size(r) >> 10), perms,
		mm_backing_name(r->backing), made, ended, (unsigned long long)n.nr_faults,
		cls, acc, pages, mm_pattern_name(pat));
	if (pat == MM_PAT_STRIDED)
		fprintf(out, "(%lld)", (long long)stride);
	mm_view_region_name(as, p, r, name, sizeof(name));
	mm_view_stack_brief(mm_as_stack(as, r->created_stack), by, sizeof(by));
	fprintf(out, " %s%s%s\n", name, *by ? "  by " : "", by);
}

static void unknown_row_text(const struct mm_as_proc *p, FILE *out)
{
	char cls[64], acc[48];
	if (!p->nr_unknown)
		return;
	fault_sums(p->unknown_faults, true, cls, sizeof(cls));
	fault_sums(p->unknown_faults, false, acc, sizeof(acc));
	fprintf(out, "%12llx-%-12llx %10s %4s %-7s %-18s %-18s %7llu %-15s %-11s %13s %s\n",
		(unsigned long long)p->unknown_low_addr, (unsigned long long)p->unknown_high_addr,
		"-", "-", "-", "-", "-", (unsigned long long)p->nr_unknown, cls, acc, "-",
		"- (unknown region: faults outside every known region)");
}

static void regions_text(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	if (o->window)
		mm_view_window_title(as, o->window, out);
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		struct mm_region_rows s;
		uint64_t faults = o->window ? 0 : p->nr_unknown;
		if (!proc_wanted(as, p, o))
			continue;
		rows_of(p, o, &s);
		if (o->window && !s.n) {     /* not alive between the markers */
			free(s.r);
			continue;
		}
		proc_title(as, p, out);
		fprintf(out, "%-25s %10s %4s %-7s %-18s %-18s %7s %-15s %-11s %13s %s\n",
			"RANGE", "SIZE", "PERM", "BACKING", "CREATED", "ENDED", "FAULTS",
			"A/F/S/C/O", "R/W/X", "TOUCHED/PAGES", "PATTERN NAME");
		for (size_t k = 0; k < s.n; k++)
			faults += counts_of(o, s.r[k]).nr_faults;
		for (size_t k = 0; k < row_limit(o, s.n); k++)
			region_row_text(as, o, p, s.r[k], out);
		for (size_t k = 0; o->frames && k < row_limit(o, s.n); k++)
			mm_frames_region_text(o->frames, p->tgid, s.r[k], out);
		if (o->window) {
			fprintf(out, "# %zu regions lived between the markers, %llu faults there\n\n",
				s.n, (unsigned long long)faults);
			free(s.r);
			continue;
		}
		unknown_row_text(p, out);
		fprintf(out, "# %zu regions (%zu in the %s map), %llu faults, %llu outside "
			"every region%s\n\n", s.n, p->nr_map, p->exited ? "final" : "live",
			(unsigned long long)faults, (unsigned long long)p->nr_unknown,
			p->nr_skipped ? ", some syscalls could not be applied" : "");
		free(s.r);
	}
	if (o->frames)
		mm_frames_print_text(o->frames, out);
}

/* ---- --regions: JSON ---- */

static void json_faults(struct mm_json *j, const char *key,
			const uint64_t f[MM_FAULT_NR][MM_ACCESS_NR], uint64_t total)
{
	mm_json_object_begin(j, key);
	mm_json_u64(j, "total", total);
	for (int c = 0; c < MM_FAULT_NR; c++) {
		mm_json_object_begin(j, mm_fault_class_name(c));
		for (int a = 0; a < MM_ACCESS_NR; a++)
			mm_json_u64(j, mm_access_key(a), f[c][a]);
		mm_json_object_end(j);
	}
	mm_json_object_end(j);
}

static void json_event(struct mm_json *j, const struct mm_as *as, const char *key,
		       const struct mm_region_event *e)
{
	mm_json_object_begin(j, key);
	mm_json_str(j, "how", mm_region_how_name(e));
	if (e->how == MM_HOW_NONE) {
		mm_json_null(j, "time");
		mm_json_null(j, "pid");
	} else {
		mm_json_fixed(j, "time", mm_as_rel_s(as, e->ts), 6);
		mm_json_i64(j, "pid", e->pid);
	}
	mm_json_object_end(j);
}

static void json_region(struct mm_json *j, struct mm_as *as, const struct mm_regions_opts *o,
			const struct mm_as_proc *p, const struct mm_region *r)
{
	struct row_counts n = counts_of(o, r);
	char perms[5];
	int64_t stride;
	uint64_t ps = mm_as_page_size(as);
	enum mm_pattern pat = mm_region_pattern(r, ps, &stride);

	mm_region_perms(r, perms);
	mm_json_object_begin(j, NULL);
	mm_json_u64(j, "id", r->id);
	mm_json_u64(j, "parent_id", r->parent_id);
	mm_json_u64(j, "origin_id", r->origin_id);
	mm_json_hex(j, "start", r->start);
	mm_json_hex(j, "end", r->end);
	mm_json_u64(j, "size", mm_region_size(r));
	mm_json_str(j, "perms", perms);
	mm_json_str(j, "backing", mm_backing_name(r->backing));
	mm_json_str(j, "name", mm_region_label(r));
	mm_json_str(j, "segment", mm_view_region_segment(as, p, r));
	mm_json_u64(j, "offset", r->offset);
	mm_json_i64(j, "fd", r->fd);
	json_event(j, as, "created", &r->created);
	json_event(j, as, "origin", &r->origin);
	json_event(j, as, "ended", &r->ended);
	mm_view_json_stack(j, "created_by", mm_as_stack(as, r->created_stack));
	mm_json_bool(j, "live", mm_region_live(r));
	json_faults(j, "faults", n.faults, n.nr_faults);
	mm_json_u64(j, "kernel_faults", n.kernel_faults);
	mm_json_u64(j, "pages_mapped", mm_region_size(r) / ps);
	mm_json_u64(j, "pages_touched", n.touched);
	mm_json_u64(j, "pages_resident", mm_region_pages_resident(r));
	mm_json_str(j, "pattern", mm_pattern_name(pat));
	mm_json_i64(j, "stride_pages", stride);
	if (o->frames)
		mm_frames_region_json(o->frames, p->tgid, r, j);
	mm_json_object_end(j);
}

static void json_proc_head(struct mm_json *j, const struct mm_as *as, const struct mm_as_proc *p)
{
	mm_json_i64(j, "pid", p->tgid);
	mm_json_str(j, "comm", p->comm);
	mm_json_str(j, "exe", p->exe);
	mm_json_i64(j, "parent", p->parent);
	mm_json_bool(j, "exited", p->exited);
	if (p->exited)
		mm_json_fixed(j, "exit_time", mm_as_rel_s(as, p->exit_ts), 6);
	else
		mm_json_null(j, "exit_time");
}

/* --between: "between": { "from": { "marker", "text", "time" }, "to": ... } */
static void json_window(struct mm_json *j, const struct mm_as *as, const struct mm_window *w)
{
	mm_json_object_begin(j, "between");
	for (int end = 0; end < 2; end++) {
		mm_json_object_begin(j, end ? "to" : "from");
		mm_json_u64(j, "marker", end ? w->to_no : w->from_no);
		mm_json_str(j, "text", end ? w->to_text : w->from_text);
		mm_json_fixed(j, "time", mm_as_rel_s(as, end ? w->to_ts : w->from_ts), 6);
		mm_json_object_end(j);
	}
	mm_json_object_end(j);
}

static void regions_json(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	struct mm_json j;
	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "regions");
	if (o->report)
		mm_view_json_lost(&j, o->report);
	mm_json_u64(&j, "page_size", mm_as_page_size(as));
	if (o->window)
		json_window(&j, as, o->window);
	mm_json_array_begin(&j, "processes");
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		struct mm_region_rows s;
		if (!proc_wanted(as, p, o))
			continue;
		rows_of(p, o, &s);
		if (o->window && !s.n) {
			free(s.r);
			continue;
		}
		mm_json_object_begin(&j, NULL);
		json_proc_head(&j, as, p);
		mm_json_u64(&j, "skipped_syscalls", p->nr_skipped);
		mm_json_array_begin(&j, "regions");
		for (size_t k = 0; k < row_limit(o, s.n); k++)
			json_region(&j, as, o, p, s.r[k]);
		mm_json_array_end(&j);
		mm_json_object_begin(&j, "unknown_region");
		json_faults(&j, "faults", p->unknown_faults, p->nr_unknown);
		mm_json_hex(&j, "first_addr", p->unknown_first_addr);
		mm_json_hex(&j, "last_addr", p->unknown_last_addr);
		mm_json_hex(&j, "lowest_addr", p->unknown_low_addr);
		mm_json_hex(&j, "highest_addr", p->unknown_high_addr);
		mm_json_object_end(&j);
		mm_json_object_end(&j);
		free(s.r);
	}
	mm_json_array_end(&j);
	if (o->frames)
		mm_frames_print_json(o->frames, &j);
	mm_json_finish(&j);
}

/* ---- --regions: CSV ---- */

static void regions_csv_header(struct mm_csv *c)
{
	static const char *const head[] = {
		"pid", "id", "parent_id", "origin_id", "start", "end", "size", "perms",
		"backing", "name", "offset", "fd", "created_how", "created_time",
		"ended_how", "ended_time", "faults",
	};
	static const char *const tail[] = {
		"pages_mapped", "pages_touched", "pages_resident", "pattern", "kernel_faults",
		"segment", "created_by",
	};
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		mm_csv_str(c, head[i]);
	for (int k = 0; k < MM_FAULT_NR; k++)
		for (int a = 0; a < MM_ACCESS_NR; a++) {
			char name[16];
			snprintf(name, sizeof(name), "%s_%s", mm_fault_class_name(k), mm_access_key(a));
			mm_csv_str(c, name);
		}
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		mm_csv_str(c, tail[i]);
	mm_csv_end_row(c);
}

static void regions_csv_row(struct mm_csv *c, struct mm_as *as,
			    const struct mm_regions_opts *o, const struct mm_as_proc *p,
			    const struct mm_region *r)
{
	struct row_counts n = counts_of(o, r);
	char perms[5], by[1300];
	uint64_t ps = mm_as_page_size(as);

	mm_region_perms(r, perms);
	mm_csv_i64(c, p->tgid);
	mm_csv_u64(c, r->id);
	mm_csv_u64(c, r->parent_id);
	mm_csv_u64(c, r->origin_id);
	mm_csv_hex(c, r->start);
	mm_csv_hex(c, r->end);
	mm_csv_u64(c, mm_region_size(r));
	mm_csv_str(c, perms);
	mm_csv_str(c, mm_backing_name(r->backing));
	mm_csv_str(c, mm_region_label(r));
	mm_csv_u64(c, r->offset);
	mm_csv_i64(c, r->fd);
	mm_csv_str(c, mm_region_how_name(&r->created));
	mm_csv_fixed(c, mm_as_rel_s(as, r->created.ts), 6);
	mm_csv_str(c, mm_region_how_name(&r->ended));
	if (mm_region_live(r))
		mm_csv_str(c, NULL);
	else
		mm_csv_fixed(c, mm_as_rel_s(as, r->ended.ts), 6);
	mm_csv_u64(c, n.nr_faults);
	for (int k = 0; k < MM_FAULT_NR; k++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			mm_csv_u64(c, n.faults[k][a]);
	mm_csv_u64(c, mm_region_size(r) / ps);
	mm_csv_u64(c, n.touched);
	mm_csv_u64(c, mm_region_pages_resident(r));
	mm_csv_str(c, mm_pattern_name(mm_region_pattern(r, ps, NULL)));
	mm_csv_u64(c, n.kernel_faults);
	mm_csv_str(c, mm_view_region_segment(as, p, r));
	mm_view_stack_brief(mm_as_stack(as, r->created_stack), by, sizeof(by));
	mm_csv_str(c, by);
	mm_csv_end_row(c);
}

static void regions_csv(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	struct mm_csv c;
	mm_csv_init(&c, out);
	if (o->report)
		mm_view_csv_lost(&c, o->report);
	regions_csv_header(&c);
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		struct mm_region_rows s;
		if (!proc_wanted(as, p, o))
			continue;
		rows_of(p, o, &s);
		for (size_t k = 0; k < row_limit(o, s.n); k++)
			regions_csv_row(&c, as, o, p, s.r[k]);
		free(s.r);
	}
}

/* The printers' context: the model and what to print of it. */
struct rprint {
	struct mm_as *as;
	const struct mm_regions_opts *o;
};

static void regions_text_fn(const void *ctx, FILE *out)
{
	const struct rprint *c = ctx;
	regions_text(c->as, c->o, out);
}

static void regions_json_fn(const void *ctx, FILE *out)
{
	const struct rprint *c = ctx;
	regions_json(c->as, c->o, out);
}

static void regions_csv_fn(const void *ctx, FILE *out)
{
	const struct rprint *c = ctx;
	regions_csv(c->as, c->o, out);
}

int mm_regions_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	static const struct mm_view_printers print = {
		regions_text_fn, regions_json_fn, regions_csv_fn,
	};
	struct rprint c = { as, o };
	return mm_view_print(out, o->output, &print, &c, "report");
}

