/*
 * report/views/maps-end-view.h - --maps-at end from the kernel's END smaps
 * (maps-end-view.c), used by maps-view.c for each process that has one.
 */
#ifndef MM_REPORT_VIEWS_MAPS_END_VIEW_H
#define MM_REPORT_VIEWS_MAPS_END_VIEW_H

#include <stdio.h>

struct mm_as;
struct mm_as_proc;
struct mm_json;
struct mm_csv;

void mm_maps_end_text_proc(const struct mm_as *as, const struct mm_as_proc *p, FILE *out);
void mm_maps_end_json_proc(struct mm_json *j, const struct mm_as *as, const struct mm_as_proc *p);
/* The columns of maps-view.c's CSV header, in its order. */
void mm_maps_end_csv_proc(struct mm_csv *c, const struct mm_as *as, const struct mm_as_proc *p);

#endif
