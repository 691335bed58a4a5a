/*
 * Path selectors: which of a device's usable paths carry I/O, and which one
 * the next command goes to.
 *
 * A selector sees only struct path_pol_stats, which each path keeps up to
 * date; it never touches sessions or timers, so it is a pure function of
 * its inputs and the clock value it is given (tested with a fake clock).
 *
 * Two decisions:
 * - grouping (path_policy_group): from the usable paths (logged in, probed,
 *   identity matched) mark which are ACTIVE; the rest become STANDBY.
 *   Only the paths of the best ALUA rank (active/optimized or no ALUA,
 *   then active/non-optimized, then the rest, from REPORT TARGET PORT
 *   GROUPS at probe time) are candidates, so I/O never goes to a
 *   non-optimized port while an optimized one is usable.
 *   failover keeps exactly one active path, chosen by priority (lower value
 *   is preferred, ties by index) and sticky: a better path that comes back
 *   takes over immediately, only when asked (manual), or after it has been
 *   usable for failback_delay_ms (delayed). The other selectors make every
 *   usable path active.
 * - selection (path_policy_select): among eligible paths (active and below
 *   their in-flight cap) pick one for a command of `bytes` bytes:
 *     failover      the single active path;
 *     round-robin   stay on a path for rr_min_io commands or rr_min_bytes
 *                   bytes, whichever comes first (default: switch on every
 *                   command), then move to the next eligible path;
 *     queue-length  fewest outstanding bytes, then fewest commands;
 *     service-time  least (outstanding + bytes) / measured throughput,
 *                   compared by cross-multiplication as dm-service-time does.
 */
#ifndef ISN_PATH_POLICY_H
#define ISN_PATH_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum path_policy_kind {
	PATH_POLICY_FAILOVER,
	PATH_POLICY_ROUND_ROBIN,
	PATH_POLICY_QUEUE_LENGTH,
	PATH_POLICY_SERVICE_TIME,
};

enum path_failback {
	PATH_FAILBACK_IMMEDIATE,
	PATH_FAILBACK_MANUAL,
	PATH_FAILBACK_DELAYED,
};

/* rr_min_io when neither it nor rr_min_bytes is set (confkeys.c states it too). */
#define PATH_POLICY_DEFAULT_RR_MIN_IO 1

struct path_policy_config {
	enum path_policy_kind kind;
	uint32_t rr_min_io; /* round-robin: commands per turn; 0 with rr_min_bytes 0: the default */
	uint64_t rr_min_bytes; /* round-robin: bytes per turn, 0 = not by bytes */
	enum path_failback failback;
	uint32_t failback_delay_ms; /* PATH_FAILBACK_DELAYED */
};

/* What a selector knows about one path; kept by the path. */
struct path_pol_stats {
	int priority;	     /* failover order: lower is preferred */
	int alua_rank;	     /* 0 optimized / no ALUA, 1 non-optimized, 2 other */
	bool usable;	     /* logged in, probed, identity matched */
	double usable_since; /* clock value when usable became true */
	uint32_t inflight_cmds;
	uint64_t inflight_bytes;
	double throughput; /* bytes per second, EWMA; <= 0 means unknown */
};

struct path_policy {
	struct path_policy_config cfg;
	int current;	   /* failover: the active path, -1 none */
	bool failback_now; /* manual failback requested */
	int rr_cur;	   /* round-robin: path of the current turn, -1 none */
	uint32_t rr_count;
	uint64_t rr_bytes;
};

/* "failover", "round-robin", "queue-length", "service-time". -EINVAL otherwise. */
int path_policy_parse(const char *name, enum path_policy_kind *out);
const char *path_policy_name(enum path_policy_kind kind);
/* "immediate", "manual", "delayed" (or a number of seconds: delayed). */
int path_failback_parse(const char *s, enum path_failback *out, uint32_t *delay_ms);

void path_policy_init(struct path_policy *pol, const struct path_policy_config *cfg);

/*
 * Mark active[i] for each of the n paths. Returns the clock value at which
 * grouping must be evaluated again (a delayed failback coming due), or 0
 * when nothing is pending.
 */
double path_policy_group(struct path_policy *pol, const struct path_pol_stats *st, unsigned int n,
			 bool *active, double now);

/* Ask a manual failback to the preferred path at the next grouping. */
void path_policy_request_failback(struct path_policy *pol);

/* Index of the path for a command of `bytes` bytes among eligible[], or -1. */
int path_policy_select(struct path_policy *pol, const struct path_pol_stats *st, unsigned int n,
		       const bool *eligible, uint32_t bytes);

#endif
