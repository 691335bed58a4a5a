/*
 * SPC-5 6.36 REPORT TARGET PORT GROUPS: which access state each port group
 * of an ALUA target is in. The path layer uses it to prefer
 * active/optimized paths and to keep standby/unavailable ones out of the
 * I/O rotation.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "scsi/cdb.h"
#include "scsi/spc.h"
#include "util/bytes.h"

const char *scsi_alua_state_name(uint8_t state)
{
	switch (state) {
	case SCSI_ALUA_ACTIVE_OPTIMIZED:
		return "active/optimized";
	case SCSI_ALUA_ACTIVE_NON_OPTIMIZED:
		return "active/non-optimized";
	case SCSI_ALUA_STANDBY:
		return "standby";
	case SCSI_ALUA_UNAVAILABLE:
		return "unavailable";
	case SCSI_ALUA_LBA_DEPENDENT:
		return "logical block dependent";
	case SCSI_ALUA_OFFLINE:
		return "offline";
	case SCSI_ALUA_TRANSITIONING:
		return "transitioning";
	}
	return "reserved";
}

int scsi_build_rtpg(uint8_t *cdb, size_t cdblen, bool extended, uint32_t alloc_len)
{
	/* SPC-5 6.36.1 table 229 */
	if (cdb_start(cdb, cdblen, 12, SCSI_OP_MAINTENANCE_IN))
		return -EINVAL;
	/* PARAMETER DATA FORMAT (bits 7-5), SERVICE ACTION (bits 4-0) */
	cdb[1] = (uint8_t)((extended ? 0x20 : 0x00) | SCSI_SA_REPORT_TARGET_PORT_GROUPS);
	put_be32(cdb + 6, alloc_len); /* ALLOCATION LENGTH */
	return 12;
}

int scsi_rtpg_parse(const uint8_t *buf, size_t len, struct scsi_rtpg *out)
{
	size_t end, off;
	/* Tables 230/231: RETURN DATA LENGTH counts the bytes after itself. */
	int r = parse_start(buf, len, 4, out, sizeof(*out));

	if (r)
		return r;
	end = (size_t)get_be32(buf) + 4;
	if (end < 4) /* wrapped on 32-bit size_t */
		return -EPROTO;
	if (end > len) {
		out->truncated = true;
		end = len;
	}
	off = 4;
	/*
	 * Extended header: byte 4 FORMAT TYPE 001b in bits 6-4, byte 5
	 * IMPLICIT TRANSITION TIME. In the length-only format byte 4 is the
	 * first descriptor's PREF / ASYMMETRIC ACCESS STATE byte, whose bits 6-4
	 * are reserved (zero), so the two cannot be confused.
	 */
	if (end >= 8 && (buf[4] & 0x70) == 0x10) {
		out->extended = true;
		out->implicit_transition_time = buf[5];
		off = 8;
	}
	/* Table 232: 8-byte descriptor, then TARGET PORT COUNT 4-byte port descriptors. */
	while (off < end) {
		struct scsi_tpg_desc *g;
		size_t need = desc_size(buf, off, end, 8, 7, 4);

		if (!need || out->n == SCSI_RTPG_MAX_GROUPS) {
			out->truncated = true;
			break;
		}
		g = &out->g[out->n++];
		g->pref = buf[off] & 0x80;	 /* PREF */
		g->state = buf[off] & 0x0f;	 /* ASYMMETRIC ACCESS STATE */
		g->supported = buf[off + 1];	 /* T_SUP .. AO_SUP */
		g->id = get_be16(buf + off + 2); /* TARGET PORT GROUP */
		g->status_code = buf[off + 5];	 /* STATUS CODE */
		g->port_count = buf[off + 7];	 /* TARGET PORT COUNT */
		for (unsigned int i = 0; i < g->port_count; i++) {
			if (g->nports == SCSI_RTPG_MAX_PORTS) {
				out->truncated = true;
				break;
			}
			/* Table 233: bytes 2-3 RELATIVE TARGET PORT IDENTIFIER. */
			g->port[g->nports++] = get_be16(buf + off + 8 + 4 * (size_t)i + 2);
		}
		off += need;
	}
	return 0;
}

const struct scsi_tpg_desc *scsi_rtpg_find_port(const struct scsi_rtpg *r, uint16_t rel_port)
{
	for (unsigned int i = 0; i < r->n && i < SCSI_RTPG_MAX_GROUPS; i++)
		for (unsigned int j = 0; j < r->g[i].nports && j < SCSI_RTPG_MAX_PORTS; j++)
			if (r->g[i].port[j] == rel_port)
				return &r->g[i];
	return NULL;
}
