/*
 * Which path a piece goes to (internal.h, pd_pick_path): a path that is
 * active, has a session and room under max_inflight; the one the piece
 * prefers if it has one, else the device's selector (policy.h) over the
 * eligible ones; for a write where the target lets only the reservation
 * holder's nexus write, that path or none (devresv.c).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>

#include "path/internal.h"

static bool path_eligible(const struct path_device *dev, const struct path *p)
{
	return p->state == PATH_ACTIVE && p->sess && p->pol.inflight_cmds < dev->cfg.max_inflight;
}

static struct path *pick_any(struct path_device *dev, uint32_t bytes, int pref)
{
	struct path_pol_stats st[PATH_MAX_PATHS];
	bool elig[PATH_MAX_PATHS];
	bool any = false;
	int i;

	if (pref >= 0 && (unsigned int)pref < dev->npaths && path_eligible(dev, &dev->paths[pref]))
		return &dev->paths[pref];
	for (unsigned int k = 0; k < dev->npaths; k++) {
		st[k] = dev->paths[k].pol;
		elig[k] = path_eligible(dev, &dev->paths[k]);
		any |= elig[k];
	}
	if (!any)
		return NULL;
	i = path_policy_select(&dev->pol, st, dev->npaths, elig, bytes);
	return i < 0 ? NULL : &dev->paths[i];
}

/* For a write: the reservation holder's path where the target lets only
 * that nexus write (pd_resv_write_path), waiting while it is busy. */
static struct path *pick_write(struct path_device *dev, uint32_t bytes, int pref)
{
	int h = pd_resv_write_path(dev);

	if (h >= 0 && (unsigned int)h < dev->npaths) {
		struct path *hp = &dev->paths[h];

		if (path_eligible(dev, hp))
			return hp;
		if (hp->state == PATH_ACTIVE && hp->sess)
			return NULL;
		/* The holder's path is down: wait while a live one takes over. */
		if (pd_resv_move(dev))
			return NULL;
	}
	return pick_any(dev, bytes, pref);
}

struct path *pd_pick_path(struct path_device *dev, bool write, uint32_t bytes, int pref)
{
	return write ? pick_write(dev, bytes, pref) : pick_any(dev, bytes, pref);
}
