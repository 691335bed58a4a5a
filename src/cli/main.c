/*
 * iscsi-nbd: command line entry point. Global options, then a subcommand
 * from the dispatch table; each subcommand parses its own options
 * (getopt_long) and returns an exit code. Only main() calls exit().
 *
 * Exit codes (also in `iscsi-nbd --help`; scripts and tests rely on them):
 *
 *	0  success
 *	1  usage error: bad option, missing argument, bad number
 *	2  connection failure: portal unreachable, refused, timed out, lost
 *	3  login failure: target not found, initiator rejected, negotiation failed
 *	4  authentication failure: CHAP (one-way or mutual) refused
 *	5  SCSI / I/O error: the command reached the LUN and failed
 *	6  protocol error: the target broke RFC 7143 (or a digest mismatched)
 *	7  local error: file, permission, memory
 *	8  geometry: the LUN's block size or size cannot be exported or reported
 *	9  LUN busy: another daemon on this host attaches or serves the target LUN
 *	10 device in use: detach refused (mounted, swap, held, open exclusively)
 *	11 LUN reserved by another host (SPC-5 persistent reservation), or
 *	   reservations required and the target has none
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
};

/* Later commands (attach, serve, detach, list, status, config) join here. */
static const struct subcmd subcmds[] = {
	{"discover", cmd_discover, "SendTargets discovery on a portal"},
	{"inquiry", cmd_scsi, "INQUIRY: vendor, product, identity, limits, provisioning"},
	{"readcap", cmd_scsi, "READ CAPACITY: size and block sizes"},
	{"luns", cmd_scsi, "REPORT LUNS"},
	{"tur", cmd_scsi, "TEST UNIT READY"},
	{"read", cmd_scsi, "read a byte range of a LUN to a file or stdout"},
	{"write", cmd_scsi, "write a file or stdin to a LUN"},
	{"unmap", cmd_scsi, "UNMAP (discard) a byte range"},
	{"sync", cmd_scsi, "SYNCHRONIZE CACHE"},
	{"attach", cmd_attach, "attach a LUN over its paths as /dev/nbdN (daemon)"},
	{"serve", cmd_serve, "serve a LUN over its paths as an NBD server (daemon)"},
	{"detach", cmd_detach, "flush, disconnect and stop a device not in use [--force]"},
	{"list", cmd_list, "running devices: name, target, paths, mounts [--json]"},
	{"status", cmd_status, "devices, paths, states, latency, counters [--json]"},
	{"config", cmd_config, "check or dump a configuration file (--dump NAME)"},
	{"pr", cmd_pr, "persistent reservations: keys, reservation, register, reserve, preempt"},
};

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
		   "\n"
		   "Exit status:\n"
		   "  0 success\n"
		   "  1 usage error\n"
		   "  2 connection failure (portal unreachable, refused, timed out)\n"
		   "  3 login failure (target not found, initiator rejected)\n"
		   "  4 authentication failure (CHAP)\n"
		   "  5 SCSI / I/O error\n"
		   "  6 protocol error from the target\n"
		   "  7 local error (file, permission)\n"
		   "  8 LUN geometry not exportable (block size, size)\n"
		   "  9 LUN busy: another daemon on this host serves the target LUN\n"
		   "  10 device in use: detach refused (mounted, swap, held by dm/md)\n"
		   "  11 LUN reserved by another host (persistent reservation)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"debug", required_argument, NULL, 'd'}, {"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},	 {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	 {NULL, 0, NULL, 0},
	};
	int c;
	size_t i;

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
	for (i = 0; i < ARRAY_SIZE(subcmds); i++) {
		if (strcmp(argv[optind], subcmds[i].name) == 0) {
			char **sub = argv + optind;
			int subc = argc - optind;

			optind = 0; /* full getopt re-initialisation for the command */
			exit(subcmds[i].fn(subc, sub));
		}
	}
	cli_err("unknown command '%s'; '" CLI_PROG " --help' lists the commands", argv[optind]);
	exit(CLI_EXIT_USAGE);
}
