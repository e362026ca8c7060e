/*
 * report/views/view.c - what the report views share (view.h): the
 * text/JSON/CSV dispatch with its write check, and the --pid filter.
 * One copy of each, so that every view answers a failed write and a pid
 * the same way.
 */
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "format/reader.h"
#include "report/model/addrspace.h"
#include "report/analyses/window.h"
#include "report/views/json.h"
#include "report/views/view.h"

const char *mm_report_stacks_off(const struct mm_file *f)
{
	const char *v = f ? mm_file_machine(f, MM_KEY_STACKS) : NULL;

	return v && !strncmp(v, "off: ", 5) ? v + 5 : NULL;
}

bool mm_view_uses_model(const struct mm_report_opts *opts)
{
	(void)opts;
	return true;
}

const struct mm_lost_mark *mm_trace_mark_before(const struct mm_trace_facts *t, size_t *next,
						uint64_t ts)
{
	if (!t || *next >= t->nr_marks || t->marks[*next].ts > ts)
		return NULL;
	return &t->marks[(*next)++];
}

/* Views run without cmd-report (unit tests) have no trace facts. */
void mm_view_json_lost(struct mm_json *j, const struct mm_report_opts *o)
{
	if (o->trace)
		mm_json_u64(j, "lost_events", o->trace->lost_events);
}

void mm_view_csv_lost(struct mm_csv *c, const struct mm_report_opts *o)
{
	if (o->trace)
		mm_csv_lost_column(c, &o->trace->lost_events);
}

int mm_view_out_status(FILE *out, const char *what)
{
	/* ferror() is sticky: a write that failed anywhere in the view shows
	 * here even if the flush succeeds */
	if (fflush(out) || ferror(out))
		return mm_error_errno("cannot write the %s", what);
	return 0;
}

int mm_view_print(FILE *out, enum mm_output output, const struct mm_view_printers *p,
		  const void *ctx, const char *what)
{
	if (output == MM_OUT_TEXT)
		p->text(ctx, out);
	else if (output == MM_OUT_CSV && p->csv)
		p->csv(ctx, out);
	else
		p->json(ctx, out);
	return mm_view_out_status(out, what);
}

const char *mm_access_key(enum mm_access a)
{
	static const char *const keys[MM_ACCESS_NR] = { "r", "w", "x" };
	return (unsigned)a < MM_ACCESS_NR ? keys[a] : "?";
}

bool mm_pid_wanted(const int32_t *pids, size_t n, int32_t pid)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

bool mm_event_wanted(const int32_t *pids, size_t n, const struct mm_event *ev)
{
	return mm_pid_wanted(pids, n, ev->pid) || (ev->tgid && mm_pid_wanted(pids, n, ev->tgid));
}

bool mm_proc_wanted(const int32_t *pids, size_t n, const struct mm_as *as, int32_t tgid)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (pids[i] == tgid || mm_as_tgid_of(as, pids[i]) == tgid)
			return true;
	return false;
}

/* "# between marker 1 "phase one" (0.001234 s) and marker 2 ..." */
void mm_view_window_title(const struct mm_as *as, const struct mm_window *w, FILE *out)
{
	fprintf(out, "# between ");
	for (int end = 0; end < 2; end++) {
		uint64_t no = end ? w->to_no : w->from_no;
		const char *text = end ? w->to_text : w->from_text;
		double t = mm_as_rel_s(as, end ? w->to_ts : w->from_ts);
		if (no)
			fprintf(out, "%smarker %llu \"%s\" (%.6f s)", end ? " and " : "",
				(unsigned long long)no, text, t);
		else
			fprintf(out, "%sthe %s (%.6f s)", end ? " and " : "", text, t);
	}
	fputs("\n\n", out);
}

