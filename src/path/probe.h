/*
 * LUN discovery over one READY session, asynchronous.
 *
 * Sequence (each step one SCSI command, all through the transport seam):
 *   TEST UNIT READY      retried while the classification table says RETRY
 *                        (the UNIT ATTENTION every target reports after
 *                        login, "becoming ready"), up to PROBE_RETRY_MAX;
 *   INQUIRY              standard data: must be a connected direct-access
 *                        block device (-ENODEV otherwise);
 *   VPD 0x00             which pages exist; then 0x80 (serial), 0x83
 *                        (identity designator), 0xB0 (limits), 0xB1
 *                        (rotation), 0xB2 (provisioning), each only if listed
 *                        (0x83 is always tried: SPC-3 makes it mandatory);
 *   READ CAPACITY(16)    falling back to READ CAPACITY(10) when the target
 *                        rejects it;
 *   MODE SENSE(10)       caching page, for WCE / WP / DPOFUA; falling back to
 *                        MODE SENSE(6); if both fail, caps.h assumptions hold
 *                        (write cache assumed on: flushing is the safe side);
 *   REPORT TARGET PORT   only when INQUIRY TPGS says ALUA is supported; its
 *   GROUPS               failure is not fatal.
 * The answers go through scsi_lun_caps_build() into a struct bdev_info,
 * plus the identity facts of this path (relative port, port group, ALUA
 * state) in struct path_probe_result.
 *
 * The probe owns one sess_task and its buffers (no allocation). cb fires
 * exactly once after path_probe_start() returned 0: err 0, or -errno
 * (the session died: the task's result; a HARD answer: the table's errno;
 * -ENODEV not a disk; -ENOENT no identity; -EPROTO malformed data).
 * cb is never called from inside path_probe_start() unless the transport
 * completes the first command synchronously.
 */
#ifndef ISN_PATH_PROBE_H
#define ISN_PATH_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "bdev/bdev.h"
#include "path/transport.h"
#include "scsi/caps.h"
#include "scsi/sbc.h"
#include "scsi/spc.h"

#define PROBE_RETRY_MAX 10

struct path_probe_result {
	struct bdev_info info;
	struct scsi_lun_caps caps;
	char vendor[9], product[17], revision[5];
	char serial[256];
	bool have_rel_port, have_tpg, have_alua;
	uint16_t rel_port, tpg;
	uint8_t alua_state; /* enum scsi_alua_state of our port group */
	uint32_t max_unmap_descriptors;
	uint32_t max_write_same_bytes;
	/* MODE SENSE got RESERVATION CONFLICT: the caching page (WCE, DPOFUA)
	 * is unknown until this nexus registers (tgtd refuses MODE SENSE to an
	 * unregistered nexus under Write Exclusive - Registrants Only). */
	bool mode_conflict;
};

struct path_probe;
typedef void (*path_probe_done_fn)(struct path_probe *pr, int err, void *opaque);

struct path_probe {
	/* Private. */
	const struct path_transport_ops *ops;
	struct sess *sess;
	uint64_t lun;
	const char *name; /* log prefix, borrowed */
	path_probe_done_fn cb;
	void *opaque;
	bool running;
	int step;
	unsigned int tries;
	struct sess_task task;

	struct scsi_inquiry inq;
	struct scsi_vpd_supported supported;
	struct scsi_vpd_serial serial;
	struct scsi_vpd83 devid;
	struct scsi_vpd_b0 b0;
	struct scsi_vpd_b1 b1;
	struct scsi_vpd_b2 b2;
	struct scsi_capacity cap;
	struct scsi_mode_sense mode;
	struct scsi_rtpg rtpg;
	bool have_supported, have_serial, have_devid, have_b0, have_b1, have_b2, have_cap,
		have_mode;

	uint8_t buf[1024];    /* the current command's data */
	uint8_t buf83[1024];  /* VPD 0x83 kept: devid points into it */
	uint8_t bufmode[256]; /* mode data kept: mode.pages points into it */

	/* Output, valid in cb with err 0. */
	struct path_probe_result res;
};

/* Start probing lun over s (READY). -EBUSY if already running, or sess_submit's error. */
int path_probe_start(struct path_probe *pr, const struct path_transport_ops *ops, struct sess *s,
		     uint64_t lun, const char *name, path_probe_done_fn cb, void *opaque);

bool path_probe_running(const struct path_probe *pr);

#endif
