/*
 * A running device's queries and operator controls (device.h): its
 * block-device face, size changes, per-path status, enabling and
 * disabling paths, failback, rescans. The life cycle and the I/O
 * scheduling are in device.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "path/internal.h"
#include "util/log.h"

struct bdev *path_device_bdev(struct path_device *dev)
{
	return &dev->bd;
}

int path_device_accept_size(struct path_device *dev, uint64_t size_bytes)
{
	struct bdev_info *info = &dev->bd.info;

	if (size_bytes < info->size_bytes || !info->logical_block_size ||
	    size_bytes % info->logical_block_size)
		return -EINVAL;
	if (size_bytes != info->size_bytes)
		log_notice("%s: size %llu -> %llu bytes", dev->name,
			   (unsigned long long)info->size_bytes, (unsigned long long)size_bytes);
	info->size_bytes = size_bytes;
	return 0;
}

void path_device_rescan(struct path_device *dev)
{
	unsigned int i;

	for (i = 0; i < dev->npaths; i++) {
		struct path *p = &dev->paths[i];

		if (p->sess && p->state == PATH_ACTIVE) {
			path_rescan(p);
			return;
		}
	}
}

bool path_device_ready(const struct path_device *dev)
{
	return dev->ready;
}

unsigned int path_device_npaths(const struct path_device *dev)
{
	return dev->npaths;
}

unsigned int path_device_inflight(const struct path_device *dev)
{
	return dev->live_reqs;
}

void path_device_path_status(const struct path_device *dev, unsigned int idx,
			     struct path_status *out)
{
	const struct path *p;

	memset(out, 0, sizeof(*out));
	if (idx >= dev->npaths)
		return;
	p = &dev->paths[idx];
	snprintf(out->name, sizeof(out->name), "%s", p->name);
	out->state = p->state;
	snprintf(out->reason, sizeof(out->reason), "%s", p->reason);
	out->since = p->since;
	memcpy(out->isid, p->isid, 6);
	out->ios = p->ios;
	out->bytes = p->bytes;
	out->errors = p->errors;
	out->failures = p->failures;
	out->retries = p->retries;
	out->inflight_cmds = p->pol.inflight_cmds;
	out->inflight_bytes = p->pol.inflight_bytes;
	out->latency_ewma = p->latency_ewma;
	out->throughput = p->pol.throughput;
	out->fence_pending = p->taint_epoch > p->fenced_epoch;
	snprintf(out->last_fence, sizeof(out->last_fence), "%s", p->last_fence);
	out->fence_ms = p->last_fence_ms;
	out->backoff_ms = !p->sess && (p->state == PATH_FAILED || p->state == PATH_FENCED ||
				       p->state == PATH_WRONG_LUN)
				  ? p->relogin_delay_ms
				  : p->backoff_ms;
	out->reinstated = p->reinstate_episode;
}

int path_device_set_enabled(struct path_device *dev, unsigned int idx, bool on)
{
	struct path *p;

	if (idx >= dev->npaths)
		return -EINVAL;
	p = &dev->paths[idx];
	if (p->enabled == on)
		return 0;
	p->enabled = on;
	if (dev->state != DEV_RUNNING)
		return 0;
	if (on) {
		p->reconnect_at = 0;
		path_connect(p);
	} else {
		path_stop(p);
		path_set_state(p, PATH_DISABLED, "disabled by the administrator");
		pd_regroup(dev);
	}
	pd_kick(dev);
	return 0;
}

void path_device_failback(struct path_device *dev)
{
	path_policy_request_failback(&dev->pol);
	pd_regroup(dev);
}

void path_device_fail_path(struct path_device *dev, unsigned int idx, const char *why)
{
	if (idx < dev->npaths)
		path_fail(&dev->paths[idx], "%s", why ? why : "failed by request");
}
