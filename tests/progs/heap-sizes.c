/*
 * heap-sizes: allocator calls with known sizes, peak and temporaries for
 * report --allocations' tests (t-malloc-allocs.sh).  Prints its facts
 * (key=value) only at the end, so that stdio's buffer is not live before.
 *
 *   sized:  25 blocks from sized_here(): 0, 1, 1, 24 x10, 100 x5, 4096 x3,
 *           5000 x3 and 200000 (over glibc's mmap threshold), all live at
 *           once, then freed in the order they were allocated (the last,
 *           the 200000, is a temporary: no allocation since its own)
 *   peak:   4 x 250000 from peak_here() and 2 x 1000 from small_here(),
 *           all live at once: the process's peak (1002000 bytes), then
 *           freed in order (the last small one is a temporary)
 *   temps:  50 x (malloc(32), free) from temp_here(): 50 temporaries;
 *           20 x (p = p_here(48), q = q_here(48), free p, free q): q is
 *           a temporary each time, p never
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define KEEP(p) __asm__ __volatile__("" : : "r"(p) : "memory")

__attribute__((noinline)) static void *sized_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

__attribute__((noinline)) static void *peak_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

__attribute__((noinline)) static void *small_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

__attribute__((noinline)) static void temp_here(void)
{
	void *p = malloc(32);
	KEEP(p);
	free(p);
}

__attribute__((noinline)) static void *p_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

__attribute__((noinline)) static void *q_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

int main(void)
{
	static const size_t sizes[] = { 0, 1, 1, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24,
					100, 100, 100, 100, 100, 4096, 4096, 4096, 5000, 5000,
					5000, 200000 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	void *b[NS], *pk[6];

	for (int i = 0; i < NS; i++)
		b[i] = sized_here(sizes[i]);
	for (int i = 0; i < NS; i++)
		free(b[i]);
	for (int i = 0; i < 4; i++)
		pk[i] = peak_here(250000);
	for (int i = 4; i < 6; i++)
		pk[i] = small_here(1000);
	for (int i = 0; i < 6; i++)
		free(pk[i]);
	for (int i = 0; i < 50; i++)
		temp_here();
	for (int i = 0; i < 20; i++) {
		void *p = p_here(48), *q = q_here(48);
		free(p);
		free(q);
	}
	printf("sized_fn=%lx peak_fn=%lx small_fn=%lx temp_fn=%lx p_fn=%lx q_fn=%lx\n",
	       (unsigned long)(uintptr_t)sized_here, (unsigned long)(uintptr_t)peak_here,
	       (unsigned long)(uintptr_t)small_here, (unsigned long)(uintptr_t)temp_here,
	       (unsigned long)(uintptr_t)p_here, (unsigned long)(uintptr_t)q_here);
	return 0;
}
