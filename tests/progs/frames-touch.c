/*
 * frames-touch - first touches of fresh anonymous pages, to see which
 * physical frames served them (record --frames).
 *   frames-touch [N [THP]]   N defaults to 64; THP 1: a huge page too
 * 1. maps N pages (PRIVATE|ANON, rw-), keeps them 4 KiB (MADV_NOHUGEPAGE),
 *    writes one byte in each page, unmaps them: N anon W faults, each
 *    served by one order-0 frame, all N given back in the munmap.  Before
 *    the munmap, mbind(MPOL_BIND to node 0, MPOL_MF_MOVE) makes the kernel
 *    drain every CPU's LRU batch (lru_cache_disable: it moves nothing, all
 *    is on node 0 here): without it the batch of the CPU that faulted keeps
 *    a reference to up to 31 of the pages past munmap (Linux 6.18), and
 *    they are given back whenever that CPU drains it, often outside the
 *    trace.  drained=1 says mbind did it (0: no NUMA here).
 * 2. with THP 1: maps 4 MiB, takes its 2 MiB-aligned half
 *    (MADV_HUGEPAGE), writes one byte at its start: one fault served by
 *    one order-9 frame (x86_64, 4 KiB pages); unmaps the 4 MiB.
 * Prints: region=HEX len=BYTES pages=N pid=PID drained=0|1, then (THP) thp=HEX
 * thp_len=BYTES, the first only once the pages are touched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_BIND     2
#define MPOL_MF_MOVE  (1 << 1)

#define HUGE (2ul << 20)

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 0) : 64;
	int thp = argc > 2 && atoi(argv[2]) == 1;
	size_t len = (size_t)n * 4096;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (n <= 0) {
		fprintf(stderr, "frames-touch: bad page count\n");
		return 2;
	}
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || madvise((void *)p, len, MADV_NOHUGEPAGE)) {
		perror("mmap/madvise");
		return 1;
	}
	for (long i = 0; i < n; i++)
		p[i * 4096] = (char)i;
	unsigned long node0 = 1;
	int drained = syscall(SYS_mbind, (void *)p, len, MPOL_BIND, &node0, 2ul,
			      MPOL_MF_MOVE) == 0;
	printf("region=%lx len=%zu pages=%ld pid=%d drained=%d\n",
	       (unsigned long)p, len, n, (int)getpid(), drained);
	if (munmap((void *)p, len)) {
		perror("munmap");
		return 1;
	}
	if (!thp)
		return 0;
	char *big = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	volatile char *h = (char *)(((uintptr_t)big + HUGE - 1) & ~(HUGE - 1));
	if (madvise((void *)h, HUGE, MADV_HUGEPAGE)) {
		perror("madvise");
		return 1;
	}
	h[0] = 1;
	printf("thp=%lx thp_len=%lu\n", (unsigned long)h, HUGE);
	munmap(big, 2 * HUGE);
	return 0;
}
