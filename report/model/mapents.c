/*
 * report/model/mapents.c - file names from the kernel's mapping records
 * (MMAPS sections, record/mapnames.c): an mmap of a file names its region
 * at once, whether or not a maps snapshot ever sees it.
 *
 * The records carry the recorder's clock, not the trace's, so they are
 * matched by order instead: one task's records come in the order its
 * calls made them, and so do its syscall events.  Each successful mmap of
 * a file by task T takes the first of T's records not yet passed that
 * covers its range at its file offset with its protection; the records
 * before it (its mprotects, the exec's own mappings) are passed.  An
 * mprotect passes the records it made (same protection, inside its
 * range) so they are not taken for a later mmap of the same place.  A
 * search goes at most SCAN records ahead: a record the kernel dropped
 * costs its own name, never the later ones'.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/objects.h"
#include "format/reader.h"
#include "report/model/as-int.h"

#define SCAN 64

static int cmp_tid(const void *a, const void *b)
{
	const struct mm_mapent *x = *(const struct mm_mapent *const *)a;
	const struct mm_mapent *y = *(const struct mm_mapent *const *)b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x < y ? -1 : x > y;          /* file order within one time */
}

void as_mapq_load(struct mm_as *as, struct mm_file *f)
{
	struct as_mapq *q = &as->mapq;
	size_t n = mm_file_nr_mapents(f);

	q->v = mm_malloc((n ? n : 1) * sizeof(*q->v));
	for (size_t i = 0; i < n; i++) {
		const struct mm_mapent *e = mm_file_mapent(f, i);
		if (e->kind == MM_MAPENT_MAP && e->tid && (int32_t)e->tid > 0)
			q->v[q->n++] = e;
		else if (e->kind == MM_MAPENT_LOST)
			q->lost += e->len;
	}
	qsort(q->v, q->n, sizeof(*q->v), cmp_tid);
	for (size_t i = 0, k; i < q->n; i = k) {
		for (k = i; k < q->n && q->v[k]->tid == q->v[i]->tid; k++)
			;
		q->tasks = mm_realloc(q->tasks, (q->nr_tasks + 1) * sizeof(*q->tasks));
		q->tasks[q->nr_tasks++] = (struct as_mapq_task){ (uint32_t)i, (uint32_t)k };
		as_imap_put(&q->idx, (int32_t)q->v[i]->tid, (uint32_t)q->nr_tasks);
	}
}

void as_mapq_free(struct mm_as *as)
{
	free(as->mapq.v);
	free(as->mapq.tasks);
	free(as->mapq.idx.keys);
	free(as->mapq.idx.vals);
}

static struct as_mapq_task *task_of(struct as_mapq *q, int32_t tid)
{
	uint32_t ix;

	if (!q->n || !as_imap_get(&q->idx, tid, &ix) || !ix || ix > q->nr_tasks)
		return NULL;
	return &q->tasks[ix - 1];
}

static bool covers(const struct mm_mapent *e, const struct mm_region *r, unsigned prot)
{
	return e->addr <= r->start && r->end - e->addr <= e->len &&
	       e->pgoff + (r->start - e->addr) == r->offset && (e->prot & 7) == (prot & 7);
}

bool as_mapq_name(struct mm_as *as, int32_t tid, struct mm_region *r, unsigned prot)
{
	struct as_mapq_task *t = task_of(&as->mapq, tid);

	if (!t)
		return false;
	for (uint32_t k = t->next; k < t->end && k < t->next + SCAN; k++) {
		const struct mm_mapent *e = as->mapq.v[k];
		if (!covers(e, r, prot))
			continue;
		r->name = as_intern(as, e->path);
		r->ino = e->ino;
		r->dev_major = e->maj;
		r->dev_minor = e->min;
		t->next = k + 1;
		return true;
	}
	return false;
}

void as_mapq_mprotect(struct mm_as *as, int32_t tid, uint64_t lo, uint64_t hi, unsigned prot)
{
	struct as_mapq_task *t = task_of(&as->mapq, tid);

	while (t && t->next < t->end) {
		const struct mm_mapent *e = as->mapq.v[t->next];
		if ((e->prot & 7) != (prot & 7) || e->addr < lo || e->addr + e->len > hi)
			break;
		t->next++;
	}
}

uint64_t mm_as_mappings_lost(const struct mm_as *as)
{
	return as->mapq.lost;
}
