/*
 * Shared fixture of the session component tests: one session and one fake
 * target on a libev loop, joined by a socketpair, a log hook that counts
 * error lines (each death must log exactly one), and helpers to run the
 * loop until a condition holds.
 */
#ifndef ISN_TESTS_HARNESS_H
#define ISN_TESTS_HARNESS_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "session/session.h"
#include "tests/component/faketarget.h"
#include "util/bytes.h"
#include "util/log.h"
#include "util/uring.h"

struct env {
	struct ev_loop *loop;
	struct ft *ft;
	struct sess *s;
	int n_state[SESS_DEAD + 1];
	enum sess_death death;
	char death_msg[256];
	int n_events;
	struct sess_event last_ev;
	uint8_t last_sense[64];
	ev_timer tick;
};

static int err_lines;
static int warn_lines; /* LOG_WARNING lines */
/* Nonzero: shrink the socket buffers so that writes of a PDU are partial. */
static int harness_sockbuf;
static char last_err[1024];

static void log_hook(int prio, const char *line, void *opaque)
{
	if (prio <= LOG_ERR) {
		err_lines++;
		snprintf(last_err, sizeof(last_err), "%s", line);
	}
	if (prio == LOG_WARNING)
		warn_lines++;
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "log<%d> %s\n", prio, line);
}

static void env_on_state(struct sess *s, enum sess_state st, enum sess_death why, const char *msg,
			 void *opaque)
{
	struct env *e = opaque;

	e->n_state[st]++;
	if (st == SESS_DEAD) {
		e->death = why;
		snprintf(e->death_msg, sizeof(e->death_msg), "%s", msg);
	}
}

static void env_on_event(struct sess *s, const struct sess_event *ev, void *opaque)
{
	struct env *e = opaque;

	e->n_events++;
	e->last_ev = *ev;
	if (ev->sense_len)
		memcpy(e->last_sense, ev->sense, MIN(ev->sense_len, sizeof(e->last_sense)));
	e->last_ev.sense = NULL;
}

static void env_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
}

static void env_cfg_default(struct sess_config *c)
{
	memset(c, 0, sizeof(*c));
	c->name = "t sess";
	c->initiator_name = "iqn.2026-01.test:initiator";
	c->target_name = "iqn.2026-01.test:fake";
	c->isid[0] = 0x80;
	c->isid[5] = 1;
	c->max_recv_dsl = 16384;
	c->first_burst = 16384;
	c->max_burst = 65536;
	c->max_outstanding_r2t = 1;
	c->login_timeout_ms = 5000;
}

/*
 * ISN_TEST_IO_ENGINE=uring (tests/component/session-uring.sh): the same
 * tests with the session's socket I/O through io_uring.
 */
static void env_io_engine(void)
{
	const char *name = getenv("ISN_TEST_IO_ENGINE");
	enum io_engine ie = IO_ENGINE_EPOLL;

	if (name)
		ck_assert_msg(io_engine_parse(name, &ie) == 0, "bad ISN_TEST_IO_ENGINE %s", name);
	io_engine_set(ie);
}

/* Start a session on a socketpair with a fake target; does not wait for login. */
static void env_start(struct env *e, const struct ft_config *fc, const struct sess_config *sc)
{
	static const struct sess_callbacks cb = {.on_state = env_on_state,
						 .on_event = env_on_event};
	int sv[2];

	memset(e, 0, sizeof(*e));
	env_io_engine();
	err_lines = 0;
	warn_lines = 0;
	last_err[0] = '\0';
	log_set_hook(log_hook, NULL);
	e->loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(e->loop);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (harness_sockbuf) {
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &harness_sockbuf, sizeof(int));
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &harness_sockbuf, sizeof(int));
	}
	e->ft = ft_new(e->loop, sv[1], fc);
	e->s = sess_new(e->loop, sc, &cb, e);
	ck_assert_ptr_nonnull(e->s);
	ck_assert_int_eq(sess_start_fd(e->s, sv[0]), 0);
	ev_timer_init(&e->tick, env_tick, 0.005, 0.005);
	ev_timer_start(e->loop, &e->tick);
}

/* Run the loop until cond holds or secs pass; returns whether it holds. */
#define RUN_UNTIL(e, cond, secs)                                                                   \
	({                                                                                         \
		ev_tstamp _end = ev_time() + (secs);                                               \
		while (!(cond) && ev_time() < _end)                                                \
			ev_run((e)->loop, EVRUN_ONCE);                                             \
		(bool)(cond);                                                                      \
	})

static void env_run_for(struct env *e, double secs)
{
	ev_tstamp end = ev_time() + secs;

	while (ev_time() < end)
		ev_run(e->loop, EVRUN_ONCE);
}

static void env_up(struct env *e, const struct ft_config *fc, const struct sess_config *sc)
{
	env_start(e, fc, sc);
	ck_assert_msg(
		RUN_UNTIL(e, sess_state(e->s) == SESS_READY || sess_state(e->s) == SESS_DEAD, 3.0),
		"login did not finish");
	ck_assert_msg(sess_state(e->s) == SESS_READY, "login failed: %s (%s)",
		      sess_death_message(e->s), e->ft->first_error);
}

static void env_down(struct env *e)
{
	sess_close(e->s);
	sess_free(e->s);
	ft_free(e->ft);
	ev_timer_stop(e->loop, &e->tick);
	ev_loop_destroy(e->loop);
	log_set_hook(NULL, NULL);
}

/* One SCSI command with its buffer and guard bytes around it. */
#define IO_GUARD 64
struct io {
	struct sess_task t;
	int ndone;
	uint8_t *mem; /* guard | buf | guard */
	uint8_t *buf;
	uint32_t len;
};

static void io_done(struct sess_task *t)
{
	container_of(t, struct io, t)->ndone++;
}

static void io_init(struct io *io, bool write, uint64_t lba, uint32_t blocks, uint32_t xfer_len,
		    unsigned int niov)
{
	unsigned int i;
	uint32_t off = 0;

	memset(io, 0, sizeof(*io));
	io->len = xfer_len;
	io->mem = malloc(xfer_len + 2 * IO_GUARD);
	memset(io->mem, 0xa5, xfer_len + 2 * IO_GUARD);
	io->buf = io->mem + IO_GUARD;
	io->t.cdb[0] = write ? 0x8a : 0x88;
	put_be64(io->t.cdb + 2, lba);
	put_be32(io->t.cdb + 10, blocks);
	io->t.cdb_len = 16;
	io->t.dir = xfer_len ? (write ? SESS_DIR_WRITE : SESS_DIR_READ) : SESS_DIR_NONE;
	io->t.xfer_len = xfer_len;
	io->t.done = io_done;
	if (niov < 1)
		niov = 1;
	for (i = 0; i < niov; i++) {
		uint32_t l = i + 1 == niov ? xfer_len - off : xfer_len / niov;

		io->t.iov[i].iov_base = io->buf + off;
		io->t.iov[i].iov_len = l;
		off += l;
	}
	io->t.iov_cnt = niov;
}

static bool io_guards_ok(const struct io *io)
{
	uint32_t i;

	for (i = 0; i < IO_GUARD; i++)
		if (io->mem[i] != 0xa5 || io->mem[IO_GUARD + io->len + i] != 0xa5)
			return false;
	return true;
}

static void io_fini(struct io *io)
{
	free(io->mem);
}

static void fill_pattern(uint8_t *p, uint32_t len, unsigned int seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + seed * 17 + (i >> 8));
}

#endif
