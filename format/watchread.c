/*
 * format/watchread.c - the WATCH sections of a trace (layout.h): each
 * change of the watch list, checked and kept in time order for
 * mm_file_watch().  A hostile section is refused, never trusted: the tid
 * count must match the payload, the operation be one this reader knows.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/file.h"

int mm_file_take_watch(struct mm_file *f, char *buf, size_t len, const char **why)
{
	struct mm_watch_header h;
	struct mm_watch_change c;
	uint32_t *tids = NULL;

	if (len < sizeof(h)) {
		*why = "watch change shorter than its header";
		goto bad;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.nr_tids > MM_MAX_WATCH_TIDS || len != sizeof(h) + 4ull * h.nr_tids) {
		*why = "watch change length does not match its tids";
		goto bad;
	}
	if ((h.op != MM_WATCH_JOIN && h.op != MM_WATCH_LEAVE) || !h.pid || h.pid > 0x3fffffff ||
	    (h.reason != MM_WATCH_BY_START && h.reason != MM_WATCH_BY_WATCH)) {
		*why = "unknown watch change";
		goto bad;
	}
	if (h.nr_tids) {
		tids = mm_malloc(4ull * h.nr_tids);
		memcpy(tids, buf + sizeof(h), 4ull * h.nr_tids);
	}
	free(buf);
	c = (struct mm_watch_change){
		.ts = mm_file_ns(f, h.ts), .pid = h.pid, .op = h.op, .reason = h.reason,
		.nr_tids = h.nr_tids, .tids = tids, .pause_us = h.pause_us,
	};
	MM_GROW(f->watch, f->nr_watch, f->cap_watch, 16);
	f->watch[f->nr_watch++] = c;
	return 0;
bad:
	free(buf);
	return -1;
}

static int by_time(const void *a, const void *b)
{
	const struct mm_watch_change *x = a, *y = b;
	return (x->ts > y->ts) - (x->ts < y->ts);
}

void mm_file_sort_watch(struct mm_file *f)
{
	/* record writes them in time order: nearly always sorted already */
	for (size_t i = 1; i < f->nr_watch; i++)
		if (f->watch[i].ts < f->watch[i - 1].ts) {
			qsort(f->watch, f->nr_watch, sizeof(*f->watch), by_time);
			return;
		}
}

void mm_file_free_watch(struct mm_file *f)
{
	for (size_t i = 0; i < f->nr_watch; i++)
		free((void *)f->watch[i].tids);
	free(f->watch);
	f->watch = NULL;
	f->nr_watch = f->cap_watch = 0;
}

size_t mm_file_nr_watch(const struct mm_file *f)
{
	return f->nr_watch;
}

const struct mm_watch_change *mm_file_watch(const struct mm_file *f, size_t i)
{
	return i < f->nr_watch ? &f->watch[i] : NULL;
}
