/*
 * seed-malloc - the seed's malloc experiments 1-3 with glibc's real malloc.
 *   seed-malloc touch    malloc 12 KiB and write all of it (experiment 1)
 *   seed-malloc blocks   24 consecutive mallocs of 4 pages (experiment 2)
 *   seed-malloc grow     growing requests past the 128 KiB mmap threshold,
 *                        each freed at once (experiment 3)
 * stdout is unbuffered so that printf never mallocs: every brk/mmap the
 * trace shows comes from the experiment itself (or from ld.so before main).
 *
 * Output (one line per fact, key=value):
 *   touch:  heap_start=HEX heap_end=HEX ptr=HEX size=12288 pid=PID
 *   blocks: heap_start=HEX pid=PID, then per block
 *           block=I ptr=HEX size=16384 brk=HEX     (brk = sbrk(0) after it)
 *   grow:   heap_start=HEX pid=PID, then per request
 *           req=BYTES ptr=HEX via=mmap|heap brk=HEX
 *           (via from the chunk header's IS_MMAPPED bit, glibc's own record)
 * touch/blocks write the requested bytes; grow writes the first and the
 * last byte of each request only.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_mmapped(void *p)
{
	return (((size_t *)p)[-1] & 2) != 0;	/* glibc chunk IS_MMAPPED */
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "touch";

	setvbuf(stdout, NULL, _IONBF, 0);
	char *start = sbrk(0);

	if (!strcmp(mode, "touch")) {
		char *p = malloc(12288);
		if (!p)
			return 1;
		memset(p, 0x5a, 12288);
		printf("heap_start=%lx heap_end=%lx ptr=%lx size=12288 pid=%d\n",
		       (unsigned long)start, (unsigned long)sbrk(0),
		       (unsigned long)p, (int)getpid());
		free(p);
	} else if (!strcmp(mode, "blocks")) {
		printf("heap_start=%lx pid=%d\n", (unsigned long)start, (int)getpid());
		for (int i = 0; i < 24; i++) {
			char *p = malloc(16384);
			if (!p)
				return 1;
			memset(p, i, 16384);
			printf("block=%d ptr=%lx size=16384 brk=%lx\n", i,
			       (unsigned long)p, (unsigned long)sbrk(0));
		}
	} else if (!strcmp(mode, "grow")) {
		static const size_t req[] = {
			32768, 65536, 98304, 131072, 163840, 262144, 524288,
			1048576, 163840,
		};
		printf("heap_start=%lx pid=%d\n", (unsigned long)start, (int)getpid());
		for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
			volatile char *p = malloc(req[i]);
			if (!p)
				return 1;
			p[0] = 1;
			p[req[i] - 1] = 1;
			printf("req=%zu ptr=%lx via=%s brk=%lx\n", req[i],
			       (unsigned long)p, is_mmapped((void *)p) ? "mmap" : "heap",
			       (unsigned long)sbrk(0));
			free((void *)p);
		}
	} else {
		fprintf(stderr, "usage: seed-malloc touch|blocks|grow\n");
		return 2;
	}
	return 0;
}
