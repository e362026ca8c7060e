/*
 * tests/fuzz/replay.c - `make check`'s replay of the fuzz inputs: every
 * file under tests/fuzz/crashes/ (each input that ever made the fuzz target
 * fail, minimized) and tests/fuzz/seeds/ goes once through the fuzz
 * target's entry point (fuzz-report.c: info and every report view and
 * output form), built with the normal compiler and no libFuzzer, so CI
 * needs no clang and runs no fuzzing.
 *
 * One "ok crashes/NAME" line per input that comes through; one that
 * crashes, aborts or exits kills this program, which the runner counts as
 * a failure (and the last "replay NAME" line on stderr names it); one that
 * takes over REPLAY_SECONDS dies of SIGALRM the same way.
 *   test-fuzz-replay [FILE...]     those files instead
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"

#define REPLAY_SECONDS 60

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *result;	/* the real stdout: the target's goes to a memfd */

static void replay(const char *path, const char *name)
{
	size_t len = 0;
	char *buf = mm_read_file(path, &len);

	if (!buf) {
		fprintf(result, "FAIL %s: expected a readable input, got: %s\n", name, mm_error_msg());
		fflush(result);
		return;
	}
	fprintf(stderr, "replay %s (%zu bytes)\n", name, len);
	alarm(REPLAY_SECONDS);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	alarm(0);
	free(buf);
	fprintf(result, "ok %s\n", name);
	fflush(result);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_dir(const char *top, const char *sub)
{
	char dir[4096], path[8192], name[512];
	struct dirent **ents;
	int n;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s", top, sub);
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		fprintf(result, "FAIL fuzz-%s: expected the directory %s, got none\n", sub, dir);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			snprintf(name, sizeof(name), "fuzz-%s/%s", sub, ents[i]->d_name);
			replay(path, name);
		}
		free(ents[i]);
	}
	free(ents);
}

int main(int argc, char **argv)
{
	const char *top = getenv("MEMMON_TOP");
	int out = dup(STDOUT_FILENO);

	if (out < 0 || !(result = fdopen(out, "w")))
		return 1;
	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			replay(argv[i], argv[i]);
		return 0;
	}
	replay_dir(top ? top : ".", "crashes");
	replay_dir(top ? top : ".", "seeds");
	return 0;
}
