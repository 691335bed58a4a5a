/*
 * One io_uring per libev loop: queue, submit once per loop iteration, reap
 * in one go. See uring.h for the contract.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liburing.h>

#include "util/compiler.h"
#include "util/evdefer.h"
#include "util/log.h"
#include "util/uring.h"

/* Submission queue entries; the completion queue gets twice as many. */
#define URING_ENTRIES 256
/* Operations in flight per ring; below the completion queue's size. */
#define URING_SLOTS 512
/* user_data of a cancel request: its own completion means nothing to us. */
#define URING_UD_CANCEL UINT64_MAX

struct uring_done {
	uint32_t slot;
	int32_t res;
};

struct uring {
	struct io_uring ring;
	struct ev_loop *loop;
	unsigned int refs;
	struct uring *next;  /* in the list of rings */
	ev_io cq_w;	     /* the ring's fd: readable while completions wait */
	ev_prepare submit_w; /* one io_uring_enter() per loop iteration */
	/*
	 * The operation behind each user_data; NULL once cancelled. A slot is
	 * free again only when its completion has been handed over.
	 */
	struct uring_op *slots[URING_SLOTS];
	uint32_t free_slots[URING_SLOTS];
	uint32_t nfree;
	/* Reaped completions not yet handed over, oldest first. */
	struct uring_done pend[URING_SLOTS];
	uint32_t pend_head, pend_cnt;
};

static enum io_engine engine = IO_ENGINE_EPOLL;
static struct uring *rings;
static pthread_mutex_t rings_lock = PTHREAD_MUTEX_INITIALIZER;

void io_engine_set(enum io_engine e)
{
	engine = e;
}

enum io_engine io_engine_get(void)
{
	return engine;
}

int io_engine_parse(const char *s, enum io_engine *out)
{
	if (strcmp(s, "epoll") == 0)
		*out = IO_ENGINE_EPOLL;
	else if (strcmp(s, "uring") == 0)
		*out = IO_ENGINE_URING;
	else
		return -EINVAL;
	return 0;
}

const char *io_engine_name(enum io_engine e)
{
	return e == IO_ENGINE_URING ? "uring" : "epoll";
}

/* Move every completion from the ring to pend. */
static void uring_harvest(struct uring *r)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&r->ring, head, cqe)
	{
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		struct uring_done *d;

		n++;
		if (ud == URING_UD_CANCEL)
			continue;
		assert(ud < URING_SLOTS && r->pend_cnt < URING_SLOTS);
		if (r->slots[ud])
			r->slots[ud]->seen = true;
		d = &r->pend[(r->pend_head + r->pend_cnt++) % URING_SLOTS];
		d->slot = (uint32_t)ud;
		d->res = cqe->res;
	}
	io_uring_cq_advance(&r->ring, n);
}

/* Hand every reaped completion to its operation, oldest first. */
static void uring_dispatch(struct uring *r)
{
	r->refs++; /* a done callback may drop the last other reference */
	uring_harvest(r);
	while (r->pend_cnt) {
		struct uring_done d = r->pend[r->pend_head];
		struct uring_op *op = r->slots[d.slot];

		r->pend_head = (r->pend_head + 1) % URING_SLOTS;
		r->pend_cnt--;
		r->slots[d.slot] = NULL;
		r->free_slots[r->nfree++] = d.slot;
		if (!op)
			continue; /* cancelled */
		op->busy = op->seen = false;
		op->done(op, d.res);
	}
	if (io_uring_sq_ready(&r->ring))
		evdefer_kick(r->loop, &r->submit_w); /* a failed submit is retried */
	uring_put(r);
}

static void uring_cq_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	uring_dispatch(container_of(w, struct uring, cq_w));
}

static void uring_submit_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct uring *r = container_of(w, struct uring, submit_w);
	int ret;

	evdefer_done(loop, w);
	if (!io_uring_sq_ready(&r->ring))
		return;
	ret = io_uring_submit(&r->ring);
	/*
	 * -EBUSY / -EAGAIN: completions must be reaped first; the entries stay
	 * queued and the completion callback submits them again.
	 */
	if (ret < 0 && ret != -EBUSY && ret != -EAGAIN && ret != -EINTR)
		log_printf(LOG_ERR, "io_uring submit failed: %s", strerror(-ret));
	/*
	 * A send to a socket with room completes inside the submit: hand it
	 * over now rather than after a poll that would return at once for it.
	 */
	if (io_uring_cq_ready(&r->ring))
		uring_dispatch(r);
}

struct uring *uring_get(struct ev_loop *loop)
{
	struct uring *r;
	uint32_t i;
	int ret;

	pthread_mutex_lock(&rings_lock);
	for (r = rings; r; r = r->next)
		if (r->loop == loop)
			break;
	if (r) {
		r->refs++;
		pthread_mutex_unlock(&rings_lock);
		return r;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		pthread_mutex_unlock(&rings_lock);
		return NULL;
	}
	ret = io_uring_queue_init(URING_ENTRIES, &r->ring, 0);
	if (ret < 0) {
		pthread_mutex_unlock(&rings_lock);
		free(r);
		errno = -ret;
		return NULL;
	}
	r->loop = loop;
	r->refs = 1;
	for (i = 0; i < URING_SLOTS; i++)
		r->free_slots[i] = URING_SLOTS - 1 - i;
	r->nfree = URING_SLOTS;
	ev_io_init(&r->cq_w, uring_cq_cb, r->ring.ring_fd, EV_READ);
	ev_io_start(loop, &r->cq_w);
	ev_prepare_init(&r->submit_w, uring_submit_cb);
	/* Last of the iteration's deferred work: after the sends it batches. */
	ev_set_priority(&r->submit_w, EV_MINPRI);
	r->next = rings;
	rings = r;
	pthread_mutex_unlock(&rings_lock);
	return r;
}

void uring_put(struct uring *r)
{
	struct uring **pp;

	if (!r || --r->refs)
		return;
	pthread_mutex_lock(&rings_lock);
	for (pp = &rings; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	pthread_mutex_unlock(&rings_lock);
	ev_io_stop(r->loop, &r->cq_w);
	evdefer_cancel(r->loop, &r->submit_w);
	io_uring_queue_exit(&r->ring);
	free(r);
}

struct uring *uring_get_socket(struct ev_loop *loop, struct uring_op *rx,
			       void (*rx_done)(struct uring_op *op, int res), struct uring_op *tx,
			       void (*tx_done)(struct uring_op *op, int res))
{
	struct uring *r = uring_get(loop);

	if (!r)
		return NULL;
	rx->done = rx_done;
	tx->done = tx_done;
	return r;
}

/* A submission entry for op, or NULL with *err set. */
static struct io_uring_sqe *uring_sqe_for(struct uring *r, struct uring_op *op, int *err)
{
	struct io_uring_sqe *sqe;

	if (op->busy) {
		*err = -EBUSY;
		return NULL;
	}
	if (!r->nfree) {
		*err = -ENOBUFS;
		return NULL;
	}
	sqe = io_uring_get_sqe(&r->ring);
	if (!sqe) {
		/* The queue is full: submit what is there now and take a fresh entry. */
		(void)io_uring_submit(&r->ring);
		sqe = io_uring_get_sqe(&r->ring);
	}
	if (!sqe)
		*err = -EBUSY;
	return sqe;
}

/* op's entry is prepared: give it a slot and submit it with the iteration's batch. */
static void uring_queued(struct uring *r, struct uring_op *op, struct io_uring_sqe *sqe)
{
	uint32_t slot = r->free_slots[--r->nfree];

	r->slots[slot] = op;
	op->slot = slot;
	op->busy = true;
	op->seen = false;
	io_uring_sqe_set_data64(sqe, slot);
	evdefer_kick(r->loop, &r->submit_w);
}

int uring_recv(struct uring *r, struct uring_op *op, int fd, void *buf, size_t len)
{
	int err = 0;
	struct io_uring_sqe *sqe = uring_sqe_for(r, op, &err);

	if (!sqe)
		return err;
	io_uring_prep_recv(sqe, fd, buf, len, 0);
	uring_queued(r, op, sqe);
	return 0;
}

int uring_readv(struct uring *r, struct uring_op *op, int fd, const struct iovec *iov,
		unsigned int n)
{
	int err = 0;
	struct io_uring_sqe *sqe = uring_sqe_for(r, op, &err);

	if (!sqe)
		return err;
	io_uring_prep_readv(sqe, fd, iov, n, 0);
	uring_queued(r, op, sqe);
	return 0;
}

int uring_sendmsg(struct uring *r, struct uring_op *op, int fd, const struct msghdr *mh, int flags)
{
	int err = 0;
	struct io_uring_sqe *sqe = uring_sqe_for(r, op, &err);

	if (!sqe)
		return err;
	io_uring_prep_sendmsg(sqe, fd, mh, (unsigned int)flags);
	uring_queued(r, op, sqe);
	return 0;
}

bool uring_op_completed(struct uring *r, struct uring_op *op)
{
	uring_harvest(r);
	if (r->pend_cnt) /* the ring's fd no longer says so: the loop must still come */
		ev_feed_event(r->loop, &r->cq_w, EV_READ);
	return op->busy && op->seen;
}

static int64_t uring_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether every op is finished in the kernel (not in flight, or its completion reaped). */
static bool uring_all_seen(struct uring_op *const *ops, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ops[i]->busy && !ops[i]->seen)
			return false;
	return true;
}

int uring_cancel(struct uring *r, struct uring_op *const *ops, unsigned int n)
{
	int64_t deadline = uring_now_ms() + URING_CANCEL_WAIT_MS;
	unsigned int i;
	int ret = 0;

	uring_harvest(r);
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe;

		if (!ops[i]->busy || ops[i]->seen)
			continue;
		sqe = io_uring_get_sqe(&r->ring);
		if (!sqe) {
			(void)io_uring_submit(&r->ring);
			sqe = io_uring_get_sqe(&r->ring);
		}
		if (!sqe)
			break; /* the wait below is bounded all the same */
		io_uring_prep_cancel64(sqe, ops[i]->slot, 0);
		io_uring_sqe_set_data64(sqe, URING_UD_CANCEL);
	}
	while (!uring_all_seen(ops, n)) {
		int64_t left = deadline - uring_now_ms();
		struct __kernel_timespec ts;
		struct io_uring_cqe *cqe;

		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		(void)io_uring_submit_and_wait_timeout(&r->ring, &cqe, 1, &ts, NULL);
		uring_harvest(r);
	}
	for (i = 0; i < n; i++) {
		if (!ops[i]->busy)
			continue;
		r->slots[ops[i]->slot] = NULL; /* its completion, now or later, is dropped */
		ops[i]->busy = ops[i]->seen = false;
	}
	if (r->pend_cnt)
		ev_feed_event(r->loop, &r->cq_w,
			      EV_READ); /* kept completions: the ring may be empty */
	return ret;
}

int uring_cancel_socket(struct uring *r, int fd, struct uring_op *const *ops, unsigned int n)
{
	if (uring_cancel(r, ops, n) == 0)
		return 0;
	shutdown(fd, SHUT_RDWR);
	return uring_cancel(r, ops, n);
}
