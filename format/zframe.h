/*
 * format/zframe.h - opening a zstd frame read from a trace file.
 *
 * Every compressed payload of a memmon file (text sections, chunks, column
 * streams) is one zstd frame that states its content size.  A reader
 * trusts nothing in it: the stated size must be present and be the size
 * the caller expects (or can afford), and the frame must decompress to
 * exactly that many bytes.  Both readers (reader.c for sections, stream.c
 * for chunks) go through here so the checks cannot drift apart.
 */
#ifndef MEMMON_FORMAT_ZFRAME_H
#define MEMMON_FORMAT_ZFRAME_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

/* The content size the frame Z of ZLEN bytes states in *N; 0, or -1 with
 * the reason in *WHY when it states none. */
int mm_zframe_size(const void *z, size_t zlen, uint64_t *n, const char **why);

/* Decompress the frame into DST, which takes exactly WANT bytes: the frame
 * must state that size and produce it.  DCTX may be NULL (one-off call).
 * 0, or -1 with the reason in *WHY; DST never receives more than WANT. */
int mm_zframe_inflate(ZSTD_DCtx *dctx, void *dst, size_t want, const void *z, size_t zlen,
		      const char **why);

#endif
