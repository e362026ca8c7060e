/*
 * report/views/pages-view.c - `--pages[=end|start]`: which pages each
 * process had resident and how, as the kernel held them (the PAGES
 * snapshots, record/pages.c), pmap -x style: one row per mapping at the
 * moment of the snapshot (end: at exit, or the end of the recording;
 * start: when the recording began, or right after the exec that began a
 * spawned command), with its pages present, swapped, anonymous or page
 * cache, on the active, inactive or unevictable LRU list, dirty, in a THP,
 * mapped more than once and with which other watched process.
 *
 * The snapshots are all it reads (no events, no model).  A mapping over
 * the writer's limit was sampled: its text row shows the sample scaled to
 * the mapping and says so; JSON and CSV carry the counts of the pages
 * read and how many that was.
 *   JSON: {"view": "pages", "at": "end", "processes": [{"pid", "comm",
 *          "phase", "frames", "page_size", "limit_pages", "peers": [PID],
 *          "peers_left", "regions": [{"start", "end", "perms", "mapping",
 *          "pages", "scanned", "sampled", "present", "swapped", "zero",
 *          "anon", "file", "active", "inactive", "unevictable", "dirty",
 *          "thp", "shared", "shared_with": [{"pid", "pages"}]}]}]}
 *   CSV:  pid,phase,start,end,perms,pages,scanned,sampled,present,...,
 *         shared,shared_with ("PID:N;PID:N"),mapping
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/reader.h"
#include "report/model/pagesfile.h"
#include "report/views/json.h"
#include "report/views/view.h"

struct proc_pages {
	int32_t pid;
	enum mm_snapshot_phase phase;
	char comm[32];
	struct mm_pages p;
	bool have;
};

struct pview {
	struct mm_report_opts o;
	char *err;                       /* a snapshot that did not parse */
	struct proc_pages *procs;
	size_t n, cap;
};

static const char *phase_name(enum mm_snapshot_phase ph)
{
	return ph == MM_PHASE_END ? "end" : ph == MM_PHASE_EXEC ? "exec" : "start";
}

/* The process's name from the status snapshot of the same pid and phase. */
static void comm_of(struct mm_file *f, const struct mm_snapshot *s, char *comm, size_t len)
{
	comm[0] = '\0';
	for (size_t i = 0; i < mm_file_nr_snapshots(f); i++) {
		const struct mm_snapshot *t = mm_file_snapshot(f, i);
		if (t->kind != MM_SNAP_STATUS || t->pid != s->pid || t->phase != s->phase ||
		    t->ts != s->ts || strncmp(t->text, "Name:\t", 6))
			continue;
		size_t n = strcspn(t->text + 6, "\n");
		n = n < len - 1 ? n : len - 1;
		memcpy(comm, t->text + 6, n);
		comm[n] = '\0';
	}
}

static struct proc_pages *proc_get(struct pview *v, int32_t pid)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->procs[i].pid == pid)
			return &v->procs[i];
	MM_GROW(v->procs, v->n, v->cap, 16);
	memset(&v->procs[v->n], 0, sizeof(v->procs[0]));
	v->procs[v->n].pid = pid;
	return &v->procs[v->n++];
}

/* The snapshot the view shows for each process: at start the first START
 * or EXEC one, at the end the last END one. */
static int gather(struct pview *v, struct mm_file *f, bool at_start)
{
	for (size_t i = 0; f && i < mm_file_nr_snapshots(f); i++) {
		const struct mm_snapshot *s = mm_file_snapshot(f, i);
		struct proc_pages *p;
		if (s->kind != MM_SNAP_PAGES || !mm_pid_wanted(v->o.pids, v->o.nr_pids, (int32_t)s->pid))
			continue;
		p = proc_get(v, (int32_t)s->pid);
		if ((s->phase == MM_PHASE_END) == at_start || (at_start && p->have))
			continue;
		mm_pages_free(&p->p);
		p->have = false;
		if (mm_pages_parse(s->text, s->len, &p->p) < 0)
			return mm_error("pages snapshot of process %u: %s", s->pid, mm_error_msg());
		p->have = true;
		p->phase = s->phase;
		comm_of(f, s, p->comm, sizeof(p->comm));
	}
	return 0;
}

/* A count of E in pages of the whole mapping: a sample scaled up. */
static uint64_t scaled(const struct mm_pages *p, const struct mm_pages_entry *e, uint64_t x)
{
	uint64_t span = mm_pages_span(p, e);
	if (!e->sampled || !e->scanned || e->scanned >= span)
		return x;
	return (uint64_t)((double)x * (double)span / (double)e->scanned + 0.5);
}

static const int text_cols[] = { MM_PG_PRESENT, MM_PG_SWAPPED, MM_PG_ANON, MM_PG_FILE,
				 MM_PG_ACTIVE, MM_PG_INACTIVE, MM_PG_UNEVICTABLE, MM_PG_DIRTY,
				 MM_PG_THP, MM_PG_SHARED };
#define NCOLS (sizeof(text_cols) / sizeof(text_cols[0]))

static void text_proc(const struct proc_pages *pp, FILE *out)
{
	const struct mm_pages *p = &pp->p;
	uint64_t kb = p->page_size / 1024, tot[NCOLS] = { 0 }, tot_kb = 0;
	size_t nsampled = 0;

	fprintf(out, "\n%d:   %s   (%s)\n", pp->pid, pp->comm[0] ? pp->comm : "?",
		pp->phase == MM_PHASE_END ? "at exit, or the end of the recording" :
		pp->phase == MM_PHASE_EXEC ? "right after exec" : "at the start of the recording");
	fprintf(out, "%-16s %8s %7s %7s %7s %7s %7s %7s %7s %7s %7s %7s  %-4s  %s\n", "Address",
		"Kbytes", "Resid", "Swap", "Anon", "File", "Active", "Inact", "Unevict", "Dirty",
		"THP", "Shared", "Mode", "Mapping");
	for (size_t i = 0; i < p->n; i++) {
		const struct mm_pages_entry *e = &p->e[i];
		uint64_t size_kb = (e->end - e->start) >> 10;
		fprintf(out, "%016llx %8llu", (unsigned long long)e->start, (unsigned long long)size_kb);
		tot_kb += size_kb;
		for (size_t k = 0; k < NCOLS; k++) {
			uint64_t x = scaled(p, e, e->n[text_cols[k]]);
			tot[k] += x;
			fprintf(out, " %7llu", (unsigned long long)(x * kb));
		}
		fprintf(out, "  %-4s  %s", e->perms, e->path[0] ? e->path : "[ anon ]");
		for (size_t k = 0; k < e->nr_with; k++) {
			const struct mm_pages_with *w = &p->with[e->first_with + k];
			fprintf(out, "%s%d:%llu", k ? "," : "   shared with ", w->pid,
				(unsigned long long)(scaled(p, e, w->pages) * kb));
		}
		if (e->sampled) {
			fprintf(out, "   (sampled: %llu of %llu pages read)",
				(unsigned long long)e->scanned, (unsigned long long)mm_pages_span(p, e));
			nsampled++;
		}
		fputc('\n', out);
	}
	fprintf(out, "%-16s %8llu", "total kB", (unsigned long long)tot_kb);
	for (size_t k = 0; k < NCOLS; k++)
		fprintf(out, " %7llu", (unsigned long long)(tot[k] * kb));
	fputc('\n', out);
	if (nsampled)
		fprintf(out, "%zu mapping%s over %llu pages sampled: %s figures are the sample "
			"scaled to the mapping\n", nsampled, nsampled == 1 ? "" : "s",
			(unsigned long long)p->limit, nsampled == 1 ? "its" : "their");
	if (!p->pfns)
		fprintf(out, "(frames were not readable: no LRU, anon/file, dirty or sharing "
			"figures)\n");
	if (p->peers_left)
		fprintf(out, "(sharing compared with %zu watched processes, not with %llu more)\n",
			p->nr_peers, (unsigned long long)p->peers_left);
}

static void print_text(const void *ctx, FILE *out)
{
	const struct pview *v = ctx;
	bool any = false;

	fprintf(out, "# pages as the kernel held them (pagemap, kpageflags, kpagecount), "
		"sizes in kB\n");
	for (size_t i = 0; i < v->n; i++) {
		if (!v->procs[i].have)
			continue;
		text_proc(&v->procs[i], out);
		any = true;
	}
	if (!any)
		fprintf(out, "\n(no pages snapshot %s: a trace from before format 3.3, or of "
			"trace-cmd)\n", v->o.pages_at_start ? "at the start" : "at the end");
}

static void json_region(struct mm_json *j, const struct mm_pages *p, const struct mm_pages_entry *e)
{
	mm_json_object_begin(j, NULL);
	mm_json_hex(j, "start", e->start);
	mm_json_hex(j, "end", e->end);
	mm_json_str(j, "perms", e->perms);
	mm_json_str(j, "mapping", e->path);
	mm_json_u64(j, "pages", mm_pages_span(p, e));
	mm_json_u64(j, "scanned", e->scanned);
	mm_json_bool(j, "sampled", e->sampled);
	for (int k = 0; k < MM_PG_NR; k++)
		mm_json_u64(j, mm_pages_keys[k], e->n[k]);
	mm_json_array_begin(j, "shared_with");
	for (size_t k = 0; k < e->nr_with; k++) {
		mm_json_object_begin(j, NULL);
		mm_json_i64(j, "pid", p->with[e->first_with + k].pid);
		mm_json_u64(j, "pages", p->with[e->first_with + k].pages);
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
	mm_json_object_end(j);
}

static void print_json(const void *ctx, FILE *out)
{
	const struct pview *v = ctx;
	struct mm_json j;

	mm_json_init(&j, out);
	mm_json_object_begin(&j, NULL);
	mm_json_str(&j, "view", "pages");
	mm_json_str(&j, "at", v->o.pages_at_start ? "start" : "end");
	mm_view_json_lost(&j, &v->o);
	mm_json_array_begin(&j, "processes");
	for (size_t i = 0; i < v->n; i++) {
		const struct proc_pages *pp = &v->procs[i];
		if (!pp->have)
			continue;
		mm_json_object_begin(&j, NULL);
		mm_json_i64(&j, "pid", pp->pid);
		mm_json_str(&j, "comm", pp->comm);
		mm_json_str(&j, "phase", phase_name(pp->phase));
		mm_json_bool(&j, "frames", pp->p.pfns);
		mm_json_u64(&j, "page_size", pp->p.page_size);
		mm_json_u64(&j, "limit_pages", pp->p.limit);
		mm_json_array_begin(&j, "peers");
		for (size_t k = 0; k < pp->p.nr_peers; k++)
			mm_json_i64(&j, NULL, pp->p.peers[k]);
		mm_json_array_end(&j);
		mm_json_u64(&j, "peers_left", pp->p.peers_left);
		mm_json_array_begin(&j, "regions");
		for (size_t k = 0; k < pp->p.n; k++)
			json_region(&j, &pp->p, &pp->p.e[k]);
		mm_json_array_end(&j);
		mm_json_object_end(&j);
	}
	mm_json_array_end(&j);
	mm_json_object_end(&j);
	mm_json_finish(&j);
}

static void print_csv(const void *ctx, FILE *out)
{
	const struct pview *v = ctx;
	const char *hdr[8 + MM_PG_NR + 2] = { "pid", "phase", "start", "end", "perms", "pages",
					      "scanned", "sampled" };
	struct mm_csv c;
	char with[64 * 24];

	for (int k = 0; k < MM_PG_NR; k++)
		hdr[8 + k] = mm_pages_keys[k];
	hdr[8 + MM_PG_NR] = "shared_with";
	hdr[9 + MM_PG_NR] = "mapping";
	mm_csv_init(&c, out);
	mm_view_csv_lost(&c, &v->o);
	mm_csv_header(&c, hdr, sizeof(hdr) / sizeof(hdr[0]));
	for (size_t i = 0; i < v->n; i++) {
		const struct proc_pages *pp = &v->procs[i];
		for (size_t r = 0; pp->have && r < pp->p.n; r++) {
			const struct mm_pages_entry *e = &pp->p.e[r];
			size_t at = 0;
			mm_csv_i64(&c, pp->pid);
			mm_csv_str(&c, phase_name(pp->phase));
			mm_csv_hex(&c, e->start);
			mm_csv_hex(&c, e->end);
			mm_csv_str(&c, e->perms);
			mm_csv_u64(&c, mm_pages_span(&pp->p, e));
			mm_csv_u64(&c, e->scanned);
			mm_csv_u64(&c, e->sampled);
			for (int k = 0; k < MM_PG_NR; k++)
				mm_csv_u64(&c, e->n[k]);
			with[0] = '\0';
			for (size_t k = 0; k < e->nr_with && at < sizeof(with) - 24; k++)
				at += (size_t)snprintf(with + at, sizeof(with) - at, "%s%d:%llu",
						       k ? ";" : "", pp->p.with[e->first_with + k].pid,
						       (unsigned long long)pp->p.with[e->first_with + k].pages);
			mm_csv_str(&c, with);
			mm_csv_str(&c, e->path);
			mm_csv_end_row(&c);
		}
	}
}

static void destroy(void *state)
{
	struct pview *v = state;
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		mm_pages_free(&v->procs[i].p);
	free(v->procs);
	free(v->err);
	free(v);
}

static void *create(struct mm_file *file, const struct mm_report_opts *opts)
{
	struct pview *v = mm_calloc(1, sizeof(*v));
	v->o = *opts;
	if (gather(v, file, opts->pages_at_start) < 0)
		v->err = mm_strdup(mm_error_msg());   /* told by finish() */
	return v;
}

static int finish(void *state, FILE *out)
{
	static const struct mm_view_printers print = { print_text, print_json, print_csv };
	struct pview *v = state;

	if (v->err)
		return mm_error("%s", v->err);
	return mm_view_print(out, ((struct pview *)state)->o.output, &print, state, "pages");
}

const struct mm_view mm_view_pages = {
	.name = "pages", .create = create,        /* no events: snapshots only */
	.finish = finish, .destroy = destroy,
};
