/*
 * report/views/findings-view.c - the malloc findings as report views: the
 * full form (--malloc-patterns: text, --json, --csv) and the short section
 * of the default report; the findings themselves are computed in
 * report/analyses/findings*.c.
 *
 * Text (full), one block per finding:
 *   [warn] mmap-churn, pid 1234
 *     262144 bytes mapped and unmapped 20 times: ...       <- summary
 *     why: ...                                             <- explanation
 *     numbers: size=262144 pairs=20 ...
 *     tune: ...
 *     evidence (4 of 40 events):
 *       0.001234 1234: mmap(0, 262144, rw-) -> 7f12b7d8f000
 * JSON: {"view": "findings", "findings": [{"id", "severity", "pid", "summary", "explanation",
 * "tune", "numbers": {NAME: N}, "units": {NAME: UNIT}, "evidence_total",
 * "evidence": [{"time", "pid", "event", "text", "addr", ..., "code"}]}]}
 * ("code": the frames of the system call, or one frame: the faulting
 * instruction's, an allocator call's site; null when none was recorded;
 * report/views/code.h).  In text an evidence line ends with "  by STACK"
 * (short) or " in FUNC+0xOFF [MODULE]".
 * CSV: id,severity,pid,summary,numbers (one row per finding; numbers as
 * "name=value" joined by spaces).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/heapops.h"
#include "plugins/symbolic.h"
#include "report/model/heap.h"
#include "report/analyses/findings.h"
#include "report/model/symbols.h"
#include "report/views/code.h"
#include "report/views/findings-view.h"
#include "report/views/json.h"
#include "report/views/view.h"

struct fview {
	struct mm_findings *fs;      /* watching the shared model */
	struct mm_report_opts o;
	bool brief;
};

/* "-ENOMEM", a hex address or a decimal, as the log prints results. */
static char *put_ret(char *p, const struct mm_find_ev *e, bool addr)
{
	if (!e->has_ret)
		return memcpy(p, "?", 1), p + 1;
	if (mm_sym_is_err(e->ret))
		return mm_sym_errno(p, e->ret);
	return addr ? mm_sym_hex(p, (uint64_t)e->ret) : mm_sym_dec(p, e->ret);
}

void mm_find_ev_format(const struct mm_find_ev *e, char *buf, size_t len)
{
	char tmp[MM_SYM_MAX], r[40], prot[40];
	if (e->kind == MM_EV_HEAP) {           /* record --malloc: a call */
		if (MM_OP_IS_FREE(e->nr))
			snprintf(buf, len, "%s(%" PRIx64 ") at %" PRIx64, mm_heap_op_name(e->nr),
				 e->args[0], e->args[2]);
		else
			snprintf(buf, len, "%s(%" PRIu64 ") -> %" PRIx64 " at %" PRIx64,
				 mm_heap_op_name(e->nr), e->args[0], e->args[1], e->args[2]);
		return;
	}
	if (e->kind == MM_EV_FAULT) {
		snprintf(buf, len, "%s page @%" PRIx64 " (%c)",
			 mm_fault_class_name(e->nr), e->args[0], "RWX"[e->access % 3]);
		return;
	}
	bool is_addr = e->nr == MM_SYS_BRK || e->nr == MM_SYS_MMAP || e->nr == MM_SYS_MREMAP;
	*put_ret(r, e, is_addr) = 0;
	const char *arrow = is_addr ? "->" : "=";
	const char *name = mm_syscall_name(e->nr);
	switch (e->nr) {
	case MM_SYS_BRK:
		*mm_sym_hex(tmp, e->args[0]) = 0;
		snprintf(buf, len, "brk(%s) -> %s", tmp, r);
		break;
	case MM_SYS_MMAP:
		*mm_sym_hex(tmp, e->args[0]) = 0;
		*mm_sym_prot(prot, e->args[2]) = 0;
		snprintf(buf, len, "mmap(%s, %" PRIu64 ", %s) -> %s", tmp, e->args[1], prot, r);
		break;
	case MM_SYS_MREMAP:
		*mm_sym_hex(tmp, e->args[0]) = 0;
		snprintf(buf, len, "mremap(%s, %" PRIu64 ", %" PRIu64 ") -> %s", tmp,
			 e->args[1], e->args[2], r);
		break;
	default:
		*mm_sym_hex(tmp, e->args[0]) = 0;
		snprintf(buf, len, "%s(%s, %" PRIu64 ") %s %s", name, tmp, e->args[1], arrow, r);
		break;
	}
}

/* The finding's process, or a task of its evidence, passes --pid. */
static bool wanted(const struct fview *v, const struct mm_finding *f)
{
	if (mm_pid_wanted(v->o.pids, v->o.nr_pids, f->pid))
		return true;
	for (unsigned k = 0; k < f->nr_ev; k++)
		if (mm_pid_wanted(v->o.pids, v->o.nr_pids, f->ev[k].pid))
			return true;
	return false;
}

static double rel_s(const struct fview *v, uint64_t ts)
{
	uint64_t t0 = mm_findings_t0(v->fs);
	return ts >= t0 ? (double)(ts - t0) / 1e9 : 0.0;
}

/* Print TEXT wrapped at 78 columns after LEAD; continuation lines start
 * with INDENT (as wide as LEAD plus its space). */
static void wrap(FILE *out, const char *lead, const char *indent, const char *text)
{
	size_t col = strlen(lead), ind = strlen(indent);
	fputs(lead, out);
	for (const char *p = text; *p;) {
		size_t w = strcspn(p, " ");
		if (col > ind && col + 1 + w > 78) {
			fprintf(out, "\n%s", indent);
			col = ind;
		} else {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, w, out);
		col += w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

static void text_one(const struct fview *v, const struct mm_finding *f, FILE *out)
{
	char line[MM_SYM_MAX];
	fprintf(out, "\n[%s] %s, pid %d\n", f->sev == MM_FIND_WARN ? "warn" : "info",
		f->id, f->pid);
	fprintf(out, "  %s\n", f->summary);
	wrap(out, "  why:", "       ", f->explain);
	fputs("  numbers:", out);
	for (unsigned i = 0; i < f->nr_num; i++)
		fprintf(out, " %s=%" PRIu64, f->num[i].name, f->num[i].value);
	fputc('\n', out);
	if (f->tune)
		wrap(out, "  tune:", "        ", f->tune);
	fprintf(out, "  evidence (%u of %" PRIu64 " events):\n", f->nr_ev, f->ev_total);
	for (unsigned i = 0; i < f->nr_ev; i++) {
		const struct mm_stack *st = v->o.as ? mm_as_stack(v->o.as, f->ev[i].code) : NULL;
		char code[1300] = "";
		mm_find_ev_format(&f->ev[i], line, sizeof(line));
		/* one frame: a fault's instruction, an allocator call's site */
		bool frame = f->ev[i].kind == MM_EV_FAULT || f->ev[i].kind == MM_EV_HEAP;
		if (st && frame)
			mm_code_format(&st->code[0], st->pc[0], code, sizeof(code));
		else
			mm_view_stack_brief(st, code, sizeof(code));
		fprintf(out, "    %.6f %d: %s%s%s\n", rel_s(v, f->ev[i].ts), f->ev[i].pid, line,
			!*code ? "" : frame ? " in " : "  by ", code);
	}
}

static size_t count_wanted(const struct fview *v)
{
	size_t n = 0;
	for (size_t i = 0; i < mm_findings_count(v->fs); i++)
		n += wanted(v, mm_findings_at(v->fs, i));
	return n;
}

static void print_text(const void *ctx, FILE *out)
{
	const struct fview *v = ctx;
	size_t n = count_wanted(v);
	if (v->brief) {
		if (!n)
			return;
		fprintf(out, "# malloc findings\n");
		for (size_t i = 0; i < mm_findings_count(v->fs); i++) {
			const struct mm_finding *f = mm_findings_at(v->fs, i);
			if (wanted(v, f))
				fprintf(out, "%s %s (pid %d): %s\n", f->sev == MM_FIND_WARN ?
					"warn" : "info", f->id, f->pid, f->summary);
		}
		/* a block of the default page: it ends with its blank line */
		fprintf(out, "(memmon report --malloc-patterns: explanations and evidence)\n\n");
		return;
	}
	fprintf(out, "# malloc findings: %zu\n", n);
	for (size_t i = 0; i < mm_findings_count(v->fs); i++)
		if (wanted(v, mm_findings_at(v->fs, i)))
			text_one(v, mm_findings_at(v->fs, i), out);
}

static void json_ev(const struct fview *v, struct mm_json *j, const struct mm_find_ev *e)
{
	char line[MM_SYM_MAX];
	mm_find_ev_format(e, line, sizeof(line));
	mm_json_object_begin(j, NULL);
	mm_json_fixed(j, "time", rel_s(v, e->ts), 6);
	mm_json_i64(j, "pid", e->pid);
	if (e->kind == MM_EV_HEAP) {
		mm_json_str(j, "event", mm_heap_op_name(e->nr));
		if (MM_OP_IS_FREE(e->nr)) {
			mm_json_hex(j, "ptr", e->args[0]);
		} else {
			mm_json_u64(j, "size", e->args[0]);
			mm_json_hex(j, "result", e->args[1]);
		}
		mm_json_hex(j, "site", e->args[2]);
	} else if (e->kind == MM_EV_FAULT) {
		mm_json_str(j, "event", "fault");
		mm_json_str(j, "class", mm_fault_class_name(e->nr));
		mm_json_hex(j, "addr", e->args[0]);
	} else {
		mm_json_str(j, "event", mm_syscall_name(e->nr));
		mm_json_hex(j, "arg0", e->args[0]);
		mm_json_u64(j, "arg1", e->args[1]);
		if (e->has_ret)
			mm_json_i64(j, "ret", e->ret);
		else
			mm_json_null(j, "ret");
	}
	mm_json_str(j, "text", line);
	mm_view_json_stack(j, "code", v->o.as ? mm_as_stack(v->o.as, e->code) : NULL);
	mm_json_object_end(j);
}

static void json_one(const struct fview *v, struct mm_json *j, const struct mm_finding *f)
{
	mm_json_object_begin(j, NULL);
	mm_json_str(j, "id", f->id);
	mm_json_str(j, "severity", f->sev == MM_FIND_WARN ? "warn" : "info");
	mm_json_i64(j, "pid", f->pid);
	mm_json_str(j, "summary", f->summary);
	mm_json_str(j, "explanation", f->explain);
	mm_json_str(j, "tune", f->tune);
	mm_json_object_begin(j, "numbers");
	for (unsigned i = 0; i < f->nr_num; i++)
		mm_json_u64(j, f->num[i].name, f->num[i].value);
	mm_json_object_end(j);
	mm_json_object_begin(j, "units");
	for (unsigned i = 0; i < f->nr_num; i++)
		mm_json_str(j, f->num[i].name, f->num[i].unit);
	mm_json_object_end(j);
	mm_json_u64(j, "evidence_total", f->ev_total);
	mm_json_array_begin(j, "evidence");
	for (unsigned i = 0; i < f->nr_ev; i++)
		json_ev(v, j, &f->ev[i]);
	mm_json_array_end(j);
	mm_json_object_end(j);
}

static void print_json(const void *ctx, FILE *out)
{
	const struct fview *v = ctx;
	struct mm_json j;
	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "findings");
	mm_view_json_lost(&j, &v->o);
	mm_json_array_begin(&j, "findings");
	for (size_t i = 0; i < mm_findings_count(v->fs); i++)
		if (wanted(v, mm_findings_at(v->fs, i)))
			json_one(v, &j, mm_findings_at(v->fs, i));
	mm_json_array_end(&j);
	mm_json_object_end(&j);
	mm_json_finish(&j);
}

static void print_csv(const void *ctx, FILE *out)
{
	const struct fview *v = ctx;
	static const char *const hdr[] = { "id", "severity", "pid", "time", "summary", "numbers" };
	struct mm_csv c;
	mm_csv_init(&c, out);
	mm_view_csv_lost(&c, &v->o);
	mm_csv_header(&c, hdr, sizeof(hdr) / sizeof(hdr[0]));
	for (size_t i = 0; i < mm_findings_count(v->fs); i++) {
		const struct mm_finding *f = mm_findings_at(v->fs, i);
		char nums[512];
		size_t n = 0;
		if (!wanted(v, f))
			continue;
		nums[0] = 0;
		for (unsigned k = 0; k < f->nr_num && n < sizeof(nums); k++)
			n += (size_t)snprintf(nums + n, sizeof(nums) - n, "%s%s=%" PRIu64,
					      k ? " " : "", f->num[k].name, f->num[k].value);
		mm_csv_str(&c, f->id);
		mm_csv_str(&c, f->sev == MM_FIND_WARN ? "warn" : "info");
		mm_csv_i64(&c, f->pid);
		mm_csv_fixed(&c, f->nr_ev ? rel_s(v, f->ev[0].ts) : 0.0, 6);
		mm_csv_str(&c, f->summary);
		mm_csv_str(&c, nums);
		mm_csv_end_row(&c);
	}
}

static void *create(const struct mm_report_opts *opts, bool brief)
{
	struct fview *v = mm_calloc(1, sizeof(*v));
	v->o = *opts;
	v->fs = mm_findings_new(opts->as);
	mm_findings_name_sites(v->fs, !opts->no_symbols);
	v->brief = brief;
	return v;
}

static void *create_full(struct mm_file *file, const struct mm_report_opts *opts)
{
	(void)file;
	return create(opts, false);
}

static void *create_brief(struct mm_file *file, const struct mm_report_opts *opts)
{
	(void)file;
	return create(opts, true);
}

static void event(void *state, const struct mm_event *ev)
{
	struct fview *v = state;
	mm_findings_event(v->fs, ev);
}

static int finish(void *state, FILE *out)
{
	static const struct mm_view_printers print = { print_text, print_json, print_csv };
	struct fview *v = state;
	mm_findings_finish(v->fs);
	return mm_view_print(out, v->o.output, &print, v, "malloc findings");
}

static void destroy(void *state)
{
	struct fview *v = state;
	if (!v)
		return;
	mm_findings_free(v->fs);
	free(v);
}

const struct mm_view mm_view_findings = {
	.name = "malloc-patterns", .uses_model = mm_view_uses_model, .create = create_full,
	.event = event, .finish = finish, .destroy = destroy,
};
const struct mm_view mm_view_findings_short = {
	.name = "findings-short", .uses_model = mm_view_uses_model, .create = create_brief,
	.event = event, .finish = finish, .destroy = destroy,
};
