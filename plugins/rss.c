/*
 * plugins/rss.c - kmem:rss_stat: a per-mm RSS counter's new value.
 *
 * The event carries the counter's new value, not the change, so the last
 * value of each (mm_id, member) is kept here to tell "rises" from "falls";
 * that direction, seen in the faulting task's own mm (curr=1) while a fault
 * is held, is the classifier's main evidence.  The first value of a counter
 * has no previous one: ANON/FILE/SHMEM then count as rising (inside a fault
 * a counter almost always grows), SWAPENTS as "moved" (swap-in only when
 * ANONPAGES rises with it).
 */
#include <event-parse.h>

#include "plugin.h"

const char *mm_rss_member_name(enum mm_rss_member m)
{
	static const char *const names[MM_RSS_NR] = {
		[MM_RSS_FILE] = "file", [MM_RSS_ANON] = "anon",
		[MM_RSS_SWAPENTS] = "swap", [MM_RSS_SHMEM] = "shmem",
	};
	return (unsigned)m < MM_RSS_NR ? names[m] : "?";
}

enum { F_MM_ID, F_CURR, F_MEMBER, F_SIZE };

struct mm_last {
	int64_t value[MM_RSS_NR];
	uint8_t known;           /* bit per member */
};

static void note(struct mm_fault_evidence *e, uint8_t member, int dir)
{
	switch (member) {
	case MM_RSS_ANON:     e->anon_up |= dir >= 0; break;
	case MM_RSS_FILE:     e->file_up |= dir >= 0; e->file_down |= dir < 0; break;
	case MM_RSS_SHMEM:    e->shmem_up |= dir >= 0; break;
	case MM_RSS_SWAPENTS: e->swap_down |= dir < 0; e->swap_moved |= dir == 0; break;
	}
}

/* Direction of the change: 1 up, -1 down, 0 unknown; 2 when unchanged. */
static int update(struct mm_decoder *d, uint32_t mm_id, uint8_t member, int64_t bytes)
{
	struct mm_last *m = mm_idmap_get(&d->mms, mm_id);
	int dir = 0;
	if (m->known & (1u << member))
		dir = bytes > m->value[member] ? 1 : bytes < m->value[member] ? -1 : 2;
	m->value[member] = bytes;
	m->known |= 1u << member;
	return dir;
}

static int on_rss(struct mm_decoder *d, const struct mm_plugin_slot *s,
		  const uint8_t *data, uint32_t size, struct mm_task *t,
		  struct mm_event *ev)
{
	(void)size;
	int64_t member = mm_plugin_s64(d, data, s->f[F_MEMBER]);
	if (member < 0 || member >= MM_RSS_NR)
		return MM_PLUGIN_DROP;
	ev->kind = MM_EV_RSS;
	ev->rss.mm_id = (uint32_t)mm_plugin_u64(d, data, s->f[F_MM_ID]);
	ev->rss.curr = mm_plugin_u64(d, data, s->f[F_CURR]) != 0;
	ev->rss.member = (uint8_t)member;
	ev->rss.bytes = mm_plugin_s64(d, data, s->f[F_SIZE]);
	mm_idmap_reserve(&d->mms, 1);
	int dir = update(d, ev->rss.mm_id, ev->rss.member, ev->rss.bytes);
	if (ev->rss.curr && t->fault_held && dir != 2)
		note(&t->ev, ev->rss.member, dir);
	return MM_PLUGIN_EMIT;
}

int mm_plugin_rss_init(struct mm_decoder *d)
{
	mm_idmap_init(&d->mms, sizeof(struct mm_last));
	struct tep_event *e = tep_find_event_by_name(d->tep, "kmem", "rss_stat");
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_rss);
	if (!s) {
		mm_plugin_missing(d, "kmem", "rss_stat");
		return 0;
	}
	mm_plugin_field(s, e, "mm_id", &s->f[F_MM_ID]);
	mm_plugin_field(s, e, "curr", &s->f[F_CURR]);
	mm_plugin_field(s, e, "member", &s->f[F_MEMBER]);
	mm_plugin_field(s, e, "size", &s->f[F_SIZE]);
	return 0;
}
