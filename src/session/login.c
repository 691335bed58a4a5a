/*
 * The login phase state machine (RFC 7143 6.3, 11.12, 11.13). See login.h
 * for the contract and the list of states.
 *
 * One function per state judges a complete response text (login_stage_security,
 * login_chap_answer, login_chap_verify, stage_operational); login_handle_response()
 * does the checks common to every response first (BHS, ISID/ITT echo,
 * status class, T/C bits, stages), and login_set_state() is the one place
 * that logs transitions.
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

/* Exchanges allowed within one stage before we call the target stuck. */
#define LOGIN_MAX_ROUNDS 16
/* Keys in one complete response text. */
#define LOGIN_MAX_PAIRS 256

static const char *const state_names[] = {
	[LOGIN_ST_START] = "START",
	[LOGIN_ST_SECURITY] = "SECURITY",
	[LOGIN_ST_CHAP_A] = "CHAP_A",
	[LOGIN_ST_CHAP_R] = "CHAP_R",
	[LOGIN_ST_OPERATIONAL] = "OPERATIONAL",
	[LOGIN_ST_DONE] = "DONE",
	[LOGIN_ST_REDIRECT] = "REDIRECT",
	[LOGIN_ST_FAILED] = "FAILED",
};

const char *login_state_name(enum login_state st)
{
	if ((unsigned int)st >= ARRAY_SIZE(state_names))
		return "?";
	return state_names[st];
}

const char *login_name(const struct login *l)
{
	return l->cfg.name ? l->cfg.name : "login";
}

/*
 * Legal transitions, from the code as it is: the first request opens the
 * security stage; AuthMethod=CHAP walks CHAP_A -> CHAP_R; the security
 * stage (or CHAP_R) ends in OPERATIONAL, which ends in DONE. A redirect
 * answers any request; any non-terminal state may fail (START when
 * login_init() refuses its configuration). DONE, REDIRECT and FAILED are
 * terminal.
 */
#define ST_BIT(st) (1u << (st))
#define LOGIN_ENDS (ST_BIT(LOGIN_ST_REDIRECT) | ST_BIT(LOGIN_ST_FAILED))
static const unsigned int login_legal[] = {
	[LOGIN_ST_START] = ST_BIT(LOGIN_ST_SECURITY) | ST_BIT(LOGIN_ST_FAILED),
	[LOGIN_ST_SECURITY] = ST_BIT(LOGIN_ST_CHAP_A) | ST_BIT(LOGIN_ST_OPERATIONAL) | LOGIN_ENDS,
	[LOGIN_ST_CHAP_A] = ST_BIT(LOGIN_ST_CHAP_R) | LOGIN_ENDS,
	[LOGIN_ST_CHAP_R] = ST_BIT(LOGIN_ST_OPERATIONAL) | LOGIN_ENDS,
	[LOGIN_ST_OPERATIONAL] = ST_BIT(LOGIN_ST_DONE) | LOGIN_ENDS,
	[LOGIN_ST_DONE] = 0,
	[LOGIN_ST_REDIRECT] = 0,
	[LOGIN_ST_FAILED] = 0,
};
_Static_assert(ARRAY_SIZE(login_legal) == ARRAY_SIZE(state_names), "a row per state");
/* login_init() starts from a zeroed struct login: that is START. */
_Static_assert(LOGIN_ST_START == 0, "a zeroed login is in START");

/* The one place a state changes: checked (debug builds) and logged at debug level. */
void login_set_state(struct login *l, enum login_state st)
{
	if (l->state == st)
		return;
	STATE_CHECK(login_legal[l->state] & ST_BIT(st), login_name(l), login_state_name(l->state),
		    login_state_name(st));
	dbg(LOG_SUB_LOGIN, "%s: login %s -> %s%s%s", login_name(l), login_state_name(l->state),
	    login_state_name(st), l->errmsg[0] ? ": " : "", l->errmsg);
	l->state = st;
}

int login_fail(struct login *l, int err, const char *fmt, ...)
{
	va_list ap;

	if (l->error)
		return l->error;
	va_start(ap, fmt);
	vsnprintf(l->errmsg, sizeof(l->errmsg), fmt, ap);
	va_end(ap);
	/* Messages quote the target's keys and values: no raw byte leaves here. */
	str_make_inert(l->errmsg, sizeof(l->errmsg));
	l->error = err;
	login_set_state(l, LOGIN_ST_FAILED);
	return err;
}

/* ---- Status classes (RFC 7143 11.13.5) ---- */

struct login_status_info {
	uint16_t status;
	int err;
	const char *msg;
};

static const struct login_status_info status_table[] = {
	{0x0000, 0, "success"},
	{0x0101, 0, "target moved temporarily"},
	{0x0102, 0, "target moved permanently"},
	{0x0200, -EBADE, "initiator error"},
	{0x0201, -EACCES, "authentication failure"},
	{0x0202, -EPERM, "authorization failure: initiator not allowed to access the target"},
	{0x0203, -ENOENT, "target not found"},
	{0x0204, -ENODEV, "target removed"},
	{0x0205, -EPROTONOSUPPORT, "unsupported iSCSI version"},
	{0x0206, -EUSERS, "too many connections"},
	{0x0207, -EINVAL, "missing parameter"},
	{0x0208, -EXDEV, "cannot include the connection in the session"},
	{0x0209, -EOPNOTSUPP, "session type not supported"},
	{0x020a, -ESRCH, "session does not exist"},
	{0x020b, -EBADRQC, "invalid request during login"},
	{0x0300, -EREMOTEIO, "target error"},
	{0x0301, -EAGAIN, "service unavailable"},
	{0x0302, -ENOBUFS, "target out of resources"},
};

static const struct login_status_info *status_find(uint16_t status)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_table); i++)
		if (status_table[i].status == status)
			return &status_table[i];
	return NULL;
}

int login_status_errno(uint16_t status)
{
	const struct login_status_info *s = status_find(status);

	return s ? s->err : -EPROTO;
}

const char *login_status_message(uint16_t status)
{
	const struct login_status_info *s = status_find(status);

	return s ? s->msg : "unknown login status";
}

/* ---- Setup ---- */

int login_init(struct login *l, const struct login_config *cfg)
{
	/*
	 * Strongest first, but without 7 (SHA-256): tgt (1.0.85, usr/iscsi/
	 * chap.c) accepts CHAP_A=7 and then computes SHA-1, so offering 7
	 * first makes every CHAP login to tgt fail. Configure 7 explicitly for
	 * targets that follow the IANA codes (LIO, SCST).
	 */
	static const uint8_t default_algs[] = {CHAP_ALG_SHA3_256, CHAP_ALG_SHA1, CHAP_ALG_MD5, 0};
	struct iscsi_param_config op;
	bool all_default = true;

	memset(l, 0, sizeof(*l)); /* state START */
	l->cfg = *cfg;
	iscsi_text_acc_init(&l->in, l->in_buf, sizeof(l->in_buf));
	if (!l->cfg.max_send_data)
		l->cfg.max_send_data = ISCSI_PDU_LOGIN_MAX_DSL;

	if (!cfg->initiator_name || !*cfg->initiator_name)
		return login_fail(l, -EINVAL, "no initiator name configured");
	if (cfg->chap.user && (!cfg->chap.secret || !cfg->chap.secret_len))
		return login_fail(l, -EINVAL, "CHAP user without a secret");
	if (cfg->chap.mutual_secret && cfg->chap.mutual_secret_len) {
		if (!cfg->chap.user)
			return login_fail(l, -EINVAL, "mutual CHAP needs one-way CHAP credentials");
		/*
		 * RFC 7143 12.1.3: a secret used to authenticate the initiator
		 * MUST NOT be used to authenticate the target; with the same
		 * secret a target could reflect our challenge.
		 */
		if (cfg->chap.mutual_secret_len == cfg->chap.secret_len &&
		    CRYPTO_memcmp(cfg->chap.mutual_secret, cfg->chap.secret,
				  cfg->chap.secret_len) == 0)
			return login_fail(l, -EINVAL,
					  "mutual CHAP secret equals the initiator's CHAP secret");
		l->mutual = true;
	}

	if (cfg->chap.user) {
		for (int i = 0; i < CHAP_ALGS_MAX; i++)
			if (cfg->chap_algs[i])
				all_default = false;
		for (int i = 0; i < CHAP_ALGS_MAX; i++) {
			int a = all_default ? default_algs[i] : cfg->chap_algs[i];

			if (!a)
				break;
			if (chap_alg_supported(a))
				l->chap_algs[l->n_chap_algs++] = (uint8_t)a;
		}
		if (!l->n_chap_algs)
			return login_fail(l, -EINVAL,
					  "none of the configured CHAP algorithms is "
					  "available");
	}

	op = cfg->op;
	op.initiator_name = cfg->initiator_name;
	op.initiator_alias = cfg->initiator_alias;
	op.target_name = cfg->target_name;
	op.leading = cfg->tsih == 0;
	if (!cfg->chap.user)
		op.auth = ISCSI_AUTH_NONE;
	else if (cfg->auth_required || l->mutual)
		op.auth = ISCSI_AUTH_CHAP;
	else
		op.auth = ISCSI_AUTH_CHAP_OPT;
	iscsi_param_init(&l->neg, &op, login_name(l));
	chap_ctx_init(&l->chap);

	/* RFC 7143 6.3: start in the security stage with its keys. */
	l->csg = ISCSI_PDU_STAGE_SECURITY;
	l->nsg = ISCSI_PDU_STAGE_OPERATIONAL;
	/* With nothing to authenticate we may ask to leave at once. */
	l->transit = op.auth == ISCSI_AUTH_NONE;
	l->exp_statsn = cfg->exp_statsn;
	if (iscsi_param_build_offer(&l->neg, ISCSI_PARAM_STAGE_SECURITY, l->out, sizeof(l->out),
				    &l->out_len) < 0)
		return login_fail(l, -ENOSPC, "login text too long");
	return 0;
}

void login_destroy(struct login *l)
{
	chap_ctx_wipe(&l->chap);
	/* Our CHAP_R, and the target's, may still be in the text buffers. */
	OPENSSL_cleanse(l->out, sizeof(l->out));
	OPENSSL_cleanse(l->in_buf, sizeof(l->in_buf));
	l->out_len = l->out_off = 0;
	iscsi_text_acc_reset(&l->in);
}

/* ---- Requests ---- */

static uint64_t isid_u64(const uint8_t isid[6])
{
	return (uint64_t)get_be16(isid) << 32 | get_be32(isid + 2);
}

int login_next_request(struct login *l, uint8_t bhs[48], uint8_t *data, size_t cap,
		       size_t *data_len)
{
	struct iscsi_pdu_login_req req;
	size_t left, chunk;

	if (l->state >= LOGIN_ST_DONE || l->await_response)
		return -EINVAL;
	if (l->state == LOGIN_ST_START)
		login_set_state(l, LOGIN_ST_SECURITY);

	left = l->out_len - l->out_off;
	chunk = MIN(left, (size_t)l->cfg.max_send_data);
	if (chunk > cap)
		return -ENOSPC;
	memset(&req, 0, sizeof(req));
	/*
	 * RFC 7143 11.12.2: text that does not fit goes out with C=1, and a
	 * PDU with C=1 must have T=0.
	 */
	req.cont = chunk < left;
	req.transit = l->transit && !req.cont;
	req.csg = l->csg;
	req.nsg = req.transit ? l->nsg : 0;
	req.version_max = 0;
	req.version_min = 0;
	req.data_len = (uint32_t)chunk;
	req.isid = isid_u64(l->cfg.isid);
	req.tsih = l->cfg.tsih;
	/* RFC 7143 11.12.8: login requests are immediate and all carry the same CmdSN. */
	req.itt = l->cfg.itt;
	req.cid = l->cfg.cid;
	req.cmdsn = l->cfg.cmdsn;
	req.exp_statsn = l->exp_statsn;
	if (iscsi_pdu_enc_login_req(bhs, &req) < 0)
		return -EINVAL;
	if (chunk)
		memcpy(data, l->out + l->out_off, chunk);
	l->out_off += chunk;
	*data_len = chunk;
	l->sent_cont = req.cont;
	l->sent_transit = req.transit;
	l->await_response = true;
	if (l->out_off == l->out_len) {
		/* Everything went out: forget it (it may hold our CHAP_R). */
		OPENSSL_cleanse(l->out, l->out_len);
		l->out_len = l->out_off = 0;
	}
	dbg(LOG_SUB_LOGIN, "%s: login request CSG %u%s%s NSG %u, %zu bytes", login_name(l), req.csg,
	    req.transit ? " T" : "", req.cont ? " C" : "", req.nsg, chunk);
	return 0;
}

/* Next request: our text (already in out), transiting to nsg if transit. */
int login_send_next(struct login *l, bool transit, uint8_t nsg)
{
	if (++l->rounds > LOGIN_MAX_ROUNDS)
		return login_fail(l, -EPROTO, "no progress after %d exchanges in login stage %u",
				  LOGIN_MAX_ROUNDS, l->csg);
	l->transit = transit;
	l->nsg = nsg;
	return LOGIN_SEND_NEXT;
}

/* ---- Response text ---- */

static bool is_chap_key(const struct iscsi_text_pair *p)
{
	return p->key_len > 5 && !memcmp(p->key, "CHAP_", 5);
}

/*
 * Feed every pair to the key table (answers land in out), collecting the
 * CHAP_ keys for the caller.
 */
static int process_pairs(struct login *l, const struct iscsi_text_pair *pairs, int n,
			 struct chap_keys *ck)
{
	enum iscsi_param_stage stage = l->csg == ISCSI_PDU_STAGE_SECURITY
					       ? ISCSI_PARAM_STAGE_SECURITY
					       : ISCSI_PARAM_STAGE_OPERATIONAL;

	for (int i = 0; i < n; i++) {
		const struct iscsi_text_pair *p = &pairs[i];
		char key[ISCSI_TEXT_KEY_MAX + 1];
		int ret;

		if (is_chap_key(p)) {
			const struct iscsi_text_pair **slot = NULL;

			if (stage != ISCSI_PARAM_STAGE_SECURITY)
				return login_fail(l, -EPROTO, "%.*s outside the security stage",
						  (int)p->key_len, p->key);
			if (iscsi_text_key_is(p, "CHAP_A"))
				slot = &ck->a;
			else if (iscsi_text_key_is(p, "CHAP_I"))
				slot = &ck->i;
			else if (iscsi_text_key_is(p, "CHAP_C"))
				slot = &ck->c;
			else if (iscsi_text_key_is(p, "CHAP_N"))
				slot = &ck->n;
			else if (iscsi_text_key_is(p, "CHAP_R"))
				slot = &ck->r;
			if (!slot)
				return login_fail(l, -EPROTO, "unknown CHAP key %.*s",
						  (int)p->key_len, p->key);
			if (*slot)
				return login_fail(l, -EPROTO, "%.*s sent twice", (int)p->key_len,
						  p->key);
			*slot = p;
			continue;
		}
		memcpy(key, p->key, p->key_len);
		key[p->key_len] = '\0';
		ret = iscsi_param_process(&l->neg, stage, key, p->value, l->out, sizeof(l->out),
					  &l->out_len);
		if (ret == -ENOSPC)
			return login_fail(l, -ENOSPC, "our answers exceed %d bytes",
					  LOGIN_TEXT_MAX);
		/* An AuthMethod we cannot accept means authentication is impossible. */
		if (ret < 0 && iscsi_text_key_is(p, "AuthMethod"))
			return login_fail(l, -EACCES, "authentication negotiation failed: %s",
					  l->neg.error);
		if (ret < 0)
			return login_fail(l, -EPROTO, "target negotiation error: %s", l->neg.error);
	}
	return 0;
}

/* ---- Operational stage and the end ---- */

/*
 * The target ended a stage, or the login, with T=1 (what says which):
 * RFC 7143 11.13.6, a T=1 response needs no further answer in its stage,
 * so it may not still offer keys that need one; and it may not have
 * skipped the mutual CHAP it owes us. 0 or the login's error.
 */
static int stage_end_check(struct login *l, const char *what)
{
	if (l->out_len)
		return login_fail(l, -EPROTO,
				  "target ended %s (T=1) while offering keys that need an answer",
				  what);
	if (l->mutual && !l->chap_verified)
		return login_fail(l, -EKEYREJECTED, "target skipped mutual authentication");
	return 0;
}

static int finish(struct login *l, const struct iscsi_pdu_login_rsp *rsp)
{
	int r = stage_end_check(l, "the login");

	if (r < 0)
		return r;
	if (iscsi_param_finish(&l->neg) < 0)
		return login_fail(l, -EPROTO, "negotiation failed: %s", l->neg.error);
	/* RFC 7143 11.13.3: a new session gets its TSIH in the final response. */
	if (l->cfg.tsih ? rsp->tsih != l->cfg.tsih : rsp->tsih == 0)
		return login_fail(l, -EPROTO, "final login response with TSIH %u (we sent %u)",
				  rsp->tsih, l->cfg.tsih);
	l->tsih = rsp->tsih;
	login_set_state(l, LOGIN_ST_DONE);
	return LOGIN_DONE;
}

/* Both sides agreed to leave the current stage for nsg (RFC 7143 6.3). */
int login_enter_stage(struct login *l, uint8_t nsg)
{
	int r = stage_end_check(l, "the security stage");

	if (r < 0)
		return r;
	if (l->neg.cfg.auth == ISCSI_AUTH_CHAP && !l->chap_verified && l->state != LOGIN_ST_CHAP_R)
		return login_fail(l, -EACCES, "target skipped authentication, which we require");
	/* We never ask for more than the operational stage from security. */
	if (nsg != ISCSI_PDU_STAGE_OPERATIONAL)
		return login_fail(l, -EPROTO, "target moves to stage %u from security", nsg);
	l->csg = nsg;
	l->rounds = 0;
	login_set_state(l, LOGIN_ST_OPERATIONAL);
	if (iscsi_param_build_offer(&l->neg, ISCSI_PARAM_STAGE_OPERATIONAL, l->out, sizeof(l->out),
				    &l->out_len) < 0)
		return login_fail(l, -ENOSPC, "login text too long");
	return login_send_next(l, true, ISCSI_PDU_STAGE_FULL_FEATURE);
}

/* LOGIN_ST_OPERATIONAL */
static int stage_operational(struct login *l, const struct iscsi_pdu_login_rsp *rsp)
{
	if (rsp->transit)
		return finish(l, rsp);
	return login_send_next(l, true, ISCSI_PDU_STAGE_FULL_FEATURE);
}

/* ---- Responses ---- */

static int take_redirect(struct login *l, const struct iscsi_pdu_login_rsp *rsp,
			 const uint8_t *data, size_t len)
{
	struct iscsi_text_pair pairs[LOGIN_MAX_PAIRS];
	const char *why = "no TargetAddress";
	int n = iscsi_text_parse((const char *)data, len, false, pairs, ARRAY_SIZE(pairs), NULL,
				 &why);

	if (rsp->status_detail != 1 && rsp->status_detail != 2)
		return login_fail(l, -EPROTO, "unknown redirect status 0x01%02x",
				  rsp->status_detail);
	for (int i = 0; i < n; i++) {
		if (!iscsi_text_key_is(&pairs[i], "TargetAddress"))
			continue;
		if (!pairs[i].value_len || pairs[i].value_len >= sizeof(l->redirect_addr))
			break;
		/* We connect to it and log it: only RFC 7143 13.8's characters. */
		if (iscsi_address_check(pairs[i].value, pairs[i].value_len, &why) < 0) {
			char esc[STR_ESC_VALUE_MAX];

			str_escape(esc, sizeof(esc), pairs[i].value, pairs[i].value_len);
			return login_fail(l, -EPROTO,
					  "redirect to an unusable TargetAddress '%s': %s", esc,
					  why);
		}
		memcpy(l->redirect_addr, pairs[i].value, pairs[i].value_len);
		l->redirect_addr[pairs[i].value_len] = '\0';
		l->redirect_permanent = rsp->status_detail == 2;
		login_set_state(l, LOGIN_ST_REDIRECT);
		return LOGIN_REDIRECT;
	}
	return login_fail(l, -EPROTO, "redirect without a usable TargetAddress (%s)",
			  n < 0 ? why : "none given");
}

/* Checks every response must pass, whatever the state. */
static int check_header(struct login *l, const uint8_t *bhs, size_t len,
			struct iscsi_pdu_login_rsp *rsp)
{
	const char *why = "?";

	if (iscsi_pdu_dec_login_rsp(bhs, rsp, &why) < 0)
		return login_fail(l, -EPROTO, "malformed Login Response: %s", why);
	if (rsp->data_len != len)
		return login_fail(l, -EPROTO,
				  "Login Response DataSegmentLength %u, %zu bytes given",
				  rsp->data_len, len);
	/*
	 * Rejections are judged by their status alone: tgt, for one, sends them
	 * with ISID and ITT zeroed.
	 */
	if (rsp->status_class == ISCSI_PDU_LOGIN_SUCCESS &&
	    (rsp->isid != isid_u64(l->cfg.isid) || rsp->itt != l->cfg.itt))
		return login_fail(l, -EPROTO, "Login Response for another ISID or ITT");
	l->statsn = rsp->statsn;
	l->exp_statsn = rsp->statsn + 1;
	l->exp_cmdsn = rsp->exp_cmdsn;
	l->max_cmdsn = rsp->max_cmdsn;
	l->status_class = rsp->status_class;
	l->status_detail = rsp->status_detail;
	return 0;
}

int login_handle_response(struct login *l, const uint8_t bhs[48], const uint8_t *data, size_t len)
{
	struct iscsi_text_pair pairs[LOGIN_MAX_PAIRS];
	struct iscsi_pdu_login_rsp rsp;
	struct chap_keys ck = {0};
	const char *why = "?";
	uint16_t status;
	int n, ret;

	if (l->state >= LOGIN_ST_DONE || !l->await_response)
		return -EINVAL;
	l->await_response = false;
	ret = check_header(l, bhs, len, &rsp);
	if (ret < 0)
		return ret;
	status = (uint16_t)(rsp.status_class << 8 | rsp.status_detail);
	if (rsp.status_class == ISCSI_PDU_LOGIN_REDIRECT)
		return take_redirect(l, &rsp, data, len);
	if (rsp.status_class != ISCSI_PDU_LOGIN_SUCCESS)
		return login_fail(l, login_status_errno(status),
				  "target rejected the login: %s (status 0x%04x)",
				  login_status_message(status), status);
	if (rsp.version_active != 0)
		return login_fail(l, -EPROTO, "target chose iSCSI version %u; we speak 0",
				  rsp.version_active);
	if (rsp.csg != l->csg)
		return login_fail(l, -EPROTO, "Login Response for stage %u while we are in %u",
				  rsp.csg, l->csg);
	/* RFC 7143 11.13.6: T=1 only in answer to T=1, to a stage we asked for or before it. */
	if (rsp.transit && (!l->sent_transit || rsp.nsg <= rsp.csg || rsp.nsg > l->nsg))
		return login_fail(l, -EPROTO, "target moves to stage %u without our agreement",
				  rsp.nsg);

	if (l->sent_cont) {
		/* Our text continues: the target acknowledges each part empty (6.2). */
		if (len || rsp.cont || rsp.transit)
			return login_fail(l, -EPROTO, "non-empty answer to a C=1 Login Request");
		return LOGIN_SEND_NEXT;
	}
	if (iscsi_text_acc_append(&l->in, data, len, rsp.cont) < 0)
		return login_fail(l, -ENOSPC, "target login text exceeds %d bytes", LOGIN_TEXT_MAX);
	if (rsp.cont) {
		/* RFC 7143 11.13: fetch the rest with an empty request (T=0). */
		l->transit = false;
		return LOGIN_SEND_NEXT;
	}
	n = iscsi_text_acc_parse(&l->in, pairs, ARRAY_SIZE(pairs), &why);
	if (n < 0) {
		iscsi_text_acc_reset(&l->in);
		return login_fail(l, -EPROTO, "garbage in login text: %s",
				  n == -ENOSPC ? "too many keys" : why);
	}
	l->out_len = l->out_off = 0;
	ret = process_pairs(l, pairs, n, &ck);
	if (ret == 0) {
		switch (l->state) {
		case LOGIN_ST_SECURITY:
			ret = login_stage_security(l, &rsp, &ck);
			break;
		case LOGIN_ST_CHAP_A:
			ret = login_chap_answer(l, &rsp, &ck);
			break;
		case LOGIN_ST_CHAP_R:
			ret = login_chap_verify(l, &rsp, &ck);
			break;
		case LOGIN_ST_OPERATIONAL:
			ret = stage_operational(l, &rsp);
			break;
		default:
			ret = login_fail(l, -EINVAL, "login in state %s",
					 login_state_name(l->state));
			break;
		}
	}
	/* The target's CHAP_R / CHAP_C are of no use any more. */
	OPENSSL_cleanse(l->in_buf, l->in.len);
	iscsi_text_acc_reset(&l->in);
	return ret;
}

/* ---- Accessors ---- */

enum login_state login_state(const struct login *l)
{
	return l->state;
}

int login_error(const struct login *l)
{
	return l->error;
}

const char *login_error_message(const struct login *l)
{
	return l->errmsg;
}

const struct iscsi_params *login_params(const struct login *l)
{
	return &l->neg.params;
}

uint16_t login_tsih(const struct login *l)
{
	return l->tsih;
}

uint32_t login_statsn(const struct login *l)
{
	return l->statsn;
}

uint32_t login_exp_cmdsn(const struct login *l)
{
	return l->exp_cmdsn;
}

uint32_t login_max_cmdsn(const struct login *l)
{
	return l->max_cmdsn;
}

const char *login_redirect_address(const struct login *l)
{
	return l->redirect_addr;
}

bool login_redirect_permanent(const struct login *l)
{
	return l->redirect_permanent;
}

uint16_t login_status(const struct login *l)
{
	return (uint16_t)(l->status_class << 8 | l->status_detail);
}
