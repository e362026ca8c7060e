/*
 * report/regions.h - the region views built on the address-space model:
 *   --regions      one row per region ever seen, per process
 *   --maps-at T    a pmap -x-like table of the regions alive at T
 *   --check-maps   (hidden, for tests) the rebuilt map against each END
 *                  maps snapshot, region by region
 * as mm_view tables for cmd-report, plus the printers on their own so the
 * default report (top regions) and the unit tests can use them on a model
 * they built.  Field names of the JSON/CSV forms: see regions.c.
 */
#ifndef MM_REPORT_REGIONS_H
#define MM_REPORT_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/view.h"

struct mm_as;

extern const struct mm_view mm_view_regions;
extern const struct mm_view mm_view_maps_at;
extern const struct mm_view mm_view_check_maps;

enum mm_regions_sort { MM_SORT_ADDR, MM_SORT_SIZE, MM_SORT_FAULTS };

struct mm_regions_opts {
	enum mm_output output;
	enum mm_regions_sort sort;
	const int32_t *pids;         /* filter: tgids or tids (NULL = all) */
	size_t nr_pids;
	size_t limit;                /* rows per process, 0 = all */
	bool at_end;                 /* maps-at: the final maps (no cutoff) */
	uint64_t at_ns;              /* maps-at: ns after the first event */
};

/* "size", "faults", "addr" (or NULL: addr) -> sort; -1 when unknown, with
 * mm_error() set. */
int mm_regions_parse_sort(const char *key, enum mm_regions_sort *sort);

/* Print from a finished model (mm_as_finish done).  0, or -1 when OUT
 * failed (mm_error() set). */
int mm_regions_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out);
int mm_maps_at_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out);
/* Prints "maps check: N regions, M differ" and the differences; *differ
 * (may be NULL) gets M. */
int mm_check_maps_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out,
			size_t *differ);

#endif
