/*
 * record/heapwriter.c - the chunks of the malloc stream (record --malloc):
 * two heap codec encoders (format/heapcodec.h), one filled by the malloc
 * drain while a thread of its own compresses and writes the other.
 *
 * Why a thread: compressing a chunk of 64k records takes a few ms, and a
 * thread allocating flat out fills its ring in about that time; the drain
 * must keep reading rings meanwhile or the writers wait for room.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "memmon.h"
#include "format/heapcodec.h"
#include "record/record.h"

struct mm_heapw {
	struct mm_out *out;
	uint16_t event_id;
	uint32_t subbuf;
	struct mm_heap_enc enc[2];
	int cur;                      /* the drain's */
	struct mm_heap_enc *pending;  /* handed over, being written */
	bool stop, started;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	ZSTD_CCtx *cctx;
	unsigned char *zout;
	size_t zcap;
	uint64_t chunks;
	bool failed;
	char err[1024];
};

/* Compress and write E; reset it for reuse. */
static int write_chunk(struct mm_heapw *w, struct mm_heap_enc *e)
{
	size_t len = mm_heap_enc_finish(e, w->cctx, w->event_id, &w->zout, &w->zcap);
	int ret;

	if (!len)
		return mm_error("cannot compress the malloc records");
	pthread_mutex_lock(&w->out->lock);
	ret = mm_writer_heap_chunk(w->out->w, w->zout, len, e->pages.nr, w->subbuf);
	pthread_mutex_unlock(&w->out->lock);
	w->chunks++;
	mm_heap_enc_reset(e);
	return ret;
}

static void *writer_main(void *arg)
{
	struct mm_heapw *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->pending && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->pending)
			break;
		struct mm_heap_enc *e = w->pending;
		pthread_mutex_unlock(&w->mu);
		int r = write_chunk(w, e);
		pthread_mutex_lock(&w->mu);
		if (r < 0 && !w->failed) {
			snprintf(w->err, sizeof(w->err), "%s", mm_error_msg());
			w->failed = true;
		}
		w->pending = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct mm_heapw *mm_heapw_start(struct mm_out *o, uint16_t event_id, int level,
				uint32_t subbuf_size, unsigned qshift)
{
	struct mm_heapw *w = mm_calloc(1, sizeof(*w));

	w->out = o;
	w->event_id = event_id;
	w->subbuf = subbuf_size;
	for (int i = 0; i < 2; i++)
		mm_heap_enc_init(&w->enc[i], subbuf_size, (int)sizeof(long), qshift);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx || ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level))) {
		mm_error("cannot set up zstd compression at level %d", level);
		goto fail;
	}
	errno = pthread_create(&w->thread, NULL, writer_main, w);
	if (errno) {
		mm_error_errno("cannot start the malloc chunk writer thread");
		goto fail;
	}
	w->started = true;
	return w;
fail:
	mm_heapw_free(w);
	return NULL;
}

struct mm_heap_enc *mm_heapw_enc(struct mm_heapw *w)
{
	return &w->enc[w->cur];
}

int mm_heapw_flush(struct mm_heapw *w)
{
	int ret = 0;

	if (!w->enc[w->cur].nr_records)
		return 0;
	pthread_mutex_lock(&w->mu);
	while (w->pending)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->failed)
		ret = mm_error("%s", w->err);
	w->pending = &w->enc[w->cur];
	w->cur ^= 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return ret;
}

int mm_heapw_stop(struct mm_heapw *w, uint64_t *chunks)
{
	int ret = mm_heapw_flush(w);

	pthread_mutex_lock(&w->mu);
	while (w->pending)
		pthread_cond_wait(&w->cv, &w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->started = false;
	if (!ret && w->failed)
		ret = mm_error("%s", w->err);
	*chunks = w->chunks;
	return ret;
}

void mm_heapw_free(struct mm_heapw *w)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	for (int i = 0; i < 2; i++)
		mm_heap_enc_release(&w->enc[i]);
	if (w->cctx)
		ZSTD_freeCCtx(w->cctx);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->zout);
	free(w);
}
