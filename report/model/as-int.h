/*
 * report/model/as-int.h - the address-space model's private state, shared
 * by the files that implement report/model/addrspace.h (see its comment
 * for the design; report/model/README for who does what):
 *   procs.c       process table, interned names, int maps, life cycle
 *   livemap.c     the sorted live map: find, insert, cut, bury, merge
 *   operations.c  mmap, munmap, mprotect, mremap, brk, madvise, shm,
 *                 faults, fork, exit, exec
 *   snapshots.c   maps snapshots: queued, replayed in time, loaded
 *   mapscheck.c   the END check: the rebuilt map against maps
 *   names.c       file names learnt from snapshots and passed along
 *   events.c      mm_as_event(): memmon events into operations
 *   pageset.c, region.c  page sets; a region's names and access pattern
 * Helpers named as_* are internal to the model.
 */
#ifndef MM_REPORT_MODEL_AS_INT_H
#define MM_REPORT_MODEL_AS_INT_H

#include "memmon.h"
#include "report/model/addrspace.h"
#include "report/model/origin.h"

struct mm_maps;

#define MM_AS_PLACE_BUDGET (1ull << 26)     /* pages: 256 GiB of 4 KiB pages */
#define MM_AS_WALK_BUDGET  (1ull << 27)

struct snap {
	int32_t pid;
	int kind;                   /* enum mm_snapshot_kind */
	int phase;
	uint64_t ts;
	const char *text;
};

struct shm_seg {
	int id;
	uint64_t key, size;
};

/* One observer of the model (mm_as_add_hooks). */
struct hook_slot {
	struct mm_as_hooks h;
	void *ctx;
};

/* Open-addressing int map (pid -> value); 0 is never a valid key. */
struct imap {
	int32_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

/* symbols.c: the trace's ELF objects and the files that are them. */
struct mm_elf_object;
struct mm_mapent;
struct mm_stack;
struct as_file_ent {
	uint32_t maj, min;
	uint64_t ino;
	const char *path;           /* interned */
	const struct mm_elf_object *obj;
};
struct as_syms {
	const struct mm_elf_object **objs;
	size_t nr_objs;
	struct as_file_ent *files;
	size_t nr_files, cap_files;
	size_t last;                /* the last file found: the next is likely it */
};

/* mapents.c: each task's file-mapping records, in its order. */
struct as_mapq_task { uint32_t next, end; };
struct as_mapq {
	const struct mm_mapent **v; /* grouped by tid, in record order */
	size_t n;
	struct as_mapq_task *tasks;
	size_t nr_tasks;
	struct imap idx;            /* tid -> tasks[] index + 1 */
	uint64_t lost;              /* records the kernel dropped */
};

/* stacks.c: interned stacks. */
struct as_stacks {
	struct mm_stack **v;        /* id - 1 */
	size_t n, cap;
	uint32_t *hash;             /* open addressing: id, 0 empty */
	size_t hcap;
	uint32_t current;           /* the event being applied */
};

/* demangle.c: symbol names as stored -> as the source spells them
 * (open addressing by the stored name's address; val NULL: as stored). */
struct as_demangled {
	const char **key;
	char **val;
	size_t cap, n;
	bool off;                   /* --no-demangle */
};
/* NAME demangled, or NAME itself (not mangled, refused, or off). */
const char *as_demangle(struct mm_as *as, const char *name);
void as_demangle_free(struct mm_as *as);

struct mm_as {
	uint64_t page_size;
	unsigned page_shift;
	uint64_t cutoff_rel, cutoff_abs;
	bool have_t0, frozen;
	uint64_t t0;
	uint64_t last_ts;           /* the latest event applied */
	uint32_t next_id;
	uint64_t rss_faults;        /* faults and calls that carried rss changes:
	                             * the trace has per-change counters */
	/* What placing pages no fault of their own brought may still cost
	 * (resident.c): pages added to sets, regions walked.  A hostile trace
	 * cannot make the model big or slow; a real one never gets near. */
	uint64_t place_budget;      /* from MM_AS_PLACE_BUDGET pages */
	uint64_t walk_budget;       /* from MM_AS_WALK_BUDGET region visits */

	struct mm_as_proc **procs;
	size_t nr_procs, cap_procs;
	struct imap proc_idx;       /* tgid -> index in procs (latest) */
	struct imap tid_tgid;       /* thread -> its process */

	struct snap *snaps;
	size_t nr_snaps, cap_snaps, snap_next;
	bool snaps_sorted;
	/* mm_as_event()'s row of malloc calls: its task, and the time to
	 * which nothing is due (a snapshot, the cutoff) */
	int32_t heap_last_pid, heap_last_tgid;
	uint64_t heap_until;

	struct shm_seg *shm;
	size_t nr_shm, cap_shm;

	char **names;               /* interned strings (open addressing) */
	size_t cap_names, nr_names;
	struct as_demangled demangled;  /* demangle.c */

	struct hook_slot *hooks;    /* observers, in the order added */
	size_t nr_hooks, cap_hooks;

	struct mm_origin origin;    /* whom the trace is of (from the file) */

	struct as_syms syms;
	struct as_mapq mapq;
	struct as_stacks stacks;
};


/* Tell every observer that has hook NAME (a member of struct mm_as_hooks). */
#define NOTIFY(as, name, ...) do {						\
	for (size_t h_ = 0; h_ < (as)->nr_hooks; h_++)				\
		if ((as)->hooks[h_].h.name)					\
			(as)->hooks[h_].h.name((as)->hooks[h_].ctx, __VA_ARGS__); \
} while (0)

static inline uint64_t as_page_up(const struct mm_as *as, uint64_t v)
{
	return (v + as->page_size - 1) & ~(as->page_size - 1);
}

static inline uint64_t as_vpn(const struct mm_as *as, uint64_t addr)
{
	return addr >> as->page_shift;
}

/* First index whose region ends above ADDR. */
static inline size_t as_find_idx(const struct mm_as_proc *p, uint64_t addr)
{
	return MM_PARTITION_POINT(p->nr_map, i, p->map[i]->end <= addr);
}

/* procs.c */
void as_imap_put(struct imap *m, int32_t key, uint32_t val);
bool as_imap_get(const struct imap *m, int32_t key, uint32_t *val);
/* The one copy of S owned by AS (names compare by pointer). */
const char *as_intern(struct mm_as *as, const char *s);
struct mm_as_proc *as_proc_new(struct mm_as *as, int32_t tgid);

/* region.c: one more first touch at VPN (VERY_FIRST: the region's first). */
void as_pattern_touch(struct mm_pattern_state *st, uint64_t vpn, bool very_first);

/* livemap.c */
void as_map_insert(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r);
void as_map_remove_at(struct mm_as_proc *p, size_t i);
struct mm_region *as_region_new(struct mm_as *as, uint64_t start, uint64_t end,
				const struct mm_region_event *by);
struct mm_region *as_region_piece(struct mm_as *as, const struct mm_region *t,
				  uint64_t start, uint64_t end,
				  const struct mm_region_event *by);
void as_bury(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r,
	     const struct mm_region_event *by);
void as_move_pages(struct mm_as *as, struct mm_region *dst, struct mm_region *src,
		   uint64_t lo, uint64_t hi, int64_t delta);
struct mm_region *as_cut(struct mm_as *as, struct mm_as_proc *p, size_t i,
			 uint64_t lo, uint64_t hi, const struct mm_region_event *by);
void as_unmap_range(struct mm_as *as, struct mm_as_proc *p, uint64_t lo, uint64_t hi,
		    const struct mm_region_event *by);
void as_merge_around(struct mm_as *as, struct mm_as_proc *p, uint64_t lo, uint64_t hi,
		     uint64_t ts);
void as_drop_map(struct mm_as *as, struct mm_as_proc *p, const struct mm_region_event *by);

/* operations.c: a shmget's result, for the shmat that follows. */
void as_note_shmget(struct mm_as *as, int id, uint64_t key, uint64_t size);

/* snapshots.c: replay queued snapshots taken at or before TS (and not
 * past the cutoff). */
void as_replay_snapshots(struct mm_as *as, uint64_t ts);

/* resident.c: the pages a fault made resident (placed in R, which holds
 * the fault); what a syscall's rss change says (after the operation was
 * applied); an rss event (what no fault or memory syscall carries: inside
 * another syscall, or the kernel's own); kernel-mode fault accounting; smaps snapshots
 * (START/EXEC: seed what was resident; END: kept for the views). */
uint64_t as_fault_pages(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r,
			const struct mm_fault *f);
void as_syscall_pages(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev);
bool as_syscall_dropped(const struct mm_as *as, const struct mm_syscall *s);
void as_rss_event(struct mm_as *as, struct mm_as_proc *p, const struct mm_event *ev);
void as_kernel_fault_count(struct mm_as *as, struct mm_as_proc *p, struct mm_region *r,
			   const struct mm_fault *f, uint64_t pages);
void as_seed_from_smaps(struct mm_as *as, struct mm_as_proc *p, const char *text);
/* C was just forked (mm_as_fork): keep the pages fork copies, and the
 * kernel's count of them (F: the FORK event). */
void as_fork_pages(struct mm_as *as, struct mm_as_proc *c, const struct mm_proc *f);
void as_keep_smaps_end(struct mm_as_proc *p, const char *text);
void as_keep_status_end(struct mm_as_proc *p, const char *text);

/* events.c: apply the kernel-mode faults P kept during its execve (the
 * new map is there, or will not come). */
void as_flush_deferred(struct mm_as *as, struct mm_as_proc *p);
/* watched.c: when P was watched, from EV (before it is applied); a fork
 * child C from its fork at TS. */
void as_watch_event(struct mm_as_proc *p, const struct mm_event *ev);
void as_watch_fork(struct mm_as_proc *c, uint64_t ts);

/* symbols.c, mapents.c, stacks.c (from the file; freed with the model) */
struct mm_file;
void as_syms_load(struct mm_as *as, struct mm_file *f);
void as_syms_free(struct mm_as *as);
void as_mapq_load(struct mm_as *as, struct mm_file *f);
void as_mapq_free(struct mm_as *as);
/* Name file region R, just mapped by task TID with PROT, from TID's next
 * mapping record; false when none matches. */
bool as_mapq_name(struct mm_as *as, int32_t tid, struct mm_region *r, unsigned prot);
/* TID's mprotect of [LO, HI) to PROT: its records are passed. */
void as_mapq_mprotect(struct mm_as *as, int32_t tid, uint64_t lo, uint64_t hi, unsigned prot);
void as_stacks_free(struct mm_as *as);

/* names.c */
void as_learn_names(struct mm_as *as, struct mm_as_proc *p, const struct mm_maps *m);
void as_propagate_names(struct mm_as_proc *p);
void as_learn_from_later(struct mm_as *as);
void as_share_fork_names(struct mm_as *as);

#endif
