/*
 * Page-aligned I/O buffers, all allocated when the pool is created, so the
 * I/O path never allocates (the daemon sits in the writeback path: an
 * allocation there can wait on the reclaim that waits on us).
 *
 * Buffers come in size classes (for example many of 256 KiB for ordinary
 * I/O and a few of 32 MiB for the largest requests), so that a queue depth
 * of 128 does not cost 128 x 32 MiB. get() hands out the smallest free
 * buffer that fits. When nothing fits, get() returns NULL and the caller
 * registers a waiter; when a buffer comes back, put() calls every waiter
 * once, in FIFO order, and each calls get() again (and waits again if it
 * still finds nothing). That is the backpressure: a connection that cannot get a buffer
 * stops reading its socket.
 *
 * Single-threaded: all calls on the loop thread.
 */
#ifndef ISN_NBD_BUFPOOL_H
#define ISN_NBD_BUFPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "util/list.h"

#define NBDSRV_BUFPOOL_MAX_CLASSES 4

struct nbdsrv_bufclass {
	uint32_t size; /* bytes, rounded up to the page size */
	uint32_t count;
};

struct nbdsrv_bufpool;

/* The owner calls list_init(&w->node) once before first use. */
struct nbdsrv_bufwait {
	struct list_node node;
	void (*ready)(struct nbdsrv_bufwait *w); /* a buffer was returned: try get() again */
};

/* Returns NULL with errno set. Classes need not be sorted. */
struct nbdsrv_bufpool *nbdsrv_bufpool_new(const struct nbdsrv_bufclass *classes, size_t nclasses);

/*
 * A pool for queue_depth requests of up to max_request bytes (usually
 * NBDSRV_MAX_PAYLOAD): queue_depth buffers of 256 KiB (the bulk of kernel
 * I/O), then, if max_request is larger, max(4, min(64, queue_depth / 8))
 * of 2 MiB (the kernel's default max_sectors_kb is at most 1280 KiB), then,
 * if still larger, 2 of max_request. Fewer big buffers than slots is
 * deliberate: big requests then queue behind each other (backpressure)
 * instead of pinning queue_depth x 32 MiB of locked memory.
 */
struct nbdsrv_bufpool *nbdsrv_bufpool_new_default(uint32_t queue_depth, uint32_t max_request);

/* All buffers must have been put back. */
void nbdsrv_bufpool_free(struct nbdsrv_bufpool *pool);

/* A buffer of at least len bytes, or NULL if none is free (or len exceeds every class). */
void *nbdsrv_bufpool_get(struct nbdsrv_bufpool *pool, uint32_t len);

void nbdsrv_bufpool_put(struct nbdsrv_bufpool *pool, void *buf);

/* Largest buffer this pool can ever hand out. */
uint32_t nbdsrv_bufpool_max_len(const struct nbdsrv_bufpool *pool);

/* Wait for a put(); a waiter is called once and then removed. cancel is harmless if not queued. */
void nbdsrv_bufpool_wait(struct nbdsrv_bufpool *pool, struct nbdsrv_bufwait *w);
void nbdsrv_bufpool_cancel(struct nbdsrv_bufwait *w);

/* Free buffers in total, for status and tests. */
uint32_t nbdsrv_bufpool_free_count(const struct nbdsrv_bufpool *pool);

#endif
