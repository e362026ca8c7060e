/*
 * record/naming.c - the two sources of names a recording opens beside its
 * instance: the kernel's records of file mappings (mapnames.c) and the
 * stacks instance (stacks.c).  Either one missing costs the report some
 * names, never the recording: a notice, and the rest goes on.  --no-names
 * and --no-stacks (or a program without frame pointers, for the stacks)
 * leave them out on purpose: the cheapest recording, for
 * programs that call mmap or brk at a high rate (each call then costs no
 * mapping record and no stack walk).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "format/objects.h"
#include "record/interposer/ring.h"
#include "record/recording.h"

/* The kernel's records of every file the watched tasks map (mapnames.c):
 * without them (perf refused) regions mapped between snapshots stay
 * "fd N", which is worth a notice, not a failed recording. */
void mm_rec_open_names(struct rec *r, unsigned nr_cpus)
{
	if (r->opt.no_names)
		return;
	r->names = mm_mapnames_open(r->opt.pids, r->opt.nr_pids, !r->target, nr_cpus);
	r->out.names = r->names;
	if (!r->names && !r->opt.quiet)
		fprintf(stderr, "memmon record: notice: %s: files mapped and unmapped between "
			"snapshots will be named 'fd N'\n", mm_error_msg());
}

/*
 * A stack is walked by frame pointers, so it is worth its walk (~1.3 us a
 * memory call here) only where the program keeps them: in one that keeps
 * none (what gcc and rustc make by default, all of Debian's programs) it
 * is the call's own address followed by whatever %rbp held.  So by
 * default the memory calls get stacks when the program run (CMD, a
 * script's interpreter) or one attached to keeps frame pointers, or when
 * that cannot be told; --stacks and --no-stacks decide instead.  The
 * choice and its reason go into the header (MM_KEY_STACKS), so that the
 * report can say why a trace has no stacks.
 */
static bool program_keeps_fp(const char *program, const char *shown, char *why, size_t n)
{
	char used[512];
	int fp = mm_elf_fp_of_program(program, used, sizeof(used));

	if (fp == MM_ELF_FP_NO)
		snprintf(why, n, "%s keeps no frame pointers", shown ? shown : used);
	return fp != MM_ELF_FP_NO;
}

/* The allocations' frames (record --malloc's interposer walks them by
 * frame pointers, as the kernel walks the syscalls' stacks): taken where
 * the stacks are, whatever the kernel's ftrace can do; uprobes (-p, a
 * static CMD) record the call site only. */
static void choose_heap_frames(struct rec *r, bool on, const char *why)
{
	if (!r->heap)
		return;
	if (r->heap_uprobes)
		snprintf(r->heap_frames_note, sizeof(r->heap_frames_note),
			 "0: recorded by uprobes, which take the call site only");
	else if (!on)
		snprintf(r->heap_frames_note, sizeof(r->heap_frames_note), "0: %s", why);
	else {
		mm_malloc_set_frames(r->heap, MM_RING_MAX_FRAMES);
		snprintf(r->heap_frames_note, sizeof(r->heap_frames_note), "%u",
			 MM_RING_MAX_FRAMES);
	}
}

void mm_rec_choose_stacks(struct rec *r)
{
	char why[600] = "", off[700];
	bool on = r->opt.stacks != MM_STACKS_OFF;

	if (r->opt.stacks == MM_STACKS_AUTO && r->target) {
		on = program_keeps_fp(mm_target_program(r->target), NULL, why, sizeof(why));
	} else if (r->opt.stacks == MM_STACKS_AUTO) {
		on = false;                 /* -p: any of the processes */
		for (size_t i = 0; i < r->opt.nr_pids && !on; i++) {
			char link[64], exe[512];
			ssize_t n;
			snprintf(link, sizeof(link), "/proc/%d/exe", (int)r->opt.pids[i]);
			n = readlink(link, exe, sizeof(exe) - 1);
			exe[n > 0 ? n : 0] = '\0';
			/* the link opens the file even when it was deleted since */
			on = program_keeps_fp(link, n > 0 ? exe : NULL, why, sizeof(why));
		}
	}
	if (r->opt.stacks == MM_STACKS_OFF)
		snprintf(off, sizeof(off), "record --no-stacks");
	else
		snprintf(off, sizeof(off), "%s, so a stack would stop at the call; record "
			 "--stacks takes them anyway", why);
	choose_heap_frames(r, on, off);
	if (r->opt.stacks == MM_STACKS_OFF) {
		snprintf(r->stacks_note, sizeof(r->stacks_note), "off: record --no-stacks");
		return;
	}
	if (!mm_stacks_available()) {
		snprintf(r->stacks_note, sizeof(r->stacks_note),
			 "off: this kernel's ftrace has no userstacktrace option");
		return;
	}
	if (on)
		snprintf(r->stacks_note, sizeof(r->stacks_note), "on");
	else
		snprintf(r->stacks_note, sizeof(r->stacks_note), "off: %s", off);
	if (!on && r->opt.verbose)
		fprintf(stderr, "memmon record: no stacks of the memory calls: %s\n",
			r->stacks_note + 5);
}

/* The second instance, for the user stacks of the memory syscalls
 * (stacks.c); without it the report has no stacks, nothing else lacks. */
void mm_rec_open_stacks(struct rec *r)
{
	if (strcmp(r->stacks_note, "on"))
		return;
	snprintf(r->stacks_name, sizeof(r->stacks_name), "%s" MM_STACKS_SUFFIX, r->name);
	if (mm_stacks_filter_main(r->inst) == 0)
		r->stacks = mm_stacks_create(r->stacks_name, &r->ev, r->opt.pids,
					     r->opt.nr_pids, r->trace_clock);
	if (!r->stacks && !r->opt.quiet)
		fprintf(stderr, "memmon record: notice: %s: the memory calls will have no "
			"stacks\n", mm_error_msg());
}
