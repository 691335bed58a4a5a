/*
 * scsi sense data and classification: fixed and descriptor sense laid out
 * by hand from SPC-5 4.4, short and inconsistent buffers, the text form,
 * and the classification table row by row (each expectation written from
 * the standard's meaning of the code, not copied from classify.c).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "scsi/classify.h"
#include "scsi/sam.h"
#include "scsi/sense.h"
#include "test_scsi_vec.h"

/* Fixed format (SPC-5 table 48), 18 bytes: MEDIUM ERROR, unrecovered read
 * error at LBA 0x123456, VALID set. */
/* clang-format off */
static const uint8_t fixed_medium[18] = {
	0xf0,                   /* VALID, RESPONSE CODE 70h */
	0x00,
	0x03,                   /* SENSE KEY MEDIUM ERROR */
	0x00, 0x12, 0x34, 0x56, /* INFORMATION */
	0x0a,                   /* ADDITIONAL SENSE LENGTH */
	0x00, 0x00, 0x00, 0x00, /* COMMAND-SPECIFIC INFORMATION */
	0x11, 0x00,             /* ASC, ASCQ */
	0x00,                   /* FIELD REPLACEABLE UNIT CODE */
	0x00, 0x00, 0x00,       /* SKSV, SENSE KEY SPECIFIC */
};
/* clang-format on */

START_TEST(sense_fixed)
{
	/* ILLEGAL REQUEST, INVALID FIELD IN CDB, field pointer: C/D, byte 2. */
	/* clang-format off */
	static const uint8_t ill[18] = {0x70, 0x00, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0,
					0x24, 0x00, 0x00, 0xc0, 0x00, 0x02};
	/* clang-format on */
	/* Deferred (71h), VALID clear: INFORMATION is not to be used. */
	/* clang-format off */
	static const uint8_t deferred[18] = {0x71, 0x00, 0x04, 0x00, 0x00, 0x00, 0x09, 0x0a, 0, 0,
					     0, 0, 0x44, 0x00};
	/* clang-format on */
	struct scsi_sense s;

	ck_assert_int_eq(scsi_sense_parse(vec(fixed_medium, 18), 18, &s), 0);
	ck_assert_uint_eq(s.response_code, 0x70);
	ck_assert(!s.descriptor && !s.deferred && !s.truncated);
	ck_assert_uint_eq(s.key, SCSI_SK_MEDIUM_ERROR);
	ck_assert_uint_eq(s.asc, 0x11);
	ck_assert_uint_eq(s.ascq, 0x00);
	ck_assert(s.info_valid);
	ck_assert(s.info == 0x123456);
	ck_assert(!s.sksv);

	ck_assert_int_eq(scsi_sense_parse(vec(ill, 18), 18, &s), 0);
	ck_assert_uint_eq(s.key, SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_uint_eq(s.asc, 0x24);
	ck_assert(s.sksv);
	ck_assert_uint_eq(s.sks, 0xc00002);
	ck_assert(!s.info_valid);

	ck_assert_int_eq(scsi_sense_parse(vec(deferred, 18), 18, &s), 0);
	ck_assert(s.deferred);
	ck_assert(!s.info_valid);
	ck_assert_uint_eq(s.key, SCSI_SK_HARDWARE_ERROR);
	ck_assert_uint_eq(s.asc, 0x44);
}
END_TEST

START_TEST(sense_fixed_short)
{
	static const uint8_t only_key[3] = {0x70, 0x00, 0x06};
	/* ADDITIONAL SENSE LENGTH 4: ASC/ASCQ (bytes 12-13) are not part of it. */
	/* clang-format off */
	static const uint8_t short_asl[18] = {0x70, 0x00, 0x02, 0, 0, 0, 0, 0x04, 0, 0, 0, 0,
					      0x04, 0x01};
	/* clang-format on */
	struct scsi_sense s;

	ck_assert_int_eq(scsi_sense_parse(vec(fixed_medium, 0), 0, &s), -EPROTO);
	ck_assert_int_eq(scsi_sense_parse(vec(fixed_medium, 2), 2, &s), -EPROTO);
	ck_assert_int_eq(scsi_sense_parse(vec(only_key, 3), 3, &s), 0);
	ck_assert_uint_eq(s.key, SCSI_SK_UNIT_ATTENTION);
	ck_assert_uint_eq(s.asc, 0);
	ck_assert(s.truncated);
	/* Buffer ends after ASC: ASCQ reads 0. */
	ck_assert_int_eq(scsi_sense_parse(vec(fixed_medium, 13), 13, &s), 0);
	ck_assert_uint_eq(s.asc, 0x11);
	ck_assert_uint_eq(s.ascq, 0);
	ck_assert(s.truncated);
	ck_assert_int_eq(scsi_sense_parse(vec(short_asl, 18), 18, &s), 0);
	ck_assert_uint_eq(s.key, SCSI_SK_NOT_READY);
	ck_assert_uint_eq(s.asc, 0);
	ck_assert(s.truncated);
	/* 14 bytes with ADDITIONAL SENSE LENGTH 10: ASC and ASCQ present, no SKS. */
	ck_assert_int_eq(scsi_sense_parse(vec(fixed_medium, 14), 14, &s), 0);
	ck_assert_uint_eq(s.asc, 0x11);
	ck_assert(s.truncated);
}
END_TEST

START_TEST(sense_descriptor)
{
	/* SPC-5 table 27: UNIT ATTENTION, CAPACITY DATA HAS CHANGED, no descriptors. */
	static const uint8_t ua[8] = {0x72, 0x06, 0x2a, 0x09, 0x00, 0x00, 0x00, 0x00};
	/* MEDIUM ERROR with an information descriptor (table 29) and a sense key
	 * specific descriptor (table 30) and an unknown one in between. */
	/* clang-format off */
	static const uint8_t med[32] = {
		0x72, 0x03, 0x11, 0x00, 0x00, 0x00, 0x00, 0x18,
		0x00, 0x0a, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89,
		0x80, 0x02, 0xaa, 0xbb,
		0x02, 0x06, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00,
	};
	/* clang-format on */
	/* Deferred descriptor sense whose descriptor claims more than is there. */
	/* clang-format off */
	static const uint8_t over[14] = {0x73, 0x0b, 0x47, 0x03, 0, 0, 0, 0x06,
					 0x00, 0x0a, 0x80, 0x00, 0x00, 0x00};
	/* clang-format on */
	struct scsi_sense s;

	ck_assert_int_eq(scsi_sense_parse(vec(ua, 8), 8, &s), 0);
	ck_assert(s.descriptor && !s.deferred);
	ck_assert_uint_eq(s.key, SCSI_SK_UNIT_ATTENTION);
	ck_assert_uint_eq(s.asc, 0x2a);
	ck_assert_uint_eq(s.ascq, 0x09);
	ck_assert(!s.truncated);

	ck_assert_int_eq(scsi_sense_parse(vec(med, 32), 32, &s), 0);
	ck_assert_uint_eq(s.key, SCSI_SK_MEDIUM_ERROR);
	ck_assert(s.info_valid);
	ck_assert(s.info == 0x123456789ull);
	ck_assert(s.sksv);
	ck_assert_uint_eq(s.sks, 0x800010);
	ck_assert(!s.truncated);
	/* Cut inside the information descriptor: key/ASC stay, INFORMATION not read. */
	ck_assert_int_eq(scsi_sense_parse(vec(med, 15), 15, &s), 0);
	ck_assert_uint_eq(s.asc, 0x11);
	ck_assert(!s.info_valid);
	ck_assert(s.truncated);

	ck_assert_int_eq(scsi_sense_parse(vec(over, 14), 14, &s), 0);
	ck_assert(s.deferred && s.descriptor);
	ck_assert_uint_eq(s.key, SCSI_SK_ABORTED_COMMAND);
	ck_assert(!s.info_valid);
	ck_assert(s.truncated);

	ck_assert_int_eq(scsi_sense_parse(vec(ua, 4), 4, &s), 0);
	ck_assert_uint_eq(s.ascq, 0x09);
	ck_assert_int_eq(scsi_sense_parse(vec(ua, 3), 3, &s), -EPROTO);
}
END_TEST

START_TEST(sense_bad_response_code)
{
	static const uint8_t vendor[18] = {0x7f, 0, 0x03};
	static const uint8_t zero[18] = {0x00, 0, 0x03};
	struct scsi_sense s;

	ck_assert_int_eq(scsi_sense_parse(vec(vendor, 18), 18, &s), -EPROTO);
	ck_assert_int_eq(scsi_sense_parse(vec(zero, 18), 18, &s), -EPROTO);
	ck_assert_int_eq(scsi_sense_parse(NULL, 18, &s), -EINVAL);
}
END_TEST

START_TEST(sense_text)
{
	struct scsi_sense s;
	char buf[96];
	int n;

	ck_assert_int_eq(scsi_sense_parse(vec(fixed_medium, 18), 18, &s), 0);
	n = scsi_sense_format(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "MEDIUM ERROR (03/11/00 unrecovered read error)");
	ck_assert_int_eq(n, (int)strlen(buf));
	/* Too small: cut and terminated, full length returned. */
	ck_assert_int_eq(scsi_sense_format(&s, buf, 10), n);
	ck_assert_str_eq(buf, "MEDIUM ER");

	memset(&s, 0, sizeof(s));
	s.key = SCSI_SK_ILLEGAL_REQUEST;
	s.asc = 0x99;
	s.ascq = 0x01;
	scsi_sense_format(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ILLEGAL REQUEST (05/99/01)");
	s.key = SCSI_SK_NOT_READY;
	s.asc = 0x04;
	s.ascq = 0x0b;
	s.deferred = true;
	scsi_sense_format(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "deferred NOT READY (02/04/0b logical unit not accessible, "
			      "target port in standby state)");
	/* Family entry: any ASCQ of ASC 29h. */
	ck_assert_str_eq(scsi_asc_name(0x29, 0x55), "reset occurred");
	ck_assert_str_eq(scsi_asc_name(0x29, 0x07), "i_t nexus loss occurred");
	ck_assert_ptr_null(scsi_asc_name(0x99, 0x00));

	ck_assert_str_eq(scsi_sense_key_name(0x0b), "ABORTED COMMAND");
	ck_assert_str_eq(scsi_sense_key_name(0x0c), "RESERVED");
	ck_assert_str_eq(scsi_status_name(0x18), "RESERVATION CONFLICT");
	ck_assert_str_eq(scsi_status_name(0x28), "TASK SET FULL");
	ck_assert_str_eq(scsi_status_name(0x01), "UNKNOWN STATUS");
}
END_TEST

/* One expectation per row: what the standard says the code means. */
struct cls_case {
	uint8_t status;
	int key; /* -1: no sense data */
	uint8_t asc, ascq;
	enum scsi_class cls;
	int err;
	unsigned int hints;
};

#define GOOD 0x00
#define CC   0x02
#define NS   -1

/* clang-format off */
static const struct cls_case cases[] = {
	{GOOD, NS, 0, 0, SCSI_CLASS_OK, 0, 0},
	{0x04, NS, 0, 0, SCSI_CLASS_OK, 0, 0},                  /* CONDITION MET */
	{0x08, NS, 0, 0, SCSI_CLASS_RETRY, -EBUSY, 0},          /* BUSY */
	{0x28, NS, 0, 0, SCSI_CLASS_RETRY, -EAGAIN, 0},         /* TASK SET FULL */
	{0x18, NS, 0, 0, SCSI_CLASS_HARD, -EBADE, 0},           /* RESERVATION CONFLICT */
	{0x40, NS, 0, 0, SCSI_CLASS_RETRY, -ECANCELED, 0},      /* TASK ABORTED */
	{0x30, NS, 0, 0, SCSI_CLASS_RETRY, -EAGAIN, 0},         /* ACA ACTIVE */
	{0x22, NS, 0, 0, SCSI_CLASS_HARD, -EIO, 0},             /* obsolete COMMAND TERMINATED */
	{0x7e, NS, 0, 0, SCSI_CLASS_HARD, -EIO, 0},             /* undefined status */
	{CC, NS, 0, 0, SCSI_CLASS_RETRY, -EIO, 0},              /* sense lost */
	/* GOOD with stale sense attached is still GOOD. */
	{GOOD, 0x03, 0x11, 0x00, SCSI_CLASS_OK, 0, 0},
	{CC, 0x0, 0x00, 0x00, SCSI_CLASS_RETRY, -EIO, 0},
	{CC, 0x1, 0x17, 0x01, SCSI_CLASS_OK, 0, 0},             /* recovered with retries */
	{CC, 0x1, 0x5d, 0x00, SCSI_CLASS_OK, 0, 0},
	{CC, 0xf, 0x00, 0x00, SCSI_CLASS_OK, 0, 0},             /* COMPLETED */
	{CC, 0x2, 0x04, 0x01, SCSI_CLASS_RETRY, -EAGAIN, 0},    /* becoming ready */
	{CC, 0x2, 0x04, 0x00, SCSI_CLASS_RETRY, -EAGAIN, 0},
	{CC, 0x2, 0x04, 0x07, SCSI_CLASS_RETRY, -EAGAIN, 0},
	{CC, 0x2, 0x04, 0x0a, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_ALUA}, /* ALUA transition */
	{CC, 0x2, 0x04, 0x0b, SCSI_CLASS_PATH, -ENOLINK, SCSI_HINT_ALUA}, /* standby */
	{CC, 0x2, 0x04, 0x0c, SCSI_CLASS_PATH, -ENOLINK, SCSI_HINT_ALUA}, /* unavailable */
	{CC, 0x2, 0x04, 0x02, SCSI_CLASS_HARD, -EIO, 0},
	{CC, 0x2, 0x04, 0x03, SCSI_CLASS_HARD, -EIO, 0},
	{CC, 0x2, 0x04, 0x12, SCSI_CLASS_HARD, -EIO, 0},
	{CC, 0x2, 0x3a, 0x00, SCSI_CLASS_HARD, -ENOMEDIUM, 0},
	{CC, 0x2, 0x30, 0x00, SCSI_CLASS_HARD, -EIO, 0},
	{CC, 0x3, 0x11, 0x00, SCSI_CLASS_HARD, -EIO, 0},        /* unrecovered read */
	{CC, 0x3, 0x0c, 0x00, SCSI_CLASS_HARD, -EIO, 0},        /* write error */
	{CC, 0x4, 0x44, 0x00, SCSI_CLASS_HARD, -EIO, 0},        /* internal target failure */
	{CC, 0x5, 0x25, 0x00, SCSI_CLASS_PATH, -ENOLINK, 0},    /* LU not supported here */
	{CC, 0x5, 0x20, 0x00, SCSI_CLASS_HARD, -EOPNOTSUPP, 0}, /* invalid opcode */
	{CC, 0x5, 0x21, 0x00, SCSI_CLASS_HARD, -ERANGE, 0},     /* LBA out of range */
	{CC, 0x5, 0x24, 0x00, SCSI_CLASS_HARD, -EINVAL, 0},     /* invalid field in CDB */
	{CC, 0x5, 0x26, 0x01, SCSI_CLASS_HARD, -EINVAL, 0},     /* parameter not supported */
	{CC, 0x5, 0x1a, 0x00, SCSI_CLASS_HARD, -EINVAL, 0},
	{CC, 0x5, 0x55, 0x04, SCSI_CLASS_HARD, -ENOSPC, 0},     /* no PR registration room */
	{CC, 0x5, 0x2c, 0x00, SCSI_CLASS_HARD, -EINVAL, 0},
	{CC, 0x6, 0x29, 0x00, SCSI_CLASS_RETRY, -EAGAIN, 0},    /* power on / reset */
	{CC, 0x6, 0x29, 0x07, SCSI_CLASS_RETRY, -EAGAIN, 0},
	{CC, 0x6, 0x2a, 0x09, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_RESCAN}, /* capacity */
	{CC, 0x6, 0x2a, 0x01, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_RESCAN}, /* mode params */
	{CC, 0x6, 0x3f, 0x03, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_RESCAN}, /* inquiry data */
	{CC, 0x6, 0x2a, 0x06, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_ALUA},
	{CC, 0x6, 0x2a, 0x07, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_ALUA},
	{CC, 0x6, 0x3f, 0x0e, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_LUNS},
	{CC, 0x6, 0x2a, 0x03, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_PR},
	{CC, 0x6, 0x2a, 0x04, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_PR},
	{CC, 0x6, 0x2a, 0x05, SCSI_CLASS_RETRY, -EAGAIN, SCSI_HINT_PR},
	{CC, 0x6, 0x28, 0x00, SCSI_CLASS_RETRY, -EAGAIN, 0},
	{CC, 0x7, 0x27, 0x07, SCSI_CLASS_HARD, -ENOSPC, 0},     /* thin pool exhausted */
	{CC, 0x7, 0x27, 0x00, SCSI_CLASS_HARD, -EROFS, 0},
	{CC, 0x7, 0x27, 0x02, SCSI_CLASS_HARD, -EROFS, 0},
	{CC, 0x7, 0x20, 0x02, SCSI_CLASS_HARD, -EACCES, 0},
	{CC, 0x8, 0x00, 0x05, SCSI_CLASS_HARD, -EIO, 0},
	{CC, 0x9, 0x80, 0x00, SCSI_CLASS_HARD, -EIO, 0},
	{CC, 0xa, 0x00, 0x00, SCSI_CLASS_HARD, -EIO, 0},
	{CC, 0xb, 0x47, 0x03, SCSI_CLASS_PATH, -ENOLINK, 0},    /* iuCRC error (digest) */
	{CC, 0xb, 0x47, 0x05, SCSI_CLASS_PATH, -ENOLINK, 0},
	{CC, 0xb, 0x48, 0x00, SCSI_CLASS_PATH, -ENOLINK, 0},
	{CC, 0xb, 0x49, 0x00, SCSI_CLASS_PATH, -ENOLINK, 0},
	{CC, 0xb, 0x4b, 0x02, SCSI_CLASS_PATH, -ENOLINK, 0},    /* too much write data */
	{CC, 0xb, 0x4b, 0x04, SCSI_CLASS_PATH, -ENOLINK, 0},
	{CC, 0xb, 0x08, 0x01, SCSI_CLASS_PATH, -ENOLINK, 0},
	{CC, 0xb, 0x4e, 0x00, SCSI_CLASS_PATH, -ENOLINK, 0},
	{CC, 0xb, 0x10, 0x01, SCSI_CLASS_HARD, -EILSEQ, 0},     /* guard check failed */
	{CC, 0xb, 0x00, 0x00, SCSI_CLASS_RETRY, -EIO, 0},
	{CC, 0xb, 0x44, 0x00, SCSI_CLASS_RETRY, -EIO, 0},
	{CC, 0xc, 0x00, 0x00, SCSI_CLASS_HARD, -EIO, 0},        /* reserved key */
	{CC, 0xd, 0x00, 0x00, SCSI_CLASS_HARD, -EIO, 0},
	{CC, 0xe, 0x1d, 0x00, SCSI_CLASS_HARD, -EILSEQ, 0},     /* miscompare */
};
/* clang-format on */

START_TEST(classify_rows)
{
	const struct cls_case *c = &cases[_i];
	struct scsi_sense s;
	struct scsi_verdict v;

	memset(&s, 0, sizeof(s));
	s.response_code = 0x70;
	s.key = (uint8_t)c->key;
	s.asc = c->asc;
	s.ascq = c->ascq;
	v = scsi_classify(c->status, c->key == NS ? NULL : &s);
	ck_assert_msg(
		v.cls == c->cls && v.err == c->err && v.hints == c->hints,
		"case %d: status %02x key %d %02x/%02x: got %s %d hints %x, want %s %d hints %x",
		_i, c->status, c->key, c->asc, c->ascq, scsi_class_name(v.cls), v.err, v.hints,
		scsi_class_name(c->cls), c->err, c->hints);
}
END_TEST

START_TEST(classify_deferred_and_parsed)
{
	/* clang-format off */
	static const uint8_t deferred_medium[18] = {0x71, 0x00, 0x03, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0,
						    0x0c, 0x00};
	/* clang-format on */
	static const uint8_t standby_desc[8] = {0x72, 0x02, 0x04, 0x0b, 0, 0, 0, 0};
	struct scsi_sense s;
	struct scsi_verdict v;

	/* A deferred write error arrives on the next command, which did not
	 * run: retry it, and flag the earlier loss. */
	ck_assert_int_eq(scsi_sense_parse(vec(deferred_medium, 18), 18, &s), 0);
	v = scsi_classify(CC, &s);
	ck_assert_int_eq(v.cls, SCSI_CLASS_RETRY);
	ck_assert_int_eq(v.err, -EIO);
	ck_assert_uint_eq(v.hints, SCSI_HINT_DEFERRED);
	/* Descriptor-format sense classifies like fixed. */
	ck_assert_int_eq(scsi_sense_parse(vec(standby_desc, 8), 8, &s), 0);
	v = scsi_classify(CC, &s);
	ck_assert_int_eq(v.cls, SCSI_CLASS_PATH);
	ck_assert_str_eq(scsi_class_name(v.cls), "path");
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("scsi_sense");
	TCase *tc = tcase_create("sense");

	tcase_add_checked_fixture(tc, NULL, vec_free);
	tcase_add_test(tc, sense_fixed);
	tcase_add_test(tc, sense_fixed_short);
	tcase_add_test(tc, sense_descriptor);
	tcase_add_test(tc, sense_bad_response_code);
	tcase_add_test(tc, sense_text);
	tcase_add_loop_test(tc, classify_rows, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, classify_deferred_and_parsed);
	suite_add_tcase(s, tc);
	return s;
}
