/*
 * record/interposer/entry.c - the allocation functions libmemmon-malloc.so
 * puts in front of the program's allocator: malloc, calloc, realloc,
 * reallocarray, free, posix_memalign, aligned_alloc, memalign, valloc,
 * pvalloc, and C++'s operator new and delete.
 *
 * Each calls the real function (interposer.h) and records the call with
 * its caller's return address as the call site, and an allocation with its
 * caller's frame pointer, from which interposer.c finds the callers when
 * record asks for them.  Operator new and delete
 * are wrapped too, so that a C++ allocation is recorded once, as new or
 * delete at the C++ caller, and not as the malloc inside libstdc++: the
 * real operator runs with mmi_self.inside raised, which makes the malloc
 * it calls pass through.  A bad_alloc thrown by the real operator unwinds
 * through our frame (the library is built with -fexceptions) and the
 * cleanup attribute lowers inside again.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

#define SITE() ((uintptr_t)__builtin_return_address(0))
/* The caller's frame pointer: what our own frame saved of its %rbp (a
 * function that asks for its frame address gets a frame, -O2 or not). */
#define CALLER_FP() (*(const uintptr_t *)__builtin_frame_address(0))

/* Not ready: resolve first; calls made while resolving use the pool. */
static inline int ready(void)
{
	if (MM_LIKELY(mmi_ready))
		return 1;
	mmi_init();
	return mmi_ready;
}

MM_EXPORT void *malloc(size_t size)
{
	uintptr_t site = SITE();
	uintptr_t fp = CALLER_FP();
	void *p;

	if (MM_UNLIKELY(!ready()))
		return mmi_boot_alloc(size, 16);
	if (!mmi_on())
		return mmi_real.malloc(size);
	p = mmi_real.malloc(size);
	mmi_rec_alloc(MM_OP_MALLOC, site, fp, size, p, 0);
	return p;
}

/* A hidden name for our own malloc, so that mmi_init() can tell whether
 * "malloc" in the program's scope is ours. */
extern __typeof__(malloc) mmi_own_malloc
	__attribute__((alias("malloc"), copy(malloc), visibility("hidden")));

MM_EXPORT void *calloc(size_t n, size_t elem)
{
	uintptr_t site = SITE();
	uintptr_t fp = CALLER_FP();
	size_t size;
	void *p;

	if (__builtin_mul_overflow(n, elem, &size))
		size = SIZE_MAX;
	if (MM_UNLIKELY(!ready())) {
		p = size == SIZE_MAX ? NULL : mmi_boot_alloc(size, 16);
		return p ? memset(p, 0, size) : NULL;   /* the pool is zero, but be sure */
	}
	if (!mmi_on())
		return mmi_real.calloc(n, elem);
	p = mmi_real.calloc(n, elem);
	mmi_rec_alloc(MM_OP_CALLOC, site, fp, size, p, 0);
	return p;
}

MM_EXPORT void free(void *ptr)
{
	if (MM_UNLIKELY(mmi_is_boot(ptr)))
		return;
	if (MM_UNLIKELY(!ready()))
		return;          /* nothing but pool memory exists yet */
	if (mmi_on())
		mmi_rec_free(MM_OP_FREE, SITE(), ptr);
	mmi_real.free(ptr);
}

/* realloc of a block from the pool: a fresh block of the real allocator. */
static void *boot_realloc(void *old, size_t size)
{
	size_t had;
	void *p;

	memcpy(&had, (unsigned char *)old - 16, sizeof(had));
	p = mmi_ready ? mmi_real.malloc(size) : mmi_boot_alloc(size, 16);
	if (p)
		memcpy(p, old, had < size ? had : size);
	return p;
}

MM_EXPORT void *realloc(void *old, size_t size)
{
	uintptr_t site = SITE();
	uintptr_t fp = CALLER_FP();
	void *p;

	if (MM_UNLIKELY(mmi_is_boot(old)))
		return boot_realloc(old, size);
	if (MM_UNLIKELY(!ready()))
		return old ? NULL : mmi_boot_alloc(size, 16);
	if (!mmi_on())
		return mmi_real.realloc(old, size);
	p = mmi_real.realloc(old, size);
	mmi_rec_realloc(MM_OP_REALLOC, site, fp, old, size, p);
	return p;
}

MM_EXPORT void *reallocarray(void *old, size_t n, size_t elem)
{
	uintptr_t site = SITE();
	uintptr_t fp = CALLER_FP();
	size_t size;
	void *p;

	if (__builtin_mul_overflow(n, elem, &size)) {
		errno = ENOMEM;
		return NULL;
	}
	if (MM_UNLIKELY(mmi_is_boot(old)))
		return boot_realloc(old, size);
	if (MM_UNLIKELY(!ready()) || !mmi_real.reallocarray)
		return realloc(old, size);
	if (!mmi_on())
		return mmi_real.reallocarray(old, n, elem);
	p = mmi_real.reallocarray(old, n, elem);
	mmi_rec_realloc(MM_OP_REALLOCARRAY, site, fp, old, size, p);
	return p;
}

MM_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	uintptr_t site = SITE();
	uintptr_t fp = CALLER_FP();
	int ret;

	if (MM_UNLIKELY(!ready())) {
		*out = mmi_boot_alloc(size, align);
		return *out ? 0 : ENOMEM;
	}
	if (!mmi_on())
		return mmi_real.posix_memalign(out, align, size);
	ret = mmi_real.posix_memalign(out, align, size);
	mmi_rec_alloc(MM_OP_POSIX_MEMALIGN, site, fp, size, ret ? NULL : *out, mmi_log2(align));
	return ret;
}

/* aligned_alloc, memalign, valloc, pvalloc: one shape. */
#define ALIGNED(name, op, params, args, align_expr, size_expr)			\
MM_EXPORT void *name params							\
{										\
	uintptr_t site = SITE();						\
	uintptr_t fp = CALLER_FP();						\
	void *p;								\
										\
	if (MM_UNLIKELY(!ready()))						\
		return mmi_boot_alloc(size_expr, align_expr);			\
	if (!mmi_real.name)							\
		return NULL;							\
	if (!mmi_on())								\
		return mmi_real.name args;					\
	p = mmi_real.name args;							\
	mmi_rec_alloc(op, site, fp, size_expr, p, mmi_log2(align_expr));	\
	return p;								\
}

ALIGNED(aligned_alloc, MM_OP_ALIGNED_ALLOC, (size_t align, size_t size), (align, size),
	align, size)
ALIGNED(memalign, MM_OP_MEMALIGN, (size_t align, size_t size), (align, size), align, size)
ALIGNED(valloc, MM_OP_VALLOC, (size_t size), (size), (size_t)getpagesize(), size)
ALIGNED(pvalloc, MM_OP_PVALLOC, (size_t size), (size), (size_t)getpagesize(), size)

/* ---- C++ ---- */

/* The real operators, looked up when first called: libstdc++ may be
 * loaded after us, or by dlopen() long after. */
enum { NEW, NEW_ARRAY, NEW_NT, NEW_ARRAY_NT, NEW_AL, NEW_ARRAY_AL, NEW_AL_NT,
       NEW_ARRAY_AL_NT, DEL, DEL_ARRAY, DEL_SIZED, DEL_ARRAY_SIZED, DEL_AL,
       DEL_ARRAY_AL, DEL_SIZED_AL, DEL_ARRAY_SIZED_AL, DEL_NT, DEL_ARRAY_NT, NR_CXX };
static const char *const cxx_names[NR_CXX] = {
	"_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t",
	"_ZnwmSt11align_val_t", "_ZnamSt11align_val_t",
	"_ZnwmSt11align_val_tRKSt9nothrow_t", "_ZnamSt11align_val_tRKSt9nothrow_t",
	"_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm", "_ZdlPvSt11align_val_t",
	"_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
	"_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t",
};
static void *cxx_real[NR_CXX];

static void leave(uint32_t *unused)
{
	(void)unused;
	mmi_self.inside--;
}

#define INSIDE() uint32_t inside_guard_ __attribute__((cleanup(leave), unused)) = mmi_self.inside++

static void *cxx(int which)
{
	void *f = __atomic_load_n(&cxx_real[which], __ATOMIC_ACQUIRE);

	if (MM_UNLIKELY(!f)) {
		INSIDE();
		f = dlsym(RTLD_NEXT, cxx_names[which]);
		__atomic_store_n(&cxx_real[which], f, __ATOMIC_RELEASE);
	}
	return f;
}

/* Without libstdc++ below us (it cannot happen for a program that calls
 * operator new, but a symbol lookup can fail): malloc, or abort as new
 * would on running out of memory. */
static void *new_fallback(size_t size, size_t align, int nothrow)
{
	void *p = NULL;

	if (align ? mmi_real.posix_memalign(&p, align, size ? size : 1) : !(p = mmi_real.malloc(size ? size : 1)))
		p = NULL;
	if (!p && !nothrow)
		abort();
	return p;
}

#define NEW_OP(sym, which, op, nothrow)						\
MM_EXPORT void *sym(size_t size)						\
{										\
	uintptr_t site = SITE();						\
	uintptr_t fp = CALLER_FP();						\
	void *(*f)(size_t) = (void *(*)(size_t))cxx(which);			\
	void *p;								\
	int on = mmi_ready && mmi_on();						\
										\
	{									\
		INSIDE();							\
		p = f ? f(size) : new_fallback(size, 0, nothrow);		\
	}									\
	if (on)									\
		mmi_rec_alloc(op, site, fp, size, p, 0);			\
	return p;								\
}

#define NEW_NT_OP(sym, which, op)						\
MM_EXPORT void *sym(size_t size, const void *nt)				\
{										\
	uintptr_t site = SITE();						\
	uintptr_t fp = CALLER_FP();						\
	void *(*f)(size_t, const void *) = (void *(*)(size_t, const void *))cxx(which); \
	void *p;								\
	int on = mmi_ready && mmi_on();						\
										\
	{									\
		INSIDE();							\
		p = f ? f(size, nt) : new_fallback(size, 0, 1);			\
	}									\
	if (on)									\
		mmi_rec_alloc(op, site, fp, size, p, 0);			\
	return p;								\
}

#define NEW_AL_OP(sym, which, op, nothrow)					\
MM_EXPORT void *sym(size_t size, size_t align, const void *nt)			\
{										\
	uintptr_t site = SITE();						\
	uintptr_t fp = CALLER_FP();						\
	void *(*f)(size_t, size_t, const void *) =				\
		(void *(*)(size_t, size_t, const void *))cxx(which);		\
	void *p;								\
	int on = mmi_ready && mmi_on();						\
										\
	{									\
		INSIDE();							\
		p = f ? f(size, align, nt) : new_fallback(size, align, nothrow);	\
	}									\
	if (on)									\
		mmi_rec_alloc(op, site, fp, size, p, mmi_log2(align));	\
	return p;								\
}

NEW_OP(_Znwm, NEW, MM_OP_NEW, 0)
NEW_OP(_Znam, NEW_ARRAY, MM_OP_NEW_ARRAY, 0)
NEW_NT_OP(_ZnwmRKSt9nothrow_t, NEW_NT, MM_OP_NEW)
NEW_NT_OP(_ZnamRKSt9nothrow_t, NEW_ARRAY_NT, MM_OP_NEW_ARRAY)
/* the aligned forms without nothrow take two arguments; a third one that
 * is never read costs nothing in the x86-64 and aarch64 calling conventions */
NEW_AL_OP(_ZnwmSt11align_val_t, NEW_AL, MM_OP_NEW, 0)
NEW_AL_OP(_ZnamSt11align_val_t, NEW_ARRAY_AL, MM_OP_NEW_ARRAY, 0)
NEW_AL_OP(_ZnwmSt11align_val_tRKSt9nothrow_t, NEW_AL_NT, MM_OP_NEW, 1)
NEW_AL_OP(_ZnamSt11align_val_tRKSt9nothrow_t, NEW_ARRAY_AL_NT, MM_OP_NEW_ARRAY, 1)

/* Every delete: (ptr, a, b) with a, b the size and/or alignment or
 * nothing, passed on as they came. */
#define DEL_OP(sym, which, op)							\
MM_EXPORT void sym(void *ptr, size_t a, size_t b)				\
{										\
	uintptr_t site = SITE();						\
	void (*f)(void *, size_t, size_t) = (void (*)(void *, size_t, size_t))cxx(which); \
										\
	if (mmi_ready && mmi_on())						\
		mmi_rec_free(op, site, ptr);					\
	INSIDE();								\
	if (f)									\
		f(ptr, a, b);							\
	else									\
		mmi_real.free(ptr);						\
}

DEL_OP(_ZdlPv, DEL, MM_OP_DELETE)
DEL_OP(_ZdaPv, DEL_ARRAY, MM_OP_DELETE_ARRAY)
DEL_OP(_ZdlPvm, DEL_SIZED, MM_OP_DELETE)
DEL_OP(_ZdaPvm, DEL_ARRAY_SIZED, MM_OP_DELETE_ARRAY)
DEL_OP(_ZdlPvSt11align_val_t, DEL_AL, MM_OP_DELETE)
DEL_OP(_ZdaPvSt11align_val_t, DEL_ARRAY_AL, MM_OP_DELETE_ARRAY)
DEL_OP(_ZdlPvmSt11align_val_t, DEL_SIZED_AL, MM_OP_DELETE)
DEL_OP(_ZdaPvmSt11align_val_t, DEL_ARRAY_SIZED_AL, MM_OP_DELETE_ARRAY)
DEL_OP(_ZdlPvRKSt9nothrow_t, DEL_NT, MM_OP_DELETE)
DEL_OP(_ZdaPvRKSt9nothrow_t, DEL_ARRAY_NT, MM_OP_DELETE_ARRAY)
