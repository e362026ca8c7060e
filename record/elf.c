/*
 * record/elf.c - what record keeps of an ELF file a watched task maps
 * executable, so a report names its code anywhere: the build-id, the
 * program headers (which segment a region is, how an address maps to the
 * file's own numbering) and the function symbols, read with libelf.
 *
 * Symbols: the file's .symtab, else its separate debug file's (DEBUG_DIR/
 * .build-id/xx/yyyy.debug, matched by build-id, as gdb and perf find
 * them), else its .dynsym.  Only functions are kept (STT_FUNC,
 * STT_GNU_IFUNC, defined, non-zero): code addresses are all a report looks
 * up.  Aliases at one address (mmap, mmap64, __mmap) keep one name:
 * global before local, fewer leading underscores, then the shorter.
 *
 * Which functions keep frame pointers: elffp.c.
 */
#include <errno.h>
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

struct symv {
	struct mm_elf_sym *v;
	size_t n, cap;
	char *names;              /* every kept name, NUL-separated */
	size_t names_len, names_cap;
	uint8_t *bind;            /* per symbol, for the alias choice */
};

/* The GNU build-id note (the first), into O. */
static bool build_id_note(void *ctx, const GElf_Nhdr *nh, const char *name,
			  const unsigned char *desc)
{
	struct mm_elf_object *o = ctx;
	size_t n = nh->n_descsz < MM_ELF_BUILD_ID_MAX ? nh->n_descsz : MM_ELF_BUILD_ID_MAX;

	if (nh->n_type != NT_GNU_BUILD_ID || nh->n_namesz != 4 || memcmp(name, "GNU", 4) || !n)
		return false;
	memcpy(o->build_id, desc, n);
	o->build_id_len = (uint8_t)n;
	return true;
}

/* The GNU build-id note of E, from its note sections or, without section
 * headers, its PT_NOTE segments. */
static void read_build_id(Elf *e, struct mm_elf_object *o)
{
	if (mm_elf_each_note(e, build_id_note, o))
		return;
	for (uint32_t i = 0; i < o->nr_phdrs; i++) {
		const struct mm_elf_phdr *p = &o->phdrs[i];
		Elf_Data *d;

		if (p->type == PT_NOTE && p->filesz &&
		    (d = elf_getdata_rawchunk(e, (int64_t)p->offset, p->filesz, ELF_T_NHDR)) &&
		    mm_elf_notes_of(d, build_id_note, o))
			return;
	}
}

int mm_elf_read_phdrs(Elf *e, struct mm_elf_object *o)
{
	size_t n;
	struct mm_elf_phdr *v;

	if (elf_getphdrnum(e, &n) < 0)
		return -1;
	if (n > MM_MAX_ELF_PHDRS)
		n = MM_MAX_ELF_PHDRS;
	v = mm_calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr p;
		if (!gelf_getphdr(e, (int)i, &p))
			continue;
		v[o->nr_phdrs++] = (struct mm_elf_phdr){
			p.p_type, p.p_flags, p.p_offset, p.p_vaddr, p.p_filesz, p.p_memsz, p.p_align,
		};
	}
	o->phdrs = v;
	return 0;
}

static unsigned underscores(const char *s)
{
	unsigned n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* Is symbol A a better name than B for the same address? */
static bool better(const char *a, uint8_t bind_a, const char *b, uint8_t bind_b)
{
	bool ga = bind_a != STB_LOCAL, gb = bind_b != STB_LOCAL;

	if (ga != gb)
		return ga;
	if (underscores(a) != underscores(b))
		return underscores(a) < underscores(b);
	return strlen(a) < strlen(b);
}

static void add_sym(struct symv *s, uint64_t value, uint64_t size, uint8_t type, uint8_t bind,
		    const char *name)
{
	size_t nl = strlen(name);

	if (nl > MM_MAX_SYM_NAME)
		nl = MM_MAX_SYM_NAME;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = mm_realloc(s->v, s->cap * sizeof(*s->v));
		s->bind = mm_realloc(s->bind, s->cap);
	}
	while (s->names_cap - s->names_len < nl + 1) {
		s->names_cap = s->names_cap ? 2 * s->names_cap : 4096;
		s->names = mm_realloc(s->names, s->names_cap);
	}
	memcpy(s->names + s->names_len, name, nl);
	s->names[s->names_len + nl] = '\0';
	/* names are placed by offset until the pool stops moving */
	s->v[s->n] = (struct mm_elf_sym){ value, size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
					 type, (const char *)(uintptr_t)s->names_len };
	s->bind[s->n++] = bind;
	s->names_len += nl + 1;
}

static void collect(void *ctx, const GElf_Sym *sym, const char *name)
{
	add_sym(ctx, sym->st_value, sym->st_size, GELF_ST_TYPE(sym->st_info),
		GELF_ST_BIND(sym->st_info), name);
}

static int cmp_sym(const void *a, const void *b)
{
	const struct mm_elf_sym *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Sort by value and keep one name per address; names become pointers. */
static void finish_syms(struct symv *s, struct mm_elf_object *o)
{
	/* each symbol's binding goes through the sort beside it */
	struct { struct mm_elf_sym sym; uint8_t bind; } *tmp = mm_malloc((s->n ? s->n : 1) *
									  sizeof(*tmp));
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++) {
		tmp[i].sym = s->v[i];
		tmp[i].bind = s->bind[i];
	}
	qsort(tmp, s->n, sizeof(*tmp), cmp_sym);
	for (size_t i = 0; i < s->n; i++) {
		const char *name = s->names + (uintptr_t)tmp[i].sym.name;
		if (k && s->v[k - 1].value == tmp[i].sym.value) {
			if (better(name, tmp[i].bind, s->v[k - 1].name, s->bind[k - 1])) {
				s->v[k - 1] = tmp[i].sym;
				s->v[k - 1].name = name;
				s->bind[k - 1] = tmp[i].bind;
			}
			if (tmp[i].sym.size > s->v[k - 1].size)
				s->v[k - 1].size = tmp[i].sym.size;
			continue;
		}
		s->v[k] = tmp[i].sym;
		s->v[k].name = name;
		s->bind[k++] = tmp[i].bind;
	}
	free(tmp);
	o->syms = s->v;
	o->nr_syms = (uint32_t)k;
	free(s->bind);
	s->v = NULL;
	s->bind = NULL;
}

/* Read the function symbols of E (table TYPE) into S; false if none. */
static bool symbols_of(Elf *e, uint32_t type, struct symv *s)
{
	return mm_elf_each_func(e, type, collect, s) > 0;
}

/* The separate debug file of build-id ID under DIR, opened, or -1. */
static int open_debug(const char *dir, const struct mm_elf_object *o)
{
	char path[4096], hex[2 * MM_ELF_BUILD_ID_MAX + 1];
	int n;

	if (!dir || !*dir || o->build_id_len < 2)
		return -1;
	for (unsigned i = 0; i < o->build_id_len; i++)
		sprintf(hex + 2 * i, "%02x", o->build_id[i]);
	n = snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Symbols from the debug file when it is the same build; true if any. */
static bool debug_symbols(const char *dir, struct mm_elf_object *o, struct symv *s)
{
	int fd = open_debug(dir, o);
	Elf *e;
	bool ok = false;

	if (fd < 0)
		return false;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && elf_kind(e) == ELF_K_ELF) {
		struct mm_elf_object d = { 0 };
		read_build_id(e, &d);
		if (d.build_id_len == o->build_id_len &&
		    !memcmp(d.build_id, o->build_id, d.build_id_len))
			ok = symbols_of(e, SHT_SYMTAB, s);
	}
	if (e)
		elf_end(e);
	close(fd);
	return ok;
}

int mm_elf_read(int fd, const char *path, const char *debug_dir, struct mm_elf_object *o,
		char **names)
{
	struct symv s = { 0 };
	GElf_Ehdr eh;
	Elf *e;
	int ret = -1;

	memset(o, 0, sizeof(*o));
	*names = NULL;
	if (!mm_elf_lib_ready())
		return -1;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		mm_error("'%s' is not an ELF executable or shared object", path);
		goto out;
	}
	o->e_type = eh.e_type;
	o->e_machine = eh.e_machine;
	o->path = path;
	if (mm_elf_read_phdrs(e, o) < 0) {
		mm_error("'%s': cannot read its program headers", path);
		goto out;
	}
	read_build_id(e, o);
	if (symbols_of(e, SHT_SYMTAB, &s))
		o->flags = MM_ELF_F_SYMTAB;
	else if (debug_symbols(debug_dir, o, &s))
		o->flags = MM_ELF_F_SYMTAB | MM_ELF_F_DEBUG;
	else
		symbols_of(e, SHT_DYNSYM, &s);
	finish_syms(&s, o);
	*names = s.names;
	mm_elf_frame_pointers(e, o);
	ret = 0;
out:
	if (e)
		elf_end(e);
	if (ret < 0) {
		free(s.v);
		free(s.bind);
		free(s.names);
		free((void *)o->phdrs);
		memset(o, 0, sizeof(*o));
	}
	return ret;
}

void mm_elf_release(struct mm_elf_object *o, char *names)
{
	free((void *)o->phdrs);
	free((void *)o->syms);
	free(names);
	memset(o, 0, sizeof(*o));
}
