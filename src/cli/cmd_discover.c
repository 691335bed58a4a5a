/* iscsi-nbd discover PORTAL: SendTargets (RFC 7143 appendix C). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/sync.h"
#include "util/escape.h"

static void discover_usage(FILE *f)
{
	fprintf(f, "Usage: " CLI_PROG " discover PORTAL [OPTIONS]\n"
		   "\n"
		   "Ask the portal which targets it offers (SendTargets=All) and print each\n"
		   "target with the portals it can be reached on (HOST:PORT,TPGT).\n"
		   "PORTAL is HOST[:PORT], [IPv6][:PORT] or a name; the port defaults to 3260.\n"
		   "\n"
		   "Options:\n"
		   "      --chap-user USER         discovery CHAP user\n"
		   "      --chap-secret-file FILE  its secret (owned by root, mode 0600)\n"
		   "      --mutual-user USER, --mutual-secret-file FILE  mutual CHAP\n"
		   "      --initiator-name NAME\n"
		   "      --timeout SECONDS        default 30\n"
		   "  -h, --help\n");
}

static void print_targets(void *opaque, int err, const struct sess_disc_target *t, unsigned int n)
{
	unsigned int *count = opaque;
	unsigned int i, j;

	/*
	 * The session checked names and addresses already; escaping again
	 * costs nothing and keeps this output inert whatever that check lets
	 * through.
	 */
	for (i = 0; i < n; i++) {
		char esc[STR_ESC_VALUE_MAX];

		printf("target: %s\n", str_esc(esc, sizeof(esc), t[i].name));
		for (j = 0; j < t[i].naddr; j++)
			printf("  portal: %s\n", str_esc(esc, sizeof(esc), t[i].addr[j]));
	}
	*count = n;
}

int cmd_discover(int argc, char **argv)
{
	static const struct option opts[] = {
		{"chap-user", required_argument, NULL, CLI_OPT_CHAP_USER},
		{"chap-secret-file", required_argument, NULL, CLI_OPT_CHAP_SECRET_FILE},
		{"mutual-user", required_argument, NULL, CLI_OPT_MUTUAL_USER},
		{"mutual-secret-file", required_argument, NULL, CLI_OPT_MUTUAL_SECRET_FILE},
		{"initiator-name", required_argument, NULL, CLI_OPT_INITIATOR_NAME},
		{"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
		{"max-recv-dsl", required_argument, NULL, CLI_OPT_MAX_RECV_DSL},
		{"portal", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli_target t;
	struct sess_config cfg;
	struct cli_sync y;
	unsigned int count = 0;
	int c, rc;

	cli_target_init(&t);
	while ((c = cli_getopt_target(argc, argv, "P:h", opts, &t)) != -1) {
		if (c == CLI_GETOPT_BAD)
			return CLI_EXIT_USAGE;
		if (c == 'h') {
			discover_usage(stdout);
			return CLI_EXIT_OK;
		}
		discover_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (optind < argc && !t.portal)
		t.portal = argv[optind++];
	if (optind < argc) {
		cli_err("discover: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!t.portal) {
		cli_err("discover: which portal? e.g. " CLI_PROG " discover 192.0.2.10");
		return CLI_EXIT_USAGE;
	}
	rc = cli_config_build(&t, true, &cfg);
	if (rc)
		return rc;
	rc = sync_open(&y, &cfg, t.timeout);
	cli_config_release(&cfg);
	if (rc)
		return rc;
	rc = sync_send_targets(&y, "All", print_targets, &count);
	sync_close(&y);
	if (rc == 0 && count == 0)
		fprintf(stderr, CLI_PROG ": the portal offers no targets to this initiator\n");
	fflush(stdout);
	return rc;
}
