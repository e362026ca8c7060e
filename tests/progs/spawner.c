/*
 * spawner - a child that searches PATH for a program, for the execve lines.
 *   spawner vfork|spawn|fork DIR PROG
 * Sets PATH to DIR/a:DIR/b:/usr/bin:/bin (DIR/a has no PROG, DIR/b has a
 * PROG that is not executable: the test makes them), maps one page of
 * anonymous memory (MADV_NOHUGEPAGE), then starts a child that runs PROG
 * through that PATH: vfork + execvp, posix_spawnp, or fork + execvp.  The
 * vfork and fork children write one byte to the page before the exec
 * (a vfork child writes its parent's memory: the page is the parent's).
 * Prints: pid=PID child=PID page=HEX status=N
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: spawner vfork|spawn|fork DIR PROG\n");
		return 2;
	}
	const char *how = argv[1];
	char path[4096];
	snprintf(path, sizeof(path), "%s/a:%s/b:/usr/bin:/bin", argv[2], argv[2]);
	setenv("PATH", path, 1);
	long pg = sysconf(_SC_PAGESIZE);
	volatile char *page = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || madvise((void *)page, pg, MADV_NOHUGEPAGE))
		return 1;
	char *args[] = { argv[3], NULL };
	pid_t child = -1;
	if (!strcmp(how, "vfork")) {
		child = vfork();
		if (child == 0) {
			page[0] = 1;
			execvp(args[0], args);
			_exit(127);
		}
	} else if (!strcmp(how, "fork")) {
		child = fork();
		if (child == 0) {
			page[0] = 1;
			execvp(args[0], args);
			_exit(127);
		}
	} else if (posix_spawnp(&child, args[0], NULL, NULL, args, environ)) {
		child = -1;
	}
	int st = 0;
	if (child < 0 || waitpid(child, &st, 0) != child)
		return 1;
	printf("pid=%d child=%d page=%lx status=%d\n", (int)getpid(), (int)child,
	       (unsigned long)page, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
