/*
 * util.c - the error convention, allocation and small file helpers that
 * every layer of memmon shares (see memmon.h for the contracts).
 *
 * The message buffers are thread-local: record's drain thread reports its
 * own failure without racing the main thread's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

void mm_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "memmon %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	exit(MM_EXIT_USAGE);
}

void mm_usage_bad_option(const char *cmd, const char *usage, int c, char **argv,
			 const struct option *longopts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	char shortopt[3] = { '-', (char)optopt, '\0' };
	bool is_short = optopt > ' ' && optopt < 0x7f && strncmp(arg, "--", 2);
	const char *name = is_short ? shortopt : arg;

	if (c == ':')
		mm_usage_error(cmd, usage, "option '%s' needs a value", name);
	/* "--log=1": a known option that takes no value */
	const char *eq = strncmp(arg, "--", 2) ? NULL : strchr(arg, '=');
	for (const struct option *o = longopts; eq && o && o->name; o++)
		if (strlen(o->name) == (size_t)(eq - arg - 2) && !strncmp(o->name, arg + 2, eq - arg - 2) &&
		    o->has_arg == no_argument)
			mm_usage_error(cmd, usage, "option '--%s' takes no value", o->name);
	mm_usage_error(cmd, usage, "unknown option '%s'", name);
}

/*
 * The page of "memmon CMD --help": the one next to the binary when it runs
 * from a built tree (build/memmon or ./memmon: ../Documentation or
 * Documentation), so it matches the code, else the installed one.
 */
static bool tree_page(const char *page, char *path, size_t len)
{
	static const char *const rel[] = { "Documentation", "../Documentation" };
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		if ((size_t)snprintf(path, len, "%s/%s/%s", exe, rel[i], page) >= len)
			continue;
		if (access(path, R_OK) == 0)
			return true;
	}
	return false;
}

/* Run man(1) with ARG1 ARG2 (quietly when QUIET); true when it exited 0. */
static bool run_man(const char *arg1, const char *arg2, bool quiet)
{
	int st;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, STDERR_FILENO);
			if (quiet)
				dup2(null, STDOUT_FILENO);
		}
		execlp("man", "man", arg1, arg2, (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int mm_show_help(const char *cmd, const char *usage)
{
	char name[64], file[80], path[4200];
	snprintf(name, sizeof(name), strcmp(cmd, "memmon") ? "memmon-%s" : "%s", cmd);
	snprintf(file, sizeof(file), "%s.1", name);
	if (tree_page(file, path, sizeof(path))) {
		if (run_man("-l", path, false))
			return MM_EXIT_OK;
	} else if (run_man("-w", name, true) && run_man(name, NULL, false)) {
		return MM_EXIT_OK;
	} else {
		path[0] = '\0';
	}
	/* no page, or no man(1) to show it */
	printf("usage: %s\n", usage);
	if (path[0])
		printf("(the manual is %s; man(1) could not show it)\n", path);
	return MM_EXIT_OK;
}
