/*
 * report/views/json.h - the small JSON and CSV writers every report view
 * shares.
 *
 * One emitter, so that all views agree on escaping, number formats and
 * layout: a view says what (key, value, nesting) and the emitter decides
 * commas, indentation and quoting.  Conventions (documented for tools in
 * memmon-report(1)):
 *   - field names are lowercase_with_underscores and never change meaning;
 *   - addresses are strings of lowercase hex without 0x ("7f12b7d8f000"),
 *     since JSON numbers lose precision above 2^53;
 *   - times are numbers of seconds since the first event, 6 decimals;
 *   - strings are UTF-8: control characters are escaped, bytes that are
 *     not valid UTF-8 (file names can hold anything) become U+FFFD.
 * CSV follows RFC 4180: a header row, then one row per record; a field is
 * quoted when it holds a comma, quote, CR, LF or edge spaces.
 * Errors on the stream are sticky in the FILE; views check ferror().
 */
#ifndef MM_REPORT_VIEWS_JSON_H
#define MM_REPORT_VIEWS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MM_JSON_MAX_DEPTH 32

struct mm_json {
	FILE *out;
	int depth;
	bool has_items[MM_JSON_MAX_DEPTH];
	char closer[MM_JSON_MAX_DEPTH];    /* '}' or ']' per open level */
	bool compact;                      /* no newlines or indentation (set
	                                    * after mm_json_init: data for a
	                                    * program, not a reader) */
};

void mm_json_init(struct mm_json *j, FILE *out);
/* KEY is the member name inside an object, NULL inside an array or at the
 * top level. */
void mm_json_object_begin(struct mm_json *j, const char *key);
void mm_json_object_end(struct mm_json *j);
void mm_json_array_begin(struct mm_json *j, const char *key);
void mm_json_array_end(struct mm_json *j);
void mm_json_str(struct mm_json *j, const char *key, const char *val);  /* NULL: null */
void mm_json_u64(struct mm_json *j, const char *key, uint64_t v);
void mm_json_i64(struct mm_json *j, const char *key, int64_t v);
void mm_json_hex(struct mm_json *j, const char *key, uint64_t v);   /* "7f12..." */
void mm_json_fixed(struct mm_json *j, const char *key, double v, int decimals);
void mm_json_bool(struct mm_json *j, const char *key, bool v);
void mm_json_null(struct mm_json *j, const char *key);
/* Close what is still open and end the document with a newline.
 * Nesting deeper than MM_JSON_MAX_DEPTH is a bug in the view: the extra
 * levels are written without indentation bookkeeping. */
void mm_json_finish(struct mm_json *j);
/* Write S as a JSON string literal (quotes included). */
void mm_json_write_string(FILE *out, const char *s);

struct mm_csv {
	FILE *out;
	size_t fields;           /* fields written in the current row */
	const uint64_t *lost;    /* a last column, lost_events, or NULL */
	bool header_done;
};

void mm_csv_init(struct mm_csv *c, FILE *out);
void mm_csv_header(struct mm_csv *c, const char *const *names, size_t n);
void mm_csv_str(struct mm_csv *c, const char *val);    /* NULL: empty */
void mm_csv_u64(struct mm_csv *c, uint64_t v);
void mm_csv_i64(struct mm_csv *c, int64_t v);
void mm_csv_hex(struct mm_csv *c, uint64_t v);
void mm_csv_fixed(struct mm_csv *c, double v, int decimals);
void mm_csv_end_row(struct mm_csv *c);
/* Give every row of the table a last column "lost_events" with *LOST (read
 * as the rows are written): CSV has no place for a document's facts. */
void mm_csv_lost_column(struct mm_csv *c, const uint64_t *lost);

#endif
