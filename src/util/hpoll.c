/*
 * Hybrid polling tuner (hpoll.h): a moving average of the gaps between
 * event-bearing polls sets the spin window, a token bucket caps the spin
 * time.
 */
#include "config.h"

#include <string.h>

#include "util/hpoll.h"

/* A gap counts for at most this many max_ns: one idle second must not take long to forget. */
#define GAP_CAP_MULT 4
/* The window covers this many average gaps: most next events, not only the average one. */
#define WINDOW_MULT 2

void hpoll_init(struct hpoll *h, uint32_t max_us, unsigned int budget_pct)
{
	memset(h, 0, sizeof(*h));
	h->max_ns = (uint64_t)max_us * 1000u;
	h->budget_pct = budget_pct < 1 ? 1 : budget_pct > 100 ? 100 : budget_pct;
	/* Start as if events were slow: a burst of fast ones must come before the first spin. */
	h->gap_avg = GAP_CAP_MULT * h->max_ns;
	h->tokens = HPOLL_BUDGET_WINDOW_NS / 100 * h->budget_pct;
}

uint64_t hpoll_window(const struct hpoll *h)
{
	uint64_t w = WINDOW_MULT * h->gap_avg;

	if (!h->max_ns || h->gap_avg > h->max_ns)
		return 0;
	return w < h->max_ns ? w : h->max_ns;
}

/* The bucket fills at budget_pct of wall time, up to budget_pct of the window. */
static void hpoll_refill(struct hpoll *h, uint64_t now)
{
	uint64_t cap = HPOLL_BUDGET_WINDOW_NS / 100 * h->budget_pct;
	uint64_t dt = now > h->refill_at ? now - h->refill_at : 0;

	if (dt > HPOLL_BUDGET_WINDOW_NS)
		dt = HPOLL_BUDGET_WINDOW_NS;
	h->tokens += dt * h->budget_pct / 100;
	if (h->tokens > cap)
		h->tokens = cap;
	h->refill_at = now;
}

bool hpoll_before(struct hpoll *h, uint64_t now, bool hold)
{
	bool spin;

	if (!h->max_ns)
		return false;
	hpoll_refill(h, now);
	/*
	 * A new spin needs budget for its whole window, a spin under way only
	 * some: an empty bucket sleeps until a window's worth has come back,
	 * instead of spinning in slivers as it refills.
	 */
	spin = !hold && h->last_event && now < h->spin_until && now >= h->backoff_until &&
	       (h->spinning ? h->tokens > 0 : h->tokens >= h->spin_until - now);
	if (spin && !h->spinning)
		h->spins++;
	h->spinning = spin;
	h->poll_at = now;
	return spin;
}

void hpoll_after(struct hpoll *h, uint64_t now, bool events)
{
	uint64_t gap, cap = GAP_CAP_MULT * h->max_ns;

	if (!h->max_ns)
		return;
	if (h->spinning) {
		uint64_t d = now > h->poll_at ? now - h->poll_at : 0;

		h->spin_ns += d;
		h->tokens = h->tokens > d ? h->tokens - d : 0;
	}
	if (!events)
		return;
	if (h->spinning) {
		h->hits++;
		h->spinning = false; /* the next spin is a new episode */
	}
	if (h->last_event) {
		gap = now > h->last_event ? now - h->last_event : 0;
		if (gap > cap)
			gap = cap;
		h->gap_avg =
			h->gap_avg - (h->gap_avg >> HPOLL_GAP_SHIFT) + (gap >> HPOLL_GAP_SHIFT);
	}
	h->last_event = now;
	h->spin_until = now + hpoll_window(h);
}

bool hpoll_sample_due(const struct hpoll *h, uint64_t now)
{
	return h->max_ns && now - h->sample_at >= HPOLL_SAMPLE_NS;
}

/*
 * Preemptions are counted over stretches that contain spinning only (a
 * stretch without any restarts the count), until there is evidence either
 * way: two preemptions, or 2 * HPOLL_PREEMPT_NS of spinning.
 */
void hpoll_preempted(struct hpoll *h, uint64_t now, uint64_t nivcsw)
{
	uint64_t dn = nivcsw - h->sample_nivcsw, ds = h->spin_ns - h->sample_spin;
	bool first = !h->sample_at;

	h->sample_at = now;
	if (!first && ds) {
		if (dn >= 2 && dn * HPOLL_PREEMPT_NS > ds) {
			h->backoff = h->backoff ? h->backoff * 2 : HPOLL_BACKOFF_MIN_NS;
			if (h->backoff > HPOLL_BACKOFF_MAX_NS)
				h->backoff = HPOLL_BACKOFF_MAX_NS;
			h->backoff_until = now + h->backoff;
			h->backoffs++;
		} else if (ds >= 2 * HPOLL_PREEMPT_NS) {
			h->backoff = 0; /* spun without being preempted: the CPU is free again */
		} else {
			return; /* not enough spinning yet to tell */
		}
	}
	h->sample_nivcsw = nivcsw;
	h->sample_spin = h->spin_ns;
}
