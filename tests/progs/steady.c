/*
 * steady MS SECONDS - fault at a steady rate: one fresh page of its own
 * region written every MS milliseconds for SECONDS seconds (or until
 * SIGTERM/SIGINT), so that a recording that watches it for a while sees
 * faults from its first moment to its last.
 *
 * Prints at once (flushed): pid= region= len=; at the end: touched=N.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#define PAGE 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 1, secs = argc > 2 ? atol(argv[2]) : 10;
	size_t pages = (size_t)(secs * 1000 / (ms > 0 ? ms : 1)) + 16;
	struct timespec step = { ms / 1000, (ms % 1000) * 1000000 };
	char *r;
	size_t i = 0;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	r = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise(r, pages * PAGE, MADV_NOHUGEPAGE);
	printf("pid=%d region=%lx len=%zu\n", (int)getpid(), (unsigned long)r, pages * PAGE);
	fflush(stdout);
	for (; !stop && i < pages - 16; i++) {
		r[i * PAGE] = 1;
		nanosleep(&step, NULL);
	}
	printf("touched=%zu\n", i);
	return 0;
}
