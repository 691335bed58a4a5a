/*
 * SPC-5 7.7.6 Device Identification VPD page (0x83) and the device
 * identity derived from it. The identity decides whether two paths reach
 * the same logical unit (DESIGN.md: never stripe over a mismatching path),
 * so it only ever comes from logical-unit designators (ASSOCIATION 00b):
 * target-port designators differ per path by design.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "scsi/cdb.h"
#include "scsi/spc.h"
#include "util/bytes.h"
#include "util/hex.h"

int scsi_vpd83_parse(const uint8_t *buf, size_t len, struct scsi_vpd83 *out)
{
	const uint8_t *p;
	size_t n, off = 0;
	bool truncated;
	int r = scsi_vpd_start(buf, len, SCSI_VPD_DEVICE_ID, 0, out, sizeof(*out), &p, &n,
			       &truncated);

	if (r)
		return r;
	out->truncated = truncated;
	/* 7.7.6.1 table 489: designation descriptors, each 4 header bytes + DESIGNATOR LENGTH. */
	while (off < n) {
		struct scsi_designator *d;
		size_t need = desc_size(p, off, n, 4, 3, 1);

		if (!need || out->n == SCSI_VPD83_MAX) {
			out->truncated = true;
			break;
		}
		d = &out->d[out->n++];
		d->protocol_id = p[off] >> 4;	     /* PROTOCOL IDENTIFIER */
		d->code_set = p[off] & 0x0f;	     /* CODE SET */
		d->piv = p[off + 1] & 0x80;	     /* PIV */
		d->assoc = (p[off + 1] >> 4) & 0x03; /* ASSOCIATION */
		d->type = p[off + 1] & 0x0f;	     /* DESIGNATOR TYPE */
		d->len = p[off + 3];		     /* DESIGNATOR LENGTH */
		d->data = p + off + 4;
		off += need;
	}
	return 0;
}

/*
 * Rank of a logical-unit designator for the identity, 0 = unusable. The
 * lengths are the ones SPC-5 allows: NAA 8 bytes (NAA 2, 3, 5) or 16 bytes
 * (NAA 6, 7.7.6.6), EUI-64 8/12/16 bytes (7.7.6.5), SCSI name string a
 * multiple of 4 in UTF-8 (7.7.6.11), T10 vendor ID at least the 8-byte
 * T10 VENDOR IDENTIFICATION in ASCII (7.7.6.4).
 */
static int desig_rank(const struct scsi_designator *d)
{
	if (d->assoc != SCSI_ASSOC_LU)
		return 0;
	switch (d->type) {
	case SCSI_DESIG_NAA:
		if (d->code_set != SCSI_CODESET_BINARY)
			return 0;
		if (d->len == 16 && (d->data[0] >> 4) == 6)
			return 90;
		if (d->len == 8 &&
		    ((d->data[0] >> 4) == 2 || (d->data[0] >> 4) == 3 || (d->data[0] >> 4) == 5))
			return 80;
		return 0;
	case SCSI_DESIG_EUI64:
		if (d->code_set != SCSI_CODESET_BINARY)
			return 0;
		if (d->len == 16)
			return 72;
		if (d->len == 12)
			return 71;
		if (d->len == 8)
			return 70;
		return 0;
	case SCSI_DESIG_SCSI_NAME:
		if (d->code_set != SCSI_CODESET_UTF8 || d->len == 0 || d->data[0] == 0)
			return 0;
		return 60;
	case SCSI_DESIG_T10_VENDOR_ID:
		if (d->code_set != SCSI_CODESET_ASCII && d->code_set != SCSI_CODESET_UTF8)
			return 0;
		/* Only the VENDOR SPECIFIC IDENTIFIER after the 8-byte vendor makes it
		 * unique: LIO without a unit serial sends "LIO-ORG " alone for
		 * every LU, which must not make two LUs look like one. */
		for (unsigned int i = 8; i < d->len; i++)
			if (d->data[i] != ' ' && d->data[i] != 0)
				return 50;
		return 0;
	}
	return 0;
}

static int put_str(char *out, size_t outlen, size_t *pos, const char *s, size_t n)
{
	if (*pos + n >= outlen)
		return -ENOSPC;
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = 0;
	return 0;
}

static int put_hex(char *out, size_t outlen, size_t *pos, const uint8_t *b, size_t n)
{
	if (*pos + 2 * n >= outlen)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++) {
		out[(*pos)++] = hex_digit(b[i] >> 4);
		out[(*pos)++] = hex_digit(b[i]);
	}
	out[*pos] = 0;
	return 0;
}

/* Printable copy of a string designator: stops at the first NUL (SCSI name
 * strings are NUL padded to a multiple of 4, 7.7.6.11), trims trailing
 * spaces, and replaces what is not printable ASCII so the identity can go
 * into sysfs and log lines unchanged. */
static int put_text(char *out, size_t outlen, size_t *pos, const uint8_t *b, size_t n)
{
	size_t end = 0;

	while (end < n && b[end])
		end++;
	while (end > 0 && b[end - 1] == ' ')
		end--;
	if (*pos + end >= outlen)
		return -ENOSPC;
	for (size_t i = 0; i < end; i++)
		out[(*pos)++] = b[i] > 0x20 && b[i] < 0x7f ? (char)b[i] : '_';
	out[*pos] = 0;
	return 0;
}

int scsi_vpd83_identity(const struct scsi_vpd83 *v, char *out, size_t outlen)
{
	const struct scsi_designator *best = NULL;
	int best_rank = 0;
	size_t pos = 0;
	int r;

	if (!v || !out || outlen == 0)
		return -EINVAL;
	out[0] = 0;
	for (unsigned int i = 0; i < v->n && i < SCSI_VPD83_MAX; i++) {
		int rank = desig_rank(&v->d[i]);

		/* First of equal rank wins: targets list their preferred one first. */
		if (rank > best_rank) {
			best_rank = rank;
			best = &v->d[i];
		}
	}
	if (!best)
		return -ENOENT;
	switch (best->type) {
	case SCSI_DESIG_NAA:
		r = put_str(out, outlen, &pos, "naa.", 4);
		if (!r)
			r = put_hex(out, outlen, &pos, best->data, best->len);
		break;
	case SCSI_DESIG_EUI64:
		r = put_str(out, outlen, &pos, "eui.", 4);
		if (!r)
			r = put_hex(out, outlen, &pos, best->data, best->len);
		break;
	case SCSI_DESIG_SCSI_NAME:
		/* Already carries its own "iqn." / "naa." / "eui." prefix. */
		r = put_text(out, outlen, &pos, best->data, best->len);
		break;
	default:
		r = put_str(out, outlen, &pos, "t10.", 4);
		if (!r)
			r = put_text(out, outlen, &pos, best->data, best->len);
		break;
	}
	if (r) {
		out[0] = 0;
		return r;
	}
	return (int)pos;
}

int scsi_vpd83_target_name(const struct scsi_vpd83 *v, char *out, size_t outlen)
{
	size_t pos = 0;

	if (!v || !out || outlen == 0)
		return -EINVAL;
	out[0] = 0;
	for (unsigned int i = 0; i < v->n && i < SCSI_VPD83_MAX; i++) {
		const struct scsi_designator *d = &v->d[i];
		int r;

		/* 7.7.6.11: SCSI name string of the target device (ASSOCIATION 10b). */
		if (d->type != SCSI_DESIG_SCSI_NAME || d->assoc != SCSI_ASSOC_TARGET_DEV ||
		    d->code_set != SCSI_CODESET_UTF8 || d->len == 0 || d->data[0] == 0)
			continue;
		r = put_text(out, outlen, &pos, d->data, d->len);
		return r ? r : (int)pos;
	}
	return -ENOENT;
}

static int port_field(const struct scsi_vpd83 *v, uint8_t type, uint16_t *val)
{
	for (unsigned int i = 0; i < v->n && i < SCSI_VPD83_MAX; i++) {
		const struct scsi_designator *d = &v->d[i];

		/* 7.7.6.7 / 7.7.6.8: 4 bytes, the identifier in bytes 2-3. */
		if (d->type == type && d->assoc == SCSI_ASSOC_TARGET_PORT && d->len >= 4) {
			*val = get_be16(d->data + 2);
			return 0;
		}
	}
	return -ENOENT;
}

int scsi_vpd83_rel_port(const struct scsi_vpd83 *v, uint16_t *rel_port)
{
	return port_field(v, SCSI_DESIG_REL_TGT_PORT, rel_port);
}

int scsi_vpd83_tpg(const struct scsi_vpd83 *v, uint16_t *tpg)
{
	return port_field(v, SCSI_DESIG_TGT_PORT_GROUP, tpg);
}
