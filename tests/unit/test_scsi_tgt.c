/*
 * scsi parsers on real target output: the bytes tgtd 1.0.85 (Debian 12)
 * and the kernel LIO target (Linux 6.1 in the UML bed) sent back,
 * captured with a throwaway raw iSCSI initiator (login, SCSI Command PDUs
 * with hand-written CDBs, Data-In / SCSI Response collected verbatim) for
 * LUN 1 of this setup:
 *
 *	tgtadm --op new --mode logicalunit --tid 1 --lun 1 --backing-store 8MiB-file
 *	tgtadm --op update ... --params thin_provisioning=1
 *
 * and for LIO, lib.sh lio_start: a 64 MiB fileio LUN 0 without a unit
 * serial number (so no NAA designator), implicit ALUA by default.
 *
 * The expectations come from that setup (8 MiB of 512-byte blocks, thin,
 * vendor "IET"), not from our parsers: a parser that disagrees with what a
 * real target means is wrong even if it agrees with our own vectors. The
 * same captures seed the fuzz corpus (tests/fuzz/corpus/sense/tgt-*).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "scsi/caps.h"
#include "scsi/classify.h"
#include "scsi/sam.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "test_scsi_vec.h"

/* clang-format off */
static const uint8_t tgt_inquiry[66] = {
	0x00, 0x00, 0x05, 0x12, 0x3d, 0x00, 0x00, 0x02, 0x49, 0x45, 0x54, 0x20,
	0x20, 0x20, 0x20, 0x20, 0x56, 0x49, 0x52, 0x54, 0x55, 0x41, 0x4c, 0x2d,
	0x44, 0x49, 0x53, 0x4b, 0x20, 0x20, 0x20, 0x20, 0x30, 0x30, 0x30, 0x31,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0,
	0x09, 0x60, 0x03, 0x00, 0x00, 0x00,
};
/* clang-format on */
static const uint8_t tgt_vpd00[10] = {
	0x00, 0x00, 0x00, 0x06, 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2,
};
/* clang-format off */
static const uint8_t tgt_vpd80[40] = {
	0x00, 0x80, 0x00, 0x24, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
	0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
	0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x62, 0x65,
	0x61, 0x66, 0x31, 0x31,
};
/* clang-format on */
/* clang-format off */
static const uint8_t tgt_vpd83[76] = {
	0x00, 0x83, 0x00, 0x48, 0x02, 0x01, 0x00, 0x24, 0x49, 0x45, 0x54, 0x20,
	0x20, 0x20, 0x20, 0x20, 0x30, 0x30, 0x30, 0x31, 0x30, 0x30, 0x30, 0x31,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x08,
	0x30, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x03, 0x00, 0x10,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x01,
};
/* clang-format on */
/* clang-format off */
static const uint8_t tgt_vpdb0[64] = {
	0x00, 0xb0, 0x00, 0x3c, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t tgt_vpdb1[68] = {
	0x00, 0xb1, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
static const uint8_t tgt_vpdb2[8] = {
	0x00, 0xb2, 0x00, 0x04, 0x00, 0xe4, 0x02, 0x00,
};
static const uint8_t tgt_readcap10[8] = {
	0x00, 0x00, 0x3f, 0xff, 0x00, 0x00, 0x02, 0x00,
};
/* clang-format off */
static const uint8_t tgt_readcap16[32] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xff, 0x00, 0x00, 0x02, 0x00,
	0x00, 0x03, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
static const uint8_t tgt_modesense6[24] = {
	0x17, 0x00, 0x10, 0x00, 0x08, 0x12, 0x14, 0x00, 0xff, 0xff, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x80, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format off */
static const uint8_t tgt_modesense10[110] = {
	0x00, 0x6c, 0x00, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x0e, 0x80, 0x80, 0x00, 0x0a,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x12,
	0x14, 0x00, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x80, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x02, 0x10, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x4a, 0x01, 0x00, 0x1c, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x1c, 0x0a, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,
};
/* clang-format on */
static const uint8_t tgt_reportluns[24] = {
	0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t tgt_prin_keys[8] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format off */
static const uint8_t tgt_tur_sense[18] = {
	0x70, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x29, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t tgt_rtpg_sense[18] = {
	0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t tgt_read_oob_sense[18] = {
	0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x21, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t tgt_bad_opcode_sense[18] = {
	0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x20, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t tgt_inq_badfield_sense[18] = {
	0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */

/* LIO, Linux 6.1 */
/* clang-format off */
static const uint8_t lio_inquiry[96] = {
	0x00, 0x00, 0x06, 0x02, 0x5b, 0xb8, 0x00, 0x02, 0x4c, 0x49, 0x4f, 0x2d,
	0x4f, 0x52, 0x47, 0x20, 0x46, 0x49, 0x4c, 0x45, 0x49, 0x4f, 0x20, 0x20,
	0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x34, 0x2e, 0x30, 0x20,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0,
	0x09, 0x60, 0x04, 0x60, 0x04, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t lio_vpd00[4] = {
	0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t lio_vpd83[129] = {
	0x00, 0x83, 0x00, 0x7d, 0x02, 0x01, 0x00, 0x09, 0x4c, 0x49, 0x4f, 0x2d,
	0x4f, 0x52, 0x47, 0x20, 0x00, 0x51, 0x94, 0x00, 0x04, 0x00, 0x00, 0x00,
	0x01, 0x51, 0x95, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x53, 0x98, 0x00, 0x2c, 0x69, 0x71, 0x6e,
	0x2e, 0x32, 0x30, 0x32, 0x36, 0x2d, 0x30, 0x31, 0x2e, 0x63, 0x6f, 0x6d,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x3a, 0x75, 0x6d, 0x6c,
	0x2e, 0x6c, 0x69, 0x6f, 0x31, 0x2c, 0x74, 0x2c, 0x30, 0x78, 0x30, 0x30,
	0x30, 0x31, 0x00, 0x00, 0x00, 0x53, 0xa8, 0x00, 0x24, 0x69, 0x71, 0x6e,
	0x2e, 0x32, 0x30, 0x32, 0x36, 0x2d, 0x30, 0x31, 0x2e, 0x63, 0x6f, 0x6d,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x3a, 0x75, 0x6d, 0x6c,
	0x2e, 0x6c, 0x69, 0x6f, 0x31, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t lio_vpdb0[20] = {
	0x00, 0xb0, 0x00, 0x10, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x40, 0x00,
	0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t lio_readcap16[32] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t lio_modesense10[72] = {
	0x00, 0x46, 0x00, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0xff, 0xff,
	0x00, 0x00, 0x02, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x08, 0x12, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x0a, 0x0a, 0x02, 0x10, 0x00, 0x40, 0x00, 0x00, 0xff, 0xff, 0x00, 0x1e,
	0x1c, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
/* clang-format off */
static const uint8_t lio_rtpg[16] = {
	0x00, 0x00, 0x00, 0x0c, 0x00, 0xcf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x01,
};
/* clang-format on */
/* clang-format off */
static const uint8_t lio_rtpg_ext[16] = {
	0x00, 0x00, 0x00, 0x0c, 0x10, 0x00, 0x00, 0x00, 0x00, 0xcf, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,
};
/* clang-format on */
/* clang-format off */
static const uint8_t lio_nolun_read_sense[96] = {
	0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x25, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */

#define V(a) vec(a, sizeof(a)), sizeof(a)

START_TEST(tgt_inquiry_and_vpd)
{
	struct scsi_inquiry inq;
	struct scsi_vpd_supported sup;
	struct scsi_vpd_serial ser;
	struct scsi_vpd83 v;
	char id[128];

	ck_assert_int_eq(scsi_inquiry_parse(V(tgt_inquiry), &inq), 0);
	ck_assert_uint_eq(inq.qualifier, 0);
	ck_assert_uint_eq(inq.device_type, 0);
	ck_assert_uint_eq(inq.version, 5); /* SPC-3 */
	ck_assert_uint_eq(inq.response_data_format, 2);
	ck_assert_uint_eq(inq.tpgs, 0); /* no ALUA: RTPG is refused below */
	ck_assert(inq.cmdque);
	ck_assert_str_eq(inq.vendor, "IET");
	ck_assert_str_eq(inq.product, "VIRTUAL-DISK");
	ck_assert_str_eq(inq.revision, "0001");

	ck_assert_int_eq(scsi_vpd_supported_parse(V(tgt_vpd00), &sup), 0);
	ck_assert(scsi_vpd_supported_has(&sup, 0x80) && scsi_vpd_supported_has(&sup, 0x83));
	ck_assert(scsi_vpd_supported_has(&sup, 0xb0) && scsi_vpd_supported_has(&sup, 0xb2));
	/* tgt right-aligns the serial in 36 bytes of spaces. */
	ck_assert_int_eq(scsi_vpd_serial_parse(V(tgt_vpd80), &ser), 0);
	ck_assert_str_eq(ser.serial, "beaf11");

	/* T10 vendor ID (36 bytes, NUL padded), NAA 3 (8 bytes), NAA 6 (16 bytes). */
	ck_assert_int_eq(scsi_vpd83_parse(V(tgt_vpd83), &v), 0);
	ck_assert_uint_eq(v.n, 3);
	ck_assert(!v.truncated);
	ck_assert_uint_eq(v.d[0].type, SCSI_DESIG_T10_VENDOR_ID);
	ck_assert_uint_eq(v.d[0].len, 36);
	ck_assert_uint_eq(v.d[1].type, SCSI_DESIG_NAA);
	ck_assert_uint_eq(v.d[1].len, 8);
	ck_assert_uint_eq(v.d[2].type, SCSI_DESIG_NAA);
	ck_assert_uint_eq(v.d[2].len, 16);
	ck_assert_int_eq(scsi_vpd83_identity(&v, id, sizeof(id)), 36);
	ck_assert_str_eq(id, "naa.60000000000000000e00000000010001");
}
END_TEST

START_TEST(tgt_block_pages)
{
	struct scsi_vpd_b0 l;
	struct scsi_vpd_b1 c;
	struct scsi_vpd_b2 p;

	ck_assert_int_eq(scsi_vpd_b0_parse(V(tgt_vpdb0), &l), 0);
	ck_assert_uint_eq(l.max_compare_write, 128);
	ck_assert_uint_eq(l.max_xfer_len, 0); /* no limit */
	ck_assert_uint_eq(l.max_unmap_lba_count, 0xffffffffu);
	ck_assert_uint_eq(l.max_unmap_desc_count, 0xffffffffu);
	ck_assert_int_eq(scsi_vpd_b1_parse(V(tgt_vpdb1), &c), 0);
	ck_assert_uint_eq(c.rotation_rate, SCSI_ROTATION_NOT_REPORTED);
	ck_assert_int_eq(scsi_vpd_b2_parse(V(tgt_vpdb2), &p), 0);
	ck_assert(p.lbpu && p.lbpws && p.lbpws10 && p.lbprz_zero);
	ck_assert_uint_eq(p.provisioning_type, 2); /* thin */
}
END_TEST

START_TEST(tgt_capacity_mode_luns)
{
	struct scsi_capacity c10, c16;
	struct scsi_mode_sense ms;
	struct scsi_report_luns r;
	struct scsi_pr_keys k;
	const uint8_t *pg;
	size_t pl;
	uint32_t lun;

	ck_assert_int_eq(scsi_readcap10_parse(V(tgt_readcap10), &c10), 0);
	ck_assert(c10.nblocks == (8u << 20) / 512);
	ck_assert_uint_eq(c10.block_size, 512);
	ck_assert_int_eq(scsi_readcap16_parse(V(tgt_readcap16), &c16), 0);
	ck_assert(c16.nblocks == c10.nblocks);
	ck_assert(c16.lbpme && c16.lbprz);
	ck_assert_uint_eq(c16.lbppbe, 3); /* tgt reports 4 KiB physical blocks */

	ck_assert_int_eq(scsi_mode_sense_parse(V(tgt_modesense6), false, &ms), 0);
	ck_assert(!ms.wp && ms.dpofua);
	ck_assert(ms.have_caching && ms.wce && !ms.rcd);
	/* (10) with a block descriptor and five pages, one in sub_page format. */
	ck_assert_int_eq(scsi_mode_sense_parse(V(tgt_modesense10), true, &ms), 0);
	ck_assert_uint_eq(ms.block_desc_len, 8);
	ck_assert(ms.have_caching && ms.wce && ms.dpofua);
	ck_assert_int_eq(scsi_mode_page_find(&ms, 0x0a, 0x01, &pg, &pl), 0);
	ck_assert_uint_eq(pl, 32);
	ck_assert_int_eq(scsi_mode_page_find(&ms, 0x1c, 0, &pg, &pl), 0);
	ck_assert_uint_eq(pl, 12);

	ck_assert_int_eq(scsi_report_luns_parse(V(tgt_reportluns), &r), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(scsi_lun_from_wire(r.lun[0], &lun), 0);
	ck_assert_uint_eq(lun, 0); /* tgt's controller LUN */
	ck_assert_int_eq(scsi_lun_from_wire(r.lun[1], &lun), 0);
	ck_assert_uint_eq(lun, 1);

	ck_assert_int_eq(scsi_pr_read_keys_parse(V(tgt_prin_keys), &k), 0);
	ck_assert_uint_eq(k.total, 0);
}
END_TEST

START_TEST(tgt_caps)
{
	struct scsi_inquiry inq;
	struct scsi_vpd83 v;
	struct scsi_vpd_b0 l;
	struct scsi_vpd_b1 c;
	struct scsi_vpd_b2 p;
	struct scsi_capacity cap;
	struct scsi_mode_sense ms;
	struct scsi_lun_caps caps;
	/* clang-format off */
	struct scsi_lun_caps_src src = {.inq = &inq, .devid = &v, .limits = &l, .chars = &c,
				       .prov = &p, .cap = &cap, .mode = &ms};
	/* clang-format on */

	ck_assert_int_eq(scsi_inquiry_parse(V(tgt_inquiry), &inq), 0);
	ck_assert_int_eq(scsi_vpd83_parse(V(tgt_vpd83), &v), 0);
	ck_assert_int_eq(scsi_vpd_b0_parse(V(tgt_vpdb0), &l), 0);
	ck_assert_int_eq(scsi_vpd_b1_parse(V(tgt_vpdb1), &c), 0);
	ck_assert_int_eq(scsi_vpd_b2_parse(V(tgt_vpdb2), &p), 0);
	ck_assert_int_eq(scsi_readcap16_parse(V(tgt_readcap16), &cap), 0);
	ck_assert_int_eq(scsi_mode_sense_parse(V(tgt_modesense10), true, &ms), 0);
	ck_assert_int_eq(scsi_lun_caps_build(&caps, &src), 0);
	ck_assert(caps.size_bytes == 8u << 20);
	ck_assert_uint_eq(caps.block_size, 512);
	ck_assert_uint_eq(caps.phys_block_size, 4096);
	ck_assert_uint_eq(caps.max_transfer_bytes, 0);
	ck_assert_uint_eq(caps.max_unmap_bytes, UINT32_MAX); /* "no limit", clamped */
	ck_assert(caps.write_cache && caps.fua && caps.discard && caps.write_zeroes);
	ck_assert(caps.read_zeroes_after_unmap);
	ck_assert(!caps.read_only);
	ck_assert(caps.rotational); /* rate not reported */
	ck_assert_str_eq(caps.ident, "naa.60000000000000000e00000000010001");
}
END_TEST

/* Each captured sense, parsed and classified. */
START_TEST(tgt_sense)
{
	static const struct {
		const uint8_t *b;
		size_t n;
		uint8_t key, asc, ascq;
		enum scsi_class cls;
		int err;
		const char *text;
	} c[] = {
		{tgt_tur_sense, sizeof(tgt_tur_sense), 0x6, 0x29, 0x00, SCSI_CLASS_RETRY, -EAGAIN,
		 "UNIT ATTENTION (06/29/00 power on, reset, or bus device reset occurred)"},
		{tgt_rtpg_sense, sizeof(tgt_rtpg_sense), 0x5, 0x24, 0x00, SCSI_CLASS_HARD, -EINVAL,
		 "ILLEGAL REQUEST (05/24/00 invalid field in cdb)"},
		{tgt_read_oob_sense, sizeof(tgt_read_oob_sense), 0x5, 0x21, 0x00, SCSI_CLASS_HARD,
		 -ERANGE, "ILLEGAL REQUEST (05/21/00 logical block address out of range)"},
		{tgt_bad_opcode_sense, sizeof(tgt_bad_opcode_sense), 0x5, 0x20, 0x00,
		 SCSI_CLASS_HARD, -EOPNOTSUPP,
		 "ILLEGAL REQUEST (05/20/00 invalid command operation code)"},
		{tgt_inq_badfield_sense, sizeof(tgt_inq_badfield_sense), 0x5, 0x24, 0x00,
		 SCSI_CLASS_HARD, -EINVAL, "ILLEGAL REQUEST (05/24/00 invalid field in cdb)"},
	};
	char text[128];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct scsi_sense s;
		struct scsi_verdict v;

		ck_assert_int_eq(scsi_sense_parse(vec(c[i].b, c[i].n), c[i].n, &s), 0);
		ck_assert(!s.truncated && !s.deferred && !s.descriptor);
		ck_assert_uint_eq(s.key, c[i].key);
		ck_assert_uint_eq(s.asc, c[i].asc);
		ck_assert_uint_eq(s.ascq, c[i].ascq);
		v = scsi_classify(SCSI_STATUS_CHECK_CONDITION, &s);
		ck_assert_int_eq(v.cls, c[i].cls);
		ck_assert_int_eq(v.err, c[i].err);
		scsi_sense_format(&s, text, sizeof(text));
		ck_assert_str_eq(text, c[i].text);
	}
}
END_TEST

START_TEST(lio_identity)
{
	struct scsi_inquiry inq;
	struct scsi_vpd_supported sup;
	struct scsi_vpd83 v;
	uint16_t port, tpg;
	char id[128];

	ck_assert_int_eq(scsi_inquiry_parse(V(lio_inquiry), &inq), 0);
	ck_assert_str_eq(inq.vendor, "LIO-ORG");
	ck_assert_str_eq(inq.product, "FILEIO");
	ck_assert_str_eq(inq.revision, "4.0");
	ck_assert_uint_eq(inq.tpgs, 3); /* implicit and explicit ALUA */
	/* An empty supported-pages list: not trusted (the pages below exist). */
	ck_assert_int_eq(scsi_vpd_supported_parse(V(lio_vpd00), &sup), -EPROTO);

	/* T10 "LIO-ORG " alone, port designators, LU group, two SCSI names
	 * (target port, target device): nothing unique to the LU. */
	ck_assert_int_eq(scsi_vpd83_parse(V(lio_vpd83), &v), 0);
	ck_assert_uint_eq(v.n, 6);
	ck_assert(!v.truncated);
	ck_assert_int_eq(scsi_vpd83_identity(&v, id, sizeof(id)), -ENOENT);
	ck_assert_int_eq(scsi_vpd83_target_name(&v, id, sizeof(id)), 32);
	ck_assert_str_eq(id, "iqn.2026-01.com.example:uml.lio1");
	ck_assert_int_eq(scsi_vpd83_rel_port(&v, &port), 0);
	ck_assert_uint_eq(port, 1);
	ck_assert_int_eq(scsi_vpd83_tpg(&v, &tpg), 0);
	ck_assert_uint_eq(tpg, 0);
}
END_TEST

START_TEST(lio_caps_and_alua)
{
	struct scsi_inquiry inq;
	struct scsi_vpd83 v;
	struct scsi_vpd_b0 l;
	struct scsi_capacity cap;
	struct scsi_mode_sense ms;
	struct scsi_lun_caps caps;
	struct scsi_lun_caps_src src = {
		.inq = &inq, .devid = &v, .limits = &l, .cap = &cap, .mode = &ms};
	struct scsi_rtpg r;
	struct scsi_sense s;
	struct scsi_verdict vd;
	char text[96];

	ck_assert_int_eq(scsi_inquiry_parse(V(lio_inquiry), &inq), 0);
	ck_assert_int_eq(scsi_vpd83_parse(V(lio_vpd83), &v), 0);
	/* SBC-2 length page (PAGE LENGTH 10h): no UNMAP fields. */
	ck_assert_int_eq(scsi_vpd_b0_parse(V(lio_vpdb0), &l), 0);
	ck_assert(l.wsnz);
	ck_assert_uint_eq(l.max_xfer_len, 16384);
	ck_assert_uint_eq(l.opt_xfer_len, 16384);
	ck_assert_uint_eq(l.max_unmap_lba_count, 0);
	ck_assert_int_eq(scsi_readcap16_parse(V(lio_readcap16), &cap), 0);
	ck_assert(cap.nblocks == (64u << 20) / 512);
	ck_assert(!cap.lbpme);
	ck_assert_int_eq(scsi_mode_sense_parse(V(lio_modesense10), true, &ms), 0);
	ck_assert(ms.have_caching && ms.wce && ms.dpofua && !ms.wp);

	/* Without the LUN there is no identity; with it, target name + LUN. */
	ck_assert_int_eq(scsi_lun_caps_build(&caps, &src), -ENOENT);
	src.have_lun = true;
	src.lun = 0;
	ck_assert_int_eq(scsi_lun_caps_build(&caps, &src), 0);
	ck_assert(caps.ident_fallback);
	ck_assert_str_eq(caps.ident, "iqn.2026-01.com.example:uml.lio1,lun0");
	ck_assert(caps.size_bytes == 64u << 20);
	ck_assert_uint_eq(caps.max_transfer_bytes, 16384 * 512);
	ck_assert(!caps.discard && !caps.write_zeroes);
	ck_assert(caps.write_cache && caps.fua);

	/* Length-only RTPG: one group, active/optimized, port 1. */
	ck_assert_int_eq(scsi_rtpg_parse(V(lio_rtpg), &r), 0);
	ck_assert(!r.extended && !r.truncated);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.g[0].id, 0);
	ck_assert_uint_eq(r.g[0].state, SCSI_ALUA_ACTIVE_OPTIMIZED);
	ck_assert_uint_eq(r.g[0].supported, 0xcf);
	ck_assert_ptr_eq(scsi_rtpg_find_port(&r, 1), &r.g[0]);
	/* Extended: LIO's answer stops 4 bytes short of its one port descriptor. */
	ck_assert_int_eq(scsi_rtpg_parse(V(lio_rtpg_ext), &r), 0);
	ck_assert(r.extended && r.truncated);
	ck_assert_uint_eq(r.n, 0);

	/* A LUN this target does not have: 96 bytes of sense buffer, 18 used. */
	ck_assert_int_eq(scsi_sense_parse(V(lio_nolun_read_sense), &s), 0);
	ck_assert(!s.truncated);
	ck_assert_uint_eq(s.key, SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_uint_eq(s.asc, 0x25);
	vd = scsi_classify(SCSI_STATUS_CHECK_CONDITION, &s);
	ck_assert_int_eq(vd.cls, SCSI_CLASS_PATH);
	ck_assert_int_eq(vd.err, -ENOLINK);
	scsi_sense_format(&s, text, sizeof(text));
	ck_assert_str_eq(text, "ILLEGAL REQUEST (05/25/00 logical unit not supported)");
}
END_TEST

/*
 * Every capture cut at every length, through every parser, each on an
 * exact-size heap copy: no parser may read past len (ASan in the sanitizer
 * build), and those with a fixed minimum must refuse shorter data.
 */
START_TEST(prefix_sweep)
{
	/* clang-format off */
	static const struct {
		const uint8_t *b;
		size_t n;
	} caps[] = {
#define C(a) {a, sizeof(a)}
		C(tgt_inquiry),     C(tgt_vpd00),      C(tgt_vpd80),      C(tgt_vpd83),
		C(tgt_vpdb0),       C(tgt_vpdb1),      C(tgt_vpdb2),      C(tgt_readcap10),
		C(tgt_readcap16),   C(tgt_modesense6), C(tgt_modesense10), C(tgt_reportluns),
		C(tgt_prin_keys),   C(tgt_tur_sense),  C(lio_inquiry),    C(lio_vpd83),
		C(lio_vpdb0),       C(lio_readcap16),  C(lio_modesense10), C(lio_rtpg),
		C(lio_rtpg_ext),    C(lio_nolun_read_sense),
#undef C
	};
	/* clang-format on */
	static struct scsi_vpd83 v;
	static struct scsi_report_luns rl;
	static struct scsi_rtpg rt;
	static struct scsi_pr_keys pk;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		for (size_t len = 0; len <= caps[i].n; len++) {
			uint8_t *b = malloc(len ? len : 1);
			struct scsi_sense s;
			struct scsi_inquiry inq;
			struct scsi_vpd_supported sup;
			struct scsi_vpd_serial ser;
			struct scsi_vpd_b0 b0;
			struct scsi_vpd_b1 b1;
			struct scsi_vpd_b2 b2;
			struct scsi_capacity c;
			struct scsi_mode_sense ms;
			struct scsi_pr_reservation res;

			ck_assert_ptr_nonnull(b);
			memcpy(b, caps[i].b, len);
			if (scsi_inquiry_parse(b, len, &inq) == 0)
				ck_assert_uint_ge(len, 36);
			(void)scsi_sense_parse(b, len, &s);
			(void)scsi_vpd_supported_parse(b, len, &sup);
			(void)scsi_vpd_serial_parse(b, len, &ser);
			if (scsi_vpd83_parse(b, len, &v) == 0)
				for (unsigned int k = 0; k < v.n; k++)
					ck_assert(v.d[k].data + v.d[k].len <= b + len);
			(void)scsi_vpd_b0_parse(b, len, &b0);
			(void)scsi_vpd_b1_parse(b, len, &b1);
			(void)scsi_vpd_b2_parse(b, len, &b2);
			if (scsi_readcap10_parse(b, len, &c) == 0)
				ck_assert_uint_ge(len, 8);
			if (scsi_readcap16_parse(b, len, &c) == 0)
				ck_assert_uint_ge(len, 16);
			if (scsi_mode_sense_parse(b, len, false, &ms) == 0)
				ck_assert(ms.pages + ms.pages_len <= b + len);
			if (scsi_mode_sense_parse(b, len, true, &ms) == 0)
				ck_assert(ms.pages + ms.pages_len <= b + len);
			if (scsi_report_luns_parse(b, len, &rl) == 0)
				ck_assert_uint_le(8 + 8 * (size_t)rl.n, len);
			(void)scsi_rtpg_parse(b, len, &rt);
			(void)scsi_pr_read_keys_parse(b, len, &pk);
			(void)scsi_pr_read_reservation_parse(b, len, &res);
			free(b);
		}
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("scsi_tgt");
	TCase *tc = tcase_create("tgt");

	tcase_add_checked_fixture(tc, NULL, vec_free);
	tcase_add_test(tc, tgt_inquiry_and_vpd);
	tcase_add_test(tc, tgt_block_pages);
	tcase_add_test(tc, tgt_capacity_mode_luns);
	tcase_add_test(tc, tgt_caps);
	tcase_add_test(tc, tgt_sense);
	tcase_add_test(tc, lio_identity);
	tcase_add_test(tc, lio_caps_and_alua);
	tcase_add_test(tc, prefix_sweep);
	suite_add_tcase(s, tc);
	return s;
}
