/*
 * Encoders and decoders of the target PDUs (opcodes 0x20-0x3f, RFC 7143
 * 11.4, 11.6, 11.7, 11.8, 11.9, 11.11, 11.13, 11.15, 11.17, 11.19). We decode
 * them on the initiator side; the encoders serve fake targets in tests.
 *
 * RFC 7143 11.2.1 (as RFC 3720 section 10): receivers ignore reserved
 * fields but report reserved code values and contradictory bits as a
 * protocol error; that is what every decoder below checks, nothing more.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "session/pdu.h"
#include "session/pdu_wire.h"

/* ---- NOP-In, RFC 7143 11.19 ---- */

int iscsi_pdu_enc_nop_in(uint8_t *bhs, const struct iscsi_pdu_nop_in *m)
{
	struct iscsi_pdu_bhs_nop_in *w = (void *)bhs;

	if (m->itt != ISCSI_PDU_RSVD_TAG && m->ttt != ISCSI_PDU_RSVD_TAG)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_NOP_IN, false, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = BHS_F_BIT;
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ttt, m->ttt);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	return 0;
}

int iscsi_pdu_dec_nop_in(const uint8_t *bhs, struct iscsi_pdu_nop_in *m, const char **why)
{
	const struct iscsi_pdu_bhs_nop_in *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_NOP_IN, why) < 0)
		return -EPROTO;
	m->data_len = get_be24(w->dsl);
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ttt = get_be32(w->ttt);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	/* 11.19.2: a reply to our ping carries TTT 0xffffffff. */
	if (m->itt != ISCSI_PDU_RSVD_TAG && m->ttt != ISCSI_PDU_RSVD_TAG)
		return pdu_fail(why, "NOP-In with both ITT and TTT valid");
	return 0;
}

/* ---- SCSI Response, RFC 7143 11.4 ---- */

static int scsi_rsp_check(const struct iscsi_pdu_scsi_rsp *m, const char **why)
{
	/* 11.4.3: 0x02-0x7f are reserved, 0x80-0xff vendor specific. */
	if (m->response > ISCSI_PDU_RSP_TARGET_FAILURE && m->response < 0x80)
		return pdu_fail(why, "reserved SCSI Response code");
	/* 11.4.1: O/U and o/u are mutually exclusive. */
	if (m->overflow && m->underflow)
		return pdu_fail(why, "SCSI Response with both O and U");
	if (m->bidi_overflow && m->bidi_underflow)
		return pdu_fail(why, "SCSI Response with both o and u");
	/* 11.4.1: bits 3-6 must be 0 unless the command completed at the target. */
	if (m->response != ISCSI_PDU_RSP_COMPLETED &&
	    (m->overflow || m->underflow || m->bidi_overflow || m->bidi_underflow))
		return pdu_fail(why, "residual bits on a failed SCSI Response");
	return 0;
}

int iscsi_pdu_enc_scsi_rsp(uint8_t *bhs, const struct iscsi_pdu_scsi_rsp *m)
{
	struct iscsi_pdu_bhs_scsi_rsp *w = (void *)bhs;

	if (scsi_rsp_check(m, NULL) < 0)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_SCSI_RSP, false, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = (uint8_t)(BHS_F_BIT | (m->bidi_overflow ? RSP_BIDI_OVERFLOW : 0) |
			     (m->bidi_underflow ? RSP_BIDI_UNDERFLOW : 0) |
			     (m->overflow ? RSP_OVERFLOW : 0) | (m->underflow ? RSP_UNDERFLOW : 0));
	w->response = m->response;
	w->status = m->status;
	put_be32(w->itt, m->itt);
	put_be32(w->snack_tag, m->snack_tag);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	put_be32(w->exp_datasn, m->exp_datasn);
	put_be32(w->bidi_residual, m->bidi_residual);
	put_be32(w->residual, m->residual);
	return 0;
}

int iscsi_pdu_dec_scsi_rsp(const uint8_t *bhs, struct iscsi_pdu_scsi_rsp *m, const char **why)
{
	const struct iscsi_pdu_bhs_scsi_rsp *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_SCSI_RSP, why) < 0)
		return -EPROTO;
	m->bidi_overflow = w->flags & RSP_BIDI_OVERFLOW;
	m->bidi_underflow = w->flags & RSP_BIDI_UNDERFLOW;
	m->overflow = w->flags & RSP_OVERFLOW;
	m->underflow = w->flags & RSP_UNDERFLOW;
	m->response = w->response;
	m->status = w->status;
	m->data_len = get_be24(w->dsl);
	m->itt = get_be32(w->itt);
	m->snack_tag = get_be32(w->snack_tag);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	m->exp_datasn = get_be32(w->exp_datasn);
	m->bidi_residual = get_be32(w->bidi_residual);
	m->residual = get_be32(w->residual);
	return scsi_rsp_check(m, why);
}

/* ---- Task Management Function Response, RFC 7143 11.6 ---- */

static bool tmf_response_known(uint8_t r)
{
	return r <= ISCSI_PDU_TMF_RSP_AUTH_FAILED || r == ISCSI_PDU_TMF_RSP_REJECTED;
}

int iscsi_pdu_enc_tmf_rsp(uint8_t *bhs, const struct iscsi_pdu_tmf_rsp *m)
{
	struct iscsi_pdu_bhs_tmf_rsp *w = (void *)bhs;

	if (!tmf_response_known(m->response))
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_TMF_RSP, false, 0, 0) < 0)
		return -EINVAL;
	w->flags = BHS_F_BIT;
	w->response = m->response;
	put_be32(w->itt, m->itt);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	return 0;
}

int iscsi_pdu_dec_tmf_rsp(const uint8_t *bhs, struct iscsi_pdu_tmf_rsp *m, const char **why)
{
	const struct iscsi_pdu_bhs_tmf_rsp *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_TMF_RSP, why) < 0)
		return -EPROTO;
	m->response = w->response;
	m->itt = get_be32(w->itt);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	if (!tmf_response_known(m->response))
		return pdu_fail(why, "reserved task management response");
	return 0;
}

/* ---- Login Response, RFC 7143 11.13 ---- */

static int login_rsp_check(const struct iscsi_pdu_login_rsp *m, const char **why)
{
	if (m->transit && m->cont)
		return pdu_fail(why, "Login Response with both T and C");
	/* 11.12.3 stage codes: 2 is reserved. */
	if (m->csg == 2)
		return pdu_fail(why, "reserved login CSG");
	if (m->transit && m->nsg == 2)
		return pdu_fail(why, "reserved login NSG");
	if (m->status_class > ISCSI_PDU_LOGIN_TARGET_ERR)
		return pdu_fail(why, "reserved login Status-Class");
	return 0;
}

int iscsi_pdu_enc_login_rsp(uint8_t *bhs, const struct iscsi_pdu_login_rsp *m)
{
	struct iscsi_pdu_bhs_login_rsp *w = (void *)bhs;

	if (login_rsp_check(m, NULL) < 0 || m->csg > 3 || m->nsg > 3 || m->isid >> 48)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_LOGIN_RSP, false, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = (uint8_t)((m->transit ? LOGIN_T_BIT : 0) | (m->cont ? LOGIN_C_BIT : 0) |
			     m->csg << LOGIN_CSG_SHIFT | (m->transit ? m->nsg : 0));
	w->version_max = m->version_max;
	w->version_active = m->version_active;
	pdu_put_isid(w->isid, m->isid);
	put_be16(w->tsih, m->tsih);
	put_be32(w->itt, m->itt);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	w->status_class = m->status_class;
	w->status_detail = m->status_detail;
	return 0;
}

int iscsi_pdu_dec_login_rsp(const uint8_t *bhs, struct iscsi_pdu_login_rsp *m, const char **why)
{
	const struct iscsi_pdu_bhs_login_rsp *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_LOGIN_RSP, why) < 0)
		return -EPROTO;
	m->transit = w->flags & LOGIN_T_BIT;
	m->cont = w->flags & LOGIN_C_BIT;
	m->csg = (w->flags >> LOGIN_CSG_SHIFT) & LOGIN_SG_MASK;
	m->nsg = w->flags & LOGIN_SG_MASK;
	m->version_max = w->version_max;
	m->version_active = w->version_active;
	m->data_len = get_be24(w->dsl);
	m->isid = pdu_get_isid(w->isid);
	m->tsih = get_be16(w->tsih);
	m->itt = get_be32(w->itt);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	m->status_class = w->status_class;
	m->status_detail = w->status_detail;
	if (login_rsp_check(m, why) < 0)
		return -EPROTO;
	if (!m->transit)
		m->nsg = 0;
	return 0;
}

/* ---- Text Response, RFC 7143 11.11 ---- */

int iscsi_pdu_enc_text_rsp(uint8_t *bhs, const struct iscsi_pdu_text_rsp *m)
{
	struct iscsi_pdu_bhs_text_rsp *w = (void *)bhs;

	if (m->final && m->cont)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_TEXT_RSP, false, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = (uint8_t)((m->final ? BHS_F_BIT : 0) | (m->cont ? TEXT_C_BIT : 0));
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ttt, m->ttt);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	return 0;
}

int iscsi_pdu_dec_text_rsp(const uint8_t *bhs, struct iscsi_pdu_text_rsp *m, const char **why)
{
	const struct iscsi_pdu_bhs_text_rsp *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_TEXT_RSP, why) < 0)
		return -EPROTO;
	m->final = w->flags & BHS_F_BIT;
	m->cont = w->flags & TEXT_C_BIT;
	m->data_len = get_be24(w->dsl);
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ttt = get_be32(w->ttt);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	/* 11.11.2: a response with C set must have F clear. */
	if (m->final && m->cont)
		return pdu_fail(why, "Text Response with both F and C");
	return 0;
}

/* ---- SCSI Data-In, RFC 7143 11.7 ---- */

static int data_in_check(const struct iscsi_pdu_data_in *m, const char **why)
{
	/* 11.7.4: status may ride only on the last Data-In of the command. */
	if (m->status && !m->final)
		return pdu_fail(why, "Data-In with S but not F");
	if (m->overflow && m->underflow)
		return pdu_fail(why, "Data-In with both O and U");
	return 0;
}

int iscsi_pdu_enc_data_in(uint8_t *bhs, const struct iscsi_pdu_data_in *m)
{
	struct iscsi_pdu_bhs_data_in *w = (void *)bhs;

	if (data_in_check(m, NULL) < 0 || ((m->overflow || m->underflow) && !m->status))
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_DATA_IN, false, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = (uint8_t)((m->final ? BHS_F_BIT : 0) | (m->ack ? DATA_IN_A_BIT : 0) |
			     (m->overflow ? DATA_IN_O_BIT : 0) |
			     (m->underflow ? DATA_IN_U_BIT : 0) | (m->status ? DATA_IN_S_BIT : 0));
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ttt, m->ttt);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	put_be32(w->datasn, m->datasn);
	put_be32(w->buffer_offset, m->buffer_offset);
	if (m->status) {
		w->status = m->scsi_status;
		put_be32(w->statsn, m->statsn);
		put_be32(w->residual, m->residual);
	}
	return 0;
}

int iscsi_pdu_dec_data_in(const uint8_t *bhs, struct iscsi_pdu_data_in *m, const char **why)
{
	const struct iscsi_pdu_bhs_data_in *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_DATA_IN, why) < 0)
		return -EPROTO;
	m->final = w->flags & BHS_F_BIT;
	m->ack = w->flags & DATA_IN_A_BIT;
	m->status = w->flags & DATA_IN_S_BIT;
	m->data_len = get_be24(w->dsl);
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ttt = get_be32(w->ttt);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	m->datasn = get_be32(w->datasn);
	m->buffer_offset = get_be32(w->buffer_offset);
	/* Status, StatSN, O, U and the residual are reserved without S (11.7.1). */
	if (m->status) {
		m->overflow = w->flags & DATA_IN_O_BIT;
		m->underflow = w->flags & DATA_IN_U_BIT;
		m->scsi_status = w->status;
		m->statsn = get_be32(w->statsn);
		m->residual = get_be32(w->residual);
	} else {
		m->overflow = m->underflow = false;
		m->scsi_status = 0;
		m->statsn = 0;
		m->residual = 0;
	}
	return data_in_check(m, why);
}

/* ---- Logout Response, RFC 7143 11.15 ---- */

int iscsi_pdu_enc_logout_rsp(uint8_t *bhs, const struct iscsi_pdu_logout_rsp *m)
{
	struct iscsi_pdu_bhs_logout_rsp *w = (void *)bhs;

	if (m->response > ISCSI_PDU_LOGOUT_RSP_CLEANUP_FAILED)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_LOGOUT_RSP, false, 0, 0) < 0)
		return -EINVAL;
	w->flags = BHS_F_BIT;
	w->response = m->response;
	put_be32(w->itt, m->itt);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	put_be16(w->time2wait, m->time2wait);
	put_be16(w->time2retain, m->time2retain);
	return 0;
}

int iscsi_pdu_dec_logout_rsp(const uint8_t *bhs, struct iscsi_pdu_logout_rsp *m, const char **why)
{
	const struct iscsi_pdu_bhs_logout_rsp *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_LOGOUT_RSP, why) < 0)
		return -EPROTO;
	m->response = w->response;
	m->itt = get_be32(w->itt);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	m->time2wait = get_be16(w->time2wait);
	m->time2retain = get_be16(w->time2retain);
	if (m->response > ISCSI_PDU_LOGOUT_RSP_CLEANUP_FAILED)
		return pdu_fail(why, "reserved logout response code");
	/* 11.15: DataSegmentLength (=0). */
	if (get_be24(w->dsl) != 0)
		return pdu_fail(why, "Logout Response with a data segment");
	return 0;
}

/* ---- R2T, RFC 7143 11.8 ---- */

static int r2t_check(const struct iscsi_pdu_r2t *m, const char **why)
{
	/* 11.8.4: DDTL must not be 0; 11.7.4: TTT 0xffffffff is reserved. */
	if (m->ddtl == 0)
		return pdu_fail(why, "R2T with Desired Data Transfer Length 0");
	if (m->ttt == ISCSI_PDU_RSVD_TAG)
		return pdu_fail(why, "R2T with the reserved TTT 0xffffffff");
	return 0;
}

int iscsi_pdu_enc_r2t(uint8_t *bhs, const struct iscsi_pdu_r2t *m)
{
	struct iscsi_pdu_bhs_r2t *w = (void *)bhs;

	if (r2t_check(m, NULL) < 0)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_R2T, false, 0, 0) < 0)
		return -EINVAL;
	w->flags = BHS_F_BIT;
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ttt, m->ttt);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	put_be32(w->r2tsn, m->r2tsn);
	put_be32(w->buffer_offset, m->buffer_offset);
	put_be32(w->ddtl, m->ddtl);
	return 0;
}

int iscsi_pdu_dec_r2t(const uint8_t *bhs, struct iscsi_pdu_r2t *m, const char **why)
{
	const struct iscsi_pdu_bhs_r2t *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_R2T, why) < 0)
		return -EPROTO;
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ttt = get_be32(w->ttt);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	m->r2tsn = get_be32(w->r2tsn);
	m->buffer_offset = get_be32(w->buffer_offset);
	m->ddtl = get_be32(w->ddtl);
	/* 11.8: DataSegmentLength (=0). */
	if (get_be24(w->dsl) != 0)
		return pdu_fail(why, "R2T with a data segment");
	return r2t_check(m, why);
}

/* ---- Asynchronous Message, RFC 7143 11.9 ---- */

static bool async_event_known(uint8_t e)
{
	return e <= ISCSI_PDU_ASYNC_TASK_TERMINATION || e >= ISCSI_PDU_ASYNC_VENDOR_FIRST;
}

int iscsi_pdu_enc_async_msg(uint8_t *bhs, const struct iscsi_pdu_async_msg *m)
{
	struct iscsi_pdu_bhs_async_msg *w = (void *)bhs;

	if (!async_event_known(m->event))
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_ASYNC_MSG, false, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = BHS_F_BIT;
	put_be64(w->lun, m->lun);
	put_be32(w->itt, ISCSI_PDU_RSVD_TAG);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	w->async_event = m->event;
	w->async_vcode = m->vcode;
	put_be16(w->param1, m->param1);
	put_be16(w->param2, m->param2);
	put_be16(w->param3, m->param3);
	return 0;
}

int iscsi_pdu_dec_async_msg(const uint8_t *bhs, struct iscsi_pdu_async_msg *m, const char **why)
{
	const struct iscsi_pdu_bhs_async_msg *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_ASYNC_MSG, why) < 0)
		return -EPROTO;
	m->data_len = get_be24(w->dsl);
	m->lun = get_be64(w->lun);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	m->event = w->async_event;
	m->vcode = w->async_vcode;
	m->param1 = get_be16(w->param1);
	m->param2 = get_be16(w->param2);
	m->param3 = get_be16(w->param3);
	if (!async_event_known(m->event))
		return pdu_fail(why, "reserved AsyncEvent code");
	return 0;
}

/* ---- Reject, RFC 7143 11.17 ---- */

static bool reject_reason_known(uint8_t r)
{
	return r >= ISCSI_PDU_REJ_DATA_DIGEST && r <= ISCSI_PDU_REJ_WAITING_LOGOUT;
}

int iscsi_pdu_enc_reject(uint8_t *bhs, const struct iscsi_pdu_reject *m)
{
	struct iscsi_pdu_bhs_reject *w = (void *)bhs;

	if (!reject_reason_known(m->reason) || m->data_len < ISCSI_PDU_BHS_LEN)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_REJECT, false, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = BHS_F_BIT;
	w->reason = m->reason;
	put_be32(w->itt, ISCSI_PDU_RSVD_TAG);
	put_be32(w->statsn, m->statsn);
	put_be32(w->exp_cmdsn, m->exp_cmdsn);
	put_be32(w->max_cmdsn, m->max_cmdsn);
	put_be32(w->datasn_r2tsn, m->datasn);
	return 0;
}

int iscsi_pdu_dec_reject(const uint8_t *bhs, struct iscsi_pdu_reject *m, const char **why)
{
	const struct iscsi_pdu_bhs_reject *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_REJECT, why) < 0)
		return -EPROTO;
	m->reason = w->reason;
	m->data_len = get_be24(w->dsl);
	m->statsn = get_be32(w->statsn);
	m->exp_cmdsn = get_be32(w->exp_cmdsn);
	m->max_cmdsn = get_be32(w->max_cmdsn);
	m->datasn = get_be32(w->datasn_r2tsn);
	if (!reject_reason_known(m->reason))
		return pdu_fail(why, "reserved Reject reason code");
	/* 11.17.1: the data segment carries the complete rejected header (>= 48 bytes). */
	if (m->data_len < ISCSI_PDU_BHS_LEN)
		return pdu_fail(why, "Reject without the rejected PDU header");
	return 0;
}
