/*
 * Unit tests of device naming (src/cli/devname.c) and in-use detection
 * (src/cli/inuse.c) over a fake /dev, /sys and /proc built in a temporary
 * directory: every way of naming a device reaches the same daemon, and
 * every kind of user (mount of the disk or a partition, mount through a
 * by-id name, swap, device-mapper holder) is found and named.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../checkmain.h"
#include "cli/devname.h"
#include "cli/inuse.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512], dir[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = 0;
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

static void mkdirs(const char *rel)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	ck_assert_int_eq(system(cmd), 0);
}

/* nbd0 with two partitions, nbd1 without, the by-id links udev makes. */
static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/isn-devname-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	put("dev/nbd0", "");
	put("dev/nbd0p1", "");
	put("dev/nbd0p2", "");
	put("dev/nbd1", "");
	put("dev/sda", "");
	mkdirs("dev/disk/by-id");
	link_to("dev/disk/by-id/iscsi-nbd-naa.6001405abc", "../../nbd0");
	link_to("dev/disk/by-id/iscsi-nbd-naa.6001405abc-part1", "../../nbd0p1");
	link_to("dev/disk/by-id/ata-SOMEDISK", "../../sda");
	put("sys/block/nbd0/dev", "43:0\n");
	put("sys/block/nbd0/nbd0p1/dev", "43:1\n");
	put("sys/block/nbd0/nbd0p2/dev", "43:2\n");
	mkdirs("sys/block/nbd0/holders");
	mkdirs("sys/block/nbd0/nbd0p1/holders");
	mkdirs("sys/block/nbd0/nbd0p2/holders");
	mkdirs("sys/block/nbd0/queue");
	put("sys/block/nbd1/dev", "43:32\n");
	mkdirs("sys/block/nbd1/holders");
	put("sys/block/dm-0/dm/name", "vg-data\n");
	put("proc/self/mountinfo", "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
				   "30 22 0:25 / /run rw shared:5 - tmpfs tmpfs rw\n");
	put("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static void parse_ok(const char *arg, const char *disk, const char *part)
{
	struct devname dn;
	int err = devname_parse(root, arg, &dn);

	ck_assert_msg(err == 0, "%s: %s", arg, strerror(-err));
	ck_assert_str_eq(dn.disk, disk);
	ck_assert_str_eq(dn.part, part);
}

START_TEST(parse_forms)
{
	struct devname dn;

	parse_ok("nbd0", "nbd0", "");
	parse_ok("/dev/nbd0", "nbd0", "");
	parse_ok("nbd0p1", "nbd0", "nbd0p1");
	parse_ok("/dev/nbd0p2", "nbd0", "nbd0p2");
	parse_ok("/dev/nbd1", "nbd1", "");
	parse_ok("/dev/disk/by-id/iscsi-nbd-naa.6001405abc", "nbd0", "");
	parse_ok("/dev/disk/by-id/iscsi-nbd-naa.6001405abc-part1", "nbd0", "nbd0p1");
	parse_ok("iscsi-nbd-naa.6001405abc-part1", "nbd0", "nbd0p1");
	parse_ok("/dev/../dev/nbd1", "nbd1", "");
	ck_assert_int_eq(devname_parse(root, "/dev/nbd0", &dn), 0);
	ck_assert_int_eq(dn.index, 0);
	ck_assert_int_eq(devname_parse(root, "nbd12", &dn), 0);
	ck_assert_int_eq(dn.index, 12);
	ck_assert_str_eq(dn.part, "");
}
END_TEST

START_TEST(parse_not_devices)
{
	struct devname dn;

	/* Names a daemon may have. */
	ck_assert_int_eq(devname_parse(root, "store", &dn), -ENODEV);
	ck_assert_int_eq(dn.index, -1);
	ck_assert_int_eq(devname_parse(root, "nbd", &dn), -ENODEV);
	ck_assert_int_eq(devname_parse(root, "nbd0x", &dn), -ENODEV);
	ck_assert_int_eq(devname_parse(root, "nbd0p", &dn), -ENODEV);
	ck_assert_int_eq(devname_parse(root, "nbd0p0", &dn), -ENODEV);
	ck_assert_int_eq(devname_parse(root, "nbd-1", &dn), -ENODEV);
	ck_assert_int_eq(devname_parse(root, "nbd99999999999", &dn), -ENODEV);
	ck_assert_int_eq(devname_parse(root, "", &dn), -ENODEV);
	/* Paths to other disks, and paths that are not there. */
	ck_assert_int_eq(devname_parse(root, "/dev/sda", &dn), -ENODEV);
	ck_assert_int_eq(devname_parse(root, "/dev/disk/by-id/ata-SOMEDISK", &dn), -ENODEV);
	ck_assert_int_eq(devname_parse(root, "/dev/nbd7", &dn), -ENOENT);
	ck_assert_int_eq(devname_parse(root, "/dev/disk/by-id/nothing", &dn), -ENOENT);
	/* A partition the disk does not have. */
	ck_assert_int_eq(devname_parse(root, "nbd0p9", &dn), -ENOENT);
	ck_assert_int_eq(dn.index, -1);
}
END_TEST

START_TEST(match_daemons)
{
	static const struct devname_daemon d[] = {
		{"store", "/dev/nbd0"},
		{"nbd1", "/dev/nbd1"},
		{"serve-42", ""},
		{"nbd2", "/dev/nbd3"}, /* --name nbd2 on /dev/nbd3: the device decides */
	};
	const size_t n = sizeof(d) / sizeof(d[0]);
	struct devname dn;

	devname_parse(root, "/dev/nbd0", &dn);
	ck_assert_int_eq(devname_match(&dn, "/dev/nbd0", NULL, d, n), 0);
	devname_parse(root, "nbd0p2", &dn);
	ck_assert_int_eq(devname_match(&dn, "nbd0p2", NULL, d, n), 0);
	devname_parse(root, "/dev/disk/by-id/iscsi-nbd-naa.6001405abc-part1", &dn);
	ck_assert_int_eq(devname_match(&dn, "x", NULL, d, n), 0);
	devname_parse(root, "nbd1", &dn);
	ck_assert_int_eq(devname_match(&dn, "nbd1", NULL, d, n), 1);
	devname_parse(root, "nbd2", &dn);
	ck_assert_int_eq(devname_match(&dn, "nbd2", NULL, d, n), -1);
	devname_parse(root, "nbd3", &dn);
	ck_assert_int_eq(devname_match(&dn, "nbd3", NULL, d, n), 3);
	devname_parse(root, "store", &dn);
	ck_assert_int_eq(devname_match(&dn, "store", NULL, d, n), 0);
	devname_parse(root, "serve-42", &dn);
	ck_assert_int_eq(devname_match(&dn, "serve-42", NULL, d, n), 2);
	/* A configuration "db" whose [daemon] name is store. */
	devname_parse(root, "db", &dn);
	ck_assert_int_eq(devname_match(&dn, "db", NULL, d, n), -1);
	ck_assert_int_eq(devname_match(&dn, "db", "store", d, n), 0);
	ck_assert_int_eq(devname_match(&dn, "other", NULL, d, 0), -1);
}
END_TEST

static char fmt[2048];

static const struct inuse *scan(const char *disk)
{
	static struct inuse in;
	int err = inuse_scan(root, disk, &in);

	ck_assert_msg(err == 0, "inuse_scan %s: %s", disk, strerror(-err));
	inuse_format(&in, fmt, sizeof(fmt));
	return &in;
}

START_TEST(inuse_idle)
{
	struct inuse in;

	ck_assert_uint_eq(scan("nbd0")->n, 0);
	ck_assert_str_eq(fmt, "");
	ck_assert_uint_eq(scan("nbd1")->n, 0);
	ck_assert_int_eq(inuse_scan(root, "nbd9", &in), -ENOENT);
	ck_assert_int_eq(inuse_scan(root, "../nbd0", &in), -EINVAL);
}
END_TEST

START_TEST(inuse_mounts_found)
{
	const struct inuse *in;
	char m[512];

	/* A partition by major:minor (whatever name it was mounted by, also one
	 * not in /dev), the whole disk of nbd1 with an escaped space, and one more
	 * mount of p1. */
	put("proc/self/mountinfo", "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
				   "40 22 43:1 / /mnt/data rw,relatime shared:9 - ext4 "
				   "/dev/disk/by-id/iscsi-nbd-naa.6001405abc-part1 rw\n"
				   "41 22 43:32 / /srv/my\\040disk rw - xfs /dev/nbd1 rw\n"
				   "42 22 43:1 /sub /var/bind rw - ext4 /dev/nbd0p1 rw\n"
				   "43 22 43:2 / /by-num rw - ext4 /dev/disk/by-uuid/0f1e rw\n");
	in = scan("nbd0");
	ck_assert_uint_eq(in->n, 3);
	ck_assert_int_eq(in->u[0].kind, INUSE_MOUNT);
	ck_assert_str_eq(in->u[0].dev, "nbd0p1");
	ck_assert_str_eq(in->u[0].detail, "/mnt/data");
	ck_assert_str_eq(fmt, "nbd0p1 mounted on /mnt/data; nbd0p1 mounted on /var/bind; "
			      "nbd0p2 mounted on /by-num");
	inuse_mounts(in, m, sizeof(m));
	ck_assert_str_eq(m, "/mnt/data,/var/bind,/by-num");
	in = scan("nbd1");
	ck_assert_uint_eq(in->n, 1);
	ck_assert_str_eq(in->u[0].detail, "/srv/my disk");
	ck_assert_str_eq(in->u[0].dev, "nbd1");
}
END_TEST

START_TEST(inuse_mount_by_source)
{
	const struct inuse *in;

	/* btrfs reports an anonymous st_dev: the source still names us. */
	put("proc/self/mountinfo", "50 22 0:45 / /data rw - btrfs /dev/nbd0p2 rw\n");
	in = scan("nbd0");
	ck_assert_uint_eq(in->n, 1);
	ck_assert_str_eq(in->u[0].dev, "nbd0p2");
	ck_assert_str_eq(in->u[0].detail, "/data");
}
END_TEST

START_TEST(inuse_swap_and_holders)
{
	const struct inuse *in;

	put("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
			  "/dev/nbd0p2                             partition\t1048572\t\t0\t\t-2\n"
			  "/swapfile                               file\t\t1048572\t\t0\t\t-3\n");
	mkdirs("sys/block/nbd0/nbd0p1/holders/dm-0");
	mkdirs("sys/block/nbd1/holders/md127");
	in = scan("nbd0");
	ck_assert_uint_eq(in->n, 2);
	ck_assert_msg(strstr(fmt, "nbd0p2 used as swap"), "%s", fmt);
	ck_assert_msg(strstr(fmt, "nbd0p1 held by dm-0 (vg-data)"), "%s", fmt);
	in = scan("nbd1");
	ck_assert_uint_eq(in->n, 1);
	ck_assert_int_eq(in->u[0].kind, INUSE_HOLDER);
	ck_assert_str_eq(fmt, "nbd1 held by md127");
}
END_TEST

START_TEST(inuse_many)
{
	char buf[8192];
	size_t i, len = 0;
	const struct inuse *in;

	for (i = 0; i < INUSE_MAX + 5; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%zu 22 43:1 / /m%zu rw - ext4 /dev/nbd0p1 rw\n", 100 + i,
					i);
	put("proc/self/mountinfo", buf);
	in = scan("nbd0");
	ck_assert_uint_eq(in->n, INUSE_MAX);
	ck_assert_uint_eq(in->more, 5);
	ck_assert_msg(strstr(fmt, "; and 5 more"), "%s", fmt);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("devname");
	TCase *tc = tcase_create("devname");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, parse_forms);
	tcase_add_test(tc, parse_not_devices);
	tcase_add_test(tc, match_daemons);
	suite_add_tcase(s, tc);
	tc = tcase_create("inuse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, inuse_idle);
	tcase_add_test(tc, inuse_mounts_found);
	tcase_add_test(tc, inuse_mount_by_source);
	tcase_add_test(tc, inuse_swap_and_holders);
	tcase_add_test(tc, inuse_many);
	suite_add_tcase(s, tc);
	return s;
}
