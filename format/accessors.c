/*
 * format/accessors.c - what an open trace file holds, handed out: the
 * reader (reader.c) indexes and checks every section once at open; these
 * only return what it kept (see reader.h).
 */
#include "memmon.h"
#include "file.h"
#include "tracecmd.h"

void mm_file_get_summary(const struct mm_file *f, struct mm_file_summary *s)
{
	*s = f->sum;
}

struct tep_handle *mm_file_tep(const struct mm_file *f)
{
	return f->tep;
}

size_t mm_file_nr_snapshots(const struct mm_file *f)
{
	return f->nr_snaps;
}

const struct mm_snapshot *mm_file_snapshot(const struct mm_file *f, size_t i)
{
	return i < f->nr_snaps ? &f->snaps[i] : NULL;
}

const struct mm_cpu_stats *mm_file_stats(const struct mm_file *f, uint32_t *n)
{
	*n = f->nr_stats;
	return f->stats;
}

const struct mm_cpu_stats *mm_file_stack_stats(const struct mm_file *f, uint32_t *n)
{
	*n = f->nr_stack_stats;
	return f->stack_stats;
}

uint32_t mm_file_nr_cpus(const struct mm_file *f)
{
	return f->nr_cpus;
}

const char *mm_file_probes(const struct mm_file *f)
{
	return f->probes;
}

const char *mm_file_path(const struct mm_file *f)
{
	return f->path;
}

size_t mm_file_nr_format_notes(const struct mm_file *f)
{
	return f->nr_format_notes;
}

const char *mm_file_lacks(const struct mm_file *f)
{
	return mm_tracecmd_lacks(f);
}

const char *mm_file_format_note(const struct mm_file *f, size_t i)
{
	return i < f->nr_format_notes ? f->format_notes[i] : NULL;
}
