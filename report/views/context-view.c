/*
 * report/views/context-view.c - `--context`: the start and end snapshots
 * side by side (zones, buddy free lists, meminfo, each process's Vm* lines
 * at start, exec and end).  The snapshots are gathered
 * (report/analyses/context.c) when the view is created; of the event
 * stream only record --frames' frames are counted.
 *   JSON: {"view": "context", "zones": [{"node", "zone", "spanned", "present",
 *          "managed", "free_start", "free_end", "lru_start": {"active_anon",
 *          "inactive_anon", "active_file", "inactive_file", "unevictable",
 *          "mlock"}, "lru_end": {...}}], "buddy": [{"node", "zone",
 *          "start": [N per order], "end": [...]}], "meminfo": [{"name",
 *          "start", "end"}], "processes": [{"pid", "start": {"VmPeak": kB,
 *          ...}, "exec": {...}, "end": {...}}]}}   (null: not in the snapshot)
 *   With record --frames' events, "frames" (frames-view.h; null without),
 *   and the text's table of frames taken and given back by zone and order.
 *   CSV:  section,pid,name,start,exec,end (sections zone, lru, meminfo, status; no frames)
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/reader.h"
#include "report/analyses/context.h"
#include "report/analyses/frames.h"
#include "report/views/frames-view.h"
#include "report/views/json.h"
#include "report/views/view.h"

enum { S0 = MM_CTX_START, S1 = MM_CTX_END };
#define NPH MM_CTX_PHASES

struct cview {
	struct mm_report_opts o;
	struct mm_context c;         /* the snapshots, gathered */
	struct mm_frames fr;         /* record --frames: frames by zone and order */
};

static bool wanted(const struct cview *v, int32_t pid)
{
	return mm_pid_wanted(v->o.pids, v->o.nr_pids, pid);
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


static void text_zones(const struct cview *v, FILE *out)
{
	int s = mm_ctx_base_side(v->c.have_zone);
	fprintf(out, "\nzones (pages)    %9s %9s %9s %11s %11s %9s\n", "spanned", "present",
		"managed", "free@start", "free@end", "delta");
	if (s < 0)
		fprintf(out, "(no zoneinfo snapshot)\n");
	for (size_t i = 0; s >= 0 && i < v->c.nz[s]; i++) {
		const struct mm_ctx_zone *z = &v->c.zone[s][i];
		const struct mm_ctx_zone *a = mm_ctx_zone_match(&v->c, S0, z);
		const struct mm_ctx_zone *b = mm_ctx_zone_match(&v->c, S1, z);
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
	int s = mm_ctx_base_side(v->c.have_buddy);
	fprintf(out, "\nbuddy free blocks per order\n");
	if (s < 0)
		fprintf(out, "(no buddyinfo snapshot)\n");
	for (size_t i = 0; s >= 0 && i < v->c.nb[s]; i++) {
		const struct mm_ctx_buddy *z = &v->c.buddy[s][i];
		char label[40];
		snprintf(label, sizeof(label), "node %d %s", z->node, z->zone);
		fprintf(out, "%-16s", label);
		for (unsigned k = 0; k < z->nr_orders; k++)
			fprintf(out, " %6u", k);
		fputc('\n', out);
		text_buddy_row(out, "start", mm_ctx_buddy_match(&v->c, S0, z), z->nr_orders);
		text_buddy_row(out, "end", mm_ctx_buddy_match(&v->c, S1, z), z->nr_orders);
	}
}

/* Does zone Z have an LRU count on either side? */
static bool has_lru(const struct mm_ctx_zone *a, const struct mm_ctx_zone *b)
{
	for (int k = 0; k < MM_LRU_NR; k++)
		if ((a && a->lru[k] != MM_CTX_NONE) || (b && b->lru[k] != MM_CTX_NONE))
			return true;
	return false;
}

static void text_lru_row(FILE *out, const char *label, const struct mm_ctx_zone *z)
{
	fprintf(out, "  %-14s", label);
	for (int k = 0; k < MM_LRU_NR; k++)
		col(out, 13, z ? z->lru[k] : MM_CTX_NONE);
	fputc('\n', out);
}

/* The zones' LRU lists beside their buddy lists: what reclaim sees. */
static void text_lru(const struct cview *v, FILE *out)
{
	int s = mm_ctx_base_side(v->c.have_zone);
	fprintf(out, "\nzone LRU lists (pages)\n");
	if (s < 0)
		fprintf(out, "(no zoneinfo snapshot)\n");
	for (size_t i = 0; s >= 0 && i < v->c.nz[s]; i++) {
		const struct mm_ctx_zone *z = &v->c.zone[s][i];
		const struct mm_ctx_zone *a = mm_ctx_zone_match(&v->c, S0, z);
		const struct mm_ctx_zone *b = mm_ctx_zone_match(&v->c, S1, z);
		char label[40];
		if (!has_lru(a, b))
			continue;
		snprintf(label, sizeof(label), "node %d %s", z->node, z->name);
		fprintf(out, "%-16s", label);
		for (int k = 0; k < MM_LRU_NR; k++)
			fprintf(out, " %13s", mm_ctx_lru_names[k]);
		fputc('\n', out);
		text_lru_row(out, "start", a);
		text_lru_row(out, "end", b);
	}
}

static void text_meminfo(const struct cview *v, FILE *out)
{
	int s = mm_ctx_base_side(v->c.have_mem);
	fprintf(out, "\nmeminfo (kB)           %12s %12s %12s\n", "start", "end", "delta");
	if (s < 0)
		fprintf(out, "(no meminfo snapshot)\n");
	for (size_t i = 0; s >= 0 && i < v->c.nm[s]; i++) {
		const char *n = v->c.mem[s][i].name;
		uint64_t a = mm_ctx_mem_value(&v->c, S0, n), b = mm_ctx_mem_value(&v->c, S1, n);
		fprintf(out, "%-22s", n);
		col(out, 12, a);
		col(out, 12, b);
		col_delta(out, 12, a, b);
		fputc('\n', out);
	}
}

static void text_procs(const struct cview *v, FILE *out)
{
	for (size_t i = 0; i < v->c.nr_procs; i++) {
		const struct mm_ctx_proc *p = &v->c.procs[i];
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
	text_lru(v, out);
	text_meminfo(v, out);
	text_procs(v, out);
	if (v->fr.any)
		mm_frames_print_text(&v->fr, out);
}

static void json_val(struct mm_json *j, const char *key, uint64_t x)
{
	if (x == MM_CTX_NONE)
		mm_json_null(j, key);
	else
		mm_json_u64(j, key, x);
}

static void json_lru(struct mm_json *j, const char *key, const struct mm_ctx_zone *z)
{
	if (!z || !has_lru(z, NULL)) {
		mm_json_null(j, key);
		return;
	}
	mm_json_object_begin(j, key);
	for (int k = 0; k < MM_LRU_NR; k++)
		json_val(j, mm_ctx_lru_names[k], z->lru[k]);
	mm_json_object_end(j);
}

static void json_zones(const struct cview *v, struct mm_json *j)
{
	int s = mm_ctx_base_side(v->c.have_zone);
	mm_json_array_begin(j, "zones");
	for (size_t i = 0; s >= 0 && i < v->c.nz[s]; i++) {
		const struct mm_ctx_zone *z = &v->c.zone[s][i];
		const struct mm_ctx_zone *a = mm_ctx_zone_match(&v->c, S0, z);
		const struct mm_ctx_zone *b = mm_ctx_zone_match(&v->c, S1, z);
		mm_json_object_begin(j, NULL);
		mm_json_i64(j, "node", z->node);
		mm_json_str(j, "zone", z->name);
		json_val(j, "spanned", z->spanned);
		json_val(j, "present", z->present);
		json_val(j, "managed", z->managed);
		json_val(j, "free_start", a ? a->free : MM_CTX_NONE);
		json_val(j, "free_end", b ? b->free : MM_CTX_NONE);
		json_lru(j, "lru_start", a);
		json_lru(j, "lru_end", b);
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
	int s = mm_ctx_base_side(v->c.have_buddy);
	mm_json_array_begin(j, "buddy");
	for (size_t i = 0; s >= 0 && i < v->c.nb[s]; i++) {
		const struct mm_ctx_buddy *z = &v->c.buddy[s][i];
		mm_json_object_begin(j, NULL);
		mm_json_i64(j, "node", z->node);
		mm_json_str(j, "zone", z->zone);
		json_orders(j, "start", mm_ctx_buddy_match(&v->c, S0, z));
		json_orders(j, "end", mm_ctx_buddy_match(&v->c, S1, z));
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
	s = mm_ctx_base_side(v->c.have_mem);
	mm_json_array_begin(j, "meminfo");
	for (size_t i = 0; s >= 0 && i < v->c.nm[s]; i++) {
		mm_json_object_begin(j, NULL);
		mm_json_str(j, "name", v->c.mem[s][i].name);
		json_val(j, "start", mm_ctx_mem_value(&v->c, S0, v->c.mem[s][i].name));
		json_val(j, "end", mm_ctx_mem_value(&v->c, S1, v->c.mem[s][i].name));
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
}

static void json_procs(const struct cview *v, struct mm_json *j)
{
	static const char *const ph_name[NPH] = { "start", "exec", "end" };
	mm_json_array_begin(j, "processes");
	for (size_t i = 0; i < v->c.nr_procs; i++) {
		const struct mm_ctx_proc *p = &v->c.procs[i];
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
	mm_view_json_lost(&j, &v->o);
	json_zones(v, &j);
	json_rest(v, &j);
	json_procs(v, &j);
	mm_frames_print_json(&v->fr, &j);
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
	mm_view_csv_lost(&c, &v->o);
	mm_csv_header(&c, hdr, 6);
	int s = mm_ctx_base_side(v->c.have_zone);
	for (size_t i = 0; s >= 0 && i < v->c.nz[s]; i++) {
		const struct mm_ctx_zone *z = &v->c.zone[s][i];
		const struct mm_ctx_zone *a = mm_ctx_zone_match(&v->c, S0, z);
		const struct mm_ctx_zone *b = mm_ctx_zone_match(&v->c, S1, z);
		snprintf(name, sizeof(name), "node %d %s free", z->node, z->name);
		csv_row(&c, "zone", 0, name, a ? a->free : MM_CTX_NONE, MM_CTX_NONE,
			b ? b->free : MM_CTX_NONE);
		for (int k = 0; has_lru(a, b) && k < MM_LRU_NR; k++) {
			snprintf(name, sizeof(name), "node %d %s %s", z->node, z->name,
				 mm_ctx_lru_names[k]);
			csv_row(&c, "lru", 0, name, a ? a->lru[k] : MM_CTX_NONE, MM_CTX_NONE,
				b ? b->lru[k] : MM_CTX_NONE);
		}
	}
	s = mm_ctx_base_side(v->c.have_mem);
	for (size_t i = 0; s >= 0 && i < v->c.nm[s]; i++)
		csv_row(&c, "meminfo", 0, v->c.mem[s][i].name,
			mm_ctx_mem_value(&v->c, S0, v->c.mem[s][i].name), MM_CTX_NONE,
			mm_ctx_mem_value(&v->c, S1, v->c.mem[s][i].name));
	for (size_t i = 0; i < v->c.nr_procs; i++) {
		const struct mm_ctx_proc *p = &v->c.procs[i];
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
		mm_context_add_snapshot(&v->c, mm_file_snapshot(file, i));
	if (file)
		mm_frames_init(&v->fr, file);
	return v;
}

/* Only record --frames' frames are counted from the events. */
static void event(void *state, const struct mm_event *ev)
{
	struct cview *v = state;
	if (ev->kind == MM_EV_FRAME && mm_event_wanted(v->o.pids, v->o.nr_pids, ev))
		mm_frames_event(&v->fr, NULL, ev);
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
	mm_context_free(&v->c);
	mm_frames_free(&v->fr);
	free(v);
}

const struct mm_view mm_view_context = {
	.name = "context", .create = create, .event = event,
	.finish = finish, .destroy = destroy,
};
