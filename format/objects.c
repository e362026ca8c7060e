/*
 * format/objects.c - the bytes of MMAPS and ELF sections (objects.h,
 * memmon-format(5)): little-endian, packed, read with explicit loads.
 *
 * An MMAPS payload is a run of entries, each an 80-byte fixed part and
 * its path.  An ELF payload is a 64-byte header, the path, the program
 * headers, then the symbols as columns (value deltas, sizes, types, names),
 * because like values compress far better next to each other than
 * interleaved: libc's 10,000 symbols take ~70 KB this way.
 *
 * Parsing trusts no count: each is checked against the bytes left before
 * anything is allocated, so memory is bounded by the payload (itself
 * bounded by MM_MAX_OBJ_SECTION and the file's inflate budget), and time is
 * one pass.
 */
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "endian.h"
#include "layout.h"
#include "objects.h"

#define MAPENT_FIXED 80
#define ELF_HEADER   64
#define ELF_PHDR     48

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int mm_mapents_encode(const struct mm_mapent *e, size_t n, unsigned char **buf, size_t *len)
{
	size_t total = 0, off = 0;

	for (size_t i = 0; i < n; i++) {
		size_t pl = e[i].path ? strlen(e[i].path) : 0;
		if (pl > MM_MAX_PATH)
			return mm_error("a mapped file's path is longer than %d bytes", MM_MAX_PATH);
		total += MAPENT_FIXED + pl;
	}
	if (total > MM_MAX_OBJ_SECTION)
		return mm_error("too many mapping records for one section");
	unsigned char *p = mm_calloc(1, total ? total : 1);
	for (size_t i = 0; i < n; i++) {
		size_t pl = e[i].path ? strlen(e[i].path) : 0;
		unsigned char *q = p + off;
		q[0] = e[i].kind;
		put16(q + 2, (uint16_t)pl);
		mm_le32_store(q + 4, e[i].pid);
		mm_le32_store(q + 8, e[i].tid);
		mm_le32_store(q + 12, e[i].prot);
		mm_le32_store(q + 16, e[i].flags);
		mm_le32_store(q + 20, e[i].maj);
		mm_le32_store(q + 24, e[i].min);
		mm_le32_store(q + 28, e[i].object);
		mm_le64_store(q + 32, e[i].ts);
		mm_le64_store(q + 40, e[i].addr);
		mm_le64_store(q + 48, e[i].len);
		mm_le64_store(q + 56, e[i].pgoff);
		mm_le64_store(q + 64, e[i].ino);
		mm_le64_store(q + 72, e[i].ino_generation);
		if (pl)
			memcpy(q + MAPENT_FIXED, e[i].path, pl);
		off += MAPENT_FIXED + pl;
	}
	*buf = p;
	*len = total;
	return 0;
}

int mm_mapents_parse(const unsigned char *p, size_t len, struct mm_mapent **v, size_t *n,
		     size_t *cap, char **pool, const char **why)
{
	size_t count = 0, paths = 0;

	/* first pass: the entries are all there and well-formed */
	for (size_t off = 0; off < len; count++) {
		if (len - off < MAPENT_FIXED)
			return *why = "mapping entry cut short", -1;
		uint8_t kind = p[off];
		size_t pl = get16(p + off + 2);
		if (kind < MM_MAPENT_MAP || kind > MM_MAPENT_LOST)
			return *why = "unknown mapping entry kind", -1;
		if (p[off + 1])
			return *why = "mapping entry reserved byte set", -1;
		if (pl > MM_MAX_PATH || pl > len - off - MAPENT_FIXED)
			return *why = "mapping entry path past its section", -1;
		if (memchr(p + off + MAPENT_FIXED, '\0', pl))
			return *why = "mapping entry path holds a NUL", -1;
		paths += pl + 1;
		off += MAPENT_FIXED + pl;
	}
	char *pp = mm_malloc(paths ? paths : 1);
	size_t po = 0;
	while (*cap - *n < count) {
		*cap = *cap ? 2 * *cap : 64;
		*v = mm_realloc(*v, *cap * sizeof(**v));
	}
	for (size_t off = 0; off < len;) {
		const unsigned char *q = p + off;
		size_t pl = get16(q + 2);
		struct mm_mapent *e = &(*v)[(*n)++];
		*e = (struct mm_mapent){
			.kind = q[0],
			.pid = mm_le32_load(q + 4), .tid = mm_le32_load(q + 8),
			.prot = mm_le32_load(q + 12), .flags = mm_le32_load(q + 16),
			.maj = mm_le32_load(q + 20), .min = mm_le32_load(q + 24),
			.object = mm_le32_load(q + 28), .ts = mm_le64_load(q + 32),
			.addr = mm_le64_load(q + 40), .len = mm_le64_load(q + 48),
			.pgoff = mm_le64_load(q + 56), .ino = mm_le64_load(q + 64),
			.ino_generation = mm_le64_load(q + 72), .path = pp + po,
		};
		memcpy(pp + po, q + MAPENT_FIXED, pl);
		pp[po + pl] = '\0';
		po += pl + 1;
		off += MAPENT_FIXED + pl;
	}
	*pool = pp;
	return 0;
}

/* ---- ELF ---- */

int mm_elf_encode(const struct mm_elf_object *o, unsigned char **buf, size_t *len)
{
	size_t pl = o->path ? strlen(o->path) : 0, names = 0;

	if (pl > MM_MAX_PATH || o->nr_phdrs > MM_MAX_ELF_PHDRS ||
	    o->build_id_len > MM_ELF_BUILD_ID_MAX)
		return mm_error("ELF object '%s' is past the format's limits", o->path ? o->path : "");
	for (uint32_t i = 0; i < o->nr_syms; i++) {
		size_t nl = strlen(o->syms[i].name);
		names += (nl > MM_MAX_SYM_NAME ? MM_MAX_SYM_NAME : nl) + 1;
		if (i && o->syms[i].value < o->syms[i - 1].value)
			return mm_error("ELF object '%s': symbols not sorted", o->path ? o->path : "");
	}
	size_t total = ELF_HEADER + pl + (size_t)o->nr_phdrs * ELF_PHDR +
		       (size_t)o->nr_syms * (8 + 4 + 1) + names;
	if (total > MM_MAX_OBJ_SECTION)
		return mm_error("ELF object '%s' has too many symbols for the format",
				o->path ? o->path : "");
	unsigned char *p = mm_calloc(1, total), *q = p;
	mm_le32_store(q, o->id);
	put16(q + 4, o->flags);
	q[6] = o->fp;
	q[7] = o->build_id_len;
	memcpy(q + 8, o->build_id, o->build_id_len);
	put16(q + 40, o->e_type);
	put16(q + 42, o->e_machine);
	mm_le32_store(q + 44, o->nr_phdrs);
	mm_le32_store(q + 48, o->nr_syms);
	mm_le32_store(q + 52, (uint32_t)pl);
	mm_le32_store(q + 56, (uint32_t)names);
	q += ELF_HEADER;
	memcpy(q, o->path, pl);
	q += pl;
	for (uint32_t i = 0; i < o->nr_phdrs; i++, q += ELF_PHDR) {
		const struct mm_elf_phdr *h = &o->phdrs[i];
		mm_le32_store(q, h->type);
		mm_le32_store(q + 4, h->flags);
		mm_le64_store(q + 8, h->offset);
		mm_le64_store(q + 16, h->vaddr);
		mm_le64_store(q + 24, h->filesz);
		mm_le64_store(q + 32, h->memsz);
		mm_le64_store(q + 40, h->align);
	}
	uint64_t prev = 0;
	for (uint32_t i = 0; i < o->nr_syms; i++, q += 8) {
		mm_le64_store(q, o->syms[i].value - prev);
		prev = o->syms[i].value;
	}
	for (uint32_t i = 0; i < o->nr_syms; i++, q += 4)
		mm_le32_store(q, o->syms[i].size);
	for (uint32_t i = 0; i < o->nr_syms; i++)
		*q++ = o->syms[i].type;
	for (uint32_t i = 0; i < o->nr_syms; i++) {
		size_t nl = strlen(o->syms[i].name);
		if (nl > MM_MAX_SYM_NAME)
			nl = MM_MAX_SYM_NAME;
		memcpy(q, o->syms[i].name, nl);
		q += nl + 1;
	}
	*buf = p;
	*len = total;
	return 0;
}

int mm_elf_parse(const unsigned char *p, size_t len, struct mm_elf_object *o, const char **why)
{
	memset(o, 0, sizeof(*o));
	if (len < ELF_HEADER)
		return *why = "ELF section shorter than its header", -1;
	uint16_t flags = get16(p + 4);
	uint32_t nr_phdrs = mm_le32_load(p + 44), nr_syms = mm_le32_load(p + 48);
	uint32_t pl = mm_le32_load(p + 52), names = mm_le32_load(p + 56);
	if (flags & ~MM_ELF_F_KNOWN)
		return *why = "ELF section with unknown flags", -1;
	if (p[6] > MM_ELF_FP_NO || p[7] > MM_ELF_BUILD_ID_MAX || mm_le32_load(p + 60))
		return *why = "ELF section header out of range", -1;
	if (!mm_le32_load(p))
		return *why = "ELF section without an object id", -1;
	if (pl > MM_MAX_PATH)
		return *why = "ELF section path too long", -1;
	if (nr_phdrs > MM_MAX_ELF_PHDRS)
		return *why = "ELF section with too many program headers", -1;
	/* every part's size from the counts, checked against what is there:
	 * 13 bytes and a name's NUL per symbol */
	uint64_t need = ELF_HEADER + (uint64_t)pl + (uint64_t)nr_phdrs * ELF_PHDR +
			(uint64_t)nr_syms * 13 + names;
	if (need != len)
		return *why = "ELF section size does not match its counts", -1;
	if (names < nr_syms)
		return *why = "ELF section has fewer names than symbols", -1;
	if (memchr(p + ELF_HEADER, '\0', pl))
		return *why = "ELF section path holds a NUL", -1;
	const unsigned char *q = p + ELF_HEADER + pl;
	const unsigned char *names_at = q + (size_t)nr_phdrs * ELF_PHDR + (size_t)nr_syms * 13;
	if (names && names_at[names - 1] != '\0')
		return *why = "ELF section names not ended", -1;
	/* the names: exactly NR_SYMS strings (one walk) */
	uint32_t count = 0;
	for (const unsigned char *s = names_at, *end = names_at + names; s < end; count++) {
		const unsigned char *z = memchr(s, '\0', end - s);
		if (z - s > MM_MAX_SYM_NAME)
			return *why = "ELF section symbol name too long", -1;
		s = z + 1;
	}
	if (count != nr_syms)
		return *why = "ELF section name count does not match its symbols", -1;

	struct mm_elf_phdr *ph = mm_calloc(nr_phdrs ? nr_phdrs : 1, sizeof(*ph));
	struct mm_elf_sym *sy = mm_calloc(nr_syms ? nr_syms : 1, sizeof(*sy));
	char *path = mm_malloc(pl + 1);
	memcpy(path, p + ELF_HEADER, pl);
	path[pl] = '\0';
	for (uint32_t i = 0; i < nr_phdrs; i++, q += ELF_PHDR)
		ph[i] = (struct mm_elf_phdr){
			mm_le32_load(q), mm_le32_load(q + 4), mm_le64_load(q + 8),
			mm_le64_load(q + 16), mm_le64_load(q + 24), mm_le64_load(q + 32),
			mm_le64_load(q + 40),
		};
	const unsigned char *vals = q, *sizes = q + (size_t)nr_syms * 8,
			    *types = sizes + (size_t)nr_syms * 4;
	const char *s = (const char *)names_at;
	uint64_t v = 0;
	for (uint32_t i = 0; i < nr_syms; i++) {
		uint64_t d = mm_le64_load(vals + (size_t)i * 8);
		if (v + d < v) {
			free(ph);
			free(sy);
			free(path);
			return *why = "ELF section symbol values overflow", -1;
		}
		v += d;
		sy[i] = (struct mm_elf_sym){ v, mm_le32_load(sizes + (size_t)i * 4), types[i], s };
		s += strlen(s) + 1;
	}
	o->id = mm_le32_load(p);
	o->flags = flags;
	o->fp = p[6];
	o->build_id_len = p[7];
	memcpy(o->build_id, p + 8, o->build_id_len);
	o->e_type = get16(p + 40);
	o->e_machine = get16(p + 42);
	o->path = path;
	o->phdrs = ph;
	o->nr_phdrs = nr_phdrs;
	o->syms = sy;
	o->nr_syms = nr_syms;
	return 0;
}

void mm_elf_object_free(struct mm_elf_object *o)
{
	free((void *)o->path);
	free((void *)o->phdrs);
	free((void *)o->syms);
	memset(o, 0, sizeof(*o));
}
