/*
 * report/views/log-heap.c - the event log's lines for record --malloc's
 * records (memmon:malloc, MM_EV_HEAP):
 *
 *   PID: malloc(307200) -> 7f12b7d8f010 at 55d0c0a2a11c
 *   PID: calloc(4096) -> 55d0c0a2b2a0 at ...      (the bytes: count x size)
 *   PID: realloc(55d0c0a2b2a0, 8192) -> 55d0c0a2d2c0 at ...
 *   PID: free(55d0c0a2d2c0) at ...
 *   PID: posix_memalign(64, 1000) -> ...   aligned_alloc, memalign: (ALIGN, SIZE)
 *   PID: valloc(100) -> ...   pvalloc(100)   new(24) -> ...   new[](24) -> ...
 *   PID: delete(...) at ...   delete[](...) at ...
 *   PID: malloc(1099511627776) -> NULL at ...     a failed request
 *   PID: malloc calls recorded from here (fork child)
 *   PID: malloc is the program's own: its calls are not seen
 *   PID: 12 malloc records lost
 *
 * The site is the caller's return address (a call site inside the
 * allocation function's caller), named as the fault lines name code, in
 * the process's map at that moment (report/model/symbols.h):
 *   PID: malloc(307200) -> 7f12b7d8f010 in map_blocks+0x1c [prog]
 * and kept as " at ADDR" where nothing names it (--symbols=off, code in
 * no region the trace knows).
 *
 * What ties a line to the other level (report/model/heap.h) follows it in
 * brackets: the syscalls an allocation caused, the free that caused a
 * syscall, the live block a fault hit:
 *   PID: malloc(307200) -> 7f12b7d8f010 at 55d0c0a2a11c [mmap 7f12b7d8f000 311296]
 *   PID: munmap(7f12b7d8f000, 311296) = 0 [free(7f12b7d8f010) at 55d0c0a2a150]
 *   PID: anon page @7f12b7d90000 (W) [in 7f12b7d8f010 of malloc(307200) at 55d0c0a2a11c]
 * and an image that ran without the interposer gets a line at its end:
 *   PID: malloc calls not recorded (a static program, or LD_PRELOAD cleared)
 */
#include "memmon.h"
#include "format/heapops.h"
#include "plugins/symbolic.h"
#include "report/model/heap.h"
#include "report/model/symbols.h"
#include "report/views/log.h"

static char *result(char *p, uint64_t ptr)
{
	p = mm_sym_str(p, ") -> ");
	return ptr ? mm_sym_hex(p, ptr) : mm_sym_str(p, "NULL");
}

/* " in NAME", or " at ADDR" without a name. */
static char *site(char *p, uint64_t site, const char *name)
{
	if (name && *name)
		return mm_sym_str(mm_sym_str(p, " in "), name);
	if (!site)
		return p;
	return mm_sym_hex(mm_sym_str(p, " at "), site);
}

bool mm_log_site_name(struct mm_as *as, int32_t pid, uint64_t site, char *buf, size_t n)
{
	struct mm_code c;

	*buf = '\0';
	if (!as || !site || !mm_as_code(as, mm_as_memory_of(as, pid), site, &c))
		return false;
	mm_code_format(&c, site, buf, n);
	return true;
}

char *mm_log_heap(char *p, const struct mm_heap_call *h, const char *name)
{
	unsigned op = h->op;

	if (op == MM_OP_HELLO) {
		if (h->aux & MM_HELLO_NOT_OURS)
			return mm_sym_str(p, "malloc is the program's own: its calls are not seen");
		p = mm_sym_str(p, "malloc calls recorded from here");
		if (h->aux & MM_HELLO_UPROBES)
			p = mm_sym_str(p, " (uprobes)");
		if (h->aux & MM_HELLO_FORK)
			p = mm_sym_str(p, " (fork child)");
		return p;
	}
	if (op == MM_OP_LOST) {
		p = mm_sym_udec(p, h->size);
		return mm_sym_str(p, h->size == 1 ? " malloc record lost" : " malloc records lost");
	}
	p = mm_sym_str(p, mm_heap_op_name(op));
	*p++ = '(';
	if (MM_OP_IS_FREE(op)) {
		p = h->ptr ? mm_sym_hex(p, h->ptr) : mm_sym_str(p, "NULL");
		*p++ = ')';
		return site(p, h->site, name);
	}
	if (MM_OP_IS_REALLOC(op)) {
		p = h->old ? mm_sym_hex(p, h->old) : mm_sym_str(p, "NULL");
		p = mm_sym_str(p, ", ");
	} else if (op == MM_OP_MEMALIGN || op == MM_OP_ALIGNED_ALLOC ||
		   op == MM_OP_POSIX_MEMALIGN || ((op == MM_OP_NEW || op == MM_OP_NEW_ARRAY) &&
						  h->aux && h->aux != 255)) {
		if (h->aux == 255)
			p = mm_sym_str(p, "?");
		else
			p = mm_sym_udec(p, h->aux < 64 ? 1ull << h->aux : 0);
		p = mm_sym_str(p, ", ");
	}
	p = mm_sym_udec(p, h->size);
	return site(result(p, h->ptr), h->site, name);
}

void mm_log_heap_enable(struct mm_log *l)
{
	if (!l->heap)
		l->heap = mm_heap_new();
	if (l->as)
		mm_heap_name_sites(l->heap, l->as);
}

const char *mm_log_heap_sys_name(uint8_t nr)
{
	switch (nr) {
	case MM_SYS_BRK:      return "brk";
	case MM_SYS_MMAP:     return "mmap";
	case MM_SYS_MREMAP:   return "mremap";
	case MM_SYS_MPROTECT: return "mprotect";
	default:              return "?";
	}
}

/* The site of a note's block: its site's name (given at its first call),
 * else in the map now. */
static const char *block_name(struct mm_as *as, int32_t pid, const struct mm_heap_note *n,
			      char *buf, size_t len)
{
	const struct mm_stack *st = as ? mm_as_stack(as, n->block_code) : NULL;

	if (!mm_stack_top_format(st, buf, len))
		mm_log_site_name(as, pid, n->block_site, buf, len);
	return buf;
}

char *mm_log_heap_note(char *p, const struct mm_heap_note *n, struct mm_as *as, int32_t pid)
{
	char name[512];

	if (n->nr_caused) {
		p = mm_sym_str(p, " [");
		for (unsigned i = 0; i < n->nr_caused; i++) {
			if (i)
				p = mm_sym_str(p, ", ");
			p = mm_sym_str(p, mm_log_heap_sys_name(n->caused[i].nr));
			*p++ = ' ';
			p = mm_sym_hex(p, n->caused[i].addr);
			if (n->caused[i].nr != MM_SYS_BRK) {
				*p++ = ' ';
				p = mm_sym_udec(p, n->caused[i].len);
			}
		}
		*p++ = ']';
	}
	if (n->by_free) {
		p = mm_sym_str(p, " [free(");
		p = mm_sym_hex(p, n->free_ptr);
		*p++ = ')';
		mm_log_site_name(as, pid, n->free_site, name, sizeof(name));
		p = site(p, n->free_site, name);
		*p++ = ']';
	}
	if (n->in_block) {
		p = mm_sym_str(p, " [in ");
		p = mm_sym_hex(p, n->block);
		p = mm_sym_str(p, " of ");
		p = mm_sym_str(p, mm_heap_op_name(n->block_op));
		*p++ = '(';
		p = mm_sym_udec(p, n->block_size);
		*p++ = ')';
		p = site(p, n->block_site, block_name(as, pid, n, name, sizeof(name)));
		*p++ = ']';
	}
	return p;
}

char *mm_log_heap_line(char *p, const struct mm_event *ev, const struct mm_heap_note *n)
{
	if (!n->not_recorded)
		return NULL;
	p = mm_sym_udec(p, (uint64_t)(uint32_t)ev->pid);
	return mm_sym_str(p, ": malloc calls not recorded (a static program, or LD_PRELOAD cleared)");
}
