/*
 * The bounds of a request (device.h "Bounds"): its deadline across every
 * retry, re-send, wait for a path and fence hold; the one line that says
 * why it failed; and the write barrier that keeps later writes back while
 * a write completed at a bound may still have a stale copy queued at the
 * target. The request life cycle itself is in request.c.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "path/internal.h"
#include "util/log.h"

/*
 * The write barrier (device.h "Bounds"): a write whose fence does not hold
 * yet was reported to the caller (failed at a bound, or done) before its
 * stale copy on a dead session was ended. The caller may now write the
 * same blocks again; that write must not reach the target before the
 * stale copy can no longer land. So while any path has such an epoch
 * unfenced, no write goes out on any path (reads and flushes do).
 */
bool pd_write_barrier(const struct path_device *dev)
{
	for (unsigned int i = 0; i < dev->npaths; i++)
		if (dev->paths[i].barrier_epoch > dev->paths[i].fenced_epoch)
			return true;
	return false;
}

/*
 * Complete a piece now, at a bound (deadline, re-send budget, no path),
 * whether or not its fence holds. If it does not, raise the write
 * barrier for the epochs it is still fenced for. Returns true if it was
 * such a write in doubt.
 */
bool pd_io_fail_now(struct path_io *io, int err)
{
	struct path_device *dev = io->dev;
	bool doubt = false;

	for (unsigned int i = 0; i < dev->npaths; i++) {
		struct path *p = &dev->paths[i];

		if (!(io->fence_mask & (1u << i)) || path_fenced(p, io->fence_epoch[i]))
			continue;
		doubt = true;
		if (p->barrier_epoch < io->fence_epoch[i]) {
			p->barrier_epoch = io->fence_epoch[i];
			dbg(LOG_SUB_PATH,
			    "%s: write at %llu completes before the fence: writes wait for it",
			    p->name, (unsigned long long)io->offset);
		}
	}
	pd_io_complete(io, err);
	return doubt;
}

const char *pd_req_op_name(enum bdev_op op)
{
	switch (op) {
	case BDEV_OP_READ:
		return "READ";
	case BDEV_OP_WRITE:
		return "WRITE";
	case BDEV_OP_FLUSH:
		return "FLUSH";
	case BDEV_OP_DISCARD:
		return "DISCARD";
	case BDEV_OP_WRITE_ZEROES:
		return "WRITE_ZEROES";
	}
	return "?";
}

bool pd_req_is_write(const struct bdev_req *req)
{
	return req->op == BDEV_OP_WRITE || req->op == BDEV_OP_DISCARD ||
	       req->op == BDEV_OP_WRITE_ZEROES;
}

/* The one line that says a request failed at a bound, and why (request.c
 * has the one for a failure with a SCSI status; pd_req_log_once: whichever comes
 * first). */
void pd_req_log_fail(struct path_device *dev, struct bdev_req *req, double now, const char *fmt,
		     ...)
{
	char why[320];
	va_list ap;

	if (!pd_req_log_once(req))
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_rl_printf(&dev->io_rl, now, LOG_ERR, "%s: %s %llu+%u failed with EIO after %.1f s: %s",
		      dev->name, pd_req_op_name(req->op), (unsigned long long)req->offset, req->len,
		      now - req->priv.accepted, why);
}

/* Where a request's pieces are, for its failure line. */
static void req_where(const struct path_device *dev, const struct bdev_req *req, double now,
		      char *buf, size_t len)
{
	const struct list_node *n;

	for (unsigned int i = 0; i < dev->nios; i++) {
		const struct path_io *io = &dev->ios[i];

		if (io->req == req && io->path) {
			snprintf(buf, len, "a command outstanding on %s for %.1f s (%u re-sends)",
				 io->path->name, now - io->sent_at, io->resends);
			return;
		}
	}
	list_for_each(n, &dev->held)
	{
		const struct path_io *io = list_entry(n, const struct path_io, node);

		if (io->req != req)
			continue;
		for (unsigned int i = 0; i < dev->npaths; i++)
			if (io->fence_mask & (1u << i) &&
			    !path_fenced(&dev->paths[i], io->fence_epoch[i])) {
				snprintf(buf, len, "held for the ghost-write fence of %s",
					 dev->paths[i].name);
				return;
			}
	}
	list_for_each(n, &dev->retry)
	{
		const struct path_io *io = list_entry(n, const struct path_io, node);

		if (io->req == req) {
			snprintf(buf, len, "waiting to be re-sent (%u re-sends, %u retries)%s",
				 io->resends, io->retries,
				 pd_req_is_write(req) && pd_write_barrier(dev)
					 ? ", writes wait for a fence"
					 : ", no usable path");
			return;
		}
	}
	snprintf(buf, len, "not sent yet (%s)",
		 pd_req_is_write(req) && pd_write_barrier(dev) ? "writes wait for a fence"
							       : "no usable path");
}

/*
 * Complete what is waiting of the expired requests: pieces waiting to be
 * (re)sent, pieces held for a fence, the part not cut yet. Their
 * outstanding pieces fail when they come back (io_requeue).
 */
static void pd_sweep(struct path_device *dev)
{
	struct list_node *n;

	/* A done callback may submit, or stop the device (which drains these
	 * lists): look again from the head after every completion. */
again:
	if (dev->state != DEV_RUNNING)
		return;
	list_for_each(n, &dev->retry)
	{
		struct path_io *io = list_entry(n, struct path_io, node);

		if (io->req->priv.flags & RF_EXPIRED) {
			pd_io_fail_now(io, -EIO);
			goto again;
		}
	}
	list_for_each(n, &dev->held)
	{
		struct path_io *io = list_entry(n, struct path_io, node);

		if (io->req->priv.flags & RF_EXPIRED) {
			pd_io_fail_now(io, io->held_err);
			goto again;
		}
	}
	list_for_each(n, &dev->reqs)
	{
		struct bdev_req *req = list_entry(n, struct bdev_req, priv.node);

		if (req->priv.flags & RF_EXPIRED) {
			list_del(&req->priv.node);
			req->priv.flags &= ~RF_QUEUED;
			req->priv.flags |= RF_CUT;
			pd_req_maybe_done(dev, req);
			goto again;
		}
	}
}

/* The earliest deadline of a request not yet failed by it, 0 if none. */
double pd_deadline_due(const struct path_device *dev)
{
	const struct list_node *n;

	list_for_each(n, &dev->live)
	{
		const struct bdev_req *req = list_entry(n, const struct bdev_req, priv.live_node);

		if (!(req->priv.flags & RF_EXPIRED))
			return req->priv.accepted + dev->cfg.io_timeout_ms / 1000.0;
	}
	return 0;
}

/*
 * Fail every request past its deadline (io_timeout_ms after it arrived):
 * the live list is in arrival order, so in deadline order too. A piece
 * still outstanding on a session cannot be given back while that session
 * may still read or fill its buffer: its path is failed (the session
 * closed), which returns the command here at once. The one timer of the
 * device wakes for the earliest deadline (pd_next_due); no timer per I/O.
 */
void pd_expire(struct path_device *dev, double now)
{
	double limit = dev->cfg.io_timeout_ms / 1000.0;
	uint32_t fail_paths = 0;
	bool any = false;
	struct list_node *n;

	if (dev->state != DEV_RUNNING)
		return;
	list_for_each(n, &dev->live)
	{
		struct bdev_req *req = list_entry(n, struct bdev_req, priv.live_node);
		char where[200];

		if (req->priv.accepted + limit > now)
			break;
		if (req->priv.flags & RF_EXPIRED) {
			any = true;
			continue;
		}
		req_where(dev, req, now, where, sizeof(where));
		req->priv.flags |= RF_EXPIRED;
		pd_req_set_err(req, -EIO);
		pd_req_log_fail(dev, req, now, "deadline passed (io_timeout %u ms): %s",
				dev->cfg.io_timeout_ms, where);
		any = true;
		for (unsigned int i = 0; i < dev->nios; i++)
			if (dev->ios[i].req == req && dev->ios[i].path)
				fail_paths |= 1u << dev->ios[i].path->idx;
	}
	for (unsigned int i = 0; i < dev->npaths && dev->state == DEV_RUNNING; i++)
		if (fail_paths & (1u << i))
			path_fail(&dev->paths[i], "a request passed its deadline with a command "
						  "outstanding here");
	if (any || dev->sweep_due) {
		dev->sweep_due = false;
		pd_sweep(dev);
	}
}
