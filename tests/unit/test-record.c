/*
 * tests/unit/test-record.c - the parts of record that need no root: the -p
 * pid list and the recognition of stale memmon-<pid> / memmon_<pid> names
 * (what `record` and `reset` may remove, and what they must leave alone).
 */
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
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
}

TEST(live_memmon)
{
	/* This test program is not called memmon; a dead pid is no memmon. */
	CHECK(!mm_pid_is_memmon(getpid()));
	CHECK(!mm_pid_is_memmon(0x3fffffff));
}

int main(void)
{
	RUN(pids_single);
	RUN(pids_list_and_repeat);
	RUN(pids_rejected);
	RUN(stale_names);
	RUN(stale_names_not_ours);
	RUN(live_memmon);
	return t_done();
}
