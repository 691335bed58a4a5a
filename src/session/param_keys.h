/*
 * Private to the key negotiation (param.c, param_keys.c): the shape of
 * the RFC 7143 section 13 key table and its rows. Nothing else includes
 * this.
 */
#ifndef ISN_SESSION_PARAM_KEYS_H
#define ISN_SESSION_PARAM_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "session/param.h"

enum key_type {
	KT_NUM,	   /* numerical-value (RFC 7143 5.1) */
	KT_BOOL,   /* Yes / No; result 0 or 1 */
	KT_LIST,   /* one of row.values; result is the index */
	KT_STRING, /* free text (names, alias, address) */
};

/* RFC 7143 6.2 / 6.2.1 negotiation outcome functions. */
enum key_rule {
	RULE_DECLARATIVE, /* each side states its own value, nobody answers */
	RULE_MIN,	  /* numerical minimum of offer and answer */
	RULE_MAX,	  /* numerical maximum */
	RULE_AND,	  /* boolean AND */
	RULE_OR,	  /* boolean OR */
	RULE_LIST,	  /* first offered value the responder supports */
	RULE_REJECT,	  /* obsolete key (RFC 7143 13.26): always answer Reject */
};

/* Where a key may appear (RFC 7143 6.3 and each key's "Use:"). */
enum key_phase {
	PH_SECURITY, /* security negotiation stage only */
	PH_LOGIN,    /* any login stage ("IO"/"LO") */
	PH_ANY,	     /* login and full feature phase ("ALL") */
};

enum key_sender {
	S_INITIATOR,
	S_TARGET,
	S_BOTH,
};

/* Which of our requests carries our offer of the key. */
enum key_offer {
	OFFER_NEVER,	   /* we never offer it, only answer */
	OFFER_SECURITY,	   /* first PDU of the security stage */
	OFFER_OPERATIONAL, /* first PDU of the operational stage */
};

struct key_def {
	const char *name;
	enum key_type type;
	enum key_rule rule;
	enum key_phase phase;
	enum key_sender sender;
	enum key_offer offer;
	bool leading_only;	      /* "LO": leading connection only */
	bool irrelevant_in_discovery; /* "Irrelevant when: SessionType=Discovery" */
	uint32_t min, max;	      /* numerical range, inclusive */
	uint32_t def;		      /* default: number, boolean, or values[] index */
	const char *const *values;    /* KT_LIST: known values (KT_BOOL: No, Yes) */
};

/* Key indexes, in table order. */
enum {
	K_HEADER_DIGEST,
	K_DATA_DIGEST,
	K_MAX_CONNECTIONS,
	K_TARGET_NAME,
	K_INITIATOR_NAME,
	K_TARGET_ALIAS,
	K_INITIATOR_ALIAS,
	K_TARGET_ADDRESS,
	K_TPGT,
	K_INITIAL_R2T,
	K_IMMEDIATE_DATA,
	K_MAX_RECV_DSL,
	K_MAX_BURST,
	K_FIRST_BURST,
	K_TIME2WAIT,
	K_TIME2RETAIN,
	K_MAX_R2T,
	K_DATA_PDU_IN_ORDER,
	K_DATA_SEQ_IN_ORDER,
	K_ERL,
	K_SESSION_TYPE,
	K_AUTH_METHOD,
	K_OF_MARKER,
	K_IF_MARKER,
	K_OF_MARK_INT,
	K_IF_MARK_INT,
	K_TASK_REPORTING,
	K_COUNT
};

_Static_assert(K_COUNT == ISCSI_PARAM_NKEYS, "ISCSI_PARAM_NKEYS must match the key table");

#define DSL_MAX 16777215u /* 2^24 - 1 */

/* RFC 7143 section 13, one row per key, indexed by K_*. */
extern const struct key_def param_keys[K_COUNT];

/* The rules by name, for log lines. */
extern const char *const param_rule_names[];

#endif
