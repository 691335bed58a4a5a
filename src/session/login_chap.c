/*
 * The login's security stage (RFC 7143 6.3, 12.1.3): AuthMethod, then
 * CHAP (RFC 1994, RFC 7143 12.1.3) in both directions. See login_int.h.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "session/iscsi_name.h"
#include "session/login.h"
#include "session/login_int.h"
#include "session/pdu.h"
#include "util/bytes.h"
#include "util/compiler.h"
#include "util/escape.h"
#include "util/log.h"
#include "util/statecheck.h"

/* ---- Security stage (RFC 7143 6.3, 12.1.3) ---- */

static int chap_offer_algs(struct login *l)
{
	char list[CHAP_ALGS_MAX * 4];
	size_t len = 0;
	struct iscsi_text_builder b;

	for (unsigned int i = 0; i < l->n_chap_algs; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%u", i ? "," : "",
					l->chap_algs[i]);
	iscsi_text_builder_init(&b, l->out, sizeof(l->out));
	b.len = l->out_len;
	if (iscsi_text_add(&b, "CHAP_A", list) < 0)
		return login_fail(l, -ENOSPC, "login text too long");
	l->out_len = b.len;
	login_set_state(l, LOGIN_ST_CHAP_A);
	return login_send_next(l, false, 0);
}

/* LOGIN_ST_SECURITY: waiting for AuthMethod and/or the end of the stage. */
int login_stage_security(struct login *l, const struct iscsi_pdu_login_rsp *rsp,
			 const struct chap_keys *ck)
{
	enum iscsi_auth_method am = iscsi_param_auth_method(&l->neg);

	if (ck->a || ck->i || ck->c || ck->n || ck->r)
		return login_fail(l, -EPROTO, "CHAP keys before AuthMethod=CHAP was agreed");
	if (am == ISCSI_AUTH_METHOD_CHAP) {
		if (rsp->transit)
			return login_fail(l, -EACCES,
					  "target chose CHAP but ended the security "
					  "stage without it");
		return chap_offer_algs(l);
	}
	if (am == ISCSI_AUTH_METHOD_UNSET && l->neg.cfg.auth == ISCSI_AUTH_CHAP && rsp->transit)
		return login_fail(l, -EACCES, "target skipped authentication, which we require");
	if (rsp->transit)
		return login_enter_stage(l, rsp->nsg);
	/* AuthMethod=None (or not answered yet): ask to move on. */
	return login_send_next(l,
			       am == ISCSI_AUTH_METHOD_NONE || l->neg.cfg.auth == ISCSI_AUTH_NONE,
			       ISCSI_PDU_STAGE_OPERATIONAL);
}

static int decode_binary(struct login *l, const char *name, const struct iscsi_text_pair *p,
			 uint8_t *out, size_t cap, size_t *len)
{
	int ret = iscsi_text_decode_binary(p->value, p->value_len, out, cap, len);

	if (ret < 0 || !*len)
		return login_fail(l, -EPROTO, "%s: not a binary value of 1..%zu bytes", name, cap);
	return 0;
}

/* LOGIN_ST_CHAP_A: the target's CHAP_A, CHAP_I, CHAP_C; we answer CHAP_N/CHAP_R. */
int login_chap_answer(struct login *l, const struct iscsi_pdu_login_rsp *rsp,
		      const struct chap_keys *ck)
{
	uint8_t chal[CHAP_CHALLENGE_MAX], resp[CHAP_DIGEST_MAX];
	struct iscsi_text_builder b;
	uint64_t alg, id;
	size_t clen = 0;
	bool offered = false;
	int ret, rl;

	if (rsp->transit)
		return login_fail(l, -EACCES, "target ended the security stage before CHAP");
	if (ck->a && iscsi_text_special(ck->a->value, ck->a->value_len) != ISCSI_TEXT_VAL_PLAIN)
		return login_fail(l, -EACCES, "target supports none of our CHAP algorithms (%s)",
				  ck->a->value);
	if (!ck->a || !ck->i || !ck->c)
		return login_fail(l, -EPROTO, "target sent no %s",
				  !ck->a   ? "CHAP_A"
				  : !ck->i ? "CHAP_I"
					   : "CHAP_C");
	if (iscsi_text_parse_number(ck->a->value, ck->a->value_len, &alg) < 0)
		return login_fail(l, -EPROTO, "CHAP_A=%s: not an algorithm number", ck->a->value);
	for (unsigned int i = 0; i < l->n_chap_algs; i++)
		if (l->chap_algs[i] == alg)
			offered = true;
	if (!offered)
		return login_fail(l, -EACCES, "target chose CHAP_A=%s, which we did not offer",
				  ck->a->value);
	if (iscsi_text_parse_number(ck->i->value, ck->i->value_len, &id) < 0 || id > 255)
		return login_fail(l, -EPROTO, "CHAP_I=%s: not an identifier 0..255", ck->i->value);
	/* RFC 7143 12.1.3 bounds CHAP_C at 1024 bytes: longer is refused as a challenge. */
	if (iscsi_text_decode_binary(ck->c->value, ck->c->value_len, chal, sizeof(chal), &clen) ==
	    -ENOSPC)
		return login_fail(
			l, -EACCES,
			"target's CHAP challenge is longer than %d bytes (RFC 7143 12.1.3)",
			CHAP_CHALLENGE_MAX);
	ret = decode_binary(l, "CHAP_C", ck->c, chal, sizeof(chal), &clen);
	if (ret < 0)
		return ret;
	ret = chap_ctx_set_alg(&l->chap, (int)alg);
	if (ret == 0)
		ret = chap_ctx_peer_challenge(&l->chap, chal, clen);
	OPENSSL_cleanse(chal, sizeof(chal));
	/* Each refusal is an authentication failure: the target is not one to answer. */
	if (ret == -EMSGSIZE)
		return login_fail(l, -EACCES,
				  "target's CHAP challenge is %zu bytes; we answer only %d to %d "
				  "(a short challenge lets a rogue target collect our answers)",
				  clen, CHAP_CHALLENGE_MIN, CHAP_CHALLENGE_MAX);
	if (ret == -EACCES)
		return login_fail(l, -EACCES,
				  "target sent our own CHAP challenge back (reflection, RFC 7143 "
				  "12.1.3)");
	if (ret == -EALREADY)
		return login_fail(l, -EACCES,
				  "target repeated a CHAP challenge seen in a recent login (a "
				  "challenge must never be reused, RFC 1994 2.3)");
	if (ret < 0)
		return login_fail(l, ret, "CHAP setup failed: %s", strerror(-ret));
	dbg(LOG_SUB_LOGIN, "%s: CHAP with %s, id %u, %zu-byte challenge", login_name(l),
	    chap_alg_name((int)alg), (unsigned int)id, clen);

	rl = chap_ctx_respond(&l->chap, (uint8_t)id, l->cfg.chap.secret, l->cfg.chap.secret_len,
			      resp, sizeof(resp));
	if (rl < 0)
		return login_fail(l, rl, "CHAP response failed: %s", strerror(-rl));
	iscsi_text_builder_init(&b, l->out, sizeof(l->out));
	b.len = l->out_len;
	iscsi_text_add(&b, "CHAP_N", l->cfg.chap.user);
	iscsi_text_add_binary_hex(&b, "CHAP_R", resp, (size_t)rl);
	OPENSSL_cleanse(resp, sizeof(resp));
	if (l->mutual) {
		ret = chap_ctx_make_challenge(&l->chap);
		if (ret < 0)
			return login_fail(l, ret, "cannot make a CHAP challenge: %s",
					  strerror(-ret));
		iscsi_text_add_u64(&b, "CHAP_I", l->chap.id);
		iscsi_text_add_binary_hex(&b, "CHAP_C", l->chap.challenge, l->chap.challenge_len);
	}
	if (b.err)
		return login_fail(l, b.err, "cannot build the CHAP answer: %s", strerror(-b.err));
	l->out_len = b.len;
	login_set_state(l, LOGIN_ST_CHAP_R);
	return login_send_next(l, true, ISCSI_PDU_STAGE_OPERATIONAL);
}

/* LOGIN_ST_CHAP_R: our answer is out; with mutual CHAP the target proves itself. */
int login_chap_verify(struct login *l, const struct iscsi_pdu_login_rsp *rsp,
		      const struct chap_keys *ck)
{
	uint8_t resp[CHAP_DIGEST_MAX];
	size_t rl = 0;
	int ret;

	if (ck->a || ck->i || ck->c)
		return login_fail(l, -EPROTO, "unexpected CHAP_A/CHAP_I/CHAP_C after our CHAP_R");
	if (l->mutual && !l->chap_verified) {
		if (!ck->n || !ck->r)
			return login_fail(l, -EKEYREJECTED,
					  "target did not authenticate itself (no CHAP_N/CHAP_R)");
		if (l->cfg.chap.mutual_user && strcmp(ck->n->value, l->cfg.chap.mutual_user))
			return login_fail(l, -EKEYREJECTED,
					  "target's CHAP_N is not the configured target user");
		/* A wrong length is a wrong response, not a syntax error. */
		if (iscsi_text_decode_binary(ck->r->value, ck->r->value_len, resp, sizeof(resp),
					     &rl) < 0)
			return login_fail(l, -EKEYREJECTED, "target's CHAP_R is malformed");
		ret = chap_ctx_verify(&l->chap, l->cfg.chap.mutual_secret,
				      l->cfg.chap.mutual_secret_len, resp, rl);
		OPENSSL_cleanse(resp, sizeof(resp));
		if (ret < 0)
			return login_fail(l, -EKEYREJECTED,
					  "mutual CHAP failed: the target's CHAP_R is wrong");
		l->chap_verified = true;
		dbg(LOG_SUB_LOGIN, "%s: target authenticated (mutual CHAP)", login_name(l));
	} else if (ck->n || ck->r) {
		return login_fail(l, -EPROTO, "target sent CHAP_N/CHAP_R we did not ask for");
	}
	if (rsp->transit)
		return login_enter_stage(l, rsp->nsg);
	return login_send_next(l, true, ISCSI_PDU_STAGE_OPERATIONAL);
}
