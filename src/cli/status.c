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

#include "cli/portal.h"
#include "cli/status.h"
#include "nbd/server.h"
#include "path/device.h"
#include "path/policy.h"

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

/* A JSON string: quotes, backslashes and control characters escaped. */
static void out_jstr(struct outbuf *o, const char *s)
{
	out(o, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			out(o, "\\%c", c);
		else if (c < 0x20)
			out(o, "\\u%04x", c);
		else
			out(o, "%c", c);
	}
	out(o, "\"");
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

	out(arg,
	    "  %s: requests %" PRIu64 ", read %" PRIu64 " bytes, written %" PRIu64
	    " bytes, errors %" PRIu64 ", in flight %u\n",
	    nbdsrv_conn_name(c), st->requests, st->bytes_read, st->bytes_written, st->errors,
	    st->inflight);
}

struct conn_json_ctx {
	struct outbuf *o;
	bool first;
};

static void conn_json(const struct nbdsrv_conn *c, void *arg)
{
	struct conn_json_ctx *cj = arg;
	const struct nbdsrv_conn_stats *st = nbdsrv_conn_stats(c);

	out(cj->o, "%s{\"name\":", cj->first ? "" : ",");
	cj->first = false;
	out_jstr(cj->o, nbdsrv_conn_name(c));
	out(cj->o,
	    ",\"requests\":%" PRIu64 ",\"bytes_read\":%" PRIu64 ",\"bytes_written\":%" PRIu64
	    ",\"errors\":%" PRIu64 ",\"in_flight\":%u}",
	    st->requests, st->bytes_read, st->bytes_written, st->errors, st->inflight);
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
	n = dev ? path_device_npaths(dev) : 0;
	for (i = 0; i < n; i++) {
		struct path_status ps;
		char portal[80];

		path_device_path_status(dev, i, &ps);
		path_portal(cfg, i, portal, sizeof(portal));
		out(o, "  %s %s: %s for %.1fs (%s)\n", ps.name, portal, path_state_name(ps.state),
		    now - ps.since, ps.reason[0] ? ps.reason : "-");
		out(o,
		    "    ios %" PRIu64 ", bytes %" PRIu64 ", errors %" PRIu64 ", failures %" PRIu64
		    ", retries %" PRIu64 ", in flight %u, latency %.3f ms\n",
		    ps.ios, ps.bytes, ps.errors, ps.failures, ps.retries, ps.inflight_cmds,
		    ps.latency_ewma * 1000.);
		out(o, "    re-login back-off %u ms%s\n", ps.backoff_ms,
		    ps.reinstated ? ", longer: another initiator reinstates our ISID" : "");
	}
	export_foreach_conn(e, conn_text, o);
}

static void status_json(struct export *e, struct outbuf *o)
{
	const struct export_config *cfg = export_config(e);
	struct path_device *dev = export_device(e);
	struct conn_json_ctx cj = {.o = o, .first = true};
	unsigned int i, n;
	double now = ev_now(EV_DEFAULT);

	out(o, "{\"name\":");
	out_jstr(o, export_name(e));
	out(o, ",\"state\":");
	out_jstr(o, export_state_name(e));
	out(o, ",\"device\":");
	if (export_devpath(e))
		out_jstr(o, export_devpath(e));
	else
		out(o, "null");
	out(o, ",\"target\":");
	out_jstr(o, cfg->dev.target_name);
	out(o, ",\"lun\":%" PRIu64 ",\"policy\":", cfg->dev.lun);
	out_jstr(o, path_policy_name(cfg->dev.policy.kind));
	if (dev && path_device_ready(dev)) {
		const struct bdev_info *info = &path_device_bdev(dev)->info;

		out(o,
		    ",\"size_bytes\":%" PRIu64
		    ",\"logical_block_size\":%u,\"physical_block_size\":%u,\"identity\":",
		    info->size_bytes, info->logical_block_size, info->physical_block_size);
		out_jstr(o, info->ident);
		out(o, ",\"write_cache\":%s,\"read_only\":%s", info->write_cache ? "true" : "false",
		    info->read_only ? "true" : "false");
	}
	out(o, ",\"paths\":[");
	n = dev ? path_device_npaths(dev) : 0;
	for (i = 0; i < n; i++) {
		struct path_status ps;
		char portal[80];

		path_device_path_status(dev, i, &ps);
		path_portal(cfg, i, portal, sizeof(portal));
		out(o, "%s{\"name\":", i ? "," : "");
		out_jstr(o, ps.name);
		out(o, ",\"portal\":");
		out_jstr(o, portal);
		out(o, ",\"state\":");
		out_jstr(o, path_state_name(ps.state));
		out(o, ",\"reason\":");
		out_jstr(o, ps.reason);
		out(o,
		    ",\"seconds_in_state\":%.3f,\"ios\":%" PRIu64 ",\"bytes\":%" PRIu64
		    ",\"errors\":%" PRIu64 ",\"failures\":%" PRIu64 ",\"retries\":%" PRIu64
		    ",\"in_flight\":%u,\"latency_ms\":%.3f",
		    now - ps.since, ps.ios, ps.bytes, ps.errors, ps.failures, ps.retries,
		    ps.inflight_cmds, ps.latency_ewma * 1000.);
		out(o, ",\"backoff_ms\":%u,\"reinstated\":%s}", ps.backoff_ms,
		    ps.reinstated ? "true" : "false");
	}
	out(o, "],\"sockets\":[");
	export_foreach_conn(e, conn_json, &cj);
	out(o, "]}\n");
}

size_t status_ctl_handler(const char *req, char *buf, size_t cap, void *opaque)
{
	struct export *e = opaque;
	struct outbuf o = {.p = buf, .cap = cap};

	if (strcmp(req, "status") == 0) {
		out(&o, "ok\n");
		status_text(e, &o);
	} else if (strcmp(req, "status json") == 0) {
		out(&o, "ok\n");
		status_json(e, &o);
	} else if (strcmp(req, "detach") == 0) {
		out(&o, "ok\n%s: stopping\n", export_name(e));
		export_request_stop(e);
	} else {
		out(&o, "error: unknown request '%.40s'\n", req);
	}
	return o.len;
}
