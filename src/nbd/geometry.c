/* Geometry an export can carry; see geometry.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "nbd/geometry.h"
#include "util/compiler.h"

#define NBD_MIN_BLOCK_MAX 65536u /* NBD "Size constraints": minimum block <= 2^16 */

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int fail(char *why, size_t cap, int err, const char *fmt, ...) ISN_PRINTF(4, 5);

static int fail(char *why, size_t cap, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && cap) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return err;
}

/*
 * Both exports take a size from 1 byte to INT64_MAX: above, the kernel's
 * loff_t or an NBD client's offsets would wrap. whose_limit names which.
 */
static int size_check(uint64_t size_bytes, const char *whose_limit, char *why, size_t cap)
{
	if (size_bytes == 0)
		return fail(why, cap, -EINVAL, "size 0 bytes: an empty LUN cannot be exported");
	if (size_bytes > INT64_MAX)
		return fail(why, cap, -EOVERFLOW, "size %llu bytes: above %s (%llu bytes)",
			    (unsigned long long)size_bytes, whose_limit,
			    (unsigned long long)INT64_MAX);
	return 0;
}

int nbdnl_geometry_check(uint32_t block_size, uint64_t size_bytes, long page_size, char *why,
			 size_t cap)
{
	unsigned long long page = page_size > 0 ? (unsigned long long)page_size : 4096ull;

	if (!pow2(block_size) || block_size < 512 || block_size > page)
		return fail(why, cap, -EINVAL,
			    "logical block size %llu: the kernel NBD driver takes a power of two "
			    "from 512 to the page size (%llu)",
			    (unsigned long long)block_size, page);
	return size_check(size_bytes, "the kernel's limit (loff_t)", why, cap);
}

int nbdsrv_geometry_check(uint32_t block_size, uint32_t phys_block_size, uint64_t size_bytes,
			  uint32_t max_payload, char *why, size_t cap)
{
	uint32_t pref = phys_block_size > 4096 ? phys_block_size : 4096;

	if (!pow2(block_size) || block_size > NBD_MIN_BLOCK_MAX)
		return fail(why, cap, -EINVAL,
			    "logical block size %llu: NBD can only express a power of two of at "
			    "most %llu bytes",
			    (unsigned long long)block_size, (unsigned long long)NBD_MIN_BLOCK_MAX);
	if (!pow2(phys_block_size) || phys_block_size < block_size || pref > max_payload)
		return fail(why, cap, -EINVAL,
			    "physical block size %llu: NBD needs a power of two no larger than "
			    "the maximum payload (%llu)",
			    (unsigned long long)phys_block_size, (unsigned long long)max_payload);
	return size_check(size_bytes, "what NBD clients can address", why, cap);
}
