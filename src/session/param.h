/*
 * Login key negotiation (RFC 7143 section 6.2 rules, section 13 keys).
 *
 * One table in param.c lists every key we know with its type, its
 * negotiation rule, default, valid range, the stage it may appear in,
 * whether it is leading-only and who may send it. The functions below walk
 * that table; there is no per-key if/else chain.
 *
 * Contract
 * - Pure: no I/O, no allocation. Logging only through dbg(LOG_SUB_LOGIN)
 *   and log_warn() for tolerated target quirks, with the caller's name.
 * - One struct iscsi_negotiation per login (per connection attempt). It
 *   borrows the strings of its config (names, alias) until it is dropped.
 * - Text handled here is "key=value" without the NUL separator: the login
 *   state machine splits the data segment and builds the reply.
 * - We are always the initiator. "Offer" is a key we send first,
 *   "answer" is the target's response to it; a key the target sends that we
 *   did not offer is the target's offer (or declaration), and we answer it
 *   with the rule result (or NotUnderstood / Irrelevant / Reject).
 *
 * Usage by the login state machine:
 *   iscsi_param_init(&n, &cfg, name);
 *   iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_SECURITY, buf, cap, &len);
 *   for each key=value of each target response:
 *           iscsi_param_process(&n, stage, key, value, reply, cap, &rlen);
 *   at the end of the operational stage:
 *           iscsi_param_finish(&n);   -> n.params holds the results
 */
#ifndef ISN_SESSION_PARAM_H
#define ISN_SESSION_PARAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Digest preference, same meaning as enum sess_digest_pref (session.h). */
enum iscsi_digest_pref {
	ISCSI_DIGEST_NONE,	    /* offer None only */
	ISCSI_DIGEST_CRC32C,	    /* offer CRC32C only: login fails if refused */
	ISCSI_DIGEST_PREFER_CRC32C, /* offer CRC32C,None */
	ISCSI_DIGEST_PREFER_NONE,   /* offer None,CRC32C */
};

/* What the security stage offers for AuthMethod (RFC 7143 12.1). */
enum iscsi_auth_offer {
	ISCSI_AUTH_NONE,     /* AuthMethod=None */
	ISCSI_AUTH_CHAP,     /* AuthMethod=CHAP: target must authenticate us */
	ISCSI_AUTH_CHAP_OPT, /* AuthMethod=CHAP,None: the target chooses */
};

/* Result of AuthMethod. */
enum iscsi_auth_method {
	ISCSI_AUTH_METHOD_UNSET = -1, /* not negotiated (yet) */
	ISCSI_AUTH_METHOD_NONE = 0,
	ISCSI_AUTH_METHOD_CHAP = 1,
};

/*
 * What we propose. Zero-initialised means the built-in default for every
 * field (see the defaults below), so callers set only what they care about.
 */
struct iscsi_param_config {
	const char *initiator_name;  /* InitiatorName, required; borrowed */
	const char *initiator_alias; /* InitiatorAlias, or NULL; borrowed */
	const char *target_name;     /* TargetName; NULL makes a Discovery session */
	bool leading;		     /* leading connection (TSIH 0): send leading-only keys */
	enum iscsi_auth_offer auth;

	enum iscsi_digest_pref header_digest;
	enum iscsi_digest_pref data_digest;
	uint32_t max_recv_dsl;	      /* ours; 0 = ISCSI_PARAM_DEF_MAX_RECV_DSL */
	uint32_t first_burst;	      /* 0 = ISCSI_PARAM_DEF_FIRST_BURST */
	uint32_t max_burst;	      /* 0 = ISCSI_PARAM_DEF_MAX_BURST */
	uint32_t max_outstanding_r2t; /* 0 = 1 */
	bool initial_r2t;	      /* propose InitialR2T=Yes (default: No) */
	bool no_immediate_data;	      /* propose ImmediateData=No (default: Yes) */
};

#define ISCSI_PARAM_DEF_MAX_RECV_DSL 262144u
#define ISCSI_PARAM_DEF_FIRST_BURST  262144u
/* 2^24 - 1 is the largest legal value (RFC 7143 13.13); keep it a multiple of 512. */
#define ISCSI_PARAM_DEF_MAX_BURST 16776192u

/* Longest value we keep for a string key (TargetAlias: RFC 7143 13.6 allows 255). */
#define ISCSI_PARAM_STR_MAX 256

/*
 * Negotiated values, valid after iscsi_param_finish(). Keys the target did
 * not negotiate hold their RFC 7143 section 13 defaults.
 */
struct iscsi_params {
	uint32_t our_max_recv_dsl;    /* what the target may send us per PDU */
	uint32_t target_max_recv_dsl; /* what we may send the target per PDU */
	uint32_t first_burst;	      /* <= max_burst (RFC 7143 13.14) */
	uint32_t max_burst;
	uint32_t max_outstanding_r2t;
	uint32_t max_connections;
	bool immediate_data;
	bool initial_r2t;
	bool header_digest; /* CRC32C */
	bool data_digest;   /* CRC32C */
	bool data_pdu_in_order;
	bool data_sequence_in_order;
	uint8_t error_recovery_level; /* always 0: we support nothing else */
	uint32_t default_time2wait;
	uint32_t default_time2retain;
	bool discovery;
	bool tpgt_valid;
	uint16_t tpgt; /* TargetPortalGroupTag, valid if tpgt_valid */
	enum iscsi_auth_method auth_method;
	/* "" if the target sent none; escaped (util/escape.h), so printable as is */
	char target_alias[ISCSI_PARAM_STR_MAX];
};

/* Login stages as they appear in CSG/NSG (RFC 7143 11.12.3). */
enum iscsi_param_stage {
	ISCSI_PARAM_STAGE_SECURITY = 0,
	ISCSI_PARAM_STAGE_OPERATIONAL = 1,
};

/* Number of rows of the key table; sizes the per-key state below. */
#define ISCSI_PARAM_NKEYS 27

struct iscsi_param_key_state {
	uint8_t flags;	 /* private: offered / answered / received / done */
	uint32_t ours;	 /* our offered number or boolean */
	uint32_t result; /* numeric or boolean result, list index */
	uint8_t list[4]; /* our offered list, as indexes into the row's values */
	uint8_t list_len;
};

struct iscsi_negotiation {
	struct iscsi_param_config cfg; /* copy; strings borrowed */
	const char *name;	       /* log prefix; borrowed */
	struct iscsi_param_key_state key[ISCSI_PARAM_NKEYS];
	struct iscsi_params params;
	char error[160]; /* why the last call failed, names the key */
};

/* Fill *n from cfg (defaults applied, FirstBurst clamped to MaxBurst). */
void iscsi_param_init(struct iscsi_negotiation *n, const struct iscsi_param_config *cfg,
		      const char *name);

/*
 * Append our offers for stage as NUL-terminated "key=value" strings to
 * buf[*len..cap), advancing *len. The security stage carries the
 * declarative keys of the first PDU (InitiatorName, SessionType,
 * TargetName, InitiatorAlias) and AuthMethod; the operational stage the
 * rest. Each key is offered once per negotiation: a second call for the
 * same stage appends nothing. Returns 0 or -ENOSPC.
 */
int iscsi_param_build_offer(struct iscsi_negotiation *n, enum iscsi_param_stage stage, char *buf,
			    size_t cap, size_t *len);

/*
 * Process one key=value the target sent in stage. An answer to one of our
 * offers is checked against the rule; an offer from the target gets our
 * answer appended to reply (NUL-terminated "key=value", *rlen advanced).
 * Returns 0, -EPROTO (illegal key or value: n->error names the key and
 * why), or -ENOSPC (reply full).
 */
int iscsi_param_process(struct iscsi_negotiation *n, enum iscsi_param_stage stage, const char *key,
			const char *value, char *reply, size_t cap, size_t *rlen);

/*
 * True when every key we offered for stage has been answered (declaratives
 * need no answer).
 */
bool iscsi_param_stage_answered(const struct iscsi_negotiation *n, enum iscsi_param_stage stage);

/*
 * End of the operational stage (or of a login that skipped it): fill
 * n->params, apply defaults for keys never negotiated, enforce
 * FirstBurstLength <= MaxBurstLength and the digest the config insists
 * on. Returns 0 or -EPROTO with n->error set.
 */
int iscsi_param_finish(struct iscsi_negotiation *n);

/* AuthMethod as agreed so far (UNSET until the target answered it). */
enum iscsi_auth_method iscsi_param_auth_method(const struct iscsi_negotiation *n);

/*
 * Parse an RFC 7143 5.1 numerical value (decimal, or 0x hex) into *out.
 * Returns 0 or -EINVAL (empty, not a number, above UINT32_MAX).
 */
int iscsi_param_parse_u32(const char *s, uint32_t *out);

#endif
