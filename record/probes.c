/*
 * record/probes.c - defining the kprobe fault classifier's probes.
 *
 * The sets (plugins/kprobes.c) are tried in order: each probe of a set is
 * written to kprobe_events with the first of its functions the kernel
 * accepts; a set whose required probe the kernel refuses (the function is
 * inlined, ambiguous or absent on this build) is removed again and the next
 * one tried.  Refusals are collected as text for the caller's notice, never
 * an error: a kernel that takes no set records with the tracepoint
 * classifier instead.  Probes live in memmon's own group, memmon_<pid>, so
 * they can be told from anyone else's and removed as a whole: kprobe_events
 * and uprobe_events are global files, and memmon only ever adds or removes
 * lines of its group.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "memmon.h"
#include "plugins/decoder.h"
#include "record/record.h"

static bool top_file_exists(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", mm_tracing_dir(), name);
	return access(path, F_OK) == 0;
}

bool mm_probes_kprobes_available(void)
{
	return top_file_exists("kprobe_events");
}

bool mm_probes_uprobes_available(void)
{
	return top_file_exists("uprobe_events");
}

static void add_note(struct mm_probe_choice *c, const char *fmt, ...)
{
	size_t len = strlen(c->notes);
	va_list ap;

	if (len + 2 >= sizeof(c->notes))
		return;
	if (len)
		c->notes[len++] = ';', c->notes[len++] = ' ';
	va_start(ap, fmt);
	vsnprintf(c->notes + len, sizeof(c->notes) - len, fmt, ap);
	va_end(ap);
}

/* Define DEF with the first of its functions the kernel takes: the
 * function's name into SYMBOL, the definition appended to *TEXT.  Returns
 * false with the last refusal's errno in *ERR. */
static bool define_one(const char *group, const struct mm_kprobe_def *def, char *symbol,
		       size_t symlen, char **text, size_t *len, size_t *cap, int *err)
{
	char names[256], line[512], *save = NULL;

	snprintf(names, sizeof(names), "%s", def->symbols);
	*err = ENOENT;
	for (char *s = strtok_r(names, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		int n = mm_kprobe_definition(line, sizeof(line), group, def, s);

		if (n < 0) {
			*err = ENAMETOOLONG;
			continue;
		}
		if (tracefs_instance_file_append(NULL, "kprobe_events", line) < 0) {
			*err = errno;
			continue;
		}
		snprintf(symbol, symlen, "%s", s);
		if (*cap - *len < (size_t)n + 2)
			*text = mm_realloc(*text, *cap = 2 * *cap + n);
		*len += snprintf(*text + *len, *cap - *len, "%s\n", line);
		return true;
	}
	return false;
}

/* Define every probe of SET; false (its probes removed) when the kernel
 * refuses a required one. */
static bool define_set(const char *group, const struct mm_kprobe_set *set,
		       struct mm_probe_choice *c)
{
	size_t len = 0, cap = 512;
	int err;

	memset(c->symbol, 0, sizeof(c->symbol));
	memset(c->refused, 0, sizeof(c->refused));
	c->text = mm_malloc(cap);
	c->text[0] = '\0';
	for (size_t i = 0; i < set->len && i < MM_PROBES_MAX; i++) {
		const struct mm_kprobe_def *def = &set->defs[i];

		if (define_one(group, def, c->symbol[i], sizeof(c->symbol[i]),
			       &c->text, &len, &cap, &err))
			continue;
		c->refused[i] = err;
		if (def->optional) {
			add_note(c, "optional %s (%s) refused: %s", def->event, def->symbols,
				 strerror(err));
			continue;
		}
		add_note(c, "set %s: %s refused: %s", set->name, def->symbols, strerror(err));
		mm_probes_destroy(group);
		free(c->text);
		c->text = NULL;
		return false;
	}
	return true;
}

int mm_probes_choose(const char *group, struct mm_evlist *l, struct mm_probe_choice *c)
{
	memset(c, 0, sizeof(*c));
	if (!mm_probes_kprobes_available()) {
		add_note(c, "the kernel has no kprobes");
		return 0;
	}
	for (size_t i = 0; i < mm_kprobe_sets_len; i++) {
		const struct mm_kprobe_set *set = &mm_kprobe_sets[i];

		if (!define_set(group, set, c))
			continue;
		c->set = set;
		for (size_t j = 0; j < set->len && j < MM_PROBES_MAX; j++)
			if (c->symbol[j][0])
				mm_evlist_add(l, group, set->defs[j].event);
		return 0;
	}
	return 0;
}

void mm_probes_choice_free(struct mm_probe_choice *c)
{
	free(c->text);
	c->text = NULL;
}

int mm_probes_destroy(const char *group)
{
	struct tracefs_dynevent **evs = tracefs_dynevent_get_all(
		TRACEFS_DYNEVENT_KPROBE | TRACEFS_DYNEVENT_KRETPROBE |
		TRACEFS_DYNEVENT_UPROBE | TRACEFS_DYNEVENT_URETPROBE, group);
	int ret = 0;

	/* Not forced: our instance is gone by now, and a probe still enabled
	 * elsewhere is someone else's business to disable.  One already gone
	 * was removed meanwhile by the recording's own teardown (a detached
	 * child) or by another memmon cleaning up stale groups. */
	int err = 0;

	for (size_t i = 0; evs && evs[i]; i++) {
		if (tracefs_dynevent_destroy(evs[i], false) < 0 && errno != ENOENT) {
			err = errno;
			ret = mm_error_errno("cannot remove probe group '%s'", group);
		}
	}
	tracefs_dynevent_list_free(evs);
	if (ret < 0)
		errno = err;	/* the caller tells EBUSY apart: the list's free may clobber it */
	return ret;
}
