/*
 * format/tracecmd-check.c - what memmon checks in a trace-cmd file before
 * libtracecmd reads it (tracecmd.c).
 *
 * libtracecmd trusts the sizes it reads: it allocates what a length field
 * says and then reads, and hands every event format to libtraceevent as
 * it is.  memmon reads files from anywhere, so the parts of the layout
 * that come before the ring data are walked here first, with every length
 * bounded by the file's size and by the limits memmon applies to its own
 * files (layout.h), and every event format must be one memmon's own
 * sanitizer (sanitize.c) accepts, i.e. inside the kernel's grammar.
 *
 * Version 6 lays those parts out one after the other (header_page,
 * header_event, the ftrace and event formats, kallsyms, printk formats,
 * saved cmdlines, the CPU count, the options, the per-CPU offsets): all
 * of it is walked.  Version 7 puts them in sections found through its
 * options and may compress them: there the fixed header, the compression
 * named and the first options offset are checked, and what libtracecmd
 * then reads is bounded by the file size it checks itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "memmon.h"
#include "file.h"
#include "layout.h"
#include "tracecmd.h"

#define MAX_KALLSYMS   (256u << 20)   /* the kernel's is ~10 MiB */
#define MAX_PRINTK     (64u << 20)
#define MAX_CMDLINES   (64u << 20)
#define MAX_SYSTEMS    1024
#define MAX_OPTION     (16u << 20)
#define MAX_OPTIONS    4096

bool mm_tracecmd_is(const unsigned char *buf, size_t n)
{
	return n >= MM_TRACECMD_MAGIC_LEN && !memcmp(buf, MM_TRACECMD_MAGIC, MM_TRACECMD_MAGIC_LEN);
}

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
};

static int bad(const struct walk *w, const char *why)
{
	return mm_error("'%s': corrupt trace-cmd file at offset %llu (%s: %s)", w->f->path,
			(unsigned long long)(w->mem ? w->base : w->off), w->what, why);
}

static int get(struct walk *w, void *buf, size_t n)
{
	if (w->off > w->size || w->size - w->off < n)
		return bad(w, "the file ends inside it");
	if (w->mem)
		memcpy(buf, w->mem + w->off, n);
	else if (mm_file_pread(w->f, buf, n, w->off) < 0)
		return -1;
	w->off += n;
	return 0;
}

static int get_u(struct walk *w, int bytes, uint64_t *v)
{
	unsigned char b[8];
	uint64_t r = 0;

	if (get(w, b, bytes) < 0)
		return -1;
	for (int i = 0; i < bytes; i++)
		r |= (uint64_t)b[w->big ? bytes - 1 - i : i] << (8 * i);
	*v = r;
	return 0;
}

/* A NUL-terminated string of at most MAX bytes into BUF (MAX + 1 bytes). */
static int get_str(struct walk *w, char *buf, size_t max)
{
	for (size_t i = 0; i <= max; i++) {
		if (get(w, buf + i, 1) < 0)
			return -1;
		if (!buf[i])
			return 0;
	}
	return bad(w, "a name longer than any trace-cmd writes");
}

/* Skip a LEN-byte blob after checking it against LIMIT and the file. */
static int skip(struct walk *w, uint64_t len, uint64_t limit)
{
	if (len > limit)
		return bad(w, "a length over memmon's limit");
	if (len > w->size - w->off)
		return bad(w, "a length past the end of the file");
	w->off += len;
	return 0;
}

/* A u32/u64 length then that many bytes. */
static int blob(struct walk *w, int len_bytes, uint64_t limit, const char *what)
{
	uint64_t len;

	w->what = what;
	return get_u(w, len_bytes, &len) < 0 ? -1 : skip(w, len, limit);
}

/* An event format: within the kernel's grammar, as sanitize.c has it. */
static int format(struct walk *w, const char *what)
{
	uint64_t len;
	const char *why;
	char *text, *canon;

	w->what = what;
	if (get_u(w, 8, &len) < 0)
		return -1;
	if (len > MM_MAX_FORMAT_TEXT)
		return bad(w, "a format longer than memmon's limit");
	if (len > w->size - w->off)
		return bad(w, "a length past the end of the file");
	text = mm_malloc(len + 1);
	if (get(w, text, len) < 0) {
		free(text);
		return -1;
	}
	w->off -= len;
	text[len] = '\0';
	canon = memchr(text, '\0', len) ? NULL : mm_format_sanitize(text, len, &why);
	free(text);
	if (!canon)
		return bad(w, "an event format outside the kernel's grammar");
	free(canon);
	w->off += len;
	return 0;
}

static int header_part(struct walk *w, const char *name)
{
	char buf[16];

	w->what = name;
	if (get_str(w, buf, sizeof(buf) - 1) < 0)
		return -1;
	if (strcmp(buf, name))
		return bad(w, "not where trace-cmd puts it");
	return blob(w, 8, MM_MAX_FORMAT_TEXT, name);
}

static int ftrace_formats(struct walk *w)
{
	uint64_t n;

	w->what = "ftrace formats";
	if (get_u(w, 4, &n) < 0)
		return -1;
	if (n > MM_MAX_FORMATS)
		return bad(w, "more formats than a kernel has");
	for (uint64_t i = 0; i < n; i++)
		if (format(w, "ftrace format") < 0)
			return -1;
	return 0;
}

static int event_formats(struct walk *w)
{
	uint64_t n, systems;
	char sys[256];

	w->what = "event systems";
	if (get_u(w, 4, &systems) < 0)
		return -1;
	if (systems > MAX_SYSTEMS)
		return bad(w, "more event systems than a kernel has");
	for (uint64_t s = 0; s < systems; s++) {
		w->what = "event system";
		if (get_str(w, sys, sizeof(sys) - 1) < 0 || get_u(w, 4, &n) < 0)
			return -1;
		if (n > MM_MAX_FORMATS)
			return bad(w, "more formats than a kernel has");
		for (uint64_t i = 0; i < n; i++)
			if (format(w, "event format") < 0)
				return -1;
	}
	return 0;
}

/* trace-cmd's option ids (its trace-cmd-private.h) */
enum { OPT_DONE, OPT_DATE, OPT_CPUSTAT, OPT_BUFFER, OPT_TRACECLOCK, OPT_UNAME, OPT_HOOK,
       OPT_OFFSET, OPT_CPUCOUNT, OPT_VERSION, OPT_PROCMAPS, OPT_TRACEID, OPT_TIME_SHIFT,
       OPT_GUEST, OPT_TSC2NSEC, OPT_STRINGS, OPT_HEADER_INFO, OPT_FTRACE_EVENTS,
       OPT_EVENT_FORMATS, OPT_KALLSYMS, OPT_PRINTK, OPT_CMDLINES, OPT_BUFFER_TEXT };
#define SEC_COMPRESS 1u

/* Version 7's sections, in file order (walked once, as libtracecmd does
 * when it looks for its string tables). */
struct section {
	uint64_t off;            /* of the header */
	uint64_t size;           /* payload bytes */
	uint16_t id, flags;
	bool used;               /* an options section already walked */
};
struct sections {
	struct section *s;
	size_t n;
	bool compressed;         /* the file names a compression */
	uint64_t cpus;           /* format 6: the file's CPU count */
	int depth;               /* format 6: walking a buffer's own options */
};

static int v6_data(struct walk *w, struct sections *ss);

static const struct section *section_at(const struct sections *ss, uint64_t off)
{
	for (size_t i = 0; i < ss->n; i++)
		if (ss->s[i].off == off)
			return &ss->s[i];
	return NULL;
}

/* A little-endian or big-endian number of BYTES at P. */
static uint64_t num(const struct walk *w, const unsigned char *p, int bytes)
{
	uint64_t r = 0;
	for (int i = 0; i < bytes; i++)
		r |= (uint64_t)p[w->big ? bytes - 1 - i : i] << (8 * i);
	return r;
}

/* A section's payload, decompressed when it is: a walk over it in memory
 * (free W->mem after).  Compressed payloads are a u32 stored and a u32
 * decompressed size, then the block; only zstd is read here. */
static int payload(struct walk *w, const struct section *sec, uint64_t limit, struct walk *out)
{
	unsigned char h[8], *buf, *z;
	uint64_t zlen, len;
	size_t r;

	*out = (struct walk){ w->f, 0, sec->size, w->big, w->what, NULL, sec->off };
	w->off = sec->off + 16;
	if (!(sec->flags & SEC_COMPRESS)) {
		if (sec->size > limit)
			return bad(w, "a section longer than memmon's limit");
		buf = mm_malloc(sec->size + 1);
		if (get(w, buf, sec->size) < 0) {
			free(buf);
			return -1;
		}
		out->mem = buf;
		return 0;
	}
	if (get(w, h, 8) < 0)
		return -1;
	zlen = num(w, h, 4);
	len = num(w, h + 4, 4);
	if (zlen > sec->size - 8 || len > limit)
		return bad(w, "a compressed block larger than its section or memmon's limit");
	z = mm_malloc(zlen + 1);
	buf = mm_malloc(len + 1);
	if (get(w, z, zlen) < 0) {
		free(z);
		free(buf);
		return -1;
	}
	r = ZSTD_decompress(buf, len, z, zlen);
	free(z);
	if (ZSTD_isError(r) || r != len) {
		free(buf);
		return bad(w, "a compressed block that does not decompress to its size");
	}
	out->mem = buf;
	out->size = len;
	return 0;
}

/* The section option ID names at OFF: one of that id, its contents as
 * memmon can check them. */
static int section_ref(struct walk *w, struct sections *ss, unsigned id, uint64_t off)
{
	const struct section *sec = section_at(ss, off);
	struct walk p;
	int r = 0;

	if (!sec || sec->id != id)
		return bad(w, "an option naming no section of its kind");
	if (id == OPT_KALLSYMS || id == OPT_PRINTK || id == OPT_CMDLINES) {
		/* text libtracecmd reads as text: bounded, not parsed here */
		if (sec->flags & SEC_COMPRESS) {
			unsigned char h[8];
			w->off = sec->off + 16;
			if (get(w, h, 8) < 0)
				return -1;
			if (num(w, h, 4) > sec->size - 8 || num(w, h + 4, 4) > MAX_KALLSYMS)
				return bad(w, "a compressed block larger than its section or memmon's limit");
		}
		return 0;
	}
	if (payload(w, sec, 64u << 20, &p) < 0)
		return -1;
	if (id == OPT_HEADER_INFO)
		r = header_part(&p, "header_page") < 0 || header_part(&p, "header_event") < 0 ? -1 : 0;
	else if (id == OPT_FTRACE_EVENTS)
		r = ftrace_formats(&p);
	else if (id == OPT_EVENT_FORMATS)
		r = event_formats(&p);
	free((void *)p.mem);
	return r;
}

/* Does the compressed chunk of ZLEN bytes at W's offset decompress to
 * exactly RAW bytes? */
static int first_chunk(struct walk *w, uint64_t zlen, uint64_t raw)
{
	unsigned char *z = mm_malloc(zlen + 1), *out = mm_malloc(raw + 1);
	uint64_t here = w->off;
	size_t r = 0;
	int ret = get(w, z, zlen);

	w->off = here;
	if (!ret) {
		r = ZSTD_decompress(out, raw, z, zlen);
		if (ZSTD_isError(r) || r != raw)
			ret = bad(w, "a compressed chunk that does not decompress to its size");
	}
	free(z);
	free(out);
	return ret;
}

/* A CPU's ring data at [OFF, OFF + LEN) inside section SEC; in a
 * compressed file it is a table of compressed chunks. */
static int cpu_data(struct walk *w, const struct section *sec, uint64_t off, uint64_t len,
		    bool compressed)
{
	/* the chunks are bounded by the section: trace-cmd 3.1's sizes here
	 * come a few bytes short of the chunks they cover */
	uint64_t end = sec->off + 16 + sec->size, n;

	if (off < sec->off + 16 || off > sec->off + 16 + sec->size ||
	    len > sec->off + 16 + sec->size - off)
		return bad(w, "a CPU's data outside its buffer's section");
	if (!compressed || !len)
		return 0;
	w->off = off;
	if (get_u(w, 4, &n) < 0)
		return -1;
	if (n > (end - w->off) / 8)
		return bad(w, "more compressed chunks than the data holds");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t zlen, raw;
		if (get_u(w, 4, &zlen) < 0 || get_u(w, 4, &raw) < 0)
			return -1;
		/* a chunk decodes to at most MM_MAX_EVENT_RATIO times its bytes,
		 * as memmon's own chunks (stream.c): a few bytes of zstd can
		 * claim 64 MiB, libtracecmd allocates what they claim */
		if (zlen > end - w->off || raw > MM_MAX_CHUNK_RAW ||
		    raw > (zlen + 64) * MM_MAX_EVENT_RATIO)
			return bad(w, "a compressed chunk larger than its data or memmon's limit");
		/* the first one libtracecmd decompresses at open, and its error
		 * path there crashes: it must decompress */
		if (!i && first_chunk(w, zlen, raw) < 0)
			return -1;
		w->off += zlen;
	}
	return 0;
}

/* Option BUFFER's data D (LEN bytes): where a buffer's ring data is. */
static int buffer_option(struct walk *w, struct sections *ss, const unsigned char *d,
			 uint64_t len, bool v7)
{
	const unsigned char *p = d, *end = d + len, *z;
	const struct section *sec;
	uint64_t off, cpus;
	bool seen[64] = { false };

	if (len < 9)
		return bad(w, "a buffer option too short");
	off = num(w, p, 8);
	p += 8;
	for (int k = 0; k < (v7 ? 2 : 1); k++) {       /* name, then (7) clock */
		z = memchr(p, '\0', end - p);
		if (!z || z - p > 255)
			return bad(w, "a buffer option without its name");
		p = z + 1;
	}
	if (!v7) {
		/* an instance's own options and per-CPU offsets, as libtracecmd
		 * reads them when it opens the buffer (its error path there
		 * crashes: the fuzzer's crashes/tracecmd-v6-buffer) */
		uint64_t here = w->off;
		int r;
		if (ss->depth)
			return bad(w, "a buffer option inside a buffer's options");
		if (off >= w->size)
			return bad(w, "a buffer's data past the end of the file");
		ss->depth++;
		w->off = off;
		r = v6_data(w, ss);
		ss->depth--;
		w->off = here;
		return r;
	}
	if (end - p < 8)
		return bad(w, "a buffer option too short");
	cpus = num(w, p + 4, 4);
	p += 8;
	if (cpus > MM_MAX_CPUS || cpus * 20 > (uint64_t)(end - p))
		return bad(w, "a buffer option with more CPUs than it describes");
	sec = section_at(ss, off);
	if (!sec || sec->id != OPT_BUFFER)
		return bad(w, "a buffer option naming no buffer section");
	for (uint64_t i = 0; i < cpus; i++, p += 20) {
		uint64_t cpu = num(w, p, 4);
		if (cpu >= MM_MAX_CPUS || (cpu < 64 && seen[cpu]))
			return bad(w, "a buffer option with a CPU out of range or twice");
		if (cpu < 64)
			seen[cpu] = true;
		if (cpu_data(w, sec, num(w, p + 4, 8), num(w, p + 12, 8), ss->compressed) < 0)
			return -1;
	}
	return 0;
}

/* One option, ID with LEN bytes of data D, as libtracecmd will read it. */
static int option(struct walk *w, struct sections *ss, unsigned id,
		  const unsigned char *d, uint64_t len, bool v7)
{
	switch (id) {
	case OPT_DATE: case OPT_CPUSTAT: case OPT_TRACECLOCK: case OPT_UNAME: case OPT_HOOK:
	case OPT_OFFSET: case OPT_VERSION:
		/* text: libtracecmd writes its last byte, copies it as a string */
		if (!len || d[len - 1] != '\0')
			return bad(w, "a text option without its terminating NUL");
		return 0;
	case OPT_BUFFER:
		return buffer_option(w, ss, d, len, v7);
	case OPT_CPUCOUNT:
		return len == 4 && num(w, d, 4) <= MM_MAX_CPUS ? 0 :
		       bad(w, "a CPU count option of the wrong size or over memmon's limit");
	case OPT_TRACEID:
		return len == 8 ? 0 : bad(w, "a trace id option of the wrong size");
	case OPT_TSC2NSEC:
		return len >= 16 ? 0 : bad(w, "a tsc2nsec option too short");
	case OPT_PROCMAPS:
		return mm_error("'%s' has trace-cmd's --proc-map address maps, which memmon does not "
				"read: record without --proc-map", w->f->path);
	case OPT_TIME_SHIFT: case OPT_GUEST:
		return mm_error("'%s' is a trace-cmd host/guest recording (time shifts, guest "
				"maps): memmon reads the recording of one machine", w->f->path);
	case OPT_BUFFER_TEXT:
		return mm_error("'%s' holds a trace-cmd text (latency) buffer: memmon reads "
				"recorded events", w->f->path);
	case OPT_HEADER_INFO: case OPT_FTRACE_EVENTS: case OPT_EVENT_FORMATS:
	case OPT_KALLSYMS: case OPT_PRINTK: case OPT_CMDLINES:
		if (!v7 || len != 8)
			return bad(w, "a section option outside format 7 or of the wrong size");
		return section_ref(w, ss, id, num(w, d, 8));
	default:
		return 0;       /* libtracecmd passes over ids it does not know */
	}
}

/* Options (u16 id, u32 size, data) up to DONE; in format 7, *NEXT gets
 * DONE's next options offset. */
static int options(struct walk *w, struct sections *ss, bool v7, uint64_t end,
		   uint64_t *next)
{
	for (unsigned i = 0; i < MAX_OPTIONS; i++) {
		uint64_t id, len;
		unsigned char *d;
		int r;

		w->what = "options";
		if (get_u(w, 2, &id) < 0)
			return -1;
		if (!id && !v7)
			return 0;
		if (get_u(w, 4, &len) < 0)
			return -1;
		if (len > MAX_OPTION || len > end - w->off)
			return bad(w, "an option longer than its section or memmon's limit");
		d = mm_malloc(len + 1);
		if (get(w, d, len) < 0) {
			free(d);
			return -1;
		}
		if (!id) {
			r = len == 8 ? 0 : bad(w, "a last option of the wrong size");
			*next = r ? 0 : num(w, d, 8);
			free(d);
			return r;
		}
		uint64_t here = w->off;
		r = option(w, ss, (unsigned)id, d, len, v7);
		free(d);
		if (r < 0)
			return -1;
		w->off = here;
	}
	return bad(w, "more options than trace-cmd writes");
}

/* Format 6 from the data header on (the file's, or an instance buffer's
 * at its offset): options, then the per-CPU offsets of the ring data. */
static int v6_data(struct walk *w, struct sections *ss)
{
	char tag[10];
	uint64_t next;

	w->what = "data header";
	if (get(w, tag, sizeof(tag)) < 0)
		return -1;
	if (!memcmp(tag, "options  ", 10)) {
		if (options(w, ss, false, w->size, &next) < 0)
			return -1;
		w->what = "data header";
		if (get(w, tag, sizeof(tag)) < 0)
			return -1;
	}
	if (!memcmp(tag, "latency  ", 10))
		return mm_error("'%s' is a trace-cmd latency trace (text, not events): memmon "
				"reads trace-cmd's recorded events", w->f->path);
	if (memcmp(tag, "flyrecord", 10))
		return bad(w, "neither options nor flyrecord data");
	w->what = "per-CPU data";
	for (uint64_t c = 0; c < ss->cpus; c++) {
		uint64_t off, len;
		if (get_u(w, 8, &off) < 0 || get_u(w, 8, &len) < 0)
			return -1;
		if (off > w->size || len > w->size - off)
			return bad(w, "a CPU's data past the end of the file");
	}
	return 0;
}

/* Version 6 after the page size: everything up to the ring data. */
static int walk_v6(struct walk *w)
{
	struct sections ss = { NULL, 0, false, 0, 0 };

	if (header_part(w, "header_page") < 0 || header_part(w, "header_event") < 0 ||
	    ftrace_formats(w) < 0 || event_formats(w) < 0 || blob(w, 4, MAX_KALLSYMS, "kallsyms") < 0 ||
	    blob(w, 4, MAX_PRINTK, "printk formats") < 0 ||
	    blob(w, 8, MAX_CMDLINES, "saved cmdlines") < 0)
		return -1;
	w->what = "cpus";
	if (get_u(w, 4, &ss.cpus) < 0)
		return -1;
	if (ss.cpus > MM_MAX_CPUS)
		return bad(w, "more CPUs than memmon reads");
	return v6_data(w, &ss);
}

/* Version 7 after the page size: the compression, every section (in
 * file order), then the chain of options sections from the one the
 * header names, each option as libtracecmd will read it. */
static int walk_v7(struct walk *w)
{
	struct sections ss = { NULL, 0, false, 0, 0 };
	char name[64], ver[64];
	uint64_t opt;
	size_t cap = 0;
	int r = -1;

	w->what = "compression";
	if (get_str(w, name, sizeof(name) - 1) < 0 || get_str(w, ver, sizeof(ver) - 1) < 0)
		return -1;
	if (strcmp(name, "none") && strcmp(name, "zstd"))
		return mm_error("'%s' is compressed with '%.63s': memmon reads trace-cmd files "
				"compressed with zstd or not at all", w->f->path, name);
	ss.compressed = strcmp(name, "none");
	w->what = "options offset";
	if (get_u(w, 8, &opt) < 0)
		return -1;
	while (w->off < w->size) {
		uint64_t id, flags, desc, size;
		w->what = "section header";
		if (ss.n == MAX_OPTIONS) {
			bad(w, "more sections than trace-cmd writes");
			goto out;
		}
		MM_GROW(ss.s, ss.n, cap, 16);
		struct section *sec = &ss.s[ss.n++];
		sec->off = w->off;
		if (get_u(w, 2, &id) < 0 || get_u(w, 2, &flags) < 0 || get_u(w, 4, &desc) < 0 ||
		    get_u(w, 8, &size) < 0)
			goto out;
		if (flags & ~SEC_COMPRESS || ((flags & SEC_COMPRESS) && !ss.compressed)) {
			bad(w, "unknown section flags");
			goto out;
		}
		if (size > w->size - w->off) {
			bad(w, "a section past the end of the file");
			goto out;
		}
		*sec = (struct section){ sec->off, size, (uint16_t)id, (uint16_t)flags, false };
		w->off += size;
	}
	for (unsigned n = 0; opt; n++) {
		struct section *sec = (struct section *)section_at(&ss, opt);
		w->off = opt;
		w->what = "options";
		if (!sec || sec->id != OPT_DONE || sec->used) {
			bad(w, "the options' offset names no options section, or one twice");
			goto out;
		}
		if (sec->flags) {
			mm_error("'%s': its options are compressed, which trace-cmd does not do: "
				 "memmon does not read it", w->f->path);
			goto out;
		}
		sec->used = true;
		w->off = sec->off + 16;
		if (options(w, &ss, true, sec->off + 16 + sec->size, &opt) < 0)
			goto out;
	}
	r = 0;
out:
	free(ss.s);
	return r;
}

int mm_tracecmd_check(struct mm_file *f)
{
	struct walk w = { f, MM_TRACECMD_MAGIC_LEN, f->sum.file_bytes, false, "file header", NULL, 0 };
	char version[8];
	unsigned char endian, long_size;
	uint64_t page;

	if (get_str(&w, version, sizeof(version) - 1) < 0 || get(&w, &endian, 1) < 0 ||
	    get(&w, &long_size, 1) < 0)
		return -1;
	if (strcmp(version, "6") && strcmp(version, "7"))
		return mm_error("'%s' is trace-cmd format '%.7s': memmon reads trace-cmd's "
				"formats 6 and 7", f->path, version);
	if (endian > 1 || (long_size != 4 && long_size != 8))
		return bad(&w, "bad byte order or long size");
	w.big = endian;
	if (get_u(&w, 4, &page) < 0)
		return -1;
	if (page < 1024 || page > (1u << 20) || (page & (page - 1)))
		return bad(&w, "a page size no kernel has");
	return version[0] == '6' ? walk_v6(&w) : walk_v7(&w);
}
