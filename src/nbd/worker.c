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
#include "nbd/worker_int.h"
#include "util/compiler.h"
#include "util/evdefer.h"
#include "util/list.h"
#include "util/log.h"

#define WORKER_STACK	(256u << 10)
#define FOREACH_TIMEOUT 0.1 /* seconds a status waits for one worker */

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
	ev_prepare_init(&w->m_flush, wk_flush_done);
	w->m_flush.data = w;
	ev_prepare_init(&w->w_flush, wk_flush_subs);
	w->w_flush.data = w;
	ev_async_init(&w->main_wake, wk_main_wake_cb);
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
	w->proxy.ops = &wk_proxy_ops;
	w->proxy.info = ws->bd->info;
	w->proxy.impl = w;
	w->loop = ev_loop_new(EVFLAG_AUTO);
	if (!w->loop)
		return -1;
	ev_async_init(&w->wake, wk_worker_wake_cb);
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
	err = pthread_create(&w->th, &attr, wk_thread_main, w);
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
