/*
 * page-states - mappings whose pages the kernel holds in different ways,
 * for the PAGES snapshot (record/pages.c, t-pages.sh):
 *   anon    32 pages written (present, anonymous, dirty)
 *   file    16 pages of FILE, written, fsync'd, mapped read-only and read
 *           (page cache, clean, not anonymous)
 *   locked  8 pages written and mlock'ed (unevictable)
 *   big     80 MiB, the first page of each 2 MiB block written (40 pages):
 *           over record's 64 MiB limit, so sampled
 *   shared  8 pages written, then shared with a forked child (map count 2)
 * Every mapping has an unmapped page on each side (no merging with a
 * neighbour) and is 4 KiB pages (MADV_NOHUGEPAGE); all but shared are
 * MADV_DONTFORK, so the child shares nothing else of them.  The child
 * says it is ready, then waits for the parent to exit (EOF on a pipe) and
 * exits: the parent's END snapshot sees it alive.
 *   page-states FILE [hold]
 * hold: the parent then waits for a signal (for record -p, memmon watch).
 * Prints: anon=HEX file=HEX locked=HEX big=HEX shared=HEX child=PID pid=PID
 * and shared_mapcount=N, the smallest of the shared pages' counts in
 * /proc/kpagecount (the kernel's own figure, read by the program itself).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096ul

/* N pages with a hole on each side. */
static char *map_pages(size_t n)
{
	char *p = mmap(NULL, (n + 2) * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	munmap(p, PG);
	munmap(p + (n + 1) * PG, PG);
	p += PG;
	madvise(p, n * PG, MADV_NOHUGEPAGE);
	return p;
}

static char *map_file(const char *path, size_t n)
{
	char buf[PG];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *hole, *p;

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		memset(buf, (int)i + 1, sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			perror("write");
			exit(1);
		}
	}
	fsync(fd);                         /* clean page cache */
	hole = map_pages(n + 2);           /* a place with holes around */
	p = mmap(hole + PG, n * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap file");
		exit(1);
	}
	munmap(hole, PG);
	munmap(hole + (n + 1) * PG, PG);
	close(fd);
	return p;
}

/* The smallest map count of the N pages at P (0: unreadable). */
static uint64_t min_mapcount(const char *p, size_t n)
{
	int pm = open("/proc/self/pagemap", O_RDONLY), kc = open("/proc/kpagecount", O_RDONLY);
	uint64_t min = UINT64_MAX;

	for (size_t i = 0; pm >= 0 && kc >= 0 && i < n; i++) {
		uint64_t e = 0, c = 0;
		if (pread(pm, &e, 8, (off_t)((uintptr_t)p / PG + i) * 8) != 8 || !(e >> 63) ||
		    pread(kc, &c, 8, (off_t)(e & ((1ull << 55) - 1)) * 8) != 8)
			return 0;
		min = c < min ? c : min;
	}
	return min == UINT64_MAX ? 0 : min;
}

int main(int argc, char **argv)
{
	volatile char sink = 0;
	int ready[2], done[2];
	char *anon, *file, *locked, *big, *shared, c;
	pid_t child;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 2 && (argc != 3 || strcmp(argv[2], "hold"))) {
		fprintf(stderr, "usage: page-states FILE [hold]\n");
		return 2;
	}
	anon = map_pages(32);
	memset(anon, 1, 32 * PG);
	file = map_file(argv[1], 16);
	for (size_t i = 0; i < 16; i++)
		sink += file[i * PG];
	locked = map_pages(8);
	memset(locked, 2, 8 * PG);
	if (mlock(locked, 8 * PG)) {
		perror("mlock");
		return 1;
	}
	big = map_pages(20480);
	for (size_t b = 0; b < 40; b++)
		big[b * 512 * PG] = 3;
	shared = map_pages(8);
	memset(shared, 4, 8 * PG);
	madvise(anon, 32 * PG, MADV_DONTFORK);
	madvise(file, 16 * PG, MADV_DONTFORK);
	madvise(locked, 8 * PG, MADV_DONTFORK);
	madvise(big, 20480 * PG, MADV_DONTFORK);
	if (pipe(ready) || pipe(done)) {
		perror("pipe");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		close(ready[0]);
		close(done[1]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(done[0], &c, 1) > 0)
			;                  /* EOF: the parent is gone */
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "page-states: the child did not start\n");
		return 1;
	}
	printf("anon=%lx file=%lx locked=%lx big=%lx shared=%lx child=%d pid=%d\n",
	       (unsigned long)anon, (unsigned long)file, (unsigned long)locked,
	       (unsigned long)big, (unsigned long)shared, (int)child, (int)getpid());
	printf("shared_mapcount=%llu\n", (unsigned long long)min_mapcount(shared, 8));
	if (argc == 3)
		pause();
	return sink == 127;
}
