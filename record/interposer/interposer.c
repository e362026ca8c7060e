/*
 * record/interposer/interposer.c - the heart of libmemmon-malloc.so: finding
 * the real allocator, mapping record's shared area, each thread's ring and
 * the records written into it (ring.h states the protocol).
 *
 * Cost per call: one clock read, a handful of stores into the thread's own
 * ring, one compare of the reader's position.  No lock, no atomic read-modify-
 * write, no system call: record's drain thread reads the rings from the
 * other side, and the writer only ever waits when its ring is full (it
 * wakes record through a futex when its ring is a quarter full).
 *
 * Reentrancy.  dlsym() may call calloc while mmi_init() resolves the real
 * functions: such calls get memory from a small static pool (boot_*), which
 * free() and realloc() recognise.  A signal handler that allocates while a
 * record is being written (not async-signal-safe, but programs do it)
 * reserves its words after the interrupted record's and leaves the commit
 * to it (depth); it never waits for room, since the interrupted record
 * holds the reader back, and counts a lost record instead.  Calls made by
 * our own callees (C++ operator new calling malloc) pass through unrecorded
 * (mmi_self.inside), so each call is recorded once, at the outermost level.
 *
 * Frames (record sets the area's frames when the program keeps frame
 * pointers): an allocation's record carries its caller's callers, found
 * by following saved %rbp values up the stack, reading only inside the
 * stack the thread runs on (stackbounds.c says how that is found), each
 * frame above the one before and 8-aligned.  In code that keeps no frame
 * pointer %rbp may hold anything: the walk then ends, it never faults.
 *
 * fork: the child gets a ring of its own at once (pthread_atfork) and says
 * hello with MM_HELLO_FORK; exec: the new image maps the area again from
 * the inherited fd and marks the rings its pid left behind ORPHANED, so
 * record can free them; a thread or process that ends leaves its ring to
 * record, which frees it once the ring is read and its thread is gone.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "interposer.h"

struct mmi_real mmi_real;
int mmi_ready;
struct mm_ring_area *mmi_area;
__thread struct mmi_thread mmi_self __attribute__((tls_model("initial-exec")));

int mmi_clock_tsc;
static int init_state;           /* 0 not started, 1 running, 2 done */
static uint32_t nr_rings, ring_words;
static uint64_t first_ring, data_off;
static int area_fd = -1;         /* our own copy, for mapping rings' data */
static int dead;                 /* record is gone: stop writing */
static unsigned frames_max;      /* the area's frames, as read at its mapping */

/* The rings' data this process has mapped (a fork child has its parent's):
 * a thread takes a ring this process already maps when one is free, so the
 * mappings stay as many as the threads that ran at once. */
#define MAX_RINGS 4096
static uint64_t *mapped[MAX_RINGS];

#define BARRIER() __asm__ __volatile__("" ::: "memory")

/* Wake record when the ring is this much (1/N) full: early enough that
 * record, woken on a busy machine, still finds room to spare. */
#define WAKE_AT 4

/* ---- the boot pool: allocations made while dlsym() runs ---- */

#define BOOT_BYTES (64 * 1024)
static unsigned char boot_pool[BOOT_BYTES] __attribute__((aligned(64)));
static size_t boot_used;

void *mmi_boot_alloc(size_t size, size_t align)
{
	size_t old, start, end;

	if (align < 16)
		align = 16;
	do {
		old = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
		start = (old + 16 + align - 1) & ~(align - 1);  /* 16 bytes for the size */
		end = start + size;
		if (end > BOOT_BYTES || end < start)
			return NULL;
	} while (!__atomic_compare_exchange_n(&boot_used, &old, end, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	memcpy(boot_pool + start - 16, &size, sizeof(size));
	return boot_pool + start;
}

int mmi_is_boot(const void *p)
{
	return (const unsigned char *)p >= boot_pool &&
	       (const unsigned char *)p < boot_pool + BOOT_BYTES;
}

/* ---- clock, futex ---- */

uint64_t mmi_clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void wake_record(void)
{
	if (__atomic_load_n(&mmi_area->sleeping, __ATOMIC_ACQUIRE)) {
		__atomic_add_fetch(&mmi_area->wake, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &mmi_area->wake, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
}

/* ---- rings ---- */

static inline struct mm_ring *ring_at(uint32_t i)
{
	return (struct mm_ring *)((unsigned char *)mmi_area + first_ring + (uint64_t)i * sizeof(struct mm_ring));
}

/* Ring I's data, mapped on first use (its pages made resident at once: one
 * madvise in the trace rather than a fault per page later). */
static uint64_t *ring_data(uint32_t i)
{
	size_t bytes = (size_t)ring_words * 8;
	void *p;

	if (mapped[i])
		return mapped[i];
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, area_fd,
		 (off_t)(data_off + (uint64_t)i * bytes));
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, 23 /* MADV_POPULATE_WRITE; EINVAL before 5.14: faults then */);
	return mapped[i] = p;
}

/* Take ring I (FREE -> CLAIMING); false if someone was faster. */
static int take(uint32_t i)
{
	struct mm_ring *r = ring_at(i);
	uint32_t expect = MM_RING_FREE;

	return __atomic_load_n(&r->state, __ATOMIC_RELAXED) == MM_RING_FREE &&
	       __atomic_compare_exchange_n(&r->state, &expect, MM_RING_CLAIMING, 0,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

static void say_hello(uint32_t flags);

/* The return addresses above a call site whose caller's frame pointer is
 * FP, into OUT: how many (at most frames_max).  Only inside the thread's
 * stack, each frame above the last: a wrong %rbp ends the walk, it can
 * never fault. */
static inline unsigned walk(uintptr_t fp, uint64_t *out)
{
	struct mmi_thread *t = &mmi_self;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0), lim;
	unsigned n = 0;

	if (MM_UNLIKELY(!t->stack_hi))
		mmi_find_stack(t);   /* the thread's first call (a fork child keeps its parent's) */
	lim = t->stack_hi - 16;
	if (sp < t->stack_lo || sp >= t->stack_hi)
		return 0;
	while (n < frames_max && fp >= sp && fp <= lim && !(fp & 7)) {
		const uintptr_t *f = (const uintptr_t *)fp;
		uintptr_t ret = f[1], next = f[0];

		if (ret < 4096)
			break;
		out[n++] = ret;
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}

/* This thread's ring, claimed on first use; NULL when none can be had. */
static struct mm_ring *claim_ring(uint32_t hello_flags)
{
	struct mmi_thread *t = &mmi_self;
	uint32_t start;

	if (!mmi_area || dead || __atomic_load_n(&mmi_area->closed, __ATOMIC_ACQUIRE))
		return NULL;
	/* after a failure, try again only now and then: each try scans */
	if (t->no_ring && (++t->no_ring & 4095) != 0) {
		__atomic_add_fetch(&mmi_area->no_ring, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	/* a ring this process maps already, else any, from the hint on */
	int64_t got = -1;
	for (uint32_t i = 0; i < nr_rings && got < 0; i++)
		if (mapped[i] && take(i))
			got = i;
	start = __atomic_load_n(&mmi_area->hint, __ATOMIC_RELAXED);
	for (uint32_t n = 0; n < nr_rings && got < 0; n++) {
		uint32_t i = (start + n) % nr_rings;
		if (take(i))
			got = i;
	}
	if (got >= 0) {
		uint32_t i = (uint32_t)got;
		struct mm_ring *r = ring_at(i);

		t->data = ring_data(i);
		if (!t->data) {
			__atomic_store_n(&r->state, MM_RING_FREE, __ATOMIC_RELEASE);
			goto none;
		}
		r->pid = getpid();
		r->tid = (int32_t)syscall(SYS_gettid);
		r->busy = 0;
		r->lost = r->waits = 0;
		/* record emptied it before freeing it: head == tail */
		t->tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		t->head = t->tail;
		__atomic_store_n(&r->head, t->head, __ATOMIC_RELEASE);
		t->ring = r;
		t->no_ring = 0;
		t->woke = 0;
		t->check_at = t->head;
		__atomic_store_n(&r->state, MM_RING_ACTIVE, __ATOMIC_RELEASE);
		__atomic_store_n(&mmi_area->hint, (i + 1) % nr_rings, __ATOMIC_RELAXED);
		say_hello(hello_flags);
		return r;
	}
none:
	t->no_ring = 1;
	__atomic_add_fetch(&mmi_area->no_ring, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Is record still there?  It may have been killed: then stop waiting. */
static int record_alive(void)
{
	return kill(mmi_area->recorder, 0) == 0 || errno == EPERM;
}

/* Room for N words: wait for the reader unless nested (or the recording
 * is over); 0 when the record must be dropped. */
static int __attribute__((noinline)) wait_room(struct mm_ring *r, unsigned n)
{
	struct mmi_thread *t = &mmi_self;
	unsigned spins = 0;

	if (t->depth > 0)
		return 0;         /* a signal handler inside a record: that record holds the reader */
	r->waits++;
	for (;;) {
		t->tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (t->head + n - t->tail <= ring_words)
			return 1;
		if (dead || __atomic_load_n(&mmi_area->closed, __ATOMIC_ACQUIRE))
			return 0;
		wake_record();
		if (++spins % 1024 == 0 && !record_alive()) {
			dead = 1;
			return 0;
		}
		if (spins < 64) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
		}
	}
}

/* Begin a record of N words: the ring's data and *AT the first word's
 * index, or NULL (dropped).  Room first, then busy: a writer waiting for
 * room must not hold record's watermark back (record/malloc.c). */
static inline uint64_t *begin(struct mm_ring **rp, unsigned n, uint64_t *at)
{
	struct mmi_thread *t = &mmi_self;
	struct mm_ring *r = t->ring;

	if (MM_UNLIKELY(!r) && !(r = claim_ring(0)))
		return NULL;
	if (MM_UNLIKELY(t->head + n - t->tail > ring_words)) {
		t->tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (t->head + n - t->tail > ring_words && !wait_room(r, n)) {
			if (!__atomic_load_n(&mmi_area->closed, __ATOMIC_RELAXED))
				r->lost++;
			return NULL;
		}
	}
	t->depth++;
	r->busy = t->depth;
	BARRIER();
	*at = t->head;
	t->head += n;
	*rp = r;
	return t->data;
}

static inline void end(struct mm_ring *r)
{
	struct mmi_thread *t = &mmi_self;

	BARRIER();
	if (--t->depth) {
		r->busy = t->depth;      /* nested: the outer record commits both */
		return;
	}
	__atomic_store_n(&r->head, t->head, __ATOMIC_RELEASE);
	BARRIER();
	r->busy = 0;
	/* not busy any more: record, woken, can take everything.  The
	 * reader's lines are looked at once per 1/16 of the ring, not per
	 * record: they are written by the other CPU. */
	if (MM_UNLIKELY(t->head >= t->check_at)) {
		t->check_at = t->head + ring_words / 16;
		t->tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		uint32_t pass = __atomic_load_n(&mmi_area->passes, __ATOMIC_RELAXED) + 1;

		if (t->head - t->tail > ring_words / WAKE_AT && t->woke != pass) {
			t->woke = pass;
			wake_record();
		}
	}
}

#define PUT(i, v) d[(at + (i)) & mask] = (uint64_t)(v)

static void say_hello(uint32_t flags)
{
	uint64_t *d, at, mask = ring_words - 1;
	struct mm_ring *r;

	if (!(d = begin(&r, 2, &at)))
		return;
	PUT(0, mmi_now());
	PUT(1, mm_ring_word1(MM_OP_HELLO, flags, 0));
	end(r);
}

void mmi_rec_free(unsigned op, uintptr_t site, const void *ptr)
{
	uint64_t *d, at, mask = ring_words - 1;
	struct mm_ring *r;

	if (MM_UNLIKELY(!(d = begin(&r, 3, &at))))
		return;
	PUT(0, mmi_now());
	PUT(1, mm_ring_word1(op, 0, site));
	PUT(2, (uintptr_t)ptr);
	end(r);
}

/* The frames of a record (ring.h) after its N words at AT. */
static inline void put_frames(uint64_t *d, uint64_t at, uint64_t mask, unsigned n,
			      const uint64_t *f, unsigned nf)
{
	d[(at + n) & mask] = nf;
	for (unsigned i = 0; i < nf; i++)
		d[(at + n + 1 + i) & mask] = f[i];
}

void mmi_rec_alloc(unsigned op, uintptr_t site, uintptr_t fp, size_t size, const void *result,
		   unsigned align_log2)
{
	uint64_t *d, at, mask = ring_words - 1, f[MM_RING_MAX_FRAMES];
	unsigned nf = frames_max ? walk(fp, f) : 0, extra = frames_max ? 1 + nf : 0;
	struct mm_ring *r;

	if (MM_UNLIKELY(!(d = begin(&r, 4 + extra, &at))))
		return;
	PUT(0, mmi_now());
	PUT(1, mm_ring_word1(op, align_log2, site));
	PUT(2, size);
	PUT(3, (uintptr_t)result);
	if (extra)
		put_frames(d, at, mask, 4, f, nf);
	end(r);
}

void mmi_rec_realloc(unsigned op, uintptr_t site, uintptr_t fp, const void *old, size_t size,
		     const void *result)
{
	uint64_t *d, at, mask = ring_words - 1, f[MM_RING_MAX_FRAMES];
	unsigned nf = frames_max ? walk(fp, f) : 0, extra = frames_max ? 1 + nf : 0;
	struct mm_ring *r;

	if (MM_UNLIKELY(!(d = begin(&r, 5 + extra, &at))))
		return;
	PUT(0, mmi_now());
	PUT(1, mm_ring_word1(op, 0, site));
	PUT(2, size);
	PUT(3, (uintptr_t)result);
	PUT(4, (uintptr_t)old);
	if (extra)
		put_frames(d, at, mask, 5, f, nf);
	end(r);
}

/* ---- set-up ---- */

/* The fork child: its own ring at once (the parent's belongs to the
 * parent's thread), and a hello that says it is a fork. */
static void on_fork_child(void)
{
	mmi_self.ring = NULL;
	mmi_self.depth = 0;
	mmi_self.no_ring = 0;
	if (mmi_area)
		claim_ring(MM_HELLO_FORK);
}

/* The rings an earlier image of this pid left: nobody writes them now. */
static void orphan_rings(pid_t pid)
{
	for (uint32_t i = 0; i < nr_rings; i++) {
		struct mm_ring *r = ring_at(i);
		uint32_t expect = MM_RING_ACTIVE;

		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == MM_RING_ACTIVE && r->pid == pid)
			__atomic_compare_exchange_n(&r->state, &expect, MM_RING_ORPHANED, 0,
						    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
}

/* Map the area's header and ring table that record handed down
 * (MM_RING_ENV): NULL when there is none, or it is not ours (the fd was
 * closed and reused). */
static struct mm_ring_area *map_area(void)
{
	const char *env = getenv(MM_RING_ENV);
	struct mm_ring_area head, *a;
	struct stat st;
	uint64_t size;
	long fd;
	char *end;

	if (!env || !*env)
		return NULL;
	errno = 0;
	fd = strtol(env, &end, 10);
	if (*end || errno || fd < 0 || fd > 1 << 20)
		return NULL;
	if (fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    pread((int)fd, &head, sizeof(head), 0) != (ssize_t)sizeof(head))
		return NULL;
	if (head.magic != MM_RING_MAGIC || head.version != MM_RING_VERSION ||
	    head.ring_words < 1024 || (head.ring_words & (head.ring_words - 1)) ||
	    !head.nr_rings || head.nr_rings > MAX_RINGS || head.first_ring < sizeof(head) ||
	    head.data_off < head.first_ring + (uint64_t)head.nr_rings * sizeof(struct mm_ring) ||
	    head.data_off % 4096)
		return NULL;
	size = head.data_off + 8ull * head.ring_words * head.nr_rings;
	if ((uint64_t)st.st_size < size)
		return NULL;
	/* our own fd for the rings' data: the program may close or reuse its */
	area_fd = fcntl((int)fd, F_DUPFD_CLOEXEC, 900);
	if (area_fd < 0)
		return NULL;
	a = mmap(NULL, head.data_off, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
	if (a == MAP_FAILED) {
		close(area_fd);
		area_fd = -1;
		return NULL;
	}
	nr_rings = head.nr_rings;
	ring_words = head.ring_words;
	first_ring = head.first_ring;
	data_off = head.data_off;
	frames_max = head.frames < MM_RING_MAX_FRAMES ? head.frames : MM_RING_MAX_FRAMES;
	return a;
}

#define RESOLVE(name) mmi_real.name = (__typeof__(mmi_real.name))dlsym(RTLD_NEXT, #name)

void mmi_init(void)
{
	int expect = 0;
	uint32_t flags = 0;

	/* Only one thread resolves; calls of others meanwhile (there are
	 * rarely any: the first call comes before a program starts threads)
	 * use the pool rather than wait, which could deadlock on the loader's
	 * lock. */
	if (!__atomic_compare_exchange_n(&init_state, &expect, 1, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	mmi_self.inside++;
	RESOLVE(malloc);
	RESOLVE(calloc);
	RESOLVE(realloc);
	RESOLVE(reallocarray);
	RESOLVE(free);
	RESOLVE(posix_memalign);
	RESOLVE(aligned_alloc);
	RESOLVE(memalign);
	RESOLVE(valloc);
	RESOLVE(pvalloc);
	/* the program's own malloc (linked in) is found before ours */
	if (dlsym(RTLD_DEFAULT, "malloc") != (void *)mmi_own_malloc)
		flags |= MM_HELLO_NOT_OURS;
	mmi_self.inside--;
	if (mmi_real.malloc && mmi_real.free && mmi_real.calloc && mmi_real.realloc) {
		struct mm_ring_area *a = map_area();

		if (a) {
			mmi_clock_tsc = a->clock == MM_RING_CLOCK_TSC;
			mmi_area = a;
			orphan_rings(getpid());
			mmi_self.inside++;      /* pthread_atfork may allocate */
			pthread_atfork(NULL, NULL, on_fork_child);
			mmi_self.inside--;
		}
		__atomic_store_n(&mmi_ready, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
	if (mmi_area && !mmi_self.ring)
		claim_ring(flags);
}

__attribute__((constructor)) static void at_load(void)
{
	if (!mmi_ready)
		mmi_init();
	else if (mmi_area && !mmi_self.ring)
		claim_ring(0);
}
