/*
 * Test server: serves a memory bdev (membdev) over NBD on a Unix socket or
 * TCP address, so real clients (nbdinfo, nbdcopy, qemu-img, fio) can drive
 * the handshake and the transmission engine end to end.
 *
 *	nbdsrv_mem ADDR SIZE_MIB [LOGICAL_BLOCK_SIZE] [--read-only] [--name NAME]
 *
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
	int i;

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
		else
			lbs = (uint32_t)strtoul(argv[i], NULL, 0);
	}
	if (getenv("NBDSRV_DEBUG"))
		log_parse_debug("all");
	if (membdev_init(&mem, loop, strtoull(argv[2], NULL, 0) << 20, lbs) < 0)
		return 1;
	mem.bd.info.read_only = ro;
	pool = nbdsrv_bufpool_new_default(64, NBDSRV_MAX_PAYLOAD);
	if (!pool)
		return 1;
	nbdsrv_export_from_info(&ex, &mem.bd.info, true, name, "iscsi-nbd test memory disk");
	cfg.addr = argv[1];
	listener = nbdsrv_listen_new(loop, &mem.bd, pool, &ex, &cfg);
	if (!listener)
		return 1;
	ev_signal_init(&sterm, on_signal, SIGTERM);
	ev_signal_init(&sint, on_signal, SIGINT);
	ev_signal_start(loop, &sterm);
	ev_signal_start(loop, &sint);
	printf("ready\n");
	fflush(stdout);
	ev_run(loop, 0);
	ev_timer_stop(loop, &drain_timer);
	nbdsrv_listen_free(listener);
	nbdsrv_bufpool_free(pool);
	membdev_destroy(&mem);
	return 0;
}
