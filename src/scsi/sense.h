/*
 * Sense data (SPC-5 4.4): fixed format (RESPONSE CODE 70h current, 71h
 * deferred) and descriptor format (72h / 73h), reduced to one struct.
 * Parsing is safe against short buffers: fields that the buffer (or the
 * ADDITIONAL SENSE LENGTH) does not reach read as zero and set
 * `truncated`; data too short to hold the SENSE KEY, or with a response
 * code that is not sense data at all, is -EPROTO.
 */
#ifndef ISN_SCSI_SENSE_H
#define ISN_SCSI_SENSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SPC-5 4.4.8 table 52: SENSE KEY. */
enum scsi_sense_key {
	SCSI_SK_NO_SENSE = 0x0,
	SCSI_SK_RECOVERED_ERROR = 0x1,
	SCSI_SK_NOT_READY = 0x2,
	SCSI_SK_MEDIUM_ERROR = 0x3,
	SCSI_SK_HARDWARE_ERROR = 0x4,
	SCSI_SK_ILLEGAL_REQUEST = 0x5,
	SCSI_SK_UNIT_ATTENTION = 0x6,
	SCSI_SK_DATA_PROTECT = 0x7,
	SCSI_SK_BLANK_CHECK = 0x8,
	SCSI_SK_VENDOR_SPECIFIC = 0x9,
	SCSI_SK_COPY_ABORTED = 0xa,
	SCSI_SK_ABORTED_COMMAND = 0xb,
	SCSI_SK_VOLUME_OVERFLOW = 0xd,
	SCSI_SK_MISCOMPARE = 0xe,
	SCSI_SK_COMPLETED = 0xf,
};

struct scsi_sense {
	uint8_t response_code; /* 0x70..0x73 */
	bool descriptor;       /* 0x72 / 0x73 */
	bool deferred;	       /* 0x71 / 0x73: reports an earlier command's failure */
	uint8_t key;	       /* SENSE KEY */
	uint8_t asc;	       /* ADDITIONAL SENSE CODE */
	uint8_t ascq;	       /* ADDITIONAL SENSE CODE QUALIFIER */
	bool info_valid;       /* fixed VALID bit / information descriptor VALID bit */
	uint64_t info;	       /* INFORMATION: e.g. the first bad LBA of a medium error */
	bool filemark, eom, ili;
	bool sksv;	/* SENSE KEY SPECIFIC VALID */
	uint32_t sks;	/* SENSE KEY SPECIFIC, 3 bytes incl. the SKSV bit */
	bool truncated; /* buffer shorter than the data announced */
};

int scsi_sense_parse(const uint8_t *buf, size_t len, struct scsi_sense *out);

/* "MEDIUM ERROR"; "RESERVED" for 0xc. */
const char *scsi_sense_key_name(uint8_t key);

/* Lower-case description of an ASC/ASCQ pair ("unrecovered read error"), or NULL. */
const char *scsi_asc_name(uint8_t asc, uint8_t ascq);

/*
 * "MEDIUM ERROR (03/11/00 unrecovered read error)" into buf, snprintf-style:
 * returns the length the full string needs; output is always NUL terminated
 * when buflen > 0. Deferred errors get a "deferred " prefix.
 */
int scsi_sense_format(const struct scsi_sense *s, char *buf, size_t buflen);

#endif
