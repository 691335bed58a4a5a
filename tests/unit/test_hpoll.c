/*
 * util/hpoll: the hybrid polling tuner against a fake clock. A small
 * simulated loop drives it: events arrive at given times; a poll that
 * spins takes 1 us and finds what has arrived by its end; a poll that
 * sleeps returns 5 us after the next event (the wakeup); handling events
 * takes 2 us. Proves: a burst of fast events makes it spin and the spins
 * catch events; a gap longer than the window sleeps; an exhausted budget
 * sleeps and bounds the spin time; --poll-us 0 never spins; an idle loop
 * (a timer a second) never spins; a held iteration (deep queue) never
 * spins; preemptions while spinning (a contended CPU) back off, doubling,
 * and a clean spell resets the back-off.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>

#include "../checkmain.h"
#include "util/hpoll.h"

#define US 1000ull
#define MS 1000000ull

struct sim {
	struct hpoll h;
	uint64_t now;
	uint64_t polls, spin_polls, sleeps;
	uint64_t preempt_every; /* a preemption per this much spin time (0: never) */
	uint64_t nivcsw;
};

/* The contention sample, as the glue takes it after each poll. */
static void sim_sample(struct sim *s)
{
	if (!hpoll_sample_due(&s->h, s->now))
		return;
	if (s->preempt_every)
		s->nivcsw = s->h.spin_ns / s->preempt_every;
	hpoll_preempted(&s->h, s->now, s->nivcsw);
}

/*
 * Run the loop until the event at time ev has been handled: spins while
 * the tuner says so (each 1 us), else sleeps until ev + 5 us.
 */
static void sim_event_at(struct sim *s, uint64_t ev, bool hold)
{
	for (;;) {
		bool spin = hpoll_before(&s->h, s->now, hold);

		s->polls++;
		if (spin) {
			s->spin_polls++;
			s->now += 1 * US;
			if (s->now < ev) {
				hpoll_after(&s->h, s->now, false);
				sim_sample(s);
				continue;
			}
		} else {
			s->sleeps++;
			if (s->now < ev + 5 * US)
				s->now = ev + 5 * US;
		}
		hpoll_after(&s->h, s->now, true);
		sim_sample(s);
		s->now += 2 * US;
		return;
	}
}

/* n events, each gap after the previous one's handling. */
static void sim_events(struct sim *s, unsigned int n, uint64_t gap, bool hold)
{
	while (n--)
		sim_event_at(s, s->now + gap, hold);
}

static void sim_init(struct sim *s, uint32_t max_us, unsigned int pct)
{
	*s = (struct sim){.now = 1000 * MS};
	hpoll_init(&s->h, max_us, pct);
}

START_TEST(burst_of_fast_events_spins)
{
	struct sim s;
	uint64_t sleeps;

	sim_init(&s, 50, 50);
	/* The first events sleep: the tuner starts out assuming slow events. */
	sim_event_at(&s, s.now + 10 * US, false);
	ck_assert_uint_eq(s.spin_polls, 0);
	sim_events(&s, 40, 10 * US, false);
	ck_assert_uint_gt(s.h.spins, 0);
	ck_assert_uint_gt(hpoll_window(&s.h), 0);
	ck_assert_uint_le(hpoll_window(&s.h), 50 * US);
	/* Once warmed up, every event of the burst is caught by a spin. */
	sleeps = s.sleeps;
	sim_events(&s, 100, 10 * US, false);
	ck_assert_uint_eq(s.sleeps, sleeps);
	ck_assert_uint_ge(s.h.hits, 100);
	ck_assert_uint_gt(s.h.spin_ns, 0);
	/* A spin is right after an event: the next poll does not sleep. */
	ck_assert(hpoll_before(&s.h, s.now, false));
}
END_TEST

START_TEST(gap_longer_than_window_sleeps)
{
	struct sim s;
	uint64_t w, spins, spin_ns;

	sim_init(&s, 50, 50);
	sim_events(&s, 60, 10 * US, false);
	w = hpoll_window(&s.h);
	ck_assert_uint_gt(w, 0);
	/* Inside the window of the last event: spin; past it: sleep. */
	ck_assert(hpoll_before(&s.h, s.h.last_event + w - 1, false));
	hpoll_after(&s.h, s.h.last_event + w - 1, false);
	ck_assert(!hpoll_before(&s.h, s.h.last_event + w, false));
	hpoll_after(&s.h, s.h.last_event + w + 20 * US, true);
	s.now = s.h.last_event + 2 * US;
	/* Events 200 us apart (4x --poll-us 50): a few misses, then no spin at all. */
	sim_events(&s, 20, 200 * US, false);
	ck_assert_uint_eq(hpoll_window(&s.h), 0);
	spins = s.h.spins;
	spin_ns = s.h.spin_ns;
	sim_events(&s, 50, 200 * US, false);
	ck_assert_uint_eq(s.h.spins, spins);
	ck_assert_uint_eq(s.h.spin_ns, spin_ns);
	/* And fast events bring spinning back. */
	sim_events(&s, 40, 10 * US, false);
	ck_assert_uint_gt(s.h.spins, spins);
}
END_TEST

START_TEST(exhausted_budget_sleeps)
{
	struct sim s;
	uint64_t t0, spin0, elapsed, allowed;
	bool refused = false;

	/* 40 us gaps under a 50 us window: unbounded, spinning would take ~95% of the time. */
	sim_init(&s, 50, 10);
	sim_events(&s, 40, 10 * US, false);
	t0 = s.now;
	spin0 = s.h.spin_ns;
	while (s.now - t0 < 1000 * MS) {
		sim_event_at(&s, s.now + 40 * US, false);
		/*
		 * Too little budget left for the window, even with what the
		 * 40 us since the last poll brought back: no spin (asked on a copy).
		 */
		if (s.now < s.h.spin_until && s.h.tokens + 10 * US < s.h.spin_until - s.now) {
			struct hpoll c = s.h;

			ck_assert(!hpoll_before(&c, s.now, false));
			refused = true;
		}
	}
	ck_assert(refused);
	elapsed = s.now - t0;
	/* 10% of the wall time, plus the bucket (10% of 100 ms), plus one spin of slack. */
	allowed = elapsed / 10 + HPOLL_BUDGET_WINDOW_NS / 10 + 50 * US;
	ck_assert_uint_le(s.h.spin_ns - spin0, allowed);
	/* ...and it used the budget, it did not just stop. */
	ck_assert_uint_ge(s.h.spin_ns - spin0, elapsed / 20);
}
END_TEST

START_TEST(poll_us_zero_never_spins)
{
	struct sim s;

	sim_init(&s, 0, 100);
	sim_events(&s, 1000, 5 * US, false);
	ck_assert_uint_eq(s.spin_polls, 0);
	ck_assert_uint_eq(s.h.spins, 0);
	ck_assert_uint_eq(s.h.spin_ns, 0);
	ck_assert_uint_eq(hpoll_window(&s.h), 0);
	ck_assert(!hpoll_before(&s.h, s.now, false));
}
END_TEST

START_TEST(idle_loop_never_spins)
{
	struct sim s;

	/* Only a keep-alive timer a second, even at the longest spin and a full budget. */
	sim_init(&s, 1000, 100);
	sim_events(&s, 600, 1000 * MS, false);
	ck_assert_uint_eq(s.spin_polls, 0);
	ck_assert_uint_eq(s.h.spin_ns, 0);
	/* And after a burst ends, the loop goes back to sleeping for good. */
	sim_events(&s, 100, 10 * US, false);
	ck_assert_uint_gt(s.h.spins, 0);
	sim_events(&s, 5, 1000 * MS, false);
	{
		uint64_t spin_ns = s.h.spin_ns;

		sim_events(&s, 60, 1000 * MS, false);
		ck_assert_uint_eq(s.h.spin_ns, spin_ns);
	}
}
END_TEST

START_TEST(held_iterations_never_spin)
{
	struct sim s;

	sim_init(&s, 50, 50);
	sim_events(&s, 60, 10 * US, false);
	ck_assert(hpoll_before(&s.h, s.now, false));
	ck_assert(!hpoll_before(&s.h, s.now, true));
	hpoll_after(&s.h, s.now + 1 * US, false);
	s.now += 2 * US;
	{
		uint64_t spins = s.h.spins, spin_polls = s.spin_polls;

		sim_events(&s, 100, 10 * US, true);
		ck_assert_uint_eq(s.spin_polls, spin_polls);
		ck_assert_uint_eq(s.h.spins, spins);
	}
}
END_TEST

START_TEST(contended_cpu_backs_off)
{
	struct sim s;
	uint64_t t0, spin0, spin1, elapsed;

	/* QD1-like events 30 us apart: on a free CPU it spins all along, never backing off. */
	sim_init(&s, 50, 100);
	sim_events(&s, 3000, 30 * US, false);
	ck_assert_uint_eq(s.h.backoffs, 0);
	spin0 = s.h.spin_ns;
	ck_assert_uint_gt(spin0, 3000 * 20 * US);
	/* Preempted every 3 ms of spinning (a busy machine): back-offs, doubling to the cap. */
	s.preempt_every = 3 * MS;
	s.nivcsw = s.h.spin_ns / s.preempt_every;
	t0 = s.now;
	while (s.now - t0 < 10000 * MS)
		sim_event_at(&s, s.now + 30 * US, false);
	elapsed = s.now - t0;
	ck_assert_uint_ge(s.h.backoffs, 3);
	ck_assert_uint_eq(s.h.backoff, HPOLL_BACKOFF_MAX_NS);
	/* Spinning took a small share of those 10 s, not the ~90% it takes on a free CPU. */
	spin1 = s.h.spin_ns - spin0;
	ck_assert_uint_le(spin1, elapsed / 20);
	/* The CPU free again: the next spell of spinning is clean and the back-off resets. */
	s.preempt_every = 0;
	t0 = s.now;
	spin0 = s.h.spin_ns;
	while (s.now - t0 < 3000 * MS)
		sim_event_at(&s, s.now + 30 * US, false);
	ck_assert_uint_eq(s.h.backoff, 0);
	ck_assert_uint_gt(s.h.spin_ns - spin0, (s.now - t0) / 2);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("hpoll");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, burst_of_fast_events_spins);
	tcase_add_test(tc, gap_longer_than_window_sleeps);
	tcase_add_test(tc, exhausted_budget_sleeps);
	tcase_add_test(tc, poll_us_zero_never_spins);
	tcase_add_test(tc, idle_loop_never_spins);
	tcase_add_test(tc, held_iterations_never_spin);
	tcase_add_test(tc, contended_cpu_backs_off);
	suite_add_tcase(s, tc);
	return s;
}
