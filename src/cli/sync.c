#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/portal.h"
#include "cli/sync.h"
#include "util/compiler.h"

/* Longest we wait for an orderly logout before just closing. */
#define LOGOUT_MAX_S 5.0

/* The exit code and the hint of each death reason, from the table in session.h. */
#define DEATH_EXIT(id, name, exit, hint) [SESS_DEATH_##id] = CLI_EXIT_##exit,
static const int death_exits[] = {SESS_DEATH_TABLE(DEATH_EXIT)};
#undef DEATH_EXIT
#define DEATH_HINT(id, name, exit, hint) [SESS_DEATH_##id] = hint,
static const char *const death_hints[] = {SESS_DEATH_TABLE(DEATH_HINT)};
#undef DEATH_HINT

int sync_death_exit(enum sess_death why)
{
	return (unsigned int)why < ARRAY_SIZE(death_exits) ? death_exits[why] : CLI_EXIT_CONNECT;
}

/* What to tell the user to check, per death reason. */
static const char *death_hint(enum sess_death why)
{
	return (unsigned int)why < ARRAY_SIZE(death_hints) ? death_hints[why] : "";
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cli_sync *y = container_of(w, struct cli_sync, timer);

	y->timed_out = true;
	ev_break(loop, EVBREAK_ONE);
}

static void on_state(struct sess *s, enum sess_state st, enum sess_death why, const char *msg,
		     void *opaque)
{
	struct cli_sync *y = opaque;

	if (st == SESS_DEAD) {
		y->dead = true;
		y->why = why;
		snprintf(y->msg, sizeof(y->msg), "%s", msg && *msg ? msg : sess_death_name(why));
	}
	ev_break(y->loop, EVBREAK_ONE);
}

static void on_event(struct sess *s, const struct sess_event *ev, void *opaque)
{
	/* One-shot commands do not outlive a logout request or a capacity change. */
}

static const struct sess_callbacks sync_cb = {
	.on_state = on_state,
	.on_event = on_event,
};

/* Turn the loop until *flag, death (when stop_on_death) or the deadline. */
static void run_until(struct cli_sync *y, const bool *flag, bool stop_on_death)
{
	while (!*flag && !y->timed_out && !(stop_on_death && y->dead))
		ev_run(y->loop, EVRUN_ONCE);
}

static void report_death(struct cli_sync *y, const char *doing)
{
	const char *hint = death_hint(y->why);

	cli_err("%s %s on %s failed: %s%s%s", doing, y->target ? y->target : "discovery", y->portal,
		y->msg, *hint ? "; " : "", hint);
}

int sync_open(struct cli_sync *y, const struct sess_config *cfg, double timeout)
{
	bool ready = false;
	int rc;

	memset(y, 0, sizeof(*y));
	y->loop = ev_default_loop(0);
	y->target = cfg->target_name;
	portal_format((const struct sockaddr *)&cfg->portal, y->portal, sizeof(y->portal));
	ev_timer_init(&y->timer, on_timer, timeout, 0.);
	ev_now_update(y->loop);
	ev_timer_start(y->loop, &y->timer);

	y->s = sess_new(y->loop, cfg, &sync_cb, y);
	if (!y->s) {
		cli_err("cannot create a session: %s", strerror(errno));
		ev_timer_stop(y->loop, &y->timer);
		return CLI_EXIT_LOCAL;
	}
	rc = sess_start(y->s);
	if (rc < 0) {
		cli_err("cannot start the session to %s: %s", y->portal, strerror(-rc));
		sess_close(y->s);
		sess_free(y->s);
		ev_timer_stop(y->loop, &y->timer);
		return CLI_EXIT_CONNECT;
	}
	for (;;) {
		if (sess_state(y->s) == SESS_READY) {
			ready = true;
			break;
		}
		if (y->dead || y->timed_out)
			break;
		ev_run(y->loop, EVRUN_ONCE);
	}
	if (ready)
		return 0;
	if (y->timed_out) {
		cli_err("login to %s on %s timed out after %.0f s; check the portal and the "
			"network, or raise --timeout",
			y->target ? y->target : "discovery", y->portal, timeout);
		rc = CLI_EXIT_CONNECT;
		sess_close(y->s);
	} else {
		report_death(y, "login to");
		rc = sync_death_exit(y->why);
	}
	sess_free(y->s);
	y->s = NULL;
	ev_timer_stop(y->loop, &y->timer);
	return rc;
}

static void task_done(struct sess_task *t)
{
	bool *flag = t->opaque;

	*flag = true;
}

int sync_task(struct cli_sync *y, struct sess_task *t)
{
	bool done = false;
	int rc;

	t->done = task_done;
	t->opaque = &done;
	rc = sess_submit(y->s, t);
	if (rc < 0) {
		if (y->dead) {
			report_death(y, "session with");
			return sync_death_exit(y->why);
		}
		cli_err("cannot submit a SCSI command: %s", strerror(-rc));
		return rc == -ENOTCONN ? CLI_EXIT_CONNECT : CLI_EXIT_LOCAL;
	}
	/* The task must complete (also if the session dies) before we return:
	 * its buffers are borrowed. */
	run_until(y, &done, false);
	if (!done) {
		cli_err("SCSI command 0x%02x timed out on %s; raise --timeout if the target is "
			"slow",
			t->cdb[0], y->portal);
		sess_close(y->s); /* completes the task with -ECONNABORTED */
		run_until(y, &done, false);
		return CLI_EXIT_IO;
	}
	switch (t->result) {
	case 0:
		return 0;
	case -EPROTO:
		cli_err("the target's answer to SCSI command 0x%02x was malformed (%s)", t->cdb[0],
			y->msg[0] ? y->msg : "protocol error");
		return CLI_EXIT_PROTOCOL;
	default:
		if (y->dead) {
			report_death(y, "session with");
			return sync_death_exit(y->why);
		}
		cli_err("SCSI command 0x%02x failed: %s", t->cdb[0], strerror(-t->result));
		return CLI_EXIT_IO;
	}
}

struct st_wait {
	bool done;
	int err;
	void (*cb)(void *opaque, int err, const struct sess_disc_target *t, unsigned int n);
	void *opaque;
};

static void st_done(void *opaque, int err, const struct sess_disc_target *t, unsigned int n)
{
	struct st_wait *w = opaque;

	w->done = true;
	w->err = err;
	if (err == 0)
		w->cb(w->opaque, 0, t, n);
}

int sync_send_targets(struct cli_sync *y, const char *which,
		      void (*cb)(void *opaque, int err, const struct sess_disc_target *t,
				 unsigned int n),
		      void *opaque)
{
	struct st_wait w = {.cb = cb, .opaque = opaque};
	int rc;

	rc = sess_send_targets(y->s, which, st_done, &w);
	if (rc < 0) {
		cli_err("cannot send SendTargets to %s: %s", y->portal, strerror(-rc));
		return CLI_EXIT_LOCAL;
	}
	run_until(y, &w.done, false);
	if (!w.done) {
		cli_err("SendTargets on %s timed out; raise --timeout if the target is slow",
			y->portal);
		sess_close(y->s);
		run_until(y, &w.done, false);
		return CLI_EXIT_CONNECT;
	}
	if (w.err < 0) {
		if (y->dead) {
			report_death(y, "discovery");
			return sync_death_exit(y->why);
		}
		cli_err("SendTargets on %s failed: %s", y->portal, strerror(-w.err));
		return w.err == -EPROTO ? CLI_EXIT_PROTOCOL : CLI_EXIT_CONNECT;
	}
	return 0;
}

int sync_login(struct cli_sync *y, const struct cli_target *t, bool discovery, char **initiator)
{
	struct sess_config cfg;
	int rc = cli_config_build(t, discovery, &cfg);

	if (rc)
		return rc;
	if (initiator) {
		*initiator = strdup(cfg.initiator_name);
		if (!*initiator) {
			cli_config_release(&cfg);
			cli_err("out of memory");
			return CLI_EXIT_LOCAL;
		}
	}
	rc = sync_open(y, &cfg, t->timeout);
	cli_config_release(&cfg);
	if (rc && initiator) {
		free(*initiator);
		*initiator = NULL;
	}
	return rc;
}

int sync_done(struct cli_sync *y, int rc)
{
	sync_close(y);
	if (fflush(stdout) != 0 && rc == 0) {
		cli_err("cannot write to stdout: %s", strerror(errno));
		rc = CLI_EXIT_LOCAL;
	}
	return rc;
}

void sync_close(struct cli_sync *y)
{
	if (!y->s)
		return;
	if (!y->dead && sess_state(y->s) == SESS_READY && sess_logout(y->s) == 0) {
		/* Give the logout its own short deadline: the command's may be spent. */
		ev_timer_stop(y->loop, &y->timer);
		y->timed_out = false;
		ev_timer_set(&y->timer, LOGOUT_MAX_S, 0.);
		ev_timer_start(y->loop, &y->timer);
		run_until(y, &y->dead, true);
	}
	if (!y->dead)
		sess_close(y->s);
	sess_free(y->s);
	y->s = NULL;
	ev_timer_stop(y->loop, &y->timer);
}
