/*
 * The persistent-reservation sequences of one path (src/path/reserve.c),
 * driven through a scripted transport: every command the machine sends is
 * checked (CDB, parameter list) and answered by the test, including the
 * answers a target gets wrong (short, malformed, ILLEGAL REQUEST after
 * claiming support, a lost race, a dying session).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "../checkmain.h"
#include "path/reserve.h"
#include "scsi/sam.h"
#include "util/bytes.h"

static struct sess_task *pending;
static unsigned int nsubmit;
static int submit_result;

static int fake_submit(struct sess *s, struct sess_task *t)
{
	(void)s;
	if (submit_result)
		return submit_result;
	ck_assert_ptr_null(pending); /* one command at a time */
	pending = t;
	nsubmit++;
	return 0;
}

static const struct path_transport_ops ops = {.submit = fake_submit};
static struct path_resv rv;
static int done_count;

static void done_cb(struct path_resv *r, void *opaque)
{
	(void)r;
	(void)opaque;
	done_count++;
}

#define HOST  0x1234567890abcd00ull
#define OURS  (HOST | 0x01)
#define OTHER 0xfeedfacecafe0000ull

static void start(enum path_resv_mode mode, unsigned int flags)
{
	memset(&rv, 0, sizeof(rv));
	pending = NULL;
	nsubmit = 0;
	done_count = 0;
	submit_result = 0;
	ck_assert_int_eq(path_resv_start(&rv, &ops, (struct sess *)&rv, 1, "t path1", OURS, mode,
					 flags, done_cb, NULL),
			 0);
}

/* The pending command is a PR IN with service action sa. */
static void expect_in(uint8_t sa)
{
	ck_assert_ptr_nonnull(pending);
	ck_assert_uint_eq(pending->cdb[0], 0x5e);
	ck_assert_uint_eq(pending->cdb[1], sa);
	ck_assert_int_eq(pending->dir, SESS_DIR_READ);
}

/* The pending command is a PR OUT sa / type with this parameter list. */
static void expect_out(uint8_t sa, uint8_t type, uint64_t key, uint64_t sa_key)
{
	const uint8_t *p;

	ck_assert_ptr_nonnull(pending);
	ck_assert_uint_eq(pending->cdb[0], 0x5f);
	ck_assert_uint_eq(pending->cdb[1], sa);
	ck_assert_uint_eq(pending->cdb[2], type);
	ck_assert_int_eq(pending->dir, SESS_DIR_WRITE);
	ck_assert_uint_eq(pending->iov[0].iov_len, 24);
	p = pending->iov[0].iov_base;
	ck_assert(get_be64(p) == key);
	ck_assert(get_be64(p + 8) == sa_key);
}

/* Answer GOOD with data (PR IN) copied into the task's buffer. */
static void answer(const void *data, size_t len)
{
	struct sess_task *t = pending;

	pending = NULL;
	if (len) {
		ck_assert_uint_ge(t->iov[0].iov_len, len);
		memcpy(t->iov[0].iov_base, data, len);
	}
	t->result = 0;
	t->status = SCSI_STATUS_GOOD;
	t->residual = (uint32_t)(t->xfer_len - len);
	t->residual_under = len < t->xfer_len;
	t->done(t);
}

static void answer_status(uint8_t status, uint8_t key, uint8_t asc)
{
	struct sess_task *t = pending;

	pending = NULL;
	t->result = 0;
	t->status = status;
	t->sense_len = 0;
	if (status == SCSI_STATUS_CHECK_CONDITION) {
		memset(t->sense, 0, 18);
		t->sense[0] = 0x70;
		t->sense[2] = key;
		t->sense[7] = 10;
		t->sense[12] = asc;
		t->sense_len = 18;
	}
	t->done(t);
}

static void answer_dead(void)
{
	struct sess_task *t = pending;

	pending = NULL;
	t->result = -ECONNABORTED;
	t->done(t);
}

static void res_none(void)
{
	static const uint8_t b[8] = {0, 0, 0, 1, 0, 0, 0, 0};

	answer(b, sizeof(b));
}

static void res_held(uint64_t key, uint8_t type)
{
	uint8_t b[24] = {0, 0, 0, 2, 0, 0, 0, 0x10};

	put_be64(b + 8, key);
	b[21] = type;
	answer(b, sizeof(b));
}

static void keys(const uint64_t *k, unsigned int n)
{
	uint8_t b[8 + 8 * 8] = {0, 0, 0, 3};

	put_be32(b + 4, 8 * n);
	for (unsigned int i = 0; i < n; i++)
		put_be64(b + 8 + 8 * i, k[i]);
	answer(b, 8 + 8 * n);
}

static void caps_type5(void)
{
	static const uint8_t c[8] = {0, 8, 0x10, 0x80, 0x2a, 0x01, 0, 0};

	answer(c, sizeof(c));
}

START_TEST(host_key_is_stable_and_per_host)
{
	uint64_t a = path_resv_host_key("iqn.2026-12.org.example:a");

	ck_assert(a == path_resv_host_key("iqn.2026-12.org.example:a"));
	ck_assert(a != path_resv_host_key("iqn.2026-12.org.example:b"));
	ck_assert_uint_eq(a & 0xff, 0);
	ck_assert(a != 0);
	ck_assert(path_resv_ours(a | 7, a));
	ck_assert(!path_resv_ours(path_resv_host_key("iqn.2026-12.org.example:b"), a));
	ck_assert(!path_resv_ours(0, 0));
}
END_TEST

/* Free LUN: register, reserve type 5, sweep a stale foreign key. */
START_TEST(join_reserves_free_lun)
{
	const uint64_t k[3] = {OURS, OTHER, HOST | 0x02};

	start(PATH_RESV_JOIN, PATH_RESV_F_CAPS);
	expect_in(SCSI_PR_IN_REPORT_CAPABILITIES);
	caps_type5();
	expect_in(SCSI_PR_IN_READ_RESERVATION);
	res_none();
	expect_out(SCSI_PR_OUT_REGISTER_AND_IGNORE, 0, 0, OURS);
	answer(NULL, 0);
	expect_out(SCSI_PR_OUT_RESERVE, SCSI_PR_WRITE_EXCLUSIVE_RO, OURS, 0);
	answer(NULL, 0);
	expect_in(SCSI_PR_IN_READ_KEYS);
	keys(k, 3);
	/* Only the other host's key: our other path's stays. */
	expect_out(SCSI_PR_OUT_PREEMPT_AND_ABORT, SCSI_PR_WRITE_EXCLUSIVE_RO, OURS, OTHER);
	answer(NULL, 0);
	ck_assert_int_eq(done_count, 1);
	ck_assert_int_eq(rv.res.err, 0);
	ck_assert(rv.res.registered && rv.res.reserved && !rv.res.taken);
	ck_assert_uint_eq(rv.res.npreempted, 1);
	ck_assert(rv.res.preempted[0] == OTHER);
	ck_assert(!path_resv_running(&rv));
}
END_TEST

/* Another host holds it: nothing registered, nothing written. */
START_TEST(join_refuses_foreign_holder)
{
	start(PATH_RESV_JOIN, 0);
	expect_in(SCSI_PR_IN_READ_RESERVATION);
	res_held(OTHER, SCSI_PR_WRITE_EXCLUSIVE_RO);
	ck_assert_int_eq(done_count, 1);
	ck_assert_uint_eq(nsubmit, 1);
	ck_assert(rv.res.taken && !rv.res.registered && !rv.res.reserved);
	ck_assert(rv.res.holder_key == OTHER);
	ck_assert_uint_eq(rv.res.holder_type, SCSI_PR_WRITE_EXCLUSIVE_RO);
}
END_TEST

/* Ours already (another path reserved): register only. */
START_TEST(join_second_path_registers_only)
{
	start(PATH_RESV_JOIN, 0);
	expect_in(SCSI_PR_IN_READ_RESERVATION);
	res_held(HOST, SCSI_PR_WRITE_EXCLUSIVE_RO);
	expect_out(SCSI_PR_OUT_REGISTER_AND_IGNORE, 0, 0, OURS);
	answer(NULL, 0);
	ck_assert_int_eq(done_count, 1);
	ck_assert(rv.res.registered && rv.res.reserved && !rv.res.taken);
	ck_assert_uint_eq(nsubmit, 2);
}
END_TEST

/* --preempt on a target without PREEMPT AND ABORT (tgtd): PREEMPT. */
START_TEST(join_preempt_falls_back)
{
	const uint64_t k[3] = {OTHER | 1, OURS, OTHER | 2};

	start(PATH_RESV_JOIN, PATH_RESV_F_PREEMPT);
	expect_in(SCSI_PR_IN_READ_RESERVATION);
	res_held(OTHER, SCSI_PR_WRITE_EXCLUSIVE_RO);
	expect_out(SCSI_PR_OUT_REGISTER_AND_IGNORE, 0, 0, OURS);
	answer(NULL, 0);
	expect_out(SCSI_PR_OUT_PREEMPT_AND_ABORT, SCSI_PR_WRITE_EXCLUSIVE_RO, OURS, OTHER);
	answer_status(SCSI_STATUS_CHECK_CONDITION, 0x05, 0x24);
	expect_out(SCSI_PR_OUT_PREEMPT, SCSI_PR_WRITE_EXCLUSIVE_RO, OURS, OTHER);
	answer(NULL, 0);
	expect_in(SCSI_PR_IN_READ_KEYS);
	keys(k, 3);
	expect_out(SCSI_PR_OUT_PREEMPT, SCSI_PR_WRITE_EXCLUSIVE_RO, OURS, OTHER | 1);
	answer(NULL, 0);
	expect_out(SCSI_PR_OUT_PREEMPT, SCSI_PR_WRITE_EXCLUSIVE_RO, OURS, OTHER | 2);
	answer(NULL, 0);
	ck_assert_int_eq(done_count, 1);
	ck_assert_int_eq(rv.res.err, 0);
	ck_assert(rv.res.reserved && !rv.res.taken);
	ck_assert_uint_eq(rv.res.npreempted, 3);
}
END_TEST

/* Another host reserves between our READ RESERVATION and RESERVE. */
START_TEST(join_loses_race)
{
	start(PATH_RESV_JOIN, 0);
	expect_in(SCSI_PR_IN_READ_RESERVATION);
	res_none();
	expect_out(SCSI_PR_OUT_REGISTER_AND_IGNORE, 0, 0, OURS);
	answer(NULL, 0);
	expect_out(SCSI_PR_OUT_RESERVE, SCSI_PR_WRITE_EXCLUSIVE_RO, OURS, 0);
	answer_status(SCSI_STATUS_RESERVATION_CONFLICT, 0, 0);
	expect_in(SCSI_PR_IN_READ_RESERVATION);
	res_held(OTHER, SCSI_PR_EXCLUSIVE_ACCESS);
	ck_assert_int_eq(done_count, 1);
	ck_assert(rv.res.taken && !rv.res.reserved);
	ck_assert_uint_eq(rv.res.holder_type, SCSI_PR_EXCLUSIVE_ACCESS);
}
END_TEST

/* No PR at all, or no type 5: unsupported, nothing else sent. */
START_TEST(caps_refused_or_without_type5)
{
	static const uint8_t no5[8] = {0, 8, 0, 0x80, 0x02, 0, 0, 0};

	start(PATH_RESV_JOIN, PATH_RESV_F_CAPS);
	answer_status(SCSI_STATUS_CHECK_CONDITION, 0x05, 0x20); /* INVALID COMMAND OPCODE */
	ck_assert_int_eq(done_count, 1);
	ck_assert(rv.res.unsupported);
	ck_assert_int_eq(rv.res.err, 0);
	ck_assert_uint_eq(nsubmit, 1);

	start(PATH_RESV_JOIN, PATH_RESV_F_CAPS);
	answer(no5, sizeof(no5));
	ck_assert(rv.res.unsupported);
	ck_assert_uint_eq(nsubmit, 1);
}
END_TEST

/* Bad answers: clear errors, no crash, the sequence ends. */
START_TEST(bad_answers)
{
	static const uint8_t short_caps[4] = {0, 8, 0, 0x80};
	static const uint8_t bad_res[24] = {0, 0, 0, 1, 0, 0, 0, 0x08};
	static const uint8_t bad_keys[12] = {0, 0, 0, 1, 0, 0, 0, 0x0c};

	start(PATH_RESV_JOIN, PATH_RESV_F_CAPS);
	answer(short_caps, sizeof(short_caps));
	ck_assert_int_eq(rv.res.err, -EPROTO);

	start(PATH_RESV_JOIN, 0);
	answer(bad_res, sizeof(bad_res));
	ck_assert_int_eq(rv.res.err, -EPROTO);
	ck_assert(rv.res.malformed && !rv.res.refused);
	ck_assert(!rv.res.registered);

	/* Claims type 5, then refuses READ RESERVATION. */
	start(PATH_RESV_JOIN, PATH_RESV_F_CAPS);
	caps_type5();
	answer_status(SCSI_STATUS_CHECK_CONDITION, 0x05, 0x20);
	ck_assert_int_eq(done_count, 1);
	ck_assert_int_lt(rv.res.err, 0);
	ck_assert(!rv.res.registered);
	ck_assert(rv.res.refused && !rv.res.malformed);
	ck_assert_uint_eq(rv.res.refused_status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_ptr_nonnull(strstr(rv.res.why, "READ RESERVATION"));

	/* REGISTER refused. */
	start(PATH_RESV_JOIN, 0);
	res_none();
	answer_status(SCSI_STATUS_CHECK_CONDITION, 0x05, 0x26);
	ck_assert_int_lt(rv.res.err, 0);

	/* READ KEYS malformed after RESERVE: the reservation is ours, warned. */
	start(PATH_RESV_JOIN, 0);
	res_none();
	answer(NULL, 0);
	answer(NULL, 0);
	answer(bad_keys, sizeof(bad_keys));
	ck_assert_int_eq(rv.res.err, 0);
	ck_assert(rv.res.reserved);

	/* The session dies in the middle. */
	start(PATH_RESV_JOIN, 0);
	res_none();
	answer_dead();
	ck_assert_int_eq(done_count, 1);
	ck_assert_int_eq(rv.res.err, -ECONNABORTED);
	ck_assert(!rv.res.malformed && !rv.res.refused);

	/* Submit refused at start. */
	memset(&rv, 0, sizeof(rv));
	submit_result = -ENOTCONN;
	ck_assert_int_eq(
		path_resv_start(&rv, &ops, NULL, 1, "t", OURS, PATH_RESV_CHECK, 0, done_cb, NULL),
		-ENOTCONN);
	ck_assert(!path_resv_running(&rv));
	submit_result = 0;
}
END_TEST

/* UNIT ATTENTION (reservations preempted, after login) is retried. */
START_TEST(unit_attention_retried)
{
	start(PATH_RESV_CHECK, 0);
	answer_status(SCSI_STATUS_CHECK_CONDITION, 0x06, 0x2a);
	expect_in(SCSI_PR_IN_READ_RESERVATION);
	res_held(OTHER, SCSI_PR_WRITE_EXCLUSIVE_RO);
	ck_assert_int_eq(done_count, 1);
	ck_assert(rv.res.taken);
}
END_TEST

/* Detach: CLEAR when ours, else unregister this nexus only. */
START_TEST(leave)
{
	start(PATH_RESV_LEAVE, 0);
	res_held(HOST | 0x05, SCSI_PR_WRITE_EXCLUSIVE_RO);
	expect_out(SCSI_PR_OUT_CLEAR, 0, OURS, 0);
	answer(NULL, 0);
	ck_assert_int_eq(done_count, 1);
	ck_assert(!rv.res.held && !rv.res.registered);

	start(PATH_RESV_LEAVE, 0);
	res_held(OTHER, SCSI_PR_WRITE_EXCLUSIVE_RO);
	expect_out(SCSI_PR_OUT_REGISTER, 0, OURS, 0);
	answer_status(SCSI_STATUS_RESERVATION_CONFLICT, 0, 0); /* not registered any more */
	ck_assert_int_eq(done_count, 1);
	ck_assert_int_eq(rv.res.err, 0);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("path_resv");
	TCase *tc = tcase_create("resv");

	tcase_add_test(tc, host_key_is_stable_and_per_host);
	tcase_add_test(tc, join_reserves_free_lun);
	tcase_add_test(tc, join_refuses_foreign_holder);
	tcase_add_test(tc, join_second_path_registers_only);
	tcase_add_test(tc, join_preempt_falls_back);
	tcase_add_test(tc, join_loses_race);
	tcase_add_test(tc, caps_refused_or_without_type5);
	tcase_add_test(tc, bad_answers);
	tcase_add_test(tc, unit_attention_retried);
	tcase_add_test(tc, leave);
	suite_add_tcase(s, tc);
	return s;
}
