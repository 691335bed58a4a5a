/*
 * Configuration files (conffile.h): the key table, checking values, and
 * parsing with inih. What a loaded configuration is turned into (the dump,
 * the example file, the options of attach / serve) is in confout.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/conffile_int.h"
#include "session/iscsi_name.h"
#include "util/compiler.h"

static const char *const digest_values[] = {"none", "crc32c", "prefer-crc32c", "prefer-none", NULL};
static const char *const policy_values[] = {"round-robin", "failover", "queue-length",
					    "service-time", NULL};
static const char *const mode_values[] = {"attach", "serve", NULL};
static const char *const reservation_values[] = {"exclusive", "required", "none", NULL};
static const char *const tls_values[] = {"off", "on", "require", NULL};
static const char *const yes_no_values[] = {"no", "yes", NULL};

#define MS(x)  ((uint64_t)(x))
#define SEC(x) ((uint64_t)(x)*1000)

/*
 * The keys, in the order the dump and the example show them. Defaults are
 * those of the attach / serve options (`iscsi-nbd attach --help`): a key
 * left unset passes no option, so the command's own default applies.
 */
const struct config_key config_keys[] = {
	/* [target] */
	{"target", "name", CONFIG_IQN, CONFIG_F_REQUIRED, 0, 0, NULL, NULL, NULL, NULL, "target",
	 "iSCSI name (IQN) of the target"},
	{"target", "lun", CONFIG_UINT, 0, 0, 16383, NULL, NULL, "0", NULL, "lun",
	 "logical unit number of the LUN to attach"},
	{"target", "portal", CONFIG_PORTAL, CONFIG_F_LIST, 0, 0, NULL, NULL, NULL,
	 "found by discovery", "portal",
	 "one path: HOST[:PORT] (IPv4, [IPv6]:PORT or a name; port 3260), optionally @IFACE to "
	 "bind the path to a network interface or @ADDR to a local source address; repeat the "
	 "key for each path, up to 8"},
	{"target", "discovery", CONFIG_PORTAL, CONFIG_F_LIST, 0, 0, NULL, NULL, NULL, "none", NULL,
	 "when no portal is given: a portal to ask (SendTargets) for the target's portals, "
	 "each of which becomes a path; repeat the key for each network (some targets, tgt among "
	 "them, answer with the portal asked only); @IFACE is not carried over"},
	{"target", "initiator_name", CONFIG_IQN, 0, 0, 0, NULL, NULL, NULL,
	 "InitiatorName= of /etc/iscsi/initiatorname.iscsi, else of /etc/iscsi-nbd/initiatorname "
	 "(generated once)",
	 "initiator-name", "our iSCSI name, as the target's ACLs know it"},
	{"target", "reservation", CONFIG_ENUM, 0, 0, 0, NULL, reservation_values, "exclusive", NULL,
	 "reservation",
	 "exclusive access with SCSI-3 persistent reservations: exclusive (reserve the LUN for "
	 "this host, refuse one another host holds; warn if the target lacks reservations), "
	 "required (refuse such a target too) or none (no reservation: only for a cluster "
	 "filesystem)"},
	/* [auth] */
	{"auth", "chap_user", CONFIG_STRING, 0, 0, 0, NULL, NULL, NULL, "no CHAP", "chap-user",
	 "log in with CHAP as this user (needs chap_secret_file)"},
	{"auth", "chap_secret_file", CONFIG_PATH, CONFIG_F_SECRET, 0, 0, NULL, NULL, NULL, NULL,
	 "chap-secret-file",
	 "file holding the CHAP secret: owned by root, mode 0600 (its content is never shown)"},
	{"auth", "mutual_user", CONFIG_STRING, 0, 0, 0, NULL, NULL, NULL, "one-way CHAP",
	 "mutual-user", "mutual CHAP: the name the target must answer with"},
	{"auth", "mutual_secret_file", CONFIG_PATH, CONFIG_F_SECRET, 0, 0, NULL, NULL, NULL, NULL,
	 "mutual-secret-file", "file holding the target's secret for mutual CHAP (mode 0600)"},
	/* [iscsi] */
	{"iscsi", "header_digest", CONFIG_ENUM, 0, 0, 0, NULL, digest_values, "none", NULL,
	 "header-digest", "CRC32C header digest: none, crc32c, prefer-crc32c or prefer-none"},
	{"iscsi", "data_digest", CONFIG_ENUM, 0, 0, 0, NULL, digest_values, "none", NULL,
	 "data-digest", "CRC32C data digest: none, crc32c, prefer-crc32c or prefer-none"},
	{"iscsi", "login_timeout", CONFIG_DURATION, CONFIG_F_FRACTION, MS(1), SEC(86400), "s", NULL,
	 "30s", NULL, "timeout",
	 "bound of the first login that checks the target, the secrets and the LUN before the "
	 "daemon starts"},
	/* [path] */
	{"path", "policy", CONFIG_ENUM, 0, 0, 0, NULL, policy_values, "round-robin", NULL, "policy",
	 "path selector: round-robin, failover, queue-length or service-time"},
	{"path", "rr_min_io", CONFIG_UINT, 0, 1, 1u << 20, NULL, NULL, "1", NULL, "rr-min-io",
	 "round-robin: commands sent on a path before moving to the next"},
	{"path", "failback", CONFIG_FAILBACK, 0, 0, 0, NULL, NULL, "immediate", NULL, "failback",
	 "failover: when the preferred path takes over again: immediate, manual, or a number of "
	 "seconds it must have been up"},
	{"path", "no_path_retry", CONFIG_DURATION, 0, SEC(0), SEC(3600), "s", NULL, "15s", NULL,
	 "no-path-retry",
	 "how long I/O waits when no path is left before it fails (0: fail at once)"},
	{"path", "nop_interval", CONFIG_DURATION, 0, MS(1), SEC(3600), "ms", NULL, "1s", NULL,
	 "nop-interval", "send a NOP-Out on a path after this much silence"},
	{"path", "nop_timeout", CONFIG_DURATION, 0, MS(1), SEC(3600), "ms", NULL, "1500ms", NULL,
	 "nop-timeout", "silence that fails a path that has commands outstanding"},
	{"path", "cmd_timeout", CONFIG_DURATION, 0, MS(1), SEC(3600), "ms", NULL, "30s", NULL,
	 "cmd-timeout", "deadline of one command on a path; past it the path is failed"},
	{"path", "io_timeout", CONFIG_DURATION, 0, SEC(1), SEC(86400), "s", NULL, "60s", NULL,
	 "io-timeout",
	 "deadline of one request across all its retries, re-sends and waits for a path; past "
	 "it the request fails with EIO"},
	{"path", "io_retries", CONFIG_UINT, 0, 1, 1000, NULL, NULL, "8", NULL, "io-retries",
	 "times a command is sent again after path failures before its request fails with EIO"},
	{"path", "rescan_interval", CONFIG_DURATION, 0, SEC(0), SEC(86400), "s", NULL, "10s", NULL,
	 "rescan-interval",
	 "re-read the LUN's capacity this often so an online growth reaches the device (0: only "
	 "on a capacity-changed unit attention)"},
	{"path", "coalesce_us", CONFIG_UINT, 0, 0, 10000, NULL, NULL, "100", NULL, "coalesce-us",
	 "with 16 or more requests in flight, gather events this many microseconds before each "
	 "wait, so one wakeup serves many requests (0: never)"},
	/* [attach] */
	{"attach", "device", CONFIG_DEVICE, CONFIG_F_ATTACH, 0, 65535, NULL, NULL, NULL,
	 "the first free /dev/nbdN", "device",
	 "the device to use, /dev/nbdN; naming it lets a restarted daemon take a still "
	 "connected device back (RECONFIGURE) without failing its I/O"},
	{"attach", "connections", CONFIG_UINT, CONFIG_F_ATTACH, 1, 16, NULL, NULL, NULL,
	 "the number of CPUs, at most 4", "connections",
	 "kernel sockets (hardware queues) of the device"},
	{"attach", "dead_conn_timeout", CONFIG_DURATION, CONFIG_F_ATTACH, SEC(0), SEC(86400), "s",
	 NULL, "60s", NULL, "dead-conn-timeout",
	 "how long the kernel keeps the device's I/O for a restarted daemon"},
	/* [serve] */
	{"serve", "socket", CONFIG_PATH, CONFIG_F_SERVE, 0, 0, NULL, NULL, NULL, NULL, "socket",
	 "Unix socket to serve NBD on (mode 0600); socket or listen is needed"},
	{"serve", "listen", CONFIG_STRING, CONFIG_F_SERVE, 0, 0, NULL, NULL, NULL, NULL, "listen",
	 "TCP address HOST:PORT to serve NBD on"},
	{"serve", "export_name", CONFIG_STRING, CONFIG_F_SERVE, 0, 0, NULL, NULL, NULL,
	 "the empty name", "export-name", "NBD export name"},
	{"serve", "max_clients", CONFIG_UINT, CONFIG_F_SERVE, 1, 1024, NULL, NULL, "16", NULL,
	 "max-clients", "NBD clients served at once"},
	{"serve", "tls", CONFIG_ENUM, CONFIG_F_SERVE, 0, 0, NULL, tls_values, NULL,
	 "require on a non-loopback listen address or with credentials, else off", "tls",
	 "NBD over TLS (NBD_OPT_STARTTLS): off, on (offered; plaintext clients served too) or "
	 "require (clients without TLS get nothing)"},
	{"serve", "tls_psk", CONFIG_PATH, CONFIG_F_SERVE | CONFIG_F_SECRET, 0, 0, NULL, NULL, NULL,
	 NULL, "tls-psk",
	 "TLS pre-shared keys in psktool's format (NAME:HEXKEY lines): owned by root, mode 0600"},
	{"serve", "tls_certificates", CONFIG_PATH, CONFIG_F_SERVE, 0, 0, NULL, NULL, NULL, NULL,
	 "tls-certificates",
	 "TLS X.509 directory: ca-cert.pem, server-cert.pem, server-key.pem (as nbdkit and qemu "
	 "lay it out)"},
	{"serve", "tls_verify_peer", CONFIG_ENUM, CONFIG_F_SERVE, 0, 0, NULL, yes_no_values, "no",
	 NULL, "tls-verify-peer",
	 "yes: require a client certificate signed by tls_certificates' ca-cert.pem"},
	/* [daemon] */
	{"daemon", "mode", CONFIG_ENUM, 0, 0, 0, NULL, mode_values, "attach", NULL, NULL,
	 "attach: the LUN as /dev/nbdN; serve: an NBD server (attach --config and serve --config "
	 "both run what this says)"},
	{"daemon", "name", CONFIG_STRING, 0, 0, 0, NULL, NULL, NULL, "NAME of NAME.conf", "name",
	 "control socket name: what detach and status take"},
	{"daemon", "log_file", CONFIG_PATH, 0, 0, 0, NULL, NULL, NULL, "/run/iscsi-nbd/NAME.log",
	 "log-file", "log of a daemon in the background (with -f it logs to stderr)"},
};
const size_t config_nkeys = ARRAY_SIZE(config_keys);

static const char *const config_sections[] = {"target", "auth",	 "iscsi", "path",
					      "attach", "serve", "daemon"};

const char *config_dir(void)
{
	const char *d = getenv("ISCSI_NBD_CONFDIR");

	return d && *d ? d : CONFIG_DIR_DEFAULT;
}

int config_key_index(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const struct config_key *key_of(const char *section, const char *name)
{
	int i = config_key_index(section, name);

	return i < 0 ? NULL : &config_keys[i];
}

/* ---- values ---- */

static int err_set(char *err, size_t errlen, const char *fmt, ...) ISN_PRINTF(3, 4);

static int err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* "15", "15s", "500ms", "2m", "1h", "0.5s" into milliseconds. */
int config_parse_duration(const char *s, const char *unit, uint64_t *ms)
{
	char *end;
	double v;
	double mult = strcmp(unit, "s") == 0 ? 1000 : 1;

	if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else if (*end)
		return -EINVAL;
	v *= mult;
	if (v > 1e12 || v != (double)(uint64_t)v)
		return -ERANGE; /* finer than a millisecond, or absurd */
	*ms = (uint64_t)v;
	return 0;
}

/* HOST[:PORT][@IFACE|@ADDR], checked for shape only: names resolve at attach time. */
static int check_portal(const char *s, char *why, size_t whylen)
{
	const char *at = strrchr(s, '@');
	size_t hostlen = at ? (size_t)(at - s) : strlen(s);
	const char *colon;

	if (hostlen == 0)
		return err_set(why, whylen, "no host before '@'");
	/* An interface name has at most 15 characters; a source address up to 47 ("[v6]"). */
	if (at && (!at[1] || strlen(at + 1) > 47 || strchr(at + 1, '/') || strchr(at + 1, ' ')))
		return err_set(why, whylen,
			       "bad interface name or source address after '@' (at most 15 / 47 "
			       "characters)");
	if (memchr(s, ' ', hostlen) || memchr(s, '\t', hostlen))
		return err_set(why, whylen, "spaces in the address");
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', hostlen);

		if (!rb)
			return err_set(why, whylen, "'[' without ']'");
		colon = rb + 1 < s + hostlen ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return err_set(why, whylen, "only :PORT may follow ']'");
	} else {
		colon = memchr(s, ':', hostlen);
		/* Several colons without brackets: a bare IPv6 address, no port. */
		if (colon && memchr(colon + 1, ':', hostlen - (size_t)(colon + 1 - s)))
			colon = NULL;
	}
	if (colon) {
		const char *p = colon + 1;
		unsigned long port = 0;

		if (p == s + hostlen)
			return err_set(why, whylen, "no port after ':'");
		for (; p < s + hostlen && *p != ','; p++) {
			if (!isdigit((unsigned char)*p))
				return err_set(why, whylen, "the port is not a number");
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				break;
		}
		if (port == 0 || port > 65535)
			return err_set(why, whylen, "port out of range 1-65535");
	}
	return 0;
}

/* Canonical text of a duration: whole seconds as "Ns", else "Nms". */
static void format_ms(char *buf, size_t len, uint64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

static void allowed_values(const struct config_key *k, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; k->values && k->values[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", k->values[i]);
}

/*
 * Check text against k; on success *canon holds the canonical text (what
 * is passed to the option; caller frees). why: what is wrong and allowed.
 */
static int check_value(const struct config_key *k, const char *text, char **canon, char *why,
		       size_t whylen)
{
	char buf[64];
	uint64_t v;
	size_t i;

	*canon = NULL;
	if (!*text)
		return err_set(why, whylen, "empty value");
	if (!printable(text))
		return err_set(why, whylen, "give printable text (no control characters)");
	switch (k->type) {
	case CONFIG_STRING:
		if (strchr(text, ' ') && k->option && strcmp(k->option, "listen") == 0)
			return err_set(why, whylen, "give HOST:PORT without spaces");
		break;
	case CONFIG_IQN: {
		const char *bad;

		if (iscsi_name_check(text, strlen(text), &bad) < 0)
			return err_set(why, whylen,
				       "give an iSCSI name: iqn.YYYY-MM.reversed.domain[:id], "
				       "eui.HEX (16 digits) or naa.HEX (16 or 32 digits), at most "
				       "223 bytes; this one: %s",
				       bad);
		break;
	}
	case CONFIG_PATH:
		if (text[0] != '/')
			return err_set(why, whylen, "give an absolute file name (starting with /)");
		break;
	case CONFIG_UINT:
		if (cli_parse_u64(text, &v) < 0 || v < k->min || v > k->max)
			return err_set(why, whylen, "give a whole number from %llu to %llu",
				       (unsigned long long)k->min, (unsigned long long)k->max);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
		*canon = strdup(buf);
		return *canon ? 0 : -ENOMEM;
	case CONFIG_DURATION: {
		uint64_t unit = strcmp(k->unit, "s") == 0 ? 1000 : 1;
		char lo[32], hi[32];

		format_ms(lo, sizeof(lo), k->min);
		format_ms(hi, sizeof(hi), k->max);
		if (config_parse_duration(text, k->unit, &v) < 0 || v < k->min || v > k->max ||
		    (v % unit && !(k->flags & CONFIG_F_FRACTION)))
			return err_set(why, whylen,
				       "give a duration from %s to %s%s: a number with ms, s, m "
				       "or h (a bare number is in %s)",
				       lo, hi,
				       unit > 1 && !(k->flags & CONFIG_F_FRACTION)
					       ? " in whole seconds"
					       : "",
				       strcmp(k->unit, "s") == 0 ? "seconds" : "milliseconds");
		format_ms(buf, sizeof(buf), v);
		*canon = strdup(buf);
		return *canon ? 0 : -ENOMEM;
	}
	case CONFIG_ENUM:
		for (i = 0; k->values[i]; i++)
			if (strcmp(text, k->values[i]) == 0)
				break;
		if (!k->values[i]) {
			char list[160];

			allowed_values(k, list, sizeof(list));
			return err_set(why, whylen, "give one of: %s", list);
		}
		break;
	case CONFIG_FAILBACK:
		if (strcmp(text, "immediate") && strcmp(text, "manual") &&
		    (cli_parse_u64(text, &v) < 0 || v > 86400 || !isdigit((unsigned char)*text)))
			return err_set(why, whylen,
				       "give immediate, manual or a number of seconds (0-86400)");
		break;
	case CONFIG_DEVICE: {
		const char *p = text;
		char *end;
		long idx;

		if (strncmp(p, "/dev/", 5) == 0)
			p += 5;
		if (strncmp(p, "nbd", 3) == 0)
			p += 3;
		errno = 0;
		idx = strtol(p, &end, 10);
		if (!isdigit((unsigned char)*p) || *end || errno || idx < 0 || idx > (long)k->max)
			return err_set(why, whylen, "give /dev/nbdN (N from 0 to %llu)",
				       (unsigned long long)k->max);
		snprintf(buf, sizeof(buf), "/dev/nbd%ld", idx);
		*canon = strdup(buf);
		return *canon ? 0 : -ENOMEM;
	}
	case CONFIG_PORTAL:
		if (check_portal(text, buf, sizeof(buf)) < 0)
			return err_set(why, whylen,
				       "%s: give HOST[:PORT][@IFACE], e.g. 192.0.2.10, "
				       "192.0.2.10:3260@eth1 or [2001:db8::1]:3260",
				       buf);
		break;
	}
	*canon = strdup(text);
	return *canon ? 0 : -ENOMEM;
}

/* ---- parsing ---- */

struct parse_ctx {
	struct config *c;
	const char *file; /* stored in c->files: outlives the parse */
	FILE *f;
	unsigned int line; /* the line inih is handling */
	bool at_line_start;
	unsigned int long_line;	      /* first line too long for inih, 0 none */
	unsigned char list_reset[64]; /* per key: this file set it, the lower list dropped */
	char *err;
	size_t errlen;
	int rc;
};

/* fgets for inih that counts lines, so values and errors know theirs. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	char *r;
	size_t len;

	if (p->at_line_start)
		p->line++;
	r = fgets(str, num, p->f);
	if (!r)
		return NULL;
	len = strlen(str);
	p->at_line_start = len > 0 && str[len - 1] == '\n';
	if (!p->at_line_start && !feof(p->f) && !p->long_line)
		p->long_line = p->line;
	return r;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	struct config *c = p->c;
	const struct config_key *k;
	struct config_value *slot;
	char why[300];
	char *canon;
	size_t i;
	int rc;

	if (p->rc)
		return 0;
	if (!*section) {
		p->rc = err_set(p->err, p->errlen,
				"%s:%u: '%s' is outside a section: put it under [target], [auth], "
				"[iscsi], [path], [attach], [serve] or [daemon]",
				p->file, p->line, name);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(config_sections); i++)
		if (strcmp(section, config_sections[i]) == 0)
			break;
	if (i == ARRAY_SIZE(config_sections)) {
		p->rc = err_set(p->err, p->errlen,
				"%s:%u: unknown section [%s]: the sections are [target], [auth], "
				"[iscsi], [path], [attach], [serve] and [daemon]",
				p->file, p->line, section);
		return 0;
	}
	k = key_of(section, name);
	if (!k) {
		char list[400];
		size_t n = 0;
		const char *hint = "";

		list[0] = 0;
		for (i = 0; i < config_nkeys; i++)
			if (strcmp(config_keys[i].section, section) == 0 && n < sizeof(list))
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
						      n ? ", " : "", config_keys[i].name);
		if (strstr(name, "secret") || strstr(name, "password"))
			hint = " (secrets are never written in the configuration: put the secret "
			       "in a file of mode 0600 and name it with chap_secret_file)";
		p->rc = err_set(p->err, p->errlen,
				"%s:%u: unknown key '%s' in [%s]%s; [%s] has: %s", p->file, p->line,
				name, section, hint, section, list);
		return 0;
	}
	rc = check_value(k, value, &canon, why, sizeof(why));
	if (rc == -ENOMEM) {
		p->rc = err_set(p->err, p->errlen, "out of memory");
		return 0;
	}
	if (rc < 0) {
		/* Never echo control characters to a terminal. */
		p->rc = err_set(p->err, p->errlen, "%s:%u: [%s] %s = %s: %s", p->file, p->line,
				section, name, printable(value) ? value : "(unprintable)", why);
		return 0;
	}
	if (k->flags & CONFIG_F_LIST) {
		struct config_list *l = &c->lists[k - config_keys];

		if (!p->list_reset[k - config_keys]) {
			/* The first value of this file replaces the lower file's list. */
			for (i = 0; i < l->n; i++)
				free(l->v[i].text);
			l->n = 0;
			p->list_reset[k - config_keys] = 1;
		}
		if (l->n == CONFIG_MAX_PORTALS) {
			free(canon);
			p->rc = err_set(p->err, p->errlen,
					"%s:%u: [%s] %s: at most %d (one per path)", p->file,
					p->line, section, name, CONFIG_MAX_PORTALS);
			return 0;
		}
		slot = &l->v[l->n++];
	} else {
		slot = &c->v[k - config_keys];
		if (slot->file == p->file) {
			free(canon);
			p->rc = err_set(p->err, p->errlen,
					"%s:%u: [%s] %s is already set at line %u (or a value "
					"continues on an indented line)",
					p->file, p->line, section, name, slot->line);
			return 0;
		}
		free(slot->text);
	}
	slot->text = canon;
	slot->file = p->file;
	slot->line = p->line;
	return 1;
}

void config_init(struct config *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	_Static_assert(ARRAY_SIZE(config_keys) <= 64, "parse_ctx.list_reset is too small");
	c->v = calloc(config_nkeys, sizeof(*c->v));
	c->lists = calloc(config_nkeys, sizeof(*c->lists));
	if (!c->v || !c->lists) {
		free(c->v);
		free(c->lists);
		c->v = NULL;
		c->lists = NULL;
		return;
	}
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].def) {
			char why[200];

			/* Defaults go through the same check: the table cannot lie. */
			if (check_value(&config_keys[i], config_keys[i].def, &c->v[i].text, why,
					sizeof(why)) < 0)
				abort();
		}
}

void config_free(struct config *c)
{
	size_t i, j;

	for (i = 0; c->v && i < config_nkeys; i++) {
		free(c->v[i].text);
		for (j = 0; j < c->lists[i].n; j++)
			free(c->lists[i].v[j].text);
	}
	free(c->lists);
	free(c->v);
	free(c->files[0]);
	free(c->files[1]);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	struct parse_ctx p = {.c = c, .at_line_start = true, .err = err, .errlen = errlen};
	char **slot = c->files[0] ? &c->files[1] : &c->files[0];
	int r;

	if (!c->v)
		return err_set(err, errlen, "out of memory");
	if (*slot)
		return err_set(err, errlen, "%s: a third configuration file", path);
	*slot = strdup(path);
	if (!*slot)
		return err_set(err, errlen, "out of memory");
	p.file = *slot;
	p.f = fopen(path, "re");
	if (!p.f) {
		r = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return r;
	}
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	if (p.rc)
		return p.rc;
	if (p.long_line)
		return err_set(err, errlen, "%s:%u: line longer than %d characters", path,
			       p.long_line, CONFIG_MAX_LINE);
	if (r > 0)
		return err_set(err, errlen,
			       "%s:%d: not a [section] or a key = value line (comments start "
			       "with # or ;)",
			       path, r);
	if (r < 0)
		return err_set(err, errlen, "%s: cannot parse (out of memory)", path);
	return 0;
}

const char *config_get(const struct config *c, const char *section, const char *name)
{
	int i = config_key_index(section, name);

	if (i < 0)
		return NULL;
	if (config_keys[i].flags & CONFIG_F_LIST)
		return c->lists[i].n ? c->lists[i].v[0].text : NULL;
	return c->v[i].text;
}

const struct config_list *config_get_list(const struct config *c, const char *section,
					  const char *name)
{
	static const struct config_list empty;
	int i = config_key_index(section, name);

	return i < 0 ? &empty : &c->lists[i];
}

/* Rules between keys, checked on the merged result. */
static int check_whole(const struct config *c, const char *nfile, char *err, size_t errlen)
{
	const char *mode = config_get(c, "daemon", "mode");
	bool serve = mode && strcmp(mode, "serve") == 0;
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		bool set = k->flags & CONFIG_F_LIST ? c->lists[i].n > 0 : c->v[i].text != NULL;

		if ((k->flags & CONFIG_F_REQUIRED) && !set)
			return err_set(err, errlen, "%s: [%s] %s is missing: %s", nfile, k->section,
				       k->name, k->help);
	}
	if (!config_get(c, "target", "portal") && !config_get(c, "target", "discovery"))
		return err_set(
			err, errlen,
			"%s: [target] portal is missing (or discovery, to find the portals): "
			"give HOST[:PORT][@IFACE], one portal key per path",
			nfile);
	if (!config_get(c, "auth", "chap_user") != !config_get(c, "auth", "chap_secret_file"))
		return err_set(err, errlen, "%s: [auth] chap_user and chap_secret_file go together",
			       nfile);
	if (!config_get(c, "auth", "mutual_user") != !config_get(c, "auth", "mutual_secret_file"))
		return err_set(err, errlen,
			       "%s: [auth] mutual_user and mutual_secret_file go together", nfile);
	if (config_get(c, "auth", "mutual_user") && !config_get(c, "auth", "chap_user"))
		return err_set(err, errlen,
			       "%s: [auth] mutual CHAP needs one-way CHAP too: set chap_user and "
			       "chap_secret_file",
			       nfile);
	if (serve && !config_get(c, "serve", "socket") == !config_get(c, "serve", "listen"))
		return err_set(err, errlen,
			       "%s: mode = serve needs exactly one of [serve] socket or listen",
			       nfile);
	return 0;
}

static bool good_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 48)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.:@", *s))
			return false;
	return true;
}

int config_load(const char *name, struct config *c, char *err, size_t errlen)
{
	char path[4096], global[4096];
	const char *base, *dot;
	int rc;

	config_init(c);
	if (!c->v)
		return err_set(err, errlen, "out of memory");
	if (strchr(name, '/')) {
		snprintf(path, sizeof(path), "%s", name);
		base = strrchr(name, '/') + 1;
		dot = strrchr(base, '.');
		c->name = strndup(base, dot && strcmp(dot, ".conf") == 0 ? (size_t)(dot - base)
									 : strlen(base));
		if (!c->name)
			return err_set(err, errlen, "out of memory");
		if (!good_name(c->name))
			return err_set(err, errlen,
				       "%s: the file name (without .conf) must be a usable name: "
				       "letters, digits, - _ . : @",
				       name);
	} else {
		if (!good_name(name) || strcmp(name, CONFIG_GLOBAL_NAME) == 0)
			return err_set(err, errlen,
				       "bad configuration name '%s': give NAME of %s/NAME.conf "
				       "(letters, digits, - _ . : @; not %s) or a file path",
				       name, config_dir(), CONFIG_GLOBAL_NAME);
		snprintf(path, sizeof(path), "%s/%s.conf", config_dir(), name);
		c->name = strdup(name);
		if (!c->name)
			return err_set(err, errlen, "out of memory");
	}
	snprintf(global, sizeof(global), "%s/" CONFIG_GLOBAL_NAME ".conf", config_dir());
	if (access(global, F_OK) == 0) {
		rc = config_load_file(c, global, err, errlen);
		if (rc)
			return rc;
	}
	rc = config_load_file(c, path, err, errlen);
	if (rc)
		return rc;
	return check_whole(c, path, err, errlen);
}
