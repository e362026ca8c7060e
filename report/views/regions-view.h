/*
 * report/views/regions-view.h - the printers of the region views, on their
 * own so that the default page (top regions) and the unit tests can use
 * them on a model they built:
 *   --regions      one row per region ever seen, per process (regions-view.c)
 *   --maps-at T    a pmap -x-like table of the regions alive at T (maps-view.c)
 *   --check-maps   (hidden, for tests) the rebuilt map against each END
 *                  maps snapshot, region by region (maps-view.c)
 * The view tables themselves are declared in view.h.  Field names of the
 * JSON/CSV forms: see the two files.
 */
#ifndef MM_REPORT_VIEWS_REGIONS_VIEW_H
#define MM_REPORT_VIEWS_REGIONS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/analyses/regions.h"
#include "report/views/view.h"

struct mm_as;
struct mm_frames;

struct mm_regions_opts {
	enum mm_output output;
	enum mm_regions_sort sort;
	const int32_t *pids;         /* filter: tgids or tids (NULL = all) */
	size_t nr_pids;
	size_t limit;                /* rows per process, 0 = all */
	bool at_end;                 /* maps-at: the final maps (no cutoff) */
	uint64_t at_ns;              /* maps-at: ns after the first event */
	const struct mm_report_opts *report;  /* trace facts (lost events), or NULL */
	/* --between: only the regions that lived in the window, each with the
	 * faults and first touches it took there (NULL: the whole trace) */
	const struct mm_window *window;
	/* --regions --frames: the frames that served each region's faults
	 * (report/views/frames-view.h), NULL without */
	const struct mm_frames *frames;
};

/* Print from a finished model (mm_as_finish done).  0, or -1 when OUT
 * failed (mm_error() set). */
int mm_regions_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out);
int mm_maps_at_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out);
/* Prints "maps check: N regions, M differ" and the differences; *differ
 * (may be NULL) gets M. */
int mm_check_maps_print(struct mm_as *as, const struct mm_regions_opts *o, FILE *out,
			size_t *differ);

#endif
