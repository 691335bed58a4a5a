/*
 * iscsi-nbd: command line entry point. Global options, then a subcommand
 * from the command table below, the one place a subcommand is declared:
 * its name, handler, summary (for --help) and the exit codes it can
 * return (for `help COMMAND`). Each subcommand parses its own options
 * (getopt_long) and returns an exit code (cli.h: CLI_EXIT_TABLE). Only
 * main() calls exit().
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/escape.h"
#include "util/log.h"

void cli_err(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* As in log lines: whatever a message quotes, no control byte reaches the terminal. */
	str_make_inert(line, sizeof(line));
	fprintf(stderr, CLI_PROG ": %s\n", line);
}

char **cli_main_argv;

struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	unsigned int exits; /* the exit codes it can return: a bit per code */
};

#define EX(id) (1u << CLI_EXIT_##id)
/* What every command that logs in to a target can end with. */
#define EX_LOGIN                                                                                   \
	(EX(OK) | EX(USAGE) | EX(CONNECT) | EX(LOGIN) | EX(AUTH) | EX(PROTOCOL) | EX(LOCAL))
/* The one-shot SCSI commands (cmd_scsi.c): a failed command, a size that does not fit. */
#define EX_SCSI (EX_LOGIN | EX(IO) | EX(GEOMETRY))
/* attach and serve: a failed start, or how the daemon ended. */
#define EX_DAEMON (EX_SCSI | EX(BUSY) | EX(RESERVED))
/* Commands that reach no target: running daemons, files. */
#define EX_LOCAL_CMD (EX(OK) | EX(USAGE) | EX(LOCAL))

static int cmd_help(int argc, char **argv);

/* A one-shot SCSI command (CLI_SCSI_CMDS): cmd_scsi runs it by its name, its exits are EX_SCSI. */
#define SCSI_CMD(n, text) {.name = #n, .fn = cmd_scsi, .exits = EX_SCSI, .summary = text},

static const struct subcmd subcmds[] = {
	{.name = "discover",
	 .fn = cmd_discover,
	 .exits = EX_LOGIN,
	 .summary = "SendTargets discovery on a portal"},
	/* The macro's rows are not an expression: clang-format must leave them. */
	/* clang-format off */
	CLI_SCSI_CMDS(SCSI_CMD)
	/* clang-format on */
	{.name = "attach",
	 .fn = cmd_attach,
	 .exits = EX_DAEMON,
	 .summary = "attach a LUN over its paths as /dev/nbdN (daemon)"},
	{.name = "serve",
	 .fn = cmd_serve,
	 .exits = EX_DAEMON,
	 .summary = "serve a LUN over its paths as an NBD server (daemon)"},
	{.name = "detach",
	 .fn = cmd_detach,
	 .exits = EX_LOCAL_CMD | EX(IO) | EX(IN_USE),
	 .summary = "flush, disconnect and stop a device not in use [--force]"},
	{.name = "list",
	 .fn = cmd_list,
	 .exits = EX_LOCAL_CMD,
	 .summary = "running devices: name, target, paths, mounts [--json]"},
	{.name = "status",
	 .fn = cmd_status,
	 .exits = EX_LOCAL_CMD,
	 .summary = "devices, paths, states, latency, counters [--json]"},
	{.name = "config",
	 .fn = cmd_config,
	 .exits = EX_LOCAL_CMD,
	 .summary = "check or dump a configuration file (--dump NAME)"},
	{.name = "pr",
	 .fn = cmd_pr,
	 .exits = EX_LOGIN | EX(IO) | EX(RESERVED),
	 .summary = "persistent reservations: keys, reservation, register, reserve, preempt"},
	{.name = "help",
	 .fn = cmd_help,
	 .exits = EX(OK) | EX(USAGE),
	 .summary = "the options and exit status of a command (help COMMAND)"},
};

#define EXIT_TEXT(id, code, text) [CLI_EXIT_##id] = text,
static const char *const exit_texts[] = {CLI_EXIT_TABLE(EXIT_TEXT)};
#undef EXIT_TEXT
_Static_assert(ARRAY_SIZE(exit_texts) <= 32, "an exit code per bit of subcmd.exits");

/* "Exit status:" and a line per code in mask. */
static void exit_status_help(FILE *f, unsigned int mask)
{
	size_t i;

	fprintf(f, "Exit status:\n");
	for (i = 0; i < ARRAY_SIZE(exit_texts); i++)
		if (exit_texts[i] && (mask & (1u << i)))
			fprintf(f, "  %zu %s\n", i, exit_texts[i]);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: " CLI_PROG " [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
		   "\n"
		   "A userspace iSCSI initiator. Commands:\n");
	for (i = 0; i < ARRAY_SIZE(subcmds); i++)
		fprintf(f, "  %-10s %s\n", subcmds[i].name, subcmds[i].summary);
	fprintf(f, "\n"
		   "'" CLI_PROG " COMMAND --help' shows the options of a command.\n"
		   "\n"
		   "Global options:\n"
		   "  -d, --debug SUBSYS,...  debug output: scsi pdu login session path nbd\n"
		   "                          netlink ctl, all or none\n"
		   "  -q, --quiet             errors only\n"
		   "  -v, --verbose           progress: connections, login, negotiated values\n"
		   "  -h, --help              this text\n"
		   "  -V, --version           version\n"
		   "\n");
	exit_status_help(f, ~0u);
}

static const struct subcmd *subcmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subcmds); i++)
		if (strcmp(name, subcmds[i].name) == 0)
			return &subcmds[i];
	return NULL;
}

/*
 * help: the global help; help COMMAND: the command's own --help, then the
 * exit codes the table says it can return.
 */
static int cmd_help(int argc, char **argv)
{
	const struct subcmd *sc;
	char *sub[3];
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2) {
		cli_err("help takes one command; '" CLI_PROG " --help' lists them");
		return CLI_EXIT_USAGE;
	}
	sc = subcmd_find(argv[1]);
	if (!sc) {
		cli_err("unknown command '%s'; '" CLI_PROG " --help' lists the commands", argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (sc->fn == cmd_help) {
		printf("Usage: " CLI_PROG " help [COMMAND]\n\n"
		       "Without COMMAND, the global help; with it, the command's options and the\n"
		       "exit codes it can return.\n\n");
	} else {
		sub[0] = argv[1];
		sub[1] = (char *)"--help";
		sub[2] = NULL;
		optind = 0;
		rc = sc->fn(2, sub);
		if (rc != CLI_EXIT_OK)
			return rc;
		printf("\n");
	}
	fflush(stdout);
	exit_status_help(stdout, sc->exits);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"debug", required_argument, NULL, 'd'}, {"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},	 {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	 {NULL, 0, NULL, 0},
	};
	const struct subcmd *sc;
	int c;

	cli_main_argv = argv;

	/* A peer closing on us must be an error return, not a silent death. */
	signal(SIGPIPE, SIG_IGN);

	/* One-shot commands print their result and their errors; the
	 * session's progress lines are for -v. */
	log_max_priority = LOG_WARNING;

	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+d:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (log_parse_debug(optarg) < 0) {
				cli_err("unknown debug subsystem in '%s': use scsi, pdu, login, "
					"session, path, nbd, netlink, ctl, all or none",
					optarg);
				exit(CLI_EXIT_USAGE);
			}
			break;
		case 'q':
			log_max_priority = LOG_ERR;
			break;
		case 'v':
			log_max_priority = LOG_INFO;
			break;
		case 'h':
			usage(stdout);
			exit(CLI_EXIT_OK);
		case 'V':
			printf(CLI_PROG " %s\n", PACKAGE_VERSION);
			exit(CLI_EXIT_OK);
		default:
			usage(stderr);
			exit(CLI_EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		exit(CLI_EXIT_USAGE);
	}
	sc = subcmd_find(argv[optind]);
	if (sc) {
		char **sub = argv + optind;
		int subc = argc - optind;

		optind = 0; /* full getopt re-initialisation for the command */
		exit(sc->fn(subc, sub));
	}
	cli_err("unknown command '%s'; '" CLI_PROG " --help' lists the commands", argv[optind]);
	exit(CLI_EXIT_USAGE);
}
