/*
 * record/recording.h - what one recording holds (struct rec), shared by
 * the steps of `memmon record` (cmd-record.c) and the helpers they call:
 * the writing of its file's header (header.c), the sources of names
 * (naming.c), --malloc's setup (malloc-setup.c), the closing summary
 * (summary.c).  Everything in it is released by cmd-record's cleanup()
 * on every path.
 */
#ifndef MM_RECORD_RECORDING_H
#define MM_RECORD_RECORDING_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "plugins/eventset.h"
#include "record/options.h"
#include "record/record.h"

/*
 * --malloc's rings: one per thread that allocates.  1 MiB holds ~30k calls,
 * 3 ms of a thread doing nothing but malloc/free here, and the writer wakes
 * the drain at half; the area is a sparse memfd, so rings never used cost
 * one page each.
 */
#define MM_REC_NR_RINGS 512

struct rec {
	struct mm_record_opts opt;
	struct mm_out out;
	char *part;           /* FILE.PID.part, written until complete */
	char *dest;           /* what the part is renamed to: FILE, or the file
	                       * a symbolic link FILE names */
	bool began;           /* events were recorded: keep the part on error */
	bool finished;        /* file complete: tear down without waiting */
	struct tracefs_instance *inst;
	struct tracefs_instance *stacks;     /* memmon-PID-stacks, or NULL */
	char name[32], group[32], stacks_name[48];
	char stacks_note[768];    /* MM_KEY_STACKS: "on", or "off: why" (naming.c) */
	char heap_frames_note[768];  /* MM_KEY_HEAP_FRAMES: "N", or "0: why" (naming.c) */
	bool probes;
	const char *classifier;
	const char *probe_set;    /* the kprobe set's name, or NULL */
	int stopped_by;       /* the signal that ended the setup, 0 */
	struct mm_evlist ev;
	char *probe_text;
	struct mm_target *target;
	char **env;           /* CMD's environment (NULL: record's own) */
	bool marker_copy;     /* copy_trace_marker set in the instance */
	struct mm_drain *drain;
	struct mm_drain *stacks_drain;
	struct mm_mapnames *names;           /* NULL: perf refused */
	struct mm_watch *watch;       /* the live watch list */
	struct mm_control *control;   /* its socket (NULL: none could be made) */
	/* --malloc */
	struct mm_malloc *heap;
	char *heap_lib;
	char **heap_env;
	unsigned heap_clock;          /* MM_RING_CLOCK_* */
	bool heap_uprobes;            /* by uprobes: -p, or a static CMD */
	bool uprobes_defined;         /* in r->group: removed at cleanup whatever happened */
	char uprobe_file[256];        /* the (first) file the uprobes are on */
	char *heap_static;            /* a static CMD's program (uprobes at its exec) */
	const char *trace_clock;
	uint64_t cal_ticks, cal_ns;   /* TSC calibration: the first sample */
	uint64_t tsc_hz;
	uint16_t heap_id;
	bool forwarded;
	bool signals_set;
	sigset_t oldmask, waitmask;
	struct sigaction old_int, old_term, old_chld;
};

/* The pid filter and the events (this thread) while a helper thread writes
 * the header: MACHINE, PROBES, the START snapshots (header.c). */
int mm_rec_filter_and_header(struct rec *r, unsigned nr_cpus, size_t subbuf);

/* naming.c: the mapping records of the watched tasks (before the header:
 * its snapshots feed them), whether the memory calls get stacks (before
 * the header too: it says so) and, after it, the stacks instance; NULL in
 * R when they cannot be had, with a notice. */
void mm_rec_open_names(struct rec *r, unsigned nr_cpus);
void mm_rec_choose_stacks(struct rec *r);
void mm_rec_open_stacks(struct rec *r);

/* malloc-setup.c: record --malloc's setup.  prepare: the interposer's
 * rings and clock (a spawned dynamic CMD) or the check that uprobes can be
 * had (-p, a static CMD), before CMD is spawned; attach: uprobes on PID's
 * allocator into the malloc stream; on_exec: target.c's hook for a static
 * CMD (attach at its exec; a failure costs its calls, said once).  -1 with
 * mm_error() set. */
int mm_rec_heap_prepare(struct rec *r);
int mm_rec_heap_attach(struct rec *r, pid_t pid);
void mm_rec_heap_on_exec(void *ctx, pid_t pid);

/* What finish() gathers at the end of a recording, for its summary. */
struct mm_rec_totals {
	struct mm_drain_totals events, stacks;    /* the instance's, the stacks' */
	struct mm_malloc_totals heap;
	struct mm_mapnames_stats names;
	struct mm_writer_stats file;
	double secs;                              /* from tracing on to the end */
};

/* summary.c: record's closing lines on stderr (none with -q). */
void mm_rec_summary(const struct rec *r, const struct mm_rec_totals *t);

#endif
