/*
 * report/views/frames-view.h - record --frames' frames in the views that
 * show them (frames-view.c): --context (whenever the trace has frames) and
 * --regions --frames, text and JSON, from the tally of
 * report/analyses/frames.h.
 *
 * JSON: "frames": { "taken", "given", "taken_pages", "given_pages",
 *   "use": { "faulted", "page_table", "user", "kernel" }, "untracked",
 *   "zones": [ { "node", "zone" (null: in no zone of zoneinfo),
 *                "start_pfn", "spanned", "taken", "given", "taken_pages",
 *                "given_pages", "orders": [ { "order", "name" ("THP" or
 *                null), "taken", "given" } ] } ] }     (orders with none
 *   left out; zones with none too)
 * A region (--regions --frames): "frames": { "taken", "given",
 *   "taken_pages", "given_pages", "zones": { NAME: taken } } or null when
 *   no frame served its faults.
 */
#ifndef MM_REPORT_VIEWS_FRAMES_VIEW_H
#define MM_REPORT_VIEWS_FRAMES_VIEW_H

#include <stdint.h>
#include <stdio.h>

struct mm_frames;
struct mm_json;
struct mm_region;

/* The table by zone and order, and what the frames taken were for. */
void mm_frames_print_text(const struct mm_frames *fr, FILE *out);
/* "frames": {...} into J's open object. */
void mm_frames_print_json(const struct mm_frames *fr, struct mm_json *j);
/* A region's line under its process's table ("  RANGE LABEL: taken N
 * (P pages: Normal N), given back M (Q pages)"), nothing when none. */
void mm_frames_region_text(const struct mm_frames *fr, int32_t tgid, const struct mm_region *r,
			   FILE *out);
/* A region's "frames" into J's open object (null when none). */
void mm_frames_region_json(const struct mm_frames *fr, int32_t tgid, const struct mm_region *r,
			   struct mm_json *j);

#endif
