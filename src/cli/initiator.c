/* Our initiator name (initiator.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/conffile.h"
#include "cli/initiator.h"
#include "util/log.h"

/* InitiatorName=... (open-iscsi's format, which our own file uses too). */
static char *name_from_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512];
	char *name = NULL;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "InitiatorName=", 14) != 0)
			continue;
		p += 14;
		p[strcspn(p, " \t\r\n")] = 0;
		if (*p) {
			name = strdup(p);
			break;
		}
	}
	fclose(f);
	return name;
}

/* iqn.2026-11.org.iscsi-nbd:HOSTNAME, lower case (RFC 3722 stringprep). */
static char *name_from_host(void)
{
	char host[256];
	char *name;
	size_t i;

	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = 0;
	for (i = 0; host[i]; i++) {
		char ch = host[i];

		if (ch >= 'A' && ch <= 'Z')
			host[i] = (char)(ch - 'A' + 'a');
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			   ch == '.'))
			host[i] = '-';
	}
	if (asprintf(&name, INITIATOR_IQN_PREFIX "%s", host) < 0)
		return NULL;
	return name;
}

/*
 * Write a new name: into a temporary file in the same directory, synced,
 * then link()ed to its final name. link() fails with EEXIST when another
 * process got there first; then its name is the one.
 */
static char *name_create(const char *own, const char **warn)
{
	char tmp[PATH_MAX], dir[PATH_MAX], text[128];
	uint8_t r[8];
	char *slash, *name;
	int fd, len;
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		*warn = "no random bytes";
		return NULL;
	}
	len = snprintf(text, sizeof(text), "InitiatorName=" INITIATOR_IQN_PREFIX);
	for (i = 0; i < sizeof(r); i++)
		len += snprintf(text + len, sizeof(text) - (size_t)len, "%02x", r[i]);
	text[len++] = '\n';
	text[len] = 0;

	snprintf(dir, sizeof(dir), "%s", own);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			*warn = strerror(errno);
			return NULL;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", own, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		*warn = strerror(errno);
		return NULL;
	}
	if (fchmod(fd, 0644) < 0 || write(fd, text, (size_t)len) != len || fsync(fd) < 0) {
		*warn = strerror(errno ? errno : EIO);
		close(fd);
		unlink(tmp);
		return NULL;
	}
	close(fd);
	if (link(tmp, own) < 0 && errno != EEXIST) {
		*warn = strerror(errno);
		unlink(tmp);
		return NULL;
	}
	unlink(tmp);
	name = name_from_file(own);
	if (!name)
		*warn = "the file just written cannot be read back";
	return name;
}

char *initiator_name_load(const char *open_iscsi, const char *own, const char **warn)
{
	char *name;

	*warn = NULL;
	if (open_iscsi && (name = name_from_file(open_iscsi)))
		return name;
	if ((name = name_from_file(own)))
		return name;
	if ((name = name_create(own, warn)))
		return name;
	if (!*warn)
		*warn = "unknown error";
	return name_from_host();
}

char *initiator_name_default(void)
{
	char own[PATH_MAX];
	const char *warn;
	char *name;

	snprintf(own, sizeof(own), "%s/" INITIATOR_OWN_FILE, config_dir());
	name = initiator_name_load(INITIATOR_OPENISCSI_FILE, own, &warn);
	if (warn)
		log_warn("cannot keep a generated initiator name in %s (%s); using %s, from the "
			 "host name",
			 own, warn, name ? name : "none");
	return name;
}
