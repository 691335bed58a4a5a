/*
 * NBD server mode: accept, handshake, hand over to the transmission engine.
 * See listen.h.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbd/handshake.h"
#include "nbd/listen.h"
#include "nbd/listen_sock.h"
#include "nbd/tls.h"
#include "util/compiler.h"
#include "util/list.h"
#include "util/log.h"

#define DEFAULT_MAX_CLIENTS  64
#define DEFAULT_HS_TIMEOUT   30.0
#define DEFAULT_SEND_TIMEOUT 60.0
#define LISTEN_RETRY	     0.1 /* seconds between accepts while out of descriptors */

struct client {
	struct list_node node;
	struct nbdsrv_listener *l;
	char name[64 + 64];
	char peer[64]; /* "HOST:PORT", "[V6]:PORT" or "" (numeric: INET6_ADDRSTRLEN + port fit) */
	int fd;
	ev_io io;	      /* handshake phase only */
	ev_timer timer;	      /* handshake deadline */
	struct nbdsrv_hs *hs; /* NULL once in transmission */
	struct nbdsrv_conn *conn;
	struct nbdsrv_wconn *wconn; /* instead of conn, on a worker thread (cfg.workers) */
	SSL *ssl;		    /* after STARTTLS; handed to conn with the socket */
	uint8_t buf[512];
};

struct nbdsrv_listener {
	struct ev_loop *loop;
	ev_io accept_io;
	ev_timer drained_timer; /* 0 s: defers cfg.drained to the next loop iteration */
	ev_timer retry_timer;	/* accepting again after running out of descriptors */
	bool starved;		/* accept lacked descriptors; logged once per episode */
	int fd;
	char *unix_path; /* to unlink at the end */
	struct bdev *bd;
	struct nbdsrv_bufpool *pool;
	struct nbdsrv_export ex;
	struct nbdsrv_listen_cfg cfg;
	struct list_node clients;
	unsigned nclients; /* open: in the handshake or in transmission */
	unsigned nhs;	   /* of them, still in the handshake (hs != NULL) */
	/* What any client can make us log by connecting (refused, evicted, a
	 * failed handshake): client_log(), so that a flood stays quiet. */
	struct log_ratelimit client_rl;
	uint64_t serial;
	bool stopped;
};

#define client_log(l, prio, ...)                                                                   \
	log_rl_printf(&(l)->client_rl, ev_now((l)->loop), prio, __VA_ARGS__)

static void listen_check_drained(struct nbdsrv_listener *l)
{
	if (l->stopped && l->nclients == 0 && l->cfg.drained)
		ev_timer_start(l->loop, &l->drained_timer);
}

static void listen_on_drained(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct nbdsrv_listener *l = container_of(w, struct nbdsrv_listener, drained_timer);

	ev_timer_stop(loop, w);
	if (l->cfg.drained) {
		void (*fn)(struct nbdsrv_listener *, void *) = l->cfg.drained;

		l->cfg.drained = NULL; /* once */
		fn(l, l->cfg.opaque);  /* may free l */
	}
}

static void client_free(struct client *cl)
{
	struct nbdsrv_listener *l = cl->l;

	ev_io_stop(l->loop, &cl->io);
	ev_timer_stop(l->loop, &cl->timer);
	nbdsrv_tls_close(cl->ssl, false);
	if (cl->fd >= 0)
		close(cl->fd);
	if (cl->hs)
		l->nhs--;
	free(cl->hs);
	list_del(&cl->node);
	l->nclients--;
	free(cl);
	listen_check_drained(l);
}

/* The client's connection is gone (on this loop or a worker's): log its counters, free it. */
static void client_wconn_closed(struct nbdsrv_wconn *wc, int err,
				const struct nbdsrv_conn_stats *st, void *opaque)
{
	struct client *cl = opaque;

	log_info(
		"%s: disconnected after %llu requests (%llu bytes read, %llu written, %llu errors)",
		cl->name, (unsigned long long)st->requests, (unsigned long long)st->bytes_read,
		(unsigned long long)st->bytes_written, (unsigned long long)st->errors);
	nbdsrv_wconn_free(wc);
	cl->wconn = NULL;
	client_free(cl);
}

static void client_conn_closed(struct nbdsrv_conn *c, int err, void *opaque)
{
	struct client *cl = opaque;
	struct nbdsrv_conn_stats st = *nbdsrv_conn_stats(c);

	nbdsrv_conn_free(c);
	cl->conn = NULL;
	client_wconn_closed(NULL, err, &st, cl);
}

static void client_handover(struct client *cl)
{
	struct nbdsrv_listener *l = cl->l;
	struct nbdsrv_conn_cfg ccfg = {
		.name = cl->name,
		.peer = cl->peer,
		.queue_depth = l->cfg.queue_depth,
		.send_timeout = l->cfg.send_timeout > 0 ? l->cfg.send_timeout : 0,
		.closed = client_conn_closed,
		.opaque = cl,
		.ssl = cl->ssl,
	};

	ev_io_stop(l->loop, &cl->io);
	ev_timer_stop(l->loop, &cl->timer);
	free(cl->hs);
	cl->hs = NULL;
	l->nhs--;
	/* The transmission slots are counted apart from the handshakes (listen.h). */
	if (l->nclients - l->nhs > l->cfg.max_clients) {
		client_log(l, LOG_WARNING,
			   "%s: %u clients in transmission already: closing this one", cl->name,
			   l->nclients - l->nhs - 1);
		client_free(cl);
		return;
	}
	if (l->cfg.workers)
		cl->wconn = nbdsrv_wconn_new(l->cfg.workers, cl->fd, &l->ex, &ccfg,
					     client_wconn_closed, cl);
	else
		cl->conn = nbdsrv_conn_new(l->loop, cl->fd, l->bd, &l->ex, l->pool, &ccfg);
	if (!cl->conn && !cl->wconn) {
		log_err("%s: cannot start transmission: %s", cl->name, strerror(errno));
		client_free(cl);
		return;
	}
	cl->fd = -1; /* the connection owns it now, and the TLS session */
	cl->ssl = NULL;
	dbg(LOG_SUB_NBD, "%s: handshake done, transmission phase", cl->name);
}

static void client_wait(struct client *cl, int events)
{
	struct nbdsrv_listener *l = cl->l;

	if (cl->io.events != events) {
		ev_io_stop(l->loop, &cl->io);
		ev_io_set(&cl->io, cl->fd, events);
	}
	ev_io_start(l->loop, &cl->io);
}

/* Plain or TLS send / receive: > 0 bytes, 0 EOF, -EAGAIN (*events), -errno. */
static ssize_t client_send(struct client *cl, const void *buf, size_t len, int *events)
{
	ssize_t n;

	if (cl->ssl)
		return nbdsrv_tls_write(cl->ssl, cl->name, buf, len, events);
	n = send(cl->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	*events = EV_WRITE;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
}

static ssize_t client_recv(struct client *cl, void *buf, size_t len, int *events)
{
	ssize_t n;

	if (cl->ssl) {
		n = nbdsrv_tls_read(cl->ssl, cl->name, buf, len, events);
		return n == -ECONNRESET ? 0 : n;
	}
	n = recv(cl->fd, buf, len, 0);
	if (n >= 0)
		return n;
	*events = EV_READ;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
}

/* After the STARTTLS ACK went out: step the TLS handshake. 0 done, -EAGAIN, <0 failed. */
static int client_tls_step(struct client *cl, int *events)
{
	struct nbdsrv_listener *l = cl->l;
	struct nbdsrv_tls_info ti;
	int rc;

	if (!cl->ssl) {
		cl->ssl = nbdsrv_tls_session(l->cfg.tls, cl->fd, cl->name);
		if (!cl->ssl) {
			log_err("%s: cannot start TLS: out of memory", cl->name);
			return -ENOMEM;
		}
	}
	rc = nbdsrv_tls_accept(cl->ssl, cl->name, events);
	if (rc < 0)
		return rc;
	nbdsrv_tls_describe(cl->ssl, &ti);
	log_info("%s: TLS established: %s %s%s%s", cl->name, ti.version, ti.cipher,
		 ti.peer[0] ? " " : "", ti.peer);
	nbdsrv_hs_tls_started(cl->hs);
	return 0;
}

/* Drive the handshake until it blocks, ends or fails. */
static void client_hs_run(struct client *cl)
{
	struct nbdsrv_hs *hs = cl->hs;

	for (;;) {
		size_t outlen, want;
		const uint8_t *out = nbdsrv_hs_output(hs, &outlen);
		int events = EV_READ;
		ssize_t n;

		/* Write first; EV_WRITE only when the socket is full. */
		if (outlen) {
			n = client_send(cl, out, outlen, &events);
			if (n == -EAGAIN) {
				client_wait(cl, events);
				return;
			}
			if (n < 0) {
				if (n != -EPROTO)
					client_log(cl->l, LOG_INFO, "%s: handshake: %s", cl->name,
						   strerror((int)-n));
				client_free(cl);
				return;
			}
			nbdsrv_hs_consume_output(hs, (size_t)n);
			continue;
		}
		if (nbdsrv_hs_done(hs)) {
			client_handover(cl);
			return;
		}
		if (nbdsrv_hs_failed(hs)) {
			client_log(cl->l, LOG_INFO, "%s: handshake ended: %s", cl->name,
				   hs->why ? hs->why : "?");
			client_free(cl);
			return;
		}
		if (nbdsrv_hs_wants_tls(hs)) {
			int rc = client_tls_step(cl, &events);

			if (rc == -EAGAIN) {
				client_wait(cl, events);
				return;
			}
			if (rc < 0) {
				client_free(cl);
				return;
			}
			continue;
		}
		/* Never read past what the handshake needs: the rest is transmission data. */
		want = MIN(nbdsrv_hs_want(hs), sizeof(cl->buf));
		n = client_recv(cl, cl->buf, want, &events);
		if (n == -EAGAIN) {
			client_wait(cl, events);
			return;
		}
		if (n <= 0) {
			if (n < 0 && n != -EPROTO && n != -ECONNRESET)
				client_log(cl->l, LOG_INFO, "%s: handshake: %s", cl->name,
					   strerror((int)-n));
			else
				dbg(LOG_SUB_NBD, "%s: closed during handshake", cl->name);
			client_free(cl);
			return;
		}
		nbdsrv_hs_feed(hs, cl->buf, (size_t)n);
	}
}

static void client_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	client_hs_run(container_of(w, struct client, io));
}

static void client_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *cl = container_of(w, struct client, timer);

	client_log(cl->l, LOG_INFO, "%s: handshake timed out", cl->name);
	client_free(cl);
}

static void name_peer(struct client *cl, const struct sockaddr_storage *ss, socklen_t len,
		      uint64_t serial)
{
	char host[NI_MAXHOST] = "", port[NI_MAXSERV] = "";

	if (ss->ss_family == AF_UNIX ||
	    getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(cl->name, sizeof(cl->name), "nbdsrv client%llu",
			 (unsigned long long)serial);
	else {
		snprintf(cl->peer, sizeof(cl->peer), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
			 port);
		snprintf(cl->name, sizeof(cl->name), "nbdsrv client%llu %.64s",
			 (unsigned long long)serial, cl->peer);
	}
}

static void listen_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct nbdsrv_listener *l = container_of(w, struct nbdsrv_listener, retry_timer);

	if (!l->stopped)
		ev_io_start(loop, &l->accept_io);
}

/*
 * Out of descriptors (or memory): the connection stays in the backlog and
 * the socket stays readable, so the level-triggered watcher would call us
 * again at once, forever, at full CPU. Stop watching and look again in
 * LISTEN_RETRY seconds; descriptors come back as clients go.
 */
static void listen_pause(struct nbdsrv_listener *l, int err)
{
	if (!l->starved)
		log_warn("nbdsrv: accept: %s; retrying every %.0f ms", strerror(err),
			 LISTEN_RETRY * 1000.);
	l->starved = true;
	ev_io_stop(l->loop, &l->accept_io);
	ev_timer_set(&l->retry_timer, LISTEN_RETRY, 0.);
	ev_timer_start(l->loop, &l->retry_timer);
}

/*
 * Every handshake slot taken: drop the oldest handshake for the new one.
 * A legitimate handshake takes a few round trips, so a flood of
 * half-open connections (a TLS ClientHello that never ends, a client that
 * never sends its flags) pushes out only its own oldest members, and a
 * real client still gets in while it lasts.
 */
static void listen_evict_oldest(struct nbdsrv_listener *l)
{
	struct list_node *pos;

	list_for_each(pos, &l->clients)
	{
		struct client *cl = list_entry(pos, struct client, node);

		if (cl->hs) {
			client_log(l, LOG_WARNING,
				   "%s: %u handshakes open already: dropping this oldest one for a "
				   "new client",
				   cl->name, l->nhs);
			client_free(cl);
			return;
		}
	}
}

static void listen_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct nbdsrv_listener *l = container_of(w, struct nbdsrv_listener, accept_io);

	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct client *cl;
		int one = 1;
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				listen_pause(l, errno);
			return;
		}
		if (l->starved) {
			log_notice("nbdsrv: accepting again");
			l->starved = false;
		}
		if (l->nclients - l->nhs >= l->cfg.max_clients) {
			client_log(l, LOG_WARNING,
				   "nbdsrv: %u clients in transmission already: refusing another",
				   l->nclients - l->nhs);
			close(fd);
			continue;
		}
		if (l->nhs >= l->cfg.max_clients)
			listen_evict_oldest(l);
		cl = calloc(1, sizeof(*cl));
		if (cl)
			cl->hs = malloc(sizeof(*cl->hs));
		if (!cl || !cl->hs) {
			free(cl);
			close(fd);
			continue;
		}
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
			/* "both the client and server SHOULD disable Nagle's algorithm". */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		cl->l = l;
		cl->fd = fd;
		name_peer(cl, &ss, len, ++l->serial);
		list_add_tail(&l->clients, &cl->node);
		l->nclients++;
		l->nhs++;
		nbdsrv_hs_init(cl->hs, &l->ex);
		nbdsrv_hs_set_tls(cl->hs, l->cfg.tls_mode);
		ev_io_init(&cl->io, client_on_io, fd, EV_READ);
		ev_timer_init(&cl->timer, client_on_timeout, l->cfg.hs_timeout, 0);
		ev_timer_start(loop, &cl->timer);
		dbg(LOG_SUB_NBD, "%s: connected", cl->name);
		client_hs_run(cl);
	}
}

struct nbdsrv_listener *nbdsrv_listen_new(struct ev_loop *loop, struct bdev *bd,
					  struct nbdsrv_bufpool *pool,
					  const struct nbdsrv_export *ex,
					  const struct nbdsrv_listen_cfg *cfg)
{
	struct nbdsrv_listener *l;
	const char *addr = cfg->addr;
	int rc;

	if (!addr || !*addr || (cfg->tls_mode != NBDSRV_TLS_OFF && !cfg->tls)) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->loop = loop;
	l->fd = -1;
	l->bd = bd;
	l->pool = pool;
	l->ex = *ex;
	/* Advertise only what the pool can hold (NBD_INFO_BLOCK_SIZE maximum). */
	l->ex.max_payload =
		MIN(l->ex.max_payload, cfg->workers ? nbdsrv_workers_max_len(cfg->workers)
						    : nbdsrv_bufpool_max_len(pool));
	l->cfg = *cfg;
	l->cfg.addr = NULL;
	if (!l->cfg.max_clients)
		l->cfg.max_clients = DEFAULT_MAX_CLIENTS;
	if (l->cfg.hs_timeout <= 0)
		l->cfg.hs_timeout = DEFAULT_HS_TIMEOUT;
	if (l->cfg.send_timeout == 0)
		l->cfg.send_timeout = DEFAULT_SEND_TIMEOUT;
	list_init(&l->clients);
	log_ratelimit_init(&l->client_rl, "nbdsrv", LOG_RL_INTERVAL, LOG_RL_BURST);
	rc = nbdsrv_listen_socket(addr, cfg->unix_mode ? cfg->unix_mode : 0600, &l->unix_path);
	if (rc < 0) {
		log_err("nbdsrv: cannot listen on %s: %s", addr, strerror(-rc));
		free(l);
		errno = -rc;
		return NULL;
	}
	l->fd = rc;
	ev_io_init(&l->accept_io, listen_on_accept, l->fd, EV_READ);
	ev_io_start(loop, &l->accept_io);
	ev_timer_init(&l->drained_timer, listen_on_drained, 0, 0);
	ev_init(&l->retry_timer, listen_on_retry);
	log_info("nbdsrv: listening on %s (TLS %s)", addr, nbdsrv_tls_mode_name(l->cfg.tls_mode));
	return l;
}

void nbdsrv_listen_stop(struct nbdsrv_listener *l)
{
	struct list_node *pos, *tmp;

	l->stopped = true;
	ev_io_stop(l->loop, &l->accept_io);
	ev_timer_stop(l->loop, &l->retry_timer);
	list_for_each_safe(pos, tmp, &l->clients)
	{
		struct client *cl = list_entry(pos, struct client, node);

		if (cl->conn)
			nbdsrv_conn_shutdown(cl->conn); /* closed() frees the client later */
		else if (cl->wconn)
			nbdsrv_wconn_shutdown(cl->wconn);
		else
			client_free(cl);
	}
	listen_check_drained(l);
}

int nbdsrv_listen_port(const struct nbdsrv_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (l->unix_path || getsockname(l->fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

unsigned nbdsrv_listen_nclients(const struct nbdsrv_listener *l)
{
	return l->nclients;
}

void nbdsrv_listen_foreach(struct nbdsrv_listener *l,
			   void (*fn)(const struct nbdsrv_conn *c, void *arg), void *arg)
{
	struct list_node *pos;

	if (l->cfg.workers) /* every connection there is one of our clients */
		nbdsrv_workers_foreach(l->cfg.workers, fn, arg);
	list_for_each(pos, &l->clients)
	{
		struct client *cl = list_entry(pos, struct client, node);

		if (cl->conn)
			fn(cl->conn, arg);
	}
}

void nbdsrv_listen_set_export(struct nbdsrv_listener *l, const struct nbdsrv_export *ex)
{
	struct list_node *pos;
	uint32_t max_payload = l->ex.max_payload;

	l->ex = *ex;
	l->ex.max_payload = MIN(l->ex.max_payload, max_payload);
	list_for_each(pos, &l->clients)
	{
		struct client *cl = list_entry(pos, struct client, node);

		if (cl->conn)
			nbdsrv_conn_set_export(cl->conn, &l->ex);
		else if (cl->wconn)
			nbdsrv_wconn_set_export(cl->wconn, &l->ex);
	}
}

void nbdsrv_listen_free(struct nbdsrv_listener *l)
{
	if (!l)
		return;
	assert(l->nclients == 0);
	log_ratelimit_flush(&l->client_rl);
	ev_io_stop(l->loop, &l->accept_io);
	ev_timer_stop(l->loop, &l->drained_timer);
	ev_timer_stop(l->loop, &l->retry_timer);
	if (l->fd >= 0)
		close(l->fd);
	if (l->unix_path) {
		unlink(l->unix_path);
		free(l->unix_path);
	}
	free(l);
}
