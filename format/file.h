/*
 * format/file.h - the reader's private state, shared by the files of
 * format/ that implement reader.h: reader.c (open, section walk, index,
 * accessors), formats.c (the tep_handle from the saved formats), stream.c
 * (chunks -> time-ordered records) and merge.c (the per-CPU minimum).
 * Nothing outside format/ includes this.
 */
#ifndef MM_FORMAT_FILE_H
#define MM_FORMAT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

/* One CHUNK section, indexed at open, decompressed only by the stream. */
struct mm_chunk_ref {
	uint64_t off;            /* offset of the section header */
	uint64_t len;            /* payload bytes (chunk header + zstd frame) */
	uint32_t crc;            /* from the section header; checked on load */
	uint32_t nr_subbufs;
	uint64_t raw_len;
	uint32_t codec;          /* enum mm_chunk_codec, checked at index */
};

struct mm_cpu_index {
	struct mm_chunk_ref *chunks;
	size_t nr, cap;
};

struct mm_kv {
	const char *key, *value; /* point into mm_file.machine_text */
};

struct mm_format_text {
	char *buf;               /* "system\0format text", NUL-terminated */
	size_t len;              /* payload length */
};

struct mm_tracecmd;

struct mm_file {
	int fd;
	char *path;
	struct mm_file_summary sum;

	char *machine_text;
	struct mm_kv *kv;
	size_t nr_kv;
	bool big_endian;
	int long_size;
	uint32_t page_size, subbuf_size;

	char *header_page;
	size_t header_page_len;
	struct mm_format_text *formats;
	size_t nr_formats, cap_formats;
	char **format_notes;     /* "system/name: why" for formats tep refused */
	size_t nr_format_notes;
	struct tep_handle *tep;
	int commit_size;         /* sub-buffer commit field bytes (4 or 8) */

	struct mm_snapshot *snaps;
	size_t nr_snaps, cap_snaps;
	struct mm_cpu_stats *stats;
	uint32_t nr_stats;
	char *probes;

	uint64_t inflated;       /* bytes decompressed from F_ZSTD sections */

	struct mm_cpu_index *cpus;  /* nr_rings entries: the CPUs, then their
	                             * stacks rings (cpu nr_cpus + N) */
	uint32_t nr_cpus, nr_rings;
	struct mm_cpu_stats *stack_stats;
	uint32_t nr_stack_stats;
	struct mm_cpu_index heap;   /* HEAP_CHUNK sections: the malloc stream */

	/* clock x86-tsc: ns = ticks * tsc_mult >> 32 (0: time stamps are ns) */
	uint64_t tsc_mult;

	/* WATCH sections (watchread.c), sorted by time */
	struct mm_watch_change *watch;
	size_t nr_watch, cap_watch;

	/* a trace-cmd file (tracecmd.c): libtracecmd's handles; f->tep is
	 * theirs, the chunk index stays empty */
	struct mm_tracecmd *tc;

	/* MMAPS and ELF sections (objread.c) */
	struct mm_mapent *mapents;
	size_t nr_mapents, cap_mapents;
	struct mm_elf_object *elfs;
	size_t nr_elfs, cap_elfs;
	char **obj_bufs;         /* payloads and path pools they point into */
	size_t nr_obj_bufs, cap_obj_bufs;

	/* HEAP_STACKS sections (heapstacks.c): stack id I + 1 is heap_stacks[I] */
	struct mm_heap_stack *heap_stacks;
	size_t nr_heap_stacks, cap_heap_stacks;
};

/* watchread.c: take the payload BUF (LEN bytes) of a WATCH section (F
 * frees it); -1 with *WHY set when it is malformed. */
int mm_file_take_watch(struct mm_file *f, char *buf, size_t len, const char **why);
/* Once every section is read: the changes in time order. */
void mm_file_sort_watch(struct mm_file *f);
void mm_file_free_watch(struct mm_file *f);

/* A time stamp of the file in ns (the file's clock may count TSC ticks). */
static inline uint64_t mm_file_ns(const struct mm_file *f, uint64_t ts)
{
	return f->tsc_mult ? (uint64_t)(((unsigned __int128)ts * f->tsc_mult) >> 32) : ts;
}

/* machine.c: split f->machine_text (MACHINE's payload, loaded) into its
 * keys and check the ones the reader needs; -1 with mm_error() when one is
 * missing or bad. */
int mm_file_parse_machine(struct mm_file *f);

/* objread.c: take the decompressed payload BUF (LEN bytes) of an MMAPS /
 * ELF section; F owns BUF from then on, whatever the result.  -1 with
 * *WHY set when it is malformed or past a limit. */
int mm_file_take_mapents(struct mm_file *f, char *buf, size_t len, const char **why);
int mm_file_take_elf(struct mm_file *f, char *buf, size_t len, const char **why);
void mm_file_free_objects(struct mm_file *f);
/* heapstacks.c: the same for a HEAP_STACKS section. */
int mm_file_take_heap_stacks(struct mm_file *f, char *buf, size_t len, const char **why);

/* sanitize.c: the canonical text of an event format (name, ID, fields,
 * an empty print fmt) or of a header_page, which is all libtraceevent is
 * given; NULL with *WHY set when TEXT is outside the kernel's grammar.
 * The header_page's commit field size goes to *COMMIT_SIZE. */
char *mm_format_sanitize(const char *text, size_t len, const char **why);
char *mm_header_page_sanitize(const char *text, size_t len, int *commit_size,
			      const char **why);

/* compact.c: measure the NR decoded sub-buffers at RAW of a chunk of
 * STORED bytes: -1 with WHY (N bytes) when its events are more than it can
 * code; else compacted in place when less than half used (*LENS gets each
 * kept sub-buffer's length, *NR_PAGES their number) or left (*LENS NULL,
 * *NR_PAGES = NR); *USED_LEN is the bytes of RAW in use. */
int mm_chunk_compact(const struct mm_file *f, unsigned char *raw, uint32_t nr, uint64_t stored,
		     uint32_t **lens, uint32_t *nr_pages, size_t *used_len, char *why, size_t n);

/* formats.c: build f->tep from MACHINE, header_page and the formats. */
int mm_file_build_tep(struct mm_file *f);

/* reader.c: split f->machine_text ("key=value\n" lines) into f->kv, in place. */
void mm_file_split_machine(struct mm_file *f);

/* reader.c: pread exactly LEN bytes at OFF, or -1 with mm_error() set. */
int mm_file_pread(const struct mm_file *f, void *buf, size_t len, uint64_t off);

/*
 * merge.c: the index of the smallest key among N sources, ties to the lower
 * index (so equal timestamps come out in CPU order, reproducibly).  Linear
 * scan for few sources (faster than a heap up to ~16), a binary heap above.
 * Usage: set every live source with mm_merge_set(), then repeatedly take
 * mm_merge_top() and mm_merge_set()/mm_merge_drop() that same source.
 */
struct mm_merge {
	uint32_t n;
	uint32_t nr_live;
	uint64_t *key;
	bool *live;
	uint32_t *heap;          /* heap mode: live sources, min at [0] */
	uint32_t *pos;           /* heap mode: source -> heap slot */
	bool use_heap;
};
void mm_merge_init(struct mm_merge *m, uint32_t n);
void mm_merge_free(struct mm_merge *m);
void mm_merge_set(struct mm_merge *m, uint32_t i, uint64_t key);
void mm_merge_drop(struct mm_merge *m, uint32_t i);
/* Source with the smallest key, or -1 when none is live. */
int mm_merge_top(const struct mm_merge *m);
/* The same, and in *RUNNER the source that would be top without it (-1:
 * none, or not known in heap mode): while only the top source moves and
 * stays before the runner, it stays the top. */
int mm_merge_top_runner(const struct mm_merge *m, int *runner);

#endif
