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

/* A cursor over the file, reading with pread. */
struct walk {
	struct mm_file *f;
	uint64_t off, size;
	bool big;
	const char *what;        /* the part being read, for messages */
};

static int bad(const struct walk *w, const char *why)
{
	return mm_error("'%s': corrupt trace-cmd file at offset %llu (%s: %s)", w->f->path,
			(unsigned long long)w->off, w->what, why);
}

static int get(struct walk *w, void *buf, size_t n)
{
	if (w->size - w->off < n)
		return bad(w, "the file ends inside it");
	if (mm_file_pread(w->f, buf, n, w->off) < 0)
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
	if (mm_file_pread(w->f, text, len, w->off) < 0) {
		free(text);
		return -1;
	}
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

static int formats(struct walk *w)
{
	uint64_t n, systems;
	char sys[256];

	w->what = "ftrace formats";
	if (get_u(w, 4, &n) < 0)
		return -1;
	if (n > MM_MAX_FORMATS)
		return bad(w, "more formats than a kernel has");
	for (uint64_t i = 0; i < n; i++)
		if (format(w, "ftrace format") < 0)
			return -1;
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

/* The options (u16 id, u32 size, data) up to the DONE one. */
static int options(struct walk *w)
{
	for (unsigned i = 0; i < MAX_OPTIONS; i++) {
		uint64_t id, len;

		w->what = "options";
		if (get_u(w, 2, &id) < 0)
			return -1;
		if (!id)
			return 0;
		if (get_u(w, 4, &len) < 0 || skip(w, len, MAX_OPTION) < 0)
			return -1;
	}
	return bad(w, "more options than trace-cmd writes");
}

/* Version 6 after the page size: everything up to the ring data. */
static int walk_v6(struct walk *w)
{
	uint64_t cpus;
	char tag[10];

	if (header_part(w, "header_page") < 0 || header_part(w, "header_event") < 0 ||
	    formats(w) < 0 || blob(w, 4, MAX_KALLSYMS, "kallsyms") < 0 ||
	    blob(w, 4, MAX_PRINTK, "printk formats") < 0 ||
	    blob(w, 8, MAX_CMDLINES, "saved cmdlines") < 0)
		return -1;
	w->what = "cpus";
	if (get_u(w, 4, &cpus) < 0)
		return -1;
	if (cpus > MM_MAX_CPUS)
		return bad(w, "more CPUs than memmon reads");
	w->what = "data header";
	if (get(w, tag, sizeof(tag)) < 0)
		return -1;
	if (!memcmp(tag, "options  ", 10)) {
		if (options(w) < 0)
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
	for (uint64_t c = 0; c < cpus; c++) {
		uint64_t off, len;
		if (get_u(w, 8, &off) < 0 || get_u(w, 8, &len) < 0)
			return -1;
		if (off > w->size || len > w->size - off)
			return bad(w, "a CPU's data past the end of the file");
	}
	return 0;
}

/* Version 7 after the page size: the compression and the options' place. */
static int walk_v7(struct walk *w)
{
	char name[64], ver[64];
	uint64_t opt;

	w->what = "compression";
	if (get_str(w, name, sizeof(name) - 1) < 0 || get_str(w, ver, sizeof(ver) - 1) < 0)
		return -1;
	if (strcmp(name, "none") && strcmp(name, "zstd") && strcmp(name, "zlib"))
		return bad(w, "a compression trace-cmd does not have");
	w->what = "options offset";
	if (get_u(w, 8, &opt) < 0)
		return -1;
	if (opt < w->off || opt >= w->size)
		return bad(w, "the options' offset is outside the file");
	return 0;
}

int mm_tracecmd_check(struct mm_file *f)
{
	struct walk w = { f, MM_TRACECMD_MAGIC_LEN, f->sum.file_bytes, false, "file header" };
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
