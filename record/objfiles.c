/*
 * record/objfiles.c - the ELF objects behind the watched code: which files
 * to read, each read once, each object stored once per build-id (issue 13).
 *
 * The files come from the mapping records (an executable mapping of a
 * file, mapnames.c) and from the maps snapshots record takes (so the
 * mappings -p finds already made count too).  A file is read through
 * /proc/PID/map_files while it is mapped, else by its path when that is
 * still the same inode: one unmapped and deleted before it could be read
 * is counted unreadable, and the report names its code MODULE+0xOFF.
 * Each device and inode is read once; a file whose build-id was stored
 * already (a copy of the same binary) gets only a FILE entry naming that
 * object.  Only the mapping-names thread calls these: no locks but the
 * writer's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "memmon.h"
#include "format/objects.h"
#include "record/record.h"

/* A file to read as ELF: where it is mapped now (map_files) and who it is. */
struct candidate {
	pid_t pid;
	uint64_t start, end;
	uint32_t maj, min;
	uint64_t ino;
	char *path;
};

struct seen_file { uint32_t maj, min; uint64_t ino; };
struct seen_build { uint8_t len; uint8_t id[MM_ELF_BUILD_ID_MAX]; uint32_t object; };

struct mm_objfiles {
	char *debug_dir;
	struct candidate *todo;
	size_t nr_todo, cap_todo;
	struct seen_file *files;
	size_t nr_files, cap_files;
	struct seen_build *builds;
	size_t nr_builds, cap_builds;
	uint32_t next_object;
};

struct mm_objfiles *mm_objfiles_new(const char *debug_dir)
{
	struct mm_objfiles *s = mm_calloc(1, sizeof(*s));

	s->debug_dir = debug_dir ? mm_strdup(debug_dir) : NULL;
	return s;
}

static bool file_seen(struct mm_objfiles *s, uint32_t maj, uint32_t min, uint64_t ino)
{
	for (size_t i = 0; i < s->nr_files; i++)
		if (s->files[i].ino == ino && s->files[i].maj == maj && s->files[i].min == min)
			return true;
	MM_GROW(s->files, s->nr_files, s->cap_files, 32);
	s->files[s->nr_files++] = (struct seen_file){ maj, min, ino };
	return false;
}

void mm_objfiles_want(struct mm_objfiles *s, pid_t pid, uint64_t start, uint64_t end,
		      uint32_t maj, uint32_t min, uint64_t ino, const char *path)
{
	if (!ino || path[0] != '/' || file_seen(s, maj, min, ino))
		return;
	MM_GROW(s->todo, s->nr_todo, s->cap_todo, 16);
	s->todo[s->nr_todo++] = (struct candidate){ pid, start, end, maj, min, ino,
						   mm_strdup(path) };
}

void mm_objfiles_want_maps(struct mm_objfiles *s, pid_t pid, const char *text)
{
	static const char del[] = " (deleted)";

	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		unsigned long long start, end, off, ino;
		unsigned maj, min;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off,
			   &maj, &min, &ino, &pos) >= 7 && perms[2] == 'x' && pos > 0 &&
		    line[pos] == '/') {
			size_t len = (nl ? (size_t)(nl - line) : strlen(line)) - (size_t)pos;
			char path[4096];

			if (len >= sizeof(path))
				len = sizeof(path) - 1;
			memcpy(path, line + pos, len);
			path[len] = '\0';
			if (len > strlen(del) && !strcmp(path + len - strlen(del), del))
				path[len - strlen(del)] = '\0';
			mm_objfiles_want(s, pid, start, end, maj, min, ino, path);
		}
		line = nl ? nl + 1 : NULL;
	}
}

static bool same_build(const struct seen_build *b, const struct mm_elf_object *o)
{
	return b->len && b->len == o->build_id_len && !memcmp(b->id, o->build_id, b->len);
}

/* Open the file behind C: the mapping itself while it lasts, else the
 * path if it is still the same inode. */
static int open_candidate(const struct candidate *c)
{
	char path[96];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)c->pid,
		 (unsigned long long)c->start, (unsigned long long)c->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_ino != c->ino)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Read candidate C; store its object (or name the one of its build). */
static int read_candidate(struct mm_objfiles *s, const struct candidate *c, struct mm_out *out,
			  mm_objfiles_entry_fn add, void *ctx, struct mm_mapnames_stats *st)
{
	struct mm_elf_object o;
	char *names = NULL;
	uint32_t id = 0;
	int fd = open_candidate(c), ret = 0;

	if (fd < 0) {
		st->unreadable++;
		return 0;
	}
	if (mm_elf_read(fd, c->path, s->debug_dir, &o, &names) < 0) {
		close(fd);
		return 0;                /* not ELF (a JIT's file...): no symbols */
	}
	close(fd);
	for (size_t i = 0; i < s->nr_builds && !id; i++)
		if (same_build(&s->builds[i], &o))
			id = s->builds[i].object;
	if (!id) {
		o.id = id = ++s->next_object;
		pthread_mutex_lock(&out->lock);
		ret = mm_writer_elf(out->w, &o);
		pthread_mutex_unlock(&out->lock);
		st->objects++;
		st->symbols += o.nr_syms;
		if (o.fp == MM_ELF_FP_NO)
			st->no_fp++;
		MM_GROW(s->builds, s->nr_builds, s->cap_builds, 16);
		s->builds[s->nr_builds] = (struct seen_build){ .len = o.build_id_len, .object = id };
		memcpy(s->builds[s->nr_builds++].id, o.build_id, o.build_id_len);
	}
	add(ctx, &(struct mm_mapent){ .kind = MM_MAPENT_FILE, .pid = (uint32_t)c->pid,
				      .maj = c->maj, .min = c->min, .ino = c->ino,
				      .object = id, .path = c->path });
	mm_elf_release(&o, names);
	return ret;
}

int mm_objfiles_read(struct mm_objfiles *s, struct mm_out *out, mm_objfiles_entry_fn add,
		     void *ctx, struct mm_mapnames_stats *st)
{
	int ret = 0;

	for (size_t i = 0; i < s->nr_todo; i++) {
		if (!ret)
			ret = read_candidate(s, &s->todo[i], out, add, ctx, st);
		free(s->todo[i].path);
	}
	s->nr_todo = 0;
	return ret;
}

void mm_objfiles_free(struct mm_objfiles *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_todo; i++)
		free(s->todo[i].path);
	free(s->todo);
	free(s->files);
	free(s->builds);
	free(s->debug_dir);
	free(s);
}
