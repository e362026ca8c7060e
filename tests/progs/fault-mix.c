/*
 * fault-mix - one of each fault class a classifier must tell apart, in
 * regions of their own:
 *   fault-mix N PATH [FILEPAGES]      FILEPAGES defaults to 16
 *  1. anon: mmap N anonymous pages (MADV_NOHUGEPAGE), write one byte in each
 *     (N anon W faults, nothing else in the region);
 *  2. file: write PATH (FILEPAGES pages), mmap it PROT_READ|PROT_WRITE,
 *     MAP_PRIVATE (MADV_NOHUGEPAGE), read one byte of every page (file R
 *     faults, fewer than pages where the kernel maps pages around a fault),
 *     then write page 3 (one cow W fault: the page copied from the file).
 * Prints:
 *   anon_region=HEX len=BYTES pages=N pid=PID
 *   file_region=HEX len=BYTES pages=P cow_page=HEX sum=S
 *   exec_region=LO-HI          one per executable file mapping at the end
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || madvise(p, len, MADV_NOHUGEPAGE)) {
		perror("mmap anon");
		exit(1);
	}
	return p;
}

static void *map_file(const char *path, long pages)
{
	char buf[PG];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	for (long i = 0; i < pages; i++) {
		memset(buf, 'a' + i % 26, sizeof buf);
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
			perror("write");
			exit(1);
		}
	}
	void *p = mmap(NULL, (size_t)pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED || madvise(p, (size_t)pages * PG, MADV_NOHUGEPAGE)) {
		perror("mmap file");
		exit(1);
	}
	close(fd);
	return p;
}

/* The executable file mappings (r-xp with a path), as /proc/self/maps has them. */
static void print_exec_regions(void)
{
	char line[512], perms[8], path[256];
	unsigned long lo, hi;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof line, f)) {
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms, path) >= 3 &&
		    perms[2] == 'x' && path[0] == '/')
			printf("exec_region=%lx-%lx\n", lo, hi);
	}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fault-mix N PATH [FILEPAGES]\n");
		return 2;
	}
	long n = strtol(argv[1], NULL, 0), fp = argc > 3 ? strtol(argv[3], NULL, 0) : 16;
	if (n <= 0 || fp < 4)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);

	volatile char *a = map_anon((size_t)n * PG);
	for (long i = 0; i < n; i++)
		a[i * PG] = (char)i;
	printf("anon_region=%lx len=%ld pages=%ld pid=%d\n", (unsigned long)a, n * PG, n,
	       (int)getpid());

	volatile char *f = map_file(argv[2], fp);
	unsigned sum = 0;
	for (long i = 0; i < fp; i++)
		sum += (unsigned char)f[i * PG];
	f[3 * PG] = 'X';
	printf("file_region=%lx len=%ld pages=%ld cow_page=%lx sum=%u\n", (unsigned long)f,
	       fp * PG, fp, (unsigned long)(f + 3 * PG), sum);
	print_exec_regions();
	return 0;
}
