/*
 * SPC-5: TEST UNIT READY, INQUIRY standard data, the VPD header and pages
 * 0x00 / 0x80, MODE SENSE and REPORT LUNS. See spc.h for conventions.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "scsi/cdb.h"
#include "scsi/spc.h"
#include "util/bytes.h"
#include "util/compiler.h"

int scsi_build_tur(uint8_t *cdb, size_t cdblen)
{
	/* SPC-5 6.47 table 244: six bytes, all zero but the OPERATION CODE. */
	if (cdb_start(cdb, cdblen, 6, SCSI_OP_TEST_UNIT_READY))
		return -EINVAL;
	return 6;
}

int scsi_build_inquiry(uint8_t *cdb, size_t cdblen, bool evpd, uint8_t page, uint16_t alloc_len)
{
	/* SPC-5 6.7.1: PAGE CODE must be zero when EVPD is zero (else ILLEGAL REQUEST). */
	if (!evpd && page)
		return -EINVAL;
	if (cdb_start(cdb, cdblen, 6, SCSI_OP_INQUIRY))
		return -EINVAL;
	cdb[1] = evpd ? 0x01 : 0x00;  /* EVPD */
	cdb[2] = page;		      /* PAGE CODE */
	put_be16(cdb + 3, alloc_len); /* ALLOCATION LENGTH */
	return 6;
}

int scsi_inquiry_parse(const uint8_t *buf, size_t len, struct scsi_inquiry *out)
{
	/* SPC-5 6.7.2: standard data is at least 36 bytes (through PRODUCT REVISION LEVEL). */
	int r = parse_start(buf, len, 36, out, sizeof(*out));

	if (r)
		return r;
	out->qualifier = buf[0] >> 5;		   /* PERIPHERAL QUALIFIER */
	out->device_type = buf[0] & 0x1f;	   /* PERIPHERAL DEVICE TYPE */
	out->rmb = buf[1] & 0x80;		   /* RMB */
	out->version = buf[2];			   /* VERSION */
	out->hisup = buf[3] & 0x10;		   /* HISUP */
	out->response_data_format = buf[3] & 0x0f; /* RESPONSE DATA FORMAT */
	/* buf[4] ADDITIONAL LENGTH: not trusted, we only read the fixed 36 bytes. */
	out->tpgs = (buf[5] >> 4) & 0x03;	 /* TPGS */
	out->protect = buf[5] & 0x01;		 /* PROTECT */
	out->multip = buf[6] & 0x10;		 /* MULTIP */
	out->cmdque = buf[7] & 0x02;		 /* CMDQUE */
	ascii_field(out->vendor, buf + 8, 8);	 /* T10 VENDOR IDENTIFICATION */
	ascii_field(out->product, buf + 16, 16); /* PRODUCT IDENTIFICATION */
	ascii_field(out->revision, buf + 32, 4); /* PRODUCT REVISION LEVEL */
	return 0;
}

int scsi_vpd_start(const uint8_t *buf, size_t len, uint8_t page, size_t min_body, void *out,
		   size_t out_size, const uint8_t **body, size_t *body_len, bool *truncated)
{
	size_t page_len;

	if (!buf || !out || !body || !body_len)
		return -EINVAL;
	/* SPC-5 7.7.1 table 477: byte 1 PAGE CODE, bytes 2-3 PAGE LENGTH. */
	if (len < 4 || buf[1] != page)
		return -EPROTO;
	page_len = get_be16(buf + 2);
	*body = buf + 4;
	*body_len = MIN(page_len, len - 4);
	if (*body_len < min_body)
		return -EPROTO;
	if (truncated)
		*truncated = page_len > len - 4;
	memset(out, 0, out_size);
	return 0;
}

int scsi_vpd_supported_parse(const uint8_t *buf, size_t len, struct scsi_vpd_supported *out)
{
	const uint8_t *p;
	size_t n;
	/*
	 * SPC-5 7.7.16: the list begins with page 00h itself, so an empty list
	 * is not a list (min_body 1). LIO answers that way for a device without
	 * a unit serial number and still serves 0x83 / B0 / B2: -EPROTO tells
	 * the caller to probe the pages it needs instead of trusting "none".
	 */
	int r = scsi_vpd_start(buf, len, SCSI_VPD_SUPPORTED_PAGES, 1, out, sizeof(*out), &p, &n,
			       NULL);

	if (r)
		return r;
	/* One SUPPORTED VPD PAGE LIST byte per page code. */
	for (size_t i = 0; i < n; i++)
		out->map[p[i] >> 3] |= (uint8_t)(1u << (p[i] & 7));
	return 0;
}

bool scsi_vpd_supported_has(const struct scsi_vpd_supported *s, uint8_t page)
{
	return s->map[page >> 3] & (1u << (page & 7));
}

int scsi_vpd_serial_parse(const uint8_t *buf, size_t len, struct scsi_vpd_serial *out)
{
	const uint8_t *p;
	size_t n;
	bool cut;
	int r = scsi_vpd_start(buf, len, SCSI_VPD_UNIT_SERIAL, 0, out, sizeof(*out), &p, &n, &cut);

	if (r)
		return r;
	/* A page cut short (PAGE LENGTH beyond the data) holds only part of the serial. */
	out->truncated = cut;
	/* SPC-5 7.7.18: PRODUCT SERIAL NUMBER, ASCII, may be space padded either side. */
	while (n > 0 && p[0] == ' ') {
		p++;
		n--;
	}
	if (n >= sizeof(out->serial)) {
		n = sizeof(out->serial) - 1;
		out->truncated = true;
	}
	ascii_field(out->serial, p, n);
	return 0;
}

/*
 * MODE SENSE(6) (SPC-5 6.14 table 192) and MODE SENSE(10) (6.15 table 196)
 * are alike up to the ALLOCATION LENGTH, which widens. LLBAA of the (10)
 * stays 0: we never need long LBA descriptors.
 */
static int build_mode_sense(uint8_t *cdb, size_t cdblen, bool ten, bool dbd, uint8_t pc,
			    uint8_t page, uint8_t subpage, uint16_t alloc_len)
{
	if (pc > 3 || page > 0x3f)
		return -EINVAL;
	if (cdb_start(cdb, cdblen, ten ? 10 : 6,
		      ten ? SCSI_OP_MODE_SENSE_10 : SCSI_OP_MODE_SENSE_6))
		return -EINVAL;
	cdb[1] = dbd ? 0x08 : 0x00;	    /* DBD */
	cdb[2] = (uint8_t)(pc << 6 | page); /* PC, PAGE CODE */
	cdb[3] = subpage;		    /* SUBPAGE CODE */
	if (!ten) {
		cdb[4] = (uint8_t)alloc_len; /* ALLOCATION LENGTH */
		return 6;
	}
	put_be16(cdb + 7, alloc_len); /* ALLOCATION LENGTH */
	return 10;
}

int scsi_build_mode_sense6(uint8_t *cdb, size_t cdblen, bool dbd, uint8_t pc, uint8_t page,
			   uint8_t subpage, uint8_t alloc_len)
{
	return build_mode_sense(cdb, cdblen, false, dbd, pc, page, subpage, alloc_len);
}

int scsi_build_mode_sense10(uint8_t *cdb, size_t cdblen, bool dbd, uint8_t pc, uint8_t page,
			    uint8_t subpage, uint16_t alloc_len)
{
	return build_mode_sense(cdb, cdblen, true, dbd, pc, page, subpage, alloc_len);
}

/* Walks the mode pages (SPC-5 7.5.7); stops at the first incomplete one. */
int scsi_mode_page_find(const struct scsi_mode_sense *ms, uint8_t page, uint8_t subpage,
			const uint8_t **pp, size_t *page_len)
{
	const uint8_t *p = ms->pages;
	size_t left = ms->pages_len;

	while (left >= 2) {
		bool spf = p[0] & 0x40; /* SPF: sub_page format */
		uint8_t code = p[0] & 0x3f;
		uint8_t sub = 0;
		size_t n;

		if (spf) {
			/* table 457: byte 1 SUBPAGE CODE, bytes 2-3 PAGE LENGTH */
			if (left < 4)
				break;
			sub = p[1];
			n = 4 + (size_t)get_be16(p + 2);
		} else {
			/* table 456: byte 1 PAGE LENGTH */
			n = 2 + (size_t)p[1];
		}
		if (n > left)
			break;
		if (code == page && sub == subpage) {
			*pp = p;
			*page_len = n;
			return 0;
		}
		p += n;
		left -= n;
	}
	return -ENOENT;
}

int scsi_mode_sense_parse(const uint8_t *buf, size_t len, bool ten, struct scsi_mode_sense *out)
{
	size_t hdr = ten ? 8 : 4, data_len, start;
	const uint8_t *pg;
	size_t pg_len;
	int r = parse_start(buf, len, hdr, out, sizeof(*out));

	if (r)
		return r;
	if (ten) {
		/* SPC-5 7.5.5 table 450: MODE DATA LENGTH counts the bytes after itself. */
		data_len = (size_t)get_be16(buf) + 2;
		out->medium_type = buf[2];		 /* MEDIUM TYPE */
		out->dev_specific = buf[3];		 /* DEVICE-SPECIFIC PARAMETER */
		out->longlba = buf[4] & 0x01;		 /* LONGLBA */
		out->block_desc_len = get_be16(buf + 6); /* BLOCK DESCRIPTOR LENGTH */
	} else {
		/* table 449 */
		data_len = (size_t)buf[0] + 1;
		out->medium_type = buf[1];
		out->dev_specific = buf[2];
		out->block_desc_len = buf[3];
	}
	/* SBC-4 6.5.1 table 208: WP bit 7, DPOFUA bit 4 of the DEVICE-SPECIFIC PARAMETER. */
	out->wp = out->dev_specific & 0x80;
	out->dpofua = out->dev_specific & 0x10;
	if (data_len < hdr)
		return -EPROTO;
	data_len = MIN(data_len, len);
	start = hdr + out->block_desc_len;
	if (start > data_len) {
		/* Block descriptors cut off: no pages to look at, the header still counts. */
		out->pages = buf + data_len;
		out->pages_len = 0;
		return 0;
	}
	out->pages = buf + start;
	out->pages_len = data_len - start;
	/* SBC-4 6.5.5 table 220: caching page, PAGE LENGTH 0x12, WCE bit 2 and RCD bit 0 of byte 2.
	 */
	if (scsi_mode_page_find(out, SCSI_MODE_PAGE_CACHING, 0, &pg, &pg_len) == 0 && pg_len >= 3) {
		out->have_caching = true;
		out->wce = pg[2] & 0x04;
		out->rcd = pg[2] & 0x01;
	}
	return 0;
}

int scsi_build_report_luns(uint8_t *cdb, size_t cdblen, uint8_t select_report, uint32_t alloc_len)
{
	/* SPC-5 6.33: an ALLOCATION LENGTH below 16 is an error (ILLEGAL REQUEST). */
	if (alloc_len < 16)
		return -EINVAL;
	if (cdb_start(cdb, cdblen, 12, SCSI_OP_REPORT_LUNS))
		return -EINVAL;
	cdb[2] = select_report;	      /* SELECT REPORT */
	put_be32(cdb + 6, alloc_len); /* ALLOCATION LENGTH */
	return 12;
}

int scsi_list8_parse(const uint8_t *buf, size_t len, size_t len_off, unsigned int max, void *out,
		     size_t out_size, uint32_t *total)
{
	uint32_t list_len;
	size_t avail;
	int r = parse_start(buf, len, 8, out, out_size);

	if (r)
		return r;
	list_len = get_be32(buf + len_off);
	if (list_len % 8)
		return -EPROTO;
	*total = list_len / 8;
	avail = MIN((size_t)list_len, len - 8) / 8;
	return (int)MIN(avail, (size_t)max);
}

int scsi_report_luns_parse(const uint8_t *buf, size_t len, struct scsi_report_luns *out)
{
	uint32_t total;
	/* SPC-5 6.33 table 226: LUN LIST LENGTH, 4 reserved bytes, then 8-byte LUNs. */
	int n = scsi_list8_parse(buf, len, 0, SCSI_REPORT_LUNS_MAX, out, sizeof(*out), &total);

	if (n < 0)
		return n;
	out->total = total;
	out->n = (unsigned int)n;
	out->truncated = out->n < out->total;
	for (unsigned int i = 0; i < out->n; i++)
		memcpy(out->lun[i], buf + 8 + 8 * (size_t)i, 8);
	return 0;
}
