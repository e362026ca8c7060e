/*
 * record/uprobe-calls.c - the samples of record --malloc's uprobes
 * (uprobes.c) into the records the interposer would have written
 * (record/interposer/ring.h, format/heapcodec.h's struct mm_heap_rec).
 *
 * Each thread keeps the probed calls it is in: an entry pushes a frame
 * (the arguments, the return address, the time), the matching return pops
 * it and makes the record; an entry inside another probed call is the
 * outer call's own work (glibc's realloc(NULL, n) calls malloc) and makes
 * no record.  free has no return probe: its record is its entry.  A return
 * whose entry was never seen (lost, or the call was in progress when the
 * probes were set) makes nothing; lost samples become LOST records.
 *
 * A process says HELLO (uprobes) before its first record: the attached one
 * at the moment its probes were set, a fork child (FORK) and an exec'd
 * image before their first call, so an image whose calls the probes never
 * see (a static program exec'd, another libc) gets no HELLO and report
 * says it was not recorded.
 *
 * The buffers are written by the kernel for the recorded process: every
 * length is checked against the buffer before it is read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/uio.h>

#include "memmon.h"
#include "format/heapcodec.h"
#include "format/heapops.h"
#include "record/uprobes-int.h"

/* ---- tables ---- */

static int id_cmp(const void *a, const void *b)
{
	const struct ev_id *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct ev_id *id_find(struct mm_uprobes *u, uint64_t id)
{
	if (!u->ids_sorted) {
		qsort(u->ids, u->nr_ids, sizeof(*u->ids), id_cmp);
		u->ids_sorted = true;
	}
	size_t i = MM_PARTITION_POINT(u->nr_ids, k, u->ids[k].id < id);
	return i < u->nr_ids && u->ids[i].id == id ? &u->ids[i] : NULL;
}

static inline uint32_t tid_slot(uint32_t tid, uint32_t mask)
{
	return (uint32_t)(((uint64_t)tid * 0x9e3779b97f4a7c15ull) >> 40) & mask;
}

static struct thread *thread_get(struct mm_uprobes *u, int32_t tid, int32_t tgid)
{
	if (tid <= 0)
		return NULL;
	if ((u->nr_thr + 1) * 2 > u->thr_mask + 1) {
		struct thread *old = u->thr;
		uint32_t n = u->thr_mask + 1;
		u->thr_mask = 2 * n - 1;
		u->thr = mm_calloc(2 * n, sizeof(*u->thr));
		for (uint32_t k = 0; k < n; k++) {
			if (!old[k].tid)
				continue;
			uint32_t i = tid_slot((uint32_t)old[k].tid, u->thr_mask);
			while (u->thr[i].tid)
				i = (i + 1) & u->thr_mask;
			u->thr[i] = old[k];
		}
		free(old);
	}
	uint32_t i = tid_slot((uint32_t)tid, u->thr_mask);
	while (u->thr[i].tid && u->thr[i].tid != tid)
		i = (i + 1) & u->thr_mask;
	if (!u->thr[i].tid) {
		memset(&u->thr[i], 0, sizeof(u->thr[i]));
		u->thr[i].tid = tid;
		u->nr_thr++;
	}
	u->thr[i].tgid = tgid;
	return &u->thr[i];
}

/* A thread gone: its slot is taken out, the run after it moved back. */
static void thread_drop(struct mm_uprobes *u, int32_t tid)
{
	uint32_t i = tid_slot((uint32_t)tid, u->thr_mask);

	while (u->thr[i].tid && u->thr[i].tid != tid)
		i = (i + 1) & u->thr_mask;
	if (!u->thr[i].tid)
		return;
	u->thr[i].tid = 0;
	u->nr_thr--;
	for (uint32_t j = (i + 1) & u->thr_mask; u->thr[j].tid; j = (j + 1) & u->thr_mask) {
		struct thread t = u->thr[j];
		u->thr[j].tid = 0;
		u->nr_thr--;
		struct thread *n = thread_get(u, t.tid, t.tgid);
		*n = t;
	}
}

static struct proc_state *proc_get(struct mm_uprobes *u, int32_t tgid)
{
	for (size_t i = 0; i < u->nr_procs; i++)
		if (u->procs[i].tgid == tgid)
			return &u->procs[i];
	MM_GROW(u->procs, u->nr_procs, u->cap_procs, 8);
	struct proc_state *p = &u->procs[u->nr_procs++];
	*p = (struct proc_state){ .tgid = tgid };
	return p;
}

/* ---- records ---- */

struct sink {
	mm_uprobes_emit_fn emit;
	void *ctx;
};

static void emit(struct mm_uprobes *u, const struct sink *k, struct mm_heap_rec *r)
{
	struct proc_state *p = proc_get(u, r->tgid);

	if (!p->hello && r->op != MM_OP_LOST) {
		struct mm_heap_rec h = { .ts = r->ts, .tid = r->tgid, .tgid = r->tgid,
					 .op = MM_OP_HELLO,
					 .aux = MM_HELLO_UPROBES | (p->fork ? MM_HELLO_FORK : 0) };
		k->emit(k->ctx, &h);
		p->hello = true;
	}
	if (r->op != MM_OP_HELLO && r->op != MM_OP_LOST)
		u->tot.calls++;
	k->emit(k->ctx, r);
}

static uint8_t log2_of(uint64_t v)
{
	return v && !(v & (v - 1)) ? (uint8_t)__builtin_ctzll(v) : 255;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t r;
	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* posix_memalign's block: the pointer it stored at MEMPTR in TGID. */
static uint64_t read_block(int32_t tgid, uint64_t memptr)
{
	uint64_t v = 0;
	struct iovec l = { &v, sizeof(v) }, r = { (void *)(uintptr_t)memptr, sizeof(v) };

	return process_vm_readv(tgid, &l, 1, &r, 1, 0) == sizeof(v) ? v : 0;
}

/* The call of frame F returned RESULT at TS. */
static void call_done(struct mm_uprobes *u, const struct sink *k, const struct thread *t,
		      const struct frame *f, uint64_t ts, uint64_t result)
{
	const struct mm_probe_fn *fn = &mm_probe_fns[f->fn];
	struct mm_heap_rec r = { .ts = ts, .tid = t->tid, .tgid = t->tgid, .op = fn->op,
				 .site = f->site, .ptr = result };
	uint64_t d = ts > f->ts ? ts - f->ts : 0;

	r.dur = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	switch (fn->shape) {
	case SH_SIZE:
		r.size = f->a0;
		if (fn->op == MM_OP_VALLOC || fn->op == MM_OP_PVALLOC)
			r.aux = 12;
		break;
	case SH_CALLOC:
		r.size = mul_sat(f->a0, f->a1);
		break;
	case SH_REALLOC:
		r.old = f->a0;
		r.size = f->a1;
		break;
	case SH_REALLOCARRAY:
		r.old = f->a0;
		r.size = mul_sat(f->a1, f->a2);
		break;
	case SH_ALIGN:
		r.size = f->a1;
		r.aux = log2_of(f->a0);
		break;
	case SH_POSIX:
		r.size = f->a2;
		r.aux = log2_of(f->a1);
		r.ptr = result ? 0 : read_block(t->tgid, f->a0);   /* it returns 0 or an errno */
		break;
	default:
		return;
	}
	emit(u, k, &r);
}

/* ---- samples ---- */

struct sample {
	uint64_t id, ts;
	int32_t pid, tid;
	uint64_t regs[3];                /* entry: dx, si, di (bit order); return: ax */
	uint64_t ret_addr;
};

static void on_sample(struct mm_uprobes *u, const struct sink *k, const struct sample *s)
{
	const struct ev_id *e = id_find(u, s->id);
	struct thread *t;

	u->tot.samples++;
	if (!e || !(t = thread_get(u, s->tid, s->pid)))
		return;
	const struct mm_probe_fn *fn = &mm_probe_fns[e->fn];
	if (e->ret) {
		unsigned i = t->depth;
		while (i > 0 && t->f[i - 1].fn != e->fn)
			i--;
		if (!i) {
			u->tot.lost++;          /* its entry was never seen */
			return;
		}
		struct frame f = t->f[i - 1];
		t->depth = i - 1;        /* and any frame above it: their returns were lost */
		if (f.inner)
			u->tot.nested++;
		else
			call_done(u, k, t, &f, s->ts, s->regs[0]);
		return;
	}
	uint64_t dx = s->regs[0], si = s->regs[1], di = s->regs[2];
	if (fn->shape == SH_FREE) {
		if (t->depth) {
			u->tot.nested++;        /* realloc(p, 0) frees through free */
			return;
		}
		struct mm_heap_rec r = { .ts = s->ts, .tid = t->tid, .tgid = t->tgid, .op = fn->op,
					 .site = s->ret_addr, .ptr = di };
		emit(u, k, &r);
		return;
	}
	if (t->depth == STACK_DEPTH) {
		u->tot.lost++;
		return;
	}
	bool inner = t->depth > 0;
	t->f[t->depth] = (struct frame){ .fn = e->fn, .inner = inner, .ts = s->ts,
					 .site = s->ret_addr, .a0 = di, .a1 = si, .a2 = dx };
	t->depth++;
}

/* Copy LEN bytes at position POS of carrier C's data (which wraps). */
static void ring_copy(const struct carrier *c, uint64_t pos, void *dst, size_t len)
{
	const unsigned char *data = (const unsigned char *)c->page + 4096;
	size_t at = (size_t)(pos % c->size), first = c->size - at < len ? c->size - at : len;

	memcpy(dst, data + at, first);
	memcpy((unsigned char *)dst + first, data, len - first);
}

static uint64_t raw_u64(const unsigned char *raw, uint32_t size, int off)
{
	uint64_t v = 0;

	if (off >= 0 && (uint32_t)off + 8 <= size)
		memcpy(&v, raw + off, 8);
	return v;
}

/* A PERF_RECORD_SAMPLE of LEN bytes in BUF (uprobes.c says what its
 * events sample): false when it is not one of ours, or cut short. */
static bool parse_sample(struct mm_uprobes *u, const unsigned char *b, size_t len,
			 struct sample *s)
{
	size_t at = 0;
	uint32_t size;
	const struct ev_id *e;

#define TAKE(dst, sz) do { if (at + (sz) > len) return false; memcpy((dst), b + at, (sz)); at += (sz); } while (0)
	memset(s, 0, sizeof(*s));
	TAKE(&s->id, 8);
	TAKE(&s->pid, 4);
	TAKE(&s->tid, 4);
	TAKE(&s->ts, 8);
	TAKE(&size, 4);
#undef TAKE
	if (size > len - at || !(e = id_find(u, s->id)))
		return false;
	const unsigned char *raw = b + at;
	if (e->ret) {
		s->regs[0] = raw_u64(raw, size, u->f_ret);
		s->ret_addr = raw_u64(raw, size, u->f_site_ret);
	} else {
		s->regs[0] = raw_u64(raw, size, u->f_arg[2]);     /* dx */
		s->regs[1] = raw_u64(raw, size, u->f_arg[1]);     /* si */
		s->regs[2] = raw_u64(raw, size, u->f_arg[0]);     /* di */
		s->ret_addr = raw_u64(raw, size, u->f_arg[3]);
	}
	return true;
}

/* Side-band records: a new process, an exec, a thread's exit. */
static void on_task(struct mm_uprobes *u, const struct perf_event_header *h,
		    const unsigned char *b, size_t len)
{
	uint32_t w[4];

	if (len < 8)
		return;
	memcpy(w, b, len < 16 ? 8 : 16);
	if (h->type == PERF_RECORD_FORK && len >= 16 && w[0] != w[1]) {
		struct proc_state *p = proc_get(u, (int32_t)w[0]);
		p->hello = false;             /* pid w[0], parent w[1]: a new process */
		p->fork = true;
	} else if (h->type == PERF_RECORD_COMM && (h->misc & PERF_RECORD_MISC_COMM_EXEC)) {
		struct proc_state *p = proc_get(u, (int32_t)w[0]);
		p->hello = false;             /* a new image: its own hello, if any call */
		p->fork = false;
		for (uint32_t i = 0; i <= u->thr_mask; i++)
			if (u->thr[i].tid && u->thr[i].tgid == (int32_t)w[0])
				u->thr[i].depth = 0;  /* exec ended every call of the old image */
	} else if (h->type == PERF_RECORD_EXIT && len >= 16) {
		thread_drop(u, (int32_t)w[2]);
	}
}

static void read_carrier(struct mm_uprobes *u, const struct sink *k, struct carrier *c)
{
	uint64_t head = __atomic_load_n(&c->page->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = c->page->data_tail;
	unsigned char buf[512];

	if (head - tail > c->size)       /* not what the kernel writes: skip it all */
		tail = head;
	while (head - tail >= sizeof(struct perf_event_header)) {
		struct perf_event_header h;
		ring_copy(c, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > head - tail)
			break;
		size_t len = h.size - sizeof(h);
		if (len <= sizeof(buf)) {
			ring_copy(c, tail + sizeof(h), buf, len);
			if (h.type == PERF_RECORD_SAMPLE) {
				struct sample s;
				if (parse_sample(u, buf, len, &s)) {
					c->last_ts = s.ts;
					on_sample(u, k, &s);
				}
			} else if (h.type == PERF_RECORD_LOST && len >= 16) {
				uint64_t n;
				memcpy(&n, buf + 8, 8);
				u->tot.lost += n;
				struct mm_heap_rec r = { .ts = c->last_ts, .tid = c->tid, .tgid = u->pid,
							 .op = MM_OP_LOST, .size = n };
				emit(u, k, &r);
			} else {
				on_task(u, &h, buf, len);
			}
		}
		tail += h.size;
	}
	__atomic_store_n(&c->page->data_tail, tail, __ATOMIC_RELEASE);
}

int mm_uprobes_read(struct mm_uprobes *u, mm_uprobes_emit_fn fn, void *ctx)
{
	struct sink k = { fn, ctx };
	struct proc_state *p = proc_get(u, u->pid);

	if (!p->hello && u->attach_ts) {   /* recorded from here: the moment of attach */
		struct mm_heap_rec h = { .ts = u->attach_ts, .tid = u->pid, .tgid = u->pid,
					 .op = MM_OP_HELLO, .aux = MM_HELLO_UPROBES };
		fn(ctx, &h);
		p->hello = true;
		u->attach_ts = 0;
	}
	for (size_t i = 0; i < u->nr_c; i++)
		read_carrier(u, &k, &u->c[i]);
	return 0;
}
