/*
 * record/elf-int.h - the walks over an ELF file that elf.c (the objects a
 * report names code from) and elfsyms.c (what --malloc's uprobes need)
 * share, in elfscan.c: one loop over notes, one over function symbols;
 * and elffp.c's frame-pointer verdicts.
 */
#ifndef MM_RECORD_ELF_INT_H
#define MM_RECORD_ELF_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <gelf.h>
#include <libelf.h>

/* libelf set up (once); false, with mm_error(), when it cannot be. */
bool mm_elf_lib_ready(void);

/* PATH opened for reading when it is a regular file, else -1 (errno
 * EINVAL for another kind): a command line may name anything, and
 * opening a FIFO would wait for a writer. */
int mm_elf_open_regular(const char *path);

/* A note: its header, owner name (n_namesz bytes) and descriptor
 * (n_descsz bytes, inside the data).  Return true to stop the walk. */
typedef bool (*mm_elf_note_fn)(void *ctx, const GElf_Nhdr *nh, const char *name,
			       const unsigned char *desc);
/* Every note of every SHT_NOTE section of E, or of the note data D (a
 * PT_NOTE segment's); true when FN stopped the walk. */
bool mm_elf_each_note(Elf *e, mm_elf_note_fn fn, void *ctx);
bool mm_elf_notes_of(Elf_Data *d, mm_elf_note_fn fn, void *ctx);

/* A defined function symbol (STT_FUNC or STT_GNU_IFUNC, value not 0) with
 * a name, of a symbol table of type TYPE (SHT_SYMTAB, SHT_DYNSYM). */
typedef void (*mm_elf_func_fn)(void *ctx, const GElf_Sym *sym, const char *name);
/* Every such symbol of every section of TYPE in E; how many. */
size_t mm_elf_each_func(Elf *e, uint32_t type, mm_elf_func_fn fn, void *ctx);

/* elffp.c: mark each of O's function symbols that sets up no frame
 * pointer, and say whether the object as a whole keeps them (O->fp). */
struct mm_elf_object;
void mm_elf_frame_pointers(Elf *e, struct mm_elf_object *o);
/* elf.c: E's program headers into O->phdrs (malloc'd); -1 when unreadable. */
int mm_elf_read_phdrs(Elf *e, struct mm_elf_object *o);

#endif
