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

static int put_machine(struct mm_writer *w, const struct mm_machine_info *mi)
{
	const char *endian = __BYTE_ORDER == __LITTLE_ENDIAN ? "little" : "big";

	if (put_uname(w) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_ENDIAN, "%s", endian) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "%zu", sizeof(long)) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_PAGE_SIZE, "%ld", sysconf(_SC_PAGESIZE)) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_SUBBUF_SIZE, "%zu", mi->subbuf_size) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_NR_CPUS, "%u", mi->nr_cpus) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_CLOCK, "%s", MM_TRACE_CLOCK) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_COMMAND, "%s", mi->command) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_PIDS, "%s", mi->pids) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_START_TIME, "%lld", (long long)time(NULL)) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_START_MONO, "%llu",
				  (unsigned long long)mi->start_mono_ns) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_CLASSIFIER, "%s", mi->classifier) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_BUFFER_KB, "%u", mi->buffer_kb) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_VERSION, "%s", MEMMON_VERSION) < 0 ||
	    mm_writer_machine_set(w, MM_KEY_MISSING, "%s", mi->missing) < 0)
		return -1;
	return mm_writer_machine_flush(w);
}

/* Copy tracefs file REL (relative to the tracing dir) into a section. */
static int put_file(struct mm_writer *w, const char *rel, const char *system)
{
	char path[512];
	size_t len = 0;
	char *text;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", mm_tracing_dir(), rel);
	text = mm_read_file(path, &len);
	if (!text)
		return -1;
	if (system)
		ret = mm_writer_event_format(w, system, text, len);
	else
		ret = mm_writer_section(w, MM_SECTION_HEADER_PAGE, NULL, 0, text, len);
	free(text);
	return ret;
}

int mm_machine_write(struct mm_writer *w, const struct mm_machine_info *mi,
		     const struct mm_evlist *l)
{
	char rel[256];

	if (put_machine(w, mi) < 0 || put_file(w, "events/header_page", NULL) < 0)
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		snprintf(rel, sizeof(rel), "events/%s/%s/format", l->ev[i].system, l->ev[i].name);
		if (put_file(w, rel, l->ev[i].system) < 0)
			return -1;
	}
	return 0;
}
