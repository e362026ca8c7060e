/*
 * tests/unit/test-symbolic.c - the event log's spelling: flag words, advice
 * and errno names, and whole lines exactly as design.md shows them.
 *
 * MEMMON_BENCH=N also times N fault lines through mm_log_event to
 * /dev/null.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "memmon.h"
#include "report/views/log.h"
#include "report/analyses/summary.h"
#include "plugins/symbolic.h"

typedef char *(*sym_fn)(char *p, uint64_t v);

static const char *sym(sym_fn fn, uint64_t v)
{
	static char buf[MM_SYM_MAX + 1];
	*fn(buf, v) = '\0';
	return buf;
}

static char *madvise_u(char *p, uint64_t v) { return mm_sym_madvise(p, (int64_t)v); }
static char *errno_u(char *p, uint64_t v) { return mm_sym_errno(p, (int64_t)v); }
static char *shmctl_u(char *p, uint64_t v) { return mm_sym_shmctl_cmd(p, (int64_t)v); }
static char *hex_u(char *p, uint64_t v) { return mm_sym_hex(p, v); }
static char *udec_u(char *p, uint64_t v) { return mm_sym_udec(p, v); }
static char *dec_u(char *p, uint64_t v) { return mm_sym_dec(p, (int64_t)v); }

TEST(numbers)
{
	CHECK_STR(sym(hex_u, 0), "0");
	CHECK_STR(sym(hex_u, 0x7f12b7d8f000), "7f12b7d8f000");
	CHECK_STR(sym(hex_u, UINT64_MAX), "ffffffffffffffff");
	CHECK_STR(sym(udec_u, 0), "0");
	CHECK_STR(sym(udec_u, 139264), "139264");
	CHECK_STR(sym(udec_u, UINT64_MAX), "18446744073709551615");
	CHECK_STR(sym(dec_u, (uint64_t)-1), "-1");
	CHECK_STR(sym(dec_u, (uint64_t)INT64_MIN), "-9223372036854775808");
	CHECK_STR(sym(udec_u, 10), "10");
	CHECK_STR(sym(udec_u, 99), "99");
	CHECK_STR(sym(udec_u, 100), "100");
}

TEST(prot)
{
	CHECK_STR(sym(mm_sym_prot, 3), "rw-");
	CHECK_STR(sym(mm_sym_prot, 5), "r-x");
	CHECK_STR(sym(mm_sym_prot, 0), "---");
	CHECK_STR(sym(mm_sym_prot, 7), "rwx");
	CHECK_STR(sym(mm_sym_prot, 0x01000003), "rw-|GROWSDOWN");
	CHECK_STR(sym(mm_sym_prot, 0x40), "---|0x40");
}

TEST(mmap_flags)
{
	CHECK_STR(sym(mm_sym_mmap_flags, 0x22), "PRIVATE|ANON");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x812), "PRIVATE|FIXED|DENYWRITE");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x01), "SHARED");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x03), "SHARED_VALIDATE");
	CHECK_STR(sym(mm_sym_mmap_flags, 0), "0");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x20), "ANON");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x100022), "PRIVATE|ANON|FIXED_NOREPLACE");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x24022), "PRIVATE|ANON|NORESERVE|STACK");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x8022), "PRIVATE|ANON|POPULATE");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x40022 | (21ull << 26)), "PRIVATE|ANON|HUGETLB|HUGE_2MB");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x40022 | (30ull << 26)), "PRIVATE|ANON|HUGETLB|HUGE_1GB");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x4000022), "PRIVATE|ANON|UNINITIALIZED");
	CHECK_STR(sym(mm_sym_mmap_flags, 0x222), "PRIVATE|ANON|0x200");
}

TEST(other_flags)
{
	CHECK_STR(sym(mm_sym_mremap_flags, 1), "MAYMOVE");
	CHECK_STR(sym(mm_sym_mremap_flags, 3), "MAYMOVE|FIXED");
	CHECK_STR(sym(mm_sym_mremap_flags, 0), "0");
	CHECK_STR(sym(madvise_u, 4), "DONTNEED");
	CHECK_STR(sym(madvise_u, 15), "NOHUGEPAGE");
	CHECK_STR(sym(madvise_u, 21), "PAGEOUT");
	CHECK_STR(sym(madvise_u, 0), "NORMAL");
	CHECK_STR(sym(madvise_u, 5), "5");
	CHECK_STR(sym(mm_sym_msync_flags, 4), "SYNC");
	CHECK_STR(sym(mm_sym_msync_flags, 3), "ASYNC|INVALIDATE");
	CHECK_STR(sym(mm_sym_mlockall_flags, 3), "CURRENT|FUTURE");
	CHECK_STR(sym(mm_sym_mlock2_flags, 1), "ONFAULT");
	CHECK_STR(sym(mm_sym_shmget_flags, 01000 | 0600), "CREAT|0600");
	CHECK_STR(sym(mm_sym_shmget_flags, 0), "0000");
	CHECK_STR(sym(mm_sym_shmat_flags, 010000), "RDONLY");
	CHECK_STR(sym(shmctl_u, 0), "IPC_RMID");
	CHECK_STR(sym(shmctl_u, 0x100 | 2), "IPC_STAT");
	CHECK_STR(sym(mm_sym_memfd_flags, 3), "CLOEXEC|ALLOW_SEALING");
	CHECK_STR(sym(mm_sym_clone_flags, 0x1200011), "CHILD_CLEARTID|CHILD_SETTID|SIGCHLD");
	CHECK_STR(sym(mm_sym_clone_flags, 0x3d0f00),
		  "VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID");
}

TEST(errno_names)
{
	CHECK_STR(sym(errno_u, (uint64_t)-12), "-ENOMEM");
	CHECK_STR(sym(errno_u, (uint64_t)-22), "-EINVAL");
	CHECK_STR(sym(errno_u, (uint64_t)-1), "-EPERM");
	CHECK_STR(sym(errno_u, (uint64_t)-4000), "-E4000");
	/* the kernel's own, 512-531, that user space never sees */
	CHECK_STR(sym(errno_u, (uint64_t)-512), "-ERESTARTSYS");
	CHECK_STR(sym(errno_u, (uint64_t)-513), "-ERESTARTNOINTR");
	CHECK_STR(sym(errno_u, (uint64_t)-514), "-ERESTARTNOHAND");
	CHECK_STR(sym(errno_u, (uint64_t)-516), "-ERESTART_RESTARTBLOCK");
	CHECK_STR(sym(errno_u, (uint64_t)-520), "-E520");
	CHECK_STR(sym(errno_u, (uint64_t)-524), "-ENOTSUPP");
	CHECK_STR(sym(errno_u, (uint64_t)-531), "-ENOGRACE");
	CHECK_STR(sym(errno_u, (uint64_t)-532), "-E532");
}

/* ---- whole lines ---- */

static const char *line(const struct mm_event *ev)
{
	static char buf[MM_LOG_LINE + 1];
	*mm_log_format(buf, ev) = '\0';
	return buf;
}

static struct mm_event sys(int pid, enum mm_syscall_nr nr, int64_t ret,
			   uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			   uint64_t a4, uint64_t a5)
{
	struct mm_event ev = { .pid = pid, .kind = MM_EV_SYSCALL };
	ev.sys = (struct mm_syscall){ .nr = nr, .has_ret = true, .ret = ret,
				      .args = { a0, a1, a2, a3, a4, a5 } };
	return ev;
}

TEST(design_lines)
{
	struct mm_event ev = { .pid = 29305, .kind = MM_EV_FAULT };
	ev.fault = (struct mm_fault){ .addr = 0x7f12b7d8f000, .class = MM_FAULT_ANON,
				      .access = MM_ACCESS_W };
	CHECK_STR(line(&ev), "29305: anon page @7f12b7d8f000 (W)");
	ev.fault.class = MM_FAULT_FILE;
	ev.fault.access = MM_ACCESS_R;
	ev.fault.addr = 0x55d0c0a2a000;
	CHECK_STR(line(&ev), "29305: file page @55d0c0a2a000 (R)");

	ev = sys(29305, MM_SYS_BRK, 0x55d0c0a2a000, 0, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "29305: brk(0) -> 55d0c0a2a000");
	ev = sys(29305, MM_SYS_BRK, 0x55d0c0a4b000, 0x55d0c0a4b000, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "29305: brk(55d0c0a4b000) -> 55d0c0a4b000");
	ev = sys(789, MM_SYS_MMAP, 0x7f12b7d8f000, 0, 139264, 3, 0x22, (uint64_t)-1, 0);
	CHECK_STR(line(&ev), "789: mmap(0, 139264, rw-, PRIVATE|ANON, fd -1) -> 7f12b7d8f000");
	ev = sys(789, MM_SYS_MMAP, -12, 0, 1073741824, 3, 0x22, (uint64_t)-1, 0);
	CHECK_STR(line(&ev), "789: mmap(0, 1073741824, rw-, PRIVATE|ANON, fd -1) -> -ENOMEM");
	ev = sys(789, MM_SYS_MMAP, 0x7f12b7d8f000, 0x7f12b7d8f000, 8192, 5, 0x812, 3, 0x4000);
	CHECK_STR(line(&ev), "789: mmap(7f12b7d8f000, 8192, r-x, PRIVATE|FIXED|DENYWRITE, fd 3, off 4000) -> 7f12b7d8f000");
	ev = sys(789, MM_SYS_MUNMAP, 0, 0x7f12b7d8f000, 139264, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: munmap(7f12b7d8f000, 139264) = 0");
	ev = sys(789, MM_SYS_MPROTECT, 0, 0x7f12b7d8f000, 4096, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: mprotect(7f12b7d8f000, 4096, ---) = 0");
	ev = sys(789, MM_SYS_MREMAP, 0x7f12b7e00000, 0x7f12b7d8f000, 8192, 16384, 1, 0, 0);
	CHECK_STR(line(&ev), "789: mremap(7f12b7d8f000, 8192, 16384, MAYMOVE) -> 7f12b7e00000");
	ev = sys(789, MM_SYS_MADVISE, 0, 0x7f12b7d8f000, 8192, 4, 0, 0, 0);
	CHECK_STR(line(&ev), "789: madvise(7f12b7d8f000, 8192, DONTNEED) = 0");
	ev = sys(789, MM_SYS_MLOCK, 0, 0x7f12b7d8f000, 8192, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: mlock(7f12b7d8f000, 8192) = 0");
	ev = sys(789, MM_SYS_MSYNC, 0, 0x7f12b7d8f000, 8192, 4, 0, 0, 0);
	CHECK_STR(line(&ev), "789: msync(7f12b7d8f000, 8192, SYNC) = 0");
	ev = sys(789, MM_SYS_SHMGET, 32769, 0, 65536, 01000 | 0600, 0, 0, 0);
	CHECK_STR(line(&ev), "789: shmget(0, 65536, CREAT|0600) = 32769");
	ev = sys(789, MM_SYS_SHMAT, 0x7f12b7d8f000, 32769, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: shmat(32769, 0, 0) -> 7f12b7d8f000");
	ev = sys(789, MM_SYS_SHMDT, 0, 0x7f12b7d8f000, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: shmdt(7f12b7d8f000) = 0");
	ev = sys(789, MM_SYS_SHMCTL, 0, 32769, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: shmctl(32769, IPC_RMID) = 0");
	ev = sys(789, MM_SYS_MEMFD_CREATE, 3, 0x7ffd1000, 1, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: memfd_create(@7ffd1000, CLOEXEC) = 3");
	ev = sys(789, MM_SYS_CLONE, 790, 0x1200011, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: clone(CHILD_CLEARTID|CHILD_SETTID|SIGCHLD) = 790");
	ev = sys(789, MM_SYS_FORK, 790, 0, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: fork() = 790");
	ev = sys(789, MM_SYS_EXECVE, -2, 0x5000, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: execve(@5000) = -ENOENT");
	strcpy(ev.sys.path, "/usr/bin/a \"b\"\n");
	CHECK_STR(line(&ev), "789: execve(\"/usr/bin/a \\\"b\\\"\\n\") = -ENOENT");
	ev = sys(789, MM_SYS_CLONE, -513, 0x1200011, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: clone(CHILD_CLEARTID|CHILD_SETTID|SIGCHLD) = -ERESTARTNOINTR");
	ev = sys(789, MM_SYS_CLONE3, 790, 0x7ffd1000, 88, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: clone3(@7ffd1000, 88) = 790");
	ev.sys.have_clone_flags = true;
	ev.sys.clone_flags = 0x4100;
	CHECK_STR(line(&ev), "789: clone3(VM|VFORK, 88) = 790");
	ev = sys(789, MM_SYS_FSYNC, 0, 3, 0, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: fsync(3) = 0");
	ev = sys(789, MM_SYS_EXIT_GROUP, 0, 3, 0, 0, 0, 0, 0);
	ev.sys.has_ret = false;
	CHECK_STR(line(&ev), "789: exit_group(3)");
	ev = sys(789, MM_SYS_MUNMAP, 0, 0x1000, 4096, 0, 0, 0, 0);
	ev.sys.has_ret = false;
	CHECK_STR(line(&ev), "789: munmap(1000, 4096) = ?");
	ev = sys(789, MM_SYS_MMAP, 0, 0, 4096, 3, 0x22, (uint64_t)-1, 0);
	ev.sys.has_ret = false;
	CHECK_STR(line(&ev), "789: mmap(0, 4096, rw-, PRIVATE|ANON, fd -1) -> ?");
	ev = sys(789, MM_SYS_MUNMAP, -22, 0x1001, 4096, 0, 0, 0, 0);
	CHECK_STR(line(&ev), "789: munmap(1001, 4096) = -EINVAL");
}

TEST(process_lines)
{
	struct mm_event ev = { .pid = 789, .kind = MM_EV_FORK };
	ev.proc.child_pid = 790;
	CHECK_STR(line(&ev), "789: fork child 790");
	ev.proc.is_thread = true;
	CHECK_STR(line(&ev), "789: thread 790");
	ev.proc.is_thread = false;
	ev.proc.shares_mm = ev.proc.vfork = true;
	CHECK_STR(line(&ev), "789: vfork child 790");
	ev = (struct mm_event){ .pid = 790, .kind = MM_EV_EXEC };
	strcpy(ev.proc.path, "/usr/bin/ls");
	CHECK_STR(line(&ev), "790: exec /usr/bin/ls");
	ev = (struct mm_event){ .pid = 790, .kind = MM_EV_EXIT };
	CHECK_STR(line(&ev), "790: exit");
	ev = (struct mm_event){ .pid = 790, .kind = MM_EV_RENAME };
	strcpy(ev.proc.old_comm, "bash");
	strcpy(ev.proc.comm, "ls");
	CHECK_STR(line(&ev), "790: comm bash -> ls");
	ev = (struct mm_event){ .pid = 790, .kind = MM_EV_RSS };
	ev.rss = (struct mm_rss){ .member = MM_RSS_ANON, .bytes = 139264, .curr = true };
	CHECK_STR(line(&ev), "790: rss anon 139264");
	ev = (struct mm_event){ .pid = 790, .kind = MM_EV_FILEMAP };
	ev.filemap = (struct mm_filemap){ .dev = (8u << 20) | 1, .ino = 1234, .index = 5, .last_index = 5 };
	CHECK_STR(line(&ev), "790: filemap fault dev 8:1 ino 1234 index 5");
	ev.filemap.map_pages = true;
	ev.filemap.last_index = 9;
	CHECK_STR(line(&ev), "790: filemap map_pages dev 8:1 ino 1234 index 5-9");
}

/* ---- the log writer: timestamps, raw events, summary, via a memfd ---- */

static const char *readback(int fd)
{
	static char buf[4096];
	off_t n = lseek(fd, 0, SEEK_CUR);
	if (n < 0 || n >= (off_t)sizeof(buf) || pread(fd, buf, n, 0) != n)
		return "(read failed)";
	buf[n] = '\0';
	return buf;
}

TEST(log_writer)
{
	int fd = memfd_create("log", 0);
	CHECK(fd >= 0);
	struct mm_log *l = mm_log_new(fd, MM_LOG_TIMESTAMPS);
	struct mm_summary s = { 0 };
	struct mm_event ev = { .ts = 5000000000ull, .pid = 7, .kind = MM_EV_FAULT };
	ev.fault = (struct mm_fault){ .addr = 0x1000, .class = MM_FAULT_ANON, .access = MM_ACCESS_R };
	mm_summary_add(&s, &ev);
	mm_log_event(l, &ev);
	ev.ts += 1234567;                      /* 1.234567 ms */
	ev.fault.class = MM_FAULT_COW;
	ev.fault.access = MM_ACCESS_W;
	mm_summary_add(&s, &ev);
	mm_log_event(l, &ev);
	struct mm_event r = { .ts = ev.ts + 2000000000ull + 999, .pid = 7, .kind = MM_EV_RSS };
	r.rss.member = MM_RSS_ANON;
	r.rss.bytes = 4096;
	mm_summary_add(&s, &r);
	mm_log_event(l, &r);                   /* hidden without --raw-events */
	struct mm_summary_info info = { .records = 5, .lost = 3, .missing = "", .classifier = "tracepoint" };
	mm_summary_write(&s, &info, l);
	CHECK_EQ(mm_log_close(l), 0);
	CHECK_STR(readback(fd),
		  "0.000000 7: anon page @1000 (R)\n"
		  "0.001235 7: cow page @1000 (W)\n"
		  "# summary\n"
		  "events: 3 (faults 2, syscalls 0, process 0, rss 1, filemap 0)\n"
		  "faults: 2 anon 1 file 0 swap 0 cow 1 other 0\n"
		  "faults by access: R 1 W 1 X 0\n"
		  "lost events: 3\n"
		  "trace records: 5\n"
		  "missing events: none\n"
		  "classifier: tracepoint\n");
	close(fd);
}

TEST(log_raw_events)
{
	int fd = memfd_create("log", 0);
	CHECK(fd >= 0);
	struct mm_log *l = mm_log_new(fd, MM_LOG_RAW);
	struct mm_event r = { .ts = 1, .pid = 7, .kind = MM_EV_RSS };
	r.rss.member = MM_RSS_FILE;
	r.rss.bytes = 8192;
	mm_log_event(l, &r);
	CHECK_EQ(mm_log_close(l), 0);
	CHECK_STR(readback(fd), "7: rss file 8192\n");
	close(fd);
}

TEST(log_write_error)
{
	int fds[2];
	CHECK(pipe(fds) == 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	struct mm_log *l = mm_log_new(fds[1], 0);
	mm_log_puts(l, "x\n");
	CHECK_EQ(mm_log_close(l), -1);
	CHECK_STR(mm_error_msg(), "cannot write the report: Broken pipe");
	close(fds[1]);
}

static void bench(void)
{
	const char *n_env = getenv("MEMMON_BENCH");
	if (!n_env)
		return;
	long n = atol(n_env);
	int fd = open("/dev/null", O_WRONLY);
	struct mm_log *l = mm_log_new(fd, 0);
	struct mm_event ev = { .pid = 29305, .kind = MM_EV_FAULT };
	ev.fault = (struct mm_fault){ .class = MM_FAULT_ANON, .access = MM_ACCESS_W };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		ev.fault.addr = 0x7f0000000000ull + ((uint64_t)i << 12);
		mm_log_event(l, &ev);
	}
	mm_log_close(l);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# log: %ld fault lines in %.3f s = %.2f M lines/s\n", n, s, n / s / 1e6);
}

int main(void)
{
	RUN(numbers);
	RUN(prot);
	RUN(mmap_flags);
	RUN(other_flags);
	RUN(errno_names);
	RUN(design_lines);
	RUN(process_lines);
	RUN(log_writer);
	RUN(log_raw_events);
	RUN(log_write_error);
	bench();
	return t_done();
}
