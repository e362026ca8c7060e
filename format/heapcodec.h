/*
 * format/heapcodec.h - the "heap" chunk codec (codec 3): malloc-level
 * records (record --malloc) stored as streams of small numbers, handed to
 * readers as ring-buffer sub-buffers of one event, memmon:malloc.
 *
 * Why a codec of its own: a malloc/free costs a ring-buffer event 60 bytes
 * and the generic codecs (delta, columns) leave ~3.5 bytes of it per event
 * after zstd; the records have structure those codecs cannot see.  A free
 * names a block allocated a moment ago (coded as how many allocations back
 * it was, often a small constant), consecutive blocks of a thread lie close
 * together (coded as the difference), call sites and threads repeat (coded
 * as indices into tables the chunk builds as it goes), and times only grow
 * (coded as differences).  Each kind of number goes to a stream of its own
 * as a LEB128 varint, and each stream is one zstd frame.
 *
 * Readers see records, or events: decoding gives the records back as
 * struct mm_heap_rec, which the stream hands to the decoder as they are
 * (report's fast path: 95% of a --malloc trace's events), or as the
 * memmon:malloc event each stands for (MM_HEAP_* field offsets below;
 * record saves the format text mm_heap_format() makes) to readers of raw
 * records.  A chunk states how many sub-buffers of the file's layout its
 * records would fill, one event after another with time extends where a
 * gap needs one (mm_heap_pages()), and the decoder checks it: that is the
 * chunk's size as the file's index declares it.
 *
 * The streams (enum mm_heap_stream), per record in chunk order:
 *   OP     u8 op (record/interposer/ring.h's enum mm_heap_op)
 *   TID    varint thread index; == threads so far: a new thread, whose tid
 *          and tgid (zigzag varints) follow in THREADS
 *   TS     varint time since the previous record (the first: since base_ts)
 *   AUX    u8: HELLO's flags, the alignment's log2 of the alloc family
 *   DUR    varint, alloc and realloc families: the call's duration
 *   SIZE   varint, alloc and realloc families and LOST (the count)
 *   SITE   varint site index; == sites so far: a new one, in SITES
 *   SITES  zigzag varint: a new site minus the previous new site
 *   PTR    varint, alloc and realloc families, the result: 0 NULL, 1 coded
 *          in RAW, 2+K the K-th latest block freed in this chunk,
 *          2+WINDOW+K the end of the K-th latest block allocated in this
 *          chunk (result + size rounded as glibc's chunks are: size + 8 up
 *          to a multiple of 16, at least 32), K < WINDOW: an allocator
 *          hands out what was just given back, or what follows what it just
 *          handed out; in the bench's malloc loop 99.6% of results are one
 *          of the two
 *   REF    varint, free family (the block) and realloc family (the old
 *          block): 0 NULL, 1 coded in RAW, K+2 the block the K-th latest
 *          allocation of this chunk returned
 *   RAW    zigzag varint: such a block or result minus the thread's
 *          previous result in this chunk (0 before its first)
 * An allocation's result stays referable until a free or realloc names it
 * or a later allocation returns the same address.  "Freed" counts the
 * blocks of the free family and the old block of a realloc that moved.
 *
 * Times and durations are kept to 2^qshift clock units (the chunk header's
 * qshift; record uses 16 TSC ticks, 8 ns): a time is rounded down, a
 * duration up, and a duration under MM_HEAP_SHORT units is 0.  No event of
 * the kernel comes that close to a call's edge, and none fits in a call
 * that short: a syscall or fault returns to user space hundreds of ns after
 * its event (a tracepoint alone costs ~300 ns here), so order and "inside
 * the call" keep their meaning; the bits saved are a third of the bytes.
 */
#ifndef MM_FORMAT_HEAPCODEC_H
#define MM_FORMAT_HEAPCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delta.h"

/* One record as record hands it over and the event carries it. */
struct mm_heap_rec {
	uint64_t ts;
	uint64_t site;
	uint64_t size;           /* alloc/realloc: the size asked; LOST: the count */
	uint64_t ptr;            /* alloc/realloc: the result; free: the block */
	uint64_t old;            /* realloc: the block passed in */
	int32_t tid, tgid;
	uint32_t dur;            /* alloc/realloc: duration in clock ticks */
	uint8_t op;
	uint8_t aux;
};

enum mm_heap_stream {
	MM_HEAP_S_OP, MM_HEAP_S_TID, MM_HEAP_S_THREADS, MM_HEAP_S_TS, MM_HEAP_S_AUX,
	MM_HEAP_S_DUR, MM_HEAP_S_SIZE, MM_HEAP_S_SITE, MM_HEAP_S_SITES, MM_HEAP_S_PTR,
	MM_HEAP_S_REF, MM_HEAP_S_RAW,
	MM_HEAP_STREAMS
};

/* The memmon:malloc event: payload offsets (common fields first, as the
 * kernel's events have them). */
#define MM_HEAP_EV_OP     8      /* u8 */
#define MM_HEAP_EV_AUX    9      /* u8 */
#define MM_HEAP_EV_TGID   12     /* s32 */
#define MM_HEAP_EV_SITE   16     /* u64 */
#define MM_HEAP_EV_SIZE   24     /* u64 */
#define MM_HEAP_EV_PTR    32     /* u64 */
#define MM_HEAP_EV_OLD    40     /* u64 */
#define MM_HEAP_EV_DUR    48     /* u32 */
#define MM_HEAP_EV_LEN    56     /* payload bytes (type_len 14) */
#define MM_HEAP_SYSTEM    "memmon"
#define MM_HEAP_EVENT     "malloc"

/* The format text of memmon:malloc with event id ID into BUF; its length. */
size_t mm_heap_format(char *buf, size_t len, unsigned id);

/* The chunk payload after struct mm_chunk_header (little-endian):
 *   u32 nr_records, u16 event_id, u8 nr_streams (MM_HEAP_STREAMS),
 *   u8 qshift (<= MM_HEAP_MAX_QSHIFT), u64 base_ts, u32 raw[N],
 *   u32 stored[N], then the frames (stored 0: an empty stream). */
#define MM_HEAP_MAX_QSHIFT 8
#define MM_HEAP_SHORT 16u        /* durations under 16 << qshift are 0 */
#define MM_HEAP_WINDOW 4096
#define MM_HEAP_CHUNK_HEAD (16 + 8 * MM_HEAP_STREAMS)

/* Sub-buffers the records of a chunk fill, kept as records are added. */
struct mm_heap_pages {
	uint32_t subbuf;         /* sub-buffer bytes */
	uint32_t room;           /* event bytes a sub-buffer holds */
	uint32_t used;           /* in the current one; 0 before the first */
	uint32_t nr;             /* sub-buffers begun */
	uint64_t last_ts;
};
void mm_heap_pages_init(struct mm_heap_pages *p, uint32_t subbuf_size, int commit_size);
/* Account a record at TS; returns the bytes of the time extend it needs
 * before it (0 or 8).  *NEW_PAGE: the record begins a sub-buffer. */
uint32_t mm_heap_pages_add(struct mm_heap_pages *p, uint64_t ts, int *new_page);

struct mm_col_buf2 {
	unsigned char *p;
	size_t len, cap;
};

/* Encoder: add records, then take the streams; reset for the next chunk. */
struct mm_heap_enc {
	struct mm_col_buf2 s[MM_HEAP_STREAMS];
	struct mm_heap_pages pages;
	uint32_t nr_records;
	uint64_t base_ts, last_ts;
	/* threads: tid -> index (open addressing, power-of-two size) */
	struct { int32_t tid; uint32_t idx; } *thr;
	uint32_t thr_cap, nr_thr;
	int32_t last_tid;        /* the previous record's thread, at index last_thr */
	uint32_t last_thr;
	uint64_t *thr_last;      /* per thread index: its previous result */
	/* sites: site -> index */
	struct { uint64_t site; uint32_t idx; } *sites;
	uint32_t site_cap, nr_sites;
	uint64_t last_site;
	/* a direct-mapped table of addresses (heapcodec.c): the sequence
	 * number each last got as a result (REF), a freed block and a block
	 * end (PTR's candidates), 0 for none; the numbers run on over chunks,
	 * *_base is where the chunk began */
	struct mm_heap_slot { uint64_t addr, alloc, fr, en; } *slots;
	uint64_t alloc_seq, fr_seq, en_seq;
	uint64_t alloc_base, fr_base, en_base;
	unsigned qshift;
};
void mm_heap_enc_init(struct mm_heap_enc *e, uint32_t subbuf_size, int commit_size,
		      unsigned qshift);
void mm_heap_enc_add(struct mm_heap_enc *e, const struct mm_heap_rec *r);
/* A hint: R will be added soon (its table slots are fetched meanwhile). */
void mm_heap_enc_prefetch(struct mm_heap_enc *e, const struct mm_heap_rec *r);
/* The chunk payload of the records added (MM_HEAP_CHUNK_HEAD, then a zstd
 * frame per non-empty stream, compressed with CCTX, a ZSTD_CCtx*) into
 * *OUT, grown as needed; its length, or 0 on a zstd error.  The chunk
 * decodes to e->pages.nr sub-buffers. */
size_t mm_heap_enc_finish(struct mm_heap_enc *e, void *cctx, uint16_t event_id,
			  unsigned char **out, size_t *cap);
void mm_heap_enc_reset(struct mm_heap_enc *e);
void mm_heap_enc_release(struct mm_heap_enc *e);

/* glibc's chunk for a request of SIZE bytes (x86-64, and every 64-bit
 * glibc): PTR's "end of a block" candidate. */
static inline uint64_t mm_heap_chunk_size(uint64_t size)
{
	uint64_t n = size + 8 + 15;

	return n < size || n < 32 ? 32 : n & ~15ull;
}

/* Decoder scratch, reused chunk to chunk. */
struct mm_heap_dec {
	int32_t (*thr)[2];
	uint64_t *thr_last;
	uint32_t thr_cap;
	uint64_t *sites;
	uint32_t site_cap;
	uint64_t *allocs;        /* results by allocation serial */
	uint32_t alloc_cap;
	uint64_t fr[MM_HEAP_WINDOW], en[MM_HEAP_WINDOW];   /* PTR's candidates, rings */
};
struct mm_heap_piece {
	const unsigned char *p;
	size_t len;
};
/*
 * Decode the NR_RECORDS records coded in IN into OUT[NR_RECORDS], times
 * from BASE_TS (clock units).  Hostile input: every stream must be used up
 * exactly and the records must fill exactly NR_PAGES sub-buffers of layout
 * L; 0, or -1 with *WHY set.
 */
int mm_heap_decode(struct mm_heap_dec *d, const struct mm_delta_layout *l,
		   const struct mm_heap_piece in[MM_HEAP_STREAMS], uint32_t nr_records,
		   unsigned qshift, uint64_t base_ts, struct mm_heap_rec *out,
		   uint32_t nr_pages, const char **why);
/* Record R as its memmon:malloc event's payload (event id ID, in the
 * file's byte order: SWAP when it is not the host's). */
void mm_heap_rec_event(const struct mm_heap_rec *r, uint16_t id, bool swap,
		       unsigned char out[MM_HEAP_EV_LEN]);
void mm_heap_dec_release(struct mm_heap_dec *d);

#endif
