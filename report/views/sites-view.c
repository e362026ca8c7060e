/*
 * report/views/sites-view.c - `--sites`: the code behind the memory as
 * text, JSON or CSV (the facts: report/analyses/sites.c).
 *
 * Two tables: the code that faulted (one row per function, or per
 * MODULE+0xOFF where no symbol holds the instruction), and the code that
 * mapped memory and moved the break (one row per stack of the memory
 * calls).  Both sorted by faults unless --sort says size or addr.  The
 * note above the second says how many calls had a stack and how many are
 * shallow because frame pointers are missing, and in which objects.
 *   JSON: {"view": "sites", "lost_events", "stacks": {"memory_calls",
 *          "with_stack", "cut_short", "without_frame_pointers": [MODULE]},
 *          "fault_sites": [{"code": {"module", "function", "offset",
 *          "object_address"}, "faults", "by_class": {"anon",
 *          "file", "swap", "cow", "other", "unknown"}, "by_access": {"r", "w", "x"},
 *          "pages_touched", "regions", "kernel_syscall"}],
 *          "map_sites": [{"stack": [FRAME + "gap"] | null, "calls",
 *          "by_syscall": {NAME: N}, "failed", "bytes_mapped",
 *          "bytes_unmapped", "brk_grown", "brk_shrunk", "faults",
 *          "pages_touched"}]}   FRAME: report/views/code.h
 *   CSV:  kind,faults,anon,file,swap,cow,other,unknown,r,w,x,pages_touched,regions,
 *         module,function,offset,calls,mmap,munmap,mprotect,brk,
 *         other_calls,bytes_mapped,bytes_unmapped,brk_grown,brk_shrunk,
 *         stack  (kind "fault" or "map")
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/sites.h"
#include "report/model/addrspace.h"
#include "report/model/symbols.h"
#include "report/views/code.h"
#include "report/views/json.h"
#include "report/views/view.h"

struct sview {
	struct mm_sites s;
	struct mm_report_opts o;
	enum mm_regions_sort sort;
	bool bad_sort;
	const char *stacks_off;    /* why record took no stacks, or NULL */
};

/* "func [module]", "module+0xOFF", "[kernel] read", "[vdso]+0x5". */
static void site_name(const struct mm_fault_site *f, char *buf, size_t n)
{
	if (f->syscall || (f->special && !strcmp(f->special, "[kernel]")))
		snprintf(buf, n, "[kernel] in %s", f->syscall ? f->syscall : "no syscall seen");
	else if (f->func)
		snprintf(buf, n, "%s [%s]", f->func, f->module);
	else
		snprintf(buf, n, "%s+0x%" PRIx64, f->module ? f->module : f->special, f->off);
}

static uint64_t other_calls(const struct mm_map_site *m)
{
	return m->calls - m->by_sys[MM_SYS_MMAP] - m->by_sys[MM_SYS_MUNMAP] -
	       m->by_sys[MM_SYS_MPROTECT] - m->by_sys[MM_SYS_BRK];
}

static void print_text(const void *ctx, FILE *out)
{
	const struct sview *v = ctx;
	const struct mm_sites *s = &v->s;
	char name[1200], fp[600];

	fprintf(out, "# code that faulted: %" PRIu64 " faults at %zu places (the function of "
		"each faulting instruction)\n", s->faults, s->nr_fault);
	fprintf(out, "%8s", "FAULTS");
	for (int k = 0; k < MM_FAULT_NR; k++) {
		char up[16];
		snprintf(up, sizeof(up), "%s", mm_fault_class_name(k));
		for (char *c = up; *c; c++)
			*c = (char)(*c - 'a' + 'A');
		fprintf(out, " %7s", up);
	}
	fprintf(out, " %7s %7s %7s %7s %7s  %s\n", "R", "W", "X", "PAGES", "REGIONS", "CODE");
	for (size_t i = 0; i < s->nr_fault; i++) {
		const struct mm_fault_site *f = &s->fault[i];
		site_name(f, name, sizeof(name));
		fprintf(out, "%8" PRIu64, f->faults);
		for (int k = 0; k < MM_FAULT_NR; k++)
			fprintf(out, " %7" PRIu64, f->by_class[k]);
		for (int a = 0; a < MM_ACCESS_NR; a++)
			fprintf(out, " %7" PRIu64, f->by_access[a]);
		fprintf(out, " %7" PRIu64 " %7" PRIu64 "  %s\n", f->pages, f->regions, name);
	}
	fprintf(out, "\n# code that mapped memory and moved the break: %" PRIu64 " memory calls, "
		"%" PRIu64 " with a stack", s->calls, s->stacks.with_stack);
	mm_view_shallow_text(&s->stacks, fp, sizeof(fp));
	if (*fp)
		fprintf(out, " (%s: a frame there loses its caller, marked '?')", fp);
	if (!s->stacks.with_stack && s->calls && v->stacks_off)
		fprintf(out, " (recorded without stacks: %s)", v->stacks_off);
	else if (!s->stacks.with_stack && s->calls)
		fputs(" (recorded without stacks: record --no-stacks, or a kernel without "
		      "userstacktrace)", out);
	fputc('\n', out);
	fprintf(out, "%6s %6s %8s %5s %5s %10s %10s %10s %10s %7s %7s  %s\n", "MMAP", "MUNMAP",
		"MPROTECT", "BRK", "OTHER", "MAPPED", "UNMAPPED", "BRK+", "BRK-", "FAULTS", "PAGES",
		"STACK");
	for (size_t i = 0; i < s->nr_map; i++) {
		const struct mm_map_site *m = &s->map[i];
		char mapped[24], unmapped[24], up[24], down[24];
		snprintf(mapped, sizeof(mapped), "%" PRIu64 "K", m->mapped >> 10);
		snprintf(unmapped, sizeof(unmapped), "%" PRIu64 "K", m->unmapped >> 10);
		snprintf(up, sizeof(up), "%" PRIu64 "K", m->brk_up >> 10);
		snprintf(down, sizeof(down), "%" PRIu64 "K", m->brk_down >> 10);
		mm_view_stack_text(mm_as_stack(v->o.as, m->stack), name, sizeof(name));
		fprintf(out, "%6" PRIu64 " %6" PRIu64 " %8" PRIu64 " %5" PRIu64 " %5" PRIu64
			" %10s %10s %10s %10s %7" PRIu64 " %7" PRIu64 "  %s\n",
			m->by_sys[MM_SYS_MMAP], m->by_sys[MM_SYS_MUNMAP], m->by_sys[MM_SYS_MPROTECT],
			m->by_sys[MM_SYS_BRK], other_calls(m), mapped, unmapped, up, down, m->faults,
			m->pages, name);
	}
}

static void json_fault_site(struct mm_json *j, const struct mm_fault_site *f)
{
	static const char *const acc[MM_ACCESS_NR] = { "r", "w", "x" };
	struct mm_code c = { .module = f->module, .func = f->func, .off = f->off,
			     .special = f->special };

	mm_json_object_begin(j, NULL);
	mm_json_object_begin(j, "code");
	mm_json_str(j, "module", f->module ? f->module : f->special);
	mm_json_str(j, "function", c.func);
	if (f->func)
		mm_json_null(j, "offset");
	else
		mm_json_hex(j, "offset", c.off);
	if (f->module)
		mm_json_hex(j, "object_address", f->addr);
	else
		mm_json_null(j, "object_address");
	mm_json_object_end(j);
	mm_json_str(j, "kernel_syscall", f->syscall);
	mm_json_u64(j, "faults", f->faults);
	mm_json_object_begin(j, "by_class");
	for (int k = 0; k < MM_FAULT_NR; k++)
		mm_json_u64(j, mm_fault_class_name(k), f->by_class[k]);
	mm_json_object_end(j);
	mm_json_object_begin(j, "by_access");
	for (int a = 0; a < MM_ACCESS_NR; a++)
		mm_json_u64(j, acc[a], f->by_access[a]);
	mm_json_object_end(j);
	mm_json_u64(j, "pages_touched", f->pages);
	mm_json_u64(j, "regions", f->regions);
	mm_json_object_end(j);
}

static void json_map_site(struct mm_json *j, const struct sview *v, const struct mm_map_site *m)
{
	mm_json_object_begin(j, NULL);
	mm_view_json_stack(j, "stack", mm_as_stack(v->o.as, m->stack));
	mm_json_u64(j, "calls", m->calls);
	mm_json_object_begin(j, "by_syscall");
	for (int k = 0; k < MM_SYS_NR; k++)
		if (m->by_sys[k])
			mm_json_u64(j, mm_syscall_name(k), m->by_sys[k]);
	mm_json_object_end(j);
	mm_json_u64(j, "failed", m->failed);
	mm_json_u64(j, "bytes_mapped", m->mapped);
	mm_json_u64(j, "bytes_unmapped", m->unmapped);
	mm_json_u64(j, "brk_grown", m->brk_up);
	mm_json_u64(j, "brk_shrunk", m->brk_down);
	mm_json_u64(j, "faults", m->faults);
	mm_json_u64(j, "pages_touched", m->pages);
	mm_json_object_end(j);
}

static void print_json(const void *ctx, FILE *out)
{
	const struct sview *v = ctx;
	const struct mm_sites *s = &v->s;
	struct mm_json j;

	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "sites");
	mm_view_json_lost(&j, &v->o);
	mm_json_object_begin(&j, "stacks");
	mm_json_u64(&j, "memory_calls", s->calls);
	mm_json_u64(&j, "with_stack", s->stacks.with_stack);
	mm_json_u64(&j, "cut_short", s->stacks.shallow);
	mm_view_json_no_fp(&j, "without_frame_pointers", &s->stacks);
	mm_json_object_end(&j);
	mm_json_array_begin(&j, "fault_sites");
	for (size_t i = 0; i < s->nr_fault; i++)
		json_fault_site(&j, &s->fault[i]);
	mm_json_array_end(&j);
	mm_json_array_begin(&j, "map_sites");
	for (size_t i = 0; i < s->nr_map; i++)
		json_map_site(&j, v, &s->map[i]);
	mm_json_array_end(&j);
	mm_json_finish(&j);
}

static void print_csv(const void *ctx, FILE *out)
{
	static const char *const tail[] = {
		"r", "w", "x", "pages_touched", "regions", "module", "function", "offset", "calls",
		"mmap", "munmap", "mprotect", "brk", "other_calls", "bytes_mapped",
		"bytes_unmapped", "brk_grown", "brk_shrunk", "stack",
	};
	const char *hdr[2 + MM_FAULT_NR + sizeof(tail) / sizeof(tail[0])];
	size_t nh = 0;
	const struct sview *v = ctx;
	const struct mm_sites *s = &v->s;
	char text[1200];
	struct mm_csv c;

	hdr[nh++] = "kind";
	hdr[nh++] = "faults";
	for (int k = 0; k < MM_FAULT_NR; k++)
		hdr[nh++] = mm_fault_class_name(k);
	for (size_t k = 0; k < sizeof(tail) / sizeof(tail[0]); k++)
		hdr[nh++] = tail[k];
	mm_csv_init(&c, out);
	mm_view_csv_lost(&c, &v->o);
	mm_csv_header(&c, hdr, nh);
	for (size_t i = 0; i < s->nr_fault; i++) {
		const struct mm_fault_site *f = &s->fault[i];
		mm_csv_str(&c, "fault");
		mm_csv_u64(&c, f->faults);
		for (int k = 0; k < MM_FAULT_NR; k++)
			mm_csv_u64(&c, f->by_class[k]);
		for (int a = 0; a < MM_ACCESS_NR; a++)
			mm_csv_u64(&c, f->by_access[a]);
		mm_csv_u64(&c, f->pages);
		mm_csv_u64(&c, f->regions);
		mm_csv_str(&c, f->module ? f->module : f->special);
		mm_csv_str(&c, f->func ? f->func : f->syscall);
		if (f->func)
			mm_csv_str(&c, NULL);
		else
			mm_csv_hex(&c, f->off);
		for (int k = 0; k < 11; k++)
			mm_csv_str(&c, NULL);
		mm_csv_end_row(&c);
	}
	for (size_t i = 0; i < s->nr_map; i++) {
		const struct mm_map_site *m = &s->map[i];
		const struct mm_stack *st = mm_as_stack(v->o.as, m->stack);
		mm_csv_str(&c, "map");
		mm_csv_u64(&c, m->faults);
		for (int k = 0; k < MM_FAULT_NR + MM_ACCESS_NR; k++)
			mm_csv_str(&c, NULL);
		mm_csv_u64(&c, m->pages);
		mm_csv_str(&c, NULL);
		mm_csv_str(&c, st ? (st->code[0].module ? st->code[0].module : st->code[0].special) :
			      NULL);
		mm_csv_str(&c, st ? st->code[0].func : NULL);
		if (st)
			mm_csv_hex(&c, st->code[0].off);
		else
			mm_csv_str(&c, NULL);
		mm_csv_u64(&c, m->calls);
		mm_csv_u64(&c, m->by_sys[MM_SYS_MMAP]);
		mm_csv_u64(&c, m->by_sys[MM_SYS_MUNMAP]);
		mm_csv_u64(&c, m->by_sys[MM_SYS_MPROTECT]);
		mm_csv_u64(&c, m->by_sys[MM_SYS_BRK]);
		mm_csv_u64(&c, other_calls(m));
		mm_csv_u64(&c, m->mapped);
		mm_csv_u64(&c, m->unmapped);
		mm_csv_u64(&c, m->brk_up);
		mm_csv_u64(&c, m->brk_down);
		mm_view_stack_text(st, text, sizeof(text));
		mm_csv_str(&c, text);
		mm_csv_end_row(&c);
	}
}

static void *create(struct mm_file *file, const struct mm_report_opts *opts)
{
	struct sview *v = mm_calloc(1, sizeof(*v));

	v->stacks_off = mm_report_stacks_off(file);
	v->o = *opts;
	v->sort = MM_SORT_FAULTS;
	if (opts->sort && mm_regions_parse_sort(opts->sort, &v->sort) < 0)
		v->bad_sort = true;
	mm_sites_init(&v->s, opts->as, opts->pids, opts->nr_pids);
	return v;
}

static void event(void *state, const struct mm_event *ev)
{
	struct sview *v = state;
	mm_sites_event(&v->s, ev);
}

static int finish(void *state, FILE *out)
{
	static const struct mm_view_printers print = { print_text, print_json, print_csv };
	struct sview *v = state;

	if (v->bad_sort)
		return mm_error("unknown sort key (size, faults or addr)");
	mm_sites_sort(&v->s, v->sort);
	return mm_view_print(out, v->o.output, &print, v, "sites");
}

static void destroy(void *state)
{
	struct sview *v = state;

	if (!v)
		return;
	mm_sites_free(&v->s);
	free(v);
}

const struct mm_view mm_view_sites = {
	.name = "sites", .uses_model = mm_view_uses_model, .create = create, .event = event,
	.finish = finish, .destroy = destroy,
};
