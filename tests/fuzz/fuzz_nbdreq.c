/*
 * Fuzz target: a stream of NBD requests into the header parser and the
 * validator. The first 12 bytes pick the export (size, block size, flags);
 * then 28-byte headers follow, each WRITE followed by its payload, as on the
 * wire. Whatever the validator accepts must be safe to hand to the bdev:
 * inside the export, aligned, bounded, advertised; abort() otherwise.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nbd/proto.h"
#include "util/bytes.h"

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
	return 0;
}
