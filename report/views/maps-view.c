/*
 * report/views/maps-view.c - the printers of --maps-at TIME (pmap -x at
 * one moment) and of the hidden --check-maps (the rebuilt map against the
 * END maps snapshots), in text, JSON and CSV.  Their view tables are with
 * --regions' in regions-view.c.
 *
 * JSON field names (stable; memmon-report(1) documents them):
 *   --maps-at:  { "view": "maps_at", "time": T or null (end), "page_size",
 *                 "processes": [ { "pid", "comm", "exe", "exited", "source",
 *                 "regions": [ { "id", "origin_id", "start", "end", "kbytes", "rss_kb",
 *                 "dirty_kb", "model_rss_kb", "perms", "backing", "name" } ],
 *                 "total": { "kbytes", "rss_kb", "dirty_kb", "model_rss_kb",
 *                 "kernel_rss_kb" } } ] }
 *               kernel_rss_kb: the kernel's own counters (rss_stat) at that
 *               moment, null when the trace has none;
 *               source "model": the model's regions and estimates (rss_kb
 *               = model_rss_kb); "smaps" (at end, when the trace has the
 *               END smaps): the kernel's rows and counts, with pss_kb,
 *               swap_kb, anon_huge_kb, locked_kb, shared/private_clean/
 *               dirty_kb per row and swap_kb, vmrss_kb in the total
 *               (maps-end-view.c)
 *   --check-maps: { "view": "check_maps", "regions": N, "differ": M,
 *                 "processes": [ { "pid", "checked", "regions",
 *                 "diffs": [ { "kind", "start", "end", "want", "got" } ] } ] }
 *                 kind: "missing" (in the snapshot only), "extra" (in the
 *                 model only), "differ" (same range, other attributes)
 * Addresses are hex strings without 0x; times are numbers (seconds).
 * CSV: one header row, then one row per region (per diff for the check),
 * the first column being the pid.
 */
#include <string.h>

#include "memmon.h"
#include "report/model/addrspace.h"
#include "report/views/code.h"
#include "report/views/json.h"
#include "report/views/maps-end-view.h"
#include "report/views/regions-view.h"

static bool proc_wanted(const struct mm_as *as, const struct mm_as_proc *p,
			const struct mm_regions_opts *o)
{
	return mm_proc_wanted(o->pids, o->nr_pids, as, p->tgid);
}

static int out_status(FILE *out)
{
	return mm_view_out_status(out, "report");
}

/* ---- --maps-at ---- */

/* A process has a map to show at the moment the model was frozen. */
static bool proc_has_map(const struct mm_as_proc *p, const struct mm_regions_opts *o)
{
	return p->nr_map && (o->at_end || !p->exited);
}

struct kb { uint64_t size, rss, dirty; };

/* What the kernel's own counters (rss_stat of the process's mm, as last
 * seen) say is resident, KiB. */
static uint64_t kernel_rss_kb(const struct mm_as_proc *p)
{
	int64_t b = p->rss_bytes[MM_RSS_FILE] + p->rss_bytes[MM_RSS_ANON] +
		    p->rss_bytes[MM_RSS_SHMEM];
	return b > 0 ? (uint64_t)b >> 10 : 0;
}

static struct kb region_kb(const struct mm_as *as, const struct mm_region *r)
{
	uint64_t ps = mm_as_page_size(as);
	return (struct kb){ mm_region_size(r) >> 10, (r->resident.count * ps) >> 10,
			    (r->dirty.count * ps) >> 10 };
}

static void maps_at_text_proc(const struct mm_as *as, const struct mm_as_proc *p, FILE *out)
{
	struct kb t = { 0, 0, 0 };
	fprintf(out, "%d:   %s", p->tgid, p->exe[0] ? p->exe : p->comm);
	if (p->exited)
		fprintf(out, "   (final map, exited at %.6f)", mm_as_rel_s(as, p->exit_ts));
	fprintf(out, "\nAddress           Kbytes     RSS   Dirty Mode  Mapping\n");
	for (size_t i = 0; i < p->nr_map; i++) {
		const struct mm_region *r = p->map[i];
		struct kb k = region_kb(as, r);
		char perms[5], name[4200];
		const char *label = mm_region_label(r);
		mm_region_perms(r, perms);
		/* the segment names need the model's object cache */
		mm_view_region_name((struct mm_as *)as, p, r, name, sizeof(name));
		fprintf(out, "%016llx %7llu %7llu %7llu %s  %s\n", (unsigned long long)r->start,
			(unsigned long long)k.size, (unsigned long long)k.rss,
			(unsigned long long)k.dirty, perms,
			label[0] || strcmp(name, "[anon]") ? name : "[ anon ]");
		t.size += k.size, t.rss += k.rss, t.dirty += k.dirty;
	}
	fprintf(out, "---------------- ------- ------- -------\n");
	fprintf(out, "total kB         %7llu %7llu %7llu\n", (unsigned long long)t.size,
		(unsigned long long)t.rss, (unsigned long long)t.dirty);
	uint64_t model = (mm_as_resident_pages(p) * mm_as_page_size(as)) >> 10;
	if (p->have_rss) {
		uint64_t kernel = kernel_rss_kb(p);
		fprintf(out, "# resident: the kernel's counters %llu KiB, memmon's estimate %llu KiB "
			"(%+.1f%%)", (unsigned long long)kernel, (unsigned long long)model,
			kernel ? ((double)model - (double)kernel) * 100.0 / (double)kernel : 0.0);
		if (model != t.rss)
			fprintf(out, ", %lld KiB of it in no row", (long long)model - (long long)t.rss);
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void maps_at_json_proc(struct mm_json *j, const struct mm_as *as,
			      const struct mm_as_proc *p)
{
	struct kb t = { 0, 0, 0 };
	mm_json_object_begin(j, NULL);
	mm_json_i64(j, "pid", p->tgid);
	mm_json_str(j, "comm", p->comm);
	mm_json_str(j, "exe", p->exe);
	mm_json_bool(j, "exited", p->exited);
	mm_json_str(j, "source", "model");
	mm_json_array_begin(j, "regions");
	for (size_t i = 0; i < p->nr_map; i++) {
		const struct mm_region *r = p->map[i];
		struct kb k = region_kb(as, r);
		char perms[5];
		mm_region_perms(r, perms);
		mm_json_object_begin(j, NULL);
		mm_json_u64(j, "id", r->id);
		mm_json_u64(j, "origin_id", r->origin_id);
		mm_json_hex(j, "start", r->start);
		mm_json_hex(j, "end", r->end);
		mm_json_u64(j, "kbytes", k.size);
		mm_json_u64(j, "rss_kb", k.rss);
		mm_json_u64(j, "dirty_kb", k.dirty);
		mm_json_u64(j, "model_rss_kb", k.rss);
		mm_json_str(j, "perms", perms);
		mm_json_str(j, "backing", mm_backing_name(r->backing));
		mm_json_str(j, "name", mm_region_label(r));
		mm_json_str(j, "segment", mm_view_region_segment((struct mm_as *)as, p, r));
		mm_json_object_end(j);
		t.size += k.size, t.rss += k.rss, t.dirty += k.dirty;
	}
	mm_json_array_end(j);
	mm_json_object_begin(j, "total");
	mm_json_u64(j, "kbytes", t.size);
	mm_json_u64(j, "rss_kb", t.rss);
	mm_json_u64(j, "dirty_kb", t.dirty);
	mm_json_u64(j, "model_rss_kb", (mm_as_resident_pages(p) * mm_as_page_size(as)) >> 10);
	if (p->have_rss)
		mm_json_u64(j, "kernel_rss_kb", kernel_rss_kb(p));
	else
		mm_json_null(j, "kernel_rss_kb");
	mm_json_object_end(j);
	mm_json_object_end(j);
}

static void maps_at_csv_proc(struct mm_csv *c, const struct mm_as *as, const struct mm_as_proc *p)
{
	for (size_t i = 0; i < p->nr_map; i++) {
		const struct mm_region *r = p->map[i];
		struct kb k = region_kb(as, r);
		char perms[5];
		mm_region_perms(r, perms);
		mm_csv_i64(c, p->tgid);
		mm_csv_hex(c, r->start);
		mm_csv_hex(c, r->end);
		mm_csv_u64(c, k.size);
		mm_csv_u64(c, k.rss);
		mm_csv_u64(c, k.dirty);
		mm_csv_str(c, perms);
		mm_csv_str(c, mm_backing_name(r->backing));
		mm_csv_str(c, mm_region_label(r));
		mm_csv_str(c, NULL);            /* pss, swap, THP, locked: smaps only */
		mm_csv_str(c, NULL);
		mm_csv_str(c, NULL);
		mm_csv_str(c, NULL);
		mm_csv_u64(c, k.rss);
		mm_csv_str(c, "model");
		mm_csv_end_row(c);
	}
}

int mm_maps_at_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	static const char *const head[] = { "pid", "start", "end", "kbytes", "rss_kb",
					    "dirty_kb", "perms", "backing", "name", "pss_kb",
					    "swap_kb", "anon_huge_kb", "locked_kb", "model_rss_kb",
					    "source" };
	struct mm_json j;
	struct mm_csv c;

	if (o->output == MM_OUT_JSON) {
		mm_json_init(&j, out);
		mm_json_object_begin(&j, NULL);
		mm_json_str(&j, "view", "maps_at");
		if (o->report)
			mm_view_json_lost(&j, o->report);
		if (o->at_end)
			mm_json_null(&j, "time");
		else
			mm_json_fixed(&j, "time", (double)o->at_ns / 1e9, 6);
		mm_json_u64(&j, "page_size", mm_as_page_size(as));
		mm_json_array_begin(&j, "processes");
	} else if (o->output == MM_OUT_CSV) {
		mm_csv_init(&c, out);
		if (o->report)
			mm_view_csv_lost(&c, o->report);
		mm_csv_header(&c, head, sizeof(head) / sizeof(head[0]));
	} else if (o->at_end) {
		fprintf(out, "# address space at the end of each process (RSS, Dirty, Swap: the "
			"kernel's /proc/PID/smaps at exit; Model, or RSS where the trace has no "
			"smaps: memmon's estimate from the events)\n");
	} else {
		fprintf(out, "# address space at %.6f s (RSS: memmon's estimate from the "
			"events)\n", (double)o->at_ns / 1e9);
	}
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		if (!proc_wanted(as, p, o) || !proc_has_map(p, o))
			continue;
		bool truth = o->at_end && p->smaps_end;
		if (o->output == MM_OUT_JSON)
			truth ? mm_maps_end_json_proc(&j, as, p) : maps_at_json_proc(&j, as, p);
		else if (o->output == MM_OUT_CSV)
			truth ? mm_maps_end_csv_proc(&c, as, p) : maps_at_csv_proc(&c, as, p);
		else
			truth ? mm_maps_end_text_proc(as, p, out) : maps_at_text_proc(as, p, out);
	}
	if (o->output == MM_OUT_JSON)
		mm_json_finish(&j);
	return out_status(out);
}

/* ---- --check-maps ---- */

static const char *diff_kind_name(unsigned kind)
{
	return kind == MM_DIFF_MISSING ? "missing" : kind == MM_DIFF_EXTRA ? "extra" : "differ";
}

static void check_text_diff(const struct mm_maps_diff *d, FILE *out)
{
	if (d->kind == MM_DIFF_MISSING)
		fprintf(out, "pid %d: missing %s (in the snapshot, not rebuilt)\n", d->tgid, d->want);
	else if (d->kind == MM_DIFF_EXTRA)
		fprintf(out, "pid %d: extra   %s (rebuilt, not in the snapshot)\n", d->tgid, d->got);
	else
		fprintf(out, "pid %d: differ  snapshot '%s' rebuilt '%s'\n", d->tgid, d->want, d->got);
}

static void check_json_proc(struct mm_json *j, const struct mm_as_proc *p)
{
	mm_json_object_begin(j, NULL);
	mm_json_i64(j, "pid", p->tgid);
	mm_json_bool(j, "checked", p->checked);
	mm_json_u64(j, "regions", p->nr_checked);
	mm_json_array_begin(j, "diffs");
	for (size_t k = 0; k < p->nr_diffs; k++) {
		const struct mm_maps_diff *d = &p->diffs[k];
		mm_json_object_begin(j, NULL);
		mm_json_str(j, "kind", diff_kind_name(d->kind));
		mm_json_hex(j, "start", d->start);
		mm_json_hex(j, "end", d->end);
		mm_json_str(j, "want", d->want);
		mm_json_str(j, "got", d->got);
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
	mm_json_object_end(j);
}

static void check_csv_proc(struct mm_csv *c, const struct mm_as_proc *p)
{
	for (size_t k = 0; k < p->nr_diffs; k++) {
		const struct mm_maps_diff *d = &p->diffs[k];
		mm_csv_i64(c, p->tgid);
		mm_csv_str(c, diff_kind_name(d->kind));
		mm_csv_hex(c, d->start);
		mm_csv_hex(c, d->end);
		mm_csv_str(c, d->want);
		mm_csv_str(c, d->got);
		mm_csv_end_row(c);
	}
}

int mm_check_maps_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out,
			size_t *differ)
{
	static const char *const head[] = { "pid", "kind", "start", "end", "want", "got" };
	size_t regions = 0, diffs = 0;
	struct mm_json j;
	struct mm_csv c;

	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		if (proc_wanted(as, p, o))
			regions += p->nr_checked, diffs += p->nr_diffs;
	}
	if (differ)
		*differ = diffs;
	if (o->output == MM_OUT_JSON) {
		mm_json_init(&j, out);
		mm_json_object_begin(&j, NULL);
		mm_json_str(&j, "view", "check_maps");
		if (o->report)
			mm_view_json_lost(&j, o->report);
		mm_json_u64(&j, "regions", regions);
		mm_json_u64(&j, "differ", diffs);
		mm_json_array_begin(&j, "processes");
	} else if (o->output == MM_OUT_CSV) {
		mm_csv_init(&c, out);
		if (o->report)
			mm_view_csv_lost(&c, o->report);
		mm_csv_header(&c, head, sizeof(head) / sizeof(head[0]));
	} else {
		fprintf(out, "maps check: %zu regions, %zu differ\n", regions, diffs);
	}
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		if (!proc_wanted(as, p, o))
			continue;
		if (o->output == MM_OUT_JSON) {
			check_json_proc(&j, p);
		} else if (o->output == MM_OUT_CSV) {
			check_csv_proc(&c, p);
		} else {
			if (!p->checked && p->have_map)
				fprintf(out, "# pid %d: not checked (no END maps snapshot)\n", p->tgid);
			for (size_t k = 0; k < p->nr_diffs; k++)
				check_text_diff(&p->diffs[k], out);
		}
	}
	if (o->output == MM_OUT_JSON)
		mm_json_finish(&j);
	return out_status(out);
}
