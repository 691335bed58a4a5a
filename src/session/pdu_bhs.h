/*
 * The part of the iSCSI PDU codec (pdu.h, which includes this) that every
 * opcode shares: sizes and limits, the opcodes, the common BHS fields
 * (RFC 7143 11.2.1), padding (11.1) and serial number arithmetic (RFC
 * 1982; RFC 7143 4.2.2.1). Pure: inline functions on caller bytes.
 */
#ifndef ISN_SESSION_PDU_BHS_H
#define ISN_SESSION_PDU_BHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"

#define ISCSI_PDU_BHS_LEN    48
#define ISCSI_PDU_DIGEST_LEN 4
/* TotalAHSLength is one byte counting 4-byte words (RFC 7143 11.2.1.4). */
#define ISCSI_PDU_AHS_MAX (255 * 4)
/* DataSegmentLength is 24 bits (RFC 7143 11.2.1.5). */
#define ISCSI_PDU_DSL_MAX 0xffffffu
/* Reserved tag value: "no task" ITT, "no transfer" TTT (RFC 7143 11.2.1.8, 11.7.4). */
#define ISCSI_PDU_RSVD_TAG 0xffffffffu
/*
 * MaxRecvDataSegmentLength before (and unless) it is negotiated: the
 * default of RFC 7143 13.12 applies to every PDU of the login phase.
 */
#define ISCSI_PDU_LOGIN_MAX_DSL 8192u
/* Largest CDB: 16 bytes in the BHS + extended CDB AHS (SPC variable length CDBs up to 260). */
#define ISCSI_PDU_CDB_MAX 260

/* RFC 7143 11.2.1.2 opcodes. Initiator opcodes 0x00-0x1f, target 0x20-0x3f. */
enum iscsi_pdu_opcode {
	ISCSI_PDU_OP_NOP_OUT = 0x00,
	ISCSI_PDU_OP_SCSI_CMD = 0x01,
	ISCSI_PDU_OP_TMF_REQ = 0x02,
	ISCSI_PDU_OP_LOGIN_REQ = 0x03,
	ISCSI_PDU_OP_TEXT_REQ = 0x04,
	ISCSI_PDU_OP_DATA_OUT = 0x05,
	ISCSI_PDU_OP_LOGOUT_REQ = 0x06,
	ISCSI_PDU_OP_SNACK_REQ = 0x10,
	ISCSI_PDU_OP_NOP_IN = 0x20,
	ISCSI_PDU_OP_SCSI_RSP = 0x21,
	ISCSI_PDU_OP_TMF_RSP = 0x22,
	ISCSI_PDU_OP_LOGIN_RSP = 0x23,
	ISCSI_PDU_OP_TEXT_RSP = 0x24,
	ISCSI_PDU_OP_DATA_IN = 0x25,
	ISCSI_PDU_OP_LOGOUT_RSP = 0x26,
	ISCSI_PDU_OP_R2T = 0x31,
	ISCSI_PDU_OP_ASYNC_MSG = 0x32,
	ISCSI_PDU_OP_REJECT = 0x3f,
};

/* "SCSI Command", "R2T", ... or NULL for a reserved opcode. */
const char *iscsi_pdu_opcode_name(unsigned int opcode);
/* True for the 18 opcodes defined above. */
bool iscsi_pdu_opcode_known(unsigned int opcode);

/*
 * One-line summary of any BHS for log and debug lines, e.g.
 * "SCSI Data-In F itt 0x7 dsl 4096" (opcode name or "opcode 0x..", set
 * I/F bits, ITT, DataSegmentLength). Writes at most len bytes including the
 * NUL; returns buf. The codec itself never logs.
 */
const char *iscsi_pdu_describe(const uint8_t *bhs, char *buf, size_t len);

/* ---- Common BHS fields (RFC 7143 11.2.1), valid for every opcode. ---- */

static inline unsigned int iscsi_pdu_opcode(const uint8_t *bhs)
{
	return bhs[0] & 0x3f;
}

/* I bit: immediate delivery (initiator PDUs only, RFC 7143 11.2.1.1). */
static inline bool iscsi_pdu_immediate(const uint8_t *bhs)
{
	return bhs[0] & 0x40;
}

/* F bit: final PDU of a sequence (RFC 7143 11.2.1.2). */
static inline bool iscsi_pdu_final(const uint8_t *bhs)
{
	return bhs[1] & 0x80;
}

/* TotalAHSLength in 4-byte words. */
static inline unsigned int iscsi_pdu_ahs_words(const uint8_t *bhs)
{
	return bhs[4];
}

static inline uint32_t iscsi_pdu_dsl(const uint8_t *bhs)
{
	return get_be24(bhs + 5);
}

/* Raw 8-byte LUN field as a big-endian number (SAM LUN encoding is scsi's job). */
static inline uint64_t iscsi_pdu_lun(const uint8_t *bhs)
{
	return get_be64(bhs + 8);
}

static inline uint32_t iscsi_pdu_itt(const uint8_t *bhs)
{
	return get_be32(bhs + 16);
}

/* ---- Padding (RFC 7143 11.1: segments end on a 4-byte boundary). ---- */

static inline uint32_t iscsi_pdu_pad_len(uint32_t len)
{
	return (4u - (len & 3u)) & 3u;
}

/* len rounded up to 4; callers keep len <= ISCSI_PDU_DSL_MAX so it cannot wrap. */
static inline uint32_t iscsi_pdu_padded(uint32_t len)
{
	return len + iscsi_pdu_pad_len(len);
}

/* ---- Serial number arithmetic (RFC 1982, SERIAL_BITS = 32; RFC 7143 4.2.2.1). ----
 *
 * CmdSN, StatSN, DataSN and R2TSN wrap at 2^32 and are compared in serial
 * arithmetic: a < b when b is ahead of a by 1 .. 2^31-1. At a distance of
 * exactly 2^31 RFC 1982 leaves the comparison undefined: here lt, gt, le
 * and ge are all false for such a pair (and eq is false), so a window check
 * written with them fails closed. iSCSI windows are far smaller than 2^31,
 * so a peer that produces such a pair is broken anyway.
 */
static inline bool iscsi_sn_lt(uint32_t a, uint32_t b)
{
	uint32_t d = b - a;

	return d != 0 && d < 0x80000000u;
}

static inline bool iscsi_sn_gt(uint32_t a, uint32_t b)
{
	return iscsi_sn_lt(b, a);
}

static inline bool iscsi_sn_le(uint32_t a, uint32_t b)
{
	return a == b || iscsi_sn_lt(a, b);
}

static inline bool iscsi_sn_ge(uint32_t a, uint32_t b)
{
	return a == b || iscsi_sn_gt(a, b);
}

#endif
