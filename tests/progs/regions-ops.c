/*
 * regions-ops - every operation that reshapes an address space, with the
 * exact ranges they leave, for the region views (--regions, --maps-at,
 * --check-maps).
 *   regions-ops PATH        PATH: a file to create (8 pages) and map
 * All anonymous regions are MAP_PRIVATE|MAP_ANONYMOUS rw- with
 * MADV_NOHUGEPAGE on the whole region right after the mmap; every touch is
 * one byte of a page.  Between the phases the program sleeps 20 ms, so a
 * time between two phases is easy to pick from the log's -t timestamps.
 *  1. A: mmap 16 pages, write pages 0..9
 *  2. munmap pages 6..9 of A (the hole): A1 = pages 0..5, A2 = 10..15;
 *     write pages 10..15 (A2)
 *  3. B: mmap 12 pages, write pages 0..5
 *  4. mprotect pages 4..7 of B to r--: B1 = 0..3 rw-, B2 = 4..7 r--,
 *     B3 = 8..11 rw-; read pages 6 and 7 (B2), write page 8 (B3)
 *  5. C: reserve 32 pages (PROT_NONE), unmap them, mmap 8 pages at the
 *     same address (MAP_FIXED_NOREPLACE), write pages 0..7; mremap to 16
 *     pages without MREMAP_MAYMOVE (grows in place); write pages 8..15
 *  6. D: mmap 4 pages, write pages 0..3; R: mmap 8 pages PROT_NONE
 *     (NORESERVE); mremap(D, 4 pages, 6 pages, MAYMOVE|FIXED, R): D moves
 *     onto R's first 6 pages (R's last 2 stay, ---); write pages 4, 5
 *  7. madvise(A1 pages 0..1, DONTNEED); write A1 page 0 again
 *  8. F: the file, 8 pages, mmap MAP_SHARED rw-; write pages 0..3
 *  9. fork: the child munmaps F and _exits(3); the parent waits
 * 10. the parent reads page 7 of A, then page 6 (in the hole: SIGSEGV,
 *     caught, each): two faults outside every region, the later one at
 *     the lower address
 * Prints (the child its line first; HEX lowercase without 0x; ranges are
 * START-END, END exclusive):
 *   child=PID munmap=HEX len=BYTES
 *   pid=PID child=PID status=3 segv=2 outside=HEX outside_low=HEX
 *   A=S-E A1=S-E A2=S-E hole=S-E
 *   B=S-E B1=S-E B2=S-E B3=S-E
 *   C=S-E C_grown=S-E
 *   D_old=S-E D=S-E R=S-E R_left=S-E
 *   F=S-E file=PATH
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void die(const char *what)
{
	perror(what);
	_exit(1);
}

static char *anon(char *at, unsigned long pages, int prot, int flags)
{
	char *p = mmap(at, pages * PG, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if (prot != PROT_NONE && madvise(p, pages * PG, MADV_NOHUGEPAGE))
		die("madvise");
	return p;
}

static void wr(char *p, unsigned long from, unsigned long to)   /* pages [from, to] */
{
	for (unsigned long i = from; i <= to; i++)
		((volatile char *)p)[i * PG] = (char)i;
}

static void range(const char *name, const char *p, unsigned long from, unsigned long to)
{
	printf("%s=%lx-%lx", name, (unsigned long)p + from * PG, (unsigned long)p + to * PG);
}

static sigjmp_buf segv_jmp;
static volatile sig_atomic_t segv_seen;

static void on_segv(int sig)
{
	(void)sig;
	segv_seen++;
	siglongjmp(segv_jmp, 1);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: regions-ops PATH\n");
		return 2;
	}
	const char *path = argv[1];
	volatile char sink = 0;

	/* 1, 2: A and the hole */
	char *a = anon(NULL, 16, PROT_READ | PROT_WRITE, 0);
	wr(a, 0, 9);
	pause_ms(20);
	if (munmap(a + 6 * PG, 4 * PG))
		die("munmap");
	wr(a, 10, 15);
	pause_ms(20);

	/* 3, 4: B and the mprotect of its middle */
	char *b = anon(NULL, 12, PROT_READ | PROT_WRITE, 0);
	wr(b, 0, 5);
	pause_ms(20);
	if (mprotect(b + 4 * PG, 4 * PG, PROT_READ))
		die("mprotect");
	sink += ((volatile char *)b)[6 * PG];
	sink += ((volatile char *)b)[7 * PG];
	wr(b, 8, 8);
	pause_ms(20);

	/* 5: C grows in place */
	char *res = anon(NULL, 32, PROT_NONE, 0);
	if (munmap(res, 32 * PG))
		die("munmap");
	char *c = anon(res, 8, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE);
	if (c != res) {
		fprintf(stderr, "regions-ops: C not at %p\n", (void *)res);
		return 1;
	}
	wr(c, 0, 7);
	if (mremap(c, 8 * PG, 16 * PG, 0) != c)
		die("mremap grow");
	wr(c, 8, 15);
	pause_ms(20);

	/* 6: D moves onto R */
	char *d = anon(NULL, 4, PROT_READ | PROT_WRITE, 0);
	wr(d, 0, 3);
	char *r = anon(NULL, 8, PROT_NONE, MAP_NORESERVE);
	char *moved = mremap(d, 4 * PG, 6 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, r);
	if (moved != r)
		die("mremap move");
	wr(moved, 4, 5);
	pause_ms(20);

	/* 7: DONTNEED in A1, touch again */
	if (madvise(a, 2 * PG, MADV_DONTNEED))
		die("madvise");
	wr(a, 0, 0);
	pause_ms(20);

	/* 8: the file, shared */
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	char buf[PG];
	memset(buf, 'x', sizeof buf);
	for (int i = 0; i < 8; i++)
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
			die("write");
	char *f = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f == MAP_FAILED)
		die("mmap file");
	if (madvise(f, 8 * PG, MADV_NOHUGEPAGE))
		die("madvise");
	wr(f, 0, 3);
	pause_ms(20);

	/* 9: a child unmaps the file */
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		if (munmap(f, 8 * PG))
			die("munmap child");
		printf("child=%d munmap=%lx len=%lu\n", (int)getpid(), (unsigned long)f, 8 * PG);
		_exit(3);
	}
	int status = 0;
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	pause_ms(20);

	/* 10: a fault in the hole */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	char *outside = a + 7 * PG, *outside_low = a + 6 * PG;
	if (!sigsetjmp(segv_jmp, 1))
		sink += *(volatile char *)outside;
	if (!sigsetjmp(segv_jmp, 1))
		sink += *(volatile char *)outside_low;

	printf("pid=%d child=%d status=%d segv=%d outside=%lx outside_low=%lx\n", (int)getpid(),
	       (int)child, WIFEXITED(status) ? WEXITSTATUS(status) : -1, (int)segv_seen,
	       (unsigned long)outside, (unsigned long)outside_low);
	range("A", a, 0, 16); range(" A1", a, 0, 6); range(" A2", a, 10, 16);
	range(" hole", a, 6, 10); putchar('\n');
	range("B", b, 0, 12); range(" B1", b, 0, 4); range(" B2", b, 4, 8);
	range(" B3", b, 8, 12); putchar('\n');
	range("C", c, 0, 8); range(" C_grown", c, 0, 16); putchar('\n');
	range("D_old", d, 0, 4); range(" D", moved, 0, 6); range(" R", r, 0, 8);
	range(" R_left", r, 6, 8); putchar('\n');
	range("F", f, 0, 8); printf(" file=%s\n", path);
	close(fd);
	(void)sink;
	return 0;
}
