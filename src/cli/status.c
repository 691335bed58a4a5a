/*
 * Status of a running export for the control socket: the device, the LUN,
 * each path (state, why and how long ago it changed, counters, latency)
 * and each NBD socket, as text or JSON. Secrets never appear here: the
 * report is built from the device's state, not from the configuration's
 * credentials.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <ev.h>
#include <json-c/json.h>

#include "cli/portal.h"
#include "cli/status.h"
#include "nbd/server.h"
#include "path/device.h"
#include "path/policy.h"
#include "scsi/spc.h"
#include "util/hpoll.h"
#include "util/escape.h"

struct outbuf {
	char *p;
	size_t cap, len;
};

static void out(struct outbuf *o, const char *fmt, ...) ISN_PRINTF(2, 3);
static void out(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n;
	if (o->len >= o->cap)
		o->len = o->cap - 1;
}

/*
 * JSON through json-c, which escapes quotes, backslashes and controls. It
 * passes other bytes through, so strings that may hold a target's text
 * (the target name, the LUN identity, a path's reason) are made printable
 * ASCII first: the report is valid JSON whatever a target sends.
 */
static json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static json_object *jstr_peer(const char *s)
{
	char esc[STR_ESC_VALUE_MAX];

	s = s ? s : "";
	str_escape_flags(esc, sizeof(esc), s, strlen(s), STR_ESC_KEEP_BACKSLASH);
	return json_object_new_string(esc);
}

/* A double printed as "%.3f", as the report always showed it. */
static json_object *jdouble3(double v)
{
	char txt[64];

	snprintf(txt, sizeof(txt), "%.3f", v);
	return json_object_new_double_s(v, txt);
}

static void path_portal(const struct export_config *cfg, unsigned int i, char *buf, size_t len)
{
	if (i < cfg->dev.npaths)
		portal_format((const struct sockaddr *)&cfg->dev.paths[i].portal, buf, len);
	else
		snprintf(buf, len, "?");
}

static void conn_text(const struct nbdsrv_conn *c, void *arg)
{
	const struct nbdsrv_conn_stats *st = nbdsrv_conn_stats(c);
	SSL *ssl = nbdsrv_conn_ssl(c);

	out(arg,
	    "  %s: requests %" PRIu64 ", read %" PRIu64 " bytes, written %" PRIu64
	    " bytes, errors %" PRIu64 ", in flight %u\n",
	    nbdsrv_conn_name(c), st->requests, st->bytes_read, st->bytes_written, st->errors,
	    st->inflight);
	if (ssl) {
		struct nbdsrv_tls_info ti;

		nbdsrv_tls_describe(ssl, &ti);
		out(arg, "    TLS: %s, %s%s%s\n", ti.version, ti.cipher, ti.peer[0] ? ", " : "",
		    ti.peer);
	} else if (nbdsrv_conn_peer(c)[0]) {
		out(arg, "    TLS: no\n");
	}
}

/* {version, cipher, psk_identity, certificate_subject}, or null without TLS. */
static json_object *conn_tls_json(const struct nbdsrv_conn *c)
{
	SSL *ssl = nbdsrv_conn_ssl(c);
	struct nbdsrv_tls_info ti;
	json_object *t;

	if (!ssl)
		return NULL;
	nbdsrv_tls_describe(ssl, &ti);
	t = json_object_new_object();
	json_object_object_add(t, "version", jstr(ti.version));
	json_object_object_add(t, "cipher", jstr(ti.cipher));
	json_object_object_add(t, "psk_identity",
			       strncmp(ti.peer, "psk:", 4) == 0 ? jstr(ti.peer + 4) : NULL);
	json_object_object_add(t, "certificate_subject",
			       strncmp(ti.peer, "x509:", 5) == 0 ? jstr_peer(ti.peer + 5) : NULL);
	return t;
}

static void conn_json(const struct nbdsrv_conn *c, void *arg)
{
	json_object *arr = arg, *o = json_object_new_object();
	const struct nbdsrv_conn_stats *st = nbdsrv_conn_stats(c);

	json_object_object_add(o, "name", jstr(nbdsrv_conn_name(c)));
	json_object_object_add(o, "address",
			       nbdsrv_conn_peer(c)[0] ? jstr(nbdsrv_conn_peer(c)) : NULL);
	json_object_object_add(o, "tls", conn_tls_json(c));
	json_object_object_add(o, "requests", json_object_new_uint64(st->requests));
	json_object_object_add(o, "bytes_read", json_object_new_uint64(st->bytes_read));
	json_object_object_add(o, "bytes_written", json_object_new_uint64(st->bytes_written));
	json_object_object_add(o, "errors", json_object_new_uint64(st->errors));
	json_object_object_add(o, "in_flight", json_object_new_uint64(st->inflight));
	json_object_array_add(arr, o);
}

/* Exclusive access (iscsi-nbd.8): the policy and what the device knows of the holder. */
static const char *resv_state(const struct export_config *cfg, struct path_device *dev,
			      uint64_t *key, uint8_t *type)
{
	*key = 0;
	*type = 0;
	if (cfg->dev.read_only)
		return "read-only";
	if (!cfg->dev.pr_key)
		return "none";
	switch (dev ? path_device_resv_state(dev, key, type) : 0) {
	case 1:
		return "reserved";
	case -1:
		return "taken";
	case -2:
		return "unsupported";
	default:
		return "pending";
	}
}

/* Hybrid polling (--poll-us): how often the loop polled instead of sleeping, and for how long. */
static void poll_text(const struct hpoll *h, struct outbuf *o)
{
	if (!h) {
		out(o, "  polling off\n");
		return;
	}
	out(o,
	    "  polling up to %" PRIu64 " us: %" PRIu64 " spins, %" PRIu64
	    " found an event, %.3f s spinning, %" PRIu64 " back-offs (CPU contended)\n",
	    h->max_ns / 1000, h->spins, h->hits, h->spin_ns * 1e-9, h->backoffs);
}

static json_object *poll_json(const struct hpoll *h)
{
	json_object *o;

	if (!h)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "max_us", json_object_new_uint64(h->max_ns / 1000));
	json_object_object_add(o, "spins", json_object_new_uint64(h->spins));
	json_object_object_add(o, "hits", json_object_new_uint64(h->hits));
	json_object_object_add(o, "spin_seconds", jdouble3(h->spin_ns * 1e-9));
	json_object_object_add(o, "backoffs", json_object_new_uint64(h->backoffs));
	return o;
}

static void status_text(struct export *e, struct outbuf *o)
{
	const struct export_config *cfg = export_config(e);
	struct path_device *dev = export_device(e);
	unsigned int i, n;
	double now = ev_now(EV_DEFAULT);

	out(o, "%s: %s", export_name(e), export_state_name(e));
	if (export_devpath(e))
		out(o, ", %s", export_devpath(e));
	out(o, "\n  target %s lun %" PRIu64 ", policy %s\n", cfg->dev.target_name, cfg->dev.lun,
	    path_policy_name(cfg->dev.policy.kind));
	if (dev && path_device_ready(dev)) {
		const struct bdev_info *info = &path_device_bdev(dev)->info;

		out(o, "  size %" PRIu64 " bytes, logical block %u, physical block %u\n",
		    info->size_bytes, info->logical_block_size, info->physical_block_size);
		out(o, "  identity %s\n", info->ident[0] ? info->ident : "(none)");
		out(o, "  write cache %s, fua %s, discard %s, write zeroes %s%s\n",
		    info->write_cache ? "on" : "off", info->fua ? "yes" : "no",
		    info->discard ? "yes" : "no", info->write_zeroes ? "yes" : "no",
		    info->read_only ? ", read-only" : "");
	}
	{
		uint64_t key;
		uint8_t type;
		const char *st = resv_state(cfg, dev, &key, &type);

		if (key)
			out(o, "  reservation %s, key 0x%016" PRIx64 " (%s)%s\n", st, key,
			    scsi_pr_type_name(type),
			    strcmp(st, "taken") == 0 ? ": LUN TAKEN by another host, writes fail"
						     : "");
		else
			out(o, "  reservation %s\n", st);
	}
	poll_text(export_poll_state(e), o);
	n = dev ? path_device_npaths(dev) : 0;
	for (i = 0; i < n; i++) {
		struct path_status ps;
		char portal[80], reason[STR_ESC_VALUE_MAX];

		path_device_path_status(dev, i, &ps);
		path_portal(cfg, i, portal, sizeof(portal));
		/* The reason may quote a target: escaped, as in the JSON report. */
		str_escape_flags(reason, sizeof(reason), ps.reason, strlen(ps.reason),
				 STR_ESC_KEEP_BACKSLASH);
		out(o, "  %s %s: %s for %.1fs (%s)\n", ps.name, portal, path_state_name(ps.state),
		    now - ps.since, reason[0] ? reason : "-");
		out(o,
		    "    ios %" PRIu64 ", bytes %" PRIu64 ", errors %" PRIu64 ", failures %" PRIu64
		    ", retries %" PRIu64 ", in flight %u, latency %.3f ms\n",
		    ps.ios, ps.bytes, ps.errors, ps.failures, ps.retries, ps.inflight_cmds,
		    ps.latency_ewma * 1000.);
		out(o, "    re-login back-off %u ms%s\n", ps.backoff_ms,
		    ps.reinstated ? ", longer: another initiator reinstates our ISID" : "");
		if (ps.last_fence[0])
			out(o, "    last fence: %s, %.0f ms after the session died\n",
			    ps.last_fence, ps.fence_ms);
	}
	export_foreach_conn(e, conn_text, o);
}

static json_object *path_json(const struct export_config *cfg, struct path_device *dev,
			      unsigned int i, double now)
{
	json_object *o = json_object_new_object();
	struct path_status ps;
	char portal[80];

	path_device_path_status(dev, i, &ps);
	path_portal(cfg, i, portal, sizeof(portal));
	json_object_object_add(o, "name", jstr(ps.name));
	json_object_object_add(o, "portal", jstr(portal));
	json_object_object_add(o, "state", jstr(path_state_name(ps.state)));
	json_object_object_add(o, "reason", jstr_peer(ps.reason));
	json_object_object_add(o, "seconds_in_state", jdouble3(now - ps.since));
	json_object_object_add(o, "ios", json_object_new_uint64(ps.ios));
	json_object_object_add(o, "bytes", json_object_new_uint64(ps.bytes));
	json_object_object_add(o, "errors", json_object_new_uint64(ps.errors));
	json_object_object_add(o, "failures", json_object_new_uint64(ps.failures));
	json_object_object_add(o, "retries", json_object_new_uint64(ps.retries));
	json_object_object_add(o, "in_flight", json_object_new_uint64(ps.inflight_cmds));
	json_object_object_add(o, "latency_ms", jdouble3(ps.latency_ewma * 1000.));
	json_object_object_add(o, "backoff_ms", json_object_new_uint64(ps.backoff_ms));
	json_object_object_add(o, "reinstated", json_object_new_boolean(ps.reinstated));
	json_object_object_add(o, "last_fence", ps.last_fence[0] ? jstr(ps.last_fence) : NULL);
	json_object_object_add(o, "last_fence_ms", ps.last_fence[0] ? jdouble3(ps.fence_ms) : NULL);
	return o;
}

/* The report as one JSON object; caller puts it. NULL on allocation failure. */
static json_object *status_json(struct export *e)
{
	const struct export_config *cfg = export_config(e);
	struct path_device *dev = export_device(e);
	json_object *o = json_object_new_object(), *paths, *socks;
	unsigned int i, n;
	double now = ev_now(EV_DEFAULT);

	if (!o)
		return NULL;
	json_object_object_add(o, "name", jstr(export_name(e)));
	json_object_object_add(o, "state", jstr(export_state_name(e)));
	json_object_object_add(o, "device", export_devpath(e) ? jstr(export_devpath(e)) : NULL);
	json_object_object_add(o, "target", jstr_peer(cfg->dev.target_name));
	json_object_object_add(o, "lun", json_object_new_uint64(cfg->dev.lun));
	json_object_object_add(o, "policy", jstr(path_policy_name(cfg->dev.policy.kind)));
	if (dev && path_device_ready(dev)) {
		const struct bdev_info *info = &path_device_bdev(dev)->info;

		json_object_object_add(o, "size_bytes", json_object_new_uint64(info->size_bytes));
		json_object_object_add(o, "logical_block_size",
				       json_object_new_uint64(info->logical_block_size));
		json_object_object_add(o, "physical_block_size",
				       json_object_new_uint64(info->physical_block_size));
		json_object_object_add(o, "identity", jstr_peer(info->ident));
		json_object_object_add(o, "write_cache",
				       json_object_new_boolean(info->write_cache));
		json_object_object_add(o, "read_only", json_object_new_boolean(info->read_only));
	}
	{
		json_object *r = json_object_new_object();
		uint64_t key;
		uint8_t type;
		char kb[24];

		json_object_object_add(r, "state", jstr(resv_state(cfg, dev, &key, &type)));
		snprintf(kb, sizeof(kb), "0x%016" PRIx64, key);
		json_object_object_add(r, "key", key ? jstr(kb) : NULL);
		json_object_object_add(r, "type", key ? json_object_new_int(type) : NULL);
		json_object_object_add(o, "reservation", r);
	}
	json_object_object_add(o, "poll", poll_json(export_poll_state(e)));
	paths = json_object_new_array();
	n = dev ? path_device_npaths(dev) : 0;
	for (i = 0; i < n; i++)
		json_object_array_add(paths, path_json(cfg, dev, i, now));
	json_object_object_add(o, "paths", paths);
	socks = json_object_new_array();
	export_foreach_conn(e, conn_json, socks);
	json_object_object_add(o, "sockets", socks);
	return o;
}

/* "ok" and the JSON report, or an error line if it does not fit whole. */
static void status_json_out(struct export *e, struct outbuf *o)
{
	json_object *j = status_json(e);
	const char *txt = j ? json_object_to_json_string_ext(
				      j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
			    : NULL;

	/* A cut report would be invalid JSON: say so instead. */
	if (!txt)
		out(o, "error: out of memory\n");
	else if (strlen(txt) + 5 > o->cap - o->len)
		out(o, "error: status report larger than %zu bytes\n", o->cap);
	else
		out(o, "ok\n%s\n", txt);
	json_object_put(j);
}

size_t status_ctl_handler(const char *req, char *buf, size_t cap, void *opaque)
{
	struct export *e = opaque;
	struct outbuf o = {.p = buf, .cap = cap};

	if (strcmp(req, "status") == 0) {
		out(&o, "ok\n");
		status_text(e, &o);
	} else if (strcmp(req, "status json") == 0) {
		status_json_out(e, &o);
	} else if (strcmp(req, "detach") == 0) {
		out(&o, "ok\n%s: stopping\n", export_name(e));
		export_request_stop(e);
	} else {
		char esc[48]; /* a local client's bytes go back to it inert, too */

		out(&o, "error: unknown request '%s'\n", str_esc(esc, sizeof(esc), req));
	}
	return o.len;
}
