/*
 * iscsi-nbd list / status / detach: clients of the running daemons'
 * control sockets (ctl.h). A device is named as /dev/nbdN, nbdN or the
 * --name it was given.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ctl.h"

#define CTL_TIMEOUT_MS 5000

static char reply[CTL_RSP_MAX];

/* "/dev/nbd0" -> "nbd0"; anything else as given. */
static const char *ctl_name(const char *arg)
{
	return strncmp(arg, "/dev/", 5) == 0 ? arg + 5 : arg;
}

/* Send one request; print the payload; return an exit code. */
static int ctl_call(const char *name, const char *req, bool quiet_payload)
{
	int err = ctl_request(ctl_name(name), req, reply, sizeof(reply), CTL_TIMEOUT_MS);
	const char *payload;

	if (err == -ENOENT || err == -ECONNREFUSED) {
		cli_err("no running iscsi-nbd daemon for '%s' (see '" CLI_PROG " list')", name);
		return CLI_EXIT_USAGE;
	}
	if (err) {
		cli_err("cannot reach the daemon for '%s': %s", name, strerror(-err));
		return CLI_EXIT_LOCAL;
	}
	payload = strchr(reply, '\n');
	payload = payload ? payload + 1 : "";
	if (strncmp(reply, "ok", 2) != 0) {
		cli_err("%s: %.*s", name, (int)strcspn(reply, "\n"), reply);
		return CLI_EXIT_LOCAL;
	}
	if (!quiet_payload)
		fputs(payload, stdout);
	return CLI_EXIT_OK;
}

static void list_one(const char *name, void *opaque)
{
	int *rc = opaque;

	if (ctl_call(name, "status", false) != CLI_EXIT_OK)
		*rc = CLI_EXIT_LOCAL;
}

int cmd_list(int argc, char **argv)
{
	int rc = CLI_EXIT_OK, n;

	if (argc > 1) {
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			printf("Usage: " CLI_PROG " list\n\nShow every running attach/serve daemon "
			       "(control sockets in %s).\n",
			       ctl_dir());
			return CLI_EXIT_OK;
		}
		cli_err("list takes no arguments");
		return CLI_EXIT_USAGE;
	}
	n = ctl_list(list_one, &rc);
	if (n < 0) {
		cli_err("cannot read %s: %s", ctl_dir(), strerror(-n));
		return CLI_EXIT_LOCAL;
	}
	if (n == 0)
		printf("no devices attached\n");
	return rc;
}

struct status_all {
	bool json, first;
	int rc;
};

static void status_one(const char *name, void *opaque)
{
	struct status_all *st = opaque;

	if (st->json && !st->first)
		fputs(",", stdout);
	st->first = false;
	if (ctl_call(name, st->json ? "status json" : "status", false) != CLI_EXIT_OK)
		st->rc = CLI_EXIT_LOCAL;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct status_all st = {.first = true, .rc = CLI_EXIT_OK};
	int c, n;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			st.json = true;
			break;
		case 'h':
			printf("Usage: " CLI_PROG " status [DEVICE|NAME] [--json]\n\n"
			       "Devices, paths and their states, latency and counters.\n");
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		cli_err("status takes at most one device");
		return CLI_EXIT_USAGE;
	}
	if (optind == argc - 1)
		return ctl_call(argv[optind], st.json ? "status json" : "status", false);
	if (st.json)
		fputs("[", stdout);
	n = ctl_list(status_one, &st);
	if (st.json)
		fputs("]\n", stdout);
	if (n < 0) {
		cli_err("cannot read %s: %s", ctl_dir(), strerror(-n));
		return CLI_EXIT_LOCAL;
	}
	return st.rc;
}

int cmd_detach(int argc, char **argv)
{
	char path[256];
	int rc, i;

	if (argc != 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		bool asked = argc == 2;

		fprintf(asked ? stdout : stderr,
			"Usage: " CLI_PROG " detach DEVICE|NAME\n\n"
			"Flush, disconnect the device, log out of every path and stop its "
			"daemon.\nWaits until the daemon has exited (at most 30 s).\n");
		return asked ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	rc = ctl_call(argv[1], "detach", true);
	if (rc)
		return rc;
	/* The daemon unlinks its socket as its last act: wait for that. */
	snprintf(path, sizeof(path), "%s/%s.sock", ctl_dir(), ctl_name(argv[1]));
	for (i = 0; i < 300; i++) {
		if (access(path, F_OK) < 0)
			return CLI_EXIT_OK;
		usleep(100 * 1000);
	}
	cli_err("%s: the daemon did not finish within 30 s; see its log", argv[1]);
	return CLI_EXIT_IO;
}
