/*
 * report/overview.h - the default page of `memmon report` (no view flags):
 * a summary line per process and its top regions by faults.
 */
#ifndef MM_REPORT_OVERVIEW_H
#define MM_REPORT_OVERVIEW_H

#include "report/view.h"

extern const struct mm_view mm_view_overview;

#endif
