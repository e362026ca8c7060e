/*
 * format/stream-int.h - what stream.c (the cursors and their merge) and
 * stream-load.c (the loader thread that fills their chunk buffers) share:
 * the slots, cursors, loader and stream, and the three calls between them.
 */
#ifndef MM_FORMAT_STREAM_INT_H
#define MM_FORMAT_STREAM_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <zstd.h>
#include <event-parse.h>

#include "columns.h"
#include "delta.h"
#include "file.h"
#include "heapcodec.h"
#include "subbuf.h"
#include "tracecmd.h"

/* The walker may peek up to 8 bytes past a sub-buffer's end (the stored
 * lost-event count, an event header); zeroed slack keeps that in bounds. */
#define RAW_SLACK 64

/* IDLE: free; QUEUED: the loader's; READY/FAILED: loaded; DEFERRED: a
 * chunk loaded ahead found the window full: the cursor asks again when it
 * needs it. */
enum slot_state { SLOT_IDLE, SLOT_QUEUED, SLOT_READY, SLOT_FAILED, SLOT_DEFERRED };

/* One chunk buffer of a CPU.  Each CPU has two: the one being walked and
 * the next chunk, which the loader fills meanwhile.  Buffers are kept and
 * reused (fresh multi-MiB buffers cost a page fault per 4 KiB on every
 * chunk), except that a compacted chunk's buffer is shrunk to its events. */
struct slot {
	unsigned char *raw;
	size_t raw_cap;                     /* counted in mm_stream.window */
	const struct mm_chunk_ref *chunk;
	enum slot_state state;              /* under loader.mu */
	bool ahead;                         /* loaded ahead: may be deferred */
	uint32_t nr_pages;                  /* sub-buffers to walk */
	uint32_t *lens;                     /* compacted: each one's length */
	uint32_t nr_recs;                   /* HEAP_CHUNK: raw holds its records */
	uint16_t heap_id;                   /* ... and their event id */
	char err[1024];                     /* SLOT_FAILED: the loader's message */
};

struct cursor {
	const struct mm_cpu_index *idx;
	uint32_t cpu;
	size_t next_req;                    /* next chunk to hand the loader */
	size_t taken;                       /* chunks walked or being walked */
	struct slot slot[2];
	int cur;                            /* slot being walked, -1 before */
	const struct mm_chunk_ref *chunk;   /* = slot[cur].chunk */
	const unsigned char *raw;           /* = slot[cur].raw */
	const uint32_t *lens;               /* = slot[cur].lens */
	uint32_t next_sub, nr_pages;
	size_t page_off;                    /* compacted: next page's offset */
	bool in_sub;                        /* sb holds a loaded sub-buffer */
	struct mm_subbuf sb;
	long long pending_missed;           /* for the next record */
	struct tep_record rec;
	/* the malloc stream (HEAP_CHUNK): records, not sub-buffers */
	bool heap;
	struct mm_heap_rec *recs;           /* = slot[cur].raw */
	uint32_t nr_recs, next_rec;
	uint16_t heap_id;
	struct mm_heap_rec *hrec;           /* the record handed out, ts in ns */
	unsigned char ev[MM_HEAP_EV_LEN];   /* ... as its event (mm_stream_next) */
};

/* The loader thread: reads, CRC-checks, decompresses and delta-decodes
 * the requested chunks in request order, so the main thread only walks
 * events.  Requests: a ring of (cursor, slot) with room for every slot. */
struct loader {
	pthread_t thread;
	bool started, stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	uint32_t *queue;                    /* cursor * 2 + slot */
	uint32_t cap, head, len;
	ZSTD_DCtx *dctx;
	struct mm_delta *delta;
	struct mm_col_typemap *colmap;      /* columns codec scratch */
	struct mm_heap_dec heap;            /* heap codec scratch */
	unsigned char *zbuf;                /* compressed payload, reused */
	size_t zcap;
	unsigned char *cols;                /* columns codec: the streams, reused */
	size_t cols_cap;
};

struct mm_stream {
	struct mm_file *f;
	struct loader ld;
	struct cursor *c;                   /* the CPUs that have chunks */
	uint32_t nr;
	struct mm_merge merge;
	int last;                           /* cursor handed out last, or -1 */
	int runner;                         /* the top but for LAST (merge.c), or -1 */
	bool primed, failed;
	uint64_t missed, missed_marks;
	size_t window;                      /* bytes of all slot buffers, under ld.mu */
	struct mm_tc_stream *tc;            /* a trace-cmd file: libtracecmd's records */
};

/* stream-load.c */
/* "'FILE': corrupt section at offset N (WHY)" as the error: -1. */
int mm_stream_chunk_error(const struct mm_stream *s, const struct mm_chunk_ref *ch,
			  const char *why);
/* Free slot SL's buffers and take them out of the window. */
void mm_stream_slot_release(struct mm_stream *s, struct slot *sl);
/* The loader thread (pthread_create's start routine; ARG: the stream). */
void *mm_stream_loader_main(void *arg);

#endif
