/*
 * rg-steps - anonymous memory that grows and shrinks in known steps, for
 * the timeline.
 *   rg-steps [PHASES] [MIB] [SLEEP_MS]    defaults: 4 phases of 25 MiB, 100 ms
 * Sleeps SLEEP_MS, then PHASES times: mmap MIB MiB (PRIVATE|ANON, rw-),
 * MADV_NOHUGEPAGE, write one byte of every page, sleep SLEEP_MS.  Then
 * munmaps the first half of the regions (PHASES/2), sleeps, munmaps the
 * rest, sleeps, and exits.  Nothing else maps or touches memory in between
 * (stdout is unbuffered; everything is printed at the end).
 * Prints: pid=PID phases=N chunk=BYTES pages=PAGES sleep_ms=MS
 *         region0=HEX region1=HEX ...   (one line)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL
#define MAX_PHASES 16

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	long phases = argc > 1 ? strtol(argv[1], NULL, 0) : 4;
	long mib = argc > 2 ? strtol(argv[2], NULL, 0) : 25;
	long ms = argc > 3 ? strtol(argv[3], NULL, 0) : 100;
	size_t len = (size_t)mib << 20;
	char *r[MAX_PHASES];

	setvbuf(stdout, NULL, _IONBF, 0);
	if (phases < 2 || phases > MAX_PHASES || mib <= 0 || ms < 0) {
		fprintf(stderr, "usage: rg-steps [PHASES 2..16] [MIB] [SLEEP_MS]\n");
		return 2;
	}
	pause_ms(ms);
	for (long i = 0; i < phases; i++) {
		r[i] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r[i] == MAP_FAILED || madvise(r[i], len, MADV_NOHUGEPAGE)) {
			perror("mmap/madvise");
			return 1;
		}
		for (size_t off = 0; off < len; off += PG)
			((volatile char *)r[i])[off] = 1;
		pause_ms(ms);
	}
	for (long i = 0; i < phases; i++) {
		if (munmap(r[i], len)) {
			perror("munmap");
			return 1;
		}
		if (i == phases / 2 - 1)
			pause_ms(ms);
	}
	pause_ms(ms);
	printf("pid=%d phases=%ld chunk=%zu pages=%zu sleep_ms=%ld\n", (int)getpid(), phases,
	       len, len / PG, ms);
	for (long i = 0; i < phases; i++)
		printf("%sregion%ld=%lx", i ? " " : "", i, (unsigned long)r[i]);
	putchar('\n');
	return 0;
}
