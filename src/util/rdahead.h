/*
 * Read-ahead for a non-blocking stream socket that a state machine reads
 * in steps (a header, then a payload, then the next header). Each read asks
 * for the rest of the current step plus a buffer's worth past it, so a
 * burst of small messages costs one read() instead of two per message;
 * the steps that follow take their bytes from the buffer.
 *
 * Per wakeup: rdahead_wakeup() sets a read budget; rdahead_may_read() says
 * whether to call read again (no after a short read, which means the
 * socket is empty, and no once the budget is spent). The owner must use up
 * the buffer before waiting for its socket again, or feed itself a read
 * event: bytes here do not make the socket readable.
 */
#ifndef ISN_UTIL_RDAHEAD_H
#define ISN_UTIL_RDAHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

struct rdahead {
	uint8_t *buf;
	uint32_t size;
	uint32_t off, len;	 /* unread bytes are buf[off, len) */
	bool drained;		 /* this wakeup's last read came back short */
	unsigned int reads_left; /* this wakeup's read budget */
	size_t asked;		 /* bytes the last read asked for */
};

static inline uint32_t rdahead_avail(const struct rdahead *ra)
{
	return ra->len - ra->off;
}

static inline void rdahead_reset(struct rdahead *ra)
{
	ra->off = ra->len = 0;
}

/* Copy up to len buffered bytes to dst; returns how many. */
static inline uint32_t rdahead_take(struct rdahead *ra, void *dst, size_t len)
{
	uint32_t n = rdahead_avail(ra);

	if (len < n)
		n = (uint32_t)len;
	memcpy(dst, ra->buf + ra->off, n);
	ra->off += n;
	if (ra->off == ra->len)
		rdahead_reset(ra);
	return n;
}

static inline void rdahead_wakeup(struct rdahead *ra, unsigned int budget)
{
	ra->drained = false;
	ra->reads_left = budget;
}

/* Whether to read the socket now; counts the read against the budget. */
static inline bool rdahead_may_read(struct rdahead *ra)
{
	if (ra->drained || ra->reads_left == 0)
		return false;
	ra->reads_left--;
	return true;
}

/*
 * Before a read of the step's remaining want bytes: append up to ahead
 * bytes of the buffer to the iovec (none when the step alone needs a
 * buffer's worth: it is read straight to its destination). iov must have
 * room for one more entry. Returns the new count.
 */
static inline unsigned int rdahead_iov(struct rdahead *ra, struct iovec *iov, unsigned int n,
				       size_t want, size_t ahead)
{
	ra->asked = want;
	if (want >= ra->size || ahead == 0)
		return n;
	iov[n].iov_base = ra->buf;
	iov[n].iov_len = ahead < ra->size ? ahead : ra->size;
	ra->asked += iov[n].iov_len;
	return n + 1;
}

/*
 * Account a read of r > 0 bytes set up by rdahead_iov(): keeps what went
 * past the step, returns what went to the step.
 */
static inline size_t rdahead_got(struct rdahead *ra, size_t r, size_t want)
{
	if (r < ra->asked)
		ra->drained = true;
	if (r <= want)
		return r;
	ra->off = 0;
	ra->len = (uint32_t)(r - want);
	return want;
}

#endif
