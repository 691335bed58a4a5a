#!/usr/bin/env python3
"""Markdown table of mp-bench.sh's results.tsv.

usage: mp-table.py RESULTS_TSV RATE SECONDS LOAD_TXT
Rows: "stripe NAME ONE_MIBS TWO_MIBS" and
      "stall TAG STALL_S BASE_S MAXLAT_S ERRORS KIOPS".
"""
import sys

tsv, rate, secs, load = sys.argv[1:5]
stripe, stall = [], {}
for line in open(tsv):
    f = line.rstrip("\n").split("\t")
    if f[0] == "stripe":
        stripe.append(f[1:])
    elif f[0] == "stall":
        stall[f[1]] = f[2:]

print("# Multipath benchmark (bench/mp-bench.sh)\n")
for l in open(load):
    print("    " + l.rstrip())
print()
if stripe:
    print("## (a) Striping: iscsi-nbd serve --policy round-robin, host, tgtd in a namespace")
    print(f"Each path shaped to {rate} (tbf on both egresses), fio nbd engine, "
          f"{secs} s per job. Target: ratio >= 1.9.\n")
    print("| job | one path MiB/s | two paths MiB/s | ratio |")
    print("|---|---|---|---|")
    for name, one, two in stripe:
        try:
            r = "%.2f" % (float(two) / float(one))
        except (ValueError, ZeroDivisionError):
            r = "-"
        print(f"| {name} | {one} | {two} | {r} |")
    print()

WHO = {
    "host": "iscsi-nbd serve (host)",
    "kernel": "open-iscsi + dm-multipath (UML)",
    "isn": "iscsi-nbd attach (UML)",
}
KIND = {"pull": "local link loss (ip link set ini1 down)",
        "silent": "silent remote loss (target egress dropped, carrier up)"}
BIND = {"plain": "defaults, portals plain", "iface": "defaults, PORTAL@IFACE",
        "plainr0": "defaults, portals plain; tgtd DefaultTime2Retain 0",
        "ifacer0": "defaults, PORTAL@IFACE; tgtd DefaultTime2Retain 0",
        "kdef": "NOP interval/timeout 2/2 s, replacement_timeout 5 s",
        "ktuned": "NOP interval/timeout 1/1 s, replacement_timeout 2 s"}
if stall:
    print("## (b)/(c) Failover stall: fio 4 KiB QD16, one of two paths fails under load")
    print("stall = longest interval with zero completions spanning the event (per-I/O fio "
          "completion log); steady = the longest such interval before the event (noise floor); "
          "max clat = largest completion latency after the event; err = fio error "
          "(0: no I/O error reached fio). Targets for iscsi-nbd: < 0.5 s local link loss, "
          "< 2 s silent remote loss.\n")
    print("| stack | settings | failure | fio job | stall s | steady s | max clat s | err | kIOPS before |")
    print("|---|---|---|---|---|---|---|---|---|")
    for tag, v in stall.items():
        who, kind, bind, rw = (tag.split("-") + ["", "", "", ""])[:4]
        v = (v + ["-"] * 5)[:5]
        print(f"| {WHO.get(who, who)} | {BIND.get(bind, bind)} | {KIND.get(kind, kind)} | {rw} | "
              f"**{v[0]}** | {v[1]} | {v[2]} | {v[3]} | {v[4]} |")
