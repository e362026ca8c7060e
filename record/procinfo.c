/*
 * record/procinfo.c - what /proc says about a running process: its
 * threads, and its status (thread group, parent, user memory, name).
 *
 * The kernel's pid filters, the mapping records and ptrace all work on
 * tasks, not processes, so record lists a process's threads wherever it
 * lets one in (record -p, memmon watch); a process gone meanwhile is no
 * error here, only an empty answer its caller tells apart.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "record/record.h"

pid_t *mm_proc_threads(pid_t pid, size_t *n)
{
	char path[64];
	struct dirent *de;
	size_t cap = 0;
	pid_t *t = NULL;
	DIR *d;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		MM_GROW(t, *n, cap, 8);
		t[(*n)++] = (pid_t)strtol(de->d_name, NULL, 10);
	}
	if (d)
		closedir(d);
	if (!*n) {
		t = mm_malloc(sizeof(*t));
		t[(*n)++] = pid;
	}
	return t;
}

pid_t *mm_proc_threads_all(const pid_t *pids, size_t n, size_t *nt)
{
	pid_t *all = NULL;
	size_t cap = 0;

	*nt = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k;
		pid_t *t = mm_proc_threads(pids[i], &k);
		for (size_t x = 0; x < k; x++) {
			MM_GROW(all, *nt, cap, 16);
			all[(*nt)++] = t[x];
		}
		free(t);
	}
	return all;
}

int mm_proc_status(pid_t pid, struct mm_proc_status *st)
{
	char path[64], *text, *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = mm_read_file(path, NULL);
	if (!text)
		return -1;
	p = strstr(text, "\nTgid:");
	st->tgid = p ? (pid_t)strtol(p + 6, NULL, 10) : pid;
	p = strstr(text, "\nPPid:");
	st->ppid = p ? (pid_t)strtol(p + 6, NULL, 10) : 0;
	st->user = strstr(text, "\nVmSize:") != NULL;
	st->comm[0] = '\0';
	if (!strncmp(text, "Name:\t", 6))
		sscanf(text + 6, "%15[^\n]", st->comm);
	free(text);
	return 0;
}

bool mm_proc_descends(pid_t pid, pid_t ancestor)
{
	struct mm_proc_status st;

	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		if (mm_proc_status(pid, &st) < 0)
			return false;
		if ((pid = st.ppid) == ancestor)
			return true;
	}
	return false;
}
