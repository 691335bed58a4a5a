/*
 * Fixed newstyle handshake, server side. See handshake.h for the contract;
 * section names refer to nbd-protocol.md.
 */
#include "config.h"

#include <assert.h>
#include <string.h>

#include "nbd/handshake.h"
#include "util/bytes.h"
#include "util/compiler.h"
#include "util/log.h"
#include "util/statecheck.h"

static const char *const hs_state_names[NBDSRV_HS__COUNT] = {
	[NBDSRV_HS_CLIENT_FLAGS] = "CLIENT_FLAGS",
	[NBDSRV_HS_OPT_HDR] = "OPT_HDR",
	[NBDSRV_HS_OPT_DATA] = "OPT_DATA",
	[NBDSRV_HS_OPT_SKIP] = "OPT_SKIP",
	[NBDSRV_HS_TLS] = "TLS",
	[NBDSRV_HS_DONE] = "DONE",
	[NBDSRV_HS_CLOSE] = "CLOSE",
};

const char *nbdsrv_hs_state_name(enum nbdsrv_hs_state s)
{
	return (unsigned)s < NBDSRV_HS__COUNT ? hs_state_names[s] : "?";
}

/*
 * Legal transitions, from the code as it is: client flags, then options
 * (header, then data or a skip of oversized data, then the next header:
 * OPT_HDR -> OPT_HDR when an option has no data), STARTTLS pauses in TLS
 * until the caller has upgraded the socket. An option's answer may end the
 * negotiation (DONE) and any step may fail (CLOSE); both are terminal.
 * Entering OPT_HDR again is a transition too: it restarts the unit.
 */
#define ST_BIT(st) (1u << (st))
static const unsigned int hs_legal[NBDSRV_HS__COUNT] = {
	[NBDSRV_HS_CLIENT_FLAGS] = ST_BIT(NBDSRV_HS_OPT_HDR) | ST_BIT(NBDSRV_HS_CLOSE),
	[NBDSRV_HS_OPT_HDR] = ST_BIT(NBDSRV_HS_OPT_HDR) | ST_BIT(NBDSRV_HS_OPT_DATA) |
			      ST_BIT(NBDSRV_HS_OPT_SKIP) | ST_BIT(NBDSRV_HS_TLS) |
			      ST_BIT(NBDSRV_HS_DONE) | ST_BIT(NBDSRV_HS_CLOSE),
	[NBDSRV_HS_OPT_DATA] = ST_BIT(NBDSRV_HS_OPT_HDR),
	[NBDSRV_HS_OPT_SKIP] = ST_BIT(NBDSRV_HS_OPT_HDR),
	[NBDSRV_HS_TLS] = ST_BIT(NBDSRV_HS_OPT_HDR),
	[NBDSRV_HS_DONE] = 0,
	[NBDSRV_HS_CLOSE] = 0,
};

/*
 * The one place a handshake changes state: checks the transition (debug
 * builds) and logs it at debug level.
 */
static void hs_set_state(struct nbdsrv_hs *hs, enum nbdsrv_hs_state s)
{
	STATE_CHECK(hs_legal[hs->state] & ST_BIT(s), "nbd handshake",
		    nbdsrv_hs_state_name(hs->state), nbdsrv_hs_state_name(s));
	dbg(LOG_SUB_NBD, "nbd handshake: %s -> %s", nbdsrv_hs_state_name(hs->state),
	    nbdsrv_hs_state_name(s));
	hs->state = s;
	hs->got = 0;
}

static void hs_fail(struct nbdsrv_hs *hs, const char *why)
{
	hs->why = why;
	hs_set_state(hs, NBDSRV_HS_CLOSE);
}

static uint8_t *out_reserve(struct nbdsrv_hs *hs, size_t n)
{
	uint8_t *p = hs->out + hs->out_len;

	/* Every reply is bounded by NBDSRV_HS_OUT_MAX by construction. */
	assert(hs->out_len + n <= sizeof(hs->out));
	hs->out_len += n;
	return p;
}

/* "Fixed newstyle negotiation": magic 64, option 32, reply type 32, length 32. */
static uint8_t *put_rep(struct nbdsrv_hs *hs, uint32_t type, uint32_t len)
{
	uint8_t *p = out_reserve(hs, 20 + (size_t)len);

	put_be64(p, NBDSRV_OPT_REPLY_MAGIC);
	put_be32(p + 8, hs->opt);
	put_be32(p + 12, type);
	put_be32(p + 16, len);
	return p + 20;
}

static size_t cap_strlen(const char *s)
{
	return s ? strnlen(s, NBDSRV_STRING_MAX) : 0;
}

static void put_info_string(struct nbdsrv_hs *hs, uint16_t info, const char *s)
{
	size_t n = cap_strlen(s);
	uint8_t *p = put_rep(hs, NBDSRV_REP_INFO, (uint32_t)(2 + n));

	put_be16(p, info);
	memcpy(p + 2, s, n);
}

void nbdsrv_hs_init(struct nbdsrv_hs *hs, const struct nbdsrv_export *ex)
{
	uint8_t *p;

	memset(hs, 0, offsetof(struct nbdsrv_hs, in));
	hs->out_len = 0;
	hs->ex = ex;
	hs->state = NBDSRV_HS_CLIENT_FLAGS; /* the initial state: not a transition */
	/* "Newstyle negotiation": NBDMAGIC, IHAVEOPT, 16-bit handshake flags. */
	p = out_reserve(hs, 18);
	put_be64(p, NBDSRV_INIT_PASSWD);
	put_be64(p + 8, NBDSRV_IHAVEOPT);
	put_be16(p + 16, NBDSRV_FLAG_FIXED_NEWSTYLE | NBDSRV_FLAG_NO_ZEROES);
}

size_t nbdsrv_hs_want(const struct nbdsrv_hs *hs)
{
	if (hs->out_len)
		return 0;
	switch (hs->state) {
	case NBDSRV_HS_CLIENT_FLAGS:
		return 4 - hs->got;
	case NBDSRV_HS_OPT_HDR:
		return 16 - hs->got;
	case NBDSRV_HS_OPT_DATA:
	case NBDSRV_HS_OPT_SKIP:
		return hs->opt_len - hs->got;
	default:
		return 0;
	}
}

void nbdsrv_hs_consume_output(struct nbdsrv_hs *hs, size_t n)
{
	assert(n <= hs->out_len);
	memmove(hs->out, hs->out + n, hs->out_len - n);
	hs->out_len -= n;
}

static bool name_matches(const struct nbdsrv_hs *hs, const uint8_t *name, uint32_t len)
{
	/* The empty name selects the default export, which is our only one. */
	if (len == 0)
		return true;
	return len == strlen(hs->ex->name) && memcmp(name, hs->ex->name, len) == 0;
}

static void opt_export_name(struct nbdsrv_hs *hs)
{
	uint8_t *p;

	/* "If the server is unwilling to allow the export, it MUST terminate the session." */
	if (!name_matches(hs, hs->in, hs->opt_len)) {
		hs_fail(hs, "EXPORT_NAME of an unknown export");
		return;
	}
	/* Size 64, transmission flags 16, then 124 zeroes unless NO_ZEROES. */
	p = out_reserve(hs, 10 + (hs->no_zeroes ? 0 : 124));
	put_be64(p, hs->ex->size);
	put_be16(p + 8, hs->ex->tflags);
	if (!hs->no_zeroes)
		memset(p + 10, 0, 124);
	hs_set_state(hs, NBDSRV_HS_DONE);
}

static void opt_list(struct nbdsrv_hs *hs)
{
	size_t n = cap_strlen(hs->ex->name);
	uint8_t *p;

	/* "The client MUST NOT send any additional data ... SHOULD reject ... INVALID". */
	if (hs->opt_len != 0) {
		put_rep(hs, NBDSRV_REP_ERR_INVALID, 0);
		return;
	}
	p = put_rep(hs, NBDSRV_REP_SERVER, (uint32_t)(4 + n));
	put_be32(p, (uint32_t)n);
	memcpy(p + 4, hs->ex->name, n);
	put_rep(hs, NBDSRV_REP_ACK, 0);
}

static void opt_info_go(struct nbdsrv_hs *hs)
{
	const uint8_t *d = hs->in;
	uint32_t len = hs->opt_len, namelen, nreq, i;
	bool want_name = false, want_desc = false;
	uint8_t *p;

	/* Data: name length 32, name, number of requests 16, requests 16 x n. */
	if (len < 6) {
		put_rep(hs, NBDSRV_REP_ERR_INVALID, 0);
		return;
	}
	namelen = get_be32(d);
	if (namelen > len - 6) {
		put_rep(hs, NBDSRV_REP_ERR_INVALID, 0);
		return;
	}
	nreq = get_be16(d + 4 + namelen);
	if ((uint64_t)4 + namelen + 2 + 2ull * nreq != len) {
		put_rep(hs, NBDSRV_REP_ERR_INVALID, 0);
		return;
	}
	if (!name_matches(hs, d + 4, namelen)) {
		put_rep(hs, NBDSRV_REP_ERR_UNKNOWN, 0);
		return;
	}
	for (i = 0; i < nreq; i++) {
		uint16_t info = get_be16(d + 4 + namelen + 2 + 2 * i);

		/* "The server MUST ignore any information requests it does not understand." */
		if (info == NBDSRV_INFO_NAME)
			want_name = true;
		else if (info == NBDSRV_INFO_DESCRIPTION)
			want_desc = true;
	}

	p = put_rep(hs, NBDSRV_REP_INFO, 12);
	put_be16(p, NBDSRV_INFO_EXPORT);
	put_be64(p + 2, hs->ex->size);
	put_be16(p + 10, hs->ex->tflags);
	if (want_name)
		put_info_string(hs, NBDSRV_INFO_NAME, hs->ex->name);
	if (want_desc && hs->ex->description)
		put_info_string(hs, NBDSRV_INFO_DESCRIPTION, hs->ex->description);
	/*
	 * Always sent, requested or not: our minimum block (the LUN's logical
	 * block) is not the default of 1, and "MUST send this info if it is
	 * requested and it intends to enforce size constraints other than the
	 * defaults"; clients that did not ask ignore it.
	 */
	p = put_rep(hs, NBDSRV_REP_INFO, 14);
	put_be16(p, NBDSRV_INFO_BLOCK_SIZE);
	put_be32(p + 2, hs->ex->min_block);
	put_be32(p + 6, hs->ex->pref_block);
	put_be32(p + 10, hs->ex->max_payload);
	put_rep(hs, NBDSRV_REP_ACK, 0);
	if (hs->opt == NBDSRV_OPT_GO)
		hs_set_state(hs, NBDSRV_HS_DONE);
}

void nbdsrv_hs_set_tls(struct nbdsrv_hs *hs, unsigned mode)
{
	hs->tls = (uint8_t)mode;
}

void nbdsrv_hs_tls_started(struct nbdsrv_hs *hs)
{
	assert(hs->state == NBDSRV_HS_TLS);
	hs->tls_active = true;
	hs_set_state(hs, NBDSRV_HS_OPT_HDR);
}

static void opt_starttls(struct nbdsrv_hs *hs)
{
	/* NOTLS: "MUST respond with NBD_REP_ERR_POLICY ... NBD_REP_ERR_UNSUP". */
	if (hs->tls == 0) {
		put_rep(hs, NBDSRV_REP_ERR_UNSUP, 0);
		return;
	}
	/* "when TLS has already been negotiated, it MUST reply with NBD_REP_ERR_INVALID". */
	if (hs->tls_active || hs->opt_len != 0) {
		put_rep(hs, NBDSRV_REP_ERR_INVALID, 0);
		return;
	}
	put_rep(hs, NBDSRV_REP_ACK, 0);
	hs_set_state(hs, NBDSRV_HS_TLS);
}

/* FORCEDTLS before the upgrade: true when the option was answered (or the session ended). */
static bool tls_required(struct nbdsrv_hs *hs)
{
	if (hs->tls != 2 || hs->tls_active || hs->opt == NBDSRV_OPT_STARTTLS ||
	    hs->opt == NBDSRV_OPT_ABORT)
		return false;
	/* "as this request cannot error, it MUST terminate the session". */
	if (hs->opt == NBDSRV_OPT_EXPORT_NAME)
		hs_fail(hs, "EXPORT_NAME without TLS, which this server requires");
	else
		put_rep(hs, NBDSRV_REP_ERR_TLS_REQD, 0);
	return true;
}

static void handle_option(struct nbdsrv_hs *hs)
{
	hs->opt_count++;
	hs_set_state(hs, NBDSRV_HS_OPT_HDR);
	if (tls_required(hs))
		return;
	switch (hs->opt) {
	case NBDSRV_OPT_STARTTLS:
		opt_starttls(hs);
		break;
	case NBDSRV_OPT_EXPORT_NAME:
		opt_export_name(hs);
		break;
	case NBDSRV_OPT_ABORT:
		/* "The server MUST reply with NBD_REP_ACK"; data is ignored. */
		put_rep(hs, NBDSRV_REP_ACK, 0);
		hs_fail(hs, "client sent NBD_OPT_ABORT");
		break;
	case NBDSRV_OPT_LIST:
		opt_list(hs);
		break;
	case NBDSRV_OPT_INFO:
	case NBDSRV_OPT_GO:
		opt_info_go(hs);
		break;
	default:
		/*
		 * STRUCTURED_REPLY
		 * (optional; the kernel never uses it), meta contexts (need
		 * structured replies), extended headers and anything unknown.
		 */
		put_rep(hs, NBDSRV_REP_ERR_UNSUP, 0);
		break;
	}
}

static void unit_complete(struct nbdsrv_hs *hs)
{
	uint32_t flags;

	switch (hs->state) {
	case NBDSRV_HS_CLIENT_FLAGS:
		flags = get_be32(hs->in);
		/* "the server MUST drop the TCP connection if the client sets an unknown flag". */
		if (flags & ~(NBDSRV_FLAG_C_FIXED_NEWSTYLE | NBDSRV_FLAG_C_NO_ZEROES)) {
			hs_fail(hs, "unknown client flags");
			return;
		}
		hs->client_flags = flags;
		hs->no_zeroes = flags & NBDSRV_FLAG_C_NO_ZEROES;
		hs_set_state(hs, NBDSRV_HS_OPT_HDR);
		break;
	case NBDSRV_HS_OPT_HDR:
		if (get_be64(hs->in) != NBDSRV_IHAVEOPT) {
			hs_fail(hs, "bad option magic");
			return;
		}
		hs->opt = get_be32(hs->in + 8);
		hs->opt_len = get_be32(hs->in + 12);
		if (hs->opt_len > NBDSRV_OPT_MAX_LEN) {
			/* EXPORT_NAME cannot answer an error: the session must end. */
			if (hs->opt == NBDSRV_OPT_EXPORT_NAME && hs->tls == 2 && !hs->tls_active) {
				hs_fail(hs, "EXPORT_NAME without TLS, which this server requires");
				return;
			}
			if (hs->opt == NBDSRV_OPT_EXPORT_NAME) {
				hs_fail(hs, "EXPORT_NAME too long");
				return;
			}
			hs_set_state(hs, NBDSRV_HS_OPT_SKIP);
		} else if (hs->opt_len == 0) {
			handle_option(hs);
		} else {
			hs_set_state(hs, NBDSRV_HS_OPT_DATA);
		}
		break;
	case NBDSRV_HS_OPT_DATA:
		handle_option(hs);
		break;
	case NBDSRV_HS_OPT_SKIP:
		hs_set_state(hs, NBDSRV_HS_OPT_HDR);
		if (!tls_required(hs))
			put_rep(hs, NBDSRV_REP_ERR_TOO_BIG, 0);
		break;
	default:
		break;
	}
}

size_t nbdsrv_hs_feed(struct nbdsrv_hs *hs, const uint8_t *buf, size_t len)
{
	size_t used = 0;

	while (used < len) {
		size_t want = nbdsrv_hs_want(hs);
		size_t n = MIN(want, len - used);

		if (want == 0)
			break;
		if (hs->state != NBDSRV_HS_OPT_SKIP)
			memcpy(hs->in + hs->got, buf + used, n);
		hs->got += (uint32_t)n;
		used += n;
		if (n == want)
			unit_complete(hs);
	}
	return used;
}
