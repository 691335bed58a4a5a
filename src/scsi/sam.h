/*
 * SAM-5 facts shared by every command set: status codes (SAM-5 5.3) and the
 * 8-byte LUN structure (SAM-5 4.7). Pure codecs: no allocation, no I/O.
 *
 * Error convention of the whole scsi layer: encoders return the number of
 * bytes written or -EINVAL (bad argument, caller buffer too small);
 * decoders return 0, -EINVAL for bad arguments, or -EPROTO when the data is
 * shorter than the standard requires or inconsistent with itself. Nothing
 * ever reads past the length it was given.
 */
#ifndef ISN_SCSI_SAM_H
#define ISN_SCSI_SAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest CDB any builder here writes (READ(16), WRITE SAME(16), ...). */
#define SCSI_CDB_MAX 16

/* SAM-5 5.3.1 table 42: STATUS byte values. */
enum scsi_status {
	SCSI_STATUS_GOOD = 0x00,
	SCSI_STATUS_CHECK_CONDITION = 0x02,
	SCSI_STATUS_CONDITION_MET = 0x04,
	SCSI_STATUS_BUSY = 0x08,
	SCSI_STATUS_INTERMEDIATE = 0x10,	  /* obsolete */
	SCSI_STATUS_INTERMEDIATE_COND_MET = 0x14, /* obsolete */
	SCSI_STATUS_RESERVATION_CONFLICT = 0x18,
	SCSI_STATUS_COMMAND_TERMINATED = 0x22, /* obsolete */
	SCSI_STATUS_TASK_SET_FULL = 0x28,
	SCSI_STATUS_ACA_ACTIVE = 0x30,
	SCSI_STATUS_TASK_ABORTED = 0x40,
};

/* "CHECK CONDITION"; "UNKNOWN STATUS" for values SAM-5 does not define. */
const char *scsi_status_name(uint8_t status);

/*
 * LUN <-> 8-byte LUN field (SAM-5 4.7.2 single level). LUNs below 256 use
 * peripheral device addressing (method 00b, BUS IDENTIFIER 0), which is
 * what every target reports for them; 256..16383 use flat space addressing
 * (method 01b). Larger values: -EINVAL.
 */
int scsi_lun_to_wire(uint32_t lun, uint8_t out[8]);

/*
 * 8-byte LUN field -> LUN. Accepts single-level peripheral (bus 0) and flat
 * space addressing; -EOPNOTSUPP for other methods (logical unit, extended,
 * well-known LUNs), non-zero bus identifiers and multi-level LUNs.
 */
int scsi_lun_from_wire(const uint8_t in[8], uint32_t *lun);

#endif
