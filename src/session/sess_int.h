/*
 * Private to the session engine (session.c, task.c, task_rx.c,
 * discovery.c, control.c): the session object, the task table and the
 * functions the files share.
 * Nothing outside src/session includes this.
 */
#ifndef ISN_SESSION_SESS_INT_H
#define ISN_SESSION_SESS_INT_H

#include <stdarg.h>

#include "session/conn.h"
#include "session/login.h"
#include "session/pdu.h"
#include "session/session.h"
#include "util/compiler.h"
#include "util/log.h"

/* Tags for everything beyond SCSI commands: pings, TMFs, text, logout. */
#define SESS_CTL_SLOTS 16
/* Most R2Ts we accept outstanding per task (our MaxOutstandingR2T cap). */
#define SESS_R2T_MAX 16
/* Data-Out PDUs of one task queued at a time. */
#define SESS_DOUT_PIPE 4
/* NOP-Out answers to target pings that can wait in the send queue at once. */
#define SESS_ECHO_MAX 8
/* Largest SendTargets answer we collect. */
#define SESS_TEXT_MAX (1024u * 1024u)
/* Login redirects followed before giving up. */
#define SESS_REDIRECT_MAX 4

/*
 * ITT layout: generation in the high 16 bits, slot index in the low 16
 * (never 0xffff8000+ with index < 2^15, so never the reserved 0xffffffff).
 * A slot's generation advances on every use and skips 0, so a tag whose
 * index is in range but whose generation is not the live one is either
 * late (an older generation: duplicate or stray answer) or unknown.
 */
#define SESS_ITT_IDX_BITS 16

enum sess_slot_kind {
	SLOT_FREE,
	SLOT_TASK,
	SLOT_PING,
	SLOT_TMF,
	SLOT_TEXT,
	SLOT_LOGOUT,
};

struct sess_burst {
	uint32_t off, len; /* bytes of the task buffer still to send */
	uint32_t ttt;	   /* 0xffffffff: unsolicited */
	uint32_t datasn;   /* next DataSN within this sequence */
	bool r2t;	   /* counts against MaxOutstandingR2T */
};

struct sess_slot {
	uint16_t gen;
	uint8_t kind;	/* enum sess_slot_kind */
	bool finishing; /* answered; waiting for a half-written PDU before done */
	int finish_result;
	uint32_t cmdsn;
	struct sess_task *task;

	struct conn_pdu cmd; /* the command / request PDU */
	/*
	 * Data-Out PDUs, each refilled once sent: several are queued at once
	 * so that a burst leaves in few sendmsg() calls (8 KiB segments are
	 * common: tgt's default MaxRecvDataSegmentLength).
	 */
	struct conn_pdu dout[SESS_DOUT_PIPE];
	uint8_t dout_busy; /* bit i: dout[i] is queued */

	/* Read: next DataSN. Write: R2TSN. */
	uint32_t exp_datasn;
	uint32_t exp_r2tsn;
	struct sess_burst burst[SESS_R2T_MAX + 1]; /* ring; +1 for the unsolicited burst */
	unsigned int b_head, b_cnt;
	unsigned int r2t_out; /* R2Ts received and not fully answered */

	/* Ping / TMF / text / logout. */
	void (*cb)(void *opaque, int v);
	void *cb_opaque;
	uint32_t victim_itt; /* TMF ABORT TASK */
	uint8_t tmf_func;
	uint64_t tmf_lun;
	void (*text_cb)(void *opaque, int err, const struct sess_disc_target *t, unsigned int n);
};

struct sess_echo {
	struct conn_pdu pdu;
	bool busy;
};

struct sess {
	struct ev_loop *loop;
	struct sess_config cfg; /* strings below and cfg.chap are our copies */
	char *name, *initiator_name, *initiator_alias, *target_name, *bind_ifname;
	struct sess_callbacks cb;
	void *opaque;

	enum sess_state state;
	enum sess_death death;
	char death_msg[256];

	struct conn conn;
	ev_timer login_timer;
	/*
	 * Lines a target can provoke without end and at no cost (Rejects,
	 * stale answers, pings beyond the echo slots, ignored events): a
	 * hostile one must not be able to flood the journal through them.
	 */
	struct log_ratelimit target_rl;
	struct login *login; /* during SESS_LOGIN only */
	struct conn_pdu login_pdu;
	uint8_t login_data[ISCSI_PDU_LOGIN_MAX_DSL];
	unsigned int redirects;
	struct sockaddr_storage portal; /* current (may be a redirect) */
	socklen_t portal_len;

	struct iscsi_params neg; /* sess_negotiated() */

	/* Sequence numbers (RFC 7143 4.2.2): next CmdSN to assign, target window, ExpStatSN. */
	uint32_t cmdsn, exp_cmdsn, max_cmdsn, exp_statsn;

	/* Task table. */
	struct sess_slot *slot;
	unsigned int nslots;
	unsigned int task_slots_used, ctl_slots_used;
	unsigned int next_slot;	  /* round robin start for the free search */
	struct list_node pending; /* struct sess_task waiting for window / slot */
	unsigned int npending;
	bool in_kick;
	bool logout_wanted, logout_sent;

	struct sess_echo echo[SESS_ECHO_MAX];

	/* SendTargets. */
	char text_req[512];
	uint8_t *text_in;
	size_t text_in_len, text_in_cap;

	/* The PDU being received: decoded once in on_hdr, used in on_pdu. */
	struct iscsi_pdu_target_msg rx_msg;
	struct sess_slot *rx_slot; /* live slot its ITT names, or NULL */
	bool rx_late;		   /* its ITT is a stale generation: drop it */

	ev_tstamp last_rx;
	struct sess_stats st;
};

/* A warning about what the target sent, through the session's limiter (target_rl). */
#define sess_target_warn(s, ...)                                                                   \
	log_rl_printf(&(s)->target_rl, ev_now((s)->loop), LOG_WARNING, __VA_ARGS__)

/* session.c */
void sess_die(struct sess *s, enum sess_death why, const char *fmt, ...) ISN_PRINTF(3, 4);
void sess_set_state(struct sess *s, enum sess_state st);

/* task.c, task_rx.c */
int sess_tasks_init(struct sess *s);
void sess_tasks_fini(struct sess *s);
/* Hand back everything outstanding at death; closing: unsent tasks get -ESHUTDOWN. */
void sess_tasks_abort_all(struct sess *s, bool closing);
/* Feature-phase receive (conn callbacks while READY / LOGOUT). */
int sess_ffp_hdr(struct sess *s, const uint8_t *bhs, struct iovec *iov);
int sess_ffp_pdu(struct sess *s, const uint8_t *bhs, const uint8_t *data, uint32_t len);
void sess_kick(struct sess *s);
void sess_window_update(struct sess *s, uint32_t exp, uint32_t max);
void sess_statsn_update(struct sess *s, uint32_t statsn);
struct sess_slot *sess_slot_get(struct sess *s, enum sess_slot_kind kind);
void sess_slot_put(struct sess *s, struct sess_slot *sl);
/* A ping's or TMF's answer (or -errno): frees the slot first, so cb may send the next one. */
void sess_slot_answer(struct sess *s, struct sess_slot *sl, int result);
/*
 * A ping, TMF or SendTargets that gets no answer: its caller hears err
 * through the callback of its kind (sess_slot_answer(), sess_text_abort()).
 */
void sess_ctl_fail(struct sess *s, struct sess_slot *sl, int err);
uint32_t sess_slot_itt(const struct sess *s, const struct sess_slot *sl);
uint64_t sess_lun_to_wire(uint64_t lun);
enum sess_itt_match { ITT_LIVE, ITT_LATE, ITT_UNKNOWN };
enum sess_itt_match sess_itt_lookup(struct sess *s, uint32_t itt, struct sess_slot **out);
/* Match a received ITT: live slot of that kind, or NULL (late: dropped; else the session died). */
struct sess_slot *sess_rx_match(struct sess *s, uint32_t itt, enum sess_slot_kind kind,
				unsigned int op);
/* Complete a task (deferred while one of its PDUs is half written). */
void sess_task_finish(struct sess *s, struct sess_slot *sl, int result);
const char *sess_op_name(unsigned int op);
/* Bursts a write slot keeps queued: the outstanding R2Ts and the unsolicited one. */
#define SESS_BURST_RING (SESS_R2T_MAX + 1)
/* Queue one Data-Out sequence (an R2T's, or the unsolicited one) on a write slot. */
void sess_slot_push_burst(struct sess_slot *sl, uint32_t off, uint32_t len, uint32_t ttt, bool r2t);
/* Refill the slot's Data-Out PDUs from its bursts. */
void sess_slot_dout_next(struct sess *s, struct sess_slot *sl);
/*
 * The target's answer to this command is malformed: the command comes back
 * with -EPROTO (session.h), the session dies, the others get -ECONNABORTED.
 */
void sess_task_malformed(struct sess *s, struct sess_slot *sl, const char *fmt, ...)
	ISN_PRINTF(3, 4);

/* control.c */
uint64_t sess_lun_from_wire(uint64_t w);
void sess_nop_echo(struct sess *s, const struct iscsi_pdu_nop_in *in);
void sess_maybe_logout(struct sess *s);
void sess_rx_nop_in(struct sess *s, const struct iscsi_pdu_nop_in *m);
void sess_rx_tmf_rsp(struct sess *s, const struct iscsi_pdu_tmf_rsp *m);
void sess_rx_async(struct sess *s, const struct iscsi_pdu_async_msg *m, const uint8_t *data,
		   uint32_t len);
void sess_rx_reject(struct sess *s, const struct iscsi_pdu_reject *m, const uint8_t *data,
		    uint32_t len);

/* discovery.c */
int sess_text_rsp(struct sess *s, struct sess_slot *sl, const struct iscsi_pdu_text_rsp *m,
		  const uint8_t *data, uint32_t len);
void sess_text_abort(struct sess *s, struct sess_slot *sl, int err);

#endif
