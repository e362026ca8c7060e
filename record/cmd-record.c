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
 * The work is done in the helpers of record/ (record.h).  Everything a
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#include "memmon.h"
#include "plugins/eventset.h"
#include "plugins/decoder.h"
#include "record/interposer/ring.h"
#include "record/options.h"
#include "record/record.h"
#include "record/recording.h"

/*
 * --malloc's rings: one per thread that allocates.  1 MiB holds ~30k calls,
 * 3 ms of a thread doing nothing but malloc/free here, and the writer wakes
 * the drain at half; the area is a sparse memfd, so rings never used cost
 * one page each.
 */
#define NR_RINGS          512

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

/* A static CMD: its program's path (malloc'd), or NULL. */
static char *static_program(const char *name)
{
	char *path = strchr(name, '/') ? mm_strdup(name) : mm_target_find(name);

	if (path && mm_elf_is_static(path) == 1)
		return path;
	free(path);
	return NULL;
}

/* --malloc: the interposer, its rings, the clock they share with the
 * ring buffer (x86-tsc where the kernel has it: rdtsc costs the
 * interposer ~10 ns a call, clock_gettime ~50), CMD's environment.  By
 * uprobes (-p, a static CMD: uprobes.c) the clock is mono, the events'. */
static int heap_prepare(struct rec *r)
{
	bool tsc = false;

	r->heap_static = r->opt.argv ? static_program(r->opt.argv[0]) : NULL;
	r->heap_uprobes = !r->opt.argv || r->heap_static;
	if (r->heap_uprobes && !mm_uprobes_available())
		return mm_error("--malloc %s needs uprobes opened with perf_event_open "
				"(/sys/bus/event_source/devices/uprobe: not on this kernel)",
				r->heap_static ? "of a static program" : "with -p");
#if defined(__x86_64__)
	tsc = !r->heap_uprobes && mm_tracing_has_clock(r->inst, "x86-tsc");
#endif
	if (!tsc && !mm_tracing_has_clock(r->inst, "mono"))
		return mm_error("--malloc needs the trace clock x86-tsc or mono; this kernel has neither");
	r->heap_clock = tsc ? MM_RING_CLOCK_TSC : MM_RING_CLOCK_MONO;
	r->trace_clock = tsc ? "x86-tsc" : "mono";
	r->cal_ns = mm_mono_ns();
	r->cal_ticks = mm_malloc_clock(r->heap_clock);
	if (r->opt.argv && !(r->heap_lib = mm_preload_find_lib()))
		return -1;
	/* ticks per ms for the drain's slack: a rough rate will do there */
	r->heap = mm_malloc_create(NR_RINGS, r->opt.ring_kb, r->heap_clock, tsc ? 4000000 : 1000000);
	if (!r->heap)
		return -1;
	if (r->opt.argv)         /* a static CMD's children may be dynamic */
		r->heap_env = mm_preload_env(r->heap_lib, mm_malloc_fd(r->heap));
	return 0;
}

/* Uprobes on PID's allocator, their records into the malloc stream. */
static int heap_attach(struct rec *r, pid_t pid)
{
	struct mm_uprobes *u;

	r->uprobes_defined = true;
	if (!(u = mm_uprobes_open(pid, r->group)))
		return -1;
	if (r->opt.verbose)
		fprintf(stderr, "memmon record: malloc: uprobes on %s in pid %d\n",
			mm_uprobes_file(u), (int)pid);
	if (!r->uprobe_file[0])
		snprintf(r->uprobe_file, sizeof(r->uprobe_file), "%s", mm_uprobes_file(u));
	return mm_malloc_add_uprobes(r->heap, u);
}

/* A static CMD's exec (target.c's hook): its program is mapped, not run. */
static void heap_on_exec(void *ctx, pid_t pid)
{
	struct rec *r = ctx;

	if (heap_attach(r, pid) < 0)
		fprintf(stderr, "memmon record: malloc: %s: its calls will not be recorded\n",
			mm_error_msg());
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

/* The live watch list and its socket (memmon watch).  A recording that
 * cannot make the socket still records, saying it cannot be watched. */
static int watch_start(struct rec *r)
{
	r->watch = mm_watch_new(r->inst, &r->out, r->opt.pids, r->opt.nr_pids, !r->target);
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
	r->out.clock_fd = mm_tracing_clock_open(r->inst);
	if (r->out.clock_fd < 0 || choose_events(r) < 0 || interrupted(r))
		return -1;
	if ((r->opt.heap && heap_prepare(r) < 0) || markers_prepare(r) < 0)
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
			mm_target_on_exec(r->target, heap_on_exec, r);
		r->opt.pids = mm_malloc(sizeof(pid_t));
		r->opt.pids[0] = mm_target_pid(r->target);
		r->opt.nr_pids = 1;
	}
	mm_rec_open_names(r, nr_cpus);
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
	if (mm_tracing_on(r->inst, true) < 0)
		return -1;
	/* -p: the calls from now on, beside the kernel's events */
	for (size_t i = 0; r->heap && !r->opt.argv && i < r->opt.nr_pids; i++)
		if (heap_attach(r, r->opt.pids[i]) < 0)
			return -1;
	return watch_start(r);
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

/* CPU time memmon itself used (all its threads, not CMD's): what tracing
 * cost on top of the tracepoints, shown so nobody has to guess. */
static double self_cpu_secs(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * A uprobe hit costs the recorded thread ~2.5 us here (two traps and a
 * sample; design.md, memmon list): a malloc/free pair ~7 us, against
 * ~15 ns for the pair itself.  When the calls of the recording add up to
 * a fifth of its time or more, say so: the program ran much slower.
 */
#define UPROBE_CALL_NS 4500

static void heap_uprobes_summary(struct rec *r, const struct mm_malloc_totals *ht, double secs,
				 uint64_t bytes)
{
	fprintf(stderr, "memmon record: malloc: %llu calls recorded (%llu lost) by uprobes on %s, "
		"%.1f B/call\n", (unsigned long long)ht->records, (unsigned long long)ht->lost,
		r->uprobe_file[0] ? r->uprobe_file : "(none)",
		ht->records ? (double)bytes / ht->records : 0.0);
	double probed = (double)ht->uprobes * UPROBE_CALL_NS / 1e9;
	if (secs > 0 && probed > secs / 5)
		fprintf(stderr, "memmon record: warning: %.0f malloc calls a second, each ~%.1f us "
			"in the uprobes: the program spent about %.0f%% of the recording in them "
			"(it ran that much slower); recorded from its start (memmon record --malloc "
			"-- CMD) a call costs ~0.01 us\n", ht->uprobes / secs, UPROBE_CALL_NS / 1e3,
			probed >= secs ? 99.0 : 100.0 * probed / secs);
}

static int finish(struct rec *r, uint64_t t0)
{
	struct mm_drain_totals tot = { 0 }, stack_tot = { 0 };
	struct mm_malloc_totals ht = { 0 };
	struct mm_mapnames_stats ns = { 0 };
	struct mm_writer_stats ws;
	double secs = (double)(mm_mono_ns() - t0) / 1e9;
	pid_t *watched = NULL;
	size_t nr;

	mm_control_stop(r->control);  /* the list as it is now, to the end */
	r->control = NULL;
	if (!mm_tracing_is_on(r->inst))
		fprintf(stderr, "memmon record: warning: tracing in instance %s was switched off by "
			"something else while recording (another tracer, or a write to its "
			"tracing_on): events after that moment are missing\n", r->name);
	if (mm_tracing_on(r->inst, false) < 0 ||
	    (r->stacks && mm_tracing_on(r->stacks, false) < 0) || mm_malloc_stop(r->heap, &ht) < 0)
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
	    (r->names && mm_mapnames_stop(r->names, &ns) < 0) ||
	    mm_drain_stop(r->drain, &tot) < 0 ||
	    (r->stacks_drain && mm_drain_stop(r->stacks_drain, &stack_tot) < 0))
		return -1;
	mm_writer_get_stats(r->out.w, &ws);
	if (mm_writer_close(r->out.w) < 0) {
		r->out.w = NULL;
		return -1;
	}
	r->out.w = NULL;
	if (rename(r->part, r->dest) < 0)
		return mm_error_errno("cannot rename '%s' to '%s'", r->part, r->dest);
	free(r->part);
	r->part = NULL;
	if (r->opt.quiet)
		return 0;
	fprintf(stderr, "memmon record: %llu events (%llu lost) in %.3f s, written to %s "
		"(%llu KB, %.1f B/event; recorder CPU %.3f s)\n", (unsigned long long)tot.events,
		(unsigned long long)tot.lost, secs, r->opt.output,
		(unsigned long long)(ws.file_bytes + 1023) / 1024,
		tot.events ? (double)ws.file_bytes / tot.events : 0.0, self_cpu_secs());
	if (tot.lost)
		fprintf(stderr, "hint: use -b to enlarge the per-CPU buffer (now %u KB)\n",
			r->opt.buffer_kb);
	if (r->heap && !r->heap_uprobes)
		fprintf(stderr, "memmon record: malloc: %llu calls recorded (%llu lost), %llu threads, "
			"%.1f B/call\n", (unsigned long long)ht.records, (unsigned long long)ht.lost,
			(unsigned long long)ht.rings,
			ht.records ? (double)ws.heap_chunk_bytes / ht.records : 0.0);
	if (r->heap && r->heap_uprobes)
		heap_uprobes_summary(r, &ht, secs, ws.heap_chunk_bytes);
	if (r->heap && r->opt.verbose)
		fprintf(stderr, "memmon record: malloc: %llu chunks, writers waited %llu times for room, "
			"%llu records late, %llu bad\n", (unsigned long long)ht.chunks,
			(unsigned long long)ht.waits, (unsigned long long)ht.late,
			(unsigned long long)ht.bad);
	if (ht.no_ring)
		fprintf(stderr, "memmon record: malloc: %llu calls of threads beyond the %u rings were "
			"not recorded\n", (unsigned long long)ht.no_ring, NR_RINGS);
	if (r->opt.verbose)
		fprintf(stderr, "memmon record: %llu file mappings (%llu lost), %llu ELF objects "
			"(%llu symbols, %llu without frame pointers, %llu unreadable), %llu "
			"stacks (%llu lost)\n", (unsigned long long)ns.mappings,
			(unsigned long long)ns.lost, (unsigned long long)ns.objects,
			(unsigned long long)ns.symbols, (unsigned long long)ns.no_fp,
			(unsigned long long)ns.unreadable, (unsigned long long)stack_tot.events,
			(unsigned long long)stack_tot.lost);
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
