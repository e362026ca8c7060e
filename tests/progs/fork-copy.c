/*
 * fork-copy - what a fork copies, and what the child faults in again.
 *   fork-copy FILE [N]      FILE: at least 320 KiB; N anon pages (1000)
 * Before the fork the parent makes, each in a mapping of its own:
 *   anon     N anon pages (MADV_NOHUGEPAGE), every one written: fork
 *            copies their page tables, the child has them all
 *   fileread FILE's first 256 KiB mapped private read-only, every page
 *            read: no anonymous page, fork copies nothing of it
 *   filecow  FILE's next 64 KiB mapped private read-write, every page
 *            read, then the first written (copy-on-write): the mapping
 *            has anonymous memory, fork copies all of its pages
 *   shared   64 KiB MAP_SHARED|MAP_ANONYMOUS, every page written: fork
 *            copies nothing of a shared mapping
 * The child writes the first half of anon (copy-on-write: its RSS does not
 * change), reads fileread's first page again (the kernel maps it, and
 * fault-around its neighbours: 64 KiB by default), reads its VmRSS and
 * exits 0; the parent
 * waits for it.
 * Prints (addresses lowercase hex):
 *   anon=HEX fileread=HEX filecow=HEX shared=HEX pages=N pid=PID   (parent)
 *   child=PID                                  (the child)
 *   vmrss_kb=K                                 (the child's, read last)
 *   status=S                                   (the parent, after wait)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096ul
#define KB 1024ul

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

static volatile char *map(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fork-copy FILE [N]\n");
		return 2;
	}
	long n = argc > 2 ? strtol(argv[2], NULL, 0) : 1000;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0 || n <= 0) {
		perror(argv[1]);
		return 1;
	}
	volatile char *anon = map(n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise((void *)anon, n * PG, MADV_NOHUGEPAGE);
	for (long i = 0; i < n; i++)
		anon[i * PG] = (char)i;
	volatile char *fileread = map(256 * KB, PROT_READ, MAP_PRIVATE, fd, 0);
	volatile char *filecow = map(64 * KB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 256 * KB);
	volatile char *shared = map(64 * KB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned sum = 0;
	for (unsigned long o = 0; o < 256 * KB; o += PG)
		sum += fileread[o];
	for (unsigned long o = 0; o < 64 * KB; o += PG) {
		sum += filecow[o];
		shared[o] = 1;
	}
	filecow[0] = (char)sum;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("anon=%lx fileread=%lx filecow=%lx shared=%lx pages=%ld pid=%d\n",
	       (unsigned long)anon, (unsigned long)fileread, (unsigned long)filecow,
	       (unsigned long)shared, n, (int)getpid());
	pid_t c = fork();
	if (c < 0) {
		perror("fork");
		return 1;
	}
	if (c == 0) {
		for (long i = 0; i < n / 2; i++)
			anon[i * PG] = (char)(i + 1);
		sum += fileread[0];
		/* libc's code is the child's to fault in again (fork copied
		 * none of it): run what comes after the reading once before */
		printf("child=%d\n", (int)getpid());
		long kb = vmrss_kb();
		kb = vmrss_kb();
		printf("vmrss_kb=%ld\n", kb);
		_exit(sum == 0xffffffffu);
	}
	int st;
	if (waitpid(c, &st, 0) != c) {
		perror("waitpid");
		return 1;
	}
	printf("status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}
