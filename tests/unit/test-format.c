/*
 * tests/unit/test-format.c - the trace file: writer -> reader round trip
 * (raw and delta chunk codecs), truncation at every byte, corruption,
 * hostile lengths, compressed sections (corruption, decompression bombs),
 * the delta codec on hostile sub-buffers, the sub-buffer walker against
 * libtraceevent's kbuffer, and the per-CPU merge.
 *
 * Sub-buffers are built by hand in the kernel's ring-buffer layout and the
 * event formats are real ones saved from this machine's tracefs
 * (tests/data/formats/), so nothing here needs root or tracefs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event-parse.h>
#include <kbuffer.h>

#include "harness.h"
#include "memmon.h"
#include "format/writer.h"
#include "format/reader.h"
#include "format/file.h"
#include "format/subbuf.h"
#include "format/delta.h"
#include <zstd.h>

#define SUBBUF 4096
#define DATA_OFF 16

static char tmpdir[64];

/* ---- helpers: files, formats ---- */

static char *data_file(const char *rel, size_t *len)
{
	const char *top = getenv("MEMMON_TOP");
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/formats/%s", top ? top : ".", rel);
	return mm_read_file(path, len);
}

static int event_id(const char *format)
{
	const char *p = strstr(format, "ID: ");
	return p ? atoi(p + 4) : -1;
}

static char *tmp_path(const char *name)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	size_t n;
	char *s = mm_read_file(path, &n);
	*len = n;
	return (unsigned char *)s;
}

static void spit(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* ---- helpers: hand-made ring-buffer sub-buffers ---- */

struct sbb {
	unsigned char page[SUBBUF];
	uint32_t pos;
	uint64_t last;
};

static void sbb_init(struct sbb *b, uint64_t ts)
{
	memset(b->page, 0, sizeof(b->page));
	memcpy(b->page, &ts, 8);
	b->pos = 0;
	b->last = ts;
}

static void put32(struct sbb *b, uint32_t v)
{
	memcpy(b->page + DATA_OFF + b->pos, &v, 4);
	b->pos += 4;
}

/* Append an event at TS (time extend when the delta needs more than 27 bits). */
static void sbb_event(struct sbb *b, uint64_t ts, const void *payload, uint32_t len)
{
	uint64_t delta = ts - b->last;
	uint32_t alen = (len + 3) & ~3u;

	if (delta >> 27) {
		put32(b, 30 | (uint32_t)(delta & ((1u << 27) - 1)) << 5);
		put32(b, delta >> 27);
		delta = 0;
	}
	if (alen <= 28 * 4) {
		put32(b, alen / 4 | (uint32_t)delta << 5);
	} else {
		put32(b, (uint32_t)delta << 5);
		put32(b, alen + 4);
	}
	memset(b->page + DATA_OFF + b->pos, 0, alen);
	memcpy(b->page + DATA_OFF + b->pos, payload, len);
	b->pos += alen;
	b->last = ts;
}

static void sbb_finish(struct sbb *b, long long missed)
{
	uint64_t commit = b->pos;
	if (missed) {
		commit |= MM_SUBBUF_MISSED;
		if (missed > 0) {
			commit |= MM_SUBBUF_MISSED_STORED;
			uint64_t m = missed;
			memcpy(b->page + DATA_OFF + b->pos, &m, 8);
		}
	}
	memcpy(b->page + 8, &commit, 8);
}

struct pf {	/* exceptions/page_fault_user as this kernel lays it out */
	uint16_t common_type;
	uint8_t flags, preempt;
	int32_t pid;
	uint64_t address, ip, error_code;
} __attribute__((packed));

/* ---- the reference trace: 2 CPUs, interleaved ---- */

struct ev {
	uint32_t cpu;
	uint64_t ts;
	uint32_t pid;
	uint64_t address;
	uint32_t size;       /* payload bytes as stored (aligned) */
};

#define NR_EV 600
static struct ev evs[NR_EV];
static size_t nr_evs;
static int pf_id;

/* Section ends (file offsets) of the chunks, and events per chunk. */
struct chunk_info {
	uint64_t end;
	size_t nr_events;
};
static struct chunk_info chunks[16];
static size_t nr_chunks;
static uint64_t machine_end, file_size;

static void make_events(void)
{
	nr_evs = 0;
	for (int i = 0; i < 250; i++) {
		evs[nr_evs++] = (struct ev){ 0, 1000 + 10 * i, 100, 0x7f0000000000ull + i * 4096, 32 };
		evs[nr_evs++] = (struct ev){ 1, 1005 + 10 * i, 200, 0x550000000000ull + i * 4096, 32 };
	}
	/* a big (type 0) record and a jump that needs a time extend */
	evs[nr_evs++] = (struct ev){ 0, 5000, 100, 0xdead000, 128 };
	evs[nr_evs++] = (struct ev){ 1, (1ull << 30) + 7, 200, 0xbeef000, 32 };
	evs[nr_evs++] = (struct ev){ 0, (1ull << 32) + 3, 100, 0xcafe000, 32 };
}

/* Pack CPU's events, PER_SUB per sub-buffer, SUBS sub-buffers per chunk. */
static void write_cpu(struct mm_writer *w, uint32_t cpu, int per_sub, int subs,
		      int missed_sub, long long missed)
{
	static struct sbb sb[8];
	unsigned char raw[8 * SUBBUF];
	int nsub = 0, in_sub = 0;
	size_t in_chunk = 0, sub_index = 0;
	struct mm_writer_stats st;

	for (size_t i = 0; i <= nr_evs; i++) {
		bool last = i == nr_evs;
		if (!last && evs[i].cpu != cpu)
			continue;
		if (!last && in_sub == 0)
			sbb_init(&sb[nsub], evs[i].ts - 1);
		if (!last) {
			struct pf p = { pf_id, 0, 0, evs[i].pid, evs[i].address, 0x401000, 6 };
			unsigned char big[128] = { 0 };
			memcpy(big, &p, sizeof(p));
			sbb_event(&sb[nsub], evs[i].ts, big, evs[i].size);
			in_sub++, in_chunk++;
		}
		if (in_sub && (in_sub == per_sub || last)) {
			sbb_finish(&sb[nsub], (int)sub_index == missed_sub ? missed : 0);
			memcpy(raw + nsub * SUBBUF, sb[nsub].page, SUBBUF);
			nsub++, in_sub = 0, sub_index++;
		}
		if (nsub && (nsub == subs || last)) {
			if (mm_writer_chunk(w, cpu, raw, nsub, SUBBUF) < 0)
				abort();
			mm_writer_get_stats(w, &st);
			chunks[nr_chunks++] = (struct chunk_info){ st.file_bytes, in_chunk };
			nsub = 0, in_chunk = 0;
		}
	}
}

static const char *maps_text = "00400000-00401000 r-xp 00000000 08:01 1234 /bin/prog\n";
static const char *probes_text = "p:memmon_1/anon do_anonymous_page\n";

static void add_format(struct mm_writer *w, const char *sys, const char *name)
{
	char rel[128];
	size_t len;
	snprintf(rel, sizeof(rel), "%s/%s", sys, name);
	char *fmt = data_file(rel, &len);
	if (!fmt || mm_writer_event_format(w, sys, fmt, len) < 0)
		abort();
	if (!strcmp(name, "page_fault_user"))
		pf_id = event_id(fmt);
	free(fmt);
}

static enum mm_chunk_codec ref_codec = MM_CODEC_COLUMNS;	/* the writer's default */

/* The reference file: everything a recording writes. */
static void write_reference(const char *path, bool with_end)
{
	struct mm_writer *w = mm_writer_open(path, 3);
	struct mm_writer_stats st;
	size_t hlen;
	char *hp = data_file("header_page", &hlen);

	if (!w || !hp || mm_writer_set_codec(w, ref_codec) < 0)
		abort();
	mm_writer_machine_set(w, MM_KEY_HOSTNAME, "%s", "testhost");
	mm_writer_machine_set(w, MM_KEY_ARCH, "x86_64");
	mm_writer_machine_set(w, MM_KEY_ENDIAN, "little");
	mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "8");
	mm_writer_machine_set(w, MM_KEY_PAGE_SIZE, "4096");
	mm_writer_machine_set(w, MM_KEY_SUBBUF_SIZE, "%d", SUBBUF);
	mm_writer_machine_set(w, MM_KEY_NR_CPUS, "2");
	mm_writer_machine_set(w, MM_KEY_CLOCK, "mono");
	mm_writer_machine_set(w, MM_KEY_COMMAND, "./prog a\nb");
	if (mm_writer_machine_flush(w) < 0)
		abort();
	mm_writer_get_stats(w, &st);
	machine_end = st.file_bytes;
	mm_writer_header_page(w, hp, hlen);
	free(hp);
	add_format(w, "exceptions", "page_fault_user");
	add_format(w, "syscalls", "sys_enter_mmap");
	add_format(w, "kmem", "rss_stat");
	mm_writer_snapshot(w, 100, MM_SNAP_MAPS, MM_PHASE_START, 999, maps_text, strlen(maps_text));
	mm_writer_snapshot(w, 0, MM_SNAP_MEMINFO, MM_PHASE_END, 123456, "MemTotal: 1 kB\n", 15);
	mm_writer_probes(w, probes_text, strlen(probes_text));
	nr_chunks = 0;
	write_cpu(w, 0, 40, 2, -1, 0);
	write_cpu(w, 1, 50, 3, 1, 7);
	struct mm_cpu_stats stats[2] = {
		{ .cpu = 0, .overrun = 3, .dropped_events = 1, .subbufs_written = 8 },
		{ .cpu = 1, .entries = 5, .read_events = 251, .bytes = 4096 },
	};
	mm_writer_stats(w, stats, 2);
	mm_writer_get_stats(w, &st);
	file_size = st.file_bytes + (with_end ? MM_SECTION_HEADER_SIZE : 0);
	if (with_end) {
		if (mm_writer_close(w) < 0)
			abort();
	} else {
		mm_writer_abort(w);
	}
}

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (int)x->cpu - (int)y->cpu;
}

/* ---- tests ---- */

TEST(test_writer_rejects)
{
	struct mm_writer *w = mm_writer_open(tmp_path("rej.dat"), 1);
	static unsigned char raw[SUBBUF];
	CHECK(w);
	CHECK_EQ(mm_writer_probes(w, "x", 1), 0);
	CHECK_EQ(mm_writer_machine_set(w, "a=b", "1"), -1);
	CHECK_EQ(mm_writer_machine_set(w, "k", "1"), 0);
	CHECK_EQ(mm_writer_machine_flush(w), -1);
	CHECK(strstr(mm_error_msg(), "must be written first"));
	CHECK_EQ(mm_writer_chunk(w, 0, raw, 0, SUBBUF), 0);
	CHECK_EQ(mm_writer_chunk(w, 0, raw, 20000, SUBBUF), -1);
	CHECK_EQ(mm_writer_set_codec(w, 7), -1);
	CHECK_STR(mm_error_msg(), "unknown chunk codec 7");
	CHECK_EQ(mm_writer_close(w), 0);
	CHECK(mm_writer_open("/nonexistent/dir/x.dat", 1) == NULL);
	CHECK_STR(mm_error_msg(), "cannot create '/nonexistent/dir/x.dat': No such file or directory");
}

/* The chunk sections' codecs in a file: bit 1 << codec for each seen. */
static unsigned chunk_codecs(const char *path)
{
	size_t len, off = MM_FILE_HEADER_SIZE;
	unsigned char *buf = slurp(path, &len);
	unsigned seen = 0;

	while (off + 16 <= len) {
		uint16_t t;
		uint64_t l;
		uint32_t codec;
		memcpy(&t, buf + off, 2);
		memcpy(&l, buf + off + 8, 8);
		if (t == MM_SECTION_CHUNK) {
			memcpy(&codec, buf + off + 16 + 16, 4);
			seen |= 1u << codec;
		}
		off += 16 + l;
	}
	free(buf);
	return seen;
}

static void round_trip(enum mm_chunk_codec codec)
{
	const char *path = tmp_path("ref.dat");
	struct mm_file_summary sum;
	struct mm_file *f;
	struct stat st;

	ref_codec = codec;
	write_reference(path, true);
	ref_codec = MM_CODEC_COLUMNS;
	CHECK_EQ(chunk_codecs(path), 1u << codec);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_size, file_size);
	f = mm_file_open(path);
	if (!f)
		FAILF("open: %s", mm_error_msg());
	mm_file_get_summary(f, &sum);
	CHECK_EQ(sum.major, MM_FORMAT_MAJOR);
	CHECK_EQ(sum.minor, MM_FORMAT_MINOR);
	CHECK_EQ(sum.truncated, false);
	CHECK_EQ(sum.file_bytes, file_size);
	CHECK_EQ(sum.nr_chunks, nr_chunks);
	CHECK_EQ(sum.nr_cpus, 2);
	CHECK_EQ(sum.has_stats, true);
	CHECK_EQ(sum.raw_bytes, (uint64_t)SUBBUF * (7 + 6));	/* 252/40, 251/50 */
	CHECK_STR(mm_file_machine(f, MM_KEY_HOSTNAME), "testhost");
	CHECK_STR(mm_file_machine(f, MM_KEY_COMMAND), "./prog a b");
	CHECK_STR(mm_file_machine(f, MM_KEY_CLOCK), "mono");
	CHECK(mm_file_machine(f, "nosuchkey") == NULL);
	CHECK_EQ(mm_file_nr_snapshots(f), 2);
	const struct mm_snapshot *s0 = mm_file_snapshot(f, 0), *s1 = mm_file_snapshot(f, 1);
	CHECK_EQ(s0->pid, 100);
	CHECK_EQ(s0->kind, MM_SNAP_MAPS);
	CHECK_EQ(s0->phase, MM_PHASE_START);
	CHECK_EQ(s0->ts, 999);
	CHECK_STR(s0->text, maps_text);
	CHECK_EQ(s0->len, strlen(maps_text));
	CHECK_EQ(s1->kind, MM_SNAP_MEMINFO);
	CHECK_EQ(s1->phase, MM_PHASE_END);
	CHECK_STR(s1->text, "MemTotal: 1 kB\n");
	CHECK(mm_file_snapshot(f, 2) == NULL);
	CHECK_STR(mm_file_probes(f), probes_text);
	uint32_t n;
	const struct mm_cpu_stats *stats = mm_file_stats(f, &n);
	CHECK_EQ(n, 2);
	CHECK_EQ(stats[0].overrun, 3);
	CHECK_EQ(stats[0].dropped_events, 1);
	CHECK_EQ(stats[0].subbufs_written, 8);
	CHECK_EQ(stats[1].read_events, 251);
	CHECK_EQ(mm_file_nr_format_notes(f), 0);

	struct tep_handle *tep = mm_file_tep(f);
	struct tep_event *pf = tep_find_event_by_name(tep, "exceptions", "page_fault_user");
	CHECK(pf);
	CHECK(tep_find_event_by_name(tep, "syscalls", "sys_enter_mmap"));
	CHECK(tep_find_event_by_name(tep, "kmem", "rss_stat"));
	struct tep_format_field *addr = tep_find_field(pf, "address");
	struct tep_format_field *ecode = tep_find_field(pf, "error_code");
	struct tep_format_field *pid = tep_find_common_field(pf, "common_pid");
	CHECK(addr && ecode && pid);

	struct ev want[NR_EV];
	memcpy(want, evs, nr_evs * sizeof(*evs));
	qsort(want, nr_evs, sizeof(*want), cmp_ev);
	struct mm_stream *s = mm_stream_open(f);
	struct tep_record *rec;
	size_t i = 0;
	int r;
	while ((r = mm_stream_next(s, &rec)) == 1) {
		unsigned long long v;
		CHECK(i < nr_evs);
		CHECK_EQ(rec->ts, want[i].ts);
		CHECK_EQ(rec->cpu, want[i].cpu);
		CHECK_EQ(rec->size, want[i].size);
		CHECK_EQ(tep_data_type(tep, rec), pf_id);
		CHECK_EQ(tep_read_number_field(addr, rec->data, &v), 0);
		CHECK_EQ(v, want[i].address);
		CHECK_EQ(tep_read_number_field(ecode, rec->data, &v), 0);
		CHECK_EQ(v, 6);
		CHECK_EQ(tep_read_number_field(pid, rec->data, &v), 0);
		CHECK_EQ(v, want[i].pid);
		/* CPU 1's second sub-buffer (events 50..99) follows 7 lost events */
		bool first_after_loss = rec->cpu == 1 && rec->ts == 1005 + 10 * 50;
		CHECK_EQ(rec->missed_events, first_after_loss ? 7 : 0);
		i++;
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(i, nr_evs);
	CHECK_EQ(mm_stream_next(s, &rec), 0);
	CHECK_EQ(mm_stream_missed(s), 7);
	CHECK_EQ(mm_stream_missed_marks(s), 1);
	mm_stream_close(s);
	mm_file_close(f);
}

TEST(test_round_trip)
{
	round_trip(MM_CODEC_RAW);
	round_trip(MM_CODEC_DELTA);
	round_trip(MM_CODEC_COLUMNS);
}

/* Count the stream's events; -1 on a stream error. */
static long count_events(struct mm_file *f)
{
	struct mm_stream *s = mm_stream_open(f);
	struct tep_record *rec;
	uint64_t last = 0;
	long n = 0;
	int r;
	while ((r = mm_stream_next(s, &rec)) == 1) {
		if (rec->ts < last)
			n = -1000000;
		last = rec->ts;
		n++;
	}
	mm_stream_close(s);
	return r < 0 ? -1 : n;
}

TEST(test_truncated_every_byte)
{
	const char *ref = tmp_path("ref.dat"), *cut = tmp_path("cut.dat");
	size_t len;
	unsigned char *buf;

	write_reference(ref, true);
	buf = slurp(ref, &len);
	CHECK_EQ(len, file_size);
	for (size_t n = 0; n < len; n++) {
		spit(cut, buf, n);
		struct mm_file *f = mm_file_open(cut);
		if (n < machine_end) {
			if (f)
				FAILF("cut at %zu opened", n);
			continue;
		}
		if (!f)
			FAILF("cut at %zu: %s", n, mm_error_msg());
		struct mm_file_summary sum;
		mm_file_get_summary(f, &sum);
		size_t want = 0;
		for (size_t c = 0; c < nr_chunks; c++)
			if (chunks[c].end <= n)
				want += chunks[c].nr_events;
		long got = count_events(f);
		mm_file_close(f);
		if (!sum.truncated || sum.truncated_at > n || got != (long)want)
			FAILF("cut at %zu: truncated %d at %llu, %ld events, want %zu", n,
			      sum.truncated, (unsigned long long)sum.truncated_at, got, want);
	}
	/* the writer's own abort path: no END, everything else there */
	write_reference(cut, false);
	struct mm_file *f = mm_file_open(cut);
	CHECK(f);
	struct mm_file_summary sum;
	mm_file_get_summary(f, &sum);
	CHECK_EQ(sum.truncated, true);
	CHECK_EQ(sum.truncated_at, file_size);
	CHECK_EQ(count_events(f), nr_evs);
	mm_file_close(f);
	free(buf);
}

/* Offset of the first section of TYPE in BUF. */
static size_t find_section(const unsigned char *buf, size_t len, uint16_t type)
{
	size_t off = MM_FILE_HEADER_SIZE;
	while (off + 16 <= len) {
		uint16_t t;
		uint64_t l;
		memcpy(&t, buf + off, 2);
		memcpy(&l, buf + off + 8, 8);
		if (t == type)
			return off;
		off += 16 + l;
	}
	return 0;
}

static struct mm_file *open_patched(const unsigned char *buf, size_t len)
{
	spit(tmp_path("bad.dat"), buf, len);
	return mm_file_open(tmp_path("bad.dat"));
}

TEST(test_corrupt)
{
	const char *ref = tmp_path("ref.dat");
	char want[256];
	size_t len;
	unsigned char *buf, *bad;

	write_reference(ref, true);
	buf = slurp(ref, &len);
	bad = malloc(len);
	size_t chunk = find_section(buf, len, MM_SECTION_CHUNK);
	size_t machine = find_section(buf, len, MM_SECTION_MACHINE);
	CHECK(chunk && machine);

	/* a flipped byte inside a chunk's zstd frame: open fine, stream fails */
	memcpy(bad, buf, len);
	bad[chunk + 16 + 24 + 40] ^= 0x55;
	struct mm_file *f = open_patched(bad, len);
	CHECK(f);
	CHECK_EQ(count_events(f), -1);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (crc mismatch)",
		 tmp_path("bad.dat"), chunk);
	CHECK_STR(mm_error_msg(), want);
	mm_file_close(f);

	/* a flipped byte in the machine text: open fails */
	memcpy(bad, buf, len);
	bad[machine + 16 + 3] ^= 1;
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (crc mismatch)",
		 tmp_path("bad.dat"), machine);
	CHECK_STR(mm_error_msg(), want);

	/* a flipped chunk cpu: caught at open, as a crc error */
	memcpy(bad, buf, len);
	bad[chunk + 16] = 9;
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (crc mismatch)",
		 tmp_path("bad.dat"), chunk);
	CHECK_STR(mm_error_msg(), want);

	/* bad magic */
	memcpy(bad, buf, len);
	bad[0] = 'X';
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s' is neither a memmon nor a trace-cmd trace file", tmp_path("bad.dat"));
	CHECK_STR(mm_error_msg(), want);

	/* a newer major */
	memcpy(bad, buf, len);
	bad[8] = MM_FORMAT_MAJOR + 1;
	bad[10] = 3;
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s' is memmon format %d.3; this memmon reads up to %d.x: "
		 "upgrade memmon", tmp_path("bad.dat"), MM_FORMAT_MAJOR + 1, MM_FORMAT_MAJOR);
	CHECK_STR(mm_error_msg(), want);

	/* an older major */
	memcpy(bad, buf, len);
	bad[8] = 1;
	bad[10] = 0;
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s' is memmon format 1.0; format 1.x files are not "
		 "supported by this memmon (it reads 2.x to %d.x)", tmp_path("bad.dat"),
		 MM_FORMAT_MAJOR);
	CHECK_STR(mm_error_msg(), want);

	/* a 2.x file knows no codec 2 (its chunks here are codec 2) */
	memcpy(bad, buf, len);
	bad[8] = 2;
	f = open_patched(bad, len);
	CHECK(f == NULL);
	CHECK(strstr(mm_error_msg(), "unknown chunk codec"));

	/* an unknown chunk codec, CRC fixed up: corrupt at open */
	memcpy(bad, buf, len);
	uint64_t clen;
	memcpy(&clen, bad + chunk + 8, 8);
	bad[chunk + 16 + 16] = 9;
	uint32_t crc = mm_crc32(0, bad + chunk + 16, clen);
	memcpy(bad + chunk + 4, &crc, 4);
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (unknown chunk codec)",
		 tmp_path("bad.dat"), chunk);
	CHECK_STR(mm_error_msg(), want);

	/* unknown section flags; the zstd flag on a chunk */
	uint16_t flags[] = { 0x8000, MM_SECTION_F_ZSTD };
	const char *why[] = { "unknown section flags", "compressed chunk section" };
	for (int i = 0; i < 2; i++) {
		memcpy(bad, buf, len);
		memcpy(bad + chunk + 2, &flags[i], 2);
		CHECK(open_patched(bad, len) == NULL);
		snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (%s)",
			 tmp_path("bad.dat"), chunk, why[i]);
		CHECK_STR(mm_error_msg(), want);
	}

	/* a huge length field */
	memcpy(bad, buf, len);
	uint64_t huge = 1ull << 40;
	memcpy(bad + chunk + 8, &huge, 8);
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (length %llu over the "
		 "limit of %llu for its type)", tmp_path("bad.dat"), chunk, (unsigned long long)huge,
		 (unsigned long long)(sizeof(struct mm_chunk_header) + ZSTD_compressBound(MM_MAX_CHUNK_RAW)));
	CHECK_STR(mm_error_msg(), want);

	/* an unknown section type is skipped: the file reads, minus that chunk */
	memcpy(bad, buf, len);
	uint16_t type = 77;
	memcpy(bad + chunk, &type, 2);
	f = open_patched(bad, len);
	CHECK(f);
	CHECK_EQ(count_events(f), nr_evs - chunks[0].nr_events);
	mm_file_close(f);
	free(bad);
	free(buf);
}

/* A one-chunk file around a single hand-made sub-buffer. */
static struct mm_file *file_with_subbuf(const void *src)
{
	static unsigned char page[SUBBUF];	/* the writer encodes in place */
	const char *path = tmp_path("sub.dat");
	struct mm_writer *w = mm_writer_open(path, 1);
	size_t hlen;
	char *hp = data_file("header_page", &hlen);

	mm_writer_machine_set(w, MM_KEY_ENDIAN, "little");
	mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "8");
	mm_writer_machine_set(w, MM_KEY_PAGE_SIZE, "4096");
	mm_writer_machine_set(w, MM_KEY_SUBBUF_SIZE, "%d", SUBBUF);
	mm_writer_machine_set(w, MM_KEY_NR_CPUS, "1");
	mm_writer_machine_flush(w);
	mm_writer_header_page(w, hp, hlen);
	memcpy(page, src, SUBBUF);
	mm_writer_chunk(w, 0, page, 1, SUBBUF);
	mm_writer_close(w);
	free(hp);
	return mm_file_open(path);
}

TEST(test_hostile_subbufs)
{
	static struct sbb b;
	struct pf p = { 1, 0, 0, 1, 2, 3, 4 };
	char want[256];
	struct mm_file *f;

	/* commit bigger than the sub-buffer */
	sbb_init(&b, 10);
	sbb_event(&b, 11, &p, sizeof(p));
	sbb_finish(&b, 0);
	uint64_t commit = 5000;
	memcpy(b.page + 8, &commit, 8);
	f = file_with_subbuf(b.page);
	CHECK(f);
	CHECK_EQ(count_events(f), -1);
	size_t len;
	unsigned char *buf = slurp(tmp_path("sub.dat"), &len);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu "
		 "(sub-buffer commit larger than the sub-buffer)", tmp_path("sub.dat"),
		 find_section(buf, len, MM_SECTION_CHUNK));
	free(buf);
	CHECK_STR(mm_error_msg(), want);
	mm_file_close(f);

	/* a type-0 event whose length runs past the commit */
	sbb_init(&b, 10);
	sbb_event(&b, 11, &p, sizeof(p));
	put32(&b, 0);
	put32(&b, 0x7ffffff0);
	sbb_finish(&b, 0);
	f = file_with_subbuf(b.page);
	CHECK(f);
	CHECK_EQ(count_events(f), -1);
	CHECK(strstr(mm_error_msg(), "(event runs past its sub-buffer)"));
	mm_file_close(f);

	/* padding lengths that make kbuffer loop for ever or walk backwards */
	uint32_t evil[] = { 0xfffffffc, 0, 1, 3 };
	for (size_t i = 0; i < sizeof(evil) / sizeof(*evil); i++) {
		sbb_init(&b, 10);
		sbb_event(&b, 11, &p, sizeof(p));
		put32(&b, 29 | 1 << 5);
		put32(&b, evil[i]);
		sbb_event(&b, 12, &p, sizeof(p));
		sbb_finish(&b, 0);
		f = file_with_subbuf(b.page);
		CHECK(f);
		long n = count_events(f);	/* what matters: it ends */
		CHECK(n == -1 || n == 1 || n == 2);
		mm_file_close(f);
	}
	/* a type-0 length below its own size field */
	sbb_init(&b, 10);
	put32(&b, 0);
	put32(&b, 2);
	sbb_finish(&b, 0);
	f = file_with_subbuf(b.page);
	CHECK_EQ(count_events(f), -1);
	mm_file_close(f);
}

TEST(test_bad_files)
{
	const char *empty = tmp_path("empty.dat");
	char want[256];

	spit(empty, "", 0);
	CHECK(mm_file_open(empty) == NULL);
	snprintf(want, sizeof(want), "'%s' is empty", empty);
	CHECK_STR(mm_error_msg(), want);

	CHECK(mm_file_open(tmpdir) == NULL);
	snprintf(want, sizeof(want), "'%s' is not a regular file (a trace is read at random "
		 "offsets: save it to a file first)", tmpdir);
	CHECK_STR(mm_error_msg(), want);

	CHECK(mm_file_open(tmp_path("missing.dat")) == NULL);
	snprintf(want, sizeof(want), "cannot open '%s': No such file or directory",
		 tmp_path("missing.dat"));
	CHECK_STR(mm_error_msg(), want);

	spit(empty, "MEMMONTR", 8);
	CHECK(mm_file_open(empty) == NULL);
	snprintf(want, sizeof(want), "'%s' is neither a memmon nor a trace-cmd trace file", empty);
	CHECK_STR(mm_error_msg(), want);

	/* header only: truncated before the machine section */
	struct mm_writer *w = mm_writer_open(empty, 1);
	mm_writer_abort(w);
	CHECK(mm_file_open(empty) == NULL);
	snprintf(want, sizeof(want), "'%s' is truncated before its machine section", empty);
	CHECK_STR(mm_error_msg(), want);

	/* a format libtraceevent refuses is a note, not a failure */
	w = mm_writer_open(empty, 1);
	mm_writer_machine_set(w, MM_KEY_ENDIAN, "little");
	mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "8");
	mm_writer_machine_set(w, MM_KEY_PAGE_SIZE, "4096");
	mm_writer_machine_set(w, MM_KEY_SUBBUF_SIZE, "4096");
	mm_writer_machine_set(w, MM_KEY_NR_CPUS, "1");
	mm_writer_machine_flush(w);
	size_t hlen;
	char *hp = data_file("header_page", &hlen);
	mm_writer_header_page(w, hp, hlen);
	free(hp);
	const char *junk = "not a format";
	mm_writer_event_format(w, "bogus", junk, strlen(junk));
	mm_writer_close(w);
	struct mm_file *f = mm_file_open(empty);
	if (!f)
		FAILF("%s", mm_error_msg());
	CHECK_EQ(mm_file_nr_format_notes(f), 1);
	CHECK(!strncmp(mm_file_format_note(f, 0), "bogus/?: cannot parse (", 23));
	mm_file_close(f);

	/* a machine section without endian */
	w = mm_writer_open(empty, 1);
	mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "8");
	mm_writer_machine_flush(w);
	mm_writer_close(w);
	CHECK(mm_file_open(empty) == NULL);
	snprintf(want, sizeof(want), "'%s': machine section has a bad or no endian", empty);
	CHECK_STR(mm_error_msg(), want);
}

/* The walker and kbuffer agree on every event of the reference sub-buffers. */
TEST(test_subbuf_matches_kbuffer)
{
	static struct sbb b;
	struct kbuffer *kb = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
	unsigned char payload[200];

	for (int i = 0; i < 200; i++)
		payload[i] = i;
	sbb_init(&b, 1000);
	for (int i = 0; i < 40; i++) {
		uint64_t ts = 1000 + i * 97 + (i == 20 ? (1ull << 29) : 0) + (i > 20 ? (1ull << 29) : 0);
		sbb_event(&b, ts, payload, 8 + (i * 13) % 150);
	}
	sbb_finish(&b, 3);
	CHECK(kb);
	kbuffer_load_subbuffer(kb, b.page);
	struct mm_subbuf sb;
	long long missed;
	CHECK_EQ(mm_subbuf_load(&sb, b.page, SUBBUF, 8, false, &missed), 0);
	CHECK_EQ(missed, 3);
	CHECK_EQ(kbuffer_missed_events(kb), 3);
	unsigned long long kts;
	void *kd = kbuffer_read_event(kb, &kts);
	int n = 0;
	for (;;) {
		const unsigned char *d;
		uint32_t len;
		uint64_t ts;
		int r = mm_subbuf_next(&sb, &d, &len, &ts);
		if (!kd) {
			CHECK_EQ(r, 0);
			break;
		}
		CHECK_EQ(r, 1);
		CHECK(d == kd);
		CHECK_EQ(ts, kts);
		CHECK_EQ(len, kbuffer_event_size(kb));
		n++;
		kd = kbuffer_next_event(kb, &kts);
	}
	CHECK_EQ(n, 40);
	kbuffer_free(kb);
}

/* ---- the delta codec ---- */

/* Encode then decode gives the sub-buffers back byte for byte, and the
 * encoding did change the repeated events (it is not a no-op). */
TEST(test_delta_round_trip)
{
	enum { NR = 6 };
	static struct sbb b;
	unsigned char *orig = malloc(NR * SUBBUF), *buf = malloc(NR * SUBBUF);
	struct mm_delta *d = calloc(1, sizeof(*d));
	struct mm_delta_layout l = { SUBBUF, 8, false };
	uint64_t ts = 100;

	for (int i = 0; i < NR; i++) {
		sbb_init(&b, ts);
		for (int k = 0; k < 40; k++) {
			struct pf p = { 10 + (k % 3), 1, 0, 42, 0x7f0000000000ull + (i * 40 + k) * 4096,
					0x401000, 6 };
			unsigned char big[300] = { 0 };
			memcpy(big, &p, sizeof(p));
			big[200] = k;
			/* lengths 4..300: tail-only, word+tail, type 0, over the maximum */
			uint32_t len = k % 7 == 0 ? 4 : k % 11 == 0 ? 300 : k % 13 == 0 ? 140 : 36;
			ts += k == 30 ? (1ull << 28) : 7;
			if (k == 20) {	/* padding between events */
				put32(&b, 29 | 1 << 5);
				put32(&b, 12);	/* the length word and 8 bytes */
				b.pos += 8;
			}
			sbb_event(&b, ts, big, len);
		}
		CHECK(b.pos + DATA_OFF + 8 <= SUBBUF);
		sbb_finish(&b, i == 2 ? 5 : 0);
		memcpy(orig + i * SUBBUF, b.page, SUBBUF);
	}
	memcpy(buf, orig, NR * SUBBUF);
	mm_delta_encode(d, &l, buf, NR);
	CHECK(memcmp(buf, orig, NR * SUBBUF) != 0);
	CHECK_EQ(mm_delta_decode(d, &l, buf, NR), 0);
	CHECK(memcmp(buf, orig, NR * SUBBUF) == 0);
	/* and again: the per-chunk reset leaves no state behind */
	mm_delta_encode(d, &l, buf, NR);
	CHECK_EQ(mm_delta_decode(d, &l, buf, NR), 0);
	CHECK(memcmp(buf, orig, NR * SUBBUF) == 0);
	free(orig);
	free(buf);
	free(d);
}

/* Hostile input: random sub-buffers in a buffer of exactly their size (so
 * ASan sees any overread); decode must end with 0 or an error, and a
 * commit past the end must be an error. */
TEST(test_delta_hostile)
{
	enum { NR = 3, SZ = 256 };
	struct mm_delta *d = calloc(1, sizeof(*d));
	int errors = 0;

	for (int iter = 0; iter < 20000; iter++) {
		unsigned char *buf = malloc(NR * SZ);
		struct mm_delta_layout l = { SZ, iter % 2 ? 8 : 4, iter % 3 == 0 };
		for (int i = 0; i < NR * SZ; i++)
			buf[i] = t_rng();
		for (int i = 0; i < NR; i++) {
			/* mostly plausible commits, some past the end */
			uint64_t commit = t_rng() % (iter % 5 ? SZ - 16 : 1u << 28);
			if (l.big)
				commit = l.commit_size == 8 ? __builtin_bswap64(commit)
							    : __builtin_bswap32(commit);
			memcpy(buf + i * SZ + 8, &commit, l.commit_size);
			/* repeated types so the decode path runs */
			for (int k = 16; k + 8 <= SZ; k += 4 * (1 + t_rng() % 10))
				if (t_rng() % 2) {
					uint32_t h = 8 | 1 << 5;
					if (l.big)
						h = __builtin_bswap32(8u << 27 | 1);
					memcpy(buf + i * SZ + k, &h, 4);
				}
		}
		int r = mm_delta_decode(d, &l, buf, NR);
		CHECK(r == 0 || r == MM_DELTA_BAD_COMMIT || r == MM_DELTA_BAD_EVENT);
		errors += r < 0;
		mm_delta_encode(d, &l, buf, NR);	/* never fails, never overreads */
		free(buf);
	}
	CHECK(errors > 0);
	/* a commit larger than the sub-buffer */
	unsigned char *one = calloc(1, SZ);
	uint64_t commit = SZ;
	memcpy(one + 8, &commit, 8);
	struct mm_delta_layout l = { SZ, 8, false };
	CHECK_EQ(mm_delta_decode(d, &l, one, 1), MM_DELTA_BAD_COMMIT);
	free(one);
	free(d);
}

/* ---- compressed sections ---- */

TEST(test_compressed_sections)
{
	const char *ref = tmp_path("ref.dat");
	char want[256];
	size_t len;
	unsigned char *buf, *bad;

	write_reference(ref, true);
	buf = slurp(ref, &len);
	bad = malloc(len);
	size_t fmt = find_section(buf, len, MM_SECTION_EVENT_FORMATS);
	size_t snap = find_section(buf, len, MM_SECTION_SNAPSHOT);
	size_t machine = find_section(buf, len, MM_SECTION_MACHINE);
	uint16_t flags;
	/* the formats are one section (3.2), not one each, and compressed */
	CHECK(fmt);
	CHECK_EQ(find_section(buf, len, MM_SECTION_EVENT_FORMAT), 0);
	memcpy(&flags, buf + fmt + 2, 2);
	CHECK_EQ(flags, MM_SECTION_F_ZSTD);
	memcpy(&flags, buf + machine + 2, 2);
	CHECK_EQ(flags, 0);			/* MACHINE stays readable */
	CHECK(memmem(buf, 400, "hostname=testhost", 17));

	/* a flipped byte in a compressed format: the CRC covers the stored bytes */
	memcpy(bad, buf, len);
	bad[fmt + 16 + 20] ^= 0x10;
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (crc mismatch)",
		 tmp_path("bad.dat"), fmt);
	CHECK_STR(mm_error_msg(), want);

	/* ... and with the CRC fixed up, zstd itself refuses it */
	uint64_t flen;
	memcpy(&flen, bad + fmt + 8, 8);
	for (size_t i = 8; i < flen; i++)
		bad[fmt + 16 + i] = 0xa5;
	uint32_t crc = mm_crc32(0, bad + fmt + 16, flen);
	memcpy(bad + fmt + 4, &crc, 4);
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (", tmp_path("bad.dat"), fmt);
	CHECK(!strncmp(mm_error_msg(), want, strlen(want)));

	/* the flag on a plain payload: not a zstd frame */
	memcpy(bad, buf, len);
	flags = MM_SECTION_F_ZSTD;
	memcpy(bad + machine + 2, &flags, 2);
	CHECK(open_patched(bad, len) == NULL);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu "
		 "(not a zstd frame with its size)", tmp_path("bad.dat"), machine);
	CHECK_STR(mm_error_msg(), want);

	/* a snapshot that decompresses to less than its header */
	memcpy(bad, buf, len);
	unsigned char tiny[64];
	size_t tz = ZSTD_compress(tiny, sizeof(tiny), "abc", 3, 1);
	uint64_t slen;
	memcpy(&slen, bad + snap + 8, 8);
	CHECK(tz < slen);
	/* shrink the section in place: the rest of the file moves up */
	memcpy(bad + snap + 16, tiny, tz);
	memmove(bad + snap + 16 + tz, buf + snap + 16 + slen, len - (snap + 16 + slen));
	uint64_t tzl = tz;
	memcpy(bad + snap + 8, &tzl, 8);
	crc = mm_crc32(0, tiny, tz);
	memcpy(bad + snap + 4, &crc, 4);
	CHECK(open_patched(bad, len - slen + tz) == NULL);
	snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu "
		 "(snapshot shorter than its header)", tmp_path("bad.dat"), snap);
	CHECK_STR(mm_error_msg(), want);
	free(bad);
	free(buf);
}

/* A few KiB of zstd that claim more than a section, or a file, may hold. */
TEST(test_decompression_bombs)
{
	const char *path = tmp_path("bomb.dat");
	size_t big = MM_MAX_TEXT_SECTION + 1, part = 60u << 20;
	char *zeros = calloc(1, big), want[512];
	struct mm_writer *w;
	struct mm_file *f;
	size_t hlen;
	char *hp = data_file("header_page", &hlen);

	for (int kind = 0; kind < 3; kind++) {
		w = mm_writer_open(path, 1);
		mm_writer_machine_set(w, MM_KEY_ENDIAN, "little");
		mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "8");
		mm_writer_machine_set(w, MM_KEY_PAGE_SIZE, "4096");
		mm_writer_machine_set(w, MM_KEY_SUBBUF_SIZE, "4096");
		mm_writer_machine_set(w, MM_KEY_NR_CPUS, "1");
		mm_writer_machine_flush(w);
		mm_writer_header_page(w, hp, hlen);
		if (kind == 0)		/* one section over its limit */
			CHECK_EQ(mm_writer_probes(w, zeros, big), 0);
		else			/* 4 (fine) or 5 (over budget) of 60 MiB */
			for (int i = 0; i < (kind == 1 ? 4 : 5); i++)
				CHECK_EQ(mm_writer_snapshot(w, 1, MM_SNAP_MAPS, MM_PHASE_START, 0,
							    zeros, part), 0);
		mm_writer_close(w);
		struct stat st;
		CHECK_EQ(stat(path, &st), 0);
		CHECK(st.st_size < (1 << 20));	/* really a bomb */
		f = mm_file_open(path);
		if (kind == 1) {
			if (!f)
				FAILF("%s", mm_error_msg());
			CHECK_EQ(mm_file_nr_snapshots(f), 4);
			CHECK_EQ(mm_file_snapshot(f, 3)->len, part);
			mm_file_close(f);
			continue;
		}
		CHECK(f == NULL);
		size_t n;
		unsigned char *buf = slurp(path, &n);
		size_t off = find_section(buf, n, kind == 0 ? MM_SECTION_PROBES : MM_SECTION_SNAPSHOT);
		for (int i = 0; kind == 2 && i < 4; i++) {	/* the fifth snapshot */
			uint64_t l;
			memcpy(&l, buf + off + 8, 8);
			off += 16 + l;
		}
		free(buf);
		char why[128];
		snprintf(why, sizeof(why), "compressed payload of %zu bytes over the limit of %u for "
			 "its type", big, MM_MAX_SMALL_TEXT);
		snprintf(want, sizeof(want), "'%s': corrupt section at offset %zu (%s)", path, off,
			 kind == 0 ? why : "compressed sections too large in all");
		CHECK_STR(mm_error_msg(), want);
	}
	free(hp);
	free(zeros);
}

/* Run `memmon info FILE` with stdout captured; returns its output. */
static char *run_info(const char *file, int *status)
{
	char out[160], path[160];
	char *argv[] = { "info", path, NULL };

	snprintf(path, sizeof(path), "%s", file);	/* tmp_path() reuses its buffer */
	snprintf(out, sizeof(out), "%s", tmp_path("info.out"));
	int saved = dup(STDOUT_FILENO), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	optind = 0;
	*status = cmd_info(2, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return mm_read_file(out, NULL);
}

TEST(test_info)
{
	const char *ref = tmp_path("ref.dat");
	char line[160];
	int status;

	write_reference(ref, true);
	char *out = run_info(ref, &status);
	CHECK(out);
	if (status)
		FAILF("status %d: %s", status, out);
	snprintf(line, sizeof(line), "format:       memmon %d.%d\n", MM_FORMAT_MAJOR, MM_FORMAT_MINOR);
	CHECK(strstr(out, line));
	CHECK(strstr(out, "machine:      testhost, x86_64, ?"));
	CHECK(strstr(out, "cpus:         2\n"));
	CHECK(strstr(out, "clock:        mono\n"));
	CHECK(strstr(out, "command:      ./prog a b\n"));
	snprintf(line, sizeof(line), "time span:    %.6f s (%.6f .. %.6f)\n",
		 ((1ull << 32) + 3 - 1000) / 1e9, 1000 / 1e9, ((1ull << 32) + 3) / 1e9);
	CHECK(strstr(out, line));
	CHECK(strstr(out, "events:       503\n"));
	snprintf(line, sizeof(line), "  %-36s %12d %5.1f%%\n", "exceptions:page_fault_user", 503, 100.0);
	CHECK(strstr(out, line));
	CHECK(strstr(out, "lost events:  4\n  cpu0    overrun 3, dropped 1\n"
			  "  1 sub-buffers follow lost events (7 counted)\n"));
	CHECK(strstr(out, "in 6 chunks (ratio "));
	CHECK(!strstr(out, "warning"));
	free(out);
}

/* Heap mode (many CPUs) and linear mode give the same order. */
TEST(test_merge)
{
	for (uint32_t n = 1; n <= 40; n += 13) {
		struct mm_merge m;
		uint64_t next[40];
		int left[40];
		mm_merge_init(&m, n);
		srand(n);
		for (uint32_t i = 0; i < n; i++) {
			next[i] = rand() % 50;
			left[i] = rand() % 30;
			if (left[i])
				mm_merge_set(&m, i, next[i]);
		}
		uint64_t last = 0;
		uint32_t last_src = 0;
		int top;
		while ((top = mm_merge_top(&m)) >= 0) {
			CHECK(next[top] > last || (next[top] == last && (uint32_t)top >= last_src));
			for (uint32_t i = 0; i < n; i++)
				if (left[i] && (next[i] < next[top] || (next[i] == next[top] && i < (uint32_t)top)))
					FAILF("n=%u: %d out before %u", n, top, i);
			last = next[top], last_src = top;
			if (--left[top]) {
				next[top] += rand() % 5;
				mm_merge_set(&m, top, next[top]);
			} else {
				mm_merge_drop(&m, top);
			}
		}
		mm_merge_free(&m);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/memmon-test-format-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	make_events();
	RUN(test_writer_rejects);
	RUN(test_round_trip);
	RUN(test_truncated_every_byte);
	RUN(test_corrupt);
	RUN(test_hostile_subbufs);
	RUN(test_bad_files);
	RUN(test_subbuf_matches_kbuffer);
	RUN(test_delta_round_trip);
	RUN(test_delta_hostile);
	RUN(test_compressed_sections);
	RUN(test_decompression_bombs);
	RUN(test_merge);
	RUN(test_info);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
