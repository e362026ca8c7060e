/*
 * watch-maps FILE N GO... - map FILE N times in each of several stretches,
 * each begun by a file appearing, so a test can add the process to a
 * recording (memmon watch) and take it out between them.
 *   for each GO: waits until GO exists, then N times mmaps FILE (one
 *   page, read) and unmaps it, and prints "doneK=N" (K from 1).
 * Nothing else it does after its start is a memory call.
 * Prints (stdout, unbuffered) pid= at once.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd, n;

	if (argc < 4 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: watch-maps FILE N GO...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if ((fd = open(argv[1], O_RDONLY)) < 0)
		return 1;
	printf("pid=%d\n", (int)getpid());
	for (int k = 3; k < argc; k++) {
		while (access(argv[k], F_OK) < 0)
			usleep(10000);
		for (int i = 0; i < n; i++) {
			void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
			if (p == MAP_FAILED)
				return 1;
			munmap(p, 4096);
		}
		printf("done%d=%d\n", k - 2, n);
	}
	return 0;
}
