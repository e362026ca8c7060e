/*
 * report/views/maps-end-view.c - --maps-at end for a process whose END
 * smaps snapshot is in the trace: pmap -x's true columns, one row per
 * mapping as the kernel had it at exit, beside memmon's own estimate.
 *
 * The rows are the smaps entries (the kernel's VMAs: where it merged two
 * neighbouring mappings there is one row), their Kbytes, RSS, Dirty, Swap
 * (and in JSON/CSV PSS, AnonHugePages, Locked) straight from the kernel;
 * Model is the estimate the address-space model built from the events,
 * the pages it holds resident in the same range.  The closing lines put
 * the totals side by side with the VmRSS of the END status snapshot, so
 * the estimate is checked against the truth on every recording.
 */
#include <stdlib.h>

#include "memmon.h"
#include "report/model/addrspace.h"
#include "report/model/smapsfile.h"
#include "report/views/json.h"
#include "report/views/maps-end-view.h"

struct row {
	const struct mm_smaps_entry *e;
	uint64_t model_kb;
	const struct mm_region *r;      /* the model region at its start */
};

static struct row row_of(const struct mm_as *as, const struct mm_as_proc *p, size_t i)
{
	const struct mm_smaps_entry *e = &p->smaps_end->e[i];
	uint64_t pages = mm_as_resident_range(as, p, e->map.start, e->map.end);
	return (struct row){ e, (pages * mm_as_page_size(as)) >> 10,
			     mm_as_lookup(p, e->map.start) };
}

static void perms_of(const struct mm_maps_entry *m, char buf[5])
{
	buf[0] = m->prot & MM_PROT_R ? 'r' : '-';
	buf[1] = m->prot & MM_PROT_W ? 'w' : '-';
	buf[2] = m->prot & MM_PROT_X ? 'x' : '-';
	buf[3] = m->shared ? 's' : 'p';
	buf[4] = '\0';
}

/* The estimate's distance from the kernel's count, in percent. */
static double off_pct(uint64_t model_kb, uint64_t kernel_kb)
{
	return kernel_kb ? ((double)model_kb - (double)kernel_kb) * 100.0 / (double)kernel_kb : 0.0;
}

struct totals { uint64_t kb, rss, dirty, swap, model; };

void mm_maps_end_text_proc(const struct mm_as *as, const struct mm_as_proc *p, FILE *out)
{
	struct totals t = { 0 };
	fprintf(out, "%d:   %s   ", p->tgid, p->exe[0] ? p->exe : p->comm);
	if (p->exited)
		fprintf(out, "(final map, exited at %.6f)\n", mm_as_rel_s(as, p->exit_ts));
	else
		fprintf(out, "(still running at the end of the recording)\n");
	fprintf(out, "Address           Kbytes     RSS   Dirty    Swap   Model Mode  Mapping\n");
	for (size_t i = 0; i < p->smaps_end->n; i++) {
		struct row w = row_of(as, p, i);
		const struct mm_maps_entry *m = &w.e->map;
		uint64_t kb = (m->end - m->start) >> 10;
		char perms[5];
		perms_of(m, perms);
		fprintf(out, "%016llx %7llu %7llu %7llu %7llu %7llu %s  %s\n",
			(unsigned long long)m->start, (unsigned long long)kb,
			(unsigned long long)w.e->kb[MM_SMAPS_RSS],
			(unsigned long long)mm_smaps_dirty_kb(w.e),
			(unsigned long long)w.e->kb[MM_SMAPS_SWAP], (unsigned long long)w.model_kb,
			perms, m->name[0] ? m->name : "[ anon ]");
		t.kb += kb, t.rss += w.e->kb[MM_SMAPS_RSS], t.dirty += mm_smaps_dirty_kb(w.e);
		t.swap += w.e->kb[MM_SMAPS_SWAP], t.model += w.model_kb;
	}
	uint64_t model = (mm_as_resident_pages(p) * mm_as_page_size(as)) >> 10;
	fprintf(out, "---------------- ------- ------- ------- ------- -------\n");
	fprintf(out, "total kB         %7llu %7llu %7llu %7llu %7llu\n", (unsigned long long)t.kb,
		(unsigned long long)t.rss, (unsigned long long)t.dirty, (unsigned long long)t.swap,
		(unsigned long long)t.model);
	fprintf(out, "# resident %s: kernel %llu KiB", p->exited ? "at exit" : "at the end",
		(unsigned long long)t.rss);
	if (p->vmrss_end_kb >= 0)
		fprintf(out, " (VmRSS %lld kB)", (long long)p->vmrss_end_kb);
	fprintf(out, ", memmon's estimate %llu KiB (%+.1f%%)", (unsigned long long)model,
		off_pct(model, p->vmrss_end_kb >= 0 ? (uint64_t)p->vmrss_end_kb : t.rss));
	if (model != t.model)
		fprintf(out, ", %lld KiB of it in no row", (long long)model - (long long)t.model);
	fprintf(out, "\n\n");
}

void mm_maps_end_json_proc(struct mm_json *j, const struct mm_as *as, const struct mm_as_proc *p)
{
	struct totals t = { 0 };
	static const struct { const char *key; enum mm_smaps_field f; } extra[] = {
		{ "pss_kb", MM_SMAPS_PSS }, { "swap_kb", MM_SMAPS_SWAP },
		{ "anon_huge_kb", MM_SMAPS_ANON_HUGE }, { "locked_kb", MM_SMAPS_LOCKED },
		{ "shared_clean_kb", MM_SMAPS_SHARED_CLEAN }, { "shared_dirty_kb", MM_SMAPS_SHARED_DIRTY },
		{ "private_clean_kb", MM_SMAPS_PRIVATE_CLEAN },
		{ "private_dirty_kb", MM_SMAPS_PRIVATE_DIRTY },
	};
	mm_json_object_begin(j, NULL);
	mm_json_i64(j, "pid", p->tgid);
	mm_json_str(j, "comm", p->comm);
	mm_json_str(j, "exe", p->exe);
	mm_json_bool(j, "exited", p->exited);
	mm_json_str(j, "source", "smaps");
	mm_json_array_begin(j, "regions");
	for (size_t i = 0; i < p->smaps_end->n; i++) {
		struct row w = row_of(as, p, i);
		const struct mm_maps_entry *m = &w.e->map;
		char perms[5];
		perms_of(m, perms);
		mm_json_object_begin(j, NULL);
		if (w.r)
			mm_json_u64(j, "id", w.r->id);
		else
			mm_json_null(j, "id");
		mm_json_hex(j, "start", m->start);
		mm_json_hex(j, "end", m->end);
		mm_json_u64(j, "kbytes", (m->end - m->start) >> 10);
		mm_json_u64(j, "rss_kb", w.e->kb[MM_SMAPS_RSS]);
		mm_json_u64(j, "dirty_kb", mm_smaps_dirty_kb(w.e));
		for (size_t k = 0; k < sizeof(extra) / sizeof(extra[0]); k++)
			mm_json_u64(j, extra[k].key, w.e->kb[extra[k].f]);
		mm_json_u64(j, "model_rss_kb", w.model_kb);
		mm_json_str(j, "perms", perms);
		mm_json_str(j, "backing", w.r ? mm_backing_name(w.r->backing) : NULL);
		mm_json_str(j, "name", m->name);
		mm_json_object_end(j);
		t.kb += (m->end - m->start) >> 10, t.rss += w.e->kb[MM_SMAPS_RSS];
		t.dirty += mm_smaps_dirty_kb(w.e), t.swap += w.e->kb[MM_SMAPS_SWAP];
	}
	mm_json_array_end(j);
	mm_json_object_begin(j, "total");
	mm_json_u64(j, "kbytes", t.kb);
	mm_json_u64(j, "rss_kb", t.rss);
	mm_json_u64(j, "dirty_kb", t.dirty);
	mm_json_u64(j, "swap_kb", t.swap);
	mm_json_u64(j, "model_rss_kb", (mm_as_resident_pages(p) * mm_as_page_size(as)) >> 10);
	if (p->vmrss_end_kb >= 0)
		mm_json_i64(j, "vmrss_kb", p->vmrss_end_kb);
	else
		mm_json_null(j, "vmrss_kb");
	mm_json_object_end(j);
	mm_json_object_end(j);
}

void mm_maps_end_csv_proc(struct mm_csv *c, const struct mm_as *as, const struct mm_as_proc *p)
{
	for (size_t i = 0; i < p->smaps_end->n; i++) {
		struct row w = row_of(as, p, i);
		const struct mm_maps_entry *m = &w.e->map;
		char perms[5];
		perms_of(m, perms);
		mm_csv_i64(c, p->tgid);
		mm_csv_hex(c, m->start);
		mm_csv_hex(c, m->end);
		mm_csv_u64(c, (m->end - m->start) >> 10);
		mm_csv_u64(c, w.e->kb[MM_SMAPS_RSS]);
		mm_csv_u64(c, mm_smaps_dirty_kb(w.e));
		mm_csv_str(c, perms);
		mm_csv_str(c, w.r ? mm_backing_name(w.r->backing) : NULL);
		mm_csv_str(c, m->name);
		mm_csv_u64(c, w.e->kb[MM_SMAPS_PSS]);
		mm_csv_u64(c, w.e->kb[MM_SMAPS_SWAP]);
		mm_csv_u64(c, w.e->kb[MM_SMAPS_ANON_HUGE]);
		mm_csv_u64(c, w.e->kb[MM_SMAPS_LOCKED]);
		mm_csv_u64(c, w.model_kb);
		mm_csv_str(c, "smaps");
		mm_csv_end_row(c);
	}
}
