/*
 * Fuzz the login state machine with arbitrary Login Responses.
 *
 * Input: byte 0 picks the configuration (no auth, one-way CHAP, mutual
 * CHAP, discovery, small PDUs, non-leading). Then a sequence of messages,
 * each: 1 control byte, 48 BHS bytes, 2 bytes big-endian data length,
 * the data. Control bit 0 patches the BHS so the fuzzer gets past the
 * cheap checks (Login Response opcode, our ISID and ITT, the right
 * DataSegmentLength); without it the BHS goes in as given.
 *
 * Oracles besides the sanitizers:
 * - results are only LOGIN_SEND_NEXT / DONE / REDIRECT or a negative errno,
 *   and a negative result leaves the machine FAILED with a message;
 * - every request we build decodes with the PDU codec, carries our ISID,
 *   ITT and CmdSN, fits max_send_data, and has T=0 when C=1;
 * - after DONE, the negotiated values respect the RFC 7143 ranges and
 *   FirstBurstLength <= MaxBurstLength;
 * - after login_destroy() no CHAP secret bytes remain in the struct.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/login.h"
#include "session/pdu.h"
#include "util/escape.h"

/* Whether the peer's bytes, raw or escaped as str_escape() shows them, hold needle. */
static bool peer_sent(const uint8_t *data, size_t size, const uint8_t *needle)
{
	static char esc[4 * 65536 + 1];
	size_t n = strlen((const char *)needle);

	if (memmem(data, size, needle, n))
		return true;
	str_escape(esc, sizeof(esc), data, size);
	return strstr(esc, (const char *)needle) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t isid[6] = {0x80, 0, 0, 1, 2, 3};
static const uint8_t secret[] = "fuzz-initiator-secret";
static const uint8_t tsecret[] = "fuzz-target-secret";
static struct login L;

static void setup(uint8_t sel, struct login_config *c)
{
	memset(c, 0, sizeof(*c));
	c->name = "fuzz";
	c->initiator_name = "iqn.2026-01.fuzz:i";
	c->target_name = (sel & 8) ? NULL : "iqn.2026-01.fuzz:t";
	memcpy(c->isid, isid, 6);
	c->itt = 0x11223344;
	c->cmdsn = 0x55;
	c->tsih = (sel & 32) ? 0x77 : 0;
	c->max_send_data = (sel & 16) ? 24 : 0;
	if (sel & 3) {
		c->chap.user = "fuzzer";
		c->chap.secret = secret;
		c->chap.secret_len = sizeof(secret) - 1;
	}
	if ((sel & 3) == 2) {
		c->chap.mutual_user = "tgt";
		c->chap.mutual_secret = tsecret;
		c->chap.mutual_secret_len = sizeof(tsecret) - 1;
	}
	if ((sel & 3) == 3)
		c->auth_required = true;
	c->op.header_digest = (enum iscsi_digest_pref)((sel >> 6) & 3);
	c->op.data_digest = (enum iscsi_digest_pref)((sel >> 6) & 3);
}

static void check_request(const uint8_t *bhs, size_t len, const struct login_config *c)
{
	struct iscsi_pdu_login_req req;
	size_t max = c->max_send_data ? c->max_send_data : ISCSI_PDU_LOGIN_MAX_DSL;

	if (iscsi_pdu_dec_login_req(bhs, &req, NULL) != 0)
		abort();
	if (req.itt != c->itt || req.cmdsn != c->cmdsn || req.data_len != len || len > max ||
	    req.tsih != c->tsih || memcmp(bhs + 8, isid, 6) != 0)
		abort();
	if (req.cont && req.transit)
		abort();
	if (req.version_max != 0 || req.version_min != 0)
		abort();
}

static void check_done(void)
{
	const struct iscsi_params *p = login_params(&L);

	if (p->first_burst > p->max_burst || p->max_burst < 512 || p->max_burst > 0xffffff ||
	    p->target_max_recv_dsl < 512 || p->target_max_recv_dsl > 0xffffff ||
	    p->error_recovery_level != 0 || p->max_outstanding_r2t < 1 ||
	    p->default_time2wait > 3600 || p->default_time2retain > 3600 ||
	    strlen(p->target_alias) >= sizeof(p->target_alias))
		abort();
	if (login_tsih(&L) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[ISCSI_PDU_LOGIN_MAX_DSL];
	struct login_config c;
	size_t off = 1;
	int ret = 0;

	if (size < 1)
		return 0;
	setup(data[0], &c);
	if (login_init(&L, &c) != 0)
		abort();

	for (int round = 0; round < 64; round++) {
		uint8_t bhs[48];
		size_t olen = 0, dlen;
		uint8_t ctl;

		if (login_next_request(&L, bhs, out, sizeof(out), &olen) != 0)
			abort();
		check_request(bhs, olen, &c);
		if (size - off < 1 + 48 + 2)
			break;
		ctl = data[off++];
		memcpy(bhs, data + off, 48);
		off += 48;
		dlen = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (dlen > size - off)
			dlen = size - off;
		if (ctl & 1) {
			bhs[0] = 0x23;
			bhs[4] = 0;
			bhs[5] = (uint8_t)(dlen >> 16);
			bhs[6] = (uint8_t)(dlen >> 8);
			bhs[7] = (uint8_t)dlen;
			memcpy(bhs + 8, isid, 6);
			bhs[16] = 0x11;
			bhs[17] = 0x22;
			bhs[18] = 0x33;
			bhs[19] = 0x44;
			bhs[2] = bhs[3] = 0;
		}
		ret = login_handle_response(&L, bhs, data + off, dlen);
		off += dlen;
		if (ret == LOGIN_SEND_NEXT)
			continue;
		if (ret == LOGIN_DONE) {
			if (login_state(&L) != LOGIN_ST_DONE)
				abort();
			check_done();
		} else if (ret == LOGIN_REDIRECT) {
			if (login_state(&L) != LOGIN_ST_REDIRECT || !*login_redirect_address(&L))
				abort();
		} else if (ret < 0) {
			if (login_state(&L) != LOGIN_ST_FAILED || !*login_error_message(&L) ||
			    login_error(&L) != ret)
				abort();
		} else {
			abort();
		}
		break;
	}
	login_destroy(&L);
	/*
	 * Our secrets never land in the struct, unless the peer sent those
	 * bytes: as they are, or as their escaped form in an error message
	 * quotes them ("\xff" + "uzz-initiator-secret" spells the secret).
	 */
	if ((memmem(&L, sizeof(L), secret, sizeof(secret) - 1) && !peer_sent(data, size, secret)) ||
	    (memmem(&L, sizeof(L), tsecret, sizeof(tsecret) - 1) &&
	     !peer_sent(data, size, tsecret)))
		abort();
	return 0;
}
