/*
 * record/tracing.c - memmon's private tracefs instance.
 *
 * Everything record changes in the kernel's tracing state lives in one
 * instance, memmon-<pid>, so the top-level instance (which other tools and
 * people use) is never touched and removing the instance undoes it all.
 * This file creates it with the settings a recording needs (ring size,
 * wake-up threshold; the clock is left as a new instance has it), reads its
 * trace clock for the snapshots, sets the pid filter, switches it on and off
 * and destroys it.  Which events to enable is events.c's business.
 *
 * libtracefs 1.6.4 has no tracefs_filter_pid_events(), so set_event_pid and
 * the event-fork option are written here directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "memmon.h"
#include "record/record.h"

/*
 * Wake the reader when the ring of a CPU is this full (percent).  Half
 * leaves the other half for the time the drain thread needs to get
 * scheduled on a busy 2-CPU machine; lower means more wake-ups.
 */
#define BUFFER_PERCENT "50"

/*
 * Without -b, a new instance's own ring (1410 KB per CPU on 6.x) is kept
 * when it is at least this big: two processes faulting flat out on both
 * CPUs lose nothing with it (1 GiB of first touches, 525k events), and a
 * resize costs two RCU grace periods (~16 ms) of record's fixed cost.
 */
#define MIN_DEFAULT_KB 1024
#define FALLBACK_KB    4096

static const char *tracing_path;

int mm_tracing_check(const char *cmd)
{
	char probe[4096];

	if (geteuid() != 0) {
		mm_error("%s needs root (it drives the kernel's tracing)", cmd);
		mm_hint("run it as root, e.g. 'sudo memmon %s ...'", cmd);
		return -1;
	}
	/* Set-user-ID root: tracefs answers by the real uid (events look
	 * absent, a recording gets none), and CMD would run as root. */
	if (getuid() != 0) {
		mm_error("%s needs the real user to be root too (real uid %u, effective uid 0)",
			 cmd, (unsigned)getuid());
		mm_hint("run it as root, e.g. 'sudo memmon %s ...', not set-user-ID", cmd);
		return -1;
	}
	/* Mounts tracefs at /sys/kernel/tracing when it is not mounted (0),
	 * setting the path then too: keep it (it is allocated for us). */
	if (tracefs_tracing_dir_is_mounted(true, &tracing_path) < 0 || !tracing_path) {
		tracing_path = tracefs_tracing_dir();
		if (!tracing_path) {
			mm_error_errno("cannot mount tracefs");
			mm_hint("mount -t tracefs nodev /sys/kernel/tracing");
			return -1;
		}
	}
	/* /proc/mounts may name a tracefs this process cannot see (a mount
	 * over /sys/kernel, a container): every file would look absent */
	snprintf(probe, sizeof(probe), "%s/instances", tracing_path);
	if (access(probe, F_OK) < 0) {
		mm_error_errno("tracefs is not reachable at '%s'", tracing_path);
		mm_hint("mount it: 'mount -t tracefs nodev /sys/kernel/tracing' (in a container, "
			"give it the host's /sys/kernel/tracing)");
		return -1;
	}
	return 0;
}

const char *mm_tracing_dir(void)
{
	if (!tracing_path)
		tracing_path = tracefs_tracing_dir();
	return tracing_path;
}

static int write_file(struct tracefs_instance *inst, const char *file, const char *val)
{
	if (tracefs_instance_file_write(inst, file, val) < 0)
		return mm_error_errno("cannot write '%s' to %s of instance '%s'",
				      val, file, tracefs_instance_get_name(inst));
	return 0;
}

/* Is CLOCK the selected one ("[local] global ...") in INST's trace_clock? */
static bool clock_is(struct tracefs_instance *inst, const char *clock)
{
	char *text = tracefs_instance_file_read(inst, "trace_clock", NULL);
	char want[64];
	bool ret;

	snprintf(want, sizeof(want), "[%s]", clock);
	ret = text && strstr(text, want);
	free(text);
	return ret;
}

bool mm_tracing_has_clock(struct tracefs_instance *inst, const char *clock)
{
	char *text = tracefs_instance_file_read(inst, "trace_clock", NULL);
	size_t n = strlen(clock);
	bool ret = false;

	for (char *p = text; p && (p = strstr(p, clock)); p += n)
		if ((p == text || p[-1] == ' ' || p[-1] == '[') &&
		    (!p[n] || p[n] == ' ' || p[n] == ']' || p[n] == '\n'))
			ret = true;
	free(text);
	return ret;
}

int mm_tracing_set_clock(struct tracefs_instance *inst, const char *clock)
{
	if (clock_is(inst, clock))
		return 0;
	return write_file(inst, "trace_clock", clock);
}

/* INST's file REL opened with FLAGS, or -1 with mm_error() set. */
static int open_file(struct tracefs_instance *inst, const char *rel, int flags)
{
	char *path = tracefs_instance_get_file(inst, rel);
	int fd = path ? open(path, flags | O_CLOEXEC) : -1;

	if (fd < 0)
		mm_error_errno("cannot open '%s'", path ? path : rel);
	tracefs_put_tracing_file(path);
	return fd;
}

int mm_tracing_clock_open(struct tracefs_instance *inst)
{
	/* Any CPU's stats will do: "now ts" is the ring's clock read on the
	 * CPU that reads the file.  "local" is sched_clock, in step across
	 * CPUs where it runs on a stable TSC or a global counter (x86 with
	 * constant_tsc, arm64); report's merge of the per-CPU streams needs
	 * that already. */
	return open_file(inst, "per_cpu/cpu0/stats", O_RDONLY);
}

int mm_tracing_marker_open(struct tracefs_instance *inst)
{
	return open_file(inst, "trace_marker", O_WRONLY);
}

int mm_tracing_copy_marker(struct tracefs_instance *inst)
{
	if (!tracefs_file_exists(inst, "options/copy_trace_marker"))
		return 0;
	return write_file(inst, "options/copy_trace_marker", "1") < 0 ? -1 : 1;
}

char *mm_tracing_marker_path(struct tracefs_instance *inst)
{
	char *path = tracefs_instance_get_file(inst, "trace_marker");
	char *copy = path ? mm_strdup(path) : NULL;

	if (!path)
		mm_error_errno("cannot find the trace_marker of instance '%s'",
			       tracefs_instance_get_name(inst));
	tracefs_put_tracing_file(path);
	return copy;
}

int mm_tracing_event_filter(struct tracefs_instance *inst, const char *system,
			    const char *event, const char *filter)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "events/%s/%s/filter", system, event);
	if (!tracefs_file_exists(inst, rel))
		return 0;
	return write_file(inst, rel, filter);
}

int mm_tracing_now(int clock_fd, uint64_t *ns)
{
	char buf[1024];
	unsigned long long sec, usec;
	ssize_t n = pread(clock_fd, buf, sizeof(buf) - 1, 0);
	const char *p;

	if (n < 0)
		return mm_error_errno("cannot read the trace clock");
	buf[n] = '\0';
	/* "now ts:  4105.559569": printed for clocks that count ns only;
	 * counters (x86-tsc, record --malloc) print "now ts: 123456789",
	 * exact: no rounding needed */
	p = strstr(buf, "now ts:");
	if (p && sscanf(p, "now ts: %llu.%llu", &sec, &usec) == 1) {
		*ns = sec;
		return 0;
	}
	if (!p || sscanf(p, "now ts: %llu.%llu", &sec, &usec) != 2)
		return mm_error("no 'now ts' in the instance's per-CPU stats");
	/*
	 * The kernel truncates to the µs.  An event of this same µs may
	 * precede the read (the exec event before an exec stop): round up so
	 * the snapshot sorts after it.  What follows the read (the traced
	 * task resuming after its maps were copied) is tens of µs later.
	 */
	*ns = sec * 1000000000ull + usec * 1000ull + 999;
	return 0;
}

struct tracefs_instance *mm_tracing_create(const char *name, unsigned buffer_kb)
{
	struct tracefs_instance *inst = tracefs_instance_create(name);
	char kb[32];

	if (!inst) {
		mm_error_errno("cannot create tracefs instance '%s'", name);
		return NULL;
	}
	/*
	 * The buffer first turned off so nothing is recorded before the pid
	 * filter and the events are in place.  The clock: see MM_TRACE_CLOCK;
	 * only written if this kernel started the instance with another one.
	 */
	if (write_file(inst, "tracing_on", "0") < 0)
		goto fail;
	if (!buffer_kb && tracefs_instance_get_buffer_size(inst, 0) < MIN_DEFAULT_KB)
		buffer_kb = FALLBACK_KB;
	snprintf(kb, sizeof(kb), "%u", buffer_kb);
	if ((!clock_is(inst, MM_TRACE_CLOCK) &&
	     write_file(inst, "trace_clock", MM_TRACE_CLOCK) < 0) ||
	    (buffer_kb && write_file(inst, "buffer_size_kb", kb) < 0))
		goto fail;
	if (tracefs_file_exists(inst, "buffer_percent") &&
	    write_file(inst, "buffer_percent", BUFFER_PERCENT) < 0)
		goto fail;
	return inst;
fail:
	mm_tracing_destroy(inst);
	return NULL;
}

int mm_tracing_set_pids(struct tracefs_instance *inst, const pid_t *pids, size_t n)
{
	pid_t *tids;
	size_t nt;
	int ret;

	if (tracefs_option_enable(inst, TRACEFS_OPTION_EVENT_FORK) < 0)
		return mm_error_errno("cannot enable event-fork in instance '%s'",
				      tracefs_instance_get_name(inst));
	/* set_event_pid filters by task, so list each thread: a running
	 * process's existing threads are not covered by event-fork. */
	tids = mm_proc_threads_all(pids, n, &nt);
	ret = mm_tracing_write_pids(inst, false, tids, nt, false);
	free(tids);
	return ret;
}

#define PID_FILE(notrace) ((notrace) ? "set_event_notrace_pid" : "set_event_pid")

int mm_tracing_get_pids(struct tracefs_instance *inst, bool notrace, pid_t **tids, size_t *n)
{
	/* not tracefs_instance_file_read(): it says NULL for an empty file */
	char *path = tracefs_instance_get_file(inst, PID_FILE(notrace));
	char *text = path ? mm_read_file(path, NULL) : NULL;
	size_t cap = 0;

	tracefs_put_tracing_file(path);
	*tids = NULL;
	*n = 0;
	if (!text)
		return -1;
	for (char *p = text, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p) {
			end = p + 1;
			continue;
		}
		MM_GROW(*tids, *n, cap, 64);
		(*tids)[(*n)++] = (pid_t)v;
	}
	free(text);
	return 0;
}

int mm_tracing_write_pids(struct tracefs_instance *inst, bool notrace, const pid_t *tids,
			  size_t n, bool append)
{
	size_t len = 0, cap = 16 * n + 2;
	char *buf = mm_malloc(cap);
	int ret;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += snprintf(buf + len, cap - len, "%d ", (int)tids[i]);
	if (append)
		ret = tracefs_instance_file_append(inst, PID_FILE(notrace), buf) < 0 ? -1 : 0;
	else
		ret = tracefs_instance_file_write(inst, PID_FILE(notrace), buf) < 0 ? -1 : 0;
	if (ret < 0)
		mm_error_errno("cannot write %s of instance '%s'", PID_FILE(notrace),
			       tracefs_instance_get_name(inst));
	free(buf);
	return ret;
}

int mm_tracing_on(struct tracefs_instance *inst, bool on)
{
	return write_file(inst, "tracing_on", on ? "1" : "0");
}

bool mm_tracing_is_on(struct tracefs_instance *inst)
{
	char *text = tracefs_instance_file_read(inst, "tracing_on", NULL);
	bool on = text && text[0] == '1';

	free(text);
	return on;
}

unsigned mm_tracing_buffer_kb(struct tracefs_instance *inst)
{
	ssize_t kb = tracefs_instance_get_buffer_size(inst, 0);

	return kb > 0 ? (unsigned)kb : 0;
}

size_t mm_tracing_subbuf_size(struct tracefs_instance *inst)
{
	long long kb = 0;

	/* Kernels before 6.8 have no buffer_subbuf_size_kb: a page then. */
	if (tracefs_instance_file_read_number(inst, "buffer_subbuf_size_kb", &kb) == 0 && kb > 0)
		return (size_t)kb * 1024;
	return (size_t)sysconf(_SC_PAGESIZE);
}

void mm_tracing_destroy(struct tracefs_instance *inst)
{
	if (!inst)
		return;
	tracefs_instance_destroy(inst);
	tracefs_instance_free(inst);
}

/*
 * Removing an instance costs the kernel several RCU grace periods (clearing
 * the pid filter, disabling the events, freeing the rings): ~100 ms here,
 * more than everything else record does for a short command.  Once the file
 * is complete and tracing is off nobody needs to wait for that, so a child
 * does it while record exits.  Its standard files go to /dev/null so that a
 * caller reading record's output (a pipe) does not wait for it either.
 */
void mm_tracing_destroy_detached(struct tracefs_instance *inst,
				 struct tracefs_instance *stacks, const char *group)
{
	pid_t pid;
	int null;

	if (!inst && !stacks && !group)
		return;
	pid = fork();
	if (pid == 0) {
		setsid();
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; null >= 0 && fd < 3; fd++)
			dup2(null, fd);
		mm_tracing_destroy(stacks);
		mm_tracing_destroy(inst);
		if (group)
			mm_probes_destroy(group);
		_exit(0);
	}
	if (pid < 0) {          /* no child: do it here, slower */
		mm_tracing_destroy(stacks);
		mm_tracing_destroy(inst);
		if (group)
			mm_probes_destroy(group);
		return;
	}
	tracefs_instance_free(stacks);
	tracefs_instance_free(inst);
}
