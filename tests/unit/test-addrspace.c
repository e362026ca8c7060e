/*
 * tests/unit/test-addrspace.c - the address-space model against exact
 * facts: ranges after munmap/mprotect/mremap/brk, lineage, merging back,
 * fault attribution, page sets that stay small, access patterns, the event
 * path (syscalls, fork, exec, snapshots) and the END maps check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "report/model/addrspace.h"
#include "tests/unit/harness.h"

#define PG 4096ull
#define BASE 0x10000000ull
#define MAP_PRIVATE_ANON 0x22   /* MAP_PRIVATE | MAP_ANONYMOUS */
#define MAP_PRIVATE_FILE 0x02
#define MAP_FIXED_ 0x10

static const struct mm_region_event by_mmap = { 1000, 7, MM_HOW_SYSCALL, MM_SYS_MMAP };
static const struct mm_region_event by_munmap = { 2000, 7, MM_HOW_SYSCALL, MM_SYS_MUNMAP };
static const struct mm_region_event by_mprotect = { 3000, 7, MM_HOW_SYSCALL, MM_SYS_MPROTECT };

static struct mm_as *as;
static struct mm_as_proc *p;

static void setup(void)
{
	mm_as_free(as);
	as = mm_as_new(PG, MM_AS_NO_CUTOFF);
	p = mm_as_proc_get(as, 7);
}

static struct mm_event fault_ev(uint64_t addr, int cls, int acc)
{
	struct mm_event ev = { .ts = 5000, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	ev.fault.addr = addr;
	ev.fault.class = (uint8_t)cls;
	ev.fault.access = (uint8_t)acc;
	return ev;
}

static void touch(uint64_t addr, int acc)
{
	struct mm_event ev = fault_ev(addr, MM_FAULT_ANON, acc);
	mm_as_fault(as, p, &ev);
}

#define CHECK_REGION_OF(q, i, s, e) do { CHECK((i) < (q)->nr_map); \
	CHECK_EQ((q)->map[i]->start, (s)); CHECK_EQ((q)->map[i]->end, (e)); } while (0)
#define CHECK_REGION(i, s, e) do { CHECK((i) < p->nr_map); \
	CHECK_EQ(p->map[i]->start, (s)); CHECK_EQ(p->map[i]->end, (e)); } while (0)

TEST(munmap_hole_splits_in_two)
{
	setup();
	CHECK_EQ(mm_as_mmap(as, p, &by_mmap, BASE, 10 * PG, 3, MAP_PRIVATE_ANON, -1, 0), 0);
	CHECK_EQ(p->nr_map, 1);
	uint32_t id = p->map[0]->id;
	CHECK_EQ(mm_as_munmap(as, p, &by_munmap, BASE + 3 * PG, 2 * PG), 0);
	CHECK_EQ(p->nr_map, 2);
	CHECK_REGION(0, BASE, BASE + 3 * PG);
	CHECK_REGION(1, BASE + 5 * PG, BASE + 10 * PG);
	/* the original is history, ended by the munmap; the pieces know it */
	CHECK_EQ(p->nr_dead, 1);
	CHECK_EQ(p->dead[0]->id, id);
	CHECK_EQ(p->dead[0]->ended.sys, MM_SYS_MUNMAP);
	CHECK_EQ(p->dead[0]->ended.ts, 2000);
	CHECK_EQ(p->map[0]->parent_id, id);
	CHECK_EQ(p->map[1]->origin_id, id);
	CHECK_EQ(p->map[1]->origin.sys, MM_SYS_MMAP);
	CHECK_EQ(p->map[1]->created.sys, MM_SYS_MUNMAP);
	CHECK_STR(mm_region_how_name(&p->map[1]->origin), "mmap");
}

TEST(munmap_across_regions_and_edges)
{
	setup();
	mm_as_mmap(as, p, &by_mmap, BASE, 4 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	mm_as_mmap(as, p, &by_mmap, BASE + 4 * PG, 4 * PG, 1, MAP_PRIVATE_ANON, -1, 0);
	/* length rounds up to a page: 1 byte past page 2 takes pages 2..5 */
	mm_as_munmap(as, p, &by_munmap, BASE + 2 * PG, 3 * PG + 1);
	CHECK_EQ(p->nr_map, 2);
	CHECK_REGION(0, BASE, BASE + 2 * PG);
	CHECK_REGION(1, BASE + 6 * PG, BASE + 8 * PG);
	CHECK_EQ(p->map[1]->prot, 1);
	/* unaligned address: refused, nothing changes */
	CHECK_EQ(mm_as_munmap(as, p, &by_munmap, BASE + 1, PG), -1);
	CHECK_EQ(p->nr_map, 2);
}

TEST(mprotect_middle_splits_in_three_and_merges_back)
{
	setup();
	mm_as_mmap(as, p, &by_mmap, BASE, 10 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	touch(BASE + 4 * PG, MM_ACCESS_W);
	CHECK_EQ(mm_as_mprotect(as, p, &by_mprotect, BASE + 3 * PG, 2 * PG, 0), 0);
	CHECK_EQ(p->nr_map, 3);
	CHECK_REGION(0, BASE, BASE + 3 * PG);
	CHECK_REGION(1, BASE + 3 * PG, BASE + 5 * PG);
	CHECK_REGION(2, BASE + 5 * PG, BASE + 10 * PG);
	CHECK_EQ(p->map[0]->prot, 3);
	CHECK_EQ(p->map[1]->prot, 0);
	CHECK_EQ(p->map[2]->prot, 3);
	/* the resident page went with its piece; the fault stays with the row
	 * that took it */
	CHECK_EQ(p->map[1]->resident.count, 1);
	CHECK_EQ(p->map[1]->nr_faults, 0);
	CHECK_EQ(p->dead[0]->nr_faults, 1);
	CHECK_EQ(p->dead[0]->nr_touched, 1);
	/* protecting back re-merges the pieces of the one mapping */
	mm_as_mprotect(as, p, &by_mprotect, BASE + 3 * PG, 2 * PG, 3);
	CHECK_EQ(p->nr_map, 1);
	CHECK_REGION(0, BASE, BASE + 10 * PG);
	CHECK_EQ(p->map[0]->resident.count, 1);
	/* mprotect of a whole region changes it in place */
	uint32_t id = p->map[0]->id;
	mm_as_mprotect(as, p, &by_mprotect, BASE, 10 * PG, 1);
	CHECK_EQ(p->nr_map, 1);
	CHECK_EQ(p->map[0]->id, id);
	CHECK_EQ(p->map[0]->prot, 1);
}

TEST(distinct_mmaps_do_not_merge)
{
	setup();
	mm_as_mmap(as, p, &by_mmap, BASE, 2 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	mm_as_mmap(as, p, &by_mmap, BASE + 2 * PG, 2 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	mm_as_mprotect(as, p, &by_mprotect, BASE, 4 * PG, 3);
	CHECK_EQ(p->nr_map, 2);
}

TEST(mmap_fixed_over_file_keeps_offsets)
{
	setup();
	mm_as_mmap(as, p, &by_mmap, BASE, 8 * PG, 5, MAP_PRIVATE_FILE, 3, 0x2000);
	CHECK_EQ(p->map[0]->backing, MM_BACK_FILE);
	CHECK_STR(mm_region_label(p->map[0]), "fd 3");
	mm_as_mmap(as, p, &by_mmap, BASE + 2 * PG, 2 * PG, 3, MAP_PRIVATE_ANON | MAP_FIXED_, -1, 0);
	CHECK_EQ(p->nr_map, 3);
	CHECK_REGION(0, BASE, BASE + 2 * PG);
	CHECK_REGION(1, BASE + 2 * PG, BASE + 4 * PG);
	CHECK_REGION(2, BASE + 4 * PG, BASE + 8 * PG);
	CHECK_EQ(p->map[0]->offset, 0x2000);
	CHECK_EQ(p->map[2]->offset, 0x2000 + 4 * PG);
	CHECK_EQ(p->map[1]->backing, MM_BACK_ANON);
	CHECK_EQ(p->map[1]->offset, 0);
}

TEST(brk_growth_extends_heap)
{
	struct mm_region_event b = { 100, 7, MM_HOW_SYSCALL, MM_SYS_BRK };
	setup();
	CHECK_EQ(mm_as_brk(as, p, &b, 0x5000000), 0);     /* brk(0): learn */
	CHECK_EQ(p->nr_map, 0);
	mm_as_brk(as, p, &b, 0x5021000);
	CHECK_EQ(p->nr_map, 1);
	CHECK_REGION(0, 0x5000000, 0x5021000);
	CHECK_EQ(p->map[0]->backing, MM_BACK_HEAP);
	CHECK_STR(mm_region_label(p->map[0]), "[heap]");
	uint32_t id = p->map[0]->id;
	mm_as_brk(as, p, &b, 0x5042010);                  /* rounds up */
	CHECK_EQ(p->nr_map, 1);
	CHECK_EQ(p->map[0]->id, id);
	CHECK_REGION(0, 0x5000000, 0x5043000);
	/* trim: shrinks in place, pages above the break are gone */
	touch(0x5042000, MM_ACCESS_W);
	mm_as_brk(as, p, &b, 0x5030000);
	CHECK_EQ(p->map[0]->id, id);
	CHECK_REGION(0, 0x5000000, 0x5030000);
	CHECK_EQ(p->map[0]->resident.count, 0);
	/* trim to the start: the heap is gone */
	mm_as_brk(as, p, &b, 0x5000000);
	CHECK_EQ(p->nr_map, 0);
	CHECK_EQ(p->nr_dead, 1);
}

TEST(mremap_grow_in_place_and_move)
{
	struct mm_region_event m = { 100, 7, MM_HOW_SYSCALL, MM_SYS_MREMAP };
	setup();
	mm_as_mmap(as, p, &by_mmap, BASE, 4 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	uint32_t id = p->map[0]->id;
	CHECK_EQ(mm_as_mremap(as, p, &m, BASE, 4 * PG, 8 * PG, 1, BASE), 0);
	CHECK_EQ(p->nr_map, 1);
	CHECK_EQ(p->map[0]->id, id);
	CHECK_REGION(0, BASE, BASE + 8 * PG);
	touch(BASE + PG, MM_ACCESS_W);
	touch(BASE + 7 * PG, MM_ACCESS_W);
	/* move to a non-64-page-aligned place and grow */
	uint64_t to = 0x20003000;
	CHECK_EQ(mm_as_mremap(as, p, &m, BASE, 8 * PG, 16 * PG, 1, to), 0);
	CHECK_EQ(p->nr_map, 1);
	CHECK_REGION(0, to, to + 16 * PG);
	CHECK_EQ(p->map[0]->parent_id, id);
	CHECK_EQ(p->map[0]->resident.count, 2);
	CHECK(mm_pageset_has(&p->map[0]->resident, (to + PG) / PG));
	CHECK(mm_pageset_has(&p->map[0]->resident, (to + 7 * PG) / PG));
	CHECK(mm_as_lookup(p, BASE) == NULL);
	/* shrink in place */
	mm_as_mremap(as, p, &m, to, 16 * PG, 4 * PG, 0, to);
	CHECK_REGION(0, to, to + 4 * PG);
	CHECK_EQ(p->map[0]->resident.count, 1);
}

TEST(faults_attributed_or_unknown)
{
	setup();
	mm_as_mmap(as, p, &by_mmap, BASE, 4 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	mm_as_mmap(as, p, &by_mmap, BASE + 8 * PG, 4 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	struct mm_event ev = fault_ev(BASE + 9 * PG + 12, MM_FAULT_ANON, MM_ACCESS_W);
	CHECK(mm_as_fault(as, p, &ev) == p->map[1]);
	ev = fault_ev(BASE + 9 * PG + 100, MM_FAULT_COW, MM_ACCESS_W);
	mm_as_fault(as, p, &ev);
	ev = fault_ev(BASE + 5 * PG, MM_FAULT_FILE, MM_ACCESS_R);
	CHECK(mm_as_fault(as, p, &ev) == NULL);
	CHECK_EQ(p->map[1]->faults[MM_FAULT_ANON][MM_ACCESS_W], 1);
	CHECK_EQ(p->map[1]->faults[MM_FAULT_COW][MM_ACCESS_W], 1);
	CHECK_EQ(p->map[1]->nr_faults, 2);
	CHECK_EQ(p->map[1]->nr_touched, 1);
	CHECK_EQ(p->map[0]->nr_faults, 0);
	CHECK_EQ(p->nr_unknown, 1);
	CHECK_EQ(p->unknown_faults[MM_FAULT_FILE][MM_ACCESS_R], 1);
	CHECK_EQ(p->unknown_first_addr, BASE + 5 * PG);
	/* a later one lower, one higher: the range is by address, first and
	 * last by time (a range of first-last printed backwards) */
	ev = fault_ev(BASE + 4 * PG + 8, MM_FAULT_ANON, MM_ACCESS_R);
	CHECK(mm_as_fault(as, p, &ev) == NULL);
	ev = fault_ev(BASE + 7 * PG, MM_FAULT_ANON, MM_ACCESS_W);
	CHECK(mm_as_fault(as, p, &ev) == NULL);
	CHECK_EQ(p->nr_unknown, 3);
	CHECK_EQ(p->unknown_first_addr, BASE + 5 * PG);
	CHECK_EQ(p->unknown_last_addr, BASE + 7 * PG);
	CHECK_EQ(p->unknown_low_addr, BASE + 4 * PG + 8);
	CHECK_EQ(p->unknown_high_addr, BASE + 7 * PG);
}

TEST(stack_grows_on_fault_below)
{
	setup();
	const char *maps =
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n";
	struct mm_region_event e = { 1, 0, MM_HOW_EXEC, 0 };
	CHECK_EQ(mm_as_load_maps(as, p, maps, &e), 0);
	struct mm_event ev = fault_ev(0x7ffcffffe008, MM_FAULT_ANON, MM_ACCESS_W);
	CHECK(mm_as_fault(as, p, &ev) == p->map[0]);
	CHECK_REGION(0, 0x7ffcffffe000, 0x7ffd00021000);
	CHECK_EQ(p->nr_unknown, 0);
}

/* map_bytes (the timeline's VSZ) is kept as the map changes, not summed:
 * after every kind of change it must be the sum of the regions. */
#define CHECK_BYTES(q) do { uint64_t sum_ = 0; \
	for (size_t k_ = 0; k_ < (q)->nr_map; k_++) sum_ += mm_region_size((q)->map[k_]); \
	CHECK_EQ((q)->map_bytes, sum_); } while (0)

TEST(map_bytes_follow_every_change)
{
	struct mm_region_event b = { 100, 7, MM_HOW_SYSCALL, MM_SYS_BRK };
	struct mm_region_event m = { 100, 7, MM_HOW_SYSCALL, MM_SYS_MREMAP };
	struct mm_region_event x = { 1, 0, MM_HOW_EXEC, 0 };
	setup();
	CHECK_EQ(p->map_bytes, 0);
	CHECK_EQ(mm_as_load_maps(as, p, "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0"
				 "                          [stack]\n", &x), 0);
	CHECK_BYTES(p);
	struct mm_event ev = fault_ev(0x7ffcffffe008, MM_FAULT_ANON, MM_ACCESS_W);
	mm_as_fault(as, p, &ev);                        /* the stack grows down */
	CHECK_BYTES(p);
	CHECK_EQ(p->map_bytes, 0x23000);
	mm_as_mmap(as, p, &by_mmap, BASE, 10 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	mm_as_munmap(as, p, &by_munmap, BASE + 2 * PG, 2 * PG);            /* hole */
	CHECK_BYTES(p);
	mm_as_mprotect(as, p, &by_mprotect, BASE + 5 * PG, 2 * PG, 1);    /* split */
	CHECK_BYTES(p);
	mm_as_mprotect(as, p, &by_mprotect, BASE + 5 * PG, 2 * PG, 3);    /* merge */
	CHECK_BYTES(p);
	mm_as_mremap(as, p, &m, BASE + 4 * PG, 6 * PG, 12 * PG, 1, BASE + 4 * PG);
	CHECK_BYTES(p);                                 /* grown in place */
	mm_as_mremap(as, p, &m, BASE + 4 * PG, 12 * PG, 3 * PG, 0, BASE + 4 * PG);
	CHECK_BYTES(p);                                 /* shrunk in place */
	mm_as_mremap(as, p, &m, BASE, 2 * PG, 5 * PG, 1, 0x20003000);
	CHECK_BYTES(p);                                 /* moved */
	mm_as_brk(as, p, &b, 0x5000000);
	mm_as_brk(as, p, &b, 0x5021000);
	mm_as_brk(as, p, &b, 0x5042010);
	CHECK_BYTES(p);
	mm_as_brk(as, p, &b, 0x5030000);
	CHECK_BYTES(p);
	mm_as_brk(as, p, &b, 0x5000000);
	CHECK_BYTES(p);
	uint64_t before = p->map_bytes;
	mm_as_fork(as, p, 8, &b);
	struct mm_as_proc *c = mm_as_proc_find(as, 8);
	CHECK_EQ(c->map_bytes, before);
	mm_as_exec(as, c, &x);
	CHECK_EQ(c->map_bytes, 0);
	mm_as_exit(as, p, 200);                         /* the final map stays */
	CHECK_EQ(p->map_bytes, before);
}

TEST(pageset_stays_small_for_huge_sparse_mappings)
{
	struct mm_pageset s = { 0 };
	uint64_t first = (2ull << 30) / PG;     /* a 2 GiB mapping's pages */
	CHECK(mm_pageset_add(&s, first));
	CHECK(!mm_pageset_add(&s, first));
	CHECK(mm_pageset_add(&s, first + 100000));
	CHECK(mm_pageset_add(&s, first + 300000));
	CHECK(mm_pageset_add(&s, first + 524287));
	CHECK_EQ(s.count, 4);
	CHECK(s.n <= 4);                        /* 16 bytes a block */
	CHECK_EQ(mm_pageset_count_range(&s, first, first + 300001), 3);
	CHECK_EQ(mm_pageset_remove(&s, first + 1, first + 300001), 2);
	CHECK_EQ(s.count, 2);
	CHECK_EQ(s.n, 2);
	/* dense: 1000 consecutive pages in 16 blocks */
	for (uint64_t i = 0; i < 1000; i++)
		mm_pageset_add(&s, 64 * 1000 + i);
	CHECK_EQ(s.count, 1002);
	CHECK_EQ(s.n, 2 + 16);
	/* move by an unaligned delta */
	struct mm_pageset d = { 0 };
	mm_pageset_move(&d, &s, 64000, 65000, 3);
	CHECK_EQ(d.count, 1000);
	CHECK_EQ(s.count, 2);
	CHECK(mm_pageset_has(&d, 64003));
	CHECK(mm_pageset_has(&d, 65002));
	CHECK(!mm_pageset_has(&d, 64002));
	mm_pageset_free(&s);
	mm_pageset_free(&d);
}

/* fill: the lowest pages the set lacks, across full and absent blocks,
 * within its block bound; the same pages a page-by-page fill picks */
TEST(pageset_fill_takes_lowest_missing_pages)
{
	struct mm_pageset s = { 0 }, ref = { 0 };
	uint64_t lo = 64 * 100 + 5;
	struct mm_pageset *both[] = { &s, &ref };
	for (int k = 0; k < 2; k++) {
		for (uint64_t v = lo; v < lo + 64 * 8; v++)     /* 8 blocks, 6 holes */
			if (v % 97 != 3)
				mm_pageset_add(both[k], v);
		mm_pageset_add(both[k], lo + 64 * 20);  /* one page further on */
	}
	uint64_t holes = 64 * 8 - mm_pageset_count_range(&s, lo, lo + 64 * 8);
	uint64_t want = holes + 70;             /* every hole, then 70 beyond */
	CHECK_EQ(mm_pageset_fill(&s, lo, lo + 64 * 40, want, 1000), want);
	uint64_t got = 0;
	for (uint64_t v = lo; v < lo + 64 * 40 && got < want; v++)
		if (mm_pageset_add(&ref, v))
			got++;
	CHECK_EQ(s.count, ref.count);
	for (uint64_t v = lo - 64; v < lo + 64 * 41; v++)
		CHECK_EQ(mm_pageset_has(&s, v), mm_pageset_has(&ref, v));
	CHECK(!mm_pageset_has(&s, lo - 1));     /* nothing below LO */
	/* the bound: 2 blocks looked at, from a full one: only the next's */
	uint64_t before = s.count, far = 64 * 200;      /* block-aligned, empty */
	CHECK_EQ(mm_pageset_fill(&s, lo, far, 1000, 2), 0);
	CHECK_EQ(mm_pageset_fill(&s, far, far + 64 * 3, 1000, 2), 128);
	CHECK_EQ(s.count, before + 128);
	CHECK(!mm_pageset_has(&s, far + 128));
	mm_pageset_free(&s);
	mm_pageset_free(&ref);
}

/* pages added ascending (the last block's fast path), descending and
 * scattered: the same set as a plain bitmap says, the same count, the
 * blocks sorted with unique bases */
TEST(pageset_add_in_any_order_matches_a_bitmap)
{
	enum { SPAN = 64 * 50 };
	static unsigned char ref[SPAN];
	struct mm_pageset s = { 0 };
	uint64_t lo = 64 * 1000 + 7, x = 12345, n = 0;
	for (uint64_t v = lo + 1000; v < lo + 1600; v++)        /* ascending */
		n += mm_pageset_add(&s, v) == !ref[v - lo], ref[v - lo] = 1;
	for (uint64_t v = lo + 999; v > lo + 300; v -= 3)       /* descending */
		n += mm_pageset_add(&s, v) == !ref[v - lo], ref[v - lo] = 1;
	for (int i = 0; i < 2000; i++) {                        /* scattered */
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t v = lo + (x >> 33) % SPAN;
		n += mm_pageset_add(&s, v) == !ref[v - lo], ref[v - lo] = 1;
	}
	CHECK_EQ(n, 600 + 233 + 2000);       /* every answer right */
	uint64_t count = 0;
	for (uint64_t v = 0; v < SPAN; v++) {
		count += ref[v];
		CHECK_EQ(mm_pageset_has(&s, lo + v), ref[v]);
	}
	CHECK_EQ(s.count, count);
	for (uint32_t i = 1; i < s.n; i++)
		CHECK(s.b[i - 1].base < s.b[i].base);
	mm_pageset_free(&s);
}

static enum mm_pattern pattern_of(uint64_t pages, const uint64_t *idx, size_t n)
{
	setup();
	mm_as_mmap(as, p, &by_mmap, BASE, pages * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	for (size_t i = 0; i < n; i++)
		touch(BASE + idx[i] * PG, MM_ACCESS_W);
	return mm_region_pattern(p->map[0], PG, NULL);
}

TEST(access_patterns)
{
	uint64_t seq[16], strided[16], rnd[16];
	for (int i = 0; i < 16; i++) {
		seq[i] = (uint64_t)i;
		strided[i] = (uint64_t)i * 4;
		rnd[i] = (uint64_t)(i * 7919) % 32;
	}
	uint64_t sparse[3] = { 0, 20, 35 };
	CHECK_EQ(pattern_of(16, seq, 16), MM_PAT_SEQUENTIAL);
	CHECK_EQ(pattern_of(64, strided, 16), MM_PAT_STRIDED);
	int64_t stride;
	mm_region_pattern(p->map[0], PG, &stride);
	CHECK_EQ(stride, 4);
	CHECK_EQ(pattern_of(36, sparse, 3), MM_PAT_SPARSE);     /* the seed's 144 KiB */
	CHECK_EQ(pattern_of(32, rnd, 16), MM_PAT_RANDOM);
	CHECK_EQ(pattern_of(32, rnd, 0), MM_PAT_NONE);
	CHECK_STR(mm_pattern_name(MM_PAT_STRIDED), "strided");
}

static struct mm_event sys_ev(uint64_t ts, int nr, int64_t ret, uint64_t a0, uint64_t a1,
			      uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct mm_event ev = { .ts = ts, .pid = 7, .tgid = 7, .kind = MM_EV_SYSCALL };
	ev.sys.nr = (uint8_t)nr;
	ev.sys.has_ret = true;
	ev.sys.ret = ret;
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	memcpy(ev.sys.args, a, sizeof(a));
	return ev;
}

static const char exec_maps[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:00 247134                     /usr/bin/prog\n"
	"55d0c0a02000-55d0c0a05000 r-xp 00002000 fe:00 247134                     /usr/bin/prog\n"
	"55d0c0a2a000-55d0c0a4b000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000004000 r--p 00000000 00:00 0                          [vvar]\n"
	"7f0000004000-7f0000006000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n";

static const char end_maps[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:00 247134                     /usr/bin/prog\n"
	"55d0c0a02000-55d0c0a05000 r-xp 00002000 fe:00 247134                     /usr/bin/prog\n"
	"55d0c0a2a000-55d0c0a6c000 rw-p 00000000 00:00 0                          [heap]\n"
	"7e0000000000-7e0000001000 rw-p 00000000 00:00 0 \n"
	"7e0000001000-7e0000002000 ---p 00000000 00:00 0 \n"
	"7e0000002000-7e0000004000 rw-p 00000000 00:00 0 \n"
	"7e0000010000-7e0000012000 r--p 00001000 fe:00 99                         /data/file\n"
	"7f0000000000-7f0000004000 r--p 00000000 00:00 0                          [vvar]\n"
	"7f0000004000-7f0000006000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n";

/* The whole event path: snapshots in time order with syscalls. */
static void replay(struct mm_as *a, bool with_extra)
{
	struct mm_event ev[] = {
		sys_ev(10, MM_SYS_BRK, 0x55d0c0a6c000, 0x55d0c0a6c000, 0, 0, 0, 0, 0),
		/* two adjacent anon mmaps: maps shows them merged, we keep two */
		sys_ev(20, MM_SYS_MMAP, 0x7e0000000000, 0, 2 * PG, 3, 0x22, (uint64_t)-1, 0),
		sys_ev(21, MM_SYS_MMAP, 0x7e0000002000, 0x7e0000002000, 2 * PG, 3, 0x32,
		       (uint64_t)-1, 0),
		sys_ev(30, MM_SYS_MPROTECT, 0, 0x7e0000001000, PG, 0, 0, 0, 0),
		sys_ev(40, MM_SYS_MMAP, 0x7e0000010000, 0, 2 * PG, 1, 0x02, 5, 0x1000),
		sys_ev(45, MM_SYS_MMAP, -12, 0, 1ull << 40, 3, 0x22, (uint64_t)-1, 0),
		sys_ev(50, MM_SYS_MMAP, 0x7e0000020000, 0, PG, 3, 0x22, (uint64_t)-1, 0),
		sys_ev(60, MM_SYS_MUNMAP, 0, 0x7e0000020000, PG, 0, 0, 0, 0),
	};
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		if (!with_extra && ev[i].sys.nr == MM_SYS_MUNMAP)
			continue;
		mm_as_event(a, &ev[i]);
	}
	mm_as_finish(a);
}

TEST(event_path_and_end_check_agree)
{
	struct mm_as *a = mm_as_new(PG, MM_AS_NO_CUTOFF);
	mm_as_add_snapshot(a, 7, MM_PHASE_END, 100, end_maps);
	mm_as_add_snapshot(a, 7, MM_PHASE_EXEC, 5, exec_maps);
	replay(a, true);
	struct mm_as_proc *q = mm_as_proc_find(a, 7);
	CHECK(q != NULL);
	CHECK(q->checked);
	for (size_t i = 0; i < q->nr_diffs; i++)
		printf("# diff %d want '%s' got '%s'\n", q->diffs[i].kind,
		       q->diffs[i].want, q->diffs[i].got);
	CHECK_EQ(q->nr_diffs, 0);
	CHECK_EQ(q->nr_checked, 10);
	/* the file mapped by fd learned its path from the END snapshot */
	struct mm_region *f = mm_as_lookup(q, 0x7e0000010000);
	CHECK(f != NULL);
	CHECK_STR(f->name, "/data/file");
	CHECK_EQ(f->created.ts, 40);
	/* the failed mmap changed nothing; the unmapped one is history */
	CHECK(mm_as_lookup(q, 0x7e0000020000) == NULL);
	CHECK_EQ(q->map[0]->created.how, MM_HOW_EXEC);
	mm_as_free(a);
}

TEST(end_check_reports_differences)
{
	struct mm_as *a = mm_as_new(PG, MM_AS_NO_CUTOFF);
	mm_as_add_snapshot(a, 7, MM_PHASE_EXEC, 5, exec_maps);
	mm_as_add_snapshot(a, 7, MM_PHASE_END, 100, end_maps);
	replay(a, false);       /* the munmap at 60 is not seen */
	struct mm_as_proc *q = mm_as_proc_find(a, 7);
	CHECK_EQ(q->nr_diffs, 1);
	CHECK_EQ(q->diffs[0].kind, MM_DIFF_EXTRA);
	CHECK_EQ(q->diffs[0].start, 0x7e0000020000);
	CHECK_STR(q->diffs[0].got, "7e0000020000-7e0000021000 rw-p 00000000 ");
	mm_as_free(a);
}

TEST(cutoff_freezes_the_model)
{
	struct mm_as *a = mm_as_new(PG, 5);     /* 5 ns after the first event (10) */
	mm_as_add_snapshot(a, 7, MM_PHASE_EXEC, 5, exec_maps);
	mm_as_add_snapshot(a, 7, MM_PHASE_END, 100, end_maps);
	replay(a, true);
	struct mm_as_proc *q = mm_as_proc_find(a, 7);
	CHECK(!q->checked);                     /* END is past the cutoff */
	CHECK(mm_as_lookup(q, 0x7e0000000000) == NULL);
	CHECK_EQ(mm_as_lookup(q, 0x55d0c0a2a000)->end, 0x55d0c0a6c000);
	mm_as_free(a);
}

TEST(fork_copies_exec_replaces_threads_map)
{
	struct mm_as *a = mm_as_new(PG, MM_AS_NO_CUTOFF);
	mm_as_add_snapshot(a, 7, MM_PHASE_START, 1, exec_maps);
	struct mm_event ev = { .ts = 10, .pid = 7, .tgid = 7, .kind = MM_EV_FORK };
	ev.proc.child_pid = 8;
	mm_as_event(a, &ev);
	ev.proc.child_pid = 9;                  /* a thread of 7 */
	ev.proc.is_thread = true;
	ev.ts = 11;
	mm_as_event(a, &ev);
	struct mm_as_proc *c = mm_as_proc_find(a, 8);
	CHECK(c != NULL);
	CHECK_EQ(c->nr_map, 6);
	CHECK_EQ(c->map[0]->created.how, MM_HOW_FORK);
	CHECK_STR(c->map[0]->name, "/usr/bin/prog");
	CHECK_EQ(mm_as_tgid_of(a, 9), 7);
	/* a fault by the thread (tgid unknown in the event) hits 7's map */
	struct mm_event f = { .ts = 12, .pid = 9, .kind = MM_EV_FAULT };
	f.fault.addr = 0x55d0c0a2a010;
	mm_as_event(a, &f);
	CHECK_EQ(mm_as_lookup(mm_as_proc_find(a, 7), 0x55d0c0a2a000)->nr_faults, 1);
	CHECK_EQ(mm_as_lookup(c, 0x55d0c0a2a000)->nr_faults, 0);
	/* exec drops the child's map; no EXEC snapshot: faults are unknown */
	struct mm_event x = { .ts = 13, .pid = 8, .tgid = 8, .kind = MM_EV_EXEC };
	strcpy(x.proc.path, "/bin/true");
	mm_as_event(a, &x);
	CHECK_EQ(c->nr_map, 0);
	CHECK_EQ(c->nr_dead, 6);
	CHECK_STR(c->exe, "/bin/true");
	f.pid = 8, f.tgid = 8, f.ts = 14;
	mm_as_event(a, &f);
	CHECK_EQ(c->nr_unknown, 1);
	/* exit: the final map stays, regions ended at the exit */
	struct mm_event e = { .ts = 20, .pid = 7, .tgid = 7, .kind = MM_EV_EXIT };
	mm_as_event(a, &e);
	struct mm_as_proc *q = mm_as_proc_find(a, 7);
	CHECK(q->exited);
	CHECK_EQ(q->nr_map, 6);
	CHECK_EQ(q->map[0]->ended.how, MM_HOW_EXIT);
	mm_as_free(a);
}

/* The loader's way: map a file whole by fd, map segments over it with
 * MAP_FIXED, unmap the rest; the END snapshot names what is left and the
 * names flow back to the history. */
TEST(file_names_learned_and_propagated)
{
	static const char end[] =
		"7f0000001000-7f0000003000 r-xp 00001000 fe:00 77                         /lib/libx.so\n";
	struct mm_as *a = mm_as_new(PG, MM_AS_NO_CUTOFF);
	mm_as_add_snapshot(a, 7, MM_PHASE_END, 100, end);
	struct mm_event ev[] = {
		sys_ev(10, MM_SYS_MMAP, 0x7f0000000000, 0, 4 * PG, 1, 0x02, 3, 0),
		sys_ev(11, MM_SYS_MMAP, 0x7f0000001000, 0x7f0000001000, 2 * PG, 5, 0x12, 3, PG),
		sys_ev(12, MM_SYS_MUNMAP, 0, 0x7f0000000000, PG, 0, 0, 0, 0),
		sys_ev(13, MM_SYS_MUNMAP, 0, 0x7f0000003000, PG, 0, 0, 0, 0),
	};
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		mm_as_event(a, &ev[i]);
	mm_as_finish(a);
	struct mm_as_proc *q = mm_as_proc_find(a, 7);
	CHECK_EQ(q->nr_diffs, 0);
	CHECK_EQ(q->nr_map, 1);
	CHECK_STR(q->map[0]->name, "/lib/libx.so");
	CHECK_EQ(q->map[0]->ino, 77);
	/* the whole mapping (replaced at 11) and its pieces are named too */
	CHECK_EQ(q->nr_dead, 3);
	for (size_t i = 0; i < q->nr_dead; i++)
		CHECK_STR(q->dead[i]->name, "/lib/libx.so");
	mm_as_free(a);
}

TEST(sysv_shm_attach_detach)
{
	struct mm_as *a = mm_as_new(PG, MM_AS_NO_CUTOFF);
	struct mm_event ev[] = {
		sys_ev(10, MM_SYS_SHMGET, 5, 0x1234, 3 * PG, 01600, 0, 0, 0),
		sys_ev(11, MM_SYS_SHMAT, 0x7f0000000000, 5, 0, 0, 0, 0, 0),
		sys_ev(12, MM_SYS_SHMAT, 0x7f0000010000, 5, 0, 010000, 0, 0, 0),
		sys_ev(13, MM_SYS_SHMDT, 0, 0x7f0000000000, 0, 0, 0, 0, 0),
		sys_ev(14, MM_SYS_SHMAT, 0x7f0000020000, 99, 0, 0, 0, 0, 0),   /* no shmget */
	};
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		mm_as_event(a, &ev[i]);
	struct mm_as_proc *q = mm_as_proc_find(a, 7);
	CHECK_EQ(q->nr_map, 1);
	CHECK_REGION_OF(q, 0, 0x7f0000010000, 0x7f0000013000);
	CHECK_EQ(q->map[0]->backing, MM_BACK_SHM);
	CHECK_EQ(q->map[0]->prot, MM_PROT_R);
	CHECK_EQ(q->map[0]->flags & MM_REG_SHARED, MM_REG_SHARED);
	CHECK_STR(q->map[0]->name, "/SYSV00001234 (deleted)");
	CHECK_EQ(q->nr_dead, 1);
	CHECK_EQ(q->dead[0]->ended.sys, MM_SYS_SHMDT);
	CHECK_EQ(q->nr_skipped, 1);
	mm_as_free(a);
}

TEST(faults_after_split_go_to_the_pieces)
{
	setup();
	mm_as_mmap(as, p, &by_mmap, BASE, 10 * PG, 3, MAP_PRIVATE_ANON, -1, 0);
	mm_as_munmap(as, p, &by_munmap, BASE + 3 * PG, 2 * PG);
	touch(BASE + 6 * PG, MM_ACCESS_R);
	touch(BASE + 6 * PG + 8, MM_ACCESS_W);
	CHECK_EQ(p->map[1]->nr_faults, 2);
	CHECK_EQ(p->map[1]->faults[MM_FAULT_ANON][MM_ACCESS_R], 1);
	CHECK_EQ(p->map[1]->nr_touched, 1);
	CHECK_EQ(p->map[1]->dirty.count, 1);
	CHECK_EQ(p->map[0]->nr_faults, 0);
	struct mm_event ev = fault_ev(BASE + 3 * PG, MM_FAULT_ANON, MM_ACCESS_W);
	CHECK(mm_as_fault(as, p, &ev) == NULL);                  /* the hole */
	CHECK_EQ(p->nr_unknown, 1);
	/* madvise(DONTNEED) drops residency, not the touched history */
	mm_as_madvise(as, p, &by_munmap, BASE + 5 * PG, 5 * PG, 4);
	CHECK_EQ(p->map[1]->resident.count, 0);
	CHECK_EQ(p->map[1]->dirty.count, 0);
	CHECK_EQ(p->map[1]->nr_touched, 1);
}

static int count_cb(void *ctx, struct mm_region *r)
{
	(void)r;
	(*(int *)ctx)++;
	return 0;
}

TEST(alive_at_time)
{
	setup();
	struct mm_region_event e1 = { 100, 7, MM_HOW_SYSCALL, MM_SYS_MMAP };
	struct mm_region_event e2 = { 200, 7, MM_HOW_SYSCALL, MM_SYS_MUNMAP };
	mm_as_mmap(as, p, &e1, BASE, PG, 3, MAP_PRIVATE_ANON, -1, 0);
	mm_as_munmap(as, p, &e2, BASE, PG);
	int n = 0;
	mm_as_foreach_alive_at(p, 150, count_cb, &n);
	CHECK_EQ(n, 1);
	n = 0;
	mm_as_foreach_alive_at(p, 200, count_cb, &n);
	CHECK_EQ(n, 0);
	n = 0;
	mm_as_foreach_region(p, count_cb, &n);
	CHECK_EQ(n, 1);
}

TEST(real_proc_self_maps_checks_clean)
{
	size_t len;
	char *text = mm_read_file("/proc/self/maps", &len);
	if (!text)
		SKIP("no /proc/self/maps");
	struct mm_as *a = mm_as_new(PG, MM_AS_NO_CUTOFF);
	struct mm_as_proc *q = mm_as_proc_get(a, 1);
	struct mm_region_event e = { 1, 0, MM_HOW_START, 0 };
	CHECK_EQ(mm_as_load_maps(a, q, text, &e), 0);
	CHECK(q->nr_map > 5);
	CHECK_EQ(mm_as_check(a, q, text), 0);
	CHECK_EQ(q->nr_diffs, 0);
	mm_as_free(a);
	free(text);
}

int main(void)
{
	RUN(munmap_hole_splits_in_two);
	RUN(munmap_across_regions_and_edges);
	RUN(mprotect_middle_splits_in_three_and_merges_back);
	RUN(distinct_mmaps_do_not_merge);
	RUN(mmap_fixed_over_file_keeps_offsets);
	RUN(brk_growth_extends_heap);
	RUN(mremap_grow_in_place_and_move);
	RUN(faults_attributed_or_unknown);
	RUN(stack_grows_on_fault_below);
	RUN(map_bytes_follow_every_change);
	RUN(pageset_stays_small_for_huge_sparse_mappings);
	RUN(pageset_fill_takes_lowest_missing_pages);
	RUN(pageset_add_in_any_order_matches_a_bitmap);
	RUN(access_patterns);
	RUN(event_path_and_end_check_agree);
	RUN(end_check_reports_differences);
	RUN(cutoff_freezes_the_model);
	RUN(fork_copies_exec_replaces_threads_map);
	RUN(file_names_learned_and_propagated);
	RUN(sysv_shm_attach_detach);
	RUN(faults_after_split_go_to_the_pieces);
	RUN(alive_at_time);
	RUN(real_proc_self_maps_checks_clean);
	mm_as_free(as);
	return t_done();
}
