/*
 * The configuration keys (conffile.h): every key with its section, type,
 * range, default, option and help line, in one table that the parser
 * (conffile.c), the outputs (confout.c) and attach / serve (attach_parse.c:
 * number options, their defaults, the --help entries) read.
 */
#include "config.h"

#include <stddef.h>

#include "cli/conffile.h"
#include "cli/export.h"
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

#define STR(x)	#x
#define XSTR(x) STR(x)

/* The attach / serve option's number goes to this field of struct export_config. */
#define FIELD(kind, member)                                                                        \
	.store = CONFIG_STORE_##kind, .field = offsetof(struct export_config, member)
/* Every stored number is a uint32_t (nconns and max_clients are unsigned int). */
_Static_assert(sizeof(unsigned int) == sizeof(uint32_t), "FIELD stores 32 bits");

/*
 * The keys, in the order the dump and the example show them. Defaults are
 * those of the attach / serve options (`iscsi-nbd attach --help`): a key
 * left unset passes no option, so the command's own default applies.
 */
const struct config_key config_keys[] = {
	/* [target] */
	{.section = "target",
	 .name = "name",
	 .type = CONFIG_IQN,
	 .flags = CONFIG_F_REQUIRED,
	 .option = "target",
	 .help = "iSCSI name (IQN) of the target"},
	{.section = "target",
	 .name = "lun",
	 .type = CONFIG_UINT,
	 .max = 16383,
	 .def = "0",
	 .option = "lun",
	 .help = "logical unit number of the LUN to attach"},
	{.section = "target",
	 .name = "portal",
	 .type = CONFIG_PORTAL,
	 .flags = CONFIG_F_LIST,
	 .def_text = "found by discovery",
	 .option = "portal",
	 .help = "one path: HOST[:PORT] (IPv4, [IPv6]:PORT or a name; port 3260), optionally "
		 "@IFACE to bind the path to a network interface or @ADDR to a local source "
		 "address; repeat the key for each path, up to 8"},
	{.section = "target",
	 .name = "discovery",
	 .type = CONFIG_PORTAL,
	 .flags = CONFIG_F_LIST,
	 .def_text = "none",
	 .help = "when no portal is given: a portal to ask (SendTargets) for the target's portals, "
		 "each of which becomes a path; repeat the key for each network (some targets, tgt "
		 "among them, answer with the portal asked only); @IFACE is not carried over"},
	{.section = "target",
	 .name = "initiator_name",
	 .type = CONFIG_IQN,
	 .def_text = "InitiatorName= of /etc/iscsi/initiatorname.iscsi, else of "
		     "/etc/iscsi-nbd/initiatorname (generated once)",
	 .option = "initiator-name",
	 .help = "our iSCSI name, as the target's ACLs know it"},
	{.section = "target",
	 .name = "reservation",
	 .type = CONFIG_ENUM,
	 .values = reservation_values,
	 .def = "exclusive",
	 .option = "reservation",
	 .help = "exclusive access with SCSI-3 persistent reservations: exclusive (reserve the LUN "
		 "for this host, refuse one another host holds; warn if the target lacks "
		 "reservations), required (refuse such a target too) or none (no reservation: only "
		 "for a cluster filesystem)"},
	/* [auth] */
	{.section = "auth",
	 .name = "chap_user",
	 .type = CONFIG_STRING,
	 .def_text = "no CHAP",
	 .option = "chap-user",
	 .help = "log in with CHAP as this user (needs chap_secret_file)"},
	{.section = "auth",
	 .name = "chap_secret_file",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SECRET,
	 .option = "chap-secret-file",
	 .help = "file holding the CHAP secret: owned by root, mode 0600 (its content is never "
		 "shown)"},
	{.section = "auth",
	 .name = "mutual_user",
	 .type = CONFIG_STRING,
	 .def_text = "one-way CHAP",
	 .option = "mutual-user",
	 .help = "mutual CHAP: the name the target must answer with"},
	{.section = "auth",
	 .name = "mutual_secret_file",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SECRET,
	 .option = "mutual-secret-file",
	 .help = "file holding the target's secret for mutual CHAP (mode 0600)"},
	/* [iscsi] */
	{.section = "iscsi",
	 .name = "header_digest",
	 .type = CONFIG_ENUM,
	 .values = digest_values,
	 .def = "none",
	 .option = "header-digest",
	 .help = "CRC32C header digest: none, crc32c, prefer-crc32c or prefer-none"},
	{.section = "iscsi",
	 .name = "data_digest",
	 .type = CONFIG_ENUM,
	 .values = digest_values,
	 .def = "none",
	 .option = "data-digest",
	 .help = "CRC32C data digest: none, crc32c, prefer-crc32c or prefer-none"},
	{.section = "iscsi",
	 .name = "login_timeout",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_FRACTION,
	 .min = MS(1),
	 .max = SEC(86400),
	 .unit = "s",
	 .def = "30s",
	 .option = "timeout",
	 .help = "bound of the first login that checks the target, the secrets and the LUN before "
		 "the daemon starts"},
	/* [path] */
	{.section = "path",
	 .name = "policy",
	 .type = CONFIG_ENUM,
	 .values = policy_values,
	 .def = "round-robin",
	 .option = "policy",
	 .help = "path selector: round-robin, failover, queue-length or service-time",
	 .arg = "NAME",
	 .usage = "round-robin (default), failover, queue-length,\n"
		  "service-time"},
	{.section = "path",
	 .name = "rr_min_io",
	 .type = CONFIG_UINT,
	 .flags = CONFIG_F_OPT_ZERO,
	 .min = 1,
	 .max = 1u << 20,
	 .def = "1",
	 .option = "rr-min-io",
	 .help = "round-robin: commands sent on a path before moving to the next",
	 FIELD(U32, dev.policy.rr_min_io),
	 .arg = "N",
	 .usage = "round-robin: commands per path turn (default 1)"},
	{.section = "path",
	 .name = "failback",
	 .type = CONFIG_FAILBACK,
	 .def = "immediate",
	 .option = "failback",
	 .help = "failover: when the preferred path takes over again: immediate, manual, or a "
		 "number of seconds it must have been up",
	 .arg = "WHEN",
	 .usage = "failover: immediate (default), manual, or seconds"},
	{.section = "path",
	 .name = "no_path_retry",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_ZERO_1MS,
	 .min = SEC(0),
	 .max = SEC(3600),
	 .unit = "s",
	 .def = "15s",
	 .option = "no-path-retry",
	 .help = "how long I/O waits when no path is left before it fails (0: fail at once)",
	 FIELD(MS, dev.no_path_retry_ms),
	 .arg = "SECONDS",
	 .usage = "how long I/O waits for a path (default 15)"},
	{.section = "path",
	 .name = "nop_interval",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_OPT_ZERO,
	 .min = MS(1),
	 .max = SEC(3600),
	 .unit = "ms",
	 .def = "1s",
	 .option = "nop-interval",
	 .help = "send a NOP-Out on a path after this much silence",
	 FIELD(MS, dev.nop_interval_ms),
	 .arg = "MS",
	 .usage = "NOP-Out after this much silence (default 1000)"},
	{.section = "path",
	 .name = "nop_timeout",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_OPT_ZERO,
	 .min = MS(1),
	 .max = SEC(3600),
	 .unit = "ms",
	 .def = "1500ms",
	 .option = "nop-timeout",
	 .help = "silence that fails a path that has commands outstanding",
	 FIELD(MS, dev.nop_timeout_ms),
	 .arg = "MS",
	 .usage = "silence that fails a busy path (default 1500)"},
	{.section = "path",
	 .name = "cmd_timeout",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_OPT_ZERO,
	 .min = MS(1),
	 .max = SEC(3600),
	 .unit = "ms",
	 .def = "30s",
	 .option = "cmd-timeout",
	 .help = "deadline of one command on a path; past it the path is failed",
	 FIELD(MS, dev.cmd_timeout_ms),
	 .arg = "MS",
	 .usage = "per-command deadline (default 30000)"},
	{.section = "path",
	 .name = "io_timeout",
	 .type = CONFIG_DURATION,
	 .min = SEC(1),
	 .max = SEC(86400),
	 .unit = "s",
	 .def = "60s",
	 .option = "io-timeout",
	 .help = "deadline of one request across all its retries, re-sends and waits for a path; "
		 "past it the request fails with EIO",
	 FIELD(MS, dev.io_timeout_ms),
	 .arg = "SECONDS",
	 .usage = "deadline of one request across all its\n"
		  "retries and waits, then EIO (default 60)"},
	{.section = "path",
	 .name = "io_retries",
	 .type = CONFIG_UINT,
	 .min = 1,
	 .max = 1000,
	 .def = "8",
	 .option = "io-retries",
	 .help = "times a command is sent again after path failures before its request fails with "
		 "EIO",
	 FIELD(U32, dev.io_retries),
	 .arg = "N",
	 .usage =
		 "re-sends of a command after path failures\nbefore its request fails (default 8)"},
	{.section = "path",
	 .name = "rescan_interval",
	 .type = CONFIG_DURATION,
	 .min = SEC(0),
	 .max = SEC(86400),
	 .unit = "s",
	 .def = "10s",
	 .option = "rescan-interval",
	 .help = "re-read the LUN's capacity this often so an online growth reaches the device (0: "
		 "only on a capacity-changed unit attention)",
	 FIELD(S, rescan_interval_s),
	 .arg = "SEC",
	 .usage = "re-read the LUN's capacity for online resize\n"
		  "(default 10; 0: only on a capacity-changed\n"
		  "unit attention)"},
	{.section = "path",
	 .name = "coalesce_us",
	 .type = CONFIG_UINT,
	 .max = 10000,
	 .def = XSTR(EXPORT_COALESCE_US),
	 .option = "coalesce-us",
	 .help = "with " XSTR(
		 EXPORT_COALESCE_DEPTH) " or more requests in flight, gather events this many "
					"microseconds before "
					"each wait, so one wakeup serves many requests (0: never)",
	 FIELD(U32, coalesce_us),
	 .arg = "US",
	 .usage = "with " XSTR(EXPORT_COALESCE_DEPTH) " or more requests in flight, gather\nevents "
						      "this long before each wait (default\n" XSTR(
							      EXPORT_COALESCE_US) "; 0: never)"},
	{.section = "path",
	 .name = "threads",
	 .type = CONFIG_UINT,
	 .min = 1,
	 .max = EXPORT_THREADS_MAX,
	 .def = "1",
	 .option = "threads",
	 .help = "threads that carry I/O: above 1, the NBD sockets (kernel sockets or clients) are "
		 "served by this many minus one worker threads, the paths stay on the main thread",
	 FIELD(U32, threads),
	 .arg = "N",
	 .usage = "threads carrying I/O (default 1: one loop;\nN > 1: N-1 threads serve the NBD "
		  "sockets)"},
	/* [attach] */
	{.section = "attach",
	 .name = "device",
	 .type = CONFIG_DEVICE,
	 .flags = CONFIG_F_ATTACH,
	 .max = 65535,
	 .def_text = "the first free /dev/nbdN",
	 .option = "device",
	 .help = "the device to use, /dev/nbdN; naming it lets a restarted daemon take a still "
		 "connected device back (RECONFIGURE) without failing its I/O",
	 .arg = "/dev/nbdN",
	 .usage = "device to use (default: first free)"},
	{.section = "attach",
	 .name = "connections",
	 .type = CONFIG_UINT,
	 .flags = CONFIG_F_ATTACH,
	 .min = 1,
	 .max = 16,
	 .def_text = "the number of CPUs, at most 4",
	 .option = "connections",
	 .help = "kernel sockets (hardware queues) of the device",
	 FIELD(U32, nconns),
	 .arg = "N",
	 .usage = "kernel sockets (queues): default CPUs, max 4"},
	{.section = "attach",
	 .name = "dead_conn_timeout",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_ATTACH,
	 .min = SEC(0),
	 .max = SEC(86400),
	 .unit = "s",
	 .def = "60s",
	 .option = "dead-conn-timeout",
	 .help = "how long the kernel keeps the device's I/O for a restarted daemon",
	 FIELD(S, dead_conn_timeout_s),
	 .arg = "SEC",
	 .usage = "how long the kernel keeps I/O for a restarted\n"
		  "daemon (default 60)"},
	/* [serve] */
	{.section = "serve",
	 .name = "socket",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SERVE,
	 .option = "socket",
	 .help = "Unix socket to serve NBD on (mode 0600); socket or listen is needed",
	 .arg = "PATH",
	 .usage = "Unix socket (mode 0600)"},
	{.section = "serve",
	 .name = "listen",
	 .type = CONFIG_STRING,
	 .flags = CONFIG_F_SERVE,
	 .option = "listen",
	 .help = "TCP address HOST:PORT to serve NBD on",
	 .arg = "HOST:PORT",
	 .usage = "TCP socket: any client can read and\n"
		  "write the LUN: TLS required by default"},
	{.section = "serve",
	 .name = "export_name",
	 .type = CONFIG_STRING,
	 .flags = CONFIG_F_SERVE,
	 .def_text = "the empty name",
	 .option = "export-name",
	 .help = "NBD export name",
	 .arg = "NAME",
	 .usage = "export name (default \"\")"},
	{.section = "serve",
	 .name = "max_clients",
	 .type = CONFIG_UINT,
	 .flags = CONFIG_F_SERVE,
	 .min = 1,
	 .max = 1024,
	 .def = "16",
	 .option = "max-clients",
	 .help = "NBD clients served at once",
	 FIELD(U32, max_clients),
	 .arg = "N",
	 .usage = "(default 16)"},
	{.section = "serve",
	 .name = "tls",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_SERVE,
	 .values = tls_values,
	 .def_text = "require on a non-loopback listen address or with credentials, else off",
	 .option = "tls",
	 .help = "NBD over TLS (NBD_OPT_STARTTLS): off, on (offered; plaintext clients served too) "
		 "or require (clients without TLS get nothing)",
	 .arg = "MODE",
	 .usage = "off, on (offer TLS) or require (refuse\n"
		  "plaintext clients); default: require\n"
		  "off loopback or with credentials, else\n"
		  "off (Unix socket, loopback)"},
	{.section = "serve",
	 .name = "tls_psk",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SERVE | CONFIG_F_SECRET,
	 .option = "tls-psk",
	 .help = "TLS pre-shared keys in psktool's format (NAME:HEXKEY lines): owned by root, mode "
		 "0600",
	 .arg = "FILE",
	 .usage = "pre-shared keys, psktool format\n"
		  "(NAME:HEXKEY lines), mode 0600"},
	{.section = "serve",
	 .name = "tls_certificates",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SERVE,
	 .option = "tls-certificates",
	 .help = "TLS X.509 directory: ca-cert.pem, server-cert.pem, server-key.pem (as nbdkit and "
		 "qemu lay it out)",
	 .arg = "DIR",
	 .usage = "X.509: ca-cert.pem, server-cert.pem,\n"
		  "server-key.pem"},
	{.section = "serve",
	 .name = "tls_verify_peer",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_SERVE,
	 .values = yes_no_values,
	 .def = "no",
	 .option = "tls-verify-peer",
	 .help = "yes: require a client certificate signed by tls_certificates' ca-cert.pem",
	 .usage = "require a client certificate that\n"
		  "DIR/ca-cert.pem signed"},
	/* [daemon] */
	{.section = "daemon",
	 .name = "mode",
	 .type = CONFIG_ENUM,
	 .values = mode_values,
	 .def = "attach",
	 .help = "attach: the LUN as /dev/nbdN; serve: an NBD server (attach --config and serve "
		 "--config both run what this says)"},
	{.section = "daemon",
	 .name = "name",
	 .type = CONFIG_STRING,
	 .def_text = "NAME of NAME.conf",
	 .option = "name",
	 .help = "control socket name: what detach and status take"},
	{.section = "daemon",
	 .name = "log_file",
	 .type = CONFIG_PATH,
	 .def_text = "/run/iscsi-nbd/NAME.log",
	 .option = "log-file",
	 .help = "log of a daemon in the background (with -f it logs to stderr)"},
};
const size_t config_nkeys = ARRAY_SIZE(config_keys);
/* conffile.c's parse_ctx.list_reset has one flag per key, 64 of them. */
_Static_assert(ARRAY_SIZE(config_keys) <= 64, "conffile.c's parse_ctx.list_reset is too small");
