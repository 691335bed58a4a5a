/*
 * The running daemons (running.h), found through their control sockets.
 * A device name is mapped to its daemon by what each daemon says it
 * serves, not by the socket's name: the socket is called after --name or
 * the configuration, which rarely is "nbdN".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/ctl.h"
#include "cli/running.h"

#define RUNNING_TIMEOUT_MS 5000

static char reply[CTL_RSP_MAX];

struct load_ctx {
	struct running *r;
	int err;
};

static void load_one(const char *name, void *opaque)
{
	struct load_ctx *lc = opaque;
	struct running *r = lc->r;
	struct running_daemon *d, *grown;
	const char *payload;
	json_object *js, *v;
	int err;

	err = ctl_request(name, "status json", reply, sizeof(reply), RUNNING_TIMEOUT_MS);
	if (err == -ECONNREFUSED || err == -ENOENT)
		return; /* a daemon that died without removing its socket, or just went */
	if (err) {
		cli_err("%s: no answer on its control socket: %s", name, strerror(-err));
		return;
	}
	payload = strchr(reply, '\n');
	if (strncmp(reply, "ok\n", 3) != 0 || !payload) {
		cli_err("%s: %.*s", name, (int)strcspn(reply, "\n"), reply);
		return;
	}
	js = json_tokener_parse(payload + 1);
	if (!js || !json_object_is_type(js, json_type_object)) {
		cli_err("%s: its status answer is not a JSON object", name);
		json_object_put(js);
		return;
	}
	grown = realloc(r->d, (r->n + 1) * sizeof(*r->d));
	if (!grown) {
		json_object_put(js);
		lc->err = -ENOMEM;
		return;
	}
	r->d = grown;
	d = &r->d[r->n++];
	*d = (struct running_daemon){.status = js};
	/* The socket's name is the one to call it by (it is the daemon's name too). */
	snprintf(d->id.name, sizeof(d->id.name), "%s", name);
	if (json_object_object_get_ex(js, "device", &v) && json_object_is_type(v, json_type_string))
		snprintf(d->id.device, sizeof(d->id.device), "%s", json_object_get_string(v));
}

int running_load(struct running *r)
{
	struct load_ctx lc = {.r = r};
	int n;

	*r = (struct running){0};
	n = ctl_list(load_one, &lc);
	if (n < 0) {
		cli_err("cannot read %s: %s", ctl_dir(), strerror(-n));
		return CLI_EXIT_LOCAL;
	}
	if (lc.err) {
		cli_err("out of memory");
		running_free(r);
		return CLI_EXIT_LOCAL;
	}
	return CLI_EXIT_OK;
}

void running_free(struct running *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		json_object_put(r->d[i].status);
	free(r->d);
	*r = (struct running){0};
}

/*
 * A configuration name whose file sets another [daemon] name or names
 * the device: what to look for instead. Only when arg is a plain name
 * and such a file exists; anything wrong with the file is not our
 * business here (config --check says it).
 */
static void config_alias(const char *arg, char *name, size_t ncap, struct devname *dn)
{
	struct config c;
	char err[256], path[512];
	const char *v;
	FILE *f;

	name[0] = 0;
	if (strchr(arg, '/') || arg[0] == '.')
		return;
	snprintf(path, sizeof(path), "%s/%s.conf", config_dir(), arg);
	f = fopen(path, "re");
	if (!f)
		return;
	fclose(f);
	if (config_load(arg, &c, err, sizeof(err)) == 0) { /* it initialises c */
		v = config_get(&c, "daemon", "name");
		if (v)
			snprintf(name, ncap, "%s", v);
		v = config_get(&c, "attach", "device");
		if (v && !name[0]) {
			char dev[32];

			/* /dev/nbdN, nbdN or N. */
			snprintf(dev, sizeof(dev), "%s%s", v[0] >= '0' && v[0] <= '9' ? "nbd" : "",
				 v);
			devname_parse("", dev, dn);
		}
	}
	config_free(&c);
}

int running_resolve(const struct running *r, const char *arg, struct running_target *t)
{
	struct devname_daemon ids[64];
	char alias[64], list[1024];
	size_t i, n = r->n < 64 ? r->n : 64, len = 0;
	int err, k;

	*t = (struct running_target){0};
	for (i = 0; i < n; i++)
		ids[i] = r->d[i].id;
	err = devname_parse("", arg, &t->dn);
	if (err == -ENOENT) {
		cli_err("%s: no such device, partition or file", arg);
		return CLI_EXIT_USAGE;
	}
	k = devname_match(&t->dn, arg, NULL, ids, n);
	if (k < 0 && t->dn.index < 0) {
		struct devname cdn = {.index = -1};

		config_alias(arg, alias, sizeof(alias), &cdn);
		k = devname_match(&cdn, arg, alias[0] ? alias : NULL, ids, n);
	}
	if (k >= 0) {
		t->d = &r->d[k];
		return CLI_EXIT_OK;
	}
	for (i = 0; i < n && len < sizeof(list); i++) {
		int w = snprintf(list + len, sizeof(list) - len, "%s%s%s%s%s", i ? ", " : "",
				 ids[i].name, ids[i].device[0] ? " (" : "", ids[i].device,
				 ids[i].device[0] ? ")" : "");

		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (t->dn.index >= 0)
		cli_err("no running iscsi-nbd daemon serves /dev/%s; %s%s", t->dn.disk,
			n ? "running: " : "none is running", n ? list : "");
	else
		cli_err("no running iscsi-nbd daemon for '%s'; %s%s", arg,
			n ? "running: " : "none is running", n ? list : "");
	return CLI_EXIT_USAGE;
}

void running_paths(const struct running_daemon *d, unsigned int *up, unsigned int *total)
{
	json_object *paths, *p, *st;
	size_t i, n;

	*up = *total = 0;
	if (!json_object_object_get_ex(d->status, "paths", &paths) ||
	    !json_object_is_type(paths, json_type_array))
		return;
	n = json_object_array_length(paths);
	for (i = 0; i < n; i++) {
		const char *s;

		p = json_object_array_get_idx(paths, i);
		(*total)++;
		if (!json_object_object_get_ex(p, "state", &st))
			continue;
		s = json_object_get_string(st);
		if (s && (strcmp(s, "ACTIVE") == 0 || strcmp(s, "STANDBY") == 0))
			(*up)++;
	}
}

const char *running_str(const struct running_daemon *d, const char *key)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(d->status, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return "";
	s = json_object_get_string(v);
	return s ? s : "";
}
