/*
 * Full feature phase: SCSI commands and everything else that carries an
 * Initiator Task Tag (RFC 7143 11.3-11.8, 11.14-11.19).
 *
 * Task table: one slot per ITT, the tag being generation << 16 | index, so
 * an answer is matched in O(1) and a late or duplicate answer (an older
 * generation of a slot) is told apart from a tag we never issued.
 *
 * CmdSN window (RFC 7143 4.2.2.1): commands get CmdSN in submission order
 * and go out only while CmdSN <= MaxCmdSN (serial arithmetic); the others
 * wait in s->pending. ExpCmdSN / MaxCmdSN move forward only, from every PDU
 * that carries them.
 *
 * Writes: immediate data up to min(FirstBurstLength, target
 * MaxRecvDataSegmentLength), then unsolicited Data-Out up to
 * FirstBurstLength when InitialR2T=No, then one Data-Out sequence per R2T
 * (RFC 7143 4.2.2.3.x, 11.8), every PDU at most the target's
 * MaxRecvDataSegmentLength. Data-Out PDUs are built in the slot's few dout
 * PDUs (refilled as each is sent, so a burst leaves in few sendmsg calls)
 * from the task's own buffers: no copy.
 *
 * What the target sends for these tasks (Data-In, SCSI Response, R2T) is
 * received in task_rx.c; NOP, TMF, logout, async and Reject handling live
 * in control.c.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/sam.h"
#include "session/sess_int.h"
#include "util/log.h"

/* ---- LUN encoding (SAM-5 4.7.2: single level, peripheral or flat) ---- */

uint64_t sess_lun_to_wire(uint64_t lun)
{
	if (lun < 256)
		return lun << 48;
	if (lun < 16384)
		return (0x4000ull | lun) << 48;
	return lun; /* already an 8-byte LUN structure */
}

/* ---- Task table ---- */

int sess_tasks_init(struct sess *s)
{
	unsigned int want = s->cfg.cmd_window_max + SESS_CTL_SLOTS, n = 1;

	while (n < want)
		n <<= 1;
	s->slot = calloc(n, sizeof(*s->slot));
	if (!s->slot)
		return -ENOMEM;
	s->nslots = n;
	return 0;
}

void sess_tasks_fini(struct sess *s)
{
	free(s->slot);
	s->slot = NULL;
	s->nslots = 0;
}

uint32_t sess_slot_itt(const struct sess *s, const struct sess_slot *sl)
{
	return (uint32_t)sl->gen << SESS_ITT_IDX_BITS | (uint32_t)(sl - s->slot);
}

struct sess_slot *sess_slot_get(struct sess *s, enum sess_slot_kind kind)
{
	unsigned int i;

	if (kind == SLOT_TASK ? s->task_slots_used >= s->cfg.cmd_window_max
			      : s->ctl_slots_used >= SESS_CTL_SLOTS)
		return NULL;
	for (i = 0; i < s->nslots; i++) {
		struct sess_slot *sl = &s->slot[(s->next_slot + i) & (s->nslots - 1)];

		if (sl->kind != SLOT_FREE)
			continue;
		s->next_slot = (unsigned int)(sl - s->slot) + 1;
		if (++sl->gen == 0)
			sl->gen = 1;
		sl->kind = (uint8_t)kind;
		sl->finishing = false;
		sl->task = NULL;
		sl->cb = NULL;
		sl->text_cb = NULL;
		sl->dout_busy = 0;
		sl->b_head = sl->b_cnt = 0;
		sl->r2t_out = 0;
		sl->exp_datasn = sl->exp_r2tsn = 0;
		sl->cmd.sent = NULL;
		sl->cmd.off = 0;
		for (unsigned int d = 0; d < SESS_DOUT_PIPE; d++) {
			sl->dout[d].sent = NULL;
			sl->dout[d].owner = sl;
		}
		if (kind == SLOT_TASK)
			s->task_slots_used++;
		else
			s->ctl_slots_used++;
		return sl;
	}
	return NULL;
}

void sess_slot_put(struct sess *s, struct sess_slot *sl)
{
	if (sl->kind == SLOT_FREE)
		return;
	if (sl->kind == SLOT_TASK)
		s->task_slots_used--;
	else
		s->ctl_slots_used--;
	sl->kind = SLOT_FREE;
	sl->task = NULL;
}

void sess_slot_answer(struct sess *s, struct sess_slot *sl, int result)
{
	void (*cb)(void *, int) = sl->cb;
	void *op = sl->cb_opaque;

	sess_slot_put(s, sl);
	if (cb)
		cb(op, result);
}

void sess_ctl_fail(struct sess *s, struct sess_slot *sl, int err)
{
	if (sl->kind == SLOT_TEXT)
		sess_text_abort(s, sl, err);
	else
		sess_slot_answer(s, sl, err);
}

enum sess_itt_match sess_itt_lookup(struct sess *s, uint32_t itt, struct sess_slot **out)
{
	uint32_t idx = itt & ((1u << SESS_ITT_IDX_BITS) - 1);
	uint16_t gen = (uint16_t)(itt >> SESS_ITT_IDX_BITS);
	struct sess_slot *sl;

	*out = NULL;
	if (idx >= s->nslots || gen == 0)
		return ITT_UNKNOWN;
	sl = &s->slot[idx];
	if (sl->gen == gen && sl->kind != SLOT_FREE && !sl->finishing) {
		*out = sl;
		return ITT_LIVE;
	}
	/* An older generation of this slot (or the current one, answered): late. */
	if (sl->gen != 0 && (uint16_t)(sl->gen - gen) < 0x8000)
		return ITT_LATE;
	return ITT_UNKNOWN;
}

/* ---- Sequence numbers ---- */

void sess_window_update(struct sess *s, uint32_t exp, uint32_t max)
{
	/* RFC 7143 4.2.2.1: MaxCmdSN < ExpCmdSN - 1 means "ignore both". */
	if (iscsi_sn_lt(max, exp - 1))
		return;
	if (iscsi_sn_gt(exp, s->exp_cmdsn))
		s->exp_cmdsn = exp;
	if (iscsi_sn_gt(max, s->max_cmdsn))
		s->max_cmdsn = max;
}

void sess_statsn_update(struct sess *s, uint32_t statsn)
{
	if (iscsi_sn_ge(statsn, s->exp_statsn))
		s->exp_statsn = statsn + 1;
}

/* ---- Sending ---- */

static bool slot_dout_queued(const struct sess_slot *sl)
{
	for (unsigned int i = 0; i < SESS_DOUT_PIPE; i++)
		if (sl->dout[i].queued)
			return true;
	return false;
}

static void slot_cmd_sent(struct conn *c, struct conn_pdu *p)
{
	struct sess_slot *sl = container_of(p, struct sess_slot, cmd);

	if (sl->finishing && !slot_dout_queued(sl))
		sess_task_finish(c->owner, sl, sl->finish_result);
}

static void slot_dout_sent(struct conn *c, struct conn_pdu *p);

/* Build Data-Out PDUs of the slot's first bursts and queue them, as many as there are free. */
void sess_slot_dout_next(struct sess *s, struct sess_slot *sl)
{
	struct sess_task *t = sl->task;

	while (!sl->finishing && sl->b_cnt && t && sl->dout_busy != (1u << SESS_DOUT_PIPE) - 1) {
		struct sess_burst *b = &sl->burst[sl->b_head];
		struct iscsi_pdu_data_out m;
		struct conn_pdu *p;
		unsigned int i = 0;
		uint32_t n;
		int cnt;

		while (sl->dout_busy & (1u << i))
			i++;
		p = &sl->dout[i];
		n = MIN(b->len, s->neg.target_max_recv_dsl);
		memset(&m, 0, sizeof(m));
		m.final = n == b->len;
		m.data_len = n;
		m.lun = sess_lun_to_wire(t->lun);
		m.itt = t->itt;
		m.ttt = b->ttt;
		m.exp_statsn = s->exp_statsn;
		m.datasn = b->datasn++;
		m.buffer_offset = b->off;
		cnt = conn_iov_slice(t->iov, t->iov_cnt, b->off, n, p->data, CONN_PDU_IOV);
		if (cnt < 0 || iscsi_pdu_enc_data_out(p->hdr, &m) < 0) {
			sess_die(s, SESS_DEATH_PROTOCOL, "cannot build Data-Out for ITT 0x%08x",
				 t->itt);
			return;
		}
		p->data_cnt = (unsigned int)cnt;
		p->data_len = n;
		p->sent = slot_dout_sent;
		b->off += n;
		b->len -= n;
		t->data_done += n;
		if (b->len == 0) {
			if (b->r2t && sl->r2t_out)
				sl->r2t_out--;
			sl->b_head = (sl->b_head + 1) % SESS_BURST_RING;
			sl->b_cnt--;
		}
		sl->dout_busy |= (uint8_t)(1u << i);
		conn_send(&s->conn, p);
	}
}

static void slot_dout_sent(struct conn *c, struct conn_pdu *p)
{
	struct sess_slot *sl = p->owner;
	struct sess *s = c->owner;

	sl->dout_busy &= (uint8_t) ~(1u << (p - sl->dout));
	if (sl->finishing) {
		if (!sl->cmd.queued && !slot_dout_queued(sl))
			sess_task_finish(s, sl, sl->finish_result);
		return;
	}
	sess_slot_dout_next(s, sl);
}

void sess_slot_push_burst(struct sess_slot *sl, uint32_t off, uint32_t len, uint32_t ttt, bool r2t)
{
	struct sess_burst *b = &sl->burst[(sl->b_head + sl->b_cnt) % SESS_BURST_RING];

	b->off = off;
	b->len = len;
	b->ttt = ttt;
	b->datasn = 0; /* DataSN restarts for every sequence (RFC 7143 11.7.5) */
	b->r2t = r2t;
	sl->b_cnt++;
}

static void task_issue(struct sess *s, struct sess_slot *sl, struct sess_task *t)
{
	struct iscsi_pdu_scsi_cmd m;
	uint32_t imm = 0, unsol_end = 0;
	int cnt = 0;

	sl->task = t;
	t->priv = sl;
	t->itt = sess_slot_itt(s, sl);
	t->cmdsn = s->cmdsn;
	sl->cmdsn = s->cmdsn;
	s->cmdsn++;

	memset(&m, 0, sizeof(m));
	if (t->dir == SESS_DIR_WRITE && t->xfer_len) {
		if (s->neg.immediate_data)
			imm = MIN(MIN(t->xfer_len, s->neg.first_burst), s->neg.target_max_recv_dsl);
		unsol_end = s->neg.initial_r2t ? imm : MIN(t->xfer_len, s->neg.first_burst);
		if (unsol_end > imm)
			sess_slot_push_burst(sl, imm, unsol_end - imm, ISCSI_PDU_RSVD_TAG, false);
		if (imm) {
			cnt = conn_iov_slice(t->iov, t->iov_cnt, 0, imm, sl->cmd.data,
					     CONN_PDU_IOV);
			if (cnt < 0)
				cnt = 0, imm = 0; /* cannot happen: SESS_IOV_MAX < CONN_PDU_IOV */
		}
		t->data_done = imm;
	}
	m.immediate = false;
	m.final = sl->b_cnt == 0;
	/* RFC 7143 11.3.1: R / W say data is expected; none for a zero-length transfer. */
	m.read = t->dir == SESS_DIR_READ && t->xfer_len;
	m.write = t->dir == SESS_DIR_WRITE && t->xfer_len;
	m.attr = ISCSI_PDU_ATTR_SIMPLE;
	m.data_len = imm;
	m.lun = sess_lun_to_wire(t->lun);
	m.itt = t->itt;
	m.edtl = t->xfer_len;
	m.cmdsn = t->cmdsn;
	m.exp_statsn = s->exp_statsn;
	memcpy(m.cdb, t->cdb, t->cdb_len);
	if (iscsi_pdu_enc_scsi_cmd(sl->cmd.hdr, &m) < 0) {
		/* sess_submit() validated the task: this is an internal error. */
		sess_die(s, SESS_DEATH_PROTOCOL, "cannot encode SCSI Command ITT 0x%08x", t->itt);
		return;
	}
	sl->cmd.data_cnt = (unsigned int)cnt;
	sl->cmd.data_len = imm;
	sl->cmd.sent = slot_cmd_sent;
	s->st.cmds++;
	dbg(LOG_SUB_SESSION, "%s: cmd ITT 0x%08x CmdSN %u op 0x%02x len %u imm %u unsol %u",
	    s->name, t->itt, t->cmdsn, t->cdb[0], t->xfer_len, imm, unsol_end - imm);
	conn_send(&s->conn, &sl->cmd);
	sess_slot_dout_next(s, sl);
}

/* Issue waiting commands while the CmdSN window and the task table allow. */
void sess_kick(struct sess *s)
{
	if (s->in_kick)
		return;
	s->in_kick = true;
	conn_cork(&s->conn);
	while ((s->state == SESS_READY || s->state == SESS_LOGOUT) && !list_empty(&s->pending) &&
	       iscsi_sn_le(s->cmdsn, s->max_cmdsn)) {
		struct sess_slot *sl = sess_slot_get(s, SLOT_TASK);
		struct sess_task *t;

		if (!sl)
			break;
		t = list_entry(list_pop(&s->pending), struct sess_task, node);
		s->npending--;
		task_issue(s, sl, t);
	}
	conn_uncork(&s->conn);
	s->in_kick = false;
	sess_maybe_logout(s);
}

int sess_submit(struct sess *s, struct sess_task *t)
{
	uint64_t total = 0;
	unsigned int i;

	if (s->state != SESS_READY)
		return -ENOTCONN;
	if (!t || !t->done || t->cdb_len == 0 || t->cdb_len > 16 || t->iov_cnt > SESS_IOV_MAX ||
	    s->cfg.discovery)
		return -EINVAL;
	for (i = 0; i < t->iov_cnt; i++)
		total += t->iov[i].iov_len;
	if (t->dir == SESS_DIR_NONE ? t->xfer_len != 0 : total < t->xfer_len)
		return -EINVAL;
	if (t->dir != SESS_DIR_NONE && t->dir != SESS_DIR_READ && t->dir != SESS_DIR_WRITE)
		return -EINVAL;
	t->result = 0;
	t->sent = false;
	t->status = 0;
	t->response = 0;
	t->sense_len = 0;
	t->residual = 0;
	t->residual_under = t->residual_over = false;
	t->data_done = 0;
	t->r2t_pending = 0;
	t->priv = NULL;
	list_add_tail(&s->pending, &t->node);
	s->npending++;
	sess_kick(s);
	return 0;
}

/*
 * Complete a task. A PDU of it that is half in the socket must still go
 * out whole (framing) from the task's buffers, so done waits for it.
 */
void sess_task_finish(struct sess *s, struct sess_slot *sl, int result)
{
	struct sess_task *t = sl->task;

	conn_cancel(&s->conn, &sl->cmd);
	for (unsigned int i = 0; i < SESS_DOUT_PIPE; i++)
		if (conn_cancel(&s->conn, &sl->dout[i]) == 0)
			sl->dout_busy &= (uint8_t) ~(1u << i);
	if (sl->cmd.queued || slot_dout_queued(sl)) {
		sl->finishing = true;
		sl->finish_result = result;
		return;
	}
	t->sent = true;
	t->result = result;
	t->priv = NULL;
	sess_slot_put(s, sl);
	t->done(t);
}

/*
 * The target's answer to this command is malformed: the command comes back
 * with -EPROTO (session.h), the session dies, the others get -ECONNABORTED.
 */
void sess_task_malformed(struct sess *s, struct sess_slot *sl, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl->finishing = true;
	sl->finish_result = -EPROTO;
	sess_die(s, SESS_DEATH_PROTOCOL, "%s", msg);
}

/* Death: every outstanding thing comes back exactly once. */
void sess_tasks_abort_all(struct sess *s, bool closing)
{
	struct list_node *n;
	unsigned int i;

	for (i = 0; i < s->nslots; i++) {
		struct sess_slot *sl = &s->slot[i];
		struct sess_task *t = sl->task;

		switch (sl->kind) {
		case SLOT_TASK:
			t->sent = sl->cmd.off > 0;
			if (sl->finishing)
				t->result = sl->finish_result;
			else
				t->result = closing && !t->sent ? -ESHUTDOWN : -ECONNABORTED;
			t->priv = NULL;
			sess_slot_put(s, sl);
			t->done(t);
			break;
		case SLOT_PING:
		case SLOT_TMF:
		case SLOT_TEXT:
			sess_ctl_fail(s, sl, -ECONNABORTED);
			break;
		case SLOT_LOGOUT:
			sess_slot_put(s, sl);
			break;
		}
	}
	while ((n = list_pop(&s->pending))) {
		struct sess_task *t = list_entry(n, struct sess_task, node);

		s->npending--;
		t->sent = false;
		t->result = closing ? -ESHUTDOWN : -ECONNABORTED;
		t->done(t);
	}
	for (i = 0; i < SESS_ECHO_MAX; i++)
		s->echo[i].busy = false;
}
