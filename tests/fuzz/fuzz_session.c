/*
 * Fuzz the session engine's full-feature-phase receive path: a session
 * logs in to the fake target over a socketpair, submits a few commands (a
 * read, a write with R2T, a two-iovec read, a no-data command) and a ping,
 * and from then on everything it receives is the fuzzer's.
 *
 * Input: byte 0 picks the configuration (bit 0: header digest, bit 1: data
 * digest, bit 2: InitialR2T=Yes). Then messages, each: 1 control byte, 48
 * BHS bytes, 2 bytes big-endian data length, the data. Control bits:
 *   0: fix DataSegmentLength to the data length (else the BHS is kept);
 *   1: set the ITT to the tag of outstanding command (ctl >> 4) & 3;
 *   2: set ExpCmdSN / MaxCmdSN to an open window;
 *   3: split the write in two halves with a loop turn in between.
 * Digests are computed over what is sent, so they are right unless the
 * fuzzer corrupts them on purpose (it cannot: they are appended).
 *
 * Oracles besides the sanitizers: every command completes exactly once,
 * with 0, -ECONNABORTED or -ESHUTDOWN (or -EIO / -ECANCELED); no byte
 * outside a command's buffer changes; the session reports DEAD once.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "session/pdu.h"
#include "session/session.h"
#include "tests/component/faketarget.h"
#include "util/bytes.h"
#include "util/crc32c.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NT    4
#define GUARD 32
#define BUFSZ 8192

struct fz_task {
	struct sess_task t;
	int ndone;
	uint8_t mem[GUARD + BUFSZ + GUARD];
};

static int dead_calls;

static void on_state(struct sess *s, enum sess_state st, enum sess_death why, const char *msg,
		     void *opaque)
{
	if (st == SESS_DEAD)
		dead_calls++;
}

static void task_done(struct sess_task *t)
{
	struct fz_task *f = container_of(t, struct fz_task, t);

	f->ndone++;
	if (t->result != 0 && t->result != -ECONNABORTED && t->result != -ESHUTDOWN &&
	    t->result != -EIO && t->result != -ECANCELED && t->result != -EPROTO)
		abort();
}

static void ping_done(void *opaque, int err)
{
	++*(int *)opaque;
}

static void quiet(int prio, const char *line, void *opaque)
{
}

static void spin(struct ev_loop *loop, int n)
{
	while (n-- > 0)
		ev_run(loop, EVRUN_NOWAIT);
}

static void send_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w <= 0)
			return; /* peer gone or buffer full: the rest is lost, fine */
		p += w;
		len -= (size_t)w;
	}
}

static void setup_task(struct fz_task *f, int i)
{
	static const uint8_t cdb_read[10] = {0x28, 0, 0, 0, 0, 1, 0, 0, 8, 0};
	static const uint8_t cdb_write[10] = {0x2a, 0, 0, 0, 0, 9, 0, 0, 16, 0};

	memset(f, 0, sizeof(*f));
	memset(f->mem, 0xa5, sizeof(f->mem));
	f->t.done = task_done;
	f->t.cdb_len = 10;
	f->t.iov[0].iov_base = f->mem + GUARD;
	f->t.iov_cnt = 1;
	switch (i) {
	case 0:
		memcpy(f->t.cdb, cdb_read, 10);
		f->t.dir = SESS_DIR_READ;
		f->t.xfer_len = 4096;
		f->t.iov[0].iov_len = 4096;
		break;
	case 1:
		memcpy(f->t.cdb, cdb_write, 10);
		f->t.dir = SESS_DIR_WRITE;
		f->t.xfer_len = BUFSZ;
		f->t.iov[0].iov_len = BUFSZ;
		break;
	case 2:
		memcpy(f->t.cdb, cdb_read, 10);
		f->t.dir = SESS_DIR_READ;
		f->t.xfer_len = 4096;
		f->t.iov[0].iov_len = 1000;
		f->t.iov[1].iov_base = f->mem + GUARD + 1000;
		f->t.iov[1].iov_len = 3096;
		f->t.iov_cnt = 2;
		break;
	default:
		f->t.cdb_len = 6; /* TEST UNIT READY */
		f->t.dir = SESS_DIR_NONE;
		f->t.iov_cnt = 0;
		break;
	}
}

static void check_guards(const struct fz_task *f)
{
	size_t i;

	for (i = 0; i < GUARD; i++)
		if (f->mem[i] != 0xa5 || f->mem[GUARD + BUFSZ + i] != 0xa5)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sess_callbacks cb = {.on_state = on_state};
	static struct fz_task tk[NT];
	struct ft_config fc = {.max_burst = 4096, .data_in_max = 2048};
	struct sess_config sc;
	struct ev_loop *loop;
	struct ft *ft;
	struct sess *s;
	size_t off = 1;
	int sv[2], i, pings = 0, n;
	bool hd, dd;
	uint32_t exp;

	if (size < 1)
		return 0;
	log_set_hook(quiet, NULL);
	dead_calls = 0;
	hd = data[0] & 1;
	dd = data[0] & 2;
	fc.digests = hd || dd;
	fc.initial_r2t = data[0] & 4;
	loop = ev_loop_new(EVFLAG_AUTO);
	if (!loop || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	memset(&sc, 0, sizeof(sc));
	sc.name = "fuzz";
	sc.initiator_name = "iqn.2026-01.test:fuzz";
	sc.target_name = "iqn.2026-01.test:fake";
	sc.isid[0] = 0x80;
	sc.max_recv_dsl = 4096;
	sc.header_digest = hd ? SESS_DIGEST_CRC32C : SESS_DIGEST_NONE;
	sc.data_digest = dd ? SESS_DIGEST_CRC32C : SESS_DIGEST_NONE;
	ft = ft_new(loop, sv[1], &fc);
	s = sess_new(loop, &sc, &cb, NULL);
	if (!s || sess_start_fd(s, sv[0]) < 0)
		abort();
	for (n = 0; n < 1000 && sess_state(s) != SESS_READY && sess_state(s) != SESS_DEAD; n++)
		ev_run(loop, EVRUN_NOWAIT);
	if (sess_state(s) != SESS_READY)
		abort();
	/* From here on the fuzzer is the target. */
	ft_set_silent(ft, true);
	for (i = 0; i < NT; i++) {
		setup_task(&tk[i], i);
		if (sess_submit(s, &tk[i].t) != 0)
			abort();
	}
	if (sess_ping(s, ping_done, &pings) != 0)
		abort();
	spin(loop, 4);
	exp = ft->exp_cmdsn;

	while (size - off >= 1 + 48 + 2 && ft->fd >= 0 && sess_state(s) != SESS_DEAD) {
		static uint8_t wire[48 + 4 + 65535 + 3 + 4];
		uint8_t ctl = data[off], bhs[48];
		size_t dlen, wl = 0, pad;

		memcpy(bhs, data + off + 1, 48);
		off += 1 + 48;
		dlen = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (dlen > size - off)
			dlen = size - off;
		if (ctl & 1)
			put_be24(bhs + 5, (uint32_t)dlen);
		if (ctl & 2)
			put_be32(bhs + 16, tk[(ctl >> 4) & 3].t.itt);
		if (ctl & 4) {
			put_be32(bhs + 28, exp);
			put_be32(bhs + 32, exp + 16);
		}
		memcpy(wire, bhs, 48);
		wl = 48;
		if (hd) {
			crc32c_put(wire + wl, crc32c(bhs, 48));
			wl += 4;
		}
		if (dlen) {
			pad = iscsi_pdu_pad_len((uint32_t)dlen);
			memcpy(wire + wl, data + off, dlen);
			memset(wire + wl + dlen, 0, pad);
			wl += dlen + pad;
			if (dd) {
				/* The digest covers the pad too (RFC 7143 11.1). */
				crc32c_put(wire + wl, crc32c(wire + wl - dlen - pad, dlen + pad));
				wl += 4;
			}
		}
		off += dlen;
		if (ctl & 8 && wl > 1) {
			send_all(ft->fd, wire, wl / 2);
			spin(loop, 2);
			send_all(ft->fd, wire + wl / 2, wl - wl / 2);
		} else {
			send_all(ft->fd, wire, wl);
		}
		spin(loop, 4);
	}

	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "state %s (%s): results %d %d %d %d\n",
			sess_state_name(sess_state(s)), sess_death_message(s),
			tk[0].ndone ? tk[0].t.result : 1, tk[1].ndone ? tk[1].t.result : 1,
			tk[2].ndone ? tk[2].t.result : 1, tk[3].ndone ? tk[3].t.result : 1);
	sess_close(s);
	if (sess_state(s) != SESS_DEAD || dead_calls != 1 || pings != 1)
		abort();
	for (i = 0; i < NT; i++) {
		if (tk[i].ndone != 1)
			abort();
		check_guards(&tk[i]);
	}
	sess_free(s);
	ft_free(ft);
	ev_loop_destroy(loop);
	log_set_hook(NULL, NULL);
	return 0;
}
