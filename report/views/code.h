/*
 * report/views/code.h - how every view spells code and the files regions
 * map (code.c): the one place that decides what a frame, a stack and a
 * region's name look like in text, JSON and CSV.
 *
 *   a frame      "fill_buffer+0x1c [prog]", "prog+0x1139" (no symbol: the
 *                address in the object's own numbering), "[vdso]+0x5"
 *   a stack      innermost first, " <- " between frames, and "?" where a
 *                frame is missing: after a frame in code that keeps no
 *                frame pointers the walk skipped its caller
 *   a region     its path or [name], then " [text]", " [rodata]",
 *                " [data]", " [relro]" for the ELF segment it maps; an
 *                anonymous region that is an object's zero-filled tail is
 *                "PATH [bss]"
 *   JSON frame   {"address", "module", "path", "function", "offset"}
 *                (function null without a symbol; offset from the
 *                function, else in the object, else in the file)
 */
#ifndef MM_REPORT_VIEWS_CODE_H
#define MM_REPORT_VIEWS_CODE_H

#include <stddef.h>
#include <stdint.h>

struct mm_as;
struct mm_as_proc;
struct mm_region;
struct mm_stack;
struct mm_code;
struct mm_json;

/* R's name with its segment into BUF (see above). */
void mm_view_region_name(struct mm_as *as, const struct mm_as_proc *p, const struct mm_region *r,
			 char *buf, size_t n);
/* R's segment or NULL (JSON "segment", CSV column). */
const char *mm_view_region_segment(struct mm_as *as, const struct mm_as_proc *p,
				   const struct mm_region *r);
/* The whole stack ST (NULL: "no stack") into BUF. */
void mm_view_stack_text(const struct mm_stack *st, char *buf, size_t n);
/* Who made a mapping, short: the innermost frame and the first one
 * outside its module ("mmap64+0x2b [libc.so.6] <- ? <- main+0x34 [prog]");
 * "" for no stack. */
void mm_view_stack_brief(const struct mm_stack *st, char *buf, size_t n);
/* One frame C at ADDR as a JSON object under KEY (NULL in an array). */
void mm_view_json_code(struct mm_json *j, const char *key, const struct mm_code *c,
		       uint64_t addr);
/* ST as a JSON array of frames under KEY ("gap": true on a frame whose
 * caller is missing); null without a stack. */
void mm_view_json_stack(struct mm_json *j, const char *key, const struct mm_stack *st);
/* Shallow stacks, in the words every view uses: "N shallow because frame
 * pointers are missing in libc.so.6, ld-linux-x86-64.so.2" into BUF (""
 * when none is); JSON: the modules as an array named KEY. */
struct mm_stack_counts;
void mm_view_shallow_text(const struct mm_stack_counts *c, char *buf, size_t n);
void mm_view_json_no_fp(struct mm_json *j, const char *key, const struct mm_stack_counts *c);

#endif
