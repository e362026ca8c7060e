/*
 * format/reader.c - open a trace file: validate the header, walk and index
 * the sections once, and hand out what they hold (see reader.h, layout.h).
 *
 * The file is read with pread() into buffers, never mmap()ed: a file
 * truncated while we read it (a recording still running, a full disk) must
 * give an error, not a SIGBUS.  Every length and offset from the file is
 * checked against the file size and the limits of layout.h before use.
 *
 * Small sections (MACHINE, header_page, formats, snapshots, STATS, PROBES)
 * are loaded, CRC-checked and, when stored as a zstd frame, decompressed
 * here, each into a buffer of exactly its declared size: the declared size
 * is checked against the type's limit and the file's MM_MAX_INFLATED budget
 * first, so a decompression bomb costs an error, not the machine's memory.  CHUNK sections are only indexed (offset,
 * lengths, per CPU); their CRC is checked by the stream when it loads them,
 * so a multi-GB trace is read once, not twice.
 *
 * A file that ends inside a section, or without END, is truncated: what
 * came before is still used.  A section of type 0 is read the same way:
 * it is what a crash leaves when the file system extended the file with
 * zeros that never got their data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zstd.h>
#include <event-parse.h>

#include "memmon.h"
#include "endian.h"
#include "file.h"
#include "tracecmd.h"
#include "zframe.h"

struct section {
	uint16_t type;
	uint16_t flags;
	uint32_t crc;
	uint64_t len;            /* stored bytes */
	uint64_t off;            /* of the section header */
};

int mm_file_pread(const struct mm_file *f, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(f->fd, (char *)buf + done, len - done, off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mm_error_errno("cannot read '%s'", f->path);
		if (r == 0)
			return mm_error("'%s' shrank while being read (offset %llu)",
					f->path, (unsigned long long)(off + done));
		done += r;
	}
	return 0;
}

static int corrupt(const struct mm_file *f, const struct section *s, const char *why)
{
	return mm_error("'%s': corrupt section at offset %llu (%s)",
			f->path, (unsigned long long)s->off, why);
}

static uint64_t max_len(uint32_t type);

/* Decompress the frame Z of ZLEN bytes of section S; NULL with error set. */
static char *inflate(struct mm_file *f, const struct section *s, const char *z,
		     size_t zlen, size_t *len)
{
	const char *why;
	uint64_t n;
	char *buf;

	if (mm_zframe_size(z, zlen, &n, &why) < 0)
		return corrupt(f, s, why), NULL;
	if (n > max_len(s->type)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "compressed payload of %llu bytes over the limit of %llu "
			 "for its type", (unsigned long long)n, (unsigned long long)max_len(s->type));
		return corrupt(f, s, msg), NULL;
	}
	if (n > MM_MAX_INFLATED - f->inflated)
		return corrupt(f, s, "compressed sections too large in all"), NULL;
	f->inflated += n;
	buf = mm_malloc(n + 1);
	if (mm_zframe_inflate(NULL, buf, n, z, zlen, &why) < 0) {
		free(buf);
		return corrupt(f, s, why), NULL;
	}
	*len = n;
	return buf;
}

/* The payload of S, NUL-terminated, CRC-checked, decompressed; its length
 * in *LEN; NULL with error set. */
static char *load_payload(struct mm_file *f, const struct section *s, size_t *len)
{
	char *buf = mm_malloc(s->len + 1), *out;

	if (mm_file_pread(f, buf, s->len, s->off + MM_SECTION_HEADER_SIZE) < 0)
		goto fail;
	if (mm_crc32(0, buf, s->len) != s->crc) {
		corrupt(f, s, "crc mismatch");
		goto fail;
	}
	*len = s->len;
	if (s->flags & MM_SECTION_F_ZSTD) {
		out = inflate(f, s, buf, s->len, len);
		free(buf);
		if (!out)
			return NULL;
		buf = out;
	}
	buf[*len] = '\0';
	return buf;
fail:
	free(buf);
	return NULL;
}

/* The largest payload a section of TYPE may have; bigger means corrupt. */
static uint64_t max_len(uint32_t type)
{
	switch (type) {
	case MM_SECTION_MACHINE:
	case MM_SECTION_PROBES:
		return MM_MAX_SMALL_TEXT;
	case MM_SECTION_HEADER_PAGE:
		return MM_MAX_HEADER_PAGE;
	case MM_SECTION_EVENT_FORMAT:
		return MM_MAX_FORMAT_TEXT;
	case MM_SECTION_EVENT_FORMATS:
		return MM_MAX_FORMAT_BUNDLE;
	case MM_SECTION_SNAPSHOT:
		return MM_MAX_TEXT_SECTION + sizeof(struct mm_snapshot_header);
	case MM_SECTION_CHUNK:
	case MM_SECTION_HEAP_CHUNK:
		return sizeof(struct mm_chunk_header) + ZSTD_compressBound(MM_MAX_CHUNK_RAW);
	case MM_SECTION_STATS:
	case MM_SECTION_STACK_STATS:
		return (uint64_t)MM_MAX_CPUS * sizeof(struct mm_cpu_stats);
	case MM_SECTION_STACK_CHUNK:
		return max_len(MM_SECTION_CHUNK);
	case MM_SECTION_MMAPS:
	case MM_SECTION_ELF:
		return MM_MAX_OBJ_SECTION;
	case MM_SECTION_HEAP_STACKS:
		return 8 + (1 + 8ull * MM_HEAP_STACK_DEPTH) * MM_MAX_HEAP_STACKS;
	case MM_SECTION_WATCH:
		return sizeof(struct mm_watch_header) + 4ull * MM_MAX_WATCH_TIDS;
	case MM_SECTION_END:
		return 0;
	default:
		return UINT64_MAX;
	}
}

/* ---- MACHINE (its keys: machine.c) ---- */

static int parse_machine(struct mm_file *f, const struct section *s)
{
	size_t len;

	if (f->machine_text)
		return corrupt(f, s, "second machine section");
	f->machine_text = load_payload(f, s, &len);
	return f->machine_text ? mm_file_parse_machine(f) : -1;
}

/* ---- the other small sections ---- */

/* Keep BUF (LEN bytes, "system\0" then a format's text; owned) as a format. */
static int keep_format(struct mm_file *f, const struct section *s, char *buf, size_t len)
{
	if (f->nr_formats == MM_MAX_FORMATS) {
		free(buf);
		return corrupt(f, s, "more event formats than a kernel has");
	}
	if (!len || !memchr(buf, '\0', len) || !buf[0]) {
		free(buf);
		return corrupt(f, s, "event format without a system name");
	}
	MM_GROW(f->formats, f->nr_formats, f->cap_formats, 64);
	f->formats[f->nr_formats++] = (struct mm_format_text){ buf, len };
	return 0;
}

static int add_format(struct mm_file *f, const struct section *s)
{
	size_t len;
	char *buf;

	if (f->nr_formats == MM_MAX_FORMATS)
		return corrupt(f, s, "more event formats than a kernel has");
	buf = load_payload(f, s, &len);
	if (!buf)
		return -1;
	return keep_format(f, s, buf, len);
}

/* EVENT_FORMATS: each record (u32 length, then an EVENT_FORMAT payload)
 * becomes a format of its own, checked as one would be. */
static int add_formats(struct mm_file *f, const struct section *s)
{
	size_t len, off = 0;
	int ret = 0;
	char *buf = load_payload(f, s, &len);

	if (!buf)
		return -1;
	while (!ret && off < len) {
		uint32_t n;

		if (len - off < 4) {
			ret = corrupt(f, s, "event format record cut short");
			break;
		}
		n = mm_le32_load((const unsigned char *)buf + off);
		off += 4;
		if (n > len - off || n > MM_MAX_FORMAT_TEXT) {
			ret = corrupt(f, s, n > len - off ? "event format record past its section"
							  : "event format over 64 KiB");
			break;
		}
		char *one = mm_malloc(n + 1);
		memcpy(one, buf + off, n);
		one[n] = '\0';
		ret = keep_format(f, s, one, n);
		off += n;
	}
	free(buf);
	return ret;
}

static int add_snapshot(struct mm_file *f, const struct section *s)
{
	struct mm_snapshot_header h;
	size_t len;
	char *buf;

	if (s->len < sizeof(h) && !(s->flags & MM_SECTION_F_ZSTD))
		return corrupt(f, s, "snapshot shorter than its header");
	buf = load_payload(f, s, &len);
	if (!buf)
		return -1;
	if (len < sizeof(h)) {
		free(buf);
		return corrupt(f, s, "snapshot shorter than its header");
	}
	memcpy(&h, buf, sizeof(h));
	MM_GROW(f->snaps, f->nr_snaps, f->cap_snaps, 64);
	f->snaps[f->nr_snaps++] = (struct mm_snapshot){
		.pid = h.pid, .kind = h.kind, .phase = h.phase, .ts = mm_file_ns(f, h.ts),
		.text = buf + sizeof(h), .len = len - sizeof(h),
	};
	return 0;
}

static int set_text(struct mm_file *f, const struct section *s, char **dst, size_t *len)
{
	size_t n;

	if (*dst)
		return corrupt(f, s, "repeated section");
	*dst = load_payload(f, s, &n);
	if (len)
		*len = n;
	return *dst ? 0 : -1;
}

static int set_stats(struct mm_file *f, const struct section *s)
{
	bool stacks = s->type == MM_SECTION_STACK_STATS;
	size_t len;
	char *buf = load_payload(f, s, &len);

	if (!buf)
		return -1;
	if (len % sizeof(struct mm_cpu_stats)) {
		free(buf);
		return corrupt(f, s, "stats length not a multiple of an entry");
	}
	free(stacks ? f->stack_stats : f->stats);
	*(stacks ? &f->stack_stats : &f->stats) = (struct mm_cpu_stats *)buf;
	*(stacks ? &f->nr_stack_stats : &f->nr_stats) = len / sizeof(struct mm_cpu_stats);
	if (!stacks)
		f->sum.has_stats = true;
	return 0;
}

/* MMAPS and ELF: parsed by objread.c, which keeps the payload;
 * HEAP_STACKS by heapstacks.c. */
static int add_objects(struct mm_file *f, const struct section *s)
{
	const char *why = NULL;
	size_t len;
	char *buf = load_payload(f, s, &len);

	if (!buf)
		return -1;
	if ((s->type == MM_SECTION_MMAPS ? mm_file_take_mapents(f, buf, len, &why) :
	     s->type == MM_SECTION_HEAP_STACKS ? mm_file_take_heap_stacks(f, buf, len, &why) :
	     mm_file_take_elf(f, buf, len, &why)) < 0)
		return corrupt(f, s, why);
	return 0;
}

/* ---- CHUNK index ---- */

/* A bad chunk header is a crc error if the payload's CRC disagrees too. */
static int bad_chunk(struct mm_file *f, const struct section *s, const char *why)
{
	size_t len;
	char *buf = load_payload(f, s, &len);

	if (!buf)
		return -1;
	free(buf);
	return corrupt(f, s, why);
}

static int index_chunk(struct mm_file *f, const struct section *s)
{
	bool heap = s->type == MM_SECTION_HEAP_CHUNK;
	struct mm_chunk_header h;
	struct mm_cpu_index *ci;

	if (!f->machine_text)
		return corrupt(f, s, "chunk before the machine section");
	if (s->len <= sizeof(h))
		return corrupt(f, s, "chunk shorter than its header");
	if (s->flags)
		return corrupt(f, s, "compressed chunk section");
	if (mm_file_pread(f, &h, sizeof(h), s->off + MM_SECTION_HEADER_SIZE) < 0)
		return -1;
	if (heap ? h.cpu != 0 : h.cpu >= f->nr_cpus)
		return bad_chunk(f, s, "cpu out of range");
	if (s->type == MM_SECTION_STACK_CHUNK)
		h.cpu += f->nr_cpus;      /* the stacks ring's cursors follow the CPUs' */
	if (!h.nr_subbufs || h.raw_len != (uint64_t)h.nr_subbufs * f->subbuf_size ||
	    h.raw_len > MM_MAX_CHUNK_RAW)
		return bad_chunk(f, s, "chunk size does not match its sub-buffers");
	if (heap ? h.codec != MM_CODEC_HEAP :
	    h.codec > MM_CODEC_MAX || (f->sum.major == 2 && h.codec > MM_CODEC_DELTA))
		return bad_chunk(f, s, "unknown chunk codec");
	ci = heap ? &f->heap : &f->cpus[h.cpu];
	if (s->type == MM_SECTION_STACK_CHUNK)
		f->sum.nr_stack_chunks++;
	if (ci->nr == ci->cap) {
		ci->cap = ci->cap ? 2 * ci->cap : 64;
		ci->chunks = mm_realloc(ci->chunks, ci->cap * sizeof(*ci->chunks));
	}
	ci->chunks[ci->nr++] = (struct mm_chunk_ref){
		.off = s->off, .len = s->len, .crc = s->crc,
		.nr_subbufs = h.nr_subbufs, .raw_len = h.raw_len, .codec = h.codec,
	};
	f->sum.nr_chunks++;
	f->sum.chunk_bytes += s->len - sizeof(h);
	f->sum.raw_bytes += h.raw_len;
	if (heap) {
		f->sum.heap_chunks++;
		f->sum.heap_bytes += s->len - sizeof(h);
	}
	return 0;
}

/* WATCH: parsed by watchread.c. */
static int add_watch(struct mm_file *f, const struct section *s)
{
	const char *why = NULL;
	size_t len;
	char *buf = load_payload(f, s, &len);

	if (!buf)
		return -1;
	return mm_file_take_watch(f, buf, len, &why) < 0 ? corrupt(f, s, why) : 0;
}

/* ---- the walk ---- */

static int handle_section(struct mm_file *f, const struct section *s)
{
	switch (s->type) {
	case MM_SECTION_MACHINE:
		return parse_machine(f, s);
	case MM_SECTION_HEADER_PAGE:
		return set_text(f, s, &f->header_page, &f->header_page_len);
	case MM_SECTION_EVENT_FORMAT:
		return add_format(f, s);
	case MM_SECTION_EVENT_FORMATS:
		return add_formats(f, s);
	case MM_SECTION_SNAPSHOT:
		return add_snapshot(f, s);
	case MM_SECTION_CHUNK:
	case MM_SECTION_HEAP_CHUNK:
	case MM_SECTION_STACK_CHUNK:
		return index_chunk(f, s);
	case MM_SECTION_STATS:
	case MM_SECTION_STACK_STATS:
		return set_stats(f, s);
	case MM_SECTION_MMAPS:
	case MM_SECTION_ELF:
	case MM_SECTION_HEAP_STACKS:
		return add_objects(f, s);
	case MM_SECTION_PROBES:
		return set_text(f, s, &f->probes, NULL);
	case MM_SECTION_WATCH:
		return add_watch(f, s);
	default:
		return 0;	/* a newer minor's section: skip it */
	}
}

/* Read the section header at OFF: 1 = got one, 0 = truncated here, -1 error. */
static int read_section(struct mm_file *f, uint64_t off, struct section *s)
{
	uint64_t size = f->sum.file_bytes;
	unsigned char h[MM_SECTION_HEADER_SIZE];

	if (size - off < MM_SECTION_HEADER_SIZE)
		return 0;
	if (mm_file_pread(f, h, sizeof(h), off) < 0)
		return -1;
	memcpy(&s->type, h, 2);
	memcpy(&s->flags, h + 2, 2);
	memcpy(&s->crc, h + 4, 4);
	memcpy(&s->len, h + 8, 8);
	s->off = off;
	if (s->type == 0)
		return 0;
	if (s->flags & ~MM_SECTION_F_KNOWN)
		return corrupt(f, s, "unknown section flags");
	if ((s->flags & MM_SECTION_F_ZSTD) && s->type == MM_SECTION_END)
		return corrupt(f, s, "compressed end section");
	if (s->len > max_len(s->type)) {
		char why[96];
		snprintf(why, sizeof(why), "length %llu over the limit of %llu for its type",
			 (unsigned long long)s->len, (unsigned long long)max_len(s->type));
		return corrupt(f, s, why);
	}
	return s->len <= size - off - MM_SECTION_HEADER_SIZE;
}

static int walk(struct mm_file *f, uint64_t off)
{
	struct section s;
	int r;

	while ((r = read_section(f, off, &s)) > 0) {
		if (handle_section(f, &s) < 0)
			return -1;
		if (s.type == MM_SECTION_END)
			return 0;
		off += MM_SECTION_HEADER_SIZE + s.len;
	}
	if (r < 0)
		return -1;
	f->sum.truncated = true;
	f->sum.truncated_at = off;
	return 0;
}

/* 0: a memmon file, its sections from *FIRST; 1: a trace-cmd file
 * (tracecmd.c reads it); -1 with mm_error() set. */
static int read_header(struct mm_file *f, uint64_t *first)
{
	unsigned char h[MM_FILE_HEADER_SIZE];
	uint32_t hsize;

	if (!f->sum.file_bytes)
		return mm_error("'%s' is empty", f->path);
	if (f->sum.file_bytes >= MM_TRACECMD_MAGIC_LEN &&
	    mm_file_pread(f, h, MM_TRACECMD_MAGIC_LEN, 0) == 0 &&
	    mm_tracecmd_is(h, MM_TRACECMD_MAGIC_LEN))
		return 1;
	if (f->sum.file_bytes < MM_FILE_HEADER_SIZE ||
	    mm_file_pread(f, h, sizeof(h), 0) < 0 ||
	    memcmp(h, MM_FILE_MAGIC, MM_FILE_MAGIC_LEN))
		return mm_error("'%s' is neither a memmon nor a trace-cmd trace file", f->path);
	memcpy(&f->sum.major, h + 8, 2);
	memcpy(&f->sum.minor, h + 10, 2);
	memcpy(&hsize, h + 12, 4);
	if (f->sum.major > MM_FORMAT_MAJOR)
		return mm_error("'%s' is memmon format %u.%u; this memmon reads up to %u.x: "
				"upgrade memmon", f->path, f->sum.major, f->sum.minor,
				MM_FORMAT_MAJOR);
	/* Older majors had another section and chunk header: re-record. */
	if (f->sum.major < MM_FORMAT_OLDEST_MAJOR)
		return mm_error("'%s' is memmon format %u.%u; format %u.x files are not "
				"supported by this memmon (it reads %u.x to %u.x)", f->path,
				f->sum.major, f->sum.minor, f->sum.major,
				MM_FORMAT_OLDEST_MAJOR, MM_FORMAT_MAJOR);
	if (hsize < MM_FILE_HEADER_SIZE || hsize > f->sum.file_bytes)
		return mm_error("'%s': corrupt file header (header size %u)", f->path, hsize);
	*first = hsize;
	return 0;
}

static int open_fd(struct mm_file *f)
{
	struct stat st;

	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
	f->fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (f->fd < 0)
		return mm_error_errno("cannot open '%s'", f->path);
	if (fstat(f->fd, &st) < 0)
		return mm_error_errno("cannot stat '%s'", f->path);
	if (!S_ISREG(st.st_mode))
		return mm_error("'%s' is not a regular file (a trace is read at random offsets: "
				"save it to a file first)", f->path);
	f->sum.file_bytes = st.st_size;
	return 0;
}

static int check_complete(struct mm_file *f)
{
	if (!f->machine_text)
		return mm_error(f->sum.truncated ?
				"'%s' is truncated before its machine section" :
				"'%s' has no machine section", f->path);
	if (!f->header_page && (f->sum.nr_chunks || !f->sum.truncated))
		return mm_error("'%s' has no header_page section", f->path);
	return 0;
}

struct mm_file *mm_file_open(const char *path)
{
	struct mm_file *f = mm_calloc(1, sizeof(*f));
	uint64_t first = 0;

	int kind;

	f->fd = -1;
	f->path = mm_strdup(path);
	if (open_fd(f) < 0 || (kind = read_header(f, &first)) < 0)
		goto fail;
	if (kind == 1) {
		if (mm_tracecmd_open(f) < 0)
			goto fail;
		return f;
	}
	if (walk(f, first) < 0 || check_complete(f) < 0 || mm_file_build_tep(f) < 0)
		goto fail;
	mm_file_sort_watch(f);
	return f;
fail:
	mm_file_close(f);
	return NULL;
}

void mm_file_close(struct mm_file *f)
{
	if (!f)
		return;
	mm_tracecmd_close(f);       /* the tep handle was its */
	if (f->fd >= 0)
		close(f->fd);
	if (f->tep)
		tep_free(f->tep);
	for (size_t i = 0; i < f->nr_formats; i++)
		free(f->formats[i].buf);
	for (size_t i = 0; i < f->nr_format_notes; i++)
		free(f->format_notes[i]);
	for (size_t i = 0; i < f->nr_snaps; i++)
		free((char *)f->snaps[i].text - sizeof(struct mm_snapshot_header));
	for (uint32_t i = 0; i < f->nr_rings && f->cpus; i++)
		free(f->cpus[i].chunks);
	free(f->heap.chunks);
	mm_file_free_watch(f);
	mm_file_free_objects(f);
	free(f->heap_stacks);
	free(f->stack_stats);
	free(f->cpus);
	free(f->formats);
	free(f->format_notes);
	free(f->snaps);
	free(f->stats);
	free(f->probes);
	free(f->header_page);
	free(f->kv);
	free(f->machine_text);
	free(f->path);
	free(f);
}
