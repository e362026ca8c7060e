/*
 * report/model/mapsfile.c - parse and print /proc/PID/maps lines.
 *
 * Why our own parser: the address-space model starts from these snapshots
 * and the END check compares against them, so every field matters (offset
 * and dev/inode tell file mappings apart; the name carries [heap], [stack],
 * "(deleted)").  The printer reproduces the kernel's padding (the name
 * starts at column 73 on 64-bit, an anonymous line ends in one space) so
 * that a parse+print round trip of a real maps file is byte-exact, which
 * is what the unit test checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/addrspace.h"
#include "report/model/mapsfile.h"

/* The kernel's name column: seq_setwidth(m, 25 + sizeof(void *) * 6 - 1). */
#define MAPS_NAME_COL 72

static bool parse_hex(char **p, uint64_t *v, char stop)
{
	char *end;
	*v = strtoull(*p, &end, 16);
	if (end == *p || *end != stop)
		return false;
	*p = end + 1;
	return true;
}

static bool parse_perms(char **p, struct mm_maps_entry *e)
{
	const char *s = *p;
	if (strlen(s) < 5 || s[4] != ' ')
		return false;
	e->prot = (s[0] == 'r' ? MM_PROT_R : 0) | (s[1] == 'w' ? MM_PROT_W : 0) |
		  (s[2] == 'x' ? MM_PROT_X : 0);
	if (s[3] != 's' && s[3] != 'p')
		return false;
	e->shared = s[3] == 's';
	*p += 5;
	return true;
}

/* LINE is NUL-terminated and writable; the name stays in place. */
bool mm_maps_parse_line(char *line, struct mm_maps_entry *e)
{
	char *p = line, *end;
	uint64_t maj, min;

	memset(e, 0, sizeof(*e));
	if (!parse_hex(&p, &e->start, '-') || !parse_hex(&p, &e->end, ' ') ||
	    !parse_perms(&p, e) || !parse_hex(&p, &e->offset, ' ') ||
	    !parse_hex(&p, &maj, ':') || !parse_hex(&p, &min, ' '))
		return false;
	e->dev_major = (uint32_t)maj;
	e->dev_minor = (uint32_t)min;
	e->ino = strtoull(p, &end, 10);
	if (end == p || (*end != ' ' && *end != '\0') || e->end < e->start)
		return false;
	while (*end == ' ')
		end++;
	e->name = end;
	return true;
}

int mm_maps_parse(const char *text, size_t len, struct mm_maps *out)
{
	size_t cap = 0, lineno = 0;
	char *save = NULL, *line;

	memset(out, 0, sizeof(*out));
	out->text = mm_malloc(len + 1);
	memcpy(out->text, text, len);
	out->text[len] = '\0';
	for (line = strtok_r(out->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		MM_GROW(out->e, out->n, cap, 64);
		if (!mm_maps_parse_line(line, &out->e[out->n])) {
			mm_maps_free(out);
			return mm_error("maps snapshot: malformed line %zu", lineno);
		}
		out->n++;
	}
	return 0;
}

void mm_maps_free(struct mm_maps *m)
{
	free(m->e);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

int mm_maps_format(const struct mm_maps_entry *e, char *buf, size_t len)
{
	char head[128];
	int n = snprintf(head, sizeof(head), "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
			 (unsigned long long)e->start, (unsigned long long)e->end,
			 e->prot & MM_PROT_R ? 'r' : '-', e->prot & MM_PROT_W ? 'w' : '-',
			 e->prot & MM_PROT_X ? 'x' : '-', e->shared ? 's' : 'p',
			 (unsigned long long)e->offset, e->dev_major, e->dev_minor,
			 (unsigned long long)e->ino);
	if (!e->name || !e->name[0])
		return snprintf(buf, len, "%s", head);
	/* seq_pad(): spaces up to the name column, then one more */
	int pad = n < MAPS_NAME_COL ? MAPS_NAME_COL - n : 0;
	return snprintf(buf, len, "%s%*s %s", head, pad, "", e->name);
}
