/*
 * record/probes.c - the kprobe fault classifier's probes.
 *
 * Where the kernel has kprobes, probes on its fault handlers (the table in
 * plugins/, mm_kprobe_classifier) name each fault's class directly.  They
 * are defined in memmon's own group, memmon_<pid>, so they can be told from
 * anyone else's and removed as a whole: kprobe_events and uprobe_events are
 * global files, and memmon only ever adds or removes lines of its group.
 */
#include <errno.h>
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

int mm_probes_create(const char *group, struct mm_evlist *l, char **text)
{
	size_t len = 0, cap = 256;
	char line[256];

	*text = mm_malloc(cap);
	(*text)[0] = '\0';
	if (!mm_probes_kprobes_available()) {
		mm_error("kprobe classifier requested but the kernel has no kprobes");
		mm_hint("use --classifier=tracepoint (or auto)");
		return -1;
	}
	for (size_t i = 0; i < mm_kprobe_classifier_len; i++) {
		const struct mm_kprobe_def *def = &mm_kprobe_classifier[i];
		int n = mm_kprobe_definition(line, sizeof(line), group, def);

		if (n < 0 || (size_t)n >= sizeof(line))
			return mm_error("cannot define kprobe '%s'", def->event);
		if (tracefs_instance_file_append(NULL, "kprobe_events", line) < 0)
			return mm_error_errno("cannot define kprobe '%s'", line);
		if (cap - len < (size_t)n + 2)
			*text = mm_realloc(*text, cap = 2 * cap + n);
		len += snprintf(*text + len, cap - len, "%s\n", line);
		mm_evlist_add(l, group, def->event);
	}
	return 0;
}

int mm_probes_destroy(const char *group)
{
	struct tracefs_dynevent **evs = tracefs_dynevent_get_all(
		TRACEFS_DYNEVENT_KPROBE | TRACEFS_DYNEVENT_KRETPROBE |
		TRACEFS_DYNEVENT_UPROBE | TRACEFS_DYNEVENT_URETPROBE, group);
	int ret = 0;

	/* Not forced: our instance is gone by now, and a probe still enabled
	 * elsewhere is someone else's business to disable. */
	for (size_t i = 0; evs && evs[i]; i++) {
		if (tracefs_dynevent_destroy(evs[i], false) < 0)
			ret = mm_error_errno("cannot remove probe group '%s'", group);
	}
	tracefs_dynevent_list_free(evs);
	return ret;
}
