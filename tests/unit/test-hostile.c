/*
 * tests/unit/test-hostile.c - the reader's limits against files made to
 * hurt it (memmon-format(5), LIMITS): event format texts that crash or
 * slow libtraceevent, format sections past what a kernel writes, a FIFO
 * instead of a file, and chunks that declare far more than the file holds
 * (the memory a file costs must follow what it really holds, within a
 * bounded window).  Each case is one that hurt memmon before its fix.
 *
 * The formats are the real ones in tests/data/formats/; no root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event-parse.h>

#include "harness.h"
#include "memmon.h"
#include "format/file.h"
#include "format/reader.h"
#include "format/subbuf.h"
#include "format/writer.h"

#define SUBBUF 4096

static char tmpdir[64];

static char *data_file(const char *rel, size_t *len)
{
	const char *top = getenv("MEMMON_TOP");
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/formats/%s", top ? top : ".", rel);
	return mm_read_file(path, len);
}

static char *tmp_path(const char *name)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* A writer with MACHINE (NR_CPUS CPUs) and the real header_page written. */
static struct mm_writer *start_file(const char *path, unsigned nr_cpus)
{
	struct mm_writer *w = mm_writer_open(path, 1);
	size_t hlen;
	char *hp = data_file("header_page", &hlen);

	if (!w || !hp)
		abort();
	mm_writer_machine_set(w, MM_KEY_ENDIAN, "little");
	mm_writer_machine_set(w, MM_KEY_LONG_SIZE, "8");
	mm_writer_machine_set(w, MM_KEY_PAGE_SIZE, "4096");
	mm_writer_machine_set(w, MM_KEY_SUBBUF_SIZE, "%d", SUBBUF);
	mm_writer_machine_set(w, MM_KEY_NR_CPUS, "%u", nr_cpus);
	mm_writer_machine_flush(w);
	mm_writer_header_page(w, hp, hlen);
	free(hp);
	return w;
}

/* The real page_fault_user format with its print fmt line replaced. */
static char *fault_format(const char *print_fmt)
{
	size_t len;
	char *text = data_file("exceptions/page_fault_user", &len), *out;
	char *p = strstr(text, "print fmt:");

	*p = '\0';
	if (asprintf(&out, "%s%s\n", text, print_fmt) < 0)
		abort();
	free(text);
	return out;
}

/* ---- formats: libtraceevent gets memmon's rewrite only ---- */

/* kmem/rss_stat as the fuzzer left it: its "member" field misspelt, so the
 * __print_symbolic() of the print fmt names a field that is not there,
 * which makes libtraceevent 1.7.1's tep_parse_event() die of SIGSEGV. */
static const char rss_stat_crash[] =
	"name: rss_stat\nID: 646\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:unsigned int mm_id;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned int curr;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:int memb*********************************er;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\tfield:long size;\toffset:24;\tsize:8;\tsigned:1;\n\n"
	"print fmt: \"mm_id=%u curr=%d type=%s size=%ldB\", REC->mm_id, REC->curr, "
	"__print_symbolic(REC->member, { 0, \"MM_FILEPAGES\" }, { 1, \"MM_ANONPAGES\" }, "
	"{ 2, \"MM_SWAPENTS\" }, { 3, \"MM_SHMEMPAGES\" }), REC->size\n";

TEST(test_print_fmt_crashes)
{
	const char *path = tmp_path("symbolic.dat");
	char *fmt = fault_format("print fmt: \"%s\", __print_symbolic(");
	struct mm_writer *w = start_file(path, 1);

	mm_writer_event_format(w, "exceptions", fmt, strlen(fmt));
	mm_writer_event_format(w, "kmem", rss_stat_crash, strlen(rss_stat_crash));
	free(fmt);
	CHECK_EQ(mm_writer_close(w), 0);
	struct mm_file *f = mm_file_open(path);
	if (!f)
		FAILF("%s", mm_error_msg());
	CHECK_EQ(mm_file_nr_format_notes(f), 0);
	struct tep_event *e = tep_find_event_by_name(mm_file_tep(f), "exceptions", "page_fault_user");
	CHECK(e);
	struct tep_format_field *a = tep_find_field(e, "address");
	CHECK(a);
	CHECK_EQ(a->offset, 8);
	CHECK_EQ(a->size, 8);
	e = tep_find_event_by_name(mm_file_tep(f), "kmem", "rss_stat");
	CHECK(e && tep_find_field(e, "size") && tep_find_field(e, "er"));
	mm_file_close(f);
}

/* Every saved real format reads to the same fields through the rewrite as
 * libtraceevent reads from the original text. */
TEST(test_rewrite_keeps_fields)
{
	static const char *const names[] = {
		"exceptions/page_fault_user", "filemap/mm_filemap_fault",
		"filemap/mm_filemap_map_pages", "kmem/mm_page_alloc",
	};
	const char *path = tmp_path("real.dat");
	struct mm_writer *w = start_file(path, 1);
	struct tep_handle *direct = tep_alloc();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len;
		char *text = data_file(names[i], &len), sys[32];
		snprintf(sys, sizeof(sys), "%.*s", (int)(strchr(names[i], '/') - names[i]), names[i]);
		mm_writer_event_format(w, sys, text, len);
		CHECK_EQ(tep_parse_event(direct, text, len, sys), 0);
		free(text);
	}
	CHECK_EQ(mm_writer_close(w), 0);
	struct mm_file *f = mm_file_open(path);
	if (!f)
		FAILF("%s", mm_error_msg());
	CHECK_EQ(mm_file_nr_format_notes(f), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char sys[32];
		const char *name = strchr(names[i], '/') + 1;
		snprintf(sys, sizeof(sys), "%.*s", (int)(name - 1 - names[i]), names[i]);
		struct tep_event *a = tep_find_event_by_name(direct, sys, name);
		struct tep_event *b = tep_find_event_by_name(mm_file_tep(f), sys, name);
		CHECK(a && b);
		CHECK_EQ(a->id, b->id);
		CHECK_EQ(a->format.nr_common, b->format.nr_common);
		CHECK_EQ(a->format.nr_fields, b->format.nr_fields);
		for (struct tep_format_field *x = a->format.fields, *y = b->format.fields; x || y;
		     x = x->next, y = y->next) {
			CHECK(x && y);
			CHECK_STR(y->name, x->name);
			CHECK_STR(y->type, x->type);
			CHECK_EQ(y->offset, x->offset);
			CHECK_EQ(y->size, x->size);
			/* the print fmt's use of a field (__print_flags/symbolic)
			 * adds these; the rewrite has none, and memmon reads none */
			int from_print = TEP_FIELD_IS_FLAG | TEP_FIELD_IS_SYMBOLIC;
			CHECK_EQ(y->flags & ~from_print, x->flags & ~from_print);
			CHECK_EQ(y->arraylen, x->arraylen);
		}
	}
	tep_free(direct);
	mm_file_close(f);
}

/* Texts outside the kernel's grammar: noted, the event type skipped, the
 * file read. */
TEST(test_format_grammar)
{
	static const char *const bad[] = {
		"name: x\nID: 5\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\n"
		"\tfield:int (*fn)(void);\toffset:8;\tsize:8;\n",
		"name: x y\nID: 5\nformat:\n",
		"name: x\nID: 70000\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\n",
		"name: x\nID: 5\nformat:\n\tfield:unsigned short common_type;\toffset:4;\tsize:2;\n",
		"name: x\nID: 5\nformat:\n\tfield:char comm[16;\toffset:0;\tsize:16;\n",
		"name: x\nID: 5\nformat:\n\tfield:int a;\toffset:99999999999;\tsize:4;\n",
		"name: x\nID: 5\nformat:\n",
		/* brackets inside the type (libtraceevent leaks on them: the
		 * fuzzer's crashes/leak-brackets-in-type) */
		"name: x\nID: 5\nformat:\n\tfield:unsigned[16] r x;\toffset:0;\tsize:1;\n",
		"name: x\nID: 5\nformat:\n\tfield:char [4] * p;\toffset:0;\tsize:8;\n",
		"name: x\nID: 5\nformat:\n\tfield:char[] a b;\toffset:0;\tsize:4;\n",
	};
	const char *path = tmp_path("grammar.dat");
	struct mm_writer *w = start_file(path, 1);
	size_t n = sizeof(bad) / sizeof(bad[0]);

	for (size_t i = 0; i < n; i++)
		mm_writer_event_format(w, "bogus", bad[i], strlen(bad[i]));
	char *good = fault_format("print fmt: \"%lx\", REC->address");
	mm_writer_event_format(w, "exceptions", good, strlen(good));
	free(good);
	CHECK_EQ(mm_writer_close(w), 0);
	struct mm_file *f = mm_file_open(path);
	if (!f)
		FAILF("%s", mm_error_msg());
	CHECK_EQ(mm_file_nr_format_notes(f), n);
	for (size_t i = 0; i < n; i++)
		CHECK(strstr(mm_file_format_note(f, i), ": cannot parse ("));
	CHECK(tep_find_event_by_name(mm_file_tep(f), "exceptions", "page_fault_user"));
	mm_file_close(f);
}

/* EVENT_FORMATS whose records do not fit it: refused, naming why; the
 * good records before a bad one are never half-kept (the file is refused). */
TEST(test_format_bundle)
{
	static const struct { const char *bytes; size_t len; const char *why; } bad[] = {
		{ "\x05\x00\x00", 3, "(event format record cut short)" },
		{ "\x09\x00\x00\x00" "kmem\0ab", 11, "(event format record past its section)" },
		{ "\x00\x00\x00\x00", 4, "(event format without a system name)" },
		{ "\x03\x00\x00\x00" "abc", 7, "(event format without a system name)" },
		{ "\x03\x00\x00\x00\0bc", 7, "(event format without a system name)" },
	};
	const char *path = tmp_path("bundle.dat");
	char *fmt = fault_format("print fmt: \"\"");
	size_t flen = strlen(fmt), glen = 4 + strlen("exceptions") + 1 + flen;
	unsigned char *good = mm_malloc(glen + 32);
	struct mm_file *f;

	good[0] = (unsigned char)(glen - 4), good[1] = (unsigned char)((glen - 4) >> 8);
	good[2] = good[3] = 0;
	memcpy(good + 4, "exceptions", strlen("exceptions") + 1);
	memcpy(good + 4 + strlen("exceptions") + 1, fmt, flen);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mm_writer *w = start_file(path, 1);
		memcpy(good + glen, bad[i].bytes, bad[i].len);
		mm_writer_section(w, MM_SECTION_EVENT_FORMATS, NULL, 0, good, glen + bad[i].len);
		CHECK_EQ(mm_writer_close(w), 0);
		f = mm_file_open(path);
		CHECK(!f);
		if (!strstr(mm_error_msg(), bad[i].why))
			FAILF("case %zu: %s", i, mm_error_msg());
	}
	/* the good record alone reads, its event known */
	struct mm_writer *w = start_file(path, 1);
	mm_writer_section(w, MM_SECTION_EVENT_FORMATS, NULL, 0, good, glen);
	CHECK_EQ(mm_writer_close(w), 0);
	f = mm_file_open(path);
	if (!f)
		FAILF("%s", mm_error_msg());
	CHECK(tep_find_event_by_name(mm_file_tep(f), "exceptions", "page_fault_user"));
	mm_file_close(f);
	free(good);
	free(fmt);
}

/* A format bigger than a kernel writes, or more formats than a kernel
 * has: the file is refused with a message naming the section. */
TEST(test_format_limits)
{
	const char *path = tmp_path("limits.dat");
	struct mm_writer *w = start_file(path, 1);
	size_t big = MM_MAX_FORMAT_TEXT;	/* + "exceptions\0" is one over */
	char *text = mm_malloc(big);
	struct mm_file *f;

	memset(text, ' ', big);
	mm_writer_event_format(w, "exceptions", text, big - strlen("exceptions"));
	CHECK_EQ(mm_writer_close(w), 0);
	f = mm_file_open(path);
	CHECK(!f);
	CHECK(strstr(mm_error_msg(), "corrupt section at offset"));
	CHECK(strstr(mm_error_msg(), "(event format over 64 KiB)"));
	/* the same as a section of its own (files before 3.2) */
	w = start_file(path, 1);
	mm_writer_section(w, MM_SECTION_EVENT_FORMAT, "exceptions", strlen("exceptions") + 1,
			  text, big - strlen("exceptions"));
	CHECK_EQ(mm_writer_close(w), 0);
	f = mm_file_open(path);
	CHECK(!f);
	CHECK(strstr(mm_error_msg(), "compressed payload of 65537 bytes over the limit of 65536 "
		     "for its type"));
	free(text);

	/* MM_MAX_FORMATS small ones read (each noted), one more is refused */
	char *fmt = fault_format("print fmt: \"\"");
	for (int extra = 0; extra < 2; extra++) {
		w = start_file(path, 1);
		for (int i = 0; i < MM_MAX_FORMATS + extra; i++)
			mm_writer_event_format(w, "exceptions", fmt, strlen(fmt));
		CHECK_EQ(mm_writer_close(w), 0);
		f = mm_file_open(path);
		if (!extra) {
			if (!f)
				FAILF("%s", mm_error_msg());
			/* the first is parsed, the others are second formats for its ID */
			CHECK_EQ(mm_file_nr_format_notes(f), MM_MAX_FORMATS - 1);
			CHECK(strstr(mm_file_format_note(f, 0), "a second format for its ID"));
			mm_file_close(f);
		} else {
			CHECK(!f);
			CHECK(strstr(mm_error_msg(), "(more event formats than a kernel has)"));
		}
	}
	free(fmt);
}

/* ---- not a file ---- */

static void on_alarm(int sig)
{
	(void)sig;
	printf("FAIL test_fifo: mm_file_open() blocked on a FIFO\n");
	fflush(stdout);
	_exit(1);
}

TEST(test_fifo)
{
	const char *path = tmp_path("fifo");
	char want[256];

	CHECK_EQ(mkfifo(path, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	CHECK(mm_file_open(path) == NULL);
	alarm(0);
	snprintf(want, sizeof(want), "'%s' is not a regular file (a trace is read at random "
		 "offsets: save it to a file first)", path);
	CHECK_STR(mm_error_msg(), want);
	unlink(path);
}

/* ---- memory: what the file holds, within a bounded window ---- */

/* Stream FILE in a child; its peak RSS in MiB, and the stream's result
 * (events, or -1 with the message in MSG) and peak window. */
struct streamed {
	long events;
	size_t window_mib;
	long rss_mib;
	char msg[512];
};

static void stream_in_child(const char *path, struct streamed *out)
{
	int fd[2];
	struct rusage ru;
	int st;

	if (pipe(fd) < 0)
		abort();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct streamed r = { 0 };
		struct mm_file *f = mm_file_open(path);
		struct mm_stream *s = f ? mm_stream_open(f) : NULL;
		struct tep_record *rec;
		int k = 0;
		size_t peak = 0;
		while (s && (k = mm_stream_next(s, &rec)) > 0) {
			r.events++;
			if (mm_stream_window(s) > peak)
				peak = mm_stream_window(s);
		}
		if (!s || k < 0) {
			r.events = -1;
			snprintf(r.msg, sizeof(r.msg), "%s", mm_error_msg());
		}
		r.window_mib = peak >> 20;
		mm_stream_close(s);
		mm_file_close(f);
		if (write(fd[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], out, sizeof(*out)) != sizeof(*out))
		out->events = -2;
	close(fd[0]);
	wait4(pid, &st, 0, &ru);
	out->rss_mib = ru.ru_maxrss / 1024;
}

#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0	/* ASan's shadow and quarantine are not the reader's */
#else
#define RSS_CHECKED 1
#endif

/* 16 CPUs, each with one chunk of 64 MiB of empty sub-buffers: a few
 * hundred KB of file.  It took 2.1 GB (two chunks of every CPU decoded up
 * front); empty sub-buffers are now dropped after decoding, one chunk at
 * a time (68 MB: the chunk being decoded). */
TEST(test_empty_chunks_cost_nothing)
{
	const char *path = tmp_path("empty.dat");
	struct mm_writer *w = start_file(path, 16);
	uint32_t nr = MM_MAX_CHUNK_RAW / SUBBUF;
	unsigned char *zero = mm_calloc(nr, SUBBUF);
	struct streamed r;
	struct stat st;

	mm_writer_set_codec(w, MM_CODEC_RAW);
	for (uint32_t cpu = 0; cpu < 16; cpu++)
		CHECK_EQ(mm_writer_chunk(w, cpu, zero, nr, SUBBUF), 0);
	CHECK_EQ(mm_writer_close(w), 0);
	free(zero);
	CHECK_EQ(stat(path, &st), 0);
	CHECK(st.st_size < 512 * 1024);
	stream_in_child(path, &r);
	if (r.events < 0)
		FAILF("%s", r.msg);
	CHECK_EQ(r.events, 0);
	CHECK(r.window_mib <= 64);	/* one chunk, while it is decoded */
	if (RSS_CHECKED && r.rss_mib > 128)	/* one 64 MiB chunk decoded at a time */
		FAILF("peak RSS %ld MiB, expected under 128", r.rss_mib);
}

/* 16 CPUs whose chunks hold 64 MiB of identical events each, coded in a
 * few KB: refused at the first chunk, for a claim no real trace makes,
 * within the window. */
TEST(test_dense_claims_refused)
{
	const char *path = tmp_path("dense.dat");
	struct mm_writer *w = start_file(path, 16);
	uint32_t nr = MM_MAX_CHUNK_RAW / SUBBUF;
	unsigned char *raw = mm_calloc(nr, SUBBUF);
	uint32_t hdr = 8 | 0 << 5;	/* type_len 8: 32 bytes, time delta 0 */
	uint64_t commit = (SUBBUF - 16) / 36 * 36;
	struct streamed r;

	for (uint32_t p = 0; p < nr; p++) {
		unsigned char *page = raw + (size_t)p * SUBBUF;
		memcpy(page + 8, &commit, 8);
		for (uint32_t o = 16; o + 36 <= SUBBUF; o += 36)
			memcpy(page + o, &hdr, 4);
	}
	mm_writer_set_codec(w, MM_CODEC_RAW);
	for (uint32_t cpu = 0; cpu < 16; cpu++)
		CHECK_EQ(mm_writer_chunk(w, cpu, raw, nr, SUBBUF), 0);
	CHECK_EQ(mm_writer_close(w), 0);
	free(raw);
	stream_in_child(path, &r);
	CHECK_EQ(r.events, -1);
	CHECK(strstr(r.msg, "corrupt section at offset"));
	CHECK(strstr(r.msg, "stored: more than ring data compresses)"));
	if (RSS_CHECKED && r.rss_mib > 128)	/* one 64 MiB chunk decoded at a time */
		FAILF("peak RSS %ld MiB, expected under 128", r.rss_mib);
}

/* 4096 CPUs declared, two with data: cursors and buffers for two. */
TEST(test_declared_cpus_cost_nothing)
{
	const char *path = tmp_path("cpus.dat");
	struct mm_writer *w = start_file(path, MM_MAX_CPUS);
	unsigned char page[SUBBUF] = { 0 };
	uint32_t hdr = 8 | 1 << 5;
	uint64_t commit = 36, ts = 1000;
	struct streamed r;

	memcpy(page, &ts, 8);
	memcpy(page + 8, &commit, 8);
	memcpy(page + 16, &hdr, 4);
	size_t len;
	char *fmt = data_file("exceptions/page_fault_user", &len);
	mm_writer_event_format(w, "exceptions", fmt, len);
	free(fmt);
	for (uint32_t cpu = 0; cpu < MM_MAX_CPUS; cpu += MM_MAX_CPUS - 1) {
		unsigned char copy[SUBBUF];
		memcpy(copy, page, SUBBUF);
		CHECK_EQ(mm_writer_chunk(w, cpu, copy, 1, SUBBUF), 0);
	}
	CHECK_EQ(mm_writer_close(w), 0);
	stream_in_child(path, &r);
	if (r.events < 0)
		FAILF("%s", r.msg);
	CHECK_EQ(r.events, 2);
	CHECK_EQ(r.window_mib, 0);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/memmon-test-hostile-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	RUN(test_print_fmt_crashes);
	RUN(test_rewrite_keeps_fields);
	RUN(test_format_grammar);
	RUN(test_format_bundle);
	RUN(test_format_limits);
	RUN(test_fifo);
	RUN(test_empty_chunks_cost_nothing);
	RUN(test_dense_claims_refused);
	RUN(test_declared_cpus_cost_nothing);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
