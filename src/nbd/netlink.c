/*
 * Generic netlink bridge to the kernel NBD driver. See netlink.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#if defined(__has_include)
#if __has_include(<linux/nbd-netlink.h>)
#include <linux/nbd-netlink.h>
#define HAVE_NBD_NETLINK_H 1
#endif
#endif

#ifndef HAVE_NBD_NETLINK_H
/* include/uapi/linux/nbd-netlink.h, for systems without the header. */
#define NBD_GENL_FAMILY_NAME	  "nbd"
#define NBD_GENL_VERSION	  0x1
#define NBD_GENL_MCAST_GROUP_NAME "nbd_mc_group"
enum {
	NBD_ATTR_UNSPEC,
	NBD_ATTR_INDEX,
	NBD_ATTR_SIZE_BYTES,
	NBD_ATTR_BLOCK_SIZE_BYTES,
	NBD_ATTR_TIMEOUT,
	NBD_ATTR_SERVER_FLAGS,
	NBD_ATTR_CLIENT_FLAGS,
	NBD_ATTR_SOCKETS,
	NBD_ATTR_DEAD_CONN_TIMEOUT,
	NBD_ATTR_DEVICE_LIST,
	NBD_ATTR_BACKEND_IDENTIFIER,
	__NBD_ATTR_MAX,
};
#define NBD_ATTR_MAX (__NBD_ATTR_MAX - 1)
enum { NBD_DEVICE_ITEM_UNSPEC, NBD_DEVICE_ITEM, __NBD_DEVICE_ITEM_MAX };
#define NBD_DEVICE_ITEM_MAX (__NBD_DEVICE_ITEM_MAX - 1)
enum { NBD_DEVICE_UNSPEC, NBD_DEVICE_INDEX, NBD_DEVICE_CONNECTED, __NBD_DEVICE_MAX };
#define NBD_DEVICE_ATTR_MAX (__NBD_DEVICE_MAX - 1)
enum { NBD_SOCK_ITEM_UNSPEC, NBD_SOCK_ITEM, __NBD_SOCK_ITEM_MAX };
#define NBD_SOCK_ITEM_MAX (__NBD_SOCK_ITEM_MAX - 1)
enum { NBD_SOCK_UNSPEC, NBD_SOCK_FD, __NBD_SOCK_MAX };
#define NBD_SOCK_MAX (__NBD_SOCK_MAX - 1)
enum {
	NBD_CMD_UNSPEC,
	NBD_CMD_CONNECT,
	NBD_CMD_DISCONNECT,
	NBD_CMD_RECONFIGURE,
	NBD_CMD_LINK_DEAD,
	NBD_CMD_STATUS,
	__NBD_CMD_MAX,
};
#endif

#include "nbd/netlink.h"
#include "util/compiler.h"
#include "util/log.h"

/* Attribute types as the kernel's nbd_attr_policy declares them. */
static struct nla_policy attr_policy[NBD_ATTR_MAX + 1] = {
	[NBD_ATTR_INDEX] = {.type = NLA_U32},
	[NBD_ATTR_SIZE_BYTES] = {.type = NLA_U64},
	[NBD_ATTR_BLOCK_SIZE_BYTES] = {.type = NLA_U64},
	[NBD_ATTR_TIMEOUT] = {.type = NLA_U64},
	[NBD_ATTR_SERVER_FLAGS] = {.type = NLA_U64},
	[NBD_ATTR_CLIENT_FLAGS] = {.type = NLA_U64},
	[NBD_ATTR_SOCKETS] = {.type = NLA_NESTED},
	[NBD_ATTR_DEAD_CONN_TIMEOUT] = {.type = NLA_U64},
	[NBD_ATTR_DEVICE_LIST] = {.type = NLA_NESTED},
	[NBD_ATTR_BACKEND_IDENTIFIER] = {.type = NLA_STRING},
};

static struct nla_policy device_policy[NBD_DEVICE_ATTR_MAX + 1] = {
	[NBD_DEVICE_INDEX] = {.type = NLA_U32},
	[NBD_DEVICE_CONNECTED] = {.type = NLA_U8},
};

static int msg_start(struct nl_msg *msg, int family, uint8_t cmd)
{
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd, NBD_GENL_VERSION))
		return -EMSGSIZE;
	return 0;
}

/* [NBD_ATTR_SOCKETS] [NBD_SOCK_ITEM] [NBD_SOCK_FD] ... (nbd-netlink.h's layout). */
static int put_sockets(struct nl_msg *msg, const int *fds, uint32_t nfds)
{
	struct nlattr *socks, *item;
	uint32_t i;

	socks = nla_nest_start(msg, NBD_ATTR_SOCKETS);
	if (!socks)
		return -EMSGSIZE;
	for (i = 0; i < nfds; i++) {
		if (fds[i] < 0)
			return -EINVAL;
		item = nla_nest_start(msg, NBD_SOCK_ITEM);
		if (!item || nla_put_u32(msg, NBD_SOCK_FD, (uint32_t)fds[i]) < 0)
			return -EMSGSIZE;
		nla_nest_end(msg, item);
	}
	nla_nest_end(msg, socks);
	return 0;
}

#define PUT(expr)                                                                                  \
	do {                                                                                       \
		if ((expr) < 0)                                                                    \
			return -EMSGSIZE;                                                          \
	} while (0)

int nbdnl_msg_connect(struct nl_msg *msg, int family, const struct nbdnl_config *cfg)
{
	int rc;

	/* The kernel refuses CONNECT without SOCKETS and SIZE_BYTES. */
	if (cfg->nfds == 0 || cfg->nfds > NBDNL_MAX_SOCKS || !cfg->fds || cfg->size_bytes == 0)
		return -EINVAL;
	rc = msg_start(msg, family, NBD_CMD_CONNECT);
	if (rc < 0)
		return rc;
	if (cfg->index >= 0)
		PUT(nla_put_u32(msg, NBD_ATTR_INDEX, (uint32_t)cfg->index));
	PUT(nla_put_u64(msg, NBD_ATTR_SIZE_BYTES, cfg->size_bytes));
	if (cfg->block_size)
		PUT(nla_put_u64(msg, NBD_ATTR_BLOCK_SIZE_BYTES, cfg->block_size));
	PUT(nla_put_u64(msg, NBD_ATTR_SERVER_FLAGS, cfg->server_flags));
	/* Always sent, 0 included: failover is ours, the kernel must not time out requests. */
	PUT(nla_put_u64(msg, NBD_ATTR_TIMEOUT, cfg->timeout));
	if (cfg->dead_conn_timeout)
		PUT(nla_put_u64(msg, NBD_ATTR_DEAD_CONN_TIMEOUT, cfg->dead_conn_timeout));
	PUT(nla_put_u64(msg, NBD_ATTR_CLIENT_FLAGS, cfg->client_flags));
	if (cfg->backend)
		PUT(nla_put_string(msg, NBD_ATTR_BACKEND_IDENTIFIER, cfg->backend));
	return put_sockets(msg, cfg->fds, cfg->nfds);
}

int nbdnl_msg_reconfigure(struct nl_msg *msg, int family, const struct nbdnl_config *cfg)
{
	int rc;

	/* RECONFIGURE names its device; sockets replace dead ones only. */
	if (cfg->index < 0 || cfg->nfds > NBDNL_MAX_SOCKS || (cfg->nfds && !cfg->fds))
		return -EINVAL;
	rc = msg_start(msg, family, NBD_CMD_RECONFIGURE);
	if (rc < 0)
		return rc;
	PUT(nla_put_u32(msg, NBD_ATTR_INDEX, (uint32_t)cfg->index));
	if (cfg->size_bytes)
		PUT(nla_put_u64(msg, NBD_ATTR_SIZE_BYTES, cfg->size_bytes));
	if (cfg->block_size)
		PUT(nla_put_u64(msg, NBD_ATTR_BLOCK_SIZE_BYTES, cfg->block_size));
	if (cfg->dead_conn_timeout)
		PUT(nla_put_u64(msg, NBD_ATTR_DEAD_CONN_TIMEOUT, cfg->dead_conn_timeout));
	if (cfg->set_client_flags)
		PUT(nla_put_u64(msg, NBD_ATTR_CLIENT_FLAGS, cfg->client_flags));
	/*
	 * A device connected with a backend identifier refuses RECONFIGURE
	 * without the same one ("must specify backend", found in Linux 6.1
	 * under UML): it guards against re-attaching another LUN.
	 */
	if (cfg->backend)
		PUT(nla_put_string(msg, NBD_ATTR_BACKEND_IDENTIFIER, cfg->backend));
	if (cfg->nfds)
		return put_sockets(msg, cfg->fds, cfg->nfds);
	return 0;
}

int nbdnl_msg_disconnect(struct nl_msg *msg, int family, uint32_t index)
{
	int rc = msg_start(msg, family, NBD_CMD_DISCONNECT);

	if (rc < 0)
		return rc;
	PUT(nla_put_u32(msg, NBD_ATTR_INDEX, index));
	return 0;
}

int nbdnl_msg_status(struct nl_msg *msg, int family, int32_t index)
{
	int rc = msg_start(msg, family, NBD_CMD_STATUS);

	if (rc < 0)
		return rc;
	if (index >= 0)
		PUT(nla_put_u32(msg, NBD_ATTR_INDEX, (uint32_t)index));
	return 0;
}

static int parse_attrs(struct nlmsghdr *nlh, struct nlattr **attrs, uint8_t *cmd)
{
	struct genlmsghdr *g;

	if (!genlmsg_valid_hdr(nlh, 0))
		return -EINVAL;
	g = nlmsg_data(nlh);
	if (cmd)
		*cmd = g->cmd;
	if (genlmsg_parse(nlh, 0, attrs, NBD_ATTR_MAX, attr_policy) < 0)
		return -EINVAL;
	return 0;
}

int nbdnl_parse_index(struct nlmsghdr *nlh, uint32_t *index)
{
	struct nlattr *attrs[NBD_ATTR_MAX + 1];
	int rc = parse_attrs(nlh, attrs, NULL);

	if (rc < 0)
		return rc;
	if (!attrs[NBD_ATTR_INDEX])
		return -ENOENT;
	*index = nla_get_u32(attrs[NBD_ATTR_INDEX]);
	return 0;
}

int nbdnl_parse_link_dead(struct nlmsghdr *nlh, uint32_t *index)
{
	struct nlattr *attrs[NBD_ATTR_MAX + 1];
	uint8_t cmd;
	int rc = parse_attrs(nlh, attrs, &cmd);

	if (rc < 0)
		return rc;
	if (cmd != NBD_CMD_LINK_DEAD || !attrs[NBD_ATTR_INDEX])
		return -ENOENT;
	*index = nla_get_u32(attrs[NBD_ATTR_INDEX]);
	return 0;
}

/*
 * [NBD_ATTR_DEVICE_LIST] [NBD_DEVICE_ITEM] [NBD_DEVICE_INDEX u32]
 * [NBD_DEVICE_CONNECTED u8] ...; *n counts every item, also those beyond max.
 */
int nbdnl_parse_status(struct nlmsghdr *nlh, struct nbdnl_dev_status *devs, size_t max, size_t *n)
{
	struct nlattr *attrs[NBD_ATTR_MAX + 1];
	struct nlattr *item;
	int rc = parse_attrs(nlh, attrs, NULL), rem;

	*n = 0;
	if (rc < 0)
		return rc;
	/* No devices: the list may be an empty nest, or absent (libnl trims empty nests). */
	if (!attrs[NBD_ATTR_DEVICE_LIST])
		return 0;
	nla_for_each_nested(item, attrs[NBD_ATTR_DEVICE_LIST], rem)
	{
		struct nlattr *d[NBD_DEVICE_ATTR_MAX + 1];

		if (nla_type(item) != NBD_DEVICE_ITEM)
			continue;
		if (nla_parse_nested(d, NBD_DEVICE_ATTR_MAX, item, device_policy) < 0 ||
		    !d[NBD_DEVICE_INDEX])
			return -EINVAL;
		if (*n < max) {
			devs[*n].index = nla_get_u32(d[NBD_DEVICE_INDEX]);
			devs[*n].connected =
				d[NBD_DEVICE_CONNECTED] && nla_get_u8(d[NBD_DEVICE_CONNECTED]);
		}
		(*n)++;
	}
	return 0;
}

/* ------------------------------------------------------------- sending */

struct xfer {
	int err;
	bool done;
	int (*reply)(struct nlmsghdr *nlh, void *arg);
	void *arg;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct xfer *x = arg;

	if (x->reply) {
		int rc = x->reply(nlmsg_hdr(msg), x->arg);

		if (rc < 0 && !x->err)
			x->err = rc;
	}
	return NL_OK;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct xfer *x = arg;

	/* The kernel's -errno, which libnl's own codes would lose. */
	x->err = e->error ? e->error : 0;
	x->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct xfer *x = arg;

	x->done = true;
	return NL_STOP;
}

/*
 * Send msg, wait for the ack; reply() sees each data message. built is
 * what the nbdnl_msg_* builder returned, or -ENOMEM when msg could not be
 * allocated (NULL): a message that was not built is not sent and its
 * error returned. msg is consumed in every case.
 */
static int transact(struct nbdnl *nl, struct nl_msg *msg, int built,
		    int (*reply)(struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct xfer x = {.reply = reply, .arg = arg};
	struct nl_cb *cb;
	int rc;

	if (built < 0) {
		nlmsg_free(msg);
		return built;
	}
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &x);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &x);
	rc = nl_send_auto(nl->sock, msg);
	nlmsg_free(msg);
	if (rc < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	while (!x.done) {
		rc = nl_recvmsgs(nl->sock, cb);
		if (rc < 0 && !x.done) {
			x.err = x.err ? x.err : -EIO;
			break;
		}
	}
	nl_cb_put(cb);
	return x.err;
}

int nbdnl_open(struct nbdnl *nl)
{
	nl->sock = nl_socket_alloc();
	if (!nl->sock)
		return -ENOMEM;
	if (genl_connect(nl->sock) < 0) {
		nl_socket_free(nl->sock);
		nl->sock = NULL;
		return -EIO;
	}
	nl->family = genl_ctrl_resolve(nl->sock, NBD_GENL_FAMILY_NAME);
	if (nl->family < 0) {
		nl_socket_free(nl->sock);
		nl->sock = NULL;
		return -ENOENT;
	}
	return 0;
}

void nbdnl_close(struct nbdnl *nl)
{
	if (nl->sock)
		nl_socket_free(nl->sock);
	nl->sock = NULL;
}

static int reply_index(struct nlmsghdr *nlh, void *arg)
{
	return nbdnl_parse_index(nlh, arg);
}

int nbdnl_connect(struct nbdnl *nl, const struct nbdnl_config *cfg, uint32_t *index)
{
	struct nl_msg *msg = nlmsg_alloc();
	uint32_t idx = UINT32_MAX;
	int rc = msg ? nbdnl_msg_connect(msg, nl->family, cfg) : -ENOMEM;

	rc = transact(nl, msg, rc, reply_index, &idx);
	if (rc < 0) {
		log_err("nbd netlink: CONNECT failed: %s", strerror(-rc));
		return rc;
	}
	if (idx == UINT32_MAX) {
		/* Kernels always reply with the index; take the one asked for otherwise. */
		if (cfg->index < 0)
			return -EPROTO;
		idx = (uint32_t)cfg->index;
	}
	if (index)
		*index = idx;
	dbg(LOG_SUB_NETLINK, "nbd%u: connected with %u sockets", idx, cfg->nfds);
	return 0;
}

int nbdnl_reconfigure(struct nbdnl *nl, const struct nbdnl_config *cfg)
{
	struct nl_msg *msg = nlmsg_alloc();
	int rc = msg ? nbdnl_msg_reconfigure(msg, nl->family, cfg) : -ENOMEM;

	rc = transact(nl, msg, rc, NULL, NULL);
	if (rc < 0)
		log_err("nbd%d: RECONFIGURE failed: %s", cfg->index, strerror(-rc));
	return rc;
}

int nbdnl_disconnect(struct nbdnl *nl, uint32_t index)
{
	struct nl_msg *msg = nlmsg_alloc();
	int rc = msg ? nbdnl_msg_disconnect(msg, nl->family, index) : -ENOMEM;

	rc = transact(nl, msg, rc, NULL, NULL);
	if (rc < 0)
		log_err("nbd%u: DISCONNECT failed: %s", index, strerror(-rc));
	return rc;
}

struct status_ctx {
	struct nbdnl_dev_status *devs;
	size_t max, n;
};

static int reply_status(struct nlmsghdr *nlh, void *arg)
{
	struct status_ctx *s = arg;
	size_t n = 0;
	int rc = nbdnl_parse_status(nlh, s->devs + MIN(s->n, s->max), s->max - MIN(s->n, s->max),
				    &n);

	s->n += n;
	return rc;
}

int nbdnl_status(struct nbdnl *nl, int32_t index, struct nbdnl_dev_status *devs, size_t max,
		 size_t *n)
{
	struct status_ctx s = {.devs = devs, .max = max};
	struct nl_msg *msg = nlmsg_alloc();
	int rc = msg ? nbdnl_msg_status(msg, nl->family, index) : -ENOMEM;

	rc = transact(nl, msg, rc, reply_status, &s);
	*n = s.n;
	return rc;
}

/* ------------------------------------------------------------- monitor */

static int monitor_on_msg(struct nl_msg *msg, void *arg)
{
	struct nbdnl_monitor *m = arg;
	uint32_t index;

	if (nbdnl_parse_link_dead(nlmsg_hdr(msg), &index) == 0) {
		log_warn("nbd%u: kernel reports a dead socket (LINK_DEAD)", index);
		m->cb(m, index);
	}
	return NL_OK;
}

static void monitor_on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct nbdnl_monitor *m = container_of(w, struct nbdnl_monitor, io);

	/* Non-blocking: returns when the socket is drained. */
	nl_recvmsgs_default(m->sock);
}

int nbdnl_monitor_start(struct nbdnl_monitor *m, struct ev_loop *loop,
			void (*cb)(struct nbdnl_monitor *m, uint32_t index), void *opaque)
{
	int grp;

	m->loop = loop;
	m->cb = cb;
	m->opaque = opaque;
	m->sock = nl_socket_alloc();
	if (!m->sock)
		return -ENOMEM;
	/* Notifications carry no sequence number of ours. */
	nl_socket_disable_seq_check(m->sock);
	if (genl_connect(m->sock) < 0)
		goto fail;
	grp = genl_ctrl_resolve_grp(m->sock, NBD_GENL_FAMILY_NAME, NBD_GENL_MCAST_GROUP_NAME);
	if (grp < 0) {
		nl_socket_free(m->sock);
		m->sock = NULL;
		return -ENOENT;
	}
	if (nl_socket_add_membership(m->sock, grp) < 0 || nl_socket_set_nonblocking(m->sock) < 0)
		goto fail;
	nl_socket_modify_cb(m->sock, NL_CB_VALID, NL_CB_CUSTOM, monitor_on_msg, m);
	ev_io_init(&m->io, monitor_on_readable, nl_socket_get_fd(m->sock), EV_READ);
	ev_io_start(loop, &m->io);
	return 0;
fail:
	nl_socket_free(m->sock);
	m->sock = NULL;
	return -EIO;
}

void nbdnl_monitor_stop(struct nbdnl_monitor *m)
{
	if (!m->sock)
		return;
	ev_io_stop(m->loop, &m->io);
	nl_socket_free(m->sock);
	m->sock = NULL;
}

/* ------------------------------------------------------ off-loop requests */

static int async_run_kernel(struct nbdnl_async *a)
{
	struct nbdnl nl;
	int rc = nbdnl_open(&nl);

	if (rc < 0)
		return rc;
	switch (a->op) {
	case NBDNL_ASYNC_CONNECT:
		rc = nbdnl_connect(&nl, &a->cfg, &a->index);
		break;
	case NBDNL_ASYNC_RECONFIGURE:
		rc = nbdnl_reconfigure(&nl, &a->cfg);
		break;
	case NBDNL_ASYNC_DISCONNECT:
		rc = nbdnl_disconnect(&nl, (uint32_t)a->cfg.index);
		break;
	}
	nbdnl_close(&nl);
	return rc;
}

static void *async_thread(void *arg)
{
	struct nbdnl_async *a = arg;

	a->err = a->run ? a->run(a) : async_run_kernel(a);
	/* ev_async_send is the one libev call that is safe from another thread. */
	ev_async_send(a->loop, &a->ev);
	return NULL;
}

static void async_on_done(struct ev_loop *loop, ev_async *w, int revents)
{
	struct nbdnl_async *a = container_of(w, struct nbdnl_async, ev);

	pthread_join(a->thread, NULL);
	ev_async_stop(loop, w);
	a->done(a, a->err, a->index); /* may free a */
}

int nbdnl_async_start(struct nbdnl_async *a, struct ev_loop *loop, enum nbdnl_async_op op,
		      const struct nbdnl_config *cfg,
		      void (*done)(struct nbdnl_async *a, int err, uint32_t index), void *opaque)
{
	int rc;

	if (cfg->nfds > NBDNL_MAX_SOCKS)
		return -EINVAL;
	a->loop = loop;
	a->op = op;
	a->cfg = *cfg;
	if (cfg->nfds)
		memcpy(a->fds, cfg->fds, cfg->nfds * sizeof(int));
	a->cfg.fds = a->fds;
	if (cfg->backend) {
		snprintf(a->backend, sizeof(a->backend), "%s", cfg->backend);
		a->cfg.backend = a->backend;
	}
	a->err = 0;
	a->index = cfg->index >= 0 ? (uint32_t)cfg->index : UINT32_MAX;
	a->done = done;
	a->opaque = opaque;
	ev_async_init(&a->ev, async_on_done);
	ev_async_start(loop, &a->ev);
	rc = pthread_create(&a->thread, NULL, async_thread, a);
	if (rc) {
		ev_async_stop(loop, &a->ev);
		return -rc;
	}
	return 0;
}
