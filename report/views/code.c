/*
 * report/views/code.c - frames, stacks and region names as every view
 * prints them (code.h).
 */
#include <stdio.h>
#include <string.h>

#include "memmon.h"
#include "report/model/addrspace.h"
#include "report/model/symbols.h"
#include "report/views/code.h"
#include "report/views/json.h"

const char *mm_view_region_segment(struct mm_as *as, const struct mm_as_proc *p,
				   const struct mm_region *r)
{
	return mm_as_region_segment(as, p, r, NULL);
}

void mm_view_region_name(struct mm_as *as, const struct mm_as_proc *p, const struct mm_region *r,
			 char *buf, size_t n)
{
	const struct mm_region *owner;
	const char *seg = mm_as_region_segment(as, p, r, &owner);
	const char *label = mm_region_label(owner ? owner : r);

	if (!*label)
		label = "[anon]";
	if (seg)
		snprintf(buf, n, "%s [%s]", label, seg);
	else
		snprintf(buf, n, "%s", label);
}

/* Append S to BUF (length *AT of N). */
static void put(char *buf, size_t n, size_t *at, const char *s)
{
	int k = snprintf(buf + *at, n - *at, "%s", s);
	if (k > 0)
		*at += (size_t)k < n - *at ? (size_t)k : n - *at - 1;
}

static void put_frame(char *buf, size_t n, size_t *at, const struct mm_stack *st, unsigned i)
{
	char one[600];

	mm_code_format(&st->code[i], st->pc[i], one, sizeof(one));
	put(buf, n, at, one);
}

void mm_view_stack_text(const struct mm_stack *st, char *buf, size_t n)
{
	size_t at = 0;

	buf[0] = '\0';
	if (!st) {
		put(buf, n, &at, "no stack");
		return;
	}
	for (unsigned i = 0; i < st->nr; i++) {
		if (i)
			put(buf, n, &at, " <- ");
		put_frame(buf, n, &at, st, i);
		if (st->code[i].no_fp)
			put(buf, n, &at, " <- ?");
	}
}

void mm_view_stack_brief(const struct mm_stack *st, char *buf, size_t n)
{
	size_t at = 0;
	unsigned k;

	buf[0] = '\0';
	if (!st || !st->nr)
		return;
	put_frame(buf, n, &at, st, 0);
	for (k = 1; k < st->nr && st->code[k].module == st->code[0].module &&
		    st->code[k].special == st->code[0].special; k++)
		;
	if (k > 1 || st->code[0].no_fp)
		put(buf, n, &at, k > 1 && !st->code[0].no_fp ? " <- ..." : " <- ?");
	if (k < st->nr) {
		put(buf, n, &at, " <- ");
		put_frame(buf, n, &at, st, k);
	}
}

void mm_view_json_code(struct mm_json *j, const char *key, const struct mm_code *c,
		       uint64_t addr)
{
	mm_json_object_begin(j, key);
	mm_json_hex(j, "address", addr);
	mm_json_str(j, "module", c->module ? c->module : c->special);
	mm_json_str(j, "path", c->path);
	mm_json_str(j, "function", c->func);
	mm_json_hex(j, "offset", c->off);
	mm_json_object_end(j);
}

void mm_view_json_stack(struct mm_json *j, const char *key, const struct mm_stack *st)
{
	if (!st) {
		mm_json_null(j, key);
		return;
	}
	mm_json_array_begin(j, key);
	for (unsigned i = 0; i < st->nr; i++) {
		const struct mm_code *c = &st->code[i];
		mm_json_object_begin(j, NULL);
		mm_json_hex(j, "address", st->pc[i]);
		mm_json_str(j, "module", c->module ? c->module : c->special);
		mm_json_str(j, "path", c->path);
		mm_json_str(j, "function", c->func);
		mm_json_hex(j, "offset", c->off);
		mm_json_bool(j, "gap", c->no_fp);
		mm_json_object_end(j);
	}
	mm_json_array_end(j);
}

void mm_view_shallow_text(const struct mm_stack_counts *c, char *buf, size_t n)
{
	size_t at;

	buf[0] = '\0';
	if (!c->shallow)
		return;
	at = (size_t)snprintf(buf, n, "%llu shallow because frame pointers are missing in ",
			      (unsigned long long)c->shallow);
	for (unsigned i = 0; i < c->nr_no_fp && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "", c->no_fp[i]);
	if (!c->nr_no_fp && at < n)
		snprintf(buf + at, n - at, "their code");
}

void mm_view_json_no_fp(struct mm_json *j, const char *key, const struct mm_stack_counts *c)
{
	mm_json_array_begin(j, key);
	for (unsigned i = 0; i < c->nr_no_fp; i++)
		mm_json_str(j, NULL, c->no_fp[i]);
	mm_json_array_end(j);
}
