#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "util/cleanup.h"
#include "util/compiler.h"
#include "util/list.h"
#include "util/log.h"
#include "util/statecheck.h"

/*
 * The server never blocks the loop it shares with block I/O: every socket
 * is non-blocking, each client is a small state machine driven by its own
 * ev_io, and a client gets CTL_CLIENT_TIMEOUT in all to send its request
 * and take its answer. All clients have the same timeout, so arrival
 * order is deadline order: one list, oldest first, under one timer
 * (libev's manual, "Be smart about timeouts", the constant-timeout case).
 */
enum ctl_client_state {
	CTL_CL_FREE,	/* slot unused */
	CTL_CL_READING, /* gathering the request line */
	CTL_CL_WRITING, /* the answer did not fit the socket buffer: rest queued */
};

static const char *const ctl_client_state_names[] = {
	[CTL_CL_FREE] = "free",
	[CTL_CL_READING] = "reading",
	[CTL_CL_WRITING] = "writing",
};

struct ctl_client {
	struct ctl_server *cs;
	struct list_node node; /* in cs->clients, oldest first */
	enum ctl_client_state state;
	ev_io w;
	int fd;
	unsigned int id;
	ev_tstamp deadline;
	size_t rlen;
	char req[CTL_REQ_MAX + 1];
	char *out; /* unsent rest of the answer (malloc'd only when the socket was full) */
	size_t olen, ooff;
};

struct ctl_server {
	struct ev_loop *loop;
	ev_io listen_w;
	ev_timer timeout_w; /* at the oldest client's deadline */
	ev_timer retry_w;   /* accepting again after running out of descriptors */
	int fd;
	bool starved; /* accept failed for want of descriptors; logged once per episode */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[64];
	ctl_handler_fn fn;
	void *opaque;
	struct list_node clients;
	unsigned int nclients, next_id;
	struct ctl_client slots[CTL_MAX_CLIENTS];
	char *scratch; /* CTL_RSP_MAX: the handler writes its answer here */
};

const char *ctl_dir(void)
{
	const char *d = getenv("ISCSI_NBD_RUNDIR");

	return d && *d ? d : CTL_DIR_DEFAULT;
}

static int ctl_path(const char *name, char *buf, size_t cap)
{
	int n;

	if (strchr(name, '/'))
		n = snprintf(buf, cap, "%s", name);
	else
		n = snprintf(buf, cap, "%s/%s.sock", ctl_dir(), name);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *dir)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ctl_dir_make(void)
{
	return mkdir_p(ctl_dir());
}

/*
 * Legal transitions, from the code as it is: a free slot takes a new
 * client, which reads its request; the answer goes out at once (FREE
 * again) or, when the socket is full, the rest is written later. Timeouts
 * and errors free the slot from either state.
 */
#define ST_BIT(st) (1u << (st))
static const unsigned int ctl_client_legal[] = {
	[CTL_CL_FREE] = ST_BIT(CTL_CL_READING),
	[CTL_CL_READING] = ST_BIT(CTL_CL_WRITING) | ST_BIT(CTL_CL_FREE),
	[CTL_CL_WRITING] = ST_BIT(CTL_CL_FREE),
};
_Static_assert(ARRAY_SIZE(ctl_client_legal) == ARRAY_SIZE(ctl_client_state_names),
	       "a row per state");

/*
 * The one place a client slot changes state: checks the transition (debug
 * builds) and logs it at debug level.
 */
static void ctl_client_set_state(struct ctl_client *c, enum ctl_client_state st)
{
	STATE_CHECK(ctl_client_legal[c->state] & ST_BIT(st), c->cs->name,
		    ctl_client_state_names[c->state], ctl_client_state_names[st]);
	dbg(LOG_SUB_CTL, "%s ctl%u: %s -> %s", c->cs->name, c->id, ctl_client_state_names[c->state],
	    ctl_client_state_names[st]);
	c->state = st;
}

static void ctl_client_close(struct ctl_client *c)
{
	struct ctl_server *cs = c->cs;

	ev_io_stop(cs->loop, &c->w);
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	list_del(&c->node);
	cs->nclients--;
	ctl_client_set_state(c, CTL_CL_FREE);
	/* The timer stays armed: it finds the list shorter and re-arms itself. */
}

/* Write first; EV_WRITE only when the socket buffer is full (a client that does not read). */
static void ctl_client_reply(struct ctl_client *c, const char *buf, size_t len)
{
	struct ctl_server *cs = c->cs;
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		ctl_client_close(c);
		return;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n == len) {
		ctl_client_close(c);
		return;
	}
	c->olen = len - (size_t)n;
	c->ooff = 0;
	c->out = malloc(c->olen);
	if (!c->out) {
		ctl_client_close(c);
		return;
	}
	memcpy(c->out, buf + n, c->olen);
	ev_io_stop(cs->loop, &c->w);
	ev_io_set(&c->w, c->fd, EV_WRITE);
	ev_io_start(cs->loop, &c->w);
	ctl_client_set_state(c, CTL_CL_WRITING);
}

static void ctl_client_handle(struct ctl_client *c)
{
	struct ctl_server *cs = c->cs;
	size_t len;

	c->req[c->rlen] = 0;
	c->req[strcspn(c->req, "\r\n")] = 0;
	dbg(LOG_SUB_CTL, "%s ctl%u: request '%s'", cs->name, c->id, c->req);
	len = cs->fn(c->req, cs->scratch, CTL_RSP_MAX, cs->opaque);
	if (len > CTL_RSP_MAX)
		len = CTL_RSP_MAX;
	ctl_client_reply(c, cs->scratch, len);
}

static void ctl_client_read(struct ctl_client *c)
{
	static const char too_long[] = "error: request too long\n";
	ssize_t n = read(c->fd, c->req + c->rlen, CTL_REQ_MAX - c->rlen);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			ctl_client_close(c);
		return;
	}
	if (n == 0) {
		/* The request ends at EOF as well as at a newline; nothing sent, nothing to do. */
		if (c->rlen)
			ctl_client_handle(c);
		else
			ctl_client_close(c);
		return;
	}
	if (memchr(c->req + c->rlen, '\n', (size_t)n)) {
		c->rlen += (size_t)n;
		ctl_client_handle(c);
		return;
	}
	c->rlen += (size_t)n;
	if (c->rlen == CTL_REQ_MAX)
		ctl_client_reply(c, too_long, sizeof(too_long) - 1);
}

static void ctl_client_write(struct ctl_client *c)
{
	ssize_t n = send(c->fd, c->out + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			ctl_client_close(c);
		return;
	}
	c->ooff += (size_t)n;
	if (c->ooff == c->olen)
		ctl_client_close(c);
}

static void ctl_client_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = container_of(w, struct ctl_client, w);

	switch (c->state) {
	case CTL_CL_READING:
		ctl_client_read(c);
		break;
	case CTL_CL_WRITING:
		ctl_client_write(c);
		break;
	case CTL_CL_FREE:
		break;
	}
}

static void ctl_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_server *cs = container_of(w, struct ctl_server, timeout_w);
	ev_tstamp now = ev_now(loop);

	while (!list_empty(&cs->clients)) {
		struct ctl_client *c = list_entry(cs->clients.next, struct ctl_client, node);

		if (c->deadline > now) {
			ev_timer_set(w, c->deadline - now, 0.);
			ev_timer_start(loop, w);
			return;
		}
		dbg(LOG_SUB_CTL, "%s ctl%u: no %s within %.0f s: closed", cs->name, c->id,
		    c->state == CTL_CL_READING ? "request" : "reader", CTL_CLIENT_TIMEOUT);
		ctl_client_close(c);
	}
}

static void ctl_client_start(struct ctl_server *cs, int fd)
{
	struct ctl_client *c = NULL;
	unsigned int i;

	for (i = 0; i < CTL_MAX_CLIENTS && !c; i++)
		if (cs->slots[i].state == CTL_CL_FREE)
			c = &cs->slots[i];
	c->cs = cs;
	c->fd = fd;
	c->id = cs->next_id++;
	c->rlen = 0;
	c->deadline = ev_now(cs->loop) + CTL_CLIENT_TIMEOUT;
	list_add_tail(&cs->clients, &c->node);
	cs->nclients++;
	ctl_client_set_state(c, CTL_CL_READING);
	ev_io_init(&c->w, ctl_client_cb, fd, EV_READ);
	ev_io_start(cs->loop, &c->w);
	if (!ev_is_active(&cs->timeout_w)) {
		ev_timer_set(&cs->timeout_w, CTL_CLIENT_TIMEOUT, 0.);
		ev_timer_start(cs->loop, &cs->timeout_w);
	}
}

/* Over the limit: one line and close, never a wait (the socket buffer is empty). */
static void ctl_refuse(struct ctl_server *cs, int fd)
{
	char line[96];
	int n = snprintf(line, sizeof(line),
			 "error: busy: %u control clients already connected, try again\n",
			 cs->nclients);

	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		dbg(LOG_SUB_CTL, "%s: refusing a client: %s", cs->name, strerror(errno));
	close(fd);
}

static void ctl_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_server *cs = container_of(w, struct ctl_server, retry_w);

	ev_io_start(loop, &cs->listen_w);
}

/*
 * Out of descriptors: the pending connection stays in the backlog and the
 * listening socket stays readable, so a level-triggered watcher would
 * call us again at once, forever. Stop watching and look again a little
 * later; the descriptors come back as clients finish or time out.
 */
static void ctl_accept_pause(struct ctl_server *cs, int err)
{
	if (!cs->starved)
		log_warn("%s: control socket: accept: %s; retrying every %.0f ms", cs->name,
			 strerror(err), CTL_ACCEPT_RETRY * 1000.);
	cs->starved = true;
	ev_io_stop(cs->loop, &cs->listen_w);
	ev_timer_set(&cs->retry_w, CTL_ACCEPT_RETRY, 0.);
	ev_timer_start(cs->loop, &cs->retry_w);
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_server *cs = container_of(w, struct ctl_server, listen_w);
	unsigned int i;

	/* A bounded batch per wakeup: the I/O watchers get their turn in between. */
	for (i = 0; i < CTL_ACCEPT_BATCH; i++) {
		int fd = accept4(cs->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				ctl_accept_pause(cs, errno);
				return;
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			default: /* unexpected: logged there, and never a spin either */
				ctl_accept_pause(cs, errno);
				return;
			}
		}
		if (cs->starved) {
			log_notice("%s: control socket: accepting again", cs->name);
			cs->starved = false;
		}
		if (cs->nclients >= CTL_MAX_CLIENTS)
			ctl_refuse(cs, fd);
		else
			ctl_client_start(cs, fd);
	}
}

struct ctl_server *ctl_server_new(struct ev_loop *loop, const char *name, ctl_handler_fn fn,
				  void *opaque)
{
	struct ctl_server *cs = calloc(1, sizeof(*cs));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int err;

	if (!cs)
		return NULL;
	cs->fd = -1;
	list_init(&cs->clients);
	snprintf(cs->name, sizeof(cs->name), "%s", name);
	cs->scratch = malloc(CTL_RSP_MAX);
	if (!cs->scratch) {
		err = -ENOMEM;
		goto fail;
	}
	err = mkdir_p(ctl_dir());
	if (err < 0)
		goto fail;
	err = ctl_path(name, cs->path, sizeof(cs->path));
	if (err < 0)
		goto fail;
	cs->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (cs->fd < 0) {
		err = -errno;
		goto fail;
	}
	memcpy(sa.sun_path, cs->path, strlen(cs->path) + 1);
	/*
	 * A socket left by a daemon that died is stale only if nobody answers
	 * it. A full backlog (EAGAIN) is a live daemon under a flood of
	 * clients: never unlink its socket.
	 */
	if (connect(cs->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		err = -EADDRINUSE;
		goto fail;
	}
	unlink(cs->path);
	if (bind(cs->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto fail;
	}
	if (chmod(cs->path, 0600) < 0 || listen(cs->fd, CTL_MAX_CLIENTS * 2) < 0) {
		err = -errno;
		unlink(cs->path);
		goto fail;
	}
	cs->loop = loop;
	cs->fn = fn;
	cs->opaque = opaque;
	ev_io_init(&cs->listen_w, ctl_accept_cb, cs->fd, EV_READ);
	ev_io_start(loop, &cs->listen_w);
	ev_init(&cs->timeout_w, ctl_timeout_cb);
	ev_init(&cs->retry_w, ctl_retry_cb);
	return cs;
fail:
	if (cs->fd >= 0)
		close(cs->fd);
	free(cs->scratch);
	free(cs);
	errno = -err;
	return NULL;
}

void ctl_server_free(struct ctl_server *cs)
{
	if (!cs)
		return;
	ev_io_stop(cs->loop, &cs->listen_w);
	ev_timer_stop(cs->loop, &cs->timeout_w);
	ev_timer_stop(cs->loop, &cs->retry_w);
	while (!list_empty(&cs->clients))
		ctl_client_close(list_entry(cs->clients.next, struct ctl_client, node));
	close(cs->fd);
	unlink(cs->path);
	free(cs->scratch);
	free(cs);
}

int ctl_request(const char *name, const char *req, char *out, size_t cap, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	CLEANUP_CLOSE int fd = -1;
	size_t got = 0, rlen = strlen(req);
	char line[CTL_REQ_MAX + 2];
	int err;

	if (cap == 0 || rlen > CTL_REQ_MAX)
		return -EINVAL;
	err = ctl_path(name, sa.sun_path, sizeof(sa.sun_path));
	if (err < 0)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	memcpy(line, req, rlen);
	line[rlen] = '\n';
	if (write(fd, line, rlen + 1) != (ssize_t)(rlen + 1))
		return -EIO;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;
		int r = poll(&p, 1, timeout_ms);

		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got + 1 >= cap)
			break;
		n = read(fd, out + got, cap - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	out[got] = 0;
	return 0;
}

int ctl_list(void (*fn)(const char *name, void *opaque), void *opaque)
{
	DIR *d = opendir(ctl_dir());
	struct dirent *de;
	int count = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char name[256];

		if (n <= 5 || n - 5 >= sizeof(name) || strcmp(de->d_name + n - 5, ".sock") != 0)
			continue;
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = 0;
		fn(name, opaque);
		count++;
	}
	closedir(d);
	return count;
}
