/*
 * Private to src/path (and its unit tests): the objects behind device.h.
 *
 * Ownership: a struct path_device owns its paths (array), its command
 * slots (struct path_io, allocated once in path_device_new) and every
 * session it created. A struct bdev_req is the caller's; while accepted it
 * sits on at most one device list (dev->reqs) and its pieces each use one
 * path_io slot.
 *
 * Where a path_io (one piece of a request, one SCSI command) is:
 *   dev->free_ios        unused;
 *   path->outstanding    submitted on that path's session, in submit order,
 *                        which is also deadline order (constant cmd_timeout);
 *   dev->retry           waiting to be (re)sent: after a RETRY verdict
 *                        (not_before set), after a path failure, or because
 *                        no path could take it yet;
 *   dev->held            completed OK but held until the ghost-write fence
 *                        of every path it was once sent on holds.
 */
#ifndef ISN_PATH_INTERNAL_H
#define ISN_PATH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "bdev/bdev.h"
#include "path/device.h"
#include "path/path.h"
#include "path/policy.h"
#include "path/probe.h"
#include "path/reserve.h"
#include "path/transport.h"
#include "util/list.h"
#include "util/log.h"

struct path;

struct path_io {
	struct sess_task task;
	struct path_device *dev;
	struct bdev_req *req; /* NULL while free */
	struct path *path;    /* where it is outstanding, NULL when not */
	struct list_node node;
	double sent_at;
	double not_before; /* earliest resend after a RETRY verdict */
	int pref_path;	   /* resend on this path if it is eligible, -1 any */
	uint32_t sent_epoch;
	uint64_t offset; /* bytes */
	uint32_t len;	 /* bytes */
	uint32_t retries;
	uint32_t resends; /* re-sent after a path failure (io_retries) */
	bool is_write;	  /* changes the medium: needs the ghost-write fence */
	int held_err;
	uint32_t fence_mask;		      /* paths it was sent on and died */
	uint32_t fence_epoch[PATH_MAX_PATHS]; /* the session epoch it died in there */
	uint8_t unmap_param[24];
};

struct path {
	struct path_device *dev;
	unsigned int idx;
	char name[64]; /* "nbd0 path1" */
	char sess_name[80];
	struct path_config cfg;
	uint8_t isid[6];
	bool enabled;

	char route_ifname[16]; /* unbound path: the interface its route uses ("" unknown) */

	enum path_state state;
	char reason[256];
	double since;

	struct sess *sess;   /* current session, NULL when none */
	struct sess *dead;   /* dead session waiting to be freed outside its callbacks */
	uint32_t epoch;	     /* sessions created on this path; the current one's number */
	uint32_t dead_epoch; /* highest epoch whose death was handled */
	double died_at;
	bool failing; /* path_fail() is closing the session */
	char fail_why[128];
	double retain_s;      /* DefaultTime2Wait + DefaultTime2Retain of the current session */
	double dead_retain_s; /* the same, of the last dead one */

	struct list_node outstanding;
	struct path_pol_stats pol;

	/* Health (one timer, re-armed from the last activity). */
	double busy_since;
	/*
	 * Bytes waited unread when silence or a command's deadline was to be
	 * judged (path_rx_unread()): since when, and when to look again.
	 */
	double rx_unread_since, verdict_after;
	/* The loop ran late (pd_check_late()) at this time: silence and deadlines count from it. */
	double late_at;
	bool ping_out;
	uint32_t ping_epoch;
	double reconnect_at;
	uint32_t backoff_ms;	     /* the delay of the next re-login after a failure */
	uint32_t relogin_delay_ms;   /* the delay of the pending one (status) */
	uint32_t fail_streak;	     /* failures since the last healthy stretch (probation) */
	double login_at;	     /* the current session reached READY */
	uint32_t login_epoch;	     /* ... in this epoch */
	uint32_t sess_sent, sess_ok; /* commands sent / completed OK on the current session */
	/* Reinstatement by someone else with our ISID (path.c). */
	uint32_t reinstate_count; /* sessions ended shortly after login, in a row */
	uint32_t reinstate_epoch; /* the last epoch counted */
	bool reinstate_episode;	  /* reported: backing off */

	/* Ghost-write fence: epochs up to fenced_epoch cannot land writes any more. */
	uint32_t fenced_epoch;
	uint32_t taint_epoch;
	/* Writes of epochs up to this were failed before the fence held: no
	 * write goes out on any path until fenced_epoch reaches it. */
	uint32_t barrier_epoch;
	double fence_deadline; /* the time fence (fallback, device.h) */

	/* The TargetPortalGroupTag of this path's last logged-in session. */
	uint16_t tpgt;
	bool tpgt_known;
	/*
	 * Fence session (device.h): this path's ISID, TSIH 0, logged in
	 * through another path's portal (and bind) to reinstate - end - this
	 * path's dead session at the target. At most one at a time; never
	 * while this path's own session exists (they would reinstate each
	 * other), and this path does not reconnect while it logs in.
	 */
	struct sess *fence_sess;   /* logging in, or logging out once logged in */
	struct sess *fence_parked; /* dead; freed outside its callbacks */
	bool fence_ready;	   /* fence_sess logged in: the fence is done, it logs out */
	unsigned int fence_via;	   /* index of the path whose portal it uses */
	uint32_t fence_for;	   /* the epoch it fences: all up to this one */
	uint32_t fence_tried;	   /* paths tried (and failed) for the pending fence */
	double fence_retry_at;	   /* all tried: try them again from then (0: not set) */
	double fence_since;	   /* fence_sess created, or logged in (logout bound) */
	uint32_t fence_seq;
	bool fence_tpgt_warned;
	char fence_name[160];

	struct path_probe probe;
	struct path_probe_result id; /* of the last successful probe */
	/* Persistent reservation of this nexus (reserve.h): joined for resv_epoch. */
	struct path_resv resv;
	uint32_t resv_epoch;
	/* The probe was repeated after registering for this session (device.c). */
	uint32_t reprobe_epoch;
	bool resv_leaving;
	bool resv_wait; /* another path is taking the reservation: join after it */
	/* Reservation fence (devresv.c): another path preempts this one's key. */
	bool resv_fencing;
	uint32_t resv_fence_for;	  /* the epoch it fences: all up to this one */
	unsigned int resv_fence_for_path; /* on the fencing path: whose key it preempts */
	double resv_fence_retry_at;
	char last_fence[128]; /* path_status.last_fence */
	double last_fence_ms;

	uint64_t ios, bytes, errors, failures, retries;
	double latency_ewma;

	struct ev_timer timer;
	double timer_due;
};

/*
 * Device states: NEW (created, not started), RUNNING (paths connect, I/O
 * flows), STOPPING (path_device_stop(): waiting for the requests in
 * flight and the sessions' logouts, up to stop_timeout_ms), STOPPED
 * (terminal). Changed only by pd_set_state() (device.c).
 */
enum dev_state {
	DEV_NEW,
	DEV_RUNNING,
	DEV_STOPPING,
	DEV_STOPPED,
};

const char *pd_state_name(enum dev_state st);

struct path_device {
	struct bdev bd;
	struct ev_loop *loop;
	struct path_device_config cfg; /* strings below and cfg.chap are our copies */
	char *name, *initiator_name, *initiator_alias, *target_name;
	enum dev_state state;
	bool ready;
	bool ready_notified;

	struct path paths[PATH_MAX_PATHS];
	unsigned int npaths;
	struct path_policy pol;

	struct path_io *ios;
	unsigned int nios;
	struct list_node free_ios;
	struct list_node reqs;	/* bdev_req with parts still to cut, FIFO */
	struct list_node retry; /* path_io waiting to be sent */
	struct list_node held;	/* path_io done, held for a fence */
	struct list_node live;	/* every accepted bdev_req (priv.live_node), in deadline order */
	unsigned int live_reqs;
	struct log_ratelimit io_rl; /* the per-I/O failure lines of request.c, deadline.c */

	/* Splitting, from the LUN's limits. */
	uint32_t max_rw_blocks, max_unmap_blocks, max_ws_blocks;
	uint8_t *zero_block;

	double no_path_since; /* 0 while a path is active */
	bool no_path_failing; /* the bound passed: fail requests until a path returns */
	bool sweep_due;	      /* a request ran out of re-sends: fail its waiting pieces */
	double failback_due;
	double stop_deadline;
	bool stop_forced; /* the stop deadline passed: sessions were closed */
	bool in_poll;

	/* Exclusive access (device.h pr_key): what we know of the reservation. */
	enum { PD_RESV_UNKNOWN, PD_RESV_OURS, PD_RESV_TAKEN, PD_RESV_OFF } resv_state;
	bool resv_caps_done; /* REPORT CAPABILITIES answered once */
	bool resv_preempted; /* --preempt used (once) */
	uint64_t resv_holder;
	uint8_t resv_type;
	unsigned int resv_leaving; /* paths still leaving (path_device_resv_leave) */
	bool resv_holder_writes;   /* the target lets only the holder's nexus write (LIO) */
	/* A RESERVATION CONFLICT not explained yet (pd_resv_conflict_ours):
	 * READ RESERVATION on path resv_ask_path, due by resv_ask_due; the
	 * writes it refused wait on resv_ask_ios (path_io) for the answer. */
	bool resv_asking;
	unsigned int resv_ask_path;
	double resv_ask_due;
	struct list_node resv_ask_ios;
	/* Moving the reservation off a dead holder's path (pd_resv_move). */
	enum { PD_MOVE_IDLE, PD_MOVE_LOGIN, PD_MOVE_CLEAR, PD_MOVE_JOIN } resv_move;
	unsigned int resv_move_from, resv_move_to;
	struct sess *resv_move_sess, *resv_move_parked;
	struct path_resv resv_move_rv;
	double resv_move_retry_at;
	char resv_move_name[96];

	ev_prepare kick; /* deferred path_device_poll (util/evdefer.h) */
	struct ev_timer timer;
	double timer_due;
	double fired_due; /* the earliest due time of the timers that fired for this poll */
	struct path_linkmon *linkmon;
};

/* device.c */
double pd_now(const struct path_device *dev);
/* Arm w, whose armed due time is *timer_due, for due (pd_now's clock; 0: nothing due). */
void pd_timer_arm(struct path_device *dev, ev_timer *w, double *timer_due, double due);
/* A timer due at due has fired: path_device_poll() follows (how late it runs). */
void pd_timer_fired(struct path_device *dev, double due);
void pd_kick(struct path_device *dev);
void pd_regroup(struct path_device *dev);
void pd_path_ready(struct path_device *dev, struct path *p); /* probe OK: identity check */
void pd_fence_released(struct path_device *dev);
/* reserve glue (device.c): a write got RESERVATION CONFLICT on p. */
void pd_resv_conflict(struct path_device *dev, struct path *p);
/* What a write's RESERVATION CONFLICT on p means: the holder's path index
 * (re-send there), or one of these. */
#define PD_CONFLICT_OTHER   (-1) /* another host's: pd_resv_conflict, EIO */
#define PD_CONFLICT_ASKING  (-2) /* the write waits on dev->resv_ask_ios */
#define PD_CONFLICT_UNKNOWN (-3) /* cannot ask now: EIO, the LUN stays ours */
int pd_resv_conflict_ours(struct path_device *dev, struct path *p);
/* The READ RESERVATION of pd_resv_conflict_ours past resv_ask_due: its path fails. */
void pd_resv_ask_expire(struct path_device *dev, double now);
int pd_resv_write_path(const struct path_device *dev);
/* Start p's registration if it needs one; true: pd_path_ready runs again when done. */
bool pd_resv_join(struct path_device *dev, struct path *p);
/* p's dead session cannot be fenced by a login (no healthy path in its
 * portal group): preempt its key from another path. true: started. */
bool pd_resv_fence(struct path_device *dev, struct path *p, double now);
bool pd_resv_move(struct path_device *dev);
void pd_resv_release(struct path_device *dev);
/* Writes are refused locally: read-only export, or the LUN is another host's. */
int pd_write_refused(const struct path_device *dev);
/* struct bdev_req_priv (bdev/bdev.h) flags, as the path layer uses them
 * (request.c, deadline.c): owner is the path_device, node links the
 * request on dev->reqs while RF_QUEUED, live_node on dev->live, accepted
 * starts the io_timeout_ms deadline. */
#define RF_QUEUED  1u /* on dev->reqs */
#define RF_CUT	   2u /* every piece has been cut */
#define RF_EXPIRED 4u /* past its deadline or out of re-sends: its pieces fail */
#define RF_LOGGED  8u /* its failure was logged: task_fail or pd_req_log_fail, once */

/* A failed request's one line: true the first time it is asked for (and
 * marks the request RF_LOGGED), false after, whoever logs it. */
static inline bool pd_req_log_once(struct bdev_req *req)
{
	if (req->priv.flags & RF_LOGGED)
		return false;
	req->priv.flags |= RF_LOGGED;
	return true;
}

/* request.c */
int pd_submit(struct bdev *bd, struct bdev_req *req);
/* pick.c: the path for a piece of bytes (pref: its preferred path, or -1);
 * NULL: none now (all busy or down, or a write waits for the holder's). */
struct path *pd_pick_path(struct path_device *dev, bool write, uint32_t bytes, int pref);
void pd_req_maybe_done(struct path_device *dev, struct bdev_req *req); /* complete if due */
void pd_req_set_err(struct bdev_req *req, int err);		       /* keep the first */
/* deadline.c */
void pd_expire(struct path_device *dev, double now);   /* requests past their deadline */
double pd_deadline_due(const struct path_device *dev); /* 0: none */
bool pd_write_barrier(const struct path_device *dev);
/* Complete a piece at a bound, fence or not (raises the write barrier); true: in doubt. */
bool pd_io_fail_now(struct path_io *io, int err);
bool pd_req_is_write(const struct bdev_req *req);
const char *pd_req_op_name(enum bdev_op op); /* "READ" ... for log lines */
/* request.c: end the wait of dev->resv_ask_ios: re-send through path via, or
 * (via < 0) fail with EIO. */
void pd_resv_wait_end(struct path_device *dev, int via);
void pd_req_log_fail(struct path_device *dev, struct bdev_req *req, double now, const char *fmt,
		     ...) ISN_PRINTF(4, 5);
/* request.c */
void pd_dispatch(struct path_device *dev, double now);
/* retry list, queued requests and (running: the no-path bound) held writes */
unsigned int pd_fail_waiting(struct path_device *dev, int err);
void pd_io_complete(struct path_io *io, int err);
void pd_arm_timer(struct path_device *dev);
double pd_next_due(const struct path_device *dev); /* 0: nothing due */

/* path.c */
void path_init(struct path *p, struct path_device *dev, unsigned int idx,
	       const struct path_config *cfg);
void path_set_state(struct path *p, enum path_state st, const char *fmt, ...) ISN_PRINTF(3, 4);
void path_connect(struct path *p);
void path_fail(struct path *p, const char *fmt, ...) ISN_PRINTF(2, 3);
void path_stop(struct path *p);
/* pathcheck.c */
void path_check(struct path *p, double now); /* the timer's work */
void path_arm_timer(struct path *p);
double path_next_due(const struct path *p); /* 0: nothing due */
/* path.c */
bool path_usable(const struct path *p);
/* Sessions ended by the target this soon after login count as reinstated (seconds). */
double path_reinstate_window(const struct path_device *dev);
/* Failed again after each of its last logins: I/O goes to other paths first. */
bool path_probation(const struct path *p);
int path_submit(struct path *p, struct path_io *io);
void path_io_finished(struct path *p, struct path_io *io, double now);
void path_release(struct path *p);
void path_link_up(struct path *p);		      /* its link is back: reconnect now */
void path_link_down(struct path *p, const char *why); /* fail now, retry slowly */
void path_rescan(struct path *p);		      /* re-read the LUN's data on a live path */
void path_reprobe(struct path *p); /* probe a PROBING path again (after its registration) */
void path_default_isid(uint8_t isid[6], const char *initiator, const char *target, uint64_t lun,
		       const struct sockaddr_storage *portal, socklen_t portal_len,
		       unsigned int idx);
/* The session transport of p's device (device.h: the engine, or a test's fake). */
const struct path_transport_ops *path_ops_of(const struct path *p);
/* A login config with p's ISID and TSIH 0 to via's portal, from via's bind. */
void path_sess_config(const struct path *p, const struct path *via, const char *name,
		      struct sess_config *sc);

/* fence.c: the ghost-write fence (device.h) */
/* No session of p up to epoch can land a write any more. */
bool path_fenced(const struct path *p, uint32_t epoch);
/* A sent write died with p's session epoch: fence p up to that epoch. */
void path_taint(struct path *p, uint32_t epoch);
/* Some tainted epoch of p is not fenced yet. */
bool path_fence_pending(const struct path *p);
/* Every epoch up to e is fenced (how, through via or NULL): release held writes. */
void path_fence_done(struct path *p, uint32_t e, const char *how, const struct path *via);
/* A fence session logs in with p's ISID: p must not log in now. */
bool path_fence_logging_in(const struct path *p);
/* path_fence_try() may start a fence session now. */
bool path_fence_can_try(const struct path *p);
/* When p's fence session (login or logout) is given up on. */
double path_fence_sess_due(const struct path *p);
/* Close p's fence session, if any, and forget it. */
void path_fence_sess_close(struct path *p);
/* Start a fence session through a healthy path of p's portal group, if one is due. */
void path_fence_try(struct path *p, double now);

#endif
