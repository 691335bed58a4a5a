/*
 * The kernel bridge: the Linux NBD driver's generic netlink family "nbd"
 * (include/uapi/linux/nbd-netlink.h), through libnl-genl-3.
 *
 * Message building (nbdnl_msg_*) and reply parsing (nbdnl_parse_*) are
 * separate from sending, so they are tested without a kernel. nbdnl_open()
 * and friends do the blocking request/ack exchange; nbdnl_monitor watches
 * the multicast group "nbd_mc_group" for LINK_DEAD on the loop.
 *
 * Kernel facts this follows (drivers/block/nbd.c):
 * - CONNECT needs SOCKETS and SIZE_BYTES; the reply carries INDEX, which is
 *   the device chosen when none was asked for. CAP_SYS_ADMIN required.
 * - TIMEOUT 0: the kernel never times a request out; failover is ours.
 * - RECONFIGURE only replaces sockets the kernel marked dead, never adds,
 *   and must repeat the backend identifier given at CONNECT.
 * - A size change freezes the block queue until in-flight I/O completes:
 *   the thread that completes that I/O (our loop) must not send it. Use
 *   nbdnl_async_start(), which runs the request on its own thread with its
 *   own netlink socket and reports back to the loop through an ev_async.
 * - DISCONNECT fails all in-flight I/O and sends NBD_CMD_DISC on every socket.
 */
#ifndef ISN_NBD_NETLINK_H
#define ISN_NBD_NETLINK_H

#include <ev.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <netlink/msg.h>

/* NBD_CFLAG_* of linux/nbd.h, under our prefix. */
#define NBDNL_CFLAG_DESTROY_ON_DISCONNECT (1u << 0)
#define NBDNL_CFLAG_DISCONNECT_ON_CLOSE	  (1u << 1)

#define NBDNL_INDEX_ANY (-1)
#define NBDNL_MAX_SOCKS 64
#define NBDNL_IDENT_MAX 256

struct nbdnl_config {
	int32_t index;	       /* device; NBDNL_INDEX_ANY in CONNECT = first free */
	const int *fds;	       /* sockets (our ends stay ours; the kernel takes a reference) */
	uint32_t nfds;	       /* CONNECT: >= 1; RECONFIGURE: 0 = no socket change */
	uint64_t size_bytes;   /* CONNECT: required; RECONFIGURE: 0 = unchanged */
	uint64_t block_size;   /* 0 = omit (kernel default 1024) */
	uint64_t server_flags; /* NBD transmission flags (proto.h NBDSRV_FLAG_*); CONNECT only */
	uint64_t timeout;      /* seconds, sent in CONNECT; 0 = never */
	uint64_t dead_conn_timeout; /* seconds; 0 = omit */
	uint64_t client_flags; /* NBDNL_CFLAG_*; CONNECT always, RECONFIGURE if set_client_flags */
	bool set_client_flags;
	/*
	 * NULL = omit. Shown as /sys/block/nbdN/backend; once CONNECT set it,
	 * every RECONFIGURE must carry the same string or the kernel refuses.
	 */
	const char *backend;
};

/* Build a request into msg (from nlmsg_alloc()). Return 0 or -errno (-EINVAL, -EMSGSIZE). */
int nbdnl_msg_connect(struct nl_msg *msg, int family, const struct nbdnl_config *cfg);
int nbdnl_msg_reconfigure(struct nl_msg *msg, int family, const struct nbdnl_config *cfg);
int nbdnl_msg_disconnect(struct nl_msg *msg, int family, uint32_t index);
/* index NBDNL_INDEX_ANY: all devices. */
int nbdnl_msg_status(struct nl_msg *msg, int family, int32_t index);

struct nbdnl_dev_status {
	uint32_t index;
	bool connected;
};

/* Parse replies / notifications. Return 0 or -errno (-EINVAL malformed, -ENOENT missing). */
int nbdnl_parse_index(struct nlmsghdr *nlh, uint32_t *index);
int nbdnl_parse_status(struct nlmsghdr *nlh, struct nbdnl_dev_status *devs, size_t max, size_t *n);
/* 0 and *index if nlh is an NBD_CMD_LINK_DEAD notification, -ENOENT for anything else. */
int nbdnl_parse_link_dead(struct nlmsghdr *nlh, uint32_t *index);

/* A blocking control connection; one thread at a time. */
struct nbdnl {
	struct nl_sock *sock;
	int family;
};

/* -ENOENT when the family is missing (nbd module not loaded). */
int nbdnl_open(struct nbdnl *nl);
void nbdnl_close(struct nbdnl *nl);
int nbdnl_connect(struct nbdnl *nl, const struct nbdnl_config *cfg, uint32_t *index);
int nbdnl_reconfigure(struct nbdnl *nl, const struct nbdnl_config *cfg);
int nbdnl_disconnect(struct nbdnl *nl, uint32_t index);
int nbdnl_status(struct nbdnl *nl, int32_t index, struct nbdnl_dev_status *devs, size_t max,
		 size_t *n);

/* LINK_DEAD notifications on the loop: cb(index) for every socket the kernel declared dead. */
struct nbdnl_monitor {
	struct nl_sock *sock;
	struct ev_loop *loop;
	ev_io io;
	void (*cb)(struct nbdnl_monitor *m, uint32_t index);
	void *opaque;
};

int nbdnl_monitor_start(struct nbdnl_monitor *m, struct ev_loop *loop,
			void (*cb)(struct nbdnl_monitor *m, uint32_t index), void *opaque);
void nbdnl_monitor_stop(struct nbdnl_monitor *m);

/*
 * One netlink request off the loop thread. nbdnl_async_start() copies cfg
 * (fds and backend included), runs the request on a new thread with its own
 * socket, and calls done(a, err, index) on the loop thread when it is over;
 * until then a must stay untouched and alive. The loop keeps running
 * meanwhile, so I/O the kernel waits for (a resize freezes the queue until
 * in-flight requests complete) does complete.
 */
enum nbdnl_async_op {
	NBDNL_ASYNC_CONNECT,
	NBDNL_ASYNC_RECONFIGURE,
	NBDNL_ASYNC_DISCONNECT,
};

struct nbdnl_async {
	ev_async ev;
	struct ev_loop *loop;
	pthread_t thread;
	enum nbdnl_async_op op;
	struct nbdnl_config cfg;
	int fds[NBDNL_MAX_SOCKS];
	char backend[NBDNL_IDENT_MAX];
	int err;
	uint32_t index;
	void (*done)(struct nbdnl_async *a, int err, uint32_t index);
	void *opaque;
	/* test seam: run instead of talking to the kernel (NULL in production) */
	int (*run)(struct nbdnl_async *a);
};

int nbdnl_async_start(struct nbdnl_async *a, struct ev_loop *loop, enum nbdnl_async_op op,
		      const struct nbdnl_config *cfg,
		      void (*done)(struct nbdnl_async *a, int err, uint32_t index), void *opaque);

#endif
