/*
 * anon-touch - map N anonymous pages (PRIVATE|ANON, rw-), keep them 4 KiB
 * (MADV_NOHUGEPAGE), write one byte in each page, unmap.
 *   anon-touch [N]        N defaults to 64
 * Prints: region=HEX len=BYTES pages=N pid=PID
 * Expected trace: mmap(0, N*4096, rw-, PRIVATE|ANON, fd -1) -> region,
 * madvise(region, len, NOHUGEPAGE) = 0, exactly N anon W faults inside the
 * region (one per page), munmap(region, len) = 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 0) : 64;
	size_t len = (size_t)n * 4096;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (n <= 0) {
		fprintf(stderr, "anon-touch: bad page count\n");
		return 2;
	}
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	if (madvise((void *)p, len, MADV_NOHUGEPAGE)) {
		perror("madvise");
		return 1;
	}
	for (long i = 0; i < n; i++)
		p[i * 4096] = (char)i;
	printf("region=%lx len=%zu pages=%ld pid=%d\n",
	       (unsigned long)p, len, n, (int)getpid());
	if (munmap((void *)p, len)) {
		perror("munmap");
		return 1;
	}
	return 0;
}
