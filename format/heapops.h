/*
 * format/heapops.h - the operations of malloc-level records: the numbers
 * the memmon:malloc event's op field carries in a trace file
 * (memmon-format(5)), and the interposer's records carry in record's
 * shared rings (record/interposer/ring.h).  Plain C, no dependencies: the
 * interposer library includes it too.
 */
#ifndef MM_FORMAT_HEAPOPS_H
#define MM_FORMAT_HEAPOPS_H

enum mm_heap_op {
	MM_OP_NONE = 0,
	/* the free family: a block given back */
	MM_OP_FREE = 1, MM_OP_DELETE, MM_OP_DELETE_ARRAY,
	/* the alloc family: a block asked for */
	MM_OP_MALLOC = 8, MM_OP_CALLOC, MM_OP_VALLOC, MM_OP_PVALLOC,
	MM_OP_MEMALIGN, MM_OP_ALIGNED_ALLOC, MM_OP_POSIX_MEMALIGN,
	MM_OP_NEW, MM_OP_NEW_ARRAY,
	/* the realloc family: a block resized, perhaps moved */
	MM_OP_REALLOC = 24, MM_OP_REALLOCARRAY,
	/* not calls */
	MM_OP_HELLO = 32,        /* a process image's malloc recording is on (aux: MM_HELLO_*) */
	MM_OP_LOST = 33,         /* records lost (size: how many) */
	MM_OP_NR
};

#define MM_OP_IS_FREE(op)    ((op) >= MM_OP_FREE && (op) <= MM_OP_DELETE_ARRAY)
#define MM_OP_IS_ALLOC(op)   ((op) >= MM_OP_MALLOC && (op) <= MM_OP_NEW_ARRAY)
#define MM_OP_IS_REALLOC(op) ((op) == MM_OP_REALLOC || (op) == MM_OP_REALLOCARRAY)

/* HELLO's aux */
#define MM_HELLO_FORK      0x1   /* a fork child (its heap is its parent's copy) */
#define MM_HELLO_NOT_OURS  0x2   /* "malloc" is the program's own: calls not seen */
#define MM_HELLO_UPROBES   0x4   /* recorded by uprobes, not the interposer */

#endif
