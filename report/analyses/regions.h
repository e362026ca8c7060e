/*
 * report/analyses/regions.h - facts about regions and processes read off a
 * finished address-space model, for the region views and the default page:
 * a process's regions in a chosen order, and a process's totals over every
 * region it had (faults by class, pages first touched), its lifetime and
 * its memory syscalls, most frequent first.
 */
#ifndef MM_REPORT_ANALYSES_REGIONS_H
#define MM_REPORT_ANALYSES_REGIONS_H

#include <stddef.h>
#include <stdint.h>

#include "report/model/addrspace.h"

enum mm_regions_sort { MM_SORT_ADDR, MM_SORT_SIZE, MM_SORT_FAULTS };

/* "size", "faults", "addr" (or NULL: addr) -> sort; -1 when unknown, with
 * mm_error() set. */
int mm_regions_parse_sort(const char *key, enum mm_regions_sort *sort);

/* Every region of a process (final map and history), in the chosen order:
 * by address (then creation time, then id), by size or by faults (largest
 * first, ties by the next key).  R is the caller's to free(). */
struct mm_region_rows {
	struct mm_region **r;
	size_t n, cap;
};
void mm_region_rows(const struct mm_as_proc *p, enum mm_regions_sort sort,
		    struct mm_region_rows *s);

/* Totals of one process, summed over every region it ever had (and the
 * faults outside every region). */
struct mm_proc_totals {
	uint64_t faults[MM_FAULT_NR];
	uint64_t nr_faults, touched;
	size_t regions;
};
void mm_proc_totals(const struct mm_as_proc *p, struct mm_proc_totals *t);
/* Seconds from its first event (a START snapshot may predate the trace)
 * to its exit, or to the end of the recording while it runs. */
double mm_proc_lifetime_s(const struct mm_as *as, const struct mm_as_proc *p);
/* How it ended, in words: "exit status 0", "killed by SIGSEGV", "exited"
 * (status unknown), "still running" (at the end of the recording). */
void mm_proc_ending(const struct mm_as_proc *p, char *buf, size_t len);
/* The memory syscalls P made, most frequent first (ties: lower number
 * first) into ORDER; returns how many. */
size_t mm_proc_calls_by_count(const struct mm_as_proc *p, int order[MM_SYS_NR]);

#endif
