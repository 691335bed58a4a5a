/*
 * nbd protocol: request header and simple reply against bytes written from
 * nbd-protocol.md ("Request message", "Simple reply message"), the
 * validator's error for each kind of bad request, the errno table, the
 * transmission flags, and the fixed newstyle handshake driven with
 * hand-written client byte sequences.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "nbd/handshake.h"
#include "nbd/tls.h"
#include "nbd/proto.h"
#include "util/compiler.h"

/* ------------------------------------------------------------------ codecs */

START_TEST(req_parse_bytes)
{
	/* WRITE, flags FUA, cookie 0x0102030405060708, offset 0x1000, length 0x200. */
	static const uint8_t wire[28] = {
		0x25, 0x60, 0x95, 0x13, 0x00, 0x01, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
		0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x02, 0x00,
	};
	struct nbdsrv_req r;

	nbdsrv_req_parse(wire, &r);
	ck_assert_uint_eq(r.magic, 0x25609513u);
	ck_assert_uint_eq(r.flags, NBDSRV_CMD_FLAG_FUA);
	ck_assert_uint_eq(r.type, NBDSRV_CMD_WRITE);
	ck_assert(r.cookie == 0x0102030405060708ull);
	ck_assert(r.offset == 0x1000);
	ck_assert_uint_eq(r.len, 0x200);
	ck_assert_uint_eq(nbdsrv_req_payload_len(&r), 0x200);
}
END_TEST

START_TEST(reply_build_bytes)
{
	static const uint8_t want[16] = {
		0x67, 0x44, 0x66, 0x98, 0x00, 0x00, 0x00, 0x1c,
		0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11,
	};
	uint8_t buf[16];

	nbdsrv_reply_build(buf, 28 /* NBD_ENOSPC */, 0xaabbccddeeff0011ull);
	ck_assert_mem_eq(buf, want, 16);
}
END_TEST

START_TEST(error_values_are_the_spec_numbers)
{
	/* "Error values" lists these numbers; they must not follow the host errno. */
	ck_assert_uint_eq(NBDSRV_EPERM, 1);
	ck_assert_uint_eq(NBDSRV_EIO, 5);
	ck_assert_uint_eq(NBDSRV_ENOMEM, 12);
	ck_assert_uint_eq(NBDSRV_EINVAL, 22);
	ck_assert_uint_eq(NBDSRV_ENOSPC, 28);
	ck_assert_uint_eq(NBDSRV_EOVERFLOW, 75);
	ck_assert_uint_eq(NBDSRV_ENOTSUP, 95);
	ck_assert_uint_eq(NBDSRV_ESHUTDOWN, 108);
}
END_TEST

START_TEST(errno_table)
{
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(0), 0);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EIO), 5);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EPERM), 1);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EROFS), 1);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EACCES), 1);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-ENOMEM), 12);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EINVAL), 22);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-ERANGE), 22);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-ENOSPC), 28);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EDQUOT), 28);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EFBIG), 28);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EOVERFLOW), 75);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-ENOTSUP), 95);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-EOPNOTSUPP), 95);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-ESHUTDOWN), 108);
	/* Unmapped: EIO. */
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-ETIMEDOUT), 5);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-ENOLINK), 5);
	ck_assert_uint_eq(nbdsrv_errno_to_nbd(-9999), 5);
}
END_TEST

static struct bdev_info full_info(void)
{
	struct bdev_info i;

	memset(&i, 0, sizeof(i));
	i.size_bytes = 1 << 20;
	i.logical_block_size = 512;
	i.physical_block_size = 4096;
	i.write_cache = i.fua = i.discard = i.write_zeroes = true;
	return i;
}

START_TEST(tflags_from_info)
{
	struct bdev_info i;

	memset(&i, 0, sizeof(i));
	ck_assert_uint_eq(nbdsrv_tflags_from_info(&i, false), 0x0001);
	i.write_cache = true;
	ck_assert_uint_eq(nbdsrv_tflags_from_info(&i, false), 0x0005);
	i.fua = true;
	ck_assert_uint_eq(nbdsrv_tflags_from_info(&i, false), 0x000d);
	i.discard = true;
	ck_assert_uint_eq(nbdsrv_tflags_from_info(&i, false), 0x002d);
	i.write_zeroes = true;
	ck_assert_uint_eq(nbdsrv_tflags_from_info(&i, false), 0x006d);
	i.read_only = true;
	ck_assert_uint_eq(nbdsrv_tflags_from_info(&i, false), 0x006f);
	i.rotational = true;
	ck_assert_uint_eq(nbdsrv_tflags_from_info(&i, false), 0x007f);
	ck_assert_uint_eq(nbdsrv_tflags_from_info(&i, true), 0x017f);
}
END_TEST

START_TEST(export_block_sizes)
{
	struct bdev_info i = full_info();
	struct nbdsrv_export ex;

	nbdsrv_export_from_info(&ex, &i, false, "x", NULL);
	ck_assert_uint_eq(ex.min_block, 512);
	ck_assert_uint_eq(ex.pref_block, 4096);
	ck_assert_uint_eq(ex.max_payload, 32u << 20);
	i.physical_block_size = 512;
	nbdsrv_export_from_info(&ex, &i, false, "x", NULL);
	ck_assert_uint_eq(ex.pref_block, 4096);
	i.logical_block_size = 4096;
	i.physical_block_size = 16384;
	nbdsrv_export_from_info(&ex, &i, false, "x", NULL);
	ck_assert_uint_eq(ex.min_block, 4096);
	ck_assert_uint_eq(ex.pref_block, 16384);
}
END_TEST

/* --------------------------------------------------------------- validator */

static struct nbdsrv_export test_export(bool full)
{
	struct bdev_info i = full_info();
	struct nbdsrv_export ex;

	if (!full)
		i.write_cache = i.fua = i.discard = i.write_zeroes = false;
	nbdsrv_export_from_info(&ex, &i, false, "lun", NULL);
	return ex;
}

static int v(const struct nbdsrv_export *ex, uint16_t type, uint16_t flags, uint64_t off,
	     uint32_t len)
{
	struct nbdsrv_req r = {.magic = NBDSRV_REQUEST_MAGIC,
			       .flags = flags,
			       .type = type,
			       .cookie = 1,
			       .offset = off,
			       .len = len};

	return nbdsrv_req_validate(&r, ex);
}

START_TEST(validate_good)
{
	struct nbdsrv_export ex = test_export(true);

	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, 0, 4096), 0);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE, NBDSRV_CMD_FLAG_FUA, 512, 512), 0);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, (1 << 20) - 512, 512), 0);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_FLUSH, 0, 0, 0), 0);
	/* FLUSH's fields are reserved: ignored, not checked. */
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_FLUSH, 0, 12345, 7), 0);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_TRIM, 0, 0, 1 << 20), 0);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE_ZEROES, NBDSRV_CMD_FLAG_NO_HOLE, 0, 1 << 20), 0);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_DISC, 0, 0, 0), 0);
	/* Zero length is legal and does nothing. */
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, 0, 0), 0);
	/* FUA is accepted on every command once SEND_FUA is advertised. */
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, NBDSRV_CMD_FLAG_FUA, 0, 512), 0);
}
END_TEST

START_TEST(validate_bad_magic_is_fatal)
{
	struct nbdsrv_export ex = test_export(true);
	struct nbdsrv_req r = {.magic = 0x25609514, .type = NBDSRV_CMD_READ, .len = 512};

	ck_assert_int_eq(nbdsrv_req_validate(&r, &ex), -EPROTO);
	r.magic = 0x12560953; /* historic magic */
	ck_assert_int_eq(nbdsrv_req_validate(&r, &ex), -EPROTO);
}
END_TEST

START_TEST(validate_unknown_and_unadvertised)
{
	struct nbdsrv_export full = test_export(true), bare = test_export(false);

	ck_assert_int_eq(v(&full, NBDSRV_CMD_CACHE, 0, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&full, NBDSRV_CMD_BLOCK_STATUS, 0, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&full, 8, 0, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&full, 0xffff, 0, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&bare, NBDSRV_CMD_FLUSH, 0, 0, 0), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&bare, NBDSRV_CMD_TRIM, 0, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&bare, NBDSRV_CMD_WRITE_ZEROES, 0, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&bare, NBDSRV_CMD_WRITE, NBDSRV_CMD_FLAG_FUA, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&bare, NBDSRV_CMD_WRITE, 0, 0, 512), 0);
}
END_TEST

START_TEST(validate_flags)
{
	struct nbdsrv_export ex = test_export(true);

	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, NBDSRV_CMD_FLAG_DF, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE, NBDSRV_CMD_FLAG_NO_HOLE, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE_ZEROES, NBDSRV_CMD_FLAG_FAST_ZERO, 0, 512),
			 NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE, 0x8000, 0, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_TRIM, NBDSRV_CMD_FLAG_REQ_ONE, 0, 512), NBDSRV_EINVAL);
}
END_TEST

START_TEST(validate_range)
{
	struct nbdsrv_export ex = test_export(true);

	/* "ENOSPC ... write request ... beyond the size"; EINVAL for read and trim. */
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE, 0, 1 << 20, 512), NBDSRV_ENOSPC);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE_ZEROES, 0, (1 << 20) - 512, 1024), NBDSRV_ENOSPC);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, (1 << 20) - 512, 1024), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_TRIM, 0, 1 << 20, 512), NBDSRV_EINVAL);
	/* offset + len wraps around 2^64: must not pass as "small". */
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, 0xfffffffffffffe00ull, 1024), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE, 0, UINT64_MAX, 512), NBDSRV_ENOSPC);
}
END_TEST

START_TEST(validate_alignment_and_size)
{
	struct nbdsrv_export ex = test_export(true);

	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, 1, 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE, 0, 0, 100), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_TRIM, 0, 256, 512), NBDSRV_EINVAL);
	/* Payload above 32 MiB: EINVAL ("a length larger than the maximum ... will fail"). */
	ex.size = 1ull << 40;
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, 0, (32u << 20) + 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE, 0, 0, (32u << 20) + 512), NBDSRV_EINVAL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, 0, 32u << 20), 0);
	/* No payload: TRIM / WRITE_ZEROES may be long (split by the server). */
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_TRIM, 0, 0, 0xfffffe00u), 0);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE_ZEROES, 0, 0, 0xfffffe00u), 0);
}
END_TEST

START_TEST(validate_read_only)
{
	struct bdev_info i = full_info();
	struct nbdsrv_export ex;

	i.read_only = true;
	nbdsrv_export_from_info(&ex, &i, false, "", NULL);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE, 0, 0, 512), NBDSRV_EPERM);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_TRIM, 0, 0, 512), NBDSRV_EPERM);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_WRITE_ZEROES, 0, 0, 512), NBDSRV_EPERM);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_READ, 0, 0, 512), 0);
	ck_assert_int_eq(v(&ex, NBDSRV_CMD_FLUSH, 0, 0, 0), 0);
}
END_TEST

/* --------------------------------------------------------------- handshake */

/* The byte vectors below are laid out one wire field per group. */
/* clang-format off */

static struct nbdsrv_export hs_export;
static struct nbdsrv_hs hs;

static void hs_setup(void)
{
	struct bdev_info i = full_info();

	i.size_bytes = 0x100000;
	nbdsrv_export_from_info(&hs_export, &i, false, "lun0", "test disk");
	/* tflags: HAS_FLAGS|SEND_FLUSH|SEND_FUA|SEND_TRIM|SEND_WRITE_ZEROES = 0x006d */
	nbdsrv_hs_init(&hs, &hs_export);
}

/* Take all pending output and compare with the expected bytes. */
static void expect_out(const uint8_t *want, size_t len)
{
	size_t n;
	const uint8_t *p = nbdsrv_hs_output(&hs, &n);

	ck_assert_uint_eq(n, len);
	ck_assert_mem_eq(p, want, len);
	nbdsrv_hs_consume_output(&hs, n);
}

/* Feed everything, flushing output in between as a real caller would; output is collected. */
static size_t feed_all(const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	size_t used = 0;

	*outlen = 0;
	for (;;) {
		size_t n;
		const uint8_t *p = nbdsrv_hs_output(&hs, &n);

		memcpy(out + *outlen, p, n);
		*outlen += n;
		nbdsrv_hs_consume_output(&hs, n);
		if (used == len || nbdsrv_hs_want(&hs) == 0)
			break;
		used += nbdsrv_hs_feed(&hs, in + used, len - used);
	}
	return used;
}

static const uint8_t greeting[18] = {
	'N', 'B', 'D', 'M', 'A', 'G', 'I', 'C', 'I', 'H', 'A', 'V', 'E', 'O', 'P', 'T', 0x00, 0x03,
};

#define IHAVEOPT 'I', 'H', 'A', 'V', 'E', 'O', 'P', 'T'
#define REPMAGIC 0x00, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9

START_TEST(hs_greeting_and_flags)
{
	static const uint8_t cflags[4] = {0, 0, 0, 3};

	hs_setup();
	ck_assert_uint_eq(nbdsrv_hs_want(&hs), 0); /* greeting must go out first */
	expect_out(greeting, sizeof(greeting));
	ck_assert_uint_eq(nbdsrv_hs_want(&hs), 4);
	/* Byte by byte: partial input is kept. */
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(nbdsrv_hs_feed(&hs, cflags + i, 1), 1);
	ck_assert_int_eq(hs.state, NBDSRV_HS_OPT_HDR);
	ck_assert(hs.no_zeroes);
	ck_assert_uint_eq(nbdsrv_hs_want(&hs), 16);
}
END_TEST

START_TEST(hs_unknown_client_flags_close)
{
	static const uint8_t cflags[4] = {0, 0, 0, 4};

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	nbdsrv_hs_feed(&hs, cflags, 4);
	ck_assert(nbdsrv_hs_failed(&hs));
	ck_assert_uint_eq(nbdsrv_hs_want(&hs), 0);
}
END_TEST

START_TEST(hs_go_with_block_size)
{
	/* Flags FIXED|NO_ZEROES, then OPT_GO name "lun0", 2 requests: NAME(1), BLOCK_SIZE(3). */
	static const uint8_t in[] = {
		0, 0, 0, 3, IHAVEOPT, 0, 0, 0, 7, 0, 0, 0, 14,
		0, 0, 0, 4, 'l', 'u', 'n', '0', 0, 2, 0, 1, 0, 3,
		/* a transmission-phase byte that must not be consumed */
		0x25,
	};
	static const uint8_t want[] = {
		/* REP_INFO, INFO_EXPORT: size 0x100000, flags 0x006d */
		REPMAGIC, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 12,
		0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x6d,
		/* REP_INFO, INFO_NAME "lun0" */
		REPMAGIC, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 6,
		0, 1, 'l', 'u', 'n', '0',
		/* REP_INFO, INFO_BLOCK_SIZE 512 / 4096 / 32 MiB */
		REPMAGIC, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 14,
		0, 3, 0, 0, 2, 0, 0, 0, 0x10, 0, 0x02, 0, 0, 0,
		/* REP_ACK */
		REPMAGIC, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	uint8_t out[1024];
	size_t outlen, used;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	used = feed_all(in, sizeof(in), out, &outlen);
	ck_assert_uint_eq(used, sizeof(in) - 1);
	ck_assert(nbdsrv_hs_done(&hs));
	ck_assert_uint_eq(outlen, sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(hs_info_then_go_default_name)
{
	/* OPT_INFO with "" and no requests, then OPT_GO likewise. */
	static const uint8_t in[] = {
		0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 6, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0,
		IHAVEOPT, 0, 0, 0, 7, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0,
	};
	uint8_t out[1024];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	/* INFO alone: EXPORT + BLOCK_SIZE + ACK and still negotiating. */
	ck_assert_uint_eq(feed_all(in, 4 + 22, out, &outlen), 26);
	ck_assert_uint_eq(outlen, 32 + 34 + 20);
	ck_assert_uint_eq(out[15], 3);        /* REP_INFO */
	ck_assert_uint_eq(out[11], 6);        /* to OPT_INFO */
	ck_assert_uint_eq(out[32 + 34 + 15], 1); /* ACK */
	ck_assert(!nbdsrv_hs_done(&hs));
	ck_assert_int_eq(hs.state, NBDSRV_HS_OPT_HDR);
	ck_assert_uint_eq(feed_all(in + 26, 22, out, &outlen), 22);
	ck_assert(nbdsrv_hs_done(&hs));
	ck_assert_uint_eq(outlen, 32 + 34 + 20);
}
END_TEST

START_TEST(hs_go_unknown_export)
{
	static const uint8_t in[] = {
		0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0, 3, 'b', 'a', 'd', 0, 0,
	};
	static const uint8_t want[] = {
		REPMAGIC, 0, 0, 0, 7, 0x80, 0, 0, 6, 0, 0, 0, 0,
	};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert_uint_eq(outlen, sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(hs.state, NBDSRV_HS_OPT_HDR);
}
END_TEST

START_TEST(hs_go_bad_lengths)
{
	/* name length larger than the option; then request count not matching the length. */
	static const uint8_t in[] = {
		0, 0, 0, 1,
		IHAVEOPT, 0, 0, 0, 7, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0,
		IHAVEOPT, 0, 0, 0, 6, 0, 0, 0, 8, 0, 0, 0, 0, 0, 2, 0, 3,
		IHAVEOPT, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0,
	};
	static const uint8_t inval7[] = {REPMAGIC, 0, 0, 0, 7, 0x80, 0, 0, 3, 0, 0, 0, 0};
	static const uint8_t inval6[] = {REPMAGIC, 0, 0, 0, 6, 0x80, 0, 0, 3, 0, 0, 0, 0};
	uint8_t out[256];
	size_t outlen, used = 0;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	used += feed_all(in, 4 + 22, out, &outlen);
	ck_assert_uint_eq(outlen, 20);
	ck_assert_mem_eq(out, inval7, 20);
	used += feed_all(in + used, 24, out, &outlen);
	ck_assert_mem_eq(out, inval6, 20);
	used += feed_all(in + used, sizeof(in) - used, out, &outlen);
	ck_assert_uint_eq(used, sizeof(in));
	ck_assert_mem_eq(out, inval7, 20);
	ck_assert(!nbdsrv_hs_done(&hs) && !nbdsrv_hs_failed(&hs));
}
END_TEST

START_TEST(hs_list)
{
	static const uint8_t in[] = {0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 3, 0, 0, 0, 0};
	static const uint8_t want[] = {
		REPMAGIC, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 4, 'l', 'u', 'n', '0',
		REPMAGIC, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	static const uint8_t with_data[] = {IHAVEOPT, 0, 0, 0, 3, 0, 0, 0, 1, 'x'};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert_uint_eq(outlen, sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	/* "The client MUST NOT send any additional data": NBD_REP_ERR_INVALID. */
	feed_all(with_data, sizeof(with_data), out, &outlen);
	ck_assert_uint_eq(outlen, 20);
	ck_assert_uint_eq(out[12], 0x80);
	ck_assert_uint_eq(out[15], 3);
}
END_TEST

START_TEST(hs_unknown_and_structured_unsup)
{
	static const uint8_t in[] = {
		0, 0, 0, 1,
		IHAVEOPT, 0, 0, 0, 0x2a, 0, 0, 0, 3, 'a', 'b', 'c', /* unknown option 42 with data */
		IHAVEOPT, 0, 0, 0, 8, 0, 0, 0, 0,                   /* STRUCTURED_REPLY */
		IHAVEOPT, 0, 0, 0, 5, 0, 0, 0, 0,                   /* STARTTLS */
	};
	uint8_t out[256];
	size_t outlen, used = 0;
	static const uint32_t opts[3] = {0x2a, 8, 5};
	static const size_t lens[3] = {4 + 19, 16, 16};

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	for (int i = 0; i < 3; i++) {
		uint8_t want[20] = {REPMAGIC, 0, 0, 0, (uint8_t)opts[i], 0x80, 0, 0, 1, 0, 0, 0, 0};

		used += feed_all(in + used, lens[i], out, &outlen);
		ck_assert_uint_eq(outlen, 20);
		ck_assert_mem_eq(out, want, 20);
	}
	ck_assert_uint_eq(used, sizeof(in));
	ck_assert_int_eq(hs.state, NBDSRV_HS_OPT_HDR);
}
END_TEST

/* FORCEDTLS: every option but STARTTLS / ABORT gets TLS_REQD, STARTTLS enters TLS. */
START_TEST(hs_tls_require)
{
	static const uint8_t in[] = {
		0, 0, 0, 1,
		IHAVEOPT, 0, 0, 0, 7, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, /* GO "" */
		IHAVEOPT, 0, 0, 0, 3, 0, 0, 0, 0,                   /* LIST */
		IHAVEOPT, 0, 0, 0, 0x2a, 0, 0, 0, 0,                /* unknown 42 */
		IHAVEOPT, 0, 0, 0, 5, 0, 0, 0, 0,                   /* STARTTLS */
	};
	static const uint32_t opts[4] = {7, 3, 0x2a, 5};
	static const size_t lens[4] = {4 + 22, 16, 16, 16};
	uint8_t out[512];
	size_t outlen, used = 0;

	hs_setup();
	nbdsrv_hs_set_tls(&hs, 2);
	expect_out(greeting, sizeof(greeting));
	for (int i = 0; i < 3; i++) {
		uint8_t want[20] = {REPMAGIC, 0, 0, 0, (uint8_t)opts[i], 0x80, 0, 0, 5, 0, 0, 0, 0};

		used += feed_all(in + used, lens[i], out, &outlen);
		ck_assert_uint_eq(outlen, 20);
		ck_assert_mem_eq(out, want, 20);
	}
	{
		uint8_t ack[20] = {REPMAGIC, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0};

		used += feed_all(in + used, lens[3], out, &outlen);
		ck_assert_uint_eq(outlen, 20);
		ck_assert_mem_eq(out, ack, 20);
	}
	ck_assert_uint_eq(used, sizeof(in));
	/* Nothing more is read in plaintext: the caller runs the TLS handshake. */
	ck_assert_int_eq(hs.state, NBDSRV_HS_TLS);
	ck_assert(nbdsrv_hs_wants_tls(&hs));
	ck_assert_uint_eq(nbdsrv_hs_want(&hs), 0);
	nbdsrv_hs_tls_started(&hs);
	ck_assert_int_eq(hs.state, NBDSRV_HS_OPT_HDR);
	{
		/* Over TLS: STARTTLS again is INVALID, GO is served. */
		static const uint8_t again[] = {IHAVEOPT, 0, 0, 0, 5, 0, 0, 0, 0};
		static const uint8_t inval[] = {REPMAGIC, 0, 0, 0, 5, 0x80, 0, 0, 3, 0, 0, 0, 0};
		static const uint8_t go[] = {IHAVEOPT, 0, 0, 0, 7, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0};

		feed_all(again, sizeof(again), out, &outlen);
		ck_assert_uint_eq(outlen, 20);
		ck_assert_mem_eq(out, inval, 20);
		feed_all(go, sizeof(go), out, &outlen);
		ck_assert(nbdsrv_hs_done(&hs));
	}
}
END_TEST

/* FORCEDTLS: EXPORT_NAME cannot be answered with an error, so the session ends, no data. */
START_TEST(hs_tls_require_export_name_closes)
{
	static const uint8_t in[] = {0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 1, 0, 0, 0, 4, 'l', 'u', 'n', '0'};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	nbdsrv_hs_set_tls(&hs, 2);
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert_uint_eq(outlen, 0);
	ck_assert(nbdsrv_hs_failed(&hs));
}
END_TEST

/* SELECTIVETLS serves plaintext; STARTTLS with data is INVALID and stays in plaintext. */
START_TEST(hs_tls_on)
{
	static const uint8_t in[] = {0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 5, 0, 0, 0, 1, 'x'};
	static const uint8_t inval[] = {REPMAGIC, 0, 0, 0, 5, 0x80, 0, 0, 3, 0, 0, 0, 0};
	static const uint8_t go[] = {IHAVEOPT, 0, 0, 0, 7, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0};
	uint8_t out[512];
	size_t outlen;

	hs_setup();
	nbdsrv_hs_set_tls(&hs, 1);
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert_uint_eq(outlen, 20);
	ck_assert_mem_eq(out, inval, 20);
	feed_all(go, sizeof(go), out, &outlen);
	ck_assert(nbdsrv_hs_done(&hs));
}
END_TEST

START_TEST(hs_oversized_option_skipped)
{
	/* An INFO claiming 1 MiB of data: skipped without storing, ERR_TOO_BIG, stream kept. */
	static const uint8_t hdr[] = {0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 6, 0, 0x10, 0, 0};
	static const uint8_t want[] = {REPMAGIC, 0, 0, 0, 6, 0x80, 0, 0, 9, 0, 0, 0, 0};
	static uint8_t junk[1 << 20];
	uint8_t out[256];
	size_t outlen, used = 0;

	memset(junk, 0xa5, sizeof(junk));
	hs_setup();
	expect_out(greeting, sizeof(greeting));
	feed_all(hdr, sizeof(hdr), out, &outlen);
	ck_assert_uint_eq(outlen, 0);
	ck_assert_int_eq(hs.state, NBDSRV_HS_OPT_SKIP);
	while (used < sizeof(junk))
		used += feed_all(junk + used, MIN(sizeof(junk) - used, 4000), out, &outlen);
	ck_assert_uint_eq(outlen, sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(hs.state, NBDSRV_HS_OPT_HDR);
}
END_TEST

START_TEST(hs_oversized_export_name_closes)
{
	static const uint8_t in[] = {0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 1, 0, 0x10, 0, 0};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert(nbdsrv_hs_failed(&hs));
}
END_TEST

START_TEST(hs_abort)
{
	static const uint8_t in[] = {0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 2, 0, 0, 0, 0, 0xff};
	static const uint8_t want[] = {REPMAGIC, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	ck_assert_uint_eq(feed_all(in, sizeof(in), out, &outlen), sizeof(in) - 1);
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert(nbdsrv_hs_failed(&hs));
}
END_TEST

START_TEST(hs_bad_option_magic)
{
	static const uint8_t in[] = {0, 0, 0, 1, 'I', 'H', 'A', 'V', 'E', 'O', 'P', 'X',
				     0, 0, 0, 3, 0, 0, 0, 0};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert_uint_eq(outlen, 0);
	ck_assert(nbdsrv_hs_failed(&hs));
}
END_TEST

START_TEST(hs_export_name)
{
	/* Without NO_ZEROES: 8 + 2 + 124 zero bytes. */
	static const uint8_t in[] = {0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 1, 0, 0, 0, 4, 'l', 'u', 'n', '0'};
	uint8_t want[134] = {0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x6d};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert(nbdsrv_hs_done(&hs));
	ck_assert_uint_eq(outlen, 134);
	ck_assert_mem_eq(out, want, 134);
}
END_TEST

START_TEST(hs_export_name_no_zeroes_default)
{
	static const uint8_t in[] = {0, 0, 0, 3, IHAVEOPT, 0, 0, 0, 1, 0, 0, 0, 0};
	static const uint8_t want[10] = {0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x6d};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert(nbdsrv_hs_done(&hs));
	ck_assert_uint_eq(outlen, 10);
	ck_assert_mem_eq(out, want, 10);
}
END_TEST

START_TEST(hs_export_name_unknown_closes)
{
	static const uint8_t in[] = {0, 0, 0, 1, IHAVEOPT, 0, 0, 0, 1, 0, 0, 0, 2, 'n', 'o'};
	uint8_t out[256];
	size_t outlen;

	hs_setup();
	expect_out(greeting, sizeof(greeting));
	feed_all(in, sizeof(in), out, &outlen);
	ck_assert(nbdsrv_hs_failed(&hs));
	ck_assert_uint_eq(outlen, 0);
}
END_TEST

/* clang-format on */

/* ---------------------------------------------------------------- TLS PSK */

/* The psktool format, and what is refused with the line and reason. */
START_TEST(tls_psk_parse)
{
	static const char good[] = "alice:0011aaBB\n\nbob:ff00\r\n";
	char err[200];
	struct nbdsrv_tls_cfg cfg = {0};
	struct nbdsrv_tls *t;

	ck_assert_int_eq(nbdsrv_tls_psk_parse(good, strlen(good), err, sizeof(err)), 2);
	ck_assert_int_eq(nbdsrv_tls_psk_parse("alice", 5, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 1"));
	ck_assert_int_eq(nbdsrv_tls_psk_parse("a:0\n", 4, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(nbdsrv_tls_psk_parse("a:zz\n", 5, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "hexadecimal"));
	ck_assert_int_eq(nbdsrv_tls_psk_parse(":00\n", 4, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(nbdsrv_tls_psk_parse("\n\n", 2, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(nbdsrv_tls_psk_parse("a\x01b:00", 6, err, sizeof(err)), -EINVAL);
	/* A key longer than 64 bytes. */
	{
		char longkey[2 + 2 * 65 + 1];

		memset(longkey, '0', sizeof(longkey) - 1);
		longkey[0] = 'a';
		longkey[1] = ':';
		longkey[sizeof(longkey) - 1] = 0;
		ck_assert_int_eq(nbdsrv_tls_psk_parse(longkey, strlen(longkey), err, sizeof(err)),
				 -EINVAL);
	}
	/* Credentials: an identity given twice, none at all, verify-peer without certificates. */
	cfg.psk_text = "a:00\na:11\n";
	cfg.psk_len = strlen(cfg.psk_text);
	ck_assert_ptr_null(nbdsrv_tls_new(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "twice"));
	cfg.psk_text = NULL;
	ck_assert_ptr_null(nbdsrv_tls_new(&cfg, err, sizeof(err)));
	cfg.verify_peer = true;
	cfg.psk_text = good;
	cfg.psk_len = strlen(good);
	ck_assert_ptr_null(nbdsrv_tls_new(&cfg, err, sizeof(err)));
	cfg.verify_peer = false;
	t = nbdsrv_tls_new(&cfg, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(nbdsrv_tls_psk_count(t), 2);
	ck_assert(!nbdsrv_tls_has_certs(t));
	nbdsrv_tls_free(t);
	ck_assert_int_eq(nbdsrv_tls_mode_parse("require"), NBDSRV_TLS_REQUIRE);
	ck_assert_int_eq(nbdsrv_tls_mode_parse("yes"), -1);
	/* One list of names for both ways (and the tls configuration key). */
	for (int m = NBDSRV_TLS_OFF; m <= NBDSRV_TLS_REQUIRE; m++)
		ck_assert_int_eq(nbdsrv_tls_mode_parse(nbdsrv_tls_mode_name(m)), m);
	ck_assert_str_eq(nbdsrv_tls_mode_name(NBDSRV_TLS_ON), "on");
	ck_assert_str_eq(nbdsrv_tls_mode_name((enum nbdsrv_tls_mode)7), "?");
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("nbd_proto");
	TCase *tc = tcase_create("codec");
	TCase *th = tcase_create("handshake");

	tcase_add_test(tc, req_parse_bytes);
	tcase_add_test(tc, reply_build_bytes);
	tcase_add_test(tc, error_values_are_the_spec_numbers);
	tcase_add_test(tc, errno_table);
	tcase_add_test(tc, tflags_from_info);
	tcase_add_test(tc, export_block_sizes);
	tcase_add_test(tc, validate_good);
	tcase_add_test(tc, validate_bad_magic_is_fatal);
	tcase_add_test(tc, validate_unknown_and_unadvertised);
	tcase_add_test(tc, validate_flags);
	tcase_add_test(tc, validate_range);
	tcase_add_test(tc, validate_alignment_and_size);
	tcase_add_test(tc, validate_read_only);
	tcase_add_test(th, hs_greeting_and_flags);
	tcase_add_test(th, hs_unknown_client_flags_close);
	tcase_add_test(th, hs_go_with_block_size);
	tcase_add_test(th, hs_info_then_go_default_name);
	tcase_add_test(th, hs_go_unknown_export);
	tcase_add_test(th, hs_go_bad_lengths);
	tcase_add_test(th, hs_list);
	tcase_add_test(th, hs_unknown_and_structured_unsup);
	tcase_add_test(th, hs_tls_require);
	tcase_add_test(th, hs_tls_require_export_name_closes);
	tcase_add_test(th, hs_tls_on);
	tcase_add_test(th, tls_psk_parse);
	tcase_add_test(th, hs_oversized_option_skipped);
	tcase_add_test(th, hs_oversized_export_name_closes);
	tcase_add_test(th, hs_abort);
	tcase_add_test(th, hs_bad_option_magic);
	tcase_add_test(th, hs_export_name);
	tcase_add_test(th, hs_export_name_no_zeroes_default);
	tcase_add_test(th, hs_export_name_unknown_closes);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, th);
	return s;
}
