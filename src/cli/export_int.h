/*
 * Private to the running export (export.c: start, server front end,
 * online growth, the loop; export_stop.c: the stop sequence and the
 * write-back; export_kernel.c: the kernel front end). Nothing else
 * includes this.
 */
#ifndef ISN_CLI_EXPORT_INT_H
#define ISN_CLI_EXPORT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "cli/ctl.h"
#include "cli/export.h"
#include "nbd/bufpool.h"
#include "nbd/netlink.h"
#include "nbd/server.h"
#include "util/hpoll.h"
#include "nbd/worker.h"

#define EXPORT_QUEUE_DEPTH 128

enum export_state {
	EX_STARTING, /* paths logging in / LUN being probed */
	EX_BINDING,  /* netlink CONNECT / RECONFIGURE in flight */
	EX_RUNNING,
	EX_STOPPING, /* front ends closing, then flush, then paths */
	EX_DONE,
};

/* Kernel mode stop: write-back of the kernel's cache, then a flush of the LUN. */
enum export_wb_state {
	WB_IDLE,
	WB_SYNCING,  /* the write-back thread runs syncfs/fsync on the device */
	WB_FLUSHING, /* SYNCHRONIZE CACHE in flight */
	WB_DONE,
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
	/* Hybrid polling (export_poll.c), when cfg->poll_us. */
	struct hpoll hpoll;
	ev_prepare poll_prepare;
	ev_check poll_check;
	ev_idle poll_idle;
	struct uring *ring; /* --io-engine uring: the loop's ring, held for the daemon's life */
	struct nbdsrv_export ex;
	struct nbdsrv_bufpool *pool;	/* NULL with workers: each has its own */
	struct nbdsrv_workers *workers; /* --threads N > 1: the NBD sockets' threads */

	/* Kernel mode. */
	struct nbdsrv_conn *conns[NBDNL_MAX_SOCKS];
	struct nbdsrv_wconn *wconns[NBDNL_MAX_SOCKS]; /* instead of conns[], with workers */
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
	enum export_wb_state wb_state; /* changed by wb_set_state() only */
	ev_timer wb_timer;	       /* bound on write-back + flush: half the stop timeout */
	struct bdev_req preflush_req;
	bool ran;	/* reached EX_RUNNING: there may be writes to flush */
	bool resv_left; /* detach released the reservation (or had none to release) */
	char resv[160]; /* the reservation as status shows it ("" = none) */
};

/* export.c */
void export_set_state(struct export *e, enum export_state st);
void export_status_update(struct export *e);
/* Stop the loop: the export is done. */
void export_finish(struct export *e);

/* export_stop.c: front ends -> (kernel: write-back, flush, DISCONNECT) -> paths. */
void export_stop(struct export *e, int exit_code);
void export_stop_device(struct export *e);
void export_dev_stopped_cb(struct path_device *dev, void *opaque);
void export_stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
void export_frontends_closed(struct export *e);
bool export_frontends_open(const struct export *e);
void export_wb_start(struct export *e);
void export_wb_stop(struct export *e);

/* export_poll.c: --poll-us. */
void export_poll_start(struct export *e);
void export_poll_stop(struct export *e);

/* export_kernel.c */
int export_bind_kernel(struct export *e);
void export_close_kernel_ends(struct export *e);
/* Every kernel socket, on this loop or a worker: drain and close; take a new export. */
void export_kernel_shutdown(struct export *e);
void export_kernel_set_export(struct export *e);

#endif
