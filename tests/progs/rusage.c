/*
 * rusage - the kernel's own fault count for a child, to compare with
 * memmon's.
 *   rusage [PAGES] [FILE]    PAGES default 20000
 * Forks a child that writes one byte in each of PAGES anonymous pages
 * (mmap, MADV_NOHUGEPAGE) and, when FILE is given, maps FILE read-only and
 * reads one byte per page of it.  The child makes no syscall that copies
 * into untouched user memory (kernel-mode faults are counted by rusage
 * but are not user page faults).  The parent wait4()s it.
 * Prints:
 *   child=PID minflt=N majflt=M faults=N+M pages=PAGES file_pages=F
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long pages = argc > 1 ? strtol(argv[1], NULL, 0) : 20000;
	const char *file = argc > 2 ? argv[2] : NULL;
	long fpages = 0;
	struct rusage ru;
	int st;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (file) {
		struct stat sb;
		if (stat(file, &sb)) {
			perror(file);
			return 1;
		}
		fpages = (long)(sb.st_size / 4096);
	}
	pid_t c = fork();
	if (c < 0)
		return 1;
	if (c == 0) {
		size_t len = (size_t)pages * 4096;
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		madvise((void *)p, len, MADV_NOHUGEPAGE);
		for (long i = 0; i < pages; i++)
			p[i * 4096] = 1;
		if (file && fpages > 0) {
			int fd = open(file, O_RDONLY);
			volatile char *f = mmap(NULL, (size_t)fpages * 4096, PROT_READ,
						MAP_PRIVATE, fd, 0);
			if (f == MAP_FAILED)
				_exit(1);
			unsigned s = 0;
			for (long i = 0; i < fpages; i++)
				s += (unsigned char)f[i * 4096];
			p[0] = (char)s;
		}
		_exit(0);
	}
	if (wait4(c, &st, 0, &ru) != c)
		return 1;
	printf("child=%d minflt=%ld majflt=%ld faults=%ld pages=%ld file_pages=%ld status=%d\n",
	       (int)c, ru.ru_minflt, ru.ru_majflt, ru.ru_minflt + ru.ru_majflt,
	       pages, fpages, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
