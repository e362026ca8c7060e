/*
 * heap-attach: known allocator calls made after `memmon record --malloc
 * -p` attached (t-malloc-attach.sh).  It prints its facts (key=value),
 * starts a thread, and both wait for SIGUSR1; then:
 *
 *   main:    1000 x (attach_here(64), free)   leak_here(48) x 10, never freed
 *            realloc_here: realloc(NULL, 100) (glibc calls malloc inside:
 *            one call all the same), then realloc of it to 5000, freed
 *            calloc_here(10, 10), freed
 *   thread started before the attach: 100 x (before_here(32), free)
 *   thread started after it:           200 x (after_here(16), free)
 *   fork child: leak_here(24) x 5, then _exit
 *
 * then prints "done" and exits (the recording ends with it).
 *   heap-attach [wait]   wait: after "done", wait for SIGTERM instead
 */
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEP(p) __asm__ __volatile__("" : : "r"(p) : "memory")

static volatile sig_atomic_t go;
static void on_usr1(int sig) { (void)sig; go = 1; }

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int released;

#define HERE(name, ...)									\
	__attribute__((noinline)) static void *name(size_t n)				\
	{										\
		void *p = malloc(n);							\
		KEEP(p);								\
		return p;								\
	}
HERE(attach_here)
HERE(leak_here)
HERE(before_here)
HERE(after_here)

__attribute__((noinline)) static void *realloc_here(void *p, size_t n)
{
	void *q = realloc(p, n);
	KEEP(q);
	return q;
}

__attribute__((noinline)) static void *calloc_here(size_t n, size_t m)
{
	void *p = calloc(n, m);
	KEEP(p);
	return p;
}

static void *before_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!released)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < 100; i++)
		free(before_here(32));
	return NULL;
}

static void *after_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++)
		free(after_here(16));
	return NULL;
}

int main(int argc, char **argv)
{
	bool wait_end = argc > 1 && !strcmp(argv[1], "wait");
	sigset_t none, usr1;
	pthread_t before, after;

	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	signal(SIGUSR1, on_usr1);
	pthread_create(&before, NULL, before_thread, NULL);
	printf("pid=%d malloc=%lx attach_fn=%lx leak_fn=%lx before_fn=%lx after_fn=%lx "
	       "realloc_fn=%lx calloc_fn=%lx\n", (int)getpid(), (unsigned long)(uintptr_t)malloc,
	       (unsigned long)(uintptr_t)attach_here, (unsigned long)(uintptr_t)leak_here,
	       (unsigned long)(uintptr_t)before_here, (unsigned long)(uintptr_t)after_here,
	       (unsigned long)(uintptr_t)realloc_here, (unsigned long)(uintptr_t)calloc_here);
	fflush(stdout);
	while (!go)
		sigsuspend(&none);

	pthread_mutex_lock(&mu);
	released = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < 1000; i++)
		free(attach_here(64));
	for (int i = 0; i < 10; i++)
		KEEP(leak_here(48));
	void *r = realloc_here(NULL, 100);
	r = realloc_here(r, 5000);
	free(r);
	free(calloc_here(10, 10));
	pthread_create(&after, NULL, after_thread, NULL);
	pthread_join(before, NULL);
	pthread_join(after, NULL);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		for (int i = 0; i < 5; i++)
			KEEP(leak_here(24));
		_exit(0);
	}
	if (c < 0)
		perror("fork");
	waitpid(c, NULL, 0);
	printf("child=%d done\n", (int)c);
	fflush(stdout);
	if (wait_end)
		pause();
	return 0;
}
