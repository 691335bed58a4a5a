/*
 * One iSCSI TCP connection: non-blocking connect, PDU receive state machine
 * and the send queue. Private to src/session (the session engine is its only
 * user); it knows PDU framing and digests but not what PDUs mean.
 *
 * Receive: BHS -> AHS + header digest -> (owner decides where the data
 * goes) -> data segment -> padding -> data digest -> owner handles the PDU.
 * Every read also asks for up to CONN_RA_SIZE bytes past the current step
 * into a read-ahead buffer, so a burst of small PDUs (4 KiB Data-In, SCSI
 * Responses) costs one read() for many; large data segments are read
 * straight into their destination.
 * The owner's on_hdr may point the data segment straight at a task's
 * buffers (Data-In lands in the task's iovec, RFC 7143 11.7); otherwise it
 * goes to the connection's own buffer, sized to our declared
 * MaxRecvDataSegmentLength (iscsi_pdu_frame() rejects longer segments before
 * anything is read).
 *
 * Send: the owner fills a struct conn_pdu it owns (BHS and data iovec
 * borrowed from the task) and queues it. The connection adds the header and
 * data digests and padding, writes as many queued PDUs per sendmsg() as it
 * can, resumes partial writes, arms EV_WRITE only on EAGAIN, and calls the
 * PDU's sent callback once its last byte is in the socket. A PDU must stay
 * alive and unchanged while queued.
 *
 * With the io_uring engine (util/uring.h) the socket I/O goes through the
 * loop's ring instead: one recv in flight into the read-ahead buffer (the
 * steps take everything from there), one sendmsg in flight for the head of
 * the queue; conn_close cancels both and waits for the kernel to let go of
 * the buffers before it returns.
 *
 * Errors are reported once through on_error with a static description; the
 * connection logs nothing itself (the session logs the death, once).
 *
 * Callbacks may call conn_close(); the connection notices and stops.
 */
#ifndef ISN_SESSION_CONN_H
#define ISN_SESSION_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <ev.h>

#include "session/pdu.h"
#include "util/list.h"
#include "util/rdahead.h"
#include "util/uring.h"

struct conn;

/* A data segment spans at most this many caller buffers. */
#define CONN_PDU_IOV 8
/* iovecs gathered into one sendmsg(). */
#define CONN_TX_IOV 64

struct conn_pdu {
	struct list_node node;
	/* BHS; the connection appends the header digest (no AHS on send). */
	uint8_t hdr[ISCSI_PDU_BHS_LEN + ISCSI_PDU_DIGEST_LEN];
	struct iovec data[CONN_PDU_IOV]; /* borrowed until sent */
	unsigned int data_cnt;
	uint32_t data_len;
	/* Called when the whole PDU is in the socket (not on close). */
	void (*sent)(struct conn *c, struct conn_pdu *p);
	void *owner;

	/* Private to the connection. */
	uint8_t trailer[3 + ISCSI_PDU_DIGEST_LEN];
	uint32_t hdr_len, trailer_len, total;
	uint32_t off; /* bytes written; > 0 means the target may have seen part of it */
	bool queued;
	bool inflight; /* in the io_uring send in flight (the target may see it) */
};

enum conn_err {
	CONN_ERR_CONNECT,  /* connect failed */
	CONN_ERR_EOF,	   /* orderly shutdown by the peer */
	CONN_ERR_IO,	   /* read / write error (errno given) */
	CONN_ERR_PROTOCOL, /* framing: bad opcode, DataSegmentLength over our limit */
	CONN_ERR_DIGEST,   /* header or data digest mismatch */
};

struct conn_ops {
	void (*on_connected)(struct conn *c);
	/*
	 * A header arrived (BHS + AHS, header digest verified). Return <0 to
	 * stop (the owner has closed the connection), 0 to receive the data
	 * segment into the connection's buffer, or n > 0: the segment goes to
	 * iov[0..n), which the owner filled and which covers exactly the
	 * segment length. iov has CONN_PDU_IOV entries.
	 */
	int (*on_hdr)(struct conn *c, const uint8_t *bhs, struct iovec *iov);
	/*
	 * The whole PDU arrived and its digests are good. data is the
	 * connection's buffer (0 from on_hdr) or NULL (placed by the owner).
	 * Return <0 if the connection was closed.
	 */
	int (*on_pdu)(struct conn *c, const uint8_t *bhs, const uint8_t *data, uint32_t len);
	void (*on_error)(struct conn *c, enum conn_err e, int err, const char *what);
};

struct conn_stats {
	uint64_t bytes_in, bytes_out, pdus_in, pdus_out;
};

struct conn {
	struct ev_loop *loop;
	const struct conn_ops *ops;
	void *owner;
	int fd;
	unsigned int epoch; /* bumped by conn_close: callers notice a reconnect */
	bool connecting;
	ev_io rio, wio;

	/* What applies to the PDUs we send / receive (changes at login end). */
	bool tx_header_digest, tx_data_digest;
	struct iscsi_pdu_rx_params rx;

	/* Receive state machine. */
	int rx_state;
	uint8_t rx_hdr[ISCSI_PDU_BHS_LEN + ISCSI_PDU_AHS_MAX + ISCSI_PDU_DIGEST_LEN];
	uint32_t rx_got;  /* bytes of the current step received */
	uint32_t rx_need; /* bytes the current step needs */
	struct iscsi_pdu_frame rx_frame;
	struct iovec rx_iov[CONN_PDU_IOV + 1];
	unsigned int rx_iov_cnt;
	bool rx_direct;
	uint8_t rx_trailer[3 + ISCSI_PDU_DIGEST_LEN];
	uint8_t *rx_buf; /* own buffer for data segments */
	uint32_t rx_buf_size;
	/* Bytes past the current step, taken by the steps that follow. */
	struct rdahead ra;
	bool rx_big; /* the last PDU's data segment was larger than the read-ahead */

	/* Send queue of struct conn_pdu. */
	struct list_node txq;
	unsigned int cork;
	bool in_flush;
	ev_prepare flush_w; /* the deferred write (util/evdefer.h) */

	struct conn_stats stats;
	ev_tstamp last_rx; /* the loop's time (ev_now) of the last read that brought bytes */

	/* --io-engine uring (conn_uring.c); NULL: libev readiness and read / sendmsg. */
	struct uring *ring;
	struct uring_op rx_op, tx_op; /* a recv into ra.buf (or readv of rx_uiov), a sendmsg */
	bool rx_udirect;	      /* the receive goes straight to the data segment's buffers */
	struct iovec rx_uiov[CONN_PDU_IOV + 1];
	struct msghdr tx_mh;
	struct iovec tx_iov[CONN_TX_IOV];
};

/* Set up (no socket). rx_buf_size: largest data segment we will accept. */
int conn_init(struct conn *c, struct ev_loop *loop, const struct conn_ops *ops, void *owner,
	      uint32_t rx_buf_size);

/* Start a non-blocking connect; on_connected or on_error(CONN_ERR_CONNECT) follows. */
int conn_connect(struct conn *c, const struct sockaddr *to, socklen_t to_len,
		 const char *bind_ifname, const struct sockaddr *from, socklen_t from_len);

/*
 * After conn_connect(): keepalive probes once the connection has been idle
 * for half of user_timeout_ms, and TCP_USER_TIMEOUT = user_timeout_ms (which
 * also bounds unacknowledged data and the keepalive verdict, tcp(7)).
 * Returns 0 or -errno; 0 ms does nothing.
 */
int conn_set_tcp_timeouts(struct conn *c, uint32_t user_timeout_ms);

/* Take an already connected socket (tests: one end of a socketpair). */
int conn_attach_fd(struct conn *c, int fd);

/* Receive parameters; the data-segment limit must fit the buffer. */
void conn_set_rx(struct conn *c, const struct iscsi_pdu_rx_params *p);
void conn_set_tx_digests(struct conn *c, bool header, bool data);

/*
 * Queue a PDU (BHS in p->hdr, data in p->data). Unless corked, the queue is
 * written as soon as the running event callback returns, so that the PDUs
 * queued by one callback go out in one sendmsg(). Digests and padding are
 * added here, with the digest settings in effect now.
 */
void conn_send(struct conn *c, struct conn_pdu *p);

/*
 * Take a queued PDU back. 0 if it was not started (or not queued); -EBUSY
 * if part of it is in the socket: it must then go out whole, so the caller
 * keeps its buffers alive until sent fires.
 */
int conn_cancel(struct conn *c, struct conn_pdu *p);

/* Hold sends: the queue is written after the last uncork, as conn_send does. */
void conn_cork(struct conn *c);
void conn_uncork(struct conn *c);

/*
 * Whether received bytes wait for the loop: in the socket, in the
 * read-ahead, or in a receive completed but not yet handed over. They are
 * traffic that has come but is not yet counted (a verdict of silence must
 * wait for them).
 */
bool conn_rx_waiting(struct conn *c);

/* Close the socket, drop the send queue (no sent callbacks). Idempotent. */
void conn_close(struct conn *c);
/* conn_close + free the buffer. */
void conn_fini(struct conn *c);

static inline bool conn_is_open(const struct conn *c)
{
	return c->fd >= 0;
}

/* Bytes of the iovec range [off, off+len) of src as at most max entries of dst; -EINVAL if it does
 * not fit. */
int conn_iov_slice(const struct iovec *src, unsigned int src_cnt, uint64_t off, uint32_t len,
		   struct iovec *dst, unsigned int max);

#endif
