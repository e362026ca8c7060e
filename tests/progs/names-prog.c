/*
 * names-prog - code with names for report --sites and the region names
 * (issue 13).  Built with frame pointers (Makefile), as a PIE and, as
 * names-prog-nopie, as a fixed executable.
 *   names-prog DIR LIB     DIR: where it makes its data file, LIB: the
 *                          library to dlopen (libnames.so)
 * Each step is a noinline function of its own, so the faults and calls of
 * each are the function's and nobody else's:
 *   fill_anon       writes ANON_PAGES pages of a fresh anonymous mapping
 *                   (one anon W fault each)
 *   read_data       maps DIR/data (DATA_PAGES pages, dropped from the page
 *                   cache, MADV_RANDOM: no read-ahead, no fault-around),
 *                   unlinks it, reads every page (one file R fault each),
 *                   unmaps it: a file mapped and gone between snapshots
 *   map_direct      an mmap of MAP_PAGES pages made by a syscall
 *                   instruction of its own (no libc frame in the stack),
 *                   written by fill_anon
 *   grow_break      moves the break up by BRK_PAGES pages and back, by
 *                   syscall instructions of its own
 *   call_lib        dlopen(LIB), lib_touch(LIB_PAGES), dlclose
 * With NAMES_GO=PATH in its environment it waits, after printing its pid,
 * until PATH exists (a test lets it go once memmon watch added it).
 * Prints (stdout, unbuffered) key=value facts, addresses in hex without 0x:
 *   pid=PID anon=A anon_pages=N data=D data_pages=N data_path=PATH
 *   direct=M direct_pages=N brk_from=B brk_pages=N lib=L lib_pages=N
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096
#define ANON_PAGES 24
#define DATA_PAGES 12
#define MAP_PAGES 8
#define BRK_PAGES 5
#define LIB_PAGES 6

static volatile unsigned long sink;

static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10),
			 "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) static void fill_anon(char *p, int pages)
{
	for (int i = 0; i < pages; i++)
		p[(size_t)i * PG] = (char)i;
}

__attribute__((noinline)) static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		exit(1);
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

__attribute__((noinline)) static void read_data(const char *dir)
{
	char path[4096], buf[PG];
	unsigned long sum = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/data", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		exit(1);
	for (int i = 0; i < DATA_PAGES; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			exit(1);
	}
	fsync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	char *p = mmap(NULL, DATA_PAGES * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		exit(1);
	close(fd);
	unlink(path);
	madvise(p, DATA_PAGES * PG, MADV_NOHUGEPAGE);
	madvise(p, DATA_PAGES * PG, MADV_RANDOM);
	printf("data=%lx data_pages=%d data_path=%s\n", (unsigned long)p, DATA_PAGES, path);
	for (int i = 0; i < DATA_PAGES; i++)
		sum += (unsigned char)p[(size_t)i * PG];
	sink = sum;
	munmap(p, DATA_PAGES * PG);
}

__attribute__((noinline)) static void note(size_t len)
{
	sink = len;
}

/* A call makes it no leaf: gcc keeps a leaf function's frame pointer out
 * even with -fno-omit-frame-pointer, and its caller would drop out of the
 * stack the syscall instruction's walk starts from. */
__attribute__((noinline)) static char *map_direct(size_t len)
{
	note(len);
	long p = raw6(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		exit(1);
	return (char *)p;
}

__attribute__((noinline)) static void grow_break(void)
{
	note(0);
	long from = raw6(SYS_brk, 0, 0, 0, 0, 0, 0);

	printf("brk_from=%lx brk_pages=%d\n", (unsigned long)from, BRK_PAGES);
	raw6(SYS_brk, from + BRK_PAGES * PG, 0, 0, 0, 0, 0);
	raw6(SYS_brk, from, 0, 0, 0, 0, 0);
}

__attribute__((noinline)) static void call_lib(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW);
	unsigned long (*touch)(int);

	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		exit(1);
	}
	touch = (unsigned long (*)(int))dlsym(h, "lib_touch");
	if (!touch)
		exit(1);
	printf("lib=%lx lib_pages=%d\n", touch(LIB_PAGES), LIB_PAGES);
	dlclose(h);
}

int main(int argc, char **argv)
{
	char *a, *m;

	if (argc != 3) {
		fprintf(stderr, "usage: names-prog DIR LIB\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("pid=%d\n", (int)getpid());
	for (const char *go = getenv("NAMES_GO"); go && access(go, F_OK) < 0;)
		usleep(10000);
	a = map_anon(ANON_PAGES * PG);
	printf("anon=%lx anon_pages=%d\n", (unsigned long)a, ANON_PAGES);
	fill_anon(a, ANON_PAGES);
	read_data(argv[1]);
	m = map_direct(MAP_PAGES * PG);
	printf("direct=%lx direct_pages=%d\n", (unsigned long)m, MAP_PAGES);
	madvise(m, MAP_PAGES * PG, MADV_NOHUGEPAGE);
	fill_anon(m, MAP_PAGES);
	grow_break();
	call_lib(argv[2]);
	munmap(a, ANON_PAGES * PG);
	return 0;
}
