/*
 * SBC-4 commands: READ CAPACITY(10/16), READ/WRITE(10/16),
 * SYNCHRONIZE CACHE(10/16), UNMAP and WRITE SAME(10/16). Conventions as in
 * sam.h: builders return the CDB length or -EINVAL, parsers 0 / -EINVAL /
 * -EPROTO. The block VPD pages (B0, B1, B2) are declared in spc.h with the
 * other INQUIRY data.
 */
#ifndef ISN_SCSI_SBC_H
#define ISN_SCSI_SBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scsi/sam.h"

/* SBC-4 operation codes used here (SBC-4 5, table 22). */
enum scsi_sbc_opcode {
	SCSI_OP_READ_CAPACITY_10 = 0x25,
	SCSI_OP_READ_10 = 0x28,
	SCSI_OP_WRITE_10 = 0x2a,
	SCSI_OP_SYNCHRONIZE_CACHE_10 = 0x35,
	SCSI_OP_WRITE_SAME_10 = 0x41,
	SCSI_OP_UNMAP = 0x42,
	SCSI_OP_READ_16 = 0x88,
	SCSI_OP_WRITE_16 = 0x8a,
	SCSI_OP_SYNCHRONIZE_CACHE_16 = 0x91,
	SCSI_OP_WRITE_SAME_16 = 0x93,
	SCSI_OP_SERVICE_ACTION_IN_16 = 0x9e,
};

/* SERVICE ACTION IN(16) service action of READ CAPACITY(16) (SBC-4 5.21). */
#define SCSI_SA_READ_CAPACITY_16 0x10

/* ---- READ CAPACITY ---- */

#define SCSI_READCAP10_LEN 8
#define SCSI_READCAP16_LEN 32

int scsi_build_readcap10(uint8_t *cdb, size_t cdblen);
int scsi_build_readcap16(uint8_t *cdb, size_t cdblen, uint32_t alloc_len);

struct scsi_capacity {
	uint64_t nblocks;    /* RETURNED LOGICAL BLOCK ADDRESS + 1 */
	uint32_t block_size; /* LOGICAL BLOCK LENGTH IN BYTES */
	bool need_rc16;	     /* READ CAPACITY(10) said 0xffffffff: ask READ CAPACITY(16) */
	/* READ CAPACITY(16) only: */
	bool prot_en;
	uint8_t p_type;
	uint8_t lbppbe;		 /* LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT */
	bool lbpme;		 /* thin provisioned: UNMAP may be available */
	bool lbprz;		 /* unmapped blocks read as zero */
	uint16_t lowest_aligned; /* LOWEST ALIGNED LOGICAL BLOCK ADDRESS */
};

/* Block length 0 is -EPROTO: nothing could be addressed. */
int scsi_readcap10_parse(const uint8_t *buf, size_t len, struct scsi_capacity *out);
/* At least 16 bytes (through LOWEST ALIGNED LBA); all-ones LBA is -EPROTO. */
int scsi_readcap16_parse(const uint8_t *buf, size_t len, struct scsi_capacity *out);
/*
 * The capacity in bytes, nblocks * block_size: -EOVERFLOW when it does not
 * fit 64 bits, -EINVAL when READ CAPACITY(16) is still needed or nothing can
 * be addressed (no blocks, block length 0). Never a wrapped number.
 */
int scsi_capacity_bytes(const struct scsi_capacity *c, uint64_t *bytes);

/* ---- READ / WRITE ---- */

enum scsi_rw_flags {
	SCSI_RW_FUA = 1u << 0,	   /* force unit access (SBC-4 5.15, table 46) */
	SCSI_RW_DPO = 1u << 1,	   /* disable page out: do not keep in cache */
	SCSI_RW_FORCE16 = 1u << 2, /* use the (16) CDB even when (10) would do */
};

int scsi_build_rw10(uint8_t *cdb, size_t cdblen, bool write, uint32_t lba, uint16_t nblocks,
		    unsigned int flags);
int scsi_build_rw16(uint8_t *cdb, size_t cdblen, bool write, uint64_t lba, uint32_t nblocks,
		    unsigned int flags);

/*
 * READ/WRITE picking the CDB: (10) when the LBA and the last block fit 32
 * bits and the count 16 bits, else (16). nblocks 0 is -EINVAL (SBC-4 reads
 * it as "transfer nothing", which is never what the path layer means), so
 * is a range past 2^64.
 */
int scsi_build_rw(uint8_t *cdb, size_t cdblen, bool write, uint64_t lba, uint32_t nblocks,
		  unsigned int flags);

/* ---- SYNCHRONIZE CACHE ---- */

/* nblocks 0 = from lba to the end of the medium (SBC-4 5.26). Picks (10) or (16). */
int scsi_build_sync_cache(uint8_t *cdb, size_t cdblen, uint64_t lba, uint32_t nblocks, bool immed);

/* ---- UNMAP (SBC-4 5.31) ---- */

struct scsi_unmap_extent {
	uint64_t lba;
	uint32_t nblocks;
};

/* param_len is the byte count of the parameter list (8 + 16 * extents). */
int scsi_build_unmap(uint8_t *cdb, size_t cdblen, uint16_t param_len, bool anchor);

/* Most extents one UNMAP parameter list can carry (16-bit lengths). */
#define SCSI_UNMAP_MAX_EXTENTS 4095

/* Writes the parameter list and returns its length; n == 0 is -EINVAL. */
int scsi_build_unmap_params(uint8_t *buf, size_t len, const struct scsi_unmap_extent *e,
			    unsigned int n);

/* ---- WRITE SAME ---- */

enum scsi_ws_flags {
	SCSI_WS_UNMAP = 1u << 0, /* deallocate if the device can (LBPWS / LBPWS10) */
	SCSI_WS_ANCHOR = 1u << 1,
	SCSI_WS_NDOB = 1u << 2, /* no Data-Out buffer: write zeroes, (16) only */
};

/* nblocks 0 means "to the end of the medium" only if the device allows it (WSNZ=0):
 * we reject it, a zero-length WRITE SAME is never what the caller means. */
int scsi_build_write_same16(uint8_t *cdb, size_t cdblen, uint64_t lba, uint32_t nblocks,
			    unsigned int flags);
int scsi_build_write_same10(uint8_t *cdb, size_t cdblen, uint32_t lba, uint16_t nblocks,
			    unsigned int flags);

#endif
