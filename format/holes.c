/*
 * format/holes.c - which bytes of an event no field covers (see holes.h
 * for why record zeroes them), read from the event's format text.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "holes.h"

/* A field or layout past this is not a tracepoint's: trust nothing. */
#define MAX_LAYOUT (MM_HOLES_SPAN * 16)

/* The number after KEY in LINE ("offset:16;"), or -1. */
static long number_after(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	char *end;
	long v;

	if (!p)
		return -1;
	v = strtol(p + strlen(key), &end, 10);
	return end == p + strlen(key) || *end != ';' || v < 0 ? -1 : v;
}

struct layout {
	long id;
	bool fields, dynamic, bad;
	uint32_t end;                          /* past the last field */
	unsigned char covered[MM_HOLES_SPAN];
};

static void read_line(struct layout *lo, const char *line)
{
	long off, size;

	if (!strncmp(line, "ID: ", 4)) {
		char *end;
		lo->id = strtol(line + 4, &end, 10);
		if (end == line + 4 || *end)
			lo->id = -1;
		return;
	}
	if (strncmp(line, "field:", 6))
		return;
	off = number_after(line, "offset:");
	size = number_after(line, "size:");
	if (off < 0 || size < 0 || off + size > MAX_LAYOUT) {
		lo->bad = true;
		return;
	}
	lo->fields = true;
	/* its data lives past the fixed fields, at a place only the event knows */
	if (strstr(line, "__data_loc") || strstr(line, "__rel_loc") || size == 0)
		lo->dynamic = true;
	if ((uint32_t)(off + size) > lo->end)
		lo->end = (uint32_t)(off + size);
	for (long i = off; i < off + size && i < MM_HOLES_SPAN; i++)
		lo->covered[i] = 1;
}

unsigned mm_holes_add_format(struct mm_holes *h, const char *text, size_t len)
{
	struct layout lo = { .id = -1 };
	const char *p = text, *stop = text + len;
	unsigned char *mask;
	char line[512];
	unsigned holes = 0;

	while (p < stop) {
		const char *nl = memchr(p, '\n', stop - p);
		size_t n = (nl ? nl : stop) - p;

		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			read_line(&lo, line);
		} else if (n >= 6 && !memcmp(p, "field:", 6)) {
			lo.bad = true;	/* a field line we cannot read whole */
		}
		p += n + 1;
	}
	if (lo.id < 1 || lo.id > 65535 || !lo.fields || lo.bad || h->of_type[lo.id] ||
	    h->nr == MM_HOLES_TYPES)
		return 0;
	/* past the last field: the alignment up to the payload's end, unless
	 * dynamic data lives there */
	for (uint32_t i = lo.end; !lo.dynamic && i < MM_HOLES_SPAN; i++)
		lo.covered[i] = 0;
	for (uint32_t i = lo.end; lo.dynamic && i < MM_HOLES_SPAN; i++)
		lo.covered[i] = 1;
	mask = (unsigned char *)h->mask[h->nr];
	for (uint32_t i = 0; i < MM_HOLES_SPAN; i++) {
		mask[i] = lo.covered[i] ? 0xff : 0;
		holes += !lo.covered[i];
	}
	if (!holes)
		return 0;
	h->of_type[lo.id] = (uint8_t)++h->nr;
	return holes;
}
