/*
 * report/views/region-views.c - the three region views as cmd-report runs
 * them (--regions, --maps-at TIME, --check-maps): their state, which model
 * each reads (the shared one; --maps-at T a model of its own frozen at T),
 * --regions --frames' tally of frames, and the printers of
 * regions-view.c and maps-view.c at finish().
 */
#include <stdlib.h>

#include "memmon.h"
#include "report/analyses/frames.h"
#include "report/model/addrspace.h"
#include "report/views/regions-view.h"
#include "report/views/view.h"


enum which { V_REGIONS, V_MAPS_AT, V_CHECK };

struct view_state {
	enum which which;
	struct mm_as *as;            /* the shared model, or OWN */
	struct mm_as *own;           /* --maps-at T: this view's frozen model */
	struct mm_regions_opts o;
	struct mm_frames *frames;    /* --regions --frames */
	bool bad_sort;
};

/* --maps-at T keeps a model of its own, frozen at T; the end is the
 * shared one. */
static bool maps_at_uses_model(const struct mm_report_opts *o)
{
	return o->at_ns == 0;
}

static struct view_state *view_create(struct mm_file *f, const struct mm_report_opts *ro,
				      enum which which)
{
	struct view_state *s = mm_calloc(1, sizeof(*s));
	s->which = which;
	s->o.output = ro->output;
	s->o.pids = ro->pids;
	s->o.nr_pids = ro->nr_pids;
	s->o.at_end = which != V_MAPS_AT || ro->at_ns == 0;
	s->o.at_ns = ro->at_ns;
	s->o.report = ro;
	if (which == V_REGIONS)
		s->o.window = ro->window;
	if (which == V_REGIONS && ro->frames) {
		s->frames = mm_malloc(sizeof(*s->frames));
		mm_frames_init(s->frames, f);
		s->o.frames = s->frames;
	}
	if (which == V_REGIONS && mm_regions_parse_sort(ro->sort, &s->o.sort) < 0)
		s->bad_sort = true;     /* reported by finish(): create cannot fail */
	if (s->o.at_end)
		s->as = ro->as;
	else
		s->as = s->own = mm_as_from_file(f, ro->at_ns);
	return s;
}

static void *create_regions(struct mm_file *f, const struct mm_report_opts *o)
{
	return view_create(f, o, V_REGIONS);
}

static void *create_maps_at(struct mm_file *f, const struct mm_report_opts *o)
{
	return view_create(f, o, V_MAPS_AT);
}

static void *create_check(struct mm_file *f, const struct mm_report_opts *o)
{
	return view_create(f, o, V_CHECK);
}

static void view_event(void *state, const struct mm_event *ev)
{
	struct view_state *s = state;
	if (s->own)
		mm_as_event(s->own, ev);
	if (s->frames && mm_event_wanted(s->o.pids, s->o.nr_pids, ev))
		mm_frames_event(s->frames, s->as, ev);
}

static int view_finish(void *state, FILE *out)
{
	struct view_state *s = state;
	if (s->bad_sort)
		return mm_error("unknown sort key (size, faults or addr)");
	if (s->own)
		mm_as_finish(s->own);
	if (s->which == V_REGIONS)
		return mm_regions_print(s->as, &s->o, out);
	if (s->which == V_MAPS_AT)
		return mm_maps_at_print(s->as, &s->o, out);
	return mm_check_maps_print(s->as, &s->o, out, NULL);
}

static void view_destroy(void *state)
{
	struct view_state *s = state;
	if (!s)
		return;
	mm_as_free(s->own);
	if (s->frames)
		mm_frames_free(s->frames);
	free(s->frames);
	free(s);
}

/* --maps-at T needs the events for its own model, --regions --frames
 * for the frames. */
const struct mm_view mm_view_regions = {
	.name = "regions", .uses_model = mm_view_uses_model, .create = create_regions,
	.event = view_event, .finish = view_finish, .destroy = view_destroy,
};
const struct mm_view mm_view_maps_at = {
	.name = "maps-at", .uses_model = maps_at_uses_model, .create = create_maps_at,
	.event = view_event, .finish = view_finish, .destroy = view_destroy,
};
const struct mm_view mm_view_check_maps = {
	.name = "check-maps", .uses_model = mm_view_uses_model, .create = create_check,
	.finish = view_finish, .destroy = view_destroy,
};
