/*
 * memmon.c - the command table and dispatcher (git.c's model).
 *
 * Each command is one cmd_<name>() in its own file under record/ or report/,
 * holding its options and usage; a command that drives tracing checks for
 * root itself, after its options (a usage error is told first).  After any
 * command we check that stdout was flushed and closed without error, so
 * "memmon report > /full/disk" fails loudly instead of exiting 0 with a cut
 * report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "record", cmd_record, "trace a command or running processes into a file" },
	{ "report", cmd_report, "explain a trace file: processes, regions, findings, event log" },
	{ "diff",   cmd_diff,   "what changed between two traces, process by process" },
	{ "info",   cmd_info,   "what a trace file holds: machine, command, events, sizes" },
	{ "list",   cmd_list,   "which events, probes and classifier this kernel offers" },
	{ "watch",  cmd_watch,  "change the watch list of a running recording" },
	{ "reset",  cmd_reset,  "remove what a killed recording left in the kernel" },
};

static const char usage_str[] =
	"memmon [--version] [--help] <command> [<args>]";

static void print_commands(FILE *out)
{
	fprintf(out, "usage: %s\n\ncommands:\n", usage_str);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "   %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'memmon <command> --help' shows a command's manual.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* A command's output is only good if it all reached its destination. */
static int check_stdout(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "memmon: write error on standard output: %s\n", strerror(errno));
		return MM_EXIT_FAIL;
	}
	if (fclose(stdout) && errno != EBADF) {
		fprintf(stderr, "memmon: close of standard output failed: %s\n", strerror(errno));
		return MM_EXIT_FAIL;
	}
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		const struct command *c = argc >= 3 ? find_command(argv[2]) : NULL;
		if (c) {
			char *help_argv[] = { argv[2], "--help", NULL };
			return check_stdout(c->fn(2, help_argv));
		}
		print_commands(argc < 2 ? stderr : stdout);
		return argc < 2 ? MM_EXIT_USAGE : MM_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		/* the file format too: a trace says which it is (memmon info),
		 * and whether this memmon reads it follows from these */
		printf("memmon version %s\n", MEMMON_VERSION);
		printf("file format %d.%d (reads %d.0 and later, up to %d.x)\n",
		       MM_FORMAT_MAJOR, MM_FORMAT_MINOR, MM_FORMAT_OLDEST_MAJOR, MM_FORMAT_MAJOR);
		return check_stdout(MM_EXIT_OK);
	}

	const struct command *cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "memmon: '%s' is not a memmon command; see 'memmon --help'\n"
			"usage: %s\n", argv[1], usage_str);
		return MM_EXIT_USAGE;
	}
	return check_stdout(cmd->fn(argc - 1, argv + 1));
}
