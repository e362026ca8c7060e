/*
 * tests/unit/harness.h - the smallest test harness that does the job.
 *
 * Each test file defines TEST(name) functions and a main() that RUN()s them.  Every test prints one line, "ok NAME", "FAIL NAME: why" or
 * "skip NAME: why"; tests/run counts those lines across all test programs
 * and scripts and prints the closing "N passed, N failed, N skipped" line.
 * A CHECK failure ends the current test (not the program).
 */
#ifndef MM_TEST_HARNESS_H
#define MM_TEST_HARNESS_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

static jmp_buf t_jmp;
static const char *t_skip_reason;
static int t_failed_total;

#define TEST(name) static void name(void)

#define FAILF(...) do { \
	printf("FAIL %s: %s:%d: ", t_current, __FILE__, __LINE__); \
	printf(__VA_ARGS__); printf("\n"); longjmp(t_jmp, 1); } while (0)

#define CHECK(cond) do { if (!(cond)) FAILF("check failed: %s", #cond); } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) FAILF("%s == %lld, expected %s == %lld", #a, _a, #b, _b); } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b)) FAILF("%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define SKIP(why) do { t_skip_reason = (why); longjmp(t_jmp, 2); } while (0)

static const char *t_current = "";

static inline void t_run(const char *name, void (*fn)(void))
{
	t_current = name;
	t_skip_reason = NULL;
	int r = setjmp(t_jmp);
	if (r == 0) {
		fn();
		printf("ok %s\n", name);
	} else if (r == 2) {
		printf("skip %s: %s\n", name, t_skip_reason);
	} else {
		t_failed_total++;
	}
	fflush(stdout);
}

/* xorshift64: the same pseudo-random bytes on every run and machine, so a
 * failing iteration of a randomized test can be replayed. */
static uint64_t t_rng_state = 88172645463325252ull;
static inline uint64_t t_rng(void)
{
	t_rng_state ^= t_rng_state << 13;
	t_rng_state ^= t_rng_state >> 7;
	t_rng_state ^= t_rng_state << 17;
	return t_rng_state;
}

/* A FILE writing into t_buf/t_len (open_memstream), the previous one's
 * text freed: fflush or fclose it before reading t_buf. */
static char *t_buf;
static size_t t_len;
static inline FILE *t_memstream(void)
{
	free(t_buf);
	t_buf = NULL;
	return open_memstream(&t_buf, &t_len);
}

/* In main(): RUN(test_a); RUN(test_b); return t_done(); */
#define RUN(fn) t_run(#fn, fn)
static inline int t_done(void) { return t_failed_total ? 1 : 0; }

#endif
