/*
 * Session engine against the fake target, the normal paths: login (None and
 * CHAP), READ/WRITE of many sizes with small burst and segment limits so
 * that immediate data, unsolicited Data-Out, R2T sequences and many Data-In
 * PDUs all happen, digests, status in the last Data-In with residuals,
 * sense, NOP both ways, the CmdSN window (closed, opened by a NOP-In,
 * across the 2^32 wrap), async messages, task management, logout and
 * SendTargets over several Text Responses. The fake target checks our side
 * of every rule it negotiated (ft->errors).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "../checkmain.h"
#include "tests/component/harness.h"

/* Write then read back sizes around every limit; compare, check guards. */
static void rw_sizes(struct env *e, unsigned int niov)
{
	static const uint32_t blocks[] = {1, 2, 15, 16, 17, 31, 32, 33, 64, 100, 128, 129, 200};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(blocks); i++) {
		uint32_t len = blocks[i] * 512;
		uint64_t lba = i * 7;
		struct io w, r;

		io_init(&w, true, lba, blocks[i], len, niov);
		fill_pattern(w.buf, len, i);
		io_init(&r, false, lba, blocks[i], len, niov);
		/* Simple tasks may be reordered at the target: read after the write is done. */
		ck_assert_int_eq(sess_submit(e->s, &w.t), 0);
		ck_assert(RUN_UNTIL(e, w.ndone, 3.0));
		ck_assert_int_eq(sess_submit(e->s, &r.t), 0);
		ck_assert(RUN_UNTIL(e, r.ndone, 3.0));
		ck_assert_int_eq(w.ndone, 1);
		ck_assert_int_eq(r.ndone, 1);
		ck_assert_int_eq(w.t.result, 0);
		ck_assert_int_eq(w.t.status, 0);
		ck_assert_int_eq(r.t.result, 0);
		ck_assert_int_eq(r.t.status, 0);
		ck_assert_msg(memcmp(w.buf, r.buf, len) == 0, "data mismatch at %u blocks",
			      blocks[i]);
		ck_assert(io_guards_ok(&r));
		ck_assert(w.t.sent && r.t.sent);
		io_fini(&w);
		io_fini(&r);
	}
	ck_assert_msg(e->ft->errors == 0, "target saw: %s", e->ft->first_error);
	ck_assert_uint_le(e->ft->max_seen_dout_len, e->ft->cfg.max_recv_dsl);
}

/*
 * Many commands in flight at once: they leave in few sendmsg() calls and
 * their Data-In and responses come back in bursts that the receive side
 * takes from its read-ahead buffer, PDUs straddling every read boundary
 * (4 KiB Data-In plus 48-byte headers against a 64 KiB buffer; digests on
 * to check that the digest bytes are split correctly too).
 */
static void many_in_flight(bool digests)
{
	enum { N = 96 };
	struct ft_config fc = {.digests = digests, .data_in_max = 4096, .lun_blocks = 4096};
	struct sess_config sc;
	static struct io w[N], r[N];
	struct env e;
	int i, done;

	env_cfg_default(&sc);
	if (digests) {
		sc.header_digest = SESS_DIGEST_CRC32C;
		sc.data_digest = SESS_DIGEST_CRC32C;
	}
	env_up(&e, &fc, &sc);
	for (i = 0; i < N; i++) {
		uint32_t blocks = 1 + (uint32_t)i % 24;

		io_init(&w[i], true, (uint64_t)i * 24, blocks, blocks * 512, 1 + (unsigned)i % 3);
		fill_pattern(w[i].buf, blocks * 512, (unsigned)i + 100);
		ck_assert_int_eq(sess_submit(e.s, &w[i].t), 0);
	}
	for (done = 0; done < N;) {
		ck_assert_msg(RUN_UNTIL(&e, w[done].ndone, 5.0), "write %d not done", done);
		done++;
	}
	for (i = 0; i < N; i++) {
		uint32_t blocks = 1 + (uint32_t)i % 24;

		ck_assert_int_eq(w[i].t.result, 0);
		io_init(&r[i], false, (uint64_t)i * 24, blocks, blocks * 512, 1 + (unsigned)i % 2);
		ck_assert_int_eq(sess_submit(e.s, &r[i].t), 0);
	}
	for (done = 0; done < N;) {
		ck_assert_msg(RUN_UNTIL(&e, r[done].ndone, 5.0), "read %d not done", done);
		done++;
	}
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(r[i].t.result, 0);
		ck_assert_int_eq(r[i].t.status, 0);
		ck_assert_msg(memcmp(w[i].buf, r[i].buf, w[i].t.xfer_len) == 0,
			      "data mismatch in read %d", i);
		ck_assert(io_guards_ok(&r[i]));
		io_fini(&w[i]);
		io_fini(&r[i]);
	}
	ck_assert_msg(e.ft->errors == 0, "target saw: %s", e.ft->first_error);
	ck_assert_int_eq(err_lines, 0);
	env_down(&e);
}

START_TEST(many_in_flight_plain)
{
	many_in_flight(false);
}
END_TEST

START_TEST(many_in_flight_digests)
{
	many_in_flight(true);
}
END_TEST

START_TEST(login_and_rw)
{
	struct ft_config fc = {0};
	struct sess_config sc;
	struct env e;

	env_cfg_default(&sc);
	fc.data_in_max = 4096; /* many Data-In per read */
	env_up(&e, &fc, &sc);
	ck_assert_uint_eq(sess_negotiated(e.s)->target_max_recv_dsl, 8192);
	ck_assert(sess_negotiated(e.s)->immediate_data);
	ck_assert(!sess_negotiated(e.s)->initial_r2t);
	rw_sizes(&e, 3);
	ck_assert_uint_gt(e.ft->r2ts, 0);
	ck_assert_uint_gt(e.ft->data_outs, 0);
	ck_assert_int_eq(err_lines, 0);
	env_down(&e);
}
END_TEST

START_TEST(rw_digests)
{
	struct ft_config fc = {.digests = true, .status_in_data_in = true};
	struct sess_config sc;
	struct env e;

	env_cfg_default(&sc);
	sc.header_digest = SESS_DIGEST_CRC32C;
	sc.data_digest = SESS_DIGEST_CRC32C;
	env_up(&e, &fc, &sc);
	ck_assert(sess_negotiated(e.s)->header_digest);
	ck_assert(sess_negotiated(e.s)->data_digest);
	rw_sizes(&e, 1);
	ck_assert_int_eq(err_lines, 0);
	env_down(&e);
}
END_TEST

START_TEST(rw_initial_r2t_many_r2t)
{
	struct ft_config fc = {.initial_r2t = true,
			       .no_immediate_data = true,
			       .max_outstanding_r2t = 2,
			       .max_burst = 4096};
	struct sess_config sc;
	struct env e;

	env_cfg_default(&sc);
	sc.max_outstanding_r2t = 4;
	env_up(&e, &fc, &sc);
	ck_assert(sess_negotiated(e.s)->initial_r2t);
	ck_assert(!sess_negotiated(e.s)->immediate_data);
	ck_assert_uint_eq(sess_negotiated(e.s)->max_outstanding_r2t, 2);
	rw_sizes(&e, 2);
	ck_assert_uint_gt(e.ft->r2ts, 40);
	env_down(&e);
}
END_TEST

START_TEST(read_residual_and_sense)
{
	struct ft_config fc = {.status_in_data_in = true};
	struct sess_config sc;
	struct env e;
	struct io r, bad;

	env_cfg_default(&sc);
	env_up(&e, &fc, &sc);
	/* CDB asks 4 blocks, we expect 8: underflow of 4 blocks. */
	io_init(&r, false, 0, 4, 8 * 512, 1);
	ck_assert_int_eq(sess_submit(e.s, &r.t), 0);
	io_init(&bad, false, 0, 1, 512, 1);
	bad.t.cdb[0] = 0xee; /* unsupported: CHECK CONDITION, ILLEGAL REQUEST */
	ck_assert_int_eq(sess_submit(e.s, &bad.t), 0);
	ck_assert(RUN_UNTIL(&e, r.ndone && bad.ndone, 2.0));
	ck_assert_int_eq(r.t.result, 0);
	ck_assert(r.t.residual_under);
	ck_assert_uint_eq(r.t.residual, 4 * 512);
	ck_assert_int_eq(bad.t.result, 0);
	ck_assert_uint_eq(bad.t.status, 0x02);
	ck_assert_uint_eq(bad.t.sense_len, 18);
	ck_assert_uint_eq(bad.t.sense[2] & 0xf, 5);
	ck_assert_uint_eq(bad.t.sense[12], 0x20);
	ck_assert(io_guards_ok(&r));
	io_fini(&r);
	io_fini(&bad);
	/* No data at all: TEST UNIT READY. */
	io_init(&bad, false, 0, 0, 0, 1);
	memset(bad.t.cdb, 0, sizeof(bad.t.cdb));
	bad.t.cdb_len = 6;
	bad.t.iov_cnt = 0;
	ck_assert_int_eq(sess_submit(e.s, &bad.t), 0);
	ck_assert(RUN_UNTIL(&e, bad.ndone, 2.0));
	ck_assert_int_eq(bad.t.result, 0);
	ck_assert_uint_eq(bad.t.status, 0);
	ck_assert_msg(e.ft->errors == 0, "%s", e.ft->first_error);
	io_fini(&bad);
	env_down(&e);
}
END_TEST

START_TEST(chap_login)
{
	static const uint8_t secret[] = "0123456789abcdef";
	struct ft_config fc = {.chap_user = "alice", .chap_secret = "0123456789abcdef"};
	struct sess_config sc;
	struct env e;

	env_cfg_default(&sc);
	sc.chap.user = "alice";
	sc.chap.secret = secret;
	sc.chap.secret_len = 16;
	env_up(&e, &fc, &sc);
	ck_assert_uint_eq(e.ft->chap_step, 3);
	env_down(&e);
}
END_TEST

START_TEST(chap_wrong_secret)
{
	static const uint8_t secret[] = "wrong-secret-here";
	struct ft_config fc = {.chap_user = "alice", .chap_secret = "0123456789abcdef"};
	struct sess_config sc;
	struct env e;

	env_cfg_default(&sc);
	sc.chap.user = "alice";
	sc.chap.secret = secret;
	sc.chap.secret_len = 17;
	env_start(&e, &fc, &sc);
	ck_assert(RUN_UNTIL(&e, sess_state(e.s) == SESS_DEAD, 2.0));
	ck_assert_int_eq(e.death, SESS_DEATH_AUTH);
	ck_assert_int_eq(err_lines, 1);
	env_down(&e);
}
END_TEST

static void ping_cb(void *opaque, int err)
{
	int *p = opaque;

	p[0]++;
	p[1] = err;
}

START_TEST(nop_both_ways)
{
	struct ft_config fc = {0};
	struct sess_config sc;
	struct env e;
	int ping[2] = {0, 99};
	struct sess_stats st;

	env_cfg_default(&sc);
	env_up(&e, &fc, &sc);
	ck_assert_int_eq(sess_ping(e.s, ping_cb, ping), 0);
	ck_assert(RUN_UNTIL(&e, ping[0] == 1, 1.0));
	ck_assert_int_eq(ping[1], 0);
	/* Target ping: our answer copies TTT and LUN, ITT 0xffffffff, immediate. */
	ft_send_nop_in(e.ft, 0x4242, 0x0003000000000000ull);
	ck_assert(RUN_UNTIL(&e, e.ft->nop_echoes == 1, 1.0));
	ck_assert_uint_eq(e.ft->last_echo_ttt, 0x4242);
	ck_assert_uint_eq(e.ft->last_echo_lun, 0x0003000000000000ull);
	/* A NOP-In without TTT is not answered. */
	ft_send_nop_in(e.ft, 0xffffffff, 0);
	env_run_for(&e, 0.05);
	ck_assert_uint_eq(e.ft->nop_echoes, 1);
	ck_assert_msg(e.ft->errors == 0, "%s", e.ft->first_error);
	sess_get_stats(e.s, &st);
	ck_assert_uint_ge(st.nop_in, 3);
	ck_assert(sess_last_rx(e.s) > 0);
	env_down(&e);
}
END_TEST

/*
 * Bytes from the target that the loop has not read yet are reported as
 * waiting (sess_rx_waiting(): the path layer's silence verdict waits for
 * them), and no longer once the loop has read them.
 */
START_TEST(rx_waiting_until_read)
{
	struct ft_config fc = {0};
	struct sess_config sc;
	struct env e;
	struct sess_stats st;
	uint64_t nop_in;
	ev_tstamp rx0;
	int i;

	env_cfg_default(&sc);
	env_up(&e, &fc, &sc);
	env_run_for(&e, 0.05);
	ck_assert(!sess_rx_waiting(e.s));
	sess_get_stats(e.s, &st);
	nop_in = st.nop_in;
	rx0 = sess_last_rx(e.s);
	/* A NOP-In that needs no answer, written while the loop does not run. */
	ft_send_nop_in(e.ft, 0xffffffff, 0);
	for (i = 0; i < 200 && !sess_rx_waiting(e.s); i++)
		usleep(1000);
	ck_assert(sess_rx_waiting(e.s));
	ck_assert(sess_last_rx(e.s) == rx0); /* not counted before it is read */
	ck_assert(RUN_UNTIL(&e, (sess_get_stats(e.s, &st), st.nop_in > nop_in), 1.0));
	ck_assert(!sess_rx_waiting(e.s));
	ck_assert(sess_last_rx(e.s) > rx0);
	env_down(&e);
}
END_TEST

START_TEST(window_closed_then_opened)
{
	struct ft_config fc = {.cmd_window = -1}; /* MaxCmdSN = ExpCmdSN - 1 */
	struct sess_config sc;
	struct env e;
	struct io io[3];
	struct sess_stats st;
	unsigned int i;

	env_cfg_default(&sc);
	env_up(&e, &fc, &sc);
	for (i = 0; i < 3; i++) {
		io_init(&io[i], false, i, 1, 512, 1);
		ck_assert_int_eq(sess_submit(e.s, &io[i].t), 0);
	}
	env_run_for(&e, 0.1);
	ck_assert_uint_eq(e.ft->cmds, 0);
	sess_get_stats(e.s, &st);
	ck_assert_uint_eq(st.queued, 3);
	/* Open two slots: two go, their answers move the window for the third. */
	ft_set_window(e.ft, 2, true);
	ck_assert(RUN_UNTIL(&e, io[0].ndone && io[1].ndone && io[2].ndone, 2.0));
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(io[i].t.result, 0);
		io_fini(&io[i]);
	}
	ck_assert_msg(e.ft->errors == 0, "%s", e.ft->first_error);
	env_down(&e);
}
END_TEST

START_TEST(window_wraps)
{
	struct ft_config fc = {.cmd_window = 3};
	struct sess_config sc;
	struct env e;
	struct io io[12];
	unsigned int i;

	env_cfg_default(&sc);
	sc.initial_cmdsn = 0xfffffffa;
	env_up(&e, &fc, &sc);
	for (i = 0; i < 12; i++) {
		io_init(&io[i], i & 1, i, 1, 512, 1);
		ck_assert_int_eq(sess_submit(e.s, &io[i].t), 0);
	}
	ck_assert(RUN_UNTIL(&e, io[11].ndone, 2.0));
	for (i = 0; i < 12; i++) {
		ck_assert_int_eq(io[i].ndone, 1);
		ck_assert_int_eq(io[i].t.result, 0);
		io_fini(&io[i]);
	}
	ck_assert_msg(e.ft->errors == 0, "%s", e.ft->first_error);
	ck_assert_uint_eq(e.ft->last_cmdsn, 0xfffffffau + 11u);
	env_down(&e);
}
END_TEST

START_TEST(async_events)
{
	static const uint8_t sense[18] = {0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x2a, 0x09};
	struct ft_config fc = {0};
	struct sess_config sc;
	struct env e;

	env_cfg_default(&sc);
	env_up(&e, &fc, &sc);
	ft_send_async(e.ft, 0, 0, 0, 0, sense, sizeof(sense));
	ck_assert(RUN_UNTIL(&e, e.n_events == 1, 1.0));
	ck_assert_int_eq(e.last_ev.type, SESS_EV_SCSI_ASYNC);
	ck_assert_uint_eq(e.last_ev.sense_len, 18);
	ck_assert_uint_eq(e.last_sense[12], 0x2a);
	ft_send_async(e.ft, 1, 0, 0, 5, NULL, 0);
	ck_assert(RUN_UNTIL(&e, e.n_events == 2, 1.0));
	ck_assert_int_eq(e.last_ev.type, SESS_EV_LOGOUT_REQUEST);
	ck_assert_uint_eq(e.last_ev.param3, 5);
	ck_assert_int_eq(sess_state(e.s), SESS_READY); /* the owner decides */
	ft_send_async(e.ft, 2, 0, 2, 20, NULL, 0);
	ck_assert(RUN_UNTIL(&e, sess_state(e.s) == SESS_DEAD, 1.0));
	ck_assert_int_eq(e.last_ev.type, SESS_EV_DROP_CONNECTION);
	ck_assert_int_eq(e.death, SESS_DEATH_TARGET_DROP);
	ck_assert_int_eq(e.n_state[SESS_DEAD], 1);
	ck_assert_int_eq(err_lines, 1);
	env_down(&e);
}
END_TEST

static void tmf_cb(void *opaque, int response)
{
	int *p = opaque;

	p[0]++;
	p[1] = response;
}

START_TEST(tmf_abort_and_lun_reset)
{
	struct ft_config fc = {.hold_cmds = true};
	struct sess_config sc;
	struct env e;
	struct io a, b, c;
	int r1[2] = {0, -1}, r2[2] = {0, -1};

	env_cfg_default(&sc);
	env_up(&e, &fc, &sc);
	io_init(&a, false, 0, 1, 512, 1);
	io_init(&b, false, 1, 1, 512, 1);
	io_init(&c, false, 2, 1, 512, 1);
	ck_assert_int_eq(sess_submit(e.s, &a.t), 0);
	ck_assert_int_eq(sess_submit(e.s, &b.t), 0);
	ck_assert_int_eq(sess_submit(e.s, &c.t), 0);
	ck_assert(RUN_UNTIL(&e, e.ft->cmds == 3, 1.0));
	ck_assert_int_eq(sess_abort_task(e.s, &a.t, tmf_cb, r1), 0);
	ck_assert(RUN_UNTIL(&e, r1[0] == 1, 1.0));
	ck_assert_int_eq(r1[1], 0);
	ck_assert_int_eq(a.ndone, 1);
	ck_assert_int_eq(a.t.result, -ECANCELED);
	ck_assert_int_eq(sess_abort_task(e.s, &a.t, tmf_cb, r1), -ENOENT);
	ck_assert_int_eq(sess_lun_reset(e.s, 0, tmf_cb, r2), 0);
	ck_assert(RUN_UNTIL(&e, r2[0] == 1, 1.0));
	ck_assert_int_eq(r2[1], 0);
	ck_assert_int_eq(b.ndone, 1);
	ck_assert_int_eq(c.ndone, 1);
	ck_assert_int_eq(b.t.result, -ECANCELED);
	ck_assert_int_eq(c.t.result, -ECANCELED);
	ck_assert_msg(e.ft->errors == 0, "%s", e.ft->first_error);
	ck_assert_int_eq(sess_state(e.s), SESS_READY);
	io_fini(&a);
	io_fini(&b);
	io_fini(&c);
	env_down(&e);
}
END_TEST

START_TEST(logout_after_outstanding)
{
	struct ft_config fc = {0};
	struct sess_config sc;
	struct env e;
	struct io r;

	env_cfg_default(&sc);
	env_up(&e, &fc, &sc);
	io_init(&r, false, 0, 64, 64 * 512, 1);
	ck_assert_int_eq(sess_submit(e.s, &r.t), 0);
	ck_assert_int_eq(sess_logout(e.s), 0);
	ck_assert_int_eq(sess_submit(e.s, &r.t), -ENOTCONN);
	ck_assert(RUN_UNTIL(&e, sess_state(e.s) == SESS_DEAD, 2.0));
	ck_assert_int_eq(r.ndone, 1);
	ck_assert_int_eq(r.t.result, 0);
	ck_assert_int_eq(e.death, SESS_DEATH_LOGOUT);
	ck_assert_uint_eq(e.ft->logouts, 1);
	ck_assert_msg(e.ft->errors == 0, "%s", e.ft->first_error);
	ck_assert_int_eq(err_lines, 0);
	io_fini(&r);
	env_down(&e);
}
END_TEST

struct disc {
	int calls, err;
	unsigned int n;
	char names[4][64];
	unsigned int naddr[4];
	char addr1[2][64];
};

static void disc_cb(void *opaque, int err, const struct sess_disc_target *t, unsigned int n)
{
	struct disc *d = opaque;
	unsigned int i;

	d->calls++;
	d->err = err;
	d->n = n;
	for (i = 0; i < n && i < 4; i++) {
		snprintf(d->names[i], sizeof(d->names[i]), "%s", t[i].name);
		d->naddr[i] = t[i].naddr;
	}
	if (n > 1 && t[1].naddr == 2) {
		snprintf(d->addr1[0], 64, "%s", t[1].addr[0]);
		snprintf(d->addr1[1], 64, "%s", t[1].addr[1]);
	}
}

START_TEST(send_targets_multi_pdu)
{
	struct ft_config fc = {.text_chunk = 37, .n_targets = 3};
	struct sess_config sc;
	struct env e;
	struct disc d = {0};

	env_cfg_default(&sc);
	sc.discovery = true;
	sc.target_name = NULL;
	env_up(&e, &fc, &sc);
	ck_assert_int_eq(sess_send_targets(e.s, NULL, disc_cb, &d), 0);
	ck_assert(RUN_UNTIL(&e, d.calls == 1, 2.0));
	ck_assert_int_eq(d.err, 0);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(d.names[0], "iqn.2026-01.test:fake.t0");
	ck_assert_str_eq(d.names[2], "iqn.2026-01.test:fake.t2");
	ck_assert_uint_eq(d.naddr[0], 1);
	ck_assert_uint_eq(d.naddr[1], 2);
	ck_assert_str_eq(d.addr1[0], "192.0.2.2:3260,1");
	ck_assert_str_eq(d.addr1[1], "[2001:db8::1]:3261,2");
	ck_assert_uint_gt(e.ft->texts, 5); /* really several PDUs */
	ck_assert_msg(e.ft->errors == 0, "%s", e.ft->first_error);
	ck_assert_int_eq(sess_logout(e.s), 0);
	ck_assert(RUN_UNTIL(&e, sess_state(e.s) == SESS_DEAD, 1.0));
	ck_assert_int_eq(e.death, SESS_DEATH_LOGOUT);
	env_down(&e);
}
END_TEST

START_TEST(submit_rules)
{
	struct ft_config fc = {0};
	struct sess_config sc;
	struct env e;
	struct io r;

	env_cfg_default(&sc);
	env_start(&e, &fc, &sc);
	io_init(&r, false, 0, 1, 512, 1);
	ck_assert_int_eq(sess_submit(e.s, &r.t), -ENOTCONN); /* still logging in */
	ck_assert(RUN_UNTIL(&e, sess_state(e.s) == SESS_READY, 2.0));
	r.t.iov[0].iov_len = 100; /* buffer smaller than the transfer */
	ck_assert_int_eq(sess_submit(e.s, &r.t), -EINVAL);
	r.t.iov[0].iov_len = 512;
	r.t.cdb_len = 0;
	ck_assert_int_eq(sess_submit(e.s, &r.t), -EINVAL);
	ck_assert_int_eq(r.ndone, 0);
	io_fini(&r);
	env_down(&e);
}
END_TEST

/*
 * The target answers a write before taking its data: Data-Out already in
 * the socket must still go out whole, queued ones are dropped, and the
 * command completes once; the session carries on.
 */
START_TEST(write_answered_before_data)
{
	struct ft_config fc = {.lun_blocks = 256, .first_burst = 65536};
	struct sess_config sc;
	struct env e;
	struct io w, r;

	env_cfg_default(&sc);
	sc.first_burst = 65536;
	harness_sockbuf = 4096;
	env_up(&e, &fc, &sc);
	harness_sockbuf = 0;
	io_init(&w, true, 200, 128, 128 * 512, 2); /* runs past block 256 */
	fill_pattern(w.buf, 128 * 512, 9);
	ck_assert_int_eq(sess_submit(e.s, &w.t), 0);
	ck_assert(RUN_UNTIL(&e, w.ndone, 2.0));
	env_run_for(&e, 0.05);
	ck_assert_int_eq(w.ndone, 1);
	ck_assert_int_eq(w.t.result, 0);
	ck_assert_uint_eq(w.t.status, 0x02);
	ck_assert_uint_eq(w.t.sense[12], 0x21);
	ck_assert_uint_eq(e.ft->early_rsps, 1);
	ck_assert_int_eq(sess_state(e.s), SESS_READY);
	io_init(&r, false, 0, 8, 4096, 1);
	ck_assert_int_eq(sess_submit(e.s, &r.t), 0);
	ck_assert(RUN_UNTIL(&e, r.ndone, 2.0));
	ck_assert_int_eq(r.t.result, 0);
	ck_assert_msg(e.ft->errors == 0, "%s", e.ft->first_error);
	io_fini(&w);
	io_fini(&r);
	env_down(&e);
}
END_TEST

/* A TCP listener on loopback whose accepted connection is served by a second fake target. */
struct listener {
	int fd;
	ev_io io;
	struct ft *ft;
	struct ft_config cfg;
	struct sockaddr_in addr;
	struct sockaddr_in peer;
};

static void listener_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = container_of(w, struct listener, io);
	socklen_t plen = sizeof(l->peer);
	int fd = accept(l->fd, (struct sockaddr *)&l->peer, &plen);

	if (fd >= 0 && !l->ft)
		l->ft = ft_new(loop, fd, &l->cfg);
	ev_io_stop(loop, w);
}

static void listener_start(struct env *e, struct listener *l)
{
	socklen_t len = sizeof(l->addr);

	memset(&l->addr, 0, sizeof(l->addr));
	l->addr.sin_family = AF_INET;
	l->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(l->fd, 0);
	ck_assert_int_eq(bind(l->fd, (struct sockaddr *)&l->addr, sizeof(l->addr)), 0);
	ck_assert_int_eq(listen(l->fd, 4), 0);
	ck_assert_int_eq(getsockname(l->fd, (struct sockaddr *)&l->addr, &len), 0);
	ev_io_init(&l->io, listener_cb, l->fd, EV_READ);
	ev_io_start(e->loop, &l->io);
}

START_TEST(login_redirect_over_tcp)
{
	struct ft_config fc = {0};
	struct sess_config sc;
	struct listener l = {.ft = NULL};
	struct env e;
	struct io r;
	char where[64];

	env_cfg_default(&sc);
	/* env_start needs the loop first: start with a placeholder redirect, fix it below. */
	fc.redirect_to = where;
	snprintf(where, sizeof(where), "127.0.0.1:1,1");
	env_start(&e, &fc, &sc);
	listener_start(&e, &l);
	snprintf(where, sizeof(where), "127.0.0.1:%u,1", ntohs(l.addr.sin_port));
	ck_assert(
		RUN_UNTIL(&e, sess_state(e.s) == SESS_READY || sess_state(e.s) == SESS_DEAD, 3.0));
	ck_assert_msg(sess_state(e.s) == SESS_READY, "%s", sess_death_message(e.s));
	ck_assert_ptr_nonnull(l.ft);
	ck_assert_int_eq(e.n_state[SESS_CONNECTING], 0); /* redirect stays in LOGIN */
	io_init(&r, false, 0, 8, 4096, 1);
	ck_assert_int_eq(sess_submit(e.s, &r.t), 0);
	ck_assert(RUN_UNTIL(&e, r.ndone, 2.0));
	ck_assert_int_eq(r.t.result, 0);
	ck_assert_uint_eq(l.ft->reads, 1);
	ck_assert_uint_eq(e.ft->reads, 0);
	io_fini(&r);
	sess_close(e.s);
	ft_free(l.ft);
	close(l.fd);
	env_down(&e);
}
END_TEST

/*
 * sess_start() over TCP with the source address and interface pinned, as a
 * path does: the target must see our chosen source address.
 */
START_TEST(connect_bound_source)
{
	static const struct sess_callbacks cb = {.on_state = env_on_state};
	struct sess_config sc;
	struct sockaddr_in *src;
	struct listener l = {.ft = NULL};
	struct env e;
	struct sess *bad;

	memset(&e, 0, sizeof(e));
	err_lines = 0;
	log_set_hook(log_hook, NULL);
	e.loop = ev_loop_new(EVFLAG_AUTO);
	listener_start(&e, &l);
	env_cfg_default(&sc);
	memcpy(&sc.portal, &l.addr, sizeof(l.addr));
	sc.portal_len = sizeof(l.addr);
	src = (struct sockaddr_in *)&sc.bind_addr;
	src->sin_family = AF_INET;
	src->sin_addr.s_addr = htonl(0x7f000002); /* 127.0.0.2 */
	sc.bind_addr_len = sizeof(*src);
	sc.bind_ifname = "lo";
	e.s = sess_new(e.loop, &sc, &cb, &e);
	ck_assert_int_eq(sess_start(e.s), 0);
	ck_assert(
		RUN_UNTIL(&e, sess_state(e.s) == SESS_READY || sess_state(e.s) == SESS_DEAD, 3.0));
	ck_assert_msg(sess_state(e.s) == SESS_READY, "%s", sess_death_message(e.s));
	ck_assert_uint_eq(ntohl(l.peer.sin_addr.s_addr), 0x7f000002);
	sess_close(e.s);
	sess_free(e.s);
	/* An interface that does not exist: sess_start fails, nothing fires. */
	sc.bind_ifname = "nosuchif0";
	bad = sess_new(e.loop, &sc, &cb, &e);
	ck_assert_int_eq(sess_start(bad), -ENODEV);
	ck_assert_int_eq(sess_state(bad), SESS_IDLE);
	sess_free(bad);
	ft_free(l.ft);
	close(l.fd);
	ev_loop_destroy(e.loop);
	log_set_hook(NULL, NULL);
}
END_TEST

START_TEST(connect_refused)
{
	struct sess_config sc;
	struct sockaddr_in *sin;
	struct env e;
	static const struct sess_callbacks cb = {.on_state = env_on_state};
	int fd;
	socklen_t len = sizeof(struct sockaddr_in);

	memset(&e, 0, sizeof(e));
	err_lines = 0;
	log_set_hook(log_hook, NULL);
	e.loop = ev_loop_new(EVFLAG_AUTO);
	env_cfg_default(&sc);
	sin = (struct sockaddr_in *)&sc.portal;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* A port that was just free: bind, learn it, close. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)sin, &len), 0);
	close(fd);
	sc.portal_len = sizeof(*sin);
	e.s = sess_new(e.loop, &sc, &cb, &e);
	ck_assert_int_eq(sess_start(e.s), 0);
	ck_assert_int_eq(sess_state(e.s), SESS_CONNECTING);
	ck_assert(RUN_UNTIL(&e, sess_state(e.s) == SESS_DEAD, 2.0));
	ck_assert_int_eq(e.death, SESS_DEATH_CONNECT);
	ck_assert_int_eq(err_lines, 1);
	ck_assert_int_eq(e.n_state[SESS_DEAD], 1);
	sess_free(e.s);
	ev_loop_destroy(e.loop);
	log_set_hook(NULL, NULL);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("normal");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, login_and_rw);
	tcase_add_test(tc, many_in_flight_plain);
	tcase_add_test(tc, many_in_flight_digests);
	tcase_add_test(tc, rw_digests);
	tcase_add_test(tc, rw_initial_r2t_many_r2t);
	tcase_add_test(tc, read_residual_and_sense);
	tcase_add_test(tc, chap_login);
	tcase_add_test(tc, chap_wrong_secret);
	tcase_add_test(tc, nop_both_ways);
	tcase_add_test(tc, rx_waiting_until_read);
	tcase_add_test(tc, window_closed_then_opened);
	tcase_add_test(tc, window_wraps);
	tcase_add_test(tc, async_events);
	tcase_add_test(tc, tmf_abort_and_lun_reset);
	tcase_add_test(tc, logout_after_outstanding);
	tcase_add_test(tc, send_targets_multi_pdu);
	tcase_add_test(tc, submit_rules);
	tcase_add_test(tc, write_answered_before_data);
	tcase_add_test(tc, login_redirect_over_tcp);
	tcase_add_test(tc, connect_refused);
	tcase_add_test(tc, connect_bound_source);
	suite_add_tcase(s, tc);
	return s;
}
