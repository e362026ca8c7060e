/*
 * record/preload.c - how CMD gets the malloc interposer: where
 * libmemmon-malloc.so is, and the environment CMD is started with.
 *
 * The library is found at run time, never at a path fixed when memmon was
 * built: next to the memmon binary (the build tree: build/memmon and
 * build/libmemmon-malloc.so), or where `make install` puts it
 * (PREFIX/bin/memmon and PREFIX/lib/memmon/libmemmon-malloc.so).
 * MEMMON_MALLOC_LIB overrides both (a test, or a library built elsewhere).
 *
 * The environment: LD_PRELOAD gets the library first (before anything the
 * user preloads, so a preloaded allocator is the one the interposer calls
 * through), and MM_RING_ENV the number of the rings' fd.  Children inherit
 * both; a program that clears them, or a static one, runs without the
 * interposer, and report says which ones did.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "record/interposer/ring.h"
#include "record/record.h"

/* LD_PRELOAD splits at spaces and colons: such a path cannot go in it. */
static char *usable(char *path)
{
	if (path && strpbrk(path, " :")) {
		mm_error("'%s': LD_PRELOAD cannot name a library whose path has a space or a colon",
			 path);
		free(path);
		return NULL;
	}
	return path;
}

char *mm_preload_find_lib(void)
{
	const char *env = getenv("MEMMON_MALLOC_LIB");
	char exe[PATH_MAX], cand[PATH_MAX + 64], *slash, *real;
	ssize_t n;

	if (env && *env) {
		real = realpath(env, NULL);
		if (!real || access(real, R_OK) < 0) {
			free(real);
			mm_error("MEMMON_MALLOC_LIB='%s': no such library", env);
			return NULL;
		}
		return usable(real);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		mm_error_errno("cannot find memmon's own binary (/proc/self/exe)");
		return NULL;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	snprintf(cand, sizeof(cand), "%s/%s", exe, MM_RING_LIB);
	if (access(cand, R_OK) == 0)
		return usable(realpath(cand, NULL));
	snprintf(cand, sizeof(cand), "%s/../lib/memmon/%s", exe, MM_RING_LIB);
	if (access(cand, R_OK) == 0)
		return usable(realpath(cand, NULL));
	mm_error("--malloc needs %s: it is neither in %s nor in %s/../lib/memmon", MM_RING_LIB,
		 exe, exe);
	mm_hint("build it with 'make' (it is built beside memmon) or install with 'make install'");
	return NULL;
}

/* NAME=VALUE, malloc'd. */
static char *pair(const char *name, const char *value)
{
	char *s;

	if (asprintf(&s, "%s=%s", name, value) < 0) {
		mm_error("out of memory");
		exit(MM_EXIT_FAIL);
	}
	return s;
}

char **mm_preload_env(const char *lib, int fd)
{
	const char *old = getenv("LD_PRELOAD");
	size_t n = 0, k = 0;
	char **env, num[16], *preload;

	for (char **e = environ; *e; e++)
		n++;
	env = mm_calloc(n + 3, sizeof(*env));
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, MM_RING_ENV "=", strlen(MM_RING_ENV) + 1))
			env[k++] = mm_strdup(*e);
	if (old && *old) {
		if (asprintf(&preload, "%s %s", lib, old) < 0)
			preload = NULL;
		env[k++] = pair("LD_PRELOAD", preload ? preload : lib);
		free(preload);
	} else {
		env[k++] = pair("LD_PRELOAD", lib);
	}
	snprintf(num, sizeof(num), "%d", fd);
	env[k++] = pair(MM_RING_ENV, num);
	env[k] = NULL;
	return env;
}

void mm_preload_env_free(char **env)
{
	for (char **e = env; e && *e; e++)
		free(*e);
	free(env);
}
