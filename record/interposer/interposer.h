/*
 * record/interposer/interposer.h - what the two files of libmemmon-malloc.so
 * share: the real allocator's functions, the per-thread state and the
 * record writers (interposer.c), used by the entry points (entry.c).
 *
 * The library is loaded into programs memmon records (LD_PRELOAD), so it
 * follows the rules of code that runs inside malloc: it never allocates,
 * takes no lock, makes no system call on the common path, and everything
 * it calls is async-signal-safe.
 */
#ifndef MM_INTERPOSER_H
#define MM_INTERPOSER_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

#define MM_EXPORT __attribute__((visibility("default")))
#define MM_LIKELY(x)   __builtin_expect(!!(x), 1)
#define MM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The functions of the allocator below us (libc's, or another preloaded
 * one): resolved with dlsym(RTLD_NEXT) by mmi_init(). */
struct mmi_real {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
};
extern struct mmi_real mmi_real;

/* 0 before mmi_init() finished, then 1: the real functions are set. */
extern int mmi_ready;
/* The shared area; NULL when this process records nothing. */
extern struct mm_ring_area *mmi_area;

struct mmi_thread {
	struct mm_ring *ring;    /* this thread's ring, NULL before its first call */
	uint64_t *data;          /* ... and its data */
	uint64_t head;           /* words reserved (committed when depth drops to 0) */
	uint64_t tail;           /* the reader's tail as last read */
	uint64_t check_at;       /* head at which to look at the reader again */
	uint32_t depth;          /* records being written (signal handlers nest) */
	uint32_t inside;         /* in a call that calls back into us (C++ new, dlsym) */
	uint32_t no_ring;        /* calls since claiming a ring failed */
	uint32_t woke;           /* record's pass count when we last woke it, + 1 */
	/* the stack the thread's first call ran on (record --malloc's frames:
	 * interposer.c): a walk reads nothing outside it; 0, 0: not looked
	 * for yet, 0, 1: not found, no walk */
	uintptr_t stack_lo, stack_hi;
};
extern __thread struct mmi_thread mmi_self __attribute__((tls_model("initial-exec")));

void mmi_init(void);
/* stackbounds.c: T's stack bounds (stack_lo, stack_hi), looked up once. */
void mmi_find_stack(struct mmi_thread *t);
/* Memory for calls made while mmi_init() resolves the real functions. */
void *mmi_boot_alloc(size_t size, size_t align);
int mmi_is_boot(const void *p);

/* Our own malloc (entry.c), not whatever "malloc" resolves to. */
void *mmi_own_malloc(size_t size);

/* The clock of the records (ring.h): rdtsc when record made the trace
 * clock x86-tsc (mmi_clock_tsc), else CLOCK_MONOTONIC. */
extern int mmi_clock_tsc;
uint64_t mmi_clock_mono(void);
static inline uint64_t mmi_now(void)
{
#if defined(__x86_64__)
	if (MM_LIKELY(mmi_clock_tsc)) {
		uint32_t lo, hi;
		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		return (uint64_t)hi << 32 | lo;
	}
#endif
	return mmi_clock_mono();
}

/* Is this call to be recorded?  False when not recording or nested. */
static inline int mmi_on(void)
{
	return mmi_area && !mmi_self.inside;
}

/* The records (ring.h): a free before the call, the others after it.
 * SITE is the caller's return address, FP the caller's frame pointer (the
 * %rbp it called with, which its callers' frames are found from when it
 * keeps frame pointers). */
void mmi_rec_free(unsigned op, uintptr_t site, const void *ptr);
void mmi_rec_alloc(unsigned op, uintptr_t site, uintptr_t fp, size_t size, const void *result,
		   unsigned align_log2);
void mmi_rec_realloc(unsigned op, uintptr_t site, uintptr_t fp, const void *old, size_t size,
		     const void *result);

/* log2 of ALIGN for the aux word (255: not a power of two). */
static inline unsigned mmi_log2(size_t align)
{
	return align && !(align & (align - 1)) ? (unsigned)__builtin_ctzl(align) : 255;
}

#endif
