/*
 * Socket I/O through io_uring, one ring per libev loop (--io-engine uring).
 *
 * The ring batches: an operation queued during a loop iteration is only
 * put in the submission queue; one io_uring_enter() submits everything
 * queued once the iteration's callbacks have run (an ev_prepare at the
 * lowest priority, fed like util/evdefer.h). Completions come back through
 * an ev_io on the ring's own fd (readable while completions wait), reaped in
 * one go and handed to each operation's done callback in order. libev keeps
 * the timers, signals and every other fd.
 *
 * An operation (struct uring_op) is embedded in its owner. Its buffers are
 * borrowed by the kernel from the call that queues it until its done
 * callback runs or uring_cancel_fd() returns; done fires exactly once,
 * except after a cancel, where it never fires. One operation is in flight
 * at most once (op->busy).
 *
 * Not thread safe: a ring belongs to its loop's thread.
 */
#ifndef ISN_UTIL_URING_H
#define ISN_UTIL_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ev.h>

enum io_engine {
	IO_ENGINE_EPOLL, /* readiness through libev, read / sendmsg per socket (default) */
	IO_ENGINE_URING, /* receives and sends through the loop's io_uring */
};

/* The process's engine, chosen before any loop creates a socket. */
void io_engine_set(enum io_engine e);
enum io_engine io_engine_get(void);
/* "epoll" / "uring"; 0 or -EINVAL. */
int io_engine_parse(const char *s, enum io_engine *out);
const char *io_engine_name(enum io_engine e);

struct uring;

struct uring_op {
	/* res: the operation's result, >= 0 or -errno. */
	void (*done)(struct uring_op *op, int res);
	/* Private to the ring. */
	bool busy;
	bool seen; /* its completion is reaped but not yet handed over */
	uint32_t slot;
};

/*
 * The loop's ring, created on first use (counted: each uring_get() needs a
 * uring_put()). NULL with errno set if the ring cannot be set up (the
 * caller then reports the error: no silent fallback to epoll).
 */
struct uring *uring_get(struct ev_loop *loop);
void uring_put(struct uring *r);
/*
 * A connection's socket I/O: the loop's ring (uring_get(), NULL with errno
 * set) for its receive operation rx and its send operation tx, whose done
 * callbacks are set here.
 */
struct uring *uring_get_socket(struct ev_loop *loop, struct uring_op *rx,
			       void (*rx_done)(struct uring_op *op, int res), struct uring_op *tx,
			       void (*tx_done)(struct uring_op *op, int res));

/* Queue a recv() of up to len bytes into buf. 0 or -errno (-EBUSY: op in flight). */
int uring_recv(struct uring *r, struct uring_op *op, int fd, void *buf, size_t len);
/* Queue a readv(); the iovec array is borrowed too. 0 or -errno. */
int uring_readv(struct uring *r, struct uring_op *op, int fd, const struct iovec *iov,
		unsigned int n);
/*
 * Queue a sendmsg(); mh and its iovec are borrowed too (the kernel may read
 * them after this returns). 0 or -errno.
 */
int uring_sendmsg(struct uring *r, struct uring_op *op, int fd, const struct msghdr *mh, int flags);

/*
 * Whether op's completion has come from the kernel and waits to be handed
 * over (its done callback has not run yet). Reaps the ring to find out;
 * what it reaps is handed over by the loop as usual.
 */
bool uring_op_completed(struct uring *r, struct uring_op *op);

/*
 * Cancel the n given operations (those in flight; the others are skipped)
 * and wait, at most URING_CANCEL_WAIT_MS, until the kernel is done with
 * them: then their buffers are free again and their done callbacks never
 * fire. Completions of other operations that arrive meanwhile are kept for
 * the loop. Callable from a done callback. 0, or -ETIMEDOUT: an operation
 * still in flight was abandoned (its completion is dropped when it comes,
 * but its buffers must stay allocated).
 */
#define URING_CANCEL_WAIT_MS 2000
int uring_cancel(struct uring *r, struct uring_op *const *ops, unsigned int n);
/*
 * uring_cancel() of operations on the socket fd. Should the kernel not let
 * go in time (never seen: a socket operation cancels at once), shutting
 * the socket down ends them for sure (the connection is over then) and
 * they are cancelled again. 0, or -ETIMEDOUT as uring_cancel().
 */
int uring_cancel_socket(struct uring *r, int fd, struct uring_op *const *ops, unsigned int n);

#endif
