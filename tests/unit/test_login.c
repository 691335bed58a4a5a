/*
 * Login state machine (RFC 7143 6.3, 11.12, 11.13) driven by synthetic
 * Login Response PDUs. Responses are built here byte by byte from the RFC
 * 7143 11.13 layout, and our requests are read back byte by byte from the
 * 11.12 layout, so the PDU codec under test does not check itself.
 *
 * Proves: a login without authentication, one-way CHAP with each of the
 * four algorithms (the CHAP_R bytes equal openssl-CLI vectors), mutual
 * CHAP (success, wrong response, missing response, wrong name), a target
 * that skips security, text continuation both ways (C bit), every login
 * status class, redirects, garbage text and header violations, sequence
 * number bookkeeping, TSIH rules and a discovery session.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../checkmain.h"
#include "session/chap.h"
#include "session/login.h"
#include "util/log.h"

/* Every log line of the run, debug included: checked for secrets. */
static char logbuf[1 << 20];
static size_t loglen;

static void log_capture(int prio, const char *line, void *opaque)
{
	size_t n = strlen(line);

	if (loglen + n + 1 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, n);
		logbuf[loglen + n] = '\n';
		loglen += n + 1;
	}
}

static const uint8_t ISID[6] = {0x80, 0x12, 0x34, 0x56, 0x78, 0x9a};
#define ITT   0x00001000u
#define CMDSN 7u

static struct login L;
static struct login_config cfg;

/* One request as we sent it, decoded by hand (RFC 7143 11.12). */
struct req {
	uint8_t bhs[48];
	uint8_t data[8192];
	size_t len;
	bool t, c;
	unsigned int csg, nsg;
};

static void base_cfg(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "test";
	cfg.initiator_name = "iqn.2026-01.test:init";
	cfg.target_name = "iqn.2026-01.test:tgt";
	memcpy(cfg.isid, ISID, 6);
	cfg.itt = ITT;
	cfg.cmdsn = CMDSN;
	cfg.exp_statsn = 0;
}

static void start(void)
{
	ck_assert_int_eq(login_init(&L, &cfg), 0);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void next(struct req *r)
{
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(login_next_request(&L, r->bhs, r->data, sizeof(r->data), &r->len), 0);
	ck_assert_uint_eq(r->bhs[0], 0x43); /* I bit + Login Request */
	r->t = r->bhs[1] & 0x80;
	r->c = r->bhs[1] & 0x40;
	r->csg = (r->bhs[1] >> 2) & 3;
	r->nsg = r->bhs[1] & 3;
	ck_assert_uint_eq(r->bhs[2], 0); /* Version-max */
	ck_assert_uint_eq(r->bhs[3], 0); /* Version-min */
	ck_assert_uint_eq(r->bhs[4], 0);
	ck_assert_uint_eq((uint32_t)r->bhs[5] << 16 | r->bhs[6] << 8 | r->bhs[7], r->len);
	ck_assert_mem_eq(r->bhs + 8, ISID, 6);
	ck_assert_uint_eq(be32(r->bhs + 16), ITT);
	ck_assert_uint_eq(be32(r->bhs + 24), CMDSN); /* same CmdSN all login long */
	if (!r->t)
		ck_assert_uint_eq(r->nsg, 0);
}

static bool has(const struct req *r, const char *kv)
{
	/* Whole "key=value\0" entry. */
	size_t n = strlen(kv) + 1;

	for (size_t off = 0; off + n <= r->len;) {
		if (!memcmp(r->data + off, kv, n))
			return true;
		off += strnlen((const char *)r->data + off, r->len - off) + 1;
	}
	return false;
}

/* Value of key in our request text, or NULL. */
static const char *value_of(const struct req *r, const char *key)
{
	size_t kl = strlen(key);

	for (size_t off = 0; off < r->len;) {
		const char *s = (const char *)r->data + off;

		if (!strncmp(s, key, kl) && s[kl] == '=')
			return s + kl + 1;
		off += strnlen(s, r->len - off) + 1;
	}
	return NULL;
}

struct rsp {
	uint8_t flags; /* T C - - CSG NSG */
	uint16_t tsih;
	uint32_t statsn, exp_cmdsn, max_cmdsn;
	uint8_t cls, detail;
	uint8_t version_active;
	const uint8_t *isid;
};

#define F(t, c, csg, nsg) ((uint8_t)((t) << 7 | (c) << 6 | (csg) << 2 | (nsg)))

static int feed(const struct rsp *r, const void *data, size_t len)
{
	uint8_t b[48] = {0};

	b[0] = 0x23;
	b[1] = r->flags;
	b[2] = 0;
	b[3] = r->version_active;
	b[5] = (uint8_t)(len >> 16);
	b[6] = (uint8_t)(len >> 8);
	b[7] = (uint8_t)len;
	memcpy(b + 8, r->isid ? r->isid : ISID, 6);
	b[14] = (uint8_t)(r->tsih >> 8);
	b[15] = (uint8_t)r->tsih;
	b[16] = ITT >> 24;
	b[17] = (ITT >> 16) & 0xff;
	b[18] = (ITT >> 8) & 0xff;
	b[19] = ITT & 0xff;
	for (int i = 0; i < 4; i++) {
		b[24 + i] = (uint8_t)(r->statsn >> (24 - 8 * i));
		b[28 + i] = (uint8_t)(r->exp_cmdsn >> (24 - 8 * i));
		b[32 + i] = (uint8_t)(r->max_cmdsn >> (24 - 8 * i));
	}
	b[36] = r->cls;
	b[37] = r->detail;
	return login_handle_response(&L, b, data, len);
}

#define TXT(lit) (lit), (sizeof(lit) - 1)

/* A complete operational answer; T=1 to full feature. */
static const char op_answer[] =
	"HeaderDigest=None\0DataDigest=None\0MaxConnections=1\0"
	"InitialR2T=Yes\0ImmediateData=Yes\0"
	"MaxRecvDataSegmentLength=65536\0MaxBurstLength=262144\0"
	"FirstBurstLength=65536\0DefaultTime2Wait=2\0DefaultTime2Retain=20\0"
	"MaxOutstandingR2T=1\0DataPDUInOrder=Yes\0"
	"DataSequenceInOrder=Yes\0ErrorRecoveryLevel=0\0TargetAlias=disk\0";

static void finish_operational(uint32_t statsn)
{
	struct req q;
	struct rsp r = {.flags = F(1, 0, 1, 3),
			.tsih = 0x42,
			.statsn = statsn,
			.exp_cmdsn = CMDSN,
			.max_cmdsn = CMDSN + 31};

	next(&q);
	ck_assert(q.t);
	ck_assert_uint_eq(q.csg, 1);
	ck_assert_uint_eq(q.nsg, 3);
	ck_assert(has(&q, "MaxBurstLength=16776192"));
	ck_assert_uint_eq(be32(q.bhs + 28), statsn); /* ExpStatSN = previous StatSN + 1 */
	ck_assert_int_eq(feed(&r, TXT(op_answer)), LOGIN_DONE);
	ck_assert_int_eq(login_state(&L), LOGIN_ST_DONE);
	ck_assert_uint_eq(login_tsih(&L), 0x42);
	ck_assert_uint_eq(login_statsn(&L), statsn);
	ck_assert_uint_eq(login_exp_cmdsn(&L), CMDSN);
	ck_assert_uint_eq(login_max_cmdsn(&L), CMDSN + 31);
	ck_assert_uint_eq(login_params(&L)->target_max_recv_dsl, 65536);
	ck_assert(login_params(&L)->initial_r2t);
	ck_assert_str_eq(login_params(&L)->target_alias, "disk");
}

START_TEST(no_auth_login)
{
	struct req q;
	struct rsp r = {.flags = F(1, 0, 0, 1), .statsn = 100};
	uint8_t bhs[48], data[16];
	size_t len;

	base_cfg();
	start();
	ck_assert_int_eq(login_state(&L), LOGIN_ST_START);
	next(&q);
	ck_assert(q.t && !q.c);
	ck_assert_uint_eq(q.csg, 0);
	ck_assert_uint_eq(q.nsg, 1);
	ck_assert_uint_eq(be32(q.bhs + 28), 0);
	ck_assert(has(&q, "InitiatorName=iqn.2026-01.test:init"));
	ck_assert(has(&q, "TargetName=iqn.2026-01.test:tgt"));
	ck_assert(has(&q, "SessionType=Normal"));
	ck_assert(has(&q, "AuthMethod=None"));
	ck_assert(!has(&q, "MaxBurstLength=16776192")); /* operational keys come later */
	/* Calls must alternate. */
	ck_assert_int_eq(login_next_request(&L, bhs, data, sizeof(data), &len), -EINVAL);

	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0TargetPortalGroupTag=1\0")),
			 LOGIN_SEND_NEXT);
	ck_assert_int_eq(login_state(&L), LOGIN_ST_OPERATIONAL);
	finish_operational(101);
	ck_assert(login_params(&L)->tpgt_valid);
	ck_assert_uint_eq(login_params(&L)->tpgt, 1);
	ck_assert_int_eq(login_next_request(&L, bhs, data, sizeof(data), &len), -EINVAL);
	login_destroy(&L);
}
END_TEST

static const char *const chap_hex[] = {
	/* test_chap.c vector 1: CHAP_I 42, secret "my-chap-secret", challenge 00..0f (openssl dgst)
	 */
	[5] = "0xdb6d93b563dbe3bb574aa7b7757a9d65",
	[6] = "0x589e1a462b8dbe535005d2ecaf2a0f304ad18975",
	[7] = "0x35604a2a3d2bc10658f1480c7d3872a23a2d50ae1a100ee7eb618d78f8266783",
	[8] = "0x40d69916bcf4855da07614d8202df5259b7c30c9d418b4fa42f17939736f3d9a",
};

static void chap_cfg(void)
{
	static const uint8_t secret[] = "my-chap-secret";

	base_cfg();
	cfg.chap.user = "alice";
	cfg.chap.secret = secret;
	cfg.chap.secret_len = sizeof(secret) - 1;
}

/* Security stage up to our CHAP_R; returns the request carrying it. */
static void chap_until_response(int alg, struct req *q)
{
	struct rsp r = {.flags = F(0, 0, 0, 0), .statsn = 1};
	char text[256];
	int n;

	chap_history_clear(); /* every call replays the same challenge */
	next(q);
	ck_assert(!q->t); /* CHAP to do: no transit yet */
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=CHAP\0")), LOGIN_SEND_NEXT);
	ck_assert_int_eq(login_state(&L), LOGIN_ST_CHAP_A);
	next(q);
	ck_assert(!q->t);
	if (alg == 7)
		ck_assert(has(q, "CHAP_A=7")); /* configured explicitly */
	else
		ck_assert(has(q, "CHAP_A=8,6,5")); /* default: strongest first, no 7 (tgt) */
	ck_assert_uint_eq(be32(q->bhs + 28), 2);
	n = snprintf(text, sizeof(text),
		     "CHAP_A=%d%cCHAP_I=42%cCHAP_C=0x000102030405060708090a0b0c0d0e0f%c", alg, 0, 0,
		     0);
	r.statsn = 2;
	ck_assert_int_eq(feed(&r, text, (size_t)n), LOGIN_SEND_NEXT);
	ck_assert_int_eq(login_state(&L), LOGIN_ST_CHAP_R);
	next(q);
	ck_assert(q->t);
	ck_assert_uint_eq(q->nsg, 1);
	ck_assert(has(q, "CHAP_N=alice"));
	ck_assert_str_eq(value_of(q, "CHAP_R"), chap_hex[alg]);
}

START_TEST(chap_one_way)
{
	int alg = 5 + _i;
	struct req q;
	struct rsp r = {.flags = F(1, 0, 0, 1), .statsn = 3};

	chap_cfg();
	if (alg == 7)
		cfg.chap_algs[0] = 7;
	start();
	chap_until_response(alg, &q);
	ck_assert(!value_of(&q, "CHAP_C")); /* not mutual */
	ck_assert_int_eq(feed(&r, NULL, 0), LOGIN_SEND_NEXT);
	finish_operational(4);
	ck_assert_int_eq(login_params(&L)->auth_method, ISCSI_AUTH_METHOD_CHAP);
	login_destroy(&L);
}
END_TEST

START_TEST(chap_offer_first_request)
{
	struct req q;

	chap_cfg();
	start();
	next(&q);
	ck_assert(has(&q, "AuthMethod=CHAP,None"));
	login_destroy(&L);

	chap_cfg();
	cfg.auth_required = true;
	start();
	next(&q);
	ck_assert(has(&q, "AuthMethod=CHAP"));
	login_destroy(&L);
}
END_TEST

static const uint8_t tsecret[] = "target-secret-99";

static void mutual_cfg(void)
{
	chap_cfg();
	cfg.chap.mutual_user = "tgt";
	cfg.chap.mutual_secret = tsecret;
	cfg.chap.mutual_secret_len = sizeof(tsecret) - 1;
}

static int unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	ck_assert(s[0] == '0' && s[1] == 'x');
	for (s += 2; s[0] && s[1] && n < cap; s += 2) {
		unsigned int b;

		ck_assert_int_eq(sscanf(s, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
	}
	return (int)n;
}

/*
 * The target's CHAP_R to our CHAP_I/CHAP_C, computed as a target would:
 * one EVP_Digest call over id || secret || challenge in one buffer.
 */
static void target_response(const struct req *q, const char *mdname, bool corrupt, char *out,
			    size_t cap)
{
	uint8_t buf[256], md[64];
	unsigned int mdl = 0;
	const char *id = value_of(q, "CHAP_I");
	const char *chal = value_of(q, "CHAP_C");
	size_t sl = sizeof(tsecret) - 1;
	int cl;
	size_t o;

	ck_assert_ptr_nonnull(id);
	ck_assert_ptr_nonnull(chal);
	buf[0] = (uint8_t)atoi(id);
	memcpy(buf + 1, tsecret, sl);
	cl = unhex(chal, buf + 1 + sl, sizeof(buf) - 1 - sl);
	ck_assert_int_ge(cl, 16); /* RFC 7143 12.1.3 / our policy: >= 16 bytes */
	ck_assert_int_eq(
		EVP_Digest(buf, 1 + sl + (size_t)cl, md, &mdl, EVP_get_digestbyname(mdname), NULL),
		1);
	if (corrupt)
		md[0] ^= 1;
	o = (size_t)snprintf(out, cap, "CHAP_N=tgt%cCHAP_R=0x", 0);
	for (unsigned int i = 0; i < mdl; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", md[i]);
	out[o++] = '\0';
	out[o] = '\0';
}

static size_t text_len(const char *t)
{
	/* Two "key=value\0" entries. */
	size_t a = strlen(t) + 1;

	return a + strlen(t + a) + 1;
}

START_TEST(mutual_chap_ok)
{
	static const char *const mdnames[] = {"MD5", "SHA1", "SHA256", "SHA3-256"};
	struct req q;
	struct rsp r = {.flags = F(1, 0, 0, 1), .statsn = 3};
	char text[512];

	mutual_cfg();
	start();
	next(&q);
	ck_assert(has(&q, "AuthMethod=CHAP")); /* mutual implies CHAP required */
	login_destroy(&L);

	mutual_cfg();
	if (_i == 2)
		cfg.chap_algs[0] = 7;
	start();
	chap_until_response(5 + _i, &q);
	ck_assert_uint_eq(strlen(value_of(&q, "CHAP_C")), 2 + 2 * (_i < 2 ? (_i ? 20 : 16) : 32));
	target_response(&q, mdnames[_i], false, text, sizeof(text));
	ck_assert_int_eq(feed(&r, text, text_len(text)), LOGIN_SEND_NEXT);
	finish_operational(4);
	login_destroy(&L);
}
END_TEST

START_TEST(mutual_chap_wrong_response)
{
	struct req q;
	struct rsp r = {.flags = F(1, 0, 0, 1), .statsn = 3};
	char text[512];

	mutual_cfg();
	start();
	chap_until_response(8, &q);
	target_response(&q, "SHA3-256", true, text, sizeof(text));
	ck_assert_int_eq(feed(&r, text, text_len(text)), -EKEYREJECTED);
	ck_assert_int_eq(login_state(&L), LOGIN_ST_FAILED);
	ck_assert_int_eq(login_error(&L), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(login_error_message(&L), "mutual CHAP"));
	login_destroy(&L);

	/* The target keeps quiet about itself. */
	mutual_cfg();
	start();
	chap_until_response(8, &q);
	ck_assert_int_eq(feed(&r, NULL, 0), -EKEYREJECTED);
	login_destroy(&L);

	/* Right response, wrong name. */
	mutual_cfg();
	start();
	chap_until_response(8, &q);
	target_response(&q, "SHA3-256", false, text, sizeof(text));
	text[9] = 'X'; /* CHAP_N=tgX */
	ck_assert_int_eq(feed(&r, text, text_len(text)), -EKEYREJECTED);
	login_destroy(&L);

	/* Right response to the wrong algorithm's digest length. */
	mutual_cfg();
	start();
	chap_until_response(8, &q);
	target_response(&q, "MD5", false, text, sizeof(text));
	ck_assert_int_eq(feed(&r, text, text_len(text)), -EKEYREJECTED);
	login_destroy(&L);
}
END_TEST

/* A CHAP login up to the target's challenge; returns what feeding chal_hex gives. */
static int offer_challenge(const char *chal_hex)
{
	static char text[4096];
	struct rsp r = {.flags = F(0, 0, 0, 0), .statsn = 1};
	struct req q;
	int n;

	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=CHAP\0")), LOGIN_SEND_NEXT);
	next(&q);
	n = snprintf(text, sizeof(text), "CHAP_A=5%cCHAP_I=1%cCHAP_C=%s%c", 0, 0, chal_hex, 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	r.statsn = 2;
	return feed(&r, text, (size_t)n);
}

static void hex_challenge(char *out, size_t bytes, unsigned int seed)
{
	out += sprintf(out, "0x");
	for (size_t i = 0; i < bytes; i++)
		out += sprintf(out, "%02x", (unsigned int)((i * 7 + seed) & 0xff));
}

/* RFC 7143 12.1.3 on our side: challenges we refuse to answer, as auth failures. */
START_TEST(chap_challenge_hygiene)
{
	static char hex[2 * 1100 + 3];
	struct req q;
	const char *ours;

	chap_history_clear();
	/* Too short: 1 byte (issue 9), 15 bytes. */
	chap_cfg();
	ck_assert_int_eq(offer_challenge("0x01"), -EACCES);
	ck_assert_int_eq(login_error(&L), -EACCES);
	ck_assert_ptr_nonnull(strstr(login_error_message(&L), "1 bytes"));
	login_destroy(&L);
	hex_challenge(hex, 15, 1);
	chap_cfg();
	ck_assert_int_eq(offer_challenge(hex), -EACCES);
	login_destroy(&L);
	/* Too long: 1025 bytes. */
	hex_challenge(hex, 1025, 2);
	chap_cfg();
	ck_assert_int_eq(offer_challenge(hex), -EACCES);
	ck_assert_ptr_nonnull(strstr(login_error_message(&L), "longer than 1024"));
	login_destroy(&L);
	/* 16 and 1024 bytes are answered. */
	hex_challenge(hex, 16, 3);
	chap_cfg();
	ck_assert_int_eq(offer_challenge(hex), LOGIN_SEND_NEXT);
	login_destroy(&L);
	hex_challenge(hex, 1024, 4);
	chap_cfg();
	ck_assert_int_eq(offer_challenge(hex), LOGIN_SEND_NEXT);
	login_destroy(&L);
	/* The 16-byte challenge again, in a later login: a reused challenge. */
	hex_challenge(hex, 16, 3);
	chap_cfg();
	ck_assert_int_eq(offer_challenge(hex), -EACCES);
	ck_assert_ptr_nonnull(strstr(login_error_message(&L), "repeated"));
	login_destroy(&L);

	/* Reflection: login 2's target offers the challenge we issued in login 1. */
	mutual_cfg();
	start();
	chap_until_response(5, &q);
	ours = value_of(&q, "CHAP_C");
	ck_assert_ptr_nonnull(ours);
	snprintf(hex, sizeof(hex), "%s", ours);
	login_destroy(&L);
	mutual_cfg();
	ck_assert_int_eq(offer_challenge(hex), -EACCES);
	ck_assert_ptr_nonnull(strstr(login_error_message(&L), "reflection"));
	login_destroy(&L);
}
END_TEST

static bool inert(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* Issue 9 part 5: what the target wrote comes out of a login error escaped. */
START_TEST(hostile_text_in_errors)
{
	struct req q;
	struct rsp r = {.flags = F(0, 0, 0, 0), .statsn = 1};
	struct rsp rr = {.cls = 1, .detail = 1};

	/* A CHAP_A value quoted in the error. */
	chap_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=CHAP\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("CHAP_A=5\r\niscsi-nbd: forged\x1b[2J\0CHAP_I=1\0"
				      "CHAP_C=0x000102030405060708090a0b0c0d0e0f\0")),
			 -EPROTO);
	ck_assert_msg(inert(login_error_message(&L)), "raw byte in \"%s\"",
		      login_error_message(&L));
	ck_assert_ptr_nonnull(strstr(login_error_message(&L), "5\\x0d\\x0aiscsi-nbd"));
	login_destroy(&L);

	/* A redirect to an address with a control byte: refused, not followed. */
	base_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&rr, TXT("TargetAddress=10.0.0.2:3260,1\n10.6.6.6\0")), -EPROTO);
	ck_assert_int_eq(login_state(&L), LOGIN_ST_FAILED);
	ck_assert(inert(login_error_message(&L)));
	ck_assert_ptr_nonnull(strstr(login_error_message(&L), "3260,1\\x0a10.6.6.6"));
	login_destroy(&L);
	base_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&rr, TXT("TargetAddress=evil host:3260\0")), -EPROTO);
	login_destroy(&L);
}
END_TEST

START_TEST(chap_bad_target_choices)
{
	struct req q;
	struct rsp r = {.flags = F(0, 0, 0, 0), .statsn = 1};

	/* CHAP_A we did not offer. */
	chap_cfg();
	cfg.chap_algs[0] = CHAP_ALG_SHA256;
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=CHAP\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert(has(&q, "CHAP_A=7"));
	ck_assert_int_eq(feed(&r, TXT("CHAP_A=5\0CHAP_I=1\0CHAP_C=0x0102030405060708\0")), -EACCES);
	login_destroy(&L);

	/* CHAP_A=Reject: nothing in common. */
	chap_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=CHAP\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("CHAP_A=Reject\0")), -EACCES);
	login_destroy(&L);

	/* Missing challenge, bad identifier, empty challenge. */
	chap_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=CHAP\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("CHAP_A=5\0CHAP_I=1\0")), -EPROTO);
	login_destroy(&L);
	chap_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=CHAP\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("CHAP_A=5\0CHAP_I=256\0CHAP_C=0x01\0")), -EPROTO);
	login_destroy(&L);
	chap_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=CHAP\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("CHAP_A=5\0CHAP_I=1\0CHAP_C=0xzz\0")), -EPROTO);
	login_destroy(&L);

	/* Auth required, the target picks None: refused. */
	chap_cfg();
	cfg.auth_required = true;
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), -EACCES);
	login_destroy(&L);

	/* CHAP keys before AuthMethod was agreed. */
	chap_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("CHAP_A=5\0")), -EPROTO);
	login_destroy(&L);
}
END_TEST

START_TEST(target_skips_security)
{
	struct req q;
	struct rsp r = {.flags = F(0, 0, 0, 0), .statsn = 9};

	/* We offer CHAP,None; the target needs no authentication. */
	chap_cfg();
	start();
	next(&q);
	ck_assert(!q.t);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert(q.t);
	ck_assert_uint_eq(q.csg, 0);
	ck_assert_uint_eq(q.nsg, 1);
	ck_assert_uint_eq(q.len, 0);
	r.flags = F(1, 0, 0, 1);
	r.statsn = 10;
	ck_assert_int_eq(feed(&r, NULL, 0), LOGIN_SEND_NEXT);
	finish_operational(11);
	ck_assert_int_eq(login_params(&L)->auth_method, ISCSI_AUTH_METHOD_NONE);
	login_destroy(&L);

	/* A T=1 answer to our T=0 request is a violation (RFC 7143 11.13.6). */
	chap_cfg();
	start();
	next(&q);
	r.flags = F(1, 0, 0, 1);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), -EPROTO);
	login_destroy(&L);

	/* Straight to full feature from security: not what we asked. */
	base_cfg();
	start();
	next(&q);
	r.flags = F(1, 0, 0, 3);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), -EPROTO);
	login_destroy(&L);

	/* Mutual CHAP configured, target skips it: refused. */
	mutual_cfg();
	start();
	next(&q);
	r.flags = F(0, 0, 0, 0);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), -EACCES);
	login_destroy(&L);
}
END_TEST

START_TEST(target_text_continues)
{
	struct req q;
	struct rsp r = {.flags = F(1, 0, 0, 1), .statsn = 1};
	static const char part1[] = "HeaderDigest=No";
	static const char part2[] = "ne\0DataDigest=None\0TargetAlias=long\0";

	base_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert_uint_eq(q.csg, 1);
	/* Target: C=1, the pair split in the middle of a value. */
	r.flags = F(0, 1, 1, 0);
	r.statsn = 2;
	ck_assert_int_eq(feed(&r, TXT(part1)), LOGIN_SEND_NEXT);
	next(&q);
	/* We fetch the rest with an empty request, T=0 (RFC 7143 11.12.2). */
	ck_assert_uint_eq(q.len, 0);
	ck_assert(!q.t && !q.c);
	ck_assert_uint_eq(q.csg, 1);
	ck_assert_uint_eq(be32(q.bhs + 28), 3);
	r.flags = F(0, 0, 1, 0);
	r.statsn = 3;
	ck_assert_int_eq(feed(&r, TXT(part2)), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert(q.t);
	ck_assert_uint_eq(q.len, 0);
	r.flags = F(1, 0, 1, 3);
	r.tsih = 5;
	ck_assert_int_eq(feed(&r, NULL, 0), LOGIN_DONE);
	ck_assert(!login_params(&L)->header_digest);
	ck_assert_str_eq(login_params(&L)->target_alias, "long");
	login_destroy(&L);
}
END_TEST

START_TEST(our_text_continues)
{
	struct req q;
	struct rsp r = {.flags = F(0, 0, 0, 0), .statsn = 1};
	uint8_t whole[1024];
	size_t wl = 0;
	int parts = 0;

	base_cfg();
	cfg.max_send_data = 40;
	start();
	for (;;) {
		next(&q);
		ck_assert_uint_le(q.len, 40);
		memcpy(whole + wl, q.data, q.len);
		wl += q.len;
		parts++;
		if (!q.c)
			break;
		ck_assert(!q.t); /* C=1 forces T=0 */
		/* Each part is acknowledged with an empty response. */
		ck_assert_int_eq(feed(&r, NULL, 0), LOGIN_SEND_NEXT);
		r.statsn++;
	}
	ck_assert_int_gt(parts, 2);
	ck_assert(q.t); /* the last part carries the transit wish */
	memcpy(q.data, whole, wl);
	q.len = wl;
	ck_assert(has(&q, "InitiatorName=iqn.2026-01.test:init"));
	ck_assert(has(&q, "TargetName=iqn.2026-01.test:tgt"));
	ck_assert(has(&q, "AuthMethod=None"));
	login_destroy(&L);

	/* Answering a C=1 request with text is a violation. */
	base_cfg();
	cfg.max_send_data = 40;
	start();
	next(&q);
	ck_assert(q.c);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), -EPROTO);
	login_destroy(&L);

	/* Our data buffer too small for a chunk. */
	base_cfg();
	start();
	{
		uint8_t bhs[48], small[8];
		size_t len;

		ck_assert_int_eq(login_next_request(&L, bhs, small, sizeof(small), &len), -ENOSPC);
	}
	login_destroy(&L);
}
END_TEST

START_TEST(status_classes)
{
	static const struct {
		uint16_t status;
		int err;
		const char *words;
	} t[] = {
		{0x0200, -EBADE, "initiator error"},
		{0x0201, -EACCES, "authentication failure"},
		{0x0202, -EPERM, "authorization"},
		{0x0203, -ENOENT, "not found"},
		{0x0204, -ENODEV, "removed"},
		{0x0205, -EPROTONOSUPPORT, "version"},
		{0x0206, -EUSERS, "too many connections"},
		{0x0207, -EINVAL, "missing parameter"},
		{0x0208, -EXDEV, "cannot include"},
		{0x0209, -EOPNOTSUPP, "session type"},
		{0x020a, -ESRCH, "session does not exist"},
		{0x020b, -EBADRQC, "invalid request"},
		{0x0300, -EREMOTEIO, "target error"},
		{0x0301, -EAGAIN, "service unavailable"},
		{0x0302, -ENOBUFS, "out of resources"},
		{0x02ff, -EPROTO, "unknown"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct req q;
		struct rsp r = {.cls = (uint8_t)(t[i].status >> 8), .detail = (uint8_t)t[i].status};
		char hex[8];

		base_cfg();
		start();
		next(&q);
		ck_assert_int_eq(feed(&r, NULL, 0), t[i].err);
		ck_assert_int_eq(login_state(&L), LOGIN_ST_FAILED);
		ck_assert_uint_eq(login_status(&L), t[i].status);
		ck_assert_msg(strstr(login_error_message(&L), t[i].words) != NULL, "%s",
			      login_error_message(&L));
		snprintf(hex, sizeof(hex), "0x%04x", t[i].status);
		ck_assert_ptr_nonnull(strstr(login_error_message(&L), hex));
		ck_assert_int_eq(login_status_errno(t[i].status), t[i].err);
		login_destroy(&L);

		/* tgt sends rejections with ISID and ITT zeroed: same verdict. */
		base_cfg();
		start();
		next(&q);
		r.isid = (const uint8_t[6]){0};
		ck_assert_int_eq(feed(&r, NULL, 0), t[i].err);
		login_destroy(&L);
	}
	ck_assert_int_eq(login_status_errno(0), 0);
}
END_TEST

START_TEST(redirects)
{
	struct req q;
	struct rsp r = {.cls = 1, .detail = 1};

	base_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("TargetAddress=10.0.0.2:3260,1\0")), LOGIN_REDIRECT);
	ck_assert_int_eq(login_state(&L), LOGIN_ST_REDIRECT);
	ck_assert_str_eq(login_redirect_address(&L), "10.0.0.2:3260,1");
	ck_assert(!login_redirect_permanent(&L));
	ck_assert_uint_eq(login_status(&L), 0x0101);
	login_destroy(&L);

	base_cfg();
	start();
	next(&q);
	r.detail = 2;
	ck_assert_int_eq(feed(&r, TXT("TargetAddress=[fd00::2]:3261,7\0")), LOGIN_REDIRECT);
	ck_assert_str_eq(login_redirect_address(&L), "[fd00::2]:3261,7");
	ck_assert(login_redirect_permanent(&L));
	login_destroy(&L);

	/* No address, reserved detail, garbage. */
	base_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, NULL, 0), -EPROTO);
	login_destroy(&L);
	base_cfg();
	start();
	next(&q);
	r.detail = 3;
	ck_assert_int_eq(feed(&r, TXT("TargetAddress=10.0.0.2\0")), -EPROTO);
	login_destroy(&L);
	base_cfg();
	start();
	next(&q);
	r.detail = 1;
	ck_assert_int_eq(feed(&r, TXT("TargetAddress")), -EPROTO);
	login_destroy(&L);
}
END_TEST

START_TEST(garbage_text)
{
	static const struct {
		const char *text;
		size_t len;
	} g[] = {
		{TXT("no-equals-sign\0")},
		{TXT("AuthMethod=None")}, /* no final NUL */
		{TXT("=None\0")},
		{TXT("AuthMethod=None\0AuthMethod=None\0")},
		{TXT("InitiatorName=evil\0")},
		{TXT("MaxBurstLength=0x\0")},
		{TXT("CHAP_X=1\0")},
		{TXT("Auth\x01Method=None\0")},
		{TXT("\xff\xfe\xfd\0")},
	};

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct req q;
		struct rsp r = {.flags = F(1, 0, 0, 1)};

		base_cfg();
		start();
		next(&q);
		ck_assert_msg(feed(&r, g[i].text, g[i].len) < 0, "garbage %zu accepted", i);
		ck_assert_int_eq(login_state(&L), LOGIN_ST_FAILED);
		ck_assert_str_ne(login_error_message(&L), "");
		login_destroy(&L);
	}
}
END_TEST

START_TEST(header_violations)
{
	static const uint8_t other_isid[6] = {0x80, 0x12, 0x34, 0x56, 0x78, 0x9b};
	struct req q;
	struct rsp r = {.flags = F(1, 0, 0, 1)};
	uint8_t b[48];

	/* Another ISID. */
	base_cfg();
	start();
	next(&q);
	r.isid = other_isid;
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), -EPROTO);
	login_destroy(&L);
	r.isid = NULL;

	/* Version we do not speak. */
	base_cfg();
	start();
	next(&q);
	r.version_active = 1;
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), -EPROTO);
	login_destroy(&L);
	r.version_active = 0;

	/* Answer for the wrong stage. */
	base_cfg();
	start();
	next(&q);
	r.flags = F(1, 0, 1, 3);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), -EPROTO);
	login_destroy(&L);

	/* DataSegmentLength disagrees with the bytes handed over. */
	base_cfg();
	start();
	next(&q);
	memset(b, 0, sizeof(b));
	b[0] = 0x23;
	b[1] = 0x81;
	b[7] = 4;
	memcpy(b + 8, ISID, 6);
	b[18] = ITT >> 8;
	ck_assert_int_eq(login_handle_response(&L, b, (const uint8_t *)"ab=\0", 3), -EPROTO);
	login_destroy(&L);

	/* Not a Login Response at all (NOP-In opcode). */
	base_cfg();
	start();
	next(&q);
	b[0] = 0x20;
	ck_assert_int_eq(login_handle_response(&L, b, NULL, 0), -EPROTO);
	login_destroy(&L);

	/* A response before any request. */
	base_cfg();
	start();
	ck_assert_int_eq(feed(&r, NULL, 0), -EINVAL);
	ck_assert_int_eq(login_state(&L), LOGIN_ST_START);
	login_destroy(&L);
}
END_TEST

START_TEST(final_response_rules)
{
	struct req q;
	struct rsp r = {.flags = F(1, 0, 0, 1)};

	/* New session: the final response must assign a TSIH. */
	base_cfg();
	start();
	next(&q);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), LOGIN_SEND_NEXT);
	next(&q);
	r.flags = F(1, 0, 1, 3);
	ck_assert_int_eq(feed(&r, TXT(op_answer)), -EPROTO);
	login_destroy(&L);

	/* Reinstating an existing session: the TSIH must come back unchanged. */
	base_cfg();
	cfg.tsih = 0x1234;
	start();
	next(&q);
	ck_assert_uint_eq((uint32_t)q.bhs[14] << 8 | q.bhs[15], 0x1234);
	r.flags = F(1, 0, 0, 1);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert(!has(&q, "MaxBurstLength=16776192")); /* leading-only keys stay off */
	r.flags = F(1, 0, 1, 3);
	r.tsih = 0x1235;
	ck_assert_int_eq(feed(&r, NULL, 0), -EPROTO);
	login_destroy(&L);

	/* T=1 while offering a key that needs our answer. */
	base_cfg();
	start();
	next(&q);
	r.flags = F(1, 0, 0, 1);
	r.tsih = 0;
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), LOGIN_SEND_NEXT);
	next(&q);
	r.flags = F(1, 0, 1, 3);
	r.tsih = 9;
	ck_assert_int_eq(feed(&r, TXT("X-vendor.thing=1\0")), -EPROTO);
	login_destroy(&L);

	/* T=0 with a target offer: we answer it and ask again to finish. */
	base_cfg();
	start();
	next(&q);
	r.flags = F(1, 0, 0, 1);
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), LOGIN_SEND_NEXT);
	next(&q);
	r.flags = F(0, 0, 1, 0);
	ck_assert_int_eq(feed(&r, TXT("X-vendor.thing=1\0OFMarker=Yes\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert(q.t);
	ck_assert(has(&q, "X-vendor.thing=NotUnderstood"));
	ck_assert(has(&q, "OFMarker=No"));
	r.flags = F(1, 0, 1, 3);
	ck_assert_int_eq(feed(&r, TXT(op_answer)), LOGIN_DONE);
	login_destroy(&L);
}
END_TEST

START_TEST(stuck_target)
{
	struct req q;
	struct rsp r = {.flags = F(0, 0, 0, 0)};
	int ret = LOGIN_SEND_NEXT;
	int rounds = 0;

	/* A target that never moves on: bounded, not an endless loop. */
	chap_cfg();
	start();
	while (ret == LOGIN_SEND_NEXT && rounds < 100) {
		next(&q);
		ret = feed(&r, NULL, 0);
		rounds++;
	}
	ck_assert_int_eq(ret, -EPROTO);
	ck_assert_int_lt(rounds, 100);
	login_destroy(&L);
}
END_TEST

START_TEST(discovery_session)
{
	struct req q;
	struct rsp r = {.flags = F(1, 0, 0, 1)};

	base_cfg();
	cfg.target_name = NULL;
	start();
	next(&q);
	ck_assert(has(&q, "SessionType=Discovery"));
	ck_assert(!value_of(&q, "TargetName"));
	ck_assert_int_eq(feed(&r, TXT("AuthMethod=None\0")), LOGIN_SEND_NEXT);
	next(&q);
	ck_assert(!value_of(&q, "InitialR2T"));
	ck_assert(!value_of(&q, "MaxBurstLength"));
	ck_assert(has(&q, "HeaderDigest=None"));
	r.flags = F(1, 0, 1, 3);
	r.tsih = 1;
	ck_assert_int_eq(feed(&r, TXT("HeaderDigest=None\0DataDigest=None\0")), LOGIN_DONE);
	ck_assert(login_params(&L)->discovery);
	login_destroy(&L);
}
END_TEST

START_TEST(init_errors)
{
	static const uint8_t same[] = "my-chap-secret";

	base_cfg();
	cfg.initiator_name = NULL;
	ck_assert_int_eq(login_init(&L, &cfg), -EINVAL);
	ck_assert_str_ne(login_error_message(&L), "");

	chap_cfg();
	cfg.chap.secret_len = 0;
	ck_assert_int_eq(login_init(&L, &cfg), -EINVAL);

	/* RFC 7143 12.1.3: never the same secret both ways. */
	mutual_cfg();
	cfg.chap.mutual_secret = same;
	cfg.chap.mutual_secret_len = sizeof(same) - 1;
	ck_assert_int_eq(login_init(&L, &cfg), -EINVAL);
	ck_assert_ptr_nonnull(strstr(login_error_message(&L), "mutual"));

	chap_cfg();
	cfg.chap_algs[0] = 3; /* not a CHAP_A we know */
	ck_assert_int_eq(login_init(&L, &cfg), -EINVAL);
}
END_TEST

START_TEST(secrets_never_logged_or_kept)
{
	struct req q;
	char text[512];
	struct rsp r = {.flags = F(1, 0, 0, 1), .statsn = 3};

	mutual_cfg();
	start();
	chap_until_response(6, &q);
	target_response(&q, "SHA1", false, text, sizeof(text));
	ck_assert_int_eq(feed(&r, text, text_len(text)), LOGIN_SEND_NEXT);
	/* Nothing secret in any log line, debug included. */
	ck_assert_uint_gt(loglen, 0);
	ck_assert_ptr_null(memmem(logbuf, loglen, "my-chap-secret", 14));
	ck_assert_ptr_null(memmem(logbuf, loglen, "target-secret", 13));
	ck_assert_ptr_null(memmem(logbuf, loglen, chap_hex[6] + 2, 8)); /* our CHAP_R */
	ck_assert_ptr_null(
		memmem(logbuf, loglen, value_of(&q, "CHAP_C") + 2, 8));	    /* our challenge */
	ck_assert_ptr_null(memmem(logbuf, loglen, text + 20, 8));	    /* target's CHAP_R */
	ck_assert_ptr_null(memmem(logbuf, loglen, "0001020304050607", 16)); /* target's CHAP_C */
	login_destroy(&L);
	/* After destroy no trace of our response or challenge stays in the struct. */
	ck_assert_ptr_null(memmem(&L, sizeof(L), "0x589e1a46", 10));
	ck_assert_ptr_null(memmem(&L, sizeof(L), chap_hex[6] + 2, 8));
	{
		static const uint8_t zero[CHAP_DIGEST_MAX];

		ck_assert_mem_eq(L.chap.challenge, zero, sizeof(zero));
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("login");
	TCase *tc = tcase_create("core");

	/* All login debug output on, captured (and so kept off stderr). */
	log_debug_mask = LOG_SUB_LOGIN;
	log_max_priority = LOG_DEBUG;
	log_set_hook(log_capture, NULL);
	tcase_add_test(tc, no_auth_login);
	tcase_add_loop_test(tc, chap_one_way, 0, 4);
	tcase_add_test(tc, chap_offer_first_request);
	tcase_add_loop_test(tc, mutual_chap_ok, 0, 4);
	tcase_add_test(tc, mutual_chap_wrong_response);
	tcase_add_test(tc, chap_bad_target_choices);
	tcase_add_test(tc, chap_challenge_hygiene);
	tcase_add_test(tc, hostile_text_in_errors);
	tcase_add_test(tc, target_skips_security);
	tcase_add_test(tc, target_text_continues);
	tcase_add_test(tc, our_text_continues);
	tcase_add_test(tc, status_classes);
	tcase_add_test(tc, redirects);
	tcase_add_test(tc, garbage_text);
	tcase_add_test(tc, header_violations);
	tcase_add_test(tc, final_response_rules);
	tcase_add_test(tc, stuck_target);
	tcase_add_test(tc, discovery_session);
	tcase_add_test(tc, init_errors);
	tcase_add_test(tc, secrets_never_logged_or_kept);
	suite_add_tcase(s, tc);
	return s;
}
