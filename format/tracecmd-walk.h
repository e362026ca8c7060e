/*
 * format/tracecmd-walk.h - the cursor memmon's checks of a trace-cmd file
 * read it with (tracecmd-walk.c): the layout walk (tracecmd-check.c) and
 * the ring data walk (tracecmd-pages.c).  Only format/tracecmd-*.c
 * include this.
 */
#ifndef MM_FORMAT_TRACECMD_WALK_H
#define MM_FORMAT_TRACECMD_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mm_file;

#define MM_TC_MAX_BUFFERS 64     /* trace-cmd record makes one per -B */

/* One CPU's ring data as the ring reader (tracecmd-ring.c) reads it:
 * buffer BUF (0 the top one, then the instances in file order), its
 * CPU number, its data at [OFF, OFF + LEN) or, COMPRESSED, the chunk
 * table at OFF whose chunks end by END. */
struct mm_tc_src {
	uint32_t buf;
	uint64_t cpu, off, len, end;
	bool compressed;
};

/* A buffer's clock as libtracecmd converts it (trace-input.c's
 * timestamp_calc): TSC2NSEC's mult and shift when MULT, then OFFSET.
 * An instance's is the top one's plus its own options' (format 6). */
struct mm_tc_clock {
	uint32_t mult, shift;
	int64_t offset;
};

/* What the layout walk (tracecmd-check.c) finds for the ring reader. */
struct mm_tc_layout {
	struct mm_tc_src *src;   /* in libtracecmd's merge order */
	size_t nr_src, cap_src;
	char **buffers;          /* [0] "", then each instance's name */
	struct mm_tc_clock *clocks;
	uint32_t nr_bufs;
	bool top_seen;           /* format 7's unnamed buffer */
	uint32_t page;
	int long_size;
	bool big;
};
void mm_tc_layout_free(struct mm_tc_layout *l);

/* A cursor over the file (pread), or over a section's decompressed
 * payload in memory (MEM, SIZE bytes; offsets in messages are the
 * section's, BASE). */
struct walk {
	struct mm_file *f;
	uint64_t off, size;
	bool big;
	const char *what;        /* the part being read, for messages */
	const unsigned char *mem;
	uint64_t base;
	uint32_t page;           /* the file's page size and long size */
	int long_size;
	struct mm_tc_layout *lay;        /* what the walk finds */
	uint32_t buf;                    /* the buffer whose options are walked */
};

/* "corrupt trace-cmd file at offset N (WHAT: WHY)": -1, mm_error() set */
int mm_tcw_bad(const struct walk *w, const char *why);
/* N bytes at the cursor into BUF, the cursor past them */
int mm_tcw_get(struct walk *w, void *buf, size_t n);
/* an unsigned number of BYTES (1..8) in the file's byte order */
int mm_tcw_get_u(struct walk *w, int bytes, uint64_t *v);
/* a NUL-terminated string of at most MAX bytes into BUF (MAX + 1 bytes) */
int mm_tcw_get_str(struct walk *w, char *buf, size_t max);
/* skip LEN bytes after checking them against LIMIT and the file */
int mm_tcw_skip(struct walk *w, uint64_t len, uint64_t limit);
/* the number of BYTES at P in the file's byte order */
uint64_t mm_tcw_num(const struct walk *w, const unsigned char *p, int bytes);

/* The format texts (tracecmd-formats.c): a u32 or u64 (LEN_BYTES)
 * length then that many bytes, within LIMIT; "header_page" or
 * "header_event" (NAME) and its text; format 6's ftrace formats (a count
 * then each) and event systems (a count, then each one's name, count and
 * formats), every format in the kernel's grammar. */
int mm_tcw_blob(struct walk *w, int len_bytes, uint64_t limit, const char *what);
int mm_tcw_header_part(struct walk *w, const char *name);
int mm_tcw_ftrace_formats(struct walk *w);
int mm_tcw_event_formats(struct walk *w);

/* The CPU data C at the open (tracecmd-pages.c):
 * its chunk table bounded, and the one page libtracecmd parses at open,
 * its first, checked; C added to W's layout. */
int mm_tc_check_cpu(struct walk *w, const struct mm_tc_src *c);
/* Decompress the chunk Z of ZLEN bytes into DST: exactly LEN bytes or
 * -1.  DCTX may be NULL (a one-off call). */
typedef struct ZSTD_DCtx_s ZSTD_DCtx;
int mm_tc_inflate(ZSTD_DCtx *dctx, void *dst, uint64_t len, const void *z, uint64_t zlen);
/* Does a chunk of ZLEN bytes stating LEN decompressed fit in ROOM bytes
 * and memmon's limits (MM_MAX_CHUNK_RAW, MM_MAX_EVENT_RATIO)?  0 or -1. */
int mm_tc_chunk_fits(uint64_t zlen, uint64_t len, uint64_t room);

/* Is the ring page P of AVAIL bytes (at most a page) one kbuffer walks
 * inside its commit?  NULL if so, else why, *AT the offset in the page
 * of the word that is wrong. */
const char *mm_tc_page_check(const unsigned char *p, uint64_t avail, int long_size, bool big,
			     uint64_t *at);
/* "corrupt trace-cmd file at offset OFF (CPU N's ring page [in buffer
 * 'B'][, at byte K of the compressed chunk there], byte AT of the page:
 * WHY)": -1.  CHUNK_AT is UINT64_MAX for an uncompressed page. */
int mm_tc_page_error(const char *path, const struct mm_tc_layout *l, const struct mm_tc_src *c,
		     uint64_t off, uint64_t chunk_at, uint64_t at, const char *why);

#endif
