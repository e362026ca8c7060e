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

int main(void)
{
	RUN(fixed_interval_rows);
	RUN(automatic_regroup);
	RUN(view_json_peak);
	return t_done();
}
