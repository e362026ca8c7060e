/*
 * record/uprobes-int.h - what uprobes.c (the events: files, threads,
 * buffers) and uprobe-calls.c (their samples into records) share.
 */
#ifndef MM_RECORD_UPROBES_INT_H
#define MM_RECORD_UPROBES_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "record/record.h"

#define BUF_PAGES     256            /* 1 MiB a thread: ~10k calls, 20 ms at ~2 us a call */
#define MAX_THREADS   1024           /* threads of one process given carriers */
#define STACK_DEPTH   8              /* probed calls nested in a thread */


/* The functions probed (uprobes.c): name, op, and which arguments mean
 * what. */
enum mm_probe_shape { SH_FREE, SH_SIZE, SH_CALLOC, SH_REALLOC, SH_REALLOCARRAY, SH_ALIGN,
		      SH_POSIX };
struct mm_probe_fn {
	const char *name;
	uint8_t op;
	uint8_t shape;
};
#define MM_PROBE_FNS 10
extern const struct mm_probe_fn mm_probe_fns[MM_PROBE_FNS];

/* An event: which function, entry or return. */
struct ev_id {
	uint64_t id;
	uint8_t fn;
	bool ret;
};

struct carrier {
	int fd;
	pid_t tid;
	struct perf_event_mmap_page *page;
	size_t size;                     /* data bytes */
	uint64_t last_ts;                /* of its latest sample (a LOST record has none) */
};

/* A call in progress in a thread. */
struct frame {
	uint8_t fn;
	bool inner;                      /* inside another probed call */
	uint64_t ts, site, a0, a1, a2;
};

struct thread {
	int32_t tid, tgid;               /* 0: free slot */
	unsigned depth;
	struct frame f[STACK_DEPTH];
};

struct proc_state {
	int32_t tgid;
	bool hello;                      /* said since its image began */
	bool fork;                       /* a fork child: the hello says so */
};

struct mm_uprobes {
	pid_t pid;
	char group[32];                  /* record's probe group */
	uint64_t tp[MM_PROBE_FNS][2];    /* the probes' event ids (entry, return; 0: none) */
	uint16_t *defined;               /* probes defined: function << 1 | return */
	/* where the probes' fields lie in their raw records: the entry's
	 * a0-a2 (rdi, rsi, rdx) and ra (the return address), the return's
	 * result and call site */
	int f_arg[4], f_ret, f_site_ret;
	size_t nr_defined, cap_defined;
	char lib[PATH_MAX];              /* the file probed, as maps names it */
	uint64_t off[MM_PROBE_FNS];      /* its functions' offsets (0: absent) */
	struct carrier *c;
	size_t nr_c, cap_c;
	int *fds;                        /* every uprobe fd */
	size_t nr_fds, cap_fds;
	struct ev_id *ids;
	size_t nr_ids, cap_ids;
	struct thread *thr;              /* open addressing by tid */
	uint32_t thr_mask, nr_thr;
	struct proc_state *procs;
	size_t nr_procs, cap_procs;
	uint64_t attach_ts;              /* CLOCK_MONOTONIC ns when the probes were set */
	bool ids_sorted;
	struct mm_uprobes_totals tot;
};

#endif
