/*
 * report/analyses/findings-enomem.c - memory requests that failed
 * (enomem), grouped into the fallback sequences libc tries.
 *
 * A failure is a memory syscall returning -ENOMEM, or a brk(X) that
 * returned another value than X (brk reports failure by returning the old
 * break, never an errno).  Failures of one process that follow each other
 * within MM_FIND_ENOMEM_GAP_NS, with no successful request in between, are
 * one sequence: one finding.  A request that succeeds right after them ends
 * the sequence and is shown as the fallback that worked.
 *
 * What glibc 2.36 does (checked with strace under RLIMIT_AS = 256 MiB,
 * malloc(512 MiB)): mmap(NULL, 512 MiB + 4 KiB) -> ENOMEM; brk(break +
 * 512 MiB) -> old break (fails); mmap(NULL, request + top pad, at least
 * 1 MiB: "MMAP_AS_MORECORE") -> ENOMEM; malloc returns NULL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "memmon.h"
#include "report/analyses/findings-int.h"

static const char explain_enomem[] =
	"The kernel refused memory: no address space left under RLIMIT_AS, or no "
	"commit charge left with vm.overcommit_memory=2. glibc's malloc then falls "
	"back: a request mmap could not serve is tried on the heap with brk, a "
	"failed brk is retried as an mmap (at least 1 MiB); when all fail, malloc "
	"returns NULL with errno ENOMEM.";
static const char tune_enomem[] =
	"check ulimit -v (RLIMIT_AS), vm.overcommit_memory/overcommit_ratio and "
	"Committed_AS in /proc/meminfo; ask for less, or handle the NULL";

/* A failed request?  brk: result differs from a non-zero argument. */
static bool failed_request(const struct mm_syscall *s)
{
	if (!s->has_ret)
		return false;
	if (s->nr == MM_SYS_BRK)
		return s->args[0] && (uint64_t)s->ret != s->args[0];
	return s->ret == -ENOMEM;
}

/* A request that got memory (brk(0) only asks). */
static bool good_request(const struct mm_syscall *s)
{
	if (!s->has_ret || fnd_failed(s))
		return false;
	if (s->nr == MM_SYS_BRK)
		return s->args[0] && (uint64_t)s->ret == s->args[0];
	return s->nr == MM_SYS_MMAP || s->nr == MM_SYS_MREMAP;
}

/* Bytes a request asked for: brk's growth, mmap's length, mremap's new one. */
static uint64_t asked(const struct mm_find_ev *e)
{
	switch (e->nr) {
	case MM_SYS_BRK:
		return e->args[0] > (uint64_t)e->ret ? e->args[0] - (uint64_t)e->ret : 0;
	case MM_SYS_MMAP: return e->args[1];
	case MM_SYS_MREMAP: return e->args[2];
	default: return 0;
	}
}

static void close_sequence(struct mm_findings *fs, struct fproc *p, const struct mm_event *ok)
{
	struct mm_finding *f = &fs->list[p->en.cur];
	uint64_t nfail = f->ev_total;
	char steps[160] = "";
	size_t n = 0;
	for (unsigned i = 0; i < f->nr_ev && n < sizeof(steps); i++)
		n += (size_t)snprintf(steps + n, sizeof(steps) - n, "%s%s %" PRIu64 " KiB",
				      i ? ", " : "", mm_syscall_name(f->ev[i].nr),
				      asked(&f->ev[i]) >> 10);
	if (ok) {
		struct mm_find_ev e;
		fnd_ev_from(fs, &e, ok);
		fnd_ev(f, &e);
	}
	snprintf(f->summary, sizeof(f->summary),
		 "%" PRIu64 " memory request%s failed in a row (%s)%s",
		 nfail, nfail == 1 ? "" : "s", steps,
		 ok ? "; then a fallback succeeded" : "; no fallback succeeded");
	fnd_num(f, "failures", "count", nfail);
	fnd_num(f, "first_request", "bytes", asked(&f->ev[0]));
	fnd_num(f, "fallback_succeeded", "count", ok ? 1 : 0);
	p->en.open = false;
}

static void add_failure(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev)
{
	struct fenomem *en = &p->en;
	if (en->open && ev->ts - en->last_ts > MM_FIND_ENOMEM_GAP_NS)
		close_sequence(fs, p, NULL);
	if (!en->open) {
		struct mm_finding *f = fnd_add(fs, "enomem", MM_FIND_WARN, p->tgid);
		f->explain = explain_enomem;
		f->tune = tune_enomem;
		en->cur = (size_t)(f - fs->list);
		en->open = true;
		en->sequences++;
	}
	struct mm_find_ev e;
	fnd_ev_from(fs, &e, ev);
	fnd_ev(&fs->list[en->cur], &e);
	en->failures++;
	en->last_ts = ev->ts;
}

void fenomem_syscall(struct mm_findings *fs, struct fproc *p, const struct mm_event *ev)
{
	if (failed_request(&ev->sys))
		add_failure(fs, p, ev);
	else if (p->en.open && good_request(&ev->sys))
		close_sequence(fs, p, ev->ts - p->en.last_ts <= MM_FIND_ENOMEM_GAP_NS ? ev : NULL);
}

void fenomem_finish(struct mm_findings *fs, struct fproc *p)
{
	if (p->en.open)
		close_sequence(fs, p, NULL);
}
