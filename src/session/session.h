/*
 * One iSCSI session on one TCP connection (RFC 7143, ErrorRecoveryLevel 0,
 * MaxConnections 1), non-blocking on a libev loop.
 *
 * What a session does: connect (optionally bound to an interface or source
 * address), log in (security + operational negotiation, following login
 * redirects), then carry SCSI commands in the full feature phase: CmdSN
 * window, ITT allocation, Data-In, immediate / unsolicited / R2T-solicited
 * Data-Out, NOP-In echo, asynchronous messages, task management, logout;
 * and SendTargets discovery on a discovery session.
 *
 * What a session does not do: reconnect, retry, or time out commands. It
 * reports that it is dead (once, with the reason) and hands back its
 * outstanding commands; reconnecting, re-issuing and every timeout policy
 * belong to the owner (src/path). The only timer a session keeps is the
 * login timeout given in its config.
 *
 * Threading: everything on the loop thread given to sess_new().
 *
 * States (enum sess_state):
 *   SESS_IDLE        created, sess_start() not called yet.
 *   SESS_CONNECTING  TCP connect in progress.
 *   SESS_LOGIN       login PDUs being exchanged (may reconnect to a
 *                    redirect address inside this state).
 *   SESS_READY       full feature phase: sess_submit() accepted.
 *   SESS_LOGOUT      logout requested: no new commands; outstanding ones
 *                    still complete.
 *   SESS_DEAD        terminal. Reached on any error, after logout, or by
 *                    sess_close(). on_state fires for it exactly once.
 * Every transition is logged by one function, with the session's name.
 */
#ifndef ISN_SESSION_SESSION_H
#define ISN_SESSION_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <ev.h>

#include "session/chap.h"
#include "session/param.h"
#include "util/list.h"

struct sess;

enum sess_state {
	SESS_IDLE,
	SESS_CONNECTING,
	SESS_LOGIN,
	SESS_READY,
	SESS_LOGOUT,
	SESS_DEAD,
};

const char *sess_state_name(enum sess_state st);

/*
 * Why a session died: the first cause wins and is kept for status output.
 * The one table of death reasons, one row each: the enum suffix, the name
 * (sess_death_name), the exit code of a one-shot command that dies of it
 * (the suffix of a CLI_EXIT_* code, expanded only by src/cli/sync.c) and
 * the hint that command prints to the user ("" for none).
 */
#define SESS_DEATH_TABLE(X)                                                                        \
	X(NONE, "none", CONNECT, "")                                                               \
	/* TCP connect failed (refused, unreachable, timeout) */                                   \
	X(CONNECT, "connect failed", CONNECT,                                                      \
	  "check the portal address and port, that the target runs, and the network")              \
	/* login rejected or login negotiation failed */                                           \
	X(LOGIN, "login failed", LOGIN,                                                            \
	  "check the target name (iscsi-nbd discover PORTAL lists them), that the target accepts " \
	  "this initiator name, and login options such as digests")                                \
	/* authentication failure (either direction) */                                            \
	X(AUTH, "authentication failed", AUTH,                                                     \
	  "check --chap-user and the secret file (and --mutual-user / --mutual-secret-file for "   \
	  "mutual CHAP) against the target's accounts")                                            \
	/* no login completion within login_timeout_ms */                                          \
	X(LOGIN_TIMEOUT, "login timeout", CONNECT,                                                 \
	  "the target did not complete the login in time: check it is reachable and healthy")      \
	/* EOF, ECONNRESET or another socket error */                                              \
	X(CONN_LOST, "connection lost", CONNECT,                                                   \
	  "the connection was lost; check the target and the network")                             \
	/* malformed or illegal PDU from the target */                                             \
	X(PROTOCOL, "protocol error", PROTOCOL,                                                    \
	  "the target sent something RFC 7143 forbids; rerun with -d login,session and report "    \
	  "it")                                                                                    \
	/* header or data digest mismatch */                                                       \
	X(DIGEST, "digest error", PROTOCOL,                                                        \
	  "a digest did not match: data was corrupted in transit")                                 \
	/* async message: connection / session dropped */                                          \
	X(TARGET_DROP, "dropped by target", CONNECT,                                               \
	  "the connection was lost; check the target and the network")                             \
	/* orderly logout completed */                                                             \
	X(LOGOUT, "logged out", CONNECT, "")                                                       \
	/* sess_close() by the owner */                                                            \
	X(CLOSED, "closed", CONNECT, "")

#define SESS_DEATH_ENUM(id, name, exit, hint) SESS_DEATH_##id,
enum sess_death { SESS_DEATH_TABLE(SESS_DEATH_ENUM) };
#undef SESS_DEATH_ENUM

const char *sess_death_name(enum sess_death d);

enum sess_digest_pref {
	SESS_DIGEST_NONE,	   /* offer None only */
	SESS_DIGEST_CRC32C,	   /* offer CRC32C only (login fails if refused) */
	SESS_DIGEST_PREFER_CRC32C, /* offer CRC32C,None */
	SESS_DIGEST_PREFER_NONE,   /* offer None,CRC32C */
};

/*
 * Defaults of struct sess_config, applied by sess_new() to a field left 0:
 * the one definition of each. The path layer's default login timeout is
 * this one too (path/device.c).
 */
#define SESS_DEFAULT_LOGIN_TIMEOUT_MS 15000
#define SESS_DEFAULT_CMD_WINDOW_MAX   128

struct sess_config {
	const char *name; /* log prefix, e.g. "path1 sess3"; copied */

	const char *initiator_name; /* copied */
	const char *initiator_alias;
	const char *target_name; /* NULL for a discovery session; copied */
	bool discovery;

	/* Resolved portal; the owner resolves names (getaddrinfo) and IPv6 scopes. */
	struct sockaddr_storage portal;
	socklen_t portal_len;
	const char *bind_ifname;	   /* SO_BINDTODEVICE, or NULL */
	struct sockaddr_storage bind_addr; /* source address, or family AF_UNSPEC */
	socklen_t bind_addr_len;

	uint8_t isid[6]; /* chosen by the owner, stable per path (RFC 7143 10.12.5) */
	uint16_t tsih;	 /* 0 for a new session */

	/* CHAP (chap.h): NULL user means AuthMethod=None. Copied, secrets wiped on free. */
	struct chap_creds chap;

	enum sess_digest_pref header_digest;
	enum sess_digest_pref data_digest;

	/* Operational proposals; 0 means the built-in default. */
	uint32_t max_recv_dsl;	      /* our MaxRecvDataSegmentLength (default 256 KiB) */
	uint32_t first_burst;	      /* default 256 KiB */
	uint32_t max_burst;	      /* default 16 MiB */
	uint32_t max_outstanding_r2t; /* default 1 */
	bool initial_r2t;	      /* we propose No unless set */
	bool no_immediate_data;	      /* we propose Yes unless set */

	uint32_t login_timeout_ms; /* 0: SESS_DEFAULT_LOGIN_TIMEOUT_MS */
	/*
	 * TCP_USER_TIMEOUT for the connection, with keepalive probing after
	 * half of it idle, so the kernel gives up on a dead connection on the
	 * owner's schedule (the path layer passes its NOP interval + timeout).
	 * 0: the system's defaults (minutes).
	 */
	uint32_t tcp_user_timeout_ms;
	uint32_t cmd_window_max; /* cap on commands in flight; 0: SESS_DEFAULT_CMD_WINDOW_MAX */
	uint32_t initial_cmdsn;	 /* CmdSN of the leading login; 0 means 1 (tests use the wrap) */
};

/* A SCSI command. The owner allocates it and keeps it alive until done. */
enum sess_dir {
	SESS_DIR_NONE,
	SESS_DIR_READ,	/* Data-In into iov */
	SESS_DIR_WRITE, /* Data-Out from iov */
};

#define SESS_SENSE_MAX 252
#define SESS_IOV_MAX   4

struct sess_task;
typedef void (*sess_task_done_fn)(struct sess_task *t);

struct sess_task {
	/* Set by the owner before sess_submit(). */
	uint8_t cdb[16];
	uint8_t cdb_len;
	uint64_t lun; /* integer LUN; encoded per SAM by the session */
	enum sess_dir dir;
	struct iovec iov[SESS_IOV_MAX]; /* data buffers; borrowed until done */
	unsigned int iov_cnt;
	uint32_t xfer_len; /* expected data transfer length, bytes */
	sess_task_done_fn done;
	void *opaque;

	/*
	 * Results, valid in done:
	 * result 0: the target answered; status / sense / residual are valid
	 *   (status may still be CHECK CONDITION: classify it with src/scsi).
	 * result -ECONNABORTED: the session died with the command outstanding;
	 *   it may or may not have executed at the target. sent says whether
	 *   any of it reached the socket. The owner decides whether to re-issue.
	 * result -ESHUTDOWN: sess_close() before the command was sent.
	 * result -ECANCELED: aborted by a task management function.
	 * result -EPROTO: the target's answer to this command was malformed
	 *   (the session dies too; other commands get -ECONNABORTED).
	 * result -EIO: the target rejected the command PDU (Reject, RFC 7143
	 *   11.17); the session stays up.
	 */
	int result;
	bool sent;
	uint8_t status;
	uint8_t response; /* iSCSI response code (0 = command completed at target) */
	uint16_t sense_len;
	uint8_t sense[SESS_SENSE_MAX];
	uint32_t residual; /* bytes */
	bool residual_under;
	bool residual_over;

	/* Private to the session. */
	struct list_node node;
	uint32_t itt;
	uint32_t cmdsn;
	uint32_t data_done;   /* bytes received (read) or sent (write) */
	uint32_t r2t_pending; /* outstanding R2T bookkeeping */
	void *priv;
};

/* Events the target announces (RFC 7143 11.9), delivered to on_event. */
enum sess_event_type {
	SESS_EV_SCSI_ASYNC,	 /* SCSI asynchronous event: sense carried (e.g. capacity change) */
	SESS_EV_LOGOUT_REQUEST,	 /* target asks us to log out within param3 seconds */
	SESS_EV_DROP_CONNECTION, /* target will drop / dropped the connection */
	SESS_EV_DROP_SESSION,	 /* target will drop all connections */
	SESS_EV_NEGOTIATE,	 /* target requests text negotiation */
	SESS_EV_VENDOR,
};

struct sess_event {
	enum sess_event_type type;
	uint64_t lun;
	uint16_t param1, param2, param3; /* AsyncVCode parameters (RFC 7143 11.9.1) */
	const uint8_t *sense;		 /* SCSI_ASYNC: sense data, borrowed for the call */
	uint16_t sense_len;
};

struct sess_callbacks {
	/* Every state change; for SESS_DEAD also the death reason and a message. */
	void (*on_state)(struct sess *s, enum sess_state st, enum sess_death why, const char *msg,
			 void *opaque);
	void (*on_event)(struct sess *s, const struct sess_event *ev, void *opaque);
};

/*
 * Create a session (no I/O yet). Copies what it needs from cfg.
 * Returns NULL with errno set.
 */
struct sess *sess_new(struct ev_loop *loop, const struct sess_config *cfg,
		      const struct sess_callbacks *cb, void *opaque);

/* Connect and log in; progress is reported through on_state. */
int sess_start(struct sess *s);

/*
 * Like sess_start() on a socket that is already connected (tests: one end
 * of a socketpair to a fake target). The session owns fd from here on.
 */
int sess_start_fd(struct sess *s, int fd);

enum sess_state sess_state(const struct sess *s);
enum sess_death sess_death_reason(const struct sess *s);
const char *sess_death_message(const struct sess *s); /* "" while alive */
/*
 * Values agreed at login, readable once SESS_READY is reached: the login's
 * result (param.h) as is, except max_outstanding_r2t clamped to the 1..16
 * R2Ts a session tracks, and a target_max_recv_dsl the target left at 0
 * read as 8192 (the RFC 7143 13.12 default).
 */
const struct iscsi_params *sess_negotiated(const struct sess *s);
const char *sess_name(const struct sess *s);

/*
 * Queue a SCSI command. Returns 0 (done will fire exactly once) or
 * -ENOTCONN (not READY), -EINVAL (bad task). Commands beyond the target's
 * CmdSN window wait inside the session, in order.
 */
int sess_submit(struct sess *s, struct sess_task *t);

/* Ask the target for a NOP-In; cb(opaque, 0) on answer, (opaque, -ECONNABORTED) on death. */
int sess_ping(struct sess *s, void (*cb)(void *opaque, int err), void *opaque);

/* Monotonic time (ev_now) of the last byte received: any traffic counts as life. */
ev_tstamp sess_last_rx(const struct sess *s);
/* Received bytes wait unread (conn_rx_waiting()): traffic not yet in sess_last_rx(). */
bool sess_rx_waiting(struct sess *s);

/*
 * Task management (RFC 7143 11.5). cb gets the TMF response code
 * (0 = function complete) or a negative errno if the session died.
 * ABORT TASK on a task this session does not hold returns -ENOENT.
 * ABORT TASK on a task still waiting for the CmdSN window (never sent)
 * completes it with -ECANCELED and calls cb(opaque, 0) before returning.
 */
int sess_abort_task(struct sess *s, struct sess_task *victim,
		    void (*cb)(void *opaque, int response), void *opaque);
int sess_lun_reset(struct sess *s, uint64_t lun, void (*cb)(void *opaque, int response),
		   void *opaque);

/*
 * Orderly logout (close the session, reason code 0). Outstanding commands
 * complete normally first if the target answers them; the session then
 * reaches SESS_DEAD with SESS_DEATH_LOGOUT.
 */
int sess_logout(struct sess *s);

/*
 * Tear down now: outstanding commands complete with -ECONNABORTED (if
 * sent) or -ESHUTDOWN (if not), the socket closes, state becomes SESS_DEAD
 * (on_state fires). Safe in any state, also from inside callbacks.
 */
void sess_close(struct sess *s);

/* Free a session in SESS_IDLE or SESS_DEAD. Must not be called from its own callbacks. */
void sess_free(struct sess *s);

/* Counters for status output. */
struct sess_stats {
	uint64_t cmds, bytes_in, bytes_out, pdus_in, pdus_out;
	uint64_t nop_in, nop_out, r2t, async, rejects, digest_errors;
	uint64_t late_tags; /* answers for tags no longer live (duplicates), dropped */
	uint32_t in_flight, queued;
	uint32_t cmdsn, exp_cmdsn, max_cmdsn;
};
void sess_get_stats(const struct sess *s, struct sess_stats *out);

/* SendTargets discovery (RFC 7143 appendix C) on a discovery session. */
struct sess_disc_target {
	const char *name;	 /* TargetName */
	const char *const *addr; /* TargetAddress values "host:port,tpgt" */
	unsigned int naddr;
};

/*
 * Send "SendTargets=All" (or =target_name) and collect the answer, which
 * may span several Text Response PDUs. cb gets err 0 and the list, which
 * is borrowed for the duration of the call, or a negative errno.
 */
int sess_send_targets(struct sess *s, const char *which,
		      void (*cb)(void *opaque, int err, const struct sess_disc_target *t,
				 unsigned int n),
		      void *opaque);

#endif
