/*
 * iscsi-nbd attach / serve, first phase: the command line (and the
 * configuration file --config names) into a struct attach_cmd, with the
 * options checked against each other before anything logs in.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/conffile_int.h"
#include "cli/ctl.h"
#include "cli/export.h"
#include "cli/servetls.h"
#include "path/policy.h"
#include "path/transport.h"
#include "util/compiler.h"

enum {
	OPT_POLICY = CLI_OPT_FIRST_FREE,
	OPT_DEVICE,
	OPT_NAME,
	OPT_SOCKET,
	OPT_LISTEN,
	OPT_EXPORT_NAME,
	OPT_FAILBACK,
	OPT_LOG_FILE,
	OPT_CONFIG,
	OPT_TLS,
	OPT_TLS_PSK,
	OPT_TLS_CERTIFICATES,
	OPT_TLS_VERIFY_PEER,
	OPT_RESERVATION,
	OPT_READ_ONLY,
	OPT_PREEMPT,
	OPT_ROOT_STORAGE,
	OPT_IO_ENGINE,
	OPT_NUMBER_KEY = 0x1000, /* + index in config_keys[]: a number option of the table */
};

/*
 * The options attach_parse.c handles itself; attach_longopts() adds one
 * per number key of the table (config_key.store), so a new number key is
 * an option without another edit.
 */
static const struct option hand_opts[] = {
	CLI_TARGET_LONGOPTS,
	{"foreground", no_argument, NULL, 'f'},
	{"help", no_argument, NULL, 'h'},
	{"policy", required_argument, NULL, OPT_POLICY},
	{"device", required_argument, NULL, OPT_DEVICE},
	{"name", required_argument, NULL, OPT_NAME},
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"export-name", required_argument, NULL, OPT_EXPORT_NAME},
	{"tls", required_argument, NULL, OPT_TLS},
	{"tls-psk", required_argument, NULL, OPT_TLS_PSK},
	{"tls-certificates", required_argument, NULL, OPT_TLS_CERTIFICATES},
	{"tls-verify-peer", no_argument, NULL, OPT_TLS_VERIFY_PEER},
	{"failback", required_argument, NULL, OPT_FAILBACK},
	{"log-file", required_argument, NULL, OPT_LOG_FILE},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"reservation", required_argument, NULL, OPT_RESERVATION},
	{"read-only", no_argument, NULL, OPT_READ_ONLY},
	{"preempt", no_argument, NULL, OPT_PREEMPT},
	{"root-storage", no_argument, NULL, OPT_ROOT_STORAGE},
	{"io-engine", required_argument, NULL, OPT_IO_ENGINE},
	{NULL, 0, NULL, 0},
};

/* conffile.h: at most 64 keys. */
static struct option attach_opts[ARRAY_SIZE(hand_opts) + 64];

/* hand_opts, then the number keys' options in table order. */
static void attach_longopts(void)
{
	size_t n = ARRAY_SIZE(hand_opts) - 1, i;

	if (attach_opts[0].name)
		return;
	memcpy(attach_opts, hand_opts, n * sizeof(hand_opts[0]));
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].store != CONFIG_STORE_NONE && config_keys[i].option)
			attach_opts[n++] = (struct option){config_keys[i].option, required_argument,
							   NULL, OPT_NUMBER_KEY + (int)i};
	attach_opts[n] = (struct option){NULL, 0, NULL, 0};
}

/*
 * The options of the keys of one section that have a help entry, as the
 * key table describes them: the option and its argument in 25 columns,
 * then the text, its further lines in the same column.
 */
static void usage_keys(FILE *f, const char *section, bool serve)
{
	char opt[64];
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		const char *p;

		if (!k->usage || strcmp(k->section, section) != 0 ||
		    (k->flags & (serve ? CONFIG_F_ATTACH : CONFIG_F_SERVE)))
			continue;
		snprintf(opt, sizeof(opt), "--%s%s%s", k->option, k->arg ? " " : "",
			 k->arg ? k->arg : "");
		fprintf(f, "      %-25s", opt);
		for (p = k->usage; *p;) {
			size_t n = strcspn(p, "\n");

			fprintf(f, "%.*s\n", (int)n, p);
			p += n;
			if (*p == '\n' && *++p)
				fprintf(f, "%31s", "");
		}
	}
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
	fputs(cli_target_help, f);
	fprintf(f,
		"  (-P may be given up to %d times, one path each; PORTAL@IFACE binds that\n"
		"   path to a network interface, PORTAL@ADDR to a local source address)\n\n"
		"Path options:\n",
		PATH_MAX_PATHS);
	usage_keys(f, "path", serve);
	fputc('\n', f);
	fputs(serve ? "Server options:\n" : "Device options:\n", f);
	usage_keys(f, serve ? "serve" : "attach", serve);
	fprintf(f, "Exclusive access (SCSI-3 persistent reservations):\n"
		   "      --reservation POLICY     exclusive (default): register every path and\n"
		   "                               reserve the LUN (Write Exclusive - Registrants\n"
		   "                               Only), refuse a LUN another host holds (exit\n"
		   "                               10), warn if the target has no reservations;\n"
		   "                               required: refuse such a target too; none: no\n"
		   "                               reservation (only for a cluster filesystem)\n"
		   "      --read-only              export read-only, take no reservation: shares\n"
		   "                               a LUN another host holds; writes fail (EPERM)\n"
		   "      --preempt                take the LUN from another host (PREEMPT AND\n"
		   "                               ABORT): only when that host is dead\n");
	fprintf(f,
		"Daemon options:\n"
		"  -f, --foreground             stay in the foreground, log to stderr\n"
		"      --name NAME              control socket name (default nbdN / serve-PID)\n"
		"      --log-file FILE          background log (default %s/NAME.log)\n"
		"      --root-storage           the device holds the root filesystem: run as\n"
		"                               @" CLI_PROG " (systemd's shutdown spares it),\n"
		"                               fail unless all memory can be locked\n"
		"      --config NAME            read %s/NAME.conf (or a file) after\n"
		"                               " CONFIG_GLOBAL_NAME
		".conf; options given here win\n",
		ctl_dir(), config_dir());
}

/* An option handler's answer for an option of another group. */
#define OPT_NOT_MINE (-1)

/*
 * A number the key table places (config_key.store): v in milliseconds for
 * a duration, as is for a count, into its field of struct export_config.
 */
static void store_number(struct export_config *ec, const struct config_key *k, uint64_t v)
{
	uint32_t *field = (uint32_t *)(void *)((char *)ec + k->field);

	if (k->store == CONFIG_STORE_S)
		v /= 1000;
	if (v == 0 && (k->flags & CONFIG_F_ZERO_1MS))
		v = 1;
	*field = (uint32_t)v;
}

/*
 * The defaults of everything the command line and the configuration file
 * can set: the key table's, then those it cannot state (computed).
 */
static void attach_defaults(struct attach_cmd *a)
{
	struct export_config *ec = &a->ec;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t v;
	size_t i;

	cli_target_init(&a->t);
	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		int rc;

		if (k->store == CONFIG_STORE_NONE || !k->def)
			continue;
		rc = k->type == CONFIG_DURATION ? config_parse_duration(k->def, k->unit, &v)
						: cli_parse_u64(k->def, &v);
		if (rc < 0)
			abort(); /* a table that lies; config_init() aborts on it too */
		store_number(ec, k, v);
	}
	a->ro.policy = RESV_EXCLUSIVE;
	ec->index = -1;
	ec->nconns = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (unsigned int)ncpu;
	ec->start_timeout_ms = 30000;
	ec->stop_timeout_ms = 20000;
	ec->dev.policy.kind = PATH_POLICY_ROUND_ROBIN;
	ec->dev.transport = &path_transport_sess;
}

/* The key whose option getopt returned as c, if the table places its number. */
static const struct config_key *number_key(int c)
{
	if (c < OPT_NUMBER_KEY || c >= OPT_NUMBER_KEY + (int)config_nkeys)
		return NULL;
	return &config_keys[c - OPT_NUMBER_KEY];
}

/*
 * A number option: the key's range in the option's unit (a duration's
 * k->unit, whole numbers), 0 too with CONFIG_F_OPT_ZERO.
 */
static int attach_opt_number(struct attach_cmd *a, const struct config_key *k, const char *arg)
{
	uint64_t unit = k->type == CONFIG_DURATION && strcmp(k->unit, "s") == 0 ? 1000 : 1;
	uint64_t lo = k->flags & CONFIG_F_OPT_ZERO ? 0 : k->min / unit, hi = k->max / unit, v;

	if (cli_parse_u64(arg, &v) < 0 || v < lo || v > hi) {
		if (lo)
			cli_err("bad --%s '%s': give a number from %llu to %llu", k->option, arg,
				(unsigned long long)lo, (unsigned long long)hi);
		else
			cli_err("bad --%s '%s': give a number up to %llu", k->option, arg,
				(unsigned long long)hi);
		return CLI_EXIT_USAGE;
	}
	store_number(&a->ec, k, v * unit);
	return 0;
}

/* Path options besides the numbers: selection policy, failback, I/O engine. */
static int attach_opt_path(struct attach_cmd *a, int c, const char *arg)
{
	struct export_config *ec = &a->ec;

	switch (c) {
	case OPT_POLICY:
		if (path_policy_parse(arg, &ec->dev.policy.kind) < 0) {
			cli_err("unknown policy '%s': give round-robin, failover, "
				"queue-length or service-time",
				arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_FAILBACK:
		if (path_failback_parse(arg, &ec->dev.policy.failback,
					&ec->dev.policy.failback_delay_ms) < 0) {
			cli_err("bad --failback '%s': give immediate, manual or seconds", arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_IO_ENGINE:
		if (io_engine_parse(arg, &ec->io_engine) < 0) {
			cli_err("unknown --io-engine '%s': give epoll or uring", arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	default:
		return OPT_NOT_MINE;
	}
}

/* --device /dev/nbdN (or nbdN, or N) into ec.index. */
static int attach_opt_device(struct attach_cmd *a, const char *arg)
{
	const char *p = arg;
	char *end;
	long idx;

	if (strncmp(p, "/dev/", 5) == 0)
		p += 5;
	if (strncmp(p, "nbd", 3) == 0)
		p += 3;
	idx = strtol(p, &end, 10);
	if (*p == 0 || *end || idx < 0 || idx > 65535) {
		cli_err("bad --device '%s': give /dev/nbdN", arg);
		return CLI_EXIT_USAGE;
	}
	a->ec.index = (int32_t)idx;
	return 0;
}

/* -P PORTAL[@IFACE]: one path more; the copy goes to a->portals. */
static int attach_opt_portal(struct attach_cmd *a, const char *arg)
{
	unsigned int np = a->np;

	if (np == PATH_MAX_PATHS) {
		cli_err("at most %d portals (paths)", PATH_MAX_PATHS);
		return CLI_EXIT_USAGE;
	}
	a->portals[np] = strdup(arg);
	if (!a->portals[np])
		return CLI_EXIT_LOCAL;
	/* PORTAL@IFACE: bind this path to an interface. */
	a->ifaces[np] = strrchr(a->portals[np], '@');
	if (a->ifaces[np])
		*a->ifaces[np]++ = 0;
	a->np++;
	return 0;
}

/* Export options: the kernel device or the NBD server and its TLS. */
static int attach_opt_export(struct attach_cmd *a, int c, const char *arg)
{
	struct export_config *ec = &a->ec;

	switch (c) {
	case OPT_DEVICE:
		return attach_opt_device(a, arg);
	case OPT_SOCKET:
		ec->socket_path = arg;
		return 0;
	case OPT_LISTEN:
		ec->listen_addr = arg;
		return 0;
	case OPT_EXPORT_NAME:
		ec->export_name = arg;
		return 0;
	case OPT_TLS:
		a->stls->mode_arg = arg;
		break;
	case OPT_TLS_PSK:
		a->stls->psk_file = arg;
		break;
	case OPT_TLS_CERTIFICATES:
		a->stls->cert_dir = arg;
		break;
	case OPT_TLS_VERIFY_PEER:
		a->stls->verify_peer = true;
		break;
	default:
		return OPT_NOT_MINE;
	}
	a->tls_opt = true; /* the --tls* options fall through to here */
	return 0;
}

/* Daemon and access options: name, log, reservation, root storage. */
static int attach_opt_daemon(struct attach_cmd *a, int c, const char *arg)
{
	switch (c) {
	case 'f':
		a->foreground = true;
		return 0;
	case OPT_NAME:
		if (!*arg || strchr(arg, '/') || strlen(arg) > 48) {
			cli_err("bad --name '%s': a short name without '/'", arg);
			return CLI_EXIT_USAGE;
		}
		a->ec.name = arg;
		return 0;
	case OPT_LOG_FILE:
		a->log_file = arg;
		return 0;
	case OPT_CONFIG: /* read by config_expand_args() */
		return 0;
	case OPT_RESERVATION:
		if (strcmp(arg, "exclusive") == 0)
			a->ro.policy = RESV_EXCLUSIVE;
		else if (strcmp(arg, "required") == 0)
			a->ro.policy = RESV_REQUIRED;
		else if (strcmp(arg, "none") == 0)
			a->ro.policy = RESV_NONE;
		else {
			cli_err("bad --reservation '%s': give exclusive, required or none", arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_READ_ONLY:
		a->ro.read_only = true;
		return 0;
	case OPT_PREEMPT:
		a->ro.preempt = true;
		return 0;
	case OPT_ROOT_STORAGE:
		a->root_storage = true;
		return 0;
	default:
		return OPT_NOT_MINE;
	}
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
	if (!a->serve && a->tls_opt) {
		cli_err("--tls options are for serve: attach exports /dev/nbdN on this host only");
		return CLI_EXIT_USAGE;
	}
	if (a->serve) {
		code = serve_tls_setup(a->stls, a->ec.listen_addr, a->ec.socket_path);
		if (code)
			return code;
		a->ec.tls_mode = a->stls->mode;
		a->ec.tls = a->stls->tls;
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

int attach_parse(int argc, char **argv, struct attach_cmd *a)
{
	const struct config_key *k;
	int c, code;

	attach_defaults(a);
	attach_longopts();
	/* --config NAME: the file's values become options placed first. */
	code = config_expand_args(&argc, &argv, attach_opts, "t:P:l:fh", OPT_CONFIG, &a->serve);
	if (code)
		return code;
	a->ec.mode = a->serve ? EXPORT_SERVER : EXPORT_KERNEL;
	a->ro.serve = a->serve;
	while ((c = getopt_long(argc, argv, "t:P:l:fh", attach_opts, NULL)) != -1) {
		if (c == 'h') {
			attach_usage(stdout, a->serve);
			a->help = true;
			return CLI_EXIT_OK;
		}
		k = number_key(c);
		code = k	  ? attach_opt_number(a, k, optarg)
		       : c == 'P' ? attach_opt_portal(a, optarg)
				  : attach_opt_path(a, c, optarg);
		if (code == OPT_NOT_MINE)
			code = attach_opt_export(a, c, optarg);
		if (code == OPT_NOT_MINE)
			code = attach_opt_daemon(a, c, optarg);
		if (code != OPT_NOT_MINE) {
			if (code)
				return code;
			continue;
		}
		code = cli_target_opt(&a->t, c, optarg);
		if (code == 1)
			continue;
		if (code == 0)
			attach_usage(stderr, a->serve);
		return CLI_EXIT_USAGE;
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	return attach_check(a);
}
