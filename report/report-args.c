/*
 * report/report-args.c - the values of report's options that are more
 * than a word (report-args.h): an interval, a moment, a list of pids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/report-args.h"

/* --timeline=INTERVAL: "10ms", "2s", "500us", or plain seconds. */
int mm_report_parse_interval(const char *arg, uint64_t *interval_ns)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
	};
	char *end;
	double v = strtod(arg, &end);
	for (size_t i = 0; end != arg && i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (!(v > 0) || v * units[i].ns < 1000 || v * units[i].ns > 1e15)
			break;
		*interval_ns = (uint64_t)(v * units[i].ns + 0.5);
		return 0;
	}
	return mm_error("--timeline=%s: not an interval (10ms, 2s, 500us: at least 1us)", arg);
}

/* --maps-at TIME: seconds from the first event ("1.5"), or "end". */
int mm_report_parse_time(const char *arg, uint64_t *at_ns)
{
	if (!strcmp(arg, "end")) {
		*at_ns = 0;
		return 0;
	}
	char *end;
	double sec = strtod(arg, &end);
	if (end == arg || *end || !(sec >= 0) || sec > 1e9)
		return mm_error("--maps-at %s: not a time (seconds from the first event, or 'end')", arg);
	*at_ns = (uint64_t)(sec * 1e9 + 0.5);
	/* 0 means "the end" to the views: the very start is its first ns */
	if (!*at_ns)
		*at_ns = 1;
	return 0;
}

int mm_report_parse_pages_at(const char *arg, bool *at_start)
{
	if (strcmp(arg, "end") && strcmp(arg, "start"))
		return mm_error("--pages=%s: takes 'end' or 'start'", arg);
	*at_start = !strcmp(arg, "start");
	return 0;
}

int mm_report_parse_pids(const char *arg, int32_t *pids, size_t *n, size_t max)
{
	const char *p = arg;
	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v <= 0 || v > INT32_MAX || (*end && *end != ','))
			return mm_error("--pid %s: not a pid (a process or task id, or a list: 123,456)",
					arg);
		if (*n == max)
			return mm_error("--pid %s: too many pids (at most %zu)", arg, max);
		pids[(*n)++] = (int32_t)v;
		p = *end ? end + 1 : end;
	}
	return *n ? 0 : mm_error("--pid %s: not a pid (a process or task id, or a list: "
					 "123,456)", arg);
}
