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
	uint64_t malformed;               /* records too short for their event */
	uint64_t forced;                  /* held events forced out (age/room) */
};

struct mm_decoder *mm_decoder_new(struct tep_handle *tep, mm_emit_fn emit, void *ctx);
void mm_decoder_feed(struct mm_decoder *d, struct tep_record *rec);
/* Emit everything still held (end of stream). */
void mm_decoder_finish(struct mm_decoder *d);
const struct mm_decoder_counts *mm_decoder_counts(const struct mm_decoder *d);
/* Events of memmon's set absent from the file's formats, comma-separated
 * ("" when none).  Owned by the decoder. */
const char *mm_decoder_missing(const struct mm_decoder *d);
/* "tracepoint" or "kprobe": which classifier the trace carries. */
const char *mm_decoder_classifier(const struct mm_decoder *d);
void mm_decoder_free(struct mm_decoder *d);

/* Register libtraceevent print handlers for memmon's events on TEP, so
 * generic libtraceevent output renders them as memmon does. */
int mm_plugins_register_print(struct tep_handle *tep);

/*
 * The kprobe fault classifier: probes on the kernel's fault handlers, under
 * memmon's own group.  record defines them where the kernel has kprobes; the
 * decoder recognises their events ("GROUP/EVENT" with EVENT below) in a
 * trace whatever the group's pid suffix.
 */
struct mm_kprobe_def {
	const char *event;           /* e.g. "anon" */
	const char *symbol;          /* e.g. "do_anonymous_page" */
	enum mm_fault_class class;
};
extern const struct mm_kprobe_def mm_kprobe_classifier[];
extern const size_t mm_kprobe_classifier_len;
/* Write "p:GROUP/EVENT SYMBOL" into BUF; returns its length or -1. */
int mm_kprobe_definition(char *buf, size_t len, const char *group,
			 const struct mm_kprobe_def *def);

#endif
