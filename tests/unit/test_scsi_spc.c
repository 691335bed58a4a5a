/*
 * scsi SPC-5 codecs: every CDB builder against the CDB layout tables of
 * SPC-5 written out byte by byte, every parser against data laid out by
 * hand from the parameter data tables (the kind tgt and LIO send), and
 * each parser against truncated and inconsistent data.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "scsi/sam.h"
#include "scsi/spc.h"
#include "test_scsi_vec.h"

START_TEST(cdb_tur_inquiry)
{
	static const uint8_t tur[6] = {0x00, 0, 0, 0, 0, 0};
	/* SPC-5 table 147: EVPD byte 1 bit 0, PAGE CODE byte 2, ALLOCATION LENGTH 3-4. */
	static const uint8_t std[6] = {0x12, 0x00, 0x00, 0x00, 0x60, 0x00};
	static const uint8_t vpd83[6] = {0x12, 0x01, 0x83, 0x01, 0x00, 0x00};
	uint8_t cdb[16];

	memset(cdb, 0xee, sizeof(cdb));
	CDB_EQ(scsi_build_tur(cdb, sizeof(cdb)), cdb, tur);
	memset(cdb, 0xee, sizeof(cdb));
	CDB_EQ(scsi_build_inquiry(cdb, sizeof(cdb), false, 0, 96), cdb, std);
	CDB_EQ(scsi_build_inquiry(cdb, 6, true, 0x83, 256), cdb, vpd83);
	ck_assert_int_eq(scsi_build_inquiry(cdb, sizeof(cdb), false, 0x80, 96), -EINVAL);
	ck_assert_int_eq(scsi_build_inquiry(cdb, 5, true, 0x80, 96), -EINVAL);
	ck_assert_int_eq(scsi_build_tur(NULL, 16), -EINVAL);
}
END_TEST

/* Standard INQUIRY data as tgt sends it (SPC-5 table 148). */
/* clang-format off */
static const uint8_t inq_tgt[36] = {
	0x00,                   /* PERIPHERAL QUALIFIER 0, DEVICE TYPE 0 (disk) */
	0x00,                   /* RMB 0 */
	0x06,                   /* VERSION: SPC-4 */
	0x12,                   /* HISUP, RESPONSE DATA FORMAT 2 */
	0x3b,                   /* ADDITIONAL LENGTH */
	0x10,                   /* TPGS 01b: implicit ALUA */
	0x10,                   /* MULTIP */
	0x02,                   /* CMDQUE */
	'I', 'E', 'T', ' ', ' ', ' ', ' ', ' ',
	'V', 'I', 'R', 'T', 'U', 'A', 'L', '-', 'D', 'I', 'S', 'K', ' ', ' ', ' ', ' ',
	'0', '0', '0', '1',
};
/* clang-format on */

START_TEST(inquiry_standard)
{
	struct scsi_inquiry inq;
	uint8_t cd[36];

	ck_assert_int_eq(scsi_inquiry_parse(vec(inq_tgt, 36), 36, &inq), 0);
	ck_assert_uint_eq(inq.qualifier, 0);
	ck_assert_uint_eq(inq.device_type, 0);
	ck_assert(!inq.rmb);
	ck_assert_uint_eq(inq.version, 6);
	ck_assert(inq.hisup);
	ck_assert_uint_eq(inq.response_data_format, 2);
	ck_assert_uint_eq(inq.tpgs, 1);
	ck_assert(inq.multip);
	ck_assert(inq.cmdque);
	ck_assert(!inq.protect);
	ck_assert_str_eq(inq.vendor, "IET");
	ck_assert_str_eq(inq.product, "VIRTUAL-DISK");
	ck_assert_str_eq(inq.revision, "0001");

	/* Removable CD-ROM, qualifier 001b (not connected), PROTECT. */
	memcpy(cd, inq_tgt, 36);
	cd[0] = 0x25;
	cd[1] = 0x80;
	cd[5] = 0x01;
	cd[8] = 0x01; /* control character in the vendor: not printable */
	ck_assert_int_eq(scsi_inquiry_parse(vec(cd, 36), 36, &inq), 0);
	ck_assert_uint_eq(inq.qualifier, 1);
	ck_assert_uint_eq(inq.device_type, 5);
	ck_assert(inq.rmb);
	ck_assert(inq.protect);
	ck_assert_uint_eq(inq.tpgs, 0);
	ck_assert_str_eq(inq.vendor, "?ET");

	ck_assert_int_eq(scsi_inquiry_parse(vec(inq_tgt, 35), 35, &inq), -EPROTO);
}
END_TEST

START_TEST(vpd_supported_and_serial)
{
	static const uint8_t sup[] = {0x00, 0x00, 0x00, 0x06, 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};
	/* Unit serial number padded with spaces on both sides. */
	/* clang-format off */
	static const uint8_t sn[] = {0x00, 0x80, 0x00, 0x0a, ' ', ' ', 'b', 'e', 'a',
				     'a', '0', '0', '1', ' '};
	/* clang-format on */
	struct scsi_vpd_supported s;
	struct scsi_vpd_serial ser;

	ck_assert_int_eq(scsi_vpd_supported_parse(vec(sup, sizeof(sup)), sizeof(sup), &s), 0);
	ck_assert(scsi_vpd_supported_has(&s, 0x00));
	ck_assert(scsi_vpd_supported_has(&s, 0x83));
	ck_assert(scsi_vpd_supported_has(&s, 0xb2));
	ck_assert(!scsi_vpd_supported_has(&s, 0xb3));
	ck_assert(!scsi_vpd_supported_has(&s, 0x86));
	/* Truncated to 8 bytes: 0xb1 and 0xb2 are not seen. */
	ck_assert_int_eq(scsi_vpd_supported_parse(vec(sup, 8), 8, &s), 0);
	ck_assert(scsi_vpd_supported_has(&s, 0xb0));
	ck_assert(!scsi_vpd_supported_has(&s, 0xb1));
	ck_assert_int_eq(scsi_vpd_supported_parse(vec(sup, 3), 3, &s), -EPROTO);
	/* An empty list lacks page 00h itself (SPC-5 7.7.16). */
	ck_assert_int_eq(scsi_vpd_supported_parse(vec(sup, 4), 4, &s), -EPROTO);
	/* The serial page is not the supported pages page. */
	ck_assert_int_eq(scsi_vpd_supported_parse(vec(sn, sizeof(sn)), sizeof(sn), &s), -EPROTO);

	ck_assert_int_eq(scsi_vpd_serial_parse(vec(sn, sizeof(sn)), sizeof(sn), &ser), 0);
	ck_assert_str_eq(ser.serial, "beaa001");
	ck_assert(!ser.truncated);
	ck_assert_int_eq(scsi_vpd_serial_parse(vec(sn, 9), 9, &ser), 0);
	ck_assert_str_eq(ser.serial, "bea");
}
END_TEST

/* VPD 0x83 as LIO sends it (SPC-5 7.7.6): NAA 6, T10 vendor ID, then the
 * target-port designators of the port the INQUIRY came through. */
/* clang-format off */
static const uint8_t devid_lio[] = {
	0x00, 0x83, 0x00, 0x48,
	/* CODE SET 1 binary, ASSOCIATION 0 LU, TYPE 3 NAA, LENGTH 16 */
	0x01, 0x03, 0x00, 0x10,
	0x60, 0x01, 0x40, 0x5a, 0xbc, 0xde, 0xf0, 0x12,
	0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12,
	/* CODE SET 2 ASCII, LU, TYPE 1 T10 vendor ID, LENGTH 12 */
	0x02, 0x01, 0x00, 0x0c,
	'L', 'I', 'O', '-', 'O', 'R', 'G', ' ', 'a', 'b', 'c', 'd',
	/* PROTOCOL 5 iSCSI, binary, PIV, ASSOCIATION 1 port, TYPE 4 relative port */
	0x51, 0x94, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
	/* binary, ASSOCIATION 1, TYPE 5 target port group */
	0x01, 0x15, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02,
	/* iSCSI, UTF-8, PIV, ASSOCIATION 1, TYPE 8 SCSI name string (port), 16 bytes */
	0x53, 0x98, 0x00, 0x10,
	'i', 'q', 'n', '.', 'x', ',', 't', ',', '0', 'x', '0', '0', '0', '1', 0, 0,
};
/* clang-format on */

START_TEST(vpd83_parse)
{
	struct scsi_vpd83 v;
	uint16_t port, tpg;

	ck_assert_int_eq(sizeof(devid_lio), 4 + 0x48);
	ck_assert_int_eq(scsi_vpd83_parse(vec(devid_lio, sizeof(devid_lio)), sizeof(devid_lio), &v),
			 0);
	ck_assert_uint_eq(v.n, 5);
	ck_assert(!v.truncated);
	ck_assert_uint_eq(v.d[0].type, SCSI_DESIG_NAA);
	ck_assert_uint_eq(v.d[0].code_set, SCSI_CODESET_BINARY);
	ck_assert_uint_eq(v.d[0].assoc, SCSI_ASSOC_LU);
	ck_assert_uint_eq(v.d[0].len, 16);
	ck_assert_uint_eq(v.d[0].data[0], 0x60);
	ck_assert_uint_eq(v.d[1].type, SCSI_DESIG_T10_VENDOR_ID);
	ck_assert_uint_eq(v.d[1].len, 12);
	ck_assert_uint_eq(v.d[2].protocol_id, 5);
	ck_assert(v.d[2].piv);
	ck_assert_uint_eq(v.d[2].assoc, SCSI_ASSOC_TARGET_PORT);
	ck_assert_uint_eq(v.d[2].type, SCSI_DESIG_REL_TGT_PORT);
	ck_assert_uint_eq(v.d[4].type, SCSI_DESIG_SCSI_NAME);
	ck_assert_uint_eq(v.d[4].code_set, SCSI_CODESET_UTF8);
	ck_assert_int_eq(scsi_vpd83_rel_port(&v, &port), 0);
	ck_assert_uint_eq(port, 1);
	ck_assert_int_eq(scsi_vpd83_tpg(&v, &tpg), 0);
	ck_assert_uint_eq(tpg, 2);

	/* Cut inside the T10 designator: only the NAA one is complete. */
	ck_assert_int_eq(scsi_vpd83_parse(vec(devid_lio, 30), 30, &v), 0);
	ck_assert_uint_eq(v.n, 1);
	ck_assert(v.truncated);
	ck_assert_int_eq(scsi_vpd83_rel_port(&v, &port), -ENOENT);
	ck_assert_int_eq(scsi_vpd83_parse(vec(devid_lio, 3), 3, &v), -EPROTO);
	ck_assert_int_eq(scsi_vpd83_parse(vec(inq_tgt, 36), 36, &v), -EPROTO);
}
END_TEST

/* Parses a page built from the given descriptors and returns its identity. */
static int ident_of(const uint8_t *desc, size_t n, char *out, size_t outlen)
{
	uint8_t page[256];
	struct scsi_vpd83 v;

	ck_assert_uint_le(n, sizeof(page) - 4);
	page[0] = 0;
	page[1] = 0x83;
	page[2] = 0;
	page[3] = (uint8_t)n;
	memcpy(page + 4, desc, n);
	ck_assert_int_eq(scsi_vpd83_parse(vec(page, n + 4), n + 4, &v), 0);
	return scsi_vpd83_identity(&v, out, outlen);
}

START_TEST(vpd83_identity_choice)
{
	/* clang-format off */
	static const uint8_t t10[] = {0x02, 0x01, 0x00, 0x0c, 'L', 'I', 'O', '-', 'O', 'R',
				      'G', ' ', 'a', 'b', 'c', 'd'};
	/* clang-format on */
	static const uint8_t name[] = {0x03, 0x08, 0x00, 0x0c, 'i', 'q', 'n', '.',
				       'a',  '.',  'b',	 ':',  'l', 'u', 0,   0};
	/* clang-format off */
	static const uint8_t eui[] = {0x01, 0x02, 0x00, 0x08, 0x00, 0x11, 0x22, 0x33,
				      0x44, 0x55, 0x66, 0x77};
	/* clang-format on */
	/* NAA 5 IEEE Registered, 8 bytes */
	/* clang-format off */
	static const uint8_t naa5[] = {0x01, 0x03, 0x00, 0x08, 0x50, 0x01, 0x40, 0x50,
				       0xaa, 0xbb, 0xcc, 0xdd};
	/* clang-format on */
	/* NAA 6 in the target-port association: never the LU identity */
	/* clang-format off */
	static const uint8_t naa6_port[] = {0x01, 0x13, 0x00, 0x10, 0x60, 1, 2, 3, 4, 5, 6, 7,
					    8, 9, 10, 11, 12, 13, 14, 15};
	/* clang-format on */
	/* NAA with CODE SET ASCII: malformed, ignored */
	static const uint8_t naa_ascii[] = {0x02, 0x03, 0x00, 0x08, 0x50, 0, 0, 0, 0, 0, 0, 1};
	uint8_t d[128];
	char out[128];
	size_t n;

	/* Whole LIO page: NAA wins over T10 vendor ID. */
	{
		struct scsi_vpd83 v;

		ck_assert_int_eq(
			scsi_vpd83_parse(vec(devid_lio, sizeof(devid_lio)), sizeof(devid_lio), &v),
			0);
		ck_assert_int_eq(scsi_vpd83_identity(&v, out, sizeof(out)), 36);
		ck_assert_str_eq(out, "naa.6001405abcdef0123456789abcdef012");
		/* Exactly large enough, and one byte short. */
		ck_assert_int_eq(scsi_vpd83_identity(&v, out, 37), 36);
		ck_assert_int_eq(scsi_vpd83_identity(&v, out, 36), -ENOSPC);
		ck_assert_str_eq(out, "");
	}
	/* T10, SCSI name, EUI-64: EUI-64 wins though listed last. */
	n = 0;
	memcpy(d + n, t10, sizeof(t10)), n += sizeof(t10);
	memcpy(d + n, name, sizeof(name)), n += sizeof(name);
	memcpy(d + n, eui, sizeof(eui)), n += sizeof(eui);
	ck_assert_int_eq(ident_of(d, n, out, sizeof(out)), 20);
	ck_assert_str_eq(out, "eui.0011223344556677");
	/* Without the EUI-64: the SCSI name string, NUL padding dropped. */
	n -= sizeof(eui);
	ck_assert_int_gt(ident_of(d, n, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "iqn.a.b:lu");
	/* Only T10 vendor ID: printable, spaces as '_'. */
	ck_assert_int_gt(ident_of(t10, sizeof(t10), out, sizeof(out)), 0);
	ck_assert_str_eq(out, "t10.LIO-ORG_abcd");
	/* EUI-64 before NAA 5 in the page: NAA still wins. */
	n = 0;
	memcpy(d + n, eui, sizeof(eui)), n += sizeof(eui);
	memcpy(d + n, naa5, sizeof(naa5)), n += sizeof(naa5);
	ck_assert_int_gt(ident_of(d, n, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "naa.50014050aabbccdd");
	/* A port NAA and a malformed NAA are skipped in favour of the T10 one. */
	n = 0;
	memcpy(d + n, naa6_port, sizeof(naa6_port)), n += sizeof(naa6_port);
	memcpy(d + n, naa_ascii, sizeof(naa_ascii)), n += sizeof(naa_ascii);
	memcpy(d + n, t10, sizeof(t10)), n += sizeof(t10);
	ck_assert_int_gt(ident_of(d, n, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "t10.LIO-ORG_abcd");
	/* T10 vendor ID with the vendor only (LIO without a serial): names
	 * the vendor, not the LU, so it is no identity. */
	{
		static const uint8_t vendor_only[] = {0x02, 0x01, 0x00, 0x09, 'L', 'I', 'O',
						      '-',  'O',  'R',	'G',  ' ', 0};
		/* clang-format off */
		static const uint8_t eight[] = {0x02, 0x01, 0x00, 0x08, 'L', 'I', 'O', '-',
						'O',  'R',  'G',  ' '};
		/* clang-format on */

		ck_assert_int_eq(ident_of(vendor_only, sizeof(vendor_only), out, sizeof(out)),
				 -ENOENT);
		ck_assert_int_eq(ident_of(eight, sizeof(eight), out, sizeof(out)), -ENOENT);
	}
	/* Nothing about the LU at all. */
	ck_assert_int_eq(ident_of(naa6_port, sizeof(naa6_port), out, sizeof(out)), -ENOENT);
}
END_TEST

START_TEST(vpd_b0_block_limits)
{
	/* SBC-4 table 230, PAGE LENGTH 3Ch */
	/* clang-format off */
	static const uint8_t b0[64] = {
		0x00, 0xb0, 0x00, 0x3c,
		0x01,                   /* WSNZ */
		0x01,                   /* MAXIMUM COMPARE AND WRITE LENGTH */
		0x00, 0x08,             /* OPTIMAL TRANSFER LENGTH GRANULARITY */
		0x00, 0x00, 0x40, 0x00, /* MAXIMUM TRANSFER LENGTH 16384 */
		0x00, 0x00, 0x04, 0x00, /* OPTIMAL TRANSFER LENGTH 1024 */
		0x00, 0x00, 0x00, 0x00, /* MAXIMUM PREFETCH LENGTH */
		0x00, 0x40, 0x00, 0x00, /* MAXIMUM UNMAP LBA COUNT 4194304 */
		0x00, 0x00, 0x01, 0x00, /* MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT 256 */
		0x00, 0x00, 0x00, 0x08, /* OPTIMAL UNMAP GRANULARITY */
		0x80, 0x00, 0x00, 0x03, /* UGAVALID, UNMAP GRANULARITY ALIGNMENT 3 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, /* MAXIMUM WRITE SAME LENGTH */
	};
	/* clang-format on */
	/* SBC-2 era page: PAGE LENGTH 10h, ends after OPTIMAL TRANSFER LENGTH. */
	static const uint8_t b0_old[20] = {0x00, 0xb0, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
					   0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x80};
	struct scsi_vpd_b0 l;

	ck_assert_int_eq(scsi_vpd_b0_parse(vec(b0, 64), 64, &l), 0);
	ck_assert(l.wsnz);
	ck_assert_uint_eq(l.max_compare_write, 1);
	ck_assert_uint_eq(l.opt_xfer_granularity, 8);
	ck_assert_uint_eq(l.max_xfer_len, 16384);
	ck_assert_uint_eq(l.opt_xfer_len, 1024);
	ck_assert_uint_eq(l.max_unmap_lba_count, 4194304);
	ck_assert_uint_eq(l.max_unmap_desc_count, 256);
	ck_assert_uint_eq(l.opt_unmap_granularity, 8);
	ck_assert(l.ugavalid);
	ck_assert_uint_eq(l.unmap_granularity_align, 3);
	ck_assert(l.max_write_same_len == 0x400000);

	ck_assert_int_eq(scsi_vpd_b0_parse(vec(b0_old, 20), 20, &l), 0);
	ck_assert_uint_eq(l.max_xfer_len, 2048);
	ck_assert_uint_eq(l.opt_xfer_len, 128);
	ck_assert_uint_eq(l.max_unmap_lba_count, 0);
	ck_assert(l.max_write_same_len == 0);
	/* Buffer cut inside MAXIMUM UNMAP LBA COUNT: it reads as not reported. */
	ck_assert_int_eq(scsi_vpd_b0_parse(vec(b0, 22), 22, &l), 0);
	ck_assert_uint_eq(l.max_xfer_len, 16384);
	ck_assert_uint_eq(l.max_unmap_lba_count, 0);
	ck_assert_int_eq(scsi_vpd_b0_parse(vec(b0_old, 2), 2, &l), -EPROTO);
}
END_TEST

START_TEST(vpd_b1_b2)
{
	static const uint8_t ssd[12] = {0x00, 0xb1, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x03, 0x00};
	static const uint8_t hdd[8] = {0x00, 0xb1, 0x00, 0x3c, 0x1c, 0x20, 0x00, 0x02};
	/* LBPU, LBPWS, LBPWS10, LBPRZ 001b; PROVISIONING TYPE 2 thin */
	static const uint8_t thin[8] = {0x00, 0xb2, 0x00, 0x04, 0x00, 0xe4, 0x02, 0x00};
	/* LBPU only, LBPRZ 010b (provisioning pattern, not zero), ANC_SUP, DP */
	static const uint8_t pat[8] = {0x00, 0xb2, 0x00, 0x04, 0x00, 0x8b, 0x01, 0x00};
	struct scsi_vpd_b1 c;
	struct scsi_vpd_b2 p;

	ck_assert_int_eq(scsi_vpd_b1_parse(vec(ssd, 12), 12, &c), 0);
	ck_assert_uint_eq(c.rotation_rate, SCSI_ROTATION_NONE);
	ck_assert_uint_eq(c.form_factor, 3);
	ck_assert_int_eq(scsi_vpd_b1_parse(vec(hdd, 8), 8, &c), 0);
	ck_assert_uint_eq(c.rotation_rate, 7200);
	ck_assert_uint_eq(c.form_factor, 2);
	ck_assert_int_eq(scsi_vpd_b1_parse(vec(hdd, 5), 5, &c), -EPROTO);

	ck_assert_int_eq(scsi_vpd_b2_parse(vec(thin, 8), 8, &p), 0);
	ck_assert(p.lbpu && p.lbpws && p.lbpws10);
	ck_assert_uint_eq(p.lbprz, 1);
	ck_assert(p.lbprz_zero);
	ck_assert(!p.anc_sup && !p.dp);
	ck_assert_uint_eq(p.provisioning_type, 2);
	ck_assert_int_eq(scsi_vpd_b2_parse(vec(pat, 8), 8, &p), 0);
	ck_assert(p.lbpu && !p.lbpws && !p.lbpws10);
	ck_assert_uint_eq(p.lbprz, 2);
	ck_assert(!p.lbprz_zero);
	ck_assert(p.anc_sup && p.dp);
	ck_assert_int_eq(scsi_vpd_b2_parse(vec(thin, 5), 5, &p), -EPROTO);
	ck_assert_int_eq(scsi_vpd_b2_parse(vec(hdd, 8), 8, &p), -EPROTO);
}
END_TEST

START_TEST(cdb_mode_sense)
{
	/* SPC-5 table 192: DBD byte 1 bit 3; PC bits 7-6 and PAGE CODE of byte 2. */
	static const uint8_t ms6[6] = {0x1a, 0x08, 0x08, 0x00, 0xff, 0x00};
	/* table 196: changeable values of all pages, ALLOCATION LENGTH bytes 7-8. */
	static const uint8_t ms10[10] = {0x5a, 0x00, 0x7f, 0xff, 0x00,
					 0x00, 0x00, 0x10, 0x00, 0x00};
	uint8_t cdb[16];

	CDB_EQ(scsi_build_mode_sense6(cdb, 6, true, SCSI_MODE_PC_CURRENT, 0x08, 0, 0xff), cdb, ms6);
	CDB_EQ(scsi_build_mode_sense10(cdb, 16, false, SCSI_MODE_PC_CHANGEABLE, 0x3f, 0xff, 4096),
	       cdb, ms10);
	ck_assert_int_eq(scsi_build_mode_sense6(cdb, 6, true, 0, 0x40, 0, 0xff), -EINVAL);
	ck_assert_int_eq(scsi_build_mode_sense6(cdb, 6, true, 4, 0x08, 0, 0xff), -EINVAL);
	ck_assert_int_eq(scsi_build_mode_sense10(cdb, 9, true, 0, 0x08, 0, 0xff), -EINVAL);
}
END_TEST

/* MODE SENSE(6) data: header (SPC-5 table 449) + caching page (SBC-4 table 220). */
static const uint8_t ms6_wp_wce[24] = {
	0x17, /* MODE DATA LENGTH 23 */
	0x00, /* MEDIUM TYPE */
	0x90, /* DEVICE-SPECIFIC PARAMETER: WP, DPOFUA */
	0x00, /* BLOCK DESCRIPTOR LENGTH */
	0x08, 0x12, 0x04, 0x00, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff,
	0xff, 0xff, 0x80, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

START_TEST(mode_sense_parse)
{
	/* MODE SENSE(10): header (table 450), an 8-byte block descriptor, a
	 * sub_page format Control Extension page, a page_0 R/W error recovery
	 * page, then caching with RCD and WCE clear. */
	/* clang-format off */
	static const uint8_t ms10[] = {
		0x00, 0x2e, /* MODE DATA LENGTH 46 */
		0x00, 0x10, /* MEDIUM TYPE, DEVICE-SPECIFIC: DPOFUA only */
		0x00, 0x00, 0x00, 0x08, /* LONGLBA 0, BLOCK DESCRIPTOR LENGTH 8 */
		0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
		0x4a, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x02, 0xc0, 0x00,
		0x08, 0x12, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	/* clang-format on */
	struct scsi_mode_sense ms;
	const uint8_t *pg;
	size_t pl;

	ck_assert_int_eq(sizeof(ms10), 48);
	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms6_wp_wce, 24), 24, false, &ms), 0);
	ck_assert(ms.wp);
	ck_assert(ms.dpofua);
	ck_assert(ms.have_caching);
	ck_assert(ms.wce);
	ck_assert(!ms.rcd);
	ck_assert_uint_eq(ms.pages_len, 20);

	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms10, 48), 48, true, &ms), 0);
	ck_assert(!ms.wp);
	ck_assert(ms.dpofua);
	ck_assert_uint_eq(ms.block_desc_len, 8);
	ck_assert(ms.have_caching);
	ck_assert(!ms.wce);
	ck_assert(ms.rcd);
	ck_assert_int_eq(scsi_mode_page_find(&ms, 0x0a, 0x01, &pg, &pl), 0);
	ck_assert_uint_eq(pl, 8);
	ck_assert_int_eq(scsi_mode_page_find(&ms, 0x01, 0, &pg, &pl), 0);
	ck_assert_uint_eq(pl, 4);
	ck_assert_uint_eq(pg[2], 0xc0);
	ck_assert_int_eq(scsi_mode_page_find(&ms, 0x0a, 0, &pg, &pl), -ENOENT);

	/* Caching page cut short by the allocation length: header still counts. */
	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms6_wp_wce, 10), 10, false, &ms), 0);
	ck_assert(ms.wp);
	ck_assert(!ms.have_caching);
	/* Shorter than the 4-byte (6) or 8-byte (10) header. */
	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms6_wp_wce, 3), 3, false, &ms), -EPROTO);
	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms10, 7), 7, true, &ms), -EPROTO);
	/* Block descriptors past the end: no pages, no crash. */
	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms10, 12), 12, true, &ms), 0);
	ck_assert_uint_eq(ms.pages_len, 0);
	ck_assert(!ms.have_caching);
}
END_TEST

START_TEST(report_luns)
{
	/* SPC-5 table 225: SELECT REPORT byte 2, ALLOCATION LENGTH bytes 6-9. */
	static const uint8_t cdb_want[12] = {0xa0, 0, 0x00, 0, 0, 0, 0x00, 0x00, 0x10, 0x00, 0, 0};
	/* table 226: LUN LIST LENGTH 24, LUN 0, LUN 1 (peripheral), LUN 300 (flat). */
	/* clang-format off */
	static const uint8_t data[32] = {
		0x00, 0x00, 0x00, 0x18, 0, 0, 0, 0,
		0x00, 0x00, 0, 0, 0, 0, 0, 0,
		0x00, 0x01, 0, 0, 0, 0, 0, 0,
		0x41, 0x2c, 0, 0, 0, 0, 0, 0,
	};
	/* clang-format on */
	struct scsi_report_luns r;
	uint8_t cdb[16], bad[16];
	uint32_t lun;

	CDB_EQ(scsi_build_report_luns(cdb, 12, 0, 4096), cdb, cdb_want);
	ck_assert_int_eq(scsi_build_report_luns(cdb, 12, 0, 15), -EINVAL);

	ck_assert_int_eq(scsi_report_luns_parse(vec(data, 32), 32, &r), 0);
	ck_assert_uint_eq(r.total, 3);
	ck_assert_uint_eq(r.n, 3);
	ck_assert(!r.truncated);
	ck_assert_int_eq(scsi_lun_from_wire(r.lun[0], &lun), 0);
	ck_assert_uint_eq(lun, 0);
	ck_assert_int_eq(scsi_lun_from_wire(r.lun[1], &lun), 0);
	ck_assert_uint_eq(lun, 1);
	ck_assert_int_eq(scsi_lun_from_wire(r.lun[2], &lun), 0);
	ck_assert_uint_eq(lun, 300);

	/* Allocation length 16: one LUN here, three on the target. */
	ck_assert_int_eq(scsi_report_luns_parse(vec(data, 16), 16, &r), 0);
	ck_assert_uint_eq(r.total, 3);
	ck_assert_uint_eq(r.n, 1);
	ck_assert(r.truncated);
	ck_assert_int_eq(scsi_report_luns_parse(vec(data, 7), 7, &r), -EPROTO);
	memcpy(bad, data, 16);
	bad[3] = 0x0c; /* not a multiple of 8 */
	ck_assert_int_eq(scsi_report_luns_parse(vec(bad, 16), 16, &r), -EPROTO);
}
END_TEST

START_TEST(lun_encoding)
{
	static const uint8_t l5[8] = {0x00, 0x05};
	static const uint8_t l255[8] = {0x00, 0xff};
	static const uint8_t l256[8] = {0x41, 0x00}; /* flat: bits 13-8 in byte 0 */
	static const uint8_t l16383[8] = {0x7f, 0xff};
	static const uint8_t wlun[8] = {0xc1, 0x01}; /* REPORT LUNS well-known LUN */
	static const uint8_t bus1[8] = {0x01, 0x00};
	static const uint8_t lvl2[8] = {0x00, 0x01, 0x00, 0x02};
	static const uint8_t logunit[8] = {0x80, 0x01};
	uint8_t w[8];
	uint32_t lun;

	ck_assert_int_eq(scsi_lun_to_wire(5, w), 0);
	ck_assert_mem_eq(w, l5, 8);
	ck_assert_int_eq(scsi_lun_to_wire(255, w), 0);
	ck_assert_mem_eq(w, l255, 8);
	ck_assert_int_eq(scsi_lun_to_wire(256, w), 0);
	ck_assert_mem_eq(w, l256, 8);
	ck_assert_int_eq(scsi_lun_to_wire(16383, w), 0);
	ck_assert_mem_eq(w, l16383, 8);
	ck_assert_int_eq(scsi_lun_to_wire(16384, w), -EINVAL);

	ck_assert_int_eq(scsi_lun_from_wire(l16383, &lun), 0);
	ck_assert_uint_eq(lun, 16383);
	ck_assert_int_eq(scsi_lun_from_wire(l256, &lun), 0);
	ck_assert_uint_eq(lun, 256);
	ck_assert_int_eq(scsi_lun_from_wire(wlun, &lun), -EOPNOTSUPP);
	ck_assert_int_eq(scsi_lun_from_wire(bus1, &lun), -EOPNOTSUPP);
	ck_assert_int_eq(scsi_lun_from_wire(lvl2, &lun), -EOPNOTSUPP);
	ck_assert_int_eq(scsi_lun_from_wire(logunit, &lun), -EOPNOTSUPP);
}
END_TEST

/* RTPG descriptors (SPC-5 table 232/233): group 1 active/optimized and
 * preferred with port 1; group 2 standby with port 2. */
#define TPG_DESCS                                                                                  \
	0x80, 0x8f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /* group 1 */      \
		0x02, 0x0f, 0x00, 0x02, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00,                  \
		0x02 /* group 2 */

START_TEST(rtpg)
{
	/* SPC-5 table 229: PARAMETER DATA FORMAT bits 7-5 of byte 1, SERVICE ACTION 0Ah. */
	static const uint8_t cdb_ext[12] = {0xa3, 0x2a, 0, 0, 0, 0, 0x00, 0x00, 0x10, 0x00, 0, 0};
	static const uint8_t cdb_len[12] = {0xa3, 0x0a, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00, 0, 0};
	static const uint8_t len_only[28] = {0x00, 0x00, 0x00, 0x18, TPG_DESCS};
	/* table 231: extended header, FORMAT TYPE 001b, IMPLICIT TRANSITION TIME 60 */
	static const uint8_t ext[32] = {0x00, 0x00, 0x00, 0x1c, 0x10, 0x3c, 0x00, 0x00, TPG_DESCS};
	uint8_t cut[28];
	struct scsi_rtpg r;
	const struct scsi_tpg_desc *g;
	uint8_t cdb[16];

	CDB_EQ(scsi_build_rtpg(cdb, 12, true, 4096), cdb, cdb_ext);
	CDB_EQ(scsi_build_rtpg(cdb, 16, false, 512), cdb, cdb_len);
	ck_assert_int_eq(scsi_build_rtpg(cdb, 11, false, 512), -EINVAL);

	ck_assert_int_eq(scsi_rtpg_parse(vec(len_only, 28), 28, &r), 0);
	ck_assert(!r.extended);
	ck_assert(!r.truncated);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.g[0].id, 1);
	ck_assert(r.g[0].pref);
	ck_assert_uint_eq(r.g[0].state, SCSI_ALUA_ACTIVE_OPTIMIZED);
	ck_assert_uint_eq(r.g[0].supported, 0x8f);
	ck_assert_uint_eq(r.g[0].nports, 1);
	ck_assert_uint_eq(r.g[0].port[0], 1);
	ck_assert_uint_eq(r.g[1].id, 2);
	ck_assert(!r.g[1].pref);
	ck_assert_uint_eq(r.g[1].state, SCSI_ALUA_STANDBY);
	ck_assert_uint_eq(r.g[1].status_code, 2);
	g = scsi_rtpg_find_port(&r, 2);
	ck_assert_ptr_eq(g, &r.g[1]);
	ck_assert_ptr_null(scsi_rtpg_find_port(&r, 3));
	ck_assert_str_eq(scsi_alua_state_name(g->state), "standby");

	ck_assert_int_eq(scsi_rtpg_parse(vec(ext, 32), 32, &r), 0);
	ck_assert(r.extended);
	ck_assert_uint_eq(r.implicit_transition_time, 60);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.g[1].port[0], 2);

	/* Group 2 claims two ports but the data holds one: it is dropped. */
	memcpy(cut, len_only, 28);
	cut[12 + 4 + 7] = 2;
	ck_assert_int_eq(scsi_rtpg_parse(vec(cut, 28), 28, &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert(r.truncated);
	/* Allocation length cut the answer. */
	ck_assert_int_eq(scsi_rtpg_parse(vec(len_only, 20), 20, &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert(r.truncated);
	ck_assert_int_eq(scsi_rtpg_parse(vec(len_only, 3), 3, &r), -EPROTO);
}
END_TEST

START_TEST(persistent_reservations)
{
	/* SPC-5 table 163: SERVICE ACTION byte 1, ALLOCATION LENGTH bytes 7-8. */
	static const uint8_t in_keys[10] = {0x5e, 0x00, 0, 0, 0, 0, 0, 0x01, 0x00, 0};
	static const uint8_t in_res[10] = {0x5e, 0x01, 0, 0, 0, 0, 0, 0x00, 0x18, 0};
	/* table 175: RESERVE, TYPE 5 write exclusive registrants only, PARAMETER LIST LENGTH 24 */
	static const uint8_t out_res[10] = {0x5f, 0x01, 0x05, 0, 0, 0x00, 0x00, 0x00, 0x18, 0};
	static const uint8_t out_reg[10] = {0x5f, 0x00, 0x00, 0, 0, 0x00, 0x00, 0x00, 0x18, 0};
	/* table 178: REGISTER a new key with ALL_TG_PT and APTPL. */
	/* clang-format off */
	static const uint8_t params[24] = {
		0, 0, 0, 0, 0, 0, 0, 0,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0, 0, 0, 0, 0x05, 0x00, 0x00, 0x00,
	};
	/* clang-format on */
	/* table 165: PRGENERATION 5, two keys */
	/* clang-format off */
	static const uint8_t keys[24] = {
		0, 0, 0, 0x05, 0, 0, 0, 0x10,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0, 0, 0, 0, 0, 0, 0, 0x01,
	};
	/* clang-format on */
	/* table 168: reservation held by key 0xabc, TYPE 5 */
	/* clang-format off */
	static const uint8_t res[24] = {
		0, 0, 0, 0x07, 0, 0, 0, 0x10,
		0, 0, 0, 0, 0, 0, 0x0a, 0xbc,
		0, 0, 0, 0, 0x00, 0x05, 0, 0,
	};
	/* clang-format on */
	static const uint8_t nores[8] = {0, 0, 0, 0x01, 0, 0, 0, 0};
	struct scsi_pr_out_params p = {
		.key = 0, .sa_key = 0x1122334455667788ull, .all_tg_pt = true, .aptpl = true};
	struct scsi_pr_keys k;
	struct scsi_pr_reservation rv;
	uint8_t cdb[16], buf[32], bad[24];

	CDB_EQ(scsi_build_pr_in(cdb, 10, SCSI_PR_IN_READ_KEYS, 256), cdb, in_keys);
	CDB_EQ(scsi_build_pr_in(cdb, 10, SCSI_PR_IN_READ_RESERVATION, 24), cdb, in_res);
	CDB_EQ(scsi_build_pr_out(cdb, 10, SCSI_PR_OUT_RESERVE, SCSI_PR_WRITE_EXCLUSIVE_RO), cdb,
	       out_res);
	CDB_EQ(scsi_build_pr_out(cdb, 10, SCSI_PR_OUT_REGISTER, 0), cdb, out_reg);
	ck_assert_int_eq(scsi_build_pr_out(cdb, 10, SCSI_PR_OUT_RESERVE, 0x10), -EINVAL);
	ck_assert_int_eq(scsi_build_pr_in(cdb, 9, 0, 24), -EINVAL);
	memset(buf, 0xee, sizeof(buf));
	CDB_EQ(scsi_build_pr_out_params(buf, sizeof(buf), &p), buf, params);
	ck_assert_int_eq(scsi_build_pr_out_params(buf, 23, &p), -EINVAL);

	ck_assert_int_eq(scsi_pr_read_keys_parse(vec(keys, 24), 24, &k), 0);
	ck_assert_uint_eq(k.generation, 5);
	ck_assert_uint_eq(k.total, 2);
	ck_assert_uint_eq(k.n, 2);
	ck_assert(k.key[0] == 0x0123456789abcdefull);
	ck_assert(k.key[1] == 1);
	ck_assert_int_eq(scsi_pr_read_keys_parse(vec(keys, 20), 20, &k), 0);
	ck_assert_uint_eq(k.n, 1);
	ck_assert(k.truncated);
	memcpy(bad, keys, 24);
	bad[7] = 0x0f;
	ck_assert_int_eq(scsi_pr_read_keys_parse(vec(bad, 24), 24, &k), -EPROTO);
	ck_assert_int_eq(scsi_pr_read_keys_parse(vec(keys, 7), 7, &k), -EPROTO);

	ck_assert_int_eq(scsi_pr_read_reservation_parse(vec(res, 24), 24, &rv), 0);
	ck_assert(rv.held);
	ck_assert_uint_eq(rv.generation, 7);
	ck_assert(rv.key == 0xabc);
	ck_assert_uint_eq(rv.type, SCSI_PR_WRITE_EXCLUSIVE_RO);
	ck_assert_uint_eq(rv.scope, 0);
	ck_assert_int_eq(scsi_pr_read_reservation_parse(vec(nores, 8), 8, &rv), 0);
	ck_assert(!rv.held);
	ck_assert_uint_eq(rv.generation, 1);
	ck_assert_int_eq(scsi_pr_read_reservation_parse(vec(res, 23), 23, &rv), -EPROTO);
}
END_TEST

/* Every PR OUT service action the daemon sends, REPORT CAPABILITIES, and the
 * answers a target can get wrong: truncated, oversized, unknown types. */
START_TEST(persistent_reservation_actions)
{
	/* SPC-5 table 175: one CDB per service action, TYPE in byte 2, 24-byte list. */
	static const struct {
		uint8_t sa, type;
	} outs[] = {
		{SCSI_PR_OUT_REGISTER, 0},
		{SCSI_PR_OUT_REGISTER_AND_IGNORE, 0},
		{SCSI_PR_OUT_RESERVE, SCSI_PR_WRITE_EXCLUSIVE_RO},
		{SCSI_PR_OUT_RELEASE, SCSI_PR_WRITE_EXCLUSIVE_RO},
		{SCSI_PR_OUT_CLEAR, 0},
		{SCSI_PR_OUT_PREEMPT, SCSI_PR_WRITE_EXCLUSIVE_RO},
		{SCSI_PR_OUT_PREEMPT_AND_ABORT, SCSI_PR_WRITE_EXCLUSIVE_RO},
	};
	/* table 172: TMV, ALLOW COMMANDS 1, PTPL_C; types WR_EX, EX_AC, WR_EX_RO, EX_AC_AR */
	static const uint8_t caps[8] = {0, 8, 0x11, 0x90, 0x2a, 0x01, 0, 0};
	static const uint8_t caps_notmv[12] = {0, 12, 0x04, 0x00, 0, 0, 0, 0, 9, 9, 9, 9};
	static const uint8_t caps_badlen[8] = {0, 6, 0, 0x80, 0xff, 0xff, 0, 0};
	/* READ RESERVATION with a reserved TYPE code 0x2 and an oversized buffer */
	static const uint8_t res_odd[32] = {
		0, 0, 0, 0x01, 0,    0,	   0, 0x10, 0,	  0,	0,    0,    0,	  0,	0,    0x42,
		0, 0, 0, 0,    0x00, 0x02, 0, 0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	static const uint8_t res_badlen[24] = {0, 0, 0, 0x01, 0, 0, 0, 0x08};
	static uint8_t many[8 + 8 * (SCSI_PR_MAX_KEYS + 4)];
	struct scsi_pr_out_params p = {.key = 0xa1a2a3a4a5a6a7a8ull,
				       .sa_key = 0x0102030405060708ull};
	struct scsi_pr_caps c;
	struct scsi_pr_keys k;
	struct scsi_pr_reservation rv;
	uint8_t cdb[16], buf[24];

	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		memset(cdb, 0xee, sizeof(cdb));
		ck_assert_int_eq(scsi_build_pr_out(cdb, sizeof(cdb), outs[i].sa, outs[i].type), 10);
		ck_assert_uint_eq(cdb[0], 0x5f);
		ck_assert_uint_eq(cdb[1], outs[i].sa);
		ck_assert_uint_eq(cdb[2], outs[i].type);
		ck_assert_uint_eq(cdb[3] | cdb[4], 0);
		ck_assert_uint_eq(
			((uint32_t)cdb[5] << 24) | (cdb[6] << 16) | (cdb[7] << 8) | cdb[8], 24);
		ck_assert_uint_eq(cdb[9], 0); /* CONTROL */
	}
	ck_assert_int_eq(scsi_build_pr_out(cdb, sizeof(cdb), SCSI_PR_OUT_REGISTER, 0), 10);
	ck_assert_uint_eq(((uint32_t)cdb[5] << 24) | (cdb[6] << 16) | (cdb[7] << 8) | cdb[8], 24);
	ck_assert_int_eq(scsi_build_pr_out(cdb, sizeof(cdb), 0x20, 0), -EINVAL);
	ck_assert_int_eq(scsi_build_pr_in(cdb, sizeof(cdb), SCSI_PR_IN_REPORT_CAPABILITIES, 8), 10);
	ck_assert_uint_eq(cdb[0], 0x5e);
	ck_assert_uint_eq(cdb[1], 0x02);
	ck_assert_uint_eq(cdb[8], 8);
	ck_assert_int_eq(scsi_build_pr_in(cdb, sizeof(cdb), 0x20, 8), -EINVAL);
	/* The key to preempt goes in SERVICE ACTION RESERVATION KEY, ours in RESERVATION KEY. */
	ck_assert_int_eq(scsi_build_pr_out_params(buf, sizeof(buf), &p), 24);
	ck_assert_uint_eq(buf[0], 0xa1);
	ck_assert_uint_eq(buf[7], 0xa8);
	ck_assert_uint_eq(buf[8], 0x01);
	ck_assert_uint_eq(buf[15], 0x08);
	ck_assert_uint_eq(buf[20], 0);

	ck_assert_int_eq(scsi_pr_caps_parse(vec(caps, 8), 8, &c), 0);
	ck_assert(c.crh && !c.sip_c && !c.atp_c && c.ptpl_c && c.tmv && !c.ptpl_a);
	ck_assert_uint_eq(c.allow_commands, 1);
	ck_assert(scsi_pr_caps_has_type(&c, SCSI_PR_WRITE_EXCLUSIVE));
	ck_assert(scsi_pr_caps_has_type(&c, SCSI_PR_EXCLUSIVE_ACCESS));
	ck_assert(scsi_pr_caps_has_type(&c, SCSI_PR_WRITE_EXCLUSIVE_RO));
	ck_assert(!scsi_pr_caps_has_type(&c, SCSI_PR_EXCLUSIVE_ACCESS_RO));
	ck_assert(!scsi_pr_caps_has_type(&c, SCSI_PR_WRITE_EXCLUSIVE_AR));
	ck_assert(scsi_pr_caps_has_type(&c, SCSI_PR_EXCLUSIVE_ACCESS_AR));
	ck_assert(!scsi_pr_caps_has_type(&c, 0x10));
	/* Oversized (a later revision's 12 bytes), TMV clear: every type assumed. */
	ck_assert_int_eq(scsi_pr_caps_parse(vec(caps_notmv, 12), 12, &c), 0);
	ck_assert(c.atp_c && !c.tmv);
	ck_assert_uint_eq(c.type_mask, 0);
	ck_assert(scsi_pr_caps_has_type(&c, SCSI_PR_WRITE_EXCLUSIVE_RO));
	/* Truncated: by the buffer, or by its own LENGTH. */
	ck_assert_int_eq(scsi_pr_caps_parse(vec(caps, 7), 7, &c), -EPROTO);
	ck_assert_int_eq(scsi_pr_caps_parse(vec(caps, 0), 0, &c), -EPROTO);
	ck_assert_int_eq(scsi_pr_caps_parse(vec(caps_badlen, 8), 8, &c), -EPROTO);

	/* A reserved TYPE is passed up as is (the caller names it "unknown"). */
	ck_assert_int_eq(scsi_pr_read_reservation_parse(vec(res_odd, 32), 32, &rv), 0);
	ck_assert(rv.held);
	ck_assert(rv.key == 0x42);
	ck_assert_uint_eq(rv.type, 2);
	ck_assert_str_eq(scsi_pr_type_name(rv.type), "unknown");
	ck_assert_str_eq(scsi_pr_type_name(SCSI_PR_WRITE_EXCLUSIVE_RO),
			 "Write Exclusive - Registrants Only");
	/* ADDITIONAL LENGTH other than 0 or 0x10 is malformed. */
	ck_assert_int_eq(scsi_pr_read_reservation_parse(vec(res_badlen, 24), 24, &rv), -EPROTO);
	ck_assert_int_eq(scsi_pr_read_reservation_parse(vec(res_odd, 7), 7, &rv), -EPROTO);

	/* More keys than we keep: the first SCSI_PR_MAX_KEYS, total and truncated say so. */
	many[7] = (uint8_t)(8 * (SCSI_PR_MAX_KEYS + 4));
	many[6] = (uint8_t)((8 * (SCSI_PR_MAX_KEYS + 4)) >> 8);
	for (unsigned int i = 0; i < SCSI_PR_MAX_KEYS + 4; i++)
		many[8 + 8 * i + 7] = (uint8_t)(i + 1);
	ck_assert_int_eq(scsi_pr_read_keys_parse(vec(many, sizeof(many)), sizeof(many), &k), 0);
	ck_assert_uint_eq(k.total, SCSI_PR_MAX_KEYS + 4);
	ck_assert_uint_eq(k.n, SCSI_PR_MAX_KEYS);
	ck_assert(k.truncated);
	ck_assert(k.key[SCSI_PR_MAX_KEYS - 1] == SCSI_PR_MAX_KEYS);
	/* Only the header of that answer arrived: nothing read, truncated. */
	ck_assert_int_eq(scsi_pr_read_keys_parse(vec(many, 8), 8, &k), 0);
	ck_assert_uint_eq(k.n, 0);
	ck_assert(k.truncated);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("scsi_spc");
	TCase *tc = tcase_create("spc");

	tcase_add_checked_fixture(tc, NULL, vec_free);
	tcase_add_test(tc, cdb_tur_inquiry);
	tcase_add_test(tc, inquiry_standard);
	tcase_add_test(tc, vpd_supported_and_serial);
	tcase_add_test(tc, vpd83_parse);
	tcase_add_test(tc, vpd83_identity_choice);
	tcase_add_test(tc, vpd_b0_block_limits);
	tcase_add_test(tc, vpd_b1_b2);
	tcase_add_test(tc, cdb_mode_sense);
	tcase_add_test(tc, mode_sense_parse);
	tcase_add_test(tc, report_luns);
	tcase_add_test(tc, lun_encoding);
	tcase_add_test(tc, rtpg);
	tcase_add_test(tc, persistent_reservations);
	tcase_add_test(tc, persistent_reservation_actions);
	suite_add_tcase(s, tc);
	return s;
}
