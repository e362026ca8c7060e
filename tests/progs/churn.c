/*
 * churn: map 1 MiB, write every page, unmap it, over and over for SECONDS:
 * a steady stream of mmap/munmap lines and anon faults for tests that need
 * a recording to be long and busy (e.g. one killed half-way).
 *   churn SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double end = now() + (argc > 1 ? atof(argv[1]) : 1.0);
	const size_t len = 1 << 20;
	long rounds = 0;
	while (now() < end) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		madvise(p, len, MADV_NOHUGEPAGE);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;
		munmap(p, len);
		rounds++;
	}
	printf("rounds=%ld\n", rounds);
	return 0;
}
