/*
 * report/model/mapsfile.h - the text of /proc/PID/maps: parse it into
 * entries and print an entry back exactly as the kernel does
 * (fs/proc/task_mmu.c), so a snapshot can be read, compared and shown
 * pmap-like.
 *
 * Parsing is strict about the fixed columns (range, perms, offset, dev,
 * inode) and lenient about the name (everything after the padding, spaces
 * and " (deleted)" included).  Input comes from trace files, so a bad line
 * is an error with its number, never a crash.
 */
#ifndef MM_REPORT_MODEL_MAPSFILE_H
#define MM_REPORT_MODEL_MAPSFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mm_maps_entry {
	uint64_t start, end;
	uint64_t offset;
	uint64_t ino;
	uint32_t dev_major, dev_minor;
	uint8_t prot;            /* MM_PROT_R|W|X (PROT_* values) */
	bool shared;             /* 's' rather than 'p' */
	const char *name;        /* "" for anonymous; points into the copy */
};

struct mm_maps {
	struct mm_maps_entry *e;
	size_t n;
	char *text;              /* private copy the names point into */
};

/* Parse TEXT (LEN bytes, NUL not needed).  -1 with mm_error() set on a
 * malformed line; OUT is then empty. */
int mm_maps_parse(const char *text, size_t len, struct mm_maps *out);
void mm_maps_free(struct mm_maps *m);
/* One line (NUL-terminated, writable: the name stays in it, as E->name);
 * false when it is not a maps line. */
bool mm_maps_parse_line(char *line, struct mm_maps_entry *e);

/* One line as the kernel prints it, without the newline.  Returns the
 * length it needed (snprintf-style). */
int mm_maps_format(const struct mm_maps_entry *e, char *buf, size_t len);

#endif
