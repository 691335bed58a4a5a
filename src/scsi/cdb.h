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

/* The decoders' counterpart: checks the caller's pointers (-EINVAL) and that
 * the device sent at least the min bytes the fields read need (-EPROTO),
 * then clears *out so every field the data does not set reads as zero. */
static inline int parse_start(const uint8_t *buf, size_t len, size_t min, void *out,
			      size_t out_size)
{
	if (!buf || !out)
		return -EINVAL;
	if (len < min)
		return -EPROTO;
	memset(out, 0, out_size);
	return 0;
}

/*
 * The size of the descriptor at off of a list that ends at end (off <
 * end): hdr header bytes, then unit bytes for each of the count in its
 * header byte count_at. 0 when the descriptor is cut short, which
 * truncates the list there (sense descriptors, VPD 0x83 designators,
 * target port groups).
 */
static inline size_t desc_size(const uint8_t *buf, size_t off, size_t end, size_t hdr,
			       size_t count_at, size_t unit)
{
	size_t need;

	if (end - off < hdr)
		return 0;
	need = hdr + unit * buf[off + count_at];
	return end - off < need ? 0 : need;
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
