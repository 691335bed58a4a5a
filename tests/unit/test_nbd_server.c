/*
 * nbd transmission engine over socketpair() against the memory bdev: the
 * test plays the client (the kernel) with hand-built 28-byte requests and
 * checks the 16-byte replies, the data, what reached the bdev, and that the
 * stream stays in sync after every kind of rejected request.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../checkmain.h"
#include "membdev.h"
#include "nbd/bufpool.h"
#include "nbd/proto.h"
#include "nbd/server.h"
#include "util/bytes.h"
#include "util/compiler.h"
#include "util/log.h"
#include "util/uring.h"

#define DISK_SIZE (4u << 20)

static struct ev_loop *loop;
static struct membdev mem;
static struct nbdsrv_bufpool *pool;
static struct nbdsrv_conn *conn;
static struct nbdsrv_export ex;
static int cfd = -1; /* client end */
static int closed_calls, closed_err;
static uint32_t pool_free0; /* free buffers at start */
static double send_timeout; /* for the next start() */

static void on_closed(struct nbdsrv_conn *c, int err, void *opaque)
{
	closed_calls++;
	closed_err = err;
}

static void start(uint64_t size, uint32_t qd, struct nbdsrv_bufpool *p)
{
	struct nbdsrv_conn_cfg cfg = {.name = "test",
				      .queue_depth = qd,
				      .closed = on_closed,
				      .send_timeout = send_timeout};
	const char *engine = getenv("ISN_TEST_IO_ENGINE");
	enum io_engine ie = IO_ENGINE_EPOLL;
	int sv[2];

	/* ISN_TEST_IO_ENGINE=uring (tests/unit/nbd-server-uring.sh): the same tests on the ring. */
	if (engine)
		ck_assert_int_eq(io_engine_parse(engine, &ie), 0);
	io_engine_set(ie);
	loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_int_eq(membdev_init(&mem, loop, size, 512), 0);
	pool = p ? p : nbdsrv_bufpool_new_default(16, NBDSRV_MAX_PAYLOAD);
	ck_assert_ptr_nonnull(pool);
	pool_free0 = nbdsrv_bufpool_free_count(pool);
	nbdsrv_export_from_info(&ex, &mem.bd.info, false, "", NULL);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cfd = sv[0];
	ck_assert_int_eq(fcntl(cfd, F_SETFL, O_NONBLOCK), 0);
	conn = nbdsrv_conn_new(loop, sv[1], &mem.bd, &ex, pool, &cfg);
	ck_assert_ptr_nonnull(conn);
	closed_calls = 0;
	closed_err = 1;
}

static void pump(void)
{
	ev_run(loop, EVRUN_NOWAIT);
}

/* Run the loop until cond() or 5 s. */
static bool pump_until(bool (*cond)(void))
{
	time_t end = time(NULL) + 5;

	while (!cond()) {
		if (time(NULL) > end)
			return false;
		pump();
	}
	return true;
}

static void finish(void)
{
	if (cfd >= 0)
		close(cfd);
	cfd = -1;
	if (conn) {
		if (nbdsrv_conn_get_state(conn) != NBDSRV_CONN_DONE) {
			nbdsrv_conn_shutdown(conn);
			membdev_release(&mem);
			for (int i = 0; i < 1000 && !closed_calls; i++)
				pump();
		}
		ck_assert_int_eq(closed_calls, 1);
		nbdsrv_conn_free(conn);
		conn = NULL;
	}
	ck_assert_uint_eq(mem.inflight, 0);
	membdev_destroy(&mem);
	nbdsrv_bufpool_free(pool);
	pool = NULL;
	ev_loop_destroy(loop);
}

static void send_all(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	time_t end = time(NULL) + 5;

	while (len) {
		ssize_t n = write(cfd, p, len);

		if (n < 0) {
			ck_assert(errno == EAGAIN);
			ck_assert(time(NULL) <= end);
			pump();
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Returns bytes read: len, or fewer on EOF. */
static size_t recv_all(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;
	time_t end = time(NULL) + 5;

	while (got < len) {
		ssize_t n = read(cfd, p + got, len - got);

		if (n == 0)
			break;
		if (n < 0) {
			ck_assert(errno == EAGAIN);
			ck_assert_msg(time(NULL) <= end, "timed out waiting for the server");
			pump();
			continue;
		}
		got += (size_t)n;
	}
	return got;
}

static void send_req_magic(uint32_t magic, uint16_t type, uint16_t flags, uint64_t cookie,
			   uint64_t off, uint32_t len)
{
	uint8_t h[28];

	put_be32(h, magic);
	put_be16(h + 4, flags);
	put_be16(h + 6, type);
	put_be64(h + 8, cookie);
	put_be64(h + 16, off);
	put_be32(h + 24, len);
	send_all(h, sizeof(h));
}

static void send_req(uint16_t type, uint16_t flags, uint64_t cookie, uint64_t off, uint32_t len)
{
	send_req_magic(NBDSRV_REQUEST_MAGIC, type, flags, cookie, off, len);
}

/* Read one simple reply; returns its error, stores the cookie. */
static uint32_t recv_reply(uint64_t *cookie)
{
	uint8_t r[16];

	ck_assert_uint_eq(recv_all(r, 16), 16);
	ck_assert_uint_eq(get_be32(r), 0x67446698u);
	*cookie = get_be64(r + 8);
	return get_be32(r + 4);
}

static void expect_reply(uint64_t cookie, uint32_t err)
{
	uint64_t c;

	ck_assert_uint_eq(recv_reply(&c), err);
	ck_assert(c == cookie);
}

static void fill(uint8_t *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 9));
}

static void write_at(uint64_t cookie, uint64_t off, const uint8_t *data, uint32_t len)
{
	send_req(NBDSRV_CMD_WRITE, 0, cookie, off, len);
	send_all(data, len);
	expect_reply(cookie, 0);
}

static void read_at(uint64_t cookie, uint64_t off, uint8_t *data, uint32_t len)
{
	send_req(NBDSRV_CMD_READ, 0, cookie, off, len);
	expect_reply(cookie, 0);
	ck_assert_uint_eq(recv_all(data, len), len);
}

static bool all_reads_counted(void)
{
	return nbdsrv_conn_stats(conn)->bytes_read == 65536 + 8192;
}

START_TEST(write_then_read_back)
{
	static uint8_t w[65536], r[65536];

	start(DISK_SIZE, 0, NULL);
	fill(w, sizeof(w), 1);
	write_at(0x1111, 4096, w, sizeof(w));
	ck_assert_mem_eq(mem.data + 4096, w, sizeof(w));
	read_at(0x2222, 4096, r, sizeof(r));
	ck_assert_mem_eq(r, w, sizeof(w));
	/* A read spanning written and untouched blocks. */
	read_at(0x3333, 0, r, 8192);
	for (int i = 0; i < 4096; i++)
		ck_assert_uint_eq(r[i], 0);
	ck_assert_mem_eq(r + 4096, w, 4096);
	/* With io_uring the send's completion (which counts the bytes) may come a turn later. */
	ck_assert(pump_until(all_reads_counted));
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->requests, 3);
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->bytes_written, 65536);
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->bytes_read, 65536 + 8192);
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->errors, 0);
	finish();
}
END_TEST

static uint32_t want_inflight;
static bool mem_has_want(void)
{
	return mem.inflight >= want_inflight;
}

START_TEST(many_in_flight)
{
	enum { N = 32, LEN = 8192 };
	static uint8_t w[N][LEN], r[LEN];
	bool seen[N] = {false};

	start(DISK_SIZE, 64, nbdsrv_bufpool_new_default(64, NBDSRV_MAX_PAYLOAD));
	mem.hold = true;
	for (int i = 0; i < N; i++) {
		fill(w[i], LEN, (unsigned)i + 3);
		send_req(NBDSRV_CMD_WRITE, 0, 1000 + (uint64_t)i, (uint64_t)i * LEN, LEN);
		send_all(w[i], LEN);
	}
	want_inflight = N;
	ck_assert(pump_until(mem_has_want));
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->inflight, N);
	membdev_release(&mem);
	for (int i = 0; i < N; i++) {
		uint64_t c;

		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert(c >= 1000 && c < 1000 + N && !seen[c - 1000]);
		seen[c - 1000] = true;
	}
	/* Reads in flight together too, then checked one by one. */
	mem.hold = true;
	for (int i = 0; i < N; i++)
		send_req(NBDSRV_CMD_READ, 0, 2000 + (uint64_t)i, (uint64_t)i * LEN, LEN);
	ck_assert(pump_until(mem_has_want));
	membdev_release(&mem);
	for (int i = 0; i < N; i++) {
		uint64_t c;

		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert(c >= 2000 && c < 2000 + N);
		ck_assert_uint_eq(recv_all(r, LEN), LEN);
		ck_assert_mem_eq(r, w[c - 2000], LEN);
	}
	ck_assert_uint_ge(mem.max_inflight, N);
	finish();
}
END_TEST

/*
 * Many requests in one stream, more than the read-ahead buffer holds, fed
 * in odd-sized pieces so that headers and payloads straddle every read:
 * each request is parsed once, in order, and its bytes land where they
 * belong.
 */
START_TEST(burst_straddles_read_ahead)
{
	enum { N = 48, PIECE = 1000 };
	static uint8_t stream[N * (28 + 9 * 512)], data[N][9 * 512], r[9 * 512];
	bool seen[N] = {false};
	size_t len = 0;
	uint64_t off = 0;

	start(DISK_SIZE, 128, nbdsrv_bufpool_new_default(64, NBDSRV_MAX_PAYLOAD));
	for (int i = 0; i < N; i++) {
		uint32_t l = 512u * (1u + (unsigned)i % 9u);

		put_be32(stream + len, NBDSRV_REQUEST_MAGIC);
		put_be16(stream + len + 4, 0);
		put_be16(stream + len + 6, NBDSRV_CMD_WRITE);
		put_be64(stream + len + 8, 5000 + (uint64_t)i);
		put_be64(stream + len + 16, off);
		put_be32(stream + len + 24, l);
		fill(data[i], l, (unsigned)i + 11);
		memcpy(stream + len + 28, data[i], l);
		len += 28 + l;
		off += l;
	}
	ck_assert_uint_gt(len, 32u << 10);
	for (size_t o = 0; o < len; o += PIECE) {
		send_all(stream + o, MIN((size_t)PIECE, len - o));
		pump();
	}
	for (int i = 0; i < N; i++) {
		uint64_t c;

		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert(c >= 5000 && c < 5000 + N && !seen[c - 5000]);
		seen[c - 5000] = true;
	}
	off = 0;
	for (int i = 0; i < N; i++) {
		uint32_t l = 512u * (1u + (unsigned)i % 9u);
		uint64_t c;

		send_req(NBDSRV_CMD_READ, 0, 6000 + (uint64_t)i, off, l);
		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert_uint_eq(c, 6000 + (uint64_t)i);
		ck_assert_uint_eq(recv_all(r, l), l);
		ck_assert_mem_eq(r, data[i], l);
		off += l;
	}
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->requests, 2 * N);
	finish();
}
END_TEST

START_TEST(flush_trim_write_zeroes_fua)
{
	static uint8_t w[16384], r[16384];

	start(DISK_SIZE, 0, NULL);
	fill(w, sizeof(w), 9);
	write_at(1, 0, w, sizeof(w));

	send_req(NBDSRV_CMD_FLUSH, 0, 2, 0, 0);
	expect_reply(2, 0);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_FLUSH], 1);

	send_req(NBDSRV_CMD_TRIM, 0, 3, 0, 4096);
	expect_reply(3, 0);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_DISCARD], 1);

	send_req(NBDSRV_CMD_WRITE_ZEROES, NBDSRV_CMD_FLAG_NO_HOLE, 4, 8192, 4096);
	expect_reply(4, 0);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_WRITE_ZEROES], 1);
	ck_assert_uint_eq(mem.last_flags[BDEV_OP_WRITE_ZEROES], BDEV_F_NO_UNMAP);

	read_at(5, 0, r, sizeof(r));
	for (int i = 0; i < 4096; i++)
		ck_assert_uint_eq(r[i], 0);
	ck_assert_mem_eq(r + 4096, w + 4096, 4096);
	for (int i = 8192; i < 12288; i++)
		ck_assert_uint_eq(r[i], 0);
	ck_assert_mem_eq(r + 12288, w + 12288, 4096);

	/* FUA on WRITE reaches the bdev as BDEV_F_FUA. */
	send_req(NBDSRV_CMD_WRITE, NBDSRV_CMD_FLAG_FUA, 6, 0, 512);
	send_all(w, 512);
	expect_reply(6, 0);
	ck_assert_uint_eq(mem.fua_writes, 1);
	ck_assert_uint_eq(mem.last_flags[BDEV_OP_WRITE], BDEV_F_FUA);

	/* TRIM with FUA: discard, then a FLUSH before the reply. */
	send_req(NBDSRV_CMD_TRIM, NBDSRV_CMD_FLAG_FUA, 7, 0, 512);
	expect_reply(7, 0);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_DISCARD], 2);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_FLUSH], 2);
	finish();
}
END_TEST

START_TEST(long_trim_is_chunked)
{
	/* 80 MiB TRIM: chunks of 32 + 32 + 16 MiB, one reply. */
	start(128u << 20, 0, NULL);
	mem.data[(80u << 20) - 1] = 0x5a;
	mem.data[80u << 20] = 0x5b;
	send_req(NBDSRV_CMD_TRIM, 0, 42, 0, 80u << 20);
	expect_reply(42, 0);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_DISCARD], 3);
	ck_assert_uint_eq(mem.last_len[BDEV_OP_DISCARD], 16u << 20);
	ck_assert_uint_eq(mem.data[(80u << 20) - 1], 0);
	ck_assert_uint_eq(mem.data[80u << 20], 0x5b);
	/* A failing chunk fails the whole request, with the table's error. */
	mem.fail_err = -EIO;
	mem.fail_ops = 1u << BDEV_OP_WRITE_ZEROES;
	mem.fail_count = 1;
	send_req(NBDSRV_CMD_WRITE_ZEROES, 0, 43, 0, 40u << 20);
	expect_reply(43, NBDSRV_EIO);
	finish();
}
END_TEST

START_TEST(bad_requests_keep_stream_in_sync)
{
	static uint8_t w[4096], r[4096];
	static uint8_t big[65536];
	uint32_t over = (32u << 20) + 512;

	start(DISK_SIZE, 0, NULL);
	fill(w, sizeof(w), 5);
	/* Out of range WRITE with payload: ENOSPC, payload swallowed. */
	send_req(NBDSRV_CMD_WRITE, 0, 10, DISK_SIZE, sizeof(w));
	send_all(w, sizeof(w));
	expect_reply(10, NBDSRV_ENOSPC);
	/* Misaligned WRITE with payload: EINVAL, payload swallowed. */
	send_req(NBDSRV_CMD_WRITE, 0, 11, 100, 1000);
	send_all(w, 1000);
	expect_reply(11, NBDSRV_EINVAL);
	/* Misaligned and out-of-range READ. */
	send_req(NBDSRV_CMD_READ, 0, 12, 1, 512);
	expect_reply(12, NBDSRV_EINVAL);
	send_req(NBDSRV_CMD_READ, 0, 13, DISK_SIZE - 512, 1024);
	expect_reply(13, NBDSRV_EINVAL);
	/* Oversized READ (no payload follows) and oversized WRITE (32 MiB + 512 follow). */
	send_req(NBDSRV_CMD_READ, 0, 14, 0, over);
	expect_reply(14, NBDSRV_EINVAL);
	send_req(NBDSRV_CMD_WRITE, 0, 15, 0, over);
	for (uint32_t sent = 0; sent < over; sent += MIN(over - sent, (uint32_t)sizeof(big)))
		send_all(big, MIN(over - sent, (uint32_t)sizeof(big)));
	expect_reply(15, NBDSRV_EINVAL);
	/* Unknown command and unsupported flag. */
	send_req(42, 0, 16, 0, 512);
	expect_reply(16, NBDSRV_EINVAL);
	send_req(NBDSRV_CMD_READ, NBDSRV_CMD_FLAG_DF, 17, 0, 512);
	expect_reply(17, NBDSRV_EINVAL);
	/* Nothing of that reached the disk, and the stream is still in sync. */
	for (int i = 0; i < 8192; i++)
		ck_assert_uint_eq(mem.data[i], 0);
	write_at(18, 512, w, sizeof(w));
	read_at(19, 512, r, sizeof(r));
	ck_assert_mem_eq(r, w, sizeof(w));
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->rejected, 8);
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->errors, 8);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_WRITE], 1);
	finish();
}
END_TEST

/* Lines the server logs at warning or worse, the last one kept. */
static unsigned int warn_lines;
static char last_warn[256];

static void count_warn(int prio, const char *line, void *opaque)
{
	(void)opaque;
	if (prio > LOG_WARNING)
		return;
	warn_lines++;
	snprintf(last_warn, sizeof(last_warn), "%s", line);
}

START_TEST(bdev_errors_mapped)
{
	static uint8_t w[512];

	warn_lines = 0;
	log_set_hook(count_warn, NULL);
	start(DISK_SIZE, 0, NULL);
	mem.fail_ops = 1u << BDEV_OP_WRITE;
	mem.fail_count = -1;
	mem.fail_err = -EROFS;
	send_req(NBDSRV_CMD_WRITE, 0, 1, 0, 512);
	send_all(w, 512);
	expect_reply(1, NBDSRV_EPERM);
	mem.fail_err = -ETIMEDOUT;
	send_req(NBDSRV_CMD_WRITE, 0, 2, 0, 512);
	send_all(w, 512);
	expect_reply(2, NBDSRV_EIO);
	mem.fail_err = -ENOSPC;
	send_req(NBDSRV_CMD_WRITE, 0, 3, 0, 512);
	send_all(w, 512);
	expect_reply(3, NBDSRV_ENOSPC);
	mem.fail_ops = 1u << BDEV_OP_READ;
	mem.fail_err = -EIO;
	/* A failed READ carries no payload: the next reply follows directly. */
	send_req(NBDSRV_CMD_READ, 0, 4, 0, 512);
	expect_reply(4, NBDSRV_EIO);
	mem.fail_err = 0;
	/* submit() refusing: the reply carries its error, done never fires. */
	mem.submit_err = -ENOMEM;
	send_req(NBDSRV_CMD_FLUSH, 0, 5, 0, 0);
	expect_reply(5, NBDSRV_ENOMEM);
	mem.submit_err = 0;
	send_req(NBDSRV_CMD_READ, 0, 6, 0, 512);
	expect_reply(6, 0);
	ck_assert_uint_eq(recv_all(w, 512), 512);
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->errors, 5);
	/* A failure done() reports was logged by the bdev, which knows why
	 * (bdev.h): only the refusal by submit() is the server's line. */
	ck_assert_uint_eq(warn_lines, 1);
	ck_assert_ptr_nonnull(strstr(last_warn, "FLUSH offset 0 len 0: submit failed"));
	log_set_hook(NULL, NULL);
	finish();
}
END_TEST

static bool conn_closed(void)
{
	return closed_calls > 0;
}

START_TEST(disc_waits_for_in_flight)
{
	static uint8_t w[4][4096];
	uint8_t b;

	start(DISK_SIZE, 0, NULL);
	mem.hold = true;
	for (int i = 0; i < 4; i++) {
		fill(w[i], 4096, (unsigned)i);
		send_req(NBDSRV_CMD_WRITE, 0, 100 + (uint64_t)i, (uint64_t)i * 4096, 4096);
		send_all(w[i], 4096);
	}
	send_req(NBDSRV_CMD_DISC, 0, 999, 0, 0);
	want_inflight = 4;
	ck_assert(pump_until(mem_has_want));
	for (int i = 0; i < 20; i++)
		pump();
	ck_assert_int_eq(nbdsrv_conn_get_state(conn), NBDSRV_CONN_DRAIN);
	ck_assert_int_eq(closed_calls, 0);
	membdev_release(&mem);
	/* All four replies arrive, then EOF: DISC itself has no reply. */
	for (int i = 0; i < 4; i++) {
		uint64_t c;

		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert(c >= 100 && c < 104);
	}
	ck_assert_uint_eq(recv_all(&b, 1), 0);
	ck_assert(pump_until(conn_closed));
	ck_assert_int_eq(closed_err, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_mem_eq(mem.data + i * 4096, w[i], 4096);
	finish();
}
END_TEST

START_TEST(eof_mid_payload)
{
	static uint8_t w[1000];

	start(DISK_SIZE, 0, NULL);
	send_req(NBDSRV_CMD_WRITE, 0, 1, 0, 65536);
	send_all(w, sizeof(w));
	close(cfd);
	cfd = -1;
	ck_assert(pump_until(conn_closed));
	ck_assert_int_eq(closed_err, -ECONNRESET);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_WRITE], 0);
	/* The partly received request's buffer went back to the pool. */
	ck_assert_uint_eq(nbdsrv_bufpool_free_count(pool), pool_free0);
	finish();
}
END_TEST

START_TEST(eof_with_requests_in_flight)
{
	start(DISK_SIZE, 0, NULL);
	mem.hold = true;
	for (int i = 0; i < 3; i++)
		send_req(NBDSRV_CMD_READ, 0, (uint64_t)i, 0, 4096);
	want_inflight = 3;
	ck_assert(pump_until(mem_has_want));
	close(cfd);
	cfd = -1;
	for (int i = 0; i < 50; i++)
		pump();
	/* Dead, but the bdev still holds three requests: nothing may be freed yet. */
	ck_assert_int_eq(nbdsrv_conn_get_state(conn), NBDSRV_CONN_DEAD);
	ck_assert_int_eq(closed_calls, 0);
	membdev_release(&mem);
	ck_assert(pump_until(conn_closed));
	ck_assert_uint_eq(mem.completed, 3);
	ck_assert_uint_eq(nbdsrv_bufpool_free_count(pool), pool_free0);
	finish();
}
END_TEST

START_TEST(bad_magic_drops_connection)
{
	uint8_t b;

	start(DISK_SIZE, 0, NULL);
	send_req_magic(0x12560953, NBDSRV_CMD_READ, 0, 1, 0, 512);
	ck_assert(pump_until(conn_closed));
	ck_assert_int_eq(closed_err, -EPROTO);
	ck_assert_uint_eq(recv_all(&b, 1), 0);
	finish();
}
END_TEST

START_TEST(pool_backpressure)
{
	/* Two buffers only: the third READ waits, reading stops, nothing is allocated. */
	struct nbdsrv_bufclass cls = {.size = 65536, .count = 2};
	static uint8_t r[4096];

	start(DISK_SIZE, 0, nbdsrv_bufpool_new(&cls, 1));
	memset(mem.data, 0x77, 8 * 4096);
	mem.hold = true;
	for (int i = 0; i < 5; i++)
		send_req(NBDSRV_CMD_READ, 0, (uint64_t)i, (uint64_t)i * 4096, 4096);
	want_inflight = 2;
	ck_assert(pump_until(mem_has_want));
	for (int i = 0; i < 50; i++)
		pump();
	ck_assert_uint_eq(mem.inflight, 2);
	ck_assert_int_eq(nbdsrv_conn_get_state(conn), NBDSRV_CONN_WAIT_BUF);
	membdev_release(&mem);
	for (int i = 0; i < 5; i++) {
		uint64_t c;

		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert_uint_eq(recv_all(r, sizeof(r)), sizeof(r));
		ck_assert_uint_eq(r[0], 0x77);
	}
	ck_assert_uint_eq(mem.max_inflight, 2);
	/* A request larger than any buffer could never be served: refused, not stuck. */
	send_req(NBDSRV_CMD_READ, 0, 9, 0, 65536 + 512);
	expect_reply(9, NBDSRV_EINVAL);
	send_req(NBDSRV_CMD_WRITE, 0, 10, 0, 65536 + 512);
	{
		static uint8_t w[65536 + 512];

		send_all(w, sizeof(w));
	}
	expect_reply(10, NBDSRV_EINVAL);
	send_req(NBDSRV_CMD_READ, 0, 11, 0, 65536);
	expect_reply(11, 0);
	{
		static uint8_t big[65536];

		ck_assert_uint_eq(recv_all(big, sizeof(big)), sizeof(big));
		ck_assert_uint_eq(big[0], 0x77);
		ck_assert_uint_eq(big[65535], 0); /* only 32 KiB were set */
	}
	finish();
}
END_TEST

START_TEST(slot_backpressure)
{
	start(DISK_SIZE, 4, NULL);
	mem.hold = true;
	for (int i = 0; i < 8; i++)
		send_req(NBDSRV_CMD_FLUSH, 0, (uint64_t)i, 0, 0);
	want_inflight = 4;
	ck_assert(pump_until(mem_has_want));
	for (int i = 0; i < 50; i++)
		pump();
	ck_assert_uint_eq(mem.inflight, 4);
	ck_assert_int_eq(nbdsrv_conn_get_state(conn), NBDSRV_CONN_WAIT_SLOT);
	membdev_release(&mem);
	for (int i = 0; i < 8; i++) {
		uint64_t c;

		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert(c < 8);
	}
	ck_assert_uint_eq(mem.submitted[BDEV_OP_FLUSH], 8);
	finish();
}
END_TEST

static bool all_completed(void)
{
	return mem.completed >= want_inflight;
}

START_TEST(replies_queue_when_socket_blocks)
{
	/* 16 x 256 KiB of read replies, far beyond the socket buffer, client not reading. */
	enum { N = 16, LEN = 256 << 10 };
	static uint8_t r[LEN], w[LEN];

	start(DISK_SIZE, 0, nbdsrv_bufpool_new_default(16, NBDSRV_MAX_PAYLOAD));
	for (int i = 0; i < N; i++) {
		fill(w, LEN, (unsigned)i);
		memcpy(mem.data + (size_t)i * LEN, w, LEN);
		send_req(NBDSRV_CMD_READ, 0, (uint64_t)i, (uint64_t)i * LEN, LEN);
	}
	want_inflight = N;
	ck_assert(pump_until(all_completed));
	for (int i = 0; i < N; i++) {
		uint64_t c;

		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert(c < N);
		ck_assert_uint_eq(recv_all(r, LEN), LEN);
		fill(w, LEN, (unsigned)c);
		ck_assert_mem_eq(r, w, LEN);
	}
	finish();
}
END_TEST

START_TEST(zero_length_requests)
{
	start(DISK_SIZE, 0, NULL);
	send_req(NBDSRV_CMD_READ, 0, 1, 0, 0);
	expect_reply(1, 0);
	send_req(NBDSRV_CMD_WRITE, 0, 2, 0, 0);
	expect_reply(2, 0);
	send_req(NBDSRV_CMD_TRIM, 0, 3, 0, 0);
	expect_reply(3, 0);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_READ] + mem.submitted[BDEV_OP_WRITE] +
				  mem.submitted[BDEV_OP_DISCARD],
			  0);
	finish();
}
END_TEST

START_TEST(shutdown_drains)
{
	static uint8_t r[4096];
	uint8_t b;

	start(DISK_SIZE, 0, NULL);
	mem.hold = true;
	send_req(NBDSRV_CMD_READ, 0, 7, 0, 4096);
	want_inflight = 1;
	ck_assert(pump_until(mem_has_want));
	nbdsrv_conn_shutdown(conn);
	ck_assert_int_eq(closed_calls, 0);
	membdev_release(&mem);
	expect_reply(7, 0);
	ck_assert_uint_eq(recv_all(r, 4096), 4096);
	ck_assert_uint_eq(recv_all(&b, 1), 0);
	ck_assert(pump_until(conn_closed));
	ck_assert_int_eq(closed_err, 0);
	finish();
}
END_TEST

START_TEST(client_not_reading_is_dropped)
{
	/* Replies pile up unread: after send_timeout the connection goes, buffers come back. */
	enum { N = 16, LEN = 256 << 10 };
	time_t end;

	send_timeout = 0.3;
	start(DISK_SIZE, 0, nbdsrv_bufpool_new_default(16, NBDSRV_MAX_PAYLOAD));
	send_timeout = 0;
	for (int i = 0; i < N; i++)
		send_req(NBDSRV_CMD_READ, 0, (uint64_t)i, (uint64_t)i * LEN, LEN);
	end = time(NULL) + 5;
	while (!closed_calls && time(NULL) <= end)
		pump();
	ck_assert_int_eq(closed_calls, 1);
	ck_assert_int_eq(closed_err, -ETIMEDOUT);
	ck_assert_uint_eq(nbdsrv_bufpool_free_count(pool), pool_free0);
	finish();
}
END_TEST

START_TEST(slow_reader_is_kept)
{
	/* A client that reads slowly but steadily is not cut off by the same timeout. */
	enum { N = 16, LEN = 256 << 10 };
	static uint8_t r[LEN];

	send_timeout = 0.5;
	start(DISK_SIZE, 0, nbdsrv_bufpool_new_default(16, NBDSRV_MAX_PAYLOAD));
	send_timeout = 0;
	for (int i = 0; i < N; i++)
		send_req(NBDSRV_CMD_READ, 0, (uint64_t)i, (uint64_t)i * LEN, LEN);
	for (int i = 0; i < N; i++) {
		uint64_t c;
		struct timespec ts = {0, 100 * 1000 * 1000};

		nanosleep(&ts, NULL); /* 1.6 s in total, 0.1 s between replies */
		ck_assert_uint_eq(recv_reply(&c), 0);
		ck_assert_uint_eq(recv_all(r, LEN), LEN);
	}
	ck_assert_int_eq(closed_calls, 0);
	finish();
}
END_TEST

static int closed2_calls;
static void on_closed2(struct nbdsrv_conn *c, int err, void *opaque)
{
	closed2_calls++;
}

START_TEST(shared_pool_wakes_other_connection)
{
	/* One buffer for two connections: B waits while A holds it, and is woken when A's reply
	 * goes. */
	struct nbdsrv_bufclass cls = {.size = 65536, .count = 1};
	struct nbdsrv_conn_cfg cfg2 = {.name = "test2", .closed = on_closed2};
	struct nbdsrv_conn *conn2;
	static uint8_t r[4096];
	int sv[2], cfd_a;
	uint64_t c;

	start(DISK_SIZE, 0, nbdsrv_bufpool_new(&cls, 1));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	conn2 = nbdsrv_conn_new(loop, sv[1], &mem.bd, &ex, pool, &cfg2);
	ck_assert_ptr_nonnull(conn2);
	closed2_calls = 0;
	memset(mem.data, 0x21, 4096);
	mem.hold = true;
	send_req(NBDSRV_CMD_READ, 0, 1, 0, 4096); /* on A */
	want_inflight = 1;
	ck_assert(pump_until(mem_has_want));
	cfd_a = cfd;
	cfd = sv[0];
	send_req(NBDSRV_CMD_READ, 0, 2, 0, 4096); /* on B */
	for (int i = 0; i < 50; i++)
		pump();
	ck_assert_int_eq(nbdsrv_conn_get_state(conn2), NBDSRV_CONN_WAIT_BUF);
	ck_assert_uint_eq(mem.inflight, 1);
	membdev_release(&mem);
	ck_assert_uint_eq(recv_reply(&c), 0); /* B's reply: A's buffer was passed on */
	ck_assert(c == 2);
	ck_assert_uint_eq(recv_all(r, sizeof(r)), sizeof(r));
	ck_assert_uint_eq(r[0], 0x21);
	cfd = cfd_a;
	ck_assert_uint_eq(recv_reply(&c), 0);
	ck_assert(c == 1);
	ck_assert_uint_eq(recv_all(r, sizeof(r)), sizeof(r));
	close(sv[0]);
	while (!closed2_calls)
		pump();
	nbdsrv_conn_free(conn2);
	finish();
}
END_TEST

START_TEST(export_resized_live)
{
	struct nbdsrv_export small;
	static uint8_t r[512];

	start(DISK_SIZE, 0, NULL);
	small = ex;
	small.size = DISK_SIZE / 2;
	nbdsrv_conn_set_export(conn, &small);
	send_req(NBDSRV_CMD_READ, 0, 1, DISK_SIZE - 512, 512);
	expect_reply(1, NBDSRV_EINVAL);
	nbdsrv_conn_set_export(conn, &ex);
	read_at(2, DISK_SIZE - 512, r, sizeof(r));
	finish();
}
END_TEST

START_TEST(bdev_completing_inside_submit)
{
	/* A bdev that calls done() from inside submit(): counters and replies stay right. */
	static uint8_t w[8192], r[8192];

	start(DISK_SIZE, 0, NULL);
	mem.complete_in_submit = true;
	fill(w, sizeof(w), 11);
	write_at(1, 0, w, sizeof(w));
	read_at(2, 0, r, sizeof(r));
	ck_assert_mem_eq(r, w, sizeof(w));
	send_req(NBDSRV_CMD_TRIM, NBDSRV_CMD_FLAG_FUA, 3, 0, 4096);
	expect_reply(3, 0);
	ck_assert_uint_eq(mem.submitted[BDEV_OP_FLUSH], 1);
	ck_assert_uint_eq(nbdsrv_conn_stats(conn)->inflight, 0);
	finish();
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("nbd_server");
	TCase *tc = tcase_create("transmission");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, write_then_read_back);
	tcase_add_test(tc, many_in_flight);
	tcase_add_test(tc, flush_trim_write_zeroes_fua);
	tcase_add_test(tc, long_trim_is_chunked);
	tcase_add_test(tc, bad_requests_keep_stream_in_sync);
	tcase_add_test(tc, bdev_errors_mapped);
	tcase_add_test(tc, disc_waits_for_in_flight);
	tcase_add_test(tc, eof_mid_payload);
	tcase_add_test(tc, eof_with_requests_in_flight);
	tcase_add_test(tc, bad_magic_drops_connection);
	tcase_add_test(tc, pool_backpressure);
	tcase_add_test(tc, slot_backpressure);
	tcase_add_test(tc, replies_queue_when_socket_blocks);
	tcase_add_test(tc, zero_length_requests);
	tcase_add_test(tc, shutdown_drains);
	tcase_add_test(tc, bdev_completing_inside_submit);
	tcase_add_test(tc, export_resized_live);
	tcase_add_test(tc, shared_pool_wakes_other_connection);
	tcase_add_test(tc, client_not_reading_is_dropped);
	tcase_add_test(tc, slow_reader_is_kept);
	tcase_add_test(tc, burst_straddles_read_ahead);
	suite_add_tcase(s, tc);
	return s;
}
