/*
 * format/tracecmd.c - a trace.dat written by `trace-cmd record`, read
 * through libtracecmd, handed to report as if it were a memmon file: the
 * same tep handle the decoder binds to, the same records in time order
 * (reader.h).  A user who had only trace-cmd on the production box still
 * gets memmon's analyses of the same events.
 *
 * libtracecmd is the well-kept reader of trace-cmd's format (versions 6
 * and 7, its sections, compression, buffer instances); memmon does not
 * write its own.  It was not written for hostile files, so what memmon
 * can check cheaply it checks before libtracecmd sees the file
 * (tracecmd-check.c), and what it gets back is checked again here.
 *
 * libtracecmd opens the file (its headers, formats, options, the first
 * page of each CPU); the ring pages after those memmon reads itself
 * (tracecmd-ring.c): libtracecmd 3.1.6 keeps every compressed chunk it
 * decompresses until the file is closed (its free_zpage never finds the
 * chunk of a page) and looks each page's chunk up in a list of all of
 * them, so reading through it costs memory that grows with the file and
 * time that grows with its square.
 *
 * What such a file cannot have is made explicit, not guessed: a MACHINE
 * text is built from what trace-cmd saved (uname, byte order, sizes,
 * clock) with the keys that only memmon record knows left out, and
 * mm_file_lacks() says in words what the report goes without.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <trace-cmd.h>

#include "memmon.h"
#include "file.h"
#include "tracecmd.h"
#include "tracecmd-walk.h"

/* Getters libtracecmd.so.1 exports and declares in its private header,
 * which Debian's libtracecmd-dev does not ship; the same signatures from
 * trace-cmd 3.0 to 3.4. */
int tracecmd_cpus(struct tracecmd_input *handle);
int tracecmd_page_size(struct tracecmd_input *handle);
int tracecmd_long_size(struct tracecmd_input *handle);
const char *tracecmd_get_uname(struct tracecmd_input *handle);
const char *tracecmd_get_cpustats(struct tracecmd_input *handle);
const char *tracecmd_get_trace_clock(struct tracecmd_input *handle);
unsigned long tracecmd_get_in_file_version(struct tracecmd_input *handle);

/* LeakSanitizer's switch (defined only in sanitized builds): libtracecmd
 * 3.1.6 leaks its trace clock's name once per open of a format 6 file
 * (the TRACECLOCK option parsed, then the flyrecord's clock over it), a
 * few bytes memmon cannot reach to free; the opens run with leak
 * reporting off, so check-asan and the fuzzer report memmon's leaks. */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

static void lsan(bool on)
{
	if (on && __lsan_enable)
		__lsan_enable();
	else if (!on && __lsan_disable)
		__lsan_disable();
}

struct mm_tracecmd {
	struct tracecmd_input *top;
	struct tracecmd_input *bufs[MM_TC_MAX_BUFFERS + 1];  /* the top one, the instances */
	size_t nr_bufs;
	char *lacks;
	struct mm_tc_layout lay;     /* the ring data, for tracecmd-ring.c */
};

static int tc_error(const struct mm_file *f, const char *why)
{
	return mm_error("'%s': not a trace-cmd file memmon can read (%s)", f->path, why);
}

/* "Linux HOST RELEASE VERSION... ARCH" as trace-cmd saves uname. */
static void add_uname(FILE *m, const char *u)
{
	char tmp[512], *tok[3], *save = NULL, *rest, *arch;

	if (!u || !*u)
		return;
	snprintf(tmp, sizeof(tmp), "%s", u);
	for (char *c = tmp; *c; c++)
		if (*c == '\n' || *c == '=' || (unsigned char)*c < ' ')
			*c = ' ';
	tok[0] = strtok_r(tmp, " ", &save);
	tok[1] = tok[0] ? strtok_r(NULL, " ", &save) : NULL;
	tok[2] = tok[1] ? strtok_r(NULL, " ", &save) : NULL;
	if (!tok[2])
		return;
	fprintf(m, "%s=%s\n%s=%s\n%s=%s\n", MM_KEY_SYSNAME, tok[0], MM_KEY_HOSTNAME, tok[1],
		MM_KEY_RELEASE, tok[2]);
	/* then "VERSION... ARCH" (uname -v, -m), or ARCH alone as trace-cmd
	 * 3.1 writes it */
	rest = save;
	while (rest && *rest == ' ')
		rest++;
	if (!rest || !*rest)
		return;
	arch = strrchr(rest, ' ');
	if (!arch) {
		fprintf(m, "%s=%s\n", MM_KEY_ARCH, rest);
		return;
	}
	*arch++ = '\0';
	if (*arch)
		fprintf(m, "%s=%s\n%s=%s\n", MM_KEY_KVERSION, rest, MM_KEY_ARCH, arch);
}

static int build_machine(struct mm_file *f, struct mm_tracecmd *tc)
{
	struct tep_handle *tep = tracecmd_get_tep(tc->top);
	const char *clock = tracecmd_get_trace_clock(tc->top);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int cpus = 0;

	if (!m)
		return mm_error_errno("cannot build the machine text of '%s'", f->path);
	for (size_t i = 0; i < tc->nr_bufs; i++)
		if (tracecmd_cpus(tc->bufs[i]) > cpus)
			cpus = tracecmd_cpus(tc->bufs[i]);
	f->big_endian = tep_is_file_bigendian(tep);
	f->long_size = tracecmd_long_size(tc->top);
	f->page_size = tracecmd_page_size(tc->top);     /* tep's is not set */
	f->nr_cpus = cpus;
	f->sum.nr_cpus = cpus;
	add_uname(m, tracecmd_get_uname(tc->top));
	fprintf(m, "%s=%s\n%s=%d\n%s=%u\n%s=%d\n", MM_KEY_ENDIAN, f->big_endian ? "big" : "little",
		MM_KEY_LONG_SIZE, f->long_size, MM_KEY_PAGE_SIZE, f->page_size, MM_KEY_NR_CPUS, cpus);
	if (clock && *clock && !strpbrk(clock, "=\n"))
		fprintf(m, "%s=%s\n", MM_KEY_CLOCK, clock);
	f->sum.tracecmd = (unsigned)tracecmd_get_in_file_version(tc->top);
	fprintf(m, "%s=%u\n", MM_KEY_TRACECMD, f->sum.tracecmd);
	if (fclose(m))
		return mm_error_errno("cannot build the machine text of '%s'", f->path);
	f->machine_text = buf;
	mm_file_split_machine(f);
	return 0;
}

/* per-CPU stats as trace-cmd saves them ("CPU: 0\nentries: 0\noverrun:
 * 0\n...dropped events: 0\n"), for every buffer in turn: the lost events. */
static void parse_stats(struct mm_file *f, const char *text)
{
	struct mm_cpu_stats *cur = NULL;

	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long v;
		if (sscanf(line, "CPU: %llu", &v) == 1) {
			if (f->nr_stats >= MM_MAX_CPUS * 4)
				break;
			f->stats = mm_realloc(f->stats, (f->nr_stats + 1) * sizeof(*f->stats));
			cur = &f->stats[f->nr_stats++];
			memset(cur, 0, sizeof(*cur));
			cur->cpu = (uint32_t)v;
		} else if (!cur) {
			continue;
		} else if (sscanf(line, "entries: %llu", &v) == 1) {
			cur->entries = v;
		} else if (sscanf(line, "overrun: %llu", &v) == 1) {
			cur->overrun = v;
		} else if (sscanf(line, "commit overrun: %llu", &v) == 1) {
			cur->commit_overrun = v;
		} else if (sscanf(line, "bytes: %llu", &v) == 1) {
			cur->bytes = v;
		} else if (sscanf(line, "dropped events: %llu", &v) == 1) {
			cur->dropped_events = v;
		} else if (sscanf(line, "read events: %llu", &v) == 1) {
			cur->read_events = v;
		}
	}
	f->sum.has_stats = f->nr_stats > 0;
}

static void say_lacks(struct mm_tracecmd *tc)
{
	char *s = NULL;

	if (asprintf(&s, "trace-cmd (format %lu, %zu buffer%s): no snapshots, so each "
		     "process's map starts empty at its first event (what its exec or "
		     "anything before tracing mapped is unknown and faults there fall outside "
		     "every region; file mappings are named by fd, not path; no smaps, VmRSS "
		     "or system memory at start and end); no record command or pids (every "
		     "process in it is shown); no malloc records",
		     tracecmd_get_in_file_version(tc->top), tc->nr_bufs,
		     tc->nr_bufs == 1 ? "" : "s") < 0)
		s = NULL;
	tc->lacks = s;
}

/* Close a dup'ed fd libtracecmd may or may not have closed on failure. */
static void drop_fd(int fd)
{
	if (fcntl(fd, F_GETFD) >= 0)
		close(fd);
}

int mm_tracecmd_open(struct mm_file *f)
{
	struct mm_tracecmd *tc;
	int fd, n;

	tc = mm_calloc(1, sizeof(*tc));
	f->tc = tc;
	if (mm_tracecmd_check(f, &tc->lay) < 0)
		return -1;
	fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return mm_error_errno("cannot open '%s'", f->path);
	tracecmd_set_loglevel(TEP_LOG_NONE);
	lsan(false);
	tc->top = tracecmd_open_fd(fd, TRACECMD_FL_LOAD_NO_PLUGINS);
	lsan(true);
	if (!tc->top) {
		drop_fd(fd);
		return tc_error(f, "libtracecmd cannot open it");
	}
	tc->bufs[tc->nr_bufs++] = tc->top;
	n = tracecmd_buffer_instances(tc->top);
	/* the ring reader reads the buffers memmon's walk found: libtracecmd
	 * must have found the same */
	if (n < 0 || (uint32_t)n + 1 != tc->lay.nr_bufs)
		return tc_error(f, "libtracecmd finds other buffers than its options name");
	for (int i = 0; i < n; i++) {
		lsan(false);
		struct tracecmd_input *b = tracecmd_buffer_instance_handle(tc->top, i);
		lsan(true);
		if (!b)
			return tc_error(f, "libtracecmd cannot open one of its buffers");
		tc->bufs[tc->nr_bufs++] = b;
	}
	f->tep = tracecmd_get_tep(tc->top);
	if (!f->tep)
		return tc_error(f, "no event formats");
	if (build_machine(f, tc) < 0)
		return -1;
	if (f->long_size != 4 && f->long_size != 8)
		return tc_error(f, "bad long size");
	parse_stats(f, tracecmd_get_cpustats(tc->top));
	say_lacks(tc);
	return 0;
}

void mm_tracecmd_close(struct mm_file *f)
{
	struct mm_tracecmd *tc = f->tc;

	if (!tc)
		return;
	/* the instances hold a reference on the top handle: close them first */
	for (size_t i = tc->nr_bufs; i-- > 1;)
		tracecmd_close(tc->bufs[i]);
	if (tc->top)
		tracecmd_close(tc->top);
	free(tc->lacks);
	mm_tc_layout_free(&tc->lay);
	free(tc);
	f->tc = NULL;
	f->tep = NULL;           /* it was the top handle's */
}

const char *mm_tracecmd_lacks(const struct mm_file *f)
{
	return f->tc ? f->tc->lacks : NULL;
}

const struct mm_tc_layout *mm_tracecmd_layout(const struct mm_file *f)
{
	return f->tc ? &f->tc->lay : NULL;
}
