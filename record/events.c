/*
 * record/events.c - the events a recording enables, as found on this kernel.
 *
 * plugins/eventset.c says what memmon wants; kernels differ (page_fault_user
 * is x86 only, syscalls come and go), so each event is looked up in tracefs
 * and the absent ones are collected for a notice and for MACHINE's
 * missing_events instead of failing the recording.
 *
 * Enabling writes "1" to each event's own events/SYSTEM/EVENT/enable in the
 * instance, opened relative to the instance's events directory.  Fewer
 * system calls go through set_event (one open, a write per event), but the
 * kernel scans every trace event on the system (~2000) for each such write:
 * 56 events took 3.6-5.6 ms through set_event, 2.6-3.3 ms through the
 * enable files (measured on record's path before CMD is released).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "memmon.h"
#include "plugins/eventset.h"
#include "record/record.h"

bool mm_event_exists(const char *system, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", mm_tracing_dir(), system, name);
	return access(path, F_OK) == 0;
}

void mm_evlist_add(struct mm_evlist *l, const char *system, const char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->ev = mm_realloc(l->ev, l->cap * sizeof(*l->ev));
	}
	snprintf(l->ev[l->n].system, sizeof(l->ev[l->n].system), "%s", system);
	snprintf(l->ev[l->n].name, sizeof(l->ev[l->n].name), "%s", name);
	l->n++;
}

static void add_missing(struct mm_evlist *l, const char *system, const char *name)
{
	size_t old = strlen(l->missing);
	size_t need = old + strlen(system) + strlen(name) + 3;

	l->missing = mm_realloc(l->missing, need);
	snprintf(l->missing + old, need - old, "%s%s:%s", old ? "," : "", system, name);
}

static void add_if_exists(struct mm_evlist *l, const char *system, const char *name)
{
	if (mm_event_exists(system, name))
		mm_evlist_add(l, system, name);
	else
		add_missing(l, system, name);
}

void mm_evlist_add_syscalls(struct mm_evlist *l, const char *const *calls, size_t n)
{
	char name[64];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "sys_enter_%s", calls[i]);
		add_if_exists(l, "syscalls", name);
		snprintf(name, sizeof(name), "sys_exit_%s", calls[i]);
		add_if_exists(l, "syscalls", name);
	}
}

void mm_evlist_add_set(struct mm_evlist *l, const struct mm_event_spec *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add_if_exists(l, set[i].system, set[i].name);
}

void mm_evlist_build(struct mm_evlist *l)
{
	memset(l, 0, sizeof(*l));
	l->missing = mm_strdup("");
	mm_evlist_add_set(l, mm_event_set, mm_event_set_len);
	mm_evlist_add_syscalls(l, mm_traced_syscalls, mm_traced_syscalls_len);
	mm_evlist_add_syscalls(l, mm_io_syscalls, mm_io_syscalls_len);
}

void mm_evlist_free(struct mm_evlist *l)
{
	free(l->ev);
	free(l->missing);
	memset(l, 0, sizeof(*l));
}

static int write_file(int dir, const char *rel, const char *text)
{
	int fd = openat(dir, rel, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int mm_evlist_enable(struct tracefs_instance *inst, const struct mm_evlist *l)
{
	char *path = tracefs_instance_get_file(inst, "events");
	char rel[160];
	int dir = -1, ret = -1;

	if (!path) {
		mm_error_errno("cannot find the events of instance '%s'",
			       tracefs_instance_get_name(inst));
		goto out;
	}
	dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		mm_error_errno("cannot open '%s'", path);
		goto out;
	}
	for (size_t i = 0; i < l->n; i++) {
		snprintf(rel, sizeof(rel), "%s/%s/enable", l->ev[i].system, l->ev[i].name);
		if (write_file(dir, rel, "1") < 0) {
			mm_error_errno("cannot enable event '%s:%s'", l->ev[i].system,
				       l->ev[i].name);
			goto out;
		}
	}
	ret = 0;
out:
	if (dir >= 0)
		close(dir);
	tracefs_put_tracing_file(path);
	return ret;
}
