/*
 * record/uprobes.c - record --malloc without the interposer: uprobes on
 * the allocator a running process (-p) or a static program really maps,
 * whose perf events are opened with perf_event_open for that process's
 * threads only, so that no other process traps: a uprobe is armed in the
 * memory of the processes its consumers ask for (the int3 is written into
 * their copy of the page alone), every process that maps the file only
 * when it is enabled through tracefs, which memmon never does.
 *
 * The probes are defined in record's own group (memmon_PID, as the kprobe
 * classifier's), on the file as /proc/PID/map_files names it (the inode
 * the process maps, whatever became of its path), and removed with their
 * events; a killed record's are stale and removed by the next one
 * (stale.c).  Why not the uprobe PMU (perf_event_open type "uprobe", the
 * path in config1): an inherited event of that PMU reads its path again
 * from the memory of the task that forks, where record's pointer means
 * nothing: every fork and thread creation of the process fails (EFAULT).
 *
 * Per thread of the process: a "carrier" (a dummy software event on that
 * thread, not inherited, whose ring buffer we map: the kernel maps no
 * inherited per-task event), and per function an entry uprobe and, for
 * the functions that return a block, a uretprobe, all inherited (the
 * threads and processes the thread makes later get them too) and writing
 * into the carrier's buffer.  The probes fetch what a record needs (the
 * entry: rdi, rsi, rdx and the return address at the stack pointer; the
 * return: the result) into their raw record, which each sample carries:
 * half the cost of sampling the user registers and stack instead (~3 us
 * a hit against ~5.5 here).  The first entry event also asks for task and
 * comm records: a fork, an exec or an exit of any task that inherited it.
 * uprobe-calls.c turns the samples into records.
 *
 * Times: the events' clock is CLOCK_MONOTONIC, which is the tracefs
 * instance's "mono" trace clock: records and kernel events share a time
 * line without conversion.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <tracefs.h>

#include "memmon.h"
#include "format/heapops.h"
#include "format/heapcodec.h"
#include "record/record.h"
#include "record/uprobes-int.h"

/* The functions probed: name, op, and which arguments mean what. */
const struct mm_probe_fn mm_probe_fns[MM_PROBE_FNS] = {
	{ "malloc", MM_OP_MALLOC, SH_SIZE },
	{ "free", MM_OP_FREE, SH_FREE },
	{ "calloc", MM_OP_CALLOC, SH_CALLOC },
	{ "realloc", MM_OP_REALLOC, SH_REALLOC },
	{ "reallocarray", MM_OP_REALLOCARRAY, SH_REALLOCARRAY },
	{ "memalign", MM_OP_MEMALIGN, SH_ALIGN },
	{ "aligned_alloc", MM_OP_ALIGNED_ALLOC, SH_ALIGN },
	{ "posix_memalign", MM_OP_POSIX_MEMALIGN, SH_POSIX },
	{ "valloc", MM_OP_VALLOC, SH_SIZE },
	{ "pvalloc", MM_OP_PVALLOC, SH_SIZE },
};

static int perf_open(struct perf_event_attr *a, pid_t pid, int group)
{
	return (int)syscall(SYS_perf_event_open, a, pid, -1, group, PERF_FLAG_FD_CLOEXEC);
}

bool mm_uprobes_available(void)
{
	return mm_probes_uprobes_available();
}

/* ---- the file the process maps ---- */

/* The mapping of PID whose file defines malloc: its /proc/PID/map_files
 * path into MF, its name into LIB.  The program itself first (a static
 * program's own malloc), then each library. */
static int find_allocator(struct mm_uprobes *u, char *mf, size_t mflen)
{
	char path[64], line[PATH_MAX + 128], last[PATH_MAX] = "";
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)u->pid);
	if (!(f = fopen(path, "r")))
		return mm_error_errno("cannot read %s", path);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off;
		char perms[8], name[PATH_MAX];
		struct mm_elf_func want[MM_PROBE_FNS];
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %4095[^\n]", &lo, &hi, perms, &off, name) != 5 ||
		    name[0] != '/' || !strcmp(name, last))
			continue;
		snprintf(last, sizeof(last), "%s", name);
		snprintf(mf, mflen, "/proc/%d/map_files/%lx-%lx", (int)u->pid, lo, hi);
		for (size_t i = 0; i < MM_PROBE_FNS; i++)
			want[i].name = mm_probe_fns[i].name;
		if (mm_elf_func_offsets(mf, want, MM_PROBE_FNS) < 0)
			continue;       /* not an ELF file: a data file mapped */
		if (!want[0].off || !want[1].off)
			continue;       /* no malloc and free here */
		for (size_t i = 0; i < MM_PROBE_FNS; i++)
			u->off[i] = want[i].off;
		snprintf(u->lib, sizeof(u->lib), "%s", name);
		found = 1;
	}
	fclose(f);
	if (!found)
		return mm_error("pid %d maps no file that defines malloc and free", (int)u->pid);
	return 0;
}

/* ---- the probes ---- */

/* The probe of function I (RET: its return) in this recording: its event
 * name into NAME. */
static void probe_name(const struct mm_uprobes *u, size_t i, bool ret, char *name, size_t len)
{
	snprintf(name, len, "%s_%s_%d", mm_probe_fns[i].name, ret ? "r" : "e", (int)u->pid);
}

/* The offset of field NAME in the event format FMT, or -1. */
static int field_offset(const char *fmt, const char *name)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), " %s;", name);
	if (!(p = strstr(fmt, want)) || !(p = strstr(p, "offset:")))
		return -1;
	return atoi(p + 7);
}

/* Its event id and where its fields lie in its raw record. */
static int read_format(struct mm_uprobes *u, const char *name, bool ret, uint64_t *id)
{
	char path[PATH_MAX], *text;
	int ok = 1;

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", mm_tracing_dir(), u->group, name);
	if (!(text = mm_read_file(path, NULL)))
		return -1;
	const char *idl = strstr(text, "\nID: ");
	*id = idl ? strtoull(idl + 5, NULL, 10) : 0;
	if (ret) {
		ok = (u->f_ret = field_offset(text, "ret")) >= 0;
		u->f_site_ret = field_offset(text, "__probe_ret_ip");
		ok &= u->f_site_ret >= 0;
	} else {
		static const char *const args[4] = { "a0", "a1", "a2", "ra" };
		for (int k = 0; k < 4; k++)
			ok &= (u->f_arg[k] = field_offset(text, args[k])) >= 0;
	}
	free(text);
	if (!*id || !ok)
		return mm_error("%s: not the fields memmon defined", path);
	return 0;
}

/* Define it on MF (uprobe_events) and read its event id. */
static int define_probe(struct mm_uprobes *u, size_t i, bool ret, const char *mf, uint64_t *id)
{
	char name[64], line[512];

	probe_name(u, i, ret, name, sizeof(name));
	/* what the record needs, fetched by the kernel at the hit */
	snprintf(line, sizeof(line), "%c:%s/%s %s:%#llx %s", ret ? 'r' : 'p', u->group, name, mf,
		 (unsigned long long)u->off[i],
		 ret ? "ret=$retval:u64" : "a0=%di:u64 a1=%si:u64 a2=%dx:u64 ra=+0(%sp):u64");
	if (tracefs_instance_file_append(NULL, "uprobe_events", line) < 0)
		return mm_error_errno("cannot define a uprobe on %s in %s (offset %#llx)",
				      mm_probe_fns[i].name, u->lib, (unsigned long long)u->off[i]);
	MM_GROW(u->defined, u->nr_defined, u->cap_defined, 16);
	u->defined[u->nr_defined++] = (uint16_t)(i << 1 | ret);
	return read_format(u, name, ret, id);
}

/* Every probe, on the functions MF defines (two names at one address,
 * glibc 2.36's aligned_alloc and memalign: one probe, the first name's). */
static int define_probes(struct mm_uprobes *u, const char *mf)
{
	for (size_t i = 0; i < MM_PROBE_FNS; i++) {
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup |= u->off[k] && u->off[k] == u->off[i];
		if (!u->off[i] || dup)
			continue;
		for (int ret = 0; ret < 2; ret++) {
			if (ret && mm_probe_fns[i].shape == SH_FREE)
				continue;
			if (define_probe(u, i, ret, mf, &u->tp[i][ret]) < 0)
				return -1;
		}
	}
	return 0;
}

static void undefine_probes(struct mm_uprobes *u)
{
	for (size_t k = 0; k < u->nr_defined; k++) {
		char name[64], line[160];
		probe_name(u, u->defined[k] >> 1, u->defined[k] & 1, name, sizeof(name));
		snprintf(line, sizeof(line), "-:%s/%s", u->group, name);
		tracefs_instance_file_append(NULL, "uprobe_events", line);
	}
	u->nr_defined = 0;
}

/* ---- events ---- */

static int add_fd(struct mm_uprobes *u, int fd, uint8_t fn, bool ret)
{
	uint64_t id;

	MM_GROW(u->fds, u->nr_fds, u->cap_fds, 64);
	u->fds[u->nr_fds++] = fd;
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id) < 0)
		return mm_error_errno("cannot read a uprobe's id");
	MM_GROW(u->ids, u->nr_ids, u->cap_ids, 64);
	u->ids[u->nr_ids++] = (struct ev_id){ id, fn, ret };
	return 0;
}

/* The carrier and the probes of thread TID. */
static int attach_thread(struct mm_uprobes *u, pid_t tid)
{
	struct perf_event_attr a = {
		.size = sizeof(a), .type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_DUMMY,
		.use_clockid = 1, .clockid = CLOCK_MONOTONIC,
		.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
	};
	struct carrier c = { .tid = tid };
	bool first = true;

	if ((c.fd = perf_open(&a, tid, -1)) < 0) {
		if (errno == ESRCH)
			return 0;                /* gone meanwhile */
		return mm_error_errno("perf_event_open for thread %d", (int)tid);
	}
	c.size = (size_t)BUF_PAGES * 4096;
	c.page = mmap(NULL, c.size + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0);
	if (c.page == MAP_FAILED) {
		close(c.fd);
		return mm_error_errno("cannot map a uprobe buffer (%zu KiB; raise "
				      "/proc/sys/kernel/perf_event_mlock_kb?)", c.size >> 10);
	}
	MM_GROW(u->c, u->nr_c, u->cap_c, 16);
	u->c[u->nr_c++] = c;
	for (size_t i = 0; i < MM_PROBE_FNS; i++) {
		for (int ret = 0; ret < 2; ret++) {
			if (!u->tp[i][ret])
				continue;
			struct perf_event_attr p = {
				.size = sizeof(p), .type = PERF_TYPE_TRACEPOINT, .config = u->tp[i][ret],
				.sample_period = 1, .inherit = 1, .use_clockid = 1,
				.clockid = CLOCK_MONOTONIC,
				.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID |
					       PERF_SAMPLE_TIME | PERF_SAMPLE_RAW,
			};
			if (first) {
				/* forks, execs and exits of the tasks that inherit it */
				p.task = 1;
				p.comm = 1;
				p.comm_exec = 1;
				p.sample_id_all = 1;
				first = false;
			}
			int fd = perf_open(&p, tid, -1);
			if (fd < 0) {
				if (errno == ESRCH)
					return 0;
				return mm_error_errno("cannot open the uprobe on %s in %s for thread %d",
						      mm_probe_fns[i].name, u->lib, (int)tid);
			}
			if (add_fd(u, fd, (uint8_t)i, ret) < 0)
				return -1;
			if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, c.fd) < 0)
				return mm_error_errno("cannot send a uprobe's samples to its buffer");
		}
	}
	return 0;
}

static bool has_carrier(const struct mm_uprobes *u, pid_t tid)
{
	for (size_t i = 0; i < u->nr_c; i++)
		if (u->c[i].tid == tid)
			return true;
	return false;
}

/* Every thread of the process, until a pass finds none new (a thread
 * made meanwhile by one not yet attached). */
static int attach_threads(struct mm_uprobes *u)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)u->pid);
	for (int pass = 0; pass < 8; pass++) {
		DIR *d = opendir(path);
		struct dirent *e;
		bool added = false;

		if (!d)
			return mm_error_errno("cannot list the threads of pid %d", (int)u->pid);
		while ((e = readdir(d))) {
			pid_t tid = (pid_t)atoi(e->d_name);
			if (tid <= 0 || has_carrier(u, tid))
				continue;
			if (u->nr_c >= MAX_THREADS) {
				closedir(d);
				return mm_error("pid %d has more than %d threads: --malloc with -p "
						"records at most %d", (int)u->pid, MAX_THREADS, MAX_THREADS);
			}
			if (attach_thread(u, tid) < 0) {
				closedir(d);
				return -1;
			}
			added = true;
		}
		closedir(d);
		if (!added)
			return 0;
	}
	return 0;
}

struct mm_uprobes *mm_uprobes_open(pid_t pid, const char *group)
{
	struct mm_uprobes *u = mm_calloc(1, sizeof(*u));
	char mf[96];

	u->pid = pid;
	snprintf(u->group, sizeof(u->group), "%s", group);
	u->thr_mask = 255;
	u->thr = mm_calloc(u->thr_mask + 1, sizeof(*u->thr));
	if (find_allocator(u, mf, sizeof(mf)) < 0 || define_probes(u, mf) < 0 ||
	    attach_threads(u) < 0)
		goto fail;
	u->attach_ts = mm_mono_ns();
	return u;
fail:
	mm_uprobes_close(u);
	return NULL;
}

const char *mm_uprobes_file(const struct mm_uprobes *u)
{
	return u->lib;
}

void mm_uprobes_close(struct mm_uprobes *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nr_fds; i++)
		close(u->fds[i]);
	for (size_t i = 0; i < u->nr_c; i++) {
		munmap(u->c[i].page, u->c[i].size + 4096);
		close(u->c[i].fd);
	}
	undefine_probes(u);          /* their last events are closed */
	free(u->defined);
	free(u->fds);
	free(u->ids);
	free(u->c);
	free(u->thr);
	free(u->procs);
	free(u);
}

const struct mm_uprobes_totals *mm_uprobes_totals(const struct mm_uprobes *u)
{
	return &u->tot;
}
