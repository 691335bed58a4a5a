/*
 * TLS for the NBD server (NBD_OPT_STARTTLS, "TLS support" in
 * nbd-protocol.md) through OpenSSL: the credentials of one listener (an
 * SSL_CTX), and the non-blocking I/O helpers the handshake (listen.c) and
 * the transmission phase (server.c) use on a connection's SSL object.
 *
 * Policy, the same for every credential: TLS 1.2 and 1.3 only; TLS 1.2
 * restricted to forward-secret AEAD suites (plus plain PSK AEAD suites,
 * which GnuTLS clients offer too); no renegotiation, no compression, no
 * session tickets (nothing to resume: a client reconnects with its
 * credential).
 *
 * Credentials:
 *  - pre-shared keys in the psktool format, one "identity:hexkey" per line
 *    (the text is parsed here; reading the file with its ownership checks
 *    is the caller's job, see src/cli/secret.c);
 *  - X.509 in a directory laid out as nbdkit and qemu expect:
 *    ca-cert.pem (checks client certificates; optional unless verify_peer),
 *    server-cert.pem, server-key.pem.
 *
 * I/O helpers return the number of bytes moved (> 0), 0 for a clean TLS
 * close by the peer (read), -EAGAIN with *events set to the libev events
 * to wait for (EV_READ or EV_WRITE: TLS may need to write to read and the
 * reverse), or another -errno after logging the cause under name.
 * All calls on the loop thread.
 */
#ifndef ISN_NBD_TLS_H
#define ISN_NBD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

enum nbdsrv_tls_mode {
	NBDSRV_TLS_OFF,	    /* "NOTLS": STARTTLS answered NBD_REP_ERR_UNSUP */
	NBDSRV_TLS_ON,	    /* "SELECTIVETLS": STARTTLS offered, plaintext clients served */
	NBDSRV_TLS_REQUIRE, /* "FORCEDTLS": every option but STARTTLS / ABORT gets TLS_REQD */
};

#define NBDSRV_TLS_PSK_MAX_KEY	    64	/* bytes: psktool makes 32 by default */
#define NBDSRV_TLS_PSK_MAX_IDENTITY 128 /* RFC 4279 allows 2^16, nobody needs it */
#define NBDSRV_TLS_PSK_MAX_ENTRIES  256

struct nbdsrv_tls_cfg {
	const char *psk_text; /* psktool file content, or NULL; borrowed */
	size_t psk_len;
	const char *psk_file; /* its name, for messages */
	const char *cert_dir; /* X.509 directory, or NULL */
	bool verify_peer;     /* require a client certificate signed by ca-cert.pem */
};

struct nbdsrv_tls;

/*
 * Build the credentials. Returns NULL with the reason (one line, saying how
 * to fix it) in err; needs at least one of PSK and certificates.
 */
struct nbdsrv_tls *nbdsrv_tls_new(const struct nbdsrv_tls_cfg *cfg, char *err, size_t errlen);
void nbdsrv_tls_free(struct nbdsrv_tls *t);

/* Number of PSK identities, and whether certificates are loaded. */
unsigned nbdsrv_tls_psk_count(const struct nbdsrv_tls *t);
bool nbdsrv_tls_has_certs(const struct nbdsrv_tls *t);

/*
 * Parse psktool text: "identity:hexkey" lines (blank lines ignored).
 * Returns the number of entries, or -EINVAL with the line and reason in err.
 * For tests and for nbdsrv_tls_new().
 */
int nbdsrv_tls_psk_parse(const char *text, size_t len, char *err, size_t errlen);

/*
 * The modes' names, indexed by enum nbdsrv_tls_mode and NULL-terminated:
 * also the values of the tls configuration key (cli/confkeys.c).
 */
extern const char *const nbdsrv_tls_mode_names[];

/* "off", "on", "require": returns the mode, or -1. */
int nbdsrv_tls_mode_parse(const char *s);
const char *nbdsrv_tls_mode_name(enum nbdsrv_tls_mode m);

/*
 * A server-side SSL object on fd (which stays the caller's to close).
 * name is borrowed for the handshake's log lines (PSK look-ups) and must
 * outlive the handshake. NULL on failure.
 */
SSL *nbdsrv_tls_session(struct nbdsrv_tls *t, int fd, const char *name);

/* Step the TLS handshake: 0 done, -EAGAIN (*events), -errno after a log line. */
int nbdsrv_tls_accept(SSL *ssl, const char *name, int *events);

ssize_t nbdsrv_tls_read(SSL *ssl, const char *name, void *buf, size_t len, int *events);
ssize_t nbdsrv_tls_write(SSL *ssl, const char *name, const void *buf, size_t len, int *events);

/* Decrypted bytes waiting inside the TLS layer (the socket will not signal them). */
bool nbdsrv_tls_pending(SSL *ssl);

/*
 * The session's socket is now fd, a duplicate of the one it was made with
 * (a connection handed to a worker thread, worker.h); keeps every state.
 */
void nbdsrv_tls_move_fd(SSL *ssl, int fd);

/* End the session: one non-blocking close_notify when clean, then free. */
void nbdsrv_tls_close(SSL *ssl, bool clean);

/* What status shows about a TLS connection. */
struct nbdsrv_tls_info {
	const char *version; /* "TLSv1.3" */
	const char *cipher;  /* "TLS_AES_256_GCM_SHA384" */
	char peer[256];	     /* "psk:IDENTITY", "x509:SUBJECT" or "" */
};

void nbdsrv_tls_describe(SSL *ssl, struct nbdsrv_tls_info *info);

#endif
