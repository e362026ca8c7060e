/*
 * report/context-view.c - `--context`: the start and end snapshots side by
 * side (zones, buddy free lists, meminfo, each process's Vm* lines at start,
 * exec and end).  Everything is read from the file's snapshots when the
 * view is created; the event stream is not needed.
 *   JSON: {"view": "context", "zones": [{"node", "zone", "spanned", "present",
 *          "managed", "free_start", "free_end"}], "buddy": [{"node", "zone",
 *          "start": [N per order], "end": [...]}], "meminfo": [{"name",
 *          "start", "end"}], "processes": [{"pid", "start": {"VmPeak": kB,
 *          ...}, "exec": {...}, "end": {...}}]}}   (null: not in the snapshot)
 *   CSV:  section,pid,name,start,exec,end
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/reader.h"
#include "report/context.h"
#include "report/json.h"

enum { S0, S1 };                 /* start, end snapshots of the machine */
#define NPH 3                    /* process phases: start, exec, end */

struct cproc {
	int32_t pid;
	bool have[NPH];
	uint64_t vm[NPH][MM_VM_NR];
};

struct cview {
	struct mm_report_opts o;
	bool have_zone[2], have_buddy[2], have_mem[2];
	struct mm_ctx_zone zone[2][MM_CTX_MAX_ZONES];
	size_t nz[2];
	struct mm_ctx_buddy buddy[2][MM_CTX_MAX_ZONES];
	size_t nb[2];
	struct mm_ctx_kv mem[2][MM_CTX_MAX_MEMINFO];
	size_t nm[2];
	struct cproc *procs;
	size_t nr_procs;
};

static struct cproc *proc_get(struct cview *v, int32_t pid)
{
	for (size_t i = 0; i < v->nr_procs; i++)
		if (v->procs[i].pid == pid)
			return &v->procs[i];
	v->procs = mm_realloc(v->procs, (v->nr_procs + 1) * sizeof(*v->procs));
	struct cproc *p = &v->procs[v->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

/* START and EXEC keep the first snapshot, END the last. */
static void add_snapshot(struct cview *v, const struct mm_snapshot *s)
{
	int side = s->phase == MM_PHASE_END ? S1 : S0;
	if (s->kind == MM_SNAP_STATUS) {
		struct cproc *p = proc_get(v, (int32_t)s->pid);
		unsigned ph = s->phase < NPH ? s->phase : MM_PHASE_END;
		if (!p->have[ph] || ph == MM_PHASE_END)
			p->have[ph] = mm_ctx_parse_status(s->text, p->vm[ph]) > 0;
	} else if (s->kind == MM_SNAP_MEMINFO && (side == S1 || !v->have_mem[S0])) {
		v->nm[side] = mm_ctx_parse_meminfo(s->text, v->mem[side], MM_CTX_MAX_MEMINFO);
		v->have_mem[side] = true;
	} else if (s->kind == MM_SNAP_ZONEINFO && (side == S1 || !v->have_zone[S0])) {
		v->nz[side] = mm_ctx_parse_zoneinfo(s->text, v->zone[side], MM_CTX_MAX_ZONES);
		v->have_zone[side] = true;
	} else if (s->kind == MM_SNAP_BUDDYINFO && (side == S1 || !v->have_buddy[S0])) {
		v->nb[side] = mm_ctx_parse_buddyinfo(s->text, v->buddy[side], MM_CTX_MAX_ZONES);
		v->have_buddy[side] = true;
	}
}

static bool wanted(const struct cview *v, int32_t pid)
{
	return mm_pid_wanted(v->o.pids, v->o.nr_pids, pid);
}

static const struct mm_ctx_zone *zone_match(const struct cview *v, int side,
					    const struct mm_ctx_zone *z)
{
	for (size_t i = 0; i < v->nz[side]; i++)
		if (v->zone[side][i].node == z->node && !strcmp(v->zone[side][i].name, z->name))
			return &v->zone[side][i];
	return NULL;
}

static const struct mm_ctx_buddy *buddy_match(const struct cview *v, int side,
					      const struct mm_ctx_buddy *b)
{
	for (size_t i = 0; i < v->nb[side]; i++)
		if (v->buddy[side][i].node == b->node && !strcmp(v->buddy[side][i].zone, b->zone))
			return &v->buddy[side][i];
	return NULL;
}

static uint64_t mem_value(const struct cview *v, int side, const char *name)
{
	for (size_t i = 0; i < v->nm[side]; i++)
		if (!strcmp(v->mem[side][i].name, name))
			return v->mem[side][i].value;
	return MM_CTX_NONE;
}

/* A value or "-" in a column of WIDTH. */
static void col(FILE *out, int width, uint64_t x)
{
	if (x == MM_CTX_NONE)
		fprintf(out, " %*s", width, "-");
	else
		fprintf(out, " %*" PRIu64, width, x);
}

static void col_delta(FILE *out, int width, uint64_t a, uint64_t b)
{
	if (a == MM_CTX_NONE || b == MM_CTX_NONE)
		fprintf(out, " %*s", width, "-");
	else
		fprintf(out, " %+*" PRId64, width, (int64_t)(b - a));
}

/* The side that has the table: start, else end (-1: neither). */
static int base_side(const bool have[2]) { return have[S0] ? S0 : have[S1] ? S1 : -1; }

static void text_zones(const struct cview *v, FILE *out)
{
	int s = base_side(v->have_zone);
	fprintf(out, "\nzones (pages)    %9s %9s %9s %11s %11s %9s\n", "spanned", "present",
		"managed", "free@start", "free@end", "delta");
	if (s < 0)
		fprintf(out, "(no zoneinfo snapshot)\n");
	for (size_t i = 0; s >= 0 && i < v->nz[s]; i++) {
		const struct mm_ctx_zone *z = &v->zone[s][i];
		const struct mm_ctx_zone *a = zone_match(v, S0, z), *b = zone_match(v, S1, z);
		uint64_t fa = a ? a->free : MM_CTX_NONE, fb = b ? b->free : MM_CTX_NONE;
		fprintf(out, "node %-3d %-7s", z->node, z->name);
		col(out, 9, z->spanned);
		col(out, 9, z->present);
		col(out, 9, z->managed);
		col(out, 11, fa);
		col(out, 11, fb);
		col_delta(out, 9, fa, fb);
		fputc('\n', out);
	}
}

static void text_buddy_row(FILE *out, const char *label, const struct mm_ctx_buddy *b,
			   unsigned orders)
{
	fprintf(out, "  %-14s", label);
	for (unsigned k = 0; k < orders; k++)
		col(out, 6, b && k < b->nr_orders ? b->count[k] : MM_CTX_NONE);
	fputc('\n', out);
}

static void text_buddy(const struct cview *v, FILE *out)
{
	int s = base_side(v->have_buddy);
	fprintf(out, "\nbuddy free blocks per order\n");
	if (s < 0)
		fprintf(out, "(no buddyinfo snapshot)\n");
	for (size_t i = 0; s >= 0 && i < v->nb[s]; i++) {
		const struct mm_ctx_buddy *z = &v->buddy[s][i];
		char label[40];
		snprintf(label, sizeof(label), "node %d %s", z->node, z->zone);
		fprintf(out, "%-16s", label);
		for (unsigned k = 0; k < z->nr_orders; k++)
			fprintf(out, " %6u", k);
		fputc('\n', out);
		text_buddy_row(out, "start", buddy_match(v, S0, z), z->nr_orders);
		text_buddy_row(out, "end", buddy_match(v, S1, z), z->nr_orders);
	}
}

static void text_meminfo(const struct cview *v, FILE *out)
{
	int s = base_side(v->have_mem);
	fprintf(out, "\nmeminfo (kB)           %12s %12s %12s\n", "start", "end", "delta");
	if (s < 0)
		fprintf(out, "(no meminfo snapshot)\n");
	for (size_t i = 0; s >= 0 && i < v->nm[s]; i++) {
		const char *n = v->mem[s][i].name;
		uint64_t a = mem_value(v, S0, n), b = mem_value(v, S1, n);
		fprintf(out, "%-22s", n);
		col(out, 12, a);
		col(out, 12, b);
		col_delta(out, 12, a, b);
		fputc('\n', out);
	}
}

static void text_procs(const struct cview *v, FILE *out)
{
	for (size_t i = 0; i < v->nr_procs; i++) {
		const struct cproc *p = &v->procs[i];
		if (!wanted(v, p->pid))
			continue;
		fprintf(out, "\npid %d status (kB) %10s %10s %10s\n", p->pid, "start", "exec", "end");
		for (int k = 0; k < MM_VM_NR; k++) {
			fprintf(out, "%-21s", mm_ctx_vm_names[k]);
			for (int ph = 0; ph < NPH; ph++)
				col(out, 10, p->have[ph] ? p->vm[ph][k] : MM_CTX_NONE);
			fputc('\n', out);
		}
	}
}

static void print_text(const void *ctx, FILE *out)
{
	const struct cview *v = ctx;
	fprintf(out, "# memory context: snapshots at start and end\n");
	text_zones(v, out);
	text_buddy(v, out);
	text_meminfo(v, out);
	text_procs(v, out);
}

static void json_val(struct mm_json *j, const char *key, uint64_t x)
{
	if (x == MM_CTX_NONE)
		mm_json_null(j, key);
	else
		mm_json_u64(j, key, x);
}

static void json_zones(const struct cview *v, struct mm_json *j)
{
	int s = base_side(v->have_zone);
	mm_json_array_begin(j, "zones");
	for (size_t i = 0; s >= 0 && i < v->nz[s]; i++) {
		const struct mm_ctx_zone *z = &v->zone[s][i];
		const struct mm_ctx_zone *a = zone_match(v, S0, z), *b = zone_match(v, S1, z);
		mm_json_object_begin(j, NULL);
		mm_json_i64(j, "node", z->node);
		mm_json_str(j, "zone", z->name);
		json_val(j, "spanned", z->spanned);
		json_val(j, "present", z->present);
		json_val(j, "managed", z->managed);
		json_val(j, "free_start", a ? a->free : MM_CTX_NONE);
		json_val(j, "free_end", b ? b->free : MM_CTX_NONE);
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
}

static void json_orders(struct mm_json *j, const char *key, const struct mm_ctx_buddy *b)
{
	if (!b) {
		mm_json_null(j, key);
		return;
	}
	mm_json_array_begin(j, key);
	for (unsigned k = 0; k < b->nr_orders; k++)
		mm_json_u64(j, NULL, b->count[k]);
	mm_json_array_end(j);
}

static void json_rest(const struct cview *v, struct mm_json *j)
{
	int s = base_side(v->have_buddy);
	mm_json_array_begin(j, "buddy");
	for (size_t i = 0; s >= 0 && i < v->nb[s]; i++) {
		const struct mm_ctx_buddy *z = &v->buddy[s][i];
		mm_json_object_begin(j, NULL);
		mm_json_i64(j, "node", z->node);
		mm_json_str(j, "zone", z->zone);
		json_orders(j, "start", buddy_match(v, S0, z));
		json_orders(j, "end", buddy_match(v, S1, z));
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
	s = base_side(v->have_mem);
	mm_json_array_begin(j, "meminfo");
	for (size_t i = 0; s >= 0 && i < v->nm[s]; i++) {
		mm_json_object_begin(j, NULL);
		mm_json_str(j, "name", v->mem[s][i].name);
		json_val(j, "start", mem_value(v, S0, v->mem[s][i].name));
		json_val(j, "end", mem_value(v, S1, v->mem[s][i].name));
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
}

static void json_procs(const struct cview *v, struct mm_json *j)
{
	static const char *const ph_name[NPH] = { "start", "exec", "end" };
	mm_json_array_begin(j, "processes");
	for (size_t i = 0; i < v->nr_procs; i++) {
		const struct cproc *p = &v->procs[i];
		if (!wanted(v, p->pid))
			continue;
		mm_json_object_begin(j, NULL);
		mm_json_i64(j, "pid", p->pid);
		for (int ph = 0; ph < NPH; ph++) {
			if (!p->have[ph]) {
				mm_json_null(j, ph_name[ph]);
				continue;
			}
			mm_json_object_begin(j, ph_name[ph]);
			for (int k = 0; k < MM_VM_NR; k++)
				json_val(j, mm_ctx_vm_names[k], p->vm[ph][k]);
			mm_json_object_end(j);
		}
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
}

static void print_json(const void *ctx, FILE *out)
{
	const struct cview *v = ctx;
	struct mm_json j;
	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "context");
	json_zones(v, &j);
	json_rest(v, &j);
	json_procs(v, &j);
	mm_json_object_end(&j);
	mm_json_finish(&j);
}

static void csv_val(struct mm_csv *c, uint64_t x)
{
	if (x == MM_CTX_NONE)
		mm_csv_str(c, NULL);
	else
		mm_csv_u64(c, x);
}

static void csv_row(struct mm_csv *c, const char *sec, int32_t pid, const char *name,
		    uint64_t a, uint64_t e, uint64_t b)
{
	mm_csv_str(c, sec);
	mm_csv_i64(c, pid);
	mm_csv_str(c, name);
	csv_val(c, a);
	csv_val(c, e);
	csv_val(c, b);
	mm_csv_end_row(c);
}

static void print_csv(const void *ctx, FILE *out)
{
	const struct cview *v = ctx;
	static const char *const hdr[] = { "section", "pid", "name", "start", "exec", "end" };
	struct mm_csv c;
	char name[96];
	mm_csv_init(&c, out);
	mm_csv_header(&c, hdr, 6);
	int s = base_side(v->have_zone);
	for (size_t i = 0; s >= 0 && i < v->nz[s]; i++) {
		const struct mm_ctx_zone *z = &v->zone[s][i];
		const struct mm_ctx_zone *a = zone_match(v, S0, z), *b = zone_match(v, S1, z);
		snprintf(name, sizeof(name), "node %d %s free", z->node, z->name);
		csv_row(&c, "zone", 0, name, a ? a->free : MM_CTX_NONE, MM_CTX_NONE,
			b ? b->free : MM_CTX_NONE);
	}
	s = base_side(v->have_mem);
	for (size_t i = 0; s >= 0 && i < v->nm[s]; i++)
		csv_row(&c, "meminfo", 0, v->mem[s][i].name, mem_value(v, S0, v->mem[s][i].name),
			MM_CTX_NONE, mem_value(v, S1, v->mem[s][i].name));
	for (size_t i = 0; i < v->nr_procs; i++) {
		const struct cproc *p = &v->procs[i];
		for (int k = 0; wanted(v, p->pid) && k < MM_VM_NR; k++)
			csv_row(&c, "status", p->pid, mm_ctx_vm_names[k],
				p->have[0] ? p->vm[0][k] : MM_CTX_NONE,
				p->have[1] ? p->vm[1][k] : MM_CTX_NONE,
				p->have[2] ? p->vm[2][k] : MM_CTX_NONE);
	}
}

static void *create(struct mm_file *file, const struct mm_report_opts *opts)
{
	struct cview *v = mm_calloc(1, sizeof(*v));
	v->o = *opts;
	for (size_t i = 0; file && i < mm_file_nr_snapshots(file); i++)
		add_snapshot(v, mm_file_snapshot(file, i));
	return v;
}

static int finish(void *state, FILE *out)
{
	static const struct mm_view_printers print = { print_text, print_json, print_csv };
	struct cview *v = state;
	return mm_view_print(out, v->o.output, &print, v, "memory context");
}

static void destroy(void *state)
{
	struct cview *v = state;
	if (!v)
		return;
	free(v->procs);
	free(v);
}

const struct mm_view mm_view_context = {
	.name = "context", .create = create,      /* no events: snapshots only */
	.finish = finish, .destroy = destroy,
};
