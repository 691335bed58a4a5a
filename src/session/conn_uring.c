/*
 * The connection's socket I/O through the loop's io_uring (--io-engine
 * uring, util/uring.h). Receive: one recv in flight into the read-ahead
 * buffer; its completion runs the state machine over the bytes (every step
 * takes from the buffer, nothing reads the socket), then the next recv is
 * queued. Send: one sendmsg in flight for the head of the queue; its
 * completion retires the PDUs it wrote and sends the rest. Both go out with
 * the loop iteration's single io_uring_enter().
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "session/conn.h"
#include "session/conn_int.h"
#include "util/compiler.h"
#include "util/evdefer.h"

static void conn_uring_rx_done(struct uring_op *op, int res);
static void conn_uring_tx_done(struct uring_op *op, int res);

int conn_uring_init(struct conn *c)
{
	c->ring = uring_get_socket(c->loop, &c->rx_op, conn_uring_rx_done, &c->tx_op,
				   conn_uring_tx_done);
	return c->ring ? 0 : -1;
}

/*
 * Queue the next receive; the read-ahead buffer is used up (the steps took
 * it all). A data segment with a read-ahead's worth or more still to come
 * is read straight into its buffers (as the epoll path does): those stay
 * valid until the PDU is complete or the connection closes, and closing
 * cancels this read first.
 */
int conn_uring_rx_arm(struct conn *c)
{
	assert(rdahead_avail(&c->ra) == 0);
	rdahead_reset(&c->ra);
	c->rx_udirect = c->rx_state == RX_DATA && c->rx_need - c->rx_got >= CONN_RA_SIZE;
	if (c->rx_udirect) {
		int n = conn_iov_slice(c->rx_iov, c->rx_iov_cnt, c->rx_got, c->rx_need - c->rx_got,
				       c->rx_uiov, ARRAY_SIZE(c->rx_uiov));

		if (n < 0)
			return n;
		return uring_readv(c->ring, &c->rx_op, c->fd, c->rx_uiov, (unsigned int)n);
	}
	return uring_recv(c->ring, &c->rx_op, c->fd, c->ra.buf, c->ra.size);
}

static void conn_uring_rx_done(struct uring_op *op, int res)
{
	struct conn *c = container_of(op, struct conn, rx_op);
	unsigned int epoch = c->epoch;

	if (res == 0) {
		conn_fail(c, CONN_ERR_EOF, 0, "connection closed by the target");
		return;
	}
	if (res < 0 && res != -EINTR && res != -EAGAIN) {
		conn_fail(c, CONN_ERR_IO, -res, "receive failed");
		return;
	}
	if (res > 0) {
		c->stats.bytes_in += (uint64_t)res;
		c->last_rx = ev_now(c->loop);
		if (c->rx_udirect) {
			c->rx_got += (uint32_t)res;
		} else {
			c->ra.off = 0;
			c->ra.len = (uint32_t)res;
		}
		conn_rx_run(c, 0);
		if (c->fd < 0 || c->epoch != epoch)
			return; /* closed, maybe reconnected: a new socket arms its own recv */
	}
	res = conn_uring_rx_arm(c);
	if (res < 0)
		conn_fail(c, CONN_ERR_IO, -res, "cannot queue a receive");
}

/* Send the queue's head unless a send is in flight (its completion sends the rest). */
void conn_uring_flush(struct conn *c)
{
	int r;

	if (c->fd < 0 || c->tx_op.busy || list_empty(&c->txq))
		return;
	memset(&c->tx_mh, 0, sizeof(c->tx_mh));
	c->tx_mh.msg_iov = c->tx_iov;
	c->tx_mh.msg_iovlen = conn_tx_gather(c, c->tx_iov, true);
	r = uring_sendmsg(c->ring, &c->tx_op, c->fd, &c->tx_mh, MSG_NOSIGNAL);
	if (r < 0)
		conn_fail(c, CONN_ERR_IO, -r, "cannot queue a send");
}

static void conn_uring_tx_done(struct uring_op *op, int res)
{
	struct conn *c = container_of(op, struct conn, tx_op);
	struct list_node *pos;

	list_for_each(pos, &c->txq)
	{
		list_entry(pos, struct conn_pdu, node)->inflight = false;
	}
	if (res == -EINTR || res == -EAGAIN)
		res = 0;
	if (res < 0) {
		conn_fail(c, CONN_ERR_IO, -res, "send failed");
		return;
	}
	if (conn_tx_advance(c, (size_t)res) < 0)
		return;
	/* The rest goes with what this iteration's callbacks queue. */
	if (!list_empty(&c->txq) && !c->cork)
		evdefer_kick(c->loop, &c->flush_w);
}

/*
 * Before the socket closes: the recv writes into ra.buf and the send reads
 * the queued PDUs' buffers, which their owners free once we are closed, so
 * both are cancelled and waited for. If the kernel does not let go in time
 * (never seen: a socket operation cancels at once), the read-ahead buffer
 * is left to it and the connection takes a new one.
 */
void conn_uring_cancel(struct conn *c)
{
	struct uring_op *const ops[] = {&c->rx_op, &c->tx_op};

	if (uring_cancel_socket(c->ring, c->fd, ops, ARRAY_SIZE(ops)) == 0)
		return;
	c->ra.buf = malloc(c->ra.size); /* NULL: the next recv fails, and says so */
}
