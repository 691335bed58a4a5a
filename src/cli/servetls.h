/*
 * serve: which TLS an NBD listener gets (issue 14: a LUN served on TCP must
 * not go to anyone who can reach the port).
 *
 * Default mode: require on a TCP address that is not loopback (or when
 * credentials are given), off on a Unix socket and on loopback. A mode
 * that needs TLS without credentials is refused before anything starts,
 * with a message saying how to make them or how to opt out with --tls off;
 * --tls off on a non-loopback address is allowed but warned about at every
 * start (serve_tls_warn()).
 */
#ifndef ISN_CLI_SERVETLS_H
#define ISN_CLI_SERVETLS_H

#include <stdbool.h>

#include "nbd/tls.h"

struct serve_tls {
	/* From the command line (borrowed strings). */
	const char *mode_arg; /* --tls, or NULL */
	const char *psk_file; /* --tls-psk */
	const char *cert_dir; /* --tls-certificates */
	bool verify_peer;     /* --tls-verify-peer */
	/* Results of serve_tls_setup(). */
	enum nbdsrv_tls_mode mode;
	bool loopback;		/* the address is a Unix socket or loopback only */
	struct nbdsrv_tls *tls; /* credentials, or NULL when mode is off */
};

/*
 * Decide the mode for the listen address (TCP) or Unix socket, load the
 * credentials. Returns 0 or a cli_exit code after printing the reason.
 */
int serve_tls_setup(struct serve_tls *st, const char *listen_addr, const char *socket_path);

/* Log, at every start, that a network address is served without TLS. */
void serve_tls_warn(const struct serve_tls *st, const char *addr);

void serve_tls_release(struct serve_tls *st);

/* Whether HOST:PORT names loopback addresses only (exported for tests). */
bool serve_addr_is_loopback(const char *addr);

#endif
