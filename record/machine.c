/*
 * record/machine.c - the self-description at the head of a trace file.
 *
 * A trace is decoded on another machine, perhaps of another byte order and
 * kernel, so before any ring data record stores what a decoder needs: the
 * MACHINE keys (format/layout.h MM_KEY_*), the ring's page header layout
 * (events/header_page) and the format text of every enabled event, exactly
 * as this kernel states them.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "memmon.h"
#include "format/heapcodec.h"
#include "record/record.h"

static int put_uname(struct mm_writer *w)
{
	struct utsname u;

	if (uname(&u) < 0)
		return mm_error_errno("uname failed");
	if (mm_writer_machine_set(w, MM_KEY_HOSTNAME, "%s", u.nodename) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_SYSNAME, "%s", u.sysname) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_RELEASE, "%s", u.release) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_KVERSION, "%s", u.version) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_ARCH, "%s", u.machine) < 0)
		return -1;
	return 0;
}

/* How long PID has run, in seconds (/proc/PID/stat's starttime against
 * the boot clock now); -1 when unknown. */
static double age_of(pid_t pid)
{
	char path[64], *text, *p;
	unsigned long long start = 0;
	struct timespec now;
	double age = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = mm_read_file(path, NULL);
	p = text ? strrchr(text, ')') : NULL;      /* the comm may hold ") " */
	/* after ") ": state is field 3, starttime field 22 */
	if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			"%*d %*d %*d %*d %llu", &start) == 1 &&
	    clock_gettime(CLOCK_BOOTTIME, &now) == 0 && sysconf(_SC_CLK_TCK) > 0)
		age = now.tv_sec + now.tv_nsec / 1e9 - (double)start / sysconf(_SC_CLK_TCK);
	free(text);
	return age < 0 ? 0 : age;
}

/* record -p: attached.PID = "AGE_S EXE" for each pid (layout.h). */
static int put_attached(struct mm_writer *w, const struct mm_machine_info *mi)
{
	for (size_t i = 0; i < mi->nr_attached; i++) {
		char path[64], exe[4096], key[48];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/exe", (int)mi->attached[i]);
		n = readlink(path, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		snprintf(key, sizeof(key), "%s%d", MM_KEY_ATTACHED_PREFIX, (int)mi->attached[i]);
		if (mm_writer_machine_set(w, key, "%.2f %s", age_of(mi->attached[i]), exe) < 0)
			return -1;
	}
	return 0;
}

static int put_machine(struct mm_writer *w, const struct mm_machine_info *mi)
{
	const char *endian = __BYTE_ORDER == __LITTLE_ENDIAN ? "little" : "big";

	if (put_uname(w) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_ENDIAN, "%s", endian) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "%zu", sizeof(long)) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_PAGE_SIZE, "%ld", sysconf(_SC_PAGESIZE)) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_SUBBUF_SIZE, "%zu", mi->subbuf_size) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_NR_CPUS, "%u", mi->nr_cpus) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_CLOCK, "%s", mi->clock) < 0 ||
	    (mi->tsc_hz && mm_writer_machine_set(w, MM_KEY_TSC_HZ, "%llu",
						 (unsigned long long)mi->tsc_hz) < 0) ||
	    mm_writer_machine_set(w, MM_KEY_COMMAND, "%s", mi->command) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_PIDS, "%s", mi->pids) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_START_TIME, "%lld", (long long)time(NULL)) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_START_MONO, "%llu",
				  (unsigned long long)mi->start_mono_ns) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_CLASSIFIER, "%s", mi->classifier) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_BUFFER_KB, "%u", mi->buffer_kb) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_VERSION, "%s", MEMMON_VERSION) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_MISSING, "%s", mi->missing) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_MARKERS, "%s", mi->markers ? mi->markers : "none") < 0 ||
	    mm_writer_machine_set(w, MM_KEY_MARKER_COPY, "%d", mi->marker_copy) < 0 ||
	    (mi->stacks && mm_writer_machine_set(w, MM_KEY_STACKS, "%s", mi->stacks) < 0) ||
	    (mi->heap_frames && mm_writer_machine_set(w, MM_KEY_HEAP_FRAMES, "%s",
						      mi->heap_frames) < 0) ||
	    put_attached(w, mi) < 0)
		return -1;
	return mm_writer_machine_flush(w);
}

/* The event id in format text TEXT ("ID: 123"), or -1. */
static long format_id(const char *text)
{
	const char *p = strstr(text, "\nID: ");

	return p ? strtol(p + 5, NULL, 10) : -1;
}

/* Copy tracefs file REL (relative to the tracing dir) into a section;
 * an event format's id into *ID. */
static int put_file(struct mm_writer *w, const char *rel, const char *system, long *id)
{
	char path[512];
	size_t len = 0;
	char *text;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", mm_tracing_dir(), rel);
	text = mm_read_file(path, &len);
	if (!text)
		return -1;
	if (id)
		*id = format_id(text);
	if (system)
		ret = mm_writer_event_format(w, system, text, len);
	else
		ret = mm_writer_section(w, MM_SECTION_HEADER_PAGE, NULL, 0, text, len);
	free(text);
	return ret;
}

/* memmon:malloc (record --malloc): an id none of the saved formats has. */
static int put_heap_format(struct mm_writer *w, struct mm_machine_info *mi,
			   const long *ids, size_t n)
{
	char text[2048];
	unsigned id = 65000;
	size_t len;

	for (bool clash = true; clash && id > 1; ) {
		clash = false;
		for (size_t i = 0; i < n && !clash; i++)
			clash = ids[i] == (long)id;
		if (clash)
			id--;
	}
	mi->heap_id = (uint16_t)id;
	len = mm_heap_format(text, sizeof(text), id);
	return mm_writer_event_format(w, MM_HEAP_SYSTEM, text, len);
}

int mm_machine_write(struct mm_writer *w, struct mm_machine_info *mi,
		     const struct mm_evlist *l)
{
	long *ids = mm_calloc(l->n + 2, sizeof(*ids));
	char rel[256];
	int ret = -1;

	if (put_machine(w, mi) < 0 || put_file(w, "events/header_page", NULL, NULL) < 0)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		snprintf(rel, sizeof(rel), "events/%s/%s/format", l->ev[i].system, l->ev[i].name);
		if (put_file(w, rel, l->ev[i].system, &ids[i]) < 0)
			goto out;
	}
	/* trace_marker writes (record's own notes, plugins/notes.c): not an
	 * event one enables, but its records need their format to decode */
	if (mm_event_exists("ftrace", "print") &&
	    put_file(w, "events/ftrace/print/format", "ftrace", &ids[l->n]) < 0)
		goto out;
	/* the same for the stacks instance's user stacks (stacks.c) */
	if (mm_event_exists("ftrace", "user_stack") &&
	    put_file(w, "events/ftrace/user_stack/format", "ftrace", &ids[l->n + 1]) < 0)
		goto out;
	if (mi->heap && put_heap_format(w, mi, ids, l->n + 2) < 0)
		goto out;
	ret = 0;
out:
	free(ids);
	return ret;
}
