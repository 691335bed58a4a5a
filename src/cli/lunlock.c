/* One daemon per target LUN per host: see lunlock.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "cli/lunlock.h"

struct lunlock {
	int fd;
	uint32_t lun;
	char path[256];
	char target[224];
};

/* FNV-1a, 64 bits: a file name, not a security boundary (the record says who it is). */
static uint64_t lunlock_hash(const char *target, uint32_t lun)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const unsigned char *p;
	int i;

	for (p = (const unsigned char *)target; *p; p++) {
		h ^= (uint64_t)tolower(*p);
		h *= 0x100000001b3ull;
	}
	for (i = 0; i <= 4; i++) { /* a 0 separator, then the LUN, big end first */
		h ^= i ? (lun >> (8 * (4 - i))) & 0xff : 0;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Spaces would split the record's fields: a name or device never has them there. */
static void lunlock_word(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < cap && src && src[i]; i++)
		dst[i] = isspace((unsigned char)src[i]) ? '_' : src[i];
	dst[i] = 0;
	if (i == 0 && cap > 1)
		snprintf(dst, cap, "-");
}

static void lunlock_read_holder(int fd, struct lunlock_holder *h)
{
	char buf[512], *p, *end;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	pid = strtol(buf, &end, 10);
	if (end == buf || *end != ' ' || pid <= 0)
		return;
	h->pid = (pid_t)pid;
	p = end + 1;
	end = strchr(p, ' ');
	if (!end)
		return;
	snprintf(h->name, sizeof(h->name), "%.*s", (int)(end - p), p);
	snprintf(h->device, sizeof(h->device), "%s", end + 1);
}

bool lunlock_perm_error(int err)
{
	return err == -EACCES || err == -EPERM || err == -EROFS;
}

/*
 * We may not create or write the file (not root): a shared lock still
 * tells whether someone holds it, since flock needs no write access.
 * True when it is held (holder filled in).
 */
static bool lunlock_probe(const char *path, struct lunlock_holder *holder)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool held = false;

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		lunlock_read_holder(fd, holder);
		held = true;
	}
	close(fd);
	return held;
}

int lunlock_take(const char *target, uint32_t lun, const char *name, struct lunlock **out,
		 struct lunlock_holder *holder)
{
	struct lunlock *l;
	int tries, err, n;

	memset(holder, 0, sizeof(*holder));
	*out = NULL;
	n = snprintf(holder->path, sizeof(holder->path), "%s/lun-%016" PRIx64 ".lock", ctl_dir(),
		     lunlock_hash(target, lun));
	if (n < 0 || (size_t)n >= sizeof(holder->path))
		return -ENAMETOOLONG;
	err = ctl_dir_make();
	if (err < 0) {
		if (lunlock_perm_error(err) && lunlock_probe(holder->path, holder))
			return -EBUSY;
		return err;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	memcpy(l->path, holder->path, sizeof(l->path));
	snprintf(l->target, sizeof(l->target), "%s", target);
	l->lun = lun;
	for (tries = 0; tries < 16; tries++) {
		struct stat a, b;

		l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (l->fd < 0) {
			err = -errno;
			if (lunlock_perm_error(err) && lunlock_probe(l->path, holder))
				err = -EBUSY;
			break;
		}
		if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
			err = errno == EWOULDBLOCK ? -EBUSY : -errno;
			if (err == -EBUSY)
				lunlock_read_holder(l->fd, holder);
			close(l->fd);
			break;
		}
		/*
		 * A holder that stops unlinks the file while still holding it:
		 * if that happened between our open and our flock, we hold
		 * the lock of a file nobody else will ever open. Start over.
		 */
		if (fstat(l->fd, &a) == 0 && stat(l->path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			err = lunlock_update(l, name, NULL);
			if (err < 0) {
				close(l->fd);
				break;
			}
			*out = l;
			return 0;
		}
		close(l->fd);
		err = -EAGAIN;
	}
	free(l);
	return err;
}

int lunlock_update(struct lunlock *l, const char *name, const char *device)
{
	char rec[600], nm[64], dev[128];
	int n;

	if (!l)
		return 0;
	lunlock_word(nm, sizeof(nm), name);
	lunlock_word(dev, sizeof(dev), device);
	n = snprintf(rec, sizeof(rec), "%d %s %s\n%s lun %" PRIu32 "\n", (int)getpid(), nm, dev,
		     l->target, l->lun);
	if (n < 0 || (size_t)n >= sizeof(rec))
		return -ENAMETOOLONG;
	/* Whole record first, then the cut: a reader sees a complete first line. */
	if (pwrite(l->fd, rec, (size_t)n, 0) != n || ftruncate(l->fd, n) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

void lunlock_release(struct lunlock *l)
{
	if (!l)
		return;
	unlink(l->path);
	close(l->fd);
	free(l);
}
