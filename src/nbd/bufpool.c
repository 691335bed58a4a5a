/*
 * Preallocated page-aligned buffer pool with size classes. See bufpool.h.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nbd/bufpool.h"
#include "nbd/proto.h"
#include "util/compiler.h"

struct bufclass {
	uint32_t size;
	uint32_t count;
	uint8_t *base;	/* one mapping of count * size bytes */
	uint32_t *free; /* stack of free indexes */
	uint32_t nfree;
};

struct nbdsrv_bufpool {
	struct bufclass cls[NBDSRV_BUFPOOL_MAX_CLASSES]; /* sorted by size */
	size_t ncls;
	struct list_node waiters;
};

static int cmp_class(const void *a, const void *b)
{
	const struct bufclass *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

struct nbdsrv_bufpool *nbdsrv_bufpool_new(const struct nbdsrv_bufclass *classes, size_t nclasses)
{
	long page = sysconf(_SC_PAGESIZE);
	struct nbdsrv_bufpool *pool;
	size_t i;

	if (nclasses == 0 || nclasses > NBDSRV_BUFPOOL_MAX_CLASSES || page <= 0) {
		errno = EINVAL;
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	list_init(&pool->waiters);
	for (i = 0; i < nclasses; i++) {
		struct bufclass *c = &pool->cls[pool->ncls];
		uint64_t size =
			((uint64_t)classes[i].size + (uint64_t)page - 1) & ~((uint64_t)page - 1);
		uint64_t total;
		uint32_t k;
		void *base;

		if (classes[i].count == 0)
			continue;
		if (size == 0 || size > UINT32_MAX ||
		    mul_overflow(size, (uint64_t)classes[i].count, &total) || total > SIZE_MAX) {
			errno = EINVAL;
			goto fail;
		}
		base = mmap(NULL, (size_t)total, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			goto fail;
		c->base = base;
		c->size = (uint32_t)size;
		c->count = classes[i].count;
		pool->ncls++;
		c->free = calloc(c->count, sizeof(*c->free));
		if (!c->free)
			goto fail;
		/* Hand out low addresses first: touched pages get reused. */
		for (k = 0; k < c->count; k++)
			c->free[k] = c->count - 1 - k;
		c->nfree = c->count;
	}
	if (pool->ncls == 0) {
		errno = EINVAL;
		goto fail;
	}
	qsort(pool->cls, pool->ncls, sizeof(pool->cls[0]), cmp_class);
	return pool;
fail : {
	int saved = errno;

	nbdsrv_bufpool_free(pool);
	errno = saved;
	return NULL;
}
}

struct nbdsrv_bufpool *nbdsrv_bufpool_new_default(uint32_t queue_depth, uint32_t max_request)
{
	const uint32_t small = 256u << 10, medium = 2u << 20;
	struct nbdsrv_bufclass c[3];
	size_t n = 0;

	if (queue_depth == 0 || max_request == 0) {
		errno = EINVAL;
		return NULL;
	}
	c[n++] = (struct nbdsrv_bufclass){.size = MIN(small, max_request), .count = queue_depth};
	if (max_request > small)
		c[n++] = (struct nbdsrv_bufclass){.size = MIN(medium, max_request),
						  .count = MAX(4u, MIN(64u, queue_depth / 8))};
	if (max_request > medium)
		c[n++] = (struct nbdsrv_bufclass){.size = max_request, .count = 2};
	return nbdsrv_bufpool_new(c, n);
}

void nbdsrv_bufpool_free(struct nbdsrv_bufpool *pool)
{
	size_t i;

	if (!pool)
		return;
	for (i = 0; i < pool->ncls; i++) {
		struct bufclass *c = &pool->cls[i];

		assert(c->nfree == c->count || !c->free);
		munmap(c->base, (size_t)c->size * c->count);
		free(c->free);
	}
	free(pool);
}

void *nbdsrv_bufpool_get(struct nbdsrv_bufpool *pool, uint32_t len)
{
	size_t i;

	for (i = 0; i < pool->ncls; i++) {
		struct bufclass *c = &pool->cls[i];

		if (c->size >= len && c->nfree > 0)
			return c->base + (size_t)c->free[--c->nfree] * c->size;
	}
	return NULL;
}

void nbdsrv_bufpool_put(struct nbdsrv_bufpool *pool, void *buf)
{
	uint8_t *p = buf;
	struct list_node woken, *n;
	size_t i;

	for (i = 0; i < pool->ncls; i++) {
		struct bufclass *c = &pool->cls[i];

		if (p >= c->base && p < c->base + (size_t)c->size * c->count) {
			assert((size_t)(p - c->base) % c->size == 0);
			assert(c->nfree < c->count);
			c->free[c->nfree++] = (uint32_t)((size_t)(p - c->base) / c->size);
			break;
		}
	}
	assert(i < pool->ncls);
	/*
	 * Wake every waiter: the first may need a bigger class than the one
	 * that came back; the ones that still find nothing wait again.
	 */
	list_init(&woken);
	list_splice_tail(&woken, &pool->waiters);
	while ((n = list_pop(&woken)) != NULL) {
		struct nbdsrv_bufwait *w = list_entry(n, struct nbdsrv_bufwait, node);

		w->ready(w);
	}
}

uint32_t nbdsrv_bufpool_max_len(const struct nbdsrv_bufpool *pool)
{
	return pool->cls[pool->ncls - 1].size;
}

void nbdsrv_bufpool_wait(struct nbdsrv_bufpool *pool, struct nbdsrv_bufwait *w)
{
	list_del(&w->node);
	list_add_tail(&pool->waiters, &w->node);
}

void nbdsrv_bufpool_cancel(struct nbdsrv_bufwait *w)
{
	list_del(&w->node);
}

uint32_t nbdsrv_bufpool_free_count(const struct nbdsrv_bufpool *pool)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < pool->ncls; i++)
		n += pool->cls[i].nfree;
	return n;
}
