/*
 * record/record.h - the pieces `memmon record`, `list` and `reset` are built
 * from.  Internal to record/: nothing outside this directory includes it.
 *
 * One concept per file:
 *   tracing.c   the private tracefs instance (create, configure, arm, destroy)
 *   events.c    which events exist on this kernel; the list record enables
 *   stale.c     recognising and removing what a killed memmon left behind
 *   probes.c    the kprobe fault classifier (group memmon_<pid>)
 *   machine.c   MACHINE, header_page and event-format sections
 *   snapshot.c  /proc snapshots
 *   pages.c     the PAGES snapshot: pagemap, kpageflags, kpagecount
 *   drain.c     the thread that moves raw ring-buffer pages into the file
 *   target.c    the traced command: fork, hold, exec, ptrace stops
 *   execpath.c  the path of an execve, read at its entry, noted in the ring
 *   watch.c     the live watch list: the kernel's pid filter, its changes in the trace
 *   control.c   the socket memmon watch (cmd-watch.c) talks to
 *
 * Like every layer below a command they never print: they return -1 with
 * mm_error() set (see memmon.h).
 */
#ifndef MM_RECORD_H
#define MM_RECORD_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "format/writer.h"

struct tracefs_instance;
struct mm_kprobe_set;

/* Names (Documentation/design.md): instance memmon-<pid>, probe group
 * memmon_<pid>, pid being the record process's. */
#define MM_INSTANCE_PREFIX "memmon-"
#define MM_GROUP_PREFIX    "memmon_"
/* The second instance, memmon-<pid>-stacks: user stacks of the memory
 * syscalls (stacks.c). */
#define MM_STACKS_SUFFIX   "-stacks"

/*
 * The instance's trace clock.  "local" is what a new instance starts with:
 * switching to "mono" resets the empty ring and costs an RCU grace period
 * (19-37 ms measured, record's largest fixed cost), so record keeps it and
 * dates snapshots with the same clock instead (mm_tracing_now()).
 */
#define MM_TRACE_CLOCK "local"

/*
 * zstd level without -z (the one place it is set).  1 rather than 3: on
 * fault data it is both faster (810 vs 620 MB/s, bench/RESULTS.md notes)
 * and smaller (4.11 vs 4.50 B/event); mallocs' files grow 3-5%.  Speed
 * counts twice: the drain thread shares the traced program's 2 CPUs, and
 * the last partial chunks are compressed while the command waits.
 */
#define MM_RECORD_DEFAULT_LEVEL 1

/*
 * The trace file, shared by the main thread (snapshots at exec/exit stops)
 * and the drain thread (chunks).  The writer is not thread-safe, so every
 * call goes through the lock.  CLOCK_FD is the instance's per-CPU stats file
 * that snapshots read the trace clock from (-1: none yet).
 */
struct mm_out {
	struct mm_writer *w;
	pthread_mutex_t lock;
	int clock_fd;
	int marker_fd;        /* the instance's trace_marker: record's own notes
	                       * in the ring (plugins/notes.c), -1: none */
	struct mm_mapnames *names;  /* told of every maps snapshot (NULL: none) */
	struct tracefs_instance *inst;  /* its pid filter names the watched
	                                 * processes (pages.c's peers) */
	/* ... but while the START snapshots are taken, the filter is being
	 * written: these are (record -p's pids) */
	const pid_t *start_pids;
	size_t nr_start_pids;
};

/* ---- cmd-record.c ---- */

/* "12,34" -> {12, 34} appended to *PIDS; -1 on anything else. */
int mm_record_parse_pids(const char *arg, pid_t **pids, size_t *n);

/* ---- tracing.c ---- */

/* Root (real and effective uid 0) and a reachable tracefs (mounted when
 * missing); CMD names the command in the message.  Commands call it
 * after their options: a usage error is told first. */
int mm_tracing_check(const char *cmd);
/* Path of tracefs, valid after mm_tracing_check(). */
const char *mm_tracing_dir(void);
/* Create instance NAME, tracing off, clock MM_TRACE_CLOCK, BUFFER_KB per CPU
 * (0: a default that loses nothing in a 2-CPU fault storm) and a
 * buffer_percent that keeps the reader asleep until there is real work. */
struct tracefs_instance *mm_tracing_create(const char *name, unsigned buffer_kb);
/* Does INST offer trace clock CLOCK?  Switch it to CLOCK (costs an RCU
 * grace period: the ring is reset; only before tracing starts). */
bool mm_tracing_has_clock(struct tracefs_instance *inst, const char *clock);
int mm_tracing_set_clock(struct tracefs_instance *inst, const char *clock);
/* Open what mm_tracing_now() reads (close it before destroying INST). */
int mm_tracing_clock_open(struct tracefs_instance *inst);
/* The instance's trace_marker, for record's notes (close it before
 * destroying INST). */
int mm_tracing_marker_open(struct tracefs_instance *inst);
/* Copy every write to the top-level trace_marker into INST too (its
 * copy_trace_marker option, kernels 6.17 and later), so a program that
 * marks its phases there is heard; the top level itself is not changed.
 * 1 when set, 0 when this kernel has no such option, -1 on error. */
int mm_tracing_copy_marker(struct tracefs_instance *inst);
/* The path of INST's own trace_marker (malloc'd), or NULL with mm_error(). */
char *mm_tracing_marker_path(struct tracefs_instance *inst);
/* FILTER into events/SYSTEM/EVENT/filter of INST (an absent event: 0). */
int mm_tracing_event_filter(struct tracefs_instance *inst, const char *system,
			    const char *event, const char *filter);
/* The instance's trace clock now, in ns, rounded up to the next µs: at or
 * after every event already in the ring.  -1 with mm_error() on failure. */
int mm_tracing_now(int clock_fd, uint64_t *ns);
/* Per-CPU ring size in KB, as the kernel has it. */
unsigned mm_tracing_buffer_kb(struct tracefs_instance *inst);
/* set_event_pid := PIDS (and every thread of each), event-fork on. */
int mm_tracing_set_pids(struct tracefs_instance *inst, const pid_t *pids, size_t n);
/* The tasks set_event_pid (NOTRACE: set_event_notrace_pid, the tasks it
 * keeps out) holds now (malloc'd, *N of them). */
int mm_tracing_get_pids(struct tracefs_instance *inst, bool notrace, pid_t **tids, size_t *n);
/* Append TIDS[N] to that list; or (not APPEND) make it TIDS[N] exactly.
 * A rewrite empties the list first, for ~40 ms here: an empty
 * set_event_pid lets every task through, an empty notrace list keeps none
 * out.  Only with tracing off. */
int mm_tracing_write_pids(struct tracefs_instance *inst, bool notrace, const pid_t *tids,
			  size_t n, bool append);
int mm_tracing_on(struct tracefs_instance *inst, bool on);
/* Is INST's buffer switched on?  Record never switches its own off before
 * the end, so "no" then means another tool did (tracefs is the machine's). */
bool mm_tracing_is_on(struct tracefs_instance *inst);
/* Sub-buffer size in bytes of the instance's ring buffer. */
size_t mm_tracing_subbuf_size(struct tracefs_instance *inst);
/* Destroy and free; NULL is fine.  Never touches the top-level instance. */
void mm_tracing_destroy(struct tracefs_instance *inst);
/* The same for INST and STACKS (and probe GROUP's removal, if not NULL)
 * in a child process, so the caller need not wait; for the end of a
 * successful recording.  Any may be NULL. */
void mm_tracing_destroy_detached(struct tracefs_instance *inst,
				 struct tracefs_instance *stacks, const char *group);

/* ---- events.c ---- */

struct mm_evname {
	char system[64];
	char name[64];
};
struct mm_evlist {
	struct mm_evname *ev;
	size_t n, cap;
	char *missing;            /* "sys:name,..." not on this kernel; "" if none */
};
bool mm_event_exists(const char *system, const char *name);
/* The memmon event set (plugins/eventset.c) that exists here; the rest go
 * to ->missing. */
void mm_evlist_build(struct mm_evlist *l);
void mm_evlist_add(struct mm_evlist *l, const char *system, const char *name);
/* Those of SET[N] (plugins/eventset.h) that exist here; the rest to ->missing. */
struct mm_event_spec;
void mm_evlist_add_set(struct mm_evlist *l, const struct mm_event_spec *set, size_t n);
/* The entry and exit events of each of CALLS[N] that exist here. */
void mm_evlist_add_syscalls(struct mm_evlist *l, const char *const *calls, size_t n);
void mm_evlist_free(struct mm_evlist *l);
/* Enable every event of L in INST, one pass over their enable files. */
int mm_evlist_enable(struct tracefs_instance *inst, const struct mm_evlist *l);

/* ---- stacks.c ---- */

/* The stacks instance NAME: off, the user stack (ftrace's userstacktrace,
 * 8 frames by frame pointers) after every event, the sys_enter events of
 * L's memory syscalls enabled and nothing else, the pid filter of PIDS,
 * the trace clock CLOCK (the main instance's).  NULL with mm_error() on
 * failure. */
struct tracefs_instance *mm_stacks_create(const char *name, const struct mm_evlist *l,
					  const pid_t *pids, size_t n, const char *clock);
/* The main instance MAIN's filter that keeps the stack walk's own faults
 * (taken with preemption disabled, mapping nothing) out of its ring. */
int mm_stacks_filter_main(struct tracefs_instance *main);
/* Does this kernel's ftrace offer userstacktrace? */
bool mm_stacks_available(void);

/* ---- stale.c ---- */

/* "memmon-123" with PREFIX "memmon-" -> true, *pid = 123; so is the
 * stacks instance's name, "memmon-123" MM_STACKS_SUFFIX. */
bool mm_stale_parse(const char *name, const char *prefix, pid_t *pid);
/* Is PID a running memmon process? */
bool mm_pid_is_memmon(pid_t pid);
/* Called for each thing removed: WHAT is "instance" or "probe group". */
typedef void (*mm_stale_fn)(void *ctx, const char *what, const char *name);
/* Remove stale instances and probe groups (ALL: also live memmons' ones,
 * never our own).  Returns the number removed or -1. */
int mm_stale_remove(bool all, mm_stale_fn fn, void *ctx);

/* ---- probes.c ---- */

bool mm_probes_kprobes_available(void);
bool mm_probes_uprobes_available(void);
#define MM_PROBES_MAX 16
struct mm_probe_choice {
	const struct mm_kprobe_set *set;  /* NULL: no set works here */
	char symbol[MM_PROBES_MAX][64];   /* per probe of SET: the function used, "" if none */
	int refused[MM_PROBES_MAX];       /* per probe of SET: errno of the refusal, 0 */
	char *text;                       /* SET's definitions, one a line (malloc'd) */
	char notes[1024];                 /* what the kernel refused, "; "-separated */
};
/* Define the first probe set of the kprobe classifier the kernel takes in
 * GROUP and add its events to L.  No set working (or no kprobes) is not an
 * error: C->set is NULL and C->notes says why. */
int mm_probes_choose(const char *group, struct mm_evlist *l, struct mm_probe_choice *c);
void mm_probes_choice_free(struct mm_probe_choice *c);
/* Remove every probe of GROUP (none is fine). */
int mm_probes_destroy(const char *group);

/* ---- machine.c ---- */

struct mm_machine_info {
	const char *command;
	const char *pids;
	const char *classifier;
	const char *missing;
	unsigned buffer_kb;
	unsigned nr_cpus;
	size_t subbuf_size;
	uint64_t start_mono_ns;   /* CLOCK_MONOTONIC at arm time (not the trace clock) */
	const pid_t *attached;    /* record -p: the pids attached to */
	size_t nr_attached;
	const char *clock;        /* the instance's trace clock */
	uint64_t tsc_hz;          /* clock x86-tsc: its rate (MM_KEY_TSC_HZ) */
	bool heap;                /* --malloc: save memmon:malloc's format too */
	const char *markers;      /* MM_KEY_MARKERS: the phase markers recorded */
	bool marker_copy;         /* copy_trace_marker was set (MM_KEY_MARKER_COPY) */
	const char *stacks;       /* MM_KEY_STACKS: "on", or "off: why" */
	const char *heap_frames;  /* MM_KEY_HEAP_FRAMES (--malloc), or NULL */
	uint16_t heap_id;         /* out: the id it got */
};
/* MACHINE (first), header_page, then the format of every event of L (and
 * memmon:malloc's with MI->heap, its id into MI->heap_id). */
int mm_machine_write(struct mm_writer *w, struct mm_machine_info *mi,
		     const struct mm_evlist *l);

/* ---- snapshot.c ---- */

/* CLOCK_MONOTONIC: durations and deadlines, not timestamps in the file. */
uint64_t mm_mono_ns(void);
/* Snapshots are dated with the trace clock (o->clock_fd). */
/* meminfo, zoneinfo, buddyinfo (pid 0). */
int mm_snapshot_system(struct mm_out *o, enum mm_snapshot_phase phase);
/* maps and status of PID; a process that is already gone is not an error. */
int mm_snapshot_process(struct mm_out *o, pid_t pid, enum mm_snapshot_phase phase);

/* ---- pages.c ---- */

#define MM_PAGES_PAGE   4096u    /* pagemap's unit (x86-64) */
#define MM_PAGES_LIMIT  16384u   /* a mapping over 64 MiB is sampled... */
#define MM_PAGES_BLOCK  512u     /* ...in blocks of 2 MiB, LIMIT pages in all */
#define MM_PAGES_BATCH  8192u    /* pagemap entries per pread (64 KiB) */
#define MM_PAGES_PEERS  8        /* other watched processes compared */
/* The PAGES snapshot of PID, dated TS: per mapping, its pages as the
 * kernel holds them (pagemap, kpageflags, kpagecount) and which are shared
 * with the other watched processes.  A process already gone: 0, none. */
int mm_snapshot_pages(struct mm_out *o, pid_t pid, enum mm_snapshot_phase phase, uint64_t ts);

/* ---- elf.c ---- */

struct mm_elf_object;
/* Read the ELF file open at FD (PATH names it in messages and in *O):
 * build-id, program headers, function symbols (.symtab, else DEBUG_DIR's
 * debug file of its build-id, else .dynsym; DEBUG_DIR NULL: none), frame
 * pointers.  *O's arrays and *NAMES (the names' storage) are malloc'd:
 * mm_elf_release().  -1 with mm_error() when it is no ELF object. */
int mm_elf_read(int fd, const char *path, const char *debug_dir, struct mm_elf_object *o,
		char **names);
void mm_elf_release(struct mm_elf_object *o, char *names);
/* enum mm_elf_fp of the file at PATH (unknown when unreadable). */
int mm_elf_fp_of_file(const char *path);
/* The same of the program PATH runs: a script's (#!) interpreter's.  The
 * file asked about goes into USED (N bytes). */
int mm_elf_fp_of_program(const char *path, char *used, size_t n);

/* ---- mapnames.c ---- */

struct mm_mapnames;
struct mm_mapnames_stats {
	uint64_t mappings;        /* file mappings recorded */
	uint64_t lost;            /* mapping records the kernel dropped */
	uint64_t objects;         /* ELF objects stored */
	uint64_t symbols;         /* ... their symbols */
	uint64_t no_fp;           /* ... of them without frame pointers */
	uint64_t unreadable;      /* executable files that could not be opened */
};
/* The kernel's mapping records of PIDS (THREADS: of every thread of each,
 * for -p; else PIDS are single tasks, e.g. the held CMD), on each of
 * NR_CPUS.  NULL with mm_error() when perf_event_open is refused. */
struct mm_mapnames *mm_mapnames_open(const pid_t *pids, size_t n, bool threads,
				     unsigned nr_cpus);
/* Does this kernel give record the mapping records (a dummy perf event
 * on this process opens)? */
bool mm_mapnames_available(void);
/* Start the thread that stores them (and the ELF objects) through O;
 * DEBUG_DIR is where separate debug files are looked for (NULL: nowhere). */
int mm_mapnames_start(struct mm_mapnames *m, struct mm_out *o, const char *debug_dir);
/* Process PID joins the recording (memmon watch): its mapping records,
 * every thread's, from now on (-1 with mm_error() when perf refuses).
 * At its leave they are closed (its records until then are kept). */
int mm_mapnames_join(struct mm_mapnames *m, pid_t pid);
void mm_mapnames_leave(struct mm_mapnames *m, pid_t pid);
/* A maps snapshot of PID: its executable files are read too. */
void mm_mapnames_note_maps(struct mm_mapnames *m, pid_t pid, const char *text, size_t len);
/* Call after the traced tasks stopped: read the rest, store it, join. */
int mm_mapnames_stop(struct mm_mapnames *m, struct mm_mapnames_stats *st);
void mm_mapnames_free(struct mm_mapnames *m);

/* ---- objfiles.c (the mapping-names thread's only) ---- */

struct mm_objfiles;
struct mm_mapent;
typedef void (*mm_objfiles_entry_fn)(void *ctx, const struct mm_mapent *e);
/* DEBUG_DIR: where separate debug files are looked for (NULL: nowhere). */
struct mm_objfiles *mm_objfiles_new(const char *debug_dir);
/* File MAJ:MIN inode INO at PATH, mapped executable by PID at START..END:
 * to be read (once per device and inode). */
void mm_objfiles_want(struct mm_objfiles *s, pid_t pid, uint64_t start, uint64_t end,
		      uint32_t maj, uint32_t min, uint64_t ino, const char *path);
/* The executable file mappings of PID's maps snapshot TEXT: the same. */
void mm_objfiles_want_maps(struct mm_objfiles *s, pid_t pid, const char *text);
/* Read what was wanted since the last call: each object of a build-id not
 * seen yet stored through OUT, each file's FILE entry given to ADD, counts
 * added to ST.  -1 when writing failed. */
int mm_objfiles_read(struct mm_objfiles *s, struct mm_out *out, mm_objfiles_entry_fn add,
		     void *ctx, struct mm_mapnames_stats *st);
void mm_objfiles_free(struct mm_objfiles *s);

/* ---- execpath.c ---- */

/* PID is at a syscall-entry stop: if the call is execve (or execveat),
 * note its path in the trace (o->marker_fd).  1 when noted, else 0. */
int mm_execpath_note(struct mm_out *o, pid_t pid);

/* ---- drain.c ---- */

struct mm_drain;
struct mm_drain_totals {
	uint64_t events;          /* read events + entries left, all CPUs */
	uint64_t lost;            /* overrun + dropped, all CPUs */
	uint64_t subbufs;
};
/* Open every CPU's trace_pipe_raw of INST and start the drain thread,
 * which writes chunks of CHUNK_BYTES through O (STACKS: the stacks
 * instance's, as STACK_CHUNK and STACK_STATS).  WAKE_TID gets SIGCHLD if
 * the thread fails, so a waiting main loop notices. */
struct mm_drain *mm_drain_start(struct tracefs_instance *inst, unsigned nr_cpus,
				size_t subbuf_size, size_t chunk_bytes,
				struct mm_out *o, pthread_t wake, bool stacks);
bool mm_drain_failed(struct mm_drain *d);
/* Call with tracing off: read what is left, write partial chunks, join,
 * then write STATS from per_cpu/cpuN/stats. */
int mm_drain_stop(struct mm_drain *d, struct mm_drain_totals *t);
/* Close the CPU files (they keep the instance busy) and free; NULL ok. */
void mm_drain_free(struct mm_drain *d);

/* ---- malloc.c ---- */

/* record --malloc with the interposer: the rings shared with the recorded
 * programs (record/interposer/ring.h) and the thread that drains them into
 * HEAP_CHUNK sections. */
struct mm_malloc;
struct mm_malloc_totals {
	uint64_t records;         /* calls recorded */
	uint64_t lost;            /* records lost (LOST records in the trace) */
	uint64_t no_ring;         /* of them: calls of threads that got no ring */
	uint64_t bad;             /* ring contents that made no sense, skipped */
	uint64_t late;            /* records that came after their time had passed */
	uint64_t waits;           /* times a writer found its ring full and waited */
	uint64_t rings;           /* rings used (threads, execs) */
	uint64_t chunks;
	uint64_t uprobes;         /* calls recorded by uprobes (of records) */
	uint64_t stacks;          /* distinct stacks of the allocations (frames) */
	uint64_t stacks_full;     /* calls whose new stack found the table full */
};
/* The records' clock now (MM_RING_CLOCK_*). */
uint64_t mm_malloc_clock(unsigned clock);
/* NR_RINGS rings of RING_KB each (a power of two), records timed by
 * CLOCK, which ticks TICKS_PER_MS times a millisecond. */
struct mm_malloc *mm_malloc_create(unsigned nr_rings, unsigned ring_kb, unsigned clock,
				   uint64_t ticks_per_ms);
/* The fd CMD inherits (not close-on-exec). */
int mm_malloc_fd(const struct mm_malloc *m);
/* Allocations carry up to N return addresses beyond their site (0: the
 * site only): before CMD runs, as its interposer reads it at its start. */
void mm_malloc_set_frames(struct mm_malloc *m, unsigned n);
/* Start draining into O's writer: memmon:malloc events of id EVENT_ID in
 * sub-buffers of SUBBUF_SIZE, chunks compressed at LEVEL. */
int mm_malloc_start(struct mm_malloc *m, struct mm_out *o, uint16_t event_id, int level,
		    uint32_t subbuf_size);
bool mm_malloc_failed(const struct mm_malloc *m);
/* The recording is over: close the rings, take what is left, write it. */
int mm_malloc_stop(struct mm_malloc *m, struct mm_malloc_totals *t);
void mm_malloc_free(struct mm_malloc *m);

struct mm_uprobes;
/* Also take the records of uprobes U (the records' clock must be
 * MM_RING_CLOCK_MONO, the uprobes' own); the recording owns U then. */
int mm_malloc_add_uprobes(struct mm_malloc *m, struct mm_uprobes *u);

/* ---- uprobes.c, uprobe-calls.c ---- */

/* record --malloc by uprobes on the allocator a process maps, opened for
 * its threads only (perf_event_open), their samples turned into the
 * records the interposer writes. */
struct mm_uprobes;
struct mm_heap_rec;
struct mm_uprobes_totals {
	uint64_t samples;         /* samples read */
	uint64_t calls;           /* records made of them */
	uint64_t nested;          /* calls inside a probed call (its own part) */
	uint64_t lost;            /* samples the kernel dropped, and calls whose
	                           * entry was never seen */
};
bool mm_uprobes_available(void);
/* The probes (in GROUP, record's) on every thread of PID and what they
 * will make; NULL with mm_error() (nothing left defined). */
struct mm_uprobes *mm_uprobes_open(pid_t pid, const char *group);
/* The file probed ("/usr/lib/x86_64-linux-gnu/libc.so.6"). */
const char *mm_uprobes_file(const struct mm_uprobes *u);
/* Read every buffer: each call completed (and the HELLO and LOST
 * records around them) to EMIT, in order within each thread; times
 * CLOCK_MONOTONIC ns. */
typedef void (*mm_uprobes_emit_fn)(void *ctx, const struct mm_heap_rec *r);
int mm_uprobes_read(struct mm_uprobes *u, mm_uprobes_emit_fn emit, void *ctx);
const struct mm_uprobes_totals *mm_uprobes_totals(const struct mm_uprobes *u);
/* Close every event: the kernel removes the probes with the last one. */
void mm_uprobes_close(struct mm_uprobes *u);

/* ---- uprobe-cost.c ---- */

/* What a malloc/free pair costs here without and with record's uprobes
 * (a child of memmon timed, its probes in GROUP). */
struct mm_uprobe_cost {
	double plain_pair_ns, probed_pair_ns;
	char file[256];           /* the file probed */
};
int mm_uprobes_measure(const char *group, struct mm_uprobe_cost *c);

/* ---- elfsyms.c ---- */

struct mm_elf_func {
	const char *name;
	uint64_t off;             /* the file offset of its code, 0: not defined here */
};
/* The N functions FN named, looked up in PATH's symbol tables. */
int mm_elf_func_offsets(const char *path, struct mm_elf_func *fn, size_t n);
/* 1: PATH has no program interpreter (a static program), 0: it has, -1. */
int mm_elf_is_static(const char *path);
/* A SystemTap SDT probe (sys/sdt.h) a .note.stapsdt note declares. */
struct mm_sdt_probe {
	char provider[64], name[64], args[128];
	uint64_t addr, off;       /* its address (linked), its file offset */
	uint64_t semaphore;       /* the address of its semaphore, 0: none */
};
/* PATH's SDT probes into *OUT (malloc'd, *NR of them; none: NULL, 0). */
int mm_elf_sdt_probes(const char *path, struct mm_sdt_probe **out, size_t *nr);

/* ---- heapwriter.c ---- */

/* The malloc stream's chunks: the drain fills mm_heapw_enc() and hands it
 * over with mm_heapw_flush(), which a thread of its own compresses (LEVEL)
 * and writes through O as HEAP_CHUNK sections of memmon:malloc events
 * (id EVENT_ID) in sub-buffers of SUBBUF_SIZE, times kept to 2^QSHIFT
 * clock units (format/heapcodec.h). */
struct mm_heapw;
struct mm_heap_enc;
struct mm_heapw *mm_heapw_start(struct mm_out *o, uint16_t event_id, int level,
				uint32_t subbuf_size, unsigned qshift);
struct mm_heap_enc *mm_heapw_enc(struct mm_heapw *w);
/* Hand the encoder over (waiting while the other one is still being
 * written); the next mm_heapw_enc() is the other one. */
int mm_heapw_flush(struct mm_heapw *w);
/* Flush, wait for the writes, stop the thread; *CHUNKS written. */
int mm_heapw_stop(struct mm_heapw *w, uint64_t *chunks);
void mm_heapw_free(struct mm_heapw *w);

/* ---- preload.c ---- */

/* libmemmon-malloc.so's absolute path (malloc'd), or NULL with mm_error(). */
char *mm_preload_find_lib(void);
/* Record's environment with LIB first in LD_PRELOAD and the rings' FD in
 * MM_RING_ENV, for CMD's exec; free with mm_preload_env_free(). */
char **mm_preload_env(const char *lib, int fd);
void mm_preload_env_free(char **env);

/* ---- procinfo.c ---- */

/* Process PID's threads (at least PID itself, when /proc has none or it
 * is gone), malloc'd, *N of them. */
pid_t *mm_proc_threads(pid_t pid, size_t *n);
/* The threads of every process of PIDS[N], one array (malloc'd, NULL when
 * N is 0), *NT of them. */
pid_t *mm_proc_threads_all(const pid_t *pids, size_t n, size_t *nt);
/* /proc/PID/status: its thread group, parent, whether it has user memory
 * (VmSize: not a kernel thread), its name; -1 when there is no such task. */
struct mm_proc_status {
	pid_t tgid, ppid;
	bool user;
	char comm[16];
};
int mm_proc_status(pid_t pid, struct mm_proc_status *st);
/* Does process PID descend from ANCESTOR, by the chain of parents /proc
 * has now (an orphan that init took descends from nobody)? */
bool mm_proc_descends(pid_t pid, pid_t ancestor);

/* ---- watch.c ---- */

/* The live watch list: PIDS[N] watched from the start (START_TS, the
 * trace clock just before tracing went on, not 0: record -p, whose start
 * the trace records as joins of that moment); changed by requests, which
 * change the pid filters of INST and STACKS (the stacks instance, NULL:
 * none) and open or close the processes' mapping records in NAMES (NULL:
 * none). */
struct mm_watch;
struct mm_watch *mm_watch_new(struct tracefs_instance *inst, struct tracefs_instance *stacks,
			      struct mm_mapnames *names, struct mm_out *o, const pid_t *pids,
			      size_t n, uint64_t start_ts);
void mm_watch_free(struct mm_watch *w);
/* One request ("add PID", "remove PID", "clear", "list"): 0 done, 1
 * refused or failed; REPLY[LEN] gets what to tell the user (lines). */
int mm_watch_request(struct mm_watch *w, const char *req, char *reply, size_t len);
/* The processes joined and not left (malloc'd *PIDS); how many. */
size_t mm_watch_pids(struct mm_watch *w, pid_t **pids);
/* Should record -p go on: one of them runs, or the user emptied the list
 * (it waits for the next to join, or a signal)? */
bool mm_watch_going_on(struct mm_watch *w);

/* ---- control.c ---- */

/* Where the control sockets live: root's alone.  record-PID.sock. */
#define MM_CONTROL_DIR    "/run/memmon"
#define MM_CONTROL_PREFIX "record-"
#define MM_CONTROL_SUFFIX ".sock"
/* Make MM_CONTROL_DIR (0700, root's) if needed; -1 when it is not root's. */
int mm_control_dir(void);
/* The socket path of the recording of record process PID. */
void mm_control_path(char *buf, size_t len, pid_t pid);
/* Listen on this process's socket and serve W's requests on a thread. */
struct mm_control;
struct mm_control *mm_control_start(struct mm_watch *w);
/* Stop serving, remove the socket; NULL is fine. */
void mm_control_stop(struct mm_control *c);

/* ---- target.c ---- */

struct mm_target;
/* A copy of ENV (NULL: record's own environment) with NAME=VALUE in it,
 * replacing any NAME there; free with mm_env_free(). */
char **mm_env_with(char *const *env, const char *name, const char *value);
void mm_env_free(char **env);
/* Fork CMD's process, held before exec, seized by ptrace; it execs with
 * environment ENVP (NULL: record's own). */
struct mm_target *mm_target_spawn(char **argv, char **envp);
pid_t mm_target_pid(const struct mm_target *t);
/* The file CMD execs: argv[0] as found in $PATH, or as given. */
const char *mm_target_program(const struct mm_target *t);
/* NAME found in $PATH (malloc'd), NULL when not there or NAME has a '/'. */
char *mm_target_find(const char *name);
/* FN(CTX, pid) at CMD's first exec stop: its program is mapped, not run
 * (record --malloc of a static program sets its uprobes there). */
void mm_target_on_exec(struct mm_target *t, void (*fn)(void *ctx, pid_t pid), void *ctx);
/* Let it exec (its ptrace stops until then served, snapshots into O); -1
 * with "cannot run 'CMD': ..." if exec failed (*status then holds 126/127
 * as a shell would); 1 when a signal killed it before its exec (*status:
 * 128+signal). */
int mm_target_release(struct mm_target *t, struct mm_out *o, int *status);
/*
 * The ptrace loop until CMD exits: snapshots at exec and exit stops,
 * signals re-injected.  STOP is polled whenever a signal arrives: it
 * returns 1 to forward SIGNO to CMD, 2 to stop at once, 0 to go on.
 * WAITMASK is the signal mask to sleep with (the loop's signals unblocked).
 * Returns CMD's status (exit code, 128+signal), MM_TARGET_STOPPED when STOP
 * said so, or -1.
 */
#define MM_TARGET_STOPPED (-2)
typedef int (*mm_target_stop_fn)(void *ctx, int *signo);
int mm_target_wait(struct mm_target *t, struct mm_out *o, const sigset_t *waitmask,
		   mm_target_stop_fn stop, void *ctx);
/* Detach what is still traced, reap CMD (killing it if still running). */
void mm_target_free(struct mm_target *t);

#endif
