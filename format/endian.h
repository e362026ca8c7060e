/*
 * format/endian.h - little-endian loads and stores for format/'s byte-level
 * code (CRC slicing, the delta and columns codecs), whatever the host order.
 */
#ifndef MM_FORMAT_ENDIAN_H
#define MM_FORMAT_ENDIAN_H

#include <stdint.h>
#include <string.h>

static inline uint64_t mm_le64_load(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void mm_le64_store(unsigned char *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, 8);
}

static inline uint32_t mm_le32_load(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline void mm_le32_store(unsigned char *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(p, &v, 4);
}

#endif
