/*
 * report/views/timeline-view.c - `--timeline[=INTERVAL]` as text, JSON or
 * CSV (the rows: report/analyses/timeline.c).
 *
 * One table per process; an interval without events repeats the values
 * before it (nothing changed) with 0 faults, and a run of more than
 * IDLE_ROWS of them is one such row that says until when it lasts (so the
 * output follows the events, not the span: two faults 10^6 s apart at 1 ms
 * make three rows, not a billion).  vsz_kib and rss_kib are the
 * highest values within the interval (so a short spike shows), the kinds
 * (anon, file, shmem, swap) their values at its end.  A '*' follows the
 * peak VSZ, the peak RSS and the interval with the most faults.
 *   JSON: {"view": "timeline", "interval": S, "processes": [{"pid", "comm",
 *          "peak_vsz_kib", "peak_rss_kib", "rows": [{"time", "vsz_kib",
 *          "rss_kib", "anon_kib", "file_kib", "shmem_kib", "swap_kib",
 *          "faults", "peak": ["vsz", "rss", "faults"], "idle_until": T}]}]}}
 *          (idle_until only on the row of an idle run)
 *   CSV:  pid,time,vsz_kib,rss_kib,anon_kib,file_kib,shmem_kib,swap_kib,faults,peak,
 *         idle_until
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/timeline.h"
#include "report/analyses/window.h"
#include "report/views/json.h"
#include "report/views/view.h"

struct tview {
	struct mm_timeline *tl;      /* on the shared model */
	struct mm_report_opts o;
};

static bool wanted(const struct tview *v, const struct mm_tl_proc *p)
{
	return p->nr && mm_pid_wanted(v->o.pids, v->o.nr_pids, p->tgid);
}

/* Idle intervals in a row shown one by one; a longer run is one row. */
#define IDLE_ROWS 3

/* Calls FN for every interval from P's first row to its last, with the
 * carried-forward row for idle ones; IDLE_TO is 0, or for the one row of a
 * long idle run the interval that ends it. */
typedef void (*row_fn)(const struct tview *v, const struct mm_tl_proc *p, const struct mm_tl_row *r,
		       unsigned peak, uint64_t idle_to, void *ctx);
enum { PK_VSZ = 1, PK_RSS = 2, PK_FAULTS = 4 };

static void each_row(const struct tview *v, const struct mm_tl_proc *p, row_fn fn, void *ctx)
{
	struct mm_tl_peaks k = mm_tl_peaks_of(p);
	size_t i = 0;
	for (uint64_t n = p->rows[0].k; i < p->nr; n++) {
		struct mm_tl_row idle;
		const struct mm_tl_row *r = &p->rows[i];
		unsigned peak = 0;
		if (r->k != n) {
			idle = p->rows[i - 1];
			idle.k = n;
			idle.vsz_max = idle.vsz;
			idle.rss_max = mm_tl_rss(&idle);
			idle.faults = 0;
			if (r->k - n > IDLE_ROWS) {
				fn(v, p, &idle, 0, r->k, ctx);
				n = r->k - 1;
			} else {
				fn(v, p, &idle, 0, 0, ctx);
			}
			continue;
		}
		peak |= i == k.vsz && k.any_vsz ? PK_VSZ : 0;
		peak |= i == k.rss && k.any_rss ? PK_RSS : 0;
		peak |= i == k.faults && k.any_faults ? PK_FAULTS : 0;
		fn(v, p, r, peak, 0, ctx);
		i++;
	}
}

static double k_time(const struct tview *v, uint64_t k)
{
	return (double)k * (double)mm_timeline_interval(v->tl) / 1e9;
}

static double row_time(const struct tview *v, const struct mm_tl_row *r)
{
	return k_time(v, r->k);
}

static uint64_t kib(int64_t b) { return b > 0 ? (uint64_t)b >> 10 : 0; }

static void text_row(const struct tview *v, const struct mm_tl_proc *p, const struct mm_tl_row *r,
		     unsigned pk, uint64_t idle_to, void *ctx)
{
	FILE *out = ctx;
	char until[48] = "";
	(void)p;
	if (idle_to)
		snprintf(until, sizeof(until), "  idle until %.6f", k_time(v, idle_to));
	fprintf(out, "%10.6f %10" PRIu64 "%c %10" PRIu64 "%c %9" PRIu64 " %9" PRIu64 " %9"
		PRIu64 " %9" PRIu64 " %7" PRIu64 "%c%s\n", row_time(v, r),
		r->vsz_max >> 10, pk & PK_VSZ ? '*' : ' ', kib(r->rss_max),
		pk & PK_RSS ? '*' : ' ', kib(r->rss[MM_RSS_ANON]), kib(r->rss[MM_RSS_FILE]),
		kib(r->rss[MM_RSS_SHMEM]), kib(r->rss[MM_RSS_SWAPENTS]), r->faults,
		pk & PK_FAULTS ? '*' : ' ', until);
}

static void print_text(const void *ctx, FILE *out)
{
	const struct tview *v = ctx;
	if (v->o.window)
		mm_view_window_title(v->o.as, v->o.window, out);
	fprintf(out, "# memory over time: interval %.6f s; vsz/rss: highest in the "
		"interval, kinds: at its end; * peak\n",
		(double)mm_timeline_interval(v->tl) / 1e9);
	for (size_t i = 0; i < mm_timeline_nr_procs(v->tl); i++) {
		const struct mm_tl_proc *p = mm_timeline_proc(v->tl, i);
		if (!wanted(v, p))
			continue;
		fprintf(out, "\npid %d %s\n", p->tgid, p->comm);
		fprintf(out, "%10s %11s %11s %9s %9s %9s %9s %8s\n", "time", "vsz_kib", "rss_kib",
			"anon_kib", "file_kib", "shmem_kib", "swap_kib", "faults");
		each_row(v, p, text_row, out);
	}
}

static void json_row(const struct tview *v, const struct mm_tl_proc *p, const struct mm_tl_row *r,
		     unsigned pk, uint64_t idle_to, void *ctx)
{
	struct mm_json *j = ctx;
	(void)p;
	mm_json_object_begin(j, NULL);
	mm_json_fixed(j, "time", row_time(v, r), 6);
	mm_json_u64(j, "vsz_kib", r->vsz_max >> 10);
	mm_json_u64(j, "rss_kib", kib(r->rss_max));
	mm_json_u64(j, "anon_kib", kib(r->rss[MM_RSS_ANON]));
	mm_json_u64(j, "file_kib", kib(r->rss[MM_RSS_FILE]));
	mm_json_u64(j, "shmem_kib", kib(r->rss[MM_RSS_SHMEM]));
	mm_json_u64(j, "swap_kib", kib(r->rss[MM_RSS_SWAPENTS]));
	mm_json_u64(j, "faults", r->faults);
	mm_json_array_begin(j, "peak");
	if (pk & PK_VSZ)
		mm_json_str(j, NULL, "vsz");
	if (pk & PK_RSS)
		mm_json_str(j, NULL, "rss");
	if (pk & PK_FAULTS)
		mm_json_str(j, NULL, "faults");
	mm_json_array_end(j);
	if (idle_to)
		mm_json_fixed(j, "idle_until", k_time(v, idle_to), 6);
	mm_json_object_end(j);
}

static void print_json(const void *ctx, FILE *out)
{
	const struct tview *v = ctx;
	struct mm_json j;
	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "timeline");
	mm_view_json_lost(&j, &v->o);
	mm_json_fixed(&j, "interval", (double)mm_timeline_interval(v->tl) / 1e9, 6);
	mm_json_array_begin(&j, "processes");
	for (size_t i = 0; i < mm_timeline_nr_procs(v->tl); i++) {
		const struct mm_tl_proc *p = mm_timeline_proc(v->tl, i);
		if (!wanted(v, p))
			continue;
		struct mm_tl_peaks k = mm_tl_peaks_of(p);
		mm_json_object_begin(&j, NULL);
		mm_json_i64(&j, "pid", p->tgid);
		mm_json_str(&j, "comm", p->comm);
		mm_json_u64(&j, "peak_vsz_kib", p->rows[k.vsz].vsz_max >> 10);
		mm_json_u64(&j, "peak_rss_kib", kib(p->rows[k.rss].rss_max));
		mm_json_array_begin(&j, "rows");
		each_row(v, p, json_row, &j);
		mm_json_array_end(&j);
		mm_json_object_end(&j);
	}
	mm_json_array_end(&j);
	mm_json_object_end(&j);
	mm_json_finish(&j);
}

static void csv_row(const struct tview *v, const struct mm_tl_proc *p, const struct mm_tl_row *r,
		    unsigned pk, uint64_t idle_to, void *ctx)
{
	struct mm_csv *c = ctx;
	char peak[20];
	snprintf(peak, sizeof(peak), "%s%s%s", pk & PK_VSZ ? "vsz " : "",
		 pk & PK_RSS ? "rss " : "", pk & PK_FAULTS ? "faults " : "");
	if (*peak)
		peak[strlen(peak) - 1] = 0;
	mm_csv_i64(c, p->tgid);
	mm_csv_fixed(c, row_time(v, r), 6);
	mm_csv_u64(c, r->vsz_max >> 10);
	mm_csv_u64(c, kib(r->rss_max));
	mm_csv_u64(c, kib(r->rss[MM_RSS_ANON]));
	mm_csv_u64(c, kib(r->rss[MM_RSS_FILE]));
	mm_csv_u64(c, kib(r->rss[MM_RSS_SHMEM]));
	mm_csv_u64(c, kib(r->rss[MM_RSS_SWAPENTS]));
	mm_csv_u64(c, r->faults);
	mm_csv_str(c, peak);
	if (idle_to)
		mm_csv_fixed(c, k_time(v, idle_to), 6);
	else
		mm_csv_str(c, "");
	mm_csv_end_row(c);
}

static void print_csv(const void *ctx, FILE *out)
{
	const struct tview *v = ctx;
	static const char *const hdr[] = { "pid", "time", "vsz_kib", "rss_kib", "anon_kib",
		"file_kib", "shmem_kib", "swap_kib", "faults", "peak", "idle_until" };
	struct mm_csv c;
	mm_csv_init(&c, out);
	mm_view_csv_lost(&c, &v->o);
	mm_csv_header(&c, hdr, sizeof(hdr) / sizeof(hdr[0]));
	for (size_t i = 0; i < mm_timeline_nr_procs(v->tl); i++) {
		const struct mm_tl_proc *p = mm_timeline_proc(v->tl, i);
		if (wanted(v, p))
			each_row(v, p, csv_row, &c);
	}
}

static void *create(struct mm_file *file, const struct mm_report_opts *opts)
{
	struct tview *v = mm_calloc(1, sizeof(*v));
	(void)file;
	v->o = *opts;
	v->tl = mm_timeline_new(opts->as, opts->interval_ns);
	return v;
}

static void event(void *state, const struct mm_event *ev)
{
	struct tview *v = state;
	mm_timeline_event(v->tl, ev);
}

static int finish(void *state, FILE *out)
{
	struct tview *v = state;
	static const struct mm_view_printers print = { print_text, print_json, print_csv };
	if (v->o.window)
		mm_timeline_cut(v->tl, v->o.window->from_ts, v->o.window->to_ts);
	mm_timeline_finish(v->tl);
	return mm_view_print(out, v->o.output, &print, v, "timeline");
}

static void destroy(void *state)
{
	struct tview *v = state;
	if (!v)
		return;
	mm_timeline_free(v->tl);
	free(v);
}

const struct mm_view mm_view_timeline = {
	.name = "timeline", .uses_model = mm_view_uses_model, .create = create, .event = event,
	.finish = finish, .destroy = destroy,
};
