/*
 * record/cmd-record.c - `memmon record`: options, usage and the top-level
 * steps of a recording.
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
#include <getopt.h>
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
#include "record/record.h"

static const char usage[] =
	"memmon record [-o FILE] [-b KB] [-p PID,...] [--classifier=auto|kprobe|tracepoint] "
	"[-z LEVEL] [--chunk-kb KB] [--duration SEC] [--malloc [--malloc-ring KB]] [-q] [-v] "
	"[--] [CMD ARGS]";

#define DEFAULT_CHUNK_KB  1024
#define MAX_CHUNK_KB      (MM_MAX_CHUNK_RAW / 1024)

/*
 * --malloc's rings: one per thread that allocates.  1 MiB holds ~30k calls,
 * 3 ms of a thread doing nothing but malloc/free here, and the writer wakes
 * the drain at half; the area is a sparse memfd, so rings never used cost
 * one page each.
 */
#define DEFAULT_RING_KB   1024
#define NR_RINGS          512

struct opts {
	const char *output;
	unsigned buffer_kb, chunk_kb;
	int level;
	double duration;
	const char *classifier;
	bool quiet, verbose;
	bool heap;            /* --malloc */
	unsigned ring_kb;
	pid_t *pids;
	size_t nr_pids;
	char **argv;          /* CMD ARGS, NULL-terminated; NULL with -p */
};

struct rec {
	struct opts opt;
	struct mm_out out;
	char *part;           /* FILE.PID.part, written until complete */
	char *dest;           /* what the part is renamed to: FILE, or the file
	                       * a symbolic link FILE names */
	bool began;           /* events were recorded: keep the part on error */
	bool finished;        /* file complete: tear down without waiting */
	struct tracefs_instance *inst;
	char name[32], group[32];
	bool probes;
	const char *classifier;
	const char *probe_set;    /* the kprobe set's name, or NULL */
	int stopped_by;       /* the signal that ended the setup, 0 */
	struct mm_evlist ev;
	char *probe_text;
	struct mm_target *target;
	struct mm_drain *drain;
	/* --malloc */
	struct mm_malloc *heap;
	char *heap_lib;
	char **heap_env;
	unsigned heap_clock;          /* MM_RING_CLOCK_* */
	const char *trace_clock;
	uint64_t cal_ticks, cal_ns;   /* TSC calibration: the first sample */
	uint64_t tsc_hz;
	uint16_t heap_id;
	bool forwarded;
	bool signals_set;
	sigset_t oldmask, waitmask;
	struct sigaction old_int, old_term, old_chld;
};

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

int mm_record_parse_pids(const char *arg, pid_t **pids, size_t *n)
{
	const char *p = arg;

	while (*p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v <= 0 || v > 0x3fffffff || (*end && *end != ','))
			return -1;
		*pids = mm_realloc(*pids, (*n + 1) * sizeof(**pids));
		(*pids)[(*n)++] = (pid_t)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return -1;
	}
	return *n ? 0 : -1;
}

#define USAGE_ERROR(...) mm_usage_error("record", usage, __VA_ARGS__)

/* OPT's value ARG as a number of KB from MIN to MAX; WHAT says what it
 * sizes and UNIT how it counts, for the message. */
static unsigned parse_kb(const char *opt, const char *arg, unsigned min, unsigned max,
			 const char *what, const char *unit)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || arg[0] == '-')
		USAGE_ERROR("%s %s: not a number of KB", opt, arg);
	if (v < min)
		USAGE_ERROR("%s %s: %s must be at least %u %s", opt, arg, what, min, unit);
	if (v > max)
		USAGE_ERROR("%s %s: %s can be at most %u %s", opt, arg, what, max, unit);
	return (unsigned)v;
}

static void parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "pid", required_argument, NULL, 'p' },
		{ "classifier", required_argument, NULL, 'C' },
		{ "compress-level", required_argument, NULL, 'z' },
		{ "chunk-kb", required_argument, NULL, 'K' },
		{ "duration", required_argument, NULL, 'D' },
		{ "malloc", no_argument, NULL, 'M' },
		{ "malloc-ring", required_argument, NULL, 'R' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned level = MM_RECORD_DEFAULT_LEVEL;
	char *end;
	int c;

	opterr = 0;       /* our own message: "memmon record: ..." */
	*o = (struct opts){ .output = "trace.dat", .chunk_kb = DEFAULT_CHUNK_KB,
			    .classifier = "auto", .ring_kb = DEFAULT_RING_KB };
	/* "+": stop at CMD, whose options are its own; ":": missing values */
	while ((c = getopt_long(argc, argv, "+:o:b:p:z:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				USAGE_ERROR("-o '': the output file needs a name");
			o->output = optarg;
			break;
		case 'q': o->quiet = true; break;
		case 'v': o->verbose = true; break;
		case 'h': exit(mm_show_help("record", usage));
		case 'b':
			o->buffer_kb = parse_kb("-b", optarg, 4, 1u << 30, "the buffer size", "KB per CPU");
			break;
		case 'K':
			o->chunk_kb = parse_kb("--chunk-kb", optarg, 4, MAX_CHUNK_KB, "a chunk", "KB");
			break;
		case 'z':
			level = strtoul(optarg, &end, 10);
			if (!*optarg || *end || level < 1 || level > 22)
				USAGE_ERROR("-z %s: the compression level is 1 to 22", optarg);
			break;
		case 'p':
			if (mm_record_parse_pids(optarg, &o->pids, &o->nr_pids) < 0)
				USAGE_ERROR("-p %s: not a pid (a process id, or a list: 123,456)", optarg);
			break;
		case 'C':
			if (strcmp(optarg, "auto") && strcmp(optarg, "kprobe") &&
			    strcmp(optarg, "tracepoint"))
				USAGE_ERROR("--classifier=%s: the classifier is auto, kprobe or tracepoint",
					    optarg);
			o->classifier = optarg;
			break;
		case 'M':
			o->heap = true;
			break;
		case 'R':
			o->ring_kb = parse_kb("--malloc-ring", optarg, 8, 1u << 20, "a ring", "KB");
			if (o->ring_kb & (o->ring_kb - 1))
				USAGE_ERROR("--malloc-ring %s: the ring size is a power of two (KB)",
					    optarg);
			break;
		case 'D':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(o->duration > 0) || o->duration > 1e9)
				USAGE_ERROR("--duration %s: not a number of seconds above 0", optarg);
			break;
		default:
			mm_usage_bad_option("record", usage, c, argv, longopts);
		}
	}
	o->level = (int)level;
	if (optind < argc)
		o->argv = argv + optind;
	/* Exactly one of CMD and -p; --duration only makes sense with -p. */
	if (!o->argv && !o->nr_pids)
		USAGE_ERROR("nothing to record: give a command (memmon record -- CMD ARGS) "
			    "or running processes (-p PID)");
	if (o->argv && o->nr_pids)
		USAGE_ERROR("-p and a command ('%s'): record either a command or running processes",
			    o->argv[0]);
	if (o->argv && o->duration > 0)
		USAGE_ERROR("--duration applies to -p (a command is recorded until it exits)");
	if (o->heap && !o->argv)
		USAGE_ERROR("--malloc with -p is not supported yet: record a command");
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
	mm_target_free(r->target);
	r->target = NULL;
	mm_malloc_free(r->heap);     /* its fd keeps nothing of the kernel's busy */
	r->heap = NULL;
	mm_preload_env_free(r->heap_env);
	r->heap_env = NULL;
	free(r->heap_lib);
	r->heap_lib = NULL;
	mm_drain_free(r->drain);      /* its files keep the instance busy */
	r->drain = NULL;
	if (r->out.clock_fd >= 0)     /* so do these */
		close(r->out.clock_fd);
	if (r->out.marker_fd >= 0)
		close(r->out.marker_fd);
	r->out.clock_fd = r->out.marker_fd = -1;
	if (r->finished) {
		mm_tracing_destroy_detached(r->inst, r->probes ? r->group : NULL);
	} else {
		mm_tracing_destroy(r->inst);  /* before the probes it may use */
		if (r->probes)
			mm_probes_destroy(r->group);
	}
	r->inst = NULL;
	r->probes = false;
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

/* MACHINE's command and pids values. */
static void describe(struct rec *r, char *cmd, size_t cmdlen, char *pids, size_t pidslen)
{
	size_t n = 0, m = 0;

	cmd[0] = pids[0] = '\0';
	if (!r->opt.argv)
		n += snprintf(cmd, cmdlen, "-p ");
	for (char **a = r->opt.argv; a && *a && n < cmdlen; a++)
		n += snprintf(cmd + n, cmdlen - n, "%s%s", a == r->opt.argv ? "" : " ", *a);
	for (size_t i = 0; i < r->opt.nr_pids && m < pidslen; i++)
		m += snprintf(pids + m, pidslen - m, "%s%d", i ? "," : "", (int)r->opt.pids[i]);
	if (!r->opt.argv && n < cmdlen)
		snprintf(cmd + n, cmdlen - n, "%s", pids);
}

/*
 * --malloc: the trace clock the interposer reads too.  Switching it costs
 * an RCU grace period (~30 ms), spent here beside the pid filter and the
 * events the main thread is setting.  The TSC's rate comes from two
 * samples against CLOCK_MONOTONIC that far apart (it only scales the
 * times report prints; order never depends on it).
 */
static int set_heap_clock(struct rec *r)
{
	uint64_t ticks, ns;

	if (mm_tracing_set_clock(r->inst, r->trace_clock) < 0)
		return -1;
	if (r->heap_clock != MM_RING_CLOCK_TSC)
		return 0;
	while ((ns = mm_mono_ns()) - r->cal_ns < 5000000ull)
		usleep(1000);
	ticks = mm_malloc_clock(MM_RING_CLOCK_TSC);
	r->tsc_hz = (uint64_t)((double)(ticks - r->cal_ticks) * 1e9 / (double)(ns - r->cal_ns));
	return 0;
}

static int write_header(struct rec *r, unsigned nr_cpus, size_t subbuf)
{
	char cmd[4096], pids[1024];
	struct mm_machine_info mi = {
		.command = cmd, .pids = pids, .classifier = r->classifier,
		.missing = r->ev.missing, .buffer_kb = r->opt.buffer_kb,
		.nr_cpus = nr_cpus, .subbuf_size = subbuf, .start_mono_ns = mm_mono_ns(),
		.attached = r->target ? NULL : r->opt.pids,
		.nr_attached = r->target ? 0 : r->opt.nr_pids,
		.clock = r->trace_clock, .heap = r->opt.heap,
	};

	describe(r, cmd, sizeof(cmd), pids, sizeof(pids));
	if (r->opt.heap && set_heap_clock(r) < 0)
		return -1;
	mi.tsc_hz = r->tsc_hz;
	if (mm_machine_write(r->out.w, &mi, &r->ev) < 0)
		return -1;
	r->heap_id = mi.heap_id;
	if (r->probe_text && mm_writer_section(r->out.w, MM_SECTION_PROBES, NULL, 0,
					       r->probe_text, strlen(r->probe_text)) < 0)
		return -1;
	if (mm_snapshot_system(&r->out, MM_PHASE_START) < 0)
		return -1;
	/* A held CMD child is still a copy of memmon, not the target: its
	 * life in the trace starts with its exec (and the EXEC snapshot). */
	for (size_t i = 0; !r->target && i < r->opt.nr_pids; i++)
		if (mm_snapshot_process(&r->out, r->opt.pids[i], MM_PHASE_START) < 0)
			return -1;
	return 0;
}

/* The SIGCHLDs a watched task sends record (its ptrace stops, its exit)
 * are record's business, not the target's. */
static int signal_filter(struct rec *r)
{
	char filter[64];

	snprintf(filter, sizeof(filter), "pid != %d", (int)getpid());
	return mm_tracing_event_filter(r->inst, "signal", "signal_generate", filter);
}

/*
 * write_header() reads ~60 tracefs and /proc files (~1 ms) and needs neither
 * the pid filter nor the enabled events, so a helper thread writes it while
 * this one sets those two (kernel work, ~4.5 ms, all before CMD may start).
 * Nothing else writes to the file until the helper is joined.
 */
struct header_job {
	struct rec *r;
	unsigned nr_cpus;
	size_t subbuf;
	int ret;
	char err[1024], hint[256];    /* mm_error() is per thread */
};

static void *header_main(void *arg)
{
	struct header_job *j = arg;

	j->ret = write_header(j->r, j->nr_cpus, j->subbuf);
	if (j->ret < 0) {
		snprintf(j->err, sizeof(j->err), "%s", mm_error_msg());
		snprintf(j->hint, sizeof(j->hint), "%s", mm_hint_msg());
	}
	return NULL;
}

static int filter_and_header(struct rec *r, unsigned nr_cpus, size_t subbuf)
{
	struct header_job j = { .r = r, .nr_cpus = nr_cpus, .subbuf = subbuf };
	pthread_t th;
	bool threaded = pthread_create(&th, NULL, header_main, &j) == 0;
	int ret = 0;

	if (mm_tracing_set_pids(r->inst, r->opt.pids, r->opt.nr_pids) < 0 ||
	    signal_filter(r) < 0 || mm_evlist_enable(r->inst, &r->ev) < 0)
		ret = -1;
	if (threaded)
		pthread_join(th, NULL);
	else if (!ret)
		header_main(&j);        /* no thread to be had: the same, in line */
	if (!ret && j.ret < 0) {
		mm_error("%s", j.err);
		if (j.hint[0])
			mm_hint("%s", j.hint);
		ret = -1;
	}
	return ret;
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

/* --malloc: the interposer, its rings, the clock they share with the
 * ring buffer (x86-tsc where the kernel has it: rdtsc costs the
 * interposer ~10 ns a call, clock_gettime ~50), CMD's environment. */
static int heap_prepare(struct rec *r)
{
	bool tsc = false;

#if defined(__x86_64__)
	tsc = mm_tracing_has_clock(r->inst, "x86-tsc");
#endif
	if (!tsc && !mm_tracing_has_clock(r->inst, "mono"))
		return mm_error("--malloc needs the trace clock x86-tsc or mono; this kernel has neither");
	r->heap_clock = tsc ? MM_RING_CLOCK_TSC : MM_RING_CLOCK_MONO;
	r->trace_clock = tsc ? "x86-tsc" : "mono";
	r->cal_ns = mm_mono_ns();
	r->cal_ticks = mm_malloc_clock(r->heap_clock);
	if (!(r->heap_lib = mm_preload_find_lib()))
		return -1;
	/* ticks per ms for the drain's slack: a rough rate will do there */
	r->heap = mm_malloc_create(NR_RINGS, r->opt.ring_kb, r->heap_clock, tsc ? 4000000 : 1000000);
	if (!r->heap)
		return -1;
	r->heap_env = mm_preload_env(r->heap_lib, mm_malloc_fd(r->heap));
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
	if (mm_stale_remove(false, NULL, NULL) < 0 || check_pids(r) < 0 || interrupted(r))
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
	if (r->opt.heap && heap_prepare(r) < 0)
		return -1;
	/* notes are only ever written for a spawned CMD's vfork children */
	if (r->opt.argv && (r->out.marker_fd = mm_tracing_marker_open(r->inst)) < 0)
		return -1;
	r->opt.buffer_kb = mm_tracing_buffer_kb(r->inst);
	if (r->opt.argv) {
		r->target = mm_target_spawn(r->opt.argv, r->heap_env);
		if (!r->target)
			return -1;
		r->opt.pids = mm_malloc(sizeof(pid_t));
		r->opt.pids[0] = mm_target_pid(r->target);
		r->opt.nr_pids = 1;
	}
	subbuf = mm_tracing_subbuf_size(r->inst);
	if (interrupted(r) || filter_and_header(r, nr_cpus, subbuf) < 0)
		return -1;
	r->drain = mm_drain_start(r->inst, nr_cpus, subbuf, (size_t)r->opt.chunk_kb * 1024,
				  &r->out, pthread_self());
	if (!r->drain)
		return -1;
	if (r->heap && mm_malloc_start(r->heap, &r->out, r->heap_id, r->opt.level,
				       (uint32_t)subbuf) < 0)
		return -1;
	return mm_tracing_on(r->inst, true);
}

static int stop_check(void *ctx, int *signo)
{
	struct rec *r = ctx;

	if (mm_drain_failed(r->drain) || mm_malloc_failed(r->heap) || sig_count > 1)
		return 2;
	if (sig_count == 1 && !r->forwarded) {
		r->forwarded = true;
		*signo = sig_last;
		return sig_from_tty ? 0 : 1;
	}
	return 0;
}

static bool any_alive(struct rec *r)
{
	for (size_t i = 0; i < r->opt.nr_pids; i++)
		if (kill(r->opt.pids[i], 0) == 0 || errno == EPERM)
			return true;
	return false;
}

/* -p: until a signal, --duration, or every process gone (checked twice a
 * second: the one periodic wake-up of a recording, and a cheap one). */
static int wait_pids(struct rec *r)
{
	uint64_t end = r->opt.duration > 0 ? mm_mono_ns() + (uint64_t)(r->opt.duration * 1e9) : 0;

	while (!sig_count && !mm_drain_failed(r->drain) && any_alive(r)) {
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

static int finish(struct rec *r, uint64_t t0)
{
	struct mm_drain_totals tot = { 0 };
	struct mm_malloc_totals ht = { 0 };
	struct mm_writer_stats ws;
	double secs = (double)(mm_mono_ns() - t0) / 1e9;

	if (mm_tracing_on(r->inst, false) < 0 || mm_malloc_stop(r->heap, &ht) < 0)
		return -1;
	for (size_t i = 0; !r->target && i < r->opt.nr_pids; i++)
		if (mm_snapshot_process(&r->out, r->opt.pids[i], MM_PHASE_END) < 0)
			return -1;
	if (mm_snapshot_system(&r->out, MM_PHASE_END) < 0 || mm_drain_stop(r->drain, &tot) < 0)
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
	if (r->heap)
		fprintf(stderr, "memmon record: malloc: %llu calls recorded (%llu lost), %llu threads, "
			"%.1f B/call\n", (unsigned long long)ht.records, (unsigned long long)ht.lost,
			(unsigned long long)ht.rings,
			ht.records ? (double)ws.heap_chunk_bytes / ht.records : 0.0);
	if (r->heap && r->opt.verbose)
		fprintf(stderr, "memmon record: malloc: %llu chunks, writers waited %llu times for room, "
			"%llu records late, %llu bad\n", (unsigned long long)ht.chunks,
			(unsigned long long)ht.waits, (unsigned long long)ht.late,
			(unsigned long long)ht.bad);
	if (ht.no_ring)
		fprintf(stderr, "memmon record: malloc: %llu calls of threads beyond the %u rings were "
			"not recorded\n", (unsigned long long)ht.no_ring, NR_RINGS);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static bool registered;
	struct rec r = { .out.clock_fd = -1, .out.marker_fd = -1, .trace_clock = MM_TRACE_CLOCK };
	int status = MM_EXIT_FAIL;
	bool ok = false;
	uint64_t t0;

	parse_options(argc, argv, &r.opt);
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
