/*
 * resident-mix - pages that become resident without a fault of their own,
 * and pages that leave, in one process.
 *   resident-mix FILE       FILE: at least 2 MiB, in the page cache or not
 * In order, each in a mapping of its own:
 *   read     malloc(4 MiB) then read() FILE into it: the kernel faults
 *            every page in (kernel-mode faults in read)
 *   filemap  mmap FILE's first 1 MiB read-only, read one byte per 64 KiB:
 *            fault-around maps the rest (16 faults, 256 pages)
 *   filepop  mmap FILE's second MiB with MAP_POPULATE: 256 pages, no fault
 *   mlock    mmap 128 KiB anon, mlock(): 32 pages, no fault
 *   populate mmap 256 KiB anon with MAP_POPULATE: 64 pages, no fault
 *   popwrite mmap 256 KiB anon, MADV_POPULATE_WRITE: 64 pages, no fault
 *   thp      mmap 8 MiB anon, MADV_HUGEPAGE on its 2 MiB-aligned middle
 *            4 MiB, write 1024 pages there: 2 faults of 512 pages each
 *            when the kernel has huge pages to give (thp_kb says)
 *   shared   mmap 64 KiB MAP_SHARED|MAP_ANONYMOUS, write every page (shmem)
 *   dropped  mmap 256 KiB anon, write it, MADV_DONTNEED the second half
 *   freed    mmap 256 KiB anon, write it, MADV_FREE all of it: the pages
 *            stay mapped until the kernel is short of memory (64)
 *   unmapped mmap 256 KiB anon, write it, munmap it
 * Prints (addresses lowercase hex; lengths in bytes):
 *   NAME=HEX NAME_len=BYTES ...   for each mapping above (unmapped too)
 *   thp_kb=K                      AnonHugePages of the thp mapping (smaps)
 *   vmrss_kb=K rssanon_kb=A rssfile_kb=F rssshmem_kb=S pid=PID
 *                                 /proc/self/status, read last, at exit
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define KB 1024ul
#define MB (1024 * KB)

static void show(const char *name, const void *p, size_t len)
{
	printf("%s=%lx %s_len=%zu\n", name, (unsigned long)p, name, len);
}

static void *anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	if (!(flags & MAP_POPULATE))
		madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* AnonHugePages of the smaps entry holding ADDR, in KiB. */
static long huge_kb(const void *addr)
{
	char line[512];
	unsigned long a = (unsigned long)addr, lo, hi;
	int in = 0;
	long kb = 0;
	FILE *f = fopen("/proc/self/smaps", "r");
	while (f && fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && !strncmp(line, "AnonHugePages:", 14))
			kb = strtol(line + 14, NULL, 10);
	}
	if (f)
		fclose(f);
	return kb;
}

static void status(void)
{
	static const char *const keys[] = { "VmRSS:", "RssAnon:", "RssFile:", "RssShmem:" };
	static const char *const names[] = { "vmrss_kb", "rssanon_kb", "rssfile_kb", "rssshmem_kb" };
	long v[4] = { -1, -1, -1, -1 };
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		for (int i = 0; i < 4; i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				v[i] = strtol(line + strlen(keys[i]), NULL, 10);
	if (f)
		fclose(f);
	for (int i = 0; i < 4; i++)
		printf("%s=%ld ", names[i], v[i]);
	printf("pid=%d\n", (int)getpid());
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: resident-mix FILE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	volatile unsigned sum = 0;

	char *rd = malloc(4 * MB);
	if (!rd || pread(fd, rd, 4 * MB, 0) < (ssize_t)(2 * MB))
		return 1;
	show("read", rd, 4 * MB);

	const char *fm = mmap(NULL, MB, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fm == MAP_FAILED)
		return 1;
	for (size_t off = 0; off < MB; off += 64 * KB)
		sum += (unsigned char)fm[off];
	show("filemap", fm, MB);

	const char *fp = mmap(NULL, MB, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, MB);
	if (fp == MAP_FAILED)
		return 1;
	show("filepop", fp, MB);

	char *ml = anon(128 * KB, 0);
	if (mlock(ml, 128 * KB))
		perror("mlock");
	show("mlock", ml, 128 * KB);

	char *pp = anon(256 * KB, MAP_POPULATE);
	show("populate", pp, 256 * KB);

	char *pw = anon(256 * KB, 0);
	if (madvise(pw, 256 * KB, MADV_POPULATE_WRITE))
		perror("MADV_POPULATE_WRITE");
	show("popwrite", pw, 256 * KB);

	char *t = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return 1;
	char *th = (char *)(((unsigned long)t + 2 * MB - 1) & ~(2 * MB - 1));
	madvise(th, 4 * MB, MADV_HUGEPAGE);
	for (size_t off = 0; off < 4 * MB; off += 4 * KB)
		th[off] = 1;
	show("thp", th, 4 * MB);

	char *sh = mmap(NULL, 64 * KB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	for (size_t off = 0; off < 64 * KB; off += 4 * KB)
		sh[off] = 1;
	show("shared", sh, 64 * KB);

	char *dn = anon(256 * KB, 0);
	memset(dn, 1, 256 * KB);
	madvise(dn + 128 * KB, 128 * KB, MADV_DONTNEED);
	show("dropped", dn, 256 * KB);

	char *fr = anon(256 * KB, 0);
	memset(fr, 1, 256 * KB);
	if (madvise(fr, 256 * KB, MADV_FREE))
		perror("MADV_FREE");
	show("freed", fr, 256 * KB);

	char *um = anon(256 * KB, 0);
	memset(um, 1, 256 * KB);
	munmap(um, 256 * KB);
	show("unmapped", um, 256 * KB);

	printf("thp_kb=%ld sum=%u\n", huge_kb(th), sum);
	status();
	return 0;
}
