/*
 * Session engine against a misbehaving target: one test per fault, each
 * with the expected outcome. A death must be reported once (on_state),
 * logged in exactly one error line, and every outstanding command must come
 * back exactly once with -ECONNABORTED (and its sent flag); nothing may be
 * written outside a task's buffer (guard bytes).
 */
#include "config.h"

#include "../checkmain.h"
#include "session/pdu.h"
#include "tests/component/harness.h"

#define OP_SCSI_RSP 0x21
#define OP_DATA_IN  0x25
#define OP_R2T	    0x31

static void assert_one_death(struct env *e, enum sess_death why)
{
	ck_assert_msg(RUN_UNTIL(e, sess_state(e->s) == SESS_DEAD, 2.0), "session did not die");
	ck_assert_msg(e->death == why, "death %s (%s), wanted %s", sess_death_name(e->death),
		      e->death_msg, sess_death_name(why));
	ck_assert_int_eq(e->n_state[SESS_DEAD], 1);
	ck_assert_msg(err_lines == 1, "%d error lines, last: %s", err_lines, last_err);
	ck_assert_int_eq(sess_death_reason(e->s), why);
	ck_assert_str_ne(sess_death_message(e->s), "");
}

/* A read that is outstanding when the fault hits. */
static void read_dies(struct env *e, struct io *r, uint32_t blocks)
{
	io_init(r, false, 8, blocks, blocks * 512, 2);
	ck_assert_int_eq(sess_submit(e->s, &r->t), 0);
}

static void assert_aborted(struct io *r)
{
	ck_assert_int_eq(r->ndone, 1);
	ck_assert_int_eq(r->t.result, -ECONNABORTED);
	ck_assert(r->t.sent);
	ck_assert(io_guards_ok(r));
}

/* The command whose answer was malformed comes back with -EPROTO (session.h). */
static void assert_malformed(struct io *r)
{
	ck_assert_int_eq(r->ndone, 1);
	ck_assert_int_eq(r->t.result, -EPROTO);
	ck_assert(r->t.sent);
	ck_assert(io_guards_ok(r));
}

static void env_dig(struct env *e, struct ft_config *fc, bool digests)
{
	struct sess_config sc;

	env_cfg_default(&sc);
	if (digests) {
		sc.header_digest = SESS_DIGEST_CRC32C;
		sc.data_digest = SESS_DIGEST_CRC32C;
		fc->digests = true;
	}
	fc->data_in_max = 2048;
	env_up(e, fc, &sc);
}

START_TEST(header_digest_corrupt)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_DATA_IN, .skip = 1, .action = FT_CORRUPT, .param = 44};
	struct env e;
	struct io r;

	env_dig(&e, &fc, true);
	ft_fault_add(e.ft, &f);
	read_dies(&e, &r, 16);
	assert_one_death(&e, SESS_DEATH_DIGEST);
	assert_aborted(&r);
	io_fini(&r);
	env_down(&e);
}
END_TEST

START_TEST(data_digest_corrupt)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_DATA_IN, .action = FT_CORRUPT, .param = 48 + 4 + 100};
	struct env e;
	struct io r;

	env_dig(&e, &fc, true);
	ft_fault_add(e.ft, &f);
	read_dies(&e, &r, 16);
	assert_one_death(&e, SESS_DEATH_DIGEST);
	assert_aborted(&r);
	io_fini(&r);
	env_down(&e);
}
END_TEST

static void mut_dsl_huge(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	put_be24(bhs + 5, 0x100000); /* above our MaxRecvDataSegmentLength of 16384 */
}

START_TEST(dsl_above_declared)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_DATA_IN, .action = FT_MUTATE, .mutate = mut_dsl_huge};
	struct env e;
	struct io r;

	env_dig(&e, &fc, false);
	ft_fault_add(e.ft, &f);
	read_dies(&e, &r, 4);
	assert_one_death(&e, SESS_DEATH_PROTOCOL);
	assert_aborted(&r);
	io_fini(&r);
	env_down(&e);
}
END_TEST

static void mut_unknown_itt(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	put_be32(bhs + 16, 0x00011234); /* index beyond the task table */
}

START_TEST(unknown_itt)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_SCSI_RSP, .action = FT_MUTATE, .mutate = mut_unknown_itt};
	struct env e;
	struct io r;

	env_dig(&e, &fc, false);
	ft_fault_add(e.ft, &f);
	read_dies(&e, &r, 4);
	assert_one_death(&e, SESS_DEATH_PROTOCOL);
	assert_aborted(&r);
	ck_assert_ptr_nonnull(strstr(e.death_msg, "unknown ITT"));
	io_fini(&r);
	env_down(&e);
}
END_TEST

static void mut_beyond(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	/* Second Data-In of 2048 bytes claims offset 2048 + 1000: runs 1000 past 4096. */
	put_be32(bhs + 40, get_be32(bhs + 40) + 1000);
}

START_TEST(data_in_beyond_buffer)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_DATA_IN, .skip = 1, .action = FT_MUTATE, .mutate = mut_beyond};
	struct env e;
	struct io r;
	struct sess_config sc;

	env_cfg_default(&sc);
	fc.data_in_max = 2048;
	env_up(&e, &fc, &sc);
	ft_fault_add(e.ft, &f);
	/* Reads 8 blocks but declares only 4096 bytes: the target's data overruns. */
	io_init(&r, false, 0, 8, 4096, 1);
	fill_pattern(r.buf, 4096, 3);
	ck_assert_int_eq(sess_submit(e.s, &r.t), 0);
	assert_one_death(&e, SESS_DEATH_PROTOCOL);
	assert_malformed(&r);
	ck_assert_ptr_nonnull(strstr(e.death_msg, "beyond"));
	io_fini(&r);
	env_down(&e);
}
END_TEST

START_TEST(data_in_reordered)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_DATA_IN, .action = FT_REORDER};
	struct env e;
	struct io r;

	env_dig(&e, &fc, false);
	ft_fault_add(e.ft, &f);
	read_dies(&e, &r, 16);
	assert_one_death(&e, SESS_DEATH_PROTOCOL);
	assert_malformed(&r);
	io_fini(&r);
	env_down(&e);
}
END_TEST

START_TEST(data_in_dropped)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_DATA_IN, .skip = 2, .action = FT_DROP};
	struct env e;
	struct io r;

	env_dig(&e, &fc, false);
	ft_fault_add(e.ft, &f);
	read_dies(&e, &r, 16);
	assert_one_death(&e, SESS_DEATH_PROTOCOL);
	assert_malformed(&r);
	ck_assert_ptr_nonnull(strstr(e.death_msg, "DataSN"));
	io_fini(&r);
	env_down(&e);
}
END_TEST

START_TEST(duplicate_response_is_late)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_SCSI_RSP, .action = FT_DUP};
	struct env e;
	struct io a, b;
	struct sess_stats st;

	env_dig(&e, &fc, false);
	ft_fault_add(e.ft, &f);
	io_init(&a, false, 0, 2, 1024, 1);
	ck_assert_int_eq(sess_submit(e.s, &a.t), 0);
	ck_assert(RUN_UNTIL(&e, a.ndone, 1.0));
	env_run_for(&e, 0.05);
	ck_assert_int_eq(a.ndone, 1);
	ck_assert_int_eq(a.t.result, 0);
	sess_get_stats(e.s, &st);
	ck_assert_uint_eq(st.late_tags, 1);
	ck_assert_int_eq(sess_state(e.s), SESS_READY);
	io_init(&b, false, 0, 2, 1024, 1);
	ck_assert_int_eq(sess_submit(e.s, &b.t), 0);
	ck_assert(RUN_UNTIL(&e, b.ndone, 1.0));
	ck_assert_int_eq(b.t.result, 0);
	ck_assert_int_eq(err_lines, 0);
	io_fini(&a);
	io_fini(&b);
	env_down(&e);
}
END_TEST

START_TEST(delayed_response)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_SCSI_RSP, .action = FT_DELAY};
	struct env e;
	struct io a;

	env_dig(&e, &fc, false);
	ft_fault_add(e.ft, &f);
	io_init(&a, true, 0, 2, 1024, 1);
	ck_assert_int_eq(sess_submit(e.s, &a.t), 0);
	env_run_for(&e, 0.1);
	ck_assert_int_eq(a.ndone, 0);
	ft_release_delayed(e.ft);
	ck_assert(RUN_UNTIL(&e, a.ndone, 1.0));
	ck_assert_int_eq(a.t.result, 0);
	io_fini(&a);
	env_down(&e);
}
END_TEST

static void mut_r2t_too_long(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	put_be32(bhs + 44, 1u << 20); /* DesiredDataTransferLength beyond MaxBurstLength */
}

START_TEST(r2t_beyond_burst)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_R2T, .action = FT_MUTATE, .mutate = mut_r2t_too_long};
	struct env e;
	struct io w;

	env_dig(&e, &fc, false);
	ft_fault_add(e.ft, &f);
	io_init(&w, true, 0, 128, 128 * 512, 1);
	ck_assert_int_eq(sess_submit(e.s, &w.t), 0);
	assert_one_death(&e, SESS_DEATH_PROTOCOL);
	assert_malformed(&w);
	io_fini(&w);
	env_down(&e);
}
END_TEST

START_TEST(garbage_login_text)
{
	struct ft_config fc = {.login_garbage = "this is not key value text"};
	struct sess_config sc;
	struct env e;

	env_cfg_default(&sc);
	env_start(&e, &fc, &sc);
	assert_one_death(&e, SESS_DEATH_LOGIN);
	ck_assert_msg(strstr(e.death_msg, "garbage") != NULL, "message: %s", e.death_msg);
	ck_assert_int_eq(e.n_state[SESS_READY], 0);
	env_down(&e);
}
END_TEST

START_TEST(login_timeout)
{
	struct ft_config fc = {0};
	struct sess_config sc;
	struct env e;

	env_cfg_default(&sc);
	sc.login_timeout_ms = 150;
	env_start(&e, &fc, &sc);
	ft_set_silent(e.ft, true);
	assert_one_death(&e, SESS_DEATH_LOGIN_TIMEOUT);
	env_down(&e);
}
END_TEST

static void ping_cb(void *opaque, int err)
{
	int *p = opaque;

	p[0]++;
	p[1] = err;
}

START_TEST(silent_target_then_close)
{
	struct ft_config fc = {.cmd_window = 1};
	struct env e;
	struct io a, b;
	int ping[2] = {0, 0};

	env_dig(&e, &fc, false);
	ft_set_silent(e.ft, true);
	io_init(&a, false, 0, 1, 512, 1);
	io_init(&b, false, 1, 1, 512, 1);
	ck_assert_int_eq(sess_submit(e.s, &a.t), 0);
	ck_assert_int_eq(sess_submit(e.s, &b.t), 0); /* beyond the window: stays queued */
	ck_assert_int_eq(sess_ping(e.s, ping_cb, ping), 0);
	env_run_for(&e, 0.3);
	/* Timeouts are the owner's: the session stays up, the ping unanswered. */
	ck_assert_int_eq(sess_state(e.s), SESS_READY);
	ck_assert_int_eq(ping[0], 0);
	ck_assert_int_eq(a.ndone + b.ndone, 0);
	sess_close(e.s);
	ck_assert_int_eq(sess_state(e.s), SESS_DEAD);
	ck_assert_int_eq(e.death, SESS_DEATH_CLOSED);
	ck_assert_int_eq(a.ndone, 1);
	ck_assert_int_eq(a.t.result, -ECONNABORTED);
	ck_assert(a.t.sent);
	ck_assert_int_eq(b.ndone, 1);
	ck_assert_int_eq(b.t.result, -ESHUTDOWN);
	ck_assert(!b.t.sent);
	ck_assert_int_eq(ping[0], 1);
	ck_assert_int_eq(ping[1], -ECONNABORTED);
	ck_assert_int_eq(err_lines, 0);
	sess_close(e.s); /* idempotent */
	ck_assert_int_eq(e.n_state[SESS_DEAD], 1);
	ck_assert_int_eq(a.ndone + b.ndone, 2);
	io_fini(&a);
	io_fini(&b);
	env_down(&e);
}
END_TEST

START_TEST(target_closes)
{
	struct ft_config fc = {.hold_cmds = true};
	struct env e;
	struct io a;

	env_dig(&e, &fc, false);
	io_init(&a, true, 0, 64, 64 * 512, 1);
	ck_assert_int_eq(sess_submit(e.s, &a.t), 0);
	ck_assert(RUN_UNTIL(&e, e.ft->cmds == 1, 1.0));
	ft_close(e.ft);
	assert_one_death(&e, SESS_DEATH_CONN_LOST);
	assert_aborted(&a);
	ck_assert_int_eq(sess_submit(e.s, &a.t), -ENOTCONN);
	io_fini(&a);
	env_down(&e);
}
END_TEST

START_TEST(reject_fails_the_command)
{
	struct ft_config fc = {.hold_cmds = true};
	struct env e;
	struct io a, b;
	struct iscsi_pdu_reject rj = {0};
	uint8_t bhs[48], rejected[48] = {0x01};

	env_dig(&e, &fc, false);
	io_init(&a, false, 0, 1, 512, 1);
	io_init(&b, false, 1, 1, 512, 1);
	ck_assert_int_eq(sess_submit(e.s, &a.t), 0);
	ck_assert_int_eq(sess_submit(e.s, &b.t), 0);
	ck_assert(RUN_UNTIL(&e, e.ft->cmds == 2, 1.0));
	put_be32(rejected + 16, a.t.itt);
	rj.reason = ISCSI_PDU_REJ_CMD_NOT_SUPPORTED;
	rj.data_len = 48;
	rj.statsn = e.ft->statsn++;
	rj.exp_cmdsn = e.ft->exp_cmdsn;
	rj.max_cmdsn = ft_max_cmdsn(e.ft);
	ck_assert_int_eq(iscsi_pdu_enc_reject(bhs, &rj), 0);
	ft_send_raw(e.ft, bhs, rejected, 48);
	ck_assert(RUN_UNTIL(&e, a.ndone, 1.0));
	ck_assert_int_eq(a.t.result, -EIO);
	ck_assert_int_eq(b.ndone, 0);
	ck_assert_int_eq(sess_state(e.s), SESS_READY);
	ft_release_cmds(e.ft);
	ck_assert(RUN_UNTIL(&e, b.ndone, 1.0));
	ck_assert_int_eq(b.t.result, 0);
	/* The target's answer to the rejected command, if it came, would be late. */
	io_fini(&a);
	io_fini(&b);
	env_down(&e);
}
END_TEST

/*
 * Rejects need nothing from us to be sent: a target that sends them
 * without end (for PDUs of no task of ours) must not write a log line
 * each. The session stays up, counts every one, and logs
 * a rate-limited few.
 */
static uint64_t rejects_of(const struct env *e)
{
	struct sess_stats st;

	sess_get_stats(e->s, &st);
	return st.rejects;
}

START_TEST(reject_flood_is_rate_limited)
{
	struct ft_config fc = {0};
	struct env e;
	struct iscsi_pdu_reject rj = {0};
	uint8_t bhs[48], rejected[48] = {0x01};
	const unsigned int n = 200;

	env_dig(&e, &fc, false);
	rj.reason = ISCSI_PDU_REJ_PROTOCOL;
	rj.data_len = 48;
	for (unsigned int i = 0; i < n; i++) {
		/* A tag of no task of ours, or the reserved tag. */
		put_be32(rejected + 16, i % 2 ? 0x12345678 + i : ISCSI_PDU_RSVD_TAG);
		rj.statsn = e.ft->statsn++;
		rj.exp_cmdsn = e.ft->exp_cmdsn;
		rj.max_cmdsn = ft_max_cmdsn(e.ft);
		ck_assert_int_eq(iscsi_pdu_enc_reject(bhs, &rj), 0);
		ft_send_raw(e.ft, bhs, rejected, rj.data_len);
	}
	ck_assert(RUN_UNTIL(&e, rejects_of(&e) == n, 2.0));
	ck_assert_int_eq(sess_state(e.s), SESS_READY);
	ck_assert_int_le(warn_lines, (int)LOG_RL_BURST);
	ck_assert_int_gt(warn_lines, 0);
	env_down(&e);
}
END_TEST

/* Owner closes the session from inside a completion: the others still come back once. */
static struct env *reent_env;
static void close_in_done(struct sess_task *t)
{
	io_done(t);
	sess_close(reent_env->s);
}

START_TEST(close_from_callback)
{
	struct ft_config fc = {0};
	struct env e;
	struct io a, b, c;

	env_dig(&e, &fc, false);
	reent_env = &e;
	io_init(&a, false, 0, 1, 512, 1);
	io_init(&b, false, 1, 64, 64 * 512, 1);
	io_init(&c, true, 2, 64, 64 * 512, 1);
	a.t.done = close_in_done;
	ck_assert_int_eq(sess_submit(e.s, &a.t), 0);
	ck_assert_int_eq(sess_submit(e.s, &b.t), 0);
	ck_assert_int_eq(sess_submit(e.s, &c.t), 0);
	ck_assert(RUN_UNTIL(&e, a.ndone && b.ndone && c.ndone, 1.0));
	env_run_for(&e, 0.05);
	ck_assert_int_eq(a.ndone, 1);
	ck_assert_int_eq(b.ndone, 1);
	ck_assert_int_eq(c.ndone, 1);
	ck_assert_int_eq(a.t.result, 0);
	ck_assert_int_eq(e.death, SESS_DEATH_CLOSED);
	ck_assert_int_eq(e.n_state[SESS_DEAD], 1);
	io_fini(&a);
	io_fini(&b);
	io_fini(&c);
	env_down(&e);
}
END_TEST

/*
 * Random configurations, workloads and faults (seeded, reproducible). Whatever
 * happens: every command completes exactly once, nothing lands outside a
 * buffer, the session dies at most once with at most one error line, and
 * sess_close() always finishes the job.
 */
static uint32_t rnd_state;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

START_TEST(random_faults)
{
	static const int ops[] = {-1, OP_DATA_IN, OP_SCSI_RSP, OP_R2T, 0x20};
	static const enum ft_action acts[] = {FT_CORRUPT, FT_DROP, FT_DUP, FT_REORDER, FT_DELAY};
	/* FAULT_SEEDS=n runs more (or fewer) seeds than the 60 of make check. */
	unsigned int seed,
		nseeds = getenv("FAULT_SEEDS") ? (unsigned int)atoi(getenv("FAULT_SEEDS")) : 60;

	for (seed = 1; seed <= nseeds; seed++) {
		struct ft_config fc = {0};
		struct sess_config sc;
		struct env e;
		struct io io[24];
		struct ft_fault f = {0};
		unsigned int i, n = 8 + seed % 16, done = 0;
		bool dig = seed & 1;

		rnd_state = seed;
		env_cfg_default(&sc);
		if (dig) {
			sc.header_digest = sc.data_digest = SESS_DIGEST_CRC32C;
			fc.digests = true;
		}
		fc.data_in_max = 512u << (rnd() % 5);
		fc.max_burst = 4096u << (rnd() % 4);
		fc.max_outstanding_r2t = 1 + rnd() % 3;
		fc.initial_r2t = rnd() & 1;
		fc.no_immediate_data = rnd() & 1;
		fc.status_in_data_in = rnd() & 1;
		fc.cmd_window = 1 + (int)(rnd() % 8);
		sc.max_outstanding_r2t = 3;
		sc.initial_cmdsn = rnd() % 3 ? 0 : 0xfffffff0u;
		env_up(&e, &fc, &sc);
		f.opcode = ops[rnd() % ARRAY_SIZE(ops)];
		f.action = acts[rnd() % ARRAY_SIZE(acts)];
		f.skip = rnd() % 20;
		f.count = 1 + rnd() % 2;
		f.param = rnd() % 200;
		ft_fault_add(e.ft, &f);
		for (i = 0; i < n; i++) {
			uint32_t blocks = 1 + rnd() % 96;

			io_init(&io[i], rnd() & 1, rnd() % 1900, blocks, blocks * 512,
				1 + rnd() % 4);
			fill_pattern(io[i].buf, io[i].len, i);
			ck_assert_int_eq(sess_submit(e.s, &io[i].t), 0);
		}
		for (i = 0; i < n; i++)
			RUN_UNTIL(&e, io[i].ndone || sess_state(e.s) == SESS_DEAD, 0.15);
		if (f.action == FT_DELAY)
			ft_release_delayed(e.ft);
		env_run_for(&e, 0.02);
		sess_close(e.s);
		for (i = 0; i < n; i++) {
			ck_assert_msg(io[i].ndone == 1, "seed %u io %u done %d", seed, i,
				      io[i].ndone);
			ck_assert_msg(io_guards_ok(&io[i]), "seed %u io %u guards", seed, i);
			done += io[i].t.result == 0;
			io_fini(&io[i]);
		}
		ck_assert_int_eq(e.n_state[SESS_DEAD], 1);
		/*
		 * Faults hit the target's PDUs only: what we sent must stay legal,
		 * unless a corruption went undetected (no digests) into a field we
		 * must echo, such as an R2T's Target Transfer Tag.
		 */
		ck_assert_msg(e.ft->errors == 0 || (f.action == FT_CORRUPT && !dig),
			      "seed %u: target saw %s", seed, e.ft->first_error);
		ck_assert_msg(err_lines <= 1, "seed %u: %d error lines, last %s", seed, err_lines,
			      last_err);
		ck_assert_msg(e.death != SESS_DEATH_CLOSED || err_lines == 0, "seed %u", seed);
		if (getenv("TEST_VERBOSE"))
			fprintf(stderr, "seed %u: %u/%u ok, death %s: %s\n", seed, done, n,
				sess_death_name(e.death), e.death_msg);
		env_down(&e);
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("session-faults");
	TCase *tc = tcase_create("faults");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, header_digest_corrupt);
	tcase_add_test(tc, data_digest_corrupt);
	tcase_add_test(tc, dsl_above_declared);
	tcase_add_test(tc, unknown_itt);
	tcase_add_test(tc, data_in_beyond_buffer);
	tcase_add_test(tc, data_in_reordered);
	tcase_add_test(tc, data_in_dropped);
	tcase_add_test(tc, duplicate_response_is_late);
	tcase_add_test(tc, delayed_response);
	tcase_add_test(tc, r2t_beyond_burst);
	tcase_add_test(tc, garbage_login_text);
	tcase_add_test(tc, login_timeout);
	tcase_add_test(tc, silent_target_then_close);
	tcase_add_test(tc, target_closes);
	tcase_add_test(tc, reject_fails_the_command);
	tcase_add_test(tc, reject_flood_is_rate_limited);
	tcase_add_test(tc, close_from_callback);
	tcase_add_test(tc, random_faults);
	suite_add_tcase(s, tc);
	return s;
}
