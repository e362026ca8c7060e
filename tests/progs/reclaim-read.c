/*
 * reclaim-read - pages the kernel takes back on its own: run it in a memory
 * cgroup smaller than FILE and its file pages are reclaimed while it reads.
 *   reclaim-read FILE
 * Drops FILE from the page cache (fdatasync, then posix_fadvise DONTNEED:
 * dirty pages would stay, charged to whoever wrote them; the pages it
 * faults in are then charged to this process's cgroup), maps
 * it read-only (MADV_NOHUGEPAGE, MADV_RANDOM: one fault per page, no
 * fault-around) and reads one byte of every page, twice.
 * Prints:
 *   region=HEX len=BYTES pages=N pid=PID
 *   vmrss_kb=K rssfile_kb=F      (/proc/self/status, read last)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static long status_kb(const char *key)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key)))
			kb = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	struct stat st;
	if (argc < 2) {
		fprintf(stderr, "usage: reclaim-read FILE\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	size_t len = (size_t)st.st_size & ~4095ul;
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	volatile const char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	madvise((void *)p, len, MADV_RANDOM);
	unsigned sum = 0;
	for (int round = 0; round < 2; round++)
		for (size_t off = 0; off < len; off += 4096)
			sum += (unsigned char)p[off];
	printf("region=%lx len=%zu pages=%zu pid=%d sum=%u\n", (unsigned long)p, len, len / 4096,
	       (int)getpid(), sum);
	long rss = status_kb("VmRSS:"), file = status_kb("RssFile:");
	printf("vmrss_kb=%ld rssfile_kb=%ld\n", rss, file);
	return 0;
}
