/*
 * record/malloc-int.h - what malloc.c (the area, reading the rings, the
 * drain thread) and malloc-merge.c (the merge of every source into the
 * encoder: the rings, the LOST queue, the uprobes' queue) share.
 */
#ifndef MM_RECORD_MALLOC_INT_H
#define MM_RECORD_MALLOC_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "format/heapcodec.h"
#include "record/interposer/ring.h"
#include "record/record.h"

#define CHUNK_RECORDS  65536           /* per chunk */
#define TAIL_EVERY     1024            /* records merged between tail stores */
#define UPROBE_SLACK_US 1000           /* see the note on uprobes in malloc.c */

/* LOST records, which no ring carries: a small FIFO. */
struct queue {
	struct mm_heap_rec *v;
	size_t head, n, cap;             /* v[head .. head + n) mod cap, a power of 2 */
};

struct ring_state {
	bool known;                      /* we have seen this claim */
	int32_t pid, tid;
	uint64_t tail;                   /* words merged (stored to the ring's tail) */
	uint64_t head;                   /* the writer's head, as read this pass */
	bool has_cur;                    /* cur is the record at tail */
	unsigned cur_words;
	struct mm_heap_rec cur;
	uint64_t last_ts;                /* of the last record taken from this ring */
	uint64_t lost_seen;
	uint64_t idle_since;             /* mono ns of the last new words */
	uint64_t checked;                /* mono ns of the last liveness check */
	uint64_t busy_head, busy_since;  /* busy at this head since then */
	uint64_t pf;                     /* records up to here had their codec slots fetched */
	bool gone;                       /* its thread is gone */
};

struct mm_malloc {
	int fd;
	struct mm_ring_area *area;
	size_t size;
	unsigned clock;
	uint64_t ticks_per_ms;           /* of the area's clock */
	struct ring_state *rs;
	uint32_t nr_rings, ring_words;
	size_t first, data_off;          /* our own copies: the area's are writable */
	struct queue lost;               /* LOST records waiting for their time */

	pthread_t thread;
	bool started;
	volatile int stop;
	struct mm_heapw *hw;             /* the chunks (heapwriter.c) */
	struct mm_heap_enc *enc;         /* the encoder being filled */
	uint64_t chunk_start;            /* mono ns the chunk's first record came */

	uint64_t watermark;
	uint32_t *heap;                  /* merge: sources (rings, nr_rings: lost), min ts first */
	uint32_t heap_n;
	uint64_t no_ring_seen;
	/* uprobes (added while the drain runs: a static CMD's at its exec) */
	pthread_mutex_t ups_lock;
	struct mm_uprobes **ups;
	size_t nr_ups, cap_ups;
	struct mm_heap_rec *uq;          /* their records: [uq_head, uq_n) by time */
	size_t uq_head, uq_n, uq_cap;
	struct mm_heap_rec *uq_tmp;      /* the sort's scratch */
	size_t uq_tmp_cap;
	/* frames: the most return addresses an allocation's record carries
	 * beyond its site (our copy of the area's), and their stacks */
	unsigned frames;
	struct mm_heap_stacks *stacks;
	struct mm_out *out;
	struct mm_malloc_totals tot;
	bool failed;
	char err[1024];
};

static inline struct mm_ring *mm_ring_at(const struct mm_malloc *m, uint32_t i)
{
	return (struct mm_ring *)((unsigned char *)m->area + m->first + (size_t)i * sizeof(struct mm_ring));
}

static inline const uint64_t *mm_ring_data(const struct mm_malloc *m, uint32_t i)
{
	return (const uint64_t *)((unsigned char *)m->area + m->data_off + (size_t)i * 8 * m->ring_words);
}


/* malloc.c: parse the record at S's tail into S->cur (false: none), and
 * ask for the codec slots of those just ahead. */
bool mm_ring_parse_cur(struct mm_malloc *m, uint32_t i, struct ring_state *s);
void mm_ring_fetch_ahead(struct mm_malloc *m, uint32_t i, struct ring_state *s);

/* malloc-stacks.c: stack SITE, F[NF] as an id from 1 (0: the table is
 * full); the new ones into the file; how many, and the calls left without. */
struct mm_heap_stacks;
struct mm_heap_stacks *mm_heap_stacks_new(void);
uint32_t mm_heap_stacks_intern(struct mm_heap_stacks *t, uint64_t site, const uint64_t *f,
			       unsigned nf);
int mm_heap_stacks_flush(struct mm_heap_stacks *t, struct mm_out *o);
uint32_t mm_heap_stacks_count(const struct mm_heap_stacks *t, uint64_t *full);
void mm_heap_stacks_free(struct mm_heap_stacks *t);

/* malloc-merge.c */
/* N records lost by thread TID of PID (0: calls that had no ring), at TS. */
void mm_malloc_note_lost(struct mm_malloc *m, int32_t pid, int32_t tid, uint64_t n, uint64_t ts);
/* Read the uprobes' buffers into their queue; lower *BOUND to what they
 * may still produce. */
void mm_malloc_take_uprobes(struct mm_malloc *m, uint64_t *bound);
void mm_malloc_close_uprobes(struct mm_malloc *m);
/* Every record up to UPTO, in time order, into the encoder. */
int mm_malloc_merge_upto(struct mm_malloc *m, uint64_t upto);
/* Hand the encoder to the writer; the next one is m->enc. */
int mm_malloc_flush_chunk(struct mm_malloc *m);

#endif
