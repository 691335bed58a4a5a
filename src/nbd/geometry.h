/*
 * Which LUN geometries an export can carry, checked before anything is
 * exported: a block size or size that the consumer cannot express would
 * otherwise be rounded, truncated or refused half-way (the kernel driver
 * refuses the CONNECT; an NBD client misaddresses the tail).
 *
 * Both functions return 0, or -EINVAL / -EOVERFLOW with a sentence in why
 * (a NUL-terminated string of at most cap bytes) saying what is wrong.
 */
#ifndef ISN_NBD_GEOMETRY_H
#define ISN_NBD_GEOMETRY_H

#include <stddef.h>
#include <stdint.h>

/*
 * The kernel NBD driver (nbd_set_size via blk_validate_block_size): the
 * logical block size must be a power of two from 512 to the page size, and
 * the size a non-negative loff_t (at most INT64_MAX). page_size: the
 * machine's, sysconf(_SC_PAGESIZE).
 */
int nbdnl_geometry_check(uint32_t block_size, uint64_t size_bytes, long page_size, char *why,
			 size_t cap);

/*
 * The NBD protocol ("Size constraints", NBD_INFO_BLOCK_SIZE): the minimum
 * block size (our logical block size) must be a power of two of at most
 * 64 KiB, and the preferred one (the physical block size, at least 4 KiB) a
 * power of two no larger than the maximum payload. Sizes above INT64_MAX are
 * refused too: clients (libnbd, qemu) hold the export size in an int64_t.
 */
int nbdsrv_geometry_check(uint32_t block_size, uint32_t phys_block_size, uint64_t size_bytes,
			  uint32_t max_payload, char *why, size_t cap);

#endif
