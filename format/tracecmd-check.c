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
 *
 * On the way the walk notes what the ring reader (tracecmd-ring.c)
 * needs: each buffer's name and clock options, each CPU's data; the
 * page of each CPU that libtracecmd parses at its open is checked by
 * tracecmd-pages.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "memmon.h"
#include "file.h"
#include "layout.h"
#include "tracecmd.h"
#include "tracecmd-walk.h"

#define MAX_KALLSYMS   (256u << 20)   /* the kernel's is ~10 MiB */
#define MAX_PRINTK     (64u << 20)
#define MAX_CMDLINES   (64u << 20)
#define MAX_OPTION     (16u << 20)
#define MAX_OPTIONS    4096

bool mm_tracecmd_is(const unsigned char *buf, size_t n)
{
	return n >= MM_TRACECMD_MAGIC_LEN && !memcmp(buf, MM_TRACECMD_MAGIC, MM_TRACECMD_MAGIC_LEN);
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

/* A section's payload, decompressed when it is: a walk over it in memory
 * (free W->mem after).  Compressed payloads are a u32 stored and a u32
 * decompressed size, then the block; only zstd is read here. */
static int payload(struct walk *w, const struct section *sec, uint64_t limit, struct walk *out)
{
	unsigned char h[8], *buf, *z;
	uint64_t zlen, len;
	size_t r;

	*out = (struct walk){ w->f, 0, sec->size, w->big, w->what, NULL, sec->off, w->page, w->long_size, w->lay, w->buf };
	w->off = sec->off + 16;
	if (!(sec->flags & SEC_COMPRESS)) {
		if (sec->size > limit)
			return mm_tcw_bad(w, "a section longer than memmon's limit");
		buf = mm_malloc(sec->size + 1);
		if (mm_tcw_get(w, buf, sec->size) < 0) {
			free(buf);
			return -1;
		}
		out->mem = buf;
		return 0;
	}
	if (mm_tcw_get(w, h, 8) < 0)
		return -1;
	zlen = mm_tcw_num(w, h, 4);
	len = mm_tcw_num(w, h + 4, 4);
	if (zlen > sec->size - 8 || len > limit)
		return mm_tcw_bad(w, "a compressed block larger than its section or memmon's limit");
	z = mm_malloc(zlen + 1);
	buf = mm_malloc(len + 1);
	if (mm_tcw_get(w, z, zlen) < 0) {
		free(z);
		free(buf);
		return -1;
	}
	r = ZSTD_decompress(buf, len, z, zlen);
	free(z);
	if (ZSTD_isError(r) || r != len) {
		free(buf);
		return mm_tcw_bad(w, "a compressed block that does not decompress to its size");
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
		return mm_tcw_bad(w, "an option naming no section of its kind");
	if (id == OPT_KALLSYMS || id == OPT_PRINTK || id == OPT_CMDLINES) {
		/* text libtracecmd reads as text: bounded, not parsed here */
		if (sec->flags & SEC_COMPRESS) {
			unsigned char h[8];
			w->off = sec->off + 16;
			if (mm_tcw_get(w, h, 8) < 0)
				return -1;
			if (mm_tcw_num(w, h, 4) > sec->size - 8 || mm_tcw_num(w, h + 4, 4) > MAX_KALLSYMS)
				return mm_tcw_bad(w, "a compressed block larger than its section or memmon's limit");
		}
		return 0;
	}
	if (payload(w, sec, 64u << 20, &p) < 0)
		return -1;
	if (id == OPT_HEADER_INFO)
		r = mm_tcw_header_part(&p, "header_page") < 0 || mm_tcw_header_part(&p, "header_event") < 0 ? -1 : 0;
	else if (id == OPT_FTRACE_EVENTS)
		r = mm_tcw_ftrace_formats(&p);
	else if (id == OPT_EVENT_FORMATS)
		r = mm_tcw_event_formats(&p);
	free((void *)p.mem);
	return r;
}

/* A CPU's ring data at [OFF, OFF + LEN) inside section SEC; in a
 * compressed section it is a table of compressed chunks.  Every page of
 * it libtracecmd will parse is walked (tracecmd-pages.c). */
static int cpu_data(struct walk *w, const struct section *sec, uint64_t cpu, uint64_t off,
		    uint64_t len)
{
	/* the chunks are bounded by the section: trace-cmd 3.1's sizes here
	 * come a few bytes short of the chunks they cover */
	struct mm_tc_src c = { w->buf, cpu, off, len, sec->off + 16 + sec->size,
			       sec->flags & SEC_COMPRESS };

	if (off < sec->off + 16 || off > c.end || len > c.end - off)
		return mm_tcw_bad(w, "a CPU's data outside its buffer's section");
	return mm_tc_check_cpu(w, &c);
}

/* The buffer NAME names: the top one (format 7's unnamed buffer) or the
 * next instance, in the order libtracecmd opens them. */
static int new_buffer(struct walk *w, const char *name, bool v7)
{
	struct mm_tc_layout *l = w->lay;

	if (v7 && !*name) {
		if (l->top_seen)
			return mm_tcw_bad(w, "a second unnamed (top) buffer");
		l->top_seen = true;
		w->buf = 0;
		return 0;
	}
	if (l->nr_bufs > MM_TC_MAX_BUFFERS)
		return mm_tcw_bad(w, "more buffers than memmon reads");
	l->buffers = mm_realloc(l->buffers, (l->nr_bufs + 1) * sizeof(*l->buffers));
	l->clocks = mm_realloc(l->clocks, (l->nr_bufs + 1) * sizeof(*l->clocks));
	l->buffers[l->nr_bufs] = mm_strdup(name);
	l->clocks[l->nr_bufs] = (struct mm_tc_clock){ 0, 0, 0 };
	w->buf = l->nr_bufs++;
	return 0;
}

/* Option BUFFER's data D (LEN bytes): where a buffer's ring data is. */
static int buffer_option(struct walk *w, struct sections *ss, const unsigned char *d,
			 uint64_t len, bool v7)
{
	const unsigned char *p = d, *end = d + len, *z;
	const char *name = (const char *)d + 8;
	const struct section *sec;
	uint64_t off, cpus;
	bool seen[64] = { false };

	if (len < 9)
		return mm_tcw_bad(w, "a buffer option too short");
	off = mm_tcw_num(w, p, 8);
	p += 8;
	for (int k = 0; k < (v7 ? 2 : 1); k++) {       /* name, then (7) clock */
		z = memchr(p, '\0', end - p);
		if (!z || z - p > 255)
			return mm_tcw_bad(w, "a buffer option without its name");
		p = z + 1;
	}
	if (!v7) {
		/* an instance's own options and per-CPU offsets, as libtracecmd
		 * reads them when it opens the buffer (its error path there
		 * crashes: the fuzzer's crashes/tracecmd-v6-buffer) */
		uint64_t here = w->off;
		int r;
		if (ss->depth)
			return mm_tcw_bad(w, "a buffer option inside a buffer's options");
		if (off >= w->size)
			return mm_tcw_bad(w, "a buffer's data past the end of the file");
		if (new_buffer(w, name, false) < 0)
			return -1;
		ss->depth++;
		w->off = off;
		r = v6_data(w, ss);
		ss->depth--;
		w->off = here;
		w->buf = 0;
		return r;
	}
	if (end - p < 8)
		return mm_tcw_bad(w, "a buffer option too short");
	cpus = mm_tcw_num(w, p + 4, 4);
	p += 8;
	if (cpus > MM_MAX_CPUS || cpus * 20 > (uint64_t)(end - p))
		return mm_tcw_bad(w, "a buffer option with more CPUs than it describes");
	sec = section_at(ss, off);
	if (!sec || sec->id != OPT_BUFFER)
		return mm_tcw_bad(w, "a buffer option naming no buffer section");
	if (new_buffer(w, name, true) < 0)
		return -1;
	for (uint64_t i = 0; i < cpus; i++, p += 20) {
		uint64_t cpu = mm_tcw_num(w, p, 4);
		if (cpu >= MM_MAX_CPUS || (cpu < 64 && seen[cpu]))
			return mm_tcw_bad(w, "a buffer option with a CPU out of range or twice");
		if (cpu < 64)
			seen[cpu] = true;
		if (cpu_data(w, sec, cpu, mm_tcw_num(w, p + 4, 8), mm_tcw_num(w, p + 12, 8)) < 0)
			return -1;
	}
	w->buf = 0;
	return 0;
}

/* The clock options of buffer W->buf (format 7: all of them the top
 * one's), as libtracecmd's handle_options reads them. */
static void clock_option(struct walk *w, unsigned id, const unsigned char *d)
{
	struct mm_tc_clock *c = &w->lay->clocks[w->buf];

	if (id == OPT_TSC2NSEC) {
		c->mult = (uint32_t)mm_tcw_num(w, d, 4);
		c->shift = (uint32_t)mm_tcw_num(w, d + 4, 4);
	} else {
		/* DATE: microseconds, as "0x..."; OFFSET: nanoseconds */
		long long v = strtoll((const char *)d, NULL, 0);
		c->offset += id == OPT_DATE ? (int64_t)((uint64_t)v * 1000) : v;
	}
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
			return mm_tcw_bad(w, "a text option without its terminating NUL");
		if (id == OPT_DATE || id == OPT_OFFSET)
			clock_option(w, id, d);
		return 0;
	case OPT_BUFFER:
		return buffer_option(w, ss, d, len, v7);
	case OPT_CPUCOUNT:
		return len == 4 && mm_tcw_num(w, d, 4) <= MM_MAX_CPUS ? 0 :
		       mm_tcw_bad(w, "a CPU count option of the wrong size or over memmon's limit");
	case OPT_TRACEID:
		return len == 8 ? 0 : mm_tcw_bad(w, "a trace id option of the wrong size");
	case OPT_TSC2NSEC:
		if (len < 16)
			return mm_tcw_bad(w, "a tsc2nsec option too short");
		clock_option(w, id, d);
		return 0;
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
			return mm_tcw_bad(w, "a section option outside format 7 or of the wrong size");
		return section_ref(w, ss, id, mm_tcw_num(w, d, 8));
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
		if (mm_tcw_get_u(w, 2, &id) < 0)
			return -1;
		if (!id && !v7)
			return 0;
		if (mm_tcw_get_u(w, 4, &len) < 0)
			return -1;
		if (len > MAX_OPTION || len > end - w->off)
			return mm_tcw_bad(w, "an option longer than its section or memmon's limit");
		d = mm_malloc(len + 1);
		if (mm_tcw_get(w, d, len) < 0) {
			free(d);
			return -1;
		}
		if (!id) {
			r = len == 8 ? 0 : mm_tcw_bad(w, "a last option of the wrong size");
			*next = r ? 0 : mm_tcw_num(w, d, 8);
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
	return mm_tcw_bad(w, "more options than trace-cmd writes");
}

/* Format 6 from the data header on (the file's, or an instance buffer's
 * at its offset): options, then the per-CPU offsets of the ring data. */
static int v6_data(struct walk *w, struct sections *ss)
{
	char tag[10];
	uint64_t next;

	w->what = "data header";
	if (mm_tcw_get(w, tag, sizeof(tag)) < 0)
		return -1;
	if (!memcmp(tag, "options  ", 10)) {
		if (options(w, ss, false, w->size, &next) < 0)
			return -1;
		w->what = "data header";
		if (mm_tcw_get(w, tag, sizeof(tag)) < 0)
			return -1;
	}
	if (!memcmp(tag, "latency  ", 10))
		return mm_error("'%s' is a trace-cmd latency trace (text, not events): memmon "
				"reads trace-cmd's recorded events", w->f->path);
	if (memcmp(tag, "flyrecord", 10))
		return mm_tcw_bad(w, "neither options nor flyrecord data");
	w->what = "per-CPU data";
	for (uint64_t c = 0; c < ss->cpus; c++) {
		uint64_t off, len;
		if (mm_tcw_get_u(w, 8, &off) < 0 || mm_tcw_get_u(w, 8, &len) < 0)
			return -1;
		if (off > w->size || len > w->size - off)
			return mm_tcw_bad(w, "a CPU's data past the end of the file");
		struct mm_tc_src cpu = { w->buf, c, off, len, off + len, false };
		if (mm_tc_check_cpu(w, &cpu) < 0)
			return -1;
	}
	return 0;
}

/* Version 6 after the page size: everything up to the ring data. */
static int walk_v6(struct walk *w)
{
	struct sections ss = { NULL, 0, false, 0, 0 };

	if (mm_tcw_header_part(w, "header_page") < 0 || mm_tcw_header_part(w, "header_event") < 0 ||
	    mm_tcw_ftrace_formats(w) < 0 || mm_tcw_event_formats(w) < 0 || mm_tcw_blob(w, 4, MAX_KALLSYMS, "kallsyms") < 0 ||
	    mm_tcw_blob(w, 4, MAX_PRINTK, "printk formats") < 0 ||
	    mm_tcw_blob(w, 8, MAX_CMDLINES, "saved cmdlines") < 0)
		return -1;
	w->what = "cpus";
	if (mm_tcw_get_u(w, 4, &ss.cpus) < 0)
		return -1;
	if (ss.cpus > MM_MAX_CPUS)
		return mm_tcw_bad(w, "more CPUs than memmon reads");
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
	if (mm_tcw_get_str(w, name, sizeof(name) - 1) < 0 || mm_tcw_get_str(w, ver, sizeof(ver) - 1) < 0)
		return -1;
	if (strcmp(name, "none") && strcmp(name, "zstd"))
		return mm_error("'%s' is compressed with '%.63s': memmon reads trace-cmd files "
				"compressed with zstd or not at all", w->f->path, name);
	ss.compressed = strcmp(name, "none");
	w->what = "options offset";
	if (mm_tcw_get_u(w, 8, &opt) < 0)
		return -1;
	while (w->off < w->size) {
		uint64_t id, flags, desc, size;
		w->what = "section header";
		if (ss.n == MAX_OPTIONS) {
			mm_tcw_bad(w, "more sections than trace-cmd writes");
			goto out;
		}
		MM_GROW(ss.s, ss.n, cap, 16);
		struct section *sec = &ss.s[ss.n++];
		sec->off = w->off;
		if (mm_tcw_get_u(w, 2, &id) < 0 || mm_tcw_get_u(w, 2, &flags) < 0 || mm_tcw_get_u(w, 4, &desc) < 0 ||
		    mm_tcw_get_u(w, 8, &size) < 0)
			goto out;
		if (flags & ~SEC_COMPRESS || ((flags & SEC_COMPRESS) && !ss.compressed)) {
			mm_tcw_bad(w, "unknown section flags");
			goto out;
		}
		if (size > w->size - w->off) {
			mm_tcw_bad(w, "a section past the end of the file");
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
			mm_tcw_bad(w, "the options' offset names no options section, or one twice");
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

/* libtracecmd's merge order: the top buffer, then the instances in file
 * order, each one's CPUs in its own order (a stable sort by buffer). */
static void order_sources(struct mm_tc_layout *l)
{
	for (size_t i = 1; i < l->nr_src; i++) {
		struct mm_tc_src c = l->src[i];
		size_t j = i;
		for (; j > 0 && l->src[j - 1].buf > c.buf; j--)
			l->src[j] = l->src[j - 1];
		l->src[j] = c;
	}
}

int mm_tracecmd_check(struct mm_file *f, struct mm_tc_layout *lay)
{
	struct walk w = { f, MM_TRACECMD_MAGIC_LEN, f->sum.file_bytes, false, "file header", NULL, 0,
			  0, 0, lay, 0 };
	char version[8];
	unsigned char endian, long_size;
	uint64_t page;

	if (mm_tcw_get_str(&w, version, sizeof(version) - 1) < 0 || mm_tcw_get(&w, &endian, 1) < 0 ||
	    mm_tcw_get(&w, &long_size, 1) < 0)
		return -1;
	if (strcmp(version, "6") && strcmp(version, "7"))
		return mm_error("'%s' is trace-cmd format '%.7s': memmon reads trace-cmd's "
				"formats 6 and 7", f->path, version);
	if (endian > 1 || (long_size != 4 && long_size != 8))
		return mm_tcw_bad(&w, "bad byte order or long size");
	w.big = endian;
	if (mm_tcw_get_u(&w, 4, &page) < 0)
		return -1;
	if (page < 1024 || page > (1u << 20) || (page & (page - 1)))
		return mm_tcw_bad(&w, "a page size no kernel has");
	w.page = (uint32_t)page;
	w.long_size = long_size;
	*lay = (struct mm_tc_layout){ .page = w.page, .long_size = long_size, .big = w.big };
	lay->buffers = mm_calloc(1, sizeof(*lay->buffers));
	lay->clocks = mm_calloc(1, sizeof(*lay->clocks));
	lay->buffers[0] = mm_strdup("");
	lay->nr_bufs = 1;
	if ((version[0] == '6' ? walk_v6(&w) : walk_v7(&w)) < 0)
		return -1;
	order_sources(lay);
	return 0;
}
