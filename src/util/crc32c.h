/*
 * CRC32C (Castagnoli) for iSCSI header and data digests, RFC 7143 13.1.
 * Backed by ISA-L's crc32_iscsi, which uses the SSE4.2 / PCLMUL instruction
 * where the CPU has it.
 *
 * Byte order: RFC 7143 11.1 and RFC 3720 B.4 send the digest least
 * significant byte first (the CRC register is reflected), unlike every other
 * iSCSI field. crc32c_put()/crc32c_get() do that conversion; nothing else
 * should touch digest bytes.
 */
#ifndef ISN_UTIL_CRC32C_H
#define ISN_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#define CRC32C_INIT 0xffffffffu

/* Fold len bytes into a running (not yet inverted) CRC state. */
uint32_t crc32c_update(uint32_t state, const void *buf, size_t len);

/* Final value from a running state. */
static inline uint32_t crc32c_final(uint32_t state)
{
	return ~state;
}

/* CRC32C of one buffer. */
static inline uint32_t crc32c(const void *buf, size_t len)
{
	return crc32c_final(crc32c_update(CRC32C_INIT, buf, len));
}

/* Digest to and from the 4 wire bytes (least significant byte first). */
static inline void crc32c_put(uint8_t *p, uint32_t crc)
{
	p[0] = (uint8_t)crc;
	p[1] = (uint8_t)(crc >> 8);
	p[2] = (uint8_t)(crc >> 16);
	p[3] = (uint8_t)(crc >> 24);
}

static inline uint32_t crc32c_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
