/*
 * tests/unit/test-kprobe.c - the kprobe fault classifier's table and the
 * probe definitions record writes to kprobe_events, exactly.
 */
#include "harness.h"
#include "memmon.h"
#include "plugins/decoder.h"

TEST(definitions)
{
	static const char *const want[] = {
		"p:memmon_42/anon do_anonymous_page",
		"p:memmon_42/swap do_swap_page",
		"p:memmon_42/file do_read_fault",
		"p:memmon_42/cow do_cow_fault",
		"p:memmon_42/wp do_wp_page",
	};
	char buf[128];
	CHECK_EQ(mm_kprobe_classifier_len, 5);
	for (size_t i = 0; i < mm_kprobe_classifier_len; i++) {
		int n = mm_kprobe_definition(buf, sizeof(buf), "memmon_42", &mm_kprobe_classifier[i]);
		CHECK_STR(buf, want[i]);
		CHECK_EQ(n, strlen(want[i]));
	}
}

TEST(classes)
{
	static const enum mm_fault_class want[] = {
		MM_FAULT_ANON, MM_FAULT_SWAP, MM_FAULT_FILE, MM_FAULT_COW, MM_FAULT_COW,
	};
	for (size_t i = 0; i < mm_kprobe_classifier_len; i++)
		CHECK_EQ(mm_kprobe_classifier[i].class, want[i]);
	CHECK_STR(mm_fault_class_name(MM_FAULT_COW), "cow");
}

TEST(too_small_buffer)
{
	char buf[10];
	CHECK_EQ(mm_kprobe_definition(buf, sizeof(buf), "memmon_42", &mm_kprobe_classifier[0]), -1);
}

int main(void)
{
	RUN(definitions);
	RUN(classes);
	RUN(too_small_buffer);
	return t_done();
}
