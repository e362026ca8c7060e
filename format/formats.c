/*
 * format/formats.c - the tep_handle of a trace file, built only from what
 * the file saved (MACHINE, header_page, event formats), never from the
 * local tracefs: a trace recorded on another kernel or architecture
 * decodes the same.
 *
 * libtraceevent only ever parses memmon's canonical rewrite of a text
 * (sanitize.c says why).  A format outside the kernel's grammar, or one
 * libtraceevent refuses, costs that one event type, not the file: it is
 * skipped and a note kept ("system/name: why") for info and report to
 * show.  A missing or unparsable header_page is fatal, because without it
 * the sub-buffer header (commit size) is unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event-parse.h>

#include "memmon.h"
#include "file.h"

/* What a tracefs system name (a directory) is made of. */
#define SYSTEM_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

static bool host_big_endian(void)
{
	return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

/* The "name: X" of a format text, for notes: its identifier characters
 * only (the text is the file's), "?" when absent. */
static void format_name(const char *text, char *out, size_t n)
{
	const char *p = strstr(text, "name:");
	size_t len = 0;

	if (p)
		for (p += 5; *p == ' ' || *p == '\t'; p++)
			;
	while (p && len + 1 < n && p[len] && strchr(SYSTEM_CHARS, p[len]))
		len++;
	if (len)
		snprintf(out, n, "%.*s", (int)len, p);
	else
		snprintf(out, n, "?");
}

static void note(struct mm_file *f, const char *system, const char *text, const char *why)
{
	char name[128], *s;

	format_name(text, name, sizeof(name));
	if (asprintf(&s, "%s/%s: %s", system, name, why) < 0)
		s = mm_strdup("format note lost: out of memory");
	f->format_notes = mm_realloc(f->format_notes,
				     (f->nr_format_notes + 1) * sizeof(*f->format_notes));
	f->format_notes[f->nr_format_notes++] = s;
}

static void parse_format(struct mm_file *f, const struct mm_format_text *ft)
{
	const char *system = ft->buf;
	size_t slen = strlen(system) + 1;
	const char *text = ft->buf + slen, *bad;
	char msg[96], why[160], *canon;
	enum tep_errno err;

	for (const char *c = system; *c; c++)
		if (!strchr(SYSTEM_CHARS, *c) || c - system >= 128) {
			note(f, "?", text, "a system name memmon cannot read");
			return;
		}
	canon = mm_format_sanitize(text, ft->len - slen, &bad);
	if (!canon) {
		snprintf(why, sizeof(why), "cannot parse (%s)", bad);
		note(f, system, text, why);
		return;
	}
	/* a second format for one ID would make the first one's events the
	 * second's; the kernel never writes two */
	unsigned id = strtoul(strstr(canon, "ID: ") + 4, NULL, 10);
	if (tep_find_event(f->tep, (int)id)) {
		note(f, system, text, "cannot parse (a second format for its ID)");
		free(canon);
		return;
	}
	err = tep_parse_event(f->tep, canon, strlen(canon), system);
	free(canon);
	if (!err)
		return;
	if (tep_strerror(f->tep, err, msg, sizeof(msg)) < 0)
		snprintf(msg, sizeof(msg), "unknown error");
	snprintf(why, sizeof(why), "cannot parse (libtraceevent %d: %s)", (int)err, msg);
	note(f, system, text, why);
}

static int parse_header_page(struct mm_file *f)
{
	const char *why;
	char *canon;
	int commit;

	if (!f->header_page)	/* truncated before it, and no chunks */
		return 0;
	canon = mm_header_page_sanitize(f->header_page, f->header_page_len, &commit, &why);
	if (!canon)
		return mm_error("'%s': cannot parse the saved header_page (%s)", f->path, why);
	if (tep_parse_header_page(f->tep, canon, strlen(canon), f->long_size) < 0 ||
	    tep_get_header_page_size(f->tep) != commit) {
		free(canon);
		return mm_error("'%s': cannot parse the saved header_page", f->path);
	}
	free(canon);
	f->commit_size = commit;
	return 0;
}

int mm_file_build_tep(struct mm_file *f)
{
	f->tep = tep_alloc();
	if (!f->tep)
		return mm_error("cannot allocate a tep handle: out of memory");
	tep_set_file_bigendian(f->tep, f->big_endian ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(f->tep, host_big_endian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_long_size(f->tep, f->long_size);
	tep_set_page_size(f->tep, f->page_size);
	if (parse_header_page(f) < 0)
		return -1;
	for (size_t i = 0; i < f->nr_formats; i++)
		parse_format(f, &f->formats[i]);
	return 0;
}
