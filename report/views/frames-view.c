/*
 * report/views/frames-view.c - the frames a trace's tasks took and gave
 * back (record --frames), by zone and order, and by region: the printers
 * --context and --regions --frames share (frames-view.h has the JSON).
 */
#include <inttypes.h>

#include "memmon.h"
#include "report/analyses/frames.h"
#include "report/model/addrspace.h"
#include "report/views/frames-view.h"
#include "report/views/json.h"

static const char *const use_key[MM_FRAME_USE_NR] = {
	[MM_FRAME_FAULTED] = "faulted", [MM_FRAME_PAGETABLE] = "page_table",
	[MM_FRAME_USER] = "user", [MM_FRAME_KERNEL] = "kernel", [MM_FRAME_FREED] = "freed",
};

static bool empty(const struct mm_frames_count *c)
{
	return !c->taken_pages && !c->given_pages;
}

/* "Normal" / "Normal (node 1)" / "?" for the last (no zone) index. */
static void zone_label(const struct mm_frames *fr, size_t z, char *buf, size_t len)
{
	if (z >= fr->zones.n)
		snprintf(buf, len, "?");
	else if (fr->zones.z[z].node)
		snprintf(buf, len, "%s (node %d)", fr->zones.z[z].name, fr->zones.z[z].node);
	else
		snprintf(buf, len, "%s", fr->zones.z[z].name);
}

void mm_frames_print_text(const struct mm_frames *fr, FILE *out)
{
	char label[48], order[24];
	fprintf(out, "\nframes (record --frames): taken and given back, by zone and order\n");
	if (!fr->any) {
		fprintf(out, "(no frame events in the trace: record --frames records them)\n");
		return;
	}
	fprintf(out, "%-18s %-8s %10s %10s\n", "ZONE", "ORDER", "TAKEN", "GIVEN");
	for (size_t z = 0; z <= fr->zones.n; z++) {
		const struct mm_frames_count *c = &fr->zone[z];
		if (empty(c))
			continue;
		zone_label(fr, z, label, sizeof(label));
		for (unsigned o = 0; o < MM_FRAMES_ORDERS; o++) {
			const char *name = mm_frame_order_name(o, fr->pmd_order);
			if (!c->taken[o] && !c->given[o])
				continue;
			snprintf(order, sizeof(order), "%u%s%s", o, name ? " " : "", name ? name : "");
			fprintf(out, "%-18s %-8s %10" PRIu64 " %10" PRIu64 "\n", label, order,
				c->taken[o], c->given[o]);
		}
		fprintf(out, "%-18s %-8s %10" PRIu64 " %10" PRIu64 " pages\n", label, "all",
			c->taken_pages, c->given_pages);
	}
	const struct mm_frames_count *t = &fr->total;
	fprintf(out, "taken for: faults %" PRIu64 ", page tables %" PRIu64 ", other user pages %"
		PRIu64 ", the kernel %" PRIu64 "\n", t->use[MM_FRAME_FAULTED],
		t->use[MM_FRAME_PAGETABLE], t->use[MM_FRAME_USER], t->use[MM_FRAME_KERNEL]);
}

static void count_json(struct mm_json *j, const struct mm_frames_count *c)
{
	uint64_t taken = 0, given = 0;
	for (unsigned o = 0; o < MM_FRAMES_ORDERS; o++) {
		taken += c->taken[o];
		given += c->given[o];
	}
	mm_json_u64(j, "taken", taken);
	mm_json_u64(j, "given", given);
	mm_json_u64(j, "taken_pages", c->taken_pages);
	mm_json_u64(j, "given_pages", c->given_pages);
}

void mm_frames_print_json(const struct mm_frames *fr, struct mm_json *j)
{
	if (!fr->any) {
		mm_json_null(j, "frames");
		return;
	}
	mm_json_object_begin(j, "frames");
	count_json(j, &fr->total);
	mm_json_object_begin(j, "use");
	for (int u = 0; u < MM_FRAME_FREED; u++)
		mm_json_u64(j, use_key[u], fr->total.use[u]);
	mm_json_object_end(j);
	mm_json_u64(j, "untracked", fr->untracked);
	mm_json_array_begin(j, "zones");
	for (size_t z = 0; z <= fr->zones.n; z++) {
		const struct mm_frames_count *c = &fr->zone[z];
		if (empty(c))
			continue;
		mm_json_object_begin(j, NULL);
		if (z < fr->zones.n) {
			mm_json_i64(j, "node", fr->zones.z[z].node);
			mm_json_str(j, "zone", fr->zones.z[z].name);
			mm_json_u64(j, "start_pfn", fr->zones.z[z].start_pfn);
			mm_json_u64(j, "spanned", fr->zones.z[z].spanned);
		} else {
			mm_json_null(j, "node");
			mm_json_null(j, "zone");
		}
		count_json(j, c);
		mm_json_array_begin(j, "orders");
		for (unsigned o = 0; o < MM_FRAMES_ORDERS; o++) {
			if (!c->taken[o] && !c->given[o])
				continue;
			mm_json_object_begin(j, NULL);
			mm_json_u64(j, "order", o);
			mm_json_str(j, "name", mm_frame_order_name(o, fr->pmd_order));
			mm_json_u64(j, "taken", c->taken[o]);
			mm_json_u64(j, "given", c->given[o]);
			mm_json_object_end(j);
		}
		mm_json_array_end(j);
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
	mm_json_object_end(j);
}

void mm_frames_region_text(const struct mm_frames *fr, int32_t tgid, const struct mm_region *r,
			   FILE *out)
{
	const struct mm_frames_region *f = mm_frames_region(fr, (uint32_t)tgid, r->id);
	char label[48];
	if (!f)
		return;
	fprintf(out, "  %12llx-%-12llx frames: taken %" PRIu64 " (%" PRIu64 " pages:",
		(unsigned long long)r->start, (unsigned long long)r->end, f->taken, f->taken_pages);
	for (size_t z = 0; z <= fr->zones.n; z++)
		if (f->zone_taken[z]) {
			zone_label(fr, z, label, sizeof(label));
			fprintf(out, " %s %" PRIu64, label, f->zone_taken[z]);
		}
	fprintf(out, "), given back %" PRIu64 " (%" PRIu64 " pages)\n", f->given, f->given_pages);
}

void mm_frames_region_json(const struct mm_frames *fr, int32_t tgid, const struct mm_region *r,
			   struct mm_json *j)
{
	const struct mm_frames_region *f = mm_frames_region(fr, (uint32_t)tgid, r->id);
	char label[48];
	if (!f) {
		mm_json_null(j, "frames");
		return;
	}
	mm_json_object_begin(j, "frames");
	mm_json_u64(j, "taken", f->taken);
	mm_json_u64(j, "given", f->given);
	mm_json_u64(j, "taken_pages", f->taken_pages);
	mm_json_u64(j, "given_pages", f->given_pages);
	mm_json_object_begin(j, "zones");
	for (size_t z = 0; z <= fr->zones.n; z++)
		if (f->zone_taken[z]) {
			zone_label(fr, z, label, sizeof(label));
			mm_json_u64(j, label, f->zone_taken[z]);
		}
	mm_json_object_end(j);
	mm_json_object_end(j);
}
