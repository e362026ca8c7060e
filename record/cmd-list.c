/*
 * record/cmd-list.c - `memmon list`: what this kernel offers memmon.
 *
 * Before recording (or when a report says events are missing) a user wants
 * to know which of memmon's tracepoints exist here, whether kprobes and
 * uprobes do, and so which fault classifier `record --classifier=auto`
 * will pick.  The same lookups as record's (events.c, probes.c), printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "plugins/eventset.h"
#include "record/record.h"

static const char usage[] = "memmon list";

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void list_events(void)
{
	char enter[80], exit_[80];

	for (size_t i = 0; i < mm_event_set_len; i++) {
		const struct mm_event_spec *e = &mm_event_set[i];
		printf("%-8s %s:%s\n", mm_event_exists(e->system, e->name) ? "present" : "absent",
		       e->system, e->name);
	}
	for (size_t i = 0; i < mm_traced_syscalls_len; i++) {
		bool in, out;

		snprintf(enter, sizeof(enter), "sys_enter_%s", mm_traced_syscalls[i]);
		snprintf(exit_, sizeof(exit_), "sys_exit_%s", mm_traced_syscalls[i]);
		in = mm_event_exists("syscalls", enter);
		out = mm_event_exists("syscalls", exit_);
		printf("%-8s syscalls:%s (enter+exit)\n",
		       in && out ? "present" : in || out ? "partial" : "absent",
		       mm_traced_syscalls[i]);
	}
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool kprobes;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (c == 'h')
			return mm_show_help("list", usage);
		mm_usage_bad_option("list", usage, c, argv, longopts);
	}
	if (optind < argc)
		mm_usage_error("list", usage, "unexpected argument '%s' (list takes none)", argv[optind]);
	if (mm_tracing_check("list") < 0) {
		mm_error_print("list");
		return MM_EXIT_FAIL;
	}
	kprobes = mm_probes_kprobes_available();
	printf("tracefs: %s\n", mm_tracing_dir());
	printf("kprobes: %s\n", yes_no(kprobes));
	printf("uprobes: %s\n", yes_no(mm_probes_uprobes_available()));
	printf("classifier: %s\n", kprobes ? "kprobe" : "tracepoint");
	list_events();
	return MM_EXIT_OK;
}
