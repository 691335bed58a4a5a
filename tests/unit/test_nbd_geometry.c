/*
 * Which geometries an export refuses (src/nbd/geometry.c): block sizes the
 * kernel NBD driver rejects (blk_validate_block_size: a power of two from
 * 512 to PAGE_SIZE), those the NBD protocol cannot advertise (minimum block
 * a power of two <= 64 KiB), and sizes no consumer can address.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "nbd/geometry.h"

#define GIB (1ull << 30)

START_TEST(kernel_block_sizes)
{
	char why[200];

	ck_assert_int_eq(nbdnl_geometry_check(512, GIB, 4096, why, sizeof(why)), 0);
	ck_assert_int_eq(nbdnl_geometry_check(4096, GIB, 4096, why, sizeof(why)), 0);
	ck_assert_int_eq(nbdnl_geometry_check(8192, GIB, 4096, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "8192"));
	ck_assert_ptr_nonnull(strstr(why, "page size (4096)"));
	ck_assert_int_eq(nbdnl_geometry_check(8192, GIB, 65536, why, sizeof(why)), 0);
	ck_assert_int_eq(nbdnl_geometry_check(256, GIB, 4096, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(nbdnl_geometry_check(520, GIB, 4096, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "520"));
	ck_assert_int_eq(nbdnl_geometry_check(4160, GIB, 65536, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(nbdnl_geometry_check(0, GIB, 4096, why, sizeof(why)), -EINVAL);
}
END_TEST

START_TEST(kernel_sizes)
{
	char why[200];

	ck_assert_int_eq(nbdnl_geometry_check(512, 0, 4096, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(nbdnl_geometry_check(512, (uint64_t)INT64_MAX + 1, 4096, why, sizeof(why)),
			 -EOVERFLOW);
	ck_assert_ptr_nonnull(strstr(why, "9223372036854775808"));
	ck_assert_int_eq(nbdnl_geometry_check(512, (uint64_t)INT64_MAX - 511, 4096, NULL, 0), 0);
}
END_TEST

START_TEST(server_block_sizes)
{
	char why[200];
	const uint32_t maxp = 32u << 20;

	ck_assert_int_eq(nbdsrv_geometry_check(512, 4096, GIB, maxp, why, sizeof(why)), 0);
	ck_assert_int_eq(nbdsrv_geometry_check(65536, 65536, GIB, maxp, why, sizeof(why)), 0);
	/* NBD can say "1 byte" where the kernel cannot: a 256-byte LUN is servable. */
	ck_assert_int_eq(nbdsrv_geometry_check(256, 256, GIB, maxp, why, sizeof(why)), 0);
	ck_assert_int_eq(nbdsrv_geometry_check(131072, 131072, GIB, maxp, why, sizeof(why)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "131072"));
	ck_assert_int_eq(nbdsrv_geometry_check(520, 520, GIB, maxp, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(nbdsrv_geometry_check(4160, 4160, GIB, maxp, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(nbdsrv_geometry_check(0, 0, GIB, maxp, why, sizeof(why)), -EINVAL);
	/* Physical block (the preferred size) beyond the maximum payload. */
	ck_assert_int_eq(nbdsrv_geometry_check(512, 64u << 20, GIB, maxp, why, sizeof(why)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "physical"));
}
END_TEST

START_TEST(server_sizes)
{
	char why[200];
	const uint32_t maxp = 32u << 20;

	ck_assert_int_eq(nbdsrv_geometry_check(512, 512, 0, maxp, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(nbdsrv_geometry_check(512, 512, UINT64_MAX - 511, maxp, why, sizeof(why)),
			 -EOVERFLOW);
	ck_assert_int_eq(
		nbdsrv_geometry_check(512, 512, (uint64_t)INT64_MAX - 511, maxp, why, sizeof(why)),
		0);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("nbd-geometry");
	TCase *tc = tcase_create("geometry");

	tcase_add_test(tc, kernel_block_sizes);
	tcase_add_test(tc, kernel_sizes);
	tcase_add_test(tc, server_block_sizes);
	tcase_add_test(tc, server_sizes);
	suite_add_tcase(s, tc);
	return s;
}
