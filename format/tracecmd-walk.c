/*
 * format/tracecmd-walk.c - the cursor of memmon's checks of a trace-cmd
 * file (tracecmd-walk.h): every read bounded by the file or the payload,
 * every failure one message naming the offset and the part read.
 */
#include <string.h>

#include "memmon.h"
#include "file.h"
#include "tracecmd-walk.h"

int mm_tcw_bad(const struct walk *w, const char *why)
{
	return mm_error("'%s': corrupt trace-cmd file at offset %llu (%s: %s)", w->f->path,
			(unsigned long long)(w->mem ? w->base : w->off), w->what, why);
}

int mm_tcw_get(struct walk *w, void *buf, size_t n)
{
	if (w->off > w->size || w->size - w->off < n)
		return mm_tcw_bad(w, "the file ends inside it");
	if (w->mem)
		memcpy(buf, w->mem + w->off, n);
	else if (mm_file_pread(w->f, buf, n, w->off) < 0)
		return -1;
	w->off += n;
	return 0;
}

uint64_t mm_tcw_num(const struct walk *w, const unsigned char *p, int bytes)
{
	uint64_t r = 0;

	for (int i = 0; i < bytes; i++)
		r |= (uint64_t)p[w->big ? bytes - 1 - i : i] << (8 * i);
	return r;
}

int mm_tcw_get_u(struct walk *w, int bytes, uint64_t *v)
{
	unsigned char b[8];

	if (mm_tcw_get(w, b, bytes) < 0)
		return -1;
	*v = mm_tcw_num(w, b, bytes);
	return 0;
}

int mm_tcw_get_str(struct walk *w, char *buf, size_t max)
{
	for (size_t i = 0; i <= max; i++) {
		if (mm_tcw_get(w, buf + i, 1) < 0)
			return -1;
		if (!buf[i])
			return 0;
	}
	return mm_tcw_bad(w, "a name longer than any trace-cmd writes");
}

int mm_tcw_skip(struct walk *w, uint64_t len, uint64_t limit)
{
	if (len > limit)
		return mm_tcw_bad(w, "a length over memmon's limit");
	if (len > w->size - w->off)
		return mm_tcw_bad(w, "a length past the end of the file");
	w->off += len;
	return 0;
}
