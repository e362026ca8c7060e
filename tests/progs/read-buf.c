/*
 * read-buf - the kernel faults the pages of a buffer in: read() of a file
 * into freshly malloc'd memory that the program never touched first.
 *   read-buf FILE [BYTES]     BYTES default: the file's size
 * malloc(BYTES) (over the mmap threshold: a mapping of its own), then
 * read() FILE into it, 1 MiB per call; every page of the buffer is first
 * touched by copy_to_user, in kernel mode.  Touches nothing else.
 * Prints:
 *   buf=HEX len=BYTES pages=P calls=C pid=PID
 *   minflt=N majflt=M vmrss_kb=K      (getrusage(SELF) and VmRSS at the end)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

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
	struct stat st;
	struct rusage ru;

	if (argc < 2) {
		fprintf(stderr, "usage: read-buf FILE [BYTES]\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	size_t len = argc > 2 ? strtoul(argv[2], NULL, 0) : (size_t)st.st_size;
	char *buf = malloc(len);
	if (!buf)
		return 1;
	size_t got = 0;
	long calls = 0;
	while (got < len) {
		size_t want = len - got < (1u << 20) ? len - got : (1u << 20);
		ssize_t r = read(fd, buf + got, want);
		calls++;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("buf=%lx len=%zu pages=%zu calls=%ld pid=%d\n", (unsigned long)buf, got,
	       (got + 4095) / 4096, calls, (int)getpid());
	printf("minflt=%ld majflt=%ld vmrss_kb=%ld\n", ru.ru_minflt, ru.ru_majflt, vmrss_kb());
	return got == len ? 0 : 1;
}
