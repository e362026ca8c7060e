/*
 * record/elffp.c - does an ELF object's code keep frame pointers?
 *
 * A stack walked by frame pointers (ftrace's userstacktrace) loses the
 * caller of any function that keeps none, and in a program that keeps
 * none at all it is one true frame followed by whatever %rbp held.  So
 * record notes which functions set one up: on x86-64, one that starts
 * with push %rbp; mov %rsp,%rbp (after an endbr64), read from the file's
 * image (no read per function).  The object keeps them when half its
 * functions (of 16 bytes or more) do.  Debian's glibc: none; gcc's -O
 * code with -fno-omit-frame-pointer: all but the leaf functions.
 *
 * A stripped program (Debian's sort, git, sqlite3, xz) has no symbols to
 * look at, or a handful in .dynsym, so the functions are then taken from
 * its unwind table instead: .eh_frame_hdr (PT_GNU_EH_FRAME) lists the
 * start of every function that has unwind information, which gcc gives
 * every function.  Go keeps frame pointers behind a stack check of its
 * own (cmp 0x10(%r14),%rsp first), which the prologue test cannot see:
 * a Go object (its .note.go.buildid) keeps them.
 *
 * record asks this of the program it runs or attaches to, to choose
 * whether the memory calls' stacks are worth their walk (naming.c), and
 * memmon list of the C library.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>

#include "memmon.h"
#include "format/objects.h"
#include "record/elf-int.h"
#include "record/record.h"

#ifndef PT_GNU_EH_FRAME
#define PT_GNU_EH_FRAME 0x6474e550
#endif

/* .eh_frame_hdr's encodings gcc and ld write (DW_EH_PE_*): the only ones
 * read here; an object with others gets no verdict from its table. */
#define EH_PE_UDATA4        0x03
#define EH_PE_SDATA4        0x0b
#define EH_PE_PCREL_SDATA4  0x1b
#define EH_PE_DATAREL_SDATA4 0x3b
/* A big object's table is sampled: this many entries at most. */
#define EH_TABLE_SAMPLES    4096

struct fp_tally {
	unsigned yes, seen;
};

/* The C runtime's own functions, linked into every program gcc builds
 * (crt1.o, crti.o, crtbegin.o) and written without frame pointers whatever
 * the program's flags: in a small program they would outvote it. */
static bool crt_function(const char *name)
{
	static const char *const crt[] = {
		"_start", "_init", "_fini", "deregister_tm_clones", "register_tm_clones",
		"__do_global_dtors_aux", "frame_dummy", "__libc_csu_init", "__libc_csu_fini",
	};

	for (size_t i = 0; name && i < sizeof(crt) / sizeof(crt[0]); i++)
		if (!strcmp(name, crt[i]))
			return true;
	return false;
}

/* What one function says of its object's frame pointers (evidence_at). */
enum fp_evidence {
	FP_NOT_CODE = -1,   /* not code of the file */
	FP_AGAINST,         /* it makes a frame without one */
	FP_FOR,             /* it sets one up */
	FP_SILENT,          /* a leaf that needs no frame, a tail call, a stub */
};

static void tally(struct fp_tally *t, enum fp_evidence ev)
{
	if (ev == FP_FOR || ev == FP_AGAINST) {
		t->seen++;
		t->yes += ev == FP_FOR;
	}
}

/* Does the code at file offset OFF of the file image IMG (LEN bytes)
 * start a frame?  -1 when it is not in the file. */
static int frame_prologue(const unsigned char *img, size_t len, uint64_t off)
{
	static const unsigned char endbr[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const unsigned char fp[4] = { 0x55, 0x48, 0x89, 0xe5 };

	if (off > len || len - off < 8)
		return -1;
	img += off;
	return !memcmp(img, fp, 4) || (!memcmp(img, endbr, 4) && !memcmp(img + 4, fp, 4));
}

/*
 * Does a function that does not start with push %rbp; mov %rsp,%rbp set
 * its frame up a little later?  gcc's shrink-wrapping puts a test and an
 * early return first, the frame only on the path that calls on; its
 * scheduler may put other instructions between the push and the mov
 * (lz4's LZ4IO_createCResources: push %rbp; xor; mov; mov %rsp,%rbp).
 * Either way its first SHRINK_WRAP_BYTES bytes (at most SIZE) hold
 * mov %rsp,%rbp, which code without frame pointers has no use for:
 * every call it makes is then made with its frame, and its callers are
 * not lost.
 */
#define SHRINK_WRAP_BYTES 64
static bool shrink_wrapped(const unsigned char *img, size_t len, uint64_t off, uint32_t size)
{
	static const unsigned char mov_rsp_rbp[3] = { 0x48, 0x89, 0xe5 };
	size_t n = size < SHRINK_WRAP_BYTES ? size : SHRINK_WRAP_BYTES;

	if (off > len || len - off < n || n < 4)
		return false;
	return memmem(img + off, n, mov_rsp_rbp, 3) != NULL;
}

/* The file offset of address VALUE of O's executable code; false: none. */
static bool code_offset(const struct mm_elf_object *o, uint64_t value, uint64_t *off)
{
	for (uint32_t k = 0; k < o->nr_phdrs; k++) {
		const struct mm_elf_phdr *p = &o->phdrs[k];
		if (p->type == PT_LOAD && (p->flags & PF_X) && value >= p->vaddr &&
		    value - p->vaddr < p->filesz) {
			*off = value - p->vaddr + p->offset;
			return true;
		}
	}
	return false;
}

/*
 * What the function at address VALUE of O (SIZE bytes: the window in
 * which shrink_wrapped looks) says of the object's frame pointers: FOR,
 * its prologue, first or a little later; AGAINST, its first instruction
 * saves a callee-saved register or reserves stack without one; SILENT,
 * neither.  gcc leaves the frame pointer out of leaf functions even with
 * -fno-omit-frame-pointer (Debian's), and a leaf is never a caller:
 * counted against, such functions made programs that keep them look as
 * if they did not.  All but FOR also mean that a stack walked by frame
 * pointers through the function has lost its caller (MM_ELF_SYM_NOFP).
 */
static enum fp_evidence evidence_at(const unsigned char *img, size_t len,
				    const struct mm_elf_object *o, uint64_t value, uint32_t size)
{
	static const unsigned char endbr[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	uint64_t off;
	int r;

	if (!code_offset(o, value, &off) || (r = frame_prologue(img, len, off)) < 0)
		return FP_NOT_CODE;
	if (r || shrink_wrapped(img, len, off, size))
		return FP_FOR;
	const unsigned char *c = img + off;       /* 8 bytes there: frame_prologue */
	if (!memcmp(c, endbr, 4))
		c += 4;
	if (c[0] == 0x53 || c[0] == 0x55 || (c[0] == 0x41 && c[1] >= 0x54 && c[1] <= 0x57))
		return FP_AGAINST;                /* push %rbx, %rbp, %r12..%r15 */
	if (c[0] == 0x48 && (c[1] == 0x83 || c[1] == 0x81) && c[2] == 0xec)
		return FP_AGAINST;                /* sub $N,%rsp */
	return FP_SILENT;
}

static int32_t le32(const unsigned char *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;
	return (int32_t)v;
}

/* What an unwind table lists beside the program's functions: the PLT's
 * stubs and the entry point (_start), never with frame pointers. */
struct not_functions {
	uint64_t entry;
	uint64_t plt_lo[3], plt_hi[3];
};

static void find_not_functions(Elf *e, struct not_functions *nf)
{
	size_t shstrndx, k = 0;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	*nf = (struct not_functions){ 0 };
	if (gelf_getehdr(e, &eh))
		nf->entry = eh.e_entry;
	if (elf_getshdrstrndx(e, &shstrndx) < 0)
		return;
	while ((scn = elf_nextscn(e, scn)) && k < 3) {
		GElf_Shdr sh;
		const char *name;
		if (gelf_getshdr(scn, &sh) && (name = elf_strptr(e, shstrndx, sh.sh_name)) &&
		    !strncmp(name, ".plt", 4)) {
			nf->plt_lo[k] = sh.sh_addr;
			nf->plt_hi[k++] = sh.sh_addr + sh.sh_size;
		}
	}
}

static bool not_function(const struct not_functions *nf, uint64_t addr)
{
	if (nf->entry && addr == nf->entry)
		return true;
	for (int k = 0; k < 3; k++)
		if (addr >= nf->plt_lo[k] && addr < nf->plt_hi[k])
			return true;
	return false;
}

/* The functions of O's unwind table (.eh_frame_hdr's sorted list of
 * function starts, each relative to the table itself), sampled. */
static void tally_unwind_table(const unsigned char *img, size_t len,
			       const struct mm_elf_object *o, const struct not_functions *nf,
			       struct fp_tally *t)
{
	const struct mm_elf_phdr *h = NULL;

	for (uint32_t k = 0; k < o->nr_phdrs && !h; k++)
		if (o->phdrs[k].type == PT_GNU_EH_FRAME)
			h = &o->phdrs[k];
	if (!h || h->offset > len || len - h->offset < h->filesz || h->filesz < 12)
		return;
	const unsigned char *p = img + h->offset;
	if (p[0] != 1 || (p[1] != EH_PE_PCREL_SDATA4 && p[1] != EH_PE_SDATA4 &&
			  p[1] != EH_PE_UDATA4) ||
	    p[2] != EH_PE_UDATA4 || p[3] != EH_PE_DATAREL_SDATA4)
		return;
	uint64_t count = (uint32_t)le32(p + 8), room = (h->filesz - 12) / 8;
	if (count > room)
		count = room;
	uint64_t step = count > EH_TABLE_SAMPLES ? count / EH_TABLE_SAMPLES : 1;
	for (uint64_t i = 0; i < count; i += step) {
		uint64_t fn = h->vaddr + (uint64_t)(int64_t)le32(p + 12 + 8 * i);
		if (!not_function(nf, fn))
			tally(t, evidence_at(img, len, o, fn, SHRINK_WRAP_BYTES));
	}
}

/* Go's objects carry a section of their own: .note.go.buildid. */
static bool go_object(Elf *e)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(e, &shstrndx) < 0)
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (gelf_getshdr(scn, &sh) && (name = elf_strptr(e, shstrndx, sh.sh_name)) &&
		    !strcmp(name, ".note.go.buildid"))
			return true;
	}
	return false;
}

/* The object's verdict from the tally T of its symbols' functions, or of
 * its unwind table's when the symbols are few (stripped) and the table
 * has more. */
static int verdict(Elf *e, const unsigned char *img, size_t len, const struct mm_elf_object *o,
		   struct fp_tally t)
{
	if (t.seen < 4) {
		struct not_functions nf;
		struct fp_tally u = { 0 };
		find_not_functions(e, &nf);
		tally_unwind_table(img, len, o, &nf, &u);
		if (u.seen >= t.seen)
			t = u;
	}
	/* a small program's own few functions are enough: the C runtime's,
	 * the PLT's and the entry point's are not counted */
	if (!t.seen)
		return MM_ELF_FP_UNKNOWN;
	return 2 * t.yes >= t.seen ? MM_ELF_FP_YES : MM_ELF_FP_NO;
}

void mm_elf_frame_pointers(Elf *e, struct mm_elf_object *o)
{
	size_t len = 0;
	const unsigned char *img = (const unsigned char *)elf_rawfile(e, &len);
	struct fp_tally t = { 0 };

	o->fp = MM_ELF_FP_UNKNOWN;
	if (o->e_machine != EM_X86_64 || !img)
		return;
	if (go_object(e)) {
		o->fp = MM_ELF_FP_YES;
		return;
	}
	for (uint32_t i = 0; i < o->nr_syms; i++) {
		struct mm_elf_sym *s = (struct mm_elf_sym *)&o->syms[i];
		enum fp_evidence ev = evidence_at(img, len, o, s->value, s->size);
		if (ev == FP_AGAINST || ev == FP_SILENT)
			s->type |= MM_ELF_SYM_NOFP;
		if (s->size >= 16 && !crt_function(s->name))   /* stubs do not count */
			tally(&t, ev);
	}
	o->fp = (uint8_t)verdict(e, img, len, o, t);
}

/* mm_elf_fp_of_file's walk over the function symbols: the first
 * EH_TABLE_SAMPLES functions of 16 bytes or more are enough to tell, and
 * no name is kept (cc1's 27,000: 17.6 ms through mm_elf_read, on record's
 * start). */
struct judge {
	const unsigned char *img;
	size_t len;
	const struct mm_elf_object *o;
	struct fp_tally t;
};

static void judge_func(void *ctx, const GElf_Sym *sym, const char *name)
{
	struct judge *j = ctx;

	if (sym->st_size >= 16 && j->t.seen < EH_TABLE_SAMPLES &&   /* stubs do not count */
	    !crt_function(name))
		tally(&j->t, evidence_at(j->img, j->len, j->o, sym->st_value,
					 (uint32_t)sym->st_size));
}

int mm_elf_fp_of_file(const char *path)
{
	struct mm_elf_object o = { 0 };
	struct judge j = { .o = &o };
	int fd, fp = MM_ELF_FP_UNKNOWN;
	GElf_Ehdr eh;
	Elf *e = NULL;

	if (!mm_elf_lib_ready() || (fd = mm_elf_open_regular(path)) < 0)
		return MM_ELF_FP_UNKNOWN;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    eh.e_machine != EM_X86_64 || mm_elf_read_phdrs(e, &o) < 0 ||
	    !(j.img = (const unsigned char *)elf_rawfile(e, &j.len)))
		goto out;
	if (go_object(e)) {
		fp = MM_ELF_FP_YES;
		goto out;
	}
	if (!mm_elf_each_func(e, SHT_SYMTAB, judge_func, &j))
		mm_elf_each_func(e, SHT_DYNSYM, judge_func, &j);
	fp = verdict(e, j.img, j.len, &o, j.t);
out:
	free((void *)o.phdrs);
	if (e)
		elf_end(e);
	close(fd);
	return fp;
}

/* A script's interpreter ("#!/bin/sh -e": /bin/sh; "#!/usr/bin/env
 * python3": python3 found in $PATH) into BUF; false when PATH does not
 * start with "#!". */
static bool interpreter_of(const char *path, char *buf, size_t n)
{
	char line[512];
	int fd = mm_elf_open_regular(path);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	bool ok = false;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (fgets(line, sizeof(line), f) && line[0] == '#' && line[1] == '!') {
		char *p = line + 2, *end, *arg;
		p += strspn(p, " \t");
		end = p + strcspn(p, " \t\n");
		arg = *end ? end + 1 + strspn(end + 1, " \t") : end;
		*end = '\0';
		arg[strcspn(arg, " \t\n")] = '\0';
		const char *base = strrchr(p, '/');
		char *found = NULL;
		if (base && !strcmp(base, "/env") && *arg && *arg != '-')
			found = strchr(arg, '/') ? mm_strdup(arg) : mm_target_find(arg);
		if (found)
			ok = snprintf(buf, n, "%s", found) < (int)n;
		else
			ok = *p == '/' && snprintf(buf, n, "%s", p) < (int)n;
		free(found);
	}
	fclose(f);
	return ok;
}

int mm_elf_fp_of_program(const char *path, char *used, size_t n)
{
	char interp[512];

	if (interpreter_of(path, interp, sizeof(interp)))
		path = interp;              /* the code that runs is the interpreter's */
	snprintf(used, n, "%s", path);
	return mm_elf_fp_of_file(path);
}
