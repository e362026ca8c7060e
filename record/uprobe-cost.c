/*
 * record/uprobe-cost.c - what a call costs a process recorded by uprobes
 * (record --malloc -p, static programs), measured on this machine for
 * `memmon list`: a child of memmon times malloc/free pairs, then again
 * with record's probes on it (uprobes.c, in memmon list's own group), and
 * the probes go.  A pair is three hits: malloc's entry and return, free's
 * entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "memmon.h"
#include "record/record.h"

#define PAIRS 3000                 /* ~9 ms probed here; the samples fit one buffer */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void __attribute__((noreturn)) child(int cmd, int res)
{
	char c;

	while (read(cmd, &c, 1) == 1 && c == 'g') {
		uint64_t t0 = now_ns();
		for (int i = 0; i < PAIRS; i++) {
			char *volatile p = malloc(32 + (i & 63));
			p[0] = 1;
			free(p);
		}
		uint64_t d = now_ns() - t0;
		if (write(res, &d, sizeof(d)) != sizeof(d))
			break;
	}
	_exit(0);
}

/* One timed run of the child: ns, or 0. */
static uint64_t run(int cmd, int res)
{
	uint64_t d = 0;

	if (write(cmd, "g", 1) != 1 || read(res, &d, sizeof(d)) != sizeof(d))
		return 0;
	return d;
}

int mm_uprobes_measure(const char *group, struct mm_uprobe_cost *c)
{
	int cmd[2], res[2];
	pid_t pid;

	memset(c, 0, sizeof(*c));
	if (pipe(cmd) < 0 || pipe(res) < 0)
		return mm_error_errno("cannot measure the uprobes (pipe)");
	if ((pid = fork()) < 0)
		return mm_error_errno("cannot measure the uprobes (fork)");
	if (pid == 0) {
		close(cmd[1]);
		close(res[0]);
		child(cmd[0], res[1]);
	}
	close(cmd[0]);
	close(res[1]);
	run(cmd[1], res[0]);            /* warm: the heap, the pages */
	uint64_t plain = run(cmd[1], res[0]);
	struct mm_uprobes *u = mm_uprobes_open(pid, group);
	uint64_t probed = u ? run(cmd[1], res[0]) : 0;
	if (u) {
		snprintf(c->file, sizeof(c->file), "%s", mm_uprobes_file(u));
		mm_uprobes_close(u);
	}
	close(cmd[1]);                   /* the child reads EOF and goes */
	close(res[0]);
	waitpid(pid, NULL, 0);
	if (!u)
		return -1;
	c->plain_pair_ns = (double)plain / PAIRS;
	c->probed_pair_ns = (double)probed / PAIRS;
	return 0;
}
