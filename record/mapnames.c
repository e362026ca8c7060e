/*
 * record/mapnames.c - the names of every file a watched task maps, and the
 * ELF objects behind its code, kept in the trace (issue 13).
 *
 * mmap's tracepoints give an fd, not a file, and the maps snapshots only
 * see what is mapped when they are taken: a library opened and closed
 * with dlopen/dlclose, ld.so.cache, a data file mapped for a moment fall
 * between them.  The kernel's perf subsystem reports each new mapping
 * (PERF_RECORD_MMAP2: range, file offset, device, inode, protection, the
 * path resolved when it was mapped) to a "dummy" software event that
 * counts nothing: one per CPU on the target, inherited by every child and
 * thread it makes, exactly what perf record uses for the same purpose.
 * The other way, reading /proc/PID/map_files at each mmap's exit, needs a
 * ptrace stop per mmap (~17 us here) and races the unmap; the perf record
 * costs the mmap ~1 us, is never late, and names files deleted meanwhile.
 * The events live and die with record's file descriptors: nothing is left
 * in the kernel if record is killed.
 *
 * Two events per CPU: DATA (mmap2 + mmap_data: every mapping, file, anon
 * and brk alike; its ring wakes the reader a quarter full) and TRIG
 * (mmap2 only: executable mappings, waking the reader at once), so the ELF
 * file behind new code is opened within moments of its mmap, while it
 * still exists, without a wake-up per malloc'd mapping.  record -p opens
 * them on every thread of each process, those of one CPU writing into one
 * ring (PERF_EVENT_IOC_SET_OUTPUT), and so does a process that joins
 * later (memmon watch), until it leaves.
 *
 * A thread of its own reads the rings, keeps the file mappings (anon ones
 * are dropped: the tracepoints say everything about them) as MMAPS
 * entries, written in batches, and hands every file mapped executable
 * (from the records, and from the maps snapshots record takes) to
 * objfiles.c, which reads its ELF object once and stores it once per
 * build-id.  That work is never on the traced program's path: it runs
 * beside it, and at the end record waits for it.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "memmon.h"
#include "format/objects.h"
#include "record/record.h"

#define DATA_PAGES  64        /* 256 KiB a CPU: ~1,700 mapping records */
#define TRIG_PAGES  1
#define FLUSH_ENTRIES 1024    /* an MMAPS section at most this big ... */
#define FLUSH_NS    1000000000ull /* ... or this old */
#define POLL_MS     1000

struct ring {
	int fd;                   /* the event whose ring this is */
	void *base;               /* header page + data pages */
	size_t data_size;
};

/* An event writing into another's ring: -p's other threads, the threads
 * of a process that joined, whose leave closes them. */
struct extra {
	int fd;
	pid_t pid;                /* the process it is of */
};

/* A maps snapshot of PID, queued by the main thread for the names thread. */
struct note {
	pid_t pid;
	char *text;
};

struct mm_mapnames {
	unsigned nr_cpus;
	struct ring *data, *trig;       /* per CPU */
	pid_t ring_pid;                 /* the process whose first task they are */
	struct extra *extra;            /* other tasks' events (m->mu) */
	size_t nr_extra, cap_extra;
	struct mm_out *o;
	struct mm_objfiles *objs;       /* the ELF objects (objfiles.c) */
	pthread_t thread;
	bool running;
	int stop_fd, wake_fd;
	atomic_bool failed;
	char err[1024];

	pthread_mutex_t mu;             /* notes from the main thread */
	struct note *notes;
	size_t nr_notes, cap_notes;

	/* the thread's own */
	struct mm_mapent *batch;
	size_t nr_batch, cap_batch;
	uint64_t batch_since;
	unsigned char *copy;            /* a record that wraps the ring */
	struct mm_mapnames_stats st;
};

static int perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	return (int)syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static void attr_for(struct perf_event_attr *a, bool data)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_DUMMY;
	a->mmap2 = 1;
	a->inherit = 1;
	a->exclude_kernel = 1;
	a->exclude_hv = 1;
	if (data) {
		a->mmap_data = 1;
		a->sample_id_all = 1;
		a->sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
		a->watermark = 1;
		a->wakeup_watermark = DATA_PAGES * 4096 / 4;
	} else {
		a->wakeup_events = 1;
	}
}

static int map_ring(struct ring *r, unsigned pages)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);

	r->data_size = pages * ps;
	r->base = mmap(NULL, (pages + 1) * ps, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		return -1;
	}
	return 0;
}

/* The events of TID (of process PID) on every CPU: the first task's own
 * rings, others' redirected into them. */
static int open_task(struct mm_mapnames *m, pid_t pid, pid_t tid, bool first)
{
	struct perf_event_attr a;

	for (unsigned c = 0; c < m->nr_cpus; c++) {
		for (int k = 0; k < 2; k++) {
			struct ring *r = k ? &m->trig[c] : &m->data[c];
			int fd;

			attr_for(&a, !k);
			fd = perf_open(&a, tid, (int)c);
			if (fd < 0)
				return -1;
			if (first) {
				m->ring_pid = pid;
				r->fd = fd;
				if (map_ring(r, k ? TRIG_PAGES : DATA_PAGES) < 0)
					return -1;
				continue;
			}
			pthread_mutex_lock(&m->mu);
			MM_GROW(m->extra, m->nr_extra, m->cap_extra, 16);
			m->extra[m->nr_extra++] = (struct extra){ .fd = fd, .pid = pid };
			pthread_mutex_unlock(&m->mu);
			if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) < 0)
				return -1;
		}
	}
	return 0;
}

/* Every thread of PID (PID itself if it has none listed). */
static int open_threads(struct mm_mapnames *m, pid_t pid, bool *first)
{
	size_t n;
	pid_t *t = mm_proc_threads(pid, &n);
	int ret = 0;

	for (size_t i = 0; !ret && i < n; i++) {
		ret = open_task(m, pid, t[i], *first);
		*first = false;
	}
	free(t);
	return ret;
}

struct mm_mapnames *mm_mapnames_open(const pid_t *pids, size_t n, bool threads,
				     unsigned nr_cpus)
{
	struct mm_mapnames *m = mm_calloc(1, sizeof(*m));
	bool first = true;
	int ret = 0;

	m->nr_cpus = nr_cpus;
	m->data = mm_calloc(nr_cpus, sizeof(*m->data));
	m->trig = mm_calloc(nr_cpus, sizeof(*m->trig));
	for (unsigned c = 0; c < nr_cpus; c++)
		m->data[c].fd = m->trig[c].fd = -1;
	m->stop_fd = eventfd(0, EFD_CLOEXEC);
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&m->mu, NULL);
	if (m->stop_fd < 0 || m->wake_fd < 0) {
		mm_error_errno("eventfd failed");
		mm_mapnames_free(m);
		return NULL;
	}
	for (size_t i = 0; !ret && i < n; i++) {
		if (threads) {
			ret = open_threads(m, pids[i], &first);
		} else {
			ret = open_task(m, pids[i], pids[i], first);
			first = false;
		}
	}
	if (ret < 0) {
		mm_error_errno("cannot open the kernel's mapping records (perf_event_open)");
		mm_mapnames_free(m);
		return NULL;
	}
	return m;
}

/* The rings' owner (the process of their first task) switches its events
 * on or off: every one of its threads' and those inherited by its threads
 * and children (an ioctl applies to an event's copies too).  False, and
 * nothing done, for any other process. */
static bool switch_owner(struct mm_mapnames *m, pid_t pid, bool on)
{
	unsigned long req = on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE;

	if (pid != m->ring_pid)
		return false;
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		ioctl(m->data[c].fd, req, 0);
		ioctl(m->trig[c].fd, req, 0);
	}
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->nr_extra; i++)
		if (m->extra[i].pid == pid)
			ioctl(m->extra[i].fd, req, 0);
	pthread_mutex_unlock(&m->mu);
	return true;
}

/* A process joins: its threads' events go into the rings the first
 * task's opened (a recording always has one), as -p's other threads do;
 * the names thread reads them with the others.  The events are inherited
 * by what it forks from then on, as the pid filter's event-fork follows
 * its children.  The process that owns the rings had its events only
 * switched off when it left: they are switched on again (opening its
 * threads' anew would record each of their mappings twice). */
int mm_mapnames_join(struct mm_mapnames *m, pid_t pid)
{
	bool first = false;

	if (switch_owner(m, pid, true))
		return 0;
	if (open_threads(m, pid, &first) < 0) {
		mm_error_errno("cannot open the kernel's mapping records of process %d "
			       "(perf_event_open)", (int)pid);
		mm_mapnames_leave(m, pid);       /* none half open */
		return -1;
	}
	return 0;
}

/* Closing an event ends its inherited copies too: the process's children
 * stop with it, as they leave the pid filter with it.  The rings' owner
 * keeps its events, switched off: the rings go with them. */
void mm_mapnames_leave(struct mm_mapnames *m, pid_t pid)
{
	size_t k = 0;

	if (switch_owner(m, pid, false))
		return;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->nr_extra; i++) {
		if (m->extra[i].pid == pid)
			close(m->extra[i].fd);
		else
			m->extra[k++] = m->extra[i];
	}
	m->nr_extra = k;
	pthread_mutex_unlock(&m->mu);
}

bool mm_mapnames_available(void)
{
	struct perf_event_attr a;
	int fd;

	attr_for(&a, true);
	fd = perf_open(&a, 0, -1);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* ---- the thread ---- */

static void add_entry(struct mm_mapnames *m, const struct mm_mapent *e)
{
	if (!m->nr_batch)
		m->batch_since = mm_mono_ns();
	MM_GROW(m->batch, m->nr_batch, m->cap_batch, 64);
	m->batch[m->nr_batch] = *e;
	m->batch[m->nr_batch++].path = mm_strdup(e->path ? e->path : "");
}

/* objfiles.c's FILE entries go into the same batches */
static void add_file_entry(void *ctx, const struct mm_mapent *e)
{
	add_entry(ctx, e);
}

static int flush_batch(struct mm_mapnames *m)
{
	int ret;

	if (!m->nr_batch)
		return 0;
	pthread_mutex_lock(&m->o->lock);
	ret = mm_writer_mapents(m->o->w, m->batch, m->nr_batch);
	pthread_mutex_unlock(&m->o->lock);
	for (size_t i = 0; i < m->nr_batch; i++)
		free((void *)m->batch[i].path);
	m->nr_batch = 0;
	return ret;
}

/* One MMAP2 record (after its header): a file mapping is kept. */
static void on_mmap2(struct mm_mapnames *m, const unsigned char *p, size_t len)
{
	struct {
		uint32_t pid, tid;
		uint64_t addr, len, pgoff;
		uint32_t maj, min;
		uint64_t ino, ino_generation;
		uint32_t prot, flags;
	} __attribute__((packed)) r;
	const char *name;
	size_t nlen, tail = 4 + 4 + 8;          /* sample_id_all: pid, tid, time */
	uint64_t ts;

	if (len < sizeof(r) + tail + 1)
		return;
	memcpy(&r, p, sizeof(r));
	name = (const char *)p + sizeof(r);
	nlen = strnlen(name, len - sizeof(r) - tail);
	if (nlen == len - sizeof(r) - tail || name[0] != '/' || name[1] == '/')
		return;                          /* unterminated, or "//anon" */
	memcpy(&ts, p + len - 8, 8);
	m->st.mappings++;
	add_entry(m, &(struct mm_mapent){
		.kind = MM_MAPENT_MAP, .pid = r.pid, .tid = r.tid, .prot = r.prot,
		.flags = r.flags, .maj = r.maj, .min = r.min, .ts = ts, .addr = r.addr,
		.len = r.len, .pgoff = r.pgoff, .ino = r.ino, .ino_generation = r.ino_generation,
		.path = name,
	});
	if (r.prot & PROT_EXEC)
		mm_objfiles_want(m->objs, (pid_t)r.pid, r.addr, r.addr + r.len, r.maj, r.min,
				 r.ino, name);
}

/* Read what ring R holds; TRIG rings hold nothing we keep. */
static void read_ring(struct mm_mapnames *m, struct ring *r, bool keep)
{
	struct perf_event_mmap_page *pg = r->base;
	unsigned char *data;
	uint64_t head, tail;

	if (!pg)
		return;
	data = (unsigned char *)r->base + pg->data_offset;
	head = __atomic_load_n(&pg->data_head, __ATOMIC_ACQUIRE);
	tail = pg->data_tail;
	while (keep && head - tail >= sizeof(struct perf_event_header)) {
		struct perf_event_header h;
		size_t off = tail % r->data_size, first;
		const unsigned char *rec;

		memcpy(&h, data + off, sizeof(h));   /* 8 bytes: never split */
		if (h.size < sizeof(h) || h.size > head - tail)
			break;
		first = r->data_size - off;
		if (first >= h.size) {
			rec = data + off;
		} else {                             /* wraps: make it whole */
			if (!m->copy)
				m->copy = mm_malloc(65536);
			memcpy(m->copy, data + off, first);
			memcpy(m->copy + first, data, h.size - first);
			rec = m->copy;
		}
		if (h.type == PERF_RECORD_MMAP2)
			on_mmap2(m, rec + sizeof(h), h.size - sizeof(h));
		else if (h.type == PERF_RECORD_LOST && h.size >= sizeof(h) + 16) {
			uint64_t lost;
			memcpy(&lost, rec + sizeof(h) + 8, 8);
			m->st.lost += lost;
			add_entry(m, &(struct mm_mapent){ .kind = MM_MAPENT_LOST, .len = lost });
		}
		tail += h.size;
	}
	__atomic_store_n(&pg->data_tail, keep ? tail : head, __ATOMIC_RELEASE);
}

static void take_notes(struct mm_mapnames *m)
{
	struct note *v;
	size_t n;

	pthread_mutex_lock(&m->mu);
	v = m->notes;
	n = m->nr_notes;
	m->notes = NULL;
	m->nr_notes = m->cap_notes = 0;
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < n; i++) {
		mm_objfiles_want_maps(m->objs, v[i].pid, v[i].text);
		free(v[i].text);
	}
	free(v);
}

/* Everything that came in: records, notes, the files they name. */
static int work(struct mm_mapnames *m, bool last)
{
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		read_ring(m, &m->data[c], true);
		read_ring(m, &m->trig[c], false);
	}
	take_notes(m);
	if (mm_objfiles_read(m->objs, m->o, add_file_entry, m, &m->st) < 0)
		return -1;
	if (last || m->nr_batch >= FLUSH_ENTRIES ||
	    (m->nr_batch && mm_mono_ns() - m->batch_since >= FLUSH_NS))
		return flush_batch(m);
	return 0;
}

static void *thread_main(void *arg)
{
	struct mm_mapnames *m = arg;
	size_t n = 2 * m->nr_cpus + 2;
	struct pollfd *pfd = mm_calloc(n, sizeof(*pfd));
	int ret = 0;

	for (unsigned c = 0; c < m->nr_cpus; c++) {
		pfd[2 * c] = (struct pollfd){ .fd = m->data[c].fd, .events = POLLIN };
		pfd[2 * c + 1] = (struct pollfd){ .fd = m->trig[c].fd, .events = POLLIN };
	}
	pfd[n - 2] = (struct pollfd){ .fd = m->wake_fd, .events = POLLIN };
	pfd[n - 1] = (struct pollfd){ .fd = m->stop_fd, .events = POLLIN };
	while (!ret) {
		int r = poll(pfd, n, POLL_MS);
		uint64_t v;

		if (r < 0 && errno != EINTR) {
			ret = mm_error_errno("poll failed");
			break;
		}
		if (pfd[n - 2].revents && read(m->wake_fd, &v, sizeof(v)) < 0)
			continue;
		if (pfd[n - 1].revents)
			break;
		ret = work(m, false);
	}
	if (!ret)
		ret = work(m, true);
	if (ret < 0) {
		snprintf(m->err, sizeof(m->err), "%s", mm_error_msg());
		atomic_store(&m->failed, true);
	}
	free(pfd);
	return NULL;
}

int mm_mapnames_start(struct mm_mapnames *m, struct mm_out *o, const char *debug_dir)
{
	m->o = o;
	m->objs = mm_objfiles_new(debug_dir);
	errno = pthread_create(&m->thread, NULL, thread_main, m);
	if (errno)
		return mm_error_errno("cannot start the mapping-names thread");
	m->running = true;
	return 0;
}

void mm_mapnames_note_maps(struct mm_mapnames *m, pid_t pid, const char *text, size_t len)
{
	uint64_t one = 1;
	char *copy;

	if (!m)
		return;                  /* queued before the thread starts too */
	copy = mm_malloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&m->mu);
	MM_GROW(m->notes, m->nr_notes, m->cap_notes, 8);
	m->notes[m->nr_notes++] = (struct note){ .pid = pid, .text = copy };
	pthread_mutex_unlock(&m->mu);
	if (write(m->wake_fd, &one, sizeof(one)) < 0)
		return;                  /* the next wake-up takes it */
}

int mm_mapnames_stop(struct mm_mapnames *m, struct mm_mapnames_stats *st)
{
	uint64_t one = 1;

	if (!m->running)
		return 0;
	if (write(m->stop_fd, &one, sizeof(one)) != sizeof(one))
		return mm_error_errno("cannot stop the mapping-names thread");
	pthread_join(m->thread, NULL);
	m->running = false;
	if (st)
		*st = m->st;
	if (atomic_load(&m->failed))
		return mm_error("%s", m->err);
	return 0;
}

void mm_mapnames_free(struct mm_mapnames *m)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t one = 1;

	if (!m)
		return;
	if (m->running && write(m->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(m->thread, NULL);
	for (size_t i = 0; i < m->nr_extra; i++)
		close(m->extra[i].fd);
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		struct ring *rs[2] = { &m->data[c], &m->trig[c] };
		for (int k = 0; k < 2; k++) {
			if (rs[k]->base)
				munmap(rs[k]->base, rs[k]->data_size + ps);
			if (rs[k]->fd >= 0)
				close(rs[k]->fd);
		}
	}
	for (size_t i = 0; i < m->nr_notes; i++)
		free(m->notes[i].text);
	mm_objfiles_free(m->objs);
	for (size_t i = 0; i < m->nr_batch; i++)
		free((void *)m->batch[i].path);
	if (m->stop_fd >= 0)
		close(m->stop_fd);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	pthread_mutex_destroy(&m->mu);
	free(m->notes);
	free(m->batch);
	free(m->copy);
	free(m->extra);
	free(m->data);
	free(m->trig);
	free(m);
}
