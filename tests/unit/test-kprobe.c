/*
 * tests/unit/test-kprobe.c - the kprobe fault classifier's probe sets, the
 * definitions record writes to kprobe_events (exactly), and the class each
 * combination of probe evidence gives.
 */
#include "harness.h"
#include "memmon.h"
#include "plugins/decoder.h"

static const struct mm_kprobe_set *set_named(const char *name)
{
	for (size_t i = 0; i < mm_kprobe_sets_len; i++)
		if (!strcmp(mm_kprobe_sets[i].name, name))
			return &mm_kprobe_sets[i];
	FAILF("no probe set %s", name);
}

static const struct mm_kprobe_def *def_named(const struct mm_kprobe_set *set, const char *event)
{
	for (size_t i = 0; i < set->len; i++)
		if (!strcmp(set->defs[i].event, event))
			return &set->defs[i];
	FAILF("no probe %s in set %s", event, set->name);
}

TEST(sets_in_order)
{
	CHECK_EQ(mm_kprobe_sets_len, 2);
	CHECK_STR(mm_kprobe_sets[0].name, "handlers");
	CHECK_STR(mm_kprobe_sets[1].name, "rmap");
}

TEST(definitions)
{
	const struct mm_kprobe_set *rmap = set_named("rmap");
	char buf[128];
	int n;

	n = mm_kprobe_definition(buf, sizeof(buf), "memmon_42", def_named(rmap, "new_anon"),
				 "page_add_new_anon_rmap");
	CHECK_STR(buf, "p:memmon_42/new_anon page_add_new_anon_rmap");
	CHECK_EQ(n, strlen(buf));
	mm_kprobe_definition(buf, sizeof(buf), "memmon_42", def_named(rmap, "zeroed"), "vma_alloc_folio");
	CHECK_STR(buf, "p:memmon_42/zeroed vma_alloc_folio gfp=%di:x32");
	/* a kretprobe's form (no set has one: see plugins/kprobes.c) */
	static const struct mm_kprobe_def ret = { "out", "f", "ret=$retval:x32", true, true, 0, "" };
	mm_kprobe_definition(buf, sizeof(buf), "memmon_42", &ret, "handle_mm_fault");
	CHECK_STR(buf, "r64:memmon_42/out handle_mm_fault ret=$retval:x32");
	mm_kprobe_definition(buf, sizeof(buf), "memmon_42",
			     def_named(set_named("handlers"), "anon"), "do_anonymous_page");
	CHECK_STR(buf, "p:memmon_42/anon do_anonymous_page");
}

/* The functions 6.1 (Debian 12) accepts, as tried in its VM: the rmap set's
 * required probes name only those; the handlers set needs the inlined ones. */
TEST(rmap_set_fits_debian_6_1)
{
	static const char *const probeable[] = {
		"page_add_new_anon_rmap", "__do_fault", "filemap_map_pages", "do_swap_page",
		"wp_page_copy", "do_wp_page", "vma_alloc_folio", "do_huge_pmd_anonymous_page",
	};
	const struct mm_kprobe_set *rmap = set_named("rmap");
	for (size_t i = 0; i < rmap->len; i++) {
		bool found = false;
		for (size_t j = 0; j < sizeof(probeable) / sizeof(probeable[0]); j++)
			found |= !strncmp(rmap->defs[i].symbols, probeable[j], strlen(probeable[j]));
		CHECK_EQ(found, true);
	}
	CHECK_EQ(def_named(set_named("handlers"), "anon")->optional, false);
}

/* One event name means the same evidence in every set (the decoder keys on it). */
TEST(names_mean_one_thing)
{
	for (size_t a = 0; a < mm_kprobe_sets_len; a++)
		for (size_t i = 0; i < mm_kprobe_sets[a].len; i++)
			for (size_t b = 0; b < mm_kprobe_sets_len; b++)
				for (size_t j = 0; j < mm_kprobe_sets[b].len; j++) {
					const struct mm_kprobe_def *x = &mm_kprobe_sets[a].defs[i];
					const struct mm_kprobe_def *y = &mm_kprobe_sets[b].defs[j];
					if (!strcmp(x->event, y->event))
						CHECK_EQ(x->evidence, y->evidence);
				}
}

#define RMAP_AVAIL (MM_KP_NEW_ANON | MM_KP_FILE | MM_KP_SWAP | MM_KP_COPY | MM_KP_WP | \
		    MM_KP_ZEROED | MM_KP_HUGE_ANON)
#define HANDLERS_AVAIL (MM_KP_ANON_PAGE | MM_KP_FILE | MM_KP_COW_FAULT | MM_KP_SWAP | MM_KP_WP)
#define NP_R  (MM_PF_USER)
#define NP_W  (MM_PF_USER | MM_PF_WRITE)
#define P_W   (MM_PF_USER | MM_PF_WRITE | MM_PF_PROT)

TEST(classes_rmap)
{
	/* what 6.1 runs for each kind of fault */
	CHECK_EQ(mm_kprobe_classify(MM_KP_NEW_ANON | MM_KP_ZEROED, RMAP_AVAIL, NP_W), MM_FAULT_ANON);
	CHECK_EQ(mm_kprobe_classify(0, RMAP_AVAIL, NP_R), MM_FAULT_ANON);      /* zero page */
	CHECK_EQ(mm_kprobe_classify(MM_KP_FILE, RMAP_AVAIL, NP_R), MM_FAULT_FILE);
	CHECK_EQ(mm_kprobe_classify(MM_KP_FILE | MM_KP_NEW_ANON, RMAP_AVAIL, NP_W), MM_FAULT_COW);
	CHECK_EQ(mm_kprobe_classify(MM_KP_WP | MM_KP_COPY | MM_KP_NEW_ANON, RMAP_AVAIL, P_W),
		 MM_FAULT_COW);
	CHECK_EQ(mm_kprobe_classify(MM_KP_WP | MM_KP_COPY | MM_KP_ZEROED | MM_KP_NEW_ANON,
				    RMAP_AVAIL, P_W), MM_FAULT_ANON);           /* zero page written */
	CHECK_EQ(mm_kprobe_classify(MM_KP_WP, RMAP_AVAIL, P_W), MM_FAULT_OTHER); /* reuse */
	CHECK_EQ(mm_kprobe_classify(MM_KP_SWAP | MM_KP_NEW_ANON, RMAP_AVAIL, NP_W), MM_FAULT_SWAP);
	CHECK_EQ(mm_kprobe_classify(MM_KP_HUGE_ANON, RMAP_AVAIL, NP_W), MM_FAULT_ANON);
	CHECK_EQ(mm_kprobe_classify(0, RMAP_AVAIL, P_W), MM_FAULT_OTHER);
}

TEST(classes_handlers)
{
	CHECK_EQ(mm_kprobe_classify(MM_KP_ANON_PAGE, HANDLERS_AVAIL, NP_R), MM_FAULT_ANON);
	CHECK_EQ(mm_kprobe_classify(MM_KP_FILE, HANDLERS_AVAIL, NP_R), MM_FAULT_FILE);
	CHECK_EQ(mm_kprobe_classify(MM_KP_COW_FAULT, HANDLERS_AVAIL, NP_W), MM_FAULT_COW);
	/* no copy probe: a write-protect fault is taken for the copy it nearly always is */
	CHECK_EQ(mm_kprobe_classify(MM_KP_WP, HANDLERS_AVAIL, P_W), MM_FAULT_COW);
	/* do_anonymous_page is probed: nothing at all is not the zero page */
	CHECK_EQ(mm_kprobe_classify(0, HANDLERS_AVAIL, NP_R), MM_FAULT_OTHER);
}

TEST(too_small_buffer)
{
	char buf[10];
	CHECK_EQ(mm_kprobe_definition(buf, sizeof(buf), "memmon_42",
				      &mm_kprobe_sets[0].defs[0], "do_anonymous_page"), -1);
}

int main(void)
{
	RUN(sets_in_order);
	RUN(definitions);
	RUN(rmap_set_fits_debian_6_1);
	RUN(names_mean_one_thing);
	RUN(classes_rmap);
	RUN(classes_handlers);
	RUN(too_small_buffer);
	return t_done();
}
