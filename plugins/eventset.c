/*
 * plugins/eventset.c - the tracepoint set of PRODUCT.md.
 *
 * Faults (page_fault_user) plus the events that follow a fault in the same
 * task and so tell its class (rss_stat, filemap), process life, and the
 * memory syscalls.  Syscall tracepoints are listed separately by name because
 * each comes as an enter/exit pair.
 */
#include <string.h>

#include "eventset.h"

const struct mm_event_spec mm_event_set[] = {
	{ "exceptions", "page_fault_user",      true  },
	/* the kernel touching user memory for the task: read() into a fresh
	 * buffer; rusage counts these faults too */
	{ "exceptions", "page_fault_kernel",    false },
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
	/* how a process died, and the access that raised SIGSEGV/SIGBUS */
	{ "signal",     "signal_generate",      false },
	{ "signal",     "signal_deliver",       false },
};
const size_t mm_event_set_len = sizeof(mm_event_set) / sizeof(mm_event_set[0]);

/* Their fields are the same on 6.1 and 6.18 (pfn, order, gfp_flags,
 * migratetype; mm_page_free: pfn, order: 6.1's from the print formats in
 * Debian's linux-image-6.1.0-57-amd64, 6.18's from tracefs here), and so
 * are the gfp bits plugins/frames.c reads.  mm_page_free
 * fires in free_pages_prepare, which every path that frees pages goes
 * through (the batched munmap/exit path adds mm_page_free_batched for
 * the same pages: not needed). */
const struct mm_event_spec mm_frame_events[] = {
	{ "kmem", "mm_page_alloc", false },
	{ "kmem", "mm_page_free",  false },
};
const size_t mm_frame_events_len = sizeof(mm_frame_events) / sizeof(mm_frame_events[0]);

bool mm_event_is_required(const char *system_name)
{
	const char *colon = strchr(system_name, ':');
	if (!colon)
		return false;
	for (size_t i = 0; i < mm_event_set_len; i++)
		if (mm_event_set[i].required &&
		    strlen(mm_event_set[i].system) == (size_t)(colon - system_name) &&
		    !strncmp(mm_event_set[i].system, system_name, colon - system_name) &&
		    !strcmp(mm_event_set[i].name, colon + 1))
			return true;
	return false;
}

const char *const mm_traced_syscalls[] = {
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "msync",
	"shmget", "shmat", "shmdt", "shmctl", "memfd_create",
	"execve", "exit_group", "clone", "clone3", "fork", "vfork",
	"pkey_mprotect", "process_madvise", "mseal", "remap_file_pages",
};
const size_t mm_traced_syscalls_len =
	sizeof(mm_traced_syscalls) / sizeof(mm_traced_syscalls[0]);

/* The seed's experiments mark their phases with fsync(N): cheap, and
 * visible to any tracer.  Enabled unless record --markers leaves them out. */
const char *const mm_marker_syscalls[] = { "fsync", "fdatasync" };
const size_t mm_marker_syscalls_len =
	sizeof(mm_marker_syscalls) / sizeof(mm_marker_syscalls[0]);

/*
 * The calls that fill user memory in bulk, and so take the kernel-mode
 * faults of a program's fresh buffers (read() into them): their entry and
 * exit say which call a kernel-mode fault was in (plugins/iocalls.c).
 * Only these, not every call: raw_syscalls:sys_enter would cost an event
 * on every syscall a program makes (a write() loop ran 4.7x slower
 * recorded, against 1.1x without it); these cost nothing on other calls.
 */
const char *const mm_io_syscalls[] = {
	"read", "pread64", "readv", "preadv", "preadv2", "recvfrom", "recvmsg",
	"recvmmsg", "getdents64", "getrandom", "process_vm_readv",
};
const size_t mm_io_syscalls_len = sizeof(mm_io_syscalls) / sizeof(mm_io_syscalls[0]);
