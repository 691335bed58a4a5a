#!/usr/bin/env python3
"""Report of bench/kernel-bench.sh from the guest's results (results.tsv,
fio-*.json, meta.txt, probe.tsv, strace-*.txt of bench/kernel-uml-guest.sh)
and the host's facts (host.txt: KEY<TAB>VALUE lines).

  kernel-table.py GUEST_DIR HOST_TXT OUT_DIR

writes OUT_DIR/kernel-bench.md (the whole report), OUT_DIR/readme-table.md
(the short table for README.md) and OUT_DIR/kernel-bench-{4k,1m}.dat
(bench/kernel-plot.gp's input: row, then median/min/max per stack)."""

import glob
import json
import os
import re
import statistics
import sys

gdir, host_txt, out = sys.argv[1:4]
MIB = 2**20
GIB = 2**30
ROW_ORDER = ["randread-4k-qd1", "randwrite-4k-qd1", "randread-4k-qd32",
             "randwrite-4k-qd32", "read-1m-qd32", "write-1m-qd32"]


def kv(path):
    d = {}
    if not os.path.exists(path):
        return d
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("\t")
        d.setdefault(k, []).append(v)
    return {k: (v[0] if len(v) == 1 else v) for k, v in d.items()}


def fio(path):
    j = json.load(open(path))["jobs"][0]
    r, w = j["read"], j["write"]
    return {"bytes": r["io_bytes"] + w["io_bytes"],
            "ios": r["total_ios"] + w["total_ios"],
            "mibs": (r["bw_bytes"] + w["bw_bytes"]) / MIB,
            "iops": r["iops"] + w["iops"],
            "err": j["error"]}


meta = kv(os.path.join(gdir, "meta.txt"))
host = kv(host_txt)
probe = kv(os.path.join(gdir, "probe.tsv"))
hz = float(meta.get("clk_tck", 100))
stacks_meta = meta.get("stack", [])
if isinstance(stacks_meta, str):
    stacks_meta = [stacks_meta]
# "name<TAB>dev<TAB>LUN n<TAB>args<TAB>pid n"
variant_args = {}
for s in stacks_meta:
    f = s.split("\t")
    variant_args[f[0]] = (f[1], f[2], f[3])

jobs = {}  # (stack, row) -> list of dicts
for line in open(os.path.join(gdir, "results.tsv")):
    rnd, stack, row, js, busy, total, tgtd, dmn, vcs, ivcs, wall = line.split("\t")
    m = fio(os.path.join(gdir, js))
    gib = m["bytes"] / GIB
    m.update(round=int(rnd),
             cpu=int(busy) / hz / gib if gib else 0.0,
             cpu_xt=(int(busy) - int(tgtd)) / hz / gib if gib else 0.0,
             busy_frac=int(busy) / max(int(total), 1),
             dcpu_us=int(dmn) / hz * 1e6 / max(m["ios"], 1),
             dcs=(int(vcs) + int(ivcs)) / max(m["ios"], 1))
    jobs.setdefault((stack, row), []).append(m)

stacks = ["kernel"] + [s for s in variant_args]
rows = [r for r in ROW_ORDER if any((s, r) in jobs for s in stacks)]
rows += sorted({r for (_, r) in jobs} - set(rows))


def med(stack, row, key):
    v = [j[key] for j in jobs.get((stack, row), [])]
    return statistics.median(v) if v else None


def rng(stack, row, key):
    v = [j[key] for j in jobs.get((stack, row), [])]
    return (min(v), max(v)) if v else (None, None)


def fmt_tp(stack, row):
    if (stack, row) not in jobs:
        return "-"
    lo, hi = rng(stack, row, "mibs")
    return "%.1f [%.1f-%.1f]" % (med(stack, row, "mibs"), lo, hi)


def fmt_iops(stack, row):
    if (stack, row) not in jobs:
        return "-"
    lo, hi = rng(stack, row, "iops")
    return "%.0f [%.0f-%.0f]" % (med(stack, row, "iops"), lo, hi)


def ratio(stack, row):
    a, b = med(stack, row, "mibs"), med("kernel", row, "mibs")
    return a / b if a is not None and b else None


nrounds = max(j["round"] for v in jobs.values() for j in v)
kdev = meta.get("kernel_dev", "/dev/dm-N")
mem_mib = int(meta.get("guest_mem_kib", 0)) // 1024
L = []
L.append("# Kernel path benchmark: /dev/nbd0 against open-iscsi + dm-multipath (bench/kernel-bench.sh)")
L.append("")
L.append("Measured by `make bench-kernel` on commit %s, %s, wall time %s s. One User-Mode Linux guest "
         "(kernel %s, %d MiB, %s CPU) runs tgtd in a network namespace reachable over two veth networks, "
         "and both initiator stacks at once, set up once and kept up for the whole run: open-iscsi "
         "(one session per portal) + a dm-multipath round-robin table on LUN 1 as %s, and "
         "`iscsi-nbd attach` (default settings) over the same two portals on LUN 2 as /dev/nbd0; "
         "both LUNs %s MiB in tmpfs, filled. fio %s, libaio, O_DIRECT, time_based, %s s per job, "
         "%d interleaved rounds (each row on every device, the order reversed every other round), "
         "after %s s of unrecorded warm-up per device."
         % (host.get("commit", "?"), host.get("date", "?"), host.get("wall", "?"),
            meta.get("guest_kernel", "?"), mem_mib, meta.get("guest_cpus", "?"), kdev,
            meta.get("lun_mb", "?"), meta.get("fio", "?"), meta.get("seconds", "?"), nrounds,
            host.get("warmup", "?")))
L.append("")
loaded = False
try:
    loaded = float(host.get("load_before", "0").split()[0]) > int(host.get("nproc", "1"))
except ValueError:
    pass
L.append("Host: %s, %s CPUs; load average before %s, after %s.%s"
         % (host.get("cpu", "?"), host.get("nproc", "?"), host.get("load_before", "?"),
            host.get("load_after", "?"),
            " **Figures taken on a loaded machine (1-minute load above its CPUs) are for "
            "choosing, not final.**" if loaded else ""))
L.append("")
L.append("    %s" % host.get("command", "make bench-kernel"))
L.append("")
L.append("## Throughput")
L.append("")
L.append("MiB/s and IOPS: median [min-max] of the rounds. Ratio: median nbd0 / median %s; target "
         ">= 1.0x on every row (issue 11)." % kdev)
L.append("")
L.append("| row | %s MiB/s | %s IOPS | nbd0 MiB/s | nbd0 IOPS | nbd0 / %s | target >= 1.0x |"
         % (kdev, kdev, kdev))
L.append("|---|---|---|---|---|---|---|")
readme = ["| fio row (UML guest) | open-iscsi + dm-multipath | iscsi-nbd /dev/nbd0 | ratio |",
          "|---|---|---|---|"]
plot_rows = {"4k": [], "1m": []}
for row in rows:
    r = ratio("nbd0", row)
    met = "-" if r is None else ("met" if r >= 1.0 else "**NOT met**")
    L.append("| %s | %s | %s | %s | %s | %s | %s |"
             % (row, fmt_tp("kernel", row), fmt_iops("kernel", row), fmt_tp("nbd0", row),
                fmt_iops("nbd0", row), "-" if r is None else "%.2fx" % r, met))
    unit = "mibs" if "-1m-" in row else "iops"
    show = (lambda s: "%.1f MiB/s" % med(s, row, "mibs")) if unit == "mibs" else \
        (lambda s: "%.0f IOPS" % med(s, row, "iops"))
    if ("kernel", row) in jobs and ("nbd0", row) in jobs:
        readme.append("| %s | %s | %s | %s |" % (row, show("kernel"), show("nbd0"),
                                                  "-" if r is None else "%.2fx" % r))
    cells = [row]
    for s in stacks:
        if (s, row) in jobs:
            lo, hi = rng(s, row, unit)
            cells += ["%.2f" % med(s, row, unit), "%.2f" % lo, "%.2f" % hi]
        else:
            cells += ["NaN", "NaN", "NaN"]
    plot_rows["1m" if unit == "mibs" else "4k"].append("\t".join(cells))
L.append("")

if len(stacks) > 2:
    L.append("## iscsi-nbd variants (BENCH_VARIANTS)")
    L.append("")
    L.append("Each variant is one more `iscsi-nbd attach` with the extra arguments below, on its own "
             "LUN of the same target, up the whole run and measured in the same rounds.")
    L.append("")
    L.append("| variant | device | LUN | attach arguments |")
    L.append("|---|---|---|---|")
    for s in stacks[1:]:
        dev, lun, args = variant_args[s]
        L.append("| %s | %s | %s | %s |" % (s, dev, lun.replace("LUN ", ""), args))
    L.append("")
    L.append("| row | nbd0 MiB/s | " + " | ".join("%s MiB/s | / %s | / nbd0" % (s, kdev)
                                               for s in stacks[2:]) + " |")
    L.append("|---|---|" + "---|---|---|" * (len(stacks) - 2))
    for row in rows:
        cells = [fmt_tp("nbd0", row)]
        for s in stacks[2:]:
            r = ratio(s, row)
            n0 = med("nbd0", row, "mibs")
            rn = med(s, row, "mibs") / n0 if n0 and (s, row) in jobs else None
            cells += [fmt_tp(s, row), "-" if r is None else "%.2fx" % r,
                      "-" if rn is None else "%.2fx" % rn]
        L.append("| %s | %s |" % (row, " | ".join(cells)))
    L.append("")

L.append("## CPU of the guest")
L.append("")
L.append("Guest CPU seconds (user + system + irq + softirq from the guest's /proc/stat, all processes "
         "and kernel threads, tgtd included) per GiB moved, median of the rounds; in brackets the "
         "same without tgtd's own CPU (its /proc/PID/stat). The window is the whole fio process, "
         "start and exit included. busy: share of the window the guest CPU was not idle (UML has one "
         "CPU: at 100% the guest is CPU-bound). UML reports no steal time: when the host "
         "runs something else, the guest still counts that time as its own, so on a loaded "
         "host these figures grow with the host's load; compare the two stacks within one "
         "run only. For nbd0 also the daemon's own CPU per I/O and "
         "its context switches per I/O (voluntary + involuntary, /proc/PID/status).")
L.append("")
L.append("| row | %s s/GiB [excl. tgtd] | busy | nbd0 s/GiB [excl. tgtd] | busy | CPU nbd0 / %s | "
         "daemon us/I/O | daemon switches/I/O |" % (kdev, kdev))
L.append("|---|---|---|---|---|---|---|---|")
for row in rows:
    if ("kernel", row) not in jobs or ("nbd0", row) not in jobs:
        continue
    k, n = med("kernel", row, "cpu"), med("nbd0", row, "cpu")
    L.append("| %s | %.2f [%.2f] | %.0f%% | %.2f [%.2f] | %.0f%% | %.2f | %.0f | %.2f |"
             % (row, k, med("kernel", row, "cpu_xt"), 100 * med("kernel", row, "busy_frac"),
                n, med("nbd0", row, "cpu_xt"), 100 * med("nbd0", row, "busy_frac"),
                n / k if k else 0, med("nbd0", row, "dcpu_us"), med("nbd0", row, "dcs")))
L.append("")
busy = [j["busy_frac"] for v in jobs.values() for j in v]
if busy and min(busy) > 0.9:
    span = "%.0f%%" % (100 * min(busy))
    if round(100 * min(busy)) != round(100 * max(busy)):
        span = "%.0f-%.0f%%" % (100 * min(busy), 100 * max(busy))
    L.append("The guest's one CPU was busy %s of every job, for both stacks: each row is "
             "bound by the guest's CPU, so a stack's throughput goes with its CPU cost per I/O."
             % span)
    shares = [(row, 1 - med(st, row, "cpu_xt") / med(st, row, "cpu"))
              for row in rows for st in ("kernel", "nbd0")
              if (st, row) in jobs and med(st, row, "cpu")]
    if shares:
        lo, hi = min(x[1] for x in shares), max(x[1] for x in shares)
        L.append("Most of that CPU is the target's: tgtd, a user-space process in the same guest "
                 "that pays the same cost per system call as the daemon, took %.0f-%.0f%% of the "
                 "guest's CPU time per GiB across the rows and both stacks (s/GiB against the "
                 "bracketed figure above). The initiator side, in-kernel or the daemon, shares "
                 "what is left." % (100 * lo, 100 * hi))
    L.append("")

fails = meta.get("path_failure", [])
if isinstance(fails, str):
    fails = [fails]
if fails:
    L.append("**Path failures during the run** (each costs the job it falls in a failover; "
             "the kernel stack's NOP-Out timeout is 5 s, the daemon's 1.5 s):")
    L.append("")
    for f in fails:
        L.append("    " + f.replace("\t", ": ", 1).replace("\t", " "))
    L.append("")

# ---- why -----------------------------------------------------------------
L.append("## Why /dev/nbd0 is slower in UML where it is")
L.append("")


def strace_table(path):
    """Calls by name; None without a trace (strace -c writes nothing when the
    process made no call: an empty file is zero calls)."""
    calls = {}
    if not os.path.exists(path):
        return None
    for line in open(path):
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
        if m and m.group(2) != "total":
            calls[m.group(2)] = int(m.group(1))
    return calls


gns = probe.get("syscall_ns")
hns = host.get("syscall_ns")
if gns:
    L.append("One system call of a guest process costs **%.1f us** in this UML guest against %s us "
             "on the host (`dd if=/dev/zero of=/dev/null bs=1`, two calls per byte, wall time / calls). "
             "UML runs every guest process under ptrace: each system call stops the process, the "
             "UML kernel (another host process) reads and writes its registers with ptrace and "
             "resumes it, several host context switches per call. In-kernel code pays none of "
             "this. UML's vDSO also makes `clock_gettime` a real system call (strace sees it; "
             "on the host it would be a vDSO read)."
             % (int(gns) / 1000, "%.2f" % (int(hns) / 1000) if hns else "?"))
    L.append("")
traces = []
# The variants' traces (BENCH_VARIANTS), 4 KiB QD1 only, after nbd0's.
variant_traces = sorted(
    (os.path.basename(f)[len("strace-"):-len("-randwrite-4k-qd1.txt")], "randwrite-4k-qd1")
    for f in glob.glob(os.path.join(gdir, "strace-*-randwrite-4k-qd1.txt")))
variant_traces = [t for t in variant_traces if t[0] not in ("nbd0", "iscsid")]
for name, row in [("nbd0", "randwrite-4k-qd1"), ("nbd0", "randread-4k-qd32"),
                  ("nbd0", "read-1m-qd32"), ("iscsid", "randwrite-4k-qd1")] + variant_traces:
    calls = strace_table(os.path.join(gdir, "strace-%s-%s.txt" % (name, row)))
    fj = os.path.join(gdir, "fio-strace-%s-%s.json" % (name, row))
    if calls is None or not os.path.exists(fj):
        continue
    ios = fio(fj)["ios"]
    traces.append((name, row, calls, ios))
if traces:
    L.append("System calls per I/O, `strace -c -f -p PID` over a 3 s fio job (plus 1 s before it; "
             "strace slows the traced process, the counts per I/O stay valid). The daemon's "
             "process for /dev/nbd0; for %s the only user-space process of the kernel stack, "
             "iscsid:" % kdev)
    L.append("")
    L.append("| process | fio row | I/Os | calls per I/O | by call |")
    L.append("|---|---|---|---|---|")
    for name, row, calls, ios in traces:
        tot = sum(calls.values())
        by = ", ".join("%s %.2f" % (c, n / ios) for c, n in
                       sorted(calls.items(), key=lambda x: -x[1]) if n / ios >= 0.01)
        label = {"nbd0": "iscsi-nbd (nbd0)", "iscsid": "iscsid"}.get(name, "iscsi-nbd (%s)" % name)
        L.append("| %s | %s | %d | %.2f | %s |" % (label,
                                                   row, ios, tot / ios, by or "none"))
    L.append("")
    qd1 = [t for t in traces if t[0] == "nbd0" and t[1] == "randwrite-4k-qd1"]
    if qd1 and gns:
        per = sum(qd1[0][2].values()) / qd1[0][3]
        cost = per * int(gns) / 1000
        lines = []
        for s in ("kernel", "nbd0"):
            i = med(s, "randwrite-4k-qd1", "iops")
            if i:
                lines.append("%s %.0f us (%.0f IOPS)" % (s if s == "nbd0" else kdev, 1e6 / i, i))
        L.append("At 4 KiB QD1 the daemon makes %.1f system calls per I/O; at %.1f us each that is "
                 "of the order of **%.0f us per I/O** spent entering and leaving the UML kernel "
                 "(the dd figure is the cheapest call there is, so a rough scale, not a sum), "
                 "against a measured %s per I/O at QD1. The kernel stack's I/O never leaves the kernel: fio's io_submit goes "
                 "through blk-mq, dm-multipath and sd to iscsi_tcp, which sends the PDU from its "
                 "work queue and completes the command from the socket's receive callback in "
                 "softirq; fio's own io_submit/io_getevents are the same for both devices. With "
                 "nbd the request goes out on the kernel's NBD socket, wakes the daemon "
                 "(epoll_wait returns), which reads it (readv), sends the iSCSI command "
                 "(sendmsg), sleeps again, reads the response and sends the NBD reply: two "
                 "sleeps and two wake-ups of a user process per I/O, and every step a ptrace "
                 "round trip in UML."
                 % (per, int(gns) / 1000, cost, "; ".join(lines)))
        L.append("")
        ik, i0 = med("kernel", "randwrite-4k-qd1", "iops"), med("nbd0", "randwrite-4k-qd1", "iops")
        dcpu = med("nbd0", "randwrite-4k-qd1", "dcpu_us")
        if ik and i0 and i0 < ik and dcpu:
            gap = 1e6 / i0 - 1e6 / ik
            if dcpu < gap:
                L.append("At that row nbd0 takes %.0f us per I/O more than %s, and the daemon's "
                         "own CPU is %.0f us per I/O (CPU table above): on the guest's one CPU, "
                         "the daemon's time is %.0f%% of the difference; the rest lies outside "
                         "its own account (the kernel's NBD socket work, the scheduling of its "
                         "%.1f context switches per I/O)."
                         % (gap, kdev, dcpu, 100 * dcpu / gap,
                            med("nbd0", "randwrite-4k-qd1", "dcs")))
            else:
                L.append("At that row nbd0 takes %.0f us per I/O more than %s, less than the "
                         "daemon's own CPU of %.0f us per I/O (CPU table above): the kernel "
                         "stack's in-kernel initiator work costs the guest's CPU too, and what "
                         "separates the two stacks is the daemon's cost beyond it."
                         % (gap, kdev, dcpu))
            L.append("")
    cg = [t for t in traces if t[0] == "nbd0"]
    if cg:
        cgt = sum(t[2].get("clock_gettime", 0) + t[2].get("gettimeofday", 0) for t in cg)
        tot = sum(sum(t[2].values()) for t in cg)
        L.append("clock_gettime/gettimeofday are %.0f%% of the daemon's calls in these traces. "
                 "The daemon itself only uses libev's cached ev_now(); the reads are libev's own: "
                 "it reads the monotonic clock before it computes how long to sleep and again "
                 "after the poll returns, twice per loop iteration, and at QD1 there are two "
                 "iterations per I/O (the NBD request, then the iSCSI response). In UML each is a "
                 "full system call. Fewer calls alone have not paid here: the io_uring engine, "
                 "also with a wait in the ring that skips the poll and its clock reads, made "
                 "2.6-2.7 calls per I/O at 4 KiB QD1 against epoll's 10.1 in the UML runs of 2026-12-04 and was not faster "
                 "(docs/perf-design.md, \"The ring wait\"): at QD1 the daemon still sleeps about "
                 "twice per I/O until fio and tgtd, on the same one CPU, have run."
                 % (100.0 * cgt / tot if tot else 0))
        L.append("")
    vt = [t for t in traces if t[0] not in ("nbd0", "iscsid")]
    if vt:
        L.append("In this run, at 4 KiB QD1: default %s calls per I/O; %s (throughput in the "
                 "variants table above)." % (
                     ", ".join("%.1f" % (sum(t[2].values()) / t[3]) for t in traces
                               if t[0] == "nbd0" and t[1] == "randwrite-4k-qd1") or "-",
                     "; ".join("%s %.1f" % (t[0], sum(t[2].values()) / t[3]) for t in vt)))
        L.append("")
L.append("On the host, without UML, the same daemon is measured against qemu-nbd and libiscsi "
         "in docs/bench/nbd-bench.md; here a system call costs the ptrace round trip above, which "
         "a kernel on hardware does not charge.")
L.append("")

with open(os.path.join(out, "kernel-bench.md"), "w") as f:
    f.write("\n".join(L))
with open(os.path.join(out, "readme-table.md"), "w") as f:
    f.write("\n".join(readme) + "\n")


def label(s):
    if s == "kernel":
        return "open-iscsi+dm-multipath"
    return "iscsi-nbd" if s == "nbd0" else "iscsi-nbd " + s


for k, v in plot_rows.items():
    with open(os.path.join(out, "kernel-bench-%s.dat" % k), "w") as f:
        f.write("row\t" + "\t".join("%s\t%s-min\t%s-max" % (label(s), s, s) for s in stacks) + "\n")
        f.write("".join(r + "\n" for r in v))
