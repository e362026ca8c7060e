/*
 * report/views/json.c - JSON and CSV emitters (see json.h for the conventions).
 *
 * The JSON writer keeps one "has items" flag per nesting level to place
 * commas, and indents by two spaces per level so a human can read the
 * output and diff two runs; any JSON parser accepts it.  It writes straight
 * to the FILE: no document is built in memory, so a report of a million
 * regions costs no more memory than the text one.
 */
#include <math.h>
#include <string.h>

#include "report/views/json.h"

void mm_json_init(struct mm_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

/* Length of the valid UTF-8 sequence at S, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) { n = 2; cp = s[0] & 0x1f; }
	else if ((s[0] & 0xf0) == 0xe0) { n = 3; cp = s[0] & 0x0f; }
	else if ((s[0] & 0xf8) == 0xf0) { n = 4; cp = s[0] & 0x07; }
	else return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF are invalid */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void mm_json_write_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	putc('"', out);
	while (*s) {
		size_t n = utf8_len(s);
		if (n == 0) {
			fputs("\\ufffd", out);
			s++;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, out);
			s += n;
			continue;
		}
		switch (*s) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				fprintf(out, "\\u%04x", *s);
			else
				putc(*s, out);
		}
		s++;
	}
	putc('"', out);
}

/* Comma, newline, indentation and "key": before any value. */
static void item(struct mm_json *j, const char *key)
{
	if (j->depth > 0 && j->depth <= MM_JSON_MAX_DEPTH) {
		if (j->has_items[j->depth - 1])
			putc(',', j->out);
		j->has_items[j->depth - 1] = true;
		if (!j->compact)
			fprintf(j->out, "\n%*s", 2 * j->depth, "");
	}
	if (key) {
		mm_json_write_string(j->out, key);
		fputs(j->compact ? ":" : ": ", j->out);
	}
}

static void open_level(struct mm_json *j, const char *key, char c)
{
	item(j, key);
	putc(c, j->out);
	if (j->depth < MM_JSON_MAX_DEPTH) {
		j->has_items[j->depth] = false;
		j->closer[j->depth] = c == '{' ? '}' : ']';
	}
	j->depth++;
}

static void close_level(struct mm_json *j, char c)
{
	if (j->depth <= 0)
		return;
	j->depth--;
	if (j->depth < MM_JSON_MAX_DEPTH && j->has_items[j->depth] && !j->compact)
		fprintf(j->out, "\n%*s", 2 * j->depth, "");
	putc(c, j->out);
}

void mm_json_object_begin(struct mm_json *j, const char *key) { open_level(j, key, '{'); }
void mm_json_object_end(struct mm_json *j) { close_level(j, '}'); }
void mm_json_array_begin(struct mm_json *j, const char *key) { open_level(j, key, '['); }
void mm_json_array_end(struct mm_json *j) { close_level(j, ']'); }

void mm_json_str(struct mm_json *j, const char *key, const char *val)
{
	item(j, key);
	if (val)
		mm_json_write_string(j->out, val);
	else
		fputs("null", j->out);
}

void mm_json_u64(struct mm_json *j, const char *key, uint64_t v)
{
	item(j, key);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void mm_json_i64(struct mm_json *j, const char *key, int64_t v)
{
	item(j, key);
	fprintf(j->out, "%lld", (long long)v);
}

void mm_json_hex(struct mm_json *j, const char *key, uint64_t v)
{
	item(j, key);
	fprintf(j->out, "\"%llx\"", (unsigned long long)v);
}

void mm_json_fixed(struct mm_json *j, const char *key, double v, int decimals)
{
	item(j, key);
	if (isfinite(v))
		fprintf(j->out, "%.*f", decimals, v);
	else
		fputs("null", j->out);   /* JSON has no NaN or infinity */
}

void mm_json_bool(struct mm_json *j, const char *key, bool v)
{
	item(j, key);
	fputs(v ? "true" : "false", j->out);
}

void mm_json_null(struct mm_json *j, const char *key)
{
	item(j, key);
	fputs("null", j->out);
}

void mm_json_finish(struct mm_json *j)
{
	while (j->depth > 0)
		close_level(j, j->depth <= MM_JSON_MAX_DEPTH ? j->closer[j->depth - 1] : '}');
	putc('\n', j->out);
}

/* ---- CSV ---- */

void mm_csv_init(struct mm_csv *c, FILE *out)
{
	*c = (struct mm_csv){ .out = out };
}

static bool csv_needs_quotes(const char *s)
{
	size_t n = strlen(s);
	return strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' '));
}

static void csv_sep(struct mm_csv *c)
{
	if (c->fields++)
		putc(',', c->out);
}

void mm_csv_str(struct mm_csv *c, const char *val)
{
	csv_sep(c);
	if (!val)
		return;
	if (!csv_needs_quotes(val)) {
		fputs(val, c->out);
		return;
	}
	putc('"', c->out);
	for (; *val; val++) {
		if (*val == '"')
			putc('"', c->out);
		putc(*val, c->out);
	}
	putc('"', c->out);
}

void mm_csv_header(struct mm_csv *c, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mm_csv_str(c, names[i]);
	mm_csv_end_row(c);
}

void mm_csv_u64(struct mm_csv *c, uint64_t v)
{
	csv_sep(c);
	fprintf(c->out, "%llu", (unsigned long long)v);
}

void mm_csv_i64(struct mm_csv *c, int64_t v)
{
	csv_sep(c);
	fprintf(c->out, "%lld", (long long)v);
}

void mm_csv_hex(struct mm_csv *c, uint64_t v)
{
	csv_sep(c);
	fprintf(c->out, "%llx", (unsigned long long)v);
}

void mm_csv_fixed(struct mm_csv *c, double v, int decimals)
{
	csv_sep(c);
	if (isfinite(v))
		fprintf(c->out, "%.*f", decimals, v);
}

void mm_csv_end_row(struct mm_csv *c)
{
	if (c->lost && c->header_done)
		mm_csv_u64(c, *c->lost);
	else if (c->lost)
		mm_csv_str(c, "lost_events");
	c->header_done = true;
	putc('\n', c->out);
	c->fields = 0;
}

void mm_csv_lost_column(struct mm_csv *c, const uint64_t *lost)
{
	c->lost = lost;
}
