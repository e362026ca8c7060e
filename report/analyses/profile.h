/*
 * report/analyses/profile.h - one trace summed up per process, in the terms
 * `memmon diff` compares two runs by: faults by class and access, memory
 * syscalls, peak resident and mapped size, regions by backing and name,
 * the malloc findings.
 *
 * Built from a finished model (report/model/), the timeline engine's rows
 * (the peaks) and the findings engine's list, all fed the same events by
 * the caller (cmd-diff.c); it copies what it keeps, so those may be freed
 * afterwards.  It never prints: report/views/diff-view.c does.
 */
#ifndef MM_REPORT_ANALYSES_PROFILE_H
#define MM_REPORT_ANALYSES_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"

struct mm_as;
struct mm_timeline;
struct mm_findings;

/* The regions of one backing and name ("file /usr/lib/.../libc.so.6",
 * "anon", "heap [heap]"): how many were made (a region split by mprotect
 * and the like still counts once: its lineage), the bytes they covered
 * when made or at their largest as the model knows them, and the bytes
 * still mapped at the end (or at the process's exit), and their faults. */
struct mm_profile_regions {
	char *key;                   /* "BACKING NAME" or "BACKING" */
	uint64_t made, bytes, end_bytes;
	uint64_t faults;             /* taken in them */
};

struct mm_profile_proc {
	int32_t tgid;
	char comm[16];
	char *exe;                   /* "" when not known */
	uint64_t faults[MM_FAULT_NR][MM_ACCESS_NR];
	uint64_t kernel_faults;
	uint64_t syscalls[MM_SYS_NR];
	uint64_t peak_rss, peak_vsz; /* bytes, of its last program image
	                              * (after its last exec); rss: the
	                              * kernel's counters (file+anon+shmem) */
	struct mm_profile_regions *regions;   /* sorted by key */
	size_t nr_regions;
	char **findings;             /* ids, sorted, repeated ones once */
	size_t nr_findings;
};

struct mm_profile {
	struct mm_profile_proc *procs;   /* in order of first appearance */
	size_t nr;
};

/* Sum up every process of AS (finished), with the peaks of TL and the
 * findings of FS (both finished; either may be NULL).  Never fails (dies on ENOMEM). */
void mm_profile_build(struct mm_profile *pr, const struct mm_as *as,
		      const struct mm_timeline *tl, const struct mm_findings *fs);
void mm_profile_free(struct mm_profile *pr);

/* Faults of P in all. */
uint64_t mm_profile_faults(const struct mm_profile_proc *p);

#endif
