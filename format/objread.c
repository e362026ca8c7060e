/*
 * format/objread.c - the reader's side of MMAPS and ELF sections: each
 * payload parsed once at open (objects.c checks the bytes), the results
 * kept for the life of the mm_file (reader.h: mm_file_mapent,
 * mm_file_elf).  An ELF object whose id repeats an earlier one is
 * corrupt: ids are how FILE entries name objects.
 */
#include <stdlib.h>

#include "memmon.h"
#include "file.h"
#include "objects.h"

static void keep(struct mm_file *f, char *buf)
{
	MM_GROW(f->obj_bufs, f->nr_obj_bufs, f->cap_obj_bufs, 16);
	f->obj_bufs[f->nr_obj_bufs++] = buf;
}

int mm_file_take_mapents(struct mm_file *f, char *buf, size_t len, const char **why)
{
	char *pool = NULL;
	int r = mm_mapents_parse((const unsigned char *)buf, len, &f->mapents, &f->nr_mapents,
				 &f->cap_mapents, &pool, why);

	free(buf);                      /* entries point into the pool only */
	if (pool)
		keep(f, pool);
	return r;
}

int mm_file_take_elf(struct mm_file *f, char *buf, size_t len, const char **why)
{
	struct mm_elf_object o;

	keep(f, buf);                   /* the symbol names point into it */
	if (f->nr_elfs == MM_MAX_ELF_OBJECTS)
		return *why = "more ELF objects than the format allows", -1;
	if (mm_elf_parse((const unsigned char *)buf, len, &o, why) < 0)
		return -1;
	for (size_t i = 0; i < f->nr_elfs; i++)
		if (f->elfs[i].id == o.id) {
			mm_elf_object_free(&o);
			return *why = "ELF object id repeated", -1;
		}
	MM_GROW(f->elfs, f->nr_elfs, f->cap_elfs, 16);
	f->elfs[f->nr_elfs++] = o;
	return 0;
}

void mm_file_free_objects(struct mm_file *f)
{
	for (size_t i = 0; i < f->nr_elfs; i++)
		mm_elf_object_free(&f->elfs[i]);
	for (size_t i = 0; i < f->nr_obj_bufs; i++)
		free(f->obj_bufs[i]);
	free(f->elfs);
	free(f->obj_bufs);
	free(f->mapents);
}

size_t mm_file_nr_mapents(const struct mm_file *f)
{
	return f->nr_mapents;
}

const struct mm_mapent *mm_file_mapent(const struct mm_file *f, size_t i)
{
	return i < f->nr_mapents ? &f->mapents[i] : NULL;
}

size_t mm_file_nr_elfs(const struct mm_file *f)
{
	return f->nr_elfs;
}

const struct mm_elf_object *mm_file_elf(const struct mm_file *f, size_t i)
{
	return i < f->nr_elfs ? &f->elfs[i] : NULL;
}
