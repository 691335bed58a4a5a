/*
 * struct path_device: one iSCSI LUN reached over N paths, exported upward
 * as a struct bdev (bdev.h). This is what the daemon creates.
 *
 * Life cycle:
 *   path_device_new()   copies the config, allocates everything the I/O
 *                       path will need (command slots, UNMAP parameter
 *                       buffers); no I/O yet.
 *   path_device_start() creates a session per enabled path and logs in.
 *                       on_ready fires once, when the first path is logged
 *                       in and probed: path_device_bdev()->info is valid
 *                       from then on and submit() accepts requests.
 *   path_device_stop()  fails queued requests with -ESHUTDOWN, logs out
 *                       every session (commands still in flight complete
 *                       with their result if the target answers within
 *                       stop_timeout_ms; then sessions are closed and the
 *                       rest complete with -ESHUTDOWN). on_stopped fires
 *                       once, when every request has completed and every
 *                       session is dead. Bounded by stop_timeout_ms.
 *   path_device_free()  after on_stopped (or before start), never from inside
 *                       one of this device's callbacks. Freeing a running
 *                       device stops it first (everything completes with
 *                       -ESHUTDOWN at once).
 * Callbacks (on_ready, done, ...) may submit, stop, enable / disable paths:
 * the device is reentrant for those.
 *
 * Requests (bdev.h rules apply): split at logical block boundaries by the
 * LUN's VPD B0 limits and max_io_bytes; each piece is sent on a path the
 * selector picks; results are classified by the SCSI table:
 *   OK                 piece done;
 *   RETRY              (unit attention, busy, task set full, becoming
 *                      ready) re-sent after a short backoff, up to
 *                      retry_max times, then -EIO;
 *   PATH / session     the path is failed and the piece re-sent on another
 *   death / timeout    path: the caller never sees it;
 *   HARD               the request completes with the table's -errno.
 * With no path active, pieces wait; when no path has been active for
 * no_path_retry_ms, all waiting requests fail with -EIO, and new ones
 * fail at once (still through done, never inside submit) until a path
 * comes back.
 *
 * Bounds (DESIGN.md "Invariants": every wait has one, iscsi-nbd.8 BOUNDS):
 *   per command        cmd_timeout_ms (path.h: the path fails, the command
 *                      is re-sent); nop_timeout_ms of silence while busy;
 *   per request        io_timeout_ms from submit, across every retry,
 *                      re-send, wait for a path and fence hold: past it the
 *                      request completes with -EIO and one log line (op,
 *                      offset+len, where it was). A piece still outstanding
 *                      then is reclaimed by failing its path: a session may
 *                      use the buffer until the command comes back. Checked
 *                      on every requeue and by the device's one timer (the
 *                      live list is in arrival = deadline order); no timer
 *                      per request. And io_retries re-sends of a piece
 *                      after path failures, then -EIO (a flap that always
 *                      comes back);
 *   with no path       no_path_retry_ms (above), writes in doubt included;
 *   at stop            stop_timeout_ms.
 * A path's re-login delay doubles from reconnect_min_ms to reconnect_max_ms
 * per failure and is reset only after backoff_reset_ms of good I/O (path.h);
 * while the target keeps ending our sessions right after login with no
 * local cause - another initiator with our ISID reinstating them - it is
 * reinstate_backoff_ms, reported once per episode.
 *
 * Ghost writes (DESIGN.md "Path semantics"): a write that was sent on a
 * session that then died may still be queued at the target for that old
 * session and land later, over newer data. We re-issue it at once on
 * another path but hold its completion until the old session is fenced:
 *
 *  - Fence by reinstatement (RFC 7143 6.3.5): every login of a path
 *    uses the path's fixed ISID with TSIH 0. The target sees the same
 *    I_T nexus (initiator name + ISID + target + portal group) and must
 *    terminate the old session, with all its tasks, before the new login
 *    succeeds (at ErrorRecoveryLevel 0 there is no connection recovery,
 *    so nothing of the old session survives). So "the path logged in
 *    again" proves that no stale copy can land any more.
 *  - Fence session through a healthy path: the I_T nexus does not name a
 *    portal. All portals of one portal group reach the same nexus (RFC
 *    7143 4.4.1, 4.4.2 "Consequences of the Model": a SCSI target port is
 *    a portal group, and a session is identified by initiator name +
 *    ISID, target name + TPGT; 10.12.5 the ISID). So when path P dies with
 *    writes to fence and another path Q is logged in to a session whose
 *    negotiated TargetPortalGroupTag (13.9) equals that of P's last
 *    session, a short-lived session is opened to Q's portal, from Q's bind
 *    interface / address, with P's ISID and TSIH 0: a full normal login
 *    (same initiator, target, CHAP). The target must end P's old session,
 *    and its queued tasks, before that login succeeds: its success is the
 *    fence, whatever P's own network does. The fence session carries no
 *    I/O and is logged out at once (closed if that does not finish in
 *    stop_timeout_ms). Whichever login with P's ISID succeeds first after
 *    P's old session died (P's own, or the fence session) completes the
 *    fence. They never run together, or they would reinstate each other
 *    in turn: a fence session is started only while P has no session (P
 *    is not logging in), and P does not reconnect while a fence session
 *    logs in. A refused fence login is tried through the next such path;
 *    with none left, again after reconnect_max_ms. A fence login that
 *    answers with another TPGT is not a fence. With no healthy path in
 *    P's portal group (TPGTs differ, warned once), only P's own login,
 *    the reservation fence or the time fence can release the writes.
 *  - Fence by reservation (pr_key set and the LUN ours; devresv.c): in
 *    that case a live, registered path preempts P's key (PREEMPT AND
 *    ABORT, SPC-5 5.14.12.5; PREEMPT where the target lacks it): P's old
 *    nexus is unregistered, so under Write Exclusive - Registrants Only
 *    nothing it still sends can write, and its queued tasks are aborted.
 *    P does not log in meanwhile (its login would register the key being
 *    removed); it registers again when it does.
 *  - Fence by time (fallback): the target drops the old session once it
 *    notices the connection is gone and DefaultTime2Wait +
 *    DefaultTime2Retain have passed (RFC 7143 13.15, 13.16; both
 *    negotiated at login, Time2Retain 0 means immediate cleanup). We wait
 *    those plus fence_grace_ms (which covers the target noticing the
 *    loss) from the moment we saw the session die. This is only sound if
 *    the target does notice the dead connection: a silent network
 *    (packets dropped, carrier up) and a target without keepalive or
 *    NOP-In (tgtd) keep the old session and its queued write forever, and
 *    the stale copy lands whenever the network comes back (found by
 *    tests/integration/mp-ghost-write.sh). It stays armed as the last
 *    resort: it releases the writes at its deadline if no login with P's
 *    ISID has succeeded by then (no healthy path in P's portal group, or
 *    every fence login refused). Set fence_grace_ms to cover the target's
 *    TCP keepalive / NOP-In timeout where that matters.
 * Early completion and the write barrier: at a bound (io_timeout_ms, the
 * no-path bound) a held or waiting write completes before its fence holds
 * (-EIO, or its result if its re-issue completed). The caller may then
 * write the same blocks again, so from then on no write (WRITE, WRITE
 * SAME, UNMAP, new or re-issued) is sent on any path until every such
 * epoch is fenced; reads and flushes pass. No later write can overtake a
 * ghost.
 * Only writes (WRITE, WRITE SAME, UNMAP) that had been handed to the
 * socket (sess_task.sent) are held, whether their re-issue succeeds or
 * fails (a caller told "failed" rewrites the blocks just the same); reads
 * and unsent commands are not.
 * The price: those writes complete one login round trip late through a
 * healthy path of the same portal group; only without one, up to
 * Time2Wait + Time2Retain + fence_grace_ms late (22 s with the RFC
 * defaults 2 + 20; a session that negotiates Time2Retain 0 at ERL 0 makes
 * it 2 s). Because the default ISID is derived from what identifies the
 * attachment (path.h), the first login after a daemon restart also ends
 * the previous run's sessions and whatever they still had queued.
 */
#ifndef ISN_PATH_DEVICE_H
#define ISN_PATH_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ev.h>

#include "bdev/bdev.h"
#include "path/path.h"
#include "path/policy.h"
#include "path/transport.h"
#include "session/session.h"

#define PATH_MAX_PATHS 8

/*
 * The defaults of struct path_device_config, applied by path_device_new()
 * to a field left 0: the one definition of each. The option table
 * (src/cli/confkeys.c) states those it has a row for from these same
 * macros, so they are plain integer literals, written in the unit the
 * table shows (seconds where it says "30s"); test_config checks the table
 * against what path_device_new() applies.
 */
#define PD_DEFAULT_NOP_INTERVAL_S	1    /* nop_interval */
#define PD_DEFAULT_NOP_TIMEOUT_MS	1500 /* nop_timeout */
#define PD_DEFAULT_CMD_TIMEOUT_S	30   /* cmd_timeout */
#define PD_DEFAULT_NO_PATH_RETRY_S	15   /* no_path_retry */
#define PD_DEFAULT_IO_TIMEOUT_S		60   /* io_timeout */
#define PD_DEFAULT_IO_RETRIES		8    /* io_retries */
#define PD_DEFAULT_RECONNECT_MIN_MS	250
#define PD_DEFAULT_RECONNECT_MAX_MS	10000
#define PD_DEFAULT_STOP_TIMEOUT_MS	3000
#define PD_DEFAULT_MAX_INFLIGHT		64
#define PD_DEFAULT_MAX_IO_BYTES		(1u << 20)
#define PD_DEFAULT_RETRY_MAX		5
#define PD_DEFAULT_RETRY_BACKOFF_MS	10
#define PD_DEFAULT_BACKOFF_RESET_MS	30000
#define PD_DEFAULT_REINSTATE_BACKOFF_MS 60000
/* login_timeout_ms: the session's own, SESS_DEFAULT_LOGIN_TIMEOUT_MS (session.h). */

struct path_device;

/* What on_reservation reports (path_device_config). */
enum path_resv_event_kind {
	PATH_RESV_EV_RESERVED,	  /* the LUN is ours (first time, or after a preemption) */
	PATH_RESV_EV_TAKEN,	  /* another host holds it (key, type): writes fail */
	PATH_RESV_EV_UNSUPPORTED, /* the target has no persistent reservations */
	PATH_RESV_EV_RELEASED,	  /* path_device_resv_leave() finished */
};

struct path_resv_event {
	enum path_resv_event_kind kind;
	const char *path; /* the path that saw it */
	uint64_t key;	  /* TAKEN: the holder's key; RESERVED: ours */
	uint8_t type;	  /* enum scsi_pr_type of the holder's reservation, 0 unknown */
	bool at_runtime;  /* TAKEN: after the device was ready (RESERVATION CONFLICT) */
	unsigned int npreempted;
	const uint64_t *preempted; /* RESERVED: keys removed with PREEMPT AND ABORT */
	bool no_abort;		   /* ... with PREEMPT: the target refused the abort (tgtd) */
};

struct path_config {
	const char *name; /* "path1"; NULL: "path<index>" */
	struct sockaddr_storage portal;
	socklen_t portal_len;
	const char *bind_ifname;	   /* NULL: none */
	struct sockaddr_storage bind_addr; /* AF_UNSPEC: none */
	socklen_t bind_addr_len;
	uint8_t isid[6]; /* all zero: derived from initiator, target, LUN, portal, index (path.h) */
	int priority;	 /* failover order, lower preferred; default index */
	bool priority_set;
	bool disabled;
};

struct path_device_config {
	const char *name; /* "nbd0": log prefix */

	const char *initiator_name;
	const char *initiator_alias;
	const char *target_name;
	uint64_t lun;

	struct path_config paths[PATH_MAX_PATHS];
	unsigned int npaths;

	struct chap_creds chap; /* session/chap.h; user NULL: no CHAP */
	enum sess_digest_pref header_digest;
	enum sess_digest_pref data_digest;

	struct path_policy_config policy;

	/* 0 means the default, PD_DEFAULT_<NAME> (above). */
	uint32_t nop_interval_ms;  /* NOP-Out after this much idle silence */
	uint32_t nop_timeout_ms;   /* silence allowed while busy */
	uint32_t cmd_timeout_ms;   /* per-command deadline */
	uint32_t no_path_retry_ms; /* how long requests wait for a path */
	uint32_t reconnect_min_ms;
	uint32_t reconnect_max_ms;
	uint32_t login_timeout_ms; /* default: the session's */
	uint32_t stop_timeout_ms;
	uint32_t max_inflight;	   /* commands per path */
	uint32_t max_io_bytes;	   /* split size cap below the LUN's limit */
	uint32_t retry_max;	   /* retries of a RETRY-class result */
	uint32_t retry_backoff_ms; /* doubled per retry */
	uint32_t fence_grace_ms;   /* 0 (see above: the time fence) */
	uint32_t cmd_window_max;   /* passed to the session; 0 = its default */
	uint32_t max_recv_dsl;	   /* our MaxRecvDataSegmentLength; 0 = the session's default */
	/*
	 * Bounds of one request (see "Bounds" below). io_timeout_ms: from
	 * submit to done, across every retry, re-send, wait for a path and
	 * fence hold. io_retries: re-sends after path failures
	 * (session death, command timeout, path-class sense).
	 */
	uint32_t io_timeout_ms;
	uint32_t io_retries;
	/* A path's re-login delay is reset after it carried I/O this long. */
	uint32_t backoff_reset_ms;
	/* Re-login delay while someone else keeps reinstating our ISID. */
	uint32_t reinstate_backoff_ms;

	/* Transport: NULL means &path_transport_sess (the session engine); tests pass fakes. */
	const struct path_transport_ops *transport;
	/* Clock; NULL = ev_now(loop). Tests drive a fake one and call path_device_poll(). */
	double (*clock)(void *opaque);
	void *clock_opaque;

	void (*on_ready)(struct path_device *dev, void *opaque);
	void (*on_stopped)(struct path_device *dev, void *opaque);
	/* Optional: a path changed state (for status / logging in the daemon). */
	void (*on_path_state)(struct path_device *dev, unsigned int idx, enum path_state st,
			      void *opaque);
	/*
	 * Optional: the LUN has grown (online resize: same identity and block
	 * size, more blocks), seen when a path (re)joins or when a "capacity
	 * data has changed" unit attention makes a live path re-read the LUN.
	 * bdev info keeps the old size until the daemon decides; a LUN that
	 * shrank is refused (PATH_WRONG_LUN / the path is failed).
	 */
	void (*on_capacity_change)(struct path_device *dev, uint64_t new_size_bytes, void *opaque);

	/*
	 * Exclusive access (reserve.h, DESIGN.md "Exclusive access").
	 * pr_key 0: no reservation. Otherwise the host's key
	 * (path_resv_host_key()): before a path carries its first command
	 * after each login, its nexus is registered with pr_key | path index
	 * (REGISTER AND IGNORE EXISTING KEY) and, if no reservation exists,
	 * the LUN is reserved Write Exclusive - Registrants Only. When another
	 * host holds the LUN the path does not register; on_reservation says
	 * so (PATH_RESV_EV_TAKEN) and no write is sent from then on: writes
	 * complete with -EIO locally, reads go on (type 5 lets anyone read).
	 * A RESERVATION CONFLICT at run time means the same (someone took the
	 * LUN): never a path failure, never retried on another path.
	 */
	uint64_t pr_key;
	bool pr_required; /* a target without PR support: PATH_RESV_EV_UNSUPPORTED, no path */
	bool pr_preempt;  /* take the LUN from another host (PREEMPT AND ABORT), once */
	/* Export read-only: bdev info read_only, writes fail with -EPERM, none is sent. */
	bool read_only;
	void (*on_reservation)(struct path_device *dev, const struct path_resv_event *ev,
			       void *opaque);
	void *opaque;
};

/* NULL with errno set (EINVAL for a bad config, ENOMEM). */
struct path_device *path_device_new(struct ev_loop *loop, const struct path_device_config *cfg);
int path_device_start(struct path_device *dev);
void path_device_stop(struct path_device *dev);
void path_device_free(struct path_device *dev);

/* The bdev the nbd layer uses; info valid after on_ready. */
struct bdev *path_device_bdev(struct path_device *dev);
bool path_device_ready(const struct path_device *dev);

unsigned int path_device_npaths(const struct path_device *dev);
/* bdev requests submitted and not yet completed (waiting, in flight, held). */
unsigned int path_device_inflight(const struct path_device *dev);
void path_device_path_status(const struct path_device *dev, unsigned int idx,
			     struct path_status *out);
/* Enable / disable a path at run time (disable drains it: like a failure). */
int path_device_set_enabled(struct path_device *dev, unsigned int idx, bool on);
/*
 * Take the grown size reported by on_capacity_change: requests up to
 * size_bytes are accepted from now on. -EINVAL if it is smaller than the
 * current size or not a multiple of the logical block size.
 */
int path_device_accept_size(struct path_device *dev, uint64_t size_bytes);
/*
 * Re-read the LUN's capacity on one live path (READ CAPACITY and friends);
 * growth is reported through on_capacity_change. Targets do not always
 * announce a resize with a unit attention (tgt and LIO do not), so the
 * daemon calls this now and then. No-op when no path is live or a re-read
 * is already running.
 */
void path_device_rescan(struct path_device *dev);
/*
 * Detach: release the reservation and remove our registrations, through one
 * live path (reserve.h PATH_RESV_LEAVE: CLEAR when the reservation is
 * ours); on_reservation(PATH_RESV_EV_RELEASED) when done. Returns 1 when
 * started, 0 when there is nothing to do or no live path (then no event).
 * Call before path_device_stop(); each command is bounded like any other.
 */
unsigned int path_device_resv_leave(struct path_device *dev);
/* The holder the device knows of: 1 ours, -1 another host's (key, type), -2 the target
 * has no persistent reservations, 0 none / unknown / no pr_key. */
int path_device_resv_state(const struct path_device *dev, uint64_t *key, uint8_t *type);

/* Manual failback for the failover policy. */
void path_device_failback(struct path_device *dev);
/* Fail a path now (link monitor: carrier lost). */
void path_device_fail_path(struct path_device *dev, unsigned int idx, const char *why);

/*
 * Run what is due now: deferred dispatch and completions, every path's and
 * the device's timers. The device's own libev watchers call this; tests
 * with a fake clock call it after moving the clock.
 */
void path_device_poll(struct path_device *dev);

#endif
