/*
 * tests/unit/test-resident.c - which pages the model holds resident, from
 * what the kernel's counters said each fault and syscall did
 * (report/model/resident.c): a THP fault's aligned 2 MiB, a fault-around
 * window in file pages, a large folio mapped beyond its window, the zero
 * page, MAP_POPULATE / mlock / MADV_POPULATE_WRITE ranges, MADV_FREE that
 * frees nothing, reclaim inside a fault and outside any, execve's
 * kernel-mode faults on the new program's map, /proc/PID/smaps parsing
 * and seeding, and the bounds a hostile trace meets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "report/model/addrspace.h"
#include "report/model/smapsfile.h"
#include "tests/unit/harness.h"

#define PG 4096ull
#define BASE 0x10000000ull               /* 2 MiB aligned */
#define ANON_PRIVATE 0x22
#define FILE_PRIVATE 0x02
#define POPULATE 0x8000

static struct mm_as *as;
static struct mm_as_proc *p;
static uint64_t now = 1000;

static void setup(void)
{
	mm_as_free(as);
	as = mm_as_new(PG, MM_AS_NO_CUTOFF);
	p = mm_as_proc_get(as, 7);
	now = 1000;
}

static void map(uint64_t addr, uint64_t pages, unsigned flags, uint64_t off)
{
	struct mm_region_event by = { now++, 7, MM_HOW_SYSCALL, MM_SYS_MMAP };
	if (mm_as_mmap(as, p, &by, addr, pages * PG, 3, flags, flags & 0x20 ? -1 : 3, off))
		FAILF("mmap %llx", (unsigned long long)addr);
}

/* A fault as the decoder emits it: rss_up/down already in pages. */
static void fault(uint64_t addr, int cls, int acc, int member, int32_t up, int32_t down)
{
	struct mm_event ev = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	ev.fault.addr = addr;
	ev.fault.class = (uint8_t)cls;
	ev.fault.access = (uint8_t)acc;
	ev.fault.sys = MM_SYSCALL_NONE;
	ev.fault.rss_up[member] = up;
	ev.fault.rss_down[member] = down;
	mm_as_event(as, &ev);
}

static struct mm_event syscall_ev(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
				  int64_t ret)
{
	struct mm_event ev = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_SYSCALL };
	ev.sys.nr = (uint8_t)nr;
	ev.sys.has_ret = true;
	ev.sys.ret = ret;
	ev.sys.exit_ts = now++;
	ev.sys.args[0] = a0, ev.sys.args[1] = a1, ev.sys.args[2] = a2, ev.sys.args[3] = a3;
	ev.sys.args[4] = (uint64_t)-1;
	return ev;
}

static uint64_t resident(uint64_t lo, uint64_t hi)
{
	return mm_as_resident_range(as, p, lo, hi);
}

TEST(thp_fault_places_its_aligned_2m)
{
	setup();
	map(BASE, 2048, ANON_PRIVATE, 0);                /* 8 MiB */
	fault(BASE + (2 << 20) + 0x1234, MM_FAULT_ANON, MM_ACCESS_W, MM_RSS_ANON, 512, 0);
	CHECK_EQ(resident(BASE, BASE + (8 << 20)), 512);
	CHECK_EQ(resident(BASE + (2 << 20), BASE + (4 << 20)), 512);
	CHECK_EQ(p->map[0]->dirty.count, 512);
	CHECK_EQ(mm_as_resident_pages(p), 512);
}

TEST(fault_around_window_is_in_file_pages)
{
	setup();
	map(BASE, 64, FILE_PRIVATE, 16 * PG);            /* file pages 16..79 */
	struct mm_event ev = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	ev.fault.addr = BASE + 20 * PG;                  /* file page 36 */
	ev.fault.class = MM_FAULT_FILE;
	ev.fault.rss_up[MM_RSS_FILE] = 16;
	ev.fault.around = true;
	ev.fault.around_first = 32;
	ev.fault.around_last = 47;
	mm_as_event(as, &ev);
	CHECK_EQ(resident(BASE + 16 * PG, BASE + 32 * PG), 16);
	CHECK_EQ(resident(BASE, BASE + 64 * PG), 16);
	CHECK_EQ(p->map[0]->dirty.count, 0);             /* read: nothing dirty */
}

/* fault-around maps only what is in the page cache: the model's guess of
 * which window pages came may hold the page that faults next; the kernel's
 * count of new pages is then all elsewhere, none of it lost */
TEST(fault_on_a_guessed_page_places_all_it_mapped)
{
	setup();
	map(BASE, 8, FILE_PRIVATE, 0);                   /* file pages 0..7 */
	struct mm_event ev = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	ev.fault.addr = BASE;
	ev.fault.class = MM_FAULT_FILE;
	ev.fault.rss_up[MM_RSS_FILE] = 3;                /* page 0 and 2 cached ones */
	ev.fault.around = true;
	ev.fault.around_first = 0;
	ev.fault.around_last = 7;
	mm_as_event(as, &ev);
	CHECK_EQ(resident(BASE, BASE + 8 * PG), 3);
	ev.ts = now++;
	ev.fault.addr = BASE + PG;                       /* guessed resident above */
	ev.fault.rss_up[MM_RSS_FILE] = 5;                /* the kernel: 5 new pages */
	ev.fault.around_first = 1;
	mm_as_event(as, &ev);
	CHECK_EQ(resident(BASE, BASE + 8 * PG), 8);
	CHECK_EQ(mm_as_resident_pages(p), 8);
	CHECK_EQ(p->pages_unplaced, 0);
	/* a cow of a resident file page: its anon page is the one it replaced */
	struct mm_event cow = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	cow.fault.addr = BASE + 2 * PG;
	cow.fault.class = MM_FAULT_COW;
	cow.fault.access = MM_ACCESS_W;
	cow.fault.rss_up[MM_RSS_ANON] = 1;
	cow.fault.rss_down[MM_RSS_FILE] = 1;
	mm_as_event(as, &cow);
	CHECK_EQ(mm_as_resident_pages(p), 8);
	CHECK_EQ(p->pages_unplaced, 0);
}

TEST(large_folio_mapped_beyond_its_window)
{
	setup();
	map(BASE, 64, FILE_PRIVATE, 16 * PG);
	struct mm_event ev = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	ev.fault.addr = BASE + 20 * PG;
	ev.fault.class = MM_FAULT_FILE;
	ev.fault.rss_up[MM_RSS_FILE] = 64;               /* a 64-page folio */
	ev.fault.around = true;
	ev.fault.around_first = 32;
	ev.fault.around_last = 47;
	mm_as_event(as, &ev);
	/* the folio is file pages 0..63: here 16..63, region pages 0..47;
	 * the other 16 go nearest the fault, after the block */
	CHECK_EQ(resident(BASE, BASE + 48 * PG), 48);
	CHECK_EQ(resident(BASE, BASE + 64 * PG), 64);
	CHECK_EQ(p->pages_unplaced, 0);
}

TEST(zero_page_read_is_not_resident)
{
	setup();
	map(BASE, 16, ANON_PRIVATE, 0);
	fault(BASE, MM_FAULT_ANON, MM_ACCESS_W, MM_RSS_ANON, 1, 0);
	fault(BASE + PG, MM_FAULT_ANON, MM_ACCESS_R, MM_RSS_ANON, 0, 0);
	CHECK_EQ(resident(BASE, BASE + 16 * PG), 1);
	CHECK_EQ(p->map[0]->touched.count, 2);           /* both were touched */
}

TEST(populate_mlock_and_madvise_place_their_range)
{
	setup();
	struct mm_event ev = syscall_ev(MM_SYS_MMAP, 0, 64 * PG, 3, ANON_PRIVATE | POPULATE,
					(int64_t)BASE);
	ev.sys.rss[MM_RSS_ANON] = 64;
	mm_as_event(as, &ev);
	CHECK_EQ(resident(BASE, BASE + 64 * PG), 64);
	CHECK_EQ(p->pages_populated, 64);
	/* mlock of a region with 8 pages already in: the other 24 */
	map(BASE + (1 << 20), 32, ANON_PRIVATE, 0);
	for (int i = 0; i < 8; i++)
		fault(BASE + (1 << 20) + 3 * i * PG, MM_FAULT_ANON, MM_ACCESS_W, MM_RSS_ANON, 1, 0);
	ev = syscall_ev(MM_SYS_MLOCK, BASE + (1 << 20), 32 * PG, 0, 0, 0);
	ev.sys.rss[MM_RSS_ANON] = 24;
	mm_as_event(as, &ev);
	CHECK_EQ(resident(BASE + (1 << 20), BASE + (1 << 20) + 32 * PG), 32);
	/* MADV_POPULATE_WRITE: resident and dirty */
	map(BASE + (2 << 20), 16, ANON_PRIVATE, 0);
	ev = syscall_ev(MM_SYS_MADVISE, BASE + (2 << 20), 16 * PG, 23, 0, 0);
	ev.sys.rss[MM_RSS_ANON] = 16;
	mm_as_event(as, &ev);
	struct mm_region *r = mm_as_lookup(p, BASE + (2 << 20));
	CHECK(r != NULL);
	CHECK_EQ(r->resident.count, 16);
	CHECK_EQ(r->dirty.count, 16);
	CHECK_EQ(p->pages_populated, 64 + 24 + 16);
}

TEST(madv_free_keeps_pages_dontneed_drops_them)
{
	setup();
	map(BASE, 16, ANON_PRIVATE, 0);
	for (int i = 0; i < 16; i++)
		fault(BASE + i * PG, MM_FAULT_ANON, MM_ACCESS_W, MM_RSS_ANON, 1, 0);
	struct mm_event ev = syscall_ev(MM_SYS_MADVISE, BASE, 16 * PG, 8, 0, 0);   /* FREE */
	mm_as_event(as, &ev);
	CHECK_EQ(resident(BASE, BASE + 16 * PG), 16);     /* lazy: nothing left */
	ev = syscall_ev(MM_SYS_MADVISE, BASE, 8 * PG, 4, 0, 0);                 /* DONTNEED */
	ev.sys.rss[MM_RSS_ANON] = -8;
	mm_as_event(as, &ev);
	CHECK_EQ(resident(BASE, BASE + 16 * PG), 8);
	CHECK_EQ(resident(BASE, BASE + 8 * PG), 0);
}

TEST(reclaim_in_a_fault_and_outside_any)
{
	setup();
	map(BASE, 64, FILE_PRIVATE, 0);
	for (int i = 0; i < 32; i++)
		fault(BASE + i * PG, MM_FAULT_FILE, MM_ACCESS_R, MM_RSS_FILE, 1, 0);
	/* a fault that needed room: its page in, 8 others out */
	fault(BASE + 40 * PG, MM_FAULT_FILE, MM_ACCESS_R, MM_RSS_FILE, 1, 8);
	CHECK_EQ(resident(BASE, BASE + 64 * PG), 32 + 1 - 8);
	CHECK_EQ(p->pages_reclaimed, 8);
	/* the kernel's own change, in no fault or syscall */
	struct mm_event ev = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_RSS };
	ev.rss.curr = true;
	ev.rss.member = MM_RSS_FILE;
	ev.rss.during = MM_DURING_NONE;
	ev.rss.delta = -4 * (int64_t)PG;
	ev.rss.bytes = 21 * PG;
	mm_as_event(as, &ev);
	CHECK_EQ(resident(BASE, BASE + 64 * PG), 21);
	CHECK_EQ(p->pages_reclaimed, 12);
	CHECK_EQ(mm_as_resident_pages(p), 21);
	CHECK(p->have_rss);
	CHECK_EQ(p->rss_bytes[MM_RSS_FILE], 21 * PG);
	/* a cow's fall of FILEPAGES is the page it replaced, not reclaim */
	fault(BASE + 50 * PG, MM_FAULT_COW, MM_ACCESS_W, MM_RSS_FILE, 0, 1);
	CHECK_EQ(p->pages_reclaimed, 12);
}

static const char exec_maps[] =
	"555555554000-555555556000 r--p 00000000 08:01 42 /bin/prog\n"
	"555555556000-555555558000 rw-p 00002000 08:01 42 /bin/prog\n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n";

TEST(execve_kernel_faults_land_on_the_new_map)
{
	setup();
	mm_as_add_snapshot(as, 7, MM_PHASE_EXEC, 2500, exec_maps);
	now = 2000;
	struct mm_event ev = syscall_ev(MM_SYS_EXECVE, 0x1000, 0, 0, 0, 0);
	ev.sys.exit_ts = 2600;
	mm_as_event(as, &ev);
	struct mm_event k = { .ts = 2100, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	k.fault.addr = 0x555555556040;               /* the bss, cleared by the kernel */
	k.fault.class = MM_FAULT_COW;
	k.fault.access = MM_ACCESS_W;
	k.fault.kernel = true;
	k.fault.sys = 59;
	k.fault.rss_up[MM_RSS_ANON] = 1;
	mm_as_event(as, &k);
	struct mm_event x = { .ts = 2200, .pid = 7, .tgid = 7, .kind = MM_EV_EXEC };
	snprintf(x.proc.path, sizeof(x.proc.path), "/bin/prog");
	mm_as_event(as, &x);
	struct mm_event u = { .ts = 2700, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	u.fault.addr = 0x555555554000;
	u.fault.class = MM_FAULT_FILE;
	u.fault.rss_up[MM_RSS_FILE] = 1;
	mm_as_event(as, &u);
	mm_as_finish(as);
	struct mm_region *bss = mm_as_lookup(p, 0x555555556040);
	CHECK(bss != NULL);
	CHECK_EQ(bss->nr_faults, 1);
	CHECK_EQ(bss->kernel_faults, 1);
	CHECK_EQ(bss->resident.count, 1);
	CHECK_EQ(p->nr_unknown, 0);
	CHECK_EQ(p->kernel_faults, 1);
	CHECK_EQ(p->nr_kfaults, 1);
	CHECK_EQ(p->kfaults[0].sys, 59);
	CHECK_STR(p->kfaults[0].label, "/bin/prog");
}

TEST(fork_copies_only_what_the_kernel_copies)
{
	setup();
	map(BASE, 16, ANON_PRIVATE, 0);
	map(BASE + (1 << 20), 16, FILE_PRIVATE, 0);
	for (int i = 0; i < 8; i++)
		fault(BASE + i * PG, MM_FAULT_ANON, MM_ACCESS_W, MM_RSS_ANON, 1, 0);
	for (int i = 0; i < 4; i++)
		fault(BASE + (1 << 20) + i * PG, MM_FAULT_FILE, MM_ACCESS_R, MM_RSS_FILE, 1, 0);
	struct mm_event f = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_FORK };
	f.proc.child_pid = 8;
	f.proc.have_child_rss = true;
	f.proc.child_rss[MM_RSS_ANON] = 8 * PG;      /* what copy_mm counted */
	mm_as_event(as, &f);
	struct mm_as_proc *c = mm_as_proc_find(as, 8);
	CHECK(c != NULL);
	/* the anon pages are the child's too; the file pages only read are not */
	CHECK_EQ(mm_as_resident_range(as, c, BASE, BASE + 16 * PG), 8);
	CHECK_EQ(mm_as_resident_range(as, c, BASE + (1 << 20), BASE + (1 << 20) + 16 * PG), 0);
	CHECK_EQ(mm_as_resident_pages(c), 8);
	CHECK(c->have_rss);
	CHECK_EQ(c->rss_bytes[MM_RSS_ANON], 8 * PG);
	CHECK_EQ(mm_as_resident_pages(p), 12);
}

static const char smaps_text[] =
	"555555554000-555555556000 r--p 00000000 08:01 42                         /bin/prog\n"
	"Size:                  8 kB\n"
	"Rss:                   8 kB\n"
	"Pss:                   4 kB\n"
	"Shared_Clean:          8 kB\n"
	"Private_Dirty:         0 kB\n"
	"Swap:                  0 kB\n"
	"VmFlags: rd mr mw me dw sd\n"
	"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
	"Rss:                  12 kB\n"
	"Private_Dirty:        12 kB\n"
	"AnonHugePages:         0 kB\n"
	"Swap:                  4 kB\n"
	"Locked:                0 kB\n";

TEST(smaps_parsed_and_seeds_what_was_resident)
{
	struct mm_smaps s;
	CHECK_EQ(mm_smaps_parse(smaps_text, strlen(smaps_text), &s), 0);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.e[0].map.start, 0x555555554000);
	CHECK_STR(s.e[0].map.name, "/bin/prog");
	CHECK_EQ(s.e[0].kb[MM_SMAPS_RSS], 8);
	CHECK_EQ(s.e[0].kb[MM_SMAPS_PSS], 4);
	CHECK_EQ(s.e[0].kb[MM_SMAPS_SHARED_CLEAN], 8);
	CHECK_STR(s.e[1].map.name, "[stack]");
	CHECK_EQ(s.e[1].kb[MM_SMAPS_SWAP], 4);
	CHECK_EQ(mm_smaps_dirty_kb(&s.e[1]), 12);
	mm_smaps_free(&s);
	CHECK(mm_smaps_parse("5555-4444 zz\nRss: 4 kB\n", 23, &s) < 0);
	/* an EXEC smaps after its maps: the stack's 3 pages, at its top */
	setup();
	mm_as_add_snapshot(as, 7, MM_PHASE_EXEC, 10, exec_maps);
	mm_as_add_snapshot_kind(as, 7, MM_SNAP_SMAPS, MM_PHASE_EXEC, 10, smaps_text);
	struct mm_event ev = { .ts = 20, .pid = 7, .tgid = 7, .kind = MM_EV_EXIT };
	mm_as_event(as, &ev);
	mm_as_finish(as);
	CHECK_EQ(resident(0x555555554000, 0x555555556000), 2);
	CHECK_EQ(resident(0x7ffffffde000, 0x7ffffffff000), 3);
	CHECK_EQ(resident(0x7fffffffc000, 0x7ffffffff000), 3);
}

TEST(hostile_counts_stay_bounded)
{
	setup();
	map(BASE, 1ull << 30, ANON_PRIVATE, 0);          /* 4 TiB */
	/* each claims 2^31 pages: the model places at most 2^26 in all and
	 * counts the rest, in the process's total */
	for (int i = 0; i < 8; i++)
		fault(BASE + (uint64_t)i * (1ull << 32), MM_FAULT_ANON, MM_ACCESS_W, MM_RSS_ANON,
		      INT32_MAX, 0);
	CHECK(p->map[0]->resident.count <= (1ull << 26) + 8);   /* + each fault's own page */
	uint64_t total = mm_as_resident_pages(p);       /* less a page where the
							 * first one's guess held the next's */
	CHECK(total <= 8 * (uint64_t)INT32_MAX && total >= 8 * (uint64_t)INT32_MAX - 8);
	/* and as many reclaimed: nothing left */
	for (int i = 0; i < 8; i++)
		fault(BASE + (uint64_t)i * (1ull << 32), MM_FAULT_ANON, MM_ACCESS_R, MM_RSS_ANON,
		      0, INT32_MAX);
	CHECK_EQ(mm_as_resident_pages(p), 0);
	struct mm_event ev = { .ts = now++, .pid = 7, .tgid = 7, .kind = MM_EV_RSS };
	ev.rss.curr = true;
	ev.rss.member = MM_RSS_ANON;
	ev.rss.delta = INT64_MIN;
	mm_as_event(as, &ev);
	ev.rss.delta = INT64_MAX;
	mm_as_event(as, &ev);
	mm_as_finish(as);
	CHECK(p->pages_unplaced > INT64_MIN && p->pages_unplaced < INT64_MAX);
}

int main(void)
{
	RUN(thp_fault_places_its_aligned_2m);
	RUN(fault_around_window_is_in_file_pages);
	RUN(fault_on_a_guessed_page_places_all_it_mapped);
	RUN(large_folio_mapped_beyond_its_window);
	RUN(zero_page_read_is_not_resident);
	RUN(populate_mlock_and_madvise_place_their_range);
	RUN(madv_free_keeps_pages_dontneed_drops_them);
	RUN(reclaim_in_a_fault_and_outside_any);
	RUN(execve_kernel_faults_land_on_the_new_map);
	RUN(fork_copies_only_what_the_kernel_copies);
	RUN(smaps_parsed_and_seeds_what_was_resident);
	RUN(hostile_counts_stay_bounded);
	mm_as_free(as);
	return t_failed_total ? 1 : 0;
}
