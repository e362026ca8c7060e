/*
 * plugins/kprobes.c - the kprobe fault classifier.
 *
 * Where the kernel has kprobes, record puts probes on the kernel's fault
 * handlers under its own group (memmon_<pid>); each handler names a class,
 * so the probe event that follows a task's page_fault_user tells that
 * fault's class directly.  This file owns the table (record uses it to
 * define the probes) and decodes the probe events: they carry nothing but
 * __probe_ip, so the handler only settles the task's held fault and emits
 * nothing.  Events are recognised in any memmon_* group, whatever the
 * recording pid was.
 */
#include <stdio.h>
#include <string.h>
#include <event-parse.h>

#include "plugin.h"

#define GROUP_PREFIX "memmon_"

const struct mm_kprobe_def mm_kprobe_classifier[] = {
	{ "anon", "do_anonymous_page", MM_FAULT_ANON },
	{ "swap", "do_swap_page",      MM_FAULT_SWAP },
	{ "file", "do_read_fault",     MM_FAULT_FILE },
	{ "cow",  "do_cow_fault",      MM_FAULT_COW  },
	/* a write to a present write-protected page: copy (or reuse) */
	{ "wp",   "do_wp_page",        MM_FAULT_COW  },
};
const size_t mm_kprobe_classifier_len =
	sizeof(mm_kprobe_classifier) / sizeof(mm_kprobe_classifier[0]);

int mm_kprobe_definition(char *buf, size_t len, const char *group,
			 const struct mm_kprobe_def *def)
{
	int n = snprintf(buf, len, "p:%s/%s %s", group, def->event, def->symbol);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

static int on_probe(struct mm_decoder *d, const struct mm_plugin_slot *s,
		    const uint8_t *data, uint32_t size, struct mm_task *t,
		    struct mm_event *ev)
{
	(void)data;
	(void)size;
	(void)ev;
	mm_plugin_fault_set_class(d, t, s->sub);
	return MM_PLUGIN_DROP;
}

static const struct mm_kprobe_def *def_of(const char *event)
{
	for (size_t i = 0; i < mm_kprobe_classifier_len; i++)
		if (!strcmp(mm_kprobe_classifier[i].event, event))
			return &mm_kprobe_classifier[i];
	return NULL;
}

int mm_plugin_kprobes_init(struct mm_decoder *d)
{
	int n = tep_get_events_count(d->tep);
	for (int i = 0; i < n; i++) {
		struct tep_event *e = tep_get_event(d->tep, i);
		if (!e || !e->system || strncmp(e->system, GROUP_PREFIX, strlen(GROUP_PREFIX)))
			continue;
		const struct mm_kprobe_def *def = def_of(e->name);
		struct mm_plugin_slot *s = def ? mm_plugin_bind(d, e, on_probe) : NULL;
		if (!s)
			continue;
		s->sub = (uint8_t)def->class;
		d->kprobe = true;
	}
	return 0;
}
