/*
 * iscsi-nbd list / status / detach: clients of the running daemons'
 * control sockets (ctl.h). A device is named any way devname.h knows:
 * /dev/nbdN, nbdN, a partition, a by-id link, the daemon's --name or the
 * configuration name (running.h maps it to its daemon).
 *
 * detach refuses a device that is in use (inuse.h) with CLI_EXIT_IN_USE, as
 * umount and losetup -d do: after the disconnect the kernel fails every
 * request, so whatever a mounted filesystem, swap or device-mapper has
 * not written yet would be lost. Before the disconnect it writes back the
 * kernel's cached data and flushes the LUN (fsync of the device: the
 * kernel sends NBD FLUSH, the daemon SYNCHRONIZE CACHE, SBC-4 5.24); a
 * failed flush is an error, never silent.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/ctl.h"
#include "cli/inuse.h"
#include "cli/running.h"
#include "util/cleanup.h"

#define CTL_TIMEOUT_MS 5000

static char reply[CTL_RSP_MAX];

/* Send one request to the daemon called name; print the payload; return an exit code. */
static int ctl_call(const char *name, const char *req, bool quiet_payload)
{
	int err = ctl_request(name, req, reply, sizeof(reply), CTL_TIMEOUT_MS);
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

/* Text for a terminal: control characters (a mount point may hold any) as '?'. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* ---- list ---- */

struct list_row {
	char device[32], name[64], target[224], lun[24], paths[24], state[16], mounts[512];
};

static json_object *list_json_one(const struct running_daemon *d, const struct inuse *in)
{
	json_object *o = json_object_new_object(), *m = json_object_new_array(),
		    *u = json_object_new_array(), *lun;
	unsigned int up, total;
	char text[600];
	size_t i;

	running_paths(d, &up, &total);
	json_object_object_add(o, "device",
			       d->id.device[0] ? json_object_new_string(d->id.device) : NULL);
	json_object_object_add(o, "name", json_object_new_string(d->id.name));
	json_object_object_add(o, "target", json_object_new_string(running_str(d, "target")));
	json_object_object_add(
		o, "lun",
		json_object_object_get_ex(d->status, "lun", &lun) ? json_object_get(lun) : NULL);
	json_object_object_add(o, "paths_up", json_object_new_int((int)up));
	json_object_object_add(o, "paths_total", json_object_new_int((int)total));
	json_object_object_add(o, "state", json_object_new_string(running_str(d, "state")));
	for (i = 0; i < in->n; i++) {
		struct inuse one = {.n = 1};

		one.u[0] = in->u[i];
		if (in->u[i].kind == INUSE_MOUNT)
			json_object_array_add(m, json_object_new_string(in->u[i].detail));
		inuse_format(&one, text, sizeof(text));
		json_object_array_add(u, json_object_new_string(text));
	}
	json_object_object_add(o, "mounts", m);
	json_object_object_add(o, "users", u);
	return o;
}

static void list_row_fill(const struct running_daemon *d, const struct inuse *in,
			  struct list_row *r)
{
	unsigned int up, total;

	running_paths(d, &up, &total);
	snprintf(r->device, sizeof(r->device), "%s", d->id.device[0] ? d->id.device : "-");
	snprintf(r->name, sizeof(r->name), "%s", d->id.name);
	snprintf(r->target, sizeof(r->target), "%s", running_str(d, "target"));
	snprintf(r->lun, sizeof(r->lun), "%s", running_str(d, "lun"));
	snprintf(r->paths, sizeof(r->paths), "%u/%u", up, total);
	snprintf(r->state, sizeof(r->state), "%s", running_str(d, "state"));
	inuse_mounts(in, r->mounts, sizeof(r->mounts));
	if (!r->mounts[0])
		snprintf(r->mounts, sizeof(r->mounts), "-");
	printable(r->name);
	printable(r->target);
	printable(r->mounts);
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const head[] = {"DEVICE", "NAME",  "TARGET", "LUN",
					   "PATHS",  "STATE", "MOUNTS"};
	struct running r;
	struct list_row *rows;
	size_t w[7] = {0}, i, k;
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: " CLI_PROG " list [--json]\n\n"
			       "Every running attach/serve daemon (control sockets in %s): "
			       "device,\n"
			       "name, target, LUN, paths up/total, state and where the device or "
			       "its\n"
			       "partitions are mounted.\n"
			       "  -j, --json   one JSON array, an object per daemon\n",
			       ctl_dir());
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("list takes no device (use status DEVICE)");
		return CLI_EXIT_USAGE;
	}
	rc = running_load(&r);
	if (rc)
		return rc;
	if (json) {
		json_object *arr = json_object_new_array();

		for (i = 0; i < r.n; i++) {
			struct inuse in = {0};

			if (r.d[i].id.device[0])
				inuse_scan_passive("", r.d[i].id.device + 5, &in);
			json_object_array_add(arr, list_json_one(&r.d[i], &in));
		}
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
		json_object_put(arr);
		running_free(&r);
		return CLI_EXIT_OK;
	}
	if (r.n == 0) {
		printf("no devices attached\n");
		running_free(&r);
		return CLI_EXIT_OK;
	}
	rows = calloc(r.n, sizeof(*rows));
	if (!rows) {
		running_free(&r);
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	for (k = 0; k < 7; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < r.n; i++) {
		struct inuse in = {0};
		const char *cols[7];

		if (r.d[i].id.device[0])
			inuse_scan_passive("", r.d[i].id.device + 5, &in);
		list_row_fill(&r.d[i], &in, &rows[i]);
		cols[0] = rows[i].device, cols[1] = rows[i].name, cols[2] = rows[i].target;
		cols[3] = rows[i].lun, cols[4] = rows[i].paths, cols[5] = rows[i].state;
		cols[6] = rows[i].mounts;
		for (k = 0; k < 7; k++)
			if (strlen(cols[k]) > w[k])
				w[k] = strlen(cols[k]);
	}
	printf("%-*s  %-*s  %-*s  %*s  %*s  %-*s  %s\n", (int)w[0], head[0], (int)w[1], head[1],
	       (int)w[2], head[2], (int)w[3], head[3], (int)w[4], head[4], (int)w[5], head[5],
	       head[6]);
	for (i = 0; i < r.n; i++)
		printf("%-*s  %-*s  %-*s  %*s  %*s  %-*s  %s\n", (int)w[0], rows[i].device,
		       (int)w[1], rows[i].name, (int)w[2], rows[i].target, (int)w[3], rows[i].lun,
		       (int)w[4], rows[i].paths, (int)w[5], rows[i].state, rows[i].mounts);
	free(rows);
	running_free(&r);
	return CLI_EXIT_OK;
}

/* ---- status ---- */

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

/* status DEVICE|NAME: the daemon serving it; a partition says whose it is. */
static int status_named(const char *arg, bool json)
{
	struct running r;
	struct running_target t;
	int rc = running_load(&r);

	if (rc)
		return rc;
	rc = running_resolve(&r, arg, &t);
	if (rc) {
		running_free(&r);
		return rc;
	}
	if (t.dn.part[0] && json) {
		char part[64];

		snprintf(part, sizeof(part), "/dev/%s", t.dn.part);
		json_object_object_add(t.d->status, "partition", json_object_new_string(part));
		puts(json_object_to_json_string_ext(t.d->status, JSON_C_TO_STRING_PLAIN));
	} else {
		if (t.dn.part[0])
			printf("/dev/%s: a partition of %s\n", t.dn.part, t.d->id.device);
		rc = ctl_call(t.d->id.name, json ? "status json" : "status", false);
	}
	running_free(&r);
	return rc;
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
			       "Devices, paths and their states, latency and counters. DEVICE is\n"
			       "/dev/nbdN, nbdN, a partition (/dev/nbdNpM: its disk is shown) or "
			       "a\n"
			       "/dev/disk/by-id link; NAME the daemon's --name or configuration "
			       "name.\n");
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
		return status_named(argv[optind], st.json);
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

/* ---- detach ---- */

/* What to do about each user, for the refusal message: the commands to run. */
static void inuse_advice(const struct inuse *in, char *buf, size_t cap)
{
	size_t i, len = 0;
	bool excl = false;
	int k;

	buf[0] = 0;
	for (i = 0; i < in->n && len < cap; i++) {
		const struct inuse_user *u = &in->u[i];
		const char *sep = len ? ", " : "";
		char name[256];

		switch (u->kind) {
		case INUSE_MOUNT:
			k = snprintf(buf + len, cap - len, "%sumount %s", sep, u->detail);
			break;
		case INUSE_SWAP:
			k = snprintf(buf + len, cap - len, "%sswapoff %s", sep, u->detail);
			break;
		case INUSE_HOLDER:
			/* "dm-0 (vg-lv)": device-mapper, by its name; else md or another driver. */
			if (sscanf(u->detail, "dm-%*u (%255[^)])", name) == 1)
				k = snprintf(
					buf + len, cap - len,
					"%sdmsetup remove %s (LVM: vgchange -an; LUKS: cryptsetup "
					"close)",
					sep, name);
			else if (strncmp(u->detail, "md", 2) == 0)
				k = snprintf(buf + len, cap - len, "%smdadm --stop /dev/%s", sep,
					     u->detail);
			else
				k = snprintf(buf + len, cap - len, "%sremove %s", sep, u->detail);
			break;
		default:
			if (excl)
				continue;
			excl = true;
			k = snprintf(buf + len, cap - len,
				     "%sstop the program that has it open (fuser -v /dev/%s)", sep,
				     u->dev);
			break;
		}
		if (k < 0)
			break;
		len += (size_t)k;
	}
}

static void detach_usage(FILE *f)
{
	fprintf(f, "Usage: " CLI_PROG " detach [--force] DEVICE|NAME\n\n"
		   "Flush, disconnect the device, log out of every path and stop its daemon.\n"
		   "DEVICE is /dev/nbdN, nbdN, a partition or a /dev/disk/by-id link; NAME\n"
		   "the daemon's --name or configuration name. Waits until the daemon has\n"
		   "exited (at most 30 s).\n"
		   "\n"
		   "A device in use is refused (exit 10): mounted (the disk or a partition),\n"
		   "used as swap, held by device-mapper / LVM / md, or open exclusively.\n"
		   "The message names the users and what to do.\n"
		   "      --force   detach anyway: sync mounted filesystems and flush first;\n"
		   "                what is written to the device after that is lost\n"
		   "A failed flush is an error (exit 5): without --force the device stays\n"
		   "attached.\n");
}

/*
 * Before the disconnect: refuse a device in use (unless force), claim a
 * free one (*excl, O_EXCL, the caller closes it after the disconnect) so
 * nothing can mount or claim it in between, and flush it. users gets who
 * uses it; *flush_failed is set when a flush failed under --force.
 * Returns 0 or a cli_exit code.
 */
static int detach_prepare(const char *dev, const char *name, bool force, struct inuse *in,
			  char *users, size_t users_cap, int *excl, bool *flush_failed)
{
	const char *disk = dev + 5;
	char advice[2048], why[PATH_MAX + 64];
	int err = inuse_scan("", disk, in);

	if (err) {
		cli_err("cannot tell whether %s is in use: %s", dev, strerror(-err));
		if (!force)
			return CLI_EXIT_LOCAL;
	}
	/*
	 * Not in use: keep it claimed (O_EXCL) until the disconnect, so
	 * nothing can mount or claim it between this check and then.
	 */
	if (!err && in->n == 0) {
		*excl = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
		if (*excl < 0 && errno == EBUSY)
			inuse_scan("", disk, in); /* claimed since: say by whom */
	}
	if (in->n) {
		inuse_format(in, users, users_cap);
		printable(users);
		if (!force) {
			inuse_advice(in, advice, sizeof(advice));
			cli_err("%s (%s) is in use: %s. Detaching it now would lose what "
				"they have not written yet. First %s; then detach again. "
				"--force detaches anyway.",
				dev, name, users, advice);
			return CLI_EXIT_IN_USE;
		}
		cli_err("warning: --force: detaching %s (%s) although it is in use: %s. "
			"Syncing and flushing first; anything written to it after this is "
			"lost and the kernel will report I/O errors for it.",
			dev, name, users);
	}
	if (inuse_flush(disk, in, why, sizeof(why)) < 0) {
		cli_err("%s", why);
		*flush_failed = true;
		if (!force) {
			cli_err("%s stays attached: its data may not all be on the LUN. "
				"See '" CLI_PROG " status %s'; --force detaches anyway.",
				dev, name);
			return CLI_EXIT_IO;
		}
	}
	return 0;
}

/* The daemon unlinks its socket as its last act: wait for that (30 s). */
static int detach_wait(const char *name)
{
	char path[256];
	int i;

	snprintf(path, sizeof(path), "%s/%s.sock", ctl_dir(), name);
	for (i = 0; i < 300; i++) {
		if (access(path, F_OK) < 0)
			return 0;
		usleep(100 * 1000);
	}
	cli_err("%s: the daemon did not finish within 30 s; see its log", name);
	return CLI_EXIT_IO;
}

int cmd_detach(int argc, char **argv)
{
	enum { OPT_FORCE = CLI_OPT_FIRST_FREE };
	static const struct option opts[] = {
		{"force", no_argument, NULL, OPT_FORCE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct running r;
	struct running_target t;
	struct inuse in = {0};
	char users[2048], name[64], dev[32];
	bool force = false, flush_failed = false;
	CLEANUP_CLOSE int excl = -1; /* our claim on the disk until the disconnect */
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FORCE:
			force = true;
			break;
		case 'h':
			detach_usage(stdout);
			return CLI_EXIT_OK;
		default:
			detach_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		detach_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	rc = running_load(&r);
	if (rc)
		return rc;
	rc = running_resolve(&r, argv[optind], &t);
	if (rc) {
		running_free(&r);
		return rc;
	}
	snprintf(name, sizeof(name), "%s", t.d->id.name);
	snprintf(dev, sizeof(dev), "%s", t.d->id.device);
	running_free(&r);

	if (dev[0]) {
		rc = detach_prepare(dev, name, force, &in, users, sizeof(users), &excl,
				    &flush_failed);
		if (rc)
			return rc;
	}
	rc = ctl_call(name, "detach", true);
	if (rc)
		return rc;
	rc = detach_wait(name);
	if (rc)
		return rc;
	if (force && in.n)
		printf("%s: detached by force; it was in use: %s\n", dev, users);
	if (flush_failed) {
		cli_err("%s: detached, but the flush before it failed: data may be lost", dev);
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}
