/*
 * memmon.h - what every part of memmon shares: the command entry points and
 * the error convention.
 *
 * Error convention (the libtracefs/git model): only commands print.  Code
 * below a command records one message with mm_error() (which returns -1, so
 * "return mm_error(...)" reads well) and optionally one hint with mm_hint();
 * the command prints them once as
 *
 *     memmon record: cannot open '/x/trace.dat': Permission denied
 *     hint: run as root
 *
 * Messages are lowercase, no full stop, the subject quoted.  A later
 * mm_error() overwrites an earlier one, so the innermost caller that knows
 * the most should set it and the outer ones just propagate -1.
 */
#ifndef MEMMON_H
#define MEMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define MEMMON_VERSION "0.1.0"

/* Exit statuses of every command (git's convention). */
#define MM_EXIT_OK    0
#define MM_EXIT_FAIL  1
#define MM_EXIT_USAGE 129

/* Record a message for the command to print; returns -1. */
int mm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like mm_error() with ": strerror(errno)" appended; returns -1. */
int mm_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record one hint line ("run as root"); kept until the next mm_error(). */
void mm_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The recorded message and hint ("" when none). */
const char *mm_error_msg(void);
const char *mm_hint_msg(void);
/* Print "memmon CMD: MSG" (+ "hint: ...") to stderr and clear them. */
void mm_error_print(const char *cmd);

/* Allocation that cannot fail silently: dies with a message on ENOMEM. */
void *mm_malloc(size_t n);
void *mm_calloc(size_t n, size_t size);
void *mm_realloc(void *p, size_t n);
char *mm_strdup(const char *s);

/* Read a whole (small, /proc or tracefs) file into a NUL-terminated malloc'd
 * buffer; *len gets its length.  Returns NULL with mm_error() set. */
char *mm_read_file(const char *path, size_t *len);

/* Make room in the growing array ARR (NR elements used, CAP allocated) for
 * one more: CAP doubles, starting at FIRST (mm_realloc exits when memory
 * runs out).  Any integer types for NR and CAP. */
#define MM_GROW(arr, nr, cap, first) do {					\
	if ((nr) == (cap)) {							\
		(cap) = (cap) ? (cap) * 2 : (first);				\
		(arr) = mm_realloc((arr), (size_t)(cap) * sizeof(*(arr)));	\
	}									\
} while (0)

/* The first index I in [0, N) for which PRED (an expression in I) is false,
 * where PRED is true for a prefix and false after it: a binary search that
 * gives the lower bound of a sorted array (like C++'s partition_point). */
#define MM_PARTITION_POINT(n, i, pred) __extension__ ({			\
	size_t lo_ = 0, hi_ = (n);						\
	while (lo_ < hi_) {							\
		size_t i = lo_ + (hi_ - lo_) / 2;				\
		if (pred)							\
			lo_ = i + 1;						\
		else								\
			hi_ = i;						\
	}									\
	lo_;									\
})

/* A usage error: "memmon CMD: MESSAGE" (the bad option and why: "-b 0:
 * the buffer size must be at least 4 KB per CPU"), then "usage: USAGE",
 * on stderr; exits MM_EXIT_USAGE. */
void mm_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
/* The same for what getopt_long() refused (C is '?' or ':', with opterr
 * 0 and ':' first in the option string): an unknown option, one missing
 * its value, a long one given a value it does not take (LONGOPTS). */
struct option;
void mm_usage_bad_option(const char *cmd, const char *usage, int c, char **argv,
			 const struct option *longopts) __attribute__((noreturn));
/* "memmon CMD --help" / "-h": the command's manual via man(1), from the
 * built tree next to the binary or the installed pages; the usage string
 * only when no page can be shown.  Returns MM_EXIT_OK. */
int mm_show_help(const char *cmd, const char *usage);

/* Commands: argv[0] is the command name. */
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
