/*
 * report/views/diff-view.c - `memmon diff A B`: two traces' profiles
 * (report/analyses/profile.h) side by side, process by process.
 *
 * Processes are matched by executable (the comm where the trace has no
 * exe) and order: the k-th "sort" of A is the k-th "sort" of B; the rest
 * are "only in A" / "only in B".  For each pair: faults in all, by class
 * and access, kernel-mode faults, each memory syscall, peak RSS and VSZ
 * (rows where both sides are 0 are left out), the groups of regions that
 * appeared, went or changed (made, bytes made, bytes at the end), and the
 * findings that appeared or went.
 *
 *   JSON: { "view": "diff", "a": FILE, "b": FILE, "processes": [ {
 *     "exe", "comm", "a_pid", "b_pid" (null: not in that trace),
 *     "counts": [ { "name", "a", "b", "delta" } ],
 *     "regions": [ { "key", "change" (appeared, gone, changed), "a_made",
 *                    "b_made", "a_bytes", "b_bytes", "a_end_bytes",
 *                    "b_end_bytes", "a_faults", "b_faults" } ],
 *     "findings_appeared": [ ID ], "findings_gone": [ ID ] } ] }
 * with the counts named "faults", "faults_anon_w" ... (class and access),
 * "kernel_faults", "syscall_mmap" ..., "peak_rss_bytes", "peak_vsz_bytes".
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/profile.h"
#include "report/views/diff-view.h"
#include "report/views/json.h"

#define NAME_LEN 48

/* One compared number: the rows of a pair, in print order. */
struct count {
	char name[NAME_LEN];         /* JSON key */
	char label[NAME_LEN];        /* text */
	uint64_t a, b;
};

struct pair {
	const struct mm_profile_proc *a, *b;   /* either may be NULL */
};

static const char *proc_key(const struct mm_profile_proc *p)
{
	return p->exe[0] ? p->exe : p->comm;
}

/* Pairs in A's order, then B's processes that matched none. */
static struct pair *match(const struct mm_profile *a, const struct mm_profile *b, size_t *n)
{
	struct pair *v = mm_calloc(a->nr + b->nr + 1, sizeof(*v));
	bool *used = mm_calloc(b->nr + 1, sizeof(*used));
	size_t k = 0;
	for (size_t i = 0; i < a->nr; i++) {
		v[k].a = &a->procs[i];
		for (size_t j = 0; j < b->nr; j++) {
			if (!used[j] && !strcmp(proc_key(&a->procs[i]), proc_key(&b->procs[j]))) {
				used[j] = true;
				v[k].b = &b->procs[j];
				break;
			}
		}
		k++;
	}
	for (size_t j = 0; j < b->nr; j++)
		if (!used[j])
			v[k++].b = &b->procs[j];
	free(used);
	*n = k;
	return v;
}

static const struct mm_profile_proc empty;

static void add(struct count *c, size_t *n, const char *name, const char *label,
		uint64_t a, uint64_t b)
{
	if (!a && !b)
		return;
	snprintf(c[*n].name, NAME_LEN, "%s", name);
	snprintf(c[*n].label, NAME_LEN, "%s", label);
	c[*n].a = a;
	c[*n].b = b;
	(*n)++;
}

#define MAX_COUNTS (4 + MM_FAULT_NR * MM_ACCESS_NR + MM_SYS_NR)

static size_t counts(const struct pair *p, struct count *c)
{
	static const char *const acc[MM_ACCESS_NR] = { "r", "w", "x" };
	const struct mm_profile_proc *a = p->a ? p->a : &empty, *b = p->b ? p->b : &empty;
	char name[NAME_LEN], label[NAME_LEN];
	size_t n = 0;
	add(c, &n, "faults", "faults", mm_profile_faults(a), mm_profile_faults(b));
	for (int k = 0; k < MM_FAULT_NR; k++) {
		for (int x = 0; x < MM_ACCESS_NR; x++) {
			snprintf(name, sizeof(name), "faults_%s_%s", mm_fault_class_name(k), acc[x]);
			snprintf(label, sizeof(label), "  %s %c", mm_fault_class_name(k), acc[x][0] - 32);
			add(c, &n, name, label, a->faults[k][x], b->faults[k][x]);
		}
	}
	add(c, &n, "kernel_faults", "  in kernel mode", a->kernel_faults, b->kernel_faults);
	for (int s = 0; s < MM_SYS_NR; s++) {
		snprintf(name, sizeof(name), "syscall_%s", mm_syscall_name(s));
		snprintf(label, sizeof(label), "%s()", mm_syscall_name(s));
		add(c, &n, name, label, a->syscalls[s], b->syscalls[s]);
	}
	add(c, &n, "peak_rss_bytes", "peak RSS (KiB)", a->peak_rss, b->peak_rss);
	add(c, &n, "peak_vsz_bytes", "peak VSZ (KiB)", a->peak_vsz, b->peak_vsz);
	return n;
}

/* Walk the two sorted region lists together: FN for each key that
 * differs (A or B NULL: only on the other side). */
typedef void (*region_fn)(void *ctx, const struct mm_profile_regions *a,
			  const struct mm_profile_regions *b);
static void region_changes(const struct pair *p, region_fn fn, void *ctx)
{
	const struct mm_profile_proc *a = p->a ? p->a : &empty, *b = p->b ? p->b : &empty;
	size_t i = 0, j = 0;
	while (i < a->nr_regions || j < b->nr_regions) {
		int c = i == a->nr_regions ? 1 : j == b->nr_regions ? -1 :
			strcmp(a->regions[i].key, b->regions[j].key);
		const struct mm_profile_regions *ra = c <= 0 ? &a->regions[i++] : NULL;
		const struct mm_profile_regions *rb = c >= 0 ? &b->regions[j++] : NULL;
		if (ra && rb && ra->made == rb->made && ra->bytes == rb->bytes &&
		    ra->end_bytes == rb->end_bytes && ra->faults == rb->faults)
			continue;
		fn(ctx, ra, rb);
	}
}

static bool has(char *const *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], id))
			return true;
	return false;
}

/* ---- text ---- */

static void text_delta(FILE *out, uint64_t a, uint64_t b)
{
	if (a == b)
		fputs("         0", out);
	else
		fprintf(out, " %+10" PRId64, (int64_t)(b - a));
}

static void text_region(void *ctx, const struct mm_profile_regions *a,
			const struct mm_profile_regions *b)
{
	FILE *out = ctx;
	if (!a) {
		fprintf(out, "  + %s: %" PRIu64 " made, %" PRIu64 " KiB, %" PRIu64 " faults (appeared)\n",
			b->key, b->made, b->bytes / 1024, b->faults);
	} else if (!b) {
		fprintf(out, "  - %s: %" PRIu64 " made, %" PRIu64 " KiB, %" PRIu64 " faults (gone)\n",
			a->key, a->made, a->bytes / 1024, a->faults);
	} else {
		fprintf(out, "  ~ %s: made %" PRIu64 " -> %" PRIu64 ", %" PRIu64 " -> %" PRIu64
			" KiB, at the end %" PRIu64 " -> %" PRIu64 " KiB, faults %" PRIu64 " -> %"
			PRIu64 "\n", a->key, a->made, b->made, a->bytes / 1024, b->bytes / 1024,
			a->end_bytes / 1024, b->end_bytes / 1024, a->faults, b->faults);
	}
}

static void text_findings(FILE *out, const struct mm_profile_proc *x,
			  const struct mm_profile_proc *y, char sign, const char *what)
{
	for (size_t i = 0; x && i < x->nr_findings; i++)
		if (!y || !has(y->findings, y->nr_findings, x->findings[i]))
			fprintf(out, "  %c %s (%s)\n", sign, x->findings[i], what);
}

static void text_pair(FILE *out, const struct pair *p)
{
	const struct mm_profile_proc *any = p->a ? p->a : p->b;
	struct count c[MAX_COUNTS];
	size_t n = counts(p, c);
	char pa[16] = "-", pb[16] = "-";
	if (p->a)
		snprintf(pa, sizeof(pa), "%d", (int)p->a->tgid);
	if (p->b)
		snprintf(pb, sizeof(pb), "%d", (int)p->b->tgid);
	fprintf(out, "\nprocess %s%s%s%s: pid %s -> %s%s\n", any->comm[0] ? any->comm : "?",
		any->exe[0] ? " (" : "", any->exe, any->exe[0] ? ")" : "", pa, pb,
		!p->a ? " (only in B)" : !p->b ? " (only in A)" : "");
	fprintf(out, "  %-22s %12s %12s %10s\n", "", "A", "B", "delta");
	for (size_t i = 0; i < n; i++) {
		bool kib = strstr(c[i].name, "_bytes") != NULL;
		uint64_t a = kib ? c[i].a / 1024 : c[i].a, b = kib ? c[i].b / 1024 : c[i].b;
		fprintf(out, "  %-22s %12" PRIu64 " %12" PRIu64, c[i].label, a, b);
		text_delta(out, a, b);
		fputc('\n', out);
	}
	fputs(" regions (backing name: made, KiB made, KiB at the end, faults)\n", out);
	region_changes(p, text_region, out);
	fputs(" findings\n", out);
	text_findings(out, p->b, p->a, '+', "appeared");
	text_findings(out, p->a, p->b, '-', "gone");
}

/* ---- JSON ---- */

static void json_pid(struct mm_json *j, const char *key, const struct mm_profile_proc *p)
{
	if (p)
		mm_json_i64(j, key, p->tgid);
	else
		mm_json_null(j, key);
}

static void json_region(void *ctx, const struct mm_profile_regions *a,
			const struct mm_profile_regions *b)
{
	struct mm_json *j = ctx;
	static const struct mm_profile_regions none;
	mm_json_object_begin(j, NULL);
	mm_json_str(j, "key", (a ? a : b)->key);
	mm_json_str(j, "change", !a ? "appeared" : !b ? "gone" : "changed");
	a = a ? a : &none;
	b = b ? b : &none;
	mm_json_u64(j, "a_made", a->made);
	mm_json_u64(j, "b_made", b->made);
	mm_json_u64(j, "a_bytes", a->bytes);
	mm_json_u64(j, "b_bytes", b->bytes);
	mm_json_u64(j, "a_end_bytes", a->end_bytes);
	mm_json_u64(j, "b_end_bytes", b->end_bytes);
	mm_json_u64(j, "a_faults", a->faults);
	mm_json_u64(j, "b_faults", b->faults);
	mm_json_object_end(j);
}

static void json_findings(struct mm_json *j, const char *key, const struct mm_profile_proc *x,
			  const struct mm_profile_proc *y)
{
	mm_json_array_begin(j, key);
	for (size_t i = 0; x && i < x->nr_findings; i++)
		if (!y || !has(y->findings, y->nr_findings, x->findings[i]))
			mm_json_str(j, NULL, x->findings[i]);
	mm_json_array_end(j);
}

static void json_pair(struct mm_json *j, const struct pair *p)
{
	const struct mm_profile_proc *any = p->a ? p->a : p->b;
	struct count c[MAX_COUNTS];
	size_t n = counts(p, c);
	mm_json_object_begin(j, NULL);
	mm_json_str(j, "exe", any->exe);
	mm_json_str(j, "comm", any->comm);
	json_pid(j, "a_pid", p->a);
	json_pid(j, "b_pid", p->b);
	mm_json_array_begin(j, "counts");
	for (size_t i = 0; i < n; i++) {
		mm_json_object_begin(j, NULL);
		mm_json_str(j, "name", c[i].name);
		mm_json_u64(j, "a", c[i].a);
		mm_json_u64(j, "b", c[i].b);
		mm_json_i64(j, "delta", (int64_t)(c[i].b - c[i].a));
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
	mm_json_array_begin(j, "regions");
	region_changes(p, json_region, j);
	mm_json_array_end(j);
	json_findings(j, "findings_appeared", p->b, p->a);
	json_findings(j, "findings_gone", p->a, p->b);
	mm_json_object_end(j);
}

int mm_diff_print(FILE *out, bool json, const char *a_name, const struct mm_profile *a,
		  const char *b_name, const struct mm_profile *b)
{
	size_t n;
	struct pair *v = match(a, b, &n);
	if (json) {
		struct mm_json j;
		mm_json_init(&j, out);
		mm_json_object_begin(&j, NULL);
		mm_json_str(&j, "view", "diff");
		mm_json_str(&j, "a", a_name);
		mm_json_str(&j, "b", b_name);
		mm_json_array_begin(&j, "processes");
		for (size_t i = 0; i < n; i++)
			json_pair(&j, &v[i]);
		mm_json_finish(&j);
	} else {
		fprintf(out, "# memmon diff: A %s, B %s (processes matched by executable and "
			"order)\n", a_name, b_name);
		for (size_t i = 0; i < n; i++)
			text_pair(out, &v[i]);
	}
	free(v);
	if (fflush(out) || ferror(out))
		return mm_error_errno("cannot write the diff");
	return 0;
}
