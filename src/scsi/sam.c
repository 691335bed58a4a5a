/* SAM-5 status names and LUN addressing; see sam.h. */
#include "config.h"

#include <errno.h>

#include "scsi/sam.h"

const char *scsi_status_name(uint8_t status)
{
	switch (status) {
	case SCSI_STATUS_GOOD:
		return "GOOD";
	case SCSI_STATUS_CHECK_CONDITION:
		return "CHECK CONDITION";
	case SCSI_STATUS_CONDITION_MET:
		return "CONDITION MET";
	case SCSI_STATUS_BUSY:
		return "BUSY";
	case SCSI_STATUS_INTERMEDIATE:
		return "INTERMEDIATE";
	case SCSI_STATUS_INTERMEDIATE_COND_MET:
		return "INTERMEDIATE-CONDITION MET";
	case SCSI_STATUS_RESERVATION_CONFLICT:
		return "RESERVATION CONFLICT";
	case SCSI_STATUS_COMMAND_TERMINATED:
		return "COMMAND TERMINATED";
	case SCSI_STATUS_TASK_SET_FULL:
		return "TASK SET FULL";
	case SCSI_STATUS_ACA_ACTIVE:
		return "ACA ACTIVE";
	case SCSI_STATUS_TASK_ABORTED:
		return "TASK ABORTED";
	}
	return "UNKNOWN STATUS";
}

/* SAM-5 4.7.4 table 11: ADDRESS METHOD, bits 7-6 of byte 0. */
#define LUN_METHOD_PERIPHERAL 0x00
#define LUN_METHOD_FLAT	      0x40

int scsi_lun_to_wire(uint32_t lun, uint8_t out[8])
{
	if (lun >= 16384)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		out[i] = 0;
	if (lun < 256) {
		/* 4.7.5: byte 0 ADDRESS METHOD 00b + BUS IDENTIFIER 0, byte 1 TARGET OR LUN. */
		out[1] = (uint8_t)lun;
	} else {
		/* 4.7.6: ADDRESS METHOD 01b, FLAT SPACE LUN bits 13-8 in byte 0, 7-0 in byte 1. */
		out[0] = (uint8_t)(LUN_METHOD_FLAT | (lun >> 8));
		out[1] = (uint8_t)lun;
	}
	return 0;
}

int scsi_lun_from_wire(const uint8_t in[8], uint32_t *lun)
{
	/* Second to fourth level must be zero for a single-level LUN (4.7.3). */
	for (int i = 2; i < 8; i++)
		if (in[i])
			return -EOPNOTSUPP;
	switch (in[0] & 0xc0) {
	case LUN_METHOD_PERIPHERAL:
		if (in[0] & 0x3f) /* BUS IDENTIFIER: a LUN behind a SCSI bus, not ours */
			return -EOPNOTSUPP;
		*lun = in[1];
		return 0;
	case LUN_METHOD_FLAT:
		*lun = (uint32_t)(in[0] & 0x3f) << 8 | in[1];
		return 0;
	}
	return -EOPNOTSUPP;
}
