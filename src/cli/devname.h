/*
 * Which running daemon does a name on the command line mean? Users name an
 * attached LUN in many ways: /dev/nbd0, nbd0, a partition (/dev/nbd0p1),
 * the udev link /dev/disk/by-id/iscsi-nbd-<identity>[-partN], the
 * daemon's --name, or the configuration name a systemd unit instance was
 * started with. The control socket is named after the daemon, not after
 * the device, so a device name is mapped to a daemon by asking each
 * running daemon which device it serves (its `status json` answer).
 *
 * Two steps, kept apart so that unit tests can drive them over a fake
 * /dev and /sys tree (root prefix) and a fake list of daemons:
 * devname_parse() turns an argument into a kernel device name (or says
 * it is not a device), devname_match() picks the daemon.
 */
#ifndef ISN_CLI_DEVNAME_H
#define ISN_CLI_DEVNAME_H

#include <stddef.h>

/* A device named on the command line. */
struct devname {
	char disk[32]; /* "nbd0": the whole device; "" when arg names no nbd device */
	char part[48]; /* "nbd0p1" when a partition was named, else "" */
	int index;     /* N of nbdN, -1 when no device */
};

/*
 * Resolve arg as a device under root ("" on a real system): nbdN,
 * nbdNpM, /dev/..., any symlink to them (the by-id links), any block
 * device node whose major:minor is an nbd device or partition
 * (/sys/dev/block/MAJ:MIN), or a bare by-id name. Returns 0 with out
 * filled, -ENODEV when arg is not an nbd device (it may be a daemon's
 * name: out->index is -1), or -ENOENT when arg is a path, or a partition
 * (nbdNpM), that does not exist.
 */
int devname_parse(const char *root, const char *arg, struct devname *out);

/* "nbd3" -> 3, "nbd3p1" -> 3 with part 1; -1 when name is neither. */
int devname_split(const char *name, unsigned int *index, unsigned int *part);

/* One running daemon, as its control socket answered. */
struct devname_daemon {
	char name[64];	 /* control socket name (--name, config name or nbdN) */
	char device[32]; /* "/dev/nbdN", or "" (server mode, or not bound yet) */
};

/*
 * The daemon arg means: for a device, the one serving dn->disk; else the
 * one whose name is arg, or alias (the [daemon] name a configuration file
 * arg sets; NULL if none). Returns its index in d[], or -1.
 */
int devname_match(const struct devname *dn, const char *arg, const char *alias,
		  const struct devname_daemon *d, size_t n);

#endif
