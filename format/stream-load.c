/*
 * format/stream-load.c - the loader thread of a stream (stream.c): for each
 * chunk a cursor asks for, read it, check its CRC and header against the
 * index, decompress it (one frame, the columns codec's streams, or the heap
 * codec's), delta-decode it and compact a mostly empty one, inside the
 * stream's memory window.  Every length is checked before it is used: a
 * hostile chunk is an error naming its offset (see stream.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "endian.h"
#include "stream-int.h"
#include "zframe.h"

int mm_stream_chunk_error(const struct mm_stream *s, const struct mm_chunk_ref *ch,
		       const char *why)
{
	return mm_error("'%s': corrupt section at offset %llu (%s)", s->f->path,
			(unsigned long long)ch->off, why);
}

static void *grow(void *buf, size_t *cap, size_t need, size_t slack)
{
	if (need <= *cap)
		return buf;
	free(buf);
	*cap = need;
	return mm_calloc(1, need + slack);	/* the slack is never written: readable, zero */
}

/* Codec 2: the stream table, a frame per stream, the merge (columns.h). */
static int load_columns(struct mm_stream *s, struct slot *sl, const struct mm_chunk_ref *ch,
			const unsigned char *z, size_t zlen, const char **why)
{
	struct loader *ld = &s->ld;
	struct mm_delta_layout l = { s->f->subbuf_size, s->f->commit_size, s->f->big_endian };
	struct mm_col_piece in[MM_COL_NR];
	uint32_t raw[MM_COL_NR], stored[MM_COL_NR];
	size_t tab = 8 * MM_COL_NR, raw_total = 0, z_total = 0, ro = 0, zo = tab;

	*why = "bad column stream table";
	if (zlen < tab)
		return -1;
	for (int i = 0; i < MM_COL_NR; i++) {
		raw[i] = mm_le32_load(z + 4 * i);
		stored[i] = mm_le32_load(z + 4 * (MM_COL_NR + i));
		if (!stored[i] != !raw[i])
			return -1;
		raw_total += raw[i];
		z_total += stored[i];
	}
	if (z_total != zlen - tab || raw_total > mm_columns_bound(ch->nr_subbufs, l.subbuf_size))
		return -1;
	ld->cols = grow(ld->cols, &ld->cols_cap, raw_total + 1, 0);
	for (int i = 0; i < MM_COL_NR; i++) {
		if (stored[i] &&
		    mm_zframe_inflate(ld->dctx, ld->cols + ro, raw[i], z + zo, stored[i], why) < 0)
			return -1;
		in[i] = (struct mm_col_piece){ ld->cols + ro, raw[i] };
		ro += raw[i];
		zo += stored[i];
	}
	return mm_columns_merge(ld->colmap, &l, in, sl->raw, ch->nr_subbufs, why);
}

/* Codec 3 (HEAP_CHUNK): the header, a frame per stream, the records
 * (heapcodec.h), which take less room than the sub-buffers the chunk's
 * index declares (a record's event is larger than the record). */
static int load_heap(struct mm_stream *s, struct slot *sl, const struct mm_chunk_ref *ch,
		     const unsigned char *z, size_t zlen, const char **why)
{
	struct loader *ld = &s->ld;
	struct mm_delta_layout l = { s->f->subbuf_size, s->f->commit_size, s->f->big_endian };
	struct mm_heap_piece in[MM_HEAP_STREAMS];
	uint32_t raw[MM_HEAP_STREAMS], stored[MM_HEAP_STREAMS], nr;
	size_t raw_total = 0, z_total = 0, ro = 0, zo = MM_HEAP_CHUNK_HEAD;
	uint16_t id;

	*why = "bad heap chunk header";
	if (zlen < MM_HEAP_CHUNK_HEAD || z[6] != MM_HEAP_STREAMS)
		return -1;
	nr = mm_le32_load(z);
	id = (uint16_t)(z[4] | z[5] << 8);
	for (int i = 0; i < MM_HEAP_STREAMS; i++) {
		raw[i] = mm_le32_load(z + 16 + 4 * i);
		stored[i] = mm_le32_load(z + 16 + 4 * (MM_HEAP_STREAMS + i));
		if (!stored[i] != !raw[i])
			return -1;
		raw_total += raw[i];
		z_total += stored[i];
	}
	/* no record codes into more than 128 bytes of streams */
	if (z_total != zlen - MM_HEAP_CHUNK_HEAD || raw_total > 128ull * nr + 64)
		return -1;
	ld->cols = grow(ld->cols, &ld->cols_cap, raw_total + 1, 0);
	for (int i = 0; i < MM_HEAP_STREAMS; i++) {
		if (stored[i] &&
		    mm_zframe_inflate(ld->dctx, ld->cols + ro, raw[i], z + zo, stored[i], why) < 0)
			return -1;
		in[i] = (struct mm_heap_piece){ ld->cols + ro, raw[i] };
		ro += raw[i];
		zo += stored[i];
	}
	_Static_assert(sizeof(struct mm_heap_rec) <= MM_HEAP_EV_LEN + 4, "a record outgrew its event");
	if ((uint64_t)nr * sizeof(struct mm_heap_rec) > ch->raw_len) {
		*why = "heap chunk: more records than its sub-buffers hold";
		return -1;
	}
	sl->nr_recs = nr;
	sl->heap_id = id;
	struct mm_heap_rec *r = (struct mm_heap_rec *)sl->raw;
	if (mm_heap_decode(&ld->heap, &l, in, nr, z[7], mm_le64_load(z + 8), r, ch->nr_subbufs,
			   why) < 0)
		return -1;
	for (uint32_t i = 0; i < nr; i++)	/* times in ns here, not on the walk */
		r[i].ts = mm_file_ns(s->f, r[i].ts);
	return 0;
}

/* Account a slot buffer going from OLD to NEW bytes: false, and nothing
 * changed, when growing would take the window past its limit. */
static bool window_resize(struct mm_stream *s, size_t old, size_t new)
{
	bool ok;

	pthread_mutex_lock(&s->ld.mu);
	ok = new <= old || s->window - old + new <= MM_MAX_WINDOW;
	if (ok)
		s->window = s->window - old + new;
	pthread_mutex_unlock(&s->ld.mu);
	return ok;
}

void mm_stream_slot_release(struct mm_stream *s, struct slot *sl)
{
	window_resize(s, sl->raw_cap, 0);
	free(sl->raw);
	free(sl->lens);
	sl->raw = NULL;
	sl->lens = NULL;
	sl->raw_cap = 0;
}

/* After decoding: refuse a chunk that claims more than it can hold, and
 * compact one that is mostly empty (compact.c), shrinking its buffer. */
static int settle(struct mm_stream *s, struct slot *sl, const struct mm_chunk_ref *ch)
{
	char why[128];
	size_t used;
	int r = mm_chunk_compact(s->f, sl->raw, ch->nr_subbufs, ch->len, &sl->lens, &sl->nr_pages,
				 &used, why, sizeof(why));

	if (r < 0)
		return mm_stream_chunk_error(s, ch, why);
	if (!sl->lens)
		return 0;	/* mostly full: walked where it lies */
	unsigned char *p = realloc(sl->raw, used + RAW_SLACK);
	if (p)
		sl->raw = p;
	memset(sl->raw + used, 0, RAW_SLACK);
	window_resize(s, sl->raw_cap, used + RAW_SLACK);
	sl->raw_cap = used + RAW_SLACK;
	return 0;
}

#define LOAD_DEFERRED 1

/* Loader thread: read, check, decompress and decode chunk CH into SL;
 * 0, -1 on error, LOAD_DEFERRED for a chunk loaded ahead that does not
 * fit in the window now. */
static int load_chunk(struct mm_stream *s, struct slot *sl, const struct mm_chunk_ref *ch,
		      bool ahead)
{
	struct loader *ld = &s->ld;
	struct mm_chunk_header h;
	size_t flen = ch->len - sizeof(h), need = ch->raw_len + RAW_SLACK;
	const unsigned char *frame;
	const char *why = NULL;
	char msg[160];
	int r;

	if (need > sl->raw_cap) {
		if (!window_resize(s, sl->raw_cap, need)) {
			if (ahead)
				return LOAD_DEFERRED;
			snprintf(msg, sizeof(msg), "decoding it needs more than the %u MiB memmon "
				 "holds at once (the chunks of %u CPUs overlap)",
				 MM_MAX_WINDOW >> 20, s->nr);
			return mm_stream_chunk_error(s, ch, msg);
		}
		free(sl->raw);
		sl->raw = mm_calloc(1, need);	/* the slack is never written: readable, zero */
		sl->raw_cap = need;
	}
	ld->zbuf = grow(ld->zbuf, &ld->zcap, ch->len, 0);
	if (mm_file_pread(s->f, ld->zbuf, ch->len, ch->off + MM_SECTION_HEADER_SIZE) < 0)
		return -1;
	if (mm_crc32(0, ld->zbuf, ch->len) != ch->crc)
		return mm_stream_chunk_error(s, ch, "crc mismatch");
	memcpy(&h, ld->zbuf, sizeof(h));
	if (h.nr_subbufs != ch->nr_subbufs || h.raw_len != ch->raw_len || h.codec != ch->codec)
		return mm_error("'%s' changed while being read (offset %llu)", s->f->path,
				(unsigned long long)ch->off);
	frame = ld->zbuf + sizeof(h);
	if (ch->codec == MM_CODEC_COLUMNS)
		r = load_columns(s, sl, ch, frame, flen, &why);
	else if (ch->codec == MM_CODEC_HEAP)
		r = load_heap(s, sl, ch, frame, flen, &why);
	else
		r = mm_zframe_inflate(ld->dctx, sl->raw, ch->raw_len, frame, flen, &why);
	if (r < 0)
		return mm_stream_chunk_error(s, ch, why);
	if (ch->codec == MM_CODEC_HEAP)
		return 0;                       /* records: nothing to compact */
	if (ch->codec != MM_CODEC_RAW) {
		struct mm_delta_layout l = {
			s->f->subbuf_size, s->f->commit_size, s->f->big_endian,
		};
		int e = mm_delta_decode(ld->delta, &l, sl->raw, ch->nr_subbufs);
		if (e == MM_DELTA_BAD_COMMIT)
			return mm_stream_chunk_error(s, ch, "sub-buffer commit larger than the sub-buffer");
		if (e < 0)
			return mm_stream_chunk_error(s, ch, "event runs past its sub-buffer");
	}
	return settle(s, sl, ch);
}

void *mm_stream_loader_main(void *arg)
{
	struct mm_stream *s = arg;
	struct loader *ld = &s->ld;

	pthread_mutex_lock(&ld->mu);
	for (;;) {
		while (!ld->len && !ld->stop)
			pthread_cond_wait(&ld->work, &ld->mu);
		if (ld->stop)
			break;
		uint32_t q = ld->queue[ld->head];
		ld->head = (ld->head + 1) % ld->cap;
		ld->len--;
		struct slot *sl = &s->c[q / 2].slot[q % 2];
		bool ahead = sl->ahead;
		pthread_mutex_unlock(&ld->mu);
		int r = load_chunk(s, sl, sl->chunk, ahead);	/* the slot is ours while queued */
		if (r < 0) {
			snprintf(sl->err, sizeof(sl->err), "%s", mm_error_msg());
			mm_stream_slot_release(s, sl);	/* a refused chunk holds nothing */
		}
		pthread_mutex_lock(&ld->mu);
		sl->state = r < 0 ? SLOT_FAILED : r == LOAD_DEFERRED ? SLOT_DEFERRED : SLOT_READY;
		pthread_cond_broadcast(&ld->done);
	}
	pthread_mutex_unlock(&ld->mu);
	return NULL;
}
