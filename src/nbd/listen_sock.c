/*
 * The listening socket of an NBD server address (listen_sock.h): a Unix
 * socket file, replacing a stale one and never wider than its mode, or a
 * TCP HOST:PORT.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nbd/listen_sock.h"
#include "util/cleanup.h"

/* A socket file nobody accepts on is stale; one that answers is in use. */
static int unix_remove_stale(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	CLEANUP_CLOSE int fd = -1;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int listen_unix(const char *path, mode_t mode, char **unix_path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	CLEANUP_CLOSE int fd = -1;
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	rc = unix_remove_stale(path);
	if (rc < 0)
		return rc;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * The socket file is created with the umask applied; narrow it for the
	 * bind so the file never exists with wider permissions, then set the
	 * exact mode asked for.
	 */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		return -errno;
	if (chmod(path, mode) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		unlink(path);
		return rc;
	}
	*unix_path = strdup(path);
	if (!*unix_path) {
		unlink(path);
		return -ENOMEM;
	}
	return steal_fd(&fd);
}

static int listen_tcp(const char *addr)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	CLEANUP_FREE char *host = NULL;
	struct addrinfo *res, *ai;
	const char *colon, *port;
	int rc = -EADDRNOTAVAIL;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		host = strndup(addr + 1, (size_t)(end - addr - 1));
		port = end + 2;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		host = strndup(addr, (size_t)(colon - addr));
		port = colon + 1;
	}
	if (!host)
		return -ENOMEM;
	if (!*port)
		return -EINVAL;
	if (getaddrinfo(*host ? host : NULL, port, &hints, &res) != 0)
		return -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1;
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);

		if (fd < 0) {
			rc = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
			rc = -errno;
			close(fd);
			continue;
		}
		rc = fd;
		break;
	}
	freeaddrinfo(res);
	return rc;
}

int nbdsrv_listen_socket(const char *addr, mode_t unix_mode, char **unix_path)
{
	*unix_path = NULL;
	if (strncmp(addr, "unix:", 5) == 0)
		return listen_unix(addr + 5, unix_mode, unix_path);
	if (strchr(addr, '/'))
		return listen_unix(addr, unix_mode, unix_path);
	return listen_tcp(addr);
}
