/*
 * nbd netlink: messages built by nbdnl_msg_* are parsed back with libnl and
 * checked attribute by attribute against the numbers of
 * include/uapi/linux/nbd-netlink.h (written out here, not taken from the
 * header), nesting included; one message is compared byte for byte; replies
 * and notifications built by hand with libnl go through nbdnl_parse_*; and
 * the off-loop request runs while the loop keeps running. No kernel needed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "../checkmain.h"
#include "nbd/netlink.h"

/* uapi numbers, from the kernel header's enums. */
enum {
	A_INDEX = 1,
	A_SIZE_BYTES = 2,
	A_BLOCK_SIZE_BYTES = 3,
	A_TIMEOUT = 4,
	A_SERVER_FLAGS = 5,
	A_CLIENT_FLAGS = 6,
	A_SOCKETS = 7,
	A_DEAD_CONN_TIMEOUT = 8,
	A_DEVICE_LIST = 9,
	A_BACKEND_IDENTIFIER = 10,
	A_MAX = 10,
};
enum { C_CONNECT = 1, C_DISCONNECT = 2, C_RECONFIGURE = 3, C_LINK_DEAD = 4, C_STATUS = 5 };
enum { SOCK_ITEM = 1, SOCK_FD = 1, DEVICE_ITEM = 1, DEVICE_INDEX = 1, DEVICE_CONNECTED = 2 };

#define FAMILY 0x1a

static struct nlattr *tb[A_MAX + 1];
static struct nl_msg *msg;

static uint8_t parse(struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);
	struct genlmsghdr *g = nlmsg_data(nlh);

	ck_assert_int_eq(nlh->nlmsg_type, FAMILY);
	ck_assert_uint_eq(g->version, 1);
	ck_assert_int_eq(genlmsg_parse(nlh, 0, tb, A_MAX, NULL), 0);
	return g->cmd;
}

/* Collect NBD_SOCK_FD values out of [SOCKETS][SOCK_ITEM][SOCK_FD]. */
static int sock_fds(struct nlattr *socks, uint32_t *out, int max)
{
	struct nlattr *item, *fd;
	int rem, rem2, n = 0;

	nla_for_each_nested(item, socks, rem)
	{
		int nfd = 0;

		ck_assert_int_eq(nla_type(item), SOCK_ITEM);
		nla_for_each_nested(fd, item, rem2)
		{
			ck_assert_int_eq(nla_type(fd), SOCK_FD);
			ck_assert_int_eq(nla_len(fd), 4);
			ck_assert_int_lt(n, max);
			out[n++] = nla_get_u32(fd);
			nfd++;
		}
		ck_assert_int_eq(nfd, 1);
	}
	return n;
}

START_TEST(connect_message)
{
	static const int fds[3] = {5, 6, 9};
	struct nbdnl_config cfg = {
		.index = NBDNL_INDEX_ANY,
		.fds = fds,
		.nfds = 3,
		.size_bytes = 1ull << 30,
		.block_size = 4096,
		.server_flags = 0x17d,
		.timeout = 0,
		.dead_conn_timeout = 30,
		.client_flags = NBDNL_CFLAG_DESTROY_ON_DISCONNECT,
		.backend = "naa.6001405abcdef",
	};
	uint32_t got[8];

	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_connect(msg, FAMILY, &cfg), 0);
	ck_assert_uint_eq(parse(msg), C_CONNECT);
	ck_assert_ptr_null(tb[A_INDEX]); /* omitted: the kernel picks the first free device */
	ck_assert(nla_get_u64(tb[A_SIZE_BYTES]) == 1ull << 30);
	ck_assert(nla_get_u64(tb[A_BLOCK_SIZE_BYTES]) == 4096);
	ck_assert(nla_get_u64(tb[A_SERVER_FLAGS]) == 0x17d);
	ck_assert_ptr_nonnull(tb[A_TIMEOUT]);
	ck_assert_int_eq(nla_len(tb[A_TIMEOUT]), 8);
	ck_assert(nla_get_u64(tb[A_TIMEOUT]) == 0);
	ck_assert(nla_get_u64(tb[A_DEAD_CONN_TIMEOUT]) == 30);
	ck_assert(nla_get_u64(tb[A_CLIENT_FLAGS]) == 1);
	ck_assert_str_eq(nla_get_string(tb[A_BACKEND_IDENTIFIER]), "naa.6001405abcdef");
	ck_assert_ptr_null(tb[A_DEVICE_LIST]);
	ck_assert_int_eq(sock_fds(tb[A_SOCKETS], got, 8), 3);
	ck_assert_uint_eq(got[0], 5);
	ck_assert_uint_eq(got[1], 6);
	ck_assert_uint_eq(got[2], 9);
	nlmsg_free(msg);

	/* A given index is sent. */
	cfg.index = 3;
	cfg.backend = NULL;
	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_connect(msg, FAMILY, &cfg), 0);
	parse(msg);
	ck_assert_uint_eq(nla_get_u32(tb[A_INDEX]), 3);
	ck_assert_ptr_null(tb[A_BACKEND_IDENTIFIER]);
	nlmsg_free(msg);
}
END_TEST

START_TEST(connect_requires_sockets_and_size)
{
	static const int fds[1] = {4};
	struct nbdnl_config cfg = {.index = -1, .fds = fds, .nfds = 0, .size_bytes = 4096};

	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_connect(msg, FAMILY, &cfg), -EINVAL);
	cfg.nfds = 1;
	cfg.size_bytes = 0;
	ck_assert_int_eq(nbdnl_msg_connect(msg, FAMILY, &cfg), -EINVAL);
	cfg.size_bytes = 4096;
	cfg.nfds = NBDNL_MAX_SOCKS + 1;
	ck_assert_int_eq(nbdnl_msg_connect(msg, FAMILY, &cfg), -EINVAL);
	nlmsg_free(msg);
}
END_TEST

START_TEST(reconfigure_message)
{
	static const int fds[2] = {11, 12};
	struct nbdnl_config cfg = {
		.index = 2, .fds = fds, .nfds = 2, .size_bytes = 2ull << 30, .backend = "naa.1"};
	uint32_t got[4];

	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_reconfigure(msg, FAMILY, &cfg), 0);
	ck_assert_uint_eq(parse(msg), C_RECONFIGURE);
	ck_assert_uint_eq(nla_get_u32(tb[A_INDEX]), 2);
	ck_assert(nla_get_u64(tb[A_SIZE_BYTES]) == 2ull << 30);
	/* RECONFIGURE carries only what changes. */
	ck_assert_ptr_null(tb[A_TIMEOUT]);
	ck_assert_ptr_null(tb[A_SERVER_FLAGS]);
	ck_assert_ptr_null(tb[A_CLIENT_FLAGS]);
	/* The kernel refuses RECONFIGURE of a device with a backend unless it is repeated. */
	ck_assert_str_eq(nla_get_string(tb[A_BACKEND_IDENTIFIER]), "naa.1");
	ck_assert_int_eq(sock_fds(tb[A_SOCKETS], got, 4), 2);
	ck_assert_uint_eq(got[1], 12);
	nlmsg_free(msg);

	/* Resize only: no SOCKETS at all. */
	cfg.nfds = 0;
	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_reconfigure(msg, FAMILY, &cfg), 0);
	parse(msg);
	ck_assert_ptr_null(tb[A_SOCKETS]);
	nlmsg_free(msg);

	cfg.index = NBDNL_INDEX_ANY;
	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_reconfigure(msg, FAMILY, &cfg), -EINVAL);
	nlmsg_free(msg);
}
END_TEST

START_TEST(disconnect_bytes)
{
	/* genlmsghdr {cmd 2, version 1, reserved 0}, then NLA {len 8, type 1 (INDEX), u32 3}. */
	static const uint8_t want[12] = {0x02, 0x01, 0x00, 0x00, 0x08, 0x00,
					 0x01, 0x00, 0x03, 0x00, 0x00, 0x00};
	struct nlmsghdr *nlh;

	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_disconnect(msg, FAMILY, 3), 0);
	nlh = nlmsg_hdr(msg);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + 12);
	ck_assert_int_eq(nlh->nlmsg_type, FAMILY);
	ck_assert_mem_eq(nlmsg_data(nlh), want, 12);
	nlmsg_free(msg);
}
END_TEST

START_TEST(status_message)
{
	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_status(msg, FAMILY, NBDNL_INDEX_ANY), 0);
	ck_assert_uint_eq(parse(msg), C_STATUS);
	ck_assert_ptr_null(tb[A_INDEX]);
	nlmsg_free(msg);
	msg = nlmsg_alloc();
	ck_assert_int_eq(nbdnl_msg_status(msg, FAMILY, 7), 0);
	parse(msg);
	ck_assert_uint_eq(nla_get_u32(tb[A_INDEX]), 7);
	nlmsg_free(msg);
}
END_TEST

static struct nl_msg *kernel_msg(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	ck_assert_ptr_nonnull(genlmsg_put(m, 0, 0, FAMILY, 0, 0, cmd, 1));
	return m;
}

static void put_device(struct nl_msg *m, uint32_t index, int connected)
{
	struct nlattr *item = nla_nest_start(m, DEVICE_ITEM);

	nla_put_u32(m, DEVICE_INDEX, index);
	if (connected >= 0)
		nla_put_u8(m, DEVICE_CONNECTED, (uint8_t)connected);
	nla_nest_end(m, item);
}

START_TEST(status_reply_parse)
{
	struct nbdnl_dev_status devs[4];
	struct nlattr *list;
	size_t n;

	msg = kernel_msg(C_STATUS);
	list = nla_nest_start(msg, A_DEVICE_LIST);
	put_device(msg, 0, 1);
	put_device(msg, 1, 0);
	put_device(msg, 5, 1);
	nla_nest_end(msg, list);
	ck_assert_int_eq(nbdnl_parse_status(nlmsg_hdr(msg), devs, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(devs[0].index, 0);
	ck_assert(devs[0].connected);
	ck_assert_uint_eq(devs[1].index, 1);
	ck_assert(!devs[1].connected);
	ck_assert_uint_eq(devs[2].index, 5);
	ck_assert(devs[2].connected);
	/* Room for two: all three counted, two stored. */
	memset(devs, 0xff, sizeof(devs));
	ck_assert_int_eq(nbdnl_parse_status(nlmsg_hdr(msg), devs, 2, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(devs[2].index, 0xffffffffu);
	nlmsg_free(msg);

	/* Empty list (libnl trims the empty nest, the kernel does not): no devices. */
	msg = kernel_msg(C_STATUS);
	list = nla_nest_start(msg, A_DEVICE_LIST);
	nla_nest_end(msg, list);
	n = 99;
	ck_assert_int_eq(nbdnl_parse_status(nlmsg_hdr(msg), devs, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	nlmsg_free(msg);
	msg = kernel_msg(C_STATUS);
	{
		/* The kernel's form: a nest header with no payload. */
		struct nlattr *empty = nlmsg_reserve(msg, NLA_HDRLEN, NLMSG_ALIGNTO);

		empty->nla_len = NLA_HDRLEN;
		empty->nla_type = A_DEVICE_LIST | NLA_F_NESTED;
	}
	n = 99;
	ck_assert_int_eq(nbdnl_parse_status(nlmsg_hdr(msg), devs, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
	nlmsg_free(msg);

	/* An item without its index. */
	msg = kernel_msg(C_STATUS);
	list = nla_nest_start(msg, A_DEVICE_LIST);
	{
		struct nlattr *item = nla_nest_start(msg, DEVICE_ITEM);

		nla_put_u8(msg, DEVICE_CONNECTED, 1);
		nla_nest_end(msg, item);
	}
	nla_nest_end(msg, list);
	ck_assert_int_eq(nbdnl_parse_status(nlmsg_hdr(msg), devs, 4, &n), -EINVAL);
	nlmsg_free(msg);
}
END_TEST

START_TEST(connect_reply_and_link_dead)
{
	uint32_t idx = 0;

	msg = kernel_msg(C_CONNECT);
	nla_put_u32(msg, A_INDEX, 7);
	ck_assert_int_eq(nbdnl_parse_index(nlmsg_hdr(msg), &idx), 0);
	ck_assert_uint_eq(idx, 7);
	/* A CONNECT reply is not a LINK_DEAD. */
	ck_assert_int_eq(nbdnl_parse_link_dead(nlmsg_hdr(msg), &idx), -ENOENT);
	nlmsg_free(msg);

	msg = kernel_msg(C_LINK_DEAD);
	nla_put_u32(msg, A_INDEX, 2);
	ck_assert_int_eq(nbdnl_parse_link_dead(nlmsg_hdr(msg), &idx), 0);
	ck_assert_uint_eq(idx, 2);
	nlmsg_free(msg);

	msg = kernel_msg(C_LINK_DEAD);
	ck_assert_int_eq(nbdnl_parse_link_dead(nlmsg_hdr(msg), &idx), -ENOENT);
	ck_assert_int_eq(nbdnl_parse_index(nlmsg_hdr(msg), &idx), -ENOENT);
	nlmsg_free(msg);

	/* INDEX with the wrong size fails the policy check. */
	msg = kernel_msg(C_LINK_DEAD);
	nla_put_u8(msg, A_INDEX, 2);
	ck_assert_int_eq(nbdnl_parse_link_dead(nlmsg_hdr(msg), &idx), -EINVAL);
	nlmsg_free(msg);
}
END_TEST

/* ----------------------------------------------------- off-loop requests */

static int ticks, done_calls, done_err;
static uint32_t done_index;
static int fds_seen[2];

static int fake_run(struct nbdnl_async *a)
{
	/* The kernel freezing the queue for a while; the loop must keep going meanwhile. */
	usleep(200 * 1000);
	fds_seen[0] = a->cfg.fds[0];
	fds_seen[1] = a->cfg.fds[1];
	a->index = 4;
	return -EBUSY;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	ticks++;
}

static void on_done(struct nbdnl_async *a, int err, uint32_t index)
{
	done_calls++;
	done_err = err;
	done_index = index;
	ev_break(a->loop, EVBREAK_ALL);
}

START_TEST(async_reconfigure_keeps_loop_running)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct nbdnl_async a;
	int fds[2] = {21, 22};
	struct nbdnl_config cfg = {.index = 4, .fds = fds, .nfds = 2, .size_bytes = 1 << 20};
	ev_timer tick;

	memset(&a, 0, sizeof(a));
	a.run = fake_run;
	ev_timer_init(&tick, on_tick, 0.01, 0.01);
	ev_timer_start(loop, &tick);
	ck_assert_int_eq(nbdnl_async_start(&a, loop, NBDNL_ASYNC_RECONFIGURE, &cfg, on_done, NULL),
			 0);
	/* The caller's array may go away at once: the request holds its own copy. */
	fds[0] = fds[1] = -1;
	ev_run(loop, 0);
	ck_assert_int_eq(done_calls, 1);
	ck_assert_int_eq(done_err, -EBUSY);
	ck_assert_uint_eq(done_index, 4);
	ck_assert_int_eq(fds_seen[0], 21);
	ck_assert_int_eq(fds_seen[1], 22);
	ck_assert_int_ge(ticks, 5);
	ev_timer_stop(loop, &tick);
	ev_loop_destroy(loop);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("nbd_netlink");
	TCase *tc = tcase_create("messages");

	tcase_add_test(tc, connect_message);
	tcase_add_test(tc, connect_requires_sockets_and_size);
	tcase_add_test(tc, reconfigure_message);
	tcase_add_test(tc, disconnect_bytes);
	tcase_add_test(tc, status_message);
	tcase_add_test(tc, status_reply_parse);
	tcase_add_test(tc, connect_reply_and_link_dead);
	tcase_add_test(tc, async_reconfigure_keeps_loop_running);
	suite_add_tcase(s, tc);
	return s;
}
