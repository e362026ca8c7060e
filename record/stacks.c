/*
 * record/stacks.c - the user stack of each memory syscall, in a second
 * instance of its own.
 *
 * ftrace's userstacktrace option follows every event of an instance with
 * the task's user stack (ftrace/user_stack: up to 8 return addresses,
 * walked by frame pointers).  It is an instance-wide option, and a stack
 * per page fault would cost the fault path ~1.5 us (measured: a brk loop
 * went from 2.8 to 4.4 us a call with it), so it lives in a second
 * instance, memmon-<pid>-stacks, that has only the sys_enter events of the
 * memory syscalls (mmap, munmap, brk, mprotect, mremap, madvise, ...: the
 * ones that make, change or drop mappings, not the process calls) and the
 * same pid filter.  Its ring goes to the file as STACK_CHUNK sections;
 * report pairs each stack with the main ring's syscall (plugins/ustack.c).
 *
 * The walk needs frame pointers in the program and its libraries; where a
 * function keeps none (Debian's glibc) the stack loses that function's
 * caller, which the ELF objects' frame-pointer notes let the report say.
 * It reads the frames with faults disabled, so a frame pointer into
 * nothing is an exceptions:page_fault_kernel of the task that maps
 * nothing (rusage never counts it): the main instance's filter keeps
 * those out, by their preemption count - a fault the kernel handles is
 * never taken with preemption disabled, the walk always is (measured:
 * read() into fresh pages 0, the walk's 3).
 * The instance is created, torn down and cleaned up (stale.c) like the
 * main one: everything record changes lives in its instances.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "memmon.h"
#include "plugins/eventset.h"
#include "record/record.h"

/* Traced calls that are about processes, not mappings, and the phase
 * markers (record --markers): no stack. */
static const char *const unstacked[] = {
	"execve", "exit_group", "clone", "clone3", "fork", "vfork", "fsync", "fdatasync",
};

static bool stacked(const char *call)
{
	for (size_t i = 0; i < sizeof(unstacked) / sizeof(unstacked[0]); i++)
		if (!strcmp(call, unstacked[i]))
			return false;
	return true;
}

bool mm_stacks_available(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/options/userstacktrace", mm_tracing_dir());
	return access(path, F_OK) == 0;
}

int mm_stacks_filter_main(struct tracefs_instance *main)
{
	return mm_tracing_event_filter(main, "exceptions", "page_fault_kernel",
				       "common_preempt_count == 0");
}

struct tracefs_instance *mm_stacks_create(const char *name, const struct mm_evlist *l,
					  const pid_t *pids, size_t n, const char *clock)
{
	struct mm_evlist enter = { 0 };
	struct tracefs_instance *inst = mm_tracing_create(name, 0);

	if (!inst)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->ev[i].system, "syscalls") &&
		    !strncmp(l->ev[i].name, "sys_enter_", 10) && stacked(l->ev[i].name + 10))
			mm_evlist_add(&enter, "syscalls", l->ev[i].name);
	if (tracefs_option_enable(inst, TRACEFS_OPTION_USERSTACKTRACE) < 0) {
		mm_error_errno("cannot enable userstacktrace in instance '%s'", name);
		goto fail;
	}
	/* the main instance's clock: each stack is paired with its syscall by time */
	if (mm_tracing_set_clock(inst, clock) < 0 ||
	    mm_tracing_set_pids(inst, pids, n) < 0 || mm_evlist_enable(inst, &enter) < 0)
		goto fail;
	free(enter.ev);
	return inst;
fail:
	free(enter.ev);
	mm_tracing_destroy(inst);
	return NULL;
}
