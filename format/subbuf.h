/*
 * format/subbuf.h - walk the events of one raw ring-buffer sub-buffer.
 *
 * Layout (kernel/trace/ring_buffer.c, the same libtraceevent's kbuffer
 * reads): u64 timestamp, a commit word of long size (data bytes in bits
 * 0-26; bit 31 "events were lost before this page", bit 30 "and their count
 * is stored right after the data"), then events, each a u32 header
 * type_len:5 time_delta:27 (bit order follows the recording machine's
 * endianness) and:
 *   type_len 1..28  data of type_len*4 bytes follows
 *   type_len 0      u32 length (data + 4) then data
 *   29 padding      u32 length of what follows the header (delta 0: the
 *                   rest of the page is empty)
 *   30 time extend  u32 upper bits: time_delta + (u32 << 27) adds to ts
 *   31 time stamp   the same, but absolute (top 5 bits kept from ts)
 *
 * Why not kbuffer: kbuffer trusts the lengths it reads (a padding length of
 * 0xfffffffc makes it loop for ever, a negative type-0 length walks
 * backwards) and costs two indirect calls per event.  This walker checks
 * every length against the commit size, always moves forward, and inlines
 * into the stream's loop.  tests/unit/test-format.c checks it against
 * kbuffer on real-shaped sub-buffers.
 */
#ifndef MM_FORMAT_SUBBUF_H
#define MM_FORMAT_SUBBUF_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MM_SUBBUF_COMMIT_MASK   ((1u << 27) - 1)
#define MM_SUBBUF_MISSED        (1ull << 31)
#define MM_SUBBUF_MISSED_STORED (1ull << 30)
#define MM_SUBBUF_TS_MSB        (0xf8ull << 56)

struct mm_subbuf {
	const unsigned char *data;  /* first event */
	uint32_t size;              /* commit: bytes of events at data */
	uint32_t pos;               /* next header, from data */
	uint64_t ts;
	bool swap;                  /* file endianness differs from ours */
	bool big;                   /* file is big-endian (bitfield order) */
};

static inline uint32_t mm_subbuf_u32(const struct mm_subbuf *sb, const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return sb->swap ? __builtin_bswap32(v) : v;
}

static inline uint64_t mm_subbuf_u64(const struct mm_subbuf *sb, const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return sb->swap ? __builtin_bswap64(v) : v;
}

static inline uint64_t mm_subbuf_long(const struct mm_subbuf *sb, const void *p, int lsize)
{
	return lsize == 8 ? mm_subbuf_u64(sb, p) : mm_subbuf_u32(sb, p);
}

/*
 * Start on the sub-buffer PAGE of SUBBUF_SIZE bytes whose commit word is
 * COMMIT_SIZE (4 or 8) bytes.  *MISSED gets 0, the lost-event count, or -1
 * (lost, count unknown).  Returns -1 if the commit exceeds the page.
 */
static inline int mm_subbuf_load(struct mm_subbuf *sb, const void *page,
				 uint32_t subbuf_size, int commit_size, bool big,
				 long long *missed)
{
	const unsigned char *p = page;
	uint32_t room = subbuf_size - 8 - commit_size;
	uint64_t commit;

	sb->big = big;
	sb->swap = big != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	sb->ts = mm_subbuf_u64(sb, p);
	commit = mm_subbuf_long(sb, p + 8, commit_size);
	sb->data = p + 8 + commit_size;
	sb->size = commit & MM_SUBBUF_COMMIT_MASK;
	sb->pos = 0;
	if (sb->size > room)
		return -1;
	*missed = 0;
	if (commit & MM_SUBBUF_MISSED) {
		*missed = -1;
		if ((commit & MM_SUBBUF_MISSED_STORED) && room - sb->size >= (uint32_t)commit_size)
			*missed = mm_subbuf_long(sb, sb->data + sb->size, commit_size);
	}
	return 0;
}

/*
 * The next data event: 1 with *DATA, *LEN, *TS set; 0 at the end of the
 * sub-buffer; -1 if an event runs past the commit size (corrupt).
 */
static inline int mm_subbuf_next(struct mm_subbuf *sb, const unsigned char **data,
				 uint32_t *len, uint64_t *ts)
{
	while ((uint64_t)sb->pos + 4 <= sb->size) {
		const unsigned char *e = sb->data + sb->pos;
		uint32_t h = mm_subbuf_u32(sb, e);
		uint32_t type_len = sb->big ? h >> 27 : h & 31;
		uint32_t delta = sb->big ? h & ((1u << 27) - 1) : h >> 5;
		uint64_t room = sb->size - sb->pos - 4, n;

		if (type_len >= 1 && type_len <= 28) {
			n = type_len * 4;
			if (n > room)
				return -1;
			sb->ts += delta;
			sb->pos += 4 + n;
			*data = e + 4, *len = n, *ts = sb->ts;
			return 1;
		}
		if (room < 4)
			return type_len == 29 ? 0 : -1;
		uint32_t arg = mm_subbuf_u32(sb, e + 4);
		switch (type_len) {
		case 0:
			if (arg < 4 || (uint64_t)((arg - 4 + 3) & ~3u) > room - 4)
				return -1;
			n = (arg - 4 + 3) & ~3u;
			sb->ts += delta;
			sb->pos += 8 + n;
			*data = e + 8, *len = n, *ts = sb->ts;
			return 1;
		case 29:	/* padding: a discarded event, or the empty tail */
			if (!delta || arg > room)
				return 0;
			sb->ts += delta;
			sb->pos += 4 + arg;	/* >= 4: always forward */
			break;
		case 30:
			sb->ts += ((uint64_t)arg << 27) + delta;
			sb->pos += 8;
			break;
		default:	/* 31: absolute time stamp */
			sb->ts = (((uint64_t)arg << 27) + delta) | (sb->ts & MM_SUBBUF_TS_MSB);
			sb->pos += 8;
			break;
		}
	}
	return 0;
}

#endif
