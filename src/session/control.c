/*
 * Control PDUs of the full feature phase: NOP-Out / NOP-In both ways
 * (RFC 7143 11.18, 11.19), task management (11.5, 11.6), logout (11.14,
 * 11.15), asynchronous messages (11.9) and Reject (11.17). They share the
 * task table of task.c for their tags.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "session/sess_int.h"
#include "util/log.h"

uint64_t sess_lun_from_wire(uint64_t w)
{
	unsigned int b0 = (unsigned int)(w >> 56);

	if ((w & 0xffffffffffffull) == 0) {
		if (b0 == 0)
			return (w >> 48) & 0xff;
		if ((b0 & 0xc0) == 0x40)
			return (w >> 48) & 0x3fff;
	}
	return w;
}

/* ---- Control PDUs: NOP, TMF, logout ---- */

static void echo_sent(struct conn *c, struct conn_pdu *p)
{
	container_of(p, struct sess_echo, pdu)->busy = false;
}

/* RFC 7143 11.18: answer a target ping with ITT 0xffffffff, its TTT and LUN, immediate. */
void sess_nop_echo(struct sess *s, const struct iscsi_pdu_nop_in *in)
{
	struct iscsi_pdu_nop_out m = {0};
	unsigned int i;

	for (i = 0; i < SESS_ECHO_MAX && s->echo[i].busy; i++)
		;
	if (i == SESS_ECHO_MAX) {
		sess_target_warn(s, "%s: too many target pings queued, not answering TTT 0x%08x",
				 s->name, in->ttt);
		return;
	}
	m.immediate = true;
	m.lun = in->lun;
	m.itt = ISCSI_PDU_RSVD_TAG;
	m.ttt = in->ttt;
	m.cmdsn = s->cmdsn;
	m.exp_statsn = s->exp_statsn;
	iscsi_pdu_enc_nop_out(s->echo[i].pdu.hdr, &m);
	s->echo[i].pdu.data_cnt = 0;
	s->echo[i].pdu.data_len = 0;
	s->echo[i].pdu.sent = echo_sent;
	s->echo[i].busy = true;
	s->st.nop_out++;
	conn_send(&s->conn, &s->echo[i].pdu);
}

int sess_ping(struct sess *s, void (*cb)(void *opaque, int err), void *opaque)
{
	struct iscsi_pdu_nop_out m = {0};
	struct sess_slot *sl;

	if (s->state != SESS_READY && s->state != SESS_LOGOUT)
		return -ENOTCONN;
	if (!cb)
		return -EINVAL;
	sl = sess_slot_get(s, SLOT_PING);
	if (!sl)
		return -EBUSY;
	sl->cb = cb;
	sl->cb_opaque = opaque;
	/* Immediate: a ping must get through even when the CmdSN window is shut. */
	m.immediate = true;
	m.itt = sess_slot_itt(s, sl);
	m.ttt = ISCSI_PDU_RSVD_TAG;
	m.cmdsn = s->cmdsn;
	m.exp_statsn = s->exp_statsn;
	iscsi_pdu_enc_nop_out(sl->cmd.hdr, &m);
	sl->cmd.data_cnt = 0;
	sl->cmd.data_len = 0;
	s->st.nop_out++;
	conn_send(&s->conn, &sl->cmd);
	return 0;
}

static int sess_tmf(struct sess *s, uint8_t func, uint64_t lun, struct sess_task *victim,
		    void (*cb)(void *opaque, int response), void *opaque)
{
	struct iscsi_pdu_tmf_req m = {0};
	struct sess_slot *sl;

	sl = sess_slot_get(s, SLOT_TMF);
	if (!sl)
		return -EBUSY;
	sl->cb = cb;
	sl->cb_opaque = opaque;
	sl->tmf_func = func;
	sl->tmf_lun = lun;
	sl->victim_itt = victim ? victim->itt : ISCSI_PDU_RSVD_TAG;
	sl->cmdsn = s->cmdsn;
	m.immediate = true;
	m.function = func;
	m.lun = sess_lun_to_wire(lun);
	m.itt = sess_slot_itt(s, sl);
	m.ref_itt = sl->victim_itt;
	m.cmdsn = s->cmdsn;
	m.exp_statsn = s->exp_statsn;
	/* RFC 7143 11.5.4: RefCmdSN is the victim's CmdSN for ABORT TASK. */
	m.ref_cmdsn = victim ? victim->cmdsn : s->cmdsn;
	if (iscsi_pdu_enc_tmf_req(sl->cmd.hdr, &m) < 0) {
		sess_slot_put(s, sl);
		return -EINVAL;
	}
	sl->cmd.data_cnt = 0;
	sl->cmd.data_len = 0;
	conn_send(&s->conn, &sl->cmd);
	return 0;
}

int sess_abort_task(struct sess *s, struct sess_task *victim,
		    void (*cb)(void *opaque, int response), void *opaque)
{
	struct sess_slot *sl = victim ? victim->priv : NULL;
	struct list_node *pos;

	if (s->state != SESS_READY && s->state != SESS_LOGOUT)
		return -ENOTCONN;
	if (!victim || !cb)
		return -EINVAL;
	if (sl && sl >= s->slot && sl < s->slot + s->nslots && sl->kind == SLOT_TASK &&
	    sl->task == victim && !sl->finishing)
		return sess_tmf(s, ISCSI_PDU_TMF_ABORT_TASK, victim->lun, victim, cb, opaque);
	/* Still waiting for the window: it never reached the target. */
	list_for_each(pos, &s->pending)
	{
		if (pos != &victim->node)
			continue;
		list_del(pos);
		s->npending--;
		victim->result = -ECANCELED;
		victim->done(victim);
		cb(opaque, ISCSI_PDU_TMF_RSP_COMPLETE);
		sess_maybe_logout(s);
		return 0;
	}
	return -ENOENT;
}

int sess_lun_reset(struct sess *s, uint64_t lun, void (*cb)(void *opaque, int response),
		   void *opaque)
{
	if (s->state != SESS_READY && s->state != SESS_LOGOUT)
		return -ENOTCONN;
	if (!cb)
		return -EINVAL;
	return sess_tmf(s, ISCSI_PDU_TMF_LUN_RESET, lun, NULL, cb, opaque);
}

void sess_maybe_logout(struct sess *s)
{
	struct iscsi_pdu_logout_req m = {0};
	struct sess_slot *sl;

	if (s->state != SESS_LOGOUT || s->logout_sent || s->task_slots_used || s->npending)
		return;
	sl = sess_slot_get(s, SLOT_LOGOUT);
	if (!sl)
		return; /* retried when a control slot frees up */
	s->logout_sent = true;
	m.immediate = true;
	m.reason = ISCSI_PDU_LOGOUT_CLOSE_SESSION;
	m.itt = sess_slot_itt(s, sl);
	m.cmdsn = s->cmdsn;
	m.exp_statsn = s->exp_statsn;
	iscsi_pdu_enc_logout_req(sl->cmd.hdr, &m);
	sl->cmd.data_cnt = 0;
	sl->cmd.data_len = 0;
	conn_send(&s->conn, &sl->cmd);
}

int sess_logout(struct sess *s)
{
	if (s->state == SESS_LOGOUT)
		return -EALREADY;
	if (s->state != SESS_READY)
		return -ENOTCONN;
	sess_set_state(s, SESS_LOGOUT);
	if (s->state == SESS_LOGOUT)
		sess_maybe_logout(s);
	return 0;
}

void sess_rx_nop_in(struct sess *s, const struct iscsi_pdu_nop_in *m)
{
	struct sess_slot *sl;

	sess_window_update(s, m->exp_cmdsn, m->max_cmdsn);
	s->st.nop_in++;
	if (m->itt != ISCSI_PDU_RSVD_TAG) {
		sess_statsn_update(s, m->statsn);
		sl = sess_rx_match(s, m->itt, SLOT_PING, ISCSI_PDU_OP_NOP_IN);
		if (sl)
			sess_slot_answer(s, sl, 0);
		return;
	}
	if (m->ttt != ISCSI_PDU_RSVD_TAG)
		sess_nop_echo(s, m);
}

void sess_rx_tmf_rsp(struct sess *s, const struct iscsi_pdu_tmf_rsp *m)
{
	struct sess_slot *sl, *v;
	unsigned int i;

	sess_window_update(s, m->exp_cmdsn, m->max_cmdsn);
	sess_statsn_update(s, m->statsn);
	sl = sess_rx_match(s, m->itt, SLOT_TMF, ISCSI_PDU_OP_TMF_RSP);
	if (!sl)
		return;
	if (m->response == ISCSI_PDU_TMF_RSP_COMPLETE) {
		/*
		 * RFC 7143 4.2.3.x / 11.5.1: the target answers no more for the
		 * tasks the function ended, so they complete here as canceled.
		 */
		if (sl->tmf_func == ISCSI_PDU_TMF_ABORT_TASK) {
			if (sess_itt_lookup(s, sl->victim_itt, &v) == ITT_LIVE &&
			    v->kind == SLOT_TASK)
				sess_task_finish(s, v, -ECANCELED);
		} else if (sl->tmf_func == ISCSI_PDU_TMF_LUN_RESET) {
			for (i = 0; i < s->nslots && s->state != SESS_DEAD; i++) {
				v = &s->slot[i];
				if (v->kind == SLOT_TASK && !v->finishing &&
				    v->task->lun == sl->tmf_lun && iscsi_sn_lt(v->cmdsn, sl->cmdsn))
					sess_task_finish(s, v, -ECANCELED);
			}
		}
	}
	if (s->state == SESS_DEAD)
		return; /* sess_tasks_abort_all answered it */
	sess_slot_answer(s, sl, m->response);
}

void sess_rx_async(struct sess *s, const struct iscsi_pdu_async_msg *m, const uint8_t *data,
		   uint32_t len)
{
	struct sess_event ev = {0};
	const uint8_t *sense = NULL;
	size_t sense_len = 0;
	const char *why = NULL;

	sess_window_update(s, m->exp_cmdsn, m->max_cmdsn);
	sess_statsn_update(s, m->statsn);
	s->st.async++;
	ev.lun = sess_lun_from_wire(m->lun);
	ev.param1 = m->param1;
	ev.param2 = m->param2;
	ev.param3 = m->param3;
	switch (m->event) {
	case ISCSI_PDU_ASYNC_SCSI:
		if (len && iscsi_pdu_sense(data, len, &sense, &sense_len, &why) < 0) {
			sess_die(s, SESS_DEATH_PROTOCOL, "Asynchronous Message: %s",
				 why ? why : "bad sense");
			return;
		}
		ev.type = SESS_EV_SCSI_ASYNC;
		ev.sense = sense;
		ev.sense_len = (uint16_t)MIN(sense_len, (size_t)UINT16_MAX);
		break;
	case ISCSI_PDU_ASYNC_LOGOUT_REQUEST:
		log_notice("%s: target requests logout within %u s", s->name, m->param3);
		ev.type = SESS_EV_LOGOUT_REQUEST;
		break;
	case ISCSI_PDU_ASYNC_DROP_CONNECTION:
		ev.type = SESS_EV_DROP_CONNECTION;
		break;
	case ISCSI_PDU_ASYNC_DROP_ALL:
		ev.type = SESS_EV_DROP_SESSION;
		break;
	case ISCSI_PDU_ASYNC_NEGOTIATE:
		ev.type = SESS_EV_NEGOTIATE;
		break;
	case ISCSI_PDU_ASYNC_TASK_TERMINATION:
		/* RFC 7143 11.9.1, 13.23: only with TaskReporting=FastAbort, which we never offer.
		 */
		sess_target_warn(s, "%s: task termination event without FastAbort, ignored",
				 s->name);
		return;
	default:
		ev.type = SESS_EV_VENDOR;
		break;
	}
	if (s->cb.on_event)
		s->cb.on_event(s, &ev, s->opaque);
	if (s->state == SESS_DEAD)
		return;
	if (ev.type == SESS_EV_DROP_CONNECTION || ev.type == SESS_EV_DROP_SESSION)
		sess_die(s, SESS_DEATH_TARGET_DROP, "target %s (Time2Wait %u s, Time2Retain %u s)",
			 ev.type == SESS_EV_DROP_SESSION ? "drops all connections"
							 : "drops the connection",
			 m->param2, m->param3);
}

void sess_rx_reject(struct sess *s, const struct iscsi_pdu_reject *m, const uint8_t *data,
		    uint32_t len)
{
	struct sess_slot *sl;
	uint32_t itt;
	unsigned int op;

	sess_window_update(s, m->exp_cmdsn, m->max_cmdsn);
	sess_statsn_update(s, m->statsn);
	s->st.rejects++;
	/* RFC 7143 11.17.1: the data segment is the rejected PDU's header. */
	if (len < ISCSI_PDU_BHS_LEN) {
		sess_target_warn(s, "%s: target rejected a PDU, reason 0x%02x (no header returned)",
				 s->name, m->reason);
		return;
	}
	op = iscsi_pdu_opcode(data);
	itt = iscsi_pdu_itt(data);
	sess_target_warn(s, "%s: target rejected %s ITT 0x%08x, reason 0x%02x", s->name,
			 sess_op_name(op), itt, m->reason);
	if (itt == ISCSI_PDU_RSVD_TAG || sess_itt_lookup(s, itt, &sl) != ITT_LIVE)
		return;
	switch (sl->kind) {
	case SLOT_TASK:
		sess_task_finish(s, sl, -EIO);
		break;
	case SLOT_PING:
	case SLOT_TMF:
	case SLOT_TEXT:
		sess_ctl_fail(s, sl, -EIO);
		break;
	case SLOT_LOGOUT:
		sess_die(s, SESS_DEATH_LOGOUT, "target rejected the logout (reason 0x%02x)",
			 m->reason);
		break;
	}
}
