/*
 * report/views/log.h - the event log: one line per memmon event, design.md's
 * formats, written through one large buffer straight to a file descriptor.
 *
 * Everything report prints on stdout (warnings, summary) goes through the
 * same buffer, so lines never interleave with a stdio buffer.
 */
#ifndef MM_REPORT_VIEWS_LOG_H
#define MM_REPORT_VIEWS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"

struct mm_summary;
struct mm_summary_info;
struct mm_as;

#define MM_LOG_BUF   (64 * 1024)
#define MM_LOG_LINE  1024            /* room checked before each line */

enum {
	MM_LOG_TIMESTAMPS = 1,           /* -t: seconds since the first event */
	MM_LOG_RAW        = 2,           /* --raw-events: rss and filemap too */
	MM_LOG_NO_HEAP    = 4,           /* --no-malloc: no record --malloc lines */
	MM_LOG_FRAMES     = 8,           /* --frames: record --frames' frames */
};

struct mm_log {
	int fd;
	unsigned flags;
	bool have_t0;
	uint64_t t0;
	int write_errno;             /* first failed write, 0 if none */
	uint64_t page_size;          /* the recording's (rss bytes -> pages) */
	struct mm_heap *heap;        /* record --malloc traces: what ties the
	                              * allocator's calls to the kernel's events */
	struct mm_as *as;            /* the model the code of faults and handlers
	                              * is named from (" in FUNC+0xOFF [MODULE]"),
	                              * and the files of mmaps, fed before each
	                              * line; NULL: raw addresses and fds */
	const struct mm_zones *zones;  /* --frames: where frames are (NULL: "?") */
	unsigned pmd_order;          /* --frames: a THP's order (0: none) */
	size_t len;
	char buf[MM_LOG_BUF];
};

/* Allocate a log writing to FD; never fails (dies on ENOMEM). */
struct mm_log *mm_log_new(int fd, unsigned flags);
/* Flush and free; returns 0, or -1 with mm_error() set if a write failed. */
int mm_log_close(struct mm_log *l);

/* Append the line for EV (nothing for events the flags hide).  Besides
 * the event lines of design.md: a memory syscall that changed the resident
 * set is followed by "PID:   resident +N pages[, swap +M pages]", and an
 * rss change that no fault or memory syscall explains is a line of its
 * own, "PID: resident -N pages (anon, kernel[ in CALL])". */
void mm_log_event(struct mm_log *l, const struct mm_event *ev);
/* Append text as is (summary, warnings). */
void mm_log_puts(struct mm_log *l, const char *s);
/* Forget what is buffered and not yet written (a report that fails). */
void mm_log_discard(struct mm_log *l);
/* Write out what is buffered; -1 with mm_error() set on failure. */
int mm_log_flush(struct mm_log *l);

/* Format EV's line (without the newline) into P, which has MM_LOG_LINE
 * bytes of room, as the kernel gave it (addresses, fds); returns the end. */
char *mm_log_format(char *p, const struct mm_event *ev);
/* The path of the file mmap EV maps that model AS (fed EV already) names;
 * NULL when EV maps no file, AS is NULL or the trace does not name it. */
struct mm_as;
const char *mm_log_mapped_file(struct mm_as *as, const struct mm_event *ev);
/* log-syscalls.c: a memory syscall's part of its line, after "PID: "
 * ("mmap(0, 139264, rw-, PRIVATE|ANON, fd -1) -> 7f12b7d8f000"), FILE
 * (NULL: none) the path of the file an mmap maps, after its fd ("fd 3
 * "/tmp/x.dat""); P has the line's room; returns the end. */
char *mm_log_syscall(char *p, const struct mm_syscall *s, const char *file);
/* EV's line with what model AS (fed EV already; NULL: raw addresses and
 * fds) names: the file an mmap maps after its fd, a fault's or handler's
 * " in FUNC+0xOFF [MODULE]" after it (mm_log_code), a malloc call's site
 * in place of its address. */
char *mm_log_format_named(struct mm_as *as, char *p, const struct mm_event *ev);
/* The code address EV shows (a user-mode fault's instruction, a signal
 * handler) named in model AS at this moment: " in FUNC+0xOFF [MODULE]"
 * appended at P (nothing when none: AS NULL, no such address, no region
 * holds it); returns the end.  mm_log_code_of() gives it as *C at *ADDR,
 * false when there is none. */
struct mm_code;
char *mm_log_code(struct mm_as *as, char *p, const struct mm_event *ev);
bool mm_log_code_of(struct mm_as *as, const struct mm_event *ev, struct mm_code *c,
		    uint64_t *addr);
/* The line that follows a memory syscall that changed the resident set
 * ("PID:   resident +32 pages"), or NULL when it changed nothing. */
char *mm_log_resident_line(char *p, const struct mm_event *ev);
/* Is R a change no fault or memory syscall carries (shown on its own
 * even without --raw-events)?  Its line: "PID: resident -3 pages (anon,
 * kernel[ in CALL])". */
bool mm_log_rss_alone(const struct mm_rss *r);
char *mm_log_rss_alone_line(char *p, const struct mm_event *ev, uint64_t page_size);

/* log-heap.c: a record --malloc record's line after "PID: " (design.md),
 * and the name of an allocation function ("malloc", "new[]", ...). */
/* The site is " in NAME", or " at ADDR" when NAME is NULL or "". */
char *mm_log_heap(char *p, const struct mm_heap_call *h, const char *name);
/* A malloc call site SITE of PID named in model AS now ("map_blocks+0x1c
 * [prog]") into BUF; false, BUF "", when nothing names it (AS NULL,
 * --symbols=off, no region holds it). */
bool mm_log_site_name(struct mm_as *as, int32_t pid, uint64_t site, char *buf, size_t n);
/* The trace has record --malloc's records: tie them to the other lines
 * (mm_log_heap_note) from now on, its sites named from l->as (set it
 * first). */
void mm_log_heap_enable(struct mm_log *l);
/* What N (report/model/heap.h) says of EV, appended to its line at P,
 * the sites named in model AS (NULL: raw addresses) of process PID:
 *   malloc(307200) -> 7f..010 in FUNC+0x1c [prog] [mmap 7f..000 311296]
 *   munmap(7f..000, 311296) = 0 [free(7f..010) in FUNC+0x2a [prog]]
 *   anon page @7f..020 (W) [in 7f..010 of malloc(307200) in FUNC+0x1c [prog]]  */
struct mm_heap_note;
char *mm_log_heap_note(char *p, const struct mm_heap_note *n, struct mm_as *as, int32_t pid);
/* "mmap", "brk", ...: the name of a syscall a note names. */
const char *mm_log_heap_sys_name(uint8_t nr);
/* The line of its own a note asks for after EV's (without the newline),
 * or NULL: "PID: malloc calls of this image were not recorded (...)". */
char *mm_log_heap_line(char *p, const struct mm_event *ev, const struct mm_heap_note *n);

/* log-frames.c (--frames): " -> pfn 1234567 (Normal)" after a fault
 * served by a frame (nothing otherwise), and a frame's line after "PID: "
 * ("frame pfn 1234566 taken: page table (Normal), in fault @ADDR"). */
struct mm_zones;
char *mm_log_fault_frame(char *p, const struct mm_fault *f, const struct mm_zones *z,
			 unsigned pmd_order);
char *mm_log_frame(char *p, const struct mm_frame *f, const struct mm_zones *z,
		   unsigned pmd_order);
/* mm_log_format_named() with --frames: a fault's frame after its line,
 * before its code; a frame's line. */
char *mm_log_format_frames(struct mm_as *as, char *p, const struct mm_event *ev,
			   const struct mm_zones *z, unsigned pmd_order);

/* The log's line for a place where the kernel dropped events (without a
 * newline): "# lost N events of cpu C here (its ring buffer was full)". */
struct mm_lost_mark;
void mm_log_lost_line(char *buf, size_t n, const struct mm_lost_mark *m);

/* Append the "# summary" block to L (log-summary.c). */
void mm_summary_write(const struct mm_summary *s, const struct mm_summary_info *info,
		      struct mm_log *l);

#endif
