/*
 * NBD protocol codecs, the request validator and the errno table. See proto.h.
 */
#include "config.h"

#include <errno.h>

#include "nbd/proto.h"
#include "util/bytes.h"
#include "util/compiler.h"

uint16_t nbdsrv_tflags_from_info(const struct bdev_info *info, bool multi_conn)
{
	uint16_t f = NBDSRV_FLAG_HAS_FLAGS;

	if (info->write_cache)
		f |= NBDSRV_FLAG_SEND_FLUSH;
	if (info->fua)
		f |= NBDSRV_FLAG_SEND_FUA;
	if (info->discard)
		f |= NBDSRV_FLAG_SEND_TRIM;
	if (info->write_zeroes)
		f |= NBDSRV_FLAG_SEND_WRITE_ZEROES;
	if (info->read_only)
		f |= NBDSRV_FLAG_READ_ONLY;
	if (info->rotational)
		f |= NBDSRV_FLAG_ROTATIONAL;
	if (multi_conn)
		f |= NBDSRV_FLAG_CAN_MULTI_CONN;
	return f;
}

void nbdsrv_export_from_info(struct nbdsrv_export *ex, const struct bdev_info *info,
			     bool multi_conn, const char *name, const char *description)
{
	uint32_t lbs = info->logical_block_size ? info->logical_block_size : 512;
	uint32_t pref = MAX(4096u, info->physical_block_size);

	ex->name = name ? name : "";
	ex->description = description;
	ex->size = info->size_bytes;
	ex->tflags = nbdsrv_tflags_from_info(info, multi_conn);
	ex->min_block = lbs;
	/* "Size constraints": preferred is a power of 2 >= max(minimum, 512). */
	ex->pref_block = MAX(pref, lbs);
	ex->max_payload = NBDSRV_MAX_PAYLOAD;
}

void nbdsrv_req_parse(const uint8_t *buf, struct nbdsrv_req *req)
{
	/* "Request message": magic 32, flags 16, type 16, cookie 64, offset 64, length 32. */
	req->magic = get_be32(buf);
	req->flags = get_be16(buf + 4);
	req->type = get_be16(buf + 6);
	req->cookie = get_be64(buf + 8);
	req->offset = get_be64(buf + 16);
	req->len = get_be32(buf + 24);
}

void nbdsrv_reply_build(uint8_t *buf, uint32_t error, uint64_t cookie)
{
	/* "Simple reply message": magic 32, error 32, cookie 64. */
	put_be32(buf, NBDSRV_SIMPLE_REPLY_MAGIC);
	put_be32(buf + 4, error);
	put_be64(buf + 8, cookie);
}

/* Flags each command may carry ("Command flags"); FUA only when SEND_FUA was advertised. */
static uint16_t allowed_flags(uint16_t type, uint16_t tflags)
{
	uint16_t fua = (tflags & NBDSRV_FLAG_SEND_FUA) ? NBDSRV_CMD_FLAG_FUA : 0;

	switch (type) {
	case NBDSRV_CMD_WRITE_ZEROES:
		/* FAST_ZERO is not advertised: "SHOULD fail with NBD_EINVAL". */
		return fua | NBDSRV_CMD_FLAG_NO_HOLE;
	default:
		/* "existing clients are known to set this bit on other commands". */
		return fua;
	}
}

int nbdsrv_req_validate(const struct nbdsrv_req *req, const struct nbdsrv_export *ex)
{
	uint64_t end;
	bool writes;

	if (req->magic != NBDSRV_REQUEST_MAGIC)
		return -EPROTO;

	switch (req->type) {
	case NBDSRV_CMD_READ:
	case NBDSRV_CMD_WRITE:
	case NBDSRV_CMD_DISC:
		break;
	case NBDSRV_CMD_FLUSH:
		if (!(ex->tflags & NBDSRV_FLAG_SEND_FLUSH))
			return NBDSRV_EINVAL;
		break;
	case NBDSRV_CMD_TRIM:
		if (!(ex->tflags & NBDSRV_FLAG_SEND_TRIM))
			return NBDSRV_EINVAL;
		break;
	case NBDSRV_CMD_WRITE_ZEROES:
		if (!(ex->tflags & NBDSRV_FLAG_SEND_WRITE_ZEROES))
			return NBDSRV_EINVAL;
		break;
	default:
		/* CACHE, BLOCK_STATUS and anything unknown: never advertised. */
		return NBDSRV_EINVAL;
	}

	if (req->flags & ~allowed_flags(req->type, ex->tflags))
		return NBDSRV_EINVAL;

	/* DISC has no reply; FLUSH's offset and length are reserved and ignored. */
	if (req->type == NBDSRV_CMD_DISC || req->type == NBDSRV_CMD_FLUSH)
		return 0;

	writes = req->type != NBDSRV_CMD_READ;
	if (writes && (ex->tflags & NBDSRV_FLAG_READ_ONLY))
		return NBDSRV_EPERM;

	/*
	 * READ and WRITE carry a payload: bounded by the maximum payload.
	 * TRIM and WRITE_ZEROES are split by the server, so they may be long.
	 */
	if ((req->type == NBDSRV_CMD_READ || req->type == NBDSRV_CMD_WRITE) &&
	    req->len > ex->max_payload)
		return NBDSRV_EINVAL;

	/* "Error values": ENOSPC for writes past the end, EINVAL for reads and trims. */
	if (add_overflow(req->offset, (uint64_t)req->len, &end) || end > ex->size)
		return (req->type == NBDSRV_CMD_WRITE || req->type == NBDSRV_CMD_WRITE_ZEROES)
			       ? NBDSRV_ENOSPC
			       : NBDSRV_EINVAL;

	/* The LUN addresses whole logical blocks: unaligned requests are refused. */
	if (ex->min_block > 1 &&
	    ((req->offset % ex->min_block) != 0 || (req->len % ex->min_block) != 0))
		return NBDSRV_EINVAL;

	return 0;
}

/*
 * The one errno -> NBD error table ("Error values"). EDQUOT and EFBIG go to
 * ENOSPC as the spec asks; EROFS (SCSI DATA PROTECT / write protect) and
 * EACCES to EPERM; ERANGE (LBA out of range) to EINVAL.
 */
static const struct {
	int err;
	uint32_t nbd;
} errno_table[] = {
	{EPERM, NBDSRV_EPERM},	       {EROFS, NBDSRV_EPERM},
	{EACCES, NBDSRV_EPERM},	       {EIO, NBDSRV_EIO},
	{ENOMEM, NBDSRV_ENOMEM},       {EINVAL, NBDSRV_EINVAL},
	{ERANGE, NBDSRV_EINVAL},       {ENOSPC, NBDSRV_ENOSPC},
	{EDQUOT, NBDSRV_ENOSPC},       {EFBIG, NBDSRV_ENOSPC},
	{EOVERFLOW, NBDSRV_EOVERFLOW}, {EOPNOTSUPP, NBDSRV_ENOTSUP},
	{ESHUTDOWN, NBDSRV_ESHUTDOWN},
};

uint32_t nbdsrv_errno_to_nbd(int err)
{
	size_t i;

	if (err == 0)
		return 0;
	if (err < 0)
		err = -err;
	/* ENOTSUP and EOPNOTSUPP are one value on Linux, but not everywhere. */
	if (err == ENOTSUP)
		return NBDSRV_ENOTSUP;
	for (i = 0; i < ARRAY_SIZE(errno_table); i++)
		if (errno_table[i].err == err)
			return errno_table[i].nbd;
	return NBDSRV_EIO;
}

const char *nbdsrv_cmd_name(uint16_t type)
{
	static const char *const names[] = {
		[NBDSRV_CMD_READ] = "READ",
		[NBDSRV_CMD_WRITE] = "WRITE",
		[NBDSRV_CMD_DISC] = "DISC",
		[NBDSRV_CMD_FLUSH] = "FLUSH",
		[NBDSRV_CMD_TRIM] = "TRIM",
		[NBDSRV_CMD_CACHE] = "CACHE",
		[NBDSRV_CMD_WRITE_ZEROES] = "WRITE_ZEROES",
		[NBDSRV_CMD_BLOCK_STATUS] = "BLOCK_STATUS",
	};

	return type < ARRAY_SIZE(names) ? names[type] : "UNKNOWN";
}
