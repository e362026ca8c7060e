/*
 * format/formats.c - the tep_handle of a trace file, built only from what
 * the file saved (MACHINE, header_page, event formats), never from the
 * local tracefs: a trace recorded on another kernel or architecture
 * decodes the same.
 *
 * A format libtraceevent cannot parse costs that one event type, not the
 * file: it is skipped and a note kept ("system/name: why") for info and
 * report to show.  A missing or unparsable header_page is fatal, because
 * without it the sub-buffer header (commit size) is unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event-parse.h>

#include "memmon.h"
#include "file.h"

static bool host_big_endian(void)
{
	return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

/* The "name: X" line of a format text, for notes; "?" when absent. */
static void format_name(const char *text, char *out, size_t n)
{
	const char *p = strstr(text, "name: ");
	size_t len;

	if (!p) {
		snprintf(out, n, "?");
		return;
	}
	p += 6;
	len = strcspn(p, "\n");
	snprintf(out, n, "%.*s", (int)len, p);
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
	const char *text = ft->buf + slen;
	char msg[96], why[128];
	enum tep_errno err;

	err = tep_parse_event(f->tep, text, ft->len - slen, system);
	if (!err)
		return;
	if (tep_strerror(f->tep, err, msg, sizeof(msg)) < 0)
		snprintf(msg, sizeof(msg), "unknown error");
	snprintf(why, sizeof(why), "cannot parse (libtraceevent %d: %s)", (int)err, msg);
	note(f, system, text, why);
}

static int parse_header_page(struct mm_file *f)
{
	int commit;

	if (!f->header_page)	/* truncated before it, and no chunks */
		return 0;
	if (tep_parse_header_page(f->tep, f->header_page, f->header_page_len,
				  f->long_size) < 0)
		return mm_error("'%s': cannot parse the saved header_page", f->path);
	commit = tep_get_header_page_size(f->tep);
	if (commit != 4 && commit != 8)
		return mm_error("'%s': saved header_page has a %d-byte commit field",
				f->path, commit);
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
