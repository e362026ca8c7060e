/*
 * plugins/eventset.h - the tracepoints memmon records.
 *
 * One table, used by record (which events to enable, which formats to save),
 * by list (which exist on this kernel) and by the plugins (which events they
 * decode).  An event missing on a kernel is skipped with a notice, never a
 * failure; "required" only marks the events without which the report would
 * have nothing to say (a notice is louder for them).
 */
#ifndef MM_PLUGINS_EVENTSET_H
#define MM_PLUGINS_EVENTSET_H

#include <stdbool.h>
#include <stddef.h>

struct mm_event_spec {
	const char *system;
	const char *name;
	bool required;
};

extern const struct mm_event_spec mm_event_set[];
extern const size_t mm_event_set_len;

/* Is "SYSTEM:NAME" (as in a missing-events list) a required event? */
bool mm_event_is_required(const char *system_name);

/* record --frames: the page allocator's events (pfn, order; the
 * allocation's migratetype and gfp flags), for every page a watched task
 * allocates or frees, in the kernel too: page tables, slabs, page cache,
 * a fork's copies.  Off by default for their cost (memmon-record(1)). */
extern const struct mm_event_spec mm_frame_events[];
extern const size_t mm_frame_events_len;

/* Syscalls traced entry+exit ("sys_enter_X"/"sys_exit_X" in "syscalls"). */
extern const char *const mm_traced_syscalls[];
extern const size_t mm_traced_syscalls_len;
/* Phase markers (record --markers=fsync): the seed's fsync(N), and
 * fdatasync, traced entry+exit like the memory calls. */
extern const char *const mm_marker_syscalls[];
extern const size_t mm_marker_syscalls_len;
/* Calls whose entry and exit only tell which call a task is in (for its
 * kernel-mode faults); not emitted as events. */
extern const char *const mm_io_syscalls[];
extern const size_t mm_io_syscalls_len;

#endif
