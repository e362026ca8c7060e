/*
 * record/malloc-setup.c - record --malloc's part of a recording's setup:
 * the interposer's rings and clock for a spawned dynamic CMD, or uprobes
 * on the allocator a process maps (-p, a static CMD at its exec).  The
 * rings and their drain are malloc.c's, the uprobes uprobes.c's; this file
 * chooses between them and fills struct rec (recording.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "record/interposer/ring.h"
#include "record/recording.h"

/* A static CMD: its program's path (malloc'd), or NULL. */
static char *static_program(const char *name)
{
	char *path = strchr(name, '/') ? mm_strdup(name) : mm_target_find(name);

	if (path && mm_elf_is_static(path) == 1)
		return path;
	free(path);
	return NULL;
}

/* --malloc: the interposer, its rings, the clock they share with the
 * ring buffer (x86-tsc where the kernel has it: rdtsc costs the
 * interposer ~10 ns a call, clock_gettime ~50), CMD's environment.  By
 * uprobes (-p, a static CMD: uprobes.c) the clock is mono, the events'. */
int mm_rec_heap_prepare(struct rec *r)
{
	bool tsc = false;

	r->heap_static = r->opt.argv ? static_program(r->opt.argv[0]) : NULL;
	r->heap_uprobes = !r->opt.argv || r->heap_static;
	if (r->heap_uprobes && !mm_uprobes_available())
		return mm_error("--malloc %s needs uprobes opened with perf_event_open "
				"(/sys/bus/event_source/devices/uprobe: not on this kernel)",
				r->heap_static ? "of a static program" : "with -p");
#if defined(__x86_64__)
	tsc = !r->heap_uprobes && mm_tracing_has_clock(r->inst, "x86-tsc");
#endif
	if (!tsc && !mm_tracing_has_clock(r->inst, "mono"))
		return mm_error("--malloc needs the trace clock x86-tsc or mono; this kernel has neither");
	r->heap_clock = tsc ? MM_RING_CLOCK_TSC : MM_RING_CLOCK_MONO;
	r->trace_clock = tsc ? "x86-tsc" : "mono";
	r->cal_ns = mm_mono_ns();
	r->cal_ticks = mm_malloc_clock(r->heap_clock);
	if (r->opt.argv && !(r->heap_lib = mm_preload_find_lib()))
		return -1;
	/* ticks per ms for the drain's slack: a rough rate will do there */
	r->heap = mm_malloc_create(MM_REC_NR_RINGS, r->opt.ring_kb, r->heap_clock, tsc ? 4000000 : 1000000);
	if (!r->heap)
		return -1;
	if (r->opt.argv)         /* a static CMD's children may be dynamic */
		r->heap_env = mm_preload_env(r->heap_lib, mm_malloc_fd(r->heap));
	return 0;
}

/* Uprobes on PID's allocator, their records into the malloc stream. */
int mm_rec_heap_attach(struct rec *r, pid_t pid)
{
	struct mm_uprobes *u;

	r->uprobes_defined = true;
	if (!(u = mm_uprobes_open(pid, r->group)))
		return -1;
	if (r->opt.verbose)
		fprintf(stderr, "memmon record: malloc: uprobes on %s in pid %d\n",
			mm_uprobes_file(u), (int)pid);
	if (!r->uprobe_file[0])
		snprintf(r->uprobe_file, sizeof(r->uprobe_file), "%s", mm_uprobes_file(u));
	return mm_malloc_add_uprobes(r->heap, u);
}

/* A static CMD's exec (target.c's hook): its program is mapped, not run. */
void mm_rec_heap_on_exec(void *ctx, pid_t pid)
{
	struct rec *r = ctx;

	if (mm_rec_heap_attach(r, pid) < 0)
		fprintf(stderr, "memmon record: malloc: %s: its calls will not be recorded\n",
			mm_error_msg());
}
