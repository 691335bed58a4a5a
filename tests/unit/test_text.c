/*
 * session/text: key=value parsing edge cases (RFC 7143 6.1 limits and
 * syntax), continuation across PDUs (C bit), the builder's exact output
 * and bounds, numeric values in all three encodings, binary values against
 * RFC 4648 section 10 base64 vectors and RFC 7143 6.1 hex examples, lists
 * and the special answers of RFC 7143 6.2.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "session/iscsi_name.h"
#include "session/text.h"

/* A C string literal with its embedded NULs, length without the final implicit NUL. */
#define SEG(s) (s), (sizeof(s) - 1)

START_TEST(parse_basic)
{
	static const char seg[] = "HeaderDigest=None\0MaxRecvDataSegmentLength=65536\0";
	struct iscsi_text_pair p[4];
	size_t consumed = 99;
	const char *why = NULL;

	ck_assert_int_eq(iscsi_text_parse(SEG(seg), false, p, 4, &consumed, &why), 2);
	ck_assert_uint_eq(consumed, sizeof(seg) - 1);
	ck_assert(iscsi_text_key_is(&p[0], "HeaderDigest"));
	ck_assert(!iscsi_text_key_is(&p[0], "HeaderDiges"));
	ck_assert(!iscsi_text_key_is(&p[0], "HeaderDigestX"));
	ck_assert_uint_eq(p[0].key_len, 12);
	ck_assert_str_eq(p[0].value, "None");
	ck_assert_uint_eq(p[0].value_len, 4);
	ck_assert(iscsi_text_key_is(&p[1], "MaxRecvDataSegmentLength"));
	ck_assert_str_eq(p[1].value, "65536");
	/* Views point into the caller's buffer, nothing is copied. */
	ck_assert_ptr_eq(p[0].key, seg);
	ck_assert_ptr_eq(p[1].value, seg + 43);
}
END_TEST

START_TEST(parse_edges)
{
	struct iscsi_text_pair p[4];
	const char *why;
	char buf[9000];

	/* Empty value is syntactically fine; extra NULs (padding) are skipped. */
	ck_assert_int_eq(iscsi_text_parse(SEG("\0TargetAlias=\0\0\0"), false, p, 4, NULL, NULL), 1);
	ck_assert_uint_eq(p[0].value_len, 0);
	ck_assert_str_eq(p[0].value, "");
	/* '=' inside the value belongs to the value. */
	ck_assert_int_eq(iscsi_text_parse(SEG("X-a=b=c\0"), false, p, 4, NULL, NULL), 1);
	ck_assert_str_eq(p[0].value, "b=c");
	ck_assert_int_eq(iscsi_text_parse("", 0, false, p, 4, NULL, NULL), 0);

	why = NULL;
	ck_assert_int_eq(iscsi_text_parse(SEG("NoEquals\0"), false, p, 4, NULL, &why), -EPROTO);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(iscsi_text_parse(SEG("=value\0"), false, p, 4, NULL, NULL), -EPROTO);
	ck_assert_int_eq(iscsi_text_parse(SEG("Key Name=x\0"), false, p, 4, NULL, NULL), -EPROTO);
	ck_assert_int_eq(iscsi_text_parse(SEG("A=1\0B=2"), false, p, 4, NULL, NULL), -EPROTO);
	ck_assert_int_eq(iscsi_text_parse(SEG("A=1\0B=2\0C=3\0"), false, p, 2, NULL, NULL),
			 -ENOSPC);
	ck_assert_int_eq(iscsi_text_parse(SEG("X#vendor.key@x=1\0"), false, p, 4, NULL, NULL), 1);

	/* Key of exactly 63 bytes passes, 64 fails. */
	memset(buf, 'K', 63);
	memcpy(buf + 63, "=v", 3);
	ck_assert_int_eq(iscsi_text_parse(buf, 66, false, p, 4, NULL, NULL), 1);
	memset(buf, 'K', 64);
	memcpy(buf + 64, "=v", 3);
	ck_assert_int_eq(iscsi_text_parse(buf, 67, false, p, 4, NULL, NULL), -EPROTO);

	/* Value of 255 passes, 256 fails for an ordinary key... */
	memcpy(buf, "TargetName=", 11);
	memset(buf + 11, 'n', 255);
	buf[11 + 255] = '\0';
	ck_assert_int_eq(iscsi_text_parse(buf, 11 + 256, false, p, 4, NULL, NULL), 1);
	memset(buf + 11, 'n', 256);
	buf[11 + 256] = '\0';
	ck_assert_int_eq(iscsi_text_parse(buf, 11 + 257, false, p, 4, NULL, NULL), -EPROTO);
	/* ...while CHAP_C may carry up to 8192 bytes of text, not 8193. */
	memcpy(buf, "CHAP_C=0x", 9);
	memset(buf + 9, 'a', 8190);
	buf[9 + 8190] = '\0';
	ck_assert_int_eq(iscsi_text_parse(buf, 9 + 8191, false, p, 4, NULL, NULL), 1);
	ck_assert_uint_eq(p[0].value_len, 8192);
	memset(buf + 9, 'a', 8191);
	buf[9 + 8191] = '\0';
	ck_assert_int_eq(iscsi_text_parse(buf, 9 + 8192, false, p, 4, NULL, NULL), -EPROTO);
	ck_assert_uint_eq(iscsi_text_value_max("CHAP_R", 6), ISCSI_TEXT_LONG_VALUE_MAX);
	ck_assert_uint_eq(iscsi_text_value_max("CHAP_N", 6), ISCSI_TEXT_VALUE_MAX);
	ck_assert_uint_eq(iscsi_text_value_max("CHAP_C", 5), ISCSI_TEXT_VALUE_MAX);
}
END_TEST

START_TEST(parse_more)
{
	static const char seg[] = "A=1\0HeaderDigest=No";
	struct iscsi_text_pair p[4];
	size_t consumed = 0;

	/* C bit set: the split pair is left for the next PDU. */
	ck_assert_int_eq(iscsi_text_parse(SEG(seg), true, p, 4, &consumed, NULL), 1);
	ck_assert_uint_eq(consumed, 4);
	ck_assert(iscsi_text_key_is(&p[0], "A"));
	/* Errors in complete pairs are still errors with more. */
	ck_assert_int_eq(iscsi_text_parse(SEG("bad\0A=1"), true, p, 4, &consumed, NULL), -EPROTO);
}
END_TEST

START_TEST(accumulate)
{
	struct iscsi_text_acc acc;
	struct iscsi_text_pair p[4];
	char store[40];

	iscsi_text_acc_init(&acc, store, sizeof(store));
	/* Three PDUs, the pair split in the middle of the value and of a key. */
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("HeaderDigest=No"), true), 0);
	ck_assert_int_eq(iscsi_text_acc_parse(&acc, p, 4, NULL), -EAGAIN);
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("ne\0Data"), true), 0);
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("Digest=None\0"), false), 0);
	ck_assert_int_eq(iscsi_text_acc_parse(&acc, p, 4, NULL), 2);
	ck_assert(iscsi_text_key_is(&p[0], "HeaderDigest"));
	ck_assert_str_eq(p[0].value, "None");
	ck_assert(iscsi_text_key_is(&p[1], "DataDigest"));
	ck_assert_str_eq(p[1].value, "None");
	ck_assert_ptr_eq(p[0].key, store);
	/* The last part has arrived: more is a protocol error the caller sees. */
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("X=1\0"), false), -EALREADY);

	/* Bound: 32 bytes fit, 33 do not, and a failed append changes nothing. */
	iscsi_text_acc_init(&acc, store, 32);
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("0123456789abcdef0123456789abcd"), true),
			 0);
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("=xy"), true), -EMSGSIZE);
	ck_assert_uint_eq(acc.len, 30);
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("=\0"), false), 0);
	ck_assert_int_eq(iscsi_text_acc_parse(&acc, p, 4, NULL), 1);
	ck_assert_uint_eq(p[0].key_len, 30);

	/* A final part that leaves the last pair unterminated is an error. */
	iscsi_text_acc_reset(&acc);
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("A=1\0B"), true), 0);
	ck_assert_int_eq(iscsi_text_acc_append(&acc, SEG("=2"), false), 0);
	ck_assert_int_eq(iscsi_text_acc_parse(&acc, p, 4, NULL), -EPROTO);
}
END_TEST

START_TEST(build)
{
	static const char want[] = "InitiatorName=iqn.2026-01.com.example:host\0"
				   "MaxBurstLength=262144\0"
				   "X-num=0x2000\0"
				   "HeaderDigest=CRC32C,None\0"
				   "CHAP_C=0x0102ff\0"
				   "CHAP_R=0bZm9vYmFy\0";
	static const char *const digests[] = {"CRC32C", "None"};
	static const uint8_t chal[] = {0x01, 0x02, 0xff};
	struct iscsi_text_builder b;
	char buf[256];

	iscsi_text_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(iscsi_text_add(&b, "InitiatorName", "iqn.2026-01.com.example:host"), 0);
	ck_assert_int_eq(iscsi_text_add_u64(&b, "MaxBurstLength", 262144), 0);
	ck_assert_int_eq(iscsi_text_add_hex(&b, "X-num", 8192), 0);
	ck_assert_int_eq(iscsi_text_add_list(&b, "HeaderDigest", digests, 2), 0);
	ck_assert_int_eq(iscsi_text_add_binary_hex(&b, "CHAP_C", chal, 3), 0);
	ck_assert_int_eq(iscsi_text_add_binary_b64(&b, "CHAP_R", (const uint8_t *)"foobar", 6), 0);
	ck_assert_int_eq(b.err, 0);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert_mem_eq(buf, want, sizeof(want) - 1);
}
END_TEST

START_TEST(build_bounds)
{
	struct iscsi_text_builder b;
	static const char *const bad_items[] = {"a", ""};
	static const char *const comma_items[] = {"a,b"};
	char buf[16], big[300];

	/* "A=1\0" is 4 bytes: 4 fit in 8 twice, the third does not. */
	iscsi_text_builder_init(&b, buf, 8);
	ck_assert_int_eq(iscsi_text_add(&b, "A", "1"), 0);
	ck_assert_int_eq(iscsi_text_add(&b, "B", "2"), 0);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_int_eq(iscsi_text_add(&b, "C", ""), -ENOSPC);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_mem_eq(buf, "A=1\0B=2\0", 8);
	/* Sticky: even a fitting add fails now. */
	b.cap = sizeof(buf);
	ck_assert_int_eq(iscsi_text_add(&b, "C", ""), -ENOSPC);
	ck_assert_int_eq(b.err, -ENOSPC);

	iscsi_text_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(iscsi_text_add(&b, "", "x"), -EINVAL);
	iscsi_text_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(iscsi_text_add(&b, "A B", "x"), -EINVAL);
	iscsi_text_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(iscsi_text_add_list(&b, "L", bad_items, 2), -EINVAL);
	iscsi_text_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(iscsi_text_add_list(&b, "L", comma_items, 1), -EINVAL);
	iscsi_text_builder_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(iscsi_text_add_list(&b, "L", comma_items, 0), -EINVAL);
	/* Value limit 255 for ordinary keys. */
	memset(big, 'v', 256);
	big[256] = '\0';
	{
		char out[600];

		iscsi_text_builder_init(&b, out, sizeof(out));
		ck_assert_int_eq(iscsi_text_add(&b, "TargetAlias", big), -EINVAL);
		big[255] = '\0';
		iscsi_text_builder_init(&b, out, sizeof(out));
		ck_assert_int_eq(iscsi_text_add(&b, "TargetAlias", big), 0);
		ck_assert_uint_eq(b.len, 11 + 1 + 255 + 1);
	}
}
END_TEST

/* RFC 4648 section 10 test vectors, decoded and encoded. */
START_TEST(base64_rfc4648)
{
	static const struct {
		const char *in, *b64;
	} v[] = {
		{"f", "0bZg=="},	{"fo", "0bZm8="},	 {"foo", "0bZm9v"},
		{"foob", "0bZm9vYg=="}, {"fooba", "0bZm9vYmE="}, {"foobar", "0BZm9vYmFy"},
	};
	uint8_t out[16];
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = strlen(v[i].in);
		struct iscsi_text_builder b;
		char buf[32];

		ck_assert_int_eq(
			iscsi_text_decode_binary(v[i].b64, strlen(v[i].b64), out, sizeof(out), &n),
			0);
		ck_assert_uint_eq(n, len);
		ck_assert_mem_eq(out, v[i].in, len);
		iscsi_text_builder_init(&b, buf, sizeof(buf));
		ck_assert_int_eq(iscsi_text_add_binary_b64(&b, "K", (const uint8_t *)v[i].in, len),
				 0);
		ck_assert_int_eq(strncasecmp(buf + 2, v[i].b64, 2), 0);
		ck_assert_str_eq(buf + 4, v[i].b64 + 2);
	}
	/* Unpadded input is accepted. */
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0bZm8"), out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(out, "fo", 2);
	/* Malformed: one dangling char, '=' inside, three '=', bad char, short pad, empty. */
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0bZm9vY"), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0bZ=9v"), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0bZ==="), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0bZm9*"), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0bZg="), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0b"), out, sizeof(out), &n), -EINVAL);
	/* Output bound. */
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0bZm9vYmFy"), out, 5, &n), -ENOSPC);
}
END_TEST

/* RFC 7143 6.1: "0x1a" is 8 bits, "0x01a" is 12 bits (leading zero nibble). */
START_TEST(hex_binary)
{
	uint8_t out[8];
	size_t n;

	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0x1a"), out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0], 0x1a);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0x01a"), out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0], 0x00);
	ck_assert_uint_eq(out[1], 0x1a);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0X0AfF"), out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[0], 0x0a);
	ck_assert_uint_eq(out[1], 0xff);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0x"), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0x1g"), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("1a"), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0y12"), out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(iscsi_text_decode_binary(SEG("0x112233445566778899"), out, 8, &n),
			 -ENOSPC);
}
END_TEST

START_TEST(numbers)
{
	uint64_t v = 0;

	ck_assert_int_eq(iscsi_text_parse_number(SEG("8192"), &v), 0);
	ck_assert_uint_eq(v, 8192);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("0"), &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("0x2000"), &v), 0);
	ck_assert_uint_eq(v, 8192);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("0X2000"), &v), 0);
	ck_assert_uint_eq(v, 8192);
	/* base64 "IAA=" is the two bytes 20 00. */
	ck_assert_int_eq(iscsi_text_parse_number(SEG("0bIAA="), &v), 0);
	ck_assert_uint_eq(v, 8192);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("18446744073709551615"), &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("18446744073709551616"), &v), -ERANGE);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("0xffffffffffffffff"), &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("0x10000000000000000"), &v), -ERANGE);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("0x00000000000000000001"), &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(iscsi_text_parse_number(SEG(""), &v), -EINVAL);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("-1"), &v), -EINVAL);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("12a"), &v), -EINVAL);
	ck_assert_int_eq(iscsi_text_parse_number(SEG(" 1"), &v), -EINVAL);
	ck_assert_int_eq(iscsi_text_parse_number(SEG("0x"), &v), -EINVAL);
	/* Only len bytes are read: "65536" cut to "655". */
	ck_assert_int_eq(iscsi_text_parse_number("65536", 3, &v), 0);
	ck_assert_uint_eq(v, 655);
}
END_TEST

START_TEST(specials_and_lists)
{
	static const char list[] = "CRC32C,None";
	const char *item;
	size_t pos = 0, n;

	ck_assert_int_eq(iscsi_text_special(SEG("Reject")), ISCSI_TEXT_VAL_REJECT);
	ck_assert_int_eq(iscsi_text_special(SEG("Irrelevant")), ISCSI_TEXT_VAL_IRRELEVANT);
	ck_assert_int_eq(iscsi_text_special(SEG("NotUnderstood")), ISCSI_TEXT_VAL_NOT_UNDERSTOOD);
	ck_assert_int_eq(iscsi_text_special(SEG("reject")), ISCSI_TEXT_VAL_PLAIN);
	ck_assert_int_eq(iscsi_text_special(SEG("Rejected")), ISCSI_TEXT_VAL_PLAIN);

	ck_assert_int_eq(iscsi_text_list_next(SEG(list), &pos, &item, &n), 1);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(memcmp(item, "CRC32C", 6), 0);
	ck_assert_int_eq(iscsi_text_list_next(SEG(list), &pos, &item, &n), 1);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(item, "None", 4), 0);
	ck_assert_int_eq(iscsi_text_list_next(SEG(list), &pos, &item, &n), 0);
	ck_assert(iscsi_text_list_has(SEG(list), "None"));
	ck_assert(!iscsi_text_list_has(SEG(list), "Non"));
	ck_assert(!iscsi_text_list_has(SEG(list), "CRC32C,None"));

	pos = 0;
	ck_assert_int_eq(iscsi_text_list_next(SEG(""), &pos, &item, &n), 0);
	pos = 0;
	ck_assert_int_eq(iscsi_text_list_next(SEG("a,,b"), &pos, &item, &n), 1);
	ck_assert_int_eq(iscsi_text_list_next(SEG("a,,b"), &pos, &item, &n), -EPROTO);
	pos = 0;
	ck_assert_int_eq(iscsi_text_list_next(SEG("a,"), &pos, &item, &n), 1);
	ck_assert_int_eq(iscsi_text_list_next(SEG("a,"), &pos, &item, &n), -EPROTO);
	pos = 0;
	ck_assert_int_eq(iscsi_text_list_next(SEG(",a"), &pos, &item, &n), -EPROTO);
}
END_TEST

static int name_check(const char *n)
{
	const char *why = NULL;
	int r = iscsi_name_check(n, strlen(n), &why);

	ck_assert(r == 0 ? why == NULL : why != NULL);
	return r;
}

/* RFC 7143 4.2.7: what a target name must look like before we use it. */
START_TEST(iscsi_names)
{
	static const char *const good[] = {
		"iqn.2026-11.org.iscsi-nbd.test:alpha",
		"iqn.1993-08.org.debian:01:abc",
		"iqn.2001-04.com.example",
		"iqn.2001-04.com.Example:Storage.Disk2-sys1.xyz",
		"eui.02004567A425678D",
		"naa.52004567BA64678D",
		"naa.62004567BA64678D0123456789ABCDEF",
		/* Case-insensitive (RFC 3722 maps upper case to lower). */
		"IQN.2026-11.ORG.X:LUN-LOCK",
		"EUI.02004567A425678D",
	};
	static const char *const bad[] = {
		"",
		"iqn.x",
		"iqn.t",
		"iqn.2026-1.org.x",
		"iqn.2026-13.org.x",
		"iqn.2026-00.org.x",
		"iqn.2026-11.",
		"iqn.2026-11.:x",
		"iqn.2026-11.org..x",
		"iqn.2026-11.org_x:y",
		"iqn.2026-11.org.x:a b",
		"iqn.2026-11.org.x:a\nb",
		"iqn.2026-11.org.x:\x1b[2J",
		"iqn.2026-11.org.x:\xc3\xa9",
		"iqn.2026-11.org.x:a/b",
		"eui.02004567A425678",
		"eui.02004567A425678D0",
		"eui.02004567A425678G",
		"naa.52004567BA64678",
		"naa.62004567BA64678D0123456789ABCDE",
		"target: iqn.2026-11.org.x",
		"iscsi.2026-11.org.x",
	};
	char longname[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(name_check(good[i]) == 0, "%s refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(name_check(bad[i]) == -EINVAL, "%s accepted", bad[i]);
	/* 223 bytes is the limit, 224 is one too many. */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "iqn.2026-11.org.x:", 18);
	longname[223] = 0;
	ck_assert_int_eq(name_check(longname), 0);
	longname[223] = 'a';
	longname[224] = 0;
	ck_assert_int_eq(name_check(longname), -EINVAL);
	/* A NUL inside the given length is a bad character, not the end. */
	ck_assert_int_eq(iscsi_name_check("iqn.2026-11.org.x\0:y", 19, NULL), -EINVAL);
	ck_assert_int_eq(iscsi_name_check(NULL, 0, NULL), -EINVAL);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_basic);
	tcase_add_test(tc, parse_edges);
	tcase_add_test(tc, parse_more);
	tcase_add_test(tc, accumulate);
	tcase_add_test(tc, build);
	tcase_add_test(tc, build_bounds);
	tcase_add_test(tc, base64_rfc4648);
	tcase_add_test(tc, hex_binary);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, specials_and_lists);
	tcase_add_test(tc, iscsi_names);
	suite_add_tcase(s, tc);
	return s;
}
