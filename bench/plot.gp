# Throughput over time across a cable pull, iscsi-nbd beside open-iscsi +
# dm-multipath, from the fio completion logs of bench/mp-uml-guest.sh
# binned to 100 ms by bench/mp-stall.py (files "seconds-from-pull MiB/s").
# Two panels on the same time axis: the kernel stack above, iscsi-nbd below.
#   gnuplot -e "dir='RESULTS_DIR'" bench/plot.gp   -> RESULTS_DIR/mp-failover.png
if (!exists("dir")) dir = "."
set terminal pngcairo size 1200,900 font "sans,11" noenhanced
set output dir."/mp-failover.png"
f(n) = dir."/uml-".n."-randwrite.dat"
set multiplot layout 2,1 title "Cable pull (ip link set ini1 down at t = 0) under fio 4 KiB randwrite QD16, UML guest, tgtd, two paths; throughput in 100 ms bins"
set grid
set xrange [-4:26]
set yrange [0:*]
set ylabel "MiB/s"
set key top right box opaque
set arrow 1 from 0, graph 0 to 0, graph 1 nohead dashtype 2 lc rgb "red"
set title "open-iscsi + dm-multipath (round-robin, hand-written table)"
plot f("kernel-pull-kdef") using 1:2 with steps lw 1.5 lc rgb "#1f77b4" \
	title "NOP 2/2 s, replacement_timeout 5 s", \
     f("kernel-pull-ktuned") using 1:2 with steps lw 1.5 lc rgb "#17becf" \
	title "NOP 1/1 s, replacement_timeout 2 s"
set title "iscsi-nbd attach, default path settings"
set xlabel "seconds from the cable pull"
plot f("isn-pull-plain") using 1:2 with steps lw 1.5 lc rgb "#d62728" \
	title "portals plain", \
     f("isn-pull-iface") using 1:2 with steps lw 1.5 lc rgb "#ff7f0e" \
	title "PORTAL@IFACE (link monitor)", \
     f("isn-pull-ifacer0") using 1:2 with steps lw 1.5 lc rgb "#2ca02c" \
	title "PORTAL@IFACE, target DefaultTime2Retain 0"
unset multiplot
