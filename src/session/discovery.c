/*
 * SendTargets discovery (RFC 7143 appendix C, 11.10, 11.11).
 *
 * One Text Request "SendTargets=All" (or =<name>); the target answers with
 * one or more Text Responses. While a response has F=0 (and with it C=1
 * when a pair is split, RFC 7143 11.11.2) and a Target Transfer Tag, we send
 * an empty Text Request echoing that tag, same ITT, until a response with
 * F=1 arrives. The collected text is a list of TargetName=... each followed
 * by its TargetAddress=... pairs.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/iscsi_name.h"
#include "session/sess_int.h"
#include "session/text.h"
#include "util/escape.h"
#include "util/log.h"

static void text_send(struct sess *s, struct sess_slot *sl, uint32_t ttt, bool with_key)
{
	struct iscsi_pdu_text_req m = {0};
	size_t len = with_key ? strlen(s->text_req) + 1 : 0;

	m.immediate = true;
	m.final = true;
	m.itt = sess_slot_itt(s, sl);
	m.ttt = ttt;
	m.cmdsn = s->cmdsn;
	m.exp_statsn = s->exp_statsn;
	m.data_len = (uint32_t)len;
	iscsi_pdu_enc_text_req(sl->cmd.hdr, &m);
	sl->cmd.data[0].iov_base = s->text_req;
	sl->cmd.data[0].iov_len = len;
	sl->cmd.data_cnt = len ? 1 : 0;
	sl->cmd.data_len = (uint32_t)len;
	sl->cmd.sent = NULL;
	conn_send(&s->conn, &sl->cmd);
}

int sess_send_targets(struct sess *s, const char *which,
		      void (*cb)(void *opaque, int err, const struct sess_disc_target *t,
				 unsigned int n),
		      void *opaque)
{
	struct sess_slot *sl;
	unsigned int i;
	int n;

	if (s->state != SESS_READY)
		return -ENOTCONN;
	if (!cb)
		return -EINVAL;
	for (i = 0; i < s->nslots; i++)
		if (s->slot[i].kind == SLOT_TEXT)
			return -EBUSY; /* one exchange at a time: s->text_in is shared */
	n = snprintf(s->text_req, sizeof(s->text_req), "SendTargets=%s",
		     which && *which ? which : "All");
	if (n < 0 || (size_t)n >= sizeof(s->text_req) - 1)
		return -EINVAL;
	sl = sess_slot_get(s, SLOT_TEXT);
	if (!sl)
		return -EBUSY;
	sl->text_cb = cb;
	sl->cb_opaque = opaque;
	s->text_in_len = 0;
	text_send(s, sl, ISCSI_PDU_RSVD_TAG, true);
	return 0;
}

void sess_text_abort(struct sess *s, struct sess_slot *sl, int err)
{
	void (*cb)(void *, int, const struct sess_disc_target *, unsigned int) = sl->text_cb;
	void *op = sl->cb_opaque;

	sess_slot_put(s, sl);
	if (cb)
		cb(op, err, NULL, 0);
}

/*
 * Turn the collected pairs into the target list and hand it over; an
 * unreadable list reaches the caller as an error through its callback,
 * the session stays up.
 */
static void text_deliver(struct sess *s, struct sess_slot *sl)
{
	struct iscsi_text_pair *pairs = NULL;
	struct sess_disc_target *tg = NULL;
	const char **addrs = NULL;
	const char *why = NULL;
	unsigned int nt = 0, na = 0, i;
	bool skipping = false; /* after a refused TargetName: drop its addresses */
	size_t maxp = 1, k;
	int np, err = 0;
	void (*cb)(void *, int, const struct sess_disc_target *, unsigned int) = sl->text_cb;
	void *op = sl->cb_opaque;

	for (k = 0; k < s->text_in_len; k++)
		maxp += s->text_in[k] == '\0';
	pairs = calloc(maxp, sizeof(*pairs));
	tg = calloc(maxp, sizeof(*tg));
	addrs = calloc(maxp, sizeof(*addrs));
	if (!pairs || !tg || !addrs) {
		err = -ENOMEM;
		goto out;
	}
	np = s->text_in_len ? iscsi_text_parse((const char *)s->text_in, s->text_in_len, false,
					       pairs, maxp, NULL, &why)
			    : 0;
	if (np < 0) {
		log_warn("%s: SendTargets answer unreadable: %s", s->name, why ? why : "bad text");
		err = -EPROTO;
		goto out;
	}
	for (i = 0; i < (unsigned int)np; i++) {
		const struct iscsi_text_pair *p = &pairs[i];
		char esc[STR_ESC_VALUE_MAX];

		if (iscsi_text_key_is(p, "TargetName")) {
			/*
			 * Target text is data (issue 9): a name that is no iSCSI
			 * name is reported escaped and skipped with its
			 * addresses, the rest of the list still counts.
			 */
			if (iscsi_name_check(p->value, p->value_len, &why) < 0) {
				str_escape(esc, sizeof(esc), p->value, p->value_len);
				log_warn("%s: SendTargets: skipping TargetName '%s': %s", s->name,
					 esc, why);
				skipping = true;
				continue;
			}
			skipping = false;
			tg[nt].name = p->value;
			tg[nt].addr = addrs + na;
			tg[nt].naddr = 0;
			nt++;
		} else if (iscsi_text_key_is(p, "TargetAddress")) {
			if (nt == 0 && !skipping) {
				log_warn("%s: SendTargets: TargetAddress before any TargetName",
					 s->name);
				err = -EPROTO;
				goto out;
			}
			if (skipping)
				continue;
			if (iscsi_address_check(p->value, p->value_len, &why) < 0) {
				str_escape(esc, sizeof(esc), p->value, p->value_len);
				log_warn("%s: SendTargets: %s: skipping TargetAddress '%s': %s",
					 s->name, tg[nt - 1].name, esc, why);
				continue;
			}
			addrs[na++] = p->value;
			tg[nt - 1].naddr++;
		}
		/* Other keys (e.g. TargetAlias) are not part of the list. */
	}
out:
	sess_slot_put(s, sl);
	if (err)
		cb(op, err, NULL, 0);
	else
		cb(op, 0, tg, nt);
	free(pairs);
	free(tg);
	free(addrs);
}

int sess_text_rsp(struct sess *s, struct sess_slot *sl, const struct iscsi_pdu_text_rsp *m,
		  const uint8_t *data, uint32_t len)
{
	size_t need;

	if (add_overflow(s->text_in_len, (size_t)len, &need) || need > SESS_TEXT_MAX) {
		sess_die(s, SESS_DEATH_PROTOCOL, "SendTargets answer larger than %u bytes",
			 SESS_TEXT_MAX);
		return -1;
	}
	if (need + 1 > s->text_in_cap) {
		size_t cap = MAX(need + 1, s->text_in_cap * 2);
		uint8_t *p = realloc(s->text_in, MIN(cap, (size_t)SESS_TEXT_MAX + 1));

		if (!p) {
			sess_text_abort(s, sl, -ENOMEM);
			return 0;
		}
		s->text_in = p;
		s->text_in_cap = MIN(cap, (size_t)SESS_TEXT_MAX + 1);
	}
	if (len)
		memcpy(s->text_in + s->text_in_len, data, len);
	s->text_in_len = need;
	/* F with C never gets here: the decoder refuses it (pdu_valid_text_rsp()). */
	if (m->final) {
		text_deliver(s, sl);
		return 0;
	}
	/* RFC 7143 11.10.4: continue with an empty request carrying the target's TTT. */
	if (m->ttt == ISCSI_PDU_RSVD_TAG) {
		sess_die(s, SESS_DEATH_PROTOCOL,
			 "partial Text Response without a Target Transfer Tag");
		return -1;
	}
	if (sl->cmd.queued) {
		sess_die(s, SESS_DEATH_PROTOCOL, "Text Response before our request was sent");
		return -1;
	}
	text_send(s, sl, m->ttt, false);
	return 0;
}
