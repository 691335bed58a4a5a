/* The verdict of a completed command; see verdict.h. */
#include "config.h"

#include <errno.h>

#include "path/verdict.h"

struct scsi_verdict path_task_verdict(const struct sess_task *t, struct scsi_sense *sense,
				      struct scsi_sense **sp)
{
	struct scsi_verdict v;

	*sp = NULL;
	if (t->sense_len && scsi_sense_parse(t->sense, t->sense_len, sense) == 0)
		*sp = sense;
	v = scsi_classify(t->status, *sp);
	if (t->response != 0) {
		v.cls = SCSI_CLASS_RETRY;
		v.err = -EIO;
		v.hints = 0;
		*sp = NULL;
	}
	return v;
}
