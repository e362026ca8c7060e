/*
 * heap-calls: known allocator calls for record --malloc's tests
 * (t-malloc.sh).  Prints its facts as key=value.
 *
 *   heap-calls main
 *     leaks:  LEAKS blocks of LEAK_SIZE bytes from leak_here(), never freed
 *     temps:  TEMPS malloc/free pairs from temp_here() (heaptrack's
 *             temporaries: each freed before the thread allocates again)
 *     big:    one malloc(307200) (over glibc's mmap threshold: an mmap of
 *             its own), every one of its 75 pages written, then freed
 *     moved:  realloc of a 16-byte block to 4096 bytes with a block after
 *             it (glibc moves it)
 *     threads: THREADS threads, each PER_THREAD malloc/free of 64 bytes
 *   heap-calls fork-exec   a fork child that execs "heap-calls leaks 3 24"
 *   heap-calls clear-exec  the same, with LD_PRELOAD cleared before the exec
 *   heap-calls leaks N S   N leaks of S bytes from leak_here()
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEAKS 7
#define LEAK_SIZE 48
#define TEMPS 100
#define BIG 307200
#define THREADS 4
#define PER_THREAD 1000

/* the compiler may not drop or merge any of these calls */
#define KEEP(p) __asm__ __volatile__("" : : "r"(p) : "memory")

__attribute__((noinline)) static void *leak_here(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	return p;
}

__attribute__((noinline)) static void temp_here(void)
{
	void *p = malloc(200);
	KEEP(p);
	free(p);
}

__attribute__((noinline)) static void *thread_here(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		void *p = malloc(64);
		KEEP(p);
		free(p);
	}
	return NULL;
}

static void leaks(int n, size_t size)
{
	printf("leak_fn=%lx leaks=%d leak_size=%zu", (unsigned long)(uintptr_t)leak_here, n, size);
	for (int i = 0; i < n; i++) {
		void *p = leak_here(size);
		if (i < 3)
			printf(" leak%d=%lx", i, (unsigned long)(uintptr_t)p);
	}
	printf("\n");
}

static int child_exec(const char *self, bool clear)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (clear)
			unsetenv("LD_PRELOAD");
		execl(self, "heap-calls", "leaks", "3", "24", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child=%d\n", (int)c);
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid=%d\n", (int)getpid());
	if (argc > 1 && !strcmp(argv[1], "fork-exec"))
		return child_exec("/proc/self/exe", false);
	if (argc > 1 && !strcmp(argv[1], "clear-exec"))
		return child_exec("/proc/self/exe", true);
	if (argc > 3 && !strcmp(argv[1], "leaks")) {
		leaks(atoi(argv[2]), (size_t)atol(argv[3]));
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "main"))
		return fprintf(stderr, "usage: heap-calls main|fork-exec|clear-exec|leaks N S\n"), 2;
	leaks(LEAKS, LEAK_SIZE);
	printf("temp_fn=%lx temps=%d\n", (unsigned long)(uintptr_t)temp_here, TEMPS);
	for (int i = 0; i < TEMPS; i++)
		temp_here();
	volatile char *big = malloc(BIG);
	for (size_t off = 0; off < BIG; off += 4096)
		big[off] = 1;
	KEEP(big);
	printf("big=%lx big_size=%d\n", (unsigned long)(uintptr_t)big, BIG);
	free((void *)big);
	void *a = malloc(16), *blocker = malloc(16);
	KEEP(a);
	KEEP(blocker);
	uintptr_t from = (uintptr_t)a;
	void *b = realloc(a, 4096);
	KEEP(b);
	printf("moved_from=%lx moved_to=%lx\n", (unsigned long)from, (unsigned long)(uintptr_t)b);
	free(b);
	free(blocker);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, thread_here, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("thread_fn=%lx threads=%d per_thread=%d\n", (unsigned long)(uintptr_t)thread_here,
	       THREADS, PER_THREAD);
	return 0;
}
