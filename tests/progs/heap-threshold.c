/*
 * heap-threshold: glibc's dynamic mmap threshold moved by known calls,
 * for the malloc findings with record --malloc (t-malloc-findings.sh).
 * Prints its facts (key=value) at the end, after every call below.
 *
 *   cross_here(140000)   over the 128 KiB threshold: a mapping of its own
 *                        (143360 bytes), freed by free_a_here(): the
 *                        threshold rises to 143360
 *   big_here(300000)     over that: a mapping (303104 bytes), freed by
 *                        free_b_here(): the threshold rises to 303104
 *   mid_here(200000)     now under it: from the heap, which grows by brk
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define KEEP(p) __asm__ __volatile__("" : : "r"(p) : "memory")

__attribute__((noinline)) static void *cross_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

__attribute__((noinline)) static void *big_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

__attribute__((noinline)) static void *mid_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

__attribute__((noinline)) static void free_a_here(void *p)
{
	free(p);
	__asm__ __volatile__("" : : : "memory");     /* not a tail call */
}

__attribute__((noinline)) static void free_b_here(void *p)
{
	free(p);
	__asm__ __volatile__("" : : : "memory");     /* not a tail call */
}

int main(void)
{
	void *a = cross_here(140000);
	free_a_here(a);
	void *b = big_here(300000);
	free_b_here(b);
	void *c = mid_here(200000);
	printf("cross_fn=%lx big_fn=%lx mid_fn=%lx free_a_fn=%lx free_b_fn=%lx a=%lx b=%lx c=%lx\n",
	       (unsigned long)(uintptr_t)cross_here, (unsigned long)(uintptr_t)big_here,
	       (unsigned long)(uintptr_t)mid_here, (unsigned long)(uintptr_t)free_a_here,
	       (unsigned long)(uintptr_t)free_b_here, (unsigned long)(uintptr_t)a,
	       (unsigned long)(uintptr_t)b, (unsigned long)(uintptr_t)c);
	free(c);
	return 0;
}
