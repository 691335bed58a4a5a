/*
 * One daemon per target LUN per host (DESIGN.md, Invariants). Two daemons
 * on one LUN log in with the same stable ISIDs (stable_isid() derives them
 * from the initiator, target, portal and LUN), so each login reinstates
 * the other's session (RFC 7143 section 6.3.5) and both fail over to each
 * other forever; nothing good comes of a second one.
 *
 * The guard is an flock(2) on CTL_DIR/lun-HASH.lock, HASH naming the
 * target IQN (case-folded: RFC 3722 stringprep makes IQNs case-free) and
 * the LUN. The kernel drops the lock when the holder dies however it
 * dies, so a crashed daemon never leaves the LUN locked. The file holds
 * one line, "PID NAME DEVICE", for the message the next comer prints, and
 * a second line naming the target and LUN for a human.
 *
 * The lock is taken before any login (a refused start costs the target
 * nothing), is inherited across the daemon's fork (one open file
 * description), and is released by lunlock_release() or by exit.
 */
#ifndef ISN_CLI_LUNLOCK_H
#define ISN_CLI_LUNLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct lunlock;

/* Who holds a LUN, as its lock file says. pid 0: not written yet. */
struct lunlock_holder {
	pid_t pid;
	char name[64];
	char device[128];
	char path[256]; /* the lock file */
};

/*
 * Take the lock of target + lun without waiting, writing our PID and
 * name into it. Returns 0 and *out; -EBUSY with *holder filled when
 * another process holds it; another -errno (holder->path names the file).
 * A user who may not write the run directory (lunlock_perm_error) still
 * gets -EBUSY when the lock is held, since flock needs only read access;
 * else the error, and the caller decides whether to go on unlocked.
 */
int lunlock_take(const char *target, uint32_t lun, const char *name, struct lunlock **out,
		 struct lunlock_holder *holder);

/* The run directory or lock file is not ours to write (-EACCES, -EPERM, -EROFS). */
bool lunlock_perm_error(int err);

/* Rewrite the record: our PID now (after a fork), name and device ("-": none yet). */
int lunlock_update(struct lunlock *l, const char *name, const char *device);

/* Unlink the file (still holding the lock) and drop it. NULL is a no-op. */
void lunlock_release(struct lunlock *l);

#endif
