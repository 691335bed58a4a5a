/*
 * Hybrid polling on the export's loop (--poll-us; the tuner is
 * util/hpoll.h): after an iteration that found events, keep polling the
 * sockets without sleeping for a short window, so that the next request
 * or completion is picked up without a context switch out and a wakeup
 * back in.
 *
 * The libev side, three watchers:
 * - a prepare watcher at the lowest priority (it runs after the others
 *   have flushed their sends and submitted what they queued) asks the
 *   tuner whether this poll spins, and starts or stops the idle watcher;
 * - an active idle watcher is what makes libev poll with a zero timeout
 *   (and skip the --coalesce-us sleep); its callback does nothing;
 * - a check watcher at the highest priority runs first after the poll
 *   and tells the tuner whether the poll found anything: any pending
 *   watcher but the idle one, which libev queues only when nothing else
 *   is pending.
 *
 * Every 20 ms or so the check watcher also reads the thread's involuntary
 * context switches: spinning that gets preempted is taking the CPU from
 * the target or the client, and the tuner backs off.
 *
 * With --coalesce-us and a deep queue (EXPORT_COALESCE_DEPTH or more in
 * flight) the loop sleeps before each poll to gather events: there the
 * tuner is held, so the two never run in the same iteration.
 */
#include "config.h"

#include <sys/resource.h>
#include <time.h>

#include "cli/export_int.h"
#include "cli/status.h"
#include "util/compiler.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void poll_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct export *e = container_of(w, struct export, poll_prepare);
	unsigned int n = e->dev ? path_device_inflight(e->dev) : 0;
	bool deep = e->cfg->coalesce_us && n >= EXPORT_COALESCE_DEPTH;

	if (hpoll_before(&e->hpoll, mono_ns(), deep))
		ev_idle_start(loop, &e->poll_idle);
	else
		ev_idle_stop(loop, &e->poll_idle);
}

static void poll_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct export *e = container_of(w, struct export, poll_check);
	unsigned int n = ev_pending_count(loop);
	uint64_t now = mono_ns();
	struct rusage ru;

	if (ev_is_pending(&e->poll_idle))
		n--;
	hpoll_after(&e->hpoll, now, n > 0);
	/* Preemptions say whether the CPU is contended (hpoll.h); a system call every 20 ms. */
	if (hpoll_sample_due(&e->hpoll, now) && getrusage(RUSAGE_THREAD, &ru) == 0)
		hpoll_preempted(&e->hpoll, now, (uint64_t)ru.ru_nivcsw);
}

/* Its being active is what counts (no sleep in the poll). */
static void poll_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
}

void export_poll_start(struct export *e)
{
	hpoll_init(&e->hpoll, e->cfg->poll_us, EXPORT_POLL_BUDGET_PCT);
	if (!e->cfg->poll_us)
		return;
	ev_prepare_init(&e->poll_prepare, poll_prepare_cb);
	ev_set_priority(&e->poll_prepare, EV_MINPRI);
	ev_check_init(&e->poll_check, poll_check_cb);
	ev_set_priority(&e->poll_check, EV_MAXPRI);
	ev_idle_init(&e->poll_idle, poll_idle_cb);
	ev_set_priority(&e->poll_idle, EV_MINPRI);
	ev_prepare_start(e->loop, &e->poll_prepare);
	ev_check_start(e->loop, &e->poll_check);
}

void export_poll_stop(struct export *e)
{
	if (!e->cfg->poll_us)
		return;
	ev_prepare_stop(e->loop, &e->poll_prepare);
	ev_check_stop(e->loop, &e->poll_check);
	ev_idle_stop(e->loop, &e->poll_idle);
}

const struct hpoll *export_poll_state(const struct export *e)
{
	return e->cfg->poll_us ? &e->hpoll : NULL;
}
