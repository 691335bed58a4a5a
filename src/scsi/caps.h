/*
 * What a logical unit can do, combined from its INQUIRY, VPD, READ
 * CAPACITY and MODE SENSE answers. The path layer copies these facts into
 * struct bdev_info (src/bdev/bdev.h) and the nbd layer turns them into NBD
 * flags (DESIGN.md: SEND_FLUSH from WCE, SEND_FUA from DPOFUA, SEND_TRIM
 * from LBPU, SEND_WRITE_ZEROES from LBPWS, READ_ONLY from WP, ROTATIONAL
 * from VPD B1). This header does not include path headers: layers only
 * look left.
 */
#ifndef ISN_SCSI_CAPS_H
#define ISN_SCSI_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "scsi/sbc.h"
#include "scsi/spc.h"

#define SCSI_IDENT_MAX 256

/*
 * The parsed answers; every pointer but cap may be NULL when the device
 * did not support the page or command. cap must hold the final capacity
 * (READ CAPACITY(16) when (10) said need_rc16).
 */
struct scsi_lun_caps_src {
	const struct scsi_inquiry *inq;
	const struct scsi_vpd83 *devid;
	const struct scsi_vpd_serial *serial;
	const struct scsi_vpd_b0 *limits;
	const struct scsi_vpd_b1 *chars;
	const struct scsi_vpd_b2 *prov;
	const struct scsi_capacity *cap;
	const struct scsi_mode_sense *mode;
	/* The LUN the data came from; only used for the last identity fallback. */
	bool have_lun;
	uint32_t lun;
};

struct scsi_lun_caps {
	uint64_t nblocks;
	uint32_t block_size;	  /* logical */
	uint32_t phys_block_size; /* block_size << LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT */
	uint64_t size_bytes;
	/* Byte limits for splitting requests, clamped to UINT32_MAX; 0 = none reported. */
	uint32_t max_transfer_bytes;
	uint32_t opt_transfer_bytes;
	uint32_t max_unmap_bytes;
	uint32_t max_unmap_descriptors;
	uint32_t max_write_same_bytes;
	bool write_cache;  /* WCE, or assumed when no caching page: flushing is the safe side */
	bool fua;	   /* DPOFUA */
	bool discard;	   /* LBPME and LBPU */
	bool write_zeroes; /* LBPME and LBPWS */
	bool read_zeroes_after_unmap; /* LBPME and LBPRZ (READ CAPACITY(16) or VPD B2) */
	bool read_only;		      /* WP */
	bool rotational;	      /* MEDIUM ROTATION RATE != 1; true when not reported */
	bool ident_fallback; /* no usable LU designator: built from serial or target name + LUN */
	char ident[SCSI_IDENT_MAX];
};

/*
 * Fill caps from src. Returns 0; -EINVAL without cap; -ENODEV when INQUIRY
 * says the LU is not a connected direct-access block device (PERIPHERAL
 * QUALIFIER != 0 or DEVICE TYPE != 0); -EOVERFLOW when the capacity in
 * bytes or the physical block size overflow; -ENOENT when no identity can
 * be formed.
 *
 * Identity, first that exists: the VPD 0x83 LU designator
 * (scsi_vpd83_identity); "t10.VENDOR_PRODUCT_SERIAL" from INQUIRY and the
 * unit serial number; "<target device SCSI name>,lun<N>" when have_lun is
 * set (LIO without a unit serial offers nothing else, and the target name
 * is the same through every portal of the target).
 */
int scsi_lun_caps_build(struct scsi_lun_caps *caps, const struct scsi_lun_caps_src *src);

#endif
