/*
 * file-map - file-backed page faults and copy-on-write.
 *   file-map PATH [PAGES]     PAGES defaults to 64
 * Creates PATH with PAGES pages of data, fsyncs it and drops it from the
 * page cache (posix_fadvise DONTNEED), then:
 *  1. read phase: mmap(PROT_READ, MAP_PRIVATE) the whole file,
 *     MADV_NOHUGEPAGE + MADV_RANDOM (no readahead), read one byte of every
 *     page in order;
 *  2. cow phase: mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE) the file again,
 *     MADV_NOHUGEPAGE, write page 10 (never read: fault on a not-present
 *     page, copied from the file), read page 20 then write it (file R fault,
 *     then a write-protect fault that copies).
 * Prints:
 *   file=PATH pages=N pid=PID fd=FD
 *   read_region=HEX len=BYTES cached_before=C cached_after=C2 sum=S
 *   cow_region=HEX len=BYTES write_first=10 read_then_write=20
 * cached_* count the file's pages in the page cache (mincore) before the
 * first read and after the last one.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

static long cached(void *p, size_t len)
{
	unsigned char vec[1024];
	long n = 0;

	if (len / PG > sizeof vec || mincore(p, len, vec))
		return -1;
	for (size_t i = 0; i < len / PG; i++)
		n += vec[i] & 1;
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: file-map PATH [PAGES]\n");
		return 2;
	}
	long pages = argc > 2 ? strtol(argv[2], NULL, 0) : 64;
	size_t len = (size_t)pages * PG;
	char buf[PG];

	setvbuf(stdout, NULL, _IONBF, 0);
	if (pages <= 0 || pages > 1024)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (long i = 0; i < pages; i++) {
		memset(buf, 'a' + i % 26, sizeof buf);
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
			perror("write");
			return 1;
		}
	}
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)) {
		perror("fsync/fadvise");
		return 1;
	}
	printf("file=%s pages=%ld pid=%d fd=%d\n", argv[1], pages, (int)getpid(), fd);

	/* 1. read phase */
	volatile char *r = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (r == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise((void *)r, len, MADV_NOHUGEPAGE);
	madvise((void *)r, len, MADV_RANDOM);
	long before = cached((void *)r, len);
	unsigned sum = 0;
	for (long i = 0; i < pages; i++)
		sum += (unsigned char)r[i * PG];
	printf("read_region=%lx len=%zu cached_before=%ld cached_after=%ld sum=%u\n",
	       (unsigned long)r, len, before, cached((void *)r, len), sum);

	/* 2. cow phase */
	volatile char *w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (w == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise((void *)w, len, MADV_NOHUGEPAGE);
	if (pages > 20) {
		w[10 * PG] = 'X';
		sum = (unsigned char)w[20 * PG];
		w[20 * PG] = (char)(sum + 1);
	}
	printf("cow_region=%lx len=%zu write_first=10 read_then_write=20\n",
	       (unsigned long)w, len);
	munmap((void *)w, len);
	munmap((void *)r, len);
	close(fd);
	return 0;
}
