/*
 * record/options.c - `memmon record`'s command line: each option checked,
 * each bad one named in a usage error (and why), then the usage line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/layout.h"
#include "record/options.h"
#include "record/record.h"

const char mm_record_usage[] =
	"memmon record [-o FILE] [-b KB] [-p PID,...] [--classifier=auto|kprobe|tracepoint] "
	"[-z LEVEL] [--chunk-kb KB] [--duration SEC] [--malloc [--malloc-ring KB]] "
	"[--markers=fsync,trace_marker|none] [--frames] [--stacks|--no-stacks] [--no-names] "
	"[--debug-dir DIR] [-q] [-v] "
	"[--] [CMD ARGS]";

#define DEFAULT_CHUNK_KB  1024
#define MAX_CHUNK_KB      (MM_MAX_CHUNK_RAW / 1024)

/* Where separate debug files are looked for by build-id (gdb's and
 * perf's default): DIR/.build-id/xx/yyyy.debug. */
#define DEFAULT_DEBUG_DIR "/usr/lib/debug"

/* --malloc's ring per thread (cmd-record.c says why this size) */
#define DEFAULT_RING_KB   1024

int mm_record_parse_pids(const char *arg, pid_t **pids, size_t *n)
{
	const char *p = arg;

	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v <= 0 || v > 0x3fffffff || (*end && *end != ','))
			return -1;
		*pids = mm_realloc(*pids, (*n + 1) * sizeof(**pids));
		(*pids)[(*n)++] = (pid_t)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return -1;
	}
	return *n ? 0 : -1;
}

#define USAGE_ERROR(...) mm_usage_error("record", mm_record_usage, __VA_ARGS__)

/* --markers=LIST: "fsync", "trace_marker", "all", "none", comma-separated. */
static unsigned parse_markers(const char *arg)
{
	unsigned m = 0;

	for (const char *w = arg; ; ) {
		size_t n = strcspn(w, ",");
		if (n == 5 && !strncmp(w, "fsync", n))
			m |= MM_MARKERS_FSYNC;
		else if (n == 12 && !strncmp(w, "trace_marker", n))
			m |= MM_MARKERS_TRACE;
		else if (n == 3 && !strncmp(w, "all", n))
			m |= MM_MARKERS_ALL;
		else if (n != 4 || strncmp(w, "none", n))
			USAGE_ERROR("--markers=%s: '%.*s' is no marker kind (fsync, trace_marker, "
				    "all or none)", arg, (int)n, w);
		if (!w[n])
			return m;
		w += n + 1;
	}
}

/* OPT's value ARG as a number of KB from MIN to MAX; WHAT says what it
 * sizes and UNIT how it counts, for the message. */
static unsigned parse_kb(const char *opt, const char *arg, unsigned min, unsigned max,
			 const char *what, const char *unit)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || arg[0] == '-')
		USAGE_ERROR("%s %s: not a number of KB", opt, arg);
	if (v < min)
		USAGE_ERROR("%s %s: %s must be at least %u %s", opt, arg, what, min, unit);
	if (v > max)
		USAGE_ERROR("%s %s: %s can be at most %u %s", opt, arg, what, max, unit);
	return (unsigned)v;
}

void mm_record_parse_options(int argc, char **argv, struct mm_record_opts *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "pid", required_argument, NULL, 'p' },
		{ "classifier", required_argument, NULL, 'C' },
		{ "compress-level", required_argument, NULL, 'z' },
		{ "chunk-kb", required_argument, NULL, 'K' },
		{ "duration", required_argument, NULL, 'D' },
		{ "malloc", no_argument, NULL, 'M' },
		{ "malloc-ring", required_argument, NULL, 'R' },
		{ "markers", required_argument, NULL, 'm' },
		{ "frames", no_argument, NULL, 'F' },
		{ "stacks", no_argument, NULL, 'T' },
		{ "no-stacks", no_argument, NULL, 'S' },
		{ "no-names", no_argument, NULL, 'N' },
		{ "debug-dir", required_argument, NULL, 'G' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned level = MM_RECORD_DEFAULT_LEVEL;
	char *end;
	int c;

	opterr = 0;       /* our own message: "memmon record: ..." */
	*o = (struct mm_record_opts){ .output = "trace.dat", .chunk_kb = DEFAULT_CHUNK_KB,
			    .classifier = "auto", .ring_kb = DEFAULT_RING_KB,
			    .markers = MM_MARKERS_ALL, .debug_dir = DEFAULT_DEBUG_DIR };
	/* "+": stop at CMD, whose options are its own; ":": missing values */
	while ((c = getopt_long(argc, argv, "+:o:b:p:z:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				USAGE_ERROR("-o '': the output file needs a name");
			o->output = optarg;
			break;
		case 'q': o->quiet = true; break;
		case 'v': o->verbose = true; break;
		case 'h': exit(mm_show_help("record", mm_record_usage));
		case 'b':
			o->buffer_kb = parse_kb("-b", optarg, 4, 1u << 30, "the buffer size", "KB per CPU");
			break;
		case 'K':
			o->chunk_kb = parse_kb("--chunk-kb", optarg, 4, MAX_CHUNK_KB, "a chunk", "KB");
			break;
		case 'z':
			level = strtoul(optarg, &end, 10);
			if (!*optarg || *end || level < 1 || level > 22)
				USAGE_ERROR("-z %s: the compression level is 1 to 22", optarg);
			break;
		case 'p':
			if (mm_record_parse_pids(optarg, &o->pids, &o->nr_pids) < 0)
				USAGE_ERROR("-p %s: not a pid (a process id, or a list: 123,456)", optarg);
			break;
		case 'C':
			if (strcmp(optarg, "auto") && strcmp(optarg, "kprobe") &&
			    strcmp(optarg, "tracepoint"))
				USAGE_ERROR("--classifier=%s: the classifier is auto, kprobe or tracepoint",
					    optarg);
			o->classifier = optarg;
			break;
		case 'M':
			o->heap = true;
			break;
		case 'm':
			o->markers = parse_markers(optarg);
			break;
		case 'R':
			o->ring_kb = parse_kb("--malloc-ring", optarg, 8, 1u << 20, "a ring", "KB");
			if (o->ring_kb & (o->ring_kb - 1))
				USAGE_ERROR("--malloc-ring %s: the ring size is a power of two (KB)",
					    optarg);
			break;
		case 'F': o->frames = true; break;
		case 'T': o->stacks = MM_STACKS_ON; break;
		case 'S': o->stacks = MM_STACKS_OFF; break;
		case 'N': o->no_names = true; break;
		case 'G':
			if (!*optarg)
				USAGE_ERROR("--debug-dir '': give a directory");
			o->debug_dir = optarg;
			break;
		case 'D':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(o->duration > 0) || o->duration > 1e9)
				USAGE_ERROR("--duration %s: not a number of seconds above 0", optarg);
			break;
		default:
			mm_usage_bad_option("record", mm_record_usage, c, argv, longopts);
		}
	}
	o->level = (int)level;
	if (optind < argc)
		o->argv = argv + optind;
	/* Exactly one of CMD and -p; --duration only makes sense with -p. */
	if (!o->argv && !o->nr_pids)
		USAGE_ERROR("nothing to record: give a command (memmon record -- CMD ARGS) "
			    "or running processes (-p PID)");
	if (o->argv && o->nr_pids)
		USAGE_ERROR("-p and a command ('%s'): record either a command or running processes",
			    o->argv[0]);
	if (o->argv && o->duration > 0)
		USAGE_ERROR("--duration applies to -p (a command is recorded until it exits)");
}
