/*
 * A running export: one struct path_device (the LUN over its paths) served
 * to the kernel as /dev/nbdN (attach) or to NBD clients on a socket (serve),
 * with a control socket for list / status / detach.
 *
 * export_run() owns the process from the moment the first path is up until
 * the export stops: it runs the libev loop, and returns the exit code.
 *
 * Start (attach): the device starts its paths; once the first path is
 * logged in and the LUN probed, N socketpairs are made, our ends served by
 * the NBD transmission engine, the kernel's ends handed over with
 * NBD_CMD_CONNECT (or NBD_CMD_RECONFIGURE when --device names a device that
 * is still connected with dead sockets: a daemon restarted within
 * DEAD_CONN_TIMEOUT takes its device back without failing I/O). Readiness
 * is reported once (daemon_ready): "/dev/nbdN".
 *
 * Online resize: when the LUN grows (a CAPACITY DATA HAS CHANGED unit
 * attention, or the periodic capacity re-read: not every target sends the
 * attention), the device accepts the new size, the NBD connections check
 * requests against it, and the kernel device grows through
 * NBD_CMD_RECONFIGURE, sent from the netlink thread because the kernel
 * freezes the queue until in-flight I/O completes and this loop must keep
 * completing it. A shrinking LUN is refused by the path layer.
 *
 * Stop (SIGTERM, SIGINT, `iscsi-nbd detach`): disconnect the kernel device
 * (or stop accepting and close clients), wait for in-flight requests,
 * SYNCHRONIZE CACHE, log out of every path, exit. Every step is bounded
 * (stop_timeout_ms in total), also when no path is left, so a shutdown
 * never hangs.
 */
#ifndef ISN_CLI_EXPORT_H
#define ISN_CLI_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "nbd/tls.h"
#include "path/device.h"
#include "util/uring.h"

struct lunlock;

enum export_mode {
	EXPORT_KERNEL, /* /dev/nbdN through generic netlink */
	EXPORT_SERVER, /* NBD newstyle server on a Unix or TCP socket */
};

#define EXPORT_COALESCE_US    100
#define EXPORT_COALESCE_DEPTH 16
/* Hybrid polling (--poll-us): the longest spin by default, and its CPU budget. */
#define EXPORT_POLL_US	       0
#define EXPORT_POLL_BUDGET_PCT 50
#define EXPORT_THREADS_MAX     17 /* 16 workers (NBDSRV_WORKERS_MAX) and the main loop */
/*
 * attach / serve's bounds of the wait for the first usable path and of the
 * whole stop (start_timeout_ms, stop_timeout_ms). The stop bound must fit
 * in the systemd unit's TimeoutStopSec (test_attach_parse checks it), and
 * iscsi-nbd.8 states it.
 */
#define EXPORT_START_TIMEOUT_MS 30000
#define EXPORT_STOP_TIMEOUT_MS	20000

struct export_config {
	enum export_mode mode;
	const char *name; /* control socket name; NULL: "nbdN" (kernel) or "serve-PID" */

	/* Kernel mode. */
	int32_t index;		      /* -1: first free device */
	unsigned int nconns;	      /* kernel sockets = hardware queues */
	uint32_t dead_conn_timeout_s; /* how long the kernel waits for a restarted daemon */

	/* Server mode. */
	const char *socket_path; /* Unix socket, or NULL */
	const char *listen_addr; /* HOST:PORT, or NULL */
	unsigned int max_clients;
	const char *export_name;
	enum nbdsrv_tls_mode tls_mode; /* decided by servetls.c */
	struct nbdsrv_tls *tls;	       /* credentials, borrowed; NULL when tls_mode is off */

	uint32_t rescan_interval_s; /* capacity re-read for online growth; 0 = only on a UA */
	/*
	 * With EXPORT_COALESCE_DEPTH or more requests in flight, the loop
	 * gathers events this long before each wait (libev's I/O collect
	 * interval), so that one wakeup reads, sends and replies for many
	 * requests. 0 = never.
	 */
	uint32_t coalesce_us;
	/*
	 * Before sleeping in the poll, keep polling for up to this long when
	 * events come fast (util/hpoll.h, export_poll.c), at most
	 * EXPORT_POLL_BUDGET_PCT percent of a core. 0 = never.
	 */
	uint32_t poll_us;
	enum io_engine io_engine; /* how the iSCSI sockets do their I/O (util/uring.h) */
	/*
	 * The daemon's CPU scheduling policy, set at the start of export_run
	 * before any thread exists, so its workers inherit it. BATCH: its
	 * wakeups do not preempt the task running (SCHED_BATCH, sched(7)).
	 */
	enum export_sched { EXPORT_SCHED_NORMAL, EXPORT_SCHED_BATCH } sched;
	/*
	 * 1: one loop runs everything. N > 1: N - 1 worker threads
	 * (nbd/worker.h) serve the NBD sockets, the main loop the paths.
	 */
	uint32_t threads;
	uint32_t start_timeout_ms; /* how long to wait for the first usable path */
	uint32_t stop_timeout_ms;  /* bound of the whole stop sequence */
	struct lunlock *lock;	   /* held for the LUN (lunlock.h); its record is kept current */

	struct path_device_config dev;
};

/* Run until stopped; returns a cli_exit code. */
int export_run(struct export_config *cfg);

/*
 * Can this mode export a LUN of this geometry (src/nbd/geometry.h)? 0, or
 * CLI_EXIT_GEOMETRY with the reason in why.
 */
int export_geometry_check(enum export_mode mode, uint32_t block_size, uint32_t phys_block_size,
			  uint64_t size_bytes, char *why, size_t cap);

#endif
