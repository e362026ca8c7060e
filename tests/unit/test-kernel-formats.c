/*
 * tests/unit/test-kernel-formats.c - the decoder on two kernels' real
 * formats: tests/data/formats/ (6.18, this machine) and
 * tests/data/formats-6.1/ (Debian 12's 6.1.0-57-amd64, saved in its VM,
 * with the kprobe classifier's events of group memmon_1 as 6.1 made them).
 *
 * They differ where memmon must not care: sched_process_fork's comms are
 * char[16] on 6.1 and __data_loc strings on 6.18, task_newtask's
 * clone_flags u64 against unsigned long, every event id.  Records are built
 * here from each kernel's own field offsets (a generic builder, not
 * literal offsets), fed to a decoder made from that kernel's formats, and
 * both must decode to the same events.  On 6.1 in tracepoint mode rss_stat
 * is batched: a counter rising inside a fault is no evidence there.
 */
#include <dirent.h>
#include <event-parse.h>

#include "harness.h"
#include "memmon.h"
#include "plugins/decoder.h"

static const char *const kernels[] = { "formats", "formats-6.1" };

static char *path_of(const char *dir, const char *rel)
{
	static char path[1024];
	const char *top = getenv("MEMMON_TOP");
	if ((size_t)snprintf(path, sizeof(path), "%s/tests/data/%s/%s", top ? top : ".",
			     dir, rel) >= sizeof(path))
		abort();
	return path;
}

static void load_dir(struct tep_handle *tep, const char *dir, const char *sys)
{
	char rel[512];
	DIR *d = opendir(path_of(dir, sys));
	struct dirent *de;
	size_t len;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", sys, de->d_name);
		char *text = mm_read_file(path_of(dir, rel), &len);
		if (text && tep_parse_event(tep, text, len, sys))
			fprintf(stderr, "cannot parse %s/%s\n", dir, rel);
		free(text);
	}
	if (d)
		closedir(d);
}

static struct tep_handle *make_tep(const char *dir, bool kprobes)
{
	static const char *const systems[] = { "exceptions", "kmem", "sched", "task", "syscalls",
					       "filemap", "signal", "ftrace", "raw_syscalls" };
	struct tep_handle *tep = tep_alloc();
	size_t len;
	tep_set_long_size(tep, 8);
	tep_set_page_size(tep, 4096);
	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	char *hp = mm_read_file(path_of(dir, "header_page"), &len);
	if (!hp || tep_parse_header_page(tep, hp, len, 8))
		fprintf(stderr, "cannot parse %s/header_page\n", dir);
	free(hp);
	for (size_t i = 0; i < sizeof(systems) / sizeof(systems[0]); i++)
		load_dir(tep, dir, systems[i]);
	if (kprobes)
		load_dir(tep, dir, "memmon_1");
	return tep;
}

/* ---- records built from a format's own field offsets ---- */

struct rec {
	struct tep_handle *tep;
	struct tep_event *e;
	uint8_t b[256];
	int size;                /* fixed part, then appended strings */
};

static void rec_new(struct rec *r, struct tep_handle *tep, const char *sys, const char *name,
		    int pid)
{
	memset(r, 0, sizeof(*r));
	r->tep = tep;
	r->e = tep_find_event_by_name(tep, sys, name);
	if (!r->e)
		FAILF("no format for %s:%s", sys, name);
	r->size = 8;
	for (struct tep_format_field *f = r->e->format.fields; f; f = f->next)
		if (f->offset + f->size > r->size)
			r->size = f->offset + f->size;
	uint16_t id = (uint16_t)r->e->id;
	memcpy(r->b, &id, 2);
	memcpy(r->b + 4, &pid, 4);
}

static void rec_u64(struct rec *r, const char *field, uint64_t v)
{
	struct tep_format_field *f = tep_find_field(r->e, field);
	if (!f)
		FAILF("%s has no field %s", r->e->name, field);
	memcpy(r->b + f->offset, &v, f->size < 8 ? f->size : 8);   /* little-endian */
}

/* A string field: char[N] in place, or a __data_loc string after the record. */
static void rec_str(struct rec *r, const char *field, const char *s)
{
	struct tep_format_field *f = tep_find_field(r->e, field);
	size_t n = strlen(s) + 1;
	if (!f)
		FAILF("%s has no field %s", r->e->name, field);
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		uint32_t loc = ((uint32_t)n << 16) | (uint32_t)r->size;
		memcpy(r->b + f->offset, &loc, 4);
		memcpy(r->b + r->size, s, n);
		r->size += (int)n;
	} else {
		memcpy(r->b + f->offset, s, n < (size_t)f->size ? n : (size_t)f->size);
	}
}

/* ---- a decoder whose sink keeps the events ---- */

#define MAX_OUT 64
static struct mm_event out[MAX_OUT];
static size_t nout;
static uint64_t ts;

static void keep(void *ctx, const struct mm_event *ev)
{
	(void)ctx;
	if (nout < MAX_OUT)
		out[nout] = *ev;
	nout++;
}

static void feed(struct mm_decoder *d, struct rec *r)
{
	struct tep_record tr = { 0 };
	tr.ts = ts += 1000;
	tr.data = r->b;
	tr.size = r->size;
	mm_decoder_feed(d, &tr);
}

static struct mm_decoder *decoder(struct tep_handle *tep, const char *release)
{
	nout = 0;
	ts = 1000000;
	struct mm_decoder *d = mm_decoder_new(tep, keep, NULL);
	if (!d)
		FAILF("mm_decoder_new: %s", mm_error_msg());
	mm_decoder_set_kernel(d, release);
	return d;
}

static void fault(struct mm_decoder *d, struct tep_handle *tep, int pid, uint64_t addr, uint32_t ec)
{
	struct rec r;
	rec_new(&r, tep, "exceptions", "page_fault_user", pid);
	rec_u64(&r, "address", addr);
	rec_u64(&r, "ip", 0x401000);
	rec_u64(&r, "error_code", ec);
	feed(d, &r);
}

static void rss(struct mm_decoder *d, struct tep_handle *tep, int pid, int member, int64_t bytes)
{
	struct rec r;
	rec_new(&r, tep, "kmem", "rss_stat", pid);
	rec_u64(&r, "mm_id", 77);
	rec_u64(&r, "curr", 1);
	rec_u64(&r, "member", (uint64_t)member);
	rec_u64(&r, "size", (uint64_t)bytes);
	feed(d, &r);
}

static void probe(struct mm_decoder *d, struct tep_handle *tep, int pid, const char *event,
		  const char *arg, uint64_t v)
{
	struct rec r;
	rec_new(&r, tep, "memmon_1", event, pid);
	if (arg)
		rec_u64(&r, arg, v);
	feed(d, &r);
}

/* ---- the same story on both kernels ---- */

static const char *const releases[] = { "6.18.44", "6.1.0-57-amd64" };

/* Kernel K's tep handle into *TEP and a decoder told K's release. */
static struct mm_decoder *on_kernel(size_t k, struct tep_handle **tep)
{
	*tep = make_tep(kernels[k], false);
	return decoder(*tep, releases[k]);
}

static void done(struct mm_decoder *d, struct tep_handle *tep)
{
	mm_decoder_free(d);
	tep_free(tep);
}

TEST(fork_exec_newtask_both)
{
	for (size_t k = 0; k < 2; k++) {
		struct tep_handle *tep;
		struct mm_decoder *d = on_kernel(k, &tep);
		struct rec r;

		rec_new(&r, tep, "task", "task_newtask", 100);
		rec_u64(&r, "pid", 101);
		rec_str(&r, "comm", "prog");
		rec_u64(&r, "clone_flags", 0x10000 | 0x100);      /* CLONE_THREAD|CLONE_VM */
		feed(d, &r);
		rec_new(&r, tep, "sched", "sched_process_fork", 100);
		rec_str(&r, "parent_comm", "prog");
		rec_u64(&r, "parent_pid", 100);
		rec_str(&r, "child_comm", "worker");
		rec_u64(&r, "child_pid", 101);
		feed(d, &r);
		mm_decoder_finish(d);
		CHECK_EQ(nout, 1);
		CHECK_EQ(out[0].kind, MM_EV_FORK);
		CHECK_EQ(out[0].proc.child_pid, 101);
		CHECK_STR(out[0].proc.comm, "worker");
		CHECK_EQ(out[0].proc.is_thread, true);
		done(d, tep);
	}
}

TEST(fault_and_syscall_both)
{
	for (size_t k = 0; k < 2; k++) {
		struct tep_handle *tep;
		struct mm_decoder *d = on_kernel(k, &tep);
		struct rec r;

		rec_new(&r, tep, "syscalls", "sys_enter_mmap", 100);
		rec_u64(&r, "len", 8192);
		rec_u64(&r, "prot", 3);
		rec_u64(&r, "flags", 0x22);
		rec_u64(&r, "fd", (uint64_t)-1);
		feed(d, &r);
		rec_new(&r, tep, "syscalls", "sys_exit_mmap", 100);
		rec_u64(&r, "ret", 0x7f0000000000);
		feed(d, &r);
		fault(d, tep, 100, 0x7f0000001008, MM_PF_USER | MM_PF_WRITE);
		mm_decoder_finish(d);
		CHECK_EQ(nout, 2);
		CHECK_EQ(out[0].kind, MM_EV_SYSCALL);
		CHECK_EQ(out[0].sys.nr, MM_SYS_MMAP);
		CHECK_EQ(out[0].sys.args[1], 8192);
		CHECK_EQ(out[0].sys.ret, 0x7f0000000000);
		CHECK_EQ(out[1].kind, MM_EV_FAULT);
		CHECK_EQ(out[1].fault.addr, 0x7f0000001008);
		CHECK_EQ(out[1].fault.access, MM_ACCESS_W);
		done(d, tep);
	}
}

/* A file page read: 6.18 says so per fault (FILEPAGES rises right after);
 * on 6.1 the same rss_stat would be a batch of earlier faults: unknown, for
 * the model to tell by the region. */
TEST(rss_per_fault_only_from_6_2)
{
	for (size_t k = 0; k < 2; k++) {
		struct tep_handle *tep;
		struct mm_decoder *d = on_kernel(k, &tep);
		fault(d, tep, 100, 0x7f0000002000, MM_PF_USER);
		rss(d, tep, 100, MM_RSS_FILE, 4096);
		fault(d, tep, 100, 0x7f0000003000, MM_PF_USER);
		mm_decoder_finish(d);
		CHECK_EQ(out[0].kind, MM_EV_FAULT);
		CHECK_EQ(out[0].fault.class, k ? MM_FAULT_UNKNOWN : MM_FAULT_FILE);
		CHECK_EQ(mm_decoder_needs_model(d), k == 1);
		done(d, tep);
	}
}

/* 6.1's swap-out is counted at once: swap entries make a not-present
 * fault possibly a swap-in, and the decoder says so. */
TEST(swapped_flag_on_6_1)
{
	struct tep_handle *tep = make_tep("formats-6.1", false);
	struct mm_decoder *d = decoder(tep, "6.1.0-57-amd64");
	fault(d, tep, 100, 0x7f0000002000, MM_PF_USER);
	fault(d, tep, 100, 0x7f0000003000, MM_PF_USER);
	rss(d, tep, 100, MM_RSS_SWAPENTS, 65536);
	fault(d, tep, 100, 0x7f0000004000, MM_PF_USER);
	mm_decoder_finish(d);
	CHECK_EQ(nout, 4);
	CHECK_EQ(out[0].fault.flags & MM_FAULT_F_SWAPPED, 0);
	CHECK_EQ(out[1].fault.flags & MM_FAULT_F_SWAPPED, MM_FAULT_F_SWAPPED);
	CHECK_EQ(out[1].fault.class, MM_FAULT_UNKNOWN);
	done(d, tep);
}

/* The kprobe classifier on 6.1's own probe formats (set rmap): what the
 * kernel runs for each kind of fault; each fault ends at the task's next
 * one.  The formats also hold 'done', a kretprobe on handle_mm_fault that
 * sets no longer define: its events are ignored. */
TEST(kprobe_rmap_set_on_6_1)
{
	struct tep_handle *tep = make_tep("formats-6.1", true);
	struct mm_decoder *d = decoder(tep, "6.1.0-57-amd64");
	CHECK_STR(mm_decoder_classifier(d), "kprobe");
	CHECK_EQ(mm_decoder_needs_model(d), false);
	/* anon write: zeroed page (GFP_HIGHUSER_MOVABLE | __GFP_ZERO), new anon rmap */
	fault(d, tep, 100, 0x1000, MM_PF_USER | MM_PF_WRITE);
	probe(d, tep, 100, "zeroed", "gfp", 0x100dca);
	probe(d, tep, 100, "new_anon", NULL, 0);
	probe(d, tep, 100, "done", "ret", 0x40);          /* ignored */
	/* anon read: the zero page, nothing fires */
	fault(d, tep, 100, 0x2000, MM_PF_USER);
	CHECK_EQ(nout, 1);                 /* settled by the next fault */
	/* file read: ->fault, or pages mapped around */
	fault(d, tep, 100, 0x3000, MM_PF_USER);
	probe(d, tep, 100, "fault", NULL, 0);
	probe(d, tep, 100, "around", NULL, 0);
	/* private file page written: ->fault then a new anon page */
	fault(d, tep, 100, 0x4000, MM_PF_USER | MM_PF_WRITE);
	probe(d, tep, 100, "fault", NULL, 0);
	probe(d, tep, 100, "zeroed", "gfp", 0x100cca);  /* not zeroed: no evidence */
	probe(d, tep, 100, "new_anon", NULL, 0);
	/* write to a page read before: copied */
	fault(d, tep, 100, 0x3000, MM_PF_USER | MM_PF_WRITE | MM_PF_PROT);
	probe(d, tep, 100, "wp", NULL, 0);
	probe(d, tep, 100, "copy", NULL, 0);
	probe(d, tep, 100, "new_anon", NULL, 0);
	/* the zero page written: copied from a zeroed page: first touch */
	fault(d, tep, 100, 0x2000, MM_PF_USER | MM_PF_WRITE | MM_PF_PROT);
	probe(d, tep, 100, "wp", NULL, 0);
	probe(d, tep, 100, "copy", NULL, 0);
	probe(d, tep, 100, "zeroed", "gfp", 0x100dca);
	probe(d, tep, 100, "new_anon", NULL, 0);
	/* a swap-in; a write to a page no longer shared: reused */
	fault(d, tep, 100, 0x5000, MM_PF_USER);
	probe(d, tep, 100, "swap", NULL, 0);
	fault(d, tep, 100, 0x1000, MM_PF_USER | MM_PF_WRITE | MM_PF_PROT);
	probe(d, tep, 100, "wp", NULL, 0);
	mm_decoder_finish(d);
	CHECK_EQ(nout, 8);
	static const uint8_t want[] = {
		MM_FAULT_ANON, MM_FAULT_ANON, MM_FAULT_FILE, MM_FAULT_COW,
		MM_FAULT_COW, MM_FAULT_ANON, MM_FAULT_SWAP, MM_FAULT_OTHER,
	};
	for (size_t i = 0; i < sizeof(want); i++)
		if (out[i].fault.class != want[i])
			FAILF("fault %zu: class %s, expected %s", i, mm_fault_class_name(out[i].fault.class),
			      mm_fault_class_name(want[i]));
	done(d, tep);
}

/* THP on 6.1 (rss_stat batched: no counter says how much a fault
 * mapped): a write fault entering do_huge_pmd_anonymous_page that
 * allocates no zeroed small page mapped a huge one (MM_FAULT_F_HUGE, the
 * model then counts 2 MiB); one that fell back to a zeroed small page, or
 * a read (the huge zero page), did not. */
TEST(kprobe_huge_on_6_1)
{
	struct tep_handle *tep = make_tep("formats-6.1", true);
	struct mm_decoder *d = decoder(tep, "6.1.0-57-amd64");
	fault(d, tep, 100, 0x200000, MM_PF_USER | MM_PF_WRITE);
	probe(d, tep, 100, "huge", NULL, 0);
	probe(d, tep, 100, "new_anon", NULL, 0);
	fault(d, tep, 100, 0x400000, MM_PF_USER | MM_PF_WRITE);
	probe(d, tep, 100, "huge", NULL, 0);
	probe(d, tep, 100, "zeroed", "gfp", 0x100dca);
	probe(d, tep, 100, "new_anon", NULL, 0);
	fault(d, tep, 100, 0x600000, MM_PF_USER);
	probe(d, tep, 100, "huge", NULL, 0);
	mm_decoder_finish(d);
	CHECK_EQ(nout, 3);
	CHECK_EQ(out[0].fault.class, MM_FAULT_ANON);
	CHECK_EQ(out[0].fault.flags & MM_FAULT_F_HUGE, MM_FAULT_F_HUGE);
	CHECK_EQ(out[1].fault.class, MM_FAULT_ANON);
	CHECK_EQ(out[1].fault.flags & MM_FAULT_F_HUGE, 0);
	CHECK_EQ(out[2].fault.flags & MM_FAULT_F_HUGE, 0);
	done(d, tep);
}

/* A kernel-mode fault (copy_to_user in read() into a fresh buffer): its
 * page_fault_kernel record, between the read's own enter and exit, is a
 * kernel fault named by that call, on both kernels' layouts. */
TEST(kernel_fault_in_read_both)
{
	for (size_t k = 0; k < 2; k++) {
		struct tep_handle *tep;
		struct mm_decoder *d = on_kernel(k, &tep);
		struct rec r;

		rec_new(&r, tep, "syscalls", "sys_enter_read", 100);
		rec_u64(&r, "fd", 3);
		rec_u64(&r, "buf", 0x7f0000001000);
		rec_u64(&r, "count", 1 << 20);
		feed(d, &r);
		rec_new(&r, tep, "exceptions", "page_fault_kernel", 100);
		rec_u64(&r, "address", 0x7f0000001000);
		rec_u64(&r, "ip", 0xffffffff81a2b3c4ull);
		rec_u64(&r, "error_code", MM_PF_WRITE);
		feed(d, &r);
		rec_new(&r, tep, "syscalls", "sys_exit_read", 100);
		rec_u64(&r, "ret", 1 << 20);
		feed(d, &r);
		fault(d, tep, 100, 0x7f0000002000, MM_PF_USER | MM_PF_WRITE);
		mm_decoder_finish(d);
		CHECK_EQ(nout, 2);
		CHECK_EQ(out[0].kind, MM_EV_FAULT);
		CHECK(out[0].fault.kernel);
		CHECK_EQ(out[0].fault.addr, 0x7f0000001000);
		CHECK_EQ(out[0].fault.access, MM_ACCESS_W);
		CHECK_STR(mm_syscall_raw_name(out[0].fault.sys), "read");
		CHECK(!out[1].fault.kernel);
		CHECK_EQ(out[1].fault.sys, MM_SYSCALL_NONE);
		done(d, tep);
	}
}

/* SIGSEGV raised by an access: signal_generate marks the fault, the
 * deliver to a default handler is the death; 6.1 and 6.18 lay both out
 * alike but with their own ids. */
TEST(signals_both)
{
	for (size_t k = 0; k < 2; k++) {
		struct tep_handle *tep;
		struct mm_decoder *d = on_kernel(k, &tep);
		struct rec r;

		fault(d, tep, 100, 0x1000, MM_PF_USER | MM_PF_WRITE);
		rec_new(&r, tep, "signal", "signal_generate", 100);
		rec_u64(&r, "sig", 11);
		rec_u64(&r, "code", 1);                  /* SEGV_MAPERR */
		rec_str(&r, "comm", "prog");
		rec_u64(&r, "pid", 100);
		feed(d, &r);
		rec_new(&r, tep, "signal", "signal_deliver", 100);
		rec_u64(&r, "sig", 11);
		rec_u64(&r, "code", 1);
		rec_u64(&r, "sa_handler", 0);            /* SIG_DFL */
		feed(d, &r);
		mm_decoder_finish(d);
		CHECK_EQ(nout, 2);
		CHECK_EQ(out[0].kind, MM_EV_FAULT);
		CHECK_EQ(out[0].fault.signo, 11);
		CHECK_EQ(out[0].fault.si_code, 1);
		CHECK_EQ(out[1].kind, MM_EV_SIGNAL);
		CHECK(out[1].signal.deliver);
		CHECK(mm_signal_is_fatal(out[1].signal.sig, out[1].signal.handler));
		done(d, tep);
	}
}

/* What 6.1 lacks, the decoder says: no filemap fault events there (a
 * trace of it says so in its notice), everything else memmon uses is
 * present; 6.18 has them all. */
TEST(missing_events_6_1)
{
	for (size_t k = 0; k < 2; k++) {
		struct tep_handle *tep;
		struct mm_decoder *d = on_kernel(k, &tep);
		const char *m = mm_decoder_missing(d);
		CHECK_EQ(strstr(m, "filemap:mm_filemap_fault") != NULL, k == 1);
		CHECK_EQ(strstr(m, "filemap:mm_filemap_map_pages") != NULL, k == 1);
		CHECK(!strstr(m, "exceptions:"));
		CHECK(!strstr(m, "kmem:rss_stat"));
		CHECK(!strstr(m, "signal:"));
		CHECK(!strstr(m, "syscalls:read,"));
		CHECK(!strstr(m, "syscalls:mmap,"));
		done(d, tep);
	}
}

/* Every event memmon list called present on 6.1 (its output, saved with
 * the formats in the VM) has its saved format, and libtraceevent takes it. */
TEST(every_listed_event_saved_6_1)
{
	size_t len, n = 0;
	char *list = mm_read_file(path_of("formats-6.1", "memmon-list.txt"), &len);
	struct tep_handle *tep = make_tep("formats-6.1", false);
	char name[128], sys[64], ev[128];

	if (!list)
		FAILF("no tests/data/formats-6.1/memmon-list.txt");
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "present %127s", name) != 1 || !strchr(name, ':'))
			continue;
		*strchr(name, ':') = ' ';
		if (sscanf(name, "%63s %127s", sys, ev) != 2)
			continue;
		int parts = strcmp(sys, "syscalls") ? 1 : 2;
		for (int i = 0; i < parts; i++) {
			char full[160];
			snprintf(full, sizeof(full), "%s%s", parts == 1 ? "" : i ? "sys_exit_" : "sys_enter_", ev);
			if (!tep_find_event_by_name(tep, sys, full))
				FAILF("6.1 lists %s:%s present, no saved format parsed", sys, full);
			n++;
		}
	}
	CHECK(n > 60);
	free(list);
	tep_free(tep);
}

int main(void)
{
	RUN(fork_exec_newtask_both);
	RUN(fault_and_syscall_both);
	RUN(rss_per_fault_only_from_6_2);
	RUN(swapped_flag_on_6_1);
	RUN(kprobe_rmap_set_on_6_1);
	RUN(kprobe_huge_on_6_1);
	RUN(kernel_fault_in_read_both);
	RUN(signals_both);
	RUN(missing_events_6_1);
	RUN(every_listed_event_saved_6_1);
	return t_done();
}
