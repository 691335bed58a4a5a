/*
 * Link monitor: rtnetlink (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
 * RTNLGRP_IPV6_IFADDR) watched on the device's loop, so a path bound to an
 * interface (bind_ifname) or a source address (bind_addr) fails the moment
 * its carrier drops, its interface goes down or is deleted, or its address
 * is removed - without waiting for a NOP or command timeout. When the link
 * comes back (IFF_UP and IFF_LOWER_UP), the path's reconnect backoff is
 * cut short so it logs in again at once.
 *
 * A path with neither binding is watched on the interface its route to
 * the portal uses, looked up again at every connection attempt
 * (path_route_ifname): a pulled cable on that interface fails the path at
 * once too. If the route moves elsewhere later, NOP and command deadlines
 * still catch what the monitor cannot see.
 *
 * Created by path_device_start(); the daemon does not call it.
 */
#ifndef ISN_PATH_LINKMON_H
#define ISN_PATH_LINKMON_H

#include <ev.h>
#include <sys/socket.h>

struct nlmsghdr;
struct path_device;
struct path_linkmon;

/* NULL with errno set (netlink socket failure). */
struct path_linkmon *path_linkmon_new(struct ev_loop *loop, struct path_device *dev);
void path_linkmon_free(struct path_linkmon *lm);

/* Handle one rtnetlink message (the socket's callback; tests feed their own). */
void path_linkmon_handle(struct path_linkmon *lm, const struct nlmsghdr *h);

/*
 * The interface the kernel would send to portal by: a UDP socket connect()
 * picks the route without sending anything; its local address names the
 * interface. out (IF_NAMESIZE bytes) is "" when there is no route.
 */
void path_route_ifname(const struct sockaddr_storage *portal, unsigned int portal_len, char *out);

#endif
