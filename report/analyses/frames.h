/*
 * report/analyses/frames.h - record --frames: the physical frames the
 * watched tasks took and gave back, placed in their zones.
 *
 * Zones come from the zoneinfo snapshot record stores (MM_SNAP_ZONEINFO:
 * each zone's node, start_pfn and spanned pages; the START one, else the
 * END one): a frame is in the zone whose [start_pfn, start_pfn + spanned)
 * holds it, the first such in zoneinfo's order (zones of one node do not
 * overlap; nodes may interleave, rarely).  A frame no zone holds, or a
 * trace without zoneinfo, is in no zone ("?").
 *
 * Counts are of allocations (an order-9 THP is one) per zone and order,
 * taken (mm_page_alloc) and given back (mm_page_free), and what the taken
 * were for (enum mm_frame_use).  The frames a fault was served by are
 * also counted for the region the fault hit (the shared model's region
 * id then), and a later free of the same pfn is counted as that region's
 * giving back: frees carry only a pfn.  That memory is bounded: at most
 * MM_FRAMES_MAX_TRACKED frames are remembered; beyond, frees are not tied
 * to regions (untracked says how many allocations were not remembered).
 */
#ifndef MM_REPORT_ANALYSES_FRAMES_H
#define MM_REPORT_ANALYSES_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/event.h"
#include "report/analyses/context.h"

struct mm_file;
struct mm_as;

#define MM_FRAMES_ORDERS 16          /* orders kept; larger ones count as 15 */
#define MM_FRAMES_MAX_TRACKED (1u << 22)

/* The zones of a trace (from its zoneinfo snapshot). */
struct mm_zones {
	struct mm_ctx_zone z[MM_CTX_MAX_ZONES];
	size_t n;
};
void mm_zones_from_file(struct mm_zones *z, struct mm_file *f);
/* The zone that holds PFN, or NULL. */
const struct mm_ctx_zone *mm_zones_find(const struct mm_zones *z, uint64_t pfn);

struct mm_frames_count {
	uint64_t taken[MM_FRAMES_ORDERS], given[MM_FRAMES_ORDERS];
	uint64_t taken_pages, given_pages;
	uint64_t use[MM_FRAME_USE_NR];   /* taken, by what for */
};

/* A region's frames: those that served its faults, and their frees. */
struct mm_frames_region {
	uint32_t tgid, region_id;
	uint64_t taken, given, taken_pages, given_pages;
	uint64_t zone_taken[MM_CTX_MAX_ZONES + 1];   /* by zone; last: none */
};

struct mm_frames {
	struct mm_zones zones;
	unsigned pmd_order;
	bool any;                        /* frame events came */
	/* per zone (index in zones.z), the last one: frames in no zone */
	struct mm_frames_count zone[MM_CTX_MAX_ZONES + 1];
	struct mm_frames_count total;
	struct mm_frames_region *regions;
	size_t nr_regions, cap_regions;
	uint64_t untracked;
	struct mm_frames_map {       /* u64 -> index in regions (frames.c) */
		uint64_t *keys;
		uint32_t *vals;      /* index + 1; 0 empty, UINT32_MAX removed */
		size_t cap, used, removed;
	} by_pfn, by_region;         /* a fault's frame's pfn; (tgid, region id) */
};

/* Zones from F, the PMD order from its page size; AS (may be NULL: no
 * regions) is the shared model, read at each fault's frame. */
void mm_frames_init(struct mm_frames *fr, struct mm_file *f);
/* Count EV (frames and faults; the rest is ignored): the caller filters
 * by --pid. */
void mm_frames_event(struct mm_frames *fr, struct mm_as *as, const struct mm_event *ev);
/* The region's row, or NULL when no frame served its faults. */
const struct mm_frames_region *mm_frames_region(const struct mm_frames *fr, uint32_t tgid,
						uint32_t region_id);
/* Index in fr->zone of PFN's zone (fr->zones.n: none). */
size_t mm_frames_zone_index(const struct mm_frames *fr, uint64_t pfn);
void mm_frames_free(struct mm_frames *fr);

#endif
