/*
 * The peer half of the PDU codec, for fake targets in tests and fuzzing
 * only (libsessiontest.a; the daemon does not link it): the encoders of
 * the target PDUs and the decoders of the initiator PDUs, generated from
 * the same tables of pdu_wire.h and checked by the same rules
 * (pdu_codec.c) as the daemon's half.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "session/pdu.h"
#include "session/pdu_gen.h"
#include "session/pdu_wire.h"

#define GEN_ENC_INITIATOR(name, op)
#define GEN_ENC_TARGET(name, op)    PDU_GEN_ENC(name, op)
#define GEN_DEC_INITIATOR(name, op) PDU_GEN_DEC(name, op)
#define GEN_DEC_TARGET(name, op)
#define GEN(name, op, sender) GEN_ENC_##sender(name, op) GEN_DEC_##sender(name, op)
PDU_LIST(GEN)

int iscsi_pdu_dec_initiator(const uint8_t *bhs, struct iscsi_pdu_initiator_msg *m, const char **why)
{
	unsigned int op = iscsi_pdu_opcode(bhs);

	m->opcode = (uint8_t)op;
	switch (op) {
	case ISCSI_PDU_OP_NOP_OUT:
		return iscsi_pdu_dec_nop_out(bhs, &m->u.nop_out, why);
	case ISCSI_PDU_OP_SCSI_CMD:
		return iscsi_pdu_dec_scsi_cmd(bhs, &m->u.scsi_cmd, why);
	case ISCSI_PDU_OP_TMF_REQ:
		return iscsi_pdu_dec_tmf_req(bhs, &m->u.tmf_req, why);
	case ISCSI_PDU_OP_LOGIN_REQ:
		return iscsi_pdu_dec_login_req(bhs, &m->u.login_req, why);
	case ISCSI_PDU_OP_TEXT_REQ:
		return iscsi_pdu_dec_text_req(bhs, &m->u.text_req, why);
	case ISCSI_PDU_OP_DATA_OUT:
		return iscsi_pdu_dec_data_out(bhs, &m->u.data_out, why);
	case ISCSI_PDU_OP_LOGOUT_REQ:
		return iscsi_pdu_dec_logout_req(bhs, &m->u.logout_req, why);
	case ISCSI_PDU_OP_SNACK_REQ:
		return iscsi_pdu_dec_snack_req(bhs, &m->u.snack_req, why);
	default:
		return pdu_fail(why, iscsi_pdu_opcode_known(op) ? "target opcode from an initiator"
								: "reserved opcode");
	}
}
