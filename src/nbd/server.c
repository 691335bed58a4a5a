/*
 * NBD transmission-phase engine. See server.h for the state machine and the
 * ownership rules; section names refer to nbd-protocol.md.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nbd/server.h"
#include "nbd/server_int.h"
#include "util/compiler.h"
#include "util/evdefer.h"
#include "util/list.h"
#include "util/log.h"
#include "util/rdahead.h"
#include "util/statecheck.h"

/* Rejected WRITE payloads land here; single-threaded, and the bytes are never looked at. */
static uint8_t discard_buf[64 << 10];

static void conn_close_fd(struct nbdsrv_conn *c)
{
	ev_io_stop(c->loop, &c->rio);
	ev_io_stop(c->loop, &c->wio);
	ev_timer_stop(c->loop, &c->stall);
	ev_timer_stop(c->loop, &c->resume);
	evdefer_cancel(c->loop, &c->flush_w);
	if (c->ring && c->fd >= 0)
		srv_uring_cancel(c, false); /* before the buffers and the socket go */
	rdahead_reset(&c->ra);
	if (c->ssl) {
		/* close_notify only on an orderly end (DRAIN); never after an error. */
		nbdsrv_tls_close(c->ssl, c->state == NBDSRV_CONN_DRAIN);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

void srv_slot_release(struct nbdsrv_conn *c, struct nbdsrv_io *io)
{
	if (io->buf) {
		void *b = io->buf;

		io->buf = NULL;
		nbdsrv_bufpool_put(c->pool, b);
	}
	list_del(&io->node);
	list_add_head(&c->free_slots, &io->node);
	if (c->state == NBDSRV_CONN_WAIT_SLOT)
		srv_conn_set_state(c, NBDSRV_CONN_READ_HDR);
}

/* DONE once the socket is closed and the bdev holds nothing of ours. */
void srv_conn_maybe_finish(struct nbdsrv_conn *c)
{
	if (c->state == NBDSRV_CONN_DRAIN && c->stats.inflight == 0 && list_empty(&c->sendq) &&
	    c->stage_len == 0) {
		conn_close_fd(c);
		srv_conn_set_state(c, NBDSRV_CONN_DONE);
		ev_timer_start(c->loop, &c->fin);
	} else if (c->state == NBDSRV_CONN_DEAD && c->stats.inflight == 0) {
		srv_conn_set_state(c, NBDSRV_CONN_DONE);
		ev_timer_start(c->loop, &c->fin);
	}
}

/* Drop the request being read, if any (its bytes will never all arrive). */
static void conn_drop_cur(struct nbdsrv_conn *c)
{
	nbdsrv_bufpool_cancel(&c->bufwait);
	ev_timer_stop(c->loop, &c->resume);
	if (c->ring && c->cur)
		srv_uring_cancel(c, true); /* a recv may be filling cur's buffer */
	if (c->cur) {
		srv_slot_release(c, c->cur);
		c->cur = NULL;
	}
}

/* Hard end: EOF, socket error, protocol violation. In-flight requests still complete. */
void srv_conn_dead(struct nbdsrv_conn *c, int err)
{
	struct list_node *n;

	if (c->state == NBDSRV_CONN_DEAD || c->state == NBDSRV_CONN_DONE)
		return;
	if (err && err != -ECONNRESET) /* EOF was logged where it was seen */
		log_info("%s: connection closed: %s", c->name, strerror(-err));
	c->close_err = err;
	srv_conn_set_state(c, NBDSRV_CONN_DEAD);
	conn_close_fd(c);
	conn_drop_cur(c);
	while ((n = list_pop(&c->sendq)) != NULL)
		srv_slot_release(c, list_entry(n, struct nbdsrv_io, node));
	c->send_off = 0;
	c->stage_off = c->stage_len = 0;
	srv_conn_maybe_finish(c);
}

static void conn_drain(struct nbdsrv_conn *c)
{
	if (c->state == NBDSRV_CONN_DEAD || c->state == NBDSRV_CONN_DONE ||
	    c->state == NBDSRV_CONN_DRAIN)
		return;
	conn_drop_cur(c);
	srv_conn_set_state(c, NBDSRV_CONN_DRAIN);
	srv_conn_maybe_finish(c);
}

size_t srv_reply_len(const struct nbdsrv_io *io)
{
	if (io->req.type == NBDSRV_CMD_READ && io->error == 0)
		return NBDSRV_REPLY_HDR_LEN + io->req.len;
	return NBDSRV_REPLY_HDR_LEN;
}

/* n more bytes of the queued replies left us: retire the replies fully sent. */
void srv_conn_sent(struct nbdsrv_conn *c, size_t n)
{
	n += c->send_off;
	while (!list_empty(&c->sendq)) {
		struct nbdsrv_io *io = list_entry(c->sendq.next, struct nbdsrv_io, node);
		size_t len = srv_reply_len(io);

		if (n < len)
			break;
		n -= len;
		if (io->req.type == NBDSRV_CMD_READ && io->error == 0)
			c->stats.bytes_read += io->req.len;
		srv_slot_release(c, io);
	}
	c->send_off = n;
}

/* The socket is full: wait for EV_WRITE, with the stall timer (see conn_on_stall). */
void srv_conn_wait_writable(struct nbdsrv_conn *c)
{
	if (!ev_is_active(&c->wio)) {
		ev_io_start(c->loop, &c->wio);
		if (c->send_timeout > 0 && !ev_is_active(&c->stall)) {
			ev_timer_set(&c->stall, c->send_timeout, 0);
			ev_timer_start(c->loop, &c->stall);
		}
	}
}

/* Everything queued is out. */
void srv_conn_flushed(struct nbdsrv_conn *c)
{
	ev_io_stop(c->loop, &c->wio);
	ev_timer_stop(c->loop, &c->stall);
	srv_conn_maybe_finish(c);
}

size_t srv_reply_iov(struct nbdsrv_conn *c, struct iovec *iov)
{
	struct list_node *pos;
	size_t skip = c->send_off, n = 0;

	list_for_each(pos, &c->sendq)
	{
		struct nbdsrv_io *io = list_entry(pos, struct nbdsrv_io, node);
		size_t hlen = NBDSRV_REPLY_HDR_LEN, plen = srv_reply_len(io) - hlen;

		if (n + 2 > SEND_IOV_MAX)
			break;
		if (skip < hlen) {
			iov[n].iov_base = io->reply + skip;
			iov[n++].iov_len = hlen - skip;
			skip = 0;
		} else {
			skip -= hlen;
		}
		if (plen) {
			iov[n].iov_base = (uint8_t *)io->buf + skip;
			iov[n++].iov_len = plen - skip;
		}
		skip = 0;
	}
	return n;
}

/* Write queued replies until done or EAGAIN. */
static void conn_flush(struct nbdsrv_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->ssl) {
		srv_conn_flush_tls(c);
		return;
	}
	if (c->ring) {
		srv_uring_flush(c);
		return;
	}
	while (!list_empty(&c->sendq)) {
		struct iovec iov[SEND_IOV_MAX];
		struct msghdr msg = {.msg_iov = iov};
		ssize_t w;

		msg.msg_iovlen = srv_reply_iov(c, iov);
		w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				srv_conn_wait_writable(c);
				return;
			}
			srv_conn_dead(c, -errno);
			return;
		}
		c->last_send = ev_now(c->loop);
		srv_conn_sent(c, (size_t)w);
	}
	srv_conn_flushed(c);
}

static void conn_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct nbdsrv_conn *c = container_of(w, struct nbdsrv_conn, flush_w);

	evdefer_done(loop, w);
	if (!ev_is_active(&c->wio))
		conn_flush(c);
}

void srv_conn_queue_reply(struct nbdsrv_conn *c, struct nbdsrv_io *io, uint32_t error)
{
	io->error = error;
	if (error)
		c->stats.errors++;
	/* READ's buffer stays until the payload is sent; others give theirs back now. */
	if (io->buf && (io->req.type != NBDSRV_CMD_READ || error)) {
		void *b = io->buf;

		io->buf = NULL;
		nbdsrv_bufpool_put(c->pool, b);
	}
	if (error)
		dbg(LOG_SUB_NBD, "%s: %s cookie %#llx offset %llu len %u: error %u", c->name,
		    nbdsrv_cmd_name(io->req.type), (unsigned long long)io->req.cookie,
		    (unsigned long long)io->req.offset, io->req.len, error);
	nbdsrv_reply_build(io->reply, error, io->req.cookie);
	list_del(&io->node);
	list_add_tail(&c->sendq, &io->node);
	/*
	 * Written once the running callback returns, with every other reply
	 * it queued; when the socket is full, EV_WRITE is armed and sends them.
	 */
	if (c->fd >= 0 && !ev_is_active(&c->wio))
		evdefer_kick(c->loop, &c->flush_w);
}

static enum nbdsrv_conn_state next_hdr_state(struct nbdsrv_conn *c)
{
	return list_empty(&c->free_slots) ? NBDSRV_CONN_WAIT_SLOT : NBDSRV_CONN_READ_HDR;
}

/* The request in c->cur has its buffer (or needs none): read its payload or dispatch it. */
static void conn_start_request(struct nbdsrv_conn *c)
{
	struct nbdsrv_io *io = c->cur;

	if (io->req.type == NBDSRV_CMD_WRITE && io->req.len > 0) {
		io->got = 0;
		srv_conn_set_state(c, NBDSRV_CONN_READ_PAYLOAD);
		return;
	}
	c->cur = NULL;
	srv_conn_set_state(c, next_hdr_state(c));
	srv_io_dispatch(c, io);
}

static bool conn_get_buf(struct nbdsrv_conn *c)
{
	struct nbdsrv_io *io = c->cur;

	io->buf = nbdsrv_bufpool_get(c->pool, io->req.len);
	if (io->buf)
		return true;
	srv_conn_set_state(c, NBDSRV_CONN_WAIT_BUF);
	nbdsrv_bufpool_wait(c->pool, &c->bufwait);
	return false;
}

/*
 * A buffer came back to the pool. This runs inside nbdsrv_bufpool_put(),
 * possibly in the middle of another connection's (or this one's) reply
 * bookkeeping, so it only schedules the retry for the next loop iteration
 * (once per backpressure episode, not per request).
 */
static void conn_buf_ready(struct nbdsrv_bufwait *w)
{
	struct nbdsrv_conn *c = container_of(w, struct nbdsrv_conn, bufwait);

	if (c->state == NBDSRV_CONN_WAIT_BUF)
		ev_timer_start(c->loop, &c->resume);
}

static void conn_on_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct nbdsrv_conn *c = container_of(w, struct nbdsrv_conn, resume);

	ev_timer_stop(loop, w);
	if (c->state == NBDSRV_CONN_WAIT_BUF && conn_get_buf(c))
		conn_start_request(c);
}

static void conn_got_header(struct nbdsrv_conn *c)
{
	struct nbdsrv_io *io;
	struct list_node *n;
	int rc;

	n = list_pop(&c->free_slots);
	assert(n); /* READ_HDR is entered only with a free slot */
	io = list_entry(n, struct nbdsrv_io, node);
	nbdsrv_req_parse(c->hdr, &io->req);
	io->buf = NULL;
	c->hdr_got = 0;
	c->stats.requests++;

	rc = nbdsrv_req_validate(&io->req, &c->ex);
	if (rc < 0) {
		log_warn("%s: bad request magic %#x: dropping connection", c->name, io->req.magic);
		srv_slot_release(c, io);
		srv_conn_dead(c, rc);
		return;
	}
	if (rc > 0) {
		c->stats.rejected++;
		dbg(LOG_SUB_NBD, "%s: rejected %s flags %#x offset %llu len %u: error %d", c->name,
		    nbdsrv_cmd_name(io->req.type), io->req.flags,
		    (unsigned long long)io->req.offset, io->req.len, rc);
		/* Keep the stream in sync: a rejected WRITE's payload is still on the wire. */
		c->discard_left = nbdsrv_req_payload_len(&io->req);
		if (c->discard_left) {
			io->error = (uint32_t)rc;
			c->cur = io;
			srv_conn_set_state(c, NBDSRV_CONN_DISCARD);
			return;
		}
		srv_conn_set_state(c, next_hdr_state(c));
		srv_conn_queue_reply(c, io, (uint32_t)rc);
		return;
	}
	if (io->req.type == NBDSRV_CMD_DISC) {
		/* "The server MUST handle all outstanding requests ... and close". No reply. */
		dbg(LOG_SUB_NBD, "%s: disconnect requested", c->name);
		srv_slot_release(c, io);
		conn_drain(c);
		return;
	}
	c->cur = io;
	if ((io->req.type == NBDSRV_CMD_READ || io->req.type == NBDSRV_CMD_WRITE) &&
	    io->req.len > 0 && !conn_get_buf(c))
		return;
	conn_start_request(c);
}

/* One step of reading. Returns 0 progress, 1 would block, <0 connection gone. */
static int conn_read_step(struct nbdsrv_conn *c)
{
	struct nbdsrv_io *io = c->cur;
	struct iovec iov[2];
	uint8_t *dst;
	size_t want;
	ssize_t r;

	switch (c->state) {
	case NBDSRV_CONN_READ_HDR:
		dst = c->hdr + c->hdr_got;
		want = NBDSRV_REQ_HDR_LEN - c->hdr_got;
		break;
	case NBDSRV_CONN_READ_PAYLOAD:
		dst = (uint8_t *)io->buf + io->got;
		want = io->req.len - io->got;
		break;
	case NBDSRV_CONN_DISCARD:
		dst = discard_buf;
		want = (size_t)MIN(c->discard_left, (uint64_t)sizeof(discard_buf));
		break;
	default:
		return 1;
	}
	if (c->ssl)
		return srv_conn_read_tls(c, dst, want);
	if (rdahead_avail(&c->ra)) {
		r = (ssize_t)rdahead_take(&c->ra, dst, want);
		goto got;
	}
	if (!rdahead_may_read(&c->ra))
		return 1;
	iov[0].iov_base = dst;
	iov[0].iov_len = want;
	/* Small steps read ahead: a burst of requests costs one read. */
	/* After a large WRITE, the next payload likely is large too: let it go straight to its
	 * buffer instead of through ours. */
	r = readv(c->fd, iov,
		  (int)rdahead_iov(&c->ra, iov, 1, want,
				   c->state == NBDSRV_CONN_READ_HDR && c->rx_big ? 0 : RA_SIZE));
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		srv_conn_dead(c, -errno);
		return -1;
	}
	if (r == 0) {
		/* EOF: clean between requests, a cut-off request otherwise; either way hard. */
		if (c->state == NBDSRV_CONN_READ_HDR && c->hdr_got == 0)
			dbg(LOG_SUB_NBD, "%s: client closed the connection", c->name);
		else
			log_info("%s: EOF in the middle of a request", c->name);
		srv_conn_dead(c, -ECONNRESET);
		return -1;
	}
	r = (ssize_t)rdahead_got(&c->ra, (size_t)r, want);
got:
	srv_conn_got_bytes(c, (size_t)r);
	return 0;
}

/* r bytes of the current step arrived. */
void srv_conn_got_bytes(struct nbdsrv_conn *c, size_t r)
{
	struct nbdsrv_io *io = c->cur;

	switch (c->state) {
	case NBDSRV_CONN_READ_HDR:
		c->rx_big = false;
		c->hdr_got += (uint32_t)r;
		if (c->hdr_got == NBDSRV_REQ_HDR_LEN)
			conn_got_header(c);
		break;
	case NBDSRV_CONN_READ_PAYLOAD:
		io->got += (uint32_t)r;
		if (io->got == io->req.len) {
			c->rx_big = io->req.len >= RA_SIZE;
			c->cur = NULL;
			srv_conn_set_state(c, next_hdr_state(c));
			srv_io_dispatch(c, io);
		}
		break;
	case NBDSRV_CONN_DISCARD:
		c->discard_left -= (uint64_t)r;
		if (c->discard_left == 0) {
			c->cur = NULL;
			srv_conn_set_state(c, next_hdr_state(c));
			srv_conn_queue_reply(c, io, io->error);
		}
		break;
	default:
		break;
	}
}

static void conn_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct nbdsrv_conn *c = container_of(w, struct nbdsrv_conn, rio);

	/*
	 * Reads are bounded per wakeup so one busy socket cannot starve the
	 * others on this loop; what they brought is always consumed, or kept
	 * for a state that stopped reading (it feeds itself a read event).
	 */
	rdahead_wakeup(&c->ra, c->ring ? 0 : READ_BUDGET); /* the ring reads, not us */
	c->tls_reads_left = READ_BUDGET;
	if (c->tls_wr_wants_read) {
		c->tls_wr_wants_read = false;
		if (!srv_state_reads(c->state))
			ev_io_stop(loop, w);
		conn_flush(c);
		if (c->fd < 0)
			return;
	}
	while (srv_state_reads(c->state))
		if (conn_read_step(c) != 0)
			break;
	if (c->ring)
		srv_uring_rx_arm(c);
	/* Budget spent with requests decrypted and waiting: come back next iteration. */
	if (c->ssl && srv_state_reads(c->state) && nbdsrv_tls_pending(c->ssl))
		ev_feed_event(loop, w, EV_READ);
}

static void conn_on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct nbdsrv_conn *c = container_of(w, struct nbdsrv_conn, wio);

	if (c->tls_rd_wants_write) {
		c->tls_rd_wants_write = false;
		if (list_empty(&c->sendq) && !c->stage_len)
			ev_io_stop(loop, w);
		if (srv_state_reads(c->state))
			ev_feed_event(loop, &c->rio, EV_READ);
	}
	conn_flush(c);
}

/*
 * Replies have been waiting for the socket: a client that stops reading
 * holds pool buffers that other connections need. Armed once when the
 * socket first blocks and re-armed from the last progress, the way libev's
 * manual suggests, so a slowly draining client is not cut off.
 */
static void conn_on_stall(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct nbdsrv_conn *c = container_of(w, struct nbdsrv_conn, stall);
	ev_tstamp left = c->last_send + c->send_timeout - ev_now(loop);

	if (list_empty(&c->sendq) && c->stage_len == 0)
		return;
	if (left > 0) {
		ev_timer_set(w, left, 0);
		ev_timer_start(loop, w);
		return;
	}
	log_warn("%s: client has not read its replies for %.1f s", c->name, c->send_timeout);
	srv_conn_dead(c, -ETIMEDOUT);
}

static void conn_on_fin(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct nbdsrv_conn *c = container_of(w, struct nbdsrv_conn, fin);

	ev_timer_stop(loop, w);
	if (c->closed)
		c->closed(c, c->close_err, c->opaque); /* may free c: nothing after this */
}

struct nbdsrv_conn *nbdsrv_conn_new(struct ev_loop *loop, int fd, struct bdev *bd,
				    const struct nbdsrv_export *ex, struct nbdsrv_bufpool *pool,
				    const struct nbdsrv_conn_cfg *cfg)
{
	struct nbdsrv_conn *c;
	uint32_t i;
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->nslots = cfg->queue_depth ? cfg->queue_depth : DEFAULT_QUEUE_DEPTH;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", cfg->name ? cfg->name : "nbd");
	log_ratelimit_init(&c->io_rl, c->name, LOG_RL_INTERVAL, LOG_RL_BURST);
	snprintf(c->peer, sizeof(c->peer), "%s", cfg->peer ? cfg->peer : "");
	c->loop = loop;
	c->fd = fd;
	c->bd = bd;
	c->ex = *ex;
	/* A request no pool buffer can hold would wait forever: refuse it up front instead. */
	c->ex.max_payload = MIN(c->ex.max_payload, nbdsrv_bufpool_max_len(pool));
	c->pool = pool;
	c->closed = cfg->closed;
	c->opaque = cfg->opaque;
	list_init(&c->free_slots);
	list_init(&c->sendq);
	list_init(&c->bufwait.node);
	c->bufwait.ready = conn_buf_ready;
	ev_timer_init(&c->resume, conn_on_resume, 0, 0);
	for (i = 0; i < c->nslots; i++) {
		c->slots[i].conn = c;
		list_init(&c->slots[i].node);
		list_add_tail(&c->free_slots, &c->slots[i].node);
	}
	ev_io_init(&c->rio, conn_on_read, fd, EV_READ);
	ev_io_init(&c->wio, conn_on_write, fd, EV_WRITE);
	ev_timer_init(&c->stall, conn_on_stall, 0, 0);
	c->send_timeout = cfg->send_timeout;
	c->last_send = ev_now(loop);
	/* A 0 s timer rather than ev_idle: idle watchers starve while other sockets are busy. */
	ev_timer_init(&c->fin, conn_on_fin, 0, 0);
	ev_prepare_init(&c->flush_w, conn_flush_cb);
	c->ra.buf = c->ra_buf;
	c->ra.size = sizeof(c->ra_buf);
	c->state = NBDSRV_CONN_READ_HDR; /* the initial state: not a transition */
	if (cfg->ssl) {
		c->stage = malloc(TLS_STAGE);
		if (!c->stage) {
			free(c->slots);
			free(c);
			return NULL;
		}
		c->ssl = cfg->ssl;
	} else if (io_engine_get() == IO_ENGINE_URING && srv_uring_init(c) < 0) {
		log_err("%s: cannot set up io_uring: %s", c->name, strerror(errno));
		free(c->slots);
		free(c);
		return NULL;
	}
	if (c->ring)
		srv_uring_rx_arm(c);
	else
		ev_io_start(loop, &c->rio);
	/* The handshake's last TLS record may have carried the first requests. */
	if (c->ssl && nbdsrv_tls_pending(c->ssl))
		ev_feed_event(loop, &c->rio, EV_READ);
	return c;
}

void nbdsrv_conn_set_export(struct nbdsrv_conn *c, const struct nbdsrv_export *ex)
{
	c->ex = *ex;
	c->ex.max_payload = MIN(c->ex.max_payload, nbdsrv_bufpool_max_len(c->pool));
}

void nbdsrv_conn_shutdown(struct nbdsrv_conn *c)
{
	conn_drain(c);
}

void nbdsrv_conn_free(struct nbdsrv_conn *c)
{
	if (!c)
		return;
	/* Freeing with requests in flight would leave the bdev writing into freed slots. */
	assert(c->stats.inflight == 0);
	conn_close_fd(c);
	nbdsrv_bufpool_cancel(&c->bufwait);
	evdefer_cancel(c->loop, &c->flush_w);
	ev_timer_stop(c->loop, &c->fin);
	ev_timer_stop(c->loop, &c->stall);
	ev_timer_stop(c->loop, &c->resume);
	log_ratelimit_flush(&c->io_rl);
	for (uint32_t i = 0; i < c->nslots; i++)
		if (c->slots[i].buf)
			nbdsrv_bufpool_put(c->pool, c->slots[i].buf);
	free(c->slots);
	free(c->stage);
	uring_put(c->ring);
	if (c->ring_stuck)
		return; /* the kernel may still use c's buffers: leak it rather than free under it
			 */
	free(c);
}

const struct nbdsrv_conn_stats *nbdsrv_conn_stats(const struct nbdsrv_conn *c)
{
	return &c->stats;
}

enum nbdsrv_conn_state nbdsrv_conn_get_state(const struct nbdsrv_conn *c)
{
	return c->state;
}

const char *nbdsrv_conn_name(const struct nbdsrv_conn *c)
{
	return c->name;
}

SSL *nbdsrv_conn_ssl(const struct nbdsrv_conn *c)
{
	return c->ssl;
}

const char *nbdsrv_conn_peer(const struct nbdsrv_conn *c)
{
	return c->peer;
}
