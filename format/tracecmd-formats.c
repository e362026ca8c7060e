/*
 * format/tracecmd-formats.c - the header and event format texts of a
 * trace-cmd file, walked before libtracecmd reads them (tracecmd-check.c
 * calls these for format 6's fixed layout and format 7's sections): each
 * length bounded, each event format one memmon's sanitizer accepts
 * (sanitize.c), since libtracecmd hands them to libtraceevent as they
 * are, and no empty header_page.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "file.h"
#include "layout.h"
#include "tracecmd-walk.h"

#define MAX_SYSTEMS    1024

/* A u32/u64 length then that many bytes. */
int mm_tcw_blob(struct walk *w, int len_bytes, uint64_t limit, const char *what)
{
	uint64_t len;

	w->what = what;
	return mm_tcw_get_u(w, len_bytes, &len) < 0 ? -1 : mm_tcw_skip(w, len, limit);
}

/* An event format: within the kernel's grammar, as sanitize.c has it. */
static int one_format(struct walk *w, const char *what)
{
	uint64_t len;
	const char *why;
	char *text, *canon;

	w->what = what;
	if (mm_tcw_get_u(w, 8, &len) < 0)
		return -1;
	if (len > MM_MAX_FORMAT_TEXT)
		return mm_tcw_bad(w, "a format longer than memmon's limit");
	if (len > w->size - w->off)
		return mm_tcw_bad(w, "a length past the end of the file");
	text = mm_malloc(len + 1);
	if (mm_tcw_get(w, text, len) < 0) {
		free(text);
		return -1;
	}
	w->off -= len;
	text[len] = '\0';
	canon = memchr(text, '\0', len) ? NULL : mm_format_sanitize(text, len, &why);
	free(text);
	if (!canon)
		return mm_tcw_bad(w, "an event format outside the kernel's grammar");
	free(canon);
	w->off += len;
	return 0;
}

int mm_tcw_header_part(struct walk *w, const char *name)
{
	char buf[16];
	uint64_t len;

	w->what = name;
	if (mm_tcw_get_str(w, buf, sizeof(buf) - 1) < 0)
		return -1;
	if (strcmp(buf, name))
		return mm_tcw_bad(w, "not where trace-cmd puts it");
	if (mm_tcw_get_u(w, 8, &len) < 0)
		return -1;
	/* an empty header_page makes kbuffer walk pages the way the ring
	 * buffer before Linux 2.6.31 laid them out, which tracecmd-pages.c
	 * does not check (and no trace-cmd since then writes) */
	if (!len && !strcmp(name, "header_page"))
		return mm_tcw_bad(w, "an empty header_page (the ring buffer of Linux before 2.6.31)");
	return mm_tcw_skip(w, len, MM_MAX_FORMAT_TEXT);
}

int mm_tcw_ftrace_formats(struct walk *w)
{
	uint64_t n;

	w->what = "ftrace formats";
	if (mm_tcw_get_u(w, 4, &n) < 0)
		return -1;
	if (n > MM_MAX_FORMATS)
		return mm_tcw_bad(w, "more formats than a kernel has");
	for (uint64_t i = 0; i < n; i++)
		if (one_format(w, "ftrace format") < 0)
			return -1;
	return 0;
}

int mm_tcw_event_formats(struct walk *w)
{
	uint64_t n, systems;
	char sys[256];

	w->what = "event systems";
	if (mm_tcw_get_u(w, 4, &systems) < 0)
		return -1;
	if (systems > MAX_SYSTEMS)
		return mm_tcw_bad(w, "more event systems than a kernel has");
	for (uint64_t s = 0; s < systems; s++) {
		w->what = "event system";
		if (mm_tcw_get_str(w, sys, sizeof(sys) - 1) < 0 || mm_tcw_get_u(w, 4, &n) < 0)
			return -1;
		if (n > MM_MAX_FORMATS)
			return mm_tcw_bad(w, "more formats than a kernel has");
		for (uint64_t i = 0; i < n; i++)
			if (one_format(w, "event format") < 0)
				return -1;
	}
	return 0;
}
