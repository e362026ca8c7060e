/*
 * plugins/decoder.h - raw records in, memmon events out.
 *
 * The decoder owns the plugins (one per event family: faults, syscalls,
 * rss_stat, filemap, process life, kprobe classifier).  At creation each
 * plugin resolves its events' ids and field offsets once from the tep handle
 * (the formats saved in the trace file); feeding a record is then a table
 * lookup by event id and a few loads at fixed offsets: no string work on the
 * per-event path.
 *
 * Events are emitted to the sink in time order.  A fault is held until the
 * events that follow it in the same task tell its class (rss_stat, filemap,
 * or a kprobe classifier event); a syscall is held from its entry until its
 * exit gives the result.  Held events keep their place: nothing after them is
 * emitted before them.  A held event is forced out (unresolved: class from
 * what is known, syscall without result) when the stream has moved on by
 * MM_DECODER_HOLD_NS or more than MM_DECODER_MAX_HELD events wait, so memory
 * stays bounded.
 */
#ifndef MM_PLUGINS_DECODER_H
#define MM_PLUGINS_DECODER_H

#include <stdint.h>
#include "event.h"

struct tep_handle;
struct tep_record;
struct mm_decoder;

#define MM_DECODER_HOLD_NS   (1000ull * 1000 * 1000)
#define MM_DECODER_MAX_HELD  65536

typedef void (*mm_emit_fn)(void *ctx, const struct mm_event *ev);

struct mm_decoder_counts {
	uint64_t records;                 /* raw records fed */
	uint64_t unknown;                 /* records of events no plugin decodes */
	uint64_t by_kind[MM_EV_NR];       /* events emitted per kind */
	uint64_t faults[MM_FAULT_NR][MM_ACCESS_NR];
	uint64_t unresolved_syscalls;     /* entry without exit */
	uint64_t stack_records;           /* records of the stacks ring (not in records) */
	uint64_t stacks;                  /* user stacks among them */
	uint64_t malformed;               /* records too short for their event */
	uint64_t irq_frames;              /* record --frames: frames taken or given
	                                   * back in an interrupt (not the task's) */
	uint64_t forced;                  /* held events forced out (age/room) */
};

struct mm_decoder *mm_decoder_new(struct tep_handle *tep, mm_emit_fn emit, void *ctx);
/* Records with cpu FIRST_CPU .. 2 * FIRST_CPU - 1 are the stacks rings'
 * (format/reader.h: mm_file_nr_cpus): user stacks the syscalls take, never
 * events.  The malloc stream's (cpu 2 * FIRST_CPU) are events. */
void mm_decoder_set_stack_ring(struct mm_decoder *d, uint32_t first_cpu);
/* The file's malloc stacks (format/reader.h: mm_file_heap_stacks), which
 * the malloc records name by id: they must outlive the decoder. */
struct mm_heap_stack;
void mm_decoder_set_heap_stacks(struct mm_decoder *d, const struct mm_heap_stack *v, uint32_t n);
void mm_decoder_feed(struct mm_decoder *d, struct tep_record *rec);
/* A record of the malloc stream (mm_stream_next_any), ID the event id it
 * stands for, CPU the stream's: as mm_decoder_feed() of its event. */
struct mm_heap_rec;
void mm_decoder_feed_heap(struct mm_decoder *d, const struct mm_heap_rec *r, uint16_t id,
			  uint16_t cpu);
/* A change of the watch list (a WATCH section of the file), in its place
 * in time: call it before feeding the first record that comes after it. */
struct mm_watch_change;
void mm_decoder_watch(struct mm_decoder *d, const struct mm_watch_change *c);
/* Emit everything still held (end of stream). */
void mm_decoder_finish(struct mm_decoder *d);
const struct mm_decoder_counts *mm_decoder_counts(const struct mm_decoder *d);
/* Events of memmon's set absent from the file's formats, comma-separated
 * ("" when none).  Owned by the decoder. */
const char *mm_decoder_missing(const struct mm_decoder *d);
/* The kernel the trace was recorded on (MACHINE's release, "6.1.0-57-amd64"):
 * before 6.2 rss_stat comes in batches and tells nothing about the fault it
 * falls in, so tracepoint-mode faults without other evidence come out as
 * MM_FAULT_UNKNOWN, for the address-space model to classify by region
 * (mm_decoder_needs_model()).  Call before the first record. */
void mm_decoder_set_kernel(struct mm_decoder *d, const char *release);
bool mm_decoder_needs_model(const struct mm_decoder *d);
/* Classify with the tracepoint rules even where the trace carries kprobe
 * classifier events (report --classifier=tracepoint: both classifiers on
 * one recording).  Call before the first record. */
void mm_decoder_ignore_kprobes(struct mm_decoder *d);
/* Does the trace carry record --malloc's records (memmon:malloc)? */
bool mm_decoder_has_heap(const struct mm_decoder *d);
/* "tracepoint" or "kprobe": which classifier the trace carries. */
const char *mm_decoder_classifier(const struct mm_decoder *d);
void mm_decoder_free(struct mm_decoder *d);

/* Register libtraceevent print handlers for memmon's events (page faults,
 * the memory syscalls) on TEP, so generic libtraceevent output renders
 * them as memmon does (plugins/print.c; -1 when libtraceevent refused
 * one); unregister them. */
int mm_plugins_register_print(struct tep_handle *tep);
void mm_plugins_unregister_print(struct tep_handle *tep);

/*
 * The kprobe fault classifier: probes on the kernel's fault path, under
 * memmon's own group (memmon_<pid>).  Which functions can be probed depends
 * on the kernel's build (what it inlined), so the probes come in sets, each
 * for a kind of kernel, tried in order by record; within a set a probe may
 * name alternative functions (the first the kernel accepts is used) and may
 * be optional (the set works without it, knowing less).  Every probe only
 * adds evidence to the task's held fault; the class is decided from the
 * evidence when the fault ends (the task's next fault, syscall or process
 * event), by mm_kprobe_classify().  The decoder keys
 * on the event name alone: a name means the same evidence in every set.
 * Documentation/design.md has the table per kernel version.
 */
enum mm_kp_evidence {
	MM_KP_ANON_PAGE = 1u << 0,  /* do_anonymous_page: fresh anon memory or the zero page */
	MM_KP_NEW_ANON  = 1u << 1,  /* a new anonymous page was mapped (rmap) */
	MM_KP_FILE      = 1u << 2,  /* the file's fault path ran (->fault, fault-around) */
	MM_KP_COW_FAULT = 1u << 3,  /* do_cow_fault: a private file page copied */
	MM_KP_SWAP      = 1u << 4,  /* do_swap_page */
	MM_KP_WP        = 1u << 5,  /* do_wp_page: write to a present write-protected page */
	MM_KP_COPY      = 1u << 6,  /* wp_page_copy: that page copied (or the zero page replaced) */
	MM_KP_ZEROED    = 1u << 7,  /* a zeroed page allocated (gfp has __GFP_ZERO) */
	MM_KP_HUGE_ANON = 1u << 8,  /* a huge anonymous page (THP) */
};

struct mm_kprobe_def {
	const char *event;           /* name in the group, e.g. "anon" */
	const char *symbols;         /* candidates, space-separated, first accepted wins */
	const char *fetch;           /* fetch arguments after the symbol ("" for none) */
	bool ret;                    /* a kretprobe */
	bool optional;               /* the set works without it */
	uint16_t evidence;           /* enum mm_kp_evidence */
	const char *why;             /* what it tells (memmon list) */
};
struct mm_kprobe_set {
	const char *name;            /* "handlers", "rmap" */
	const char *kernels;         /* the kernels it is for (memmon list) */
	const struct mm_kprobe_def *defs;
	size_t len;
};
extern const struct mm_kprobe_set mm_kprobe_sets[];
extern const size_t mm_kprobe_sets_len;

/* Write "p:GROUP/EVENT SYMBOL[ FETCH]" ("r64:" for a kretprobe) into BUF;
 * returns its length or -1 when it does not fit. */
int mm_kprobe_definition(char *buf, size_t len, const char *group,
			 const struct mm_kprobe_def *def, const char *symbol);
/* The class of a fault whose probes said SEEN, the trace carrying probes for
 * AVAIL (both enum mm_kp_evidence bits), with the fault's x86 error code. */
enum mm_fault_class mm_kprobe_classify(unsigned seen, unsigned avail, uint32_t error_code);

#endif
