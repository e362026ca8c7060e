/*
 * plugins/eventset.c - the tracepoint set of PRODUCT.md.
 *
 * Faults (page_fault_user) plus the events that follow a fault in the same
 * task and so tell its class (rss_stat, filemap), process life, and the
 * memory syscalls.  Syscall tracepoints are listed separately by name because
 * each comes as an enter/exit pair.
 */
#include "eventset.h"

const struct mm_event_spec mm_event_set[] = {
	{ "exceptions", "page_fault_user",      true  },
	{ "kmem",       "rss_stat",             false },
	{ "filemap",    "mm_filemap_fault",     false },
	{ "filemap",    "mm_filemap_map_pages", false },
	/* task_newtask carries clone_flags: CLONE_THREAD tells a thread from a
	 * process even when glibc uses clone3, whose flags are in user memory. */
	{ "task",       "task_newtask",         false },
	{ "sched",      "sched_process_fork",   false },
	{ "sched",      "sched_process_exec",   false },
	{ "sched",      "sched_process_exit",   false },
	{ "task",       "task_rename",          false },
};
const size_t mm_event_set_len = sizeof(mm_event_set) / sizeof(mm_event_set[0]);

const char *const mm_traced_syscalls[] = {
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "msync",
	"shmget", "shmat", "shmdt", "shmctl", "memfd_create",
	"execve", "exit_group", "clone", "clone3", "fork", "vfork",
};
const size_t mm_traced_syscalls_len =
	sizeof(mm_traced_syscalls) / sizeof(mm_traced_syscalls[0]);
