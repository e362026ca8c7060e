/*
 * report/model/pagesfile.h - the text of a PAGES snapshot (record/pages.c,
 * memmon-format(5) PAGES): per mapping of a process, its pages as the
 * kernel held them at that moment (pagemap, kpageflags, kpagecount), and
 * with which other watched processes its shared pages were shared.
 *
 * Input comes from trace files: an unknown key is skipped (newer writers
 * may add some), a line that does not parse is an error with its number,
 * counts over the pages read are refused, at most MM_PAGES_MAX_WITH peers
 * per line are kept.
 */
#ifndef MM_REPORT_MODEL_PAGESFILE_H
#define MM_REPORT_MODEL_PAGESFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a line counts, in this order (the keys of the text and of JSON). */
enum mm_pages_field {
	MM_PG_PRESENT, MM_PG_SWAPPED, MM_PG_ZERO, MM_PG_ANON, MM_PG_FILE, MM_PG_ACTIVE,
	MM_PG_INACTIVE, MM_PG_UNEVICTABLE, MM_PG_DIRTY, MM_PG_THP, MM_PG_SHARED,
	MM_PG_NR
};
extern const char *const mm_pages_keys[MM_PG_NR];     /* "present", ... */

#define MM_PAGES_MAX_WITH 64

struct mm_pages_with {
	int32_t pid;
	uint64_t pages;
};

struct mm_pages_entry {
	uint64_t start, end;
	char perms[5];
	const char *path;                /* "" for anonymous memory */
	uint64_t scanned;                /* pages read: all, or a sample */
	bool sampled;
	uint64_t n[MM_PG_NR];            /* of the pages read */
	size_t first_with, nr_with;      /* in mm_pages.with */
};

struct mm_pages {
	uint64_t page_size, limit;       /* the header's: bytes, pages */
	bool pfns;                       /* frames were readable: flags, counts */
	int32_t peers[MM_PAGES_MAX_WITH];
	size_t nr_peers;
	uint64_t peers_left;             /* watched processes not compared */
	struct mm_pages_entry *e;
	size_t n;
	struct mm_pages_with *with;
	size_t nr_with;
	char *text;                      /* private copy the paths point into */
};

/* Parse TEXT (LEN bytes).  -1 with mm_error() set; OUT is then empty. */
int mm_pages_parse(const char *text, size_t len, struct mm_pages *out);
void mm_pages_free(struct mm_pages *p);
/* Entry E's pages (its size in pages of the header's page size). */
uint64_t mm_pages_span(const struct mm_pages *p, const struct mm_pages_entry *e);

#endif
