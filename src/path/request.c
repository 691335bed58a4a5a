/*
 * Requests of a struct path_device: accepted, cut into pieces at the LUN's
 * limits, sent on the paths the selector picks, classified when they come
 * back (done / retry / another path / error), held for the ghost-write
 * fence, completed exactly once. See device.h; the device's life cycle,
 * grouping and timers are in device.c, a request's bounds (deadline,
 * re-send budget, write barrier) in deadline.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "path/internal.h"
#include "path/verdict.h"
#include "scsi/classify.h"
#include "scsi/sam.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "util/log.h"

/* ---- request completion ---- */

static void req_maybe_done(struct path_device *dev, struct bdev_req *req)
{
	int err;

	if (req->priv.pieces || !(req->priv.flags & RF_CUT || req->priv.err))
		return;
	if (req->priv.flags & RF_QUEUED)
		list_del(&req->priv.node);
	list_del(&req->priv.live_node);
	req->priv.flags = 0;
	err = req->priv.err;
	dev->live_reqs--;
	req->priv.owner = NULL;
	req->done(req, err);
}

static void req_set_err(struct bdev_req *req, int err)
{
	if (err && !req->priv.err)
		req->priv.err = err;
}

/* For deadline.c. */
void pd_req_maybe_done(struct path_device *dev, struct bdev_req *req)
{
	req_maybe_done(dev, req);
}

void pd_req_set_err(struct bdev_req *req, int err)
{
	req_set_err(req, err);
}

/* Return the slot and account the piece to its request. */
void pd_io_complete(struct path_io *io, int err)
{
	struct path_device *dev = io->dev;
	struct bdev_req *req = io->req;

	list_del(&io->node);
	io->req = NULL;
	list_add_tail(&dev->free_ios, &io->node);
	req_set_err(req, err);
	req->priv.pieces--;
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
			pd_io_complete(io, err ? err : -ESHUTDOWN);
			return;
		}
		dbg(LOG_SUB_PATH, "%s: write at %llu finished (%d), held for the fence", dev->name,
		    (unsigned long long)io->offset, err);
		io->held_err = err;
		list_del(&io->node);
		list_add_tail(&dev->held, &io->node);
		return;
	}
	pd_io_complete(io, err);
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
			pd_io_complete(io, io->held_err);
			goto again;
		}
	}
	pd_kick(dev); /* writes behind the barrier may go now */
}

static void io_requeue(struct path_device *dev, struct path_io *io, double not_before, int pref)
{
	if (io->req->priv.flags & RF_EXPIRED) {
		/* Failed at a bound while it was out (pd_expire, re-send budget). */
		pd_io_fail_now(io, -EIO);
		return;
	}
	/* Past its deadline: the next poll's pd_expire fails it, with the reason. */
	list_del(&io->node);
	io->not_before = not_before;
	io->pref_path = pref;
	list_add_tail(&dev->retry, &io->node);
	pd_kick(dev);
	pd_arm_timer(dev);
}

/*
 * Re-send a piece after a failure of its path (why), within the budget:
 * a command re-sent io_retries times fails its request, so a target that
 * drops every session that carries it cannot keep it forever (the
 * deadline bounds the time, this the work).
 */
static void io_resend(struct path_device *dev, struct path_io *io, const struct path *p, double now,
		      const char *why)
{
	struct bdev_req *req = io->req;

	if (io->task.sent && ++io->resends > dev->cfg.io_retries &&
	    !(req->priv.flags & RF_EXPIRED)) {
		req->priv.flags |= RF_EXPIRED;
		req_set_err(req, -EIO);
		pd_req_log_fail(dev, req, now,
				"a command re-sent %u times after path failures (io_retries %u), "
				"failed again on %s: %s",
				io->resends - 1, dev->cfg.io_retries, p ? p->name : dev->name, why);
		dev->sweep_due = true; /* the next poll fails its other waiting pieces */
		pd_kick(dev);
	}
	io_requeue(dev, io, 0, -1);
}

/*
 * A piece fails for good: the request's one line (pd_req_log_once, shared with
 * deadline.c's pd_req_log_fail), rate-limited: the path, the request,
 * what happened to which of its pieces, and why. A request cut at the
 * LUN's limits or striped over paths often has every piece fail the same
 * way: the first says it for all.
 */
static void io_log_fail(struct path_device *dev, const struct path_io *io, const struct path *p,
			double now, const char *what, const char *why)
{
	struct bdev_req *req = io->req;

	if (!pd_req_log_once(req))
		return;
	log_rl_printf(&dev->io_rl, now, LOG_ERR, "%s: %s %llu+%u: %s at %llu len %u: %s",
		      p ? p->name : dev->name, pd_req_op_name(req->op),
		      (unsigned long long)req->offset, req->len, what,
		      (unsigned long long)io->offset, io->len, why);
}

/*
 * The command did not complete at the SCSI level: a Reject (the session
 * lives on: retried after a backoff), or a session that died or dropped
 * it (a path problem: re-sent, and a write that reached the socket may
 * still execute on the old session, so that path is fenced for it).
 */
static void task_not_done(struct path_device *dev, struct path_io *io, struct path *p, double now,
			  const struct sess_task *t)
{
	if (t->result == -EIO && dev->state == DEV_RUNNING) {
		/* The target rejected the PDU (Reject); the session lives on. */
		if (io->retries < dev->cfg.retry_max) {
			io->retries++;
			io_requeue(dev, io, now + dev->cfg.retry_backoff_ms / 1000.0, -1);
		} else {
			char what[48];

			/* The session logged each Reject with its reason; this
			 * is the line of the request that failed. */
			snprintf(what, sizeof(what), "giving up after %u retries", io->retries);
			io_log_fail(dev, io, p, now, what, "the target rejected the command");
			io_finish(io, -EIO);
		}
		return;
	}
	/* The session died or dropped the command: a path problem. A write
	 * that reached the socket may still execute on the old session. */
	if (p && io->is_write && t->sent) {
		io->fence_mask |= 1u << p->idx;
		io->fence_epoch[p->idx] = io->sent_epoch;
		path_taint(p, io->sent_epoch);
	}
	if (dev->state != DEV_RUNNING) {
		pd_io_complete(io, -ESHUTDOWN);
		return;
	}
	/* -ECONNABORTED / -ESHUTDOWN: the session is dying and reports it
	 * (with its reason) through on_state; anything else it survived. */
	if (p && p->sess && p->epoch == io->sent_epoch && t->result != -ECONNABORTED &&
	    t->result != -ESHUTDOWN)
		path_fail(p, "command failed: %s", strerror(-t->result));
	io_resend(dev, io, p, now, strerror(-t->result));
}

/*
 * A piece fails for good with a SCSI status: io_log_fail with the status
 * and sense (why), counted as an error of its path. A GOOD status that
 * failed (a short transfer) or one that means nothing (an iSCSI response
 * other than Command Completed, RFC 7143 11.4.2) is left out: why says it
 * all.
 */
static void task_fail(struct path_device *dev, struct path_io *io, struct path *p, double now,
		      const struct sess_task *t, int err, const char *what, const char *why)
{
	char line[176];

	if (t->response == 0 && t->status != SCSI_STATUS_GOOD)
		snprintf(line, sizeof(line), "%s %s", scsi_status_name(t->status), why);
	else
		snprintf(line, sizeof(line), "%s", why);
	io_log_fail(dev, io, p, now, what, line);
	if (p)
		p->errors++;
	io_finish(io, err);
}

/* A transient status: the same path again after a growing backoff, a bounded number of times. */
static void task_retry(struct path_device *dev, struct path_io *io, struct path *p, double now,
		       const struct sess_task *t, const char *why)
{
	char what[48];

	if (io->retries < dev->cfg.retry_max) {
		double backoff = dev->cfg.retry_backoff_ms / 1000.0 * (1u << MIN(io->retries, 10));

		io->retries++;
		if (p)
			p->retries++;
		dbg(LOG_SUB_PATH, "%s: retry %u at %llu: %s %s", p ? p->name : dev->name,
		    io->retries, (unsigned long long)io->offset, scsi_status_name(t->status), why);
		io_requeue(dev, io, now + backoff, p ? (int)p->idx : -1);
		return;
	}
	snprintf(what, sizeof(what), "giving up after %u retries", io->retries);
	task_fail(dev, io, p, now, t, -EIO, what, why);
}

/* An error no other path would answer differently: a reservation conflict or a medium error. */
static void task_hard(struct path_device *dev, struct path_io *io, struct path *p, double now,
		      const struct sess_task *t, int err, const char *why)
{
	if (t->status == SCSI_STATUS_RESERVATION_CONFLICT) {
		int h = io->is_write ? pd_resv_conflict_ours(dev, p) : PD_CONFLICT_OTHER;

		if (h == PD_CONFLICT_ASKING) {
			/* devresv.c asks who holds the LUN: pd_resv_wait_end. */
			list_del(&io->node);
			list_add_tail(&dev->resv_ask_ios, &io->node);
			return;
		}
		if (h >= 0 && io->retries < dev->cfg.retry_max) {
			/* Our own reservation, held by another of our
			 * nexuses, on a target that wants it to write. */
			io->retries++;
			io_requeue(dev, io, 0, h);
			return;
		}
		/* DESIGN.md: a host-level answer (someone holds or took the
		 * LUN), never a path failure; no other path would do better. */
		if (h != PD_CONFLICT_UNKNOWN)
			pd_resv_conflict(dev, p);
		io_finish(io, -EIO);
		return;
	}
	task_fail(dev, io, p, now, t, err ? err : -EIO, "I/O error", why);
}

void pd_resv_wait_end(struct path_device *dev, int via)
{
	/* A done callback may stop the device, which empties the list. */
	while (!list_empty(&dev->resv_ask_ios)) {
		struct path_io *io = list_entry(dev->resv_ask_ios.next, struct path_io, node);

		if (dev->state != DEV_RUNNING) {
			pd_io_complete(io, -ESHUTDOWN);
		} else if (via >= 0 && io->retries < dev->cfg.retry_max) {
			io->retries++;
			io_requeue(dev, io, 0, via);
		} else {
			io_finish(io, -EIO);
		}
	}
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
	if (t->result != 0) {
		task_not_done(dev, io, p, now, t);
		return;
	}
	v = path_task_verdict(t, &sense, &sp);
	if (t->response != 0)
		snprintf(why, sizeof(why), "iSCSI response 0x%02x", t->response);
	else if (v.cls != SCSI_CLASS_OK && sp)
		scsi_sense_format(sp, why, sizeof(why));
	if ((v.hints & SCSI_HINT_RESCAN) && p && dev->state == DEV_RUNNING)
		path_rescan(p);
	if (v.hints & SCSI_HINT_DEFERRED)
		log_rl_printf(&dev->io_rl, now, LOG_ERR,
			      "%s: deferred error reported: an earlier write may be lost: %s",
			      p ? p->name : dev->name, why);
	/* READ / WRITE CDBs name exactly EDTL bytes: an underflow is blocks not
	 * transferred. (Not for UNMAP: tgtd reports its parameter list unused.)
	 * A hard failure: task_fail's one line says why. */
	if (v.cls == SCSI_CLASS_OK && (t->dir == SESS_DIR_READ || io->req->op == BDEV_OP_WRITE) &&
	    t->residual_under && t->residual) {
		snprintf(why, sizeof(why), "short %s: %u bytes missing",
			 t->dir == SESS_DIR_READ ? "read" : "write", t->residual);
		v.cls = SCSI_CLASS_HARD;
		v.err = -EIO;
	}
	if (dev->state != DEV_RUNNING && v.cls != SCSI_CLASS_OK && v.cls != SCSI_CLASS_HARD) {
		pd_io_complete(io, -ESHUTDOWN);
		return;
	}
	switch (v.cls) {
	case SCSI_CLASS_OK:
		io_finish(io, 0);
		return;
	case SCSI_CLASS_RETRY:
		task_retry(dev, io, p, now, t, why);
		return;
	case SCSI_CLASS_PATH:
		if (p) {
			p->errors++;
			path_fail(p, "path error: %s %s", scsi_status_name(t->status), why);
		}
		io_resend(dev, io, p, now, why);
		return;
	case SCSI_CLASS_HARD:
		task_hard(dev, io, p, now, t, v.err, why);
		return;
	}
}

/* ---- cutting requests into pieces ---- */

static void cut_piece(struct path_device *dev, struct bdev_req *req, struct path_io *io)
{
	const struct bdev_info *info = &dev->bd.info;
	uint32_t bs = info->logical_block_size;
	uint64_t off = req->offset + req->priv.cut;
	uint32_t left = req->len - req->priv.cut;
	struct sess_task *t = &io->task;
	uint32_t n = 0;
	int r = -EINVAL;

	memset(t, 0, sizeof(*t));
	t->lun = dev->cfg.lun;
	t->done = pd_task_done;
	t->opaque = io;
	io->retries = 0;
	io->resends = 0;
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
		t->iov[0].iov_base = (uint8_t *)req->buf + req->priv.cut;
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
	req->priv.cut += n;
	if (req->op == BDEV_OP_FLUSH || req->priv.cut >= req->len)
		req->priv.flags |= RF_CUT;
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
	uint32_t left = req->len - req->priv.cut;
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

/*
 * Reentrant: a done callback may call path_device_stop(), which drains the
 * same lists; so always take the current head. While running this is the
 * no-path bound: writes held for a fence, or waiting to be re-sent with
 * one pending, complete now (the write barrier keeps later writes back
 * until the fence holds); returns how many of those writes in doubt there
 * were.
 */
unsigned int pd_fail_waiting(struct path_device *dev, int err)
{
	unsigned int doubt = 0;

	while (!list_empty(&dev->retry)) {
		struct path_io *io = list_entry(dev->retry.next, struct path_io, node);

		if (dev->state == DEV_RUNNING)
			doubt += pd_io_fail_now(io, err);
		else
			io_finish(io, err);
	}
	while (dev->state == DEV_RUNNING && !list_empty(&dev->held)) {
		struct path_io *io = list_entry(dev->held.next, struct path_io, node);

		doubt += pd_io_fail_now(io, io->held_err ? io->held_err : err);
	}
	while (!list_empty(&dev->reqs)) {
		struct bdev_req *req = list_entry(dev->reqs.next, struct bdev_req, priv.node);

		list_del(&req->priv.node);
		req->priv.flags = RF_CUT | (req->priv.flags & RF_LOGGED);
		req_set_err(req, err);
		req_maybe_done(dev, req);
	}
	return doubt;
}

void pd_dispatch(struct path_device *dev, double now)
{
	struct list_node *n, *tmp;

	bool barrier;

	if (dev->state != DEV_RUNNING || !dev->ready)
		return;
	pd_expire(dev, now);
	if (dev->state != DEV_RUNNING)
		return;
	if (dev->no_path_failing) {
		pd_fail_waiting(dev, -EIO);
		return;
	}
	barrier = pd_write_barrier(dev);
	list_for_each_safe(n, tmp, &dev->retry)
	{
		struct path_io *io = list_entry(n, struct path_io, node);
		struct path *p;

		if (dev->state != DEV_RUNNING)
			return;
		if (io->not_before > now || (barrier && io->is_write))
			continue;
		if (io->is_write && pd_write_refused(dev)) {
			/* Read-only export, or the LUN is another host's: never sent. */
			io_finish(io, pd_write_refused(dev));
			tmp = dev->retry.next;
			continue;
		}
		p = pd_pick_path(dev, io->is_write, io->len, io->pref_path);
		if (!p)
			break;
		io_send(dev, p, io);
		/* io_send may have failed a path and completed things: restart. */
		tmp = dev->retry.next;
		if (tmp == n)
			break;
	}
	/* In arrival order; behind the write barrier, writes wait and the
	 * others pass them. Whatever completes or fails a path may change
	 * the list (a done callback submits or stops): look again from the
	 * head then. */
	n = dev->reqs.next;
	while (dev->state == DEV_RUNNING && n != &dev->reqs && !list_empty(&dev->free_ios)) {
		struct bdev_req *req = list_entry(n, struct bdev_req, priv.node);
		struct path_io *io;
		struct path *p;

		if (req->priv.err || req->priv.flags & RF_CUT) {
			list_del(&req->priv.node);
			req->priv.flags &= ~RF_QUEUED;
			req->priv.flags |= RF_CUT;
			req_maybe_done(dev, req);
			n = dev->reqs.next;
			continue;
		}
		if (barrier && pd_req_is_write(req)) {
			n = n->next;
			continue;
		}
		p = pd_pick_path(dev, pd_req_is_write(req), next_piece_bytes(dev, req), -1);
		if (!p)
			break;
		io = list_entry(list_pop(&dev->free_ios), struct path_io, node);
		io->req = req;
		req->priv.pieces++;
		cut_piece(dev, req, io);
		if (req->priv.flags & RF_CUT) {
			list_del(&req->priv.node);
			req->priv.flags &= ~RF_QUEUED;
		}
		if (io->held_err) {
			list_add_tail(&dev->retry, &io->node);
			pd_io_complete(io, io->held_err);
			n = dev->reqs.next;
			continue;
		}
		list_add_tail(&dev->retry, &io->node);
		if (io->is_write && pd_write_refused(dev)) {
			/* Read-only export, or the LUN is another host's: never sent. */
			pd_io_complete(io, pd_write_refused(dev));
			n = dev->reqs.next;
			continue;
		}
		io_send(dev, p, io);
		n = dev->reqs.next;
		barrier = pd_write_barrier(dev);
	}
}

/* ---- the bdev interface ---- */

int pd_submit(struct bdev *bd, struct bdev_req *req)
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
	req->priv.owner = dev;
	req->priv.cut = 0;
	req->priv.pieces = 0;
	req->priv.err = 0;
	req->priv.flags = RF_QUEUED;
	req->priv.accepted = pd_now(dev);
	list_add_tail(&dev->reqs, &req->priv.node);
	list_add_tail(&dev->live, &req->priv.live_node);
	dev->live_reqs++;
	pd_kick(dev);
	return 0;
}
