/*
 * struct path_device: requests in, split into pieces, sent on paths,
 * classified, retried, re-routed, fenced, completed. See device.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path/internal.h"
#include "path/linkmon.h"
#include "scsi/classify.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "util/log.h"

/* Request bookkeeping kept in struct bdev_req's private words. */
#define R_CUT(r)   ((r)->impl_u64[0]) /* bytes already cut into pieces */
#define R_OUT(r)   ((r)->impl_u64[1]) /* pieces not yet completed */
#define R_ERR(r)   ((r)->impl_u64[2]) /* first error, as a positive errno */
#define R_FLAGS(r) ((r)->impl_u64[3])
#define RF_QUEUED  1u /* on dev->reqs */
#define RF_CUT	   2u /* every piece has been cut */

double pd_now(const struct path_device *dev)
{
	return dev->cfg.clock ? dev->cfg.clock(dev->cfg.clock_opaque) : ev_now(dev->loop);
}

void pd_kick(struct path_device *dev)
{
	if (!ev_is_active(&dev->idle))
		ev_idle_start(dev->loop, &dev->idle);
}

static void pd_idle_cb(struct ev_loop *loop, struct ev_idle *w, int revents)
{
	path_device_poll(container_of(w, struct path_device, idle));
}

static void pd_timer_cb(struct ev_loop *loop, struct ev_timer *w, int revents)
{
	struct path_device *dev = container_of(w, struct path_device, timer);

	dev->timer_due = 0;
	path_device_poll(dev);
}

/* ---- request completion ---- */

static void req_maybe_done(struct path_device *dev, struct bdev_req *req)
{
	int err;

	if (R_OUT(req) || !(R_FLAGS(req) & RF_CUT || R_ERR(req)))
		return;
	if (R_FLAGS(req) & RF_QUEUED)
		list_del(&req->node);
	R_FLAGS(req) = 0;
	err = -(int)R_ERR(req);
	dev->live_reqs--;
	req->impl = NULL;
	req->done(req, err);
}

static void req_set_err(struct bdev_req *req, int err)
{
	if (err && !R_ERR(req))
		R_ERR(req) = (uint64_t)-err;
}

/* Return the slot and account the piece to its request. */
static void io_complete(struct path_io *io, int err)
{
	struct path_device *dev = io->dev;
	struct bdev_req *req = io->req;

	list_del(&io->node);
	io->req = NULL;
	list_add_tail(&dev->free_ios, &io->node);
	req_set_err(req, err);
	R_OUT(req)--;
	req_maybe_done(dev, req);
	pd_kick(dev);
}

static bool io_fence_holds(const struct path_device *dev, const struct path_io *io)
{
	for (unsigned int i = 0; i < dev->npaths; i++)
		if (io->fence_mask & (1u << i) && !path_fenced(&dev->paths[i], io->fence_epoch[i]))
			return false;
	return true;
}

/*
 * Finished for good (err 0 or the device's error); held while a fence is
 * pending. An error is held too: a caller told "failed" rewrites or reuses
 * the blocks, and a stale copy landing after that would be the same ghost.
 */
static void io_finish(struct path_io *io, int err)
{
	struct path_device *dev = io->dev;

	if (!io_fence_holds(dev, io)) {
		if (dev->state != DEV_RUNNING) {
			io_complete(io, err ? err : -ESHUTDOWN);
			return;
		}
		dbg(LOG_SUB_PATH, "%s: write at %llu finished (%d), held for the fence", dev->name,
		    (unsigned long long)io->offset, err);
		io->held_err = err;
		list_del(&io->node);
		list_add_tail(&dev->held, &io->node);
		return;
	}
	io_complete(io, err);
}

void pd_fence_released(struct path_device *dev)
{
	struct list_node *n;

	/* A done callback may stop the device, which empties this list: look
	 * again from the head after every completion. */
again:
	list_for_each(n, &dev->held)
	{
		struct path_io *io = list_entry(n, struct path_io, node);

		if (io_fence_holds(dev, io)) {
			io_complete(io, io->held_err);
			goto again;
		}
	}
}

static void io_requeue(struct path_device *dev, struct path_io *io, double not_before, int pref)
{
	list_del(&io->node);
	io->not_before = not_before;
	io->pref_path = pref;
	list_add_tail(&dev->retry, &io->node);
	pd_kick(dev);
	pd_arm_timer(dev);
}

static void pd_task_done(struct sess_task *t)
{
	struct path_io *io = t->opaque;
	struct path_device *dev = io->dev;
	struct path *p = io->path;
	double now = pd_now(dev);
	struct scsi_sense sense, *sp = NULL;
	struct scsi_verdict v;
	char why[128] = "no sense";

	if (p)
		path_io_finished(p, io, now);
	if (t->result == -EIO && dev->state == DEV_RUNNING) {
		/* The target rejected the PDU (Reject); the session lives on. */
		if (io->retries < dev->cfg.retry_max) {
			io->retries++;
			io_requeue(dev, io, now + dev->cfg.retry_backoff_ms / 1000.0, -1);
		} else {
			io_finish(io, -EIO);
		}
		return;
	}
	if (t->result != 0) {
		/* The session died or dropped the command: a path problem. A write
		 * that reached the socket may still execute on the old session. */
		if (p && io->is_write && t->sent) {
			io->fence_mask |= 1u << p->idx;
			io->fence_epoch[p->idx] = io->sent_epoch;
			path_taint(p, io->sent_epoch);
		}
		if (dev->state != DEV_RUNNING) {
			io_complete(io, -ESHUTDOWN);
			return;
		}
		/* -ECONNABORTED / -ESHUTDOWN: the session is dying and reports it
		 * (with its reason) through on_state; anything else it survived. */
		if (p && p->sess && p->epoch == io->sent_epoch && t->result != -ECONNABORTED &&
		    t->result != -ESHUTDOWN)
			path_fail(p, "command failed: %s", strerror(-t->result));
		io_requeue(dev, io, 0, -1);
		return;
	}
	if (t->sense_len && scsi_sense_parse(t->sense, t->sense_len, &sense) == 0)
		sp = &sense;
	v = scsi_classify(t->status, sp);
	if (v.cls != SCSI_CLASS_OK && sp)
		scsi_sense_format(sp, why, sizeof(why));
	if ((v.hints & SCSI_HINT_RESCAN) && p && dev->state == DEV_RUNNING)
		path_rescan(p);
	if (v.hints & SCSI_HINT_DEFERRED)
		log_err("%s: deferred error reported: an earlier write may be lost: %s",
			p ? p->name : dev->name, why);
	if (v.cls == SCSI_CLASS_OK && t->dir == SESS_DIR_READ && t->residual_under && t->residual) {
		log_err("%s: short read at %llu: %u bytes missing", p ? p->name : dev->name,
			(unsigned long long)io->offset, t->residual);
		v.cls = SCSI_CLASS_HARD;
		v.err = -EIO;
	}
	if (dev->state != DEV_RUNNING && v.cls != SCSI_CLASS_OK && v.cls != SCSI_CLASS_HARD) {
		io_complete(io, -ESHUTDOWN);
		return;
	}
	switch (v.cls) {
	case SCSI_CLASS_OK:
		io_finish(io, 0);
		return;
	case SCSI_CLASS_RETRY:
		if (io->retries < dev->cfg.retry_max) {
			double backoff =
				dev->cfg.retry_backoff_ms / 1000.0 * (1u << MIN(io->retries, 10));

			io->retries++;
			if (p)
				p->retries++;
			dbg(LOG_SUB_PATH, "%s: retry %u at %llu: %s %s", p ? p->name : dev->name,
			    io->retries, (unsigned long long)io->offset,
			    scsi_status_name(t->status), why);
			io_requeue(dev, io, now + backoff, p ? (int)p->idx : -1);
			return;
		}
		log_err("%s: giving up at %llu after %u retries: %s %s", p ? p->name : dev->name,
			(unsigned long long)io->offset, io->retries, scsi_status_name(t->status),
			why);
		if (p)
			p->errors++;
		io_finish(io, -EIO);
		return;
	case SCSI_CLASS_PATH:
		if (p) {
			p->errors++;
			path_fail(p, "path error: %s %s", scsi_status_name(t->status), why);
		}
		io_requeue(dev, io, 0, -1);
		return;
	case SCSI_CLASS_HARD:
		log_err("%s: I/O error at %llu len %u: %s %s", p ? p->name : dev->name,
			(unsigned long long)io->offset, io->len, scsi_status_name(t->status), why);
		if (p)
			p->errors++;
		io_finish(io, v.err ? v.err : -EIO);
		return;
	}
}

/* ---- cutting requests into pieces ---- */

static void cut_piece(struct path_device *dev, struct bdev_req *req, struct path_io *io)
{
	const struct bdev_info *info = &dev->bd.info;
	uint32_t bs = info->logical_block_size;
	uint64_t off = req->offset + R_CUT(req);
	uint32_t left = req->len - (uint32_t)R_CUT(req);
	struct sess_task *t = &io->task;
	uint32_t n = 0;
	int r = -EINVAL;

	memset(t, 0, sizeof(*t));
	t->lun = dev->cfg.lun;
	t->done = pd_task_done;
	t->opaque = io;
	io->retries = 0;
	io->fence_mask = 0;
	io->pref_path = -1;
	io->not_before = 0;
	io->is_write = false;
	switch (req->op) {
	case BDEV_OP_READ:
	case BDEV_OP_WRITE: {
		bool wr = req->op == BDEV_OP_WRITE;
		unsigned int fl = wr && (req->flags & BDEV_F_FUA) && info->fua ? SCSI_RW_FUA : 0;

		n = (uint32_t)MIN((uint64_t)left, (uint64_t)dev->max_rw_blocks * bs);
		r = scsi_build_rw(t->cdb, sizeof(t->cdb), wr, off / bs, n / bs, fl);
		t->dir = wr ? SESS_DIR_WRITE : SESS_DIR_READ;
		t->iov[0].iov_base = (uint8_t *)req->buf + R_CUT(req);
		t->iov[0].iov_len = n;
		t->iov_cnt = 1;
		t->xfer_len = n;
		io->is_write = wr;
		break;
	}
	case BDEV_OP_DISCARD: {
		struct scsi_unmap_extent e;
		int pl;

		n = (uint32_t)MIN((uint64_t)left, (uint64_t)dev->max_unmap_blocks * bs);
		e.lba = off / bs;
		e.nblocks = n / bs;
		pl = scsi_build_unmap_params(io->unmap_param, sizeof(io->unmap_param), &e, 1);
		if (pl < 0) {
			r = pl;
			break;
		}
		r = scsi_build_unmap(t->cdb, sizeof(t->cdb), (uint16_t)pl, false);
		t->dir = SESS_DIR_WRITE;
		t->iov[0].iov_base = io->unmap_param;
		t->iov[0].iov_len = (size_t)pl;
		t->iov_cnt = 1;
		t->xfer_len = (uint32_t)pl;
		io->is_write = true;
		break;
	}
	case BDEV_OP_WRITE_ZEROES: {
		unsigned int fl = 0;

		if (!(req->flags & BDEV_F_NO_UNMAP) && info->write_zeroes)
			fl |= SCSI_WS_UNMAP;
		n = (uint32_t)MIN((uint64_t)left, (uint64_t)dev->max_ws_blocks * bs);
		r = scsi_build_write_same16(t->cdb, sizeof(t->cdb), off / bs, n / bs, fl);
		t->dir = SESS_DIR_WRITE;
		t->iov[0].iov_base = dev->zero_block;
		t->iov[0].iov_len = bs;
		t->iov_cnt = 1;
		t->xfer_len = bs;
		io->is_write = true;
		break;
	}
	case BDEV_OP_FLUSH:
		r = scsi_build_sync_cache(t->cdb, sizeof(t->cdb), 0, 0, false);
		t->dir = SESS_DIR_NONE;
		n = 0;
		break;
	}
	io->offset = off;
	io->len = n;
	R_CUT(req) += n;
	if (req->op == BDEV_OP_FLUSH || R_CUT(req) >= req->len)
		R_FLAGS(req) |= RF_CUT;
	if (r < 0) {
		/* Cannot happen for a validated request; fail the piece, not the loop. */
		log_err("%s: cannot build a command at %llu: %s", dev->name,
			(unsigned long long)off, strerror(-r));
		io->len = 0;
		t->cdb_len = 0;
		io->held_err = r;
		return;
	}
	t->cdb_len = (uint8_t)r;
	io->held_err = 0;
}

/* The bytes a request's next piece will carry (for the selector). */
static uint32_t next_piece_bytes(const struct path_device *dev, const struct bdev_req *req)
{
	uint32_t left = req->len - (uint32_t)R_CUT(req);
	uint32_t bs = dev->bd.info.logical_block_size;

	switch (req->op) {
	case BDEV_OP_READ:
	case BDEV_OP_WRITE:
		return (uint32_t)MIN((uint64_t)left, (uint64_t)dev->max_rw_blocks * bs);
	default:
		return 0;
	}
}

/* ---- dispatch ---- */

static bool path_eligible(const struct path_device *dev, const struct path *p)
{
	return p->state == PATH_ACTIVE && p->sess && p->pol.inflight_cmds < dev->cfg.max_inflight;
}

static struct path *pick_path(struct path_device *dev, uint32_t bytes, int pref)
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

/* Send io on p; on failure the path is failed and io goes back to the retry list. */
static void io_send(struct path_device *dev, struct path *p, struct path_io *io)
{
	int r;

	list_del(&io->node);
	r = path_submit(p, io);
	if (r < 0) {
		list_add_tail(&dev->retry, &io->node);
		path_fail(p, "submit: %s", strerror(-r));
	}
}

/* Reentrant: a done callback may call path_device_stop(), which drains the
 * same lists; so always take the current head. */
static void fail_waiting(struct path_device *dev, int err)
{
	while (!list_empty(&dev->retry))
		io_finish(list_entry(dev->retry.next, struct path_io, node), err);
	while (!list_empty(&dev->reqs)) {
		struct bdev_req *req = list_entry(dev->reqs.next, struct bdev_req, node);

		list_del(&req->node);
		R_FLAGS(req) = RF_CUT;
		req_set_err(req, err);
		req_maybe_done(dev, req);
	}
}

static void pd_dispatch(struct path_device *dev, double now)
{
	struct list_node *n, *tmp;

	if (dev->state != DEV_RUNNING || !dev->ready)
		return;
	if (dev->no_path_failing) {
		fail_waiting(dev, -EIO);
		return;
	}
	list_for_each_safe(n, tmp, &dev->retry)
	{
		struct path_io *io = list_entry(n, struct path_io, node);
		struct path *p;

		if (dev->state != DEV_RUNNING)
			return;
		if (io->not_before > now)
			continue;
		p = pick_path(dev, io->len, io->pref_path);
		if (!p)
			break;
		io_send(dev, p, io);
		/* io_send may have failed a path and completed things: restart. */
		tmp = dev->retry.next;
		if (tmp == n)
			break;
	}
	while (dev->state == DEV_RUNNING && !list_empty(&dev->reqs) &&
	       !list_empty(&dev->free_ios)) {
		struct bdev_req *req = list_entry(dev->reqs.next, struct bdev_req, node);
		struct path_io *io;
		struct path *p;

		if (R_ERR(req) || R_FLAGS(req) & RF_CUT) {
			list_del(&req->node);
			R_FLAGS(req) &= ~(uint64_t)RF_QUEUED;
			R_FLAGS(req) |= RF_CUT;
			req_maybe_done(dev, req);
			continue;
		}
		p = pick_path(dev, next_piece_bytes(dev, req), -1);
		if (!p)
			break;
		io = list_entry(list_pop(&dev->free_ios), struct path_io, node);
		io->req = req;
		R_OUT(req)++;
		cut_piece(dev, req, io);
		if (R_FLAGS(req) & RF_CUT) {
			list_del(&req->node);
			R_FLAGS(req) &= ~(uint64_t)RF_QUEUED;
		}
		if (io->held_err) {
			list_add_tail(&dev->retry, &io->node);
			io_complete(io, io->held_err);
			continue;
		}
		list_add_tail(&dev->retry, &io->node);
		io_send(dev, p, io);
	}
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

	if (!dev->ready) {
		uint32_t bs = pi->logical_block_size;
		uint64_t rw = dev->cfg.max_io_bytes;

		if (bs == 0 || (dev->zero_block = calloc(1, bs)) == NULL) {
			path_fail(p, "cannot adopt LUN (block size %u)", bs);
			return;
		}
		*di = *pi;
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
	p->backoff_ms = dev->cfg.reconnect_min_ms;
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
		log_err("%s: no path for %u ms: failing I/O until a path returns", dev->name,
			dev->cfg.no_path_retry_ms);
		dev->no_path_failing = true;
		fail_waiting(dev, -EIO);
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
			sessions |= dev->paths[i].sess != NULL;
		if (!sessions) {
			dev->state = DEV_STOPPED;
			ev_idle_stop(dev->loop, &dev->idle);
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
	double due, after;

	if (dev->state == DEV_STOPPED)
		return;
	due = pd_next_due(dev);
	/* Only an earlier deadline re-arms; an early wakeup re-arms for the rest. */
	if (due == 0 || (ev_is_active(&dev->timer) && dev->timer_due <= due))
		return;
	ev_timer_stop(dev->loop, &dev->timer);
	dev->timer_due = due;
	after = due - pd_now(dev);
	ev_timer_set(&dev->timer, after > 0 ? after + 0.0005 : 0, 0);
	ev_timer_start(dev->loop, &dev->timer);
}

void path_device_poll(struct path_device *dev)
{
	double now;

	if (dev->in_poll || dev->state == DEV_NEW || dev->state == DEV_STOPPED)
		return;
	dev->in_poll = true;
	ev_idle_stop(dev->loop, &dev->idle);
	now = pd_now(dev);
	for (unsigned int i = 0; i < dev->npaths; i++)
		path_check(&dev->paths[i], now);
	pd_dispatch(dev, now);
	pd_check(dev, now);
	if (dev->state != DEV_STOPPED) {
		for (unsigned int i = 0; i < dev->npaths; i++)
			path_arm_timer(&dev->paths[i]);
		pd_arm_timer(dev);
	}
	dev->in_poll = false;
}

/* ---- the bdev interface ---- */

static int pd_submit(struct bdev *bd, struct bdev_req *req)
{
	struct path_device *dev = bd->impl;
	const struct bdev_info *info = &bd->info;
	uint64_t end;

	if (dev->state != DEV_RUNNING)
		return -ESHUTDOWN;
	if (!dev->ready)
		return -ENOTCONN;
	if (!req || !req->done)
		return -EINVAL;
	switch (req->op) {
	case BDEV_OP_READ:
	case BDEV_OP_WRITE:
		if (!req->buf)
			return -EINVAL;
		/* fallthrough */
	case BDEV_OP_DISCARD:
	case BDEV_OP_WRITE_ZEROES:
		if (req->len == 0 || req->len > BDEV_MAX_REQ_BYTES ||
		    req->offset % info->logical_block_size || req->len % info->logical_block_size)
			return -EINVAL;
		if (add_overflow(req->offset, (uint64_t)req->len, &end) || end > info->size_bytes)
			return -ERANGE;
		break;
	case BDEV_OP_FLUSH:
		break;
	default:
		return -EINVAL;
	}
	req->impl = dev;
	R_CUT(req) = 0;
	R_OUT(req) = 0;
	R_ERR(req) = 0;
	R_FLAGS(req) = RF_QUEUED;
	list_add_tail(&dev->reqs, &req->node);
	dev->live_reqs++;
	pd_kick(dev);
	return 0;
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

static int dup_mem(uint8_t **dst, const uint8_t *src, size_t len)
{
	*dst = NULL;
	if (!src || !len)
		return 0;
	*dst = malloc(len);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, len);
	return 0;
}

#define DEFAULT(f, v)                                                                              \
	do {                                                                                       \
		if (!c->f)                                                                         \
			c->f = (v);                                                                \
	} while (0)

struct path_device *path_device_new(struct ev_loop *loop, const struct path_device_config *cfg)
{
	struct path_device *dev;
	struct path_device_config *c;
	char *ifnames[PATH_MAX_PATHS] = {0};
	int r = 0;

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
	r |= dup_str(&dev->name, cfg->name ? cfg->name : "dev");
	r |= dup_str(&dev->initiator_name, cfg->initiator_name);
	r |= dup_str(&dev->initiator_alias, cfg->initiator_alias);
	r |= dup_str(&dev->target_name, cfg->target_name);
	r |= dup_str(&dev->chap_user, cfg->chap_user);
	r |= dup_str(&dev->mutual_user, cfg->mutual_user);
	r |= dup_mem(&dev->chap_secret, cfg->chap_secret, cfg->chap_secret_len);
	r |= dup_mem(&dev->mutual_secret, cfg->mutual_secret, cfg->mutual_secret_len);
	for (unsigned int i = 0; i < cfg->npaths; i++)
		r |= dup_str(&ifnames[i], cfg->paths[i].bind_ifname);
	c->name = dev->name;
	c->initiator_name = dev->initiator_name;
	c->initiator_alias = dev->initiator_alias;
	c->target_name = dev->target_name;
	c->chap_user = dev->chap_user;
	c->mutual_user = dev->mutual_user;
	c->chap_secret = dev->chap_secret;
	c->mutual_secret = dev->mutual_secret;
	for (unsigned int i = 0; i < cfg->npaths; i++) {
		c->paths[i].bind_ifname = ifnames[i];
		c->paths[i].name = NULL;
	}
	DEFAULT(nop_interval_ms, 1000);
	DEFAULT(nop_timeout_ms, 3000);
	DEFAULT(cmd_timeout_ms, 30000);
	DEFAULT(no_path_retry_ms, 15000);
	DEFAULT(reconnect_min_ms, 250);
	DEFAULT(reconnect_max_ms, 10000);
	DEFAULT(login_timeout_ms, 15000);
	DEFAULT(stop_timeout_ms, 3000);
	DEFAULT(max_inflight, 64);
	DEFAULT(max_io_bytes, 1u << 20);
	DEFAULT(retry_max, 5);
	DEFAULT(retry_backoff_ms, 10);
	if (c->reconnect_max_ms < c->reconnect_min_ms)
		c->reconnect_max_ms = c->reconnect_min_ms;

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
	for (unsigned int i = 0; i < dev->nios; i++) {
		dev->ios[i].dev = dev;
		list_add_tail(&dev->free_ios, &dev->ios[i].node);
	}
	dev->bd.ops = &pd_bdev_ops;
	dev->bd.impl = dev;
	ev_idle_init(&dev->idle, pd_idle_cb);
	ev_set_priority(&dev->idle, EV_MAXPRI);
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
	dev->state = DEV_RUNNING;
	dev->no_path_since = pd_now(dev);
	log_info("%s: starting: %s LUN %llu over %u path%s, %s policy", dev->name,
		 dev->cfg.target_name, (unsigned long long)dev->cfg.lun, dev->npaths,
		 dev->npaths == 1 ? "" : "s", path_policy_name(dev->pol.cfg.kind));
	for (unsigned int i = 0; i < dev->npaths; i++) {
		const struct path_config *pc = &dev->cfg.paths[i];

		if (!dev->linkmon && (pc->bind_ifname || pc->bind_addr.ss_family != AF_UNSPEC)) {
			dev->linkmon = path_linkmon_new(dev->loop, dev);
			if (!dev->linkmon)
				log_warn("%s: no link monitor (%s): link loss is caught by "
					 "timeouts only",
					 dev->name, strerror(errno));
		}
	}
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
		dev->state = DEV_STOPPED;
		if (dev->cfg.on_stopped)
			dev->cfg.on_stopped(dev, dev->cfg.opaque);
		return;
	}
	if (dev->state != DEV_RUNNING)
		return;
	log_info("%s: stopping (%u requests in flight)", dev->name, dev->live_reqs);
	dev->state = DEV_STOPPING;
	dev->stop_deadline = pd_now(dev) + dev->cfg.stop_timeout_ms / 1000.0;
	fail_waiting(dev, -ESHUTDOWN);
	while (!list_empty(&dev->held))
		io_complete(list_entry(dev->held.next, struct path_io, node), -ESHUTDOWN);
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
	path_linkmon_free(dev->linkmon);
	dev->linkmon = NULL;
	for (unsigned int i = 0; i < dev->npaths; i++)
		path_release(&dev->paths[i]);
	if (dev->loop) {
		ev_idle_stop(dev->loop, &dev->idle);
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
	free(dev->chap_user);
	free(dev->mutual_user);
	if (dev->chap_secret)
		explicit_bzero(dev->chap_secret, dev->cfg.chap_secret_len);
	if (dev->mutual_secret)
		explicit_bzero(dev->mutual_secret, dev->cfg.mutual_secret_len);
	free(dev->chap_secret);
	free(dev->mutual_secret);
	free(dev);
}

struct bdev *path_device_bdev(struct path_device *dev)
{
	return &dev->bd;
}

bool path_device_ready(const struct path_device *dev)
{
	return dev->ready;
}

unsigned int path_device_npaths(const struct path_device *dev)
{
	return dev->npaths;
}

void path_device_path_status(const struct path_device *dev, unsigned int idx,
			     struct path_status *out)
{
	const struct path *p;

	memset(out, 0, sizeof(*out));
	if (idx >= dev->npaths)
		return;
	p = &dev->paths[idx];
	snprintf(out->name, sizeof(out->name), "%s", p->name);
	out->state = p->state;
	snprintf(out->reason, sizeof(out->reason), "%s", p->reason);
	out->since = p->since;
	memcpy(out->isid, p->isid, 6);
	out->ios = p->ios;
	out->bytes = p->bytes;
	out->errors = p->errors;
	out->failures = p->failures;
	out->retries = p->retries;
	out->inflight_cmds = p->pol.inflight_cmds;
	out->inflight_bytes = p->pol.inflight_bytes;
	out->latency_ewma = p->latency_ewma;
	out->throughput = p->pol.throughput;
	out->fence_pending = p->taint_epoch > p->fenced_epoch;
}

int path_device_set_enabled(struct path_device *dev, unsigned int idx, bool on)
{
	struct path *p;

	if (idx >= dev->npaths)
		return -EINVAL;
	p = &dev->paths[idx];
	if (p->enabled == on)
		return 0;
	p->enabled = on;
	if (dev->state != DEV_RUNNING)
		return 0;
	if (on) {
		p->reconnect_at = 0;
		path_connect(p);
	} else {
		path_stop(p);
		path_set_state(p, PATH_DISABLED, "disabled by the administrator");
		pd_regroup(dev);
	}
	pd_kick(dev);
	return 0;
}

void path_device_failback(struct path_device *dev)
{
	path_policy_request_failback(&dev->pol);
	pd_regroup(dev);
}

void path_device_fail_path(struct path_device *dev, unsigned int idx, const char *why)
{
	if (idx < dev->npaths)
		path_fail(&dev->paths[idx], "%s", why ? why : "failed by request");
}
