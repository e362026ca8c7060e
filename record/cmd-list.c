/*
 * record/cmd-list.c - `memmon list`: what this kernel offers memmon.
 *
 * Before recording (or when a report says events are missing) a user wants
 * to know which of memmon's tracepoints exist here, whether kprobes and
 * uprobes do, and so which fault classifier `record --classifier=auto`
 * will pick, with which probes and why.  The same lookups as record's
 * (events.c, probes.c), printed: to know which probes the kernel takes, list
 * defines them as record would, in its own group memmon_<pid>, and removes
 * them again at once.  The same for record --malloc's uprobes: list times
 * a child's malloc/free pairs with them and without (uprobe-cost.c), and
 * says which SystemTap SDT probes the libc declares.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "format/objects.h"
#include "plugins/decoder.h"
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
	for (size_t i = 0; i < mm_frame_events_len; i++) {
		const struct mm_event_spec *e = &mm_frame_events[i];
		printf("%-8s %s:%s (record --frames)\n",
		       mm_event_exists(e->system, e->name) ? "present" : "absent", e->system, e->name);
	}
	for (size_t i = 0; i < mm_traced_syscalls_len + mm_io_syscalls_len; i++) {
		bool io = i >= mm_traced_syscalls_len, in, out;
		const char *call = io ? mm_io_syscalls[i - mm_traced_syscalls_len] :
				   mm_traced_syscalls[i];

		snprintf(enter, sizeof(enter), "sys_enter_%s", call);
		snprintf(exit_, sizeof(exit_), "sys_exit_%s", call);
		in = mm_event_exists("syscalls", enter);
		out = mm_event_exists("syscalls", exit_);
		printf("%-8s syscalls:%s (enter+exit%s)\n",
		       in && out ? "present" : in || out ? "partial" : "absent", call,
		       io ? ", names a kernel-mode fault's call" : "");
	}
}

/* Which probes record would define here, and why each; or why none. */
static int list_probes(void)
{
	struct mm_probe_choice c;
	struct mm_evlist l = { 0 };
	char group[64];
	int ret;

	snprintf(group, sizeof(group), MM_GROUP_PREFIX "%d", (int)getpid());
	ret = mm_probes_choose(group, &l, &c);
	if (c.set)
		mm_probes_destroy(group);
	mm_evlist_free(&l);
	if (ret < 0)
		return -1;
	if (!c.set) {
		printf("classifier: tracepoint (no kprobe set works: %s)\n", c.notes);
		return 0;
	}
	printf("classifier: kprobe (probe set %s: %s)\n", c.set->name, c.set->kernels);
	for (size_t i = 0; i < c.set->len && i < MM_PROBES_MAX; i++) {
		const struct mm_kprobe_def *def = &c.set->defs[i];

		if (c.symbol[i][0])
			printf("probe    %-8s %s%s: %s\n", def->event, def->ret ? "return of " : "",
			       c.symbol[i], def->why);
		else
			printf("refused  %-8s %s (%s): %s, optional\n", def->event, def->symbols,
			       strerror(c.refused[i]), def->why);
	}
	/* why no probe says "return of": the design choice, told where it shows */
	printf("ends:    each fault at its task's next fault, syscall or process event "
	       "(entry probes only: a kretprobe on handle_mm_fault crashed 6.1 when removed "
	       "with tasks inside; see design.md)\n");
	if (c.notes[0])
		printf("notes: %s\n", c.notes);
	mm_probes_choice_free(&c);
	return 0;
}

/* The C library this process runs with (the one programs here use). */
static bool find_libc(char *path, size_t n)
{
	char *maps = mm_read_file("/proc/self/maps", NULL), *line, *save = NULL;
	bool found = false;

	for (line = maps ? strtok_r(maps, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p = strchr(line, '/');
		if (p && strstr(p, "/libc.so.6") && !strcmp(strstr(p, "/libc.so.6"), "/libc.so.6")) {
			snprintf(path, n, "%s", p);
			found = true;
		}
	}
	free(maps);
	return found;
}

/* Stacks: the option that records them, and whether the C library keeps
 * the frame pointers they are walked by. */
static void list_stacks(void)
{
	char libc[4096];

	printf("user stacks: %s\n", mm_stacks_available() ?
	       "yes (userstacktrace: up to 8 frames of each memory syscall, by frame pointers; "
	       "record takes them where the program keeps frame pointers, --stacks always)" :
	       "no (this kernel's ftrace has no userstacktrace option)");
	if (!find_libc(libc, sizeof(libc)))
		return;
	switch (mm_elf_fp_of_file(libc)) {
	case MM_ELF_FP_NO:
		printf("frame pointers: %s keeps none: stacks are shallow because frame pointers "
		       "are missing (a call made through it loses its caller, marked '?')\n", libc);
		break;
	case MM_ELF_FP_YES:
		printf("frame pointers: %s keeps them\n", libc);
		break;
	default:
		printf("frame pointers: unknown for %s\n", libc);
	}
}

/* record --malloc by uprobes: what a call costs here, and libc's SDT probes. */
static void list_malloc(void)
{
	struct mm_uprobe_cost c;
	struct mm_sdt_probe *p;
	char group[32], libc[4096];
	size_t n;

	snprintf(group, sizeof(group), MM_GROUP_PREFIX "%d", (int)getpid());
	if (mm_uprobes_measure(group, &c) == 0)
		printf("malloc uprobes: per process (record --malloc -p, static programs), on %s: "
		       "a malloc/free pair %.1f us here (%.2f us without), %.1f us a probe hit\n",
		       c.file, c.probed_pair_ns / 1e3, c.plain_pair_ns / 1e3,
		       (c.probed_pair_ns - c.plain_pair_ns) / 3e3);
	else
		printf("malloc uprobes: none (%s)\n", mm_error_msg());
	if (!find_libc(libc, sizeof(libc)))
		return;
	if (mm_elf_sdt_probes(libc, &p, &n) < 0) {
		printf("sdt: %s\n", mm_error_msg());
		return;
	}
	if (!n)
		printf("sdt: no SDT probes in this libc (%s)\n", libc);
	else
		printf("sdt: %zu SDT probes in this libc (%s):", n, libc);
	for (size_t i = 0; i < n; i++)
		printf(" %s:%s", p[i].provider, p[i].name);
	if (n)
		printf("\n");
	free(p);
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
	if (mm_probes_uprobes_available())
		list_malloc();
	if (!kprobes)
		printf("classifier: tracepoint\n");
	else if (list_probes() < 0) {
		mm_error_print("list");
		return MM_EXIT_FAIL;
	}
	printf("mapping records: %s\n", mm_mapnames_available() ?
	       "yes (perf_event_open: every file mapping named)" :
	       "no (perf_event_open refused: files mapped between snapshots stay 'fd N')");
	list_stacks();
	list_events();
	return MM_EXIT_OK;
}
