/*
 * format/sanitize.c - what libtraceevent gets to parse: a canonical
 * rewrite of a saved event format or header_page, never the file's text.
 *
 * Why: libtraceevent's parser trusts its input.  A truncated
 * "__print_symbolic(" in a print fmt makes tep_parse_event() crash, other
 * malformed texts make it leak, and its tokenizer is quadratic in a
 * format's length.  A trace file comes from anywhere, so memmon reads the
 * format text itself with a strict grammar (the one kernels have written
 * since 2.6.3x: name, ID, "format:", field lines of words, '*' and [N]
 * with offset, size and signed, a blank line after the common fields) and
 * hands libtraceevent a text it generated from the checked values.  The
 * print fmt is left out (an empty one takes its place): memmon decodes
 * fields by name and prints events in its own words, so the kernel's
 * print format is never used, and it is the part of a format the parser
 * handles worst.  Running the library on the original text in a child
 * process would stop crashes but not leaks or the quadratic time, and it
 * would cost a fork for every file opened.
 *
 * A format outside the grammar costs its event type (a note says why),
 * never the file; a header_page outside it is fatal (formats.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "file.h"

#define MAX_NAME   128
#define MAX_NUMBER 65535         /* offsets, sizes, IDs: a record is < 64 KiB */

struct text {
	const char *p, *end;
};

/* The next line (without its '\n'), or false at the end. */
static bool next_line(struct text *t, struct text *line)
{
	const char *nl;

	if (t->p >= t->end)
		return false;
	nl = memchr(t->p, '\n', t->end - t->p);
	line->p = t->p;
	line->end = nl ? nl : t->end;
	t->p = nl ? nl + 1 : t->end;
	return true;
}

static void skip_blanks(struct text *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

static bool blank(struct text line)
{
	skip_blanks(&line);
	return line.p == line.end;
}

/* Literal WORD (after blanks). */
static bool expect(struct text *t, const char *word)
{
	size_t n = strlen(word);

	skip_blanks(t);
	if ((size_t)(t->end - t->p) < n || memcmp(t->p, word, n))
		return false;
	t->p += n;
	return true;
}

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* An identifier of 1..MAX_NAME characters into OUT. */
static bool ident(struct text *t, char *out)
{
	size_t n = 0;

	skip_blanks(t);
	while (t->p + n < t->end && is_ident(t->p[n]))
		n++;
	if (!n || n >= MAX_NAME)
		return false;
	memcpy(out, t->p, n);
	out[n] = '\0';
	t->p += n;
	return true;
}

/* A decimal number 0..MAX_NUMBER. */
static bool number(struct text *t, unsigned *out)
{
	unsigned v = 0;
	size_t n = 0;

	skip_blanks(t);
	while (t->p + n < t->end && t->p[n] >= '0' && t->p[n] <= '9') {
		v = v * 10 + (t->p[n] - '0');
		if (v > MAX_NUMBER || ++n > 5)
			return false;
	}
	t->p += n;
	*out = v;
	return n > 0;
}

static bool at_end(struct text *t)
{
	skip_blanks(t);
	return t->p == t->end;
}

struct field {
	char decl[256];          /* "unsigned long address", "char comm[16]" */
	char name[MAX_NAME];
	unsigned offset, size, sign;
	bool has_sign;
};

/* "TYPE NAME" of a field line: words and '*', blanks between, the name
 * last, then [N] or [] (one or more); or a dynamic array's "__data_loc
 * TYPE[] NAME" (also __rel_loc), where "[]" stands right before the name.
 * Anything else is refused: libtraceevent leaks on brackets elsewhere
 * ("unsigned[16] r x", "char [4] * x": found by the fuzzer).  Canonical
 * spacing into f->decl. */
static bool declaration(struct text *t, struct field *f)
{
	size_t o = 0, words = 0;
	bool brackets = false;      /* a bracket group was read */
	bool numbered = false;      /* ... with a number in it */
	bool after = false;         /* a word came after the group */

	f->name[0] = '\0';
	for (;;) {
		skip_blanks(t);
		if (t->p == t->end)
			return false;
		char c = *t->p;
		if (c == ';')
			break;
		if (o + MAX_NAME + 8 >= sizeof(f->decl))
			return false;
		if (c == '*') {
			if (brackets)
				return false;
			o += sprintf(f->decl + o, "%s*", o ? " " : "");
			t->p++;
		} else if (c == '[') {
			unsigned n;
			if (after || !words)
				return false;
			t->p++;
			brackets = true;
			if (expect(t, "]")) {
				o += sprintf(f->decl + o, "[]");
			} else if (number(t, &n) && expect(t, "]")) {
				o += sprintf(f->decl + o, "[%u]", n);
				numbered = true;
			} else {
				return false;
			}
		} else if (is_ident(c)) {
			/* after brackets only a dynamic array's name, once */
			if (brackets && (after || numbered ||
					 (strncmp(f->decl, "__data_loc ", 11) &&
					  strncmp(f->decl, "__rel_loc ", 10))))
				return false;
			if (!ident(t, f->name))
				return false;
			o += sprintf(f->decl + o, "%s%s", o ? " " : "", f->name);
			words++;
			after = brackets;
		} else {
			return false;
		}
	}
	t->p++;	/* ';' */
	return words >= 2;
}

/* One field line: "field:DECL; offset:N; size:N; signed:N;" */
static bool field_line(struct text line, struct field *f)
{
	if (!expect(&line, "field:") || !declaration(&line, f) ||
	    !expect(&line, "offset:") || !number(&line, &f->offset) || !expect(&line, ";") ||
	    !expect(&line, "size:") || !number(&line, &f->size) || !expect(&line, ";"))
		return false;
	f->has_sign = expect(&line, "signed:");
	if (f->has_sign && (!number(&line, &f->sign) || f->sign > 1 || !expect(&line, ";")))
		return false;
	return at_end(&line);
}

/* Growing output text. */
struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < o->cap - o->len)
			break;
		o->cap = 2 * o->cap + n + 64;
		o->p = mm_realloc(o->p, o->cap);
	}
	o->len += n;
}

static void put_field(struct out *o, const struct field *f)
{
	put(o, "\tfield:%s;\toffset:%u;\tsize:%u;", f->decl, f->offset, f->size);
	if (f->has_sign)
		put(o, "\tsigned:%u;", f->sign);
	put(o, "\n");
}

char *mm_format_sanitize(const char *text, size_t len, const char **why)
{
	struct text t = { text, text + len }, line;
	struct out o = { mm_malloc(1024), 0, 1024 };
	char name[MAX_NAME];
	unsigned id, groups = 0, nr_fields = 0;
	bool common_type = false;
	struct field f;

	o.p[0] = '\0';
	*why = "no 'name:' line";
	if (!next_line(&t, &line) || !expect(&line, "name:") || !ident(&line, name) ||
	    !at_end(&line))
		goto fail;
	*why = "no 'ID:' line";
	if (!next_line(&t, &line) || !expect(&line, "ID:") || !number(&line, &id) ||
	    !at_end(&line))
		goto fail;
	*why = "no 'format:' line";
	if (!next_line(&t, &line) || !expect(&line, "format:") || !at_end(&line))
		goto fail;
	put(&o, "name: %s\nID: %u\nformat:\n", name, id);
	/* the common fields, a blank line, the event's fields, a blank line */
	while (groups < 2 && next_line(&t, &line)) {
		if (blank(line)) {
			put(&o, "\n");
			groups++;
			continue;
		}
		if (expect(&(struct text){ line.p, line.end }, "print fmt:"))
			break;
		*why = "a field line memmon cannot read";
		if (!field_line(line, &f))
			goto fail;
		*why = "too many fields";
		if (++nr_fields > MM_MAX_FORMAT_FIELDS)
			goto fail;
		*why = "common_type is not the u16 at offset 0";
		if (groups == 0 && !strcmp(f.name, "common_type")) {
			if (f.offset != 0 || f.size != 2)
				goto fail;
			common_type = true;
		}
		put_field(&o, &f);
	}
	*why = "no common_type field";
	if (!common_type)
		goto fail;
	for (; groups < 2; groups++)
		put(&o, "\n");
	put(&o, "print fmt: \"\"\n");
	return o.p;
fail:
	free(o.p);
	return NULL;
}

char *mm_header_page_sanitize(const char *text, size_t len, int *commit_size, const char **why)
{
	static const char *const names[] = { "timestamp", "commit", "overwrite", "data" };
	struct text t = { text, text + len }, line;
	struct field got[4];
	bool have[4] = { false };
	struct out o = { mm_malloc(512), 0, 512 };
	struct field f;

	*why = "a line memmon cannot read";
	while (next_line(&t, &line)) {
		if (blank(line))
			continue;
		if (!field_line(line, &f))
			goto fail;
		for (int i = 0; i < 4; i++)
			if (!strcmp(f.name, names[i]) && !have[i])
				got[i] = f, have[i] = true;
	}
	*why = "no timestamp, commit or data field";
	if (!have[0] || !have[1] || !have[3])
		goto fail;
	*why = "a commit field that is neither 4 nor 8 bytes";
	if (got[1].size != 4 && got[1].size != 8)
		goto fail;
	*commit_size = got[1].size;
	/* libtraceevent reads a one-word type: the kernel's own words */
	put(&o, "\tfield: u64 timestamp;\toffset:%u;\tsize:%u;\tsigned:0;\n", got[0].offset, got[0].size);
	put(&o, "\tfield: local_t commit;\toffset:%u;\tsize:%u;\tsigned:1;\n", got[1].offset, got[1].size);
	if (have[2])
		put(&o, "\tfield: int overwrite;\toffset:%u;\tsize:%u;\tsigned:1;\n",
		    got[2].offset, got[2].size);
	put(&o, "\tfield: char data;\toffset:%u;\tsize:%u;\tsigned:0;\n", got[3].offset, got[3].size);
	return o.p;
fail:
	free(o.p);
	return NULL;
}
