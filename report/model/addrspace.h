/*
 * report/model/addrspace.h - the address-space model: each traced
 * process's regions rebuilt offline from the maps snapshots and the memory
 * syscalls, with every page fault attributed to the region it hit.  The
 * model's API; report/model/README says which file does what.
 *
 * One struct mm_as holds every process, keyed by tgid (a thread's events go
 * to its process; a fork copies the parent's live map; an exec drops the map
 * and the EXEC maps snapshot that follows replaces it).  Each process has a
 * sorted array of live regions (binary search: a fault costs O(log n)) and a
 * history of dead ones.  A region is what the kernel calls a VMA, except
 * that we do not merge two regions made by different calls (the kernel
 * merges neighbouring anonymous mmaps; keeping them apart keeps "who made
 * it" exact): brk grows [heap] in place, mremap grows in place, and pieces
 * of one mapping merge back when their attributes meet again.
 *
 * Lineage: splitting a region (munmap of a hole, mprotect of a part, mmap
 * MAP_FIXED over a part, mremap move) ends the region and starts new ones
 * (parent_id = the old id, origin = the event that made the first one).  So
 * every row has exact facts for its own range and lifetime: the faults it
 * took while it lived, the distinct pages first touched in that time.  The
 * resident set (touched minus pages dropped by madvise) carries over to the
 * pieces: it is a property of the memory, not of the row.
 *
 * Pages touched, resident and dirty are sparse page sets (pageset.h), so a
 * split is a partition of their blocks.  A dead region frees its sets and
 * keeps only the counts, so the history costs a fixed size per region.
 *
 * File names: mmap only tells the fd.  The kernel's mapping records in
 * the trace (MMAPS, mapents.c) name a region the moment it is mapped;
 * without them (older traces, a record the kernel dropped) it is "fd N"
 * until the process's END maps snapshot shows a path for the same range
 * and file offset; dead regions then take the name of what replaced them
 * at the moment they ended (same fd) or of a named piece of the same
 * mapping.  A model frozen by a cutoff still learns names this way.
 * Objects, segments and symbols of code: symbols.h.
 *
 * Ownership: everything hangs off the mm_as; pointers to regions stay valid
 * until mm_as_free() (dead regions are kept, not freed).  Functions never
 * print: they count what they could not apply (see struct mm_as_proc).
 */
#ifndef MM_REPORT_MODEL_ADDRSPACE_H
#define MM_REPORT_MODEL_ADDRSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "plugins/event.h"
#include "report/model/pageset.h"

struct mm_file;
struct mm_as;

/* Protection bits (the values of PROT_READ/WRITE/EXEC) and region flags. */
#define MM_PROT_R 1u
#define MM_PROT_W 2u
#define MM_PROT_X 4u
#define MM_REG_SHARED 1u        /* MAP_SHARED / 's' in maps; else private */
#define MM_REG_GROWSDOWN 2u     /* the main stack: faults below it extend it */

enum mm_backing {
	MM_BACK_ANON,       /* anonymous memory (private or shared) */
	MM_BACK_FILE,       /* a file: ->name is its path, or "fd N" until a
	                     * snapshot names it */
	MM_BACK_HEAP,       /* [heap], the brk area */
	MM_BACK_STACK,      /* [stack] of the main thread */
	MM_BACK_VDSO,       /* [vdso] */
	MM_BACK_VVAR,       /* [vvar], [vvar_vclock] */
	MM_BACK_SHM,        /* SysV shared memory (shmat) */
	MM_BACK_SPECIAL,    /* any other [name] from a snapshot ([vsyscall]...) */
	MM_BACK_NR
};

/* What made or ended a region. */
enum mm_region_how {
	MM_HOW_NONE,        /* not ended: live */
	MM_HOW_START,       /* START maps snapshot (there before tracing) */
	MM_HOW_EXEC,        /* EXEC maps snapshot (made) / the exec (ended) */
	MM_HOW_SYSCALL,     /* the syscall in ->sys */
	MM_HOW_FORK,        /* copied from the parent at fork */
	MM_HOW_FAULT,       /* stack grown by a fault below it */
	MM_HOW_EXIT,        /* ended: the process exited (the region stays in
	                     * the process's final map) */
	MM_HOW_MERGE,       /* ended: merged into its left neighbour */
	MM_HOW_NR
};

struct mm_region_event {
	uint64_t ts;        /* trace clock ns */
	int32_t pid;        /* task that did it (0 for snapshots) */
	uint8_t how;        /* enum mm_region_how */
	uint8_t sys;        /* enum mm_syscall_nr when how == MM_HOW_SYSCALL */
};

enum mm_pattern {
	MM_PAT_NONE,        /* nothing touched */
	MM_PAT_SEQUENTIAL,  /* first touches mostly (3/4) at +-1 page of the
	                     * last one */
	MM_PAT_STRIDED,     /* mostly the same step of more than one page */
	MM_PAT_SPARSE,      /* few pages of a big region (under 1 in 8), or a
	                     * handful (< 4) of scattered ones */
	MM_PAT_RANDOM,      /* many pages, no order */
	MM_PAT_NR
};

/* Online state for the pattern: O(1) per first touch, fixed size. */
struct mm_pattern_state {
	uint64_t last_vpn;
	int64_t last_step;
	uint32_t steps;     /* first touches after the first one */
	uint32_t seq;       /* steps of +1 or -1 page */
	uint32_t same;      /* steps equal to the step before (|step| > 1) */
	int64_t stride;     /* the most recent repeated step */
};

struct mm_region {
	uint64_t start, end;        /* [start, end), page aligned */
	uint64_t offset;            /* file offset of start (file, shm: 0) */
	uint64_t ino;               /* from snapshots, 0 when unknown */
	uint32_t dev_major, dev_minor;
	uint8_t prot;               /* MM_PROT_* */
	uint8_t flags;              /* MM_REG_* */
	uint8_t backing;            /* enum mm_backing */
	int32_t fd;                 /* mmap's fd (-1: none or unknown) */
	const char *name;           /* path or "[heap]"...; NULL for anon.
	                             * Interned: owned by the mm_as */
	uint32_t id;                /* unique within the mm_as, from 1 */
	uint32_t parent_id;         /* region this one was split from, 0 */
	uint32_t origin_id;         /* first region of the lineage (itself) */
	struct mm_region *fork_src; /* the parent's region this is a fork copy
	                             * of (NULL): they share a file name */
	struct mm_region_event origin;  /* the event that made the first piece */
	struct mm_region_event created; /* the event that made this one */
	struct mm_region_event ended;   /* how == MM_HOW_NONE: live */
	uint32_t origin_stack;      /* the stacks (symbols.h) of the syscalls */
	uint32_t created_stack;     /* behind origin and created, 0: none */
	uint64_t faults[MM_FAULT_NR][MM_ACCESS_NR];
	uint64_t nr_faults;
	uint64_t kernel_faults;     /* of nr_faults, taken in kernel mode (the
	                             * kernel writing or reading the page for a
	                             * syscall: read() into it, ...) */
	struct mm_pageset touched;  /* first touched during this region's life */
	struct mm_pageset resident; /* estimate: touched, not dropped since */
	struct mm_pageset dirty;    /* written (W fault or cow) and still resident */
	uint64_t nr_touched;        /* = touched.count; kept after death */
	uint64_t nr_resident;       /* = resident.count at death */
	struct mm_pattern_state pat;
};

/* Kernel-mode faults of a process by the syscall they were taken in and
 * the region they hit ("read() faulted in 9,843 pages of [heap]"). */
struct mm_kernel_faults {
	int16_t sys;                /* raw syscall number, MM_SYSCALL_NONE */
	uint32_t origin_id;         /* the region's lineage (0: outside every
	                             * region) */
	const char *label;          /* its label then (interned; "" anon) */
	uint64_t faults;
	uint64_t pages;             /* pages they made resident */
};

struct mm_smaps;

/* A stretch of time a process was watched (its events recorded): from
 * the start of the recording or its first event, its fork, or a memmon
 * watch join, to its exit, a memmon watch leave, or the end (open). */
enum mm_watch_why { MM_WHY_START, MM_WHY_FORK, MM_WHY_WATCH, MM_WHY_EXIT, MM_WHY_END };
struct mm_watch_span {
	uint64_t from, to;          /* trace clock; TO valid when LEFT != END */
	uint8_t joined, left;       /* enum mm_watch_why */
	uint32_t pause_us;          /* the join needed tracing off this long */
};

/* One difference found by the END maps check. */
enum mm_diff_kind {
	MM_DIFF_MISSING,    /* in the snapshot, not in the model */
	MM_DIFF_EXTRA,      /* in the model, not in the snapshot */
	MM_DIFF_ATTR,       /* same range, different prot/flags/backing */
};
struct mm_maps_diff {
	int32_t tgid;
	uint8_t kind;               /* enum mm_diff_kind */
	uint64_t start, end;
	char want[128];             /* the snapshot's view, "" for EXTRA */
	char got[128];              /* the model's view, "" for MISSING */
};

struct mm_as_proc {
	int32_t tgid;
	int32_t parent;             /* tgid of the forking process, 0 */
	char comm[16];
	char exe[256];              /* last exec'd path, "" when unknown */
	uint64_t first_ts;          /* first seen */
	bool exited;
	uint64_t exit_ts;
	/* how it ended: exit_group(CODE), or the first fatal signal it took
	 * (a group exit's SIGKILLs to the other threads come after) */
	bool have_exit_code;
	int32_t exit_code;
	uint8_t killed_by;
	/* record -p: it ran before the recording (origin.h) */
	bool attached;
	bool have_age;
	double age_s;               /* how long it had run at attach */
	/* a vfork child until it execs: its memory is process MM_OF's */
	bool shares_mm;
	int32_t mm_of;
	bool have_map;              /* a snapshot or a fork gave a full map */
	bool forked;                /* forked, or made by a fork: anon pages shared */
	uint64_t exec_ts;           /* last exec seen (0: none): it ends the sharing */
	uint64_t exiting_ts;        /* exit_group called (0: not seen) */
	uint64_t brk_start, brk_cur;    /* 0 until known */

	struct mm_region **map;     /* live (or final) map, sorted by start */
	size_t nr_map, cap_map;
	uint64_t map_bytes;         /* sum of map[]'s sizes (kept as it changes:
	                             * VSZ without a walk of the map) */
	struct mm_region **dead;    /* history, in order of death */
	size_t nr_dead, cap_dead;

	/* faults outside every region: counted, never dropped */
	uint64_t unknown_faults[MM_FAULT_NR][MM_ACCESS_NR];
	uint64_t nr_unknown;
	uint64_t unknown_first_addr, unknown_last_addr;   /* in time */
	uint64_t unknown_low_addr, unknown_high_addr;     /* in the address space */
	/* syscalls that could not be applied (no result, unknown shm size) */
	uint64_t nr_skipped;
	/* memory syscalls made, by enum mm_syscall_nr */
	uint64_t nr_syscalls[MM_SYS_NR];

	/* What the kernel said about the process's resident pages:
	 * RSS_BYTES, its own counters (rss_stat of its mm) as last seen;
	 * POPULATED, pages syscalls mapped without a fault of their own
	 * (MAP_POPULATE, mlock, MADV_POPULATE_*), placed in their range;
	 * UNPLACED, the net pages the kernel added (+) or took (-) where no
	 * range says which (inside other syscalls, process_madvise), counted
	 * in the process's total but in no region; RECLAIMED, pages taken
	 * with no syscall to explain it (reclaim, swap-out in its context). */
	bool have_rss;
	int64_t rss_bytes[MM_RSS_NR];
	uint64_t pages_populated;
	int64_t pages_unplaced;
	uint64_t pages_reclaimed;
	uint64_t kernel_faults;             /* all its kernel-mode faults */
	struct mm_kernel_faults *kfaults;   /* by syscall and region */
	size_t nr_kfaults, cap_kfaults;
	/* The END smaps snapshot (NULL: none) and VmRSS of the END status
	 * snapshot in KiB (-1: none): the truth at exit. */
	struct mm_smaps *smaps_end;
	int64_t vmrss_end_kb;
	/* Kernel-mode faults taken in a successful execve belong to the new
	 * program's map, which its EXEC snapshot brings: kept until then. */
	uint64_t execve_end;        /* that execve's exit time, 0: none */
	struct mm_event *deferred;
	size_t nr_deferred, cap_deferred;

	/* when it was watched, in time order (the last one may be open) */
	struct mm_watch_span *watched;
	size_t nr_watched, cap_watched;
	bool watch_changed;         /* memmon watch took it in or out */

	/* END maps check (set when the END snapshot was replayed) */
	bool checked;
	size_t nr_checked;          /* snapshot regions compared */
	struct mm_maps_diff *diffs;
	size_t nr_diffs, cap_diffs;
};

/* Observer for analyses built on the model (malloc findings).  Several may
 * watch one model (cmd-report shares one model among the views): each
 * is called in the order added, from inside mm_as_event().  An observer
 * must stay valid until the model's last event; any member may be NULL. */
struct mm_as_hooks {
	void (*region_new)(void *ctx, struct mm_as_proc *p, struct mm_region *r);
	void (*region_end)(void *ctx, struct mm_as_proc *p, struct mm_region *r);
	/* R is NULL for a fault outside every region; FIRST: page never
	 * touched before in R's life. */
	void (*fault)(void *ctx, struct mm_as_proc *p, struct mm_region *r,
		      const struct mm_event *ev, bool first);
};

/*
 * Life cycle.  PAGE_SIZE: the recording machine's (MACHINE page_size).
 * CUTOFF_NS: apply nothing later than this many ns after the first event
 * (MM_AS_NO_CUTOFF: everything), which is how --maps-at freezes the model.
 * Snapshots queued with mm_as_add_snapshot() are replayed in time order
 * with the events: START and EXEC ones load the map, END ones are checked
 * against the model (mm_as_check).
 */
#define MM_AS_NO_CUTOFF UINT64_MAX
struct mm_as *mm_as_new(uint64_t page_size, uint64_t cutoff_ns);
/* Queue a MAPS snapshot (PHASE: enum mm_snapshot_phase); TEXT must outlive
 * the mm_as (the mm_file's snapshot text does). */
void mm_as_add_snapshot(struct mm_as *as, int32_t pid, int phase, uint64_t ts,
			const char *text);
/* The same for any KIND the model reads (enum mm_snapshot_kind: MAPS,
 * SMAPS, STATUS; others are ignored). */
void mm_as_add_snapshot_kind(struct mm_as *as, int32_t pid, int kind, int phase,
			     uint64_t ts, const char *text);
/* mm_as_new() with F's page size and every MAPS snapshot of F queued
 * (snapshots.c: the one place where the model reads the file). */
struct mm_as *mm_as_from_file(struct mm_file *f, uint64_t cutoff_ns);
/* Add an observer (H is copied; CTX is passed back to each hook). */
void mm_as_add_hooks(struct mm_as *as, const struct mm_as_hooks *h, void *ctx);
void mm_as_event(struct mm_as *as, const struct mm_event *ev);
/* End of stream: replay the snapshots left (END checks). */
void mm_as_finish(struct mm_as *as);
void mm_as_free(struct mm_as *as);

/* "start", "fork", "watch", "exit", "end". */
const char *mm_watch_why_name(unsigned why);

uint64_t mm_as_page_size(const struct mm_as *as);
/* Trace time of the first event (0 before any): "seconds from start". */
uint64_t mm_as_t0(const struct mm_as *as);
/* Seconds from the first event to trace time TS (snapshots before it
 * count as 0), as every view prints times. */
static inline double mm_as_rel_s(const struct mm_as *as, uint64_t ts)
{
	return ts > mm_as_t0(as) ? (double)(ts - mm_as_t0(as)) / 1e9 : 0.0;
}

/* The end of the recording (its END snapshot, or the last event). */
uint64_t mm_as_end(const struct mm_as *as);
/* Whom the trace is of (report/model/origin.h), when the model was made
 * from a file (mm_as_from_file); zeroed otherwise. */
struct mm_origin;
const struct mm_origin *mm_as_origin(const struct mm_as *as);

/* Processes, in order of first appearance. */
size_t mm_as_nr_procs(const struct mm_as *as);
struct mm_as_proc *mm_as_proc_at(const struct mm_as *as, size_t i);
struct mm_as_proc *mm_as_proc_find(const struct mm_as *as, int32_t tgid);
/* The process of task PID (itself when unknown). */
int32_t mm_as_tgid_of(const struct mm_as *as, int32_t pid);

/* Live region containing ADDR, or NULL. */
struct mm_region *mm_as_lookup(const struct mm_as_proc *p, uint64_t addr);
/* Every region ever seen (final map then history) / alive at trace time TS
 * (created <= TS < ended).  Stops early when FN returns non-zero. */
typedef int (*mm_region_fn)(void *ctx, struct mm_region *r);
int mm_as_foreach_region(const struct mm_as_proc *p, mm_region_fn fn, void *ctx);
int mm_as_foreach_alive_at(const struct mm_as_proc *p, uint64_t ts,
			   mm_region_fn fn, void *ctx);

/*
 * The operations, applied to one process (mm_as_event() decodes syscalls
 * into these; tests call them directly).  BY says who/when.  Lengths are
 * rounded up to pages as the kernel does.  They return 0, or -1 when the
 * arguments cannot apply (nothing changed; no message: the model counts).
 */
struct mm_as_proc *mm_as_proc_get(struct mm_as *as, int32_t tgid);
int mm_as_load_maps(struct mm_as *as, struct mm_as_proc *p, const char *text,
		    const struct mm_region_event *by);
int mm_as_mmap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
	       uint64_t addr, uint64_t len, unsigned prot, unsigned mapflags,
	       int fd, uint64_t off);
int mm_as_munmap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		 uint64_t addr, uint64_t len);
int mm_as_mprotect(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		   uint64_t addr, uint64_t len, unsigned prot);
/* RESULT is the address mremap returned. */
int mm_as_mremap(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		 uint64_t old, uint64_t old_len, uint64_t new_len, unsigned flags,
		 uint64_t result);
/* RESULT is the break brk returned (brk(0) just learns it). */
int mm_as_brk(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
	      uint64_t result);
int mm_as_madvise(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		  uint64_t addr, uint64_t len, int advice);
int mm_as_shmat(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		int shmid, uint64_t addr, uint64_t size, int shmflg);
int mm_as_shmdt(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by,
		uint64_t addr);
/* remap_file_pages(START, SIZE, 0, PGOFF): the range maps file page PGOFF. */
int mm_as_remap_file_pages(struct mm_as *as, struct mm_as_proc *p,
			   const struct mm_region_event *by, uint64_t start, uint64_t size,
			   uint64_t pgoff);
/* Attribute a fault; returns its region or NULL (counted as unknown). */
/* The class of fault EV (before mm_as_event() applies it): its own class,
 * or for MM_FAULT_UNKNOWN one told by the region it hits (classify.c). */
uint8_t mm_as_fault_class(const struct mm_as *as, const struct mm_event *ev);
struct mm_region *mm_as_fault(struct mm_as *as, struct mm_as_proc *p,
			      const struct mm_event *ev);
void mm_as_fork(struct mm_as *as, struct mm_as_proc *parent, int32_t child_tgid,
		const struct mm_region_event *by);
void mm_as_exit(struct mm_as *as, struct mm_as_proc *p, uint64_t ts);
/* Drop the map (exec); the EXEC snapshot refills it. */
void mm_as_exec(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by);
/* Compare P's map with the maps TEXT (END snapshot); fills p->diffs. */
int mm_as_check(struct mm_as *as, struct mm_as_proc *p, const char *text);

/* The model's estimate of P's resident pages: its live (or final) map's
 * resident pages plus what it could not place (pages_unplaced). */
uint64_t mm_as_resident_pages(const struct mm_as_proc *p);
/* Resident pages of P's map in [lo, hi) (lo, hi page aligned). */
uint64_t mm_as_resident_range(const struct mm_as *as, const struct mm_as_proc *p,
			      uint64_t lo, uint64_t hi);

/* Region helpers. */
static inline uint64_t mm_region_size(const struct mm_region *r) { return r->end - r->start; }
static inline bool mm_region_live(const struct mm_region *r) { return r->ended.how == MM_HOW_NONE; }
/* A buried region has freed its page sets and kept the counts; a live
 * one (or one of a final map) still has its sets. */
static inline bool mm_region_has_sets(const struct mm_region *r)
{
	return mm_region_live(r) || r->ended.how == MM_HOW_EXIT;
}
/* Pages first touched in R's life / still resident (at its end). */
static inline uint64_t mm_region_pages_touched(const struct mm_region *r)
{
	return mm_region_has_sets(r) ? r->touched.count : r->nr_touched;
}
static inline uint64_t mm_region_pages_resident(const struct mm_region *r)
{
	return mm_region_has_sets(r) ? r->resident.count : r->nr_resident;
}
/* Classify r->pat against the region's size; *stride gets the step in
 * pages for MM_PAT_STRIDED (may be NULL). */
enum mm_pattern mm_region_pattern(const struct mm_region *r, uint64_t page_size,
				  int64_t *stride);
const char *mm_pattern_name(enum mm_pattern p);     /* "sequential", ... "-" */
const char *mm_backing_name(enum mm_backing b);     /* "anon", "file", "heap"... */
/* What a region shows in maps: its path, "[heap]", or "" for anon. */
const char *mm_region_label(const struct mm_region *r);
/* A file region's path; NULL when it is no file's or the trace did not
 * name it (yet: "fd N"). */
const char *mm_region_path(const struct mm_region *r);
/* "mmap", "start", "exec", "fork", "fault", "exit", "merge" */
const char *mm_region_how_name(const struct mm_region_event *e);
/* "rw-p" into BUF (5 bytes). */
void mm_region_perms(const struct mm_region *r, char buf[5]);

#endif
