/*
 * format/objwrite.c - the writer's side of MMAPS and ELF sections: the
 * entries and objects encoded (objects.c) and appended as sections,
 * compressed like the other big ones (writer.c).  objread.c is the
 * reader's side.
 */
#include <stdlib.h>

#include "memmon.h"
#include "objects.h"
#include "writer.h"

int mm_writer_mapents(struct mm_writer *w, const struct mm_mapent *e, size_t n)
{
	unsigned char *buf;
	size_t len;
	int ret;

	if (!n)
		return 0;
	if (mm_mapents_encode(e, n, &buf, &len) < 0)
		return -1;
	ret = mm_writer_section(w, MM_SECTION_MMAPS, NULL, 0, buf, len);
	free(buf);
	return ret;
}

int mm_writer_elf(struct mm_writer *w, const struct mm_elf_object *o)
{
	unsigned char *buf;
	size_t len;
	int ret;

	if (mm_elf_encode(o, &buf, &len) < 0)
		return -1;
	ret = mm_writer_section(w, MM_SECTION_ELF, NULL, 0, buf, len);
	free(buf);
	return ret;
}
