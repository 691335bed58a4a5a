/*
 * session/pdu: every BHS codec against byte vectors written by hand from the
 * figures of RFC 7143 section 11 (one row per 4-byte word, as the figures
 * draw them, each field given a distinct value so a field at the wrong
 * offset shows), the SCSI Command of RFC 3720 appendix B.4 with its header
 * digest, framing with and without digests, DSL above the limit, AHS
 * walking, padding, and serial number arithmetic across the 2^32 wrap.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "session/pdu.h"
#include "util/crc32c.h"

/* clang-format off */
#define ROW(a, b, c, d) a, b, c, d
#define RSVD4           0, 0, 0, 0
/* clang-format on */

/* Encode m with enc and compare to the hand-written vector. */
#define CHECK_ENC(enc, m, want)                                                                    \
	do {                                                                                       \
		uint8_t out_[ISCSI_PDU_BHS_LEN];                                                   \
		memset(out_, 0xa5, sizeof(out_));                                                  \
		ck_assert_int_eq(enc(out_, &(m)), 0);                                              \
		ck_assert_mem_eq(out_, want, ISCSI_PDU_BHS_LEN);                                   \
	} while (0)

/* Decode a copy of v with one byte changed; expect -EPROTO and a reason. */
#define CHECK_DEC_FAILS(dec, type, v, idx, val)                                                    \
	do {                                                                                       \
		uint8_t b_[ISCSI_PDU_BHS_LEN];                                                     \
		type m_;                                                                           \
		const char *why_ = NULL;                                                           \
		memcpy(b_, v, sizeof(b_));                                                         \
		b_[idx] = (val);                                                                   \
		ck_assert_int_eq(dec(b_, &m_, &why_), -EPROTO);                                    \
		ck_assert_ptr_nonnull(why_);                                                       \
	} while (0)

/* RFC 3720 B.4: "READ (10) command PDU", header digest d9963a56 sent 56 3a 96 d9. */
/* clang-format off */
static const uint8_t b4_read10[48] = {
	ROW(0x01, 0xc0, 0x00, 0x00), ROW(0x00, 0x00, 0x00, 0x00), ROW(0x00, 0x00, 0x00, 0x00),
	ROW(0x00, 0x00, 0x00, 0x00), ROW(0x14, 0x00, 0x00, 0x00), ROW(0x00, 0x00, 0x04, 0x00),
	ROW(0x00, 0x00, 0x00, 0x14), ROW(0x00, 0x00, 0x00, 0x18), ROW(0x28, 0x00, 0x00, 0x00),
	ROW(0x00, 0x00, 0x00, 0x00), ROW(0x02, 0x00, 0x00, 0x00), ROW(0x00, 0x00, 0x00, 0x00),
};
/* clang-format on */
static const uint8_t b4_read10_digest[4] = {0x56, 0x3a, 0x96, 0xd9};

START_TEST(scsi_cmd_rfc3720_b4)
{
	struct iscsi_pdu_scsi_cmd m;
	const char *why = NULL;
	static const uint8_t cdb[16] = {0x28, 0, 0, 0, 0, 0, 0, 0, 0x02};

	ck_assert_int_eq(iscsi_pdu_dec_scsi_cmd(b4_read10, &m, &why), 0);
	ck_assert(!m.immediate);
	ck_assert(m.final);
	ck_assert(m.read);
	ck_assert(!m.write);
	ck_assert_uint_eq(m.attr, ISCSI_PDU_ATTR_UNTAGGED);
	ck_assert_uint_eq(m.ahs_words, 0);
	ck_assert_uint_eq(m.data_len, 0);
	ck_assert_uint_eq(m.lun, 0);
	ck_assert_uint_eq(m.itt, 0x14000000);
	ck_assert_uint_eq(m.edtl, 1024);
	ck_assert_uint_eq(m.cmdsn, 0x14);
	ck_assert_uint_eq(m.exp_statsn, 0x18);
	ck_assert_mem_eq(m.cdb, cdb, 16);
	CHECK_ENC(iscsi_pdu_enc_scsi_cmd, m, b4_read10);

	ck_assert_uint_eq(iscsi_pdu_digest_hdr(b4_read10, 48), crc32c_get(b4_read10_digest));
	ck_assert_int_eq(iscsi_pdu_verify_hdr(b4_read10, 48, b4_read10_digest), 0);
	{
		uint8_t bad[4];

		memcpy(bad, b4_read10_digest, 4);
		bad[3] ^= 1;
		ck_assert_int_eq(iscsi_pdu_verify_hdr(b4_read10, 48, bad), -EBADMSG);
	}
	ck_assert_uint_eq(iscsi_pdu_opcode(b4_read10), ISCSI_PDU_OP_SCSI_CMD);
	ck_assert(iscsi_pdu_final(b4_read10));
	ck_assert(!iscsi_pdu_immediate(b4_read10));
	ck_assert_uint_eq(iscsi_pdu_itt(b4_read10), 0x14000000);
}
END_TEST

/* WRITE(10), 512 bytes immediate data, F=0 (unsolicited Data-Out follows), SIMPLE. */
/* clang-format off */
static const uint8_t v_write10[48] = {
	ROW(0x41, 0x21, 0x00, 0x00), ROW(0x02, 0x00, 0x02, 0x00), /* I; W, SIMPLE; AHS 2 words, DSL 512 */
	ROW(0x00, 0x03, 0x00, 0x00), ROW(0x00, 0x00, 0x00, 0x00), /* LUN 3 */
	ROW(0x00, 0x00, 0x00, 0x07), ROW(0x00, 0x01, 0x00, 0x00), /* ITT 7, EDTL 65536 */
	ROW(0xff, 0xff, 0xff, 0xfe), ROW(0x12, 0x34, 0x56, 0x78), /* CmdSN, ExpStatSN */
	ROW(0x2a, 0x00, 0x00, 0x00), ROW(0x10, 0x00, 0x00, 0x00), ROW(0x80, 0x00, 0x00, 0x00),
	ROW(0x00, 0x00, 0x00, 0x00),
};
/* clang-format on */

START_TEST(scsi_cmd_write)
{
	struct iscsi_pdu_scsi_cmd m;

	ck_assert_int_eq(iscsi_pdu_dec_scsi_cmd(v_write10, &m, NULL), 0);
	ck_assert(m.immediate && !m.final && !m.read && m.write);
	ck_assert_uint_eq(m.attr, ISCSI_PDU_ATTR_SIMPLE);
	ck_assert_uint_eq(m.ahs_words, 2);
	ck_assert_uint_eq(m.data_len, 512);
	ck_assert_uint_eq(m.lun, 0x0003000000000000ull);
	ck_assert_uint_eq(m.itt, 7);
	ck_assert_uint_eq(m.edtl, 65536);
	ck_assert_uint_eq(m.cmdsn, 0xfffffffe);
	ck_assert_uint_eq(m.exp_statsn, 0x12345678);
	ck_assert_uint_eq(m.cdb[0], 0x2a);
	ck_assert_uint_eq(m.cdb[8], 0x80);
	CHECK_ENC(iscsi_pdu_enc_scsi_cmd, m, v_write10);
	ck_assert_uint_eq(iscsi_pdu_ahs_words(v_write10), 2);
	ck_assert_uint_eq(iscsi_pdu_dsl(v_write10), 512);
	ck_assert_uint_eq(iscsi_pdu_lun(v_write10), 0x0003000000000000ull);

	/* W=0 with F=0 (byte 1 = 0x01): 11.3.1 says they cannot both be 0. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_scsi_cmd, struct iscsi_pdu_scsi_cmd, v_write10, 1, 0x01);
	/* Immediate data on a read. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_scsi_cmd, struct iscsi_pdu_scsi_cmd, v_write10, 1, 0xc1);
	/* Reserved task attribute 5. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_scsi_cmd, struct iscsi_pdu_scsi_cmd, v_write10, 1, 0xa5);
	/* Wrong opcode for the decoder. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_scsi_cmd, struct iscsi_pdu_scsi_cmd, v_write10, 0, 0x45);
	/* EDTL 65536 with neither R nor W (F only, no immediate data). */
	{
		uint8_t b[48];
		const char *why = NULL;

		memcpy(b, v_write10, 48);
		b[1] = 0x81;
		b[5] = b[6] = b[7] = 0;
		ck_assert_int_eq(iscsi_pdu_dec_scsi_cmd(b, &m, &why), -EPROTO);
		ck_assert_ptr_nonnull(why);
		b[20] = b[21] = b[22] = b[23] = 0; /* EDTL 0: a command without data, fine */
		ck_assert_int_eq(iscsi_pdu_dec_scsi_cmd(b, &m, NULL), 0);
	}

	m.write = false;
	m.final = false;
	{
		uint8_t out[48];

		ck_assert_int_eq(iscsi_pdu_enc_scsi_cmd(out, &m), -EINVAL);
		m.final = true;
		m.data_len = 0x1000000;
		ck_assert_int_eq(iscsi_pdu_enc_scsi_cmd(out, &m), -EINVAL);
		m.data_len = 512; /* immediate data on a read */
		m.read = true;
		ck_assert_int_eq(iscsi_pdu_enc_scsi_cmd(out, &m), -EINVAL);
		m.data_len = 0;
		ck_assert_int_eq(iscsi_pdu_enc_scsi_cmd(out, &m), 0);
		m.read = false; /* EDTL 0 here (decoded from b above) */
		ck_assert_int_eq(iscsi_pdu_enc_scsi_cmd(out, &m), 0);
		m.edtl = 4096;
		ck_assert_int_eq(iscsi_pdu_enc_scsi_cmd(out, &m), -EINVAL);
	}
}
END_TEST

/* clang-format off */
static const uint8_t v_nop_out[48] = {
	ROW(0x40, 0x80, 0x00, 0x00), ROW(0x00, 0x00, 0x00, 0x08), /* I; F; DSL 8 */
	ROW(0x00, 0x01, 0x00, 0x00), ROW(0x00, 0x00, 0x00, 0x00), /* LUN */
	ROW(0x00, 0x00, 0x00, 0x2a), ROW(0xff, 0xff, 0xff, 0xff), /* ITT 42, TTT reserved */
	ROW(0x00, 0x00, 0x01, 0x00), ROW(0x00, 0x00, 0x02, 0x00), /* CmdSN 256, ExpStatSN 512 */
	RSVD4, RSVD4, RSVD4, RSVD4,
};
/* clang-format on */

START_TEST(nop_out)
{
	struct iscsi_pdu_nop_out m;
	uint8_t out[48];

	ck_assert_int_eq(iscsi_pdu_dec_nop_out(v_nop_out, &m, NULL), 0);
	ck_assert(m.immediate);
	ck_assert_uint_eq(m.data_len, 8);
	ck_assert_uint_eq(m.lun, 0x0001000000000000ull);
	ck_assert_uint_eq(m.itt, 42);
	ck_assert_uint_eq(m.ttt, ISCSI_PDU_RSVD_TAG);
	ck_assert_uint_eq(m.cmdsn, 256);
	ck_assert_uint_eq(m.exp_statsn, 512);
	CHECK_ENC(iscsi_pdu_enc_nop_out, m, v_nop_out);
	/* Ping and reply at once: ITT and TTT both valid. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_nop_out, struct iscsi_pdu_nop_out, v_nop_out, 20, 0x00);
	m.ttt = 5; /* ping and reply at once */
	ck_assert_int_eq(iscsi_pdu_enc_nop_out(out, &m), -EINVAL);
	m.ttt = ISCSI_PDU_RSVD_TAG;
	/* 11.18.1: ITT 0xffffffff requires I; here I clear. */
	m.itt = ISCSI_PDU_RSVD_TAG;
	m.immediate = false;
	ck_assert_int_eq(iscsi_pdu_enc_nop_out(out, &m), -EINVAL);
}
END_TEST

/* clang-format off */
static const uint8_t v_tmf_req[48] = {
	ROW(0x42, 0x81, 0x00, 0x00), RSVD4,                       /* I; F, ABORT TASK */
	ROW(0x00, 0x02, 0x00, 0x00), RSVD4,                       /* LUN 2 */
	ROW(0x00, 0x00, 0x00, 0x10), ROW(0x00, 0x00, 0x00, 0x05), /* ITT 16, RTT 5 */
	ROW(0x00, 0x00, 0x00, 0x21), ROW(0x00, 0x00, 0x00, 0x31), /* CmdSN, ExpStatSN */
	ROW(0x00, 0x00, 0x00, 0x20), ROW(0x00, 0x00, 0x00, 0x03), /* RefCmdSN, ExpDataSN */
	RSVD4, RSVD4,
};
/* clang-format on */

START_TEST(tmf_req)
{
	struct iscsi_pdu_tmf_req m;

	ck_assert_int_eq(iscsi_pdu_dec_tmf_req(v_tmf_req, &m, NULL), 0);
	ck_assert(m.immediate);
	ck_assert_uint_eq(m.function, ISCSI_PDU_TMF_ABORT_TASK);
	ck_assert_uint_eq(m.lun, 0x0002000000000000ull);
	ck_assert_uint_eq(m.itt, 16);
	ck_assert_uint_eq(m.ref_itt, 5);
	ck_assert_uint_eq(m.cmdsn, 0x21);
	ck_assert_uint_eq(m.exp_statsn, 0x31);
	ck_assert_uint_eq(m.ref_cmdsn, 0x20);
	ck_assert_uint_eq(m.exp_datasn, 3);
	CHECK_ENC(iscsi_pdu_enc_tmf_req, m, v_tmf_req);
	CHECK_DEC_FAILS(iscsi_pdu_dec_tmf_req, struct iscsi_pdu_tmf_req, v_tmf_req, 1, 0x80);
	CHECK_DEC_FAILS(iscsi_pdu_dec_tmf_req, struct iscsi_pdu_tmf_req, v_tmf_req, 1, 0x89);
}
END_TEST

/* T=1, CSG=1 (operational), NSG=3 (full feature): byte 1 = 1000 0111. */
/* clang-format off */
static const uint8_t v_login_req[48] = {
	ROW(0x43, 0x87, 0x00, 0x00), ROW(0x00, 0x00, 0x01, 0x23), /* DSL 0x123 */
	ROW(0x80, 0x12, 0x34, 0x56), ROW(0x00, 0x01, 0x00, 0x00), /* ISID, TSIH 0 */
	ROW(0x00, 0x00, 0x00, 0x01), ROW(0x00, 0x05, 0x00, 0x00), /* ITT 1, CID 5 */
	ROW(0x00, 0x00, 0x00, 0x09), ROW(0x00, 0x00, 0x00, 0x0a), /* CmdSN, ExpStatSN */
	RSVD4, RSVD4, RSVD4, RSVD4,
};
/* clang-format on */

START_TEST(login_req)
{
	struct iscsi_pdu_login_req m;
	uint8_t out[48];

	ck_assert_int_eq(iscsi_pdu_dec_login_req(v_login_req, &m, NULL), 0);
	ck_assert(m.transit && !m.cont);
	ck_assert_uint_eq(m.csg, ISCSI_PDU_STAGE_OPERATIONAL);
	ck_assert_uint_eq(m.nsg, ISCSI_PDU_STAGE_FULL_FEATURE);
	ck_assert_uint_eq(m.version_max, 0);
	ck_assert_uint_eq(m.version_min, 0);
	ck_assert_uint_eq(m.data_len, 0x123);
	ck_assert_uint_eq(m.isid, 0x801234560001ull);
	ck_assert_uint_eq(m.tsih, 0);
	ck_assert_uint_eq(m.itt, 1);
	ck_assert_uint_eq(m.cid, 5);
	ck_assert_uint_eq(m.cmdsn, 9);
	ck_assert_uint_eq(m.exp_statsn, 10);
	CHECK_ENC(iscsi_pdu_enc_login_req, m, v_login_req);
	/* T and C together. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_login_req, struct iscsi_pdu_login_req, v_login_req, 1, 0xc7);
	/* CSG 2 reserved, NSG 2 reserved. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_login_req, struct iscsi_pdu_login_req, v_login_req, 1, 0x8b);
	CHECK_DEC_FAILS(iscsi_pdu_dec_login_req, struct iscsi_pdu_login_req, v_login_req, 1, 0x86);
	/* Login requests are always immediate. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_login_req, struct iscsi_pdu_login_req, v_login_req, 0, 0x03);
	/* Without T the NSG bits are reserved: accepted and reported as 0. */
	{
		uint8_t b[48];

		memcpy(b, v_login_req, 48);
		b[1] = 0x06;
		ck_assert_int_eq(iscsi_pdu_dec_login_req(b, &m, NULL), 0);
		ck_assert(!m.transit);
		ck_assert_uint_eq(m.nsg, 0);
	}
	m.isid = 1ull << 48;
	ck_assert_int_eq(iscsi_pdu_enc_login_req(out, &m), -EINVAL);
}
END_TEST

/* clang-format off */
static const uint8_t v_text_req[48] = {
	ROW(0x44, 0x80, 0x00, 0x00), ROW(0x00, 0x00, 0x00, 0x10), /* I; F; DSL 16 */
	RSVD4, RSVD4,                                             /* LUN 0 */
	ROW(0x00, 0x00, 0x00, 0x33), ROW(0xff, 0xff, 0xff, 0xff), /* ITT, TTT */
	ROW(0x00, 0x00, 0x00, 0x44), ROW(0x00, 0x00, 0x00, 0x55), /* CmdSN, ExpStatSN */
	RSVD4, RSVD4, RSVD4, RSVD4,
};
/* clang-format on */

START_TEST(text_req)
{
	struct iscsi_pdu_text_req m;

	ck_assert_int_eq(iscsi_pdu_dec_text_req(v_text_req, &m, NULL), 0);
	ck_assert(m.immediate && m.final && !m.cont);
	ck_assert_uint_eq(m.data_len, 16);
	ck_assert_uint_eq(m.itt, 0x33);
	ck_assert_uint_eq(m.ttt, ISCSI_PDU_RSVD_TAG);
	ck_assert_uint_eq(m.cmdsn, 0x44);
	ck_assert_uint_eq(m.exp_statsn, 0x55);
	CHECK_ENC(iscsi_pdu_enc_text_req, m, v_text_req);
	CHECK_DEC_FAILS(iscsi_pdu_dec_text_req, struct iscsi_pdu_text_req, v_text_req, 1, 0xc0);
}
END_TEST

/* clang-format off */
static const uint8_t v_data_out[48] = {
	ROW(0x05, 0x80, 0x00, 0x00), ROW(0x00, 0x00, 0x20, 0x00), /* F; DSL 8192 */
	ROW(0x00, 0x01, 0x00, 0x00), RSVD4,                       /* LUN */
	ROW(0x00, 0x00, 0x00, 0x07), ROW(0x00, 0x00, 0x00, 0x99), /* ITT, TTT */
	RSVD4, ROW(0x00, 0x00, 0x00, 0x30),                       /* ExpStatSN */
	RSVD4, ROW(0x00, 0x00, 0x00, 0x02),                       /* DataSN */
	ROW(0x00, 0x00, 0x40, 0x00), RSVD4,                       /* Buffer Offset */
};
/* clang-format on */

START_TEST(data_out)
{
	struct iscsi_pdu_data_out m;

	ck_assert_int_eq(iscsi_pdu_dec_data_out(v_data_out, &m, NULL), 0);
	ck_assert(m.final);
	ck_assert_uint_eq(m.data_len, 8192);
	ck_assert_uint_eq(m.lun, 0x0001000000000000ull);
	ck_assert_uint_eq(m.itt, 7);
	ck_assert_uint_eq(m.ttt, 0x99);
	ck_assert_uint_eq(m.exp_statsn, 0x30);
	ck_assert_uint_eq(m.datasn, 2);
	ck_assert_uint_eq(m.buffer_offset, 0x4000);
	CHECK_ENC(iscsi_pdu_enc_data_out, m, v_data_out);
}
END_TEST

/* clang-format off */
static const uint8_t v_logout_req[48] = {
	ROW(0x46, 0x81, 0x00, 0x00), RSVD4,                       /* I; F, close connection */
	RSVD4, RSVD4,                                             /* reserved */
	ROW(0x00, 0x00, 0x00, 0x08), ROW(0x00, 0x02, 0x00, 0x00), /* ITT, CID 2 */
	ROW(0x00, 0x00, 0x00, 0x40), ROW(0x00, 0x00, 0x00, 0x41), /* CmdSN, ExpStatSN */
	RSVD4, RSVD4, RSVD4, RSVD4,
};
/* clang-format on */

START_TEST(logout_req)
{
	struct iscsi_pdu_logout_req m;

	ck_assert_int_eq(iscsi_pdu_dec_logout_req(v_logout_req, &m, NULL), 0);
	ck_assert(m.immediate);
	ck_assert_uint_eq(m.reason, ISCSI_PDU_LOGOUT_CLOSE_CONNECTION);
	ck_assert_uint_eq(m.itt, 8);
	ck_assert_uint_eq(m.cid, 2);
	ck_assert_uint_eq(m.cmdsn, 0x40);
	ck_assert_uint_eq(m.exp_statsn, 0x41);
	CHECK_ENC(iscsi_pdu_enc_logout_req, m, v_logout_req);
	CHECK_DEC_FAILS(iscsi_pdu_dec_logout_req, struct iscsi_pdu_logout_req, v_logout_req, 1,
			0x83);
	CHECK_DEC_FAILS(iscsi_pdu_dec_logout_req, struct iscsi_pdu_logout_req, v_logout_req, 7,
			0x01);
}
END_TEST

/* clang-format off */
static const uint8_t v_snack[48] = {
	ROW(0x10, 0x81, 0x00, 0x00), RSVD4,                       /* F, Type 1 = Status */
	ROW(0x00, 0x01, 0x00, 0x00), RSVD4,                       /* LUN */
	ROW(0xff, 0xff, 0xff, 0xff), ROW(0x00, 0x00, 0x00, 0x00), /* ITT, TTT/SNACK Tag */
	RSVD4, ROW(0x00, 0x00, 0x00, 0x77),                       /* ExpStatSN */
	RSVD4, RSVD4,
	ROW(0x00, 0x00, 0x00, 0x70), ROW(0x00, 0x00, 0x00, 0x03), /* BegRun, RunLength */
};
/* clang-format on */

START_TEST(snack_req)
{
	struct iscsi_pdu_snack_req m;

	ck_assert_int_eq(iscsi_pdu_dec_snack_req(v_snack, &m, NULL), 0);
	ck_assert_uint_eq(m.type, ISCSI_PDU_SNACK_STATUS);
	ck_assert_uint_eq(m.itt, ISCSI_PDU_RSVD_TAG);
	ck_assert_uint_eq(m.exp_statsn, 0x77);
	ck_assert_uint_eq(m.beg_run, 0x70);
	ck_assert_uint_eq(m.run_length, 3);
	CHECK_ENC(iscsi_pdu_enc_snack_req, m, v_snack);
	CHECK_DEC_FAILS(iscsi_pdu_dec_snack_req, struct iscsi_pdu_snack_req, v_snack, 1, 0x84);
}
END_TEST

/* Unsolicited NOP-In ping from the target: ITT reserved, TTT valid. */
/* clang-format off */
static const uint8_t v_nop_in[48] = {
	ROW(0x20, 0x80, 0x00, 0x00), RSVD4,                       /* F */
	ROW(0x00, 0x01, 0x00, 0x00), RSVD4,                       /* LUN */
	ROW(0xff, 0xff, 0xff, 0xff), ROW(0x00, 0x00, 0xab, 0xcd), /* ITT, TTT */
	ROW(0x00, 0x00, 0x01, 0x01), ROW(0x00, 0x00, 0x02, 0x02), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x02, 0x22), RSVD4, RSVD4, RSVD4,         /* MaxCmdSN */
};
/* clang-format on */

START_TEST(nop_in)
{
	struct iscsi_pdu_nop_in m;

	ck_assert_int_eq(iscsi_pdu_dec_nop_in(v_nop_in, &m, NULL), 0);
	ck_assert_uint_eq(m.data_len, 0);
	ck_assert_uint_eq(m.lun, 0x0001000000000000ull);
	ck_assert_uint_eq(m.itt, ISCSI_PDU_RSVD_TAG);
	ck_assert_uint_eq(m.ttt, 0xabcd);
	ck_assert_uint_eq(m.statsn, 0x101);
	ck_assert_uint_eq(m.exp_cmdsn, 0x202);
	ck_assert_uint_eq(m.max_cmdsn, 0x222);
	CHECK_ENC(iscsi_pdu_enc_nop_in, m, v_nop_in);
	CHECK_DEC_FAILS(iscsi_pdu_dec_nop_in, struct iscsi_pdu_nop_in, v_nop_in, 16, 0x00);
	{
		uint8_t out[48];

		m.itt = 1;
		ck_assert_int_eq(iscsi_pdu_enc_nop_in(out, &m), -EINVAL);
	}
}
END_TEST

/* CHECK CONDITION with 20 bytes of data (SenseLength + 18 sense), underflow 512. */
/* clang-format off */
static const uint8_t v_scsi_rsp[48] = {
	ROW(0x21, 0x82, 0x00, 0x02), ROW(0x00, 0x00, 0x00, 0x14), /* F U; Response 0; Status 2 */
	RSVD4, RSVD4,
	ROW(0x00, 0x00, 0x00, 0x07), ROW(0x00, 0x00, 0x00, 0x00), /* ITT, SNACK Tag */
	ROW(0x00, 0x00, 0x00, 0x11), ROW(0x00, 0x00, 0x00, 0x22), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x33), ROW(0x00, 0x00, 0x00, 0x01), /* MaxCmdSN, ExpDataSN */
	ROW(0x00, 0x00, 0x00, 0x00), ROW(0x00, 0x00, 0x02, 0x00), /* BRRC, RC */
};
/* clang-format on */

START_TEST(scsi_rsp)
{
	struct iscsi_pdu_scsi_rsp m;
	static const uint8_t data[20] = {0x00, 0x12, 0x70, 0x00, 0x06};
	const uint8_t *sense;
	size_t sense_len;

	ck_assert_int_eq(iscsi_pdu_dec_scsi_rsp(v_scsi_rsp, &m, NULL), 0);
	ck_assert(m.underflow && !m.overflow && !m.bidi_overflow && !m.bidi_underflow);
	ck_assert_uint_eq(m.response, ISCSI_PDU_RSP_COMPLETED);
	ck_assert_uint_eq(m.status, 0x02);
	ck_assert_uint_eq(m.data_len, 20);
	ck_assert_uint_eq(m.itt, 7);
	ck_assert_uint_eq(m.statsn, 0x11);
	ck_assert_uint_eq(m.exp_cmdsn, 0x22);
	ck_assert_uint_eq(m.max_cmdsn, 0x33);
	ck_assert_uint_eq(m.exp_datasn, 1);
	ck_assert_uint_eq(m.residual, 512);
	CHECK_ENC(iscsi_pdu_enc_scsi_rsp, m, v_scsi_rsp);

	ck_assert_int_eq(iscsi_pdu_sense(data, sizeof(data), &sense, &sense_len, NULL), 0);
	ck_assert_uint_eq(sense_len, 18);
	ck_assert_ptr_eq(sense, data + 2);
	ck_assert_uint_eq(sense[0], 0x70);
	ck_assert_uint_eq(sense[2], 0x06);
	ck_assert_int_eq(iscsi_pdu_sense(data, 19, &sense, &sense_len, NULL), -EPROTO);
	ck_assert_int_eq(iscsi_pdu_sense(data, 1, &sense, &sense_len, NULL), -EPROTO);
	ck_assert_int_eq(iscsi_pdu_sense(data, 0, &sense, &sense_len, NULL), 0);
	ck_assert_uint_eq(sense_len, 0);

	/* O and U together, o and u together. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_scsi_rsp, struct iscsi_pdu_scsi_rsp, v_scsi_rsp, 1, 0x86);
	CHECK_DEC_FAILS(iscsi_pdu_dec_scsi_rsp, struct iscsi_pdu_scsi_rsp, v_scsi_rsp, 1, 0x98);
	/* Reserved response code; residual bits with "target failure". */
	CHECK_DEC_FAILS(iscsi_pdu_dec_scsi_rsp, struct iscsi_pdu_scsi_rsp, v_scsi_rsp, 2, 0x02);
	CHECK_DEC_FAILS(iscsi_pdu_dec_scsi_rsp, struct iscsi_pdu_scsi_rsp, v_scsi_rsp, 2, 0x01);
	/* Vendor-specific response codes are legal. */
	{
		uint8_t b[48];

		memcpy(b, v_scsi_rsp, 48);
		b[1] = 0x80;
		b[2] = 0x85;
		ck_assert_int_eq(iscsi_pdu_dec_scsi_rsp(b, &m, NULL), 0);
	}
}
END_TEST

/* clang-format off */
static const uint8_t v_tmf_rsp[48] = {
	ROW(0x22, 0x80, 0x01, 0x00), RSVD4,                       /* F; Response 1 */
	RSVD4, RSVD4,
	ROW(0x00, 0x00, 0x00, 0x10), RSVD4,                       /* ITT */
	ROW(0x00, 0x00, 0x00, 0x12), ROW(0x00, 0x00, 0x00, 0x13), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x14), RSVD4, RSVD4, RSVD4,         /* MaxCmdSN */
};
/* clang-format on */

START_TEST(tmf_rsp)
{
	struct iscsi_pdu_tmf_rsp m;

	ck_assert_int_eq(iscsi_pdu_dec_tmf_rsp(v_tmf_rsp, &m, NULL), 0);
	ck_assert_uint_eq(m.response, ISCSI_PDU_TMF_RSP_NO_TASK);
	ck_assert_uint_eq(m.itt, 16);
	ck_assert_uint_eq(m.statsn, 0x12);
	ck_assert_uint_eq(m.exp_cmdsn, 0x13);
	ck_assert_uint_eq(m.max_cmdsn, 0x14);
	CHECK_ENC(iscsi_pdu_enc_tmf_rsp, m, v_tmf_rsp);
	CHECK_DEC_FAILS(iscsi_pdu_dec_tmf_rsp, struct iscsi_pdu_tmf_rsp, v_tmf_rsp, 2, 7);
	CHECK_DEC_FAILS(iscsi_pdu_dec_tmf_rsp, struct iscsi_pdu_tmf_rsp, v_tmf_rsp, 2, 254);
}
END_TEST

/* Security -> operational with T; TSIH 0x0102; a target error 02/01 would be in bytes 36-37. */
/* clang-format off */
static const uint8_t v_login_rsp[48] = {
	ROW(0x23, 0x81, 0x00, 0x00), ROW(0x00, 0x00, 0x00, 0x40), /* T, CSG 0, NSG 1; DSL 64 */
	ROW(0x00, 0x02, 0x3d, 0x00), ROW(0x00, 0x00, 0x01, 0x02), /* ISID, TSIH */
	ROW(0x00, 0x00, 0x00, 0x01), RSVD4,                       /* ITT */
	ROW(0x00, 0x00, 0x10, 0x00), ROW(0x00, 0x00, 0x00, 0x09), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x18), ROW(0x00, 0x00, 0x00, 0x00), /* MaxCmdSN, class/detail */
	RSVD4, RSVD4,
};
/* clang-format on */

START_TEST(login_rsp)
{
	struct iscsi_pdu_login_rsp m;

	ck_assert_int_eq(iscsi_pdu_dec_login_rsp(v_login_rsp, &m, NULL), 0);
	ck_assert(m.transit && !m.cont);
	ck_assert_uint_eq(m.csg, ISCSI_PDU_STAGE_SECURITY);
	ck_assert_uint_eq(m.nsg, ISCSI_PDU_STAGE_OPERATIONAL);
	ck_assert_uint_eq(m.data_len, 64);
	ck_assert_uint_eq(m.isid, 0x00023d000000ull);
	ck_assert_uint_eq(m.tsih, 0x0102);
	ck_assert_uint_eq(m.itt, 1);
	ck_assert_uint_eq(m.statsn, 0x1000);
	ck_assert_uint_eq(m.exp_cmdsn, 9);
	ck_assert_uint_eq(m.max_cmdsn, 0x18);
	ck_assert_uint_eq(m.status_class, ISCSI_PDU_LOGIN_SUCCESS);
	CHECK_ENC(iscsi_pdu_enc_login_rsp, m, v_login_rsp);
	{
		uint8_t b[48];

		memcpy(b, v_login_rsp, 48);
		b[36] = 0x02;
		b[37] = 0x01;
		ck_assert_int_eq(iscsi_pdu_dec_login_rsp(b, &m, NULL), 0);
		ck_assert_uint_eq(m.status_class, ISCSI_PDU_LOGIN_INITIATOR_ERR);
		ck_assert_uint_eq(m.status_detail, 1);
	}
	CHECK_DEC_FAILS(iscsi_pdu_dec_login_rsp, struct iscsi_pdu_login_rsp, v_login_rsp, 1, 0xc1);
	CHECK_DEC_FAILS(iscsi_pdu_dec_login_rsp, struct iscsi_pdu_login_rsp, v_login_rsp, 1, 0x82);
	CHECK_DEC_FAILS(iscsi_pdu_dec_login_rsp, struct iscsi_pdu_login_rsp, v_login_rsp, 1, 0x89);
	CHECK_DEC_FAILS(iscsi_pdu_dec_login_rsp, struct iscsi_pdu_login_rsp, v_login_rsp, 36, 4);
}
END_TEST

/* clang-format off */
static const uint8_t v_text_rsp[48] = {
	ROW(0x24, 0x40, 0x00, 0x00), ROW(0x00, 0x00, 0x20, 0x00), /* C; DSL 8192 */
	RSVD4, RSVD4,
	ROW(0x00, 0x00, 0x00, 0x33), ROW(0x00, 0x00, 0x00, 0x66), /* ITT, TTT */
	ROW(0x00, 0x00, 0x00, 0x01), ROW(0x00, 0x00, 0x00, 0x02), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x03), RSVD4, RSVD4, RSVD4,         /* MaxCmdSN */
};
/* clang-format on */

START_TEST(text_rsp)
{
	struct iscsi_pdu_text_rsp m;

	ck_assert_int_eq(iscsi_pdu_dec_text_rsp(v_text_rsp, &m, NULL), 0);
	ck_assert(!m.final && m.cont);
	ck_assert_uint_eq(m.data_len, 8192);
	ck_assert_uint_eq(m.itt, 0x33);
	ck_assert_uint_eq(m.ttt, 0x66);
	ck_assert_uint_eq(m.statsn, 1);
	ck_assert_uint_eq(m.exp_cmdsn, 2);
	ck_assert_uint_eq(m.max_cmdsn, 3);
	CHECK_ENC(iscsi_pdu_enc_text_rsp, m, v_text_rsp);
	CHECK_DEC_FAILS(iscsi_pdu_dec_text_rsp, struct iscsi_pdu_text_rsp, v_text_rsp, 1, 0xc0);
}
END_TEST

/* Last Data-In with status GOOD and an underflow residual of 0x100. */
/* clang-format off */
static const uint8_t v_data_in[48] = {
	ROW(0x25, 0x83, 0x00, 0x00), ROW(0x00, 0x00, 0x10, 0x00), /* F U S; status 0; DSL 4096 */
	ROW(0x00, 0x01, 0x00, 0x00), RSVD4,                       /* LUN */
	ROW(0x00, 0x00, 0x00, 0x07), ROW(0xff, 0xff, 0xff, 0xff), /* ITT, TTT */
	ROW(0x00, 0x00, 0x00, 0x50), ROW(0x00, 0x00, 0x00, 0x60), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x70), ROW(0x00, 0x00, 0x00, 0x04), /* MaxCmdSN, DataSN */
	ROW(0x00, 0x01, 0x00, 0x00), ROW(0x00, 0x00, 0x01, 0x00), /* Buffer Offset, Residual */
};
/* clang-format on */

START_TEST(data_in)
{
	struct iscsi_pdu_data_in m;

	ck_assert_int_eq(iscsi_pdu_dec_data_in(v_data_in, &m, NULL), 0);
	ck_assert(m.final && m.status && m.underflow && !m.overflow && !m.ack);
	ck_assert_uint_eq(m.scsi_status, 0);
	ck_assert_uint_eq(m.data_len, 4096);
	ck_assert_uint_eq(m.itt, 7);
	ck_assert_uint_eq(m.ttt, ISCSI_PDU_RSVD_TAG);
	ck_assert_uint_eq(m.statsn, 0x50);
	ck_assert_uint_eq(m.exp_cmdsn, 0x60);
	ck_assert_uint_eq(m.max_cmdsn, 0x70);
	ck_assert_uint_eq(m.datasn, 4);
	ck_assert_uint_eq(m.buffer_offset, 0x10000);
	ck_assert_uint_eq(m.residual, 0x100);
	CHECK_ENC(iscsi_pdu_enc_data_in, m, v_data_in);
	/* S without F. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_data_in, struct iscsi_pdu_data_in, v_data_in, 1, 0x03);
	/* O and U together. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_data_in, struct iscsi_pdu_data_in, v_data_in, 1, 0x87);
	/* Without S, status fields are reserved: ignored, reported as 0. */
	{
		uint8_t b[48];

		memcpy(b, v_data_in, 48);
		b[1] = 0x06; /* O U set but no S: reserved, ignored */
		b[3] = 0x02;
		ck_assert_int_eq(iscsi_pdu_dec_data_in(b, &m, NULL), 0);
		ck_assert(!m.final && !m.status && !m.overflow && !m.underflow);
		ck_assert_uint_eq(m.scsi_status, 0);
		ck_assert_uint_eq(m.statsn, 0);
		ck_assert_uint_eq(m.residual, 0);
	}
}
END_TEST

/* clang-format off */
static const uint8_t v_logout_rsp[48] = {
	ROW(0x26, 0x80, 0x00, 0x00), RSVD4,                       /* F; Response 0 */
	RSVD4, RSVD4,
	ROW(0x00, 0x00, 0x00, 0x08), RSVD4,                       /* ITT */
	ROW(0x00, 0x00, 0x00, 0x41), ROW(0x00, 0x00, 0x00, 0x42), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x43), RSVD4,                       /* MaxCmdSN */
	ROW(0x00, 0x02, 0x00, 0x14), RSVD4,                       /* Time2Wait, Time2Retain */
};
/* clang-format on */

START_TEST(logout_rsp)
{
	struct iscsi_pdu_logout_rsp m;

	ck_assert_int_eq(iscsi_pdu_dec_logout_rsp(v_logout_rsp, &m, NULL), 0);
	ck_assert_uint_eq(m.response, ISCSI_PDU_LOGOUT_RSP_OK);
	ck_assert_uint_eq(m.itt, 8);
	ck_assert_uint_eq(m.statsn, 0x41);
	ck_assert_uint_eq(m.exp_cmdsn, 0x42);
	ck_assert_uint_eq(m.max_cmdsn, 0x43);
	ck_assert_uint_eq(m.time2wait, 2);
	ck_assert_uint_eq(m.time2retain, 20);
	CHECK_ENC(iscsi_pdu_enc_logout_rsp, m, v_logout_rsp);
	CHECK_DEC_FAILS(iscsi_pdu_dec_logout_rsp, struct iscsi_pdu_logout_rsp, v_logout_rsp, 2, 4);
	CHECK_DEC_FAILS(iscsi_pdu_dec_logout_rsp, struct iscsi_pdu_logout_rsp, v_logout_rsp, 7, 1);
}
END_TEST

/* clang-format off */
static const uint8_t v_r2t[48] = {
	ROW(0x31, 0x80, 0x00, 0x00), RSVD4,                       /* F */
	ROW(0x00, 0x01, 0x00, 0x00), RSVD4,                       /* LUN */
	ROW(0x00, 0x00, 0x00, 0x07), ROW(0x00, 0x00, 0x12, 0x34), /* ITT, TTT */
	ROW(0x00, 0x00, 0x00, 0x50), ROW(0x00, 0x00, 0x00, 0x60), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x70), ROW(0x00, 0x00, 0x00, 0x01), /* MaxCmdSN, R2TSN */
	ROW(0x00, 0x00, 0x20, 0x00), ROW(0x00, 0x04, 0x00, 0x00), /* Buffer Offset, DDTL */
};
/* clang-format on */

START_TEST(r2t)
{
	struct iscsi_pdu_r2t m;
	struct iscsi_pdu_target_msg t;

	ck_assert_int_eq(iscsi_pdu_dec_r2t(v_r2t, &m, NULL), 0);
	ck_assert_uint_eq(m.lun, 0x0001000000000000ull);
	ck_assert_uint_eq(m.itt, 7);
	ck_assert_uint_eq(m.ttt, 0x1234);
	ck_assert_uint_eq(m.statsn, 0x50);
	ck_assert_uint_eq(m.exp_cmdsn, 0x60);
	ck_assert_uint_eq(m.max_cmdsn, 0x70);
	ck_assert_uint_eq(m.r2tsn, 1);
	ck_assert_uint_eq(m.buffer_offset, 0x2000);
	ck_assert_uint_eq(m.ddtl, 0x40000);
	CHECK_ENC(iscsi_pdu_enc_r2t, m, v_r2t);
	/* DDTL 0; reserved TTT; a data segment. */
	CHECK_DEC_FAILS(iscsi_pdu_dec_r2t, struct iscsi_pdu_r2t, v_r2t, 45, 0);
	{
		uint8_t b[48];
		const char *why = NULL;

		memcpy(b, v_r2t, 48);
		memset(b + 20, 0xff, 4);
		ck_assert_int_eq(iscsi_pdu_dec_r2t(b, &m, &why), -EPROTO);
		ck_assert_ptr_nonnull(why);
	}
	CHECK_DEC_FAILS(iscsi_pdu_dec_r2t, struct iscsi_pdu_r2t, v_r2t, 7, 4);

	/* The dispatcher lands in the right member. */
	ck_assert_int_eq(iscsi_pdu_dec_target(v_r2t, &t, NULL), 0);
	ck_assert_uint_eq(t.opcode, ISCSI_PDU_OP_R2T);
	ck_assert_uint_eq(t.u.r2t.ddtl, 0x40000);
}
END_TEST

/* Target requests logout within 5 seconds (event 1, Parameter3). */
/* clang-format off */
static const uint8_t v_async[48] = {
	ROW(0x32, 0x80, 0x00, 0x00), RSVD4,                       /* F */
	RSVD4, RSVD4,                                             /* LUN 0 */
	ROW(0xff, 0xff, 0xff, 0xff), RSVD4,                       /* ITT reserved */
	ROW(0x00, 0x00, 0x00, 0x50), ROW(0x00, 0x00, 0x00, 0x60), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x70), ROW(0x01, 0x00, 0x00, 0x00), /* MaxCmdSN; event 1 */
	ROW(0x00, 0x00, 0x00, 0x05), RSVD4,                       /* Parameter2/3 */
};
/* clang-format on */

START_TEST(async_msg)
{
	struct iscsi_pdu_async_msg m;

	ck_assert_int_eq(iscsi_pdu_dec_async_msg(v_async, &m, NULL), 0);
	ck_assert_uint_eq(m.event, ISCSI_PDU_ASYNC_LOGOUT_REQUEST);
	ck_assert_uint_eq(m.statsn, 0x50);
	ck_assert_uint_eq(m.exp_cmdsn, 0x60);
	ck_assert_uint_eq(m.max_cmdsn, 0x70);
	ck_assert_uint_eq(m.param1, 0);
	ck_assert_uint_eq(m.param2, 0);
	ck_assert_uint_eq(m.param3, 5);
	CHECK_ENC(iscsi_pdu_enc_async_msg, m, v_async);
	CHECK_DEC_FAILS(iscsi_pdu_dec_async_msg, struct iscsi_pdu_async_msg, v_async, 36, 6);
	CHECK_DEC_FAILS(iscsi_pdu_dec_async_msg, struct iscsi_pdu_async_msg, v_async, 36, 247);
	/* Task termination (5) and the vendor range 248-255 are defined codes. */
	{
		uint8_t b[48];

		memcpy(b, v_async, 48);
		b[36] = 5;
		ck_assert_int_eq(iscsi_pdu_dec_async_msg(b, &m, NULL), 0);
		b[36] = 248;
		ck_assert_int_eq(iscsi_pdu_dec_async_msg(b, &m, NULL), 0);
		ck_assert_uint_eq(m.event, 248);
	}
}
END_TEST

/* clang-format off */
static const uint8_t v_reject[48] = {
	ROW(0x3f, 0x80, 0x09, 0x00), ROW(0x00, 0x00, 0x00, 0x30), /* F; Invalid PDU field; DSL 48 */
	RSVD4, RSVD4,
	ROW(0xff, 0xff, 0xff, 0xff), RSVD4,                       /* ITT reserved */
	ROW(0x00, 0x00, 0x00, 0x50), ROW(0x00, 0x00, 0x00, 0x60), /* StatSN, ExpCmdSN */
	ROW(0x00, 0x00, 0x00, 0x70), ROW(0x00, 0x00, 0x00, 0x00), /* MaxCmdSN, DataSN/R2TSN */
	RSVD4, RSVD4,
};
/* clang-format on */

START_TEST(reject)
{
	struct iscsi_pdu_reject m;

	ck_assert_int_eq(iscsi_pdu_dec_reject(v_reject, &m, NULL), 0);
	ck_assert_uint_eq(m.reason, ISCSI_PDU_REJ_INVALID_FIELD);
	ck_assert_uint_eq(m.data_len, 48);
	ck_assert_uint_eq(m.statsn, 0x50);
	ck_assert_uint_eq(m.exp_cmdsn, 0x60);
	ck_assert_uint_eq(m.max_cmdsn, 0x70);
	CHECK_ENC(iscsi_pdu_enc_reject, m, v_reject);
	CHECK_DEC_FAILS(iscsi_pdu_dec_reject, struct iscsi_pdu_reject, v_reject, 2, 0x01);
	CHECK_DEC_FAILS(iscsi_pdu_dec_reject, struct iscsi_pdu_reject, v_reject, 7, 0x2c);
	{
		uint8_t out[48];

		m.data_len = 44;
		ck_assert_int_eq(iscsi_pdu_enc_reject(out, &m), -EINVAL);
	}
}
END_TEST

START_TEST(dispatch)
{
	struct iscsi_pdu_target_msg t;
	struct iscsi_pdu_initiator_msg i;
	const char *why = NULL;
	uint8_t b[48];

	ck_assert_int_eq(iscsi_pdu_dec_target(v_data_in, &t, NULL), 0);
	ck_assert_uint_eq(t.u.data_in.residual, 0x100);
	ck_assert_int_eq(iscsi_pdu_dec_target(b4_read10, &t, &why), -EPROTO);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(iscsi_pdu_dec_initiator(b4_read10, &i, NULL), 0);
	ck_assert_uint_eq(i.u.scsi_cmd.edtl, 1024);
	ck_assert_int_eq(iscsi_pdu_dec_initiator(v_nop_in, &i, NULL), -EPROTO);
	memcpy(b, v_nop_in, 48);
	b[0] = 0x3e; /* reserved opcode */
	ck_assert_int_eq(iscsi_pdu_dec_target(b, &t, NULL), -EPROTO);
	ck_assert_str_eq(iscsi_pdu_opcode_name(0x31), "R2T");
	{
		char line[64], tiny[8];

		ck_assert_str_eq(iscsi_pdu_describe(v_data_in, line, sizeof(line)),
				 "SCSI Data-In F itt 0x7 dsl 4096");
		ck_assert_str_eq(iscsi_pdu_describe(v_nop_out, line, sizeof(line)),
				 "NOP-Out I F itt 0x2a dsl 8");
		ck_assert_str_eq(iscsi_pdu_describe(b, line, sizeof(line)),
				 "opcode 0x3e F itt 0xffffffff dsl 0");
		ck_assert_str_eq(iscsi_pdu_describe(v_r2t, tiny, sizeof(tiny)), "R2T F i");
	}
	ck_assert_ptr_null(iscsi_pdu_opcode_name(0x07));
	ck_assert_ptr_null(iscsi_pdu_opcode_name(200));
}
END_TEST

START_TEST(frame)
{
	struct iscsi_pdu_rx_params p = {.max_recv_dsl = 8192};
	struct iscsi_pdu_frame f;
	const char *why = NULL;
	uint8_t b[48];

	/* Data-In DSL 4096, no digests: data only. */
	ck_assert_int_eq(iscsi_pdu_frame(v_data_in, &p, &f, NULL), 0);
	ck_assert_uint_eq(f.ahs_len, 0);
	ck_assert_uint_eq(f.hdr_digest_len, 0);
	ck_assert_uint_eq(f.data_off, 0);
	ck_assert_uint_eq(f.data_len, 4096);
	ck_assert_uint_eq(f.pad_len, 0);
	ck_assert_uint_eq(f.data_digest_len, 0);
	ck_assert_uint_eq(f.rest_len, 4096);

	/* Both digests, DSL 4097 -> 3 pad bytes. */
	p.header_digest = p.data_digest = true;
	memcpy(b, v_data_in, 48);
	b[7] = 0x01;
	ck_assert_int_eq(iscsi_pdu_frame(b, &p, &f, NULL), 0);
	ck_assert_uint_eq(f.hdr_digest_len, 4);
	ck_assert_uint_eq(f.data_off, 4);
	ck_assert_uint_eq(f.data_len, 4097);
	ck_assert_uint_eq(f.pad_len, 3);
	ck_assert_uint_eq(f.data_digest_len, 4);
	ck_assert_uint_eq(f.rest_len, 4 + 4097 + 3 + 4);

	/* No data segment: no data digest even when negotiated. */
	ck_assert_int_eq(iscsi_pdu_frame(v_r2t, &p, &f, NULL), 0);
	ck_assert_uint_eq(f.data_digest_len, 0);
	ck_assert_uint_eq(f.rest_len, 4);

	/* AHS words count. */
	memcpy(b, v_nop_in, 48);
	b[4] = 3;
	ck_assert_int_eq(iscsi_pdu_frame(b, &p, &f, NULL), 0);
	ck_assert_uint_eq(f.ahs_len, 12);
	ck_assert_uint_eq(f.data_off, 16);

	/* DSL one above the limit: rejected before anything is read. */
	memcpy(b, v_text_rsp, 48);
	b[5] = 0x00, b[6] = 0x20, b[7] = 0x01;
	ck_assert_int_eq(iscsi_pdu_frame(b, &p, &f, &why), -EPROTO);
	ck_assert_ptr_nonnull(why);
	b[7] = 0x00;
	ck_assert_int_eq(iscsi_pdu_frame(b, &p, &f, NULL), 0);
	/* Maximal 24-bit DSL against a login-phase limit. */
	memset(b + 5, 0xff, 3);
	p.max_recv_dsl = ISCSI_PDU_LOGIN_MAX_DSL;
	ck_assert_int_eq(iscsi_pdu_frame(b, &p, &f, NULL), -EPROTO);

	/* Direction and reserved opcodes. */
	ck_assert_int_eq(iscsi_pdu_frame(b4_read10, &p, &f, NULL), -EPROTO);
	p.from_initiator = true;
	ck_assert_int_eq(iscsi_pdu_frame(b4_read10, &p, &f, NULL), 0);
	ck_assert_int_eq(iscsi_pdu_frame(v_r2t, &p, &f, NULL), -EPROTO);
	memcpy(b, b4_read10, 48);
	b[0] = 0x11;
	ck_assert_int_eq(iscsi_pdu_frame(b, &p, &f, NULL), -EPROTO);
}
END_TEST

START_TEST(padding)
{
	ck_assert_uint_eq(iscsi_pdu_pad_len(0), 0);
	ck_assert_uint_eq(iscsi_pdu_pad_len(1), 3);
	ck_assert_uint_eq(iscsi_pdu_pad_len(2), 2);
	ck_assert_uint_eq(iscsi_pdu_pad_len(3), 1);
	ck_assert_uint_eq(iscsi_pdu_pad_len(4), 0);
	ck_assert_uint_eq(iscsi_pdu_padded(5), 8);
	ck_assert_uint_eq(iscsi_pdu_padded(ISCSI_PDU_DSL_MAX), 0x1000000);
}
END_TEST

/*
 * Data digest covers the padding: 30 data bytes + 2 pad bytes digest like
 * the 32-byte vectors of RFC 3720 B.4 (zeros: aa 36 91 8a; 0..31: 4e 79 dd 46).
 */
START_TEST(data_digest_padding)
{
	static const uint8_t zeros_crc[4] = {0xaa, 0x36, 0x91, 0x8a};
	static const uint8_t inc_crc[4] = {0x4e, 0x79, 0xdd, 0x46};
	uint8_t buf[32];
	int i;

	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(iscsi_pdu_digest_data(buf, 30), crc32c_get(zeros_crc));
	ck_assert_int_eq(iscsi_pdu_verify_data(buf, 30, NULL, zeros_crc), 0);
	ck_assert_int_eq(iscsi_pdu_verify_data(buf, 32, NULL, zeros_crc), 0);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	/* Received pad bytes (here 30, 31) are digested as they came. */
	ck_assert_int_eq(iscsi_pdu_verify_data(buf, 30, buf + 30, inc_crc), 0);
	ck_assert_int_eq(iscsi_pdu_verify_data(buf, 30, NULL, inc_crc), -EBADMSG);
	ck_assert_int_eq(iscsi_pdu_verify_data(buf, 32, NULL, zeros_crc), -EBADMSG);
}
END_TEST

/* AHS area: an extended CDB (32-byte CDB) then a bidirectional read length. */
/* clang-format off */
static const uint8_t v_ahs[28] = {
	ROW(0x00, 0x11, 0x01, 0x00), /* AHSLength 17 = 32 - 15, type 1, reserved */
	ROW(0x10, 0x11, 0x12, 0x13), ROW(0x14, 0x15, 0x16, 0x17), ROW(0x18, 0x19, 0x1a, 0x1b),
	ROW(0x1c, 0x1d, 0x1e, 0x1f), /* CDB bytes 16..31 */
	ROW(0x00, 0x05, 0x02, 0x00), /* AHSLength 5, type 2, reserved */
	ROW(0x00, 0x01, 0x00, 0x00), /* Expected Read-Data Length 65536 */
};
/* clang-format on */

START_TEST(ahs_walk)
{
	struct iscsi_pdu_ahs_iter it;
	struct iscsi_pdu_ahs a;
	uint8_t cdb[32], bhs_cdb[16], buf[64];
	const char *why = NULL;
	int n, i;

	for (i = 0; i < 32; i++)
		cdb[i] = (uint8_t)(i < 16 ? 0x7f : i);
	memset(bhs_cdb, 0x7f, sizeof(bhs_cdb));

	iscsi_pdu_ahs_iter_init(&it, v_ahs, sizeof(v_ahs));
	ck_assert_int_eq(iscsi_pdu_ahs_next(&it, &a, NULL), 1);
	ck_assert_uint_eq(a.type, ISCSI_PDU_AHS_EXT_CDB);
	ck_assert_uint_eq(a.data_len, 16);
	ck_assert_ptr_eq(a.data, v_ahs + 4);
	{
		uint8_t joined[ISCSI_PDU_CDB_MAX];

		ck_assert_int_eq(iscsi_pdu_ext_cdb_join(bhs_cdb, &a, joined, sizeof(joined)), 32);
		ck_assert_mem_eq(joined, cdb, 32);
		ck_assert_int_eq(iscsi_pdu_ext_cdb_join(bhs_cdb, &a, joined, 31), -ENOSPC);
	}
	ck_assert_int_eq(iscsi_pdu_ahs_next(&it, &a, NULL), 1);
	ck_assert_uint_eq(a.type, ISCSI_PDU_AHS_BIDI_READ_LEN);
	ck_assert_uint_eq(a.data_len, 4);
	ck_assert_uint_eq(get_be32(a.data), 65536);
	ck_assert_int_eq(iscsi_pdu_ahs_next(&it, &a, NULL), 0);

	/* Writers reproduce the hand-written area. */
	n = iscsi_pdu_ahs_put_ext_cdb(buf, sizeof(buf), cdb, 32);
	ck_assert_int_eq(n, 20);
	ck_assert_int_eq(iscsi_pdu_ahs_put_bidi_read_len(buf + n, sizeof(buf) - 20, 65536), 8);
	ck_assert_mem_eq(buf, v_ahs, sizeof(v_ahs));
	ck_assert_int_eq(iscsi_pdu_ahs_put_ext_cdb(buf, 19, cdb, 32), -ENOSPC);
	ck_assert_int_eq(iscsi_pdu_ahs_put_ext_cdb(buf, sizeof(buf), cdb, 16), -EINVAL);
	/* A 17-byte CDB: AHSLength 2, one byte of CDB, padded to 8. */
	n = iscsi_pdu_ahs_put_ext_cdb(buf, sizeof(buf), cdb, 17);
	ck_assert_int_eq(n, 8);
	ck_assert_uint_eq(buf[1], 2);
	ck_assert_uint_eq(buf[4], 16);
	ck_assert_uint_eq(buf[5] | buf[6] | buf[7], 0);

	/* Truncated: the area ends inside the first AHS. */
	iscsi_pdu_ahs_iter_init(&it, v_ahs, 16);
	ck_assert_int_eq(iscsi_pdu_ahs_next(&it, &a, &why), -EPROTO);
	ck_assert_ptr_nonnull(why);
	/* Only 2 bytes left after the first AHS. */
	iscsi_pdu_ahs_iter_init(&it, v_ahs, 22);
	ck_assert_int_eq(iscsi_pdu_ahs_next(&it, &a, NULL), 1);
	ck_assert_int_eq(iscsi_pdu_ahs_next(&it, &a, NULL), -EPROTO);
	/* AHSLength 0. */
	memset(buf, 0, 8);
	iscsi_pdu_ahs_iter_init(&it, buf, 8);
	ck_assert_int_eq(iscsi_pdu_ahs_next(&it, &a, NULL), -EPROTO);
	/* AHSLength 0xffff in a 4-byte area. */
	buf[0] = buf[1] = 0xff;
	iscsi_pdu_ahs_iter_init(&it, buf, 4);
	ck_assert_int_eq(iscsi_pdu_ahs_next(&it, &a, NULL), -EPROTO);
}
END_TEST

START_TEST(serial_arithmetic)
{
	ck_assert(iscsi_sn_lt(1, 2));
	ck_assert(!iscsi_sn_lt(2, 1));
	ck_assert(!iscsi_sn_lt(5, 5));
	ck_assert(iscsi_sn_le(5, 5));
	ck_assert(iscsi_sn_ge(5, 5));
	/* Across the wrap: 0xffffffff < 0 < 1. */
	ck_assert(iscsi_sn_lt(0xffffffffu, 0));
	ck_assert(iscsi_sn_gt(0, 0xffffffffu));
	ck_assert(iscsi_sn_lt(0xfffffff0u, 0x10));
	ck_assert(iscsi_sn_le(0xfffffff0u, 0x10));
	ck_assert(!iscsi_sn_ge(0xfffffff0u, 0x10));
	/* Largest defined distance, 2^31 - 1. */
	ck_assert(iscsi_sn_lt(0, 0x7fffffffu));
	ck_assert(iscsi_sn_gt(0x7fffffffu, 0));
	ck_assert(iscsi_sn_lt(0x80000000u, 0xffffffffu));
	/* Distance 2^31: undefined, every comparison false. */
	ck_assert(!iscsi_sn_lt(0, 0x80000000u));
	ck_assert(!iscsi_sn_gt(0, 0x80000000u));
	ck_assert(!iscsi_sn_le(0, 0x80000000u));
	ck_assert(!iscsi_sn_ge(0x80000000u, 0));
	ck_assert(!iscsi_sn_lt(0x40000000u, 0xc0000000u));
	/* One past: 0 vs 2^31 + 1 means 2^31 + 1 is behind. */
	ck_assert(iscsi_sn_gt(0, 0x80000001u));
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("pdu");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, scsi_cmd_rfc3720_b4);
	tcase_add_test(tc, scsi_cmd_write);
	tcase_add_test(tc, nop_out);
	tcase_add_test(tc, tmf_req);
	tcase_add_test(tc, login_req);
	tcase_add_test(tc, text_req);
	tcase_add_test(tc, data_out);
	tcase_add_test(tc, logout_req);
	tcase_add_test(tc, snack_req);
	tcase_add_test(tc, nop_in);
	tcase_add_test(tc, scsi_rsp);
	tcase_add_test(tc, tmf_rsp);
	tcase_add_test(tc, login_rsp);
	tcase_add_test(tc, text_rsp);
	tcase_add_test(tc, data_in);
	tcase_add_test(tc, logout_rsp);
	tcase_add_test(tc, r2t);
	tcase_add_test(tc, async_msg);
	tcase_add_test(tc, reject);
	tcase_add_test(tc, dispatch);
	tcase_add_test(tc, frame);
	tcase_add_test(tc, padding);
	tcase_add_test(tc, data_digest_padding);
	tcase_add_test(tc, ahs_walk);
	tcase_add_test(tc, serial_arithmetic);
	suite_add_tcase(s, tc);
	return s;
}
