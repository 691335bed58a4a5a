/*
 * Exclusive access in the path device (src/path/devresv.c) over fake
 * sessions whose target also keeps persistent reservations: a small model
 * of SPC-5 registrations (one per session ISID) and one reservation,
 * answered by the test (pr_serve). Proves:
 * - every path registers its own key (host key | path index) before it
 *   carries I/O, and the first one reserves the LUN (type 5);
 * - the reservation fence (issue 10 item 4): when a path dies with a write
 *   in doubt and no healthy path shares its portal group (no fence
 *   session can reinstate its ISID), another path preempts the dead
 *   path's key, and the held write completes then, long before the time
 *   fence; the dead path does not log in while that runs;
 * - on a target that lets only the holding nexus write (LIO: a nexus with
 *   the holder's initiator name and another ISID counts as unregistered),
 *   a write that gets RESERVATION CONFLICT on our other path is re-sent
 *   through the holder's path, never failed as "LUN taken", and detach's
 *   CLEAR goes through the holder's path (LIO refuses it elsewhere);
 * - there, when the holder's path dies, writes carry on: a login with the
 *   dead path's ISID through the live path's portal (the holder's nexus)
 *   CLEARs, the live path reserves, and writes go through it (LIO also
 *   refuses PREEMPT from a non-holder nexus of ours).
 * - on a target that refuses MODE SENSE to a nexus that is not registered
 *   while the LUN is reserved (tgtd, type 5), as a restarted daemon meets
 *   it (its host key holds the reservation, the registrations went with
 *   the old sessions): the path registers, then reads the LUN again, so
 *   WCE and DPOFUA are not lost (commit 574d1c0);
 * - on LIO, another host's PREEMPT AND ABORT while we write: writes fail
 *   with EIO, the LUN is taken, no path fails; once the holder-only rule
 *   is learned no write goes to another path (before, the first refused
 *   write on the non-holder path is sent once more through the holder's).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "fakesess.h"
#include "path/device.h"
#include "path/internal.h"
#include "scsi/sam.h"
#include "util/bytes.h"

static struct ev_loop *loop;
static struct path_device *dev;
static struct bdev *bd;
static struct fakelun lun;
static struct path_device_config cfg;
static struct path_transport_ops ops;

/* ---- the PR model behind the fake sessions ---- */

#define MAXQ 16
static struct {
	struct sess *s;
	struct sess_task *t;
} q[MAXQ];
static unsigned int nq;
static struct {
	uint8_t isid[6];
	uint64_t key;
} regs[16];
static unsigned int nregs;
static uint64_t holder;
static unsigned int preempts, abort_preempts;
static uint64_t last_preempted;
static bool lio;	 /* writes and CLEAR only from the holder's nexus */
static bool round_robin; /* mk: both paths ACTIVE */
static unsigned int lio_conflicts;
static unsigned int conflicts_on[8]; /* writes refused, by path */
static bool tgtd_mode;		     /* MODE SENSE only from a registered nexus while reserved */
static unsigned int mode_conflicts, mode_senses;

static bool is_mode_sense_cdb(const uint8_t *cdb)
{
	return cdb[0] == 0x5a || cdb[0] == 0x1a;
}

static bool is_write_cdb(const uint8_t *cdb)
{
	return cdb[0] == 0x2a || cdb[0] == 0x8a;
}

static int reg_find(const uint8_t *isid);

static int wrap_submit(struct sess *s, struct sess_task *t)
{
	bool conflict = false;

	if (lio && holder && is_write_cdb(t->cdb)) {
		int me = reg_find(s->isid);

		conflict = me < 0 || regs[me].key != holder;
	}
	if (is_mode_sense_cdb(t->cdb)) {
		mode_senses++;
		if (tgtd_mode && holder && reg_find(s->isid) < 0)
			conflict = true;
	}
	if (t->cdb[0] != 0x5e && t->cdb[0] != 0x5f && !conflict)
		return fakesess_ops.submit(s, t);
	ck_assert_uint_lt(nq, MAXQ);
	q[nq].s = s;
	q[nq].t = t;
	nq++;
	return 0;
}

static int reg_find(const uint8_t *isid)
{
	for (unsigned int i = 0; i < nregs; i++)
		if (memcmp(regs[i].isid, isid, 6) == 0)
			return (int)i;
	return -1;
}

static void reg_drop_key(uint64_t key)
{
	for (unsigned int i = 0; i < nregs;) {
		if (regs[i].key == key)
			regs[i] = regs[--nregs];
		else
			i++;
	}
}

/* Answer one PR command the way an SPC-5 target with type 5 would. */
static void pr_answer(struct sess *s, struct sess_task *t)
{
	uint8_t out[8 + 8 * 16] = {0};
	size_t len = 0;
	const uint8_t *p = t->iov[0].iov_base;
	uint8_t sa = t->cdb[1] & 0x1f;
	int me = reg_find(s->isid);

	t->result = 0;
	t->status = SCSI_STATUS_GOOD;
	if (is_write_cdb(t->cdb)) { /* queued by wrap_submit: not the holder (LIO) */
		lio_conflicts++;
		if (s->path >= 0 && s->path < 8)
			conflicts_on[s->path]++;
		t->status = SCSI_STATUS_RESERVATION_CONFLICT;
	} else if (is_mode_sense_cdb(t->cdb)) { /* queued: not registered (tgtd) */
		mode_conflicts++;
		t->status = SCSI_STATUS_RESERVATION_CONFLICT;
	} else if (t->cdb[0] == 0x5e) {
		if (sa == 2) {
			static const uint8_t c[8] = {0, 8, 0x10, 0x80, 0x2a, 0x01, 0, 0};

			memcpy(out, c, 8);
			len = 8;
		} else if (sa == 1) {
			len = 8;
			if (holder) {
				put_be32(out + 4, 16);
				put_be64(out + 8, holder);
				out[21] = 5;
				len = 24;
			}
		} else {
			put_be32(out + 4, 8 * nregs);
			for (unsigned int i = 0; i < nregs; i++)
				put_be64(out + 8 + 8 * i, regs[i].key);
			len = 8 + 8 * nregs;
		}
		memcpy(t->iov[0].iov_base, out, len);
		t->residual = (uint32_t)(t->xfer_len - len);
		t->residual_under = len < t->xfer_len;
	} else if (sa == 6) { /* REGISTER AND IGNORE EXISTING KEY */
		if (me < 0) {
			me = (int)nregs++;
			memcpy(regs[me].isid, s->isid, 6);
		}
		regs[me].key = get_be64(p + 8);
	} else if (me < 0 || regs[me].key != get_be64(p)) {
		t->status = SCSI_STATUS_RESERVATION_CONFLICT;
	} else if (sa == 3) { /* CLEAR */
		if (lio && regs[me].key != holder) {
			t->status = SCSI_STATUS_RESERVATION_CONFLICT;
		} else {
			holder = 0;
			nregs = 0;
		}
	} else if (sa == 1) { /* RESERVE */
		if (holder && holder != regs[me].key)
			t->status = SCSI_STATUS_RESERVATION_CONFLICT;
		else
			holder = regs[me].key;
	} else if ((sa == 4 || sa == 5) && lio && holder && regs[me].key != holder) {
		/* LIO: the same ISID check as for writes (isid_mismatch). */
		preempts++;
		t->status = SCSI_STATUS_RESERVATION_CONFLICT;
	} else if (sa == 4 || sa == 5) { /* PREEMPT (AND ABORT) */
		uint64_t victim = get_be64(p + 8);

		preempts++;
		abort_preempts += sa == 5;
		last_preempted = victim;
		if (holder == victim)
			holder = regs[me].key;
		reg_drop_key(victim);
	}
	t->done(t);
}

/* Answer every queued PR command (and those they lead to). */
static unsigned int pr_serve(void)
{
	unsigned int n = 0;

	while (nq) {
		struct sess *s = q[0].s;
		struct sess_task *t = q[0].t;

		memmove(q, q + 1, --nq * sizeof(q[0]));
		pr_answer(s, t);
		n++;
	}
	return n;
}

/* ---- the device ---- */

struct treq {
	struct bdev_req r;
	int calls, err;
	uint8_t buf[512];
};

static void treq_done(struct bdev_req *r, int err)
{
	struct treq *t = container_of(r, struct treq, r);

	t->calls++;
	t->err = err;
}

static void setup(void)
{
	loop = ev_loop_new(EVFLAG_AUTO);
	fake_now = 1000.0;
	fakelun_init(&lun, 4096, 512, 1);
	for (int i = 0; i < 8; i++)
		fakesess_lun_for[i] = &lun;
	memset(&cfg, 0, sizeof(cfg));
	ops = fakesess_ops;
	ops.submit = wrap_submit;
	cfg.name = "nbd0";
	cfg.initiator_name = "iqn.2026-01.test:init";
	cfg.target_name = "iqn.2026-01.test:tgt";
	cfg.transport = &ops;
	cfg.clock = fake_clock;
	cfg.nop_interval_ms = 1000;
	cfg.nop_timeout_ms = 3000;
	cfg.cmd_timeout_ms = 10000;
	cfg.no_path_retry_ms = 5000;
	cfg.reconnect_min_ms = 100;
	cfg.reconnect_max_ms = 1000;
	cfg.retry_backoff_ms = 10;
	cfg.stop_timeout_ms = 2000;
	cfg.pr_key = path_resv_host_key(cfg.initiator_name);
	nq = nregs = preempts = abort_preempts = 0;
	holder = last_preempted = 0;
	lio = round_robin = tgtd_mode = false;
	lio_conflicts = mode_conflicts = mode_senses = 0;
	memset(conflicts_on, 0, sizeof(conflicts_on));
}

static void teardown(void)
{
	if (dev)
		path_device_free(dev);
	dev = NULL;
	fakesess_reset();
	fakelun_free(&lun);
	ev_loop_destroy(loop);
}

static void mk(unsigned int npaths)
{
	cfg.npaths = npaths;
	cfg.policy.kind = round_robin ? PATH_POLICY_ROUND_ROBIN : PATH_POLICY_FAILOVER;
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

/* Log path i in, answer its probe and its reservation commands. */
static void up(int i)
{
	struct sess *s = fakesess_latest(i);

	ck_assert_ptr_nonnull(s);
	fakesess_login(s);
	fakesess_serve(s);
	path_device_poll(dev);
	pr_serve();
	path_device_poll(dev);
}

START_TEST(paths_register_and_reserve)
{
	mk(2);
	up(0);
	ck_assert_int_eq(dev->paths[0].state, PATH_ACTIVE);
	up(1);
	ck_assert_int_eq(dev->paths[1].state, PATH_STANDBY);
	ck_assert_uint_eq(nregs, 2);
	ck_assert(regs[reg_find(fakesess_latest(0)->isid)].key == (cfg.pr_key | 0));
	ck_assert(regs[reg_find(fakesess_latest(1)->isid)].key == (cfg.pr_key | 1));
	ck_assert(holder == cfg.pr_key);
	ck_assert_int_eq(path_device_resv_state(dev, NULL, NULL), 1);
}
END_TEST

/* Path 0 dies with a write in doubt; path 1 is in another portal group,
 * so no fence session can end path 0's old session: path 1 preempts path
 * 0's key and the held write completes at once. */
START_TEST(ghost_write_fenced_by_reservation)
{
	struct treq w = {0};
	struct sess *s0;

	fakesess_tpgt_for[1] = 2;
	mk(2);
	up(0);
	up(1);
	s0 = fakesess_latest(0);
	fakesess_start_result = -ENETUNREACH; /* path 0 cannot come back */
	w.r.op = BDEV_OP_WRITE;
	w.r.len = 512;
	w.r.buf = w.buf;
	w.r.done = treq_done;
	ck_assert_int_eq(bdev_submit(bd, &w.r), 0);
	path_device_poll(dev);
	ck_assert_uint_eq(s0->ntasks, 1);
	fakesess_die(s0);
	path_device_poll(dev);
	ck_assert_uint_eq(fakesess_serve(fakesess_latest(1)), 1);
	path_device_poll(dev);
	ck_assert_int_eq(w.calls, 0); /* held: path 0's copy may still land */
	ck_assert_uint_eq(fakesess_fences_for(1), 0);
	/* The fence: PREEMPT AND ABORT of path 0's key through path 1. */
	ck_assert_uint_eq(nq, 1);
	ck_assert_ptr_eq(q[0].s, fakesess_latest(1));
	ck_assert_uint_eq(q[0].t->cdb[1], SCSI_PR_OUT_PREEMPT_AND_ABORT);
	ck_assert(dev->paths[0].resv_fencing);
	ck_assert(path_fence_logging_in(&dev->paths[0])); /* path 0 waits */
	pr_serve();
	path_device_poll(dev);
	ck_assert_uint_eq(abort_preempts, 1);
	ck_assert(last_preempted == (cfg.pr_key | 0));
	ck_assert_int_lt(reg_find(s0->isid), 0); /* the dead nexus is unregistered */
	ck_assert(holder == (cfg.pr_key | 1));	 /* and the reservation moved */
	ck_assert_int_eq(w.calls, 1);
	ck_assert_int_eq(w.err, 0);
	ck_assert(!dev->paths[0].resv_fencing);
	ck_assert_int_eq(dev->paths[0].state, PATH_FAILED);
	{
		struct path_status ps;

		path_device_path_status(dev, 0, &ps);
		ck_assert_str_eq(ps.last_fence, "reservation");
		ck_assert(ps.fence_ms >= 0 && ps.fence_ms < 1000);
	}
	fakesess_start_result = 0;
}
END_TEST

/* Without a reservation (pr_key 0) the same case waits for the time fence. */
START_TEST(no_reservation_no_reservation_fence)
{
	/* Static: the write is still held when the test returns, and teardown
	 * (path_device_free) completes it. */
	static struct treq w;
	struct sess *s0;

	memset(&w, 0, sizeof(w));

	cfg.pr_key = 0;
	fakesess_tpgt_for[1] = 2;
	mk(2);
	up(0);
	up(1);
	ck_assert_uint_eq(nregs, 0);
	s0 = fakesess_latest(0);
	fakesess_start_result = -ENETUNREACH;
	w.r.op = BDEV_OP_WRITE;
	w.r.len = 512;
	w.r.buf = w.buf;
	w.r.done = treq_done;
	ck_assert_int_eq(bdev_submit(bd, &w.r), 0);
	path_device_poll(dev);
	fakesess_die(s0);
	path_device_poll(dev);
	fakesess_serve(fakesess_latest(1));
	fake_now += 1.0;
	path_device_poll(dev);
	ck_assert_uint_eq(nq, 0);
	ck_assert_int_eq(w.calls, 0);
	fakesess_start_result = 0;
}
END_TEST

/* LIO: path 1 reserved first, so path 0's writes get RESERVATION CONFLICT
 * although path 0 is registered. They go through path 1; detach CLEARs
 * through path 1 too. */
START_TEST(lio_writes_and_clear_through_holder)
{
	struct treq w[6] = {0};
	struct sess *s0, *s1;

	lio = round_robin = true;
	mk(2);
	up(1);
	up(0);
	s0 = fakesess_latest(0);
	s1 = fakesess_latest(1);
	ck_assert(holder == (cfg.pr_key | 1));
	ck_assert_int_eq(dev->paths[0].state, PATH_ACTIVE);
	ck_assert_int_eq(dev->paths[1].state, PATH_ACTIVE);
	for (unsigned int i = 0; i < 6; i++) {
		w[i].r.op = BDEV_OP_WRITE;
		w[i].r.offset = 512 * (uint64_t)i;
		w[i].r.len = 512;
		w[i].r.buf = w[i].buf;
		w[i].r.done = treq_done;
		memset(w[i].buf, 'a' + (int)i, sizeof(w[i].buf));
		ck_assert_int_eq(bdev_submit(bd, &w[i].r), 0);
	}
	for (int round = 0; round < 20; round++) {
		path_device_poll(dev);
		fakesess_serve(s0);
		fakesess_serve(s1);
		pr_serve();
		fake_now += 0.05;
	}
	path_device_poll(dev);
	ck_assert_uint_ge(lio_conflicts, 1); /* path 0 was tried, then avoided */
	for (unsigned int i = 0; i < 6; i++) {
		ck_assert_int_eq(w[i].calls, 1);
		ck_assert_int_eq(w[i].err, 0);
		ck_assert_int_eq(lun.data[512 * i], 'a' + (int)i);
	}
	ck_assert_int_eq(path_device_resv_state(dev, NULL, NULL), 1); /* still ours */
	ck_assert_int_eq(dev->paths[0].state, PATH_ACTIVE);
	ck_assert_uint_eq(dev->paths[0].failures, 0);
	ck_assert_uint_eq(path_device_resv_leave(dev), 1);
	pr_serve();
	path_device_poll(dev);
	pr_serve();
	path_device_poll(dev);
	ck_assert(holder == 0); /* CLEARed through path 1 */
	ck_assert_uint_eq(nregs, 0);
}
END_TEST

/* LIO: path 1 holds the reservation and dies for good; path 0 takes the
 * reservation over through a login with path 1's ISID, and writes, those
 * in flight on path 1 included, complete without error. */
START_TEST(lio_holder_path_dies_writes_continue)
{
	struct treq w[8] = {0};
	struct sess *s0, *s1, *f;

	lio = round_robin = true;
	mk(2);
	up(1);
	up(0);
	s0 = fakesess_latest(0);
	s1 = fakesess_latest(1);
	ck_assert(holder == (cfg.pr_key | 1));
	for (unsigned int i = 0; i < 8; i++) {
		w[i].r.op = BDEV_OP_WRITE;
		w[i].r.offset = 512 * (uint64_t)i;
		w[i].r.len = 512;
		w[i].r.buf = w[i].buf;
		w[i].r.done = treq_done;
		memset(w[i].buf, 'a' + (int)i, sizeof(w[i].buf));
	}
	/* Two writes: path 0's conflict teaches the holder-only rule. */
	for (unsigned int i = 0; i < 2; i++)
		ck_assert_int_eq(bdev_submit(bd, &w[i].r), 0);
	for (int round = 0; round < 5; round++) {
		path_device_poll(dev);
		fakesess_serve(s0);
		fakesess_serve(s1);
		pr_serve();
	}
	ck_assert(dev->resv_holder_writes);
	/* Path 1 dies with a write in flight; its logins fail from now on. */
	ck_assert_int_eq(bdev_submit(bd, &w[2].r), 0);
	path_device_poll(dev);
	ck_assert_uint_ge(s1->ntasks, 1);
	fakesess_die(s1);
	for (unsigned int i = 3; i < 8; i++)
		ck_assert_int_eq(bdev_submit(bd, &w[i].r), 0);
	for (int round = 0; round < 40; round++) {
		struct sess *s = fakesess_latest(1);

		if (s && s != s1 && s->st != SESS_DEAD)
			fakesess_die(s); /* the cable stays out */
		path_device_poll(dev);
		f = fakesess_latest_fence(0);
		if (f && f->st != SESS_READY && f->st != SESS_DEAD && f->st != SESS_LOGOUT)
			fakesess_login(f);
		path_device_poll(dev);
		fakesess_serve(s0);
		pr_serve();
		fake_now += 0.05;
	}
	path_device_poll(dev);
	for (unsigned int i = 0; i < 8; i++) {
		ck_assert_int_eq(w[i].calls, 1);
		ck_assert_int_eq(w[i].err, 0);
		ck_assert_int_eq(lun.data[512 * i], 'a' + (int)i);
	}
	ck_assert(holder == (cfg.pr_key | 0)); /* the reservation moved to path 0 */
	ck_assert(dev->resv_holder == (cfg.pr_key | 0));
	ck_assert_int_eq(path_device_resv_state(dev, NULL, NULL), 1);
	ck_assert_int_eq(dev->paths[0].state, PATH_ACTIVE);
	ck_assert(!dev->paths[1].resv_fencing);
}
END_TEST

/* Another host takes the LUN from us with PREEMPT AND ABORT (t-nbd-pr-preempt-lio). */
static void other_host_preempts(void)
{
	static const uint8_t isid[6] = {0x80, 0, 0, 0, 0x42, 0};

	nregs = 1;
	memcpy(regs[0].isid, isid, 6);
	regs[0].key = 0xfeedfacecafe0000ull;
	holder = regs[0].key;
}

/* Submit n writes from w and let the paths and the target answer them. */
static void lio_write(struct treq *w, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].r.op = BDEV_OP_WRITE;
		w[i].r.offset = 512 * (uint64_t)i;
		w[i].r.len = 512;
		w[i].r.buf = w[i].buf;
		w[i].r.done = treq_done;
		ck_assert_int_eq(bdev_submit(bd, &w[i].r), 0);
	}
	for (int round = 0; round < 20; round++) {
		path_device_poll(dev);
		fakesess_serve(fakesess_latest(0));
		fakesess_serve(fakesess_latest(1));
		pr_serve();
		fake_now += 0.05;
	}
	path_device_poll(dev);
}

static void assert_taken_by_other(struct treq *w, unsigned int n)
{
	uint64_t key = 0;

	for (unsigned int i = 0; i < n; i++) {
		ck_assert_int_eq(w[i].calls, 1);
		ck_assert_int_eq(w[i].err, -EIO);
	}
	ck_assert_int_eq(path_device_resv_state(dev, &key, NULL), -1);
	ck_assert(key == 0xfeedfacecafe0000ull); /* READ RESERVATION named it */
	ck_assert_int_eq(dev->paths[0].state, PATH_ACTIVE);
	ck_assert_int_eq(dev->paths[1].state, PATH_ACTIVE);
}

START_TEST(lio_preempted_after_holder_rule_learned)
{
	struct treq w[4];

	lio = round_robin = true;
	mk(2);
	up(1);
	up(0);
	lio_write(w, 2); /* path 0's conflict teaches the holder-only rule */
	ck_assert(dev->resv_holder_writes);
	ck_assert_int_eq(w[0].err, 0);
	ck_assert_int_eq(w[1].err, 0);
	memset(conflicts_on, 0, sizeof(conflicts_on));
	other_host_preempts();
	lio_write(w, 4);
	assert_taken_by_other(w, 4);
	ck_assert_uint_eq(conflicts_on[0], 0); /* nothing went to the other path */
	ck_assert_uint_ge(conflicts_on[1], 1);
}
END_TEST

/* Before the rule is learned, a refusal on the non-holder path could be
 * LIO's rule or another host's preemption: READ RESERVATION tells, and
 * names another host, so the write fails with EIO and is never sent
 * through the holder's path (issue 10). No path fails. */
START_TEST(lio_preempted_before_holder_rule_learned)
{
	struct treq w[1];

	lio = round_robin = true;
	mk(2);
	up(1);
	up(0);
	other_host_preempts();
	lio_write(w, 1); /* round robin starts on path 0, the non-holder */
	ck_assert_uint_eq(conflicts_on[0], 1);
	ck_assert_uint_eq(conflicts_on[1], 0); /* not re-sent through the old holder */
	ck_assert(!dev->resv_holder_writes);
	ck_assert(!dev->resv_asking);
	assert_taken_by_other(w, 1);
}
END_TEST

/* The READ RESERVATION that explains a conflict gets no answer: after
 * cmd_timeout the write fails with EIO (not re-sent), its path fails,
 * and the LUN is not reported as another host's. */
START_TEST(lio_conflict_question_times_out)
{
	struct treq w[1];

	lio = round_robin = true;
	mk(2);
	up(1);
	up(0);
	memset(&w[0], 0, sizeof(w[0]));
	w[0].r.op = BDEV_OP_WRITE;
	w[0].r.len = 512;
	w[0].r.buf = w[0].buf;
	w[0].r.done = treq_done;
	ck_assert_int_eq(bdev_submit(bd, &w[0].r), 0);
	path_device_poll(dev);
	fakesess_serve(fakesess_latest(0));
	fakesess_serve(fakesess_latest(1));
	ck_assert_uint_eq(nq, 1); /* the write refused on path 0 */
	nq = 0;
	pr_answer(q[0].s, q[0].t); /* READ RESERVATION is queued, never answered */
	ck_assert_uint_eq(nq, 1);
	ck_assert_uint_eq(q[0].t->cdb[0], 0x5e);
	path_device_poll(dev);
	ck_assert(dev->resv_asking);
	ck_assert_int_eq(w[0].calls, 0); /* held while asking */
	fake_now += cfg.cmd_timeout_ms / 1000.0 - 0.5;
	path_device_poll(dev);
	ck_assert_int_eq(w[0].calls, 0);
	fake_now += 1.0;
	path_device_poll(dev);
	ck_assert_int_eq(w[0].calls, 1);
	ck_assert_int_eq(w[0].err, -EIO);
	ck_assert_uint_eq(conflicts_on[1], 0);
	ck_assert(!dev->resv_holder_writes);
	ck_assert_int_eq(path_device_resv_state(dev, NULL, NULL), 1); /* still ours */
	ck_assert_int_ne(dev->paths[0].state, PATH_ACTIVE);	      /* its path failed */
	nq = 0; /* the unanswered READ RESERVATION died with path 0's session */
}
END_TEST

/* tgtd refuses MODE SENSE to an unregistered nexus of a reserved LUN. A
 * daemon restarted under writes finds the LUN reserved with its own host
 * key and no registration of its new sessions: the path must register
 * first and then probe again, or the caching page (WCE, DPOFUA) is lost,
 * and with it FUA, which the kernel device kept from the first daemon
 * (its FUA writes would then be refused with EINVAL). */
START_TEST(mode_sense_conflict_registers_then_probes_again)
{
	struct sess *s0;

	tgtd_mode = true;
	holder = cfg.pr_key | 0; /* the first daemon's reservation */
	mk(1);
	s0 = fakesess_latest(0);
	ck_assert_ptr_nonnull(s0);
	fakesess_login(s0);
	for (int round = 0; round < 10; round++) {
		fakesess_serve(s0);
		path_device_poll(dev);
		pr_serve();
		path_device_poll(dev);
	}
	ck_assert(bd->info.write_cache); /* the caching page was read after all */
	ck_assert(bd->info.fua);
	ck_assert_uint_ge(mode_conflicts, 1);		/* the first probe met the conflict */
	ck_assert_uint_gt(mode_senses, mode_conflicts); /* and MODE SENSE was sent again */
	ck_assert_int_ge(reg_find(s0->isid), 0);	/* after the registration */
	ck_assert(regs[reg_find(s0->isid)].key == (cfg.pr_key | 0));
	ck_assert(holder == (cfg.pr_key | 0));
	ck_assert_int_eq(dev->paths[0].state, PATH_ACTIVE);
	ck_assert_int_eq(path_device_resv_state(dev, NULL, NULL), 1);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("path_resvfence");
	TCase *tc = tcase_create("resvfence");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, paths_register_and_reserve);
	tcase_add_test(tc, ghost_write_fenced_by_reservation);
	tcase_add_test(tc, no_reservation_no_reservation_fence);
	tcase_add_test(tc, lio_writes_and_clear_through_holder);
	tcase_add_test(tc, lio_holder_path_dies_writes_continue);
	tcase_add_test(tc, mode_sense_conflict_registers_then_probes_again);
	tcase_add_test(tc, lio_preempted_after_holder_rule_learned);
	tcase_add_test(tc, lio_preempted_before_holder_rule_learned);
	tcase_add_test(tc, lio_conflict_question_times_out);
	suite_add_tcase(s, tc);
	return s;
}
