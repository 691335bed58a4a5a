/*
 * Memory-backed struct bdev for tests. See membdev.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "membdev.h"
#include "util/compiler.h"

static void membdev_complete(struct membdev *m, struct bdev_req *req, int err)
{
	m->inflight--;
	m->completed++;
	req->done(req, err);
}

static int membdev_exec(struct membdev *m, struct bdev_req *req)
{
	if (m->fail_err && (m->fail_ops & (1u << req->op)) && m->fail_count != 0) {
		if (m->fail_count > 0)
			m->fail_count--;
		return m->fail_err;
	}
	switch (req->op) {
	case BDEV_OP_READ:
		memcpy(req->buf, m->data + req->offset, req->len);
		break;
	case BDEV_OP_WRITE:
		memcpy(m->data + req->offset, req->buf, req->len);
		break;
	case BDEV_OP_DISCARD:
	case BDEV_OP_WRITE_ZEROES:
		/* LBPRZ: unmapped blocks read back as zeroes. */
		memset(m->data + req->offset, 0, req->len);
		break;
	case BDEV_OP_FLUSH:
		break;
	}
	return 0;
}

static void membdev_on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	struct membdev *m = container_of(w, struct membdev, wake);
	struct list_node batch, *n;

	if (m->hold)
		return;
	list_init(&batch);
	list_splice_tail(&batch, &m->pending);
	/* Completions may submit more (chunked requests): those go to the next round. */
	while ((n = list_pop(&batch)) != NULL) {
		struct bdev_req *req = list_entry(n, struct bdev_req, priv.node);

		membdev_complete(m, req, membdev_exec(m, req));
	}
}

static int membdev_submit(struct bdev *bd, struct bdev_req *req)
{
	struct membdev *m = bd->impl;
	uint64_t end;

	if (m->submit_err)
		return m->submit_err;
	if ((unsigned)req->op >= MEMBDEV_OPS || req->len > BDEV_MAX_REQ_BYTES)
		return -EINVAL;
	if (req->op != BDEV_OP_FLUSH) {
		if (req->offset % bd->info.logical_block_size ||
		    req->len % bd->info.logical_block_size)
			return -EINVAL;
		if (add_overflow(req->offset, (uint64_t)req->len, &end) ||
		    end > bd->info.size_bytes)
			return -ERANGE;
	}
	m->submitted[req->op]++;
	m->last_flags[req->op] = req->flags;
	m->last_len[req->op] = req->len;
	if (req->op == BDEV_OP_WRITE && (req->flags & BDEV_F_FUA))
		m->fua_writes++;
	if (++m->inflight > m->max_inflight)
		m->max_inflight = m->inflight;
	if (m->complete_in_submit && !m->hold) {
		membdev_complete(m, req, membdev_exec(m, req));
		return 0;
	}
	list_add_tail(&m->pending, &req->priv.node);
	if (!m->hold)
		ev_async_send(m->loop, &m->wake);
	return 0;
}

static const struct bdev_ops membdev_ops = {.submit = membdev_submit};

int membdev_init(struct membdev *m, struct ev_loop *loop, uint64_t size, uint32_t lbs)
{
	memset(m, 0, sizeof(*m));
	m->data = calloc(1, size ? size : 1);
	if (!m->data)
		return -ENOMEM;
	m->loop = loop;
	m->bd.ops = &membdev_ops;
	m->bd.impl = m;
	m->bd.info.size_bytes = size;
	m->bd.info.logical_block_size = lbs;
	m->bd.info.physical_block_size = lbs;
	m->bd.info.write_cache = true;
	m->bd.info.fua = true;
	m->bd.info.discard = true;
	m->bd.info.write_zeroes = true;
	m->bd.info.read_zeroes_after_unmap = true;
	strcpy(m->bd.info.ident, "membdev");
	list_init(&m->pending);
	ev_async_init(&m->wake, membdev_on_async);
	ev_async_start(loop, &m->wake);
	/* The wakeup must not keep ev_run() alive on its own. */
	ev_unref(loop);
	return 0;
}

void membdev_release(struct membdev *m)
{
	m->hold = false;
	if (!list_empty(&m->pending))
		ev_async_send(m->loop, &m->wake);
}

void membdev_destroy(struct membdev *m)
{
	struct list_node *n;

	ev_ref(m->loop);
	ev_async_stop(m->loop, &m->wake);
	while ((n = list_pop(&m->pending)) != NULL)
		membdev_complete(m, list_entry(n, struct bdev_req, priv.node), -ESHUTDOWN);
	free(m->data);
	m->data = NULL;
}
