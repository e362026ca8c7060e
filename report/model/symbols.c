/*
 * report/model/symbols.c - the ELF objects of the trace and what they say
 * about a region or an address of code (symbols.h).
 *
 * The objects come from the file once (as_syms_load): each FILE entry of
 * the MMAPS sections ties a file (device, inode, path) to an object id;
 * regions find their object by device and inode first (the same path may
 * have been replaced meanwhile), else by path.  Symbol lookup is a binary
 * search of the object's sorted functions: the last one starting at or
 * before the address holds it when the address is inside its size, or it
 * has no size and nothing starts between them (assembly labels).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/objects.h"
#include "format/reader.h"
#include "report/model/as-int.h"
#include "report/model/symbols.h"
#include "plugins/symbolic.h"

#define PT_LOAD_ 1
#define PT_GNU_RELRO_ 0x6474e552
#define PF_X_ 1
#define PF_W_ 2

static const struct mm_elf_object *object_by_id(const struct as_syms *s, uint32_t id)
{
	for (size_t i = 0; i < s->nr_objs; i++)
		if (s->objs[i]->id == id)
			return s->objs[i];
	return NULL;
}

void as_syms_load(struct mm_as *as, struct mm_file *f)
{
	struct as_syms *s = &as->syms;

	s->nr_objs = mm_file_nr_elfs(f);
	s->objs = mm_calloc(s->nr_objs ? s->nr_objs : 1, sizeof(*s->objs));
	for (size_t i = 0; i < s->nr_objs; i++)
		s->objs[i] = mm_file_elf(f, i);
	for (size_t i = 0; i < mm_file_nr_mapents(f); i++) {
		const struct mm_mapent *e = mm_file_mapent(f, i);
		const struct mm_elf_object *o;
		if (e->kind != MM_MAPENT_FILE || !(o = object_by_id(s, e->object)))
			continue;
		MM_GROW(s->files, s->nr_files, s->cap_files, 16);
		s->files[s->nr_files++] = (struct as_file_ent){
			e->maj, e->min, e->ino, as_intern(as, e->path), o,
		};
	}
}

void as_syms_free(struct mm_as *as)
{
	free(as->syms.objs);
	free(as->syms.files);
}

size_t mm_as_nr_objects(const struct mm_as *as)
{
	return as->syms.nr_objs;
}

const struct mm_elf_object *mm_as_object_at(const struct mm_as *as, size_t i)
{
	return i < as->syms.nr_objs ? as->syms.objs[i] : NULL;
}

const struct mm_elf_object *mm_as_region_object(struct mm_as *as, const struct mm_region *r)
{
	struct as_syms *s = &as->syms;

	if (r->backing != MM_BACK_FILE || !s->nr_files)
		return NULL;
	if (s->last < s->nr_files) {
		const struct as_file_ent *e = &s->files[s->last];
		if (r->ino ? e->ino == r->ino && e->maj == r->dev_major && e->min == r->dev_minor :
			     e->path == r->name)
			return e->obj;
	}
	for (size_t i = 0; r->ino && i < s->nr_files; i++)
		if (s->files[i].ino == r->ino && s->files[i].maj == r->dev_major &&
		    s->files[i].min == r->dev_minor) {
			s->last = i;
			return s->files[i].obj;
		}
	for (size_t i = 0; i < s->nr_files; i++)
		if (s->files[i].path == r->name) {
			s->last = i;
			return s->files[i].obj;
		}
	return NULL;
}

/* The PT_LOAD segment holding file offset OFF (page-rounded as the loader
 * maps it), or NULL.  Two segments can share a file page (rodata's last
 * and data's first in a small file): PROT, the mapping's protection,
 * chooses (executable for text, writable for data). */
static const struct mm_elf_phdr *load_of(const struct mm_elf_object *o, uint64_t off,
					 uint64_t page, unsigned prot)
{
	const struct mm_elf_phdr *best = NULL;
	int best_score = -1;

	for (uint32_t i = 0; i < o->nr_phdrs; i++) {
		const struct mm_elf_phdr *h = &o->phdrs[i];
		uint64_t lo = h->offset & ~(page - 1), hi = h->offset + h->filesz;
		int score;
		if (h->type != PT_LOAD_ || off < lo || off >= ((hi + page - 1) & ~(page - 1)))
			continue;
		score = 4 * (off >= h->offset && off < hi) +
			2 * (!(h->flags & PF_X_) == !(prot & MM_PROT_X)) +
			(!(h->flags & PF_W_) == !(prot & MM_PROT_W));
		if (score > best_score) {
			best = h;
			best_score = score;
		}
	}
	return best;
}

/* The function of O holding VADDR, or NULL. */
static const struct mm_elf_sym *sym_at(const struct mm_elf_object *o, uint64_t vaddr)
{
	size_t i = MM_PARTITION_POINT(o->nr_syms, k, o->syms[k].value <= vaddr);

	if (!i)
		return NULL;
	const struct mm_elf_sym *s = &o->syms[i - 1];
	if (s->size)
		return vaddr - s->value < s->size ? s : NULL;
	return s;                                /* sizeless: up to the next one */
}

static const char *base_name(struct mm_as *as, const char *path)
{
	const char *b = strrchr(path, '/');
	return as_intern(as, b ? b + 1 : path);
}

const struct mm_as_proc *mm_as_memory_of(const struct mm_as *as, int32_t pid)
{
	const struct mm_as_proc *p;

	if (!as)
		return NULL;
	p = mm_as_proc_find(as, mm_as_tgid_of(as, pid));
	if (p && p->shares_mm) {
		const struct mm_as_proc *o = mm_as_proc_find(as, p->mm_of);
		if (o)
			p = o;
	}
	return p;
}

bool mm_as_code(struct mm_as *as, const struct mm_as_proc *p, uint64_t addr, struct mm_code *c)
{
	const struct mm_region *r = p ? mm_as_lookup(p, addr) : NULL;
	const struct mm_elf_object *o;
	uint64_t off;

	memset(c, 0, sizeof(*c));
	if (!r)
		return false;
	if (r->backing != MM_BACK_FILE || !r->name) {
		const char *l = mm_region_label(r);
		c->special = *l ? l : "[anon]";
		c->off = addr - r->start;
		return true;
	}
	c->path = r->name;
	c->module = base_name(as, r->name);
	off = addr - r->start + r->offset;
	c->off = off;
	o = mm_as_region_object(as, r);
	if (!o)
		return true;
	c->no_fp = o->fp == MM_ELF_FP_NO;
	const struct mm_elf_phdr *h = load_of(o, off, as->page_size, r->prot);
	if (!h)
		return true;
	uint64_t vaddr = h->vaddr + off - h->offset;
	const struct mm_elf_sym *s = sym_at(o, vaddr);
	c->in_object = true;
	c->off = vaddr;
	if (s) {
		c->func = as_demangle(as, s->name);
		c->func_addr = s->value;
		c->off = vaddr - s->value;
		if (o->e_machine == 62)         /* EM_X86_64: the function's own word */
			c->no_fp = s->type & MM_ELF_SYM_NOFP;
	}
	return true;
}

/* Text appended to a buffer and cut at its end, as snprintf cuts: the
 * log names the code of every fault, and snprintf's format parsing was
 * a sixth of report --log's time. */
struct cut {
	char *p, *end;          /* END: where the NUL goes at the latest */
};

static void cut_str(struct cut *k, const char *s)
{
	size_t n = strlen(s), room = (size_t)(k->end - k->p);
	if (n > room)
		n = room;
	memcpy(k->p, s, n);
	k->p += n;
}

static void cut_hex(struct cut *k, const char *prefix, uint64_t v)
{
	char t[24];
	char *e = mm_sym_hex(mm_sym_str(t, prefix), v);
	*e = '\0';
	cut_str(k, t);
}

void mm_code_format(const struct mm_code *c, uint64_t addr, char *buf, size_t n)
{
	struct cut k = { buf, buf + n - 1 };

	if (!n)
		return;
	if (c->func || c->module || c->special) {
		cut_str(&k, c->func ? c->func : c->module ? c->module : c->special);
		cut_hex(&k, "+0x", c->off);
		if (c->func) {
			cut_str(&k, " [");
			cut_str(&k, c->module ? c->module : "(null)");
			cut_str(&k, "]");
		}
	} else {
		cut_hex(&k, "", addr);
	}
	*k.p = '\0';
}

bool mm_stack_top_format(const struct mm_stack *st, char *buf, size_t n)
{
	if (!st || !st->nr)
		return false;
	mm_code_format(&st->code[0], st->pc[0], buf, n);
	return true;
}

/* The kind of segment H is for a region with PROT (relro: writable in the
 * file, made read-only after relocation). */
static const char *segment_name(const struct mm_elf_object *o, const struct mm_elf_phdr *h,
				uint64_t vlo, uint64_t vhi, unsigned prot)
{
	if (h->flags & PF_X_)
		return "text";
	if (!(h->flags & PF_W_))
		return "rodata";
	for (uint32_t i = 0; i < o->nr_phdrs; i++) {
		const struct mm_elf_phdr *g = &o->phdrs[i];
		if (g->type == PT_GNU_RELRO_ && vlo >= (g->vaddr & ~4095ull) &&
		    vhi <= ((g->vaddr + g->memsz + 4095) & ~4095ull) && !(prot & MM_PROT_W))
			return "relro";
	}
	return "data";
}

/* Did Q and R live at the same time? */
static bool together(const struct mm_region *q, const struct mm_region *r)
{
	return (mm_region_live(r) || q->created.ts <= r->ended.ts) &&
	       (mm_region_live(q) || q->ended.ts >= r->created.ts);
}

/* The file region of P ending where R starts, alive with it, or NULL. */
static const struct mm_region *before(const struct mm_as_proc *p, const struct mm_region *r)
{
	for (size_t k = 0; k < p->nr_map + p->nr_dead; k++) {
		const struct mm_region *q = k < p->nr_map ? p->map[k] : p->dead[k - p->nr_map];
		if (q->end == r->start && q->backing == MM_BACK_FILE && together(q, r))
			return q;
	}
	return NULL;
}

/* Where P loaded R's object O: the start of a region of the same file at
 * offset 0 alive with R, less the address offset 0 has in O. */
static bool bias_of(const struct mm_as_proc *p, const struct mm_region *r,
		    const struct mm_elf_object *o, uint64_t *bias)
{
	const struct mm_elf_phdr *h0 = NULL;

	for (uint32_t i = 0; i < o->nr_phdrs; i++)
		if (o->phdrs[i].type == PT_LOAD_ && (!h0 || o->phdrs[i].offset < h0->offset))
			h0 = &o->phdrs[i];
	if (!h0 || h0->offset > h0->vaddr)
		return false;
	for (size_t k = 0; p && k < p->nr_map + p->nr_dead; k++) {
		const struct mm_region *q = k < p->nr_map ? p->map[k] : p->dead[k - p->nr_map];
		if (q->offset || q->backing != MM_BACK_FILE || !together(q, r) ||
		    (r->ino ? q->ino != r->ino || q->dev_major != r->dev_major ||
			      q->dev_minor != r->dev_minor : q->name != r->name))
			continue;
		*bias = q->start - (h0->vaddr - h0->offset);
		return true;
	}
	return false;
}

/* The PT_LOAD whose pages hold object address VADDR, or NULL. */
static const struct mm_elf_phdr *load_at(const struct mm_elf_object *o, uint64_t vaddr,
					 uint64_t page)
{
	for (uint32_t i = 0; i < o->nr_phdrs; i++) {
		const struct mm_elf_phdr *h = &o->phdrs[i];
		if (h->type == PT_LOAD_ && vaddr >= (h->vaddr & ~(page - 1)) &&
		    vaddr < ((h->vaddr + h->memsz + page - 1) & ~(page - 1)))
			return h;
	}
	return NULL;
}

const char *mm_as_region_segment(struct mm_as *as, const struct mm_as_proc *p,
				 const struct mm_region *r, const struct mm_region **owner)
{
	const struct mm_elf_object *o;
	const struct mm_elf_phdr *h;

	if (owner)
		*owner = NULL;
	if (r->backing == MM_BACK_ANON && p && !(r->flags & MM_REG_SHARED)) {
		/* bss: the data segment's memsz past its filesz, mapped
		 * anonymous right after the file's last page */
		const struct mm_region *q = before(p, r);
		if (!q || !(o = mm_as_region_object(as, q)))
			return NULL;
		uint64_t qoff = q->offset + mm_region_size(q) - 1;
		if (!(h = load_of(o, qoff, as->page_size, MM_PROT_W)) || !(h->flags & PF_W_) ||
		    h->memsz <= h->filesz)
			return NULL;
		/* the loader keeps vaddr and offset equal modulo a page */
		uint64_t bias = q->start - (h->vaddr + q->offset - h->offset);
		uint64_t seg_end = (bias + h->vaddr + h->memsz + as->page_size - 1) &
				   ~(as->page_size - 1);
		if (r->end > seg_end)
			return NULL;
		if (owner)
			*owner = q;
		return "bss";
	}
	if (!(o = mm_as_region_object(as, r)))
		return NULL;
	uint64_t bias, vlo;
	if (bias_of(p, r, o, &bias)) {
		vlo = r->start - bias;
		h = load_at(o, vlo, as->page_size);
	} else {
		h = load_of(o, r->offset, as->page_size, r->prot);
		vlo = h ? h->vaddr + r->offset - h->offset : 0;
	}
	if (!h)
		return NULL;
	return segment_name(o, h, vlo, vlo + mm_region_size(r), r->prot);
}
