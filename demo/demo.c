/*
 * demo - a tour of what memmon shows, in four short phases.  Record it:
 *     memmon record -- ./demo && memmon report
 * Each phase prints what it does; the report shows the brk/mmap/munmap
 * calls and the page faults each phase causes.  Runs in a few milliseconds.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

int main(void)
{
	/* Unbuffered: printf must not malloc, or it would show up in phase 1. */
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("demo: pid %d\n", (int)getpid());

	/* Phase 1: the seed's experiment 1 */
	char *start = sbrk(0);
	char *a = malloc(12 * 1024);
	if (!a)
		return 1;
	memset(a, 1, 12 * 1024);
	printf("phase 1: malloc(12 KiB) at %p and wrote all of it: the heap grew"
	       " by %ld KiB with one brk, yet only the pages written got memory"
	       " (look for anon page faults in %p..%p)\n",
	       (void *)a, (long)((char *)sbrk(0) - start) / 1024, (void *)start,
	       sbrk(0));

	/* Phase 2: small blocks come from the pad */
	char *before = sbrk(0);
	int grows = 0;
	for (int i = 0; i < 12; i++) {
		char *b = malloc(4 * PG);
		if (!b)
			return 1;
		b[0] = (char)i;
		char *now = sbrk(0);
		if (now != before)
			grows++;
		before = now;
	}
	printf("phase 2: 12 mallocs of 16 KiB: brk grew %d time(s), the rest came"
	       " from the heap's pad\n", grows);

	/* Phase 3: growing requests cross the 128 KiB mmap threshold */
	static const size_t req[] = { 64 * 1024, 256 * 1024, 512 * 1024, 1024 * 1024 };
	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
		volatile char *p = malloc(req[i]);
		if (!p)
			return 1;
		p[0] = 1;
		int mm = (((size_t *)p)[-1] & 2) != 0;
		printf("phase 3: malloc(%zu KiB) -> %p %s\n", req[i] / 1024, (void *)p,
		       mm ? "via mmap; free() gives it back with munmap"
			  : "from the heap");
		free((void *)p);
	}

	/* Phase 4: a file mapping read page by page */
	char path[] = "/tmp/memmon-demo-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	unlink(path);
	char buf[PG];
	memset(buf, 'm', sizeof buf);
	for (int i = 0; i < 16; i++)
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
			return 1;
	volatile char *f = mmap(NULL, 16 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f == MAP_FAILED)
		return 1;
	unsigned sum = 0;
	for (int i = 0; i < 16; i++)
		sum += (unsigned char)f[i * PG];
	printf("phase 4: mapped a 16-page file at %p and read every page"
	       " (file page faults; fault-around maps several pages per fault)"
	       " sum=%u\n", (void *)f, sum);
	munmap((void *)f, 16 * PG);
	close(fd);
	free(a);
	printf("demo: done\n");
	return 0;
}
