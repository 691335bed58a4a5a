/*
 * iSCSI PDU codec (RFC 7143 section 11): the 48-byte Basic Header Segment
 * (BHS) of every opcode in both directions, Additional Header Segments
 * (AHS), padding, CRC32C digests, receive-side framing and serial number
 * arithmetic.
 *
 * Contract
 * - Pure codec: no allocation, no I/O, no logging. Every function works on
 *   storage the caller owns; nothing here keeps a pointer after it returns.
 * - The message structs below (struct iscsi_pdu_scsi_cmd, ...) are plain C
 *   with host-order fields; the wire layout lives in the private
 *   pdu_wire.h (one named struct per RFC figure, each with
 *   _Static_assert(sizeof == 48), and one table per PDU from which both
 *   its encoder and its decoder are generated). Fields an opcode does not use are not in
 *   its struct; the encoders write the RFC's fixed values (F bit where the
 *   figure shows "1", ITT 0xffffffff in Async/Reject, I bit on Login).
 * - Encoders: iscsi_pdu_enc_X(bhs, &msg) write exactly ISCSI_PDU_BHS_LEN bytes
 *   into bhs (every reserved byte zeroed, RFC 7143 11.2.1 "senders MUST set
 *   reserved fields to 0"). They return 0 or -EINVAL when a field does not
 *   fit (DataSegmentLength > 2^24-1, ISID > 48 bits, ...) or the message is
 *   one the matching decoder would reject (the same RFC rules), so we never
 *   send what we would refuse. Fault-injection tests that need a bad PDU
 *   encode a good one and flip bytes. Encoders do not write the AHS, the
 *   data segment, padding or digests: the caller sends those after the
 *   BHS, see iscsi_pdu_digest_hdr()/_data().
 * - Decoders: iscsi_pdu_dec_X(bhs, &msg, &why) read exactly ISCSI_PDU_BHS_LEN
 *   bytes. They return 0, or -EPROTO with *why set to a static English string
 *   naming the violated rule (why may be NULL). Reserved fields are ignored
 *   as RFC 7143 11.2.1 requires of receivers; reserved code values, bits the
 *   RFC declares mutually exclusive and fields the receiver must check are
 *   rejected. A decoder never looks past the 48 bytes: call
 *   iscsi_pdu_frame() first, it is what bounds the rest of the PDU.
 * - The message-level checks that need session state (ITT known, StatSN in
 *   order, DataSN sequence, Buffer Offset within the task) belong to the
 *   session engine, not here.
 *
 * Receive path, in order:
 *   1. read 48 bytes; iscsi_pdu_frame() -> how many bytes follow and where;
 *      it rejects DataSegmentLength above our MaxRecvDataSegmentLength
 *      before the caller allocates or reads anything.
 *   2. read AHS + header digest; iscsi_pdu_verify_hdr().
 *   3. iscsi_pdu_dec_target() (or one specific decoder).
 *   4. read data + pad + data digest (data straight into the task buffer);
 *      iscsi_pdu_verify_data().
 */
#ifndef ISN_SESSION_PDU_H
#define ISN_SESSION_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Constants, opcodes, the common BHS fields, padding, serial numbers. */
#include "session/pdu_bhs.h"

/* ---- Receive framing ---- */

/* What the receiver negotiated; all of it applies to received PDUs. */
struct iscsi_pdu_rx_params {
	bool header_digest; /* HeaderDigest=CRC32C in effect (never during login) */
	bool data_digest;   /* DataDigest=CRC32C in effect (never during login) */
	/*
	 * Our declared MaxRecvDataSegmentLength (RFC 7143 13.12): the peer must
	 * not send a data segment longer than this. ISCSI_PDU_LOGIN_MAX_DSL
	 * until the login phase has completed.
	 */
	uint32_t max_recv_dsl;
	/*
	 * false: we are the initiator and accept target opcodes (0x20-0x3f).
	 * true: we play the target (test fakes) and accept initiator opcodes.
	 */
	bool from_initiator;
};

/*
 * Byte layout of one PDU after its 48-byte BHS, in wire order:
 *   ahs_len bytes AHS, hdr_digest_len (0/4), data_len bytes data,
 *   pad_len (0..3) zero bytes, data_digest_len (0/4).
 * rest_len is their sum (<= 1020 + 4 + 2^24 + 3 + 4, no overflow).
 * Offsets are from the first byte after the BHS.
 */
struct iscsi_pdu_frame {
	uint32_t ahs_len;
	uint32_t hdr_digest_len;
	uint32_t data_len;
	uint32_t pad_len;
	uint32_t data_digest_len; /* 0 when data_len is 0: no segment, no digest */
	uint32_t data_off;	  /* ahs_len + hdr_digest_len */
	uint32_t rest_len;
};

/*
 * Validate the opcode for the direction and DataSegmentLength against
 * p->max_recv_dsl, then fill *f. Returns 0, or -EPROTO (reserved opcode,
 * wrong direction, DSL over the limit) with *why set. Must be called before
 * anything is read or allocated for the rest of the PDU.
 */
int iscsi_pdu_frame(const uint8_t *bhs, const struct iscsi_pdu_rx_params *p,
		    struct iscsi_pdu_frame *f, const char **why);

/* ---- Digests (RFC 7143 11.1, 13.1; wire bytes via crc32c_put/crc32c_get) ---- */

/* Header digest over BHS + AHS (hdr points at the BHS, len = 48 + ahs_len). */
uint32_t iscsi_pdu_digest_hdr(const uint8_t *hdr, size_t len);

/* Data digest over data[0..len) followed by pad_len(len) zero bytes (send side). */
uint32_t iscsi_pdu_digest_data(const void *data, size_t len);

/*
 * Receive-side checks. hdr as above; wire = the 4 digest bytes as received.
 * For data, pad = the pad_len(len) pad bytes as received (the digest covers
 * them as they are; NULL means zeros). Return 0 or -EBADMSG on mismatch.
 */
int iscsi_pdu_verify_hdr(const uint8_t *hdr, size_t len, const uint8_t *wire);
int iscsi_pdu_verify_data(const void *data, size_t len, const uint8_t *pad, const uint8_t *wire);

/* ---- Additional Header Segments (RFC 7143 11.2.2) ---- */

enum iscsi_pdu_ahs_type {
	ISCSI_PDU_AHS_EXT_CDB = 1,	 /* CDB bytes beyond the first 16 (11.2.2.3) */
	ISCSI_PDU_AHS_BIDI_READ_LEN = 2, /* Expected Bidirectional Read-Data Length (11.2.2.4) */
};

/* One AHS as found by the iterator. data points into the caller's buffer. */
struct iscsi_pdu_ahs {
	uint8_t type;
	uint8_t specific;    /* the AHS-Specific byte (byte 3) */
	const uint8_t *data; /* bytes 4 .. 3+AHSLength (AHSLength-1 bytes) */
	uint16_t data_len;
};

/* Cursor over the AHS area (buf, len = 4 * TotalAHSLength), caller-owned. */
struct iscsi_pdu_ahs_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

static inline void iscsi_pdu_ahs_iter_init(struct iscsi_pdu_ahs_iter *it, const uint8_t *buf,
					   size_t len)
{
	it->buf = buf;
	it->len = len;
	it->off = 0;
}

/*
 * Next AHS: 1 with *out filled, 0 at the end, -EPROTO (with *why) when an
 * AHS runs past the area or has AHSLength 0.
 */
int iscsi_pdu_ahs_next(struct iscsi_pdu_ahs_iter *it, struct iscsi_pdu_ahs *out, const char **why);

/*
 * Writers. Append one padded AHS at buf (cap bytes); return the bytes
 * written (a multiple of 4) or -ENOSPC / -EINVAL. The caller sums them into
 * TotalAHSLength (bytes / 4) of the BHS.
 * ext_cdb: cdb/cdb_len is the whole CDB (> 16 bytes); the AHS carries
 * cdb[16..] while the BHS CDB field carries cdb[0..16).
 */
int iscsi_pdu_ahs_put_ext_cdb(uint8_t *buf, size_t cap, const uint8_t *cdb, size_t cdb_len);
int iscsi_pdu_ahs_put_bidi_read_len(uint8_t *buf, size_t cap, uint32_t read_len);

/*
 * Rebuild a CDB longer than 16 bytes: bhs_cdb (16 bytes from the BHS) + the
 * extended CDB AHS. Writes to cdb (cap bytes), returns the CDB length or
 * -EPROTO / -ENOSPC.
 */
int iscsi_pdu_ext_cdb_join(const uint8_t *bhs_cdb, const struct iscsi_pdu_ahs *ahs, uint8_t *cdb,
			   size_t cap);

/* ======== Messages, initiator -> target ======== */

/* NOP-Out, RFC 7143 11.18. Ping data is the data segment. */
struct iscsi_pdu_nop_out {
	bool immediate;
	uint32_t data_len;
	uint64_t lun;
	uint32_t itt; /* 0xffffffff when answering a target NOP-In ping */
	uint32_t ttt; /* copied from the NOP-In, else 0xffffffff */
	uint32_t cmdsn;
	uint32_t exp_statsn;
};

/* SCSI Command, RFC 7143 11.3. */
enum iscsi_pdu_task_attr {
	ISCSI_PDU_ATTR_UNTAGGED = 0,
	ISCSI_PDU_ATTR_SIMPLE = 1,
	ISCSI_PDU_ATTR_ORDERED = 2,
	ISCSI_PDU_ATTR_HEAD_OF_QUEUE = 3,
	ISCSI_PDU_ATTR_ACA = 4,
};

struct iscsi_pdu_scsi_cmd {
	bool immediate;
	bool final;   /* F: no unsolicited Data-Out follows */
	bool read;    /* R */
	bool write;   /* W */
	uint8_t attr; /* enum iscsi_pdu_task_attr, 3 bits */
	uint8_t ahs_words;
	uint32_t data_len; /* immediate data bytes */
	uint64_t lun;
	uint32_t itt;
	uint32_t edtl; /* Expected Data Transfer Length */
	uint32_t cmdsn;
	uint32_t exp_statsn;
	uint8_t cdb[16]; /* first 16 CDB bytes, zero padded */
};

/* Task Management Function Request, RFC 7143 11.5. */
enum iscsi_pdu_tmf_func {
	ISCSI_PDU_TMF_ABORT_TASK = 1,
	ISCSI_PDU_TMF_ABORT_TASK_SET = 2,
	ISCSI_PDU_TMF_CLEAR_ACA = 3,
	ISCSI_PDU_TMF_CLEAR_TASK_SET = 4,
	ISCSI_PDU_TMF_LUN_RESET = 5,
	ISCSI_PDU_TMF_TARGET_WARM_RESET = 6,
	ISCSI_PDU_TMF_TARGET_COLD_RESET = 7,
	ISCSI_PDU_TMF_TASK_REASSIGN = 8,
};

struct iscsi_pdu_tmf_req {
	bool immediate;
	uint8_t function; /* enum iscsi_pdu_tmf_func */
	uint64_t lun;
	uint32_t itt;
	uint32_t ref_itt; /* Referenced Task Tag, 0xffffffff when unused */
	uint32_t cmdsn;
	uint32_t exp_statsn;
	uint32_t ref_cmdsn;
	uint32_t exp_datasn;
};

/* Login Request, RFC 7143 11.12. Stages: 11.12.3. */
enum iscsi_pdu_stage {
	ISCSI_PDU_STAGE_SECURITY = 0,
	ISCSI_PDU_STAGE_OPERATIONAL = 1,
	ISCSI_PDU_STAGE_FULL_FEATURE = 3,
};

struct iscsi_pdu_login_req {
	bool transit; /* T */
	bool cont;    /* C: text continues in the next PDU */
	uint8_t csg;  /* enum iscsi_pdu_stage */
	uint8_t nsg;  /* meaningful only with transit */
	uint8_t version_max;
	uint8_t version_min;
	uint32_t data_len;
	uint64_t isid; /* 48 bits: T/A, B, C, D of RFC 7143 11.12.5 */
	uint16_t tsih;
	uint32_t itt;
	uint16_t cid;
	uint32_t cmdsn;
	uint32_t exp_statsn;
};

/* Text Request, RFC 7143 11.10. */
struct iscsi_pdu_text_req {
	bool immediate;
	bool final;
	bool cont; /* C */
	uint32_t data_len;
	uint64_t lun;
	uint32_t itt;
	uint32_t ttt; /* 0xffffffff for a new request, else copied from the Text Response */
	uint32_t cmdsn;
	uint32_t exp_statsn;
};

/* SCSI Data-Out, RFC 7143 11.7. */
struct iscsi_pdu_data_out {
	bool final;
	uint32_t data_len;
	uint64_t lun;
	uint32_t itt;
	uint32_t ttt; /* from the R2T, 0xffffffff for unsolicited data */
	uint32_t exp_statsn;
	uint32_t datasn;
	uint32_t buffer_offset;
};

/* Logout Request, RFC 7143 11.14. */
enum iscsi_pdu_logout_reason {
	ISCSI_PDU_LOGOUT_CLOSE_SESSION = 0,
	ISCSI_PDU_LOGOUT_CLOSE_CONNECTION = 1,
	ISCSI_PDU_LOGOUT_REMOVE_FOR_RECOVERY = 2,
};

struct iscsi_pdu_logout_req {
	bool immediate;
	uint8_t reason; /* enum iscsi_pdu_logout_reason */
	uint32_t itt;
	uint16_t cid;
	uint32_t cmdsn;
	uint32_t exp_statsn;
};

/* SNACK Request, RFC 7143 11.16. Only with ErrorRecoveryLevel > 0. */
enum iscsi_pdu_snack_type {
	ISCSI_PDU_SNACK_DATA_R2T = 0,
	ISCSI_PDU_SNACK_STATUS = 1,
	ISCSI_PDU_SNACK_DATA_ACK = 2,
	ISCSI_PDU_SNACK_RDATA = 3,
};

struct iscsi_pdu_snack_req {
	uint8_t type; /* enum iscsi_pdu_snack_type, 4 bits */
	uint64_t lun;
	uint32_t itt;
	uint32_t ttt_or_snack_tag;
	uint32_t exp_statsn;
	uint32_t beg_run;
	uint32_t run_length;
};

/* ======== Messages, target -> initiator ======== */

/* NOP-In, RFC 7143 11.19. */
struct iscsi_pdu_nop_in {
	uint32_t data_len;
	uint64_t lun;
	uint32_t itt; /* echo of our NOP-Out, or 0xffffffff when unsolicited */
	uint32_t ttt; /* != 0xffffffff: the target wants a NOP-Out echoing ttt and lun */
	uint32_t statsn;
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
};

/* SCSI Response, RFC 7143 11.4. Data segment: SenseLength(2) + sense + response data. */
enum iscsi_pdu_scsi_response {
	ISCSI_PDU_RSP_COMPLETED = 0x00,
	ISCSI_PDU_RSP_TARGET_FAILURE = 0x01,
};

struct iscsi_pdu_scsi_rsp {
	bool bidi_overflow;  /* o */
	bool bidi_underflow; /* u */
	bool overflow;	     /* O */
	bool underflow;	     /* U */
	uint8_t response;    /* enum iscsi_pdu_scsi_response (0x80-0xff vendor) */
	uint8_t status;	     /* SAM status, valid when response == COMPLETED */
	uint32_t data_len;
	uint32_t itt;
	uint32_t snack_tag;
	uint32_t statsn;
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	uint32_t exp_datasn;
	uint32_t bidi_residual;
	uint32_t residual;
};

/*
 * Split a SCSI Response (or Asynchronous Message event 0) data segment into
 * sense bytes: *sense points into data (borrowed), *sense_len from the
 * 2-byte SenseLength (RFC 7143 11.4.7.2). An empty segment gives
 * sense_len 0. -EPROTO when SenseLength runs past the segment.
 */
int iscsi_pdu_sense(const uint8_t *data, size_t len, const uint8_t **sense, size_t *sense_len,
		    const char **why);

/* Task Management Function Response, RFC 7143 11.6. */
enum iscsi_pdu_tmf_response {
	ISCSI_PDU_TMF_RSP_COMPLETE = 0,
	ISCSI_PDU_TMF_RSP_NO_TASK = 1,
	ISCSI_PDU_TMF_RSP_NO_LUN = 2,
	ISCSI_PDU_TMF_RSP_TASK_ALLEGIANT = 3,
	ISCSI_PDU_TMF_RSP_NO_REASSIGN = 4,
	ISCSI_PDU_TMF_RSP_NOT_SUPPORTED = 5,
	ISCSI_PDU_TMF_RSP_AUTH_FAILED = 6,
	ISCSI_PDU_TMF_RSP_REJECTED = 255,
};

struct iscsi_pdu_tmf_rsp {
	uint8_t response; /* enum iscsi_pdu_tmf_response */
	uint32_t itt;
	uint32_t statsn;
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
};

/* Login Response, RFC 7143 11.13. Status classes: 11.13.5. */
enum iscsi_pdu_login_class {
	ISCSI_PDU_LOGIN_SUCCESS = 0,
	ISCSI_PDU_LOGIN_REDIRECT = 1,
	ISCSI_PDU_LOGIN_INITIATOR_ERR = 2,
	ISCSI_PDU_LOGIN_TARGET_ERR = 3,
};

struct iscsi_pdu_login_rsp {
	bool transit;
	bool cont;
	uint8_t csg;
	uint8_t nsg;
	uint8_t version_max;
	uint8_t version_active;
	uint32_t data_len;
	uint64_t isid;
	uint16_t tsih;
	uint32_t itt;
	uint32_t statsn;
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	uint8_t status_class; /* enum iscsi_pdu_login_class */
	uint8_t status_detail;
};

/* Text Response, RFC 7143 11.11. */
struct iscsi_pdu_text_rsp {
	bool final;
	bool cont;
	uint32_t data_len;
	uint64_t lun;
	uint32_t itt;
	uint32_t ttt; /* != 0xffffffff: more to come, echo it in the next Text Request */
	uint32_t statsn;
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
};

/* SCSI Data-In, RFC 7143 11.7. */
struct iscsi_pdu_data_in {
	bool final;
	bool ack;	/* A: DataACK SNACK wanted (ErrorRecoveryLevel >= 1) */
	bool overflow;	/* O, only with status */
	bool underflow; /* U, only with status */
	bool status;	/* S: status and StatSN valid, command complete */
	uint8_t scsi_status;
	uint32_t data_len;
	uint64_t lun;
	uint32_t itt;
	uint32_t ttt;
	uint32_t statsn; /* valid only with status */
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	uint32_t datasn;
	uint32_t buffer_offset;
	uint32_t residual; /* valid only with status */
};

/* Logout Response, RFC 7143 11.15. */
enum iscsi_pdu_logout_response {
	ISCSI_PDU_LOGOUT_RSP_OK = 0,
	ISCSI_PDU_LOGOUT_RSP_NO_CID = 1,
	ISCSI_PDU_LOGOUT_RSP_NO_RECOVERY = 2,
	ISCSI_PDU_LOGOUT_RSP_CLEANUP_FAILED = 3,
};

struct iscsi_pdu_logout_rsp {
	uint8_t response;
	uint32_t itt;
	uint32_t statsn;
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	uint16_t time2wait;
	uint16_t time2retain;
};

/* Ready To Transfer, RFC 7143 11.8. */
struct iscsi_pdu_r2t {
	uint64_t lun;
	uint32_t itt;
	uint32_t ttt;
	uint32_t statsn; /* next StatSN; R2T does not advance it */
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	uint32_t r2tsn;
	uint32_t buffer_offset;
	uint32_t ddtl; /* Desired Data Transfer Length, never 0 */
};

/* Asynchronous Message, RFC 7143 11.9. */
enum iscsi_pdu_async_event {
	ISCSI_PDU_ASYNC_SCSI = 0,	     /* sense data in the data segment */
	ISCSI_PDU_ASYNC_LOGOUT_REQUEST = 1,  /* logout within Parameter3 seconds */
	ISCSI_PDU_ASYNC_DROP_CONNECTION = 2, /* CID in Parameter1 */
	ISCSI_PDU_ASYNC_DROP_ALL = 3,
	ISCSI_PDU_ASYNC_NEGOTIATE = 4,
	ISCSI_PDU_ASYNC_TASK_TERMINATION = 5, /* only with TaskReporting=FastAbort */
	/* 6-247 reserved; 248-255 vendor specific (AsyncVCode says which). */
	ISCSI_PDU_ASYNC_VENDOR_FIRST = 248,
};

struct iscsi_pdu_async_msg {
	uint32_t data_len;
	uint64_t lun;
	uint32_t statsn;
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	uint8_t event; /* enum iscsi_pdu_async_event */
	uint8_t vcode;
	uint16_t param1;
	uint16_t param2;
	uint16_t param3;
};

/* Reject, RFC 7143 11.17. Data segment: the rejected PDU's header. */
enum iscsi_pdu_reject_reason {
	ISCSI_PDU_REJ_DATA_DIGEST = 0x02,
	ISCSI_PDU_REJ_SNACK = 0x03,
	ISCSI_PDU_REJ_PROTOCOL = 0x04,
	ISCSI_PDU_REJ_CMD_NOT_SUPPORTED = 0x05,
	ISCSI_PDU_REJ_IMMEDIATE = 0x06,
	ISCSI_PDU_REJ_TASK_IN_PROGRESS = 0x07,
	ISCSI_PDU_REJ_INVALID_DATA_ACK = 0x08,
	ISCSI_PDU_REJ_INVALID_FIELD = 0x09,
	ISCSI_PDU_REJ_LONG_OP = 0x0a,
	ISCSI_PDU_REJ_NEGOTIATION_RESET = 0x0b, /* deprecated by RFC 7143 */
	ISCSI_PDU_REJ_WAITING_LOGOUT = 0x0c,
};

struct iscsi_pdu_reject {
	uint8_t reason;
	uint32_t data_len;
	uint32_t statsn;
	uint32_t exp_cmdsn;
	uint32_t max_cmdsn;
	uint32_t datasn; /* DataSN/R2TSN, for data-related rejects */
};

/* ======== Encoders / decoders ========
 * bhs: ISCSI_PDU_BHS_LEN bytes, caller-owned. See the contract at the top.
 * Both directions of every PDU are generated from one description of its
 * BHS (pdu_wire.h). The daemon's library has the encoders of what an
 * initiator sends and the decoders of what a target sends; the other half
 * (marked "test library") is in libsessiontest.a, for fake targets and
 * fuzzing, and is not linked into the daemon.
 */
#define ISCSI_PDU_ENC(name) int iscsi_pdu_enc_##name(uint8_t *bhs, const struct iscsi_pdu_##name *m)
#define ISCSI_PDU_DEC(name)                                                                        \
	int iscsi_pdu_dec_##name(const uint8_t *bhs, struct iscsi_pdu_##name *m, const char **why)
#define ISCSI_PDU_CODEC(name)                                                                      \
	ISCSI_PDU_ENC(name);                                                                       \
	ISCSI_PDU_DEC(name)

/* Initiator PDUs: encoders in the daemon, decoders in the test library. */
ISCSI_PDU_CODEC(nop_out);
ISCSI_PDU_CODEC(scsi_cmd);
ISCSI_PDU_CODEC(tmf_req);
ISCSI_PDU_CODEC(login_req);
ISCSI_PDU_CODEC(text_req);
ISCSI_PDU_CODEC(data_out);
ISCSI_PDU_CODEC(logout_req);
ISCSI_PDU_CODEC(snack_req);
/* Target PDUs: decoders in the daemon, encoders in the test library. */
ISCSI_PDU_CODEC(nop_in);
ISCSI_PDU_CODEC(scsi_rsp);
ISCSI_PDU_CODEC(tmf_rsp);
ISCSI_PDU_CODEC(login_rsp);
ISCSI_PDU_CODEC(text_rsp);
ISCSI_PDU_CODEC(data_in);
ISCSI_PDU_CODEC(logout_rsp);
ISCSI_PDU_CODEC(r2t);
ISCSI_PDU_CODEC(async_msg);
ISCSI_PDU_CODEC(reject);

#undef ISCSI_PDU_CODEC
#undef ISCSI_PDU_DEC
#undef ISCSI_PDU_ENC

/*
 * Any target PDU: switch on opcode, then read the member of the same name.
 * For the session engine's receive loop.
 */
struct iscsi_pdu_target_msg {
	uint8_t opcode; /* enum iscsi_pdu_opcode, 0x20-0x3f */
	union {
		struct iscsi_pdu_nop_in nop_in;
		struct iscsi_pdu_scsi_rsp scsi_rsp;
		struct iscsi_pdu_tmf_rsp tmf_rsp;
		struct iscsi_pdu_login_rsp login_rsp;
		struct iscsi_pdu_text_rsp text_rsp;
		struct iscsi_pdu_data_in data_in;
		struct iscsi_pdu_logout_rsp logout_rsp;
		struct iscsi_pdu_r2t r2t;
		struct iscsi_pdu_async_msg async_msg;
		struct iscsi_pdu_reject reject;
	} u;
};

/* Same for initiator PDUs, for fake targets in tests (test library). */
struct iscsi_pdu_initiator_msg {
	uint8_t opcode; /* 0x00-0x1f */
	union {
		struct iscsi_pdu_nop_out nop_out;
		struct iscsi_pdu_scsi_cmd scsi_cmd;
		struct iscsi_pdu_tmf_req tmf_req;
		struct iscsi_pdu_login_req login_req;
		struct iscsi_pdu_text_req text_req;
		struct iscsi_pdu_data_out data_out;
		struct iscsi_pdu_logout_req logout_req;
		struct iscsi_pdu_snack_req snack_req;
	} u;
};

/* Decode by opcode; -EPROTO for a reserved or wrong-direction opcode. */
int iscsi_pdu_dec_target(const uint8_t *bhs, struct iscsi_pdu_target_msg *m, const char **why);
int iscsi_pdu_dec_initiator(const uint8_t *bhs, struct iscsi_pdu_initiator_msg *m,
			    const char **why);

#endif
