/*
 * Persistent reservations of one path's I_T nexus (SPC-5 5.14, 6.16,
 * 6.17), asynchronous, over one READY session: the exclusive-access part
 * of DESIGN.md ("Exclusive access").
 *
 * Keys: a registration belongs to an I_T nexus, and each path is its own
 * nexus (its own ISID), so each path registers its own key: the host's
 * key (derived from the initiator name, path_resv_host_key()) with the
 * path index in the low byte (path0 00, path1 01, ...). Any key whose upper 56 bits are the host's
 * is "ours"; every other key is another host's.
 *
 * The reservation is Write Exclusive - Registrants Only (type 5): every
 * registered nexus - all our paths - may write, everybody may read, and a
 * host that is not registered gets RESERVATION CONFLICT for writes. So no
 * other host's key may stay registered while we hold the LUN: after
 * taking the reservation we preempt every foreign key.
 *
 * Sequences (each step one command, all through the transport seam):
 *
 * PATH_RESV_JOIN (a path logged in, before it carries any I/O)
 *   [REPORT CAPABILITIES]  with PATH_RESV_F_CAPS: a refusal, or no type 5
 *                          in the type mask, ends with unsupported = true;
 *   READ RESERVATION       held by another host: without PATH_RESV_F_PREEMPT
 *                          ends with taken = true and nothing registered
 *                          (PR IN needs no registration: no write was sent);
 *   REGISTER AND IGNORE    our key on this nexus (re-registering after a
 *   EXISTING KEY           re-login is harmless and needs no old key);
 *   then, when the reservation was ours already: done; when none was held:
 *   RESERVE (type 5)       RESERVATION CONFLICT means another host won the
 *                          race: READ RESERVATION again (at most 3 times);
 *   when another host held it and PATH_RESV_F_PREEMPT:
 *   PREEMPT AND ABORT      of the holder's key: its registration goes, its
 *                          tasks are aborted at the target (SPC-5 5.14.12.5)
 *                          and the reservation becomes ours, type 5. A
 *                          target that refuses the service action with
 *                          ILLEGAL REQUEST (tgtd has it commented out of
 *                          its table, usr/spc.c) gets PREEMPT: the same
 *                          without the abort, warned once, since commands
 *                          the old holder had queued are then not fenced;
 *   and after RESERVE or that PREEMPT:
 *   READ KEYS, PREEMPT AND ABORT of every other foreign key (a registrant
 *                          could write under a type 5 reservation).
 *
 * PATH_RESV_CHECK: READ RESERVATION only (who holds the LUN now).
 *
 * PATH_RESV_FENCE (path_resv_fence(), a dead path's writes in doubt, no
 *   fence session possible): PREEMPT AND ABORT of the dead path's key
 *   from this live path: the dead nexus is unregistered, so nothing it
 *   still sends can write any more (RESERVATION CONFLICT under type 5),
 *   and its queued tasks are aborted (SPC-5 5.14.12.5). With PREEMPT only
 *   (tgtd), commands already queued inside the target are not aborted.
 *
 * PATH_RESV_LEAVE (detach, on one live path): READ RESERVATION; when a key
 *   of this host holds it, CLEAR: the reservation and every registration
 *   go, those of our other paths included, and also registrations left
 *   behind by our earlier sessions (tgtd ties a registration to one
 *   session's nexus, usr/spc.c lookup_registration_by_nexus: after a
 *   re-login the old one stays, and may be the reservation holder, which
 *   no RELEASE from the new session can release); otherwise REGISTER with
 *   SERVICE ACTION RESERVATION KEY 0 (unregister this nexus only).
 *
 * The machine owns one sess_task and its buffers (no allocation). cb fires
 * exactly once after path_resv_start() returned 0, with res.err 0 or
 * -errno (the session died: the task's result; a malformed answer:
 * -EPROTO; a refused command: the SCSI table's errno).
 */
#ifndef ISN_PATH_RESERVE_H
#define ISN_PATH_RESERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "path/transport.h"
#include "scsi/spc.h"

/* The type we reserve: every path of ours writes, other hosts read. */
#define PATH_RESV_TYPE	      SCSI_PR_WRITE_EXCLUSIVE_RO
#define PATH_RESV_HOST_MASK   (~(uint64_t)0xff)
#define PATH_RESV_MAX_PREEMPT 16

enum path_resv_mode {
	PATH_RESV_JOIN,
	PATH_RESV_CHECK,
	PATH_RESV_LEAVE,
	PATH_RESV_FENCE,
};

enum path_resv_flags {
	PATH_RESV_F_CAPS = 1u << 0,    /* REPORT CAPABILITIES first */
	PATH_RESV_F_PREEMPT = 1u << 1, /* JOIN: take the LUN from another host */
};

struct path_resv_result {
	int err;
	bool unsupported; /* the target has no (usable) persistent reservations */
	bool registered;  /* our key is registered on this nexus */
	bool reserved;	  /* the LUN is reserved by a key of this host */
	bool taken;	  /* another host holds it: holder_key, holder_type */
	bool held;	  /* a reservation exists (holder_*) */
	uint64_t holder_key;
	uint8_t holder_type;
	/* err from the target, not the session: a refused command (status, sense
	 * text in why) or an answer that does not parse. */
	bool refused, malformed;
	uint8_t refused_status;
	/* The step, the status and a whole sense text (path_step_answer). */
	char why[192];
	unsigned int npreempted; /* foreign keys removed */
	uint64_t preempted[PATH_RESV_MAX_PREEMPT];
};

struct path_resv;
typedef void (*path_resv_done_fn)(struct path_resv *rv, void *opaque);

struct path_resv {
	/* Private. */
	const struct path_transport_ops *ops;
	struct sess *sess;
	uint64_t lun;
	const char *name;   /* log prefix, borrowed */
	uint64_t key;	    /* this nexus's key */
	uint64_t fence_key; /* PATH_RESV_FENCE: the dead path's key */
	enum path_resv_mode mode;
	unsigned int flags;
	path_resv_done_fn cb;
	void *opaque;
	bool running;
	int step;
	unsigned int tries, loops, victim;
	bool took;	    /* we hold the reservation now: sweep foreign keys */
	bool plain_preempt; /* PREEMPT AND ABORT refused (tgtd): PREEMPT instead */
	struct sess_task task;
	struct scsi_pr_keys keys;
	uint8_t buf[8 + 8 * SCSI_PR_MAX_KEYS];
	uint8_t param[SCSI_PR_OUT_PARAM_LEN];

	/* Output, valid in cb. */
	struct path_resv_result res;
};

/* The host's key: FNV-1a of the initiator name, low byte clear, never 0. */
uint64_t path_resv_host_key(const char *initiator_name);
/* Whether key belongs to the host whose key (any of its paths') is ours. */
static inline bool path_resv_ours(uint64_t key, uint64_t ours)
{
	return key && (key & PATH_RESV_HOST_MASK) == (ours & PATH_RESV_HOST_MASK);
}

/* Start mode over s (READY) with this nexus's key. -EBUSY if running, or submit's error. */
int path_resv_start(struct path_resv *rv, const struct path_transport_ops *ops, struct sess *s,
		    uint64_t lun, const char *name, uint64_t key, enum path_resv_mode mode,
		    unsigned int flags, path_resv_done_fn cb, void *opaque);
/* PATH_RESV_FENCE of victim's registrations from s (key: this nexus's). */
int path_resv_fence(struct path_resv *rv, const struct path_transport_ops *ops, struct sess *s,
		    uint64_t lun, const char *name, uint64_t key, uint64_t victim,
		    path_resv_done_fn cb, void *opaque);
bool path_resv_running(const struct path_resv *rv);

#endif
