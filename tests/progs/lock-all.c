/*
 * lock-all - mlockall(MCL_CURRENT | MCL_FUTURE): every mapping made
 * resident at once, and every later one at its mmap or brk, none with a
 * fault of its own.
 *   lock-all FILE        FILE: at least 64 KiB
 * Maps, before the call: 64 KiB of anon memory never touched (untouched),
 * 64 KiB of FILE read-only never read (filemap), 64 KiB PROT_NONE (guard:
 * mlockall does not populate it).  Then mlockall, then: mmap 128 KiB anon
 * (future), malloc(300 KiB) (an mmap of its own: bigbuf), malloc(64 KiB)
 * from the heap (the brk grows, populated).
 * Prints:
 *   NAME=HEX NAME_len=BYTES  for untouched, filemap, guard, future, bigbuf
 *   lock_ret=R vmrss_kb=K pid=PID      (VmRSS read last)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define KB 1024ul

static void show(const char *name, const void *p, size_t len)
{
	printf("%s=%lx %s_len=%zu\n", name, (unsigned long)p, name, len);
}

static long vmrss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: lock-all FILE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	void *un = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *fm = mmap(NULL, 64 * KB, PROT_READ, MAP_PRIVATE, fd, 0);
	void *gd = mmap(NULL, 64 * KB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (un == MAP_FAILED || fm == MAP_FAILED || gd == MAP_FAILED)
		return 1;
	madvise(un, 64 * KB, MADV_NOHUGEPAGE);
	show("untouched", un, 64 * KB);
	show("filemap", fm, 64 * KB);
	show("guard", gd, 64 * KB);
	int r = mlockall(MCL_CURRENT | MCL_FUTURE);
	void *fu = mmap(NULL, 128 * KB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *big = malloc(300 * KB);
	char *small = malloc(64 * KB);
	if (fu == MAP_FAILED || !big || !small)
		return 1;
	show("future", fu, 128 * KB);
	show("bigbuf", big, 300 * KB);
	printf("lock_ret=%d ", r);
	printf("vmrss_kb=%ld pid=%d\n", vmrss_kb(), (int)getpid());
	return 0;
}
