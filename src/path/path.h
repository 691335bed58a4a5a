/*
 * One path: one network route to the target LUN, carrying at most one
 * iSCSI session at a time. A path belongs to a struct path_device
 * (device.h), which creates, drives and frees it; the daemon only reads
 * its status.
 *
 * The ISID is chosen once per path (from the config, or derived from
 * initiator, target, LUN, portal and path index, with the "Random" type
 * bits of RFC 7143 10.12.5, so it is the same after a daemon restart) and
 * reused for every login on this path, with TSIH 0. That makes each re-login a session
 * reinstatement of the path's previous session (RFC 7143 6.3.5): the target ends the old session
 * and its tasks before it accepts the new login. The ghost-write fence in device.h builds on this.
 *
 * Path states, one by one (enum path_state):
 *
 * PATH_DISABLED    Administratively off (path_device_set_enabled()) or the
 *                  device is stopping. No session; nothing is sent.
 *
 * PATH_CONNECTING  A session was created and is connecting / logging in.
 *                  Left for PATH_PROBING when the session reaches READY,
 *                  for PATH_FAILED when it dies.
 *
 * PATH_PROBING     The session is READY and the LUN is being probed (TEST
 *                  UNIT READY, INQUIRY, VPD, READ CAPACITY, MODE SENSE).
 *                  No I/O yet. Left for PATH_ACTIVE / PATH_STANDBY when the
 *                  identity matches the device's (or defines it, on the
 *                  first path), for PATH_WRONG_LUN when it does not, for
 *                  PATH_FAILED when the probe fails or the session dies.
 *
 * PATH_ACTIVE      Usable and chosen by the selector: commands are sent
 *                  here. Health, on one timer re-armed from the last
 *                  received byte (any traffic counts as life): a NOP-Out
 *                  after nop_interval_ms without traffic (idle, or busy
 *                  with nothing arriving); failed after nop_timeout_ms of
 *                  silence while commands or a NOP are outstanding; failed
 *                  when the oldest command passes cmd_timeout_ms (the
 *                  outstanding list is in deadline order). Failed at once
 *                  on link loss (linkmon.h), on a path-class SCSI answer,
 *                  or when the target announces a logout / drop.
 *
 * PATH_STANDBY     Usable, healthy and watched like ACTIVE, but the
 *                  selector does not send I/O here (failover policy keeps
 *                  one active path; this one waits for failover or
 *                  failback).
 *
 * PATH_FAILED      No usable session. The previous session died (connect or
 *                  login failure, connection loss, NOP or command timeout,
 *                  a path-class SCSI error, link down), or the target asked
 *                  for a logout (then the session may still be logging
 *                  out, its commands in flight completing normally). The
 *                  reconnect timer
 *                  runs with exponential backoff (reconnect_min_ms doubling
 *                  up to reconnect_max_ms, per failure; reset only once a
 *                  session has carried I/O for backoff_reset_ms, not by a
 *                  login: a path whose commands time out after every login
 *                  is tried less and less often, and after three failures
 *                  in a row it is on probation: STANDBY below every other
 *                  usable path until it has lived backoff_reset_ms;
 *                  reinstate_backoff_ms while
 *                  another initiator keeps reinstating this path's ISID);
 *                  when it fires: PATH_CONNECTING.
 *
 * PATH_FENCED      Like PATH_FAILED (reconnect with backoff), but writes were
 *                  sent on the dead session and have been re-issued on
 *                  other paths: their stale copies may still sit in the
 *                  target's queue for the old session. The reissued copies
 *                  are not reported complete until the fence holds: a
 *                  login with this path's ISID and TSIH 0 (which
 *                  reinstates and thereby aborts the old session)
 *                  succeeds, either this path's own next login or a fence
 *                  session through another path's portal in the same
 *                  portal group (device.h); or, as the last resort, the
 *                  old session's DefaultTime2Wait + DefaultTime2Retain plus
 *                  fence_grace_ms have passed since it died (then:
 *                  PATH_FAILED). The path does not reconnect while its
 *                  fence session logs in. A reconnect attempt shows as
 *                  PATH_CONNECTING while the fence is still pending
 *                  (struct path_status.fence_pending); if it fails the path
 *                  is PATH_FENCED again, if it logs in the fence holds.
 *
 * PATH_WRONG_LUN   The probe found a different LUN: the VPD 0x83 identity
 *                  or the block size differ from the device's, or the LUN
 *                  is smaller (a larger one with the same identity is the
 *                  same LUN after an online resize: accepted, reported
 *                  through on_capacity_change). Refused: the
 *                  session is logged out and the path never carries I/O.
 *                  It is probed again every reconnect_max_ms, in case the
 *                  target was reconfigured.
 *
 * Every change is logged by one function (path_set_state) with the path's
 * name, the reason, and kept for status output with its time.
 */
#ifndef ISN_PATH_PATH_H
#define ISN_PATH_PATH_H

#include <stdbool.h>
#include <stdint.h>

enum path_state {
	PATH_DISABLED,
	PATH_CONNECTING,
	PATH_PROBING,
	PATH_ACTIVE,
	PATH_STANDBY,
	PATH_FAILED,
	PATH_FENCED,
	PATH_WRONG_LUN,
};

const char *path_state_name(enum path_state st);

/* A snapshot for `iscsi-nbd status`. */
struct path_status {
	char name[32];
	enum path_state state;
	char reason[256]; /* why the last state change happened */
	double since;	  /* clock value of the last state change */
	uint8_t isid[6];
	uint64_t ios, bytes, errors, failures, retries;
	uint32_t inflight_cmds;
	uint64_t inflight_bytes;
	double latency_ewma; /* seconds */
	double throughput;   /* bytes per second, EWMA */
	bool fence_pending;
	uint32_t backoff_ms; /* the pending re-login delay, or the next one if it fails now */
	bool reinstated;     /* someone else keeps logging in with this path's ISID */
	/* The last fence that released held writes: "reinstatement login via
	 * path1", "reinstatement login" (its own), "reservation", "retain
	 * time"; "" if none yet. fence_ms: from the session's death to it. */
	char last_fence[128];
	double fence_ms;
};

#endif
