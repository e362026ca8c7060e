/*
 * plugins/filemap.c - filemap:mm_filemap_fault and mm_filemap_map_pages.
 *
 * Both say "this fault went through a file's page cache": a fault read the
 * page via the file's fault handler, map_pages mapped pages around it
 * (fault-around).  They are events of their own (printed with --raw-events)
 * and evidence for the task's held fault: file, or cow when ANONPAGES then
 * rises (a private file page copied on write).  A map_pages window inside
 * a fault goes onto the fault (the pages fault-around mapped); one inside
 * a syscall (MAP_POPULATE, mlock of a file mapping) says so in ->during.
 */
#include <event-parse.h>

#include "plugin.h"

enum { F_INO, F_DEV, F_INDEX, F_LAST };
enum { SUB_FAULT, SUB_MAP_PAGES };

static int on_filemap(struct mm_decoder *d, const struct mm_plugin_slot *s,
		      const uint8_t *data, uint32_t size, struct mm_task *t,
		      struct mm_event *ev)
{
	(void)size;
	ev->kind = MM_EV_FILEMAP;
	ev->filemap.ino = mm_plugin_u64(d, data, s->f[F_INO]);
	ev->filemap.dev = (uint32_t)mm_plugin_u64(d, data, s->f[F_DEV]);
	ev->filemap.index = mm_plugin_u64(d, data, s->f[F_INDEX]);
	ev->filemap.map_pages = s->sub == SUB_MAP_PAGES;
	ev->filemap.last_index = ev->filemap.map_pages ?
		mm_plugin_u64(d, data, s->f[F_LAST]) : ev->filemap.index;
	ev->filemap.during = mm_plugin_during(d, t, &ev->filemap.sys);
	if (t->fault_held) {
		t->ev.filemap = true;
		if (ev->filemap.map_pages) {
			t->ev.around = true;
			t->ev.around_first = ev->filemap.index;
			t->ev.around_last = ev->filemap.last_index;
		}
	}
	return MM_PLUGIN_EMIT;
}

static void bind(struct mm_decoder *d, const char *name, uint8_t sub)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, "filemap", name);
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_filemap);
	if (!s) {
		mm_plugin_missing(d, "filemap", name);
		return;
	}
	s->sub = sub;
	mm_plugin_field(s, e, "i_ino", &s->f[F_INO]);
	mm_plugin_field(s, e, "s_dev", &s->f[F_DEV]);
	mm_plugin_field(s, e, "index", &s->f[F_INDEX]);
	if (sub == SUB_MAP_PAGES)
		mm_plugin_field(s, e, "last_index", &s->f[F_LAST]);
}

int mm_plugin_filemap_init(struct mm_decoder *d)
{
	bind(d, "mm_filemap_fault", SUB_FAULT);
	bind(d, "mm_filemap_map_pages", SUB_MAP_PAGES);
	return 0;
}
