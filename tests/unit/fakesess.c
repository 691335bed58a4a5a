/*
 * Fake sessions and a fake LUN for the path-layer tests; see fakesess.h.
 * The LUN side writes SCSI answers by hand (this is the target's side of
 * the wire, which src/scsi does not model).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "fakesess.h"
#include "util/bytes.h"

struct sess *fakesess_all[FAKESESS_MAX];
unsigned int fakesess_count;
struct fakelun *fakesess_lun_for[8];
int fakesess_start_result;
uint16_t fakesess_tpgt_for[8];
double fake_now = 1000.0;
bool fakesess_zombies;
double fakesess_zombie_retain = 2.0;
uint32_t fakesess_time2retain;
double fakesess_zombie_hold;

struct zombie {
	int path;
	uint8_t isid[6];
	uint16_t tpgt;
	uint64_t lba;
	uint32_t len;
	uint8_t *data;
	double from, until;
};

#define ZOMBIE_MAX 512
static struct zombie zombies[ZOMBIE_MAX];
static unsigned int nzombies;

static void zombie_drop(unsigned int i)
{
	free(zombies[i].data);
	zombies[i] = zombies[--nzombies];
}

static void zombie_keep(struct sess *s, struct sess_task *t)
{
	struct zombie *z;
	size_t off = 0;

	if (!fakesess_zombies || nzombies == ZOMBIE_MAX || !t->sent ||
	    (t->cdb[0] != 0x2a && t->cdb[0] != 0x8a))
		return;
	z = &zombies[nzombies++];
	z->path = s->path;
	memcpy(z->isid, s->isid, 6);
	z->tpgt = s->neg.tpgt;
	z->lba = t->cdb[0] == 0x2a ? get_be32(t->cdb + 2) : get_be64(t->cdb + 2);
	z->len = t->xfer_len;
	z->data = malloc(z->len);
	for (unsigned int i = 0; i < t->iov_cnt && off < z->len; i++) {
		memcpy(z->data + off, t->iov[i].iov_base, t->iov[i].iov_len);
		off += t->iov[i].iov_len;
	}
	z->from = fake_now + fakesess_zombie_hold;
	z->until = fake_now + fakesess_zombie_retain;
}

unsigned int fakesess_zombies_pending(void)
{
	return nzombies;
}

unsigned int fakesess_zombie_land(unsigned int pick)
{
	struct fakelun *l;
	struct zombie *z;
	unsigned int n = 0, i;

	for (i = 0; i < nzombies;) {
		if (fake_now >= zombies[i].until)
			zombie_drop(i); /* the target cleaned the old session up */
		else
			i++;
	}
	for (i = 0; i < nzombies; i++)
		n += fake_now >= zombies[i].from;
	if (!n)
		return 0;
	pick %= n;
	for (i = 0;; i++)
		if (fake_now >= zombies[i].from && pick-- == 0)
			break;
	z = &zombies[i];
	l = z->path >= 0 && z->path < 8 ? fakesess_lun_for[z->path] : NULL;
	if (l && z->lba * l->bs + z->len <= l->nblocks * l->bs)
		memcpy(l->data + z->lba * l->bs, z->data, z->len);
	zombie_drop(i);
	return 1;
}

double fake_clock(void *opaque)
{
	(void)opaque;
	return fake_now;
}

void fakelun_init(struct fakelun *l, uint64_t nblocks, uint32_t bs, uint8_t naa_seed)
{
	memset(l, 0, sizeof(*l));
	l->nblocks = nblocks;
	l->bs = bs;
	l->naa[0] = 0x60;
	for (int i = 1; i < 16; i++)
		l->naa[i] = (uint8_t)(naa_seed + i);
	l->wce = true;
	l->dpofua = true;
	l->lbpu = true;
	l->lbpws = true;
	l->rotation = 1;
	l->medium_error_lba = -1;
	l->data = calloc(nblocks, bs);
}

void fakelun_free(struct fakelun *l)
{
	free(l->data);
	l->data = NULL;
}

/* ---- session side ---- */

static struct sess *f_new(struct ev_loop *loop, const struct sess_config *cfg,
			  const struct sess_callbacks *cb, void *opaque)
{
	struct sess *s;

	if (fakesess_count == FAKESESS_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	s->id = fakesess_count;
	s->path = ntohs(((const struct sockaddr_in *)&cfg->portal)->sin_port) - 3260;
	snprintf(s->name, sizeof(s->name), "%s", cfg->name);
	memcpy(s->isid, cfg->isid, 6);
	s->tsih = cfg->tsih;
	s->chap = cfg->chap;
	s->fence = strstr(cfg->name, " fence") != NULL;
	s->st = SESS_IDLE;
	s->cb = *cb;
	s->opaque = opaque;
	list_init(&s->tasks);
	s->last_rx = fake_now;
	s->neg.default_time2wait = 2;
	s->neg.default_time2retain = fakesess_time2retain;
	s->neg.tpgt = s->path >= 0 && s->path < 8 ? fakesess_tpgt_for[s->path] : 0;
	fakesess_all[fakesess_count++] = s;
	return s;
}

static void set_state(struct sess *s, enum sess_state st, enum sess_death why)
{
	s->st = st;
	s->cb.on_state(s, st, why, "", s->opaque);
}

static int f_start(struct sess *s)
{
	if (fakesess_start_result)
		return fakesess_start_result;
	s->st = SESS_CONNECTING;
	return 0;
}

static int f_submit(struct sess *s, struct sess_task *t)
{
	if (s->st != SESS_READY)
		return -ENOTCONN;
	t->result = 0;
	t->sent = true;
	t->status = 0;
	t->response = 0; /* as sess_submit() does */
	t->sense_len = 0;
	t->residual = 0;
	t->residual_under = t->residual_over = false;
	list_add_tail(&s->tasks, &t->node);
	s->ntasks++;
	s->submitted++;
	return 0;
}

static int f_ping(struct sess *s, void (*cb)(void *, int), void *opaque)
{
	if (s->st != SESS_READY)
		return -ENOTCONN;
	s->ping_cb = cb;
	s->ping_opaque = opaque;
	s->pings++;
	return 0;
}

static ev_tstamp f_last_rx(const struct sess *s)
{
	return s->last_rx;
}

static bool f_rx_waiting(struct sess *s)
{
	return s->rx_waiting;
}

static int f_abort(struct sess *s, struct sess_task *victim, void (*cb)(void *, int), void *opaque)
{
	return -ENOTSUP;
}

static void finish_task(struct sess *s, struct sess_task *t)
{
	list_del(&t->node);
	s->ntasks--;
	t->done(t);
}

static void fs_kill(struct sess *s, enum sess_death why)
{
	void (*pcb)(void *, int) = s->ping_cb;

	if (s->st == SESS_DEAD)
		return;
	s->st = SESS_DEAD;
	while (!list_empty(&s->tasks)) {
		struct sess_task *t = list_entry(s->tasks.next, struct sess_task, node);

		if (why != SESS_DEATH_LOGOUT)
			zombie_keep(s, t);
		t->result = -ECONNABORTED;
		finish_task(s, t);
	}
	s->ping_cb = NULL;
	if (pcb)
		pcb(s->ping_opaque, -ECONNABORTED);
	s->cb.on_state(s, SESS_DEAD, why, "", s->opaque);
}

static void f_close(struct sess *s)
{
	s->closed = true;
	fs_kill(s, SESS_DEATH_CLOSED);
}

static int f_logout(struct sess *s)
{
	if (s->st != SESS_READY)
		return -ENOTCONN;
	s->logouts++;
	s->st = SESS_LOGOUT;
	if (list_empty(&s->tasks))
		fs_kill(s, SESS_DEATH_LOGOUT);
	return 0;
}

static void f_free(struct sess *s)
{
	/* Kept allocated so tests can still look at it; marked freed. */
	if (s->freed)
		abort(); /* double free */
	if (s->st != SESS_DEAD && s->st != SESS_IDLE)
		abort(); /* the contract: only IDLE or DEAD sessions are freed */
	s->freed = true;
}

static enum sess_state f_state(const struct sess *s)
{
	return s->st;
}

static const struct iscsi_params *f_negotiated(const struct sess *s)
{
	return &s->neg;
}

const struct path_transport_ops fakesess_ops = {
	.new = f_new,
	.start = f_start,
	.submit = f_submit,
	.ping = f_ping,
	.last_rx = f_last_rx,
	.rx_waiting = f_rx_waiting,
	.abort = f_abort,
	.logout = f_logout,
	.close = f_close,
	.free = f_free,
	.state = f_state,
	.negotiated = f_negotiated,
};

void fakesess_reset(void)
{
	while (nzombies)
		zombie_drop(0);
	fakesess_zombies = false;
	for (unsigned int i = 0; i < fakesess_count; i++)
		free(fakesess_all[i]);
	fakesess_count = 0;
	fakesess_start_result = 0;
	fakesess_zombie_retain = 2.0;
	fakesess_time2retain = 0;
	fakesess_zombie_hold = 0;
	memset(fakesess_tpgt_for, 0, sizeof(fakesess_tpgt_for));
}

struct sess *fakesess_latest(int idx)
{
	for (unsigned int i = fakesess_count; i-- > 0;)
		if (fakesess_all[i]->path == idx && !fakesess_all[i]->fence)
			return fakesess_all[i];
	return NULL;
}

unsigned int fakesess_sessions_for(int idx)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < fakesess_count; i++)
		n += fakesess_all[i]->path == idx && !fakesess_all[i]->fence;
	return n;
}

struct sess *fakesess_latest_fence(int via)
{
	for (unsigned int i = fakesess_count; i-- > 0;)
		if (fakesess_all[i]->path == via && fakesess_all[i]->fence)
			return fakesess_all[i];
	return NULL;
}

unsigned int fakesess_fences_for(int via)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < fakesess_count; i++)
		n += fakesess_all[i]->path == via && fakesess_all[i]->fence;
	return n;
}

void fakesess_login(struct sess *s)
{
	/* RFC 7143 6.3.5: a login with the ISID of an old session on the same
	 * portal group (through any of its portals) ends it, and its tasks,
	 * before it succeeds. */
	for (unsigned int i = 0; i < nzombies;) {
		if (zombies[i].tpgt == s->neg.tpgt && memcmp(zombies[i].isid, s->isid, 6) == 0)
			zombie_drop(i);
		else
			i++;
	}
	s->last_rx = fake_now;
	set_state(s, SESS_LOGIN, SESS_DEATH_NONE);
	set_state(s, SESS_READY, SESS_DEATH_NONE);
}

void fakesess_die(struct sess *s)
{
	fs_kill(s, SESS_DEATH_CONN_LOST);
}

struct sess_task *fakesess_peek(struct sess *s)
{
	if (list_empty(&s->tasks))
		return NULL;
	return list_entry(s->tasks.next, struct sess_task, node);
}

void fakesess_rx(struct sess *s)
{
	s->last_rx = fake_now;
}

void fakesess_pong(struct sess *s)
{
	void (*cb)(void *, int) = s->ping_cb;

	if (!cb)
		return; /* no NOP-Out outstanding: no NOP-In comes */
	s->last_rx = fake_now;
	s->ping_cb = NULL;
	if (cb)
		cb(s->ping_opaque, 0);
}

static void check_condition(struct sess_task *t, uint8_t key, uint8_t asc, uint8_t ascq)
{
	t->status = 0x02;
	memset(t->sense, 0, 18);
	t->sense[0] = 0x70;
	t->sense[2] = key;
	t->sense[7] = 10;
	t->sense[12] = asc;
	t->sense[13] = ascq;
	t->sense_len = 18;
}

void fakesess_fail_one(struct sess *s, uint8_t status, uint8_t key, uint8_t asc, uint8_t ascq)
{
	struct sess_task *t = fakesess_peek(s);

	if (!t)
		return;
	s->last_rx = fake_now;
	if (status == 0x02)
		check_condition(t, key, asc, ascq);
	else
		t->status = status;
	finish_task(s, t);
	if (s->st == SESS_LOGOUT && list_empty(&s->tasks))
		fs_kill(s, SESS_DEATH_LOGOUT);
}

/* ---- the LUN side ---- */

/* Copy reply bytes into the task's buffers, setting the residual. */
static void reply_data(struct sess_task *t, const uint8_t *buf, size_t len)
{
	size_t want = t->xfer_len, off = 0;

	if (len > want)
		len = want;
	for (unsigned int i = 0; i < t->iov_cnt && off < len; i++) {
		size_t n = t->iov[i].iov_len;

		if (n > len - off)
			n = len - off;
		memcpy(t->iov[i].iov_base, buf + off, n);
		off += n;
	}
	if (len < want) {
		t->residual_under = true;
		t->residual = (uint32_t)(want - len);
	}
}

static size_t inquiry(struct fakelun *l, const uint8_t *cdb, uint8_t *out)
{
	memset(out, 0, 512);
	if (!(cdb[1] & 1)) {
		out[0] = 0x00; /* connected, direct access */
		out[2] = 0x06;
		out[3] = 0x02;
		out[4] = 91;
		out[7] = 0x02; /* CMDQUE */
		memcpy(out + 8, "FAKE    ", 8);
		memcpy(out + 16, "PATH TEST LUN   ", 16);
		memcpy(out + 32, "0001", 4);
		return 96;
	}
	out[1] = cdb[2];
	switch (cdb[2]) {
	case 0x00: {
		static const uint8_t pages[] = {0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2};

		out[3] = sizeof(pages);
		memcpy(out + 4, pages, sizeof(pages));
		return 4 + sizeof(pages);
	}
	case 0x80:
		out[3] = 6;
		memcpy(out + 4, "SER123", 6);
		return 10;
	case 0x83:
		/* NAA, binary, LU association */
		out[4] = 0x01;
		out[5] = 0x03;
		out[7] = 16;
		memcpy(out + 8, l->naa, 16);
		put_be16(out + 2, 20);
		return 24;
	case 0xb0:
		put_be16(out + 2, 0x3c);
		put_be32(out + 8, l->max_xfer_blocks);
		put_be32(out + 20, l->max_unmap_blocks);
		put_be32(out + 24, l->max_unmap_blocks ? 1 : 0);
		return 64;
	case 0xb1:
		put_be16(out + 2, 0x3c);
		put_be16(out + 4, l->rotation);
		return 64;
	case 0xb2:
		put_be16(out + 2, 4);
		out[5] = (uint8_t)((l->lbpu ? 0x80 : 0) | (l->lbpws ? 0x40 : 0) | 0x04);
		out[6] = 2;
		return 8;
	}
	return 0;
}

static bool range_ok(struct fakelun *l, uint64_t lba, uint64_t n)
{
	return lba <= l->nblocks && n <= l->nblocks - lba;
}

static void gather(struct sess_task *t, uint8_t *dst, size_t len)
{
	size_t off = 0;

	for (unsigned int i = 0; i < t->iov_cnt && off < len; i++) {
		size_t n = t->iov[i].iov_len < len - off ? t->iov[i].iov_len : len - off;

		memcpy(dst + off, t->iov[i].iov_base, n);
		off += n;
	}
}

static void answer(struct fakelun *l, struct sess_task *t)
{
	const uint8_t *c = t->cdb;
	uint8_t buf[512];
	uint64_t lba = 0, n = 0;
	bool wr = false;
	size_t len;

	if (!l) {
		check_condition(t, 0x05, 0x25, 0x00); /* LOGICAL UNIT NOT SUPPORTED */
		return;
	}
	memcpy(l->last_cdb, t->cdb, 16);
	if (l->ua_count) {
		l->ua_count--;
		check_condition(t, 0x06, 0x29, 0x00); /* POWER ON, RESET */
		return;
	}
	switch (c[0]) {
	case 0x00:
		return;
	case 0x12:
		len = inquiry(l, c, buf);
		if (!len) {
			check_condition(t, 0x05, 0x24, 0x00);
			return;
		}
		reply_data(t, buf, len);
		return;
	case 0x9e:
		if (l->no_rc16) {
			check_condition(t, 0x05, 0x20, 0x00);
			return;
		}
		memset(buf, 0, 32);
		put_be64(buf, l->nblocks - 1);
		put_be32(buf + 8, l->bs);
		buf[14] = l->lbpu || l->lbpws ? 0x80 : 0;
		reply_data(t, buf, 32);
		return;
	case 0x25:
		memset(buf, 0, 8);
		put_be32(buf,
			 l->nblocks - 1 > 0xffffffffu ? 0xffffffffu : (uint32_t)(l->nblocks - 1));
		put_be32(buf + 4, l->bs);
		reply_data(t, buf, 8);
		return;
	case 0x5a:
	case 0x1a: {
		size_t h = c[0] == 0x5a ? 8 : 4;

		if (c[0] == 0x5a && l->no_ms10) {
			check_condition(t, 0x05, 0x20, 0x00);
			return;
		}
		memset(buf, 0, 64);
		buf[h] = 0x08;
		buf[h + 1] = 0x12;
		buf[h + 2] = l->wce ? 0x04 : 0;
		len = h + 20;
		if (h == 8) {
			put_be16(buf, (uint16_t)(len - 2));
			buf[3] = (uint8_t)((l->wp ? 0x80 : 0) | (l->dpofua ? 0x10 : 0));
		} else {
			buf[0] = (uint8_t)(len - 1);
			buf[2] = (uint8_t)((l->wp ? 0x80 : 0) | (l->dpofua ? 0x10 : 0));
		}
		reply_data(t, buf, len);
		return;
	}
	case 0x28:
	case 0x2a:
		lba = get_be32(c + 2);
		n = get_be16(c + 7);
		wr = c[0] == 0x2a;
		break;
	case 0x88:
	case 0x8a:
		lba = get_be64(c + 2);
		n = get_be32(c + 10);
		wr = c[0] == 0x8a;
		break;
	case 0x35:
	case 0x91:
		l->syncs++;
		return;
	case 0x42: {
		uint8_t p[24];

		gather(t, p, sizeof(p));
		lba = get_be64(p + 8);
		n = get_be32(p + 16);
		if (!range_ok(l, lba, n)) {
			check_condition(t, 0x05, 0x21, 0x00);
			return;
		}
		memset(l->data + lba * l->bs, 0, n * l->bs);
		l->unmaps++;
		return;
	}
	case 0x93:
		lba = get_be64(c + 2);
		n = get_be32(c + 10);
		if (!range_ok(l, lba, n)) {
			check_condition(t, 0x05, 0x21, 0x00);
			return;
		}
		for (uint64_t i = 0; i < n; i++)
			gather(t, l->data + (lba + i) * l->bs, l->bs);
		l->write_sames++;
		return;
	default:
		check_condition(t, 0x05, 0x20, 0x00); /* INVALID COMMAND OPERATION CODE */
		return;
	}
	if (!range_ok(l, lba, n)) {
		check_condition(t, 0x05, 0x21, 0x00);
		return;
	}
	if (n * l->bs != t->xfer_len) {
		check_condition(t, 0x05, 0x24, 0x00);
		return;
	}
	if (wr && l->wp) {
		check_condition(t, 0x07, 0x27, 0x00);
		return;
	}
	if (!wr && l->medium_error_lba >= 0 && (uint64_t)l->medium_error_lba >= lba &&
	    (uint64_t)l->medium_error_lba < lba + n) {
		check_condition(t, 0x03, 0x11, 0x00);
		return;
	}
	if (wr) {
		gather(t, l->data + lba * l->bs, n * l->bs);
		l->writes++;
	} else {
		reply_data(t, l->data + lba * l->bs, n * l->bs);
		l->reads++;
	}
}

bool fakesess_serve_one(struct sess *s)
{
	struct sess_task *t = fakesess_peek(s);

	if (!t)
		return false;
	s->last_rx = fake_now;
	answer(s->path >= 0 && s->path < 8 ? fakesess_lun_for[s->path] : NULL, t);
	finish_task(s, t);
	if (s->st == SESS_LOGOUT && list_empty(&s->tasks))
		fs_kill(s, SESS_DEATH_LOGOUT);
	return true;
}

unsigned int fakesess_serve(struct sess *s)
{
	unsigned int n = 0;

	while (fakesess_serve_one(s))
		n++;
	return n;
}

/*
 * What the real session does with a malformed answer (src/session/task.c
 * task_malformed): the oldest task's buffer got part of the data (here
 * scribbled over with 0xee, the stale bytes a short read leaves), the task
 * comes back with -EPROTO, the session is DEAD (SESS_DEATH_PROTOCOL, on_state
 * first) and the other tasks come back with -ECONNABORTED.
 */
void fakesess_malformed_one(struct sess *s)
{
	struct sess_task *t = fakesess_peek(s);

	if (!t || s->st == SESS_DEAD)
		return;
	s->last_rx = fake_now;
	for (unsigned int i = 0; i < t->iov_cnt; i++)
		if (t->dir == SESS_DIR_READ)
			memset(t->iov[i].iov_base, 0xee, t->iov[i].iov_len);
	s->st = SESS_DEAD;
	s->cb.on_state(s, SESS_DEAD, SESS_DEATH_PROTOCOL, "malformed Data-In", s->opaque);
	t->result = -EPROTO;
	t->sent = true;
	finish_task(s, t);
	while (!list_empty(&s->tasks)) {
		t = list_entry(s->tasks.next, struct sess_task, node);
		t->result = -ECONNABORTED;
		t->sent = true;
		finish_task(s, t);
	}
}

void fakesess_reject_one(struct sess *s)
{
	struct sess_task *t = fakesess_peek(s);

	if (!t || s->st == SESS_DEAD)
		return;
	s->last_rx = fake_now;
	t->result = -EIO;
	t->sent = true;
	finish_task(s, t);
}

/* Answer the oldest task from the LUN, then overwrite what the target reported. */
void fakesess_answer_one(struct sess *s, uint8_t response, uint8_t status, bool under,
			 uint32_t residual)
{
	struct sess_task *t = fakesess_peek(s);

	if (!t)
		return;
	s->last_rx = fake_now;
	answer(s->path >= 0 && s->path < 8 ? fakesess_lun_for[s->path] : NULL, t);
	t->response = response;
	t->status = status;
	t->residual_under = under;
	t->residual = residual;
	finish_task(s, t);
}
