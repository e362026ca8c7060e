/*
 * tests/unit/test-context.c - the context parsers on real and hostile
 * /proc text: exact values, missing lines as unknown, no overruns.
 */
#include "harness.h"
#include "report/analyses/context.h"
#include "report/analyses/frames.h"

static const char zoneinfo[] =
	"Node 0, zone      DMA\n"
	"  per-node stats\n"
	"      nr_inactive_anon 1711\n"
	"  pages free     3840\n"
	"        boost    0\n"
	"        spanned  4095\n"
	"        present  3998\n"
	"        managed  3840\n"
	"      nr_free_pages 3840\n"
	"      nr_zone_inactive_anon 0\n"
	"  start_pfn:           1\n"
	"Node 0, zone   Normal\n"
	"  pages free     1107728\n"
	"        spanned  5505024\n"
	"        present  5505024\n"
	"        managed  1212416\n"
	"      nr_zone_inactive_anon 10199\n"
	"      nr_zone_active_anon 401\n"
	"      nr_zone_inactive_file 86230\n"
	"      nr_zone_active_file 261534\n"
	"      nr_zone_unevictable 3366\n"
	"      nr_zone_write_pending 1916\n"
	"      nr_mlock     2931\n"
	"  start_pfn:           1048576\n";

TEST(zoneinfo_real)
{
	struct mm_ctx_zone z[4];
	CHECK_EQ(mm_ctx_parse_zoneinfo(zoneinfo, z, 4), 2);
	CHECK_STR(z[0].name, "DMA");
	CHECK_EQ(z[0].free, 3840);
	CHECK_EQ(z[0].spanned, 4095);
	CHECK_EQ(z[0].present, 3998);
	CHECK_EQ(z[0].managed, 3840);
	CHECK_STR(z[1].name, "Normal");
	CHECK_EQ(z[1].free, 1107728);
	CHECK_EQ(z[1].managed, 1212416);
	/* the node's nr_inactive_anon (per-node stats) is not DMA's */
	CHECK_EQ(z[0].lru[MM_LRU_INACTIVE_ANON], 0);
	CHECK(z[0].lru[MM_LRU_ACTIVE_ANON] == MM_CTX_NONE);
	CHECK_EQ(z[1].lru[MM_LRU_INACTIVE_ANON], 10199);
	CHECK_EQ(z[1].lru[MM_LRU_ACTIVE_ANON], 401);
	CHECK_EQ(z[1].lru[MM_LRU_INACTIVE_FILE], 86230);
	CHECK_EQ(z[1].lru[MM_LRU_ACTIVE_FILE], 261534);
	CHECK_EQ(z[1].lru[MM_LRU_UNEVICTABLE], 3366);
	CHECK_EQ(z[1].lru[MM_LRU_MLOCK], 2931);
	CHECK_EQ(z[0].start_pfn, 1);
	CHECK_EQ(z[1].start_pfn, 1048576);
}

/* Before 4.8 a zone's own counts had no nr_zone_ prefix. */
TEST(zoneinfo_old_lru)
{
	struct mm_ctx_zone z[1];
	const char *t = "Node 0, zone Normal\n  pages free 5\n    nr_active_anon 7\n"
			"    nr_unevictable x\n    nr_mlock 99999999999999999999999\n";
	CHECK_EQ(mm_ctx_parse_zoneinfo(t, z, 1), 1);
	CHECK_EQ(z[0].lru[MM_LRU_ACTIVE_ANON], 7);
	CHECK(z[0].lru[MM_LRU_UNEVICTABLE] == MM_CTX_NONE);
	CHECK(z[0].lru[MM_LRU_MLOCK] == MM_CTX_NONE);
	CHECK(z[0].lru[MM_LRU_ACTIVE_FILE] == MM_CTX_NONE);
	CHECK(z[0].start_pfn == MM_CTX_NONE);
}

/* record --frames: a frame's zone by [start_pfn, start_pfn + spanned) */
TEST(zones_find)
{
	struct mm_zones zs;
	zs.n = mm_ctx_parse_zoneinfo(zoneinfo, zs.z, MM_CTX_MAX_ZONES);
	CHECK_EQ(zs.n, 2);
	CHECK(mm_zones_find(&zs, 0) == NULL);
	CHECK_STR(mm_zones_find(&zs, 1)->name, "DMA");
	CHECK_STR(mm_zones_find(&zs, 4095)->name, "DMA");
	CHECK(mm_zones_find(&zs, 4096) == NULL);         /* the DMA32 of the real file */
	CHECK_STR(mm_zones_find(&zs, 1048576)->name, "Normal");
	CHECK_STR(mm_zones_find(&zs, 1048576 + 5505023)->name, "Normal");
	CHECK(mm_zones_find(&zs, 1048576 + 5505024) == NULL);
	/* no start_pfn (a hostile or old text): in no zone */
	zs.n = mm_ctx_parse_zoneinfo("Node 0, zone Normal\n  spanned 10\n", zs.z, 1);
	CHECK(mm_zones_find(&zs, 5) == NULL);
	CHECK_EQ(mm_frame_pmd_order(4096), 9);
	CHECK_EQ(mm_frame_pmd_order(65536), 13);
	CHECK_EQ(mm_frame_pmd_order(1000), 0);
}

TEST(zoneinfo_hostile)
{
	struct mm_ctx_zone z[1];
	/* missing fields, junk numbers, a long name, more zones than room */
	const char *t = "Node 0, zone AVeryVeryLongZoneNameIndeed\n  pages free  x\n"
			"  spanned 99999999999999999999999\nNode 1, zone B\n";
	CHECK_EQ(mm_ctx_parse_zoneinfo(t, z, 1), 1);
	CHECK_STR(z[0].name, "AVeryVeryLongZo");
	CHECK(z[0].free == MM_CTX_NONE);
	CHECK(z[0].spanned == MM_CTX_NONE);
	CHECK(z[0].managed == MM_CTX_NONE);
	CHECK_EQ(mm_ctx_parse_zoneinfo("", z, 1), 0);
	CHECK_EQ(mm_ctx_parse_zoneinfo("  pages free 5\n", z, 1), 0);
}

TEST(buddyinfo)
{
	struct mm_ctx_buddy b[2];
	const char *t = "Node 0, zone      DMA      0      0      0      1      2      1      1      0      1      1      3 \n"
			"garbage line\nNode 0, zone Normal 499 720 x 5\n";
	CHECK_EQ(mm_ctx_parse_buddyinfo(t, b, 2), 2);
	CHECK_STR(b[0].zone, "DMA");
	CHECK_EQ(b[0].nr_orders, 11);
	CHECK_EQ(b[0].count[3], 1);
	CHECK_EQ(b[0].count[10], 3);
	CHECK_EQ(b[1].nr_orders, 2);              /* stops at the junk */
	CHECK_EQ(b[1].count[1], 720);
	char big[4096];
	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "Node 0, zone X ", 15);
	for (size_t i = 16; i < sizeof(big) - 1; i += 2)
		big[i] = ' ';
	CHECK_EQ(mm_ctx_parse_buddyinfo(big, b, 2), 1);
	CHECK_EQ(b[0].nr_orders, MM_CTX_ORDERS);   /* bounded */
}

TEST(status_vm_lines)
{
	uint64_t vm[MM_VM_NR];
	const char *t = "Name:\tcat\nVmPeak:\t    5484 kB\nVmSize:\t    5484 kB\n"
			"VmHWM:\t     924 kB\nVmRSS:\t     924 kB\nVmPTE:\t      48 kB\n"
			"VmData: bogus\nThreads:\t1\n";
	CHECK_EQ(mm_ctx_parse_status(t, vm), 5);
	CHECK_EQ(vm[MM_VM_PEAK], 5484);
	CHECK_EQ(vm[MM_VM_HWM], 924);
	CHECK_EQ(vm[MM_VM_PTE], 48);
	CHECK(vm[MM_VM_DATA] == MM_CTX_NONE);
	CHECK(vm[MM_VM_LIB] == MM_CTX_NONE);
	CHECK_EQ(mm_ctx_parse_status("VmPeak", vm), 0);
	CHECK_EQ(mm_ctx_parse_status("", vm), 0);
}

TEST(meminfo)
{
	struct mm_ctx_kv kv[3];
	const char *t = "MemTotal:       24684092 kB\nMemFree:  100 kB\n: 5\nHugePages_Total:       0\n"
			"Extra: 1\n";
	CHECK_EQ(mm_ctx_parse_meminfo(t, kv, 3), 3);
	CHECK_STR(kv[0].name, "MemTotal");
	CHECK_EQ(kv[0].value, 24684092);
	CHECK_STR(kv[2].name, "HugePages_Total");
	CHECK_EQ(kv[2].value, 0);
}

int main(void)
{
	RUN(zoneinfo_real);
	RUN(zoneinfo_hostile);
	RUN(zoneinfo_old_lru);
	RUN(zones_find);
	RUN(buddyinfo);
	RUN(status_vm_lines);
	RUN(meminfo);
	return t_done();
}
