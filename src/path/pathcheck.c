/*
 * A path's health checks and its timer (internal.h): NOP-Out pings on a
 * quiet session, the command deadline, the backoff that resets once a
 * session stays up, and when the timer fires next.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "path/internal.h"
#include "util/log.h"

static bool path_backoff_due(const struct path *p)
{
	return (p->backoff_ms > p->dev->cfg.reconnect_min_ms || p->fail_streak) &&
	       p->login_epoch == p->epoch;
}

/*
 * A live session that has lasted: the re-login back-off is reset once it
 * has carried I/O successfully for backoff_reset_ms (or carried none and
 * answered its NOPs: a standby path), with no command stuck now; a
 * reinstatement episode ends once a session outlives its window.
 */
static void path_check_stable(struct path *p, double now)
{
	struct path_device *dev = p->dev;
	double up = now - p->login_at;
	bool was;

	if (p->login_epoch != p->epoch)
		return;
	if ((p->reinstate_count || p->reinstate_episode) && up > path_reinstate_window(dev)) {
		if (p->reinstate_episode)
			log_notice(
				"%s: session up for %.0f s: no more reinstatement from elsewhere",
				p->name, up);
		p->reinstate_count = 0;
		p->reinstate_episode = false;
	}
	if (path_backoff_due(p) && up >= dev->cfg.backoff_reset_ms / 1000.0 &&
	    (p->sess_ok || !p->sess_sent)) {
		if (!list_empty(&p->outstanding)) {
			const struct path_io *head =
				list_entry(p->outstanding.next, struct path_io, node);

			if (now - head->sent_at >= dev->cfg.nop_interval_ms / 1000.0)
				return;
		}
		was = path_probation(p);
		log_info("%s: healthy for %.0f s: re-login back-off reset from %u ms", p->name, up,
			 p->backoff_ms);
		p->backoff_ms = dev->cfg.reconnect_min_ms;
		p->fail_streak = 0;
		if (was)
			pd_regroup(dev);
	}
}

static void path_ping_done(void *opaque, int err)
{
	struct path *p = opaque;

	if (p->ping_epoch != p->epoch || !p->sess)
		return;
	p->ping_out = false;
}

static bool path_busy(const struct path *p)
{
	return !list_empty(&p->outstanding) || p->ping_out || path_probe_running(&p->probe) ||
	       path_resv_running(&p->resv);
}

static bool session_ready_state(enum path_state st)
{
	return st == PATH_PROBING || st == PATH_ACTIVE || st == PATH_STANDBY;
}

/* A session that cannot even queue a NOP is not usable. */
static void path_send_ping(struct path *p, double now)
{
	int r = path_ops_of(p)->ping(p->sess, path_ping_done, p);

	if (r < 0) {
		p->errors++;
		path_fail(p, "cannot send a NOP-Out: %s", strerror(-r));
		return;
	}
	p->ping_out = true;
	p->ping_epoch = p->epoch;
}

/*
 * How soon a verdict put off for unread bytes looks again: long enough that
 * the loop reads them first, short enough not to matter.
 */
#define PATH_RX_RECHECK_S 0.01

/*
 * Silence and deadlines are judged on what the loop has read. A verdict
 * timer runs before the socket callbacks of its loop iteration, so bytes
 * that came just before it may wait unread (a long stall of the daemon is
 * pd_check_late()'s): the answer may be among them, and the verdict waits
 * for the loop to read them, until `until` at the latest, so that bytes
 * that are never read cannot put it off for ever.
 */
static bool path_rx_unread(struct path *p, double now, double until)
{
	const struct path_transport_ops *ops = path_ops_of(p);

	if (now >= until || !ops->rx_waiting || !ops->rx_waiting(p->sess))
		return false;
	if (!p->rx_unread_since) {
		p->rx_unread_since = now;
		log_notice("%s: a verdict is due but received bytes wait unread (the daemon "
			   "ran late): reading them first",
			   p->name);
	}
	p->verdict_after = now + PATH_RX_RECHECK_S;
	return true;
}

/* A command's deadline: cmd_timeout, and nop_timeout at least after a stall of the daemon's. */
static double path_cmd_due(const struct path *p, const struct path_io *io)
{
	const struct path_device *dev = p->dev;

	return MAX(io->sent_at + dev->cfg.cmd_timeout_ms / 1000.0,
		   p->late_at ? p->late_at + dev->cfg.nop_timeout_ms / 1000.0 : 0);
}

void path_check(struct path *p, double now)
{
	struct path_device *dev = p->dev;

	if (path_fence_pending(p) && p->dead_epoch >= p->taint_epoch && now >= p->fence_deadline)
		path_fence_done(p, p->taint_epoch, "retain time", NULL);
	if (p->fence_parked) { /* from the timer or the kick watcher: never inside its callback */
		path_ops_of(p)->free(p->fence_parked);
		p->fence_parked = NULL;
	}
	if (p->fence_sess && now >= path_fence_sess_due(p)) {
		log_warn("%s: fence session: %s did not finish in time: closing", p->name,
			 p->fence_ready ? "logout" : "login");
		path_fence_sess_close(p);
	}
	path_fence_try(p, now);

	if (p->sess && session_ready_state(p->state)) {
		double last_rx = path_ops_of(p)->last_rx(p->sess);
		double nop_timeout = dev->cfg.nop_timeout_ms / 1000.0;

		path_check_stable(p, now);
		if (p->rx_unread_since && last_rx >= p->rx_unread_since)
			p->rx_unread_since = 0; /* they were read */
		if (path_busy(p)) {
			/* Any received byte is life: silence counts from the later of the
			 * last byte, the moment we started waiting for one and the end
			 * of a stall of the daemon's own. */
			double ref = MAX(MAX(last_rx, p->busy_since), p->late_at);

			if (now - ref >= nop_timeout) {
				/* Bytes read since would have moved ref: silence ends with them. */
				double since = p->rx_unread_since ? p->rx_unread_since : now;

				if (path_rx_unread(p, now, since + nop_timeout))
					return;
				p->errors++;
				path_fail(p,
					  "no traffic for %.0f ms while %u commands%s outstanding",
					  (now - ref) * 1000, p->pol.inflight_cmds,
					  p->ping_out ? " and a NOP" : "");
				return;
			}
			if (!list_empty(&p->outstanding)) {
				struct path_io *head =
					list_entry(p->outstanding.next, struct path_io, node);
				double due = path_cmd_due(p, head);

				if (now >= due) {
					/* Bounded from the deadline: traffic goes on. */
					if (path_rx_unread(p, now, due + nop_timeout))
						return;
					p->errors++;
					path_fail(p, "command timed out after %u ms",
						  dev->cfg.cmd_timeout_ms);
					return;
				}
			}
			/* Busy but quiet (a slow command): ask for a NOP-In, whose
			 * answer is traffic. Nothing is sent while bytes flow, so a
			 * NOP never queues behind a busy connection's data. */
			if (!p->ping_out && now - ref >= dev->cfg.nop_interval_ms / 1000.0)
				path_send_ping(p, now);
		} else if (now - last_rx >= dev->cfg.nop_interval_ms / 1000.0) {
			p->busy_since = now;
			path_send_ping(p, now);
		}
		return;
	}
	if (p->sess && (p->state == PATH_WRONG_LUN || p->state == PATH_FAILED) &&
	    now >= p->reconnect_at) {
		/* A logout (wrong LUN, or asked by the target) did not finish in
		 * time: stop waiting for it. */
		path_fail(p, "logout did not finish in time");
		p->reconnect_at = now;
	}
	/* Not while a fence session logs in with this path's ISID: the two
	 * logins would reinstate each other. */
	if (!p->sess && p->enabled && dev->state == DEV_RUNNING && !path_fence_logging_in(p) &&
	    (p->state == PATH_FAILED || p->state == PATH_FENCED || p->state == PATH_WRONG_LUN) &&
	    now >= p->reconnect_at)
		path_connect(p);
}

double path_next_due(const struct path *p)
{
	struct path_device *dev = p->dev;
	double due = 0;

#define TAKE(t)                                                                                    \
	do {                                                                                       \
		double t_ = (t);                                                                   \
		if (due == 0 || t_ < due)                                                          \
			due = t_;                                                                  \
	} while (0)
	if (path_fence_pending(p) && p->dead_epoch >= p->taint_epoch)
		TAKE(p->fence_deadline);
	if (p->fence_sess)
		TAKE(path_fence_sess_due(p));
	if (path_fence_can_try(p) && p->fence_retry_at)
		TAKE(p->fence_retry_at);
	if (p->sess && session_ready_state(p->state)) {
		double last_rx = path_ops_of(p)->last_rx(p->sess);

		if (path_busy(p)) {
			double ref = MAX(MAX(last_rx, p->busy_since), p->late_at);

			TAKE(MAX(ref + dev->cfg.nop_timeout_ms / 1000.0, p->verdict_after));
			if (!p->ping_out)
				TAKE(ref + dev->cfg.nop_interval_ms / 1000.0);
			if (!list_empty(&p->outstanding)) {
				struct path_io *head =
					list_entry(p->outstanding.next, struct path_io, node);

				TAKE(MAX(path_cmd_due(p, head), p->verdict_after));
			}
		} else {
			TAKE(last_rx + dev->cfg.nop_interval_ms / 1000.0);
		}
		/* Only while still ahead: afterwards the NOP cadence re-checks. */
		if (path_backoff_due(p) &&
		    p->login_at + dev->cfg.backoff_reset_ms / 1000.0 > pd_now(dev))
			TAKE(p->login_at + dev->cfg.backoff_reset_ms / 1000.0);
	} else if ((p->sess && (p->state == PATH_WRONG_LUN || p->state == PATH_FAILED)) ||
		   (!p->sess && p->enabled && dev->state == DEV_RUNNING &&
		    !path_fence_logging_in(p) &&
		    (p->state == PATH_FAILED || p->state == PATH_FENCED ||
		     p->state == PATH_WRONG_LUN))) {
		/* Exactly the cases path_check() acts on, so a due time in the
		 * past cannot make the timer spin. */
		TAKE(p->reconnect_at);
	}
#undef TAKE
	return due;
}

/* One timer per path, set to the earliest thing that can come due. */
void path_arm_timer(struct path *p)
{
	pd_timer_arm(p->dev, &p->timer, &p->timer_due, path_next_due(p));
}
