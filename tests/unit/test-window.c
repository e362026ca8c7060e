/*
 * tests/unit/test-window.c - report --between (report/analyses/window.c):
 * its argument, which events fall inside, and what it says when a marker
 * is missing.
 */
#include "harness.h"

#include "memmon.h"
#include "report/analyses/window.h"

static struct mm_event marker(uint64_t ts, const char *text)
{
	struct mm_event ev = { .ts = ts, .pid = 10, .kind = MM_EV_MARKER };
	snprintf(ev.marker.text, sizeof(ev.marker.text), "%s", text);
	ev.marker.len = (uint16_t)strlen(text);
	return ev;
}

static struct mm_event call(uint64_t ts, unsigned nr, int fd)
{
	struct mm_event ev = { .ts = ts, .pid = 10, .kind = MM_EV_SYSCALL };
	ev.sys.nr = (uint8_t)nr;
	ev.sys.args[0] = (uint64_t)fd;
	return ev;
}

static struct mm_event other(uint64_t ts)
{
	struct mm_event ev = { .ts = ts, .pid = 10, .kind = MM_EV_FAULT };
	return ev;
}

/* The trace: 1 fsync(1) @10, a fault @15, 2 "two" @20, a fault @25,
 * 3 fdatasync(3) @30, a fault @35, 4 "two" @40, a fault @45.  Returns the
 * times of the events inside the window as a string "10 15 ...". */
static const char *run(const char *arg, int *finish)
{
	static char buf[256];
	struct mm_window w;
	const struct mm_event evs[] = {
		call(10, MM_SYS_FSYNC, 1), other(15), marker(20, "two"), other(25),
		call(30, MM_SYS_FDATASYNC, 3), other(35), marker(40, "two"), other(45),
	};
	size_t n = 0;

	buf[0] = '\0';
	if (mm_window_parse(&w, arg) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		mm_window_before(&w, &evs[i]);
		if (mm_window_in(&w))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%llu", n ? " " : "",
					      (unsigned long long)evs[i].ts);
		mm_window_after(&w, &evs[i]);
	}
	*finish = mm_window_finish(&w);
	mm_window_free(&w);
	return buf;
}

TEST(window_by_number)
{
	int fin;
	CHECK_STR(run("1,3", &fin), "10 15 20 25 30");
	CHECK_EQ(fin, 0);
	CHECK_STR(run("2,2", &fin), "20");
	CHECK_STR(run("3,end", &fin), "30 35 40 45");
	CHECK_EQ(fin, 0);
	CHECK_STR(run("start,1", &fin), "10");
	CHECK_STR(run("0,2", &fin), "10 15 20");
}

TEST(window_by_text)
{
	int fin;
	CHECK_STR(run("fsync(1),fdatasync(3)", &fin), "10 15 20 25 30");
	CHECK_STR(run("two,two", &fin), "20");                  /* the first from M on */
	CHECK_STR(run("fdatasync(3),two", &fin), "30 35 40");
	CHECK_EQ(fin, 0);
}

TEST(window_missing_markers)
{
	int fin;
	CHECK_STR(run("5,6", &fin), "");
	CHECK_EQ(fin, -1);
	CHECK_STR(mm_error_msg(), "--between: no marker 5 in the trace (it has 4 markers)");
	CHECK_STR(run("3,9", &fin), "30 35 40 45");
	CHECK_EQ(fin, -1);
	CHECK_STR(mm_error_msg(), "--between: no marker 9 after marker 3 in the trace (it has 4 markers)");
	CHECK_STR(run("two,three", &fin), "20 25 30 35 40 45");
	CHECK_EQ(fin, -1);
	CHECK_STR(mm_error_msg(), "--between: no marker \"three\" after marker 2 in the trace "
		  "(it has 4 markers)");
}

TEST(window_bad_arguments)
{
	struct mm_window w;
	CHECK_EQ(mm_window_parse(&w, "1"), -1);
	CHECK_EQ(mm_window_parse(&w, "1,2,3"), -1);
	CHECK_EQ(mm_window_parse(&w, ",2"), -1);
	CHECK_EQ(mm_window_parse(&w, "end,2"), -1);
	CHECK_EQ(mm_window_parse(&w, "1,start"), -1);
	CHECK_EQ(mm_window_parse(&w, "3,2"), -1);
	CHECK_STR(mm_error_msg(), "--between 3,2: marker 2 comes before marker 3");
	CHECK_EQ(mm_window_parse(&w, "1,2"), 0);
	CHECK(w.active);
}

int main(void)
{
	RUN(window_by_number);
	RUN(window_by_text);
	RUN(window_missing_markers);
	RUN(window_bad_arguments);
	return t_failed_total ? 1 : 0;
}
