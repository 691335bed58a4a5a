/*
 * The NBD server's requests on the block device (server_int.h): the NBD
 * command mapped to a bdev operation, TRIM and WRITE_ZEROES cut to what
 * the device takes in one request, FUA on TRIM as a FLUSH after it, and
 * the completion that queues the reply.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nbd/server.h"
#include "nbd/server_int.h"
#include "util/compiler.h"
#include "util/evdefer.h"
#include "util/list.h"
#include "util/log.h"
#include "util/rdahead.h"

static void io_done(struct bdev_req *breq, int err);

static enum bdev_op bdev_op_of(uint16_t type)
{
	switch (type) {
	case NBDSRV_CMD_READ:
		return BDEV_OP_READ;
	case NBDSRV_CMD_WRITE:
		return BDEV_OP_WRITE;
	case NBDSRV_CMD_TRIM:
		return BDEV_OP_DISCARD;
	case NBDSRV_CMD_WRITE_ZEROES:
		return BDEV_OP_WRITE_ZEROES;
	default:
		return BDEV_OP_FLUSH;
	}
}

/* Submit the next piece of io: the whole request, or its next chunk. Returns 0 or -errno. */
static int io_submit_next(struct nbdsrv_io *io)
{
	struct bdev_req *b = &io->breq;
	const struct nbdsrv_req *r = &io->req;
	uint32_t flags = 0;

	if (r->flags & NBDSRV_CMD_FLAG_FUA &&
	    (r->type == NBDSRV_CMD_WRITE || r->type == NBDSRV_CMD_WRITE_ZEROES))
		flags |= BDEV_F_FUA;
	if (r->type == NBDSRV_CMD_WRITE_ZEROES && r->flags & NBDSRV_CMD_FLAG_NO_HOLE)
		flags |= BDEV_F_NO_UNMAP;

	memset(b, 0, sizeof(*b));
	b->op = bdev_op_of(r->type);
	b->flags = flags;
	b->offset = r->offset + io->done_len;
	b->len = MIN(r->len - io->done_len, BDEV_MAX_REQ_BYTES);
	b->buf = io->buf;
	b->done = io_done;
	b->opaque = io;
	if (b->op == BDEV_OP_FLUSH) {
		b->offset = 0;
		b->len = 0;
	}
	return bdev_submit(io->conn->bd, b);
}

/* The bdev refused a request (submit() < 0): nothing started, so it logged
 * nothing; the one line is here. */
static void log_submit_failed(struct nbdsrv_io *io, int rc)
{
	struct nbdsrv_conn *c = io->conn;

	log_rl_printf(&c->io_rl, ev_now(c->loop), LOG_WARNING,
		      "%s: %s offset %llu len %u: submit failed: %s", c->name,
		      nbdsrv_cmd_name(io->req.type), (unsigned long long)io->req.offset,
		      io->req.len, strerror(-rc));
}

void srv_io_dispatch(struct nbdsrv_conn *c, struct nbdsrv_io *io)
{
	int rc;

	io->done_len = 0;
	io->flush_after = io->req.type == NBDSRV_CMD_TRIM && (io->req.flags & NBDSRV_CMD_FLAG_FUA);
	/* Zero-length requests are legal ("SHOULD NOT disconnect") and do nothing. */
	if (io->req.len == 0 && io->req.type != NBDSRV_CMD_FLUSH) {
		srv_conn_queue_reply(c, io, 0);
		return;
	}
	/* Counted before submit(), so a bdev that completes inside submit() stays consistent. */
	if (++c->stats.inflight > c->stats.max_inflight)
		c->stats.max_inflight = c->stats.inflight;
	rc = io_submit_next(io);
	if (rc < 0) {
		c->stats.inflight--;
		log_submit_failed(io, rc);
		srv_conn_queue_reply(c, io, nbdsrv_errno_to_nbd(rc));
	}
}

static void io_done(struct bdev_req *breq, int err)
{
	struct nbdsrv_io *io = breq->opaque;
	struct nbdsrv_conn *c = io->conn;

	if (!err && (io->req.type == NBDSRV_CMD_TRIM || io->req.type == NBDSRV_CMD_WRITE_ZEROES) &&
	    breq->op != BDEV_OP_FLUSH) {
		io->done_len += breq->len;
		if (io->done_len < io->req.len) {
			err = io_submit_next(io);
			if (!err)
				return;
			log_submit_failed(io, err);
		} else if (io->flush_after) {
			/* TRIM has no FUA in SBC; a SYNCHRONIZE CACHE makes it durable. */
			io->flush_after = false;
			io->req.type = NBDSRV_CMD_FLUSH;
			err = io_submit_next(io);
			io->req.type = NBDSRV_CMD_TRIM;
			if (!err)
				return;
			log_submit_failed(io, err);
		}
	}
	assert(c->stats.inflight > 0);
	c->stats.inflight--;
	if (!err && io->req.type == NBDSRV_CMD_WRITE)
		c->stats.bytes_written += io->req.len;
	if (c->state == NBDSRV_CONN_DEAD || c->state == NBDSRV_CONN_DONE) {
		srv_slot_release(c, io);
		srv_conn_maybe_finish(c);
		return;
	}
	/* The bdev logged why (bdev.h); the reply carries the error to the client. */
	srv_conn_queue_reply(c, io, nbdsrv_errno_to_nbd(err));
}
