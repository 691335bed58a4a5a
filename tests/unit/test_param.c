/*
 * Key negotiation table (RFC 7143 6.2 rules, section 13 keys), rule by
 * rule: what we offer in each stage (exact bytes), how each rule combines
 * our offer with the target's answer, what we answer to the target's own
 * offers, illegal answers (each must fail and name the key), defaults for
 * keys nobody negotiated, and FirstBurstLength <= MaxBurstLength.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "session/param.h"

static struct iscsi_negotiation n;
static char reply[1024];
static size_t rlen;

static void setup_cfg(struct iscsi_param_config *c)
{
	memset(c, 0, sizeof(*c));
	c->initiator_name = "iqn.2026-01.test:init";
	c->target_name = "iqn.2026-01.test:tgt";
	c->leading = true;
}

static void start(const struct iscsi_param_config *c)
{
	iscsi_param_init(&n, c, "t");
	rlen = 0;
	memset(reply, 0, sizeof(reply));
}

static void start_default(void)
{
	struct iscsi_param_config c;

	setup_cfg(&c);
	start(&c);
}

/* Offer the operational stage so answers are answers. */
static void offer_op(void)
{
	char buf[1024];
	size_t len = 0;

	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_OPERATIONAL, buf, sizeof(buf), &len),
		0);
}

static int op(const char *k, const char *v)
{
	return iscsi_param_process(&n, ISCSI_PARAM_STAGE_OPERATIONAL, k, v, reply, sizeof(reply),
				   &rlen);
}

static void expect_fail_naming(const char *k, const char *v)
{
	ck_assert_int_eq(op(k, v), -EPROTO);
	ck_assert_msg(strstr(n.error, k) != NULL, "error \"%s\" does not name %s", n.error, k);
}

/* Exact NUL-separated text, written here from RFC 7143 section 13 key names. */
#define EXPECT_TEXT(buf, len, lit)                                                                 \
	do {                                                                                       \
		ck_assert_uint_eq((len), sizeof(lit) - 1);                                         \
		ck_assert_mem_eq((buf), (lit), sizeof(lit) - 1);                                   \
	} while (0)

START_TEST(offer_security_normal)
{
	struct iscsi_param_config c;
	char buf[512];
	size_t len = 0;

	setup_cfg(&c);
	c.initiator_alias = "host1";
	c.auth = ISCSI_AUTH_CHAP_OPT;
	start(&c);
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_SECURITY, buf, sizeof(buf), &len), 0);
	EXPECT_TEXT(buf, len,
		    "TargetName=iqn.2026-01.test:tgt\0InitiatorName=iqn.2026-01.test:init\0"
		    "InitiatorAlias=host1\0SessionType=Normal\0AuthMethod=CHAP,None\0");
	/* Offered once only. */
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_SECURITY, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, sizeof("TargetName=iqn.2026-01.test:tgt\0InitiatorName=iqn.2026-01."
				      "test:init\0InitiatorAlias=host1\0SessionType=Normal\0"
				      "AuthMethod=CHAP,None\0") -
				       1);
}
END_TEST

START_TEST(offer_security_discovery_chap_only)
{
	struct iscsi_param_config c;
	char buf[512];
	size_t len = 0;

	setup_cfg(&c);
	c.target_name = NULL;
	c.auth = ISCSI_AUTH_CHAP;
	start(&c);
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_SECURITY, buf, sizeof(buf), &len), 0);
	EXPECT_TEXT(
		buf, len,
		"InitiatorName=iqn.2026-01.test:init\0SessionType=Discovery\0AuthMethod=CHAP\0");
}
END_TEST

START_TEST(offer_operational_normal)
{
	char buf[1024];
	size_t len = 0;

	start_default();
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_OPERATIONAL, buf, sizeof(buf), &len),
		0);
	EXPECT_TEXT(buf, len,
		    "HeaderDigest=None\0DataDigest=None\0MaxConnections=1\0InitialR2T=No\0"
		    "ImmediateData=Yes\0MaxRecvDataSegmentLength=262144\0"
		    "MaxBurstLength=16776192\0FirstBurstLength=262144\0DefaultTime2Wait=2\0"
		    "DefaultTime2Retain=20\0MaxOutstandingR2T=1\0DataPDUInOrder=Yes\0"
		    "DataSequenceInOrder=Yes\0ErrorRecoveryLevel=0\0");
}
END_TEST

START_TEST(offer_operational_discovery)
{
	struct iscsi_param_config c;
	char buf[1024];
	size_t len = 0;

	setup_cfg(&c);
	c.target_name = NULL;
	c.header_digest = ISCSI_DIGEST_PREFER_CRC32C;
	c.data_digest = ISCSI_DIGEST_PREFER_NONE;
	c.max_recv_dsl = 65536;
	start(&c);
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_OPERATIONAL, buf, sizeof(buf), &len),
		0);
	/* RFC 7143 13.x "Irrelevant when: SessionType=Discovery" keys are left out. */
	EXPECT_TEXT(buf, len,
		    "HeaderDigest=CRC32C,None\0DataDigest=None,CRC32C\0"
		    "MaxRecvDataSegmentLength=65536\0DefaultTime2Wait=2\0DefaultTime2Retain=20\0"
		    "ErrorRecoveryLevel=0\0");
}
END_TEST

START_TEST(offer_enospc)
{
	char buf[40];
	size_t len = 0;

	start_default();
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_OPERATIONAL, buf, sizeof(buf), &len),
		-ENOSPC);
	ck_assert_uint_le(len, sizeof(buf));
}
END_TEST

START_TEST(rule_min)
{
	start_default();
	offer_op();
	ck_assert_int_eq(op("MaxBurstLength", "65536"), 0);
	ck_assert_int_eq(op("MaxOutstandingR2T", "1"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert_uint_eq(n.params.max_burst, 65536);
	ck_assert_uint_eq(rlen, 0); /* answers need no answer */

	start_default();
	offer_op();
	expect_fail_naming("MaxOutstandingR2T", "2"); /* above our offer of 1 */
	start_default();
	offer_op();
	expect_fail_naming("MaxBurstLength", "511"); /* below the 512 minimum */
	start_default();
	offer_op();
	expect_fail_naming("MaxBurstLength", "16777216"); /* above 2^24-1 */
	start_default();
	offer_op();
	expect_fail_naming("MaxBurstLength", "lots");
	start_default();
	offer_op();
	expect_fail_naming("ErrorRecoveryLevel", "1"); /* we offered 0 */
}
END_TEST

START_TEST(rule_max)
{
	start_default();
	offer_op();
	ck_assert_int_eq(op("DefaultTime2Wait", "5"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert_uint_eq(n.params.default_time2wait, 5);

	start_default();
	offer_op();
	expect_fail_naming("DefaultTime2Wait", "1"); /* below our 2: MAX cannot go down */
	start_default();
	offer_op();
	expect_fail_naming("DefaultTime2Wait", "3601");
}
END_TEST

START_TEST(rule_or_initial_r2t)
{
	struct iscsi_param_config c;

	/* We offer No: the target may say Yes, and Yes wins. */
	start_default();
	offer_op();
	ck_assert_int_eq(op("InitialR2T", "Yes"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert(n.params.initial_r2t);

	start_default();
	offer_op();
	ck_assert_int_eq(op("InitialR2T", "No"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert(!n.params.initial_r2t);

	/* We offer Yes: an answer of No is illegal under OR. */
	setup_cfg(&c);
	c.initial_r2t = true;
	start(&c);
	offer_op();
	expect_fail_naming("InitialR2T", "No");

	start_default();
	offer_op();
	expect_fail_naming("InitialR2T", "yes"); /* values are case-sensitive */
}
END_TEST

/*
 * task.c enforces Data-In order strictly because DataPDUInOrder and
 * DataSequenceInOrder can never be No: we offer Yes, and the rule is OR.
 */
START_TEST(data_in_order_always_yes)
{
	/* The target offers No first: we answer Yes, and Yes is the result. */
	start_default();
	ck_assert_int_eq(op("DataPDUInOrder", "No"), 0);
	ck_assert_int_eq(op("DataSequenceInOrder", "No"), 0);
	EXPECT_TEXT(reply, rlen, "DataPDUInOrder=Yes\0DataSequenceInOrder=Yes\0");
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert(n.params.data_pdu_in_order);
	ck_assert(n.params.data_sequence_in_order);

	/* We offered Yes: an answer of No fails the login. */
	start_default();
	offer_op();
	expect_fail_naming("DataPDUInOrder", "No");
	start_default();
	offer_op();
	expect_fail_naming("DataSequenceInOrder", "No");

	/* Not answered at all: the default, Yes. */
	start_default();
	offer_op();
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert(n.params.data_pdu_in_order);
	ck_assert(n.params.data_sequence_in_order);
}
END_TEST

START_TEST(rule_and_immediate_data)
{
	struct iscsi_param_config c;

	start_default();
	offer_op();
	ck_assert_int_eq(op("ImmediateData", "No"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert(!n.params.immediate_data);

	start_default();
	offer_op();
	ck_assert_int_eq(op("ImmediateData", "Yes"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert(n.params.immediate_data);

	/* We offered No: a target saying Yes breaks AND. */
	setup_cfg(&c);
	c.no_immediate_data = true;
	start(&c);
	offer_op();
	expect_fail_naming("ImmediateData", "Yes");
}
END_TEST

START_TEST(rule_list_digest)
{
	struct iscsi_param_config c;

	setup_cfg(&c);
	c.header_digest = ISCSI_DIGEST_PREFER_CRC32C;
	c.data_digest = ISCSI_DIGEST_PREFER_CRC32C;
	start(&c);
	offer_op();
	ck_assert_int_eq(op("HeaderDigest", "CRC32C"), 0);
	ck_assert_int_eq(op("DataDigest", "None"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert(n.params.header_digest);
	ck_assert(!n.params.data_digest);

	start(&c);
	offer_op();
	expect_fail_naming("HeaderDigest", "MD5"); /* not offered */
	start(&c);
	offer_op();
	expect_fail_naming("HeaderDigest", "CRC32C,None"); /* a list is no answer */

	/* We offered None only: CRC32C is not ours to accept. */
	start_default();
	offer_op();
	expect_fail_naming("DataDigest", "CRC32C");

	/* CRC32C required: Reject leaves the default None, which we cannot accept. */
	setup_cfg(&c);
	c.header_digest = ISCSI_DIGEST_CRC32C;
	start(&c);
	offer_op();
	ck_assert_int_eq(op("HeaderDigest", "Reject"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), -EPROTO);
	ck_assert_ptr_nonnull(strstr(n.error, "HeaderDigest"));
}
END_TEST

START_TEST(first_burst_le_max_burst)
{
	struct iscsi_param_config c;
	char buf[1024];
	size_t len = 0;

	/* Our own proposal is clamped before it goes out. */
	setup_cfg(&c);
	c.first_burst = 1048576;
	c.max_burst = 262144;
	start(&c);
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_OPERATIONAL, buf, sizeof(buf), &len),
		0);
	ck_assert_ptr_nonnull(memmem(buf, len, "FirstBurstLength=262144", 24));

	/* Results that cross (target's small MaxBurstLength) are clamped too. */
	start_default();
	offer_op();
	ck_assert_int_eq(op("MaxBurstLength", "16384"), 0);
	ck_assert_int_eq(op("FirstBurstLength", "65536"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert_uint_eq(n.params.max_burst, 16384);
	ck_assert_uint_eq(n.params.first_burst, 16384);

	/* FirstBurstLength above our offer is illegal (MIN). */
	start_default();
	offer_op();
	expect_fail_naming("FirstBurstLength", "262145");
}
END_TEST

START_TEST(declaratives)
{
	start_default();
	offer_op();
	ck_assert_int_eq(op("MaxRecvDataSegmentLength", "0x10000"), 0);
	ck_assert_int_eq(op("TargetAlias", "my disk"), 0);
	ck_assert_int_eq(op("TargetPortalGroupTag", "1"), 0);
	ck_assert_uint_eq(rlen, 0); /* nothing to answer to a declaration */
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert_uint_eq(n.params.target_max_recv_dsl, 65536);
	ck_assert_uint_eq(n.params.our_max_recv_dsl, 262144);
	ck_assert_str_eq(n.params.target_alias, "my disk");
	ck_assert(n.params.tpgt_valid);
	ck_assert_uint_eq(n.params.tpgt, 1);

	start_default();
	offer_op();
	expect_fail_naming("TargetPortalGroupTag", "65536");
	start_default();
	offer_op();
	expect_fail_naming("MaxRecvDataSegmentLength", "100");
	/* Keys only an initiator may send. */
	start_default();
	offer_op();
	expect_fail_naming("InitiatorName", "iqn.evil");
	start_default();
	offer_op();
	expect_fail_naming("SessionType", "Discovery");
	/* Twice is once too many. */
	start_default();
	offer_op();
	ck_assert_int_eq(op("TargetAlias", "a"), 0);
	expect_fail_naming("TargetAlias", "b");
}
END_TEST

static bool inert(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* Issue 9 part 5: target text is data, in the alias we keep and in every error. */
START_TEST(hostile_target_text)
{
	start_default();
	offer_op();
	ck_assert_int_eq(op("TargetAlias", "disk\x1b]0;pwned\x07\r\n\"q\\\xc3"), 0);
	ck_assert_str_eq(n.params.target_alias, "disk\\x1b]0;pwned\\x07\\x0d\\x0a\"q\\\\\\xc3");
	/* A value quoted in an error comes out escaped. */
	start_default();
	offer_op();
	expect_fail_naming("MaxBurstLength", "1\x1b[2J\n");
	ck_assert_msg(inert(n.error), "raw byte in \"%s\"", n.error);
	ck_assert_ptr_nonnull(strstr(n.error, "\\x1b[2J\\x0a"));
	/* RFC 7143 13.4: a TargetName the target states must be an iSCSI name. */
	start_default();
	offer_op();
	ck_assert_int_eq(op("TargetName", "iqn.2026-01.test:tgt"), 0);
	start_default();
	offer_op();
	expect_fail_naming("TargetName", "iqn.2026-01.test:t\x1b[31m");
	ck_assert(inert(n.error));
	ck_assert_ptr_nonnull(strstr(n.error, "t\\x1b[31m"));
	start_default();
	offer_op();
	expect_fail_naming("TargetName", "target one");
}
END_TEST

START_TEST(defaults_when_not_negotiated)
{
	start_default();
	offer_op();
	/* The target answers nothing at all. */
	ck_assert(!iscsi_param_stage_answered(&n, ISCSI_PARAM_STAGE_OPERATIONAL));
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	/* RFC 7143 section 13 defaults, combined with our offer by each rule. */
	ck_assert_uint_eq(n.params.target_max_recv_dsl, 8192);
	ck_assert_uint_eq(n.params.max_burst, 262144);	/* MIN(16776192, 262144) */
	ck_assert_uint_eq(n.params.first_burst, 65536); /* MIN(262144, 65536) */
	ck_assert(n.params.initial_r2t);		/* No OR Yes */
	ck_assert(n.params.immediate_data);		/* Yes AND Yes */
	ck_assert_uint_eq(n.params.default_time2wait, 2);
	ck_assert_uint_eq(n.params.default_time2retain, 20);
	ck_assert(!n.params.header_digest);
	ck_assert(!n.params.tpgt_valid);
	ck_assert_uint_eq(n.params.error_recovery_level, 0);
}
END_TEST

START_TEST(answers_all_then_answered)
{
	static const char *const ans[][2] = {
		{"HeaderDigest", "None"},      {"DataDigest", "None"},
		{"MaxConnections", "1"},       {"InitialR2T", "No"},
		{"ImmediateData", "Yes"},      {"MaxBurstLength", "262144"},
		{"FirstBurstLength", "65536"}, {"DefaultTime2Wait", "2"},
		{"DefaultTime2Retain", "0"},   {"MaxOutstandingR2T", "1"},
		{"DataPDUInOrder", "Yes"},     {"DataSequenceInOrder", "Yes"},
		{"ErrorRecoveryLevel", "0"},
	};

	start_default();
	offer_op();
	for (size_t i = 0; i < sizeof(ans) / sizeof(ans[0]); i++) {
		ck_assert(!iscsi_param_stage_answered(&n, ISCSI_PARAM_STAGE_OPERATIONAL));
		ck_assert_int_eq(op(ans[i][0], ans[i][1]), 0);
	}
	ck_assert(iscsi_param_stage_answered(&n, ISCSI_PARAM_STAGE_OPERATIONAL));
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert_uint_eq(n.params.default_time2retain, 0);
	ck_assert_uint_eq(n.params.first_burst, 65536);
	ck_assert(!n.params.initial_r2t);
}
END_TEST

START_TEST(target_offers_get_answers)
{
	/* Before we offered anything: the target's keys are offers we answer. */
	start_default();
	ck_assert_int_eq(op("MaxBurstLength", "131072"), 0);
	ck_assert_int_eq(op("InitialR2T", "Yes"), 0);
	ck_assert_int_eq(op("ImmediateData", "Yes"), 0);
	ck_assert_int_eq(op("DefaultTime2Wait", "0"), 0);
	ck_assert_int_eq(op("HeaderDigest", "CRC32C,None"), 0); /* we only do None */
	ck_assert_int_eq(op("DataDigest", "CRC32C"), 0);	/* nothing acceptable */
	ck_assert_int_eq(op("ErrorRecoveryLevel", "2"), 0);
	ck_assert_int_eq(op("MaxOutstandingR2T", "99999"), 0); /* out of range */
	ck_assert_int_eq(op("X-com.example.magic", "42"), 0);
	ck_assert_int_eq(op("X#vendor", "1"), 0);
	ck_assert_int_eq(op("OFMarker", "Yes"), 0);
	ck_assert_int_eq(op("IFMarkInt", "2048~8192"), 0);
	ck_assert_int_eq(op("TaskReporting", "FastAbort,RFC3720"), 0);
	EXPECT_TEXT(reply, rlen,
		    "MaxBurstLength=131072\0InitialR2T=Yes\0ImmediateData=Yes\0"
		    "DefaultTime2Wait=2\0HeaderDigest=None\0DataDigest=Reject\0"
		    "ErrorRecoveryLevel=0\0MaxOutstandingR2T=Reject\0"
		    "X-com.example.magic=NotUnderstood\0X#vendor=NotUnderstood\0OFMarker=No\0"
		    "IFMarkInt=Reject\0TaskReporting=RFC3720\0");

	/* What the target offered first is not offered again by us. */
	{
		char buf[1024];
		size_t len = 0;

		ck_assert_int_eq(iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_OPERATIONAL, buf,
							 sizeof(buf), &len),
				 0);
		ck_assert_ptr_null(memmem(buf, len, "MaxBurstLength", 14));
		ck_assert_ptr_null(memmem(buf, len, "InitialR2T", 10));
		ck_assert_ptr_nonnull(memmem(buf, len, "FirstBurstLength=", 17));
	}
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert_uint_eq(n.params.max_burst, 131072);
	ck_assert(n.params.initial_r2t);
	ck_assert_uint_eq(n.params.default_time2wait, 2);
	ck_assert(!n.params.header_digest);
}
END_TEST

START_TEST(discovery_irrelevant)
{
	struct iscsi_param_config c;

	setup_cfg(&c);
	c.target_name = NULL;
	start(&c);
	offer_op();
	ck_assert_int_eq(op("InitialR2T", "Yes"), 0);
	ck_assert_int_eq(op("MaxBurstLength", "4096"), 0);
	ck_assert_int_eq(op("DefaultTime2Retain", "0"), 0); /* answer to our offer */
	EXPECT_TEXT(reply, rlen, "InitialR2T=Irrelevant\0MaxBurstLength=Irrelevant\0");
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert(n.params.discovery);
}
END_TEST

START_TEST(security_keys_and_stages)
{
	struct iscsi_param_config c;
	char buf[512];
	size_t len = 0;

	setup_cfg(&c);
	c.auth = ISCSI_AUTH_CHAP_OPT;
	start(&c);
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_SECURITY, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(iscsi_param_auth_method(&n), ISCSI_AUTH_METHOD_UNSET);
	ck_assert_int_eq(iscsi_param_process(&n, ISCSI_PARAM_STAGE_SECURITY, "AuthMethod", "CHAP",
					     reply, sizeof(reply), &rlen),
			 0);
	ck_assert_int_eq(iscsi_param_auth_method(&n), ISCSI_AUTH_METHOD_CHAP);
	/* AuthMethod belongs to the security stage only. */
	ck_assert_int_eq(op("AuthMethod", "None"), -EPROTO);

	/* CHAP only offered: the target may not pick None, nor SRP. */
	c.auth = ISCSI_AUTH_CHAP;
	start(&c);
	len = 0;
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_SECURITY, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(iscsi_param_process(&n, ISCSI_PARAM_STAGE_SECURITY, "AuthMethod", "None",
					     reply, sizeof(reply), &rlen),
			 -EPROTO);
	start(&c);
	len = 0;
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_SECURITY, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(iscsi_param_process(&n, ISCSI_PARAM_STAGE_SECURITY, "AuthMethod", "SRP",
					     reply, sizeof(reply), &rlen),
			 -EPROTO);
}
END_TEST

START_TEST(reserved_answers)
{
	/* Reserved constants answer keys we sent; for others they are garbage. */
	start_default();
	offer_op();
	expect_fail_naming("X-unknown", "Reject");
	start_default();
	expect_fail_naming("InitialR2T", "Irrelevant"); /* we never offered it */
	start_default();
	offer_op();
	ck_assert_int_eq(op("MaxBurstLength", "NotUnderstood"), 0);
	ck_assert_int_eq(op("InitialR2T", "Irrelevant"), 0);
	ck_assert_int_eq(iscsi_param_finish(&n), 0);
	ck_assert_uint_eq(n.params.max_burst, 262144);
}
END_TEST

START_TEST(non_leading_connection)
{
	struct iscsi_param_config c;
	char buf[1024];
	size_t len = 0;

	setup_cfg(&c);
	c.leading = false;
	start(&c);
	ck_assert_int_eq(
		iscsi_param_build_offer(&n, ISCSI_PARAM_STAGE_OPERATIONAL, buf, sizeof(buf), &len),
		0);
	/* RFC 7143 "LO" keys stay off a non-leading connection. */
	EXPECT_TEXT(buf, len,
		    "HeaderDigest=None\0DataDigest=None\0MaxRecvDataSegmentLength=262144\0");
	expect_fail_naming("MaxBurstLength", "4096");
}
END_TEST

START_TEST(reply_enospc)
{
	start_default();
	ck_assert_int_eq(
		iscsi_param_process(&n, ISCSI_PARAM_STAGE_OPERATIONAL, "X-a", "b", reply, 5, &rlen),
		-ENOSPC);
}
END_TEST

START_TEST(parse_numbers)
{
	uint32_t v;

	ck_assert_int_eq(iscsi_param_parse_u32("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(iscsi_param_parse_u32("4294967295", &v), 0);
	ck_assert_uint_eq(v, 4294967295u);
	ck_assert_int_eq(iscsi_param_parse_u32("4294967296", &v), -EINVAL);
	ck_assert_int_eq(iscsi_param_parse_u32("0xFFff", &v), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(iscsi_param_parse_u32("0x", &v), -EINVAL);
	ck_assert_int_eq(iscsi_param_parse_u32("", &v), -EINVAL);
	ck_assert_int_eq(iscsi_param_parse_u32("-1", &v), -EINVAL);
	ck_assert_int_eq(iscsi_param_parse_u32(" 1", &v), -EINVAL);
	ck_assert_int_eq(iscsi_param_parse_u32("12a", &v), -EINVAL);
	ck_assert_int_eq(iscsi_param_parse_u32("0x1ffffffff", &v), -EINVAL);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("param");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, offer_security_normal);
	tcase_add_test(tc, offer_security_discovery_chap_only);
	tcase_add_test(tc, offer_operational_normal);
	tcase_add_test(tc, offer_operational_discovery);
	tcase_add_test(tc, offer_enospc);
	tcase_add_test(tc, rule_min);
	tcase_add_test(tc, rule_max);
	tcase_add_test(tc, rule_or_initial_r2t);
	tcase_add_test(tc, data_in_order_always_yes);
	tcase_add_test(tc, rule_and_immediate_data);
	tcase_add_test(tc, rule_list_digest);
	tcase_add_test(tc, first_burst_le_max_burst);
	tcase_add_test(tc, declaratives);
	tcase_add_test(tc, hostile_target_text);
	tcase_add_test(tc, defaults_when_not_negotiated);
	tcase_add_test(tc, answers_all_then_answered);
	tcase_add_test(tc, target_offers_get_answers);
	tcase_add_test(tc, discovery_irrelevant);
	tcase_add_test(tc, security_keys_and_stages);
	tcase_add_test(tc, reserved_answers);
	tcase_add_test(tc, non_leading_connection);
	tcase_add_test(tc, reply_enospc);
	tcase_add_test(tc, parse_numbers);
	suite_add_tcase(s, tc);
	return s;
}
