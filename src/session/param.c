/*
 * Login key negotiation: the section 6.2 rules that combine an offer with
 * an answer, driven by the table of RFC 7143 section 13 keys in
 * param_keys.c. See param.h.
 *
 * The table drives everything: what we offer in which stage, how the
 * target's answer is checked, what we answer to the target's offers, and
 * which defaults apply to keys nobody negotiated. Only the translation of
 * per-key results into struct iscsi_params (param_fill) names keys one by
 * one.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "session/iscsi_name.h"
#include "session/param.h"
#include "session/param_keys.h"
#include "util/compiler.h"
#include "util/escape.h"
#include "util/hex.h"
#include "util/log.h"

/* Per-key state flags. */
enum {
	KF_OFFERED = 1u << 0,  /* we sent it */
	KF_ANSWERED = 1u << 1, /* the target answered our offer */
	KF_RECEIVED = 1u << 2, /* the target offered / declared it */
	KF_RESULT = 1u << 3,   /* result holds a negotiated value */
};

/* Values an answer may carry instead of a real value (RFC 7143 6.2, 5.2). */
static bool is_reserved_answer(const char *v)
{
	return !strcmp(v, "Reject") || !strcmp(v, "Irrelevant") || !strcmp(v, "NotUnderstood");
}

static int fail(struct iscsi_negotiation *n, const char *fmt, ...) ISN_PRINTF(2, 3);

static int fail(struct iscsi_negotiation *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->error, sizeof(n->error), fmt, ap);
	va_end(ap);
	/* Messages quote the target's values: no raw byte goes up from here. */
	str_make_inert(n->error, sizeof(n->error));
	return -EPROTO;
}

int iscsi_param_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	unsigned int base = 10;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	/* RFC 7143 5.1: decimal-constant or hex-constant ("0x" / "0X" prefix). */
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p)
			return -EINVAL;
	}
	for (; *p; p++) {
		int d = hex_value((unsigned char)*p);

		if (d < 0 || (unsigned int)d >= base)
			return -EINVAL;
		v = v * base + (unsigned int)d;
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int list_index(const struct key_def *k, const char *v, size_t len)
{
	for (int i = 0; k->values[i]; i++)
		if (strlen(k->values[i]) == len && !memcmp(k->values[i], v, len))
			return i;
	return -1;
}

static bool ours_has(const struct iscsi_param_key_state *st, int idx)
{
	for (unsigned int i = 0; i < st->list_len; i++)
		if (st->list[i] == idx)
			return true;
	return false;
}

static int append_kv(char *buf, size_t cap, size_t *len, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val);
	size_t need = kl + 1 + vl + 1;

	if (*len > cap || cap - *len < need)
		return -ENOSPC;
	memcpy(buf + *len, key, kl);
	buf[*len + kl] = '=';
	memcpy(buf + *len + kl + 1, val, vl);
	buf[*len + kl + 1 + vl] = '\0';
	*len += need;
	return 0;
}

/* Our value of row i as text (for offers and answers). */
static void format_value(const struct key_def *k, uint32_t v, char *out, size_t cap)
{
	if (k->type == KT_NUM)
		snprintf(out, cap, "%u", v);
	else
		snprintf(out, cap, "%s", k->values[v]);
}

static void digest_offer(struct iscsi_param_key_state *st, enum iscsi_digest_pref p)
{
	static const uint8_t lists[][2] = {
		[ISCSI_DIGEST_NONE] = {0},
		[ISCSI_DIGEST_CRC32C] = {1},
		[ISCSI_DIGEST_PREFER_CRC32C] = {1, 0},
		[ISCSI_DIGEST_PREFER_NONE] = {0, 1},
	};

	if ((unsigned int)p >= ARRAY_SIZE(lists))
		p = ISCSI_DIGEST_NONE;
	st->list[0] = lists[p][0];
	st->list[1] = lists[p][1];
	st->list_len = (p == ISCSI_DIGEST_PREFER_CRC32C || p == ISCSI_DIGEST_PREFER_NONE) ? 2 : 1;
}

void iscsi_param_init(struct iscsi_negotiation *n, const struct iscsi_param_config *cfg,
		      const char *name)
{
	struct iscsi_param_config *c = &n->cfg;

	memset(n, 0, sizeof(*n));
	*c = *cfg;
	n->name = name ? name : "login";
	if (!c->max_recv_dsl)
		c->max_recv_dsl = ISCSI_PARAM_DEF_MAX_RECV_DSL;
	if (!c->first_burst)
		c->first_burst = ISCSI_PARAM_DEF_FIRST_BURST;
	if (!c->max_burst)
		c->max_burst = ISCSI_PARAM_DEF_MAX_BURST;
	if (!c->max_outstanding_r2t)
		c->max_outstanding_r2t = 1;
	c->max_recv_dsl = MIN(MAX(c->max_recv_dsl, 512u), DSL_MAX);
	c->max_burst = MIN(MAX(c->max_burst, 512u), DSL_MAX);
	c->first_burst = MIN(MAX(c->first_burst, 512u), DSL_MAX);
	c->max_outstanding_r2t = MIN(c->max_outstanding_r2t, 65535u);
	/* RFC 7143 13.14: FirstBurstLength MUST NOT exceed MaxBurstLength. */
	if (c->first_burst > c->max_burst)
		c->first_burst = c->max_burst;

	/* Our preference for every key, whether we offer it or only answer it. */
	for (int i = 0; i < K_COUNT; i++)
		n->key[i].ours = param_keys[i].def;
	n->key[K_MAX_CONNECTIONS].ours = 1;
	n->key[K_INITIAL_R2T].ours = c->initial_r2t;
	n->key[K_IMMEDIATE_DATA].ours = !c->no_immediate_data;
	n->key[K_MAX_RECV_DSL].ours = c->max_recv_dsl;
	n->key[K_MAX_BURST].ours = c->max_burst;
	n->key[K_FIRST_BURST].ours = c->first_burst;
	n->key[K_MAX_R2T].ours = c->max_outstanding_r2t;
	n->key[K_ERL].ours = 0;
	n->key[K_SESSION_TYPE].ours = c->target_name ? 0 : 1;
	digest_offer(&n->key[K_HEADER_DIGEST], c->header_digest);
	digest_offer(&n->key[K_DATA_DIGEST], c->data_digest);
	switch (c->auth) {
	case ISCSI_AUTH_CHAP:
		n->key[K_AUTH_METHOD].list[0] = 1;
		n->key[K_AUTH_METHOD].list_len = 1;
		break;
	case ISCSI_AUTH_CHAP_OPT:
		n->key[K_AUTH_METHOD].list[0] = 1;
		n->key[K_AUTH_METHOD].list[1] = 0;
		n->key[K_AUTH_METHOD].list_len = 2;
		break;
	default:
		n->key[K_AUTH_METHOD].list[0] = 0;
		n->key[K_AUTH_METHOD].list_len = 1;
		break;
	}
	/* Lists we only answer accept what the table knows, in table order. */
	n->key[K_TASK_REPORTING].list_len = 1;

	n->params.discovery = !c->target_name;
	n->params.auth_method = ISCSI_AUTH_METHOD_UNSET;
}

/* Text of our offer for row i, or NULL when we do not offer it in this login. */
static const char *offer_text(const struct iscsi_negotiation *n, int i, char *tmp, size_t cap)
{
	const struct key_def *k = &param_keys[i];
	const struct iscsi_param_key_state *st = &n->key[i];
	size_t len = 0;

	if (k->offer == OFFER_NEVER)
		return NULL;
	if (k->leading_only && !n->cfg.leading)
		return NULL;
	if (k->irrelevant_in_discovery && n->params.discovery)
		return NULL;
	switch (i) {
	case K_TARGET_NAME:
		return n->cfg.target_name;
	case K_INITIATOR_NAME:
		return n->cfg.initiator_name;
	case K_INITIATOR_ALIAS:
		return n->cfg.initiator_alias;
	default:
		break;
	}
	if (k->rule == RULE_LIST) {
		/* "CRC32C,None": our choices in order of preference (RFC 7143 6.2). */
		tmp[0] = '\0';
		for (unsigned int j = 0; j < st->list_len; j++)
			len += (size_t)snprintf(tmp + len, cap - MIN(len, cap), "%s%s",
						j ? "," : "", k->values[st->list[j]]);
		return len < cap ? tmp : NULL;
	}
	format_value(k, st->ours, tmp, cap);
	return tmp;
}

int iscsi_param_build_offer(struct iscsi_negotiation *n, enum iscsi_param_stage stage, char *buf,
			    size_t cap, size_t *len)
{
	enum key_offer want =
		stage == ISCSI_PARAM_STAGE_SECURITY ? OFFER_SECURITY : OFFER_OPERATIONAL;
	char tmp[64];

	for (int i = 0; i < K_COUNT; i++) {
		const char *v;
		int ret;

		if (param_keys[i].offer != want || (n->key[i].flags & (KF_OFFERED | KF_RECEIVED)))
			continue;
		v = offer_text(n, i, tmp, sizeof(tmp));
		if (!v)
			continue;
		ret = append_kv(buf, cap, len, param_keys[i].name, v);
		if (ret < 0)
			return ret;
		n->key[i].flags |= KF_OFFERED;
		dbg(LOG_SUB_LOGIN, "%s: offer %s=%s", n->name, param_keys[i].name, v);
	}
	return 0;
}

static int find_key(const char *key)
{
	for (int i = 0; i < K_COUNT; i++)
		if (!strcmp(param_keys[i].name, key))
			return i;
	return -1;
}

/* Parse a value for row k: number (range-checked), boolean, or one list item. */
static int parse_value(const struct key_def *k, const char *v, uint32_t *out)
{
	int idx;

	switch (k->type) {
	case KT_NUM:
		if (iscsi_param_parse_u32(v, out) < 0 || *out < k->min || *out > k->max)
			return -EINVAL;
		return 0;
	case KT_BOOL:
	case KT_LIST:
		idx = list_index(k, v, strlen(v));
		if (idx < 0)
			return -EINVAL;
		*out = (uint32_t)idx;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Store a declaration the target made about itself. */
static int take_declaration(struct iscsi_negotiation *n, int i, const char *value)
{
	const struct key_def *k = &param_keys[i];
	uint32_t v;

	if (k->type == KT_STRING) {
		if (strlen(value) >= ISCSI_PARAM_STR_MAX)
			return fail(n, "%s longer than %d bytes", k->name, ISCSI_PARAM_STR_MAX - 1);
		/*
		 * RFC 7143 13.4 lets a target state its TargetName: it must be
		 * an iSCSI name (4.2.7), or the target is not one we talk to.
		 */
		if (i == K_TARGET_NAME) {
			const char *why;

			if (iscsi_name_check(value, strlen(value), &why) < 0) {
				char esc[96]; /* the error holds 160 bytes: room for why */

				return fail(n, "TargetName '%s' from the target: %s",
					    str_esc(esc, sizeof(esc), value), why);
			}
		}
		/* Kept escaped: the alias is free text from the target (13.6). */
		if (i == K_TARGET_ALIAS)
			str_esc(n->params.target_alias, sizeof(n->params.target_alias), value);
		return 0;
	}
	if (parse_value(k, value, &v) < 0)
		return fail(n, "%s=%s: not a valid value (range %u..%u)", k->name, value, k->min,
			    k->max);
	n->key[i].result = v;
	n->key[i].flags |= KF_RESULT;
	return 0;
}

/* The target answered our offer of row i with value. */
static int take_answer(struct iscsi_negotiation *n, int i, const char *value)
{
	const struct key_def *k = &param_keys[i];
	struct iscsi_param_key_state *st = &n->key[i];
	uint32_t v;

	if (is_reserved_answer(value)) {
		/*
		 * The key stays at its default (RFC 7143 6.2); iscsi_param_finish()
		 * refuses the outcome if our config cannot live with that.
		 */
		if (strcmp(value, "Irrelevant"))
			log_warn("%s: target answered %s=%s; using the default", n->name, k->name,
				 value);
		return 0;
	}
	if (k->rule == RULE_DECLARATIVE) {
		/* Only keys both sides declare reach here (sender check done). */
		return take_declaration(n, i, value);
	}
	if (k->rule == RULE_LIST && strchr(value, ','))
		return fail(n, "%s=%s: an answer must be a single value", k->name, value);
	if (parse_value(k, value, &v) < 0)
		return fail(n, "%s=%s: not a valid answer", k->name, value);
	switch (k->rule) {
	case RULE_MIN:
		if (v > st->ours)
			return fail(n, "%s=%u: above our offer %u (rule: minimum)", k->name, v,
				    st->ours);
		break;
	case RULE_MAX:
		if (v < st->ours)
			return fail(n, "%s=%u: below our offer %u (rule: maximum)", k->name, v,
				    st->ours);
		break;
	case RULE_AND:
		if (v && !st->ours)
			return fail(n, "%s=Yes: we offered No (rule: AND)", k->name);
		break;
	case RULE_OR:
		if (!v && st->ours)
			return fail(n, "%s=No: we offered Yes (rule: OR)", k->name);
		break;
	case RULE_LIST:
		if (!ours_has(st, (int)v))
			return fail(n, "%s=%s: not among the values we offered", k->name, value);
		break;
	default:
		return fail(n, "%s: unexpected answer", k->name);
	}
	st->result = v;
	st->flags |= KF_RESULT;
	return 0;
}

/* The target offered row i: compute the result and our answer. */
static int answer_offer(struct iscsi_negotiation *n, int i, const char *value, char *ans,
			size_t cap)
{
	const struct key_def *k = &param_keys[i];
	struct iscsi_param_key_state *st = &n->key[i];
	uint32_t v = 0;
	const char *p;

	if (k->irrelevant_in_discovery && n->params.discovery) {
		snprintf(ans, cap, "Irrelevant");
		return 0;
	}
	switch (k->rule) {
	case RULE_REJECT:
		snprintf(ans, cap, "Reject");
		return 0;
	case RULE_LIST:
		/* RFC 7143 6.2: the first value of the offer that we support. */
		for (p = value; *p;) {
			const char *e = strchr(p, ',');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			int idx = list_index(k, p, len);

			if (idx >= 0 && ours_has(st, idx)) {
				st->result = (uint32_t)idx;
				st->flags |= KF_RESULT;
				format_value(k, st->result, ans, cap);
				return 0;
			}
			p += len;
			if (*p)
				p++;
		}
		snprintf(ans, cap, "Reject");
		return 0;
	default:
		break;
	}
	if (parse_value(k, value, &v) < 0) {
		/* RFC 7143 6.2.1: an offer outside the valid range gets Reject. */
		snprintf(ans, cap, "Reject");
		return 0;
	}
	switch (k->rule) {
	case RULE_MIN:
		v = MIN(v, st->ours);
		break;
	case RULE_MAX:
		v = MAX(v, st->ours);
		break;
	case RULE_AND:
		v = v && st->ours;
		break;
	case RULE_OR:
		v = v || st->ours;
		break;
	default:
		return fail(n, "%s: unexpected offer", k->name);
	}
	st->result = v;
	st->flags |= KF_RESULT;
	format_value(k, v, ans, cap);
	return 0;
}

int iscsi_param_process(struct iscsi_negotiation *n, enum iscsi_param_stage stage, const char *key,
			const char *value, char *reply, size_t cap, size_t *rlen)
{
	int i = find_key(key);
	const struct key_def *k;
	struct iscsi_param_key_state *st;
	char ans[64];
	int ret;

	if (i < 0) {
		if (is_reserved_answer(value))
			return fail(n, "%s=%s: answer to a key we never sent", key, value);
		/* X- / X# extensions and anything newer than us (RFC 7143 6.2, 13.27). */
		dbg(LOG_SUB_LOGIN, "%s: answering %s=NotUnderstood", n->name, key);
		return append_kv(reply, cap, rlen, key, "NotUnderstood");
	}
	k = &param_keys[i];
	st = &n->key[i];
	dbg(LOG_SUB_LOGIN, "%s: target sent %s=%s", n->name, key, value);

	if (k->sender == S_INITIATOR) {
		/* Some targets echo our declaratives with a non-value: harmless. */
		if (is_reserved_answer(value) && (st->flags & KF_OFFERED))
			return 0;
		return fail(n, "target sent %s, which only an initiator may send", k->name);
	}
	if (k->phase == PH_SECURITY && stage != ISCSI_PARAM_STAGE_SECURITY)
		return fail(n, "%s outside the security stage", k->name);
	if (i != K_TARGET_ADDRESS && (st->flags & (KF_ANSWERED | KF_RECEIVED)))
		return fail(n, "%s sent twice", k->name);

	if ((st->flags & KF_OFFERED) && k->rule != RULE_DECLARATIVE) {
		st->flags |= KF_ANSWERED;
		return take_answer(n, i, value);
	}
	st->flags |= KF_RECEIVED;
	if (is_reserved_answer(value)) {
		if (k->rule == RULE_DECLARATIVE && (st->flags & KF_OFFERED))
			return 0; /* e.g. MaxRecvDataSegmentLength=Irrelevant: keep default */
		return fail(n, "%s=%s: answer to a key we never sent", k->name, value);
	}
	if (k->rule == RULE_DECLARATIVE)
		return take_declaration(n, i, value);
	if (k->leading_only && !n->cfg.leading)
		return fail(n, "%s offered on a non-leading connection (leading only)", k->name);
	ret = answer_offer(n, i, value, ans, sizeof(ans));
	if (ret < 0)
		return ret;
	dbg(LOG_SUB_LOGIN, "%s: answer %s=%s (rule: %s)", n->name, k->name, ans,
	    param_rule_names[k->rule]);
	return append_kv(reply, cap, rlen, k->name, ans);
}

bool iscsi_param_stage_answered(const struct iscsi_negotiation *n, enum iscsi_param_stage stage)
{
	enum key_offer want =
		stage == ISCSI_PARAM_STAGE_SECURITY ? OFFER_SECURITY : OFFER_OPERATIONAL;

	for (int i = 0; i < K_COUNT; i++) {
		const struct iscsi_param_key_state *st = &n->key[i];

		if (param_keys[i].offer == want && param_keys[i].rule != RULE_DECLARATIVE &&
		    (st->flags & KF_OFFERED) && !(st->flags & KF_ANSWERED))
			return false;
	}
	return true;
}

/*
 * Value of row i after the login: the negotiated result, else our offer
 * combined by the key's rule with the default the target is then assumed
 * to hold (RFC 7143 section 13 "Default is").
 */
static int final_value(struct iscsi_negotiation *n, int i, uint32_t *out)
{
	const struct key_def *k = &param_keys[i];
	const struct iscsi_param_key_state *st = &n->key[i];

	if (st->flags & KF_RESULT) {
		*out = st->result;
		return 0;
	}
	if ((st->flags & KF_OFFERED) && k->rule != RULE_DECLARATIVE &&
	    !(k->irrelevant_in_discovery && n->params.discovery)) {
		if (!(st->flags & KF_ANSWERED))
			log_warn("%s: target did not answer %s; assuming its default", n->name,
				 k->name);
		switch (k->rule) {
		case RULE_MIN:
			*out = MIN(st->ours, k->def);
			return 0;
		case RULE_MAX:
			*out = MAX(st->ours, k->def);
			return 0;
		case RULE_AND:
			*out = st->ours && k->def;
			return 0;
		case RULE_OR:
			*out = st->ours || k->def;
			return 0;
		case RULE_LIST:
			if (!ours_has(st, (int)k->def))
				return fail(n, "%s not agreed and its default %s is not acceptable",
					    k->name, k->values[k->def]);
			break;
		default:
			break;
		}
	}
	*out = k->def;
	return 0;
}

int iscsi_param_finish(struct iscsi_negotiation *n)
{
	struct iscsi_params *p = &n->params;
	uint32_t v[K_COUNT];
	int ret;

	for (int i = 0; i < K_COUNT; i++) {
		ret = final_value(n, i, &v[i]);
		if (ret < 0)
			return ret;
	}
	p->header_digest = v[K_HEADER_DIGEST] == 1;
	p->data_digest = v[K_DATA_DIGEST] == 1;
	p->max_connections = v[K_MAX_CONNECTIONS];
	p->tpgt_valid = n->key[K_TPGT].flags & KF_RESULT;
	p->tpgt = (uint16_t)v[K_TPGT];
	p->initial_r2t = v[K_INITIAL_R2T];
	p->immediate_data = v[K_IMMEDIATE_DATA];
	/* Each side declares what it receives (RFC 7143 13.12). */
	p->our_max_recv_dsl = (n->key[K_MAX_RECV_DSL].flags & KF_OFFERED)
				      ? n->key[K_MAX_RECV_DSL].ours
				      : param_keys[K_MAX_RECV_DSL].def;
	p->target_max_recv_dsl = v[K_MAX_RECV_DSL];
	p->max_burst = v[K_MAX_BURST];
	p->first_burst = v[K_FIRST_BURST];
	p->default_time2wait = v[K_TIME2WAIT];
	p->default_time2retain = v[K_TIME2RETAIN];
	p->max_outstanding_r2t = v[K_MAX_R2T];
	p->data_pdu_in_order = v[K_DATA_PDU_IN_ORDER];
	p->data_sequence_in_order = v[K_DATA_SEQ_IN_ORDER];
	p->error_recovery_level = (uint8_t)v[K_ERL];
	if (n->key[K_AUTH_METHOD].flags & KF_RESULT)
		p->auth_method = (enum iscsi_auth_method)n->key[K_AUTH_METHOD].result;

	if (p->error_recovery_level != 0)
		return fail(n, "ErrorRecoveryLevel=%u: we only implement level 0",
			    p->error_recovery_level);
	/*
	 * RFC 7143 13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
	 * Both are minimums of what each side offered, so a target with a small
	 * MaxBurstLength can leave the pair crossed: clamp, as the burst
	 * actually sent can never exceed MaxBurstLength anyway.
	 */
	if (p->first_burst > p->max_burst) {
		if (!p->discovery)
			log_warn("%s: FirstBurstLength %u > MaxBurstLength %u; using %u", n->name,
				 p->first_burst, p->max_burst, p->max_burst);
		p->first_burst = p->max_burst;
	}
	return 0;
}

enum iscsi_auth_method iscsi_param_auth_method(const struct iscsi_negotiation *n)
{
	if (!(n->key[K_AUTH_METHOD].flags & KF_RESULT))
		return ISCSI_AUTH_METHOD_UNSET;
	return (enum iscsi_auth_method)n->key[K_AUTH_METHOD].result;
}
