/*
 * report/overview.c - the page `memmon report` shows with no view flags:
 * one summary line per process, then each process's top regions by faults.
 * (cmd-report adds the short malloc findings, the trace summary and a hint
 * of the other views after it.)
 *
 * It is a view like the others (report/view.h) on the shared address-space
 * model, so every fact here is the one --regions prints in full: the
 * overview only chooses the few lines a newcomer should read first.
 *
 * JSON (--json with no other view): { "view": "overview", "processes": [
 *   { "pid", "comm", "exe", "exited", "lifetime", "regions", "faults":
 *     { "total", "anon", "file", "swap", "cow", "other" },
 *     "pages_touched", "syscalls": { NAME: COUNT, ... } } ] }
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/addrspace.h"
#include "report/json.h"
#include "report/overview.h"
#include "report/regions.h"

#define TOP_REGIONS 5

struct overview {
	struct mm_as *as;            /* the shared model (opts->as) */
	struct mm_report_opts o;
};

/* Totals of one process, summed over every region it ever had. */
struct proc_totals {
	uint64_t faults[MM_FAULT_NR];
	uint64_t nr_faults, touched;
	size_t regions;
};

static void *overview_create(struct mm_file *f, const struct mm_report_opts *o)
{
	struct overview *v = mm_calloc(1, sizeof(*v));
	(void)f;
	v->o = *o;
	v->as = o->as;
	return v;
}

static int add_region(void *ctx, struct mm_region *r)
{
	struct proc_totals *t = ctx;
	t->regions++;
	t->nr_faults += r->nr_faults;
	t->touched += r->nr_touched;
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			t->faults[c] += r->faults[c][a];
	return 0;
}

static void totals_of(const struct mm_as_proc *p, struct proc_totals *t)
{
	memset(t, 0, sizeof(*t));
	mm_as_foreach_region(p, add_region, t);
	t->nr_faults += p->nr_unknown;
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			t->faults[c] += p->unknown_faults[c][a];
}

static bool wanted(const struct overview *v, const struct mm_as_proc *p)
{
	return mm_proc_wanted(v->o.pids, v->o.nr_pids, v->as, p->tgid);
}

/* From its first event (a START snapshot may predate the trace) to exit. */
static double lifetime_s(const struct mm_as *as, const struct mm_as_proc *p)
{
	uint64_t begin = p->first_ts > mm_as_t0(as) ? p->first_ts : mm_as_t0(as);
	uint64_t end = p->exited ? p->exit_ts : 0;
	return end > begin ? (double)(end - begin) / 1e9 : 0.0;
}

/* "mmap 12, munmap 10, brk 3" for the calls made, most frequent first. */
static void calls_text(const uint64_t count[MM_SYS_NR], char *buf, size_t len)
{
	bool used[MM_SYS_NR] = { false };
	size_t n = 0;
	buf[0] = '\0';
	for (;;) {
		int best = -1;
		for (int i = 0; i < MM_SYS_NR; i++)
			if (!used[i] && count[i] && (best < 0 || count[i] > count[best]))
				best = i;
		if (best < 0 || n >= len)
			break;
		used[best] = true;
		n += snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "",
			      mm_syscall_name(best), (unsigned long long)count[best]);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

static void process_text(const struct overview *v, const struct mm_as_proc *p, FILE *out)
{
	struct proc_totals t;
	char calls[256];
	uint64_t kib = mm_as_page_size(v->as) / 1024;
	totals_of(p, &t);
	calls_text(p->nr_syscalls, calls, sizeof(calls));
	fprintf(out, "%d %s%s%s: %s %.6f s, %zu regions, %llu faults "
		"(anon %llu, file %llu, swap %llu, cow %llu, other %llu), "
		"%llu KiB first touched\n    memory syscalls: %s\n",
		p->tgid, p->comm[0] ? p->comm : "?", p->exe[0] ? " " : "", p->exe,
		p->exited ? "ran" : "still running after", lifetime_s(v->as, p), t.regions,
		(unsigned long long)t.nr_faults,
		(unsigned long long)t.faults[MM_FAULT_ANON], (unsigned long long)t.faults[MM_FAULT_FILE],
		(unsigned long long)t.faults[MM_FAULT_SWAP], (unsigned long long)t.faults[MM_FAULT_COW],
		(unsigned long long)t.faults[MM_FAULT_OTHER],
		(unsigned long long)(t.touched * kib), calls);
}

static void overview_text(const void *ctx, FILE *out)
{
	const struct overview *v = ctx;
	fputs("# processes\n", out);
	for (size_t i = 0; i < mm_as_nr_procs(v->as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(v->as, i);
		if (wanted(v, p))
			process_text(v, p, out);
	}
	fprintf(out, "\n# top regions by faults (at most %d per process; --regions shows all)\n",
		TOP_REGIONS);
	struct mm_regions_opts ro = {
		.output = MM_OUT_TEXT, .sort = MM_SORT_FAULTS, .pids = v->o.pids,
		.nr_pids = v->o.nr_pids, .limit = TOP_REGIONS, .at_end = true,
	};
	mm_regions_print(v->as, &ro, out);
}

static void process_json(const struct overview *v, const struct mm_as_proc *p,
			 struct mm_json *j)
{
	struct proc_totals t;
	totals_of(p, &t);
	mm_json_object_begin(j, NULL);
	mm_json_i64(j, "pid", p->tgid);
	mm_json_str(j, "comm", p->comm);
	mm_json_str(j, "exe", p->exe);
	mm_json_bool(j, "exited", p->exited);
	mm_json_fixed(j, "lifetime", lifetime_s(v->as, p), 6);
	mm_json_u64(j, "regions", t.regions);
	mm_json_object_begin(j, "faults");
	mm_json_u64(j, "total", t.nr_faults);
	for (int k = 0; k < MM_FAULT_NR; k++)
		mm_json_u64(j, mm_fault_class_name(k), t.faults[k]);
	mm_json_object_end(j);
	mm_json_u64(j, "pages_touched", t.touched);
	mm_json_object_begin(j, "syscalls");
	for (int k = 0; k < MM_SYS_NR; k++)
		if (p->nr_syscalls[k])
			mm_json_u64(j, mm_syscall_name(k), p->nr_syscalls[k]);
	mm_json_object_end(j);
	mm_json_object_end(j);
}

static void overview_json(const void *ctx, FILE *out)
{
	const struct overview *v = ctx;
	struct mm_json j;
	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "overview");
	mm_json_array_begin(&j, "processes");
	for (size_t i = 0; i < mm_as_nr_procs(v->as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(v->as, i);
		if (wanted(v, p))
			process_json(v, p, &j);
	}
	mm_json_array_end(&j);
	mm_json_finish(&j);
}

static int overview_finish(void *state, FILE *out)
{
	/* CSV: one JSON document is clearer */
	static const struct mm_view_printers print = { overview_text, overview_json, NULL };
	return mm_view_print(out, ((struct overview *)state)->o.output, &print, state, "report");
}

static void overview_destroy(void *state)
{
	struct overview *v = state;
	if (!v)
		return;
	free(v);
}

const struct mm_view mm_view_overview = {
	.name = "overview", .uses_model = mm_view_uses_model, .create = overview_create,
	.finish = overview_finish, .destroy = overview_destroy,
};
