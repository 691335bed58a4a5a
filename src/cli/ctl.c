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
#include "util/log.h"

struct ctl_server {
	struct ev_loop *loop;
	ev_io listen_w;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler_fn fn;
	void *opaque;
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

/*
 * Serve one client to completion. The request is one short line and the
 * answer is built in memory, so a client that stalls costs us at most the
 * 1 s send/receive timeouts below, never the loop.
 */
static void ctl_serve_client(struct ctl_server *cs, int fd)
{
	struct timeval tv = {.tv_sec = 1};
	char req[CTL_REQ_MAX + 1];
	CLEANUP_FREE char *out = NULL;
	size_t got = 0, len, off = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < CTL_REQ_MAX) {
		ssize_t n = read(fd, req + got, CTL_REQ_MAX - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(req, '\n', got))
			break;
	}
	req[got] = 0;
	req[strcspn(req, "\r\n")] = 0;
	out = malloc(CTL_RSP_MAX);
	if (!out)
		return;
	len = cs->fn(req, out, CTL_RSP_MAX, cs->opaque);
	if (len > CTL_RSP_MAX)
		len = CTL_RSP_MAX;
	while (off < len) {
		ssize_t n = write(fd, out + off, len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

static void ctl_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_server *cs = container_of(w, struct ctl_server, listen_w);
	int fd = accept4(cs->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	ctl_serve_client(cs, fd);
	close(fd);
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
	/* A socket left by a daemon that died is stale only if nobody answers it. */
	if (connect(cs->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		err = -EADDRINUSE;
		goto fail;
	}
	unlink(cs->path);
	if (bind(cs->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto fail;
	}
	if (chmod(cs->path, 0600) < 0 || listen(cs->fd, 8) < 0) {
		err = -errno;
		unlink(cs->path);
		goto fail;
	}
	cs->loop = loop;
	cs->fn = fn;
	cs->opaque = opaque;
	ev_io_init(&cs->listen_w, ctl_accept_cb, cs->fd, EV_READ);
	ev_io_start(loop, &cs->listen_w);
	return cs;
fail:
	if (cs->fd >= 0)
		close(cs->fd);
	free(cs);
	errno = -err;
	return NULL;
}

void ctl_server_free(struct ctl_server *cs)
{
	if (!cs)
		return;
	ev_io_stop(cs->loop, &cs->listen_w);
	close(cs->fd);
	unlink(cs->path);
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
