/*
 * report/analyses/sites.c - fault sites and map sites (sites.h).
 *
 * Both lists are keyed through small open-addressing tables: a fault site
 * by what its code resolved to (interned module and function pointers, or
 * the address where no function holds it), a map site by the model's
 * stack id.  "Regions touched" is a set of (site, region lineage) pairs.
 * Everything is O(1) per event besides the model's own lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/sites.h"
#include "report/model/addrspace.h"
#include "report/model/symbols.h"

/* u64 key -> u32 value (keys are never UINT64_MAX). */
struct table {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

#define EMPTY UINT64_MAX

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static void table_grow(struct table *t)
{
	struct table o = *t;

	t->cap = o.cap ? 2 * o.cap : 256;
	t->keys = mm_malloc(t->cap * sizeof(*t->keys));
	t->vals = mm_malloc(t->cap * sizeof(*t->vals));
	memset(t->keys, 0xff, t->cap * sizeof(*t->keys));
	t->n = 0;
	for (size_t i = 0; i < o.cap; i++) {
		if (o.keys[i] == EMPTY)
			continue;
		size_t h = mix(o.keys[i]) & (t->cap - 1);
		while (t->keys[h] != EMPTY)
			h = (h + 1) & (t->cap - 1);
		t->keys[h] = o.keys[i];
		t->vals[h] = o.vals[i];
		t->n++;
	}
	free(o.keys);
	free(o.vals);
}

/* The slot of KEY (inserted with value NEW_VAL if absent); *FOUND says. */
static uint32_t *table_get(struct table *t, uint64_t key, uint32_t new_val, bool *found)
{
	if ((t->n + 1) * 2 > t->cap)
		table_grow(t);
	size_t h = mix(key) & (t->cap - 1);
	while (t->keys[h] != EMPTY && t->keys[h] != key)
		h = (h + 1) & (t->cap - 1);
	*found = t->keys[h] == key;
	if (!*found) {
		t->keys[h] = key;
		t->vals[h] = new_val;
		t->n++;
	}
	return &t->vals[h];
}

static void table_free(struct table *t)
{
	if (!t)
		return;
	free(t->keys);
	free(t->vals);
	free(t);
}

static bool wanted(const struct mm_sites *s, int32_t pid, int32_t tgid)
{
	if (!s->nr_pids)
		return true;
	for (size_t i = 0; i < s->nr_pids; i++)
		if (s->pids[i] == pid || (tgid && s->pids[i] == tgid))
			return true;
	return false;
}

static uint64_t code_key(const struct mm_fault_site *f)
{
	uint64_t k = (uintptr_t)f->module * 31 + (uintptr_t)f->func;

	k = k * 31 + (uintptr_t)f->special;
	k = k * 31 + (uintptr_t)f->syscall;
	return mix(k * 31 + (f->func ? 0 : f->off)) & ~(1ull << 63);
}

static bool same_site(const struct mm_fault_site *a, const struct mm_fault_site *b)
{
	return a->module == b->module && a->func == b->func && a->special == b->special &&
	       a->syscall == b->syscall && (a->func || a->off == b->off);
}

/* The site of key K like WANT: found or appended.  A hash collision of two
 * different sites falls back to a scan (never seen, but correct). */
static size_t fault_site(struct mm_sites *s, const struct mm_fault_site *want)
{
	bool found;
	uint32_t *v = table_get(s->fault_idx, code_key(want), (uint32_t)s->nr_fault, &found);

	if (found && same_site(&s->fault[*v], want))
		return *v;
	if (found)
		for (size_t i = 0; i < s->nr_fault; i++)
			if (same_site(&s->fault[i], want))
				return i;
	MM_GROW(s->fault, s->nr_fault, s->cap_fault, 32);
	s->fault[s->nr_fault] = *want;
	return s->nr_fault++;
}

static size_t map_site(struct mm_sites *s, uint32_t stack)
{
	bool found;
	uint32_t *v = table_get(s->map_idx, stack, (uint32_t)s->nr_map, &found);

	if (found)
		return *v;
	MM_GROW(s->map, s->nr_map, s->cap_map, 32);
	s->map[s->nr_map] = (struct mm_map_site){ .stack = stack };
	return s->nr_map++;
}

static void on_fault(void *ctx, struct mm_as_proc *p, struct mm_region *r,
		     const struct mm_event *ev, bool first)
{
	struct mm_sites *s = ctx;
	const struct mm_fault *f = &ev->fault;
	struct mm_fault_site want = { 0 };
	struct mm_code c;

	if (!wanted(s, ev->pid, ev->tgid ? ev->tgid : p->tgid))
		return;
	if (f->kernel) {
		want.special = "[kernel]";
		want.syscall = f->sys != MM_SYSCALL_NONE ? mm_syscall_raw_name(f->sys) : NULL;
	} else if (mm_as_code(s->as, p, f->ip, &c)) {
		want.module = c.module;
		want.func = c.func;
		want.special = c.special;
		want.off = c.func ? 0 : c.off;
		want.addr = c.func ? c.func_addr : c.off;
		want.no_fp = c.no_fp;
	} else {
		want.special = "[unknown]";
		want.off = f->ip;
	}
	size_t i = fault_site(s, &want);
	struct mm_fault_site *fs = &s->fault[i];
	s->faults++;
	fs->faults++;
	if (f->class < MM_FAULT_NR)
		fs->by_class[f->class]++;
	if (f->access < MM_ACCESS_NR)
		fs->by_access[f->access]++;
	fs->pages += first;
	if (r) {
		bool found;
		table_get(s->touched, (uint64_t)i << 32 | r->origin_id, 0, &found);
		fs->regions += !found;
		/* what the mapping's maker's region went on to take */
		if (r->origin.how == MM_HOW_SYSCALL) {
			size_t mi = map_site(s, r->origin_stack);
			struct mm_map_site *ms = &s->map[mi];
			ms->faults++;
			ms->pages += first;
		}
	}
}

void mm_sites_init(struct mm_sites *s, struct mm_as *as, const int32_t *pids, size_t nr)
{
	static const struct mm_as_hooks hooks = { .fault = on_fault };

	memset(s, 0, sizeof(*s));
	s->as = as;
	s->pids = pids;
	s->nr_pids = nr;
	s->fault_idx = mm_calloc(1, sizeof(struct table));
	s->map_idx = mm_calloc(1, sizeof(struct table));
	s->touched = mm_calloc(1, sizeof(struct table));
	s->brk = mm_calloc(1, sizeof(struct table));
	mm_as_add_hooks(as, &hooks, s);
}

/* Calls about processes, not mappings: no map site. */
static bool map_call(unsigned nr)
{
	return nr != MM_SYS_EXECVE && nr != MM_SYS_EXIT_GROUP && nr != MM_SYS_CLONE &&
	       nr != MM_SYS_CLONE3 && nr != MM_SYS_FORK && nr != MM_SYS_VFORK &&
	       nr != MM_SYS_FSYNC && nr < MM_SYS_NR;
}

static uint64_t page_up(const struct mm_sites *s, uint64_t v)
{
	uint64_t ps = mm_as_page_size(s->as);
	return (v + ps - 1) & ~(ps - 1);
}

void mm_sites_count_stack(struct mm_stack_counts *c, const struct mm_as *as,
			  const struct mm_event *ev)
{
	if (as && ev->kind == MM_EV_SYSCALL && map_call(ev->sys.nr))
		mm_stack_count(c, mm_as_stack(as, mm_as_current_stack(as)));
}

void mm_sites_event(struct mm_sites *s, const struct mm_event *ev)
{
	const struct mm_syscall *c = &ev->sys;
	int32_t tgid = ev->tgid ? ev->tgid : mm_as_tgid_of(s->as, ev->pid);

	if (ev->kind != MM_EV_SYSCALL || !map_call(c->nr) || !wanted(s, ev->pid, tgid))
		return;
	uint32_t stack = mm_as_current_stack(s->as);
	const struct mm_stack *st = mm_as_stack(s->as, stack);
	size_t mi = map_site(s, stack);      /* may move s->map */
	struct mm_map_site *m = &s->map[mi];
	bool ok = c->has_ret && !(c->ret < 0 && c->ret >= -4095);

	s->calls++;
	mm_stack_count(&s->stacks, st);
	m->calls++;
	m->by_sys[c->nr]++;
	if (!ok) {
		m->failed += c->has_ret;
		return;
	}
	switch (c->nr) {
	case MM_SYS_MMAP:
		m->mapped += page_up(s, c->args[1]);
		break;
	case MM_SYS_MUNMAP:
		m->unmapped += page_up(s, c->args[1]);
		break;
	case MM_SYS_MREMAP:
		if (c->args[2] > c->args[1])
			m->mapped += page_up(s, c->args[2]) - page_up(s, c->args[1]);
		else
			m->unmapped += page_up(s, c->args[1]) - page_up(s, c->args[2]);
		break;
	case MM_SYS_BRK: {
		bool found;
		uint32_t *ix = table_get(s->brk, (uint64_t)(uint32_t)tgid, (uint32_t)s->nr_brk, &found);
		uint64_t now = (uint64_t)c->ret;
		if (!found) {
			MM_GROW(s->brk_val, s->nr_brk, s->cap_brk, 16);
			s->brk_val[s->nr_brk++] = now;     /* the first: where it starts */
		}
		uint64_t *last = &s->brk_val[*ix];
		if (now > *last)
			m->brk_up += now - *last;
		else
			m->brk_down += *last - now;
		*last = now;
		break;
	}
	default:
		break;
	}
}

/* Sorting: the key, then a stable order (module, function, address);
 * addr: module, then where the code starts in it. */
static enum mm_regions_sort sort_key;

static int cmp_name(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_fault(const void *pa, const void *pb)
{
	const struct mm_fault_site *a = pa, *b = pb;
	uint64_t x = sort_key == MM_SORT_SIZE ? a->pages : a->faults;
	uint64_t y = sort_key == MM_SORT_SIZE ? b->pages : b->faults;
	int c;

	if (sort_key != MM_SORT_ADDR && x != y)
		return x > y ? -1 : 1;
	if ((c = cmp_name(a->module ? a->module : a->special, b->module ? b->module : b->special)))
		return c;
	if (sort_key == MM_SORT_ADDR && a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if ((c = cmp_name(a->func, b->func)) || (c = cmp_name(a->syscall, b->syscall)))
		return c;
	return a->off < b->off ? -1 : a->off > b->off;
}

static struct mm_as *sort_as;

static int cmp_map(const void *pa, const void *pb)
{
	const struct mm_map_site *a = pa, *b = pb;
	uint64_t x = sort_key == MM_SORT_SIZE ? a->mapped + a->brk_up :
		     sort_key == MM_SORT_FAULTS ? a->faults : 0;
	uint64_t y = sort_key == MM_SORT_SIZE ? b->mapped + b->brk_up :
		     sort_key == MM_SORT_FAULTS ? b->faults : 0;

	if (x != y)
		return x > y ? -1 : 1;
	if (a->calls != b->calls && sort_key != MM_SORT_ADDR)
		return a->calls > b->calls ? -1 : 1;
	const struct mm_stack *sa = mm_as_stack(sort_as, a->stack);
	const struct mm_stack *sb = mm_as_stack(sort_as, b->stack);
	if (!sa || !sb)
		return !sa - !sb;
	int c = cmp_name(sa->code[0].module, sb->code[0].module);
	if (c)
		return c;
	if (sa->pc[0] != sb->pc[0])
		return sa->pc[0] < sb->pc[0] ? -1 : 1;
	return a->stack < b->stack ? -1 : a->stack > b->stack;
}

void mm_sites_sort(struct mm_sites *s, enum mm_regions_sort key)
{
	sort_key = key;
	sort_as = s->as;
	if (s->nr_fault)
		qsort(s->fault, s->nr_fault, sizeof(*s->fault), cmp_fault);
	if (s->nr_map)
		qsort(s->map, s->nr_map, sizeof(*s->map), cmp_map);
	/* the tables index the old order: none is used after sorting */
	table_free(s->fault_idx);
	table_free(s->map_idx);
	s->fault_idx = s->map_idx = NULL;
}

void mm_sites_free(struct mm_sites *s)
{
	table_free(s->fault_idx);
	table_free(s->map_idx);
	table_free(s->touched);
	table_free(s->brk);
	free(s->brk_val);
	free(s->fault);
	free(s->map);
	memset(s, 0, sizeof(*s));
}
