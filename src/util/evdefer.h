/*
 * Deferred work on a libev loop: "run this once, as soon as the callback
 * that asked for it returns". Used to batch: a socket callback that reads
 * 32 requests kicks the dispatcher 32 times, and the dispatcher runs once;
 * a batch of completions queues 32 replies, and one sendmsg() writes them.
 *
 * The watcher is an ev_prepare that is also fed an event. The fed event
 * runs inside the loop's current round of pending callbacks (libev invokes
 * events fed during that round before the round ends), so nothing waits
 * for the next poll; the prepare watcher being active covers a kick made
 * outside any callback (before ev_run, or between runs): the loop invokes
 * pending watchers before it polls whenever a prepare watcher exists.
 *
 * The callback must call evdefer_done() first. Stopping clears a pending
 * event, so evdefer_cancel() is safe on an object about to be freed.
 */
#ifndef ISN_UTIL_EVDEFER_H
#define ISN_UTIL_EVDEFER_H

#include <ev.h>

static inline void evdefer_kick(struct ev_loop *loop, ev_prepare *w)
{
	if (!ev_is_active(w))
		ev_prepare_start(loop, w);
	if (!ev_is_pending(w))
		ev_feed_event(loop, w, EV_CUSTOM);
}

static inline void evdefer_done(struct ev_loop *loop, ev_prepare *w)
{
	ev_prepare_stop(loop, w);
}

static inline void evdefer_cancel(struct ev_loop *loop, ev_prepare *w)
{
	ev_prepare_stop(loop, w);
}

#endif
