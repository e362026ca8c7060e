/*
 * report/model/origin.c - whom a trace is of (origin.h): MACHINE's
 * command, pids and attached.PID values, the START status snapshots of
 * attached processes, the span of the system snapshots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/reader.h"
#include "report/model/origin.h"

/* "Name:\tsleep\n" of a status text into COMM. */
static void status_name(const char *text, char comm[16])
{
	const char *p = !strncmp(text, "Name:", 5) ? text : strstr(text, "\nName:");
	if (!p)
		return;
	p += *p == '\n' ? 6 : 5;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, "\n");
	if (n > 15)
		n = 15;
	memcpy(comm, p, n);
	comm[n] = '\0';
}

/* MACHINE attached.PID = "AGE_S EXE" (record -p). */
static void read_attached(struct mm_file *f, struct mm_attached *a)
{
	char key[48];
	snprintf(key, sizeof(key), "%s%d", MM_KEY_ATTACHED_PREFIX, (int)a->pid);
	const char *v = mm_file_machine(f, key);
	if (!v)
		return;
	char *end;
	double age = strtod(v, &end);
	if (end != v && age >= 0 && age < 1e12) {
		a->have_age = true;
		a->age_s = age;
	}
	while (*end == ' ')
		end++;
	snprintf(a->exe, sizeof(a->exe), "%s", end);
}

void mm_origin_read(struct mm_file *f, struct mm_origin *o)
{
	const char *cmd = mm_file_machine(f, MM_KEY_COMMAND);
	const char *pids = mm_file_machine(f, MM_KEY_PIDS);
	size_t cap = 0;

	memset(o, 0, sizeof(*o));
	if (cmd && pids && *pids) {
		if (strncmp(cmd, "-p ", 3)) {
			o->spawned = true;
			o->held = true;
			o->spawned_pid = (int32_t)strtol(pids, NULL, 10);
		} else {
			for (const char *p = pids; *p; ) {
				char *end;
				long v = strtol(p, &end, 10);
				if (end == p || v <= 0 || v > INT32_MAX)
					break;
				MM_GROW(o->attached, o->nr_attached, cap, 4);
				struct mm_attached *a = &o->attached[o->nr_attached++];
				memset(a, 0, sizeof(*a));
				a->pid = (int32_t)v;
				read_attached(f, a);
				p = *end == ',' ? end + 1 : end;
				if (*end && *end != ',')
					break;
			}
		}
	}
	for (size_t i = 0; i < mm_file_nr_snapshots(f); i++) {
		const struct mm_snapshot *s = mm_file_snapshot(f, i);
		if (s->pid == 0 && s->kind == MM_SNAP_MEMINFO) {
			if (s->phase == MM_PHASE_START && (!o->have_span || s->ts < o->start_ts))
				o->start_ts = s->ts;
			if (s->phase == MM_PHASE_END && s->ts > o->end_ts)
				o->end_ts = s->ts;
			o->have_span = true;
		}
		if (s->kind == MM_SNAP_STATUS && s->phase == MM_PHASE_START && s->text)
			for (size_t k = 0; k < o->nr_attached; k++)
				if ((uint32_t)o->attached[k].pid == s->pid)
					status_name(s->text, o->attached[k].comm);
	}
	if (o->end_ts < o->start_ts)
		o->have_span = false;
}

void mm_origin_free(struct mm_origin *o)
{
	free(o->attached);
	memset(o, 0, sizeof(*o));
}

bool mm_origin_keep(struct mm_origin *o, const struct mm_event *ev)
{
	if (!o->held || ev->pid != o->spawned_pid)
		return true;
	/* the execve that starts CMD is CMD's first event: what the kernel
	 * does in it (the new program's mm) is CMD's */
	if ((ev->kind == MM_EV_SYSCALL && ev->sys.nr == MM_SYS_EXECVE) || ev->kind == MM_EV_EXEC) {
		o->held = false;
		return true;
	}
	return false;
}

const struct mm_attached *mm_origin_attached(const struct mm_origin *o, int32_t pid)
{
	for (size_t i = 0; i < o->nr_attached; i++)
		if (o->attached[i].pid == pid)
			return &o->attached[i];
	return NULL;
}
