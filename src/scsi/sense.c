/* Sense data parsing and naming; see sense.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scsi/cdb.h"
#include "scsi/sense.h"
#include "util/bytes.h"
#include "util/compiler.h"

/* Fixed format, SPC-5 4.4.3 table 48. */
static int parse_fixed(const uint8_t *buf, size_t len, struct scsi_sense *s)
{
	size_t end;

	/* Bytes 0-2 hold RESPONSE CODE and SENSE KEY: nothing useful without them. */
	if (len < 3)
		return -EPROTO;
	s->filemark = buf[2] & 0x80; /* FILEMARK */
	s->eom = buf[2] & 0x40;	     /* EOM */
	s->ili = buf[2] & 0x20;	     /* ILI */
	s->key = buf[2] & 0x0f;	     /* SENSE KEY */
	if (len < 8) {
		s->truncated = true;
		return 0;
	}
	/* ADDITIONAL SENSE LENGTH counts the bytes after byte 7. */
	end = 8 + (size_t)buf[7];
	if (end > len) {
		s->truncated = true;
		end = len;
	}
	s->info_valid = buf[0] & 0x80; /* VALID: INFORMATION (bytes 3-6) is defined */
	s->info = get_be32(buf + 3);
	if (end > 12)
		s->asc = buf[12]; /* ADDITIONAL SENSE CODE */
	if (end > 13)
		s->ascq = buf[13]; /* ADDITIONAL SENSE CODE QUALIFIER */
	if (end >= 18) {
		s->sksv = buf[15] & 0x80; /* SKSV */
		s->sks = get_be24(buf + 15);
	}
	/* Targets commonly send 18 bytes with ADDITIONAL SENSE LENGTH 10; less is
	 * legal (SPC-5 4.4.3), but if the ASC is cut off we say so. */
	if (end < 14)
		s->truncated = true;
	return 0;
}

/* Descriptor format, SPC-5 4.4.2 table 27, and the descriptors we use. */
static int parse_desc(const uint8_t *buf, size_t len, struct scsi_sense *s)
{
	size_t end, off;

	if (len < 4)
		return -EPROTO;
	s->key = buf[1] & 0x0f; /* SENSE KEY */
	s->asc = buf[2];	/* ADDITIONAL SENSE CODE */
	s->ascq = buf[3];	/* ADDITIONAL SENSE CODE QUALIFIER */
	if (len < 8) {
		s->truncated = true;
		return 0;
	}
	end = 8 + (size_t)buf[7]; /* ADDITIONAL SENSE LENGTH */
	if (end > len) {
		s->truncated = true;
		end = len;
	}
	/* Each descriptor: DESCRIPTOR TYPE, ADDITIONAL LENGTH, then that many bytes. */
	for (off = 8; off < end;) {
		size_t need = desc_size(buf, off, end, 2, 1, 1);
		uint8_t alen;

		if (!need) {
			s->truncated = true;
			break;
		}
		alen = buf[off + 1];
		switch (buf[off]) {
		case 0x00: /* 4.4.2.2 Information, ADDITIONAL LENGTH 0Ah */
			if (alen >= 0x0a) {
				s->info_valid = buf[off + 2] & 0x80; /* VALID */
				s->info = get_be64(buf + off + 4);   /* INFORMATION */
			}
			break;
		case 0x02: /* 4.4.2.4 Sense key specific, ADDITIONAL LENGTH 06h */
			if (alen >= 0x06) {
				s->sksv = buf[off + 4] & 0x80; /* SKSV */
				s->sks = get_be24(buf + off + 4);
			}
			break;
		case 0x05: /* 4.4.2.6 Block commands, ILI in byte 3 bit 5 */
			if (alen >= 0x02)
				s->ili = buf[off + 3] & 0x20;
			break;
		}
		off += need;
	}
	return 0;
}

int scsi_sense_parse(const uint8_t *buf, size_t len, struct scsi_sense *out)
{
	int r = parse_start(buf, len, 1, out, sizeof(*out));

	if (r)
		return r;
	/* RESPONSE CODE, bits 6-0 of byte 0 (4.4.1 table 26). */
	out->response_code = buf[0] & 0x7f;
	switch (out->response_code) {
	case 0x70:
		return parse_fixed(buf, len, out);
	case 0x71:
		out->deferred = true;
		return parse_fixed(buf, len, out);
	case 0x72:
		out->descriptor = true;
		return parse_desc(buf, len, out);
	case 0x73:
		out->descriptor = true;
		out->deferred = true;
		return parse_desc(buf, len, out);
	}
	return -EPROTO;
}

const char *scsi_sense_key_name(uint8_t key)
{
	static const char *const names[16] = {
		"NO SENSE",	  "RECOVERED ERROR", "NOT READY",      "MEDIUM ERROR",
		"HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
		"BLANK CHECK",	  "VENDOR SPECIFIC", "COPY ABORTED",   "ABORTED COMMAND",
		"RESERVED",	  "VOLUME OVERFLOW", "MISCOMPARE",     "COMPLETED",
	};

	return names[key & 0x0f];
}

/*
 * SPC-5 annex F.2 (table F.1) descriptions of the ASC/ASCQ codes that the
 * classification table and targets in practice use. ascq 0xffff matches
 * every ASCQ of that ASC (a family name); exact entries come first.
 */
static const struct {
	uint8_t asc;
	uint16_t ascq;
	const char *name;
} asc_names[] = {
	{0x00, 0x00, "no additional sense information"},
	{0x04, 0x00, "logical unit not ready, cause not reportable"},
	{0x04, 0x01, "logical unit is in process of becoming ready"},
	{0x04, 0x02, "logical unit not ready, initializing command required"},
	{0x04, 0x03, "logical unit not ready, manual intervention required"},
	{0x04, 0x04, "logical unit not ready, format in progress"},
	{0x04, 0x07, "logical unit not ready, operation in progress"},
	{0x04, 0x09, "logical unit not ready, self-test in progress"},
	{0x04, 0x0a, "logical unit not accessible, asymmetric access state transition"},
	{0x04, 0x0b, "logical unit not accessible, target port in standby state"},
	{0x04, 0x0c, "logical unit not accessible, target port in unavailable state"},
	{0x04, 0x12, "logical unit not ready, offline"},
	{0x04, 0xffff, "logical unit not ready"},
	{0x08, 0x00, "logical unit communication failure"},
	{0x08, 0x01, "logical unit communication time-out"},
	{0x08, 0x02, "logical unit communication parity error"},
	{0x08, 0xffff, "logical unit communication failure"},
	{0x0c, 0x00, "write error"},
	{0x0c, 0x02, "write error, auto reallocation failed"},
	{0x0c, 0xffff, "write error"},
	{0x10, 0x01, "logical block guard check failed"},
	{0x10, 0x02, "logical block application tag check failed"},
	{0x10, 0x03, "logical block reference tag check failed"},
	{0x10, 0xffff, "protection information check failed"},
	{0x11, 0x00, "unrecovered read error"},
	{0x11, 0xffff, "unrecovered read error"},
	{0x1a, 0x00, "parameter list length error"},
	{0x1d, 0x00, "miscompare during verify operation"},
	{0x20, 0x00, "invalid command operation code"},
	{0x20, 0x02, "access denied, no access rights"},
	{0x21, 0x00, "logical block address out of range"},
	{0x24, 0x00, "invalid field in cdb"},
	{0x25, 0x00, "logical unit not supported"},
	{0x26, 0x00, "invalid field in parameter list"},
	{0x27, 0x00, "write protected"},
	{0x27, 0x01, "hardware write protected"},
	{0x27, 0x02, "logical unit software write protected"},
	{0x27, 0x07, "space allocation failed write protect"},
	{0x27, 0xffff, "write protected"},
	{0x28, 0x00, "not ready to ready change, medium may have changed"},
	{0x29, 0x00, "power on, reset, or bus device reset occurred"},
	{0x29, 0x01, "power on occurred"},
	{0x29, 0x02, "scsi bus reset occurred"},
	{0x29, 0x03, "bus device reset function occurred"},
	{0x29, 0x04, "device internal reset"},
	{0x29, 0x07, "i_t nexus loss occurred"},
	{0x29, 0xffff, "reset occurred"},
	{0x2a, 0x01, "mode parameters changed"},
	{0x2a, 0x03, "reservations preempted"},
	{0x2a, 0x04, "reservations released"},
	{0x2a, 0x05, "registrations preempted"},
	{0x2a, 0x06, "asymmetric access state changed"},
	{0x2a, 0x07, "implicit asymmetric access state transition failed"},
	{0x2a, 0x09, "capacity data has changed"},
	{0x2a, 0xffff, "parameters changed"},
	{0x2c, 0x00, "command sequence error"},
	{0x31, 0x00, "medium format corrupted"},
	{0x38, 0x07, "thin provisioning soft threshold reached"},
	{0x3a, 0x00, "medium not present"},
	{0x3a, 0xffff, "medium not present"},
	{0x3e, 0x03, "logical unit failed self-test"},
	{0x3f, 0x01, "microcode has been changed"},
	{0x3f, 0x03, "inquiry data has changed"},
	{0x3f, 0x0e, "reported luns data has changed"},
	{0x3f, 0xffff, "target operating conditions have changed"},
	{0x44, 0x00, "internal target failure"},
	{0x47, 0x00, "scsi parity error"},
	{0x47, 0x03, "information unit iucrc error detected"},
	{0x47, 0x05, "protocol service crc error"},
	{0x47, 0xffff, "scsi parity error"},
	{0x48, 0x00, "initiator detected error message received"},
	{0x49, 0x00, "invalid message error"},
	{0x4b, 0x00, "data phase error"},
	{0x4b, 0x02, "too much write data"},
	{0x4b, 0x03, "ack/nak timeout"},
	{0x4b, 0x04, "nak received"},
	{0x4b, 0x05, "data offset error"},
	{0x4b, 0x06, "initiator response timeout"},
	{0x4b, 0xffff, "data phase error"},
	{0x4e, 0x00, "overlapped commands attempted"},
	{0x55, 0x04, "insufficient registration resources"},
	{0x5d, 0x00, "failure prediction threshold exceeded"},
	{0x5d, 0xffff, "failure prediction threshold exceeded"},
};

const char *scsi_asc_name(uint8_t asc, uint8_t ascq)
{
	for (size_t i = 0; i < ARRAY_SIZE(asc_names); i++)
		if (asc_names[i].asc == asc &&
		    (asc_names[i].ascq == ascq || asc_names[i].ascq == 0xffff))
			return asc_names[i].name;
	return NULL;
}

int scsi_sense_format(const struct scsi_sense *s, char *buf, size_t buflen)
{
	const char *what = scsi_asc_name(s->asc, s->ascq);

	return snprintf(buf, buflen, "%s%s (%02x/%02x/%02x%s%s)", s->deferred ? "deferred " : "",
			scsi_sense_key_name(s->key), s->key, s->asc, s->ascq, what ? " " : "",
			what ? what : "");
}
