/* Internal helpers of the scsi layer; not part of its interface. */
#ifndef ISN_SCSI_CDB_H
#define ISN_SCSI_CDB_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Checks the caller's storage and clears the CDB, so every reserved bit and
 * the CONTROL byte are zero unless a builder sets them. */
static inline int cdb_start(uint8_t *cdb, size_t cdblen, size_t need, uint8_t opcode)
{
	if (!cdb || cdblen < need)
		return -EINVAL;
	memset(cdb, 0, need);
	cdb[0] = opcode;
	return 0;
}

/* Copies a fixed-width ASCII field, trimming trailing spaces and NULs and
 * replacing what is not printable, so the result is safe to log. */
static inline void ascii_field(char *dst, const uint8_t *src, size_t n)
{
	size_t end = n;

	while (end > 0 && (src[end - 1] == ' ' || src[end - 1] == 0))
		end--;
	for (size_t i = 0; i < end; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[end] = 0;
}

#endif
