/*
 * The export's kernel front end (export_int.h): socket pairs served by
 * the NBD engine, handed to the kernel's nbd driver with a netlink
 * CONNECT (or RECONFIGURE of a device a dead daemon left), and the
 * monitor that reports a link the kernel dropped.
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

/* ---- kernel front end ---- */

/* A kernel socket's connection closed, on this loop or on a worker. */
static void kconn_closed(struct export *e, const char *cname, int err)
{
	if (err && e->state == EX_RUNNING)
		log_warn("%s: %s closed: %s", e->name, cname, strerror(-err));
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

static void conn_closed_cb(struct nbdsrv_conn *c, int err, void *opaque)
{
	kconn_closed(opaque, nbdsrv_conn_name(c), err);
}

static void wconn_closed_cb(struct nbdsrv_wconn *wc, int err, const struct nbdsrv_conn_stats *st,
			    void *opaque)
{
	struct export *e = opaque;
	char cname[64];
	unsigned int i;

	snprintf(cname, sizeof(cname), "%s", nbdsrv_wconn_name(wc));
	for (i = 0; i < e->nconns; i++)
		if (e->wconns[i] == wc)
			e->wconns[i] = NULL;
	nbdsrv_wconn_free(wc);
	kconn_closed(e, cname, err);
}

void export_kernel_shutdown(struct export *e)
{
	unsigned int i;

	for (i = 0; i < e->nconns; i++) {
		if (e->conns[i])
			nbdsrv_conn_shutdown(e->conns[i]);
		if (e->wconns[i])
			nbdsrv_wconn_shutdown(e->wconns[i]);
	}
}

void export_kernel_set_export(struct export *e)
{
	unsigned int i;

	for (i = 0; i < e->nconns; i++) {
		if (e->conns[i])
			nbdsrv_conn_set_export(e->conns[i], &e->ex);
		if (e->wconns[i])
			nbdsrv_wconn_set_export(e->wconns[i], &e->ex);
	}
}

void export_close_kernel_ends(struct export *e)
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

		/* POLLNVAL: a worker closed it (wconns[]), it hung up. */
		if (e->ufds[i] >= 0 && poll(&p, 1, 0) >= 0 &&
		    !(p.revents & (POLLHUP | POLLRDHUP | POLLNVAL)))
			taken++;
	}
	return taken;
}

/* The device cannot be bound: say why, to the log and the waiting parent, and stop. */
static void nl_bind_failed(struct export *e, const char *msg)
{
	log_err("%s: %s", e->name, msg);
	daemon_failed(CLI_EXIT_LOCAL, msg);
	if (e->state == EX_STOPPING)
		export_set_state(e, EX_BINDING); /* a stop came meanwhile: run it */
	export_stop(e, CLI_EXIT_LOCAL);
}

static void nl_bind_done(struct nbdnl_async *a, int err, uint32_t index)
{
	struct export *e = a->opaque;
	char msg[200];
	unsigned int taken;

	e->nl_busy = false;
	export_close_kernel_ends(e);
	if (!err && e->reattach) {
		taken = kernel_socks_taken(e);
		if (taken == 0) {
			/* Not ours: never DISCONNECT it on the way out (kernel_bound stays false).
			 */
			snprintf(msg, sizeof(msg),
				 "/dev/nbd%d is in use: it is connected and none of its sockets is "
				 "dead (another daemon serves it); pick another --device",
				 e->cfg->index);
			nl_bind_failed(e, msg);
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
		nl_bind_failed(e, msg);
		return;
	}
	e->index = e->reattach ? (uint32_t)e->cfg->index : index;
	e->kernel_bound = true;
	snprintf(e->devpath, sizeof(e->devpath), "/dev/nbd%u", e->index);
	if (!e->cfg->name)
		snprintf(e->name, sizeof(e->name), "nbd%u", e->index);
	if (e->state == EX_STOPPING) {
		/* A stop arrived while binding: undo it. */
		export_set_state(e, EX_BINDING);
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

int export_bind_kernel(struct export *e)
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
		if (e->workers)
			e->wconns[i] = nbdsrv_wconn_new(e->workers, sv[0], &e->ex, &cc,
							wconn_closed_cb, e);
		else
			e->conns[i] = nbdsrv_conn_new(e->loop, sv[0], path_device_bdev(e->dev),
						      &e->ex, e->pool, &cc);
		if (!e->conns[i] && !e->wconns[i]) {
			err = -errno;
			close(sv[0]);
			return err;
		}
		e->ufds[i] = e->wconns[i] ? nbdsrv_wconn_fd(e->wconns[i]) : sv[0];
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
