/*
 * swarm - many processes and threads at once, each faulting its own pages.
 *   swarm CHILDREN THREADS PAGES
 * Forks CHILDREN children that all run at the same time: each maps its own
 * PAGES anonymous pages (MADV_NOHUGEPAGE), writes each once and exits with
 * status 3.  Then starts THREADS threads that run at the same time, each
 * doing the same in a mapping of its own.  The parent waits for all.
 * Prints one line per child and per thread, then a total:
 *   child=PID region=HEX pages=K
 *   thread=I tid=TID region=HEX pages=K
 *   children=N exited3=N threads=M pid=PID
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long pages;
static pthread_barrier_t start;

static char *touch(void)
{
	size_t len = (size_t)pages * 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || madvise(p, len, MADV_NOHUGEPAGE)) {
		perror("swarm: mmap");
		exit(1);
	}
	for (long i = 0; i < pages; i++)
		((volatile char *)p)[i * 4096] = 1;
	return p;
}

static void *thread_main(void *arg)
{
	long i = (long)arg;
	pthread_barrier_wait(&start);
	char *p = touch();
	printf("thread=%ld tid=%ld region=%lx pages=%ld\n", i, (long)syscall(SYS_gettid),
	       (unsigned long)p, pages);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: swarm CHILDREN THREADS PAGES\n");
		return 2;
	}
	long children = atol(argv[1]), threads = atol(argv[2]), ok3 = 0;
	int go[2];
	pthread_t *t = calloc(threads ? threads : 1, sizeof(*t));

	pages = atol(argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(go) < 0)
		return 1;
	/* children start together: each waits for the pipe to close */
	for (long i = 0; i < children; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("swarm: fork");
			return 1;
		}
		if (pid == 0) {
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(1);
			char *p = touch();
			printf("child=%d region=%lx pages=%ld\n", (int)getpid(), (unsigned long)p, pages);
			fflush(stdout);
			_exit(3);
		}
	}
	close(go[0]);
	close(go[1]);
	for (long i = 0; i < children; i++) {
		int st;
		if (wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 3)
			ok3++;
	}
	pthread_barrier_init(&start, NULL, threads + 1);
	for (long i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)i)) {
			fprintf(stderr, "swarm: pthread_create failed\n");
			return 1;
		}
	pthread_barrier_wait(&start);
	for (long i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("children=%ld exited3=%ld threads=%ld pid=%d\n", children, ok3, threads, (int)getpid());
	free(t);
	return 0;
}
