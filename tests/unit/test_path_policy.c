/*
 * path selectors: failover grouping with each failback mode, round-robin
 * turns by count and by bytes, queue-length and service-time choices. The
 * selectors are pure functions of their inputs and the clock value passed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "../checkmain.h"
#include "path/policy.h"

static struct path_pol_stats st[4];
static bool act[4], elig[4];

static void reset(void)
{
	memset(st, 0, sizeof(st));
	for (int i = 0; i < 4; i++) {
		st[i].priority = i;
		st[i].usable = true;
		elig[i] = true;
	}
}

static struct path_policy mk(enum path_policy_kind k, enum path_failback fb, uint32_t delay_ms)
{
	struct path_policy_config c = {.kind = k, .failback = fb, .failback_delay_ms = delay_ms};
	struct path_policy p;

	path_policy_init(&p, &c);
	return p;
}

START_TEST(parse_names)
{
	enum path_policy_kind k;
	enum path_failback fb;
	uint32_t d = 0;

	ck_assert_int_eq(path_policy_parse("round-robin", &k), 0);
	ck_assert_int_eq(k, PATH_POLICY_ROUND_ROBIN);
	ck_assert_int_eq(path_policy_parse("service-time", &k), 0);
	ck_assert_int_eq(k, PATH_POLICY_SERVICE_TIME);
	ck_assert_int_eq(path_policy_parse("bogus", &k), -EINVAL);
	ck_assert_str_eq(path_policy_name(PATH_POLICY_QUEUE_LENGTH), "queue-length");
	ck_assert_int_eq(path_failback_parse("manual", &fb, &d), 0);
	ck_assert_int_eq(fb, PATH_FAILBACK_MANUAL);
	ck_assert_int_eq(path_failback_parse("30", &fb, &d), 0);
	ck_assert_int_eq(fb, PATH_FAILBACK_DELAYED);
	ck_assert_uint_eq(d, 30000);
	ck_assert_int_eq(path_failback_parse("3x", &fb, &d), -EINVAL);
}
END_TEST

START_TEST(failover_one_active_by_priority)
{
	struct path_policy p = mk(PATH_POLICY_FAILOVER, PATH_FAILBACK_IMMEDIATE, 0);

	reset();
	st[0].priority = 5;
	st[1].priority = 3;
	st[2].priority = 1;
	path_policy_group(&p, st, 3, act, 0);
	ck_assert(!act[0] && !act[1] && act[2]);
	ck_assert_int_eq(path_policy_select(&p, st, 3, elig, 4096), 2);
	/* The active one fails: the next by priority (1 has prio 1 < 5). */
	st[2].usable = false;
	path_policy_group(&p, st, 3, act, 1);
	ck_assert(act[1] && !act[0] && !act[2]);
	/* It returns: immediate failback. */
	st[2].usable = true;
	st[2].usable_since = 2;
	path_policy_group(&p, st, 3, act, 2);
	ck_assert(act[2] && !act[1]);
	/* None usable: nothing active, select fails. */
	for (int i = 0; i < 3; i++)
		st[i].usable = false;
	path_policy_group(&p, st, 3, act, 3);
	ck_assert(!act[0] && !act[1] && !act[2]);
	ck_assert_int_eq(path_policy_select(&p, st, 3, elig, 1), -1);
}
END_TEST

START_TEST(failover_manual_failback)
{
	struct path_policy p = mk(PATH_POLICY_FAILOVER, PATH_FAILBACK_MANUAL, 0);

	reset();
	st[0].usable = false;
	path_policy_group(&p, st, 2, act, 0);
	ck_assert(act[1]);
	st[0].usable = true;
	path_policy_group(&p, st, 2, act, 1);
	ck_assert(act[1] && !act[0]); /* sticky */
	path_policy_request_failback(&p);
	path_policy_group(&p, st, 2, act, 2);
	ck_assert(act[0] && !act[1]);
}
END_TEST

START_TEST(failover_delayed_failback)
{
	struct path_policy p = mk(PATH_POLICY_FAILOVER, PATH_FAILBACK_DELAYED, 5000);
	double next;

	reset();
	st[0].usable = false;
	path_policy_group(&p, st, 2, act, 0);
	ck_assert(act[1]);
	st[0].usable = true;
	st[0].usable_since = 100;
	next = path_policy_group(&p, st, 2, act, 101);
	ck_assert(act[1] && !act[0]);
	ck_assert(next > 104.99 && next < 105.01);
	next = path_policy_group(&p, st, 2, act, 104.9);
	ck_assert(act[1]);
	next = path_policy_group(&p, st, 2, act, 105);
	ck_assert(act[0] && !act[1]);
	ck_assert(next == 0);
}
END_TEST

START_TEST(round_robin_every_request)
{
	struct path_policy p = mk(PATH_POLICY_ROUND_ROBIN, PATH_FAILBACK_IMMEDIATE, 0);
	int seq[6];

	reset();
	path_policy_group(&p, st, 3, act, 0);
	ck_assert(act[0] && act[1] && act[2]);
	for (int i = 0; i < 6; i++)
		seq[i] = path_policy_select(&p, st, 3, elig, 4096);
	ck_assert_int_eq(seq[0], 0);
	ck_assert_int_eq(seq[1], 1);
	ck_assert_int_eq(seq[2], 2);
	ck_assert_int_eq(seq[3], 0);
	/* An ineligible path (full or failed) is skipped. */
	ck_assert_int_eq(seq[4], 1);
	ck_assert_int_eq(seq[5], 2);
	elig[1] = false;
	ck_assert_int_eq(path_policy_select(&p, st, 3, elig, 1), 0);
	ck_assert_int_eq(path_policy_select(&p, st, 3, elig, 1), 2);
	ck_assert_int_eq(path_policy_select(&p, st, 3, elig, 1), 0);
}
END_TEST

START_TEST(round_robin_by_count_and_bytes)
{
	struct path_policy_config c = {.kind = PATH_POLICY_ROUND_ROBIN, .rr_min_io = 3};
	struct path_policy p;

	reset();
	path_policy_init(&p, &c);
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 1), 0);
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 1), 0);
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 1), 0);
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 1), 1);

	c.rr_min_io = 0;
	c.rr_min_bytes = 10000;
	path_policy_init(&p, &c);
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 4096), 0);
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 4096), 0);
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 4096), 0); /* 8192 < 10000 before */
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 4096), 1);
}
END_TEST

START_TEST(queue_length_fewest_bytes)
{
	struct path_policy p = mk(PATH_POLICY_QUEUE_LENGTH, PATH_FAILBACK_IMMEDIATE, 0);

	reset();
	st[0].inflight_bytes = 1 << 20;
	st[1].inflight_bytes = 4096;
	st[2].inflight_bytes = 65536;
	ck_assert_int_eq(path_policy_select(&p, st, 3, elig, 4096), 1);
	elig[1] = false;
	ck_assert_int_eq(path_policy_select(&p, st, 3, elig, 4096), 2);
	/* Equal bytes: fewer commands wins. */
	elig[1] = true;
	st[1].inflight_bytes = 65536;
	st[1].inflight_cmds = 16;
	st[2].inflight_cmds = 1;
	ck_assert_int_eq(path_policy_select(&p, st, 3, elig, 4096), 2);
}
END_TEST

START_TEST(service_time_uses_throughput)
{
	struct path_policy p = mk(PATH_POLICY_SERVICE_TIME, PATH_FAILBACK_IMMEDIATE, 0);

	reset();
	/* Path 0: 1 MiB queued at 100 MB/s = 10 ms; path 1: 256 KiB at 10 MB/s = 26 ms. */
	st[0].inflight_bytes = 1 << 20;
	st[0].throughput = 100e6;
	st[1].inflight_bytes = 256 << 10;
	st[1].throughput = 10e6;
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 65536), 0);
	/* A slower fast path flips it. */
	st[0].throughput = 20e6;
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 65536), 1);
	/* Both idle: the faster one. */
	st[0].inflight_bytes = st[1].inflight_bytes = 0;
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 65536), 0);
	/* Unknown throughput counts as 1 byte/s: anything measured beats it when loaded. */
	st[0].throughput = 0;
	st[0].inflight_bytes = 4096;
	ck_assert_int_eq(path_policy_select(&p, st, 2, elig, 4096), 1);
}
END_TEST

/* ALUA: non-optimized ports carry I/O only while no optimized one is
 * usable, whatever the policy; failover moves off a worse port group even
 * with manual failback. */
START_TEST(alua_rank_groups)
{
	struct path_policy rr = mk(PATH_POLICY_ROUND_ROBIN, PATH_FAILBACK_IMMEDIATE, 0);
	struct path_policy fo = mk(PATH_POLICY_FAILOVER, PATH_FAILBACK_MANUAL, 0);

	reset();
	st[0].alua_rank = 1;
	st[2].alua_rank = 2;
	path_policy_group(&rr, st, 3, act, 0);
	ck_assert(!act[0] && act[1] && !act[2]);
	st[1].usable = false;
	path_policy_group(&rr, st, 3, act, 1);
	ck_assert(act[0] && !act[1] && !act[2]);

	/* failover on 0 (non-optimized, the only usable besides standby 2) */
	path_policy_group(&fo, st, 3, act, 0);
	ck_assert(act[0]);
	st[1].usable = true; /* optimized comes back: move although manual */
	path_policy_group(&fo, st, 3, act, 1);
	ck_assert(act[1] && !act[0]);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("path_policy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_names);
	tcase_add_test(tc, failover_one_active_by_priority);
	tcase_add_test(tc, failover_manual_failback);
	tcase_add_test(tc, failover_delayed_failback);
	tcase_add_test(tc, round_robin_every_request);
	tcase_add_test(tc, round_robin_by_count_and_bytes);
	tcase_add_test(tc, queue_length_fewest_bytes);
	tcase_add_test(tc, service_time_uses_throughput);
	tcase_add_test(tc, alua_rank_groups);
	suite_add_tcase(s, tc);
	return s;
}
