/*
 * attach-target: a process for `memmon record -p` to attach to.  It prints
 * its pid, waits for SIGUSR1 (so the test can attach first), then maps
 * PAGES anonymous pages and writes one byte in each, forks a child that
 * does the same in its own mapping, prints what it did, and waits for
 * SIGTERM (so it is still alive when the recording stops).
 *   attach-target PAGES
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t go;
static void on_usr1(int sig) { (void)sig; go = 1; }

static char *touch_pages(long pages)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	madvise(p, pages * pg, MADV_NOHUGEPAGE);
	for (long i = 0; i < pages; i++)
		p[i * pg] = 1;
	return p;
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 16;
	sigset_t none, usr1;
	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	signal(SIGUSR1, on_usr1);
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	while (!go)
		sigsuspend(&none);

	char *p = touch_pages(pages);
	pid_t child = fork();
	if (child == 0) {
		char *c = touch_pages(pages);
		printf("child=%d child_region=%lx\n", (int)getpid(), (unsigned long)c);
		fflush(stdout);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	printf("region=%lx len=%ld done\n", (unsigned long)p, pages * sysconf(_SC_PAGESIZE));
	fflush(stdout);
	pause();        /* until the test's SIGTERM */
	return 0;
}
