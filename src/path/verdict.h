/*
 * What a completed command's status means (path layer, every command it
 * sends: block I/O, the probe, reservations).
 */
#ifndef ISN_PATH_VERDICT_H
#define ISN_PATH_VERDICT_H

#include "path/transport.h"
#include "scsi/classify.h"
#include "scsi/sense.h"
#include "session/session.h"

/*
 * The verdict of t, which completed with result 0: its sense is parsed into
 * *sense and *sp points at it (NULL when there is none or it is malformed).
 * RFC 7143 11.4.3: without "Command Completed at Target" the STATUS field is
 * not valid, so a 0 there is no GOOD: the target failed, and the command is
 * worth sending again (SCSI_CLASS_RETRY, -EIO, no hints, *sp NULL).
 */
struct scsi_verdict path_task_verdict(const struct sess_task *t, struct scsi_sense *sense,
				      struct scsi_sense **sp);

/* How one command of a sequence (the probe, the reservation steps) ended. */
struct path_step_answer {
	struct scsi_verdict v;
	struct scsi_sense sense;
	struct scsi_sense *sp; /* &sense, or NULL: none or malformed */
	char why[128];	       /* not GOOD: the sense in words, or "no sense" */
	size_t got;	       /* the bytes of data that arrived (EDTL less an underflow) */
};

/*
 * The first look at such a command, from its done callback: a transient
 * status (SCSI_CLASS_RETRY) sends t again through ops, *tries counting the
 * re-sends up to max. Returns 1 with *a filled when the caller goes on
 * with a->v, 0 when t went out again (its done callback runs once more),
 * or <0 when the sequence ends with that error (t failed without a status,
 * or could not be sent again).
 */
int path_step_answer(struct sess_task *t, const struct path_transport_ops *ops, struct sess *s,
		     unsigned int *tries, unsigned int max, struct path_step_answer *a);

#endif
