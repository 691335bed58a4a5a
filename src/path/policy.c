/* Path selectors; see policy.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path/policy.h"
#include "util/compiler.h"

static const char *const policy_names[] = {
	[PATH_POLICY_FAILOVER] = "failover",
	[PATH_POLICY_ROUND_ROBIN] = "round-robin",
	[PATH_POLICY_QUEUE_LENGTH] = "queue-length",
	[PATH_POLICY_SERVICE_TIME] = "service-time",
};

int path_policy_parse(const char *name, enum path_policy_kind *out)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(policy_names); i++) {
		if (name && strcmp(name, policy_names[i]) == 0) {
			*out = (enum path_policy_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *path_policy_name(enum path_policy_kind kind)
{
	if ((unsigned int)kind < ARRAY_SIZE(policy_names))
		return policy_names[kind];
	return "?";
}

int path_failback_parse(const char *s, enum path_failback *out, uint32_t *delay_ms)
{
	char *end;
	unsigned long v;

	if (!s)
		return -EINVAL;
	if (strcmp(s, "immediate") == 0) {
		*out = PATH_FAILBACK_IMMEDIATE;
		return 0;
	}
	if (strcmp(s, "manual") == 0) {
		*out = PATH_FAILBACK_MANUAL;
		return 0;
	}
	if (strcmp(s, "delayed") == 0) {
		*out = PATH_FAILBACK_DELAYED;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 86400)
		return -EINVAL;
	*out = PATH_FAILBACK_DELAYED;
	*delay_ms = (uint32_t)v * 1000u;
	return 0;
}

void path_policy_init(struct path_policy *pol, const struct path_policy_config *cfg)
{
	memset(pol, 0, sizeof(*pol));
	pol->cfg = *cfg;
	if (pol->cfg.rr_min_io == 0 && pol->cfg.rr_min_bytes == 0)
		pol->cfg.rr_min_io = PATH_POLICY_DEFAULT_RR_MIN_IO;
	pol->current = -1;
	pol->rr_cur = -1;
}

void path_policy_request_failback(struct path_policy *pol)
{
	pol->failback_now = true;
}

/* Better ALUA rank wins, then lower priority value; the index breaks ties
 * so the order is total. */
static bool prio_better(const struct path_pol_stats *st, int a, int b)
{
	if (st[a].alua_rank != st[b].alua_rank)
		return st[a].alua_rank < st[b].alua_rank;
	return st[a].priority < st[b].priority || (st[a].priority == st[b].priority && a < b);
}

double path_policy_group(struct path_policy *pol, const struct path_pol_stats *st, unsigned int n,
			 bool *active, double now)
{
	int best = -1;
	double next = 0;

	for (unsigned int i = 0; i < n; i++) {
		active[i] = false;
		if (st[i].usable && (best < 0 || prio_better(st, (int)i, best)))
			best = (int)i;
	}
	if (pol->cfg.kind != PATH_POLICY_FAILOVER) {
		for (unsigned int i = 0; i < n && best >= 0; i++)
			active[i] = st[i].usable && st[i].alua_rank == st[best].alua_rank;
		return 0;
	}
	if (best < 0) {
		pol->current = -1;
		return 0;
	}
	if (pol->current < 0 || (unsigned int)pol->current >= n || !st[pol->current].usable ||
	    st[pol->current].alua_rank > st[best].alua_rank) {
		/* Gone, or its port group is worse than another usable one's:
		 * not a failback question, the target asks us to move. */
		pol->current = best;
	} else if (best != pol->current && prio_better(st, best, pol->current)) {
		switch (pol->cfg.failback) {
		case PATH_FAILBACK_IMMEDIATE:
			pol->current = best;
			break;
		case PATH_FAILBACK_MANUAL:
			if (pol->failback_now)
				pol->current = best;
			break;
		case PATH_FAILBACK_DELAYED: {
			double due = st[best].usable_since + pol->cfg.failback_delay_ms / 1000.0;

			if (now >= due || pol->failback_now)
				pol->current = best;
			else
				next = due;
			break;
		}
		}
	}
	pol->failback_now = false;
	active[pol->current] = true;
	return next;
}

static int select_rr(struct path_policy *pol, unsigned int n, const bool *eligible, uint32_t bytes)
{
	int cur = pol->rr_cur;
	bool turn_over = pol->rr_count >= pol->cfg.rr_min_io && pol->cfg.rr_min_io;

	if (pol->cfg.rr_min_bytes && pol->rr_bytes >= pol->cfg.rr_min_bytes)
		turn_over = true;
	if (cur < 0 || (unsigned int)cur >= n || !eligible[cur] || turn_over) {
		int start = cur < 0 || (unsigned int)cur >= n ? (int)n - 1 : cur;
		int pick = -1;

		for (unsigned int k = 1; k <= n; k++) {
			int i = (start + (int)k) % (int)n;

			if (eligible[i]) {
				pick = i;
				break;
			}
		}
		if (pick < 0)
			return -1;
		pol->rr_cur = pick;
		pol->rr_count = 0;
		pol->rr_bytes = 0;
	}
	pol->rr_count++;
	pol->rr_bytes += bytes;
	return pol->rr_cur;
}

static int select_ql(const struct path_pol_stats *st, unsigned int n, const bool *eligible)
{
	int best = -1;

	for (unsigned int i = 0; i < n; i++) {
		if (!eligible[i])
			continue;
		if (best < 0 || st[i].inflight_bytes < st[best].inflight_bytes ||
		    (st[i].inflight_bytes == st[best].inflight_bytes &&
		     st[i].inflight_cmds < st[best].inflight_cmds))
			best = (int)i;
	}
	return best;
}

/*
 * Expected service time (outstanding + incoming) / throughput, compared as
 * (s1 + b) * t2 < (s2 + b) * t1 so an unknown throughput (taken as 1) never
 * divides by zero.
 */
static int select_st(const struct path_pol_stats *st, unsigned int n, const bool *eligible,
		     uint32_t bytes)
{
	int best = -1;

	for (unsigned int i = 0; i < n; i++) {
		double ti, tb, si, sb;

		if (!eligible[i])
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		ti = st[i].throughput > 0 ? st[i].throughput : 1;
		tb = st[best].throughput > 0 ? st[best].throughput : 1;
		si = (double)st[i].inflight_bytes + bytes;
		sb = (double)st[best].inflight_bytes + bytes;
		if (si * tb < sb * ti || (si * tb == sb * ti && ti > tb))
			best = (int)i;
	}
	return best;
}

int path_policy_select(struct path_policy *pol, const struct path_pol_stats *st, unsigned int n,
		       const bool *eligible, uint32_t bytes)
{
	switch (pol->cfg.kind) {
	case PATH_POLICY_FAILOVER:
		if (pol->current >= 0 && (unsigned int)pol->current < n && eligible[pol->current])
			return pol->current;
		return -1;
	case PATH_POLICY_ROUND_ROBIN:
		return select_rr(pol, n, eligible, bytes);
	case PATH_POLICY_QUEUE_LENGTH:
		return select_ql(st, n, eligible);
	case PATH_POLICY_SERVICE_TIME:
		return select_st(st, n, eligible, bytes);
	}
	return -1;
}
