/*
 * Process-level duties of a long-running attach/serve daemon.
 *
 * Readiness: `iscsi-nbd attach` (without -f) forks; the parent waits on a
 * pipe until the child reports "ready" (then prints the device path and
 * exits 0) or a failure (then prints it and exits with the child's exit
 * code), so the command line sees exactly what happened and nothing is
 * left half-attached. Under systemd (-f with NOTIFY_SOCKET) the same
 * moments go to sd_notify as READY=1 / STATUS=.
 */
#ifndef ISN_CLI_DAEMON_H
#define ISN_CLI_DAEMON_H

#include <stdbool.h>

/*
 * Fork into the background. Returns in the child only (0), with the
 * reporting end of the pipe kept in the module; the parent never returns:
 * it exits with the status the child reports, or 1 if the child dies
 * before reporting. log_path: where the child's stderr goes (NULL:
 * /dev/null).
 */
int daemon_background(const char *log_path);

/* Report success with a one-line message for the user (e.g. "/dev/nbd0"). */
void daemon_ready(const char *msg);

/* Report failure with an exit code and a one-line message; no-op after ready. */
void daemon_failed(int exit_code, const char *msg);

/* Tell systemd (if NOTIFY_SOCKET is set) a status line, e.g. "2/2 paths active". */
void daemon_status(const char *line);

/* Tell systemd we are stopping. */
void daemon_stopping(void);

/*
 * We sit in the writeback path: a page the kernel must clean may need us to
 * run. Lock memory (mlockall), protect from the OOM killer (oom_score_adj
 * -1000) and mark the thread an I/O flusher (PR_SET_IO_FLUSHER, so its own
 * allocations do not recurse into I/O reclaim). Failures are logged as
 * warnings, not fatal; returns the number of measures that failed.
 */
int daemon_writeback_safety(void);

/*
 * attach --root-storage: mark the process as a storage daemon of the root
 * filesystem, systemd's convention (argv[0][0] == '@': systemd's final
 * killing spree at shutdown spares it, so it serves the root until the
 * root is unmounted or remounted read-only). argv: main()'s. When argv[0]
 * does not begin with '@', re-executes /proc/self/exe with argv[0]
 * "@iscsi-nbd" and the same arguments (never returns then); if that exec
 * fails, overwrites the first byte of argv[0] in place and returns.
 */
void daemon_root_storage_mark(char **argv);

/*
 * attach --root-storage: lock every page, now and future, so that the
 * daemon never pages in from the disk it serves. Returns 0 or -errno.
 */
int daemon_root_storage_lock(void);

#endif
