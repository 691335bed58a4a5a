/*
 * probe: LUN discovery against a fake LUN answering with synthetic
 * INQUIRY / VPD / READ CAPACITY / MODE SENSE data: the facts land in
 * bdev_info, a UNIT ATTENTION after login is retried, READ CAPACITY(16)
 * and MODE SENSE(10) fall back to their short forms, a session death ends
 * the probe with an error, and a non-disk is refused.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "../checkmain.h"
#include "fakesess.h"
#include "path/probe.h"

static struct fakelun lun;
static struct path_probe pr;
static struct sess *s;
static int cb_calls, cb_err;

static void done(struct path_probe *p, int err, void *opaque)
{
	cb_calls++;
	cb_err = err;
}

static struct sess *mk_sess(void)
{
	struct sess_config c = {.name = "t path0 sess1"};
	struct sess_callbacks cb = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&c.portal;
	struct sess *x;

	sin->sin_family = AF_INET;
	sin->sin_port = htons(3260);
	x = fakesess_ops.new(NULL, &c, &cb, NULL);
	x->st = SESS_READY;
	return x;
}

static void setup(void)
{
	fakelun_init(&lun, 2048, 512, 1);
	fakesess_lun_for[0] = &lun;
	s = mk_sess();
	memset(&pr, 0, sizeof(pr));
	cb_calls = 0;
	cb_err = 1;
}

static void teardown(void)
{
	fakesess_reset();
	fakelun_free(&lun);
}

static void run(void)
{
	ck_assert_int_eq(path_probe_start(&pr, &fakesess_ops, s, 0, "t path0", done, NULL), 0);
	ck_assert_int_eq(cb_calls, 0); /* nothing answered yet */
	fakesess_serve(s);
}

START_TEST(probe_fills_info)
{
	const struct bdev_info *i = &pr.res.info;

	lun.max_xfer_blocks = 256;
	lun.max_unmap_blocks = 8192;
	run();
	ck_assert_int_eq(cb_calls, 1);
	ck_assert_int_eq(cb_err, 0);
	ck_assert_uint_eq(i->size_bytes, 2048 * 512);
	ck_assert_uint_eq(i->logical_block_size, 512);
	ck_assert_uint_eq(i->max_transfer_bytes, 256 * 512);
	ck_assert_uint_eq(i->max_unmap_bytes, 8192 * 512);
	ck_assert(i->write_cache);
	ck_assert(i->fua);
	ck_assert(i->discard);
	ck_assert(i->write_zeroes);
	ck_assert(!i->read_only);
	ck_assert(!i->rotational);
	ck_assert_str_eq(i->ident, "naa.6002030405060708090a0b0c0d0e0f10");
	ck_assert_str_eq(pr.res.vendor, "FAKE");
	ck_assert_str_eq(pr.res.serial, "SER123");
	ck_assert(!path_probe_running(&pr));
}
END_TEST

START_TEST(probe_retries_unit_attention)
{
	lun.ua_count = 2;
	run();
	ck_assert_int_eq(cb_err, 0);
	ck_assert_uint_eq(pr.res.info.size_bytes, 2048 * 512);
}
END_TEST

START_TEST(probe_gives_up_after_endless_unit_attention)
{
	lun.ua_count = 1000;
	run();
	ck_assert_int_eq(cb_calls, 1);
	ck_assert_int_lt(cb_err, 0);
}
END_TEST

START_TEST(probe_falls_back_to_short_forms)
{
	lun.no_rc16 = true;
	lun.no_ms10 = true;
	lun.wp = true;
	lun.wce = false;
	lun.rotation = 7200;
	run();
	ck_assert_int_eq(cb_err, 0);
	ck_assert_uint_eq(pr.res.info.size_bytes, 2048 * 512);
	ck_assert(pr.res.info.read_only);
	ck_assert(!pr.res.info.write_cache);
	ck_assert(pr.res.info.rotational);
	/* Without READ CAPACITY(16) there is no LBPME: no discard promised. */
	ck_assert(!pr.res.info.discard);
}
END_TEST

START_TEST(probe_session_death_fails_it)
{
	ck_assert_int_eq(path_probe_start(&pr, &fakesess_ops, s, 0, "t path0", done, NULL), 0);
	fakesess_serve_one(s); /* TUR */
	fakesess_serve_one(s); /* INQUIRY */
	s->cb.on_state = NULL;
	/* die without on_state: we only look at the task result here */
	{
		struct sess_task *t = fakesess_peek(s);

		ck_assert_ptr_nonnull(t);
		list_del(&t->node);
		t->result = -ECONNABORTED;
		t->done(t);
	}
	ck_assert_int_eq(cb_calls, 1);
	ck_assert_int_eq(cb_err, -ECONNABORTED);
}
END_TEST

START_TEST(probe_refuses_missing_lun)
{
	fakesess_lun_for[0] = NULL; /* every command: LOGICAL UNIT NOT SUPPORTED */
	run();
	ck_assert_int_eq(cb_calls, 1);
	ck_assert_int_lt(cb_err, 0);
}
END_TEST

Suite *test_suite(void)
{
	Suite *su = suite_create("path_probe");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, probe_fills_info);
	tcase_add_test(tc, probe_retries_unit_attention);
	tcase_add_test(tc, probe_gives_up_after_endless_unit_attention);
	tcase_add_test(tc, probe_falls_back_to_short_forms);
	tcase_add_test(tc, probe_session_death_fails_it);
	tcase_add_test(tc, probe_refuses_missing_lun);
	suite_add_tcase(su, tc);
	return su;
}
