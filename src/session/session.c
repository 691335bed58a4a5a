/*
 * Session lifecycle: the state machine of session.h, connect, login driving
 * (login.c decides, this file moves the PDUs), redirects, death.
 * Feature-phase PDUs are handled in task.c, SendTargets in discovery.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "session/sess_int.h"
#include "util/escape.h"
#include "util/log.h"
#include "util/statecheck.h"

static const char *const state_names[] = {
	[SESS_IDLE] = "IDLE",	[SESS_CONNECTING] = "CONNECTING", [SESS_LOGIN] = "LOGIN",
	[SESS_READY] = "READY", [SESS_LOGOUT] = "LOGOUT",	  [SESS_DEAD] = "DEAD",
};

const char *sess_state_name(enum sess_state st)
{
	return (unsigned int)st < ARRAY_SIZE(state_names) ? state_names[st] : "?";
}

#define DEATH_NAME(id, name, exit, hint) [SESS_DEATH_##id] = name,
static const char *const death_names[] = {SESS_DEATH_TABLE(DEATH_NAME)};
#undef DEATH_NAME

const char *sess_death_name(enum sess_death d)
{
	return (unsigned int)d < ARRAY_SIZE(death_names) ? death_names[d] : "?";
}

/*
 * Legal transitions, from the code as it is: sess_start() connects
 * (IDLE -> CONNECTING), sess_start_fd() starts on a connected socket
 * (IDLE -> LOGIN), a redirect reconnects but stays in LOGIN, only a READY
 * session logs out, and every state but DEAD may die (sess_die(), or
 * sess_close() of a session never started). DEAD is terminal.
 */
#define ST_BIT(st) (1u << (st))
static const unsigned int sess_legal[] = {
	[SESS_IDLE] = ST_BIT(SESS_CONNECTING) | ST_BIT(SESS_LOGIN) | ST_BIT(SESS_DEAD),
	[SESS_CONNECTING] = ST_BIT(SESS_LOGIN) | ST_BIT(SESS_DEAD),
	[SESS_LOGIN] = ST_BIT(SESS_READY) | ST_BIT(SESS_DEAD),
	[SESS_READY] = ST_BIT(SESS_LOGOUT) | ST_BIT(SESS_DEAD),
	[SESS_LOGOUT] = ST_BIT(SESS_DEAD),
	[SESS_DEAD] = 0,
};
_Static_assert(ARRAY_SIZE(sess_legal) == ARRAY_SIZE(state_names), "a row per state");

/*
 * The one place that changes state: checks the transition (debug builds),
 * logs it at debug level and reports it to the owner. why and msg are the
 * death reason and message for DEAD, SESS_DEATH_NONE and "" otherwise.
 */
static void sess_enter(struct sess *s, enum sess_state st, enum sess_death why, const char *msg)
{
	STATE_CHECK(sess_legal[s->state] & ST_BIT(st), s->name, sess_state_name(s->state),
		    sess_state_name(st));
	dbg(LOG_SUB_SESSION, "%s: %s -> %s", s->name, sess_state_name(s->state),
	    sess_state_name(st));
	s->state = st;
	if (s->cb.on_state)
		s->cb.on_state(s, st, why, msg, s->opaque);
}

/* Any state but DEAD, which only sess_die() / sess_close() enter. */
void sess_set_state(struct sess *s, enum sess_state st)
{
	assert(st != SESS_DEAD);
	if (s->state == st)
		return;
	sess_enter(s, st, SESS_DEATH_NONE, "");
}

static void sess_login_end(struct sess *s)
{
	if (s->login) {
		login_destroy(s->login);
		OPENSSL_cleanse(s->login, sizeof(*s->login));
		free(s->login);
		s->login = NULL;
	}
}

/*
 * The session dies: first cause wins, logged once (the only line a death
 * produces), socket closed, state DEAD reported, then every outstanding
 * command handed back.
 */
void sess_die(struct sess *s, enum sess_death why, const char *fmt, ...)
{
	enum sess_state old = s->state;
	va_list ap;

	if (s->state == SESS_DEAD)
		return;
	va_start(ap, fmt);
	vsnprintf(s->death_msg, sizeof(s->death_msg), fmt, ap);
	va_end(ap);
	/* The reason travels to status reports: target text in it stays inert. */
	str_make_inert(s->death_msg, sizeof(s->death_msg));
	s->death = why;
	if (why == SESS_DEATH_LOGOUT || why == SESS_DEATH_CLOSED)
		log_info("%s: %s -> DEAD: %s%s%s", s->name, sess_state_name(old),
			 sess_death_name(why), *s->death_msg ? ": " : "", s->death_msg);
	else
		log_err("%s: %s -> DEAD: %s: %s", s->name, sess_state_name(old),
			sess_death_name(why), s->death_msg);
	conn_close(&s->conn);
	ev_timer_stop(s->loop, &s->login_timer);
	sess_login_end(s);
	sess_enter(s, SESS_DEAD, why, s->death_msg);
	sess_tasks_abort_all(s, why == SESS_DEATH_CLOSED);
}

/* ---- Login ---- */

static void sess_login_send(struct sess *s)
{
	struct conn_pdu *p = &s->login_pdu;
	size_t dlen = 0;
	int r;

	if (p->queued) {
		/* The previous request is still half in the socket: cannot happen
		 * before its response, which needs the whole request. */
		sess_die(s, SESS_DEATH_PROTOCOL, "login response before our request was sent");
		return;
	}
	r = login_next_request(s->login, p->hdr, s->login_data, sizeof(s->login_data), &dlen);
	if (r < 0) {
		sess_die(s, SESS_DEATH_LOGIN, "cannot build login request: %s", strerror(-r));
		return;
	}
	p->data[0].iov_base = s->login_data;
	p->data[0].iov_len = dlen;
	p->data_cnt = dlen ? 1 : 0;
	p->data_len = (uint32_t)dlen;
	p->sent = NULL;
	conn_send(&s->conn, p);
}

static int sess_login_begin(struct sess *s)
{
	struct login_config lc;
	int r;

	sess_login_end(s);
	s->login = calloc(1, sizeof(*s->login));
	if (!s->login)
		return -ENOMEM;
	memset(&lc, 0, sizeof(lc));
	lc.name = s->name;
	lc.initiator_name = s->initiator_name;
	lc.initiator_alias = s->initiator_alias;
	lc.target_name = s->cfg.discovery ? NULL : s->target_name;
	memcpy(lc.isid, s->cfg.isid, sizeof(lc.isid));
	lc.tsih = s->cfg.tsih;
	lc.cid = 0;
	lc.itt = 0;
	lc.cmdsn = s->cmdsn;
	lc.exp_statsn = 0;
	lc.chap = s->cfg.chap;
	lc.op.header_digest = (enum iscsi_digest_pref)s->cfg.header_digest;
	lc.op.data_digest = (enum iscsi_digest_pref)s->cfg.data_digest;
	lc.op.max_recv_dsl = s->cfg.max_recv_dsl;
	lc.op.first_burst = s->cfg.first_burst;
	lc.op.max_burst = s->cfg.max_burst;
	lc.op.max_outstanding_r2t = s->cfg.max_outstanding_r2t;
	lc.op.initial_r2t = s->cfg.initial_r2t;
	lc.op.no_immediate_data = s->cfg.no_immediate_data;
	lc.max_send_data = ISCSI_PDU_LOGIN_MAX_DSL;
	r = login_init(s->login, &lc);
	if (r < 0) {
		sess_die(s, SESS_DEATH_LOGIN, "%s", login_error_message(s->login));
		return r;
	}
	sess_set_state(s, SESS_LOGIN);
	if (s->state != SESS_LOGIN)
		return -ENOTCONN;
	sess_login_send(s);
	return 0;
}

/* Full feature phase: take the negotiated values and start the task machinery. */
static void sess_login_done(struct sess *s)
{
	const struct iscsi_params *p = login_params(s->login);
	struct iscsi_pdu_rx_params rx = {0};

	/* The login's result as is, but for what sess_negotiated() promises. */
	s->neg = *p;
	s->neg.max_outstanding_r2t = MIN(MAX(p->max_outstanding_r2t, 1u), (uint32_t)SESS_R2T_MAX);
	if (!s->neg.target_max_recv_dsl)
		s->neg.target_max_recv_dsl = ISCSI_PDU_LOGIN_MAX_DSL;

	/* RFC 7143 4.2.2.1: the first command carries the login's CmdSN. */
	s->exp_cmdsn = login_exp_cmdsn(s->login);
	s->max_cmdsn = login_max_cmdsn(s->login);
	s->exp_statsn = login_statsn(s->login) + 1;

	rx.header_digest = p->header_digest;
	rx.data_digest = p->data_digest;
	rx.max_recv_dsl = p->our_max_recv_dsl;
	rx.from_initiator = false;
	conn_set_rx(&s->conn, &rx);
	conn_set_tx_digests(&s->conn, p->header_digest, p->data_digest);
	ev_timer_stop(s->loop, &s->login_timer);
	sess_login_end(s);
	log_info("%s: full feature phase: digests %s/%s, MaxRecvDSL %u/%u, burst %u/%u, "
		 "ImmediateData %s, InitialR2T %s, CmdSN %u window %u..%u",
		 s->name, s->neg.header_digest ? "CRC32C" : "None",
		 s->neg.data_digest ? "CRC32C" : "None", s->neg.our_max_recv_dsl,
		 s->neg.target_max_recv_dsl, s->neg.first_burst, s->neg.max_burst,
		 s->neg.immediate_data ? "Yes" : "No", s->neg.initial_r2t ? "Yes" : "No", s->cmdsn,
		 s->exp_cmdsn, s->max_cmdsn);
	sess_set_state(s, SESS_READY);
	if (s->state == SESS_READY)
		sess_kick(s);
}

/* "host:port,tpgt" (RFC 7143 13.8) with a numeric host: IPv4 or [IPv6]. */
static int sess_parse_addr(const char *a, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *p, *port = NULL;
	size_t hl;
	struct addrinfo hints, *res = NULL;
	char portbuf[8] = "3260";
	int r;

	if (*a == '[') {
		p = strchr(a, ']');
		if (!p)
			return -EINVAL;
		hl = (size_t)(p - a - 1);
		a++;
		p++;
	} else {
		p = a + strcspn(a, ":,");
		hl = (size_t)(p - a);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, a, hl);
	host[hl] = '\0';
	if (*p == ':') {
		size_t pl;

		port = p + 1;
		pl = strcspn(port, ",");
		if (pl == 0 || pl >= sizeof(portbuf))
			return -EINVAL;
		memcpy(portbuf, port, pl);
		portbuf[pl] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, portbuf, &hints, &res);
	if (r != 0 || !res)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int sess_connect(struct sess *s);

static void sess_login_pdu(struct sess *s, const uint8_t *bhs, const uint8_t *data, uint32_t len)
{
	int r;

	if (iscsi_pdu_opcode(bhs) != ISCSI_PDU_OP_LOGIN_RSP) {
		const char *n = iscsi_pdu_opcode_name(iscsi_pdu_opcode(bhs));

		sess_die(s, SESS_DEATH_PROTOCOL, "%s PDU during login", n ? n : "reserved");
		return;
	}
	r = login_handle_response(s->login, bhs, data, len);
	switch (r) {
	case LOGIN_SEND_NEXT:
		sess_login_send(s);
		return;
	case LOGIN_DONE:
		sess_login_done(s);
		return;
	case LOGIN_REDIRECT: {
		const char *addr = login_redirect_address(s->login);

		if (++s->redirects > SESS_REDIRECT_MAX) {
			sess_die(s, SESS_DEATH_LOGIN, "too many login redirects (last to %s)",
				 addr);
			return;
		}
		if (sess_parse_addr(addr, &s->portal, &s->portal_len) < 0) {
			sess_die(s, SESS_DEATH_LOGIN, "cannot use redirect address \"%s\"", addr);
			return;
		}
		/* RFC 7143 6.2 / 11.13.5: same login, new portal; we stay in SESS_LOGIN. */
		log_notice("%s: login redirected to %s", s->name, addr);
		conn_close(&s->conn);
		r = sess_connect(s);
		if (r < 0)
			sess_die(s, SESS_DEATH_CONNECT, "connect to redirect %s: %s", addr,
				 strerror(-r));
		return;
	}
	default:
		sess_die(s,
			 (r == -EKEYREJECTED || r == -EACCES) ? SESS_DEATH_AUTH : SESS_DEATH_LOGIN,
			 "%s",
			 *login_error_message(s->login) ? login_error_message(s->login)
							: strerror(-r));
		return;
	}
}

/* ---- Connection callbacks ---- */

static void sess_on_connected(struct conn *c)
{
	struct sess *s = c->owner;

	s->last_rx = ev_now(s->loop);
	sess_login_begin(s);
}

static int sess_on_hdr(struct conn *c, const uint8_t *bhs, struct iovec *iov)
{
	struct sess *s = c->owner;

	s->last_rx = ev_now(s->loop);
	if (s->state == SESS_READY || s->state == SESS_LOGOUT)
		return sess_ffp_hdr(s, bhs, iov);
	return 0;
}

static int sess_on_pdu(struct conn *c, const uint8_t *bhs, const uint8_t *data, uint32_t len)
{
	struct sess *s = c->owner;

	s->st.pdus_in++;
	if (s->state == SESS_LOGIN) {
		sess_login_pdu(s, bhs, data, len);
		return s->state == SESS_DEAD ? -1 : 0;
	}
	if (s->state == SESS_READY || s->state == SESS_LOGOUT)
		return sess_ffp_pdu(s, bhs, data, len);
	return -1;
}

static void sess_on_error(struct conn *c, enum conn_err e, int err, const char *what)
{
	struct sess *s = c->owner;

	switch (e) {
	case CONN_ERR_CONNECT:
		sess_die(s, SESS_DEATH_CONNECT, "%s: %s", what, strerror(err));
		break;
	case CONN_ERR_EOF:
		sess_die(s, SESS_DEATH_CONN_LOST, "%s", what);
		break;
	case CONN_ERR_IO:
		sess_die(s, SESS_DEATH_CONN_LOST, "%s: %s", what, strerror(err));
		break;
	case CONN_ERR_PROTOCOL:
		sess_die(s, s->state == SESS_LOGIN ? SESS_DEATH_LOGIN : SESS_DEATH_PROTOCOL, "%s",
			 what);
		break;
	case CONN_ERR_DIGEST:
		s->st.digest_errors++;
		sess_die(s, SESS_DEATH_DIGEST, "%s", what);
		break;
	}
}

static const struct conn_ops sess_conn_ops = {
	.on_connected = sess_on_connected,
	.on_hdr = sess_on_hdr,
	.on_pdu = sess_on_pdu,
	.on_error = sess_on_error,
};

static void sess_login_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sess *s = container_of(w, struct sess, login_timer);

	if (s->state == SESS_CONNECTING)
		sess_die(s, SESS_DEATH_CONNECT, "connect timed out after %u ms",
			 s->cfg.login_timeout_ms);
	else if (s->state == SESS_LOGIN)
		sess_die(s, SESS_DEATH_LOGIN_TIMEOUT, "no login completion within %u ms",
			 s->cfg.login_timeout_ms);
}

/* ---- Public API ---- */

/* Point *field at an owned copy of its string, kept in *own (NULL stays NULL). */
static int sess_own(char **own, const char **field)
{
	if (!*field)
		return 0;
	*own = strdup(*field);
	*field = *own;
	return *own ? 0 : -ENOMEM;
}

struct sess *sess_new(struct ev_loop *loop, const struct sess_config *cfg,
		      const struct sess_callbacks *cb, void *opaque)
{
	struct sess *s;
	int r;

	if (!loop || !cfg || !cfg->initiator_name || (!cfg->discovery && !cfg->target_name) ||
	    cfg->portal_len > sizeof(cfg->portal)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->loop = loop;
	s->cfg = *cfg;
	/* The config copy must not point at the caller's strings. */
	r = chap_creds_dup(&s->cfg.chap, &cfg->chap);
	if (!s->cfg.name)
		s->cfg.name = "sess";
	r |= sess_own(&s->name, &s->cfg.name);
	r |= sess_own(&s->initiator_name, &s->cfg.initiator_name);
	r |= sess_own(&s->initiator_alias, &s->cfg.initiator_alias);
	r |= sess_own(&s->target_name, &s->cfg.target_name);
	r |= sess_own(&s->bind_ifname, &s->cfg.bind_ifname);
	if (!s->cfg.max_recv_dsl)
		s->cfg.max_recv_dsl = ISCSI_PARAM_DEF_MAX_RECV_DSL;
	if (s->cfg.max_recv_dsl > ISCSI_PDU_DSL_MAX)
		s->cfg.max_recv_dsl = ISCSI_PDU_DSL_MAX;
	if (!s->cfg.max_outstanding_r2t)
		s->cfg.max_outstanding_r2t = 1;
	if (s->cfg.max_outstanding_r2t > SESS_R2T_MAX)
		s->cfg.max_outstanding_r2t = SESS_R2T_MAX;
	if (!s->cfg.login_timeout_ms)
		s->cfg.login_timeout_ms = SESS_DEFAULT_LOGIN_TIMEOUT_MS;
	if (!s->cfg.cmd_window_max)
		s->cfg.cmd_window_max = SESS_DEFAULT_CMD_WINDOW_MAX;
	if (s->cfg.cmd_window_max > (1u << 14))
		s->cfg.cmd_window_max = 1u << 14;
	if (cb)
		s->cb = *cb;
	s->opaque = opaque;
	s->portal = cfg->portal;
	s->portal_len = cfg->portal_len;
	s->cmdsn = cfg->initial_cmdsn ? cfg->initial_cmdsn : 1;
	list_init(&s->pending);
	ev_init(&s->login_timer, sess_login_timeout);
	log_ratelimit_init(&s->target_rl, s->name ? s->name : "sess", LOG_RL_INTERVAL,
			   LOG_RL_BURST);
	if (r < 0 || conn_init(&s->conn, loop, &sess_conn_ops, s, s->cfg.max_recv_dsl) < 0 ||
	    sess_tasks_init(s) < 0) {
		sess_free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static int sess_connect(struct sess *s)
{
	struct iscsi_pdu_rx_params rx = {.max_recv_dsl = ISCSI_PDU_LOGIN_MAX_DSL};
	int r;

	conn_set_rx(&s->conn, &rx);
	conn_set_tx_digests(&s->conn, false, false);
	r = conn_connect(&s->conn, (const struct sockaddr *)&s->portal, s->portal_len,
			 s->bind_ifname, (const struct sockaddr *)&s->cfg.bind_addr,
			 s->cfg.bind_addr_len);
	if (r == 0) {
		int t = conn_set_tcp_timeouts(&s->conn, s->cfg.tcp_user_timeout_ms);

		if (t < 0)
			log_warn("%s: cannot set TCP keepalive / user timeout: %s", s->name,
				 strerror(-t));
	}
	return r;
}

static void sess_arm_login_timer(struct sess *s)
{
	ev_timer_set(&s->login_timer, s->cfg.login_timeout_ms / 1000.0, 0.);
	ev_timer_start(s->loop, &s->login_timer);
}

int sess_start(struct sess *s)
{
	int r;

	if (s->state != SESS_IDLE)
		return -EINVAL;
	if (!s->portal_len)
		return -EDESTADDRREQ;
	r = sess_connect(s);
	if (r < 0)
		return r;
	sess_arm_login_timer(s);
	sess_set_state(s, SESS_CONNECTING);
	return 0;
}

int sess_start_fd(struct sess *s, int fd)
{
	struct iscsi_pdu_rx_params rx = {.max_recv_dsl = ISCSI_PDU_LOGIN_MAX_DSL};
	int r;

	if (s->state != SESS_IDLE)
		return -EINVAL;
	conn_set_rx(&s->conn, &rx);
	conn_set_tx_digests(&s->conn, false, false);
	r = conn_attach_fd(&s->conn, fd);
	if (r < 0)
		return r;
	sess_arm_login_timer(s);
	s->last_rx = ev_now(s->loop);
	sess_login_begin(s);
	return 0;
}

enum sess_state sess_state(const struct sess *s)
{
	return s->state;
}

enum sess_death sess_death_reason(const struct sess *s)
{
	return s->death;
}

const char *sess_death_message(const struct sess *s)
{
	return s->state == SESS_DEAD ? s->death_msg : "";
}

const struct iscsi_params *sess_negotiated(const struct sess *s)
{
	return &s->neg;
}

const char *sess_name(const struct sess *s)
{
	return s->name;
}

ev_tstamp sess_last_rx(const struct sess *s)
{
	/* A PDU's header, or any part of a data segment that arrives slowly. */
	return MAX(s->last_rx, s->conn.last_rx);
}

bool sess_rx_waiting(struct sess *s)
{
	return conn_rx_waiting(&s->conn);
}

void sess_close(struct sess *s)
{
	if (s->state == SESS_DEAD)
		return;
	if (s->state == SESS_IDLE) {
		/* Nothing to close or abort: just the transition, without sess_die()'s log line. */
		s->death = SESS_DEATH_CLOSED;
		sess_enter(s, SESS_DEAD, SESS_DEATH_CLOSED, "");
		return;
	}
	sess_die(s, SESS_DEATH_CLOSED, "%s", "");
}

void sess_free(struct sess *s)
{
	if (!s)
		return;
	log_ratelimit_flush(&s->target_rl);
	conn_fini(&s->conn);
	ev_timer_stop(s->loop, &s->login_timer);
	sess_login_end(s);
	sess_tasks_fini(s);
	chap_creds_free(&s->cfg.chap);
	free(s->name);
	free(s->initiator_name);
	free(s->initiator_alias);
	free(s->target_name);
	free(s->bind_ifname);
	free(s->text_in);
	free(s);
}

void sess_get_stats(const struct sess *s, struct sess_stats *out)
{
	*out = s->st;
	out->bytes_in = s->conn.stats.bytes_in;
	out->bytes_out = s->conn.stats.bytes_out;
	out->pdus_in = s->conn.stats.pdus_in;
	out->pdus_out = s->conn.stats.pdus_out;
	out->queued = s->npending;
	out->in_flight = s->task_slots_used;
	out->cmdsn = s->cmdsn;
	out->exp_cmdsn = s->exp_cmdsn;
	out->max_cmdsn = s->max_cmdsn;
}
