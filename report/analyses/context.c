/*
 * report/analyses/context.c - parsers for the /proc text that memory-context
 * snapshots hold: status (Vm* lines), meminfo, zoneinfo, buddyinfo.
 *
 * The text comes from a trace file, so it may be cut short, edited or
 * from another kernel: every line is copied into a bounded buffer before
 * it is looked at, names are truncated to their fields, a number that does
 * not parse leaves the value unknown, and tables stop at their size.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memmon.h"
#include "format/reader.h"
#include "report/analyses/context.h"

const char *const mm_ctx_vm_names[MM_VM_NR] = {
	"VmPeak", "VmSize", "VmLck", "VmHWM", "VmRSS", "VmData", "VmStk", "VmExe",
	"VmLib", "VmPTE", "VmSwap",
};

const char *const mm_ctx_lru_names[MM_LRU_NR] = {
	"active_anon", "inactive_anon", "active_file", "inactive_file", "unevictable", "mlock",
};

/* Copy the next line of *P (without its newline, cut at LEN-1) into BUF;
 * false at the end of the text. */
static bool next_line(const char **p, char *buf, size_t len)
{
	if (!*p || !**p)
		return false;
	const char *nl = strchr(*p, '\n');
	size_t n = nl ? (size_t)(nl - *p) : strlen(*p);
	size_t c = n < len - 1 ? n : len - 1;
	memcpy(buf, *p, c);
	buf[c] = 0;
	*p += n + (nl ? 1 : 0);
	return true;
}

/* A non-negative decimal at *S (leading blanks skipped); MM_CTX_NONE when
 * there is none or it overflows.  *S moves past it. */
static uint64_t number(const char **s)
{
	const char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return MM_CTX_NONE;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	*s = end;
	return errno || v >= MM_CTX_NONE ? MM_CTX_NONE : v;
}

/* "Name:   123 kB" -> name, value; false when the line is not like that. */
static bool key_value(const char *line, char *name, size_t nlen, uint64_t *v)
{
	const char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return false;
	size_t n = (size_t)(colon - line) < nlen - 1 ? (size_t)(colon - line) : nlen - 1;
	memcpy(name, line, n);
	name[n] = 0;
	const char *p = colon + 1;
	*v = number(&p);
	return *v != MM_CTX_NONE;
}

unsigned mm_ctx_parse_status(const char *text, uint64_t vm[MM_VM_NR])
{
	char line[256], name[32];
	uint64_t v;
	unsigned found = 0;
	for (int i = 0; i < MM_VM_NR; i++)
		vm[i] = MM_CTX_NONE;
	while (next_line(&text, line, sizeof(line))) {
		if (!key_value(line, name, sizeof(name), &v))
			continue;
		for (int i = 0; i < MM_VM_NR; i++)
			if (!strcmp(name, mm_ctx_vm_names[i]) && vm[i] == MM_CTX_NONE) {
				vm[i] = v;
				found++;
			}
	}
	return found;
}

size_t mm_ctx_parse_meminfo(const char *text, struct mm_ctx_kv *out, size_t max)
{
	char line[256];
	size_t n = 0;
	while (n < max && next_line(&text, line, sizeof(line)))
		if (key_value(line, out[n].name, sizeof(out[n].name), &out[n].value))
			n++;
	return n;
}

/* Copy SRC into DST[LEN], truncated (zone names are short; a long one
 * is someone else's text). */
static void copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* "Node 0, zone   Normal" -> node, name. */
static bool zone_header(const char *line, int *node, char *name, size_t len)
{
	int nd, off = 0;
	char z[64];
	if (sscanf(line, "Node %d, zone %63s%n", &nd, z, &off) != 2 || nd < 0)
		return false;
	*node = nd;
	copy_name(name, len, z);
	return true;
}

/* "nr_zone_active_anon 401" ...: a zone's LRU count.  Since 4.8 the
 * zone's own are nr_zone_*, and the node's (nr_active_anon, under "per-
 * node stats" in the node's first zone) are not the zone's; before, a
 * zone had nr_active_anon ... of its own.  NODE_STATS: inside that block. */
static void zone_lru(struct mm_ctx_zone *z, const char *line, bool node_stats)
{
	bool zone_prefix = !strncmp(line, "nr_zone_", 8);
	const char *key = zone_prefix ? line + 8 : !strncmp(line, "nr_", 3) ? line + 3 : NULL;

	if (!key || (!zone_prefix && node_stats))
		return;
	for (int i = 0; i < MM_LRU_NR; i++) {
		size_t kl = strlen(mm_ctx_lru_names[i]);
		if (strncmp(key, mm_ctx_lru_names[i], kl) || (key[kl] != ' ' && key[kl] != '\t'))
			continue;
		const char *p = key + kl;
		/* the nr_zone_ form wins over an old kernel's plain one */
		if (z->lru[i] == MM_CTX_NONE || zone_prefix)
			z->lru[i] = number(&p);
	}
}

/* "  pages free 3840", "spanned 4095" ...: set the field LINE names. */
static void zone_field(struct mm_ctx_zone *z, const char *line, bool node_stats)
{
	static const struct { const char *key; size_t off; } f[] = {
		{ "pages free", offsetof(struct mm_ctx_zone, free) },
		{ "spanned", offsetof(struct mm_ctx_zone, spanned) },
		{ "present", offsetof(struct mm_ctx_zone, present) },
		{ "managed", offsetof(struct mm_ctx_zone, managed) },
		{ "start_pfn:", offsetof(struct mm_ctx_zone, start_pfn) },
	};
	while (*line == ' ' || *line == '\t')
		line++;
	zone_lru(z, line, node_stats);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t kl = strlen(f[i].key);
		if (strncmp(line, f[i].key, kl) || (line[kl] != ' ' && line[kl] != '\t'))
			continue;
		const char *p = line + kl;
		uint64_t *dst = (uint64_t *)((char *)z + f[i].off);
		if (*dst == MM_CTX_NONE)
			*dst = number(&p);
	}
}

size_t mm_ctx_parse_zoneinfo(const char *text, struct mm_ctx_zone *out, size_t max)
{
	char line[256];
	size_t n = 0;
	struct mm_ctx_zone *cur = NULL;
	bool node_stats = false;
	while (next_line(&text, line, sizeof(line))) {
		int node;
		char name[16];
		if (zone_header(line, &node, name, sizeof(name))) {
			cur = n < max ? &out[n++] : NULL;
			node_stats = false;
			if (cur) {
				cur->node = node;
				memcpy(cur->name, name, sizeof(cur->name));
				cur->free = cur->spanned = cur->present = cur->managed = MM_CTX_NONE;
				for (int i = 0; i < MM_LRU_NR; i++)
					cur->lru[i] = MM_CTX_NONE;
				cur->start_pfn = MM_CTX_NONE;
			}
		} else if (cur) {
			/* "  per-node stats" opens the node's block, the next
			 * two-space line ("  pages free") closes it */
			if (line[0] == ' ' && line[1] == ' ' && line[2] != ' ')
				node_stats = !strncmp(line + 2, "per-node stats", 14);
			zone_field(cur, line, node_stats);
		}
	}
	return n;
}

size_t mm_ctx_parse_buddyinfo(const char *text, struct mm_ctx_buddy *out, size_t max)
{
	char line[512];
	size_t n = 0;
	while (n < max && next_line(&text, line, sizeof(line))) {
		struct mm_ctx_buddy *b = &out[n];
		int node, off = 0;
		char z[64];
		if (sscanf(line, "Node %d, zone %63s%n", &node, z, &off) != 2 || node < 0)
			continue;
		b->node = node;
		copy_name(b->zone, sizeof(b->zone), z);
		b->nr_orders = 0;
		const char *p = line + off;
		uint64_t v;
		while (b->nr_orders < MM_CTX_ORDERS && (v = number(&p)) != MM_CTX_NONE)
			b->count[b->nr_orders++] = v;
		n++;
	}
	return n;
}

/* ---- the context of one trace, from its snapshots ---- */

static struct mm_ctx_proc *proc_get(struct mm_context *v, int32_t pid)
{
	for (size_t i = 0; i < v->nr_procs; i++)
		if (v->procs[i].pid == pid)
			return &v->procs[i];
	v->procs = mm_realloc(v->procs, (v->nr_procs + 1) * sizeof(*v->procs));
	struct mm_ctx_proc *p = &v->procs[v->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

/* START and EXEC keep the first snapshot, END the last. */
void mm_context_add_snapshot(struct mm_context *v, const struct mm_snapshot *s)
{
	int side = s->phase == MM_PHASE_END ? MM_CTX_END : MM_CTX_START;
	if (s->kind == MM_SNAP_STATUS) {
		struct mm_ctx_proc *p = proc_get(v, (int32_t)s->pid);
		unsigned ph = s->phase < MM_CTX_PHASES ? s->phase : MM_PHASE_END;
		if (!p->have[ph] || ph == MM_PHASE_END)
			p->have[ph] = mm_ctx_parse_status(s->text, p->vm[ph]) > 0;
	} else if (s->kind == MM_SNAP_MEMINFO &&
		   (side == MM_CTX_END || !v->have_mem[MM_CTX_START])) {
		v->nm[side] = mm_ctx_parse_meminfo(s->text, v->mem[side], MM_CTX_MAX_MEMINFO);
		v->have_mem[side] = true;
	} else if (s->kind == MM_SNAP_ZONEINFO &&
		   (side == MM_CTX_END || !v->have_zone[MM_CTX_START])) {
		v->nz[side] = mm_ctx_parse_zoneinfo(s->text, v->zone[side], MM_CTX_MAX_ZONES);
		v->have_zone[side] = true;
	} else if (s->kind == MM_SNAP_BUDDYINFO &&
		   (side == MM_CTX_END || !v->have_buddy[MM_CTX_START])) {
		v->nb[side] = mm_ctx_parse_buddyinfo(s->text, v->buddy[side], MM_CTX_MAX_ZONES);
		v->have_buddy[side] = true;
	}
}

const struct mm_ctx_zone *mm_ctx_zone_match(const struct mm_context *v, int side,
					    const struct mm_ctx_zone *z)
{
	for (size_t i = 0; i < v->nz[side]; i++)
		if (v->zone[side][i].node == z->node && !strcmp(v->zone[side][i].name, z->name))
			return &v->zone[side][i];
	return NULL;
}

const struct mm_ctx_buddy *mm_ctx_buddy_match(const struct mm_context *v, int side,
					      const struct mm_ctx_buddy *b)
{
	for (size_t i = 0; i < v->nb[side]; i++)
		if (v->buddy[side][i].node == b->node && !strcmp(v->buddy[side][i].zone, b->zone))
			return &v->buddy[side][i];
	return NULL;
}

uint64_t mm_ctx_mem_value(const struct mm_context *v, int side, const char *name)
{
	for (size_t i = 0; i < v->nm[side]; i++)
		if (!strcmp(v->mem[side][i].name, name))
			return v->mem[side][i].value;
	return MM_CTX_NONE;
}

int mm_ctx_base_side(const bool have[2])
{
	return have[MM_CTX_START] ? MM_CTX_START : have[MM_CTX_END] ? MM_CTX_END : -1;
}

void mm_context_free(struct mm_context *c)
{
	free(c->procs);
	c->procs = NULL;
	c->nr_procs = 0;
}
