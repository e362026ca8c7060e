/*
 * report/cmd-info.c - `memmon info`: what a trace file holds.
 *
 * Before a report (or to check a recording) a user wants the machine and
 * kernel it came from, the command, when and for how long it ran, how many
 * events of each type it holds, whether events were lost, and how well it
 * compressed.  Everything comes through format/'s reader: the file's
 * sections for the facts, one pass of the event stream for the counts, so
 * info reads any file report reads, and never the local tracefs.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event-parse.h>

#include "memmon.h"
#include "format/objects.h"
#include "format/reader.h"
#include "report/views/view.h"

static const char usage[] = "memmon info [-i FILE] [FILE]";

#define NR_IDS 65536	/* common_type is a u16 */

struct counts {
	uint64_t *per_id;    /* events by common_type */
	uint64_t total, short_records;
	uint64_t first_ts, last_ts;
	uint64_t stack_records, stacks;   /* the stacks ring's (not in total) */
};

struct type_count {
	const char *system, *name;
	int id;
	uint64_t n;
};

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "?";
}

static void human(char *buf, size_t n, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	if (u)
		snprintf(buf, n, "%.1f %s", v, units[u]);
	else
		snprintf(buf, n, "%" PRIu64 " B", bytes);
}

/* One pass over the stream; -1 if a chunk is corrupt (counts so far kept). */
static int count_events(struct mm_file *f, struct counts *c, uint64_t *missed,
			uint64_t *marks)
{
	struct tep_handle *tep = mm_file_tep(f);
	struct mm_stream *s = mm_stream_open(f);
	struct tep_event *us = tep_find_event_by_name(tep, "ftrace", "user_stack");
	struct tep_record *rec;
	int r;

	if (!s)
		return -1;
	while ((r = mm_stream_next(s, &rec)) == 1) {
		if ((uint32_t)rec->cpu >= mm_file_nr_cpus(f) &&
		    (uint32_t)rec->cpu < 2 * mm_file_nr_cpus(f)) {
			c->stack_records++;
			c->stacks += us && rec->size >= 2 && tep_data_type(tep, rec) == us->id;
			continue;
		}
		if (!c->total++)
			c->first_ts = rec->ts;
		c->last_ts = rec->ts;
		if (rec->size < 2)
			c->short_records++;
		else
			c->per_id[tep_data_type(tep, rec) & (NR_IDS - 1)]++;
	}
	*missed = mm_stream_missed(s);
	*marks = mm_stream_missed_marks(s);
	mm_stream_close(s);
	return r;
}

static void print_machine(const struct mm_file *f, const struct mm_file_summary *sum)
{
	if (sum->tracecmd)               /* format/tracecmd.c */
		printf("format:       trace-cmd %u (read through libtracecmd)\n", sum->tracecmd);
	else
		printf("format:       memmon %u.%u\n", sum->major, sum->minor);
	printf("machine:      %s, %s, %s %s %s\n",
	       or_unknown(mm_file_machine(f, MM_KEY_HOSTNAME)),
	       or_unknown(mm_file_machine(f, MM_KEY_ARCH)),
	       or_unknown(mm_file_machine(f, MM_KEY_SYSNAME)),
	       or_unknown(mm_file_machine(f, MM_KEY_RELEASE)),
	       or_unknown(mm_file_machine(f, MM_KEY_KVERSION)));
	printf("cpus:         %u\n", sum->nr_cpus);
	printf("page size:    %s\n", or_unknown(mm_file_machine(f, MM_KEY_PAGE_SIZE)));
	printf("clock:        %s\n", or_unknown(mm_file_machine(f, MM_KEY_CLOCK)));
	printf("classifier:   %s\n", or_unknown(mm_file_machine(f, MM_KEY_CLASSIFIER)));
	printf("command:      %s\n", or_unknown(mm_file_machine(f, MM_KEY_COMMAND)));
	if (mm_file_machine(f, MM_KEY_MISSING) && *mm_file_machine(f, MM_KEY_MISSING))
		printf("not recorded: %s (absent from the kernel)\n",
		       mm_file_machine(f, MM_KEY_MISSING));
}

static void print_start(const struct mm_file *f)
{
	const char *v = mm_file_machine(f, MM_KEY_START_TIME);
	char buf[64];
	struct tm tm;
	time_t t;

	if (!v || !*v)
		return;
	t = strtoll(v, NULL, 10);
	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z", &tm))
		return;
	printf("started:      %s\n", buf);
}

static void print_span(const struct counts *c)
{
	if (!c->total) {
		printf("time span:    no events\n");
		return;
	}
	printf("time span:    %.6f s (%.6f .. %.6f)\n", (c->last_ts - c->first_ts) / 1e9,
	       c->first_ts / 1e9, c->last_ts / 1e9);
}

static int by_count(const void *a, const void *b)
{
	const struct type_count *x = a, *y = b;
	int r;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	r = strcmp(x->system, y->system);
	return r ? r : strcmp(x->name, y->name);
}

static void print_types(const struct mm_file *f, const struct counts *c)
{
	struct tep_handle *tep = mm_file_tep(f);
	struct type_count *t = NULL;
	size_t n = 0;

	for (int id = 0; id < NR_IDS; id++) {
		if (!c->per_id[id])
			continue;
		struct tep_event *e = tep_find_event(tep, id);
		t = mm_realloc(t, (n + 1) * sizeof(*t));
		t[n++] = (struct type_count){ e ? e->system : "?", e ? e->name : "unknown",
					      id, c->per_id[id] };
	}
	if (n)
		qsort(t, n, sizeof(*t), by_count);
	printf("events:       %" PRIu64 "\n", c->total);
	for (size_t i = 0; i < n; i++) {
		char name[128];
		snprintf(name, sizeof(name), "%s:%s", t[i].system, t[i].name);
		if (!strcmp(t[i].name, "unknown"))
			snprintf(name, sizeof(name), "unknown id %d", t[i].id);
		printf("  %-36s %12" PRIu64 " %5.1f%%\n", name, t[i].n, 100.0 * t[i].n / c->total);
	}
	if (c->short_records)
		printf("  %-36s %12" PRIu64 "\n", "(records too short to type)", c->short_records);
	free(t);
}

/* Kernel statistics when the file has them; else the in-data markers. */
static void print_lost(const struct mm_file *f, uint64_t missed, uint64_t marks)
{
	uint32_t n;
	const struct mm_cpu_stats *st = mm_file_stats(f, &n);
	uint64_t total = 0;

	for (uint32_t i = 0; i < n; i++)
		total += st[i].overrun + st[i].dropped_events;
	printf("lost events:  %" PRIu64 "%s\n", st ? total : missed,
	       st ? "" : " (no statistics in the file: counted from the data)");
	for (uint32_t i = 0; i < n; i++)
		if (st[i].overrun || st[i].dropped_events)
			printf("  cpu%-4u overrun %" PRIu64 ", dropped %" PRIu64 "\n",
			       st[i].cpu, st[i].overrun, st[i].dropped_events);
	if (marks)
		printf("  %" PRIu64 " sub-buffers follow lost events (%" PRIu64 " counted)\n",
		       marks, missed);
}

static void print_sizes(const struct mm_file_summary *sum, uint64_t events)
{
	char file[32], raw[32], z[32];

	human(file, sizeof(file), sum->file_bytes);
	human(raw, sizeof(raw), sum->raw_bytes);
	human(z, sizeof(z), sum->chunk_bytes);
	printf("size:         %s file; ring data %s raw, %s compressed in %" PRIu64 " chunks",
	       file, raw, z, sum->nr_chunks);
	if (sum->chunk_bytes)
		printf(" (ratio %.2f)", (double)sum->raw_bytes / sum->chunk_bytes);
	if (events)
		printf(", %.1f bytes/event", (double)sum->file_bytes / events);
	printf("\n");
}

/* What names files and code: mappings, ELF objects, stacks. */
static void print_names(const struct mm_file *f, const struct counts *c)
{
	uint64_t maps = 0, lost = 0, syms = 0, debug = 0, nofp = 0;
	size_t n = mm_file_nr_elfs(f);

	for (size_t i = 0; i < mm_file_nr_mapents(f); i++) {
		const struct mm_mapent *e = mm_file_mapent(f, i);
		maps += e->kind == MM_MAPENT_MAP;
		lost += e->kind == MM_MAPENT_LOST ? e->len : 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mm_elf_object *o = mm_file_elf(f, i);
		syms += o->nr_syms;
		debug += !!(o->flags & MM_ELF_F_DEBUG);
		nofp += o->fp == MM_ELF_FP_NO;
	}
	printf("mappings:     %" PRIu64 " file mappings named by the kernel", maps);
	if (lost)
		printf(" (%" PRIu64 " records lost)", lost);
	printf("\nobjects:      %zu ELF objects, %" PRIu64 " symbols (%" PRIu64 " from debug files), "
	       "%" PRIu64 " without frame pointers\n", n, syms, debug, nofp);
	for (size_t i = 0; i < n; i++) {
		const struct mm_elf_object *o = mm_file_elf(f, i);
		char id[2 * MM_ELF_BUILD_ID_MAX + 1] = "-";
		for (unsigned k = 0; k < o->build_id_len; k++)
			sprintf(id + 2 * k, "%02x", o->build_id[k]);
		printf("  %-40s %7u symbols from %-12s %-18s %s\n", id, o->nr_syms,
		       o->flags & MM_ELF_F_DEBUG ? "a debug file" :
		       o->flags & MM_ELF_F_SYMTAB ? ".symtab" : ".dynsym",
		       o->fp == MM_ELF_FP_NO ? "no frame pointers" :
		       o->fp == MM_ELF_FP_YES ? "frame pointers" : "", o->path);
	}
	const char *off = mm_report_stacks_off(f);
	printf("stacks:       %" PRIu64 " user stacks of memory calls", c->stacks);
	if (off)
		printf(" (off: %s)", off);
	putchar('\n');
	/* record --malloc: the allocations' callers (MM_KEY_HEAP_FRAMES) */
	const char *hf = mm_file_machine(f, MM_KEY_HEAP_FRAMES);
	uint32_t nr_heap_stacks;
	mm_file_heap_stacks(f, &nr_heap_stacks);
	if (hf && !strncmp(hf, "0: ", 3))
		printf("malloc stacks: %u (off: %s)\n", nr_heap_stacks, hf + 3);
	else if (hf)
		printf("malloc stacks: %u stacks of allocations, each the call site and up to %ld "
		       "callers\n", nr_heap_stacks, strtol(hf, NULL, 10));
}

static void print_notes(const struct mm_file *f, const struct mm_file_summary *sum)
{
	for (size_t i = 0; i < mm_file_nr_format_notes(f); i++)
		printf("# note: event format %s (its events are not decoded)\n",
		       mm_file_format_note(f, i));
	if (sum->truncated)
		printf("# warning: trace truncated at offset %" PRIu64 " (recording cut short)\n",
		       sum->truncated_at);
}

static int info(const char *path)
{
	struct counts c = { .per_id = mm_calloc(NR_IDS, sizeof(uint64_t)) };
	struct mm_file_summary sum;
	uint64_t missed = 0, marks = 0;
	struct mm_file *f = mm_file_open(path);
	int r;

	if (!f) {
		free(c.per_id);
		mm_error_print("info");
		return MM_EXIT_FAIL;
	}
	mm_file_get_summary(f, &sum);
	r = count_events(f, &c, &missed, &marks);
	printf("file:         %s\n", path);
	print_machine(f, &sum);
	print_start(f);
	print_span(&c);
	print_types(f, &c);
	print_lost(f, missed, marks);
	print_names(f, &c);
	print_sizes(&sum, c.total);
	print_notes(f, &sum);
	mm_file_close(f);
	free(c.per_id);
	if (r < 0) {
		fflush(stdout);
		mm_error_print("info");
		return MM_EXIT_FAIL;
	}
	return MM_EXIT_OK;
}

int cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "help",  no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			path = optarg;
			break;
		case 'h':
			return mm_show_help("info", usage);
		default:
			mm_usage_bad_option("info", usage, c, argv, longopts);
		}
	}
	if (optind < argc && path)
		mm_usage_error("info", usage, "-i %s and '%s': one trace file at a time", path,
			       argv[optind]);
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		mm_usage_error("info", usage, "unexpected argument '%s' (one trace file at a time)",
			       argv[optind]);
	return info(path ? path : "trace.dat");
}
