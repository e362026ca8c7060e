/*
 * tests/unit/test-pages.c - the PAGES snapshot parser (report/model/
 * pagesfile.c) on a writer's text and on hostile text: exact counts,
 * unknown keys skipped, lies refused with the line's number.
 */
#include <string.h>

#include "harness.h"
#include "memmon.h"
#include "report/model/pagesfile.h"

static const char real[] =
	"memmon-pages 1 page_size=4096 limit=16384 block=512 pfns=1 peers=27685,27690 peers_left=2\n"
	"7f61d6f43000-7f61d6f4b000 rw-p scanned=8 present=8 anon=8 inactive=8 dirty=8 shared=8 "
	"with=27685:8,27690:3 path=\n"
	"7f61d6f4c000-7f61dbf4c000 rw-p scanned=16384 sampled=1 present=32 anon=32 dirty=32 path=\n"
	"7f61dbf4d000-7f61dbf5d000 r--p scanned=16 present=16 file=16 active=16 newkey=7 "
	"path=/tmp/a file with blanks\n";

TEST(pages_real)
{
	struct mm_pages p;

	CHECK_EQ(mm_pages_parse(real, strlen(real), &p), 0);
	CHECK_EQ(p.page_size, 4096);
	CHECK_EQ(p.limit, 16384);
	CHECK(p.pfns);
	CHECK_EQ(p.nr_peers, 2);
	CHECK_EQ(p.peers[1], 27690);
	CHECK_EQ(p.peers_left, 2);
	CHECK_EQ(p.n, 3);
	CHECK_EQ(p.e[0].start, 0x7f61d6f43000ull);
	CHECK_STR(p.e[0].perms, "rw-p");
	CHECK_STR(p.e[0].path, "");
	CHECK_EQ(p.e[0].n[MM_PG_SHARED], 8);
	CHECK_EQ(p.e[0].n[MM_PG_FILE], 0);
	CHECK_EQ(p.e[0].nr_with, 2);
	CHECK_EQ(p.with[p.e[0].first_with + 1].pid, 27690);
	CHECK_EQ(p.with[p.e[0].first_with + 1].pages, 3);
	CHECK(p.e[1].sampled);
	CHECK_EQ(p.e[1].scanned, 16384);
	CHECK_EQ(mm_pages_span(&p, &p.e[1]), 20480);
	CHECK_EQ(p.e[2].n[MM_PG_ACTIVE], 16);
	CHECK_STR(p.e[2].path, "/tmp/a file with blanks");
	mm_pages_free(&p);
}

TEST(pages_hostile)
{
	static const char *const bad[] = {
		"",                                               /* no header */
		"memmon-smaps 1\n",
		"memmon-pages 1 page_size=4097\n",                /* not a power of two */
		"memmon-pages 1 page_size=99999999999999999999999\n",
		"memmon-pages 1\n1000-2000 rw-p scanned=1\n",     /* no path */
		"memmon-pages 1\n2000-1000 rw-p scanned=1 path=\n",   /* end before start */
		"memmon-pages 1\n1000-2000 rw-p scanned=2 path=\n",   /* more than the span */
		"memmon-pages 1\n1000-2000 rw-p scanned=1 present=2 path=\n",
		"memmon-pages 1\n1000-2000 rw-p scanned=1 shared=1 with=5:2 path=\n",
		"memmon-pages 1\n1000-2000 rw-p scanned=1 present=x path=\n",
		"memmon-pages 1\n1000-2000 rw-p scanned=-1 path=\n",
		"memmon-pages 1\n1000-2000 rwxps scanned=1 path=\n",
		"memmon-pages 1\nzz-2000 rw-p scanned=1 path=\n",
		"memmon-pages 1\n1000-2000 rw-p scanned path=\n",
		"memmon-pages 1\n1000-2000 rw-p scanned=1 with=5 path=\n",
		"memmon-pages 1 peers=1,2,x\n",
	};
	struct mm_pages p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(mm_pages_parse(bad[i], strlen(bad[i]), &p), -1);
		CHECK_EQ(p.n, 0);
	}
	CHECK(strstr(mm_error_msg(), "line 1") != NULL);
	/* 65 peers on one line: more than a reader keeps */
	char many[2048] = "memmon-pages 1\n1000-2000 rw-p scanned=1 shared=1 with=";
	for (int i = 0; i < 65; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%d:1", i ? "," : "", i + 1);
	strcat(many, " path=\n");
	CHECK_EQ(mm_pages_parse(many, strlen(many), &p), -1);
	CHECK(strstr(mm_error_msg(), "line 2") != NULL);
	/* text with a NUL inside: read up to it */
	static const char nul[] = "memmon-pages 1\n1000-2000 rw-p scanned=1 path=\0junk\n";
	CHECK_EQ(mm_pages_parse(nul, sizeof(nul) - 1, &p), 0);
	CHECK_EQ(p.n, 1);
	mm_pages_free(&p);
}

int main(void)
{
	RUN(pages_real);
	RUN(pages_hostile);
	return t_done();
}
