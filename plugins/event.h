/*
 * plugins/event.h - memmon's decoded events.
 *
 * Plugins turn raw tracepoint records into these; report's views and
 * analyses consume only these and never look at raw bytes.  A struct
 * mm_event is small and self-contained (no pointers into the ring data
 * except where noted) so a consumer may copy it.
 *
 * "pid" is the kernel task id (a thread's tid), as the seed's log and the
 * tracepoints' common_pid have it; "tgid" is the process it belongs to when
 * known (0 when not).
 */
#ifndef MM_PLUGINS_EVENT_H
#define MM_PLUGINS_EVENT_H

#include <stdbool.h>
#include <stdint.h>

enum mm_event_kind {
	MM_EV_FAULT,     /* a user page fault, classified */
	MM_EV_SYSCALL,   /* a memory syscall: entry args + exit result */
	MM_EV_FORK,      /* sched_process_fork: pid made child */
	MM_EV_EXEC,      /* sched_process_exec */
	MM_EV_EXIT,      /* sched_process_exit */
	MM_EV_RENAME,    /* task_rename (comm change) */
	MM_EV_RSS,       /* kmem:rss_stat: a per-mm counter's new value */
	MM_EV_FILEMAP,   /* filemap fault / map_pages (also feeds the classifier) */
	MM_EV_SIGNAL,    /* signal_generate (sent by a watched task) / signal_deliver */
	MM_EV_HEAP,      /* record --malloc: a call of the allocator (memmon:malloc) */
	MM_EV_MARKER,    /* a phase marker the program wrote to trace_marker */
	MM_EV_WATCH,     /* a process joined or left the watch list (memmon watch) */
	MM_EV_FRAME,     /* record --frames: a physical frame allocated or freed */
	MM_EV_NR
};

/* Fault classes: the seed's ANON_PF/FILE_PF/SWAP_PF, plus cow and other. */
enum mm_fault_class {
	MM_FAULT_ANON,   /* first touch of anonymous memory (incl. zero page) */
	MM_FAULT_FILE,   /* page of a file mapping (incl. shmem/tmpfs) */
	MM_FAULT_SWAP,   /* page brought back from swap */
	MM_FAULT_COW,    /* copy-on-write: private file page or page shared by fork */
	MM_FAULT_OTHER,  /* no new page: protection upgrade, spurious, racing */
	MM_FAULT_UNKNOWN, /* the trace cannot tell (see design.md, batched rss_stat) */
	MM_FAULT_NR
};

enum mm_access { MM_ACCESS_R, MM_ACCESS_W, MM_ACCESS_X, MM_ACCESS_NR };

/* x86 page-fault error_code bits (arch/x86/include/asm/trap_pf.h) */
#define MM_PF_PROT  (1u << 0)   /* page was present: protection fault */
#define MM_PF_WRITE (1u << 1)
#define MM_PF_USER  (1u << 2)
#define MM_PF_INSTR (1u << 4)

/* The memory syscalls memmon decodes (the order is not an ABI). */
enum mm_syscall_nr {
	MM_SYS_BRK, MM_SYS_MMAP, MM_SYS_MUNMAP, MM_SYS_MREMAP, MM_SYS_MPROTECT,
	MM_SYS_MADVISE, MM_SYS_MLOCK, MM_SYS_MLOCK2, MM_SYS_MUNLOCK,
	MM_SYS_MLOCKALL, MM_SYS_MUNLOCKALL, MM_SYS_MSYNC, MM_SYS_SHMGET,
	MM_SYS_SHMAT, MM_SYS_SHMDT, MM_SYS_SHMCTL, MM_SYS_MEMFD_CREATE,
	MM_SYS_EXECVE, MM_SYS_EXIT_GROUP, MM_SYS_CLONE, MM_SYS_CLONE3,
	MM_SYS_FORK, MM_SYS_VFORK, MM_SYS_PKEY_MPROTECT, MM_SYS_PROCESS_MADVISE,
	MM_SYS_MSEAL, MM_SYS_REMAP_FILE_PAGES,
	/* phase markers (record --markers=fsync): the seed's fsync(N) */
	MM_SYS_FSYNC, MM_SYS_FDATASYNC,
	MM_SYS_NR
};

/* kmem:rss_stat members (include/linux/mm_types_task.h) */
enum mm_rss_member { MM_RSS_FILE, MM_RSS_ANON, MM_RSS_SWAPENTS, MM_RSS_SHMEM, MM_RSS_NR };

/* Frames of a user stack (ftrace's userstacktrace keeps 8). */
#define MM_MAX_FRAMES 8

/* No syscall (or not known): the value of the raw syscall number fields. */
#define MM_SYSCALL_NONE (-1)

/*
 * A page fault on a user address.  User-mode faults come from
 * exceptions:page_fault_user; kernel-mode ones (the kernel touching user
 * memory for the task: read() into a fresh buffer, clear_user of a new
 * program's bss, ...) from exceptions:page_fault_kernel.  rusage counts
 * both.  RSS_UP is what the kernel's own counters (rss_stat, curr=1) said
 * the fault added: a normal first touch 1 page of anon, a THP fault 512, a
 * file fault with fault-around as many pages as it mapped (AROUND gives
 * the file range), a fault that mapped the zero page or only upgraded a
 * protection 0; RSS_DOWN what fell meanwhile (the file page a cow
 * replaced, pages the kernel reclaimed to make room).
 */
struct mm_fault {
	uint64_t addr;
	uint64_t ip;             /* user mode: the faulting instruction; kernel
	                          * mode: the kernel's (not a user address) */
	uint32_t error_code;
	uint8_t class;           /* enum mm_fault_class */
	uint8_t access;          /* enum mm_access */
	/* The access raised this signal (SIGSEGV, SIGBUS; 0: none) with this
	 * si_code (SEGV_MAPERR...): the kernel gave no page, the class is
	 * "other".  From the signal_generate that followed in the task. */
	uint8_t signo;
	uint8_t si_code;
	bool kernel;             /* taken in kernel mode */
	bool around;             /* fault-around mapped file pages
	                          * [around_first, around_last] (file page
	                          * indexes, from mm_filemap_map_pages) */
	int16_t sys;             /* kernel mode: the syscall in progress, as the
	                          * kernel numbers it (mm_syscall_raw_name), or
	                          * MM_SYSCALL_NONE when not known */
	int32_t rss_up[MM_RSS_NR];   /* pages each counter of the task's own
	                              * mm rose by during the fault */
	int32_t rss_down[MM_RSS_NR]; /* ... and fell by */
	uint64_t around_first, around_last;
	uint8_t flags;           /* MM_FAULT_F_* */
	/* record --frames: the frame that served the fault (plugins/frames.c
	 * says how it is told): PFN of order FRAME_ORDER when HAVE_FRAME;
	 * NR_FRAMES the allocations its handling made, that one included */
	bool have_frame;
	uint8_t frame_order;
	uint16_t nr_frames;
	uint64_t pfn;
};
/* The faulting mm may have had swap entries (the class may be swap). */
#define MM_FAULT_F_SWAPPED 1u
/* The kprobe classifier saw a huge anonymous page mapped (THP: entered
 * do_huge_pmd_anonymous_page for a write, no small zeroed page allocated):
 * a PMD's worth of pages resident, where no per-fault counter says so. */
#define MM_FAULT_F_HUGE 2u

struct mm_syscall {
	uint8_t nr;              /* enum mm_syscall_nr */
	bool has_ret;            /* false when the exit was never seen */
	uint64_t args[6];
	int64_t ret;             /* raw return: negative errno on failure */
	uint64_t exit_ts;
	/* clone3: the flags task_newtask reported (clone3 passes them in
	 * memory the tracepoint cannot show) */
	bool have_clone_flags;
	uint64_t clone_flags;
	/* execve: the program's path, "" when not known (the tracepoint has
	 * only its address): read by record at the call's entry, or taken
	 * from sched_process_exec when the call succeeded */
	char path[256];
	/* pages each counter of the task's own mm changed by while the call
	 * ran, faults taken inside it excluded: what MAP_POPULATE, mlock,
	 * MADV_POPULATE_* mapped, what munmap or MADV_DONTNEED dropped,
	 * MADV_PAGEOUT moved from anon to swap */
	int32_t rss[MM_RSS_NR];
	/* The user stack the call was made from (record's stacks instance:
	 * ftrace's userstacktrace, walked by frame pointers): FRAMES[0] is
	 * the address of the call, then return addresses, innermost first.
	 * NR_FRAMES 0: none recorded. */
	uint8_t nr_frames;
	uint64_t frames[MM_MAX_FRAMES];
};

struct mm_proc {
	int32_t child_pid;       /* FORK: the new task */
	bool is_thread;          /* FORK: a thread of the parent's process
	                          * (CLONE_THREAD, when known) */
	bool shares_mm;          /* FORK: a new process that uses the parent's
	                          * memory until it execs (CLONE_VM without
	                          * CLONE_THREAD: vfork, posix_spawn) */
	bool vfork;              /* FORK: CLONE_VFORK (the parent waits) */
	bool have_child_rss;     /* FORK: CHILD_RSS is known */
	int64_t child_rss[MM_RSS_NR];   /* FORK: the child's counters as the
	                          * fork made them (the pages it copied),
	                          * bytes, from rss_stat in the parent */
	char comm[16];           /* FORK/RENAME: new comm; EXEC: comm */
	char old_comm[16];       /* RENAME: the comm before */
	char path[256];          /* EXEC: filename (truncated) */
};

/* What the task was doing when an rss or filemap event came (the cause
 * the kernel reports for nothing: it is the event's context). */
enum mm_during {
	MM_DURING_NONE,          /* neither in a fault nor in a syscall that is
	                          * known: the kernel on its own (exit, reclaim
	                          * in the task's context, ...) */
	MM_DURING_FAULT,         /* a fault of the task (it carries the change) */
	MM_DURING_SYSCALL,       /* the syscall in ->sys */
};

struct mm_rss {
	uint32_t mm_id;
	bool curr;               /* counter of the current task's own mm */
	uint8_t member;          /* enum mm_rss_member */
	uint8_t during;          /* enum mm_during */
	int16_t sys;             /* MM_DURING_SYSCALL: raw syscall number or
	                          * MM_SYSCALL_NONE */
	bool carried;            /* the change is on the fault or memory
	                          * syscall event it happened in */
	bool batched;            /* the kernel syncs its counters in batches
	                          * (< 6.2): a change is no one event's, and
	                          * faults and syscalls carry none */
	int64_t bytes;           /* new value of the counter, bytes */
	int64_t delta;           /* bytes since the counter's previous event
	                          * (0 for its first one: unknown) */
};

struct mm_filemap {
	uint64_t ino;
	uint32_t dev;
	uint64_t index;          /* first page index */
	uint64_t last_index;     /* map_pages: last index; fault: = index */
	bool map_pages;          /* fault-around rather than a fault */
	uint8_t during;          /* enum mm_during (map_pages inside a syscall:
	                          * MAP_POPULATE, mlock, ...) */
	int16_t sys;             /* as in struct mm_rss */
};

/* signal:signal_generate / signal_deliver.  PID (the event's task) sent
 * it (generate) or takes it (deliver). */
struct mm_signal {
	bool deliver;            /* taken by the task, not sent */
	uint8_t sig;
	int32_t code;            /* si_code */
	int32_t target;          /* generate: the task it was sent to */
	int32_t result;          /* generate: 0 delivered, 1 ignored, 2 already
	                          * pending, 3 overflow, 4 info lost */
	bool group;              /* generate: to the whole thread group */
	uint64_t handler;        /* deliver: sa_handler (0 SIG_DFL, 1 SIG_IGN) */
};

/* memmon:malloc (record --malloc): one call of the allocator, or a note
 * about the recording of them.  Its time is the call's return for the
 * alloc and realloc families and its start for the free family
 * (record/interposer/ring.h says why). */
struct mm_heap_call {
	uint8_t op;              /* enum mm_heap_op (format/heapops.h) */
	uint8_t aux;             /* HELLO: MM_HELLO_*; alloc family: log2 of the
	                          * alignment asked for (0 none, 255 not a power of 2) */
	uint64_t site;           /* the caller's return address (0: unknown) */
	uint64_t size;           /* alloc/realloc: bytes asked for; LOST: records lost */
	uint64_t ptr;            /* alloc/realloc: the result (0 failed); free: the block */
	uint64_t old;            /* realloc: the block passed in */
	/* The call's stack when record took its frames (HEAP_STACKS): FRAMES[0]
	 * is SITE, then return addresses, innermost first; STACK its id in
	 * the file (0: none, NR_FRAMES 0).  FRAMES lives as long as the file. */
	uint32_t stack;
	uint8_t nr_frames;
	const uint64_t *frames;
};

/* A write of the program's to trace_marker (ftrace:print): a phase
 * marker, as record --markers=trace_marker records them.  TEXT is what it
 * wrote, its trailing newline dropped, cut at MM_MARKER_TEXT - 1 bytes
 * (TRUNCATED then); it may hold any byte but NUL. */
#define MM_MARKER_TEXT 200
struct mm_marker {
	uint16_t len;
	bool truncated;
	char text[MM_MARKER_TEXT];
};

/* A change of the watch list (WATCH sections: record -p's processes at
 * the start, memmon watch).  The event's pid and tgid are the process's;
 * TIDS points into the mm_file (valid while it is open). */
struct mm_watch_ev {
	uint8_t op;              /* MM_WATCH_JOIN, MM_WATCH_LEAVE (format/layout.h) */
	uint8_t reason;          /* MM_WATCH_BY_START, MM_WATCH_BY_WATCH */
	uint32_t nr_tids;
	const uint32_t *tids;    /* the tasks that joined or left */
	uint32_t pause_us;       /* JOIN: tracing was off this long for it */
};

/* What a frame was for (record --frames; plugins/frames.c tells it). */
enum mm_frame_use {
	MM_FRAME_FAULTED,        /* alloc: the page a fault mapped */
	MM_FRAME_PAGETABLE,      /* alloc: a page table (zeroed, accounted,
	                          * unmovable order 0: GFP_PGTABLE_USER) */
	MM_FRAME_USER,           /* alloc: another page of the program's memory
	                          * (movable: anon, page cache; readahead in a
	                          * fault, MAP_POPULATE, read() into the cache) */
	MM_FRAME_KERNEL,         /* alloc: the kernel's own for the task (slab,
	                          * stacks, buffers: unmovable, reclaimable) */
	MM_FRAME_FREED,          /* free: a frame given back */
	MM_FRAME_USE_NR
};

/* kmem:mm_page_alloc / mm_page_free of a watched task (record --frames):
 * 2^ORDER frames from PFN.  Those taken in an interrupt while the task ran
 * (common_flags: hard/soft irq, NMI) are not its own: dropped, counted in
 * the decoder's irq_frames. */
struct mm_frame {
	uint64_t pfn;
	uint64_t gfp;            /* alloc: gfp flags, the kernel's bits */
	uint64_t fault_addr;     /* in a fault: the fault's address */
	uint8_t order;
	bool free;
	int8_t migratetype;      /* alloc: 0 unmovable, 1 movable, 2 reclaimable
	                          * (the kernel's MIGRATE_*); -1 free/unknown */
	uint8_t use;             /* enum mm_frame_use */
	uint8_t during;          /* enum mm_during */
	int16_t sys;             /* as in struct mm_rss */
};

struct mm_event {
	uint64_t ts;             /* trace clock ns */
	int32_t pid;             /* task (tid) */
	int32_t tgid;            /* process, 0 if unknown */
	uint16_t cpu;
	uint8_t kind;            /* enum mm_event_kind */
	union {
		struct mm_fault fault;
		struct mm_syscall sys;
		struct mm_proc proc;
		struct mm_rss rss;
		struct mm_filemap filemap;
		struct mm_signal signal;
		struct mm_heap_call heap;
		struct mm_marker marker;
		struct mm_watch_ev watch;
		struct mm_frame frame;
	};
};

const char *mm_fault_class_name(enum mm_fault_class c);  /* "anon", ... */
const char *mm_syscall_name(enum mm_syscall_nr nr);      /* "mmap", ... */
/* Is it a phase marker (fsync, fdatasync) rather than a memory call? */
static inline bool mm_syscall_is_marker(unsigned nr)
{
	return nr == MM_SYS_FSYNC || nr == MM_SYS_FDATASYNC;
}
/* Is EV a phase marker: a trace_marker write or an fsync/fdatasync? */
static inline bool mm_event_is_marker(const struct mm_event *ev)
{
	return ev->kind == MM_EV_MARKER ||
	       (ev->kind == MM_EV_SYSCALL && mm_syscall_is_marker(ev->sys.nr));
}
const char *mm_rss_member_name(enum mm_rss_member m);
/* "faulted", "page table", "user", "kernel", "freed" (plugins/frames.c) */
const char *mm_frame_use_name(enum mm_frame_use u);
/* The order of a PMD's worth of pages (a transparent huge page) with
 * pages of PAGE_SIZE and 8-byte page table entries: 9 on x86_64; 0 when
 * PAGE_SIZE is no power of two. */
unsigned mm_frame_pmd_order(uint64_t page_size);
/* A frame's order named: "THP" for ORDER == PMD_ORDER (PMD_ORDER > 0), NULL
 * for the others. */
const char *mm_frame_order_name(unsigned order, unsigned pmd_order);    /* "file", "anon", "swap", "shmem" */
/* What the default action of signal SIG does: "terminate", "core",
 * "ignore", "stop", "continue" (plugins/signal.c). */
const char *mm_signal_default(int sig);
/* True when taking SIG with handler HANDLER (0 SIG_DFL) ends the process. */
bool mm_signal_is_fatal(int sig, uint64_t handler);
/* The kernel's syscall numbers (x86_64, plugins/sysnames.c): name or NULL,
 * and the number of a name or -1. */
const char *mm_syscall_raw_name(long nr);
long mm_syscall_raw_nr(const char *name);

#endif
