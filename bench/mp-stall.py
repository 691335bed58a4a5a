#!/usr/bin/env python3
"""Failover stall from a fio per-I/O completion-latency log.

usage: mp-stall.py CLAT_LOG EVENT_MS FIO_JSON DAT_OUT

CLAT_LOG is fio's write_lat_log *_clat.N.log written with log_unix_epoch=1
and no log_avg_msec, so one line per completed I/O: "time_ms, clat_ns,
ddir, bs, offset[, prio]". EVENT_MS is the epoch time in ms taken just
before the path was failed.

Prints one tab-separated line:
  stall_s   longest interval without any completion among the completions
            from 1 s before the event to the end (the gap that spans the
            failover)
  base_s    longest such interval in the steady state before the event
            (from 1 s after the start to 1 s before the event): the noise
            floor of this measurement on this machine
  maxlat_s  largest completion latency of an I/O completing after the event
  errors    fio's error code (0: no I/O error reached the application)
  kiops     completions per second before the event (thousands)
DAT_OUT gets "seconds-from-event MiB/s" in 100 ms bins for plotting.
"""
import json
import sys

log, ev, js, dat = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
done = []
for line in open(log):
    f = line.split(",")
    if len(f) < 4:
        continue
    t, lat, bs = int(f[0]), int(f[1]), int(f[3])
    done.append((t, lat, bs))
done.sort()
err = "?"
try:
    err = str(json.load(open(js))["jobs"][0]["error"])
except Exception:
    pass
if not done:
    print("-\t-\t-\t%s\t-" % err)
    sys.exit(0)
t0, t1 = done[0][0], done[-1][0]


def max_gap(ts):
    return max((b - a for a, b in zip(ts, ts[1:])), default=0) / 1000.0


after = [t for t, _, _ in done if t >= ev - 1000]
before = [t for t, _, _ in done if t0 + 1000 <= t <= ev - 1000]
stall = max_gap(after)
# A stall that outlasted the run (no completion after the event at all).
if after and max(after) < ev:
    stall = float("inf")
base = max_gap(before)
maxlat = max((lat for t, lat, _ in done if t >= ev), default=0) / 1e9
rate = len(before) / max((ev - 1000 - (t0 + 1000)) / 1000.0, 1e-3) / 1000.0
print("%.3f\t%.3f\t%.3f\t%s\t%.1f" % (stall, base, maxlat, err, rate))

bins = {}
for t, _, bs in done:
    b = (t - ev) // 100
    bins[b] = bins.get(b, 0) + bs
with open(dat, "w") as f:
    lo, hi = (t0 - ev) // 100, (t1 - ev) // 100
    for b in range(lo, hi + 1):
        f.write("%.1f %.2f\n" % (b / 10.0, bins.get(b, 0) * 10 / 2**20))
