/*
 * forkstorm - forks with a timer signal due at the moment each fork
 * starts, so that some forks find it pending when they begin and return
 * -ERESTARTNOINTR to be restarted by the kernel (the program never sees
 * it: fork just succeeds).
 *   forkstorm [FORKS]     default 1000
 * Before each fork a one-shot ITIMER_REAL of D microseconds (D cycles
 * through 1..40, so some land in the fork's first microseconds) is armed;
 * its SIGALRM handler (SA_RESTART) counts.  Each child _exits(0) at once
 * and is reaped.
 * Prints: pid=PID forks=N signals=S
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t signals;
static void on_alrm(int sig) { (void)sig; signals++; }

int main(int argc, char **argv)
{
	long forks = argc > 1 ? atol(argv[1]) : 1000;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alrm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	for (long i = 0; i < forks; i++) {
		struct itimerval it = { { 0, 0 }, { 0, 1 + i % 40 } };
		setitimer(ITIMER_REAL, &it, NULL);
		pid_t c = fork();
		if (c < 0)
			return 1;
		if (c == 0)
			_exit(0);
		while (waitpid(c, NULL, 0) < 0)
			;
	}
	printf("pid=%d forks=%ld signals=%d\n", (int)getpid(), forks, (int)signals);
	return 0;
}
