/*
 * tests/unit/test-regions.c - the maps text parser/printer and the region
 * views: a byte-exact round trip of a real /proc/self/maps, the --regions
 * table's rows and order, the pmap-like --maps-at table, the check's
 * "maps check: N regions, M differ" line, and JSON a real parser accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "format/layout.h"
#include "report/model/addrspace.h"
#include "report/model/mapsfile.h"
#include "report/views/regions-view.h"
#include "tests/unit/harness.h"

#define PG 4096ull

TEST(maps_round_trip_of_proc_self_maps)
{
	size_t n;
	char *text = mm_read_file("/proc/self/maps", &n);
	if (!text)
		SKIP("no /proc/self/maps");
	struct mm_maps m;
	CHECK_EQ(mm_maps_parse(text, n, &m), 0);
	CHECK(m.n > 5);
	FILE *f = t_memstream();
	for (size_t i = 0; i < m.n; i++) {
		char line[512];
		mm_maps_format(&m.e[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	fclose(f);
	CHECK_STR(t_buf, text);
	mm_maps_free(&m);
	free(text);
}

TEST(maps_parse_fields_and_errors)
{
	const char *t = "7f93ecda9000-7f93ecdb0000 r--s 0001c000 fe:01 332280"
			"                     /usr/lib/x 1 (deleted)\n"
			"7f93ecdb1000-7f93ecdb3000 rw-p 00000000 00:00 0 \n";
	struct mm_maps m;
	CHECK_EQ(mm_maps_parse(t, strlen(t), &m), 0);
	CHECK_EQ(m.n, 2);
	CHECK_EQ(m.e[0].start, 0x7f93ecda9000);
	CHECK_EQ(m.e[0].offset, 0x1c000);
	CHECK_EQ(m.e[0].dev_minor, 1);
	CHECK_EQ(m.e[0].ino, 332280);
	CHECK(m.e[0].shared);
	CHECK_EQ(m.e[0].prot, MM_PROT_R);
	CHECK_STR(m.e[0].name, "/usr/lib/x 1 (deleted)");
	CHECK_STR(m.e[1].name, "");
	mm_maps_free(&m);
	const char *bad = "7f93ecdb1000-7f93ecdb3000 rw-p 00000000 00:00 0\nnot a line\n";
	CHECK_EQ(mm_maps_parse(bad, strlen(bad), &m), -1);
	CHECK_STR(mm_error_msg(), "maps snapshot: malformed line 2");
	CHECK_EQ(m.n, 0);
}

static const char start_maps[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:00 247134                     /usr/bin/prog\n"
	"55d0c0a2a000-55d0c0a4b000 rw-p 00000000 00:00 0                          [heap]\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n";

static struct mm_event ev_sys(uint64_t ts, int nr, int64_t ret, uint64_t a0, uint64_t a1,
			      uint64_t a2, uint64_t a3)
{
	struct mm_event ev = { .ts = ts, .pid = 42, .tgid = 42, .kind = MM_EV_SYSCALL };
	ev.sys.nr = (uint8_t)nr;
	ev.sys.has_ret = true;
	ev.sys.ret = ret;
	ev.sys.args[0] = a0, ev.sys.args[1] = a1, ev.sys.args[2] = a2, ev.sys.args[3] = a3;
	ev.sys.args[4] = (uint64_t)-1;
	return ev;
}

static struct mm_event ev_fault(uint64_t ts, uint64_t addr, int cls, int acc)
{
	struct mm_event ev = { .ts = ts, .pid = 42, .tgid = 42, .kind = MM_EV_FAULT };
	ev.fault.addr = addr;
	ev.fault.class = (uint8_t)cls;
	ev.fault.access = (uint8_t)acc;
	return ev;
}

/* t0 = 1 s: a 10-page mmap at 1.5 s with 3 pages written, a hole punched at
 * 2 s, one fault outside every region, exit at 3 s. */
static struct mm_as *model(uint64_t cutoff)
{
	const uint64_t S = 1000000000ull, A = 0x7f0000000000ull;
	struct mm_as *as = mm_as_new(PG, cutoff);
	mm_as_add_snapshot(as, 42, MM_PHASE_START, S - 1000, start_maps);
	struct mm_event ev[] = {
		ev_sys(S, MM_SYS_BRK, 0x55d0c0a4b000, 0, 0, 0, 0),
		ev_sys(S + S / 2, MM_SYS_MMAP, (int64_t)A, 0, 10 * PG, 3, 0x22),
		ev_fault(S + S / 2 + 1, A, MM_FAULT_ANON, MM_ACCESS_W),
		ev_fault(S + S / 2 + 2, A + 8 * PG, MM_FAULT_ANON, MM_ACCESS_W),
		ev_fault(S + S / 2 + 3, A + 9 * PG, MM_FAULT_ANON, MM_ACCESS_R),
		ev_fault(S + S / 2 + 4, 0x1000, MM_FAULT_OTHER, MM_ACCESS_R),
		ev_sys(2 * S, MM_SYS_MUNMAP, 0, A + 3 * PG, 2 * PG, 0, 0),
		{ .ts = 3 * S, .pid = 42, .tgid = 42, .kind = MM_EV_EXIT },
	};
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		mm_as_event(as, &ev[i]);
	mm_as_finish(as);
	return as;
}

static bool has_line(const char *text, const char *line)
{
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[strlen(line)] == '\n')
			return true;
	return false;
}

TEST(regions_table_rows)
{
	struct mm_as *as = model(MM_AS_NO_CUTOFF);
	struct mm_regions_opts o = { .output = MM_OUT_TEXT, .sort = MM_SORT_ADDR };
	FILE *f = t_memstream();
	CHECK_EQ(mm_regions_print(as, &o, f), 0);
	fclose(f);
	if (!has_line(t_buf, "7f0000000000-7f000000a000        40K rw-p anon    mmap@0.500000      "
		      "munmap@1.000000          3 3/0/0/0/0       1/2/0                3/10 sparse [anon]") ||
	    !has_line(t_buf, "7f0000005000-7f000000a000        20K rw-p anon    munmap@1.000000    "
		      "exit@2.000000            0 0/0/0/0/0       0/0/0                 0/5 - [anon]") ||
	    !has_line(t_buf, "55d0c0a2a000-55d0c0a4b000       132K rw-p heap    start              "
		      "exit@2.000000            0 0/0/0/0/0       0/0/0                0/33 - [heap]") ||
	    !strstr(t_buf, "# 6 regions (5 in the final map), 4 faults, 1 outside every region\n") ||
	    !strstr(t_buf, "(unknown region: faults outside every known region)"))
		FAILF("unexpected table:\n%s", t_buf);
	mm_as_free(as);
}

TEST(regions_sorted_by_faults_and_size)
{
	struct mm_as *as = model(MM_AS_NO_CUTOFF);
	struct mm_regions_opts o = { .output = MM_OUT_CSV, .sort = MM_SORT_FAULTS, .limit = 2 };
	FILE *f = t_memstream();
	mm_regions_print(as, &o, f);
	fclose(f);
	/* header + 2 rows; the faulted region first */
	char *l1 = strchr(t_buf, '\n') + 1;
	const char *want = "42,4,0,4,7f0000000000,7f000000a000,40960,rw-p,anon,,0,-1,mmap,0.500000,"
			   "munmap,1.000000,3,1,2,0,";
	CHECK(!strncmp(l1, want, strlen(want)));
	CHECK(strchr(strchr(l1, '\n') + 1, '\n') == t_buf + strlen(t_buf) - 1);
	CHECK(!strncmp(t_buf, "pid,id,parent_id,origin_id,start,end,size,perms,backing,name", 60));
	CHECK_EQ(mm_regions_parse_sort("size", &o.sort), 0);
	CHECK_EQ(o.sort, MM_SORT_SIZE);
	CHECK_EQ(mm_regions_parse_sort("bogus", &o.sort), -1);
	o.output = MM_OUT_TEXT;
	o.limit = 1;
	f = t_memstream();
	mm_regions_print(as, &o, f);
	fclose(f);
	CHECK(strstr(t_buf, "55d0c0a2a000-55d0c0a4b000       132K") != NULL);
	CHECK(strstr(t_buf, "7ffd00000000") == NULL);
	mm_as_free(as);
}

TEST(maps_at_end_and_at_time)
{
	struct mm_as *as = model(MM_AS_NO_CUTOFF);
	struct mm_regions_opts o = { .output = MM_OUT_TEXT, .at_end = true };
	FILE *f = t_memstream();
	mm_maps_at_print(as, &o, f);
	fclose(f);
	if (!has_line(t_buf, "00007f0000000000      12       4       4 rw-p  [ anon ]") ||
	    !has_line(t_buf, "00007f0000005000      20       8       4 rw-p  [ anon ]") ||
	    !has_line(t_buf, "total kB             304      12       8"))
		FAILF("unexpected maps:\n%s", t_buf);
	mm_as_free(as);

	/* at 0.75 s: the mapping whole, before the hole */
	as = model(750000000);
	o.at_end = false;
	o.at_ns = 750000000;
	f = t_memstream();
	mm_maps_at_print(as, &o, f);
	fclose(f);
	if (!strstr(t_buf, "# address space at 0.750000 s") ||
	    !has_line(t_buf, "00007f0000000000      40      12       8 rw-p  [ anon ]"))
		FAILF("unexpected maps at 0.75:\n%s", t_buf);
	mm_as_free(as);
}

TEST(check_maps_line)
{
	struct mm_as *as = mm_as_new(PG, MM_AS_NO_CUTOFF);
	mm_as_add_snapshot(as, 42, MM_PHASE_START, 1, start_maps);
	mm_as_add_snapshot(as, 42, MM_PHASE_END, 10, start_maps);
	struct mm_event e = ev_sys(5, MM_SYS_MMAP, 0x7f0000000000, 0, PG, 3, 0x22);
	mm_as_event(as, &e);
	mm_as_finish(as);
	struct mm_regions_opts o = { .output = MM_OUT_TEXT };
	size_t differ;
	FILE *f = t_memstream();
	mm_check_maps_print(as, &o, f, &differ);
	fclose(f);
	CHECK_EQ(differ, 1);
	CHECK_STR(t_buf, "maps check: 3 regions, 1 differ\n"
		  "pid 42: extra   7f0000000000-7f0000001000 rw-p 00000000  "
		  "(rebuilt, not in the snapshot)\n");
	mm_as_free(as);
}

static void python_check(const char *json)
{
	if (system("python3 -c '' 2>/dev/null") != 0)
		SKIP("python3 not installed");
	char path[] = "/tmp/memmon-regions-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, json, strlen(json)), (long long)strlen(json));
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool %s >/dev/null", path);
	int rc = system(cmd);
	unlink(path);
	CHECK_EQ(rc, 0);
}

TEST(json_views_parse)
{
	struct mm_as *as = model(MM_AS_NO_CUTOFF);
	struct mm_regions_opts o = { .output = MM_OUT_JSON, .at_end = true };
	FILE *f = t_memstream();
	mm_regions_print(as, &o, f);
	fclose(f);
	CHECK(strstr(t_buf, "\"pages_touched\": 3,") != NULL);
	CHECK(strstr(t_buf, "\"how\": \"munmap\",") != NULL);
	python_check(t_buf);
	f = t_memstream();
	mm_maps_at_print(as, &o, f);
	fclose(f);
	CHECK(strstr(t_buf, "\"view\": \"maps_at\",\n  \"time\": null,") != NULL);
	python_check(t_buf);
	f = t_memstream();
	mm_check_maps_print(as, &o, f, NULL);
	fclose(f);
	python_check(t_buf);
	mm_as_free(as);
}

int main(void)
{
	RUN(maps_round_trip_of_proc_self_maps);
	RUN(maps_parse_fields_and_errors);
	RUN(regions_table_rows);
	RUN(regions_sorted_by_faults_and_size);
	RUN(maps_at_end_and_at_time);
	RUN(check_maps_line);
	RUN(json_views_parse);
	free(t_buf);
	return t_done();
}
