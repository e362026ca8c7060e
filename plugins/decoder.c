/*
 * plugins/decoder.c - dispatch by event id and the hold queue.
 *
 * Dispatch: slots[common_type] gives the handler and the field locations
 * resolved once at mm_decoder_new(); a record too short for them is counted
 * as malformed and never read.
 *
 * The hold queue is a ring of struct mm_event addressed by sequence number
 * (seq & mask).  Handlers fill the event in place at the tail; an event
 * whose meaning is not known yet (a fault awaiting its class, a syscall
 * awaiting its exit) is marked held and keeps its place, and nothing behind
 * it is emitted before it.  So the sink sees events in record order, each
 * complete.  A held event is forced out when the stream has moved on by
 * MM_DECODER_HOLD_NS or the ring is at MM_DECODER_MAX_HELD; the ring starts
 * small and doubles up to that, since a normal trace holds one or two
 * events at a time and a 64 Ki-entry ring of ~330-byte events would cost
 * 20 MiB for nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event-parse.h>

#include "memmon.h"
#include "format/heapcodec.h"
#include "eventset.h"
#include "plugin.h"

#define RING_MIN 1024
#define MAX_EVENT_ID 65535

static bool host_bigendian(void)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one == 0;
}

struct mm_plugin_slot *mm_plugin_bind(struct mm_decoder *d, struct tep_event *event,
				      mm_plugin_fn fn)
{
	if (!event || event->id < 0 || event->id > MAX_EVENT_ID)
		return NULL;
	uint32_t id = (uint32_t)event->id;
	if (id >= d->nr_slots) {
		uint32_t n = id + 1;
		d->slots = mm_realloc(d->slots, n * sizeof(*d->slots));
		memset(d->slots + d->nr_slots, 0, (n - d->nr_slots) * sizeof(*d->slots));
		d->nr_slots = n;
	}
	struct mm_plugin_slot *s = &d->slots[id];
	memset(s, 0, sizeof(*s));
	s->fn = fn;
	s->min_size = 4;                 /* common_type + flags at least */
	struct tep_format_field *pid = tep_find_common_field(event, "common_pid");
	if (pid && pid->offset >= 0 && pid->size > 0 && pid->offset + pid->size <= 0xffff) {
		s->pid.offset = (uint16_t)pid->offset;
		s->pid.size = (uint16_t)pid->size;
		if ((uint32_t)(pid->offset + pid->size) > s->min_size)
			s->min_size = pid->offset + pid->size;
	}
	return s;
}

bool mm_plugin_field(struct mm_plugin_slot *s, struct tep_event *event,
		     const char *name, struct mm_plugin_field *f)
{
	struct tep_format_field *tf = tep_find_field(event, name);
	memset(f, 0, sizeof(*f));
	if (!tf || tf->offset < 0 || tf->size <= 0 || tf->offset + tf->size > 0xffff)
		return false;
	f->offset = (uint16_t)tf->offset;
	f->size = (uint16_t)tf->size;
	f->data_loc = (tf->flags & TEP_FIELD_IS_DYNAMIC) != 0;
	if ((uint32_t)(tf->offset + tf->size) > s->min_size)
		s->min_size = tf->offset + tf->size;
	return true;
}

void mm_plugin_missing(struct mm_decoder *d, const char *system, const char *name)
{
	size_t add = strlen(system) + strlen(name) + 2;
	d->missing = mm_realloc(d->missing, d->missing_len + add + 1);
	d->missing_len += sprintf(d->missing + d->missing_len, "%s%s:%s",
				  d->missing_len ? "," : "", system, name);
}

void mm_plugin_str(const struct mm_decoder *d, const uint8_t *data, uint32_t size,
		   struct mm_plugin_field f, bool data_loc, char *dst, size_t len)
{
	uint32_t off = f.offset, n = f.size;
	if (data_loc) {
		uint32_t loc = (uint32_t)mm_plugin_u64(d, data, f);
		off = loc & 0xffff;
		n = loc >> 16;
		if ((uint64_t)off + n > size)
			n = 0;
	}
	if (n > len - 1)
		n = len - 1;
	const char *src = (const char *)data + off;
	size_t i = 0;
	while (i < n && src[i])
		i++;
	memcpy(dst, src, i);
	dst[i] = '\0';
}

static void account(struct mm_decoder *d, const struct mm_event *ev)
{
	d->counts.by_kind[ev->kind]++;
	if (ev->kind == MM_EV_FAULT)
		d->counts.faults[ev->fault.class][ev->fault.access]++;
	else if (ev->kind == MM_EV_SYSCALL && !ev->sys.has_ret && ev->sys.nr != MM_SYS_EXIT_GROUP)
		d->counts.unresolved_syscalls++;
}

/* Emit from the head everything that is no longer held. */
static void drain(struct mm_decoder *d)
{
	while (d->head < d->tail && !d->held[d->head & d->mask]) {
		const struct mm_event *ev = mm_plugin_at(d, d->head);
		account(d, ev);
		d->emit(d->ctx, ev);
		d->head++;
	}
}

/* Resolve the (held) head with what is known now. */
static void force_head(struct mm_decoder *d)
{
	struct mm_event *ev = mm_plugin_at(d, d->head);
	struct mm_task *t = mm_idmap_find(&d->tasks, (uint32_t)ev->pid);
	d->counts.forced++;
	if (t && ev->kind == MM_EV_FAULT && t->fault_held && t->fault_seq == d->head)
		mm_plugin_fault_resolve(d, t);
	else if (t && ev->kind == MM_EV_SYSCALL && t->sys_held && t->sys_seq == d->head)
		mm_plugin_syscall_abandon(d, t);
	mm_plugin_release(d, d->head);
	drain(d);
}

static void grow_ring(struct mm_decoder *d)
{
	uint64_t cap = (d->mask + 1) * 2;
	struct mm_event *ring = mm_malloc(cap * sizeof(*ring));
	uint8_t *held = mm_calloc(cap, 1);
	for (uint64_t seq = d->head; seq < d->tail; seq++) {
		ring[seq & (cap - 1)] = d->ring[seq & d->mask];
		held[seq & (cap - 1)] = d->held[seq & d->mask];
	}
	free(d->ring);
	free(d->held);
	d->ring = ring;
	d->held = held;
	d->mask = cap - 1;
}

/* Before taking the tail: force out what aged or what no longer fits. */
static void make_room(struct mm_decoder *d)
{
	while (d->head < d->tail) {
		uint64_t ts = mm_plugin_at(d, d->head)->ts;
		if (ts >= d->now || d->now - ts <= MM_DECODER_HOLD_NS)
			break;
		force_head(d);
	}
	if (d->tail - d->head <= d->mask)
		return;
	if (d->mask + 1 < MM_DECODER_MAX_HELD)
		grow_ring(d);
	else
		force_head(d);
}

void mm_decoder_feed(struct mm_decoder *d, struct tep_record *rec)
{
	const uint8_t *data = rec->data;
	uint32_t size = rec->size > 0 ? (uint32_t)rec->size : 0;
	/* the stacks rings follow the CPUs' (the malloc stream follows them) */
	bool stack_ring = d->stack_cpu && (uint32_t)rec->cpu >= d->stack_cpu &&
			  (uint32_t)rec->cpu < 2 * d->stack_cpu;
	if (!stack_ring)
		d->counts.records++;
	if (!data || size < 2) {
		d->counts.malformed++;
		return;
	}
	uint16_t id;
	memcpy(&id, data, 2);
	if (d->swap)
		id = __builtin_bswap16(id);
	const struct mm_plugin_slot *s = id < d->nr_slots ? &d->slots[id] : NULL;
	if (!s || !s->fn) {
		d->counts.unknown++;
		return;
	}
	if (size < s->min_size) {
		d->counts.malformed++;
		return;
	}
	if (stack_ring) {
		mm_idmap_reserve(&d->tasks, 1);
		int32_t tid = (int32_t)mm_plugin_s64(d, data, s->pid);
		mm_plugin_ustack_feed(d, id, data, size, rec->ts,
				      mm_idmap_get(&d->tasks, (uint32_t)tid));
		return;
	}
	if (rec->ts > d->now)
		d->now = rec->ts;
	make_room(d);
	/* Handlers may touch the task, its process, a child and its process. */
	mm_idmap_reserve(&d->tasks, 4);
	int32_t pid = (int32_t)mm_plugin_s64(d, data, s->pid);
	struct mm_task *t = mm_idmap_get(&d->tasks, (uint32_t)pid);
	if (s->settles && t->fault_held)
		mm_plugin_fault_resolve(d, t);
	struct mm_event *ev = mm_plugin_at(d, d->tail);
	ev->ts = rec->ts;
	ev->pid = pid;
	ev->tgid = t->tgid;
	ev->cpu = (uint16_t)rec->cpu;
	int r = s->fn(d, s, data, size, t, ev);
	if (r != MM_PLUGIN_DROP) {
		d->held[d->tail & d->mask] = r == MM_PLUGIN_HOLD;
		d->tail++;
	}
	drain(d);
}

void mm_decoder_feed_heap(struct mm_decoder *d, const struct mm_heap_rec *r, uint16_t id,
			  uint16_t cpu)
{
	if ((int32_t)id != d->heap_fast_id) {
		/* not memmon's own format (a hostile file): as the event */
		unsigned char data[MM_HEAP_EV_LEN];
		struct tep_record rec = { .ts = r->ts, .data = data, .size = MM_HEAP_EV_LEN,
					  .record_size = MM_HEAP_EV_LEN + 4, .cpu = cpu };
		mm_heap_rec_event(r, id, d->swap, data);
		mm_decoder_feed(d, &rec);
		return;
	}
	/* what mm_decoder_feed() does with the event, without its form */
	d->counts.records++;
	if (r->ts > d->now)
		d->now = r->ts;
	if (d->head != d->tail)          /* (nothing held: no room to make) */
		make_room(d);
	/* the last call's task again (a run of one thread's calls), while
	 * the table has not moved its values */
	struct mm_task *t = d->heap_task;
	if (!t || r->tid != d->heap_tid || d->tasks.vals != d->heap_vals) {
		mm_idmap_reserve(&d->tasks, 4);
		t = mm_idmap_get(&d->tasks, (uint32_t)r->tid);
		d->heap_task = t;
		d->heap_tid = r->tid;
		d->heap_vals = d->tasks.vals;
	}
	if (t->fault_held)
		mm_plugin_fault_resolve(d, t);
	/* nothing waits: emitted at once, from an event that stays in cache */
	bool direct = d->head == d->tail;
	struct mm_event *ev = direct ? &d->scratch : mm_plugin_at(d, d->tail);
	ev->ts = r->ts;
	ev->pid = r->tid;
	ev->tgid = t->tgid;
	ev->cpu = cpu;
	if (!mm_plugin_heap_rec(d, r, t, ev)) {
		drain(d);
		return;
	}
	if (direct && d->head == d->tail) {
		d->counts.by_kind[MM_EV_HEAP]++;          /* account()'s, for a call */
		d->emit(d->ctx, ev);
		return;
	}
	if (direct)
		*mm_plugin_at(d, d->tail) = *ev;
	d->held[d->tail & d->mask] = 0;
	d->tail++;
	drain(d);
}

void mm_decoder_inject(struct mm_decoder *d, const struct mm_event *ev)
{
	if (ev->ts > d->now)
		d->now = ev->ts;
	make_room(d);
	*mm_plugin_at(d, d->tail) = *ev;
	d->held[d->tail & d->mask] = 0;
	d->tail++;
	drain(d);
}

void mm_decoder_finish(struct mm_decoder *d)
{
	drain(d);
	while (d->head < d->tail)
		force_head(d);
}

struct mm_decoder *mm_decoder_new(struct tep_handle *tep, mm_emit_fn emit, void *ctx)
{
	struct mm_decoder *d = mm_calloc(1, sizeof(*d));
	d->tep = tep;
	d->emit = emit;
	d->ctx = ctx;
	d->swap = tep_is_file_bigendian(tep) != host_bigendian();
	mm_idmap_init(&d->tasks, sizeof(struct mm_task));
	d->heap_fast_id = -1;
	d->ring = mm_malloc(RING_MIN * sizeof(*d->ring));
	d->held = mm_calloc(RING_MIN, 1);
	d->mask = RING_MIN - 1;
	d->missing = mm_strdup("");
	/* in mm_event_set's order, so mm_decoder_missing() lists them so */
	d->page_size = tep_get_page_size(tep) > 0 ? (uint64_t)tep_get_page_size(tep) : 4096;
	if (mm_plugin_faults_init(d) || mm_plugin_rss_init(d) ||
	    mm_plugin_filemap_init(d) || mm_plugin_proc_init(d) ||
	    mm_plugin_signal_init(d) || mm_plugin_notes_init(d) ||
	    mm_plugin_insys_init(d) || mm_plugin_ustack_init(d) ||
	    mm_plugin_syscalls_init(d) || mm_plugin_kprobes_init(d) || mm_plugin_heap_init(d) ||
	    mm_plugin_frames_init(d)) {
		mm_decoder_free(d);
		return NULL;
	}
	return d;
}

void mm_decoder_free(struct mm_decoder *d)
{
	if (!d)
		return;
	mm_idmap_free(&d->tasks);
	if (d->mms.keys)
		mm_idmap_free(&d->mms);
	free(d->slots);
	free(d->ring);
	free(d->held);
	free(d->missing);
	free(d);
}

const struct mm_decoder_counts *mm_decoder_counts(const struct mm_decoder *d)
{
	return &d->counts;
}

const char *mm_decoder_missing(const struct mm_decoder *d)
{
	return d->missing;
}

const char *mm_decoder_classifier(const struct mm_decoder *d)
{
	return d->kprobe ? "kprobe" : "tracepoint";
}

void mm_decoder_set_kernel(struct mm_decoder *d, const char *release)
{
	unsigned major = 0, minor = 0;

	d->rss_batched = release && sscanf(release, "%u.%u", &major, &minor) == 2 &&
			 (major < 6 || (major == 6 && minor < 2));
}

bool mm_decoder_needs_model(const struct mm_decoder *d)
{
	return d->rss_batched && !d->kprobe;
}
