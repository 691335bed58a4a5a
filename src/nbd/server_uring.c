/*
 * A plaintext NBD connection's socket I/O through the loop's io_uring
 * (--io-engine uring, util/uring.h); the state machine is server.c's.
 * Receive: one recv in flight while the state reads, into the read-ahead
 * buffer, or straight into a WRITE's buffer when at least a read-ahead's
 * worth of its payload is still to come; its completion runs server.c's
 * read callback over the bytes (which never reads the socket itself here),
 * then the next recv is queued. Send: one sendmsg in flight for the head of
 * the reply queue; its completion retires what it wrote. Both go to the
 * kernel with the loop iteration's single io_uring_enter().
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "nbd/server.h"
#include "nbd/server_int.h"
#include "util/compiler.h"
#include "util/evdefer.h"
#include "util/log.h"

static void srv_uring_rx_done(struct uring_op *op, int res);
static void srv_uring_tx_done(struct uring_op *op, int res);

int srv_uring_init(struct nbdsrv_conn *c)
{
	c->ring = uring_get_socket(c->loop, &c->rx_op, srv_uring_rx_done, &c->tx_op,
				   srv_uring_tx_done);
	return c->ring ? 0 : -1;
}

void srv_uring_rx_arm(struct nbdsrv_conn *c)
{
	struct nbdsrv_io *io = c->cur;
	void *dst = c->ra.buf;
	size_t len = c->ra.size;
	int r;

	if (c->fd < 0 || c->rx_op.busy || rdahead_avail(&c->ra) || !srv_state_reads(c->state))
		return;
	rdahead_reset(&c->ra);
	c->rx_direct = c->state == NBDSRV_CONN_READ_PAYLOAD && io->req.len - io->got >= RA_SIZE;
	if (c->rx_direct) {
		dst = (uint8_t *)io->buf + io->got;
		len = io->req.len - io->got;
	}
	r = uring_recv(c->ring, &c->rx_op, c->fd, dst, len);
	if (r < 0) {
		log_warn("%s: cannot queue a receive: %s", c->name, strerror(-r));
		srv_conn_dead(c, r);
	}
}

static void srv_uring_rx_done(struct uring_op *op, int res)
{
	struct nbdsrv_conn *c = container_of(op, struct nbdsrv_conn, rx_op);

	if (res == 0) {
		/* EOF: clean between requests, a cut-off request otherwise; either way hard. */
		if (c->state == NBDSRV_CONN_READ_HDR && c->hdr_got == 0 && !c->rx_direct)
			dbg(LOG_SUB_NBD, "%s: client closed the connection", c->name);
		else
			log_info("%s: EOF in the middle of a request", c->name);
		srv_conn_dead(c, -ECONNRESET);
		return;
	}
	if (res < 0 && res != -EINTR && res != -EAGAIN) {
		srv_conn_dead(c, res);
		return;
	}
	if (res > 0 && c->rx_direct) {
		srv_conn_got_bytes(c, (size_t)res);
	} else if (res > 0) {
		c->ra.off = 0;
		c->ra.len = (uint32_t)res;
		/* server.c's read callback: the steps take the bytes, then it queues the next recv.
		 */
		ev_invoke(c->loop, &c->rio, EV_READ);
		return;
	}
	srv_uring_rx_arm(c);
}

/* Send the head of the reply queue unless a send is in flight. */
void srv_uring_flush(struct nbdsrv_conn *c)
{
	int r;

	if (c->tx_op.busy)
		return;
	if (list_empty(&c->sendq)) {
		srv_conn_flushed(c);
		return;
	}
	memset(&c->tx_mh, 0, sizeof(c->tx_mh));
	c->tx_mh.msg_iov = c->tx_iov;
	c->tx_mh.msg_iovlen = srv_reply_iov(c, c->tx_iov);
	r = uring_sendmsg(c->ring, &c->tx_op, c->fd, &c->tx_mh, MSG_NOSIGNAL);
	if (r < 0) {
		log_warn("%s: cannot queue a send: %s", c->name, strerror(-r));
		srv_conn_dead(c, r);
		return;
	}
	/* A client that stops reading holds pool buffers: the stall timer bounds it. */
	if (c->send_timeout > 0 && !ev_is_active(&c->stall)) {
		ev_timer_set(&c->stall, c->send_timeout, 0);
		ev_timer_start(c->loop, &c->stall);
	}
}

static void srv_uring_tx_done(struct uring_op *op, int res)
{
	struct nbdsrv_conn *c = container_of(op, struct nbdsrv_conn, tx_op);

	if (res < 0 && res != -EINTR && res != -EAGAIN) {
		srv_conn_dead(c, res);
		return;
	}
	if (res > 0) {
		c->last_send = ev_now(c->loop);
		srv_conn_sent(c, (size_t)res);
	}
	if (list_empty(&c->sendq))
		srv_conn_flushed(c);
	else
		evdefer_kick(c->loop, &c->flush_w); /* with the replies this iteration queues */
}

void srv_uring_cancel(struct nbdsrv_conn *c, bool rx_only)
{
	struct uring_op *const ops[] = {&c->rx_op, &c->tx_op};

	if (uring_cancel_socket(c->ring, c->fd, ops, rx_only ? 1 : 2) == 0)
		return;
	log_err("%s: io_uring did not give the buffers back: keeping the connection's memory",
		c->name);
	c->ring_stuck = true;
}
