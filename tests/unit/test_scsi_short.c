/*
 * Every response parser of src/scsi reads only the bytes it is given (the
 * data length minus the residual: DESIGN.md invariants), whatever length a
 * short answer has. Two oracles for each prefix length of a valid answer:
 *   - the input is an exact-size heap copy (vec()), so a read past it is an
 *     ASan report in the sanitizer build;
 *   - the same prefix is parsed inside two larger buffers whose bytes past
 *     the prefix differ (0x00 and 0xff): the results must be identical, so
 *     no byte past the length can have been looked at, even without ASan;
 * and a prefix too short for the fields a caller relies on is an error,
 * never a parse that fills those fields with zeros.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "test_scsi_vec.h"

#define BIG 2048

/* prefix of full (len bytes) followed by fill up to BIG. */
static const uint8_t *padded(const uint8_t *full, size_t len, uint8_t fill)
{
	uint8_t *b = malloc(BIG);

	ck_assert_ptr_nonnull(b);
	memset(b, fill, BIG);
	memcpy(b, full, len);
	ck_assert(vec_n < VEC_MAX);
	vec_bufs[vec_n++] = b;
	return b;
}

/*
 * For each prefix of full: parse it three ways (exact, padded 0x00, padded
 * 0xff); the return codes agree, and on success digest() of the results
 * agree. Returns the shortest length that parses (or len + 1).
 */
typedef int (*parse_fn)(const uint8_t *buf, size_t len, void *out);
typedef void (*digest_fn)(const void *out, char *d, size_t cap);

static size_t every_prefix(const char *name, const uint8_t *full, size_t len, parse_fn parse,
			   size_t out_size, digest_fn digest)
{
	size_t first_ok = len + 1;
	void *a = malloc(out_size), *b = malloc(out_size), *c = malloc(out_size);
	static char da[8192], db[8192], dc[8192];

	for (size_t n = 0; n <= len; n++) {
		int ra, rb, rc;

		memset(a, 0x11, out_size);
		memset(b, 0x22, out_size);
		memset(c, 0x33, out_size);
		ra = parse(vec(full, n), n, a);
		rb = parse(padded(full, n, 0x00), n, b);
		rc = parse(padded(full, n, 0xff), n, c);
		ck_assert_msg(ra == rb && rb == rc, "%s, %zu bytes: results %d %d %d", name, n, ra,
			      rb, rc);
		if (ra == 0) {
			digest(a, da, sizeof(da));
			digest(b, db, sizeof(db));
			digest(c, dc, sizeof(dc));
			ck_assert_msg(strcmp(da, db) == 0 && strcmp(db, dc) == 0,
				      "%s, %zu bytes: looked past the data:\n%s\n%s\n%s", name, n,
				      da, db, dc);
			if (first_ok > len)
				first_ok = n;
		}
		vec_free();
	}
	free(a);
	free(b);
	free(c);
	return first_ok;
}

static void hex(char *d, size_t cap, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t o = strlen(d);

	for (size_t i = 0; i < n && o + 3 < cap; i++, o += 2)
		snprintf(d + o, cap - o, "%02x", b[i]);
}

/* Structures without pointers: their bytes are the digest (parsers memset them first). */
static void dg_bytes_inquiry(const void *o, char *d, size_t cap)
{
	d[0] = 0;
	hex(d, cap, o, sizeof(struct scsi_inquiry));
}
#define DG_BYTES(T)                                                                                \
	static void dg_##T(const void *o, char *d, size_t cap)                                     \
	{                                                                                          \
		d[0] = 0;                                                                          \
		hex(d, cap, o, sizeof(struct T));                                                  \
	}
DG_BYTES(scsi_vpd_supported)
DG_BYTES(scsi_vpd_serial)
DG_BYTES(scsi_vpd_b0)
DG_BYTES(scsi_vpd_b1)
DG_BYTES(scsi_vpd_b2)
DG_BYTES(scsi_capacity)
DG_BYTES(scsi_rtpg)
DG_BYTES(scsi_sense)

static void dg_report_luns(const void *o, char *d, size_t cap)
{
	const struct scsi_report_luns *r = o;

	snprintf(d, cap, "%u %u %d ", r->total, r->n, r->truncated);
	hex(d, cap, r->lun, 8 * (size_t)r->n);
}

static void dg_vpd83(const void *o, char *d, size_t cap)
{
	const struct scsi_vpd83 *v = o;

	snprintf(d, cap, "%u %d:", v->n, v->truncated);
	for (unsigned int i = 0; i < v->n; i++) {
		const struct scsi_designator *x = &v->d[i];
		size_t l = strlen(d);

		snprintf(d + l, cap - l, " %u/%u/%d/%u/%u/%u=", x->protocol_id, x->code_set, x->piv,
			 x->assoc, x->type, x->len);
		hex(d, cap, x->data, x->len);
	}
}

static void dg_mode(const void *o, char *d, size_t cap)
{
	const struct scsi_mode_sense *m = o;

	snprintf(d, cap, "%u %u %d %d %d %u %zu %d %d %d ", m->medium_type, m->dev_specific, m->wp,
		 m->dpofua, m->longlba, m->block_desc_len, m->pages_len, m->have_caching, m->wce,
		 m->rcd);
	hex(d, cap, m->pages, m->pages_len);
}

/* Adapters to one signature. */
static int p_inquiry(const uint8_t *b, size_t n, void *o)
{
	return scsi_inquiry_parse(b, n, o);
}
static int p_sup(const uint8_t *b, size_t n, void *o)
{
	return scsi_vpd_supported_parse(b, n, o);
}
static int p_serial(const uint8_t *b, size_t n, void *o)
{
	return scsi_vpd_serial_parse(b, n, o);
}
static int p_83(const uint8_t *b, size_t n, void *o)
{
	return scsi_vpd83_parse(b, n, o);
}
static int p_b0(const uint8_t *b, size_t n, void *o)
{
	return scsi_vpd_b0_parse(b, n, o);
}
static int p_b1(const uint8_t *b, size_t n, void *o)
{
	return scsi_vpd_b1_parse(b, n, o);
}
static int p_b2(const uint8_t *b, size_t n, void *o)
{
	return scsi_vpd_b2_parse(b, n, o);
}
static int p_rc10(const uint8_t *b, size_t n, void *o)
{
	return scsi_readcap10_parse(b, n, o);
}
static int p_rc16(const uint8_t *b, size_t n, void *o)
{
	return scsi_readcap16_parse(b, n, o);
}
static int p_ms6(const uint8_t *b, size_t n, void *o)
{
	return scsi_mode_sense_parse(b, n, false, o);
}
static int p_ms10(const uint8_t *b, size_t n, void *o)
{
	return scsi_mode_sense_parse(b, n, true, o);
}
static int p_luns(const uint8_t *b, size_t n, void *o)
{
	return scsi_report_luns_parse(b, n, o);
}
static int p_rtpg(const uint8_t *b, size_t n, void *o)
{
	return scsi_rtpg_parse(b, n, o);
}
static int p_sense(const uint8_t *b, size_t n, void *o)
{
	return scsi_sense_parse(b, n, o);
}

/* ---- answers (written from the SPC-5 / SBC-4 tables) ---- */

static const uint8_t inquiry[96] = {
	0x00, 0x00, 0x06, 0x12, 91,  0x10, 0x00, 0x02, 'I', 'E', 'T', ' ',
	' ',  ' ',  ' ',  ' ',	'V', 'I',  'R',	 'T',  'U', 'A', 'L', '-',
	'D',  'I',  'S',  'K',	' ', ' ',  ' ',	 ' ',  '0', '0', '0', '1',
};

static const uint8_t vpd00[] = {0x00, 0x00, 0x00, 0x06, 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};
static const uint8_t vpd80[] = {0x00, 0x80, 0x00, 0x0a, ' ', 'S', 'E',
				'R',  'I',  'A',  'L',	'4', '2', ' '};
static const uint8_t vpd83[] = {0x00, 0x83, 0x00, 0x2c,
				/* NAA 6, 16 bytes, logical unit */
				0x01, 0x03, 0x00, 0x10, 0x60, 0x01, 0x40, 0x5f, 0x00, 0x00, 0x00,
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
				/* T10 vendor ID "IET     " + 4 */
				0x02, 0x01, 0x00, 0x0c, 'I', 'E', 'T', ' ', ' ', ' ', ' ', ' ', 'a',
				'b', 'c', 'd',
				/* relative target port 2 */
				0x61, 0x94, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02};
static const uint8_t vpdb0[64] = {0x00, 0xb0, 0x00, 0x3c, 0x01, 0x01, 0x00, 0x08, 0x00, 0x00, 0x40,
				  0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
				  0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x80,
				  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00};
static const uint8_t vpdb1[64] = {0x00, 0xb1, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x03, 0x10};
static const uint8_t vpdb2[8] = {0x00, 0xb2, 0x00, 0x04, 0x00, 0xe4, 0x02, 0x00};
static const uint8_t rc10[8] = {0x00, 0x1f, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00};
static const uint8_t rc16[32] = {0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff,
				 0x00, 0x00, 0x10, 0x00, 0x00, 0x03, 0xc0, 0x00};
/* MODE SENSE(6) / (10), DBD, caching page 08h (length 0x12) with WCE. */
static const uint8_t ms6[24] = {0x17, 0x00, 0x10, 0x00, 0x08, 0x12, 0x04};
static const uint8_t ms10[28] = {0x00, 0x1a, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x08, 0x12, 0x04};
static const uint8_t luns[32] = {0x00, 0x00, 0x00, 0x18, 0, 0, 0, 0, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
				 0x00, 0x01, 0,	   0,	 0, 0, 0, 0, 0x40, 0x80, 0, 0, 0, 0, 0, 0};
/* RTPG, length-only format: two groups, one port each. */
static const uint8_t rtpg[28] = {0x00, 0x00, 0x00, 0x18, 0x80, 0x8f, 0x00, 0x01, 0x00, 0x00,
				 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x8f, 0x00, 0x02,
				 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02};
/* Fixed sense, MEDIUM ERROR 11/00 with INFORMATION. */
static const uint8_t sense_fixed[18] = {0xf0, 0, 0x03, 0,    0, 0x12, 0x34, 10, 0,
					0,    0, 0,    0x11, 0, 0,    0,    0,	0};

/* ---- tests ---- */

/* INQUIRY: nothing short of the 36 fixed bytes parses (vendor, product, revision). */
START_TEST(inquiry_prefixes)
{
	ck_assert_uint_eq(every_prefix("INQUIRY", inquiry, sizeof(inquiry), p_inquiry,
				       sizeof(struct scsi_inquiry), dg_bytes_inquiry),
			  36);
}
END_TEST

START_TEST(vpd_prefixes)
{
	/* A VPD page needs its 4-byte header; 00h needs at least one page code. */
	ck_assert_uint_eq(every_prefix("VPD 00", vpd00, sizeof(vpd00), p_sup,
				       sizeof(struct scsi_vpd_supported), dg_scsi_vpd_supported),
			  5);
	ck_assert_uint_eq(every_prefix("VPD 80", vpd80, sizeof(vpd80), p_serial,
				       sizeof(struct scsi_vpd_serial), dg_scsi_vpd_serial),
			  4);
	ck_assert_uint_eq(every_prefix("VPD 83", vpd83, sizeof(vpd83), p_83,
				       sizeof(struct scsi_vpd83), dg_vpd83),
			  4);
	ck_assert_uint_eq(every_prefix("VPD B0", vpdb0, sizeof(vpdb0), p_b0,
				       sizeof(struct scsi_vpd_b0), dg_scsi_vpd_b0),
			  4);
	/* B1 and B2 exist for one field each: without it, the page is absent. */
	ck_assert_uint_eq(every_prefix("VPD B1", vpdb1, sizeof(vpdb1), p_b1,
				       sizeof(struct scsi_vpd_b1), dg_scsi_vpd_b1),
			  6);
	ck_assert_uint_eq(every_prefix("VPD B2", vpdb2, sizeof(vpdb2), p_b2,
				       sizeof(struct scsi_vpd_b2), dg_scsi_vpd_b2),
			  6);
}
END_TEST

/* A cut serial is a different serial: it says so, and is no identity (caps.c). */
START_TEST(vpd_serial_cut_is_truncated)
{
	struct scsi_vpd_serial s;

	ck_assert_int_eq(scsi_vpd_serial_parse(vec(vpd80, sizeof(vpd80)), sizeof(vpd80), &s), 0);
	ck_assert_str_eq(s.serial, "SERIAL42");
	ck_assert(!s.truncated);
	ck_assert_int_eq(scsi_vpd_serial_parse(vec(vpd80, 9), 9, &s), 0);
	ck_assert_str_eq(s.serial, "SERI");
	ck_assert(s.truncated);
	vec_free();
}
END_TEST

/* A cut 0x83 page keeps only whole designators, and says it was cut. */
START_TEST(vpd83_cut_keeps_whole_designators)
{
	struct scsi_vpd83 v;
	char id[128];

	ck_assert_int_eq(scsi_vpd83_parse(vec(vpd83, 4 + 19), 4 + 19, &v), 0);
	ck_assert_uint_eq(v.n, 0);
	ck_assert(v.truncated);
	ck_assert_int_eq(scsi_vpd83_identity(&v, id, sizeof(id)), -ENOENT);
	ck_assert_int_eq(scsi_vpd83_parse(vec(vpd83, 4 + 20), 4 + 20, &v), 0);
	ck_assert_uint_eq(v.n, 1);
	ck_assert_int_ge(scsi_vpd83_identity(&v, id, sizeof(id)), 0);
	ck_assert_str_eq(id, "naa.6001405f000000000000000000000001");
	vec_free();
}
END_TEST

START_TEST(readcap_prefixes)
{
	ck_assert_uint_eq(every_prefix("READ CAPACITY(10)", rc10, sizeof(rc10), p_rc10,
				       sizeof(struct scsi_capacity), dg_scsi_capacity),
			  8);
	ck_assert_uint_eq(every_prefix("READ CAPACITY(16)", rc16, sizeof(rc16), p_rc16,
				       sizeof(struct scsi_capacity), dg_scsi_capacity),
			  16);
}
END_TEST

START_TEST(mode_sense_prefixes)
{
	struct scsi_mode_sense m;

	ck_assert_uint_eq(every_prefix("MODE SENSE(6)", ms6, sizeof(ms6), p_ms6,
				       sizeof(struct scsi_mode_sense), dg_mode),
			  4);
	ck_assert_uint_eq(every_prefix("MODE SENSE(10)", ms10, sizeof(ms10), p_ms10,
				       sizeof(struct scsi_mode_sense), dg_mode),
			  8);
	/* The caching page counts only when whole: WCE is not guessed from a stub. */
	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms6, 4 + 2 + 0x12), 4 + 2 + 0x12, false, &m), 0);
	ck_assert(m.have_caching && m.wce);
	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms6, 4 + 2 + 0x11), 4 + 2 + 0x11, false, &m), 0);
	ck_assert(!m.have_caching);
	vec_free();
}
END_TEST

START_TEST(report_luns_prefixes)
{
	struct scsi_report_luns *r = malloc(sizeof(*r));

	ck_assert_uint_eq(every_prefix("REPORT LUNS", luns, sizeof(luns), p_luns,
				       sizeof(struct scsi_report_luns), dg_report_luns),
			  8);
	/* 20 bytes: one whole LUN of three, the list says it is cut. */
	ck_assert_int_eq(scsi_report_luns_parse(vec(luns, 20), 20, r), 0);
	ck_assert_uint_eq(r->n, 1);
	ck_assert_uint_eq(r->total, 3);
	ck_assert(r->truncated);
	vec_free();
	free(r);
}
END_TEST

START_TEST(rtpg_prefixes)
{
	struct scsi_rtpg r;

	ck_assert_uint_eq(every_prefix("RTPG", rtpg, sizeof(rtpg), p_rtpg, sizeof(struct scsi_rtpg),
				       dg_scsi_rtpg),
			  4);
	/* One group and a half: only the whole group, marked cut. */
	ck_assert_int_eq(scsi_rtpg_parse(vec(rtpg, 20), 20, &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert(r.truncated);
	vec_free();
}
END_TEST

START_TEST(sense_prefixes)
{
	size_t ok = every_prefix("sense", sense_fixed, sizeof(sense_fixed), p_sense,
				 sizeof(struct scsi_sense), dg_scsi_sense);

	ck_assert_uint_ge(ok, 1);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("scsi-short");
	TCase *tc = tcase_create("short");

	tcase_add_test(tc, inquiry_prefixes);
	tcase_add_test(tc, vpd_prefixes);
	tcase_add_test(tc, vpd_serial_cut_is_truncated);
	tcase_add_test(tc, vpd83_cut_keeps_whole_designators);
	tcase_add_test(tc, readcap_prefixes);
	tcase_add_test(tc, mode_sense_prefixes);
	tcase_add_test(tc, report_luns_prefixes);
	tcase_add_test(tc, rtpg_prefixes);
	tcase_add_test(tc, sense_prefixes);
	suite_add_tcase(s, tc);
	return s;
}
