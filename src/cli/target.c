/*
 * The options every command that logs in shares, and turning them into a
 * struct sess_config: portal resolution, secrets, initiator name, ISID.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/initiator.h"
#include "cli/portal.h"
#include "cli/secret.h"
#include "session/iscsi_name.h"
#include "util/cleanup.h"
#include "util/escape.h"

const char cli_target_help[] =
	"Target options:\n"
	"  -t, --target IQN             target name (required)\n"
	"  -P, --portal HOST[:PORT]     portal (IPv4, [IPv6]:PORT or name; port 3260)\n"
	"  -l, --lun N                  logical unit number (default 0)\n"
	"      --chap-user USER         log in with CHAP as USER\n"
	"      --chap-secret-file FILE  CHAP secret (file owned by root, mode 0600)\n"
	"      --mutual-user USER       mutual CHAP: the name the target must answer with\n"
	"      --mutual-secret-file FILE  the target's secret (mode 0600)\n"
	"      --header-digest none|crc32c|prefer-crc32c\n"
	"      --data-digest none|crc32c|prefer-crc32c  (default none)\n"
	"      --initiator-name NAME    default: " INITIATOR_OPENISCSI_FILE ",\n"
	"                               else /etc/iscsi-nbd/initiatorname (made once)\n"
	"      --timeout SECONDS        bound of the whole command (default 30)\n"
	"      --max-recv-dsl BYTES     our MaxRecvDataSegmentLength (512-16M-1): the\n"
	"                               largest PDU the target may send us\n";

void cli_target_init(struct cli_target *t)
{
	memset(t, 0, sizeof(*t));
	t->header_digest = SESS_DIGEST_NONE;
	t->data_digest = SESS_DIGEST_NONE;
	t->timeout = CLI_DEFAULT_TIMEOUT;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_digest(const char *s, enum sess_digest_pref *out)
{
	if (strcmp(s, "none") == 0)
		*out = SESS_DIGEST_NONE;
	else if (strcmp(s, "crc32c") == 0 || strcmp(s, "CRC32C") == 0)
		*out = SESS_DIGEST_CRC32C;
	else if (strcmp(s, "prefer-crc32c") == 0)
		*out = SESS_DIGEST_PREFER_CRC32C;
	else if (strcmp(s, "prefer-none") == 0)
		*out = SESS_DIGEST_PREFER_NONE;
	else
		return -EINVAL;
	return 0;
}

int cli_target_opt(struct cli_target *t, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 't': {
		const char *why;

		/* RFC 7143 4.2.7: refuse here what a target would refuse less clearly. */
		if (iscsi_name_check(arg, strlen(arg), &why) < 0) {
			char esc[STR_ESC_VALUE_MAX];

			cli_err("bad target name '%s': %s", str_esc(esc, sizeof(esc), arg), why);
			return -1;
		}
		t->target = arg;
		return 1;
	}
	case 'P':
		t->portal = arg;
		return 1;
	case 'l':
		if (cli_parse_u64(arg, &v) < 0 || v > 16383) {
			cli_err("bad LUN '%s': give a number 0-16383", arg);
			return -1;
		}
		t->lun = (uint32_t)v;
		return 1;
	case CLI_OPT_CHAP_USER:
		t->chap_user = arg;
		return 1;
	case CLI_OPT_CHAP_SECRET_FILE:
		t->chap_secret_file = arg;
		return 1;
	case CLI_OPT_MUTUAL_USER:
		t->mutual_user = arg;
		return 1;
	case CLI_OPT_MUTUAL_SECRET_FILE:
		t->mutual_secret_file = arg;
		return 1;
	case CLI_OPT_HEADER_DIGEST:
	case CLI_OPT_DATA_DIGEST:
		if (parse_digest(arg, c == CLI_OPT_HEADER_DIGEST ? &t->header_digest
								 : &t->data_digest) < 0) {
			cli_err("bad digest '%s': give none, crc32c, prefer-crc32c or prefer-none",
				arg);
			return -1;
		}
		return 1;
	case CLI_OPT_INITIATOR_NAME:
		t->initiator_name = arg;
		return 1;
	case CLI_OPT_MAX_RECV_DSL:
		/* RFC 7143 13.12: 512 to 2^24-1. */
		if (cli_parse_u64(arg, &v) < 0 || v < 512 || v > 0xffffff) {
			cli_err("bad --max-recv-dsl '%s': give bytes from 512 to 16777215", arg);
			return -1;
		}
		t->max_recv_dsl = (uint32_t)v;
		return 1;
	case CLI_OPT_TIMEOUT: {
		char *end;
		double d = strtod(arg, &end);

		if (*arg == 0 || *end || !(d > 0) || d > 86400) {
			cli_err("bad timeout '%s': give seconds, e.g. 30 or 0.5", arg);
			return -1;
		}
		t->timeout = d;
		return 1;
	}
	default:
		return 0;
	}
}

/*
 * ISID for a one-shot command: type "random" (T = 10b, RFC 7143 10.12.5,
 * first byte 0x80), 3 random bytes, and a 2-byte qualifier from the PID, so
 * that two commands run at the same time never share an I_T nexus.
 */
static void pick_isid(uint8_t isid[6])
{
	uint8_t r[3];
	pid_t pid = getpid();

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		uint32_t x = (uint32_t)time(NULL) * 2654435761u ^ (uint32_t)pid;

		r[0] = (uint8_t)x;
		r[1] = (uint8_t)(x >> 8);
		r[2] = (uint8_t)(x >> 16);
	}
	isid[0] = 0x80;
	isid[1] = r[0];
	isid[2] = r[1];
	isid[3] = r[2];
	isid[4] = (uint8_t)(pid >> 8);
	isid[5] = (uint8_t)pid;
}

int cli_config_build(const struct cli_target *t, bool discovery, struct sess_config *cfg)
{
	char err[256];
	uint8_t *secret = NULL, *msecret = NULL;
	size_t len;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!t->portal) {
		cli_err("no portal given: add -P HOST[:PORT]");
		return CLI_EXIT_USAGE;
	}
	if (!discovery && !t->target) {
		cli_err("no target given: add -t IQN (iscsi-nbd discover %s lists them)",
			t->portal);
		return CLI_EXIT_USAGE;
	}
	if (!t->chap_user != !t->chap_secret_file) {
		cli_err("--chap-user and --chap-secret-file go together");
		return CLI_EXIT_USAGE;
	}
	if (!t->mutual_user != !t->mutual_secret_file) {
		cli_err("--mutual-user and --mutual-secret-file go together");
		return CLI_EXIT_USAGE;
	}
	if (t->mutual_user && !t->chap_user) {
		cli_err("mutual CHAP needs one-way CHAP too: add --chap-user and "
			"--chap-secret-file");
		return CLI_EXIT_USAGE;
	}
	rc = portal_parse(t->portal, &cfg->portal, &cfg->portal_len, err, sizeof(err));
	if (rc < 0) {
		cli_err("%s", err);
		return rc == -ENOENT ? CLI_EXIT_CONNECT : CLI_EXIT_USAGE;
	}
	cfg->name = discovery ? "discovery" : "sess";
	cfg->discovery = discovery;
	cfg->target_name = discovery ? NULL : t->target;
	pick_isid(cfg->isid);
	cfg->header_digest = t->header_digest;
	cfg->data_digest = t->data_digest;
	cfg->login_timeout_ms = (uint32_t)(t->timeout * 1000);
	cfg->max_recv_dsl = t->max_recv_dsl;

	if (t->initiator_name)
		cfg->initiator_name = strdup(t->initiator_name);
	else
		cfg->initiator_name = initiator_name_default(); /* initiator.c */
	if (!cfg->initiator_name) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}

	if (t->chap_user) {
		secret = malloc(SECRET_MAX + 1);
		if (!secret) {
			cli_config_release(cfg);
			cli_err("out of memory");
			return CLI_EXIT_LOCAL;
		}
		rc = secret_read(t->chap_secret_file, secret, &len);
		if (rc) {
			free(secret);
			cli_config_release(cfg);
			return rc;
		}
		cfg->chap_user = t->chap_user;
		cfg->chap_secret = secret;
		cfg->chap_secret_len = len;
	}
	if (t->mutual_user) {
		msecret = malloc(SECRET_MAX + 1);
		if (!msecret) {
			cli_config_release(cfg);
			cli_err("out of memory");
			return CLI_EXIT_LOCAL;
		}
		rc = secret_read(t->mutual_secret_file, msecret, &len);
		if (rc) {
			free(msecret);
			cli_config_release(cfg);
			return rc;
		}
		cfg->mutual_user = t->mutual_user;
		cfg->mutual_secret = msecret;
		cfg->mutual_secret_len = len;
	}
	return 0;
}

void cli_config_release(struct sess_config *cfg)
{
	if (cfg->chap_secret) {
		secret_wipe((void *)cfg->chap_secret, SECRET_MAX + 1);
		free((void *)cfg->chap_secret);
	}
	if (cfg->mutual_secret) {
		secret_wipe((void *)cfg->mutual_secret, SECRET_MAX + 1);
		free((void *)cfg->mutual_secret);
	}
	free((void *)cfg->initiator_name);
	memset(cfg, 0, sizeof(*cfg));
}
