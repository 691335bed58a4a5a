/*
 * Fuzz the Data-In accounting (src/session/task.c, DESIGN.md invariants):
 * a session logs in to the fake target over a socketpair, submits one READ,
 * and from then on the fuzzer is the target, answering it with Data-In and
 * SCSI Response PDUs whose offsets, lengths, DataSN, flags (F, S, U, O),
 * status, residual and ExpDataSN it chooses.
 *
 * Input: 5 header bytes, then 12-byte records (each maybe followed by data).
 *   header[0] bit 0: payload mode. 0: the byte at buffer offset o is o % 251
 *             (the "true" LUN content); 1: payload bytes come from the input
 *             and a successful answer goes through the response parser that
 *             header[4] selects, on exactly the bytes received.
 *   header[1..2] EDTL (big endian, 1..8192); header[3] where the buffer is
 *             split into two iovecs.
 *   record[0] kind: 0 Data-In as given; 1 SCSI Response; 2 Data-In at the
 *             next offset with the next DataSN (well-formed progress);
 *             3 like 2 and with the S bit (status on the last Data-In).
 *   record[1] BHS flags; [2] status; [3] iSCSI response code;
 *   record[4..5] offset; [6..7] length (at most 4096, our MaxRecvDSL);
 *   record[8] DataSN delta from the next one (int8); [9..10] residual;
 *   record[11] ExpDataSN delta from the Data-In sent so far (int8).
 *
 * Oracles besides the sanitizers: the READ completes exactly once, with 0 or
 * -EPROTO / -ECONNABORTED / -ESHUTDOWN; no byte outside its buffer changes;
 * and when it completes with GOOD and no residual disagreement, every byte
 * of [0, EDTL - underflow residual) is what the target sent for that offset
 * and every byte past it is untouched: no success with bytes never received.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scsi/caps.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "session/pdu.h"
#include "session/session.h"
#include "tests/component/faketarget.h"
#include "util/bytes.h"
#include "util/compiler.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUARD	 32
#define BUFMAX	 8192
#define SENTINEL 0xff /* never o % 251 */
#define REC	 12

static uint8_t mem[GUARD + BUFMAX + GUARD];
static int ndone;

static void task_done(struct sess_task *t)
{
	ndone++;
	if (t->result != 0 && t->result != -EPROTO && t->result != -ECONNABORTED &&
	    t->result != -ESHUTDOWN)
		abort();
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
			return;
		p += w;
		len -= (size_t)w;
	}
}

/* The parser a mode-1 answer goes through, on a heap copy of exactly n bytes. */
static void parse_answer(uint8_t which, const uint8_t *buf, size_t n)
{
	static struct scsi_report_luns luns;
	static struct scsi_rtpg rtpg;
	static struct scsi_vpd83 v83;
	uint8_t *copy = malloc(n ? n : 1);
	union {
		struct scsi_inquiry inq;
		struct scsi_vpd_supported sup;
		struct scsi_vpd_serial ser;
		struct scsi_vpd_b0 b0;
		struct scsi_vpd_b1 b1;
		struct scsi_vpd_b2 b2;
		struct scsi_capacity cap;
		struct scsi_mode_sense ms;
	} u;
	uint64_t bytes;
	char id[SCSI_IDENT_MAX];

	if (!copy)
		abort();
	memcpy(copy, buf, n);
	switch (which % 12) {
	case 0:
		if (scsi_inquiry_parse(copy, n, &u.inq) == 0 && n < 36)
			abort();
		break;
	case 1:
		(void)scsi_vpd_supported_parse(copy, n, &u.sup);
		break;
	case 2:
		(void)scsi_vpd_serial_parse(copy, n, &u.ser);
		break;
	case 3:
		if (scsi_vpd83_parse(copy, n, &v83) == 0)
			(void)scsi_vpd83_identity(&v83, id, sizeof(id));
		break;
	case 4:
		(void)scsi_vpd_b0_parse(copy, n, &u.b0);
		break;
	case 5:
		(void)scsi_vpd_b1_parse(copy, n, &u.b1);
		break;
	case 6:
		(void)scsi_vpd_b2_parse(copy, n, &u.b2);
		break;
	case 7:
		if (scsi_readcap10_parse(copy, n, &u.cap) == 0 &&
		    (n < 8 || (scsi_capacity_bytes(&u.cap, &bytes) == 0 &&
			       bytes / u.cap.block_size != u.cap.nblocks)))
			abort();
		break;
	case 8:
		if (scsi_readcap16_parse(copy, n, &u.cap) == 0 &&
		    (n < 16 || (scsi_capacity_bytes(&u.cap, &bytes) == 0 &&
				bytes / u.cap.block_size != u.cap.nblocks)))
			abort();
		break;
	case 9:
		(void)scsi_mode_sense_parse(copy, n, which & 0x80, &u.ms);
		break;
	case 10:
		if (scsi_report_luns_parse(copy, n, &luns) == 0 && 8 + 8 * (size_t)luns.n > n)
			abort();
		break;
	default:
		(void)scsi_rtpg_parse(copy, n, &rtpg);
		break;
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sess_callbacks cb = {0};
	static struct sess_task t;
	static uint8_t wire[48 + 4096 + 3];
	struct ft_config fc = {0};
	struct sess_config sc;
	struct ev_loop *loop;
	struct ft *ft;
	struct sess *s;
	uint32_t xfer, split, next_off = 0, next_sn = 0, statsn, exp;
	bool mode_parse;
	size_t off = 5;
	int sv[2], n;

	if (size < 5)
		return 0;
	log_set_hook(quiet, NULL);
	mode_parse = data[0] & 1;
	xfer = (uint32_t)data[1] << 8 | data[2];
	xfer = xfer % BUFMAX + 1;
	split = data[3] * xfer / 256;
	loop = ev_loop_new(EVFLAG_AUTO);
	if (!loop || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	memset(&sc, 0, sizeof(sc));
	sc.name = "fuzz";
	sc.initiator_name = "iqn.2026-01.test:fuzz";
	sc.target_name = "iqn.2026-01.test:fake";
	sc.isid[0] = 0x80;
	sc.max_recv_dsl = 4096;
	ft = ft_new(loop, sv[1], &fc);
	s = sess_new(loop, &sc, &cb, NULL);
	if (!s || sess_start_fd(s, sv[0]) < 0)
		abort();
	for (n = 0; n < 1000 && sess_state(s) != SESS_READY && sess_state(s) != SESS_DEAD; n++)
		ev_run(loop, EVRUN_NOWAIT);
	if (sess_state(s) != SESS_READY)
		abort();
	ft_set_silent(ft, true);

	ndone = 0;
	memset(&t, 0, sizeof(t));
	memset(mem, SENTINEL, sizeof(mem));
	t.done = task_done;
	t.cdb[0] = 0x28; /* READ(10); the CDB is not what is being fuzzed */
	t.cdb_len = 10;
	t.dir = SESS_DIR_READ;
	t.xfer_len = xfer;
	t.iov[0].iov_base = mem + GUARD;
	t.iov[0].iov_len = split;
	t.iov[1].iov_base = mem + GUARD + split;
	t.iov[1].iov_len = xfer - split;
	t.iov_cnt = split ? 2 : 1;
	if (!split)
		t.iov[0].iov_len = xfer;
	if (sess_submit(s, &t) != 0)
		abort();
	spin(loop, 4);
	exp = ft->exp_cmdsn;
	statsn = ft->statsn;

	while (size - off >= REC && !ndone && sess_state(s) != SESS_DEAD) {
		const uint8_t *r = data + off;
		uint8_t kind = r[0] & 3, *bhs = wire;
		uint32_t boff = (uint32_t)r[4] << 8 | r[5],
			 len = ((uint32_t)r[6] << 8 | r[7]) % 4097;
		uint32_t dlen = 0;

		off += REC;
		memset(bhs, 0, 48);
		put_be32(bhs + 16, t.itt);
		put_be32(bhs + 28, exp);
		put_be32(bhs + 32, exp + 16);
		if (kind == 1) {
			/* SCSI Response (RFC 7143 11.4), no sense data. */
			bhs[0] = 0x21;
			bhs[1] = (uint8_t)(0x80 | (r[1] & 0x1e));
			bhs[2] = r[3];
			bhs[3] = r[2];
			put_be32(bhs + 24, statsn++);
			put_be32(bhs + 36, next_sn + (uint32_t)(int8_t)r[11]);
			put_be32(bhs + 44, (uint32_t)r[9] << 8 | r[10]);
		} else {
			/* Data-In (RFC 7143 11.7). */
			if (kind >= 2)
				boff = next_off, len = MIN(len, xfer - MIN(next_off, xfer));
			bhs[0] = 0x25;
			bhs[1] = kind == 3 ? (uint8_t)(0x81 | (r[1] & 0x06)) : r[1];
			bhs[3] = r[2];
			put_be32(bhs + 20, 0xffffffffu);
			if (bhs[1] & 0x01)
				put_be32(bhs + 24, statsn++);
			put_be32(bhs + 36, next_sn + (kind >= 2 ? 0 : (uint32_t)(int8_t)r[8]));
			put_be32(bhs + 40, boff);
			put_be32(bhs + 44, (uint32_t)r[9] << 8 | r[10]);
			dlen = len;
			for (uint32_t i = 0; i < dlen; i++) {
				if (!mode_parse) {
					wire[48 + i] = (uint8_t)((boff + i) % 251);
				} else if (off < size) {
					wire[48 + i] = data[off++];
				} else {
					wire[48 + i] = 0;
				}
			}
			memset(wire + 48 + dlen, 0, iscsi_pdu_pad_len(dlen));
			next_off = boff + dlen;
			next_sn++;
		}
		put_be24(bhs + 5, dlen);
		send_all(ft->fd, wire, 48 + dlen + iscsi_pdu_pad_len(dlen));
		spin(loop, 4);
	}

	sess_close(s);
	if (sess_state(s) != SESS_DEAD || ndone != 1)
		abort();
	for (size_t i = 0; i < GUARD; i++)
		if (mem[i] != SENTINEL || mem[GUARD + BUFMAX + i] != SENTINEL)
			abort();
	if (t.result == 0 && t.response == 0 && t.status == 0) {
		uint32_t expect = xfer;

		if (t.residual_under) {
			if (t.residual > xfer)
				abort(); /* the session let a residual beyond EDTL through */
			expect -= t.residual;
		}
		for (uint32_t o = 0; o < xfer; o++) {
			uint8_t b = mem[GUARD + o];

			if (o >= expect ? b != SENTINEL : !mode_parse && b != o % 251)
				abort(); /* reported read, never received (or beyond EDTL -
					    residual) */
		}
		if (mode_parse)
			parse_answer(data[4], mem + GUARD, expect);
	}
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "xfer %u: result %d status 0x%02x resid %c%u: %s\n", xfer, t.result,
			t.status,
			t.residual_under  ? 'U'
			: t.residual_over ? 'O'
					  : '-',
			t.residual, sess_death_message(s));
	sess_free(s);
	ft_free(ft);
	ev_loop_destroy(loop);
	log_set_hook(NULL, NULL);
	return 0;
}
