/* LUN discovery over one session; see probe.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "path/probe.h"
#include "path/verdict.h"
#include "scsi/classify.h"
#include "scsi/sense.h"
#include "util/compiler.h"
#include "util/log.h"

enum probe_step {
	STEP_TUR,
	STEP_INQUIRY,
	STEP_VPD_SUPPORTED,
	STEP_VPD_SERIAL,
	STEP_VPD_DEVID,
	STEP_VPD_B0,
	STEP_VPD_B1,
	STEP_VPD_B2,
	STEP_READCAP16,
	STEP_READCAP10,
	STEP_MODE_SENSE10,
	STEP_MODE_SENSE6,
	STEP_RTPG,
	STEP_DONE,
};

static const char *const step_names[] = {
	[STEP_TUR] = "TEST UNIT READY",
	[STEP_INQUIRY] = "INQUIRY",
	[STEP_VPD_SUPPORTED] = "VPD 0x00",
	[STEP_VPD_SERIAL] = "VPD 0x80",
	[STEP_VPD_DEVID] = "VPD 0x83",
	[STEP_VPD_B0] = "VPD 0xB0",
	[STEP_VPD_B1] = "VPD 0xB1",
	[STEP_VPD_B2] = "VPD 0xB2",
	[STEP_READCAP16] = "READ CAPACITY(16)",
	[STEP_READCAP10] = "READ CAPACITY(10)",
	[STEP_MODE_SENSE10] = "MODE SENSE(10)",
	[STEP_MODE_SENSE6] = "MODE SENSE(6)",
	[STEP_RTPG] = "REPORT TARGET PORT GROUPS",
	[STEP_DONE] = "done",
};

static void probe_task_done(struct sess_task *t);

bool path_probe_running(const struct path_probe *pr)
{
	return pr->running;
}

static void probe_finish(struct path_probe *pr, int err)
{
	pr->running = false;
	pr->step = STEP_DONE;
	pr->cb(pr, err, pr->opaque);
}

/* Whether a VPD page is worth asking for: listed in VPD 0x00, or 0x83 always. */
static bool vpd_wanted(const struct path_probe *pr, uint8_t page)
{
	if (page == SCSI_VPD_DEVICE_ID && !pr->have_supported)
		return true;
	return pr->have_supported && scsi_vpd_supported_has(&pr->supported, page);
}

/* Build the CDB of the current step into the task; 0 = skip this step, <0 error. */
static int build_step(struct path_probe *pr)
{
	struct sess_task *t = &pr->task;
	uint8_t page = 0;
	int n;

	t->dir = SESS_DIR_READ;
	t->iov[0].iov_base = pr->buf;
	t->iov[0].iov_len = sizeof(pr->buf);
	t->iov_cnt = 1;
	switch (pr->step) {
	case STEP_TUR:
		t->dir = SESS_DIR_NONE;
		t->iov_cnt = 0;
		t->iov[0].iov_len = 0;
		n = scsi_build_tur(t->cdb, sizeof(t->cdb));
		break;
	case STEP_INQUIRY:
		t->iov[0].iov_len = 96;
		n = scsi_build_inquiry(t->cdb, sizeof(t->cdb), false, 0, 96);
		break;
	case STEP_VPD_SUPPORTED:
		t->iov[0].iov_len = 255;
		n = scsi_build_inquiry(t->cdb, sizeof(t->cdb), true, SCSI_VPD_SUPPORTED_PAGES, 255);
		break;
	case STEP_VPD_SERIAL:
		page = SCSI_VPD_UNIT_SERIAL;
		goto vpd;
	case STEP_VPD_DEVID:
		if (!vpd_wanted(pr, SCSI_VPD_DEVICE_ID))
			return 0;
		t->iov[0].iov_base = pr->buf83;
		t->iov[0].iov_len = sizeof(pr->buf83);
		n = scsi_build_inquiry(t->cdb, sizeof(t->cdb), true, SCSI_VPD_DEVICE_ID,
				       sizeof(pr->buf83));
		break;
	case STEP_VPD_B0:
		page = SCSI_VPD_BLOCK_LIMITS;
		goto vpd;
	case STEP_VPD_B1:
		page = SCSI_VPD_BLOCK_DEV_CHAR;
		goto vpd;
	case STEP_VPD_B2:
		page = SCSI_VPD_LB_PROVISIONING;
	vpd:
		if (!vpd_wanted(pr, page))
			return 0;
		t->iov[0].iov_len = 255;
		n = scsi_build_inquiry(t->cdb, sizeof(t->cdb), true, page, 255);
		break;
	case STEP_READCAP16:
		t->iov[0].iov_len = SCSI_READCAP16_LEN;
		n = scsi_build_readcap16(t->cdb, sizeof(t->cdb), SCSI_READCAP16_LEN);
		break;
	case STEP_READCAP10:
		t->iov[0].iov_len = SCSI_READCAP10_LEN;
		n = scsi_build_readcap10(t->cdb, sizeof(t->cdb));
		break;
	case STEP_MODE_SENSE10:
		t->iov[0].iov_base = pr->bufmode;
		t->iov[0].iov_len = sizeof(pr->bufmode);
		n = scsi_build_mode_sense10(t->cdb, sizeof(t->cdb), true, SCSI_MODE_PC_CURRENT,
					    SCSI_MODE_PAGE_CACHING, 0, sizeof(pr->bufmode));
		break;
	case STEP_MODE_SENSE6:
		t->iov[0].iov_base = pr->bufmode;
		t->iov[0].iov_len = 255;
		n = scsi_build_mode_sense6(t->cdb, sizeof(t->cdb), true, SCSI_MODE_PC_CURRENT,
					   SCSI_MODE_PAGE_CACHING, 0, 255);
		break;
	case STEP_RTPG:
		if (!(pr->inq.tpgs & 3) || !pr->res.have_rel_port)
			return 0;
		n = scsi_build_rtpg(t->cdb, sizeof(t->cdb), false, sizeof(pr->buf));
		break;
	default:
		return -EINVAL;
	}
	if (n < 0)
		return n;
	t->cdb_len = (uint8_t)n;
	t->xfer_len = t->iov_cnt ? (uint32_t)t->iov[0].iov_len : 0;
	return 1;
}

/* Issue the current step, skipping steps that do not apply; finishes at STEP_DONE. */
static int probe_issue(struct path_probe *pr);

static void probe_complete_caps(struct path_probe *pr)
{
	struct scsi_lun_caps_src src = {
		.inq = &pr->inq,
		.devid = pr->have_devid ? &pr->devid : NULL,
		.serial = pr->have_serial ? &pr->serial : NULL,
		.limits = pr->have_b0 ? &pr->b0 : NULL,
		.chars = pr->have_b1 ? &pr->b1 : NULL,
		.prov = pr->have_b2 ? &pr->b2 : NULL,
		.cap = &pr->cap,
		.mode = pr->have_mode ? &pr->mode : NULL,
		/* Lets a LUN with no unique designator (LIO without a serial)
		 * fall back to target+LUN. */
		.have_lun = true,
		.lun = (uint32_t)pr->lun,
	};
	struct path_probe_result *res = &pr->res;
	struct bdev_info *info = &res->info;
	int r;

	r = scsi_lun_caps_build(&res->caps, &src);
	if (r < 0) {
		log_warn("%s: probe: LUN %llu unusable: %s", pr->name, (unsigned long long)pr->lun,
			 strerror(-r));
		probe_finish(pr, r);
		return;
	}
	memset(info, 0, sizeof(*info));
	info->size_bytes = res->caps.size_bytes;
	info->logical_block_size = res->caps.block_size;
	info->physical_block_size = res->caps.phys_block_size;
	info->max_transfer_bytes = res->caps.max_transfer_bytes;
	info->opt_transfer_bytes = res->caps.opt_transfer_bytes;
	info->max_unmap_bytes = res->caps.max_unmap_bytes;
	info->write_cache = res->caps.write_cache;
	info->fua = res->caps.fua;
	info->discard = res->caps.discard;
	info->write_zeroes = res->caps.write_zeroes;
	info->read_zeroes_after_unmap = res->caps.read_zeroes_after_unmap;
	info->read_only = res->caps.read_only;
	info->rotational = res->caps.rotational;
	snprintf(info->ident, sizeof(info->ident), "%s", res->caps.ident);
	res->max_unmap_descriptors = res->caps.max_unmap_descriptors;
	res->max_write_same_bytes = res->caps.max_write_same_bytes;
	log_info("%s: LUN %llu: %s %s, %llu bytes, %u-byte blocks, id %s%s%s", pr->name,
		 (unsigned long long)pr->lun, res->vendor, res->product,
		 (unsigned long long)info->size_bytes, info->logical_block_size, info->ident,
		 info->read_only ? ", read-only" : "", info->write_cache ? ", write cache" : "");
	probe_finish(pr, 0);
}

static int probe_issue(struct path_probe *pr)
{
	for (;;) {
		int r;

		if (pr->step >= STEP_DONE) {
			probe_complete_caps(pr);
			return 0;
		}
		memset(&pr->task, 0, sizeof(pr->task));
		pr->task.lun = pr->lun;
		pr->task.done = probe_task_done;
		pr->task.opaque = pr;
		r = build_step(pr);
		if (r < 0)
			return r;
		if (r == 0) {
			pr->step++;
			continue;
		}
		dbg(LOG_SUB_PATH, "%s: probe: %s", pr->name, step_names[pr->step]);
		return pr->ops->submit(pr->sess, &pr->task);
	}
}

/* Move on after the current step; errors from submitting end the probe. */
static void probe_next(struct path_probe *pr, int next_step)
{
	int r;

	pr->step = next_step;
	pr->tries = 0;
	r = probe_issue(pr);
	if (r < 0 && pr->running)
		probe_finish(pr, r);
}

/* A step's answer arrived GOOD: parse it. Returns the next step, or <0 to fail. */
static int probe_parse(struct path_probe *pr, size_t got)
{
	int r = 0;

	switch (pr->step) {
	case STEP_TUR:
		return STEP_INQUIRY;
	case STEP_INQUIRY:
		r = scsi_inquiry_parse(pr->buf, got, &pr->inq);
		if (r < 0)
			return r;
		snprintf(pr->res.vendor, sizeof(pr->res.vendor), "%s", pr->inq.vendor);
		snprintf(pr->res.product, sizeof(pr->res.product), "%s", pr->inq.product);
		snprintf(pr->res.revision, sizeof(pr->res.revision), "%s", pr->inq.revision);
		if (pr->inq.qualifier != 0 || pr->inq.device_type != 0) {
			log_warn("%s: LUN %llu is not a connected disk (qualifier %u type 0x%02x)",
				 pr->name, (unsigned long long)pr->lun, pr->inq.qualifier,
				 pr->inq.device_type);
			return -ENODEV;
		}
		return STEP_VPD_SUPPORTED;
	case STEP_VPD_SUPPORTED:
		pr->have_supported = scsi_vpd_supported_parse(pr->buf, got, &pr->supported) == 0;
		return STEP_VPD_SERIAL;
	case STEP_VPD_SERIAL:
		pr->have_serial = scsi_vpd_serial_parse(pr->buf, got, &pr->serial) == 0;
		if (pr->have_serial)
			snprintf(pr->res.serial, sizeof(pr->res.serial), "%s", pr->serial.serial);
		return STEP_VPD_DEVID;
	case STEP_VPD_DEVID:
		pr->have_devid = scsi_vpd83_parse(pr->buf83, got, &pr->devid) == 0;
		if (pr->have_devid) {
			pr->res.have_rel_port =
				scsi_vpd83_rel_port(&pr->devid, &pr->res.rel_port) == 0;
			pr->res.have_tpg = scsi_vpd83_tpg(&pr->devid, &pr->res.tpg) == 0;
		}
		return STEP_VPD_B0;
	case STEP_VPD_B0:
		pr->have_b0 = scsi_vpd_b0_parse(pr->buf, got, &pr->b0) == 0;
		return STEP_VPD_B1;
	case STEP_VPD_B1:
		pr->have_b1 = scsi_vpd_b1_parse(pr->buf, got, &pr->b1) == 0;
		return STEP_VPD_B2;
	case STEP_VPD_B2:
		pr->have_b2 = scsi_vpd_b2_parse(pr->buf, got, &pr->b2) == 0;
		return STEP_READCAP16;
	case STEP_READCAP16:
		r = scsi_readcap16_parse(pr->buf, got, &pr->cap);
		if (r < 0)
			return STEP_READCAP10;
		pr->have_cap = true;
		return STEP_MODE_SENSE10;
	case STEP_READCAP10:
		r = scsi_readcap10_parse(pr->buf, got, &pr->cap);
		if (r < 0)
			return r;
		if (pr->cap.need_rc16)
			return -EOVERFLOW; /* too big for (10) and (16) was refused */
		pr->have_cap = true;
		return STEP_MODE_SENSE10;
	case STEP_MODE_SENSE10:
		pr->have_mode = scsi_mode_sense_parse(pr->bufmode, got, true, &pr->mode) == 0;
		return pr->have_mode ? STEP_RTPG : STEP_MODE_SENSE6;
	case STEP_MODE_SENSE6:
		pr->have_mode = scsi_mode_sense_parse(pr->bufmode, got, false, &pr->mode) == 0;
		return STEP_RTPG;
	case STEP_RTPG: {
		const struct scsi_tpg_desc *g;

		if (scsi_rtpg_parse(pr->buf, got, &pr->rtpg) == 0 &&
		    (g = scsi_rtpg_find_port(&pr->rtpg, pr->res.rel_port))) {
			pr->res.have_alua = true;
			pr->res.alua_state = g->state;
		}
		return STEP_DONE;
	}
	}
	return -EINVAL;
}

/* The device refused a step (HARD): optional steps are skipped. */
static int probe_refused(struct path_probe *pr, int err)
{
	switch (pr->step) {
	case STEP_TUR:
	case STEP_INQUIRY:
	case STEP_READCAP10:
		return err;
	case STEP_READCAP16:
		return STEP_READCAP10;
	case STEP_MODE_SENSE10:
		return STEP_MODE_SENSE6;
	case STEP_MODE_SENSE6:
		return STEP_RTPG;
	default:
		return pr->step + 1;
	}
}

static void probe_task_done(struct sess_task *t)
{
	struct path_probe *pr = t->opaque;
	struct path_step_answer a;
	int next;

	if (!pr->running)
		return;
	next = path_step_answer(t, pr->ops, pr->sess, &pr->tries, PROBE_RETRY_MAX, &a);
	if (next < 0) {
		log_info("%s: probe: %s: %s", pr->name, step_names[pr->step], strerror(-next));
		probe_finish(pr, next);
		return;
	}
	if (next == 0)
		return; /* sent again */
	if (a.v.cls != SCSI_CLASS_OK) {
		dbg(LOG_SUB_PATH, "%s: probe: %s: %s, %s (%s)", pr->name, step_names[pr->step],
		    scsi_status_name(t->status), a.why, scsi_class_name(a.v.cls));
		if (a.v.cls == SCSI_CLASS_PATH) {
			log_info("%s: probe: %s: path error: %s", pr->name, step_names[pr->step],
				 a.why);
			probe_finish(pr, a.v.err ? a.v.err : -ENOLINK);
			return;
		}
		if ((pr->step == STEP_MODE_SENSE10 || pr->step == STEP_MODE_SENSE6) &&
		    t->status == SCSI_STATUS_RESERVATION_CONFLICT)
			pr->res.mode_conflict = true;
		next = probe_refused(pr, a.v.err ? a.v.err : -EIO);
		if (next < 0) {
			log_warn("%s: probe: %s failed: %s %s", pr->name, step_names[pr->step],
				 scsi_status_name(t->status), a.why);
			probe_finish(pr, next);
			return;
		}
		probe_next(pr, next);
		return;
	}
	next = probe_parse(pr, a.got);
	if (next < 0) {
		if (pr->running)
			probe_finish(pr, next);
		return;
	}
	probe_next(pr, next);
}

int path_probe_start(struct path_probe *pr, const struct path_transport_ops *ops, struct sess *s,
		     uint64_t lun, const char *name, path_probe_done_fn cb, void *opaque)
{
	int r;

	if (pr->running)
		return -EBUSY;
	memset(pr, 0, sizeof(*pr));
	pr->ops = ops;
	pr->sess = s;
	pr->lun = lun;
	pr->name = name;
	pr->cb = cb;
	pr->opaque = opaque;
	pr->running = true;
	pr->step = STEP_TUR;
	pr->res.mode_conflict = false;
	r = probe_issue(pr);
	if (r < 0) {
		pr->running = false;
		return r;
	}
	return 0;
}
