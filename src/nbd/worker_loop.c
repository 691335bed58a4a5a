/*
 * NBD worker threads, both loops' side (worker_int.h): the proxy bdev
 * that forwards a worker's requests to the main loop, the hand-offs in
 * each direction, and a worker's control of its connections. See
 * worker.h for the ownership rules.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbd/server.h"
#include "nbd/tls.h"
#include "nbd/worker.h"
#include "nbd/worker_int.h"
#include "util/compiler.h"
#include "util/evdefer.h"
#include "util/list.h"
#include "util/log.h"

/* ---- the proxy bdev: worker side ---- */

static void proxy_main_done(struct bdev_req *sub, int err);

/* Worker thread. One xreq per request slot exists (worker_grow), so one is always free. */
static int proxy_submit(struct bdev *bd, struct bdev_req *req)
{
	struct nbdsrv_worker *w = bd->impl;
	struct list_node *n = list_pop(&w->free_x);
	struct xreq *x;

	if (!n)
		return -EBUSY;
	x = list_entry(n, struct xreq, node);
	x->orig = req;
	x->err = 0;
	x->sub = (struct bdev_req){.op = req->op,
				   .flags = req->flags,
				   .offset = req->offset,
				   .len = req->len,
				   .buf = req->buf, /* the main loop's until done */
				   .done = proxy_main_done,
				   .opaque = x};
	/* Pushed once per loop round (one lock, at most one wakeup per batch). */
	list_add_tail(&w->w_subs, &x->node);
	evdefer_kick(w->loop, &w->w_flush);
	return 0;
}

/* Worker thread: this round's submissions to the main loop. */
void wk_flush_subs(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct nbdsrv_worker *w = p->data;
	bool kick;

	evdefer_done(loop, p);
	if (list_empty(&w->w_subs))
		return;
	pthread_mutex_lock(&w->mu);
	kick = list_empty(&w->out_sub); /* one producer: a non-empty queue is already signalled */
	list_splice_tail(&w->out_sub, &w->w_subs);
	pthread_mutex_unlock(&w->mu);
	if (kick)
		ev_async_send(w->ws->main, &w->main_wake);
}

const struct bdev_ops wk_proxy_ops = {.submit = proxy_submit};

/* Main loop: hand completions (one list) back to the worker. */
static void proxy_complete(struct nbdsrv_worker *w, struct list_node *done)
{
	bool kick;

	pthread_mutex_lock(&w->mu);
	kick = list_empty(&w->in_done);
	list_splice_tail(&w->in_done, done);
	pthread_mutex_unlock(&w->mu);
	if (kick)
		ev_async_send(w->loop, &w->wake);
}

/* Main loop: the real bdev completed a forwarded request; pushed after this round. */
static void proxy_main_done(struct bdev_req *sub, int err)
{
	struct xreq *x = sub->opaque;

	x->err = err;
	list_add_tail(&x->w->m_done, &x->node);
	evdefer_kick(x->w->ws->main, &x->w->m_flush);
}

void wk_flush_done(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct nbdsrv_worker *w = p->data;

	evdefer_done(loop, p);
	if (!list_empty(&w->m_done))
		proxy_complete(w, &w->m_done);
}

/* ---- main loop side ---- */

void wk_main_wake_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct nbdsrv_worker *w = a->data;
	struct list_node subs = LIST_INIT(subs), closed = LIST_INIT(closed);
	struct list_node refused = LIST_INIT(refused);
	struct list_node *n, *t;
	int r;

	pthread_mutex_lock(&w->mu);
	list_splice_tail(&subs, &w->out_sub);
	list_splice_tail(&closed, &w->out_closed);
	pthread_mutex_unlock(&w->mu);
	list_for_each_safe(n, t, &subs)
	{
		struct xreq *x = list_entry(n, struct xreq, node);

		list_del(n);
		r = bdev_submit(w->ws->bd, &x->sub);
		if (r < 0) {
			x->err = r; /* done never fires: report the refusal through done */
			list_add_tail(&refused, n);
		}
	}
	if (!list_empty(&refused))
		proxy_complete(w, &refused);
	while ((n = list_pop(&closed))) {
		struct nbdsrv_wconn *wc = list_entry(n, struct nbdsrv_wconn, closed_node);

		w->nconns_m--;
		wc->closed(wc, wc->close_err, &wc->final, wc->opaque); /* may free wc */
	}
}

/* ---- worker side ---- */

/* Enough xreqs for every request slot of the live connections. Worker thread. */
static int worker_grow(struct nbdsrv_worker *w, uint32_t slots)
{
	uint32_t i, more;
	struct xchunk *ch;

	if (w->xneed + slots <= w->xcap) {
		w->xneed += slots;
		return 0;
	}
	more = w->xneed + slots - w->xcap;
	ch = calloc(1, sizeof(*ch) + more * sizeof(struct xreq));
	if (!ch)
		return -ENOMEM;
	ch->next = w->chunks;
	w->chunks = ch;
	for (i = 0; i < more; i++) {
		ch->x[i].w = w;
		list_init(&ch->x[i].node);
		list_add_tail(&w->free_x, &ch->x[i].node);
	}
	w->xcap += more;
	w->xneed += slots;
	return 0;
}

/* Tell main that wc is gone on this worker (worker thread; locked: w->mu is held). */
static void worker_report_closed(struct nbdsrv_worker *w, struct nbdsrv_wconn *wc, int err,
				 bool locked)
{
	bool kick;

	wc->gone = true;
	wc->close_err = err;
	if (!locked)
		pthread_mutex_lock(&w->mu);
	kick = list_empty(&w->out_closed);
	list_add_tail(&w->out_closed, &wc->closed_node);
	if (!locked)
		pthread_mutex_unlock(&w->mu);
	if (kick)
		ev_async_send(w->ws->main, &w->main_wake);
}

static void worker_conn_closed(struct nbdsrv_conn *c, int err, void *opaque)
{
	struct nbdsrv_wconn *wc = opaque;
	struct nbdsrv_worker *w = wc->w;

	wc->final = *nbdsrv_conn_stats(c);
	nbdsrv_conn_free(c);
	wc->conn = NULL;
	list_del(&wc->node);
	w->nconns_w--;
	w->xneed -= wc->queue_depth;
	worker_report_closed(w, wc, err, false);
}

/* WC_START on the worker thread, under w->mu: the connection begins here. */
static void worker_start_conn(struct nbdsrv_worker *w, struct nbdsrv_wconn *wc)
{
	struct nbdsrv_conn_cfg cc = {.name = wc->name,
				     .peer = wc->peer[0] ? wc->peer : NULL,
				     .queue_depth = wc->queue_depth,
				     .send_timeout = wc->send_timeout,
				     .closed = worker_conn_closed,
				     .opaque = wc,
				     .ssl = wc->ssl};
	int err = worker_grow(w, wc->queue_depth);

	if (!err) {
		wc->conn = nbdsrv_conn_new(w->loop, wc->fd, &w->proxy, &wc->ex, w->pool, &cc);
		if (!wc->conn) {
			err = -errno;
			w->xneed -= wc->queue_depth;
		}
	}
	if (err) {
		log_err("%s: cannot start on %s: %s", wc->name, w->name, strerror(-err));
		nbdsrv_tls_close(wc->ssl, false);
		close(wc->fd);
		worker_report_closed(w, wc, err, true);
		return;
	}
	list_add_tail(&w->conns, &wc->node);
	w->nconns_w++;
}

/* The main loop's requests; under w->mu (nothing here calls back into this file). */
static void worker_ctl_locked(struct nbdsrv_worker *w)
{
	struct list_node *n, *t;

	while ((n = list_pop(&w->in_ctl))) {
		struct nbdsrv_wconn *wc = list_entry(n, struct nbdsrv_wconn, ctl_node);
		unsigned p = wc->pending;

		wc->pending = 0;
		if (p & WC_START)
			worker_start_conn(w, wc);
		if (wc->gone || !wc->conn)
			continue;
		if (p & WC_SETEX)
			nbdsrv_conn_set_export(wc->conn, &wc->ex);
		if (p & WC_SHUTDOWN)
			nbdsrv_conn_shutdown(wc->conn);
	}
	if (w->q_state == Q_ASKED) {
		list_for_each_safe(n, t, &w->conns)
			w->q_fn(list_entry(n, struct nbdsrv_wconn, node)->conn, w->q_arg);
		w->q_state = Q_DONE;
		pthread_cond_broadcast(&w->cv);
	}
	if (w->quit)
		ev_break(w->loop, EVBREAK_ALL);
}

void wk_worker_wake_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct nbdsrv_worker *w = a->data;
	struct list_node done = LIST_INIT(done);
	struct list_node *n;

	pthread_mutex_lock(&w->mu);
	list_splice_tail(&done, &w->in_done);
	worker_ctl_locked(w);
	pthread_mutex_unlock(&w->mu);
	while ((n = list_pop(&done))) {
		struct xreq *x = list_entry(n, struct xreq, node);
		struct bdev_req *orig = x->orig;

		/* Back on the free list first: done may submit the request's next piece. */
		list_add_tail(&w->free_x, n);
		orig->done(orig, x->err);
	}
}

void *wk_thread_main(void *arg)
{
	struct nbdsrv_worker *w = arg;

	dbg(LOG_SUB_NBD, "%s: running", w->name);
	ev_run(w->loop, 0);
	dbg(LOG_SUB_NBD, "%s: stopped", w->name);
	return NULL;
}
