/*
 * What a completed command's status means (path layer, every command it
 * sends: block I/O, the probe, reservations).
 */
#ifndef ISN_PATH_VERDICT_H
#define ISN_PATH_VERDICT_H

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

#endif
