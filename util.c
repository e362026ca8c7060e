/*
 * util.c - the error convention, allocation and small file helpers that
 * every layer of memmon shares (see memmon.h for the contracts).
 *
 * The message buffers are thread-local: record's drain thread reports its
 * own failure without racing the main thread's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "memmon.h"

static __thread char err_msg[1024];
static __thread char hint_msg[256];

static int verror(const char *fmt, va_list ap, int errnum)
{
	int n = vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(err_msg))
		snprintf(err_msg + n, sizeof(err_msg) - n, ": %s", strerror(errnum));
	hint_msg[0] = '\0';
	return -1;
}

int mm_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(fmt, ap, 0);
	va_end(ap);
	return -1;
}

int mm_error_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	verror(fmt, ap, errnum);
	va_end(ap);
	errno = errnum;
	return -1;
}

void mm_hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(hint_msg, sizeof(hint_msg), fmt, ap);
	va_end(ap);
}

const char *mm_error_msg(void) { return err_msg; }
const char *mm_hint_msg(void) { return hint_msg; }

void mm_error_print(const char *cmd)
{
	fprintf(stderr, "memmon %s: %s\n", cmd, err_msg[0] ? err_msg : "failed");
	if (hint_msg[0])
		fprintf(stderr, "hint: %s\n", hint_msg);
	err_msg[0] = hint_msg[0] = '\0';
}

static void __attribute__((noreturn)) out_of_memory(size_t n)
{
	fprintf(stderr, "memmon: out of memory (%zu bytes)\n", n);
	exit(MM_EXIT_FAIL);
}

void *mm_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *mm_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory(n * size);
	return p;
}

void *mm_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

char *mm_strdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		out_of_memory(strlen(s));
	return p;
}

/* /proc and tracefs files report size 0, so read until EOF. */
char *mm_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mm_error_errno("cannot open '%s'", path);
		return NULL;
	}
	size_t cap = 8192, n = 0;
	char *buf = mm_malloc(cap);
	for (;;) {
		if (cap - n < 4096)
			buf = mm_realloc(buf, cap *= 2);
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mm_error_errno("cannot read '%s'", path);
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void mm_usage_exit(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(MM_EXIT_USAGE);
}

/*
 * "memmon X --help": the man page when man(1) finds it (installed, or next
 * to the binary's source tree), else the usage string.
 */
int mm_show_help(const char *cmd, const char *usage)
{
	char page[64];
	snprintf(page, sizeof(page), "memmon-%s", cmd);
	if (!strcmp(cmd, "memmon"))
		snprintf(page, sizeof(page), "memmon");
	if (isatty(STDOUT_FILENO)) {
		pid_t pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, STDERR_FILENO);
			execlp("man", "man", page, (char *)NULL);
			_exit(127);
		}
		int st;
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			return MM_EXIT_OK;
	}
	printf("usage: %s\n", usage);
	return MM_EXIT_OK;
}
