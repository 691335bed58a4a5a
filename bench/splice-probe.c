/*
 * splice-probe: what the zero-copy read path could save, measured without
 * building it into the daemon (docs/perf-design.md, "Copies on reads").
 *
 * Three processes stand in for the pieces of a 1 MiB read through the
 * bridge on loopback:
 *   target  sends iSCSI-shaped PDUs over TCP: a 48-byte header whose bytes
 *           5-7 hold the segment length, then the segment (256 KiB, our
 *           default MaxRecvDataSegmentLength), four per read;
 *   bridge  reads them and sends each read as one NBD simple reply (16-byte
 *           header, then the data) into a Unix stream socket;
 *   client  reads the replies (one copy, as fio's nbd engine and the
 *           kernel's nbd driver make).
 * The bridge runs in one of two modes, alternating in rounds:
 *   copy    recv() the segment into a buffer, sendmsg() header and buffer:
 *           what the daemon does today (two copies of every byte);
 *   splice  splice() the segment from the TCP socket into a pipe, then the
 *           pipe into the Unix socket after the header: pages move, no byte
 *           is copied by the bridge. When the pipe has no room left (TCP
 *           hands over fragments, one pipe slot each) the read falls back
 *           to copying; the count is printed.
 * Sockets are non-blocking and waited on with poll(), as in the daemon;
 * the bridge reads each PDU header on its own (no read-ahead), as the
 * splice path must.
 *
 * Prints, per mode, the median and range over the rounds of: throughput,
 * the bridge's CPU seconds per GiB (user + system, from wait4), and the
 * CPU seconds per GiB of all three processes.
 *
 * Build and run (see bench/splice-probe.sh):
 *   cc -O2 -o splice-probe bench/splice-probe.c && ./splice-probe -r 5 -g 4
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HDR_LEN	  48
#define SEG_LEN	  (256u * 1024)
#define READ_LEN  (1024u * 1024)
#define SEGS	  (READ_LEN / SEG_LEN)
#define REPLY_HDR 16

enum mode { MODE_COPY, MODE_SPLICE, MODE_N };
static const char *const mode_names[MODE_N] = {"copy", "splice"};

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void wait_fd(int fd, short ev)
{
	struct pollfd p = {.fd = fd, .events = ev};

	while (poll(&p, 1, 10000) != 1) {
		if (errno != EINTR)
			die("poll (10 s without progress)");
	}
}

static void set_nonblock(int fd)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		die("fcntl");
}

/* Exactly len bytes from a non-blocking socket or pipe. */
static void recv_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r > 0) {
			got += (size_t)r;
		} else if (r == 0) {
			fprintf(stderr, "splice-probe: early EOF\n");
			exit(2);
		} else if (errno == EAGAIN) {
			wait_fd(fd, POLLIN);
		} else if (errno != EINTR) {
			die("read");
		}
	}
}

static void send_all(int fd, struct iovec *iov, int n, int flags)
{
	while (n > 0) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t r = sendmsg(fd, &mh, flags);

		if (r < 0) {
			if (errno == EAGAIN)
				wait_fd(fd, POLLOUT);
			else if (errno != EINTR)
				die("sendmsg");
			continue;
		}
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
}

static void target(int lfd, unsigned long reads)
{
	static uint8_t data[SEG_LEN];
	uint8_t hdr[HDR_LEN] = {0x25, 0x80};
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	memset(data, 0xa5, sizeof(data));
	hdr[5] = (uint8_t)(SEG_LEN >> 16);
	hdr[6] = (uint8_t)(SEG_LEN >> 8);
	hdr[7] = (uint8_t)SEG_LEN;
	for (unsigned long i = 0; i < reads * SEGS; i++) {
		struct iovec iov[2] = {{hdr, HDR_LEN}, {data, SEG_LEN}};
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
		size_t left = HDR_LEN + SEG_LEN;

		while (left) {
			ssize_t r = sendmsg(fd, &mh, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				die("target sendmsg");
			}
			left -= (size_t)r;
			while (mh.msg_iovlen && (size_t)r >= mh.msg_iov->iov_len) {
				r -= (ssize_t)mh.msg_iov->iov_len;
				mh.msg_iov++;
				mh.msg_iovlen--;
			}
			if (mh.msg_iovlen) {
				mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + r;
				mh.msg_iov->iov_len -= (size_t)r;
			}
		}
	}
	close(fd);
}

static void client(int fd, unsigned long reads)
{
	static uint8_t buf[REPLY_HDR + READ_LEN];

	for (unsigned long i = 0; i < reads; i++) {
		size_t got = 0;

		while (got < sizeof(buf)) {
			ssize_t r = recv(fd, buf + got, sizeof(buf) - got, MSG_WAITALL);

			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				die("client recv");
			}
			got += (size_t)r;
		}
		if (buf[REPLY_HDR] != 0xa5 || buf[sizeof(buf) - 1] != 0xa5) {
			fprintf(stderr, "splice-probe: wrong bytes in a reply\n");
			exit(2);
		}
	}
}

static uint32_t seg_len(const uint8_t *h)
{
	return (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
}

/*
 * Move len bytes of the socket into the pipe. Returns how many went in;
 * fewer than len only when the pipe has no slot left.
 */
static size_t splice_in(int sfd, int pw, size_t len)
{
	size_t moved = 0;

	while (moved < len) {
		ssize_t r =
			splice(sfd, NULL, pw, NULL, len - moved, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		int avail = 0;

		if (r > 0) {
			moved += (size_t)r;
			continue;
		}
		if (r == 0) {
			fprintf(stderr, "splice-probe: EOF while splicing\n");
			exit(2);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			die("splice in");
		if (ioctl(sfd, FIONREAD, &avail) == 0 && avail > 0)
			return moved; /* data waits, so the pipe is full */
		wait_fd(sfd, POLLIN);
	}
	return moved;
}

static void splice_out(int pr, int ufd, size_t len)
{
	while (len) {
		ssize_t r = splice(pr, NULL, ufd, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (r > 0) {
			len -= (size_t)r;
		} else if (r < 0 && errno == EAGAIN) {
			wait_fd(ufd, POLLOUT);
		} else if (!(r < 0 && errno == EINTR)) {
			die("splice out");
		}
	}
}

static void bridge(struct sockaddr_in *sa, int ufd, unsigned long reads, enum mode m,
		   unsigned long *fallbacks)
{
	static uint8_t buf[READ_LEN];
	uint8_t hdr[HDR_LEN], reply[REPLY_HDR] = {0x67, 0x44, 0x66, 0x98};
	int p[2] = {-1, -1};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0)
		die("connect");
	set_nonblock(fd);
	set_nonblock(ufd);
	if (m == MODE_SPLICE) {
		if (pipe2(p, O_NONBLOCK) < 0)
			die("pipe2");
		if (fcntl(p[1], F_SETPIPE_SZ, READ_LEN) < 0)
			die("F_SETPIPE_SZ");
	}
	for (unsigned long i = 0; i < reads; i++) {
		size_t in_pipe = 0, in_buf = 0;
		struct iovec iov[2];

		for (unsigned int s = 0; s < SEGS; s++) {
			uint32_t len;

			recv_all(fd, hdr, HDR_LEN);
			len = seg_len(hdr);
			if (len > READ_LEN - in_pipe - in_buf) {
				fprintf(stderr, "splice-probe: segment overruns the read\n");
				exit(2);
			}
			if (m == MODE_SPLICE && in_buf == 0) {
				size_t n = splice_in(fd, p[1], len);

				in_pipe += n;
				if (n < len) {
					(*fallbacks)++;
					/* Pipe full: take back what it holds, copy the rest. */
					recv_all(p[0], buf, in_pipe);
					in_buf = in_pipe;
					in_pipe = 0;
					recv_all(fd, buf + in_buf, len - n);
					in_buf += len - n;
				}
			} else {
				recv_all(fd, buf + in_buf, len);
				in_buf += len;
			}
		}
		iov[0] = (struct iovec){reply, REPLY_HDR};
		iov[1] = (struct iovec){buf, in_buf};
		if (in_pipe) {
			send_all(ufd, iov, 1, MSG_MORE);
			splice_out(p[0], ufd, in_pipe);
		} else {
			send_all(ufd, iov, 2, 0);
		}
	}
	close(fd);
}

struct result {
	double mibps, bridge_s_gib, total_s_gib;
	unsigned long fallbacks;
};

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double ru_cpu(const struct rusage *ru)
{
	return tv_s(ru->ru_utime) + tv_s(ru->ru_stime);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct result run(enum mode m, unsigned long reads)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), u[2], fb[2];
	pid_t pt, pb, pc;
	struct rusage rt, rb, rc;
	struct result res = {0};
	double t0, gib = (double)reads * READ_LEN / (1u << 30);
	int st;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sl) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		die("listen");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, u) < 0 || pipe(fb) < 0)
		die("socketpair");
	t0 = now_s();
	pt = fork();
	if (pt == 0) {
		target(lfd, reads);
		_exit(0);
	}
	pc = fork();
	if (pc == 0) {
		close(u[0]);
		client(u[1], reads);
		_exit(0);
	}
	pb = fork();
	if (pb == 0) {
		unsigned long n = 0;

		close(u[1]);
		bridge(&sa, u[0], reads, m, &n);
		if (write(fb[1], &n, sizeof(n)) != sizeof(n))
			_exit(2);
		_exit(0);
	}
	close(lfd);
	close(u[0]);
	close(u[1]);
	close(fb[1]);
	if (wait4(pc, &st, 0, &rc) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("client failed");
	res.mibps = gib * 1024 / (now_s() - t0);
	if (wait4(pb, &st, 0, &rb) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("bridge failed");
	if (wait4(pt, &st, 0, &rt) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("target failed");
	if (read(fb[0], &res.fallbacks, sizeof(res.fallbacks)) != sizeof(res.fallbacks))
		die("read fallbacks");
	close(fb[0]);
	res.bridge_s_gib = ru_cpu(&rb) / gib;
	res.total_s_gib = (ru_cpu(&rb) + ru_cpu(&rc) + ru_cpu(&rt)) / gib;
	return res;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void stat3(double *v, int n, double out[3])
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	out[0] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	out[1] = v[0];
	out[2] = v[n - 1];
}

int main(int argc, char **argv)
{
	int rounds = 5, opt;
	double gib = 4;
	double mib[MODE_N][64], bcpu[MODE_N][64], tcpu[MODE_N][64];
	unsigned long fb[MODE_N] = {0}, reads;

	while ((opt = getopt(argc, argv, "r:g:")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'g')
			gib = atof(optarg);
		else {
			fprintf(stderr,
				"usage: splice-probe [-r ROUNDS (1-64)] [-g GIB per run]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > 64 || gib <= 0) {
		fprintf(stderr, "splice-probe: -r takes 1 to 64, -g more than 0\n");
		return 2;
	}
	reads = (unsigned long)(gib * 1024);
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < MODE_N; k++) {
			enum mode m = (enum mode)((k + r) % MODE_N); /* first mode alternates */
			struct result res = run(m, reads);

			mib[m][r] = res.mibps;
			bcpu[m][r] = res.bridge_s_gib;
			tcpu[m][r] = res.total_s_gib;
			fb[m] += res.fallbacks;
			fprintf(stderr,
				"round %d %-6s %8.1f MiB/s bridge %.3f s/GiB all %.3f s/GiB\n",
				r + 1, mode_names[m], res.mibps, res.bridge_s_gib, res.total_s_gib);
		}
	}
	printf("| bridge mode | MiB/s | bridge CPU s/GiB | all three CPU s/GiB | reads that fell "
	       "back to copying |\n");
	printf("|---|---|---|---|---|\n");
	for (int m = 0; m < MODE_N; m++) {
		double a[3], b[3], c[3];

		stat3(mib[m], rounds, a);
		stat3(bcpu[m], rounds, b);
		stat3(tcpu[m], rounds, c);
		printf("| %s | %.1f [%.1f-%.1f] | %.3f [%.3f-%.3f] | %.3f [%.3f-%.3f] | %lu of %lu "
		       "|\n",
		       mode_names[m], a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2], fb[m],
		       reads * (unsigned long)rounds);
	}
	return 0;
}
