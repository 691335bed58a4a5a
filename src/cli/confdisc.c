/*
 * [target] discovery: find the target's portals with SendTargets (RFC 7143
 * appendix C) on each discovery portal, with the configuration's initiator
 * name and CHAP credentials. Every portal offered for the target becomes a
 * path, each once; tgt answers a SendTargets with the portal it was asked
 * on only, so a multipath setup lists one discovery portal per network.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/sync.h"

struct disc_ctx {
	const char *target;
	char **out;
	unsigned int n;
	bool offered; /* the target was in an answer */
	bool nomem;
};

static void disc_cb(void *opaque, int err, const struct sess_disc_target *t, unsigned int n)
{
	struct disc_ctx *d = opaque;
	unsigned int i, j, k;

	for (i = 0; i < n; i++) {
		if (strcmp(t[i].name, d->target) != 0)
			continue;
		d->offered = true;
		for (j = 0; j < t[i].naddr && d->n < CONFIG_MAX_PORTALS; j++) {
			for (k = 0; k < d->n; k++)
				if (strcmp(d->out[k], t[i].addr[j]) == 0)
					break;
			if (k < d->n)
				continue;
			d->out[d->n] = strdup(t[i].addr[j]);
			if (!d->out[d->n]) {
				d->nomem = true;
				return;
			}
			d->n++;
		}
	}
}

int config_discover(const struct config *c, char **out, unsigned int *n)
{
	const struct config_list *dl = config_get_list(c, "target", "discovery");
	struct disc_ctx d = {.target = config_get(c, "target", "name"), .out = out};
	const char *timeout = config_get(c, "iscsi", "login_timeout");
	int first = 0;
	unsigned int i;

	*n = 0;
	if (!dl->n) {
		cli_err("%s: no portal and no discovery portal", c->name);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < dl->n; i++) {
		struct cli_target t;
		struct cli_sync y;
		int rc;

		cli_target_init(&t);
		t.portal = dl->v[i].text;
		t.chap_user = config_get(c, "auth", "chap_user");
		t.chap_secret_file = config_get(c, "auth", "chap_secret_file");
		t.mutual_user = config_get(c, "auth", "mutual_user");
		t.mutual_secret_file = config_get(c, "auth", "mutual_secret_file");
		t.initiator_name = config_get(c, "target", "initiator_name");
		/* Canonical durations: "30s" or "500ms". */
		if (timeout)
			t.timeout = strstr(timeout, "ms") ? atof(timeout) / 1000 : atof(timeout);
		if (strchr(t.portal, '@')) {
			cli_err("%s: discovery = %s: @IFACE is not used for discovery; give the "
				"paths' interfaces with portal = HOST@IFACE instead",
				c->name, t.portal);
			return CLI_EXIT_USAGE;
		}
		rc = sync_login(&y, &t, true, NULL);
		if (!rc) {
			rc = sync_send_targets(&y, "All", disc_cb, &d);
			sync_close(&y);
		}
		if (d.nomem) {
			cli_err("out of memory");
			rc = CLI_EXIT_LOCAL;
		}
		/* One network down must not stop the others' paths. */
		if (rc && !first)
			first = rc;
		if (rc == CLI_EXIT_AUTH || rc == CLI_EXIT_LOCAL || rc == CLI_EXIT_USAGE)
			break;
	}
	if (d.n && !d.nomem) {
		*n = d.n;
		return 0;
	}
	for (i = 0; i < d.n; i++)
		free(out[i]);
	if (first)
		return first;
	cli_err("%s: discovery found no portal for %s: %s", c->name, d.target,
		d.offered ? "the target lists none"
			  : "the discovery portals do not offer it to this initiator "
			    "('" CLI_PROG " discover PORTAL' lists what they offer)");
	return CLI_EXIT_LOGIN;
}
