/*
 * Fuzz target for the scsi parsers: every byte string a target can send
 * back as sense data or as command data goes through each parser, which
 * must never read past len and must leave consistent output. The first
 * byte selects nothing: every parser sees every input, so one corpus
 * covers them all. Extra checks turn silent inconsistencies into crashes.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/caps.h"
#include "scsi/classify.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "util/compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scsi_report_luns luns;
	static struct scsi_rtpg rtpg;
	static struct scsi_vpd83 devid;
	static struct scsi_pr_keys keys;
	struct scsi_sense sense;
	struct scsi_inquiry inq;
	struct scsi_vpd_supported sup;
	struct scsi_vpd_serial serial;
	struct scsi_vpd_b0 b0;
	struct scsi_vpd_b1 b1;
	struct scsi_vpd_b2 b2;
	struct scsi_capacity cap;
	struct scsi_mode_sense ms6, ms10;
	struct scsi_pr_reservation res;
	struct scsi_pr_caps prcaps;
	struct scsi_lun_caps caps;
	struct scsi_lun_caps_src src;
	char text[SCSI_IDENT_MAX];
	bool have_inq, have_devid, have_cap, have_ms, have_b0, have_b2;
	int r;

	if (scsi_sense_parse(data, size, &sense) == 0) {
		struct scsi_verdict v = scsi_classify(0x02, &sense);

		CHECK(v.cls != SCSI_CLASS_OK || v.err == 0);
		CHECK(v.cls == SCSI_CLASS_OK || v.err < 0);
		r = scsi_sense_format(&sense, text, sizeof(text));
		CHECK(r > 0 && strlen(text) == (size_t)MIN(r, (int)sizeof(text) - 1));
	}
	have_inq = scsi_inquiry_parse(data, size, &inq) == 0;
	if (have_inq)
		CHECK(strlen(inq.vendor) <= 8 && strlen(inq.product) <= 16);
	(void)scsi_vpd_supported_parse(data, size, &sup);
	if (scsi_vpd_serial_parse(data, size, &serial) == 0)
		CHECK(strlen(serial.serial) < sizeof(serial.serial));

	/* The VPD parsers check the page code, so also try each page with it patched in. */
	if (size >= 2) {
		static const uint8_t pages[] = {0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};
		uint8_t *copy = malloc(size); /* exact size: ASan sees a read past the end */

		if (!copy)
			return 0;
		for (size_t i = 0; i < sizeof(pages); i++) {
			memcpy(copy, data, size);
			copy[1] = pages[i];
			(void)scsi_vpd_supported_parse(copy, size, &sup);
			(void)scsi_vpd_serial_parse(copy, size, &serial);
			if (scsi_vpd83_parse(copy, size, &devid) == 0) {
				CHECK(devid.n <= SCSI_VPD83_MAX);
				r = scsi_vpd83_identity(&devid, text, sizeof(text));
				CHECK(r == -ENOENT || r == -ENOSPC ||
				      (r >= 0 && strlen(text) == (size_t)r));
			}
			(void)scsi_vpd_b0_parse(copy, size, &b0);
			(void)scsi_vpd_b1_parse(copy, size, &b1);
			(void)scsi_vpd_b2_parse(copy, size, &b2);
		}
		free(copy);
	}
	have_devid = scsi_vpd83_parse(data, size, &devid) == 0;
	if (have_devid) {
		CHECK(devid.n <= SCSI_VPD83_MAX);
		for (unsigned int i = 0; i < devid.n; i++)
			CHECK(devid.d[i].data >= data &&
			      devid.d[i].data + devid.d[i].len <= data + size);
		r = scsi_vpd83_identity(&devid, text, sizeof(text));
		CHECK(r == -ENOENT || r == -ENOSPC || (r >= 0 && strlen(text) == (size_t)r));
	}
	have_b0 = scsi_vpd_b0_parse(data, size, &b0) == 0;
	(void)scsi_vpd_b1_parse(data, size, &b1);
	have_b2 = scsi_vpd_b2_parse(data, size, &b2) == 0;

	have_cap = scsi_readcap16_parse(data, size, &cap) == 0;
	if (!have_cap)
		have_cap = scsi_readcap10_parse(data, size, &cap) == 0 && !cap.need_rc16;
	have_ms = scsi_mode_sense_parse(data, size, false, &ms6) == 0;
	if (have_ms)
		CHECK(ms6.pages >= data && ms6.pages + ms6.pages_len <= data + size);
	if (scsi_mode_sense_parse(data, size, true, &ms10) == 0)
		CHECK(ms10.pages >= data && ms10.pages + ms10.pages_len <= data + size);

	if (scsi_report_luns_parse(data, size, &luns) == 0) {
		CHECK(luns.n <= SCSI_REPORT_LUNS_MAX && luns.n <= luns.total);
		for (unsigned int i = 0; i < luns.n; i++) {
			uint32_t lun;
			uint8_t back[8];

			/* Whatever decodes must encode back to the same bytes. */
			if (scsi_lun_from_wire(luns.lun[i], &lun) == 0 &&
			    (luns.lun[i][0] & 0xc0) == (lun < 256 ? 0x00 : 0x40)) {
				CHECK(scsi_lun_to_wire(lun, back) == 0);
				CHECK(memcmp(back, luns.lun[i], 8) == 0);
			}
		}
	}
	if (scsi_rtpg_parse(data, size, &rtpg) == 0) {
		CHECK(rtpg.n <= SCSI_RTPG_MAX_GROUPS);
		for (unsigned int i = 0; i < rtpg.n; i++)
			CHECK(rtpg.g[i].nports <= SCSI_RTPG_MAX_PORTS);
	}
	if (scsi_pr_read_keys_parse(data, size, &keys) == 0)
		CHECK(keys.n <= SCSI_PR_MAX_KEYS);
	(void)scsi_pr_read_reservation_parse(data, size, &res);
	if (scsi_pr_read_reservation_parse(data, size, &res) == 0 && res.held)
		CHECK(scsi_pr_type_name(res.type) != NULL);
	if (scsi_pr_caps_parse(data, size, &prcaps) == 0)
		CHECK(prcaps.tmv || prcaps.type_mask == 0);

	/* Combine whatever parsed: the caps builder must cope with any of it. */
	if (have_cap) {
		memset(&src, 0, sizeof(src));
		src.cap = &cap;
		src.inq = have_inq ? &inq : NULL;
		src.devid = have_devid ? &devid : NULL;
		src.limits = have_b0 ? &b0 : NULL;
		src.prov = have_b2 ? &b2 : NULL;
		src.mode = have_ms ? &ms6 : NULL;
		r = scsi_lun_caps_build(&caps, &src);
		if (r == 0)
			CHECK(caps.size_bytes / caps.block_size == caps.nblocks);
	}
	return 0;
}
