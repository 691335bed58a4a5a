/*
 * iscsi-nbd attach / serve, first phase: the configuration file --config
 * names and the command line into a struct attach_cmd, with the options
 * checked against each other before anything logs in. Every option is a
 * row of the table (confkeys.c): its getopt entry, its --help entry and
 * where its value goes come from there, and the file's values and the
 * options go through the same setter (optset.c). Precedence: the table's
 * defaults < iscsi-nbd.conf < NAME.conf < the command line.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/ctl.h"
#include "cli/export.h"
#include "cli/servetls.h"
#include "path/transport.h"
#include "util/compiler.h"
#include "util/escape.h"

/* conffile.h: at most 64 rows; and --help. */
static struct option attach_opts[64 + 2];
static char attach_shortopts[2 * 64 + 2];

/* Every row's option, then --help: the getopt tables, built once. */
static void attach_longopts(void)
{
	size_t n = 0, s = 0;

	if (attach_opts[0].name)
		return;
	opt_getopt_rows(0, attach_opts, &n, attach_shortopts, &s);
	attach_opts[n] = (struct option){"help", no_argument, NULL, 'h'};
	attach_shortopts[s] = 'h';
}

static void attach_usage(FILE *f, bool serve)
{
	if (serve)
		fprintf(f, "Usage: " CLI_PROG " serve -t IQN -P PORTAL [-P PORTAL ...] [-l LUN]\n"
			   "       (--socket PATH | --listen HOST:PORT) [OPTIONS]\n\n"
			   "Serve the LUN, over all its paths, to NBD clients (qemu, nbdcopy,\n"
			   "nbdinfo, fio) with the fixed newstyle handshake.\n\n");
	else
		fprintf(f,
			"Usage: " CLI_PROG " attach -t IQN -P PORTAL [-P PORTAL ...] [-l LUN]\n"
			"       [--device /dev/nbdN] [OPTIONS]\n\n"
			"Attach the LUN, over all its paths, as /dev/nbdN. Prints the device\n"
			"when it is ready and stays in the background (or in the foreground\n"
			"with -f). If --device names a device still connected after a daemon\n"
			"crash, the device is taken back without failing its I/O (requests the\n"
			"dead daemon held are re-sent by the kernel when its 30 s request timer\n"
			"fires). Online resize: when the LUN grows, /dev/nbdN grows with it.\n\n");
	fputs("Target options:\n", f);
	config_usage_block(f, CONFIG_BLOCK_TARGET, serve, ctl_dir(), config_dir());
	fprintf(f,
		"  (-P may be given up to %d times, one path each; PORTAL@IFACE binds that\n"
		"   path to a network interface, PORTAL@ADDR to a local source address)\n\n"
		"Path options:\n",
		PATH_MAX_PATHS);
	config_usage_block(f, CONFIG_BLOCK_PATH, serve, ctl_dir(), config_dir());
	fputs(serve ? "\nServer options:\n" : "\nDevice options:\n", f);
	config_usage_block(f, CONFIG_BLOCK_EXPORT, serve, ctl_dir(), config_dir());
	fputs("\nExclusive access (SCSI-3 persistent reservations):\n", f);
	config_usage_block(f, CONFIG_BLOCK_ACCESS, serve, ctl_dir(), config_dir());
	fputs("\nDaemon options:\n", f);
	config_usage_block(f, CONFIG_BLOCK_DAEMON, serve, ctl_dir(), config_dir());
}

/*
 * The defaults of everything the command line and the configuration file
 * can set: the table's, then those it cannot state (computed).
 */
static void attach_defaults(struct attach_cmd *a)
{
	struct export_config *ec = &a->ec;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char why[300];
	size_t i;

	cli_target_init(&a->t);
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].def &&
		    opt_set(a, NULL, &config_keys[i], config_keys[i].def, false, why, sizeof(why)))
			abort(); /* a table that lies; config_init() aborts on it too */
	ec->index = -1;
	ec->nconns = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (unsigned int)ncpu;
	ec->start_timeout_ms = EXPORT_START_TIMEOUT_MS;
	ec->stop_timeout_ms = EXPORT_STOP_TIMEOUT_MS;
	ec->dev.transport = &path_transport_sess;
}

/* Whether row k applies in this mode (a file's attach-only key is not for serve). */
static bool row_for_mode(const struct config_key *k, bool serve)
{
	return !(k->flags & (serve ? CONFIG_F_ATTACH : CONFIG_F_SERVE));
}

/* One value of a->conf through the setter (already checked by config_load). */
static int conf_set(struct attach_cmd *a, const struct config_key *k, const struct config_value *v)
{
	char why[300];
	int rc = opt_set(a, NULL, k, v->text, false, why, sizeof(why));

	if (rc == -ENOMEM) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	if (rc < 0) {
		cli_err("%s:%u: [%s] %s: %s", v->file, v->line, k->section, k->name, why);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * --config NAME: load the files, take the mode, and set what they set
 * (the table's defaults are set already). cli_portal: -P was given, the
 * files' portals are not used.
 */
static int attach_config(struct attach_cmd *a, const char *name, bool cli_portal)
{
	struct config *c = &a->conf;
	char err[600];
	size_t i, j;
	int code = 0;

	a->have_conf = true;
	if (config_load(name, c, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		return CLI_EXIT_USAGE;
	}
	a->serve = strcmp(config_get(c, "daemon", "mode"), "serve") == 0;
	for (i = 0; i < config_nkeys && !code; i++) {
		const struct config_key *k = &config_keys[i];

		if (!k->name || !k->option || !row_for_mode(k, a->serve))
			continue;
		if (!(k->flags & CONFIG_F_LIST)) {
			if (c->v[i].text && c->v[i].file)
				code = conf_set(a, k, &c->v[i]);
			continue;
		}
		for (j = 0; j < c->lists[i].n && !cli_portal && !code; j++)
			code = conf_set(a, k, &c->lists[i].v[j]);
	}
	if (!code && !config_get(c, "daemon", "name"))
		a->ec.name = c->name;
	return code;
}

/* No portal from the files or -P: SendTargets on the files' discovery portals. */
static int attach_discover(struct attach_cmd *a)
{
	char *found[CONFIG_MAX_PORTALS], why[300];
	unsigned int n = 0, i;
	int code = config_discover(&a->conf, found, &n);

	for (i = 0; i < n; i++) {
		if (!code && opt_set(a, NULL, config_key_of_option("portal"), found[i], false, why,
				     sizeof(why)) < 0) {
			cli_err("portal %s found by discovery: %s", found[i], why);
			code = CLI_EXIT_USAGE;
		}
		free(found[i]);
	}
	return code;
}

/* A command-line option through the setter; the error names the option. */
static int cli_set(struct attach_cmd *a, const struct config_key *k, const char *arg)
{
	char why[300], esc[STR_ESC_VALUE_MAX];
	int rc = opt_set(a, NULL, k, arg, true, why, sizeof(why));

	if (rc == -ENOMEM) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	if (rc < 0) {
		cli_err("bad --%s '%s': %s", k->option, str_esc(esc, sizeof(esc), arg), why);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * The options against each other, and serve's TLS credentials: before any
 * login, a network listen without credentials is refused right here.
 */
static int attach_check(struct attach_cmd *a)
{
	int code;

	if (!a->t.target || a->np == 0) {
		cli_err("%s needs -t IQN and at least one -P PORTAL (see --help)",
			a->serve ? "serve" : "attach");
		return CLI_EXIT_USAGE;
	}
	if (a->serve && !a->ec.socket_path == !a->ec.listen_addr) {
		cli_err("serve needs exactly one of --socket PATH or --listen HOST:PORT");
		return CLI_EXIT_USAGE;
	}
	if (!a->serve &&
	    (a->stls.mode_arg || a->stls.psk_file || a->stls.cert_dir || a->stls.verify_peer)) {
		cli_err("--tls options are for serve: attach exports /dev/nbdN on this host only");
		return CLI_EXIT_USAGE;
	}
	if (a->serve) {
		code = serve_tls_setup(&a->stls, a->ec.listen_addr, a->ec.socket_path);
		if (code)
			return code;
		a->ec.tls_mode = a->stls.mode;
		a->ec.tls = a->stls.tls;
	}
	if (a->ro.preempt && (a->ro.read_only || a->ro.policy == RESV_NONE)) {
		cli_err("--preempt takes the LUN's reservation: not with --read-only or "
			"--reservation none");
		return CLI_EXIT_USAGE;
	}
	if (a->root_storage && a->serve) {
		cli_err("--root-storage is for attach: serve exports no block device");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* One option given on the command line, applied after the files. */
struct given {
	const struct config_key *k;
	const char *arg;
};

/* The command line into given[] (*n of them) and --config's name; 0, or an exit code. */
static int attach_getopt(int argc, char **argv, struct attach_cmd *a, struct given *given, int *n,
			 const char **config)
{
	const struct config_key *k;
	int c;

	optind = 0; /* full re-initialisation: a test may parse twice */
	while ((c = getopt_long(argc, argv, attach_shortopts, attach_opts, NULL)) != -1) {
		if (c == 'h') {
			attach_usage(stdout, a->serve);
			a->help = true;
			return CLI_EXIT_OK;
		}
		k = opt_row_of(c, 0);
		if (!k) {
			attach_usage(stderr, a->serve);
			return CLI_EXIT_USAGE;
		}
		if (strcmp(k->option, "config") == 0) {
			if (*config) {
				cli_err("--config given twice");
				return CLI_EXIT_USAGE;
			}
			*config = optarg;
			continue;
		}
		given[(*n)++] = (struct given){k, optarg};
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int attach_parse(int argc, char **argv, struct attach_cmd *a)
{
	const char *config = NULL;
	struct given *given;
	bool cli_portal = false;
	size_t cap = 1;
	int i, n = 0, code;

	/* At most one option per character: clustered flags (-ff) share a word. */
	for (i = 0; i < argc; i++)
		cap += strlen(argv[i]);
	given = calloc(cap, sizeof(*given));
	if (!given) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	attach_defaults(a);
	attach_longopts();
	code = attach_getopt(argc, argv, a, given, &n, &config);
	for (i = 0; i < n; i++)
		cli_portal |= given[i].k->store == CONFIG_STORE_PORTAL;
	if (!code && !a->help && config)
		code = attach_config(a, config, cli_portal);
	for (i = 0; i < n && !code && !a->help; i++)
		code = cli_set(a, given[i].k, given[i].arg);
	free(given);
	if (code || a->help)
		return code;
	if (config && a->np == 0) {
		code = attach_discover(a);
		if (code)
			return code;
	}
	a->ec.mode = a->serve ? EXPORT_SERVER : EXPORT_KERNEL;
	a->ro.serve = a->serve;
	return attach_check(a);
}

void attach_cmd_release(struct attach_cmd *a)
{
	if (a->have_conf)
		config_free(&a->conf);
	a->have_conf = false;
}
