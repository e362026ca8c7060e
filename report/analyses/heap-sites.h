/*
 * report/analyses/heap-sites.h - the rows of report --leaks and
 * --allocations: a process's malloc call sites (report/model/heap.h),
 * named and grouped.
 *
 * A site is one call instruction: the return address the allocation
 * function was called with, named as the code that faults is named
 * (symbols.h: "map_blocks+0x1c [prog]") in the process's map at the
 * site's first call.  Two calls in one function are two sites
 * (map_blocks+0x1c, map_blocks+0x3a); the same call instruction reached
 * at another address of one process image (a library dlclose()d and
 * loaded again elsewhere) is one row, its counters summed (its peak_live
 * the larger: the two never peaked together knowingly).  The rows are
 * grouped by function: the functions by their sites' total (leaked bytes
 * for --leaks, bytes asked for otherwise), most first, and within one its
 * sites, most first; a site no symbol names is a group of its own.
 */
#ifndef MM_REPORT_ANALYSES_HEAP_SITES_H
#define MM_REPORT_ANALYSES_HEAP_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/model/heap.h"

struct mm_as;
struct mm_stack;

struct mm_heap_row {
	const struct mm_heap_site *s;   /* the site, or the sum of the merged ones
	                                 * (site: the lowest address) */
	struct mm_heap_site *sum;       /* that sum, owned; NULL: not merged */
	const struct mm_stack *name;    /* its name (one frame), NULL: unnamed */
	uint64_t group;                 /* its function's total (the rows' order) */
	uint64_t group_first;           /* the lowest site address of its function's rows */
};

/* (a row points at its site: a few words each, whatever a hostile file's
 * MM_HEAP_MAX_SITES sites hold) */
struct mm_heap_rows {
	struct mm_heap_row *v;
	uint32_t nr, cap;
};

/* The rows of process TGID of H into R (replacing what it held): its
 * sites with leaks (LEAKS) or with calls, named from AS (NULL: by
 * address), merged and ordered as above. */
void mm_heap_rows_of(struct mm_heap_rows *r, const struct mm_heap *h, struct mm_as *as,
		     int32_t tgid, bool leaks);
void mm_heap_rows_free(struct mm_heap_rows *r);
/* ROW's site as text into BUF: its name, or its address in hex. */
void mm_heap_row_site(const struct mm_heap_row *row, char *buf, size_t n);

#endif
