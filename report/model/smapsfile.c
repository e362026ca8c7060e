/*
 * report/model/smapsfile.c - parse /proc/PID/smaps (smapsfile.h).
 *
 * Each mapping is its maps line (parsed by mapsfile.c's line parser) and
 * then "Key:   N kB" lines; a maps line starts with a lowercase hex digit,
 * a key with a capital, so the two never mix up.  Keys memmon does not use
 * (KSM, THPeligible, VmFlags, ...) are skipped.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/model/smapsfile.h"

static const char *const keys[MM_SMAPS_NR] = {
	[MM_SMAPS_RSS] = "Rss", [MM_SMAPS_PSS] = "Pss",
	[MM_SMAPS_SHARED_CLEAN] = "Shared_Clean", [MM_SMAPS_SHARED_DIRTY] = "Shared_Dirty",
	[MM_SMAPS_PRIVATE_CLEAN] = "Private_Clean", [MM_SMAPS_PRIVATE_DIRTY] = "Private_Dirty",
	[MM_SMAPS_ANONYMOUS] = "Anonymous", [MM_SMAPS_SWAP] = "Swap",
	[MM_SMAPS_ANON_HUGE] = "AnonHugePages", [MM_SMAPS_LOCKED] = "Locked",
};

static void field(struct mm_smaps_entry *e, const char *line)
{
	const char *colon = strchr(line, ':');
	if (!colon)
		return;
	size_t klen = (size_t)(colon - line);
	for (int k = 0; k < MM_SMAPS_NR; k++)
		if (strlen(keys[k]) == klen && !memcmp(line, keys[k], klen)) {
			e->kb[k] = strtoull(colon + 1, NULL, 10);
			return;
		}
}

int mm_smaps_parse(const char *text, size_t len, struct mm_smaps *out)
{
	size_t cap = 0, lineno = 0;
	char *save = NULL, *line;
	struct mm_smaps_entry *cur = NULL;

	memset(out, 0, sizeof(*out));
	out->text = mm_malloc(len + 1);
	memcpy(out->text, text, len);
	out->text[len] = '\0';
	for (line = strtok_r(out->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (isdigit((unsigned char)line[0]) || (line[0] >= 'a' && line[0] <= 'f')) {
			MM_GROW(out->e, out->n, cap, 32);
			cur = &out->e[out->n];
			memset(cur, 0, sizeof(*cur));
			if (!mm_maps_parse_line(line, &cur->map)) {
				mm_smaps_free(out);
				return mm_error("smaps line %zu is not a mapping", lineno);
			}
			out->n++;
		} else if (cur) {
			field(cur, line);
		}
	}
	return 0;
}

void mm_smaps_free(struct mm_smaps *s)
{
	free(s->e);
	free(s->text);
	memset(s, 0, sizeof(*s));
}
