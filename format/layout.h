/*
 * format/layout.h - the on-disk layout of a memmon trace file.
 *
 * This header is the single statement of the layout; Documentation/
 * memmon-format.5 describes the same thing for people and must be kept in
 * step.  Only format/ includes it: record/ writes through mm_writer_*,
 * report/ reads through mm_file_* and mm_stream_*.
 *
 * A file is a fixed header followed by sections, appended in the order they
 * are produced, so a recording cut short (SIGKILL, full disk) is still valid
 * up to its last complete section.  All integers in the container are
 * little-endian.  The raw ring-buffer pages inside CHUNK sections keep the
 * recording machine's byte order, which MACHINE's "endian" key states.
 *
 *   file header   (32 bytes)
 *     0  char  magic[8]     "MEMMONTR"
 *     8  u16   major        MM_FORMAT_MAJOR; a reader refuses majors it
 *                           does not know (this one reads 2 and 3)
 *    10  u16   minor        MM_FORMAT_MINOR; newer minors only add sections
 *    12  u32   header_size  32; a reader skips to this offset
 *    16  u64   flags        0
 *    24  u64   reserved     0
 *
 *   section       (16-byte header + payload)
 *     0  u16   type         enum mm_section_type; unknown types are skipped
 *     2  u16   flags        MM_SECTION_F_*; other bits set: corrupt
 *     4  u32   crc32        CRC-32 (IEEE) of the stored payload bytes
 *     8  u64   length       stored payload bytes
 *    16  ...   payload
 *
 * MM_SECTION_F_ZSTD: the stored payload is one zstd frame with its content
 * size set; the payload proper is what it decompresses to.  The writer uses
 * it for the text sections that are big and compress well (event formats,
 * snapshots, probes) and keeps MACHINE plain, so `head -c` of a file still
 * shows where and what was recorded.  A reader accepts it on any section but
 * CHUNK (whose frame is described by its own header) and END, and refuses a
 * declared size over the section type's limit or over MM_MAX_INFLATED for
 * the whole file: a few bytes of zstd can claim gigabytes.
 *
 * The last section of a complete file is END (empty payload).  A file
 * without END is "truncated": everything before the first incomplete
 * section is still read.  A complete section whose CRC does not match is
 * "corrupt": the reader refuses it, naming the offset.
 */
#ifndef MM_FORMAT_LAYOUT_H
#define MM_FORMAT_LAYOUT_H

#include <stdint.h>

#define MM_FILE_MAGIC       "MEMMONTR"
#define MM_FILE_MAGIC_LEN   8
#define MM_FORMAT_MAJOR     3
/* 3.1 added HEAP_CHUNK (record --malloc), 3.2 EVENT_FORMATS and MMAPS, ELF,
 * STACK_CHUNK, STACK_STATS (the names of files and code), 3.3 the PAGES
 * snapshot kind (and WATCH), 3.4 HEAP_STACKS (record --malloc's callers) */
#define MM_FORMAT_MINOR     4
/* 2.x: the same but for codec 2 (MM_CODEC_COLUMNS), which 3.0 added */
#define MM_FORMAT_OLDEST_MAJOR 2
#define MM_FILE_HEADER_SIZE 32
#define MM_SECTION_HEADER_SIZE 16

/* Sanity limits a reader enforces on hostile files, each well above what
 * a real kernel and recorder produce (memmon-format(5), LIMITS). */
#define MM_MAX_TEXT_SECTION   (64u << 20)   /* snapshots */
#define MM_MAX_SMALL_TEXT     (64u << 10)   /* MACHINE, PROBES */
#define MM_MAX_HEADER_PAGE    4096u         /* the kernel's is ~200 bytes */
#define MM_MAX_FORMAT_TEXT    (64u << 10)   /* one format: the kernel's are < 6 KiB */
#define MM_MAX_FORMATS        4096          /* a kernel has ~2,300 events */
#define MM_MAX_FORMAT_BUNDLE  (16u << 20)   /* EVENT_FORMATS: ~1 KiB a format */
#define MM_MAX_FORMAT_FIELDS  512           /* the kernel's have < 30 */
#define MM_MAX_CHUNK_RAW      (64u << 20)   /* uncompressed chunk payload */
#define MM_MAX_CPUS           4096
#define MM_MAX_INFLATED       (256u << 20)  /* all MM_SECTION_F_ZSTD payloads */
#define MM_MAX_WINDOW         (256u << 20)  /* decoded chunks a reader holds at once */
#define MM_MAX_EVENT_RATIO    1024          /* a chunk's event bytes per stored byte */
#define MM_MAX_OBJ_SECTION    (64u << 20)   /* MMAPS, ELF: one section decompressed */
#define MM_MAX_PATH           4096          /* a path in MMAPS and ELF */
#define MM_MAX_ELF_PHDRS      256           /* real objects have < 16 */
#define MM_MAX_ELF_OBJECTS    65536         /* ELF sections of a file */
#define MM_MAX_SYM_NAME       1024          /* one symbol name (record truncates) */
#define MM_MAX_HEAP_STACKS    (1u << 18)    /* HEAP_STACKS: stacks in a file */

/* Section header flags. */
#define MM_SECTION_F_ZSTD     0x0001u
#define MM_SECTION_F_KNOWN    MM_SECTION_F_ZSTD

enum mm_section_type {
	/* "key=value\n" lines, see MM_KEY_* below. Exactly one, first. */
	MM_SECTION_MACHINE      = 1,
	/* The text of tracefs events/header_page. One, before any CHUNK. */
	MM_SECTION_HEADER_PAGE  = 2,
	/* One per recorded event: "system\0" then the text of its format file.
	 * Files before 3.2; 3.2 writers write EVENT_FORMATS instead. */
	MM_SECTION_EVENT_FORMAT = 3,
	/* struct mm_snapshot_header then the text (maps, status, meminfo...). */
	MM_SECTION_SNAPSHOT     = 4,
	/* struct mm_chunk_header then one zstd frame holding nr_subbufs raw
	 * ring-buffer sub-buffers of subbuf_size bytes each, as read from
	 * per_cpu/cpuN/trace_pipe_raw, transformed by the header's codec. */
	MM_SECTION_CHUNK        = 5,
	/* Array of struct mm_cpu_stats, one per CPU, from per_cpu/cpuN/stats
	 * at the end of the recording. */
	MM_SECTION_STATS        = 6,
	/* Probe definitions as written to kprobe_events / uprobe_events,
	 * one per line. */
	MM_SECTION_PROBES       = 7,
	/* Empty; marks a complete file. Always last. */
	MM_SECTION_END          = 8,
	/* record --malloc: struct mm_chunk_header (cpu 0, codec MM_CODEC_HEAP)
	 * then the heap codec's payload (format/heapcodec.h), decoding to
	 * nr_subbufs sub-buffers of memmon:malloc events: one more time-
	 * ordered stream beside the CPUs'.  3.0 readers skip it. */
	MM_SECTION_HEAP_CHUNK   = 9,
	/* Format 3.2 (older readers skip them): the names of files and code */
	/* File mappings the watched tasks made (struct mm_mapent, format/
	 * objects.h): the kernel's record of each mmap of a file, so a region
	 * mapped between two snapshots keeps its path; and which ELF object
	 * each file is.  Written in batches while recording. */
	MM_SECTION_MMAPS        = 10,
	/* One ELF object (build-id, program headers, symbols) a watched task
	 * mapped executable (struct mm_elf_object), once per build-id. */
	MM_SECTION_ELF          = 11,
	/* As CHUNK, from the second ring: the user stacks of the memory
	 * syscalls (each sys_enter_X followed by its ftrace user_stack). */
	MM_SECTION_STACK_CHUNK  = 12,
	/* As STATS, for that second ring. */
	MM_SECTION_STACK_STATS  = 13,
	/* All the recorded events' formats in one section (3.2), records of a
	 * u32 length then that many bytes laid out as an EVENT_FORMAT payload.
	 * Why one: the ~90 formats a recording saves are nearly the same text
	 * (two per syscall), so one zstd frame holds them in ~3 KB where 90
	 * frames took ~24 KB, two thirds of a short recording's file. */
	MM_SECTION_EVENT_FORMATS = 14,
	/* (10-13: issue 13's sections) */
	/* The watch list changed (memmon watch, and record -p's processes at
	 * the start): struct mm_watch_header then u32 tids[nr_tids], the
	 * tasks that joined or left the kernel's pid filter.  Dated with the
	 * trace clock, like snapshots.  Older readers skip it. */
	MM_SECTION_WATCH        = 15,
	/* record --malloc's stacks (format/heapstacks.c): u32 first_id, u32
	 * nr, then NR stacks, each a u8 count (1..MM_HEAP_STACK_DEPTH) and
	 * that many u64 addresses, the call site first, then return addresses
	 * (little-endian).  Ids run from 1 in the order the sections give
	 * them; a malloc record whose site has MM_HEAP_STACK_BIT set names
	 * stack (site & ~MM_HEAP_STACK_BIT).  Older readers skip it. */
	MM_SECTION_HEAP_STACKS  = 16,
};
#define MM_HEAP_STACK_BIT   (1ull << 63)
#define MM_HEAP_STACK_DEPTH 8
/* One stack of HEAP_STACKS, as the writer takes and the reader gives it. */
struct mm_heap_stack {
	uint8_t nr;
	uint64_t pc[MM_HEAP_STACK_DEPTH];   /* the site, then return addresses */
};

/* WATCH payload (little-endian), followed by u32 tids[nr_tids]. */
enum mm_watch_op { MM_WATCH_JOIN = 1, MM_WATCH_LEAVE = 2 };
enum mm_watch_reason {
	MM_WATCH_BY_START = 1,   /* record -p: watched from the start */
	MM_WATCH_BY_WATCH = 2,   /* memmon watch +PID / -PID / 0 */
};
struct mm_watch_header {
	uint64_t ts;             /* trace clock ns: joined from / left at */
	uint32_t pid;            /* the process (tgid) */
	uint16_t op;             /* enum mm_watch_op */
	uint16_t reason;         /* enum mm_watch_reason */
	uint32_t nr_tids;
	uint32_t pause_us;       /* a join that needed tracing off (a process
	                          * that had left joins again): for how long;
	                          * every event of that moment is missing */
} __attribute__((packed));
#define MM_MAX_WATCH_TIDS  65536u   /* threads in one change */

/* MACHINE keys (values are text; unknown keys are kept and ignored). */
#define MM_KEY_HOSTNAME    "hostname"      /* uname nodename */
#define MM_KEY_SYSNAME     "sysname"       /* "Linux" */
#define MM_KEY_RELEASE     "release"       /* uname -r */
#define MM_KEY_KVERSION    "kversion"      /* uname -v */
#define MM_KEY_ARCH        "arch"          /* uname -m, e.g. x86_64 */
#define MM_KEY_ENDIAN      "endian"        /* "little" or "big" */
#define MM_KEY_LONG_SIZE   "long_size"     /* 8 */
#define MM_KEY_PAGE_SIZE   "page_size"     /* 4096 */
#define MM_KEY_SUBBUF_SIZE "subbuf_size"   /* ring-buffer sub-buffer bytes */
#define MM_KEY_NR_CPUS     "nr_cpus"       /* CPUs recorded (cpu 0..n-1) */
#define MM_KEY_CLOCK       "clock"         /* trace_clock, e.g. "local" */
/* clock x86-tsc: time stamps count TSC ticks at this rate (record --malloc,
 * whose interposer reads the same counter); readers turn them into ns */
#define MM_KEY_TSC_HZ      "tsc_hz"
#define MM_KEY_COMMAND     "command"       /* target argv joined by spaces, or "-p PIDS" */
#define MM_KEY_PIDS        "pids"          /* initial watched pids, comma-separated */
#define MM_KEY_START_TIME  "start_time"    /* unix seconds, wall clock */
#define MM_KEY_START_MONO  "start_mono_ns" /* CLOCK_MONOTONIC ns at arm time */
#define MM_KEY_CLASSIFIER  "classifier"    /* "tracepoint" or "kprobe" */
#define MM_KEY_BUFFER_KB   "buffer_kb"     /* per-CPU ring size */
#define MM_KEY_VERSION     "memmon_version"
#define MM_KEY_MISSING     "missing_events" /* events not on this kernel, comma-separated */
/* record --markers: the phase markers recorded, "fsync,trace_marker", one
 * of them or "none" (absent: a file from before markers) */
#define MM_KEY_MARKERS     "markers"
/* "1": copy_trace_marker was on, every top-level trace_marker write came in */
#define MM_KEY_MARKER_COPY "marker_copy"
/* The memory calls' user stacks: "on", or "off: WHY" (record --no-stacks,
 * a program without frame pointers, a kernel without userstacktrace);
 * absent: a file from before the choice (stacks unless --no-stacks) */
#define MM_KEY_STACKS      "stacks"
/* record --malloc: return addresses an allocation carries beyond its
 * site, "N", or "0: WHY" (the program keeps no frame pointers, uprobes);
 * absent: the site only (a file from before frames) */
#define MM_KEY_HEAP_FRAMES "heap_frames"
/* record -p: "attached.PID" = "AGE_S EXE", how long PID had run (seconds)
 * and its /proc/PID/exe when record attached */
#define MM_KEY_ATTACHED_PREFIX "attached."
/* Never written by record: the reader's MACHINE for a trace-cmd file
 * (format/tracecmd.c) has it, its trace-cmd format version */
#define MM_KEY_TRACECMD    "tracecmd_format"

/* SNAPSHOT payload header (little-endian), followed by the text. */
enum mm_snapshot_kind {
	MM_SNAP_MAPS      = 1,   /* /proc/PID/maps */
	MM_SNAP_STATUS    = 2,   /* /proc/PID/status */
	MM_SNAP_MEMINFO   = 3,   /* /proc/meminfo (pid 0) */
	MM_SNAP_ZONEINFO  = 4,   /* /proc/zoneinfo (pid 0) */
	MM_SNAP_BUDDYINFO = 5,   /* /proc/buddyinfo (pid 0) */
	MM_SNAP_SMAPS     = 6,   /* /proc/PID/smaps, with every MAPS one (files
	                          * written before it was added lack it);
	                          * readers skip kinds they do not know */
	MM_SNAP_PAGES     = 7,   /* 3.3: per mapping of PID, its pages as the
	                          * kernel holds them (record/pages.c): text,
	                          * memmon-format(5) PAGES */
};
enum mm_snapshot_phase {
	MM_PHASE_START = 0,      /* when tracing was armed */
	MM_PHASE_EXEC  = 1,      /* right after an execve, before user code */
	MM_PHASE_END   = 2,      /* at process exit (or end of recording) */
};
struct mm_snapshot_header {
	uint32_t pid;
	uint32_t kind;           /* enum mm_snapshot_kind */
	uint32_t phase;          /* enum mm_snapshot_phase */
	uint32_t reserved;
	uint64_t ts;             /* trace clock ns when taken */
} __attribute__((packed));

/* How a chunk's sub-buffers were transformed before compression. */
enum mm_chunk_codec {
	MM_CODEC_RAW   = 0,      /* as read from the kernel */
	MM_CODEC_DELTA = 1,      /* per-type payload differences, format/delta.h */
	MM_CODEC_COLUMNS = 2,    /* delta, then split into streams (columns.h):
	                          * the payload holds u32 raw[N] and u32
	                          * stored[N] sizes (N = MM_COLUMNS_STREAMS),
	                          * then a zstd frame per stream whose stored
	                          * size is not 0 (stored 0: raw 0, empty) */
	MM_CODEC_MAX   = MM_CODEC_COLUMNS,
	MM_CODEC_HEAP  = 3,      /* HEAP_CHUNK only: format/heapcodec.h */
};

#define MM_COLUMNS_STREAMS 11

/* CHUNK payload header (little-endian), followed by one zstd frame. */
struct mm_chunk_header {
	uint32_t cpu;
	uint32_t nr_subbufs;
	uint64_t raw_len;        /* = nr_subbufs * subbuf_size */
	uint32_t codec;          /* enum mm_chunk_codec; unknown: corrupt */
	uint32_t reserved;       /* 0 */
} __attribute__((packed));

/* STATS entry: per_cpu/cpuN/stats at the end of the recording. */
struct mm_cpu_stats {
	uint32_t cpu;
	uint32_t reserved;
	uint64_t entries;        /* left in the buffer when read */
	uint64_t overrun;        /* overwritten (lost) */
	uint64_t commit_overrun;
	uint64_t dropped_events; /* lost because the buffer was full */
	uint64_t read_events;
	uint64_t bytes;
	uint64_t subbufs_written; /* sub-buffers memmon stored for this CPU */
} __attribute__((packed));

#endif
