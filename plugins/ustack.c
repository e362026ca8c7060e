/*
 * plugins/ustack.c - the user stacks of the memory syscalls.
 *
 * record's second instance (record/stacks.c) has only the memory calls'
 * sys_enter events, each followed by ftrace's user_stack record of the
 * same task: its ring reaches the decoder as records whose cpu is past
 * the recorded CPUs (mm_decoder_set_stack_ring).  Those records are never
 * events: the sys_enter says which call the next stack is for, the stack
 * is noted on the task, and when the main ring's exit of that call comes
 * (syscalls.c) the call takes the stack.  Both instances' probes run in
 * the same tracepoint call, so the stack lies between the call's entry
 * and exit in time; a stack that does not is left.
 *
 * The walk reads the frames with faults disabled: a frame pointer that
 * points nowhere (code without frame pointers leaves any value in %rbp) is
 * a page_fault_kernel event of the task that maps nothing and that rusage
 * never counts.  record keeps those out of the main ring with a filter
 * (record/stacks.c): they come with preemption disabled, as no fault the
 * kernel really handles does.
 */
#include <string.h>
#include <event-parse.h>

#include "plugin.h"

/* A stack recorded up to this long before the main ring's entry still
 * belongs to it (the two rings take their timestamps apart). */
#define ENTRY_SLACK_NS 100000

/* A user stack in the main ring (no instance of record's puts one there). */
static int on_stray(struct mm_decoder *d, const struct mm_plugin_slot *s, const uint8_t *data,
		    uint32_t size, struct mm_task *t, struct mm_event *ev)
{
	(void)d, (void)s, (void)data, (void)size, (void)t, (void)ev;
	return MM_PLUGIN_DROP;
}

int mm_plugin_ustack_init(struct mm_decoder *d)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, "ftrace", "user_stack");
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_stray);

	d->user_stack_id = -1;
	if (s && mm_plugin_field(s, e, "caller", &d->stack_caller))
		d->user_stack_id = e->id;
	return 0;
}

void mm_decoder_set_stack_ring(struct mm_decoder *d, uint32_t first_cpu)
{
	d->stack_cpu = first_cpu;
}

void mm_plugin_ustack_feed(struct mm_decoder *d, uint16_t id, const uint8_t *data,
			   uint32_t size, uint64_t ts, struct mm_task *t)
{
	const struct mm_plugin_slot *s = id < d->nr_slots ? &d->slots[id] : NULL;

	d->counts.stack_records++;
	if (s && s->enter) {
		t->stack_enter = (uint8_t)(s->sub + 1);
		return;
	}
	if ((int32_t)id != d->user_stack_id || !t->stack_enter)
		return;
	unsigned word = d->stack_caller.size % 8 == 0 && d->stack_caller.size >= 8 ? 8 : 4;
	unsigned n = d->stack_caller.size / word;
	if (d->stack_caller.offset + d->stack_caller.size > size)
		return;
	if (n > MM_MAX_FRAMES)
		n = MM_MAX_FRAMES;
	t->stack_nr = 0;
	for (unsigned i = 0; i < n; i++) {
		struct mm_plugin_field f = { (uint16_t)(d->stack_caller.offset + i * word),
					     (uint16_t)word, false };
		uint64_t pc = mm_plugin_u64(d, data, f);
		/* the walk ends at a 0 (and the kernel pads with 0) */
		if (!pc || (word == 8 && pc == UINT64_MAX) || (word == 4 && pc == UINT32_MAX))
			break;
		t->stack[t->stack_nr++] = pc;
	}
	t->stack_sys = t->stack_enter;
	t->stack_enter = 0;
	t->stack_ts = ts;
	d->counts.stacks++;
}

void mm_plugin_ustack_attach(struct mm_task *t, struct mm_event *e, uint64_t exit_ts)
{
	if (t->stack_sys != e->sys.nr + 1 || !t->stack_nr ||
	    t->stack_ts + ENTRY_SLACK_NS < e->ts || t->stack_ts > exit_ts)
		return;
	memcpy(e->sys.frames, t->stack, t->stack_nr * sizeof(t->stack[0]));
	e->sys.nr_frames = t->stack_nr;
	t->stack_sys = 0;
	t->stack_nr = 0;
}
