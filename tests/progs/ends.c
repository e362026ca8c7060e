/*
 * ends - a process that ends in a known way, for the report's crash and
 * exit lines.
 *   ends segv          write to 0x1000 (below mmap_min_addr: never mapped)
 *   ends accerr        write to a page it mapped read-only
 *   ends bus FILE      read the second page of a one-page FILE mapped as two
 *   ends exit N        exit(N)
 *   ends term          kill(getpid(), SIGTERM), no handler
 *   ends handler       kill(getpid(), SIGUSR1) to a handler, then exit(0)
 * Prints first (stdout unbuffered): pid=PID addr=HEX fn=HEX handler=HEX
 * where addr is the address it will touch (0 when none), fn the address of
 * the function that touches it (the faulting instruction is in its first
 * 256 bytes), handler the SIGUSR1 handler's address.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL

static volatile sig_atomic_t got;
static void on_usr1(int sig) { (void)sig; got = 1; }

__attribute__((noinline)) static void touch(volatile char *p, int write)
{
	if (write)
		*p = 1;
	else
		(void)*p;
}

static void say(const void *addr)
{
	printf("pid=%d addr=%lx fn=%lx handler=%lx\n", (int)getpid(), (unsigned long)addr,
	       (unsigned long)(void *)touch, (unsigned long)(void *)on_usr1);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "segv")) {
		say((void *)0x1000);
		touch((volatile char *)0x1000, 1);
	} else if (!strcmp(mode, "accerr")) {
		char *p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		say(p);
		touch(p, 1);
	} else if (!strcmp(mode, "bus") && argc > 2) {
		int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		char page[PG];
		memset(page, 'x', sizeof(page));
		if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
			return 1;
		char *p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return 1;
		say(p + PG);
		touch(p + PG, 0);
	} else if (!strcmp(mode, "exit") && argc > 2) {
		say(NULL);
		exit(atoi(argv[2]));
	} else if (!strcmp(mode, "term")) {
		say(NULL);
		kill(getpid(), SIGTERM);
		pause();
	} else if (!strcmp(mode, "handler")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		say(NULL);
		kill(getpid(), SIGUSR1);
		return got ? 0 : 1;
	}
	fprintf(stderr, "usage: ends segv|accerr|bus FILE|exit N|term|handler\n");
	return 2;
}
