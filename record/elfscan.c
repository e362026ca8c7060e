/*
 * record/elfscan.c - walking an ELF file with libelf: its notes (build-id,
 * SystemTap SDT probes) and its function symbols, one loop each for
 * elf.c and elfsyms.c (elf-int.h); and how every one of them opens a
 * file a command line names.  The file may be anything a process
 * maps: every size and offset is libelf's, checked by it, and a note or
 * symbol it cannot give is passed over.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "memmon.h"
#include "record/elf-int.h"

int mm_elf_open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		fd = -1;
	}
	return fd;
}

bool mm_elf_lib_ready(void)
{
	static int state;         /* 0 unknown, 1 ok, -1 failed */

	if (!state)
		state = elf_version(EV_CURRENT) != EV_NONE ? 1 : -1;
	if (state < 0)
		mm_error("libelf: %s", elf_errmsg(-1));
	return state > 0;
}

bool mm_elf_notes_of(Elf_Data *d, mm_elf_note_fn fn, void *ctx)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0)
		if (fn(ctx, &nh, (const char *)d->d_buf + name_off,
		       (const unsigned char *)d->d_buf + desc_off))
			return true;
	return false;
}

bool mm_elf_each_note(Elf *e, mm_elf_note_fn fn, void *ctx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE &&
		    (d = elf_getdata(scn, NULL)) && mm_elf_notes_of(d, fn, ctx))
			return true;
	}
	return false;
}

size_t mm_elf_each_func(Elf *e, uint32_t type, mm_elf_func_fn fn, void *ctx)
{
	Elf_Scn *scn = NULL;
	size_t found = 0;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0, n = sh.sh_size / sh.sh_entsize; i < n; i++) {
			GElf_Sym sym;
			const char *name;
			uint8_t t;
			if (!gelf_getsym(d, (int)i, &sym))
				continue;
			t = GELF_ST_TYPE(sym.st_info);
			if ((t != STT_FUNC && t != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
			    !sym.st_value || !(name = elf_strptr(e, sh.sh_link, sym.st_name)) ||
			    !*name)
				continue;
			fn(ctx, &sym, name);
			found++;
		}
	}
	return found;
}
