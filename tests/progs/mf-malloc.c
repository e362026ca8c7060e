/*
 * mf-malloc - provokes one malloc finding per mode, with glibc's real malloc
 * (the sequences were checked with strace):
 *   churn      mallopt(M_MMAP_THRESHOLD, 128 KiB) (fixes the threshold), then
 *              12 x malloc(256 KiB)+free: 12 mmap/munmap pairs of one size
 *   dynamic    malloc(200 KiB)+free (mmap, munmap: threshold -> 204 KiB),
 *              then malloc(200 KiB) comes from the heap (brk grows)
 *   overcommit mmap 256 MiB, touch 4 pages
 *   enomem     RLIMIT_AS 256 MiB, malloc(512 MiB): mmap, brk, mmap all fail
 *   trim       5 x (malloc 512 KiB from the heap, write it, free: brk trims)
 *   headers    fixed threshold; 4 x malloc(256 KiB) never written
 *   held       12 x malloc(256 KiB), each written, all held, then all freed:
 *              12 mmap/munmap pairs, none mapped again after a free
 *   bigchurn   9 x (malloc(40 MiB), write its first page, free): over the
 *              32 MiB the threshold can reach, each is an mmap and a munmap
 * stdout unbuffered (printf must not malloc).  Prints pid=PID and facts.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static void churn(void)
{
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	for (int i = 0; i < 12; i++) {
		volatile char *p = malloc(256 * 1024);
		p[0] = 1;
		free((void *)p);
	}
}

static void dynamic(void)
{
	for (int i = 0; i < 2; i++) {
		volatile char *p = malloc(200 * 1024);
		p[0] = 1;
		printf("req=%d ptr=%lx\n", i, (unsigned long)p);
		free((void *)p);
	}
}

static void overcommit(void)
{
	char *p = mmap(NULL, 256ul << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		exit(1);
	for (int i = 0; i < 4; i++)
		p[(64ul << 20) * i] = 1;
	printf("map=%lx len=%lu\n", (unsigned long)p, 256ul << 20);
}

static void enomem(void)
{
	struct rlimit rl = { 256ul << 20, 256ul << 20 };
	setrlimit(RLIMIT_AS, &rl);
	void *p = malloc(512ul << 20);
	printf("ptr=%lx\n", (unsigned long)p);
}

static void trim(void)
{
	mallopt(M_MMAP_THRESHOLD, 4 << 20);     /* keep 512 KiB on the heap */
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
	for (int i = 0; i < 5; i++) {
		char *p = malloc(512 * 1024);
		memset(p, 1, 512 * 1024);
		__asm__ volatile("" : : "r"(p) : "memory");   /* keep the malloc */
		free(p);
	}
}

static void headers(void)
{
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	for (int i = 0; i < 4; i++)
		printf("ptr=%lx\n", (unsigned long)malloc(256 * 1024));
}

static void held(void)
{
	volatile char *p[12];
	for (int i = 0; i < 12; i++) {
		p[i] = malloc(256 * 1024);
		p[i][0] = 1;
	}
	for (int i = 0; i < 12; i++)
		free((void *)p[i]);
}

static void bigchurn(void)
{
	for (int i = 0; i < 9; i++) {
		volatile char *p = malloc(40ul << 20);
		p[0] = 1;
		free((void *)p);
	}
}

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*fn)(void); } modes[] = {
		{ "churn", churn }, { "dynamic", dynamic }, { "overcommit", overcommit },
		{ "enomem", enomem }, { "trim", trim }, { "headers", headers },
		{ "held", held }, { "bigchurn", bigchurn },
	};
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("pid=%d\n", (int)getpid());
	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name)) {
			modes[i].fn();
			return 0;
		}
	fprintf(stderr, "usage: mf-malloc churn|dynamic|overcommit|enomem|trim|headers|held|bigchurn\n");
	return 2;
}
