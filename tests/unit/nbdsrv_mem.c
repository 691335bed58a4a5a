/*
 * Test server: serves a memory bdev (membdev) over NBD on a Unix socket or
 * TCP address, so real clients (nbdinfo, nbdcopy, qemu-img, fio) can drive
 * the handshake and the transmission engine end to end.
 *
 *	nbdsrv_mem ADDR SIZE_MIB [LOGICAL_BLOCK_SIZE] [--read-only] [--name NAME]
 *		[--tls off|on|require] [--tls-psk FILE] [--tls-certificates DIR]
 *		[--tls-verify-peer] [--hs-timeout SECONDS] [--max-clients N]
 *		[--workers N]
 *
 * Prints "ready" (and "port N" for TCP) once listening. The PSK file is read
 * as is (the daemon's ownership checks are src/cli's). --workers N serves
 * the clients on N worker threads (nbd/worker.h), the memory disk staying
 * on the main loop, as `serve --threads N+1` does.
 * Exits 0 on SIGTERM / SIGINT after every client has drained.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membdev.h"
#include "nbd/bufpool.h"
#include "nbd/listen.h"
#include "nbd/proto.h"
#include "nbd/tls.h"
#include "nbd/worker.h"
#include "util/log.h"

static struct nbdsrv_listener *listener;
static ev_timer drain_timer;

static void on_drain_check(struct ev_loop *loop, ev_timer *w, int revents)
{
	if (nbdsrv_listen_nclients(listener) == 0)
		ev_break(loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	nbdsrv_listen_stop(listener);
	ev_timer_init(&drain_timer, on_drain_check, 0, 0.05);
	ev_timer_again(loop, &drain_timer);
}

int main(int argc, char **argv)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct nbdsrv_listen_cfg cfg = {0};
	struct nbdsrv_export ex;
	struct nbdsrv_bufpool *pool;
	struct membdev mem;
	ev_signal sterm, sint;
	const char *name = "mem";
	uint32_t lbs = 512;
	bool ro = false;
	struct nbdsrv_tls_cfg tc = {0};
	struct nbdsrv_tls *tls = NULL;
	static char psk[1 << 16];
	int i, mode = NBDSRV_TLS_OFF;
	unsigned nworkers = 0;
	struct nbdsrv_workers *ws = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: %s ADDR SIZE_MIB [LBS] [--read-only] [--name NAME]\n",
			argv[0]);
		return 2;
	}
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--read-only") == 0)
			ro = true;
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--tls") == 0 && i + 1 < argc)
			mode = nbdsrv_tls_mode_parse(argv[++i]);
		else if (strcmp(argv[i], "--tls-psk") == 0 && i + 1 < argc)
			tc.psk_file = argv[++i];
		else if (strcmp(argv[i], "--tls-certificates") == 0 && i + 1 < argc)
			tc.cert_dir = argv[++i];
		else if (strcmp(argv[i], "--tls-verify-peer") == 0)
			tc.verify_peer = true;
		else if (strcmp(argv[i], "--hs-timeout") == 0 && i + 1 < argc)
			cfg.hs_timeout = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--max-clients") == 0 && i + 1 < argc)
			cfg.max_clients = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
			nworkers = (unsigned)strtoul(argv[++i], NULL, 0);
		else
			lbs = (uint32_t)strtoul(argv[i], NULL, 0);
	}
	if (getenv("NBDSRV_DEBUG"))
		log_parse_debug("all");
	if (mode < 0) {
		fprintf(stderr, "bad --tls: off, on or require\n");
		return 2;
	}
	if (tc.psk_file) {
		FILE *f = fopen(tc.psk_file, "r");

		if (!f) {
			perror(tc.psk_file);
			return 1;
		}
		tc.psk_len = fread(psk, 1, sizeof(psk), f);
		tc.psk_text = psk;
		fclose(f);
	}
	if (mode != NBDSRV_TLS_OFF || tc.psk_file || tc.cert_dir) {
		char err[300];

		tls = nbdsrv_tls_new(&tc, err, sizeof(err));
		if (!tls) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	}
	cfg.tls = tls;
	cfg.tls_mode = (enum nbdsrv_tls_mode)mode;
	if (membdev_init(&mem, loop, strtoull(argv[2], NULL, 0) << 20, lbs) < 0)
		return 1;
	mem.bd.info.read_only = ro;
	pool = nbdsrv_bufpool_new_default(64, NBDSRV_MAX_PAYLOAD);
	if (!pool)
		return 1;
	nbdsrv_export_from_info(&ex, &mem.bd.info, true, name, "iscsi-nbd test memory disk");
	if (nworkers) {
		static const struct nbdsrv_bufclass cl[] = {
			{.size = 256u << 10, .count = 64},
			{.size = 2u << 20, .count = 8},
			{.size = NBDSRV_MAX_PAYLOAD, .count = 2},
		};

		ws = nbdsrv_workers_new(loop, &mem.bd, cl, 3, nworkers, "mem");
		if (!ws)
			return 1;
		cfg.workers = ws;
	}
	cfg.addr = argv[1];
	listener = nbdsrv_listen_new(loop, &mem.bd, pool, &ex, &cfg);
	if (!listener)
		return 1;
	ev_signal_init(&sterm, on_signal, SIGTERM);
	ev_signal_init(&sint, on_signal, SIGINT);
	ev_signal_start(loop, &sterm);
	ev_signal_start(loop, &sint);
	printf("ready\n");
	if (nbdsrv_listen_port(listener) >= 0)
		printf("port %d\n", nbdsrv_listen_port(listener));
	fflush(stdout);
	ev_run(loop, 0);
	ev_timer_stop(loop, &drain_timer);
	nbdsrv_listen_free(listener);
	if (nbdsrv_workers_free(ws, 5.0) < 0)
		return 1;
	nbdsrv_bufpool_free(pool);
	nbdsrv_tls_free(tls);
	membdev_destroy(&mem);
	return 0;
}
