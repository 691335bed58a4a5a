/*
 * Users of an nbd device (inuse.h): mounts, swap, holders, exclusive
 * openers of the disk and of each of its partitions.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/inuse.h"

#define INUSE_MAX_DEVS 64 /* the disk and its partitions looked at */

struct blk {
	char name[48];
	unsigned int major, minor;
};

/* Copy, cut to fit: names and mount points longer than the fields are rare. */
static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void add(struct inuse *in, enum inuse_kind kind, const char *dev, const char *detail)
{
	struct inuse_user *u;

	if (in->n >= INUSE_MAX) {
		in->more++;
		return;
	}
	u = &in->u[in->n++];
	u->kind = kind;
	copy(u->dev, sizeof(u->dev), dev);
	copy(u->detail, sizeof(u->detail), detail);
}

/* Read the first line of a small sysfs file, newline stripped. */
static int read_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)cap, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int read_devnum(const char *root, const char *rel, struct blk *b)
{
	char path[PATH_MAX], line[32];
	int err;

	snprintf(path, sizeof(path), "%s/sys/block/%s/dev", root, rel);
	err = read_line(path, line, sizeof(line));
	if (err)
		return err;
	return sscanf(line, "%u:%u", &b->major, &b->minor) == 2 ? 0 : -EINVAL;
}

/* The disk first, then its partitions (subdirectories named DISKpM). */
static int list_devs(const char *root, const char *disk, struct blk *b, size_t cap, size_t *n)
{
	char path[PATH_MAX], rel[128];
	size_t dlen = strlen(disk);
	struct dirent *de;
	DIR *d;
	int err;

	snprintf(b[0].name, sizeof(b[0].name), "%s", disk);
	err = read_devnum(root, disk, &b[0]);
	if (err)
		return err;
	*n = 1;
	snprintf(path, sizeof(path), "%s/sys/block/%s", root, disk);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL && *n < cap) {
		if (strncmp(de->d_name, disk, dlen) != 0 || de->d_name[dlen] != 'p' ||
		    strlen(de->d_name) >= sizeof(b[0].name))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", disk, de->d_name);
		if (read_devnum(root, rel, &b[*n]) < 0)
			continue;
		snprintf(b[*n].name, sizeof(b[*n].name), "%s", de->d_name);
		(*n)++;
	}
	closedir(d);
	return 0;
}

/* mountinfo and swaps write space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Which of b[] is the device file path names (by its last component)? */
static const struct blk *by_path(const char *root, const char *p, const struct blk *b, size_t n)
{
	char full[PATH_MAX], *real = NULL;
	const char *name = base_name(p);
	size_t i;

	if (p[0] == '/' && snprintf(full, sizeof(full), "%s%s", root, p) < (int)sizeof(full))
		real = realpath(full, NULL);
	if (real)
		name = base_name(real);
	for (i = 0; i < n; i++)
		if (strcmp(name, b[i].name) == 0)
			break;
	free(real);
	return i < n ? &b[i] : NULL;
}

/* Open a /proc table (rel starts with '/') under root for reading. */
static FILE *open_proc(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	return fopen(path, "re");
}

static int scan_mounts(const char *root, const struct blk *b, size_t n, struct inuse *in)
{
	char line[4096];
	FILE *f = open_proc(root, "/proc/self/mountinfo");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *fields[5], *src = NULL, *dash;
		unsigned int maj, min, k = 0;
		const struct blk *hit = NULL;
		size_t i;

		line[strcspn(line, "\n")] = 0;
		/* After " - ": filesystem type, then the source. */
		dash = strstr(line, " - ");
		if (dash) {
			*dash = 0;
			src = strchr(dash + 3, ' ');
			if (src) {
				src++;
				src[strcspn(src, " ")] = 0;
			}
		}
		for (tok = strtok_r(line, " ", &save); tok && k < 5;
		     tok = strtok_r(NULL, " ", &save))
			fields[k++] = tok;
		if (k < 5)
			continue;
		if (sscanf(fields[2], "%u:%u", &maj, &min) == 2)
			for (i = 0; i < n && !hit; i++)
				if (b[i].major == maj && b[i].minor == min)
					hit = &b[i];
		/* Filesystems with their own st_dev (btrfs) still name their source. */
		if (!hit && src && strncmp(src, "/dev/", 5) == 0) {
			unescape(src);
			hit = by_path(root, src, b, n);
		}
		if (hit) {
			unescape(fields[4]);
			add(in, INUSE_MOUNT, hit->name, fields[4]);
		}
	}
	fclose(f);
	return 0;
}

static int scan_swaps(const char *root, const struct blk *b, size_t n, struct inuse *in)
{
	char line[4096];
	FILE *f = open_proc(root, "/proc/swaps");

	if (!f)
		return errno == ENOENT ? 0 : -errno; /* a kernel without swap */
	while (fgets(line, sizeof(line), f)) {
		const struct blk *hit;

		line[strcspn(line, " \t\n")] = 0;
		if (line[0] != '/')
			continue; /* the header */
		unescape(line);
		hit = by_path(root, line, b, n);
		if (hit)
			add(in, INUSE_SWAP, hit->name, line);
	}
	fclose(f);
	return 0;
}

static void scan_holders(const char *root, const char *disk, const struct blk *b, size_t n,
			 struct inuse *in)
{
	char path[PATH_MAX], dmname[128], detail[512];
	struct dirent *de;
	size_t i;
	DIR *d;

	for (i = 0; i < n; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s/sys/block/%s/holders", root, disk);
		else
			snprintf(path, sizeof(path), "%s/sys/block/%s/%s/holders", root, disk,
				 b[i].name);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			/* device-mapper (LVM, crypt, multipath) names its maps. */
			snprintf(path, sizeof(path), "%s/sys/block/%s/dm/name", root, de->d_name);
			if (read_line(path, dmname, sizeof(dmname)) == 0 && dmname[0])
				snprintf(detail, sizeof(detail), "%s (%s)", de->d_name, dmname);
			else
				snprintf(detail, sizeof(detail), "%s", de->d_name);
			add(in, INUSE_HOLDER, b[i].name, detail);
		}
		closedir(d);
	}
}

static bool has_user(const struct inuse *in, const char *dev)
{
	size_t j;

	for (j = 0; j < in->n; j++)
		if (!dev || strcmp(in->u[j].dev, dev) == 0)
			return true;
	return false;
}

static bool claimed(const char *root, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/dev/%s", root, name);
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EBUSY;
}

/*
 * Mounts, swap and holders all claim the device exclusively; an EBUSY
 * from open(O_EXCL) with none of them is another program's claim. A
 * claimed partition makes the disk busy too, and a claimed disk its
 * partitions: only what no user found so far explains is reported.
 */
static void scan_excl(const char *root, const struct blk *b, size_t n, struct inuse *in)
{
	size_t i;

	if (has_user(in, b[0].name))
		return;
	for (i = 1; i < n; i++)
		if (!has_user(in, b[i].name) && claimed(root, b[i].name))
			add(in, INUSE_EXCL, b[i].name, "");
	if (!has_user(in, NULL) && claimed(root, b[0].name))
		add(in, INUSE_EXCL, b[0].name, "");
}

static int scan(const char *root, const char *disk, struct inuse *out, bool excl)
{
	struct blk b[INUSE_MAX_DEVS];
	size_t n = 0;
	int err;

	*out = (struct inuse){0};
	if (strchr(disk, '/') || disk[0] == '.')
		return -EINVAL;
	err = list_devs(root, disk, b, INUSE_MAX_DEVS, &n);
	if (err)
		return err;
	err = scan_mounts(root, b, n, out);
	if (err)
		return err;
	err = scan_swaps(root, b, n, out);
	if (err)
		return err;
	scan_holders(root, disk, b, n, out);
	if (excl)
		scan_excl(root, b, n, out);
	return 0;
}

int inuse_scan(const char *root, const char *disk, struct inuse *out)
{
	return scan(root, disk, out, true);
}

int inuse_scan_passive(const char *root, const char *disk, struct inuse *out)
{
	return scan(root, disk, out, false);
}

void inuse_format(const struct inuse *in, char *buf, size_t cap)
{
	size_t i, len = 0;

	if (cap)
		buf[0] = 0;
	for (i = 0; i < in->n && len < cap; i++) {
		const struct inuse_user *u = &in->u[i];
		const char *sep = i ? "; " : "";
		int k;

		switch (u->kind) {
		case INUSE_MOUNT:
			k = snprintf(buf + len, cap - len, "%s%s mounted on %s", sep, u->dev,
				     u->detail);
			break;
		case INUSE_SWAP:
			k = snprintf(buf + len, cap - len, "%s%s used as swap", sep, u->dev);
			break;
		case INUSE_HOLDER:
			k = snprintf(buf + len, cap - len, "%s%s held by %s", sep, u->dev,
				     u->detail);
			break;
		default:
			k = snprintf(buf + len, cap - len, "%s%s open exclusively by a program",
				     sep, u->dev);
			break;
		}
		if (k < 0)
			return;
		len += (size_t)k;
	}
	if (in->more && len < cap)
		snprintf(buf + len, cap - len, "; and %zu more", in->more);
}

void inuse_mounts(const struct inuse *in, char *buf, size_t cap)
{
	size_t i, len = 0;

	if (cap)
		buf[0] = 0;
	for (i = 0; i < in->n && len < cap; i++) {
		int k;

		if (in->u[i].kind != INUSE_MOUNT)
			continue;
		k = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", in->u[i].detail);
		if (k < 0)
			return;
		len += (size_t)k;
	}
}

static int flush_fail(int err, const char *what, char *why, size_t cap, int first)
{
	if (first)
		return first; /* the first failure is the one to report */
	snprintf(why, cap, "%s: %s", what, strerror(-err));
	return err;
}

int inuse_flush(const char *disk, const struct inuse *in, char *why, size_t cap)
{
	char path[PATH_MAX], what[PATH_MAX + 16];
	int fd, err = 0;
	size_t i;

	if (cap)
		why[0] = 0;
	for (i = 0; i < in->n; i++) {
		if (in->u[i].kind != INUSE_MOUNT)
			continue;
		fd = open(in->u[i].detail, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) < 0) {
			snprintf(what, sizeof(what), "sync of the filesystem on %s",
				 in->u[i].detail);
			err = flush_fail(-errno, what, why, cap, err);
		}
		if (fd >= 0)
			close(fd);
	}
	/* Partitions first: their writes reach the disk's queue before its flush. */
	for (i = 1; i < 256; i++) {
		snprintf(path, sizeof(path), "/sys/block/%s/%sp%zu", disk, disk, i);
		if (access(path, F_OK) < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%sp%zu", disk, i);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue; /* no node for it: nothing was written through it either */
		if (fsync(fd) < 0) {
			snprintf(what, sizeof(what), "flush of %s", path);
			err = flush_fail(-errno, what, why, cap, err);
		}
		close(fd);
	}
	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fsync(fd) < 0) {
		snprintf(what, sizeof(what), "flush of %s", path);
		err = flush_fail(-errno, what, why, cap, err);
	}
	if (fd >= 0)
		close(fd);
	return err;
}
