/*
 * Names of attached devices (devname.h): from what the user typed to the
 * kernel's name, and from there to the daemon serving it.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli/devname.h"

/* Digits only, at least one, no sign: what the kernel puts in its names. */
static const char *skip_digits(const char *s, unsigned long *val)
{
	const char *p = s;
	unsigned long v = 0;

	while (*p >= '0' && *p <= '9') {
		if (v > (unsigned long)INT_MAX / 10)
			return NULL;
		v = v * 10 + (unsigned long)(*p - '0');
		p++;
	}
	if (p == s)
		return NULL;
	*val = v;
	return p;
}

int devname_split(const char *name, unsigned int *index, unsigned int *part)
{
	unsigned long n, m = 0;
	const char *p;

	if (strncmp(name, "nbd", 3) != 0)
		return -1;
	p = skip_digits(name + 3, &n);
	if (!p)
		return -1;
	if (*p == 'p') {
		p = skip_digits(p + 1, &m);
		if (!p || m == 0)
			return -1;
	}
	if (*p)
		return -1;
	*index = (unsigned int)n;
	*part = (unsigned int)m;
	return 0;
}

static int fill(const char *kname, struct devname *out)
{
	unsigned int n, m;

	if (devname_split(kname, &n, &m) < 0)
		return -ENODEV;
	out->index = (int)n;
	snprintf(out->disk, sizeof(out->disk), "nbd%u", n);
	if (m)
		snprintf(out->part, sizeof(out->part), "nbd%up%u", n, m);
	return 0;
}

/* The kernel name of block device major:minor, from /sys/dev/block. */
static int name_from_devnum(const char *root, dev_t rdev, char *buf, size_t cap)
{
	char link[PATH_MAX], *real;
	const char *base;

	snprintf(link, sizeof(link), "%s/sys/dev/block/%u:%u", root, major(rdev), minor(rdev));
	real = realpath(link, NULL);
	if (!real)
		return -errno;
	base = strrchr(real, '/');
	snprintf(buf, cap, "%s", base ? base + 1 : real);
	free(real);
	return 0;
}

int devname_parse(const char *root, const char *arg, struct devname *out)
{
	char path[PATH_MAX], kname[64];
	char *real;
	const char *base;
	struct stat st;
	int err;

	*out = (struct devname){.index = -1};
	if (!*arg)
		return -ENODEV;
	if (!strchr(arg, '/')) {
		if (fill(arg, out) == 0) {
			/* A partition that is not there would be shown as one of its disk. */
			snprintf(path, sizeof(path), "%s/sys/block/%s/%s", root, out->disk,
				 out->part);
			if (out->part[0] && access(path, F_OK) < 0) {
				*out = (struct devname){.index = -1};
				return -ENOENT;
			}
			return 0;
		}
		/* A bare by-id name, as udev's link is called. */
		snprintf(path, sizeof(path), "%s/dev/disk/by-id/%s", root, arg);
		if (lstat(path, &st) < 0)
			return -ENODEV;
	} else if (snprintf(path, sizeof(path), "%s%s", root, arg) >= (int)sizeof(path)) {
		return -ENAMETOOLONG;
	}
	real = realpath(path, NULL);
	if (!real)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	base = strrchr(real, '/');
	snprintf(kname, sizeof(kname), "%s", base ? base + 1 : real);
	err = stat(real, &st) < 0 ? -errno : 0;
	free(real);
	if (fill(kname, out) == 0)
		return 0;
	/* A node under another name (a udev rule's NAME, a mknod copy). */
	if (err == 0 && S_ISBLK(st.st_mode) &&
	    name_from_devnum(root, st.st_rdev, kname, sizeof(kname)) == 0)
		return fill(kname, out);
	return -ENODEV;
}

int devname_match(const struct devname *dn, const char *arg, const char *alias,
		  const struct devname_daemon *d, size_t n)
{
	char dev[48];
	size_t i;

	if (dn->index >= 0) {
		snprintf(dev, sizeof(dev), "/dev/%s", dn->disk);
		for (i = 0; i < n; i++)
			if (strcmp(d[i].device, dev) == 0)
				return (int)i;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (strcmp(d[i].name, arg) == 0)
			return (int)i;
	for (i = 0; alias && i < n; i++)
		if (strcmp(d[i].name, alias) == 0)
			return (int)i;
	return -1;
}
