/*
 * tests/unit/test-decoder.c - plugins/: raw records in, memmon events out.
 *
 * The tep handle is built from this machine's real format files saved in
 * tests/data/formats/ (plus hand-written kprobe formats for group
 * memmon_123), the way report builds it from a trace file.  Records are
 * byte arrays laid out with the offsets written literally from those format
 * files, so a decoder that found a field at the wrong place fails here.
 * Each test feeds a small story and asserts the exact events emitted: the
 * classifier's rules, kprobe mode, syscall pairing, the hold queue's
 * ordering and limits, and hostile records.
 *
 * MEMMON_BENCH=N also times N fault records through the decoder.
 */
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <event-parse.h>
#include <trace-seq.h>

#include "harness.h"
#include "memmon.h"
#include "plugins/decoder.h"
#include "report/views/log.h"
#include "report/analyses/summary.h"

/* ---- the tep handle from saved formats ---- */

static char *data_path(const char *rel)
{
	static char path[1024];
	const char *top = getenv("MEMMON_TOP");
	if ((size_t)snprintf(path, sizeof(path), "%s/tests/data/formats/%s",
			     top ? top : ".", rel) >= sizeof(path))
		abort();
	return path;
}

static void load_system(struct tep_handle *tep, const char *sys)
{
	DIR *d = opendir(data_path(sys));
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char rel[512];
		size_t len;
		if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", sys, de->d_name) >= sizeof(rel))
			continue;
		char *text = mm_read_file(data_path(rel), &len);
		if (text && tep_parse_event(tep, text, len, sys))
			fprintf(stderr, "cannot parse %s\n", rel);
		free(text);
	}
	if (d)
		closedir(d);
}

/* KPROBE: also load the memmon_123 probe formats. */
static struct tep_handle *make_tep(bool kprobe)
{
	static const char *const systems[] = {
		"exceptions", "kmem", "filemap", "sched", "task", "syscalls", "signal", "ftrace",
		"raw_syscalls",
	};
	struct tep_handle *tep = tep_alloc();
	size_t len;
	tep_set_long_size(tep, 8);
	tep_set_page_size(tep, 4096);
	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	char *hp = mm_read_file(data_path("header_page"), &len);
	if (!hp || tep_parse_header_page(tep, hp, len, 8))
		fprintf(stderr, "cannot parse header_page\n");
	free(hp);
	for (size_t i = 0; i < sizeof(systems) / sizeof(systems[0]); i++)
		load_system(tep, systems[i]);
	if (kprobe)
		load_system(tep, "memmon_123");
	return tep;
}

static int id_of(struct tep_handle *tep, const char *sys, const char *name)
{
	struct tep_event *e = tep_find_event_by_name(tep, sys, name);
	return e ? e->id : -1;
}

/* ---- a decoder whose sink keeps copies of the events ---- */

#define MAX_OUT 200000
struct out {
	size_t n;
	struct mm_event ev[MAX_OUT];
};
static struct out out;

static void keep(void *ctx, const struct mm_event *ev)
{
	(void)ctx;
	if (out.n < MAX_OUT)
		out.ev[out.n] = *ev;
	out.n++;
}

struct fixture {
	struct tep_handle *tep;
	struct mm_decoder *d;
	uint64_t ts;
};

static void setup(struct fixture *f, bool kprobe)
{
	out.n = 0;
	f->tep = make_tep(kprobe);
	f->d = mm_decoder_new(f->tep, keep, NULL);
	f->ts = 1000000000ull;
	if (!f->d)
		FAILF("mm_decoder_new: %s", mm_error_msg());
}

static void teardown(struct fixture *f)
{
	mm_decoder_free(f->d);
	tep_free(f->tep);
}

/* ---- records, offsets as in tests/data/formats ---- */

static void put(uint8_t *b, int off, int size, uint64_t v)
{
	memcpy(b + off, &v, size);       /* little-endian host, like the files */
}

static void feed(struct fixture *f, uint8_t *data, int size)
{
	struct tep_record rec = { 0 };
	rec.ts = f->ts += 1000;
	rec.data = data;
	rec.size = size;
	rec.cpu = 1;
	mm_decoder_feed(f->d, &rec);
}

static void head(uint8_t *b, struct fixture *f, const char *sys, const char *name, int pid)
{
	int id = id_of(f->tep, sys, name);
	if (id < 0)
		FAILF("no format for %s:%s", sys, name);
	put(b, 0, 2, (uint64_t)id);
	put(b, 4, 4, (uint32_t)pid);
}

static void fault(struct fixture *f, int pid, uint64_t addr, uint32_t ec)
{
	uint8_t b[32] = { 0 };
	head(b, f, "exceptions", "page_fault_user", pid);
	put(b, 8, 8, addr);
	put(b, 16, 8, 0x401000);
	put(b, 24, 8, ec);
	feed(f, b, sizeof(b));
}

static void kfault(struct fixture *f, int pid, uint64_t addr, uint32_t ec)
{
	uint8_t b[32] = { 0 };
	head(b, f, "exceptions", "page_fault_kernel", pid);
	put(b, 8, 8, addr);
	put(b, 16, 8, 0xffffffff81a2b3c4ull);   /* rep_movs_alternative, say */
	put(b, 24, 8, ec);
	feed(f, b, sizeof(b));
}

/* raw_syscalls:sys_enter: id at 8, args[6] at 16 */
static void raw_enter(struct fixture *f, int pid, long nr)
{
	uint8_t b[64] = { 0 };
	head(b, f, "raw_syscalls", "sys_enter", pid);
	put(b, 8, 8, (uint64_t)nr);
	feed(f, b, sizeof(b));
}

/* mm_filemap_map_pages: i_ino 8, s_dev 16, index 24, last_index 32 */
static void map_pages(struct fixture *f, int pid, uint64_t ino, uint64_t index, uint64_t last)
{
	uint8_t b[40] = { 0 };
	head(b, f, "filemap", "mm_filemap_map_pages", pid);
	put(b, 8, 8, ino);
	put(b, 16, 4, (8u << 20) | 1);
	put(b, 24, 8, index);
	put(b, 32, 8, last);
	feed(f, b, sizeof(b));
}

static void rss(struct fixture *f, int pid, uint32_t mm, int curr, int member, int64_t bytes)
{
	uint8_t b[32] = { 0 };
	head(b, f, "kmem", "rss_stat", pid);
	put(b, 8, 4, mm);
	put(b, 12, 4, (uint32_t)curr);
	put(b, 16, 4, (uint32_t)member);
	put(b, 24, 8, (uint64_t)bytes);
	feed(f, b, sizeof(b));
}

static void filemap(struct fixture *f, int pid, uint64_t ino, uint64_t index)
{
	uint8_t b[32] = { 0 };
	head(b, f, "filemap", "mm_filemap_fault", pid);
	put(b, 8, 8, ino);
	put(b, 16, 4, (8u << 20) | 1);
	put(b, 24, 8, index);
	feed(f, b, sizeof(b));
}

static void sys_enter(struct fixture *f, int pid, const char *name, int nargs, const uint64_t *args)
{
	uint8_t b[64] = { 0 };
	char ev[64];
	snprintf(ev, sizeof(ev), "sys_enter_%s", name);
	head(b, f, "syscalls", ev, pid);
	for (int i = 0; i < nargs; i++)
		put(b, 16 + 8 * i, 8, args[i]);
	feed(f, b, sizeof(b));        /* the real size is 16 + 8 * the event's args */
}

static void sys_exit(struct fixture *f, int pid, const char *name, int64_t ret)
{
	uint8_t b[24] = { 0 };
	char ev[64];
	snprintf(ev, sizeof(ev), "sys_exit_%s", name);
	head(b, f, "syscalls", ev, pid);
	put(b, 16, 8, (uint64_t)ret);
	feed(f, b, sizeof(b));
}

/* sched_process_fork: __data_loc strings after the 24 fixed bytes. */
static void fork_ev(struct fixture *f, int parent, int child)
{
	uint8_t b[40] = { 0 };
	head(b, f, "sched", "sched_process_fork", parent);
	put(b, 8, 4, (5u << 16) | 24);      /* parent_comm "prog" at 24 */
	put(b, 12, 4, (uint32_t)parent);
	put(b, 16, 4, (5u << 16) | 29);     /* child_comm "kid!" at 29 */
	put(b, 20, 4, (uint32_t)child);
	memcpy(b + 24, "prog\0kid!", 10);
	feed(f, b, sizeof(b));
}

/* task_newtask as the kernel lays it out: pid at 8, comm[16] at 12,
 * clone_flags at 32, oom_score_adj at 40. */
static void newtask_ev(struct fixture *f, int parent, int child, uint64_t flags)
{
	uint8_t b[48] = { 0 };
	head(b, f, "task", "task_newtask", parent);
	put(b, 8, 4, (uint32_t)child);
	memcpy(b + 12, "kid", 4);
	put(b, 32, 8, flags);
	feed(f, b, sizeof(b));
}

static void kprobe(struct fixture *f, int pid, const char *event)
{
	uint8_t b[16] = { 0 };
	head(b, f, "memmon_123", event, pid);
	put(b, 8, 8, 0xffffffff81234567ull);
	feed(f, b, sizeof(b));
}

#define PF_R   (MM_PF_USER)
#define PF_W   (MM_PF_USER | MM_PF_WRITE)
#define PF_X   (MM_PF_USER | MM_PF_INSTR)
#define PF_PW  (MM_PF_USER | MM_PF_WRITE | MM_PF_PROT)
#define ANON   MM_RSS_ANON
#define FILEP  MM_RSS_FILE
#define SWAPE  MM_RSS_SWAPENTS

/* The class of the first emitted fault. */
static const struct mm_event *first(enum mm_event_kind kind)
{
	size_t n = out.n < MAX_OUT ? out.n : MAX_OUT;
	for (size_t i = 0; i < n; i++)
		if (out.ev[i].kind == kind)
			return &out.ev[i];
	FAILF("no event of kind %d among %zu", kind, out.n);
}

static void finish(struct fixture *f)
{
	mm_decoder_finish(f->d);
}

/* ---- classifier, tracepoint mode ---- */

TEST(anon_write)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 0);           /* before: the counter's value */
	fault(&f, 100, 0x7f12b7d8f000, PF_W);
	rss(&f, 100, 7, 1, ANON, 4096);
	CHECK_EQ(out.n, 1);                    /* the rss before; the fault waits */
	fault(&f, 100, 0x7f12b7d90000, PF_W);  /* the next fault settles it */
	CHECK_EQ(out.n, 3);
	const struct mm_event *e = &out.ev[1];
	CHECK_EQ(e->kind, MM_EV_FAULT);
	CHECK_EQ(e->pid, 100);
	CHECK_EQ(e->fault.addr, 0x7f12b7d8f000);
	CHECK_EQ(e->fault.ip, 0x401000);
	CHECK_EQ(e->fault.error_code, PF_W);
	CHECK_EQ(e->fault.class, MM_FAULT_ANON);
	CHECK_EQ(e->fault.access, MM_ACCESS_W);
	CHECK_EQ(out.ev[2].kind, MM_EV_RSS);
	CHECK_EQ(out.ev[2].rss.bytes, 4096);
	CHECK_EQ(out.ev[2].rss.member, MM_RSS_ANON);
	CHECK_EQ(out.ev[2].rss.mm_id, 7);
	CHECK(out.ev[2].rss.curr);
	finish(&f);
	CHECK_EQ(out.n, 4);
	CHECK_EQ(mm_decoder_counts(f.d)->faults[MM_FAULT_ANON][MM_ACCESS_W], 2);
	CHECK_STR(mm_decoder_classifier(f.d), "tracepoint");
	CHECK_STR(mm_decoder_missing(f.d), "");
	teardown(&f);
}

TEST(file_read)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, FILEP, 8192);
	fault(&f, 100, 0x55d0c0a2a000, PF_R);
	filemap(&f, 100, 1234, 5);
	rss(&f, 100, 7, 1, FILEP, 12288);
	finish(&f);
	CHECK_EQ(out.n, 4);
	CHECK_EQ(out.ev[1].fault.class, MM_FAULT_FILE);
	CHECK_EQ(out.ev[1].fault.access, MM_ACCESS_R);
	const struct mm_event *fm = &out.ev[2];
	CHECK_EQ(fm->kind, MM_EV_FILEMAP);
	CHECK_EQ(fm->filemap.ino, 1234);
	CHECK_EQ(fm->filemap.dev, (8u << 20) | 1);
	CHECK_EQ(fm->filemap.index, 5);
	CHECK_EQ(fm->filemap.last_index, 5);
	CHECK(!fm->filemap.map_pages);
	teardown(&f);
}

TEST(cow_filemap_then_anon)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 40960);
	fault(&f, 100, 0x55d0c0a2b000, PF_W);
	filemap(&f, 100, 1234, 6);
	rss(&f, 100, 7, 1, ANON, 45056);
	finish(&f);
	CHECK_EQ(first(MM_EV_FAULT)->fault.class, MM_FAULT_COW);
	CHECK_EQ(first(MM_EV_FAULT)->fault.access, MM_ACCESS_W);
	teardown(&f);
}

TEST(cow_anon_up_file_down)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 40960);
	rss(&f, 100, 7, 1, FILEP, 8192);
	fault(&f, 100, 0x55d0c0a2b000, PF_PW);
	rss(&f, 100, 7, 1, FILEP, 4096);
	rss(&f, 100, 7, 1, ANON, 45056);
	finish(&f);
	CHECK_EQ(first(MM_EV_FAULT)->fault.class, MM_FAULT_COW);
	teardown(&f);
}

TEST(swap_in)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, SWAPE, 8192);
	rss(&f, 100, 7, 1, ANON, 4096);
	fault(&f, 100, 0x7f0000000000, PF_R);
	rss(&f, 100, 7, 1, SWAPE, 4096);
	rss(&f, 100, 7, 1, ANON, 8192);
	finish(&f);
	CHECK_EQ(first(MM_EV_FAULT)->fault.class, MM_FAULT_SWAP);
	teardown(&f);
}

TEST(zero_page_read_is_anon)
{
	struct fixture f;
	setup(&f, false);
	fault(&f, 100, 0x7f0000001000, PF_R);
	fault(&f, 100, 0x7f0000002000, PF_R);
	CHECK_EQ(out.n, 1);
	CHECK_EQ(out.ev[0].fault.class, MM_FAULT_ANON);
	CHECK_EQ(out.ev[0].fault.access, MM_ACCESS_R);
	teardown(&f);
}

TEST(present_write_after_fork_is_cow)
{
	struct fixture f;
	setup(&f, false);
	fork_ev(&f, 100, 101);
	fault(&f, 101, 0x7f0000001000, PF_PW);     /* child writes a shared page */
	fault(&f, 100, 0x7f0000001000, PF_PW);     /* so does the parent */
	finish(&f);
	CHECK_EQ(out.n, 3);
	CHECK_EQ(out.ev[0].kind, MM_EV_FORK);
	CHECK_EQ(out.ev[0].pid, 100);
	CHECK_EQ(out.ev[0].proc.child_pid, 101);
	CHECK_STR(out.ev[0].proc.comm, "kid!");
	CHECK(!out.ev[0].proc.is_thread);
	CHECK_EQ(out.ev[1].pid, 101);
	CHECK_EQ(out.ev[1].tgid, 101);
	CHECK_EQ(out.ev[1].fault.class, MM_FAULT_COW);
	CHECK_EQ(out.ev[2].fault.class, MM_FAULT_COW);
	teardown(&f);
}

TEST(present_write_without_fork_is_other)
{
	struct fixture f;
	setup(&f, false);
	fault(&f, 100, 0x7f0000001000, PF_PW);
	fault(&f, 100, 0x7f0000002000, PF_X);
	finish(&f);
	CHECK_EQ(out.n, 2);
	CHECK_EQ(out.ev[0].fault.class, MM_FAULT_OTHER);
	CHECK_EQ(out.ev[0].fault.access, MM_ACCESS_W);
	CHECK_EQ(out.ev[1].fault.access, MM_ACCESS_X);
	CHECK_EQ(out.ev[1].fault.class, MM_FAULT_ANON);
	teardown(&f);
}

TEST(other_task_rss_is_not_evidence)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 0);
	fault(&f, 100, 0x7f0000001000, PF_PW);
	rss(&f, 200, 7, 1, ANON, 4096);    /* another task */
	rss(&f, 100, 9, 0, ANON, 4096);    /* not its own mm (curr=0) */
	finish(&f);
	CHECK_EQ(first(MM_EV_FAULT)->fault.class, MM_FAULT_OTHER);
	teardown(&f);
}


/* ---- kernel-mode faults, pages mapped, the syscall in progress ---- */

#define KPF_W  (MM_PF_WRITE)          /* kernel mode: no user bit */
#define SHMEM  MM_RSS_SHMEM
#define NR_READ 0
#define NR_MLOCK 149

/* The Ith emitted event of KIND. */
static const struct mm_event *nth(enum mm_event_kind kind, int i)
{
	size_t n = out.n < MAX_OUT ? out.n : MAX_OUT;
	for (size_t k = 0; k < n; k++)
		if (out.ev[k].kind == kind && i-- == 0)
			return &out.ev[k];
	FAILF("no event %d of kind %d among %zu", i, kind, out.n);
}

/* kmem:mm_page_alloc: pfn 8, order 16, gfp_flags 24, migratetype 32;
 * FLAGS the common_flags (hard/soft irq) */
static void page_alloc(struct fixture *f, int pid, uint64_t pfn, unsigned order, uint64_t gfp,
		       int mt, uint8_t flags)
{
	uint8_t b[40] = { 0 };
	head(b, f, "kmem", "mm_page_alloc", pid);
	b[2] = flags;
	put(b, 8, 8, pfn);
	put(b, 16, 4, order);
	put(b, 24, 8, gfp);
	put(b, 32, 4, (uint32_t)mt);
	feed(f, b, sizeof(b));
}

/* kmem:mm_page_free: pfn 8, order 16 */
static void page_free(struct fixture *f, int pid, uint64_t pfn, unsigned order)
{
	uint8_t b[24] = { 0 };
	head(b, f, "kmem", "mm_page_free", pid);
	put(b, 8, 8, pfn);
	put(b, 16, 4, order);
	feed(f, b, sizeof(b));
}

#define GFP_PGTABLE_USER     0x440dc0u   /* as 6.18 allocates a PTE table */
#define GFP_HIGHUSER_MOVABLE 0x152ccau   /* an anonymous page */

/* plugins/frames.c's rule: a fault's frames are its task's allocations
 * after it and before its own rss_stat; the first movable one served it */
TEST(frames_tied_to_their_fault)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 0);
	fault(&f, 100, 0x7f0000001000, PF_W);
	page_alloc(&f, 101, 999, 0, GFP_HIGHUSER_MOVABLE, 1, 0);  /* another task's */
	page_alloc(&f, 100, 500, 0, GFP_PGTABLE_USER, 0, 0);
	page_alloc(&f, 100, 600, 0, GFP_HIGHUSER_MOVABLE, 1, 0x08);  /* in an interrupt */
	page_alloc(&f, 100, 700, 0, GFP_HIGHUSER_MOVABLE, 1, 0);
	rss(&f, 100, 7, 1, ANON, 4096);                /* the page is mapped */
	page_alloc(&f, 100, 800, 2, 0xcc0, 0, 0);      /* after it: not the fault's */
	page_free(&f, 100, 700, 0);
	fault(&f, 100, 0x7f0000200000, PF_W);          /* a THP */
	page_alloc(&f, 100, 1024, 9, GFP_HIGHUSER_MOVABLE, 1, 0);
	page_alloc(&f, 100, 900, 0, GFP_PGTABLE_USER, 0, 0);
	rss(&f, 100, 7, 1, ANON, 4096 + (2 << 20));
	finish(&f);
	const struct mm_event *a = nth(MM_EV_FAULT, 0), *b = nth(MM_EV_FAULT, 1);
	CHECK(a->fault.have_frame);
	CHECK_EQ(a->fault.pfn, 700);
	CHECK_EQ(a->fault.frame_order, 0);
	CHECK_EQ(a->fault.nr_frames, 2);
	CHECK(b->fault.have_frame);
	CHECK_EQ(b->fault.pfn, 1024);
	CHECK_EQ(b->fault.frame_order, 9);
	CHECK_EQ(b->fault.nr_frames, 2);
	const struct mm_event *fr[8];
	for (int i = 0; i < 7; i++)
		fr[i] = nth(MM_EV_FRAME, i);
	CHECK_EQ(fr[0]->pid, 101);
	CHECK_EQ(fr[0]->frame.use, MM_FRAME_USER);
	CHECK_EQ(fr[0]->frame.fault_addr, 0);
	CHECK_EQ(fr[1]->frame.pfn, 500);
	CHECK_EQ(fr[1]->frame.use, MM_FRAME_PAGETABLE);
	CHECK_EQ(fr[1]->frame.during, MM_DURING_FAULT);
	CHECK_EQ(fr[1]->frame.fault_addr, 0x7f0000001000);
	CHECK_EQ(fr[2]->frame.pfn, 700);               /* 600 was the interrupt's */
	CHECK_EQ(fr[2]->frame.use, MM_FRAME_FAULTED);
	CHECK_EQ(fr[2]->frame.migratetype, 1);
	CHECK_EQ(fr[3]->frame.pfn, 800);
	CHECK_EQ(fr[3]->frame.use, MM_FRAME_KERNEL);
	CHECK_EQ(fr[3]->frame.order, 2);
	CHECK_EQ(fr[3]->frame.fault_addr, 0);
	CHECK(fr[4]->frame.free);
	CHECK_EQ(fr[4]->frame.use, MM_FRAME_FREED);
	CHECK_EQ(fr[4]->frame.migratetype, -1);
	CHECK_EQ(fr[5]->frame.use, MM_FRAME_FAULTED);
	CHECK_EQ(fr[6]->frame.use, MM_FRAME_PAGETABLE);
	CHECK_EQ(fr[6]->frame.fault_addr, 0x7f0000200000);
	CHECK_EQ(mm_decoder_counts(f.d)->irq_frames, 1);
	CHECK_EQ(mm_decoder_counts(f.d)->by_kind[MM_EV_FRAME], 7);
	CHECK_STR(mm_frame_use_name(MM_FRAME_PAGETABLE), "page table");
	CHECK_STR(mm_frame_order_name(9, mm_frame_pmd_order(4096)), "THP");
	CHECK(mm_frame_order_name(3, 9) == NULL);
	teardown(&f);
}

/* A fault that maps no frame (the zero page) has none; a hostile order
 * is clamped */
TEST(frames_none_and_hostile)
{
	struct fixture f;
	setup(&f, false);
	fault(&f, 100, 0x7f0000001000, PF_R);
	page_alloc(&f, 100, 5, 0, GFP_PGTABLE_USER, 0, 0);
	fault(&f, 100, 0x7f0000002000, PF_R);
	page_alloc(&f, 100, 6, 0xffffffffu, 0, 77, 0);
	finish(&f);
	CHECK(!nth(MM_EV_FAULT, 0)->fault.have_frame);
	CHECK_EQ(nth(MM_EV_FAULT, 0)->fault.nr_frames, 1);
	CHECK_EQ(nth(MM_EV_FRAME, 1)->frame.order, 63);
	CHECK_EQ(nth(MM_EV_FRAME, 1)->frame.migratetype, -1);
	teardown(&f);
	/* a zero-page read then an untraced write() filling the page cache:
	 * no rss_stat of the fault's own, so that frame is not its */
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 0);
	fault(&f, 100, 0x7f0000001000, PF_R);
	page_alloc(&f, 100, 42, 0, GFP_HIGHUSER_MOVABLE, 1, 0);
	fault(&f, 100, 0x7f0000002000, PF_W);
	page_alloc(&f, 100, 43, 0, GFP_HIGHUSER_MOVABLE, 1, 0);
	rss(&f, 100, 7, 1, ANON, 4096);
	finish(&f);
	CHECK(!nth(MM_EV_FAULT, 0)->fault.have_frame);
	CHECK_EQ(nth(MM_EV_FRAME, 0)->frame.use, MM_FRAME_USER);
	CHECK_EQ(nth(MM_EV_FAULT, 1)->fault.pfn, 43);
	CHECK_EQ(nth(MM_EV_FRAME, 1)->frame.use, MM_FRAME_FAULTED);
	teardown(&f);
}

TEST(kernel_fault_in_read)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 40960);
	raw_enter(&f, 100, NR_READ);
	kfault(&f, 100, 0x7f0000001000, KPF_W);
	rss(&f, 100, 7, 1, ANON, 45056);
	kfault(&f, 100, 0x7f0000002000, KPF_W);
	rss(&f, 100, 7, 1, ANON, 49152);
	fault(&f, 100, 0x7f0000003000, PF_W);   /* back in user mode */
	rss(&f, 100, 7, 1, ANON, 53248);
	kfault(&f, 100, 0x7f0000004000, KPF_W); /* no syscall entry seen since */
	finish(&f);
	const struct mm_event *k0 = nth(MM_EV_FAULT, 0), *k1 = nth(MM_EV_FAULT, 1);
	const struct mm_event *u = nth(MM_EV_FAULT, 2), *k2 = nth(MM_EV_FAULT, 3);
	CHECK(k0->fault.kernel);
	CHECK_EQ(k0->fault.sys, NR_READ);
	CHECK_STR(mm_syscall_raw_name(k0->fault.sys), "read");
	CHECK_EQ(k0->fault.class, MM_FAULT_ANON);
	CHECK_EQ(k0->fault.access, MM_ACCESS_W);
	CHECK_EQ(k0->fault.rss_up[ANON], 1);
	CHECK_EQ(k0->fault.ip, 0xffffffff81a2b3c4ull);
	CHECK(k1->fault.kernel);
	CHECK_EQ(k1->fault.sys, NR_READ);
	CHECK(!u->fault.kernel);
	CHECK_EQ(u->fault.sys, MM_SYSCALL_NONE);
	CHECK_EQ(u->fault.rss_up[ANON], 1);
	CHECK(k2->fault.kernel);
	CHECK_EQ(k2->fault.sys, MM_SYSCALL_NONE);
	CHECK_EQ(mm_decoder_counts(f.d)->faults[MM_FAULT_ANON][MM_ACCESS_W], 4);
	/* the raw entry itself is not an event */
	CHECK_EQ(mm_decoder_counts(f.d)->by_kind[MM_EV_SYSCALL], 0);
	teardown(&f);
}

TEST(kernel_fault_named_by_the_io_call_it_is_in)
{
	struct fixture f;
	setup(&f, false);
	uint64_t args[3] = { 3, 0x7f0000001000, 1 << 20 };
	rss(&f, 100, 7, 1, ANON, 4096);
	sys_enter(&f, 100, "read", 3, args);
	kfault(&f, 100, 0x7f0000001000, KPF_W);
	rss(&f, 100, 7, 1, ANON, 8192);
	sys_exit(&f, 100, "read", 1 << 20);
	kfault(&f, 100, 0x7f0000005000, KPF_W);     /* after it: another call */
	rss(&f, 100, 7, 1, ANON, 12288);
	finish(&f);
	CHECK_STR(mm_syscall_raw_name(nth(MM_EV_FAULT, 0)->fault.sys), "read");
	CHECK_EQ(nth(MM_EV_FAULT, 1)->fault.sys, MM_SYSCALL_NONE);
	/* the I/O calls' records are not events */
	CHECK_EQ(mm_decoder_counts(f.d)->by_kind[MM_EV_SYSCALL], 0);
	CHECK_EQ(nth(MM_EV_RSS, 1)->rss.during, MM_DURING_FAULT);
	teardown(&f);
}

TEST(kernel_fault_on_kernel_address_dropped)
{
	struct fixture f;
	setup(&f, false);
	raw_enter(&f, 100, NR_READ);
	kfault(&f, 100, 0xffff888012345000ull, KPF_W);
	finish(&f);
	CHECK_EQ(out.n, 0);
	teardown(&f);
}

/* a kernel access to the NULL page is a probe that failed (a profiler
 * walking a user stack with copy_from_user_nofault ends at frame 0): no
 * page for the program, not in its rusage; a user-mode one is a crash */
TEST(kernel_fault_on_the_null_page_dropped)
{
	struct fixture f;
	setup(&f, false);
	raw_enter(&f, 100, NR_READ);
	kfault(&f, 100, 0, 0);
	kfault(&f, 100, 0xff8, 0);
	fault(&f, 100, 0, 0);
	finish(&f);
	CHECK_EQ(out.n, 1);
	CHECK(!nth(MM_EV_FAULT, 0)->fault.kernel);
	teardown(&f);
}

TEST(thp_fault_maps_512_pages)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 8192);
	fault(&f, 100, 0x7f0000200000, PF_W);
	rss(&f, 100, 7, 1, ANON, 8192 + (2 << 20));
	finish(&f);
	const struct mm_event *e = nth(MM_EV_FAULT, 0);
	CHECK_EQ(e->fault.class, MM_FAULT_ANON);
	CHECK_EQ(e->fault.rss_up[ANON], 512);
	CHECK(!e->fault.around);
	teardown(&f);
}

TEST(fault_around_window)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, FILEP, 4096);
	fault(&f, 100, 0x55d0c0a3a000, PF_R);
	rss(&f, 100, 7, 1, FILEP, 4096 + 16 * 4096);
	map_pages(&f, 100, 1234, 16, 31);
	finish(&f);
	const struct mm_event *e = nth(MM_EV_FAULT, 0);
	CHECK_EQ(e->fault.class, MM_FAULT_FILE);
	CHECK_EQ(e->fault.rss_up[FILEP], 16);
	CHECK(e->fault.around);
	CHECK_EQ(e->fault.around_first, 16);
	CHECK_EQ(e->fault.around_last, 31);
	const struct mm_event *m = first(MM_EV_FILEMAP);
	CHECK_EQ(m->filemap.during, MM_DURING_FAULT);
	teardown(&f);
}

TEST(zero_page_read_maps_nothing)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 4096);
	fault(&f, 100, 0x7f0000001000, PF_R);
	fault(&f, 100, 0x7f0000002000, PF_R);
	finish(&f);
	CHECK_EQ(nth(MM_EV_FAULT, 0)->fault.class, MM_FAULT_ANON);
	CHECK_EQ(nth(MM_EV_FAULT, 0)->fault.rss_up[ANON], 0);
	teardown(&f);
}

TEST(syscall_carries_its_rss_change)
{
	struct fixture f;
	setup(&f, false);
	rss(&f, 100, 7, 1, ANON, 4096);
	uint64_t args[2] = { 0x7f0000000000, 32 * 4096 };
	sys_enter(&f, 100, "mlock", 2, args);
	raw_enter(&f, 100, NR_MLOCK);            /* the raw entry of the same call */
	for (int i = 1; i <= 32; i++)
		rss(&f, 100, 7, 1, ANON, 4096 + i * 4096);
	map_pages(&f, 100, 99, 0, 15);
	sys_exit(&f, 100, "mlock", 0);
	uint64_t margs[2] = { 0x7f0000000000, 64 * 4096 };
	sys_enter(&f, 100, "munmap", 2, margs);
	rss(&f, 100, 7, 1, ANON, 4096 - 32 * 4096 + 32 * 4096);
	sys_exit(&f, 100, "munmap", 0);
	rss(&f, 100, 7, 1, ANON, 0);             /* nothing explains it */
	finish(&f);
	const struct mm_event *ml = nth(MM_EV_SYSCALL, 0), *mu = nth(MM_EV_SYSCALL, 1);
	CHECK_EQ(ml->sys.nr, MM_SYS_MLOCK);
	CHECK_EQ(ml->sys.rss[ANON], 32);
	CHECK_EQ(ml->sys.rss[FILEP], 0);
	CHECK_EQ(mu->sys.nr, MM_SYS_MUNMAP);
	CHECK_EQ(mu->sys.rss[ANON], -32);
	const struct mm_event *r1 = nth(MM_EV_RSS, 1), *rl = nth(MM_EV_RSS, 34);
	CHECK_EQ(r1->rss.during, MM_DURING_SYSCALL);
	CHECK_EQ(r1->rss.sys, NR_MLOCK);
	CHECK_EQ(r1->rss.delta, 4096);
	CHECK_EQ(rl->rss.during, MM_DURING_NONE);
	CHECK_EQ(rl->rss.delta, -4096);
	const struct mm_event *m = first(MM_EV_FILEMAP);
	CHECK_EQ(m->filemap.during, MM_DURING_SYSCALL);
	CHECK_EQ(m->filemap.sys, NR_MLOCK);
	teardown(&f);
}

TEST(new_mm_counts_from_zero)
{
	struct fixture f;
	setup(&f, false);
	uint64_t args[3] = { 0x1000, 0x2000, 0x3000 };
	rss(&f, 100, 7, 1, ANON, 409600);        /* the old mm: a level */
	sys_enter(&f, 100, "execve", 3, args);
	rss(&f, 100, 8, 0, ANON, 8192);          /* the new one, being built */
	rss(&f, 100, 7, 0, ANON, 0);             /* the old one, torn down */
	kfault(&f, 100, 0x55d0c0a2a040, KPF_W);  /* clear_user of the bss */
	rss(&f, 100, 8, 1, ANON, 12288);
	sys_exit(&f, 100, "execve", 0);
	rss(&f, 200, 9, 1, FILEP, 65536);        /* an mm that was there before */
	finish(&f);
	CHECK_EQ(nth(MM_EV_RSS, 0)->rss.delta, 0);
	CHECK_EQ(nth(MM_EV_RSS, 1)->rss.delta, 8192);
	CHECK_EQ(nth(MM_EV_RSS, 2)->rss.delta, -409600);
	CHECK_EQ(nth(MM_EV_RSS, 4)->rss.delta, 0);
	const struct mm_event *k = nth(MM_EV_FAULT, 0);
	CHECK(k->fault.kernel);
	CHECK_STR(mm_syscall_raw_name(k->fault.sys), "execve");
	CHECK_EQ(k->fault.rss_up[ANON], 1);
	teardown(&f);
}

TEST(fork_event_carries_the_childs_counters)
{
	struct fixture f;
	setup(&f, false);
	uint64_t args[5] = { 0x1200011, 0, 0, 0, 0 };
	rss(&f, 100, 7, 1, ANON, 409600);
	sys_enter(&f, 100, "clone", 5, args);
	rss(&f, 100, 9, 0, ANON, 65536);            /* copy_mm: the child's mm */
	rss(&f, 100, 9, 0, FILEP, 8192);
	fork_ev(&f, 100, 101);
	sys_exit(&f, 100, "clone", 101);
	finish(&f);
	const struct mm_event *e = first(MM_EV_FORK);
	CHECK(e->proc.have_child_rss);
	CHECK_EQ(e->proc.child_rss[ANON], 65536);
	CHECK_EQ(e->proc.child_rss[FILEP], 8192);
	CHECK_EQ(nth(MM_EV_RSS, 1)->rss.delta, 65536);  /* a new mm: from 0 */
	teardown(&f);
}

TEST(new_map_calls_decoded)
{
	struct fixture f;
	setup(&f, false);
	uint64_t pk[4] = { 0x7f0000000000, 8192, 1, 3 };
	sys_enter(&f, 100, "pkey_mprotect", 4, pk);
	sys_exit(&f, 100, "pkey_mprotect", 0);
	uint64_t ms[3] = { 0x7f0000004000, 4096, 0 };
	sys_enter(&f, 100, "mseal", 3, ms);
	sys_exit(&f, 100, "mseal", 0);
	uint64_t rf[5] = { 0x7f0000010000, 8192, 0, 7, 0 };
	sys_enter(&f, 100, "remap_file_pages", 5, rf);
	sys_exit(&f, 100, "remap_file_pages", 0);
	uint64_t pm[5] = { 3, 0x7ffd0000, 2, 21, 0 };
	sys_enter(&f, 100, "process_madvise", 5, pm);
	sys_exit(&f, 100, "process_madvise", 8192);
	finish(&f);
	const struct mm_event *a = nth(MM_EV_SYSCALL, 0), *b = nth(MM_EV_SYSCALL, 1);
	const struct mm_event *c = nth(MM_EV_SYSCALL, 2), *d = nth(MM_EV_SYSCALL, 3);
	CHECK_EQ(a->sys.nr, MM_SYS_PKEY_MPROTECT);
	CHECK_EQ(a->sys.args[3], 3);
	CHECK_STR(mm_syscall_name(b->sys.nr), "mseal");
	CHECK_EQ(b->sys.args[1], 4096);
	CHECK_EQ(c->sys.nr, MM_SYS_REMAP_FILE_PAGES);
	CHECK_EQ(c->sys.args[3], 7);
	CHECK_EQ(d->sys.nr, MM_SYS_PROCESS_MADVISE);
	CHECK_EQ(d->sys.args[3], 21);
	CHECK_EQ(d->sys.ret, 8192);
	teardown(&f);
}

TEST(syscall_names)
{
	CHECK_STR(mm_syscall_raw_name(0), "read");
	CHECK_STR(mm_syscall_raw_name(202), "futex");
	CHECK_STR(mm_syscall_raw_name(462), "mseal");
	CHECK(mm_syscall_raw_name(400) == NULL);
	CHECK(mm_syscall_raw_name(-1) == NULL);
	CHECK(mm_syscall_raw_name(100000) == NULL);
	CHECK_EQ(mm_syscall_raw_nr("pkey_mprotect"), 329);
	CHECK_EQ(mm_syscall_raw_nr("nosuchcall"), -1);
}

/* ---- kprobe mode ---- */

TEST(kprobe_classes)
{
	struct fixture f;
	setup(&f, true);
	CHECK_STR(mm_decoder_classifier(f.d), "kprobe");
	fault(&f, 100, 0x1000, PF_R);
	kprobe(&f, 100, "file");
	fault(&f, 100, 0x2000, PF_PW);
	kprobe(&f, 100, "wp");
	fault(&f, 100, 0x3000, PF_W);
	kprobe(&f, 100, "anon");
	fault(&f, 100, 0x4000, PF_R);
	kprobe(&f, 100, "swap");
	fault(&f, 100, 0x5000, PF_W);
	kprobe(&f, 100, "cow");
	CHECK_EQ(out.n, 4);                /* each settled by the next fault */
	finish(&f);
	CHECK_EQ(out.n, 5);
	static const uint8_t want[] = {
		MM_FAULT_FILE, MM_FAULT_COW, MM_FAULT_ANON, MM_FAULT_SWAP, MM_FAULT_COW,
	};
	for (int i = 0; i < 5; i++)
		CHECK_EQ(out.ev[i].fault.class, want[i]);
	CHECK_EQ(mm_decoder_counts(f.d)->by_kind[MM_EV_FAULT], 5);
	teardown(&f);
}

TEST(kprobe_of_other_task_ignored)
{
	struct fixture f;
	setup(&f, true);
	fault(&f, 100, 0x1000, PF_PW);
	kprobe(&f, 200, "anon");
	CHECK_EQ(out.n, 0);
	finish(&f);
	CHECK_EQ(out.ev[0].fault.class, MM_FAULT_OTHER);
	teardown(&f);
}

/* ---- syscalls ---- */

TEST(mmap_pairing)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t a[6] = { 0, 139264, 3, 0x22, (uint64_t)-1, 0 };
	sys_enter(&f, 789, "mmap", 6, a);
	CHECK_EQ(out.n, 0);
	sys_exit(&f, 789, "mmap", 0x7f12b7d8f000);
	CHECK_EQ(out.n, 1);
	const struct mm_syscall *s = &out.ev[0].sys;
	CHECK_EQ(out.ev[0].kind, MM_EV_SYSCALL);
	CHECK_EQ(s->nr, MM_SYS_MMAP);
	CHECK(s->has_ret);
	CHECK_EQ(s->ret, 0x7f12b7d8f000);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(s->args[i], a[i]);
	CHECK_EQ(s->exit_ts, out.ev[0].ts + 1000);
	teardown(&f);
}

TEST(mmap_enomem)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t a[6] = { 0, 1ull << 30, 3, 0x22, (uint64_t)-1, 0 };
	sys_enter(&f, 789, "mmap", 6, a);
	sys_exit(&f, 789, "mmap", -12);
	CHECK_EQ(out.n, 1);
	CHECK_EQ(out.ev[0].sys.ret, -12);
	CHECK(out.ev[0].sys.has_ret);
	teardown(&f);
}

TEST(exit_group_without_exit)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t code = 3;
	sys_enter(&f, 789, "exit_group", 1, &code);
	CHECK_EQ(out.n, 1);
	CHECK_EQ(out.ev[0].sys.nr, MM_SYS_EXIT_GROUP);
	CHECK_EQ(out.ev[0].sys.args[0], 3);
	CHECK(!out.ev[0].sys.has_ret);
	finish(&f);
	CHECK_EQ(mm_decoder_counts(f.d)->unresolved_syscalls, 0);
	teardown(&f);
}

TEST(lost_exit_abandoned_by_next_entry)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t a[2] = { 0x7f0000000000, 8192 };
	sys_enter(&f, 789, "munmap", 2, a);
	sys_enter(&f, 789, "munmap", 2, a);
	sys_exit(&f, 789, "munmap", 0);
	CHECK_EQ(out.n, 2);
	CHECK(!out.ev[0].sys.has_ret);
	CHECK(out.ev[1].sys.has_ret);
	CHECK_EQ(mm_decoder_counts(f.d)->unresolved_syscalls, 1);
	sys_exit(&f, 789, "munmap", 0);        /* orphan exit: dropped */
	CHECK_EQ(out.n, 2);
	teardown(&f);
}

TEST(clone_thread_completed_by_fork_event)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t flags = 0x3d0f00;      /* glibc pthread_create: VM|...|THREAD|... */
	sys_enter(&f, 100, "clone", 1, &flags);
	fork_ev(&f, 100, 102);
	CHECK_EQ(out.n, 2);                   /* no need to wait for clone's exit */
	CHECK_EQ(out.ev[0].sys.ret, 102);
	CHECK(out.ev[1].proc.is_thread);
	sys_exit(&f, 100, "clone", 102);
	sys_exit(&f, 102, "clone", 0);        /* the child's return: no entry */
	fault(&f, 102, 0x1000, PF_R);
	finish(&f);
	CHECK_EQ(out.n, 3);
	CHECK_EQ(out.ev[2].tgid, 100);
	teardown(&f);
}

TEST(clone3_shares_the_mm)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t a[2] = { 0x7ffd0000, 88 };
	sys_enter(&f, 100, "clone3", 2, a);
	fork_ev(&f, 100, 103);
	fault(&f, 103, 0x1000, PF_PW);        /* no fork partner: not cow */
	finish(&f);
	CHECK_EQ(out.n, 3);
	CHECK_EQ(out.ev[0].sys.nr, MM_SYS_CLONE3);
	CHECK_EQ(out.ev[0].sys.ret, 103);
	CHECK(out.ev[1].proc.is_thread);
	CHECK_EQ(out.ev[2].tgid, 100);
	CHECK_EQ(out.ev[2].fault.class, MM_FAULT_OTHER);
	teardown(&f);
}

/* posix_spawn-like clone3 without CLONE_VM|CLONE_THREAD: task_newtask's
 * flags make it a process, whatever the clone3 fallback would guess. */
TEST(clone3_process_told_by_newtask)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t a[2] = { 0x7ffd0000, 88 };
	sys_enter(&f, 100, "clone3", 2, a);
	newtask_ev(&f, 100, 105, 0x11);       /* SIGCHLD only: a new process */
	fork_ev(&f, 100, 105);
	fault(&f, 105, 0x1000, PF_PW);        /* shares pages with its parent */
	finish(&f);
	CHECK_EQ(out.n, 3);
	CHECK(!out.ev[1].proc.is_thread);
	CHECK_EQ(out.ev[2].tgid, 105);
	CHECK_EQ(out.ev[2].fault.class, MM_FAULT_COW);
	teardown(&f);
}

TEST(plain_fork_syscall)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t flags = 0x1200011;     /* glibc fork(): clone without CLONE_VM */
	sys_enter(&f, 100, "clone", 1, &flags);
	fork_ev(&f, 100, 104);
	fault(&f, 100, 0x1000, PF_PW);         /* fault of the parent after return */
	finish(&f);
	CHECK(!out.ev[1].proc.is_thread);
	CHECK_EQ(out.ev[2].fault.class, MM_FAULT_COW);
	teardown(&f);
}

/* ---- the hold queue ---- */

TEST(held_fault_keeps_its_place)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t a[2] = { 0x7f0000000000, 8192 };
	fault(&f, 100, 0x1000, PF_W);          /* A, held */
	sys_enter(&f, 200, "munmap", 2, a);    /* B */
	sys_exit(&f, 200, "munmap", 0);
	CHECK_EQ(out.n, 0);                    /* B waits behind A */
	fault(&f, 100, 0x2000, PF_W);          /* settles A */
	CHECK_EQ(out.n, 2);
	CHECK_EQ(out.ev[0].pid, 100);
	CHECK_EQ(out.ev[0].kind, MM_EV_FAULT);
	CHECK_EQ(out.ev[1].pid, 200);
	CHECK_EQ(out.ev[1].kind, MM_EV_SYSCALL);
	teardown(&f);
}

TEST(hold_timeout)
{
	struct fixture f;
	setup(&f, false);
	fault(&f, 100, 0x1000, PF_R);
	f.ts += MM_DECODER_HOLD_NS;            /* B's event comes 1 s later */
	rss(&f, 200, 9, 1, ANON, 4096);
	CHECK_EQ(out.n, 2);
	CHECK_EQ(out.ev[0].pid, 100);
	CHECK_EQ(out.ev[0].fault.class, MM_FAULT_ANON);
	CHECK_EQ(mm_decoder_counts(f.d)->forced, 1);
	teardown(&f);
}

TEST(hold_limit)
{
	struct fixture f;
	setup(&f, false);
	fault(&f, 100, 0x1000, PF_R);
	for (int i = 0; i < MM_DECODER_MAX_HELD + 10; i++)
		rss(&f, 200, 9, 0, ANON, 4096 * i);
	CHECK_EQ(mm_decoder_counts(f.d)->forced, 1);
	CHECK_EQ(out.n, MM_DECODER_MAX_HELD + 11);
	CHECK_EQ(out.ev[0].pid, 100);
	CHECK_EQ(out.ev[1].rss.bytes, 0);
	CHECK_EQ(out.ev[MM_DECODER_MAX_HELD + 10].rss.bytes, 4096 * (MM_DECODER_MAX_HELD + 9));
	teardown(&f);
}

/* ---- hostile records ---- */

TEST(malformed_records_skipped)
{
	struct fixture f;
	setup(&f, false);
	uint8_t b[64] = { 0 };
	head(b, &f, "exceptions", "page_fault_user", 100);
	feed(&f, b, 31);                       /* one byte short of error_code */
	feed(&f, b, 1);                        /* not even a common_type */
	head(b, &f, "syscalls", "sys_enter_mmap", 100);
	feed(&f, b, 40);
	put(b, 0, 2, 65000);                   /* an id no format has */
	feed(&f, b, sizeof(b));
	CHECK_EQ(out.n, 0);
	CHECK_EQ(mm_decoder_counts(f.d)->malformed, 3);
	CHECK_EQ(mm_decoder_counts(f.d)->unknown, 1);
	CHECK_EQ(mm_decoder_counts(f.d)->records, 4);
	teardown(&f);
}

TEST(data_loc_outside_record)
{
	struct fixture f;
	setup(&f, false);
	uint8_t b[40] = { 0 };
	head(b, &f, "sched", "sched_process_fork", 100);
	put(b, 16, 4, (200u << 16) | 30);      /* child_comm runs far past the end */
	put(b, 20, 4, 101);
	feed(&f, b, sizeof(b));
	put(b, 16, 4, (4u << 16) | 0xfff0);    /* starts past the end */
	feed(&f, b, sizeof(b));
	CHECK_EQ(out.n, 2);
	CHECK_STR(out.ev[0].proc.comm, "");
	CHECK_STR(out.ev[1].proc.comm, "");
	teardown(&f);
}

static void exec_ev(struct fixture *f, int pid, const char *path)
{
	uint8_t b[96] = { 0 };
	size_t n = strlen(path) + 1;
	head(b, f, "sched", "sched_process_exec", pid);
	put(b, 8, 4, ((uint32_t)n << 16) | 20);
	put(b, 12, 4, (uint32_t)pid);
	put(b, 16, 4, (uint32_t)pid);
	memcpy(b + 20, path, n);
	feed(f, b, 20 + (int)n);
}

static void rename_ev(struct fixture *f, int pid, const char *old, const char *new)
{
	uint8_t b[48] = { 0 };
	head(b, f, "task", "task_rename", pid);
	put(b, 8, 4, (uint32_t)pid);
	memcpy(b + 12, old, strlen(old) + 1);
	memcpy(b + 28, new, strlen(new) + 1);
	feed(f, b, sizeof(b));
}

TEST(process_events)
{
	struct fixture f;
	setup(&f, false);
	uint8_t b[64] = { 0 };
	exec_ev(&f, 101, "/usr/bin/ls");
	rename_ev(&f, 101, "bash", "ls");
	head(b, &f, "sched", "sched_process_exit", 101);
	memcpy(b + 8, "ls", 3);
	put(b, 24, 4, 101);
	feed(&f, b, 40);
	CHECK_EQ(out.n, 3);
	CHECK_EQ(out.ev[0].kind, MM_EV_EXEC);
	CHECK_STR(out.ev[0].proc.path, "/usr/bin/ls");
	CHECK_STR(out.ev[0].proc.comm, "ls");
	CHECK_EQ(out.ev[1].kind, MM_EV_RENAME);
	CHECK_STR(out.ev[1].proc.old_comm, "bash");
	CHECK_STR(out.ev[1].proc.comm, "ls");
	CHECK_EQ(out.ev[2].kind, MM_EV_EXIT);
	CHECK_EQ(out.ev[2].pid, 101);
	teardown(&f);
}


/* ---- signals, execve paths, clone flags (issue 10) ---- */

/* The log line of the I-th emitted event. */
static const char *text_of(size_t i)
{
	static char line[MM_LOG_LINE];
	*mm_log_format(line, &out.ev[i]) = '\0';
	return line;
}

/* signal_generate: sig 8, errno 12, code 16, comm 20, pid 36, group 40,
 * result 44 (48 bytes); signal_deliver: sig 8, errno 12, code 16,
 * sa_handler 24, sa_flags 32 (40 bytes). */
static void sig_generate(struct fixture *f, int pid, int sig, int code, int target)
{
	uint8_t b[48] = { 0 };
	head(b, f, "signal", "signal_generate", pid);
	put(b, 8, 4, (uint32_t)sig);
	put(b, 16, 4, (uint32_t)code);
	put(b, 36, 4, (uint32_t)target);
	feed(f, b, sizeof(b));
}

static void sig_deliver(struct fixture *f, int pid, int sig, int code, uint64_t handler)
{
	uint8_t b[40] = { 0 };
	head(b, f, "signal", "signal_deliver", pid);
	put(b, 8, 4, (uint32_t)sig);
	put(b, 16, 4, (uint32_t)code);
	put(b, 24, 8, handler);
	feed(f, b, sizeof(b));
}

/* ftrace:print as record writes it to trace_marker: ip at 8, text at 16. */
static void note(struct fixture *f, const char *text)
{
	uint8_t b[128] = { 0 };
	head(b, f, "ftrace", "print", 999);
	snprintf((char *)b + 16, sizeof(b) - 16, "%s\n", text);
	feed(f, b, 16 + (int)strlen(text) + 2);
}

/* The access that raised SIGSEGV is its fault, marked; the kernel's own
 * generate event inside the fault is not a line of its own. */
TEST(segv_marks_its_fault)
{
	struct fixture f;
	setup(&f, false);
	fault(&f, 100, 0x1000, PF_W);
	sig_generate(&f, 100, 11, 1, 100);     /* SEGV_MAPERR, to itself */
	sig_deliver(&f, 100, 11, 1, 0);        /* SIG_DFL: it dies */
	finish(&f);
	CHECK_EQ(out.n, 2);
	CHECK_EQ(out.ev[0].kind, MM_EV_FAULT);
	CHECK_EQ(out.ev[0].fault.signo, 11);
	CHECK_EQ(out.ev[0].fault.si_code, 1);
	CHECK_EQ(out.ev[0].fault.class, MM_FAULT_OTHER);
	CHECK_EQ(out.ev[1].kind, MM_EV_SIGNAL);
	CHECK(out.ev[1].signal.deliver);
	CHECK(mm_signal_is_fatal(out.ev[1].signal.sig, out.ev[1].signal.handler));
	CHECK_STR(text_of(0), "100: SIGSEGV @1000 (W) at 401000 (SEGV_MAPERR)");
	CHECK_STR(text_of(1), "100: signal SIGSEGV -> killed (core)");
	teardown(&f);
}

/* A kill() by a watched task is its own line; a signal the task ignores
 * reached signal_deliver only through ptrace and is not shown. */
TEST(signals_sent_and_ignored)
{
	struct fixture f;
	setup(&f, false);
	sig_generate(&f, 100, 10, 0, 200);     /* SIGUSR1, SI_USER, to 200 */
	sig_deliver(&f, 100, 17, 1, 0);        /* SIGCHLD, default: ignore */
	sig_deliver(&f, 100, 10, 0, 1);        /* SIGUSR1, SIG_IGN */
	sig_deliver(&f, 100, 10, 0, 0x401234); /* SIGUSR1 to a handler */
	sig_deliver(&f, 100, 15, 0, 0);        /* SIGTERM, default */
	sig_generate(&f, 100, 14, 0x80, 100);  /* SIGALRM from a timer: SI_KERNEL */
	finish(&f);
	CHECK_EQ(out.n, 4);
	CHECK_STR(text_of(0), "100: send SIGUSR1 to 200");
	CHECK_STR(text_of(1), "100: signal SIGUSR1 -> handler 401234");
	CHECK_STR(text_of(2), "100: signal SIGTERM -> killed");
	CHECK_STR(text_of(3), "100: kernel sends SIGALRM to 100");
	teardown(&f);
}

/* record's note names the next execve of its task, failed or not; a
 * successful one without a note is named by sched_process_exec; the
 * rename an exec does is part of the exec. */
TEST(execve_paths)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t a[3] = { 0x7ffd1000, 0x7ffd2000, 0x7ffd3000 };
	note(&f, "memmon execve 101 /usr/local/bin/as");
	sys_enter(&f, 101, "execve", 3, a);
	sys_exit(&f, 101, "execve", -2);
	sys_enter(&f, 101, "execve", 3, a);     /* no note: only the address */
	sys_exit(&f, 101, "execve", -13);
	sys_enter(&f, 101, "execve", 3, a);
	rename_ev(&f, 101, "gcc", "as");
	exec_ev(&f, 101, "/usr/bin/as");
	sys_exit(&f, 101, "execve", 0);
	finish(&f);
	CHECK_EQ(out.n, 4);
	CHECK_STR(text_of(0), "101: execve(\"/usr/local/bin/as\") = -ENOENT");
	CHECK_STR(text_of(1), "101: execve(@7ffd1000) = -EACCES");
	CHECK_STR(text_of(2), "101: execve(\"/usr/bin/as\") = 0");
	CHECK_EQ(out.ev[3].kind, MM_EV_EXEC);
	teardown(&f);
}

/* Phase markers: a program's own trace_marker writes are markers of its
 * task (trailing newline dropped, escaped in the log, cut at the kept
 * length); record's notes are not; fsync and fdatasync keep their fd. */
TEST(phase_markers)
{
	struct fixture f;
	char long_text[300];
	const uint64_t fd[1] = { 3 };
	setup(&f, false);
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	uint8_t b[400] = { 0 };
	head(b, &f, "ftrace", "print", 100);
	snprintf((char *)b + 16, sizeof(b) - 16, "%s\n", long_text);
	note(&f, "memmon execve 101 /bin/true");
	sys_enter(&f, 100, "fsync", 1, fd);
	sys_exit(&f, 100, "fsync", 0);
	note(&f, "phase \"two\"\t");
	feed(&f, b, 16 + (int)sizeof(long_text) + 1);
	sys_enter(&f, 100, "fdatasync", 1, fd);
	sys_exit(&f, 100, "fdatasync", -9);
	finish(&f);
	CHECK_EQ(out.n, 4);
	CHECK_STR(text_of(0), "100: fsync(3) = 0");
	CHECK(mm_event_is_marker(&out.ev[0]));
	CHECK_EQ(out.ev[1].kind, MM_EV_MARKER);
	CHECK_EQ(out.ev[1].pid, 999);
	CHECK_STR(out.ev[1].marker.text, "phase \"two\"\t");
	CHECK_STR(text_of(1), "999: marker \"phase \\\"two\\\"\\x09\"");
	CHECK_EQ(out.ev[2].marker.len, MM_MARKER_TEXT - 1);
	CHECK(out.ev[2].marker.truncated);
	CHECK(strstr(text_of(2), "xxx\" (cut)"));
	CHECK_STR(text_of(3), "100: fdatasync(3) = -EBADF");
	teardown(&f);
}

/* clone3's flags are in user memory: task_newtask's are printed; a vfork
 * child is a process of its own that shares the parent's memory. */
TEST(clone3_flags_and_vfork)
{
	struct fixture f;
	setup(&f, false);
	const uint64_t a[2] = { 0x7ffd0000, 88 };
	sys_enter(&f, 100, "clone3", 2, a);
	newtask_ev(&f, 100, 103, 0x3d0f00);     /* pthread_create's flags */
	fork_ev(&f, 100, 103);
	sys_enter(&f, 100, "vfork", 0, NULL);
	fork_ev(&f, 100, 104);
	fault(&f, 104, 0x2000, PF_W);
	finish(&f);
	CHECK_EQ(out.n, 5);
	CHECK_STR(text_of(0), "100: clone3(VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|"
		  "CHILD_CLEARTID, 88) = 103");
	CHECK(out.ev[1].proc.is_thread);
	CHECK(!out.ev[3].proc.is_thread);
	CHECK(out.ev[3].proc.shares_mm);
	CHECK(out.ev[3].proc.vfork);
	CHECK_STR(text_of(3), "100: vfork child 104");
	CHECK_EQ(out.ev[4].tgid, 104);
	CHECK_EQ(out.ev[4].fault.class, MM_FAULT_ANON);   /* no fork partner: not cow */
	teardown(&f);
}

/* Random bytes under every decoded event's id, at every size up to 80:
 * nothing may be read past a record (ASan/valgrind builds check that) and
 * every record must be accounted for. */
TEST(random_records)
{
	static const char *const events[][2] = {
		{ "exceptions", "page_fault_user" }, { "kmem", "rss_stat" },
		{ "filemap", "mm_filemap_fault" }, { "filemap", "mm_filemap_map_pages" },
		{ "sched", "sched_process_fork" }, { "sched", "sched_process_exec" },
		{ "sched", "sched_process_exit" }, { "task", "task_rename" },
		{ "syscalls", "sys_enter_mmap" }, { "syscalls", "sys_exit_mmap" },
		{ "syscalls", "sys_enter_clone" }, { "syscalls", "sys_enter_exit_group" },
		{ "memmon_123", "anon" }, { "memmon_123", "wp" },
		{ "signal", "signal_generate" }, { "signal", "signal_deliver" },
		{ "ftrace", "print" }, { "syscalls", "sys_enter_execve" },
	};
	struct fixture f;
	setup(&f, true);
	srand(42);
	const int n = 200000;
	for (int i = 0; i < n; i++) {
		int size = rand() % 81;
		uint8_t *b = malloc(size ? size : 1);   /* exact size: ASan sees overreads */
		for (int j = 0; j < size; j++)
			b[j] = (uint8_t)rand();
		const char *const *e = events[rand() % (sizeof(events) / sizeof(events[0]))];
		if (size >= 2)
			put(b, 0, 2, (uint64_t)id_of(f.tep, e[0], e[1]));
		if (size >= 8)
			put(b, 4, 4, (uint32_t)(rand() % 8 + 100));   /* a few tasks */
		feed(&f, b, size);
		free(b);
	}
	finish(&f);
	const struct mm_decoder_counts *c = mm_decoder_counts(f.d);
	CHECK_EQ(c->records, n);
	CHECK(c->malformed > 0);
	uint64_t emitted = 0;
	for (int k = 0; k < MM_EV_NR; k++)
		emitted += c->by_kind[k];
	CHECK_EQ(emitted, out.n);
	teardown(&f);
}

/* libtraceevent's generic output, with memmon's print handlers. */
static const char *info(struct fixture *f, uint8_t *data, int size)
{
	static char buf[256];
	struct trace_seq seq;
	struct tep_record rec = { .data = data, .size = size };
	trace_seq_init(&seq);
	tep_print_event(f->tep, &seq, &rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&seq);
	snprintf(buf, sizeof(buf), "%s", seq.buffer);
	trace_seq_destroy(&seq);
	return buf;
}

TEST(print_handlers)
{
	struct fixture f;
	setup(&f, false);
	CHECK_EQ(mm_plugins_register_print(f.tep), 0);
	uint8_t b[64] = { 0 };
	head(b, &f, "exceptions", "page_fault_user", 100);
	put(b, 8, 8, 0x7f12b7d8f000);
	put(b, 16, 8, 0x401000);
	put(b, 24, 8, PF_W);
	CHECK_STR(info(&f, b, 32), "page fault @7f12b7d8f000 (W) ip 401000 not-present");
	memset(b, 0, sizeof(b));
	head(b, &f, "syscalls", "sys_enter_mmap", 100);
	put(b, 24, 8, 139264);
	put(b, 32, 8, 3);
	put(b, 40, 8, 0x22);
	put(b, 48, 8, (uint64_t)-1);
	CHECK_STR(info(&f, b, 64), "mmap(0, 139264, rw-, PRIVATE|ANON, fd -1)");
	head(b, &f, "syscalls", "sys_exit_mmap", 100);
	put(b, 16, 8, (uint64_t)-12);
	CHECK_STR(info(&f, b, 24), "-> -ENOMEM");
	head(b, &f, "syscalls", "sys_exit_munmap", 100);
	put(b, 16, 8, 0);
	CHECK_STR(info(&f, b, 24), "= 0");
	teardown(&f);
}

TEST(missing_events_listed)
{
	struct tep_handle *tep = tep_alloc();
	out.n = 0;
	struct mm_decoder *d = mm_decoder_new(tep, keep, NULL);
	CHECK(d);
	const char *m = mm_decoder_missing(d);
	CHECK(!strncmp(m, "exceptions:page_fault_user,exceptions:page_fault_kernel,kmem:rss_stat,", 70));
	CHECK(strstr(m, ",syscalls:read,"));
	CHECK(!strstr(m, "raw_syscalls"));      /* read when there, never asked for */
	CHECK(strstr(m, ",syscalls:mseal,"));
	CHECK(strstr(m, ",syscalls:mmap,"));
	CHECK(!strstr(m, "fsync"));
	mm_decoder_free(d);
	tep_free(tep);
}

/* ---- speed (MEMMON_BENCH=N) ---- */

/* report's sink: summary counts + the log line, to /dev/null */
struct pipeline {
	struct mm_log *log;
	struct mm_summary sum;
};

static void to_log(void *ctx, const struct mm_event *ev)
{
	struct pipeline *p = ctx;
	mm_summary_add(&p->sum, ev);
	mm_log_event(p->log, ev);
}

static void bench(void)
{
	const char *n_env = getenv("MEMMON_BENCH");
	if (!n_env)
		return;
	long n = atol(n_env);
	struct fixture f;
	struct pipeline pl = { .log = mm_log_new(open("/dev/null", O_WRONLY), 0) };
	setup(&f, false);
	mm_decoder_free(f.d);
	f.d = mm_decoder_new(f.tep, to_log, &pl);
	uint8_t b[32] = { 0 };
	head(b, &f, "exceptions", "page_fault_user", 100);
	put(b, 24, 8, PF_W);
	struct tep_record rec = { .data = b, .size = sizeof(b) };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		put(b, 8, 8, 0x7f0000000000ull + ((uint64_t)i << 12));
		rec.ts = 1000 + (uint64_t)i * 100;
		mm_decoder_feed(f.d, &rec);
	}
	mm_decoder_finish(f.d);
	int fd = pl.log->fd;
	mm_log_close(pl.log);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# decoder+log: %ld faults in %.3f s = %.2f M events/s (%" PRIu64 " emitted)\n",
	       n, s, n / s / 1e6, pl.sum.by_kind[MM_EV_FAULT]);
	teardown(&f);
}

int main(void)
{
	RUN(anon_write);
	RUN(file_read);
	RUN(cow_filemap_then_anon);
	RUN(cow_anon_up_file_down);
	RUN(swap_in);
	RUN(zero_page_read_is_anon);
	RUN(present_write_after_fork_is_cow);
	RUN(present_write_without_fork_is_other);
	RUN(other_task_rss_is_not_evidence);
	RUN(kernel_fault_in_read);
	RUN(kernel_fault_named_by_the_io_call_it_is_in);
	RUN(kernel_fault_on_kernel_address_dropped);
	RUN(kernel_fault_on_the_null_page_dropped);
	RUN(thp_fault_maps_512_pages);
	RUN(fault_around_window);
	RUN(zero_page_read_maps_nothing);
	RUN(syscall_carries_its_rss_change);
	RUN(new_mm_counts_from_zero);
	RUN(fork_event_carries_the_childs_counters);
	RUN(new_map_calls_decoded);
	RUN(syscall_names);
	RUN(kprobe_classes);
	RUN(kprobe_of_other_task_ignored);
	RUN(mmap_pairing);
	RUN(mmap_enomem);
	RUN(exit_group_without_exit);
	RUN(lost_exit_abandoned_by_next_entry);
	RUN(clone_thread_completed_by_fork_event);
	RUN(clone3_shares_the_mm);
	RUN(clone3_process_told_by_newtask);
	RUN(plain_fork_syscall);
	RUN(held_fault_keeps_its_place);
	RUN(hold_timeout);
	RUN(hold_limit);
	RUN(malformed_records_skipped);
	RUN(data_loc_outside_record);
	RUN(process_events);
	RUN(segv_marks_its_fault);
	RUN(signals_sent_and_ignored);
	RUN(execve_paths);
	RUN(clone3_flags_and_vfork);
	RUN(random_records);
	RUN(print_handlers);
	RUN(phase_markers);
	RUN(missing_events_listed);
	RUN(frames_tied_to_their_fault);
	RUN(frames_none_and_hostile);
	bench();
	return t_done();
}
