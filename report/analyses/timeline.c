/*
 * report/analyses/timeline.c - the memory-over-time engine: per process,
 * one row per interval that saw an event, holding VSZ (from the
 * address-space model), the rss_stat counters of the process's mm and the
 * faults taken; and which rows are the peaks.
 *
 * Rows are sparse (an idle interval has no row; printing carries the
 * values forward) and merged, never recomputed: in automatic mode they are
 * kept at a 100 us step, made coarser whenever a process passes 4096 rows,
 * and regrouped at the end into about 40 rows of a 1-2-5 interval that is
 * a multiple of the step, so every row is exact for its interval.  The
 * step goes 100 us, 200 us, 1 ms, 2 ms, 10 ms...: a step that doubled
 * (100 us * 2^k) has 1-2-5 multiples only at 2^k * 10^n, so a 130 s trace
 * (step 51.2 ms) ended in one row of 20000 s.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/addrspace.h"
#include "report/analyses/timeline.h"

#define TL_BASE_NS   100000ull      /* automatic mode's first step */
#define TL_MAX_ROWS  4096           /* per process, before the step grows */
#define TL_AUTO_ROWS 40             /* rows wanted in automatic mode */

struct tl_mm {
	uint32_t id;
	int32_t tgid;                /* 0 until a curr=1 event names it */
	int64_t rss[MM_RSS_NR];
};

struct mm_timeline {
	struct mm_as *as;            /* the caller's model, fed before us */
	uint64_t interval;
	bool automatic, have_t0, finished;
	size_t auto_rows;            /* rows wanted in automatic mode */
	uint64_t t0;
	struct mm_tl_proc **procs;
	size_t nr_procs, cap_procs;
	struct tl_mm *mms;
	size_t nr_mms, cap_mms;
	bool cut;                    /* --between: only [cut_from, cut_to] */
	uint64_t cut_from, cut_to;
};

static struct mm_tl_proc *proc_get(struct mm_timeline *tl, int32_t tgid)
{
	for (size_t i = 0; i < tl->nr_procs; i++)
		if (tl->procs[i]->tgid == tgid)
			return tl->procs[i];
	MM_GROW(tl->procs, tl->nr_procs, tl->cap_procs, 8);
	struct mm_tl_proc *p = mm_calloc(1, sizeof(*p));
	p->tgid = tgid;
	tl->procs[tl->nr_procs++] = p;
	return p;
}

static struct tl_mm *mm_get(struct mm_timeline *tl, uint32_t id)
{
	for (size_t i = 0; i < tl->nr_mms; i++)
		if (tl->mms[i].id == id)
			return &tl->mms[i];
	MM_GROW(tl->mms, tl->nr_mms, tl->cap_mms, 8);
	struct tl_mm *m = &tl->mms[tl->nr_mms++];
	memset(m, 0, sizeof(*m));
	m->id = id;
	return m;
}

/* Merge P's rows into intervals F times longer. */
static void regroup(struct mm_tl_proc *p, uint64_t f)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nr; i++) {
		struct mm_tl_row r = p->rows[i];
		r.k /= f;
		if (n && p->rows[n - 1].k == r.k) {
			struct mm_tl_row *o = &p->rows[n - 1];
			o->vsz = r.vsz;
			memcpy(o->rss, r.rss, sizeof(o->rss));
			o->vsz_max = r.vsz_max > o->vsz_max ? r.vsz_max : o->vsz_max;
			o->rss_max = r.rss_max > o->rss_max ? r.rss_max : o->rss_max;
			o->faults += r.faults;
		} else {
			p->rows[n++] = r;
		}
	}
	p->nr = n;
}

static void coarsen(struct mm_timeline *tl, uint64_t f)
{
	for (size_t i = 0; i < tl->nr_procs; i++)
		regroup(tl->procs[i], f);
	tl->interval *= f;
}

/* Fill R's end values (and maxima) from P's current state. */
static void sample(struct mm_timeline *tl, struct mm_tl_proc *p, struct mm_tl_row *r)
{
	r->vsz = p->vsz;
	if (p->vsz > r->vsz_max)
		r->vsz_max = p->vsz;
	if (p->have_mm)
		memcpy(r->rss, mm_get(tl, p->mm_id)->rss, sizeof(r->rss));
	if (mm_tl_rss(r) > r->rss_max)
		r->rss_max = mm_tl_rss(r);
}

/* The factor from the step INTERVAL to the next: 1 -> 2 -> 10 (x 10^n). */
static uint64_t next_factor(uint64_t interval)
{
	uint64_t q = interval / TL_BASE_NS;
	while (q >= 10 && q % 10 == 0)
		q /= 10;
	return q == 1 ? 2 : 5;
}

/* The row of the interval holding TS (events come in time order). */
static struct mm_tl_row *row_at(struct mm_timeline *tl, struct mm_tl_proc *p, uint64_t ts)
{
	uint64_t k = (ts > tl->t0 ? ts - tl->t0 : 0) / tl->interval;
	if (p->nr && p->rows[p->nr - 1].k >= k)
		return &p->rows[p->nr - 1];
	MM_GROW(p->rows, p->nr, p->cap, 64);
	struct mm_tl_row *r = &p->rows[p->nr++];
	memset(r, 0, sizeof(*r));
	r->k = k;
	sample(tl, p, r);
	if (tl->automatic && p->nr > TL_MAX_ROWS) {
		coarsen(tl, next_factor(tl->interval));
		return &p->rows[p->nr - 1];
	}
	return r;
}

/* The size of P's map, 0 once exited.  This runs for nearly every event:
 * the model keeps the sum (a walk of the map made it O(regions) each). */
static uint64_t vsz_of(struct mm_timeline *tl, const struct mm_tl_proc *p)
{
	struct mm_as_proc *ap = mm_as_proc_find(tl->as, p->tgid);
	return ap && !ap->exited ? ap->map_bytes : 0;
}

static void refresh(struct mm_timeline *tl, struct mm_tl_proc *p, uint64_t ts)
{
	sample(tl, p, row_at(tl, p, ts));
}

static void on_rss(struct mm_timeline *tl, const struct mm_event *ev, int32_t tgid)
{
	if (ev->rss.member >= MM_RSS_NR)
		return;
	struct tl_mm *m = mm_get(tl, ev->rss.mm_id);
	if (m->tgid)            /* carry the old values into this interval first */
		row_at(tl, proc_get(tl, m->tgid), ev->ts);
	m->rss[ev->rss.member] = ev->rss.bytes;
	if (ev->rss.curr) {
		m->tgid = tgid;
		struct mm_tl_proc *p = proc_get(tl, tgid);
		p->mm_id = m->id;
		p->have_mm = true;
	}
	if (!m->tgid)
		return;
	struct mm_tl_proc *p = proc_get(tl, m->tgid);
	if (p->have_mm && p->mm_id == m->id)
		refresh(tl, p, ev->ts);
}

/*
 * The new program's mm is not the old one: its counters count from its
 * first rss_stat that names it (curr), and those of the old image (being
 * torn down in the exec) no longer do.  A process with no address space in
 * the model before its exec (record -- CMD's held child, whose map is
 * record's own copy) has no resident set of its own before it either: its
 * rows so far hold the old mm's counters as the exec passed through it, so
 * they keep their faults (the kernel's, in execve) but not those counters.
 */
static void on_exec(struct mm_timeline *tl, struct mm_tl_proc *p, uint64_t ts)
{
	bool mapless = true;

	for (size_t i = 0; i < p->nr && mapless; i++)
		mapless = !p->rows[i].vsz_max;
	for (size_t i = 0; mapless && i < p->nr; i++) {
		memset(p->rows[i].rss, 0, sizeof(p->rows[i].rss));
		p->rows[i].rss_max = 0;
	}
	p->have_mm = false;
	p->vsz = vsz_of(tl, p);
	row_at(tl, p, ts);
}

void mm_timeline_event(struct mm_timeline *tl, const struct mm_event *ev)
{
	if (tl->finished)
		return;
	if (!tl->have_t0) {
		tl->have_t0 = true;
		tl->t0 = ev->ts;
	}
	/* The model has applied EV already; that cannot change which process
	 * task ev->pid belongs to (only a tgid the event names, or a new
	 * thread's, is learnt), so TGID is the process before the event too. */
	int32_t tgid = ev->tgid ? ev->tgid : mm_as_tgid_of(tl->as, ev->pid);
	/* An interval's maxima include the values carried into it: open its
	 * row (which samples our values so far, not the model's) before the
	 * event changes them. */
	if (ev->kind != MM_EV_RSS && ev->kind != MM_EV_FILEMAP)
		row_at(tl, proc_get(tl, tgid), ev->ts);
	if (ev->kind == MM_EV_RSS) {
		on_rss(tl, ev, tgid);
		return;
	}
	if (ev->kind == MM_EV_FILEMAP)
		return;
	struct mm_tl_proc *p = proc_get(tl, tgid);
	if (ev->kind == MM_EV_FAULT) {
		row_at(tl, p, ev->ts)->faults++;
		return;
	}
	if (ev->kind == MM_EV_EXEC)
		on_exec(tl, p, ev->ts);
	if (ev->kind == MM_EV_FORK && !ev->proc.is_thread) {
		struct mm_tl_proc *c = proc_get(tl, ev->proc.child_pid);
		c->vsz = vsz_of(tl, c);
		refresh(tl, c, ev->ts);
	}
	p->vsz = vsz_of(tl, p);
	refresh(tl, p, ev->ts);
}

/* Smallest 1-2-5 interval >= WANT that is a multiple of STEP. */
static uint64_t nice_interval(uint64_t want, uint64_t step)
{
	static const uint64_t m[] = { 1, 2, 5 };
	for (uint64_t d = 1000; d < UINT64_MAX / 10; d *= 10)
		for (int i = 0; i < 3; i++) {
			uint64_t v = m[i] * d;
			if (v >= want && v % step == 0)
				return v;
		}
	return step;
}

void mm_timeline_cut(struct mm_timeline *tl, uint64_t from_ts, uint64_t to_ts)
{
	tl->cut = true;
	tl->cut_from = from_ts;
	tl->cut_to = to_ts;
}

/* Keep P's rows of intervals KF..KT; the values carried into KF (the last
 * row before it) open the cut when no event fell in KF itself. */
static void cut_rows(struct mm_tl_proc *p, uint64_t kf, uint64_t kt)
{
	size_t first = MM_PARTITION_POINT(p->nr, i, p->rows[i].k < kf);
	size_t end = MM_PARTITION_POINT(p->nr, i, p->rows[i].k <= kt);
	bool carry = first > 0 && (first == end || p->rows[first].k != kf);
	struct mm_tl_row prev = carry ? p->rows[first - 1] : (struct mm_tl_row){ 0 };
	size_t n = 0;

	if (carry) {
		prev.k = kf;
		prev.vsz_max = prev.vsz;
		prev.rss_max = mm_tl_rss(&prev);
		prev.faults = 0;
		p->rows[n++] = prev;
	}
	if (first < end && (first != n || carry))
		memmove(p->rows + n, p->rows + first, (end - first) * sizeof(*p->rows));
	p->nr = n + (end - first);
}

void mm_timeline_finish(struct mm_timeline *tl)
{
	if (tl->finished)
		return;
	tl->finished = true;
	uint64_t kf = 0, kt = UINT64_MAX;
	if (tl->cut) {
		kf = (tl->cut_from > tl->t0 ? tl->cut_from - tl->t0 : 0) / tl->interval;
		kt = (tl->cut_to > tl->t0 ? tl->cut_to - tl->t0 : 0) / tl->interval;
		for (size_t i = 0; i < tl->nr_procs; i++)
			cut_rows(tl->procs[i], kf, kt);
	}
	if (!tl->automatic)
		return;
	uint64_t last = 0;
	for (size_t i = 0; i < tl->nr_procs; i++)
		if (tl->procs[i]->nr && tl->procs[i]->rows[tl->procs[i]->nr - 1].k > last)
			last = tl->procs[i]->rows[tl->procs[i]->nr - 1].k;
	uint64_t span = (last + 1 - (last >= kf ? kf : 0)) * tl->interval;
	uint64_t want = nice_interval((span + tl->auto_rows - 1) / tl->auto_rows, tl->interval);
	if (want > tl->interval)
		coarsen(tl, want / tl->interval);
}

struct mm_timeline *mm_timeline_new(struct mm_as *as, uint64_t interval_ns)
{
	struct mm_timeline *tl = mm_calloc(1, sizeof(*tl));
	tl->as = as;
	tl->automatic = !interval_ns;
	tl->interval = interval_ns ? interval_ns : TL_BASE_NS;
	tl->auto_rows = TL_AUTO_ROWS;
	return tl;
}

void mm_timeline_set_rows(struct mm_timeline *tl, size_t rows)
{
	if (rows)
		tl->auto_rows = rows;
}

void mm_timeline_free(struct mm_timeline *tl)
{
	if (!tl)
		return;
	for (size_t i = 0; i < tl->nr_procs; i++) {
		free(tl->procs[i]->rows);
		free(tl->procs[i]);
	}
	free(tl->procs);
	free(tl->mms);
	free(tl);
}

uint64_t mm_timeline_interval(const struct mm_timeline *tl) { return tl->interval; }
uint64_t mm_timeline_t0(const struct mm_timeline *tl) { return tl->t0; }
size_t mm_timeline_nr_procs(const struct mm_timeline *tl) { return tl->nr_procs; }

const struct mm_tl_proc *mm_timeline_proc(const struct mm_timeline *tl, size_t i)
{
	if (i >= tl->nr_procs)
		return NULL;
	struct mm_tl_proc *p = tl->procs[i];
	struct mm_as_proc *ap = mm_as_proc_find(tl->as, p->tgid);
	if (ap)
		memcpy(p->comm, ap->comm, sizeof(p->comm));
	return p;
}

struct mm_tl_peaks mm_tl_peaks_of(const struct mm_tl_proc *p)
{
	struct mm_tl_peaks k = { 0, 0, 0, false, false, false };
	for (size_t i = 0; i < p->nr; i++) {
		const struct mm_tl_row *r = &p->rows[i], *b;
		b = &p->rows[k.vsz];
		if (r->vsz_max > b->vsz_max)
			k.vsz = i;
		b = &p->rows[k.rss];
		if (r->rss_max > b->rss_max)
			k.rss = i;
		b = &p->rows[k.faults];
		if (r->faults > b->faults)
			k.faults = i;
		k.any_vsz |= r->vsz_max > 0;
		k.any_rss |= r->rss_max > 0;
		k.any_faults |= r->faults > 0;
	}
	return k;
}
