/*
 * report/model/pagesfile.c - parse a PAGES snapshot (pagesfile.h).
 *
 * The header line names what the writer did (page size, the sampling
 * limit, whether frames were readable, which processes it compared); each
 * mapping's line is "START-END PERMS key=N ... path=PATH", path last so it
 * may hold blanks.  Every number is checked: a count is of the pages the
 * writer read, so one above "scanned" is a lie the reader refuses rather
 * than prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/pagesfile.h"

const char *const mm_pages_keys[MM_PG_NR] = {
	[MM_PG_PRESENT] = "present", [MM_PG_SWAPPED] = "swapped", [MM_PG_ZERO] = "zero",
	[MM_PG_ANON] = "anon", [MM_PG_FILE] = "file", [MM_PG_ACTIVE] = "active",
	[MM_PG_INACTIVE] = "inactive", [MM_PG_UNEVICTABLE] = "unevictable",
	[MM_PG_DIRTY] = "dirty", [MM_PG_THP] = "thp", [MM_PG_SHARED] = "shared",
};

/* A decimal (BASE 10) or hex number at *S up to a char of STOP (or the
 * end); false when there is none, it overflows or something else follows. */
static bool number(const char **s, int base, const char *stop, uint64_t *v)
{
	char *end;

	if (**s < '0' || (**s > '9' && base == 10) || !strchr("0123456789abcdefABCDEF", **s))
		return false;
	errno = 0;
	*v = strtoull(*s, &end, base);
	if (errno || (*end && !strchr(stop, *end)))
		return false;
	*s = end;
	return true;
}

/* "peers=12,34": the compared processes, at most MM_PAGES_MAX_WITH. */
static bool peer_list(struct mm_pages *p, const char *s)
{
	uint64_t v;

	while (*s && *s != ' ') {
		if (!number(&s, 10, ", ", &v) || v > INT32_MAX || p->nr_peers == MM_PAGES_MAX_WITH)
			return false;
		p->peers[p->nr_peers++] = (int32_t)v;
		if (*s == ',')
			s++;
	}
	return true;
}

static bool header(struct mm_pages *p, char *line)
{
	char *save = NULL, *w = strtok_r(line, " ", &save);
	uint64_t v;

	if (!w || strcmp(w, "memmon-pages") || !(w = strtok_r(NULL, " ", &save)))
		return false;
	p->page_size = 4096;
	while ((w = strtok_r(NULL, " ", &save))) {
		const char *val = strchr(w, '=');
		if (!val++)
			return false;
		if (!strncmp(w, "peers=", 6)) {
			if (!peer_list(p, val))
				return false;
			continue;
		}
		if (!*val)
			continue;
		if (!number(&val, 10, "", &v))
			return false;
		if (!strncmp(w, "page_size=", 10)) {
			if (v < 512 || v > (1u << 30) || (v & (v - 1)))
				return false;
			p->page_size = v;
		} else if (!strncmp(w, "limit=", 6)) {
			p->limit = v;
		} else if (!strncmp(w, "pfns=", 5)) {
			p->pfns = v != 0;
		} else if (!strncmp(w, "peers_left=", 11)) {
			p->peers_left = v;
		}
	}
	return true;
}

/* "with=12:64,34:2" into P's with[] for entry E. */
static bool with_list(struct mm_pages *p, struct mm_pages_entry *e, const char *s, size_t *cap)
{
	uint64_t pid, n;

	e->first_with = p->nr_with;
	while (*s && *s != ' ') {
		if (!number(&s, 10, ":", &pid) || *s++ != ':' || !number(&s, 10, ", ", &n) ||
		    pid > INT32_MAX || n > e->scanned || e->nr_with == MM_PAGES_MAX_WITH)
			return false;
		MM_GROW(p->with, p->nr_with, *cap, 16);
		p->with[p->nr_with++] = (struct mm_pages_with){ (int32_t)pid, n };
		e->nr_with++;
		if (*s == ',')
			s++;
	}
	return true;
}

/* One mapping's line; false when it does not parse. */
static bool entry(struct mm_pages *p, struct mm_pages_entry *e, char *line, size_t *wcap)
{
	const char *s = line;
	char *path = strstr(line, " path=");
	uint64_t v;

	memset(e, 0, sizeof(*e));
	if (!path)
		return false;
	*path = '\0';
	e->path = path + 6;
	if (!number(&s, 16, "-", &e->start) || *s++ != '-' || !number(&s, 16, " ", &e->end) ||
	    e->end <= e->start || *s++ != ' ' || strlen(s) < 4 || (s[4] && s[4] != ' '))
		return false;
	memcpy(e->perms, s, 4);
	s += 4;
	while (*s == ' ') {
		const char *key = ++s, *eq = strchr(s, '=');
		size_t kl;
		if (!eq)
			return false;
		kl = (size_t)(eq - key);
		s = eq + 1;
		if (kl == 4 && !strncmp(key, "with", 4)) {
			if (!with_list(p, e, s, wcap))
				return false;
			s += strcspn(s, " ");
			continue;
		}
		if (!number(&s, 10, " ", &v))
			return false;
		if (kl == 7 && !strncmp(key, "scanned", 7))
			e->scanned = v;
		else if (kl == 7 && !strncmp(key, "sampled", 7))
			e->sampled = v != 0;
		for (int k = 0; k < MM_PG_NR; k++)
			if (strlen(mm_pages_keys[k]) == kl && !strncmp(key, mm_pages_keys[k], kl))
				e->n[k] = v;
	}
	if (*s || e->scanned > mm_pages_span(p, e))
		return false;
	for (int k = 0; k < MM_PG_NR; k++)
		if (e->n[k] > e->scanned)
			return false;
	return true;
}

int mm_pages_parse(const char *text, size_t len, struct mm_pages *out)
{
	size_t cap = 0, wcap = 0, lineno = 1;
	char *save = NULL, *line;

	memset(out, 0, sizeof(*out));
	out->text = mm_malloc(len + 1);
	memcpy(out->text, text, len);
	out->text[len] = '\0';
	line = strtok_r(out->text, "\n", &save);
	if (!line || !header(out, line)) {
		mm_pages_free(out);
		return mm_error("pages snapshot: line 1 is not a 'memmon-pages' header");
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		lineno++;
		MM_GROW(out->e, out->n, cap, 32);
		if (!entry(out, &out->e[out->n], line, &wcap)) {
			mm_pages_free(out);
			return mm_error("pages snapshot: line %zu is not a mapping's pages", lineno);
		}
		out->n++;
	}
	return 0;
}

void mm_pages_free(struct mm_pages *p)
{
	free(p->e);
	free(p->with);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

uint64_t mm_pages_span(const struct mm_pages *p, const struct mm_pages_entry *e)
{
	return (e->end - e->start) / (p->page_size ? p->page_size : 4096);
}
