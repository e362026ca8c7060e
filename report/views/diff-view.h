/*
 * report/views/diff-view.h - `memmon diff`'s printer: two traces'
 * profiles (report/analyses/profile.h) compared, as text or JSON.
 */
#ifndef MM_REPORT_VIEWS_DIFF_VIEW_H
#define MM_REPORT_VIEWS_DIFF_VIEW_H

#include <stdbool.h>
#include <stdio.h>

struct mm_profile;

/* Print the comparison of A (from file A_NAME) with B on OUT; 0, or -1
 * with mm_error() set when OUT could not be written. */
int mm_diff_print(FILE *out, bool json, const char *a_name, const struct mm_profile *a,
		  const char *b_name, const struct mm_profile *b);

#endif
