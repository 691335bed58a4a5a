/*
 * The target options of the one-shot commands, from the table's rows
 * (conffile.h: CONFIG_F_ONESHOT, CONFIG_F_DISCOVERY): their getopt tables,
 * --help lines, defaults, checks and setter; and turning them into a
 * struct sess_config: portal resolution, secrets, initiator name, ISID.
 */
#include "config.h"

#include <assert.h>
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

/* The defaults of the table's rows kept in struct cli_target (30 s, LUN 0, no digests). */
void cli_target_init(struct cli_target *t)
{
	char why[300];

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].def && opt_is_target(&config_keys[i]) &&
		    opt_set(NULL, t, &config_keys[i], config_keys[i].def, false, why, sizeof(why)))
			abort(); /* a table that lies; config_init() aborts on it too */
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

/* ---- the target options of the one-shot commands, from the table ---- */

/* The flag of the rows a command of this kind takes. */
static unsigned int kind_flag(bool discovery)
{
	return discovery ? CONFIG_F_DISCOVERY : CONFIG_F_ONESHOT;
}

/* Whether one of the first n long options of o has this name. */
static bool opt_taken(const struct cli_opts *o, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(o->longopts[i].name, name) == 0)
			return true;
	return false;
}

void cli_opts_init(struct cli_opts *o, bool discovery, const struct cli_own_opt *own,
		   const char *own_short)
{
	size_t n = 0, s = 0;

	memset(o, 0, sizeof(*o));
	o->discovery = discovery;
	opt_getopt_rows(kind_flag(discovery), o->longopts, &n, o->shortopts, &s);
	for (; own && own->opt.name; own++) {
		assert(n < CLI_OPTS_MAX && !opt_taken(o, n, own->opt.name));
		o->longopts[n++] = own->opt;
	}
	for (; own_short && *own_short; own_short++) {
		/* A letter of a target option would never reach the command. */
		assert(*own_short == ':' || !strchr(o->shortopts, *own_short));
		assert(s + 2 < sizeof(o->shortopts));
		o->shortopts[s++] = *own_short;
	}
	o->longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
	o->shortopts[s] = 'h';
}

void cli_own_usage(FILE *f, const struct cli_own_opt *own)
{
	int c = own->opt.val;

	if (own->usage)
		config_usage_line(f, c > ' ' && c < 0x7f ? (char)c : 0, own->opt.name, own->arg,
				  own->usage);
}

const char *cli_opt_name(const struct cli_opts *o, int c)
{
	for (const struct option *p = o->longopts; p->name; p++)
		if (p->val == c)
			return p->name;
	return "?";
}

/* Row k's value arg into t, through the setter attach and the files use: 0 or -1 (said). */
static int target_set(struct cli_target *t, const struct config_key *k, const char *arg)
{
	char why[300], esc[STR_ESC_VALUE_MAX];
	int rc;

	if (k->store == CONFIG_STORE_PORTAL) {
		/* One portal, not attach's list: checked when it is resolved (portal.c). */
		t->portal = arg;
		return 0;
	}
	rc = opt_set(NULL, t, k, arg, true, why, sizeof(why));
	if (rc == -ENOMEM)
		cli_err("out of memory");
	else if (rc < 0)
		cli_err("bad --%s '%s': %s", k->option, str_esc(esc, sizeof(esc), arg), why);
	return rc < 0 ? -1 : 0;
}

int cli_getopt_target(int argc, char **argv, const struct cli_opts *o, struct cli_target *t)
{
	for (;;) {
		int c = getopt_long(argc, argv, o->shortopts, o->longopts, NULL);
		const struct config_key *k =
			c == -1 ? NULL : opt_row_of(c, kind_flag(o->discovery));

		if (!k)
			return c;
		if (target_set(t, k, optarg) < 0)
			return CLI_GETOPT_BAD;
	}
}

void cli_target_usage(FILE *f, bool discovery)
{
	unsigned int flag = kind_flag(discovery);

	fputs("Target options:\n", f);
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].option && config_keys[i].usage && (config_keys[i].flags & flag))
			config_usage_row(f, &config_keys[i], "", config_dir());
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

/* A buffer of chap_secret_load(), wiped and freed (NULL: nothing). */
static void chap_secret_drop(const uint8_t *secret)
{
	if (!secret)
		return;
	secret_wipe((void *)secret, SECRET_MAX + 1);
	free((void *)secret);
}

/*
 * A CHAP secret, one-way or mutual, from its file into a buffer that
 * chap_secret_drop() frees: 0, or an exit code after saying why.
 */
static int chap_secret_load(const char *path, const uint8_t **secret, size_t *len)
{
	uint8_t *buf = malloc(SECRET_MAX + 1);
	int rc;

	if (!buf) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	rc = secret_read(path, buf, len);
	if (rc) {
		chap_secret_drop(buf);
		return rc;
	}
	*secret = buf;
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
		rc = chap_secret_load(t->chap_secret_file, &cfg->chap.secret,
				      &cfg->chap.secret_len);
	}
	if (!rc && t->mutual_user) {
		cfg->chap.mutual_user = t->mutual_user;
		rc = chap_secret_load(t->mutual_secret_file, &cfg->chap.mutual_secret,
				      &cfg->chap.mutual_secret_len);
	}
	if (rc)
		cli_config_release(cfg);
	return rc;
}

void cli_config_release(struct sess_config *cfg)
{
	chap_secret_drop(cfg->chap.secret);
	chap_secret_drop(cfg->chap.mutual_secret);
	free((void *)cfg->initiator_name);
	memset(cfg, 0, sizeof(*cfg));
}
