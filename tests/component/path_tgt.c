/*
 * Smoke test of the path layer over the real session engine against a real
 * target (tgtd): not run by make check on its own (it needs a target), run
 * by hand or from a shell test:
 *
 *   path_tgt TARGET_IQN LUN HOST[:PORT][@IFNAME] [HOST[:PORT][@IFNAME] ...]
 *
 * With PATH_TGT_SOAK=SECONDS it instead keeps 8 write/read-back loops
 * running for that long, each on its own region, while the caller pulls
 * cables: every request must succeed and every read must match (failover is
 * invisible to the caller). With PATH_TGT_SOAK_STOP=FILE as well, the
 * loops end as soon as FILE exists (SECONDS is then only the bound), so the
 * caller can run its events at the pace of what it observes in our log
 * instead of on a fixed schedule. PATH_TGT_NOP=INTERVAL_MS,TIMEOUT_MS sets
 * the health check.
 *
 * Brings the device up over every portal given (round-robin), then writes
 * patterns of many sizes (split at the LUN's limits and at max_io_bytes),
 * reads each back and compares, flushes, writes zeroes, discards if the LUN
 * can, and stops. Exit 0 when everything matched, 1 on a mismatch or
 * error, 77 without arguments.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "path/device.h"
#include "util/log.h"

static struct ev_loop *loop;
static struct path_device *dev;
static struct bdev_req req;
static uint8_t *wbuf, *rbuf;
static int step, failures;

struct op {
	enum bdev_op op;
	uint64_t off;
	uint32_t len;
};

/* Writes then reads of the same range, at aligned and unaligned offsets. */
static const struct op ops[] = {
	{BDEV_OP_WRITE, 0, 512},
	{BDEV_OP_READ, 0, 512},
	{BDEV_OP_WRITE, 4096, 4096},
	{BDEV_OP_READ, 4096, 4096},
	{BDEV_OP_WRITE, 512, 65536},
	{BDEV_OP_READ, 512, 65536},
	{BDEV_OP_WRITE, 1 << 20, 5 << 20},
	{BDEV_OP_READ, 1 << 20, 5 << 20},
	{BDEV_OP_WRITE, 7 << 20, 32 << 20},
	{BDEV_OP_READ, 7 << 20, 32 << 20},
	{BDEV_OP_FLUSH, 0, 0},
	{BDEV_OP_WRITE_ZEROES, 4096, 8192},
	{BDEV_OP_READ, 4096, 8192},
	{BDEV_OP_DISCARD, 1 << 20, 1 << 20},
};

static void next(void);

static void done(struct bdev_req *r, int err)
{
	const struct op *o = &ops[step];

	if (err == -EOPNOTSUPP && o->op == BDEV_OP_DISCARD)
		err = 0;
	if (err) {
		fprintf(stderr, "step %d (op %d %llu+%u): %s\n", step, o->op,
			(unsigned long long)o->off, o->len, strerror(-err));
		failures++;
	} else if (o->op == BDEV_OP_READ) {
		const uint8_t *want = wbuf + o->off % 4096;

		if (step > 0 && ops[step - 1].op == BDEV_OP_WRITE_ZEROES) {
			for (uint32_t i = 0; i < o->len; i++)
				if (rbuf[i]) {
					fprintf(stderr, "step %d: byte %u not zero\n", step, i);
					failures++;
					break;
				}
		} else if (memcmp(rbuf, want, o->len) != 0) {
			fprintf(stderr, "step %d: read back differs\n", step);
			failures++;
		}
	}
	step++;
	next();
}

static void next(void)
{
	const struct op *o;
	int r;

	if (step == (int)(sizeof(ops) / sizeof(ops[0])) || failures) {
		path_device_stop(dev);
		return;
	}
	o = &ops[step];
	memset(&req, 0, sizeof(req));
	req.op = o->op;
	req.offset = o->off;
	req.len = o->len;
	req.buf = o->op == BDEV_OP_WRITE ? wbuf + o->off % 4096 : rbuf;
	req.done = done;
	if (o->op == BDEV_OP_DISCARD && !path_device_bdev(dev)->info.discard) {
		step++;
		next();
		return;
	}
	r = bdev_submit(path_device_bdev(dev), &req);
	if (r) {
		fprintf(stderr, "step %d: submit: %s\n", step, strerror(-r));
		failures++;
		path_device_stop(dev);
	}
}

/* ---- soak mode ---- */

#define SOAK_SLOTS  8
#define SOAK_REGION (1u << 20)

struct slot {
	struct bdev_req req;
	unsigned int idx;
	bool reading;
	uint32_t len;
	uint64_t off;
	uint8_t *w, *r;
	unsigned long rounds;
};

static struct slot slots[SOAK_SLOTS];
static double soak_end;
static unsigned int soak_live;
static unsigned int rng = 12345;

static unsigned int rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static void slot_next(struct slot *s);

static void slot_done(struct bdev_req *r, int err)
{
	struct slot *s = container_of(r, struct slot, req);

	if (err) {
		fprintf(stderr, "slot %u %s %llu+%u: %s\n", s->idx, s->reading ? "read" : "write",
			(unsigned long long)s->off, s->len, strerror(-err));
		failures++;
	} else if (s->reading && memcmp(s->w, s->r, s->len) != 0) {
		fprintf(stderr, "slot %u: read back of %llu+%u differs\n", s->idx,
			(unsigned long long)s->off, s->len);
		failures++;
	}
	if (s->reading)
		s->rounds++;
	s->reading = !s->reading;
	slot_next(s);
}

static void slot_next(struct slot *s)
{
	int r;

	if (!s->reading && (failures || ev_now(loop) >= soak_end)) {
		if (--soak_live == 0)
			path_device_stop(dev);
		return;
	}
	if (!s->reading) {
		s->len = (1 + rnd() % 256) * 512;
		s->off = (uint64_t)s->idx * SOAK_REGION + (rnd() % (SOAK_REGION / 512 - 256)) * 512;
		for (uint32_t i = 0; i < s->len; i++)
			s->w[i] = (uint8_t)rnd();
	}
	memset(&s->req, 0, sizeof(s->req));
	s->req.op = s->reading ? BDEV_OP_READ : BDEV_OP_WRITE;
	s->req.offset = s->off;
	s->req.len = s->len;
	s->req.buf = s->reading ? s->r : s->w;
	s->req.done = slot_done;
	r = bdev_submit(path_device_bdev(dev), &s->req);
	if (r) {
		fprintf(stderr, "slot %u: submit: %s\n", s->idx, strerror(-r));
		failures++;
		if (--soak_live == 0)
			path_device_stop(dev);
	}
}

/* PATH_TGT_SOAK_STOP: looked for every 100 ms, not on every I/O. */
static ev_timer soak_stop_timer;

static void on_soak_stop(struct ev_loop *l, ev_timer *w, int revents)
{
	if (access(getenv("PATH_TGT_SOAK_STOP"), F_OK) == 0) {
		fprintf(stderr, "soak: stop file seen\n");
		soak_end = ev_now(l);
		ev_timer_stop(l, w);
	}
}

static void soak_start(double secs)
{
	soak_end = ev_now(loop) + secs;
	if (getenv("PATH_TGT_SOAK_STOP")) {
		ev_timer_init(&soak_stop_timer, on_soak_stop, 0.1, 0.1);
		ev_timer_start(loop, &soak_stop_timer);
	}
	soak_live = SOAK_SLOTS;
	for (unsigned int i = 0; i < SOAK_SLOTS; i++) {
		slots[i].idx = i;
		slots[i].w = malloc(256 * 512);
		slots[i].r = malloc(256 * 512);
		slot_next(&slots[i]);
	}
}

static void on_ready(struct path_device *d, void *o)
{
	const struct bdev_info *i = &path_device_bdev(d)->info;

	fprintf(stderr, "ready: %s %llu bytes, block %u, max xfer %u, wce %d fua %d discard %d\n",
		i->ident, (unsigned long long)i->size_bytes, i->logical_block_size,
		i->max_transfer_bytes, i->write_cache, i->fua, i->discard);
	if (getenv("PATH_TGT_SOAK"))
		soak_start(atof(getenv("PATH_TGT_SOAK")));
	else
		next();
}

static void on_stopped(struct path_device *d, void *o)
{
	ev_break(loop, EVBREAK_ALL);
}

static void on_timeout(struct ev_loop *l, ev_timer *w, int revents)
{
	fprintf(stderr, "timeout at step %d\n", step);
	failures++;
	ev_break(l, EVBREAK_ALL);
}

static int parse_portal(const char *s, struct path_config *pc)
{
	char host[256], *colon;
	const char *port = "3260";
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;

	snprintf(host, sizeof(host), "%s", s);
	colon = strchr(host, '@');
	if (colon) {
		*colon = 0;
		pc->bind_ifname = strdup(colon + 1);
	}
	colon = strrchr(host, ':');
	if (colon) {
		*colon = 0;
		port = colon + 1;
	}
	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	memcpy(&pc->portal, ai->ai_addr, ai->ai_addrlen);
	pc->portal_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int main(int argc, char **argv)
{
	struct path_device_config cfg = {0};
	ev_timer t;

	if (argc < 4) {
		fprintf(stderr, "usage: %s TARGET_IQN LUN HOST[:PORT]...\n", argv[0]);
		return 77;
	}
	loop = EV_DEFAULT;
	cfg.name = "nbd0";
	cfg.initiator_name = "iqn.2026-11.org.iscsi-nbd:path-smoke";
	cfg.target_name = argv[1];
	cfg.lun = strtoull(argv[2], NULL, 0);
	for (int i = 3; i < argc && cfg.npaths < PATH_MAX_PATHS; i++)
		if (parse_portal(argv[i], &cfg.paths[cfg.npaths++])) {
			fprintf(stderr, "bad portal %s\n", argv[i]);
			return 1;
		}
	cfg.policy.kind = PATH_POLICY_ROUND_ROBIN;
	cfg.transport = &path_transport_sess;
	cfg.on_ready = on_ready;
	cfg.on_stopped = on_stopped;
	if (getenv("PATH_TGT_NOP"))
		sscanf(getenv("PATH_TGT_NOP"), "%u,%u", &cfg.nop_interval_ms, &cfg.nop_timeout_ms);
	cfg.no_path_retry_ms = 30000;
	wbuf = malloc((32u << 20) + 4096);
	rbuf = malloc(32u << 20);
	for (size_t i = 0; i < (32u << 20) + 4096; i++)
		wbuf[i] = (uint8_t)(i * 7 + (i >> 9));
	dev = path_device_new(loop, &cfg);
	if (!dev || path_device_start(dev)) {
		fprintf(stderr, "cannot start the device\n");
		return 1;
	}
	ev_timer_init(&t, on_timeout,
		      60 + (getenv("PATH_TGT_SOAK") ? atof(getenv("PATH_TGT_SOAK")) : 0), 0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	for (unsigned int i = 0; i < path_device_npaths(dev); i++) {
		struct path_status ps;

		path_device_path_status(dev, i, &ps);
		fprintf(stderr,
			"%s: %s (%s), %llu I/Os, %llu bytes, %llu failures, latency %.3f ms\n",
			ps.name, path_state_name(ps.state), ps.reason, (unsigned long long)ps.ios,
			(unsigned long long)ps.bytes, (unsigned long long)ps.failures,
			ps.latency_ewma * 1000);
	}
	path_device_free(dev);
	free(wbuf);
	free(rbuf);
	for (unsigned int i = 0; i < SOAK_SLOTS; i++) {
		if (slots[i].rounds)
			fprintf(stderr, "slot %u: %lu rounds\n", i, slots[i].rounds);
		free(slots[i].w);
		free(slots[i].r);
	}
	for (unsigned int i = 0; i < cfg.npaths; i++)
		free((char *)cfg.paths[i].bind_ifname);
	fprintf(stderr, "%s: %d failures after %d steps\n", argv[0], failures, step);
	return failures ? 1 : 0;
}
