/*
 * serve --tls: mode, defaults and credentials. See servetls.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/cli.h"
#include "cli/secret.h"
#include "cli/servetls.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Larger than any valid psktool file (256 identities of 128 bytes, 64-byte keys). */
#define PSK_FILE_MAX                                                                               \
	(NBDSRV_TLS_PSK_MAX_ENTRIES *                                                              \
	 (NBDSRV_TLS_PSK_MAX_IDENTITY + 2 * NBDSRV_TLS_PSK_MAX_KEY + 4))

static bool sa_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

bool serve_addr_is_loopback(const char *addr)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	CLEANUP_FREE char *host = NULL;
	struct addrinfo *res, *ai;
	bool lo = true;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end)
			return false;
		host = strndup(addr + 1, (size_t)(end - addr - 1));
	} else {
		const char *colon = strrchr(addr, ':');

		host = colon ? strndup(addr, (size_t)(colon - addr)) : strdup(addr);
	}
	/* ":PORT" listens on every address: that is the network. */
	if (!host || !*host)
		return false;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (ai = res; ai; ai = ai->ai_next)
		if (!sa_is_loopback(ai->ai_addr))
			lo = false;
	freeaddrinfo(res);
	return lo;
}

static int load_creds(struct serve_tls *st)
{
	struct nbdsrv_tls_cfg tc = {
		.psk_file = st->psk_file,
		.cert_dir = st->cert_dir,
		.verify_peer = st->verify_peer,
	};
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[600];
	int code;

	if (st->psk_file) {
		buf = malloc(PSK_FILE_MAX);
		if (!buf) {
			cli_err("out of memory");
			return CLI_EXIT_LOCAL;
		}
		/* Owned by root, mode 0600: the same rule as CHAP secrets. */
		code = secret_read_file(st->psk_file, buf, PSK_FILE_MAX, &len);
		if (code) {
			free(buf);
			return code;
		}
		if (len == PSK_FILE_MAX) {
			cli_err("PSK file %s is too large (at most %d identities)", st->psk_file,
				NBDSRV_TLS_PSK_MAX_ENTRIES);
			secret_wipe(buf, PSK_FILE_MAX);
			free(buf);
			return CLI_EXIT_USAGE;
		}
		tc.psk_text = (const char *)buf;
		tc.psk_len = len;
	}
	st->tls = nbdsrv_tls_new(&tc, err, sizeof(err));
	if (buf) {
		secret_wipe(buf, PSK_FILE_MAX);
		free(buf);
	}
	if (!st->tls) {
		cli_err("%s", err);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int serve_tls_setup(struct serve_tls *st, const char *listen_addr, const char *socket_path)
{
	bool creds = st->psk_file || st->cert_dir;
	int m;

	st->loopback = socket_path != NULL || serve_addr_is_loopback(listen_addr);
	if (st->mode_arg) {
		/* The option table has let only its names through (nbdsrv_tls_mode_names[]). */
		m = nbdsrv_tls_mode_parse(st->mode_arg);
		if (m < 0) {
			cli_err("bad --tls '%s'", st->mode_arg);
			return CLI_EXIT_USAGE;
		}
		st->mode = (enum nbdsrv_tls_mode)m;
	} else {
		st->mode = creds || !st->loopback ? NBDSRV_TLS_REQUIRE : NBDSRV_TLS_OFF;
	}
	if (st->verify_peer && !st->cert_dir) {
		cli_err("--tls-verify-peer needs --tls-certificates DIR (its ca-cert.pem signs "
			"the client certificates)");
		return CLI_EXIT_USAGE;
	}
	if (st->mode == NBDSRV_TLS_OFF) {
		if (creds) {
			cli_err("--tls off with --tls-psk or --tls-certificates: drop one or the "
				"other");
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if (!creds) {
		if (!st->mode_arg)
			cli_err("%s is not a loopback address: serving it needs TLS credentials, "
				"so that only clients holding them reach the LUN. Make a key with "
				"'psktool -u NAME -p /etc/iscsi-nbd/nbd.psk' and give --tls-psk "
				"/etc/iscsi-nbd/nbd.psk, or give --tls-certificates DIR "
				"(ca-cert.pem, server-cert.pem, server-key.pem); or serve "
				"everyone who can reach the port, unencrypted, with --tls off "
				"(see iscsi-nbd(8), SERVING ON THE NETWORK)",
				listen_addr);
		else
			cli_err("--tls %s needs credentials: --tls-psk FILE (make one with "
				"'psktool -u NAME -p FILE') or --tls-certificates DIR",
				st->mode_arg);
		return CLI_EXIT_USAGE;
	}
	return load_creds(st);
}

void serve_tls_warn(const struct serve_tls *st, const char *addr)
{
	if (st->mode == NBDSRV_TLS_OFF && !st->loopback)
		log_warn("%s: TLS is off (--tls off): anyone who can reach this address reads "
			 "and writes the LUN, unencrypted",
			 addr);
	else if (st->mode == NBDSRV_TLS_ON)
		log_notice("%s: TLS offered, not required (--tls on): plaintext clients are "
			   "served too",
			   addr);
}

void serve_tls_release(struct serve_tls *st)
{
	nbdsrv_tls_free(st->tls);
	st->tls = NULL;
}
