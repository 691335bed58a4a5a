#!/usr/bin/env python3
"""The report of bench/nbd-bench.sh from its raw figures.

Input: one tab-separated line per job run, "round kind variant job MiB/s
IOPS bridge-CPU tgtd-CPU fio-CPU CPUs-busy tgtd-thread" (kind isn, qemu or
perf; CPU in s/GiB, "-" where not measured; CPUs-busy: the machine's CPUs
busy over the job; tgtd-thread: the CPU share of tgtd's busiest thread, in
percent of one CPU). Output: the markdown report (medians and ranges
over the rounds, ratios of the medians, the issue-11 targets met or not),
a short table for README.md, and the data and job list for
bench/nbd-plot.gp.
"""
import argparse
import statistics

# Issue 11's targets for the host rows.
PERF_MIN = 0.95  # reads, against iscsi-perf
QEMU_MIN = {32: 1.3, 1: 1.1}  # every row, against qemu-nbd, by queue depth
CPU_MAX = 0.33  # bridge CPU per GiB against qemu-nbd's

COLOURS = {"isn": ["#d62728", "#ff7f0e", "#e377c2", "#8c564b", "#bcbd22", "#9467bd"],
           "qemu": "#1f77b4", "perf": "#7f7f7f"}


def num(s):
    return None if s == "-" else float(s)


def qd_of(job):
    return int(job.rsplit("qd", 1)[1])


def fmt(x, digits):
    return "-" if x is None else f"{x:.{digits}f}"


class Cell:
    """Median and range of one measure over the rounds."""

    def __init__(self, values):
        v = [x for x in values if x is not None]
        self.n = len(v)
        self.med = statistics.median(v) if v else None
        self.lo = min(v) if v else None
        self.hi = max(v) if v else None

    def md(self, digits=1, scale=1.0, unit=""):
        if self.med is None:
            return "-"
        f = lambda x: f"{x / scale:.{digits}f}{unit}"
        return f"{f(self.med)} [{f(self.lo)}-{f(self.hi)}]"


def table(w, caption, heads, rows):
    """A caption paragraph, then a markdown table of HEADS and ROWS (lists of cells)."""
    w("")
    w(caption)
    w("")
    w("| " + " | ".join(heads) + " |")
    w("|---" * len(heads) + "|")
    for r in rows:
        w("| " + " | ".join(r) + " |")


def main():
    ap = argparse.ArgumentParser()
    for a in ("tsv", "out", "readme", "plot-data", "plot-jobs", "date", "commit", "cpu",
              "nproc", "load-before", "load-after", "rounds", "seconds", "ramp", "lun-mb",
              "wall", "round-loads", "isn-args", "plot-name"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--variant", action="append", default=[], help="NAME=ARGS")
    o = ap.parse_args()

    variants = [v.split("=", 1) for v in o.variant]
    single = len(variants) == 1
    runs = {}
    jobs = []
    for line in open(o.tsv):
        rnd, kind, var, job, bw, iops, cpu, tcpu, fcpu, cores, thr = line.rstrip("\n").split("\t")
        runs.setdefault((kind, var, job), []).append(
            (float(bw), float(iops), num(cpu), num(tcpu), num(fcpu), num(cores), num(thr)))
        if job not in jobs:
            jobs.append(job)

    # Peers in column order: every variant, qemu-nbd, iscsi-perf.
    peers = []
    for i, (name, _) in enumerate(variants):
        label = "iscsi-nbd" if single else f"iscsi-nbd {name}"
        peers.append(("isn", name, label, COLOURS["isn"][i % len(COLOURS["isn"])]))
    peers.append(("qemu", "-", "qemu-nbd", COLOURS["qemu"]))
    peers.append(("perf", "-", "iscsi-perf", COLOURS["perf"]))
    peers = [p for p in peers if any((p[0], p[1], j) in runs for j in jobs)]

    def cell(kind, var, job, k):
        return Cell([r[k] for r in runs.get((kind, var, job), [])])

    lines = []
    w = lines.append
    w(f"Run of {o.date}, commit {o.commit}; {o.cpu}, {o.nproc} CPUs; load average "
      f"{o.load_before} before, {o.load_after} after; {o.rounds} rounds of {o.seconds} s "
      f"jobs after {o.ramp} s of ramp, {o.lun_mb} MiB LUN; {int(o.wall) / 60:.1f} min in all.")
    w("")
    loads = [float(x) for x in (o.load_before.split()[:1] + o.round_loads.split() +
                                o.load_after.split()[:1])]
    # fio, tgtd and the bridge keep about three processes runnable during
    # the run: only more than that says that something else ran too.
    quiet_before, quiet_during = int(o.nproc) / 2, int(o.nproc) + 2
    busy = loads[0] > quiet_before or max(loads[1:]) > quiet_during
    w(f"1-minute load average at the start of each round: {', '.join(o.round_loads.split())}." +
      (f" **A loaded machine** (above {quiet_before:g} before the run or {quiet_during:g} during "
       "it, where the benchmark's own processes make about 3): the figures are noisy; compare "
       "peers within this run only, and re-run on a quiet machine for figures to keep."
       if busy else ""))
    w("")
    if not single or o.isn_args:
        w("iscsi-nbd serve variants, each its own process: " + "; ".join(
            f"**{n}** `{(a + ' ' + o.isn_args).strip() or '(defaults)'}`" for n, a in variants) + ".")
        w("")
    w(f"Median [min-max] over the rounds. ![throughput and CPU per GiB by job]({o.plot_name})")
    heads = ["job"] + [p[2] for p in peers]
    table(w, "Throughput, MiB/s:", heads,
          [[j] + [cell(p[0], p[1], j, 0).md() for p in peers] for j in jobs])
    small = [j for j in jobs if "4K" in j]
    if small:
        table(w, "4 KiB jobs, thousands of IOPS:", heads,
              [[j] + [cell(p[0], p[1], j, 1).md(2, 1000.0) for p in peers] for j in small])
    bridges = [p for p in peers if p[0] != "perf"]

    def cpu(p, j):
        c, t, f = (cell(p[0], p[1], j, k) for k in (2, 3, 4))
        return "-" if c.med is None else f"{c.md(3)} [{fmt(t.med, 2)}, {fmt(f.med, 2)}]"
    if bridges:
        table(w, "CPU of the bridge process (user+system), s/GiB; in brackets the medians of "
              "tgtd's and fio's CPU per GiB in the same jobs, which share the cores with it:",
              ["job"] + [p[2] for p in bridges], [[j] + [cpu(p, j) for p in bridges] for j in jobs])

    def bound(p, j):
        b, t = cell(p[0], p[1], j, 5), cell(p[0], p[1], j, 6)
        return "-" if b.med is None else f"{b.med:.2f} / {t.med:.0f}%"
    table(w, f"What bounds each job, medians over the rounds: the machine's CPUs busy (of "
          f"{o.nproc}) / the busiest thread of tgtd, in percent of one CPU. A thread near 100% "
          f"is a limit of the target's own; near {o.nproc} CPUs busy the machine is the limit, "
          "shared by fio, the bridge and tgtd:",
          heads, [[j] + [bound(p, j) for p in peers] for j in jobs])

    # Throughput is the CPUs a job keeps busy over the machine's CPU-seconds
    # per GiB (fio, bridge, tgtd, kernel), so a ratio of throughputs is
    # exactly the product of two ratios: how much of the machine each job
    # keeps busy, and how much CPU each spends per GiB moved. The first says
    # waiting (latency, queues not full), the second says work.
    def machine_cpu(p, j):
        return Cell([r[5] / (r[0] / 1024.0) for r in runs.get((p[0], p[1], j), [])
                     if r[5] is not None and r[0] > 0])
    table(w, "The whole machine's CPU per GiB moved (CPUs busy over GiB/s; every process and "
          "the kernel, the benchmark's and any other), s/GiB, median [min-max]:",
          heads, [[j] + [machine_cpu(p, j).md(2) for p in peers] for j in jobs])
    perf = [p for p in peers if p[0] == "perf"]
    reads = [j for j in jobs if "read" in j]
    if perf and reads:
        def split(p, j):
            a, b = cell(p[0], p[1], j, 5).med, cell("perf", "-", j, 5).med
            ca, cb = machine_cpu(p, j).med, machine_cpu(perf[0], j).med
            if None in (a, b, ca, cb) or not b or not ca:
                return "-"
            return f"{a / b * cb / ca:.2f} = {a / b:.2f} x {cb / ca:.2f}"
        table(w, "Each read job against iscsi-perf, split: the throughput ratio (here from the medians, so "
              "close to the ratio above, not equal) = the ratio of "
              "CPUs busy (below 1: the job waits more, latency) x the inverse ratio of the "
              "machine's CPU per GiB (below 1: the hop costs the machine more work per GiB). "
              "A row bound by work has its first factor near 1. Both factors count every process on the "
              "machine: on a loaded machine they say little:",
              ["job"] + [p[2] for p in peers if p[0] != "perf"],
              [[j] + [split(p, j) for p in peers if p[0] != "perf"] for j in reads])

    # Ratios of the medians and the targets, per iscsi-nbd variant.
    ratio_rows = []
    for p in peers:
        if p[0] != "isn":
            continue
        for j in jobs:
            a = cell("isn", p[1], j, 0)
            if a.med is None:
                continue
            ip, q = cell("perf", "-", j, 0), cell("qemu", "-", j, 0)
            ac, qc = cell("isn", p[1], j, 2), cell("qemu", "-", j, 2)
            checks = []

            def ratio(x, y, limit, at_least):
                if x is None or y is None or not y:
                    return "-", None
                r = x / y
                ok = r >= limit if at_least else r <= limit
                checks.append(ok)
                sign = ">=" if at_least else "<="
                return f"{r:.2f}x ({sign} {limit}: {'met' if ok else '**NOT met**'})", (r, ok)

            rp = ratio(a.med, ip.med, PERF_MIN, True) if "read" in j else ("-", None)
            rq = ratio(a.med, q.med, QEMU_MIN.get(qd_of(j), QEMU_MIN[32]), True)
            rc = ratio(ac.med, qc.med, CPU_MAX, False)
            verdict = "-" if not checks else ("met" if all(checks) else "**NOT met**")
            ratio_rows.append((p, j, rp, rq, rc, verdict))
    if ratio_rows:
        var = [] if single else ["variant"]
        table(w, "Ratios of the medians against issue 11's targets (reads >= 0.95x iscsi-perf; "
              ">= 1.3x qemu-nbd at QD32, >= 1.1x at QD1; CPU per GiB <= 0.33x qemu-nbd's):",
              ["job"] + var + ["vs iscsi-perf", "vs qemu-nbd", "CPU vs qemu-nbd", "row"],
              [[j] + ([] if single else [p[1]]) + [rp[0], rq[0], rc[0], verdict]
               for p, j, rp, rq, rc, verdict in ratio_rows])
    with open(o.out, "w") as f:
        f.write("\n".join(lines) + "\n")

    # README: the first variant only, medians and ratios.
    r = []
    first = variants[0][0]
    r.append(f"`make bench`, {o.date}, commit {o.commit}, {o.nproc} CPUs, load average "
             f"{o.load_before} at the start; medians of {o.rounds} interleaved rounds "
             f"(ranges in docs/bench/nbd-bench.md)" +
             (f"; **a loaded machine** (load average up to {max(loads):g}): noisy figures." if busy else ":"))
    r.append("")
    r.append("| job | iscsi-nbd MiB/s | vs iscsi-perf | vs qemu-nbd | CPU/GiB vs qemu-nbd | targets |")
    r.append("|---|---|---|---|---|---|")
    for p, j, rp, rq, rc, verdict in ratio_rows:
        if p[1] != first:
            continue
        short = lambda x: "-" if x[1] is None else f"{x[1][0]:.2f}x"
        r.append(f"| {j} | {fmt(cell('isn', first, j, 0).med, 1)} | {short(rp)} | {short(rq)} "
                 f"| {short(rc)} | {verdict} |")
    with open(o.readme, "w") as f:
        f.write("\n".join(r) + "\n")

    # Plot data: one block per job (blocks two blank lines apart), one line
    # per peer: label, MiB/s median min max, CPU median min max, colour.
    with open(o.plot_data, "w") as f:
        for j in jobs:
            for p in peers:
                c, u = cell(p[0], p[1], j, 0), cell(p[0], p[1], j, 2)
                if c.med is None:
                    continue
                vals = [fmt(x, 3) if x is not None else "?"
                        for x in (c.med, c.lo, c.hi, u.med, u.lo, u.hi)]
                f.write(f'"{p[2]}" ' + " ".join(vals) + f" {int(p[3][1:], 16)}\n")
            f.write("\n\n")
    with open(o.plot_jobs, "w") as f:
        f.write(" ".join(jobs) + "\n")


if __name__ == "__main__":
    main()
