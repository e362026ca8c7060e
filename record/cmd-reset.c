/*
 * record/cmd-reset.c - `memmon reset`: remove what killed recordings left.
 *
 * A recording killed with SIGKILL cannot remove its instance or probes.
 * The next record removes them anyway (stale.c); reset does it on demand
 * and says what it removed.  Only memmon-<pid> instances and memmon_<pid>
 * probe groups whose memmon is gone are touched, with --all also those of
 * running memmons (which then stop recording); nothing else.
 */
#include <getopt.h>
#include <stdio.h>

#include "memmon.h"
#include "record/record.h"

static const char usage[] = "memmon reset [--all]";

static void removed(void *ctx, const char *what, const char *name)
{
	(void)ctx;
	printf("removed %s %s\n", what, name);
}

int cmd_reset(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool all = false;
	int c, n;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'h': return mm_show_help("reset", usage);
		default: mm_usage_bad_option("reset", usage, c, argv, longopts);
		}
	}
	if (optind < argc)
		mm_usage_error("reset", usage, "unexpected argument '%s' (reset takes none)", argv[optind]);
	if (mm_tracing_check("reset") < 0) {
		mm_error_print("reset");
		return MM_EXIT_FAIL;
	}
	n = mm_stale_remove(all, removed, NULL);
	if (n < 0) {
		mm_error_print("reset");
		return MM_EXIT_FAIL;
	}
	if (n == 0)
		printf("nothing to remove\n");
	return MM_EXIT_OK;
}
