/*
 * Is an nbd device in use? Detaching a device that a filesystem, swap,
 * device-mapper or md still uses loses whatever they have not written
 * yet (the kernel fails every request after the disconnect), so detach
 * asks first, as umount, losetup -d and dmsetup remove do.
 *
 * Looked at, for the disk and each of its partitions (/sys/block/nbdN/nbdNpM):
 * - mounts: /proc/self/mountinfo, matched by major:minor (field 3), so a
 *   mount through any name or link is found;
 * - swap: /proc/swaps;
 * - holders: /sys/block/nbdN[/nbdNpM]/holders/ (dm, LVM, md, ...), named
 *   by their device-mapper name where there is one;
 * - exclusive openers: open(O_EXCL) fails with EBUSY (mkfs, a VM, a
 *   program that claimed the disk), looked at only when nothing above
 *   explains it.
 * Everything is read under a root prefix ("" on a real system) so unit
 * tests can build a fake /proc and /sys.
 */
#ifndef ISN_CLI_INUSE_H
#define ISN_CLI_INUSE_H

#include <stddef.h>

#define INUSE_MAX 32

enum inuse_kind {
	INUSE_MOUNT,  /* detail: the mount point */
	INUSE_SWAP,   /* detail: the swap area as /proc/swaps names it */
	INUSE_HOLDER, /* detail: "dm-0 (vg-lv)", "md127" */
	INUSE_EXCL,   /* detail: "" */
};

struct inuse_user {
	enum inuse_kind kind;
	char dev[48];	  /* which block device is used: "nbd0" or "nbd0p1" */
	char detail[256]; /* see enum inuse_kind */
};

struct inuse {
	struct inuse_user u[INUSE_MAX];
	size_t n;
	size_t more; /* users found beyond INUSE_MAX */
};

/*
 * Scan the users of disk ("nbd0") and its partitions under root.
 * Returns 0 (out->n == 0: not in use) or -errno when disk does not exist
 * or /proc cannot be read.
 */
int inuse_scan(const char *root, const char *disk, struct inuse *out);

/*
 * The same without the exclusive-open check: opens no device, so it never
 * waits for the device's I/O (opening it may read its partition table) and
 * is safe on the thread that serves the device.
 */
int inuse_scan_passive(const char *root, const char *disk, struct inuse *out);

/* One line for a message: "nbd0p1 mounted on /mnt; nbd0 held by dm-0 (vg-lv)". */
void inuse_format(const struct inuse *in, char *buf, size_t cap);

/* The mount points, comma-separated ("" when none). */
void inuse_mounts(const struct inuse *in, char *buf, size_t cap);

/*
 * Write back what the kernel caches for disk and flush the LUN's cache,
 * through the kernel, before a disconnect: syncfs() of each filesystem in
 * in (mounted on the disk or a partition), then fsync() of each partition
 * (each has its own page cache) and of the disk. The kernel turns the
 * flush into NBD FLUSH, which the daemon sends as SYNCHRONIZE CACHE
 * (SBC-4 5.24); a failure on the way comes back as EIO. Blocks: never
 * call it on the thread that serves the device. Real devices only (no
 * root prefix). Returns 0, or the first -errno with what failed in why.
 */
int inuse_flush(const char *disk, const struct inuse *in, char *why, size_t cap);

#endif
