/*
 * Smoke test of the session engine against a real target (tgtd on
 * loopback). tests/integration/session-tgt.sh runs it in make check
 * (discovery, then no digests, then CRC32C with small bursts).
 *
 *   tgt_smoke HOST PORT TARGET_IQN|-discover [digest: none|crc32c]
 *
 * Logs in, reads the capacity, writes patterns of many sizes at many
 * offsets (immediate data, unsolicited data, R2T bursts), reads each back
 * and compares, runs 64 writes then 64 reads concurrently, a LUN reset, a
 * ping, and logs out. Exit 0 when all matched. -discover: SendTargets.
 * Environment: SMOKE_CHAP_USER/SECRET, SMOKE_MUTUAL_USER/SECRET (CHAP),
 * SMOKE_IDLE=secs (sit through target NOP-In pings), SMOKE_PERF=secs
 * (+SMOKE_PERF_WRITE) throughput, SMOKE_DEBUG (all debug output).
 *
 * By hand, against a private tgtd:
 *   ip netns add isn-x; ip netns exec isn-x ip link set lo up
 *   truncate -s 64M /dev/shm/isn-x-lun; ip netns exec isn-x tgtd -f &
 *   T="ip netns exec isn-x tgtadm --lld iscsi"
 *   $T --op new --mode target --tid 1 -T iqn.2026-01.test:t1
 *   $T --op new --mode logicalunit --tid 1 --lun 1 -b /dev/shm/isn-x-lun
 *   $T --op bind --mode target --tid 1 -I ALL
 *   $T --op update --mode target --tid 1 -n HeaderDigest -v CRC32C,None  (same: DataDigest,
 *      InitialR2T=No, MaxRecvDataSegmentLength=4096, nop_interval=1 ...)
 *   ip netns exec isn-x tests/component/tgt_smoke 127.0.0.1 3260 iqn.2026-01.test:t1 crc32c
 * then kill tgtd by its pid, ip netns del isn-x, rm the LUN file.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "util/bytes.h"
#include "util/log.h"

static struct ev_loop *loop;
static int pending;

static void on_state(struct sess *s, enum sess_state st, enum sess_death why, const char *msg,
		     void *opaque)
{
	fprintf(stderr, "state %s %s %s\n", sess_state_name(st), why ? sess_death_name(why) : "",
		msg);
}

static void task_done(struct sess_task *t)
{
	pending--;
}

static void ping_done(void *opaque, int err)
{
	*(int *)opaque = err;
	pending--;
}

static void disc_done(void *opaque, int err, const struct sess_disc_target *t, unsigned int n)
{
	unsigned int i, j;

	*(int *)opaque = err ? err : (int)n;
	for (i = 0; i < n; i++)
		for (j = 0; j < t[i].naddr; j++)
			printf("target %s at %s\n", t[i].name, t[i].addr[j]);
	pending--;
}

static void wait_all(void)
{
	while (pending > 0)
		ev_run(loop, EVRUN_ONCE);
}

static int run_cmd(struct sess *s, struct sess_task *t)
{
	int r;

	t->done = task_done;
	pending++;
	r = sess_submit(s, t);
	if (r < 0) {
		pending--;
		return r;
	}
	wait_all();
	return t->result;
}

static int rw(struct sess *s, bool write, uint64_t lba, uint32_t blocks, uint32_t bs, uint8_t *buf)
{
	struct sess_task t;

	memset(&t, 0, sizeof(t));
	t.cdb[0] = write ? 0x8a : 0x88; /* WRITE(16) / READ(16) */
	put_be64(t.cdb + 2, lba);
	put_be32(t.cdb + 10, blocks);
	t.cdb_len = 16;
	t.dir = write ? SESS_DIR_WRITE : SESS_DIR_READ;
	t.xfer_len = blocks * bs;
	/* Split the buffer over two iovecs to exercise iovec slicing. */
	t.iov[0].iov_base = buf;
	t.iov[0].iov_len = t.xfer_len / 3;
	t.iov[1].iov_base = buf + t.xfer_len / 3;
	t.iov[1].iov_len = t.xfer_len - t.xfer_len / 3;
	t.iov_cnt = 2;
	t.lun = 1;
	if (run_cmd(s, &t) < 0 || t.status != 0) {
		fprintf(stderr, "%s lba %llu n %u: result %d status 0x%x sense_len %u\n",
			write ? "write" : "read", (unsigned long long)lba, blocks, t.result,
			t.status, t.sense_len);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sess_config cfg;
	struct sess_callbacks cb = {.on_state = on_state};
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	struct sess *s;
	struct sess_task t;
	uint8_t cap[32];
	uint64_t nblocks;
	uint32_t bs;
	static const uint32_t sizes[] = {1,   2,   7,	8,    15,   16,	  17,  63,
					 64,  65,  127, 128,  129,  255,  256, 257,
					 511, 512, 513, 1024, 2047, 2048, 4096};
	unsigned int i, errors = 0;
	int perr = 1;
	bool crc = argc > 4 && strcmp(argv[4], "crc32c") == 0;

	if (argc < 4) {
		fprintf(stderr, "usage: %s HOST PORT TARGET [none|crc32c]\n", argv[0]);
		return 2;
	}
	if (getenv("SMOKE_DEBUG"))
		log_parse_debug("all");
	loop = ev_default_loop(0);
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
		return 2;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "smoke";
	cfg.initiator_name = "iqn.2026-01.test:smoke";
	cfg.target_name = argv[3];
	cfg.discovery = strcmp(argv[3], "-discover") == 0;
	memcpy(&cfg.portal, ai->ai_addr, ai->ai_addrlen);
	cfg.portal_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	cfg.isid[0] = 0x80;
	cfg.isid[5] = 0x42;
	cfg.header_digest = crc ? SESS_DIGEST_CRC32C : SESS_DIGEST_NONE;
	cfg.data_digest = crc ? SESS_DIGEST_CRC32C : SESS_DIGEST_NONE;
	/* SMOKE_CHAP_USER / SMOKE_CHAP_SECRET: one-way CHAP; SMOKE_MUTUAL_*: mutual. */
	if (getenv("SMOKE_CHAP_USER")) {
		cfg.chap.user = getenv("SMOKE_CHAP_USER");
		cfg.chap.secret = (const uint8_t *)getenv("SMOKE_CHAP_SECRET");
		cfg.chap.secret_len = strlen(getenv("SMOKE_CHAP_SECRET"));
	}
	if (getenv("SMOKE_MUTUAL_USER")) {
		cfg.chap.mutual_user = getenv("SMOKE_MUTUAL_USER");
		cfg.chap.mutual_secret = (const uint8_t *)getenv("SMOKE_MUTUAL_SECRET");
		cfg.chap.mutual_secret_len = strlen(getenv("SMOKE_MUTUAL_SECRET"));
	}
	cfg.first_burst = 65536;
	cfg.max_burst = 262144;
	cfg.max_recv_dsl = 32768;
	s = sess_new(loop, &cfg, &cb, NULL);
	if (!s || sess_start(s) < 0)
		return 1;
	while (sess_state(s) != SESS_READY && sess_state(s) != SESS_DEAD)
		ev_run(loop, EVRUN_ONCE);
	if (sess_state(s) != SESS_READY)
		return 1;
	if (cfg.discovery) {
		int n = 0;

		pending++;
		if (sess_send_targets(s, NULL, disc_done, &n) < 0)
			return 1;
		wait_all();
		sess_logout(s);
		while (sess_state(s) != SESS_DEAD)
			ev_run(loop, EVRUN_ONCE);
		printf("%d targets, death: %s\n", n, sess_death_name(sess_death_reason(s)));
		sess_free(s);
		return n > 0 ? 0 : 1;
	}

	/* The first command after login normally gets a UNIT ATTENTION. */
	for (i = 0; i < 3; i++) {
		memset(&t, 0, sizeof(t));
		t.cdb[0] = 0x25; /* READ CAPACITY(10) */
		t.cdb_len = 10;
		t.dir = SESS_DIR_READ;
		t.xfer_len = 8;
		t.iov[0].iov_base = cap;
		t.iov[0].iov_len = 8;
		t.iov_cnt = 1;
		t.lun = 1;
		if (run_cmd(s, &t) == 0 && t.status == 0)
			break;
	}
	if (t.status != 0)
		return 1;
	nblocks = (uint64_t)get_be32(cap) + 1;
	bs = get_be32(cap + 4);
	printf("capacity %llu blocks of %u\n", (unsigned long long)nblocks, bs);

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];
		uint64_t lba = (i * 977ull) % (nblocks - n);
		uint8_t *w = malloc((size_t)n * bs), *r = malloc((size_t)n * bs);
		size_t k;

		for (k = 0; k < (size_t)n * bs; k++)
			w[k] = (uint8_t)(k * 31 + i * 7 + (k >> 9));
		memset(r, 0xee, (size_t)n * bs);
		if (rw(s, true, lba, n, bs, w) < 0 || rw(s, false, lba, n, bs, r) < 0 ||
		    memcmp(w, r, (size_t)n * bs) != 0) {
			printf("MISMATCH size %u blocks at %llu\n", n, (unsigned long long)lba);
			errors++;
		} else {
			printf("ok %u blocks at lba %llu\n", n, (unsigned long long)lba);
		}
		free(w);
		free(r);
	}
	/* SMOKE_IDLE=secs: sit idle (a target with NOP-In pings configured probes us). */
	if (getenv("SMOKE_IDLE")) {
		struct sess_stats st;
		double t0 = ev_time();

		while (ev_time() - t0 < atof(getenv("SMOKE_IDLE")))
			ev_run(loop, EVRUN_ONCE);
		sess_get_stats(s, &st);
		printf("idle: state %s, %llu NOP-In, %llu NOP-Out\n",
		       sess_state_name(sess_state(s)), (unsigned long long)st.nop_in,
		       (unsigned long long)st.nop_out);
		if (sess_state(s) != SESS_READY)
			return 1;
	}

	/* SMOKE_PERF=secs: sequential 1 MiB READs or WRITEs (SMOKE_PERF_WRITE) at queue depth 8. */
	if (getenv("SMOKE_PERF")) {
		enum { QD = 8, SZ = 1 << 20 };
		static struct sess_task pt[QD];
		static uint8_t pb[QD][SZ];
		bool wr = getenv("SMOKE_PERF_WRITE") != NULL;
		double secs = atof(getenv("SMOKE_PERF")), t0 = ev_time();
		uint64_t bytes = 0, lba = 0;
		unsigned int q;

		while (ev_time() - t0 < secs) {
			for (q = 0; q < QD; q++) {
				struct sess_task *x = &pt[q];

				memset(x, 0, sizeof(*x));
				x->cdb[0] = wr ? 0x8a : 0x88;
				put_be64(x->cdb + 2, lba);
				put_be32(x->cdb + 10, SZ / bs);
				x->cdb_len = 16;
				x->dir = wr ? SESS_DIR_WRITE : SESS_DIR_READ;
				x->xfer_len = SZ;
				x->iov[0].iov_base = pb[q];
				x->iov[0].iov_len = SZ;
				x->iov_cnt = 1;
				x->lun = 1;
				x->done = task_done;
				pending++;
				if (sess_submit(s, x) < 0)
					return 1;
				lba = (lba + SZ / bs) % (nblocks - SZ / bs);
			}
			wait_all();
			for (q = 0; q < QD; q++)
				if (pt[q].result || pt[q].status)
					return 1;
			bytes += (uint64_t)QD * SZ;
		}
		printf("perf %s: %.1f MiB/s\n", wr ? "write" : "read",
		       bytes / (ev_time() - t0) / 1048576.0);
	}

	/* Many commands in flight at once: the CmdSN window and R2T interleaving. */
	{
		enum { N = 64, BL = 64 };
		static struct sess_task tk[N];
		static uint8_t wb[N][BL * 512], rb[N][BL * 512];
		unsigned int k;

		for (k = 0; k < 2 * N; k++) {
			unsigned int j = k % N;
			bool wr = k < N;
			struct sess_task *x = &tk[j];
			uint32_t n = 1 + (j * 7) % BL;

			if (wr)
				for (size_t q = 0; q < sizeof(wb[j]); q++)
					wb[j][q] = (uint8_t)(q * 3 + j * 11 + 5);
			memset(x, 0, sizeof(*x));
			x->cdb[0] = wr ? 0x2a : 0x28; /* WRITE(10) / READ(10) */
			put_be32(x->cdb + 2, 40000 + j * BL);
			put_be16(x->cdb + 7, (uint16_t)n);
			x->cdb_len = 10;
			x->dir = wr ? SESS_DIR_WRITE : SESS_DIR_READ;
			x->xfer_len = n * bs;
			x->iov[0].iov_base = wr ? wb[j] : rb[j];
			x->iov[0].iov_len = n * bs;
			x->iov_cnt = 1;
			x->lun = 1;
			x->done = task_done;
			pending++;
			if (sess_submit(s, x) < 0)
				return 1;
			if (k == N - 1 || k == 2 * N - 1) {
				wait_all();
				for (j = 0; j < N; j++)
					if (tk[j].result || tk[j].status) {
						printf("concurrent %s %u failed: %d/%u\n",
						       wr ? "write" : "read", j, tk[j].result,
						       tk[j].status);
						errors++;
					}
			}
		}
		for (k = 0; k < N; k++)
			if (memcmp(wb[k], rb[k], (1 + (k * 7) % BL) * bs) != 0) {
				printf("concurrent MISMATCH %u\n", k);
				errors++;
			}
		printf("concurrent %u writes + %u reads done\n", N, N);
	}
	{
		int lr[1] = {-1};

		pending++;
		if (sess_lun_reset(s, 1, ping_done, lr) < 0)
			return 1;
		wait_all();
		printf("lun reset response %d\n", lr[0]);
		if (lr[0] != 0)
			errors++;
	}
	pending++;
	sess_ping(s, ping_done, &perr);
	wait_all();
	printf("ping %d\n", perr);
	sess_logout(s);
	while (sess_state(s) != SESS_DEAD)
		ev_run(loop, EVRUN_ONCE);
	printf("death: %s\n", sess_death_name(sess_death_reason(s)));
	i = sess_death_reason(s) == SESS_DEATH_LOGOUT;
	sess_free(s);
	ev_loop_destroy(loop);
	return errors || perr || !i ? 1 : 0;
}
