/*
 * format/objects.h - what a trace carries so that a report names files and
 * code on a machine that never had them: the file mappings the watched
 * tasks made (MMAPS sections) and the ELF objects they mapped executable
 * (ELF sections: build-id, program headers, symbols).
 *
 * record fills these structs and hands them to the writer
 * (mm_writer_mapents, mm_writer_elf); the reader checks and parses the
 * sections into the same structs (mm_file_mapent, mm_file_elf).  The bytes
 * are objects.c's business and memmon-format(5)'s; nothing else in memmon
 * knows them.
 *
 * A section is hostile input like any other: every count is checked
 * against the bytes the payload really has before anything is allocated,
 * every string against its stated length, symbols must come sorted, and a
 * section must be used up exactly.
 */
#ifndef MM_FORMAT_OBJECTS_H
#define MM_FORMAT_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mm_mapent_kind {
	MM_MAPENT_MAP  = 1,   /* task TID of PID mapped [addr, addr+len) of a file */
	MM_MAPENT_FILE = 2,   /* the file (maj:min, ino, path) is ELF object OBJECT */
	MM_MAPENT_LOST = 3,   /* the kernel dropped LEN mapping records */
};

struct mm_mapent {
	uint8_t kind;               /* enum mm_mapent_kind */
	uint32_t pid, tid;
	uint32_t prot;              /* PROT_READ 1, WRITE 2, EXEC 4 */
	uint32_t flags;             /* MAP_SHARED 1, MAP_PRIVATE 2 */
	uint32_t maj, min;          /* the file's device */
	uint32_t object;            /* FILE: the ELF object's id */
	uint64_t ts;                /* the recorder's clock (perf_clock): only
	                             * orders one task's entries */
	uint64_t addr, len;
	uint64_t pgoff;             /* file offset of addr, in bytes */
	uint64_t ino, ino_generation;
	const char *path;           /* NUL-terminated (the reader owns it) */
};

/* Frame pointers: do the object's functions keep them (push %rbp; mov
 * %rsp,%rbp at their entry)?  Stacks walked through one that does not
 * lose its caller's frame. */
enum mm_elf_fp { MM_ELF_FP_UNKNOWN, MM_ELF_FP_YES, MM_ELF_FP_NO };

#define MM_ELF_F_SYMTAB  1u   /* symbols from .symtab (else .dynsym) */
#define MM_ELF_F_DEBUG   2u   /* ... of a separate debug file */
#define MM_ELF_F_KNOWN   (MM_ELF_F_SYMTAB | MM_ELF_F_DEBUG)

#define MM_ELF_BUILD_ID_MAX 32

struct mm_elf_phdr {
	uint32_t type, flags;       /* PT_*, PF_X 1 PF_W 2 PF_R 4 */
	uint64_t offset, vaddr, filesz, memsz, align;
};

struct mm_elf_sym {
	uint64_t value;             /* address in the object's own numbering */
	uint32_t size;              /* bytes, 0 when not known */
	uint8_t type;               /* STT_FUNC 2, STT_GNU_IFUNC 10, with
	                             * MM_ELF_SYM_NOFP */
	const char *name;
};
/* In mm_elf_sym.type: the function sets up no frame pointer (its code
 * does not start with push %rbp; mov %rsp,%rbp): a stack walked by frame
 * pointers through it has lost its caller.  Known on x86-64 only. */
#define MM_ELF_SYM_NOFP  0x80u
#define MM_ELF_SYM_TYPE  0x7fu

struct mm_elf_object {
	uint32_t id;                /* unique in the file, from 1 */
	uint16_t flags;             /* MM_ELF_F_* */
	uint8_t fp;                 /* enum mm_elf_fp */
	uint8_t build_id_len;       /* 0: none */
	uint8_t build_id[MM_ELF_BUILD_ID_MAX];
	uint16_t e_type;            /* ET_EXEC 2 (fixed), ET_DYN 3 (PIE, .so) */
	uint16_t e_machine;
	const char *path;           /* the file as first mapped */
	const struct mm_elf_phdr *phdrs;
	uint32_t nr_phdrs;
	const struct mm_elf_sym *syms;   /* sorted by value */
	uint32_t nr_syms;
};

/* Serialize (writer.c calls these): the payload of an MMAPS section of N
 * entries / of an ELF section, in a malloc'd *BUF of *LEN bytes; -1 with
 * mm_error() when a value is past the format's limits. */
int mm_mapents_encode(const struct mm_mapent *e, size_t n, unsigned char **buf, size_t *len);
int mm_elf_encode(const struct mm_elf_object *o, unsigned char **buf, size_t *len);

/* Parse (reader.c calls these) the LEN bytes of payload P, which must
 * outlive what is returned: MMAPS entries appended to *V (*N of them,
 * *CAP allocated), their paths in one malloc'd block added to *POOLS; an
 * ELF object into *O with its arrays malloc'd (mm_elf_object_free).  -1
 * with the reason in *WHY (static text) on anything malformed. */
int mm_mapents_parse(const unsigned char *p, size_t len, struct mm_mapent **v, size_t *n,
		     size_t *cap, char **pool, const char **why);
int mm_elf_parse(const unsigned char *p, size_t len, struct mm_elf_object *o,
		 const char **why);
void mm_elf_object_free(struct mm_elf_object *o);

#endif
