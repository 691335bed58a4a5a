/*
 * The ghost-write fence of one path. A write sent on a session that then
 * died may still sit queued at the target for that session and land
 * later, over newer data: the "ghost write". Its re-issue goes out at
 * once on another path, but its completion is held (request.c) until the
 * path is fenced: until no session of the epochs it was sent in can land
 * anything any more. Here: which epochs are tainted and which are fenced,
 * and the ways a fence comes to hold, best first: a fence session that
 * logs in with the path's ISID through a healthy path of the same portal
 * group and so reinstates - ends - the dead session (RFC 7143 6.3.5), the
 * path's own relogin (which does the same, reported from path.c), and the
 * time fence as the last resort. device.h says why each one holds; the
 * path's life cycle is in path.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "path/internal.h"
#include "util/log.h"

bool path_fenced(const struct path *p, uint32_t epoch)
{
	return epoch <= p->fenced_epoch;
}

bool path_fence_pending(const struct path *p)
{
	return p->taint_epoch > p->fenced_epoch;
}

/* Fence holds for every epoch up to e: release held writes. via: the path
 * whose portal a fence session used, NULL for p's own login or time. */
void path_fence_done(struct path *p, uint32_t e, const char *how, const struct path *via)
{
	if (e <= p->fenced_epoch)
		return;
	if (path_fence_pending(p)) {
		log_info("%s: old session fenced (%s)%s%s%s: held writes may complete", p->name,
			 how, via ? " through " : "", via ? via->name : "", via ? "'s portal" : "");
		/* For status: which fence held, how long after the death. */
		snprintf(p->last_fence, sizeof(p->last_fence), "%s%s%s", how, via ? " via " : "",
			 via ? via->name : "");
		p->last_fence_ms = (pd_now(p->dev) - p->died_at) * 1000.0;
	}
	p->fenced_epoch = e;
	if (!path_fence_pending(p)) {
		p->fence_tried = 0;
		p->fence_retry_at = 0;
	}
	if (p->state == PATH_FENCED && !path_fence_pending(p))
		path_set_state(p, PATH_FAILED, "fenced by %s", how);
	pd_fence_released(p->dev);
}

void path_taint(struct path *p, uint32_t epoch)
{
	if (epoch <= p->fenced_epoch)
		return;
	if (epoch > p->taint_epoch)
		p->taint_epoch = epoch;
	/* The tasks of a session complete around its death: either it is
	 * still the current session (the deadline is set when it dies) or it
	 * is the one that died last. */
	if (p->dead_epoch == epoch) {
		p->fence_deadline =
			p->died_at + p->dead_retain_s + p->dev->cfg.fence_grace_ms / 1000.0;
		if (p->state == PATH_FAILED)
			path_set_state(p, PATH_FENCED,
				       "writes outstanding on the dead session: fence");
		path_arm_timer(p);
	}
}

/* ---- fence sessions (device.h) ---- */

bool path_fence_logging_in(const struct path *p)
{
	/* A reservation fence too: p's own login would register the key it removes. */
	return (p->fence_sess && !p->fence_ready) || p->resv_fencing;
}

/* A fence session may be started (path_fence_try) now. */
bool path_fence_can_try(const struct path *p)
{
	return path_fence_pending(p) && !p->sess && !p->fence_sess && !p->resv_fencing &&
	       p->dead_epoch >= p->taint_epoch && p->dev->state == DEV_RUNNING && p->tpgt_known;
}

/* When a fence session stops being waited for: its login (the session's
 * own login timeout should end it first) or its logout. */
double path_fence_sess_due(const struct path *p)
{
	const struct path_device *dev = p->dev;
	uint32_t ms = p->fence_ready ? dev->cfg.stop_timeout_ms : dev->cfg.login_timeout_ms + 1000;

	return p->fence_since + ms / 1000.0;
}

/* s (p's fence session) is dead or being dropped: forget it, free it later. */
static void fence_sess_gone(struct path *p, struct sess *s)
{
	struct path_device *dev = p->dev;

	if (p->fence_sess != s)
		return;
	if (!p->fence_ready) {
		/* The login failed: this portal cannot fence now, try the next. */
		p->fence_tried |= 1u << p->fence_via;
	}
	p->fence_sess = NULL;
	p->fence_ready = false;
	/* Only the previous one may be freed here: s is inside its callback. */
	if (p->fence_parked && p->fence_parked != s)
		path_ops_of(p)->free(p->fence_parked);
	p->fence_parked = s;
	pd_kick(dev);
}

void path_fence_sess_close(struct path *p)
{
	struct sess *s = p->fence_sess;

	if (!s)
		return;
	path_ops_of(p)->close(s);
	fence_sess_gone(p, s); /* if the close did not report the death */
}

static void fence_on_state(struct sess *s, enum sess_state st, enum sess_death why, const char *msg,
			   void *opaque)
{
	struct path *p = opaque;
	struct path_device *dev = p->dev;
	const struct path *via;
	const struct iscsi_params *neg;

	if (s != p->fence_sess)
		return;
	via = &dev->paths[p->fence_via];
	switch (st) {
	case SESS_READY:
		p->fence_ready = true;
		p->fence_since = pd_now(dev);
		neg = path_ops_of(p)->negotiated ? path_ops_of(p)->negotiated(s) : NULL;
		if (neg && neg->tpgt != p->tpgt) {
			/* Another portal group is another I_T nexus: nothing was
			 * reinstated (RFC 7143 4.4.1, 6.3.5). */
			log_warn("%s: fence login through %s's portal reached portal group %u, "
				 "not %u: not a fence",
				 p->name, via->name, neg->tpgt, p->tpgt);
			p->fence_tried |= 1u << p->fence_via;
		} else {
			path_fence_done(p, p->fence_for, "reinstatement login", via);
		}
		/* Held writes may have completed, and a done callback may have
		 * stopped the device and closed s already. */
		if (p->fence_sess != s)
			return;
		/* Nothing to do on it: end it in order, at once. */
		if (path_ops_of(p)->logout(s) < 0)
			path_fence_sess_close(p);
		path_arm_timer(p);
		break;
	case SESS_DEAD:
		if (!p->fence_ready)
			log_warn("%s: fence login through %s's portal failed (%s)%s%s", p->name,
				 via->name,
				 path_ops_of(p)->death_name ? path_ops_of(p)->death_name(why) : "?",
				 msg && *msg ? ": " : "", msg ? msg : "");
		fence_sess_gone(p, s);
		path_arm_timer(p);
		break;
	default:
		break;
	}
}

static void fence_on_event(struct sess *s, const struct sess_event *ev, void *opaque)
{
	/* A fence session carries no I/O: its only job is its login. */
}

static const struct sess_callbacks fence_sess_cb = {
	.on_state = fence_on_state,
	.on_event = fence_on_event,
};

/*
 * p's dead session may still hold writes at the target: if another path
 * is logged in to the same portal group, log in p's ISID through it.
 * Tried one path after the other; with none left, the time fence stays.
 */
void path_fence_try(struct path *p, double now)
{
	struct path_device *dev = p->dev;
	struct path *via = NULL;
	struct sess_config sc;
	bool other_group = false;
	struct sess *s;
	int r;

	if (!path_fence_can_try(p))
		return;
	if (p->fence_retry_at && now >= p->fence_retry_at) {
		p->fence_tried = 0;
		p->fence_retry_at = 0;
	}
	for (unsigned int k = 1; k < dev->npaths; k++) {
		struct path *c = &dev->paths[(p->idx + k) % dev->npaths];

		if (!c->sess || (c->state != PATH_ACTIVE && c->state != PATH_STANDBY) ||
		    p->fence_tried & (1u << c->idx))
			continue;
		if (!c->tpgt_known || c->tpgt != p->tpgt) {
			other_group = true;
			continue;
		}
		via = c;
		break;
	}
	if (!via) {
		/* No login can reinstate it: the reservation can still fence it. */
		if (pd_resv_fence(dev, p, now))
			return;
		if (other_group && !p->fence_tpgt_warned) {
			p->fence_tpgt_warned = true;
			log_warn("%s: no healthy path to portal group %u: the dead session can "
				 "only be fenced by time, which is unsound if the target does not "
				 "notice the lost connection (device.h)",
				 p->name, p->tpgt);
		}
		if (p->fence_tried && !p->fence_retry_at)
			p->fence_retry_at = now + dev->cfg.reconnect_max_ms / 1000.0;
		return;
	}
	p->fence_seq++;
	snprintf(p->fence_name, sizeof(p->fence_name), "%s fence%u via %s", p->name, p->fence_seq,
		 via->name);
	path_sess_config(p, via, p->fence_name, &sc);
	log_info("%s: fencing the dead session (epoch %u) by a login with its ISID through %s's "
		 "portal",
		 p->name, p->dead_epoch, via->name);
	s = path_ops_of(p)->new (dev->loop, &sc, &fence_sess_cb, p);
	if (!s) {
		log_warn("%s: cannot create a fence session: %s", p->name, strerror(errno));
		p->fence_tried |= 1u << via->idx;
		return;
	}
	p->fence_sess = s;
	p->fence_ready = false;
	p->fence_via = via->idx;
	p->fence_for = p->dead_epoch;
	p->fence_since = now;
	r = path_ops_of(p)->start(s);
	if (r < 0 && p->fence_sess == s) {
		log_warn("%s: fence session start: %s", p->name, strerror(-r));
		path_fence_sess_close(p);
	}
}
