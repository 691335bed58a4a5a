/*
 * Private to the NBD server's listener (listen.c): its listening socket.
 */
#ifndef ISN_NBD_LISTEN_SOCK_H
#define ISN_NBD_LISTEN_SOCK_H

#include <sys/types.h>

/*
 * A non-blocking listening socket on addr: "unix:PATH" or a path with a
 * '/' (a Unix socket file of mode unix_mode; a stale file there is
 * replaced, a live one is -EADDRINUSE; *unix_path: the path, for the
 * caller to unlink and free), else "HOST:PORT" or "[V6]:PORT" (an empty
 * host: every address). Returns the descriptor or -errno.
 */
int nbdsrv_listen_socket(const char *addr, mode_t unix_mode, char **unix_path);

#endif
