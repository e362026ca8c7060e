/*
 * plugins/watch.c - the changes of the watch list, from the file's WATCH
 * sections (record/watch.c writes them; format/watchread.c reads them)
 * into MM_EV_WATCH events, in their place among the ring's; a join also
 * tells which process each of its tasks belongs to.
 */
#include "format/reader.h"
#include "plugin.h"

void mm_decoder_watch(struct mm_decoder *d, const struct mm_watch_change *c)
{
	struct mm_event ev = {
		.ts = c->ts, .pid = (int32_t)c->pid, .tgid = (int32_t)c->pid, .kind = MM_EV_WATCH,
	};

	/* the threads a joining process brings: theirs is the process, for
	 * every event they have from now on */
	for (uint32_t i = 0; c->op == MM_WATCH_JOIN && i < c->nr_tids; i++) {
		mm_idmap_reserve(&d->tasks, 1);
		struct mm_task *t = mm_idmap_get(&d->tasks, c->tids[i]);
		if (!t->tgid)
			t->tgid = (int32_t)c->pid;
	}
	ev.watch.op = (uint8_t)c->op;
	ev.watch.reason = (uint8_t)c->reason;
	ev.watch.nr_tids = c->nr_tids;
	ev.watch.tids = c->tids;
	ev.watch.pause_us = c->pause_us;
	mm_decoder_inject(d, &ev);
}
