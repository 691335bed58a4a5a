/*
 * NBD server mode: listen on a Unix socket or TCP, accept many clients, run
 * the fixed newstyle handshake (handshake.h) on each, then hand the socket
 * to the transmission engine (server.h). All clients share the one bdev and
 * the one buffer pool; advertise NBD_FLAG_CAN_MULTI_CONN in the export when
 * more than one client may write (safe: see nbdsrv_tflags_from_info).
 *
 * Addresses:
 *	unix:/run/x.sock or any string with a '/'   Unix socket, created with
 *	    mode 0600 unless told otherwise; a stale socket file (nobody
 *	    accepting) is removed, a live one is an error (-EADDRINUSE)
 *	HOST:PORT, [V6ADDR]:PORT, :PORT             TCP, IPv4 or IPv6, TCP_NODELAY
 *
 * A client that does not finish its handshake within hs_timeout seconds is
 * dropped (one timer per client during the handshake only); the TLS
 * handshake after STARTTLS is part of it. max_clients bounds two counts
 * apart: clients in transmission (one more connection is closed at once,
 * and one that ends its handshake while they are full is closed then), and
 * clients in the handshake (one more connection drops the oldest of them),
 * so half-open handshakes never keep a client out of transmission and
 * never hold more than max_clients handshake states.
 *
 * TLS (tls.h): tls_mode OFF serves plaintext only; ON offers STARTTLS;
 * REQUIRE refuses every option before it (NBD_REP_ERR_TLS_REQD). ON and
 * REQUIRE need tls (the credentials, borrowed: they must outlive the
 * listener). Which mode an address should get is the caller's policy.
 * All calls on the loop thread.
 */
#ifndef ISN_NBD_LISTEN_H
#define ISN_NBD_LISTEN_H

#include <ev.h>
#include <stdint.h>
#include <sys/types.h>

#include "nbd/bufpool.h"
#include "nbd/proto.h"
#include "nbd/server.h"
#include "bdev/bdev.h"
#include "nbd/tls.h"
#include "nbd/worker.h"

struct nbdsrv_listener;

struct nbdsrv_listen_cfg {
	const char *addr;     /* see above */
	mode_t unix_mode;     /* 0 = 0600 */
	uint32_t queue_depth; /* per client; 0 = server.c's default */
	uint32_t max_clients; /* 0 = 64; in transmission, and apart in the handshake */
	double hs_timeout;    /* seconds; 0 = 30 */
	double send_timeout;  /* seconds a client may leave replies unread; 0 = 60, < 0 = never */
	enum nbdsrv_tls_mode tls_mode;
	struct nbdsrv_tls *tls; /* borrowed; needed unless tls_mode is OFF */
	/*
	 * Optional: clients in transmission run on these worker threads
	 * (worker.h, borrowed), not on loop; pool and bd are then unused.
	 */
	struct nbdsrv_workers *workers;
	/* Optional: after nbdsrv_listen_stop(), called once from the loop when no client is left */
	void (*drained)(struct nbdsrv_listener *l, void *opaque);
	void *opaque;
};

/*
 * Bind, listen and start accepting. ex is copied (its strings are borrowed);
 * bd and pool are borrowed. Returns NULL with errno set.
 */
struct nbdsrv_listener *nbdsrv_listen_new(struct ev_loop *loop, struct bdev *bd,
					  struct nbdsrv_bufpool *pool,
					  const struct nbdsrv_export *ex,
					  const struct nbdsrv_listen_cfg *cfg);

/* Stop accepting, drop clients in the handshake, shut down the others (they drain). */
void nbdsrv_listen_stop(struct nbdsrv_listener *l);

/* The TCP port listened on (useful with ":0"), or -1 for a Unix socket. */
int nbdsrv_listen_port(const struct nbdsrv_listener *l);

/* Clients still open (handshake or transmission). */
unsigned nbdsrv_listen_nclients(const struct nbdsrv_listener *l);

/* Call fn for every client in the transmission phase (status output). */
void nbdsrv_listen_foreach(struct nbdsrv_listener *l,
			   void (*fn)(const struct nbdsrv_conn *c, void *arg), void *arg);

/*
 * The export changed (online growth): clients connected from now on see ex
 * in their handshake, and connected clients check requests against it
 * (their handshake already told them the old size; NBD has no way to tell
 * them more, so they keep using the old size until they reconnect).
 */
void nbdsrv_listen_set_export(struct nbdsrv_listener *l, const struct nbdsrv_export *ex);

/* After stop() and once nclients() is 0: close and unlink the socket, free. */
void nbdsrv_listen_free(struct nbdsrv_listener *l);

#endif
