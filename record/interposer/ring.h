/*
 * record/interposer/ring.h - the memory `memmon record --malloc` shares with
 * the malloc interposer (libmemmon-malloc.so) in every process it records.
 *
 * record creates one memfd (the "area"), maps it, and hands its fd to CMD
 * at exec (environment MM_RING_ENV = "FD"); children inherit the fd and the
 * mappings, exec'd programs map it again from the fd.  The area holds a
 * header, a table of NR ring headers and, after them, NR rings' data.  A
 * process maps the header and the table, and the data of the rings its
 * threads use, one at a time (a program's address space grows by one ring
 * per thread, not by the whole area).  Each thread of a recorded process
 * that calls an allocation function claims a ring of its own (state FREE
 * -> CLAIMING -> ACTIVE, by compare-and-swap) and is its only writer;
 * record is its only reader.  So a call costs a clock read and a few stores, never a lock or a
 * system call, and nothing the program does later (exit, exit_group killing
 * its threads, exec, a crash) can lose what was committed: record reads it
 * from the shared pages whatever became of the writer.
 *
 * A ring is RING_WORDS u64 words, written at (head + i) & (RING_WORDS - 1).
 * The writer fills a record's words and then stores head (release); the
 * reader reads head (acquire), the words, then stores tail (release), and
 * the writer waits while head - tail would exceed RING_WORDS.  The writer
 * sets busy before it reads the clock for a record and clears it after the
 * commit: record's merge of the rings into one time-ordered stream never
 * passes the time of a record that may still be in flight (record/malloc.c).
 *
 * Records (words; word 1 holds the op in bits 56-63, an aux byte in bits
 * 48-55 and the call site - the caller's return address - in bits 0-47):
 *   free family    ts, op|site, ptr
 *   alloc family   ts, op|aux|site, size, result
 *   realloc family ts, op|site, size, result, old
 *   hello          ts, op|aux
 * When the area's frames is not 0, a record of the alloc or realloc
 * family is followed by one word N (at most frames) and N return
 * addresses: the site's caller's callers, innermost first, found by the
 * frame pointers of the thread's own stack (interposer.c says how it is
 * kept safe); N is 0 where the walk found none.
 * The ops are the trace file's (format/heapops.h); aux is log2 of the
 * alignment asked for (alloc family) or MM_HELLO_* (hello).  ts is the
 * clock at the call's return for the alloc and realloc families (when the
 * block is the caller's) and before the call for the free family (while
 * the block is still the caller's), so a block is never seen allocated
 * twice or freed before it was allocated, whichever threads race for it.
 * The clock is MM_RING_CLOCK_*: the one record set as the trace clock of
 * its tracefs instance, so records and kernel events share a time line.
 *
 * The area is writable by the recorded programs: record treats every byte
 * of it as hostile (record/malloc.c bounds every read).
 */
#ifndef MM_INTERPOSER_RING_H
#define MM_INTERPOSER_RING_H

#include <stdint.h>

#include "format/heapops.h"

#define MM_RING_MAGIC      0x314d4c414d4d454dull    /* "MEMMALM1" */
#define MM_RING_VERSION    2
#define MM_RING_ENV        "MEMMON_MALLOC"          /* the area's fd number */
#define MM_RING_LIB        "libmemmon-malloc.so"

enum mm_ring_clock {
	MM_RING_CLOCK_TSC  = 1,  /* rdtsc; the instance's trace_clock x86-tsc */
	MM_RING_CLOCK_MONO = 2,  /* CLOCK_MONOTONIC; trace_clock mono */
};

enum mm_ring_state {
	MM_RING_FREE     = 0,
	MM_RING_CLAIMING = 1,    /* a writer is filling in pid and tid */
	MM_RING_ACTIVE   = 2,
	MM_RING_ORPHANED = 3,    /* its process exec'd: no writer any more */
};

/* The most return addresses a record carries after its site: with the
 * site, a stack of 8, as ftrace's user stacks of the memory syscalls. */
#define MM_RING_MAX_FRAMES 7

/* Does a record of OP carry frames (when the area's frames is set)? */
static inline int mm_ring_op_has_frames(unsigned op)
{
	return MM_OP_IS_ALLOC(op) || MM_OP_IS_REALLOC(op);
}

/* Words of a record of OP before its frames (0: not a record op). */
static inline unsigned mm_ring_record_words(unsigned op)
{
	if (MM_OP_IS_FREE(op))
		return 3;
	if (op == MM_OP_HELLO)
		return 2;
	if (MM_OP_IS_ALLOC(op))
		return 4;
	if (MM_OP_IS_REALLOC(op))
		return 5;
	return 0;
}

/* Word 1: op, aux, site.  A site above 2^48 (only with 5-level page
 * tables, and a program that asked for such addresses) loses its top. */
#define MM_SITE_MASK ((1ull << 48) - 1)
static inline uint64_t mm_ring_word1(unsigned op, unsigned aux, uint64_t site)
{
	return (uint64_t)op << 56 | (uint64_t)(aux & 0xff) << 48 | (site & MM_SITE_MASK);
}

struct mm_ring_area {
	uint64_t magic;
	uint32_t version;
	uint32_t clock;          /* enum mm_ring_clock */
	uint32_t nr_rings;
	uint32_t ring_words;     /* power of two; a ring's data is 8x that bytes */
	uint64_t first_ring;     /* offset of ring 0's header (then one every 128 bytes) */
	uint64_t data_off;       /* offset of ring 0's data (then one every 8 x ring_words) */
	int32_t recorder;        /* record's pid */
	uint32_t closed;         /* 1: the recording is over, write nothing more */
	uint32_t wake;           /* futex word record sleeps on */
	uint32_t sleeping;       /* 1 while record sleeps on wake */
	uint32_t hint;           /* ring to try first when claiming */
	uint32_t passes;         /* record's drain passes so far: a writer wakes
	                          * record once per pass at most */
	uint64_t no_ring;        /* calls not recorded: every ring was taken */
	uint32_t frames;         /* return addresses an allocation's record
	                          * carries beyond its site, at most (0: none,
	                          * at most MM_RING_MAX_FRAMES): record sets it
	                          * when the program keeps frame pointers */
	uint32_t pad32;
	uint64_t pad[6];
};

struct mm_ring {
	/* the writer's line */
	uint32_t state;          /* enum mm_ring_state */
	int32_t pid, tid;
	uint32_t busy;           /* non-zero from a record's clock read to its commit */
	uint64_t head;           /* words committed */
	uint64_t lost;           /* records dropped (the recording was over or record gone) */
	uint64_t waits;          /* times the writer found the ring full and waited */
	uint64_t pad0[3];
	/* the reader's line */
	uint64_t tail;           /* words consumed */
	uint64_t pad1[7];
};

_Static_assert(sizeof(struct mm_ring) == 128, "two cache lines");
_Static_assert(sizeof(struct mm_ring_area) % 64 == 0, "cache lines");

#endif
