/*
 * record/cmd-watch.c - `memmon watch`: change the watch list of a running
 * recording (the seed's /proc/memmon/watch-pids: N adds, -N removes, 0
 * clears, reading lists).
 *
 * The recording is found by its control socket in MM_CONTROL_DIR
 * (record/control.c): --record PID names one; without it, the one that
 * runs.  The request is one line; record answers "ok" or "error" and what
 * to say, which goes to standard output or error as it is.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "memmon.h"
#include "record/record.h"

static const char usage[] = "memmon watch [--record PID] [+]PID|-PID|0|list";

#define USAGE_ERROR(...) mm_usage_error("watch", usage, __VA_ARGS__)
/* record answers at once; a recording stuck in the kernel gets this long */
#define REPLY_SECONDS 10

static long parse_pid(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v <= 0 || v > 0x3fffffff)
		USAGE_ERROR("%s '%s': not a pid", what, s);
	return v;
}

/* The recordings running now (record pids with a socket), at most MAX. */
static size_t recordings(pid_t *pids, size_t max)
{
	DIR *d = opendir(MM_CONTROL_DIR);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d))) {
		char name[256];
		size_t len = strlen(de->d_name), sl = strlen(MM_CONTROL_SUFFIX);
		pid_t pid;

		if (len <= sl || len >= sizeof(name) || strcmp(de->d_name + len - sl, MM_CONTROL_SUFFIX))
			continue;
		memcpy(name, de->d_name, len - sl);
		name[len - sl] = '\0';
		if (mm_stale_parse(name, MM_CONTROL_PREFIX, &pid) && mm_pid_is_memmon(pid) && n < max)
			pids[n++] = pid;
	}
	if (d)
		closedir(d);
	return n;
}

static int find_recording(long want, pid_t *pid)
{
	pid_t all[64];
	size_t n = recordings(all, 64);
	char list[512] = "";

	for (size_t i = 0, at = 0; i < n && at < sizeof(list); i++)
		at += snprintf(list + at, sizeof(list) - at, "%s%d", i ? ", " : "", (int)all[i]);
	if (want) {
		for (size_t i = 0; i < n; i++)
			if (all[i] == want) {
				*pid = all[i];
				return 0;
			}
		return mm_error("--record %ld: no recording runs as pid %ld (%s%s)", want, want,
				n ? "recordings: " : "none runs", list);
	}
	if (!n) {
		mm_error("no recording is running (none listens in %s)", MM_CONTROL_DIR);
		mm_hint("start one with 'memmon record -p PID' or 'memmon record -- CMD'");
		return -1;
	}
	if (n > 1)
		return mm_error("%zu recordings are running (memmon record pids %s): choose one "
				"with --record PID", n, list);
	*pid = all[0];
	return 0;
}

/* Send REQ to record PID's socket, print the answer; the exit status. */
static int ask(pid_t pid, const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_SECONDS };
	char buf[4096], *reply = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	mm_control_path(sa.sun_path, sizeof(sa.sun_path), pid);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return mm_error_errno("cannot make a socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		mm_error_errno("cannot reach the recording of memmon record %d at '%s'", (int)pid,
			       sa.sun_path);
		close(fd);
		return -1;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		mm_error_errno("cannot send the request to memmon record %d", (int)pid);
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		reply = mm_realloc(reply, len + (size_t)n + 1);
		memcpy(reply + len, buf, (size_t)n);
		len += (size_t)n;
	}
	close(fd);
	if (n < 0 && !len) {
		free(reply);
		return mm_error_errno("no answer from memmon record %d", (int)pid);
	}
	if (!reply || (strncmp(reply, "ok\n", 3) && strncmp(reply, "error\n", 6))) {
		free(reply);
		return mm_error("memmon record %d answered nonsense", (int)pid);
	}
	reply[len] = '\0';
	if (reply[0] == 'o') {
		fputs(reply + 3, stdout);
		free(reply);
		return 0;
	}
	reply[len && reply[len - 1] == '\n' ? len - 1 : len] = '\0';
	mm_error("%s", reply + 6);
	free(reply);
	return -1;
}

int cmd_watch(int argc, char **argv)
{
	const char *action = NULL;
	char req[64];
	long record = 0;
	pid_t pid;

	/* "-PID" is an action, not an option: no getopt here */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return mm_show_help("watch", usage);
		if (!strcmp(a, "--record")) {
			if (i + 1 >= argc)
				USAGE_ERROR("option '--record' needs a value");
			record = parse_pid(argv[++i], "--record");
		} else if (!strncmp(a, "--record=", 9)) {
			record = parse_pid(a + 9, "--record");
		} else if (!strncmp(a, "--", 2)) {
			USAGE_ERROR("unknown option '%s'", a);
		} else if (action) {
			USAGE_ERROR("'%s' and '%s': one change at a time", action, a);
		} else {
			action = a;
		}
	}
	if (!action)
		USAGE_ERROR("say what to change: +PID, -PID, 0 (clear) or list");
	if (!strcmp(action, "list"))
		snprintf(req, sizeof(req), "list\n");
	else if (!strcmp(action, "0"))
		snprintf(req, sizeof(req), "clear\n");
	else if (action[0] == '-')
		snprintf(req, sizeof(req), "remove %ld\n", parse_pid(action + 1, "-PID"));
	else
		snprintf(req, sizeof(req), "add %ld\n",
			 parse_pid(action + (action[0] == '+'), "PID"));
	if (geteuid() != 0) {
		mm_error("watch needs root (a recording's control socket is root's)");
		mm_hint("run it as root, e.g. 'sudo memmon watch %s'", action);
		mm_error_print("watch");
		return MM_EXIT_FAIL;
	}
	if (find_recording(record, &pid) < 0 || ask(pid, req) < 0) {
		mm_error_print("watch");
		return MM_EXIT_FAIL;
	}
	return MM_EXIT_OK;
}
