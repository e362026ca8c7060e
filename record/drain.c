/*
 * record/drain.c - moving the ring buffers into the file while CMD runs.
 *
 * One thread reads every CPU's trace_pipe_raw of the instance.  The kernel
 * hands out whole sub-buffers (one per read()), already in the layout the
 * file stores, so this path never parses an event: it collects sub-buffers
 * per CPU into a chunk buffer and gives full chunks to the writer, which
 * compresses them.  To keep the traced program's CPU for the program, the
 * thread sleeps in poll() until the kernel says a ring is buffer_percent
 * full (see tracing.c), or at most SAFE_MS, and then empties EVERY ring and
 * writes every CPU's data out, partial chunks included.  So the file always
 * holds all CPUs' events up to the last wake-up: a recording killed with
 * SIGKILL loses only what the kernel still held, the same short tail on
 * every CPU, never a stretch in the middle of one CPU's stream (which a
 * per-CPU chunk kept in memory until full would lose).  Stopping is a write
 * to an eventfd in the same poll set, so the end costs no waiting either.
 *
 * Counting: the sub-buffers need no inspection beyond their commit word
 * (empty ones are skipped); events and losses come from the kernel's
 * per-CPU stats at the end ("read events" + "entries", "overrun" +
 * "dropped events"), stored as the STATS section.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <tracefs.h>

#include "memmon.h"
#include "record/record.h"

/* Longest a quiet recording keeps events only in the kernel's rings. */
#define SAFE_MS 1000

/* High bits of a sub-buffer's commit word are flags (missed events). */
#define COMMIT_MASK ((1ul << 30) - 1)

struct cpu_ring {
	int fd;
	char *buf;            /* chunk being filled */
	uint32_t n;           /* sub-buffers in buf */
	uint64_t written;     /* sub-buffers handed to the writer */
};

struct mm_drain {
	struct tracefs_instance *inst;
	struct mm_out *o;
	unsigned nr_cpus;
	size_t subbuf;
	uint32_t per_chunk;   /* sub-buffers per chunk */
	struct cpu_ring *cpu;
	bool stacks;          /* the stacks instance: STACK_CHUNK sections */
	int stop_fd;          /* eventfd: main -> thread "stop" */
	pthread_t thread, wake;
	bool running;
	atomic_bool failed;
	char err[1024];       /* the thread's mm_error() message */
	char hint[256];
};

static int flush_chunk(struct mm_drain *d, unsigned c)
{
	struct cpu_ring *r = &d->cpu[c];
	int ret;

	if (!r->n)
		return 0;
	pthread_mutex_lock(&d->o->lock);
	ret = (d->stacks ? mm_writer_stack_chunk : mm_writer_chunk)(d->o->w, c, r->buf, r->n,
								    (uint32_t)d->subbuf);
	pthread_mutex_unlock(&d->o->lock);
	r->written += r->n;
	r->n = 0;
	return ret;
}

/* Read CPU C's ring until it is empty. */
static int drain_cpu(struct mm_drain *d, unsigned c)
{
	struct cpu_ring *r = &d->cpu[c];

	for (;;) {
		char *page;
		ssize_t n;

		if (r->n == d->per_chunk && flush_chunk(d, c) < 0)
			return -1;
		page = r->buf + (size_t)r->n * d->subbuf;
		n = read(r->fd, page, d->subbuf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return mm_error_errno("cannot read the ring buffer of cpu %u", c);
		if (n == 0)
			return 0;
		if ((size_t)n < d->subbuf)
			memset(page + n, 0, d->subbuf - n);
		if (*(unsigned long *)(page + 8) & COMMIT_MASK)
			r->n++;
	}
}

static int drain_all(struct mm_drain *d)
{
	for (unsigned c = 0; c < d->nr_cpus; c++)
		if (drain_cpu(d, c) < 0 || flush_chunk(d, c) < 0)
			return -1;
	return 0;
}

/* Sleep until a ring is buffer_percent full, SAFE_MS pass or stop is asked
 * for; then write out everything the rings hold. */
static int run(struct mm_drain *d)
{
	struct pollfd *pfd = mm_calloc(d->nr_cpus + 1, sizeof(*pfd));
	int ret = -1;

	for (unsigned c = 0; c < d->nr_cpus; c++)
		pfd[c] = (struct pollfd){ .fd = d->cpu[c].fd, .events = POLLIN };
	pfd[d->nr_cpus] = (struct pollfd){ .fd = d->stop_fd, .events = POLLIN };
	for (;;) {
		int n = poll(pfd, d->nr_cpus + 1, SAFE_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mm_error_errno("poll failed");
			goto out;
		}
		if (pfd[d->nr_cpus].revents)
			break;
		if (drain_all(d) < 0)
			goto out;
	}
	ret = drain_all(d);
out:
	free(pfd);
	return ret;
}

static void *thread_main(void *arg)
{
	struct mm_drain *d = arg;

	if (run(d) < 0) {
		snprintf(d->err, sizeof(d->err), "%s", mm_error_msg());
		snprintf(d->hint, sizeof(d->hint), "%s", mm_hint_msg());
		atomic_store(&d->failed, true);
		/* The main thread sleeps in ppoll()/waitpid(): make it look. */
		pthread_kill(d->wake, SIGCHLD);
	}
	return NULL;
}

static int open_cpu(struct mm_drain *d, unsigned c)
{
	char rel[64];
	char *path;

	snprintf(rel, sizeof(rel), "per_cpu/cpu%u/trace_pipe_raw", c);
	path = tracefs_instance_get_file(d->inst, rel);
	d->cpu[c].fd = path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	if (d->cpu[c].fd < 0)
		mm_error_errno("cannot open '%s'", path ? path : rel);
	tracefs_put_tracing_file(path);
	d->cpu[c].buf = mm_malloc((size_t)d->per_chunk * d->subbuf);
	return d->cpu[c].fd < 0 ? -1 : 0;
}

struct mm_drain *mm_drain_start(struct tracefs_instance *inst, unsigned nr_cpus,
				size_t subbuf_size, size_t chunk_bytes,
				struct mm_out *o, pthread_t wake, bool stacks)
{
	struct mm_drain *d = mm_calloc(1, sizeof(*d));

	d->stacks = stacks;
	d->inst = inst;
	d->o = o;
	d->nr_cpus = nr_cpus;
	d->subbuf = subbuf_size;
	d->per_chunk = chunk_bytes / subbuf_size ? chunk_bytes / subbuf_size : 1;
	d->wake = wake;
	d->cpu = mm_calloc(nr_cpus, sizeof(*d->cpu));
	for (unsigned c = 0; c < nr_cpus; c++)
		d->cpu[c].fd = -1;
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (d->stop_fd < 0) {
		mm_error_errno("eventfd failed");
		goto fail;
	}
	for (unsigned c = 0; c < nr_cpus; c++)
		if (open_cpu(d, c) < 0)
			goto fail;
	errno = pthread_create(&d->thread, NULL, thread_main, d);
	if (errno) {
		mm_error_errno("cannot start the drain thread");
		goto fail;
	}
	d->running = true;
	return d;
fail:
	mm_drain_free(d);
	return NULL;
}

bool mm_drain_failed(struct mm_drain *d)
{
	return d && atomic_load(&d->failed);
}

/* Parse "key: value" of a per_cpu stats file. */
static uint64_t stat_value(const char *text, const char *key)
{
	const char *p = text;
	size_t klen = strlen(key);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return strtoull(p + klen + 1, NULL, 10);
	return 0;
}

static int write_stats(struct mm_drain *d, struct mm_drain_totals *t)
{
	struct mm_cpu_stats *st = mm_calloc(d->nr_cpus, sizeof(*st));
	char rel[64];
	int ret;

	memset(t, 0, sizeof(*t));
	for (unsigned c = 0; c < d->nr_cpus; c++) {
		char *text;

		snprintf(rel, sizeof(rel), "per_cpu/cpu%u/stats", c);
		text = tracefs_instance_file_read(d->inst, rel, NULL);
		st[c].cpu = c;
		st[c].entries = stat_value(text, "entries");
		st[c].overrun = stat_value(text, "overrun");
		st[c].commit_overrun = stat_value(text, "commit overrun");
		st[c].dropped_events = stat_value(text, "dropped events");
		st[c].read_events = stat_value(text, "read events");
		st[c].bytes = stat_value(text, "bytes");
		st[c].subbufs_written = d->cpu[c].written;
		free(text);
		t->events += st[c].read_events + st[c].entries;
		t->lost += st[c].overrun + st[c].commit_overrun + st[c].dropped_events;
		t->subbufs += st[c].subbufs_written;
	}
	pthread_mutex_lock(&d->o->lock);
	ret = (d->stacks ? mm_writer_stack_stats : mm_writer_stats)(d->o->w, st, d->nr_cpus);
	pthread_mutex_unlock(&d->o->lock);
	free(st);
	return ret;
}

int mm_drain_stop(struct mm_drain *d, struct mm_drain_totals *t)
{
	uint64_t one = 1;

	if (!d->running)
		return mm_error("the drain thread is not running");
	if (write(d->stop_fd, &one, sizeof(one)) != sizeof(one))
		return mm_error_errno("cannot stop the drain thread");
	pthread_join(d->thread, NULL);
	d->running = false;
	if (atomic_load(&d->failed)) {
		mm_error("%s", d->err);
		if (d->hint[0])
			mm_hint("%s", d->hint);
		return -1;
	}
	return write_stats(d, t);
}

void mm_drain_free(struct mm_drain *d)
{
	uint64_t one = 1;

	if (!d)
		return;
	/* Error paths: stop the thread without the final drain's result. */
	if (d->running && write(d->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(d->thread, NULL);
	for (unsigned c = 0; c < d->nr_cpus; c++) {
		if (d->cpu[c].fd >= 0)
			close(d->cpu[c].fd);
		free(d->cpu[c].buf);
	}
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	free(d->cpu);
	free(d);
}
