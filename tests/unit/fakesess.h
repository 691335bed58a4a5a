/*
 * Fake iSCSI sessions for path-layer unit tests, behind the transport seam
 * (src/path/transport.h), plus a fake clock and a fake LUN that answers
 * the SCSI commands the path layer sends.
 *
 * Nothing happens by itself: a test logs sessions in, serves, fails or
 * kills them, answers NOPs and moves the clock. Tasks submitted to a fake
 * session wait until served; a served task is answered from the fake LUN
 * the session's path is connected to (fakesess_lun_for[path index], the
 * path index being the portal's port - 3260).
 */
#ifndef ISN_TESTS_FAKESESS_H
#define ISN_TESTS_FAKESESS_H

#include <stdbool.h>
#include <stdint.h>

#include "path/transport.h"
#include "util/list.h"

struct fakelun {
	uint64_t nblocks;
	uint32_t bs;
	uint8_t naa[16]; /* the NAA designator: identity "naa.<hex>" */
	bool wp, wce, dpofua, lbpu, lbpws;
	uint32_t max_xfer_blocks;  /* B0 MAXIMUM TRANSFER LENGTH */
	uint32_t max_unmap_blocks; /* B0 MAXIMUM UNMAP LBA COUNT */
	uint16_t rotation;
	bool no_rc16;		  /* READ CAPACITY(16) refused: ILLEGAL REQUEST */
	bool no_ms10;		  /* MODE SENSE(10) refused */
	unsigned int ua_count;	  /* UNIT ATTENTIONs reported before anything else */
	int64_t medium_error_lba; /* -1: none */
	uint8_t *data;		  /* nblocks * bs */
	unsigned int syncs, unmaps, write_sames, writes, reads;
	uint8_t last_cdb[16]; /* of the last command answered */
};

void fakelun_init(struct fakelun *l, uint64_t nblocks, uint32_t bs, uint8_t naa_seed);
void fakelun_free(struct fakelun *l);

struct sess {
	unsigned int id;
	int path; /* portal port - 3260 */
	char name[96];
	uint8_t isid[6];
	uint16_t tsih;
	enum sess_state st;
	struct sess_callbacks cb;
	void *opaque;
	struct list_node tasks; /* submitted, not yet answered */
	unsigned int ntasks;
	double last_rx;
	bool rx_waiting; /* what rx_waiting() answers: bytes wait unread */
	void (*ping_cb)(void *opaque, int err);
	void *ping_opaque;
	unsigned int pings;
	unsigned int logouts;
	bool closed, freed;
	struct iscsi_params neg;
	struct chap_creds chap; /* as sess_new() got them: borrowed from the device */
	unsigned int submitted;
	bool fence; /* a fence session: its name has " fence" (src/path/path.c) */
};

#define FAKESESS_MAX 64
extern struct sess *fakesess_all[FAKESESS_MAX];
extern unsigned int fakesess_count;
extern struct fakelun *fakesess_lun_for[8];
extern int fakesess_start_result; /* what start() returns: 0 by default */
/* The TargetPortalGroupTag each portal (path index) answers: 0 by default. */
extern uint16_t fakesess_tpgt_for[8];

extern const struct path_transport_ops fakesess_ops;

/* The fake clock (seconds). */
extern double fake_now;
double fake_clock(void *opaque);

/*
 * Zombie writes: with fakesess_zombies set, a WRITE that was in flight when
 * its session died is kept at the fake target, as a real target may keep a
 * dead connection's queued commands, and can still land (fakesess_zombie_land)
 * until the target cleans the old session up: a login with the same ISID
 * through any portal of the same portal group (reinstatement) or
 * fakesess_zombie_retain seconds after the death (2 by default; a huge
 * value is a silent target, like tgtd, that never notices the dead
 * connection). The ghost-write test bed.
 */
extern bool fakesess_zombies;
extern double fakesess_zombie_retain;
/* DefaultTime2Retain the fake sessions negotiate (0 by default; Time2Wait is 2). */
extern uint32_t fakesess_time2retain;
/* A zombie can land only this many seconds after its session died (0 by
 * default): a network that holds the stale copy for a while. */
extern double fakesess_zombie_hold;
/* Land one pending zombie write (chosen by pick), dropping expired ones; 1 if one landed. */
unsigned int fakesess_zombie_land(unsigned int pick);
unsigned int fakesess_zombies_pending(void);

/* Forget (and really free) every fake session; tests call it in teardown. */
void fakesess_reset(void);

/* Latest session created for path idx, or NULL (fence sessions not counted). */
struct sess *fakesess_latest(int idx);
unsigned int fakesess_sessions_for(int idx);
/* Latest fence session created to path via's portal, or NULL; how many. */
struct sess *fakesess_latest_fence(int via);
unsigned int fakesess_fences_for(int via);

/* Login succeeded: READY, on_state fires. */
void fakesess_login(struct sess *s);
/* The session dies (connection lost): tasks -ECONNABORTED (sent), DEAD. */
void fakesess_die(struct sess *s);
/* Answer the oldest task from the LUN; false if none. Updates last_rx. */
bool fakesess_serve_one(struct sess *s);
/* Answer every task (also ones submitted meanwhile); returns how many. */
unsigned int fakesess_serve(struct sess *s);
/* The oldest pending task, or NULL. */
struct sess_task *fakesess_peek(struct sess *s);
/* Answer the oldest task with a CHECK CONDITION with fixed sense. */
void fakesess_fail_one(struct sess *s, uint8_t status, uint8_t key, uint8_t asc, uint8_t ascq);
/* The oldest task's answer was malformed: -EPROTO, the session dies (see fakesess.c). */
void fakesess_malformed_one(struct sess *s);
/* The target rejected the oldest task's PDU (Reject, RFC 7143 11.17): -EIO, the session lives. */
void fakesess_reject_one(struct sess *s);
/* Answer the oldest task from the LUN but with this response / status / residual. */
void fakesess_answer_one(struct sess *s, uint8_t response, uint8_t status, bool under,
			 uint32_t residual);
/* Answer the outstanding NOP. */
void fakesess_pong(struct sess *s);
/* Some traffic arrived (e.g. part of a Data-In): only last_rx moves. */
void fakesess_rx(struct sess *s);

#endif
