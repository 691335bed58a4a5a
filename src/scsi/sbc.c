/* SBC-4 CDB builders and READ CAPACITY parsers; see sbc.h. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "scsi/cdb.h"
#include "scsi/sbc.h"
#include "util/bytes.h"

int scsi_build_readcap10(uint8_t *cdb, size_t cdblen)
{
	/* SBC-4 5.20 table 61: LOGICAL BLOCK ADDRESS and PMI are obsolete, zero. */
	if (cdb_start(cdb, cdblen, 10, SCSI_OP_READ_CAPACITY_10))
		return -EINVAL;
	return 10;
}

int scsi_build_readcap16(uint8_t *cdb, size_t cdblen, uint32_t alloc_len)
{
	/* SBC-4 5.21 table 63 */
	if (cdb_start(cdb, cdblen, 16, SCSI_OP_SERVICE_ACTION_IN_16))
		return -EINVAL;
	cdb[1] = SCSI_SA_READ_CAPACITY_16; /* SERVICE ACTION */
	put_be32(cdb + 10, alloc_len);	   /* ALLOCATION LENGTH */
	return 16;
}

int scsi_readcap10_parse(const uint8_t *buf, size_t len, struct scsi_capacity *out)
{
	uint32_t last;
	/* SBC-4 5.20.2 table 62 */
	int r = parse_start(buf, len, SCSI_READCAP10_LEN, out, sizeof(*out));

	if (r)
		return r;
	last = get_be32(buf);		     /* RETURNED LOGICAL BLOCK ADDRESS */
	out->block_size = get_be32(buf + 4); /* LOGICAL BLOCK LENGTH IN BYTES */
	if (out->block_size == 0)
		return -EPROTO;
	if (last == 0xffffffffu)
		out->need_rc16 = true; /* capacity does not fit: READ CAPACITY(16) has it */
	else
		out->nblocks = (uint64_t)last + 1;
	return 0;
}

int scsi_readcap16_parse(const uint8_t *buf, size_t len, struct scsi_capacity *out)
{
	uint64_t last;
	/* SBC-4 5.21.2 table 64: the fields we use end at byte 15. */
	int r = parse_start(buf, len, 16, out, sizeof(*out));

	if (r)
		return r;
	last = get_be64(buf);		     /* RETURNED LOGICAL BLOCK ADDRESS */
	out->block_size = get_be32(buf + 8); /* LOGICAL BLOCK LENGTH IN BYTES */
	if (out->block_size == 0 || last == UINT64_MAX)
		return -EPROTO;
	out->nblocks = last + 1;
	out->p_type = (buf[12] >> 1) & 0x07; /* P_TYPE */
	out->prot_en = buf[12] & 0x01;	     /* PROT_EN */
	out->lbppbe = buf[13] & 0x0f;	     /* LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT */
	out->lbpme = buf[14] & 0x80;	     /* LBPME */
	out->lbprz = buf[14] & 0x40;	     /* LBPRZ */
	out->lowest_aligned = (uint16_t)((buf[14] & 0x3f) << 8 | buf[15]); /* LOWEST ALIGNED LBA */
	return 0;
}

int scsi_capacity_bytes(const struct scsi_capacity *c, uint64_t *bytes)
{
	if (!c || !bytes || c->need_rc16 || c->nblocks == 0 || c->block_size == 0)
		return -EINVAL;
	if (__builtin_mul_overflow(c->nblocks, (uint64_t)c->block_size, bytes))
		return -EOVERFLOW;
	return 0;
}

/* Byte 1 of READ/WRITE(10/16): DPO bit 4, FUA bit 3 (SBC-4 tables 46, 96). */
static uint8_t rw_byte1(unsigned int flags)
{
	return (uint8_t)((flags & SCSI_RW_DPO ? 0x10 : 0) | (flags & SCSI_RW_FUA ? 0x08 : 0));
}

int scsi_build_rw10(uint8_t *cdb, size_t cdblen, bool write, uint32_t lba, uint16_t nblocks,
		    unsigned int flags)
{
	/* SBC-4 5.16 READ(10) table 44 / 5.41 WRITE(10) table 95 */
	if (cdb_start(cdb, cdblen, 10, write ? SCSI_OP_WRITE_10 : SCSI_OP_READ_10))
		return -EINVAL;
	cdb[1] = rw_byte1(flags);   /* RDPROTECT/WRPROTECT 0, DPO, FUA */
	put_be32(cdb + 2, lba);	    /* LOGICAL BLOCK ADDRESS */
	put_be16(cdb + 7, nblocks); /* TRANSFER LENGTH */
	return 10;
}

int scsi_build_rw16(uint8_t *cdb, size_t cdblen, bool write, uint64_t lba, uint32_t nblocks,
		    unsigned int flags)
{
	/* SBC-4 5.18 READ(16) table 48 / 5.43 WRITE(16) table 99 */
	if (cdb_start(cdb, cdblen, 16, write ? SCSI_OP_WRITE_16 : SCSI_OP_READ_16))
		return -EINVAL;
	cdb[1] = rw_byte1(flags);
	put_be64(cdb + 2, lba);	     /* LOGICAL BLOCK ADDRESS */
	put_be32(cdb + 10, nblocks); /* TRANSFER LENGTH */
	return 16;
}

/* True when [lba, lba + nblocks) is addressable by a (10) CDB. */
static bool fits10(uint64_t lba, uint32_t nblocks)
{
	return nblocks <= 0xffff && lba <= 0xffffffffu && lba + nblocks <= 0x100000000ull;
}

int scsi_build_rw(uint8_t *cdb, size_t cdblen, bool write, uint64_t lba, uint32_t nblocks,
		  unsigned int flags)
{
	uint64_t end;

	if (nblocks == 0 || __builtin_add_overflow(lba, (uint64_t)nblocks - 1, &end))
		return -EINVAL;
	if (!(flags & SCSI_RW_FORCE16) && fits10(lba, nblocks))
		return scsi_build_rw10(cdb, cdblen, write, (uint32_t)lba, (uint16_t)nblocks, flags);
	return scsi_build_rw16(cdb, cdblen, write, lba, nblocks, flags);
}

int scsi_build_sync_cache(uint8_t *cdb, size_t cdblen, uint64_t lba, uint32_t nblocks, bool immed)
{
	/* nblocks 0 reaches the end of the medium, so only the LBA must fit (10). */
	bool ten = lba <= 0xffffffffu && (nblocks == 0 || fits10(lba, nblocks));

	/* SBC-4 5.26 table 78 (10) / 5.27 table 79 (16): byte 1 alike, then the fields widen. */
	if (cdb_start(cdb, cdblen, ten ? 10 : 16,
		      ten ? SCSI_OP_SYNCHRONIZE_CACHE_10 : SCSI_OP_SYNCHRONIZE_CACHE_16))
		return -EINVAL;
	cdb[1] = immed ? 0x02 : 0x00; /* IMMED */
	if (ten) {
		put_be32(cdb + 2, (uint32_t)lba);     /* LOGICAL BLOCK ADDRESS */
		put_be16(cdb + 7, (uint16_t)nblocks); /* NUMBER OF LOGICAL BLOCKS */
		return 10;
	}
	put_be64(cdb + 2, lba);	     /* LOGICAL BLOCK ADDRESS */
	put_be32(cdb + 10, nblocks); /* NUMBER OF LOGICAL BLOCKS */
	return 16;
}

int scsi_build_unmap(uint8_t *cdb, size_t cdblen, uint16_t param_len, bool anchor)
{
	/* SBC-4 5.31.1 table 87 */
	if (cdb_start(cdb, cdblen, 10, SCSI_OP_UNMAP))
		return -EINVAL;
	cdb[1] = anchor ? 0x01 : 0x00; /* ANCHOR */
	put_be16(cdb + 7, param_len);  /* PARAMETER LIST LENGTH */
	return 10;
}

int scsi_build_unmap_params(uint8_t *buf, size_t len, const struct scsi_unmap_extent *e,
			    unsigned int n)
{
	size_t total;

	if (!buf || !e || n == 0 || n > SCSI_UNMAP_MAX_EXTENTS)
		return -EINVAL;
	total = 8 + 16 * (size_t)n;
	if (len < total)
		return -EINVAL;
	memset(buf, 0, total);
	/* SBC-4 5.31.2 table 88: both lengths count the bytes after their own field. */
	put_be16(buf, (uint16_t)(total - 2));	  /* UNMAP DATA LENGTH */
	put_be16(buf + 2, (uint16_t)(total - 8)); /* UNMAP BLOCK DESCRIPTOR DATA LENGTH */
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *d = buf + 8 + 16 * (size_t)i;

		/* table 89 */
		put_be64(d, e[i].lba);	       /* UNMAP LOGICAL BLOCK ADDRESS */
		put_be32(d + 8, e[i].nblocks); /* NUMBER OF LOGICAL BLOCKS */
	}
	return (int)total;
}

int scsi_build_write_same16(uint8_t *cdb, size_t cdblen, uint64_t lba, uint32_t nblocks,
			    unsigned int flags)
{
	if (nblocks == 0)
		return -EINVAL;
	/* SBC-4 5.50 table 110 */
	if (cdb_start(cdb, cdblen, 16, SCSI_OP_WRITE_SAME_16))
		return -EINVAL;
	cdb[1] = (uint8_t)((flags & SCSI_WS_ANCHOR ? 0x10 : 0) | /* ANCHOR */
			   (flags & SCSI_WS_UNMAP ? 0x08 : 0) |	 /* UNMAP */
			   (flags & SCSI_WS_NDOB ? 0x01 : 0));	 /* NDOB */
	put_be64(cdb + 2, lba);					 /* LOGICAL BLOCK ADDRESS */
	put_be32(cdb + 10, nblocks);				 /* NUMBER OF LOGICAL BLOCKS */
	return 16;
}

int scsi_build_write_same10(uint8_t *cdb, size_t cdblen, uint32_t lba, uint16_t nblocks,
			    unsigned int flags)
{
	/* WRITE SAME(10) has no NDOB bit (SBC-4 5.48 table 108). */
	if (nblocks == 0 || (flags & SCSI_WS_NDOB))
		return -EINVAL;
	if (cdb_start(cdb, cdblen, 10, SCSI_OP_WRITE_SAME_10))
		return -EINVAL;
	cdb[1] =
		(uint8_t)((flags & SCSI_WS_ANCHOR ? 0x10 : 0) | (flags & SCSI_WS_UNMAP ? 0x08 : 0));
	put_be32(cdb + 2, lba);	    /* LOGICAL BLOCK ADDRESS */
	put_be16(cdb + 7, nblocks); /* NUMBER OF LOGICAL BLOCKS */
	return 10;
}
