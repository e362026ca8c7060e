/*
 * plugins/notes.c - trace_marker writes (ftrace:print): record's own notes
 * in the ring, and the phase markers of the traced programs.
 *
 * One kind today: "memmon execve TID PATH", the path an execve of task TID
 * was called with, read by record (record/target.c) at the call's entry,
 * before the kernel's sys_enter_execve (which has only the address) in the
 * same ring.  The note waits here for that task's next execve entry
 * (syscalls.c takes it with mm_plugin_exec_note_take).
 *
 * Anything else written to the marker is the program's: a phase marker
 * (record --markers=trace_marker), emitted as MM_EV_MARKER with the
 * writer's task.  The kernel does not pid-filter these writes, and with
 * copy_trace_marker every write to the top-level trace_marker is copied
 * in, so report keeps only those of the trace's own tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event-parse.h>

#include "plugin.h"

#define EXEC_NOTE "memmon execve "

/* A write of the program's own: a phase marker (record --markers). */
static int user_marker(struct mm_event *ev, const char *buf, size_t len)
{
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	ev->kind = MM_EV_MARKER;
	ev->marker.truncated = len > MM_MARKER_TEXT - 1;
	if (ev->marker.truncated)
		len = MM_MARKER_TEXT - 1;
	memcpy(ev->marker.text, buf, len);
	ev->marker.text[len] = '\0';
	ev->marker.len = (uint16_t)len;
	return MM_PLUGIN_EMIT;
}

static int on_print(struct mm_decoder *d, const struct mm_plugin_slot *s,
		    const uint8_t *data, uint32_t size, struct mm_task *t,
		    struct mm_event *ev)
{
	(void)t;
	uint32_t off = s->f[0].offset;
	if (off >= size)
		return MM_PLUGIN_DROP;
	const char *buf = (const char *)data + off;
	size_t len = strnlen(buf, size - off);
	size_t plen = strlen(EXEC_NOTE);
	if (len <= plen || memcmp(buf, EXEC_NOTE, plen))
		return user_marker(ev, buf, len);
	char tmp[24];
	size_t i = plen, n = 0;
	while (i < len && buf[i] >= '0' && buf[i] <= '9' && n < sizeof(tmp) - 1)
		tmp[n++] = buf[i++];
	tmp[n] = '\0';
	if (!n || i >= len || buf[i] != ' ')
		return user_marker(ev, buf, len);
	i++;
	size_t end = len;
	while (end > i && (buf[end - 1] == '\n' || buf[end - 1] == '\0'))
		end--;
	struct mm_exec_note *note = &d->exec_notes[d->next_exec_note++ % MM_EXEC_NOTES];
	note->tid = (int32_t)strtol(tmp, NULL, 10);
	size_t pl = end - i < sizeof(note->path) - 1 ? end - i : sizeof(note->path) - 1;
	memcpy(note->path, buf + i, pl);
	note->path[pl] = '\0';
	return MM_PLUGIN_DROP;
}

bool mm_plugin_exec_note_take(struct mm_decoder *d, int32_t tid, char *dst, size_t len)
{
	for (size_t k = 0; k < MM_EXEC_NOTES; k++) {
		struct mm_exec_note *note = &d->exec_notes[k];
		if (note->tid != tid || !note->tid)
			continue;
		snprintf(dst, len, "%s", note->path);
		note->tid = 0;
		return true;
	}
	return false;
}

int mm_plugin_notes_init(struct mm_decoder *d)
{
	struct tep_event *e = tep_find_event_by_name(d->tep, "ftrace", "print");
	struct tep_format_field *f = e ? tep_find_field(e, "buf") : NULL;
	if (!f || f->offset < 0 || f->offset > 0xffff)
		return 0;                /* optional: not every trace has notes */
	struct mm_plugin_slot *s = mm_plugin_bind(d, e, on_print);
	if (!s)
		return 0;
	s->f[0].offset = (uint16_t)f->offset;
	s->f[0].size = 0;
	/* a write() of the task: it ends the task's held fault */
	s->settles = true;
	return 0;
}
