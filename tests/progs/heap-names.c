/*
 * heap-names: allocator calls from named functions, for the names of
 * malloc call sites in report --leaks, --allocations and the log
 * (t-malloc-names.sh).  Prints its facts (key=value) at the end.
 *
 *   map_blocks():  one malloc(307200) (over glibc's mmap threshold: an
 *                  mmap of its own), its pages written, freed by
 *                  unmap_blocks()
 *   two_sites():   two call sites in one function: 3 x malloc(100) at
 *                  the first, 2 x malloc(200) at the second, all leaked
 *                  (700 bytes: one function, two rows)
 *   leak_calloc(): 5 x calloc(4, 30), leaked (600 bytes: more than
 *                  either of two_sites' rows, less than both)
 *   temp_here():   10 x malloc(32) freed at once: 10 temporaries
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP(p) __asm__ __volatile__("" : : "r"(p) : "memory")

static void *kept[16];
static int nr_kept;
/* the loops' counts, unknown to the compiler: one call instruction each */
static volatile int three = 3, two = 2, five = 5, ten = 10;

__attribute__((noinline)) static void *map_blocks(size_t n)
{
	char *p = malloc(n);
	KEEP(p);
	if (p)
		memset(p, 1, n);
	return p;
}

__attribute__((noinline)) static void unmap_blocks(void *p)
{
	KEEP(p);
	free(p);
}

__attribute__((noinline)) static void two_sites(void)
{
	for (int i = 0; i < three; i++) {
		void *p = malloc(100);
		KEEP(p);
		kept[nr_kept++] = p;
	}
	for (int i = 0; i < two; i++) {
		void *p = malloc(200);
		KEEP(p);
		kept[nr_kept++] = p;
	}
}

__attribute__((noinline)) static void leak_calloc(void)
{
	for (int i = 0; i < five; i++) {
		void *p = calloc(4, 30);
		KEEP(p);
		kept[nr_kept++] = p;
	}
}

__attribute__((noinline)) static void temp_here(void)
{
	void *p = malloc(32);
	KEEP(p);
	free(p);
}

int main(void)
{
	void *big = map_blocks(307200);
	unmap_blocks(big);
	two_sites();
	leak_calloc();
	for (int i = 0; i < ten; i++)
		temp_here();
	printf("big=%lx map_blocks=%lx unmap_blocks=%lx two_sites=%lx leak_calloc=%lx "
	       "temp_here=%lx\n", (unsigned long)(uintptr_t)big,
	       (unsigned long)(uintptr_t)map_blocks, (unsigned long)(uintptr_t)unmap_blocks,
	       (unsigned long)(uintptr_t)two_sites, (unsigned long)(uintptr_t)leak_calloc,
	       (unsigned long)(uintptr_t)temp_here);
	return 0;
}
