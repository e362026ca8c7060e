/*
 * report/regions.c - the region views: --regions (pmap with history),
 * --maps-at TIME (pmap -x at one moment) and the hidden --check-maps (the
 * rebuilt map against the END maps snapshots), in text, JSON and CSV.
 *
 * The views read the report's shared address-space model (report/view.h,
 * report/addrspace.h), except --maps-at T, which needs the model frozen at
 * T (touched and resident pages at T are not in the history) and feeds
 * one of its own; all the facts are the model's, this file only chooses,
 * sorts and prints them.  Times are seconds since the first event, as the
 * event log's -t prints them; sizes in the text tables are KiB as pmap
 * prints them; the JSON carries bytes and pages.
 *
 * JSON field names (stable; memmon-report(1) documents them):
 *
 *   --regions:  { "view": "regions", "page_size": N, "processes": [ PROC ] }
 *     PROC = { "pid", "comm", "exe", "parent", "exited", "exit_time",
 *              "skipped_syscalls", "regions": [ REGION ],
 *              "unknown_region": { "faults": FAULTS, "first_addr",
 *                                  "last_addr" } }
 *     REGION = { "id", "parent_id", "origin_id", "start", "end", "size",
 *                "perms", "backing", "name", "offset", "fd",
 *                "created": EVENT, "origin": EVENT, "ended": EVENT,
 *                "live", "faults": FAULTS, "pages_mapped",
 *                "pages_touched", "pages_resident", "pattern",
 *                "stride_pages" }
 *     EVENT  = { "how", "time", "pid" }   how: a syscall name, "start",
 *              "exec", "fork", "fault", "exit", "merge", or "live" (ended
 *              only; time and pid are then null)
 *     FAULTS = { "total", "anon": RWX, "file": RWX, "swap": RWX, "cow": RWX,
 *                "other": RWX }, RWX = { "r", "w", "x" }
 *   --maps-at:  { "view": "maps_at", "time": T or null (end), "page_size",
 *                 "processes": [ { "pid", "comm", "exe", "exited",
 *                 "regions": [ { "id", "start", "end", "kbytes", "rss_kb",
 *                 "dirty_kb", "perms", "backing", "name" } ],
 *                 "total": { "kbytes", "rss_kb", "dirty_kb" } } ] }
 *   --check-maps: { "view": "check_maps", "regions": N, "differ": M,
 *                 "processes": [ { "pid", "checked", "regions",
 *                 "diffs": [ { "kind", "start", "end", "want", "got" } ] } ] }
 *                 kind: "missing" (in the snapshot only), "extra" (in the
 *                 model only), "differ" (same range, other attributes)
 * Addresses are hex strings without 0x; times are numbers (seconds).
 * CSV: one header row, then one row per region (per diff for the check),
 * the first column being the pid; the columns are named as above with
 * faults flattened to anon_r ... other_x.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/reader.h"
#include "report/addrspace.h"
#include "report/json.h"
#include "report/regions.h"

/* ---- the model from a trace file ---- */

struct mm_as *mm_as_from_file(struct mm_file *f, uint64_t cutoff_ns)
{
	const char *ps = mm_file_machine(f, MM_KEY_PAGE_SIZE);
	struct mm_as *as = mm_as_new(ps ? strtoull(ps, NULL, 10) : 4096, cutoff_ns);

	for (size_t i = 0; i < mm_file_nr_snapshots(f); i++) {
		const struct mm_snapshot *s = mm_file_snapshot(f, i);
		if (s->kind == MM_SNAP_MAPS && s->text)
			mm_as_add_snapshot(as, (int32_t)s->pid, s->phase, s->ts, s->text);
	}
	return as;
}

int mm_regions_parse_sort(const char *key, enum mm_regions_sort *sort)
{
	if (!key || !strcmp(key, "addr") || !strcmp(key, "address"))
		*sort = MM_SORT_ADDR;
	else if (!strcmp(key, "size"))
		*sort = MM_SORT_SIZE;
	else if (!strcmp(key, "faults"))
		*sort = MM_SORT_FAULTS;
	else
		return mm_error("unknown sort key '%s' (size, faults or addr)", key);
	return 0;
}

/* ---- shared helpers ---- */

static bool proc_wanted(const struct mm_as *as, const struct mm_as_proc *p,
			const struct mm_regions_opts *o)
{
	return mm_proc_wanted(o->pids, o->nr_pids, as, p->tgid);
}

/* Seconds since the first event (snapshots before it count as 0). */
static double rel_s(const struct mm_as *as, uint64_t ts)
{
	return ts > mm_as_t0(as) ? (double)(ts - mm_as_t0(as)) / 1e9 : 0.0;
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
		snprintf(buf, len, "%s@%.6f", mm_region_how_name(e), rel_s(as, e->ts));
}

/* A buried region has freed its page sets and kept the counts; a live
 * one (or one of a final map) still has its sets. */
static bool has_sets(const struct mm_region *r)
{
	return mm_region_live(r) || r->ended.how == MM_HOW_EXIT;
}

static uint64_t region_touched(const struct mm_region *r)
{
	return has_sets(r) ? r->touched.count : r->nr_touched;
}

static uint64_t region_resident(const struct mm_region *r)
{
	return has_sets(r) ? r->resident.count : r->nr_resident;
}

/* Every region of P (final map and history) in the chosen order. */
struct rowset {
	struct mm_region **r;
	size_t n, cap;
};

static int collect(void *ctx, struct mm_region *r)
{
	struct rowset *s = ctx;
	MM_GROW(s->r, s->n, s->cap, 64);
	s->r[s->n++] = r;
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->created.ts != y->created.ts)
		return x->created.ts < y->created.ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_size(const void *a, const void *b)
{
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	if (mm_region_size(x) != mm_region_size(y))
		return mm_region_size(x) > mm_region_size(y) ? -1 : 1;
	return cmp_addr(a, b);
}

static int cmp_faults(const void *a, const void *b)
{
	const struct mm_region *x = *(struct mm_region *const *)a, *y = *(struct mm_region *const *)b;
	if (x->nr_faults != y->nr_faults)
		return x->nr_faults > y->nr_faults ? -1 : 1;
	return cmp_size(a, b);
}

static void rows_of(const struct mm_as_proc *p, enum mm_regions_sort sort, struct rowset *s)
{
	memset(s, 0, sizeof(*s));
	mm_as_foreach_region(p, collect, s);
	qsort(s->r, s->n, sizeof(*s->r),
	      sort == MM_SORT_SIZE ? cmp_size : sort == MM_SORT_FAULTS ? cmp_faults : cmp_addr);
}

static size_t row_limit(const struct mm_regions_opts *o, size_t n)
{
	return o->limit && o->limit < n ? o->limit : n;
}

static int out_status(FILE *out)
{
	return mm_view_out_status(out, "report");
}

/* ---- --regions: text ---- */

/* F summed by class ("anon/file/swap/cow/other") or by access ("r/w/x"),
 * as "N/N/..." into BUF. */
static void fault_sums(const uint64_t f[MM_FAULT_NR][MM_ACCESS_NR], bool by_class,
		       char *buf, size_t len)
{
	uint64_t sum[MM_FAULT_NR + MM_ACCESS_NR] = { 0 };
	int n = by_class ? MM_FAULT_NR : MM_ACCESS_NR;
	size_t at = 0;
	for (int c = 0; c < MM_FAULT_NR; c++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			sum[by_class ? c : a] += f[c][a];
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
		fprintf(out, ", exited at %.6f", rel_s(as, p->exit_ts));
	if (!p->have_map)
		fputs(", no maps snapshot: regions made before tracing are unknown", out);
	fputc('\n', out);
}

static void region_row_text(const struct mm_as *as, const struct mm_region *r, FILE *out)
{
	char perms[5], made[48], ended[48], cls[64], acc[48], pages[48];
	uint64_t ps = mm_as_page_size(as);
	int64_t stride;
	enum mm_pattern pat = mm_region_pattern(r, ps, &stride);
	const char *label = mm_region_label(r);

	mm_region_perms(r, perms);
	event_text(as, &r->created, made, sizeof(made));
	event_text(as, &r->ended, ended, sizeof(ended));
	fault_sums(r->faults, true, cls, sizeof(cls));
	fault_sums(r->faults, false, acc, sizeof(acc));
	snprintf(pages, sizeof(pages), "%llu/%llu", (unsigned long long)region_touched(r),
		 (unsigned long long)(mm_region_size(r) / ps));
	fprintf(out, "%12llx-%-12llx %9lluK %s %-7s %-18s %-18s %7llu %-15s %-11s %13s %s",
		(unsigned long long)r->start, (unsigned long long)r->end,
		(unsigned long long)(mm_region_size(r) >> 10), perms,
		mm_backing_name(r->backing), made, ended, (unsigned long long)r->nr_faults,
		cls, acc, pages, mm_pattern_name(pat));
	if (pat == MM_PAT_STRIDED)
		fprintf(out, "(%lld)", (long long)stride);
	fprintf(out, " %s\n", label[0] ? label : "[anon]");
}

static void unknown_row_text(const struct mm_as_proc *p, FILE *out)
{
	char cls[64], acc[48];
	if (!p->nr_unknown)
		return;
	fault_sums(p->unknown_faults, true, cls, sizeof(cls));
	fault_sums(p->unknown_faults, false, acc, sizeof(acc));
	fprintf(out, "%12llx-%-12llx %10s %4s %-7s %-18s %-18s %7llu %-15s %-11s %13s %s\n",
		(unsigned long long)p->unknown_first_addr, (unsigned long long)p->unknown_last_addr,
		"-", "-", "-", "-", "-", (unsigned long long)p->nr_unknown, cls, acc, "-",
		"- (unknown region: faults outside every known region)");
}

static void regions_text(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		struct rowset s;
		uint64_t faults = p->nr_unknown;
		if (!proc_wanted(as, p, o))
			continue;
		rows_of(p, o->sort, &s);
		proc_title(as, p, out);
		fprintf(out, "%-25s %10s %4s %-7s %-18s %-18s %7s %-15s %-11s %13s %s\n",
			"RANGE", "SIZE", "PERM", "BACKING", "CREATED", "ENDED", "FAULTS",
			"A/F/S/C/O", "R/W/X", "TOUCHED/PAGES", "PATTERN NAME");
		for (size_t k = 0; k < s.n; k++)
			faults += s.r[k]->nr_faults;
		for (size_t k = 0; k < row_limit(o, s.n); k++)
			region_row_text(as, s.r[k], out);
		unknown_row_text(p, out);
		fprintf(out, "# %zu regions (%zu in the %s map), %llu faults, %llu outside "
			"every region%s\n\n", s.n, p->nr_map, p->exited ? "final" : "live",
			(unsigned long long)faults, (unsigned long long)p->nr_unknown,
			p->nr_skipped ? ", some syscalls could not be applied" : "");
		free(s.r);
	}
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
		mm_json_fixed(j, "time", rel_s(as, e->ts), 6);
		mm_json_i64(j, "pid", e->pid);
	}
	mm_json_object_end(j);
}

static void json_region(struct mm_json *j, const struct mm_as *as, const struct mm_region *r)
{
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
	mm_json_u64(j, "offset", r->offset);
	mm_json_i64(j, "fd", r->fd);
	json_event(j, as, "created", &r->created);
	json_event(j, as, "origin", &r->origin);
	json_event(j, as, "ended", &r->ended);
	mm_json_bool(j, "live", mm_region_live(r));
	json_faults(j, "faults", r->faults, r->nr_faults);
	mm_json_u64(j, "pages_mapped", mm_region_size(r) / ps);
	mm_json_u64(j, "pages_touched", region_touched(r));
	mm_json_u64(j, "pages_resident", region_resident(r));
	mm_json_str(j, "pattern", mm_pattern_name(pat));
	mm_json_i64(j, "stride_pages", stride);
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
		mm_json_fixed(j, "exit_time", rel_s(as, p->exit_ts), 6);
	else
		mm_json_null(j, "exit_time");
}

static void regions_json(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	struct mm_json j;
	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "regions");
	mm_json_u64(&j, "page_size", mm_as_page_size(as));
	mm_json_array_begin(&j, "processes");
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		struct rowset s;
		if (!proc_wanted(as, p, o))
			continue;
		rows_of(p, o->sort, &s);
		mm_json_object_begin(&j, NULL);
		json_proc_head(&j, as, p);
		mm_json_u64(&j, "skipped_syscalls", p->nr_skipped);
		mm_json_array_begin(&j, "regions");
		for (size_t k = 0; k < row_limit(o, s.n); k++)
			json_region(&j, as, s.r[k]);
		mm_json_array_end(&j);
		mm_json_object_begin(&j, "unknown_region");
		json_faults(&j, "faults", p->unknown_faults, p->nr_unknown);
		mm_json_hex(&j, "first_addr", p->unknown_first_addr);
		mm_json_hex(&j, "last_addr", p->unknown_last_addr);
		mm_json_object_end(&j);
		mm_json_object_end(&j);
		free(s.r);
	}
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
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		mm_csv_str(c, head[i]);
	for (int k = 0; k < MM_FAULT_NR; k++)
		for (int a = 0; a < MM_ACCESS_NR; a++) {
			char name[16];
			snprintf(name, sizeof(name), "%s_%s", mm_fault_class_name(k), mm_access_key(a));
			mm_csv_str(c, name);
		}
	mm_csv_str(c, "pages_mapped");
	mm_csv_str(c, "pages_touched");
	mm_csv_str(c, "pages_resident");
	mm_csv_str(c, "pattern");
	mm_csv_end_row(c);
}

static void regions_csv_row(struct mm_csv *c, const struct mm_as *as,
			    const struct mm_as_proc *p, const struct mm_region *r)
{
	char perms[5];
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
	mm_csv_fixed(c, rel_s(as, r->created.ts), 6);
	mm_csv_str(c, mm_region_how_name(&r->ended));
	if (mm_region_live(r))
		mm_csv_str(c, NULL);
	else
		mm_csv_fixed(c, rel_s(as, r->ended.ts), 6);
	mm_csv_u64(c, r->nr_faults);
	for (int k = 0; k < MM_FAULT_NR; k++)
		for (int a = 0; a < MM_ACCESS_NR; a++)
			mm_csv_u64(c, r->faults[k][a]);
	mm_csv_u64(c, mm_region_size(r) / ps);
	mm_csv_u64(c, region_touched(r));
	mm_csv_u64(c, region_resident(r));
	mm_csv_str(c, mm_pattern_name(mm_region_pattern(r, ps, NULL)));
	mm_csv_end_row(c);
}

static void regions_csv(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	struct mm_csv c;
	mm_csv_init(&c, out);
	regions_csv_header(&c);
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		struct rowset s;
		if (!proc_wanted(as, p, o))
			continue;
		rows_of(p, o->sort, &s);
		for (size_t k = 0; k < row_limit(o, s.n); k++)
			regions_csv_row(&c, as, p, s.r[k]);
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

/* ---- --maps-at ---- */

/* A process has a map to show at the moment the model was frozen. */
static bool proc_has_map(const struct mm_as_proc *p, const struct mm_regions_opts *o)
{
	return p->nr_map && (o->at_end || !p->exited);
}

struct kb { uint64_t size, rss, dirty; };

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
		fprintf(out, "   (final map, exited at %.6f)", rel_s(as, p->exit_ts));
	fprintf(out, "\nAddress           Kbytes     RSS   Dirty Mode  Mapping\n");
	for (size_t i = 0; i < p->nr_map; i++) {
		const struct mm_region *r = p->map[i];
		struct kb k = region_kb(as, r);
		char perms[5];
		const char *label = mm_region_label(r);
		mm_region_perms(r, perms);
		fprintf(out, "%016llx %7llu %7llu %7llu %s  %s\n", (unsigned long long)r->start,
			(unsigned long long)k.size, (unsigned long long)k.rss,
			(unsigned long long)k.dirty, perms, label[0] ? label : "[ anon ]");
		t.size += k.size, t.rss += k.rss, t.dirty += k.dirty;
	}
	fprintf(out, "---------------- ------- ------- -------\n");
	fprintf(out, "total kB         %7llu %7llu %7llu\n\n", (unsigned long long)t.size,
		(unsigned long long)t.rss, (unsigned long long)t.dirty);
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
	mm_json_array_begin(j, "regions");
	for (size_t i = 0; i < p->nr_map; i++) {
		const struct mm_region *r = p->map[i];
		struct kb k = region_kb(as, r);
		char perms[5];
		mm_region_perms(r, perms);
		mm_json_object_begin(j, NULL);
		mm_json_u64(j, "id", r->id);
		mm_json_hex(j, "start", r->start);
		mm_json_hex(j, "end", r->end);
		mm_json_u64(j, "kbytes", k.size);
		mm_json_u64(j, "rss_kb", k.rss);
		mm_json_u64(j, "dirty_kb", k.dirty);
		mm_json_str(j, "perms", perms);
		mm_json_str(j, "backing", mm_backing_name(r->backing));
		mm_json_str(j, "name", mm_region_label(r));
		mm_json_object_end(j);
		t.size += k.size, t.rss += k.rss, t.dirty += k.dirty;
	}
	mm_json_array_end(j);
	mm_json_object_begin(j, "total");
	mm_json_u64(j, "kbytes", t.size);
	mm_json_u64(j, "rss_kb", t.rss);
	mm_json_u64(j, "dirty_kb", t.dirty);
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
		mm_csv_end_row(c);
	}
}

int mm_maps_at_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out)
{
	static const char *const head[] = { "pid", "start", "end", "kbytes", "rss_kb",
					    "dirty_kb", "perms", "backing", "name" };
	struct mm_json j;
	struct mm_csv c;

	if (o->output == MM_OUT_JSON) {
		mm_json_init(&j, out);
		mm_json_object_begin(&j, NULL);
		mm_json_str(&j, "view", "maps_at");
		if (o->at_end)
			mm_json_null(&j, "time");
		else
			mm_json_fixed(&j, "time", (double)o->at_ns / 1e9, 6);
		mm_json_u64(&j, "page_size", mm_as_page_size(as));
		mm_json_array_begin(&j, "processes");
	} else if (o->output == MM_OUT_CSV) {
		mm_csv_init(&c, out);
		mm_csv_header(&c, head, sizeof(head) / sizeof(head[0]));
	} else if (o->at_end) {
		fprintf(out, "# address space at the end of each process (RSS: pages seen faulted "
			"in, not dropped since)\n");
	} else {
		fprintf(out, "# address space at %.6f s (RSS: pages seen faulted in, not "
			"dropped since)\n", (double)o->at_ns / 1e9);
	}
	for (size_t i = 0; i < mm_as_nr_procs(as); i++) {
		struct mm_as_proc *p = mm_as_proc_at(as, i);
		if (!proc_wanted(as, p, o) || !proc_has_map(p, o))
			continue;
		if (o->output == MM_OUT_JSON)
			maps_at_json_proc(&j, as, p);
		else if (o->output == MM_OUT_CSV)
			maps_at_csv_proc(&c, as, p);
		else
			maps_at_text_proc(as, p, out);
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
		mm_json_u64(&j, "regions", regions);
		mm_json_u64(&j, "differ", diffs);
		mm_json_array_begin(&j, "processes");
	} else if (o->output == MM_OUT_CSV) {
		mm_csv_init(&c, out);
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

/* ---- the views ---- */

enum which { V_REGIONS, V_MAPS_AT, V_CHECK };

struct view_state {
	enum which which;
	struct mm_as *as;            /* the shared model, or OWN */
	struct mm_as *own;           /* --maps-at T: this view's frozen model */
	struct mm_regions_opts o;
	bool bad_sort;
};

/* --maps-at T keeps a model of its own, frozen at T; the end is the
 * shared one. */
static bool maps_at_uses_model(const struct mm_report_opts *o)
{
	return o->at_ns == 0;
}

static struct view_state *view_create(struct mm_file *f, const struct mm_report_opts *ro,
				      enum which which)
{
	struct view_state *s = mm_calloc(1, sizeof(*s));
	s->which = which;
	s->o.output = ro->output;
	s->o.pids = ro->pids;
	s->o.nr_pids = ro->nr_pids;
	s->o.at_end = which != V_MAPS_AT || ro->at_ns == 0;
	s->o.at_ns = ro->at_ns;
	if (which == V_REGIONS && mm_regions_parse_sort(ro->sort, &s->o.sort) < 0)
		s->bad_sort = true;     /* reported by finish(): create cannot fail */
	if (s->o.at_end)
		s->as = ro->as;
	else
		s->as = s->own = mm_as_from_file(f, ro->at_ns);
	return s;
}

static void *create_regions(struct mm_file *f, const struct mm_report_opts *o)
{
	return view_create(f, o, V_REGIONS);
}

static void *create_maps_at(struct mm_file *f, const struct mm_report_opts *o)
{
	return view_create(f, o, V_MAPS_AT);
}

static void *create_check(struct mm_file *f, const struct mm_report_opts *o)
{
	return view_create(f, o, V_CHECK);
}

static void view_event(void *state, const struct mm_event *ev)
{
	struct view_state *s = state;
	if (s->own)
		mm_as_event(s->own, ev);
}

static int view_finish(void *state, FILE *out)
{
	struct view_state *s = state;
	if (s->bad_sort)
		return mm_error("unknown sort key (size, faults or addr)");
	if (s->own)
		mm_as_finish(s->own);
	if (s->which == V_REGIONS)
		return mm_regions_print(s->as, &s->o, out);
	if (s->which == V_MAPS_AT)
		return mm_maps_at_print(s->as, &s->o, out);
	return mm_check_maps_print(s->as, &s->o, out, NULL);
}

static void view_destroy(void *state)
{
	struct view_state *s = state;
	if (!s)
		return;
	mm_as_free(s->own);
	free(s);
}

/* Only --maps-at T needs the events (for its own model). */
const struct mm_view mm_view_regions = {
	.name = "regions", .uses_model = mm_view_uses_model, .create = create_regions,
	.finish = view_finish, .destroy = view_destroy,
};
const struct mm_view mm_view_maps_at = {
	.name = "maps-at", .uses_model = maps_at_uses_model, .create = create_maps_at,
	.event = view_event, .finish = view_finish, .destroy = view_destroy,
};
const struct mm_view mm_view_check_maps = {
	.name = "check-maps", .uses_model = mm_view_uses_model, .create = create_check,
	.finish = view_finish, .destroy = view_destroy,
};
