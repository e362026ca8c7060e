/*
 * plugins/symbolic.c - flag words, advice values and errno numbers by name.
 *
 * The values are Linux x86-64's uapi constants, written out here rather
 * than taken from the build machine's headers: a report decodes a trace of
 * the recording machine, and the log's spelling must not depend on which
 * libc headers the reporting machine happens to have.  Names drop their
 * family prefix (MAP_, MADV_, MS_...), as in design.md; bits without a
 * name are shown in hex so nothing is silently lost.
 */
#include <signal.h>
#include <string.h>

#include "symbolic.h"

struct bit_name {
	uint64_t bit;
	const char *name;
};
#define NBITS(t) (sizeof(t) / sizeof((t)[0]))

/* "A|B|0x40": names of set bits in table order, then what is left. */
static char *bits(char *p, uint64_t v, const struct bit_name *t, size_t n, char *start)
{
	for (size_t i = 0; i < n; i++) {
		if (!(v & t[i].bit))
			continue;
		if (p != start)
			*p++ = '|';
		p = mm_sym_str(p, t[i].name);
		v &= ~t[i].bit;
	}
	if (v) {
		if (p != start)
			*p++ = '|';
		p = mm_sym_str(p, "0x");
		p = mm_sym_hex(p, v);
	}
	if (p == start)
		*p++ = '0';
	return p;
}

/* The kernel's own errnos (include/linux/errno.h): never meant for user
 * space, but a syscall tracepoint sees them before the restart or the
 * translation (fork interrupted by a signal: -ERESTARTNOINTR). */
static const char *kernel_errno(int64_t e)
{
	static const char *const names[] = {
		[0] = "ERESTARTSYS", [1] = "ERESTARTNOINTR", [2] = "ERESTARTNOHAND",
		[3] = "ENOIOCTLCMD", [4] = "ERESTART_RESTARTBLOCK", [5] = "EPROBE_DEFER",
		[6] = "EOPENSTALE", [7] = "ENOPARAM", [9] = "EBADHANDLE", [10] = "ENOTSYNC",
		[11] = "EBADCOOKIE", [12] = "ENOTSUPP", [13] = "ETOOSMALL",
		[14] = "ESERVERFAULT", [15] = "EBADTYPE", [16] = "EJUKEBOX",
		[17] = "EIOCBQUEUED", [18] = "ERECALLCONFLICT", [19] = "ENOGRACE",
	};
	if (e < 512 || e - 512 >= (int64_t)NBITS(names))
		return NULL;
	return names[e - 512];
}

char *mm_sym_errno(char *p, int64_t ret)
{
	const char *name = -ret >= 512 ? kernel_errno(-ret) : strerrorname_np((int)-ret);
	*p++ = '-';
	if (name)
		return mm_sym_str(p, name);
	*p++ = 'E';
	return mm_sym_dec(p, -ret);
}

char *mm_sym_prot(char *p, uint64_t prot)
{
	*p++ = prot & 1 ? 'r' : '-';
	*p++ = prot & 2 ? 'w' : '-';
	*p++ = prot & 4 ? 'x' : '-';
	prot &= ~7ull;
	if (prot) {
		static const struct bit_name more[] = {
			{ 0x01000000, "GROWSDOWN" }, { 0x02000000, "GROWSUP" }, { 0x8, "SEM" },
		};
		*p++ = '|';
		char *start = p;
		p = bits(p, prot, more, NBITS(more), start);
	}
	return p;
}

static const struct bit_name map_bits[] = {
	{ 0x08, "DROPPABLE" }, { 0x10, "FIXED" }, { 0x20, "ANON" }, { 0x40, "32BIT" },
	{ 0x100, "GROWSDOWN" }, { 0x800, "DENYWRITE" }, { 0x1000, "EXECUTABLE" },
	{ 0x2000, "LOCKED" }, { 0x4000, "NORESERVE" }, { 0x8000, "POPULATE" },
	{ 0x10000, "NONBLOCK" }, { 0x20000, "STACK" }, { 0x40000, "HUGETLB" },
	{ 0x80000, "SYNC" }, { 0x100000, "FIXED_NOREPLACE" },
	{ 0x4000000, "UNINITIALIZED" },      /* bit 26, when not a huge size */
};
#define MAP_TYPE_MASK   0x03ull
#define MAP_HUGETLB_BIT 0x40000ull
#define MAP_HUGE_SHIFT  26

/* MAP_HUGE_2MB etc.: log2 of the page size in bits 26..31 with HUGETLB. */
static char *huge_size(char *p, unsigned shift)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB", "EB" };
	p = mm_sym_str(p, "|HUGE_");
	p = mm_sym_udec(p, 1ull << (shift % 10));
	return mm_sym_str(p, units[shift / 10]);
}

char *mm_sym_mmap_flags(char *p, uint64_t flags)
{
	static const char *const types[] = { NULL, "SHARED", "PRIVATE", "SHARED_VALIDATE" };
	char *start = p;
	unsigned huge = 0;
	if ((flags & MAP_HUGETLB_BIT) && (flags >> MAP_HUGE_SHIFT) & 0x3f) {
		huge = (flags >> MAP_HUGE_SHIFT) & 0x3f;
		flags &= ~(0x3full << MAP_HUGE_SHIFT);
	}
	if (types[flags & MAP_TYPE_MASK])
		p = mm_sym_str(p, types[flags & MAP_TYPE_MASK]);
	flags &= ~MAP_TYPE_MASK;
	/* bits() writes "0" for an empty word; here a type may precede */
	if (flags || p == start)
		p = bits(p, flags, map_bits, NBITS(map_bits), start);
	return huge ? huge_size(p, huge) : p;
}

char *mm_sym_mremap_flags(char *p, uint64_t flags)
{
	static const struct bit_name t[] = {
		{ 1, "MAYMOVE" }, { 2, "FIXED" }, { 4, "DONTUNMAP" },
	};
	return bits(p, flags, t, NBITS(t), p);
}

char *mm_sym_madvise(char *p, int64_t advice)
{
	static const char *const names[] = {
		[0] = "NORMAL", [1] = "RANDOM", [2] = "SEQUENTIAL", [3] = "WILLNEED",
		[4] = "DONTNEED", [8] = "FREE", [9] = "REMOVE", [10] = "DONTFORK",
		[11] = "DOFORK", [12] = "MERGEABLE", [13] = "UNMERGEABLE",
		[14] = "HUGEPAGE", [15] = "NOHUGEPAGE", [16] = "DONTDUMP", [17] = "DODUMP",
		[18] = "WIPEONFORK", [19] = "KEEPONFORK", [20] = "COLD", [21] = "PAGEOUT",
		[22] = "POPULATE_READ", [23] = "POPULATE_WRITE", [24] = "DONTNEED_LOCKED",
		[25] = "COLLAPSE", [100] = "HWPOISON", [101] = "SOFT_OFFLINE",
		[102] = "GUARD_INSTALL", [103] = "GUARD_REMOVE",
	};
	if (advice >= 0 && advice < (int64_t)NBITS(names) && names[advice])
		return mm_sym_str(p, names[advice]);
	return mm_sym_dec(p, advice);
}

char *mm_sym_msync_flags(char *p, uint64_t flags)
{
	static const struct bit_name t[] = {
		{ 1, "ASYNC" }, { 2, "INVALIDATE" }, { 4, "SYNC" },
	};
	return bits(p, flags, t, NBITS(t), p);
}

char *mm_sym_mlock2_flags(char *p, uint64_t flags)
{
	static const struct bit_name t[] = { { 1, "ONFAULT" } };
	return bits(p, flags, t, NBITS(t), p);
}

char *mm_sym_mlockall_flags(char *p, uint64_t flags)
{
	static const struct bit_name t[] = {
		{ 1, "CURRENT" }, { 2, "FUTURE" }, { 4, "ONFAULT" },
	};
	return bits(p, flags, t, NBITS(t), p);
}

/* IPC_CREAT|IPC_EXCL|... then the permission bits in octal ("CREAT|0600"). */
char *mm_sym_shmget_flags(char *p, uint64_t flags)
{
	static const struct bit_name t[] = {
		{ 01000, "CREAT" }, { 02000, "EXCL" }, { 04000, "HUGETLB" }, { 010000, "NORESERVE" },
	};
	char *start = p;
	unsigned mode = flags & 0777;
	flags &= ~0777ull;
	if (flags)
		p = bits(p, flags, t, NBITS(t), start);
	if (mode || p == start) {
		if (p != start)
			*p++ = '|';
		*p++ = '0';
		for (int shift = 6; shift >= 0; shift -= 3)
			*p++ = (char)('0' + ((mode >> shift) & 7));
	}
	return p;
}

char *mm_sym_shmat_flags(char *p, uint64_t flags)
{
	static const struct bit_name t[] = {
		{ 010000, "RDONLY" }, { 020000, "RND" }, { 040000, "REMAP" }, { 0100000, "EXEC" },
	};
	return bits(p, flags, t, NBITS(t), p);
}

char *mm_sym_shmctl_cmd(char *p, int64_t cmd)
{
	static const char *const names[] = {
		[0] = "IPC_RMID", [1] = "IPC_SET", [2] = "IPC_STAT", [3] = "IPC_INFO",
		[11] = "SHM_LOCK", [12] = "SHM_UNLOCK", [13] = "SHM_STAT",
		[14] = "SHM_INFO", [15] = "SHM_STAT_ANY",
	};
	int64_t c = cmd & ~0x100ll;           /* IPC_64: the ABI version bit */
	if (c >= 0 && c < (int64_t)NBITS(names) && names[c])
		return mm_sym_str(p, names[c]);
	return mm_sym_dec(p, cmd);
}

char *mm_sym_memfd_flags(char *p, uint64_t flags)
{
	static const struct bit_name t[] = {
		{ 1, "CLOEXEC" }, { 2, "ALLOW_SEALING" }, { 4, "HUGETLB" },
		{ 8, "NOEXEC_SEAL" }, { 0x10, "EXEC" },
	};
	return bits(p, flags, t, NBITS(t), p);
}

char *mm_sym_clone_flags(char *p, uint64_t flags)
{
	static const struct bit_name t[] = {
		{ 0x100, "VM" }, { 0x200, "FS" }, { 0x400, "FILES" }, { 0x800, "SIGHAND" },
		{ 0x1000, "PIDFD" }, { 0x2000, "PTRACE" }, { 0x4000, "VFORK" },
		{ 0x8000, "PARENT" }, { 0x10000, "THREAD" }, { 0x20000, "NEWNS" },
		{ 0x40000, "SYSVSEM" }, { 0x80000, "SETTLS" }, { 0x100000, "PARENT_SETTID" },
		{ 0x200000, "CHILD_CLEARTID" }, { 0x400000, "DETACHED" },
		{ 0x800000, "UNTRACED" }, { 0x1000000, "CHILD_SETTID" },
		{ 0x2000000, "NEWCGROUP" }, { 0x4000000, "NEWUTS" }, { 0x8000000, "NEWIPC" },
		{ 0x10000000, "NEWUSER" }, { 0x20000000, "NEWPID" }, { 0x40000000, "NEWNET" },
		{ 0x80000000, "IO" },
	};
	char *start = p;
	unsigned sig = flags & 0xff;              /* the exit signal */
	flags &= ~0xffull;
	if (flags)
		p = bits(p, flags, t, NBITS(t), start);
	if (sig) {
		const char *abbrev = sigabbrev_np((int)sig);
		if (p != start)
			*p++ = '|';
		p = mm_sym_str(p, "SIG");
		p = abbrev ? mm_sym_str(p, abbrev) : mm_sym_udec(p, sig);
	}
	if (p == start)
		*p++ = '0';
	return p;
}

char *mm_sym_signal(char *p, int sig)
{
	const char *abbrev = sig > 0 && sig < 32 ? sigabbrev_np(sig) : NULL;
	p = mm_sym_str(p, "SIG");
	return abbrev ? mm_sym_str(p, abbrev) : mm_sym_dec(p, sig);
}

char *mm_sym_si_code(char *p, int sig, int code)
{
	static const char *const segv[] = {
		[1] = "SEGV_MAPERR", [2] = "SEGV_ACCERR", [3] = "SEGV_BNDERR",
		[4] = "SEGV_PKUERR", [5] = "SEGV_ACCADI", [6] = "SEGV_ADIDERR",
		[7] = "SEGV_ADIPERR", [8] = "SEGV_MTEAERR", [9] = "SEGV_MTESERR",
		[10] = "SEGV_CPERR",
	};
	static const char *const bus[] = {
		[1] = "BUS_ADRALN", [2] = "BUS_ADRERR", [3] = "BUS_OBJERR",
		[4] = "BUS_MCEERR_AR", [5] = "BUS_MCEERR_AO",
	};
	const char *name = NULL;
	if (sig == SIGSEGV && code > 0 && code < (int)NBITS(segv))
		name = segv[code];
	else if (sig == SIGBUS && code > 0 && code < (int)NBITS(bus))
		name = bus[code];
	return name ? mm_sym_str(p, name) : mm_sym_dec(p, code);
}

char *mm_sym_quoted(char *p, const char *s, size_t max)
{
	*p++ = '"';
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else if (c < 0x20 || c >= 0x7f) {
			*p++ = '\\';
			*p++ = 'x';
			*p++ = "0123456789abcdef"[c >> 4];
			*p++ = "0123456789abcdef"[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	return p;
}
