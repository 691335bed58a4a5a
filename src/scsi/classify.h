/*
 * What a completed SCSI command means for the initiator: one table maps
 * (STATUS, SENSE KEY, ASC, ASCQ) to a class and an errno. This is the only
 * place that decides whether a sense is a path problem (re-issue on another
 * path, the kernel never sees it), a transient condition (retry on the same
 * path), or the device's answer (complete the request with an error).
 *
 * The errno is what the request completes with when the class says so, or
 * when the retries the class allows are exhausted: EIO medium / hardware,
 * EROFS write protect, ENOSPC thin pool exhausted, EINVAL / EOPNOTSUPP /
 * ERANGE bad request, EBADE reservation conflict, ENOLINK path gone,
 * EAGAIN / EBUSY transient.
 */
#ifndef ISN_SCSI_CLASSIFY_H
#define ISN_SCSI_CLASSIFY_H

#include <stdint.h>

#include "scsi/sense.h"

enum scsi_class {
	SCSI_CLASS_OK,	  /* done; data (if any) is valid */
	SCSI_CLASS_RETRY, /* transient: re-issue on the same path, bounded */
	SCSI_CLASS_PATH,  /* this path cannot serve the LU: re-issue on another path */
	SCSI_CLASS_HARD,  /* the device's answer: fail the request with err */
};

/* Things the path layer should do besides retrying (bits of hints). */
enum scsi_hint {
	SCSI_HINT_RESCAN = 1u << 0,   /* capacity / mode / inquiry data changed: re-read */
	SCSI_HINT_ALUA = 1u << 1,     /* access state changed: re-run RTPG */
	SCSI_HINT_LUNS = 1u << 2,     /* REPORT LUNS data changed */
	SCSI_HINT_DEFERRED = 1u << 3, /* sense reports an earlier command's failure */
	SCSI_HINT_PR = 1u << 4,	      /* reservations / registrations changed by someone */
};

struct scsi_verdict {
	enum scsi_class cls;
	int err;	    /* 0 for OK, else a negative errno */
	unsigned int hints; /* enum scsi_hint */
};

/*
 * Classify a completed command. sense may be NULL (no sense data came
 * back). Deferred sense (response code 71h/73h) reports the failure of an
 * earlier command, and the current command was not executed (SPC-5
 * 4.4.1.3): it is RETRY with SCSI_HINT_DEFERRED and the errno of what the
 * sense describes, so the path layer can report the loss loudly.
 */
struct scsi_verdict scsi_classify(uint8_t status, const struct scsi_sense *sense);

const char *scsi_class_name(enum scsi_class cls);

#endif
