/*
 * The options every command that logs in shares, and turning them into a
 * struct sess_config: portal resolution, secrets, initiator name, ISID.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/initiator.h"
#include "cli/portal.h"
#include "cli/secret.h"
#include "util/cleanup.h"
#include "util/escape.h"

void cli_target_usage(FILE *f)
{
	fputs("Target options:\n", f);
	config_usage_block(f, CONFIG_BLOCK_TARGET, false, "", config_dir());
}

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

/* The shared options' getopt entries, to find the table row of getopt's answer. */
static const struct option target_opts[] = {CLI_TARGET_LONGOPTS, {NULL, 0, NULL, 0}};

int cli_target_opt(struct cli_target *t, int c, const char *arg)
{
	const struct config_key *k = NULL;
	char why[300], esc[STR_ESC_VALUE_MAX];
	size_t i;
	int rc;

	if (c == 'P') { /* one portal: checked when it is resolved (portal.c) */
		t->portal = arg;
		return 1;
	}
	for (i = 0; !k && target_opts[i].name; i++)
		if (target_opts[i].val == c)
			k = config_key_of_option(target_opts[i].name);
	if (!k || !opt_is_target(k))
		return 0;
	/* The same setter and checks as attach and the configuration files. */
	rc = opt_set(NULL, t, k, arg, true, why, sizeof(why));
	if (rc == -ENOMEM)
		cli_err("out of memory");
	else if (rc < 0)
		cli_err("bad --%s '%s': %s", k->option, str_esc(esc, sizeof(esc), arg), why);
	return rc < 0 ? -1 : 1;
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

/*
 * *out = a new buffer of SECRET_MAX + 1 bytes holding the secret in file
 * (cli_config_release() wipes and frees it). 0, or an exit code after
 * printing why.
 */
static int secret_load(const char *file, const uint8_t **out, size_t *len)
{
	uint8_t *buf = malloc(SECRET_MAX + 1);
	int rc;

	if (!buf) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	rc = secret_read(file, buf, len);
	if (rc) {
		secret_wipe(buf, SECRET_MAX + 1);
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

int cli_config_build(const struct cli_target *t, bool discovery, struct sess_config *cfg)
{
	char err[256];
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

	rc = 0;
	if (t->chap_user) {
		cfg->chap.user = t->chap_user;
		rc = secret_load(t->chap_secret_file, &cfg->chap.secret, &cfg->chap.secret_len);
	}
	if (!rc && t->mutual_user) {
		cfg->chap.mutual_user = t->mutual_user;
		rc = secret_load(t->mutual_secret_file, &cfg->chap.mutual_secret,
				 &cfg->chap.mutual_secret_len);
	}
	if (rc)
		cli_config_release(cfg);
	return rc;
}

void cli_config_release(struct sess_config *cfg)
{
	if (cfg->chap.secret) {
		secret_wipe((void *)cfg->chap.secret, SECRET_MAX + 1);
		free((void *)cfg->chap.secret);
	}
	if (cfg->chap.mutual_secret) {
		secret_wipe((void *)cfg->chap.mutual_secret, SECRET_MAX + 1);
		free((void *)cfg->chap.mutual_secret);
	}
	free((void *)cfg->initiator_name);
	memset(cfg, 0, sizeof(*cfg));
}
