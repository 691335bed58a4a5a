/*
 * Private to the login state machine (login.c: requests, responses, the
 * operational stage; login_chap.c: the security stage and CHAP). Nothing
 * else includes this.
 */
#ifndef ISN_SESSION_LOGIN_INT_H
#define ISN_SESSION_LOGIN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "session/login.h"
#include "session/pdu.h"
#include "session/text.h"
#include "util/compiler.h"

/* CHAP keys of one security-stage response: views into the text buffer. */
struct chap_keys {
	const struct iscsi_text_pair *a, *i, *c, *n, *r;
};

/* The name log lines carry. */
const char *login_name(const struct login *l);

/* The one place that changes (and logs) the state. */
void login_set_state(struct login *l, enum login_state st);

/* Fail the login with err (-errno) and a message; returns err (or the first error). */
int login_fail(struct login *l, int err, const char *fmt, ...) ISN_PRINTF(3, 4);

/* Another request follows, with these T bit and NSG: LOGIN_SEND_NEXT, or a failure. */
int login_send_next(struct login *l, bool transit, uint8_t nsg);

/* Both sides agreed to leave the current stage for nsg (RFC 7143 6.3). */
int login_enter_stage(struct login *l, uint8_t nsg);

/* The security stage's states (login_chap.c): each judges one complete response. */
int login_stage_security(struct login *l, const struct iscsi_pdu_login_rsp *rsp,
			 const struct chap_keys *ck);
int login_chap_answer(struct login *l, const struct iscsi_pdu_login_rsp *rsp,
		      const struct chap_keys *ck);
int login_chap_verify(struct login *l, const struct iscsi_pdu_login_rsp *rsp,
		      const struct chap_keys *ck);

#endif
