/*
 * report/model/heap.h - the malloc-level model of a record --malloc trace:
 * every live block of every process (which call made it, where, when),
 * per call site totals, and what ties the allocator's calls to the
 * kernel's events:
 *
 *   - a brk, mmap, mprotect or mremap a thread made since its previous
 *     allocator call is caused by its next allocation when that call's
 *     block lies in what the syscall mapped (mmap, mremap, mprotect), or
 *     when it is a brk (glibc's malloc is the heap's only brk caller in a
 *     program that mallocs; one that calls sbrk itself is misread here);
 *   - a munmap, brk or madvise a thread makes after a free and before its
 *     next allocator call is caused by that free when it unmaps the freed
 *     block (munmap), shrinks the heap (brk) or drops pages (madvise, an
 *     arena's trim);
 *   - a fault of a process at an address inside a live block is that
 *     block's.
 *
 * Temporaries are heaptrack's: an allocation freed before its thread
 * allocates again.  Leaks: blocks live when their process image ends
 * (exit, exec, or the end of the trace).  Peak: the most bytes a process
 * had live, and each site's live bytes at that moment (kept by copying
 * the sites changed since the last copy when the total first falls from a
 * new peak).
 *
 * Hostile traces: at most MM_HEAP_MAX_BLOCKS live blocks and
 * MM_HEAP_MAX_SITES sites are tracked; what does not fit is counted
 * (untracked), never grown without bound.  A free of a block never seen
 * is counted (unknown_frees): a fork child frees its parent's blocks.
 */
#ifndef MM_REPORT_MODEL_HEAP_H
#define MM_REPORT_MODEL_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "plugins/event.h"

#define MM_HEAP_MAX_BLOCKS (2u << 20)      /* ~100 bytes each */
#define MM_HEAP_MAX_SITES  (1u << 20)
#define MM_HEAP_MAX_PROCS  65536
#define MM_HEAP_HIST       32        /* size classes: [2^i, 2^(i+1)), the last open */
#define MM_HEAP_FIRST      3         /* addresses kept of a site's leaks */
#define MM_HEAP_CAUSED     4         /* syscalls an allocation's note names */

struct mm_heap;

/* One call site of one process image. */
struct mm_heap_site {
	int32_t tgid;
	uint32_t image;          /* the process's image (0, then +1 per exec) */
	uint64_t site;           /* the return address */
	uint32_t stack;          /* the file's stack of the calls (record took
	                          * their frames: plugins/event.h), 0 none: a
	                          * site is one per stack it was called from */
	uint8_t op;              /* the first call's function (enum mm_heap_op) */
	uint32_t code;           /* its name: an interned stack (its frame 0 and
	                          * the callers record took)
	                          * (symbols.h), resolved in the process's map
	                          * at its first call; 0 unnamed (no model,
	                          * --symbols=off, or no region holds it) */
	uint64_t calls;          /* allocations (alloc and realloc families) */
	uint64_t failed;         /* ... that returned NULL */
	uint64_t bytes;          /* bytes asked for in all */
	uint64_t live, live_blocks;
	uint64_t peak_live;      /* the most this site had live */
	uint64_t at_peak;        /* live when its process was at its peak */
	uint64_t temporaries;
	uint64_t leaks, leaked;  /* blocks, bytes never freed */
	uint64_t first[MM_HEAP_FIRST];   /* the first leaked blocks (by time) */
	uint64_t mmaps, brks, unmaps;    /* syscalls its calls caused */
	uint64_t faults;         /* faults in its blocks */
	bool dirty;              /* changed since its process's last peak copy */
	uint64_t hist[MM_HEAP_HIST];     /* (last: the counters a call updates
	                                  * share the first cache lines) */
};

/* One process (all its images). */
struct mm_heap_proc {
	int32_t tgid;
	uint32_t image;
	bool hello;              /* the interposer said hello in this image */
	bool exec_pending;       /* exec'd, no hello since */
	bool not_ours;           /* the program's own malloc: calls not seen */
	bool not_recorded;       /* an image ran without the interposer */
	bool ended;
	uint64_t calls, frees;
	uint64_t live, peak, peak_ts;
	bool peak_pending;       /* a new peak the sites were not copied at */
	uint32_t *dirty;         /* sites changed since the last copy */
	uint32_t nr_dirty, cap_dirty;
	char exe[256];           /* the image that was not recorded, or the last */
};

/* What the model says about the event it was just fed. */
struct mm_heap_note {
	/* a syscall (munmap, brk, madvise) caused by this free (its call,
	 * block, site and time) */
	bool by_free;
	uint8_t free_op;
	uint64_t free_ptr, free_site, free_ts;
	/* a fault in a live block */
	bool in_block;
	uint64_t block, block_size, block_site;
	uint32_t block_code;     /* its site's name (mm_heap_site.code) */
	uint8_t block_op;
	/* an allocation: the syscalls it caused (nr, address, length) */
	unsigned nr_caused;
	struct { uint8_t nr; uint64_t addr, len; } caused[MM_HEAP_CAUSED];
	/* a process image ended that ran without the interposer */
	bool not_recorded;
	/* a temporary allocation's free */
	bool temporary;
};

struct mm_heap_totals {
	uint64_t calls, frees, reallocs, failed;
	uint64_t unknown_frees;  /* frees of blocks not known (fork child, ...) */
	uint64_t untracked;      /* blocks or sites beyond the bounds */
	uint64_t lost;           /* records lost (LOST) */
	uint64_t temporaries;
};

struct mm_as;
struct mm_heap *mm_heap_new(void);
void mm_heap_free(struct mm_heap *h);
/* Faults are not tied to blocks (no site's faults, no note's block): a
 * view that shows neither (--leaks) skips the index that finds the block
 * holding an address.  Before the first event. */
void mm_heap_skip_faults(struct mm_heap *h);
/* Name each new site (mm_heap_site.code) in AS's map at its first call:
 * AS must have seen the event before the model does. */
void mm_heap_name_sites(struct mm_heap *h, struct mm_as *as);
/* Feed every event in time order; NOTE (may be NULL) gets what ties EV to
 * the other level. */
void mm_heap_event(struct mm_heap *h, const struct mm_event *ev, struct mm_heap_note *note);
/* The end of the trace: the blocks still live become leaks. */
void mm_heap_finish(struct mm_heap *h);

const struct mm_heap_totals *mm_heap_totals(const struct mm_heap *h);
/* The sites (any order) and processes (in order of appearance). */
struct mm_heap_site *mm_heap_sites(const struct mm_heap *h, uint32_t *nr);
uint32_t mm_heap_nr_procs(const struct mm_heap *h);
const struct mm_heap_proc *mm_heap_proc_at(const struct mm_heap *h, uint32_t i);
/* "malloc", "free", "new[]"...: the name of call OP (enum mm_heap_op). */
const char *mm_heap_op_name(unsigned op);
/* Size class of SIZE in the histograms. */
unsigned mm_heap_size_class(uint64_t size);

#endif
