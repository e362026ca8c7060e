/*
 * heap-stacks: one malloc call site reached along different paths, for
 * the callers record --malloc takes where a program keeps frame pointers
 * (t-malloc-stacks.sh; built with -fno-omit-frame-pointer).  Every block
 * is leaked, so that --leaks lists each path.  Prints its facts
 * (key=value) at the end: the functions' addresses.
 *
 *   leaf(n):          the one site, malloc(n)
 *   from_a():         3 x leaf(100)            leaf <- from_a <- main
 *   from_b():         2 x leaf(200)            leaf <- from_b <- main
 *   thread_main():    1 x leaf(300)            leaf <- thread_main <- start_thread ...
 *   on_signal():      1 x leaf(400) on a sigaltstack: no callers (not the
 *                     thread's stack)
 *   deep(10):         1 x leaf(500), ten deep: leaf then 7 x deep
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP(p) __asm__ __volatile__("" : : "r"(p) : "memory")

static volatile int three = 3, two = 2;
static void *kept[16];
static int nr_kept;

__attribute__((noinline)) static void leaf(size_t n)
{
	void *p = malloc(n);
	KEEP(p);
	kept[nr_kept++] = p;
	__asm__ __volatile__("" ::: "memory");   /* no tail call: leaf's frame stays */
}

__attribute__((noinline)) static void from_a(void)
{
	for (int i = 0; i < three; i++)
		leaf(100);
	__asm__ __volatile__("" ::: "memory");
}

__attribute__((noinline)) static void from_b(void)
{
	for (int i = 0; i < two; i++)
		leaf(200);
	__asm__ __volatile__("" ::: "memory");
}

__attribute__((noinline)) static void *thread_main(void *arg)
{
	leaf(300);
	__asm__ __volatile__("" ::: "memory");
	return arg;
}

__attribute__((noinline)) static void on_signal(int sig)
{
	(void)sig;
	leaf(400);
	__asm__ __volatile__("" ::: "memory");
}

__attribute__((noinline)) static int deep(int n)
{
	if (n > 1)
		return deep(n - 1) + 1;
	leaf(500);
	__asm__ __volatile__("" ::: "memory");
	return 1;
}

static char alt[64 * 1024];

int main(void)
{
	pthread_t t;
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
	struct sigaction sa;

	from_a();
	from_b();
	if (pthread_create(&t, NULL, thread_main, NULL) || pthread_join(t, NULL))
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_ONSTACK;
	if (sigaltstack(&ss, NULL) || sigaction(SIGUSR1, &sa, NULL) || raise(SIGUSR1))
		return 1;
	deep(10);
	printf("leaf=%lx from_a=%lx from_b=%lx thread_main=%lx on_signal=%lx deep=%lx main=%lx\n",
	       (unsigned long)(uintptr_t)leaf, (unsigned long)(uintptr_t)from_a,
	       (unsigned long)(uintptr_t)from_b, (unsigned long)(uintptr_t)thread_main,
	       (unsigned long)(uintptr_t)on_signal, (unsigned long)(uintptr_t)deep,
	       (unsigned long)(uintptr_t)main);
	return 0;
}
