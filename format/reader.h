/*
 * format/reader.h - reading a trace file (used by report and info).
 *
 * mm_file_open() maps or reads the file, validates the header, walks the
 * section headers once (bounds- and CRC-checked) and keeps an index; it
 * never trusts a length or offset from the file.  It builds a tep_handle from
 * the saved header_page and event formats, so decoding never touches the
 * local tracefs.  mm_stream_* then delivers the raw events of all CPUs
 * merged into time order, decompressing one chunk per CPU at a time, so
 * memory stays flat however long the trace is.
 *
 * Hostile files: a bad magic, a newer major version, a length past the end,
 * a CRC mismatch, an undecodable zstd frame or a sub-buffer whose commit
 * length exceeds its size gives -1/NULL with a message naming the file and
 * the offset; never a crash or a hang.
 *
 * Ownership: mm_file_open() allocates, mm_file_close() frees everything,
 * including the tep_handle and any snapshot text pointers handed out.
 */
#ifndef MM_FORMAT_READER_H
#define MM_FORMAT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "layout.h"

struct tep_handle;
struct tep_record;
struct mm_file;

struct mm_snapshot {
	uint32_t pid;
	enum mm_snapshot_kind kind;
	enum mm_snapshot_phase phase;
	uint64_t ts;
	const char *text;        /* NUL-terminated, owned by the mm_file */
	size_t len;
};

struct mm_file_summary {
	uint16_t major, minor;
	bool truncated;          /* no END section: cut short */
	uint64_t truncated_at;   /* offset of the first incomplete section */
	uint64_t file_bytes;
	uint64_t chunk_bytes;    /* compressed ring data */
	uint64_t raw_bytes;      /* uncompressed ring data */
	uint64_t nr_chunks;          /* of them STACK_CHUNK: */
	uint64_t nr_stack_chunks;
	uint32_t nr_cpus;
	bool has_stats;          /* STATS section present */
	uint64_t heap_chunks;    /* HEAP_CHUNK sections (record --malloc) */
	uint64_t heap_bytes;     /* their stored bytes */
	unsigned tracecmd;       /* a trace-cmd file: its format version (6, 7); 0: memmon's */
};

/* Open and index PATH.  NULL with mm_error() set on any problem. */
struct mm_file *mm_file_open(const char *path);
void mm_file_close(struct mm_file *f);

void mm_file_get_summary(const struct mm_file *f, struct mm_file_summary *s);
/* MACHINE value for KEY, or NULL. */
const char *mm_file_machine(const struct mm_file *f, const char *key);
/* The tep handle built from the saved formats (owned by f). */
struct tep_handle *mm_file_tep(const struct mm_file *f);
/* Snapshots in file order. */
size_t mm_file_nr_snapshots(const struct mm_file *f);
const struct mm_snapshot *mm_file_snapshot(const struct mm_file *f, size_t i);
/* record --malloc's stacks (HEAP_STACKS sections): stack id I is
 * v[I - 1] of the N returned. */
const struct mm_heap_stack *mm_file_heap_stacks(const struct mm_file *f, uint32_t *n);
/* Changes of the watch list (WATCH sections), in time order. */
struct mm_watch_change {
	uint64_t ts;
	uint32_t pid;            /* the process */
	uint16_t op;             /* enum mm_watch_op */
	uint16_t reason;         /* enum mm_watch_reason */
	uint32_t nr_tids;
	const uint32_t *tids;    /* owned by the mm_file */
	uint32_t pause_us;       /* tracing was off this long for the change */
};
size_t mm_file_nr_watch(const struct mm_file *f);
const struct mm_watch_change *mm_file_watch(const struct mm_file *f, size_t i);
/* STATS entries (NULL/0 when the file has none, e.g. truncated). */
const struct mm_cpu_stats *mm_file_stats(const struct mm_file *f, uint32_t *n);
/* STACK_STATS entries: the stacks ring's (NULL/0: none). */
const struct mm_cpu_stats *mm_file_stack_stats(const struct mm_file *f, uint32_t *n);
/* The CPUs recorded.  The stream's records of the stacks ring (the user
 * stacks of memory syscalls, STACK_CHUNK sections) come with rec->cpu =
 * this + the CPU they were recorded on. */
uint32_t mm_file_nr_cpus(const struct mm_file *f);
/* MMAPS entries in file order, and ELF objects (format/objects.h), owned
 * by f. */
struct mm_mapent;
struct mm_elf_object;
size_t mm_file_nr_mapents(const struct mm_file *f);
const struct mm_mapent *mm_file_mapent(const struct mm_file *f, size_t i);
size_t mm_file_nr_elfs(const struct mm_file *f);
const struct mm_elf_object *mm_file_elf(const struct mm_file *f, size_t i);
/* PROBES text or NULL. */
const char *mm_file_probes(const struct mm_file *f);
/* The path given to mm_file_open(). */
const char *mm_file_path(const struct mm_file *f);
/* A file another tool wrote (trace-cmd's trace.dat): what it lacks that
 * a memmon recording has, in words for a notice; NULL for memmon's files. */
const char *mm_file_lacks(const struct mm_file *f);
/* Event formats libtraceevent could not parse (those events are skipped):
 * "system/name: why" notes, owned by f. */
size_t mm_file_nr_format_notes(const struct mm_file *f);
const char *mm_file_format_note(const struct mm_file *f, size_t i);

/*
 * The event stream.  mm_stream_next() returns 1 and points *rec at the next
 * event in time order (rec->ts, rec->cpu, rec->data, rec->size filled; the
 * record is valid until the next call), 0 at the end, -1 on a corrupt chunk
 * (mm_error() set).  rec->data points into the stream's buffers and holds
 * rec->size bytes; decoders must check field offsets against rec->size.
 * rec->missed_events is set on the first event after a lost-events marker
 * (-1: count unknown).  Lost-event markers in sub-buffers are counted into
 * *missed (events the kernel reported dropped before a sub-buffer).
 */
struct mm_stream;
struct mm_stream *mm_stream_open(struct mm_file *f);
int mm_stream_next(struct mm_stream *s, struct tep_record **rec);
/* The same stream, with the malloc stream's records (HEAP_CHUNK) as
 * themselves: MM_STREAM_EVENT with *REC, or MM_STREAM_HEAP with *HEAP
 * (its ts in ns, valid until the next call) and *HEAP_ID the event id it
 * stands for (*REC's ts and cpu are the record's); 0 at the end, -1. */
enum { MM_STREAM_EVENT = 1, MM_STREAM_HEAP = 2 };
struct mm_heap_rec;
int mm_stream_next_any(struct mm_stream *s, struct tep_record **rec,
		       const struct mm_heap_rec **heap, uint16_t *heap_id);
uint64_t mm_stream_missed(const struct mm_stream *s);
/* Sub-buffers flagged as following lost events, whether or not the kernel
 * could store the count (when it could not, mm_stream_missed() misses them). */
uint64_t mm_stream_missed_marks(const struct mm_stream *s);
/* Bytes of decoded chunks the stream holds now (at most MM_MAX_WINDOW). */
size_t mm_stream_window(const struct mm_stream *s);
void mm_stream_close(struct mm_stream *s);

/* CRC-32 (IEEE 802.3), as stored in section headers. */
uint32_t mm_crc32(uint32_t crc, const void *buf, size_t len);

#endif
