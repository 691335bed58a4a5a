/*
 * The NBD server's bytes through TLS (server_int.h): SSL_write has no
 * writev, so replies go through a one-record stage, and SSL_read reads
 * straight into the current step's destination.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nbd/server_int.h"
#include "nbd/tls.h"
#include "util/compiler.h"
#include "util/list.h"
#include "util/log.h"

/*
 * TLS: copy the next queued bytes into the stage (headers, small payloads,
 * the head of a large one), up to a record; returns how many. A large
 * payload met with an empty stage is not copied: srv_conn_flush_tls() writes
 * it from its buffer.
 */
static size_t conn_stage_fill(struct nbdsrv_conn *c, const uint8_t **direct, size_t *dlen)
{
	size_t skip = c->send_off, staged = 0;
	struct list_node *pos;

	*direct = NULL;
	*dlen = 0;
	list_for_each(pos, &c->sendq)
	{
		struct nbdsrv_io *io = list_entry(pos, struct nbdsrv_io, node);
		size_t hlen = NBDSRV_REPLY_HDR_LEN, len = srv_reply_len(io);

		for (; skip < len;) {
			const uint8_t *p = skip < hlen ? io->reply + skip
						       : (const uint8_t *)io->buf + (skip - hlen);
			size_t n = (skip < hlen ? hlen : len) - skip;
			size_t room = TLS_STAGE - c->stage_len;

			if (c->stage_len == 0 && n >= TLS_STAGE) {
				*direct = p;
				*dlen = n;
				return staged;
			}
			if (room == 0)
				return staged;
			n = MIN(n, room);
			memcpy(c->stage + c->stage_len, p, n);
			c->stage_len += (uint32_t)n;
			staged += n;
			skip += n;
		}
		skip = 0;
	}
	return staged;
}

static void conn_tls_blocked(struct nbdsrv_conn *c, int events)
{
	if (events & EV_WRITE) {
		srv_conn_wait_writable(c);
		return;
	}
	/* TLS needs to read first: the read watcher calls conn_flush again. */
	c->tls_wr_wants_read = true;
	ev_io_start(c->loop, &c->rio);
	if (c->send_timeout > 0 && !ev_is_active(&c->stall)) {
		ev_timer_set(&c->stall, c->send_timeout, 0);
		ev_timer_start(c->loop, &c->stall);
	}
}

/* conn_flush over TLS: SSL_write has no writev, so small pieces go through the stage. */
/*
 * One SSL_write: the bytes it took, or -1 when the connection is parked
 * until the TLS layer can go on (conn_tls_blocked) or dead.
 */
static ssize_t conn_tls_send(struct nbdsrv_conn *c, const uint8_t *p, size_t len)
{
	int events = 0;
	ssize_t w = nbdsrv_tls_write(c->ssl, c->name, p, len, &events);

	if (w == -EAGAIN) {
		conn_tls_blocked(c, events);
		return -1;
	}
	if (w < 0) {
		srv_conn_dead(c, (int)w);
		return -1;
	}
	c->last_send = ev_now(c->loop);
	return w;
}

void srv_conn_flush_tls(struct nbdsrv_conn *c)
{
	for (;;) {
		const uint8_t *direct;
		size_t dlen, staged;
		ssize_t w;

		if (c->stage_off < c->stage_len) {
			w = conn_tls_send(c, c->stage + c->stage_off, c->stage_len - c->stage_off);
			if (w < 0)
				return;
			c->stage_off += (uint32_t)w;
			if (c->stage_off < c->stage_len)
				continue;
			c->stage_off = c->stage_len = 0;
		}
		if (list_empty(&c->sendq))
			break;
		staged = conn_stage_fill(c, &direct, &dlen);
		if (staged) {
			/* Copied: these replies are done with (a READ's buffer goes back now). */
			srv_conn_sent(c, staged);
			continue;
		}
		if (!direct)
			break;
		w = conn_tls_send(c, direct, dlen);
		if (w < 0)
			return;
		srv_conn_sent(c, (size_t)w);
	}
	srv_conn_flushed(c);
}

/*
 * TLS: SSL_read straight into the step's destination (OpenSSL keeps what
 * the record holds past it; nbdsrv_tls_pending() says so).
 */
int srv_conn_read_tls(struct nbdsrv_conn *c, uint8_t *dst, size_t want)
{
	int events = 0;
	ssize_t r;

	/* The budget counts trips to the socket; decrypted bytes TLS holds are a copy away. */
	if (!nbdsrv_tls_pending(c->ssl)) {
		if (c->tls_reads_left == 0)
			return 1;
		c->tls_reads_left--;
	}
	r = nbdsrv_tls_read(c->ssl, c->name, dst, want, &events);
	if (r == -EAGAIN) {
		if (events & EV_WRITE) {
			c->tls_rd_wants_write = true;
			ev_io_start(c->loop, &c->wio);
		}
		return 1;
	}
	if (r == -ECONNRESET) {
		if (c->state == NBDSRV_CONN_READ_HDR && c->hdr_got == 0)
			dbg(LOG_SUB_NBD, "%s: client closed the connection", c->name);
		else
			log_info("%s: EOF in the middle of a request", c->name);
	}
	if (r <= 0) {
		srv_conn_dead(c, r < 0 ? (int)r : -ECONNRESET);
		return -1;
	}
	srv_conn_got_bytes(c, (size_t)r);
	return 0;
}
