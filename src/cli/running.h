/*
 * The running daemons as `iscsi-nbd list|status|detach` see them: every
 * control socket in ctl_dir() asked for its `status json`, parsed with
 * json-c, and a name from the command line resolved to one of them
 * (devname.h: /dev/nbdN, nbdN, a partition, a by-id link, the daemon's
 * name or a configuration name).
 */
#ifndef ISN_CLI_RUNNING_H
#define ISN_CLI_RUNNING_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "cli/devname.h"

struct running_daemon {
	struct devname_daemon id; /* name and device, from the status answer */
	json_object *status;	  /* the parsed `status json` answer (owned) */
};

struct running {
	struct running_daemon *d;
	size_t n;
};

/* Ask every daemon. Returns 0 or an exit code after printing why. */
int running_load(struct running *r);
void running_free(struct running *r);

/* What a command-line name resolved to. */
struct running_target {
	const struct running_daemon *d; /* borrowed from the struct running */
	struct devname dn;		/* dn.part set when a partition was named */
};

/*
 * Resolve arg among r's daemons. Returns 0, or prints what is running
 * (or that nothing is) and returns CLI_EXIT_USAGE.
 */
int running_resolve(const struct running *r, const char *arg, struct running_target *t);

/* Paths of a status answer: how many and how many are up (ACTIVE / STANDBY). */
void running_paths(const struct running_daemon *d, unsigned int *up, unsigned int *total);

/* A string field of the status answer, or "" (json-c owns it). */
const char *running_str(const struct running_daemon *d, const char *key);

#endif
