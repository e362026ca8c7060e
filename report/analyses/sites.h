/*
 * report/analyses/sites.h - the code behind the memory (report --sites):
 * which functions faulted and which stacks made the mappings and moved
 * the break.
 *
 * Fault sites: every fault's instruction pointer, named in the address
 * space of that moment (report/model/symbols.h), grouped by function (or
 * MODULE+0xOFF where no symbol holds it); per site the faults by class and
 * access, the pages those faults touched first and the regions (lineages)
 * they touched.  A kernel-mode fault's instruction is the kernel's: its
 * site is the syscall it came in ("[kernel] read").
 *
 * Map sites: every memory syscall of a process, grouped by the stack it
 * was made from (record's stacks instance; "no stack" when there was
 * none): calls by syscall, bytes mapped and unmapped, how far the break
 * moved up and down, and what the regions those calls made went on to
 * take (faults, pages first touched) over their lives.
 *
 * Fed by the model's fault hook and by every event after the model has
 * applied it; honours a --pid filter (processes or their tasks).
 */
#ifndef MM_REPORT_ANALYSES_SITES_H
#define MM_REPORT_ANALYSES_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"
#include "report/analyses/regions.h"
#include "report/model/symbols.h"

struct mm_as;

struct mm_fault_site {
	const char *module;        /* file base name, NULL: not in a file */
	const char *func;          /* NULL: no symbol */
	const char *special;       /* "[vdso]", "[anon]", "[kernel]", "[unknown]"
	                            * when not in a file */
	const char *syscall;       /* "[kernel]": the call it came in, or NULL */
	uint64_t off;              /* without FUNC: the address in the object
	                            * (or the file offset), from the region */
	uint64_t addr;             /* where it starts in the object: FUNC's
	                            * address (nm's), else OFF (--sort addr) */
	bool no_fp;
	uint64_t faults;
	uint64_t by_class[MM_FAULT_NR];
	uint64_t by_access[MM_ACCESS_NR];
	uint64_t pages;            /* pages first touched by these faults */
	uint64_t regions;          /* distinct regions touched */
};

struct mm_map_site {
	uint32_t stack;            /* the model's stack id, 0: no stack */
	uint64_t calls;
	uint64_t by_sys[MM_SYS_NR];
	uint64_t failed;           /* calls that returned an error */
	uint64_t mapped;           /* bytes mmap, mremap (growth), shmat added */
	uint64_t unmapped;         /* bytes munmap, mremap (shrink) took away */
	uint64_t brk_up, brk_down; /* bytes the break moved */
	uint64_t faults;           /* faults in the regions these calls made */
	uint64_t pages;            /* pages first touched in them */
};

struct mm_sites {
	struct mm_fault_site *fault;
	size_t nr_fault, cap_fault;
	struct mm_map_site *map;
	size_t nr_map, cap_map;
	uint64_t calls;                        /* memory syscalls */
	struct mm_stack_counts stacks;         /* their stacks, the shallow ones */
	uint64_t faults;
	/* private */
	struct mm_as *as;
	const int32_t *pids;
	size_t nr_pids;
	void *fault_idx, *map_idx, *touched;   /* hash tables */
	void *brk;                             /* tgid -> index in brk_val */
	uint64_t *brk_val;                     /* each process's last break */
	size_t nr_brk, cap_brk;
};

/* Watch AS (adds a fault hook); PIDS[NR] filter, NR 0: all.  *S is zeroed
 * first; mm_sites_free() releases it. */
void mm_sites_init(struct mm_sites *s, struct mm_as *as, const int32_t *pids, size_t nr);
/* Each event, after the model applied it. */
void mm_sites_event(struct mm_sites *s, const struct mm_event *ev);
/* Sort both lists: faults (the default), size (pages touched, bytes
 * mapped), or addr (module, then address). */
void mm_sites_sort(struct mm_sites *s, enum mm_regions_sort key);
void mm_sites_free(struct mm_sites *s);
/* Count into C the stack of EV when it is a memory call (what --sites
 * counts; no model AS: nothing), as the report's summary does. */
void mm_sites_count_stack(struct mm_stack_counts *c, const struct mm_as *as,
			  const struct mm_event *ev);

#endif
