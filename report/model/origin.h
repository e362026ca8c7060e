/*
 * report/model/origin.h - whom a trace is of, and when it was taken.
 *
 * `record -- CMD` forks a child that stays a copy of memmon until it
 * execs CMD: that child's life before its first exec (a few faults in
 * memmon's code, memmon's own map, "comm memmon -> CMD") is the
 * recorder's, not the target's, and is left out of every view.
 * `record -p PID` attaches to processes that ran before: their program
 * and age come from /proc at attach (MACHINE's attached.PID keys), their
 * comm from the START status snapshot.  The recording's own span is the
 * START and END system snapshots' (a quiet process may have no event).
 */
#ifndef MM_REPORT_MODEL_ORIGIN_H
#define MM_REPORT_MODEL_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"

struct mm_file;

struct mm_attached {
	int32_t pid;
	char comm[16];             /* START status Name: ("" unknown) */
	char exe[256];             /* /proc/PID/exe at attach ("" unknown) */
	bool have_age;
	double age_s;              /* seconds it had run when record attached */
};

struct mm_origin {
	bool spawned;              /* record -- CMD */
	int32_t spawned_pid;       /* its child, a copy of memmon until exec */
	bool held;                 /* (filter state) that child not exec'd yet */
	struct mm_attached *attached;   /* record -p: one per pid */
	size_t nr_attached;
	bool have_span;
	uint64_t start_ts, end_ts; /* trace clock: tracing armed / stopped */
};

/* Read F's MACHINE values and snapshots into O (free with
 * mm_origin_free).  Never fails: what a file lacks stays unknown. */
void mm_origin_read(struct mm_file *f, struct mm_origin *o);
void mm_origin_free(struct mm_origin *o);
/* Is EV the target's (true) or the held child's before its exec?  Feed
 * every event in order: the spawned child's execve (its entry, the first
 * event of CMD) ends the hold. */
bool mm_origin_keep(struct mm_origin *o, const struct mm_event *ev);
/* The attach facts of PID, or NULL. */
const struct mm_attached *mm_origin_attached(const struct mm_origin *o, int32_t pid);

#endif
