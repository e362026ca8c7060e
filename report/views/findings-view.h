/*
 * report/views/findings-view.h - the malloc findings' evidence spelled for
 * people (findings-view.c); the views themselves are declared in view.h.
 */
#ifndef MM_REPORT_VIEWS_FINDINGS_VIEW_H
#define MM_REPORT_VIEWS_FINDINGS_VIEW_H

#include <stddef.h>

#include "report/analyses/findings.h"

/* One evidence event as a log-like line ("mmap(0, 266240) -> 7f..."). */
void mm_find_ev_format(const struct mm_find_ev *e, char *buf, size_t len);

#endif
