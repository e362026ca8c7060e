/*
 * tests/unit/test-record.c - the parts of record that need no root: the -p
 * pid list and the recognition of stale memmon-<pid> / memmon_<pid> names
 * (what `record` and `reset` may remove, and what they must leave alone),
 * and the trace clock read from a per-CPU stats file's "now ts" line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "plugins/eventset.h"
#include "record/record.h"

TEST(pids_single)
{
	pid_t *p = NULL;
	size_t n = 0;

	CHECK_EQ(mm_record_parse_pids("123", &p, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(p[0], 123);
	free(p);
}

TEST(pids_list_and_repeat)
{
	pid_t *p = NULL;
	size_t n = 0;

	CHECK_EQ(mm_record_parse_pids("1,22,333", &p, &n), 0);
	CHECK_EQ(mm_record_parse_pids("4", &p, &n), 0);   /* -p given twice */
	CHECK_EQ(n, 4);
	CHECK_EQ(p[1], 22);
	CHECK_EQ(p[3], 4);
	free(p);
}

TEST(pids_rejected)
{
	static const char *const bad[] = { "", ",", "1,", ",1", "1,,2", "x", "12x",
					   "-5", "0", "99999999999", "1 2" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pid_t *p = NULL;
		size_t n = 0;
		int r = mm_record_parse_pids(bad[i], &p, &n);

		free(p);
		if (r != -1)
			FAILF("'%s' accepted", bad[i]);
	}
}

TEST(stale_names)
{
	pid_t pid = 0;

	CHECK(mm_stale_parse("memmon-123", MM_INSTANCE_PREFIX, &pid));
	CHECK_EQ(pid, 123);
	CHECK(mm_stale_parse("memmon_77", MM_GROUP_PREFIX, &pid));
	CHECK_EQ(pid, 77);
	/* the stacks instance of recording 123 */
	CHECK(mm_stale_parse("memmon-123" MM_STACKS_SUFFIX, MM_INSTANCE_PREFIX, &pid));
	CHECK_EQ(pid, 123);
}

TEST(stale_names_not_ours)
{
	pid_t pid = 0;

	/* Only prefix+digits is memmon's; anything else belongs to someone. */
	CHECK(!mm_stale_parse("memmon-", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon-12a", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon-012", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon-test", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("xmemmon-12", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon_12", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon-12", MM_GROUP_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon-99999999999", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon--stacks", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon-12-stack", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon-12-stacksx", MM_INSTANCE_PREFIX, &pid));
	CHECK(!mm_stale_parse("memmon-12-stacks-stacks", MM_INSTANCE_PREFIX, &pid));
}

TEST(live_memmon)
{
	/* This test program is not called memmon; a dead pid is no memmon. */
	CHECK(!mm_pid_is_memmon(getpid()));
	CHECK(!mm_pid_is_memmon(0x3fffffff));
}

/* mm_tracing_now() on a file holding TEXT; -1 if it fails. */
static long long now_of(const char *text)
{
	char path[] = "/tmp/memmon-test-stats-XXXXXX";
	int fd = mkstemp(path);
	uint64_t ns = 0;
	long long ret = -1;

	if (fd < 0)
		return -2;
	unlink(path);
	if (write(fd, text, strlen(text)) == (ssize_t)strlen(text) && mm_tracing_now(fd, &ns) == 0)
		ret = (long long)ns;
	close(fd);
	return ret;
}

TEST(trace_clock_now)
{
	/* A real 6.18 stats file; the kernel prints µs, record rounds up to
	 * the last ns of that µs so a snapshot sorts after the events of it. */
	CHECK_EQ(now_of("entries: 0\noverrun: 0\ncommit overrun: 0\nbytes: 0\n"
			"oldest event ts:  3877.955674\nnow ts:  4105.559569\n"
			"dropped events: 0\nread events: 0\n"), 4105559569999LL);
	CHECK_EQ(now_of("now ts:     0.000001\n"), 1999);
	CHECK_EQ(now_of("now ts: 12.050000\n"), 12050000999LL);
	/* No "now ts" (a clock that does not count ns): an error, not 0. */
	CHECK_EQ(now_of("entries: 0\noverrun: 0\n"), -1);
	CHECK_EQ(now_of(""), -1);
}

/* Only the fault tracepoint is required: without it a recording has no
 * faults and record says so even with -q. */
TEST(required_events)
{
	CHECK(mm_event_is_required("exceptions:page_fault_user"));
	CHECK(!mm_event_is_required("kmem:rss_stat"));
	CHECK(!mm_event_is_required("syscalls:sys_enter_mmap"));
	CHECK(!mm_event_is_required("exceptions:page_fault_user2"));
	CHECK(!mm_event_is_required("exception:page_fault_user"));
	CHECK(!mm_event_is_required("exceptions"));
	CHECK(!mm_event_is_required(""));
}

int main(void)
{
	RUN(pids_single);
	RUN(pids_list_and_repeat);
	RUN(pids_rejected);
	RUN(stale_names);
	RUN(stale_names_not_ours);
	RUN(live_memmon);
	RUN(trace_clock_now);
	RUN(required_events);
	return t_done();
}
