/*
 * Private to the NBD worker threads (worker.c: the set, the threads'
 * start and end, the main loop's handles; worker_loop.c: both loops'
 * callbacks, the proxy bdev and the hand-offs). Nothing else includes
 * this. Which thread may touch a field is said beside it (worker.h has
 * the rules).
 */
#ifndef ISN_NBD_WORKER_INT_H
#define ISN_NBD_WORKER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "nbd/worker.h"
#include "util/list.h"

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
/* worker_loop.c */
extern const struct bdev_ops wk_proxy_ops;
/* Main loop: requests to submit and connections that closed, from a worker. */
void wk_main_wake_cb(struct ev_loop *loop, ev_async *a, int revents);
/* Main loop: this round's completions to a worker (evdefer). */
void wk_flush_done(struct ev_loop *loop, ev_prepare *p, int revents);
/* Worker: completions and control from the main loop. */
void wk_worker_wake_cb(struct ev_loop *loop, ev_async *a, int revents);
/* Worker: this round's submissions to the main loop (evdefer). */
void wk_flush_subs(struct ev_loop *loop, ev_prepare *p, int revents);
/* The thread's body: runs the worker's loop until told to quit. */
void *wk_thread_main(void *arg);

#endif
