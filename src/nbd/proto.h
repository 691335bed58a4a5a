/*
 * NBD protocol: pure code, no I/O, no allocation, no logging.
 *
 * - wire constants under our own prefix (NBDSRV_), because libnbd and the
 *   kernel's linux/nbd.h own the bare NBD_ names;
 * - the 28-byte request header and the 16-byte simple reply
 *   ("Request message", "Simple reply message" in nbd-protocol.md);
 * - the request validator and the one errno -> NBD error table;
 * - transmission flags derived from struct bdev_info;
 * - the server side of the fixed newstyle handshake as a state machine fed
 *   bytes (handshake.c).
 *
 * Section names in comments refer to /work/shared/reference/nbd-protocol.md
 * (the upstream doc/proto.md).
 */
#ifndef ISN_NBD_PROTO_H
#define ISN_NBD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bdev/bdev.h"

/* Magics ("Newstyle negotiation", "Request message", "Simple reply message"). */
#define NBDSRV_INIT_PASSWD	  0x4e42444d41474943ull /* "NBDMAGIC" */
#define NBDSRV_IHAVEOPT		  0x49484156454f5054ull /* "IHAVEOPT" */
#define NBDSRV_OPT_REPLY_MAGIC	  0x0003e889045565a9ull
#define NBDSRV_REQUEST_MAGIC	  0x25609513u
#define NBDSRV_SIMPLE_REPLY_MAGIC 0x67446698u

#define NBDSRV_REQ_HDR_LEN   28
#define NBDSRV_REPLY_HDR_LEN 16

/* Handshake flags (16 bits, server) and client flags (32 bits). */
#define NBDSRV_FLAG_FIXED_NEWSTYLE   (1u << 0)
#define NBDSRV_FLAG_NO_ZEROES	     (1u << 1)
#define NBDSRV_FLAG_C_FIXED_NEWSTYLE (1u << 0)
#define NBDSRV_FLAG_C_NO_ZEROES	     (1u << 1)

/* Transmission flags ("Transmission flags"). */
#define NBDSRV_FLAG_HAS_FLAGS	      (1u << 0)
#define NBDSRV_FLAG_READ_ONLY	      (1u << 1)
#define NBDSRV_FLAG_SEND_FLUSH	      (1u << 2)
#define NBDSRV_FLAG_SEND_FUA	      (1u << 3)
#define NBDSRV_FLAG_ROTATIONAL	      (1u << 4)
#define NBDSRV_FLAG_SEND_TRIM	      (1u << 5)
#define NBDSRV_FLAG_SEND_WRITE_ZEROES (1u << 6)
#define NBDSRV_FLAG_SEND_DF	      (1u << 7)
#define NBDSRV_FLAG_CAN_MULTI_CONN    (1u << 8)
#define NBDSRV_FLAG_SEND_RESIZE	      (1u << 9)
#define NBDSRV_FLAG_SEND_CACHE	      (1u << 10)
#define NBDSRV_FLAG_SEND_FAST_ZERO    (1u << 11)

/* Options ("Option types"). */
#define NBDSRV_OPT_EXPORT_NAME	     1u
#define NBDSRV_OPT_ABORT	     2u
#define NBDSRV_OPT_LIST		     3u
#define NBDSRV_OPT_STARTTLS	     5u
#define NBDSRV_OPT_INFO		     6u
#define NBDSRV_OPT_GO		     7u
#define NBDSRV_OPT_STRUCTURED_REPLY  8u
#define NBDSRV_OPT_LIST_META_CONTEXT 9u
#define NBDSRV_OPT_SET_META_CONTEXT  10u
#define NBDSRV_OPT_EXTENDED_HEADERS  11u

/* Option replies ("Option reply types"). */
#define NBDSRV_REP_ACK		       1u
#define NBDSRV_REP_SERVER	       2u
#define NBDSRV_REP_INFO		       3u
#define NBDSRV_REP_ERR_UNSUP	       (0x80000000u + 1)
#define NBDSRV_REP_ERR_POLICY	       (0x80000000u + 2)
#define NBDSRV_REP_ERR_INVALID	       (0x80000000u + 3)
#define NBDSRV_REP_ERR_PLATFORM	       (0x80000000u + 4)
#define NBDSRV_REP_ERR_TLS_REQD	       (0x80000000u + 5)
#define NBDSRV_REP_ERR_UNKNOWN	       (0x80000000u + 6)
#define NBDSRV_REP_ERR_SHUTDOWN	       (0x80000000u + 7)
#define NBDSRV_REP_ERR_BLOCK_SIZE_REQD (0x80000000u + 8)
#define NBDSRV_REP_ERR_TOO_BIG	       (0x80000000u + 9)

/* NBD_REP_INFO types. */
#define NBDSRV_INFO_EXPORT	0u
#define NBDSRV_INFO_NAME	1u
#define NBDSRV_INFO_DESCRIPTION 2u
#define NBDSRV_INFO_BLOCK_SIZE	3u

/* Commands ("Request types"). */
enum nbdsrv_cmd {
	NBDSRV_CMD_READ = 0,
	NBDSRV_CMD_WRITE = 1,
	NBDSRV_CMD_DISC = 2,
	NBDSRV_CMD_FLUSH = 3,
	NBDSRV_CMD_TRIM = 4,
	NBDSRV_CMD_CACHE = 5,
	NBDSRV_CMD_WRITE_ZEROES = 6,
	NBDSRV_CMD_BLOCK_STATUS = 7,
};

/* Command flags ("Command flags"). */
#define NBDSRV_CMD_FLAG_FUA	  (1u << 0)
#define NBDSRV_CMD_FLAG_NO_HOLE	  (1u << 1)
#define NBDSRV_CMD_FLAG_DF	  (1u << 2)
#define NBDSRV_CMD_FLAG_REQ_ONE	  (1u << 3)
#define NBDSRV_CMD_FLAG_FAST_ZERO (1u << 4)

/* Error values ("Error values"): fixed by the protocol, not the host's errno. */
#define NBDSRV_EPERM	 1u
#define NBDSRV_EIO	 5u
#define NBDSRV_ENOMEM	 12u
#define NBDSRV_EINVAL	 22u
#define NBDSRV_ENOSPC	 28u
#define NBDSRV_EOVERFLOW 75u
#define NBDSRV_ENOTSUP	 95u
#define NBDSRV_ESHUTDOWN 108u

/* Largest READ/WRITE payload we take: the bdev's limit, also the spec's 2^25 floor. */
#define NBDSRV_MAX_PAYLOAD BDEV_MAX_REQ_BYTES

/* Option data we are willing to hold: a 4096-byte name plus GO's fixed fields and info list. */
#define NBDSRV_OPT_MAX_LEN (4096u + 256u)

/* Longest export name or description we send back ("strings ... MUST be no longer than 4096"). */
#define NBDSRV_STRING_MAX 4096u

/* What the client sees of the one export. */
struct nbdsrv_export {
	const char *name;	 /* borrowed; "" is also always accepted */
	const char *description; /* borrowed; may be NULL */
	uint64_t size;
	uint16_t tflags;      /* transmission flags, HAS_FLAGS included */
	uint32_t min_block;   /* = logical block size: requests must be aligned to it */
	uint32_t pref_block;  /* max(4096, physical block size, min_block) */
	uint32_t max_payload; /* NBDSRV_MAX_PAYLOAD */
};

/*
 * Transmission flags from what the LUN reports. multi_conn: several
 * connections will serve the export at once; CAN_MULTI_CONN is safe then
 * because FLUSH becomes SYNCHRONIZE CACHE on the LUN, which covers every
 * write already acknowledged on any connection (SBC-4 5.24).
 */
uint16_t nbdsrv_tflags_from_info(const struct bdev_info *info, bool multi_conn);

/* Fill an export from the LUN; name and description are borrowed. */
void nbdsrv_export_from_info(struct nbdsrv_export *ex, const struct bdev_info *info,
			     bool multi_conn, const char *name, const char *description);

/* A parsed request header. */
struct nbdsrv_req {
	uint32_t magic;
	uint16_t flags;
	uint16_t type;
	uint64_t cookie;
	uint64_t offset;
	uint32_t len;
};

/* Decode the 28-byte header; buf must hold NBDSRV_REQ_HDR_LEN bytes. */
void nbdsrv_req_parse(const uint8_t *buf, struct nbdsrv_req *req);

/* Encode a simple reply into 16 bytes. */
void nbdsrv_reply_build(uint8_t *buf, uint32_t error, uint64_t cookie);

/*
 * Validate a request against the export. Returns 0 if it may be executed,
 * an NBD error (NBDSRV_E*) to send back, or -EPROTO when the stream cannot
 * be trusted any more (bad magic) and the connection must be dropped.
 * Bytes of payload that follow a rejected request: nbdsrv_req_payload_len().
 */
int nbdsrv_req_validate(const struct nbdsrv_req *req, const struct nbdsrv_export *ex);

/* Bytes of payload that follow this header on the wire, valid or not. */
static inline uint32_t nbdsrv_req_payload_len(const struct nbdsrv_req *req)
{
	return req->type == NBDSRV_CMD_WRITE ? req->len : 0;
}

/* The one errno -> NBD error table: err is 0 or -errno; anything unmapped is NBDSRV_EIO. */
uint32_t nbdsrv_errno_to_nbd(int err);

const char *nbdsrv_cmd_name(uint16_t type);

#endif
