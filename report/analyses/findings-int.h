/*
 * report/analyses/findings-int.h - the findings engine's private state,
 * shared by findings.c (dispatch, list of findings) and the files that
 * detect one group of findings each: findings-heap.c (brk), findings-mmap.c
 * (mmapped chunks and big mappings), findings-enomem.c (failed requests).
 *
 * Per process (tgid) a struct fproc holds what each group needs; the
 * groups see every syscall and every fault of the process and add their
 * findings at the end (or when a sequence closes).
 */
#ifndef MM_REPORT_ANALYSES_FINDINGS_INT_H
#define MM_REPORT_ANALYSES_FINDINGS_INT_H

#include "report/model/addrspace.h"
#include "report/analyses/findings.h"

/* glibc malloc's defaults (malloc/malloc.c, 64-bit). */
#define MM_GLIBC_TOP_PAD        (128u * 1024)       /* M_TOP_PAD */
#define MM_GLIBC_MMAP_THRESHOLD (128u * 1024)       /* M_MMAP_THRESHOLD */
#define MM_GLIBC_THRESHOLD_MAX  (32ull << 20)       /* DEFAULT_MMAP_THRESHOLD_MAX */
#define MM_GLIBC_HEADER_LEN     16  /* prev_size + size: sysmalloc_mmap writes
                                     * prev_size at +0 first (seen in traces) */

/* Thresholds of the findings (see findings.h for why these values). */
/* brk-top-pad: the heap is mostly pad: pages touched <= 25% of it and
 * under a quarter of one top pad (so a program that uses its heap, like
 * ls or the gcc driver, does not qualify) */
#define MM_FIND_PAD_TOUCHED_PCT 25
#define MM_FIND_CHURN_ROUNDS    8     /* mmap-churn: same size mapped again
                                       * after an unmap, >= 8 times */
#define MM_FIND_MALLOC_SHARE    8     /* a size is malloc's when at most 1 in
                                       * 8 of its mappings was not first
                                       * touched by a header write */
#define MM_FIND_BIG_BYTES       (16ull << 20)  /* overcommit: mappings >= 16 MiB */
#define MM_FIND_BIG_RATIO       16    /* ... with at most 1 page in 16 touched */
#define MM_FIND_OSC_CYCLES      3     /* trim-oscillation: >= 3 trim+grow */
#define MM_FIND_HEADER_CHUNKS   2     /* chunk-header: >= 2 chunks */
#define MM_FIND_ENOMEM_GAP_NS   (100ull * 1000 * 1000)  /* one sequence */
#define MM_FIND_MAX_TRACKED     65536 /* mappings watched per process */

/* A watched mapping: a malloc-like chunk (anon, private, rw, no hint,
 * >= 128 KiB) or a big private writable anon mapping. */
struct fmap {
	uint64_t addr, len;         /* len page-rounded */
	bool malloc_like;
	bool remapped;              /* moved/resized by mremap (realloc) */
	uint64_t faults, touched;   /* faults; distinct pages first touched */
	bool have_first;
	bool header_first;          /* that first touch was a write in the first
	                             * 16 bytes: malloc's header (fsize) */
	struct mm_find_ev map_ev;   /* the mmap */
	struct mm_find_ev first;    /* its first fault */
	bool have_req;              /* record --malloc: the call it was mapped for */
	struct mm_find_ev req;
};

/*
 * Per-size statistics of the malloc-shaped mappings.  glibc's malloc
 * writes a chunk's header (prev_size, size) into a fresh mapping before it
 * returns it, so each mapping of its own is first touched by a write in
 * its first 16 bytes; a size whose mappings mostly were not (Python's
 * obmalloc arenas, a JIT, a pool: mmap calls of the program's own) is not
 * malloc's, and no malloc finding speaks of it.
 */
struct fsize {
	uint64_t len;
	uint64_t pairs, faults, touched;   /* mapped, then unmapped whole */
	uint64_t first_ts, last_ts;
	struct mm_find_ev ev[4];    /* first pair, last pair */
	uint64_t maps;              /* mmaps of this size */
	uint64_t remaps;            /* ... after one of this size was unmapped:
	                             * the rounds of churn (held buffers freed
	                             * once have none) */
	uint64_t by_malloc;         /* mappings first touched by a header write */
	uint64_t not_malloc;        /* mappings first touched otherwise, or never */
	uint64_t header_only;       /* by_malloc ones with no other page touched */
	struct mm_find_ev header_ev[2];
	unsigned nr_header_ev;
	/* record --malloc: the first pair's call and free (kind MM_EV_HEAP when
	 * known) */
	struct mm_find_ev req, fre;
};

struct fheap {
	bool known;
	uint64_t start, cur, max;   /* break: first seen, now, highest */
	uint64_t grows, grow_bytes, min_step, max_step;
	uint64_t shrinks, shrink_bytes, cycles;
	bool last_shrink;
	uint64_t refaults;          /* faults on heap pages touched before */
	struct mm_pageset pages;    /* distinct heap pages touched */
	struct mm_find_ev grow_ev[4], shrink_ev[4];
	unsigned nr_grow_ev, nr_shrink_ev;
	bool have_first_fault;
	struct mm_find_ev first_fault;
};

struct fmmap {
	struct fmap *t;             /* watched mappings, sorted by addr */
	size_t nr, cap;
	uint64_t untracked;         /* past MM_FIND_MAX_TRACKED */
	struct fsize *sz;           /* malloc-shaped mappings by size */
	size_t nr_sz, cap_sz;
	uint64_t threshold;         /* glibc's dynamic threshold, modelled */
	bool raised;
	struct mm_find_ev raise_ev; /* the munmap that raised it last */
	uint64_t raises, raise_from;
	bool grew_after;            /* the heap grew after a raise */
	struct mm_find_ev grow_ev;  /* that growth */
	uint64_t grow_step;
	uint64_t dyn_from, dyn_to;  /* the raise before it: threshold from, to */
	struct mm_find_ev dyn_raise_ev;
	/* record --malloc (kind MM_EV_HEAP when known): the free that raised the
	 * threshold last and the call its chunk was mapped for; the same for
	 * the raise before the growth, and the call the growth was for; the
	 * smallest call served by a mapping of its own, and how many were */
	struct mm_find_ev raise_free, raise_req, dyn_free, dyn_req, grow_req;
	struct mm_find_ev min_req;
	uint64_t reqs;
	/* overcommit */
	uint64_t big, big_bytes, big_touched, big_pages;
	struct mm_find_ev big_ev[4];
	unsigned nr_big_ev;
};

struct fenomem {
	bool open;                  /* a sequence is being collected */
	uint64_t last_ts;
	size_t cur;                 /* its finding: index in the list */
	uint64_t sequences, failures;
};

struct fproc {
	int32_t tgid;
	struct fheap heap;
	struct fmmap mm;
	struct fenomem en;
};

struct mm_heap;
struct mm_findings {
	struct mm_as *as;
	bool name_sites;            /* summaries name call sites (--symbols) */
	struct mm_heap *heap;       /* record --malloc's calls: their ties */
	uint64_t page_size;
	bool finished;
	struct fproc **procs;
	size_t nr_procs, cap_procs;
	struct mm_finding *list;
	size_t nr, cap;
};

/* findings.c */
/* The call site of allocator call E for a summary: "big_fn+0x1e [prog]"
 * (the function of its site, issue 13) or its address in hex. */
void fnd_site(const struct mm_findings *fs, const struct mm_find_ev *e, char *buf, size_t n);
struct mm_finding *fnd_add(struct mm_findings *fs, const char *id,
			   enum mm_find_sev sev, int32_t pid);
void fnd_num(struct mm_finding *f, const char *name, const char *unit, uint64_t v);
void fnd_ev(struct mm_finding *f, const struct mm_find_ev *e);
/* EV as evidence, with the code behind it named in FS's model now (EV is
 * the event being applied). */
void fnd_ev_from(const struct mm_findings *fs, struct mm_find_ev *e, const struct mm_event *ev);
uint64_t fnd_page_up(const struct mm_findings *fs, uint64_t v);
bool fnd_failed(const struct mm_syscall *s);

/* findings-heap.c */
void fheap_syscall(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev);
void fheap_fault(struct mm_findings *fs, struct fproc *p, const struct mm_region *r,
		 const struct mm_event *ev);
void fheap_finish(struct mm_findings *fs, struct fproc *p);
void fheap_free(struct fproc *p);

/* findings-mmap.c.  FREE: the free that caused a munmap (record --malloc),
 * or NULL. */
void fmmap_syscall(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		   const struct mm_find_ev *free);
struct mm_heap_note;
/* An allocator call (record --malloc) and what its note ties it to. */
void fmmap_call(const struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		const struct mm_heap_note *note);
void fmmap_fault(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		 bool first);
/* The heap grew by STEP bytes (from fheap_syscall): dynamic threshold. */
void fmmap_heap_grew(const struct mm_findings *fs, struct fproc *p, const struct mm_event *ev,
		     uint64_t step);
void fmmap_finish(struct mm_findings *fs, struct fproc *p);
void fmmap_free(struct fproc *p);

/* findings-enomem.c */
void fenomem_syscall(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev);
void fenomem_finish(struct mm_findings *fs, struct fproc *p);

#endif
