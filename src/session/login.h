/*
 * The iSCSI login phase (RFC 7143 6.3, 11.12, 11.13) as a pure state
 * machine: no sockets, no event loop, no allocation. The session engine
 * moves bytes; this module decides what every Login Request carries and
 * judges every Login Response.
 *
 * Driving it (one connection attempt; the caller owns struct login):
 *
 *	login_init(&l, &cfg);
 *	for (;;) {
 *		login_next_request(&l, bhs, data, cap, &dlen);   -> send bhs + data (+ pad)
 *		read a Login Response: bhs + DataSegmentLength bytes of data
 *		r = login_handle_response(&l, bhs, data, dlen);
 *		if (r == LOGIN_SEND_NEXT) continue;
 *		if (r == LOGIN_DONE)      -> login_params(), login_tsih(), login_statsn() ...
 *		if (r == LOGIN_REDIRECT)  -> close, reconnect to login_redirect_address()
 *		if (r < 0)                -> close; login_error_message() says why
 *		break;
 *	}
 *	login_destroy(&l);   (always: cleanses secrets' derived data)
 *
 * Calls must alternate: next_request, handle_response, next_request ...;
 * out of order returns -EINVAL. After DONE, REDIRECT or an error, both
 * return -EINVAL (the first error code stays in login_error()).
 *
 * What the state machine does:
 * - Security stage (CSG 0): first PDU carries InitiatorName, SessionType,
 *   TargetName (normal sessions), InitiatorAlias, AuthMethod. With CHAP:
 *   CHAP_A offer, then CHAP_N/CHAP_R (+ CHAP_I/CHAP_C when mutual) to the
 *   target's CHAP_A/CHAP_I/CHAP_C, then the target's CHAP_N/CHAP_R is
 *   verified. A target choosing AuthMethod=None, or transiting at once,
 *   skips CHAP (refused when auth is required or mutual CHAP configured).
 * - Operational stage (CSG 1): the key table of param.h, offered with
 *   T=1 NSG=3; target offers are answered; ends on T=1 NSG=3 = full
 *   feature phase.
 * - Text spanning PDUs (C bit, RFC 7143 6.2 and 11.12.2): a target response
 *   with C=1 is answered with an empty request and its text accumulated;
 *   our own text longer than max_send_data goes out in several C=1 PDUs.
 * - Status classes (RFC 7143 11.13.5): 1 = redirect (0x0101 temporary,
 *   0x0102 permanent) with TargetAddress; 2 and 3 map to distinct errnos,
 *   see login_status_errno().
 * - Sequence numbers (RFC 7143 11.12.8-9, 11.13.4): every Login Request is
 *   immediate and carries the same ITT, CID and CmdSN; ExpStatSN is the
 *   StatSN of the last response + 1 (the configured value before the first).
 *
 * Errors (negative returns of login_handle_response):
 *   -EPROTO     the target broke the protocol (bad BHS, illegal key/answer,
 *               stage or T-bit violation, garbage text)
 *   -EKEYREJECTED  mutual CHAP: the target's CHAP_N/CHAP_R is wrong
 *   -EACCES     auth impossible (target wants an AuthMethod/CHAP_A we did not
 *               offer, reflected challenge, auth required but skipped) or
 *               target status 0x0201
 *   -ENOSPC     text larger than LOGIN_TEXT_MAX
 *   others      from login_status_errno() for status classes 2 and 3
 * Messages never contain secrets, responses or challenges. Login itself
 * logs transitions at debug level only (LOG_SUB_LOGIN); the caller logs the
 * failure once, with login_error_message().
 */
#ifndef ISN_SESSION_LOGIN_H
#define ISN_SESSION_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/chap.h"
#include "session/param.h"
#include "session/text.h"

/*
 * Largest login text, either direction, over all PDUs of one exchange.
 * struct login is therefore ~34 KiB: embed it in a heap object, not on a stack.
 */
#define LOGIN_TEXT_MAX 16384

/* Positive results of login_handle_response(). */
enum login_result {
	LOGIN_SEND_NEXT = 1, /* call login_next_request() and send it */
	LOGIN_DONE = 2,	     /* full feature phase reached */
	LOGIN_REDIRECT = 3,  /* status class 1: reconnect to login_redirect_address() */
};

/*
 * States, in order of a normal login. Every transition is logged by one
 * function (login.c: login_set_state) with the configured name.
 *   LOGIN_ST_START       nothing sent yet
 *   LOGIN_ST_SECURITY    security stage, AuthMethod offered / answered
 *   LOGIN_ST_CHAP_A      CHAP_A offered, waiting for CHAP_A/CHAP_I/CHAP_C
 *   LOGIN_ST_CHAP_R      our CHAP_R sent, waiting for the stage to end
 *                        (and the target's CHAP_N/CHAP_R when mutual)
 *   LOGIN_ST_OPERATIONAL operational stage
 *   LOGIN_ST_DONE        full feature phase (terminal)
 *   LOGIN_ST_REDIRECT    status class 1 (terminal)
 *   LOGIN_ST_FAILED      error (terminal)
 */
enum login_state {
	LOGIN_ST_START,
	LOGIN_ST_SECURITY,
	LOGIN_ST_CHAP_A,
	LOGIN_ST_CHAP_R,
	LOGIN_ST_OPERATIONAL,
	LOGIN_ST_DONE,
	LOGIN_ST_REDIRECT,
	LOGIN_ST_FAILED,
};

const char *login_state_name(enum login_state st);

struct login_config {
	const char *name; /* log prefix, e.g. "path1 sess3"; borrowed */

	const char *initiator_name;  /* required; borrowed until login_destroy() */
	const char *initiator_alias; /* NULL: not sent */
	const char *target_name;     /* NULL: Discovery session (SessionType=Discovery) */

	uint8_t isid[6]; /* stable per path, so a relogin reinstates (RFC 7143 4.4.3) */
	uint16_t tsih;	 /* 0 for a new session */
	uint16_t cid;
	uint32_t itt;	     /* Initiator Task Tag of all login PDUs */
	uint32_t cmdsn;	     /* initial CmdSN (leading login) */
	uint32_t exp_statsn; /* ExpStatSN of the first request (0 on a new connection) */

	/* CHAP (chap.h): chap.user NULL is AuthMethod=None. Borrowed until login_destroy(). */
	struct chap_creds chap;
	bool auth_required; /* offer CHAP only (implied by mutual CHAP) */
	/*
	 * CHAP_A offer, strongest first, 0-terminated. All zero = 8,6,5 (those
	 * this OpenSSL supports): 7 is left out by default because tgt takes
	 * CHAP_A=7 to mean SHA-1 and fails every such login (see login.c).
	 */
	uint8_t chap_algs[CHAP_ALGS_MAX];

	/*
	 * Operational proposals: only the digest and number fields are read;
	 * names, session type and AuthMethod come from the fields above.
	 */
	struct iscsi_param_config op;

	/* Largest data segment per Login Request; 0 = 8192 (RFC 7143 13.12 default). */
	uint32_t max_send_data;
};

struct login {
	struct login_config cfg; /* copy; pointers borrowed */
	enum login_state state;
	int error;	  /* first negative result, 0 if none */
	char errmsg[256]; /* human message for error, "" if none */

	struct iscsi_negotiation neg;
	struct chap_ctx chap;
	uint8_t chap_algs[CHAP_ALGS_MAX]; /* our CHAP_A offer, supported ones only */
	unsigned int n_chap_algs;
	bool mutual;	    /* we authenticate the target too */
	bool chap_verified; /* the target's CHAP_R matched */

	/* Request side. */
	bool await_response; /* a request went out, its response is due */
	uint8_t csg, nsg;    /* stage of the next request and where we want to go */
	bool transit;	     /* T bit we want once our text is all out */
	bool sent_transit;   /* the last request carried T=1 */
	bool sent_cont;	     /* the last request carried C=1: its response must be empty */
	char out[LOGIN_TEXT_MAX];
	size_t out_len, out_off; /* text to send, and how much went out */
	unsigned int rounds;	 /* exchanges in the current stage, bounded */
	uint32_t exp_statsn;

	/* Response side: text of a response spanning PDUs (C bit). */
	struct iscsi_text_acc in;
	char in_buf[LOGIN_TEXT_MAX];

	/* Outcome. */
	uint16_t tsih;
	uint32_t statsn, exp_cmdsn, max_cmdsn;
	uint8_t status_class, status_detail;
	bool redirect_permanent;
	char redirect_addr[ISCSI_PARAM_STR_MAX];
};

/*
 * Prepare a login. Returns 0 or -EINVAL (no initiator name, CHAP user
 * without secret, mutual secret equal to our secret: RFC 7143 12.1.3 says
 * a secret for initiator authentication MUST NOT be used for target
 * authentication, no CHAP algorithm available). On error login_error_message()
 * says why.
 */
int login_init(struct login *l, const struct login_config *cfg);

/*
 * Build the next Login Request: 48 bytes into bhs, the data segment into
 * data (cap bytes; up to max_send_data are used), its length into
 * *data_len. The caller sends the BHS, the data and the pad to 4 bytes (no
 * digests during login). Returns 0, -EINVAL (out of order, terminal
 * state) or -ENOSPC (cap smaller than the chunk to send).
 */
int login_next_request(struct login *l, uint8_t bhs[48], uint8_t *data, size_t cap,
		       size_t *data_len);

/*
 * Judge a Login Response: bhs (48 bytes) and its data segment (exactly
 * DataSegmentLength bytes, no pad). Returns LOGIN_SEND_NEXT, LOGIN_DONE,
 * LOGIN_REDIRECT or a negative errno (see the top of this file).
 */
int login_handle_response(struct login *l, const uint8_t bhs[48], const uint8_t *data, size_t len);

/* Wipe everything derived from secrets. Safe to call twice. */
void login_destroy(struct login *l);

enum login_state login_state(const struct login *l);
int login_error(const struct login *l);			/* 0 or the first error */
const char *login_error_message(const struct login *l); /* "" if none */

/* After LOGIN_DONE. */
const struct iscsi_params *login_params(const struct login *l);
uint16_t login_tsih(const struct login *l);
uint32_t login_statsn(const struct login *l);	 /* StatSN of the final response */
uint32_t login_exp_cmdsn(const struct login *l); /* CmdSN window from the final response */
uint32_t login_max_cmdsn(const struct login *l);

/* After LOGIN_REDIRECT: "host:port,tpgt" as the target sent it (RFC 7143 13.8). */
const char *login_redirect_address(const struct login *l);
bool login_redirect_permanent(const struct login *l);

/* Status-Class << 8 | Status-Detail of the last response. */
uint16_t login_status(const struct login *l);

/*
 * Map a login status (RFC 7143 11.13.5) to an errno and a message:
 * 0x0200 -EBADE, 0x0201 -EACCES, 0x0202 -EPERM, 0x0203 -ENOENT,
 * 0x0204 -ENODEV, 0x0205 -EPROTONOSUPPORT, 0x0206 -EUSERS, 0x0207 -EINVAL,
 * 0x0208 -EXDEV, 0x0209 -EOPNOTSUPP, 0x020a -ESRCH, 0x020b -EBADRQC,
 * 0x0300 -EREMOTEIO, 0x0301 -EAGAIN (service unavailable), 0x0302 -ENOBUFS
 * (out of resources); anything else -EPROTO. Success 0, class 1 0.
 */
int login_status_errno(uint16_t status);
const char *login_status_message(uint16_t status);

#endif
