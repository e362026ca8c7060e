/*
 * report/model/smapsfile.h - the text of /proc/PID/smaps: each mapping's
 * maps line and the kernel's own count of its pages (Rss, Pss, clean and
 * dirty, Swap, AnonHugePages, Locked), all in KiB as the file has them.
 *
 * record takes it with every maps snapshot; the model uses the EXEC and
 * START ones to know what was resident before the first event, and the END
 * one is the truth that --maps-at end prints and checks the estimate
 * against.  Input comes from trace files: a line that is neither a mapping
 * nor "Key: N kB" is skipped, a mapping line that does not parse is an
 * error with its number.
 */
#ifndef MM_REPORT_MODEL_SMAPSFILE_H
#define MM_REPORT_MODEL_SMAPSFILE_H

#include <stddef.h>
#include <stdint.h>

#include "report/model/mapsfile.h"

enum mm_smaps_field {
	MM_SMAPS_RSS, MM_SMAPS_PSS, MM_SMAPS_SHARED_CLEAN, MM_SMAPS_SHARED_DIRTY,
	MM_SMAPS_PRIVATE_CLEAN, MM_SMAPS_PRIVATE_DIRTY, MM_SMAPS_ANONYMOUS,
	MM_SMAPS_SWAP, MM_SMAPS_ANON_HUGE, MM_SMAPS_LOCKED,
	MM_SMAPS_NR
};

struct mm_smaps_entry {
	struct mm_maps_entry map;        /* the mapping's maps line */
	uint64_t kb[MM_SMAPS_NR];        /* 0 when the file lacks a field */
};

struct mm_smaps {
	struct mm_smaps_entry *e;
	size_t n;
	char *text;                      /* private copy the names point into */
};

/* Parse TEXT (LEN bytes).  -1 with mm_error() set on a malformed mapping
 * line; OUT is then empty. */
int mm_smaps_parse(const char *text, size_t len, struct mm_smaps *out);
void mm_smaps_free(struct mm_smaps *s);
/* Dirty pages of an entry (shared + private), KiB. */
static inline uint64_t mm_smaps_dirty_kb(const struct mm_smaps_entry *e)
{
	return e->kb[MM_SMAPS_SHARED_DIRTY] + e->kb[MM_SMAPS_PRIVATE_DIRTY];
}

#endif
