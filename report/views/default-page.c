/*
 * report/views/default-page.c - the page `memmon report` shows with no
 * view flags: one summary line per process, then each process's top
 * regions by faults.
 * (cmd-report adds the short malloc findings, the trace summary and a hint
 * of the other views after it.)
 *
 * It is a view like the others (report/views/view.h) on the shared
 * address-space model, so every fact here is the one --regions prints in
 * full: the overview only chooses the few lines a newcomer should read
 * first.  The per-process totals are computed in report/analyses/regions.c.
 *
 * JSON (--json with no other view): { "view": "overview", "processes": [
 *   { "pid", "comm", "exe", "exited", "lifetime", "exit_status" (when
 *     known), "killed_by" ("SIGSEGV", when so), "attached" (record -p),
 *     "age_at_attach" (s), "regions", "faults":
 *     { "total", "anon", "file", "swap", "cow", "other" },
 *     "pages_touched", "syscalls": { NAME: COUNT, ... } } ] }
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "plugins/symbolic.h"
#include "report/analyses/regions.h"
#include "report/model/addrspace.h"
#include "report/views/json.h"
#include "report/views/regions-view.h"
#include "report/views/view.h"

#define TOP_REGIONS 5

struct overview {
	struct mm_as *as;            /* the shared model (opts->as) */
	struct mm_report_opts o;
};

static void *overview_create(struct mm_file *f, const struct mm_report_opts *o)
{
	struct overview *v = mm_calloc(1, sizeof(*v));
	(void)f;
	v->o = *o;
	v->as = o->as;
	return v;
}

static bool wanted(const struct overview *v, const struct mm_as_proc *p)
{
	return mm_proc_wanted(v->o.pids, v->o.nr_pids, v->as, p->tgid);
}

/* "mmap 12, munmap 10, brk 3" for the calls made, most frequent first. */
static void calls_text(const struct mm_as_proc *p, char *buf, size_t len)
{
	int order[MM_SYS_NR];
	size_t nr = mm_proc_calls_by_count(p, order), n = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < nr && n < len; k++)
		n += snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "",
			      mm_syscall_name(order[k]), (unsigned long long)p->nr_syscalls[order[k]]);
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* "ran 0.04 s", "still running after 2.1 s", "attached 12.30 s after its
 * start, recorded 1.000 s" */
static void life_text(const struct overview *v, const struct mm_as_proc *p, char *buf, size_t len)
{
	double life = mm_proc_lifetime_s(v->as, p);
	if (p->attached && p->have_age)
		snprintf(buf, len, "attached %.2f s after its start, recorded %.6f s", p->age_s, life);
	else if (p->attached)
		snprintf(buf, len, "attached, recorded %.6f s", life);
	else
		snprintf(buf, len, "%s %.6f s", p->exited ? "ran" : "still running after", life);
}

static void process_text(const struct overview *v, const struct mm_as_proc *p, FILE *out)
{
	struct mm_proc_totals t;
	char calls[256], life[128], ending[64];
	uint64_t kib = mm_as_page_size(v->as) / 1024;
	mm_proc_totals(p, &t);
	calls_text(p, calls, sizeof(calls));
	life_text(v, p, life, sizeof(life));
	mm_proc_ending(p, ending, sizeof(ending));
	fprintf(out, "%d %s%s%s: %s, %zu regions, %llu faults "
		"(anon %llu, file %llu, swap %llu, cow %llu, other %llu), "
		"%llu KiB first touched, %s\n    memory syscalls: %s\n",
		p->tgid, p->comm[0] ? p->comm : "?", p->exe[0] ? " " : "", p->exe,
		life, t.regions,
		(unsigned long long)t.nr_faults,
		(unsigned long long)t.faults[MM_FAULT_ANON], (unsigned long long)t.faults[MM_FAULT_FILE],
		(unsigned long long)t.faults[MM_FAULT_SWAP], (unsigned long long)t.faults[MM_FAULT_COW],
		(unsigned long long)t.faults[MM_FAULT_OTHER],
		(unsigned long long)(t.touched * kib), ending, calls);
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
	struct mm_proc_totals t;
	mm_proc_totals(p, &t);
	mm_json_object_begin(j, NULL);
	mm_json_i64(j, "pid", p->tgid);
	mm_json_str(j, "comm", p->comm);
	mm_json_str(j, "exe", p->exe);
	mm_json_bool(j, "exited", p->exited);
	mm_json_fixed(j, "lifetime", mm_proc_lifetime_s(v->as, p), 6);
	if (p->have_exit_code)
		mm_json_i64(j, "exit_status", p->exit_code);
	if (p->killed_by) {
		char sig[32];
		*mm_sym_signal(sig, p->killed_by) = '\0';
		mm_json_str(j, "killed_by", sig);
	}
	mm_json_bool(j, "attached", p->attached);
	if (p->attached && p->have_age)
		mm_json_fixed(j, "age_at_attach", p->age_s, 2);
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
	mm_view_json_lost(&j, &v->o);
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
