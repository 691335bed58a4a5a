/*
 * Fuzz the PDU codec with arbitrary bytes, as a peer could send them.
 * Input: byte 0 selects the receive parameters (digests, direction, limit),
 * the rest is a PDU: 48 bytes of BHS, then AHS / data as far as it goes.
 *
 * Oracles besides the sanitizers:
 * - framing never reports more than the 24-bit DSL allows, and never a
 *   DSL above the limit it was given;
 * - every message a decoder accepts re-encodes, and decoding that again
 *   gives the same message (the codec is consistent with itself);
 * - AHS iteration stays inside the area it was given.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROUNDTRIP(name, bhs)                                                                       \
	do {                                                                                       \
		struct iscsi_pdu_##name a_, b_;                                                    \
		uint8_t enc_[ISCSI_PDU_BHS_LEN];                                                   \
		memset(&a_, 0, sizeof(a_));                                                        \
		memset(&b_, 0, sizeof(b_));                                                        \
		if (iscsi_pdu_dec_##name(bhs, &a_, NULL) == 0) {                                   \
			if (iscsi_pdu_enc_##name(enc_, &a_) != 0)                                  \
				abort();                                                           \
			if (iscsi_pdu_dec_##name(enc_, &b_, NULL) != 0)                            \
				abort();                                                           \
			if (memcmp(&a_, &b_, sizeof(a_)) != 0)                                     \
				abort();                                                           \
		}                                                                                  \
	} while (0)

static void walk_ahs(const uint8_t *p, size_t len)
{
	struct iscsi_pdu_ahs_iter it;
	struct iscsi_pdu_ahs a;
	uint8_t cdb[ISCSI_PDU_CDB_MAX];
	static const uint8_t bhs_cdb[16];
	const char *why = NULL;
	int r;

	iscsi_pdu_ahs_iter_init(&it, p, len);
	while ((r = iscsi_pdu_ahs_next(&it, &a, &why)) == 1) {
		if (a.data < p || a.data + a.data_len > p + len)
			abort();
		if (a.type == ISCSI_PDU_AHS_EXT_CDB)
			(void)iscsi_pdu_ext_cdb_join(bhs_cdb, &a, cdb, sizeof(cdb));
	}
	if (r < 0 && !why)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iscsi_pdu_rx_params p;
	struct iscsi_pdu_frame f;
	struct iscsi_pdu_target_msg t;
	struct iscsi_pdu_initiator_msg i;
	const uint8_t *bhs, *rest;
	size_t rest_len;
	const char *why = NULL;

	if (size < 1 + ISCSI_PDU_BHS_LEN)
		return 0;
	p.header_digest = data[0] & 1;
	p.data_digest = data[0] & 2;
	p.from_initiator = data[0] & 4;
	p.max_recv_dsl = (data[0] & 8) ? ISCSI_PDU_LOGIN_MAX_DSL : 262144;
	bhs = data + 1;
	rest = bhs + ISCSI_PDU_BHS_LEN;
	rest_len = size - 1 - ISCSI_PDU_BHS_LEN;

	if (iscsi_pdu_frame(bhs, &p, &f, &why) == 0) {
		if (f.data_len > p.max_recv_dsl || f.ahs_len > ISCSI_PDU_AHS_MAX ||
		    f.rest_len != f.data_off + f.data_len + f.pad_len + f.data_digest_len)
			abort();
		/* Whatever of the PDU the input holds, treat it as received. */
		if (f.ahs_len <= rest_len)
			walk_ahs(rest, f.ahs_len);
		if (f.hdr_digest_len && f.data_off <= rest_len)
			(void)iscsi_pdu_verify_hdr(bhs, ISCSI_PDU_BHS_LEN + f.ahs_len,
						   rest + f.ahs_len);
		if ((size_t)f.data_off + f.data_len + f.pad_len + f.data_digest_len <= rest_len) {
			const uint8_t *d = rest + f.data_off;
			const uint8_t *sense;
			size_t sense_len;

			if (f.data_digest_len)
				(void)iscsi_pdu_verify_data(d, f.data_len, d + f.data_len,
							    d + f.data_len + f.pad_len);
			if (iscsi_pdu_sense(d, f.data_len, &sense, &sense_len, NULL) == 0 &&
			    sense_len && (sense < d || sense + sense_len > d + f.data_len))
				abort();
		}
	} else if (!why) {
		abort();
	}
	/* Any AHS-shaped bytes, regardless of the header. */
	walk_ahs(rest, rest_len & ~(size_t)3);

	{
		char line[80];

		if (strlen(iscsi_pdu_describe(bhs, line, sizeof(line))) >= sizeof(line))
			abort();
	}
	why = NULL;
	if (iscsi_pdu_dec_target(bhs, &t, &why) < 0 && !why)
		abort();
	why = NULL;
	if (iscsi_pdu_dec_initiator(bhs, &i, &why) < 0 && !why)
		abort();

	ROUNDTRIP(nop_out, bhs);
	ROUNDTRIP(scsi_cmd, bhs);
	ROUNDTRIP(tmf_req, bhs);
	ROUNDTRIP(login_req, bhs);
	ROUNDTRIP(text_req, bhs);
	ROUNDTRIP(data_out, bhs);
	ROUNDTRIP(logout_req, bhs);
	ROUNDTRIP(snack_req, bhs);
	ROUNDTRIP(nop_in, bhs);
	ROUNDTRIP(scsi_rsp, bhs);
	ROUNDTRIP(tmf_rsp, bhs);
	ROUNDTRIP(login_rsp, bhs);
	ROUNDTRIP(text_rsp, bhs);
	ROUNDTRIP(data_in, bhs);
	ROUNDTRIP(logout_rsp, bhs);
	ROUNDTRIP(r2t, bhs);
	ROUNDTRIP(async_msg, bhs);
	ROUNDTRIP(reject, bhs);
	return 0;
}
