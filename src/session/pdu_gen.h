/*
 * Private to the PDU codec: the generator that turns one PDU_FIELDS_<name>
 * table of pdu_wire.h into its encoder and its decoder, so the two
 * directions cannot drift apart. pdu_codec.c instantiates the half the
 * daemon needs, pdu_peer.c (test library only) the other half.
 *
 * Encoder (contract in pdu.h): the RFC rules (pdu_valid_<name>, -EINVAL
 * when broken), then pdu_enc_start() zeroes the BHS and writes the opcode,
 * the I bit, TotalAHSLength and DataSegmentLength, then every row.
 * Decoder: the opcode, every row in table order, then the RFC rules.
 */
#ifndef ISN_SESSION_PDU_GEN_H
#define ISN_SESSION_PDU_GEN_H

#include <stdbool.h>
#include <string.h>

#include "session/pdu_wire.h"

/* Encoder, first pass over the rows: what pdu_enc_start() writes. */
#define PDU_PRE_IMM(wf, mf, arg)  imm = (mf);
#define PDU_PRE_IMM1(wf, mf, arg) imm = true;
#define PDU_PRE_AHS(wf, mf, arg)  ahs = (mf);
#define PDU_PRE_DSL(wf, mf, arg)  dsl = (mf);
#define PDU_PRE_FLAG(wf, mf, arg)
#define PDU_PRE_BITS(wf, mf, arg)
#define PDU_PRE_FIXED(wf, mf, arg)
#define PDU_PRE_U8(wf, mf, arg)
#define PDU_PRE_BE16(wf, mf, arg)
#define PDU_PRE_BE32(wf, mf, arg)
#define PDU_PRE_CONST32(wf, mf, arg)
#define PDU_PRE_BE64(wf, mf, arg)
#define PDU_PRE_ISID(wf, mf, arg)
#define PDU_PRE_CDB(wf, mf, arg)
#define PDU_ENC_PRE(kind, off, wire, msg, arg, cond)                                               \
	if (cond) {                                                                                \
		PDU_PRE_##kind(w->wire, m->msg, arg)                                               \
	}

/* Encoder, second pass: the rest of the BHS (zeroed by pdu_enc_start()). */
#define PDU_ENC_IMM(wf, mf, arg)
#define PDU_ENC_IMM1(wf, mf, arg)
#define PDU_ENC_AHS(wf, mf, arg)
#define PDU_ENC_DSL(wf, mf, arg)
#define PDU_ENC_FLAG(wf, mf, arg)                                                                  \
	if (mf)                                                                                    \
		wf |= (arg);
#define PDU_ENC_BITS(wf, mf, arg)                                                                  \
	wf |= (uint8_t)(((unsigned int)(mf) << __builtin_ctz(arg)) & (arg));
#define PDU_ENC_FIXED(wf, mf, arg)   wf |= (arg);
#define PDU_ENC_U8(wf, mf, arg)	     wf = (mf);
#define PDU_ENC_BE16(wf, mf, arg)    put_be16(wf, mf);
#define PDU_ENC_BE32(wf, mf, arg)    put_be32(wf, mf);
#define PDU_ENC_CONST32(wf, mf, arg) put_be32(wf, arg);
#define PDU_ENC_BE64(wf, mf, arg)    put_be64(wf, mf);
#define PDU_ENC_ISID(wf, mf, arg)    pdu_put_isid(wf, mf);
#define PDU_ENC_CDB(wf, mf, arg)     memcpy(wf, mf, sizeof(wf));
#define PDU_ENC_ROW(kind, off, wire, msg, arg, cond)                                               \
	if (cond) {                                                                                \
		PDU_ENC_##kind(w->wire, m->msg, arg)                                               \
	}

/* Decoder: each row read into its member, or 0 when its condition is false. */
#define PDU_DEC_IMM(wf, mf, arg) mf = iscsi_pdu_immediate(bhs);
#define PDU_DEC_IMM1(wf, mf, arg)
#define PDU_DEC_AHS(wf, mf, arg)  mf = wf;
#define PDU_DEC_DSL(wf, mf, arg)  mf = get_be24(wf);
#define PDU_DEC_FLAG(wf, mf, arg) mf = (wf & (arg)) != 0;
#define PDU_DEC_BITS(wf, mf, arg) mf = (uint8_t)((wf & (arg)) >> __builtin_ctz(arg));
#define PDU_DEC_FIXED(wf, mf, arg)
#define PDU_DEC_U8(wf, mf, arg)	  mf = wf;
#define PDU_DEC_BE16(wf, mf, arg) mf = get_be16(wf);
#define PDU_DEC_BE32(wf, mf, arg) mf = get_be32(wf);
#define PDU_DEC_CONST32(wf, mf, arg)
#define PDU_DEC_BE64(wf, mf, arg) mf = get_be64(wf);
#define PDU_DEC_ISID(wf, mf, arg) mf = pdu_get_isid(wf);
#define PDU_DEC_CDB(wf, mf, arg)  memcpy(mf, wf, sizeof(mf));
#define PDU_ZERO_IMM(mf)	  mf = 0;
#define PDU_ZERO_IMM1(mf)
#define PDU_ZERO_AHS(mf)  mf = 0;
#define PDU_ZERO_DSL(mf)  mf = 0;
#define PDU_ZERO_FLAG(mf) mf = 0;
#define PDU_ZERO_BITS(mf) mf = 0;
#define PDU_ZERO_FIXED(mf)
#define PDU_ZERO_U8(mf)	  mf = 0;
#define PDU_ZERO_BE16(mf) mf = 0;
#define PDU_ZERO_BE32(mf) mf = 0;
#define PDU_ZERO_CONST32(mf)
#define PDU_ZERO_BE64(mf) mf = 0;
#define PDU_ZERO_ISID(mf) mf = 0;
#define PDU_ZERO_CDB(mf)  memset(mf, 0, sizeof(mf));
#define PDU_DEC_ROW(kind, off, wire, msg, arg, cond)                                               \
	if (cond) {                                                                                \
		PDU_DEC_##kind(w->wire, m->msg, arg)                                               \
	} else {                                                                                   \
		PDU_ZERO_##kind(m->msg)                                                            \
	}

#define PDU_GEN_ENC(name, op)                                                                      \
	int iscsi_pdu_enc_##name(uint8_t *bhs, const struct iscsi_pdu_##name *m)                   \
	{                                                                                          \
		struct iscsi_pdu_bhs_##name *w = (void *)bhs;                                      \
		bool imm = false;                                                                  \
		unsigned int ahs = 0;                                                              \
		uint32_t dsl = 0;                                                                  \
                                                                                                   \
		if (pdu_valid_##name(NULL, m, NULL) < 0)                                           \
			return -EINVAL;                                                            \
		PDU_FIELDS_##name(PDU_ENC_PRE);                                                    \
		if (pdu_enc_start(bhs, ISCSI_PDU_OP_##op, imm, ahs, dsl) < 0)                      \
			return -EINVAL;                                                            \
		PDU_FIELDS_##name(PDU_ENC_ROW);                                                    \
		return 0;                                                                          \
	}

#define PDU_GEN_DEC(name, op)                                                                      \
	int iscsi_pdu_dec_##name(const uint8_t *bhs, struct iscsi_pdu_##name *m, const char **why) \
	{                                                                                          \
		const struct iscsi_pdu_bhs_##name *w = (const void *)bhs;                          \
                                                                                                   \
		if (pdu_check_opcode(bhs, ISCSI_PDU_OP_##op, why) < 0)                             \
			return -EPROTO;                                                            \
		PDU_FIELDS_##name(PDU_DEC_ROW);                                                    \
		return pdu_valid_##name(bhs, m, why);                                              \
	}

/*
 * The cases of a decode-by-opcode switch: PDU_LIST(PDU_DEC_CASE_INITIATOR)
 * or PDU_LIST(PDU_DEC_CASE_TARGET), on a message with a union u whose
 * members are named after the PDUs.
 */
#define PDU_DEC_CASE(name, op)                                                                     \
	case ISCSI_PDU_OP_##op:                                                                    \
		return iscsi_pdu_dec_##name(bhs, &m->u.name, why);
#define PDU_DEC_CASE_INITIATOR(name, op, sender, title)                                            \
	PDU_DEC_CASE_##sender##_IS_INITIATOR(name, op)
#define PDU_DEC_CASE_TARGET(name, op, sender, title)  PDU_DEC_CASE_##sender##_IS_TARGET(name, op)
#define PDU_DEC_CASE_INITIATOR_IS_INITIATOR(name, op) PDU_DEC_CASE(name, op)
#define PDU_DEC_CASE_TARGET_IS_INITIATOR(name, op)
#define PDU_DEC_CASE_INITIATOR_IS_TARGET(name, op)
#define PDU_DEC_CASE_TARGET_IS_TARGET(name, op) PDU_DEC_CASE(name, op)

/*
 * The decode-by-opcode function fn for the PDUs SENDER (TARGET or
 * INITIATOR) sends, into struct msg_type; an opcode of the other side is
 * refused with other_side, one RFC 7143 reserves as such. pdu.c makes
 * the initiator's (decoding what a target sends), pdu_peer.c the fake
 * target's.
 */
#define PDU_GEN_DEC_FROM(fn, msg_type, SENDER, other_side)                                         \
	int fn(const uint8_t *bhs, struct msg_type *m, const char **why)                           \
	{                                                                                          \
		unsigned int op = iscsi_pdu_opcode(bhs);                                           \
                                                                                                   \
		m->opcode = (uint8_t)op;                                                           \
		switch (op) {                                                                      \
			PDU_LIST(PDU_DEC_CASE_##SENDER)                                            \
		default:                                                                           \
			return pdu_fail(why, iscsi_pdu_opcode_known(op) ? (other_side)             \
									: "reserved opcode");      \
		}                                                                                  \
	}

#endif
