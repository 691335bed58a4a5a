/*
 * NBD worker threads: connections on their own loops, the bdev on the
 * main loop behind a forwarding proxy. See worker.h.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "nbd/tls.h"
#include "nbd/worker.h"
#include "util/compiler.h"
#include "util/evdefer.h"
#include "util/list.h"
#include "util/log.h"

#define WORKER_STACK	(256u << 10)
#define FOREACH_TIMEOUT 0.1 /* seconds a status waits for one worker */

/* What the main loop asked of a connection (wconn.pending, under the worker's mutex). */
enum {
	WC_START = 1u << 0,
	WC_SHUTDOWN = 1u << 1,
	WC_SETEX = 1u << 2,
};

/* A status query to one worker (worker.q_state, under its mutex). */
enum { Q_IDLE, Q_ASKED, Q_DONE };

struct nbdsrv_worker;

/* The main loop's copy of one request of a worker's connection. */
struct xreq {
	struct bdev_req sub;   /* submitted to the real bdev on the main loop */
	struct bdev_req *orig; /* the connection's request, on the worker */
	struct nbdsrv_worker *w;
	int err;
	struct list_node node; /* free list (worker), or a queue (under mu) */
};

struct xchunk {
	struct xchunk *next;
	struct xreq x[];
};

struct nbdsrv_wconn {
	struct nbdsrv_worker *w;
	/* Main -> worker, under w->mu. */
	struct list_node ctl_node; /* on w->in_ctl while pending != 0 */
	unsigned pending;
	struct nbdsrv_export ex; /* for WC_START and WC_SETEX */
	/* Handed over with WC_START. */
	int fd;
	SSL *ssl;
	char name[64], peer[64];
	uint32_t queue_depth;
	double send_timeout;
	/* Worker only. */
	struct nbdsrv_conn *conn;
	struct list_node node; /* w->conns */
	bool gone;	       /* closed on the worker */
	/* Worker -> main: written before closed_node is queued. */
	struct list_node closed_node;
	int close_err;
	struct nbdsrv_conn_stats final;
	/* Main only. */
	nbdsrv_wconn_closed_fn closed;
	void *opaque;
};

struct nbdsrv_worker {
	struct nbdsrv_workers *ws;
	char name[80];
	pthread_t th;
	bool started;
	struct ev_loop *loop;
	pthread_mutex_t mu;
	pthread_cond_t cv;

	/* To the worker, under mu. */
	ev_async wake;		  /* on the worker's loop */
	struct list_node in_ctl;  /* wconns with pending work */
	struct list_node in_done; /* xreqs completed (or refused) on main */
	bool quit;
	int q_state;
	void (*q_fn)(const struct nbdsrv_conn *c, void *arg);
	void *q_arg;

	/* To main, under mu. */
	ev_async main_wake;	     /* on the main loop */
	struct list_node out_sub;    /* xreqs to submit */
	struct list_node out_closed; /* wconns closed */

	/* Worker only (before the thread starts: main). */
	struct list_node w_subs; /* submitted by this loop round, pushed once after it */
	ev_prepare w_flush;	 /* evdefer: pushes w_subs */
	struct nbdsrv_bufpool *pool;
	struct bdev proxy;
	struct list_node free_x;
	struct xchunk *chunks;
	uint32_t xcap, xneed; /* xreqs allocated; request slots of live connections */
	struct list_node conns;
	unsigned nconns_w;

	/* Main only. */
	unsigned nconns_m;	 /* handed over and not yet reported closed */
	struct list_node m_done; /* completed in this loop round, pushed once after it */
	ev_prepare m_flush;	 /* evdefer: pushes m_done */
};

struct nbdsrv_workers {
	struct ev_loop *main;
	struct bdev *bd;
	unsigned n;
	uint32_t max_len;
	struct nbdsrv_worker w[];
};

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
static void proxy_flush_subs(struct ev_loop *loop, ev_prepare *p, int revents)
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

static const struct bdev_ops proxy_ops = {.submit = proxy_submit};

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

static void proxy_flush_done(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct nbdsrv_worker *w = p->data;

	evdefer_done(loop, p);
	if (!list_empty(&w->m_done))
		proxy_complete(w, &w->m_done);
}

/* ---- main loop side ---- */

static void main_wake_cb(struct ev_loop *loop, ev_async *a, int revents)
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

static void worker_wake_cb(struct ev_loop *loop, ev_async *a, int revents)
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

static void *worker_main(void *arg)
{
	struct nbdsrv_worker *w = arg;

	dbg(LOG_SUB_NBD, "%s: running", w->name);
	ev_run(w->loop, 0);
	dbg(LOG_SUB_NBD, "%s: stopped", w->name);
	return NULL;
}

/* ---- the set ---- */

static void worker_destroy(struct nbdsrv_worker *w)
{
	struct xchunk *ch, *next;

	if (w->loop) {
		evdefer_cancel(w->loop, &w->w_flush);
		ev_async_stop(w->loop, &w->wake);
		ev_loop_destroy(w->loop);
	}
	ev_async_stop(w->ws->main, &w->main_wake);
	evdefer_cancel(w->ws->main, &w->m_flush);
	nbdsrv_bufpool_free(w->pool);
	for (ch = w->chunks; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

static int worker_init(struct nbdsrv_workers *ws, struct nbdsrv_worker *w, unsigned idx,
		       const struct nbdsrv_bufclass *classes, size_t nclasses, const char *name)
{
	struct nbdsrv_bufclass cl[NBDSRV_BUFPOOL_MAX_CLASSES];
	size_t i;

	w->ws = ws;
	snprintf(w->name, sizeof(w->name), "%s worker%u", name, idx);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	list_init(&w->in_ctl);
	list_init(&w->in_done);
	list_init(&w->out_sub);
	list_init(&w->out_closed);
	list_init(&w->free_x);
	list_init(&w->conns);
	list_init(&w->w_subs);
	list_init(&w->m_done);
	ev_prepare_init(&w->m_flush, proxy_flush_done);
	w->m_flush.data = w;
	ev_prepare_init(&w->w_flush, proxy_flush_subs);
	w->w_flush.data = w;
	ev_async_init(&w->main_wake, main_wake_cb);
	w->main_wake.data = w;
	ev_async_start(ws->main, &w->main_wake);
	if (nclasses > ARRAY_SIZE(cl)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < nclasses; i++) {
		cl[i] = classes[i];
		cl[i].count = (classes[i].count + ws->n - 1) / ws->n;
	}
	w->pool = nbdsrv_bufpool_new(cl, nclasses);
	if (!w->pool)
		return -1;
	w->proxy.ops = &proxy_ops;
	w->proxy.info = ws->bd->info;
	w->proxy.impl = w;
	w->loop = ev_loop_new(EVFLAG_AUTO);
	if (!w->loop)
		return -1;
	ev_async_init(&w->wake, worker_wake_cb);
	w->wake.data = w;
	ev_async_start(w->loop, &w->wake);
	return 0;
}

/* Signals stay with the main thread (its ev_signal watchers). */
static int worker_spawn(struct nbdsrv_worker *w)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	/* A small stack: with mlockall(MCL_FUTURE) all of it is locked at once. */
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	err = pthread_create(&w->th, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		return -1;
	}
	w->started = true;
	return 0;
}

struct nbdsrv_workers *nbdsrv_workers_new(struct ev_loop *main_loop, struct bdev *bd,
					  const struct nbdsrv_bufclass *classes, size_t nclasses,
					  unsigned n, const char *name)
{
	struct nbdsrv_workers *ws;
	unsigned i;
	int saved;

	if (n < 1 || n > NBDSRV_WORKERS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	ws = calloc(1, sizeof(*ws) + n * sizeof(ws->w[0]));
	if (!ws)
		return NULL;
	ws->main = main_loop;
	ws->bd = bd;
	ws->n = n;
	for (i = 0; i < n; i++) {
		if (worker_init(ws, &ws->w[i], i, classes, nclasses, name) < 0 ||
		    worker_spawn(&ws->w[i]) < 0) {
			saved = errno;
			ws->n = i + 1;
			nbdsrv_workers_free(ws, 1.0);
			errno = saved;
			return NULL;
		}
	}
	ws->max_len = nbdsrv_bufpool_max_len(ws->w[0].pool);
	log_info("%s: %u NBD worker thread(s)", name, n);
	return ws;
}

int nbdsrv_workers_free(struct nbdsrv_workers *ws, double timeout)
{
	struct timespec ts;
	unsigned i;
	int rc = 0, err;
	bool left = false;

	if (!ws)
		return 0;
	for (i = 0; i < ws->n; i++) {
		struct nbdsrv_worker *w = &ws->w[i];

		if (!w->started)
			continue;
		pthread_mutex_lock(&w->mu);
		w->quit = true;
		pthread_mutex_unlock(&w->mu);
		ev_async_send(w->loop, &w->wake);
	}
	for (i = 0; i < ws->n; i++) {
		struct nbdsrv_worker *w = &ws->w[i];

		if (w->started) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)timeout;
			ts.tv_nsec += (long)((timeout - (double)(time_t)timeout) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			err = pthread_timedjoin_np(w->th, NULL, &ts);
			if (err) {
				log_err("%s: did not stop: %s; left running", w->name,
					strerror(err));
				rc = -ETIMEDOUT;
				continue; /* everything it uses stays allocated */
			}
		}
		/* Joined: its memory is ours. Open connections are left to the exit. */
		if (w->nconns_w == 0) {
			worker_destroy(w);
		} else {
			ev_async_stop(ws->main, &w->main_wake);
			evdefer_cancel(ws->main, &w->m_flush);
			left = true;
		}
	}
	if (rc == 0 && !left)
		free(ws);
	return rc;
}

unsigned nbdsrv_workers_count(const struct nbdsrv_workers *ws)
{
	return ws->n;
}

uint32_t nbdsrv_workers_max_len(const struct nbdsrv_workers *ws)
{
	return ws->max_len;
}

/* Queue work for wc on its worker (main thread). */
static void wconn_post(struct nbdsrv_wconn *wc, unsigned what, const struct nbdsrv_export *ex)
{
	struct nbdsrv_worker *w = wc->w;

	pthread_mutex_lock(&w->mu);
	if (ex)
		wc->ex = *ex;
	if (!wc->pending)
		list_add_tail(&w->in_ctl, &wc->ctl_node);
	wc->pending |= what;
	pthread_mutex_unlock(&w->mu);
	ev_async_send(w->loop, &w->wake);
}

struct nbdsrv_wconn *nbdsrv_wconn_new(struct nbdsrv_workers *ws, int fd,
				      const struct nbdsrv_export *ex,
				      const struct nbdsrv_conn_cfg *cfg,
				      nbdsrv_wconn_closed_fn closed, void *opaque)
{
	struct nbdsrv_worker *w = &ws->w[0];
	struct nbdsrv_wconn *wc;
	unsigned i;
	int nfd;

	for (i = 1; i < ws->n; i++)
		if (ws->w[i].nconns_m < w->nconns_m)
			w = &ws->w[i];
	wc = calloc(1, sizeof(*wc));
	if (!wc)
		return NULL;
	/*
	 * The worker gets a duplicate; the number the main loop knows is
	 * closed here. fd may have been watched on the main loop (the
	 * handshake in server mode), and libev's epoll backend keeps a
	 * stopped descriptor in its set until an event shows it unwanted,
	 * then removes it by number: with the number closed here that
	 * happens on this thread alone (libev rebuilds its set on EBADF),
	 * never on a descriptor the worker is using or closing.
	 */
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nfd < 0) {
		free(wc);
		return NULL;
	}
	close(fd);
	fd = nfd;
	if (cfg->ssl)
		nbdsrv_tls_move_fd(cfg->ssl, fd);
	wc->w = w;
	list_init(&wc->ctl_node);
	list_init(&wc->node);
	list_init(&wc->closed_node);
	wc->fd = fd;
	wc->ssl = cfg->ssl;
	snprintf(wc->name, sizeof(wc->name), "%s", cfg->name ? cfg->name : "nbd");
	snprintf(wc->peer, sizeof(wc->peer), "%s", cfg->peer ? cfg->peer : "");
	wc->queue_depth = cfg->queue_depth ? cfg->queue_depth : 128;
	wc->send_timeout = cfg->send_timeout;
	wc->closed = closed;
	wc->opaque = opaque;
	w->nconns_m++;
	dbg(LOG_SUB_NBD, "%s: to %s", wc->name, w->name);
	wconn_post(wc, WC_START, ex);
	return wc;
}

void nbdsrv_wconn_shutdown(struct nbdsrv_wconn *wc)
{
	wconn_post(wc, WC_SHUTDOWN, NULL);
}

void nbdsrv_wconn_set_export(struct nbdsrv_wconn *wc, const struct nbdsrv_export *ex)
{
	wconn_post(wc, WC_SETEX, ex);
}

void nbdsrv_wconn_free(struct nbdsrv_wconn *wc)
{
	if (!wc)
		return;
	/* Work posted after the worker closed it is dropped with it. */
	pthread_mutex_lock(&wc->w->mu);
	if (wc->pending)
		list_del(&wc->ctl_node);
	pthread_mutex_unlock(&wc->w->mu);
	free(wc);
}

int nbdsrv_wconn_fd(const struct nbdsrv_wconn *wc)
{
	return wc->fd;
}

const char *nbdsrv_wconn_name(const struct nbdsrv_wconn *wc)
{
	return wc->name;
}

void nbdsrv_workers_foreach(struct nbdsrv_workers *ws,
			    void (*fn)(const struct nbdsrv_conn *c, void *arg), void *arg)
{
	struct timespec ts;
	unsigned i;
	int err = 0;

	for (i = 0; i < ws->n; i++) {
		struct nbdsrv_worker *w = &ws->w[i];

		pthread_mutex_lock(&w->mu);
		w->q_fn = fn;
		w->q_arg = arg;
		w->q_state = Q_ASKED;
		pthread_mutex_unlock(&w->mu);
		ev_async_send(w->loop, &w->wake);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(FOREACH_TIMEOUT * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&w->mu);
		/* The worker runs fn holding mu: past this wait it has finished or not begun. */
		while (w->q_state == Q_ASKED && err != ETIMEDOUT)
			err = pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		if (w->q_state == Q_ASKED)
			log_warn("%s: no answer to a status query within %.0f ms", w->name,
				 FOREACH_TIMEOUT * 1e3);
		w->q_state = Q_IDLE;
		pthread_mutex_unlock(&w->mu);
		err = 0;
	}
}
