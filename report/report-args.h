/*
 * report/report-args.h - parsing the values of `memmon report`'s options
 * (report-args.c); each returns 0, or -1 with mm_error() naming the option
 * and what it takes.
 */
#ifndef MM_REPORT_ARGS_H
#define MM_REPORT_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --timeline=INTERVAL: "10ms", "2s", "500us", or plain seconds (>= 1us). */
int mm_report_parse_interval(const char *arg, uint64_t *interval_ns);
/* --maps-at TIME: seconds from the first event, or "end" (0). */
int mm_report_parse_time(const char *arg, uint64_t *at_ns);
/* --pages=WHEN: "end" (false) or "start" (true). */
int mm_report_parse_pages_at(const char *arg, bool *at_start);
/* --pid PID[,PID...] appended to PIDS[*N], at most MAX in all. */
int mm_report_parse_pids(const char *arg, int32_t *pids, size_t *n, size_t max);

#endif
