/*
 * Fake target: login (None or CHAP MD5, every operational key answered)
 * and SendTargets over several Text Responses. See faketarget.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/chap.h"
#include "session/pdu.h"
#include "session/text.h"
#include "tests/component/faketarget.h"
#include "tests/component/faketarget_int.h"
#include "util/compiler.h"

/* ---- Login ---- */

static const char *kv_find(const char *buf, size_t len, const char *key)
{
	size_t kl = strlen(key), off = 0;

	while (off < len) {
		const char *p = buf + off;
		size_t l = strnlen(p, len - off);

		if (l > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')
			return p + kl + 1;
		off += l + 1;
	}
	return NULL;
}

static bool list_has(const char *v, const char *item)
{
	size_t il = strlen(item);

	while (v && *v) {
		size_t l = strcspn(v, ",");

		if (l == il && strncmp(v, item, il) == 0)
			return true;
		v += l;
		if (*v == ',')
			v++;
	}
	return false;
}

static void add(char *out, size_t *ol, const char *fmt, ...) ISN_PRINTF(3, 4);

static void add(char *out, size_t *ol, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *ol, 8192 - *ol, fmt, ap);
	va_end(ap);
	*ol += (size_t)n + 1;
}

static uint32_t u32(const char *v)
{
	return (uint32_t)strtoul(v, NULL, 0);
}

static void ft_login_rsp(struct ft *ft, const struct iscsi_pdu_login_req *rq, bool transit,
			 uint8_t nsg, const char *text, size_t tl, uint8_t cls, uint8_t det)
{
	struct iscsi_pdu_login_rsp m = {0};
	uint8_t bhs[48];

	m.transit = transit;
	m.csg = rq->csg;
	m.nsg = transit ? nsg : 0;
	m.data_len = (uint32_t)tl;
	m.isid = rq->isid;
	m.tsih = (transit && nsg == 3) ? ft->tsih : 0;
	m.itt = rq->itt;
	m.statsn = ft->statsn++;
	ft->exp_cmdsn = rq->cmdsn;
	ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
	m.status_class = cls;
	m.status_detail = det;
	iscsi_pdu_enc_login_rsp(bhs, &m);
	ft_emit(ft, bhs, (const uint8_t *)text, (uint32_t)tl);
}

void ft_login(struct ft *ft, const struct iscsi_pdu_login_req *rq, const uint8_t *data,
	      uint32_t len)
{
	const char *t = (const char *)data, *v;
	char out[8192];
	size_t ol = 0, off = 0;
	bool transit = rq->transit;

	if (ft->cfg.login_garbage && ft->login_round++ == 0) {
		size_t gl = strlen(ft->cfg.login_garbage) + 1;

		ft_login_rsp(ft, rq, false, 0, ft->cfg.login_garbage, gl, 0, 0);
		return;
	}
	if (ft->cfg.redirect_to && ft->login_round++ == 0) {
		add(out, &ol, "TargetAddress=%s", ft->cfg.redirect_to);
		ft_login_rsp(ft, rq, false, 0, out, ol, 1, 1);
		return;
	}
	if (len == 0 || data[len - 1] != '\0') {
		if (len)
			ft_err(ft, "login text not NUL terminated");
	}
	if (rq->csg == 0) {
		if ((v = kv_find(t, len, "AuthMethod"))) {
			add(out, &ol, "TargetPortalGroupTag=1");
			if (ft->cfg.chap_user) {
				if (!list_has(v, "CHAP")) {
					ft_login_rsp(ft, rq, false, 0, NULL, 0, 2, 1);
					return;
				}
				add(out, &ol, "AuthMethod=CHAP");
				transit = false;
				ft->chap_step = 1;
			} else {
				add(out, &ol, "AuthMethod=%s",
				    list_has(v, "None") ? "None" : "Reject");
			}
		}
		if (ft->cfg.chap_user && (v = kv_find(t, len, "CHAP_A"))) {
			unsigned int i;

			if (!list_has(v, "5")) {
				add(out, &ol, "CHAP_A=Reject");
			} else {
				/*
				 * A new challenge per login: the initiator
				 * refuses one it has seen (RFC 1994 2.3).
				 */
				static uint8_t logins;

				logins++;
				ft->chap_id = 7;
				for (i = 0; i < 16; i++)
					ft->chap_chal[i] = (uint8_t)(i * 13 + 1);
				ft->chap_chal[15] = logins;
				add(out, &ol, "CHAP_A=5");
				add(out, &ol, "CHAP_I=%u", ft->chap_id);
				ol += (size_t)snprintf(out + ol, sizeof(out) - ol, "CHAP_C=0x");
				for (i = 0; i < 16; i++)
					ol += (size_t)snprintf(out + ol, sizeof(out) - ol, "%02x",
							       ft->chap_chal[i]);
				ol++;
				ft->chap_step = 2;
			}
			transit = false;
		}
		if (ft->cfg.chap_user && (v = kv_find(t, len, "CHAP_R"))) {
			uint8_t want[16], got[64];
			size_t gl = 0;
			const char *n = kv_find(t, len, "CHAP_N");

			chap_response(
				CHAP_ALG_MD5, ft->chap_id, (const uint8_t *)ft->cfg.chap_secret,
				strlen(ft->cfg.chap_secret), ft->chap_chal, 16, want, sizeof(want));
			if (!n || strcmp(n, ft->cfg.chap_user) != 0 ||
			    iscsi_text_decode_binary(v, strlen(v), got, sizeof(got), &gl) < 0 ||
			    gl != 16 || memcmp(got, want, 16) != 0) {
				ft_login_rsp(ft, rq, false, 0, NULL, 0, 2, 1);
				return;
			}
			ft->chap_step = 3;
		}
		if (ft->cfg.chap_user && ft->chap_step != 3)
			transit = false;
		ft_login_rsp(ft, rq, transit, rq->nsg, out, ol, 0, 0);
		return;
	}
	/* Operational stage: answer every key offered. */
	while (off < len) {
		const char *p = t + off;
		size_t l = strnlen(p, len - off);
		char key[64];
		const char *eq = memchr(p, '=', l);

		off += l + 1;
		if (!eq || (size_t)(eq - p) >= sizeof(key))
			continue;
		memcpy(key, p, (size_t)(eq - p));
		key[eq - p] = '\0';
		v = eq + 1;
		if (!strcmp(key, "HeaderDigest") || !strcmp(key, "DataDigest")) {
			const char *c = ft->cfg.digests && list_has(v, "CRC32C") ? "CRC32C"
					: list_has(v, "None")			 ? "None"
										 : "Reject";
			add(out, &ol, "%s=%s", key, c);
			if (!strcmp(key, "HeaderDigest"))
				ft->neg_hdig = !strcmp(c, "CRC32C");
			else
				ft->neg_ddig = !strcmp(c, "CRC32C");
		} else if (!strcmp(key, "MaxRecvDataSegmentLength")) {
			ft->ini_mrdsl = u32(v);
			add(out, &ol, "MaxRecvDataSegmentLength=%u", ft->cfg.max_recv_dsl);
		} else if (!strcmp(key, "FirstBurstLength")) {
			ft->first_burst = MIN(u32(v), ft->cfg.first_burst);
			add(out, &ol, "%s=%u", key, ft->first_burst);
		} else if (!strcmp(key, "MaxBurstLength")) {
			ft->max_burst = MIN(u32(v), ft->cfg.max_burst);
			add(out, &ol, "%s=%u", key, ft->max_burst);
		} else if (!strcmp(key, "MaxOutstandingR2T")) {
			ft->max_r2t = MIN(u32(v), ft->cfg.max_outstanding_r2t);
			add(out, &ol, "%s=%u", key, ft->max_r2t);
		} else if (!strcmp(key, "InitialR2T")) {
			ft->initial_r2t = ft->cfg.initial_r2t || !strcmp(v, "Yes");
			add(out, &ol, "%s=%s", key, ft->initial_r2t ? "Yes" : "No");
		} else if (!strcmp(key, "ImmediateData")) {
			ft->immediate_data = !ft->cfg.no_immediate_data && !strcmp(v, "Yes");
			add(out, &ol, "%s=%s", key, ft->immediate_data ? "Yes" : "No");
		} else if (!strcmp(key, "ErrorRecoveryLevel")) {
			add(out, &ol, "%s=0", key);
		} else if (!strcmp(key, "MaxConnections")) {
			add(out, &ol, "%s=1", key);
		} else if (!strcmp(key, "IFMarker") || !strcmp(key, "OFMarker")) {
			add(out, &ol, "%s=No", key);
		} else if (!strcmp(key, "DataPDUInOrder") || !strcmp(key, "DataSequenceInOrder")) {
			add(out, &ol, "%s=Yes", key);
		} else if (!strcmp(key, "DefaultTime2Wait") || !strcmp(key, "DefaultTime2Retain")) {
			add(out, &ol, "%s=%s", key, v);
		} else if (!strncmp(key, "X-", 2) || !strncmp(key, "X#", 2)) {
			add(out, &ol, "%s=NotUnderstood", key);
		} else if (!strcmp(key, "InitiatorName") || !strcmp(key, "InitiatorAlias") ||
			   !strcmp(key, "TargetName") || !strcmp(key, "SessionType")) {
			continue;
		} else {
			add(out, &ol, "%s=NotUnderstood", key);
		}
	}
	if (transit && rq->nsg == 3) {
		/* Digests start with the first PDU after the final login response. */
		ft_login_rsp(ft, rq, true, 3, out, ol, 0, 0);
		ft->hdig = ft->neg_hdig;
		ft->ddig = ft->neg_ddig;
		ft->ffp = true;
		/* RFC 7143 13.14: FirstBurstLength never exceeds MaxBurstLength. */
		ft->first_burst = MIN(ft->first_burst, ft->max_burst);
		if (!ft->ini_mrdsl)
			ft->ini_mrdsl = 8192;
		return;
	}
	ft_login_rsp(ft, rq, transit, rq->nsg, out, ol, 0, 0);
}

static void ft_text_chunk(struct ft *ft, uint32_t itt)
{
	struct iscsi_pdu_text_rsp m = {0};
	uint8_t bhs[48];
	uint32_t chunk = ft->cfg.text_chunk;
	uint32_t l = (uint32_t)MIN((size_t)chunk, ft->text_len - ft->text_off);
	bool last = ft->text_off + l == ft->text_len;

	m.final = last;
	m.cont = !last;
	m.data_len = l;
	m.itt = itt;
	m.ttt = last ? ISCSI_PDU_RSVD_TAG : (ft->text_ttt = ft->next_ttt++);
	m.statsn = ft->statsn++;
	ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
	iscsi_pdu_enc_text_rsp(bhs, &m);
	ft_emit(ft, bhs, (const uint8_t *)ft->text + ft->text_off, l);
	ft->text_off += l;
}

void ft_text(struct ft *ft, const struct iscsi_pdu_text_req *r, const uint8_t *data, uint32_t len)
{
	unsigned int i;

	ft->texts++;
	ft_cmdsn(ft, r->immediate, r->cmdsn);
	if (r->ttt == ISCSI_PDU_RSVD_TAG) {
		const char *v = kv_find((const char *)data, len, "SendTargets");

		if (!v) {
			ft_err(ft, "text request without SendTargets");
			return;
		}
		ft->text_len = 0;
		for (i = 0; i < ft->cfg.n_targets; i++) {
			ft->text_len +=
				(size_t)snprintf(ft->text + ft->text_len,
						 sizeof(ft->text) - ft->text_len,
						 "TargetName=iqn.2026-01.test:fake.t%u", i) +
				1;
			ft->text_len += (size_t)snprintf(ft->text + ft->text_len,
							 sizeof(ft->text) - ft->text_len,
							 "TargetAddress=192.0.2.%u:3260,1", i + 1) +
					1;
			if (i == 1)
				ft->text_len +=
					(size_t)snprintf(ft->text + ft->text_len,
							 sizeof(ft->text) - ft->text_len,
							 "TargetAddress=[2001:db8::1]:3261,2") +
					1;
		}
		ft->text_off = 0;
	} else if (r->ttt != ft->text_ttt || len) {
		ft_err(ft, "text continuation with TTT 0x%08x (want 0x%08x), %u bytes", r->ttt,
		       ft->text_ttt, len);
		return;
	}
	ft_text_chunk(ft, r->itt);
}
