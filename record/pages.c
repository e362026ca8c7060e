/*
 * record/pages.c - the pages of a process as the kernel holds them (the
 * seeds' LRU lists and reverse map): a PAGES snapshot beside maps and smaps.
 *
 * smaps says how much of a mapping is resident; it cannot say which pages
 * sit on which LRU list, which are page cache and which anonymous, or
 * with which other watched process a page is shared.  /proc/PID/pagemap
 * gives each virtual page's frame (PFN; root only), /proc/kpageflags and
 * /proc/kpagecount that frame's flags and map count, so record walks each
 * mapping of a process and counts, per mapping, its pages present, swapped,
 * anonymous or page cache, on the active, inactive or unevictable list,
 * dirty, in a THP, mapped more than once; then looks the shared frames up
 * in the other watched processes' pagemaps of the same moment (the reverse
 * map, restricted to what memmon watches).
 *
 * The cost is bounded: a mapping of more than MM_PAGES_LIMIT pages is
 * sampled (MM_PAGES_LIMIT / MM_PAGES_BLOCK blocks of MM_PAGES_BLOCK pages
 * spread evenly over it) and its line says how many pages were read; at
 * most MM_PAGES_PEERS other processes are compared.  pagemap is read in
 * preads of up to MM_PAGES_BATCH entries; the frames' flags and counts of
 * a batch sorted and read in spans of neighbouring frames.
 *
 * The payload is text (memmon-format(5), PAGES): a header line, then one
 * line per mapping, "START-END PERMS key=N ... path=PATH", zero counts
 * left out.  A process gone before the read has no PAGES snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "record/record.h"

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h) */
#define KPF_DIRTY        4
#define KPF_LRU          5
#define KPF_ACTIVE       6
#define KPF_ANON        12
#define KPF_SWAPBACKED  14
#define KPF_UNEVICTABLE 18
#define KPF_THP         22
#define KPF_ZERO_PAGE   24
#define KPF_RESERVED    32                 /* the kernel's own ([vdso]) */
#define KPF_MLOCKED     33
/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT  (1ull << 63)
#define PM_SWAPPED  (1ull << 62)
#define PM_EXCLUSIVE (1ull << 56)              /* mapped once: count 1 */
#define PM_PFN_MASK ((1ull << 55) - 1)

#define SPAN_MAX 512                   /* frames one kpageflags read covers at most */
#define SPAN_GAP 8                     /* frames skipped rather than a second read */

/* A present page of a batch: its frame and its place in the batch. */
struct frame {
	uint64_t pfn;
	uint32_t idx;
};

/* What one batch of pagemap entries needs: the entries, their frames'
 * flags and counts, and the frames sorted for reading. */
struct batch {
	uint64_t e[MM_PAGES_BATCH], flags[MM_PAGES_BATCH], count[MM_PAGES_BATCH];
	struct frame fr[MM_PAGES_BATCH];
	uint64_t span[SPAN_MAX];
};

struct region {
	uint64_t start, end;
	char perms[8];
	char *path;                    /* "" for anonymous memory */
	uint64_t scanned, present, swapped, zero, anon, file, active, inactive,
		 unevictable, dirty, thp, shared;
	uint32_t with[MM_PAGES_PEERS]; /* shared pages also mapped by peer i */
};

struct shared_pfn {
	uint64_t pfn;
	size_t region;
};

struct walk {
	struct region *r;
	size_t nr, cap;
	int kflags, kcount;            /* /proc/kpageflags, kpagecount; -1: none */
	struct batch *b;
	struct shared_pfn *shared;     /* frames mapped more than once */
	size_t nshared, capshared;
	uint64_t *pfns;                /* a peer's present frames */
	size_t npfns, cappfns;
	size_t cur;                    /* the region being walked */
};

static int cmp_frame(const void *a, const void *b)
{
	uint64_t x = ((const struct frame *)a)->pfn, y = ((const struct frame *)b)->pfn;
	return x < y ? -1 : x > y;
}

/* OUT[fr.idx] = the value of each frame FR[N] in FD (8 bytes a frame;
 * 0 when unreadable).  Frames come sorted, read in spans: one pread for
 * frames less than SPAN_GAP apart, not one per page (a read of
 * kpageflags costs the kernel work per frame it covers, so no window
 * wider than needed either). */
static void lookup(int fd, struct frame *fr, size_t n, uint64_t *out, uint64_t *span)
{
	for (size_t i = 0, j; i < n; i = j + 1) {
		uint64_t base = fr[i].pfn, len;
		ssize_t got;
		for (j = i; j + 1 < n && fr[j + 1].pfn - fr[j].pfn <= SPAN_GAP &&
			    fr[j + 1].pfn - base < SPAN_MAX; j++)
			;
		len = fr[j].pfn - base + 1;
		got = pread(fd, span, len * 8, (off_t)(base * 8));
		if (got < 0)
			got = 0;
		memset((char *)span + got, 0, len * 8 - (size_t)got);
		for (size_t k = i; k <= j; k++)
			out[fr[k].idx] = span[fr[k].pfn - base];
	}
}

/* "START-END PERMS OFF DEV INODE PATH" lines into W's regions. */
static void parse_maps(struct walk *w, char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long s, e;
		char perms[8];
		int path_at = 0;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &s, &e, perms, &path_at) < 3 ||
		    e <= s || !path_at)
			continue;
		MM_GROW(w->r, w->nr, w->cap, 64);
		w->r[w->nr] = (struct region){ .start = s, .end = e, .path = mm_strdup(line + path_at) };
		memcpy(w->r[w->nr].perms, perms, sizeof(perms));
		w->nr++;
	}
}

/* A page: its pagemap entry, its frame's flags and map count (0: not
 * looked up). */
typedef void page_fn(struct walk *w, uint64_t entry, uint64_t flags, uint64_t count);

/* The flags and counts of the frames of B's N entries.  A page pagemap
 * says is mapped exclusively has count 1 without asking kpagecount (which
 * costs the kernel as much per frame as kpageflags): most of a big
 * process's anonymous memory. */
static void frames_of(struct walk *w, struct batch *b, size_t n)
{
	size_t nf = 0, nc = 0;

	for (size_t i = 0; i < n; i++) {
		b->flags[i] = 0;
		b->count[i] = b->e[i] & PM_EXCLUSIVE ? 1 : 0;
		if ((b->e[i] & PM_PRESENT) && !(b->e[i] & PM_SWAPPED) && (b->e[i] & PM_PFN_MASK))
			b->fr[nf++] = (struct frame){ b->e[i] & PM_PFN_MASK, (uint32_t)i };
	}
	qsort(b->fr, nf, sizeof(b->fr[0]), cmp_frame);
	if (w->kflags >= 0)
		lookup(w->kflags, b->fr, nf, b->flags, b->span);
	for (size_t i = 0; i < nf; i++)          /* sorted still */
		if (!(b->e[b->fr[i].idx] & PM_EXCLUSIVE))
			b->fr[nc++] = b->fr[i];
	if (w->kcount >= 0)
		lookup(w->kcount, b->fr, nc, b->count, b->span);
}

/* Read pages [FIRST, FIRST+N) of the address space (pagemap open at PM)
 * in batches, calling FN for each entry; how many entries were read.
 * FRAMES: look the frames' flags and counts up too. */
static uint64_t walk_range(int pm, uint64_t first, uint64_t n, struct walk *w, page_fn *fn,
			   bool frames)
{
	struct batch *b = w->b;
	uint64_t done = 0;

	while (done < n) {
		uint64_t want = n - done < MM_PAGES_BATCH ? n - done : MM_PAGES_BATCH;
		ssize_t got = pread(pm, b->e, want * 8, (off_t)((first + done) * 8));
		size_t nr = got > 0 ? (size_t)got / 8 : 0;
		if (!nr)
			break;         /* past what the kernel walks ([vsyscall]) */
		if (frames)
			frames_of(w, b, nr);
		for (size_t i = 0; i < nr; i++)
			fn(w, b->e[i], frames ? b->flags[i] : 0, frames ? b->count[i] : 0);
		done += nr;
		if ((uint64_t)got < want * 8)
			break;
	}
	return done;
}

/* Walk region R: in full, or sampled when over the limit. */
static uint64_t walk_region(int pm, const struct region *r, struct walk *w, page_fn *fn,
			    bool frames)
{
	uint64_t first = r->start / MM_PAGES_PAGE, n = (r->end - r->start) / MM_PAGES_PAGE;
	uint64_t nblocks, take = MM_PAGES_LIMIT / MM_PAGES_BLOCK, scanned = 0;

	if (n <= MM_PAGES_LIMIT)
		return walk_range(pm, first, n, w, fn, frames);
	nblocks = (n + MM_PAGES_BLOCK - 1) / MM_PAGES_BLOCK;
	for (uint64_t j = 0; j < take; j++) {
		uint64_t b = j * nblocks / take, off = b * MM_PAGES_BLOCK;
		uint64_t len = n - off < MM_PAGES_BLOCK ? n - off : MM_PAGES_BLOCK;
		scanned += walk_range(pm, first + off, len, w, fn, frames);
	}
	return scanned;
}

/* A page of the process the snapshot is of: count what it is. */
static void count_page(struct walk *w, uint64_t e, uint64_t f, uint64_t c)
{
	struct region *r = &w->r[w->cur];
	uint64_t pfn = e & PM_PFN_MASK;

	if (e & PM_SWAPPED) {
		r->swapped++;
		return;
	}
	if (!(e & PM_PRESENT))
		return;
	if (f & (1ull << KPF_ZERO_PAGE)) {   /* read, never written: not resident */
		r->zero++;
		return;
	}
	r->present++;
	if (f & (1ull << KPF_ANON))
		r->anon++;
	else if (pfn && w->kflags >= 0 && !(f & (1ull << KPF_RESERVED)))
		r->file++;                   /* page cache, tmpfs and shmem too */
	/* an mlocked folio still in a per-CPU batch is not on the list yet,
	 * but that is where it goes */
	if (f & ((1ull << KPF_UNEVICTABLE) | (1ull << KPF_MLOCKED)))
		r->unevictable++;
	else if ((f & (1ull << KPF_LRU)) && (f & (1ull << KPF_ACTIVE)))
		r->active++;
	else if (f & (1ull << KPF_LRU))
		r->inactive++;
	/* PG_dirty, or anonymous memory only RAM (or swap) holds: a PTE's
	 * dirty bit is not in pagemap, and anonymous folios never get PG_dirty
	 * before they go to swap */
	if ((f & (1ull << KPF_DIRTY)) ||
	    ((f & (1ull << KPF_ANON)) && (f & (1ull << KPF_SWAPBACKED))))
		r->dirty++;
	if (f & (1ull << KPF_THP))
		r->thp++;
	if (c > 1) {
		r->shared++;
		MM_GROW(w->shared, w->nshared, w->capshared, 256);
		w->shared[w->nshared++] = (struct shared_pfn){ pfn, w->cur };
	}
}

/* A page of a peer: keep its frame. */
static void keep_pfn(struct walk *w, uint64_t e, uint64_t flags, uint64_t count)
{
	(void)flags, (void)count;
	uint64_t pfn = e & PM_PFN_MASK;

	if (!(e & PM_PRESENT) || (e & PM_SWAPPED) || !pfn)
		return;
	MM_GROW(w->pfns, w->npfns, w->cappfns, 1024);
	w->pfns[w->npfns++] = pfn;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Walk every region of process PID, maps TEXT (modified), with FN. */
static int walk_process(pid_t pid, char *text, struct walk *w, page_fn *fn, bool frames)
{
	char path[64];
	int pm;

	parse_maps(w, text);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return -1;
	for (w->cur = 0; w->cur < w->nr; w->cur++)
		w->r[w->cur].scanned = walk_region(pm, &w->r[w->cur], w, fn, frames);
	close(pm);
	return 0;
}

static void free_regions(struct walk *w)
{
	for (size_t i = 0; i < w->nr; i++)
		free(w->r[i].path);
	free(w->r);
	w->r = NULL;
	w->nr = w->cap = 0;
}

/* Which of PEER's frames are among the subject's shared ones: counted
 * into the subject's regions' with[SLOT]. */
static void match_peer(struct walk *w, struct region *subject, pid_t peer, size_t slot)
{
	struct walk p = { .kflags = -1, .kcount = -1, .b = w->b };
	char path[64], *text;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)peer);
	text = mm_read_file(path, NULL);
	if (!text)
		return;
	if (walk_process(peer, text, &p, keep_pfn, false) == 0 && p.npfns) {
		qsort(p.pfns, p.npfns, sizeof(*p.pfns), cmp_u64);
		for (size_t i = 0; i < w->nshared; i++) {
			uint64_t x = w->shared[i].pfn;
			size_t at = MM_PARTITION_POINT(p.npfns, k, p.pfns[k] < x);
			if (at < p.npfns && p.pfns[at] == x)
				subject[w->shared[i].region].with[slot]++;
		}
	}
	free(text);
	free(p.pfns);
	free_regions(&p);
}

static bool is_leader(pid_t pid)
{
	char path[64], *status, *tg;
	bool leader;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	status = mm_read_file(path, NULL);
	tg = status ? strstr(status, "\nTgid:") : NULL;
	leader = tg && strtol(tg + 6, NULL, 10) == pid;
	free(status);
	return leader;
}

/* The other watched processes, at most MM_PAGES_PEERS; how many more.
 * Watched: record -p's pids while the START snapshots are taken, then the
 * leaders in the instance's pid filter and not in its notrace list. */
static size_t find_peers(struct mm_out *o, pid_t pid, pid_t *peers, size_t *n)
{
	pid_t *in = NULL, *out = NULL;
	size_t nin = 0, nout = 0, more = 0;
	const pid_t *cand;

	*n = 0;
	if (o->start_pids) {
		cand = o->start_pids;
		nin = o->nr_start_pids;
	} else if (!o->inst || mm_tracing_get_pids(o->inst, false, &in, &nin) < 0 ||
		   mm_tracing_get_pids(o->inst, true, &out, &nout) < 0) {
		nin = 0;
		cand = NULL;
	} else {
		cand = in;
	}
	for (size_t i = 0; i < nin; i++) {
		bool left = false;

		for (size_t k = 0; k < nout && !left; k++)
			left = out[k] == cand[i];
		if (cand[i] == pid || left || !is_leader(cand[i]))
			continue;
		if (*n < MM_PAGES_PEERS)
			peers[(*n)++] = cand[i];
		else
			more++;
	}
	free(in);
	free(out);
	return more;
}

#define PUT(key, v) do { if (v) fprintf(f, " " key "=%llu", (unsigned long long)(v)); } while (0)

/* The payload: the header, then a line per region. */
static char *format(const struct walk *w, const pid_t *peers, size_t npeers, size_t more,
		    bool pfns, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fprintf(f, "memmon-pages 1 page_size=%u limit=%u block=%u pfns=%d peers=",
		MM_PAGES_PAGE, MM_PAGES_LIMIT, MM_PAGES_BLOCK, pfns);
	for (size_t i = 0; i < npeers; i++)
		fprintf(f, "%s%d", i ? "," : "", (int)peers[i]);
	fprintf(f, " peers_left=%zu\n", more);
	for (size_t i = 0; i < w->nr; i++) {
		const struct region *r = &w->r[i];
		bool first = true;

		fprintf(f, "%llx-%llx %s scanned=%llu", (unsigned long long)r->start,
			(unsigned long long)r->end, r->perms, (unsigned long long)r->scanned);
		if ((r->end - r->start) / MM_PAGES_PAGE > MM_PAGES_LIMIT)
			fprintf(f, " sampled=1");
		PUT("present", r->present);
		PUT("swapped", r->swapped);
		PUT("zero", r->zero);
		PUT("anon", r->anon);
		PUT("file", r->file);
		PUT("active", r->active);
		PUT("inactive", r->inactive);
		PUT("unevictable", r->unevictable);
		PUT("dirty", r->dirty);
		PUT("thp", r->thp);
		PUT("shared", r->shared);
		for (size_t k = 0; k < npeers; k++) {
			if (!r->with[k])
				continue;
			fprintf(f, "%s%d:%u", first ? " with=" : ",", (int)peers[k], r->with[k]);
			first = false;
		}
		fprintf(f, " path=%s\n", r->path);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int mm_snapshot_pages(struct mm_out *o, pid_t pid, enum mm_snapshot_phase phase, uint64_t ts)
{
	struct walk w = {
		.kflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC),
		.kcount = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC),
		.b = mm_malloc(sizeof(struct batch)),
	};
	pid_t peers[MM_PAGES_PEERS];
	size_t npeers = 0, more = 0, len = 0;
	char path[64], *maps, *text = NULL;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = mm_read_file(path, NULL);
	if (!maps || walk_process(pid, maps, &w, count_page, w.kflags >= 0 || w.kcount >= 0) < 0)
		goto out;      /* gone meanwhile: no snapshot, no error */
	if (w.nshared)
		more = find_peers(o, pid, peers, &npeers);
	for (size_t i = 0; i < npeers; i++)
		match_peer(&w, w.r, peers[i], i);
	text = format(&w, peers, npeers, more, w.kflags >= 0 && w.kcount >= 0, &len);
	if (!text) {
		ret = mm_error_errno("cannot format the pages of process %d", (int)pid);
		goto out;
	}
	pthread_mutex_lock(&o->lock);
	ret = mm_writer_snapshot(o->w, (uint32_t)pid, MM_SNAP_PAGES, phase, ts, text, len);
	pthread_mutex_unlock(&o->lock);
out:
	if (w.kflags >= 0)
		close(w.kflags);
	if (w.kcount >= 0)
		close(w.kcount);
	free(maps);
	free(text);
	free(w.b);
	free(w.shared);
	free_regions(&w);
	return ret;
}
