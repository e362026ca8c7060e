/*
 * report/analyses/findings.h - malloc findings: what the memory syscalls
 * and faults of a trace say about the program's allocator (glibc malloc's
 * habits), each finding with a plain-English explanation, its numbers and
 * the events that prove it.
 *
 * The engine (findings.c, with one file per group of findings:
 * findings-heap.c, findings-mmap.c, findings-enomem.c) is fed decoded
 * events in time order and watches an address-space model
 * (report/model/addrspace.h, fed by the caller) to attribute faults to
 * regions.  It never prints: report/views/findings-view.c turns the list
 * into text, JSON or CSV.
 *
 * Findings (id, severity):
 *   brk-top-pad        info  heap grown by brk in >= 128 KiB steps (malloc's
 *                            top pad) while few of its pages were touched
 *   mmap-threshold     info  requests at/over the mmap threshold served by
 *                            mmap and given back by munmap on free (with
 *                            record --malloc: which calls, the smallest)
 *   dynamic-threshold  info  an mmapped chunk freed raised glibc's threshold;
 *                            the heap grew by brk afterwards instead (with
 *                            record --malloc: which free raised it, which
 *                            call the heap then grew for)
 *   mmap-churn         warn  one size mapped and unmapped again and again
 *   overcommit         warn  big private mappings barely touched
 *   enomem             warn  memory requests failing with ENOMEM, and the
 *                            fallback sequence libc tried
 *   heap-trim          info  the heap shrank (brk lowered: malloc trimmed)
 *   trim-oscillation   warn  trim then grow again, over and over
 *   chunk-header       info  fresh mmapped chunks first touched by malloc's
 *                            own header write (first 16 bytes)
 * Thresholds are the MM_FIND_* constants in findings-int.h, chosen so that
 * ls, true and a plain cc -c produce no finding (tests/integration).
 */
#ifndef MM_REPORT_ANALYSES_FINDINGS_H
#define MM_REPORT_ANALYSES_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"

struct mm_as;

enum mm_find_sev { MM_FIND_INFO, MM_FIND_WARN };

/* One number of a finding: NAME is a JSON-safe key, UNIT "bytes", "pages",
 * "count", "permille" or "ns". */
struct mm_find_num {
	const char *name;
	const char *unit;
	uint64_t value;
};

/* One event of the evidence, compact: a syscall (kind MM_EV_SYSCALL, nr =
 * enum mm_syscall_nr, args/ret), a fault (kind MM_EV_FAULT, nr = class,
 * args[0] = address, access) or an allocator call of record --malloc
 * (kind MM_EV_HEAP, nr = enum mm_heap_op, args[0] = the size asked or
 * the block freed, args[1] = the result, args[2] = the call site). */
struct mm_find_ev {
	uint64_t ts;
	int32_t pid;
	uint8_t kind;
	uint8_t nr;
	uint8_t access;
	bool has_ret;
	uint64_t args[3];
	int64_t ret;
	uint32_t code;           /* the model's stack (report/model/symbols.h)
	                          * of the call, of one frame for a fault's
	                          * instruction; 0: none */
};

#define MM_FIND_NUMS 8
#define MM_FIND_EVS 8

struct mm_finding {
	const char *id;             /* "mmap-churn", ... (stable) */
	enum mm_find_sev sev;
	int32_t pid;                /* the process (tgid) */
	char summary[512];          /* one line with the numbers */
	const char *explain;        /* what it means, static text */
	const char *tune;           /* what to do about it, or NULL */
	struct mm_find_num num[MM_FIND_NUMS];
	unsigned nr_num;
	struct mm_find_ev ev[MM_FIND_EVS];
	unsigned nr_ev;
	uint64_t ev_total;          /* evidence events in all (ev[] holds some) */
};

struct mm_findings;

/* An engine watching model AS (its fault hook: mm_as_add_hooks), which
 * the caller owns and feeds: each event goes to mm_as_event(AS) first,
 * then to mm_findings_event().  The model's hooks call the engine: feed
 * the model no event after mm_findings_free(). */
struct mm_findings *mm_findings_new(struct mm_as *as);
/* Name allocator call sites in summaries by function (the default) or,
 * with --symbols=off, keep their addresses. */
void mm_findings_name_sites(struct mm_findings *fs, bool on);
void mm_findings_free(struct mm_findings *fs);
void mm_findings_event(struct mm_findings *fs, const struct mm_event *ev);
/* End of the stream, after mm_as_finish(AS): evaluate; the list is valid
 * until mm_findings_free(). */
void mm_findings_finish(struct mm_findings *fs);

size_t mm_findings_count(const struct mm_findings *fs);
const struct mm_finding *mm_findings_at(const struct mm_findings *fs, size_t i);
/* First finding with ID for process PID (0: any); NULL when none. */
const struct mm_finding *mm_findings_find(const struct mm_findings *fs,
					  const char *id, int32_t pid);
/* A number of F by name; UINT64_MAX when F has none of that name. */
uint64_t mm_finding_num(const struct mm_finding *f, const char *name);
/* Trace time of the first event: evidence times print relative to it. */
uint64_t mm_findings_t0(const struct mm_findings *fs);


#endif
