/*
 * The seam between the path layer and iSCSI sessions.
 *
 * The path layer never calls sess_* directly: every call goes through a
 * struct path_transport_ops, so unit tests put fake sessions (with a fake
 * clock) under the real path policy. The table mirrors session.h one to
 * one; see there for the contract of each call. path_transport_sess is the
 * production table and forwards to the real session engine.
 * A struct path_device_config with transport NULL uses it.
 */
#ifndef ISN_PATH_TRANSPORT_H
#define ISN_PATH_TRANSPORT_H

#include <ev.h>

#include "session/session.h"

struct path_transport_ops {
	struct sess *(*new)(struct ev_loop *loop, const struct sess_config *cfg,
			    const struct sess_callbacks *cb, void *opaque);
	int (*start)(struct sess *s);
	int (*submit)(struct sess *s, struct sess_task *t);
	int (*ping)(struct sess *s, void (*cb)(void *opaque, int err), void *opaque);
	ev_tstamp (*last_rx)(const struct sess *s);
	bool (*rx_waiting)(struct sess *s);
	int (*abort)(struct sess *s, struct sess_task *victim,
		     void (*cb)(void *opaque, int response), void *opaque);
	int (*logout)(struct sess *s);
	void (*close)(struct sess *s);
	void (*free)(struct sess *s);
	enum sess_state (*state)(const struct sess *s);
	const struct iscsi_params *(*negotiated)(const struct sess *s);
	const char *(*death_name)(enum sess_death d);
};

/* Forwards to sess_new(), sess_start(), ... of src/session. */
extern const struct path_transport_ops path_transport_sess;

#endif
