/*
 * One path: its session's life and reconnect with backoff. See path.h
 * for the states; the health checks and the path timer are in
 * pathcheck.c, the ghost-write fence in fence.c (device.h says why).
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "path/internal.h"
#include "path/linkmon.h"
#include "util/log.h"
#include "util/statecheck.h"

static const char *const path_state_names[] = {
	[PATH_DISABLED] = "DISABLED", [PATH_CONNECTING] = "CONNECTING", [PATH_PROBING] = "PROBING",
	[PATH_ACTIVE] = "ACTIVE",     [PATH_STANDBY] = "STANDBY",	[PATH_FAILED] = "FAILED",
	[PATH_FENCED] = "FENCED",     [PATH_WRONG_LUN] = "WRONG_LUN",
};

/*
 * Legal transitions, from the code as it is (a state may always be
 * entered again, to update the reason). Every state may be disabled (by
 * the administrator, or the device stopping); path_connect() starts from
 * any state without a session and enters FAILED itself when it cannot
 * create one; a re-probe of a usable path (rescan) may find the LUN
 * verified (STANDBY) or changed (WRONG_LUN); a session that dies leaves
 * FAILED, or FENCED while its writes must be fenced; the fence releases
 * FENCED to FAILED and a late taint turns FAILED to FENCED. A session
 * that ends on a DISABLED or WRONG_LUN path changes nothing.
 */
#define ST_BIT(st)  (1u << (st))
#define PATH_DOWN   (ST_BIT(PATH_FAILED) | ST_BIT(PATH_FENCED) | ST_BIT(PATH_DISABLED))
#define PATH_PROBED (ST_BIT(PATH_STANDBY) | ST_BIT(PATH_WRONG_LUN))
static const unsigned int path_legal[] = {
	[PATH_DISABLED] = ST_BIT(PATH_CONNECTING) | ST_BIT(PATH_FAILED),
	[PATH_CONNECTING] = ST_BIT(PATH_PROBING) | PATH_DOWN,
	[PATH_PROBING] = PATH_PROBED | PATH_DOWN,
	[PATH_ACTIVE] = PATH_PROBED | PATH_DOWN,
	[PATH_STANDBY] = ST_BIT(PATH_ACTIVE) | PATH_PROBED | PATH_DOWN,
	[PATH_FAILED] = ST_BIT(PATH_CONNECTING) | PATH_DOWN,
	[PATH_FENCED] = ST_BIT(PATH_CONNECTING) | PATH_DOWN,
	[PATH_WRONG_LUN] = ST_BIT(PATH_CONNECTING) | PATH_DOWN,
};
_Static_assert(ARRAY_SIZE(path_legal) == ARRAY_SIZE(path_state_names), "a row per state");

const char *path_state_name(enum path_state st)
{
	if ((unsigned int)st < ARRAY_SIZE(path_state_names))
		return path_state_names[st];
	return "?";
}

const struct path_transport_ops *path_ops_of(const struct path *p)
{
	return p->dev->cfg.transport;
}

static void path_timer_cb(struct ev_loop *loop, struct ev_timer *w, int revents)
{
	struct path *p = container_of(w, struct path, timer);

	pd_timer_fired(p->dev, p->timer_due);
	p->timer_due = 0;
	path_device_poll(p->dev);
}

/* FNV-1a, 64 bit: a stable spread of the identifying strings. */
static uint64_t fnv1a(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void path_default_isid(uint8_t isid[6], const char *initiator, const char *target, uint64_t lun,
		       const struct sockaddr_storage *portal, socklen_t portal_len,
		       unsigned int idx)
{
	uint64_t h = 0xcbf29ce484222325ull;

	/*
	 * RFC 7143 10.12.5, type T = 10b ("Random"): 0x80, then 3 bytes B
	 * and a 2-byte qualifier C. B comes from what identifies this
	 * attachment (initiator, target, LUN, portal), so the same path gets
	 * the same ISID after a daemon restart and its login reinstates -
	 * ends - the session the previous run left behind (with its queued
	 * writes). C is the path index, so two paths of one device never
	 * share an I_T nexus even when they reach the same portal group.
	 */
	h = fnv1a(h, initiator ? initiator : "", initiator ? strlen(initiator) : 0);
	h = fnv1a(h, "\0", 1);
	h = fnv1a(h, target ? target : "", target ? strlen(target) : 0);
	h = fnv1a(h, &lun, sizeof(lun));
	if (portal && portal_len)
		h = fnv1a(h, portal, portal_len);
	isid[0] = 0x80;
	isid[1] = (uint8_t)(h >> 16);
	isid[2] = (uint8_t)(h >> 8);
	isid[3] = (uint8_t)h;
	isid[4] = (uint8_t)(idx >> 8);
	isid[5] = (uint8_t)idx;
}

void path_init(struct path *p, struct path_device *dev, unsigned int idx,
	       const struct path_config *cfg)
{
	static const uint8_t zero[6];

	memset(p, 0, sizeof(*p));
	p->dev = dev;
	p->idx = idx;
	p->cfg = *cfg;
	p->cfg.name = NULL; /* not kept: name[] below */
	p->cfg.bind_ifname = NULL;
	if (cfg->name)
		snprintf(p->name, sizeof(p->name), "%s %s", dev->name, cfg->name);
	else
		snprintf(p->name, sizeof(p->name), "%s path%u", dev->name, idx);
	memcpy(p->isid, cfg->isid, 6);
	if (memcmp(p->isid, zero, 6) == 0)
		path_default_isid(p->isid, dev->cfg.initiator_name, dev->cfg.target_name,
				  dev->cfg.lun, &cfg->portal, cfg->portal_len, idx);
	p->enabled = !cfg->disabled;
	p->state = PATH_DISABLED;
	snprintf(p->reason, sizeof(p->reason), "not started");
	p->pol.priority = cfg->priority_set ? cfg->priority : (int)idx;
	p->backoff_ms = dev->cfg.reconnect_min_ms;
	list_init(&p->outstanding);
	ev_init(&p->timer, path_timer_cb);
}

/* The one place that changes and logs a path's state. */
void path_set_state(struct path *p, enum path_state st, const char *fmt, ...)
{
	struct path_device *dev = p->dev;
	enum path_state old = p->state;
	va_list ap;

	STATE_CHECK(old == st || (path_legal[old] & ST_BIT(st)), p->name, path_state_name(old),
		    path_state_name(st));
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	p->state = st;
	p->since = pd_now(dev);
	if (st != PATH_ACTIVE && st != PATH_STANDBY)
		p->pol.usable = false;
	if (old == st) {
		dbg(LOG_SUB_PATH, "%s: %s (%s)", p->name, path_state_name(st), p->reason);
		return;
	}
	if (st == PATH_FAILED || st == PATH_FENCED || st == PATH_WRONG_LUN)
		log_warn("%s: %s -> %s: %s", p->name, path_state_name(old), path_state_name(st),
			 p->reason);
	else
		log_info("%s: %s -> %s: %s", p->name, path_state_name(old), path_state_name(st),
			 p->reason);
	if (dev->cfg.on_path_state)
		dev->cfg.on_path_state(dev, p->idx, st, dev->cfg.opaque);
}

bool path_usable(const struct path *p)
{
	return p->pol.usable && p->sess;
}

/*
 * Three sessions in a row that logged in and then failed, with no healthy
 * stretch between them (a lost link does not count: that is the
 * network's doing, and its link-up brings the path back at once; nor does
 * a login that never succeeded, which carried no I/O): after its next
 * login the path waits as a standby while another path is usable, until
 * it has lived through backoff_reset_ms (path_check_stable), so the
 * healthy paths carry the I/O rather than a path whose commands keep
 * timing out.
 */
bool path_probation(const struct path *p)
{
	return p->fail_streak >= 3;
}

/*
 * The re-login delay after a failure: doubles from reconnect_min_ms to
 * reconnect_max_ms, so a path whose sessions keep dying (commands timing
 * out after every re-login, a flapping link) is tried less and less often
 * and the healthy paths carry the load; reset once the path has carried
 * I/O for backoff_reset_ms (path_check). While someone else keeps ending
 * our sessions by reinstatement, at least reinstate_backoff_ms.
 */
static double path_next_delay(struct path *p)
{
	struct path_device *dev = p->dev;
	uint32_t d = p->backoff_ms;

	if (p->reinstate_episode && d < dev->cfg.reinstate_backoff_ms)
		d = dev->cfg.reinstate_backoff_ms;
	p->relogin_delay_ms = d;
	if (p->login_epoch == p->epoch) /* it had logged in: a refused connect does not count */
		p->fail_streak++;
	if (p->backoff_ms < dev->cfg.reconnect_max_ms)
		p->backoff_ms = MIN(p->backoff_ms * 2, dev->cfg.reconnect_max_ms);
	return d / 1000.0;
}

/* Sessions ended by the target this soon after login count as reinstated. */
double path_reinstate_window(const struct path_device *dev)
{
	return 2 * dev->cfg.reconnect_max_ms / 1000.0;
}

/*
 * The target ended the current session (how) with no local cause. If that
 * happens shortly after login, repeatedly, the likely cause is another
 * initiator logging in with our initiator name and this path's ISID: each
 * login reinstates - ends - the other's session (RFC 7143 6.3.5), so two
 * such initiators take turns forever. One daemon per LUN per host is the
 * rule (DESIGN.md "Invariants"); this catches what no local check can:
 * another host with the same initiator name (a cloned system), or a
 * second daemon that got past the check. Say so loudly once per episode
 * and back off rather than fight.
 */
static void path_reinstate_note(struct path *p, const char *how)
{
	struct path_device *dev = p->dev;
	double now = pd_now(dev);

	if (p->login_epoch != p->epoch || p->reinstate_epoch == p->epoch ||
	    now - p->login_at > path_reinstate_window(dev))
		return;
	p->reinstate_epoch = p->epoch;
	p->reinstate_count++;
	dbg(LOG_SUB_PATH, "%s: session ended by the target %.1f s after login (%s), %u in a row",
	    p->name, now - p->login_at, how, p->reinstate_count);
	if (p->reinstate_count < 3 || p->reinstate_episode)
		return;
	p->reinstate_episode = true;
	log_err("%s: the target ended our session %u times in a row within %.0f s of login, with "
		"no local cause (last: %s): another initiator probably logs in with the same ISID "
		"%02x%02x%02x%02x%02x%02x and initiator name %s - a second iscsi-nbd for this "
		"LUN, or another host with the same initiator name. Backing off: re-login every "
		"%u s instead of taking the session back",
		p->name, p->reinstate_count, path_reinstate_window(dev), how, p->isid[0],
		p->isid[1], p->isid[2], p->isid[3], p->isid[4], p->isid[5], dev->cfg.initiator_name,
		dev->cfg.reinstate_backoff_ms / 1000);
}

static void path_session_dead(struct path *p, const char *why)
{
	struct path_device *dev = p->dev;
	double now = pd_now(dev);

	if (p->dead_epoch == p->epoch || !p->sess)
		return;
	p->dead_epoch = p->epoch;
	p->dead = p->sess;
	p->sess = NULL;
	p->died_at = now;
	p->dead_retain_s = p->retain_s;
	p->ping_out = false;
	p->pol.usable = false;
	if (p->state != PATH_DISABLED && p->state != PATH_WRONG_LUN)
		p->failures++; /* a stop or a refusal is not a failure */
	if (p->taint_epoch == p->dead_epoch)
		p->fence_deadline = now + p->dead_retain_s + dev->cfg.fence_grace_ms / 1000.0;
	/* A new death: every other path may fence it again. */
	p->fence_tried = 0;
	p->fence_retry_at = 0;
	if (p->state == PATH_WRONG_LUN || p->state == PATH_DISABLED) {
		dbg(LOG_SUB_PATH, "%s: session ended: %s", p->name, why);
	} else {
		p->reconnect_at = now + path_next_delay(p);
		if (path_fence_pending(p))
			path_set_state(p, PATH_FENCED, "%s", why);
		else
			path_set_state(p, PATH_FAILED, "%s", why);
	}
	pd_regroup(dev);
	path_arm_timer(p);
	pd_kick(dev);
}

static void sess_on_state(struct sess *s, enum sess_state st, enum sess_death why, const char *msg,
			  void *opaque);

static void sess_on_event(struct sess *s, const struct sess_event *ev, void *opaque)
{
	struct path *p = opaque;

	if (s != p->sess)
		return;
	switch (ev->type) {
	case SESS_EV_LOGOUT_REQUEST:
		/* RFC 7143 11.9.1 AsyncEvent 1: log out within Parameter3
		 * seconds. An orderly logout lets the commands in flight
		 * finish (nothing to fence); new ones go elsewhere now. */
		path_reinstate_note(p, "the target asked for a logout");
		if (path_ops_of(p)->logout(s) == 0) {
			double now = pd_now(p->dev);

			if (p->sess != s) { /* the logout ended it at once */
				p->reconnect_at = MAX(p->reconnect_at, now + ev->param3);
				path_arm_timer(p);
				break;
			}
			p->failing = true;
			snprintf(p->fail_why, sizeof(p->fail_why), "target requested logout");
			p->reconnect_at = now + MAX(ev->param3, 1);
			path_set_state(p, PATH_FAILED, "target requested logout: logging out");
			pd_regroup(p->dev);
			path_arm_timer(p);
			break;
		}
		path_fail(p, "target requested logout");
		break;
	case SESS_EV_DROP_CONNECTION:
	case SESS_EV_DROP_SESSION:
		/* The target is leaving: move I/O away now rather than when it drops. */
		path_reinstate_note(p, "the target announced a drop");
		path_fail(p, "target announced logout / drop (async event %d)", ev->type);
		break;
	default:
		dbg(LOG_SUB_PATH, "%s: async event %d", p->name, ev->type);
		break;
	}
}

static const struct sess_callbacks path_sess_cb = {
	.on_state = sess_on_state,
	.on_event = sess_on_event,
};

static void path_probe_done(struct path_probe *pr, int err, void *opaque)
{
	struct path *p = opaque;

	if (p->state != PATH_PROBING || !p->sess)
		return;
	if (err) {
		path_fail(p, "probe failed: %s", strerror(-err));
		return;
	}
	p->id = pr->res;
	pd_path_ready(p->dev, p);
}

/* A re-read of a live path's LUN data (after a "capacity data has changed"
 * unit attention): the same identity is required; growth is reported. */
static void path_rescan_done(struct path_probe *pr, int err, void *opaque)
{
	struct path *p = opaque;
	struct path_device *dev = p->dev;
	const struct bdev_info *pi = &pr->res.info, *di = &dev->bd.info;

	if (!p->sess || (p->state != PATH_ACTIVE && p->state != PATH_STANDBY))
		return;
	if (err) {
		dbg(LOG_SUB_PATH, "%s: rescan: %s", p->name, strerror(-err));
		return;
	}
	if (strcmp(pi->ident, di->ident) != 0 || pi->logical_block_size != di->logical_block_size ||
	    pi->size_bytes < di->size_bytes) {
		path_fail(p, "rescan: LUN changed under us (%s, %llu bytes)", pi->ident,
			  (unsigned long long)pi->size_bytes);
		return;
	}
	p->id = pr->res;
	if (pi->size_bytes > di->size_bytes) {
		log_notice("%s: LUN grew from %llu to %llu bytes", p->name,
			   (unsigned long long)di->size_bytes, (unsigned long long)pi->size_bytes);
		if (dev->cfg.on_capacity_change)
			dev->cfg.on_capacity_change(dev, pi->size_bytes, dev->cfg.opaque);
	}
}

void path_reprobe(struct path *p)
{
	int r = path_probe_start(&p->probe, path_ops_of(p), p->sess, p->dev->cfg.lun, p->name,
				 path_probe_done, p);

	if (r < 0)
		path_fail(p, "probe failed: %s", strerror(-r));
}

void path_rescan(struct path *p)
{
	int r;

	if (!p->sess || path_probe_running(&p->probe) ||
	    (p->state != PATH_ACTIVE && p->state != PATH_STANDBY))
		return;
	log_info("%s: LUN data changed: re-reading it", p->name);
	r = path_probe_start(&p->probe, path_ops_of(p), p->sess, p->dev->cfg.lun, p->name,
			     path_rescan_done, p);
	if (r < 0)
		dbg(LOG_SUB_PATH, "%s: rescan: %s", p->name, strerror(-r));
}

static void sess_on_state(struct sess *s, enum sess_state st, enum sess_death why, const char *msg,
			  void *opaque)
{
	struct path *p = opaque;
	struct path_device *dev = p->dev;
	const struct iscsi_params *neg;
	int r;

	if (s != p->sess)
		return;
	switch (st) {
	case SESS_READY:
		/* Logged in with our ISID and TSIH 0: the target reinstated, so
		 * every earlier session of this path is gone with its tasks. */
		path_fence_done(p, p->epoch - 1, "reinstatement login", NULL);
		neg = path_ops_of(p)->negotiated ? path_ops_of(p)->negotiated(s) : NULL;
		p->retain_s = neg ? (double)neg->default_time2wait + neg->default_time2retain : 22;
		p->tpgt_known = neg != NULL;
		p->tpgt = neg ? neg->tpgt : 0;
		p->login_at = pd_now(dev);
		p->login_epoch = p->epoch;
		if (p->state != PATH_CONNECTING)
			return;
		path_set_state(p, PATH_PROBING, "logged in");
		p->busy_since = pd_now(dev);
		r = path_probe_start(&p->probe, path_ops_of(p), s, dev->cfg.lun, p->name,
				     path_probe_done, p);
		if (r < 0)
			path_fail(p, "probe: %s", strerror(-r));
		path_arm_timer(p);
		break;
	case SESS_DEAD: {
		char why_s[160];

		if (p->failing) {
			snprintf(why_s, sizeof(why_s), "%s", p->fail_why);
		} else {
			snprintf(why_s, sizeof(why_s), "session ended (%s)%s%s",
				 path_ops_of(p)->death_name ? path_ops_of(p)->death_name(why) : "?",
				 msg && *msg ? ": " : "", msg ? msg : "");
			if (p->state != PATH_DISABLED && p->state != PATH_WRONG_LUN)
				path_reinstate_note(p, why_s);
		}
		path_session_dead(p, why_s);
		break;
	}
	default:
		break;
	}
}

static void path_free_dead(struct path *p)
{
	if (p->dead) {
		path_ops_of(p)->free(p->dead);
		p->dead = NULL;
	}
}

/*
 * The login of a session with p's ISID and TSIH 0 (so it reinstates p's
 * earlier session) to the portal, and from the bind, of path "via": p
 * itself for p's own sessions, another path for a fence session.
 */
void path_sess_config(const struct path *p, const struct path *via, const char *name,
		      struct sess_config *sc)
{
	const struct path_device *dev = p->dev;

	memset(sc, 0, sizeof(*sc));
	sc->name = name;
	sc->initiator_name = dev->cfg.initiator_name;
	sc->initiator_alias = dev->cfg.initiator_alias;
	sc->target_name = dev->cfg.target_name;
	sc->portal = via->cfg.portal;
	sc->portal_len = via->cfg.portal_len;
	sc->bind_ifname = dev->cfg.paths[via->idx].bind_ifname;
	sc->bind_addr = via->cfg.bind_addr;
	sc->bind_addr_len = via->cfg.bind_addr_len;
	memcpy(sc->isid, p->isid, 6);
	sc->tsih = 0; /* always: a login on this ISID reinstates the path's old session */
	sc->chap = dev->cfg.chap;
	sc->header_digest = dev->cfg.header_digest;
	sc->data_digest = dev->cfg.data_digest;
	sc->login_timeout_ms = dev->cfg.login_timeout_ms;
	sc->cmd_window_max = dev->cfg.cmd_window_max;
	sc->max_recv_dsl = dev->cfg.max_recv_dsl;
	/* The kernel gives up on a dead connection no sooner than our NOP check does. */
	sc->tcp_user_timeout_ms = dev->cfg.nop_interval_ms + dev->cfg.nop_timeout_ms;
}

void path_connect(struct path *p)
{
	struct path_device *dev = p->dev;
	struct sess_config sc;
	struct sess *s;
	int r;

	if (p->sess || dev->state != DEV_RUNNING || !p->enabled)
		return;
	path_free_dead(p);
	p->epoch++;
	snprintf(p->sess_name, sizeof(p->sess_name), "%s sess%u", p->name, p->epoch);
	path_sess_config(p, p, p->sess_name, &sc);
	/* Unbound: watch the interface the route uses now (it may have moved since). */
	if (!dev->cfg.paths[p->idx].bind_ifname && p->cfg.bind_addr.ss_family == AF_UNSPEC)
		path_route_ifname(&p->cfg.portal, p->cfg.portal_len, p->route_ifname);

	p->failing = false;
	p->ping_out = false;
	p->sess_sent = p->sess_ok = 0;
	p->retain_s = 22; /* RFC 7143 defaults 2 + 20 until negotiated */
	s = path_ops_of(p)->new (dev->loop, &sc, &path_sess_cb, p);
	if (!s) {
		r = -errno;
		goto fail;
	}
	p->sess = s;
	path_set_state(p, PATH_CONNECTING, "login attempt %u", p->epoch);
	r = path_ops_of(p)->start(s);
	if (r < 0 && p->sess == s) {
		p->failing = true;
		snprintf(p->fail_why, sizeof(p->fail_why), "session start: %s", strerror(-r));
		path_ops_of(p)->close(s);
		if (p->sess == s)
			path_session_dead(p, p->fail_why);
	}
	path_arm_timer(p);
	return;
fail:
	p->dead_epoch = p->epoch;
	p->reconnect_at = pd_now(dev) + path_next_delay(p);
	path_set_state(p, PATH_FAILED, "cannot create session: %s", strerror(-r));
	path_arm_timer(p);
}

void path_fail(struct path *p, const char *fmt, ...)
{
	struct sess *s = p->sess;
	va_list ap;

	if (!s)
		return;
	va_start(ap, fmt);
	vsnprintf(p->fail_why, sizeof(p->fail_why), fmt, ap);
	va_end(ap);
	p->failing = true;
	/* Close, not logout: the path is presumed broken. The commands come
	 * back with -ECONNABORTED and are re-issued elsewhere; writes among
	 * them are fenced (device.h). */
	path_ops_of(p)->close(s);
	if (p->sess == s)
		path_session_dead(p, p->fail_why);
}

/* Device stopping: log out if possible, else close. */
void path_stop(struct path *p)
{
	struct sess *s = p->sess;

	path_set_state(p, PATH_DISABLED, "device stopping");
	if (p->dev->state != DEV_RUNNING)
		path_fence_sess_close(p); /* stopping: no fence is needed any more */
	if (!s)
		return;
	if (path_ops_of(p)->state(s) == SESS_READY && path_ops_of(p)->logout(s) == 0)
		return;
	p->failing = true;
	snprintf(p->fail_why, sizeof(p->fail_why), "device stopping");
	path_ops_of(p)->close(s);
	if (p->sess == s)
		path_session_dead(p, p->fail_why);
}

int path_submit(struct path *p, struct path_io *io)
{
	struct path_device *dev = p->dev;
	int r;

	if (!p->sess)
		return -ENOTCONN;
	io->path = p;
	io->sent_epoch = p->epoch;
	io->sent_at = pd_now(dev);
	if (list_empty(&p->outstanding) && !p->ping_out)
		p->busy_since = io->sent_at;
	list_add_tail(&p->outstanding, &io->node);
	p->sess_sent++;
	p->pol.inflight_cmds++;
	p->pol.inflight_bytes += io->len;
	r = path_ops_of(p)->submit(p->sess, &io->task);
	if (r < 0) {
		list_del(&io->node);
		io->path = NULL;
		p->pol.inflight_cmds--;
		p->pol.inflight_bytes -= io->len;
	}
	return r;
}

void path_io_finished(struct path *p, struct path_io *io, double now)
{
	double lat = now - io->sent_at;

	list_del(&io->node);
	io->path = NULL;
	p->pol.inflight_cmds--;
	p->pol.inflight_bytes -= io->len;
	if (io->task.result != 0)
		return;
	if (io->sent_epoch == p->epoch)
		p->sess_ok++;
	p->ios++;
	p->bytes += io->len;
	if (lat < 0)
		lat = 0;
	p->latency_ewma = p->ios == 1 ? lat : p->latency_ewma * 0.875 + lat * 0.125;
	if (io->len && lat > 0) {
		double tput = io->len / lat;

		p->pol.throughput =
			p->pol.throughput > 0 ? p->pol.throughput * 0.875 + tput * 0.125 : tput;
	}
}

void path_release(struct path *p)
{
	ev_timer_stop(p->dev->loop, &p->timer);
	if (p->sess) {
		path_ops_of(p)->close(p->sess);
		if (p->sess)
			path_session_dead(p, "released");
	}
	path_free_dead(p);
	path_fence_sess_close(p);
	if (p->fence_parked) {
		path_ops_of(p)->free(p->fence_parked);
		p->fence_parked = NULL;
	}
}

/*
 * The path's link or address is gone: fail it now, and do not hammer a
 * dead link with logins; the link-up event brings it back at once (and
 * should that event be lost, the longest backoff still retries).
 */
void path_link_down(struct path *p, const char *why)
{
	struct path_device *dev = p->dev;
	uint32_t streak = p->fail_streak;

	if (p->sess)
		path_fail(p, "%s", why);
	p->fail_streak = streak;
	if (p->state == PATH_FAILED || p->state == PATH_FENCED) {
		p->backoff_ms = dev->cfg.reconnect_max_ms;
		p->relogin_delay_ms = dev->cfg.reconnect_max_ms;
		p->reconnect_at = pd_now(dev) + dev->cfg.reconnect_max_ms / 1000.0;
		path_arm_timer(p);
	}
}

void path_link_up(struct path *p)
{
	struct path_device *dev = p->dev;

	if (p->sess || (p->state != PATH_FAILED && p->state != PATH_FENCED))
		return;
	log_info("%s: link is up: reconnecting now", p->name);
	p->backoff_ms = dev->cfg.reconnect_min_ms;
	p->reconnect_at = pd_now(dev);
	path_arm_timer(p);
	pd_kick(dev);
}
