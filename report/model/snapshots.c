/*
 * report/model/snapshots.c - the maps snapshots in the model: queued from
 * the trace file (the only place where the model reads the file), replayed
 * in time order with the events (START and EXEC ones load the map, END
 * ones are checked: mapscheck.c), and a maps text loaded as a process's
 * map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/reader.h"
#include "report/model/as-int.h"
#include "report/model/mapsfile.h"

struct mm_as *mm_as_from_file(struct mm_file *f, uint64_t cutoff_ns)
{
	const char *ps = mm_file_machine(f, MM_KEY_PAGE_SIZE);
	struct mm_as *as = mm_as_new(ps ? strtoull(ps, NULL, 10) : 4096, cutoff_ns);

	mm_origin_read(f, &as->origin);
	as_syms_load(as, f);
	as_mapq_load(as, f);
	for (size_t i = 0; i < mm_file_nr_snapshots(f); i++) {
		const struct mm_snapshot *s = mm_file_snapshot(f, i);
		/* the held child's START map is memmon's (files before 0.2) */
		if (as->origin.spawned && s->phase == MM_PHASE_START &&
		    (int32_t)s->pid == as->origin.spawned_pid)
			continue;
		if (s->text)
			mm_as_add_snapshot_kind(as, (int32_t)s->pid, s->kind, s->phase, s->ts,
						s->text);
	}
	return as;
}

void mm_as_add_snapshot_kind(struct mm_as *as, int32_t pid, int kind, int phase,
			     uint64_t ts, const char *text)
{
	if (kind != MM_SNAP_MAPS && kind != MM_SNAP_SMAPS && kind != MM_SNAP_STATUS)
		return;
	MM_GROW(as->snaps, as->nr_snaps, as->cap_snaps, 16);
	as->snaps[as->nr_snaps++] = (struct snap){ pid, kind, phase, ts, text };
	as->snaps_sorted = false;
}

void mm_as_add_snapshot(struct mm_as *as, int32_t pid, int phase, uint64_t ts,
			const char *text)
{
	mm_as_add_snapshot_kind(as, pid, MM_SNAP_MAPS, phase, ts, text);
}

static int snap_cmp(const void *a, const void *b)
{
	const struct snap *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->phase != y->phase)
		return x->phase - y->phase;     /* START, EXEC, END at one instant */
	return x->kind - y->kind;       /* the map before its smaps (same instant) */
}

static void apply_snapshot(struct mm_as *as, const struct snap *s)
{
	struct mm_as_proc *p = mm_as_proc_get(as, s->pid);
	struct mm_region_event by = { .ts = s->ts,
		.how = s->phase == MM_PHASE_EXEC ? MM_HOW_EXEC : MM_HOW_START };

	if (!p->first_ts)
		p->first_ts = s->ts;
	if (s->kind == MM_SNAP_SMAPS) {
		if (s->phase == MM_PHASE_END)
			as_keep_smaps_end(p, s->text);
		else
			as_seed_from_smaps(as, p, s->text);
		return;
	}
	if (s->kind == MM_SNAP_STATUS) {
		if (s->phase == MM_PHASE_END)
			as_keep_status_end(p, s->text);
		else if (!p->comm[0] && !strncmp(s->text, "Name:\t", 6))
			/* a process memmon watch took in: its name then */
			sscanf(s->text + 6, "%15[^\n]", p->comm);
		return;
	}
	if (s->phase == MM_PHASE_END) {
		mm_as_check(as, p, s->text);
	} else if (mm_as_load_maps(as, p, s->text, &by) < 0) {
		p->nr_skipped++;
	} else if (s->phase == MM_PHASE_EXEC && p->nr_deferred) {
		as_flush_deferred(as, p);       /* the execve's faults, on its map */
	}
}

/* Replay queued snapshots taken at or before TS (and not past the cutoff). */
void as_replay_snapshots(struct mm_as *as, uint64_t ts)
{
	if (!as->snaps_sorted && as->nr_snaps) {
		qsort(as->snaps + as->snap_next, as->nr_snaps - as->snap_next,
		      sizeof(*as->snaps), snap_cmp);
		as->snaps_sorted = true;
	}
	if (ts > as->cutoff_abs)
		ts = as->cutoff_abs;
	while (as->snap_next < as->nr_snaps && as->snaps[as->snap_next].ts <= ts)
		apply_snapshot(as, &as->snaps[as->snap_next++]);
}

static void backing_from_name(struct mm_as *as, struct mm_region *r, const char *name)
{
	static const struct { const char *name; enum mm_backing b; } special[] = {
		{ "[heap]", MM_BACK_HEAP }, { "[stack]", MM_BACK_STACK },
		{ "[vdso]", MM_BACK_VDSO }, { "[vvar]", MM_BACK_VVAR },
		{ "[vvar_vclock]", MM_BACK_VVAR },
	};
	r->name = name[0] ? as_intern(as, name) : NULL;
	if (!name[0] || !strncmp(name, "[anon:", 6) ||
	    ((r->flags & MM_REG_SHARED) && !strcmp(name, "/dev/zero (deleted)"))) {
		r->backing = MM_BACK_ANON;
		return;
	}
	if (!strncmp(name, "/SYSV", 5)) {
		r->backing = MM_BACK_SHM;
		return;
	}
	if (name[0] != '[') {
		r->backing = MM_BACK_FILE;
		return;
	}
	r->backing = MM_BACK_SPECIAL;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(name, special[i].name))
			r->backing = special[i].b;
	if (r->backing == MM_BACK_STACK)
		r->flags |= MM_REG_GROWSDOWN;
}

static struct mm_region *region_from_entry(struct mm_as *as, const struct mm_maps_entry *e,
					   const struct mm_region_event *by)
{
	struct mm_region *r = as_region_new(as, e->start, e->end, by);
	r->prot = e->prot;
	r->flags = e->shared ? MM_REG_SHARED : 0;
	r->offset = e->offset;
	r->ino = e->ino;
	r->dev_major = e->dev_major;
	r->dev_minor = e->dev_minor;
	backing_from_name(as, r, e->name);
	if (r->backing != MM_BACK_FILE && r->backing != MM_BACK_SHM)
		r->offset = 0;
	return r;
}

int mm_as_load_maps(struct mm_as *as, struct mm_as_proc *p, const char *text,
		    const struct mm_region_event *by)
{
	struct mm_maps m;
	if (mm_maps_parse(text, strlen(text), &m) < 0)
		return -1;
	as_drop_map(as, p, by);
	for (size_t i = 0; i < m.n; i++) {
		struct mm_region *r = region_from_entry(as, &m.e[i], by);
		if (r->start >= r->end || mm_as_lookup(p, r->start)) {
			free(r);                /* malformed or overlapping line */
			continue;
		}
		if (r->backing == MM_BACK_HEAP) {
			p->brk_start = r->start;
			p->brk_cur = r->end;
		}
		as_map_insert(as, p, r);
	}
	p->have_map = true;
	mm_maps_free(&m);
	return 0;
}
