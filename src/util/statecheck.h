/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ISN_UTIL_STATECHECK_H
#define ISN_UTIL_STATECHECK_H

#include <assert.h>

#include "util/log.h"

/*
 * A state machine's transition check. In a debug build (configure
 * --enable-debug, which the test tiers use) an illegal transition aborts,
 * so the tests find it. In a release build it is logged as an error and
 * the transition goes ahead: aborting would take a mounted block device
 * down with it, which is worse than the inconsistency being reported.
 */
#ifdef ISN_DEBUG
#define STATE_CHECK(ok, machine, from, to) assert(ok)
#else
#define STATE_CHECK(ok, machine, from, to)                                                         \
	do {                                                                                       \
		if (!(ok))                                                                         \
			log_err("%s: illegal state change %s -> %s (a bug: please report it)",     \
				(machine), (from), (to));                                          \
	} while (0)
#endif

#endif
