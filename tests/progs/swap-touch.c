/*
 * swap-touch - real swap-in faults.  Needs active swap.
 *   swap-touch [N]     N pages, default 64
 * mmap N anonymous pages (MADV_NOHUGEPAGE), write each one, push them out
 * with MADV_PAGEOUT (retried up to 20 times until /proc/self/pagemap says
 * every page is swapped), then write one byte in each page again.
 * Prints:
 *   region=HEX len=BYTES pages=N pid=PID
 *   swapped=S present=P            (pagemap, right before the second touch)
 *   resident_after=R               (pagemap, after it)
 * Exits 3 when the pages could not all be swapped out (swapped < N).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static void scan(int pm, char *p, long n, long *swapped, long *present)
{
	*swapped = *present = 0;
	for (long i = 0; i < n; i++) {
		uint64_t e = 0;
		off_t off = (off_t)(((uintptr_t)p + i * 4096) / 4096) * 8;
		if (pread(pm, &e, 8, off) != 8)
			continue;
		*swapped += (e >> 62) & 1;
		*present += (e >> 63) & 1;
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 0) : 64;
	size_t len = (size_t)n * 4096;
	long sw = 0, pr = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	int pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0 || n <= 0) {
		perror("pagemap");
		return 1;
	}
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		p[i * 4096] = (char)(i + 1);
	printf("region=%lx len=%zu pages=%ld pid=%d\n", (unsigned long)p, len, n,
	       (int)getpid());
	for (int tries = 0; tries < 20; tries++) {
		if (madvise((void *)p, len, MADV_PAGEOUT)) {
			perror("madvise(MADV_PAGEOUT)");
			return 1;
		}
		scan(pm, (char *)p, n, &sw, &pr);
		if (sw == n)
			break;
		usleep(50000);
	}
	printf("swapped=%ld present=%ld\n", sw, pr);
	if (sw != n)
		return 3;
	for (long i = 0; i < n; i++)
		p[i * 4096] = (char)(i + 2);
	scan(pm, (char *)p, n, &sw, &pr);
	printf("resident_after=%ld\n", pr);
	munmap((void *)p, len);
	return 0;
}
