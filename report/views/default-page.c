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
 * A trace of many processes (a build, a shell script) shows the command's
 * process and the 7 with the most faults in full, and one line per program
 * for the rest ("40 x bash /usr/bin/bash: 3112 faults ..."); --pid shows
 * any of them in full, --json lists them all.
 *
 * JSON (--json with no other view): { "view": "overview", "processes": [
 *   { "pid", "comm", "exe", "exited", "lifetime", "exit_status" (when
 *     known), "killed_by" ("SIGSEGV", when so), "attached" (record -p),
 *     "age_at_attach" (s), "regions", "faults":
 *     { "total", "anon", "file", "swap", "cow", "other", "kernel" },
 *     "kernel_faults": [ { "syscall", "region", "faults", "pages" } ],
 *     "pages_touched", "resident_kb", "vmrss_end_kb", "populated_kb",
 *     "reclaimed_kb", "syscalls": { NAME: COUNT, ... }, "watched": [ { "from",
 *     "to" (null: to the end), "joined" (start, fork, watch), "left"
 *     (exit, watch, end), "pause_us" } ] } ] }
 * kernel_faults: the kernel-mode faults by syscall ("read"; null when not
 * known) and region label (null: outside every region), most first;
 * resident_kb: the model's estimate now or at exit; vmrss_end_kb: VmRSS of
 * the END status snapshot (null: none).
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
/* A page of more processes than SHOWN_PROCS + ROLLUP_MIN - 1 shows
 * SHOWN_PROCS of them (the first, the command, and those with the most
 * faults) and one line per program for the rest. */
#define SHOWN_PROCS 8
#define ROLLUP_MIN  3
#define MAX_ENDINGS 3       /* distinct endings named per rolled-up program */
#define TOP_KERNEL_CALLS 3

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

static int kf_cmp(const void *a, const void *b)
{
	const struct mm_kernel_faults *x = a, *y = b;
	if (x->faults != y->faults)
		return x->faults > y->faults ? -1 : 1;
	return x->sys - y->sys;
}

/* P's kernel-mode faults by syscall and region, most first (caller frees). */
static struct mm_kernel_faults *kernel_faults_sorted(const struct mm_as_proc *p)
{
	struct mm_kernel_faults *k = mm_malloc((p->nr_kfaults + 1) * sizeof(*k));
	if (p->nr_kfaults) {	/* kfaults is NULL without any: memcpy from NULL is UB */
		memcpy(k, p->kfaults, p->nr_kfaults * sizeof(*k));
		qsort(k, p->nr_kfaults, sizeof(*k), kf_cmp);
	}
	return k;
}

static const char *kf_region(const struct mm_kernel_faults *k)
{
	return !k->label ? "(outside every region)" : k->label[0] ? k->label : "[anon]";
}

/* "    kernel-mode faults: 9846 - read() faulted in 9843 pages of [heap]; ..." */
static void kernel_text(const struct mm_as_proc *p, FILE *out)
{
	if (!p->nr_kfaults)
		return;
	struct mm_kernel_faults *k = kernel_faults_sorted(p);
	fprintf(out, "    kernel-mode faults: %llu -", (unsigned long long)p->kernel_faults);
	for (size_t i = 0; i < p->nr_kfaults && i < TOP_KERNEL_CALLS; i++) {
		const char *call = mm_syscall_raw_name(k[i].sys);
		fprintf(out, "%s %s%s ", i ? ";" : "", call ? call : "the kernel in a call not traced",
			call ? "()" : "");
		if (k[i].pages)
			fprintf(out, "faulted in %llu page%s of %s", (unsigned long long)k[i].pages,
				k[i].pages == 1 ? "" : "s", kf_region(&k[i]));
		else
			fprintf(out, "took %llu fault%s on %s, mapping no new page",
				(unsigned long long)k[i].faults, k[i].faults == 1 ? "" : "s",
				kf_region(&k[i]));
	}
	if (p->nr_kfaults > TOP_KERNEL_CALLS)
		fprintf(out, "; %zu more (--json lists them)", p->nr_kfaults - TOP_KERNEL_CALLS);
	fputc('\n', out);
	free(k);
}

/* "    resident: 12568 KiB at exit (VmRSS 12568 kB); 256 KiB mapped by
 * syscalls without a fault; 48 KiB taken by the kernel" */
static void resident_text(const struct overview *v, const struct mm_as_proc *p, FILE *out)
{
	uint64_t kib = mm_as_page_size(v->as) / 1024;
	if (!p->have_rss && p->vmrss_end_kb < 0)
		return;
	fprintf(out, "    resident: %llu KiB %s", (unsigned long long)(mm_as_resident_pages(p) * kib),
		p->exited ? "at exit" : "at the end of the trace");
	if (p->vmrss_end_kb >= 0)
		fprintf(out, " (the kernel's VmRSS: %lld kB)", (long long)p->vmrss_end_kb);
	if (p->pages_populated)
		fprintf(out, "; %llu KiB mapped by syscalls without a fault of their own",
			(unsigned long long)(p->pages_populated * kib));
	if (p->pages_reclaimed)
		fprintf(out, "; %llu KiB taken back by the kernel (reclaim, no syscall)",
			(unsigned long long)(p->pages_reclaimed * kib));
	fputc('\n', out);
}

/* "    watched: 0.000000-0.823352 s (start to watch), from 1.162489 s
 * (watch to end)", for a process memmon watch took in or out. */
static void watched_text(const struct overview *v, const struct mm_as_proc *p, FILE *out)
{
	if (!p->watch_changed)
		return;
	fputs("    watched:", out);
	for (size_t i = 0; i < p->nr_watched; i++) {
		const struct mm_watch_span *w = &p->watched[i];
		if (w->left != MM_WHY_END)
			fprintf(out, "%s %.6f-%.6f s", i ? "," : "", mm_as_rel_s(v->as, w->from),
				mm_as_rel_s(v->as, w->to));
		else
			fprintf(out, "%s from %.6f s", i ? "," : "", mm_as_rel_s(v->as, w->from));
		fprintf(out, " (%s to %s%s)", mm_watch_why_name(w->joined), mm_watch_why_name(w->left),
			w->pause_us ? ", tracing off a moment as it joined" : "");
	}
	fputc('\n', out);
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
	char unknown[40] = "";    /* only where a trace could not tell (before 6.2) */
	if (t.faults[MM_FAULT_UNKNOWN])
		snprintf(unknown, sizeof(unknown), ", unknown %llu",
			 (unsigned long long)t.faults[MM_FAULT_UNKNOWN]);
	fprintf(out, "%d %s%s%s: %s, %zu regions, %llu faults "
		"(anon %llu, file %llu, swap %llu, cow %llu, other %llu%s), "
		"%llu KiB first touched, %s\n    memory syscalls: %s\n",
		p->tgid, p->comm[0] ? p->comm : "?", p->exe[0] ? " " : "", p->exe,
		life, t.regions,
		(unsigned long long)t.nr_faults,
		(unsigned long long)t.faults[MM_FAULT_ANON], (unsigned long long)t.faults[MM_FAULT_FILE],
		(unsigned long long)t.faults[MM_FAULT_SWAP], (unsigned long long)t.faults[MM_FAULT_COW],
		(unsigned long long)t.faults[MM_FAULT_OTHER], unknown,
		(unsigned long long)(t.touched * kib), ending, calls);
	kernel_text(p, out);
	resident_text(v, p, out);
	watched_text(v, p, out);
}

/* The processes of the page, in order of appearance; *SHOWN gets how many
 * come first in full (the rest are rolled up).  The array is the caller's
 * to free. */
static struct mm_as_proc **page_procs(const struct overview *v, size_t *n, size_t *shown)
{
	struct mm_as_proc **all = mm_calloc(mm_as_nr_procs(v->as) + 1, sizeof(*all));
	size_t nr = 0;
	for (size_t i = 0; i < mm_as_nr_procs(v->as); i++)
		if (wanted(v, mm_as_proc_at(v->as, i)))
			all[nr++] = mm_as_proc_at(v->as, i);
	*n = nr;
	*shown = nr;
	if (v->o.nr_pids || nr < SHOWN_PROCS + ROLLUP_MIN)
		return all;
	/* the first, then the most faults: mark them, keep their order */
	bool *mark = mm_calloc(nr, sizeof(*mark));
	uint64_t *faults = mm_calloc(nr, sizeof(*faults));
	for (size_t i = 0; i < nr; i++) {
		struct mm_proc_totals t;
		mm_proc_totals(all[i], &t);
		faults[i] = t.nr_faults;
	}
	mark[0] = true;
	for (size_t k = 1; k < SHOWN_PROCS; k++) {
		size_t best = nr;
		for (size_t i = 1; i < nr; i++)
			if (!mark[i] && (best == nr || faults[i] > faults[best]))
				best = i;
		mark[best] = true;
	}
	struct mm_as_proc **order = mm_calloc(nr + 1, sizeof(*order));
	size_t a = 0, b = SHOWN_PROCS;
	for (size_t i = 0; i < nr; i++)
		order[mark[i] ? a++ : b++] = all[i];
	free(mark);
	free(faults);
	free(all);
	*shown = SHOWN_PROCS;
	return order;
}

/* One rolled-up program: how many processes ran it, their totals, and how
 * they ended. */
struct rollup {
	const char *comm, *exe;
	size_t count;
	struct mm_proc_totals t;
	char ending[MAX_ENDINGS][64];
	size_t ending_n[MAX_ENDINGS], nr_endings, other_endings;
};

static void rollup_add(struct rollup *r, const struct mm_as_proc *p)
{
	struct mm_proc_totals t;
	char ending[64];
	mm_proc_totals(p, &t);
	r->count++;
	r->t.nr_faults += t.nr_faults;
	r->t.touched += t.touched;
	for (int k = 0; k < MM_FAULT_NR; k++)
		r->t.faults[k] += t.faults[k];
	mm_proc_ending(p, ending, sizeof(ending));
	for (size_t k = 0; k < r->nr_endings; k++)
		if (!strcmp(r->ending[k], ending)) {
			r->ending_n[k]++;
			return;
		}
	if (r->nr_endings == MAX_ENDINGS) {
		r->other_endings++;
		return;
	}
	snprintf(r->ending[r->nr_endings], sizeof(r->ending[0]), "%s", ending);
	r->ending_n[r->nr_endings++] = 1;
}

static int rollup_cmp(const void *a, const void *b)
{
	const struct rollup *x = a, *y = b;
	if (x->t.nr_faults != y->t.nr_faults)
		return x->t.nr_faults > y->t.nr_faults ? -1 : 1;
	return x->count > y->count ? -1 : x->count < y->count;
}

/* "40 x bash /usr/bin/bash: 3112 faults (...), 9344 KiB first touched;
 * 39 exit status 0, 1 killed by SIGPIPE" for the processes P[0..N). */
static void rollup_text(const struct overview *v, struct mm_as_proc **p, size_t n, FILE *out)
{
	struct rollup *r = mm_calloc(n, sizeof(*r));
	size_t nr = 0;
	uint64_t kib = mm_as_page_size(v->as) / 1024;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < nr && (strcmp(r[k].exe, p[i]->exe) ||
				  (!p[i]->exe[0] && strcmp(r[k].comm, p[i]->comm))))
			k++;
		if (k == nr) {
			r[nr].comm = p[i]->comm;
			r[nr++].exe = p[i]->exe;
		}
		rollup_add(&r[k], p[i]);
	}
	qsort(r, nr, sizeof(*r), rollup_cmp);
	fprintf(out, "# and %zu more processes, by program (--pid PID shows one in full, "
		"--json lists them all):\n", n);
	for (size_t k = 0; k < nr; k++) {
		const struct mm_proc_totals *t = &r[k].t;
		fprintf(out, "%zu x %s%s%s: %llu faults (anon %llu, file %llu, swap %llu, cow %llu, "
			"other %llu), %llu KiB first touched; ", r[k].count,
			r[k].comm[0] ? r[k].comm : "?", r[k].exe[0] ? " " : "", r[k].exe,
			(unsigned long long)t->nr_faults,
			(unsigned long long)t->faults[MM_FAULT_ANON],
			(unsigned long long)t->faults[MM_FAULT_FILE],
			(unsigned long long)t->faults[MM_FAULT_SWAP],
			(unsigned long long)t->faults[MM_FAULT_COW],
			(unsigned long long)t->faults[MM_FAULT_OTHER],
			(unsigned long long)(t->touched * kib));
		for (size_t e = 0; e < r[k].nr_endings; e++)
			fprintf(out, "%s%zu %s", e ? ", " : "", r[k].ending_n[e], r[k].ending[e]);
		if (r[k].other_endings)
			fprintf(out, ", %zu otherwise", r[k].other_endings);
		fputc('\n', out);
	}
	free(r);
}

static void overview_text(const void *ctx, FILE *out)
{
	const struct overview *v = ctx;
	size_t n, shown;
	struct mm_as_proc **procs = page_procs(v, &n, &shown);
	fputs("# processes\n", out);
	for (size_t i = 0; i < shown; i++)
		process_text(v, procs[i], out);
	if (shown < n)
		rollup_text(v, procs + shown, n - shown, out);
	fprintf(out, "\n# top regions by faults (at most %d per process; --regions shows all)\n",
		TOP_REGIONS);
	struct mm_regions_opts ro = {
		.output = MM_OUT_TEXT, .sort = MM_SORT_FAULTS, .pids = v->o.pids,
		.nr_pids = v->o.nr_pids, .limit = TOP_REGIONS, .at_end = true,
	};
	/* the regions of the processes shown in full only */
	int32_t *tgids = NULL;
	if (shown < n) {
		tgids = mm_calloc(shown, sizeof(*tgids));
		for (size_t i = 0; i < shown; i++)
			tgids[i] = procs[i]->tgid;
		ro.pids = tgids;
		ro.nr_pids = shown;
	}
	mm_regions_print(v->as, &ro, out);
	free(tgids);
	free(procs);
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
	mm_json_u64(j, "kernel", p->kernel_faults);
	mm_json_object_end(j);
	struct mm_kernel_faults *kf = kernel_faults_sorted(p);
	mm_json_array_begin(j, "kernel_faults");
	for (size_t i = 0; i < p->nr_kfaults; i++) {
		mm_json_object_begin(j, NULL);
		mm_json_str(j, "syscall", mm_syscall_raw_name(kf[i].sys));
		mm_json_str(j, "region", kf[i].label);
		mm_json_u64(j, "faults", kf[i].faults);
		mm_json_u64(j, "pages", kf[i].pages);
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
	free(kf);
	mm_json_u64(j, "pages_touched", t.touched);
	uint64_t kib = mm_as_page_size(v->as) / 1024;
	mm_json_u64(j, "resident_kb", mm_as_resident_pages(p) * kib);
	if (p->vmrss_end_kb >= 0)
		mm_json_i64(j, "vmrss_end_kb", p->vmrss_end_kb);
	else
		mm_json_null(j, "vmrss_end_kb");
	mm_json_u64(j, "populated_kb", p->pages_populated * kib);
	mm_json_u64(j, "reclaimed_kb", p->pages_reclaimed * kib);
	mm_json_object_begin(j, "syscalls");
	for (int k = 0; k < MM_SYS_NR; k++)
		if (p->nr_syscalls[k])
			mm_json_u64(j, mm_syscall_name(k), p->nr_syscalls[k]);
	mm_json_object_end(j);
	mm_json_array_begin(j, "watched");
	for (size_t i = 0; i < p->nr_watched; i++) {
		const struct mm_watch_span *w = &p->watched[i];
		mm_json_object_begin(j, NULL);
		mm_json_fixed(j, "from", mm_as_rel_s(v->as, w->from), 6);
		if (w->left == MM_WHY_END)
			mm_json_null(j, "to");
		else
			mm_json_fixed(j, "to", mm_as_rel_s(v->as, w->to), 6);
		mm_json_str(j, "joined", mm_watch_why_name(w->joined));
		mm_json_str(j, "left", mm_watch_why_name(w->left));
		mm_json_u64(j, "pause_us", w->pause_us);
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
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
