/*
 * Logging. One line per event, on stderr, each with a syslog priority prefix
 * ("<3>") when stderr goes to journald or when asked, so journald files the
 * priority. Lines carry the object's stable short name, which callers put
 * first: "nbd0 path1 sess3: login failed: ...".
 *
 * Debug output is per subsystem and gated by one mask test, so dbg()'s
 * arguments are not even evaluated when the subsystem is off.
 *
 * A line never carries a control or non-ASCII byte: any left after
 * formatting shows as "\xNN" (util/escape.h), so text a peer managed to
 * get into a message cannot forge a line or drive a terminal. Quote peer
 * text with str_escape() anyway: that also escapes backslashes.
 */
#ifndef ISN_UTIL_LOG_H
#define ISN_UTIL_LOG_H

#include <stdarg.h>
#include <syslog.h>

#include "util/compiler.h"

enum log_subsystem {
	LOG_SUB_SCSI = 1u << 0,
	LOG_SUB_PDU = 1u << 1,
	LOG_SUB_LOGIN = 1u << 2,
	LOG_SUB_SESSION = 1u << 3,
	LOG_SUB_PATH = 1u << 4,
	LOG_SUB_NBD = 1u << 5,
	LOG_SUB_NETLINK = 1u << 6,
	LOG_SUB_CTL = 1u << 7,
	LOG_SUB_ALL = 0xffu,
};

extern unsigned int log_debug_mask;

/* Messages above this priority (numerically) are dropped; LOG_INFO by default. */
extern int log_max_priority;

void log_printf(int prio, const char *fmt, ...) ISN_PRINTF(2, 3);
void log_vprintf(int prio, const char *fmt, va_list ap) ISN_PRINTF(2, 0);

/*
 * Parse "session,path", "all" or "none" into log_debug_mask. Returns 0, or
 * -EINVAL naming nothing (the caller reports the bad word).
 */
int log_parse_debug(const char *spec);

/* Force or suppress the "<N>" priority prefix (default: on when JOURNAL_STREAM is set). */
void log_set_prefix(int on);

/*
 * Tests: receive every formatted line (without prefix or newline) instead of
 * stderr. NULL restores stderr.
 */
typedef void (*log_hook_fn)(int prio, const char *line, void *opaque);
void log_set_hook(log_hook_fn fn, void *opaque);

/*
 * A rate limiter for lines that can come once per I/O, so a failing LUN
 * under a busy client cannot flood the journal: at most burst lines per
 * window of interval seconds; the lines after them in the window are
 * counted, not printed, and the first line let through in a later window
 * is preceded by "NAME: N similar messages suppressed" at its priority.
 * A count still pending when the lines stop is printed by
 * log_ratelimit_flush(). The caller gives the time (the loop's ev_now(),
 * a fake clock in tests), so the limiter reads no clock of its own.
 * Owned by the object whose lines it limits; name is borrowed.
 */
struct log_ratelimit {
	const char *name;	 /* the owner's short name, for the count line */
	double interval;	 /* seconds per window */
	unsigned int burst;	 /* lines printed per window */
	double window_start;	 /* loop time the current window opened */
	unsigned int in_window;	 /* lines printed in it */
	unsigned int suppressed; /* lines dropped since the last count line */
	int prio;		 /* priority of the last dropped line */
};

/* Sensible defaults for per-I/O error lines: 10 lines per 5 s. */
#define LOG_RL_INTERVAL 5.0
#define LOG_RL_BURST	10u

void log_ratelimit_init(struct log_ratelimit *rl, const char *name, double interval,
			unsigned int burst);
/* Print the line unless the limit is reached (then count it). */
void log_rl_printf(struct log_ratelimit *rl, double now, int prio, const char *fmt, ...)
	ISN_PRINTF(4, 5);
/* Print the pending count of suppressed lines, if any. */
void log_ratelimit_flush(struct log_ratelimit *rl);

#define log_err(...)	log_printf(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_printf(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_printf(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_printf(LOG_INFO, __VA_ARGS__)

#define dbg(sub, ...)                                                                              \
	do {                                                                                       \
		if (unlikely(log_debug_mask & (sub)))                                              \
			log_printf(LOG_DEBUG, __VA_ARGS__);                                        \
	} while (0)

#endif
