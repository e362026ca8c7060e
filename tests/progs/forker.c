/*
 * forker - faults of a parent and its forked child, each in its own region.
 *   forker [K]       K pages per region, default 16
 * The parent forks; the child mmaps its own K pages (MADV_NOHUGEPAGE),
 * writes each once and _exits(7); the parent mmaps its region after the
 * fork, writes each page once, waits for the child.
 * Prints (child first, the parent after waiting):
 *   child=PID region=HEX pages=K
 *   parent=PID child=PID region=HEX pages=K status=7
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile char *region(long k)
{
	size_t len = (size_t)k * 4096;
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		_exit(1);
	}
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (long i = 0; i < k; i++)
		p[i * 4096] = (char)i;
	return p;
}

int main(int argc, char **argv)
{
	long k = argc > 1 ? strtol(argv[1], NULL, 0) : 16;
	int st;

	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t c = fork();
	if (c < 0) {
		perror("fork");
		return 1;
	}
	if (c == 0) {
		volatile char *p = region(k);
		printf("child=%d region=%lx pages=%ld\n", (int)getpid(),
		       (unsigned long)p, k);
		_exit(7);
	}
	volatile char *p = region(k);
	if (waitpid(c, &st, 0) != c)
		return 1;
	printf("parent=%d child=%d region=%lx pages=%ld status=%d\n",
	       (int)getpid(), (int)c, (unsigned long)p, k,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
