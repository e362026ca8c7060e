/*
 * tests/unit/test-findings.c - the malloc findings on synthetic event
 * sequences: each finding fires with exact numbers on the sequence glibc
 * produces (see the strace notes in tests/README and findings-*.c), and
 * stays quiet on a sequence just below its threshold.
 */
#include <errno.h>
#include <sys/mman.h>

#include "harness.h"
#include "report/model/addrspace.h"
#include "report/analyses/findings.h"
#include "report/views/findings-view.h"
#include "report/views/view.h"

#define PID 100
#define HEAP 0x555500000000ull
#define MAPA 0x7f0000000000ull
#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)

static struct mm_as *as;
static struct mm_findings *fs;
static uint64_t now;
static bool finished;

/* The engine watches a model it does not own: each test builds both and
 * feeds them as cmd-report does (the model first). */
static void begin(void)
{
	as = mm_as_new(4096, MM_AS_NO_CUTOFF);
	fs = mm_findings_new(as);
	now = 1000000;
	finished = false;
}

static void feed(const struct mm_event *ev)
{
	mm_as_event(as, ev);
	mm_findings_event(fs, ev);
}

/* Once, as cmd-report does; a test may ask for several findings. */
static void finish_all(void)
{
	if (!finished)
		mm_as_finish(as);
	finished = true;
	mm_findings_finish(fs);
}

static void done(void)
{
	mm_findings_free(fs);
	mm_as_free(as);
}

static void sys(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		int64_t ret)
{
	struct mm_event ev = { .ts = now += 1000, .pid = PID, .tgid = PID,
			       .kind = MM_EV_SYSCALL };
	ev.sys.nr = (uint8_t)nr;
	ev.sys.has_ret = true;
	ev.sys.args[0] = a0;
	ev.sys.args[1] = a1;
	ev.sys.args[2] = a2;
	ev.sys.args[3] = a3;
	ev.sys.args[4] = (uint64_t)-1;
	ev.sys.ret = ret;
	ev.sys.exit_ts = now;
	feed(&ev);
}

static void brk_(uint64_t want, uint64_t got) { sys(MM_SYS_BRK, want, 0, 0, 0, (int64_t)got); }
static void mmap_(uint64_t len, int64_t ret) { sys(MM_SYS_MMAP, 0, len, RW, PA, ret); }
static void munmap_(uint64_t a, uint64_t len) { sys(MM_SYS_MUNMAP, a, len, 0, 0, 0); }

static void fault(uint64_t addr, unsigned acc)
{
	struct mm_event ev = { .ts = now += 1000, .pid = PID, .tgid = PID,
			       .kind = MM_EV_FAULT };
	ev.fault.addr = addr;
	ev.fault.class = MM_FAULT_ANON;
	ev.fault.access = (uint8_t)acc;
	ev.fault.error_code = acc == MM_ACCESS_W ? MM_PF_WRITE | MM_PF_USER : MM_PF_USER;
	feed(&ev);
}

static const struct mm_finding *end(const char *id)
{
	finish_all();
	return mm_findings_find(fs, id, PID);
}

#define NUM(f, name) ((long long)mm_finding_num((f), (name)))

/* Seed experiment 1: malloc(12 KiB) -> one brk of 132 KiB, 4 pages touched. */
TEST(top_pad_fires)
{
	begin();
	brk_(0, HEAP);
	brk_(HEAP + 0x21000, HEAP + 0x21000);
	fault(HEAP + 8, MM_ACCESS_W);                 /* tcache chunk header */
	fault(HEAP + 0x32a8, MM_ACCESS_W);            /* top chunk header */
	fault(HEAP + 0x1000, MM_ACCESS_W);
	fault(HEAP + 0x2000, MM_ACCESS_W);
	const struct mm_finding *f = end("brk-top-pad");
	CHECK(f);
	CHECK_EQ(f->sev, MM_FIND_INFO);
	CHECK_EQ(NUM(f, "brk_grows"), 1);
	CHECK_EQ(NUM(f, "grown_bytes"), 135168);
	CHECK_EQ(NUM(f, "heap_pages"), 33);
	CHECK_EQ(NUM(f, "pages_touched"), 4);
	CHECK_EQ(f->nr_ev, 2);                        /* the brk, the first fault */
	CHECK_EQ(f->ev[0].nr, MM_SYS_BRK);
	CHECK_EQ(f->ev[1].args[0], HEAP + 8);
	CHECK_EQ(mm_findings_count(fs), 1);
	done();
}

/* A heap that is used (16 of 33 pages, like ls) is no finding. */
TEST(top_pad_quiet_when_used)
{
	begin();
	brk_(0, HEAP);
	brk_(HEAP + 0x21000, HEAP + 0x21000);
	for (int i = 0; i < 16; i++)
		fault(HEAP + 0x1000ull * i + 8, MM_ACCESS_W);
	CHECK(!end("brk-top-pad"));
	CHECK_EQ(mm_findings_count(fs), 0);
	done();
}

/* Seed experiment 3: malloc(256 KiB) -> mmap, free -> munmap. */
TEST(mmap_threshold_pair)
{
	begin();
	mmap_(266240, (int64_t)MAPA);
	fault(MAPA + 8, MM_ACCESS_W);
	munmap_(MAPA, 266240);
	const struct mm_finding *f = end("mmap-threshold");
	CHECK(f);
	CHECK_EQ(NUM(f, "pairs"), 1);
	CHECK_EQ(NUM(f, "syscalls"), 2);
	CHECK_EQ(NUM(f, "faults"), 1);
	CHECK_EQ(NUM(f, "mapped_bytes"), 266240);
	CHECK_EQ(f->nr_ev, 2);
	CHECK_EQ(f->ev[0].nr, MM_SYS_MMAP);
	CHECK_EQ(f->ev[1].nr, MM_SYS_MUNMAP);
	CHECK(!mm_findings_find(fs, "dynamic-threshold", 0));   /* no heap growth */
	CHECK(!mm_findings_find(fs, "mmap-churn", 0));
	done();
}

/* Loader-like mappings (small, file-backed, fixed) are not malloc's. */
TEST(mmap_threshold_ignores_loader)
{
	begin();
	mmap_(8192, (int64_t)MAPA);
	munmap_(MAPA, 8192);
	sys(MM_SYS_MMAP, MAPA, 266240, RW, PA | MAP_FIXED, (int64_t)MAPA);
	munmap_(MAPA, 266240);
	sys(MM_SYS_MMAP, 0, 266240, PROT_READ, MAP_PRIVATE, (int64_t)MAPA);
	munmap_(MAPA, 266240);
	CHECK(!end("mmap-threshold"));
	CHECK_EQ(mm_findings_count(fs), 0);
	done();
}

/* seed-malloc grow: 160 KiB via mmap, freed (threshold -> 164 KiB), then
 * the heap grows instead. */
TEST(dynamic_threshold)
{
	begin();
	brk_(0, HEAP);
	brk_(HEAP + 0x21000, HEAP + 0x21000);
	mmap_(167936, (int64_t)MAPA);
	fault(MAPA + 8, MM_ACCESS_W);                   /* malloc's header write */
	munmap_(MAPA, 167936);
	brk_(HEAP + 0x49000, HEAP + 0x49000);
	const struct mm_finding *f = end("dynamic-threshold");
	CHECK(f);
	CHECK_EQ(NUM(f, "threshold_before"), 131072);
	CHECK_EQ(NUM(f, "threshold"), 167936);
	CHECK_EQ(NUM(f, "trim_threshold"), 335872);
	CHECK_EQ(NUM(f, "heap_step"), 163840);
	CHECK_EQ(f->nr_ev, 2);
	CHECK_EQ(f->ev[0].nr, MM_SYS_MUNMAP);
	CHECK_EQ(f->ev[1].nr, MM_SYS_BRK);
	done();
}

/* Chunks over 32 MiB never move the threshold. */
TEST(dynamic_threshold_not_over_max)
{
	begin();
	brk_(0, HEAP);
	mmap_(64ull << 20, (int64_t)MAPA);
	fault(MAPA + 8, MM_ACCESS_W);
	munmap_(MAPA, 64ull << 20);
	brk_(HEAP + 0x21000, HEAP + 0x21000);
	CHECK(!end("dynamic-threshold"));
	CHECK(mm_findings_find(fs, "mmap-threshold", PID));
	done();
}

static void pairs(int n, uint64_t len)
{
	for (int i = 0; i < n; i++) {
		mmap_(len, (int64_t)MAPA);
		fault(MAPA + 8, MM_ACCESS_W);
		fault(MAPA + len - 1, MM_ACCESS_W);
		munmap_(MAPA, len);
	}
}

TEST(churn_fires)
{
	begin();
	pairs(10, 266240);
	const struct mm_finding *f = end("mmap-churn");
	CHECK(f);
	CHECK_EQ(f->sev, MM_FIND_WARN);
	CHECK_EQ(NUM(f, "size"), 266240);
	CHECK_EQ(NUM(f, "rounds"), 9);          /* each map after the first */
	CHECK_EQ(NUM(f, "pairs"), 10);
	CHECK_EQ(NUM(f, "syscalls"), 20);
	CHECK_EQ(NUM(f, "faults"), 20);
	CHECK_EQ(NUM(f, "pages_touched"), 20);
	CHECK_EQ(f->ev_total, 20);
	CHECK(f->tune && strstr(f->tune, "M_MMAP_THRESHOLD"));
	done();
}

/* Buffers malloc mapped, the program held, then freed: as many pairs,
 * no round of churn (nothing was mapped again after a free). */
TEST(churn_quiet_for_held_buffers)
{
	begin();
	for (uint64_t i = 0; i < 12; i++) {
		mmap_(266240, (int64_t)(MAPA + i * 0x100000));
		fault(MAPA + i * 0x100000 + 8, MM_ACCESS_W);
	}
	for (uint64_t i = 0; i < 12; i++)
		munmap_(MAPA + i * 0x100000, 266240);
	CHECK(!end("mmap-churn"));
	CHECK_EQ(NUM(mm_findings_find(fs, "mmap-threshold", PID), "pairs"), 12);
	done();
}

/* An allocator of the program's own (Python's obmalloc arenas): mmap'd
 * the way malloc does, first touched away from malloc's header: none of
 * the malloc findings speak of it, and glibc's threshold stays put. */
TEST(churn_quiet_for_other_allocators)
{
	begin();
	brk_(0, HEAP);
	brk_(HEAP + 0x21000, HEAP + 0x21000);
	for (int i = 0; i < 20; i++) {
		mmap_(1 << 20, (int64_t)MAPA);
		fault(MAPA + 0x1000, MM_ACCESS_W);      /* its first pool, not a header */
		fault(MAPA + 0x2000, MM_ACCESS_W);
		munmap_(MAPA, 1 << 20);
	}
	brk_(HEAP + 0x49000, HEAP + 0x49000);
	CHECK(!end("mmap-churn"));
	CHECK(!mm_findings_find(fs, "mmap-threshold", PID));
	CHECK(!mm_findings_find(fs, "chunk-header", PID));
	CHECK(!mm_findings_find(fs, "dynamic-threshold", PID));
	done();
}

/* Over 32 MiB no threshold helps: the advice says so. */
TEST(churn_big_advice)
{
	begin();
	pairs(9, 64ull << 20);
	const struct mm_finding *f = end("mmap-churn");
	CHECK(f);
	CHECK_EQ(NUM(f, "rounds"), 8);
	CHECK(strstr(f->tune, "M_MMAP_MAX=0"));
	CHECK(!strstr(f->tune, "M_MMAP_THRESHOLD above"));
	done();
}

TEST(churn_quiet_below_threshold)
{
	begin();
	pairs(7, 266240);
	CHECK(!end("mmap-churn"));
	CHECK_EQ(NUM(mm_findings_find(fs, "mmap-threshold", PID), "pairs"), 7);
	done();
}

/* Seed experiment 4 with overcommit on: 900 MiB mapped, 4 pages touched. */
TEST(overcommit_fires)
{
	begin();
	mmap_(900ull << 20, (int64_t)MAPA);
	for (int i = 0; i < 4; i++)
		fault(MAPA + (100ull << 20) * i, MM_ACCESS_W);
	const struct mm_finding *f = end("overcommit");
	CHECK(f);
	CHECK_EQ(NUM(f, "mappings"), 1);
	CHECK_EQ(NUM(f, "mapped_bytes"), 900ll << 20);
	CHECK_EQ(NUM(f, "pages"), 230400);
	CHECK_EQ(NUM(f, "pages_touched"), 4);
	CHECK_EQ(NUM(f, "touched_permille"), 0);
	CHECK_EQ(f->ev[0].args[1], 900ull << 20);
	done();
}

/* Used big mappings, reservations (PROT_NONE) and stacks are not. */
TEST(overcommit_quiet)
{
	begin();
	mmap_(32ull << 20, (int64_t)MAPA);
	for (uint64_t i = 0; i < 1024; i++)           /* 1 page in 8 */
		fault(MAPA + i * 8 * 4096, MM_ACCESS_W);
	sys(MM_SYS_MMAP, 0, 64ull << 20, PROT_NONE, PA | MAP_NORESERVE, (int64_t)(MAPA + (1ull << 32)));
	sys(MM_SYS_MMAP, 0, 32ull << 20, RW, PA | MAP_STACK, (int64_t)(MAPA + (2ull << 32)));
	CHECK(!end("overcommit"));
	done();
}

/* Seed experiment 4 with RLIMIT_AS (strace of glibc 2.36, malloc(512 MiB)). */
TEST(enomem_sequence)
{
	begin();
	brk_(0, HEAP);
	brk_(HEAP + 0x21000, HEAP + 0x21000);
	mmap_(536875008, -ENOMEM);
	brk_(HEAP + 0x21000 + (512ull << 20), HEAP + 0x21000);
	mmap_(537919488, -ENOMEM);
	const struct mm_finding *f = end("enomem");
	CHECK(f);
	CHECK_EQ(NUM(f, "failures"), 3);
	CHECK_EQ(NUM(f, "first_request"), 536875008);
	CHECK_EQ(NUM(f, "fallback_succeeded"), 0);
	CHECK_EQ(f->nr_ev, 3);
	CHECK_EQ(f->ev[1].nr, MM_SYS_BRK);
	CHECK(strstr(f->summary, "3 memory requests failed in a row (mmap 524292 KiB, "
		     "brk 524288 KiB, mmap 525312 KiB)"));
	CHECK(mm_findings_find(fs, "enomem", PID) == mm_findings_at(fs, 0));
	done();
}

TEST(enomem_fallback_and_gap)
{
	begin();
	mmap_(1ull << 30, -ENOMEM);
	mmap_(1ull << 20, (int64_t)MAPA);               /* the fallback works */
	now += 500ull * 1000 * 1000;                    /* a new sequence */
	mmap_(1ull << 30, -ENOMEM);
	finish_all();
	CHECK_EQ(mm_findings_count(fs), 2);
	CHECK_EQ(NUM(mm_findings_at(fs, 0), "fallback_succeeded"), 1);
	CHECK_EQ(mm_findings_at(fs, 0)->nr_ev, 2);
	CHECK_EQ(NUM(mm_findings_at(fs, 1), "failures"), 1);
	CHECK_EQ(NUM(mm_findings_at(fs, 1), "fallback_succeeded"), 0);
	done();
}

TEST(trim_and_oscillation)
{
	begin();
	brk_(0, HEAP);
	for (int i = 0; i < 3; i++) {
		brk_(HEAP + 0x60000, HEAP + 0x60000);
		fault(HEAP + 0x50000, MM_ACCESS_W);
		brk_(HEAP + 0x21000, HEAP + 0x21000);
	}
	brk_(HEAP + 0x60000, HEAP + 0x60000);
	const struct mm_finding *t = end("heap-trim");
	CHECK(t);
	CHECK_EQ(NUM(t, "trims"), 3);
	CHECK_EQ(NUM(t, "trimmed_bytes"), 3 * 0x3f000);
	CHECK_EQ(NUM(t, "regrows"), 3);
	const struct mm_finding *o = mm_findings_find(fs, "trim-oscillation", PID);
	CHECK(o);
	CHECK_EQ(NUM(o, "cycles"), 3);
	CHECK_EQ(NUM(o, "syscalls"), 7);
	CHECK_EQ(NUM(o, "refaults"), 2);
	done();
}

TEST(trim_once_no_oscillation)
{
	begin();
	brk_(0, HEAP);
	brk_(HEAP + 0x60000, HEAP + 0x60000);
	brk_(HEAP + 0x21000, HEAP + 0x21000);
	CHECK(end("heap-trim"));
	CHECK(!mm_findings_find(fs, "trim-oscillation", 0));
	done();
}

TEST(chunk_header)
{
	begin();
	for (uint64_t i = 0; i < 3; i++) {
		uint64_t a = MAPA + i * 0x100000;
		mmap_(266240, (int64_t)a);
		fault(a + 8, MM_ACCESS_W);
		if (i == 2)
			fault(a + 0x10000, MM_ACCESS_W);
	}
	const struct mm_finding *f = end("chunk-header");
	CHECK(f);
	CHECK_EQ(NUM(f, "chunks"), 3);
	CHECK_EQ(NUM(f, "header_first"), 3);
	CHECK_EQ(NUM(f, "header_only"), 2);
	CHECK_EQ(f->ev[0].args[0], MAPA + 8);
	done();
}

TEST(chunk_header_quiet_for_one)
{
	begin();
	mmap_(266240, (int64_t)MAPA);
	fault(MAPA + 8, MM_ACCESS_W);
	mmap_(266240, (int64_t)(MAPA + 0x100000));
	fault(MAPA + 0x100000 + 0x20, MM_ACCESS_W);   /* not the header */
	CHECK(!end("chunk-header"));
	done();
}

/* realloc of an mmapped chunk moves it with mremap: still one chunk. */
TEST(mremap_follows_chunk)
{
	begin();
	mmap_(266240, (int64_t)MAPA);
	fault(MAPA + 8, MM_ACCESS_W);
	sys(MM_SYS_MREMAP, MAPA, 266240, 532480, MREMAP_MAYMOVE, (int64_t)(MAPA + 0x200000));
	munmap_(MAPA + 0x200000, 532480);
	const struct mm_finding *f = end("mmap-threshold");
	CHECK(f);
	CHECK_EQ(NUM(f, "pairs"), 1);
	CHECK_EQ(NUM(f, "mapped_bytes"), 532480);
	done();
}

/* Syscalls whose exit was never seen change nothing. */
TEST(no_result_ignored)
{
	begin();
	struct mm_event ev = { .ts = 5, .pid = PID, .tgid = PID, .kind = MM_EV_SYSCALL };
	ev.sys.nr = MM_SYS_MMAP;
	ev.sys.args[1] = 1ull << 30;
	feed(&ev);
	finish_all();
	CHECK_EQ(mm_findings_count(fs), 0);
	done();
}

TEST(evidence_format)
{
	char b[256];
	struct mm_find_ev e = { .kind = MM_EV_SYSCALL, .nr = MM_SYS_MMAP, .has_ret = true,
				.args = { 0, 266240, RW }, .ret = (int64_t)MAPA };
	mm_find_ev_format(&e, b, sizeof(b));
	CHECK_STR(b, "mmap(0, 266240, rw-) -> 7f0000000000");
	e.ret = -ENOMEM;
	mm_find_ev_format(&e, b, sizeof(b));
	CHECK_STR(b, "mmap(0, 266240, rw-) -> -ENOMEM");
	e = (struct mm_find_ev){ .kind = MM_EV_SYSCALL, .nr = MM_SYS_MUNMAP, .has_ret = true,
				 .args = { MAPA, 266240 }, .ret = 0 };
	mm_find_ev_format(&e, b, sizeof(b));
	CHECK_STR(b, "munmap(7f0000000000, 266240) = 0");
	e = (struct mm_find_ev){ .kind = MM_EV_SYSCALL, .nr = MM_SYS_BRK, .has_ret = true,
				 .args = { HEAP }, .ret = (int64_t)HEAP };
	mm_find_ev_format(&e, b, sizeof(b));
	CHECK_STR(b, "brk(555500000000) -> 555500000000");
	e = (struct mm_find_ev){ .kind = MM_EV_FAULT, .nr = MM_FAULT_ANON,
				 .access = MM_ACCESS_W, .args = { MAPA + 8 } };
	mm_find_ev_format(&e, b, sizeof(b));
	CHECK_STR(b, "anon page @7f0000000008 (W)");
}

/* The views: text and JSON from a synthetic run, pid filter. */
static char *run_view(const struct mm_view *v, enum mm_output out, int32_t pid)
{
	struct mm_as *model = mm_as_new(4096, MM_AS_NO_CUTOFF);
	struct mm_report_opts o = { .output = out, .pids = &pid, .nr_pids = pid ? 1 : 0,
				    .as = model };
	void *st = v->create(NULL, &o);
	struct mm_event ev = { .ts = 1000, .pid = PID, .tgid = PID, .kind = MM_EV_SYSCALL };
	ev.sys.nr = MM_SYS_MMAP;
	ev.sys.has_ret = true;
	ev.sys.args[1] = 1ull << 30;
	ev.sys.ret = -ENOMEM;
	mm_as_event(model, &ev);
	v->event(st, &ev);
	mm_as_finish(model);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = v->finish(st, f);
	fclose(f);
	v->destroy(st);
	mm_as_free(model);
	if (r) {
		free(buf);
		return NULL;
	}
	return buf;
}

TEST(view_text_json_filter)
{
	char *t = run_view(&mm_view_findings, MM_OUT_TEXT, 0);
	CHECK(t && strstr(t, "# malloc findings: 1\n\n[warn] enomem, pid 100\n"));
	CHECK(strstr(t, "    0.000000 100: mmap(0, 1073741824, ---) -> -ENOMEM\n"));
	free(t);
	t = run_view(&mm_view_findings, MM_OUT_TEXT, 7);
	CHECK(t && !strcmp(t, "# malloc findings: 0\n"));
	free(t);
	t = run_view(&mm_view_findings_short, MM_OUT_TEXT, 7);
	CHECK(t && !strcmp(t, ""));
	free(t);
	t = run_view(&mm_view_findings_short, MM_OUT_TEXT, 0);
	CHECK(t && strstr(t, "# malloc findings\nwarn enomem (pid 100): 1 memory request failed"));
	free(t);
	t = run_view(&mm_view_findings, MM_OUT_JSON, 0);
	CHECK(t && strstr(t, "\"id\": \"enomem\""));
	CHECK(strstr(t, "\"failures\": 1"));
	free(t);
	t = run_view(&mm_view_findings, MM_OUT_CSV, 0);
	CHECK(t && !strncmp(t, "id,severity,pid,time,summary,numbers\nenomem,warn,100,", 53));
	free(t);
}

int main(void)
{
	RUN(top_pad_fires);
	RUN(top_pad_quiet_when_used);
	RUN(mmap_threshold_pair);
	RUN(mmap_threshold_ignores_loader);
	RUN(dynamic_threshold);
	RUN(dynamic_threshold_not_over_max);
	RUN(churn_fires);
	RUN(churn_quiet_for_held_buffers);
	RUN(churn_quiet_for_other_allocators);
	RUN(churn_big_advice);
	RUN(churn_quiet_below_threshold);
	RUN(overcommit_fires);
	RUN(overcommit_quiet);
	RUN(enomem_sequence);
	RUN(enomem_fallback_and_gap);
	RUN(trim_and_oscillation);
	RUN(trim_once_no_oscillation);
	RUN(chunk_header);
	RUN(chunk_header_quiet_for_one);
	RUN(mremap_follows_chunk);
	RUN(no_result_ignored);
	RUN(evidence_format);
	RUN(view_text_json_filter);
	return t_done();
}
