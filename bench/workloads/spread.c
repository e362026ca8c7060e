/* spread: many processes x many regions, for report's scaling (bench/).
 *
 *   spread [PROCS [REGIONS [PAGES]]]     default 4 256 4
 *
 * Forks PROCS children, one after another (each waited for).  Each child
 * maps REGIONS separate anonymous regions of PAGES pages (one unmapped page
 * between neighbours so they never merge), writes every page, then munmaps
 * every other region and exits.  Events per child: 2 x REGIONS x PAGES fault
 * events + ~3 x REGIONS syscall events + fork/exec/exit. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPORT(...) do { const char *lg = getenv("PB_LOG"); FILE *o = lg ? fopen(lg, "a") : (getenv("PB_VERBOSE") ? stderr : NULL); if (o) { fprintf(o, __VA_ARGS__); if (o != stderr) fclose(o); } } while (0)
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}

static int child(long regions, long pages)
{
	size_t pg = 4096, stride = (pages + 1) * pg;
	char *base = mmap(NULL, stride * regions, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) { perror("mmap"); return 1; }
	munmap(base, stride * regions);
	for (long r = 0; r < regions; r++) {
		char *p = mmap(base + r * stride, pages * pg, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED) { perror("mmap region"); return 1; }
		for (long i = 0; i < pages; i++)
			p[i * pg] = 1;
	}
	for (long r = 0; r < regions; r += 2)
		munmap(base + r * stride, pages * pg);
	return 0;
}

int main(int argc, char **argv)
{
	long procs = argc > 1 ? atol(argv[1]) : 4;
	long regions = argc > 2 ? atol(argv[2]) : 256;
	long pages = argc > 3 ? atol(argv[3]) : 4;
	double t0 = now();
	int bad = 0;
	for (long i = 0; i < procs; i++) {
		pid_t p = fork();
		if (p < 0) { perror("fork"); return 1; }
		if (p == 0) _exit(child(regions, pages));
		int st;
		waitpid(p, &st, 0);
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	}
	REPORT("spread: procs=%ld regions=%ld pages=%ld loop_ms=%.1f\n", procs, regions, pages, (now() - t0) * 1e3);
	return bad;
}
