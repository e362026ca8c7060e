/*
 * tests/unit/test-sdt.c - record/elfsyms.c's reading of SystemTap SDT
 * notes (.note.stapsdt, sys/sdt.h from systemtap-sdt-dev): this test
 * program carries two probes of its own, one with a semaphore, and reads
 * its own file: both found by provider and name, each one's file offset
 * at the nop sys/sdt.h puts at the probe, the semaphore's address the
 * variable's; and the function offsets of mm_elf_func_offsets() at the
 * functions' own code.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define _SDT_HAS_SEMAPHORES 1        /* STAP_PROBE reads the probe's semaphore */
#include <sys/sdt.h>

#include "harness.h"
#include "memmon.h"
#include "record/record.h"

/* the semaphores sys/sdt.h's probes look for: PROVIDER_NAME_semaphore */
__extension__ unsigned short memmon_test_plain_semaphore __attribute__((section(".probes"))) = 0;
__extension__ unsigned short memmon_test_counted_semaphore __attribute__((section(".probes"))) = 0;

__attribute__((noinline)) static int probed(int a, long b)
{
	DTRACE_PROBE2(memmon_test, plain, a, b);
	return a + (int)b;
}

__attribute__((noinline)) static int probed_counted(int a)
{
	STAP_PROBE1(memmon_test, counted, a);
	return a * 2;
}

static const char *self(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = 0;
	return path;
}

TEST(test_sdt_own_probes)
{
	struct mm_sdt_probe *p = NULL;
	size_t n = 0;
	int seen_plain = 0, seen_counted = 0;

	CHECK_EQ(probed(1, 2) + probed_counted(3), 9);
	CHECK_EQ(mm_elf_sdt_probes(self(), &p, &n), 0);
	CHECK_EQ(n, 2);
	int fd = open(self(), O_RDONLY);
	CHECK(fd >= 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char op = 0;
		CHECK_EQ(strcmp(p[i].provider, "memmon_test"), 0);
		CHECK(pread(fd, &op, 1, (off_t)p[i].off) == 1);
		CHECK_EQ(op, 0x90);              /* sys/sdt.h's nop at the probe */
		CHECK(p[i].semaphore != 0);
		CHECK(strchr(p[i].args, '@') != NULL);   /* "-4@%edi 8@%rsi": SIZE@WHERE */
		seen_plain += !strcmp(p[i].name, "plain");
		seen_counted += !strcmp(p[i].name, "counted");
	}
	close(fd);
	CHECK_EQ(seen_plain, 1);
	CHECK_EQ(seen_counted, 1);
	free(p);
}

TEST(test_sdt_semaphore_address)
{
	struct mm_sdt_probe *p = NULL;
	size_t n = 0, found = 0;

	CHECK_EQ(mm_elf_sdt_probes(self(), &p, &n), 0);
	/* the note's addresses are the file's: the semaphore's gives the load
	 * bias, and with it the probe lies inside its function */
	for (size_t i = 0; i < n; i++) {
		bool plain = !strcmp(p[i].name, "plain");
		uintptr_t sem = plain ? (uintptr_t)&memmon_test_plain_semaphore :
					(uintptr_t)&memmon_test_counted_semaphore;
		uintptr_t fn = plain ? (uintptr_t)probed : (uintptr_t)probed_counted;
		uintptr_t pc = (uintptr_t)p[i].addr + (sem - (uintptr_t)p[i].semaphore);
		CHECK(pc >= fn && pc < fn + 64);
		found++;
	}
	CHECK_EQ(found, 2);
	free(p);
}

TEST(test_elf_func_offsets_own)
{
	struct mm_elf_func f[3] = { { "main", 0 }, { "no_such_function_here", 0 }, { "probed", 0 } };
	unsigned char want[16], got[16];

	CHECK_EQ(mm_elf_func_offsets(self(), f, 3), 0);
	CHECK(f[0].off != 0);
	CHECK_EQ(f[1].off, 0);
	CHECK(f[2].off != 0);
	/* the file's bytes at the offset are the function's code in memory */
	int fd = open(self(), O_RDONLY);
	CHECK(fd >= 0);
	CHECK(pread(fd, got, sizeof(got), (off_t)f[2].off) == (ssize_t)sizeof(got));
	memcpy(want, (const void *)(uintptr_t)probed, sizeof(want));
	CHECK_EQ(memcmp(got, want, sizeof(got)), 0);
	close(fd);
	CHECK_EQ(mm_elf_is_static(self()), 0);
	CHECK(mm_elf_func_offsets("/nonexistent/file", f, 1) < 0);
}

int main(void)
{
	RUN(test_sdt_own_probes);
	RUN(test_sdt_semaphore_address);
	RUN(test_elf_func_offsets_own);
	return t_done();
}
