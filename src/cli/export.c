/*
 * The running export (see export.h): wires a path_device to the NBD
 * transmission engine, the kernel bridge or the NBD listener, the control
 * socket and the signals. One thread runs the loop; the only other thread
 * is the one nbdnl_async starts for a netlink request that may block on
 * the kernel's queue freeze.
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

#define EXPORT_QUEUE_DEPTH 128

/*
 * Request buffers, all allocated (and, in attach mode, locked) at start:
 * 4K-256K requests are the common case; the kernel sends up to
 * max_sectors_kb (1280 KiB by default) and clients of the server may send
 * up to 32 MiB. When a class runs dry the connection stops reading
 * (backpressure) instead of allocating: 96 MiB in all.
 */
static const struct nbdsrv_bufclass export_buf_classes[] = {
	{.size = 256u << 10, .count = 128},
	{.size = 2u << 20, .count = 16},
	{.size = NBDSRV_MAX_PAYLOAD, .count = 1},
};

enum export_state {
	EX_STARTING, /* paths logging in / LUN being probed */
	EX_BINDING,  /* netlink CONNECT / RECONFIGURE in flight */
	EX_RUNNING,
	EX_STOPPING, /* front ends closing, then flush, then paths */
	EX_DONE,
};

static const char *const export_state_names[] = {
	[EX_STARTING] = "starting", [EX_BINDING] = "binding", [EX_RUNNING] = "running",
	[EX_STOPPING] = "stopping", [EX_DONE] = "done",
};

/* clang-format 14 takes C's "export" for C++'s keyword. */
/* clang-format off */
struct export {
	/* clang-format on */
	struct export_config *cfg;
	struct ev_loop *loop;
	enum export_state state;
	int exit_code;
	char name[64];
	char devpath[32];

	struct path_device *dev;
	ev_prepare coalesce; /* sets the I/O collect interval from the queue depth */
	struct nbdsrv_export ex;
	struct nbdsrv_bufpool *pool;

	/* Kernel mode. */
	struct nbdsrv_conn *conns[NBDNL_MAX_SOCKS];
	int kfds[NBDNL_MAX_SOCKS];
	int ufds[NBDNL_MAX_SOCKS]; /* our ends, owned by conns[]: only looked at */
	unsigned int nconns, nconns_open;
	struct nbdnl_async nl_req;
	bool nl_busy, kernel_bound, reattach;
	uint32_t index;
	struct nbdnl_monitor mon;
	bool mon_on;

	/* Server mode. */
	struct nbdsrv_listener *listener;

	/* Online growth (see export.h). */
	struct nbdnl_async resize_req;
	bool resize_busy;
	uint64_t resize_next; /* a size that came while a RECONFIGURE was in flight */
	ev_timer rescan_timer;

	struct ctl_server *ctl;
	ev_signal sig_term, sig_int;
	ev_timer start_timer, stop_timer;
	struct bdev_req flush_req;
	bool flush_sent, dev_stopping;

	/* Kernel mode stop, before the DISCONNECT: write-back, then a flush. */
	enum { WB_IDLE, WB_SYNCING, WB_FLUSHING, WB_DONE } wb_state;
	ev_timer wb_timer; /* bound on write-back + flush: half the stop timeout */
	struct bdev_req preflush_req;
	bool ran;	/* reached EX_RUNNING: there may be writes to flush */
	bool resv_left; /* detach released the reservation (or had none to release) */
	char resv[160]; /* the reservation as status shows it ("" = none) */
};

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

static void export_set_state(struct export *e, enum export_state st)
{
	if (e->state == st)
		return;
	log_info("%s: %s -> %s", e->name, export_state_names[e->state], export_state_names[st]);
	e->state = st;
}

static void export_stop(struct export *e, int exit_code);

/*
 * systemd STATUS= (daemon_status): the device and how many of its paths
 * are up, and which are not. Sent on every path state change and once
 * when ready, so `systemctl status` shows a cable pull as it happens.
 */
static void export_status_update(struct export *e)
{
	unsigned int i, n, up = 0;
	struct path_status ps;
	char down[256] = "";
	static char last[400]; /* one export per process */
	char line[sizeof(last)];
	size_t len = 0;

	/* Not before the device exists, nor while it is being freed. */
	if (!e->dev || e->state == EX_DONE)
		return;
	n = path_device_npaths(e->dev);
	for (i = 0; i < n; i++) {
		path_device_path_status(e->dev, i, &ps);
		if (ps.state == PATH_ACTIVE || ps.state == PATH_STANDBY)
			up++;
		else if (len < sizeof(down))
			len += (size_t)snprintf(down + len, sizeof(down) - len, "%s %s %s",
						len ? "," : ";", ps.name,
						path_state_name(ps.state));
	}
	snprintf(line, sizeof(line), "%s %s: %u/%u paths up%s%s%s", e->name,
		 e->devpath[0] ? e->devpath : "starting", up, n, down, e->resv[0] ? "; " : "",
		 e->resv);
	/* PROBING -> STANDBY -> ACTIVE is one "up" for the reader: say it once. */
	if (strcmp(line, last) == 0)
		return;
	memcpy(last, line, sizeof(last));
	daemon_status("%s", line);
}

static void path_state_cb(struct path_device *dev, unsigned int idx, enum path_state st,
			  void *opaque)
{
	export_status_update(opaque);
}

static void export_finish(struct export *e)
{
	export_set_state(e, EX_DONE);
	ev_break(e->loop, EVBREAK_ALL);
}

/* ---- stop sequence: front ends -> flush -> paths ---- */

static void dev_stopped_cb(struct path_device *dev, void *opaque)
{
	export_finish(opaque);
}

static void export_stop_device(struct export *e)
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
static void export_frontends_closed(struct export *e)
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

static bool export_frontends_open(const struct export *e)
{
	/* A netlink thread still running writes into e: wait for it too. */
	if (e->nconns_open || e->nl_busy || e->resize_busy)
		return true;
	return e->listener && nbdsrv_listen_nclients(e->listener) > 0;
}

static void stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
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
	unsigned int i;

	if (e->kernel_bound && !e->nl_busy) {
		struct nbdnl_config nc = {.index = (int32_t)e->index};

		if (nbdnl_async_start(&e->nl_req, e->loop, NBDNL_ASYNC_DISCONNECT, &nc,
				      nl_disconnect_done, e) == 0)
			e->nl_busy = true;
		else
			log_warn("%s: could not start netlink DISCONNECT", e->name);
	}
	if (!e->nl_busy) {
		for (i = 0; i < e->nconns; i++)
			if (e->conns[i])
				nbdsrv_conn_shutdown(e->conns[i]);
	}
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

static void wb_finish(struct export *e)
{
	if (e->wb_state == WB_DONE)
		return;
	e->wb_state = WB_DONE;
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
	e->wb_state = WB_FLUSHING;
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
	e->wb_state = WB_SYNCING;
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

static void export_stop(struct export *e, int exit_code)
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

/* ---- kernel front end ---- */

static void conn_closed_cb(struct nbdsrv_conn *c, int err, void *opaque)
{
	struct export *e = opaque;

	if (err && e->state == EX_RUNNING)
		log_warn("%s: %s closed: %s", e->name, nbdsrv_conn_name(c), strerror(-err));
	e->nconns_open--;
	if (e->nconns_open == 0 && e->state == EX_RUNNING) {
		/* Every kernel socket is gone: the device was disconnected under us. */
		log_notice("%s: all kernel sockets closed; stopping", e->name);
		export_stop(e, 0);
		return;
	}
	if (!export_frontends_open(e))
		export_frontends_closed(e);
}

static void close_kernel_ends(struct export *e)
{
	unsigned int i;

	for (i = 0; i < e->nconns; i++) {
		if (e->kfds[i] >= 0)
			close(e->kfds[i]);
		e->kfds[i] = -1;
	}
}

static void link_dead_cb(struct nbdnl_monitor *m, uint32_t index)
{
	struct export *e = m->opaque;

	if (e->kernel_bound && index == e->index)
		log_warn("%s: the kernel reports a dead socket (LINK_DEAD)", e->name);
}

/*
 * After RECONFIGURE: how many of our sockets did the kernel take? The
 * kernel answers success also when it found no dead socket to replace
 * (nbd_genl_reconfigure turns -ENOSPC into 0), e.g. when another live
 * daemon or nbd-client serves the device. Our kernel ends are closed by
 * now, so a socket the kernel did not take has hung up on our end.
 */
static unsigned int kernel_socks_taken(struct export *e)
{
	unsigned int i, taken = 0;

	for (i = 0; i < e->nconns; i++) {
		struct pollfd p = {.fd = e->ufds[i], .events = POLLIN | POLLRDHUP};

		if (e->ufds[i] >= 0 && poll(&p, 1, 0) >= 0 && !(p.revents & (POLLHUP | POLLRDHUP)))
			taken++;
	}
	return taken;
}

static void nl_bind_done(struct nbdnl_async *a, int err, uint32_t index)
{
	struct export *e = a->opaque;
	char msg[200];
	unsigned int taken;

	e->nl_busy = false;
	close_kernel_ends(e);
	if (!err && e->reattach) {
		taken = kernel_socks_taken(e);
		if (taken == 0) {
			/* Not ours: never DISCONNECT it on the way out (kernel_bound stays false).
			 */
			snprintf(msg, sizeof(msg),
				 "/dev/nbd%d is in use: it is connected and none of its sockets is "
				 "dead (another daemon serves it); pick another --device",
				 e->cfg->index);
			log_err("%s: %s", e->name, msg);
			daemon_failed(CLI_EXIT_LOCAL, msg);
			if (e->state == EX_STOPPING)
				e->state = EX_BINDING; /* a stop came meanwhile: run it now */
			export_stop(e, CLI_EXIT_LOCAL);
			return;
		}
		if (taken < e->nconns)
			log_warn("%s: the kernel took %u of our %u sockets (it replaces dead ones "
				 "only): give the --connections the device was attached with",
				 e->name, taken, e->nconns);
	}
	if (err) {
		if (err == -EBUSY)
			snprintf(msg, sizeof(msg),
				 "/dev/nbd%d is in use by another process; pick another --device",
				 e->cfg->index);
		else if (err == -EINVAL && e->reattach)
			/*
			 * nbd_genl_reconfigure refuses a BACKEND_IDENTIFIER other
			 * than the one the device was connected with: another LUN.
			 */
			snprintf(msg, sizeof(msg),
				 "/dev/nbd%d is in use: it is connected to another backend (not "
				 "this LUN); pick another --device",
				 e->cfg->index);
		else
			snprintf(msg, sizeof(msg), "netlink %s failed: %s",
				 e->reattach ? "RECONFIGURE" : "CONNECT", strerror(-err));
		log_err("%s: %s", e->name, msg);
		daemon_failed(CLI_EXIT_LOCAL, msg);
		export_stop(e, CLI_EXIT_LOCAL);
		return;
	}
	e->index = e->reattach ? (uint32_t)e->cfg->index : index;
	e->kernel_bound = true;
	snprintf(e->devpath, sizeof(e->devpath), "/dev/nbd%u", e->index);
	if (!e->cfg->name)
		snprintf(e->name, sizeof(e->name), "nbd%u", e->index);
	if (e->state == EX_STOPPING) {
		/* A stop arrived while binding: undo it. */
		e->state = EX_BINDING;
		export_stop(e, 0);
		return;
	}
	lunlock_update(e->cfg->lock, e->name, e->devpath);
	e->ctl = ctl_server_new(e->loop, e->name, status_ctl_handler, e);
	if (!e->ctl)
		log_warn("%s: no control socket in %s: %s (status/detach will not reach us)",
			 e->name, ctl_dir(), strerror(errno));
	if (nbdnl_monitor_start(&e->mon, e->loop, link_dead_cb, e) == 0)
		e->mon_on = true;
	export_set_state(e, EX_RUNNING);
	e->ran = true;
	log_notice("%s: %s %s, %" PRIu64 " bytes, block %u, %u socket(s)", e->name,
		   e->reattach ? "re-attached" : "attached", e->devpath, e->ex.size,
		   e->ex.min_block, e->nconns);
	daemon_ready(e->devpath);
	export_status_update(e);
}

/* Is device index connected now (a previous daemon died and left it)? */
static int kernel_device_connected(struct export *e, int32_t index, bool *connected)
{
	struct nbdnl nl;
	struct nbdnl_dev_status st[1];
	size_t n = 0;
	int err;

	*connected = false;
	err = nbdnl_open(&nl);
	if (err)
		return err;
	err = nbdnl_status(&nl, index, st, 1, &n);
	nbdnl_close(&nl);
	if (err)
		return err;
	*connected = n > 0 && st[0].connected;
	return 0;
}

static int export_bind_kernel(struct export *e)
{
	const struct bdev_info *info = &path_device_bdev(e->dev)->info;
	struct nbdnl_config nc = {0};
	struct nbdsrv_conn_cfg cc = {
		.queue_depth = EXPORT_QUEUE_DEPTH, .closed = conn_closed_cb, .opaque = e};
	enum nbdnl_async_op op = NBDNL_ASYNC_CONNECT;
	unsigned int i;
	bool connected = false;
	int err;

	if (e->cfg->index >= 0) {
		err = kernel_device_connected(e, e->cfg->index, &connected);
		if (err)
			log_warn("%s: status of /dev/nbd%d: %s", e->name, e->cfg->index,
				 strerror(-err));
		if (connected) {
			e->reattach = true;
			op = NBDNL_ASYNC_RECONFIGURE;
			log_notice("%s: /dev/nbd%d is still connected: taking it back", e->name,
				   e->cfg->index);
		}
	}
	for (i = 0; i < e->nconns; i++) {
		int sv[2];
		char cname[96];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -errno;
		e->kfds[i] = sv[1];
		snprintf(cname, sizeof(cname), "%s sock%u", e->name, i);
		cc.name = cname;
		e->conns[i] = nbdsrv_conn_new(e->loop, sv[0], path_device_bdev(e->dev), &e->ex,
					      e->pool, &cc);
		if (!e->conns[i]) {
			err = -errno;
			close(sv[0]);
			return err;
		}
		e->ufds[i] = sv[0];
		e->nconns_open++;
	}
	nc.index = e->cfg->index;
	nc.fds = e->kfds;
	nc.nfds = e->nconns;
	nc.size_bytes = info->size_bytes;
	nc.block_size = info->logical_block_size;
	nc.server_flags = e->ex.tflags;
	nc.timeout = 0; /* the kernel never fails I/O by itself: failover is ours */
	nc.dead_conn_timeout = e->cfg->dead_conn_timeout_s;
	nc.backend = info->ident[0] ? info->ident : NULL;
	err = nbdnl_async_start(&e->nl_req, e->loop, op, &nc, nl_bind_done, e);
	if (err)
		return err;
	e->nl_busy = true;
	export_set_state(e, EX_BINDING);
	return 0;
}

/* ---- server front end ---- */

/* After nbdsrv_listen_stop(): the last client has gone. */
static void listener_drained_cb(struct nbdsrv_listener *l, void *opaque)
{
	export_frontends_closed(opaque);
}

static int export_bind_server(struct export *e)
{
	char addr[300];
	struct nbdsrv_listen_cfg lc = {
		.addr = addr,
		.queue_depth = EXPORT_QUEUE_DEPTH,
		.max_clients = e->cfg->max_clients,
		.drained = listener_drained_cb,
		.opaque = e,
		.tls_mode = e->cfg->tls_mode,
		.tls = e->cfg->tls,
	};

	/* A bare file name is a Unix socket too, not a TCP address. */
	if (e->cfg->socket_path)
		snprintf(addr, sizeof(addr), "%s%s",
			 strchr(e->cfg->socket_path, '/') ? "" : "unix:", e->cfg->socket_path);
	else
		snprintf(addr, sizeof(addr), "%s", e->cfg->listen_addr);
	e->listener = nbdsrv_listen_new(e->loop, path_device_bdev(e->dev), e->pool, &e->ex, &lc);
	if (!e->listener)
		return -errno;
	lunlock_update(e->cfg->lock, e->name, addr);
	e->ctl = ctl_server_new(e->loop, e->name, status_ctl_handler, e);
	if (!e->ctl)
		log_warn("%s: no control socket in %s: %s", e->name, ctl_dir(), strerror(errno));
	export_set_state(e, EX_RUNNING);
	e->ran = true;
	log_notice("%s: serving on %s", e->name, addr);
	daemon_ready(addr);
	export_status_update(e);
	return 0;
}

/* ---- online growth ---- */

static void export_resize_kernel(struct export *e, uint64_t size);

static void nl_resize_done(struct nbdnl_async *a, int err, uint32_t index)
{
	struct export *e = a->opaque;
	uint64_t next = e->resize_next;

	e->resize_busy = false;
	e->resize_next = 0;
	if (err)
		log_err("%s: growing %s to %" PRIu64 " bytes failed: %s", e->name, e->devpath,
			a->cfg.size_bytes, strerror(-err));
	else
		log_notice("%s: %s grown to %" PRIu64 " bytes", e->name, e->devpath,
			   a->cfg.size_bytes);
	if (next && e->state == EX_RUNNING)
		export_resize_kernel(e, next);
	else if (e->state == EX_STOPPING && !export_frontends_open(e))
		export_frontends_closed(e);
}

static void export_resize_kernel(struct export *e, uint64_t size)
{
	struct nbdnl_config nc = {0};

	if (e->resize_busy) {
		e->resize_next = size; /* the newest size wins */
		return;
	}
	nc.index = (int32_t)e->index;
	nc.size_bytes = size;
	/* The kernel wants the backend identifier repeated in every RECONFIGURE. */
	nc.backend = path_device_bdev(e->dev)->info.ident[0] ? path_device_bdev(e->dev)->info.ident
							     : NULL;
	if (nbdnl_async_start(&e->resize_req, e->loop, NBDNL_ASYNC_RECONFIGURE, &nc, nl_resize_done,
			      e) == 0)
		e->resize_busy = true;
	else
		log_err("%s: cannot start the netlink resize of %s", e->name, e->devpath);
}

static void dev_capacity_cb(struct path_device *dev, uint64_t size, void *opaque)
{
	struct export *e = opaque;
	const struct bdev_info *info = &path_device_bdev(dev)->info;
	char why[160];
	unsigned int i;

	if (e->state != EX_RUNNING || size <= e->ex.size)
		return;
	/* A growth past what the consumer can address keeps the old size. */
	if (export_geometry_check(e->cfg->mode, info->logical_block_size, info->physical_block_size,
				  size, why, sizeof(why))) {
		log_warn("%s: LUN grew to a size that cannot be exported: %s: ignored", e->name,
			 why);
		return;
	}
	if (path_device_accept_size(dev, size) < 0) {
		log_warn("%s: LUN reports %" PRIu64 " bytes, not a whole number of blocks: ignored",
			 e->name, size);
		return;
	}
	log_notice("%s: LUN grew from %" PRIu64 " to %" PRIu64 " bytes", e->name, e->ex.size, size);
	/* Growing: the connections accept the new range before the kernel can use it. */
	e->ex.size = size;
	for (i = 0; i < e->nconns; i++)
		if (e->conns[i])
			nbdsrv_conn_set_export(e->conns[i], &e->ex);
	if (e->listener)
		nbdsrv_listen_set_export(e->listener, &e->ex);
	if (e->kernel_bound)
		export_resize_kernel(e, size);
}

static void rescan_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct export *e = container_of(w, struct export, rescan_timer);

	if (e->state == EX_RUNNING)
		path_device_rescan(e->dev);
}

/* ---- start ---- */

int export_geometry_check(enum export_mode mode, uint32_t block_size, uint32_t phys_block_size,
			  uint64_t size_bytes, char *why, size_t cap)
{
	int r;

	if (mode == EXPORT_KERNEL)
		r = nbdnl_geometry_check(block_size, size_bytes, sysconf(_SC_PAGESIZE), why, cap);
	else
		r = nbdsrv_geometry_check(block_size, phys_block_size, size_bytes,
					  NBDSRV_MAX_PAYLOAD, why, cap);
	return r < 0 ? CLI_EXIT_GEOMETRY : 0;
}

static void dev_ready_cb(struct path_device *dev, void *opaque)
{
	struct export *e = opaque;
	const struct bdev_info *info = &path_device_bdev(dev)->info;
	char msg[200], why[160];
	int err;

	if (e->state != EX_STARTING)
		return;
	ev_timer_stop(e->loop, &e->start_timer);
	/* Refuse what the consumer would round, truncate or reject half-way. */
	if (export_geometry_check(e->cfg->mode, info->logical_block_size, info->physical_block_size,
				  info->size_bytes, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "LUN cannot be %s: %s",
			 e->cfg->mode == EXPORT_KERNEL ? "attached" : "served", why);
		log_err("%s: %s", e->name, msg);
		daemon_failed(CLI_EXIT_GEOMETRY, msg);
		export_stop(e, CLI_EXIT_GEOMETRY);
		return;
	}
	nbdsrv_export_from_info(&e->ex, info, e->cfg->mode == EXPORT_SERVER || e->nconns > 1,
				e->cfg->export_name ? e->cfg->export_name : "", info->ident);
	e->pool = nbdsrv_bufpool_new(export_buf_classes, ARRAY_SIZE(export_buf_classes));
	if (!e->pool) {
		daemon_failed(CLI_EXIT_LOCAL, "out of memory for the request buffers");
		export_stop(e, CLI_EXIT_LOCAL);
		return;
	}
	err = e->cfg->mode == EXPORT_KERNEL ? export_bind_kernel(e) : export_bind_server(e);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot start the %s: %s",
			 e->cfg->mode == EXPORT_KERNEL ? "kernel device" : "NBD server",
			 strerror(-err));
		log_err("%s: %s", e->name, msg);
		daemon_failed(CLI_EXIT_LOCAL, msg);
		close_kernel_ends(e);
		export_stop(e, CLI_EXIT_LOCAL);
	}
}

static void start_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct export *e = container_of(w, struct export, start_timer);
	char msg[512];
	struct path_status ps;

	path_device_path_status(e->dev, 0, &ps);
	snprintf(msg, sizeof(msg), "no path came up within %u ms (%s: %s)",
		 e->cfg->start_timeout_ms, ps.name, ps.reason);
	log_err("%s: %s", e->name, msg);
	daemon_failed(CLI_EXIT_CONNECT, msg);
	export_stop(e, CLI_EXIT_CONNECT);
}

/* Exclusive access (device.h pr_key): refusals at start, the LUN taken, detach. */
static void dev_reservation_cb(struct path_device *dev, const struct path_resv_event *ev,
			       void *opaque)
{
	struct export *e = opaque;
	char msg[400];

	switch (ev->kind) {
	case PATH_RESV_EV_RESERVED:
		snprintf(e->resv, sizeof(e->resv), "reserved, key 0x%016" PRIx64, ev->key);
		for (unsigned int i = 0; i < ev->npreempted; i++)
			log_notice("%s: preempted key 0x%016" PRIx64 " (%s)", e->name,
				   ev->preempted[i],
				   ev->no_abort ? "PREEMPT: its queued commands were not aborted"
						: "PREEMPT AND ABORT");
		break;
	case PATH_RESV_EV_TAKEN:
		if (ev->key)
			snprintf(e->resv, sizeof(e->resv),
				 "LUN TAKEN by key 0x%016" PRIx64 " (%s): writes fail", ev->key,
				 scsi_pr_type_name(ev->type));
		else
			snprintf(e->resv, sizeof(e->resv),
				 "LUN TAKEN (reservation conflict): writes fail");
		if (e->state == EX_STARTING) {
			snprintf(msg, sizeof(msg),
				 "the LUN is reserved by another host: key 0x%016" PRIx64
				 " (%s); nothing was written. Take it over only if that host is "
				 "dead or detached: add --preempt; or share it with --read-only",
				 ev->key, scsi_pr_type_name(ev->type));
			log_err("%s: %s", e->name, msg);
			daemon_failed(CLI_EXIT_RESERVED, msg);
			export_stop(e, CLI_EXIT_RESERVED);
			return;
		}
		break;
	case PATH_RESV_EV_UNSUPPORTED:
		if (e->cfg->dev.pr_required && e->state == EX_STARTING) {
			snprintf(msg, sizeof(msg),
				 "the target does not support persistent reservations and "
				 "--reservation required was given");
			daemon_failed(CLI_EXIT_RESERVED, msg);
			export_stop(e, CLI_EXIT_RESERVED);
			return;
		}
		snprintf(e->resv, sizeof(e->resv), "NOT reserved (target lacks PR)");
		break;
	case PATH_RESV_EV_RELEASED:
		e->resv[0] = 0;
		if (e->state == EX_STOPPING)
			export_stop_device(e);
		return;
	}
	export_status_update(e);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct export *e = w->data;

	log_notice("%s: signal %d: stopping", e->name, w->signum);
	export_stop(e, 0);
}

/* Detach request from the control socket. */
void export_request_stop(struct export *e)
{
	export_stop(e, 0);
}

const char *export_name(const struct export *e)
{
	return e->name;
}

const char *export_state_name(const struct export *e)
{
	return export_state_names[e->state];
}

const char *export_devpath(const struct export *e)
{
	return e->devpath[0] ? e->devpath : NULL;
}

struct path_device *export_device(const struct export *e)
{
	return e->dev;
}

const struct export_config *export_config(const struct export *e)
{
	return e->cfg;
}

void export_foreach_conn(struct export *e, void (*fn)(const struct nbdsrv_conn *c, void *arg),
			 void *arg)
{
	unsigned int i;

	for (i = 0; i < e->nconns; i++)
		if (e->conns[i])
			fn(e->conns[i], arg);
	if (e->listener)
		nbdsrv_listen_foreach(e->listener, fn, arg);
}

/*
 * Interrupt coalescing for a deep queue: each wakeup costs a context switch
 * here and one in every peer it wakes, and with many requests in flight
 * the next events are sure to come, so waiting a little before the poll
 * makes one wakeup handle many of them (fewer wakeups for us, the target
 * and the NBD client alike). A shallow queue is latency bound and never
 * waits. Runs before every poll.
 */
static void export_coalesce_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct export *e = container_of(w, struct export, coalesce);
	unsigned int n = e->dev ? path_device_inflight(e->dev) : 0;

	ev_set_io_collect_interval(loop,
				   n >= EXPORT_COALESCE_DEPTH ? e->cfg->coalesce_us * 1e-6 : 0.);
}

/* The control socket name: --name, else nbdN / nbd (kernel) or serve-PID. */
static void export_set_name(struct export *e)
{
	if (e->cfg->name)
		snprintf(e->name, sizeof(e->name), "%s", e->cfg->name);
	else if (e->cfg->mode == EXPORT_KERNEL && e->cfg->index >= 0)
		snprintf(e->name, sizeof(e->name), "nbd%d", e->cfg->index);
	else if (e->cfg->mode == EXPORT_KERNEL)
		snprintf(e->name, sizeof(e->name), "nbd");
	else
		snprintf(e->name, sizeof(e->name), "serve-%d", (int)getpid());
}

/* Signals and timers: start, stop, write-back, rescan; the rescan and start timers run. */
static void export_watchers_start(struct export *e)
{
	const struct export_config *cfg = e->cfg;

	/* An ignored SIGPIPE turns a write to a closed socket into EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&e->sig_term, signal_cb, SIGTERM);
	ev_signal_init(&e->sig_int, signal_cb, SIGINT);
	e->sig_term.data = e->sig_int.data = e;
	ev_signal_start(e->loop, &e->sig_term);
	ev_signal_start(e->loop, &e->sig_int);
	ev_timer_init(&e->start_timer, start_timer_cb, cfg->start_timeout_ms / 1000., 0.);
	ev_timer_init(&e->stop_timer, stop_timer_cb, 0., 0.);
	ev_timer_init(&e->wb_timer, wb_timer_cb, 0., 0.);
	/* Ready before any stop; the write-back thread signals it. */
	ev_async_init(&wb.done, wb_async_cb);
	wb.done.data = e;
	ev_async_start(e->loop, &wb.done);
	ev_timer_init(&e->rescan_timer, rescan_timer_cb, cfg->rescan_interval_s,
		      cfg->rescan_interval_s);
	if (cfg->rescan_interval_s)
		ev_timer_start(e->loop, &e->rescan_timer);
	ev_timer_start(e->loop, &e->start_timer);
}

/*
 * After the loop: free what is finished and stop every watcher. An object
 * still in use (a client still connected, a device not stopped) is left
 * to the process exit.
 */
static void export_teardown(struct export *e)
{
	unsigned int i;

	if (e->mon_on)
		nbdnl_monitor_stop(&e->mon);
	ctl_server_free(e->ctl);
	for (i = 0; i < e->nconns; i++) {
		if (e->conns[i] && nbdsrv_conn_get_state(e->conns[i]) == NBDSRV_CONN_DONE) {
			nbdsrv_conn_free(e->conns[i]);
			e->conns[i] = NULL;
		}
	}
	close_kernel_ends(e);
	/* Freed objects are forgotten at once: the checks below look at them. */
	if (e->listener && nbdsrv_listen_nclients(e->listener) == 0) {
		nbdsrv_listen_free(e->listener);
		e->listener = NULL;
	}
	if (e->state == EX_DONE && e->dev_stopping)
		path_device_free(e->dev);
	if (e->pool && e->state == EX_DONE && !export_frontends_open(e))
		nbdsrv_bufpool_free(e->pool);
	ev_timer_stop(e->loop, &e->rescan_timer);
	ev_prepare_stop(e->loop, &e->coalesce);
	ev_set_io_collect_interval(e->loop, 0.);
	ev_signal_stop(e->loop, &e->sig_term);
	ev_signal_stop(e->loop, &e->sig_int);
	ev_timer_stop(e->loop, &e->wb_timer);
	/* A write-back thread still blocked may signal it later: harmless once stopped. */
	ev_async_stop(e->loop, &wb.done);
}

int export_run(struct export_config *cfg)
{
	struct export *e = calloc(1, sizeof(*e));
	unsigned int i;
	int code;

	if (!e) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	e->cfg = cfg;
	e->loop = ev_default_loop(EVFLAG_AUTO);
	if (cfg->coalesce_us) {
		ev_prepare_init(&e->coalesce, export_coalesce_cb);
		ev_prepare_start(e->loop, &e->coalesce);
	}
	e->nconns = cfg->mode == EXPORT_KERNEL ? cfg->nconns : 0;
	for (i = 0; i < NBDNL_MAX_SOCKS; i++)
		e->kfds[i] = e->ufds[i] = -1;
	export_set_name(e);
	/* Our PID now (the lock was taken before the fork) and our name. */
	lunlock_update(cfg->lock, e->name, NULL);
	cfg->dev.name = e->name;
	cfg->dev.on_ready = dev_ready_cb;
	cfg->dev.on_stopped = dev_stopped_cb;
	cfg->dev.on_capacity_change = dev_capacity_cb;
	cfg->dev.on_path_state = path_state_cb;
	cfg->dev.on_reservation = dev_reservation_cb;
	cfg->dev.opaque = e;
	e->dev = path_device_new(e->loop, &cfg->dev);
	if (!e->dev) {
		char msg[160];

		snprintf(msg, sizeof(msg), "cannot create the device: %s", strerror(errno));
		daemon_failed(CLI_EXIT_LOCAL, msg);
		cli_err("%s", msg);
		free(e);
		return CLI_EXIT_LOCAL;
	}

	export_watchers_start(e);

	if (path_device_start(e->dev) < 0) {
		daemon_failed(CLI_EXIT_LOCAL, "cannot start the paths");
		e->exit_code = CLI_EXIT_LOCAL;
	} else {
		ev_run(e->loop, 0);
	}

	export_teardown(e);
	code = e->exit_code;
	free(e);
	return code;
}
