/*
 * The control socket: how `iscsi-nbd list|status|detach` reach a running
 * daemon. One Unix stream socket per attached device, CTL_DIR/NAME.sock,
 * mode 0600 (root only: detach is destructive).
 *
 * Protocol: the client sends one request line ("status", "status json",
 * "detach"), the daemon answers with text and closes. The first answer line
 * is "ok" or "error: MESSAGE"; the rest is the payload. Requests are
 * bounded (CTL_REQ_MAX) and handled on the daemon's loop.
 *
 * The loop also moves block I/O, so a local client never gets to stall
 * it: sockets are non-blocking, at most CTL_MAX_CLIENTS are served at
 * once (one more is answered "error: busy: ..." and closed), each has
 * CTL_CLIENT_TIMEOUT to send its request and take its answer or is
 * closed, and running out of descriptors pauses accepting for
 * CTL_ACCEPT_RETRY instead of spinning.
 */
#ifndef ISN_CLI_CTL_H
#define ISN_CLI_CTL_H

#include <stddef.h>
#include <ev.h>

#define CTL_DIR_DEFAULT "/run/iscsi-nbd"
#define CTL_REQ_MAX	256
#define CTL_RSP_MAX	(64 * 1024)

#define CTL_MAX_CLIENTS	   8
#define CTL_CLIENT_TIMEOUT 2.0 /* seconds, request and answer together */
#define CTL_ACCEPT_RETRY   0.1 /* seconds between accepts while out of descriptors */
#define CTL_ACCEPT_BATCH   16  /* accepts per wakeup */

/* The directory in use: $ISCSI_NBD_RUNDIR if set (tests), else CTL_DIR_DEFAULT. */
const char *ctl_dir(void);

/* Create ctl_dir() (and its parents) if missing; 0 or -errno. */
int ctl_dir_make(void);

/*
 * Daemon side. handle() gets the request line (no newline) and writes the
 * whole answer (starting with "ok\n" or "error: ...\n") into out; returns
 * the length. It runs on the loop thread and must not block.
 */
typedef size_t (*ctl_handler_fn)(const char *req, char *out, size_t cap, void *opaque);

struct ctl_server;

struct ctl_server *ctl_server_new(struct ev_loop *loop, const char *name, ctl_handler_fn fn,
				  void *opaque);
/* Stop listening and unlink the socket. */
void ctl_server_free(struct ctl_server *cs);

/*
 * Client side: send req to the daemon named name (or a socket path),
 * answer into out (NUL-terminated). Returns 0, -ENOENT when no such daemon,
 * -ECONNREFUSED when its socket is stale, or another -errno.
 */
int ctl_request(const char *name, const char *req, char *out, size_t cap, int timeout_ms);

/* Call fn for each daemon socket found in ctl_dir(); returns the count or -errno. */
int ctl_list(void (*fn)(const char *name, void *opaque), void *opaque);

#endif
