/*
 * Private to the PDU codec (pdu.c, pdu_initiator.c, pdu_target.c): the wire
 * layout of the Basic Header Segment of every opcode, RFC 7143 section 11,
 * one named struct per figure. All members are bytes or byte arrays, so the
 * structs have alignment 1, no padding, and may overlay any byte buffer;
 * multi-byte fields are big-endian (RFC 7143 11.1) and go through
 * util/bytes.h. Field names follow the RFC's figures.
 *
 * Bytes 0-19 are shared by every opcode (RFC 7143 11.2.1):
 *   0 .|I|Opcode   1 F|opcode-specific   2-3 opcode-specific
 *   4 TotalAHSLength   5-7 DataSegmentLength   8-15 LUN/opcode-specific
 *   16-19 Initiator Task Tag
 */
#ifndef ISN_SESSION_PDU_WIRE_H
#define ISN_SESSION_PDU_WIRE_H

#include <errno.h>
#include <stdint.h>

#include "session/pdu.h"

#define BHS_I_BIT 0x40 /* byte 0 */
#define BHS_F_BIT 0x80 /* byte 1 */

/* NOP-Out, RFC 7143 11.18. */
struct iscsi_pdu_bhs_nop_out {
	uint8_t opcode;
	uint8_t flags; /* 1 ....... */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ttt[4];
	uint8_t cmdsn[4];
	uint8_t exp_statsn[4];
	uint8_t rsvd32[16];
};

/* SCSI Command, RFC 7143 11.3. */
#define SCSI_CMD_R_BIT	   0x40
#define SCSI_CMD_W_BIT	   0x20
#define SCSI_CMD_ATTR_MASK 0x07
struct iscsi_pdu_bhs_scsi_cmd {
	uint8_t opcode;
	uint8_t flags; /* F R W . . ATTR */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t edtl[4];
	uint8_t cmdsn[4];
	uint8_t exp_statsn[4];
	uint8_t cdb[16];
};

/* Task Management Function Request, RFC 7143 11.5. */
struct iscsi_pdu_bhs_tmf_req {
	uint8_t opcode;
	uint8_t function; /* 1 Function(7) */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ref_task_tag[4];
	uint8_t cmdsn[4];
	uint8_t exp_statsn[4];
	uint8_t ref_cmdsn[4];
	uint8_t exp_datasn[4];
	uint8_t rsvd40[8];
};

/* Login Request / Response byte 1: T C . . CSG(2) NSG(2), RFC 7143 11.12.1. */
#define LOGIN_T_BIT	0x80
#define LOGIN_C_BIT	0x40
#define LOGIN_CSG_SHIFT 2
#define LOGIN_SG_MASK	0x03

/* Login Request, RFC 7143 11.12. */
struct iscsi_pdu_bhs_login_req {
	uint8_t opcode; /* . 1 0x03 */
	uint8_t flags;
	uint8_t version_max;
	uint8_t version_min;
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t isid[6];
	uint8_t tsih[2];
	uint8_t itt[4];
	uint8_t cid[2];
	uint8_t rsvd22[2];
	uint8_t cmdsn[4];
	uint8_t exp_statsn[4];
	uint8_t rsvd32[16];
};

/* Text Request / Response byte 1: F C ......, RFC 7143 11.10.1. */
#define TEXT_C_BIT 0x40

/* Text Request, RFC 7143 11.10. */
struct iscsi_pdu_bhs_text_req {
	uint8_t opcode;
	uint8_t flags;
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ttt[4];
	uint8_t cmdsn[4];
	uint8_t exp_statsn[4];
	uint8_t rsvd32[16];
};

/* SCSI Data-Out, RFC 7143 11.7. */
struct iscsi_pdu_bhs_data_out {
	uint8_t opcode;
	uint8_t flags; /* F ....... */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ttt[4];
	uint8_t rsvd24[4];
	uint8_t exp_statsn[4];
	uint8_t rsvd32[4];
	uint8_t datasn[4];
	uint8_t buffer_offset[4];
	uint8_t rsvd44[4];
};

/* Logout Request, RFC 7143 11.14. */
struct iscsi_pdu_bhs_logout_req {
	uint8_t opcode;
	uint8_t reason; /* 1 Reason Code(7) */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t rsvd8[8];
	uint8_t itt[4];
	uint8_t cid[2];
	uint8_t rsvd22[2];
	uint8_t cmdsn[4];
	uint8_t exp_statsn[4];
	uint8_t rsvd32[16];
};

/* SNACK Request, RFC 7143 11.16. */
#define SNACK_TYPE_MASK 0x0f
struct iscsi_pdu_bhs_snack_req {
	uint8_t opcode;
	uint8_t flags; /* 1 . . . Type(4) */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ttt_snack_tag[4];
	uint8_t rsvd24[4];
	uint8_t exp_statsn[4];
	uint8_t rsvd32[8];
	uint8_t beg_run[4];
	uint8_t run_length[4];
};

/* NOP-In, RFC 7143 11.19. */
struct iscsi_pdu_bhs_nop_in {
	uint8_t opcode;
	uint8_t flags; /* 1 ....... */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ttt[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t rsvd36[12];
};

/* SCSI Response, RFC 7143 11.4. Byte 1: 1 . . o u O U . */
#define RSP_BIDI_OVERFLOW  0x10
#define RSP_BIDI_UNDERFLOW 0x08
#define RSP_OVERFLOW	   0x04
#define RSP_UNDERFLOW	   0x02
struct iscsi_pdu_bhs_scsi_rsp {
	uint8_t opcode;
	uint8_t flags;
	uint8_t response;
	uint8_t status;
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t rsvd8[8];
	uint8_t itt[4];
	uint8_t snack_tag[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t exp_datasn[4];
	uint8_t bidi_residual[4];
	uint8_t residual[4];
};

/* Task Management Function Response, RFC 7143 11.6. */
struct iscsi_pdu_bhs_tmf_rsp {
	uint8_t opcode;
	uint8_t flags; /* 1 ....... */
	uint8_t response;
	uint8_t rsvd3;
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t rsvd8[8];
	uint8_t itt[4];
	uint8_t rsvd20[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t rsvd36[12];
};

/* Login Response, RFC 7143 11.13. */
struct iscsi_pdu_bhs_login_rsp {
	uint8_t opcode;
	uint8_t flags;
	uint8_t version_max;
	uint8_t version_active;
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t isid[6];
	uint8_t tsih[2];
	uint8_t itt[4];
	uint8_t rsvd20[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t status_class;
	uint8_t status_detail;
	uint8_t rsvd38[10];
};

/* Text Response, RFC 7143 11.11. */
struct iscsi_pdu_bhs_text_rsp {
	uint8_t opcode;
	uint8_t flags;
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ttt[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t rsvd36[12];
};

/* SCSI Data-In, RFC 7143 11.7. Byte 1: F A 0 0 0 O U S. */
#define DATA_IN_A_BIT 0x40
#define DATA_IN_O_BIT 0x04
#define DATA_IN_U_BIT 0x02
#define DATA_IN_S_BIT 0x01
struct iscsi_pdu_bhs_data_in {
	uint8_t opcode;
	uint8_t flags;
	uint8_t rsvd2;
	uint8_t status;
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ttt[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t datasn[4];
	uint8_t buffer_offset[4];
	uint8_t residual[4];
};

/* Logout Response, RFC 7143 11.15. */
struct iscsi_pdu_bhs_logout_rsp {
	uint8_t opcode;
	uint8_t flags; /* 1 ....... */
	uint8_t response;
	uint8_t rsvd3;
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t rsvd8[8];
	uint8_t itt[4];
	uint8_t rsvd20[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t rsvd36[4];
	uint8_t time2wait[2];
	uint8_t time2retain[2];
	uint8_t rsvd44[4];
};

/* Ready To Transfer, RFC 7143 11.8. */
struct iscsi_pdu_bhs_r2t {
	uint8_t opcode;
	uint8_t flags; /* 1 ....... */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4];
	uint8_t ttt[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t r2tsn[4];
	uint8_t buffer_offset[4];
	uint8_t ddtl[4];
};

/* Asynchronous Message, RFC 7143 11.9. */
struct iscsi_pdu_bhs_async_msg {
	uint8_t opcode;
	uint8_t flags; /* 1 ....... */
	uint8_t rsvd2[2];
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t lun[8];
	uint8_t itt[4]; /* 0xffffffff */
	uint8_t rsvd20[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t async_event;
	uint8_t async_vcode;
	uint8_t param1[2];
	uint8_t param2[2];
	uint8_t param3[2];
	uint8_t rsvd44[4];
};

/* Reject, RFC 7143 11.17. */
struct iscsi_pdu_bhs_reject {
	uint8_t opcode;
	uint8_t flags; /* 1 ....... */
	uint8_t reason;
	uint8_t rsvd3;
	uint8_t total_ahs_len;
	uint8_t dsl[3];
	uint8_t rsvd8[8];
	uint8_t itt[4]; /* 0xffffffff */
	uint8_t rsvd20[4];
	uint8_t statsn[4];
	uint8_t exp_cmdsn[4];
	uint8_t max_cmdsn[4];
	uint8_t datasn_r2tsn[4];
	uint8_t rsvd40[8];
};

#define BHS_ASSERT(name)                                                                           \
	_Static_assert(sizeof(struct iscsi_pdu_bhs_##name) == ISCSI_PDU_BHS_LEN,                   \
		       "BHS of " #name " must be 48 bytes")
BHS_ASSERT(nop_out);
BHS_ASSERT(scsi_cmd);
BHS_ASSERT(tmf_req);
BHS_ASSERT(login_req);
BHS_ASSERT(text_req);
BHS_ASSERT(data_out);
BHS_ASSERT(logout_req);
BHS_ASSERT(snack_req);
BHS_ASSERT(nop_in);
BHS_ASSERT(scsi_rsp);
BHS_ASSERT(tmf_rsp);
BHS_ASSERT(login_rsp);
BHS_ASSERT(text_rsp);
BHS_ASSERT(data_in);
BHS_ASSERT(logout_rsp);
BHS_ASSERT(r2t);
BHS_ASSERT(async_msg);
BHS_ASSERT(reject);
#undef BHS_ASSERT

/* Set *why (when asked) and return -EPROTO: the one failure path of every decoder. */
static inline int pdu_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EPROTO;
}

/* Decoders: the opcode must be the one the caller asked for. */
static inline int pdu_check_opcode(const uint8_t *bhs, unsigned int op, const char **why)
{
	return iscsi_pdu_opcode(bhs) == op ? 0 : pdu_fail(why, "opcode does not match the decoder");
}

/* ISID: 6 bytes big-endian, kept in the low 48 bits of a uint64_t. */
static inline uint64_t pdu_get_isid(const uint8_t *p)
{
	return (uint64_t)get_be16(p) << 32 | get_be32(p + 2);
}

static inline void pdu_put_isid(uint8_t *p, uint64_t isid)
{
	put_be16(p, (uint16_t)(isid >> 32));
	put_be32(p + 2, (uint32_t)isid);
}

/*
 * Encoders start here: zero all 48 bytes (RFC 7143 11.2.1: reserved fields
 * are sent as 0), then opcode, TotalAHSLength and DataSegmentLength.
 */
int pdu_enc_start(uint8_t *bhs, unsigned int op, bool immediate, unsigned int ahs_words,
		  uint32_t dsl);

#endif
