/*
 * report/analyses/findings-mmap.c - findings about mmapped memory: chunks
 * served by mmap and returned by munmap (mmap-threshold), glibc's moving
 * threshold (dynamic-threshold), the same size mapped over and over
 * (mmap-churn), big mappings barely touched (overcommit) and fresh chunks
 * first touched by malloc's header write (chunk-header).
 *
 * We watch mappings that look like malloc's: mmap(NULL, len, PROT_READ|
 * PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) of at least 128 KiB, which
 * is how sysmalloc asks (and the minimum threshold); and any private
 * writable anonymous mapping of 16 MiB or more, for overcommit.  A watched
 * mapping ends when munmap names exactly its range (a "pair": free() of an
 * mmapped chunk) or when anything else cuts into it.  Pages touched come
 * from the address-space model's first-touch flag.
 *
 * Other allocators ask the same way (Python's obmalloc maps its 1 MiB
 * arenas so), so a mapping counts as malloc's only when malloc's own
 * header write touched it first, and a size only when its mappings nearly
 * all were (findings-int.h, struct fsize): the malloc findings speak of
 * malloc's mappings only.  Churn is a size mapped again after one of that
 * size was unmapped, round after round; buffers mapped, held and freed
 * once are not churn, however many.
 *
 * The dynamic threshold is modelled as glibc 2.36 does it (malloc.c,
 * __libc_free): freeing an mmapped chunk larger than the threshold and no
 * larger than 32 MiB sets the threshold to the chunk's size (= the mapping's
 * length) and the trim threshold to twice that.
 *
 * With record --malloc's calls the heap model (report/model/heap.h) names
 * the call each mapping was made for and the free behind each munmap, so
 * the findings say which request crossed the threshold (the smallest
 * served by a mapping of its own), which free raised it and which call the
 * heap then grew for.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "memmon.h"
#include "report/model/heap.h"
#include "report/analyses/findings-int.h"

static const char explain_thr[] =
	"glibc's malloc serves a request at or over its mmap threshold (128 KiB "
	"at first) with a mapping of its own, and free() gives it straight back "
	"with munmap. Each such allocation costs two syscalls and a fault for "
	"every page touched, however often the same size comes back.";
static const char explain_dyn[] =
	"When free() returns an mmapped chunk bigger than the mmap threshold (and "
	"at most 32 MiB), glibc raises the threshold to that chunk's size and the "
	"trim threshold to twice that: later requests below it come from the heap "
	"instead, which grows by brk.";
static const char explain_churn_fixed[] =
	"malloc mapped the same size again after freeing one, round after round: "
	"each round is an mmap, a munmap and fresh page faults, because glibc "
	"never keeps a freed mmapped chunk. Its dynamic threshold would have moved "
	"this size to the heap after the first free; it does not move when "
	"M_MMAP_THRESHOLD was set (mallopt or GLIBC_TUNABLES), as here it must "
	"have been at this size or below.";
static const char tune_churn_fixed[] =
	"set M_MMAP_THRESHOLD above this size (mallopt(M_MMAP_THRESHOLD, ...) or "
	"GLIBC_TUNABLES=glibc.malloc.mmap_threshold=BYTES), or do not set it at all, "
	"so the size comes from the heap, with M_TRIM_THRESHOLD/M_TOP_PAD large "
	"enough that the heap keeps it; or keep the buffer and reuse it";
static const char explain_churn_big[] =
	"malloc mapped the same size again after freeing one, round after round: "
	"each round is an mmap, a munmap and fresh page faults, because glibc "
	"never keeps a freed mmapped chunk. The size is over the 32 MiB that the "
	"mmap threshold can reach, so no threshold setting moves it to the heap.";
static const char tune_churn_big[] =
	"keep the buffer and reuse it (allocate once, or a pool); or make malloc use "
	"the heap for every size with M_MMAP_MAX=0 (mallopt(M_MMAP_MAX, 0) or "
	"GLIBC_TUNABLES=glibc.malloc.mmap_max=0) and a M_TRIM_THRESHOLD above it";
static const char explain_oc[] =
	"Linux overcommits: mmap reserves address space, and a page gets memory "
	"only when first touched. These mappings were mostly never touched. "
	"That is cheap, but it is a promise: with vm.overcommit_memory=2 or a "
	"tight RLIMIT_AS the same request fails with ENOMEM.";
static const char tune_oc[] =
	"map only what will be used, or use MAP_NORESERVE for sparse reservations "
	"so the commit charge stays honest";
static const char explain_hdr[] =
	"malloc writes each chunk's 16-byte header (prev_size, size) at its start, "
	"so the first touch of a fresh mmapped chunk is malloc's own write, not "
	"the program's: the chunk's first page costs a fault even when the "
	"program never uses it.";

/* Index of the first watched mapping with addr >= A. */
static size_t lower(const struct fmmap *m, uint64_t a)
{
	return MM_PARTITION_POINT(m->nr, i, m->t[i].addr < a);
}

static struct fmap *containing(struct fmmap *m, uint64_t a)
{
	size_t i = lower(m, a + 1);
	if (!i)
		return NULL;
	struct fmap *t = &m->t[i - 1];
	return a - t->addr < t->len ? t : NULL;
}

/* Was T first touched by malloc's header write (a write in its first 16
 * bytes), as every mapping malloc makes for a chunk is? */
static bool malloc_made(const struct fmap *t)
{
	return t->header_first;
}

/* Are Z's mappings malloc's: nearly all first touched by a header write? */
static bool size_is_malloc(const struct fsize *z)
{
	return z->by_malloc && z->not_malloc * MM_FIND_MALLOC_SHARE <= z->by_malloc + z->not_malloc;
}

static void note_big(struct mm_findings *fs, struct fmmap *m, const struct fmap *t)
{
	uint64_t pages = t->len / fs->page_size;
	if (t->len < MM_FIND_BIG_BYTES || t->remapped || t->touched * MM_FIND_BIG_RATIO > pages)
		return;
	m->big++;
	m->big_bytes += t->len;
	m->big_pages += pages;
	m->big_touched += t->touched;
	if (m->nr_big_ev < 4)
		m->big_ev[m->nr_big_ev++] = t->map_ev;
}

static struct fsize *size_get(struct fmmap *m, uint64_t len);

/* A malloc-shaped mapping retired: which allocator made it. */
static void note_maker(struct fmmap *m, const struct fmap *t)
{
	if (!t->malloc_like)
		return;
	struct fsize *z = size_get(m, t->len);
	if (!malloc_made(t)) {
		z->not_malloc++;
		return;
	}
	z->by_malloc++;
	if (t->touched == 1)
		z->header_only++;
	/* the two earliest (mappings retire in no time order) */
	if (z->nr_header_ev < 2) {
		z->header_ev[z->nr_header_ev++] = t->first;
	} else {
		unsigned late = z->header_ev[0].ts > z->header_ev[1].ts ? 0 : 1;
		if (t->first.ts < z->header_ev[late].ts)
			z->header_ev[late] = t->first;
	}
	if (z->nr_header_ev == 2 && z->header_ev[0].ts > z->header_ev[1].ts) {
		struct mm_find_ev e = z->header_ev[0];
		z->header_ev[0] = z->header_ev[1];
		z->header_ev[1] = e;
	}
}

static struct fsize *size_get(struct fmmap *m, uint64_t len)
{
	for (size_t i = 0; i < m->nr_sz; i++)
		if (m->sz[i].len == len)
			return &m->sz[i];
	MM_GROW(m->sz, m->nr_sz, m->cap_sz, 8);
	struct fsize *z = &m->sz[m->nr_sz++];
	memset(z, 0, sizeof(*z));
	z->len = len;
	return z;
}

/* free() of an mmapped chunk (FREE: the call, when known): count the
 * pair and move the threshold. */
static void note_pair(const struct mm_findings *fs, struct fmmap *m, const struct fmap *t,
		      const struct mm_event *unmap, const struct mm_find_ev *free)
{
	struct fsize *z = size_get(m, t->len);
	struct mm_find_ev u;
	fnd_ev_from(fs, &u, unmap);
	if (!z->pairs) {
		z->first_ts = t->map_ev.ts;
		z->ev[0] = t->map_ev;
		z->ev[1] = u;
		if (t->have_req)
			z->req = t->req;
		if (free)
			z->fre = *free;
	}
	if (t->have_req) {
		m->reqs++;
		if (m->min_req.kind != MM_EV_HEAP || t->req.args[0] < m->min_req.args[0])
			m->min_req = t->req;
	}
	z->ev[2] = t->map_ev;
	z->ev[3] = u;
	z->pairs++;
	z->faults += t->faults;
	z->touched += t->touched;
	z->last_ts = unmap->ts;
	/* glibc's free() of a chunk of its own moves its threshold; another
	 * allocator's munmap does not */
	if (malloc_made(t) && size_is_malloc(z) && t->len > m->threshold &&
	    t->len <= MM_GLIBC_THRESHOLD_MAX) {
		m->raise_from = m->threshold;
		m->threshold = t->len;
		m->raises++;
		m->raised = true;
		m->raise_ev = u;
		memset(&m->raise_free, 0, sizeof(m->raise_free));
		memset(&m->raise_req, 0, sizeof(m->raise_req));
		m->raise_free.kind = m->raise_req.kind = MM_EV_NR;
		if (free)
			m->raise_free = *free;
		if (t->have_req)
			m->raise_req = t->req;
	}
}

/* Stop watching T (index I): PAIR is its munmap (FREE its free, or NULL),
 * or NULL when it was cut, moved over, exec'd away or is still there at
 * the end. */
static void retire(struct mm_findings *fs, struct fmmap *m, size_t i,
		   const struct mm_event *pair, const struct mm_find_ev *free)
{
	struct fmap t = m->t[i];
	memmove(&m->t[i], &m->t[i + 1], (m->nr - i - 1) * sizeof(*m->t));
	m->nr--;
	note_maker(m, &t);
	note_big(fs, m, &t);
	if (pair && t.malloc_like)
		note_pair(fs, m, &t, pair, free);
}

/* Retire every watched mapping overlapping [lo, hi); EXACT_EV: the munmap
 * whose range equals one of them exactly (that one is a pair; FREE its
 * free, or NULL). */
static void retire_range(struct mm_findings *fs, struct fmmap *m, uint64_t lo, uint64_t hi,
			 const struct mm_event *exact_ev, const struct mm_find_ev *free)
{
	size_t i = lower(m, lo);
	if (i && m->t[i - 1].addr + m->t[i - 1].len > lo)
		i--;
	while (i < m->nr && m->t[i].addr < hi) {
		bool exact = m->t[i].addr == lo && m->t[i].addr + m->t[i].len == hi;
		retire(fs, m, i, exact ? exact_ev : NULL, exact ? free : NULL);
	}
}

static void watch(struct fmmap *m, const struct fmap *t)
{
	if (m->nr >= MM_FIND_MAX_TRACKED) {
		m->untracked++;
		return;
	}
	MM_GROW(m->t, m->nr, m->cap, 16);
	size_t i = lower(m, t->addr);
	memmove(&m->t[i + 1], &m->t[i], (m->nr - i) * sizeof(*m->t));
	m->t[i] = *t;
	m->nr++;
}

static void on_mmap(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev)
{
	const uint64_t *a = ev->sys.args;
	uint64_t addr = (uint64_t)ev->sys.ret, len = fnd_page_up(fs, a[1]);
	unsigned prot = (unsigned)a[2], flags = (unsigned)a[3];
	retire_range(fs, &p->mm, addr, addr + len, NULL, NULL);   /* MAP_FIXED over them */
	bool anon_priv = (flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE &&
		!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_STACK | MAP_GROWSDOWN)) &&
		(prot & PROT_WRITE);
	bool malloc_like = anon_priv && !a[0] && prot == (PROT_READ | PROT_WRITE) &&
		flags == (MAP_PRIVATE | MAP_ANONYMOUS) && len >= MM_GLIBC_MMAP_THRESHOLD;
	if (!malloc_like && !(anon_priv && len >= MM_FIND_BIG_BYTES))
		return;
	struct fmap t = { .addr = addr, .len = len, .malloc_like = malloc_like };
	fnd_ev_from(fs, &t.map_ev, ev);
	if (malloc_like) {
		struct fsize *z = size_get(&p->mm, len);
		z->maps++;
		if (z->pairs)          /* mapped again after one was unmapped */
			z->remaps++;
	}
	watch(&p->mm, &t);
}

static void on_mremap(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev)
{
	const uint64_t *a = ev->sys.args;
	uint64_t to = (uint64_t)ev->sys.ret, new_len = fnd_page_up(fs, a[2]);
	struct fmmap *m = &p->mm;
	size_t i = lower(m, a[0]);
	if (i < m->nr && m->t[i].addr == a[0]) {
		struct fmap t = m->t[i];         /* realloc of an mmapped chunk */
		memmove(&m->t[i], &m->t[i + 1], (m->nr - i - 1) * sizeof(*m->t));
		m->nr--;
		retire_range(fs, m, to, to + new_len, NULL, NULL);
		t.addr = to;
		t.len = new_len;
		t.remapped = true;
		watch(m, &t);
		return;
	}
	retire_range(fs, m, a[0], a[0] + fnd_page_up(fs, a[1]), NULL, NULL);
	retire_range(fs, m, to, to + new_len, NULL, NULL);
}

void fmmap_syscall(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		   const struct mm_find_ev *free)
{
	const struct mm_syscall *s = &ev->sys;
	if (!s->has_ret || fnd_failed(s))
		return;
	switch (s->nr) {
	case MM_SYS_MMAP: on_mmap(fs, p, ev); break;
	case MM_SYS_MUNMAP:
		retire_range(fs, &p->mm, s->args[0], s->args[0] + fnd_page_up(fs, s->args[1]), ev,
			     free);
		break;
	case MM_SYS_MREMAP: on_mremap(fs, p, ev); break;
	case MM_SYS_EXECVE: retire_range(fs, &p->mm, 0, UINT64_MAX, NULL, NULL); break;
	default: break;
	}
}

void fmmap_fault(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		 bool first)
{
	(void)fs;
	struct fmap *t = containing(&p->mm, ev->fault.addr);
	if (!t)
		return;
	t->faults++;
	if (first)
		t->touched++;
	if (!t->have_first) {
		t->have_first = true;
		t->header_first = ev->fault.access == MM_ACCESS_W &&
				  ev->fault.addr - t->addr < MM_GLIBC_HEADER_LEN;
		fnd_ev_from(fs, &t->first, ev);
	}
}

void fmmap_call(const struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		const struct mm_heap_note *note)
{
	struct fmmap *m = &p->mm;

	for (unsigned i = 0; note && i < note->nr_caused; i++) {
		if (note->caused[i].nr == MM_SYS_MMAP) {
			/* the mapping made for this call */
			size_t k = lower(m, note->caused[i].addr);
			if (k < m->nr && m->t[k].addr == note->caused[i].addr) {
				m->t[k].have_req = true;
				fnd_ev_from(fs, &m->t[k].req, ev);
			}
		} else if (note->caused[i].nr == MM_SYS_BRK && m->grew_after &&
			   m->grow_req.kind != MM_EV_HEAP && note->caused[i].addr == (uint64_t)m->grow_ev.ret) {
			fnd_ev_from(fs, &m->grow_req, ev);  /* the growth after the raise */
		}
	}
}

void fmmap_heap_grew(const struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		     uint64_t step)
{
	struct fmmap *m = &p->mm;
	if (!m->raised || m->grew_after)
		return;
	m->grew_after = true;
	m->grow_step = step;
	fnd_ev_from(fs, &m->grow_ev, ev);
	m->dyn_from = m->raise_from;
	m->dyn_to = m->threshold;
	m->dyn_raise_ev = m->raise_ev;
	m->dyn_free = m->raise_free;
	m->dyn_req = m->raise_req;
}

/* A call's words for a summary: "malloc(N) at SITE". */
static int call_words(const struct mm_findings *fs, char *buf, size_t len,
		      const struct mm_find_ev *e)
{
	char site[256];

	fnd_site(fs, e, site, sizeof(site));
	return snprintf(buf, len, "%s(%" PRIu64 ") at %s", mm_heap_op_name(e->nr),
			e->args[0], site);
}

static void finding_threshold(struct mm_findings *fs, struct fproc *p)
{
	struct fmmap *m = &p->mm;
	uint64_t pairs = 0, bytes = 0, faults = 0, sizes = 0;
	for (size_t i = 0; i < m->nr_sz; i++)
		if (m->sz[i].pairs && size_is_malloc(&m->sz[i])) {
			pairs += m->sz[i].pairs;
			bytes += m->sz[i].pairs * m->sz[i].len;
			faults += m->sz[i].faults;
			sizes++;
		}
	if (!pairs)
		return;
	struct mm_finding *f = fnd_add(fs, "mmap-threshold", MM_FIND_INFO, p->tgid);
	int n = snprintf(f->summary, sizeof(f->summary),
		 "%" PRIu64 " request%s at or over the mmap threshold served by mmap and "
		 "returned by munmap (%" PRIu64 " size%s, %" PRIu64 " KiB, %" PRIu64 " faults)",
		 pairs, pairs == 1 ? "" : "s", sizes, sizes == 1 ? "" : "s", bytes >> 10, faults);
	bool calls = m->min_req.kind == MM_EV_HEAP;
	if (calls && n > 0 && (size_t)n < sizeof(f->summary)) {
		n += snprintf(f->summary + n, sizeof(f->summary) - (size_t)n, "; the smallest: ");
		if ((size_t)n < sizeof(f->summary))
			call_words(fs, f->summary + n, sizeof(f->summary) - (size_t)n, &m->min_req);
	}
	f->explain = explain_thr;
	fnd_num(f, "pairs", "count", pairs);
	fnd_num(f, "sizes", "count", sizes);
	fnd_num(f, "mapped_bytes", "bytes", bytes);
	fnd_num(f, "syscalls", "count", 2 * pairs);
	fnd_num(f, "faults", "count", faults);
	if (calls) {
		fnd_num(f, "requests", "count", m->reqs);
		fnd_num(f, "smallest_request", "bytes", m->min_req.args[0]);
	}
	/* per size its first pair: the call, the mmap, the free, the munmap */
	for (size_t i = 0; i < m->nr_sz; i++) {
		const struct fsize *z = &m->sz[i];
		unsigned need = 2 + (z->req.kind == MM_EV_HEAP) + (z->fre.kind == MM_EV_HEAP);
		if (!z->pairs || !size_is_malloc(z) || f->nr_ev + need > MM_FIND_EVS)
			continue;
		if (z->req.kind == MM_EV_HEAP)
			fnd_ev(f, &z->req);
		fnd_ev(f, &z->ev[0]);
		if (z->fre.kind == MM_EV_HEAP)
			fnd_ev(f, &z->fre);
		fnd_ev(f, &z->ev[1]);
	}
	f->ev_total = 2 * pairs + (calls ? 2 * m->reqs : 0);
}

static void finding_dynamic(struct mm_findings *fs, struct fproc *p)
{
	struct fmmap *m = &p->mm;
	if (!m->grew_after)
		return;
	struct mm_finding *f = fnd_add(fs, "dynamic-threshold", MM_FIND_INFO, p->tgid);
	char fr[320] = "free()", req[320] = "", grow[320] = "", site[256];
	if (m->dyn_free.kind == MM_EV_HEAP) {
		fnd_site(fs, &m->dyn_free, site, sizeof(site));
		snprintf(fr, sizeof(fr), "%s(%" PRIx64 ") at %s",
			 mm_heap_op_name(m->dyn_free.nr), m->dyn_free.args[0], site);
	}
	if (m->dyn_req.kind == MM_EV_HEAP) {
		req[0] = ' ';
		req[1] = '(';
		call_words(fs, req + 2, sizeof(req) - 3, &m->dyn_req);
		strcat(req, ")");
	}
	if (m->grow_req.kind == MM_EV_HEAP) {
		memcpy(grow, ", for ", 6);
		call_words(fs, grow + 6, sizeof(grow) - 6, &m->grow_req);
	}
	/* composed whole (the three call descriptions may add up to more than
	 * a summary holds), then cut to the summary: the numbers are fields too */
	char line[1200];
	snprintf(line, sizeof(line),
		 "%s of a %" PRIu64 " KiB mmapped chunk%s raised the mmap threshold from %"
		 PRIu64 " to %" PRIu64 " KiB: smaller requests now come from the heap, "
		 "which then grew by brk (%" PRIu64 " KiB%s)",
		 fr, m->dyn_to >> 10, req, m->dyn_from >> 10, m->dyn_to >> 10, m->grow_step >> 10,
		 grow);
	size_t len = strnlen(line, sizeof(f->summary) - 1);
	memcpy(f->summary, line, len);
	f->summary[len] = '\0';
	f->explain = explain_dyn;
	fnd_num(f, "threshold_before", "bytes", m->dyn_from);
	fnd_num(f, "threshold", "bytes", m->dyn_to);
	fnd_num(f, "trim_threshold", "bytes", 2 * m->dyn_to);
	fnd_num(f, "raises", "count", m->raises);
	fnd_num(f, "heap_step", "bytes", m->grow_step);
	if (m->dyn_req.kind == MM_EV_HEAP)
		fnd_num(f, "freed_request", "bytes", m->dyn_req.args[0]);
	if (m->grow_req.kind == MM_EV_HEAP)
		fnd_num(f, "heap_request", "bytes", m->grow_req.args[0]);
	if (m->dyn_req.kind == MM_EV_HEAP)
		fnd_ev(f, &m->dyn_req);
	if (m->dyn_free.kind == MM_EV_HEAP)
		fnd_ev(f, &m->dyn_free);
	fnd_ev(f, &m->dyn_raise_ev);
	fnd_ev(f, &m->grow_ev);
	if (m->grow_req.kind == MM_EV_HEAP)
		fnd_ev(f, &m->grow_req);
}

static void finding_churn(struct mm_findings *fs, struct fproc *p, const struct fsize *z)
{
	bool big = z->len > MM_GLIBC_THRESHOLD_MAX;
	struct mm_finding *f = fnd_add(fs, "mmap-churn", MM_FIND_WARN, p->tgid);
	snprintf(f->summary, sizeof(f->summary),
		 "malloc mapped %" PRIu64 " bytes again after freeing them %" PRIu64 " times "
		 "(%" PRIu64 " mmap/munmap pairs): %" PRIu64 " syscalls, %" PRIu64 " faults, %"
		 PRIu64 " pages touched afresh", z->len, z->remaps, z->pairs, 2 * z->pairs,
		 z->faults, z->touched);
	f->explain = big ? explain_churn_big : explain_churn_fixed;
	f->tune = big ? tune_churn_big : tune_churn_fixed;
	fnd_num(f, "size", "bytes", z->len);
	fnd_num(f, "rounds", "count", z->remaps);
	fnd_num(f, "pairs", "count", z->pairs);
	fnd_num(f, "syscalls", "count", 2 * z->pairs);
	fnd_num(f, "faults", "count", z->faults);
	fnd_num(f, "pages_touched", "pages", z->touched);
	fnd_num(f, "span", "ns", z->last_ts - z->first_ts);
	for (int i = 0; i < 4; i++)
		fnd_ev(f, &z->ev[i]);
	f->ev_total = 2 * z->pairs;
}

static void finding_overcommit(struct mm_findings *fs, struct fproc *p)
{
	struct fmmap *m = &p->mm;
	if (!m->big)
		return;
	struct mm_finding *f = fnd_add(fs, "overcommit", MM_FIND_WARN, p->tgid);
	uint64_t permille = m->big_pages ? m->big_touched * 1000 / m->big_pages : 0;
	snprintf(f->summary, sizeof(f->summary),
		 "%" PRIu64 " big mapping%s (%" PRIu64 " MiB) barely touched: %" PRIu64
		 " of %" PRIu64 " pages (%" PRIu64 ".%" PRIu64 "%%)",
		 m->big, m->big == 1 ? "" : "s", m->big_bytes >> 20, m->big_touched,
		 m->big_pages, permille / 10, permille % 10);
	f->explain = explain_oc;
	f->tune = tune_oc;
	fnd_num(f, "mappings", "count", m->big);
	fnd_num(f, "mapped_bytes", "bytes", m->big_bytes);
	fnd_num(f, "pages", "pages", m->big_pages);
	fnd_num(f, "pages_touched", "pages", m->big_touched);
	fnd_num(f, "touched_permille", "permille", permille);
	for (unsigned i = 0; i < m->nr_big_ev; i++)
		fnd_ev(f, &m->big_ev[i]);
	f->ev_total = m->big;
}

static void finding_header(struct mm_findings *fs, struct fproc *p)
{
	struct fmmap *m = &p->mm;
	uint64_t chunks = 0, first = 0, only = 0;
	for (size_t i = 0; i < m->nr_sz; i++)
		if (size_is_malloc(&m->sz[i])) {
			chunks += m->sz[i].by_malloc + m->sz[i].not_malloc;
			first += m->sz[i].by_malloc;
			only += m->sz[i].header_only;
		}
	if (first < MM_FIND_HEADER_CHUNKS)
		return;
	struct mm_finding *f = fnd_add(fs, "chunk-header", MM_FIND_INFO, p->tgid);
	snprintf(f->summary, sizeof(f->summary),
		 "%" PRIu64 " of %" PRIu64 " mmapped chunks were first touched by malloc's "
		 "header write; %" PRIu64 " of them had no other page touched",
		 first, chunks, only);
	f->explain = explain_hdr;
	fnd_num(f, "chunks", "count", chunks);
	fnd_num(f, "header_first", "count", first);
	fnd_num(f, "header_only", "count", only);
	for (size_t i = 0; i < m->nr_sz && f->nr_ev < 4; i++)
		for (unsigned k = 0; size_is_malloc(&m->sz[i]) && k < m->sz[i].nr_header_ev &&
		     f->nr_ev < 4; k++)
			fnd_ev(f, &m->sz[i].header_ev[k]);
	f->ev_total = first;
}

void fmmap_finish(struct mm_findings *fs, struct fproc *p)
{
	struct fmmap *m = &p->mm;
	while (m->nr)
		retire(fs, m, m->nr - 1, NULL, NULL);
	finding_threshold(fs, p);
	finding_dynamic(fs, p);
	for (size_t i = 0; i < m->nr_sz; i++)
		if (m->sz[i].remaps >= MM_FIND_CHURN_ROUNDS && size_is_malloc(&m->sz[i]))
			finding_churn(fs, p, &m->sz[i]);
	finding_overcommit(fs, p);
	finding_header(fs, p);
}

void fmmap_free(struct fproc *p)
{
	free(p->mm.t);
	free(p->mm.sz);
}
