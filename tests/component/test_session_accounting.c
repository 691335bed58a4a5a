/*
 * Data-In accounting (DESIGN.md invariants, RFC 7143 11.4.5, 11.7): a read
 * completes with result 0 only when its Data-In covered [0, EDTL - underflow
 * residual) exactly once, in DataSN and offset order, and the residual flags
 * agree with the data and with EDTL. Every test here crafts one target
 * answer that breaks this, and checks that the command comes back with
 * -EPROTO, the session dies once with SESS_DEATH_PROTOCOL, and the one error
 * line names the ITT and the numbers that disagree. The last tests are
 * well-formed answers with residuals, which must still succeed.
 */
#include "config.h"

#include "../checkmain.h"
#include "session/pdu.h"
#include "tests/component/harness.h"

#define OP_SCSI_RSP 0x21
#define OP_DATA_IN  0x25

/* BHS offsets shared by SCSI Response (11.4) and Data-In (11.7). */
#define B_FLAGS	     1
#define B_STATUS_DI  3
#define B_EXP_DATASN 36 /* SCSI Response */
#define B_DATASN     36 /* Data-In */
#define B_OFFSET     40 /* Data-In BUFFER OFFSET */
#define B_RESIDUAL   44
#define F_O	     0x04
#define F_U	     0x02

static void up(struct env *e, struct ft_config *fc)
{
	struct sess_config sc;

	env_cfg_default(&sc);
	fc->data_in_max = 2048;
	env_up(e, fc, &sc);
}

/* A 4096-byte read of 8 blocks: two Data-In PDUs of 2048 from the fake target. */
static void submit_read(struct env *e, struct io *r)
{
	io_init(r, false, 0, 8, 4096, 1);
	ck_assert_int_eq(sess_submit(e->s, &r->t), 0);
}

/* The command's answer was refused, the session died once, the log says why. */
static void assert_refused(struct env *e, struct io *r, const char *what)
{
	char itt[32];

	ck_assert_msg(RUN_UNTIL(e, r->ndone, 2.0), "command did not complete");
	ck_assert_msg(r->t.result == -EPROTO, "result %d (%s), wanted -EPROTO", r->t.result,
		      strerror(-r->t.result));
	ck_assert_int_eq(r->ndone, 1);
	ck_assert(io_guards_ok(r));
	ck_assert_msg(RUN_UNTIL(e, sess_state(e->s) == SESS_DEAD, 2.0), "session did not die");
	ck_assert_int_eq(e->death, SESS_DEATH_PROTOCOL);
	ck_assert_int_eq(e->n_state[SESS_DEAD], 1);
	ck_assert_msg(err_lines == 1, "%d error lines, last: %s", err_lines, last_err);
	ck_assert_msg(strstr(e->death_msg, what), "death message '%s' lacks '%s'", e->death_msg,
		      what);
	snprintf(itt, sizeof(itt), "ITT 0x%08x", r->t.itt);
	ck_assert_msg(strstr(e->death_msg, itt), "death message '%s' lacks '%s'", e->death_msg,
		      itt);
	env_run_for(e, 0.02);
	ck_assert_int_eq(r->ndone, 1);
}

/* ---- Data-In shapes ---- */

static void mut_second_short(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	*len = 1024;		 /* 1024 of the 2048 bytes, offsets unchanged */
	put_be24(bhs + 5, *len); /* the seam set DataSegmentLength before the mutation */
}

/* GOOD status, no residual, 3072 of 4096 bytes: the stale 1024 must not count as read. */
START_TEST(short_data_in_good)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_DATA_IN, .skip = 1, .action = FT_MUTATE, .mutate = mut_second_short};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, "3072 of 4096");
	io_fini(&r);
	env_down(&e);
}
END_TEST

/* The same with the status on the last Data-In (S bit, RFC 7143 11.7.4). */
START_TEST(short_data_in_status_on_data)
{
	struct ft_config fc = {.status_in_data_in = true};
	struct ft_fault f = {
		.opcode = OP_DATA_IN, .skip = 1, .action = FT_MUTATE, .mutate = mut_second_short};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, "3072 of 4096");
	io_fini(&r);
	env_down(&e);
}
END_TEST

/* No Data-In at all, then GOOD with no residual. */
START_TEST(no_data_in_good)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_DATA_IN, .count = 2, .action = FT_DROP};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	/* The response says ExpDataSN 2 though none arrived: either check may fire first. */
	ck_assert_msg(RUN_UNTIL(&e, r.ndone, 2.0), "command did not complete");
	ck_assert_int_eq(r.t.result, -EPROTO);
	ck_assert_int_eq(e.death, SESS_DEATH_PROTOCOL);
	io_fini(&r);
	env_down(&e);
}
END_TEST

static void mut_exp_datasn_zero(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	put_be32(bhs + B_EXP_DATASN, 0);
}

/* No Data-In and a response that claims none was sent (ExpDataSN 0): still short. */
START_TEST(no_data_in_good_expdatasn_zero)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_DATA_IN, .count = 2, .action = FT_DROP};
	struct ft_fault g = {
		.opcode = OP_SCSI_RSP, .action = FT_MUTATE, .mutate = mut_exp_datasn_zero};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	ft_fault_add(e.ft, &g);
	submit_read(&e, &r);
	assert_refused(&e, &r, "0 of 4096");
	io_fini(&r);
	env_down(&e);
}
END_TEST

static void mut_gap(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	/* Second PDU starts 512 bytes late and still ends at 4096: a hole at 2048..2560. */
	put_be32(bhs + B_OFFSET, 2560);
	*len = 1536;
	put_be24(bhs + 5, *len);
}

START_TEST(data_in_gap)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_DATA_IN, .skip = 1, .action = FT_MUTATE, .mutate = mut_gap};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, "gap");
	io_fini(&r);
	env_down(&e);
}
END_TEST

static void mut_overlap(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	put_be32(bhs + B_OFFSET, 1536); /* re-sends 512 bytes already received */
}

START_TEST(data_in_overlap)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_DATA_IN, .skip = 1, .action = FT_MUTATE, .mutate = mut_overlap};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, "overlap");
	io_fini(&r);
	env_down(&e);
}
END_TEST

START_TEST(data_in_duplicate_datasn)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_DATA_IN, .action = FT_DUP};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, "DataSN 0");
	io_fini(&r);
	env_down(&e);
}
END_TEST

static void mut_swap_offsets(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	/* DataSN stays in order, the buffer offsets are swapped: 2048 first, then 0. */
	put_be32(bhs + B_OFFSET, get_be32(bhs + B_OFFSET) ? 0 : 2048);
}

START_TEST(data_in_offsets_out_of_order)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_DATA_IN, .count = 2, .action = FT_MUTATE, .mutate = mut_swap_offsets};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, "offset 2048");
	io_fini(&r);
	env_down(&e);
}
END_TEST

static void mut_status_check_condition(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	bhs[B_STATUS_DI] = 0x02;
}

/* CHECK CONDITION cannot ride on a Data-In (RFC 7143 11.7.4): no sense would come. */
START_TEST(data_in_status_check_condition)
{
	struct ft_config fc = {.status_in_data_in = true};
	struct ft_fault f = {.opcode = OP_DATA_IN,
			     .skip = 1,
			     .action = FT_MUTATE,
			     .mutate = mut_status_check_condition};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, "status 0x02 with the S bit");
	io_fini(&r);
	env_down(&e);
}
END_TEST

/* ---- residuals ---- */

static uint32_t mut_resid;
static uint8_t mut_flags;

static void mut_rsp_residual(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	bhs[B_FLAGS] = (uint8_t)((bhs[B_FLAGS] & ~(F_O | F_U)) | mut_flags);
	put_be32(bhs + B_RESIDUAL, mut_resid);
}

static void residual_case(uint8_t flags, uint32_t resid, bool on_data_in, const char *what)
{
	struct ft_config fc = {.status_in_data_in = on_data_in};
	struct ft_fault f = {.opcode = on_data_in ? OP_DATA_IN : OP_SCSI_RSP,
			     .skip = on_data_in ? 1 : 0,
			     .action = FT_MUTATE,
			     .mutate = mut_rsp_residual};
	struct env e;
	struct io r;

	mut_flags = flags;
	mut_resid = resid;
	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, what);
	io_fini(&r);
	env_down(&e);
}

/* All 4096 bytes arrived, yet the target says 1024 were not sent. */
START_TEST(residual_disagrees_with_data)
{
	residual_case(F_U, 1024, false, "beyond EDTL 4096 - residual 1024");
}
END_TEST

START_TEST(residual_disagrees_with_data_on_data_in)
{
	residual_case(F_U, 1024, true, "beyond EDTL 4096 - residual 1024");
}
END_TEST

START_TEST(residual_above_edtl)
{
	residual_case(F_U, 8192, false, "residual 8192 > EDTL 4096");
}
END_TEST

START_TEST(under_and_over_both_set)
{
	residual_case(F_U | F_O, 0, false, "both O and U");
}
END_TEST

START_TEST(under_and_over_both_set_on_data_in)
{
	residual_case(F_U | F_O, 0, true, "both O and U");
}
END_TEST

static void mut_exp_datasn(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	put_be32(bhs + B_EXP_DATASN, 5);
}

START_TEST(response_expdatasn_mismatch)
{
	struct ft_config fc = {0};
	struct ft_fault f = {.opcode = OP_SCSI_RSP, .action = FT_MUTATE, .mutate = mut_exp_datasn};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	submit_read(&e, &r);
	assert_refused(&e, &r, "ExpDataSN 5");
	io_fini(&r);
	env_down(&e);
}
END_TEST

/* Overflow (O) says the target had more to send: all of EDTL must still have come. */
START_TEST(overflow_with_short_data)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_DATA_IN, .skip = 1, .action = FT_MUTATE, .mutate = mut_second_short};
	struct ft_fault g = {
		.opcode = OP_SCSI_RSP, .action = FT_MUTATE, .mutate = mut_rsp_residual};
	struct env e;
	struct io r;

	mut_flags = F_O;
	mut_resid = 512;
	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	ft_fault_add(e.ft, &g);
	submit_read(&e, &r);
	assert_refused(&e, &r, "3072 of 4096");
	io_fini(&r);
	env_down(&e);
}
END_TEST

/* A command without data whose response claims an underflow residual. */
START_TEST(no_data_command_with_residual)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_SCSI_RSP, .action = FT_MUTATE, .mutate = mut_rsp_residual};
	struct env e;
	struct io r;

	mut_flags = F_U;
	mut_resid = 512;
	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	io_init(&r, false, 0, 0, 0, 1);
	r.t.cdb[0] = 0x00; /* TEST UNIT READY */
	r.t.cdb_len = 6;
	memset(r.t.cdb + 1, 0, 5);
	ck_assert_int_eq(sess_submit(e.s, &r.t), 0);
	assert_refused(&e, &r, "residual 512 > EDTL 0");
	io_fini(&r);
	env_down(&e);
}
END_TEST

/* A write whose response says more was left over than was ever asked for. */
START_TEST(write_residual_above_edtl)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_SCSI_RSP, .action = FT_MUTATE, .mutate = mut_rsp_residual};
	struct env e;
	struct io r;

	mut_flags = F_U;
	mut_resid = 4097;
	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	io_init(&r, true, 0, 8, 4096, 1);
	fill_pattern(r.buf, 4096, 5);
	ck_assert_int_eq(sess_submit(e.s, &r.t), 0);
	assert_refused(&e, &r, "residual 4097 > EDTL 4096");
	io_fini(&r);
	env_down(&e);
}
END_TEST

/* ---- well-formed answers still succeed ---- */

/* EDTL 4096 for 4 blocks: the target sends 2048 and says U 2048 (RFC 7143 11.4.5.1). */
static void consistent_underflow(bool on_data_in)
{
	struct ft_config fc = {.status_in_data_in = on_data_in};
	struct env e;
	struct io r;

	up(&e, &fc);
	io_init(&r, false, 0, 4, 4096, 1);
	ck_assert_int_eq(sess_submit(e.s, &r.t), 0);
	ck_assert(RUN_UNTIL(&e, r.ndone, 2.0));
	ck_assert_int_eq(r.t.result, 0);
	ck_assert_int_eq(r.t.status, 0);
	ck_assert(r.t.residual_under);
	ck_assert_uint_eq(r.t.residual, 2048);
	ck_assert_int_eq(sess_state(e.s), SESS_READY);
	ck_assert_int_eq(err_lines, 0);
	io_fini(&r);
	env_down(&e);
}

START_TEST(underflow_consistent_ok)
{
	consistent_underflow(false);
}
END_TEST

START_TEST(underflow_consistent_ok_on_data_in)
{
	consistent_underflow(true);
}
END_TEST

/* A CHECK CONDITION with partial data: not a success, not a protocol error either. */
static void mut_check_condition(uint8_t *bhs, uint8_t *data, uint32_t *len, void *opaque)
{
	static const uint8_t sense[] = {0x70, 0, 0x03, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x11, 0};

	bhs[3] = 0x02; /* CHECK CONDITION */
	put_be16(data, sizeof(sense));
	memcpy(data + 2, sense, sizeof(sense));
	*len = 2 + sizeof(sense);
	put_be24(bhs + 5, *len);
}

START_TEST(check_condition_after_partial_data_ok)
{
	struct ft_config fc = {0};
	struct ft_fault f = {
		.opcode = OP_DATA_IN, .skip = 1, .action = FT_MUTATE, .mutate = mut_second_short};
	struct ft_fault g = {
		.opcode = OP_SCSI_RSP, .action = FT_MUTATE, .mutate = mut_check_condition};
	struct env e;
	struct io r;

	up(&e, &fc);
	ft_fault_add(e.ft, &f);
	ft_fault_add(e.ft, &g);
	submit_read(&e, &r);
	ck_assert(RUN_UNTIL(&e, r.ndone, 2.0));
	ck_assert_int_eq(r.t.result, 0);
	ck_assert_int_eq(r.t.status, 0x02);
	ck_assert_int_eq(sess_state(e.s), SESS_READY);
	io_fini(&r);
	env_down(&e);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("session-accounting");
	TCase *tc = tcase_create("accounting");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, short_data_in_good);
	tcase_add_test(tc, short_data_in_status_on_data);
	tcase_add_test(tc, no_data_in_good);
	tcase_add_test(tc, no_data_in_good_expdatasn_zero);
	tcase_add_test(tc, data_in_gap);
	tcase_add_test(tc, data_in_overlap);
	tcase_add_test(tc, data_in_duplicate_datasn);
	tcase_add_test(tc, data_in_offsets_out_of_order);
	tcase_add_test(tc, data_in_status_check_condition);
	tcase_add_test(tc, residual_disagrees_with_data);
	tcase_add_test(tc, residual_disagrees_with_data_on_data_in);
	tcase_add_test(tc, residual_above_edtl);
	tcase_add_test(tc, under_and_over_both_set);
	tcase_add_test(tc, under_and_over_both_set_on_data_in);
	tcase_add_test(tc, response_expdatasn_mismatch);
	tcase_add_test(tc, overflow_with_short_data);
	tcase_add_test(tc, no_data_command_with_residual);
	tcase_add_test(tc, write_residual_above_edtl);
	tcase_add_test(tc, underflow_consistent_ok);
	tcase_add_test(tc, underflow_consistent_ok_on_data_in);
	tcase_add_test(tc, check_condition_after_partial_data_ok);
	suite_add_tcase(s, tc);
	return s;
}
