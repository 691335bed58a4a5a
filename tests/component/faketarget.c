/*
 * Scripted fake iSCSI target for the component tests; see faketarget.h.
 * Deliberately simple (copies, malloc per task): it is a test peer, not a
 * target. What it must do well is check the initiator's side of the rules.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "session/pdu.h"
#include "tests/component/faketarget.h"
#include "tests/component/faketarget_int.h"
#include "util/bytes.h"
#include "util/compiler.h"
#include "util/crc32c.h"

#define FT_MAX_R2T 8

struct ft_r2t {
	uint32_t ttt, off, len, got, datasn;
};

struct ft_task {
	struct list_node node;
	uint32_t itt, cmdsn, edtl;
	uint64_t lun;
	uint8_t cdb[16];
	bool read, write;
	uint8_t *buf;
	uint32_t got; /* write bytes received */
	uint32_t unsol_limit;
	bool unsol_done;
	uint32_t unsol_datasn;
	uint32_t r2t_next; /* next offset to solicit */
	uint32_t r2tsn;
	struct ft_r2t r2t[FT_MAX_R2T];
	unsigned int nr2t;
	bool ready; /* data complete, answer held */
};

void ft_err(struct ft *ft, const char *fmt, ...)
{
	va_list ap;

	if (!ft->errors++) {
		va_start(ap, fmt);
		vsnprintf(ft->first_error, sizeof(ft->first_error), fmt, ap);
		va_end(ap);
	}
}

uint32_t ft_max_cmdsn(const struct ft *ft)
{
	return ft->exp_cmdsn + (uint32_t)ft->cfg.cmd_window - 1;
}

/* ---- Output ---- */

static void ft_flush(struct ft *ft)
{
	while (ft->out_len && ft->fd >= 0) {
		ssize_t w = send(ft->fd, ft->out, ft->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				ev_io_start(ft->loop, &ft->wio);
				return;
			}
			ft->out_len = 0;
			return;
		}
		memmove(ft->out, ft->out + w, ft->out_len - (size_t)w);
		ft->out_len -= (size_t)w;
	}
	ev_io_stop(ft->loop, &ft->wio);
}

static void ft_append(struct ft *ft, const uint8_t *p, size_t len)
{
	if (ft->out_len + len > ft->out_cap) {
		ft->out_cap = (ft->out_len + len) * 2;
		ft->out = realloc(ft->out, ft->out_cap);
	}
	memcpy(ft->out + ft->out_len, p, len);
	ft->out_len += len;
}

static void ft_hold(struct ft *ft, const uint8_t *p, size_t len)
{
	ft->held = realloc(ft->held, ft->held_len + len);
	memcpy(ft->held + ft->held_len, p, len);
	ft->held_len += len;
}

void ft_release_delayed(struct ft *ft)
{
	if (!ft->held_len)
		return;
	ft_append(ft, ft->held, ft->held_len);
	ft->held_len = 0;
	ft->reorder_pending = false;
	ft_flush(ft);
}

/* Every target PDU goes through here: fault seam, digests, output. */
void ft_emit(struct ft *ft, uint8_t *bhs, const uint8_t *data, uint32_t len)
{
	static uint8_t mut[65536];
	struct ft_fault *hit = NULL;
	unsigned int op = bhs[0] & 0x3f, i;
	size_t wl = 0;
	uint8_t *w;
	uint32_t pad;

	if (ft->silent || ft->fd < 0)
		return;
	for (i = 0; i < ft->nfaults; i++) {
		struct ft_fault *f = &ft->faults[i];
		unsigned int n;

		if (f->opcode >= 0 && (unsigned int)f->opcode != op)
			continue;
		n = ft->fault_seen[i]++;
		if (n < f->skip || n >= f->skip + (f->count ? f->count : 1))
			continue;
		hit = f;
		break;
	}
	put_be24(bhs + 5, len);
	if (hit && hit->action == FT_MUTATE) {
		if (len)
			memcpy(mut, data, len);
		hit->mutate(bhs, mut, &len, hit->opaque);
		data = mut;
	}
	pad = iscsi_pdu_pad_len(len);
	w = malloc(48 + 4 + len + 3 + 4);
	memcpy(w, bhs, 48);
	wl = 48;
	if (ft->hdig) {
		crc32c_put(w + wl, crc32c(w, 48));
		wl += 4;
	}
	if (len) {
		memcpy(w + wl, data, len);
		memset(w + wl + len, 0, pad);
		wl += len + pad;
		if (ft->ddig) {
			crc32c_put(w + wl, crc32c(w + wl - len - pad, len + pad));
			wl += 4;
		}
	}
	if (hit) {
		switch (hit->action) {
		case FT_CORRUPT:
			w[hit->param % wl] ^= 0x5a;
			break;
		case FT_DROP:
			free(w);
			return;
		case FT_DUP:
			ft_append(ft, w, wl);
			break;
		case FT_DELAY:
			ft_hold(ft, w, wl);
			free(w);
			return;
		case FT_REORDER:
			ft_hold(ft, w, wl);
			ft->reorder_pending = true;
			free(w);
			return;
		case FT_MUTATE:
			break;
		}
	}
	ft_append(ft, w, wl);
	free(w);
	if (ft->reorder_pending) {
		ft_append(ft, ft->held, ft->held_len);
		ft->held_len = 0;
		ft->reorder_pending = false;
	}
	ft_flush(ft);
}

void ft_send_raw(struct ft *ft, const uint8_t *bhs, const uint8_t *data, uint32_t len)
{
	uint8_t b[48];

	memcpy(b, bhs, 48);
	ft_emit(ft, b, data, len);
}

/* ---- Sequence numbers for every target PDU ---- */

void ft_sn(struct ft *ft, uint32_t *exp, uint32_t *max)
{
	*exp = ft->exp_cmdsn;
	*max = ft_max_cmdsn(ft);
}

void ft_set_window(struct ft *ft, int window, bool announce)
{
	ft->cfg.cmd_window = window;
	if (announce)
		ft_send_nop_in(ft, ISCSI_PDU_RSVD_TAG, 0);
}

void ft_send_nop_in(struct ft *ft, uint32_t ttt, uint64_t lun)
{
	struct iscsi_pdu_nop_in m = {0};
	uint8_t bhs[48];

	m.lun = lun;
	m.itt = ISCSI_PDU_RSVD_TAG;
	m.ttt = ttt;
	m.statsn = ft->statsn;
	ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
	iscsi_pdu_enc_nop_in(bhs, &m);
	ft_emit(ft, bhs, NULL, 0);
}

void ft_send_async(struct ft *ft, uint8_t event, uint16_t p1, uint16_t p2, uint16_t p3,
		   const uint8_t *sense, uint16_t sense_len)
{
	struct iscsi_pdu_async_msg m = {0};
	uint8_t bhs[48], data[260];
	uint32_t len = 0;

	m.statsn = ft->statsn++;
	ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
	m.event = event;
	m.param1 = p1;
	m.param2 = p2;
	m.param3 = p3;
	if (sense_len) {
		put_be16(data, sense_len);
		memcpy(data + 2, sense, sense_len);
		len = 2u + sense_len;
	}
	m.data_len = len;
	iscsi_pdu_enc_async_msg(bhs, &m);
	ft_emit(ft, bhs, data, len);
}

/* ---- SCSI ---- */

static void ft_task_free(struct ft_task *t)
{
	list_del(&t->node);
	free(t->buf);
	free(t);
}

static struct ft_task *ft_task_find(struct ft *ft, uint32_t itt)
{
	struct list_node *pos;

	list_for_each(pos, &ft->tasks)
	{
		struct ft_task *t = list_entry(pos, struct ft_task, node);

		if (t->itt == itt)
			return t;
	}
	return NULL;
}

static void ft_scsi_rsp(struct ft *ft, struct ft_task *t, uint8_t status, const uint8_t *sense,
			uint16_t sense_len, uint32_t datasn, bool under, bool over, uint32_t resid)
{
	struct iscsi_pdu_scsi_rsp m = {0};
	uint8_t bhs[48], data[64];
	uint32_t len = 0;

	m.response = 0;
	m.status = status;
	m.underflow = under;
	m.overflow = over;
	m.residual = resid;
	m.itt = t->itt;
	m.snack_tag = 0;
	m.statsn = ft->statsn++;
	ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
	m.exp_datasn = datasn;
	if (sense_len) {
		put_be16(data, sense_len);
		memcpy(data + 2, sense, sense_len);
		len = 2u + sense_len;
	}
	m.data_len = len;
	iscsi_pdu_enc_scsi_rsp(bhs, &m);
	ft_emit(ft, bhs, data, len);
}

static void ft_check(struct ft *ft, struct ft_task *t, uint8_t key, uint8_t asc)
{
	uint8_t sense[18] = {0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, 0};

	ft_scsi_rsp(ft, t, 0x02, sense, sizeof(sense), 0, false, false, 0);
}

static bool ft_rw_range(struct ft *ft, struct ft_task *t, uint64_t *lba, uint32_t *n)
{
	switch (t->cdb[0]) {
	case 0x28:
	case 0x2a:
		*lba = get_be32(t->cdb + 2);
		*n = get_be16(t->cdb + 7);
		break;
	case 0x88:
	case 0x8a:
		*lba = get_be64(t->cdb + 2);
		*n = get_be32(t->cdb + 10);
		break;
	default:
		return false;
	}
	return true;
}

/* Run a command whose data (if any) is complete. Frees t. */
static void ft_execute(struct ft *ft, struct ft_task *t)
{
	uint64_t lba;
	uint32_t n, bs = ft->cfg.block_size;

	if (ft->cfg.hold_cmds) {
		t->ready = true;
		return;
	}
	if (t->cdb[0] == 0x00) {
		ft_scsi_rsp(ft, t, 0, NULL, 0, 0, false, false, 0);
	} else if (t->cdb[0] == 0x25) {
		uint8_t cap[8];
		struct iscsi_pdu_data_in m = {0};
		uint8_t bhs[48];
		uint32_t l = MIN(t->edtl, 8u);

		put_be32(cap, ft->cfg.lun_blocks - 1);
		put_be32(cap + 4, bs);
		m.final = m.status = true;
		m.data_len = l;
		m.itt = t->itt;
		m.ttt = ISCSI_PDU_RSVD_TAG;
		m.statsn = ft->statsn++;
		ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
		m.underflow = t->edtl > 8;
		m.residual = t->edtl > 8 ? t->edtl - 8 : 0;
		iscsi_pdu_enc_data_in(bhs, &m);
		ft_emit(ft, bhs, cap, l);
	} else if (!ft_rw_range(ft, t, &lba, &n)) {
		ft_check(ft, t, 0x05, 0x20);
	} else if (lba + n > ft->cfg.lun_blocks) {
		ft_check(ft, t, 0x05, 0x21);
	} else if (t->write) {
		uint32_t l = MIN(t->edtl, n * bs);

		memcpy(ft->lun + lba * bs, t->buf, l);
		ft->writes++;
		ft_scsi_rsp(ft, t, 0, NULL, 0, 0, t->edtl<n * bs, t->edtl> n * bs,
			    t->edtl < n * bs ? n * bs - t->edtl : t->edtl - n * bs);
	} else {
		uint32_t total = MIN(t->edtl, n * bs), off = 0, datasn = 0;
		uint32_t dmax = ft->cfg.data_in_max ? MIN(ft->cfg.data_in_max, ft->ini_mrdsl)
						    : ft->ini_mrdsl;
		bool under = t->edtl > n * bs, over = t->edtl < n * bs;
		uint32_t resid = under ? t->edtl - n * bs : over ? n * bs - t->edtl : 0;

		ft->reads++;
		do {
			struct iscsi_pdu_data_in m = {0};
			uint8_t bhs[48];
			uint32_t l = MIN(dmax, total - off);
			bool last = off + l == total;

			m.final = last;
			m.status = last && ft->cfg.status_in_data_in;
			m.underflow = m.status && under;
			m.overflow = m.status && over;
			m.residual = m.status ? resid : 0;
			m.data_len = l;
			m.itt = t->itt;
			m.ttt = ISCSI_PDU_RSVD_TAG;
			m.statsn = m.status ? ft->statsn++ : 0;
			ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
			m.datasn = datasn++;
			m.buffer_offset = off;
			iscsi_pdu_enc_data_in(bhs, &m);
			ft_emit(ft, bhs, ft->lun + lba * bs + off, l);
			off += l;
		} while (off < total);
		if (!ft->cfg.status_in_data_in)
			ft_scsi_rsp(ft, t, 0, NULL, 0, datasn, under, over, resid);
	}
	ft_task_free(t);
}

void ft_release_cmds(struct ft *ft)
{
	struct list_node *pos, *tmp;

	ft->cfg.hold_cmds = false;
	list_for_each_safe(pos, tmp, &ft->tasks)
	{
		struct ft_task *t = list_entry(pos, struct ft_task, node);

		if (t->ready)
			ft_execute(ft, t);
	}
}

static void ft_send_r2ts(struct ft *ft, struct ft_task *t)
{
	while (t->nr2t < ft->max_r2t && t->nr2t < FT_MAX_R2T && t->r2t_next < t->edtl) {
		struct iscsi_pdu_r2t m = {0};
		struct ft_r2t *r = &t->r2t[t->nr2t++];
		uint8_t bhs[48];

		r->ttt = ft->next_ttt++;
		r->off = t->r2t_next;
		r->len = MIN(ft->max_burst, t->edtl - t->r2t_next);
		r->got = 0;
		r->datasn = 0;
		t->r2t_next += r->len;
		m.lun = t->lun;
		m.itt = t->itt;
		m.ttt = r->ttt;
		m.statsn = ft->statsn;
		ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
		m.r2tsn = t->r2tsn++;
		m.buffer_offset = r->off;
		m.ddtl = r->len;
		ft->r2ts++;
		iscsi_pdu_enc_r2t(bhs, &m);
		ft_emit(ft, bhs, NULL, 0);
	}
}

static void ft_write_progress(struct ft *ft, struct ft_task *t)
{
	if (t->got == t->edtl && t->nr2t == 0 && t->unsol_done) {
		ft_execute(ft, t);
		return;
	}
	if (t->unsol_done)
		ft_send_r2ts(ft, t);
}

void ft_cmdsn(struct ft *ft, bool immediate, uint32_t cmdsn)
{
	if (immediate) {
		if (cmdsn != ft->exp_cmdsn)
			ft_err(ft, "immediate PDU CmdSN %u, ExpCmdSN %u", cmdsn, ft->exp_cmdsn);
		return;
	}
	if (cmdsn != ft->exp_cmdsn)
		ft_err(ft, "CmdSN %u, expected %u", cmdsn, ft->exp_cmdsn);
	if (iscsi_sn_gt(cmdsn, ft_max_cmdsn(ft)))
		ft_err(ft, "CmdSN %u beyond MaxCmdSN %u", cmdsn, ft_max_cmdsn(ft));
	ft->last_cmdsn = cmdsn;
	ft->exp_cmdsn = cmdsn + 1;
}

static void ft_scsi_cmd(struct ft *ft, const struct iscsi_pdu_scsi_cmd *c, const uint8_t *data,
			uint32_t len)
{
	struct ft_task *t = calloc(1, sizeof(*t));

	ft->cmds++;
	ft_cmdsn(ft, c->immediate, c->cmdsn);
	t->itt = c->itt;
	t->cmdsn = c->cmdsn;
	t->edtl = c->edtl;
	t->lun = c->lun;
	t->read = c->read;
	t->write = c->write;
	memcpy(t->cdb, c->cdb, 16);
	list_add_tail(&ft->tasks, &t->node);
	if (ft_task_find(ft, c->itt) != t)
		ft_err(ft, "ITT 0x%08x reused while in flight", c->itt);
	if (!t->write) {
		if (len)
			ft_err(ft, "immediate data on a non-write");
		ft_execute(ft, t);
		return;
	}
	{
		uint64_t lba;
		uint32_t n;

		/* Out of range: answer at once, before the data (RFC 7143 allows it). */
		if (ft_rw_range(ft, t, &lba, &n) && lba + n > ft->cfg.lun_blocks) {
			ft->early_itt = t->itt;
			ft->early_rsps++;
			ft_check(ft, t, 0x05, 0x21);
			ft_task_free(t);
			return;
		}
	}
	t->buf = calloc(1, t->edtl ? t->edtl : 1);
	if (len && !ft->immediate_data)
		ft_err(ft, "immediate data with ImmediateData=No");
	if (len > MIN(ft->first_burst, ft->cfg.max_recv_dsl) || len > t->edtl)
		ft_err(ft, "immediate data %u beyond FirstBurstLength/MaxRecvDSL", len);
	memcpy(t->buf, data, MIN(len, t->edtl));
	t->got = len;
	t->unsol_limit = ft->initial_r2t ? len : MIN(t->edtl, ft->first_burst);
	t->unsol_done = c->final;
	if (c->final && !ft->initial_r2t && t->got < t->unsol_limit)
		ft_err(ft, "F=1 with %u of %u unsolicited bytes", t->got, t->unsol_limit);
	if (!c->final && t->got >= t->unsol_limit)
		ft_err(ft, "F=0 but no unsolicited data may follow");
	t->r2t_next = t->unsol_done ? t->got : t->unsol_limit;
	ft_write_progress(ft, t);
}

static void ft_data_out(struct ft *ft, const struct iscsi_pdu_data_out *d, const uint8_t *data,
			uint32_t len)
{
	struct ft_task *t = ft_task_find(ft, d->itt);
	unsigned int i;

	ft->data_outs++;
	ft->max_seen_dout_len = MAX(ft->max_seen_dout_len, len);
	if (!t && d->itt == ft->early_itt)
		return;
	if (!t || !t->write) {
		ft_err(ft, "Data-Out for unknown ITT 0x%08x", d->itt);
		return;
	}
	if (d->buffer_offset + len > t->edtl) {
		ft_err(ft, "Data-Out beyond EDTL");
		return;
	}
	if (d->ttt == ISCSI_PDU_RSVD_TAG) {
		if (t->unsol_done)
			ft_err(ft, "unsolicited Data-Out after F");
		if (d->datasn != t->unsol_datasn++)
			ft_err(ft, "unsolicited DataSN %u", d->datasn);
		if (d->buffer_offset != t->got)
			ft_err(ft, "unsolicited offset %u, expected %u", d->buffer_offset, t->got);
		if (d->buffer_offset + len > t->unsol_limit)
			ft_err(ft, "unsolicited data beyond FirstBurstLength");
		memcpy(t->buf + d->buffer_offset, data, len);
		t->got += len;
		if (d->final) {
			t->unsol_done = true;
			t->r2t_next = t->unsol_limit;
			if (t->got != t->unsol_limit)
				ft_err(ft, "unsolicited burst ended at %u of %u", t->got,
				       t->unsol_limit);
		}
		ft_write_progress(ft, t);
		return;
	}
	for (i = 0; i < t->nr2t && t->r2t[i].ttt != d->ttt; i++)
		;
	if (i == t->nr2t) {
		ft_err(ft, "Data-Out with unknown TTT 0x%08x", d->ttt);
		return;
	}
	{
		struct ft_r2t *r = &t->r2t[i];

		if (d->datasn != r->datasn++)
			ft_err(ft, "Data-Out DataSN %u, expected %u", d->datasn, r->datasn - 1);
		if (d->buffer_offset != r->off + r->got)
			ft_err(ft, "Data-Out offset %u, expected %u", d->buffer_offset,
			       r->off + r->got);
		if (r->got + len > r->len)
			ft_err(ft, "Data-Out beyond the R2T");
		memcpy(t->buf + d->buffer_offset, data, len);
		r->got += len;
		t->got += len;
		if ((r->got == r->len) != d->final)
			ft_err(ft, "Data-Out F bit %d at %u of %u", d->final, r->got, r->len);
		if (r->got >= r->len) {
			t->r2t[i] = t->r2t[--t->nr2t];
			ft_write_progress(ft, t);
		}
	}
}

/* ---- Other requests ---- */

static void ft_nop_out(struct ft *ft, const struct iscsi_pdu_nop_out *n, const uint8_t *data,
		       uint32_t len)
{
	struct iscsi_pdu_nop_in m = {0};
	uint8_t bhs[48];

	ft->nops++;
	ft_cmdsn(ft, n->immediate, n->cmdsn);
	if (n->itt == ISCSI_PDU_RSVD_TAG) {
		ft->nop_echoes++;
		ft->last_echo_ttt = n->ttt;
		ft->last_echo_lun = n->lun;
		if (!n->immediate)
			ft_err(ft, "NOP-Out answer without the I bit");
		return;
	}
	m.data_len = len;
	m.lun = n->lun;
	m.itt = n->itt;
	m.ttt = ISCSI_PDU_RSVD_TAG;
	m.statsn = ft->statsn++;
	ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
	iscsi_pdu_enc_nop_in(bhs, &m);
	ft_emit(ft, bhs, data, len);
}

static void ft_tmf(struct ft *ft, const struct iscsi_pdu_tmf_req *r)
{
	struct iscsi_pdu_tmf_rsp m = {0};
	struct list_node *pos, *tmp;
	uint8_t bhs[48];

	ft->tmfs++;
	ft_cmdsn(ft, r->immediate, r->cmdsn);
	m.response = ISCSI_PDU_TMF_RSP_NOT_SUPPORTED;
	if (r->function == ISCSI_PDU_TMF_ABORT_TASK) {
		struct ft_task *t = ft_task_find(ft, r->ref_itt);

		if (t && t->cmdsn != r->ref_cmdsn)
			ft_err(ft, "ABORT TASK RefCmdSN %u, task has %u", r->ref_cmdsn, t->cmdsn);
		if (t)
			ft_task_free(t);
		m.response = t ? ISCSI_PDU_TMF_RSP_COMPLETE : ISCSI_PDU_TMF_RSP_NO_TASK;
	} else if (r->function == ISCSI_PDU_TMF_LUN_RESET) {
		list_for_each_safe(pos, tmp, &ft->tasks)
		{
			struct ft_task *t = list_entry(pos, struct ft_task, node);

			if (t->lun == r->lun)
				ft_task_free(t);
		}
		m.response = ISCSI_PDU_TMF_RSP_COMPLETE;
	}
	m.itt = r->itt;
	m.statsn = ft->statsn++;
	ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
	iscsi_pdu_enc_tmf_rsp(bhs, &m);
	ft_emit(ft, bhs, NULL, 0);
}

static void ft_logout(struct ft *ft, const struct iscsi_pdu_logout_req *r)
{
	struct iscsi_pdu_logout_rsp m = {0};
	uint8_t bhs[48];

	ft->logouts++;
	ft_cmdsn(ft, r->immediate, r->cmdsn);
	if (!list_empty(&ft->tasks))
		ft_err(ft, "logout with commands outstanding");
	m.response = ISCSI_PDU_LOGOUT_RSP_OK;
	m.itt = r->itt;
	m.statsn = ft->statsn++;
	ft_sn(ft, &m.exp_cmdsn, &m.max_cmdsn);
	m.time2wait = 2;
	m.time2retain = 20;
	iscsi_pdu_enc_logout_rsp(bhs, &m);
	ft_emit(ft, bhs, NULL, 0);
}

/* ---- Input ---- */

static void ft_dispatch(struct ft *ft, const uint8_t *bhs, const uint8_t *data, uint32_t len)
{
	struct iscsi_pdu_initiator_msg m;
	const char *why = NULL;

	if (iscsi_pdu_dec_initiator(bhs, &m, &why) < 0) {
		ft_err(ft, "bad initiator PDU: %s", why ? why : "?");
		return;
	}
	if (!ft->ffp && m.opcode != ISCSI_PDU_OP_LOGIN_REQ) {
		ft_err(ft, "opcode 0x%02x before login completed", m.opcode);
		return;
	}
	switch (m.opcode) {
	case ISCSI_PDU_OP_LOGIN_REQ:
		ft_login(ft, &m.u.login_req, data, len);
		break;
	case ISCSI_PDU_OP_SCSI_CMD:
		ft_scsi_cmd(ft, &m.u.scsi_cmd, data, len);
		break;
	case ISCSI_PDU_OP_DATA_OUT:
		ft_data_out(ft, &m.u.data_out, data, len);
		break;
	case ISCSI_PDU_OP_NOP_OUT:
		ft_nop_out(ft, &m.u.nop_out, data, len);
		break;
	case ISCSI_PDU_OP_TMF_REQ:
		ft_tmf(ft, &m.u.tmf_req);
		break;
	case ISCSI_PDU_OP_TEXT_REQ:
		ft_text(ft, &m.u.text_req, data, len);
		break;
	case ISCSI_PDU_OP_LOGOUT_REQ:
		ft_logout(ft, &m.u.logout_req);
		break;
	default:
		ft_err(ft, "unexpected opcode 0x%02x", m.opcode);
		break;
	}
}

/* Consume whole PDUs from the input buffer. */
static void ft_parse(struct ft *ft)
{
	for (;;) {
		struct iscsi_pdu_rx_params p = {
			.header_digest = ft->ffp && ft->hdig,
			.data_digest = ft->ffp && ft->ddig,
			.max_recv_dsl = ft->ffp ? ft->cfg.max_recv_dsl : ISCSI_PDU_LOGIN_MAX_DSL,
			.from_initiator = true,
		};
		struct iscsi_pdu_frame f;
		const char *why = NULL;
		uint8_t *b = ft->in;
		size_t total;

		if (ft->in_len < 48)
			return;
		if (iscsi_pdu_frame(b, &p, &f, &why) < 0) {
			ft_err(ft, "framing: %s", why ? why : "?");
			ft_close(ft);
			return;
		}
		total = 48 + f.rest_len;
		if (ft->in_len < total)
			return;
		if (f.hdr_digest_len &&
		    iscsi_pdu_verify_hdr(b, 48 + f.ahs_len, b + 48 + f.ahs_len) < 0)
			ft_err(ft, "header digest from initiator wrong");
		if (f.data_digest_len &&
		    iscsi_pdu_verify_data(b + 48 + f.data_off, f.data_len,
					  b + 48 + f.data_off + f.data_len,
					  b + 48 + f.data_off + f.data_len + f.pad_len) < 0)
			ft_err(ft, "data digest from initiator wrong");
		if (!ft->silent)
			ft_dispatch(ft, b, b + 48 + f.data_off, f.data_len);
		if (ft->fd < 0)
			return;
		memmove(ft->in, ft->in + total, ft->in_len - total);
		ft->in_len -= total;
	}
}

static void ft_rio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ft *ft = container_of(w, struct ft, rio);

	for (;;) {
		ssize_t r;

		if (ft->in_cap - ft->in_len < 65536) {
			ft->in_cap = ft->in_cap * 2 + 65536;
			ft->in = realloc(ft->in, ft->in_cap);
		}
		r = recv(ft->fd, ft->in + ft->in_len, ft->in_cap - ft->in_len, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (r <= 0) {
			ft_close(ft);
			return;
		}
		ft->in_len += (size_t)r;
	}
	ft_parse(ft);
}

static void ft_wio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	ft_flush(container_of(w, struct ft, wio));
}

struct ft *ft_new(struct ev_loop *loop, int fd, const struct ft_config *cfg)
{
	struct ft *ft = calloc(1, sizeof(*ft));

	ft->loop = loop;
	ft->cfg = *cfg;
	if (!ft->cfg.max_recv_dsl)
		ft->cfg.max_recv_dsl = 8192;
	if (!ft->cfg.first_burst)
		ft->cfg.first_burst = 16384;
	if (!ft->cfg.max_burst)
		ft->cfg.max_burst = 32768;
	if (!ft->cfg.max_outstanding_r2t)
		ft->cfg.max_outstanding_r2t = 1;
	if (!ft->cfg.cmd_window)
		ft->cfg.cmd_window = 32;
	if (ft->cfg.cmd_window < 0)
		ft->cfg.cmd_window = 0; /* closed: MaxCmdSN = ExpCmdSN - 1 */
	if (!ft->cfg.lun_blocks)
		ft->cfg.lun_blocks = 2048;
	if (!ft->cfg.block_size)
		ft->cfg.block_size = 512;
	if (!ft->cfg.text_chunk)
		ft->cfg.text_chunk = 64;
	if (!ft->cfg.n_targets)
		ft->cfg.n_targets = 3;
	ft->first_burst = 65536;
	ft->max_burst = 262144;
	ft->max_r2t = 1;
	ft->immediate_data = true;
	ft->fd = fd;
	ft->statsn = 0x1000;
	ft->tsih = 0x11;
	ft->next_ttt = 0x100;
	ft->text_ttt = ISCSI_PDU_RSVD_TAG;
	ft->lun = calloc(ft->cfg.lun_blocks, ft->cfg.block_size);
	list_init(&ft->tasks);
	ev_io_init(&ft->rio, ft_rio_cb, fd, EV_READ);
	ev_io_init(&ft->wio, ft_wio_cb, fd, EV_WRITE);
	ev_io_start(loop, &ft->rio);
	return ft;
}

void ft_close(struct ft *ft)
{
	if (ft->fd < 0)
		return;
	ev_io_stop(ft->loop, &ft->rio);
	ev_io_stop(ft->loop, &ft->wio);
	close(ft->fd);
	ft->fd = -1;
	ft->closed = true;
}

void ft_free(struct ft *ft)
{
	struct list_node *n;

	if (!ft)
		return;
	ft_close(ft);
	while ((n = list_pop(&ft->tasks))) {
		struct ft_task *t = list_entry(n, struct ft_task, node);

		free(t->buf);
		free(t);
	}
	free(ft->in);
	free(ft->out);
	free(ft->held);
	free(ft->lun);
	free(ft);
}

void ft_fault_add(struct ft *ft, const struct ft_fault *f)
{
	if (ft->nfaults < ARRAY_SIZE(ft->faults))
		ft->faults[ft->nfaults++] = *f;
}

void ft_set_silent(struct ft *ft, bool silent)
{
	ft->silent = silent;
}
