/*
 * Full feature phase, receive side (sess_int.h): Data-In, SCSI Response
 * and R2T matched to their tasks and checked (RFC 7143 11.4, 11.7, 11.8).
 * The sending side and the task table are in task.c.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/sam.h"
#include "session/sess_int.h"
#include "util/log.h"

/* ---- Receive (full feature phase) ---- */

const char *sess_op_name(unsigned int op)
{
	const char *n = iscsi_pdu_opcode_name(op);

	return n ? n : "reserved opcode";
}

/*
 * Match the ITT of a target PDU. Unknown tag: protocol death. Late tag (a
 * duplicate or an answer to something already finished): drop the PDU,
 * the session lives on. Returns the live slot of the wanted kind, or NULL
 * (s->rx_late says which; the session is dead if not late).
 */
struct sess_slot *sess_rx_match(struct sess *s, uint32_t itt, enum sess_slot_kind kind,
				unsigned int op)
{
	struct sess_slot *sl;

	switch (sess_itt_lookup(s, itt, &sl)) {
	case ITT_LIVE:
		if (sl->kind == kind)
			return sl;
		sess_die(s, SESS_DEATH_PROTOCOL, "%s for ITT 0x%08x, which is not a %s",
			 sess_op_name(op), itt,
			 kind == SLOT_TASK ? "SCSI command" : "matching request");
		return NULL;
	case ITT_LATE:
		s->rx_late = true;
		s->st.late_tags++;
		sess_target_warn(s,
				 "%s: dropped %s for late ITT 0x%08x (duplicate or stale answer)",
				 s->name, sess_op_name(op), itt);
		return NULL;
	case ITT_UNKNOWN:
	default:
		sess_die(s, SESS_DEATH_PROTOCOL, "%s for unknown ITT 0x%08x", sess_op_name(op),
			 itt);
		return NULL;
	}
}

/*
 * Data-In header: check it against the task and aim the data at the task's
 * buffer. The data of a read must cover [0, EDTL - residual) exactly once
 * (DESIGN.md invariants): with DataPDUInOrder=Yes and DataSequenceInOrder=Yes
 * (RFC 7143 13.18, 13.19), which is all we ever negotiate (param.c offers Yes
 * and the rule is OR, so No cannot be in force), every PDU must start where
 * the previous one ended, in DataSN order. So data_done is both the byte
 * count and the next expected offset, and any gap, overlap, duplicate or
 * reordering is caught here, before a byte lands in the buffer.
 */
static int rx_data_in_hdr(struct sess *s, const struct iscsi_pdu_data_in *m, struct iovec *iov)
{
	struct sess_slot *sl = sess_rx_match(s, m->itt, SLOT_TASK, ISCSI_PDU_OP_DATA_IN);
	struct sess_task *t;
	uint32_t end;
	int n;

	if (!sl)
		return s->rx_late ? 0 : -1;
	t = sl->task;
	if (t->dir != SESS_DIR_READ && m->data_len) {
		sess_task_malformed(s, sl, "Data-In with data for ITT 0x%08x, not a read", m->itt);
		return -1;
	}
	if (m->datasn != sl->exp_datasn) {
		sess_task_malformed(s, sl, "Data-In DataSN %u for ITT 0x%08x, expected %u",
				    m->datasn, m->itt, sl->exp_datasn);
		return -1;
	}
	if (add_overflow(m->buffer_offset, m->data_len, &end) || end > t->xfer_len) {
		sess_task_malformed(s, sl,
				    "Data-In beyond the buffer: offset %u + %u > %u for ITT 0x%08x",
				    m->buffer_offset, m->data_len, t->xfer_len, m->itt);
		return -1;
	}
	if (m->data_len && m->buffer_offset > t->data_done) {
		sess_task_malformed(s, sl,
				    "Data-In leaves a gap for ITT 0x%08x: DataSN %u at offset %u, "
				    "bytes %u..%u never sent",
				    m->itt, m->datasn, m->buffer_offset, t->data_done,
				    m->buffer_offset);
		return -1;
	}
	if (m->data_len && m->buffer_offset < t->data_done) {
		sess_task_malformed(s, sl,
				    "Data-In overlap for ITT 0x%08x: DataSN %u at offset %u + %u, "
				    "%u bytes already received",
				    m->itt, m->datasn, m->buffer_offset, m->data_len, t->data_done);
		return -1;
	}
	s->rx_slot = sl;
	if (!m->data_len)
		return 0;
	n = conn_iov_slice(t->iov, t->iov_cnt, m->buffer_offset, m->data_len, iov, CONN_PDU_IOV);
	if (n <= 0) {
		sess_task_malformed(s, sl, "Data-In does not fit the task buffer");
		return -1;
	}
	return n;
}

/*
 * The status of a command arrived (SCSI Response, or S bit on the last
 * Data-In): do its residual and the data received agree with EDTL (RFC 7143
 * 11.4.5, SAM-5 5.4)? U says EDTL - residual bytes were sent, O that the
 * command wanted more than EDTL (so all of EDTL was sent). A read whose
 * status is GOOD must have received exactly that many bytes; no command may
 * receive more, whatever its status (a CHECK CONDITION may come after part
 * of the data). Returns false after failing the task.
 */
static bool task_status_agrees(struct sess *s, struct sess_slot *sl, uint8_t status, bool under,
			       bool over, uint32_t residual, const char *where)
{
	struct sess_task *t = sl->task;
	uint32_t expect = t->xfer_len;

	if (under && over) {
		sess_task_malformed(s, sl, "%s for ITT 0x%08x with both O and U", where, t->itt);
		return false;
	}
	if (under && residual > t->xfer_len) {
		sess_task_malformed(s, sl, "%s for ITT 0x%08x: underflow residual %u > EDTL %u",
				    where, t->itt, residual, t->xfer_len);
		return false;
	}
	if (t->dir != SESS_DIR_READ)
		return true;
	if (under)
		expect -= residual;
	if (t->data_done > expect) {
		sess_task_malformed(
			s, sl,
			"%s for ITT 0x%08x: %u bytes of Data-In received, beyond EDTL %u - "
			"residual %u",
			where, t->itt, t->data_done, t->xfer_len, under ? residual : 0);
		return false;
	}
	if (t->data_done < expect &&
	    (status == SCSI_STATUS_GOOD || status == SCSI_STATUS_CONDITION_MET)) {
		sess_task_malformed(
			s, sl,
			"%s for ITT 0x%08x: status 0x%02x with %u of %u bytes of Data-In "
			"(EDTL %u, %s)",
			where, t->itt, status, t->data_done, expect, t->xfer_len,
			under  ? "underflow residual"
			: over ? "overflow residual"
			       : "no residual");
		return false;
	}
	return true;
}

int sess_ffp_hdr(struct sess *s, const uint8_t *bhs, struct iovec *iov)
{
	const char *why = NULL;

	s->rx_slot = NULL;
	s->rx_late = false;
	if (iscsi_pdu_dec_target(bhs, &s->rx_msg, &why) < 0) {
		uint32_t itt = get_be32(bhs + 16); /* every target PDU has the ITT here */
		struct sess_slot *sl;

		/* A malformed answer to a live command fails that command with -EPROTO. */
		if (sess_itt_lookup(s, itt, &sl) == ITT_LIVE && sl->kind == SLOT_TASK)
			sess_task_malformed(s, sl, "bad %s for ITT 0x%08x: %s",
					    sess_op_name(iscsi_pdu_opcode(bhs)), itt,
					    why ? why : "malformed header");
		else
			sess_die(s, SESS_DEATH_PROTOCOL, "bad %s (ITT 0x%08x): %s",
				 sess_op_name(iscsi_pdu_opcode(bhs)), itt,
				 why ? why : "malformed header");
		return -1;
	}
	if (s->rx_msg.opcode == ISCSI_PDU_OP_DATA_IN)
		return rx_data_in_hdr(s, &s->rx_msg.u.data_in, iov);
	return 0;
}

static void rx_data_in(struct sess *s, const struct iscsi_pdu_data_in *m)
{
	struct sess_slot *sl = s->rx_slot;
	struct sess_task *t = sl->task;

	sess_window_update(s, m->exp_cmdsn, m->max_cmdsn);
	sl->exp_datasn++;
	t->data_done += m->data_len;
	if (!m->status)
		return;
	/* RFC 7143 11.7.4: status and residuals ride on the last Data-In. */
	sess_statsn_update(s, m->statsn);
	/* 11.7.4 again: only a status without exception may; an error status
	 * comes in a SCSI Response, with its sense (which a Data-In cannot carry). */
	if (m->scsi_status != SCSI_STATUS_GOOD && m->scsi_status != SCSI_STATUS_CONDITION_MET &&
	    m->scsi_status != SCSI_STATUS_INTERMEDIATE &&
	    m->scsi_status != SCSI_STATUS_INTERMEDIATE_COND_MET) {
		sess_task_malformed(s, sl,
				    "Data-In status for ITT 0x%08x: status 0x%02x with the S bit",
				    m->itt, m->scsi_status);
		return;
	}
	if (!task_status_agrees(s, sl, m->scsi_status, m->underflow, m->overflow, m->residual,
				"Data-In status"))
		return;
	t->status = m->scsi_status;
	t->response = ISCSI_PDU_RSP_COMPLETED;
	t->residual_under = m->underflow;
	t->residual_over = m->overflow;
	t->residual = (m->underflow || m->overflow) ? m->residual : 0;
	sess_task_finish(s, sl, 0);
}

static void rx_scsi_rsp(struct sess *s, const struct iscsi_pdu_scsi_rsp *m, const uint8_t *data,
			uint32_t len)
{
	struct sess_slot *sl;
	struct sess_task *t;
	const uint8_t *sense = NULL;
	size_t sense_len = 0;
	const char *why = NULL;

	sess_window_update(s, m->exp_cmdsn, m->max_cmdsn);
	sess_statsn_update(s, m->statsn);
	sl = sess_rx_match(s, m->itt, SLOT_TASK, ISCSI_PDU_OP_SCSI_RSP);
	if (!sl)
		return;
	t = sl->task;
	/* RFC 7143 11.4.7: the data segment is SenseLength + sense + response data. */
	if (len && iscsi_pdu_sense(data, len, &sense, &sense_len, &why) < 0) {
		sess_task_malformed(s, sl, "SCSI Response for ITT 0x%08x: %s", m->itt,
				    why ? why : "bad sense");
		return;
	}
	if (t->dir == SESS_DIR_READ && sl->exp_datasn != m->exp_datasn && m->response == 0 &&
	    m->exp_datasn != 0) {
		sess_task_malformed(
			s, sl, "SCSI Response for ITT 0x%08x: ExpDataSN %u but %u Data-In received",
			m->itt, m->exp_datasn, sl->exp_datasn);
		return;
	}
	/* 11.4.3: only a command completed at the target has a status to check. */
	if (m->response == ISCSI_PDU_RSP_COMPLETED &&
	    !task_status_agrees(s, sl, m->status, m->underflow, m->overflow, m->residual,
				"SCSI Response"))
		return;
	t->response = m->response;
	t->status = m->status;
	t->sense_len = (uint16_t)MIN(sense_len, (size_t)SESS_SENSE_MAX);
	if (t->sense_len)
		memcpy(t->sense, sense, t->sense_len);
	t->residual_under = m->underflow;
	t->residual_over = m->overflow;
	t->residual = (m->underflow || m->overflow) ? m->residual : 0;
	sess_task_finish(s, sl, 0);
}

static void rx_r2t(struct sess *s, const struct iscsi_pdu_r2t *m)
{
	struct sess_slot *sl;
	struct sess_task *t;
	uint32_t end;

	sess_window_update(s, m->exp_cmdsn, m->max_cmdsn);
	s->st.r2t++;
	sl = sess_rx_match(s, m->itt, SLOT_TASK, ISCSI_PDU_OP_R2T);
	if (!sl)
		return;
	t = sl->task;
	if (t->dir != SESS_DIR_WRITE) {
		sess_task_malformed(s, sl, "R2T for ITT 0x%08x, not a write", m->itt);
		return;
	}
	if (m->r2tsn != sl->exp_r2tsn) {
		sess_task_malformed(s, sl, "R2T R2TSN %u for ITT 0x%08x, expected %u", m->r2tsn,
				    m->itt, sl->exp_r2tsn);
		return;
	}
	if (m->ttt == ISCSI_PDU_RSVD_TAG || m->ddtl == 0 || m->ddtl > s->neg.max_burst ||
	    add_overflow(m->buffer_offset, m->ddtl, &end) || end > t->xfer_len) {
		sess_task_malformed(
			s, sl,
			"R2T for ITT 0x%08x asks offset %u length %u of %u (MaxBurstLength %u)",
			m->itt, m->buffer_offset, m->ddtl, t->xfer_len, s->neg.max_burst);
		return;
	}
	if (sl->r2t_out >= s->neg.max_outstanding_r2t || sl->b_cnt >= SESS_BURST_RING) {
		sess_task_malformed(s, sl, "R2T for ITT 0x%08x beyond MaxOutstandingR2T %u", m->itt,
				    s->neg.max_outstanding_r2t);
		return;
	}
	sl->exp_r2tsn++;
	sl->r2t_out++;
	t->r2t_pending = sl->r2t_out;
	sess_slot_push_burst(sl, m->buffer_offset, m->ddtl, m->ttt, true);
	sess_slot_dout_next(s, sl);
}

int sess_ffp_pdu(struct sess *s, const uint8_t *bhs, const uint8_t *data, uint32_t len)
{
	const struct iscsi_pdu_target_msg *m = &s->rx_msg;
	struct sess_slot *sl;

	switch (m->opcode) {
	case ISCSI_PDU_OP_DATA_IN:
		if (s->rx_slot)
			rx_data_in(s, &m->u.data_in);
		else /* late tag: its data went to the scratch buffer */
			sess_window_update(s, m->u.data_in.exp_cmdsn, m->u.data_in.max_cmdsn);
		break;
	case ISCSI_PDU_OP_SCSI_RSP:
		rx_scsi_rsp(s, &m->u.scsi_rsp, data, len);
		break;
	case ISCSI_PDU_OP_R2T:
		rx_r2t(s, &m->u.r2t);
		break;
	case ISCSI_PDU_OP_NOP_IN:
		sess_rx_nop_in(s, &m->u.nop_in);
		break;
	case ISCSI_PDU_OP_TMF_RSP:
		sess_rx_tmf_rsp(s, &m->u.tmf_rsp);
		break;
	case ISCSI_PDU_OP_TEXT_RSP:
		sess_window_update(s, m->u.text_rsp.exp_cmdsn, m->u.text_rsp.max_cmdsn);
		sess_statsn_update(s, m->u.text_rsp.statsn);
		sl = sess_rx_match(s, m->u.text_rsp.itt, SLOT_TEXT, m->opcode);
		if (sl)
			sess_text_rsp(s, sl, &m->u.text_rsp, data, len);
		break;
	case ISCSI_PDU_OP_LOGOUT_RSP:
		sess_window_update(s, m->u.logout_rsp.exp_cmdsn, m->u.logout_rsp.max_cmdsn);
		sess_statsn_update(s, m->u.logout_rsp.statsn);
		sl = sess_rx_match(s, m->u.logout_rsp.itt, SLOT_LOGOUT, m->opcode);
		if (sl) {
			sess_slot_put(s, sl);
			if (m->u.logout_rsp.response == ISCSI_PDU_LOGOUT_RSP_OK)
				sess_die(s, SESS_DEATH_LOGOUT, "%s", "");
			else
				sess_die(s, SESS_DEATH_LOGOUT, "logout response %u",
					 m->u.logout_rsp.response);
		}
		break;
	case ISCSI_PDU_OP_ASYNC_MSG:
		sess_rx_async(s, &m->u.async_msg, data, len);
		break;
	case ISCSI_PDU_OP_REJECT:
		sess_rx_reject(s, &m->u.reject, data, len);
		break;
	default:
		sess_die(s, SESS_DEATH_PROTOCOL, "unexpected %s in full feature phase",
			 sess_op_name(m->opcode));
		break;
	}
	if (s->state == SESS_DEAD)
		return -1;
	if (!list_empty(&s->pending) || s->state == SESS_LOGOUT)
		sess_kick(s);
	return s->state == SESS_DEAD ? -1 : 0;
}
