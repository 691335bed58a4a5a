/*
 * The NBD transmission phase on one socket: read requests, run them on the
 * bdev, write simple replies. Used for the kernel's socketpair() sockets
 * (no handshake: the kernel starts in the transmission phase) and for
 * server-mode clients once listen.c has finished their handshake.
 *
 * Per connection, as an explicit state machine (nbdsrv_conn_state below):
 *
 *	READ_HDR --header--> READ_PAYLOAD (WRITE) --payload--> dispatch
 *	    |        \--no buffer--> WAIT_BUF --buffer back--> READ_PAYLOAD / dispatch
 *	    |        \--rejected WRITE--> DISCARD --payload dropped--> error reply
 *	    \--all request slots busy--> WAIT_SLOT --a reply is sent--> READ_HDR
 *	DISC or nbdsrv_conn_shutdown() -> DRAIN: in-flight requests finish, their
 *	    replies go out, then the socket is closed -> DONE
 *	EOF, socket error, bad magic -> DEAD: socket closed at once, pending
 *	    replies dropped, in-flight requests still complete -> DONE
 *
 * Many requests are in flight at once (up to queue_depth); each reply goes
 * out on this socket as soon as its request completes (the kernel requires a
 * reply on the socket the request came in on, and matches by cookie, so
 * order does not matter). Replies are written first and queued only when
 * the socket would block (EV_WRITE is armed only then). Buffers come from
 * the shared pool; without one the connection stops reading (backpressure),
 * nothing is allocated on the I/O path.
 *
 * TRIM and WRITE_ZEROES longer than BDEV_MAX_REQ_BYTES (the kernel allows
 * up to 4 GiB) are issued as consecutive chunks of at most that size; TRIM
 * with FUA is followed by a FLUSH before the reply.
 *
 * Ownership: the connection owns fd (closed by the connection) and its
 * request slots; bdev, pool and loop are borrowed and must outlive it.
 * closed() fires exactly once, from the loop (never from inside a call into
 * this module), when the socket is closed and no request is in flight; the
 * owner then calls nbdsrv_conn_free(), from the callback or later.
 * All calls on the loop thread.
 */
#ifndef ISN_NBD_SERVER_H
#define ISN_NBD_SERVER_H

#include <ev.h>
#include <stdint.h>

#include "nbd/bufpool.h"
#include "nbd/proto.h"
#include "bdev/bdev.h"
#include "nbd/tls.h"

enum nbdsrv_conn_state {
	NBDSRV_CONN_READ_HDR,
	NBDSRV_CONN_WAIT_SLOT,
	NBDSRV_CONN_WAIT_BUF,
	NBDSRV_CONN_READ_PAYLOAD,
	NBDSRV_CONN_DISCARD,
	NBDSRV_CONN_DRAIN,
	NBDSRV_CONN_DEAD,
	NBDSRV_CONN_DONE,
	NBDSRV_CONN__COUNT,
};

struct nbdsrv_conn_stats {
	uint64_t requests;	/* headers received (DISC included) */
	uint64_t bytes_read;	/* payload bytes returned by READ */
	uint64_t bytes_written; /* payload bytes accepted by WRITE */
	uint64_t errors;	/* replies with a non-zero error */
	uint64_t rejected;	/* of those, refused by the validator */
	uint32_t inflight;	/* requests the bdev holds now */
	uint32_t max_inflight;
};

struct nbdsrv_conn;

/* err: 0 after DISC / shutdown, -errno after EOF (-ECONNRESET), socket error or -EPROTO. */
typedef void (*nbdsrv_conn_closed_fn)(struct nbdsrv_conn *c, int err, void *opaque);

struct nbdsrv_conn_cfg {
	const char *name;     /* log prefix such as "nbd0 sock1", copied */
	const char *peer;     /* client address "HOST:PORT" (server mode), copied; or NULL */
	uint32_t queue_depth; /* request slots; 0 = 128 */
	/*
	 * Seconds replies may wait for a client that does not read them before
	 * the connection is dropped (-ETIMEDOUT); 0 = forever (kernel sockets:
	 * the kernel always reads). Server mode sets it: the pool is shared.
	 */
	double send_timeout;
	nbdsrv_conn_closed_fn closed;
	void *opaque;
	/*
	 * TLS session on fd after STARTTLS (server mode), or NULL: owned by the
	 * connection from nbdsrv_conn_new() on. Requests are then read with
	 * SSL_read straight into their buffers; replies are written with
	 * SSL_write, headers and small payloads gathered into one record
	 * (a 16 KiB staging copy), large payloads from their buffers.
	 */
	SSL *ssl;
};

/*
 * Take over fd (made non-blocking here) and start reading. ex is copied.
 * Returns NULL with errno set; fd is then not closed.
 */
struct nbdsrv_conn *nbdsrv_conn_new(struct ev_loop *loop, int fd, struct bdev *bd,
				    const struct nbdsrv_export *ex, struct nbdsrv_bufpool *pool,
				    const struct nbdsrv_conn_cfg *cfg);

/*
 * The LUN changed (capacity change, new flags): later requests are checked
 * against ex (copied; max_payload still clamped to the pool). For a grow,
 * call this before telling the kernel (RECONFIGURE with the new size); for a
 * shrink, after.
 */
void nbdsrv_conn_set_export(struct nbdsrv_conn *c, const struct nbdsrv_export *ex);

/* Stop reading, let in-flight requests finish and their replies go out, then close. */
void nbdsrv_conn_shutdown(struct nbdsrv_conn *c);

/* Only in state DONE (after closed() fired), or before any request was read. */
void nbdsrv_conn_free(struct nbdsrv_conn *c);

const struct nbdsrv_conn_stats *nbdsrv_conn_stats(const struct nbdsrv_conn *c);
enum nbdsrv_conn_state nbdsrv_conn_get_state(const struct nbdsrv_conn *c);
const char *nbdsrv_conn_state_name(enum nbdsrv_conn_state s);
const char *nbdsrv_conn_name(const struct nbdsrv_conn *c);

/* The TLS session, or NULL for plaintext (status output). */
SSL *nbdsrv_conn_ssl(const struct nbdsrv_conn *c);

/* The client's address as given in the config ("" for kernel sockets). */
const char *nbdsrv_conn_peer(const struct nbdsrv_conn *c);

#endif
