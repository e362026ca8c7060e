/*
 * memmon.c - the command table and dispatcher (git.c's model).
 *
 * Each command is one cmd_<name>() in its own file under record/ or report/,
 * holding its options and usage.  Shared set-up lives here once: "needs
 * root" is checked before a tracing command runs, and after any command we
 * check that stdout was flushed and closed without error, so "memmon report
 * > /full/disk" fails loudly instead of exiting 0 with a cut report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"

#define NEEDS_ROOT (1u << 0)	/* touches tracefs: refuse early without root */

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned flags;
	const char *summary;
};

static const struct command commands[] = {
	{ "record", cmd_record, NEEDS_ROOT, "trace a command or running processes into a file" },
	{ "report", cmd_report, 0,          "explain a trace file: event log and summary" },
	{ "info",   cmd_info,   0,          "what a trace file holds: machine, command, events, sizes" },
	{ "list",   cmd_list,   0,          "which events, probes and classifier this kernel offers" },
	{ "reset",  cmd_reset,  NEEDS_ROOT, "remove what a killed recording left in the kernel" },
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

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
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
		printf("memmon version %s\n", MEMMON_VERSION);
		return check_stdout(MM_EXIT_OK);
	}

	const struct command *cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "memmon: '%s' is not a memmon command; see 'memmon --help'\n", argv[1]);
		return MM_EXIT_USAGE;
	}
	/* --help is the command's own business (it knows its usage string). */
	if ((cmd->flags & NEEDS_ROOT) && geteuid() != 0 && !wants_help(argc - 1, argv + 1)) {
		mm_error("%s needs root (it drives the kernel's tracing)", cmd->name);
		mm_hint("run it as root, e.g. 'sudo memmon %s ...'", cmd->name);
		mm_error_print(cmd->name);
		return MM_EXIT_FAIL;
	}
	/* Set-user-ID root: tracefs answers by the real uid (events look
	 * absent, a recording gets none), and CMD would run as root. */
	if ((cmd->flags & NEEDS_ROOT) && getuid() != 0 && !wants_help(argc - 1, argv + 1)) {
		mm_error("%s needs the real user to be root too (real uid %u, effective uid 0)",
			 cmd->name, (unsigned)getuid());
		mm_hint("run it as root, e.g. 'sudo memmon %s ...', not set-user-ID", cmd->name);
		mm_error_print(cmd->name);
		return MM_EXIT_FAIL;
	}
	return check_stdout(cmd->fn(argc - 1, argv + 1));
}
