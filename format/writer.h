/*
 * format/writer.h - writing a trace file (used by record).
 *
 * The writer appends sections to the final path as they come, flushing each
 * one, so a recording killed half-way leaves a file that reads up to its last
 * complete section.  Chunks are compressed here (zstd, level set at open);
 * callers hand over raw sub-buffers and never see the layout.
 *
 * Ownership: mm_writer_open() allocates; mm_writer_close() writes END,
 * fsyncs, closes and frees; mm_writer_abort() frees without writing END.
 * Every function returns 0 or -1 with mm_error() set.
 */
#ifndef MM_FORMAT_WRITER_H
#define MM_FORMAT_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include "layout.h"

struct mm_writer;

struct mm_writer_stats {
	uint64_t file_bytes;      /* bytes written so far, headers included */
	uint64_t raw_chunk_bytes; /* uncompressed ring data handed over */
	uint64_t chunk_bytes;     /* compressed ring data written */
	uint64_t nr_chunks;
	uint64_t heap_chunk_bytes; /* of them, malloc records (HEAP_CHUNK) */
};

/* Create (truncate) PATH and write the file header.  LEVEL: zstd level of
 * the chunks and compressed sections (1 is both the fastest and, after the
 * delta codec, within 1% of the smallest on ring data). */
struct mm_writer *mm_writer_open(const char *path, int level);

/* Append one section whose payload is HEAD (may be NULL/0) then BODY.
 * EVENT_FORMAT, SNAPSHOT and PROBES payloads are stored zstd-compressed
 * when that is smaller; MACHINE and HEADER_PAGE written here also tell the
 * writer the sub-buffer layout the delta codec needs. */
int mm_writer_section(struct mm_writer *w, enum mm_section_type type,
		      const void *head, size_t head_len,
		      const void *body, size_t body_len);

/* MACHINE: append "key=value\n" to a buffer the writer keeps; written as one
 * section by mm_writer_machine_flush() (call once, before anything else). */
int mm_writer_machine_set(struct mm_writer *w, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mm_writer_machine_flush(struct mm_writer *w);

/* HEADER_PAGE: the text of tracefs events/header_page (before any CHUNK). */
int mm_writer_header_page(struct mm_writer *w, const char *text, size_t len);

/* PROBES: probe definitions, one per line, as written to *probe_events. */
int mm_writer_probes(struct mm_writer *w, const char *text, size_t len);

/* EVENT_FORMAT for SYSTEM/NAME with the text of its format file. */
int mm_writer_event_format(struct mm_writer *w, const char *system,
			   const char *format_text, size_t len);

/* SNAPSHOT of TEXT. */
int mm_writer_snapshot(struct mm_writer *w, uint32_t pid, enum mm_snapshot_kind kind,
		       enum mm_snapshot_phase phase, uint64_t ts,
		       const char *text, size_t len);

/* CHUNK: compress NR_SUBBUFS sub-buffers of SUBBUF_SIZE bytes at RAW.
 * NR_SUBBUFS * SUBBUF_SIZE must not exceed MM_MAX_CHUNK_RAW (64 MiB); an
 * empty chunk (0 sub-buffers) writes nothing.  No allocation per call once
 * the largest chunk (and column streams) have been seen.  RAW is clobbered: the delta codec
 * transforms it in place (saving a copy of every chunk on the drain thread);
 * refill it, do not reread it. */
int mm_writer_chunk(struct mm_writer *w, uint32_t cpu, void *raw,
		    uint32_t nr_subbufs, uint32_t subbuf_size);

/* HEAP_CHUNK: a heap codec payload of LEN bytes (format/heapcodec.h:
 * mm_heap_enc_finish) that decodes to NR_SUBBUFS sub-buffers of
 * SUBBUF_SIZE bytes.  The caller compresses (on its own thread). */
int mm_writer_heap_chunk(struct mm_writer *w, const void *payload, size_t len,
			 uint32_t nr_subbufs, uint32_t subbuf_size);

/* The same for the second (stacks) ring: a STACK_CHUNK section. */
int mm_writer_stack_chunk(struct mm_writer *w, uint32_t cpu, void *raw,
			  uint32_t nr_subbufs, uint32_t subbuf_size);

/* MMAPS: N file-mapping entries (format/objects.h), compressed; none: no
 * section.  ELF: one object. */
struct mm_mapent;
struct mm_elf_object;
int mm_writer_mapents(struct mm_writer *w, const struct mm_mapent *e, size_t n);
/* A HEAP_STACKS section: N stacks, ids FIRST_ID on. */
int mm_writer_heap_stacks(struct mm_writer *w, uint32_t first_id, const struct mm_heap_stack *v,
			  uint32_t n);
int mm_writer_elf(struct mm_writer *w, const struct mm_elf_object *o);

/* The codec of the following chunks (default MM_CODEC_COLUMNS, used once the
 * MACHINE and HEADER_PAGE sections have been written; raw before). */
int mm_writer_set_codec(struct mm_writer *w, enum mm_chunk_codec codec);

/* STATS: N per-CPU entries; STACK_STATS: those of the stacks ring. */
int mm_writer_stats(struct mm_writer *w, const struct mm_cpu_stats *stats, uint32_t n);
int mm_writer_stack_stats(struct mm_writer *w, const struct mm_cpu_stats *stats, uint32_t n);

void mm_writer_get_stats(const struct mm_writer *w, struct mm_writer_stats *st);

/* Write END, fsync, close, free.  Returns -1 if any of that failed. */
int mm_writer_close(struct mm_writer *w);
/* Close and free without END (error paths); the file stays, truncated. */
void mm_writer_abort(struct mm_writer *w);

#endif
