/*
 * tests/unit/test-classify.c - report/model/classify.c: the class of a
 * fault the trace could not tell (MM_FAULT_UNKNOWN, kernels before 6.2 in
 * tracepoint mode), from the region it hit, as Debian 12's 6.1 runs it:
 * anon first touch, the zero page read then written, file reads, private
 * file pages copied on write, shared and special mappings, fork, swap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/addrspace.h"
#include "tests/unit/harness.h"

#define PG 4096ull
#define ANON 0x10000000ull
#define FILE_ 0x20000000ull
#define SHARED 0x30000000ull
#define MAP_SHARED_ 0x01
#define MAP_PRIVATE_ 0x02
#define MAP_ANON_ 0x20

static const struct mm_region_event by_mmap = { 1000, 7, MM_HOW_SYSCALL, MM_SYS_MMAP };
static struct mm_as *as;
static struct mm_as_proc *p;

static void setup(void)
{
	mm_as_free(as);
	as = mm_as_new(PG, MM_AS_NO_CUTOFF);
	p = mm_as_proc_get(as, 7);
	mm_as_mmap(as, p, &by_mmap, ANON, 16 * PG, 3, MAP_PRIVATE_ | MAP_ANON_, -1, 0);
	mm_as_mmap(as, p, &by_mmap, FILE_, 16 * PG, 3, MAP_PRIVATE_, 3, 0);
	mm_as_mmap(as, p, &by_mmap, SHARED, 16 * PG, 3, MAP_SHARED_, 4, 0);
}

/* Classify a fault the way report does (before the model applies it),
 * then apply it with the class found; returns that class. */
static int fault(uint64_t addr, uint32_t ec, uint8_t flags)
{
	struct mm_event ev = { .ts = 5000, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	ev.fault.addr = addr;
	ev.fault.error_code = ec | MM_PF_USER;
	ev.fault.access = ec & MM_PF_WRITE ? MM_ACCESS_W : MM_ACCESS_R;
	ev.fault.class = MM_FAULT_UNKNOWN;
	ev.fault.flags = flags;
	ev.fault.class = mm_as_fault_class(as, &ev);
	mm_as_fault(as, p, &ev);
	return ev.fault.class;
}

#define R  0
#define W  MM_PF_WRITE
#define PR MM_PF_PROT
#define PW (MM_PF_PROT | MM_PF_WRITE)

TEST(anon)
{
	setup();
	CHECK_EQ(fault(ANON, W, 0), MM_FAULT_ANON);            /* first touch */
	CHECK_EQ(fault(ANON + PG, R, 0), MM_FAULT_ANON);       /* the zero page */
	CHECK_EQ(fault(ANON + PG, PW, 0), MM_FAULT_ANON);      /* ... replaced on write */
	CHECK_EQ(fault(ANON, PW, 0), MM_FAULT_OTHER);          /* written before: no new page */
	CHECK_EQ(fault(ANON + 2 * PG, PR, 0), MM_FAULT_OTHER);
}

TEST(private_file)
{
	setup();
	CHECK_EQ(fault(FILE_, R, 0), MM_FAULT_FILE);
	CHECK_EQ(fault(FILE_, PW, 0), MM_FAULT_COW);           /* the file's page copied */
	CHECK_EQ(fault(FILE_ + PG, W, 0), MM_FAULT_COW);       /* never read: do_cow_fault */
	CHECK_EQ(fault(FILE_ + 2 * PG, PW, 0), MM_FAULT_COW);  /* mapped around, then written */
	CHECK_EQ(fault(FILE_, PW, 0), MM_FAULT_OTHER);         /* the copy again, no fork */
	CHECK_EQ(fault(FILE_ + 3 * PG, R | MM_PF_INSTR, 0), MM_FAULT_FILE);
}

TEST(shared_file_and_unmapped)
{
	setup();
	CHECK_EQ(fault(SHARED, R, 0), MM_FAULT_FILE);
	CHECK_EQ(fault(SHARED, PW, 0), MM_FAULT_OTHER);        /* made writable, no new page */
	CHECK_EQ(fault(SHARED + PG, W, 0), MM_FAULT_FILE);
	CHECK_EQ(fault(0x40000000, R, 0), MM_FAULT_UNKNOWN);   /* no region known */
}

TEST(fork_makes_writes_cow)
{
	setup();
	CHECK_EQ(fault(ANON, W, 0), MM_FAULT_ANON);
	mm_as_fork(as, p, 8, &by_mmap);
	CHECK_EQ(fault(ANON, PW, 0), MM_FAULT_COW);
	CHECK_EQ(mm_as_proc_find(as, 8)->forked, true);
	/* the child gone, the parent's next write-protect fault reuses its page */
	CHECK_EQ(fault(ANON + PG, W, 0), MM_FAULT_ANON);
	mm_as_fork(as, p, 9, &by_mmap);
	mm_as_exit(as, mm_as_proc_find(as, 9), 4000);
	CHECK_EQ(mm_as_proc_find(as, 8)->forked, true);
	mm_as_exit(as, mm_as_proc_find(as, 8), 4000);
	CHECK_EQ(fault(ANON + PG, PW, 0), MM_FAULT_OTHER);
}

/* With swap entries around, a page touched before may come back from swap:
 * the model cannot tell that from fresh memory, and says so. */
TEST(swap_possible)
{
	setup();
	CHECK_EQ(fault(ANON, W, MM_FAULT_F_SWAPPED), MM_FAULT_ANON);     /* never touched */
	CHECK_EQ(fault(ANON, W, MM_FAULT_F_SWAPPED), MM_FAULT_UNKNOWN);  /* again: swap-in? */
	CHECK_EQ(fault(ANON + PG, W, 0), MM_FAULT_ANON);
	CHECK_EQ(fault(ANON + PG, W, 0), MM_FAULT_ANON);                 /* no swap: dropped */
	CHECK_EQ(fault(FILE_, W, 0), MM_FAULT_COW);
	CHECK_EQ(fault(FILE_, R, MM_FAULT_F_SWAPPED), MM_FAULT_UNKNOWN); /* the copy swapped? */
}

/* Classes the decoder could tell are kept. */
TEST(known_class_kept)
{
	setup();
	struct mm_event ev = { .ts = 5000, .pid = 7, .tgid = 7, .kind = MM_EV_FAULT };
	ev.fault.addr = FILE_;
	ev.fault.class = MM_FAULT_SWAP;
	CHECK_EQ(mm_as_fault_class(as, &ev), MM_FAULT_SWAP);
}

int main(void)
{
	RUN(anon);
	RUN(private_file);
	RUN(shared_file_and_unmapped);
	RUN(fork_makes_writes_cow);
	RUN(swap_possible);
	RUN(known_class_kept);
	mm_as_free(as);
	return t_done();
}
