/*
 * record/elfsyms.c - what record --malloc's uprobes need from an ELF file
 * (libelf): the file offsets of the allocator's functions, whether a
 * program is static (no PT_INTERP: the interposer cannot load into it),
 * and the SystemTap SDT probes its .note.stapsdt notes declare.
 *
 * A uprobe is placed by file offset, and a symbol's value is an address:
 * the offset is the value's place in the PT_LOAD segment that maps it.
 * The file is the one the process really maps (record/uprobes.c opens it
 * through /proc/PID/map_files), so a library replaced on disk since, or
 * one seen through another mount namespace, is still the right one.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memmon.h"
#include "record/elf-int.h"
#include "record/record.h"

struct elf_file {
	int fd;
	Elf *e;
	size_t nr_ph;
};

static int elf_open(const char *path, struct elf_file *f)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (!mm_elf_lib_ready())
		return -1;
	if ((f->fd = mm_elf_open_regular(path)) < 0)
		return mm_error_errno("cannot open %s", path);
	f->e = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->e || elf_kind(f->e) != ELF_K_ELF || elf_getphdrnum(f->e, &f->nr_ph) < 0) {
		mm_error("%s: not an ELF file (%s)", path, elf_errmsg(-1));
		if (f->e)
			elf_end(f->e);
		close(f->fd);
		f->e = NULL;
		f->fd = -1;
		return -1;
	}
	return 0;
}

static void elf_close(struct elf_file *f)
{
	if (f->e)
		elf_end(f->e);
	if (f->fd >= 0)
		close(f->fd);
}

/* The file offset of address VADDR: 0 when no PT_LOAD holds it in the file. */
static uint64_t vaddr_to_off(const struct elf_file *f, uint64_t vaddr)
{
	for (size_t i = 0; i < f->nr_ph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(f->e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

struct func_want {
	const struct elf_file *f;
	struct mm_elf_func *fn;
	size_t n;
};

/* A wanted function's first definition (an IFUNC's resolver is not it). */
static void func_seen(void *ctx, const GElf_Sym *sym, const char *name)
{
	struct func_want *w = ctx;

	if (GELF_ST_TYPE(sym->st_info) != STT_FUNC)
		return;
	for (size_t i = 0; i < w->n; i++)
		if (!w->fn[i].off && !strcmp(name, w->fn[i].name))
			w->fn[i].off = vaddr_to_off(w->f, sym->st_value);
}

int mm_elf_func_offsets(const char *path, struct mm_elf_func *fn, size_t n)
{
	struct elf_file f;
	struct func_want w = { &f, fn, n };

	for (size_t i = 0; i < n; i++)
		fn[i].off = 0;
	if (elf_open(path, &f) < 0)
		return -1;
	/* .symtab (a static program's, when not stripped) and .dynsym */
	mm_elf_each_func(f.e, SHT_SYMTAB, func_seen, &w);
	mm_elf_each_func(f.e, SHT_DYNSYM, func_seen, &w);
	elf_close(&f);
	return 0;
}

int mm_elf_is_static(const char *path)
{
	struct elf_file f;
	int ret = 1;

	if (elf_open(path, &f) < 0)
		return -1;
	for (size_t i = 0; i < f.nr_ph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(f.e, (int)i, &ph) && ph.p_type == PT_INTERP)
			ret = 0;
	}
	elf_close(&f);
	return ret;
}

/* ---- SystemTap SDT notes (sys/sdt.h) ---- */

#define SDT_NOTE_TYPE 3
#define SDT_OWNER     "stapsdt"

/* The address .stapsdt.base has in the file (0: none): probe addresses
 * are linked against it and move with it (prelink). */
static uint64_t sdt_base(const struct elf_file *f)
{
	Elf_Scn *scn = NULL;
	size_t shstr;

	if (elf_getshdrstrndx(f->e, &shstr) < 0)
		return 0;
	while ((scn = elf_nextscn(f->e, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (gelf_getshdr(scn, &sh) && (name = elf_strptr(f->e, shstr, sh.sh_name)) &&
		    !strcmp(name, ".stapsdt.base"))
			return sh.sh_addr;
	}
	return 0;
}

/* One note's descriptor: pc, base, semaphore (address-sized), then
 * provider, name and arguments as C strings. */
static int sdt_note(const struct elf_file *f, const unsigned char *desc, size_t len,
		    uint64_t base, struct mm_sdt_probe *p)
{
	size_t asz = gelf_getclass(f->e) == ELFCLASS32 ? 4 : 8, at = 3 * asz;
	uint64_t v[3] = { 0 };
	const char *s[3];

	if (len < at + 3)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (asz == 8) {
			memcpy(&v[i], desc + i * 8, 8);
		} else {
			uint32_t w;
			memcpy(&w, desc + i * 4, 4);
			v[i] = w;
		}
	}
	for (int i = 0; i < 3; i++) {
		const void *end = memchr(desc + at, 0, len - at);
		if (!end)
			return -1;
		s[i] = (const char *)desc + at;
		at = (size_t)((const unsigned char *)end - desc) + 1;
		if (i < 2 && at >= len)
			return -1;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->provider, sizeof(p->provider), "%s", s[0]);
	snprintf(p->name, sizeof(p->name), "%s", s[1]);
	snprintf(p->args, sizeof(p->args), "%s", s[2]);
	/* the note's base against where .stapsdt.base really is */
	p->addr = v[0] + (base && v[1] ? base - v[1] : 0);
	p->off = vaddr_to_off(f, p->addr);
	p->semaphore = v[2];
	return 0;
}

struct sdt_walk {
	const struct elf_file *f;
	uint64_t base;
	struct mm_sdt_probe **out;
	size_t *nr, cap;
};

static bool sdt_seen(void *ctx, const GElf_Nhdr *nh, const char *name, const unsigned char *desc)
{
	struct sdt_walk *w = ctx;

	if (nh->n_type != SDT_NOTE_TYPE || nh->n_namesz != sizeof(SDT_OWNER) ||
	    memcmp(name, SDT_OWNER, sizeof(SDT_OWNER)))
		return false;
	MM_GROW(*w->out, *w->nr, w->cap, 16);
	if (sdt_note(w->f, desc, nh->n_descsz, w->base, &(*w->out)[*w->nr]) == 0)
		(*w->nr)++;
	return false;
}

int mm_elf_sdt_probes(const char *path, struct mm_sdt_probe **out, size_t *nr)
{
	struct elf_file f;
	struct sdt_walk w = { &f, 0, out, nr, 0 };

	*out = NULL;
	*nr = 0;
	if (elf_open(path, &f) < 0)
		return -1;
	w.base = sdt_base(&f);
	mm_elf_each_note(f.e, sdt_seen, &w);
	elf_close(&f);
	return 0;
}
