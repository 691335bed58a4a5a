/*
 * iSCSI PDU codec: common header, framing, AHS, digests, dispatch.
 * The per-opcode BHS layouts are described once in pdu_wire.h; their
 * encoders and decoders are generated in pdu_codec.c (the daemon's half)
 * and pdu_peer.c (the test library's half).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "session/pdu.h"
#include "session/pdu_gen.h"
#include "session/pdu_wire.h"
#include "util/compiler.h"
#include "util/crc32c.h"

#define OPCODE_NAME(name, op, sender, title) [ISCSI_PDU_OP_##op] = title,
static const char *const opcode_names[64] = {PDU_LIST(OPCODE_NAME)};
#undef OPCODE_NAME

const char *iscsi_pdu_opcode_name(unsigned int opcode)
{
	return opcode < ARRAY_SIZE(opcode_names) ? opcode_names[opcode] : NULL;
}

bool iscsi_pdu_opcode_known(unsigned int opcode)
{
	return iscsi_pdu_opcode_name(opcode) != NULL;
}

const char *iscsi_pdu_describe(const uint8_t *bhs, char *buf, size_t len)
{
	unsigned int op = iscsi_pdu_opcode(bhs);
	const char *name = iscsi_pdu_opcode_name(op);
	char opbuf[16];

	if (len == 0)
		return buf;
	if (!name) {
		snprintf(opbuf, sizeof(opbuf), "opcode 0x%02x", op);
		name = opbuf;
	}
	snprintf(buf, len, "%s%s%s itt 0x%x dsl %u", name, iscsi_pdu_immediate(bhs) ? " I" : "",
		 iscsi_pdu_final(bhs) ? " F" : "", iscsi_pdu_itt(bhs), iscsi_pdu_dsl(bhs));
	return buf;
}

int pdu_enc_start(uint8_t *bhs, unsigned int op, bool immediate, unsigned int ahs_words,
		  uint32_t dsl)
{
	if (dsl > ISCSI_PDU_DSL_MAX || ahs_words > 255)
		return -EINVAL;
	memset(bhs, 0, ISCSI_PDU_BHS_LEN);
	bhs[0] = (uint8_t)(op | (immediate ? BHS_I_BIT : 0));
	bhs[4] = (uint8_t)ahs_words;
	put_be24(bhs + 5, dsl);
	return 0;
}

int iscsi_pdu_frame(const uint8_t *bhs, const struct iscsi_pdu_rx_params *p,
		    struct iscsi_pdu_frame *f, const char **why)
{
	unsigned int op = iscsi_pdu_opcode(bhs);
	uint32_t dsl = iscsi_pdu_dsl(bhs);

	/* RFC 7143 11.2.1.2: a reserved opcode is a protocol error. */
	if (!iscsi_pdu_opcode_known(op))
		return pdu_fail(why, "reserved opcode");
	/* Bit 5 of the opcode tells the direction: 0x20-0x3f come from targets. */
	if (((op & 0x20) != 0) == p->from_initiator)
		return pdu_fail(why, p->from_initiator ? "target opcode from an initiator"
						       : "initiator opcode from a target");
	/*
	 * RFC 7143 13.12: the sender must not exceed the receiver's declared
	 * MaxRecvDataSegmentLength. Checked before the caller reads or
	 * allocates a byte of the data segment.
	 */
	if (dsl > p->max_recv_dsl)
		return pdu_fail(why, "DataSegmentLength above our MaxRecvDataSegmentLength");

	f->ahs_len = 4u * iscsi_pdu_ahs_words(bhs);
	f->hdr_digest_len = p->header_digest ? ISCSI_PDU_DIGEST_LEN : 0;
	f->data_len = dsl;
	f->pad_len = iscsi_pdu_pad_len(dsl);
	/* RFC 7143 11.1: no data segment, no data digest. */
	f->data_digest_len = p->data_digest && dsl ? ISCSI_PDU_DIGEST_LEN : 0;
	f->data_off = f->ahs_len + f->hdr_digest_len;
	/* At most 1020 + 4 + (2^24 - 1) + 3 + 4: fits in 32 bits. */
	f->rest_len = f->data_off + f->data_len + f->pad_len + f->data_digest_len;
	return 0;
}

uint32_t iscsi_pdu_digest_hdr(const uint8_t *hdr, size_t len)
{
	return crc32c(hdr, len);
}

static const uint8_t zero_pad[4];

uint32_t iscsi_pdu_digest_data(const void *data, size_t len)
{
	uint32_t st = crc32c_update(CRC32C_INIT, data, len);

	/* RFC 7143 11.1: the data digest covers the padding bytes too. */
	st = crc32c_update(st, zero_pad, (4 - (len & 3)) & 3);
	return crc32c_final(st);
}

int iscsi_pdu_verify_hdr(const uint8_t *hdr, size_t len, const uint8_t *wire)
{
	return crc32c(hdr, len) == crc32c_get(wire) ? 0 : -EBADMSG;
}

int iscsi_pdu_verify_data(const void *data, size_t len, const uint8_t *pad, const uint8_t *wire)
{
	uint32_t st = crc32c_update(CRC32C_INIT, data, len);

	st = crc32c_update(st, pad ? pad : zero_pad, (4 - (len & 3)) & 3);
	return crc32c_final(st) == crc32c_get(wire) ? 0 : -EBADMSG;
}

/*
 * RFC 7143 11.2.2: AHSLength(2) AHSType(1) AHS-Specific(1 + AHSLength-1).
 * AHSLength counts the bytes after AHSType, padding excluded; each AHS is
 * padded to a 4-byte boundary.
 */
int iscsi_pdu_ahs_next(struct iscsi_pdu_ahs_iter *it, struct iscsi_pdu_ahs *out, const char **why)
{
	const uint8_t *p;
	size_t left, len, total;

	if (it->off >= it->len)
		return 0;
	left = it->len - it->off;
	p = it->buf + it->off;
	if (left < 4)
		return pdu_fail(why, "truncated AHS header");
	len = get_be16(p);
	if (len == 0)
		return pdu_fail(why, "AHS with AHSLength 0");
	/* 3 bytes of AHSLength + AHSType, then AHSLength bytes, padded to 4. */
	total = (3 + len + 3) & ~(size_t)3;
	if (total > left)
		return pdu_fail(why, "AHS runs past TotalAHSLength");
	out->type = p[2] & 0x3f;
	out->specific = p[3];
	out->data = p + 4;
	out->data_len = (uint16_t)(len - 1);
	it->off += total;
	return 1;
}

static int ahs_put(uint8_t *buf, size_t cap, uint8_t type, const uint8_t *data, size_t data_len)
{
	size_t len = data_len + 1; /* + the reserved AHS-Specific byte */
	size_t total = (3 + len + 3) & ~(size_t)3;

	if (len > 0xffff)
		return -EINVAL;
	if (total > cap)
		return -ENOSPC;
	memset(buf, 0, total);
	put_be16(buf, (uint16_t)len);
	buf[2] = type;
	if (data_len)
		memcpy(buf + 4, data, data_len);
	return (int)total;
}

int iscsi_pdu_ahs_put_ext_cdb(uint8_t *buf, size_t cap, const uint8_t *cdb, size_t cdb_len)
{
	/* RFC 7143 11.2.2.3: AHSLength = CDB length - 15. */
	if (cdb_len <= 16 || cdb_len > ISCSI_PDU_CDB_MAX)
		return -EINVAL;
	return ahs_put(buf, cap, ISCSI_PDU_AHS_EXT_CDB, cdb + 16, cdb_len - 16);
}

int iscsi_pdu_ahs_put_bidi_read_len(uint8_t *buf, size_t cap, uint32_t read_len)
{
	uint8_t v[4];

	/* RFC 7143 11.2.2.4: AHSLength 0x0005, 4-byte length after the reserved byte. */
	put_be32(v, read_len);
	return ahs_put(buf, cap, ISCSI_PDU_AHS_BIDI_READ_LEN, v, sizeof(v));
}

int iscsi_pdu_ext_cdb_join(const uint8_t *bhs_cdb, const struct iscsi_pdu_ahs *ahs, uint8_t *cdb,
			   size_t cap)
{
	size_t len;

	if (ahs->type != ISCSI_PDU_AHS_EXT_CDB)
		return -EPROTO;
	len = 16 + (size_t)ahs->data_len;
	if (len > ISCSI_PDU_CDB_MAX)
		return -EPROTO;
	if (len > cap)
		return -ENOSPC;
	memcpy(cdb, bhs_cdb, 16);
	memcpy(cdb + 16, ahs->data, ahs->data_len);
	return (int)len;
}

int iscsi_pdu_sense(const uint8_t *data, size_t len, const uint8_t **sense, size_t *sense_len,
		    const char **why)
{
	size_t n;

	*sense = NULL;
	*sense_len = 0;
	if (len == 0)
		return 0;
	/* RFC 7143 11.4.7.2: SenseLength(2) then the sense data. */
	if (len < 2)
		return pdu_fail(why, "data segment shorter than SenseLength");
	n = get_be16(data);
	if (n > len - 2)
		return pdu_fail(why, "SenseLength runs past the data segment");
	*sense = n ? data + 2 : NULL;
	*sense_len = n;
	return 0;
}

PDU_GEN_DEC_FROM(iscsi_pdu_dec_target, iscsi_pdu_target_msg, TARGET,
		 "initiator opcode from a target")
