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
#include <sched.h>
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

static const char *const export_state_names[] = {
	[EX_STARTING] = "starting", [EX_BINDING] = "binding", [EX_RUNNING] = "running",
	[EX_STOPPING] = "stopping", [EX_DONE] = "done",
};

/*
 * Legal transitions, from the code as it is: a kernel export binds
 * (STARTING -> BINDING -> RUNNING), a server export runs once it listens
 * (STARTING -> RUNNING); a stop may come in any state but DONE. A stop that
 * came while the netlink CONNECT / RECONFIGURE was in flight is run again
 * when the answer arrives, by going back to BINDING first (export_stop()
 * ignores a second stop in STOPPING): STOPPING -> BINDING. DONE follows
 * STOPPING only, and is terminal.
 */
#define ST_BIT(st) (1u << (st))
static const unsigned int export_legal[] = {
	[EX_STARTING] = ST_BIT(EX_BINDING) | ST_BIT(EX_RUNNING) | ST_BIT(EX_STOPPING),
	[EX_BINDING] = ST_BIT(EX_RUNNING) | ST_BIT(EX_STOPPING),
	[EX_RUNNING] = ST_BIT(EX_STOPPING),
	[EX_STOPPING] = ST_BIT(EX_BINDING) | ST_BIT(EX_DONE),
	[EX_DONE] = 0,
};
_Static_assert(ARRAY_SIZE(export_legal) == ARRAY_SIZE(export_state_names), "a row per state");

/*
 * The one place the export changes state: checks the transition (debug
 * builds) and logs it (at info, as it always has: an operator follows a
 * daemon's life in these lines).
 */
void export_set_state(struct export *e, enum export_state st)
{
	if (e->state == st)
		return;
	STATE_CHECK(export_legal[e->state] & ST_BIT(st), e->name, export_state_names[e->state],
		    export_state_names[st]);
	log_info("%s: %s -> %s", e->name, export_state_names[e->state], export_state_names[st]);
	e->state = st;
}

/*
 * systemd STATUS= (daemon_status): the device and how many of its paths
 * are up, and which are not. Sent on every path state change and once
 * when ready, so `systemctl status` shows a cable pull as it happens.
 */
void export_status_update(struct export *e)
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
	daemon_status(line);
}

static void path_state_cb(struct path_device *dev, unsigned int idx, enum path_state st,
			  void *opaque)
{
	export_status_update(opaque);
}

void export_finish(struct export *e)
{
	export_set_state(e, EX_DONE);
	ev_break(e->loop, EVBREAK_ALL);
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
		.workers = e->workers,
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
	export_kernel_set_export(e);
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
	if (e->cfg->threads > 1)
		e->workers = nbdsrv_workers_new(e->loop, path_device_bdev(dev), export_buf_classes,
						ARRAY_SIZE(export_buf_classes), e->cfg->threads - 1,
						e->name);
	else
		e->pool = nbdsrv_bufpool_new(export_buf_classes, ARRAY_SIZE(export_buf_classes));
	if (!e->pool && !e->workers) {
		snprintf(msg, sizeof(msg), "cannot set up the request buffers%s: %s",
			 e->cfg->threads > 1 ? " and worker threads" : "", strerror(errno));
		log_err("%s: %s", e->name, msg);
		daemon_failed(CLI_EXIT_LOCAL, msg);
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
		export_close_kernel_ends(e);
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
	if (e->nconns && e->workers)
		nbdsrv_workers_foreach(e->workers, fn, arg);
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

/*
 * --io-engine uring: set the loop's ring up now, so that a kernel without
 * io_uring (or kernel.io_uring_disabled set) is one clear error at start
 * rather than paths that fail to connect; holding it keeps it across
 * reconnects.
 */
static int export_ring_get(struct export *e)
{
	char msg[200];

	e->ring = uring_get(e->loop);
	if (e->ring)
		return 0;
	snprintf(msg, sizeof(msg),
		 "cannot set up io_uring for --io-engine uring: %s (is kernel.io_uring_disabled "
		 "set?)",
		 strerror(errno));
	daemon_failed(CLI_EXIT_LOCAL, msg);
	cli_err("%s", msg);
	return -1;
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
	ev_timer_init(&e->stop_timer, export_stop_timer_cb, 0., 0.);
	export_wb_start(e);
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
	export_close_kernel_ends(e);
	/* Freed objects are forgotten at once: the checks below look at them. */
	if (e->listener && nbdsrv_listen_nclients(e->listener) == 0) {
		nbdsrv_listen_free(e->listener);
		e->listener = NULL;
	}
	/* Joined before the bdev they forward to goes; bounded. */
	if (e->workers && nbdsrv_workers_free(e->workers, 1.0) == 0)
		e->workers = NULL;
	if (e->state == EX_DONE && e->dev_stopping && !e->workers)
		path_device_free(e->dev);
	if (e->pool && e->state == EX_DONE && !export_frontends_open(e))
		nbdsrv_bufpool_free(e->pool);
	ev_timer_stop(e->loop, &e->rescan_timer);
	ev_prepare_stop(e->loop, &e->coalesce);
	ev_set_io_collect_interval(e->loop, 0.);
	export_poll_stop(e);
	ev_signal_stop(e->loop, &e->sig_term);
	ev_signal_stop(e->loop, &e->sig_int);
	ev_timer_stop(e->loop, &e->wb_timer);
	export_wb_stop(e);
	uring_put(e->ring); /* connections still open keep their own references */
	e->ring = NULL;
}

/* --sched batch: this thread, and so every thread it starts later. */
static int export_sched_batch(void)
{
	struct sched_param sp = {0};

	if (sched_setscheduler(0, SCHED_BATCH, &sp) < 0) {
		cli_err("cannot set the scheduling policy to batch: %s", strerror(errno));
		return -1;
	}
	return 0;
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
	if (cfg->sched == EXPORT_SCHED_BATCH && export_sched_batch() < 0) {
		free(e);
		return CLI_EXIT_LOCAL;
	}
	e->loop = ev_default_loop(EVFLAG_AUTO);
	io_engine_set(cfg->io_engine); /* before the paths create their connections */
	if (cfg->io_engine == IO_ENGINE_URING && export_ring_get(e) < 0) {
		free(e);
		return CLI_EXIT_LOCAL;
	}
	if (cfg->coalesce_us) {
		ev_prepare_init(&e->coalesce, export_coalesce_cb);
		ev_prepare_start(e->loop, &e->coalesce);
	}
	export_poll_start(e);
	e->nconns = cfg->mode == EXPORT_KERNEL ? cfg->nconns : 0;
	for (i = 0; i < NBDNL_MAX_SOCKS; i++)
		e->kfds[i] = e->ufds[i] = -1;
	export_set_name(e);
	/* Our PID now (the lock was taken before the fork) and our name. */
	lunlock_update(cfg->lock, e->name, NULL);
	cfg->dev.name = e->name;
	cfg->dev.on_ready = dev_ready_cb;
	cfg->dev.on_stopped = export_dev_stopped_cb;
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
