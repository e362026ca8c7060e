/*
 * tests/unit/minifile.h - the smallest trace file a reader opens: MACHINE
 * (little-endian, 8-byte longs, 4 KiB pages and sub-buffers, NR_CPUS
 * CPUs, CLOCK when not NULL) and the header_page of tests/data/formats,
 * for unit tests that add the sections they check.
 */
#ifndef MM_TESTS_MINIFILE_H
#define MM_TESTS_MINIFILE_H

#include <stdio.h>
#include <stdlib.h>

#include "memmon.h"
#include "format/writer.h"

/* A writer on PATH with MACHINE and header_page written; aborts on error. */
static inline struct mm_writer *t_minimal_writer(const char *path, const char *nr_cpus,
						 const char *clock)
{
	const char *top = getenv("MEMMON_TOP");
	char hp_path[512];
	size_t hlen;
	snprintf(hp_path, sizeof(hp_path), "%s/tests/data/formats/header_page", top ? top : ".");
	char *hp = mm_read_file(hp_path, &hlen);
	struct mm_writer *w = mm_writer_open(path, 1);

	if (!hp || !w)
		abort();
	mm_writer_machine_set(w, MM_KEY_ENDIAN, "little");
	mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "8");
	mm_writer_machine_set(w, MM_KEY_PAGE_SIZE, "4096");
	mm_writer_machine_set(w, MM_KEY_SUBBUF_SIZE, "4096");
	mm_writer_machine_set(w, MM_KEY_NR_CPUS, nr_cpus);
	if (clock)
		mm_writer_machine_set(w, MM_KEY_CLOCK, clock);
	if (mm_writer_machine_flush(w) < 0 || mm_writer_header_page(w, hp, hlen) < 0)
		abort();
	free(hp);
	return w;
}

#endif
