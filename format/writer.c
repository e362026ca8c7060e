/*
 * format/writer.c - append sections to a trace file (see writer.h, layout.h).
 *
 * The file is written in place at the path given, append-only: a SIGKILLed
 * or disk-full recording leaves a prefix that the reader accepts up to its
 * last complete section.  Each section goes out with a single writev() of
 * header and payload, so the data sits in the page cache as soon as the call
 * returns (a killed process loses nothing it already handed over), and no
 * per-section fsync() slows the recorder down; close fsyncs once.
 *
 * Chunks are the hot path (the recorder hands over 1-4 MiB of ring data at
 * a time): one ZSTD_CCtx, one output buffer and the delta and columns
 * codecs' state live as long as the writer, so a chunk costs the delta
 * pass, the column split, the compression and one writev; buffers grow only
 * when a bigger chunk (or a bigger stream) comes along.  The columns codec
 * also zeroes the bytes no field covers (holes.h), learnt from each event
 * format as it is added: the kernel leaves stale bytes there.
 *
 * The delta codec has to walk the events, so it needs the sub-buffer layout:
 * the writer learns the byte order from the MACHINE section and the commit
 * field's size from HEADER_PAGE as they go by (record may write either
 * through mm_writer_section()).  Until it knows both, chunks are stored raw,
 * which every reader decodes too.
 *
 * After a failed or short write the file ends in a partial section; the
 * writer then refuses further sections (w->broken) rather than append after
 * garbage, which the reader would mistake for corruption, and each refusal
 * repeats the first error ("cannot write 'F': No space left on device"):
 * whichever thread's write fails first, the message names the cause.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <zstd.h>

#include "memmon.h"
#include "columns.h"
#include "delta.h"
#include "endian.h"
#include "holes.h"
#include "reader.h"	/* mm_crc32() */
#include "writer.h"

struct mm_writer {
	int fd;
	char *path;
	bool broken;		/* a write failed: the tail is a partial section */
	char first_err[512];	/* that write's error, which later calls repeat */
	bool any_section;	/* MACHINE must come first */
	ZSTD_CCtx *cctx;
	void *zbuf;		/* reused compression output (chunks) */
	size_t zcap;
	void *tbuf;		/* compressed text sections */
	size_t tcap;
	enum mm_chunk_codec codec;
	struct mm_delta *delta;	/* codec state, allocated with the writer */
	struct mm_columns *cols;
	struct mm_holes *holes;	/* from the event formats; zeroed in every chunk */
	struct mm_delta_layout layout;
	bool endian_known;	/* from MACHINE */
	int long_size;		/* from MACHINE, 0 if absent */
	char *machine;		/* "key=value\n" lines until flushed */
	size_t machine_len, machine_cap;
	char *formats;		/* EVENT_FORMATS records until the next section */
	size_t formats_len, formats_cap;
	struct mm_writer_stats st;
};

struct section_header {
	uint16_t type;
	uint16_t flags;
	uint32_t crc;
	uint64_t length;
} __attribute__((packed));

_Static_assert(sizeof(struct section_header) == MM_SECTION_HEADER_SIZE, "layout");
_Static_assert(sizeof(struct mm_chunk_header) == 24, "layout");
_Static_assert(sizeof(struct mm_snapshot_header) == 24, "layout");
_Static_assert(sizeof(struct mm_cpu_stats) == 64, "layout");
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the container is little-endian; add byte swapping for this host"
#endif

/* Write all IOV, resuming after short writes and EINTR. */
static int write_all(struct mm_writer *w, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t r = writev(w->fd, iov, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			w->broken = true;
			mm_error_errno("cannot write '%s'", w->path);
			snprintf(w->first_err, sizeof(w->first_err), "%s", mm_error_msg());
			return -1;
		}
		w->st.file_bytes += r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++, n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

struct mm_writer *mm_writer_open(const char *path, int level)
{
	struct mm_writer *w = mm_calloc(1, sizeof(*w));
	unsigned char hdr[MM_FILE_HEADER_SIZE] = { 0 };
	uint16_t major = MM_FORMAT_MAJOR, minor = MM_FORMAT_MINOR;
	uint32_t hsize = MM_FILE_HEADER_SIZE;

	w->path = mm_strdup(path);
	w->codec = MM_CODEC_COLUMNS;
	w->cols = mm_calloc(1, sizeof(*w->cols));
	w->holes = mm_calloc(1, sizeof(*w->holes));
	w->cols->holes = w->holes;
	w->delta = mm_malloc(sizeof(*w->delta));
	w->delta->gen = 0;
	memset(w->delta->slot, 0, sizeof(w->delta->slot));
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		mm_error_errno("cannot create '%s'", path);
		goto fail;
	}
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 0))) {
		mm_error("cannot set up zstd compression at level %d", level);
		goto fail;
	}
	memcpy(hdr, MM_FILE_MAGIC, MM_FILE_MAGIC_LEN);
	memcpy(hdr + 8, &major, 2);
	memcpy(hdr + 10, &minor, 2);
	memcpy(hdr + 12, &hsize, 4);
	struct iovec iov = { hdr, sizeof(hdr) };
	if (write_all(w, &iov, 1) < 0)
		goto fail;
	return w;
fail:
	mm_writer_abort(w);
	return NULL;
}

static size_t compress_pieces(struct mm_writer *w, const struct mm_col_piece *p, size_t n,
			      void *out, size_t cap);
static int write_section(struct mm_writer *w, enum mm_section_type type, uint16_t flags,
			 const void *head, size_t head_len, const void *body, size_t body_len);

/* The formats gathered so far (mm_writer_event_format), as one
 * EVENT_FORMATS section: written before any other section, so they still
 * come before the chunks that need them.  Compressed into a buffer of its
 * own: the section that triggers it may be waiting in tbuf or zbuf. */
static int flush_formats(struct mm_writer *w)
{
	struct mm_col_piece all = { (const unsigned char *)w->formats, w->formats_len };
	size_t cap = ZSTD_compressBound(all.len), z;
	void *out = mm_malloc(cap);
	int ret;

	w->formats_len = 0;
	z = compress_pieces(w, &all, 1, out, cap);
	if (z && z < all.len)
		ret = write_section(w, MM_SECTION_EVENT_FORMATS, MM_SECTION_F_ZSTD, NULL, 0, out, z);
	else
		ret = write_section(w, MM_SECTION_EVENT_FORMATS, 0, NULL, 0, all.p, all.len);
	free(out);
	return ret;
}

/* One section = one writev of header, HEAD and BODY; CRC over HEAD+BODY. */
static int write_section(struct mm_writer *w, enum mm_section_type type, uint16_t flags,
			 const void *head, size_t head_len,
			 const void *body, size_t body_len)
{
	if (w->formats_len && flush_formats(w) < 0)
		return -1;
	struct section_header sh = {
		.type = type,
		.flags = flags,
		.crc = mm_crc32(mm_crc32(0, head, head_len), body, body_len),
		.length = (uint64_t)head_len + body_len,
	};
	struct iovec iov[3] = {
		{ &sh, sizeof(sh) },
		{ (void *)head, head_len },
		{ (void *)body, body_len },
	};

	if (w->broken)	/* the first error is the one to tell (ENOSPC, EIO...) */
		return mm_error("%s", w->first_err);
	w->any_section = true;
	return write_all(w, iov, 3);
}

/* The value of "KEY=" in MACHINE text T (not NUL-terminated), or NULL. */
static const char *machine_value(const char *t, size_t n, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < n;) {
		const char *line = t + i, *nl = memchr(line, '\n', n - i);
		size_t len = nl ? (size_t)(nl - line) : n - i;
		if (len > klen && !memcmp(line, key, klen) && line[klen] == '=') {
			*vlen = len - klen - 1;
			return line + klen + 1;
		}
		i += len + 1;
	}
	return NULL;
}

static void learn_machine(struct mm_writer *w, const char *t, size_t n)
{
	const char *v;
	size_t vlen;

	if ((v = machine_value(t, n, MM_KEY_ENDIAN, &vlen))) {
		w->endian_known = (vlen == 6 && !memcmp(v, "little", 6)) ||
				  (vlen == 3 && !memcmp(v, "big", 3));
		w->layout.big = vlen == 3;
	}
	if ((v = machine_value(t, n, MM_KEY_LONG_SIZE, &vlen)) && vlen == 1 &&
	    (*v == '4' || *v == '8'))
		w->long_size = *v - '0';
}

/* The commit field's size from header_page ("field: local_t commit;
 * offset:8; size:8;"), the same field libtraceevent reads on the other
 * side; 0 when it is not there (then the chunks stay raw). */
static void learn_header_page(struct mm_writer *w, const char *t, size_t n)
{
	char buf[4096];
	const char *p;

	n = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
	memcpy(buf, t, n);
	buf[n] = '\0';
	w->layout.commit_size = 0;
	if (!(p = strstr(buf, " commit;")) || !(p = strstr(p, "size:")))
		return;
	if (p[5] == '4' || p[5] == '8')
		w->layout.commit_size = p[5] - '0';
}

/* Sections worth compressing: big text that zstd shrinks 2-10x. */
static bool compressible(enum mm_section_type type)
{
	return type == MM_SECTION_EVENT_FORMAT || type == MM_SECTION_EVENT_FORMATS ||
	       type == MM_SECTION_SNAPSHOT || type == MM_SECTION_PROBES ||
	       type == MM_SECTION_MMAPS || type == MM_SECTION_ELF ||
	       type == MM_SECTION_HEAP_STACKS;
}

/* Compress the N pieces at P, one after another, into OUT (room for
 * ZSTD_compressBound of their total) as one frame with its content size;
 * its size, or 0 on a zstd error.  The last piece goes in with ZSTD_e_end:
 * a single piece (most streams, whole chunks) is then compressed straight
 * from its buffer, as ZSTD_compress2 would, without zstd copying it into
 * its own input buffer first. */
static size_t compress_pieces(struct mm_writer *w, const struct mm_col_piece *p, size_t n,
			      void *out, size_t cap)
{
	ZSTD_outBuffer o = { out, cap, 0 };
	size_t total = 0, r = 0;

	for (size_t i = 0; i < n; i++)
		total += p[i].len;
	if (ZSTD_isError(ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(w->cctx, total)))
		return 0;
	for (size_t i = 0; i < n || i == 0; i++) {
		bool last = i + 1 >= n;
		ZSTD_inBuffer in = { n ? p[i].p : NULL, n ? p[i].len : 0, 0 };

		r = ZSTD_compressStream2(w->cctx, &o, &in, last ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(r))
			return 0;
	}
	return r == 0 ? o.pos : 0;	/* r > 0: did not fit, cannot happen */
}

/* Compress HEAD+BODY into w->tbuf; the compressed size, or 0 when it
 * would not be smaller. */
static size_t compress_text(struct mm_writer *w, const void *head, size_t head_len,
			    const void *body, size_t body_len)
{
	struct mm_col_piece p[2] = { { head, head_len }, { body, body_len } };
	size_t total = head_len + body_len, need = ZSTD_compressBound(total), z;

	if (need > w->tcap) {
		free(w->tbuf);
		w->tbuf = mm_malloc(need);
		w->tcap = need;
	}
	z = compress_pieces(w, p, 2, w->tbuf, w->tcap);
	return z < total ? z : 0;
}

int mm_writer_section(struct mm_writer *w, enum mm_section_type type,
		      const void *head, size_t head_len,
		      const void *body, size_t body_len)
{
	if (type == MM_SECTION_MACHINE && !head_len)
		learn_machine(w, body, body_len);
	if (type == MM_SECTION_HEADER_PAGE && !head_len)
		learn_header_page(w, body, body_len);
	if (compressible(type) && !w->broken) {
		size_t z = compress_text(w, head, head_len, body, body_len);
		if (z)
			return write_section(w, type, MM_SECTION_F_ZSTD, NULL, 0, w->tbuf, z);
	}
	return write_section(w, type, 0, head, head_len, body, body_len);
}

int mm_writer_set_codec(struct mm_writer *w, enum mm_chunk_codec codec)
{
	if (codec > MM_CODEC_MAX)
		return mm_error("unknown chunk codec %u", codec);
	w->codec = codec;
	return 0;
}

/* Newlines would split a MACHINE line; '=' in a key would move the split. */
static void clean_value(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r')
			s[i] = ' ';
}

int mm_writer_machine_set(struct mm_writer *w, const char *key, const char *fmt, ...)
{
	size_t klen = strlen(key);
	va_list ap;
	int vlen;

	if (!klen || strpbrk(key, "=\n"))
		return mm_error("invalid machine key '%s'", key);
	va_start(ap, fmt);
	vlen = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (vlen < 0)
		return mm_error("cannot format machine value for '%s'", key);
	size_t need = w->machine_len + klen + 1 + vlen + 2;
	if (need > w->machine_cap) {
		w->machine_cap = need * 2;
		w->machine = mm_realloc(w->machine, w->machine_cap);
	}
	char *p = w->machine + w->machine_len;
	memcpy(p, key, klen);
	p[klen] = '=';
	va_start(ap, fmt);
	vsnprintf(p + klen + 1, vlen + 1, fmt, ap);
	va_end(ap);
	clean_value(p + klen + 1, vlen);
	p[klen + 1 + vlen] = '\n';
	w->machine_len += klen + 1 + vlen + 1;
	return 0;
}

int mm_writer_machine_flush(struct mm_writer *w)
{
	if (w->any_section)
		return mm_error("'%s': the machine section must be written first", w->path);
	if (mm_writer_section(w, MM_SECTION_MACHINE, NULL, 0, w->machine, w->machine_len) < 0)
		return -1;
	free(w->machine);
	w->machine = NULL;
	w->machine_len = w->machine_cap = 0;
	return 0;
}

int mm_writer_header_page(struct mm_writer *w, const char *text, size_t len)
{
	return mm_writer_section(w, MM_SECTION_HEADER_PAGE, NULL, 0, text, len);
}

int mm_writer_event_format(struct mm_writer *w, const char *system,
			   const char *format_text, size_t len)
{
	size_t slen = strlen(system) + 1, need = 4 + slen + len;
	unsigned char le[4];

	if (slen + len > UINT32_MAX)
		return mm_error("event format of %zu bytes", len);
	while (w->formats_cap - w->formats_len < need) {
		w->formats_cap = w->formats_cap ? 2 * w->formats_cap : 64 << 10;
		w->formats = mm_realloc(w->formats, w->formats_cap);
	}
	mm_holes_add_format(w->holes, format_text, len);
	mm_le32_store(le, (uint32_t)(slen + len));
	memcpy(w->formats + w->formats_len, le, 4);
	memcpy(w->formats + w->formats_len + 4, system, slen);
	memcpy(w->formats + w->formats_len + 4 + slen, format_text, len);
	w->formats_len += need;
	return 0;
}

int mm_writer_snapshot(struct mm_writer *w, uint32_t pid, enum mm_snapshot_kind kind,
		       enum mm_snapshot_phase phase, uint64_t ts,
		       const char *text, size_t len)
{
	struct mm_snapshot_header h = {
		.pid = pid, .kind = kind, .phase = phase, .ts = ts,
	};
	return mm_writer_section(w, MM_SECTION_SNAPSHOT, &h, sizeof(h), text, len);
}

int mm_writer_probes(struct mm_writer *w, const char *text, size_t len)
{
	return mm_writer_section(w, MM_SECTION_PROBES, NULL, 0, text, len);
}

/* Grow the reused output buffer only when a bigger chunk comes along. */
static void reserve_zbuf(struct mm_writer *w, size_t need)
{
	if (need <= w->zcap)
		return;
	free(w->zbuf);
	w->zbuf = mm_malloc(need);
	w->zcap = need;
}

/* Codec 2: the table of stream sizes, then one frame per non-empty stream
 * (columns.h); into w->zbuf, returns the payload size or 0 on error. */
static size_t compress_columns(struct mm_writer *w, const unsigned char *raw, uint32_t nr)
{
	struct mm_col_piece pieces[MM_COL_MAX_TYPES];
	uint32_t table[2 * MM_COL_NR];
	size_t off = sizeof(table), need = off;

	mm_columns_split(w->cols, w->delta, &w->layout, raw, nr);
	for (int i = 0; i < MM_COL_NR; i++) {
		table[i] = mm_columns_len(w->cols, i);
		need += ZSTD_compressBound(table[i]);
	}
	reserve_zbuf(w, need);
	for (int i = 0; i < MM_COL_NR; i++) {
		size_t n = mm_columns_pieces(w->cols, i, pieces), z = 0;
		if (table[i] && !(z = compress_pieces(w, pieces, n, (char *)w->zbuf + off,
						      w->zcap - off)))
			return 0;
		table[MM_COL_NR + i] = z;
		off += z;
	}
	for (int i = 0; i < 2 * MM_COL_NR; i++)
		mm_le32_store((unsigned char *)w->zbuf + 4 * i, table[i]);
	return off;
}

static int write_chunk(struct mm_writer *w, enum mm_section_type type, uint32_t cpu,
		       void *raw, uint32_t nr_subbufs, uint32_t subbuf_size)
{
	uint64_t raw_len = (uint64_t)nr_subbufs * subbuf_size;
	struct mm_chunk_header h = { .cpu = cpu, .nr_subbufs = nr_subbufs, .raw_len = raw_len };
	int commit = w->layout.commit_size ? w->layout.commit_size : w->long_size;
	size_t z;

	if (!nr_subbufs)
		return 0;
	if (raw_len > MM_MAX_CHUNK_RAW || cpu >= MM_MAX_CPUS)
		return mm_error("chunk of %llu bytes for cpu %u is over the format's limits",
				(unsigned long long)raw_len, cpu);
	if (w->codec != MM_CODEC_RAW && w->endian_known && commit &&
	    subbuf_size > 8u + commit) {
		w->layout.subbuf_size = subbuf_size;
		w->layout.commit_size = commit;
		if (w->codec == MM_CODEC_DELTA)	/* columns codes on its way */
			mm_delta_encode(w->delta, &w->layout, raw, nr_subbufs);
		h.codec = w->codec;
	}
	if (h.codec == MM_CODEC_COLUMNS) {
		z = compress_columns(w, raw, nr_subbufs);
	} else {
		struct mm_col_piece whole = { raw, raw_len };

		reserve_zbuf(w, ZSTD_compressBound(raw_len));
		z = compress_pieces(w, &whole, 1, w->zbuf, w->zcap);
	}
	if (!z)
		return mm_error("cannot compress chunk");
	if (write_section(w, type, 0, &h, sizeof(h), w->zbuf, z) < 0)
		return -1;
	w->st.raw_chunk_bytes += raw_len;
	w->st.chunk_bytes += z;
	w->st.nr_chunks++;
	return 0;
}

int mm_writer_chunk(struct mm_writer *w, uint32_t cpu, void *raw,
		    uint32_t nr_subbufs, uint32_t subbuf_size)
{
	return write_chunk(w, MM_SECTION_CHUNK, cpu, raw, nr_subbufs, subbuf_size);
}

int mm_writer_stack_chunk(struct mm_writer *w, uint32_t cpu, void *raw,
			  uint32_t nr_subbufs, uint32_t subbuf_size)
{
	return write_chunk(w, MM_SECTION_STACK_CHUNK, cpu, raw, nr_subbufs, subbuf_size);
}

int mm_writer_heap_chunk(struct mm_writer *w, const void *payload, size_t len,
			 uint32_t nr_subbufs, uint32_t subbuf_size)
{
	uint64_t raw_len = (uint64_t)nr_subbufs * subbuf_size;
	struct mm_chunk_header h = { .cpu = 0, .nr_subbufs = nr_subbufs, .raw_len = raw_len,
				     .codec = MM_CODEC_HEAP };

	if (!nr_subbufs)
		return 0;
	if (raw_len > MM_MAX_CHUNK_RAW)
		return mm_error("malloc chunk of %llu bytes is over the format's limit",
				(unsigned long long)raw_len);
	if (write_section(w, MM_SECTION_HEAP_CHUNK, 0, &h, sizeof(h), payload, len) < 0)
		return -1;
	w->st.raw_chunk_bytes += raw_len;
	w->st.chunk_bytes += len;
	w->st.nr_chunks++;
	w->st.heap_chunk_bytes += len;
	return 0;
}

int mm_writer_stats(struct mm_writer *w, const struct mm_cpu_stats *stats, uint32_t n)
{
	return write_section(w, MM_SECTION_STATS, 0, NULL, 0, stats, (size_t)n * sizeof(*stats));
}

int mm_writer_stack_stats(struct mm_writer *w, const struct mm_cpu_stats *stats, uint32_t n)
{
	return write_section(w, MM_SECTION_STACK_STATS, 0, NULL, 0, stats,
			     (size_t)n * sizeof(*stats));
}

void mm_writer_get_stats(const struct mm_writer *w, struct mm_writer_stats *st)
{
	*st = w->st;
}

static void writer_free(struct mm_writer *w)
{
	ZSTD_freeCCtx(w->cctx);
	free(w->zbuf);
	free(w->tbuf);
	free(w->delta);
	if (w->cols)
		mm_columns_release(w->cols);
	free(w->cols);
	free(w->holes);
	free(w->machine);
	free(w->formats);
	free(w->path);
	free(w);
}

int mm_writer_close(struct mm_writer *w)
{
	int ret = 0;

	if (!w)
		return 0;
	if (write_section(w, MM_SECTION_END, 0, NULL, 0, NULL, 0) < 0)
		ret = -1;
	else if (fsync(w->fd) < 0)
		ret = mm_error_errno("cannot sync '%s'", w->path);
	if (close(w->fd) < 0 && !ret)
		ret = mm_error_errno("cannot close '%s'", w->path);
	writer_free(w);
	return ret;
}

void mm_writer_abort(struct mm_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	writer_free(w);
}
