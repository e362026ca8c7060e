/*
 * report/model/symbols.h - names for code, from the trace alone: which
 * ELF object a region maps and which of its segments (text, rodata, data,
 * relro, bss), which function an address of code is in, and the stacks
 * the memory syscalls were made from, each resolved against the address
 * space as it was at that moment.
 *
 * The ELF objects (build-id, program headers, function symbols) and the
 * files that are each of them come from the trace's ELF and MMAPS
 * sections (format/objects.h); record reads them on the recording
 * machine, so a report needs neither the binaries nor their machine.  A
 * region finds its object by device and inode (from the mapping record or
 * the maps snapshot), else by path.  An address becomes its object's own
 * numbering (what nm, objdump and addr2line -e FILE use) through the
 * PT_LOAD segment holding its file offset: the same for PIE, fixed
 * executables and libraries.
 *
 * Stacks: a syscall's frames are resolved when it is applied and interned
 * (the same frames in any process are one stack); regions keep the id of
 * the stacks that made them (created_stack, origin_stack), views look them up.
 */
#ifndef MM_REPORT_MODEL_SYMBOLS_H
#define MM_REPORT_MODEL_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"

struct mm_as;
struct mm_as_proc;
struct mm_region;
struct mm_elf_object;

/* What an address of code is. */
struct mm_code {
	const char *module;         /* base name of its file ("libc.so.6"); NULL:
	                             * in no file ([vdso], anon, unmapped) */
	const char *path;           /* the file's path (interned) */
	const char *func;           /* the function, NULL when no symbol holds it */
	uint64_t off;               /* from FUNC's start; without FUNC the address
	                             * in the object's numbering (IN_OBJECT) or
	                             * the file offset */
	uint64_t func_addr;         /* FUNC's own address in the object's
	                             * numbering (what nm prints); 0 without */
	bool in_object;             /* OFF (without FUNC) is the object's address */
	bool no_fp;                 /* the function (without one, the object) keeps
	                             * no frame pointer: a stack
	                             * walked through it lost its caller */
	const char *special;        /* not a file: "[vdso]", "[anon]"..., or NULL */
};

/* The process whose map task or process PID uses now (a vfork child's is
 * its parent's until it execs), or NULL. */
const struct mm_as_proc *mm_as_memory_of(const struct mm_as *as, int32_t pid);

/* The code at ADDR in process P's map now (the caller's moment).  False,
 * with *C zeroed, when no region holds it. */
bool mm_as_code(struct mm_as *as, const struct mm_as_proc *p, uint64_t addr,
		struct mm_code *c);
/* Function names of C++ and Rust as their source spells them (the
 * default), or as the trace stores them (report --no-demangle). */
void mm_as_set_demangle(struct mm_as *as, bool on);
/* "fill_buffer+0x1c [prog]", "prog+0x1139", "[vdso]+0x5", or the address
 * in hex when nothing holds it: C as one string into BUF. */
void mm_code_format(const struct mm_code *c, uint64_t addr, char *buf, size_t n);

/* The ELF object region R maps, or NULL (not a file, or none stored). */
const struct mm_elf_object *mm_as_region_object(struct mm_as *as, const struct mm_region *r);
/* Which segment of its object R is: "text", "rodata", "data", "relro",
 * "bss" (an anonymous region after a data segment of an object P maps:
 * its zero-filled tail), or NULL when not known.  *OWNER gets the file
 * region a bss belongs to (may be NULL). */
const char *mm_as_region_segment(struct mm_as *as, const struct mm_as_proc *p,
				 const struct mm_region *r, const struct mm_region **owner);

/* An interned stack: frames innermost first, each resolved. */
struct mm_stack {
	uint32_t id;                /* from 1 */
	uint8_t nr;
	bool shallow;               /* a frame is in an object without frame
	                             * pointers: its caller is missing */
	uint64_t pc[MM_MAX_FRAMES];
	struct mm_code code[MM_MAX_FRAMES];
};
/* ST's innermost frame (a call's site, a fault's instruction) the same way
 * into BUF; false, BUF untouched, when ST is NULL or has no frame. */
bool mm_stack_top_format(const struct mm_stack *st, char *buf, size_t n);
/* Resolve FRAMES in P's map now and intern them: the stack's id, or 0
 * when N is 0. */
uint32_t mm_as_stack_intern(struct mm_as *as, const struct mm_as_proc *p,
			    const uint64_t *frames, unsigned n);
const struct mm_stack *mm_as_stack(const struct mm_as *as, uint32_t id);
/* The stack the event being applied was made from (its syscall's), or 0:
 * valid in hooks and after mm_as_event() until the next event. */
uint32_t mm_as_current_stack(const struct mm_as *as);

/* Stacks counted (of the memory calls, say): how many calls had one, how
 * many of those are shallow, and the modules whose code without frame
 * pointers cut them short (interned, in the order met, the first
 * MM_STACK_NOFP_MAX). */
#define MM_STACK_NOFP_MAX 8
struct mm_stack_counts {
	uint64_t with_stack, shallow;
	const char *no_fp[MM_STACK_NOFP_MAX];
	unsigned nr_no_fp;
};
/* Count ST (NULL: a call without a stack) into C. */
void mm_stack_count(struct mm_stack_counts *c, const struct mm_stack *st);

/* Every ELF object of the trace, for the views' notes. */
size_t mm_as_nr_objects(const struct mm_as *as);
const struct mm_elf_object *mm_as_object_at(const struct mm_as *as, size_t i);

/* The trace's mapping records: how many file mappings were named by
 * them, and how many the kernel dropped. */
uint64_t mm_as_mappings_lost(const struct mm_as *as);

#endif
