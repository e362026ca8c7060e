/*
 * tests/unit/test-objects.c - the MMAPS and ELF sections (format/objects.c)
 * and what the model makes of them (report/model/symbols.c, mapents.c):
 * encode/parse round trips, hostile payloads (cut at every byte, counts
 * that claim more than is there, strings without end), whole files through
 * the writer and the reader, and code named from an object mapped the way
 * a loader maps it (two segments sharing a file page, a function without
 * a size, an address no symbol holds).
 */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "harness.h"
#include "minifile.h"
#include "memmon.h"
#include "format/objects.h"
#include "format/reader.h"
#include "format/writer.h"
#include "report/model/addrspace.h"
#include "report/model/symbols.h"

static char tmpdir[64];

static const struct mm_elf_phdr phdrs[] = {
	/* the layout of a small PIE: rodata and data share file page 0x2000 */
	{ 1, 4, 0x0000, 0x0000, 0x0810, 0x0810, 0x1000 },
	{ 1, 5, 0x1000, 0x1000, 0x02dd, 0x02dd, 0x1000 },
	{ 1, 4, 0x2000, 0x2000, 0x0118, 0x0118, 0x1000 },
	{ 1, 6, 0x2dd0, 0x3dd0, 0x0290, 0x2298, 0x1000 },
	{ 0x6474e552, 4, 0x2dd0, 0x3dd0, 0x0230, 0x0230, 1 },
};
static const struct mm_elf_sym syms[] = {
	{ 0x1040, 0x22, 2, "_start" },
	{ 0x1100, 0x40, 2 | MM_ELF_SYM_NOFP, "leaf" },
	{ 0x1140, 0x80, 2, "fill_anon" },
	{ 0x1200, 0, 2, "asm_label" },       /* no size: up to the next */
	{ 0x1280, 0x10, 2, "tail" },
};

static struct mm_elf_object object(void)
{
	struct mm_elf_object o = {
		.id = 7, .flags = MM_ELF_F_SYMTAB, .fp = MM_ELF_FP_YES, .build_id_len = 20,
		.e_type = 3, .e_machine = 62, .path = "/opt/prog", .phdrs = phdrs,
		.nr_phdrs = sizeof(phdrs) / sizeof(phdrs[0]), .syms = syms,
		.nr_syms = sizeof(syms) / sizeof(syms[0]),
	};
	for (int i = 0; i < 20; i++)
		o.build_id[i] = (uint8_t)(0xa0 + i);
	return o;
}

TEST(elf_round_trip)
{
	struct mm_elf_object o = object(), back;
	unsigned char *buf;
	size_t len;
	const char *why = NULL;

	CHECK_EQ(mm_elf_encode(&o, &buf, &len), 0);
	CHECK_EQ(mm_elf_parse(buf, len, &back, &why), 0);
	CHECK_EQ(back.id, 7);
	CHECK_EQ(back.flags, MM_ELF_F_SYMTAB);
	CHECK_EQ(back.fp, MM_ELF_FP_YES);
	CHECK_EQ(back.build_id_len, 20);
	CHECK(!memcmp(back.build_id, o.build_id, 20));
	CHECK_STR(back.path, "/opt/prog");
	CHECK_EQ(back.nr_phdrs, o.nr_phdrs);
	CHECK(!memcmp(back.phdrs, phdrs, sizeof(phdrs)));
	CHECK_EQ(back.nr_syms, o.nr_syms);
	for (uint32_t i = 0; i < o.nr_syms; i++) {
		CHECK_EQ(back.syms[i].value, syms[i].value);
		CHECK_EQ(back.syms[i].size, syms[i].size);
		CHECK_EQ(back.syms[i].type, syms[i].type);
		CHECK_STR(back.syms[i].name, syms[i].name);
	}
	mm_elf_object_free(&back);
	free(buf);
}

/* Every prefix of a valid payload, and every count raised, is refused
 * (and never read past what was given: ASan watches). */
TEST(elf_hostile)
{
	struct mm_elf_object o = object(), back;
	unsigned char *buf, *cut;
	size_t len;
	const char *why;

	CHECK_EQ(mm_elf_encode(&o, &buf, &len), 0);
	for (size_t n = 0; n < len; n++) {
		cut = mm_malloc(n ? n : 1);
		memcpy(cut, buf, n);
		why = NULL;
		CHECK(mm_elf_parse(cut, n, &back, &why) < 0 && why);
		free(cut);
	}
	static const struct { size_t off; uint32_t v; } patch[] = {
		{ 48, 0xffffffff },   /* nr_syms: four billion claimed */
		{ 44, 257 },          /* nr_phdrs over the limit */
		{ 52, 100000 },       /* path_len */
		{ 56, 0xfffffff0 },   /* names_len */
		{ 0, 0 },             /* id 0 */
		{ 60, 1 },            /* reserved */
	};
	for (size_t i = 0; i < sizeof(patch) / sizeof(patch[0]); i++) {
		cut = mm_malloc(len);
		memcpy(cut, buf, len);
		memcpy(cut + patch[i].off, &patch[i].v, 4);
		why = NULL;
		CHECK(mm_elf_parse(cut, len, &back, &why) < 0 && why);
		free(cut);
	}
	/* flags, frame-pointer word, build-id length out of range */
	for (int k = 0; k < 3; k++) {
		cut = mm_malloc(len);
		memcpy(cut, buf, len);
		if (k == 0)
			cut[4] = 0x80;
		else if (k == 1)
			cut[6] = 9;
		else
			cut[7] = 33;
		CHECK(mm_elf_parse(cut, len, &back, &why) < 0);
		free(cut);
	}
	/* a name's NUL moved: one name too few */
	cut = mm_malloc(len);
	memcpy(cut, buf, len);
	for (size_t i = len - 2; i > len - 20; i--)
		if (!cut[i]) {
			cut[i] = 'x';
			break;
		}
	CHECK(mm_elf_parse(cut, len, &back, &why) < 0);
	free(cut);
	free(buf);
}

TEST(mapents_round_trip_and_hostile)
{
	struct mm_mapent in[3] = {
		{ .kind = MM_MAPENT_MAP, .pid = 10, .tid = 11, .prot = 5, .flags = 2, .maj = 254,
		  .min = 1, .ts = 99, .addr = 0x7f0000001000, .len = 0x3000, .pgoff = 0x1000,
		  .ino = 1234, .ino_generation = 5, .path = "/usr/lib/libz.so.1" },
		{ .kind = MM_MAPENT_FILE, .pid = 10, .maj = 254, .min = 1, .ino = 1234,
		  .object = 3, .path = "/usr/lib/libz.so.1" },
		{ .kind = MM_MAPENT_LOST, .len = 12, .path = "" },
	};
	struct mm_mapent *v = NULL;
	size_t n = 0, cap = 0;
	char *pool = NULL;
	unsigned char *buf;
	size_t len;
	const char *why = NULL;

	CHECK_EQ(mm_mapents_encode(in, 3, &buf, &len), 0);
	CHECK_EQ(mm_mapents_parse(buf, len, &v, &n, &cap, &pool, &why), 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(v[0].tid, 11);
	CHECK_EQ(v[0].addr, 0x7f0000001000ull);
	CHECK_EQ(v[0].pgoff, 0x1000);
	CHECK_STR(v[0].path, "/usr/lib/libz.so.1");
	CHECK_EQ(v[1].object, 3);
	CHECK_EQ(v[2].kind, MM_MAPENT_LOST);
	CHECK_EQ(v[2].len, 12);
	free(pool);
	for (size_t k = 1; k < len; k++) {     /* every cut but at an entry's end */
		size_t n2 = 0, cap2 = 0;
		struct mm_mapent *v2 = NULL;
		char *pool2 = NULL;
		int r = mm_mapents_parse(buf, k, &v2, &n2, &cap2, &pool2, &why);
		bool boundary = k == 80 + strlen(in[0].path) ||
				k == 2 * 80 + 2 * strlen(in[0].path);
		CHECK(boundary ? r == 0 : r < 0);
		free(v2);
		free(pool2);
	}
	buf[0] = 9;                          /* unknown kind */
	n = 0;
	CHECK(mm_mapents_parse(buf, len, &v, &n, &cap, &pool, &why) < 0);
	free(v);
	free(buf);
}

/* A file with MACHINE, MMAPS and ELF through the writer and the reader. */
static char *write_file(const char *name, bool twice)
{
	static char path[128];
	struct mm_elf_object o = object();
	struct mm_mapent e[2] = {
		{ .kind = MM_MAPENT_FILE, .pid = 50, .maj = 254, .min = 0, .ino = 777,
		  .object = 7, .path = "/opt/prog" },
		{ .kind = MM_MAPENT_MAP, .pid = 50, .tid = 50, .prot = 3, .flags = 1, .maj = 254,
		  .ino = 888, .addr = 0x7f0000000000, .len = 0x4000, .path = "/tmp/data" },
	};
	struct mm_writer *w;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	w = t_minimal_writer(path, "2", NULL);
	if (mm_writer_elf(w, &o) < 0 || (twice && mm_writer_elf(w, &o) < 0) ||
	    mm_writer_mapents(w, e, 2) < 0 || mm_writer_close(w) < 0)
		abort();
	return path;
}

TEST(file_round_trip)
{
	struct mm_file *f = mm_file_open(write_file("objects.dat", false));

	CHECK(f);
	CHECK_EQ(mm_file_nr_elfs(f), 1);
	CHECK_EQ(mm_file_elf(f, 0)->nr_syms, 5);
	CHECK_STR(mm_file_elf(f, 0)->syms[2].name, "fill_anon");
	CHECK_EQ(mm_file_nr_mapents(f), 2);
	CHECK_STR(mm_file_mapent(f, 1)->path, "/tmp/data");
	CHECK_EQ(mm_file_nr_cpus(f), 2);
	mm_file_close(f);
	/* two objects of one id: the FILE entries could not say which */
	f = mm_file_open(write_file("twice.dat", true));
	CHECK(!f);
	CHECK(strstr(mm_error_msg(), "corrupt section") && strstr(mm_error_msg(), "id repeated"));
}

/* The loader's way: the whole file mapped read-only, then each segment
 * at its place; data's relro part made read-only; bss anonymous after. */
static const char *maps =
	"555555554000-555555555000 r--p 00000000 fe:00 777 /opt/prog\n"
	"555555555000-555555556000 r-xp 00001000 fe:00 777 /opt/prog\n"
	"555555556000-555555557000 r--p 00002000 fe:00 777 /opt/prog\n"
	"555555557000-555555558000 r--p 00002000 fe:00 777 /opt/prog\n"
	"555555558000-555555559000 rw-p 00003000 fe:00 777 /opt/prog\n"
	"555555559000-55555555a000 rw-p 00000000 00:00 0 \n";

TEST(code_and_segments)
{
	struct mm_file *f = mm_file_open(write_file("code.dat", false));
	struct mm_as *as;
	struct mm_as_proc *p;
	struct mm_region_event by = { .ts = 1, .how = MM_HOW_START };
	struct mm_code c;
	char buf[256];

	CHECK(f);
	as = mm_as_from_file(f, MM_AS_NO_CUTOFF);
	p = mm_as_proc_get(as, 50);
	CHECK_EQ(mm_as_load_maps(as, p, maps, &by), 0);
	CHECK(mm_as_code(as, p, 0x555555555150, &c));
	mm_code_format(&c, 0x555555555150, buf, sizeof(buf));
	CHECK_STR(buf, "fill_anon+0x10 [prog]");
	CHECK(!c.no_fp);
	CHECK(mm_as_code(as, p, 0x555555555110, &c) && c.no_fp);   /* the leaf's own word */
	CHECK(mm_as_code(as, p, 0x555555555230, &c));
	CHECK_STR(c.func, "asm_label");                              /* sizeless */
	CHECK(mm_as_code(as, p, 0x555555555290, &c));
	mm_code_format(&c, 0x555555555290, buf, sizeof(buf));
	CHECK_STR(buf, "prog+0x1290");                               /* past tail's size */
	CHECK(!mm_as_code(as, p, 0x1000, &c));
	const char *want[] = { "rodata", "text", "rodata", "relro", "data", "bss" };
	for (size_t i = 0; i < p->nr_map; i++) {
		const char *seg = mm_as_region_segment(as, p, p->map[i], NULL);
		CHECK_STR(seg ? seg : "(none)", want[i]);
	}
	mm_as_free(as);
	mm_file_close(f);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/memmon-objects-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	t_run("elf_round_trip", elf_round_trip);
	t_run("elf_hostile", elf_hostile);
	t_run("mapents_round_trip_and_hostile", mapents_round_trip_and_hostile);
	t_run("file_round_trip", file_round_trip);
	t_run("code_and_segments", code_and_segments);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		return 1;
	return t_failed_total ? 1 : 0;
}
