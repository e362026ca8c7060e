/*
 * format/tracecmd.h - trace-cmd's trace.dat behind reader.h (tracecmd.c,
 * tracecmd-check.c).  Only format/ includes this: report opens every file
 * with mm_file_open() and reads it with mm_stream_*, whoever wrote it.
 */
#ifndef MM_FORMAT_TRACECMD_H
#define MM_FORMAT_TRACECMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mm_file;
struct tep_record;
struct mm_tc_layout;

/* trace-cmd's magic: "\027\010\104tracing" */
#define MM_TRACECMD_MAGIC     "\027\010\104tracing"
#define MM_TRACECMD_MAGIC_LEN 10

/* Do the first N bytes of a file, BUF, start like a trace-cmd file? */
bool mm_tracecmd_is(const unsigned char *buf, size_t n);
/* What can be checked before libtracecmd reads F (tracecmd-check.c):
 * -1 with mm_error() set on a file it must not be given; what the ring
 * reader needs (its buffers, CPUs and clocks) into *LAY either way
 * (mm_tc_layout_free() frees it). */
int mm_tracecmd_check(struct mm_file *f, struct mm_tc_layout *lay);
/* Open F (its fd open, a trace-cmd magic) through libtracecmd: the tep
 * handle, a MACHINE text of what trace-cmd saved, the stats.  -1 with
 * mm_error() set; mm_file_close() frees what was made either way. */
int mm_tracecmd_open(struct mm_file *f);
void mm_tracecmd_close(struct mm_file *f);
/* The buffers, CPUs and clocks of F's ring data (NULL for memmon's). */
const struct mm_tc_layout *mm_tracecmd_layout(const struct mm_file *f);
/* What the file lacks (reader.h's mm_file_lacks), NULL for memmon's. */
const char *mm_tracecmd_lacks(const struct mm_file *f);

/* The stream of records of every buffer, merged in time order
 * (tracecmd-ring.c): memmon reads the ring pages itself, each one
 * checked just before it is walked. */
struct mm_tc_stream;
struct mm_tc_stream *mm_tc_stream_open(struct mm_file *f);
int mm_tc_stream_next(struct mm_tc_stream *s, struct tep_record **rec);
uint64_t mm_tc_stream_missed(const struct mm_tc_stream *s);
uint64_t mm_tc_stream_missed_marks(const struct mm_tc_stream *s);
void mm_tc_stream_close(struct mm_tc_stream *s);

#endif
