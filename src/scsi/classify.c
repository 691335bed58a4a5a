/*
 * The classification table. Rows are tried in order, first match wins, so
 * specific rows precede the wildcard row of their sense key. ANY matches
 * every value of that column. Rows with a sense key only apply to CHECK
 * CONDITION with sense data.
 */
#include "config.h"

#include <errno.h>

#include "scsi/classify.h"
#include "scsi/sam.h"
#include "util/compiler.h"

#define ANY    -1
#define NOSENS -2 /* sense column: CHECK CONDITION without sense data */

struct class_row {
	int16_t status, key, asc, ascq;
	enum scsi_class cls;
	int err;
	unsigned int hints;
};

#define OK    SCSI_CLASS_OK
#define RETRY SCSI_CLASS_RETRY
#define PATH  SCSI_CLASS_PATH
#define HARD  SCSI_CLASS_HARD
#define CC    SCSI_STATUS_CHECK_CONDITION

static const struct class_row rows[] = {
	/* SAM-5 5.3.1: status alone decides everything but CHECK CONDITION. */
	{SCSI_STATUS_GOOD, ANY, ANY, ANY, OK, 0, 0},
	{SCSI_STATUS_CONDITION_MET, ANY, ANY, ANY, OK, 0, 0},
	/* BUSY / TASK SET FULL: the LU is there but cannot take the command now. */
	{SCSI_STATUS_BUSY, ANY, ANY, ANY, RETRY, -EBUSY, 0},
	{SCSI_STATUS_TASK_SET_FULL, ANY, ANY, ANY, RETRY, -EAGAIN, 0},
	/* Another initiator holds a persistent reservation: every path gets the
	 * same answer, so it is the device's answer (Linux: BLK_STS_NEXUS). */
	{SCSI_STATUS_RESERVATION_CONFLICT, ANY, ANY, ANY, HARD, -EBADE, 0},
	/* Aborted by another I_T nexus (TAS=1, SPC-5 7.5.10) or a task set reset. */
	{SCSI_STATUS_TASK_ABORTED, ANY, ANY, ANY, RETRY, -ECANCELED, 0},
	{SCSI_STATUS_ACA_ACTIVE, ANY, ANY, ANY, RETRY, -EAGAIN, 0},
	/* CHECK CONDITION whose sense got lost: nothing says it is permanent. */
	{CC, NOSENS, ANY, ANY, RETRY, -EIO, 0},

	{CC, SCSI_SK_NO_SENSE, ANY, ANY, RETRY, -EIO, 0},
	/* The command completed, the device recovered (SPC-5 4.4.8). */
	{CC, SCSI_SK_RECOVERED_ERROR, ANY, ANY, OK, 0, 0},
	{CC, SCSI_SK_COMPLETED, ANY, ANY, OK, 0, 0},

	/* NOT READY. ALUA (SPC-5 5.15.2.4): a group in transition answers 04/0A
	 * for a while and then settles, so retry later on the same port; standby
	 * 04/0B and unavailable 04/0C are states of this target port group, so
	 * another path may serve the command now. */
	{CC, SCSI_SK_NOT_READY, 0x04, 0x0a, RETRY, -EAGAIN, SCSI_HINT_ALUA},
	{CC, SCSI_SK_NOT_READY, 0x04, 0x0b, PATH, -ENOLINK, SCSI_HINT_ALUA},
	{CC, SCSI_SK_NOT_READY, 0x04, 0x0c, PATH, -ENOLINK, SCSI_HINT_ALUA},
	{CC, SCSI_SK_NOT_READY, 0x04, 0x02, HARD, -EIO, 0}, /* needs START UNIT */
	{CC, SCSI_SK_NOT_READY, 0x04, 0x03, HARD, -EIO, 0}, /* manual intervention */
	{CC, SCSI_SK_NOT_READY, 0x04, 0x12, HARD, -EIO, 0}, /* offline */
	/* 04/00 not reportable, 04/01 becoming ready, 04/04 format, 04/07
	 * operation in progress, 04/09 self-test: it will be ready. */
	{CC, SCSI_SK_NOT_READY, 0x04, ANY, RETRY, -EAGAIN, 0},
	{CC, SCSI_SK_NOT_READY, 0x3a, ANY, HARD, -ENOMEDIUM, 0},
	{CC, SCSI_SK_NOT_READY, ANY, ANY, HARD, -EIO, 0},

	{CC, SCSI_SK_MEDIUM_ERROR, ANY, ANY, HARD, -EIO, 0},
	{CC, SCSI_SK_HARDWARE_ERROR, ANY, ANY, HARD, -EIO, 0},

	/* ILLEGAL REQUEST. 25/00 means this I_T nexus does not see the LU
	 * (masking / mapping per target port), which another path may. */
	{CC, SCSI_SK_ILLEGAL_REQUEST, 0x25, 0x00, PATH, -ENOLINK, 0},
	{CC, SCSI_SK_ILLEGAL_REQUEST, 0x20, 0x00, HARD, -EOPNOTSUPP, 0},
	{CC, SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00, HARD, -ERANGE, 0},
	{CC, SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00, HARD, -EINVAL, 0},
	{CC, SCSI_SK_ILLEGAL_REQUEST, 0x26, ANY, HARD, -EINVAL, 0},
	{CC, SCSI_SK_ILLEGAL_REQUEST, 0x1a, 0x00, HARD, -EINVAL, 0},
	{CC, SCSI_SK_ILLEGAL_REQUEST, 0x55, 0x04, HARD, -ENOSPC, 0},
	{CC, SCSI_SK_ILLEGAL_REQUEST, ANY, ANY, HARD, -EINVAL, 0},

	/* UNIT ATTENTION (SAM-5 5.14): the command was not executed; report the
	 * event and retry. Which event decides what to re-read. */
	{CC, SCSI_SK_UNIT_ATTENTION, 0x2a, 0x01, RETRY, -EAGAIN, SCSI_HINT_RESCAN},
	{CC, SCSI_SK_UNIT_ATTENTION, 0x2a, 0x03, RETRY, -EAGAIN, SCSI_HINT_PR},
	{CC, SCSI_SK_UNIT_ATTENTION, 0x2a, 0x04, RETRY, -EAGAIN, SCSI_HINT_PR},
	{CC, SCSI_SK_UNIT_ATTENTION, 0x2a, 0x05, RETRY, -EAGAIN, SCSI_HINT_PR},
	{CC, SCSI_SK_UNIT_ATTENTION, 0x2a, 0x06, RETRY, -EAGAIN, SCSI_HINT_ALUA},
	{CC, SCSI_SK_UNIT_ATTENTION, 0x2a, 0x07, RETRY, -EAGAIN, SCSI_HINT_ALUA},
	{CC, SCSI_SK_UNIT_ATTENTION, 0x2a, 0x09, RETRY, -EAGAIN, SCSI_HINT_RESCAN},
	{CC, SCSI_SK_UNIT_ATTENTION, 0x3f, 0x03, RETRY, -EAGAIN, SCSI_HINT_RESCAN},
	{CC, SCSI_SK_UNIT_ATTENTION, 0x3f, 0x0e, RETRY, -EAGAIN, SCSI_HINT_LUNS},
	{CC, SCSI_SK_UNIT_ATTENTION, ANY, ANY, RETRY, -EAGAIN, 0},

	/* DATA PROTECT. 27/07: a thin pool ran out (SBC-4 4.7.3.7): ENOSPC, so
	 * file systems report "no space" rather than a read-only device. */
	{CC, SCSI_SK_DATA_PROTECT, 0x27, 0x07, HARD, -ENOSPC, 0},
	{CC, SCSI_SK_DATA_PROTECT, 0x27, ANY, HARD, -EROFS, 0},
	{CC, SCSI_SK_DATA_PROTECT, ANY, ANY, HARD, -EACCES, 0},

	{CC, SCSI_SK_BLANK_CHECK, ANY, ANY, HARD, -EIO, 0},
	{CC, SCSI_SK_VENDOR_SPECIFIC, ANY, ANY, HARD, -EIO, 0},
	{CC, SCSI_SK_COPY_ABORTED, ANY, ANY, HARD, -EIO, 0},

	/* ABORTED COMMAND. Transport failures between initiator and target:
	 * digest / CRC errors (47/xx), rejected messages (48, 49), data phase
	 * errors such as a Data-Out the target did not expect (4B/xx), and
	 * the LU unreachable behind the port (08/xx). */
	{CC, SCSI_SK_ABORTED_COMMAND, 0x08, ANY, PATH, -ENOLINK, 0},
	{CC, SCSI_SK_ABORTED_COMMAND, 0x47, ANY, PATH, -ENOLINK, 0},
	{CC, SCSI_SK_ABORTED_COMMAND, 0x48, ANY, PATH, -ENOLINK, 0},
	{CC, SCSI_SK_ABORTED_COMMAND, 0x49, ANY, PATH, -ENOLINK, 0},
	{CC, SCSI_SK_ABORTED_COMMAND, 0x4b, ANY, PATH, -ENOLINK, 0},
	{CC, SCSI_SK_ABORTED_COMMAND, 0x4e, 0x00, PATH, -ENOLINK, 0},
	/* Protection information mismatch (SBC-4 4.22): data is bad, not the path. */
	{CC, SCSI_SK_ABORTED_COMMAND, 0x10, ANY, HARD, -EILSEQ, 0},
	{CC, SCSI_SK_ABORTED_COMMAND, ANY, ANY, RETRY, -EIO, 0},

	{CC, SCSI_SK_VOLUME_OVERFLOW, ANY, ANY, HARD, -EIO, 0},
	{CC, SCSI_SK_MISCOMPARE, ANY, ANY, HARD, -EILSEQ, 0},

	/* Everything else (reserved key 0Ch, obsolete or unknown status). */
	{ANY, ANY, ANY, ANY, HARD, -EIO, 0},
};

static bool col(int16_t want, int have)
{
	return want == ANY || want == have;
}

struct scsi_verdict scsi_classify(uint8_t status, const struct scsi_sense *sense)
{
	struct scsi_verdict v = {SCSI_CLASS_HARD, -EIO, 0};
	bool cc = status == SCSI_STATUS_CHECK_CONDITION;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct class_row *r = &rows[i];

		if (!col(r->status, status))
			continue;
		if (r->key == NOSENS) {
			if (sense)
				continue;
		} else if (r->key != ANY || r->asc != ANY || r->ascq != ANY) {
			if (!cc || !sense || !col(r->key, sense->key) || !col(r->asc, sense->asc) ||
			    !col(r->ascq, sense->ascq))
				continue;
		}
		v.cls = r->cls;
		v.err = r->err;
		v.hints = r->hints;
		break;
	}
	if (cc && sense && sense->deferred) {
		v.cls = SCSI_CLASS_RETRY;
		v.hints |= SCSI_HINT_DEFERRED;
		if (v.err == 0)
			v.err = -EIO;
	}
	return v;
}

const char *scsi_class_name(enum scsi_class cls)
{
	switch (cls) {
	case SCSI_CLASS_OK:
		return "ok";
	case SCSI_CLASS_RETRY:
		return "retry";
	case SCSI_CLASS_PATH:
		return "path";
	case SCSI_CLASS_HARD:
		return "hard";
	}
	return "?";
}
