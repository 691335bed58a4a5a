/*
 * util/uring: the engine names; a recv and a sendmsg through the loop's
 * ring over a socketpair; one ring per loop, counted; and the cancel
 * contract: after uring_cancel() returns, the kernel no longer writes into
 * the cancelled recv's buffer (bytes sent afterwards stay in the socket)
 * and its done callback never fires, also when its completion was already
 * reaped in the same batch as the callback that cancels it; a
 * connection's pair of operations set up and cancelled together.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../checkmain.h"
#include "util/compiler.h"
#include "util/uring.h"

struct probe {
	struct uring_op op;
	int calls, res;
	struct uring *ring;
	struct probe *victim; /* cancelled from this one's done callback */
	int cancel_ret;
};

static void probe_done(struct uring_op *op, int res)
{
	struct probe *p = container_of(op, struct probe, op);

	p->calls++;
	p->res = res;
	if (p->victim) {
		struct uring_op *const ops[] = {&p->victim->op};

		p->cancel_ret = uring_cancel(p->ring, ops, 1);
	}
}

/* Run the loop until *flag is set, at most 2 s. */
static void run_until(struct ev_loop *loop, const int *flag)
{
	ev_tstamp end = ev_time() + 2.0;

	while (!*flag && ev_time() < end)
		ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT);
}

/* The kernel must have io_uring (kernel.io_uring_disabled = 0): a failure, not a skip. */
static struct uring *ring_get(struct ev_loop *loop)
{
	struct uring *r = uring_get(loop);

	ck_assert_msg(r, "io_uring unavailable: %s", strerror(errno));
	return r;
}

START_TEST(engine_names)
{
	enum io_engine e = IO_ENGINE_URING;

	ck_assert_int_eq(io_engine_parse("epoll", &e), 0);
	ck_assert_int_eq(e, IO_ENGINE_EPOLL);
	ck_assert_int_eq(io_engine_parse("uring", &e), 0);
	ck_assert_int_eq(e, IO_ENGINE_URING);
	ck_assert_int_eq(io_engine_parse("io_uring", &e), -EINVAL);
	ck_assert_int_eq(io_engine_parse("", &e), -EINVAL);
	ck_assert_str_eq(io_engine_name(IO_ENGINE_EPOLL), "epoll");
	ck_assert_str_eq(io_engine_name(IO_ENGINE_URING), "uring");
}
END_TEST

START_TEST(one_ring_per_loop)
{
	struct ev_loop *l1 = ev_loop_new(EVFLAG_AUTO), *l2 = ev_loop_new(EVFLAG_AUTO);
	struct uring *a = ring_get(l1), *b = ring_get(l1), *c = ring_get(l2);

	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_ne(a, c);
	uring_put(b);
	uring_put(c);
	/* a still works after b's put */
	{
		struct probe p = {.op.done = probe_done};
		uint8_t buf[4];
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(uring_recv(a, &p.op, sv[0], buf, sizeof(buf)), 0);
		ck_assert_int_eq(write(sv[1], "abcd", 4), 4);
		run_until(l1, &p.calls);
		ck_assert_int_eq(p.res, 4);
		close(sv[0]);
		close(sv[1]);
	}
	uring_put(a);
	ev_loop_destroy(l1);
	ev_loop_destroy(l2);
}
END_TEST

START_TEST(recv_and_sendmsg)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct uring *r = ring_get(loop);
	struct probe rx = {.op.done = probe_done}, tx = {.op.done = probe_done};
	char out1[] = "hello ", out2[] = "ring", in[32] = {0}, peer[32] = {0};
	struct iovec iov[2] = {{out1, 6}, {out2, 4}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(uring_recv(r, &rx.op, sv[0], in, sizeof(in)), 0);
	ck_assert_int_eq(uring_recv(r, &rx.op, sv[0], in, sizeof(in)), -EBUSY);
	ck_assert_int_eq(uring_sendmsg(r, &tx.op, sv[0], &mh, MSG_NOSIGNAL), 0);
	run_until(loop, &tx.calls);
	ck_assert_int_eq(tx.calls, 1);
	ck_assert_int_eq(tx.res, 10);
	ck_assert_int_eq(read(sv[1], peer, sizeof(peer)), 10);
	ck_assert_str_eq(peer, "hello ring");
	ck_assert_int_eq(rx.calls, 0);
	ck_assert_int_eq(write(sv[1], "back", 4), 4);
	run_until(loop, &rx.calls);
	ck_assert_int_eq(rx.calls, 1);
	ck_assert_int_eq(rx.res, 4);
	ck_assert_str_eq(in, "back");
	/* The peer's close: the next recv completes with 0. */
	close(sv[1]);
	rx.calls = 0;
	ck_assert_int_eq(uring_recv(r, &rx.op, sv[0], in, sizeof(in)), 0);
	run_until(loop, &rx.calls);
	ck_assert_int_eq(rx.res, 0);
	close(sv[0]);
	uring_put(r);
	ev_loop_destroy(loop);
}
END_TEST

START_TEST(cancel_lets_go_of_the_buffer)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct uring *r = ring_get(loop);
	struct probe rx = {.op.done = probe_done};
	struct uring_op *const ops[] = {&rx.op};
	uint8_t buf[16], left[16];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(uring_recv(r, &rx.op, sv[0], buf, sizeof(buf)), 0);
	ev_run(loop, EVRUN_NOWAIT); /* submitted: the recv waits in the kernel */
	ck_assert_int_eq(uring_cancel(r, ops, 1), 0);
	ck_assert(!rx.op.busy);
	ck_assert_int_eq(write(sv[1], "late", 4), 4);
	for (ev_tstamp end = ev_time() + 0.2; ev_time() < end;)
		ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT);
	ck_assert_int_eq(rx.calls, 0);
	ck_assert_uint_eq(buf[0], 0xa5); /* nothing landed in the cancelled buffer */
	ck_assert_int_eq(recv(sv[0], left, sizeof(left), MSG_DONTWAIT),
			 4); /* still in the socket */
	/* Cancelling what is not in flight is a no-op. */
	ck_assert_int_eq(uring_cancel(r, ops, 1), 0);
	close(sv[0]);
	close(sv[1]);
	uring_put(r);
	ev_loop_destroy(loop);
}
END_TEST

/*
 * A connection's pair: uring_get_socket() hands out the loop's ring with
 * both done callbacks set; uring_cancel_socket() of a recv in flight is
 * done at the first cancel, and leaves the socket up.
 */
START_TEST(socket_get_and_cancel)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct uring *r = ring_get(loop);
	struct probe rx = {0}, tx = {0};
	struct uring *s = uring_get_socket(loop, &rx.op, probe_done, &tx.op, probe_done);
	struct uring_op *const ops[] = {&rx.op, &tx.op};
	uint8_t buf[16];
	int sv[2];

	ck_assert_ptr_eq(s, r);
	ck_assert(rx.op.done == probe_done && tx.op.done == probe_done);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(uring_recv(s, &rx.op, sv[0], buf, sizeof(buf)), 0);
	ev_run(loop, EVRUN_NOWAIT);
	ck_assert_int_eq(uring_cancel_socket(s, sv[0], ops, ARRAY_SIZE(ops)), 0);
	ck_assert(!rx.op.busy && !tx.op.busy);
	ck_assert_int_eq(rx.calls, 0);
	/* Not shut down: the socket still carries bytes both ways. */
	ck_assert_int_eq(write(sv[1], "up", 2), 2);
	ck_assert_int_eq(recv(sv[0], buf, sizeof(buf), 0), 2);
	ck_assert_int_eq(send(sv[0], "up", 2, MSG_NOSIGNAL), 2);
	close(sv[0]);
	close(sv[1]);
	uring_put(s);
	uring_put(r);
	ev_loop_destroy(loop);
}
END_TEST

START_TEST(cancel_from_a_callback_of_the_same_batch)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct uring *r = ring_get(loop);
	struct probe a = {.op.done = probe_done}, b = {.op.done = probe_done};
	uint8_t ba[8], bb[8];
	int sa[2], sb[2];

	a.ring = r;
	b.ring = r;
	a.victim = &b;
	b.victim = &a;
	a.cancel_ret = b.cancel_ret = 1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sa), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sb), 0);
	ck_assert_int_eq(uring_recv(r, &a.op, sa[0], ba, sizeof(ba)), 0);
	ck_assert_int_eq(uring_recv(r, &b.op, sb[0], bb, sizeof(bb)), 0);
	ev_run(loop, EVRUN_NOWAIT);
	/* Both complete before the loop looks: one batch of two completions. */
	ck_assert_int_eq(write(sa[1], "a", 1), 1);
	ck_assert_int_eq(write(sb[1], "b", 1), 1);
	usleep(20000);
	{
		ev_tstamp t0 = ev_time();
		int any = 0;

		while (!any && ev_time() < t0 + 2.0) {
			ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT);
			any = a.calls + b.calls;
		}
		ck_assert_msg(ev_time() - t0 < 1.0, "the cancel waited for a reaped completion");
	}
	/* Whichever ran first cancelled the other, whose done never fires. */
	ck_assert_int_eq(a.calls + b.calls, 1);
	ck_assert_int_eq(a.calls ? a.cancel_ret : b.cancel_ret, 0);
	ev_run(loop, EVRUN_NOWAIT);
	ck_assert_int_eq(a.calls + b.calls, 1);
	close(sa[0]);
	close(sa[1]);
	close(sb[0]);
	close(sb[1]);
	uring_put(r);
	ev_loop_destroy(loop);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("uring");
	TCase *tc = tcase_create("uring");

	tcase_add_test(tc, engine_names);
	tcase_add_test(tc, one_ring_per_loop);
	tcase_add_test(tc, recv_and_sendmsg);
	tcase_add_test(tc, cancel_lets_go_of_the_buffer);
	tcase_add_test(tc, socket_get_and_cancel);
	tcase_add_test(tc, cancel_from_a_callback_of_the_same_batch);
	suite_add_tcase(s, tc);
	return s;
}
