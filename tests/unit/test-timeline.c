/*
 * tests/unit/test-timeline.c - memory over time on synthetic events: VSZ
 * from the model, RSS from rss_stat keyed by mm_id, faults per interval.
 */
#include <sys/mman.h>

#include "harness.h"
#include "report/model/addrspace.h"
#include "report/analyses/timeline.h"
#include "report/views/view.h"

#define PID 200
#define MS 1000000ull

/* The timeline reads a model it does not own; the tests feed both as
 * cmd-report does (the model first). */
static struct mm_as *as;

static struct mm_timeline *begin(uint64_t interval)
{
	as = mm_as_new(4096, MM_AS_NO_CUTOFF);
	return mm_timeline_new(as, interval);
}

static void feed(struct mm_timeline *tl, const struct mm_event *ev)
{
	mm_as_event(as, ev);
	mm_timeline_event(tl, ev);
}

static void finish(struct mm_timeline *tl)
{
	mm_as_finish(as);
	mm_timeline_finish(tl);
}

static void done(struct mm_timeline *tl)
{
	mm_timeline_free(tl);
	mm_as_free(as);
}

static void ev_rss(struct mm_timeline *tl, uint64_t ts, uint32_t mm, bool curr,
		   int member, int64_t bytes)
{
	struct mm_event ev = { .ts = ts, .pid = PID, .tgid = PID, .kind = MM_EV_RSS };
	ev.rss.mm_id = mm;
	ev.rss.curr = curr;
	ev.rss.member = (uint8_t)member;
	ev.rss.bytes = bytes;
	feed(tl, &ev);
}

static void ev_mmap(struct mm_timeline *tl, uint64_t ts, uint64_t addr, uint64_t len)
{
	struct mm_event ev = { .ts = ts, .pid = PID, .tgid = PID, .kind = MM_EV_SYSCALL };
	ev.sys.nr = MM_SYS_MMAP;
	ev.sys.has_ret = true;
	ev.sys.args[1] = len;
	ev.sys.args[2] = PROT_READ | PROT_WRITE;
	ev.sys.args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
	ev.sys.args[4] = (uint64_t)-1;
	ev.sys.ret = (int64_t)addr;
	feed(tl, &ev);
}

static void ev_fault(struct mm_timeline *tl, uint64_t ts, uint64_t addr)
{
	struct mm_event ev = { .ts = ts, .pid = PID, .tgid = PID, .kind = MM_EV_FAULT };
	ev.fault.addr = addr;
	ev.fault.access = MM_ACCESS_W;
	feed(tl, &ev);
}

TEST(fixed_interval_rows)
{
	struct mm_timeline *tl = begin(MS);
	ev_mmap(tl, 10 * MS, 0x7f0000000000ull, 1 << 20);           /* k = 0 */
	ev_fault(tl, 10 * MS + 1, 0x7f0000000000ull);
	ev_rss(tl, 10 * MS + 2, 7, true, MM_RSS_ANON, 4096);
	ev_fault(tl, 12 * MS + 5, 0x7f0000001000ull);                 /* k = 2 */
	ev_rss(tl, 12 * MS + 6, 7, true, MM_RSS_ANON, 8192);
	ev_rss(tl, 12 * MS + 7, 7, false, MM_RSS_FILE, 40960);       /* curr=0: same mm */
	ev_rss(tl, 12 * MS + 8, 9, false, MM_RSS_FILE, 1 << 30);     /* other mm: ignored */
	finish(tl);
	CHECK_EQ(mm_timeline_interval(tl), MS);
	CHECK_EQ(mm_timeline_nr_procs(tl), 1);
	const struct mm_tl_proc *p = mm_timeline_proc(tl, 0);
	CHECK_EQ(p->nr, 2);
	CHECK_EQ(p->rows[0].k, 0);
	CHECK_EQ(p->rows[0].vsz, 1 << 20);
	CHECK_EQ(p->rows[0].faults, 1);
	CHECK_EQ(p->rows[0].rss[MM_RSS_ANON], 4096);
	CHECK_EQ(p->rows[1].k, 2);
	CHECK_EQ(p->rows[1].faults, 1);
	CHECK_EQ(p->rows[1].rss[MM_RSS_ANON], 8192);
	CHECK_EQ(p->rows[1].rss[MM_RSS_FILE], 40960);
	CHECK_EQ(mm_tl_rss(&p->rows[1]), 49152);
	CHECK_EQ(p->rows[1].rss_max, 49152);
	done(tl);
}

/* Automatic: 100 us steps regrouped into a 1-2-5 interval, faults summed,
 * maxima kept. */
TEST(automatic_regroup)
{
	struct mm_timeline *tl = begin(0);
	for (int i = 0; i < 100; i++) {                 /* 100 ms, one fault per ms */
		ev_fault(tl, (uint64_t)i * MS, 0x1000);
		ev_rss(tl, (uint64_t)i * MS + 1, 3, true, MM_RSS_ANON, i == 50 ? 1 << 20 : 4096);
	}
	finish(tl);
	CHECK_EQ(mm_timeline_interval(tl), 5 * MS);     /* 100 ms / 40 -> 2.5 -> 5 ms */
	const struct mm_tl_proc *p = mm_timeline_proc(tl, 0);
	CHECK_EQ(p->nr, 20);
	CHECK_EQ(p->rows[0].faults, 5);
	CHECK_EQ(p->rows[10].rss_max, 1 << 20);         /* the spike at 50 ms */
	CHECK_EQ(p->rows[10].rss[MM_RSS_ANON], 4096);  /* value at the end */
	done(tl);
}

/* A long busy trace: 130 s with an event every 50 us passes 4096 rows
 * of every step up to 50 ms; it still ends in about 40 rows of a 1-2-5
 * interval (5 s), not one row of 20000 s (the step once doubled, and the
 * 1-2-5 multiples of 100 us * 2^9 start at 2 * 10^13 ns). */
TEST(automatic_long_trace)
{
	struct mm_timeline *tl = begin(0);
	for (uint64_t t = 0; t < 130000 * MS; t += MS / 20)
		ev_fault(tl, t, 0x1000);
	finish(tl);
	CHECK_EQ(mm_timeline_interval(tl), 5000 * MS);  /* 130 s / 40 -> 3.25 -> 5 s */
	const struct mm_tl_proc *p = mm_timeline_proc(tl, 0);
	CHECK_EQ(p->nr, 26);
	CHECK_EQ(p->rows[0].faults, 100000);           /* 5 s of one fault per 50 us */
	done(tl);
}

TEST(view_json_peak)
{
	struct mm_as *model = mm_as_new(4096, MM_AS_NO_CUTOFF);
	struct mm_report_opts o = { .output = MM_OUT_TEXT, .interval_ns = MS, .as = model };
	void *st = mm_view_timeline.create(NULL, &o);
	struct mm_event ev = { .ts = 5, .pid = PID, .tgid = PID, .kind = MM_EV_RSS };
	ev.rss.mm_id = 1;
	ev.rss.curr = true;
	ev.rss.member = MM_RSS_ANON;
	ev.rss.bytes = 8192;
	mm_as_event(model, &ev);
	mm_view_timeline.event(st, &ev);
	mm_as_finish(model);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK_EQ(mm_view_timeline.finish(st, f), 0);
	fclose(f);
	mm_view_timeline.destroy(st);
	mm_as_free(model);
	CHECK(strstr(buf, "  0.000000          0           8*         8         0"));
	free(buf);
}

/* Rows of the view over EVS (N rss events of PID at those times), as TEXT,
 * JSON or CSV, with INTERVAL. */
static char *view_of(enum mm_output out, uint64_t interval, const uint64_t *ts, int n)
{
	struct mm_as *model = mm_as_new(4096, MM_AS_NO_CUTOFF);
	struct mm_report_opts o = { .output = out, .interval_ns = interval, .as = model };
	void *st = mm_view_timeline.create(NULL, &o);
	for (int i = 0; i < n; i++) {
		struct mm_event ev = { .ts = ts[i], .pid = PID, .tgid = PID, .kind = MM_EV_RSS };
		ev.rss.mm_id = 1;
		ev.rss.curr = true;
		ev.rss.member = MM_RSS_ANON;
		ev.rss.bytes = 4096 * (i + 1);
		mm_as_event(model, &ev);
		mm_view_timeline.event(st, &ev);
	}
	mm_as_finish(model);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (mm_view_timeline.finish(st, f))
		abort();
	fclose(f);
	mm_view_timeline.destroy(st);
	mm_as_free(model);
	return buf;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Two events 10^6 s apart at 1 ms: it printed an idle row for each of the
 * 10^9 intervals between (1.4 GB in 10 s and counting); now the run is one
 * row that says until when, in every form. */
TEST(idle_run_one_row)
{
	const uint64_t far[] = { 1000, 1000 + 1000000ull * 1000000000ull };
	char *t = view_of(MM_OUT_TEXT, MS, far, 2);
	CHECK_EQ(lines(t), 7);	/* title, blank, pid, header, 3 rows */
	CHECK(strstr(t, "  0.001000          0           4          4         0         0         0       0   idle until 1000000.000000\n"));
	free(t);
	char *j = view_of(MM_OUT_JSON, MS, far, 2);
	CHECK(strstr(j, "\"idle_until\": 1000000.000000"));
	free(j);
	char *c = view_of(MM_OUT_CSV, MS, far, 2);
	CHECK_EQ(lines(c), 4);
	CHECK(strstr(c, ",0,,1000000.000000\n"));
	free(c);
	/* short gaps are shown interval by interval, as before */
	const uint64_t near[] = { 1000, 1000 + 3 * MS + 1, 1000 + 8 * MS };
	t = view_of(MM_OUT_TEXT, MS, near, 3);
	CHECK_EQ(lines(t), 4 + 4 + 1 + 1);	/* rows 0, 1-2 idle, 3, 4-7 one idle row, 8 */
	CHECK(!strstr(t, "idle until 0.003"));
	CHECK(strstr(t, "idle until 0.008000"));
	free(t);
}

int main(void)
{
	RUN(fixed_interval_rows);
	RUN(idle_run_one_row);
	RUN(automatic_regroup);
	RUN(automatic_long_trace);
	RUN(view_json_peak);
	return t_done();
}
