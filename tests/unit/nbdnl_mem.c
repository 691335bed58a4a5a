/*
 * Test program for the kernel bridge: exports a memory disk (membdev) as
 * /dev/nbdN through generic netlink, the way the daemon does, so the UML
 * test bed can check CONNECT, RECONFIGURE (resize and socket replacement),
 * LINK_DEAD and DISCONNECT against a real kernel.
 *
 *	nbdnl_mem SIZE_MIB [--lbs N] [--socks N] [--index N]
 *
 * stdout, one line per event: "ready /dev/nbdN", "resized BYTES",
 * "link-dead N", "replaced SOCK", "failed WHAT ERR", "done".
 * SIGUSR1: grow to twice the size (RECONFIGURE off the loop thread).
 * SIGUSR2: close socket 0 as if its path died; on LINK_DEAD a new socket
 * replaces it (RECONFIGURE). SIGTERM: DISCONNECT, exit 0 when every socket
 * has closed.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "membdev.h"
#include "nbd/bufpool.h"
#include "nbd/netlink.h"
#include "nbd/proto.h"
#include "nbd/server.h"
#include "util/log.h"

#define MAX_SOCKS 8

static struct ev_loop *loop;
static struct membdev mem;
static struct nbdsrv_bufpool *pool;
static struct nbdsrv_export ex;
static struct nbdsrv_conn *conns[MAX_SOCKS];
static unsigned nsocks, nopen;
static uint32_t dev_index;
static int32_t want_index = NBDNL_INDEX_ANY;
static uint64_t full_size;
static struct nbdnl_async req;
static bool busy, stopping;
static struct nbdnl_monitor mon;
static int kfds[MAX_SOCKS];
static int exit_code;

static void say(const char *fmt, ...) ISN_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void conn_closed(struct nbdsrv_conn *c, int err, void *opaque);

/* A socketpair: our end served by a new connection in slot i, the kernel's end returned. */
static int new_socket(unsigned i)
{
	struct nbdsrv_conn_cfg cc = {.queue_depth = 128, .closed = conn_closed};
	char name[32];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	snprintf(name, sizeof(name), "nbd sock%u", i);
	cc.name = name;
	cc.opaque = (void *)(uintptr_t)i;
	conns[i] = nbdsrv_conn_new(loop, sv[0], &mem.bd, &ex, pool, &cc);
	if (!conns[i])
		return -1;
	nopen++;
	return sv[1];
}

static void conn_closed(struct nbdsrv_conn *c, int err, void *opaque)
{
	unsigned i = (unsigned)(uintptr_t)opaque;

	nbdsrv_conn_free(c);
	if (conns[i] == c)
		conns[i] = NULL;
	if (--nopen == 0 && stopping) {
		say("done");
		ev_break(loop, EVBREAK_ALL);
	}
}

static void req_done(struct nbdnl_async *a, int err, uint32_t index)
{
	busy = false;
	switch (a->op) {
	case NBDNL_ASYNC_CONNECT:
		for (unsigned i = 0; i < nsocks; i++)
			close(kfds[i]);
		if (err) {
			say("failed connect %d", err);
			exit_code = 1;
			ev_break(loop, EVBREAK_ALL);
			return;
		}
		dev_index = index;
		say("ready /dev/nbd%u", index);
		break;
	case NBDNL_ASYNC_RECONFIGURE:
		if (a->cfg.nfds) {
			close(kfds[0]);
			if (err)
				say("failed replace %d", err);
			else
				say("replaced 0");
		} else if (err) {
			say("failed resize %d", err);
		} else {
			say("resized %llu", (unsigned long long)a->cfg.size_bytes);
		}
		break;
	case NBDNL_ASYNC_DISCONNECT:
		if (err)
			say("failed disconnect %d", err);
		break;
	}
}

static void on_link_dead(struct nbdnl_monitor *m, uint32_t index)
{
	struct nbdnl_config nc = {
		.index = (int32_t)dev_index, .fds = kfds, .nfds = 1, .backend = mem.bd.info.ident};

	if (index != dev_index || stopping)
		return;
	say("link-dead %u", index);
	if (conns[0] || busy)
		return;
	kfds[0] = new_socket(0);
	if (kfds[0] < 0 ||
	    nbdnl_async_start(&req, loop, NBDNL_ASYNC_RECONFIGURE, &nc, req_done, NULL) < 0) {
		say("failed replace-start %d", -errno);
		return;
	}
	busy = true;
}

static void on_usr1(struct ev_loop *l, ev_signal *w, int revents)
{
	struct nbdnl_config nc = {
		.index = (int32_t)dev_index, .size_bytes = full_size, .backend = mem.bd.info.ident};

	if (busy)
		return;
	/* Grow: the connections accept the new range before the kernel sends it. */
	mem.bd.info.size_bytes = full_size;
	ex.size = full_size;
	for (unsigned i = 0; i < nsocks; i++)
		if (conns[i])
			nbdsrv_conn_set_export(conns[i], &ex);
	if (nbdnl_async_start(&req, loop, NBDNL_ASYNC_RECONFIGURE, &nc, req_done, NULL) == 0)
		busy = true;
}

static void on_usr2(struct ev_loop *l, ev_signal *w, int revents)
{
	if (conns[0])
		nbdsrv_conn_shutdown(conns[0]);
}

static void on_term(struct ev_loop *l, ev_signal *w, int revents)
{
	struct nbdnl_config nc = {.index = (int32_t)dev_index};

	if (stopping || busy)
		return;
	stopping = true;
	if (nbdnl_async_start(&req, loop, NBDNL_ASYNC_DISCONNECT, &nc, req_done, NULL) == 0)
		busy = true;
}

int main(int argc, char **argv)
{
	struct nbdnl_config nc = {0};
	ev_signal s1, s2, st;
	uint32_t lbs = 512;
	uint64_t size;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SIZE_MIB [--lbs N] [--socks N] [--index N]\n", argv[0]);
		return 2;
	}
	size = strtoull(argv[1], NULL, 0) << 20;
	nsocks = 2;
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--lbs") == 0)
			lbs = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--socks") == 0)
			nsocks = (unsigned)strtoul(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--index") == 0)
			want_index = (int32_t)strtol(argv[i + 1], NULL, 0);
	}
	if (nsocks < 1 || nsocks > MAX_SOCKS)
		return 2;
	if (getenv("NBDNL_DEBUG"))
		log_parse_debug("all");
	loop = ev_default_loop(0);
	full_size = 2 * size;
	/* Room for the resize up front: the disk only shows `size` until SIGUSR1. */
	if (membdev_init(&mem, loop, full_size, lbs) < 0)
		return 1;
	mem.bd.info.size_bytes = size;
	snprintf(mem.bd.info.ident, sizeof(mem.bd.info.ident), "membdev.nbdnl-test");
	pool = nbdsrv_bufpool_new_default(128 * nsocks, NBDSRV_MAX_PAYLOAD);
	if (!pool)
		return 1;
	nbdsrv_export_from_info(&ex, &mem.bd.info, nsocks > 1, "", NULL);
	for (unsigned k = 0; k < nsocks; k++) {
		kfds[k] = new_socket(k);
		if (kfds[k] < 0)
			return 1;
	}
	if (nbdnl_monitor_start(&mon, loop, on_link_dead, NULL) < 0)
		say("no LINK_DEAD monitor");
	nc.index = want_index;
	nc.fds = kfds;
	nc.nfds = nsocks;
	nc.size_bytes = size;
	nc.block_size = lbs;
	nc.server_flags = ex.tflags;
	nc.timeout = 0;
	nc.dead_conn_timeout = 10;
	nc.backend = mem.bd.info.ident;
	if (nbdnl_async_start(&req, loop, NBDNL_ASYNC_CONNECT, &nc, req_done, NULL) < 0)
		return 1;
	busy = true;
	ev_signal_init(&s1, on_usr1, SIGUSR1);
	ev_signal_init(&s2, on_usr2, SIGUSR2);
	ev_signal_init(&st, on_term, SIGTERM);
	ev_signal_start(loop, &s1);
	ev_signal_start(loop, &s2);
	ev_signal_start(loop, &st);
	ev_run(loop, 0);
	nbdnl_monitor_stop(&mon);
	nbdsrv_bufpool_free(pool);
	membdev_destroy(&mem);
	return exit_code;
}
