/*
 * The NBD connection's transmission-phase state machine: names, the legal
 * transitions and the one setter (server.h has the diagram). Split from
 * server.c so that each file stays one concern.
 */
#include "config.h"

#include <stdbool.h>

#include "nbd/server.h"
#include "nbd/server_int.h"
#include "util/log.h"
#include "util/rdahead.h"
#include "util/statecheck.h"

static const char *const conn_state_names[NBDSRV_CONN__COUNT] = {
	[NBDSRV_CONN_READ_HDR] = "READ_HDR", [NBDSRV_CONN_WAIT_SLOT] = "WAIT_SLOT",
	[NBDSRV_CONN_WAIT_BUF] = "WAIT_BUF", [NBDSRV_CONN_READ_PAYLOAD] = "READ_PAYLOAD",
	[NBDSRV_CONN_DISCARD] = "DISCARD",   [NBDSRV_CONN_DRAIN] = "DRAIN",
	[NBDSRV_CONN_DEAD] = "DEAD",	     [NBDSRV_CONN_DONE] = "DONE",
};

const char *nbdsrv_conn_state_name(enum nbdsrv_conn_state s)
{
	return (unsigned)s < NBDSRV_CONN__COUNT ? conn_state_names[s] : "?";
}

bool srv_state_reads(enum nbdsrv_conn_state s)
{
	return s == NBDSRV_CONN_READ_HDR || s == NBDSRV_CONN_READ_PAYLOAD ||
	       s == NBDSRV_CONN_DISCARD;
}

/*
 * Legal transitions, from the code as it is (the diagram in server.h): a
 * header leads to its payload, a wait for a buffer or a slot, or a
 * discard; every reading or waiting state goes back to READ_HDR (or
 * WAIT_SLOT when the slots ran out) when its request is dispatched. Every
 * state before DEAD may end hard (DEAD) and every reading or waiting state
 * may drain (DISC, nbdsrv_conn_shutdown()); DRAIN and DEAD end in DONE,
 * which is terminal.
 */
#define ST_BIT(st)    (1u << (st))
#define CONN_ENDS     (ST_BIT(NBDSRV_CONN_DRAIN) | ST_BIT(NBDSRV_CONN_DEAD))
#define CONN_NEXT_HDR (ST_BIT(NBDSRV_CONN_READ_HDR) | ST_BIT(NBDSRV_CONN_WAIT_SLOT))
static const unsigned int conn_legal[NBDSRV_CONN__COUNT] = {
	[NBDSRV_CONN_READ_HDR] = ST_BIT(NBDSRV_CONN_WAIT_SLOT) | ST_BIT(NBDSRV_CONN_WAIT_BUF) |
				 ST_BIT(NBDSRV_CONN_READ_PAYLOAD) | ST_BIT(NBDSRV_CONN_DISCARD) |
				 CONN_ENDS,
	[NBDSRV_CONN_WAIT_SLOT] = ST_BIT(NBDSRV_CONN_READ_HDR) | CONN_ENDS,
	[NBDSRV_CONN_WAIT_BUF] = ST_BIT(NBDSRV_CONN_READ_PAYLOAD) | CONN_NEXT_HDR | CONN_ENDS,
	[NBDSRV_CONN_READ_PAYLOAD] = CONN_NEXT_HDR | CONN_ENDS,
	[NBDSRV_CONN_DISCARD] = CONN_NEXT_HDR | CONN_ENDS,
	[NBDSRV_CONN_DRAIN] = ST_BIT(NBDSRV_CONN_DEAD) | ST_BIT(NBDSRV_CONN_DONE),
	[NBDSRV_CONN_DEAD] = ST_BIT(NBDSRV_CONN_DONE),
	[NBDSRV_CONN_DONE] = 0,
};

/*
 * The one place a connection changes state: checks the transition (debug
 * builds), logs it at debug level and decides whether the socket is read.
 */
void srv_conn_set_state(struct nbdsrv_conn *c, enum nbdsrv_conn_state s)
{
	bool was_reading = srv_state_reads(c->state);

	if (c->state == s)
		return;
	STATE_CHECK(conn_legal[c->state] & ST_BIT(s), c->name, nbdsrv_conn_state_name(c->state),
		    nbdsrv_conn_state_name(s));
	dbg(LOG_SUB_NBD, "%s: %s -> %s", c->name, nbdsrv_conn_state_name(c->state),
	    nbdsrv_conn_state_name(s));
	c->state = s;
	if (srv_state_reads(s) && c->fd >= 0) {
		if (!c->ring)
			ev_io_start(c->loop, &c->rio);
		/* Requests already read ahead (by us or by TLS) would not wake the poll. */
		if ((rdahead_avail(&c->ra) || (c->ssl && nbdsrv_tls_pending(c->ssl))) &&
		    !was_reading)
			ev_feed_event(c->loop, &c->rio, EV_READ);
		else if (c->ring)
			srv_uring_rx_arm(c);
	} else {
		ev_io_stop(c->loop, &c->rio);
	}
}
