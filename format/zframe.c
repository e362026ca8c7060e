/*
 * format/zframe.c - opening a zstd frame read from a trace file (zframe.h).
 */
#include "zframe.h"

int mm_zframe_size(const void *z, size_t zlen, uint64_t *n, const char **why)
{
	unsigned long long size = ZSTD_getFrameContentSize(z, zlen);

	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
		*why = "not a zstd frame with its size";
		return -1;
	}
	*n = size;
	return 0;
}

int mm_zframe_inflate(ZSTD_DCtx *dctx, void *dst, size_t want, const void *z, size_t zlen,
		      const char **why)
{
	uint64_t n;
	size_t r;

	if (mm_zframe_size(z, zlen, &n, why) < 0)
		return -1;
	if (n != want) {
		*why = "zstd frame size does not match what it holds";
		return -1;
	}
	/* the frame cannot write past WANT: zstd stops with an error instead */
	r = dctx ? ZSTD_decompressDCtx(dctx, dst, want, z, zlen) : ZSTD_decompress(dst, want, z, zlen);
	if (ZSTD_isError(r) || r != want) {
		*why = ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short zstd frame";
		return -1;
	}
	return 0;
}
