/*
 * The PDU codec the daemon ships: the encoders of the initiator PDUs
 * (opcodes 0x00-0x1f) and the decoders of the target PDUs (0x20-0x3f),
 * generated from the tables of pdu_wire.h, and the RFC rules of every
 * message that both directions share. The other half (what a target
 * sends, what it receives) is pdu_peer.c, built into the test library.
 *
 * RFC 7143 11.2.1 (as RFC 3720 section 10): receivers ignore reserved
 * fields but report reserved code values and contradictory bits as a
 * protocol error; that is what every rule below checks, nothing more.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "session/pdu.h"
#include "session/pdu_gen.h"
#include "session/pdu_wire.h"

/* ---- Initiator PDUs ---- */

int pdu_valid_nop_out(const uint8_t *bhs, const struct iscsi_pdu_nop_out *m, const char **why)
{
	/* 11.18.1: ITT 0xffffffff (no reply wanted) requires the I bit. */
	if (m->itt == ISCSI_PDU_RSVD_TAG && !m->immediate)
		return pdu_fail(why, "NOP-Out with ITT 0xffffffff must be immediate");
	/* A NOP-Out is a ping (ITT valid) or a ping reply (TTT valid), never both. */
	if (m->itt != ISCSI_PDU_RSVD_TAG && m->ttt != ISCSI_PDU_RSVD_TAG)
		return pdu_fail(why, "NOP-Out with both ITT and TTT valid");
	return 0;
}

int pdu_valid_scsi_cmd(const uint8_t *bhs, const struct iscsi_pdu_scsi_cmd *m, const char **why)
{
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

int pdu_valid_tmf_req(const uint8_t *bhs, const struct iscsi_pdu_tmf_req *m, const char **why)
{
	if (m->function < ISCSI_PDU_TMF_ABORT_TASK || m->function > ISCSI_PDU_TMF_TASK_REASSIGN)
		return pdu_fail(why, "reserved task management function");
	return 0;
}

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

int pdu_valid_login_req(const uint8_t *bhs, const struct iscsi_pdu_login_req *m, const char **why)
{
	/* 11.12: byte 0 is ".1 0x03": a login request is always immediate. */
	if (bhs && !iscsi_pdu_immediate(bhs))
		return pdu_fail(why, "Login Request without the I bit");
	if (login_stages_check(m->transit, m->cont, m->csg, m->nsg, why) < 0)
		return -EPROTO;
	if (m->csg == ISCSI_PDU_STAGE_FULL_FEATURE)
		return pdu_fail(why, "Login Request in full feature phase");
	if (m->isid >> 48)
		return pdu_fail(why, "ISID wider than 48 bits");
	return 0;
}

int pdu_valid_text_req(const uint8_t *bhs, const struct iscsi_pdu_text_req *m, const char **why)
{
	/* 11.10.2: C set requires F clear. */
	if (m->final && m->cont)
		return pdu_fail(why, "Text Request with both F and C");
	return 0;
}

int pdu_valid_data_out(const uint8_t *bhs, const struct iscsi_pdu_data_out *m, const char **why)
{
	return 0;
}

int pdu_valid_logout_req(const uint8_t *bhs, const struct iscsi_pdu_logout_req *m, const char **why)
{
	if (m->reason > ISCSI_PDU_LOGOUT_REMOVE_FOR_RECOVERY)
		return pdu_fail(why, "reserved logout reason code");
	if (bhs && iscsi_pdu_dsl(bhs) != 0)
		return pdu_fail(why, "Logout Request with a data segment");
	return 0;
}

int pdu_valid_snack_req(const uint8_t *bhs, const struct iscsi_pdu_snack_req *m, const char **why)
{
	if (m->type > ISCSI_PDU_SNACK_RDATA)
		return pdu_fail(why, "reserved SNACK type");
	return 0;
}

/* ---- Target PDUs ---- */

int pdu_valid_nop_in(const uint8_t *bhs, const struct iscsi_pdu_nop_in *m, const char **why)
{
	/* 11.19.2: a reply to our ping carries TTT 0xffffffff. */
	if (m->itt != ISCSI_PDU_RSVD_TAG && m->ttt != ISCSI_PDU_RSVD_TAG)
		return pdu_fail(why, "NOP-In with both ITT and TTT valid");
	return 0;
}

int pdu_valid_scsi_rsp(const uint8_t *bhs, const struct iscsi_pdu_scsi_rsp *m, const char **why)
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

int pdu_valid_tmf_rsp(const uint8_t *bhs, const struct iscsi_pdu_tmf_rsp *m, const char **why)
{
	if (m->response > ISCSI_PDU_TMF_RSP_AUTH_FAILED &&
	    m->response != ISCSI_PDU_TMF_RSP_REJECTED)
		return pdu_fail(why, "reserved task management response");
	return 0;
}

int pdu_valid_login_rsp(const uint8_t *bhs, const struct iscsi_pdu_login_rsp *m, const char **why)
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
	/* Only an encoder can be handed these: the wire fields are 2 and 48 bits wide. */
	if (m->csg > 3 || m->nsg > 3 || m->isid >> 48)
		return pdu_fail(why, "login stage or ISID out of range");
	return 0;
}

int pdu_valid_text_rsp(const uint8_t *bhs, const struct iscsi_pdu_text_rsp *m, const char **why)
{
	/* 11.11.2: a response with C set must have F clear. */
	if (m->final && m->cont)
		return pdu_fail(why, "Text Response with both F and C");
	return 0;
}

int pdu_valid_data_in(const uint8_t *bhs, const struct iscsi_pdu_data_in *m, const char **why)
{
	/* 11.7.4: status may ride only on the last Data-In of the command. */
	if (m->status && !m->final)
		return pdu_fail(why, "Data-In with S but not F");
	if (m->overflow && m->underflow)
		return pdu_fail(why, "Data-In with both O and U");
	/* 11.7.1: O and U are reserved without S (the decoder reads them only with S). */
	if ((m->overflow || m->underflow) && !m->status)
		return pdu_fail(why, "Data-In with O or U but not S");
	return 0;
}

int pdu_valid_logout_rsp(const uint8_t *bhs, const struct iscsi_pdu_logout_rsp *m, const char **why)
{
	if (m->response > ISCSI_PDU_LOGOUT_RSP_CLEANUP_FAILED)
		return pdu_fail(why, "reserved logout response code");
	/* 11.15: DataSegmentLength (=0). */
	if (bhs && iscsi_pdu_dsl(bhs) != 0)
		return pdu_fail(why, "Logout Response with a data segment");
	return 0;
}

int pdu_valid_r2t(const uint8_t *bhs, const struct iscsi_pdu_r2t *m, const char **why)
{
	/* 11.8: DataSegmentLength (=0). */
	if (bhs && iscsi_pdu_dsl(bhs) != 0)
		return pdu_fail(why, "R2T with a data segment");
	/* 11.8.4: DDTL must not be 0; 11.7.4: TTT 0xffffffff is reserved. */
	if (m->ddtl == 0)
		return pdu_fail(why, "R2T with Desired Data Transfer Length 0");
	if (m->ttt == ISCSI_PDU_RSVD_TAG)
		return pdu_fail(why, "R2T with the reserved TTT 0xffffffff");
	return 0;
}

int pdu_valid_async_msg(const uint8_t *bhs, const struct iscsi_pdu_async_msg *m, const char **why)
{
	if (m->event > ISCSI_PDU_ASYNC_TASK_TERMINATION && m->event < ISCSI_PDU_ASYNC_VENDOR_FIRST)
		return pdu_fail(why, "reserved AsyncEvent code");
	return 0;
}

int pdu_valid_reject(const uint8_t *bhs, const struct iscsi_pdu_reject *m, const char **why)
{
	if (m->reason < ISCSI_PDU_REJ_DATA_DIGEST || m->reason > ISCSI_PDU_REJ_WAITING_LOGOUT)
		return pdu_fail(why, "reserved Reject reason code");
	/* 11.17.1: the data segment carries the complete rejected header (>= 48 bytes). */
	if (m->data_len < ISCSI_PDU_BHS_LEN)
		return pdu_fail(why, "Reject without the rejected PDU header");
	return 0;
}

/* ---- The daemon's half: encode what we send, decode what a target sends ---- */

#define GEN_ENC_INITIATOR(name, op) PDU_GEN_ENC(name, op)
#define GEN_ENC_TARGET(name, op)
#define GEN_DEC_INITIATOR(name, op)
#define GEN_DEC_TARGET(name, op)     PDU_GEN_DEC(name, op)
#define GEN(name, op, sender, title) GEN_ENC_##sender(name, op) GEN_DEC_##sender(name, op)
PDU_LIST(GEN)
