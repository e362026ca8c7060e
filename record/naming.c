/*
 * record/naming.c - the two sources of names a recording opens beside its
 * instance: the kernel's records of file mappings (mapnames.c) and the
 * stacks instance (stacks.c).  Either one missing costs the report some
 * names, never the recording: a notice, and the rest goes on.  --no-names
 * and --no-stacks leave them out on purpose: the cheapest recording, for
 * programs that call mmap or brk at a high rate (each call then costs no
 * mapping record and no stack walk).
 */
#include <stdio.h>

#include "memmon.h"
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

/* The second instance, for the user stacks of the memory syscalls
 * (stacks.c); without it the report has no stacks, nothing else lacks. */
void mm_rec_open_stacks(struct rec *r)
{
	if (r->opt.no_stacks)
		return;
	snprintf(r->stacks_name, sizeof(r->stacks_name), "%s" MM_STACKS_SUFFIX, r->name);
	if (mm_stacks_available()) {
		if (mm_stacks_filter_main(r->inst) == 0)
			r->stacks = mm_stacks_create(r->stacks_name, &r->ev, r->opt.pids,
						     r->opt.nr_pids, r->trace_clock);
	} else
		mm_error("this kernel's ftrace has no userstacktrace option");
	if (!r->stacks && !r->opt.quiet)
		fprintf(stderr, "memmon record: notice: %s: the memory calls will have no "
			"stacks\n", mm_error_msg());
}
