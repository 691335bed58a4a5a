/*
 * Encoders and decoders of the initiator PDUs (opcodes 0x00-0x1f, RFC 7143
 * 11.3, 11.5, 11.7, 11.10, 11.12, 11.14, 11.16, 11.18). We encode them on
 * the initiator side; the decoders serve fake targets in tests and fuzzing.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "session/pdu.h"
#include "session/pdu_wire.h"

/* ---- NOP-Out, RFC 7143 11.18 ---- */

int iscsi_pdu_enc_nop_out(uint8_t *bhs, const struct iscsi_pdu_nop_out *m)
{
	struct iscsi_pdu_bhs_nop_out *w = (void *)bhs;

	/* 11.18.1: ITT 0xffffffff (no reply wanted) requires the I bit. */
	if (m->itt == ISCSI_PDU_RSVD_TAG && !m->immediate)
		return -EINVAL;
	if (m->itt != ISCSI_PDU_RSVD_TAG && m->ttt != ISCSI_PDU_RSVD_TAG)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_NOP_OUT, m->immediate, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = BHS_F_BIT;
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ttt, m->ttt);
	put_be32(w->cmdsn, m->cmdsn);
	put_be32(w->exp_statsn, m->exp_statsn);
	return 0;
}

int iscsi_pdu_dec_nop_out(const uint8_t *bhs, struct iscsi_pdu_nop_out *m, const char **why)
{
	const struct iscsi_pdu_bhs_nop_out *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_NOP_OUT, why) < 0)
		return -EPROTO;
	m->immediate = iscsi_pdu_immediate(bhs);
	m->data_len = get_be24(w->dsl);
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ttt = get_be32(w->ttt);
	m->cmdsn = get_be32(w->cmdsn);
	m->exp_statsn = get_be32(w->exp_statsn);
	if (m->itt == ISCSI_PDU_RSVD_TAG && !m->immediate)
		return pdu_fail(why, "NOP-Out with ITT 0xffffffff must be immediate");
	/* A NOP-Out is a ping (ITT valid) or a ping reply (TTT valid), never both. */
	if (m->itt != ISCSI_PDU_RSVD_TAG && m->ttt != ISCSI_PDU_RSVD_TAG)
		return pdu_fail(why, "NOP-Out with both ITT and TTT valid");
	return 0;
}

/* ---- SCSI Command, RFC 7143 11.3 ---- */

int iscsi_pdu_enc_scsi_cmd(uint8_t *bhs, const struct iscsi_pdu_scsi_cmd *m)
{
	struct iscsi_pdu_bhs_scsi_cmd *w = (void *)bhs;

	if (m->attr > ISCSI_PDU_ATTR_ACA || (!m->write && !m->final) ||
	    (m->edtl && !m->read && !m->write) || (!m->write && m->data_len))
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_SCSI_CMD, m->immediate, m->ahs_words, m->data_len) < 0)
		return -EINVAL;
	w->flags = (uint8_t)((m->final ? BHS_F_BIT : 0) | (m->read ? SCSI_CMD_R_BIT : 0) |
			     (m->write ? SCSI_CMD_W_BIT : 0) | m->attr);
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->edtl, m->edtl);
	put_be32(w->cmdsn, m->cmdsn);
	put_be32(w->exp_statsn, m->exp_statsn);
	memcpy(w->cdb, m->cdb, sizeof(w->cdb));
	return 0;
}

int iscsi_pdu_dec_scsi_cmd(const uint8_t *bhs, struct iscsi_pdu_scsi_cmd *m, const char **why)
{
	const struct iscsi_pdu_bhs_scsi_cmd *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_SCSI_CMD, why) < 0)
		return -EPROTO;
	m->immediate = iscsi_pdu_immediate(bhs);
	m->final = w->flags & BHS_F_BIT;
	m->read = w->flags & SCSI_CMD_R_BIT;
	m->write = w->flags & SCSI_CMD_W_BIT;
	m->attr = w->flags & SCSI_CMD_ATTR_MASK;
	m->ahs_words = w->total_ahs_len;
	m->data_len = get_be24(w->dsl);
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->edtl = get_be32(w->edtl);
	m->cmdsn = get_be32(w->cmdsn);
	m->exp_statsn = get_be32(w->exp_statsn);
	memcpy(m->cdb, w->cdb, sizeof(m->cdb));
	if (m->attr > ISCSI_PDU_ATTR_ACA)
		return pdu_fail(why, "reserved task attribute");
	/* 11.3.1: at least one of W and F must be 1 (no Data-Out without a write). */
	if (!m->write && !m->final)
		return pdu_fail(why, "SCSI Command with W and F both 0");
	if (!m->write && m->data_len)
		return pdu_fail(why, "immediate data on a command without W");
	/* 11.3.1: R and W must not both be 0 when data is expected. */
	if (m->edtl && !m->read && !m->write)
		return pdu_fail(why, "Expected Data Transfer Length without R or W");
	return 0;
}

/* ---- Task Management Function Request, RFC 7143 11.5 ---- */

int iscsi_pdu_enc_tmf_req(uint8_t *bhs, const struct iscsi_pdu_tmf_req *m)
{
	struct iscsi_pdu_bhs_tmf_req *w = (void *)bhs;

	if (m->function < ISCSI_PDU_TMF_ABORT_TASK || m->function > ISCSI_PDU_TMF_TASK_REASSIGN)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_TMF_REQ, m->immediate, 0, 0) < 0)
		return -EINVAL;
	w->function = (uint8_t)(BHS_F_BIT | m->function);
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ref_task_tag, m->ref_itt);
	put_be32(w->cmdsn, m->cmdsn);
	put_be32(w->exp_statsn, m->exp_statsn);
	put_be32(w->ref_cmdsn, m->ref_cmdsn);
	put_be32(w->exp_datasn, m->exp_datasn);
	return 0;
}

int iscsi_pdu_dec_tmf_req(const uint8_t *bhs, struct iscsi_pdu_tmf_req *m, const char **why)
{
	const struct iscsi_pdu_bhs_tmf_req *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_TMF_REQ, why) < 0)
		return -EPROTO;
	m->immediate = iscsi_pdu_immediate(bhs);
	m->function = w->function & 0x7f;
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ref_itt = get_be32(w->ref_task_tag);
	m->cmdsn = get_be32(w->cmdsn);
	m->exp_statsn = get_be32(w->exp_statsn);
	m->ref_cmdsn = get_be32(w->ref_cmdsn);
	m->exp_datasn = get_be32(w->exp_datasn);
	if (m->function < ISCSI_PDU_TMF_ABORT_TASK || m->function > ISCSI_PDU_TMF_TASK_REASSIGN)
		return pdu_fail(why, "reserved task management function");
	return 0;
}

/* ---- Login Request, RFC 7143 11.12 ---- */

/* CSG/NSG code 2 is reserved (11.12.3); NSG is meaningful only with T. */
static int login_stages_check(bool transit, bool cont, uint8_t csg, uint8_t nsg, const char **why)
{
	if (transit && cont)
		return pdu_fail(why, "login PDU with both T and C");
	if (csg == 2 || csg > ISCSI_PDU_STAGE_FULL_FEATURE)
		return pdu_fail(why, "reserved login CSG");
	if (transit && (nsg == 2 || nsg > ISCSI_PDU_STAGE_FULL_FEATURE))
		return pdu_fail(why, "reserved login NSG");
	return 0;
}

int iscsi_pdu_enc_login_req(uint8_t *bhs, const struct iscsi_pdu_login_req *m)
{
	struct iscsi_pdu_bhs_login_req *w = (void *)bhs;

	if (login_stages_check(m->transit, m->cont, m->csg, m->nsg, NULL) < 0 ||
	    m->csg == ISCSI_PDU_STAGE_FULL_FEATURE || m->isid >> 48)
		return -EINVAL;
	/* 11.12: byte 0 is ".1 0x03": a login request is always immediate. */
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_LOGIN_REQ, true, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = (uint8_t)((m->transit ? LOGIN_T_BIT : 0) | (m->cont ? LOGIN_C_BIT : 0) |
			     m->csg << LOGIN_CSG_SHIFT | (m->transit ? m->nsg : 0));
	w->version_max = m->version_max;
	w->version_min = m->version_min;
	pdu_put_isid(w->isid, m->isid);
	put_be16(w->tsih, m->tsih);
	put_be32(w->itt, m->itt);
	put_be16(w->cid, m->cid);
	put_be32(w->cmdsn, m->cmdsn);
	put_be32(w->exp_statsn, m->exp_statsn);
	return 0;
}

int iscsi_pdu_dec_login_req(const uint8_t *bhs, struct iscsi_pdu_login_req *m, const char **why)
{
	const struct iscsi_pdu_bhs_login_req *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_LOGIN_REQ, why) < 0)
		return -EPROTO;
	m->transit = w->flags & LOGIN_T_BIT;
	m->cont = w->flags & LOGIN_C_BIT;
	m->csg = (w->flags >> LOGIN_CSG_SHIFT) & LOGIN_SG_MASK;
	m->nsg = w->flags & LOGIN_SG_MASK;
	m->version_max = w->version_max;
	m->version_min = w->version_min;
	m->data_len = get_be24(w->dsl);
	m->isid = pdu_get_isid(w->isid);
	m->tsih = get_be16(w->tsih);
	m->itt = get_be32(w->itt);
	m->cid = get_be16(w->cid);
	m->cmdsn = get_be32(w->cmdsn);
	m->exp_statsn = get_be32(w->exp_statsn);
	if (!iscsi_pdu_immediate(bhs))
		return pdu_fail(why, "Login Request without the I bit");
	if (login_stages_check(m->transit, m->cont, m->csg, m->nsg, why) < 0)
		return -EPROTO;
	if (m->csg == ISCSI_PDU_STAGE_FULL_FEATURE)
		return pdu_fail(why, "Login Request in full feature phase");
	if (!m->transit)
		m->nsg = 0;
	return 0;
}

/* ---- Text Request, RFC 7143 11.10 ---- */

int iscsi_pdu_enc_text_req(uint8_t *bhs, const struct iscsi_pdu_text_req *m)
{
	struct iscsi_pdu_bhs_text_req *w = (void *)bhs;

	if (m->final && m->cont)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_TEXT_REQ, m->immediate, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = (uint8_t)((m->final ? BHS_F_BIT : 0) | (m->cont ? TEXT_C_BIT : 0));
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ttt, m->ttt);
	put_be32(w->cmdsn, m->cmdsn);
	put_be32(w->exp_statsn, m->exp_statsn);
	return 0;
}

int iscsi_pdu_dec_text_req(const uint8_t *bhs, struct iscsi_pdu_text_req *m, const char **why)
{
	const struct iscsi_pdu_bhs_text_req *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_TEXT_REQ, why) < 0)
		return -EPROTO;
	m->immediate = iscsi_pdu_immediate(bhs);
	m->final = w->flags & BHS_F_BIT;
	m->cont = w->flags & TEXT_C_BIT;
	m->data_len = get_be24(w->dsl);
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ttt = get_be32(w->ttt);
	m->cmdsn = get_be32(w->cmdsn);
	m->exp_statsn = get_be32(w->exp_statsn);
	/* 11.10.2: C set requires F clear. */
	if (m->final && m->cont)
		return pdu_fail(why, "Text Request with both F and C");
	return 0;
}

/* ---- SCSI Data-Out, RFC 7143 11.7 ---- */

int iscsi_pdu_enc_data_out(uint8_t *bhs, const struct iscsi_pdu_data_out *m)
{
	struct iscsi_pdu_bhs_data_out *w = (void *)bhs;

	if (pdu_enc_start(bhs, ISCSI_PDU_OP_DATA_OUT, false, 0, m->data_len) < 0)
		return -EINVAL;
	w->flags = m->final ? BHS_F_BIT : 0;
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ttt, m->ttt);
	put_be32(w->exp_statsn, m->exp_statsn);
	put_be32(w->datasn, m->datasn);
	put_be32(w->buffer_offset, m->buffer_offset);
	return 0;
}

int iscsi_pdu_dec_data_out(const uint8_t *bhs, struct iscsi_pdu_data_out *m, const char **why)
{
	const struct iscsi_pdu_bhs_data_out *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_DATA_OUT, why) < 0)
		return -EPROTO;
	m->final = w->flags & BHS_F_BIT;
	m->data_len = get_be24(w->dsl);
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ttt = get_be32(w->ttt);
	m->exp_statsn = get_be32(w->exp_statsn);
	m->datasn = get_be32(w->datasn);
	m->buffer_offset = get_be32(w->buffer_offset);
	return 0;
}

/* ---- Logout Request, RFC 7143 11.14 ---- */

int iscsi_pdu_enc_logout_req(uint8_t *bhs, const struct iscsi_pdu_logout_req *m)
{
	struct iscsi_pdu_bhs_logout_req *w = (void *)bhs;

	if (m->reason > ISCSI_PDU_LOGOUT_REMOVE_FOR_RECOVERY)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_LOGOUT_REQ, m->immediate, 0, 0) < 0)
		return -EINVAL;
	w->reason = (uint8_t)(BHS_F_BIT | m->reason);
	put_be32(w->itt, m->itt);
	/* 11.14.2: the CID field is reserved when closing the whole session. */
	if (m->reason != ISCSI_PDU_LOGOUT_CLOSE_SESSION)
		put_be16(w->cid, m->cid);
	put_be32(w->cmdsn, m->cmdsn);
	put_be32(w->exp_statsn, m->exp_statsn);
	return 0;
}

int iscsi_pdu_dec_logout_req(const uint8_t *bhs, struct iscsi_pdu_logout_req *m, const char **why)
{
	const struct iscsi_pdu_bhs_logout_req *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_LOGOUT_REQ, why) < 0)
		return -EPROTO;
	m->immediate = iscsi_pdu_immediate(bhs);
	m->reason = w->reason & 0x7f;
	m->itt = get_be32(w->itt);
	/* 11.14.2: CID is reserved (ignored) when the whole session closes. */
	m->cid = m->reason == ISCSI_PDU_LOGOUT_CLOSE_SESSION ? 0 : get_be16(w->cid);
	m->cmdsn = get_be32(w->cmdsn);
	m->exp_statsn = get_be32(w->exp_statsn);
	if (m->reason > ISCSI_PDU_LOGOUT_REMOVE_FOR_RECOVERY)
		return pdu_fail(why, "reserved logout reason code");
	if (get_be24(w->dsl) != 0)
		return pdu_fail(why, "Logout Request with a data segment");
	return 0;
}

/* ---- SNACK Request, RFC 7143 11.16 ---- */

int iscsi_pdu_enc_snack_req(uint8_t *bhs, const struct iscsi_pdu_snack_req *m)
{
	struct iscsi_pdu_bhs_snack_req *w = (void *)bhs;

	if (m->type > ISCSI_PDU_SNACK_RDATA)
		return -EINVAL;
	if (pdu_enc_start(bhs, ISCSI_PDU_OP_SNACK_REQ, false, 0, 0) < 0)
		return -EINVAL;
	w->flags = (uint8_t)(BHS_F_BIT | m->type);
	put_be64(w->lun, m->lun);
	put_be32(w->itt, m->itt);
	put_be32(w->ttt_snack_tag, m->ttt_or_snack_tag);
	put_be32(w->exp_statsn, m->exp_statsn);
	put_be32(w->beg_run, m->beg_run);
	put_be32(w->run_length, m->run_length);
	return 0;
}

int iscsi_pdu_dec_snack_req(const uint8_t *bhs, struct iscsi_pdu_snack_req *m, const char **why)
{
	const struct iscsi_pdu_bhs_snack_req *w = (const void *)bhs;

	if (pdu_check_opcode(bhs, ISCSI_PDU_OP_SNACK_REQ, why) < 0)
		return -EPROTO;
	m->type = w->flags & SNACK_TYPE_MASK;
	m->lun = get_be64(w->lun);
	m->itt = get_be32(w->itt);
	m->ttt_or_snack_tag = get_be32(w->ttt_snack_tag);
	m->exp_statsn = get_be32(w->exp_statsn);
	m->beg_run = get_be32(w->beg_run);
	m->run_length = get_be32(w->run_length);
	if (m->type > ISCSI_PDU_SNACK_RDATA)
		return pdu_fail(why, "reserved SNACK type");
	return 0;
}
