/* The verdict of a completed command; see verdict.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

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

int path_step_answer(struct sess_task *t, const struct path_transport_ops *ops, struct sess *s,
		     unsigned int *tries, unsigned int max, struct path_step_answer *a)
{
	if (t->result < 0)
		return t->result;
	a->v = path_task_verdict(t, &a->sense, &a->sp);
	if (a->v.cls == SCSI_CLASS_RETRY && ++*tries <= max) {
		int r = ops->submit(s, t);

		return r < 0 ? r : 0;
	}
	snprintf(a->why, sizeof(a->why), "no sense");
	if (a->v.cls != SCSI_CLASS_OK && a->sp)
		scsi_sense_format(a->sp, a->why, sizeof(a->why));
	a->got = t->xfer_len;
	if (t->residual_under && t->residual <= a->got)
		a->got -= t->residual;
	return 1;
}
