/*
 * The export's stop sequence (export_int.h): the front ends close, then
 * (attach) the kernel's dirty pages are written back and the LUN's cache
 * flushed before the DISCONNECT, then the paths log out; every step is
 * bounded by the stop timer.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ctl.h"
#include "cli/daemon.h"
#include "cli/export.h"
#include "cli/export_int.h"
#include "cli/lunlock.h"
#include "cli/inuse.h"
#include "cli/status.h"
#include "nbd/bufpool.h"
#include "nbd/geometry.h"
#include "nbd/listen.h"
#include "nbd/netlink.h"
#include "nbd/proto.h"
#include "nbd/server.h"
#include "scsi/spc.h"
#include "util/log.h"
#include "util/statecheck.h"

/*
 * The write-back thread's state. Static, not in struct export: when the
 * write-back overruns its bound the stop goes on without it, and the
 * thread (blocked on I/O until the DISCONNECT fails it) may outlive the
 * export. One export per process.
 */
static struct {
	char disk[32];
	struct ev_loop *loop;
	ev_async done; /* data: the export, while the loop runs it */
	int err;
	char why[600];
} wb;

/* ---- stop sequence: front ends -> flush -> paths ---- */

void export_dev_stopped_cb(struct path_device *dev, void *opaque)
{
	export_finish(opaque);
}

void export_stop_device(struct export *e)
{
	if (e->dev_stopping)
		return;
	if (!e->dev) {
		e->dev_stopping = true;
		export_finish(e);
		return;
	}
	/* Detach gives the LUN back (iscsi-nbd.8 EXCLUSIVE ACCESS): RELEASE and
	 * unregister every live path first; PATH_RESV_EV_RELEASED continues. */
	if (!e->resv_left) {
		e->resv_left = true;
		if (path_device_resv_leave(e->dev) > 0)
			return;
	}
	e->dev_stopping = true;
	path_device_stop(e->dev);
}

static void flush_done_cb(struct bdev_req *req, int err)
{
	struct export *e = req->opaque;

	if (err) {
		log_err("%s: final SYNCHRONIZE CACHE failed: %s; data the LUN had cached may be "
			"lost",
			e->name, strerror(-err));
		if (!e->exit_code)
			e->exit_code = CLI_EXIT_IO;
	}
	export_stop_device(e);
}

/* All front ends are closed: write back the LUN's cache, then stop the paths. */
void export_frontends_closed(struct export *e)
{
	if (e->state != EX_STOPPING || e->flush_sent)
		return;
	e->flush_sent = true;
	/* Never exported (refused at start, a LUN another host holds): nothing
	 * was written, and no path may be left to carry a flush. */
	if (e->ran && e->dev && path_device_ready(e->dev) &&
	    path_device_bdev(e->dev)->info.write_cache) {
		e->flush_req =
			(struct bdev_req){.op = BDEV_OP_FLUSH, .done = flush_done_cb, .opaque = e};
		if (bdev_submit(path_device_bdev(e->dev), &e->flush_req) == 0)
			return;
	}
	export_stop_device(e);
}

bool export_frontends_open(const struct export *e)
{
	/* A netlink thread still running writes into e: wait for it too. */
	if (e->nconns_open || e->nl_busy || e->resize_busy)
		return true;
	return e->listener && nbdsrv_listen_nclients(e->listener) > 0;
}

void export_stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct export *e = container_of(w, struct export, stop_timer);

	log_err("%s: stop did not complete within %u ms; exiting anyway", e->name,
		e->cfg->stop_timeout_ms);
	if (!e->exit_code)
		e->exit_code = CLI_EXIT_IO;
	export_finish(e);
}

static void nl_disconnect_done(struct nbdnl_async *a, int err, uint32_t index)
{
	struct export *e = a->opaque;

	e->nl_busy = false;
	if (err)
		log_warn("%s: netlink DISCONNECT: %s", e->name, strerror(-err));
	/* The kernel sends NBD_CMD_DISC on every socket: the conns close themselves. */
	if (!export_frontends_open(e))
		export_frontends_closed(e);
}

/* Netlink DISCONNECT (kernel mode) and close every front end. */
static void export_disconnect(struct export *e)
{
	if (e->kernel_bound && !e->nl_busy) {
		struct nbdnl_config nc = {.index = (int32_t)e->index};

		if (nbdnl_async_start(&e->nl_req, e->loop, NBDNL_ASYNC_DISCONNECT, &nc,
				      nl_disconnect_done, e) == 0)
			e->nl_busy = true;
		else
			log_warn("%s: could not start netlink DISCONNECT", e->name);
	}
	if (!e->nl_busy)
		export_kernel_shutdown(e);
	if (!export_frontends_open(e))
		export_frontends_closed(e);
}

/* ---- kernel mode stop: write-back -> SYNCHRONIZE CACHE -> DISCONNECT ---- */

/* Data may be lost: exit 5, unless an earlier failure already set the code. */
static void export_io_failed(struct export *e)
{
	if (!e->exit_code)
		e->exit_code = CLI_EXIT_IO;
}

static const char *const wb_state_names[] = {
	[WB_IDLE] = "idle",
	[WB_SYNCING] = "syncing",
	[WB_FLUSHING] = "flushing",
	[WB_DONE] = "done",
};

/*
 * Legal transitions, from the code as it is: the write-back starts
 * (IDLE -> SYNCING), then the LUN is flushed (SYNCING -> FLUSHING; at once
 * when the thread cannot start), then the stop goes on (DONE), or the
 * bound passes first (SYNCING or FLUSHING -> DONE). DONE is terminal.
 */
#define ST_BIT(st) (1u << (st))
static const unsigned int wb_legal[] = {
	[WB_IDLE] = ST_BIT(WB_SYNCING),
	[WB_SYNCING] = ST_BIT(WB_FLUSHING) | ST_BIT(WB_DONE),
	[WB_FLUSHING] = ST_BIT(WB_DONE),
	[WB_DONE] = 0,
};
_Static_assert(ARRAY_SIZE(wb_legal) == ARRAY_SIZE(wb_state_names), "a row per state");

/* The one place the write-back changes state: checked (debug builds), logged at debug level. */
static void wb_set_state(struct export *e, enum export_wb_state st)
{
	STATE_CHECK(wb_legal[e->wb_state] & ST_BIT(st), e->name, wb_state_names[e->wb_state],
		    wb_state_names[st]);
	dbg(LOG_SUB_NBD, "%s: write-back %s -> %s", e->name, wb_state_names[e->wb_state],
	    wb_state_names[st]);
	e->wb_state = st;
}

static void wb_finish(struct export *e)
{
	if (e->wb_state == WB_DONE)
		return;
	wb_set_state(e, WB_DONE);
	ev_timer_stop(e->loop, &e->wb_timer);
	export_disconnect(e);
}

static void preflush_done_cb(struct bdev_req *req, int err)
{
	struct export *e = req->opaque;

	if (e->wb_state != WB_FLUSHING)
		return; /* too late: the bound passed and the stop went on */
	if (err) {
		log_err("%s: SYNCHRONIZE CACHE before the disconnect of %s failed: %s; data the "
			"LUN had cached may be lost",
			e->name, e->devpath, strerror(-err));
		export_io_failed(e);
	}
	wb_finish(e);
}

/* The kernel's cache is written back: now the LUN's (SBC-4 5.24, SYNC NV = 0). */
static void wb_flush_lun(struct export *e)
{
	wb_set_state(e, WB_FLUSHING);
	if (path_device_bdev(e->dev)->info.write_cache) {
		e->preflush_req = (struct bdev_req){
			.op = BDEV_OP_FLUSH, .done = preflush_done_cb, .opaque = e};
		if (bdev_submit(path_device_bdev(e->dev), &e->preflush_req) == 0)
			return;
		log_err("%s: cannot send SYNCHRONIZE CACHE before the disconnect", e->name);
		export_io_failed(e);
	}
	wb_finish(e);
}

static void wb_async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct export *e = w->data;

	if (e->wb_state != WB_SYNCING)
		return;
	if (wb.err) {
		log_err("%s: write-back before the disconnect failed: %s; data not yet on the "
			"LUN is lost",
			e->name, wb.why);
		export_io_failed(e);
	}
	wb_flush_lun(e);
}

static void wb_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct export *e = container_of(w, struct export, wb_timer);

	log_err("%s: write-back and flush of %s did not finish within %u ms; disconnecting "
		"anyway: data not yet on the LUN is lost",
		e->name, e->devpath, e->cfg->stop_timeout_ms / 2);
	export_io_failed(e);
	wb_finish(e);
}

/* Blocks on the device's I/O, which the loop thread keeps serving. */
static void *wb_thread(void *arg)
{
	struct inuse in;

	(void)arg;
	if (inuse_scan_passive("", wb.disk, &in) < 0)
		in.n = 0;
	wb.err = inuse_flush(wb.disk, &in, wb.why, sizeof(wb.why));
	ev_async_send(wb.loop, &wb.done);
	return NULL;
}

static bool export_path_up(const struct export *e)
{
	unsigned int i, n = path_device_npaths(e->dev);
	struct path_status ps;

	for (i = 0; i < n; i++) {
		path_device_path_status(e->dev, i, &ps);
		if (ps.state == PATH_ACTIVE || ps.state == PATH_STANDBY)
			return true;
	}
	return false;
}

/*
 * Before the DISCONNECT, which fails every request still queued: write
 * back what the kernel caches for the device (mounted filesystems
 * included: they stay mounted and get I/O errors afterwards, which is
 * why detach refuses a device in use) and flush the LUN's cache. Bounded
 * by half the stop timeout so that the DISCONNECT and the logouts always
 * have time; with no path up there is nothing to wait for.
 */
static void export_writeback(struct export *e)
{
	struct inuse in;
	pthread_attr_t attr;
	pthread_t th;
	char users[1024];
	int err;

	if (!e->dev || !path_device_ready(e->dev)) {
		export_disconnect(e);
		return;
	}
	/* Passive: the loop thread must not open the device it serves. */
	if (inuse_scan_passive("", e->devpath + 5, &in) == 0 && in.n) {
		inuse_format(&in, users, sizeof(users));
		log_warn("%s: stopping while %s is in use (%s): writing it back first; what is "
			 "written to it after the disconnect fails",
			 e->name, e->devpath, users);
	}
	if (!export_path_up(e)) {
		log_err("%s: no path is up: cannot write back %s before the disconnect; data not "
			"yet on the LUN may be lost",
			e->name, e->devpath);
		export_io_failed(e);
		export_disconnect(e);
		return;
	}
	snprintf(wb.disk, sizeof(wb.disk), "%s", e->devpath + 5);
	wb.loop = e->loop;
	wb.err = 0;
	ev_timer_set(&e->wb_timer, e->cfg->stop_timeout_ms / 2000., 0.);
	ev_timer_start(e->loop, &e->wb_timer);
	wb_set_state(e, WB_SYNCING);
	/* A small stack: with mlockall(MCL_FUTURE) all of it is locked at once. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256u << 10);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&th, &attr, wb_thread, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		log_err("%s: cannot start the write-back thread: %s; flushing the LUN only",
			e->name, strerror(err));
		export_io_failed(e); /* what the kernel caches is not written back */
		wb_flush_lun(e);
	}
}

void export_stop(struct export *e, int exit_code)
{
	if (e->state == EX_STOPPING || e->state == EX_DONE)
		return;
	if (exit_code && !e->exit_code)
		e->exit_code = exit_code;
	export_set_state(e, EX_STOPPING);
	daemon_stopping();
	ev_timer_set(&e->stop_timer, e->cfg->stop_timeout_ms / 1000., 0.);
	ev_timer_start(e->loop, &e->stop_timer);
	ev_timer_stop(e->loop, &e->start_timer);
	ev_timer_stop(e->loop, &e->rescan_timer);

	if (e->listener)
		nbdsrv_listen_stop(e->listener);
	if (e->kernel_bound && !e->nl_busy && e->wb_state == WB_IDLE)
		export_writeback(e);
	else
		export_disconnect(e);
}

/* The write-back watchers; ready before any stop, the write-back thread signals wb.done. */
void export_wb_start(struct export *e)
{
	ev_timer_init(&e->wb_timer, wb_timer_cb, 0., 0.);
	ev_async_init(&wb.done, wb_async_cb);
	wb.done.data = e;
	ev_async_start(e->loop, &wb.done);
}

void export_wb_stop(struct export *e)
{
	/* A write-back thread still blocked may signal it later: harmless once stopped. */
	ev_async_stop(e->loop, &wb.done);
}
