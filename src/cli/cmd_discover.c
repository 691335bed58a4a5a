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
		   "PORTAL is HOST[:PORT], [IPv6][:PORT] or a name; the port defaults to 3260;\n"
		   "-P PORTAL may stand for it.\n"
		   "\n");
	cli_target_usage(f, true);
	fputs("  -h, --help\n", f);
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
	struct cli_opts o;
	struct cli_target t;
	struct cli_sync y;
	unsigned int count = 0;
	int c, rc;

	cli_target_init(&t);
	cli_opts_init(&o, true, NULL, NULL); /* discover's target options, from the table */
	while ((c = cli_getopt_target(argc, argv, &o, &t)) != -1) {
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
	rc = sync_login(&y, &t, true, NULL);
	if (rc)
		return rc;
	rc = sync_send_targets(&y, "All", print_targets, &count);
	sync_close(&y);
	if (rc == 0 && count == 0)
		fprintf(stderr, CLI_PROG ": the portal offers no targets to this initiator\n");
	fflush(stdout);
	return rc;
}
