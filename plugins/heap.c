/*
 * plugins/heap.c - memmon:malloc, the malloc-level records of record
 * --malloc (format/heapcodec.h writes them as events of this format, with
 * the fields the format names), into MM_EV_HEAP events.
 *
 * A record's task is the thread that made the call and its tgid field the
 * process, which the interposer knew: the event carries it even when the
 * trace never saw that thread made (record -p, a thread started before
 * the recording).  A record ends its task's held fault: it was taken after
 * the call returned to user space, after every event the fault caused.
 */
#include <event-parse.h>

#include "plugin.h"
#include "format/heapops.h"
#include "format/heapcodec.h"
#include "format/layout.h"

/* memmon's own format: its fields must sit where heapcodec.h puts them */
static const struct { const char *name; uint16_t offset, size; } fields[] = {
	{ "op", MM_HEAP_EV_OP, 1 }, { "aux", MM_HEAP_EV_AUX, 1 },
	{ "tgid", MM_HEAP_EV_TGID, 4 }, { "site", MM_HEAP_EV_SITE, 8 },
	{ "size", MM_HEAP_EV_SIZE, 8 }, { "ptr", MM_HEAP_EV_PTR, 8 },
	{ "old", MM_HEAP_EV_OLD, 8 },
};
#define NR_F (sizeof(fields) / sizeof(fields[0]))

static inline uint64_t at(const struct mm_decoder *d, const uint8_t *data, unsigned i)
{
	struct mm_plugin_field f = { .offset = fields[i].offset, .size = fields[i].size };

	return mm_plugin_u64(d, data, f);
}

/* The event of one call: OP and the fields as the record or event has them.
 * A site that names a stack (MM_HEAP_STACK_BIT) is that stack's first
 * frame; a stack the file does not have leaves the site unknown. */
static bool fill(const struct mm_decoder *d, struct mm_event *ev, struct mm_task *t, uint32_t op,
		 uint8_t aux, uint64_t site, uint64_t size, uint64_t ptr, uint64_t old, int32_t tgid)
{
	struct mm_heap_call *h = &ev->heap;

	h->stack = 0;
	h->nr_frames = 0;
	h->frames = NULL;
	if (__builtin_expect(!!(site & MM_HEAP_STACK_BIT), 0)) {
		uint64_t id = site & ~MM_HEAP_STACK_BIT;
		site = 0;
		if (id && id <= d->nr_heap_stacks) {
			const struct mm_heap_stack *st = &d->heap_stacks[id - 1];
			h->stack = (uint32_t)id;
			h->nr_frames = st->nr;
			h->frames = st->pc;
			site = st->pc[0];
		}
	}

	if (!(MM_OP_IS_FREE(op) || MM_OP_IS_ALLOC(op) || MM_OP_IS_REALLOC(op) ||
	      op == MM_OP_HELLO || op == MM_OP_LOST))
		return false;
	ev->kind = MM_EV_HEAP;
	h->op = (uint8_t)op;
	h->aux = aux;
	h->site = site;
	h->size = size;
	h->ptr = ptr;
	h->old = MM_OP_IS_REALLOC(op) ? old : 0;
	if (tgid > 0) {
		ev->tgid = tgid;
		if (!t->tgid)
			t->tgid = tgid;
	}
	return true;
}

static int on_heap(struct mm_decoder *d, const struct mm_plugin_slot *s __attribute__((unused)),
		   const uint8_t *data, uint32_t size, struct mm_task *t, struct mm_event *ev)
{
	(void)size;              /* min_size covers every field */
	return fill(d, ev, t, (uint32_t)at(d, data, 0), (uint8_t)at(d, data, 1), at(d, data, 3),
		    at(d, data, 4), at(d, data, 5), at(d, data, 6), (int32_t)at(d, data, 2)) ?
	       MM_PLUGIN_EMIT : MM_PLUGIN_DROP;
}

bool mm_plugin_heap_rec(const struct mm_decoder *d, const struct mm_heap_rec *r, struct mm_task *t,
			struct mm_event *ev)
{
	return fill(d, ev, t, r->op, r->aux, r->site, r->size, r->ptr, r->old, r->tgid);
}

int mm_plugin_heap_init(struct mm_decoder *d)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, MM_HEAP_SYSTEM, MM_HEAP_EVENT);
	struct mm_plugin_slot *s;
	struct mm_plugin_field f;

	if (!e)
		return 0;                /* a trace without --malloc */
	s = mm_plugin_bind(d, e, on_heap);
	if (!s)
		return 0;
	for (size_t i = 0; i < NR_F; i++)
		if (!mm_plugin_field(s, e, fields[i].name, &f) || f.offset != fields[i].offset ||
		    f.size != fields[i].size)
			return s->fn = NULL, 0;   /* not memmon's layout: ignore it */
	s->settles = true;
	d->heap = true;
	/* common_pid where the records' events put it: the records may skip
	 * the event form */
	if (s->pid.offset == 4 && s->pid.size == 4)
		d->heap_fast_id = e->id;
	return 0;
}

void mm_decoder_set_heap_stacks(struct mm_decoder *d, const struct mm_heap_stack *v, uint32_t n)
{
	d->heap_stacks = v;
	d->nr_heap_stacks = n;
}

bool mm_decoder_has_heap(const struct mm_decoder *d)
{
	return d->heap;
}
