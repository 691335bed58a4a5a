/*
 * Private to the NBD transmission-phase server (server.c: reading
 * requests, plaintext I/O and the connection's life; server_io.c: the
 * requests on the block device; server_tls.c: the bytes through TLS). Nothing else includes this.
 */
#ifndef ISN_NBD_SERVER_INT_H
#define ISN_NBD_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "nbd/server.h"
#include "util/list.h"
#include "util/log.h"
#include "util/rdahead.h"
#include "util/uring.h"

#define CONN_NAME_MAX	    64
#define DEFAULT_QUEUE_DEPTH 128
#define SEND_IOV_MAX	    64		/* replies batched into one sendmsg */
#define READ_BUDGET	    16		/* reads per wakeup before yielding to other sockets */
#define RA_SIZE		    (32u << 10) /* read-ahead: request headers and small payloads */
#define TLS_STAGE	    16384	/* one TLS record of plaintext */

struct nbdsrv_io {
	struct bdev_req breq; /* first: the bdev borrows it while in flight */
	struct nbdsrv_conn *conn;
	struct nbdsrv_req req; /* header as received */
	void *buf;	       /* pool buffer for READ / WRITE, else NULL */
	uint32_t done_len;     /* TRIM / WRITE_ZEROES: bytes completed (chunked) */
	uint32_t got;	       /* WRITE: payload bytes received */
	bool flush_after;      /* TRIM with FUA: FLUSH before replying */
	uint32_t error;	       /* NBD error of the reply */
	uint8_t reply[NBDSRV_REPLY_HDR_LEN];
	struct list_node node; /* free slots or send queue */
};

struct nbdsrv_conn {
	char name[CONN_NAME_MAX];
	char peer[CONN_NAME_MAX];
	struct ev_loop *loop;
	ev_io rio;
	ev_io wio;
	ev_timer stall; /* runs only while replies wait for the socket (send_timeout) */
	ev_tstamp send_timeout;
	ev_tstamp last_send; /* last time the socket took reply bytes */
	ev_timer fin;	     /* fires closed() from the next loop iteration, once per connection */
	int fd;
	enum nbdsrv_conn_state state;
	int close_err;
	struct log_ratelimit io_rl; /* per-request failure lines */

	struct bdev *bd;
	struct nbdsrv_export ex;
	struct nbdsrv_bufpool *pool;
	struct nbdsrv_bufwait bufwait;
	ev_timer resume; /* 0 s: retry the buffer from the loop, not from inside bufpool_put */

	uint8_t hdr[NBDSRV_REQ_HDR_LEN];
	uint32_t hdr_got;
	/*
	 * Bytes read past the current step. Empty whenever the connection
	 * waits for its socket: a state that stops reading with bytes here
	 * gets a fed read event when it reads again (conn_set_state).
	 */
	struct rdahead ra;
	bool rx_big;	       /* the last WRITE payload was larger than the read-ahead */
	ev_prepare flush_w;    /* deferred reply write (util/evdefer.h) */
	struct nbdsrv_io *cur; /* request being read (payload, discard, waiting for a buffer) */
	uint64_t discard_left;

	struct nbdsrv_io *slots;
	uint32_t nslots;
	struct list_node free_slots;
	struct list_node sendq; /* replies ready, head possibly partly sent */
	size_t send_off;	/* bytes of the head reply (header + payload) already sent */

	/*
	 * TLS: what SSL_write has not yet taken of the staged bytes
	 * (stage[stage_off, stage_len)), already counted in send_off. It is
	 * filled only when empty, so a write that would block is retried with
	 * the same bytes, as SSL_write requires.
	 */
	SSL *ssl;
	uint8_t *stage;
	uint32_t stage_off, stage_len;
	bool tls_rd_wants_write; /* SSL_read needs the socket writable */
	bool tls_wr_wants_read;	 /* SSL_write needs the socket readable */
	unsigned tls_reads_left; /* read budget of this wakeup */

	struct nbdsrv_conn_stats stats;
	nbdsrv_conn_closed_fn closed;
	void *opaque;

	/*
	 * --io-engine uring (server_uring.c), plaintext only; NULL: libev
	 * readiness and readv / sendmsg. One recv in flight, into ra_buf or
	 * (rx_direct) straight into the payload of c->cur; one sendmsg in flight
	 * for the head of sendq.
	 */
	struct uring *ring;
	struct uring_op rx_op, tx_op;
	bool rx_direct;
	bool ring_stuck; /* the kernel kept a buffer past the cancel: c is never freed */
	struct msghdr tx_mh;
	struct iovec tx_iov[SEND_IOV_MAX];
	uint8_t ra_buf[RA_SIZE];
};

/* Bytes on the wire of io's reply: the header, and a successful READ's payload. */
size_t srv_reply_len(const struct nbdsrv_io *io);

/* n more bytes of the queued replies left us: retire the replies fully sent. */
void srv_conn_sent(struct nbdsrv_conn *c, size_t n);

/* The socket is full: wait for EV_WRITE, with the stall timer. */
void srv_conn_wait_writable(struct nbdsrv_conn *c);

/* Everything queued is out. */
void srv_conn_flushed(struct nbdsrv_conn *c);

/* Hard end (EOF, socket error, protocol violation), err -errno; in-flight requests still complete.
 */
void srv_conn_dead(struct nbdsrv_conn *c, int err);

/* r bytes of the current read step arrived. */
void srv_conn_got_bytes(struct nbdsrv_conn *c, size_t r);

/* A request slot back to the free list (its buffer back to the pool). */
void srv_slot_release(struct nbdsrv_conn *c, struct nbdsrv_io *io);

/* DONE once the socket is closed and the bdev holds nothing of ours. */
void srv_conn_maybe_finish(struct nbdsrv_conn *c);

/* Queue io's reply with this NBD error; it is written after the running callback. */
void srv_conn_queue_reply(struct nbdsrv_conn *c, struct nbdsrv_io *io, uint32_t error);

/* Start a received request on the block device (server_io.c). */
void srv_io_dispatch(struct nbdsrv_conn *c, struct nbdsrv_io *io);

/* The head of sendq (unsent part) as iov, SEND_IOV_MAX entries at most; returns the count. */
size_t srv_reply_iov(struct nbdsrv_conn *c, struct iovec *iov);

/* server_uring.c: the socket I/O through the loop's io_uring. */
int srv_uring_init(struct nbdsrv_conn *c); /* -1 with errno set */
/* Queue the next recv if the state reads, nothing is buffered and none is in flight. */
void srv_uring_rx_arm(struct nbdsrv_conn *c);
void srv_uring_flush(struct nbdsrv_conn *c);
/* Cancel the recv (rx_only) or both, and wait for the kernel to let go of the buffers. */
void srv_uring_cancel(struct nbdsrv_conn *c, bool rx_only);

/* conn_flush over TLS (server_tls.c). */
void srv_conn_flush_tls(struct nbdsrv_conn *c);

/* One read step over TLS (server_tls.c): 0 progress, 1 would block, <0 connection gone. */
int srv_conn_read_tls(struct nbdsrv_conn *c, uint8_t *dst, size_t want);

/* The one place a connection changes state (server_state.c). */
void srv_conn_set_state(struct nbdsrv_conn *c, enum nbdsrv_conn_state s);
/* The states in which the socket is read. */
bool srv_state_reads(enum nbdsrv_conn_state s);

#endif
