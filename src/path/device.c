/*
 * struct path_device: requests in, split into pieces, sent on paths,
 * classified, retried, re-routed, fenced, completed. See device.h.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path/internal.h"
#include "path/linkmon.h"
#include "scsi/classify.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "util/evdefer.h"
#include "util/log.h"
#include "util/statecheck.h"

static const char *const dev_state_names[] = {
	[DEV_NEW] = "NEW",
	[DEV_RUNNING] = "RUNNING",
	[DEV_STOPPING] = "STOPPING",
	[DEV_STOPPED] = "STOPPED",
};

const char *pd_state_name(enum dev_state st)
{
	return (unsigned int)st < ARRAY_SIZE(dev_state_names) ? dev_state_names[st] : "?";
}

/*
 * Legal transitions, from the code as it is: start (NEW -> RUNNING), stop
 * of a device never started (NEW -> STOPPED), stop (RUNNING -> STOPPING),
 * the end of the stop (STOPPING -> STOPPED). STOPPED is terminal.
 */
#define ST_BIT(st) (1u << (st))
static const unsigned int dev_legal[] = {
	[DEV_NEW] = ST_BIT(DEV_RUNNING) | ST_BIT(DEV_STOPPED),
	[DEV_RUNNING] = ST_BIT(DEV_STOPPING),
	[DEV_STOPPING] = ST_BIT(DEV_STOPPED),
	[DEV_STOPPED] = 0,
};
_Static_assert(ARRAY_SIZE(dev_legal) == ARRAY_SIZE(dev_state_names), "a row per state");

/* The one place a device's state changes: checked (debug builds), logged at debug level. */
static void pd_set_state(struct path_device *dev, enum dev_state st)
{
	STATE_CHECK(dev_legal[dev->state] & ST_BIT(st), dev->name, pd_state_name(dev->state),
		    pd_state_name(st));
	dbg(LOG_SUB_PATH, "%s: device %s -> %s", dev->name, pd_state_name(dev->state),
	    pd_state_name(st));
	dev->state = st;
}

double pd_now(const struct path_device *dev)
{
	return dev->cfg.clock ? dev->cfg.clock(dev->cfg.clock_opaque) : ev_now(dev->loop);
}

void pd_timer_arm(struct path_device *dev, ev_timer *w, double *timer_due, double due)
{
	double after;

	/* libev's "be smart about timeouts": a timer that fires too early just
	 * re-arms for the rest, so only an earlier deadline touches it; with
	 * traffic flowing (the due time moving later on every completion) the
	 * timer is left alone. */
	if (due == 0 || (ev_is_active(w) && *timer_due <= due))
		return;
	ev_timer_stop(dev->loop, w);
	*timer_due = due;
	after = due - pd_now(dev);
	ev_timer_set(w, after > 0 ? after + 0.0005 : 0, 0);
	ev_timer_start(dev->loop, w);
}

void pd_timer_fired(struct path_device *dev, double due)
{
	if (due && (!dev->fired_due || due < dev->fired_due))
		dev->fired_due = due;
}

void pd_kick(struct path_device *dev)
{
	evdefer_kick(dev->loop, &dev->kick);
}

/* Kicks from one callback (a batch of requests or completions) make one poll. */
static void pd_kick_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	evdefer_done(loop, w);
	path_device_poll(container_of(w, struct path_device, kick));
}

static void pd_timer_cb(struct ev_loop *loop, struct ev_timer *w, int revents)
{
	struct path_device *dev = container_of(w, struct path_device, timer);

	pd_timer_fired(dev, dev->timer_due);
	dev->timer_due = 0;
	path_device_poll(dev);
}

/* ---- grouping and the no-path bound ---- */

void pd_regroup(struct path_device *dev)
{
	struct path_pol_stats st[PATH_MAX_PATHS];
	bool act[PATH_MAX_PATHS];
	bool any = false;
	double now = pd_now(dev);

	for (unsigned int i = 0; i < dev->npaths; i++) {
		struct path *p = &dev->paths[i];

		st[i] = p->pol;
		st[i].usable =
			path_usable(p) && (p->state == PATH_ACTIVE || p->state == PATH_STANDBY);
		/* Below every ALUA rank: used only when no path is off probation. */
		if (path_probation(p))
			st[i].alua_rank += 3;
	}
	dev->failback_due = path_policy_group(&dev->pol, st, dev->npaths, act, now);
	for (unsigned int i = 0; i < dev->npaths; i++) {
		struct path *p = &dev->paths[i];

		if (!st[i].usable)
			continue;
		if (act[i]) {
			any = true;
			if (p->state != PATH_ACTIVE)
				path_set_state(p, PATH_ACTIVE, "selected by %s policy",
					       path_policy_name(dev->pol.cfg.kind));
		} else if (path_probation(p)) {
			/* Also from STANDBY (the probe's), so the reason says why. */
			if (p->state != PATH_STANDBY ||
			    strncmp(p->reason, "on probation", 12) != 0) {
				log_notice("%s: on probation: healthy paths carry the I/O",
					   p->name);
				path_set_state(p, PATH_STANDBY,
					       "on probation: it failed again after each of its "
					       "last logins, healthy paths carry the I/O");
			}
		} else if (p->state != PATH_STANDBY) {
			path_set_state(p, PATH_STANDBY, "not selected by %s policy",
				       path_policy_name(dev->pol.cfg.kind));
		}
	}
	if (any) {
		if (dev->no_path_failing)
			log_notice("%s: a path is back: I/O resumes", dev->name);
		dev->no_path_since = 0;
		dev->no_path_failing = false;
	} else if (dev->no_path_since == 0) {
		dev->no_path_since = now;
		if (dev->ready && dev->state == DEV_RUNNING)
			log_warn("%s: no active path: queueing I/O for up to %u ms", dev->name,
				 dev->cfg.no_path_retry_ms);
	}
	pd_kick(dev);
	pd_arm_timer(dev);
}

/* A path logged in and probed its LUN: adopt or check the identity. */
void pd_path_ready(struct path_device *dev, struct path *p)
{
	const struct bdev_info *pi = &p->id.info;
	struct bdev_info *di = &dev->bd.info;

	/*
	 * MODE SENSE was refused for want of a registration (tgtd, Write
	 * Exclusive - Registrants Only): register first, then probe again, so
	 * that WCE and DPOFUA are known. A restarted daemon that re-attaches a
	 * kernel device must not lose FUA: the kernel keeps the flags it got
	 * from the first daemon and would send FUA writes we then refuse.
	 */
	if (p->id.mode_conflict && p->reprobe_epoch != p->epoch) {
		if (pd_resv_join(dev, p))
			return;
		p->reprobe_epoch = p->epoch;
		log_info("%s: the caching mode page was refused before registration: "
			 "reading the LUN again",
			 p->name);
		path_reprobe(p);
		return;
	}
	if (!dev->ready) {
		uint32_t bs = pi->logical_block_size;
		uint64_t rw = dev->cfg.max_io_bytes;

		if (bs == 0 || (dev->zero_block = calloc(1, bs)) == NULL) {
			path_fail(p, "cannot adopt LUN (block size %u)", bs);
			return;
		}
		*di = *pi;
		if (dev->cfg.read_only)
			di->read_only = true; /* NBD READ_ONLY: no client sends a write */
		if (pi->max_transfer_bytes && pi->max_transfer_bytes < rw)
			rw = pi->max_transfer_bytes;
		dev->max_rw_blocks = (uint32_t)MAX(rw / bs, 1);
		dev->max_unmap_blocks = pi->max_unmap_bytes ? MAX(pi->max_unmap_bytes / bs, 1)
							    : BDEV_MAX_REQ_BYTES / bs;
		dev->max_ws_blocks = p->id.max_write_same_bytes
					     ? MAX(p->id.max_write_same_bytes / bs, 1)
					     : BDEV_MAX_REQ_BYTES / bs;
		dev->ready = true;
		log_info("%s: LUN %s: %llu bytes, pieces up to %u blocks", dev->name, di->ident,
			 (unsigned long long)di->size_bytes, dev->max_rw_blocks);
	} else if (strcmp(pi->ident, di->ident) != 0 ||
		   pi->logical_block_size != di->logical_block_size ||
		   pi->size_bytes < di->size_bytes) {
		p->reconnect_at = pd_now(dev) + dev->cfg.reconnect_max_ms / 1000.0;
		path_set_state(p, PATH_WRONG_LUN,
			       "LUN %s (%llu bytes, %u-byte blocks) is not %s (%llu, %u)",
			       pi->ident, (unsigned long long)pi->size_bytes,
			       pi->logical_block_size, di->ident,
			       (unsigned long long)di->size_bytes, di->logical_block_size);
		if (p->sess && dev->cfg.transport->logout(p->sess) < 0) {
			p->failing = true;
			snprintf(p->fail_why, sizeof(p->fail_why), "wrong LUN");
			path_fail(p, "wrong LUN");
		}
		path_arm_timer(p);
		return;
	}
	if (pi->size_bytes > di->size_bytes) {
		/* Same LUN, more blocks: an online resize, not another LUN. */
		log_notice("%s: LUN grew from %llu to %llu bytes", p->name,
			   (unsigned long long)di->size_bytes, (unsigned long long)pi->size_bytes);
		if (dev->cfg.on_capacity_change)
			dev->cfg.on_capacity_change(dev, pi->size_bytes, dev->cfg.opaque);
	}
	/* Exclusive access: the nexus registers before it carries a command. */
	if (pd_resv_join(dev, p))
		return;
	/* Not reset here: a path whose commands then time out would re-login
	 * at once forever. Reset once it has carried I/O a while (path.c). */
	p->pol.alua_rank = 0;
	if (p->id.have_alua) {
		if (p->id.alua_state == SCSI_ALUA_ACTIVE_NON_OPTIMIZED)
			p->pol.alua_rank = 1;
		else if (p->id.alua_state != SCSI_ALUA_ACTIVE_OPTIMIZED)
			p->pol.alua_rank = 2;
	}
	path_set_state(p, PATH_STANDBY, "LUN %s verified%s%s", pi->ident,
		       p->id.have_alua ? ", ALUA " : "",
		       p->id.have_alua ? scsi_alua_state_name(p->id.alua_state) : "");
	p->pol.usable = true;
	p->pol.usable_since = pd_now(dev);
	pd_regroup(dev);
	path_arm_timer(p);
	if (!dev->ready_notified) {
		dev->ready_notified = true;
		if (dev->cfg.on_ready)
			dev->cfg.on_ready(dev, dev->cfg.opaque);
	}
}

static void pd_check(struct path_device *dev, double now)
{
	if (dev->state == DEV_RUNNING && dev->ready && dev->no_path_since &&
	    !dev->no_path_failing &&
	    now >= dev->no_path_since + dev->cfg.no_path_retry_ms / 1000.0) {
		unsigned int doubt;

		log_err("%s: no path for %u ms: failing I/O until a path returns", dev->name,
			dev->cfg.no_path_retry_ms);
		dev->no_path_failing = true;
		doubt = pd_fail_waiting(dev, -EIO);
		if (doubt)
			log_err("%s: %u write%s in doubt completed before the fence of a dead "
				"session: no write goes out until it is fenced",
				dev->name, doubt, doubt == 1 ? "" : "s");
	}
	if (dev->failback_due && now >= dev->failback_due)
		pd_regroup(dev);
	if (dev->state == DEV_STOPPING && !dev->stop_forced && now >= dev->stop_deadline) {
		dev->stop_forced = true;
		for (unsigned int i = 0; i < dev->npaths; i++) {
			struct path *p = &dev->paths[i];

			if (p->sess) {
				log_warn("%s: stop: logout not finished in time: closing", p->name);
				path_fail(p, "stop timeout");
			}
		}
	}
	if (dev->state == DEV_STOPPING && dev->live_reqs == 0) {
		bool sessions = false;

		for (unsigned int i = 0; i < dev->npaths; i++)
			sessions |= dev->paths[i].sess != NULL || dev->paths[i].fence_sess != NULL;
		if (!sessions) {
			pd_set_state(dev, DEV_STOPPED);
			evdefer_cancel(dev->loop, &dev->kick);
			ev_timer_stop(dev->loop, &dev->timer);
			for (unsigned int i = 0; i < dev->npaths; i++)
				ev_timer_stop(dev->loop, &dev->paths[i].timer);
			log_info("%s: stopped", dev->name);
			if (dev->cfg.on_stopped)
				dev->cfg.on_stopped(dev, dev->cfg.opaque);
		}
	}
}

double pd_next_due(const struct path_device *dev)
{
	double due = 0, now;
	struct list_node *n;

#define TAKE(t)                                                                                    \
	do {                                                                                       \
		double t_ = (t);                                                                   \
		if (t_ > 0 && (due == 0 || t_ < due))                                              \
			due = t_;                                                                  \
	} while (0)
	if (dev->state == DEV_STOPPED)
		return 0;
	if (dev->ready && dev->no_path_since && !dev->no_path_failing && dev->state == DEV_RUNNING)
		TAKE(dev->no_path_since + dev->cfg.no_path_retry_ms / 1000.0);
	TAKE(dev->failback_due);
	if (dev->resv_asking)
		TAKE(dev->resv_ask_due);
	if (dev->state == DEV_RUNNING && dev->ready)
		TAKE(pd_deadline_due(dev));
	if (dev->state == DEV_STOPPING && !dev->stop_forced)
		TAKE(dev->stop_deadline);
	/* Only backoffs still running: a piece whose backoff is over waits for
	 * a path, and a path coming back kicks the dispatcher itself (a due
	 * time in the past here would spin the loop until then). */
	now = pd_now(dev);
	list_for_each(n, &dev->retry)
	{
		struct path_io *io = list_entry(n, struct path_io, node);

		if (io->not_before > now)
			TAKE(io->not_before);
	}
#undef TAKE
	return due;
}

void pd_arm_timer(struct path_device *dev)
{
	if (dev->state != DEV_STOPPED)
		pd_timer_arm(dev, &dev->timer, &dev->timer_due, pd_next_due(dev));
}

/*
 * A timer fired long after its due time: the daemon itself was not running
 * (stopped, starved of CPU, or a callback that blocked). That time is no
 * silence of a target's, and answers may have come meanwhile: each path's
 * silence and command deadlines count again from now. A timer that is due
 * runs before the socket callbacks of its loop iteration, so after a stall
 * this comes before any verdict.
 */
static void pd_check_late(struct path_device *dev, double now)
{
	double due = dev->fired_due, late = now - due;

	dev->fired_due = 0;
	if (!due || late < dev->cfg.nop_timeout_ms / 2000.0)
		return;
	log_notice("%s: the daemon ran %.0f ms late (stopped or starved): path silence and "
		   "command deadlines count from now",
		   dev->name, late * 1000);
	for (unsigned int i = 0; i < dev->npaths; i++)
		dev->paths[i].late_at = now;
}

void path_device_poll(struct path_device *dev)
{
	double now;

	if (dev->in_poll || dev->state == DEV_NEW || dev->state == DEV_STOPPED)
		return;
	dev->in_poll = true;
	evdefer_cancel(dev->loop, &dev->kick);
	now = pd_now(dev);
	pd_check_late(dev, now);
	for (unsigned int i = 0; i < dev->npaths; i++)
		path_check(&dev->paths[i], now);
	pd_resv_ask_expire(dev, now);
	pd_dispatch(dev, now);
	pd_check(dev, now);
	if (dev->state != DEV_STOPPED) {
		for (unsigned int i = 0; i < dev->npaths; i++)
			path_arm_timer(&dev->paths[i]);
		pd_arm_timer(dev);
	}
	dev->in_poll = false;
}

static const struct bdev_ops pd_bdev_ops = {
	.submit = pd_submit,
};

/* ---- life cycle ---- */

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

#define DEFAULT(f, v)                                                                              \
	do {                                                                                       \
		if (!c->f)                                                                         \
			c->f = (v);                                                                \
	} while (0)

/*
 * The device keeps its own copies of the caller's strings and secrets
 * (the caller's config is borrowed only during path_device_new()); c
 * points at them. Nonzero if a copy failed (what was copied is freed with
 * the device).
 */
static int pd_copy_config(struct path_device *dev, const struct path_device_config *cfg)
{
	struct path_device_config *c = &dev->cfg;
	char *ifnames[PATH_MAX_PATHS] = {0};
	int r = 0;

	r |= dup_str(&dev->name, cfg->name ? cfg->name : "dev");
	r |= dup_str(&dev->initiator_name, cfg->initiator_name);
	r |= dup_str(&dev->initiator_alias, cfg->initiator_alias);
	r |= dup_str(&dev->target_name, cfg->target_name);
	r |= chap_creds_dup(&c->chap, &cfg->chap);
	for (unsigned int i = 0; i < cfg->npaths; i++)
		r |= dup_str(&ifnames[i], cfg->paths[i].bind_ifname);
	c->name = dev->name;
	c->initiator_name = dev->initiator_name;
	c->initiator_alias = dev->initiator_alias;
	c->target_name = dev->target_name;
	for (unsigned int i = 0; i < cfg->npaths; i++) {
		c->paths[i].bind_ifname = ifnames[i];
		c->paths[i].name = NULL;
	}
	return r;
}

/* A zero in the config means "the default": the defaults of the path layer. */
static void pd_config_defaults(struct path_device *dev)
{
	struct path_device_config *c = &dev->cfg;

	DEFAULT(nop_interval_ms, PD_DEFAULT_NOP_INTERVAL_S * 1000);
	DEFAULT(nop_timeout_ms, PD_DEFAULT_NOP_TIMEOUT_MS);
	DEFAULT(cmd_timeout_ms, PD_DEFAULT_CMD_TIMEOUT_S * 1000);
	DEFAULT(no_path_retry_ms, PD_DEFAULT_NO_PATH_RETRY_S * 1000);
	DEFAULT(reconnect_min_ms, PD_DEFAULT_RECONNECT_MIN_MS);
	DEFAULT(reconnect_max_ms, PD_DEFAULT_RECONNECT_MAX_MS);
	DEFAULT(login_timeout_ms, SESS_DEFAULT_LOGIN_TIMEOUT_MS);
	DEFAULT(stop_timeout_ms, PD_DEFAULT_STOP_TIMEOUT_MS);
	DEFAULT(max_inflight, PD_DEFAULT_MAX_INFLIGHT);
	DEFAULT(max_io_bytes, PD_DEFAULT_MAX_IO_BYTES);
	DEFAULT(retry_max, PD_DEFAULT_RETRY_MAX);
	DEFAULT(retry_backoff_ms, PD_DEFAULT_RETRY_BACKOFF_MS);
	DEFAULT(io_timeout_ms, PD_DEFAULT_IO_TIMEOUT_S * 1000);
	DEFAULT(io_retries, PD_DEFAULT_IO_RETRIES);
	DEFAULT(backoff_reset_ms, PD_DEFAULT_BACKOFF_RESET_MS);
	DEFAULT(reinstate_backoff_ms, PD_DEFAULT_REINSTATE_BACKOFF_MS);
	if (c->reconnect_max_ms < c->reconnect_min_ms)
		c->reconnect_max_ms = c->reconnect_min_ms;
	/* The request deadline is the outer bound: say when it cuts an inner one short. */
	if (c->no_path_retry_ms > c->io_timeout_ms || c->cmd_timeout_ms >= c->io_timeout_ms)
		log_warn("%s: io_timeout %u ms is shorter than no_path_retry %u ms or cmd_timeout "
			 "%u ms: requests fail at io_timeout first",
			 dev->name, c->io_timeout_ms, c->no_path_retry_ms, c->cmd_timeout_ms);
}

/* The paths, named, each with an ISID of its own. */
static void pd_paths_init(struct path_device *dev, const struct path_device_config *cfg)
{
	dev->npaths = cfg->npaths;
	for (unsigned int i = 0; i < cfg->npaths; i++) {
		path_init(&dev->paths[i], dev, i, &cfg->paths[i]);
		if (cfg->paths[i].name)
			snprintf(dev->paths[i].name, sizeof(dev->paths[i].name), "%s %s", dev->name,
				 cfg->paths[i].name);
	}
	/* Two paths with one ISID would be one I_T nexus if they reach the same
	 * portal group: each login would reinstate (end) the other's session.
	 * Keep the configured value but make duplicates distinct. */
	for (unsigned int i = 1; i < dev->npaths; i++) {
		for (unsigned int j = 0; j < i; j++) {
			if (memcmp(dev->paths[i].isid, dev->paths[j].isid, 6) != 0)
				continue;
			dev->paths[i].isid[5]++; /* at most 7 steps: npaths <= 8 */
			log_warn("%s: same ISID as %s: using %02x%02x%02x%02x%02x%02x",
				 dev->paths[i].name, dev->paths[j].name, dev->paths[i].isid[0],
				 dev->paths[i].isid[1], dev->paths[i].isid[2],
				 dev->paths[i].isid[3], dev->paths[i].isid[4],
				 dev->paths[i].isid[5]);
			j = (unsigned int)-1; /* check the new value against all again */
		}
	}
}

struct path_device *path_device_new(struct ev_loop *loop, const struct path_device_config *cfg)
{
	struct path_device *dev;
	struct path_device_config *c;
	int r;

	if (!loop || !cfg || !cfg->target_name || !cfg->initiator_name || cfg->npaths == 0 ||
	    cfg->npaths > PATH_MAX_PATHS) {
		errno = EINVAL;
		return NULL;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->loop = loop;
	dev->cfg = *cfg;
	c = &dev->cfg;
	if (!c->transport)
		c->transport = &path_transport_sess;
	r = pd_copy_config(dev, cfg);
	log_ratelimit_init(&dev->io_rl, dev->name, LOG_RL_INTERVAL, LOG_RL_BURST);
	pd_config_defaults(dev);
	pd_paths_init(dev, cfg);
	path_policy_init(&dev->pol, &c->policy);

	/* Every command slot the I/O path will ever use, allocated now. */
	dev->nios = dev->npaths * c->max_inflight + 16;
	dev->ios = calloc(dev->nios, sizeof(*dev->ios));
	if (!dev->ios || r) {
		r = -ENOMEM;
		goto fail;
	}
	list_init(&dev->free_ios);
	list_init(&dev->reqs);
	list_init(&dev->retry);
	list_init(&dev->held);
	list_init(&dev->resv_ask_ios);
	list_init(&dev->live);
	for (unsigned int i = 0; i < dev->nios; i++) {
		dev->ios[i].dev = dev;
		list_add_tail(&dev->free_ios, &dev->ios[i].node);
	}
	dev->bd.ops = &pd_bdev_ops;
	dev->bd.impl = dev;
	ev_prepare_init(&dev->kick, pd_kick_cb);
	ev_init(&dev->timer, pd_timer_cb);
	dev->state = DEV_NEW;
	return dev;
fail:
	path_device_free(dev);
	errno = -r;
	return NULL;
}

int path_device_start(struct path_device *dev)
{
	if (dev->state != DEV_NEW)
		return -EALREADY;
	pd_set_state(dev, DEV_RUNNING);
	dev->no_path_since = pd_now(dev);
	log_info("%s: starting: %s LUN %llu over %u path%s, %s policy", dev->name,
		 dev->cfg.target_name, (unsigned long long)dev->cfg.lun, dev->npaths,
		 dev->npaths == 1 ? "" : "s", path_policy_name(dev->pol.cfg.kind));
	/* Every path is watched: bound ones on their binding, the others on their route. */
	dev->linkmon = path_linkmon_new(dev->loop, dev);
	if (!dev->linkmon)
		log_warn("%s: no link monitor (%s): link loss is caught by timeouts only",
			 dev->name, strerror(errno));
	for (unsigned int i = 0; i < dev->npaths; i++) {
		struct path *p = &dev->paths[i];

		if (p->enabled)
			path_connect(p);
		else
			path_set_state(p, PATH_DISABLED, "disabled in the configuration");
	}
	pd_kick(dev);
	return 0;
}

void path_device_stop(struct path_device *dev)
{
	if (dev->state == DEV_NEW) {
		pd_set_state(dev, DEV_STOPPED);
		if (dev->cfg.on_stopped)
			dev->cfg.on_stopped(dev, dev->cfg.opaque);
		return;
	}
	if (dev->state != DEV_RUNNING)
		return;
	log_info("%s: stopping (%u requests in flight)", dev->name, dev->live_reqs);
	pd_set_state(dev, DEV_STOPPING);
	dev->stop_deadline = pd_now(dev) + dev->cfg.stop_timeout_ms / 1000.0;
	pd_fail_waiting(dev, -ESHUTDOWN);
	while (!list_empty(&dev->held))
		pd_io_complete(list_entry(dev->held.next, struct path_io, node), -ESHUTDOWN);
	dev->resv_asking = false;
	pd_resv_wait_end(dev, -1);
	for (unsigned int i = 0; i < dev->npaths; i++)
		path_stop(&dev->paths[i]);
	pd_kick(dev);
	pd_arm_timer(dev);
}

void path_device_free(struct path_device *dev)
{
	if (!dev)
		return;
	if (dev->state == DEV_RUNNING || dev->state == DEV_STOPPING) {
		/* Not stopped: end everything now, still completing every request. */
		if (dev->state == DEV_RUNNING)
			path_device_stop(dev);
		dev->stop_deadline = 0;
		dev->in_poll = false;
		path_device_poll(dev);
	}
	log_ratelimit_flush(&dev->io_rl);
	path_linkmon_free(dev->linkmon);
	dev->linkmon = NULL;
	for (unsigned int i = 0; i < dev->npaths; i++)
		path_release(&dev->paths[i]);
	pd_resv_release(dev);
	if (dev->loop) {
		evdefer_cancel(dev->loop, &dev->kick);
		ev_timer_stop(dev->loop, &dev->timer);
	}
	for (unsigned int i = 0; i < dev->npaths; i++)
		free((char *)dev->cfg.paths[i].bind_ifname);
	free(dev->ios);
	free(dev->zero_block);
	free(dev->name);
	free(dev->initiator_name);
	free(dev->initiator_alias);
	free(dev->target_name);
	chap_creds_free(&dev->cfg.chap);
	free(dev);
}
