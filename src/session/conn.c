/*
 * One iSCSI TCP connection: connect, receive state machine, send queue.
 * See conn.h for the contract.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "session/conn.h"
#include "session/conn_int.h"
#include "util/compiler.h"
#include "util/crc32c.h"
#include "util/evdefer.h"

/* Socket reads per readable event before the loop gets a turn. */
#define CONN_RX_READS 16

static void conn_rio_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_wio_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_flush(struct conn *c);
static void conn_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents);
static int conn_rx_start(struct conn *c);

int conn_init(struct conn *c, struct ev_loop *loop, const struct conn_ops *ops, void *owner,
	      uint32_t rx_buf_size)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->ops = ops;
	c->owner = owner;
	c->fd = -1;
	list_init(&c->txq);
	if (rx_buf_size < ISCSI_PDU_LOGIN_MAX_DSL)
		rx_buf_size = ISCSI_PDU_LOGIN_MAX_DSL;
	c->rx_buf = malloc(rx_buf_size);
	c->ra.buf = malloc(CONN_RA_SIZE);
	if (!c->rx_buf || !c->ra.buf) {
		free(c->rx_buf);
		free(c->ra.buf);
		c->rx_buf = c->ra.buf = NULL;
		return -ENOMEM;
	}
	c->ra.size = CONN_RA_SIZE;
	c->rx_buf_size = rx_buf_size;
	c->rx.max_recv_dsl = ISCSI_PDU_LOGIN_MAX_DSL;
	if (io_engine_get() == IO_ENGINE_URING && conn_uring_init(c) < 0) {
		int err = -errno;

		free(c->rx_buf);
		free(c->ra.buf);
		c->rx_buf = c->ra.buf = NULL;
		return err;
	}
	ev_init(&c->rio, conn_rio_cb);
	ev_init(&c->wio, conn_wio_cb);
	ev_prepare_init(&c->flush_w, conn_flush_cb);
	return 0;
}

void conn_set_rx(struct conn *c, const struct iscsi_pdu_rx_params *p)
{
	c->rx = *p;
	if (c->rx.max_recv_dsl > c->rx_buf_size)
		c->rx.max_recv_dsl = c->rx_buf_size;
}

void conn_set_tx_digests(struct conn *c, bool header, bool data)
{
	c->tx_header_digest = header;
	c->tx_data_digest = data;
}

void conn_fail(struct conn *c, enum conn_err e, int err, const char *what)
{
	conn_close(c);
	c->ops->on_error(c, e, err, what);
}

static void conn_rx_reset(struct conn *c)
{
	c->rx_state = RX_BHS;
	c->rx_got = 0;
	c->rx_need = ISCSI_PDU_BHS_LEN;
}

static int conn_setup_fd(struct conn *c, int fd)
{
	int one = 1;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	/* Command PDUs are small and latency bound: no Nagle. Fails harmlessly on AF_UNIX. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	ev_io_set(&c->rio, fd, EV_READ);
	ev_io_set(&c->wio, fd, EV_WRITE);
	conn_rx_reset(c);
	rdahead_reset(&c->ra); /* a closed or replaced socket's bytes are stale */
	return 0;
}

int conn_attach_fd(struct conn *c, int fd)
{
	int r;

	if (c->fd >= 0)
		return -EBUSY;
	r = conn_setup_fd(c, fd);
	if (r < 0)
		return r;
	r = conn_rx_start(c);
	if (r < 0)
		c->fd = -1; /* the caller keeps the socket */
	return r;
}

/* Start receiving on a connected socket: the readable watcher, or the first recv on the ring. */
static int conn_rx_start(struct conn *c)
{
	if (!c->ring) {
		ev_io_start(c->loop, &c->rio);
		return 0;
	}
	return conn_uring_rx_arm(c);
}

int conn_connect(struct conn *c, const struct sockaddr *to, socklen_t to_len,
		 const char *bind_ifname, const struct sockaddr *from, socklen_t from_len)
{
	int fd, r;

	if (c->fd >= 0)
		return -EBUSY;
	fd = socket(to->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Path isolation: each path's traffic must leave through its own link. */
	if (bind_ifname && *bind_ifname &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, bind_ifname, strlen(bind_ifname)) < 0)
		goto fail;
	if (from && from_len && from->sa_family != AF_UNSPEC && bind(fd, from, from_len) < 0)
		goto fail;
	r = conn_setup_fd(c, fd);
	if (r < 0) {
		close(fd);
		c->fd = -1;
		return r;
	}
	if (connect(fd, to, to_len) < 0 && errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		c->fd = -1;
		return r;
	}
	c->connecting = true;
	ev_io_start(c->loop, &c->wio);
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

int conn_set_tcp_timeouts(struct conn *c, uint32_t user_timeout_ms)
{
	int one = 1, idle, intvl = 1, cnt = 3;
	unsigned int uto = user_timeout_ms;

	if (!user_timeout_ms || c->fd < 0)
		return 0;
	idle = (int)(user_timeout_ms / 2000) > 0 ? (int)(user_timeout_ms / 2000) : 1;
	if (setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto)) < 0)
		return -errno;
	return 0;
}

void conn_close(struct conn *c)
{
	struct list_node *n;

	c->epoch++;
	if (c->fd >= 0) {
		ev_io_stop(c->loop, &c->rio);
		ev_io_stop(c->loop, &c->wio);
		if (c->ring)
			conn_uring_cancel(c); /* the kernel lets go of our buffers first */
		close(c->fd);
		c->fd = -1;
	}
	evdefer_cancel(c->loop, &c->flush_w);
	rdahead_reset(&c->ra);
	c->connecting = false;
	while ((n = list_pop(&c->txq))) {
		struct conn_pdu *p = list_entry(n, struct conn_pdu, node);

		p->queued = p->inflight = false;
	}
}

void conn_fini(struct conn *c)
{
	conn_close(c);
	free(c->rx_buf);
	free(c->ra.buf);
	c->rx_buf = c->ra.buf = NULL;
	uring_put(c->ring);
	c->ring = NULL;
}

int conn_iov_slice(const struct iovec *src, unsigned int src_cnt, uint64_t off, uint32_t len,
		   struct iovec *dst, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < src_cnt && len; i++) {
		size_t l = src[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		if (n == max)
			return -EINVAL;
		dst[n].iov_base = (uint8_t *)src[i].iov_base + off;
		dst[n].iov_len = MIN(l - off, (size_t)len);
		len -= (uint32_t)dst[n].iov_len;
		off = 0;
		n++;
	}
	return len ? -EINVAL : (int)n;
}

/* ---- Send ---- */

static const uint8_t zero_pad[4];

void conn_send(struct conn *c, struct conn_pdu *p)
{
	uint32_t pad = iscsi_pdu_pad_len(p->data_len);

	assert(!p->queued); /* one PDU object is in the queue at most once */
	p->hdr_len = ISCSI_PDU_BHS_LEN;
	if (c->tx_header_digest) {
		crc32c_put(p->hdr + ISCSI_PDU_BHS_LEN, crc32c(p->hdr, ISCSI_PDU_BHS_LEN));
		p->hdr_len += ISCSI_PDU_DIGEST_LEN;
	}
	p->trailer_len = 0;
	if (p->data_len) {
		memset(p->trailer, 0, pad);
		p->trailer_len = pad;
		if (c->tx_data_digest) {
			uint32_t st = CRC32C_INIT;
			unsigned int i;

			for (i = 0; i < p->data_cnt; i++)
				st = crc32c_update(st, p->data[i].iov_base, p->data[i].iov_len);
			st = crc32c_update(st, zero_pad, pad);
			crc32c_put(p->trailer + pad, crc32c_final(st));
			p->trailer_len += ISCSI_PDU_DIGEST_LEN;
		}
	}
	p->total = p->hdr_len + p->data_len + p->trailer_len;
	p->off = 0;
	p->queued = true;
	list_add_tail(&c->txq, &p->node);
	if (!c->cork && c->fd >= 0 && !c->connecting)
		evdefer_kick(c->loop, &c->flush_w);
}

static void conn_flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct conn *c = container_of(w, struct conn, flush_w);

	evdefer_done(loop, w);
	if (c->fd >= 0 && !c->connecting && !c->cork)
		conn_flush(c);
}

bool conn_rx_waiting(struct conn *c)
{
	int n = 0;

	if (c->fd < 0 || c->connecting)
		return false;
	if (rdahead_avail(&c->ra))
		return true;
	if (c->ring && uring_op_completed(c->ring, &c->rx_op))
		return true;
	return ioctl(c->fd, FIONREAD, &n) == 0 && n > 0;
}

int conn_cancel(struct conn *c, struct conn_pdu *p)
{
	if (!p->queued)
		return 0;
	if (p->off > 0 || p->inflight)
		return -EBUSY;
	list_del(&p->node);
	p->queued = false;
	return 0;
}

void conn_cork(struct conn *c)
{
	c->cork++;
}

void conn_uncork(struct conn *c)
{
	if (c->cork && --c->cork == 0 && c->fd >= 0 && !c->connecting && !list_empty(&c->txq))
		evdefer_kick(c->loop, &c->flush_w);
}

/* Append the unsent part of [base, base+len) at logical position pos, given skip bytes already
 * sent. */
static unsigned int iov_add(struct iovec *iov, unsigned int n, void *base, size_t len,
			    uint32_t *skip)
{
	if (n >= CONN_TX_IOV || !len)
		return n;
	if (*skip >= len) {
		*skip -= (uint32_t)len;
		return n;
	}
	iov[n].iov_base = (uint8_t *)base + *skip;
	iov[n].iov_len = len - *skip;
	*skip = 0;
	return n + 1;
}

unsigned int conn_tx_gather(struct conn *c, struct iovec *iov, bool mark)
{
	struct list_node *pos;
	unsigned int n = 0;

	list_for_each(pos, &c->txq)
	{
		struct conn_pdu *p = list_entry(pos, struct conn_pdu, node);
		uint32_t skip = p->off;
		unsigned int i;

		if (n + 2 + p->data_cnt > CONN_TX_IOV)
			break;
		n = iov_add(iov, n, p->hdr, p->hdr_len, &skip);
		for (i = 0; i < p->data_cnt; i++)
			n = iov_add(iov, n, p->data[i].iov_base, p->data[i].iov_len, &skip);
		n = iov_add(iov, n, p->trailer, p->trailer_len, &skip);
		p->inflight = mark;
	}
	return n;
}

int conn_tx_advance(struct conn *c, size_t w)
{
	c->stats.bytes_out += (uint64_t)w;
	while (w > 0 && !list_empty(&c->txq)) {
		struct conn_pdu *p = list_entry(c->txq.next, struct conn_pdu, node);
		uint32_t left = p->total - p->off;

		if (w < left) {
			p->off += (uint32_t)w;
			break;
		}
		w -= left;
		p->off = p->total;
		list_del(&p->node);
		p->queued = false;
		c->stats.pdus_out++;
		if (p->sent) {
			p->sent(c, p);
			if (c->fd < 0)
				return -1;
		}
	}
	return 0;
}

/* Write queued PDUs until the queue is empty or the socket is full. */
static void conn_flush(struct conn *c)
{
	struct iovec iov[CONN_TX_IOV];

	if (c->ring) {
		conn_uring_flush(c);
		return;
	}
	if (c->in_flush)
		return; /* a sent callback queued more: the running loop picks it up */
	c->in_flush = true;
	while (c->fd >= 0 && !list_empty(&c->txq)) {
		unsigned int n = conn_tx_gather(c, iov, false);
		struct msghdr mh;
		ssize_t w;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = n;
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ev_io_start(c->loop, &c->wio);
				break;
			}
			c->in_flush = false;
			conn_fail(c, CONN_ERR_IO, errno, "send failed");
			return;
		}
		if (conn_tx_advance(c, (size_t)w) < 0) {
			c->in_flush = false;
			return;
		}
	}
	if (c->fd >= 0 && list_empty(&c->txq))
		ev_io_stop(c->loop, &c->wio);
	c->in_flush = false;
}

static void conn_wio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = container_of(w, struct conn, wio);

	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == EINPROGRESS)
			return;
		c->connecting = false;
		ev_io_stop(loop, &c->wio);
		if (err) {
			conn_fail(c, CONN_ERR_CONNECT, err, "connect failed");
			return;
		}
		err = conn_rx_start(c);
		if (err < 0) {
			conn_fail(c, CONN_ERR_IO, -err, "cannot queue a receive");
			return;
		}
		c->ops->on_connected(c);
		if (c->fd < 0)
			return;
		if (!list_empty(&c->txq) && !c->cork)
			conn_flush(c);
		return;
	}
	conn_flush(c);
}

/* ---- Receive ---- */

/*
 * Fill the current step: from the read-ahead buffer first, then from the
 * socket, asking for the read-ahead buffer's worth past the step unless
 * the step alone is larger. <0 error (reported), 0 step done, 1 would
 * block (or this wakeup's read budget is spent).
 */
static int conn_read_step(struct conn *c)
{
	while (c->rx_got < c->rx_need) {
		struct iovec iov[CONN_PDU_IOV + 2];
		uint32_t want = c->rx_need - c->rx_got;
		unsigned int i, n = 0;
		ssize_t r;

		if (c->rx_state == RX_DATA) {
			uint32_t skip = c->rx_got;

			for (i = 0; i < c->rx_iov_cnt; i++) {
				size_t l = c->rx_iov[i].iov_len;

				if (skip >= l) {
					skip -= (uint32_t)l;
					continue;
				}
				iov[n].iov_base = (uint8_t *)c->rx_iov[i].iov_base + skip;
				iov[n].iov_len = l - skip;
				skip = 0;
				n++;
			}
		} else {
			iov[0].iov_base = c->rx_hdr +
					  (c->rx_state == RX_AHS ? ISCSI_PDU_BHS_LEN : 0) +
					  c->rx_got;
			iov[0].iov_len = want;
			n = 1;
		}
		if (rdahead_avail(&c->ra)) {
			for (i = 0; i < n && rdahead_avail(&c->ra); i++)
				c->rx_got += rdahead_take(&c->ra, iov[i].iov_base, iov[i].iov_len);
			continue;
		}
		if (!rdahead_may_read(&c->ra))
			return 1;
		/*
		 * Past a header, read ahead unless the last PDU carried a large
		 * segment: the next one likely does too, and its data should go
		 * straight to its buffer rather than through ours.
		 */
		n = rdahead_iov(&c->ra, iov, n, want,
				c->rx_state == RX_BHS && c->rx_big ? 0 : CONN_RA_SIZE);
		r = readv(c->fd, iov, (int)n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			conn_fail(c, CONN_ERR_IO, errno, "receive failed");
			return -1;
		}
		if (r == 0) {
			conn_fail(c, CONN_ERR_EOF, 0, "connection closed by the target");
			return -1;
		}
		c->stats.bytes_in += (uint64_t)r;
		c->last_rx = ev_now(c->loop);
		c->rx_got += (uint32_t)rdahead_got(&c->ra, (size_t)r, want);
	}
	return 0;
}

/* Header complete: ask the owner where the data goes and set up RX_DATA. */
static int conn_rx_header_done(struct conn *c)
{
	struct iscsi_pdu_frame *f = &c->rx_frame;
	uint32_t seg = f->data_len + f->pad_len + f->data_digest_len;
	int n;

	if (f->hdr_digest_len &&
	    iscsi_pdu_verify_hdr(c->rx_hdr, ISCSI_PDU_BHS_LEN + f->ahs_len,
				 c->rx_hdr + ISCSI_PDU_BHS_LEN + f->ahs_len) < 0) {
		conn_fail(c, CONN_ERR_DIGEST, 0, "header digest mismatch");
		return -1;
	}
	n = c->ops->on_hdr(c, c->rx_hdr, c->rx_iov);
	if (n < 0 || c->fd < 0)
		return -1;
	if (n == 0) {
		c->rx_iov[0].iov_base = c->rx_buf;
		c->rx_iov[0].iov_len = f->data_len;
		n = f->data_len ? 1 : 0;
		c->rx_direct = false;
	} else {
		c->rx_direct = true;
	}
	if (f->pad_len + f->data_digest_len) {
		c->rx_iov[n].iov_base = c->rx_trailer;
		c->rx_iov[n].iov_len = f->pad_len + f->data_digest_len;
		n++;
	}
	c->rx_iov_cnt = (unsigned int)n;
	c->rx_state = RX_DATA;
	c->rx_got = 0;
	c->rx_need = seg;
	return 0;
}

static int conn_rx_data_done(struct conn *c)
{
	struct iscsi_pdu_frame *f = &c->rx_frame;
	const uint8_t *data = c->rx_direct ? NULL : c->rx_buf;
	uint32_t len = f->data_len;

	if (f->data_digest_len) {
		uint32_t st = CRC32C_INIT;
		unsigned int i;
		uint32_t left = len;

		for (i = 0; i < c->rx_iov_cnt && left; i++) {
			size_t l = MIN(c->rx_iov[i].iov_len, (size_t)left);

			st = crc32c_update(st, c->rx_iov[i].iov_base, l);
			left -= (uint32_t)l;
		}
		/* The digest covers the pad bytes as they came (RFC 7143 11.1). */
		st = crc32c_update(st, c->rx_trailer, f->pad_len);
		if (crc32c_final(st) != crc32c_get(c->rx_trailer + f->pad_len)) {
			conn_fail(c, CONN_ERR_DIGEST, 0, "data digest mismatch");
			return -1;
		}
	}
	c->stats.pdus_in++;
	c->rx_big = len >= CONN_RA_SIZE;
	conn_rx_reset(c);
	if (c->ops->on_pdu(c, c->rx_hdr, data, len) < 0 || c->fd < 0)
		return -1;
	return 0;
}

static void conn_rio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	/*
	 * Up to CONN_RX_READS reads per wakeup, then the loop gets a turn;
	 * whatever they brought is handled before returning (the read-ahead
	 * buffer is empty between wakeups, so a level-triggered poll is all
	 * it takes to come back).
	 */
	conn_rx_run(container_of(w, struct conn, rio), CONN_RX_READS);
}

void conn_rx_run(struct conn *c, unsigned int reads)
{
	unsigned int epoch = c->epoch;

	rdahead_wakeup(&c->ra, reads);
	conn_cork(c);
	while (c->fd >= 0 && c->epoch == epoch) {
		const char *why = NULL;
		int r = conn_read_step(c);

		if (r)
			break;
		switch (c->rx_state) {
		case RX_BHS:
			if (iscsi_pdu_frame(c->rx_hdr, &c->rx, &c->rx_frame, &why) < 0) {
				conn_fail(c, CONN_ERR_PROTOCOL, 0, why ? why : "bad PDU header");
				break;
			}
			if (c->rx_frame.ahs_len + c->rx_frame.hdr_digest_len) {
				c->rx_state = RX_AHS;
				c->rx_got = 0;
				c->rx_need = c->rx_frame.ahs_len + c->rx_frame.hdr_digest_len;
				break;
			}
			/* No AHS and no header digest: the header is complete. */
			/* fall through */
		case RX_AHS:
			if (conn_rx_header_done(c) < 0)
				break;
			if (c->rx_need == 0)
				conn_rx_data_done(c);
			break;
		case RX_DATA:
			conn_rx_data_done(c);
			break;
		}
	}
	if (c->epoch == epoch)
		conn_uncork(c);
	else
		c->cork = 0; /* closed (and maybe reconnected) under us: start clean */
}
