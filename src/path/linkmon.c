/* rtnetlink link / address monitor; see linkmon.h. */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h: driver signals L1 up (carrier) */
#endif
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "path/internal.h"
#include "path/linkmon.h"
#include "util/log.h"

struct path_linkmon {
	struct ev_loop *loop;
	struct path_device *dev;
	struct nl_sock *sk;
	struct ev_io io;
};

/* Does this address equal the path's source address? */
static bool addr_matches(const struct sockaddr_storage *ss, int family, const void *a, size_t alen)
{
	if (ss->ss_family != family)
		return false;
	if (family == AF_INET && alen >= 4)
		return memcmp(&((const struct sockaddr_in *)ss)->sin_addr, a, 4) == 0;
	if (family == AF_INET6 && alen >= 16)
		return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, a, 16) == 0;
	return false;
}

static void link_msg(struct path_linkmon *lm, const struct nlmsghdr *h)
{
	struct path_device *dev = lm->dev;
	struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	const char *name;
	bool up;

	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 ||
	    !tb[IFLA_IFNAME])
		return;
	ifi = nlmsg_data(h);
	name = nla_get_string(tb[IFLA_IFNAME]);
	up = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) &&
	     (ifi->ifi_flags & IFF_LOWER_UP);
	for (unsigned int i = 0; i < dev->npaths; i++) {
		const char *want = dev->cfg.paths[i].bind_ifname;

		if (!want && dev->paths[i].route_ifname[0])
			want = dev->paths[i].route_ifname;

		if (!want || strcmp(want, name) != 0)
			continue;
		if (!up)
			path_link_down(&dev->paths[i], h->nlmsg_type == RTM_DELLINK
							       ? "interface deleted"
							       : "link down (no carrier)");
		else
			path_link_up(&dev->paths[i]);
	}
}

static void addr_msg(struct path_linkmon *lm, const struct nlmsghdr *h)
{
	struct path_device *dev = lm->dev;
	struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa;
	struct nlattr *a;

	if (nlmsg_parse((struct nlmsghdr *)h, sizeof(*ifa), tb, IFA_MAX, NULL) < 0)
		return;
	ifa = nlmsg_data(h);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return;
	for (unsigned int i = 0; i < dev->npaths; i++) {
		const struct path_config *pc = &dev->cfg.paths[i];

		if (pc->bind_addr.ss_family == AF_UNSPEC ||
		    !addr_matches(&pc->bind_addr, ifa->ifa_family, nla_data(a), (size_t)nla_len(a)))
			continue;
		if (h->nlmsg_type == RTM_DELADDR)
			path_link_down(&dev->paths[i], "source address removed");
		else
			path_link_up(&dev->paths[i]);
	}
}

void path_linkmon_handle(struct path_linkmon *lm, const struct nlmsghdr *h)
{
	switch (h->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		link_msg(lm, h);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		addr_msg(lm, h);
		break;
	default:
		break;
	}
}

static int nl_valid_cb(struct nl_msg *msg, void *arg)
{
	path_linkmon_handle(arg, nlmsg_hdr(msg));
	return NL_OK;
}

static void lm_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct path_linkmon *lm = container_of(w, struct path_linkmon, io);
	int r = nl_recvmsgs_default(lm->sk);

	/* -NLE_NOMEM is ENOBUFS: events were lost; the timeouts still guard. */
	if (r < 0 && r != -NLE_AGAIN)
		dbg(LOG_SUB_PATH, "%s: rtnetlink: %s", lm->dev->name, nl_geterror(r));
}

struct path_linkmon *path_linkmon_new(struct ev_loop *loop, struct path_device *dev)
{
	struct path_linkmon *lm = calloc(1, sizeof(*lm));
	int r;

	if (!lm)
		return NULL;
	lm->loop = loop;
	lm->dev = dev;
	if (!loop) /* tests: messages are fed by path_linkmon_handle() */
		return lm;
	lm->sk = nl_socket_alloc();
	if (!lm->sk)
		goto fail;
	nl_socket_disable_seq_check(lm->sk);
	nl_socket_modify_cb(lm->sk, NL_CB_VALID, NL_CB_CUSTOM, nl_valid_cb, lm);
	r = nl_connect(lm->sk, NETLINK_ROUTE);
	if (r < 0)
		goto fail;
	r = nl_socket_add_memberships(lm->sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
				      RTNLGRP_IPV6_IFADDR, 0);
	if (r < 0 || nl_socket_set_nonblocking(lm->sk) < 0)
		goto fail;
	ev_io_init(&lm->io, lm_io_cb, nl_socket_get_fd(lm->sk), EV_READ);
	ev_io_start(loop, &lm->io);
	return lm;
fail:
	if (lm->sk)
		nl_socket_free(lm->sk);
	free(lm);
	errno = EIO;
	return NULL;
}

void path_linkmon_free(struct path_linkmon *lm)
{
	if (!lm)
		return;
	if (lm->sk) {
		ev_io_stop(lm->loop, &lm->io);
		nl_socket_free(lm->sk);
	}
	free(lm);
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

void path_route_ifname(const struct sockaddr_storage *portal, unsigned int portal_len, char *out)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	struct ifaddrs *ifs = NULL, *i;
	int fd;

	out[0] = 0;
	fd = socket(portal->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)portal, portal_len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &llen) < 0 || getifaddrs(&ifs) < 0) {
		close(fd);
		return;
	}
	close(fd);
	for (i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr && same_addr(i->ifa_addr, (const struct sockaddr *)&local)) {
			snprintf(out, IF_NAMESIZE, "%s", i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifs);
}
