/*
 * The configuration keys (conffile.h): every key with its section, type,
 * range, default, option and help line, in one table that the parser
 * (conffile.c) and the outputs (confout.c) read.
 */
#include "config.h"

#include <stddef.h>

#include "cli/conffile.h"
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
/* conffile.c's parse_ctx.list_reset has one flag per key, 64 of them. */
_Static_assert(ARRAY_SIZE(config_keys) <= 64, "conffile.c's parse_ctx.list_reset is too small");
