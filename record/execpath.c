/*
 * record/execpath.c - the path an execve is called with, for the trace.
 *
 * The kernel's syscall tracepoints record execve's filename as an address,
 * and sched_process_exec (which names the file) fires only when the call
 * succeeds; so a failed execve, as in a PATH search (gcc tries each of its
 * directories), would be shown without the program it tried.  No event of
 * this kernel carries the string (no eprobes, no kprobes here), so record
 * reads it itself, from the task's memory, at the call's syscall-entry
 * ptrace stop, and writes it to the instance's trace_marker as
 * "memmon execve TID PATH".  That stop comes before the sys_enter_execve
 * tracepoint of the same call, so the note precedes the event in the ring
 * (plugins/notes.c pairs them).
 *
 * Syscall stops cost ~17 us per call here (two context switches to record
 * and back), so target.c asks for them only in vfork children (vfork,
 * posix_spawn: processes that exist to exec, a few calls each) until they
 * exec.  A uprobe on libc's execve would see every process's calls without
 * stops, but arming it copies the probed libc page into every process on
 * the machine, for good (measured: each keeps a 4 KiB anonymous page after
 * the probe is removed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "memmon.h"
#include "record/record.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* A NUL-terminated string at ADDR in PID's memory, read page by page (a
 * read crossing into an unmapped page fails as a whole).  Its length, or
 * -1. */
static ssize_t read_string(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;
	long page = sysconf(_SC_PAGESIZE);

	while (got < len - 1) {
		size_t want = (size_t)page - ((addr + got) & ((uint64_t)page - 1));
		if (want > len - 1 - got)
			want = len - 1 - got;
		struct iovec local = { buf + got, want };
		struct iovec remote = { (void *)(uintptr_t)(addr + got), want };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			break;
		void *nul = memchr(buf + got, '\0', (size_t)n);
		if (nul)
			return (char *)nul - buf;
		got += (size_t)n;
	}
	if (!got)
		return -1;
	buf[got] = '\0';
	return (ssize_t)got;
}

int mm_execpath_note(struct mm_out *o, pid_t pid)
{
#ifdef NATIVE_ARCH
	struct __ptrace_syscall_info si;
	char path[1024], line[1100];
	uint64_t addr;

	if (o->marker_fd < 0 ||
	    ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si) <= 0 ||
	    si.op != PTRACE_SYSCALL_INFO_ENTRY || si.arch != NATIVE_ARCH)
		return 0;
	if (si.entry.nr == SYS_execve)
		addr = si.entry.args[0];
	else if (si.entry.nr == SYS_execveat)
		addr = si.entry.args[1];
	else
		return 0;
	if (read_string(pid, addr, path, sizeof(path)) < 0)
		return 0;
	int n = snprintf(line, sizeof(line), "memmon execve %d %s", (int)pid, path);
	if (n > 0 && write(o->marker_fd, line, (size_t)n) < 0)
		return 0;     /* a note lost: the log shows the address */
	return 1;
#else
	(void)o;
	(void)pid;
	return 0;
#endif
}
