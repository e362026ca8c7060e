/*
 * tests/fuzz/fuzz-report.c - the fuzz target: one input is one trace file,
 * read by every command and view a user can point at a file.
 *
 * The input goes into a memfd and is read through its /proc/self/fd path
 * by cmd_info(), cmd_report() and cmd_diff() themselves, with the options of every view
 * and output form, so what is fuzzed is exactly what `memmon info` and
 * `memmon report` run (the reader, the decoder, the model, each view and
 * its text, JSON and CSV printers), not a copy of their pipeline.
 *
 * Built two ways (Makefile): by clang with libFuzzer and ASan/UBSan for
 * `make fuzz`, and by the normal compiler with tests/fuzz/replay.c as main
 * for `make check`, which replays the kept inputs through this same
 * function.
 *
 * What counts as a failure, besides what the sanitizers catch: a command
 * that exits (mm_malloc's out-of-memory exit, a usage exit) or returns
 * anything but 0 or 1; a report whose output passes OUTPUT_LIMIT (views
 * must not print more rows than the data has: stdout is a memfd with
 * RLIMIT_FSIZE set, so a runaway view dies of SIGXFSZ, which libFuzzer and
 * the replay both report).  Hangs are libFuzzer's -timeout (the replay's
 * alarm()).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "memmon.h"

/* Output of one command on one input, at most.  Generous: a 100 KB input
 * can honestly hold a few hundred thousand events, ~80 bytes of log each. */
#define OUTPUT_LIMIT (256ull << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in_fd = -1;
static char in_path[64];
static char perfetto_path[64];   /* --perfetto's and --html's files: memfds, */
static char html_path[64];       /* under the same RLIMIT_FSIZE as stdout */

/* Every view and output form, grouped so that each input costs few opens:
 * text views may share a run with the log, JSON and CSV documents too;
 * the JSON log stands alone (report refuses it with other views). */
static const char *const runs[][16] = {
	{ "report", NULL },
	{ "report", "--json", NULL },
	{ "report", "--log", "-t", "--raw-events", "--regions", "--timeline=1ms",
	  "--malloc-patterns", "--context", "--maps-at", "0.0005", "--check-maps", "--sites", "--pages", NULL },
	{ "report", "--regions", "--timeline", "--malloc-patterns", "--context",
	  "--maps-at", "end", "--check-maps", "--sites", "--pages=start", "--sort", "faults",
	  "--json", NULL },
	{ "report", "--regions", "--timeline=10ms", "--malloc-patterns", "--context",
	  "--maps-at", "end", "--sites", "--pages", "--sort", "addr", "--csv", NULL },
	{ "report", "--log", "--json", "--raw-events", NULL },
	{ "report", "--log", "--pid", "1,2,3", "--no-summary", NULL },
	{ "report", "-q", "--perfetto", perfetto_path, "--html", html_path, NULL },
	/* record --malloc traces (the others: a usage of the error path) */
	{ "report", "--log", "-t", "--leaks", "--allocations", NULL },
	{ "report", "--allocations", "--json", NULL },
	{ "report", "--leaks", "--json", NULL },
	{ "report", "--log", "--json", "--no-malloc", NULL },
	/* phase markers (record --markers) */
	{ "report", "--log", "-t", "--between", "2,end", "--regions", "--timeline=1ms", NULL },
	{ "report", "--regions", "--timeline", "--between", "start,3", "--json", NULL },
	{ "report", "--log", "--json", "--between", "phase one,4", NULL },
	{ "report", "--log", "--symbols=off", NULL },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	in_fd = memfd_create("memmon-fuzz-input", 0);
	int out = memfd_create("memmon-fuzz-stdout", 0);
	int pf = memfd_create("memmon-fuzz-perfetto", 0);
	int hf = memfd_create("memmon-fuzz-html", 0);
	struct rlimit rl = { OUTPUT_LIMIT, OUTPUT_LIMIT };

	if (in_fd < 0 || out < 0 || pf < 0 || hf < 0 || dup2(out, STDOUT_FILENO) < 0) {
		perror("fuzz-report: memfd");
		abort();
	}
	close(out);
	snprintf(in_path, sizeof(in_path), "/proc/self/fd/%d", in_fd);
	snprintf(perfetto_path, sizeof(perfetto_path), "/proc/self/fd/%d", pf);
	snprintf(html_path, sizeof(html_path), "/proc/self/fd/%d", hf);
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0) {
		perror("fuzz-report: setrlimit");
		abort();
	}
	return 0;
}

static void reset_stdout(void)
{
	fflush(stdout);
	clearerr(stdout);
	if (ftruncate(STDOUT_FILENO, 0) < 0 || lseek(STDOUT_FILENO, 0, SEEK_SET) < 0)
		abort();
}

static void run(int (*cmd)(int, char **), const char *const *args)
{
	char *argv[20];
	int argc = 0, r;

	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc++] = in_path;
	argv[argc] = NULL;
	optind = 0;	/* glibc: a full getopt reset between commands */
	r = cmd(argc, argv);
	if (r != MM_EXIT_OK && r != MM_EXIT_FAIL) {
		fprintf(stderr, "fuzz-report: '%s %s' returned %d\n", args[0],
			args[1] ? args[1] : "", r);
		abort();
	}
	reset_stdout();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const info[] = { "info", NULL };

	if (in_fd < 0)
		LLVMFuzzerInitialize(NULL, NULL);
	if (ftruncate(in_fd, 0) < 0 || pwrite(in_fd, data, size, 0) != (ssize_t)size)
		abort();
	static const char *const diff[] = { "diff", in_path, NULL };  /* the input against itself */

	run(cmd_info, info);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		run(cmd_report, runs[i]);
	run(cmd_diff, diff);
	return 0;
}
