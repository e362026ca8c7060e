/*
 * record/summary.c - the lines `memmon record` prints at its end: events
 * and losses, the file's size and bytes per event, the recorder's own CPU
 * time (what tracing cost on top of the tracepoints, so nobody has to
 * guess), and --malloc's and -v's figures.  -q prints none of them.
 */
#include <stdio.h>
#include <sys/resource.h>

#include "record/recording.h"

/* CPU time memmon itself used (all its threads, not CMD's): what tracing
 * cost on top of the tracepoints, shown so nobody has to guess. */
static double self_cpu_secs(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * A uprobe hit costs the recorded thread ~2.5 us here (two traps and a
 * sample; design.md, memmon list): a malloc/free pair ~7 us, against
 * ~15 ns for the pair itself.  When the calls of the recording add up to
 * a fifth of its time or more, say so: the program ran much slower.
 */
#define UPROBE_CALL_NS 4500

static void heap_uprobes_summary(const struct rec *r, const struct mm_malloc_totals *ht, double secs,
				 uint64_t bytes)
{
	fprintf(stderr, "memmon record: malloc: %llu calls recorded (%llu lost) by uprobes on %s, "
		"%.1f B/call\n", (unsigned long long)ht->records, (unsigned long long)ht->lost,
		r->uprobe_file[0] ? r->uprobe_file : "(none)",
		ht->records ? (double)bytes / ht->records : 0.0);
	double probed = (double)ht->uprobes * UPROBE_CALL_NS / 1e9;
	if (secs > 0 && probed > secs / 5)
		fprintf(stderr, "memmon record: warning: %.0f malloc calls a second, each ~%.1f us "
			"in the uprobes: the program spent about %.0f%% of the recording in them "
			"(it ran that much slower); recorded from its start (memmon record --malloc "
			"-- CMD) a call costs ~0.01 us\n", ht->uprobes / secs, UPROBE_CALL_NS / 1e3,
			probed >= secs ? 99.0 : 100.0 * probed / secs);
}

/* The end of a recording, from the totals finish() gathered. */
void mm_rec_summary(const struct rec *r, const struct mm_rec_totals *t)
{
	if (r->opt.quiet)
		return;
	fprintf(stderr, "memmon record: %llu events (%llu lost) in %.3f s, written to %s "
		"(%llu KB, %.1f B/event; recorder CPU %.3f s)\n",
		(unsigned long long)t->events.events, (unsigned long long)t->events.lost, t->secs,
		r->opt.output, (unsigned long long)(t->file.file_bytes + 1023) / 1024,
		t->events.events ? (double)t->file.file_bytes / t->events.events : 0.0,
		self_cpu_secs());
	if (t->events.lost)
		fprintf(stderr, "hint: use -b to enlarge the per-CPU buffer (now %u KB)\n",
			r->opt.buffer_kb);
	if (r->heap && !r->heap_uprobes)
		fprintf(stderr, "memmon record: malloc: %llu calls recorded (%llu lost), %llu threads, "
			"%.1f B/call\n", (unsigned long long)t->heap.records,
			(unsigned long long)t->heap.lost, (unsigned long long)t->heap.rings,
			t->heap.records ? (double)t->file.heap_chunk_bytes / t->heap.records : 0.0);
	if (r->heap && (t->heap.stacks || t->heap.stacks_full))
		fprintf(stderr, "memmon record: malloc: %llu call stacks (a site and its callers)%s\n",
			(unsigned long long)t->heap.stacks,
			t->heap.stacks_full ? "; the table was full: later stacks kept their site only" : "");
	if (r->heap && r->heap_uprobes)
		heap_uprobes_summary(r, &t->heap, t->secs, t->file.heap_chunk_bytes);
	if (r->heap && r->opt.verbose)
		fprintf(stderr, "memmon record: malloc: %llu chunks, writers waited %llu times for room, "
			"%llu records late, %llu bad\n", (unsigned long long)t->heap.chunks,
			(unsigned long long)t->heap.waits, (unsigned long long)t->heap.late,
			(unsigned long long)t->heap.bad);
	if (t->heap.no_ring)
		fprintf(stderr, "memmon record: malloc: %llu calls of threads beyond the %u rings were "
			"not recorded\n", (unsigned long long)t->heap.no_ring, MM_REC_NR_RINGS);
	if (r->opt.verbose)
		fprintf(stderr, "memmon record: %llu file mappings (%llu lost), %llu ELF objects "
			"(%llu symbols, %llu without frame pointers, %llu unreadable), %llu "
			"stacks (%llu lost)\n", (unsigned long long)t->names.mappings,
			(unsigned long long)t->names.lost, (unsigned long long)t->names.objects,
			(unsigned long long)t->names.symbols, (unsigned long long)t->names.no_fp,
			(unsigned long long)t->names.unreadable, (unsigned long long)t->stacks.events,
			(unsigned long long)t->stacks.lost);
}
