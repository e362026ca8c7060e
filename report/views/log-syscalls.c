/*
 * report/views/log-syscalls.c - the log's memory syscall lines: a call's
 * name, its arguments in memmon's words and its result ("mmap(0, 139264,
 * rw-, PRIVATE|ANON, fd -1) -> 7f12b7d8f000"), design.md's formats; an
 * mmap of a file the trace names says which after its fd ("fd 3
 * "/tmp/x.dat"").
 *
 * Part of the log's fast path (log.c says why): no printf, each piece
 * written in place by plugins/symbolic.h's converters into the room the
 * log checked for the whole line.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "plugins/event.h"
#include "plugins/symbolic.h"
#include "report/views/log.h"

/* ") -> RESULT" for calls returning an address. */
static char *ret_addr(char *p, const struct mm_syscall *s)
{
	p = mm_sym_str(p, ") -> ");
	if (!s->has_ret) {
		*p++ = '?';
		return p;
	}
	return mm_sym_is_err(s->ret) ? mm_sym_errno(p, s->ret) : mm_sym_hex(p, (uint64_t)s->ret);
}

/* ") = RESULT" for the others. */
static char *ret_val(char *p, const struct mm_syscall *s)
{
	p = mm_sym_str(p, ") = ");
	if (!s->has_ret) {
		*p++ = '?';
		return p;
	}
	return mm_sym_is_err(s->ret) ? mm_sym_errno(p, s->ret) : mm_sym_dec(p, s->ret);
}

/* "ADDR, LEN" - the pair most memory calls start with. */
static char *range(char *p, const uint64_t *a)
{
	p = mm_sym_hex(p, a[0]);
	p = mm_sym_str(p, ", ");
	return mm_sym_udec(p, a[1]);
}

static char *comma(char *p)
{
	p[0] = ',';
	p[1] = ' ';
	return p + 2;
}

/* A mapped file's path after its fd, quoted as execve's (a trace's path
 * may hold any byte); past PATH_ROOM bytes its tail, which names the file,
 * after "...".  At most 4 * PATH_ROOM + 3 bytes: the line's room holds it. */
#define PATH_ROOM 128

static char *file_path(char *p, const char *path)
{
	char tail[PATH_ROOM + 1];
	size_t n = strlen(path);

	if (n <= PATH_ROOM)
		return mm_sym_quoted(mm_sym_str(p, " "), path, PATH_ROOM);
	snprintf(tail, sizeof(tail), "...%s", path + n - (PATH_ROOM - 3));
	return mm_sym_quoted(mm_sym_str(p, " "), tail, PATH_ROOM);
}

static char *fmt_mmap(char *p, const struct mm_syscall *s, const char *file)
{
	const uint64_t *a = s->args;
	p = range(p, a);
	p = mm_sym_prot(comma(p), a[2]);
	p = mm_sym_mmap_flags(comma(p), a[3]);
	p = mm_sym_str(p, ", fd ");
	p = mm_sym_dec(p, (int32_t)a[4]);
	if (file)
		p = file_path(p, file);
	if (a[5]) {
		p = mm_sym_str(p, ", off ");
		p = mm_sym_hex(p, a[5]);
	}
	return ret_addr(p, s);
}

static char *fmt_mremap(char *p, const struct mm_syscall *s)
{
	const uint64_t *a = s->args;
	p = range(p, a);
	p = mm_sym_udec(comma(p), a[2]);
	p = mm_sym_mremap_flags(comma(p), a[3]);
	if (a[3] & 2)                    /* MREMAP_FIXED: new_addr is used */
		p = mm_sym_hex(comma(p), a[4]);
	return ret_addr(p, s);
}

/* The calls whose arguments are "ADDR, LEN[, FLAGS]". */
static char *fmt_range_call(char *p, const struct mm_syscall *s)
{
	const uint64_t *a = s->args;
	p = range(p, a);
	switch (s->nr) {
	case MM_SYS_MPROTECT: p = mm_sym_prot(comma(p), a[2]); break;
	case MM_SYS_MADVISE:  p = mm_sym_madvise(comma(p), (int32_t)a[2]); break;
	case MM_SYS_MLOCK2:   p = mm_sym_mlock2_flags(comma(p), a[2]); break;
	case MM_SYS_MSYNC:    p = mm_sym_msync_flags(comma(p), a[2]); break;
	default: break;
	}
	return ret_val(p, s);
}

static char *fmt_shm(char *p, const struct mm_syscall *s)
{
	const uint64_t *a = s->args;
	switch (s->nr) {
	case MM_SYS_SHMGET:
		p = mm_sym_hex(p, (uint32_t)a[0]);
		p = mm_sym_udec(comma(p), a[1]);
		p = mm_sym_shmget_flags(comma(p), a[2]);
		return ret_val(p, s);
	case MM_SYS_SHMAT:
		p = mm_sym_dec(p, (int32_t)a[0]);
		p = mm_sym_hex(comma(p), a[1]);
		p = mm_sym_shmat_flags(comma(p), a[2]);
		return ret_addr(p, s);
	case MM_SYS_SHMDT:
		return ret_val(mm_sym_hex(p, a[0]), s);
	default:
		p = mm_sym_dec(p, (int32_t)a[0]);
		p = mm_sym_shmctl_cmd(comma(p), (int32_t)a[1]);
		return ret_val(p, s);
	}
}

/* Process-side calls: no memory ranges. */
static char *fmt_task_call(char *p, const struct mm_syscall *s)
{
	const uint64_t *a = s->args;
	switch (s->nr) {
	case MM_SYS_MEMFD_CREATE:
		*p++ = '@';
		p = mm_sym_hex(p, a[0]);
		p = mm_sym_memfd_flags(comma(p), a[1]);
		return ret_val(p, s);
	case MM_SYS_EXECVE:
		if (s->path[0])
			p = mm_sym_quoted(p, s->path, sizeof(s->path));
		else
			p = mm_sym_hex(mm_sym_str(p, "@"), a[0]);
		return ret_val(p, s);
	case MM_SYS_EXIT_GROUP:
		p = mm_sym_dec(p, (int32_t)a[0]);
		*p++ = ')';
		return p;
	case MM_SYS_CLONE:
		return ret_val(mm_sym_clone_flags(p, a[0]), s);
	case MM_SYS_CLONE3:
		/* the flags live in user memory; task_newtask told them */
		if (s->have_clone_flags)
			p = mm_sym_clone_flags(p, s->clone_flags);
		else
			p = mm_sym_hex(mm_sym_str(p, "@"), a[0]);
		return ret_val(mm_sym_udec(comma(p), a[1]), s);
	case MM_SYS_FSYNC: case MM_SYS_FDATASYNC:
		return ret_val(mm_sym_dec(p, (int32_t)a[0]), s);
	default:                         /* fork, vfork, munlockall */
		return ret_val(p, s);
	}
}

/* The calls added for issue 10: pkey_mprotect(ADDR, LEN, PROT, KEY),
 * mseal(ADDR, LEN, FLAGS), remap_file_pages(ADDR, LEN, PROT, PGOFF, FLAGS)
 * (PGOFF in pages, FLAGS hex), process_madvise(PIDFD, @IOVEC, VLEN,
 * ADVICE, FLAGS) - its ranges are in user memory, only the vector's
 * address is known. */
static char *fmt_more_calls(char *p, const struct mm_syscall *s)
{
	const uint64_t *a = s->args;
	switch (s->nr) {
	case MM_SYS_PKEY_MPROTECT:
		p = mm_sym_prot(comma(range(p, a)), a[2]);
		return ret_val(mm_sym_dec(comma(p), (int32_t)a[3]), s);
	case MM_SYS_MSEAL:
		return ret_val(mm_sym_hex(comma(range(p, a)), a[2]), s);
	case MM_SYS_REMAP_FILE_PAGES:
		p = mm_sym_prot(comma(range(p, a)), a[2]);
		p = mm_sym_udec(comma(p), a[3]);
		return ret_val(mm_sym_hex(comma(p), a[4]), s);
	default:                         /* process_madvise */
		p = mm_sym_dec(p, (int32_t)a[0]);
		p = mm_sym_str(p, ", @");
		p = mm_sym_hex(p, a[1]);
		p = mm_sym_udec(comma(p), a[2]);
		p = mm_sym_madvise(comma(p), (int32_t)a[3]);
		return ret_val(mm_sym_hex(comma(p), a[4]), s);
	}
}

char *mm_log_syscall(char *p, const struct mm_syscall *s, const char *file)
{
	p = mm_sym_str(p, mm_syscall_name(s->nr));
	*p++ = '(';
	switch (s->nr) {
	case MM_SYS_PKEY_MPROTECT: case MM_SYS_MSEAL: case MM_SYS_REMAP_FILE_PAGES:
	case MM_SYS_PROCESS_MADVISE:
		return fmt_more_calls(p, s);
	case MM_SYS_BRK:
		return ret_addr(mm_sym_hex(p, s->args[0]), s);
	case MM_SYS_MMAP:
		return fmt_mmap(p, s, file);
	case MM_SYS_MREMAP:
		return fmt_mremap(p, s);
	case MM_SYS_MUNMAP: case MM_SYS_MPROTECT: case MM_SYS_MADVISE:
	case MM_SYS_MLOCK: case MM_SYS_MLOCK2: case MM_SYS_MUNLOCK: case MM_SYS_MSYNC:
		return fmt_range_call(p, s);
	case MM_SYS_MLOCKALL:
		return ret_val(mm_sym_mlockall_flags(p, s->args[0]), s);
	case MM_SYS_SHMGET: case MM_SYS_SHMAT: case MM_SYS_SHMDT: case MM_SYS_SHMCTL:
		return fmt_shm(p, s);
	default:
		return fmt_task_call(p, s);
	}
}
