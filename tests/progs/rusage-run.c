/*
 * rusage-run - run a command as a child and print the kernel's count of
 * its faults.
 *   rusage-run [--no-thp] CMD [ARGS]
 * fork, exec CMD in the child, wait4() it.  --no-thp: the child runs with
 * transparent huge pages disabled (PR_SET_THP_DISABLE, kept across exec),
 * so that each page it touches is a fault of its own even where THP is
 * "always" (Debian 12's kernel).  rusage counts every fault the
 * kernel handled for the child and its threads: user-mode and kernel-mode
 * ones alike (and pages faulted in by get_user_pages: MAP_POPULATE, mlock).
 * Prints to stderr, so that CMD's own output stays on stdout:
 *   child=PID minflt=N majflt=M faults=N+M status=S
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int st, no_thp = argc > 1 && !strcmp(argv[1], "--no-thp");

	argc -= no_thp;
	argv += no_thp;
	if (argc < 2) {
		fprintf(stderr, "usage: rusage-run [--no-thp] CMD [ARGS]\n");
		return 2;
	}
	pid_t c = fork();
	if (c < 0)
		return 1;
	if (c == 0) {
		if (no_thp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
			perror("rusage-run: PR_SET_THP_DISABLE");
			_exit(126);
		}
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(c, &st, 0, &ru) != c)
		return 1;
	fprintf(stderr, "child=%d minflt=%ld majflt=%ld faults=%ld status=%d\n", (int)c,
		ru.ru_minflt, ru.ru_majflt, ru.ru_minflt + ru.ru_majflt,
		WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}
