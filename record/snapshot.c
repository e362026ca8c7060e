/*
 * record/snapshot.c - /proc snapshots into the trace file.
 *
 * The report rebuilds address spaces by replaying syscalls on top of a maps
 * snapshot, and shows Vm* lines and zone state at start and end, so record
 * copies these /proc files verbatim as SNAPSHOT sections (maps, status and
 * smaps of each process, its pages as pages.c reads them, meminfo, zoneinfo and buddyinfo of the machine).  Each is dated
 * with the instance's own trace clock, read just before the copy, so that
 * report can replay it in order with the events: an exec snapshot after
 * that exec's event and before anything the new program does.
 * A process can exit between the decision to snapshot it and the read:
 * that is not an error, there is simply no snapshot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "memmon.h"
#include "record/record.h"

uint64_t mm_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Copy PATH into a snapshot; MISSING_OK for files of a vanishing process. */
static int take(struct mm_out *o, const char *path, uint32_t pid,
		enum mm_snapshot_kind kind, enum mm_snapshot_phase phase,
		uint64_t ts, bool missing_ok)
{
	size_t len = 0;
	char *text = mm_read_file(path, &len);
	int ret;

	if (!text)
		return missing_ok && (errno == ENOENT || errno == ESRCH) ? 0 : -1;
	pthread_mutex_lock(&o->lock);
	ret = mm_writer_snapshot(o->w, pid, kind, phase, ts, text, len);
	pthread_mutex_unlock(&o->lock);
	if (kind == MM_SNAP_MAPS)     /* its code's ELF files are read too */
		mm_mapnames_note_maps(o->names, (pid_t)pid, text, len);
	free(text);
	return ret;
}

int mm_snapshot_system(struct mm_out *o, enum mm_snapshot_phase phase)
{
	uint64_t ts;

	if (mm_tracing_now(o->clock_fd, &ts) < 0 ||
	    take(o, "/proc/meminfo", 0, MM_SNAP_MEMINFO, phase, ts, false) < 0 ||
	    take(o, "/proc/zoneinfo", 0, MM_SNAP_ZONEINFO, phase, ts, true) < 0 ||
	    take(o, "/proc/buddyinfo", 0, MM_SNAP_BUDDYINFO, phase, ts, true) < 0)
		return -1;
	return 0;
}

int mm_snapshot_process(struct mm_out *o, pid_t pid, enum mm_snapshot_phase phase)
{
	uint64_t ts;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (mm_tracing_now(o->clock_fd, &ts) < 0 ||
	    take(o, path, (uint32_t)pid, MM_SNAP_MAPS, phase, ts, true) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (take(o, path, (uint32_t)pid, MM_SNAP_STATUS, phase, ts, true) < 0)
		return -1;
	/* What each mapping really has resident (Rss, Dirty, Swap, THP,
	 * Locked): the truth the report's resident estimate is checked
	 * against.  Reading it walks the page tables, ~1 ms per 100 MiB
	 * resident, so it comes last. */
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	if (take(o, path, (uint32_t)pid, MM_SNAP_SMAPS, phase, ts, true) < 0)
		return -1;
	/* which pages those are, page by page (pages.c) */
	return mm_snapshot_pages(o, pid, phase, ts);
}
