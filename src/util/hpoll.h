/*
 * Hybrid polling: whether an event loop should poll its sockets once more
 * without sleeping (spin) or sleep in the poll, decided from timestamps
 * only. Pure: no clock, no I/O, no allocation; the caller passes the time
 * (nanoseconds of a monotonic clock) and what the poll found.
 *
 * Why: at a shallow queue each request costs the loop two sleeps (waiting
 * for the request, waiting for the target), and each sleep is a context
 * switch out and a wakeup back in. When events arrive within tens of
 * microseconds of each other, polling without sleeping for that long
 * catches the next one without either.
 *
 * The rules:
 * - A spin only follows an iteration that found events, and lasts a
 *   window: twice the recent gap between event-bearing iterations (a
 *   moving average), at most max_ns. When that average gap is longer
 *   than max_ns, spinning would rarely catch the next event: no spin.
 *   So an idle loop (gaps of seconds: keep-alive timers) never spins.
 * - Spinning costs CPU: a token bucket holds at most budget_pct percent
 *   of HPOLL_BUDGET_WINDOW_NS of spin time and refills at budget_pct
 *   percent of wall time; an empty bucket means sleep, so over any long
 *   stretch spinning takes at most budget_pct percent of one core.
 * - Spinning pays only with a CPU to spare: on a busy machine it takes
 *   the CPU from the very processes that produce the events (the target,
 *   the NBD client). The caller reports the thread's involuntary context
 *   switches (preemptions) every HPOLL_SAMPLE_NS or so; more than one per
 *   HPOLL_PREEMPT_NS of spinning means the CPU is contended, and spinning
 *   stops for HPOLL_BACKOFF_MIN_NS, twice that if it is still contended
 *   after, up to HPOLL_BACKOFF_MAX_NS.
 * - The caller may forbid a spin for one iteration (`hold`, e.g. while a
 *   deep queue gathers events before polling instead).
 * - max_ns 0 turns it all off: hpoll_before() is always false.
 *
 * Calls: hpoll_before() right before each poll (true: poll without
 * sleeping), hpoll_after() right after it, with whether it found events;
 * hpoll_preempted() when hpoll_sample_due() says so.
 */
#ifndef ISN_UTIL_HPOLL_H
#define ISN_UTIL_HPOLL_H

#include <stdbool.h>
#include <stdint.h>

#define HPOLL_BUDGET_WINDOW_NS 100000000ull /* 100 ms */
/* The newest gap weighs 1/2^HPOLL_GAP_SHIFT in the moving average. */
#define HPOLL_GAP_SHIFT 3
/* Contention: samples this far apart, one preemption per this much spin, the back-off. */
#define HPOLL_SAMPLE_NS	     20000000ull   /* 20 ms */
#define HPOLL_PREEMPT_NS     10000000ull   /* 10 ms */
#define HPOLL_BACKOFF_MIN_NS 100000000ull  /* 100 ms */
#define HPOLL_BACKOFF_MAX_NS 1600000000ull /* 1.6 s */

struct hpoll {
	/* Settings (hpoll_init). */
	uint64_t max_ns;	 /* longest spin; 0 = never spin */
	unsigned int budget_pct; /* share of wall time spinning may take, 1-100 */

	/* State. */
	uint64_t last_event;	/* when the last event-bearing poll returned; 0 = none yet */
	uint64_t gap_avg;	/* moving average of gaps between those, ns */
	uint64_t spin_until;	/* spin window of the last event */
	uint64_t tokens;	/* spin time left in the budget, ns */
	uint64_t refill_at;	/* when tokens were last refilled */
	uint64_t poll_at;	/* when the current poll started */
	bool spinning;		/* the current poll does not sleep */
	uint64_t sample_at;	/* last contention sample; 0 = none yet */
	uint64_t sample_nivcsw; /* preemptions at the start of the stretch counted */
	uint64_t sample_spin;	/* spin_ns then */
	uint64_t backoff;	/* current back-off, ns; 0 = none */
	uint64_t backoff_until; /* no spin before this */

	/* Counters (status). */
	uint64_t spins;	   /* spin episodes started */
	uint64_t hits;	   /* ... that ended with an event found */
	uint64_t spin_ns;  /* time spent in polls that did not sleep */
	uint64_t backoffs; /* back-offs for a contended CPU */
};

/* max_us 0: never spin. budget_pct is clamped to 1-100. */
void hpoll_init(struct hpoll *h, uint32_t max_us, unsigned int budget_pct);

/* Right before a poll at time now: true = poll without sleeping. */
bool hpoll_before(struct hpoll *h, uint64_t now, bool hold);

/* Right after that poll, at time now: did it find events? */
void hpoll_after(struct hpoll *h, uint64_t now, bool events);

/* Is a contention sample due (hpoll_preempted)? Always false when off. */
bool hpoll_sample_due(const struct hpoll *h, uint64_t now);

/* The calling thread's involuntary context switches so far (getrusage's ru_nivcsw). */
void hpoll_preempted(struct hpoll *h, uint64_t now, uint64_t nivcsw);

/* The spin window an event now would open (0: none). */
uint64_t hpoll_window(const struct hpoll *h);

#endif
