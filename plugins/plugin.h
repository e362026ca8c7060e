/*
 * plugins/plugin.h - what the decoder and its plugins share (internal to
 * plugins/; report sees only decoder.h and event.h).
 *
 * The decoder keeps one slot per event id.  At mm_decoder_new() each plugin
 * looks its events up in the tep handle and fills their slots: the handler,
 * the field locations it reads and the record size those need.  Feeding a
 * record is then slots[common_type], a size check, and the handler loading
 * fields at fixed offsets into a struct mm_event that already sits in the
 * hold queue (no copy, no allocation).
 *
 * Per-task state (held fault and its classifier evidence, held syscall,
 * tgid, fork flag) lives in an open-addressing table keyed by tid.  The
 * table only grows at the start of a feed (mm_idmap_reserve), so a task
 * pointer stays valid for the whole of one record's handling.
 */
#ifndef MM_PLUGINS_PLUGIN_H
#define MM_PLUGINS_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decoder.h"

struct tep_event;

/* Where a field sits in a record; size 0 means the format lacks it. */
struct mm_plugin_field {
	uint16_t offset;
	uint16_t size;
	bool data_loc;           /* a __data_loc field (6.18's sched_process_fork
	                          * comms; 6.1 has char[16] there) */
};

/* u32-keyed open-addressing table of fixed-size zeroed values. */
struct mm_idmap {
	uint64_t *keys;          /* MM_IDMAP_EMPTY or the key */
	unsigned char *vals;
	size_t val_size, cap, used;
};
#define MM_IDMAP_EMPTY UINT64_MAX

void mm_idmap_init(struct mm_idmap *m, size_t val_size);
void mm_idmap_free(struct mm_idmap *m);
/* Make room for N more keys, so the next N gets cannot move the values. */
void mm_idmap_reserve(struct mm_idmap *m, size_t n);
/* The value for KEY, created zeroed when absent (room must be reserved). */
void *mm_idmap_get(struct mm_idmap *m, uint32_t key);
/* The value for KEY or NULL. */
void *mm_idmap_find(const struct mm_idmap *m, uint32_t key);

/* What the rss_stat/filemap events of a task said since its held fault. */
struct mm_fault_evidence {
	bool anon_up, file_up, file_down, shmem_up;
	bool swap_down, swap_moved;   /* moved: previous value unknown */
	bool filemap;
	bool around;                  /* map_pages: [around_first, around_last] */
	uint64_t around_first, around_last;
	int64_t up[MM_RSS_NR];        /* bytes each own counter rose by */
	int64_t down[MM_RSS_NR];      /* ... fell by */
	uint16_t kp;             /* kprobe classifier: enum mm_kp_evidence bits */
	/* record --frames (frames.c): the allocations the fault's handling
	 * made; FRAMES_CLOSED once its first own rss_stat said the page is
	 * mapped (later ones are not the fault's) */
	bool frames_closed, have_frame;
	uint8_t frame_order;
	uint16_t nr_frames;
	uint64_t pfn;
	uint64_t frame_seq;      /* the served frame's event in the hold queue */
};

struct mm_task {
	int32_t tgid;            /* 0 while unknown */
	bool forked;             /* (process entry) took part in a fork */
	bool fault_held, sys_held;
	bool have_clone_flags;   /* task_newtask told how this task was made */
	/* In a syscall (entered, neither its exit nor a user-mode fault seen
	 * since): CUR_SYS is its raw number. */
	bool in_sys;
	int16_t cur_sys;
	/* A fork-type call in progress: the new mm's counters as its rss_stat
	 * events (curr=0, in this task) set them; for the fork event. */
	bool child_rss_seen;
	int64_t child_rss[MM_RSS_NR];
	uint64_t clone_flags;
	uint64_t fault_seq, sys_seq;   /* their places in the hold queue */
	uint32_t mm_id;          /* its mm, from its own rss_stat (curr=1) */
	bool mm_known;
	struct mm_fault_evidence ev;
	/* The stacks ring's last user stack of this task (ustack.c), for the
	 * syscall STACK_SYS - 1 (enum mm_syscall_nr; 0: none) whose entry it
	 * followed; STACK_ENTER - 1: the entry seen, its stack to come. */
	uint8_t stack_sys, stack_enter;
	uint8_t stack_nr;
	uint64_t stack_ts;
	uint64_t stack[MM_MAX_FRAMES];
};

struct mm_plugin_slot;
/* Handler results. */
enum { MM_PLUGIN_DROP, MM_PLUGIN_EMIT, MM_PLUGIN_HOLD };
typedef int (*mm_plugin_fn)(struct mm_decoder *d, const struct mm_plugin_slot *s,
			    const uint8_t *data, uint32_t size,
			    struct mm_task *t, struct mm_event *ev);

#define MM_PLUGIN_MAX_FIELDS 6
struct mm_plugin_slot {
	mm_plugin_fn fn;
	uint32_t min_size;       /* bytes the fixed fields need */
	bool settles;            /* this event ends the task's held fault */
	bool enter;              /* a memory syscall's sys_enter (sub: its nr) */
	uint8_t sub;             /* plugin's selector: syscall nr, class, ... */
	int16_t call;            /* a syscall event's number as the kernel
	                          * has it (insys.c), MM_SYSCALL_NONE */
	struct mm_plugin_field pid;   /* common_pid */
	struct mm_plugin_field f[MM_PLUGIN_MAX_FIELDS];
};

/* A path record read at an execve's entry (notes.c), waiting for that
 * task's sys_enter_execve. */
#define MM_EXEC_NOTES 16
struct mm_exec_note {
	int32_t tid;             /* 0: free */
	char path[256];
};

struct mm_decoder {
	struct tep_handle *tep;
	mm_emit_fn emit;
	void *ctx;
	bool swap;               /* the file's byte order is not ours */
	bool kprobe;             /* the trace carries kprobe classifier events */
	uint16_t kp_avail;       /* evidence its probes can give (mm_kp_evidence) */
	bool rss_batched;        /* rss_stat comes in per-task batches (< 6.2) */
	bool heap;               /* the trace has memmon:malloc (record --malloc) */
	const struct mm_heap_stack *heap_stacks;   /* its stacks (HEAP_STACKS) */
	uint32_t nr_heap_stacks;
	/* memmon:malloc's id when its records may skip the event form
	 * (mm_decoder_feed_heap: its format is memmon's own), else -1 */
	int32_t heap_fast_id;
	/* mm_decoder_feed_heap()'s last task: its tid, and the table's values
	 * it lies in (a grown table moves them) */
	struct mm_task *heap_task;
	int32_t heap_tid;
	const unsigned char *heap_vals;
	struct mm_event scratch; /* an event emitted without queueing */
	bool any_swapents;       /* some mm's swap-entry counter was non-zero */
	struct mm_plugin_slot *slots;  /* indexed by event id */
	uint32_t nr_slots;
	struct mm_idmap tasks;   /* tid -> struct mm_task */
	struct mm_idmap mms;     /* mm_id -> last rss_stat values (rss.c) */
	struct mm_event *ring;   /* the hold queue; seq & mask indexes it */
	uint8_t *held;
	uint64_t head, tail;     /* sequence numbers: emit from head, fill at tail */
	uint64_t mask;
	uint64_t now;            /* stream time: the latest record's ts */
	struct mm_decoder_counts counts;
	uint64_t page_size;      /* the recording's, for rss bytes -> pages */
	int16_t raw_nr[MM_SYS_NR];     /* memory syscall -> kernel number */
	char *missing;           /* "sys:name,..." */
	size_t missing_len;
	struct mm_exec_note exec_notes[MM_EXEC_NOTES];
	unsigned next_exec_note;
	/* the stacks rings: records with cpu STACK_CPU .. 2 * STACK_CPU - 1
	 * (0: no such ring) */
	uint32_t stack_cpu;
	int32_t user_stack_id;         /* ftrace/user_stack, -1 if absent */
	struct mm_plugin_field stack_caller;
};

/* ---- decoder services for plugins (decoder.c) ---- */
/* The slot for EVENT's id, or NULL (id out of range: event ignored).  The
 * slot comes zeroed with the common_pid location filled. */
struct mm_plugin_slot *mm_plugin_bind(struct mm_decoder *d, struct tep_event *event,
				      mm_plugin_fn fn);
/* Locate field NAME of EVENT into *F and grow S->min_size to cover it.
 * Returns false (F zeroed) when the format lacks it. */
bool mm_plugin_field(struct mm_plugin_slot *s, struct tep_event *event,
		     const char *name, struct mm_plugin_field *f);
/* Note SYSTEM:NAME as missing from the trace. */
void mm_plugin_missing(struct mm_decoder *d, const char *system, const char *name);
static inline struct mm_event *mm_plugin_at(struct mm_decoder *d, uint64_t seq)
{
	return &d->ring[seq & d->mask];
}
static inline void mm_plugin_release(struct mm_decoder *d, uint64_t seq)
{
	d->held[seq & d->mask] = 0;
}

/* Saturating sums for values a hostile trace controls (signed overflow
 * is undefined). */
static inline int64_t mm_sat_add64(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}
static inline int32_t mm_sat_add32(int32_t a, int64_t b)
{
	int64_t r = (int64_t)a + (b > INT32_MAX ? INT32_MAX : b < INT32_MIN ? INT32_MIN : b);
	return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}
static inline int32_t mm_sat32(int64_t v)
{
	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* Load an unsigned field (1, 2, 4 or 8 bytes) in the file's byte order. */
static inline uint64_t mm_plugin_u64(const struct mm_decoder *d, const uint8_t *data,
				     struct mm_plugin_field f)
{
	const uint8_t *p = data + f.offset;
	switch (f.size) {
	case 8: { uint64_t v; memcpy(&v, p, 8); return d->swap ? __builtin_bswap64(v) : v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return d->swap ? __builtin_bswap32(v) : v; }
	case 2: { uint16_t v; memcpy(&v, p, 2); return d->swap ? __builtin_bswap16(v) : v; }
	case 1: return *p;
	default: return 0;
	}
}
/* Same, sign-extended from the field's width. */
static inline int64_t mm_plugin_s64(const struct mm_decoder *d, const uint8_t *data,
				    struct mm_plugin_field f)
{
	uint64_t v = mm_plugin_u64(d, data, f);
	switch (f.size) {
	case 4: return (int32_t)v;
	case 2: return (int16_t)v;
	case 1: return (int8_t)v;
	default: return (int64_t)v;
	}
}
/* Copy a fixed char[N] field or a __data_loc string into DST (NUL-ended,
 * truncated to LEN).  __data_loc: u32, offset in the low 16 bits, length in
 * the high 16; a location outside the record yields "" (hostile file). */
void mm_plugin_str(const struct mm_decoder *d, const uint8_t *data, uint32_t size,
		   struct mm_plugin_field f, bool data_loc, char *dst, size_t len);

/* An event that comes from elsewhere than a record (a WATCH section): put
 * at the tail of the hold queue, so it keeps its place among the others. */
void mm_decoder_inject(struct mm_decoder *d, const struct mm_event *ev);

/* ---- plugin set-up: each binds its events' slots (returns 0/-1) ---- */
int mm_plugin_faults_init(struct mm_decoder *d);
int mm_plugin_kprobes_init(struct mm_decoder *d);
int mm_plugin_syscalls_init(struct mm_decoder *d);
int mm_plugin_rss_init(struct mm_decoder *d);
int mm_plugin_filemap_init(struct mm_decoder *d);
int mm_plugin_proc_init(struct mm_decoder *d);
int mm_plugin_signal_init(struct mm_decoder *d);
int mm_plugin_notes_init(struct mm_decoder *d);
int mm_plugin_insys_init(struct mm_decoder *d);
int mm_plugin_heap_init(struct mm_decoder *d);
int mm_plugin_frames_init(struct mm_decoder *d);
/* T's held fault ends: what its frames say, settled (frames.c). */
void mm_plugin_frames_settle(struct mm_decoder *d, struct mm_task *t);
struct mm_heap_rec;
/* Record R into EV (on T) as its memmon:malloc event would be: false
 * when the event would be dropped. */
bool mm_plugin_heap_rec(const struct mm_decoder *d, const struct mm_heap_rec *r, struct mm_task *t,
			struct mm_event *ev);
int mm_plugin_ustack_init(struct mm_decoder *d);
/* A record of the stacks ring (ustack.c): noted on task T, never emitted. */
void mm_plugin_ustack_feed(struct mm_decoder *d, uint16_t id, const uint8_t *data,
			   uint32_t size, uint64_t ts, struct mm_task *t);
/* Give held syscall E (task T's, ending at EXIT_TS) the stack noted for it. */
void mm_plugin_ustack_attach(struct mm_task *t, struct mm_event *e, uint64_t exit_ts);

/* ---- cross-plugin hooks ---- */
/* Decide the class of T's held fault from what is known and release it. */
void mm_plugin_fault_resolve(struct mm_decoder *d, struct mm_task *t);
/* T entered the syscall the kernel numbers NR (raw or memory sys_enter). */
static inline void mm_plugin_enter_syscall(struct mm_task *t, long nr)
{
	t->in_sys = true;
	t->cur_sys = nr >= 0 && nr <= INT16_MAX ? (int16_t)nr : MM_SYSCALL_NONE;
}
/* What T is doing now, for an rss or filemap event: *SYS gets the call. */
uint8_t mm_plugin_during(const struct mm_decoder *d, const struct mm_task *t, int16_t *sys);
/* Resolve T's held fault with class C (kprobe mode). */
void mm_plugin_fault_set_class(struct mm_decoder *d, struct mm_task *t, uint8_t c);
/* Might T's mm have had swap entries (rss.c)? */
bool mm_plugin_rss_may_swap(const struct mm_decoder *d, const struct mm_task *t);
/* Release T's held syscall without a result (its exit never came). */
void mm_plugin_syscall_abandon(struct mm_decoder *d, struct mm_task *t);
/* Copy into DST the path record noted for TID's next execve and forget
 * it; false when there is none. */
bool mm_plugin_exec_note_take(struct mm_decoder *d, int32_t tid, char *dst, size_t len);
/* The process entry (keyed by tgid, or by tid while unknown) of task PID. */
struct mm_task *mm_plugin_process(struct mm_decoder *d, int32_t pid, struct mm_task *t);

#endif
