/*
 * Exclusive access of a path_device: when each path registers, who holds
 * the LUN, what a RESERVATION CONFLICT means, and detach. The per-nexus
 * command sequences are in reserve.c; device.h (pr_key) states the policy.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "path/internal.h"
#include "scsi/sam.h"
#include "util/log.h"

static void pd_resv_notify(struct path_device *dev, const struct path_resv_event *ev)
{
	if (dev->cfg.on_reservation)
		dev->cfg.on_reservation(dev, ev, dev->cfg.opaque);
}

static uint64_t path_key(const struct path *p)
{
	/* The low byte is the path index (path0 = 00): each nexus its own key. */
	return p->dev->cfg.pr_key | (uint64_t)(p->idx & 0xff);
}

static void pd_resv_taken(struct path_device *dev, struct path *p, uint64_t key, uint8_t type,
			  bool at_runtime)
{
	struct path_resv_event ev = {
		.kind = PATH_RESV_EV_TAKEN,
		.path = p->name,
		.key = key,
		.type = type,
		.at_runtime = at_runtime,
	};
	bool news = dev->resv_state != PD_RESV_TAKEN || dev->resv_holder != key;

	dev->resv_state = PD_RESV_TAKEN;
	dev->resv_holder = key;
	dev->resv_type = type;
	if (!news)
		return;
	if (key)
		log_err("%s: LUN taken by another host: reservation key 0x%016" PRIx64 " (%s)%s",
			p->name, key, scsi_pr_type_name(type),
			at_runtime ? ": writes fail with EIO, reads go on" : "");
	else
		log_err("%s: LUN taken by another host (RESERVATION CONFLICT): writes fail with "
			"EIO, reads go on",
			p->name);
	pd_resv_notify(dev, &ev);
}

/* One path at a time takes the reservation: the others join after it. */
static void pd_resv_wake(struct path_device *dev)
{
	for (unsigned int i = 0; i < dev->npaths; i++) {
		struct path *q = &dev->paths[i];

		if (!q->resv_wait)
			continue;
		q->resv_wait = false;
		if (q->state == PATH_PROBING && q->sess)
			pd_path_ready(dev, q);
	}
}

static void resv_join_finish(struct path_resv *rv, void *opaque);

static void resv_join_done(struct path_resv *rv, void *opaque)
{
	resv_join_finish(rv, opaque);
	pd_resv_wake(((struct path *)opaque)->dev);
}

static void resv_join_finish(struct path_resv *rv, void *opaque)
{
	struct path *p = opaque;
	struct path_device *dev = p->dev;
	const struct path_resv_result *res = &rv->res;

	if (p->state != PATH_PROBING || !p->sess || p->sess != rv->sess)
		return; /* the path failed meanwhile: its next login joins again */
	if (res->err && !res->malformed &&
	    !(res->refused && res->refused_status != SCSI_STATUS_RESERVATION_CONFLICT)) {
		path_fail(p, "persistent reservation: %s", strerror(-res->err));
		return;
	}
	if (rv->flags & PATH_RESV_F_CAPS)
		dev->resv_caps_done = true;
	if (res->err) {
		/* It said it supports reservations (or nothing), then refused one or
		 * answered garbage: as good as none, and said so. */
		log_err("%s: the target claims persistent reservations but %s", p->name, res->why);
	}
	if (res->unsupported || res->err) {
		struct path_resv_event ev = {.kind = PATH_RESV_EV_UNSUPPORTED, .path = p->name};

		dev->resv_state = PD_RESV_OFF;
		if (dev->cfg.pr_required) {
			log_err("%s: the target does not support persistent reservations "
				"(Write Exclusive - Registrants Only): refused (reservation "
				"required)",
				p->name);
			pd_resv_notify(dev, &ev);
			path_fail(p, "no persistent reservations");
			return;
		}
		log_warn("%s: the target does not support persistent reservations: this LUN "
			 "is NOT protected against a second host writing it",
			 p->name);
		pd_resv_notify(dev, &ev);
	} else if (res->taken) {
		pd_resv_taken(dev, p, res->holder_key, res->holder_type, dev->ready_notified);
		if (!dev->ready_notified) {
			/* Refused before any write: the daemon stops (no I/O went out). */
			path_fail(p, "LUN reserved by another host");
			return;
		}
	} else if (res->reserved) {
		bool first = dev->resv_state != PD_RESV_OURS;

		dev->resv_state = PD_RESV_OURS;
		dev->resv_holder = res->holder_key;
		dev->resv_type = res->holder_type;
		if (rv->flags & PATH_RESV_F_PREEMPT)
			dev->resv_preempted = true;
		if (first || res->npreempted) {
			struct path_resv_event ev = {
				.kind = PATH_RESV_EV_RESERVED,
				.path = p->name,
				.key = res->holder_key,
				.type = res->holder_type,
				.npreempted = res->npreempted,
				.preempted = res->preempted,
				.no_abort = rv->plain_preempt,
			};

			log_info("%s: LUN reserved (%s, key 0x%016" PRIx64 ")%s", p->name,
				 scsi_pr_type_name(res->holder_type), res->holder_key,
				 res->npreempted ? ", other hosts' keys preempted" : "");
			pd_resv_notify(dev, &ev);
		}
	}
	dbg(LOG_SUB_PATH, "%s: reservation joined (key 0x%016" PRIx64 ")", p->name, path_key(p));
	p->resv_epoch = p->epoch;
	pd_path_ready(dev, p);
}

bool pd_resv_join(struct path_device *dev, struct path *p)
{
	unsigned int flags = 0;
	int r;

	if (!dev->cfg.pr_key || dev->cfg.read_only || dev->resv_state == PD_RESV_OFF ||
	    p->resv_epoch == p->epoch)
		return false;
	/* The LUN is another host's: a path that logs in again stays unregistered. */
	if (dev->resv_state == PD_RESV_TAKEN) {
		p->resv_epoch = p->epoch;
		return false;
	}
	if (dev->resv_state == PD_RESV_UNKNOWN) {
		for (unsigned int i = 0; i < dev->npaths; i++) {
			struct path *q = &dev->paths[i];

			if (q != p && path_resv_running(&q->resv) &&
			    q->resv.mode == PATH_RESV_JOIN) {
				p->resv_wait = true;
				return true;
			}
		}
	}
	if (!dev->resv_caps_done)
		flags |= PATH_RESV_F_CAPS;
	if (dev->cfg.pr_preempt && !dev->resv_preempted)
		flags |= PATH_RESV_F_PREEMPT;
	r = path_resv_start(&p->resv, path_ops_of(p), p->sess, dev->cfg.lun, p->name, path_key(p),
			    PATH_RESV_JOIN, flags, resv_join_done, p);
	if (r < 0) {
		path_fail(p, "persistent reservation: %s", strerror(-r));
		return true;
	}
	return true;
}

static void resv_check_done(struct path_resv *rv, void *opaque)
{
	struct path *p = opaque;
	struct path_device *dev = p->dev;

	if (rv->res.err || !rv->res.taken)
		return;			   /* reported as taken already, with key 0 (unknown) */
	dev->resv_state = PD_RESV_UNKNOWN; /* let pd_resv_taken report the key */
	pd_resv_taken(dev, p, rv->res.holder_key, rv->res.holder_type, true);
}

void pd_resv_conflict(struct path_device *dev, struct path *p)
{
	if (dev->resv_state == PD_RESV_TAKEN)
		return;
	pd_resv_taken(dev, p, 0, 0, true);
	/* Who took it: one READ RESERVATION on the path that saw the conflict. */
	if (p && p->sess && !path_resv_running(&p->resv))
		(void)path_resv_start(&p->resv, path_ops_of(p), p->sess, dev->cfg.lun, p->name,
				      path_key(p), PATH_RESV_CHECK, 0, resv_check_done, p);
}

/*
 * SPC-5 5.14 (Write Exclusive - Registrants Only): every registered
 * I_T nexus may write. LIO (target_scsi3_pr_reservation_check, Linux
 * 6.1 as in the UML guests) instead treats a nexus with the holder's
 * initiator name and another ISID as unregistered, so of our paths only the one whose nexus
 * took the reservation can write; the others get RESERVATION CONFLICT
 * although READ KEYS lists them. Such a conflict on one of our paths,
 * while we believe the reservation ours and held by another of our paths,
 * is either that quirk or another host that took the LUN from us since
 * (PREEMPT AND ABORT): a READ RESERVATION tells them apart before the
 * write goes anywhere else (resv_ask_done). Once the quirk is confirmed,
 * writes go to the holder's path (pd_resv_write_path) and a conflict
 * elsewhere is re-sent there. Returns the holder's path index or a
 * PD_CONFLICT_ code.
 */
static void resv_ask_done(struct path_resv *rv, void *opaque)
{
	struct path *p = opaque;
	struct path_device *dev = p->dev;
	const struct path_resv_result *res = &rv->res;
	unsigned int h = (unsigned int)(res->holder_key & 0xff);
	int via = -1;

	if (!dev->resv_asking || dev->resv_ask_path != p->idx)
		return; /* timed out: its writes failed already (pd_resv_ask_expire) */
	dev->resv_asking = false;
	dev->resv_ask_due = 0;
	if (res->err) {
		log_warn(
			"%s: READ RESERVATION after a RESERVATION CONFLICT failed (%s): the writes "
			"it refused fail with EIO",
			p->name, strerror(-res->err));
	} else if (dev->resv_state != PD_RESV_OURS) {
		/* Taken meanwhile (a conflict on the holder's path): reported. */
	} else if (res->reserved && h != p->idx && h < dev->npaths) {
		dev->resv_holder = res->holder_key;
		dev->resv_holder_writes = true;
		via = (int)h;
		log_warn("%s: RESERVATION CONFLICT although %s of ours holds the reservation: the "
			 "target lets only the nexus holding it write (LIO does so); writes go "
			 "through %s only",
			 p->name, dev->paths[h].name, dev->paths[h].name);
	} else if (res->reserved) {
		log_err("%s: RESERVATION CONFLICT although this path's key holds the reservation: "
			"the writes it refused fail with EIO",
			p->name);
	} else {
		pd_resv_taken(dev, p, res->holder_key, res->holder_type, true);
	}
	pd_resv_wait_end(dev, via);
}

int pd_resv_conflict_ours(struct path_device *dev, struct path *p)
{
	unsigned int h = (unsigned int)(dev->resv_holder & 0xff);

	if (!p || dev->resv_state != PD_RESV_OURS ||
	    !path_resv_ours(dev->resv_holder, dev->cfg.pr_key) || h == p->idx || h >= dev->npaths)
		return PD_CONFLICT_OTHER;
	if (dev->resv_holder_writes)
		return (int)h;
	if (dev->resv_asking)
		return PD_CONFLICT_ASKING;
	/* The answer comes from the event loop, never inside path_resv_start. */
	if (!p->sess || path_resv_running(&p->resv) ||
	    path_resv_start(&p->resv, path_ops_of(p), p->sess, dev->cfg.lun, p->name, path_key(p),
			    PATH_RESV_CHECK, 0, resv_ask_done, p) < 0) {
		log_warn("%s: RESERVATION CONFLICT for a registered path of ours, and no READ "
			 "RESERVATION can ask why now: the write fails with EIO",
			 p->name);
		return PD_CONFLICT_UNKNOWN;
	}
	log_info("%s: RESERVATION CONFLICT for a registered path of ours: READ RESERVATION "
		 "tells whether another host took the LUN; the write waits for it",
		 p->name);
	dev->resv_asking = true;
	dev->resv_ask_path = p->idx;
	dev->resv_ask_due = pd_now(dev) + dev->cfg.cmd_timeout_ms / 1000.0;
	return PD_CONFLICT_ASKING;
}

/* The same bound as an I/O command's: a target that does not answer fails the path. */
void pd_resv_ask_expire(struct path_device *dev, double now)
{
	struct path *p = &dev->paths[dev->resv_ask_path];

	if (!dev->resv_asking || now < dev->resv_ask_due)
		return;
	dev->resv_asking = false;
	dev->resv_ask_due = 0;
	log_warn("%s: READ RESERVATION after a RESERVATION CONFLICT timed out after %u ms: the "
		 "writes it refused fail with EIO",
		 p->name, dev->cfg.cmd_timeout_ms);
	if (path_resv_running(&p->resv) && p->sess) { /* still stuck on this session */
		p->errors++;
		path_fail(p, "READ RESERVATION timed out after %u ms", dev->cfg.cmd_timeout_ms);
	}
	pd_resv_wait_end(dev, -1);
}

/* The path that must carry writes (pd_resv_conflict_ours), or -1 for any. */
int pd_resv_write_path(const struct path_device *dev)
{
	if (!dev->resv_holder_writes || dev->resv_state != PD_RESV_OURS)
		return -1;
	return (int)(dev->resv_holder & 0xff);
}

int pd_write_refused(const struct path_device *dev)
{
	if (dev->cfg.read_only)
		return -EPERM;
	if (dev->resv_state == PD_RESV_TAKEN)
		return -EIO;
	return 0;
}

static void resv_leave_done(struct path_resv *rv, void *opaque)
{
	struct path *p = opaque;
	struct path_device *dev = p->dev;

	p->resv_leaving = false;
	if (rv->res.err)
		log_warn("%s: unregistering: %s", p->name, strerror(-rv->res.err));
	else
		log_info("%s: %s", p->name,
			 rv->res.held
				 ? "this path's registration removed (the reservation is not ours)"
				 : "reservation released, our registrations cleared (CLEAR)");
	if (dev->resv_leaving && --dev->resv_leaving == 0) {
		struct path_resv_event ev = {.kind = PATH_RESV_EV_RELEASED, .path = p->name};

		if (dev->resv_state == PD_RESV_OURS)
			dev->resv_state = PD_RESV_UNKNOWN;
		pd_resv_notify(dev, &ev);
	}
}

unsigned int path_device_resv_leave(struct path_device *dev)
{
	unsigned int i, h = (unsigned int)(dev->resv_holder & 0xff);

	if (!dev->cfg.pr_key || dev->cfg.read_only || dev->resv_state != PD_RESV_OURS ||
	    dev->resv_leaving)
		return 0;
	/* One live path is enough: its CLEAR removes every registration of
	 * ours. The holder's path first: LIO answers a CLEAR from any other
	 * nexus of ours RESERVATION CONFLICT (pd_resv_conflict_ours), and the
	 * reservation would stay behind. */
	for (unsigned int k = 0; k < dev->npaths; k++) {
		struct path *p;

		i = h < dev->npaths ? (h + k) % dev->npaths : k;
		p = &dev->paths[i];

		if (!p->sess || (p->state != PATH_ACTIVE && p->state != PATH_STANDBY) ||
		    p->resv_epoch != p->epoch || path_resv_running(&p->resv))
			continue;
		if (path_resv_start(&p->resv, path_ops_of(p), p->sess, dev->cfg.lun, p->name,
				    path_key(p), PATH_RESV_LEAVE, 0, resv_leave_done, p) < 0)
			continue;
		p->resv_leaving = true;
		dev->resv_leaving = 1;
		return 1;
	}
	log_warn("%s: no live path to release the reservation on: it stays until another "
		 "host preempts it or this one attaches again",
		 dev->name);
	return 0;
}

static void resv_fence_done(struct path_resv *rv, void *opaque)
{
	struct path *q = opaque;
	struct path_device *dev = q->dev;
	struct path *p = &dev->paths[q->resv_fence_for_path];
	double now = pd_now(dev);

	p->resv_fencing = false;
	if (rv->res.err) {
		log_warn("%s: reservation fence of %s failed: %s", q->name, p->name,
			 rv->res.why[0] ? rv->res.why : strerror(-rv->res.err));
		p->resv_fence_retry_at = now + dev->cfg.reconnect_max_ms / 1000.0;
		path_arm_timer(p);
		return;
	}
	log_notice("%s: dead session fenced by reservation: %s of its key 0x%016" PRIx64
		   " through %s, %.0f ms after it died",
		   p->name, rv->plain_preempt ? "PREEMPT" : "PREEMPT AND ABORT", path_key(p),
		   q->name, (now - p->died_at) * 1000.0);
	if (dev->resv_state == PD_RESV_OURS && dev->resv_holder == path_key(p)) {
		/* SPC-5 5.14.11.4: preempting the holder's key with our type
		 * gave the reservation to q's nexus. */
		dev->resv_holder = path_key(q);
		log_notice("%s: the reservation is now held by %s (key 0x%016" PRIx64 ")%s",
			   p->name, q->name, path_key(q),
			   dev->resv_holder_writes ? ": writes go through it" : "");
		pd_kick(dev);
	}
	path_fence_done(p, p->resv_fence_for, "reservation", NULL);
	path_arm_timer(p);
}

/* Preempt dead path p's key through the first live path of ours that can. */
static struct path *resv_preempt_dead(struct path_device *dev, struct path *p)
{
	for (unsigned int k = 1; k < dev->npaths; k++) {
		struct path *q = &dev->paths[(p->idx + k) % dev->npaths];

		if (!q->sess || (q->state != PATH_ACTIVE && q->state != PATH_STANDBY) ||
		    q->resv_epoch != q->epoch || path_resv_running(&q->resv))
			continue;
		if (path_resv_fence(&q->resv, path_ops_of(q), q->sess, dev->cfg.lun, q->name,
				    path_key(q), path_key(p), resv_fence_done, q) < 0)
			continue;
		q->resv_fence_for_path = p->idx;
		p->resv_fencing = true;
		p->resv_fence_for = p->dead_epoch;
		return q;
	}
	return NULL;
}

bool pd_resv_fence(struct path_device *dev, struct path *p, double now)
{
	struct path *q;

	if (!dev->cfg.pr_key || dev->cfg.read_only || dev->resv_state != PD_RESV_OURS ||
	    p->resv_fencing || now < p->resv_fence_retry_at)
		return false;
	q = resv_preempt_dead(dev, p);
	if (!q)
		return false;
	log_info("%s: no healthy path to its portal group: fencing the dead session "
		 "(epoch %u) by reservation, preempting its key through %s",
		 p->name, p->dead_epoch, q->name);
	return true;
}

/*
 * Where only the holder's nexus may write (pd_resv_conflict_ours, LIO),
 * the holder's path going down would stop every write of ours until it
 * logs in again, which a pulled cable may never allow. A live path q of
 * ours must take the reservation over. SPC-5 5.14.11.4 would let q
 * PREEMPT AND ABORT the dead key, but LIO treats q's nexus as not
 * registered for PREEMPT, CLEAR and RELEASE too (the same ISID check
 * as for writes: RESERVATION CONFLICT). What LIO does accept is the
 * holder's own nexus: an I_T nexus is the initiator port (name and ISID)
 * and the target port group, not the network, so a login with the dead
 * path's ISID through q's portal of the same portal group is the holder.
 * It reinstates - ends - the dead session (RFC 7143 6.3.5: the
 * ghost-write fence, as path_fence_try's login), then CLEARs the
 * reservation and our registrations (PATH_RESV_LEAVE), and is logged
 * out; q then joins (PATH_RESV_JOIN: REGISTER, RESERVE, foreign keys
 * swept) and holds it. The dead path registers again when it logs in
 * (pd_resv_join); its own login, and its fence logins, wait meanwhile
 * (p->resv_fencing, path_fence_logging_in).
 */
static void resv_move_end(struct path_device *dev, const char *why)
{
	struct path *p = &dev->paths[dev->resv_move_from];

	if (dev->resv_move == PD_MOVE_IDLE)
		return;
	dev->resv_move = PD_MOVE_IDLE;
	p->resv_fencing = false;
	if (why) {
		log_warn("%s: moving the reservation to %s failed: %s", p->name,
			 dev->paths[dev->resv_move_to].name, why);
		dev->resv_move_retry_at = pd_now(dev) + dev->cfg.reconnect_max_ms / 1000.0;
	}
	if (dev->resv_move_sess) {
		struct sess *s = dev->resv_move_sess;

		if (path_ops_of(p)->logout(s) < 0)
			path_ops_of(p)->close(s);
	}
	path_arm_timer(p);
	pd_kick(dev);
}

static void resv_move_joined(struct path_resv *rv, void *opaque)
{
	struct path_device *dev = opaque;
	struct path *q = &dev->paths[dev->resv_move_to];
	const struct path_resv_result *res = &rv->res;

	if (dev->resv_move != PD_MOVE_JOIN)
		return;
	if (!res->err && res->taken) {
		resv_move_end(dev, NULL);
		pd_resv_taken(dev, q, res->holder_key, res->holder_type, true);
		return;
	}
	if (res->err || !res->reserved) {
		resv_move_end(dev, res->why[0] ? res->why : "not reserved after RESERVE");
		return;
	}
	dev->resv_holder = res->holder_key;
	dev->resv_type = res->holder_type;
	log_notice("%s: the reservation is now held by %s (key 0x%016" PRIx64
		   "): writes go through it",
		   dev->paths[dev->resv_move_from].name, q->name, res->holder_key);
	resv_move_end(dev, NULL);
}

static void resv_move_cleared(struct path_resv *rv, void *opaque)
{
	struct path_device *dev = opaque;
	struct path *q = &dev->paths[dev->resv_move_to];
	struct sess *s = dev->resv_move_sess;

	if (dev->resv_move != PD_MOVE_CLEAR)
		return;
	if (rv->res.err) {
		resv_move_end(dev, rv->res.why[0] ? rv->res.why : strerror(-rv->res.err));
		return;
	}
	/* Done with the dead path's nexus: log it out again. */
	dev->resv_move_sess = NULL;
	if (s && path_ops_of(q)->logout(s) < 0)
		path_ops_of(q)->close(s);
	if (!q->sess || q->state != PATH_ACTIVE || path_resv_running(&q->resv) ||
	    path_resv_start(&q->resv, path_ops_of(q), q->sess, dev->cfg.lun, q->name, path_key(q),
			    PATH_RESV_JOIN, 0, resv_move_joined, dev) < 0) {
		resv_move_end(dev, "the new holder's path is gone");
		return;
	}
	dev->resv_move = PD_MOVE_JOIN;
}

static void resv_move_on_state(struct sess *s, enum sess_state st, enum sess_death why,
			       const char *msg, void *opaque)
{
	struct path_device *dev = opaque;
	struct path *p = &dev->paths[dev->resv_move_from];
	struct path *q = &dev->paths[dev->resv_move_to];
	const struct iscsi_params *neg;

	if (st == SESS_DEAD) {
		/* Only the previous one may be freed here: s is inside its callback. */
		if (dev->resv_move_parked && dev->resv_move_parked != s)
			path_ops_of(p)->free(dev->resv_move_parked);
		dev->resv_move_parked = s;
		if (dev->resv_move_sess == s) {
			dev->resv_move_sess = NULL;
			if (dev->resv_move == PD_MOVE_LOGIN || dev->resv_move == PD_MOVE_CLEAR)
				resv_move_end(dev, msg && *msg ? msg : "login failed");
		}
		return;
	}
	if (st != SESS_READY || s != dev->resv_move_sess || dev->resv_move != PD_MOVE_LOGIN)
		return;
	neg = path_ops_of(p)->negotiated ? path_ops_of(p)->negotiated(s) : NULL;
	if (neg && neg->tpgt != p->tpgt) {
		resv_move_end(dev,
			      "the login reached another portal group: not the holder's nexus");
		return;
	}
	/* The login reinstated the dead session: nothing of it lands any more. */
	path_fence_done(p, p->dead_epoch, "reinstatement login", q);
	if (path_resv_start(&dev->resv_move_rv, path_ops_of(p), s, dev->cfg.lun,
			    dev->resv_move_name, path_key(p), PATH_RESV_LEAVE, 0, resv_move_cleared,
			    dev) < 0) {
		resv_move_end(dev, "cannot send CLEAR");
		return;
	}
	dev->resv_move = PD_MOVE_CLEAR;
}

static void resv_move_on_event(struct sess *s, const struct sess_event *ev, void *opaque)
{
	/* It carries no I/O: only its login and one CLEAR. */
}

static const struct sess_callbacks resv_move_cb = {
	.on_state = resv_move_on_state,
	.on_event = resv_move_on_event,
};

bool pd_resv_move(struct path_device *dev)
{
	unsigned int h = (unsigned int)(dev->resv_holder & 0xff);
	struct sess_config sc;
	struct path *p;
	struct sess *s;

	if (pd_resv_write_path(dev) < 0 || h >= dev->npaths ||
	    !path_resv_ours(dev->resv_holder, dev->cfg.pr_key))
		return false;
	if (dev->resv_move != PD_MOVE_IDLE)
		return true;
	p = &dev->paths[h];
	if (p->state == PATH_ACTIVE && p->sess)
		return false; /* it writes (pd_pick_path waits while it is busy) */
	/* Its own login or a fence login with its ISID runs: wait for that
	 * rather than spend the writes' retries on RESERVATION CONFLICTs. */
	if (p->sess || p->fence_sess || p->resv_fencing)
		return true;
	if (!p->tpgt_known || pd_now(dev) < dev->resv_move_retry_at)
		return false;
	for (unsigned int k = 1; k < dev->npaths; k++) {
		struct path *q = &dev->paths[(h + k) % dev->npaths];

		if (!q->sess || q->state != PATH_ACTIVE || q->resv_epoch != q->epoch ||
		    path_resv_running(&q->resv) || !q->tpgt_known || q->tpgt != p->tpgt)
			continue;
		snprintf(dev->resv_move_name, sizeof(dev->resv_move_name), "%s resv fence via %s",
			 p->name, q->name);
		path_sess_config(p, q, dev->resv_move_name, &sc);
		s = path_ops_of(p)->new (dev->loop, &sc, &resv_move_cb, dev);
		if (!s)
			continue;
		dev->resv_move_sess = s;
		dev->resv_move = PD_MOVE_LOGIN;
		dev->resv_move_from = h;
		dev->resv_move_to = q->idx;
		p->resv_fencing = true;
		log_info("%s: holds the reservation and cannot write (%s): logging in its nexus "
			 "through %s's portal to hand the reservation to %s",
			 p->name, path_state_name(p->state), q->name, q->name);
		if (path_ops_of(p)->start(s) < 0 && dev->resv_move_sess == s) {
			dev->resv_move_sess = NULL;
			path_ops_of(p)->free(s);
			resv_move_end(dev, "cannot start the login");
			return false;
		}
		return dev->resv_move != PD_MOVE_IDLE;
	}
	return false;
}

void pd_resv_release(struct path_device *dev)
{
	const struct path_transport_ops *ops = dev->npaths ? path_ops_of(&dev->paths[0]) : NULL;

	dev->resv_move = PD_MOVE_IDLE;
	if (dev->resv_move_sess) {
		struct sess *s = dev->resv_move_sess;

		ops->close(s);
		if (dev->resv_move_sess == s) {
			dev->resv_move_sess = NULL;
			ops->free(s);
		}
	}
	if (dev->resv_move_parked) {
		ops->free(dev->resv_move_parked);
		dev->resv_move_parked = NULL;
	}
}

int path_device_resv_state(const struct path_device *dev, uint64_t *key, uint8_t *type)
{
	if (key)
		*key = dev->resv_holder;
	if (type)
		*type = dev->resv_type;
	switch (dev->resv_state) {
	case PD_RESV_OURS:
		return 1;
	case PD_RESV_TAKEN:
		return -1;
	case PD_RESV_OFF:
		return dev->cfg.pr_key ? -2 : 0;
	default:
		return 0;
	}
}
