/*
 * TLS credentials and non-blocking TLS I/O for the NBD server. See tls.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "nbd/tls.h"
#include "util/compiler.h"
#include "util/hex.h"
#include "util/log.h"

/*
 * TLS 1.2 suites: ephemeral key exchange with AEAD for certificates, and
 * the PSK families GnuTLS clients (libnbd, qemu) offer; TLS 1.3 keeps
 * OpenSSL's default suites, which are all AEAD.
 */
#define TLS12_CIPHERS                                                                              \
	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:"                                     \
	"kECDHEPSK+CHACHA20:kDHEPSK+AESGCM:kDHEPSK+CHACHA20:kPSK+AESGCM:kPSK+CHACHA20:"            \
	"!aNULL:!eNULL:!kRSAPSK"

struct psk_entry {
	char identity[NBDSRV_TLS_PSK_MAX_IDENTITY + 1];
	uint8_t key[NBDSRV_TLS_PSK_MAX_KEY];
	unsigned keylen;
};

/*
 * TLS 1.3 suites, AES-GCM first (AES-NI). A TLS 1.3 PSK from the PSK
 * callback is bound to SHA-256: with server preference, a SHA-384 suite
 * picked first makes OpenSSL drop the PSK and fall back to the certificate
 * (seen with GnuTLS clients when both credentials are loaded), so with PSKs
 * the SHA-256 suites lead.
 */
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
#define TLS13_SUITES_PSK                                                                           \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/* SSL ex-data slot: the PSK entry a handshake used (OpenSSL does not keep it for TLS 1.3). */
static int psk_ex_index = -1;
/* Set on a connection whose refusal was already logged with its reason
 * (an unknown PSK identity), so the handshake failure that OpenSSL then
 * reports in its own words is not logged a second time. */
static int refused_ex_index = -1;
static char refused_mark;

struct nbdsrv_tls {
	SSL_CTX *ctx;
	struct psk_entry *psk;
	unsigned npsk;
	bool certs;
};

const char *const nbdsrv_tls_mode_names[] = {
	[NBDSRV_TLS_OFF] = "off",
	[NBDSRV_TLS_ON] = "on",
	[NBDSRV_TLS_REQUIRE] = "require",
	NULL,
};

int nbdsrv_tls_mode_parse(const char *s)
{
	for (int m = 0; nbdsrv_tls_mode_names[m]; m++)
		if (strcmp(s, nbdsrv_tls_mode_names[m]) == 0)
			return m;
	return -1;
}

const char *nbdsrv_tls_mode_name(enum nbdsrv_tls_mode m)
{
	return (unsigned)m < ARRAY_SIZE(nbdsrv_tls_mode_names) - 1 ? nbdsrv_tls_mode_names[m] : "?";
}

/*
 * psktool writes "username:hexkey\n". The identity is everything before
 * the first ':' (psktool refuses ':' in user names); the key is an even
 * number of hex digits. out may be NULL (count and check only).
 */
static int psk_parse(const char *text, size_t len, struct psk_entry *out, unsigned max, char *err,
		     size_t errlen)
{
	unsigned n = 0, lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		const char *colon, *hex;
		size_t idlen, hexlen, i;

		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			continue;
		colon = memchr(line, ':', ll);
		if (!colon) {
			snprintf(err, errlen,
				 "line %u: no ':' (want identity:hexkey, as psktool writes)",
				 lineno);
			return -EINVAL;
		}
		idlen = (size_t)(colon - line);
		hex = colon + 1;
		hexlen = ll - idlen - 1;
		if (idlen == 0 || idlen > NBDSRV_TLS_PSK_MAX_IDENTITY) {
			snprintf(err, errlen, "line %u: identity must be 1 to %d bytes", lineno,
				 NBDSRV_TLS_PSK_MAX_IDENTITY);
			return -EINVAL;
		}
		for (i = 0; i < idlen; i++)
			if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
				snprintf(err, errlen, "line %u: control character in identity",
					 lineno);
				return -EINVAL;
			}
		if (hexlen == 0 || hexlen % 2 || hexlen / 2 > NBDSRV_TLS_PSK_MAX_KEY) {
			snprintf(err, errlen,
				 "line %u: key must be an even number of hex digits, 2 to %d",
				 lineno, 2 * NBDSRV_TLS_PSK_MAX_KEY);
			return -EINVAL;
		}
		for (i = 0; i < hexlen; i++)
			if (hex_value((unsigned char)hex[i]) < 0) {
				snprintf(err, errlen, "line %u: key is not hexadecimal", lineno);
				return -EINVAL;
			}
		if (n == max) {
			snprintf(err, errlen, "more than %u identities", max);
			return -EINVAL;
		}
		if (out) {
			struct psk_entry *e = &out[n];

			for (unsigned j = 0; j < n; j++)
				if (strlen(out[j].identity) == idlen &&
				    memcmp(out[j].identity, line, idlen) == 0) {
					snprintf(err, errlen, "line %u: identity given twice",
						 lineno);
					return -EINVAL;
				}
			memcpy(e->identity, line, idlen);
			e->identity[idlen] = 0;
			e->keylen = (unsigned)(hexlen / 2);
			for (i = 0; i < e->keylen; i++)
				e->key[i] = (uint8_t)(hex_value((unsigned char)hex[2 * i]) << 4 |
						      hex_value((unsigned char)hex[2 * i + 1]));
		}
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "no identity:hexkey line");
		return -EINVAL;
	}
	return (int)n;
}

int nbdsrv_tls_psk_parse(const char *text, size_t len, char *err, size_t errlen)
{
	return psk_parse(text, len, NULL, NBDSRV_TLS_PSK_MAX_ENTRIES, err, errlen);
}

/* A peer-chosen string for a log line: printable ASCII only, bounded. */
static void sanitize(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; *src && i + 1 < cap; src++)
		dst[i++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[i] = 0;
}

/* The identity's key, or 0 (the handshake then fails with unknown_psk_identity). */
static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
				  unsigned int max_psk_len)
{
	struct nbdsrv_tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	const char *name = SSL_get_app_data(ssl);
	char safe[NBDSRV_TLS_PSK_MAX_IDENTITY + 1];

	if (!identity)
		identity = "";
	for (unsigned i = 0; i < t->npsk; i++) {
		if (strcmp(t->psk[i].identity, identity) != 0)
			continue;
		if (t->psk[i].keylen > max_psk_len)
			break;
		memcpy(psk, t->psk[i].key, t->psk[i].keylen);
		SSL_set_ex_data(ssl, psk_ex_index, t->psk[i].identity);
		dbg(LOG_SUB_NBD, "%s: TLS PSK identity '%s'", name ? name : "nbdsrv",
		    t->psk[i].identity);
		return t->psk[i].keylen;
	}
	sanitize(safe, sizeof(safe), identity);
	log_info("%s: TLS refused: unknown PSK identity '%s'", name ? name : "nbdsrv", safe);
	SSL_set_ex_data(ssl, refused_ex_index, &refused_mark);
	return 0;
}

/* The first queued OpenSSL error as text; the queue is cleared. */
static const char *ssl_err_text(char *buf, size_t cap)
{
	unsigned long e = ERR_get_error();

	if (!e) {
		snprintf(buf, cap, "unknown error");
	} else {
		const char *r = ERR_reason_error_string(e);

		if (r)
			snprintf(buf, cap, "%s", r);
		else
			ERR_error_string_n(e, buf, cap);
	}
	ERR_clear_error();
	return buf;
}

static int load_certs(struct nbdsrv_tls *t, const struct nbdsrv_tls_cfg *cfg, char *err,
		      size_t errlen)
{
	char path[4096], e[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/server-cert.pem", cfg->cert_dir);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, path) != 1) {
		snprintf(err, errlen, "cannot load %s: %s", path, ssl_err_text(e, sizeof(e)));
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/server-key.pem", cfg->cert_dir);
	if (SSL_CTX_use_PrivateKey_file(t->ctx, path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		snprintf(err, errlen, "cannot load %s (or it does not match server-cert.pem): %s",
			 path, ssl_err_text(e, sizeof(e)));
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/ca-cert.pem", cfg->cert_dir);
	f = fopen(path, "r");
	if (!f) {
		if (cfg->verify_peer) {
			snprintf(err, errlen, "--tls-verify-peer needs %s: %s", path,
				 strerror(errno));
			return -EINVAL;
		}
	} else {
		STACK_OF(X509_NAME) * names;

		fclose(f);
		if (SSL_CTX_load_verify_locations(t->ctx, path, NULL) != 1) {
			snprintf(err, errlen, "cannot load %s: %s", path,
				 ssl_err_text(e, sizeof(e)));
			return -EINVAL;
		}
		names = SSL_load_client_CA_file(path);
		if (names)
			SSL_CTX_set_client_CA_list(t->ctx, names);
	}
	if (cfg->verify_peer)
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	t->certs = true;
	return 0;
}

struct nbdsrv_tls *nbdsrv_tls_new(const struct nbdsrv_tls_cfg *cfg, char *err, size_t errlen)
{
	struct nbdsrv_tls *t;
	char e[256];
	int n;

	if (!cfg->psk_text && !cfg->cert_dir) {
		snprintf(err, errlen,
			 "TLS needs credentials: --tls-psk FILE or "
			 "--tls-certificates DIR");
		return NULL;
	}
	if (cfg->verify_peer && !cfg->cert_dir) {
		snprintf(err, errlen, "--tls-verify-peer needs --tls-certificates DIR");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (cfg->psk_text) {
		char perr[200];

		t->psk = calloc(NBDSRV_TLS_PSK_MAX_ENTRIES, sizeof(*t->psk));
		if (!t->psk) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto fail;
		}
		n = psk_parse(cfg->psk_text, cfg->psk_len, t->psk, NBDSRV_TLS_PSK_MAX_ENTRIES, perr,
			      sizeof(perr));
		if (n < 0) {
			snprintf(err, errlen, "PSK file %s: %s", cfg->psk_file ? cfg->psk_file : "",
				 perr);
			goto fail;
		}
		t->npsk = (unsigned)n;
	}
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx) {
		snprintf(err, errlen, "SSL_CTX_new: %s", ssl_err_text(e, sizeof(e)));
		goto fail;
	}
	SSL_CTX_set_app_data(t->ctx, t);
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
					    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(t->ctx, 0);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	/* Partial writes: SSL_write returns per record, so a slow peer never pins 1 MiB. */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
					 SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_dh_auto(t->ctx, 1);
	if (psk_ex_index < 0)
		psk_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (refused_ex_index < 0)
		refused_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (SSL_CTX_set_cipher_list(t->ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(t->ctx, t->npsk ? TLS13_SUITES_PSK : TLS13_SUITES) != 1) {
		snprintf(err, errlen, "cipher list: %s", ssl_err_text(e, sizeof(e)));
		goto fail;
	}
	if (t->npsk)
		SSL_CTX_set_psk_server_callback(t->ctx, psk_server_cb);
	if (cfg->cert_dir && load_certs(t, cfg, err, errlen) < 0)
		goto fail;
	return t;
fail:
	nbdsrv_tls_free(t);
	return NULL;
}

void nbdsrv_tls_free(struct nbdsrv_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	if (t->psk) {
		OPENSSL_cleanse(t->psk, NBDSRV_TLS_PSK_MAX_ENTRIES * sizeof(*t->psk));
		free(t->psk);
	}
	free(t);
}

unsigned nbdsrv_tls_psk_count(const struct nbdsrv_tls *t)
{
	return t->npsk;
}

bool nbdsrv_tls_has_certs(const struct nbdsrv_tls *t)
{
	return t->certs;
}

SSL *nbdsrv_tls_session(struct nbdsrv_tls *t, int fd, const char *name)
{
	SSL *ssl = SSL_new(t->ctx);

	if (!ssl)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_app_data(ssl, (void *)name);
	SSL_set_accept_state(ssl);
	return ssl;
}

/*
 * Before each SSL_accept / read / write: what ssl_fail reads afterwards
 * (the error queue, errno for SSL_ERROR_SYSCALL) must be this call's.
 */
static void ssl_call_begin(void)
{
	ERR_clear_error();
	errno = 0;
}

void nbdsrv_tls_move_fd(SSL *ssl, int fd)
{
	/* SSL_set_fd made one socket BIO for both directions; it buffers nothing. */
	BIO_set_fd(SSL_get_rbio(ssl), fd, BIO_NOCLOSE);
}

/* Map SSL_get_error(); logs real failures. Returns -EAGAIN or -errno. */
static int ssl_fail(SSL *ssl, int r, const char *name, const char *what, int *events)
{
	int e = SSL_get_error(ssl, r);
	char buf[256];

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*events = EV_READ;
		ERR_clear_error();
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*events = EV_WRITE;
		ERR_clear_error();
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return -ECONNRESET;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error()) {
			log_info("%s: %s: %s", name, what, ssl_err_text(buf, sizeof(buf)));
			return -EPROTO;
		}
		if (errno == EINTR) {
			*events = EV_READ | EV_WRITE;
			return -EAGAIN;
		}
		/* r == 0 and errno unset: the peer closed without close_notify. */
		if (errno == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			return -ECONNRESET;
		return -errno;
	default: {
		long v = SSL_get_verify_result(ssl);

		ssl_err_text(buf, sizeof(buf));
		if (SSL_get_ex_data(ssl, refused_ex_index) == &refused_mark)
			; /* the reason is logged already */
		else if (v != X509_V_OK)
			log_info("%s: %s failed: %s: client certificate: %s", name, what, buf,
				 X509_verify_cert_error_string(v));
		else if (strstr(buf, "binder") || strstr(buf, "bad record mac") ||
			 strstr(buf, "decrypt"))
			log_info("%s: %s failed: %s (the client's pre-shared key does not match)",
				 name, what, buf);
		else
			log_info("%s: %s failed: %s", name, what, buf);
		return -EPROTO;
	}
	}
}

int nbdsrv_tls_accept(SSL *ssl, const char *name, int *events)
{
	int r;

	ssl_call_begin();
	r = SSL_accept(ssl);
	if (r == 1)
		return 0;
	r = ssl_fail(ssl, r, name, "TLS handshake", events);
	if (r == -ECONNRESET)
		log_info("%s: TLS handshake: connection closed by the client", name);
	return r;
}

ssize_t nbdsrv_tls_read(SSL *ssl, const char *name, void *buf, size_t len, int *events)
{
	size_t got = 0;

	ssl_call_begin();
	if (SSL_read_ex(ssl, buf, len, &got) == 1)
		return (ssize_t)got;
	return ssl_fail(ssl, 0, name, "TLS read", events);
}

ssize_t nbdsrv_tls_write(SSL *ssl, const char *name, const void *buf, size_t len, int *events)
{
	size_t put = 0;

	ssl_call_begin();
	if (SSL_write_ex(ssl, buf, len, &put) == 1)
		return (ssize_t)put;
	return ssl_fail(ssl, 0, name, "TLS write", events);
}

bool nbdsrv_tls_pending(SSL *ssl)
{
	return SSL_pending(ssl) > 0;
}

void nbdsrv_tls_close(SSL *ssl, bool clean)
{
	if (!ssl)
		return;
	if (clean) {
		/* One try: the socket is non-blocking and about to be closed anyway. */
		ERR_clear_error();
		(void)SSL_shutdown(ssl);
	}
	ERR_clear_error();
	SSL_free(ssl);
}

void nbdsrv_tls_describe(SSL *ssl, struct nbdsrv_tls_info *info)
{
	const char *id = psk_ex_index >= 0 ? SSL_get_ex_data(ssl, psk_ex_index) : NULL;
	X509 *peer;

	info->version = SSL_get_version(ssl);
	info->cipher = SSL_get_cipher_name(ssl);
	info->peer[0] = 0;
	if (id) {
		char safe[NBDSRV_TLS_PSK_MAX_IDENTITY + 1];

		sanitize(safe, sizeof(safe), id);
		snprintf(info->peer, sizeof(info->peer), "psk:%s", safe);
		return;
	}
	peer = SSL_get1_peer_certificate(ssl);
	if (peer) {
		char subj[240];

		X509_NAME_oneline(X509_get_subject_name(peer), subj, sizeof(subj));
		snprintf(info->peer, sizeof(info->peer), "x509:%s", subj);
		X509_free(peer);
	}
}
