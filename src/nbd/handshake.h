/*
 * Server side of the fixed newstyle handshake ("Fixed newstyle
 * negotiation" in nbd-protocol.md) as a pure state machine: no I/O, no
 * allocation. The caller moves bytes:
 *
 *	nbdsrv_hs_init(&hs, &export);          greeting is now in the output
 *	loop:
 *		send nbdsrv_hs_output() bytes, then nbdsrv_hs_consume_output()
 *		if nbdsrv_hs_done() / nbdsrv_hs_failed(): stop (after output is sent)
 *		read at most nbdsrv_hs_want() bytes, nbdsrv_hs_feed() them
 *
 * Reading no more than want() bytes means the handshake never swallows a
 * byte of the transmission phase. feed() stops after each option that
 * produced a reply, so the output never holds more than one option's
 * replies (bounded by NBDSRV_HS_OUT_MAX); the caller sends them before
 * feeding more. Option data above NBDSRV_OPT_MAX_LEN is skipped, never
 * stored, and answered with NBD_REP_ERR_TOO_BIG.
 */
#ifndef ISN_NBD_HANDSHAKE_H
#define ISN_NBD_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nbd/proto.h"

/* Worst case: INFO_EXPORT, INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE and ACK for GO. */
#define NBDSRV_HS_OUT_MAX (5 * 20 + 12 + 14 + 2 * (2 + NBDSRV_STRING_MAX) + 64)

enum nbdsrv_hs_state {
	NBDSRV_HS_CLIENT_FLAGS, /* greeting queued; waiting for 32-bit client flags */
	NBDSRV_HS_OPT_HDR,	/* IHAVEOPT, option, length: 16 bytes */
	NBDSRV_HS_OPT_DATA,	/* reading option data into opt[] */
	NBDSRV_HS_OPT_SKIP,	/* discarding oversized option data */
	NBDSRV_HS_TLS,		/* STARTTLS acknowledged: the caller runs the TLS handshake */
	NBDSRV_HS_DONE,		/* transmission phase: send output, then hand the socket over */
	NBDSRV_HS_CLOSE,	/* abort or protocol violation: send output, then close */
	NBDSRV_HS__COUNT,
};

struct nbdsrv_hs {
	enum nbdsrv_hs_state state;
	const struct nbdsrv_export *ex; /* borrowed */
	uint32_t client_flags;
	bool no_zeroes;
	uint32_t opt;	  /* current option */
	uint32_t opt_len; /* its data length from the header */
	uint32_t got;	  /* bytes of the current unit received */
	const char *why;  /* reason for CLOSE, for the caller's log line */
	uint32_t opt_count;
	uint8_t tls;	 /* enum nbdsrv_tls_mode (nbd/tls.h): OFF, ON, REQUIRE */
	bool tls_active; /* TLS initiated: no more TLS_REQD, STARTTLS is INVALID */
	uint8_t in[NBDSRV_OPT_MAX_LEN];
	uint8_t out[NBDSRV_HS_OUT_MAX];
	size_t out_len;
};

void nbdsrv_hs_init(struct nbdsrv_hs *hs, const struct nbdsrv_export *ex);

/* Bytes the machine expects next (0 in DONE and CLOSE, or while output is pending). */
size_t nbdsrv_hs_want(const struct nbdsrv_hs *hs);

/*
 * Feed received bytes; returns how many were consumed. Consumes across
 * units until a reply is produced or the handshake ends, and never past the
 * end of the handshake; it consumes all of len otherwise.
 */
size_t nbdsrv_hs_feed(struct nbdsrv_hs *hs, const uint8_t *buf, size_t len);

/* 0 off, 1 on, 2 require (enum nbdsrv_tls_mode); call right after init. */
void nbdsrv_hs_set_tls(struct nbdsrv_hs *hs, unsigned mode);

/* The TLS handshake after STARTTLS succeeded: back to reading options. */
void nbdsrv_hs_tls_started(struct nbdsrv_hs *hs);

static inline bool nbdsrv_hs_wants_tls(const struct nbdsrv_hs *hs)
{
	return hs->state == NBDSRV_HS_TLS && hs->out_len == 0;
}

static inline const uint8_t *nbdsrv_hs_output(const struct nbdsrv_hs *hs, size_t *len)
{
	*len = hs->out_len;
	return hs->out;
}

/* The caller sent n bytes of the output. */
void nbdsrv_hs_consume_output(struct nbdsrv_hs *hs, size_t n);

static inline bool nbdsrv_hs_done(const struct nbdsrv_hs *hs)
{
	return hs->state == NBDSRV_HS_DONE;
}

static inline bool nbdsrv_hs_failed(const struct nbdsrv_hs *hs)
{
	return hs->state == NBDSRV_HS_CLOSE;
}

const char *nbdsrv_hs_state_name(enum nbdsrv_hs_state s);

#endif
