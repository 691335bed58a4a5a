/*
 * A struct bdev over a calloc'd buffer, for tests and for the nbdsrv_mem
 * test server. Completions are deferred to the loop through an ev_async
 * (an ev_idle would starve while sockets are busy), so
 * done() never fires inside submit() (the path layer's promise too), and
 * the data is copied at completion time, as a real device would.
 *
 * Knobs: hold (completions wait until membdev_release()), injected errors
 * per operation (fail_err for the ops in fail_ops, fail_count times, -1 =
 * forever), submit_err (submit() itself fails). Counters record what the
 * nbd layer asked for.
 */
#ifndef ISN_TESTS_MEMBDEV_H
#define ISN_TESTS_MEMBDEV_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "bdev/bdev.h"
#include "util/list.h"

#define MEMBDEV_OPS 5

struct membdev {
	struct bdev bd;
	struct ev_loop *loop;
	uint8_t *data;
	ev_async wake; /* submit() wakes the loop; completions run from there */
	struct list_node pending;

	bool hold;
	int fail_err;		 /* negative errno given to done() */
	uint32_t fail_ops;	 /* 1u << enum bdev_op */
	int fail_count;		 /* failures left; -1 = all */
	int submit_err;		 /* if non-zero, submit() returns it */
	bool complete_in_submit; /* done() before submit() returns (bdev.h allows it) */

	uint64_t submitted[MEMBDEV_OPS];
	uint64_t completed;
	uint32_t inflight, max_inflight;
	uint32_t last_flags[MEMBDEV_OPS];
	uint32_t last_len[MEMBDEV_OPS];
	uint32_t fua_writes;
};

/* Size in bytes, logical block size; every capability flag on. Returns 0 or -errno. */
int membdev_init(struct membdev *m, struct ev_loop *loop, uint64_t size, uint32_t lbs);

/* Completes nothing: requests still pending are completed with -ESHUTDOWN first. */
void membdev_destroy(struct membdev *m);

/* Let held completions go (on the next loop iteration). */
void membdev_release(struct membdev *m);

#endif
