/*
 * record/stale.c - what a killed memmon left in the kernel, and removing it.
 *
 * A recording's kernel state is named after its process: instance
 * memmon-<pid> (and memmon-<pid>-stacks), probe group memmon_<pid>.  When that pid is not a running
 * memmon (dead, or reused by another program) the state is stale; every
 * record start and `memmon reset` remove stale state, and only that (reset
 * --all also removes live memmons' state, but never the caller's own).
 * Names that merely start with "memmon" are left alone: only the exact
 * prefix+digits form is ours.  The same holds for the control sockets
 * (record/control.c: MM_CONTROL_DIR/record-<pid>.sock), which a SIGKILL
 * leaves too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "memmon.h"
#include "record/record.h"

bool mm_stale_parse(const char *name, const char *prefix, pid_t *pid)
{
	size_t plen = strlen(prefix);
	const char *p = name + plen;
	long v = 0;

	if (strncmp(name, prefix, plen) || *p < '1' || *p > '9')
		return false;
	for (; *p && strcmp(p, MM_STACKS_SUFFIX); p++) {
		if (*p < '0' || *p > '9' || v > 0x3fffffff)
			return false;
		v = v * 10 + (*p - '0');
	}
	*pid = (pid_t)v;
	return true;
}

/* Does one of the NUL-separated words of CMDLINE have basename "memmon"?
 * argv[0] or, under valgrind and the like, a later word. */
static bool cmdline_is_memmon(const char *cmdline, size_t len)
{
	for (size_t off = 0; off < len; off += strlen(cmdline + off) + 1) {
		const char *base = strrchr(cmdline + off, '/');
		base = base ? base + 1 : cmdline + off;
		if (!strcmp(base, "memmon"))
			return true;
	}
	return false;
}

bool mm_pid_is_memmon(pid_t pid)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return cmdline_is_memmon(buf, (size_t)n);
}

static bool removable(const char *name, const char *prefix, bool all)
{
	pid_t pid;

	if (!mm_stale_parse(name, prefix, &pid) || pid == getpid())
		return false;
	return all || !mm_pid_is_memmon(pid);
}

static int remove_instances(bool all, mm_stale_fn fn, void *ctx)
{
	/* No regex: libtracefs 1.6.4 leaks the compiled one; removable()
	 * checks the name anyway. */
	char **names = tracefs_instances(NULL);
	int n = 0;

	for (size_t i = 0; names && names[i]; i++) {
		struct tracefs_instance *inst;

		if (!removable(names[i], MM_INSTANCE_PREFIX, all))
			continue;
		inst = tracefs_instance_alloc(NULL, names[i]);
		errno = 0;
		if (!inst || tracefs_instance_destroy(inst) < 0) {
			tracefs_instance_free(inst);
			/* Gone or going meanwhile: its memmon's teardown
			 * (mm_tracing_destroy_detached) or another memmon is
			 * removing it right now. */
			if (errno == ENOENT || errno == ENODEV || errno == EBUSY ||
			    !tracefs_instance_exists(names[i]))
				continue;	/* (alloc of a vanished one: errno 0) */
			mm_error_errno("cannot remove stale instance '%s'", names[i]);
			n = -1;
			break;
		}
		tracefs_instance_free(inst);
		if (fn)
			fn(ctx, "instance", names[i]);
		n++;
	}
	tracefs_list_free(names);
	return n;
}

/* Stale probe groups, each once (a group has several probes). */
static int remove_groups(bool all, mm_stale_fn fn, void *ctx)
{
	struct tracefs_dynevent **evs = tracefs_dynevent_get_all(
		TRACEFS_DYNEVENT_KPROBE | TRACEFS_DYNEVENT_KRETPROBE |
		TRACEFS_DYNEVENT_UPROBE | TRACEFS_DYNEVENT_URETPROBE, NULL);
	char done[4096] = "";
	int n = 0;

	for (size_t i = 0; evs && evs[i]; i++) {
		char *system = NULL, *event = NULL, key[300];

		tracefs_dynevent_info(evs[i], &system, &event, NULL, NULL, NULL);
		snprintf(key, sizeof(key), ",%s,", system ? system : "");
		if (system && removable(system, MM_GROUP_PREFIX, all) && !strstr(done, key)) {
			if (mm_probes_destroy(system) < 0) {
				/* still enabled in an instance its memmon's
				 * teardown is removing right now: that
				 * teardown removes the group next */
				if (errno != EBUSY)
					n = -1;
			} else {
				if (fn)
					fn(ctx, "probe group", system);
				n++;
			}
			if (strlen(done) + strlen(key) < sizeof(done))
				strcat(done, key);
		}
		free(system);
		free(event);
		if (n < 0)
			break;
	}
	tracefs_dynevent_list_free(evs);
	return n;
}

/* Control sockets (record-PID.sock) of recordings that are gone. */
static int remove_sockets(bool all, mm_stale_fn fn, void *ctx)
{
	DIR *d = opendir(MM_CONTROL_DIR);
	size_t sl = strlen(MM_CONTROL_SUFFIX);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char name[256], path[512];
		size_t len = strlen(de->d_name);

		if (len <= sl || len >= sizeof(name) || strcmp(de->d_name + len - sl, MM_CONTROL_SUFFIX))
			continue;
		memcpy(name, de->d_name, len - sl);
		name[len - sl] = '\0';
		if (!removable(name, MM_CONTROL_PREFIX, all))
			continue;
		snprintf(path, sizeof(path), "%s/%s", MM_CONTROL_DIR, de->d_name);
		if (unlink(path) < 0 && errno != ENOENT) {
			mm_error_errno("cannot remove stale control socket '%s'", path);
			n = -1;
			break;
		}
		if (fn)
			fn(ctx, "control socket", path);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

int mm_stale_remove(bool all, mm_stale_fn fn, void *ctx)
{
	int a, b, c;

	/* Instances first: a probe enabled in an instance cannot be removed. */
	a = remove_instances(all, fn, ctx);
	if (a < 0)
		return -1;
	b = remove_groups(all, fn, ctx);
	if (b < 0)
		return -1;
	c = remove_sockets(all, fn, ctx);
	if (c < 0)
		return -1;
	return a + b + c;
}
