/*
 * The block-device interface: the only thing the nbd layer (kernel bridge
 * and NBD server) knows about what lies behind it.
 *
 * The path layer implements it over one or more iSCSI sessions; tests
 * implement it over memory (tests/unit/membdev.c). It lives in its own
 * directory because it belongs to neither side: it may include src/util
 * only, and src/path and src/nbd both include it. Everything runs on one libev loop: submit() and
 * the completion callbacks are called on the loop thread only (a
 * connection on a worker thread reaches the path layer through
 * src/nbd/worker.c's proxy, which keeps this true for the path layer).
 *
 * Ownership and completion rules:
 * - The caller owns the struct bdev_req and the data buffer; both are
 *   borrowed by the implementation from a successful submit() until the
 *   done callback fires, and untouched after it.
 * - done fires exactly once for every request that submit() accepted
 *   (returned 0), also on teardown (with -ESHUTDOWN) and on timeout. It may
 *   fire before submit() returns only if the implementation documents so;
 *   the path layer never does (it defers to the loop).
 * - If submit() returns -errno, done never fires and nothing was started.
 * - Requests of any length up to BDEV_MAX_REQ_BYTES are accepted; the
 *   implementation splits them by the LUN's limits (VPD B0). offset and len
 *   must be multiples of info.logical_block_size and inside the device;
 *   submit() returns -EINVAL / -ERANGE otherwise.
 * - err given to done is 0 or a negative errno from the SCSI classification
 *   (for example -EIO medium error, -EROFS write protect, -ENOSPC, -EINVAL).
 *   Path failures are retried inside the implementation and never show up
 *   here unless no path is left for longer than the configured bound.
 * - The implementation logs why a request failed (it alone knows: sense,
 *   deadline, no path), rate-limited; the caller does not log the error it
 *   is given again. A refusal by submit() is the caller's to log.
 */
#ifndef ISN_BDEV_BDEV_H
#define ISN_BDEV_BDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "util/list.h"

#define BDEV_MAX_REQ_BYTES (32u << 20)
#define BDEV_IDENT_MAX	   256

enum bdev_op {
	BDEV_OP_READ,
	BDEV_OP_WRITE,
	BDEV_OP_FLUSH,	      /* SYNCHRONIZE CACHE over the whole LUN; offset/len ignored */
	BDEV_OP_DISCARD,      /* UNMAP */
	BDEV_OP_WRITE_ZEROES, /* WRITE SAME(16) of a zero block */
};

enum bdev_flags {
	BDEV_F_FUA = 1u << 0,	   /* WRITE / WRITE_ZEROES: data durable before done */
	BDEV_F_NO_UNMAP = 1u << 1, /* WRITE_ZEROES: allocate, do not deallocate (NBD NO_HOLE) */
};

struct bdev_req;
typedef void (*bdev_done_fn)(struct bdev_req *req, int err);

/*
 * The implementation's bookkeeping for one request, embedded in it so that
 * accepting a request allocates nothing (submit() cannot fail for memory).
 * Typed fields, named for what any implementation that queues a request,
 * cuts it into pieces and bounds it in time needs; an implementation uses
 * those it needs (the memory device: node only) and the caller never reads
 * or writes any of them. Their values are undefined outside the window
 * between an accepting submit() and done.
 */
struct bdev_req_priv {
	struct list_node node;	    /* on one of the implementation's queues */
	struct list_node live_node; /* on its list of every accepted request */
	void *owner;		    /* the object that accepted the request */
	double accepted;	    /* loop time of acceptance: deadlines count from it */
	uint32_t cut;		    /* bytes already cut into pieces (<= len) */
	uint32_t pieces;	    /* pieces issued and not yet completed */
	int err;		    /* first error, negative errno; 0: none yet */
	uint32_t flags;		    /* the implementation's own flags */
};

struct bdev_req {
	/* Set by the caller before submit(). */
	enum bdev_op op;
	uint32_t flags;	 /* enum bdev_flags */
	uint64_t offset; /* bytes */
	uint32_t len;	 /* bytes */
	void *buf;	 /* READ/WRITE: len bytes; borrowed until done */
	bdev_done_fn done;
	void *opaque; /* caller's */

	/* Private to the implementation from a successful submit() until done. */
	struct bdev_req_priv priv;
};

/* What the LUN is, as the nbd layer needs it (from INQUIRY, VPD, READ CAPACITY, MODE SENSE). */
struct bdev_info {
	uint64_t size_bytes;
	uint32_t logical_block_size;  /* bytes, the LUN's */
	uint32_t physical_block_size; /* bytes, from the physical block exponent */
	uint32_t max_transfer_bytes;  /* 0 = no limit reported */
	uint32_t opt_transfer_bytes;  /* 0 = none reported */
	uint32_t max_unmap_bytes;     /* 0 = none reported */
	bool write_cache;	      /* WCE: the kernel must send FLUSH */
	bool fua;		      /* DPOFUA */
	bool discard;		      /* LBPU */
	bool write_zeroes;	      /* LBPWS */
	bool read_zeroes_after_unmap; /* LBPRZ */
	bool read_only;		      /* WP */
	bool rotational;	      /* VPD B1 medium rotation rate != 1 */
	/* VPD 0x83 designator used as the device identity, printable (e.g. "naa.6001405..."). */
	char ident[BDEV_IDENT_MAX];
};

struct bdev;

struct bdev_ops {
	int (*submit)(struct bdev *bd, struct bdev_req *req);
};

struct bdev {
	const struct bdev_ops *ops;
	struct bdev_info info;
	void *impl;
};

static inline int bdev_submit(struct bdev *bd, struct bdev_req *req)
{
	return bd->ops->submit(bd, req);
}

#endif
