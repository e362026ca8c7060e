/*
 * record/cmd-record.c - `memmon record`: the top-level steps of a recording
 * (its options and usage: record/options.c).
 *
 *   check root/tracefs -> remove stale state -> open FILE.PID.part -> create
 *   the instance -> choose events (and probes) -> fork CMD, held -> pid
 *   filter, enable || (helper thread) machine, formats, START snapshots ->
 *   drain thread -> tracing on -> run CMD (or wait, -p) -> tracing off ->
 *   END snapshots -> final drain + STATS -> close the file -> rename it to
 *   FILE -> one summary line.
 *
 * The output is written under a temporary name beside FILE and renamed
 * onto it only once complete, so a recording that fails or is refused
 * never destroys the FILE a user already had.  One that fails after it
 * began (a full disk, SIGKILL) keeps what it wrote under the temporary
 * name, which report reads as a truncated trace.
 *
 * Everything before CMD is released is on the traced command's path and
 * counts in its run time (issue 4's "fixed cost"): it is kept to kernel
 * work that cannot be avoided, and the file work runs beside it.
 *
 * The work is done in the helpers of record/ (record.h; recording.h for
 * those that take the whole recording: --malloc's setup, the summary).  Everything a
 * recording holds is in struct rec and released by cleanup() on every path;
 * cleanup() is also registered with atexit() so that even an exit() deep
 * below (out of memory) leaves no instance behind.  Signals: SIGINT/SIGTERM
 * only set flags; they and SIGCHLD stay blocked except while the main loop
 * sleeps in ppoll(), so no wake-up is lost.  The handlers are in place
 * right after the options are read; a SIGINT/SIGTERM that comes while
 * record sets up stays pending, ends the setup at its next step and CMD is
 * never started (interrupted()).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#include "memmon.h"
#include "plugins/eventset.h"
#include "plugins/decoder.h"
#include "record/options.h"
#include "record/record.h"
#include "record/recording.h"

/* --markers=trace_marker: where CMD finds the instance's own trace_marker */
#define MM_MARKER_ENV     "MEMMON_TRACE_MARKER"


static volatile sig_atomic_t sig_count, sig_last, sig_from_tty;
static struct rec *live;

static void on_signal(int signo, siginfo_t *si, void *uc)
{
	(void)uc;
	sig_last = signo;
	/* Ctrl-C reaches CMD too (same process group): no need to forward. */
	sig_from_tty = si && si->si_code == SI_KERNEL;
	sig_count++;
}

static void on_child(int signo)
{
	(void)signo;      /* only there to interrupt ppoll() */
}

/* SIGINT/SIGTERM/SIGCHLD: handled, blocked except inside ppoll(). */
static void signals_setup(struct rec *r)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	/* No SA_NOCLDSTOP: it would also silence the ptrace stops we wait for. */
	struct sigaction sc = { .sa_handler = on_child };
	sigset_t block;

	sig_count = 0;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &r->oldmask);
	r->waitmask = r->oldmask;
	sigdelset(&r->waitmask, SIGINT);
	sigdelset(&r->waitmask, SIGTERM);
	sigdelset(&r->waitmask, SIGCHLD);
	sigaction(SIGINT, &sa, &r->old_int);
	sigaction(SIGTERM, &sa, &r->old_term);
	sigaction(SIGCHLD, &sc, &r->old_chld);
	r->signals_set = true;
}

static void signals_restore(struct rec *r)
{
	if (!r->signals_set)
		return;
	sigaction(SIGINT, &r->old_int, NULL);
	sigaction(SIGTERM, &r->old_term, NULL);
	sigaction(SIGCHLD, &r->old_chld, NULL);
	sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
	r->signals_set = false;
}

/* The one place a recording's resources are released, whatever happened. */
static void cleanup(struct rec *r)
{
	mm_control_stop(r->control);  /* its thread uses the watch list and the file */
	r->control = NULL;
	mm_watch_free(r->watch);
	r->watch = NULL;
	mm_target_free(r->target);
	r->target = NULL;
	mm_malloc_free(r->heap);     /* its fd keeps nothing of the kernel's busy */
	r->heap = NULL;
	mm_preload_env_free(r->heap_env);
	r->heap_env = NULL;
	mm_env_free(r->env);
	r->env = NULL;
	free(r->heap_lib);
	r->heap_lib = NULL;
	free(r->heap_static);
	r->heap_static = NULL;
	mm_drain_free(r->drain);      /* its files keep the instance busy */
	r->drain = NULL;
	mm_drain_free(r->stacks_drain);
	r->stacks_drain = NULL;
	mm_mapnames_free(r->names);   /* its perf events go with their fds */
	r->names = r->out.names = NULL;
	if (r->out.clock_fd >= 0)     /* so do these */
		close(r->out.clock_fd);
	if (r->out.marker_fd >= 0)
		close(r->out.marker_fd);
	r->out.clock_fd = r->out.marker_fd = -1;
	if (r->finished) {
		mm_tracing_destroy_detached(r->inst, r->stacks,
					    r->probes || r->uprobes_defined ? r->group : NULL);
	} else {
		mm_tracing_destroy(r->stacks);
		mm_tracing_destroy(r->inst);  /* before the probes it may use */
		if (r->probes || r->uprobes_defined)
			mm_probes_destroy(r->group);
	}
	r->inst = r->stacks = NULL;
	r->probes = r->uprobes_defined = false;
	if (r->out.w) {
		mm_writer_abort(r->out.w);
		pthread_mutex_destroy(&r->out.lock);
	}
	r->out.w = NULL;
	if (r->part && !r->began)
		unlink(r->part);      /* nothing recorded: FILE stays as it was */
	free(r->part);
	r->part = NULL;
	free(r->dest);
	r->dest = NULL;
	mm_evlist_free(&r->ev);
	free(r->probe_text);
	r->probe_text = NULL;
	free(r->opt.pids);
	r->opt.pids = NULL;
	signals_restore(r);
	live = NULL;
}

static void cleanup_at_exit(void)
{
	if (live)
		cleanup(live);
}

/* One line per missing event; -q silences them, except for the events the
 * report cannot do without (faults), whose absence the user must see. */
static void notice_missing(struct rec *r)
{
	char *list = mm_strdup(r->ev.missing), *save = NULL;

	for (char *e = strtok_r(list, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		if (mm_event_is_required(e))
			fprintf(stderr, "memmon record: event %s not on this kernel: "
				"this recording will have no page faults\n", e);
		else if (!r->opt.quiet)
			fprintf(stderr, "memmon record: event %s not on this kernel, skipped\n", e);
	}
	free(list);
}

/* Events, and the kprobe classifier where asked for and possible: a kernel
 * that refuses its probes records with the tracepoint classifier, saying so. */
static int choose_events(struct rec *r)
{
	struct mm_probe_choice c;
	bool asked = !strcmp(r->opt.classifier, "kprobe");

	mm_evlist_build(&r->ev);
	if (r->opt.markers & MM_MARKERS_FSYNC)
		mm_evlist_add_syscalls(&r->ev, mm_marker_syscalls, mm_marker_syscalls_len);
	if (r->opt.frames)
		mm_evlist_add_set(&r->ev, mm_frame_events, mm_frame_events_len);
	notice_missing(r);
	r->classifier = "tracepoint";
	if (!strcmp(r->opt.classifier, "tracepoint") ||
	    (!asked && !mm_probes_kprobes_available()))
		return 0;
	if (mm_probes_choose(r->group, &r->ev, &c) < 0)
		return -1;
	if (!c.set) {
		fprintf(stderr, "memmon record: no kprobe classifier here (%s): "
			"using the tracepoint classifier\n", c.notes);
		return 0;
	}
	if (c.notes[0] && !r->opt.quiet)
		fprintf(stderr, "memmon record: kprobe classifier, probe set %s (%s)\n",
			c.set->name, c.notes);
	r->classifier = "kprobe";
	r->probe_set = c.set->name;
	r->probes = true;
	r->probe_text = c.text;
	return 0;
}

static int check_pids(struct rec *r)
{
	for (size_t i = 0; i < r->opt.nr_pids; i++)
		if (kill(r->opt.pids[i], 0) < 0 && errno == ESRCH)
			return mm_error("no process with pid %d", (int)r->opt.pids[i]);
	return 0;
}

/* The part file beside FILE.  FILE must be a regular file or absent: the
 * rename would replace anything else (a device, a FIFO) for good.  A
 * symbolic link is followed (the link stays; /dev/stdout redirected to a
 * file is that file). */
static int open_output(struct rec *r)
{
	struct stat st;

	if (stat(r->opt.output, &st) == 0 && !S_ISREG(st.st_mode))
		return mm_error("'%s' exists and is not a regular file", r->opt.output);
	if (lstat(r->opt.output, &st) == 0 && S_ISLNK(st.st_mode)) {
		r->dest = realpath(r->opt.output, NULL);
		if (!r->dest)
			return mm_error_errno("cannot follow '%s'", r->opt.output);
	} else {
		r->dest = mm_strdup(r->opt.output);
	}
	if (asprintf(&r->part, "%s.%d.part", r->dest, (int)getpid()) < 0) {
		r->part = NULL;
		return mm_error("out of memory");
	}
	r->out.w = mm_writer_open(r->part, r->opt.level);
	if (!r->out.w) {
		free(r->part);        /* not created: nothing to remove */
		r->part = NULL;
		return -1;
	}
	pthread_mutex_init(&r->out.lock, NULL);
	return 0;
}

/*
 * A SIGINT or SIGTERM that came while record set up: blocked until now, so
 * still pending.  Take it (it is not CMD's: CMD has not started) and say
 * so; arm() looks between its steps, run() once more before CMD starts.
 */
static bool interrupted(struct rec *r)
{
	static const struct timespec now = { 0, 0 };
	sigset_t set;
	int signo;

	if (r->stopped_by)
		return true;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	signo = sigtimedwait(&set, NULL, &now);
	if (signo <= 0)
		return false;
	r->stopped_by = signo;
	return true;
}

/*
 * --markers=trace_marker: the program's writes to trace_marker.  A spawned
 * CMD finds the instance's own in MEMMON_TRACE_MARKER (its writes stay out
 * of the top-level ring); where the kernel copies top-level writes into
 * instances (copy_trace_marker), those are heard too, also with -p.
 */
static int markers_prepare(struct rec *r)
{
	char *path;
	int ret;

	if (!(r->opt.markers & MM_MARKERS_TRACE))
		return 0;
	if ((ret = mm_tracing_copy_marker(r->inst)) < 0)
		return -1;
	r->marker_copy = ret > 0;
	if (!r->opt.argv)
		return 0;
	if (!(path = mm_tracing_marker_path(r->inst)))
		return -1;
	r->env = mm_env_with(r->heap_env, MM_MARKER_ENV, path);
	free(path);
	return 0;
}

/* The live watch list and its socket (memmon watch), -p's processes
 * watched from ON_TS (0: a CMD).  A recording that cannot make the socket
 * still records, saying it cannot be watched. */
static int watch_start(struct rec *r, uint64_t on_ts)
{
	r->watch = mm_watch_new(r->inst, r->stacks, r->names, &r->out, r->opt.pids,
				 r->opt.nr_pids, on_ts);
	if (!r->watch)
		return -1;
	r->control = mm_control_start(r->watch);
	if (!r->control && !r->opt.quiet)
		fprintf(stderr, "memmon record: notice: %s: memmon watch cannot change this "
			"recording\n", mm_error_msg());
	return 0;
}

/* Steps up to armed tracing (the target, if any, still held); -1 also when
 * a signal stopped it (r->stopped_by). */
static int arm(struct rec *r)
{
	unsigned nr_cpus = (unsigned)get_nprocs_conf();
	uint64_t on_ts = 0;
	size_t subbuf;

	snprintf(r->name, sizeof(r->name), MM_INSTANCE_PREFIX "%d", (int)getpid());
	snprintf(r->group, sizeof(r->group), MM_GROUP_PREFIX "%d", (int)getpid());
	/* What a killed memmon left is cleaned here, but a recording does not
	 * depend on it: one that cannot go (still busy elsewhere) is named, and
	 * `memmon reset` removes it later. */
	if (mm_stale_remove(false, NULL, NULL) < 0)
		fprintf(stderr, "memmon record: warning: %s (stale state of a memmon that is gone; "
			"'memmon reset' removes it later)\n", mm_error_msg());
	if (check_pids(r) < 0 || interrupted(r))
		return -1;
	if (open_output(r) < 0)
		return -1;
	/* the slow steps: an instance (~10 ms here, seconds under qemu),
	 * the probes (each one an RCU grace period or more) */
	r->inst = mm_tracing_create(r->name, r->opt.buffer_kb);
	if (!r->inst || interrupted(r))
		return -1;
	r->out.inst = r->inst;
	r->out.clock_fd = mm_tracing_clock_open(r->inst);
	if (r->out.clock_fd < 0 || choose_events(r) < 0 || interrupted(r))
		return -1;
	if ((r->opt.heap && mm_rec_heap_prepare(r) < 0) || markers_prepare(r) < 0)
		return -1;
	/* notes are only ever written for a spawned CMD's vfork children */
	if (r->opt.argv && (r->out.marker_fd = mm_tracing_marker_open(r->inst)) < 0)
		return -1;
	r->opt.buffer_kb = mm_tracing_buffer_kb(r->inst);
	if (r->opt.argv) {
		r->target = mm_target_spawn(r->opt.argv, r->env ? r->env : r->heap_env);
		if (!r->target)
			return -1;
		if (r->heap_static)
			mm_target_on_exec(r->target, mm_rec_heap_on_exec, r);
		r->opt.pids = mm_malloc(sizeof(pid_t));
		r->opt.pids[0] = mm_target_pid(r->target);
		r->opt.nr_pids = 1;
	}
	mm_rec_open_names(r, nr_cpus);
	mm_rec_choose_stacks(r);
	subbuf = mm_tracing_subbuf_size(r->inst);
	if (interrupted(r) || mm_rec_filter_and_header(r, nr_cpus, subbuf) < 0)
		return -1;
	mm_rec_open_stacks(r);
	/* MACHINE is written: the others may write sections now */
	if (r->names && mm_mapnames_start(r->names, &r->out, r->opt.debug_dir) < 0)
		return -1;
	r->drain = mm_drain_start(r->inst, nr_cpus, subbuf, (size_t)r->opt.chunk_kb * 1024,
				  &r->out, pthread_self(), false);
	if (!r->drain)
		return -1;
	if (r->heap && mm_malloc_start(r->heap, &r->out, r->heap_id, r->opt.level,
				       (uint32_t)subbuf) < 0)
		return -1;
	if (r->stacks) {
		r->stacks_drain = mm_drain_start(r->stacks, nr_cpus,
						 mm_tracing_subbuf_size(r->stacks),
						 (size_t)r->opt.chunk_kb * 1024, &r->out,
						 pthread_self(), true);
		if (!r->stacks_drain || mm_tracing_on(r->stacks, true) < 0)
			return -1;
	}
	/* -p's processes are watched from this moment: their joins say so */
	if ((!r->target && mm_tracing_now(r->out.clock_fd, &on_ts) < 0) ||
	    mm_tracing_on(r->inst, true) < 0)
		return -1;
	/* -p: the calls from now on, beside the kernel's events */
	for (size_t i = 0; r->heap && !r->opt.argv && i < r->opt.nr_pids; i++)
		if (mm_rec_heap_attach(r, r->opt.pids[i]) < 0)
			return -1;
	return watch_start(r, on_ts);
}

static int stop_check(void *ctx, int *signo)
{
	struct rec *r = ctx;

	if (mm_drain_failed(r->drain) || mm_drain_failed(r->stacks_drain) ||
	    mm_malloc_failed(r->heap) || sig_count > 1)
		return 2;
	if (sig_count == 1 && !r->forwarded) {
		r->forwarded = true;
		*signo = sig_last;
		return sig_from_tty ? 0 : 1;
	}
	return 0;
}

/* -p: until a signal, --duration, or every watched process gone (checked
 * twice a second: the one periodic wake-up of a recording, and a cheap
 * one); a list memmon watch emptied waits for the next to join. */
static int wait_pids(struct rec *r)
{
	uint64_t end = r->opt.duration > 0 ? mm_mono_ns() + (uint64_t)(r->opt.duration * 1e9) : 0;

	while (!sig_count && !mm_drain_failed(r->drain) && !mm_drain_failed(r->stacks_drain) &&
	       mm_watch_going_on(r->watch)) {
		uint64_t now = mm_mono_ns(), left = 500000000ull;
		struct timespec ts;

		if (end && now >= end)
			break;
		if (end && end - now < left)
			left = end - now;
		ts = (struct timespec){ .tv_sec = left / 1000000000ull, .tv_nsec = left % 1000000000ull };
		ppoll(NULL, 0, &ts, &r->waitmask);
	}
	return 0;
}

/* Run (CMD) or wait (-p); returns the exit status record will have
 * (negative: nothing worth keeping). */
static int run(struct rec *r)
{
	int status = MM_EXIT_FAIL, ret;

	if (interrupted(r))             /* the last moment before CMD starts */
		return -(128 + r->stopped_by);
	if (!r->target) {
		r->began = true;
		return wait_pids(r);
	}
	ret = mm_target_release(r->target, &r->out, &status);
	if (ret < 0)
		return -status;         /* exec failed: nothing worth keeping */
	if (ret > 0) {                  /* CMD got the signal before its exec */
		r->stopped_by = status - 128;
		return -status;
	}
	r->began = true;
	ret = mm_target_wait(r->target, &r->out, &r->waitmask, stop_check, r);
	if (ret == MM_TARGET_STOPPED)
		return 128 + (sig_last ? sig_last : SIGTERM);
	return ret < 0 ? -MM_EXIT_FAIL : ret;
}

static int finish(struct rec *r, uint64_t t0)
{
	struct mm_rec_totals t = { .secs = (double)(mm_mono_ns() - t0) / 1e9 };
	pid_t *watched = NULL;
	size_t nr;

	mm_control_stop(r->control);  /* the list as it is now, to the end */
	r->control = NULL;
	if (!mm_tracing_is_on(r->inst))
		fprintf(stderr, "memmon record: warning: tracing in instance %s was switched off by "
			"something else while recording (another tracer, or a write to its "
			"tracing_on): events after that moment are missing\n", r->name);
	if (mm_tracing_on(r->inst, false) < 0 ||
	    (r->stacks && mm_tracing_on(r->stacks, false) < 0) || mm_malloc_stop(r->heap, &t.heap) < 0)
		return -1;
	/* CMD's own END snapshot came at its exit (ptrace) */
	nr = mm_watch_pids(r->watch, &watched);
	for (size_t i = 0; i < nr; i++)
		if ((!r->target || watched[i] != mm_target_pid(r->target)) &&
		    mm_snapshot_process(&r->out, watched[i], MM_PHASE_END) < 0) {
			free(watched);
			return -1;
		}
	free(watched);
	if (mm_snapshot_system(&r->out, MM_PHASE_END) < 0 ||
	    (r->names && mm_mapnames_stop(r->names, &t.names) < 0) ||
	    mm_drain_stop(r->drain, &t.events) < 0 ||
	    (r->stacks_drain && mm_drain_stop(r->stacks_drain, &t.stacks) < 0))
		return -1;
	mm_writer_get_stats(r->out.w, &t.file);
	if (mm_writer_close(r->out.w) < 0) {
		r->out.w = NULL;
		return -1;
	}
	r->out.w = NULL;
	if (rename(r->part, r->dest) < 0)
		return mm_error_errno("cannot rename '%s' to '%s'", r->part, r->dest);
	free(r->part);
	r->part = NULL;
	mm_rec_summary(r, &t);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static bool registered;
	struct rec r = { .out.clock_fd = -1, .out.marker_fd = -1, .trace_clock = MM_TRACE_CLOCK };
	int status = MM_EXIT_FAIL;
	bool ok = false;
	uint64_t t0;

	mm_record_parse_options(argc, argv, &r.opt);
	live = &r;
	if (!registered && atexit(cleanup_at_exit) == 0)
		registered = true;
	signals_setup(&r);
	if (mm_tracing_check("record") < 0)
		goto out;
	if (arm(&r) < 0) {
		if (r.stopped_by)
			status = 128 + r.stopped_by;
		goto out;
	}
	if (r.opt.verbose)
		fprintf(stderr, "memmon record: instance %s, classifier %s%s%s%s, %u KB per cpu\n",
			r.name, r.classifier, r.probe_set ? " (probe set " : "",
			r.probe_set ? r.probe_set : "", r.probe_set ? ")" : "", r.opt.buffer_kb);
	t0 = mm_mono_ns();
	status = run(&r);
	if (status < 0) {
		status = -status;
		goto out;
	}
	if (finish(&r, t0) < 0) {
		status = MM_EXIT_FAIL;
		goto out;
	}
	ok = r.finished = true;
out:
	if (r.stopped_by) {
		if (!r.opt.quiet)
			fprintf(stderr, "memmon record: SIG%s before %s started: nothing recorded, '%s' "
				"left as it was\n", sigabbrev_np(r.stopped_by),
				r.opt.argv ? r.opt.argv[0] : "tracing", r.opt.output);
	} else if (!ok) {
		mm_error_print("record");
	}
	if (!ok && r.began && r.part)
		fprintf(stderr, "memmon record: what was recorded until then is in '%s' "
			"(cut short); '%s' was left as it was\n", r.part, r.opt.output);
	cleanup(&r);
	return status;
}
