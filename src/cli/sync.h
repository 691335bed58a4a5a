/*
 * The synchronous layer the one-shot commands use: drive the libev loop
 * until a session is READY or DEAD, until a task completes, until a
 * SendTargets answer arrives, all under one overall deadline set at
 * sync_open(). Failures are printed once, with what to do, and returned as
 * a cli_exit code.
 */
#ifndef ISN_CLI_SYNC_H
#define ISN_CLI_SYNC_H

#include <stdbool.h>

#include <ev.h>

#include "session/session.h"

struct cli_sync {
	struct ev_loop *loop;
	struct sess *s;
	ev_timer timer; /* the overall deadline */
	bool timed_out;
	bool dead;
	enum sess_death why;
	char msg[256];
	char portal[64]; /* for messages */
	const char *target;
};

/*
 * Create the session and log in. Returns 0 with the session READY, or an
 * exit code (the session is then already released: do not sync_close()).
 */
int sync_open(struct cli_sync *y, const struct sess_config *cfg, double timeout);

/*
 * A one-shot command's login: the session config from its target options
 * (cli_config_build(), secrets read and wiped again) and sync_open()
 * within t->timeout. discovery: a discovery session. initiator: NULL, or
 * where a copy of the initiator name used goes (caller frees). Returns 0
 * with y open, or an exit code after printing why.
 */
struct cli_target;
int sync_login(struct cli_sync *y, const struct cli_target *t, bool discovery, char **initiator);

/*
 * The end of a one-shot command that printed its answer: sync_close(y),
 * then stdout flushed. Returns rc, or CLI_EXIT_LOCAL (said) if rc was 0
 * and the answer could not be written.
 */
int sync_done(struct cli_sync *y, int rc);

/*
 * Submit t and wait for its completion. Returns 0 when the target answered
 * (look at t->status: it may be CHECK CONDITION), or an exit code after
 * printing what happened (session death, timeout, submit refused).
 */
int sync_task(struct cli_sync *y, struct sess_task *t);

/* SendTargets=which on a discovery session; cb as in sess_send_targets(). */
int sync_send_targets(struct cli_sync *y, const char *which,
		      void (*cb)(void *opaque, int err, const struct sess_disc_target *t,
				 unsigned int n),
		      void *opaque);

/* Log out (bounded by what is left of the deadline, at most 5 s), then free. */
void sync_close(struct cli_sync *y);

/* The exit code for a session death reason. */
int sync_death_exit(enum sess_death why);

#endif
