/*
 * The RFC 7143 section 13 key table that drives the login key
 * negotiation (param.c): one row per key with its type, section 6.2 rule,
 * phase, sender, range and default.
 */
#include "config.h"

#include "session/param_keys.h"

const char *const param_rule_names[] = {
	[RULE_DECLARATIVE] = "declarative",
	[RULE_MIN] = "minimum",
	[RULE_MAX] = "maximum",
	[RULE_AND] = "AND",
	[RULE_OR] = "OR",
	[RULE_LIST] = "list",
	[RULE_REJECT] = "obsolete",
};

static const char *const v_bool[] = {"No", "Yes", NULL};
static const char *const v_digest[] = {"None", "CRC32C", NULL};
static const char *const v_session[] = {"Normal", "Discovery", NULL};
/* Only what we implement: a target offering KRB5, SRP... gets Reject. */
static const char *const v_auth[] = {"None", "CHAP", NULL};
/* RFC 7143 13.23: we do not implement ResponseFence / FastAbort. */
static const char *const v_task_reporting[] = {"RFC3720", NULL};

/*
 * RFC 7143 section 13, one row per key (the members of struct key_def;
 * a member left out is false / 0 / NULL). The KEY_ macros give the members
 * a kind of key shares.
 */
/* A table reads best one key to two or three lines: */
/* clang-format off */
/* A yes/no key: 0 (No) or 1 (Yes). */
#define KEY_BOOL .type = KT_BOOL, .max = 1, .values = v_bool
/*
 * A session-wide operational key: either side sends it, in the login of
 * the leading connection only ("LO"; we offer it in the operational
 * stage), and a discovery session ignores it ("Irrelevant when:
 * SessionType=Discovery").
 */
#define KEY_SESSION_WIDE .phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_OPERATIONAL, \
	.leading_only = true, .irrelevant_in_discovery = true
const struct key_def param_keys[K_COUNT] = {
	/* 13.1 */
	[K_HEADER_DIGEST] = {.name = "HeaderDigest", .type = KT_LIST, .rule = RULE_LIST,
		.phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_OPERATIONAL,
		.values = v_digest},
	[K_DATA_DIGEST] = {.name = "DataDigest", .type = KT_LIST, .rule = RULE_LIST,
		.phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_OPERATIONAL,
		.values = v_digest},
	/* 13.2 */
	[K_MAX_CONNECTIONS] = {.name = "MaxConnections", .type = KT_NUM, .rule = RULE_MIN,
		KEY_SESSION_WIDE, .min = 1, .max = 65535, .def = 1},
	/* 13.4: a target sends TargetName only in SendTargets answers; tolerated, ignored. */
	[K_TARGET_NAME] = {.name = "TargetName", .type = KT_STRING, .rule = RULE_DECLARATIVE,
		.phase = PH_ANY, .sender = S_BOTH, .offer = OFFER_SECURITY},
	/* 13.5 */
	[K_INITIATOR_NAME] = {.name = "InitiatorName", .type = KT_STRING, .rule = RULE_DECLARATIVE,
		.phase = PH_LOGIN, .sender = S_INITIATOR, .offer = OFFER_SECURITY},
	/* 13.6 */
	[K_TARGET_ALIAS] = {.name = "TargetAlias", .type = KT_STRING, .rule = RULE_DECLARATIVE,
		.phase = PH_ANY, .sender = S_TARGET, .offer = OFFER_NEVER},
	/* 13.7 */
	[K_INITIATOR_ALIAS] = {.name = "InitiatorAlias", .type = KT_STRING,
		.rule = RULE_DECLARATIVE, .phase = PH_ANY, .sender = S_INITIATOR,
		.offer = OFFER_SECURITY},
	/* 13.8: in a login, only with status class 1 (redirect); login.c reads it there. */
	[K_TARGET_ADDRESS] = {.name = "TargetAddress", .type = KT_STRING, .rule = RULE_DECLARATIVE,
		.phase = PH_ANY, .sender = S_TARGET, .offer = OFFER_NEVER},
	/* 13.9 */
	[K_TPGT] = {.name = "TargetPortalGroupTag", .type = KT_NUM, .rule = RULE_DECLARATIVE,
		.phase = PH_LOGIN, .sender = S_TARGET, .offer = OFFER_NEVER, .max = 65535},
	/* 13.10 */
	[K_INITIAL_R2T] = {.name = "InitialR2T", KEY_BOOL, .rule = RULE_OR,
		KEY_SESSION_WIDE, .def = 1},
	/* 13.11 */
	[K_IMMEDIATE_DATA] = {.name = "ImmediateData", KEY_BOOL, .rule = RULE_AND,
		KEY_SESSION_WIDE, .def = 1},
	/* 13.12 */
	[K_MAX_RECV_DSL] = {.name = "MaxRecvDataSegmentLength", .type = KT_NUM,
		.rule = RULE_DECLARATIVE, .phase = PH_ANY, .sender = S_BOTH,
		.offer = OFFER_OPERATIONAL, .min = 512, .max = DSL_MAX, .def = 8192},
	/* 13.13 */
	[K_MAX_BURST] = {.name = "MaxBurstLength", .type = KT_NUM, .rule = RULE_MIN,
		KEY_SESSION_WIDE, .min = 512, .max = DSL_MAX, .def = 262144},
	/* 13.14 */
	[K_FIRST_BURST] = {.name = "FirstBurstLength", .type = KT_NUM, .rule = RULE_MIN,
		KEY_SESSION_WIDE, .min = 512, .max = DSL_MAX, .def = 65536},
	/* 13.15 */
	[K_TIME2WAIT] = {.name = "DefaultTime2Wait", .type = KT_NUM, .rule = RULE_MAX,
		.phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_OPERATIONAL,
		.leading_only = true, .max = 3600, .def = 2},
	/* 13.16 */
	[K_TIME2RETAIN] = {.name = "DefaultTime2Retain", .type = KT_NUM, .rule = RULE_MIN,
		.phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_OPERATIONAL,
		.leading_only = true, .max = 3600, .def = 20},
	/* 13.17 */
	[K_MAX_R2T] = {.name = "MaxOutstandingR2T", .type = KT_NUM, .rule = RULE_MIN,
		KEY_SESSION_WIDE, .min = 1, .max = 65535, .def = 1},
	/* 13.18 */
	[K_DATA_PDU_IN_ORDER] = {.name = "DataPDUInOrder", KEY_BOOL, .rule = RULE_OR,
		KEY_SESSION_WIDE, .def = 1},
	/* 13.19 */
	[K_DATA_SEQ_IN_ORDER] = {.name = "DataSequenceInOrder", KEY_BOOL, .rule = RULE_OR,
		KEY_SESSION_WIDE, .def = 1},
	/* 13.20: we implement level 0 only, and MIN keeps it there. */
	[K_ERL] = {.name = "ErrorRecoveryLevel", .type = KT_NUM, .rule = RULE_MIN,
		.phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_OPERATIONAL,
		.leading_only = true, .max = 2},
	/* 13.21 */
	[K_SESSION_TYPE] = {.name = "SessionType", .type = KT_LIST, .rule = RULE_DECLARATIVE,
		.phase = PH_LOGIN, .sender = S_INITIATOR, .offer = OFFER_SECURITY,
		.leading_only = true, .values = v_session},
	/* 12.1 */
	[K_AUTH_METHOD] = {.name = "AuthMethod", .type = KT_LIST, .rule = RULE_LIST,
		.phase = PH_SECURITY, .sender = S_BOTH, .offer = OFFER_SECURITY, .values = v_auth},
	/* 13.26 obsoletes the markers: answer No to the booleans, Reject to the intervals. */
	[K_OF_MARKER] = {.name = "OFMarker", KEY_BOOL, .rule = RULE_AND, .phase = PH_LOGIN,
		.sender = S_BOTH, .offer = OFFER_NEVER},
	[K_IF_MARKER] = {.name = "IFMarker", KEY_BOOL, .rule = RULE_AND, .phase = PH_LOGIN,
		.sender = S_BOTH, .offer = OFFER_NEVER},
	[K_OF_MARK_INT] = {.name = "OFMarkInt", .type = KT_STRING, .rule = RULE_REJECT,
		.phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_NEVER},
	[K_IF_MARK_INT] = {.name = "IFMarkInt", .type = KT_STRING, .rule = RULE_REJECT,
		.phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_NEVER},
	/* 13.23 */
	[K_TASK_REPORTING] = {.name = "TaskReporting", .type = KT_LIST, .rule = RULE_LIST,
		.phase = PH_LOGIN, .sender = S_BOTH, .offer = OFFER_NEVER, .leading_only = true,
		.irrelevant_in_discovery = true, .values = v_task_reporting},
};
#undef KEY_BOOL
#undef KEY_SESSION_WIDE
/* clang-format on */
