/*
 * report/model/region.c - one region on its own: its access pattern (the
 * steps between successive first touches, kept online in O(1) per touch)
 * and the names the views print for its backing, creator and permissions.
 */
#include "memmon.h"
#include "report/model/as-int.h"

void as_pattern_touch(struct mm_pattern_state *st, uint64_t vpn, bool very_first)
{
	if (!very_first) {
		int64_t step = (int64_t)(vpn - st->last_vpn);
		st->steps++;
		if (step == 1 || step == -1)
			st->seq++;
		else if (step == st->last_step) {
			st->same++;
			st->stride = step;
		}
		st->last_step = step;
	}
	st->last_vpn = vpn;
}

enum mm_pattern mm_region_pattern(const struct mm_region *r, uint64_t page_size,
				  int64_t *stride)
{
	const struct mm_pattern_state *st = &r->pat;
	uint64_t pages = mm_region_size(r) / (page_size ? page_size : 4096);
	bool few = r->nr_touched * 8 < pages;

	if (stride)
		*stride = 0;
	if (r->nr_touched == 0)
		return MM_PAT_NONE;
	/* three quarters of the steps decide; a lone step proves little */
	if (st->steps && st->seq * 4 >= st->steps * 3)
		return MM_PAT_SEQUENTIAL;
	if (st->steps >= 2 && (st->same + 1) * 4 >= st->steps * 3) {
		if (stride)
			*stride = st->stride;
		return MM_PAT_STRIDED;
	}
	/* a handful of pages: adjacent ones (or one) read as sequential,
	 * scattered ones as sparse, never as "random" */
	if (r->nr_touched < 4 && !few && st->seq == st->steps)
		return MM_PAT_SEQUENTIAL;
	if (few || r->nr_touched < 4)
		return MM_PAT_SPARSE;
	return st->steps ? MM_PAT_RANDOM : MM_PAT_SEQUENTIAL;
}

const char *mm_pattern_name(enum mm_pattern p)
{
	static const char *const names[MM_PAT_NR] = {
		"-", "sequential", "strided", "sparse", "random",
	};
	return (unsigned)p < MM_PAT_NR ? names[p] : "?";
}

const char *mm_backing_name(enum mm_backing b)
{
	static const char *const names[MM_BACK_NR] = {
		"anon", "file", "heap", "stack", "vdso", "vvar", "shm", "special",
	};
	return (unsigned)b < MM_BACK_NR ? names[b] : "?";
}

const char *mm_region_label(const struct mm_region *r)
{
	if (r->name)
		return r->name;
	switch (r->backing) {
	case MM_BACK_HEAP: return "[heap]";
	case MM_BACK_STACK: return "[stack]";
	case MM_BACK_VDSO: return "[vdso]";
	case MM_BACK_VVAR: return "[vvar]";
	default: return "";
	}
}

const char *mm_region_how_name(const struct mm_region_event *e)
{
	static const char *const names[MM_HOW_NR] = {
		"live", "start", "exec", "syscall", "fork", "fault", "exit", "merge",
	};
	if (e->how == MM_HOW_SYSCALL)
		return mm_syscall_name(e->sys);
	return e->how < MM_HOW_NR ? names[e->how] : "?";
}

void mm_region_perms(const struct mm_region *r, char buf[5])
{
	buf[0] = r->prot & MM_PROT_R ? 'r' : '-';
	buf[1] = r->prot & MM_PROT_W ? 'w' : '-';
	buf[2] = r->prot & MM_PROT_X ? 'x' : '-';
	buf[3] = r->flags & MM_REG_SHARED ? 's' : 'p';
	buf[4] = '\0';
}
