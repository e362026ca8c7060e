/*
 * format/machine.c - the MACHINE section's keys (layout.h: MM_KEY_*): split
 * once at open, the ones the reader needs checked (byte order, word and
 * page sizes, the sub-buffer, the CPUs, the clock), the rest kept for
 * mm_file_machine().  Values come from a file: every number is range-
 * checked before it sizes anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "file.h"


const char *mm_file_machine(const struct mm_file *f, const char *key)
{
	for (size_t i = 0; i < f->nr_kv; i++)
		if (!strcmp(f->kv[i].key, key))
			return f->kv[i].value;
	return NULL;
}

/* Split "key=value\n" lines in place; lines without '=' are ignored. */
void mm_file_split_machine(struct mm_file *f)
{
	size_t cap = 0;

	for (char *line = f->machine_text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (f->nr_kv == cap) {
			cap = cap ? 2 * cap : 32;
			f->kv = mm_realloc(f->kv, cap * sizeof(*f->kv));
		}
		f->kv[f->nr_kv++] = (struct mm_kv){ line, eq + 1 };
	}
}

static int machine_u32(const struct mm_file *f, const char *key, uint32_t lo,
		       uint32_t hi, uint32_t *out)
{
	const char *v = mm_file_machine(f, key);
	char *end;
	unsigned long long n;

	if (!v)
		return mm_error("'%s': machine section has no '%s'", f->path, key);
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi)
		return mm_error("'%s': machine section has a bad %s '%s'", f->path, key, v);
	*out = n;
	return 0;
}

/* clock x86-tsc: the rate that turns its ticks into ns (layout.h). */
static int parse_clock(struct mm_file *f)
{
	const char *clock = mm_file_machine(f, MM_KEY_CLOCK), *hz = mm_file_machine(f, MM_KEY_TSC_HZ);
	unsigned long long v;
	char *end;

	if (!clock || strcmp(clock, "x86-tsc"))
		return 0;
	errno = 0;
	v = hz ? strtoull(hz, &end, 10) : 0;
	/* 1 MHz to 100 GHz: anything else is not a TSC */
	if (!hz || errno || end == hz || *end || v < 1000000ull || v > 100000000000ull)
		return mm_error("'%s': machine section has clock x86-tsc and a bad or no %s",
				f->path, MM_KEY_TSC_HZ);
	f->tsc_mult = (uint64_t)(((unsigned __int128)1000000000ull << 32) / v);
	return 0;
}

int mm_file_parse_machine(struct mm_file *f)
{
	const char *endian;
	uint32_t long_size;

	mm_file_split_machine(f);
	endian = mm_file_machine(f, MM_KEY_ENDIAN);
	if (!endian || (strcmp(endian, "little") && strcmp(endian, "big")))
		return mm_error("'%s': machine section has a bad or no endian", f->path);
	f->big_endian = !strcmp(endian, "big");
	if (machine_u32(f, MM_KEY_LONG_SIZE, 4, 8, &long_size) < 0 ||
	    (long_size != 4 && long_size != 8))
		return mm_error("'%s': machine section has a bad or no long_size", f->path);
	f->long_size = long_size;
	if (machine_u32(f, MM_KEY_PAGE_SIZE, 512, 1u << 30, &f->page_size) < 0 ||
	    machine_u32(f, MM_KEY_SUBBUF_SIZE, 64, MM_MAX_CHUNK_RAW, &f->subbuf_size) < 0 ||
	    machine_u32(f, MM_KEY_NR_CPUS, 1, MM_MAX_CPUS, &f->nr_cpus) < 0)
		return -1;
	/* each CPU's ring, then its stacks ring (STACK_CHUNK sections) */
	f->nr_rings = 2 * f->nr_cpus;
	f->cpus = mm_calloc(f->nr_rings, sizeof(*f->cpus));
	f->sum.nr_cpus = f->nr_cpus;
	return parse_clock(f);
}
