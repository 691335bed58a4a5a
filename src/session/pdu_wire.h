/*
 * Private to the PDU codec (pdu.c, pdu_codec.c, pdu_peer.c): the wire
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
 *
 * Below each struct, PDU_FIELDS_<name>(X) is the one description of how the
 * figure maps to the host-order message of pdu.h; pdu_gen.h turns it into
 * both the encoder and the decoder. One row per message field:
 *   X(KIND, offset, wire member, message member, argument, condition)
 * KIND (width in bytes):
 *   IMM (1)     the I bit of byte 0 <-> bool; IMM1: I always set, no member
 *   FLAG (1)    one bit (argument: mask) <-> bool
 *   BITS (1)    a bit field (argument: mask) <-> integer, shifted down
 *   FIXED (1)   bits the figure shows as "1" (argument: mask), no member
 *   U8 (1), BE16 (2), BE32 (4), BE64 (8): a number
 *   CONST32 (4) a fixed value (argument), no member: ITT 0xffffffff
 *   AHS (1)     TotalAHSLength; DSL (3) DataSegmentLength
 *   ISID (6)    the 48-bit ISID; CDB (16) bytes copied as they are
 * condition: an expression on m; when false the encoder leaves the field 0
 * (reserved) and the decoder sets the member to 0. Rows are decoded in
 * order, so a condition may only name members of earlier rows. The offset
 * and width of every row are checked against the struct at compile time
 * (pdu_layout_check_<name> below).
 */
#ifndef ISN_SESSION_PDU_WIRE_H
#define ISN_SESSION_PDU_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "session/pdu.h"

#define BHS_I_BIT 0x40 /* byte 0 */
#define BHS_F_BIT 0x80 /* byte 1 */
/* Byte 1 of TMF and Logout Requests: 1 Function(7) / 1 Reason Code(7). */
#define BHS_CODE7_MASK 0x7f

/*
 * Rows that stand the same in many figures, written once here: fields of
 * the header every opcode shares (RFC 7143 11.2.1), and the sequence
 * numbers at bytes 24-31 of an initiator PDU (CmdSN, ExpStatSN) and 24-35
 * of a target PDU (StatSN, ExpCmdSN, MaxCmdSN). A figure whose field
 * differs there (another member, a condition) writes its own row.
 */
#define PDU_ROW_DSL(X) X(DSL, 5, dsl, data_len, 0, 1)
#define PDU_ROW_LUN(X) X(BE64, 8, lun, lun, 0, 1)
#define PDU_ROW_ITT(X) X(BE32, 16, itt, itt, 0, 1)
#define PDU_ROWS_INI_SN(X)                                                                         \
	X(BE32, 24, cmdsn, cmdsn, 0, 1)                                                            \
	X(BE32, 28, exp_statsn, exp_statsn, 0, 1)
#define PDU_ROWS_TGT_SN(X)                                                                         \
	X(BE32, 24, statsn, statsn, 0, 1)                                                          \
	X(BE32, 28, exp_cmdsn, exp_cmdsn, 0, 1)                                                    \
	X(BE32, 32, max_cmdsn, max_cmdsn, 0, 1)

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
#define PDU_FIELDS_nop_out(X)                                                                      \
	X(IMM, 0, opcode, immediate, 0, 1)                                                         \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ttt, ttt, 0, 1)                                                                \
	PDU_ROWS_INI_SN(X)

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
#define PDU_FIELDS_scsi_cmd(X)                                                                     \
	X(IMM, 0, opcode, immediate, 0, 1)                                                         \
	X(FLAG, 1, flags, final, BHS_F_BIT, 1)                                                     \
	X(FLAG, 1, flags, read, SCSI_CMD_R_BIT, 1)                                                 \
	X(FLAG, 1, flags, write, SCSI_CMD_W_BIT, 1)                                                \
	X(BITS, 1, flags, attr, SCSI_CMD_ATTR_MASK, 1)                                             \
	X(AHS, 4, total_ahs_len, ahs_words, 0, 1)                                                  \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, edtl, edtl, 0, 1)                                                              \
	PDU_ROWS_INI_SN(X)                                                                         \
	X(CDB, 32, cdb, cdb, 0, 1)

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
#define PDU_FIELDS_tmf_req(X)                                                                      \
	X(IMM, 0, opcode, immediate, 0, 1)                                                         \
	X(FIXED, 1, function, _, BHS_F_BIT, 1)                                                     \
	X(BITS, 1, function, function, BHS_CODE7_MASK, 1)                                          \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ref_task_tag, ref_itt, 0, 1)                                                   \
	PDU_ROWS_INI_SN(X)                                                                         \
	X(BE32, 32, ref_cmdsn, ref_cmdsn, 0, 1)                                                    \
	X(BE32, 36, exp_datasn, exp_datasn, 0, 1)

/* Login Request / Response byte 1: T C . . CSG(2) NSG(2), RFC 7143 11.12.1. */
#define LOGIN_T_BIT    0x80
#define LOGIN_C_BIT    0x40
#define LOGIN_CSG_MASK 0x0c
#define LOGIN_NSG_MASK 0x03

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
#define PDU_FIELDS_login_req(X)                                                                    \
	X(IMM1, 0, opcode, _, 0, 1)                                                                \
	X(FLAG, 1, flags, transit, LOGIN_T_BIT, 1)                                                 \
	X(FLAG, 1, flags, cont, LOGIN_C_BIT, 1)                                                    \
	X(BITS, 1, flags, csg, LOGIN_CSG_MASK, 1)                                                  \
	X(BITS, 1, flags, nsg, LOGIN_NSG_MASK, m->transit)                                         \
	X(U8, 2, version_max, version_max, 0, 1)                                                   \
	X(U8, 3, version_min, version_min, 0, 1)                                                   \
	PDU_ROW_DSL(X)                                                                             \
	X(ISID, 8, isid, isid, 0, 1)                                                               \
	X(BE16, 14, tsih, tsih, 0, 1)                                                              \
	PDU_ROW_ITT(X)                                                                             \
	X(BE16, 20, cid, cid, 0, 1)                                                                \
	PDU_ROWS_INI_SN(X)

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
#define PDU_FIELDS_text_req(X)                                                                     \
	X(IMM, 0, opcode, immediate, 0, 1)                                                         \
	X(FLAG, 1, flags, final, BHS_F_BIT, 1)                                                     \
	X(FLAG, 1, flags, cont, TEXT_C_BIT, 1)                                                     \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ttt, ttt, 0, 1)                                                                \
	PDU_ROWS_INI_SN(X)

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
#define PDU_FIELDS_data_out(X)                                                                     \
	X(FLAG, 1, flags, final, BHS_F_BIT, 1)                                                     \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ttt, ttt, 0, 1)                                                                \
	X(BE32, 28, exp_statsn, exp_statsn, 0, 1)                                                  \
	X(BE32, 36, datasn, datasn, 0, 1)                                                          \
	X(BE32, 40, buffer_offset, buffer_offset, 0, 1)

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
#define PDU_FIELDS_logout_req(X)                                                                   \
	X(IMM, 0, opcode, immediate, 0, 1)                                                         \
	X(FIXED, 1, reason, _, BHS_F_BIT, 1)                                                       \
	X(BITS, 1, reason, reason, BHS_CODE7_MASK, 1)                                              \
	PDU_ROW_ITT(X)                                                                             \
	X(BE16, 20, cid, cid, 0, m->reason != ISCSI_PDU_LOGOUT_CLOSE_SESSION)                      \
	PDU_ROWS_INI_SN(X)

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
#define PDU_FIELDS_snack_req(X)                                                                    \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	X(BITS, 1, flags, type, SNACK_TYPE_MASK, 1)                                                \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ttt_snack_tag, ttt_or_snack_tag, 0, 1)                                         \
	X(BE32, 28, exp_statsn, exp_statsn, 0, 1)                                                  \
	X(BE32, 40, beg_run, beg_run, 0, 1)                                                        \
	X(BE32, 44, run_length, run_length, 0, 1)

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
#define PDU_FIELDS_nop_in(X)                                                                       \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ttt, ttt, 0, 1)                                                                \
	PDU_ROWS_TGT_SN(X)

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
#define PDU_FIELDS_scsi_rsp(X)                                                                     \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	X(FLAG, 1, flags, bidi_overflow, RSP_BIDI_OVERFLOW, 1)                                     \
	X(FLAG, 1, flags, bidi_underflow, RSP_BIDI_UNDERFLOW, 1)                                   \
	X(FLAG, 1, flags, overflow, RSP_OVERFLOW, 1)                                               \
	X(FLAG, 1, flags, underflow, RSP_UNDERFLOW, 1)                                             \
	X(U8, 2, response, response, 0, 1)                                                         \
	X(U8, 3, status, status, 0, 1)                                                             \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, snack_tag, snack_tag, 0, 1)                                                    \
	PDU_ROWS_TGT_SN(X)                                                                         \
	X(BE32, 36, exp_datasn, exp_datasn, 0, 1)                                                  \
	X(BE32, 40, bidi_residual, bidi_residual, 0, 1)                                            \
	X(BE32, 44, residual, residual, 0, 1)

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
#define PDU_FIELDS_tmf_rsp(X)                                                                      \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	X(U8, 2, response, response, 0, 1)                                                         \
	PDU_ROW_ITT(X)                                                                             \
	PDU_ROWS_TGT_SN(X)

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
#define PDU_FIELDS_login_rsp(X)                                                                    \
	X(FLAG, 1, flags, transit, LOGIN_T_BIT, 1)                                                 \
	X(FLAG, 1, flags, cont, LOGIN_C_BIT, 1)                                                    \
	X(BITS, 1, flags, csg, LOGIN_CSG_MASK, 1)                                                  \
	X(BITS, 1, flags, nsg, LOGIN_NSG_MASK, m->transit)                                         \
	X(U8, 2, version_max, version_max, 0, 1)                                                   \
	X(U8, 3, version_active, version_active, 0, 1)                                             \
	PDU_ROW_DSL(X)                                                                             \
	X(ISID, 8, isid, isid, 0, 1)                                                               \
	X(BE16, 14, tsih, tsih, 0, 1)                                                              \
	PDU_ROW_ITT(X)                                                                             \
	PDU_ROWS_TGT_SN(X)                                                                         \
	X(U8, 36, status_class, status_class, 0, 1)                                                \
	X(U8, 37, status_detail, status_detail, 0, 1)

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
#define PDU_FIELDS_text_rsp(X)                                                                     \
	X(FLAG, 1, flags, final, BHS_F_BIT, 1)                                                     \
	X(FLAG, 1, flags, cont, TEXT_C_BIT, 1)                                                     \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ttt, ttt, 0, 1)                                                                \
	PDU_ROWS_TGT_SN(X)

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
#define PDU_FIELDS_data_in(X)                                                                      \
	X(FLAG, 1, flags, final, BHS_F_BIT, 1)                                                     \
	X(FLAG, 1, flags, ack, DATA_IN_A_BIT, 1)                                                   \
	X(FLAG, 1, flags, status, DATA_IN_S_BIT, 1)                                                \
	X(FLAG, 1, flags, overflow, DATA_IN_O_BIT, m->status)                                      \
	X(FLAG, 1, flags, underflow, DATA_IN_U_BIT, m->status)                                     \
	X(U8, 3, status, scsi_status, 0, m->status)                                                \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ttt, ttt, 0, 1)                                                                \
	X(BE32, 24, statsn, statsn, 0, m->status)                                                  \
	X(BE32, 28, exp_cmdsn, exp_cmdsn, 0, 1)                                                    \
	X(BE32, 32, max_cmdsn, max_cmdsn, 0, 1)                                                    \
	X(BE32, 36, datasn, datasn, 0, 1)                                                          \
	X(BE32, 40, buffer_offset, buffer_offset, 0, 1)                                            \
	X(BE32, 44, residual, residual, 0, m->status)

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
#define PDU_FIELDS_logout_rsp(X)                                                                   \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	X(U8, 2, response, response, 0, 1)                                                         \
	PDU_ROW_ITT(X)                                                                             \
	PDU_ROWS_TGT_SN(X)                                                                         \
	X(BE16, 40, time2wait, time2wait, 0, 1)                                                    \
	X(BE16, 42, time2retain, time2retain, 0, 1)

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
#define PDU_FIELDS_r2t(X)                                                                          \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	PDU_ROW_LUN(X)                                                                             \
	PDU_ROW_ITT(X)                                                                             \
	X(BE32, 20, ttt, ttt, 0, 1)                                                                \
	PDU_ROWS_TGT_SN(X)                                                                         \
	X(BE32, 36, r2tsn, r2tsn, 0, 1)                                                            \
	X(BE32, 40, buffer_offset, buffer_offset, 0, 1)                                            \
	X(BE32, 44, ddtl, ddtl, 0, 1)

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
#define PDU_FIELDS_async_msg(X)                                                                    \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	PDU_ROW_DSL(X)                                                                             \
	PDU_ROW_LUN(X)                                                                             \
	X(CONST32, 16, itt, _, ISCSI_PDU_RSVD_TAG, 1)                                              \
	PDU_ROWS_TGT_SN(X)                                                                         \
	X(U8, 36, async_event, event, 0, 1)                                                        \
	X(U8, 37, async_vcode, vcode, 0, 1)                                                        \
	X(BE16, 38, param1, param1, 0, 1)                                                          \
	X(BE16, 40, param2, param2, 0, 1)                                                          \
	X(BE16, 42, param3, param3, 0, 1)

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
#define PDU_FIELDS_reject(X)                                                                       \
	X(FIXED, 1, flags, _, BHS_F_BIT, 1)                                                        \
	X(U8, 2, reason, reason, 0, 1)                                                             \
	PDU_ROW_DSL(X)                                                                             \
	X(CONST32, 16, itt, _, ISCSI_PDU_RSVD_TAG, 1)                                              \
	PDU_ROWS_TGT_SN(X)                                                                         \
	X(BE32, 36, datasn_r2tsn, datasn, 0, 1)

/*
 * Every PDU: its name, its opcode (enum iscsi_pdu_opcode without the
 * prefix), who sends it (RFC 7143 11.2.1.2: bit 5 of the opcode) and its
 * name in log lines (iscsi_pdu_opcode_name()).
 * The daemon encodes what the INITIATOR sends and decodes what the TARGET
 * sends (pdu_codec.c); the other half serves fake targets in tests
 * (pdu_peer.c, libsessiontest.a).
 */
#define PDU_LIST(X)                                                                                \
	X(nop_out, NOP_OUT, INITIATOR, "NOP-Out")                                                  \
	X(scsi_cmd, SCSI_CMD, INITIATOR, "SCSI Command")                                           \
	X(tmf_req, TMF_REQ, INITIATOR, "Task Management Request")                                  \
	X(login_req, LOGIN_REQ, INITIATOR, "Login Request")                                        \
	X(text_req, TEXT_REQ, INITIATOR, "Text Request")                                           \
	X(data_out, DATA_OUT, INITIATOR, "SCSI Data-Out")                                          \
	X(logout_req, LOGOUT_REQ, INITIATOR, "Logout Request")                                     \
	X(snack_req, SNACK_REQ, INITIATOR, "SNACK Request")                                        \
	X(nop_in, NOP_IN, TARGET, "NOP-In")                                                        \
	X(scsi_rsp, SCSI_RSP, TARGET, "SCSI Response")                                             \
	X(tmf_rsp, TMF_RSP, TARGET, "Task Management Response")                                    \
	X(login_rsp, LOGIN_RSP, TARGET, "Login Response")                                          \
	X(text_rsp, TEXT_RSP, TARGET, "Text Response")                                             \
	X(data_in, DATA_IN, TARGET, "SCSI Data-In")                                                \
	X(logout_rsp, LOGOUT_RSP, TARGET, "Logout Response")                                       \
	X(r2t, R2T, TARGET, "R2T")                                                                 \
	X(async_msg, ASYNC_MSG, TARGET, "Asynchronous Message")                                    \
	X(reject, REJECT, TARGET, "Reject")

#define PDU_WIDTH_IMM	  1
#define PDU_WIDTH_IMM1	  1
#define PDU_WIDTH_FLAG	  1
#define PDU_WIDTH_BITS	  1
#define PDU_WIDTH_FIXED	  1
#define PDU_WIDTH_U8	  1
#define PDU_WIDTH_AHS	  1
#define PDU_WIDTH_DSL	  3
#define PDU_WIDTH_BE16	  2
#define PDU_WIDTH_BE32	  4
#define PDU_WIDTH_CONST32 4
#define PDU_WIDTH_BE64	  8
#define PDU_WIDTH_ISID	  6
#define PDU_WIDTH_CDB	  16

/* Compile-time proof that every struct is 48 bytes and every row sits where its figure says. */
#define PDU_LAYOUT_ROW(kind, off, wire, msg, arg, cond)                                            \
	_Static_assert(offsetof(pdu_bhs_t, wire) == (off), "offset of " #wire);                    \
	_Static_assert(sizeof(((pdu_bhs_t *)0)->wire) == PDU_WIDTH_##kind, "width of " #wire);
#define PDU_LAYOUT_CHECK(name, op, sender, title)                                                  \
	static inline void pdu_layout_check_##name(void)                                           \
	{                                                                                          \
		typedef struct iscsi_pdu_bhs_##name pdu_bhs_t;                                     \
		_Static_assert(sizeof(pdu_bhs_t) == ISCSI_PDU_BHS_LEN,                             \
			       "BHS of " #name " must be 48 bytes");                               \
		PDU_FIELDS_##name(PDU_LAYOUT_ROW)                                                  \
	}
PDU_LIST(PDU_LAYOUT_CHECK)
#undef PDU_LAYOUT_CHECK

/*
 * The RFC rules of each message, shared by both directions (pdu_codec.c):
 * 0, or -EPROTO with *why (may be NULL) naming the rule. bhs is the
 * received header when decoding, for the rules about wire bits that have
 * no message member (I bit of a Login Request, DataSegmentLength 0); the
 * encoders pass NULL and turn -EPROTO into -EINVAL, so we never send what
 * we would refuse.
 */
#define PDU_VALID_DECL(name, op, sender, title)                                                    \
	int pdu_valid_##name(const uint8_t *bhs, const struct iscsi_pdu_##name *m,                 \
			     const char **why);
PDU_LIST(PDU_VALID_DECL)
#undef PDU_VALID_DECL

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
