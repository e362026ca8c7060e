/*
 * report/views/heap-view.c - `report --leaks` and `report --allocations`:
 * record --malloc's calls by call site (report/model/heap.h builds them).
 *
 * --leaks, per process, sites by bytes never freed (grouped by function:
 * report/analyses/heap-sites.h says what a site is):
 *   # leaks: blocks never freed before their process image ended (record --malloc)
 *   pid 1234 /tmp/prog: 5 blocks, 500 bytes, 1 site
 *       blocks        bytes call           site
 *            5          500 malloc         leak_here+0x12 [prog]  first 56027a3f72a0 ...
 *
 * --allocations, per process, sites by bytes asked for:
 *   pid 1234 /tmp/prog: 12 calls, 3 failed; peak 307300 bytes live at 0.001234 s
 *     calls  bytes  peak_live  at_peak  temporary  leaked  mmap  brk  unmap  faults  call  site
 *   then the size histogram of the process's calls ("[64, 128) 12") and
 *   each site's ("SITE CALL [64, 128) 12"), in the table's order.
 * A site is its function+offset and module, its address in hex where
 * nothing names it (--symbols=off, code the trace does not know).  When
 * record took the callers (frame pointers: record/interposer), a site is
 * a row per stack, its callers on a line below it ("from F+0x1c [m] <- ...").
 *
 * JSON: each site's "site" (its address), "call" (malloc, calloc...) and
 * "code" (its FRAME, report/views/code.h; null unnamed, none with
 * --symbols=off) and "stack" (its frames, the site first).  --csv: one
 * row per site (--allocations: and one per process, site empty, its
 * totals and its peak time): the site's address, call, function, offset,
 * module and stack (as text, empty without callers), and the histogram as a
 * column per size class named by its lower bound (size_0, size_2,
 * size_4...).
 *
 * Both end with the recording's own facts: lost records, frees of blocks
 * never seen, and the processes whose calls were not recorded (a static
 * program, or one that cleared LD_PRELOAD before an exec).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/heap-sites.h"
#include "report/model/heap.h"
#include "report/model/symbols.h"
#include "report/views/code.h"
#include "report/views/json.h"
#include "report/views/log.h"
#include "report/views/view.h"

struct hview {
	struct mm_report_opts o;
	bool leaks;              /* --leaks, else --allocations */
	bool any;                /* the trace had record --malloc's records */
	uint64_t t0;
	bool have_t0;
	struct mm_heap *h;
	struct mm_as *as;        /* names the sites; NULL with --symbols=off */
	/* finish(): the rows of the process being printed */
	struct mm_heap_rows rows;
};

static void *create(struct mm_file *f, const struct mm_report_opts *o, bool leaks)
{
	struct hview *v = mm_calloc(1, sizeof(*v));
	(void)f;
	v->o = *o;
	v->leaks = leaks;
	v->h = mm_heap_new();
	if (leaks)
		mm_heap_skip_faults(v->h);   /* --leaks shows no faults */
	v->as = o->no_symbols ? NULL : o->as;
	if (v->as)
		mm_heap_name_sites(v->h, v->as);
	return v;
}
static void *create_leaks(struct mm_file *f, const struct mm_report_opts *o) { return create(f, o, true); }
static void *create_allocs(struct mm_file *f, const struct mm_report_opts *o) { return create(f, o, false); }

static void event(void *state, const struct mm_event *ev)
{
	struct hview *v = state;

	if (!v->have_t0) {
		v->have_t0 = true;
		v->t0 = ev->ts;
	}
	if (ev->kind == MM_EV_HEAP)
		v->any = true;
	mm_heap_event(v->h, ev, NULL);
}

/* The rows of P into v->rows. */
static void sites_of(struct hview *v, const struct mm_heap_proc *p)
{
	mm_heap_rows_of(&v->rows, v->h, v->as, p->tgid, v->leaks);
}

static bool wanted(const struct hview *v, const struct mm_heap_proc *p)
{
	return mm_pid_wanted(v->o.pids, v->o.nr_pids, p->tgid);
}

static const char *exe_of(const struct mm_heap_proc *p)
{
	return *p->exe ? p->exe : "?";
}

/* Under a row whose site record took callers for: "from CALLER <- ...",
 * the row's stack after its first frame. */
static void print_callers(FILE *out, const struct mm_heap_row *row)
{
	char text[2048];
	const char *rest;

	if (!row->name || row->name->nr < 2)
		return;
	mm_view_stack_text(row->name, text, sizeof(text));
	if ((rest = strstr(text, " <- ")))
		fprintf(out, "  %10s   from %s\n", "", rest + 4);
}

static void print_leaks_text(struct hview *v, FILE *out, const struct mm_heap_proc *p)
{
	uint64_t blocks = 0, bytes = 0;
	char name[600];

	for (uint32_t i = 0; i < v->rows.nr; i++) {
		blocks += v->rows.v[i].s->leaks;
		bytes += v->rows.v[i].s->leaked;
	}
	fprintf(out, "pid %d %s: %" PRIu64 " blocks, %" PRIu64 " bytes, %u site%s\n", p->tgid,
		exe_of(p), blocks, bytes, v->rows.nr, v->rows.nr == 1 ? "" : "s");
	if (!v->rows.nr)
		return;
	fprintf(out, "  %10s %12s %-14s %s\n", "blocks", "bytes", "call", "site");
	for (uint32_t i = 0; i < v->rows.nr; i++) {
		const struct mm_heap_site *s = v->rows.v[i].s;
		mm_heap_row_site(&v->rows.v[i], name, sizeof(name));
		fprintf(out, "  %10" PRIu64 " %12" PRIu64 " %-14s %s  first", s->leaks, s->leaked,
			mm_heap_op_name(s->op), name);
		for (uint64_t k = 0; k < s->leaks && k < MM_HEAP_FIRST; k++)
			fprintf(out, " %" PRIx64, s->first[k]);
		fputc('\n', out);
		print_callers(out, &v->rows.v[i]);
	}
}

/* " [lo, hi) n" for each size class with calls. */
static void print_hist(FILE *out, const uint64_t *hist)
{
	for (unsigned k = 0; k < MM_HEAP_HIST; k++)
		if (hist[k])
			fprintf(out, " [%" PRIu64 ",%s%" PRIu64 ") %" PRIu64, k ? (uint64_t)1 << k : (uint64_t)0,
				k == MM_HEAP_HIST - 1 ? " ..." : " ",
				k == MM_HEAP_HIST - 1 ? (uint64_t)0 : (uint64_t)1 << (k + 1), hist[k]);
	fputc('\n', out);
}

/* The process's totals over its rows. */
static void proc_hist(const struct hview *v, uint64_t hist[MM_HEAP_HIST])
{
	memset(hist, 0, MM_HEAP_HIST * sizeof(*hist));
	for (uint32_t i = 0; i < v->rows.nr; i++)
		for (unsigned k = 0; k < MM_HEAP_HIST; k++)
			hist[k] += v->rows.v[i].s->hist[k];
}

static void print_allocs_text(struct hview *v, FILE *out, const struct mm_heap_proc *p)
{
	uint64_t failed = 0, temps = 0, hist[MM_HEAP_HIST];
	char name[600];

	proc_hist(v, hist);
	for (uint32_t i = 0; i < v->rows.nr; i++) {
		failed += v->rows.v[i].s->failed;
		temps += v->rows.v[i].s->temporaries;
	}
	fprintf(out, "pid %d %s: %" PRIu64 " calls (%" PRIu64 " failed), %" PRIu64
		" frees, %" PRIu64 " temporary; peak %" PRIu64 " bytes live at %.6f s\n",
		p->tgid, exe_of(p), p->calls, failed, p->frees, temps, p->peak,
		p->peak_ts > v->t0 ? (double)(p->peak_ts - v->t0) / 1e9 : 0.0);
	if (!v->rows.nr)
		return;
	fprintf(out, "  %10s %12s %10s %10s %9s %10s %5s %5s %5s %7s %-14s %s\n", "calls",
		"bytes", "peak_live", "at_peak", "temporary", "leaked", "mmap", "brk", "unmap",
		"faults", "call", "site");
	for (uint32_t i = 0; i < v->rows.nr; i++) {
		const struct mm_heap_site *s = v->rows.v[i].s;
		mm_heap_row_site(&v->rows.v[i], name, sizeof(name));
		fprintf(out, "  %10" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %9" PRIu64
			" %10" PRIu64 " %5" PRIu64 " %5" PRIu64 " %5" PRIu64 " %7" PRIu64 " %-14s %s\n",
			s->calls, s->bytes, s->peak_live, s->at_peak, s->temporaries, s->leaked,
			s->mmaps, s->brks, s->unmaps, s->faults, mm_heap_op_name(s->op), name);
		print_callers(out, &v->rows.v[i]);
	}
	fprintf(out, "  sizes:");
	print_hist(out, hist);
	fprintf(out, "  sizes by site:\n");
	for (uint32_t i = 0; i < v->rows.nr; i++) {
		const struct mm_heap_site *s = v->rows.v[i].s;
		mm_heap_row_site(&v->rows.v[i], name, sizeof(name));
		fprintf(out, "    %s %s", name, mm_heap_op_name(s->op));
		print_hist(out, s->hist);
	}
}

static void facts_text(struct hview *v, FILE *out)
{
	const struct mm_heap_totals *t = mm_heap_totals(v->h);

	fprintf(out, "lost malloc records: %" PRIu64 "\n", t->lost);
	fprintf(out, "frees of blocks not seen allocated: %" PRIu64 "\n", t->unknown_frees);
	if (t->untracked)
		fprintf(out, "blocks or sites beyond the report's bounds (not counted): %" PRIu64 "\n",
			t->untracked);
	for (uint32_t i = 0; i < mm_heap_nr_procs(v->h); i++) {
		const struct mm_heap_proc *p = mm_heap_proc_at(v->h, i);
		if (!wanted(v, p))
			continue;
		if (p->not_recorded)
			fprintf(out, "not recorded: pid %d %s (a static program, or LD_PRELOAD "
				"cleared before its exec)\n", p->tgid, exe_of(p));
		if (p->not_ours)
			fprintf(out, "not recorded: pid %d %s (malloc is the program's own)\n",
				p->tgid, exe_of(p));
	}
}

static void print_text(const void *ctx, FILE *out)
{
	struct hview *v = (struct hview *)ctx;

	if (v->leaks)
		fprintf(out, "# leaks: blocks never freed before their process image ended "
			"(record --malloc)\n");
	else
		fprintf(out, "# allocations by call site (record --malloc)\n");
	for (uint32_t i = 0; i < mm_heap_nr_procs(v->h); i++) {
		const struct mm_heap_proc *p = mm_heap_proc_at(v->h, i);
		if (!wanted(v, p) || (!p->calls && !p->frees))
			continue;
		sites_of(v, p);
		if (v->leaks)
			print_leaks_text(v, out, p);
		else
			print_allocs_text(v, out, p);
	}
	facts_text(v, out);
}

/* The lower bound of size class K (0, 1, 2, 4, ...). */
static uint64_t class_low(unsigned k)
{
	return k ? (uint64_t)1 << k : 0;
}

/* "sizes": { "LOW": count, ... } for the classes with calls. */
static void hist_json(struct mm_json *j, const uint64_t *hist)
{
	mm_json_object_begin(j, "sizes");
	for (unsigned k = 0; k < MM_HEAP_HIST; k++) {
		char key[24];
		if (!hist[k])
			continue;
		snprintf(key, sizeof(key), "%" PRIu64, class_low(k));
		mm_json_u64(j, key, hist[k]);
	}
	mm_json_object_end(j);
}

static void site_json(struct hview *v, struct mm_json *j, const struct mm_heap_row *row)
{
	const struct mm_heap_site *s = row->s;

	mm_json_object_begin(j, NULL);
	mm_json_hex(j, "site", s->site);
	mm_json_str(j, "call", mm_heap_op_name(s->op));
	if (v->as && row->name && row->name->nr)
		mm_view_json_code(j, "code", &row->name->code[0], row->name->pc[0]);
	else if (v->as)
		mm_json_null(j, "code");
	if (v->as)               /* the site and the callers record took */
		mm_view_json_stack(j, "stack", row->name);
	if (v->leaks) {
		mm_json_u64(j, "blocks", s->leaks);
		mm_json_u64(j, "bytes", s->leaked);
		mm_json_array_begin(j, "first");
		for (uint64_t k = 0; k < s->leaks && k < MM_HEAP_FIRST; k++)
			mm_json_hex(j, NULL, s->first[k]);
		mm_json_array_end(j);
	} else {
		mm_json_u64(j, "calls", s->calls);
		mm_json_u64(j, "failed", s->failed);
		mm_json_u64(j, "bytes", s->bytes);
		mm_json_u64(j, "peak_live", s->peak_live);
		mm_json_u64(j, "at_peak", s->at_peak);
		mm_json_u64(j, "temporary", s->temporaries);
		mm_json_u64(j, "leaked_blocks", s->leaks);
		mm_json_u64(j, "leaked", s->leaked);
		mm_json_u64(j, "mmap", s->mmaps);
		mm_json_u64(j, "brk", s->brks);
		mm_json_u64(j, "unmap", s->unmaps);
		mm_json_u64(j, "faults", s->faults);
		hist_json(j, s->hist);
	}
	mm_json_object_end(j);
}

static void print_json(const void *ctx, FILE *out)
{
	struct hview *v = (struct hview *)ctx;
	const struct mm_heap_totals *t = mm_heap_totals(v->h);
	struct mm_json j;

	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", v->leaks ? "leaks" : "allocations");
	mm_view_json_lost(&j, &v->o);
	mm_json_u64(&j, "lost_malloc_records", t->lost);
	mm_json_u64(&j, "unknown_frees", t->unknown_frees);
	mm_json_u64(&j, "untracked", t->untracked);
	mm_json_array_begin(&j, "processes");
	for (uint32_t i = 0; i < mm_heap_nr_procs(v->h); i++) {
		const struct mm_heap_proc *p = mm_heap_proc_at(v->h, i);
		if (!wanted(v, p))
			continue;
		sites_of(v, p);
		mm_json_object_begin(&j, NULL);
		mm_json_i64(&j, "pid", p->tgid);
		mm_json_str(&j, "exe", p->exe);
		mm_json_bool(&j, "recorded", !p->not_recorded && !p->not_ours);
		mm_json_str(&j, "not_recorded_why", p->not_recorded ? "static or LD_PRELOAD cleared" :
			    p->not_ours ? "malloc is the program's own" : NULL);
		mm_json_u64(&j, "calls", p->calls);
		mm_json_u64(&j, "frees", p->frees);
		mm_json_u64(&j, "peak", p->peak);
		mm_json_fixed(&j, "peak_time", p->peak_ts > v->t0 ? (double)(p->peak_ts - v->t0) / 1e9 : 0, 6);
		if (!v->leaks) {
			uint64_t hist[MM_HEAP_HIST];
			proc_hist(v, hist);
			hist_json(&j, hist);
		}
		mm_json_array_begin(&j, "sites");
		for (uint32_t k = 0; k < v->rows.nr; k++)
			site_json(v, &j, &v->rows.v[k]);
		mm_json_array_end(&j);
		mm_json_object_end(&j);
	}
	mm_json_array_end(&j);
	mm_json_object_end(&j);
	mm_json_finish(&j);
}

static const char *const leaks_cols[] = { "pid", "exe", "site", "call", "function", "offset",
					   "module", "stack", "blocks", "bytes", "first" };
static const char *const allocs_cols[] = { "pid", "exe", "site", "call", "function", "offset",
					    "module", "stack", "calls", "failed", "bytes", "peak_live",
					    "at_peak", "temporary", "leaked_blocks", "leaked", "mmap",
					    "brk", "unmap", "faults", "peak_time" };
#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* pid, exe, and ROW's site, call, function, offset, module (all empty
 * for a process's row, ROW NULL). */
static void csv_site(struct mm_csv *c, const struct mm_heap_proc *p, const struct mm_heap_row *row)
{
	const struct mm_code *code = row && row->name && row->name->nr ? &row->name->code[0] : NULL;
	char off[24];

	mm_csv_i64(c, p->tgid);
	mm_csv_str(c, p->exe);
	if (!row) {
		for (int k = 0; k < 6; k++)
			mm_csv_str(c, NULL);
		return;
	}
	mm_csv_hex(c, row->s->site);
	mm_csv_str(c, mm_heap_op_name(row->s->op));
	snprintf(off, sizeof(off), "0x%" PRIx64, code ? code->off : 0);
	mm_csv_str(c, code ? code->func : NULL);
	mm_csv_str(c, code ? off : NULL);
	mm_csv_str(c, code ? (code->module ? code->module : code->special) : NULL);
	if (row->name && row->name->nr > 1) {    /* the callers too: the whole stack */
		char text[2048];
		mm_view_stack_text(row->name, text, sizeof(text));
		mm_csv_str(c, text);
	} else
		mm_csv_str(c, NULL);
}

static void csv_allocs_row(struct mm_csv *c, const struct mm_heap_site *r, const uint64_t *hist,
			   const char *peak_time)
{
	mm_csv_u64(c, r->calls);
	mm_csv_u64(c, r->failed);
	mm_csv_u64(c, r->bytes);
	mm_csv_u64(c, r->peak_live);
	mm_csv_u64(c, r->at_peak);
	mm_csv_u64(c, r->temporaries);
	mm_csv_u64(c, r->leaks);
	mm_csv_u64(c, r->leaked);
	mm_csv_u64(c, r->mmaps);
	mm_csv_u64(c, r->brks);
	mm_csv_u64(c, r->unmaps);
	mm_csv_u64(c, r->faults);
	mm_csv_str(c, peak_time);
	for (unsigned k = 0; k < MM_HEAP_HIST; k++)
		mm_csv_u64(c, hist[k]);
	mm_csv_end_row(c);
}

static void csv_allocs(struct hview *v, struct mm_csv *c, const struct mm_heap_proc *p)
{
	struct mm_heap_site t = { .peak_live = p->peak, .at_peak = p->peak };
	char when[32];

	proc_hist(v, t.hist);
	for (uint32_t i = 0; i < v->rows.nr; i++) {
		const struct mm_heap_site *s = v->rows.v[i].s;
		t.calls += s->calls;
		t.failed += s->failed;
		t.bytes += s->bytes;
		t.temporaries += s->temporaries;
		t.leaks += s->leaks;
		t.leaked += s->leaked;
		t.mmaps += s->mmaps;
		t.brks += s->brks;
		t.unmaps += s->unmaps;
		t.faults += s->faults;
	}
	snprintf(when, sizeof(when), "%.6f",
		 p->peak_ts > v->t0 ? (double)(p->peak_ts - v->t0) / 1e9 : 0.0);
	csv_site(c, p, NULL);
	csv_allocs_row(c, &t, t.hist, when);
	for (uint32_t i = 0; i < v->rows.nr; i++) {
		csv_site(c, p, &v->rows.v[i]);
		csv_allocs_row(c, v->rows.v[i].s, v->rows.v[i].s->hist, NULL);
	}
}

static void csv_leaks(struct hview *v, struct mm_csv *c, const struct mm_heap_proc *p)
{
	for (uint32_t i = 0; i < v->rows.nr; i++) {
		const struct mm_heap_site *s = v->rows.v[i].s;
		char first[24 * MM_HEAP_FIRST];
		size_t n = 0;

		first[0] = 0;
		for (uint64_t k = 0; k < s->leaks && k < MM_HEAP_FIRST; k++)
			n += (size_t)snprintf(first + n, sizeof(first) - n, "%s%" PRIx64, k ? " " : "",
					      s->first[k]);
		csv_site(c, p, &v->rows.v[i]);
		mm_csv_u64(c, s->leaks);
		mm_csv_u64(c, s->leaked);
		mm_csv_str(c, first);
		mm_csv_end_row(c);
	}
}

static void print_csv(const void *ctx, FILE *out)
{
	struct hview *v = (struct hview *)ctx;
	struct mm_csv c;

	mm_csv_init(&c, out);
	mm_view_csv_lost(&c, &v->o);
	if (v->leaks) {
		mm_csv_header(&c, leaks_cols, NCOLS(leaks_cols));
	} else {
		for (size_t i = 0; i < NCOLS(allocs_cols); i++)
			mm_csv_str(&c, allocs_cols[i]);
		for (unsigned k = 0; k < MM_HEAP_HIST; k++) {
			char name[32];
			snprintf(name, sizeof(name), "size_%" PRIu64, class_low(k));
			mm_csv_str(&c, name);
		}
		mm_csv_end_row(&c);
	}
	for (uint32_t i = 0; i < mm_heap_nr_procs(v->h); i++) {
		const struct mm_heap_proc *p = mm_heap_proc_at(v->h, i);
		if (!wanted(v, p) || (!p->calls && !p->frees))
			continue;
		sites_of(v, p);
		if (v->leaks)
			csv_leaks(v, &c, p);
		else
			csv_allocs(v, &c, p);
	}
}

static int finish(void *state, FILE *out)
{
	struct hview *v = state;
	static const struct mm_view_printers printers = { print_text, print_json, print_csv };

	if (!v->any)
		return mm_error("--%s needs a trace recorded with 'memmon record --malloc'",
				v->leaks ? "leaks" : "allocations");
	mm_heap_finish(v->h);
	return mm_view_print(out, v->o.output, &printers, v, v->leaks ? "leaks" : "allocations");
}

static void destroy(void *state)
{
	struct hview *v = state;

	mm_heap_free(v->h);
	mm_heap_rows_free(&v->rows);
	free(v);
}

/* The model names the sites (off with --symbols=off). */
static bool uses_model(const struct mm_report_opts *o)
{
	return !o->no_symbols;
}

const struct mm_view mm_view_leaks = {
	.name = "leaks", .uses_model = uses_model, .create = create_leaks, .event = event, .finish = finish,
	.destroy = destroy,
};
const struct mm_view mm_view_allocations = {
	.name = "allocations", .uses_model = uses_model, .create = create_allocs, .event = event, .finish = finish,
	.destroy = destroy,
};
