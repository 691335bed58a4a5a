/*
 * What conn.c shares with conn_uring.c, its io_uring engine; private to the
 * connection.
 */
#ifndef ISN_SESSION_CONN_INT_H
#define ISN_SESSION_CONN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "session/conn.h"

enum conn_rx_state {
	RX_BHS,	 /* the 48-byte BHS */
	RX_AHS,	 /* AHS + header digest */
	RX_DATA, /* data segment + pad + data digest */
};

/* Read-ahead buffer; a step with more than this left reads without it. */
#define CONN_RA_SIZE (64u * 1024)

/* Close, then report the error to the owner. */
void conn_fail(struct conn *c, enum conn_err e, int err, const char *what);
/*
 * Run the receive state machine over what the read-ahead buffer holds,
 * reading the socket at most reads times more (0: the buffer only).
 */
void conn_rx_run(struct conn *c, unsigned int reads);
/*
 * The unsent part of the queue's head PDUs as iov (CONN_TX_IOV entries);
 * each PDU gathered gets inflight = mark. Returns the count.
 */
unsigned int conn_tx_gather(struct conn *c, struct iovec *iov, bool mark);
/* w bytes went out: retire the PDUs they complete. -1 if a sent callback closed us. */
int conn_tx_advance(struct conn *c, size_t w);

/* conn_uring.c */
int conn_uring_init(struct conn *c); /* -1 with errno set */
int conn_uring_rx_arm(struct conn *c);
void conn_uring_flush(struct conn *c);
void conn_uring_cancel(struct conn *c);

#endif
