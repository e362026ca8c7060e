/*
 * plugins/symbolic.h - numbers and flag words as the event log spells them.
 *
 * Every writer appends to P and returns the new end; none writes a NUL and
 * none writes more than MM_SYM_MAX bytes, so the log checks its room once
 * per line instead of once per field.  The number writers are inline: they
 * run several times per event on report's fast path.
 *
 * It lives with the decoders because both ends spell with it: print.c
 * (libtraceevent's print handlers) here, and the report's event log and
 * findings evidence above (report/views/), which may include it.
 */
#ifndef MM_PLUGINS_SYMBOLIC_H
#define MM_PLUGINS_SYMBOLIC_H

#include <stdint.h>
#include <string.h>

#define MM_SYM_MAX 256

/* Lowercase hex without 0x ("0" for zero). */
static inline char *mm_sym_hex(char *p, uint64_t v)
{
	if (!v) {
		*p = '0';
		return p + 1;
	}
	int n = (64 - __builtin_clzll(v) + 3) / 4;
	for (int i = n - 1; i >= 0; i--, v >>= 4)
		p[i] = "0123456789abcdef"[v & 15];
	return p + n;
}

/* Unsigned decimal, two digits per division. */
static inline char *mm_sym_udec(char *p, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[20];
	char *t = tmp + sizeof(tmp);
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		t -= 2;
		memcpy(t, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		t -= 2;
		memcpy(t, pairs + 2 * v, 2);
	} else {
		*--t = (char)('0' + v);
	}
	size_t n = (size_t)(tmp + sizeof(tmp) - t);
	memcpy(p, t, n);
	return p + n;
}

static inline char *mm_sym_dec(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return mm_sym_udec(p, -(uint64_t)v);
	}
	return mm_sym_udec(p, (uint64_t)v);
}

static inline char *mm_sym_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

/* True when a raw syscall return is a negative errno. */
static inline int mm_sym_is_err(int64_t ret)
{
	return ret < 0 && ret >= -4095;
}

/* "-ENOMEM" for ret = -12 (unknown numbers as "-E123"). */
char *mm_sym_errno(char *p, int64_t ret);
/* "rw-", "r-x", "---"; bits beyond PROT_READ|WRITE|EXEC as "|0x...". */
char *mm_sym_prot(char *p, uint64_t prot);
/* MAP_* names without MAP_, "|"-joined: "PRIVATE|ANON"; unknown bits as hex. */
char *mm_sym_mmap_flags(char *p, uint64_t flags);
char *mm_sym_mremap_flags(char *p, uint64_t flags);     /* MAYMOVE|FIXED|DONTUNMAP */
char *mm_sym_madvise(char *p, int64_t advice);           /* DONTNEED, ... */
char *mm_sym_msync_flags(char *p, uint64_t flags);       /* ASYNC|INVALIDATE|SYNC */
char *mm_sym_mlock2_flags(char *p, uint64_t flags);      /* ONFAULT */
char *mm_sym_mlockall_flags(char *p, uint64_t flags);    /* CURRENT|FUTURE|ONFAULT */
char *mm_sym_shmget_flags(char *p, uint64_t flags);      /* CREAT|EXCL|0600 */
char *mm_sym_shmat_flags(char *p, uint64_t flags);       /* RDONLY|RND|REMAP|EXEC */
char *mm_sym_shmctl_cmd(char *p, int64_t cmd);           /* IPC_RMID, SHM_LOCK, ... */
char *mm_sym_memfd_flags(char *p, uint64_t flags);       /* CLOEXEC|ALLOW_SEALING */
char *mm_sym_clone_flags(char *p, uint64_t flags);       /* VM|FS|...|SIGCHLD */
/* "SIGSEGV" ("SIG35" for a number without a name). */
char *mm_sym_signal(char *p, int sig);
/* A fault signal's si_code: "SEGV_MAPERR", "BUS_ADRERR", ... or the number. */
char *mm_sym_si_code(char *p, int sig, int code);
/* S in double quotes, '"', '\\' and bytes outside printable ASCII
 * escaped (\n, \xNN); at most MAX bytes of S are looked at, so at most
 * 4 * MAX + 2 are written. */
char *mm_sym_quoted(char *p, const char *s, size_t max);

#endif
