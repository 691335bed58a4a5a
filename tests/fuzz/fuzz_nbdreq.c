/*
 * Fuzz target: a stream of NBD requests into the header parser and the
 * validator. The first 12 bytes pick the export (size, block size, flags);
 * then 28-byte headers follow, each WRITE followed by its payload, as on the
 * wire. Whatever the validator accepts must be safe to hand to the bdev:
 * inside the export, aligned, bounded, advertised; abort() otherwise.
 *
 * The same stream then goes through the transmission engine over a
 * socketpair against the memory bdev (a small disk, 4 request slots, a
 * small buffer pool, optional injected errors), ending with EOF: the
 * connection must close exactly once, with nothing left in flight and every
 * buffer back in the pool.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../unit/membdev.h"
#include "nbd/bufpool.h"
#include "nbd/proto.h"
#include "nbd/server.h"
#include "util/bytes.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct nbdsrv_req *r, const struct nbdsrv_export *ex)
{
	uint64_t end;

	if (r->magic != NBDSRV_REQUEST_MAGIC)
		abort();
	if (r->type == NBDSRV_CMD_DISC || r->type == NBDSRV_CMD_FLUSH) {
		if (r->type == NBDSRV_CMD_FLUSH && !(ex->tflags & NBDSRV_FLAG_SEND_FLUSH))
			abort();
		return;
	}
	if (r->type != NBDSRV_CMD_READ && r->type != NBDSRV_CMD_WRITE &&
	    r->type != NBDSRV_CMD_TRIM && r->type != NBDSRV_CMD_WRITE_ZEROES)
		abort();
	if (r->type != NBDSRV_CMD_READ && (ex->tflags & NBDSRV_FLAG_READ_ONLY))
		abort();
	if (__builtin_add_overflow(r->offset, (uint64_t)r->len, &end) || end > ex->size)
		abort();
	if (r->offset % ex->min_block || r->len % ex->min_block)
		abort();
	if ((r->type == NBDSRV_CMD_READ || r->type == NBDSRV_CMD_WRITE) && r->len > ex->max_payload)
		abort();
	if ((r->flags & NBDSRV_CMD_FLAG_FUA) && !(ex->tflags & NBDSRV_FLAG_SEND_FUA))
		abort();
	if (r->flags & ~(NBDSRV_CMD_FLAG_FUA | NBDSRV_CMD_FLAG_NO_HOLE))
		abort();
}

static struct ev_loop *loop;
static struct nbdsrv_bufpool *pool;
static uint32_t pool_free0;
static int closed_calls;

static void on_closed(struct nbdsrv_conn *c, int err, void *opaque)
{
	closed_calls++;
}

static void run_engine(const uint8_t *data, size_t size, const struct bdev_info *info)
{
	static uint8_t sink[65536];
	struct nbdsrv_conn_cfg cfg = {.name = "fuzz", .queue_depth = 4, .closed = on_closed};
	struct nbdsrv_export ex;
	struct nbdsrv_conn *c;
	struct membdev mem;
	size_t sent = 0;
	int sv[2], spins = 0;

	if (!loop) {
		struct nbdsrv_bufclass cls[2] = {{.size = 65536, .count = 3},
						 {.size = 1 << 20, .count = 1}};

		log_max_priority = LOG_EMERG;
		loop = ev_loop_new(EVFLAG_AUTO);
		pool = nbdsrv_bufpool_new(cls, 2);
		if (!loop || !pool)
			abort();
		pool_free0 = nbdsrv_bufpool_free_count(pool);
	}
	/* A small disk with the export's block size and flags. */
	if (membdev_init(&mem, loop, 16 * (uint64_t)info->logical_block_size,
			 info->logical_block_size) < 0)
		abort();
	mem.bd.info.write_cache = info->write_cache;
	mem.bd.info.fua = info->fua;
	mem.bd.info.discard = info->discard;
	mem.bd.info.write_zeroes = info->write_zeroes;
	mem.bd.info.read_only = info->read_only;
	if (info->rotational) {
		mem.fail_err = -EIO;
		mem.fail_ops = 0x1f;
		mem.fail_count = 2;
	}
	nbdsrv_export_from_info(&ex, &mem.bd.info, false, "", NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	closed_calls = 0;
	c = nbdsrv_conn_new(loop, sv[1], &mem.bd, &ex, pool, &cfg);
	if (!c)
		abort();
	/* Feed the stream, draining replies as a client would, then EOF. */
	while (closed_calls == 0 && spins++ < 100000) {
		ssize_t n;

		if (sv[0] >= 0 && sent < size) {
			n = write(sv[0], data + sent, size - sent);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = size;
		}
		if (sv[0] >= 0 && sent == size)
			shutdown(sv[0], SHUT_WR);
		if (sv[0] >= 0) {
			n = read(sv[0], sink, sizeof(sink));
			if (n == 0) {
				close(sv[0]);
				sv[0] = -1;
			}
		}
		ev_run(loop, EVRUN_NOWAIT);
	}
	if (closed_calls != 1 || mem.inflight != 0)
		abort();
	nbdsrv_conn_free(c);
	if (nbdsrv_bufpool_free_count(pool) != pool_free0)
		abort();
	if (sv[0] >= 0)
		close(sv[0]);
	membdev_destroy(&mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bdev_info info;
	struct nbdsrv_export ex;
	size_t pos = 12;

	if (size < 12)
		return 0;
	memset(&info, 0, sizeof(info));
	info.size_bytes = get_be64(data);
	info.logical_block_size = 1u << (9 + (data[8] & 7)); /* 512 .. 64 KiB */
	info.physical_block_size = info.logical_block_size << (data[9] & 3);
	info.write_cache = data[10] & 1;
	info.fua = data[10] & 2;
	info.discard = data[10] & 4;
	info.write_zeroes = data[10] & 8;
	info.read_only = data[10] & 16;
	info.rotational = data[10] & 32;
	nbdsrv_export_from_info(&ex, &info, data[11] & 1, "", NULL);

	while (size - pos >= NBDSRV_REQ_HDR_LEN) {
		struct nbdsrv_req r;
		uint32_t payload;
		int rc;

		nbdsrv_req_parse(data + pos, &r);
		pos += NBDSRV_REQ_HDR_LEN;
		rc = nbdsrv_req_validate(&r, &ex);
		if (rc < 0)
			break; /* bad magic: the connection is dropped */
		if (rc == 0)
			check_accepted(&r, &ex);
		else if (rc != NBDSRV_EINVAL && rc != NBDSRV_ENOSPC && rc != NBDSRV_EPERM)
			abort();
		payload = nbdsrv_req_payload_len(&r);
		if (payload > size - pos)
			break;
		pos += payload;
	}
	run_engine(data + 12, size - 12, &info);
	return 0;
}
