/*
 * Our iSCSI initiator name when none is given: open-iscsi's
 * /etc/iscsi/initiatorname.iscsi when present (so a host that also runs
 * open-iscsi shows the target one name), else CONFDIR/initiatorname,
 * generated once and kept. A stable name matters beyond the target's
 * ACLs: the paths' ISIDs are derived from it, and a restarted daemon
 * reinstates its predecessor's sessions only if both stay the same.
 */
#ifndef ISN_CLI_INITIATOR_H
#define ISN_CLI_INITIATOR_H

#define INITIATOR_OPENISCSI_FILE "/etc/iscsi/initiatorname.iscsi"
#define INITIATOR_OWN_FILE	 "initiatorname" /* in config_dir() */
#define INITIATOR_IQN_PREFIX	 "iqn.2026-11.org.iscsi-nbd:"

/*
 * The name from open_iscsi (InitiatorName=...), else from own, else a new
 * INITIATOR_IQN_PREFIX + 16 random hex digits written to own (mode 0644,
 * created atomically: a second process racing us reads the first one's
 * name). If own cannot be written, a name derived from the host name is
 * returned (stable too) and *warn says why. Caller frees; NULL with errno.
 */
char *initiator_name_load(const char *open_iscsi, const char *own, const char **warn);

/* initiator_name_load() on the real files; logs the warning. */
char *initiator_name_default(void);

#endif
