/*
 * Every I/O has a bound (issue 9 part 2, DESIGN.md "Invariants"): the
 * per-request deadline across all retries and the re-send budget, the
 * no-path bound for writes held for the ghost-write fence, the write
 * barrier that keeps a later write from overtaking a ghost that was failed
 * early, the growing re-login back-off of a path whose commands keep
 * failing, and the back-off when the target keeps ending our sessions by
 * reinstatement from someone else with our ISID; and the one log line a
 * failed request leaves, however many pieces it had (issue 12 item 7).
 * path_device over fake sessions with a fake clock (fakesess.h); each
 * test says what it proves.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "fakesess.h"
#include "path/device.h"
#include "path/internal.h"
#include "util/log.h"

static struct ev_loop *loop;
static struct path_device *dev;
static struct bdev *bd;
static struct fakelun lun;
static struct path_device_config cfg;

/* Captured log lines of LOG_WARNING and worse. */
static char logbuf[16384];
static unsigned int nlog;

static void log_capture(int prio, const char *line, void *opaque)
{
	size_t l = strlen(logbuf);

	if (prio > LOG_WARNING || l + strlen(line) + 2 >= sizeof(logbuf))
		return;
	nlog++;
	snprintf(logbuf + l, sizeof(logbuf) - l, "%s\n", line);
}

/* How many captured lines contain s. */
static unsigned int log_count(const char *s)
{
	unsigned int n = 0;

	for (const char *p = logbuf; (p = strstr(p, s)) != NULL; p += strlen(s))
		n++;
	return n;
}

struct treq {
	struct bdev_req r;
	int calls;
	int err;
	double at; /* fake time of done */
	uint8_t *buf;
};

static void treq_done(struct bdev_req *r, int err)
{
	struct treq *t = container_of(r, struct treq, r);

	t->calls++;
	t->err = err;
	t->at = fake_now;
}

static void setup(void)
{
	loop = ev_loop_new(EVFLAG_AUTO);
	fake_now = 1000.0;
	fakelun_init(&lun, 4096, 512, 1);
	for (int i = 0; i < 8; i++)
		fakesess_lun_for[i] = &lun;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "nbd0";
	cfg.initiator_name = "iqn.2026-01.test:init";
	cfg.target_name = "iqn.2026-01.test:tgt";
	cfg.transport = &fakesess_ops;
	cfg.clock = fake_clock;
	cfg.nop_interval_ms = 1000;
	cfg.nop_timeout_ms = 3000;
	cfg.cmd_timeout_ms = 10000;
	cfg.no_path_retry_ms = 5000;
	cfg.reconnect_min_ms = 100;
	cfg.reconnect_max_ms = 1000;
	cfg.retry_backoff_ms = 10;
	cfg.stop_timeout_ms = 2000;
	logbuf[0] = 0;
	nlog = 0;
	log_set_hook(log_capture, NULL);
}

static void teardown(void)
{
	if (dev)
		path_device_free(dev);
	dev = NULL;
	log_set_hook(NULL, NULL);
	fakesess_reset();
	fakelun_free(&lun);
	ev_loop_destroy(loop);
}

static void mk_pol(unsigned int npaths, enum path_policy_kind kind)
{
	cfg.npaths = npaths;
	cfg.policy.kind = kind;
	for (unsigned int i = 0; i < npaths; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&cfg.paths[i].portal;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)(3260 + i));
		cfg.paths[i].portal_len = sizeof(*sin);
	}
	dev = path_device_new(loop, &cfg);
	ck_assert_ptr_nonnull(dev);
	bd = path_device_bdev(dev);
	ck_assert_int_eq(path_device_start(dev), 0);
}

static void mk(unsigned int npaths)
{
	mk_pol(npaths, PATH_POLICY_FAILOVER);
}

static struct path *P(int i)
{
	return &dev->paths[i];
}

static void poll_dev(void)
{
	path_device_poll(dev);
}

/* Log path i's latest session in and answer the probe (I/O is sent later, on a poll). */
static void up(int i)
{
	struct sess *s = fakesess_latest(i);

	ck_assert_ptr_nonnull(s);
	fakesess_login(s);
	fakesess_serve(s);
	poll_dev();
}

static bool connecting(int i)
{
	struct sess *s = fakesess_latest(i);

	return s && s->st == SESS_CONNECTING && !s->fence;
}

static void advance(double sec)
{
	fake_now += sec;
	poll_dev();
}

static struct treq *mkreq(enum bdev_op op, uint64_t off, uint32_t len, uint8_t fill)
{
	struct treq *t = calloc(1, sizeof(*t));

	t->buf = malloc(len ? len : 1);
	memset(t->buf, fill, len);
	t->r.op = op;
	t->r.offset = off;
	t->r.len = len;
	t->r.buf = t->buf;
	t->r.done = treq_done;
	return t;
}

static void freereq(struct treq *t)
{
	free(t->buf);
	free(t);
}

/*
 * A target that logs in and passes the probe but never completes a
 * command, in three ways: it answers NOPs (alive, silent on the command),
 * it trickles bytes (1 byte/s: the connection is never quiet), it drops
 * the session half a second after each login (a flap that always comes
 * back). Today's path policy would re-issue the read forever; it must fail
 * with EIO at the request deadline (io_timeout_ms after it arrived), with
 * one log line naming the request and the reason.
 */
START_TEST(deadline_never_completing_target)
{
	struct treq *r;
	double t0, login_at = 0;

	cfg.io_timeout_ms = 25000;
	cfg.io_retries = 1000;	       /* the deadline, not the budget, is tested here */
	cfg.no_path_retry_ms = 600000; /* nor the no-path bound (the flap backs off) */
	mk(1);
	up(0);
	t0 = fake_now;
	r = mkreq(BDEV_OP_READ, 4096, 512, 0);
	ck_assert_int_eq(bdev_submit(bd, &r->r), 0);
	poll_dev();
	for (int step = 0; step < 240 && r->calls == 0; step++) {
		struct sess *s = fakesess_latest(0);

		if (connecting(0)) {
			up(0);
			login_at = fake_now;
		}
		s = fakesess_latest(0);
		if (s && s->st == SESS_READY) {
			if (_i == 0)
				fakesess_pong(s);
			else if (_i == 1)
				fakesess_rx(s);
			else if (fake_now - login_at >= 0.5 && s->ntasks)
				fakesess_die(s);
			if (_i == 2)
				fakesess_pong(s);
		}
		advance(0.25);
	}
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(r->err, -EIO);
	ck_assert_double_ge(r->at, t0 + 25.0);
	ck_assert_double_le(r->at, t0 + 25.0 + 0.3);
	ck_assert_uint_eq(lun.reads, 0);
	/* One line names the request and says why. */
	ck_assert_uint_eq(log_count("READ 4096+512"), 1);
	ck_assert_uint_eq(log_count("deadline passed (io_timeout"), 1);
	freereq(r);
}
END_TEST

/* Run the loop with a target that answers NOPs but never a command, until
 * every one of the n requests has completed. */
static void run_silent_until_done(struct treq **r, int n)
{
	for (int step = 0; step < 400; step++) {
		struct sess *s;
		int left = 0;

		for (int i = 0; i < n; i++)
			left += r[i]->calls == 0;
		if (!left)
			return;
		if (connecting(0))
			up(0);
		s = fakesess_latest(0);
		if (s && s->st == SESS_READY)
			fakesess_pong(s);
		advance(0.25);
	}
}

/*
 * Many requests failing at once (a dead LUN under a busy client) log one
 * line each only up to the limit (LOG_RL_BURST per LOG_RL_INTERVAL); the
 * rest are counted, and the count is logged before the next line of a
 * later window.
 */
START_TEST(failure_lines_rate_limited)
{
	enum { N = LOG_RL_BURST + 5 };
	struct treq *r[N + 1];

	cfg.io_timeout_ms = 2000;
	cfg.io_retries = 1000;
	cfg.no_path_retry_ms = 600000;
	mk(1);
	up(0);
	for (int i = 0; i < N; i++) {
		r[i] = mkreq(BDEV_OP_READ, 512u * (uint64_t)i, 512, 0);
		ck_assert_int_eq(bdev_submit(bd, &r[i]->r), 0);
	}
	poll_dev();
	run_silent_until_done(r, N);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(r[i]->calls, 1);
		ck_assert_int_eq(r[i]->err, -EIO);
	}
	ck_assert_uint_eq(log_count("failed with EIO after"), LOG_RL_BURST);
	ck_assert_uint_eq(log_count("similar messages suppressed"), 0);
	/* A later window: the count of the 5 dropped lines, then the new line. */
	advance(LOG_RL_INTERVAL);
	r[N] = mkreq(BDEV_OP_READ, 512u * N, 512, 0);
	ck_assert_int_eq(bdev_submit(bd, &r[N]->r), 0);
	poll_dev();
	run_silent_until_done(&r[N], 1);
	ck_assert_int_eq(r[N]->calls, 1);
	ck_assert_uint_eq(log_count("nbd0: 5 similar messages suppressed"), 1);
	ck_assert_uint_eq(log_count("failed with EIO after"), LOG_RL_BURST + 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "READ 7680+512"));
	ck_assert(strstr(logbuf, "suppressed") < strstr(logbuf, "READ 7680+512"));
	for (int i = 0; i <= N; i++)
		freereq(r[i]);
}
END_TEST

/* Answer every task on every ready session with a MEDIUM ERROR; how many. */
static unsigned int fail_all_medium(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < dev->npaths; i++) {
		struct sess *s = fakesess_latest((int)i);

		while (s && s->st == SESS_READY && s->ntasks) {
			fakesess_fail_one(s, 0x02, 0x03, 0x11, 0x00);
			n++;
		}
	}
	return n;
}

/*
 * One log line per failed request (issue 12 item 7), not one per piece: a
 * read cut into 4 KiB pieces at the LUN's transfer limit (_i 0) or
 * striped over two paths by round-robin (_i 1) whose every piece gets a
 * MEDIUM ERROR fails with EIO and one line, which names the request and
 * carries the sense.
 */
START_TEST(split_request_fails_one_line)
{
	struct treq *r;
	unsigned int failed = 0;

	lun.max_xfer_blocks = 8; /* 4 KiB pieces */
	mk_pol(_i ? 2 : 1, _i ? PATH_POLICY_ROUND_ROBIN : PATH_POLICY_FAILOVER);
	up(0);
	if (_i)
		up(1);
	r = mkreq(BDEV_OP_READ, 0, 16 * 1024, 0);
	ck_assert_int_eq(bdev_submit(bd, &r->r), 0);
	poll_dev();
	if (_i) { /* striped: both paths carry pieces of it */
		ck_assert_uint_gt(fakesess_latest(0)->ntasks, 0);
		ck_assert_uint_gt(fakesess_latest(1)->ntasks, 0);
	}
	for (int step = 0; step < 10 && r->calls == 0; step++) {
		failed += fail_all_medium();
		poll_dev();
	}
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(r->err, -EIO);
	ck_assert_uint_eq(failed, 4);
	ck_assert_uint_eq(nlog, 1);
	ck_assert_uint_eq(log_count("READ 0+16384"), 1);
	ck_assert_uint_eq(log_count("MEDIUM ERROR"), 1);
	freereq(r);
}
END_TEST

/*
 * A short read or write (GOOD with an underflow residual) fails with one
 * line, and that line says how many bytes were missing; no second line
 * for the same failure (_i 0 a read, _i 1 a write).
 */
START_TEST(short_transfer_one_line)
{
	struct treq *r;
	struct sess *s;

	mk(1);
	up(0);
	s = fakesess_latest(0);
	r = mkreq(_i ? BDEV_OP_WRITE : BDEV_OP_READ, 0, 1024, 0x5a);
	ck_assert_int_eq(bdev_submit(bd, &r->r), 0);
	poll_dev();
	fakesess_answer_one(s, 0x00, 0x00, true, 512);
	poll_dev();
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(r->err, -EIO);
	ck_assert_uint_eq(nlog, 1);
	ck_assert_uint_eq(log_count(_i ? "short write" : "short read"), 1);
	ck_assert_uint_eq(log_count("512 bytes missing"), 1);
	ck_assert_uint_eq(log_count(_i ? "WRITE 0+1024" : "READ 0+1024"), 1);
	freereq(r);
}
END_TEST

/*
 * A request whose first piece fails with a MEDIUM ERROR while another
 * piece is still out on a silent target: that piece ends at the deadline,
 * and the request, already logged with its sense, logs no second line.
 */
START_TEST(hard_failure_then_deadline_one_line)
{
	struct treq *r;
	struct sess *s;

	cfg.io_timeout_ms = 2000;
	cfg.io_retries = 1000;
	cfg.no_path_retry_ms = 600000;
	lun.max_xfer_blocks = 8; /* 4 KiB pieces */
	mk(1);
	up(0);
	s = fakesess_latest(0);
	r = mkreq(BDEV_OP_READ, 0, 8192, 0);
	ck_assert_int_eq(bdev_submit(bd, &r->r), 0);
	poll_dev();
	ck_assert_uint_eq(s->ntasks, 2);
	fakesess_fail_one(s, 0x02, 0x03, 0x11, 0x00);
	poll_dev();
	ck_assert_int_eq(r->calls, 0);
	run_silent_until_done(&r, 1);
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(r->err, -EIO);
	ck_assert_uint_eq(log_count("READ 0+8192"), 1);
	ck_assert_uint_eq(log_count("MEDIUM ERROR"), 1);
	ck_assert_uint_eq(log_count("deadline passed"), 0);
	freereq(r);
}
END_TEST

/*
 * A command the target rejects every time (Reject, the session lives on)
 * fails its request with EIO after retry_max tries, and the path layer
 * says so in one line that names the request: the session's lines are
 * about PDUs, not about the request that failed.
 */
START_TEST(rejected_command_one_line)
{
	struct treq *r;
	struct sess *s;
	unsigned int rejects = 0;

	cfg.retry_max = 3;
	mk(1);
	up(0);
	s = fakesess_latest(0);
	r = mkreq(BDEV_OP_READ, 0, 512, 0);
	ck_assert_int_eq(bdev_submit(bd, &r->r), 0);
	poll_dev();
	for (int step = 0; step < 20 && r->calls == 0; step++) {
		if (s->ntasks) {
			fakesess_reject_one(s);
			rejects++;
		}
		advance(0.1);
	}
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(r->err, -EIO);
	ck_assert_uint_eq(rejects, 4); /* sent once, retried 3 times */
	ck_assert_int_eq(P(0)->state, PATH_ACTIVE);
	ck_assert_uint_eq(nlog, 1);
	ck_assert_uint_eq(log_count("READ 0+512"), 1);
	ck_assert_uint_eq(log_count("rejected"), 1);
	freereq(r);
}
END_TEST

/* A flapping path that always comes back, with a long deadline: the
 * re-send budget (io_retries) fails the read after that many re-sends,
 * long before the deadline. */
START_TEST(flap_budget)
{
	struct treq *r;
	double t0;
	unsigned int deaths = 0;

	cfg.io_timeout_ms = 600000;
	cfg.io_retries = 3;
	cfg.no_path_retry_ms = 600000;
	mk(1);
	up(0);
	t0 = fake_now;
	r = mkreq(BDEV_OP_READ, 0, 512, 0);
	ck_assert_int_eq(bdev_submit(bd, &r->r), 0);
	poll_dev();
	for (int step = 0; step < 400 && r->calls == 0; step++) {
		struct sess *s;

		if (connecting(0))
			up(0);
		s = fakesess_latest(0);
		if (s && s->st == SESS_READY && s->ntasks) {
			fakesess_die(s);
			deaths++;
		}
		advance(0.25);
	}
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(r->err, -EIO);
	ck_assert_uint_eq(deaths, 4);	      /* sent once, re-sent 3 times */
	ck_assert_double_lt(r->at, t0 + 120); /* far from the 600 s deadline */
	ck_assert_uint_eq(log_count("READ 0+512"), 1);
	ck_assert_uint_eq(log_count("re-sent 3 times"), 1);
	freereq(r);
}
END_TEST

/* The reconnect delay of a path after each session death. */
static double relogin_delay(int i)
{
	return P(i)->reconnect_at - P(i)->died_at;
}

/*
 * A path whose commands keep timing out after each re-login backs off:
 * the re-login delay doubles from reconnect_min_ms up to reconnect_max_ms
 * (it used to be reset by every successful login and probe), is shown in
 * the status, and is reset once the path has carried I/O successfully for
 * backoff_reset_ms.
 */
START_TEST(backoff_grows_caps_resets)
{
	static const double want[] = {0.1, 0.2, 0.4, 0.8, 1.0, 1.0};
	struct path_status ps;
	struct treq *r;

	cfg.cmd_timeout_ms = 1000;
	cfg.io_timeout_ms = 3600000;
	cfg.io_retries = 1000;
	cfg.backoff_reset_ms = 5000;
	mk(1);
	up(0);
	r = mkreq(BDEV_OP_READ, 0, 512, 0);
	ck_assert_int_eq(bdev_submit(bd, &r->r), 0);
	poll_dev();
	for (unsigned int k = 0; k < ARRAY_SIZE(want); k++) {
		struct sess *s = fakesess_latest(0);
		unsigned int n = fakesess_sessions_for(0);

		ck_assert_uint_eq(s->ntasks, 1); /* the read went out again */
		for (int j = 0; j < 11 && P(0)->state == PATH_ACTIVE; j++) {
			fakesess_pong(s);
			advance(0.1);
		}
		ck_assert_int_eq(P(0)->state, PATH_FAILED); /* command timeout */
		ck_assert_double_eq_tol(relogin_delay(0), want[k], 1e-6);
		path_device_path_status(dev, 0, &ps);
		ck_assert_uint_eq(ps.backoff_ms, (unsigned int)(want[k] * 1000 + 0.5));
		while (fakesess_sessions_for(0) == n)
			advance(0.05);
		up(0);
	}
	/* Now the target works: the read completes, the back-off stays
	 * until the path has carried I/O for backoff_reset_ms. */
	fakesess_serve(fakesess_latest(0));
	poll_dev();
	ck_assert_int_eq(r->calls, 1);
	ck_assert_int_eq(r->err, 0);
	for (int j = 0; j < 40; j++) {
		struct treq *q = mkreq(BDEV_OP_READ, 0, 512, 0);

		ck_assert_int_eq(bdev_submit(bd, &q->r), 0);
		poll_dev();
		fakesess_serve(fakesess_latest(0));
		advance(0.1);
		ck_assert_int_eq(q->calls, 1);
		freereq(q);
		path_device_path_status(dev, 0, &ps);
		if (j < 45 && fake_now - P(0)->since < 4.9)
			ck_assert_uint_eq(ps.backoff_ms, 1000);
	}
	advance(1.5);
	fakesess_pong(fakesess_latest(0));
	advance(0.1);
	path_device_path_status(dev, 0, &ps);
	ck_assert_uint_eq(ps.backoff_ms, 100);
	freereq(r);
}
END_TEST

/*
 * With no path, a write that was on the wire when its session died is
 * failed at no_path_retry_ms, not held until the time fence
 * (DefaultTime2Wait + DefaultTime2Retain, 22 s here): variant 0 the
 * session dies at once, variant 1 the target goes silent and the path is
 * failed by the NOP timeout first (the bound is then no_path_retry_ms plus
 * one detection, at most a command timeout).
 */
START_TEST(no_path_write_fails_at_bound)
{
	struct treq *w;
	double t0, bound;

	fakesess_time2retain = 20;
	mk(1);
	up(0);
	/* Re-read the negotiated Time2Retain: log in again. */
	fakesess_die(fakesess_latest(0));
	advance(0.2);
	up(0);
	ck_assert_double_eq_tol(P(0)->retain_s, 22, 1e-9);
	w = mkreq(BDEV_OP_WRITE, 0, 512, 0x42);
	ck_assert_int_eq(bdev_submit(bd, &w->r), 0);
	poll_dev();
	ck_assert_uint_eq(fakesess_latest(0)->ntasks, 1);
	t0 = fake_now;
	fakesess_start_result = -ECONNREFUSED;
	if (_i == 0) {
		fakesess_die(fakesess_latest(0));
		bound = t0 + 5.0;
	} else {
		bound = t0 + 10.0 + 5.0; /* a command timeout, then no_path_retry */
	}
	while (w->calls == 0 && fake_now < t0 + 30)
		advance(0.1);
	fakesess_start_result = 0;
	ck_assert_int_eq(w->calls, 1);
	ck_assert_int_eq(w->err, -EIO);
	ck_assert_double_le(w->at, bound + 0.15);
	if (_i == 0)
		ck_assert_double_ge(w->at, bound - 0.01);
	ck_assert_uint_eq(log_count("in doubt"), 1);
	freereq(w);
}
END_TEST

/*
 * No write overtakes a ghost that was failed early. Path 0 dies with a
 * write of A in flight; the target keeps that stale copy for the dead
 * session (a silent target, like tgtd). Path 1 is dead too; at
 * no_path_retry the write fails with EIO. Path 1 comes back, but in
 * another portal group, so no fence session can end path 0's old
 * session, and path 0 cannot log in. The caller, told "failed", writes B
 * to the same block: B must not go out while path 0's old session may
 * still land A (reads still flow). When the stale A lands, and the fence
 * (here by time) then holds, B goes out: the block ends as B.
 */
START_TEST(no_write_overtakes_fenced_ghost)
{
	struct treq *w1, *w2, *rd;
	unsigned int writes;

	fakesess_zombies = true;
	fakesess_zombie_retain = 1e9;
	fakesess_time2retain = 20;
	fakesess_tpgt_for[1] = 2;
	cfg.io_timeout_ms = 120000;
	mk(2);
	up(0);
	up(1);
	w1 = mkreq(BDEV_OP_WRITE, 0, 512, 0xaa);
	ck_assert_int_eq(bdev_submit(bd, &w1->r), 0);
	poll_dev();
	ck_assert_uint_eq(fakesess_latest(0)->ntasks, 1);
	fakesess_start_result = -ECONNREFUSED;
	fakesess_die(fakesess_latest(1));
	fakesess_die(fakesess_latest(0));
	ck_assert_uint_eq(fakesess_zombies_pending(), 1);
	while (w1->calls == 0 && fake_now < 1030)
		advance(0.1);
	ck_assert_int_eq(w1->err, -EIO);
	ck_assert_double_lt(w1->at, 1000 + 5.5);
	/* Path 1 comes back (other portal group); path 0 stays refused. */
	fakesess_start_result = 0;
	P(0)->reconnect_at = fake_now + 1000;
	P(1)->reconnect_at = fake_now;
	advance(0.01);
	ck_assert(connecting(1));
	up(1);
	ck_assert_int_eq(P(1)->state, PATH_ACTIVE);
	ck_assert_uint_eq(fakesess_fences_for(1), 0);
	writes = lun.writes;
	w2 = mkreq(BDEV_OP_WRITE, 0, 512, 0xbb);
	rd = mkreq(BDEV_OP_READ, 512, 512, 0);
	ck_assert_int_eq(bdev_submit(bd, &w2->r), 0);
	ck_assert_int_eq(bdev_submit(bd, &rd->r), 0);
	advance(0.1);
	fakesess_serve(fakesess_latest(1));
	advance(0.1);
	ck_assert_int_eq(rd->calls, 1); /* reads flow */
	ck_assert_int_eq(rd->err, 0);
	ck_assert_int_eq(w2->calls, 0);
	ck_assert_uint_eq(lun.writes, writes);	       /* B waits behind the unfenced ghost */
	ck_assert_uint_eq(fakesess_zombie_land(0), 1); /* the stale A lands */
	ck_assert_uint_eq(lun.data[0], 0xaa);
	while (w2->calls == 0 && fake_now < 1060) {
		fakesess_serve(fakesess_latest(1));
		fakesess_pong(fakesess_latest(1));
		advance(0.1);
	}
	ck_assert_int_eq(w2->calls, 1);
	ck_assert_int_eq(w2->err, 0);
	ck_assert_uint_eq(lun.data[0], 0xbb);
	ck_assert_uint_eq(fakesess_zombies_pending(), 0);
	freereq(w1);
	freereq(w2);
	freereq(rd);
}
END_TEST

/*
 * Someone else logs in with our ISID (a second daemon for this LUN, or
 * another host with our initiator name): the target ends our session by
 * reinstatement shortly after each login, with no local cause. After a
 * few in a row, one loud line per episode names the ISID and the likely
 * cause, and the path backs off to reinstate_backoff_ms instead of
 * fighting. A session that then lives ends the episode; a new episode is
 * reported again. Variant 1: the target asks for a logout (AsyncEvent 1)
 * right after login instead of dropping the connection.
 */
START_TEST(reinstatement_backoff)
{
	struct sess_event ev = {.type = SESS_EV_LOGOUT_REQUEST, .param3 = 0};
	char isid[16];

	cfg.reinstate_backoff_ms = 30000;
	mk(1);
	snprintf(isid, sizeof(isid), "%02x%02x%02x%02x%02x%02x", P(0)->isid[0], P(0)->isid[1],
		 P(0)->isid[2], P(0)->isid[3], P(0)->isid[4], P(0)->isid[5]);
	for (int episode = 0; episode < 2; episode++) {
		for (int k = 0; k < 6; k++) {
			struct sess *s;

			while (!connecting(0))
				advance(0.1);
			up(0);
			advance(0.5);
			s = fakesess_latest(0);
			if (_i == 0) {
				fakesess_die(s);
			} else {
				s->cb.on_event(s, &ev, s->opaque);
				fakesess_serve(s);
				poll_dev();
			}
			ck_assert_int_eq(s->st, SESS_DEAD);
			if (k < 2)
				ck_assert_uint_eq(log_count("same ISID"), (unsigned int)episode);
		}
		ck_assert_uint_eq(log_count("same ISID"), (unsigned int)episode + 1);
		ck_assert_uint_eq(log_count(isid), (unsigned int)episode + 1);
		ck_assert_double_ge(relogin_delay(0), 29.9);
		/* The other initiator went away: our session lives. */
		while (!connecting(0))
			advance(0.5);
		up(0);
		for (int j = 0; j < 80; j++) {
			fakesess_pong(fakesess_latest(0));
			advance(0.5);
		}
		ck_assert_int_eq(P(0)->state, PATH_ACTIVE);
		fakesess_die(fakesess_latest(0));
		/* Not an episode yet: a single drop retries soon. */
		ck_assert_double_le(relogin_delay(0), 1.0);
	}
}
END_TEST

/*
 * Healthy paths carry the load: with round-robin over two paths, path 0's
 * commands time out after every login while path 1 serves. After three
 * failures in a row path 0 comes back on probation: STANDBY, no I/O, while
 * path 1 carries everything; once it has lived through backoff_reset_ms
 * it is back in the rotation. Every read completes.
 */
START_TEST(probation_healthy_paths_carry_load)
{
	struct treq *rq[400];
	unsigned int nrq = 0, sent_then = 0;
	double probation_at = 0;

	cfg.cmd_timeout_ms = 1000;
	cfg.backoff_reset_ms = 5000;
	cfg.policy.kind = PATH_POLICY_ROUND_ROBIN;
	cfg.npaths = 2;
	for (unsigned int i = 0; i < 2; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&cfg.paths[i].portal;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)(3260 + i));
		cfg.paths[i].portal_len = sizeof(*sin);
	}
	dev = path_device_new(loop, &cfg);
	ck_assert_ptr_nonnull(dev);
	bd = path_device_bdev(dev);
	ck_assert_int_eq(path_device_start(dev), 0);
	up(0);
	up(1);
	ck_assert_int_eq(P(0)->state, PATH_ACTIVE);
	ck_assert_int_eq(P(1)->state, PATH_ACTIVE);
	for (int step = 0; step < 300; step++) {
		struct sess *s0 = fakesess_latest(0), *s1 = fakesess_latest(1);

		if (nrq < ARRAY_SIZE(rq)) {
			rq[nrq] = mkreq(BDEV_OP_READ, 512 * (nrq % 64), 512, 0);
			ck_assert_int_eq(bdev_submit(bd, &rq[nrq]->r), 0);
			nrq++;
		}
		poll_dev();
		if (connecting(0)) {
			up(0);
			s0 = fakesess_latest(0);
			if (P(0)->failures == 3 && !probation_at) {
				ck_assert_int_eq(P(0)->state, PATH_STANDBY);
				ck_assert_ptr_nonnull(strstr(P(0)->reason, "probation"));
				probation_at = fake_now;
				sent_then = s0->submitted;
			}
		}
		fakesess_serve(s1);
		fakesess_pong(s1);
		fakesess_pong(s0);
		if (probation_at && fake_now < probation_at + 4.9) {
			ck_assert_int_eq(P(0)->state, PATH_STANDBY);
			ck_assert_uint_eq(s0->submitted, sent_then); /* no I/O on probation */
		}
		if (probation_at && fake_now >= probation_at + 5.2)
			break;
		advance(0.1);
	}
	ck_assert(probation_at > 0);
	ck_assert_int_eq(P(0)->state, PATH_ACTIVE); /* lived through it: back in turn */
	ck_assert_uint_eq(P(0)->failures, 3);
	while (fakesess_serve(fakesess_latest(0)) + fakesess_serve(fakesess_latest(1)))
		poll_dev();
	for (unsigned int i = 0; i < nrq; i++) {
		ck_assert_int_eq(rq[i]->calls, 1);
		ck_assert_int_eq(rq[i]->err, 0);
		freereq(rq[i]);
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *su = suite_create("path_bound");
	TCase *tc = tcase_create("bound");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, deadline_never_completing_target, 0, 3);
	tcase_add_test(tc, flap_budget);
	tcase_add_test(tc, failure_lines_rate_limited);
	tcase_add_loop_test(tc, split_request_fails_one_line, 0, 2);
	tcase_add_loop_test(tc, short_transfer_one_line, 0, 2);
	tcase_add_test(tc, hard_failure_then_deadline_one_line);
	tcase_add_test(tc, rejected_command_one_line);
	tcase_add_test(tc, backoff_grows_caps_resets);
	tcase_add_test(tc, probation_healthy_paths_carry_load);
	tcase_add_loop_test(tc, no_path_write_fails_at_bound, 0, 2);
	tcase_add_test(tc, no_write_overtakes_fenced_ghost);
	tcase_add_loop_test(tc, reinstatement_backoff, 0, 2);
	suite_add_tcase(su, tc);
	return su;
}
