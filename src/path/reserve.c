/* Persistent reservations of one path's nexus; see reserve.h. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "path/reserve.h"
#include "path/verdict.h"
#include "scsi/classify.h"
#include "scsi/sam.h"
#include "scsi/sense.h"
#include "util/compiler.h"
#include "util/log.h"

enum resv_step {
	S_CAPS,
	S_READ_RES,
	S_REGISTER,
	S_RESERVE,
	S_PREEMPT_HOLDER,
	S_READ_KEYS,
	S_PREEMPT,
	S_CLEAR,
	S_UNREGISTER,
	S_FENCE,
	S_DONE,
};

static const char *const step_names[] = {
	[S_CAPS] = "REPORT CAPABILITIES",
	[S_READ_RES] = "READ RESERVATION",
	[S_REGISTER] = "REGISTER AND IGNORE EXISTING KEY",
	[S_RESERVE] = "RESERVE",
	[S_PREEMPT_HOLDER] = "PREEMPT AND ABORT (holder)",
	[S_READ_KEYS] = "READ KEYS",
	[S_PREEMPT] = "PREEMPT AND ABORT",
	[S_CLEAR] = "CLEAR",
	[S_UNREGISTER] = "REGISTER (unregister)",
	[S_FENCE] = "PREEMPT AND ABORT (dead path)",
	[S_DONE] = "done",
};

/* RESERVE lost to another host this many times in a row: give up. */
#define RESV_LOOPS_MAX 3
/* Unit attentions after login ("reservations preempted" among them). */
#define RESV_RETRY_MAX 5

uint64_t path_resv_host_key(const char *initiator_name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	/* FNV-1a: stable across restarts and hosts with the same name. */
	for (const char *p = initiator_name ? initiator_name : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ull;
	}
	h &= PATH_RESV_HOST_MASK;
	return h ? h : 0x100;
}

bool path_resv_running(const struct path_resv *rv)
{
	return rv->running;
}

static void resv_finish(struct path_resv *rv, int err)
{
	rv->running = false;
	rv->res.err = err;
	rv->step = S_DONE;
	rv->cb(rv, rv->opaque);
}

/* The next foreign key to preempt, from READ KEYS; false when none is left. */
static bool resv_next_victim(struct path_resv *rv)
{
	while (rv->victim < rv->keys.n) {
		uint64_t k = rv->keys.key[rv->victim];

		if (!path_resv_ours(k, rv->key))
			return true;
		rv->victim++;
	}
	return false;
}

static int resv_out(struct path_resv *rv, uint8_t sa, uint8_t type, uint64_t key, uint64_t sa_key)
{
	struct sess_task *t = &rv->task;
	struct scsi_pr_out_params p = {.key = key, .sa_key = sa_key};
	int n = scsi_build_pr_out(t->cdb, sizeof(t->cdb), sa, type);

	if (n < 0 || scsi_build_pr_out_params(rv->param, sizeof(rv->param), &p) < 0)
		return -EINVAL;
	t->cdb_len = (uint8_t)n;
	t->dir = SESS_DIR_WRITE;
	t->iov[0].iov_base = rv->param;
	t->iov[0].iov_len = sizeof(rv->param);
	t->iov_cnt = 1;
	t->xfer_len = sizeof(rv->param);
	return 0;
}

static int resv_in(struct path_resv *rv, uint8_t sa, uint16_t len)
{
	struct sess_task *t = &rv->task;
	int n = scsi_build_pr_in(t->cdb, sizeof(t->cdb), sa, len);

	if (n < 0 || len > sizeof(rv->buf))
		return -EINVAL;
	t->cdb_len = (uint8_t)n;
	t->dir = SESS_DIR_READ;
	t->iov[0].iov_base = rv->buf;
	t->iov[0].iov_len = len;
	t->iov_cnt = 1;
	t->xfer_len = len;
	return 0;
}

static uint8_t preempt_sa(const struct path_resv *rv)
{
	return rv->plain_preempt ? SCSI_PR_OUT_PREEMPT : SCSI_PR_OUT_PREEMPT_AND_ABORT;
}

static int resv_build(struct path_resv *rv)
{
	switch (rv->step) {
	case S_CAPS:
		return resv_in(rv, SCSI_PR_IN_REPORT_CAPABILITIES, SCSI_PR_CAPS_LEN);
	case S_READ_RES:
		return resv_in(rv, SCSI_PR_IN_READ_RESERVATION, 24);
	case S_READ_KEYS:
		return resv_in(rv, SCSI_PR_IN_READ_KEYS, sizeof(rv->buf));
	case S_REGISTER:
		/* SPC-5 5.14.7: RESERVATION KEY is ignored, the new key is the SA key. */
		return resv_out(rv, SCSI_PR_OUT_REGISTER_AND_IGNORE, 0, 0, rv->key);
	case S_RESERVE:
		return resv_out(rv, SCSI_PR_OUT_RESERVE, PATH_RESV_TYPE, rv->key, 0);
	case S_PREEMPT_HOLDER:
		return resv_out(rv, preempt_sa(rv), PATH_RESV_TYPE, rv->key, rv->res.holder_key);
	case S_PREEMPT:
		return resv_out(rv, preempt_sa(rv), PATH_RESV_TYPE, rv->key,
				rv->keys.key[rv->victim]);
	case S_CLEAR:
		return resv_out(rv, SCSI_PR_OUT_CLEAR, 0, rv->key, 0);
	case S_FENCE:
		return resv_out(rv, preempt_sa(rv), PATH_RESV_TYPE, rv->key, rv->fence_key);
	case S_UNREGISTER:
		/* SPC-5 5.14.11.3: REGISTER with SA key 0 removes this nexus's registration. */
		return resv_out(rv, SCSI_PR_OUT_REGISTER, 0, rv->key, 0);
	default:
		return -EINVAL;
	}
}

static void resv_task_done(struct sess_task *t);

/* A fresh task carrying the current step's command. */
static int resv_prepare(struct path_resv *rv)
{
	memset(&rv->task, 0, sizeof(rv->task));
	rv->task.lun = rv->lun;
	rv->task.done = resv_task_done;
	rv->task.opaque = rv;
	return resv_build(rv);
}

static void resv_issue(struct path_resv *rv, int step)
{
	int r;

	rv->step = step;
	rv->tries = 0;
	if (step == S_DONE) {
		resv_finish(rv, 0);
		return;
	}
	r = resv_prepare(rv);
	if (r == 0) {
		dbg(LOG_SUB_PATH, "%s: reservation: %s", rv->name, step_names[step]);
		r = rv->ops->submit(rv->sess, &rv->task);
	}
	if (r < 0)
		resv_finish(rv, r);
}

/* After RESERVE or the holder's preemption: sweep foreign registrations. */
static int resv_after_take(struct path_resv *rv)
{
	rv->res.reserved = true;
	rv->res.taken = false;
	rv->took = true;
	return S_READ_KEYS;
}

/* The step's answer was GOOD but cannot be parsed. */
static int resv_malformed(const struct path_resv *rv, size_t got)
{
	log_warn("%s: %s answer malformed (%zu bytes)", rv->name, step_names[rv->step], got);
	return -EPROTO;
}

/* The step's answer was GOOD: parse and choose the next step. */
static int resv_parse(struct path_resv *rv, size_t got)
{
	struct path_resv_result *res = &rv->res;

	switch (rv->step) {
	case S_CAPS: {
		struct scsi_pr_caps caps;

		if (scsi_pr_caps_parse(rv->buf, got, &caps) < 0)
			return resv_malformed(rv, got);
		if (!scsi_pr_caps_has_type(&caps, PATH_RESV_TYPE)) {
			res->unsupported = true;
			return S_DONE;
		}
		return S_READ_RES;
	}
	case S_READ_RES: {
		struct scsi_pr_reservation r;

		if (scsi_pr_read_reservation_parse(rv->buf, got, &r) < 0)
			return resv_malformed(rv, got);
		res->held = r.held;
		res->holder_key = r.held ? r.key : 0;
		res->holder_type = r.held ? r.type : 0;
		res->taken = r.held && !path_resv_ours(r.key, rv->key);
		res->reserved = r.held && !res->taken;
		if (rv->mode == PATH_RESV_CHECK)
			return S_DONE;
		if (rv->mode == PATH_RESV_LEAVE)
			return res->reserved ? S_CLEAR : S_UNREGISTER;
		if (res->taken && !(rv->flags & PATH_RESV_F_PREEMPT))
			return S_DONE;
		return S_REGISTER;
	}
	case S_REGISTER:
		res->registered = true;
		if (res->taken)
			return S_PREEMPT_HOLDER;
		if (!res->held)
			return S_RESERVE;
		return S_DONE;
	case S_RESERVE:
		res->held = true;
		res->holder_key = rv->key;
		res->holder_type = PATH_RESV_TYPE;
		return resv_after_take(rv);
	case S_PREEMPT_HOLDER:
		log_notice("%s: preempted the reservation of key 0x%016" PRIx64 " (%s) with %s",
			   rv->name, res->holder_key, scsi_pr_type_name(res->holder_type),
			   rv->plain_preempt
				   ? "PREEMPT (its queued tasks are NOT aborted)"
				   : "PREEMPT AND ABORT: its tasks are aborted at the target");
		if (res->npreempted < PATH_RESV_MAX_PREEMPT)
			res->preempted[res->npreempted++] = res->holder_key;
		res->holder_key = rv->key;
		res->holder_type = PATH_RESV_TYPE;
		return resv_after_take(rv);
	case S_READ_KEYS:
		if (scsi_pr_read_keys_parse(rv->buf, got, &rv->keys) < 0) {
			/* The reservation is ours already: a foreign registration
			 * we cannot see cannot reserve over us. */
			log_warn("%s: READ KEYS answer malformed (%zu bytes): foreign "
				 "registrations may remain",
				 rv->name, got);
			return rv->took ? S_DONE : -EPROTO;
		}
		rv->victim = 0;
		return resv_next_victim(rv) ? S_PREEMPT : S_DONE;
	case S_PREEMPT:
		log_notice("%s: removed the registration of another host's key 0x%016" PRIx64
			   " (%s)",
			   rv->name, rv->keys.key[rv->victim],
			   rv->plain_preempt ? "PREEMPT" : "PREEMPT AND ABORT");
		if (res->npreempted < PATH_RESV_MAX_PREEMPT)
			res->preempted[res->npreempted++] = rv->keys.key[rv->victim];
		rv->victim++;
		return resv_next_victim(rv) ? S_PREEMPT : S_DONE;
	case S_CLEAR:
		res->held = false;
		res->reserved = false;
		res->registered = false;
		return S_DONE;
	case S_FENCE:
		if (res->npreempted < PATH_RESV_MAX_PREEMPT)
			res->preempted[res->npreempted++] = rv->fence_key;
		return S_DONE;
	case S_UNREGISTER:
		res->registered = false;
		return S_DONE;
	}
	return -EINVAL;
}

/* The target refused the step (HARD). Returns the next step or <0. */
static int resv_refused(struct path_resv *rv, const struct sess_task *t,
			const struct scsi_sense *sp, int err)
{
	if ((rv->step == S_PREEMPT_HOLDER || rv->step == S_PREEMPT || rv->step == S_FENCE) &&
	    !rv->plain_preempt && sp && sp->key == SCSI_SK_ILLEGAL_REQUEST) {
		log_warn("%s: the target refuses PREEMPT AND ABORT: using PREEMPT, which does "
			 "not abort the commands the old holder still has queued at the target",
			 rv->name);
		rv->plain_preempt = true;
		return rv->step;
	}
	switch (rv->step) {
	case S_CAPS:
		/* ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE / FIELD IN CDB:
		 * no persistent reservations (SPC-5 6.16.1). */
		if (t->status == SCSI_STATUS_CHECK_CONDITION) {
			rv->res.unsupported = true;
			return S_DONE;
		}
		return err;
	case S_RESERVE:
		/* Another host reserved between our READ RESERVATION and RESERVE. */
		if (t->status == SCSI_STATUS_RESERVATION_CONFLICT && ++rv->loops < RESV_LOOPS_MAX)
			return S_READ_RES;
		return err;
	case S_READ_KEYS:
	case S_PREEMPT:
		/* The reservation is ours; a foreign registration we could not
		 * remove is reported, not fatal: it cannot reserve over us. */
		if (rv->took) {
			log_warn("%s: reservation: %s refused: foreign registrations may remain",
				 rv->name, step_names[rv->step]);
			return S_DONE;
		}
		return err;
	case S_CLEAR:
		return S_UNREGISTER;
	case S_UNREGISTER:
		/* RESERVATION CONFLICT: we were not registered any more. */
		return t->status == SCSI_STATUS_RESERVATION_CONFLICT ? S_DONE : err;
	default:
		return err;
	}
}

static void resv_task_done(struct sess_task *t)
{
	struct path_resv *rv = t->opaque;
	struct path_step_answer a;
	int next;

	if (!rv->running)
		return;
	next = path_step_answer(t, rv->ops, rv->sess, &rv->tries, RESV_RETRY_MAX, &a);
	if (next < 0) {
		log_info("%s: reservation: %s: %s", rv->name, step_names[rv->step],
			 strerror(-next));
		resv_finish(rv, next);
		return;
	}
	if (next == 0)
		return; /* sent again */
	if (a.v.cls != SCSI_CLASS_OK) {
		next = resv_refused(rv, t, a.sp, a.v.err ? a.v.err : -EIO);
		if (next < 0) {
			rv->res.refused = true;
			rv->res.refused_status = t->status;
			snprintf(rv->res.why, sizeof(rv->res.why), "%s: %s %s",
				 step_names[rv->step], scsi_status_name(t->status), a.why);
			log_warn("%s: reservation: %s failed: %s %s", rv->name,
				 step_names[rv->step], scsi_status_name(t->status), a.why);
			resv_finish(rv, next);
			return;
		}
		dbg(LOG_SUB_PATH, "%s: reservation: %s: %s %s", rv->name, step_names[rv->step],
		    scsi_status_name(t->status), a.why);
		resv_issue(rv, next);
		return;
	}
	next = resv_parse(rv, a.got);
	if (next < 0) {
		rv->res.malformed = next == -EPROTO;
		snprintf(rv->res.why, sizeof(rv->res.why), "%s: malformed answer (%zu bytes)",
			 step_names[rv->step], a.got);
		resv_finish(rv, next);
		return;
	}
	resv_issue(rv, next);
}

static int resv_start(struct path_resv *rv, const struct path_transport_ops *ops, struct sess *s,
		      uint64_t lun, const char *name, uint64_t key, uint64_t victim,
		      enum path_resv_mode mode, unsigned int flags, path_resv_done_fn cb,
		      void *opaque)
{
	int r;

	if (rv->running)
		return -EBUSY;
	memset(rv, 0, sizeof(*rv));
	rv->ops = ops;
	rv->sess = s;
	rv->lun = lun;
	rv->name = name;
	rv->key = key;
	rv->fence_key = victim;
	rv->mode = mode;
	rv->flags = flags;
	rv->cb = cb;
	rv->opaque = opaque;
	rv->running = true;
	if (mode == PATH_RESV_FENCE)
		rv->step = S_FENCE;
	else if ((flags & PATH_RESV_F_CAPS) && mode == PATH_RESV_JOIN)
		rv->step = S_CAPS;
	else
		rv->step = S_READ_RES;
	if (resv_prepare(rv) < 0) {
		rv->running = false;
		return -EINVAL;
	}
	r = ops->submit(s, &rv->task);
	if (r < 0) {
		rv->running = false;
		return r;
	}
	return 0;
}

int path_resv_start(struct path_resv *rv, const struct path_transport_ops *ops, struct sess *s,
		    uint64_t lun, const char *name, uint64_t key, enum path_resv_mode mode,
		    unsigned int flags, path_resv_done_fn cb, void *opaque)
{
	if (mode == PATH_RESV_FENCE)
		return -EINVAL; /* path_resv_fence() names the victim */
	return resv_start(rv, ops, s, lun, name, key, 0, mode, flags, cb, opaque);
}

int path_resv_fence(struct path_resv *rv, const struct path_transport_ops *ops, struct sess *s,
		    uint64_t lun, const char *name, uint64_t key, uint64_t victim,
		    path_resv_done_fn cb, void *opaque)
{
	return resv_start(rv, ops, s, lun, name, key, victim, PATH_RESV_FENCE, 0, cb, opaque);
}
