/*
 * record/options.h - `memmon record`'s options: what the command line
 * asked for, checked (options.c); the recording (cmd-record.c) reads them.
 */
#ifndef MM_RECORD_OPTIONS_H
#define MM_RECORD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* --markers=LIST: the phase markers recorded (both by default) */
#define MM_MARKERS_FSYNC  1u  /* fsync(FD), fdatasync(FD) calls */
#define MM_MARKERS_TRACE  2u  /* the program's writes to trace_marker */
#define MM_MARKERS_ALL    (MM_MARKERS_FSYNC | MM_MARKERS_TRACE)

/* The memory calls' user stacks: where the program keeps frame pointers
 * (naming.c), --stacks always, --no-stacks never (the last one given). */
enum mm_stacks_choice { MM_STACKS_AUTO, MM_STACKS_ON, MM_STACKS_OFF };

struct mm_record_opts {
	const char *output;
	unsigned buffer_kb, chunk_kb;
	int level;
	double duration;
	const char *classifier;
	const char *debug_dir;    /* --debug-dir: separate debug files by build-id */
	enum mm_stacks_choice stacks; /* the user stacks of the memory calls */
	bool no_names;            /* --no-names: no mapping records, no ELF objects */
	bool frames;              /* --frames: the page allocator's events too */
	bool quiet, verbose;
	bool heap;            /* --malloc */
	unsigned markers;     /* --markers: MM_MARKERS_* */
	unsigned ring_kb;
	pid_t *pids;
	size_t nr_pids;
	char **argv;          /* CMD ARGS, NULL-terminated; NULL with -p */
};

/* Read ARGV into O; a usage error (or --help) exits with its message. */
void mm_record_parse_options(int argc, char **argv, struct mm_record_opts *o);
/* The usage line (for the messages of the steps after the options). */
extern const char mm_record_usage[];

#endif
