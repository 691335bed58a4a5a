/*
 * NBD worker threads (--threads N, docs/perf-design.md "Threads"): the
 * transmission phase of some NBD connections runs on other cores, while
 * the block device behind them stays on the main loop.
 *
 * What runs where:
 * - Each worker is one thread with its own libev loop and its own buffer
 *   pool; it owns the connections (server.h) placed on it: their sockets,
 *   request slots, buffers and replies. Nothing else touches them.
 * - The real bdev (the path layer: sessions, policy, fences,
 *   reservations) stays on the main loop, single-threaded as before. Each
 *   worker's connections see a proxy bdev (bdev.h) that forwards every
 *   request to the main loop and hands its completion back.
 * - The main loop keeps a handle per connection (struct nbdsrv_wconn)
 *   through which it shuts the connection down or changes its export, and
 *   hears when it has closed.
 *
 * Ownership and memory ordering: the two sides talk only through queues
 * under the worker's mutex, each woken by an ev_async (libev's one
 * thread-safe call). A request's bdev_req and buffer belong to the worker;
 * between the proxy's submit and its done they are the main loop's, and
 * the mutex hand-off (release on push, acquire on pop) orders the payload
 * bytes in both directions. No other memory is shared.
 *
 * The proxy differs from the path layer's submit in one point: the real
 * submit runs later, on the main loop, so a refusal there (-EINVAL,
 * -ERANGE, -ESHUTDOWN) comes back through done, never from submit. The
 * connections validate requests against their export first, so that is
 * rare.
 *
 * Unless said otherwise, calls are made on the main loop's thread.
 */
#ifndef ISN_NBD_WORKER_H
#define ISN_NBD_WORKER_H

#include <ev.h>
#include <stdint.h>

#include "bdev/bdev.h"
#include "nbd/bufpool.h"
#include "nbd/proto.h"
#include "nbd/server.h"

#define NBDSRV_WORKERS_MAX 16

struct nbdsrv_workers;
struct nbdsrv_wconn;

/*
 * A connection on a worker has closed: it is gone on the worker, st is
 * its last counters (borrowed for the call). Fires on the main loop,
 * once; the owner then calls nbdsrv_wconn_free().
 */
typedef void (*nbdsrv_wconn_closed_fn)(struct nbdsrv_wconn *wc, int err,
				       const struct nbdsrv_conn_stats *st, void *opaque);

/*
 * Start n worker threads (1..NBDSRV_WORKERS_MAX) serving connections on
 * bd (borrowed, used on main only; it must outlive the workers). Each
 * worker gets a buffer pool of the given classes with the counts divided
 * by n (at least 2 of each). name prefixes log lines. Returns NULL with
 * errno set.
 */
struct nbdsrv_workers *nbdsrv_workers_new(struct ev_loop *main_loop, struct bdev *bd,
					  const struct nbdsrv_bufclass *classes, size_t nclasses,
					  unsigned n, const char *name);

/*
 * Stop the threads and join them, waiting at most timeout seconds for
 * each. A worker whose connections are still open (a stop that ran out
 * of time) is stopped without them: they are left to the process exit.
 * Returns 0, or -ETIMEDOUT if a thread did not end in time (left running).
 */
int nbdsrv_workers_free(struct nbdsrv_workers *ws, double timeout);

unsigned nbdsrv_workers_count(const struct nbdsrv_workers *ws);

/* The largest request a connection on a worker can take (its pool's largest buffer). */
uint32_t nbdsrv_workers_max_len(const struct nbdsrv_workers *ws);

/*
 * Hand fd (and cfg->ssl) to the worker with the fewest connections; the
 * connection starts there as nbdsrv_conn_new() would start it (cfg's
 * closed and opaque are ignored: closed fires on main as given here).
 * The strings of cfg and ex are copied. fd itself is closed here: the
 * worker serves a duplicate (nbdsrv_wconn_fd). Returns NULL with errno
 * set, fd and ssl then still the caller's.
 */
struct nbdsrv_wconn *nbdsrv_wconn_new(struct nbdsrv_workers *ws, int fd,
				      const struct nbdsrv_export *ex,
				      const struct nbdsrv_conn_cfg *cfg,
				      nbdsrv_wconn_closed_fn closed, void *opaque);

/* nbdsrv_conn_shutdown() on the worker, soon. */
void nbdsrv_wconn_shutdown(struct nbdsrv_wconn *wc);

/* nbdsrv_conn_set_export() on the worker, soon; ex is copied (its strings borrowed). */
void nbdsrv_wconn_set_export(struct nbdsrv_wconn *wc, const struct nbdsrv_export *ex);

/* Only after closed() fired. */
void nbdsrv_wconn_free(struct nbdsrv_wconn *wc);

const char *nbdsrv_wconn_name(const struct nbdsrv_wconn *wc);

/*
 * The descriptor the worker serves: only to look at (poll) from here,
 * and only while closed() has not fired.
 */
int nbdsrv_wconn_fd(const struct nbdsrv_wconn *wc);

/*
 * Call fn for every connection of every worker (status output), on the
 * worker's thread while this thread waits (at most 100 ms per worker; a
 * worker that does not answer in time is left out, with a warning). fn
 * must not block; arg is only used while this call runs.
 */
void nbdsrv_workers_foreach(struct nbdsrv_workers *ws,
			    void (*fn)(const struct nbdsrv_conn *c, void *arg), void *arg);

#endif
