/*
 * record/header.c - the start of a recording's file: MACHINE (what machine,
 * kernel, command, clock), PROBES, the START snapshots, written by a helper
 * thread while the main one sets the pid filter and the events.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "record/interposer/ring.h"
#include "record/recording.h"

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
		.markers = r->opt.markers == MM_MARKERS_ALL ? "fsync,trace_marker" :
			   r->opt.markers == MM_MARKERS_FSYNC ? "fsync" :
			   r->opt.markers == MM_MARKERS_TRACE ? "trace_marker" : "none",
		.marker_copy = r->marker_copy, .stacks = r->stacks_note,
		.heap_frames = r->heap_frames_note[0] ? r->heap_frames_note : NULL,
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
	r->out.start_pids = r->opt.pids;      /* pages.c's peers of that moment */
	r->out.nr_start_pids = r->opt.nr_pids;
	for (size_t i = 0; !r->target && i < r->opt.nr_pids; i++)
		if (mm_snapshot_process(&r->out, r->opt.pids[i], MM_PHASE_START) < 0)
			return -1;
	r->out.start_pids = NULL;
	r->out.nr_start_pids = 0;
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

int mm_rec_filter_and_header(struct rec *r, unsigned nr_cpus, size_t subbuf)
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
