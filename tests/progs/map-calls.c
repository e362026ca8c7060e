/*
 * map-calls - the calls that change a map besides mmap/munmap/mprotect/
 * mremap/brk: pkey_mprotect, mseal, remap_file_pages, process_madvise.
 *   map-calls FILE        FILE: at least 16 pages, written by the caller
 * Each works on a mapping of its own:
 *   keyed    16 anon pages rw; pkey_mprotect(pages 4-7, PROT_READ, key):
 *            key from pkey_alloc, or -1 without PKU (the syscall itself:
 *            glibc's wrapper calls mprotect for -1)
 *   sealed   8 anon pages rw; mseal(pages 2-3)        (errno when absent)
 *   remapped 8 pages of FILE, MAP_SHARED rw; remap_file_pages(page 0 ->
 *            file page 5): a 1-page mapping at offset 5 pages, then the rest
 *   advised  16 pages of FILE, MAP_PRIVATE read, every page read, then
 *            process_madvise(pidfd of self, pages 0-3 and 8-11, MADV_PAGEOUT):
 *            clean file pages the kernel may drop
 * Calls go through syscall(2): glibc 2.36 wraps neither mseal nor
 * process_madvise.
 * Prints:
 *   NAME=HEX NAME_len=BYTES for each; pkey=K (-1: none)
 *   seal_ret=R remap_ret=R madvise_ret=BYTES pid=PID
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PG 4096ul
#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static void show(const char *name, const void *p, size_t len)
{
	printf("%s=%lx %s_len=%zu\n", name, (unsigned long)p, name, len);
}

static long ret_of(long r)
{
	return r < 0 ? -errno : r;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: map-calls FILE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}

	char *pk = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int key = pkey_alloc(0, 0);
	if (syscall(SYS_pkey_mprotect, pk + 4 * PG, 4 * PG, PROT_READ, key)) {
		perror("pkey_mprotect");
		return 1;
	}
	show("keyed", pk, 16 * PG);
	printf("pkey=%d\n", key);

	char *se = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long seal = ret_of(syscall(SYS_mseal, se + 2 * PG, 2 * PG, 0));
	show("sealed", se, 8 * PG);

	char *rf = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	long remap = ret_of(remap_file_pages(rf, PG, 0, 5, 0));
	show("remapped", rf, 8 * PG);

	volatile const char *ad = mmap(NULL, 16 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned sum = 0;
	for (size_t i = 0; i < 16; i++)
		sum += (unsigned char)ad[i * PG];
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	struct iovec iov[2] = {
		{ (void *)ad, 4 * PG }, { (void *)(ad + 8 * PG), 4 * PG },
	};
	long adv = ret_of(syscall(SYS_process_madvise, pidfd, iov, 2, MADV_PAGEOUT, 0));
	show("advised", (const void *)ad, 16 * PG);
	printf("seal_ret=%ld remap_ret=%ld madvise_ret=%ld sum=%u pid=%d\n", seal, remap, adv,
	       sum, (int)getpid());
	return 0;
}
