/*
 * scsi SBC-4 codecs: READ CAPACITY, READ/WRITE(10/16) and the (10)/(16)
 * choice at its exact boundaries, SYNCHRONIZE CACHE, UNMAP, WRITE SAME,
 * each against the SBC-4 CDB tables written out byte by byte; and the
 * combination of parsed LU data into struct scsi_lun_caps.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "scsi/caps.h"
#include "scsi/sbc.h"
#include "scsi/spc.h"
#include "test_scsi_vec.h"

START_TEST(readcap_cdbs)
{
	static const uint8_t rc10[10] = {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* SBC-4 table 63: SERVICE ACTION 10h, ALLOCATION LENGTH bytes 10-13 */
	/* clang-format off */
	static const uint8_t rc16[16] = {0x9e, 0x10, 0, 0, 0, 0, 0, 0,
					 0, 0, 0x00, 0x00, 0x00, 0x20, 0, 0};
	/* clang-format on */
	uint8_t cdb[16];

	memset(cdb, 0xee, sizeof(cdb));
	CDB_EQ(scsi_build_readcap10(cdb, 10), cdb, rc10);
	memset(cdb, 0xee, sizeof(cdb));
	CDB_EQ(scsi_build_readcap16(cdb, 16, 32), cdb, rc16);
	ck_assert_int_eq(scsi_build_readcap16(cdb, 15, 32), -EINVAL);
}
END_TEST

START_TEST(readcap_parse)
{
	/* table 62: last LBA 0x1fffff, 512-byte blocks: 1 GiB */
	static const uint8_t rc10[8] = {0x00, 0x1f, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00};
	static const uint8_t rc10_big[8] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00};
	static const uint8_t rc10_zero_bs[8] = {0x00, 0x1f, 0xff, 0xff, 0, 0, 0, 0};
	/* table 64: last LBA 0x1_ffffffff, 512-byte logical blocks, P_TYPE 2 +
	 * PROT_EN, 8 logical per physical (exponent 3), LBPME, LBPRZ, lowest
	 * aligned LBA 0x102. */
	/* clang-format off */
	static const uint8_t rc16[32] = {
		0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff,
		0x00, 0x00, 0x02, 0x00,
		0x05, 0x03, 0xc1, 0x02,
	};
	/* clang-format on */
	static const uint8_t rc16_full[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x10, 0x00,
	};
	struct scsi_capacity c;

	ck_assert_int_eq(scsi_readcap10_parse(vec(rc10, 8), 8, &c), 0);
	ck_assert(c.nblocks == 0x200000);
	ck_assert_uint_eq(c.block_size, 512);
	ck_assert(!c.need_rc16);
	ck_assert_int_eq(scsi_readcap10_parse(vec(rc10_big, 8), 8, &c), 0);
	ck_assert(c.need_rc16);
	ck_assert_int_eq(scsi_readcap10_parse(vec(rc10_zero_bs, 8), 8, &c), -EPROTO);
	ck_assert_int_eq(scsi_readcap10_parse(vec(rc10, 7), 7, &c), -EPROTO);

	ck_assert_int_eq(scsi_readcap16_parse(vec(rc16, 32), 32, &c), 0);
	ck_assert(c.nblocks == 0x200000000ull);
	ck_assert_uint_eq(c.block_size, 512);
	ck_assert(c.prot_en);
	ck_assert_uint_eq(c.p_type, 2);
	ck_assert_uint_eq(c.lbppbe, 3);
	ck_assert(c.lbpme);
	ck_assert(c.lbprz);
	ck_assert_uint_eq(c.lowest_aligned, 0x102);
	ck_assert_int_eq(scsi_readcap16_parse(vec(rc16, 16), 16, &c), 0);
	ck_assert_int_eq(scsi_readcap16_parse(vec(rc16, 15), 15, &c), -EPROTO);
	ck_assert_int_eq(scsi_readcap16_parse(vec(rc16_full, 32), 32, &c), -EPROTO);
}
END_TEST

/* Capacity in bytes is checked arithmetic: no wrapped size ever reaches a caller. */
START_TEST(capacity_bytes)
{
	/* 2^55 blocks of 512 bytes is 2^64 bytes: one past what 64 bits hold. */
	static const uint8_t rc16_wrap[32] = {0x00, 0x7f, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0x00, 0x00, 0x02, 0x00};
	static const uint8_t rc16_max[32] = {0x00, 0x7f, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xfe, 0x00, 0x00, 0x02, 0x00};
	static const uint8_t rc10_big[8] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00};
	struct scsi_capacity c;
	uint64_t b = 1;

	ck_assert_int_eq(scsi_readcap16_parse(vec(rc16_wrap, 32), 32, &c), 0);
	ck_assert_int_eq(scsi_capacity_bytes(&c, &b), -EOVERFLOW);
	ck_assert_int_eq(scsi_readcap16_parse(vec(rc16_max, 32), 32, &c), 0);
	ck_assert_int_eq(scsi_capacity_bytes(&c, &b), 0);
	ck_assert(b == UINT64_MAX - 511); /* (2^55 - 1) * 512 */
	ck_assert_int_eq(scsi_readcap10_parse(vec(rc10_big, 8), 8, &c), 0);
	ck_assert_int_eq(scsi_capacity_bytes(&c, &b), -EINVAL); /* READ CAPACITY(16) needed */
	memset(&c, 0, sizeof(c));
	c.block_size = 512;
	ck_assert_int_eq(scsi_capacity_bytes(&c, &b), -EINVAL); /* no blocks */
}
END_TEST

START_TEST(rw_cdbs)
{
	/* SBC-4 table 44 READ(10): LBA bytes 2-5, TRANSFER LENGTH bytes 7-8 */
	static const uint8_t rd10[10] = {0x28, 0x00, 0x12, 0x34, 0x56,
					 0x78, 0x00, 0x00, 0x08, 0x00};
	/* table 95 WRITE(10) with FUA (byte 1 bit 3) */
	static const uint8_t wr10_fua[10] = {0x2a, 0x08, 0x00, 0x00, 0x00,
					     0x10, 0x00, 0x01, 0x00, 0x00};
	/* DPO (bit 4) + FUA */
	static const uint8_t rd10_dpo[10] = {0x28, 0x18, 0xff, 0xff, 0xff,
					     0xff, 0x00, 0x00, 0x01, 0x00};
	/* table 99 WRITE(16) FUA: LBA bytes 2-9, TRANSFER LENGTH bytes 10-13 */
	/* clang-format off */
	static const uint8_t wr16[16] = {0x8a, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
					 0x00, 0x00, 0x00, 0x08, 0x00, 0x00};
	/* clang-format on */
	/* table 48 READ(16): 65536 blocks does not fit TRANSFER LENGTH(10) */
	/* clang-format off */
	static const uint8_t rd16_len[16] = {0x88, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
					     0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
	/* clang-format on */
	/* clang-format off */
	static const uint8_t rd16_edge[16] = {0x88, 0x00, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
					      0x00, 0x00, 0x00, 0x02, 0x00, 0x00};
	/* clang-format on */
	static const uint8_t rd10_max[10] = {0x28, 0x00, 0, 0, 0, 0, 0x00, 0xff, 0xff, 0x00};
	uint8_t cdb[16];

	memset(cdb, 0xee, sizeof(cdb));
	CDB_EQ(scsi_build_rw(cdb, 16, false, 0x12345678, 8, 0), cdb, rd10);
	CDB_EQ(scsi_build_rw(cdb, 16, true, 0x10, 256, SCSI_RW_FUA), cdb, wr10_fua);
	/* The last block 0xffffffff is still addressable by READ(10). */
	CDB_EQ(scsi_build_rw(cdb, 16, false, 0xffffffffu, 1, SCSI_RW_FUA | SCSI_RW_DPO), cdb,
	       rd10_dpo);
	/* ... but a range that crosses 2^32 needs READ(16). */
	CDB_EQ(scsi_build_rw(cdb, 16, false, 0xffffffffu, 2, 0), cdb, rd16_edge);
	CDB_EQ(scsi_build_rw(cdb, 16, true, 0x100000000ull, 8, SCSI_RW_FUA), cdb, wr16);
	CDB_EQ(scsi_build_rw(cdb, 16, false, 0, 0xffff, 0), cdb, rd10_max);
	CDB_EQ(scsi_build_rw(cdb, 16, false, 0, 0x10000, 0), cdb, rd16_len);
	/* FORCE16 on a small request. */
	ck_assert_int_eq(scsi_build_rw(cdb, 16, false, 0x12345678, 8, SCSI_RW_FORCE16), 16);
	ck_assert_uint_eq(cdb[0], 0x88);
	ck_assert_uint_eq(cdb[9], 0x78);
	ck_assert_uint_eq(cdb[13], 8);

	ck_assert_int_eq(scsi_build_rw(cdb, 16, false, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(scsi_build_rw(cdb, 16, false, UINT64_MAX, 2, 0), -EINVAL);
	ck_assert_int_eq(scsi_build_rw(cdb, 16, false, UINT64_MAX, 1, 0), 16);
	/* A 10-byte buffer is enough for (10) but not for (16). */
	ck_assert_int_eq(scsi_build_rw(cdb, 10, false, 0, 8, 0), 10);
	ck_assert_int_eq(scsi_build_rw(cdb, 10, false, 0x100000000ull, 8, 0), -EINVAL);
}
END_TEST

START_TEST(sync_cache_cdbs)
{
	/* SBC-4 table 78: IMMED byte 1 bit 1, NUMBER OF LOGICAL BLOCKS 0 = to the end */
	static const uint8_t sc10[10] = {0x35, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t sc10_immed[10] = {0x35, 0x02, 0x00, 0x00, 0x10,
					       0x00, 0,	   0x00, 0x80, 0};
	/* table 79 */
	/* clang-format off */
	static const uint8_t sc16[16] = {0x91, 0x02, 0, 0, 0, 0x01, 0, 0, 0, 0,
					 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	/* clang-format on */
	uint8_t cdb[16];

	memset(cdb, 0xee, sizeof(cdb));
	CDB_EQ(scsi_build_sync_cache(cdb, 16, 0, 0, false), cdb, sc10);
	CDB_EQ(scsi_build_sync_cache(cdb, 16, 0x1000, 128, true), cdb, sc10_immed);
	CDB_EQ(scsi_build_sync_cache(cdb, 16, 0x100000000ull, 0, true), cdb, sc16);
	ck_assert_int_eq(scsi_build_sync_cache(cdb, 16, 0, 0x10000, false), 16);
	ck_assert_uint_eq(cdb[0], 0x91);
	ck_assert_uint_eq(cdb[11], 0x01);
}
END_TEST

START_TEST(unmap_cdb_and_params)
{
	/* SBC-4 table 87: ANCHOR byte 1 bit 0, PARAMETER LIST LENGTH bytes 7-8 */
	static const uint8_t cdb_want[10] = {0x42, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x28, 0x00};
	static const uint8_t cdb_anchor[10] = {0x42, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x18, 0x00};
	/* tables 88/89: two block descriptors */
	/* clang-format off */
	static const uint8_t params[40] = {
		0x00, 0x26, /* UNMAP DATA LENGTH: 40 - 2 */
		0x00, 0x20, /* UNMAP BLOCK DESCRIPTOR DATA LENGTH: 40 - 8 */
		0, 0, 0, 0,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 0,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0,
	};
	/* clang-format on */
	const struct scsi_unmap_extent e[2] = {{0x1000, 8}, {0x100000000ull, 0x10000}};
	uint8_t cdb[16], buf[64];

	CDB_EQ(scsi_build_unmap(cdb, 10, 40, false), cdb, cdb_want);
	CDB_EQ(scsi_build_unmap(cdb, 10, 24, true), cdb, cdb_anchor);
	memset(buf, 0xee, sizeof(buf));
	CDB_EQ(scsi_build_unmap_params(buf, sizeof(buf), e, 2), buf, params);
	ck_assert_uint_eq(buf[40], 0xee);
	ck_assert_int_eq(scsi_build_unmap_params(buf, 39, e, 2), -EINVAL);
	ck_assert_int_eq(scsi_build_unmap_params(buf, sizeof(buf), e, 0), -EINVAL);
	ck_assert_int_eq(scsi_build_unmap_params(buf, sizeof(buf), e, SCSI_UNMAP_MAX_EXTENTS + 1),
			 -EINVAL);
}
END_TEST

START_TEST(write_same_cdbs)
{
	/* SBC-4 table 110: ANCHOR bit 4, UNMAP bit 3, NDOB bit 0 of byte 1 */
	/* clang-format off */
	static const uint8_t ws16_unmap[16] = {0x93, 0x08, 0, 0, 0, 0, 0, 0, 0x20, 0x00,
					       0x00, 0x00, 0x08, 0x00, 0x00, 0x00};
	/* clang-format on */
	/* clang-format off */
	static const uint8_t ws16_ndob[16] = {0x93, 0x01, 0, 0, 0, 0x02, 0, 0, 0, 0,
					      0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
	/* clang-format on */
	/* table 108 WRITE SAME(10) */
	static const uint8_t ws10[10] = {0x41, 0x18, 0x00, 0x00, 0x20,
					 0x00, 0x00, 0x00, 0x10, 0x00};
	uint8_t cdb[16];

	CDB_EQ(scsi_build_write_same16(cdb, 16, 0x2000, 0x800, SCSI_WS_UNMAP), cdb, ws16_unmap);
	CDB_EQ(scsi_build_write_same16(cdb, 16, 0x200000000ull, 0x10000, SCSI_WS_NDOB), cdb,
	       ws16_ndob);
	CDB_EQ(scsi_build_write_same10(cdb, 16, 0x2000, 16, SCSI_WS_UNMAP | SCSI_WS_ANCHOR), cdb,
	       ws10);
	ck_assert_int_eq(scsi_build_write_same16(cdb, 16, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(scsi_build_write_same10(cdb, 16, 0, 8, SCSI_WS_NDOB), -EINVAL);
	ck_assert_int_eq(scsi_build_write_same16(cdb, 15, 0, 8, 0), -EINVAL);
}
END_TEST

/* ---- scsi_lun_caps_build ---- */

/* clang-format off */
static const uint8_t inq_disk[36] = {0x00, 0x00, 0x06, 0x12, 0x1f, 0x00, 0x00, 0x02,
				     'I', 'E', 'T', ' ', ' ', ' ', ' ', ' ',
				     'V', 'I', 'R', 'T', 'U', 'A', 'L', '-',
				     'D', 'I', 'S', 'K', ' ', ' ', ' ', ' ',
				     '0', '0', '0', '1'};
/* clang-format on */
static const uint8_t devid_naa[24] = {0x00, 0x83, 0x00, 0x14, 0x01, 0x03, 0x00, 0x10,
				      0x60, 0x01, 0x40, 0x5a, 0xbc, 0xde, 0xf0, 0x12,
				      0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12};
static const uint8_t serial_pg[11] = {0x00, 0x80, 0x00, 0x07, 'b', 'e', 'a', 'a', '0', '0', '1'};
/* B0: MAXIMUM TRANSFER LENGTH 16384, OPTIMAL 1024, MAXIMUM UNMAP LBA COUNT 8192 */
/* clang-format off */
static const uint8_t b0_pg[64] = {0x00, 0xb0, 0x00, 0x3c, 0, 0, 0, 0,
				  0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x04, 0x00,
				  0, 0, 0, 0, 0x00, 0x00, 0x20, 0x00,
				  0x00, 0x00, 0x00, 0x01};
/* clang-format on */
static const uint8_t b1_ssd[8] = {0x00, 0xb1, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00};
static const uint8_t b2_thin[8] = {0x00, 0xb2, 0x00, 0x04, 0x00, 0xc4, 0x02, 0x00};
/* 2^21 blocks of 512 bytes, 4 KiB physical, LBPME */
/* clang-format off */
static const uint8_t rc16_thin[32] = {0, 0, 0, 0, 0x00, 0x1f, 0xff, 0xff, 0x00, 0x00, 0x02, 0x00,
				      0x00, 0x03, 0x80, 0x00};
/* clang-format on */
/* MODE SENSE(6): DPOFUA, caching page with WCE */
static const uint8_t ms_wce[24] = {0x17, 0x00, 0x10, 0x00, 0x08, 0x12, 0x04, 0x00};

struct parsed {
	struct scsi_inquiry inq;
	struct scsi_vpd83 devid;
	struct scsi_vpd_serial serial;
	struct scsi_vpd_b0 b0;
	struct scsi_vpd_b1 b1;
	struct scsi_vpd_b2 b2;
	struct scsi_capacity cap;
	struct scsi_mode_sense ms;
	struct scsi_lun_caps_src src;
};

static void parse_all(struct parsed *p)
{
	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(scsi_inquiry_parse(vec(inq_disk, 36), 36, &p->inq), 0);
	ck_assert_int_eq(scsi_vpd83_parse(vec(devid_naa, 24), 24, &p->devid), 0);
	ck_assert_int_eq(scsi_vpd_serial_parse(vec(serial_pg, 11), 11, &p->serial), 0);
	ck_assert_int_eq(scsi_vpd_b0_parse(vec(b0_pg, 64), 64, &p->b0), 0);
	ck_assert_int_eq(scsi_vpd_b1_parse(vec(b1_ssd, 8), 8, &p->b1), 0);
	ck_assert_int_eq(scsi_vpd_b2_parse(vec(b2_thin, 8), 8, &p->b2), 0);
	ck_assert_int_eq(scsi_readcap16_parse(vec(rc16_thin, 32), 32, &p->cap), 0);
	ck_assert_int_eq(scsi_mode_sense_parse(vec(ms_wce, 24), 24, false, &p->ms), 0);
	p->src = (struct scsi_lun_caps_src){.inq = &p->inq,
					    .devid = &p->devid,
					    .serial = &p->serial,
					    .limits = &p->b0,
					    .chars = &p->b1,
					    .prov = &p->b2,
					    .cap = &p->cap,
					    .mode = &p->ms};
}

START_TEST(caps_full)
{
	struct parsed p;
	struct scsi_lun_caps c;

	parse_all(&p);
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), 0);
	ck_assert(c.nblocks == 0x200000);
	ck_assert(c.size_bytes == 1ull << 30);
	ck_assert_uint_eq(c.block_size, 512);
	ck_assert_uint_eq(c.phys_block_size, 4096);
	ck_assert_uint_eq(c.max_transfer_bytes, 16384 * 512);
	ck_assert_uint_eq(c.opt_transfer_bytes, 1024 * 512);
	ck_assert_uint_eq(c.max_unmap_bytes, 8192 * 512);
	ck_assert_uint_eq(c.max_unmap_descriptors, 1);
	ck_assert(c.write_cache);
	ck_assert(c.fua);
	ck_assert(c.discard);
	ck_assert(c.write_zeroes);
	ck_assert(c.read_zeroes_after_unmap);
	ck_assert(!c.read_only);
	ck_assert(!c.rotational);
	ck_assert(!c.ident_fallback);
	ck_assert_str_eq(c.ident, "naa.6001405abcdef0123456789abcdef012");
}
END_TEST

START_TEST(caps_partial)
{
	struct parsed p;
	struct scsi_lun_caps c;

	/* Fully provisioned (LBPME 0): the B2 bits promise nothing. */
	parse_all(&p);
	p.cap.lbpme = false;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), 0);
	ck_assert(!c.discard && !c.write_zeroes && !c.read_zeroes_after_unmap);

	/* No MODE SENSE, no B0/B1: flush assumed, rotational assumed, no limits. */
	parse_all(&p);
	p.src.mode = NULL;
	p.src.limits = NULL;
	p.src.chars = NULL;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), 0);
	ck_assert(c.write_cache);
	ck_assert(!c.fua);
	ck_assert(c.rotational);
	ck_assert_uint_eq(c.max_transfer_bytes, 0);

	/* WCE clear and WP set. */
	parse_all(&p);
	p.ms.wce = false;
	p.ms.wp = true;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), 0);
	ck_assert(!c.write_cache);
	ck_assert(c.read_only);

	/* No designator: identity from vendor, product and serial. */
	parse_all(&p);
	p.src.devid = NULL;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), 0);
	ck_assert(c.ident_fallback);
	ck_assert_str_eq(c.ident, "t10.IET_VIRTUAL-DISK_beaa001");
	p.src.serial = NULL;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), -ENOENT);

	/* A CD-ROM is not ours; a missing capacity is a caller bug. */
	parse_all(&p);
	p.inq.device_type = 5;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), -ENODEV);
	parse_all(&p);
	p.src.cap = NULL;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), -EINVAL);
	parse_all(&p);
	p.cap.need_rc16 = true;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), -EINVAL);

	/* Sizes that do not fit. */
	parse_all(&p);
	p.cap.nblocks = UINT64_MAX / 256;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), -EOVERFLOW);
	parse_all(&p);
	p.cap.lbppbe = 15;
	p.cap.block_size = 1u << 20;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), -EOVERFLOW);
	/* A byte limit beyond 4 GiB is clamped, not wrapped. */
	parse_all(&p);
	p.b0.max_xfer_len = 0xffffffffu;
	ck_assert_int_eq(scsi_lun_caps_build(&c, &p.src), 0);
	ck_assert_uint_eq(c.max_transfer_bytes, UINT32_MAX);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("scsi_sbc");
	TCase *tc = tcase_create("sbc");

	tcase_add_checked_fixture(tc, NULL, vec_free);
	tcase_add_test(tc, readcap_cdbs);
	tcase_add_test(tc, readcap_parse);
	tcase_add_test(tc, capacity_bytes);
	tcase_add_test(tc, rw_cdbs);
	tcase_add_test(tc, sync_cache_cdbs);
	tcase_add_test(tc, unmap_cdb_and_params);
	tcase_add_test(tc, write_same_cdbs);
	tcase_add_test(tc, caps_full);
	tcase_add_test(tc, caps_partial);
	suite_add_tcase(s, tc);
	return s;
}
